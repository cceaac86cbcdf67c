"""Lecture 3 widgets and figures: the chain rule as a computational graph, what one wide layer and
depth can express, vanishing gradients and weight initialisation, what hidden units learn, and
over-fitting with L1/L2, dropout and early stopping.

All the mathematics (``neuron_graph_values``, ``gradient_norm_grid``, ``activation_variances``,
``staircase_network``, ``sawtooth``, ``regularization_runs``, ...) is ``coursekit.backprop`` /
``coursekit.neuron``; this module only draws it.  Figures are at most 11 inches wide at 100 dpi
(they fit a slide unshrunk) and use the course's 13-point font; no text below 12 points.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from coursekit import backprop, neuron, style
from coursekit.backprop import moons, neuron_graph_values, vanishing_data
from coursekit.widgets.base import FigureWidget, dropdown, int_slider

__all__ = ["plot_computational_graph", "VanishingGradientWidget", "plot_regularization",
           "plot_gradient_grid", "plot_activation_variances", "plot_universal_approximation",
           "plot_sawtooth", "plot_hidden_units", "plot_l1_weights"]


_GRAPH_LAYOUT = {  # node -> (x, y) in axes units
    "a1": (0.05, 0.86), "w1": (0.05, 0.62), "a2": (0.05, 0.38), "w2": (0.05, 0.14), "b": (0.33, 0.06),
    "a1*w1": (0.33, 0.74), "a2*w2": (0.33, 0.30), "t": (0.55, 0.50), "p": (0.74, 0.50), "C": (0.93, 0.50),
}
_GRAPH_EDGES = [("a1", "a1*w1"), ("w1", "a1*w1"), ("a2", "a2*w2"), ("w2", "a2*w2"), ("a1*w1", "t"),
                ("a2*w2", "t"), ("b", "t"), ("t", "p"), ("p", "C")]
_GRAPH_OPS = {"a1*w1": "x", "a2*w2": "x", "t": "+", "p": "sigmoid", "C": "(p - E)^2"}


def plot_computational_graph(a1, a2, w1, w2, b, expected, figsize=(11.0, 5.6)):
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
        ax.text(x, y, label, ha="center", va="center", fontsize=13, fontweight="bold",
                bbox=dict(boxstyle="round,pad=0.4", fc="white", ec="black"))
        ax.text(x, y + 0.065, f"{value:.4g}", ha="center", va="bottom", fontsize=13,
                color=style.PALETTE["blue"])
        ax.text(x, y - 0.065, f"{grad:.4g}", ha="center",
                va="top", fontsize=13, color=style.PALETTE["vermillion"])
    ax.set_title(f"forward value (blue, above each node), gradient dC/d(node) (red, below); E = {expected:g}",
                 fontsize=14)
    return fig, values


# -- vanishing gradients ------------------------------------------------------------------------


class VanishingGradientWidget(FigureWidget):
    """Per-layer gradient norms ||dE/dW^l|| of a fresh MLP: activation and initialisation set apart.

    Controls: ``depth`` (hidden layers), ``activation`` (sigmoid, tanh, relu), ``init`` (glorot, he:
    chosen independently of the activation) and ``width``.  Weights come from ``backprop.init_mlp``
    with a fixed random seed; ``state["norms"]`` is ``backprop.layer_gradient_norms`` (first layer
    first) and ``state["ratio"]`` = first layer's norm / last layer's norm.
    """

    def __init__(self, depth: int = 8, activation: str = "sigmoid", width: int = 32, seed: int = 0,
                 init: str = "glorot"):
        self.x, self.y = vanishing_data()
        self.seed = seed
        super().__init__({
            "depth": int_slider("depth", depth, 1, 15),
            "activation": dropdown("activation", ["sigmoid", "tanh", "relu"], value=activation),
            "width": int_slider("units/layer", width, 8, 128, 8),
            "init": dropdown("initialisation", ["glorot", "he"], value=init),
        }, figsize=(8.0, 4.2))

    def params(self):
        sizes = [self.x.shape[1]] + [self.width.value] * self.depth.value + [self.y.shape[1]]
        return backprop.init_mlp(sizes, seed=self.seed, init=self.init.value)

    def draw(self, fig: Figure) -> dict:
        norms = backprop.layer_gradient_norms(self.x, self.y, self.params(), self.activation.value)
        ax = fig.subplots()
        layers = np.arange(1, len(norms) + 1)
        color = style.PALETTE["blue"] if self.activation.value == "relu" else style.PALETTE["vermillion"]
        ax.bar(layers, norms, color=color)
        ax.set_yscale("log")
        ratio = float(norms[0] / norms[-1])
        ax.set(xlabel="layer (1 = next to the input)", ylabel="||dE/dW|| (log scale)", xticks=layers,
               title=f"{self.activation.value} + {self.init.value}, {self.depth.value} hidden: "
                     f"first/last = {ratio:.2g}")
        return {"norms": norms, "ratio": ratio}


# -- over-fitting and regularisation ------------------------------------------------------------

def plot_regularization(runs: dict, data=None, figsize=(11.0, 6.0)):
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
        ax.plot(h["val_loss"], "-", color=color, label=f"{_short(name)}: {h['val_loss'][final]:.3f}")
    ax.set(xlabel="epoch", ylabel="cross-entropy", title="training (dashed) vs validation (solid) loss")
    ax.set_ylim(0, None)
    ax.legend(title="validation loss kept", loc="upper left", bbox_to_anchor=(1.0, 1.0))
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
        ax.set_title(f"{_short(name)}\nval acc {h['val_accuracy'][final]:.0%}", fontsize=13)
        ax.set(xticks=[], yticks=[])
    return fig


def _short(name: str) -> str:
    """A run's name without its parenthesised setting: "L2 (1e-2)" -> "L2"."""
    return name.split(" (")[0]


