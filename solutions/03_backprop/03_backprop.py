# %% [markdown] nbgrader={"grade": false, "grade_id": "intro", "locked": true, "schema_version": 3, "solution": false}
# # Assignment 3: backpropagation
#
# Write each function in its cell (NumPy only). Run `self_check()` at any time: it runs the visible checks offline and says what is wrong. Grading runs the same checks on hidden inputs, compared against Keras/TensorFlow.
#
# Total: 15 points. Do not modify its inputs: a function that changes its arguments loses the case.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false}
import numpy as np

from coursekit.checks import self_check

# %% [markdown] nbgrader={"grade": false, "grade_id": "md_sigmoid_backward", "locked": true, "schema_version": 3, "solution": false}
# ## `sigmoid_backward(dout, z)` (1 point)

# %% nbgrader={"grade": false, "grade_id": "sigmoid_backward", "locked": false, "schema_version": 3, "solution": true}
def sigmoid_backward(dout, z):
    """dout * s * (1 - s), s = sigmoid(z)."""
    ### BEGIN SOLUTION
    s = 0.5 * (1.0 + np.tanh(np.asarray(z, dtype=float) / 2.0))
    return dout * s * (1.0 - s)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_sigmoid_backward", "locked": true, "points": 1, "schema_version": 3, "solution": false}
# Checks `sigmoid_backward` on the visible cases (the same as self_check("sigmoid_backward")); the number shown is
# the points. Grading adds hidden cases on inputs you have not seen.
from coursekit.checks import score_test_cell

_hidden = False
### BEGIN HIDDEN TESTS
_hidden = True
### END HIDDEN TESTS
score_test_cell("sigmoid_backward", sigmoid_backward, hidden=_hidden)


# %% [markdown] nbgrader={"grade": false, "grade_id": "md_relu_backward", "locked": true, "schema_version": 3, "solution": false}
# ## `relu_backward(dout, z)` (1 point)

# %% nbgrader={"grade": false, "grade_id": "relu_backward", "locked": false, "schema_version": 3, "solution": true}
def relu_backward(dout, z):
    """dout where z > 0, else 0 (TensorFlow's gradient at 0 is 0)."""
    ### BEGIN SOLUTION
    return np.where(np.asarray(z) > 0, dout, 0.0)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_relu_backward", "locked": true, "points": 1, "schema_version": 3, "solution": false}
# Checks `relu_backward` on the visible cases (the same as self_check("relu_backward")); the number shown is
# the points. Grading adds hidden cases on inputs you have not seen.
from coursekit.checks import score_test_cell

_hidden = False
### BEGIN HIDDEN TESTS
_hidden = True
### END HIDDEN TESTS
score_test_cell("relu_backward", relu_backward, hidden=_hidden)


# %% [markdown] nbgrader={"grade": false, "grade_id": "md_dense_backward", "locked": true, "schema_version": 3, "solution": false}
# ## `dense_backward(dout, x, kernel)` (2 points)

# %% nbgrader={"grade": false, "grade_id": "dense_backward", "locked": false, "schema_version": 3, "solution": true}
def dense_backward(dout, x, kernel):
    """(dx, dkernel, dbias) for out = x @ kernel + bias."""
    ### BEGIN SOLUTION
    return dout @ kernel.T, x.T @ dout, dout.sum(axis=0)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_dense_backward", "locked": true, "points": 2, "schema_version": 3, "solution": false}
# Checks `dense_backward` on the visible cases (the same as self_check("dense_backward")); the number shown is
# the points. Grading adds hidden cases on inputs you have not seen.
from coursekit.checks import score_test_cell

_hidden = False
### BEGIN HIDDEN TESTS
_hidden = True
### END HIDDEN TESTS
score_test_cell("dense_backward", dense_backward, hidden=_hidden)


# %% [markdown] nbgrader={"grade": false, "grade_id": "md_softmax_cross_entropy_backward", "locked": true, "schema_version": 3, "solution": false}
# ## `softmax_cross_entropy_backward(logits, y_true)` (2 points)

