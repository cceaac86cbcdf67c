"""Lecture 5 widgets, experiments and figures: receptive fields, skip connections, feature maps.

    from coursekit.widgets.cnn_architectures import ReceptiveFieldWidget, skip_gradient_norms
    w = ReceptiveFieldWidget()         # layers / kernel / stride sliders
    w.state["receptive_field"]         # == coursekit.cnn_architectures.receptive_field(...)

The architecture math (receptive_field, layer_table, the pretrained table, batch norm) lives in
:mod:`coursekit.cnn_architectures`.  Two things the library does not provide are here because
the lecture needs them: :func:`skip_gradient_norms` (gradient norms per layer of a deep plain vs
residual stack, measured with ``tf.GradientTape``) and :func:`build_tiny_unet` (a two-level U-Net
to show its shapes).  Keras is imported inside the functions.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from coursekit import cnn_architectures as arch
from coursekit import style
from coursekit.keras_setup import import_keras
from coursekit.widgets._base import FigureWidget, int_slider

__all__ = [
    "ReceptiveFieldWidget", "influence_sets", "skip_gradient_norms", "gradient_norms_figure",
    "build_tiny_unet", "feature_maps_figure", "history_figure", "pretrained_table_markdown",
    "batch_norm_figure",
]


def influence_sets(num_layers: int, kernel_size: int, stride: int, pool_every: int = 0) -> list[np.ndarray]:
    """Which units of every layer one top unit depends on, walking down a 1-D "valid" stack.

    Layer l (conv with ``kernel_size``/``stride``; every ``pool_every``-th layer followed by a
    2/2 max-pool) maps unit u to units ``u*s .. u*s + k - 1`` below.  Returns the index sets
    from the top unit (``[0]``) down to the input pixels; ``len(result[-1])`` is the
    receptive field counted directly (independent of the recurrence in
    :func:`coursekit.cnn_architectures.receptive_field`).
    """
    layers = _stack(num_layers, kernel_size, stride, pool_every)
    sets = [np.array([0])]
    for k, s, _ in reversed(layers):
        below = np.unique((sets[-1][:, None] * s + np.arange(k)[None, :]).ravel())
        sets.append(below)
    return sets


def _stack(num_layers, kernel_size, stride, pool_every) -> list[tuple[int, int, str]]:
    """[(kernel, stride, label), ...] input side first."""
    layers = []
    for i in range(1, num_layers + 1):
        layers.append((kernel_size, stride, f"conv {kernel_size}/{stride}"))
        if pool_every and i % pool_every == 0:
            layers.append((2, 2, "max-pool 2/2"))
    return layers


class ReceptiveFieldWidget(FigureWidget):
    """How far one unit sees: a stack of conv layers (and optional 2x2 max-pools) drawn in 1-D.

    Controls: ``num_layers`` (1-6), ``kernel_size`` (1-7, odd or even), ``stride`` (1-3),
    ``pool_every`` (0 = no pooling, n = a 2/2 max-pool after every n-th conv).
    ``state``: ``layers`` [(k, s), ...], ``receptive_field`` (from
    :func:`coursekit.cnn_architectures.receptive_field`), ``counted`` (the input pixels the
    drawing highlights, counted from :func:`influence_sets`), ``per_layer`` (the field after
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
        stack = _stack(n, k, s, pe)
        layers = [(kk, ss) for kk, ss, _ in stack]
        rf = arch.receptive_field(layers)
        per_layer = [arch.receptive_field(layers[:i + 1]) for i in range(len(layers))]
        sets = influence_sets(n, k, s, pe)[::-1]  # input first
        width = len(sets[0])
        ax = fig.subplots()
        names = ["input"] + [label for _, _, label in stack]
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

def skip_gradient_norms(images, labels, num_blocks: int = 10, filters: int = 16, seed: int = 0) -> dict[str, Any]:
    """Gradient norm of every conv kernel in a deep plain stack and in the same stack with skips.

    Both networks: Conv 16@3x3 stem, then ``num_blocks`` blocks of two Conv 3x3 ReLU layers
    ("same", Keras's default Glorot-uniform init, no batch norm), global average pooling and a
    Dense softmax.  The residual version adds each block's input to its output
    (``x + F(x)``), as ResNet does.  One batch, sparse categorical cross-entropy, gradients by
    ``tf.GradientTape``.  Returns ``{"plain": [norms, stem first], "residual": [...],
    "layers": [names], "loss": {...}}``.
    """
    keras = import_keras()
    tf = __import__("tensorflow")
    L = keras.layers
    x = np.asarray(images, dtype=np.float32)
    if x.ndim == 3:
        x = x[..., None]
    y = np.asarray(labels)
    result: dict[str, Any] = {"loss": {}}
    for kind in ("plain", "residual"):
        keras.utils.set_random_seed(seed)  # same initial weights in both networks
        inputs = keras.Input(shape=x.shape[1:])
        h = L.Conv2D(filters, 3, padding="same", activation="relu", name="stem")(inputs)
        for b in range(num_blocks):
            f = L.Conv2D(filters, 3, padding="same", activation="relu", name=f"b{b + 1}_conv1")(h)
            f = L.Conv2D(filters, 3, padding="same", name=f"b{b + 1}_conv2")(f)
            h = L.ReLU()(L.Add()([h, f]) if kind == "residual" else f)
        out = L.Dense(int(y.max()) + 1, activation="softmax")(L.GlobalAveragePooling2D()(h))
        model = keras.Model(inputs, out)
        convs = [layer for layer in model.layers if isinstance(layer, L.Conv2D)]
        loss_fn = keras.losses.SparseCategoricalCrossentropy()
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, [c.kernel for c in convs])
        result[kind] = [float(np.linalg.norm(np.asarray(g))) for g in grads]
        result["layers"] = [c.name for c in convs]
        result["loss"][kind] = float(loss)
    return result


