# %% [markdown] nbgrader={"grade": false, "grade_id": "intro", "locked": true, "schema_version": 3, "solution": false}
# # Assignment 1: the artificial neuron
#
# Write each function in its cell (NumPy only). Run `self_check()` at any time: it runs the visible checks offline and says what is wrong. Grading runs the same checks on hidden inputs, compared against Keras/TensorFlow.
#
# Total: 16 points. Do not modify its inputs: a function that changes its arguments loses the case.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false}
import numpy as np

from coursekit.checks import self_check

# %% [markdown] nbgrader={"grade": false, "grade_id": "md_sigmoid", "locked": true, "schema_version": 3, "solution": false}
# ## `sigmoid(z)` (1 point)
#
# The lecture's neuron computes sigmoid(185 * 0.0006 + 85 * 0.0002 + 1). The slide says 0.7; compute it with your function: z = 1.128 and sigmoid(z) = 0.7555, not 0.7.

# %% nbgrader={"grade": false, "grade_id": "sigmoid", "locked": false, "schema_version": 3, "solution": true}
def sigmoid(z):
    """Logistic sigmoid 1 / (1 + exp(-z)), elementwise, without overflow warnings."""
    ### BEGIN SOLUTION
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))  # never overflows
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_sigmoid", "locked": true, "points": 1, "schema_version": 3, "solution": false}
# Checks `sigmoid` on the visible cases (the same as self_check("sigmoid")); the number shown is
# the points. Grading adds hidden cases on inputs you have not seen.
from coursekit.checks import score_test_cell

_hidden = False
### BEGIN HIDDEN TESTS
_hidden = True
### END HIDDEN TESTS
score_test_cell("sigmoid", sigmoid, hidden=_hidden)


# %% [markdown] nbgrader={"grade": false, "grade_id": "md_relu", "locked": true, "schema_version": 3, "solution": false}
# ## `relu(z)` (1 point)

# %% nbgrader={"grade": false, "grade_id": "relu", "locked": false, "schema_version": 3, "solution": true}
def relu(z):
    """max(z, 0), elementwise."""
    ### BEGIN SOLUTION
    return np.maximum(np.asarray(z, dtype=float), 0.0)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_relu", "locked": true, "points": 1, "schema_version": 3, "solution": false}
# Checks `relu` on the visible cases (the same as self_check("relu")); the number shown is
# the points. Grading adds hidden cases on inputs you have not seen.
from coursekit.checks import score_test_cell

_hidden = False
### BEGIN HIDDEN TESTS
_hidden = True
### END HIDDEN TESTS
score_test_cell("relu", relu, hidden=_hidden)


# %% [markdown] nbgrader={"grade": false, "grade_id": "md_leaky_relu", "locked": true, "schema_version": 3, "solution": false}
# ## `leaky_relu(z, negative_slope=0.1)` (1 point)

# %% nbgrader={"grade": false, "grade_id": "leaky_relu", "locked": false, "schema_version": 3, "solution": true}
def leaky_relu(z, negative_slope=0.1):
    """z for z >= 0, negative_slope * z otherwise."""
    ### BEGIN SOLUTION
    z = np.asarray(z, dtype=float)
    return np.where(z >= 0, z, negative_slope * z)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_leaky_relu", "locked": true, "points": 1, "schema_version": 3, "solution": false}
# Checks `leaky_relu` on the visible cases (the same as self_check("leaky_relu")); the number shown is
# the points. Grading adds hidden cases on inputs you have not seen.
from coursekit.checks import score_test_cell

_hidden = False
### BEGIN HIDDEN TESTS
_hidden = True
### END HIDDEN TESTS
score_test_cell("leaky_relu", leaky_relu, hidden=_hidden)


# %% [markdown] nbgrader={"grade": false, "grade_id": "md_elu", "locked": true, "schema_version": 3, "solution": false}
# ## `elu(z, alpha=1.0)` (1 point)

# %% nbgrader={"grade": false, "grade_id": "elu", "locked": false, "schema_version": 3, "solution": true}
def elu(z, alpha=1.0):
    """z for z > 0, alpha * (exp(z) - 1) otherwise."""
    ### BEGIN SOLUTION
    z = np.asarray(z, dtype=float)
    return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0.0)))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_elu", "locked": true, "points": 1, "schema_version": 3, "solution": false}
# Checks `elu` on the visible cases (the same as self_check("elu")); the number shown is
# the points. Grading adds hidden cases on inputs you have not seen.
from coursekit.checks import score_test_cell

_hidden = False
### BEGIN HIDDEN TESTS
_hidden = True
### END HIDDEN TESTS
score_test_cell("elu", elu, hidden=_hidden)