# %% nbgrader={"grade": false, "grade_id": "softmax_cross_entropy_backward", "locked": false, "schema_version": 3, "solution": true}
def softmax_cross_entropy_backward(logits, y_true):
    """d/dlogits of mean softmax cross-entropy: (softmax(logits) - y) / N."""
    ### BEGIN SOLUTION
    z = np.asarray(logits, dtype=float)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    p = e / e.sum(axis=-1, keepdims=True)
    return (p - y_true) / z.shape[0]
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_softmax_cross_entropy_backward", "locked": true, "points": 2, "schema_version": 3, "solution": false}
# Checks `softmax_cross_entropy_backward` on the visible cases (the same as self_check("softmax_cross_entropy_backward")); the number shown is
# the points. Grading adds hidden cases on inputs you have not seen.
from coursekit.checks import score_test_cell

_hidden = False
### BEGIN HIDDEN TESTS
_hidden = True
### END HIDDEN TESTS
score_test_cell("softmax_cross_entropy_backward", softmax_cross_entropy_backward, hidden=_hidden)


# %% [markdown] nbgrader={"grade": false, "grade_id": "md_mse_backward", "locked": true, "schema_version": 3, "solution": false}
# ## `mse_backward(y_true, y_pred)` (1 point)

# %% nbgrader={"grade": false, "grade_id": "mse_backward", "locked": false, "schema_version": 3, "solution": true}
def mse_backward(y_true, y_pred):
    """d/dy_pred of mean((y_pred - y_true)**2): 2 (y_pred - y_true) / size."""
    ### BEGIN SOLUTION
    d = np.asarray(y_pred, dtype=float) - np.asarray(y_true, dtype=float)
    return 2.0 * d / d.size
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_mse_backward", "locked": true, "points": 1, "schema_version": 3, "solution": false}
# Checks `mse_backward` on the visible cases (the same as self_check("mse_backward")); the number shown is
# the points. Grading adds hidden cases on inputs you have not seen.
from coursekit.checks import score_test_cell

_hidden = False
### BEGIN HIDDEN TESTS
_hidden = True
### END HIDDEN TESTS
score_test_cell("mse_backward", mse_backward, hidden=_hidden)


# %% [markdown] nbgrader={"grade": false, "grade_id": "md_mlp_forward", "locked": true, "schema_version": 3, "solution": false}
# ## `mlp_forward(x, params, hidden_activation="relu")` (2 points)

# %% nbgrader={"grade": false, "grade_id": "mlp_forward", "locked": false, "schema_version": 3, "solution": true}
def mlp_forward(x, params, hidden_activation="relu"):
    """Logits of Dense layers (kernel, bias); hidden layers use hidden_activation, the last is linear."""
    ### BEGIN SOLUTION
    act = {"relu": lambda z: np.maximum(z, 0.0), "tanh": np.tanh,
           "sigmoid": lambda z: 0.5 * (1.0 + np.tanh(z / 2.0))}[hidden_activation]
    h = np.asarray(x, dtype=float)
    for i, (kernel, bias) in enumerate(params):
        h = h @ kernel + bias
        if i < len(params) - 1:
            h = act(h)
    return h
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_mlp_forward", "locked": true, "points": 2, "schema_version": 3, "solution": false}
# Checks `mlp_forward` on the visible cases (the same as self_check("mlp_forward")); the number shown is
# the points. Grading adds hidden cases on inputs you have not seen.
from coursekit.checks import score_test_cell

_hidden = False
### BEGIN HIDDEN TESTS
_hidden = True
### END HIDDEN TESTS
score_test_cell("mlp_forward", mlp_forward, hidden=_hidden)


# %% [markdown] nbgrader={"grade": false, "grade_id": "md_mlp_backward", "locked": true, "schema_version": 3, "solution": false}
# ## `mlp_backward(x, y_true, params, hidden_activation="relu")` (3 points)

