# %% [markdown] nbgrader={"grade": false, "grade_id": "intro", "locked": true, "schema_version": 3, "solution": false}
# # Assignment 3: backpropagation
#
# Write each function in its cell (NumPy only). Run `self_check()` at any time: it runs the visible checks offline and says what is wrong. Grading runs the same checks on hidden inputs, compared against Keras/TensorFlow.
#
# Total: 25 points: 18 checked automatically, 7 for the written answers (graded by a TA). Do not modify its inputs: a function that changes its arguments loses the case.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false}
import numpy as np

from coursekit.checks import self_check

# %% [markdown] nbgrader={"grade": false, "grade_id": "md_sigmoid_backward", "locked": true, "schema_version": 3, "solution": false}
# ## `sigmoid_backward(dout, z)` (1 point)
#
# The gradient through a sigmoid layer $a = \sigma(z)$: given the upstream gradient `dout` $= \partial L / \partial a$, return $\partial L / \partial z$ (what `tf.GradientTape` gives for $\sum \sigma(z) \odot \text{dout}$):
#
# $$\frac{\partial L}{\partial z} = \text{dout} \odot \sigma(z)\,\bigl(1 - \sigma(z)\bigr), \qquad \sigma(z) = \frac{1}{1 + e^{-z}}$$
#
# - `dout`, `z`: arrays of the same shape (any shape), float32 or float64. Return an array of that shape.
# - `z` is the **pre-activation**, not $\sigma(z)$: compute $s = \sigma(z)$ yourself.
# - **Without overflow**: graded inputs reach $|z| = 10^3$, and any floating-point warning (e.g. `RuntimeWarning: overflow encountered in exp`) loses the case. `1 / (1 + np.exp(-z))` overflows for $z < -709$ (float64) or $z < -88$ (float32), and `np.where(z >= 0, 1 / (1 + np.exp(-z)), ...)` still warns (NumPy evaluates both branches on every element). Use a stable form: $s = \tfrac{1}{2}\bigl(1 + \tanh(z/2)\bigr)$, or `np.exp(-np.logaddexp(0, -z))`. At $|z| = 10^3$ the right gradient is 0.

