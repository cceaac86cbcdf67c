"""Figure style shared by lectures and widgets: projector-readable, colour-blind safe.

Colours are the Okabe-Ito palette (distinguishable with the common colour-vision
deficiencies); sizes are in inches at 100 dpi, large enough for a projector.
The first cell of a lecture calls :func:`setup_lecture`.
"""

from __future__ import annotations

# Okabe & Ito (2008), "Color Universal Design".
PALETTE = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}
CYCLE = [PALETTE[k] for k in ("blue", "orange", "green", "vermillion", "sky", "purple", "yellow", "black")]
DIVERGING_CMAP = "RdBu_r"      # signed values (kernels, gradients); red/blue is safe for deuteranopes
SEQUENTIAL_CMAP = "viridis"    # magnitudes, images of activations
GRAY_CMAP = "gray"

FIGSIZE = (8.0, 4.5)           # 16:9, fits one slide
FIGSIZE_WIDE = (10.0, 4.0)
FIGSIZE_SQUARE = (5.0, 5.0)
FONT_SIZE = 13


def apply() -> None:
    """Apply the course style to matplotlib's global rcParams."""
    import matplotlib as mpl
    from cycler import cycler

    mpl.rcParams.update({
        "axes.prop_cycle": cycler(color=CYCLE),
        "figure.figsize": FIGSIZE,
        "figure.dpi": 100,
        "font.size": FONT_SIZE,
        "axes.titlesize": FONT_SIZE + 1,
        "axes.labelsize": FONT_SIZE,
        "lines.linewidth": 2.0,
        "image.cmap": SEQUENTIAL_CMAP,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "animation.embed_limit": 40.0,  # MB; to_jshtml animations stay embedded in exports
    })


def setup_lecture(blas_threads: int | None = 1) -> None:
    """First cell of every lecture: the course figure style, and BLAS limited to ``blas_threads`` threads.

    The lectures multiply small matrices; on a shared 2-core machine OpenBLAS's worker threads
    only contend (measured: a small MLP trains 10x faster with one thread).  ``None`` leaves BLAS alone.
    """
    apply()
    if blas_threads is not None:
        from threadpoolctl import threadpool_limits

        threadpool_limits(blas_threads, user_api="blas")
