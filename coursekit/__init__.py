"""coursekit: an introductory deep-learning course in Jupyter.

One module per lecture topic, each importable without TensorFlow:

    coursekit.neuron, coursekit.gradient_descent, coursekit.backprop,
    coursekit.convolution, coursekit.cnn_architectures, coursekit.transfer_learning

plus ``coursekit.data`` (offline data sets).  Keras is imported lazily, only by the
functions that build Keras models.
"""

__version__ = "0.1.0"
