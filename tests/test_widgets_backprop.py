"""Lecture 3 widgets and the computations behind its figures, checked against hand derivatives,
numerical gradients and coursekit.backprop."""

from __future__ import annotations

import numpy as np
import pytest

from coursekit import backprop
from coursekit import gradient_descent as gd


def test_graph_gradients_match_hand_derivatives_and_numerics():
    values = backprop.neuron_graph_values(2.0, 5.0, 0.0006, 0.0002, 1.0, 1.0)
    hand = backprop.sigmoid_neuron_gradients(0.0006, 0.0002, 1.0, 2.0, 5.0, 1.0)
    np.testing.assert_allclose([values[k][1] for k in ("w1", "w2", "b")], hand, rtol=1e-12)
    cost = lambda th: backprop.sigmoid_neuron_cost(th[0], th[1], th[2], 2.0, 5.0, 1.0)   # noqa: E731
    num = gd.numerical_gradient(cost, np.array([0.0006, 0.0002, 1.0]))
    np.testing.assert_allclose([values[k][1] for k in ("w1", "w2", "b")], num, rtol=1e-6)
    t = 2 * 0.0006 + 5 * 0.0002 + 1.0
    assert values["t"][0] == pytest.approx(t) and values["p"][0] == pytest.approx(1 / (1 + np.exp(-t)))
    assert values["C"][0] == pytest.approx(cost(np.array([0.0006, 0.0002, 1.0])))
    # the inputs' gradients too: dC/da1 = dC/dt * w1, numerically
    cost_of_inputs = lambda a: backprop.sigmoid_neuron_cost(0.0006, 0.0002, 1.0, a[0], a[1], 1.0)   # noqa: E731
    np.testing.assert_allclose([values["a1"][1], values["a2"][1]],
                               gd.numerical_gradient(cost_of_inputs, np.array([2.0, 5.0])), rtol=1e-6)


def test_computational_graph_figure_shows_the_values():
    import matplotlib.pyplot as plt

    from coursekit.widgets.backprop import plot_computational_graph

    fig, values = plot_computational_graph(2.0, 5.0, 0.0006, 0.0002, 1.0, 1.0)
    assert values == backprop.neuron_graph_values(2.0, 5.0, 0.0006, 0.0002, 1.0, 1.0)
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert f"{values['p'][0]:.4g}" in texts and f"{values['w1'][1]:.4g}" in texts
    plt.close(fig)


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


def test_regularization_runs_start_from_the_same_weights():
    data = backprop.moons(n_train=20, n_val=40)
    assert [a.shape for a in data] == [(20, 2), (20, 2), (40, 2), (40, 2)]
    settings = {"none": {}, "L2": {"l2": 1e-2}}
    runs = backprop.regularization_runs(data, hidden=(8,), epochs=5, settings=settings)
    start = backprop.init_mlp([2, 8, 2], seed=0)
    for name, kw in settings.items():
        params, history = backprop.train_mlp(data[0], data[1], start, 0.1, 5, x_val=data[2], y_val=data[3],
                                             seed=0, **kw)
        for (w, b), (w_run, b_run) in zip(params, runs[name][0]):
            np.testing.assert_allclose(w_run, w)
            np.testing.assert_allclose(b_run, b)
        np.testing.assert_allclose(runs[name][1]["val_loss"], history["val_loss"])


def test_vanishing_widget_separates_initialisation():
    from coursekit.widgets.backprop import VanishingGradientWidget

    w = VanishingGradientWidget(depth=4, activation="relu", width=16, init="he")
    he = w.state["norms"]
    w.init.value = "glorot"
    expected = backprop.layer_gradient_norms(w.x, w.y, backprop.init_mlp([64] + [16] * 4 + [10], seed=0,
                                                                         init="glorot"), "relu")
    np.testing.assert_allclose(w.state["norms"], expected)
    assert np.median(he / w.state["norms"]) > 1.2          # Glorot: smaller gradients with ReLU


def test_lecture_figures_draw_and_keep_text_readable():
    import matplotlib as mpl
    import matplotlib.pyplot as plt

    from coursekit import style
    from coursekit.widgets import backprop as bpw

    with mpl.rc_context():
        style.apply()                                    # as setup_lecture() does in a lecture
        _draw_lecture_figures(plt, bpw)


def _draw_lecture_figures(plt, bpw):
    x, y = backprop.vanishing_data(n=40)
    figs = [
        bpw.plot_gradient_grid(backprop.gradient_norm_grid(x, y, hidden=(8,) * 3)),
        bpw.plot_activation_variances({("relu", "He"): np.ones(3), ("tanh", "He"): np.ones(3)}),
        bpw.plot_universal_approximation(np.sin, (3, 10), {2: 0.5, 20: 0.05}),
        bpw.plot_sawtooth((1, 2)),
        bpw.plot_hidden_units(np.ones((64, 4)), np.eye(4, 10)),
    ]
    data = backprop.moons(n_train=10, n_val=10)
    runs = backprop.regularization_runs(data, hidden=(8,), epochs=3,
                                        settings={"L1 (1e-2)": {"l1": 1e-2},
                                                  "L1 proximal": {"l1": 1e-2, "l1_step": "proximal"}})
    figs.append(bpw.plot_l1_weights(runs, ["L1 (1e-2)", "L1 proximal"]))
    figs.append(bpw.plot_regularization(runs, data))
    for fig in figs:
        assert fig.get_figwidth() <= 11
        for text in fig.findobj(match=lambda a: hasattr(a, "get_fontsize") and hasattr(a, "get_text")):
            if text.get_text():
                assert text.get_fontsize() >= 12, text.get_text()
        plt.close(fig)
