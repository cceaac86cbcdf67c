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
#
# The gradient of a scalar function `f` at the array `x`, by **central differences**, one entry at a time:
#
# $$\frac{\partial f}{\partial x_i} \approx \frac{f(x + h\,e_i) - f(x - h\,e_i)}{2h}$$
#
# where $e_i$ is the array of `x`'s shape with a 1 at position $i$ (any number of dimensions: loop with `np.ndindex(x.shape)`).
#
# - `f` takes an array of `x`'s shape and returns a number; `h` may be passed by position or keyword.
# - `x` may be float32 or float64 (or a non-contiguous view, such as a slice `a[:, ::2]`). Work on a **float64 copy**: `np.array(x, dtype=np.float64)`. In float32, `x + h` is rounded (for $|x| \approx 1000$, `x + 1e-5 == x`).
# - Return a **float64 array of `x`'s shape**.
# - The caller's `x` must be left **bit for bit unchanged**: perturbing it and "restoring" it by arithmetic (`x[i] += h` ... `x[i] -= h`) does not give back the same floats.

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
#
# Plain gradient descent (what `keras.optimizers.SGD(learning_rate)` does without momentum):
#
# $$x_{k+1} = x_k - \eta\,\nabla f(x_k)$$
#
# with $\eta$ = `learning_rate`.
#
# - `grad_fn(x)` returns the gradient, an array of `x0`'s shape. `x0` may have any shape (a vector, a matrix, one element), be float32 or float64, or be a non-contiguous view.
# - Return the **trajectory**: a float64 array of shape `(num_steps + 1,) + x0.shape` whose row 0 is `x0` and row $k$ is $x_k$. With `num_steps = 0` it is just `x0` (one row).
# - Do not modify `x0`; append a new array each step (`x = x - lr * g`, not `x -= ...` on an array already in the list).

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
#
# One step of `keras.optimizers.SGD(learning_rate, momentum, nesterov)`, with **Keras's sign convention** (the velocity already contains the minus sign):
#
# $$v \leftarrow \mu\,v - \eta\,g$$
# $$w \leftarrow w + v \quad\text{(classical momentum)}, \qquad w \leftarrow w + \mu\,v - \eta\,g \quad\text{(nesterov = True, with the new } v\text{)}$$
#
# with $\mu$ = `momentum`, $\eta$ = `learning_rate`, $g$ = `grad`. The Nesterov line is Keras's rewritten "look-ahead" form: the gradient is the one at the current `w`.
#
# - Return the tuple **`(new_w, new_velocity)`**, both of `w`'s shape. The grader calls your function once per step, feeding back the velocity you returned, and compares every step's `new_w` and `new_velocity` with Keras's weights and its momentum slot.
# - The velocity passed in may be nonzero (the state after earlier steps, in the same convention). A velocity kept with the opposite sign ($v \leftarrow \mu v + \eta g$, $w \leftarrow w - v$) gives the right `w` but loses points: the returned velocity is graded.
# - With `momentum = 0` (also with `nesterov=True`) this is plain $w \leftarrow w - \eta g$; Keras keeps no velocity then, so the returned velocity is not graded.
# - `w`, `grad`, `velocity` have the same shape (any, including one element), float32 or float64, with magnitudes up to about $10^3$; they may be non-contiguous views. Do not modify them: return new arrays.

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
#
# One step of `keras.optimizers.RMSprop(learning_rate, rho, epsilon=epsilon)` (no momentum, not centered), as Keras 3 computes it:
#
# $$v \leftarrow \rho\,v + (1 - \rho)\,g^2$$
# $$w \leftarrow w - \frac{\eta\,g}{\sqrt{v + \epsilon}}$$
#
# (elementwise, with the **new** $v$). Keras puts $\epsilon$ **inside** the square root; $\sqrt{v} + \epsilon$ (Hinton's slides, PyTorch) differs when gradients are tiny. There is no bias correction.
#
# - Return the tuple **`(new_w, new_velocity)`**, both of `w`'s shape; both are graded at every step (your returned velocity is fed back into the next call).
# - The velocity passed in may be nonzero (state after earlier steps). Arrays: any shape, float32 or float64, gradients from $10^{-4}$ to $10^3$ in the same array, possibly non-contiguous views. Do not modify the inputs.

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
#
# One step of `keras.optimizers.Adam(learning_rate, beta_1, beta_2, epsilon)` at step `t`, as Keras 3 writes it (bias correction folded into the step size):
#
# $$m \leftarrow \beta_1\,m + (1 - \beta_1)\,g, \qquad v \leftarrow \beta_2\,v + (1 - \beta_2)\,g^2$$
# $$\alpha = \eta\,\frac{\sqrt{1 - \beta_2^{\,t}}}{1 - \beta_1^{\,t}}, \qquad w \leftarrow w - \frac{\alpha\,m}{\sqrt{v} + \epsilon}$$
#
# (elementwise, with the **new** $m$ and $v$).
#
# - `t` is the **1-based** step number, used as given: the first step is `t = 1` (never add or subtract 1). The grader may start at a later step (e.g. `t = 1000`) with nonzero `m` and `v` from earlier steps.
# - $\epsilon$ is added to $\sqrt{v}$ **before** multiplying by the bias-correction factor. The paper's form $\hat m / (\sqrt{\hat v} + \epsilon)$ with $\hat m = m / (1 - \beta_1^t)$, $\hat v = v / (1 - \beta_2^t)$ puts $\epsilon$ elsewhere and differs for tiny gradients.
# - Return the tuple **`(new_w, new_m, new_v)`**, each of `w`'s shape; all three are graded at every step.
# - Arrays: any shape, float32 or float64, magnitudes up to about $10^3$ (and gradients down to $10^{-5}$), possibly non-contiguous views. Do not modify the inputs.

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
#
# A **generator** (use `yield`) over one pass (one epoch) of the data, in mini-batches.
#
# - `x` has shape `(n, d)`, `y` has shape `(n,)` or `(n, k)` (float32 or float64, possibly non-contiguous). Sample $i$ is the pair `x[i]`, `y[i]`.
# - The order: `order = np.random.default_rng(seed).permutation(n)` when `shuffle` is true, `np.arange(n)` when false. This exact call is graded when a seed is given (the same seed must give the same batches every time); with `seed=None` any shuffled order is accepted.
# - Yield `(x[idx], y[idx])` for `idx = order[0:batch_size]`, `order[batch_size:2 * batch_size]`, ...: every sample exactly once, pairs kept together.
# - The **last batch is shorter** when `batch_size` does not divide `n`: keep it. With `batch_size > n` there is one batch of all `n` samples; `batch_size = 1` gives `n` batches of one sample.
# - `shuffle` and `seed` may be passed by position or keyword. Do not modify `x` or `y`.

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
