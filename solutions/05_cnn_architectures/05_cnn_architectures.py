# %% [markdown] nbgrader={"grade": false, "grade_id": "intro", "locked": true, "schema_version": 3, "solution": false}
# # Assignment 5: CNN architectures
#
# Write each function in its cell (NumPy only, Keras where the exercise builds a model). Run `self_check()` at any time: it runs the visible checks offline and says what is wrong. Grading runs the same checks on hidden inputs, compared against Keras/TensorFlow.
#
# Total: 13 points. Do not modify its inputs: a function that changes its arguments loses the case.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false}
import numpy as np

from coursekit.checks import self_check
from coursekit.keras_setup import import_keras

keras = import_keras()  # Keras 3 on TensorFlow, imported without log noise


# %% [markdown] nbgrader={"grade": false, "grade_id": "md_receptive_field", "locked": true, "schema_version": 3, "solution": false}
# ## `receptive_field(layers)` (2 points)

# %% nbgrader={"grade": false, "grade_id": "receptive_field", "locked": false, "schema_version": 3, "solution": true}
def receptive_field(layers):
    """Receptive field of one output unit of a stack of (kernel_size, stride) layers."""
    ### BEGIN SOLUTION
    rf, jump = 1, 1
    for kernel_size, stride in layers:
        rf += (kernel_size - 1) * jump
        jump *= stride
    return rf
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_receptive_field", "locked": true, "points": 2, "schema_version": 3, "solution": false}
# Checks `receptive_field` on the visible cases (the same as self_check("receptive_field")); the number shown is
# the points. Grading adds hidden cases on inputs you have not seen.
from coursekit.checks import score_test_cell

_hidden = False
### BEGIN HIDDEN TESTS
_hidden = True
### END HIDDEN TESTS
score_test_cell("receptive_field", receptive_field, hidden=_hidden)


# %% [markdown] nbgrader={"grade": false, "grade_id": "md_build_lenet5", "locked": true, "schema_version": 3, "solution": false}
# ## `build_lenet5(input_shape=(32, 32, 1), num_classes=10)` (3 points)

# %% nbgrader={"grade": false, "grade_id": "build_lenet5", "locked": false, "schema_version": 3, "solution": true}
def build_lenet5(input_shape=(32, 32, 1), num_classes=10):
    """LeNet-5: Conv 6@5x5 tanh, AvgPool 2, Conv 16@5x5 tanh, AvgPool 2, Flatten, Dense 120/84 tanh, Dense softmax."""
    ### BEGIN SOLUTION
    L = keras.layers
    inputs = keras.Input(shape=input_shape)
    x = L.Conv2D(6, 5, activation="tanh")(inputs)
    x = L.AveragePooling2D(2)(x)
    x = L.Conv2D(16, 5, activation="tanh")(x)
    x = L.AveragePooling2D(2)(x)
    x = L.Flatten()(x)
    x = L.Dense(120, activation="tanh")(x)
    x = L.Dense(84, activation="tanh")(x)
    outputs = L.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_build_lenet5", "locked": true, "points": 3, "schema_version": 3, "solution": false}
# Checks `build_lenet5` on the visible cases (the same as self_check("build_lenet5")); the number shown is
# the points. Grading adds hidden cases on inputs you have not seen.
from coursekit.checks import score_test_cell

_hidden = False
### BEGIN HIDDEN TESTS
_hidden = True
### END HIDDEN TESTS
score_test_cell("build_lenet5", build_lenet5, hidden=_hidden)


# %% [markdown] nbgrader={"grade": false, "grade_id": "md_residual_block", "locked": true, "schema_version": 3, "solution": false}
# ## `residual_block(x, filters, strides=1)` (3 points)

# %% nbgrader={"grade": false, "grade_id": "residual_block", "locked": false, "schema_version": 3, "solution": true}
def residual_block(x, filters, strides=1):
    """Conv3x3(strides)-BN-ReLU-Conv3x3-BN + shortcut (identity or Conv1x1(strides)-BN), then ReLU."""
    ### BEGIN SOLUTION
    L = keras.layers
    main = L.Conv2D(filters, 3, strides=strides, padding="same")(x)
    main = L.BatchNormalization()(main)
    main = L.Activation("relu")(main)
    main = L.Conv2D(filters, 3, padding="same")(main)
    main = L.BatchNormalization()(main)
    shortcut = x
    if strides != 1 or x.shape[-1] != filters:
        shortcut = L.Conv2D(filters, 1, strides=strides, padding="same")(x)
        shortcut = L.BatchNormalization()(shortcut)
    return L.Activation("relu")(L.Add()([main, shortcut]))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_residual_block", "locked": true, "points": 3, "schema_version": 3, "solution": false}
