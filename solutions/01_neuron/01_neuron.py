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
# The logistic sigmoid, elementwise, as `keras.activations.sigmoid` computes it:
#
# $$\sigma(z) = \frac{1}{1 + e^{-z}}$$
#
# - `z`: a NumPy array of any shape (a 0-d array too), float32 or float64. Return an array of the same shape.
# - **Without overflow**: the graded inputs reach $|z| = 10^4$, and any floating-point warning (e.g. `RuntimeWarning: overflow encountered in exp`) loses the case. $e^{-z}$ overflows for $z < -709$ (float64) or $z < -88$ (float32). Use the numerically stable form, which only ever exponentiates $-|z| \le 0$:
#   $$\sigma(z) = \begin{cases} \dfrac{1}{1 + e^{-z}} & z \ge 0 \\[2mm] \dfrac{e^{z}}{1 + e^{z}} & z < 0 \end{cases}$$
#   (compute `e = np.exp(-np.abs(z))` once), or `np.exp(-np.logaddexp(0, -z))`.
#
# The lecture's neuron computes $\sigma(185 \cdot 0.0006 + 85 \cdot 0.0002 + 1)$. The slide says 0.7; compute it with your function: $z = 1.128$ and $\sigma(z) = 0.7555$, not 0.7.

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
#
# $\mathrm{relu}(z) = \max(z, 0)$ elementwise, as `keras.activations.relu`. `z`: an array of any shape (float32 or float64, $|z|$ up to $10^3$); return a new array of the same shape. Do not write into `z` (e.g. `z[z < 0] = 0` changes the caller's array and loses the case).

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
#
# Elementwise, as `keras.activations.leaky_relu(z, negative_slope)`:
#
# $$\mathrm{leaky\_relu}(z) = \begin{cases} z & z > 0 \\ \text{negative\_slope} \cdot z & z \le 0 \end{cases}$$
#
# - Your default slope must be **0.1** (the lecture's $\max(0.1z, z)$; Keras's own default is 0.2): some graded calls omit it.
# - `negative_slope` may be passed by position (`leaky_relu(z, 0.3)`) or by keyword.
# - `z`: any shape, float32 or float64, $|z|$ up to $10^3$; return an array of the same shape.

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
#
# Elementwise, as `keras.activations.elu(z, alpha)`:
#
# $$\mathrm{elu}(z) = \begin{cases} z & z > 0 \\ \alpha\,(e^{z} - 1) & z \le 0 \end{cases}$$
#
# - `alpha` may be passed by position (`elu(z, 2.0)`) or by keyword; `z`: any shape, float32 or float64. Return an array of the same shape.
# - The graded inputs reach $|z| = 10^3$ and every returned value must be **finite**: `elu(1000.0)` is 1000, never NaN or inf. $e^{1000}$ overflows to inf, and a mask product such as `(np.exp(z) - 1) * (z <= 0)` then gives $\infty \cdot 0 = $ NaN. Select the branch with `np.where`, and exponentiate only the non-positive part, `np.minimum(z, 0)` (`np.expm1(x)` computes $e^x - 1$ accurately).
# - Floating-point warnings are **not** graded here (only the returned values are).

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
#
# As `keras.activations.softmax(z, axis)`: along `axis`, every slice becomes a probability distribution,
#
# $$\mathrm{softmax}(\mathbf z)_j = \frac{e^{z_j}}{\sum_k e^{z_k}} = \frac{e^{z_j - m}}{\sum_k e^{z_k - m}},\qquad m = \max_k z_k .$$
#
# - `z`: 1-D or more, float32 or float64; `axis` (default the last) may be passed by position or by keyword and may be negative. Return an array of the shape of `z`; every slice along `axis` sums to 1.
# - **Stable for any magnitude**: the logits reach $\pm 10^3$. Subtract **each slice's own maximum** along `axis` (`z.max(axis=axis, keepdims=True)`), never the global maximum of the whole array: in an array holding one row around $+10^3$ and another around $-10^3$, the global maximum makes every $e^{z - m}$ of the second row underflow to 0, and $0/0$ = NaN.
#
# The lecture's cat/dog/horse table: the scores `[[5, 4, 2], [4, 2, 8], [4, 4, 1]]` (one row per image, one column per class) give the probabilities `[[0.71, 0.26, 0.04], [0.02, 0.00, 0.98], [0.49, 0.49, 0.02]]` (rounded).

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
#
# The forward pass of `keras.layers.Dense(units, activation=activation)` whose weights are `set_weights([kernel, bias])`:
#
# $$\text{out} = \text{activation}(x\,W + b)$$
#
# - `x`: `(batch, in_features)` (a batch may hold a single sample); `kernel` $W$: `(in_features, units)` (Keras's layout: use `x @ kernel`, not its transpose); `bias` $b$: `(units,)`. Return `(batch, units)`. Inputs are float32 or float64, $|x|$ up to $10^3$.
# - `activation` is one of these names (by position or keyword), computed as Keras does:
#   - `None` or `"linear"`: the identity, $z$;
#   - `"relu"`: $\max(z, 0)$;
#   - `"sigmoid"`: $1 / (1 + e^{-z})$;
#   - `"tanh"`: $\tanh z$;
#   - `"softmax"`: softmax over the units (the last axis), each row of the batch separately, stable for pre-activations in the thousands (subtract each row's max).
# - Floating-point warnings are not graded here; NaN or inf values are wrong.

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
#
# As `keras.losses.MeanSquaredError()(y_true, y_pred)`: the mean of the squared errors over **all** entries (every output of every sample),
#
# $$\text{MSE} = \frac{1}{N}\sum_{i} (y_i - \hat y_i)^2 .$$
#
# - `y_true`, `y_pred`: arrays of the same shape, `(batch, outputs)` or `(batch,)`, float32 or float64, values up to $10^3$.
# - Return a scalar: a Python float or a 0-d array (not an array of shape `(1,)`).

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
#
# As `keras.losses.BinaryCrossentropy()(y_true, y_pred)` on probabilities (`from_logits=False`):
#
# $$\text{BCE} = -\frac{1}{N}\sum_{i} \Big[y_i \log p_i + (1 - y_i)\log(1 - p_i)\Big],\qquad p_i = \mathrm{clip}(\hat y_i,\ \epsilon,\ 1 - \epsilon),\quad \epsilon = 10^{-7}.$$
#
# - `y_true`: labels in {0, 1}; `y_pred`: probabilities in $[0, 1]$, **including exactly 0 and exactly 1**; same shape, `(batch, outputs)`, float32 or float64. The mean is over all entries.
# - Clip first, as Keras does (`np.clip(y_pred, 1e-7, 1 - 1e-7)`): without it $\log 0 = -\infty$ and $0 \cdot \log 0$ = NaN. (Keras clips in the inputs' dtype: in float32, $1 - 10^{-7}$ rounds to $1 - 1.19\cdot 10^{-7}$; both are accepted.)
# - Return a scalar (a float or a 0-d array).

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
#
# As `keras.losses.CategoricalCrossentropy()(y_true, y_pred)` on probabilities: summed over the classes, averaged over the samples,
#
# $$\text{CCE} = -\frac{1}{n}\sum_{i=1}^{n} \sum_{k} y_{ik} \log p_{ik},\qquad p_{ik} = \mathrm{clip}\Big(\frac{\hat y_{ik}}{\sum_{k'} \hat y_{ik'}},\ \epsilon,\ 1 - \epsilon\Big),\quad \epsilon = 10^{-7}.$$
#
# - `y_true`: one-hot labels `(batch, classes)`; `y_pred`: probabilities of the same shape, float32 or float64, **including exactly 0 and exactly 1** (a certain prediction). Keras divides each row by its sum (the graded rows already sum to 1) and clips to $[10^{-7}, 1 - 10^{-7}]$: a true class predicted with probability 0 costs $-\log 10^{-7} \approx 16.1$, not $\infty$.
# - Return a scalar (a float or a 0-d array).
#
# The lecture's worked example (salmon / sea bass): the label is $[0, 1]$ (sea bass); the output $[0.83, 0.17]$ costs $-\log 0.17 = 1.77$, the output $[0.21, 0.79]$ costs $-\log 0.79 = 0.236$. Both as one batch: `categorical_crossentropy([[0, 1], [0, 1]], [[0.83, 0.17], [0.21, 0.79]])` $= (1.772 + 0.236)/2 = 1.004$.

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
#
# Return `(w, b)`: a weight vector `w` of shape `(2,)` (or `(2, 1)`) and a bias `b` (a number or shape `(1,)`) such that the perceptron $\hat y = \text{step}(\mathbf x \cdot \mathbf w + b)$ computes NAND on the four inputs $(0,0), (0,1), (1,0), (1,1)$: outputs 1, 1, 1, 0.
#
# The step is the lecture's: $\text{step}(z) = 1$ for $z \ge 0$ and $0$ for $z < 0$, so **step(0) = 1**. An input with $z = 0$ exactly outputs 1. The checker computes $z$ = `x @ w + b` in float64 and compares it with 0 exactly.

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
#
# Return `[(W1, b1), (W2, b2)]`: two layers of step units computing XOR on $(0,0), (0,1), (1,0), (1,1)$ (outputs 0, 1, 1, 0):
#
# $$\mathbf h = \text{step}(\mathbf x W_1 + \mathbf b_1),\qquad \hat y = \text{step}(\mathbf h W_2 + \mathbf b_2).$$
#
# - Shapes: `W1` `(2, hidden)`, `b1` `(hidden,)`, `W2` `(hidden, 1)` (or `(hidden,)`), `b2` `(1,)` or a number.
# - The same step as in `nand_weights`: $\text{step}(z) = 1$ for $z \ge 0$ (step(0) = 1), 0 for $z < 0$, with $z$ computed in float64.

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
