"""Lecture 4 widgets and figures: a kernel sliding over an image, pooling under a shift.

    from coursekit.widgets.convolution import KernelSlideWidget, PoolingShiftWidget
    w = KernelSlideWidget()            # display w; move kernel size / stride / padding / cell
    w.state["output_size"], w.state["multiply_add"], w.state["output"]

Every number shown comes from :mod:`coursekit.convolution` (``conv2d``, ``pad_input``,
``same_padding``, ``conv_output_length``, ``max_pool2d``, ``average_pool2d``); this module only
chooses what to draw.  Static figures for the lecture (the seed's matrix examples, classic kernels
on a photograph) are plain functions returning a matplotlib ``Figure``.
"""

from __future__ import annotations

import contextlib
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from coursekit import convolution as conv
from coursekit import style
from coursekit.widgets._base import FigureWidget, dropdown, int_slider

__all__ = [
    "SEED_IMAGE", "SEED_KERNELS", "kernel_of", "KERNEL_KINDS", "IMAGES",
    "KernelSlideWidget", "PoolingShiftWidget",
    "matrix_equation_figure", "kernel_gallery_figure", "CLASSIC_KERNELS",
    "multiply_add_terms", "format_multiply_add", "shift_image", "pooling_shift_stats",
    "edge_detector_map", "translation_invariance",
]

# Seed 000 (lines 1040-1066): a 4x4 input and two 2x2 filters.
SEED_IMAGE = np.array([[1, 1, 1, 3],
                       [4, 6, 4, 8],
                       [30, 0, 1, 5],
                       [0, 2, 2, 4]], dtype=np.float64)
SEED_KERNELS = {
    "diagonal (seed, 1st example)": np.array([[1, 0], [0, 1]], dtype=np.float64),
    "anti-diagonal (seed, 2nd example)": np.array([[0, 1], [1, 0]], dtype=np.float64),
}

# Classic hand-made filters (what a first conv layer tends to learn anyway).
CLASSIC_KERNELS = {
    "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], dtype=np.float64),
    "box blur 3x3": np.full((3, 3), 1 / 9),
    "Gaussian blur": np.outer([1, 2, 1], [1, 2, 1]) / 16.0,
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=np.float64),
    "Sobel x (vertical edges)": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float64),
    "Sobel y (horizontal edges)": np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], dtype=np.float64),
    "Laplacian (all edges)": np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=np.float64),
}

KERNEL_KINDS = ("diagonal", "anti-diagonal", "box blur", "vertical edge", "ramp 1..k*k")


def kernel_of(kind: str, size: int) -> np.ndarray:
    """A ``(size, size)`` kernel of one kind; at size 2 the diagonals are the seed's two filters.

    diagonal: identity matrix; anti-diagonal: flipped identity; box blur: all 1/size**2;
    vertical edge: -1 in the left columns, +1 in the right ones (0 in the middle column);
    ramp: 1, 2, ..., size**2 row by row (asymmetric, so flipping it shows).
    """
    if kind not in KERNEL_KINDS:
        raise ValueError(f"kind must be one of {KERNEL_KINDS}; got {kind!r}")
    if not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"size must be a positive int; got {size!r}")
    if kind == "diagonal":
        return np.eye(size)
    if kind == "anti-diagonal":
        return np.eye(size)[:, ::-1].copy()
    if kind == "box blur":
        return np.full((size, size), 1.0 / size**2)
    if kind == "vertical edge":
        col = np.sign(np.arange(size) - (size - 1) / 2)
        return np.tile(col, (size, 1))
    return np.arange(1, size * size + 1, dtype=np.float64).reshape(size, size)


def _digit_image() -> np.ndarray:
    from coursekit.data import digits_8x8

    images, labels = digits_8x8()
    return np.round(images[np.flatnonzero(labels == 3)[0]] * 16)  # raw 0..16 ink counts


def _impulse_image() -> np.ndarray:
    img = np.zeros((5, 5))
    img[2, 2] = 1.0
    return img


# name -> callable returning the 2-D image (lazy: the digits load scikit-learn)
IMAGES = {
    "seed 4x4": lambda: SEED_IMAGE.copy(),
    "digit 3 (8x8, ink 0-16)": _digit_image,
    "impulse 5x5": _impulse_image,
}