# Checks `residual_block` on the visible cases (the same as self_check("residual_block")); the number shown is
# the points. Grading adds hidden cases on inputs you have not seen.
from coursekit.checks import score_test_cell

_hidden = False
### BEGIN HIDDEN TESTS
_hidden = True
### END HIDDEN TESTS
score_test_cell("residual_block", residual_block, hidden=_hidden)


# %% [markdown] nbgrader={"grade": false, "grade_id": "md_inception_module", "locked": true, "schema_version": 3, "solution": false}
# ## `inception_module(x, filters_1x1, filters_3x3_reduce, filters_3x3, filters_5x5_reduce, filters_5x5, filters_pool_proj)` (3 points)

# %% nbgrader={"grade": false, "grade_id": "inception_module", "locked": false, "schema_version": 3, "solution": true}
def inception_module(x, filters_1x1, filters_3x3_reduce, filters_3x3, filters_5x5_reduce, filters_5x5,
                     filters_pool_proj):
    """GoogLeNet's four branches concatenated on channels: 1x1; 1x1-3x3; 1x1-5x5; maxpool 3/1 - 1x1."""
    ### BEGIN SOLUTION
    L = keras.layers
    b1 = L.Conv2D(filters_1x1, 1, padding="same", activation="relu")(x)
    b2 = L.Conv2D(filters_3x3_reduce, 1, padding="same", activation="relu")(x)
    b2 = L.Conv2D(filters_3x3, 3, padding="same", activation="relu")(b2)
    b3 = L.Conv2D(filters_5x5_reduce, 1, padding="same", activation="relu")(x)
    b3 = L.Conv2D(filters_5x5, 5, padding="same", activation="relu")(b3)
    b4 = L.MaxPooling2D(3, strides=1, padding="same")(x)
    b4 = L.Conv2D(filters_pool_proj, 1, padding="same", activation="relu")(b4)
    return L.Concatenate(axis=-1)([b1, b2, b3, b4])
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_inception_module", "locked": true, "points": 3, "schema_version": 3, "solution": false}
# Checks `inception_module` on the visible cases (the same as self_check("inception_module")); the number shown is
# the points. Grading adds hidden cases on inputs you have not seen.
from coursekit.checks import score_test_cell

_hidden = False
### BEGIN HIDDEN TESTS
_hidden = True
### END HIDDEN TESTS
score_test_cell("inception_module", inception_module, hidden=_hidden)


# %% [markdown] nbgrader={"grade": false, "grade_id": "md_separable_conv_param_count", "locked": true, "schema_version": 3, "solution": false}
# ## `separable_conv_param_count(kernel_size, in_channels, filters)` (1 point)

# %% nbgrader={"grade": false, "grade_id": "separable_conv_param_count", "locked": false, "schema_version": 3, "solution": true}
def separable_conv_param_count(kernel_size, in_channels, filters):
    """Depthwise kh*kw*in + pointwise in*filters + filters biases."""
    ### BEGIN SOLUTION
    kh, kw = (kernel_size, kernel_size) if np.ndim(kernel_size) == 0 else kernel_size
    return kh * kw * in_channels + in_channels * filters + filters
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_separable_conv_param_count", "locked": true, "points": 1, "schema_version": 3, "solution": false}
# Checks `separable_conv_param_count` on the visible cases (the same as self_check("separable_conv_param_count")); the number shown is
# the points. Grading adds hidden cases on inputs you have not seen.
from coursekit.checks import score_test_cell

_hidden = False
### BEGIN HIDDEN TESTS
_hidden = True
### END HIDDEN TESTS
score_test_cell("separable_conv_param_count", separable_conv_param_count, hidden=_hidden)

# %% [markdown] nbgrader={"grade": false, "grade_id": "md_explain_1x1", "locked": true, "schema_version": 3, "solution": false}
# ## Written question (1 point)
#
# **Explain** why the 1x1 'reduce' convolutions make the Inception module cheaper.

# %% [markdown] nbgrader={"grade": true, "grade_id": "explain_1x1", "locked": false, "points": 1, "schema_version": 3, "solution": true}
# They cut the channels before the 3x3 and 5x5 convs, whose cost is proportional to the input channels.

# %% [markdown] nbgrader={"grade": false, "grade_id": "md_self_check", "locked": true, "schema_version": 3, "solution": false}
# ## Before you submit
#
# Run every cell, then the checks for all exercises:

# %% nbgrader={"grade": false, "grade_id": "self_check", "locked": true, "schema_version": 3, "solution": false}
self_check()