# %% [markdown] nbgrader={"grade": false, "grade_id": "md_softmax", "locked": true, "schema_version": 3, "solution": false}
# ## `softmax(z, axis=-1)` (2 points)

# %% nbgrader={"grade": false, "grade_id": "softmax", "locked": false, "schema_version": 3, "solution": true}
def softmax(z, axis=-1):
    """exp(z) / sum(exp(z)) along `axis`, stable for large logits."""
    ### BEGIN SOLUTION
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_softmax", "locked": true, "points": 2, "schema_version": 3, "solution": false}
# Checks `softmax` on the visible cases (the same as self_check("softmax")); the number shown is
# the points. Grading adds hidden cases on inputs you have not seen.
from coursekit.checks import score_test_cell

_hidden = False
### BEGIN HIDDEN TESTS
_hidden = True
### END HIDDEN TESTS
score_test_cell("softmax", softmax, hidden=_hidden)


# %% [markdown] nbgrader={"grade": false, "grade_id": "md_dense_forward", "locked": true, "schema_version": 3, "solution": false}
# ## `dense_forward(x, kernel, bias, activation=None)` (2 points)

# %% nbgrader={"grade": false, "grade_id": "dense_forward", "locked": false, "schema_version": 3, "solution": true}
def dense_forward(x, kernel, bias, activation=None):
    """activation(x @ kernel + bias); x (batch, in), kernel (in, units), bias (units,)."""
    ### BEGIN SOLUTION
    z = np.asarray(x, dtype=float) @ np.asarray(kernel, dtype=float) + np.asarray(bias, dtype=float)
    if activation in (None, "linear"):
        return z
    if activation == "relu":
        return np.maximum(z, 0.0)
    if activation == "tanh":
        return np.tanh(z)
    if activation == "sigmoid":
        return 0.5 * (1.0 + np.tanh(z / 2.0))
    if activation == "softmax":
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    raise ValueError(f"unknown activation {activation!r}")
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_dense_forward", "locked": true, "points": 2, "schema_version": 3, "solution": false}
# Checks `dense_forward` on the visible cases (the same as self_check("dense_forward")); the number shown is
# the points. Grading adds hidden cases on inputs you have not seen.
from coursekit.checks import score_test_cell

_hidden = False
### BEGIN HIDDEN TESTS
_hidden = True
### END HIDDEN TESTS
score_test_cell("dense_forward", dense_forward, hidden=_hidden)


# %% [markdown] nbgrader={"grade": false, "grade_id": "md_mean_squared_error", "locked": true, "schema_version": 3, "solution": false}
# ## `mean_squared_error(y_true, y_pred)` (1 point)

# %% nbgrader={"grade": false, "grade_id": "mean_squared_error", "locked": false, "schema_version": 3, "solution": true}
def mean_squared_error(y_true, y_pred):
    """mean((y_true - y_pred)**2), a scalar."""
    ### BEGIN SOLUTION
    d = np.asarray(y_true, dtype=float) - np.asarray(y_pred, dtype=float)
    return float(np.mean(d * d))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_mean_squared_error", "locked": true, "points": 1, "schema_version": 3, "solution": false}
# Checks `mean_squared_error` on the visible cases (the same as self_check("mean_squared_error")); the number shown is
# the points. Grading adds hidden cases on inputs you have not seen.
from coursekit.checks import score_test_cell

_hidden = False
### BEGIN HIDDEN TESTS
_hidden = True
### END HIDDEN TESTS
score_test_cell("mean_squared_error", mean_squared_error, hidden=_hidden)


# %% [markdown] nbgrader={"grade": false, "grade_id": "md_binary_crossentropy", "locked": true, "schema_version": 3, "solution": false}
# ## `binary_crossentropy(y_true, y_pred)` (1 point)

# %% nbgrader={"grade": false, "grade_id": "binary_crossentropy", "locked": false, "schema_version": 3, "solution": true}
def binary_crossentropy(y_true, y_pred):
    """-mean(y log p + (1 - y) log(1 - p)), p clipped to [1e-7, 1 - 1e-7] as Keras does."""
    ### BEGIN SOLUTION
    y = np.asarray(y_true, dtype=float)
    p = np.clip(np.asarray(y_pred, dtype=float), 1e-7, 1 - 1e-7)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_binary_crossentropy", "locked": true, "points": 1, "schema_version": 3, "solution": false}
# Checks `binary_crossentropy` on the visible cases (the same as self_check("binary_crossentropy")); the number shown is
# the points. Grading adds hidden cases on inputs you have not seen.
from coursekit.checks import score_test_cell

