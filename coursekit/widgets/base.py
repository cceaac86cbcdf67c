"""Plumbing shared by the lecture widgets: ipywidgets controls + a matplotlib figure shown as PNG.

A widget is a :class:`FigureWidget` subclass. It owns a matplotlib ``Figure`` (not pyplot's, so the
inline backend never shows it twice) and an ``ipywidgets.Output`` whose single output is the PNG of
that figure. Moving a control re-runs :meth:`FigureWidget.draw`, which redraws the figure and returns
the quantities it shows (``widget.state``) so tests can check them against ``coursekit``::

    class Demo(FigureWidget):
        def __init__(self):
            self.x = np.linspace(0, 1, 50)                 # data first ...
            super().__init__({"a": float_slider("a", 1.0, 0.0, 2.0)})   # ... then controls

        def draw(self, fig):
            ax = fig.subplots()
            y = self.a.value * self.x
            ax.plot(self.x, y)
            return {"y": y}

    w = Demo(); w.a.value = 2.0; w.state["y"]   # re-drawn, as computed

Displayed in a notebook, the widget's mimebundle holds the live widget view AND a static
``image/png`` of the current figure, so an executed notebook exported to HTML without widget
JavaScript still shows the initial state (nbconvert falls back to the PNG when no widget state
is saved).
"""

from __future__ import annotations

import base64
import contextlib
import io
from collections.abc import Iterator, Mapping
from typing import Any

import ipywidgets as W
import matplotlib as mpl
from matplotlib.figure import Figure

from coursekit import style

__all__ = [
    "FigureWidget",
    "figure_to_png",
    "image_axes",
    "float_slider",
    "int_slider",
    "dropdown",
    "png_output",
    "float_log_slider",
]


def figure_to_png(fig: Figure, dpi: int = 100) -> bytes:
    """Render a matplotlib figure to PNG bytes at a fixed size (no tight bbox: no jitter)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
    return buf.getvalue()


def image_axes(ax) -> None:
    """Axes showing an image or a matrix: no ticks, no grid."""
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)


def png_output(png: bytes, text: str = "<figure>") -> dict:
    """A ``display_data`` output (nbformat dict) holding one PNG, for ``Output.outputs``."""
    return {
        "output_type": "display_data",
        "data": {"image/png": base64.b64encode(png).decode("ascii"), "text/plain": text},
        "metadata": {},
    }


_SLIDER_LAYOUT = W.Layout(width="340px")
_STYLE = {"description_width": "110px"}


def float_slider(description: str, value: float, min: float, max: float, step: float | None = None,
                 readout_format: str = ".3g", continuous_update: bool = False, **kw: Any) -> W.FloatSlider:
    """A FloatSlider with the course's width and label style."""
    step = (max - min) / 100 if step is None else step
    return W.FloatSlider(value=value, min=min, max=max, step=step, description=description,
                         readout_format=readout_format, continuous_update=continuous_update,
                         layout=_SLIDER_LAYOUT, style=_STYLE, **kw)


def float_log_slider(description: str, value: float, min_exp: float, max_exp: float,
                     step: float = 0.1, continuous_update: bool = False, **kw: Any) -> W.FloatLogSlider:
    """A FloatLogSlider (value = 10**exponent) for learning rates and the like."""
    return W.FloatLogSlider(value=value, base=10, min=min_exp, max=max_exp, step=step,
                            description=description, readout_format=".2g",
                            continuous_update=continuous_update, layout=_SLIDER_LAYOUT, style=_STYLE, **kw)


def int_slider(description: str, value: int, min: int, max: int, step: int = 1,
               continuous_update: bool = False, **kw: Any) -> W.IntSlider:
    """An IntSlider with the course's width and label style."""
    return W.IntSlider(value=value, min=min, max=max, step=step, description=description,
                       continuous_update=continuous_update, layout=_SLIDER_LAYOUT, style=_STYLE, **kw)


def dropdown(description: str, options, value=None, **kw: Any) -> W.Dropdown:
    """A Dropdown with the course's width and label style."""
    options = list(options)
    return W.Dropdown(options=options, value=options[0] if value is None else value,
                      description=description, layout=_SLIDER_LAYOUT, style=_STYLE, **kw)