def _fmt(v: float) -> str:
    """Short number: integers without decimals, others with up to 3 significant digits."""
    v = float(v)
    if abs(v - round(v)) < 1e-9:
        return str(int(round(v)))
    return f"{v:.3g}"


def multiply_add_terms(window: np.ndarray, kernel: np.ndarray) -> list[tuple[float, float]]:
    """The (input, weight) pairs of one output cell, row by row: ``sum(x * w)`` is the cell."""
    return list(zip(np.ravel(window).tolist(), np.ravel(kernel).tolist()))


def format_multiply_add(terms, bias: float = 0.0, per_line: int | None = None) -> str:
    """``"1*1 + 1*0 + 4*0 + 6*1 = 7"`` (``×`` as the sign); wraps after ``per_line`` terms."""
    parts = [f"{_fmt(x)}×{_fmt(w)}" for x, w in terms]
    if bias:
        parts.append(_fmt(bias))
    total = sum(x * w for x, w in terms) + bias
    if per_line:
        lines = [" + ".join(parts[i:i + per_line]) for i in range(0, len(parts), per_line)]
        body = " +\n".join(lines)
    else:
        body = " + ".join(parts)
    return f"{body} = {_fmt(total)}"


def _annotate(ax, values: np.ndarray, fontsize: int = 12, mask: np.ndarray | None = None,
              diverging: bool = False) -> None:
    """Write each value in its cell: white on dark cells (low viridis, strong diverging), else black."""
    lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
    span = hi - lo if hi > lo else 1.0
    big = max(abs(lo), abs(hi), 1e-12)
    for (i, j), v in np.ndenumerate(values):
        if mask is not None and not mask[i, j]:
            continue
        dark = abs(v) / big > 0.6 if diverging else (v - lo) / span < 0.55
        ax.text(j, i, _fmt(v), ha="center", va="center", fontsize=fontsize,
                color="white" if dark else "black")


def _matrix_axes(ax, values, title, cmap=style.SEQUENTIAL_CMAP, fontsize=12, annotate=True, vmin=None, vmax=None):
    ax.imshow(values, cmap=cmap, vmin=vmin, vmax=vmax)
    if annotate:
        _annotate(ax, values, fontsize, diverging=cmap == style.DIVERGING_CMAP)
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)


# ---------------------------------------------------------------------------------------------
# The sliding-kernel widget
# ---------------------------------------------------------------------------------------------

