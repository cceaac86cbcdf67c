"""Lecture 1 widgets and figures: the H/AC neuron with live decision boundary, the adversarial
example of the opening, the perceptron learning rule, the activation zoo, XOR through a hidden layer.

All the mathematics is ``coursekit.neuron`` / ``coursekit.data``; this module draws it.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from coursekit import neuron, style
from coursekit.widgets.base import FigureWidget, dropdown, float_slider

__all__ = ["NEURON_ACTIVATIONS", "NeuronWidget", "plot_activation_zoo", "plot_logic_gates", "plot_softmax_table",
           "plot_adversarial", "plot_perceptron_training"]

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
                 activation: str = "sigmoid", figsize=(10.0, 3.9)):
        if data is None:
            from coursekit.data import height_abdomen

            data = height_abdomen("training")
        self.x, self.y = np.asarray(data.x, dtype=np.float64), np.asarray(data.y, dtype=np.float64)
        pad = 6.0
        self.hlim = (self.x[:, 0].min() - pad, self.x[:, 0].max() + pad)
        self.clim = (self.x[:, 1].min() - pad, self.x[:, 1].max() + pad)
        super().__init__({
            "w1": float_slider("w1", w1, -0.2, 0.2, 0.0001, readout_format=".4f"),
            "w2": float_slider("w2", w2, -0.2, 0.2, 0.0001, readout_format=".4f"),
            "b": float_slider("b", b, -20.0, 20.0, 0.1, readout_format=".1f"),
            "activation": dropdown("f", NEURON_ACTIVATIONS, value=activation),
        }, figsize=figsize, controls_per_row=4, control_width="245px", description_width="32px")

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
        fig.colorbar(im, ax=ax, shrink=0.9, label=f"{self.activation.value}(z)")
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
        ax.set(xlim=self.hlim, ylim=self.clim, xlabel="height H (cm)", ylabel="abdomen AC (cm)",
               title=f"accuracy {accuracy:.1%}  ({int((~wrong).sum())}/{len(self.y)})")
        ax.grid(False)
        fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncol=4, frameon=False)

        zs = np.linspace(min(z.min(), -5.0), max(z.max(), 5.0), 400)
        ax2.plot(zs, f(zs), color="black", lw=1.5)
        for k in (0, 1):
            m = self.y == k
            ax2.scatter(z[m], out[m], c=_CLASS_COLORS[k], marker=_CLASS_MARKERS[k], edgecolors="black",
                        linewidths=0.5, s=35, zorder=3)
        ax2.axvline(0, color="gray", ls="--", lw=1)
        ax2.set(xlabel="z = w1 H + w2 AC + b", ylabel="a = f(z)",
                title=f"squared-error cost {cost:.3f}")
        return {"z": z, "output": out, "predicted": predicted, "accuracy": accuracy, "cost": cost,
                "boundary": line}


def plot_activation_zoo(figsize=(11.0, 5.0)):
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
        ax.set_title(title)
        ax.set_ylim(-2.2, 4.2)
    axes[0, 0].legend(loc="upper left")
    for ax in axes[1]:
        ax.set_xlabel("z")
    return fig


def plot_logic_gates(figsize=style.FIGSIZE_WIDE):
    """XOR through a hidden layer: the four inputs with the two-layer step network's output region
    (left), and the same four inputs in the hidden layer's space, where one line separates them (right).

    No weights are printed or drawn: finding them is assignment 1's exercise.
    """
    import matplotlib.pyplot as plt

    from coursekit.data import xor_table

    fig, axes = plt.subplots(1, 2, figsize=figsize, layout="constrained")
    x, y = xor_table()
    layers = neuron.xor_network()
    hidden = neuron.perceptron_predict(x, *layers[0])                 # (4, 2): OR, NAND
    g = np.linspace(-0.5, 1.5, 201)
    gx, gy = np.meshgrid(g, g)
    grid = np.stack([gx.ravel(), gy.ravel()], axis=1)
    panels = [(axes[0], x, neuron.perceptron_network_predict(grid, layers)[:, 0],
               ("$x_1$", "$x_2$"), "XOR: the network's output"),
              (axes[1], hidden, neuron.perceptron_predict(grid, *layers[1])[:, 0],
               ("$h_1$ = OR", "$h_2$ = NAND"), "hidden space: one line suffices")]
    for ax, points, region, (xl, yl), title in panels:
        ax.contourf(gx, gy, region.reshape(gx.shape), levels=[-0.5, 0.5, 1.5],
                    colors=[_CLASS_COLORS[0], _CLASS_COLORS[1]], alpha=0.25)
        for k in (0, 1):
            m = y == k
            ax.scatter(points[m, 0], points[m, 1], s=200, c=_CLASS_COLORS[k], marker=_CLASS_MARKERS[k],
                       edgecolors="black", label=f"XOR = {k}", zorder=3)
        names: dict[tuple, list[str]] = {}
        for point, name in zip(map(tuple, points), ("00", "01", "10", "11")):
            names.setdefault(point, []).append(name)          # 01 and 10 meet in the hidden space
        for (px, py), label in names.items():
            ax.annotate(", ".join(label), (px, py), xytext=(10, -18), textcoords="offset points")
        ax.set(xlim=(-0.5, 1.5), ylim=(-0.5, 1.5), xlabel=xl, ylabel=yl, title=title, aspect="equal")
    axes[0].legend(loc="upper right")
    return fig


def plot_perceptron_training(x, y, w, b, errors, errors_xor, figsize=style.FIGSIZE_WIDE):
    """Rosenblatt's rule on the H/AC men: the learned line (left) and the mistakes per epoch (right)
    next to the same rule on XOR, which never reaches zero."""
    import matplotlib.pyplot as plt

    fig, (ax, ax2) = plt.subplots(1, 2, figsize=figsize, layout="constrained", width_ratios=[1.2, 1])
    for k, name in enumerate(("healthy", "overweight")):
        m = y == k
        ax.scatter(x[m, 0], x[m, 1], c=_CLASS_COLORS[k], marker=_CLASS_MARKERS[k], edgecolors="black",
                   linewidths=0.5, s=40, label=name, zorder=3)
    h = np.array([x[:, 0].min() - 3, x[:, 0].max() + 3])
    ax.plot(h, -(w[0] * h + b) / w[1], color="black", lw=2.5, label="learned line")
    ax.set(xlabel="height H (cm)", ylabel="abdomen AC (cm)")
    fig.legend(*ax.get_legend_handles_labels(), loc="outside upper left", ncol=3, frameon=False)
    ax2.plot(np.arange(1, len(errors) + 1), errors, "o-", color=style.PALETTE["blue"], label="H/AC men")
    ax2.plot(np.arange(1, len(errors_xor) + 1), errors_xor, "s--", color=style.PALETTE["vermillion"],
             label="XOR")
    ax2.set(xlabel="epoch", ylabel="mistakes (= updates)", title="mistakes per epoch")
    ax2.legend(loc="upper right")
    return fig


def plot_adversarial(image, adversarial, before, after, epsilon, figsize=(10.0, 3.8)):
    """The FGSM example: the digit, the perturbation epsilon * sign(gradient), the perturbed digit.

    ``image``, ``adversarial``: (8, 8) in [0, 1]; ``before``/``after``: (predicted class, probability).
    """
    import matplotlib.pyplot as plt

    from coursekit.widgets.base import image_axes

    fig, axes = plt.subplots(1, 3, figsize=figsize, layout="constrained")
    delta = adversarial - image
    panels = [(image, f"'{before[0]}' ({before[1]:.0%})", "gray_r", (0, 1)),
              (delta, f"+ change (at most {epsilon:.2f})", style.DIVERGING_CMAP, (-epsilon, epsilon)),
              (adversarial, f"= '{after[0]}' ({after[1]:.0%})", "gray_r", (0, 1))]
    for ax, (img, title, cmap, (lo, hi)) in zip(axes, panels):
        ax.imshow(img, cmap=cmap, vmin=lo, vmax=hi)
        ax.set_title(title)
        image_axes(ax)
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