class FigureWidget:
    """Controls plus a matplotlib figure re-rendered (as PNG) into an ``ipywidgets.Output``.

    Subclasses set their data attributes, then call ``super().__init__(controls, ...)`` and implement
    :meth:`draw`. Each control becomes an attribute (``self.<name>``); any control with a ``value``
    trait re-draws the figure when it changes. Buttons and other value-less widgets may be passed too
    (wire them with ``on_click`` and call :meth:`update`).

    Attributes
    ----------
    controls : dict name -> ipywidgets.Widget
    control_width, description_width : optional CSS widths (e.g. "245px") given to every control and
        to its description label, instead of the course's defaults
    figure : matplotlib.figure.Figure, fixed size ``figsize`` (inches, 100 dpi)
    output : ipywidgets.Output whose ``outputs`` is one PNG display_data
    state : dict returned by the last :meth:`draw` (what the figure shows)
    png : bytes of the last rendered PNG
    renders : number of renders so far
    widget : the root ipywidgets box (controls + output)
    """

    def __init__(self, controls: Mapping[str, W.Widget], figsize: tuple[float, float] = style.FIGSIZE,
                 controls_per_row: int = 2, title: str | None = None, control_width: str | None = None,
                 description_width: str | None = None):
        self.controls: dict[str, W.Widget] = dict(controls)
        for control in self.controls.values():
            # optional: narrower controls (e.g. four in a row above a wide figure on a 1280x720 slide)
            if control_width is not None and hasattr(control, "layout"):
                control.layout = W.Layout(width=control_width)
            control_style = getattr(control, "style", None)
            if description_width is not None and getattr(control_style, "has_trait", lambda _: False)(
                    "description_width"):
                control_style.description_width = description_width
        for name, control in self.controls.items():
            if hasattr(self, name):
                raise ValueError(f"control name {name!r} clashes with an attribute of {type(self).__name__}")
            setattr(self, name, control)
            if control.has_trait("value"):
                control.observe(self._on_change, names="value")
        self.figure = Figure(figsize=figsize, dpi=100, layout="constrained")
        self.output = W.Output(layout=W.Layout(width=f"{int(figsize[0] * 100) + 10}px"))
        self.state: dict[str, Any] = {}
        self.png: bytes = b""
        self.renders = 0
        self._holding = False
        self._pending = False
        items = list(self.controls.values())
        rows = [W.HBox(items[i:i + controls_per_row]) for i in range(0, len(items), controls_per_row)]
        header = [W.HTML(f"<b>{title}</b>")] if title else []
        self.widget = W.VBox(header + rows + [self.output])
        self.update()

    # -- subclass API ---------------------------------------------------------------------------
    def draw(self, fig: Figure) -> dict[str, Any]:
        """Draw the current state on the (cleared) figure; return the quantities shown."""
        raise NotImplementedError

    # -- machinery ------------------------------------------------------------------------------
    @property
    def values(self) -> dict[str, Any]:
        """Current value of every control that has one."""
        return {k: c.value for k, c in self.controls.items() if c.has_trait("value")}

    def update(self) -> None:
        """Redraw the figure from the current control values and push the PNG to the Output."""
        if self._holding:
            self._pending = True
            return
        self.figure.clear()
        with mpl.rc_context():
            style.apply()
            state = self.draw(self.figure)
            self.png = figure_to_png(self.figure)
        self.state = dict(state or {})
        self.renders += 1
        self.output.outputs = (png_output(self.png, f"<{type(self).__name__} figure>"),)

    @contextlib.contextmanager
    def hold_updates(self) -> Iterator[None]:
        """Change several controls, redraw once at the end: ``with w.hold_updates(): ...``."""
        self._holding, self._pending = True, False
        try:
            yield
        finally:
            self._holding = False
            if self._pending:
                self.update()

    def set(self, **values: Any) -> dict[str, Any]:
        """Set several control values at once (one redraw); return the new ``state``."""
        with self.hold_updates():
            for name, value in values.items():
                if name not in self.controls:
                    raise KeyError(f"unknown control {name!r}; controls are {sorted(self.controls)}")
                self.controls[name].value = value
        return self.state

    def _on_change(self, change: dict) -> None:
        self.update()

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        # Live: the widget view (preferred by JupyterLab). Static export without widget state:
        # nbconvert falls back to the PNG of the current figure.
        bundle = self.widget._repr_mimebundle_()
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        data = dict(data)
        data["image/png"] = base64.b64encode(self.png).decode("ascii")
        data["text/plain"] = f"<{type(self).__name__}: {self.values}>"
        return data

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.values}>"