def gradient_norms_figure(result: dict[str, Any]) -> Figure:
    """Per-layer gradient norms (log scale) of :func:`skip_gradient_norms`, input side on the left."""
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
# U-Net (the library has none) and plots
# ---------------------------------------------------------------------------------------------

def build_tiny_unet(input_shape=(64, 64, 1), base_filters: int = 8, levels: int = 2, num_classes: int = 1):
    """A small U-Net (Ronneberger et al. 2015): encoder, bottleneck, decoder with skip concatenations.

    Each level: two Conv 3x3 "same" ReLU then MaxPool 2 (encoder) / Conv2DTranspose 2/2, concatenate
    the encoder's feature map of the same size, two Conv 3x3 (decoder); filters double per level.
    A final 1x1 conv gives one score map per class (sigmoid for 1 class): output ``(H, W, num_classes)``.
    """
    keras = import_keras()
    L = keras.layers
    inputs = keras.Input(shape=tuple(input_shape), name="image")
    skips, x = [], inputs
    for level in range(levels):
        f = base_filters * 2**level
        x = L.Conv2D(f, 3, padding="same", activation="relu", name=f"enc{level + 1}_a")(x)
        x = L.Conv2D(f, 3, padding="same", activation="relu", name=f"enc{level + 1}_b")(x)
        skips.append(x)
        x = L.MaxPooling2D(2, name=f"down{level + 1}")(x)
    f = base_filters * 2**levels
    x = L.Conv2D(f, 3, padding="same", activation="relu", name="bottleneck_a")(x)
    x = L.Conv2D(f, 3, padding="same", activation="relu", name="bottleneck_b")(x)
    for level in reversed(range(levels)):
        f = base_filters * 2**level
        x = L.Conv2DTranspose(f, 2, strides=2, name=f"up{level + 1}")(x)
        x = L.Concatenate(name=f"skip{level + 1}")([x, skips[level]])
        x = L.Conv2D(f, 3, padding="same", activation="relu", name=f"dec{level + 1}_a")(x)
        x = L.Conv2D(f, 3, padding="same", activation="relu", name=f"dec{level + 1}_b")(x)
    activation = "sigmoid" if num_classes == 1 else "softmax"
    outputs = L.Conv2D(num_classes, 1, activation=activation, name="scores")(x)
    return keras.Model(inputs, outputs, name="tiny_unet")


def feature_maps_figure(image: np.ndarray, maps: dict[str, np.ndarray], max_maps: int = 8) -> Figure:
    """The input digit and the first ``max_maps`` channels of each layer's activation (one row each)."""
    import matplotlib as mpl

    rows = len(maps)
    fig = Figure(figsize=(1.35 * (max_maps + 1), 1.6 * rows + 0.4), dpi=100, layout="constrained")
    with mpl.rc_context():
        style.apply()
        axes = fig.subplots(rows, max_maps + 1, squeeze=False)
        img = np.asarray(image).reshape(np.asarray(image).shape[:2])
        for r, (name, act) in enumerate(maps.items()):
            axes[r, 0].imshow(img, cmap=style.GRAY_CMAP) if r == 0 else axes[r, 0].axis("off")
            axes[r, 0].set_title("input" if r == 0 else "", fontsize=11)
            for c in range(max_maps):
                ax = axes[r, c + 1]
                if c < act.shape[-1]:
                    ax.imshow(act[..., c], cmap=style.SEQUENTIAL_CMAP)
                else:
                    ax.axis("off")
                if c == 0:
                    ax.set_title(f"{name} {act.shape[0]}×{act.shape[1]}×{act.shape[2]}", fontsize=11, loc="left")
        for ax in axes.ravel():
            ax.set_xticks([]); ax.set_yticks([]); ax.grid(False)
    return fig


def history_figure(history: dict[str, list[float]], title: str = "training") -> Figure:
    """Accuracy curves (train / validation) of a Keras ``History.history``."""
    import matplotlib as mpl

    fig = Figure(figsize=style.FIGSIZE, dpi=100, layout="constrained")
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
    """The rows of :func:`coursekit.cnn_architectures.pretrained_networks_table` as a Markdown table."""
    head = ("| network | seed depth | Keras depth (conv+dense path) | layers with weights | seed params (M) "
            "| Keras params (M) | seed size (MB) | float32 size (MB) | seed input | Keras input | note |")
    lines = [head, "|" + "---|" * 11]

    def f(v, fmt="{}"):
        return "" if v is None else fmt.format(v)

    for r in rows:
        lines.append(
            f"| {r['name']} | {f(r['seed_depth'])} | {f(r['conv_dense_depth'])} | {f(r['layers_with_weights'])} "
            f"| {f(r['seed_params_m'])} | {f(r['params_m'], '{:.2f}')} | {f(r['seed_size_mb'])} "
            f"| {f(r['size_mb'], '{:.0f}')} | {f(r['seed_input'])} | {f(r['input_size'])} | {r['note']} |")
    return "\n".join(lines)
