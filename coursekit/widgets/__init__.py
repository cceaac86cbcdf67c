"""Interactive lecture widgets and figures, one module per lecture topic (imported on demand, never eagerly).

    from coursekit.widgets.neuron import NeuronWidget
    from coursekit.widgets.gradient_descent import LearningRateWidget, OptimizerRaceWidget
    from coursekit.widgets.convolution import KernelSlideWidget

These modules only draw: every number a widget or figure shows is computed by the lecture's topic
module (:mod:`coursekit.neuron`, :mod:`coursekit.convolution`, ...).  A new widget subclasses
:class:`coursekit.widgets.base.FigureWidget` (controls + a matplotlib figure rendered as PNG into an
``ipywidgets.Output``, with a static PNG fallback for exports).
"""