class KernelSlideWidget(FigureWidget):
    """A kernel sliding over a small image: kernel size, stride and padding, one output cell at a time.

    Controls (attributes): ``image`` (dropdown of :data:`IMAGES`), ``kind`` (dropdown of
    :data:`KERNEL_KINDS`), ``kernel_size`` (1-5), ``stride`` (1-3), ``padding``
    ("valid"/"same"), ``cell`` (index of the current output cell in row-major order).

    ``state`` (what the figure shows): ``input`` (H, W), ``kernel`` (k, k), ``pads``
    ((top, bottom), (left, right)) from :func:`coursekit.convolution.same_padding`,
    ``padded`` (the zero-padded input), ``output`` (OH, OW) from
    :func:`coursekit.convolution.conv2d`, ``output_size`` (OH, OW), ``formula`` (the
    lecture's ``(W + P - K) / S + 1`` with numbers), ``cell_index`` ((i, j)), ``window``
    (k, k) the padded input under the kernel, ``terms`` [(x, w), ...], ``multiply_add``
    (the string) and ``cell_value`` (the output at (i, j)).
    """

    def __init__(self, image: str = "seed 4x4", kind: str = "diagonal", kernel_size: int = 2,
                 stride: int = 1, padding: str = "valid", cell: int = 0):
        self._images = {name: make() for name, make in IMAGES.items()}
        img = self._images[image]
        controls = {
            "image": dropdown("image", list(IMAGES), image),
            "kind": dropdown("kernel", KERNEL_KINDS, kind),
            "kernel_size": int_slider("kernel size K", kernel_size, 1, min(5, min(img.shape))),
            "stride": int_slider("stride S", stride, 1, 3),
            "padding": dropdown("padding", ["valid", "same"], padding),
            "cell": int_slider("output cell", cell, 0, 80),
        }
        # These observers run BEFORE the redraw FigureWidget attaches: they keep the kernel size
        # within the image and the cell index within the output, changing both in one redraw.
        for name in ("image", "kernel_size", "stride", "padding"):
            controls[name].observe(self._clamp, names="value")
        super().__init__(controls, figsize=(11.0, 5.6), controls_per_row=3,
                         title="A kernel sliding over an image (cross-correlation, as Keras computes)")
        self._clamp(None)
        if self._pending:
            self._pending = False
            self.update()

    def _sizes(self) -> tuple[int, int]:
        img = self._images[self.controls["image"].value]
        k, s, p = (self.controls[n].value for n in ("kernel_size", "stride", "padding"))
        return (conv.conv_output_length(img.shape[0], k, s, p), conv.conv_output_length(img.shape[1], k, s, p))

    def _clamp(self, change) -> None:
        # Runs before FigureWidget's own observer of the control that changed, which redraws once
        # afterwards; the redraws the clamping itself would trigger are suppressed meanwhile.
        img = self._images[self.controls["image"].value]
        outer = self._holding
        self._holding = True
        try:
            ks = self.controls["kernel_size"]
            ks.max = min(5, min(img.shape))  # ipywidgets clamps value to the new max
            oh, ow = self._sizes()
            cell = self.controls["cell"]
            cell.max = oh * ow - 1
            if cell.value > cell.max:
                cell.value = cell.max
        finally:
            self._holding = outer

    def draw(self, fig: Figure) -> dict[str, Any]:
        img = self._images[self.image.value]
        k, s, padding = self.kernel_size.value, self.stride.value, self.padding.value
        kernel = kernel_of(self.kind.value, k)
        x4 = img[None, :, :, None]
        k4 = kernel[:, :, None, None]
        out = conv.conv2d(x4, k4, strides=s, padding=padding)[0, :, :, 0]
        padded = conv.pad_input(x4, k, s, padding)[0, :, :, 0]
        if padding == "same":
            pads = (conv.same_padding(img.shape[0], k, s), conv.same_padding(img.shape[1], k, s))
        else:
            pads = ((0, 0), (0, 0))
        oh, ow = out.shape
        idx = min(self.cell.value, oh * ow - 1)
        i, j = divmod(idx, ow)
        window = padded[i * s:i * s + k, j * s:j * s + k]
        terms = multiply_add_terms(window, kernel)
        total_pad = pads[1][0] + pads[1][1]
        formula = (f"(W + P - K) / S + 1 = ({img.shape[1]} + {total_pad} - {k}) / {s} + 1 "
                   f"→ {ow}  (integer division)")
        text = format_multiply_add(terms, per_line=9 if len(terms) > 9 else None)

        grid = fig.add_gridspec(2, 3, height_ratios=[4.2, 1.4], width_ratios=[padded.shape[1], k + 1.5, max(ow, 2) + 1.5])
        ax_in, ax_k, ax_out = (fig.add_subplot(grid[0, c]) for c in range(3))
        ax_txt = fig.add_subplot(grid[1, :])
        fs = 12 if padded.shape[1] <= 8 else 9
        # input with its zero padding greyed out
        is_pad = np.ones_like(padded, dtype=bool)
        (top, _), (left, _) = pads
        is_pad[top:top + img.shape[0], left:left + img.shape[1]] = False
        shown = np.where(is_pad, np.nan, padded)
        ax_in.imshow(shown, cmap=style.SEQUENTIAL_CMAP, vmin=img.min(), vmax=img.max())
        for (r, c), pad in np.ndenumerate(is_pad):
            if pad:
                ax_in.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, facecolor="#DDDDDD", edgecolor="white"))
        _annotate(ax_in, padded, fs)
        ax_in.add_patch(Rectangle((j * s - 0.5, i * s - 0.5), k, k, fill=False, lw=4,
                                  edgecolor=style.PALETTE["orange"]))
        ax_in.set_title(f"input {img.shape[0]}×{img.shape[1]}" + (f", padded to {padded.shape[0]}×{padded.shape[1]}" if padding == "same" and padded.shape != img.shape else ""))
        _matrix_axes(ax_k, kernel, f"kernel {k}×{k}", cmap=style.DIVERGING_CMAP, fontsize=fs,
                     vmin=-np.abs(kernel).max(), vmax=np.abs(kernel).max())
        for ax in (ax_in,):
            ax.set_xticks([]); ax.set_yticks([]); ax.grid(False)
        done = np.zeros_like(out, dtype=bool)
        done.ravel()[: idx + 1] = True
        ax_out.imshow(np.where(done, out, np.nan), cmap=style.SEQUENTIAL_CMAP, vmin=out.min(), vmax=out.max())
        _annotate(ax_out, out, fs, mask=done)
        ax_out.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, lw=4, edgecolor=style.PALETTE["orange"]))
        ax_out.set_xlim(-0.5, ow - 0.5)
        ax_out.set_ylim(oh - 0.5, -0.5)
        ax_out.set_title(f"output {oh}×{ow}")
        ax_out.set_xticks([]); ax_out.set_yticks([]); ax_out.grid(False)
        ax_txt.axis("off")
        pad_text = f"padding={padding!r}: (top, bottom), (left, right) = {pads}"
        ax_txt.text(0.0, 1.0, f"{pad_text}\nOutput width: {formula}\n"
                    f"output[{i}, {j}] = {text}", va="top", ha="left", fontsize=12, family="monospace",
                    transform=ax_txt.transAxes)
        return {"input": img, "kernel": kernel, "pads": pads, "padded": padded, "output": out,
                "output_size": (oh, ow), "formula": formula, "cell_index": (i, j), "window": window,
                "terms": terms, "multiply_add": text, "cell_value": float(out[i, j])}