# %% nbgrader={"grade": false, "grade_id": "sigmoid_backward", "locked": false, "schema_version": 3, "solution": true}
def sigmoid_backward(dout, z):
    """dout * s * (1 - s), s = sigmoid(z), without overflow warnings."""
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
#
# The gradient through a ReLU layer $a = \max(z, 0)$, given the upstream gradient `dout` $= \partial L / \partial a$:
#
# $$\frac{\partial L}{\partial z} = \begin{cases} \text{dout} & z > 0 \\ 0 & z \le 0 \end{cases}$$
#
# - `dout`, `z`: arrays of the same shape (any shape), float32 or float64. Return an array of that shape.
# - **At exactly $z = 0$ (and $z = -0.0$) the gradient is 0**, as TensorFlow defines it (`tf.GradientTape` of `tf.nn.relu`): test `z > 0`, not `z >= 0`. Graded inputs contain exact zeros and $|z|$ up to $10^3$.
# - Return a new array: do not write into `dout` (`dout[z <= 0] = 0` changes the caller's array and loses the case).

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
#
# The backward pass of a Dense layer without activation, $\text{out} = x\,W + b$, for a batch: `x` $(N, D)$, `kernel` $W$ of shape $(D, U)$ (inputs x units, as Keras stores it), the bias $b$ $(U,)$ (not needed, so not an argument) and the upstream gradient `dout` $= \partial L / \partial\,\text{out}$ of shape $(N, U)$. Return the tuple **`(dx, dkernel, dbias)`**:
#
# $$dx = \text{dout}\,W^\top \;\; (N, D), \qquad dW = x^\top\,\text{dout} \;\; (D, U), \qquad db = \sum_{n=1}^{N} \text{dout}_{n,:} \;\; (U,)$$
#
# - `dbias` is the **sum** over the batch (`dout.sum(axis=0)`), not the mean; nothing is divided by $N$ (any averaging is already in `dout`).
# - `dkernel` has the kernel's shape $(D, U)$.
# - Graded against `tf.GradientTape` of $\sum (x W + b) \odot \text{dout}$, on float32 and float64 inputs, including one sample ($N = 1$), one input feature ($D = 1$), one unit ($U = 1$) and $|x|$ up to $10^3$.

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
#
# The gradient, with respect to the logits, of the mean softmax cross-entropy as `keras.losses.CategoricalCrossentropy(from_logits=True)` computes it (the mean over the $N$ samples):
#
# $$L = -\frac{1}{N}\sum_{n=1}^{N}\sum_{k} y_{nk}\,\log p_{nk}, \quad p_{n} = \operatorname{softmax}(z_{n}), \qquad \frac{\partial L}{\partial z} = \frac{p - y}{N}$$
#
# - `logits` $z$: $(N, K)$, one row per sample ($N = 1$ possible); `y_true` $y$: $(N, K)$ **one-hot** rows (a single 1 per row). Float32 or float64. Return an $(N, K)$ array; $N$ = `logits.shape[0]`.
# - The softmax is taken **per row**, shifted by the row's own max so that `np.exp` never overflows: $p_{nk} = e^{z_{nk} - m_n} / \sum_j e^{z_{nj} - m_n}$, $m_n = \max_j z_{nj}$ (`logits.max(axis=-1, keepdims=True)`).
# - Graded logits reach $|z| = 10^3$, with rows of very different scale in one batch ($10^{-3}$ next to $10^3$) and probabilities exactly 0 and 1. Without the shift `np.exp` overflows (NaN); the global max `logits.max()` underflows the smaller rows to $0 / 0$ (NaN).

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
#
# The gradient, with respect to `y_pred`, of `keras.losses.MeanSquaredError()`: the mean over **every element** (all samples and all outputs), $S$ = `y_pred.size`:
#
# $$L = \frac{1}{S}\sum_{i=1}^{S} (\hat y_i - y_i)^2, \qquad \frac{\partial L}{\partial \hat y} = \frac{2\,(\hat y - y)}{S}$$
#
# - `y_true` $y$, `y_pred` $\hat y$: arrays of the same shape, $(N, K)$ or 1-D $(N,)$, float32 or float64 ($N = 1$, $K = 1$ and $|y|$ up to $10^3$ included). Return an array of that shape.
# - Divide by the number of elements $S = N K$: not by $N$ alone, nor by $K$ alone.

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
#
# The logits of a multi-layer perceptron: what a `keras.Sequential` of `Dense` layers with these weights returns, every layer but the last followed by `hidden_activation`, the **last layer linear** (no softmax):
#
# $$a^{0} = x, \qquad a^{l} = f\bigl(a^{l-1} W_l + b_l\bigr) \;\; (l = 1, \dots, L - 1), \qquad \text{logits} = a^{L-1} W_L + b_L$$
#
# - `x`: $(N, D)$, one sample per row ($N = 1$ possible).
# - `params`: a list of $L \ge 1$ pairs `[(W1, b1), (W2, b2), ..., (WL, bL)]`, input layer first. `Wl` has shape $(n_{l-1}, n_l)$ (inputs x units, as Keras stores a Dense kernel), `bl` has shape $(n_l,)$; $n_0 = D$, $n_L = K$ outputs. With $L = 1$ there is no hidden layer: logits $= x W_1 + b_1$. Sizes of 1 occur (one input feature, one hidden unit).
# - `hidden_activation` $f$: `"relu"` $\max(z, 0)$ (the default when not passed), `"tanh"`, or `"sigmoid"` $1 / (1 + e^{-z})$.
# - Inputs and weights are float32 or float64. Return the logits, an $(N, K)$ array.

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
#
# The loss and its gradients for the network of `mlp_forward` (same `x`, `params` and `hidden_activation`, same default), with the mean softmax cross-entropy of its logits $z$, as `keras.losses.CategoricalCrossentropy(from_logits=True)` computes it:
#
# $$L = -\frac{1}{N}\sum_{n=1}^{N}\sum_{k=1}^{K} y_{nk}\,\log\operatorname{softmax}(z_{n})_{k}$$
#
# - `y_true` $y$: $(N, K)$ **one-hot** rows (not integer labels).
# - **Return `(loss, grads)`**: `loss` a float, the **mean** over the batch (not the sum); `grads` a list `[(dW1, db1), ..., (dWL, dbL)]` in the **same order and shapes** as `params`, $dW_l = \partial L / \partial W_l$, $db_l = \partial L / \partial b_l$ (what `tf.GradientTape` gives for that Keras model).
# - Backpropagation (the lecture's BP1-BP4), with $a^0 = x$ and $z^l = a^{l-1} W_l + b_l$ stored by the forward pass:
#   - BP1, output layer (linear): $\delta^{L} = \bigl(\operatorname{softmax}(z^L) - y\bigr) / N$. The $1/N$ of the mean enters here, once.
#   - BP3, BP4: $dW_l = (a^{l-1})^\top \delta^{l}$, $\; db_l = \sum_{n} \delta^{l}_{n,:}$.
#   - BP2: $\delta^{l-1} = \bigl(\delta^{l} W_l^\top\bigr) \odot f'(z^{l-1})$, with $f'(z) = [z > 0]$ for relu (0 at $z = 0$), $1 - \tanh^2 z$ for tanh, $\sigma(z)(1 - \sigma(z))$ for sigmoid.
# - **Stable log-softmax**: graded batches contain a row with $|x| \sim 10^3$ whose logits are spread by more than 1500, so some probabilities are exactly 0, the true class's included. Compute $\log \operatorname{softmax}(z_n)_k = (z_{nk} - m_n) - \log\sum_j e^{z_{nj} - m_n}$ with $m_n$ the row's max. `np.exp(z)` without the shift overflows, and `np.log(p)` of a probability 0 is $-\infty$ (the loss becomes NaN); the right loss is large but finite.

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
#
# Compare an analytic gradient $a$ = `analytic_grad` of a scalar function `f` at `x` with the numerical gradient $n$ by **central differences**, and return their **relative error**:
#
# $$n_i = \frac{f(x + h\,e_i) - f(x - h\,e_i)}{2h}, \qquad \text{error} = \frac{\lVert a - n \rVert}{\max\bigl(\lVert a \rVert + \lVert n \rVert,\; 10^{-12}\bigr)}$$
#
# - `f`: takes an array shaped like `x`, returns a float. `x`: an array of any shape (a single element possible), float32 or float64; `analytic_grad`: the same shape. $e_i$ is the unit vector of coordinate $i$: loop over every index (`np.ndindex(x.shape)`). $\lVert \cdot \rVert$ is the Euclidean norm over all elements (`np.linalg.norm`).
# - `h`: the step, `1e-5` unless passed (graded cases also pass `h=1e-4`).
# - Work in float64 on a **copy** (`np.array(..., dtype=float)` copies, `np.asarray` does not); evaluate `f` on perturbed copies, or save `x[i]` and assign it back. The caller's `x` must stay **bit for bit** unchanged: `x[i] += h; ...; x[i] -= 2 * h; ...; x[i] += h` on the caller's array leaves rounding errors behind and loses the case.
# - The $\max(\cdot, 10^{-12})$ guard makes two zero gradients give 0, not $0 / 0$.
# - Return one float. A correct analytic gradient gives about $10^{-8}$ or less (any value in $[0, 10^{-6})$ is accepted); a wrong one must give the expected error within 0.1%.

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

