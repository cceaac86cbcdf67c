"""Lecture 3 widgets and figures: the chain rule as a computational graph, vanishing gradients
layer by layer, and over-fitting with L1/L2, dropout and early stopping.

All the mathematics (including ``neuron_graph_values``, ``vanishing_data``, ``moons`` and
``regularization_runs``) is ``coursekit.backprop`` / ``coursekit.neuron``; this module draws it.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from coursekit import backprop, neuron, style
from coursekit.backprop import moons, neuron_graph_values, vanishing_data
from coursekit.widgets.base import FigureWidget, dropdown, int_slider

__all__ = ["plot_computational_graph", "VanishingGradientWidget", "plot_regularization"]


_GRAPH_LAYOUT = {  # node -> (x, y) in axes units
    "a1": (0.05, 0.86), "w1": (0.05, 0.62), "a2": (0.05, 0.38), "w2": (0.05, 0.14), "b": (0.33, 0.06),
    "a1*w1": (0.33, 0.74), "a2*w2": (0.33, 0.30), "t": (0.55, 0.50), "p": (0.74, 0.50), "C": (0.93, 0.50),
}
_GRAPH_EDGES = [("a1", "a1*w1"), ("w1", "a1*w1"), ("a2", "a2*w2"), ("w2", "a2*w2"), ("a1*w1", "t"),
                ("a2*w2", "t"), ("b", "t"), ("t", "p"), ("p", "C")]
_GRAPH_OPS = {"a1*w1": "x", "a2*w2": "x", "t": "+", "p": "sigmoid", "C": "(p - E)^2"}


def plot_computational_graph(a1, a2, w1, w2, b, expected, figsize=(12.0, 7.0)):
    """Draw the neuron's computational graph: forward values (blue) and backward gradients (red).

    Returns (fig, values) with ``values`` from :func:`coursekit.backprop.neuron_graph_values`.
    """
    import matplotlib.pyplot as plt

    values = neuron_graph_values(a1, a2, w1, w2, b, expected)
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    ax.set_axis_off()
    ax.set(xlim=(-0.06, 1.04), ylim=(-0.04, 0.96))
    for src, dst in _GRAPH_EDGES:
        (x0, y0), (x1, y1) = _GRAPH_LAYOUT[src], _GRAPH_LAYOUT[dst]
        ax.annotate("", xy=(x1 - 0.045, y1), xytext=(x0 + 0.045, y0),
                    arrowprops=dict(arrowstyle="->", color="gray", lw=1.5))
    for node, (x, y) in _GRAPH_LAYOUT.items():
        value, grad = values[node]
        op = _GRAPH_OPS.get(node)
        label = node if op is None else f"{node}\n[{op}]"
        ax.text(x, y, label, ha="center", va="center", fontsize=12, fontweight="bold",
                bbox=dict(boxstyle="round,pad=0.4", fc="white", ec="black"))
        ax.text(x, y + 0.055, f"{value:.4g}", ha="center", va="bottom", fontsize=12,
                color=style.PALETTE["blue"])
        ax.text(x, y - 0.055, f"dC/d{node} = {grad:.4g}", ha="center",
                va="top", fontsize=10, color=style.PALETTE["vermillion"])
    ax.set_title(f"forward values (blue, above), backward gradients dC/d(node) (red, below); E = {expected:g}",
                 fontsize=13)
    return fig, values


# -- vanishing gradients ------------------------------------------------------------------------


class VanishingGradientWidget(FigureWidget):
    """Per-layer gradient norms ||dE/dW^l|| of a fresh MLP: sigmoid vs ReLU vs tanh, any depth.

    Controls: ``depth`` (hidden layers), ``activation``, ``width``.  Weights come from
    ``backprop.init_mlp`` (Glorot for sigmoid/tanh, He for ReLU: each its usual partner) with a
    fixed random seed; ``state["norms"]`` is ``backprop.layer_gradient_norms`` (first layer first) and
    ``state["ratio"]`` = first layer's norm / last layer's norm.
    """

    def __init__(self, depth: int = 8, activation: str = "sigmoid", width: int = 32, seed: int = 0):
        self.x, self.y = vanishing_data()
        self.seed = seed
        super().__init__({
            "depth": int_slider("hidden layers", depth, 1, 15),
            "activation": dropdown("activation", ["sigmoid", "tanh", "relu"], value=activation),
            "width": int_slider("units/layer", width, 8, 128, 8),
        }, figsize=style.FIGSIZE)

    def params(self):
        sizes = [self.x.shape[1]] + [self.width.value] * self.depth.value + [self.y.shape[1]]
        init = "he" if self.activation.value == "relu" else "glorot"
        return backprop.init_mlp(sizes, seed=self.seed, init=init)

    def draw(self, fig: Figure) -> dict:
        norms = backprop.layer_gradient_norms(self.x, self.y, self.params(), self.activation.value)
        ax = fig.subplots()
        layers = np.arange(1, len(norms) + 1)
        color = style.PALETTE["blue"] if self.activation.value == "relu" else style.PALETTE["vermillion"]
        ax.bar(layers, norms, color=color)
        ax.set_yscale("log")
        ratio = float(norms[0] / norms[-1])
        ax.set(xlabel="layer (1 = next to the input)", ylabel="||dE/dW|| (log scale)", xticks=layers,
               title=f"{self.activation.value}, {self.depth.value} hidden layers: first/last = {ratio:.2g}")
        return {"norms": norms, "ratio": ratio}


# -- over-fitting and regularisation ------------------------------------------------------------

def plot_regularization(runs: dict, data=None, figsize=(13.0, 7.0)):
    """Top: training (dashed) and validation (solid) loss per epoch. Bottom: each model's decision
    regions with the training points (the validation points are faint).

    runs: ``{name: (params, history)}`` from :func:`coursekit.backprop.regularization_runs`;
    data: the runs' ``(x_train, y_train, x_val, y_val)`` (default :func:`coursekit.backprop.moons`).
    """
    import matplotlib.pyplot as plt

    x_tr, y_tr, x_va, y_va = moons() if data is None else data
    names = list(runs)
    fig = plt.figure(figsize=figsize, layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[1, 1.05])
    ax = top.subplots()
    for color, name in zip(style.CYCLE, names):
        _, h = runs[name]
        ax.plot(h["loss"], "--", color=color, lw=1.2)
        final = h["best_epoch"] if h["stopped_early"] else -1   # early stopping keeps the best epoch's weights
        ax.plot(h["val_loss"], "-", color=color, label=f"{name}: val loss {h['val_loss'][final]:.3f}")
    ax.set(xlabel="epoch", ylabel="cross-entropy", title="training (dashed) vs validation (solid) loss")
    ax.set_ylim(0, None)
    ax.legend(fontsize=9, ncols=2)
    lo, hi = np.minimum(x_tr.min(0), x_va.min(0)) - 0.3, np.maximum(x_tr.max(0), x_va.max(0)) + 0.3
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], 150), np.linspace(lo[1], hi[1], 150))
    grid = np.stack([gx.ravel(), gy.ravel()], axis=1)
    axes = bottom.subplots(1, len(names), sharey=True)
    for ax, color, name in zip(np.atleast_1d(axes), style.CYCLE, names):
        params, h = runs[name]
        prob = neuron.softmax(backprop.mlp_forward(grid, params))[:, 1].reshape(gx.shape)
        ax.contourf(gx, gy, prob, levels=[0, 0.5, 1], colors=[style.PALETTE["sky"], style.PALETTE["orange"]],
                    alpha=0.35)
        ax.contour(gx, gy, prob, levels=[0.5], colors="black", linewidths=1.5)
        for k, (c, m) in enumerate(zip((style.PALETTE["blue"], style.PALETTE["vermillion"]), ("o", "^"))):
            sel = y_va[:, k] == 1
            ax.scatter(x_va[sel, 0], x_va[sel, 1], s=6, c=c, marker=m, alpha=0.25)
            sel = y_tr[:, k] == 1
            ax.scatter(x_tr[sel, 0], x_tr[sel, 1], s=40, c=c, marker=m, edgecolors="black", zorder=3)
        final = h["best_epoch"] if h["stopped_early"] else -1
        ax.set_title(f"{name}\nval acc {h['val_accuracy'][final]:.1%}", fontsize=10, color=color)
        ax.set(xticks=[], yticks=[])
    return fig