# ---------------------------------------------------------------------------------------------
# Pooling and translation invariance
# ---------------------------------------------------------------------------------------------

def shift_image(image: np.ndarray, dx: int, dy: int = 0) -> np.ndarray:
    """Shift a 2-D image right by ``dx`` and down by ``dy`` pixels, filling with zeros."""
    img = np.asarray(image, dtype=np.float64)
    out = np.zeros_like(img)
    h, w = img.shape
    if abs(dx) >= w or abs(dy) >= h:
        return out
    src = img[max(0, -dy):h - max(0, dy), max(0, -dx):w - max(0, dx)]
    out[max(0, dy):max(0, dy) + src.shape[0], max(0, dx):max(0, dx) + src.shape[1]] = src
    return out


def pooling_shift_stats(feature_map: np.ndarray, shifted_map: np.ndarray, pool_size: int,
                        kind: str = "max", atol: float = 1e-9) -> dict[str, float]:
    """How much of a feature map, and of its pooled version, is unchanged by a shift of the input.

    Returns ``unchanged_map`` and ``unchanged_pooled``: among the cells that are active
    (non-zero) before or after the shift, the fraction whose value did not change (within
    ``atol``); and ``relative_change_map`` / ``relative_change_pooled``:
    ``||after - before|| / ||before||``.  Pooling uses :mod:`coursekit.convolution`;
    ``pool_size`` 1 means no pooling.
    """
    pool = conv.max_pool2d if kind == "max" else conv.average_pool2d
    a = np.asarray(feature_map, dtype=np.float64)
    b = np.asarray(shifted_map, dtype=np.float64)
    pa = pool(a[None, :, :, None], pool_size)[0, :, :, 0]
    pb = pool(b[None, :, :, None], pool_size)[0, :, :, 0]

    def rel(x, y):
        return float(np.linalg.norm(y - x) / max(np.linalg.norm(x), 1e-12))

    def unchanged(x, y):
        active = (np.abs(x) > atol) | (np.abs(y) > atol)
        if not active.any():
            return 1.0
        return float(np.mean(np.isclose(x[active], y[active], atol=atol, rtol=0)))

    return {"unchanged_map": unchanged(a, b), "unchanged_pooled": unchanged(pa, pb),
            "relative_change_map": rel(a, b), "relative_change_pooled": rel(pa, pb),
            "pooled": pa, "pooled_shifted": pb}