# %% [markdown] nbgrader={"grade": false, "grade_id": "md_fit_mlp", "locked": true, "schema_version": 3, "solution": false}
# ## `fit_mlp(x, y_true, params, learning_rate, epochs, batch_size, seed=0, hidden_activation="relu")` (4 points)
#
# Make your network learn: train the MLP of `mlp_forward`/`mlp_backward` on the 8x8 handwritten digits by
# **mini-batch stochastic gradient descent**, the loop `model.fit` runs. Call **your own `mlp_backward`** (make it
# pass its checks first); write the mini-batch iterator and the optimizer step yourself (NumPy only).
#
# **Arguments**
# - `x`: $(N, D)$ inputs, one image per row (the digits flattened to $D = 64$ values in $[0, 1]$; float64 or float32).
# - `y_true`: $(N, K)$ one-hot labels.
# - `params`: the initial weights, `[(W1, b1), ..., (WL, bL)]`, `Wl` of shape $(n_{l-1}, n_l)$, `bl` of shape
#   $(n_l,)$, as in `mlp_forward`. **Do not modify them** (the caller's arrays must not change).
# - `learning_rate` $\eta > 0$, `epochs` $\ge 0$, `batch_size` $B \ge 1$, `seed` (an int), `hidden_activation` as in
#   `mlp_backward`.
#
# **Mini-batches** (exactly this order: the grader feeds Keras the same batches)
# - Create one generator before the first epoch: `rng = np.random.default_rng(seed)`.
# - At the start of **every** epoch draw a new order from it: `order = rng.permutation(N)`.
# - The epoch's batches are the rows `order[0:B]`, `order[B:2B]`, `order[2B:3B]`, ... in that order; the last batch
#   is shorter when $B$ does not divide $N$ (keep it: Keras trains on it too); $B \ge N$ gives one batch per epoch.
#   An epoch has $\lceil N / B \rceil$ batches.
#
# **One step per batch** `idx`
# - `loss, grads = mlp_backward(x[idx], y_true[idx], params, hidden_activation)`: the mean softmax cross-entropy
#   of the batch, $L = -\frac{1}{|idx|}\sum_{i \in idx}\sum_k y_{ik} \log \operatorname{softmax}(z_i)_k$, and its
#   gradients (already averaged over the batch: do not divide again).
# - Plain SGD on every layer, with the gradients of this batch at the current weights:
#   $W_l \leftarrow W_l - \eta \, \partial L / \partial W_l$, $\; b_l \leftarrow b_l - \eta \, \partial L / \partial b_l$
#   (new arrays, e.g. `W - learning_rate * dW`; not `W -= ...` on the caller's arrays).
#
# **Returns** `(params, losses)`
# - `params`: the trained weights, a list of `(W, b)` pairs of the same shapes.
# - `losses`: the loss of every mini-batch **before** its update, in training order: a list of floats (or a 1-D
#   array) of length `epochs * ceil(N / B)`. E.g. $N = 60$, $B = 16$, 2 epochs: 8 losses, each epoch's batches
#   being `order[0:16]`, `order[16:32]`, `order[32:48]`, `order[48:60]`.
#
# **How it is graded** (a check passes when all of its parts hold). The grader runs the same training in Keras:
#
# ```python
# model = keras.Sequential([keras.Input((D,), dtype="float64"),
#                           keras.layers.Dense(n1, activation=hidden_activation, dtype="float64"), ...,
#                           keras.layers.Dense(K, dtype="float64")])          # the last layer is linear
# model.set_weights([W1, b1, ..., WL, bL])                                    # your initial params
# model.compile(optimizer=keras.optimizers.SGD(learning_rate),
#               loss=keras.losses.CategoricalCrossentropy(from_logits=True))
# rng = np.random.default_rng(seed)
# for epoch in range(epochs):
#     order = rng.permutation(N)
#     model.fit(x[order], y_true[order], batch_size=B, epochs=1, shuffle=False)
# ```
#
# - **Loss curve**: each of your losses matches the loss `model.fit` computed on that batch:
#   $|\text{yours} - \text{Keras}| \le 10^{-3} \max(1, |\text{Keras}|)$. (Keras logs the running mean of the epoch's
#   batch losses, weighted by batch size, in float32; the grader recovers each batch's loss from it, hence $10^{-3}$.)
# - **Trained weights**: every array of your `params` is within $10^{-4} \max|\text{Keras's array}|$ of Keras's
#   weights after `model.fit`.
# - **Learning the digits** (the long case): $N = 1000$ training images, a 64-32-10 ReLU network (He-initialised),
#   $B = 32$, $\eta = 0.1$, 10 epochs. Your loss curve over the **first 2 epochs** (64 batches) is compared with
#   `model.fit`'s, then your trained network must classify at least **85%** of 397 held-out digits (never trained
#   on) correctly (the argmax of its logits). A correct loop reaches 90-97%.
#
# `self_check("fit_mlp")` runs two visible cases: 60 images, 64-16-10 ReLU, $B = 16$ (last batch 12), 2 epochs; and
# the long case. Hidden cases use other images, initial weights and seeds, tanh and sigmoid networks, one batch per
# epoch ($B > N$), $B = 1$, float32 images and non-contiguous arrays. The whole check takes a few seconds.

