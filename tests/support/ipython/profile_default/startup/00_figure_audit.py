"""Kernel start-up file of the lecture tests: records the size of every piece of text matplotlib draws.

The tests start the lecture kernels with IPYTHONDIR pointing here and COURSEKIT_FIGURE_AUDIT naming a
JSON-lines file.  For every figure rendered (inline display, widget PNG, animation frame), one line:
the cell's execution count, the figure's size in pixels, and every text drawn with its size in points,
the dpi it was drawn at and its colour.  tests/test_lecture_figures.py turns that into sizes on the slide.
"""

import json
import os

import matplotlib.backend_bases
from matplotlib.backends.backend_agg import RendererAgg

_AUDIT = os.environ.get("COURSEKIT_FIGURE_AUDIT")
_drawn = None          # texts drawn by the figure being printed (None between figures)

if _AUDIT:
    _draw_text = RendererAgg.draw_text
    _print_figure = matplotlib.backend_bases.FigureCanvasBase.print_figure

    def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
        if _drawn is not None and str(s).strip():
            rgb = [round(float(c), 3) for c in gc.get_rgb()[:3]]
            _drawn.append((str(s)[:40], round(prop.get_size_in_points(), 2), self.dpi, rgb))
        return _draw_text(self, gc, x, y, s, prop, angle, ismath=ismath, mtext=mtext)

    def print_figure(self, filename, *args, **kwargs):
        global _drawn
        outer, _drawn = _drawn, []
        try:
            return _print_figure(self, filename, *args, **kwargs)
        finally:
            fig = self.figure
            dpi = kwargs.get("dpi") or fig.dpi
            if dpi == "figure":
                dpi = fig.dpi
            try:
                cell = get_ipython().execution_count  # noqa: F821 (IPython start-up namespace)
            except NameError:
                cell = None
            record = {"execution_count": cell, "width_px": round(fig.get_figwidth() * float(dpi)),
                      "height_px": round(fig.get_figheight() * float(dpi)), "texts": _drawn}
            with open(_AUDIT, "a", encoding="utf-8") as out:
                out.write(json.dumps(record) + "\n")
            _drawn = outer

    RendererAgg.draw_text = draw_text
    matplotlib.backend_bases.FigureCanvasBase.print_figure = print_figure