_hidden = False
### BEGIN HIDDEN TESTS
_hidden = True
### END HIDDEN TESTS
score_test_cell("binary_crossentropy", binary_crossentropy, hidden=_hidden)


# %% [markdown] nbgrader={"grade": false, "grade_id": "md_categorical_crossentropy", "locked": true, "schema_version": 3, "solution": false}
# ## `categorical_crossentropy(y_true, y_pred)` (1 point)

# %% nbgrader={"grade": false, "grade_id": "categorical_crossentropy", "locked": false, "schema_version": 3, "solution": true}
def categorical_crossentropy(y_true, y_pred):
    """-mean over samples of sum over classes y log p (one-hot y, probabilities p)."""
    ### BEGIN SOLUTION
    y = np.asarray(y_true, dtype=float)
    p = np.asarray(y_pred, dtype=float)
    p = np.clip(p / p.sum(axis=-1, keepdims=True), 1e-7, 1 - 1e-7)
    return float(np.mean(-np.sum(y * np.log(p), axis=-1)))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_categorical_crossentropy", "locked": true, "points": 1, "schema_version": 3, "solution": false}
# Checks `categorical_crossentropy` on the visible cases (the same as self_check("categorical_crossentropy")); the number shown is
# the points. Grading adds hidden cases on inputs you have not seen.
from coursekit.checks import score_test_cell

_hidden = False
### BEGIN HIDDEN TESTS
_hidden = True
### END HIDDEN TESTS
score_test_cell("categorical_crossentropy", categorical_crossentropy, hidden=_hidden)


# %% [markdown] nbgrader={"grade": false, "grade_id": "md_nand_weights", "locked": true, "schema_version": 3, "solution": false}
# ## `nand_weights()` (1 point)

# %% nbgrader={"grade": false, "grade_id": "nand_weights", "locked": false, "schema_version": 3, "solution": true}
def nand_weights():
    """(w, b) such that step(x @ w + b) is NAND on {0, 1}^2."""
    ### BEGIN SOLUTION
    return np.array([-2.0, -2.0]), 3.0
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_nand_weights", "locked": true, "points": 1, "schema_version": 3, "solution": false}
# Checks `nand_weights` on the visible cases (the same as self_check("nand_weights")); the number shown is
# the points. Grading adds hidden cases on inputs you have not seen.
from coursekit.checks import score_test_cell

_hidden = False
### BEGIN HIDDEN TESTS
_hidden = True
### END HIDDEN TESTS
score_test_cell("nand_weights", nand_weights, hidden=_hidden)


# %% [markdown] nbgrader={"grade": false, "grade_id": "md_xor_network", "locked": true, "schema_version": 3, "solution": false}
# ## `xor_network()` (2 points)

# %% nbgrader={"grade": false, "grade_id": "xor_network", "locked": false, "schema_version": 3, "solution": true}
def xor_network():
    """[(W1, b1), (W2, b2)]: two step layers computing XOR."""
    ### BEGIN SOLUTION
    W1 = np.array([[1.0, -1.0], [1.0, -1.0]])   # unit 1: OR, unit 2: NAND
    b1 = np.array([-0.5, 1.5])
    W2 = np.array([[1.0], [1.0]])               # AND of the two
    b2 = np.array([-1.5])
    return [(W1, b1), (W2, b2)]
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_xor_network", "locked": true, "points": 2, "schema_version": 3, "solution": false}
# Checks `xor_network` on the visible cases (the same as self_check("xor_network")); the number shown is
# the points. Grading adds hidden cases on inputs you have not seen.
from coursekit.checks import score_test_cell

_hidden = False
### BEGIN HIDDEN TESTS
_hidden = True
### END HIDDEN TESTS
score_test_cell("xor_network", xor_network, hidden=_hidden)

# %% [markdown] nbgrader={"grade": false, "grade_id": "md_explain_xor", "locked": true, "schema_version": 3, "solution": false}
# ## Written question (2 points)
#
# **Explain** why a single perceptron cannot compute XOR, and why two layers can.

# %% [markdown] nbgrader={"grade": true, "grade_id": "explain_xor", "locked": false, "points": 2, "schema_version": 3, "solution": true}
# The four XOR points are not linearly separable: no line w.x + b = 0 puts (0,1), (1,0) on one side and (0,0), (1,1) on the other. A hidden layer maps the inputs to (OR, NAND), where XOR = AND of the two is linearly separable.

# %% [markdown] nbgrader={"grade": false, "grade_id": "md_self_check", "locked": true, "schema_version": 3, "solution": false}
# ## Before you submit
#
# Run every cell, then the checks for all exercises:

# %% nbgrader={"grade": false, "grade_id": "self_check", "locked": true, "schema_version": 3, "solution": false}
self_check()