# %% nbgrader={"grade": false, "grade_id": "fit_mlp", "locked": false, "schema_version": 3, "solution": true}
def fit_mlp(x, y_true, params, learning_rate, epochs, batch_size, seed=0, hidden_activation="relu"):
    """Mini-batch SGD with mlp_backward; returns (trained params, the loss of every batch before its update)."""
    ### BEGIN SOLUTION
    generator = np.random.default_rng(seed)
    n = len(x)
    losses = []
    for _ in range(epochs):
        order = generator.permutation(n)
        for start in range(0, n, batch_size):
            rows = order[start:start + batch_size]
            loss, grads = mlp_backward(x[rows], y_true[rows], params, hidden_activation)
            losses.append(float(loss))
            params = [(w - learning_rate * dw, b - learning_rate * db) for (w, b), (dw, db) in zip(params, grads)]
    return params, np.array(losses)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_fit_mlp", "locked": true, "points": 4, "schema_version": 3, "solution": false}
# Checks `fit_mlp` on the visible cases (the same as self_check("fit_mlp")); the number shown is
# the points. Grading adds hidden cases on inputs you have not seen.
from coursekit.checks import score_test_cell

_hidden = False
### BEGIN HIDDEN TESTS
_hidden = True
### END HIDDEN TESTS
score_test_cell("fit_mlp", fit_mlp, hidden=_hidden)

