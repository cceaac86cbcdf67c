"""Widgets of lectures 1-3 and the shared plumbing: drive the controls from Python and check that
what is shown changes as computed by coursekit (never by copying the widget's own numbers)."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from coursekit import backprop, gradient_descent as gd, neuron
from coursekit.data import height_abdomen, two_gaussians, two_gaussians_gradient
from coursekit.widgets._base import FigureWidget, float_slider, setup_lecture

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _shown_png(w) -> bytes:
    """The PNG currently inside the widget's Output (what the live notebook shows)."""
    (out,) = w.output.outputs
    return base64.b64decode(out["data"]["image/png"])


# -- _base ------------------------------------------------------------------------------------

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


def test_setup_lecture_limits_blas():
    from threadpoolctl import threadpool_info

    setup_lecture()
    assert all(p["num_threads"] == 1 for p in threadpool_info() if p["user_api"] == "blas")


# -- lecture 1: neuron ----------------------------------------------------------------------------

def test_neuron_widget_follows_sliders():
    from coursekit.widgets.neuron import NeuronWidget

    data = height_abdomen("training")
    w = NeuronWidget(data)
    # the lecture's weights: z > 0 for every man, so everybody is called overweight
    z = data.x @ np.array([0.0006, 0.0002]) + 1.0
    np.testing.assert_allclose(w.state["output"], neuron.sigmoid(z))
    assert w.state["accuracy"] == pytest.approx(data.y.mean())
    assert w.state["cost"] == pytest.approx(np.mean((neuron.sigmoid(z) - data.y) ** 2))
    # the labelling rule AC - 0.5 H >= 0, scaled: a perfect boundary
    w.set(w1=-0.05, w2=0.1, b=0.0)
    assert w.state["accuracy"] == 1.0
    line = w.state["boundary"]
    np.testing.assert_allclose(line @ np.array([-0.05, 0.1]), 0.0, atol=1e-9)   # points on z = 0
    # another activation changes the outputs but not the decision
    w.activation.value = "tanh"
    np.testing.assert_allclose(w.state["output"], np.tanh(data.x @ np.array([-0.05, 0.1])))
    assert w.state["accuracy"] == 1.0
    w.b.value = 5.0      # shifts the line: men with -5 <= z < 0 become "overweight"
    z = data.x @ np.array([-0.05, 0.1]) + 5.0
    assert w.state["accuracy"] == pytest.approx(np.mean((z >= 0) == data.y))
    assert w.state["accuracy"] < 1.0


def test_neuron_figures_build():
    from coursekit.widgets.neuron import plot_activation_zoo, plot_logic_gates

    import matplotlib.pyplot as plt

    for fig in (plot_activation_zoo(), plot_logic_gates()):
        assert len(fig.axes) >= 2
        plt.close(fig)


# -- lecture 2: gradient descent --------------------------------------------------------------------

def test_learning_rate_widget_regimes():
    from coursekit.widgets.gradient_descent import LearningRateWidget

    w = LearningRateWidget(expected=0.0, start=0.7, num_steps=10)
    for lr, regime in ((0.02, "too low"), (0.3, "good"), (0.8, "oscillates"), (1.2, "diverges")):
        w.learning_rate.value = lr
        lr = w.learning_rate.value                     # the log slider may round
        expected_path = 0.7 * (1 - 2 * lr) ** np.arange(11)        # closed form of (P - E)^2 descent
        np.testing.assert_allclose(w.state["path"], expected_path, rtol=1e-10, atol=1e-12)
        assert w.state["regime"] == regime
    assert w.state["final_cost"] > 0.7 ** 2                        # divergence: worse than the start


def test_demo_starts_behave_as_named():
    """The animation's start points are found by computation; re-run each and check its behaviour."""
    from coursekit.widgets.gradient_descent import find_demo_starts

    demo = find_demo_starts()
    assert set(demo.starts) == {"converges", "crosses the hill", "stalls on the plateau"}
    grad = lambda p: np.array(two_gaussians_gradient(p[0], p[1]))   # noqa: E731
    # the minimum really is a minimum: zero gradient and lowest value on a fine grid
    xs = np.linspace(-3, 3, 301)
    X, Y = np.meshgrid(xs, xs)
    assert np.linalg.norm(grad(demo.minimum)) < 1e-6
    assert two_gaussians(*demo.minimum) <= two_gaussians(X, Y).min() + 1e-9
    hill_top = two_gaussians(X, Y).max()
    ends = {}
    for label, start in demo.starts.items():
        path = gd.gradient_descent(grad, start, demo.learning_rate, demo.num_steps)
        ends[label] = (start, path)
    s, p = ends["converges"]
    assert np.linalg.norm(p[-1] - demo.minimum) < 0.05 and two_gaussians(*s) < 0.5 * hill_top
    s, p = ends["crosses the hill"]
    assert two_gaussians(*s) >= 0.5 * hill_top                     # starts high on the hill ...
    assert np.linalg.norm(p[-1] - demo.minimum) < 0.05             # ... and ends in the well
    s, p = ends["stalls on the plateau"]
    assert np.linalg.norm(grad(s)) < 0.01                          # flat ...
    assert np.linalg.norm(p[-1] - s) < 0.25                        # ... barely moves ...
    assert np.linalg.norm(p[-1] - demo.minimum) > 1.0              # ... never reaches the well