# A 1-D row in the spirit of seed 002's "before/after shift" figure, as a 2-D strip image,
# plus a bar pattern: both give ReLU detector maps with isolated peaks.
def _bars_image() -> np.ndarray:
    img = np.zeros((12, 12))
    img[2:10, 3] = 1.0
    img[2:10, 8] = 1.0
    img[5, 3:9] = 1.0
    return img


POOL_IMAGES = {"letter H (12x12)": _bars_image, "digit 3 (8x8)": lambda: _digit_image() / 16.0}


def edge_detector_map(image: np.ndarray) -> np.ndarray:
    """ReLU(conv2d(image, vertical Sobel, "same")): a one-filter conv layer's feature map (H, W)."""
    kernel = CLASSIC_KERNELS["Sobel x (vertical edges)"][:, :, None, None]
    x = np.asarray(image, dtype=np.float64)[None, :, :, None]
    return np.maximum(conv.conv2d(x, kernel, padding="same")[0, :, :, 0], 0.0)


def translation_invariance(images, pool_sizes=(1, 2, 4), shift: int = 1, kind: str = "max") -> dict[int, dict[str, float]]:
    """Mean over ``images`` of :func:`pooling_shift_stats` for each pool size (shift right by ``shift``).

    Returns ``{pool_size: {"unchanged": mean fraction of active cells unchanged,
    "relative_change": mean relative change}}``; pool size 1 is the detector map itself.
    """
    maps = [(edge_detector_map(img), edge_detector_map(shift_image(img, shift))) for img in images]
    result = {}
    for p in pool_sizes:
        stats = [pooling_shift_stats(a, b, p, kind) for a, b in maps]
        result[int(p)] = {"unchanged": float(np.mean([s["unchanged_pooled"] for s in stats])),
                          "relative_change": float(np.mean([s["relative_change_pooled"] for s in stats]))}
    return result


class PoolingShiftWidget(FigureWidget):
    """Max/average pooling of a detector map, before and after shifting the input.

    Controls: ``image``, ``kind`` ("max"/"average"), ``pool_size`` (1-4; 1 = no pooling),
    ``shift`` (pixels to the right, 0-3).  The detector map is ReLU(conv2d(image, vertical
    Sobel kernel, "same")) from :mod:`coursekit.convolution`.  ``state``: ``map``,
    ``map_shifted``, ``pooled``, ``pooled_shifted`` and the fractions/relative changes of
    :func:`pooling_shift_stats`.
    """

    def __init__(self, image: str = "letter H (12x12)", kind: str = "max", pool_size: int = 2, shift: int = 1):
        self._images = {name: make() for name, make in POOL_IMAGES.items()}
        super().__init__({
            "image": dropdown("image", list(POOL_IMAGES), image),
            "kind": dropdown("pooling", ["max", "average"], kind),
            "pool_size": int_slider("pool size", pool_size, 1, 4),
            "shift": int_slider("shift (px)", shift, 0, 3),
        }, figsize=(11.0, 5.2), title="Pooling and translation invariance")

    def draw(self, fig: Figure) -> dict[str, Any]:
        img = self._images[self.image.value]
        detect = edge_detector_map
        shifted = shift_image(img, self.shift.value)
        fmap, fmap_s = detect(img), detect(shifted)
        stats = pooling_shift_stats(fmap, fmap_s, self.pool_size.value, self.kind.value)
        axes = fig.subplots(2, 3)
        vmax = max(fmap.max(), 1e-9)
        panels = [(img, "input", style.GRAY_CMAP, 1.0), (fmap, "ReLU(vertical-edge conv)", style.SEQUENTIAL_CMAP, vmax),
                  (stats["pooled"], f"{self.kind.value} pool {self.pool_size.value}", style.SEQUENTIAL_CMAP, vmax),
                  (shifted, f"input shifted {self.shift.value} px right", style.GRAY_CMAP, 1.0),
                  (fmap_s, "detector map after the shift", style.SEQUENTIAL_CMAP, vmax),
                  (stats["pooled_shifted"], "pooled after the shift", style.SEQUENTIAL_CMAP, vmax)]
        for ax, (values, title, cmap, vm) in zip(axes.ravel(), panels):
            ax.imshow(values, cmap=cmap, vmin=0, vmax=vm)
            ax.set_title(title, fontsize=12)
            ax.set_xticks([]); ax.set_yticks([]); ax.grid(False)
        changed = ~np.isclose(stats["pooled"], stats["pooled_shifted"], atol=1e-9, rtol=0)
        for r, c in zip(*np.nonzero(changed)):
            axes[1, 2].add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, lw=2.5,
                                           edgecolor=style.PALETTE["vermillion"]))
        axes[1, 1].set_xlabel(f"active cells unchanged: {stats['unchanged_map']:.0%}\nrelative change {stats['relative_change_map']:.2f}")
        axes[1, 2].set_xlabel(f"active cells unchanged: {stats['unchanged_pooled']:.0%}\nrelative change {stats['relative_change_pooled']:.2f}")
        return {"map": fmap, "map_shifted": fmap_s, **stats}


