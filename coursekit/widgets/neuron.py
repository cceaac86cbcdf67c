"""Lecture 1 widgets and figures: the H/AC neuron with live decision boundary, the activation zoo,
the logic gates (NAND, XOR) as perceptrons.

All the mathematics is ``coursekit.neuron`` / ``coursekit.data``; this module draws it.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from coursekit import neuron, style
from coursekit.widgets.base import FigureWidget, dropdown, float_slider

__all__ = ["NEURON_ACTIVATIONS", "NeuronWidget", "plot_activation_zoo", "plot_logic_gates", "plot_softmax_table"]

# the activations the neuron widget offers (names of coursekit.neuron.ACTIVATIONS), in menu order
NEURON_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "step")

_CLASS_COLORS = (style.PALETTE["blue"], style.PALETTE["orange"])
_CLASS_MARKERS = ("o", "^")


class NeuronWidget(FigureWidget):
    """One neuron a = f(w1 * H + w2 * AC + b) on the height / abdominal-circumference men.

    Controls: ``w1``, ``w2``, ``b`` (sliders) and ``activation`` (dropdown of NEURON_ACTIVATIONS).
    The neuron says "overweight" where z = w1 H + w2 AC + b >= 0: the decision boundary is the line
    z = 0 whatever the activation (the activation changes how sure the neuron is, not where it
    decides).  ``state``: ``z`` (n,), ``output`` f(z) (n,), ``predicted`` (n,) in {0, 1},
    ``accuracy``, ``cost`` (the lecture's squared error, mean over the men) and ``boundary`` (H, AC)
    points of the line z = 0 across the plot (empty when w2 = 0 and w1 = 0).
    """

    def __init__(self, data=None, w1: float = 0.0006, w2: float = 0.0002, b: float = 1.0,
                 activation: str = "sigmoid"):
        if data is None:
            from coursekit.data import height_abdomen

            data = height_abdomen("training")
        self.x, self.y = np.asarray(data.x, dtype=np.float64), np.asarray(data.y, dtype=np.float64)
        pad = 6.0
        self.hlim = (self.x[:, 0].min() - pad, self.x[:, 0].max() + pad)
        self.clim = (self.x[:, 1].min() - pad, self.x[:, 1].max() + pad)
        super().__init__({
            "w1": float_slider("w1 (height)", w1, -0.2, 0.2, 0.0001, readout_format=".4f"),
            "w2": float_slider("w2 (abdomen)", w2, -0.2, 0.2, 0.0001, readout_format=".4f"),
            "b": float_slider("b", b, -20.0, 20.0, 0.1, readout_format=".1f"),
            "activation": dropdown("activation", NEURON_ACTIVATIONS, value=activation),
        }, figsize=style.FIGSIZE_WIDE)

    def boundary(self) -> np.ndarray:
        """(k, 2) points (H, AC) of the line w1 H + w2 AC + b = 0 inside the plot (k = 0 or 2)."""
        w1, w2, b = self.w1.value, self.w2.value, self.b.value
        if w2 != 0:
            h = np.array(self.hlim)
            return np.stack([h, -(w1 * h + b) / w2], axis=1)
        if w1 != 0:
            return np.array([[-b / w1, self.clim[0]], [-b / w1, self.clim[1]]])
        return np.empty((0, 2))

    def draw(self, fig: Figure) -> dict:
        f, _ = neuron.ACTIVATIONS[self.activation.value]
        w = np.array([self.w1.value, self.w2.value])
        b = self.b.value
        z = self.x @ w + b
        out = f(z)
        predicted = (z >= 0).astype(np.float64)
        accuracy = float(np.mean(predicted == self.y))
        cost = neuron.mean_squared_error(self.y, out)

        ax, ax2 = fig.subplots(1, 2, width_ratios=[1.3, 1])
        hh, cc = np.meshgrid(np.linspace(*self.hlim, 120), np.linspace(*self.clim, 120))
        grid = f(np.stack([hh, cc], axis=-1) @ w + b)
        im = ax.imshow(grid, extent=(*self.hlim, *self.clim), origin="lower", aspect="auto",
                       cmap=style.DIVERGING_CMAP, alpha=0.35)
        fig.colorbar(im, ax=ax, shrink=0.8, label=f"{self.activation.value}(z)")
        for k, name in enumerate(("healthy (0)", "overweight (1)")):
            m = self.y == k
            ax.scatter(self.x[m, 0], self.x[m, 1], c=_CLASS_COLORS[k], marker=_CLASS_MARKERS[k],
                       edgecolors="black", linewidths=0.5, s=45, label=name, zorder=3)
        wrong = predicted != self.y
        ax.scatter(self.x[wrong, 0], self.x[wrong, 1], s=140, facecolors="none", edgecolors="black",
                   linewidths=1.5, label="misclassified", zorder=4)
        line = self.boundary()
        if len(line):
            ax.plot(line[:, 0], line[:, 1], color="black", lw=2.5, label="boundary z = 0", zorder=5)
        ax.set(xlim=self.hlim, ylim=self.clim, xlabel="height H (cm)", ylabel="abdominal circumference AC (cm)",
               title=f"accuracy {accuracy:.1%}  ({int((~wrong).sum())}/{len(self.y)})")
        ax.grid(False)
        ax.legend(loc="upper left", fontsize=9, framealpha=0.9)

        zs = np.linspace(min(z.min(), -5.0), max(z.max(), 5.0), 400)
        ax2.plot(zs, f(zs), color="black", lw=1.5)
        for k in (0, 1):
            m = self.y == k
            ax2.scatter(z[m], out[m], c=_CLASS_COLORS[k], marker=_CLASS_MARKERS[k], edgecolors="black",
                        linewidths=0.5, s=35, zorder=3)
        ax2.axvline(0, color="gray", ls="--", lw=1)
        ax2.set(xlabel="z = w1 H + w2 AC + b", ylabel="output a = f(z)",
                title=f"{self.activation.value}: squared-error cost {cost:.3f}")
        return {"z": z, "output": out, "predicted": predicted, "accuracy": accuracy, "cost": cost,
                "boundary": line}


def plot_activation_zoo(figsize=(12.0, 6.0)):
    """Sigmoid, tanh, ReLU, leaky ReLU (0.1), ELU and maxout with their derivatives (dashed)."""
    import matplotlib.pyplot as plt

    z = np.linspace(-4, 4, 801)
    fig, axes = plt.subplots(2, 3, figsize=figsize, layout="constrained", sharex=True)
    # maxout of two pieces of a 1-D input: max(1.0 z + 0.5, -0.5 z - 1) (weights chosen to show a kink)
    pieces = np.stack([1.0 * z + 0.5, -0.5 * z - 1.0], axis=-1)
    maxout_deriv = neuron.maxout_derivative(pieces, 2) @ np.array([1.0, -0.5])   # chain rule dpiece/dz
    panels = [
        ("sigmoid  $1/(1+e^{-z})$", neuron.sigmoid(z), neuron.sigmoid_derivative(z)),
        ("tanh", neuron.tanh(z), neuron.tanh_derivative(z)),
        ("ReLU  max(0, z)", neuron.relu(z), neuron.relu_derivative(z)),
        ("leaky ReLU  max(0.1z, z)", neuron.leaky_relu(z, 0.1), neuron.leaky_relu_derivative(z, 0.1)),
        ("ELU (alpha = 1)", neuron.elu(z), neuron.elu_derivative(z)),
        ("maxout  max(z + 0.5, -0.5z - 1)", neuron.maxout(pieces, 2), maxout_deriv),
    ]
    for ax, (title, a, da) in zip(axes.flat, panels):
        ax.plot(z, a, color=style.PALETTE["blue"], label="f(z)")
        ax.plot(z, da, "--", color=style.PALETTE["vermillion"], label="f'(z)")
        ax.axhline(0, color="gray", lw=0.8)
        ax.set_title(title, fontsize=12)
        ax.set_ylim(-2.2, 4.2)
    axes[0, 0].legend(fontsize=10)
    for ax in axes[1]:
        ax.set_xlabel("z")
    return fig


def plot_logic_gates(figsize=style.FIGSIZE_WIDE):
    """NAND (one perceptron, one line) and XOR (two hidden perceptrons: OR and NAND, then AND)."""
    import matplotlib.pyplot as plt

    from coursekit.data import nand_table, xor_table

    fig, axes = plt.subplots(1, 2, figsize=figsize, layout="constrained")
    g = np.linspace(-0.5, 1.5, 201)
    gx, gy = np.meshgrid(g, g)
    grid = np.stack([gx.ravel(), gy.ravel()], axis=1)
    w, b = neuron.nand_weights()
    layers = neuron.xor_network()
    cases = [("NAND: one perceptron", nand_table(), neuron.perceptron_predict(grid, w, b), [(w, b)]),
             ("XOR: two layers (OR, NAND -> AND)", xor_table(),
              neuron.perceptron_network_predict(grid, layers)[:, 0],
              [(layers[0][0][:, j], layers[0][1][j]) for j in range(2)])]
    for ax, (title, (x, y), region, lines) in zip(axes, cases):
        ax.contourf(gx, gy, region.reshape(gx.shape), levels=[-0.5, 0.5, 1.5],
                    colors=[_CLASS_COLORS[0], _CLASS_COLORS[1]], alpha=0.25)
        for (wl, bl), ls in zip(lines, ("-", "--")):
            ax.plot(g, -(wl[0] * g + bl) / wl[1], color="black", ls=ls, lw=1.5)
        for k in (0, 1):
            m = y == k
            ax.scatter(x[m, 0], x[m, 1], s=200, c=_CLASS_COLORS[k], marker=_CLASS_MARKERS[k],
                       edgecolors="black", label=f"output {k}", zorder=3)
        ax.set(xlim=(-0.5, 1.5), ylim=(-0.5, 1.5), xlabel="$x_1$", ylabel="$x_2$", title=title, aspect="equal")
        ax.legend(loc="upper right", fontsize=10)
    return fig


def plot_softmax_table(logits, probabilities, row_names, col_names, figsize=style.FIGSIZE_WIDE):
    """The lecture's cat/dog/horse scores and their softmax as two annotated heat maps."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=figsize, layout="constrained")
    for ax, data, title, fmt in ((axes[0], logits, "scores (logits)", "{:g}"),
                                 (axes[1], probabilities, "softmax (each row sums to 1)", "{:.2f}")):
        ax.imshow(data, cmap=style.SEQUENTIAL_CMAP)
        for (i, j), v in np.ndenumerate(data):
            ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=15,
                    color="white" if v < data.max() * 0.6 else "black")
        ax.set_xticks(range(len(col_names)), col_names)
        ax.set_yticks(range(len(row_names)), [f"image of a {r}" for r in row_names])
        ax.set_title(title)
        ax.grid(False)
    return fig
