"""Interactive lecture widgets, one module per topic (imported on demand, never eagerly).

    from coursekit.widgets.neuron import NeuronWidget
    from coursekit.widgets.gradient_descent import LearningRateWidget, OptimizerRaceWidget
    from coursekit.widgets.backprop import ...

Shared plumbing (controls + a matplotlib figure rendered as PNG into an ``ipywidgets.Output``,
with a static PNG fallback for exports) lives in :mod:`coursekit.widgets._base`.
"""
