# %% [markdown] nbgrader={"grade": false, "grade_id": "intro", "locked": true, "schema_version": 3, "solution": false}
# # Assignment 2: gradient descent and optimizers
#
# Write each function in its cell (NumPy only). Run `self_check()` at any time: it runs the visible checks offline and says what is wrong. Grading runs the same checks on hidden inputs, compared against Keras/TensorFlow.
#
# Total: 14 points. Do not modify its inputs: a function that changes its arguments loses the case.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false}
import numpy as np

from coursekit.checks import self_check

# %% [markdown] nbgrader={"grade": false, "grade_id": "md_numerical_gradient", "locked": true, "schema_version": 3, "solution": false}
# ## `numerical_gradient(f, x, h=1e-5)` (2 points)

# %% nbgrader={"grade": false, "grade_id": "numerical_gradient", "locked": false, "schema_version": 3, "solution": true}
def numerical_gradient(f, x, h=1e-5):
    """Central differences (f(x + h e_i) - f(x - h e_i)) / (2h) for every entry of x."""
    ### BEGIN SOLUTION
    x = np.array(x, dtype=float)  # a copy: the caller's x is never touched
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        f_plus = f(x)
        x[i] = old - h
        f_minus = f(x)
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_numerical_gradient", "locked": true, "points": 2, "schema_version": 3, "solution": false}
# Checks `numerical_gradient` on the visible cases (the same as self_check("numerical_gradient")); the number shown is
# the points. Grading adds hidden cases on inputs you have not seen.
from coursekit.checks import score_test_cell

_hidden = False
### BEGIN HIDDEN TESTS
_hidden = True
### END HIDDEN TESTS
score_test_cell("numerical_gradient", numerical_gradient, hidden=_hidden)


# %% [markdown] nbgrader={"grade": false, "grade_id": "md_gradient_descent", "locked": true, "schema_version": 3, "solution": false}
# ## `gradient_descent(grad_fn, x0, learning_rate, num_steps)` (2 points)

# %% nbgrader={"grade": false, "grade_id": "gradient_descent", "locked": false, "schema_version": 3, "solution": true}
def gradient_descent(grad_fn, x0, learning_rate, num_steps):
    """Trajectory x_0, x_1, ... with x_{k+1} = x_k - learning_rate * grad_fn(x_k)."""
    ### BEGIN SOLUTION
    x = np.array(x0, dtype=float)
    path = [x.copy()]
    for _ in range(num_steps):
        x = x - learning_rate * grad_fn(x)
        path.append(x.copy())
    return np.stack(path)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_gradient_descent", "locked": true, "points": 2, "schema_version": 3, "solution": false}
# Checks `gradient_descent` on the visible cases (the same as self_check("gradient_descent")); the number shown is
# the points. Grading adds hidden cases on inputs you have not seen.
from coursekit.checks import score_test_cell

_hidden = False
### BEGIN HIDDEN TESTS
_hidden = True
### END HIDDEN TESTS
score_test_cell("gradient_descent", gradient_descent, hidden=_hidden)


# %% [markdown] nbgrader={"grade": false, "grade_id": "md_sgd_update", "locked": true, "schema_version": 3, "solution": false}
# ## `sgd_update(w, grad, velocity, learning_rate, momentum=0.0, nesterov=False)` (2 points)

# %% nbgrader={"grade": false, "grade_id": "sgd_update", "locked": false, "schema_version": 3, "solution": true}
def sgd_update(w, grad, velocity, learning_rate, momentum=0.0, nesterov=False):
    """Keras SGD: velocity = momentum * velocity - lr * grad; w += velocity (Nesterov: look ahead)."""
    ### BEGIN SOLUTION
    velocity = momentum * np.asarray(velocity, dtype=float) - learning_rate * np.asarray(grad, dtype=float)
    if nesterov:
        new_w = w + momentum * velocity - learning_rate * grad
    else:
        new_w = w + velocity
    return new_w, velocity
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_sgd_update", "locked": true, "points": 2, "schema_version": 3, "solution": false}
# Checks `sgd_update` on the visible cases (the same as self_check("sgd_update")); the number shown is
# the points. Grading adds hidden cases on inputs you have not seen.
from coursekit.checks import score_test_cell

_hidden = False
### BEGIN HIDDEN TESTS
_hidden = True
### END HIDDEN TESTS
score_test_cell("sgd_update", sgd_update, hidden=_hidden)


# %% [markdown] nbgrader={"grade": false, "grade_id": "md_rmsprop_update", "locked": true, "schema_version": 3, "solution": false}
# ## `rmsprop_update(w, grad, velocity, learning_rate=0.001, rho=0.9, epsilon=1e-7)` (2 points)

