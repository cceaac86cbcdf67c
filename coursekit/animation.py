"""Gradient-descent animations that play in exported HTML and slides (``FuncAnimation.to_jshtml``).

The animation is a JavaScript player with every frame embedded as PNG, so it needs no kernel and no
network: it plays in JupyterLab, in ``nbconvert --to html`` exports and in reveal.js decks.

    paths = [gradient_descent(grad, x0, lr, steps) for x0 in starts]        # each (steps + 1, 2)
    anim = descent_animation((X, Y, Z), paths, labels=["converges", ...])
    animation_html(anim)                                                      # display this
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from coursekit import style

__all__ = ["descent_animation", "animation_html", "frame_indices"]


def frame_indices(num_points: int, max_frames: int) -> np.ndarray:
    """Indices of the path points shown in each frame: all of them, or ``max_frames`` evenly spaced.

    The first (start) and last (end) points are always included.
    """
    if num_points < 1:
        raise ValueError(f"num_points must be >= 1; got {num_points}")
    if max_frames < 2:
        raise ValueError(f"max_frames must be >= 2; got {max_frames}")
    if num_points <= max_frames:
        return np.arange(num_points)
    return np.unique(np.linspace(0, num_points - 1, max_frames).round().astype(int))


def descent_animation(surface: tuple[np.ndarray, np.ndarray, np.ndarray], paths: Sequence[np.ndarray],
                      labels: Sequence[str] | None = None, values: Sequence[np.ndarray] | None = None,
                      max_frames: int = 50, interval: int = 120, title: str = "Gradient descent",
                      figsize: tuple[float, float] = style.FIGSIZE_WIDE, dpi: int = 100):
    """A FuncAnimation of several descent paths on a contour plot (left) and f along each path (right).

    surface: (X, Y, Z) grids of equal shape (from ``np.meshgrid`` and f evaluated on it).
    paths: list of (T_i, 2) trajectories (the rows of ``gradient_descent``). values: optional list
    of (T_i,) f-values along each path (right panel; omitted -> contour only).
    Frame k shows every path up to its point ``frame_indices(max T_i, max_frames)[k]``.
    Frames are drawn at ``dpi`` 100 with the course's 13 pt font: 12 pt or more on a slide.
    """
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation

    X, Y, Z = (np.asarray(a, dtype=float) for a in surface)
    if not (X.shape == Y.shape == Z.shape and X.ndim == 2):
        raise ValueError(f"surface must be (X, Y, Z) 2-D grids of one shape; got {X.shape}, {Y.shape}, {Z.shape}")
    paths = [np.asarray(p, dtype=float) for p in paths]
    for i, p in enumerate(paths):
        if p.ndim != 2 or p.shape[1] != 2 or len(p) < 1:
            raise ValueError(f"paths[{i}] must be (T, 2) points; got shape {p.shape}")
    labels = list(labels) if labels is not None else [f"start {i + 1}" for i in range(len(paths))]
    if len(labels) != len(paths):
        raise ValueError(f"labels has {len(labels)} entries for {len(paths)} paths")
    if values is not None:
        values = [np.asarray(v, dtype=float) for v in values]
        if [len(v) for v in values] != [len(p) for p in paths]:
            raise ValueError("values[i] must have one f-value per point of paths[i]")
    colors = [style.CYCLE[i % len(style.CYCLE)] for i in range(len(paths))]
    frames = frame_indices(max(len(p) for p in paths), max_frames)

    with plt.rc_context():
        style.apply()
        fig = plt.figure(figsize=figsize, dpi=dpi, layout="constrained")
        if values is None:
            ax = fig.add_subplot(1, 1, 1)
            ax_v = None
        else:
            ax, ax_v = fig.subplots(1, 2, width_ratios=[1.2, 1])
        # imshow, not contourf: every frame is re-rendered to PNG, and filled contours are slow to draw.
        ax.imshow(Z, extent=(X.min(), X.max(), Y.min(), Y.max()), origin="lower", aspect="auto",
                  cmap=style.SEQUENTIAL_CMAP, alpha=0.85, interpolation="bilinear")
        ax.contour(X, Y, Z, levels=10, colors="white", linewidths=0.5, alpha=0.6)
        ax.set(xlabel="$x_1$", ylabel="$x_2$", title=title, xlim=(X.min(), X.max()), ylim=(Y.min(), Y.max()))
        ax.grid(False)
        lines, heads = [], []
        for p, c, lab in zip(paths, colors, labels):
            ax.plot(*p[0], marker="o", color=c, markeredgecolor="white", markersize=9)
            (line,) = ax.plot([], [], color=c, lw=2.5, label=lab)
            (head,) = ax.plot([], [], marker="o", color=c, markeredgecolor="black", markersize=10)
            lines.append(line)
            heads.append(head)
        ax.legend(loc="upper left", framealpha=0.9)
        vlines = []
        if ax_v is not None:
            T = max(len(p) for p in paths)
            lo = min(v.min() for v in values)
            hi = max(v.max() for v in values)
            pad = 0.05 * (hi - lo + 1e-12)
            ax_v.set(xlim=(0, T - 1), ylim=(lo - pad, hi + pad), xlabel="step", ylabel="f(x)",
                     title="value along the path")
            for c in colors:
                (vl,) = ax_v.plot([], [], color=c)
                vlines.append(vl)

        def draw(k):
            i_max = frames[k]
            for j, p in enumerate(paths):
                i = min(i_max, len(p) - 1)
                lines[j].set_data(p[: i + 1, 0], p[: i + 1, 1])
                heads[j].set_data([p[i, 0]], [p[i, 1]])
                if vlines:
                    vlines[j].set_data(np.arange(i + 1), values[j][: i + 1])
            return lines + heads + vlines

        # Lay out once with every path fully drawn, then freeze the layout: constrained layout
        # would otherwise re-run (and dominate the time) for every saved frame.
        draw(len(frames) - 1)
        fig.canvas.draw()
        fig.set_layout_engine("none")
        anim = FuncAnimation(fig, draw, frames=len(frames), interval=interval, blit=False)
        anim.frame_indices = frames
        plt.close(fig)  # the inline backend must not show the last frame as a separate figure
    return anim


# matplotlib's FuncAnimation.to_jshtml() links Font Awesome 4 from a CDN for its player buttons: offline
# the buttons are blank. PLAYER_ICONS_CSS draws the same icons with Unicode glyphs instead.
PLAYER_ICONS_CSS = """<style>
.anim-buttons .fa { font-style: normal; display: inline-block; min-width: 1em; }
.fa-minus:before { content: "\\2212"; }         .fa-plus:before { content: "+"; }
.fa-fast-backward:before { content: "\\21E4"; } .fa-fast-forward:before { content: "\\21E5"; }
.fa-step-backward:before { content: "\\25C1"; } .fa-step-forward:before { content: "\\25B7"; }
.fa-play:before { content: "\\25B6"; }          .fa-pause:before { content: "\\275A\\275A"; }
.fa-flip-horizontal { transform: scaleX(-1); }
</style>"""
_FONT_AWESOME_LINK = re.compile(r"""<link\b[^>]*href\s*=\s*["'](?:https?:)?//[^"']*font-awesome[^"']*["'][^>]*>""",
                                re.IGNORECASE)


def offline_jshtml(html: str) -> str:
    """``FuncAnimation.to_jshtml()`` output without its Font Awesome CDN link (icons drawn locally)."""
    html, n = _FONT_AWESOME_LINK.subn("", html)
    return PLAYER_ICONS_CSS + html if n else html


def animation_html(anim, default_mode: str = "once"):
    """The animation as ``IPython.display.HTML`` (JavaScript player, frames embedded as PNG)."""
    import matplotlib as mpl
    from IPython.display import HTML

    with mpl.rc_context({"animation.embed_limit": 40.0}):
        # offline_jshtml: the player's buttons must not depend on a CDN (lecture halls, offline decks)
        return HTML(offline_jshtml(anim.to_jshtml(default_mode=default_mode)))
