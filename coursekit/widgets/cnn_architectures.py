"""Lecture 5 widgets and figures: receptive fields, skip connections, feature maps, the pretrained table.

    from coursekit.widgets.cnn_architectures import ReceptiveFieldWidget, gradient_norms_figure
    w = ReceptiveFieldWidget()         # layers / kernel / stride sliders
    w.state["receptive_field"]         # == coursekit.cnn_architectures.receptive_field(...)

Everything shown is computed by :mod:`coursekit.cnn_architectures` (receptive_field,
influence_sets, skip_gradient_norms, layer_table, the pretrained table, batch norm); this
module only draws it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from coursekit import cnn_architectures as arch
from coursekit import style
from coursekit.display import Table, table
from coursekit.widgets.base import FigureWidget, image_axes, int_slider

__all__ = [
    "ReceptiveFieldWidget", "gradient_norms_figure", "gradient_factors_figure", "feature_maps_figure",
    "history_figure", "pretrained_table_markdown", "pretrained_tables", "batch_norm_figure",
    "layer_table_html", "upsampling_figure", "activation_maximization_figure",
]


class ReceptiveFieldWidget(FigureWidget):
    """How far one unit sees: a stack of conv layers (and optional 2x2 max-pools) drawn in 1-D.

    Controls: ``num_layers`` (1-6), ``kernel_size`` (1-7, odd or even), ``stride`` (1-3),
    ``pool_every`` (0 = no pooling, n = a 2/2 max-pool after every n-th conv).
    ``state``: ``layers`` [(k, s), ...], ``receptive_field`` (from
    :func:`coursekit.cnn_architectures.receptive_field`), ``counted`` (the input pixels the
    drawing highlights, counted by :func:`coursekit.cnn_architectures.influence_sets`), ``per_layer`` (the field after
    each layer).
    """

    def __init__(self, num_layers: int = 3, kernel_size: int = 3, stride: int = 1, pool_every: int = 0):
        super().__init__({
            "num_layers": int_slider("conv layers", num_layers, 1, 6),
            "kernel_size": int_slider("kernel size", kernel_size, 1, 7),
            "stride": int_slider("stride", stride, 1, 3),
            "pool_every": int_slider("pool every", pool_every, 0, 3),
        }, figsize=(11.0, 5.0), title="Receptive field of one output unit")

    def draw(self, fig: Figure) -> dict[str, Any]:
        n, k, s, pe = (c.value for c in (self.num_layers, self.kernel_size, self.stride, self.pool_every))
        stack = arch.conv_pool_stack(n, k, s, pe)
        layers = [(kk, ss) for kk, ss, _ in stack]
        rf = arch.receptive_field(layers)
        per_layer = [arch.receptive_field(layers[:i + 1]) for i in range(len(layers))]
        sets = arch.influence_sets(n, k, s, pe)[::-1]  # input first
        width = len(sets[0])
        ax = fig.subplots()
        names = ["input"] + [f"{kind} {kk}/{ss}" for kk, ss, kind in stack]
        # unit u of a level covers input pixels [u * jump, u * jump + rf - 1]: draw it at the centre
        jump, rf_l = 1, 1
        centres = [sets[0].astype(float)]
        for level, (kk, ss) in enumerate(layers, start=1):
            rf_l, jump = rf_l + (kk - 1) * jump, jump * ss
            centres.append(sets[level] * jump + (rf_l - 1) / 2)
        for level, (idx, xs) in enumerate(zip(sets, centres)):
            colour = style.PALETTE["orange"] if level == len(sets) - 1 else (
                style.PALETTE["blue"] if level == 0 else style.PALETTE["sky"])
            size = max(30, min(260, 5200 / max(width, 1)))
            ax.scatter(xs, np.full(len(xs), level), s=size, color=colour, edgecolor="black", zorder=3)
            if level < len(sets) - 1:
                kk, ss = layers[level]
                parents = sets[level + 1]
                for p_i, p in enumerate(parents):
                    for c in range(kk):
                        child = p * ss + c
                        pos = np.searchsorted(idx, child)
                        if pos < len(idx) and idx[pos] == child:
                            ax.plot([xs[pos], centres[level + 1][p_i]], [level, level + 1], color="0.6",
                                    lw=0.8, zorder=1)
        ax.set_yticks(range(len(sets)), [f"{nm}  (RF {r})" if i else nm
                                         for i, (nm, r) in enumerate(zip(names, [1] + per_layer))])
        ax.set_xlabel("input pixel")
        ax.set_title(f"receptive field = {rf} input pixels (counted in the drawing: {width})")
        ax.set_xlim(-1, width)
        ax.grid(False)
        return {"layers": layers, "receptive_field": rf, "counted": width, "per_layer": per_layer}


# ---------------------------------------------------------------------------------------------
# Skip connections and gradients
# ---------------------------------------------------------------------------------------------

def gradient_norms_figure(result: dict[str, Any]) -> Figure:
    """Per-layer gradient norms (log scale) of :func:`coursekit.cnn_architectures.skip_gradient_norms`."""
    fig = Figure(figsize=style.FIGSIZE_WIDE, dpi=100, layout="constrained")
    import matplotlib as mpl

    with mpl.rc_context():
        style.apply()
        ax = fig.subplots()
        depth = np.arange(1, len(result["layers"]) + 1)
        ax.semilogy(depth, result["plain"], "o-", color=style.PALETTE["vermillion"], label="plain stack")
        ax.semilogy(depth, result["residual"], "s-", color=style.PALETTE["blue"], label="with skip connections")
        ax.set(xlabel="conv layer (1 = next to the input)", ylabel="‖∂loss/∂kernel‖",
               title="Gradient reaching each layer, one batch, same initial weights")
        ax.legend()
    return fig


# ---------------------------------------------------------------------------------------------
# Feature maps, training curves, batch norm, the pretrained-network table
# ---------------------------------------------------------------------------------------------

def feature_maps_figure(image: np.ndarray, maps: dict[str, np.ndarray], max_maps: int = 8) -> Figure:
    """The input digit and the first ``max_maps`` channels of each layer's activation (one row each)."""
    import matplotlib as mpl

    rows = len(maps)
    fig = Figure(figsize=(1.2 * (max_maps + 1), 1.45 * rows + 0.3), dpi=100, layout="constrained")
    with mpl.rc_context():
        style.apply()
        axes = fig.subplots(rows, max_maps + 1, squeeze=False)
        img = np.asarray(image).reshape(np.asarray(image).shape[:2])
        for r, (name, act) in enumerate(maps.items()):
            axes[r, 0].imshow(img, cmap=style.GRAY_CMAP) if r == 0 else axes[r, 0].axis("off")
            axes[r, 0].set_title("input" if r == 0 else "")
            for c in range(max_maps):
                ax = axes[r, c + 1]
                if c < act.shape[-1]:
                    ax.imshow(act[..., c], cmap=style.SEQUENTIAL_CMAP)
                else:
                    ax.axis("off")
                if c == 0:
                    ax.set_title(f"{name} {act.shape[0]}×{act.shape[1]}×{act.shape[2]}", loc="left")
        for ax in axes.ravel():
            image_axes(ax)
    return fig


