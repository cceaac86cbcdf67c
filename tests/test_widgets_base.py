"""The plumbing every lecture widget shares (coursekit.widgets.base) and the lectures' setup cell."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from coursekit.style import setup_lecture
from coursekit.widgets.base import FigureWidget, float_slider

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _shown_png(w) -> bytes:
    """The PNG currently inside the widget's Output (what the live notebook shows)."""
    (out,) = w.output.outputs
    return base64.b64decode(out["data"]["image/png"])


class _Line(FigureWidget):
    def __init__(self):
        self.x = np.linspace(0, 1, 11)
        super().__init__({"a": float_slider("a", 1.0, 0.0, 2.0, 0.5)})

    def draw(self, fig):
        y = self.a.value * self.x
        fig.subplots().plot(self.x, y)
        return {"y": y}


def test_base_redraws_on_change_and_exports_png():
    w = _Line()
    assert w.renders == 1 and _shown_png(w).startswith(PNG_MAGIC)
    first = w.png
    w.a.value = 2.0
    assert w.renders == 2
    np.testing.assert_allclose(w.state["y"], 2.0 * w.x)
    assert w.png != first and _shown_png(w) == w.png
    bundle = w._repr_mimebundle_()
    assert WIDGET_VIEW in bundle                                   # live widget
    assert base64.b64decode(bundle["image/png"]) == w.png          # static fallback for exports


def test_base_hold_updates_and_set_redraw_once():
    w = _Line()
    w.set(a=0.5)
    assert w.renders == 2
    np.testing.assert_allclose(w.state["y"], 0.5 * w.x)
    with pytest.raises(KeyError, match="unknown control 'b'"):
        w.set(b=1.0)


def test_base_control_and_description_widths_are_optional_and_per_widget():
    from coursekit.widgets.base import dropdown

    class _Narrow(_Line):
        def __init__(self):
            self.x = np.linspace(0, 1, 11)
            FigureWidget.__init__(self, {"a": float_slider("a", 1.0, 0.0, 2.0, 0.5),
                                         "f": dropdown("f", ["x", "y"])},
                                  control_width="200px", description_width="30px")

    narrow, default = _Narrow(), _Line()
    assert narrow.a.layout.width == narrow.f.layout.width == "200px"
    assert narrow.a.style.description_width == narrow.f.style.description_width == "30px"
    assert default.a.layout.width == "340px" and default.a.style.description_width == "110px"
    assert float_slider("b", 1.0, 0.0, 2.0).layout.width == "340px"     # the shared default is untouched


def test_setup_lecture_limits_blas():
    from threadpoolctl import threadpool_info

    setup_lecture()
    blas = [p for p in threadpool_info() if p["user_api"] == "blas"]
    assert blas, "NumPy reports no BLAS library: nothing to limit"
    assert all(p["num_threads"] == 1 for p in blas)
