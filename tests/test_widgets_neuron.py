"""Lecture 1 widgets: drive the controls from Python and check what is shown against coursekit.neuron."""

from __future__ import annotations

import numpy as np
import pytest

from coursekit import neuron
from coursekit.data import height_abdomen


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


def test_neuron_widget_offers_only_known_activations():
    from coursekit.widgets.neuron import NEURON_ACTIVATIONS, NeuronWidget

    assert set(NEURON_ACTIVATIONS) <= set(neuron.ACTIVATIONS)
    w = NeuronWidget()
    w.activation.value = "step"
    np.testing.assert_array_equal(w.state["output"], (w.state["z"] >= 0).astype(float))


def test_neuron_figures_build():
    import matplotlib.pyplot as plt

    from coursekit.widgets.neuron import plot_activation_zoo, plot_logic_gates

    for fig in (plot_activation_zoo(), plot_logic_gates()):
        assert len(fig.axes) >= 2
        plt.close(fig)


def test_logic_gates_figure_shows_the_hidden_space_without_weights():
    import matplotlib.pyplot as plt

    from coursekit.widgets.neuron import plot_logic_gates

    fig = plot_logic_gates()
    left, right = fig.axes[:2]
    assert "NAND" in right.get_ylabel() and "OR" in right.get_xlabel()
    assert not right.lines and not left.lines                   # regions and points only, no weight lines
    assert sorted(t.get_text() for t in right.texts) == ["00", "01, 10", "11"]   # 01 and 10 meet
    plt.close(fig)


def test_perceptron_and_adversarial_figures():
    import matplotlib.pyplot as plt

    from coursekit.widgets.neuron import plot_adversarial, plot_perceptron_training

    data = height_abdomen("training")
    w, b, errors = neuron.perceptron_train(data.x, data.y)
    fig = plot_perceptron_training(data.x, data.y, w, b, errors, [3, 3, 4])
    (line,) = [ln for ln in fig.axes[0].lines]
    h, ac = line.get_data()
    np.testing.assert_allclose(w[0] * h + w[1] * ac + b, 0.0, atol=1e-9)     # the drawn line is z = 0
    plt.close(fig)
    img = np.zeros((8, 8))
    fig = plot_adversarial(img, img + 0.1, (3, 0.9), (5, 0.6), 0.1)
    assert [ax.get_title() for ax in fig.axes] == ["'3' (90%)", "+ change (at most 0.10)", "= '5' (60%)"]
    plt.close(fig)


def test_neuron_widget_fits_a_slide():
    from coursekit.widgets.neuron import NeuronWidget

    w = NeuronWidget()
    assert w.figure.get_size_inches()[0] * 100 <= 1000            # 1000 px: inside a 1280x720 slide
    assert w.figure.get_size_inches()[1] * 100 <= 400
    assert len(w.widget.children) == 2                             # one row of four controls + the figure