# ---------------------------------------------------------------------------------------------
# Static figures
# ---------------------------------------------------------------------------------------------

def matrix_equation_figure(image: np.ndarray, kernel: np.ndarray, output: np.ndarray,
                           title: str = "", op: str = "*") -> Figure:
    """``image op kernel = output`` drawn as three annotated matrices (the seed's slide)."""
    fig = Figure(figsize=(10.0, 3.6), dpi=100, layout="constrained")
    with _styled():
        axes = fig.subplots(1, 5, width_ratios=[image.shape[1], 0.6, kernel.shape[1], 0.6, output.shape[1]])
        _matrix_axes(axes[0], image, "input")
        _matrix_axes(axes[2], kernel, "kernel", cmap=style.DIVERGING_CMAP,
                     vmin=-np.abs(kernel).max(), vmax=np.abs(kernel).max())
        _matrix_axes(axes[4], output, "output")
        for ax, sym in ((axes[1], op), (axes[3], "=")):
            ax.axis("off")
            ax.text(0.5, 0.5, sym, fontsize=28, ha="center", va="center", transform=ax.transAxes)
        if title:
            fig.suptitle(title)
    return fig


def kernel_gallery_figure(image: np.ndarray, kernels: dict[str, np.ndarray] | None = None,
                          ncols: int = 4) -> tuple[Figure, dict[str, np.ndarray]]:
    """Filter a grey image with each kernel (``conv2d``, "same") and show the results.

    Returns ``(figure, {name: filtered (H, W)})``.  Edge maps are shown with a diverging
    colour map centred on 0 (their sign is the direction of the edge).
    """
    kernels = CLASSIC_KERNELS if kernels is None else kernels
    img = np.asarray(image, dtype=np.float64)
    results = {name: conv.conv2d(img[None, :, :, None], k[:, :, None, None], padding="same")[0, :, :, 0]
               for name, k in kernels.items()}
    nrows = -(-(len(results) + 1) // ncols)
    fig = Figure(figsize=(3.0 * ncols, 3.2 * nrows), dpi=100, layout="constrained")
    with _styled():
        axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
        axes[0].imshow(img, cmap=style.GRAY_CMAP, vmin=0, vmax=1)
        axes[0].set_title("photograph")
        for ax, (name, out) in zip(axes[1:], results.items()):
            if (kernels[name] < 0).any() and abs(kernels[name].sum()) < 1e-9:  # edge detector
                lim = np.percentile(np.abs(out), 99.5)
                ax.imshow(out, cmap=style.DIVERGING_CMAP, vmin=-lim, vmax=lim)
            else:
                ax.imshow(out, cmap=style.GRAY_CMAP, vmin=0, vmax=1)
            ax.set_title(name, fontsize=12)
        for ax in axes:
            ax.set_xticks([]); ax.set_yticks([]); ax.grid(False)
        for ax in axes[len(results) + 1:]:
            ax.axis("off")
    return fig, results


@contextlib.contextmanager
def _styled():
    """The course's rcParams for the duration of a static figure's drawing."""
    with mpl.rc_context():
        style.apply()
        yield