# %% nbgrader={"grade": false, "grade_id": "rmsprop_update", "locked": false, "schema_version": 3, "solution": true}
def rmsprop_update(w, grad, velocity, learning_rate=0.001, rho=0.9, epsilon=1e-7):
    """Keras RMSprop: velocity = rho v + (1 - rho) g^2; w -= lr g / sqrt(velocity + epsilon)."""
    ### BEGIN SOLUTION
    velocity = rho * velocity + (1 - rho) * np.square(grad)
    return w - learning_rate * grad / np.sqrt(velocity + epsilon), velocity
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_rmsprop_update", "locked": true, "points": 2, "schema_version": 3, "solution": false}
# Checks `rmsprop_update` on the visible cases (the same as self_check("rmsprop_update")); the number shown is
# the points. Grading adds hidden cases on inputs you have not seen.
from coursekit.checks import score_test_cell

_hidden = False
### BEGIN HIDDEN TESTS
_hidden = True
### END HIDDEN TESTS
score_test_cell("rmsprop_update", rmsprop_update, hidden=_hidden)


# %% [markdown] nbgrader={"grade": false, "grade_id": "md_adam_update", "locked": true, "schema_version": 3, "solution": false}
# ## `adam_update(w, grad, m, v, t, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7)` (3 points)

# %% nbgrader={"grade": false, "grade_id": "adam_update", "locked": false, "schema_version": 3, "solution": true}
def adam_update(w, grad, m, v, t, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    """Keras Adam at the 1-based step t."""
    ### BEGIN SOLUTION
    m = beta_1 * m + (1 - beta_1) * grad
    v = beta_2 * v + (1 - beta_2) * np.square(grad)
    alpha = learning_rate * np.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
    return w - alpha * m / (np.sqrt(v) + epsilon), m, v
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_adam_update", "locked": true, "points": 3, "schema_version": 3, "solution": false}
# Checks `adam_update` on the visible cases (the same as self_check("adam_update")); the number shown is
# the points. Grading adds hidden cases on inputs you have not seen.
from coursekit.checks import score_test_cell

_hidden = False
### BEGIN HIDDEN TESTS
_hidden = True
### END HIDDEN TESTS
score_test_cell("adam_update", adam_update, hidden=_hidden)


# %% [markdown] nbgrader={"grade": false, "grade_id": "md_iterate_minibatches", "locked": true, "schema_version": 3, "solution": false}
# ## `iterate_minibatches(x, y, batch_size, shuffle=True, seed=None)` (2 points)

# %% nbgrader={"grade": false, "grade_id": "iterate_minibatches", "locked": false, "schema_version": 3, "solution": true}
def iterate_minibatches(x, y, batch_size, shuffle=True, seed=None):
    """Yield (x_batch, y_batch); every sample once per pass; the last short batch is kept."""
    ### BEGIN SOLUTION
    n = len(x)
    order = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)
    for start in range(0, n, batch_size):
        idx = order[start:start + batch_size]
        yield x[idx], y[idx]
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_iterate_minibatches", "locked": true, "points": 2, "schema_version": 3, "solution": false}
# Checks `iterate_minibatches` on the visible cases (the same as self_check("iterate_minibatches")); the number shown is
# the points. Grading adds hidden cases on inputs you have not seen.
from coursekit.checks import score_test_cell

_hidden = False
### BEGIN HIDDEN TESTS
_hidden = True
### END HIDDEN TESTS
score_test_cell("iterate_minibatches", iterate_minibatches, hidden=_hidden)

# %% [markdown] nbgrader={"grade": false, "grade_id": "md_explain_learning_rate", "locked": true, "schema_version": 3, "solution": false}
# ## Written question (1 point)
#
# **Explain** what happens with a learning rate that is too high and one that is too low.

# %% [markdown] nbgrader={"grade": true, "grade_id": "explain_learning_rate", "locked": false, "points": 1, "schema_version": 3, "solution": true}
# Too high: steps overshoot the minimum, the loss oscillates or diverges (on a quadratic, once lr > 2 / largest curvature). Too low: progress is very slow.

# %% [markdown] nbgrader={"grade": false, "grade_id": "md_self_check", "locked": true, "schema_version": 3, "solution": false}
# ## Before you submit
#
# Run every cell, then the checks for all exercises:

# %% nbgrader={"grade": false, "grade_id": "self_check", "locked": true, "schema_version": 3, "solution": false}
self_check()
