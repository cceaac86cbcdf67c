"""Lecture 2 widgets, animation and start-point search: drive the controls from Python and check what is
shown against coursekit.gradient_descent / coursekit.data (never against the widget's own numbers)."""

from __future__ import annotations

import numpy as np
import pytest

from coursekit import gradient_descent as gd
from coursekit.data import two_gaussians, two_gaussians_gradient


def _two_gaussians_grad(p):
    return np.array(two_gaussians_gradient(p[0], p[1]))


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
    demo = gd.find_demo_starts()
    assert set(demo.starts) == {"converges", "crosses the hill", "stalls on the plateau"}
    # the minimum really is a minimum: zero gradient and lowest value on a fine grid
    xs = np.linspace(-3, 3, 301)
    X, Y = np.meshgrid(xs, xs)
    assert np.linalg.norm(_two_gaussians_grad(demo.minimum)) < 1e-6
    assert two_gaussians(*demo.minimum) <= two_gaussians(X, Y).min() + 1e-9
    hill_top = two_gaussians(X, Y).max()
    ends = {}
    for label, start in demo.starts.items():
        path = gd.gradient_descent(_two_gaussians_grad, start, demo.learning_rate, demo.num_steps)
        ends[label] = (start, path)
    s, p = ends["converges"]
    assert np.linalg.norm(p[-1] - demo.minimum) < 0.05 and two_gaussians(*s) < 0.5 * hill_top
    s, p = ends["crosses the hill"]
    assert two_gaussians(*s) >= 0.5 * hill_top                     # starts high on the hill ...
    assert np.linalg.norm(p[-1] - demo.minimum) < 0.05             # ... and ends in the well
    s, p = ends["stalls on the plateau"]
    assert np.linalg.norm(_two_gaussians_grad(s)) < 0.01           # flat ...
    assert np.linalg.norm(p[-1] - s) < 0.25                        # ... barely moves ...
    assert np.linalg.norm(p[-1] - demo.minimum) > 1.0              # ... never reaches the well


def test_gaussians_grad_is_the_numerical_gradient(rng):
    points = rng.uniform(-3, 3, size=(5, 2))
    expected = np.array([gd.numerical_gradient(gd.gaussians_f, p) for p in points])
    np.testing.assert_allclose(gd.gaussians_grad(points), expected, rtol=1e-5, atol=1e-9)


def test_start_point_widget_path_is_gradient_descent():
    from coursekit.widgets.gradient_descent import StartPointWidget

    w = StartPointWidget(x0=0.8, y0=1.31, learning_rate=0.1, num_steps=100)
    assert w.state["label"] == "crosses the hill"
    w.set(y0=1.41)          # 0.1 away, across the ridge: a different fate
    assert w.state["label"] == "rolls off the hill"
    np.testing.assert_allclose(w.state["path"],
                               gd.gradient_descent(_two_gaussians_grad, np.array([0.8, 1.41]), 0.1, 100))
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


def test_conditioning_and_history_figures():
    import matplotlib.pyplot as plt

    from coursekit.widgets.gradient_descent import plot_conditioning, plot_fit_histories

    fig = plot_conditioning({"a": (np.array([1.0, 0.5, 0.25]), 0.25), "b": (np.array([2.0, 1.0, 0.5]), 0.0)})
    (ax,) = fig.axes
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [0.75, 0.25, 1e-16])   # gap 0 drawn at 1e-16
    plt.close(fig)

    class H:
        history = {"loss": [2.0, 1.0], "val_loss": [2.5, 1.5]}

    fig = plot_fit_histories({"adam": H()})
    (ax,) = fig.axes
    assert [list(line.get_ydata()) for line in ax.lines] == [[2.0, 1.0], [2.5, 1.5]]
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["adam (training)", "adam (validation)"]
    plt.close(fig)