# -- activation x initialisation, and the variance argument -----------------------------------------

_INIT_STYLE = {"glorot": ("-", "o"), "he": ("--", "s")}


def plot_gradient_grid(grid: dict, figsize=(11.0, 4.4)):
    """One panel per activation, one line per initialisation: ||dE/dW^l|| by layer (log scale).

    grid: ``{(activation, init): norms}`` from :func:`coursekit.backprop.gradient_norm_grid`.
    """
    import matplotlib.pyplot as plt

    activations = list(dict.fromkeys(a for a, _ in grid))
    fig, axes = plt.subplots(1, len(activations), figsize=figsize, sharey=True, layout="constrained")
    for ax, act in zip(np.atleast_1d(axes), activations):
        for (a, init), norms in grid.items():
            if a != act:
                continue
            ls, marker = _INIT_STYLE.get(init, ("-", "o"))
            ax.semilogy(np.arange(1, len(norms) + 1), norms, ls=ls, marker=marker,
                        label=f"{init}: first/last {norms[0] / norms[-1]:.2g}")
        ax.set(title=f"{act} activation", xlabel="layer (1 = next to the input)")
        ax.legend(loc="lower right")
    np.atleast_1d(axes)[0].set_ylabel("||dE/dW|| (log)")
    return fig


def plot_activation_variances(results: dict, figsize=(11.0, 4.4)):
    """One panel per activation, one line per initialisation: E[a^2] of each layer (log scale).

    results: ``{(activation, init_label): values}`` with values from
    :func:`coursekit.backprop.activation_variances`.
    """
    import matplotlib.pyplot as plt

    activations = list(dict.fromkeys(a for a, _ in results))
    fig, axes = plt.subplots(1, len(activations), figsize=figsize, sharey=True, layout="constrained")
    for ax, act in zip(np.atleast_1d(axes), activations):
        for color, ((a, label), values) in zip(style.CYCLE, ((k, v) for k, v in results.items() if k[0] == act)):
            ax.semilogy(np.arange(1, len(values) + 1), values, marker="o", color=color, label=label)
        ax.set(title=f"{act}", xlabel="layer")
        ax.axhline(1.0, color="gray", lw=1)
    np.atleast_1d(axes)[0].set_ylabel("mean square E[a²] (log)")
    np.atleast_1d(axes)[-1].legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


# -- expressiveness -----------------------------------------------------------------------------

