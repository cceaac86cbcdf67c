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
#
# The receptive field of one output unit of a stack of conv/pooling layers: how many input pixels (along one spatial axis) can influence it.
#
# - `layers` is a list of `(kernel_size, stride)` pairs of ints, **in the order the data flows**: `layers[0]` is the layer nearest the input, `layers[-1]` the one producing the output. Kernels and strides are ints (square layers); a kernel may be 1 or smaller than its stride.
# - With $r_0 = 1$ and $j_0 = 1$ (the jump: distance in input pixels between neighbouring units), for $l = 1, \dots, L$:
#   $$r_l = r_{l-1} + (k_l - 1)\, j_{l-1}, \qquad j_l = j_{l-1}\, s_l$$
#   i.e. $r = 1 + \sum_l (k_l - 1) \prod_{i<l} s_i$: a layer's own stride does not widen its own field, only the later layers'.
# - Padding does not change the receptive field. Return an `int` (e.g. `[(3, 1), (2, 2), (3, 1)]` gives $1 + 2 + 1 + 2 \cdot 2 = 8$; `[(1, 2), (3, 1)]` gives $1 + 0 + 2 \cdot 2 = 5$).

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
#
# Return a `keras.Model` (Sequential or functional) for inputs of shape `input_shape` = `(height, width, channels)` computing, in this order:
#
# 1. `Conv2D` 6 filters $5\times5$, stride 1, `"valid"` padding, tanh
# 2. `AveragePooling2D` $2\times2$ (stride 2)
# 3. `Conv2D` 16 filters $5\times5$, `"valid"`, tanh
# 4. `AveragePooling2D` $2\times2$
# 5. `Flatten`, `Dense` 120 tanh, `Dense` 84 tanh
# 6. `Dense` `num_classes` with softmax: output `(batch, num_classes)`, rows summing to 1
#
# Every conv and dense layer has a bias (Keras's default). For the defaults the shapes are 28x28x6, 14x14x6, 10x10x16, 5x5x16, 400, 120, 84, 10 and the model has 61,706 parameters. Both arguments may be passed by position or by keyword.
#
# Grading is by behaviour: the grader gives your model's weights fixed values (by role and shape), runs it on hidden inputs (batches of 1 to 3 images, other sizes and class counts) and compares the outputs with the reference's, and compares the list of trainable weights. Any style that computes the same function with the same weights passes: `activation="tanh"` or a separate `Activation` layer, softmax in the `Dense` or as an `Activation("softmax")` / `Softmax()` layer.

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
#
# A ResNet basic block on the Keras tensor `x` of shape `(batch, H, W, C)`; return the output tensor (functional API).
#
# - **Main path:** `Conv2D(filters, 3, strides=strides, padding="same")` → `BatchNormalization()` → ReLU → `Conv2D(filters, 3, padding="same")` (stride 1) → `BatchNormalization()`.
# - **Shortcut (projection rule):** the identity `x` when `strides == 1` **and** `C == filters`; otherwise (a stride other than 1, or a channel change, or both) a projection `Conv2D(filters, 1, strides=strides, padding="same")` → `BatchNormalization()`.
# - **Output:** $\mathrm{ReLU}(\text{main} + \text{shortcut})$: add first, then the ReLU. Shape `(batch, ceil(H / strides), ceil(W / strides), filters)`.
# - `strides` is an int (1 or 2). `BatchNormalization()` with Keras's defaults (`axis=-1`, `epsilon=1e-3`, `momentum=0.99`); not `keras.applications`' `epsilon=1.001e-5`.
# - A conv directly followed by BatchNormalization may have a bias or not (`use_bias=False`): BN subtracts each channel's mean, so that bias is redundant and both are accepted. ReLU as `ReLU()`, `Activation("relu")` or `keras.activations.relu`; `Add()` or `add`; any build order.
#
# Grading is by behaviour: weights set by role and shape, outputs on hidden inputs compared in inference mode (`training=False`, BN uses its moving statistics) **and** training mode (BN uses the batch statistics), plus the trainable weights. Hidden cases include `strides=2` with the same and with more channels, a channel change at stride 1 on inputs of height 1, the identity with $|x| \le 100$, and one-sample batches.

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
#
# GoogLeNet's Inception module on the Keras tensor `x` of shape `(batch, H, W, C)`; return the output tensor. Four parallel branches, each reading `x`:
#
# 1. `Conv2D(filters_1x1, 1)`
# 2. `Conv2D(filters_3x3_reduce, 1)` → `Conv2D(filters_3x3, 3)`
# 3. `Conv2D(filters_5x5_reduce, 1)` → `Conv2D(filters_5x5, 5)`
# 4. `MaxPooling2D(3, strides=1, padding="same")` → `Conv2D(filters_pool_proj, 1)`
#
# - **Every** conv (all six) has a bias, ReLU activation and `padding="same"`, stride 1, so every branch keeps $H \times W$.
# - Concatenate on the channel axis (last) **in the order 1, 2, 3, 4** above: output `(batch, H, W, filters_1x1 + filters_3x3 + filters_5x5 + filters_pool_proj)`.
# - The order in which you build the branches does not matter, only the concatenation order. ReLU as `activation="relu"` or a separate layer; `Concatenate()` or `concatenate`.
#
# Grading is by behaviour (weights set by role and shape, outputs on hidden inputs, trainable weights), on other shapes including one-sample batches and a height of 1.

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
#
# The number of parameters of `keras.layers.SeparableConv2D(filters, kernel_size)` applied to `in_channels` input channels (depth multiplier 1, with bias):
#
# $$k_h k_w \cdot C_{in} \;(\text{depthwise}) \; + \; C_{in} \cdot F \;(\text{pointwise } 1\times1) \; + \; F \;(\text{biases})$$
#
# - `kernel_size` is an int $k$ (meaning $k \times k$) or a pair `(k_h, k_w)`; `in_channels` $= C_{in}$ and `filters` $= F$ are ints.
# - Return an int. E.g. 3x3, 64 → 128: $9 \cdot 64 + 64 \cdot 128 + 128 = 8{,}896$; `(1, 7)`, 32 → 8: $7 \cdot 32 + 32 \cdot 8 + 8 = 488$.

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