# %% nbgrader={"grade": false, "grade_id": "try_fit_mlp", "locked": true, "schema_version": 3, "solution": false}
# Try it (not graded; the written questions below are about its output): your fit_mlp on 1000 digits, the same
# initial weights and batches, four learning rates; accuracy on the 797 other digits.
from coursekit.data import digits_8x8

_images, _labels = digits_8x8()
_x, _y = _images.reshape(len(_images), -1), np.eye(10)[_labels]
_rng = np.random.default_rng(0)
_start = [(_rng.normal(size=(a, b)) * np.sqrt(2 / a), np.zeros(b)) for a, b in ((64, 32), (32, 10))]
try:
    for _lr in (0.01, 0.1, 1.0, 3.0):
        _trained, _losses = fit_mlp(_x[:1000], _y[:1000], _start, _lr, 10, 32, seed=0)
        _epoch_means = np.asarray(_losses, dtype=float).reshape(10, -1).mean(axis=1)
        _accuracy = np.mean(mlp_forward(_x[1000:], _trained).argmax(axis=1) == _labels[1000:])
        _active = int((np.maximum(_x[1000:] @ _trained[0][0] + _trained[0][1], 0).max(axis=0) > 0).sum())
        print(f"learning_rate {_lr:<4}: first batch losses {np.round(np.asarray(_losses[:4], dtype=float), 2)}")
        print(f"    mean batch loss per epoch {np.round(_epoch_means, 2)}")
        print(f"    held-out accuracy {_accuracy:.0%}, hidden units active on some held-out image: {_active} of 32")
except Exception as _error:  # an unfinished fit_mlp (or mlp_forward) must not stop the notebook
    print(f"fit_mlp or mlp_forward is not ready yet: {type(_error).__name__}: {_error}")