def history_figure(history: dict[str, list[float]], title: str = "training", figsize=None) -> Figure:
    """Accuracy curves (train / validation) of a Keras ``History.history`` (``figsize`` in inches)."""
    import matplotlib as mpl

    fig = Figure(figsize=figsize or style.FIGSIZE, dpi=100, layout="constrained")
    with mpl.rc_context():
        style.apply()
        ax = fig.subplots()
        epochs = np.arange(1, len(history["accuracy"]) + 1)
        ax.plot(epochs, history["accuracy"], "o-", label="training accuracy")
        if "val_accuracy" in history:
            ax.plot(epochs, history["val_accuracy"], "s-", label="test accuracy")
        ax.set(xlabel="epoch", ylabel="accuracy", title=title, ylim=(0, 1.02))
        ax.legend(loc="lower right")
    return fig


def batch_norm_figure(x: np.ndarray, out: np.ndarray, channel: int = 0) -> Figure:
    """Histogram of one channel before and after batch normalization."""
    import matplotlib as mpl

    fig = Figure(figsize=style.FIGSIZE_WIDE, dpi=100, layout="constrained")
    with mpl.rc_context():
        style.apply()
        a, b = fig.subplots(1, 2, sharey=True)
        xc, oc = np.asarray(x)[..., channel].ravel(), np.asarray(out)[..., channel].ravel()
        a.hist(xc, bins=30, color=style.PALETTE["vermillion"])
        a.set(title=f"before: mean {xc.mean():.2f}, std {xc.std():.2f}", xlabel="activation")
        b.hist(oc, bins=30, color=style.PALETTE["blue"])
        b.set(title=f"after BN (training): mean {oc.mean():.2f}, std {oc.std():.2f}", xlabel="activation")
    return fig