def test_start_point_widget_path_is_gradient_descent():
    from coursekit.widgets.gradient_descent import StartPointWidget

    w = StartPointWidget(x0=0.8, y0=1.31, learning_rate=0.1, num_steps=100)
    assert w.state["label"] == "crosses the hill"
    w.set(y0=1.41)          # 0.1 away, across the ridge: a different fate
    assert w.state["label"] == "rolls off the hill"
    grad = lambda p: np.array(two_gaussians_gradient(p[0], p[1]))   # noqa: E731
    np.testing.assert_allclose(w.state["path"], gd.gradient_descent(grad, np.array([0.8, 1.41]), 0.1, 100))
    np.testing.assert_allclose(w.state["values"], two_gaussians(w.state["path"][:, 0], w.state["path"][:, 1]))


def test_optimizer_race_uses_the_sliders():
    from coursekit.widgets.gradient_descent import OptimizerRaceWidget

    w = OptimizerRaceWidget(num_steps=40)
    w.set(learning_rate=0.1, momentum=0.5, adaptive_lr=0.2)
    lr, mu, alr = w.learning_rate.value, w.momentum.value, w.adaptive_lr.value
    grad = gd.elongated_valley_gradient
    start = np.array([-9.0, 2.0])
    expected = {"sgd": gd.minimize(grad, start, "sgd", 40, learning_rate=lr),
                "momentum": gd.minimize(grad, start, "momentum", 40, learning_rate=lr, momentum=mu),
                "nesterov": gd.minimize(grad, start, "nesterov", 40, learning_rate=lr, momentum=mu),
                "rmsprop": gd.minimize(grad, start, "rmsprop", 40, learning_rate=alr),
                "adam": gd.minimize(grad, start, "adam", 40, learning_rate=alr)}
    for name, path in expected.items():
        np.testing.assert_allclose(w.state["paths"][name], path)
        assert w.state["final_loss"][name] == pytest.approx(float(gd.elongated_valley(path[-1])))
    before = w.state["final_loss"]["momentum"]
    w.momentum.value = 0.0          # no momentum: momentum == plain SGD
    np.testing.assert_allclose(w.state["paths"]["momentum"], w.state["paths"]["sgd"])
    assert w.state["final_loss"]["momentum"] != before


def test_animation_html_embeds_frames():
    from coursekit.animation import animation_html, frame_indices
    from coursekit.widgets.gradient_descent import gaussians_animation

    anim = gaussians_animation([[0.8, 1.31], [-1.2, 1.0]], ["a", "b"], num_steps=20, max_frames=4)
    np.testing.assert_array_equal(anim.frame_indices, frame_indices(21, 4))
    html = animation_html(anim).data
    assert html.count("data:image/png;base64") == 4 and "<script" in html


def test_frame_indices_keep_ends():
    from coursekit.animation import frame_indices

    idx = frame_indices(201, 30)
    assert idx[0] == 0 and idx[-1] == 200 and len(idx) <= 30
    np.testing.assert_array_equal(frame_indices(5, 30), np.arange(5))
    with pytest.raises(ValueError, match="max_frames"):
        frame_indices(5, 1)


# -- lecture 3: backprop ----------------------------------------------------------------------------

def test_graph_gradients_match_hand_derivatives_and_numerics():
    from coursekit.widgets.backprop import neuron_graph_values

    values = neuron_graph_values(2.0, 5.0, 0.0006, 0.0002, 1.0, 1.0)
    hand = backprop.sigmoid_neuron_gradients(0.0006, 0.0002, 1.0, 2.0, 5.0, 1.0)
    np.testing.assert_allclose([values[k][1] for k in ("w1", "w2", "b")], hand, rtol=1e-12)
    cost = lambda th: backprop.sigmoid_neuron_cost(th[0], th[1], th[2], 2.0, 5.0, 1.0)   # noqa: E731
    num = gd.numerical_gradient(cost, np.array([0.0006, 0.0002, 1.0]))
    np.testing.assert_allclose([values[k][1] for k in ("w1", "w2", "b")], num, rtol=1e-6)
    t = 2 * 0.0006 + 5 * 0.0002 + 1.0
    assert values["t"][0] == pytest.approx(t) and values["p"][0] == pytest.approx(1 / (1 + np.exp(-t)))
    assert values["C"][0] == pytest.approx(cost(np.array([0.0006, 0.0002, 1.0])))


def test_vanishing_widget_sigmoid_vs_relu():
    from coursekit.widgets.backprop import VanishingGradientWidget

    w = VanishingGradientWidget(depth=6, activation="sigmoid", width=16)
    norms = backprop.layer_gradient_norms(w.x, w.y, backprop.init_mlp([64] + [16] * 6 + [10], seed=0,
                                                                      init="glorot"), "sigmoid")
    np.testing.assert_allclose(w.state["norms"], norms)
    assert w.state["ratio"] < 1e-2                       # the first layer's gradient has vanished
    w.activation.value = "relu"
    assert w.state["ratio"] > 0.1                        # ReLU keeps it
    w.depth.value = 3
    assert len(w.state["norms"]) == 4