# %% [markdown] nbgrader={"grade": false, "grade_id": "loss_curves", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": true}
# ## Written question: reading the loss curves (3 points)
#
# Run the cell above (your `fit_mlp` must pass its checks first). Answer in the cell below, in a few sentences each:
#
# 1. Why is the first batch loss close to 2.3 for every learning rate?
# 2. Compare the curves of `learning_rate` 0.01, 0.1 and 1.0: which learns best in 10 epochs, and why does 0.01
#    go down slowly and steadily while 1.0 goes down but jumps up and down from one epoch to the next?
# 3. Why are the single batch losses noisier than the epoch means, and why is an epoch's mean batch loss not the
#    loss of the network at the end of that epoch?
#
# ### BEGIN MARK SCHEME
# Rubric for graders (1 point per item; half a point for a partly right reason):
# 1. The untrained network's logits are small and similar, so its softmax is close to uniform, 1/10 per class:
#    the loss is $-\log(1/10) = \ln 10 \approx 2.30$ (2.2-2.7 with this initialisation).
# 2. 0.1 learns best (mean loss about 2.0 → 0.2, held-out accuracy about 90%). 0.01 takes steps 10 times smaller:
#    each step still lowers the loss, but 10 epochs only reach about 1.6 (accuracy about 60%). 1.0 takes steps so
#    large that they overshoot the minimum along steep directions: the loss drops fast but goes back up
#    (e.g. 0.65 → 1.17 → 0.26), accuracy about 86%. Credit any answer naming step size vs. overshooting.
# 3. A batch loss is measured on 32 images only (a sample: easy and hard batches differ) and each batch is
#    measured with different weights, before its own update. The epoch mean averages losses taken at the weights of
#    the start, middle and end of the epoch, so it lags behind (it overestimates the loss of the final weights
#    while the loss is falling) and it is not measured on the whole training set at one set of weights.
# ### END MARK SCHEME

# %% [markdown]
# *Your answer to "reading the loss curves" here (double-click to edit).*

# %% [markdown] nbgrader={"grade": false, "grade_id": "learning_rate_failure", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": true}
# ## Written question: a learning rate that breaks the network (3 points)
#
# With `learning_rate = 3.0` the first losses rise (above 3 and 4), then the loss settles near 2.3 for the rest
# of training and the held-out accuracy is about 10%, although the same network learns well with 0.1. Look at the
# last line of its output (hidden units active). Answer in the cell below:
#
# 1. What did the first, too-large steps do to the hidden layer?
# 2. Why can plain SGD not undo it, and why does the loss then stay at about 2.3 with chance accuracy?
# 3. Name two changes that would prevent it, and say why each helps.
#
# ### BEGIN MARK SCHEME
# Rubric for graders (1 point per item; half a point for a partly right reason):
# 1. The steps overshoot (the loss goes up, not down) and push weights and biases of the hidden ReLU units so far
#    that their pre-activation $z = x W_1 + b_1$ is negative for every image: the units are "dead" (the output
#    shows about 1 of 32 units still active).
# 2. For $z \le 0$ ReLU outputs 0 and its derivative is 0, so a dead unit gets zero gradient on every batch and no
#    SGD step changes its weights again. With (almost) no active hidden unit, the logits are (nearly) the output
#    bias, the same for every image: the best the network can do is predict the class frequencies, about 1/10
#    each, so the loss is about $\ln 10 \approx 2.30$ and the accuracy is chance, about 10%.
# 3. Any two with a reason: a smaller learning rate (0.1 works); a learning-rate warm-up or decay schedule; gradient
#    clipping (bounds each step); an activation with a non-zero gradient for $z < 0$ (leaky ReLU, ELU) so units can
#    recover; an adaptive optimizer (Adam, RMSprop) with a sensible step size; careful initialisation (He) with
#    standardised inputs. "Train longer" earns no credit (dead units never recover).
# ### END MARK SCHEME

# %% [markdown]
# *Your answer to "a learning rate that breaks the network" here (double-click to edit).*

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