# %% nbgrader={"grade": false, "grade_id": "mlp_backward", "locked": false, "schema_version": 3, "solution": true}
def mlp_backward(x, y_true, params, hidden_activation="relu"):
    """(loss, grads) for the mean softmax cross-entropy of mlp_forward's logits."""
    ### BEGIN SOLUTION
    acts = {"relu": (lambda z: np.maximum(z, 0.0), lambda z, a: (z > 0).astype(float)),
            "tanh": (np.tanh, lambda z, a: 1.0 - a * a),
            "sigmoid": (lambda z: 0.5 * (1.0 + np.tanh(z / 2.0)), lambda z, a: a * (1.0 - a))}
    f, df = acts[hidden_activation]
    hs, zs = [np.asarray(x, dtype=float)], []
    for i, (kernel, bias) in enumerate(params):
        zs.append(hs[-1] @ kernel + bias)
        hs.append(f(zs[-1]) if i < len(params) - 1 else zs[-1])
    logits = hs[-1]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = len(logits)
    loss = -np.sum(y_true * log_p) / n
    d = (np.exp(log_p) - y_true) / n
    grads = [None] * len(params)
    for i in range(len(params) - 1, -1, -1):
        grads[i] = (hs[i].T @ d, d.sum(axis=0))
        if i > 0:
            d = (d @ params[i][0].T) * df(zs[i - 1], hs[i])
    return float(loss), grads
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_mlp_backward", "locked": true, "points": 3, "schema_version": 3, "solution": false}
# Checks `mlp_backward` on the visible cases (the same as self_check("mlp_backward")); the number shown is
# the points. Grading adds hidden cases on inputs you have not seen.
from coursekit.checks import score_test_cell

_hidden = False
### BEGIN HIDDEN TESTS
_hidden = True
### END HIDDEN TESTS
score_test_cell("mlp_backward", mlp_backward, hidden=_hidden)


# %% [markdown] nbgrader={"grade": false, "grade_id": "md_gradient_check", "locked": true, "schema_version": 3, "solution": false}
# ## `gradient_check(f, x, analytic_grad, h=1e-5)` (2 points)

# %% nbgrader={"grade": false, "grade_id": "gradient_check", "locked": false, "schema_version": 3, "solution": true}
def gradient_check(f, x, analytic_grad, h=1e-5):
    """Relative error norm(a - n) / max(norm(a) + norm(n), 1e-12), n by central differences."""
    ### BEGIN SOLUTION
    x = np.array(x, dtype=float)
    num = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        fp = f(x)
        x[i] = old - h
        fm = f(x)
        x[i] = old
        num[i] = (fp - fm) / (2 * h)
    a = np.asarray(analytic_grad, dtype=float)
    return float(np.linalg.norm(a - num) / max(np.linalg.norm(a) + np.linalg.norm(num), 1e-12))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_gradient_check", "locked": true, "points": 2, "schema_version": 3, "solution": false}
# Checks `gradient_check` on the visible cases (the same as self_check("gradient_check")); the number shown is
# the points. Grading adds hidden cases on inputs you have not seen.
from coursekit.checks import score_test_cell

_hidden = False
### BEGIN HIDDEN TESTS
_hidden = True
### END HIDDEN TESTS
score_test_cell("gradient_check", gradient_check, hidden=_hidden)

# %% [markdown] nbgrader={"grade": false, "grade_id": "md_explain_vanishing", "locked": true, "schema_version": 3, "solution": false}
# ## Written question (1 point)
#
# **Explain** why deep sigmoid networks suffer from vanishing gradients and why ReLU helps.

# %% [markdown] nbgrader={"grade": true, "grade_id": "explain_vanishing", "locked": false, "points": 1, "schema_version": 3, "solution": true}
# The sigmoid's derivative is at most 0.25, so the backpropagated gradient is multiplied by <= 0.25 per layer and shrinks geometrically; ReLU's derivative is 1 for active units.

# %% [markdown] nbgrader={"grade": false, "grade_id": "md_self_check", "locked": true, "schema_version": 3, "solution": false}
# ## Before you submit
#
# Run every cell, then the checks for all exercises:

# %% nbgrader={"grade": false, "grade_id": "self_check", "locked": true, "schema_version": 3, "solution": false}
self_check()