def pretrained_table_markdown(rows: list[dict]) -> str:
    """The rows of :func:`coursekit.cnn_architectures.pretrained_networks_table` as a Markdown table.

    The "notes'" columns are the table in the lecture notes (Salvatore, IUSS Pavia); the others
    are recomputed from Keras.
    """
    head = ("| network | notes' depth | Keras depth (conv+dense path) | layers with weights | notes' params (M) "
            "| Keras params (M) | notes' size (MB) | float32 size (MB) | notes' input | Keras input | note |")
    lines = [head, "|" + "---|" * 11]

    def f(v, fmt="{}"):
        return "" if v is None else fmt.format(v)

    for r in rows:
        lines.append(
            f"| {r['name']} | {f(r['lecture_depth'])} | {f(r['conv_dense_depth'])} | {f(r['layers_with_weights'])} "
            f"| {f(r['lecture_params_m'])} | {f(r['params_m'], '{:.2f}')} | {f(r['lecture_size_mb'])} "
            f"| {f(r['size_mb'], '{:.0f}')} | {f(r['lecture_input'])} | {f(r['input_size'])} | {r['note']} |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# HTML tables, the factors behind vanishing gradients, up-sampling, activation maximisation
# ---------------------------------------------------------------------------------------------

def layer_table_html(rows: list[dict], receptive_field: bool = True, share: bool = False,
                     font_size: str | None = None) -> Table:
    """The rows of :func:`coursekit.cnn_architectures.layer_table` as an HTML table with a total row.

    Columns: layer, type, output shape (without the batch axis), parameters, and optionally the
    receptive field ("n/a" after up-sampling) and each layer's share of the parameters.
    """
    total = sum(r["params"] for r in rows)
    columns = ["layer", "type", "output shape", "parameters"]
    columns += ["receptive field"] * receptive_field + ["share"] * share
    body = []
    for r in rows:
        shape = "" if r["output_shape"] is None else "×".join(str(d) for d in r["output_shape"][1:])
        line = [r["name"], r["type"], shape, r["params"]]
        if receptive_field:
            rf = r["receptive_field"]
            line.append("n/a" if r.get("after_upsampling") else ("" if rf is None else f"{rf[0]}×{rf[1]}"))
        if share:
            line.append(f"{r['params'] / total:.1%}" if total else "")
        body.append(line)
    last = ["total", "", "", total] + [""] * receptive_field + (["100%"] if share else [])
    return table(body + [last], columns, font_size=font_size)


def _fmt(value, fmt="{:.2f}"):
    return "" if value is None else fmt.format(value)


def pretrained_tables(rows: list[dict]) -> tuple[Table, Table]:
    """Two HTML tables of the computed rows of :func:`coursekit.cnn_architectures.pretrained_networks_table`.

    First: parameters (the notes' millions, ``count_params``, trainable, their difference, how
    computed).  Second: depth, size and input (notes' value beside the computed one).  Rows that are
    not computed are left out (the caller lists them).
    """
    done = [r for r in rows if r["params_m"] is not None]
    params = table(
        [(r["name"], f"{r['lecture_params_m']}", _fmt(r["params_m"]), _fmt(r["trainable_params_m"]),
          f"{r['params_m'] - r['lecture_params_m']:+.2f}", r["method"] or "") for r in done],
        ["network", "notes (M)", "count_params (M)", "trainable (M)", "count − notes (M)", "computed by"])
    other = table(
        [(r["name"], _fmt(r["lecture_depth"], "{}"), _fmt(r["conv_dense_depth"], "{}"),
          _fmt(r["layers_with_weights"], "{}"), f"{r['lecture_size_mb']}", _fmt(r["size_mb"], "{:.0f}"),
          f"{r['lecture_input']}", _fmt(r["input_size"], "{}")) for r in done],
        ["network", "notes' depth", "conv+dense path", "layers with weights", "notes' MB", "float32 MB",
         "notes' input", "Keras input"])
    return params, other


def gradient_factors_figure(results: list[dict[str, Any]]) -> Figure:
    """First-to-last-layer gradient norms of several :func:`~coursekit.cnn_architectures.skip_gradient_norms` runs.

    One panel without batch norm, one with (as present in ``results``); plain stacks in vermillion,
    residual in blue, Glorot initialisation solid, He dashed.
    """
    import matplotlib as mpl

    panels = sorted({bool(r["batch_norm"]) for r in results})
    fig = Figure(figsize=(11.0, 4.6), dpi=100, layout="constrained")
    with mpl.rc_context():
        style.apply()
        axes = np.atleast_1d(fig.subplots(1, len(panels), sharey=True))
        for ax, bn in zip(axes, panels):
            for r in results:
                if bool(r["batch_norm"]) != bn:
                    continue
                short = "He" if r["kernel_initializer"].startswith("he") else "Glorot"
                for kind, colour, marker in (("plain", "vermillion", "o"), ("residual", "blue", "s")):
                    if kind in r:
                        depth = np.arange(1, len(r[kind]) + 1)
                        ax.semilogy(depth, r[kind], marker=marker, color=style.PALETTE[colour],
                                    ls="-" if short == "Glorot" else "--", label=f"{kind}, {short}")
            ax.set(xlabel="conv layer (1 = input side)", title="with batch norm" if bn else "no batch norm")
        axes[0].set_ylabel("‖∂loss/∂kernel‖")
        handles, names = axes[0].get_legend_handles_labels()
        fig.legend(handles, names, loc="outside right center")
    return fig


def _annotated_grid(ax, values: np.ndarray, title: str) -> None:
    ax.imshow(values, cmap="Blues", vmin=0, vmax=max(float(np.max(values)), 1e-12) * 1.6)
    for (i, j), v in np.ndenumerate(values):
        ax.text(j, i, f"{v:g}", ha="center", va="center", color="black")
    ax.set_title(title)
    image_axes(ax)


def upsampling_figure(panels: dict[str, np.ndarray], kernel=None) -> Figure:
    """The arrays of :func:`coursekit.cnn_architectures.upsampling_comparison`, each cell labelled."""
    import matplotlib as mpl

    fig = Figure(figsize=(11.0, 3.3), dpi=100, layout="constrained")
    with mpl.rc_context():
        style.apply()
        axes = fig.subplots(1, len(panels), width_ratios=[np.shape(v)[1] for v in panels.values()])
        for ax, (name, values) in zip(axes, panels.items()):
            title = name if name != "Conv2DTranspose" or kernel is None else \
                f"Conv2DTranspose\nkernel {np.asarray(kernel).tolist()}"
            _annotated_grid(ax, np.asarray(values), title)
    return fig


def activation_maximization_figure(result: dict[str, Any], class_means: np.ndarray | None = None) -> Figure:
    """The images of :func:`coursekit.cnn_architectures.activation_maximization`, one per class.

    Top row: the synthesised input of each class and the probability the model gives it; bottom
    row (if ``class_means`` (n, H, W) is given): the average training image of the class.
    """
    import matplotlib as mpl

    images = np.asarray(result["images"])
    n = len(images)
    rows = 1 + (class_means is not None)
    fig = Figure(figsize=(11.0, 1.35 * rows + 0.6), dpi=100, layout="constrained")
    with mpl.rc_context():
        style.apply()
        axes = fig.subplots(rows, n, squeeze=False)
        for i, c in enumerate(result["classes"]):
            p = result["probabilities"][i, c]
            axes[0, i].imshow(images[i, ..., 0] if images.ndim == 4 else images[i], cmap=style.GRAY_CMAP,
                              vmin=0, vmax=1)
            axes[0, i].set_title(f"{c}: p={p:.2f}")
            if class_means is not None:
                axes[1, i].imshow(class_means[i], cmap=style.GRAY_CMAP, vmin=0, vmax=1)
                axes[1, i].set_title(f"mean {c}")
        for ax in axes.ravel():
            image_axes(ax)
        axes[0, 0].set_ylabel("optimised")
        if class_means is not None:
            axes[1, 0].set_ylabel("average")
    return fig
