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