def plot_universal_approximation(f, widths, errors: dict, lo: float = 0.0, hi: float = 1.0, figsize=(11.0, 4.4)):
    """Left: ``f`` and the staircase networks of the first ``widths``; right: max error vs width.

    errors: ``{width: max |net(x) - f(x)|}`` (log-log on the right).
    """
    import matplotlib.pyplot as plt

    fig, (ax, ax_err) = plt.subplots(1, 2, figsize=figsize, layout="constrained", width_ratios=[1.5, 1])
    x = np.linspace(lo, hi, 1001)
    ax.plot(x, f(x), color="black", lw=3, label="f(x)")
    for color, n in zip(style.CYCLE, widths):
        y = backprop.mlp_forward(x[:, None], backprop.staircase_network(f, n, lo, hi), "sigmoid")[:, 0]
        ax.plot(x, y, color=color, label=f"{n} sigmoid units")
    ax.set(xlabel="x", ylabel="output", title="one hidden layer")
    ax.legend(loc="upper left")
    ns = sorted(errors)
    ax_err.loglog(ns, [errors[n] for n in ns], "o-", color=style.PALETTE["vermillion"])
    ax_err.set(xlabel="hidden units", ylabel="max |error|", title="error vs width")
    return fig


def plot_sawtooth(ks=(1, 2, 3, 4), figsize=(11.0, 3.6)):
    """``sawtooth(x, k)`` for each k: k layers of two ReLUs, ``2**k`` linear pieces."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(ks), figsize=figsize, sharey=True, layout="constrained")
    x = np.linspace(0, 1, 2**10 + 1)
    for ax, k in zip(np.atleast_1d(axes), ks):
        ax.plot(x, backprop.sawtooth(x, k), color=style.PALETTE["blue"])
        ax.set(title=f"{k} layer{'s' if k > 1 else ''}: {2 * k} ReLUs", xlabel="x", xticks=[0, 1])
    return fig


# -- what hidden units learn ----------------------------------------------------------------------

def plot_hidden_units(kernel, out_kernel=None, shape=(8, 8), cols: int = 8, figsize=(11.0, 3.4)):
    """Each column of a first-layer kernel (inputs, units) drawn as an image of the input's shape.

    Red: positive weight (ink there excites the unit), blue: negative; one colour scale per unit.
    ``out_kernel`` (units, classes), the next layer's kernel: each title then names the class the
    unit pushes hardest (its largest outgoing weight).
    """
    import matplotlib.pyplot as plt

    kernel = np.asarray(kernel)
    votes = None if out_kernel is None else np.asarray(out_kernel).argmax(axis=1)
    units = kernel.shape[1]
    rows = int(np.ceil(units / cols))
    fig, axes = plt.subplots(rows, cols, figsize=figsize, layout="constrained")
    for j, ax in enumerate(np.ravel(axes)):
        ax.set_axis_off()
        if j < units:
            w = kernel[:, j].reshape(shape)
            m = np.abs(w).max()
            ax.imshow(w, cmap=style.DIVERGING_CMAP, vmin=-m, vmax=m)
            ax.set_title(f"unit {j + 1}" if votes is None else f"{j + 1}: → {votes[j]}")
    return fig


def plot_l1_weights(runs: dict, names, limit: float = 1e-3, figsize=(11.0, 3.8)):
    """Histogram (log counts) of the kernels' weights within ``[-limit, limit]`` for each run in ``names``.

    runs: ``{name: (params, history)}``.  Weights are shown in units of ``limit``'s order (x 1e-3 by
    default); a black bar at 0 counts the weights that are exactly 0.
    """
    import matplotlib.pyplot as plt

    scale = 10.0 ** np.floor(np.log10(limit))
    fig, axes = plt.subplots(1, len(names), figsize=figsize, sharey=True, layout="constrained")
    bins = np.linspace(-limit, limit, 41) / scale
    for ax, color, name in zip(np.atleast_1d(axes), style.CYCLE, names):
        w = np.concatenate([k.ravel() for k, _ in runs[name][0]])
        ax.hist(w[(np.abs(w) <= limit) & (w != 0)] / scale, bins=bins, color=color, label="non-zero")
        zeros = int(np.count_nonzero(w == 0))
        if zeros:
            ax.bar([0], [zeros], width=(bins[1] - bins[0]) / 2, color="black", label=f"exactly 0: {zeros}")
        ax.legend(loc="upper left")
        ax.set(title=_short(name) if "(" in name else name, xlabel=f"weight (× {scale:g})",
               xlim=(bins[0], bins[-1]))
        if ax.patches:
            ax.set_yscale("log")
    np.atleast_1d(axes)[0].set_ylabel("weights (log)")
    return fig
