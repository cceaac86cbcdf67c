"""Lecture 4 widgets and figures: a kernel sliding over an image, pooling under a shift.

    from coursekit.widgets.convolution import KernelSlideWidget, PoolingShiftWidget
    w = KernelSlideWidget()            # display w; move kernel size / stride / padding / cell
    w.state["output_size"], w.state["multiply_add"], w.state["output"]

Every number shown comes from :mod:`coursekit.convolution` (``conv2d``, ``pad_input``,
``same_padding``, ``conv_output_length``, the pooling functions, ``kernel_of``,
``pooling_shift_stats``); this module only chooses what to draw.  Static figures for the lecture
(the lecture's matrix examples, classic kernels on a photograph, a digit and its shifted/brightened/
occluded copies, Hubel and Wiesel's simple and complex cells) are plain functions returning a
matplotlib ``Figure``, at most 11 in wide at 100 dpi with text of at least 12 pt (a projector).
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
from coursekit.convolution import (
    CLASSIC_KERNELS,
    IMAGE_VARIATIONS,
    KERNEL_KINDS,
    LECTURE_IMAGE,
    LINE_DETECTOR,
    bar_image,
    edge_detector_map,
    kernel_of,
    multiply_add_terms,
    pooling_shift_stats,
    shift_image,
    simple_complex_responses,
)
from coursekit.widgets.base import FigureWidget, dropdown, image_axes, int_slider

__all__ = [
    "IMAGES", "POOL_IMAGES", "KernelSlideWidget", "PoolingShiftWidget",
    "matrix_equation_figure", "matrices_figure", "kernel_gallery_figure", "format_multiply_add",
    "variations_figure", "simple_complex_figure",
]


# -- the images the widgets offer -----------------------------------------------------------------

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
    "4x4 example": LECTURE_IMAGE.copy,
    "digit 3 (8x8, ink 0-16)": _digit_image,
    "impulse 5x5": _impulse_image,
}


def _fmt(v: float) -> str:
    """Short number: integers without decimals, others with up to 3 significant digits."""
    v = float(v)
    if abs(v - round(v)) < 1e-9:
        return str(int(round(v)))
    return f"{v:.3g}"


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
    image_axes(ax)


# ---------------------------------------------------------------------------------------------
# The sliding-kernel widget
# ---------------------------------------------------------------------------------------------

class KernelSlideWidget(FigureWidget):
    """A kernel sliding over a small image: kernel size, stride and padding, one output cell at a time.

    Controls (attributes): ``image`` (dropdown of :data:`IMAGES`), ``kind`` (dropdown of
    :data:`coursekit.convolution.KERNEL_KINDS`), ``kernel_size`` (1-5), ``stride`` (1-3), ``padding``
    ("valid"/"same"), ``cell`` (index of the current output cell in row-major order).

    ``state`` (what the figure shows): ``input`` (H, W), ``kernel`` (k, k), ``pads``
    ((top, bottom), (left, right)) from :func:`coursekit.convolution.same_padding`,
    ``padded`` (the zero-padded input), ``output`` (OH, OW) from
    :func:`coursekit.convolution.conv2d`, ``output_size`` (OH, OW), ``formula`` (the
    lecture's ``(W + P - K) / S + 1`` with numbers), ``cell_index`` ((i, j)), ``window``
    (k, k) the padded input under the kernel, ``terms`` [(x, w), ...], ``multiply_add``
    (the string) and ``cell_value`` (the output at (i, j)).
    """

    def __init__(self, image: str = "4x4 example", kind: str = "diagonal", kernel_size: int = 2,
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
        super().__init__(controls, figsize=(11.0, 4.6), controls_per_row=3,
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

        grid = fig.add_gridspec(2, 3, height_ratios=[3.4, 1.3],
                                width_ratios=[padded.shape[1], k + 1.5, max(ow, 2) + 1.5])
        ax_in, ax_k, ax_out = (fig.add_subplot(grid[0, c]) for c in range(3))
        ax_txt = fig.add_subplot(grid[1, :])
        fs = 12   # 12 pt at 100 dpi: readable on a projector (a 12x12 padded digit still fits)
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
        padded_text = f", padded to {padded.shape[0]}×{padded.shape[1]}" if padded.shape != img.shape else ""
        ax_in.set_title(f"input {img.shape[0]}×{img.shape[1]}{padded_text}")
        _matrix_axes(ax_k, kernel, f"kernel {k}×{k}", cmap=style.DIVERGING_CMAP, fontsize=fs,
                     vmin=-np.abs(kernel).max(), vmax=np.abs(kernel).max())
        image_axes(ax_in)
        done = np.zeros_like(out, dtype=bool)
        done.ravel()[: idx + 1] = True
        ax_out.imshow(np.where(done, out, np.nan), cmap=style.SEQUENTIAL_CMAP, vmin=out.min(), vmax=out.max())
        _annotate(ax_out, out, fs, mask=done)
        ax_out.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, lw=4, edgecolor=style.PALETTE["orange"]))
        ax_out.set_xlim(-0.5, ow - 0.5)
        ax_out.set_ylim(oh - 0.5, -0.5)
        ax_out.set_title(f"output {oh}×{ow}")
        image_axes(ax_out)
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

# A letter H of bars: its ReLU detector map has isolated peaks, so a shift visibly moves them
# (in the spirit of Vandin's "before/after shift" figure, University of Padova).
def _bars_image() -> np.ndarray:
    img = np.zeros((12, 12))
    img[2:10, 3] = 1.0
    img[2:10, 8] = 1.0
    img[5, 3:9] = 1.0
    return img


POOL_IMAGES = {"letter H (12x12)": _bars_image, "digit 3 (8x8)": lambda: _digit_image() / 16.0}


class PoolingShiftWidget(FigureWidget):
    """Max/average pooling of a detector map, before and after shifting the input.

    Controls: ``image``, ``kind`` ("max"/"average"), ``pool_size`` (1-4; 1 = no pooling),
    ``shift`` (pixels to the right, 0-3).  The detector map is ReLU(conv2d(image, vertical
    Sobel kernel, "same")) from :mod:`coursekit.convolution`.  ``state``: ``map``,
    ``map_shifted``, ``pooled``, ``pooled_shifted`` and the fractions/relative changes of
    :func:`coursekit.convolution.pooling_shift_stats`.
    """

    def __init__(self, image: str = "letter H (12x12)", kind: str = "max", pool_size: int = 2, shift: int = 1):
        self._images = {name: make() for name, make in POOL_IMAGES.items()}
        super().__init__({
            "image": dropdown("image", list(POOL_IMAGES), image),
            "kind": dropdown("pooling", ["max", "average"], kind),
            "pool_size": int_slider("pool size", pool_size, 1, 4),
            "shift": int_slider("shift (px)", shift, 0, 3),
        }, figsize=(11.0, 4.6), title="Pooling and translation invariance")

    def draw(self, fig: Figure) -> dict[str, Any]:
        img = self._images[self.image.value]
        detect = edge_detector_map
        shifted = shift_image(img, self.shift.value)
        fmap, fmap_s = detect(img), detect(shifted)
        stats = pooling_shift_stats(fmap, fmap_s, self.pool_size.value, self.kind.value)
        axes = fig.subplots(2, 3)
        vmax = max(fmap.max(), 1e-9)
        panels = [(img, "input", style.GRAY_CMAP, 1.0),
                  (fmap, "ReLU(vertical-edge conv)", style.SEQUENTIAL_CMAP, vmax),
                  (stats["pooled"], f"{self.kind.value} pool {self.pool_size.value}", style.SEQUENTIAL_CMAP, vmax),
                  (shifted, f"input shifted {self.shift.value} px right", style.GRAY_CMAP, 1.0),
                  (fmap_s, "detector map after the shift", style.SEQUENTIAL_CMAP, vmax),
                  (stats["pooled_shifted"], "pooled after the shift", style.SEQUENTIAL_CMAP, vmax)]
        for ax, (values, title, cmap, vm) in zip(axes.ravel(), panels):
            ax.imshow(values, cmap=cmap, vmin=0, vmax=vm)
            ax.set_title(title, fontsize=12)
            image_axes(ax)
        changed = ~np.isclose(stats["pooled"], stats["pooled_shifted"], atol=1e-9, rtol=0)
        for r, c in zip(*np.nonzero(changed)):
            axes[1, 2].add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, lw=2.5,
                                           edgecolor=style.PALETTE["vermillion"]))
        for ax, which in ((axes[1, 1], "map"), (axes[1, 2], "pooled")):
            ax.set_xlabel(f"active cells unchanged: {stats['unchanged_' + which]:.0%}\n"
                          f"relative change {stats['relative_change_' + which]:.2f}")
        return {"map": fmap, "map_shifted": fmap_s, **stats}


# ---------------------------------------------------------------------------------------------
# Static figures
# ---------------------------------------------------------------------------------------------

def matrix_equation_figure(image: np.ndarray, kernel: np.ndarray, output: np.ndarray,
                           title: str = "", op: str = "*") -> Figure:
    """``image op kernel = output`` drawn as three annotated matrices (as on the lecture's slide)."""
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
    fig = Figure(figsize=(11.0, 2.6 * nrows), dpi=100, layout="constrained")   # fits a 16:9 slide
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
            ax.set_title(name)
        for ax in axes:
            image_axes(ax)
        for ax in axes[len(results) + 1:]:
            ax.axis("off")
    return fig, results


def matrices_figure(panels: dict[str, np.ndarray], title: str = "", diverging: tuple[str, ...] = (),
                    height: float = 2.6) -> Figure:
    """Small matrices side by side, each annotated with its values: ``{title: (h, w)}``.

    Panels named in ``diverging`` use the diverging colour map (signed values, e.g. a kernel);
    ``height`` in inches (at 100 dpi), the width follows the number of panels (at most 11 in).
    """
    fig = Figure(figsize=(min(11.0, height * len(panels)), height), dpi=100, layout="constrained")
    with _styled():
        axes = fig.subplots(1, len(panels), squeeze=False).ravel()
        for ax, (name, values) in zip(axes, panels.items()):
            values = np.asarray(values, dtype=np.float64)
            if name in diverging:
                lim = max(np.abs(values).max(), 1e-12)
                _matrix_axes(ax, values, name, cmap=style.DIVERGING_CMAP, vmin=-lim, vmax=lim)
            else:
                _matrix_axes(ax, values, name)
        if title:
            fig.suptitle(title)
    return fig


SHORT_VARIATION_NAMES = {"shifted 1 px right (viewpoint)": "shifted 1 px",
                         "shifted 2 px right": "shifted 2 px",
                         "brighter: + 0.3 everywhere (illumination)": "brighter",
                         "right half hidden (occlusion)": "half hidden"}


def variations_figure(images, labels, index: int, variations: dict | None = None) -> tuple[Figure, dict]:
    """One digit, its changed copies (:data:`coursekit.convolution.IMAGE_VARIATIONS`) and the nearest
    digit of another class, each titled with its Euclidean distance from the digit in pixel space.

    images: (n, H, W) in [0, 1]; labels: (n,).  Returns ``(figure, {panel name: distance})``.
    """
    variations = IMAGE_VARIATIONS if variations is None else variations
    x = np.asarray(images, dtype=np.float64)
    y = np.asarray(labels)
    img = x[index]
    others = np.flatnonzero(y != y[index])
    dist_others = np.linalg.norm((x[others] - img).reshape(len(others), -1), axis=1)
    nearest = others[dist_others.argmin()]
    panels = [(f"a {y[index]}", img, 0.0)]
    for name, change in variations.items():
        changed = change(img)
        panels.append((SHORT_VARIATION_NAMES.get(name, name), changed, float(np.linalg.norm(changed - img))))
    panels.append((f"nearest {y[nearest]}", x[nearest], float(dist_others.min())))
    fig = Figure(figsize=(11.0, 2.9), dpi=100, layout="constrained")
    with _styled():
        axes = fig.subplots(1, len(panels))
        for ax, (name, values, d) in zip(axes, panels):
            ax.imshow(values, cmap=style.GRAY_CMAP, vmin=0, vmax=1.3)
            ax.set_title(name if d == 0 else f"{name}\nd = {d:.2f}")
            image_axes(ax)
    return fig, {name: d for name, _, d in panels[1:]}


def simple_complex_figure(size: int = 15, pool: int = 5) -> tuple[Figure, dict]:
    """Hubel and Wiesel's two cell types, modelled: a bar swept across the image (left) and the
    responses of a "simple cell" (one line detector at the centre) and of a "complex cell" (max
    pool of simple cells over ``pool x pool`` positions) at each bar position (right).

    Returns ``(figure, {"vertical": responses, "horizontal": responses})`` from
    :func:`coursekit.convolution.simple_complex_responses`.
    """
    resp = {o: simple_complex_responses(size, pool, o) for o in ("vertical", "horizontal")}
    fig = Figure(figsize=(11.0, 3.9), dpi=100, layout="constrained")
    with _styled():
        ax_img, ax_k, ax_plot = fig.subplots(1, 3, width_ratios=[1.0, 0.55, 2.3])
        centre, half = size // 2, pool // 2
        ax_img.imshow(bar_image(size, centre - 2), cmap=style.GRAY_CMAP, vmin=0, vmax=1)
        ax_img.add_patch(Rectangle((centre - 1.5, centre - 1.5), 3, 3, fill=False, lw=3,
                                   edgecolor=style.PALETTE["orange"]))
        ax_img.add_patch(Rectangle((centre - half - 0.5, centre - half - 0.5), pool, pool, fill=False, lw=3,
                                   edgecolor=style.PALETTE["sky"], ls="--"))
        ax_img.set_title("the stimulus")
        image_axes(ax_img)
        lim = np.abs(LINE_DETECTOR).max()
        ax_k.imshow(LINE_DETECTOR, cmap=style.DIVERGING_CMAP, vmin=-lim, vmax=lim)
        ax_k.set_title("its kernel")
        image_axes(ax_k)
        r = resp["vertical"]
        ax_plot.plot(r["positions"], r["simple"], "o-", color=style.PALETTE["orange"],
                     label="simple cell (conv + ReLU)")
        ax_plot.plot(r["positions"], r["complex"], "s--", color=style.PALETTE["blue"],
                     label=f"complex cell (max pool {pool}×{pool})")
        ax_plot.plot(r["positions"], resp["horizontal"]["complex"], ":", color="black",
                     label="both, horizontal bar")
        ax_plot.set_xlabel("column of the vertical bar")
        ax_plot.set_ylabel("response")
        ax_plot.set_ylim(-0.1, 1.5)
        ax_plot.legend(loc="upper left", ncols=1, frameon=False)
    return fig, resp


@contextlib.contextmanager
def _styled():
    """The course's rcParams for the duration of a static figure's drawing."""
    with mpl.rc_context():
        style.apply()
        yield
