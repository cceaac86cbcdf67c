"""Lecture 3: backpropagation, in NumPy, checked against ``tf.GradientTape``.

Every activation sits beside its derivative in :mod:`coursekit.neuron` (one
table, ``ACTIVATIONS``), and so do ``dense_forward`` and ``dense_backward``
(re-exported here).  This module chains them: ``*_backward(dout, z) = dout * f'(z)``,
the losses' gradients, the MLP, regularisation and the lecture's MATLAB programs, and the
computations behind lecture 3's demonstrations: the cost of a backward pass (:func:`matmul_flops`,
:func:`time_forward_backward`), activation x initialisation (:func:`gradient_norm_grid`,
:func:`activation_variances`), expressiveness (:func:`staircase_network`, :func:`sawtooth`,
:func:`count_linear_pieces`), data splits (:func:`split_indices`, :func:`digits_splits`) and the
L1 proximal step (:func:`soft_threshold`).

Notation (Nielsen's BP1-BP4, as in the Bologna lesson notes).  Layer ``l`` computes
``z^l = a^{l-1} W^l + b^l`` and ``a^l = f(z^l)``; ``delta^l = dE/dz^l``.  With
a batch of row vectors (Keras's layout: ``a`` is ``(batch, features)``, a kernel
is ``(in_features, units)``) the four equations read::

    BP1  delta^L = dE/da^L * f'(z^L)              (softmax + cross-entropy: (p - y) / N)
    BP2  delta^l = (delta^{l+1} @ W^{l+1}.T) * f'(z^l)
    BP3  dE/db^l = sum over the batch of delta^l
    BP4  dE/dW^l = a^{l-1}.T @ delta^l

The lecture's column-vector form ``delta^l = (W^{l+1})^T delta^{l+1} * f'(z^l)``
is the same thing transposed; :func:`deep_learning` (the port of Salvatore's MATLAB program)
keeps the column-vector form.

Dtypes: the contract functions compute in the inputs' floating dtype (float32 in,
float32 out), as Keras does; integer input becomes float64.  Inputs are never
modified.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from coursekit.gradient_descent import iterate_minibatches, numerical_gradient
from coursekit.neuron import ACTIVATIONS, dense_backward, dense_forward, relu, sigmoid, softmax
from coursekit.validation import as_float_array, check_option, check_same_shape, check_scalar

Params = list[tuple[np.ndarray, np.ndarray]]

__all__ = [
    "sigmoid_backward", "tanh_backward", "relu_backward", "leaky_relu_backward", "elu_backward",
    "dense_forward", "dense_backward", "softmax_cross_entropy", "softmax_cross_entropy_backward", "mse_backward",
    "init_mlp", "mlp_forward", "mlp_backward", "layer_gradient_norms",
    "l1_l2_penalty", "l1_l2_penalty_backward", "dropout_forward", "dropout_backward",
    "soft_threshold", "train_mlp", "gradient_check",
    "sigmoid_neuron_cost", "sigmoid_neuron_gradients",
    "SGD_INPUT", "SGD_CORRECT_OUTPUT", "sgd_method", "training_sgd_method",
    "deep_learning", "deep_learning_predict", "training_network",
    # lecture demonstrations
    "neuron_graph_values", "vanishing_data", "REGULARIZATION_SETTINGS", "moons", "regularization_runs",
    "matmul_flops", "time_forward_backward", "gradient_norm_grid", "activation_variances",
    "staircase_network", "tent", "sawtooth", "count_linear_pieces", "split_sizes", "split_indices",
    "digits_splits", "weight_stats",
]


def _float_pair(a, b, name_a: str, name_b: str) -> tuple[np.ndarray, np.ndarray, np.dtype]:
    """Both arrays as floats of one common dtype (float32 stays float32)."""
    a = as_float_array(a, name_a)
    b = as_float_array(b, name_b)
    check_same_shape(a, b, name_a, name_b)
    dtype = np.result_type(a.dtype, b.dtype)
    return a.astype(dtype, copy=False), b.astype(dtype, copy=False), dtype


# --------------------------------------------------------------------------------------
# Activations.  Each forward f and its derivative f' sit side by side in coursekit.neuron
# (the table ACTIVATIONS); the backward passes below all apply the same chain rule: take
# the upstream gradient ``dout`` and the PRE-activation ``z`` (what the forward pass
# cached) and return ``dout * f'(z)``, the elementwise (Hadamard) factor of BP1/BP2.
# --------------------------------------------------------------------------------------

def _through(activation: str, dout, z, **params) -> np.ndarray:
    """``dout * f'(z)`` for ``f = ACTIVATIONS[activation]``, in the inputs' common float dtype."""
    dout, z, dtype = _float_pair(dout, z, "dout", "z")
    _, derivative = ACTIVATIONS[activation]
    return dout * derivative(z, **params).astype(dtype, copy=False)


def sigmoid_backward(dout, z) -> np.ndarray:
    """``dout * sigmoid'(z)``, ``sigmoid'(z) = s (1 - s)``.  ``dout``, ``z``: same shape.

    At most 0.25: why deep sigmoid nets' early layers learn slowly (vanishing gradients).
    """
    return _through("sigmoid", dout, z)


def tanh_backward(dout, z) -> np.ndarray:
    """``dout * (1 - tanh(z)**2)``.  ``dout``, ``z``: same shape."""
    return _through("tanh", dout, z)


def relu_backward(dout, z) -> np.ndarray:
    """``dout`` where ``z > 0``, else 0 (TensorFlow's choice at exactly 0).  ``dout``, ``z``: same shape."""
    return _through("relu", dout, z)


def leaky_relu_backward(dout, z, negative_slope: float = 0.1) -> np.ndarray:
    """``dout`` where ``z > 0``, else ``negative_slope * dout``.  ``dout``, ``z``: same shape.

    The default 0.1 is the lecture's ``max(0.1x, x)``, as in ``coursekit.neuron.leaky_relu``;
    Keras's own default is 0.2.
    """
    return _through("leaky_relu", dout, z, negative_slope=negative_slope)


def elu_backward(dout, z, alpha: float = 1.0) -> np.ndarray:
    """``dout`` where ``z > 0``, else ``dout * alpha * exp(z)``.  ``dout``, ``z``: same shape."""
    return _through("elu", dout, z, alpha=alpha)


def _check_activation(hidden_activation, name: str = "hidden_activation") -> str:
    """The ACTIVATIONS key for ``hidden_activation`` (None means "linear")."""
    check_option(hidden_activation, name, (None, *ACTIVATIONS))
    return hidden_activation or "linear"


# --------------------------------------------------------------------------------------
# Losses.  Keras averages over every sample (all axes but the last): N below.
# --------------------------------------------------------------------------------------

def _log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)  # exp never overflows
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax_cross_entropy(logits, y_true) -> float:
    """Mean softmax cross-entropy from logits, as ``CategoricalCrossentropy(from_logits=True)``.

    ``logits``, ``y_true``: (N, K).  ``E = -1/N sum_n sum_k y_nk log softmax(z_n)_k``,
    computed as a log-softmax so that logits around 1e3 do not overflow.
    """
    logits, y_true, _ = _float_pair(logits, y_true, "logits", "y_true")
    if logits.ndim == 0:
        raise ValueError("logits must have a class axis, shape (batch, classes); got a scalar")
    per_sample = -(y_true * _log_softmax(logits)).sum(axis=-1)
    return float(per_sample.mean())


def softmax_cross_entropy_backward(logits, y_true) -> np.ndarray:
    """dE/dlogits of :func:`softmax_cross_entropy`.  ``logits``, ``y_true``: (N, K); returns (N, K).

    ``dE/dz = (softmax(z) * sum_k y_k - y) / N``, which is ``(p - y) / N`` for one-hot (or
    any normalised) labels: BP1 for a softmax output layer, where the softmax Jacobian and
    the log cancel so neatly that no ``f'(z)`` factor is left.
    """
    logits, y_true, dtype = _float_pair(logits, y_true, "logits", "y_true")
    if logits.ndim == 0:
        raise ValueError("logits must have a class axis, shape (batch, classes); got a scalar")
    n = logits.size // logits.shape[-1]
    p = softmax(logits, axis=-1).astype(dtype, copy=False)
    return ((p * y_true.sum(axis=-1, keepdims=True) - y_true) / n).astype(dtype, copy=False)


def mse_backward(y_true, y_pred) -> np.ndarray:
    """dE/dy_pred of ``keras.losses.MeanSquaredError()``.  ``y_true``, ``y_pred``: same shape.

    ``E = mean((y_pred - y_true)**2)`` over every element, so ``dE/dy_pred = 2 (y_pred - y_true) / size``.
    """
    y_true, y_pred, dtype = _float_pair(y_true, y_pred, "y_true", "y_pred")
    return (2 * (y_pred - y_true) / max(y_pred.size, 1)).astype(dtype, copy=False)


# --------------------------------------------------------------------------------------
# Multi-layer perceptron: params = [(kernel_1, bias_1), ..., (kernel_L, bias_L)].
# --------------------------------------------------------------------------------------

def _check_params(params, name: str = "params") -> Params:
    """Validate a list of ``(kernel, bias)`` pairs whose shapes chain; return float arrays."""
    if isinstance(params, np.ndarray) or not isinstance(params, Sequence) or len(params) == 0:
        raise ValueError(f"{name} must be a non-empty list of (kernel, bias) pairs, kernel "
                         f"(in_features, units) and bias (units,); got {type(params).__name__}")
    out = []
    for i, pair in enumerate(params):
        if isinstance(pair, np.ndarray) or not isinstance(pair, Sequence) or len(pair) != 2:
            raise ValueError(f"{name}[{i}] must be a (kernel, bias) pair; got {type(pair).__name__}"
                             + (f" of length {len(pair)}" if hasattr(pair, "__len__") else ""))
        kernel = as_float_array(pair[0], f"{name}[{i}][0] (kernel)", ndim=2,
                                shape_hint="(in_features, units)")
        bias = as_float_array(pair[1], f"{name}[{i}][1] (bias)", ndim=1, shape_hint="(units,)")
        if bias.shape[0] != kernel.shape[1]:
            raise ValueError(f"{name}[{i}]: bias must have shape ({kernel.shape[1]},) to match kernel "
                             f"{kernel.shape}; got {bias.shape}")
        if out and out[-1][0].shape[1] != kernel.shape[0]:
            raise ValueError(f"{name}[{i}]: kernel must have {out[-1][0].shape[1]} rows (the units of "
                             f"layer {i - 1}); got kernel {kernel.shape}")
        out.append((kernel, bias))
    return out


def _check_x(x, params: Params, name: str = "x") -> np.ndarray:
    d_in = params[0][0].shape[0]
    x = as_float_array(x, name, ndim=2, shape_hint=f"(batch, {d_in})")
    if x.shape[1] != d_in:
        raise ValueError(f"{name} must have shape (batch, {d_in}) to match params[0] kernel "
                         f"{params[0][0].shape}; got {x.shape}")
    return x


def _check_targets(y, x: np.ndarray, params: Params, name: str) -> np.ndarray:
    k = params[-1][0].shape[1]
    y = as_float_array(y, name, ndim=2, shape_hint=f"(batch, {k}) one-hot")
    if y.shape != (x.shape[0], k):
        raise ValueError(f"{name} must have shape ({x.shape[0]}, {k}): one one-hot row per sample "
                         f"of x and one column per output unit; got {y.shape}")
    return y


def init_mlp(layer_sizes: Sequence[int], seed=None, init: str = "he") -> Params:
    """Random ``[(kernel, bias), ...]`` for layer sizes ``[D, H1, ..., K]`` (float64, biases 0).

    ``init="he"``: kernel ~ N(0, 2 / fan_in), keeps ReLU activations' variance constant.
    ``init="glorot"``: kernel ~ U(-r, r), r = sqrt(6 / (fan_in + fan_out)) (Keras's default
    ``glorot_uniform``), suited to sigmoid/tanh.  (Keras's ``he_normal`` truncates its normal
    at 2 std; this plain normal is the textbook version.)
    """
    if not isinstance(layer_sizes, Sequence) or len(layer_sizes) < 2:
        raise ValueError(f"layer_sizes must be a list of >= 2 positive ints [inputs, hidden..., outputs]; "
                         f"got {layer_sizes!r}")
    sizes = [check_scalar(s, f"layer_sizes[{i}]", int, min_val=1) for i, s in enumerate(layer_sizes)]
    check_option(init, "init", ("he", "glorot"))
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        if init == "he":
            kernel = rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, fan_out))
        else:
            limit = np.sqrt(6.0 / (fan_in + fan_out))
            kernel = rng.uniform(-limit, limit, size=(fan_in, fan_out))
        params.append((kernel, np.zeros(fan_out)))
    return params


def _forward_cache(x, params: Params, hidden_activation, dropout: float = 0.0, rng=None):
    """Forward pass that remembers, per layer, ``(a^{l-1}, z^l, dropout mask of a^l)``."""
    forward, _ = ACTIVATIONS[_check_activation(hidden_activation)]
    dtype = np.result_type(x.dtype, *(w.dtype for w, _ in params), *(b.dtype for _, b in params))
    a = x.astype(dtype, copy=False)
    cache = []
    for i, (kernel, bias) in enumerate(params):
        z = a @ kernel.astype(dtype, copy=False) + bias.astype(dtype, copy=False)
        if i == len(params) - 1:  # the output layer is linear: these are the logits
            cache.append((a, z, None))
            return z, cache
        h = np.asarray(forward(z), dtype=dtype)
        mask = None
        if dropout > 0:
            h, mask = dropout_forward(h, dropout, rng)
        cache.append((a, z, mask))
        a = h
    raise AssertionError("unreachable: params is non-empty")


def _backward_cache(dlogits: np.ndarray, params: Params, cache, hidden_activation) -> Params:
    """BP1-BP4 from ``delta^L = dlogits`` down to layer 1; returns ``[(dkernel, dbias), ...]``."""
    activation = _check_activation(hidden_activation)
    grads: Params = [None] * len(params)  # type: ignore[list-item]
    delta = dlogits  # BP1 (the output layer is linear, so delta^L = dE/dz^L = dE/dlogits)
    for layer in range(len(params) - 1, -1, -1):
        a_prev, _, _ = cache[layer]
        da_prev, dkernel, dbias = dense_backward(delta, a_prev, params[layer][0])  # BP4, BP3
        grads[layer] = (dkernel, dbias)
        if layer > 0:
            _, z_prev, mask_prev = cache[layer - 1]
            if mask_prev is not None:
                da_prev = dropout_backward(da_prev, mask_prev)
            delta = _through(activation, da_prev, z_prev)  # BP2: (delta W^T) * f'(z^{l-1})
    return grads


def mlp_forward(x, params, hidden_activation="relu") -> np.ndarray:
    """Logits of an MLP: ``a^0 = x``, ``a^l = f(a^{l-1} W^l + b^l)``, last layer linear.

    ``x`` (N, D); ``params`` ``[(W1 (D, H1), b1 (H1,)), ..., (WL (H_{L-1}, K), bL (K,))]``;
    returns logits (N, K).  Equals a ``keras.Sequential`` of ``Dense(units, activation=
    hidden_activation)`` layers and a final ``Dense(K)`` with these weights.
    ``hidden_activation``: a name in ``coursekit.neuron.ACTIVATIONS`` ("relu", "sigmoid",
    "tanh", "elu", ...) or None (linear); "leaky_relu" has the lecture's slope 0.1 (Keras's 0.2).
    """
    params = _check_params(params)
    x = _check_x(x, params)
    _check_activation(hidden_activation)
    logits, _ = _forward_cache(x, params, hidden_activation)
    return logits


def mlp_backward(x, y_true, params, hidden_activation="relu") -> tuple[float, Params]:
    """Loss and gradients of the mean softmax cross-entropy of :func:`mlp_forward`.

    ``x`` (N, D), ``y_true`` (N, K) one-hot, ``params`` as in :func:`mlp_forward`.
    Returns ``(loss, grads)``, ``grads = [(dW1, db1), ..., (dWL, dbL)]`` of the params' shapes.
    One forward pass caching ``a^{l-1}`` and ``z^l``, then BP1 (``delta^L = (p - y)/N``),
    BP2 down the layers, BP3/BP4 for each layer's gradients.
    """
    params = _check_params(params)
    x = _check_x(x, params)
    y_true = _check_targets(y_true, x, params, "y_true")
    _check_activation(hidden_activation)
    logits, cache = _forward_cache(x, params, hidden_activation)
    y_true = y_true.astype(logits.dtype, copy=False)
    loss = softmax_cross_entropy(logits, y_true)
    grads = _backward_cache(softmax_cross_entropy_backward(logits, y_true), params, cache,
                            hidden_activation)
    return loss, grads


def layer_gradient_norms(x, y_onehot, params, hidden_activation="relu") -> np.ndarray:
    """Frobenius norm of ``dE/dW^l`` for every layer, shape (L,), first layer first.

    Shows vanishing gradients: each BP2 step multiplies by ``f'(z)``, at most 0.25 for the
    sigmoid, so in a deep sigmoid net the first layers' gradients shrink geometrically,
    while ReLU's derivative is exactly 1 on the active units.
    """
    _, grads = mlp_backward(x, y_onehot, params, hidden_activation)
    return np.array([np.linalg.norm(dkernel) for dkernel, _ in grads])


# --------------------------------------------------------------------------------------
# Regularisation: L1/L2 penalties (on kernels, not biases, as Keras's kernel_regularizer)
# and inverted dropout.
# --------------------------------------------------------------------------------------

def l1_l2_penalty(params, l1: float = 0.0, l2: float = 0.0) -> float:
    """``l1 * sum|W| + l2 * sum W**2`` over every kernel (biases are not penalised).

    Equals the sum of ``keras.regularizers.L1L2(l1, l2)(kernel)`` over the layers (no 1/2
    in front of the L2 term, as in Keras).
    """
    params = _check_params(params)
    l1, l2 = check_scalar(l1, "l1", min_val=0), check_scalar(l2, "l2", min_val=0)
    return float(sum(l1 * np.abs(k).sum() + l2 * np.square(k).sum() for k, _ in params))


def l1_l2_penalty_backward(params, l1: float = 0.0, l2: float = 0.0) -> Params:
    """Gradient of :func:`l1_l2_penalty`: ``[(l1 * sign(W) + 2 * l2 * W, zeros_like(b)), ...]``.

    L1 pushes every weight towards 0 by a constant step (sparsity); L2 by a step
    proportional to the weight (weight decay: small, spread-out weights).
    """
    params = _check_params(params)
    l1, l2 = check_scalar(l1, "l1", min_val=0), check_scalar(l2, "l2", min_val=0)
    return [(l1 * np.sign(k) + 2 * l2 * k, np.zeros_like(b)) for k, b in params]


def soft_threshold(w, threshold: float) -> np.ndarray:
    """``sign(w) * max(|w| - threshold, 0)``: the proximal step of ``threshold * |w|`` (any shape).

    Every entry moves ``threshold`` towards 0 and stops AT 0 instead of crossing it: entries with
    ``|w| <= threshold`` become exactly 0.  (The subgradient step ``w - threshold * sign(w)``
    crosses 0 and jitters around it.)
    """
    w = as_float_array(w, "w")
    threshold = check_scalar(threshold, "threshold", min_val=0)
    return np.sign(w) * np.maximum(np.abs(w) - threshold, 0.0)


def dropout_forward(x, rate: float, rng=None) -> tuple[np.ndarray, np.ndarray]:
    """Inverted dropout (training mode), as ``keras.layers.Dropout(rate)(x, training=True)``.

    ``x``: any shape.  Each unit is zeroed with probability ``rate``; survivors are scaled
    by ``1 / (1 - rate)`` so that ``E[out] = x`` and nothing changes at test time.
    Returns ``(out, mask)``, both ``x``'s shape, with ``out = x * mask`` and ``mask`` in
    ``{0, 1/(1 - rate)}``.  ``rng``: a ``np.random.Generator``, a seed, or None.
    """
    x = as_float_array(x, "x")
    rate = check_scalar(rate, "rate", min_val=0, max_val=1, include_boundaries="left")
    rng = np.random.default_rng(rng)
    keep = rng.random(x.shape) >= rate
    mask = (keep / (1.0 - rate)).astype(x.dtype)
    return x * mask, mask


def dropout_backward(dout, mask) -> np.ndarray:
    """Backward of :func:`dropout_forward`: ``dx = dout * mask`` (``dout``, ``mask``: same shape).

    Dropped units pass no gradient; kept ones pass it scaled by ``1 / (1 - rate)``.
    """
    dout, mask, _ = _float_pair(dout, mask, "dout", "mask")
    return dout * mask


# --------------------------------------------------------------------------------------
# Training loop: plain gradient descent, per sample (SGD), per mini-batch or per epoch.
# --------------------------------------------------------------------------------------

def _accuracy(logits: np.ndarray, y_onehot: np.ndarray) -> float:
    return float(np.mean(logits.argmax(axis=1) == y_onehot.argmax(axis=1)))


def train_mlp(x, y_onehot, params, learning_rate, epochs, batch_size=None, hidden_activation="relu",
              l1=0.0, l2=0.0, dropout=0.0, x_val=None, y_val=None, patience=None,
              seed=None, l1_step: str = "subgradient") -> tuple[Params, dict]:
    """Train an MLP with softmax cross-entropy by gradient descent; returns ``(params, history)``.

    ``x`` (N, D), ``y_onehot`` (N, K); ``params`` from :func:`init_mlp` (not modified: a trained
    copy is returned).  ``batch_size``: None = batch gradient descent (one step per epoch),
    1 = SGD, otherwise mini-batches (shuffled each epoch, last short batch kept).  Each step::

        W <- W - learning_rate * (dE/dW + l1 * sign(W) + 2 * l2 * W)

    ``l1_step``: how the L1 term is applied.  ``"subgradient"`` (above; what Keras's
    ``kernel_regularizer=L1`` does too, since d|w|/dw = sign(w)) pushes every weight by the same
    ``learning_rate * l1`` towards 0 and so overshoots: weights jitter around 0 and are almost
    never exactly 0.  ``"proximal"`` takes the gradient step on the rest of the loss, then
    soft-thresholds (:func:`soft_threshold`, the proximal step of ISTA / Lasso solvers): a weight
    closer to 0 than ``learning_rate * l1`` becomes exactly 0.
    ``dropout``: inverted dropout on every hidden layer's output, training steps only.
    ``x_val``/``y_val``: a validation set.  ``patience``: early stopping -- stop when the
    validation loss has not improved for ``patience`` epochs and return the best epoch's
    weights (Keras's ``EarlyStopping(patience, restore_best_weights=True)``).

    ``history``: ``loss``/``accuracy`` (cross-entropy and accuracy on the whole training set
    after each epoch, without dropout or penalty, so they compare with the validation ones),
    ``val_loss``/``val_accuracy`` (empty without a validation set), ``best_epoch`` (0-based
    index of the lowest validation loss, or None) and ``stopped_early``.
    """
    params = _check_params(params)
    x = _check_x(x, params)
    y = _check_targets(y_onehot, x, params, "y_onehot")
    _check_activation(hidden_activation)
    learning_rate = check_scalar(learning_rate, "learning_rate", min_val=0, include_boundaries="neither")
    epochs = check_scalar(epochs, "epochs", int, min_val=0)
    batch_size = check_scalar(batch_size, "batch_size", int, min_val=1, allow_none=True)
    patience = check_scalar(patience, "patience", int, min_val=1, allow_none=True)
    l1, l2 = check_scalar(l1, "l1", min_val=0), check_scalar(l2, "l2", min_val=0)
    dropout = check_scalar(dropout, "dropout", min_val=0, max_val=1, include_boundaries="left")
    check_option(l1_step, "l1_step", ("subgradient", "proximal"))
    proximal = l1_step == "proximal" and l1 > 0
    if (x_val is None) != (y_val is None):
        raise ValueError("x_val and y_val must be given together (or both left None)")
    if x_val is not None:
        x_val = _check_x(x_val, params, "x_val")
        y_val = _check_targets(y_val, x_val, params, "y_val")
    if patience is not None and x_val is None:
        raise ValueError("patience (early stopping) needs a validation set: pass x_val and y_val")

    rng = np.random.default_rng(seed)
    params = [(k.copy(), b.copy()) for k, b in params]
    batch = x.shape[0] if batch_size is None else batch_size
    history: dict = {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": [],
                     "best_epoch": None, "stopped_early": False}
    best_loss, best_params, wait = np.inf, params, 0

    for epoch in range(epochs):
        batches = iterate_minibatches(x, y, batch, shuffle=batch_size is not None,
                                      seed=int(rng.integers(2**31)))
        for xb, yb in batches:
            logits, cache = _forward_cache(xb, params, hidden_activation, dropout, rng)
            grads = _backward_cache(softmax_cross_entropy_backward(logits, yb), params, cache,
                                    hidden_activation)
            if l1 or l2:
                penalty = l1_l2_penalty_backward(params, 0.0 if proximal else l1, l2)
                grads = [(dk + pk, db) for (dk, db), (pk, _) in zip(grads, penalty)]
            params = [(k - learning_rate * dk, b - learning_rate * db)
                      for (k, b), (dk, db) in zip(params, grads)]
            if proximal:
                params = [(soft_threshold(k, learning_rate * l1), b) for k, b in params]

        logits, _ = _forward_cache(x, params, hidden_activation)
        history["loss"].append(softmax_cross_entropy(logits, y.astype(logits.dtype)))
        history["accuracy"].append(_accuracy(logits, y))
        if x_val is None:
            continue
        logits, _ = _forward_cache(x_val, params, hidden_activation)
        val_loss = softmax_cross_entropy(logits, y_val.astype(logits.dtype))
        history["val_loss"].append(val_loss)
        history["val_accuracy"].append(_accuracy(logits, y_val))
        if val_loss < best_loss:
            best_loss, best_params, wait = val_loss, params, 0
            history["best_epoch"] = epoch
        else:
            wait += 1
            if patience is not None and wait >= patience:
                history["stopped_early"] = True
                break
    if patience is not None:
        params = best_params  # arrays are never updated in place, so this is the best epoch's copy
    return params, history


# --------------------------------------------------------------------------------------
# Gradient checking
# --------------------------------------------------------------------------------------

def gradient_check(f, x, analytic_grad, h=1e-5) -> float:
    """Relative error between an analytic gradient and central differences of ``f`` at ``x``.

    ``f``: array of ``x``'s shape -> scalar; ``analytic_grad``: ``x``'s shape.  Returns
    ``norm(a - n) / max(norm(a) + norm(n), 1e-12)`` with ``n_i = (f(x + h e_i) - f(x - h e_i)) / 2h``
    (float64).  Rule of thumb: < 1e-7 right, > 1e-3 (or 1e-2 with kinks such as ReLU) wrong.
    """
    x = as_float_array(x, "x").astype(np.float64)
    analytic = as_float_array(analytic_grad, "analytic_grad").astype(np.float64)
    check_same_shape(analytic, x, "analytic_grad", "x")
    if not callable(f):
        raise ValueError(f"f must be a callable returning a scalar; got {type(f).__name__}")
    numeric = numerical_gradient(f, x, h)
    denom = max(np.linalg.norm(analytic) + np.linalg.norm(numeric), 1e-12)
    return float(np.linalg.norm(analytic - numeric) / denom)


# --------------------------------------------------------------------------------------
# Salvatore (IUSS Pavia): one sigmoid neuron, squared-error cost, derivatives by hand.
#   t = a1 w1 + a2 w2 + b,  p = sigmoid(t),  C = (p - E)^2
#   dC/dw1 = dC/dp * dp/dt * dt/dw1 = 2 (p - E) * p (1 - p) * a1     (and a2, 1 for w2, b)
# --------------------------------------------------------------------------------------

def sigmoid_neuron_cost(w1, w2, b, a1, a2, expected) -> float:
    """Squared-error cost ``(sigmoid(a1 w1 + a2 w2 + b) - expected)**2`` of one sample (scalars)."""
    t = float(a1) * float(w1) + float(a2) * float(w2) + float(b)
    return float((sigmoid(np.float64(t)) - float(expected)) ** 2)


def sigmoid_neuron_gradients(w1, w2, b, a1, a2, expected) -> tuple[float, float, float]:
    """``(dC/dw1, dC/dw2, dC/db)`` of :func:`sigmoid_neuron_cost`, by the chain rule (Salvatore's lecture).

    With ``t = a1 w1 + a2 w2 + b`` and ``p = sigmoid(t)``: the common factor is
    ``dC/dp * dp/dt = 2 (p - expected) * p (1 - p)``, times ``dt/dw1 = a1``, ``dt/dw2 = a2``,
    ``dt/db = 1``.  (The lecture writes it for a1 = 2, a2 = 5, expected = 1.)
    """
    t = float(a1) * float(w1) + float(a2) * float(w2) + float(b)
    p = float(sigmoid(np.float64(t)))
    common = 2 * (p - float(expected)) * p * (1 - p)
    return common * float(a1), common * float(a2), common


# --------------------------------------------------------------------------------------
# Salvatore's MATLAB programs (IUSS Pavia lecture), ported line by line.  MATLAB keeps column vectors and a
# weight matrix (units, inputs), so these use W @ x -- the transpose of Keras's x @ kernel.
# Both return new arrays (MATLAB passes matrices by value).
# --------------------------------------------------------------------------------------

# Training.m / testing.m: the output is the first input column; the third column is a constant 1
# that plays the role of the bias.
SGD_INPUT = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=np.float64)
SGD_CORRECT_OUTPUT = np.array([0, 0, 1, 1], dtype=np.float64)


def sgd_method(weight, inputs, correct_output, alpha=0.9) -> np.ndarray:
    """Port of ``SGD_method.m``: one epoch of the delta rule, updating after every sample.

    ``weight`` (n,) (MATLAB 1 x n row), ``inputs`` (N, n), ``correct_output`` (N,) or (N, 1).
    Single sigmoid neuron, squared error: ``delta = y (1 - y) (d - y)`` and
    ``W <- W + alpha * delta * x`` -- a gradient step on ``(d - y)**2 / 2``.  Returns the new weight.
    """
    weight = as_float_array(weight, "weight", ndim=1, shape_hint="(n_inputs,)").copy()
    inputs = as_float_array(inputs, "inputs", ndim=2, shape_hint="(samples, n_inputs)")
    correct_output = as_float_array(correct_output, "correct_output", ndim=(1, 2),
                                    shape_hint="(samples,)").reshape(-1)
    if inputs.shape[1] != weight.shape[0]:
        raise ValueError(f"inputs must have shape (samples, {weight.shape[0]}) to match weight "
                         f"{weight.shape}; got {inputs.shape}")
    if correct_output.shape[0] != inputs.shape[0]:
        raise ValueError(f"correct_output must have one value per row of inputs ({inputs.shape[0]}); "
                         f"got {correct_output.shape[0]}")
    # alpha = 0.9;                                    (a parameter here)
    n = inputs.shape[0]                                # N = 4;  (hard-coded in the MATLAB)
    for k in range(n):                                 # for k = 1:N   (MATLAB counts from 1)
        transposed_input = inputs[k, :]                # transposed_Input = input(k, :)';
        d = correct_output[k]                          # d = correct_Output(k);
        weighted_sum = weight @ transposed_input       # weighted_Sum = Weight*transposed_Input;
        output = sigmoid(weighted_sum)                 # output = Sigmoid(weighted_Sum);
        error = d - output                             # error = d - output;
        delta = output * (1 - output) * error          # delta = output*(1-output)*error;
        d_weight = alpha * delta * transposed_input    # dWeight = alpha*delta*transposed_Input;
        weight = weight + d_weight                     # Weight(1) = Weight(1) + dWeight(1); ... (3)
    return weight


def training_sgd_method(epochs=10000, seed=None) -> tuple[np.ndarray, np.ndarray]:
    """Port of ``Training.m`` + ``testing.m``: returns ``(weight (3,), outputs (4,))``.

    ``Weight = 2*rand(1, 3) - 1`` (uniform in [-1, 1)), then ``epochs`` calls of
    :func:`sgd_method` on :data:`SGD_INPUT`, then the sigmoid output for each input row.
    """
    epochs = check_scalar(epochs, "epochs", int, min_val=0)
    rng = np.random.default_rng(seed)
    weight = 2 * rng.random(3) - 1                     # Weight = 2*rand(1, 3) - 1;
    for _ in range(epochs):                            # for epoch = 1:10000
        weight = sgd_method(weight, SGD_INPUT, SGD_CORRECT_OUTPUT)
    outputs = sigmoid(SGD_INPUT @ weight)              # testing.m: output = Sigmoid(Weight*x), per row
    return weight, outputs


def _check_deep_weights(w1, w2, w3, w4):
    ws = [as_float_array(w, f"w{i}", ndim=2, shape_hint="(units, inputs), MATLAB orientation")
          for i, w in enumerate((w1, w2, w3, w4), start=1)]
    for i in range(1, 4):
        if ws[i].shape[1] != ws[i - 1].shape[0]:
            raise ValueError(f"w{i + 1} must have {ws[i - 1].shape[0]} columns (the rows of w{i} "
                             f"{ws[i - 1].shape}); got w{i + 1} {ws[i].shape}")
    return ws


def _check_images(images, n_inputs: int) -> np.ndarray:
    images = as_float_array(images, "input_image", ndim=3, shape_hint="(samples, height, width)")
    if images.shape[1] * images.shape[2] != n_inputs:
        raise ValueError(f"input_image must have shape (samples, h, w) with h * w = {n_inputs} "
                         f"(the columns of w1); got {images.shape}")
    return images


def deep_learning(w1, w2, w3, w4, input_image, correct_output, alpha=0.01):
    """Port of ``DeepLearning.m``: one epoch of per-sample backprop, three ReLU layers + softmax.

    MATLAB orientation, no biases: ``w1`` (20, 25), ``w2`` (20, 20), ``w3`` (20, 20), ``w4`` (5, 20);
    ``input_image`` (N, 5, 5) -- NumPy puts the sample first, MATLAB's ``input_Image(:,:,k)``
    is ``input_image[k]``; ``correct_output`` (N, 5) one-hot.  Returns new ``(w1, w2, w3, w4)``.

    The lecture's slide stops after the forward pass; the backward half below follows
    the program the slide comes from (Phil Kim, *MATLAB Deep Learning*, 2017, ``DeepReLU.m``):
    softmax + cross-entropy gives ``delta = d - y`` (BP1, sign flipped so the update adds),
    ``delta_l = (v_l > 0) .* (W_{l+1}' * delta_{l+1})`` (BP2), ``dW = alpha * delta * x'`` (BP4).
    """
    w1, w2, w3, w4 = _check_deep_weights(w1, w2, w3, w4)  # never updated in place
    images = _check_images(input_image, w1.shape[1])
    correct_output = as_float_array(correct_output, "correct_output", ndim=2,
                                    shape_hint="(samples, classes) one-hot")
    if correct_output.shape != (images.shape[0], w4.shape[0]):
        raise ValueError(f"correct_output must have shape ({images.shape[0]}, {w4.shape[0]}) "
                         f"(samples of input_image, rows of w4); got {correct_output.shape}")
    # alpha = 0.01;                                    (a parameter here)
    for k in range(images.shape[0]):                   # N = 5; for k = 1:N
        # reshaped_input_Image = reshape(input_Image(:,:,k), 25, 1);  MATLAB reshapes column by
        # column, hence order="F": pixel order matches the MATLAB program's weights exactly.
        x = images[k].reshape(-1, order="F")
        v1 = w1 @ x                                    # input_of_hidden_layer1 = w1*reshaped_input_Image;
        y1 = relu(v1)                                  # output_of_hidden_layer1 = ReLU(input_of_hidden_layer1);
        v2 = w2 @ y1                                   # input_of_hidden_layer2 = w2*output_of_hidden_layer1;
        y2 = relu(v2)                                  # output_of_hidden_layer2 = ReLU(...);
        v3 = w3 @ y2                                   # input_of_hidden_layer3 = w3*output_of_hidden_layer2;
        y3 = relu(v3)                                  # output_of_hidden_layer3 = ReLU(...);
        v = w4 @ y3                                    # input_of_output_node = w4*output_of_hidden_layer3;
        y = softmax(v)                                 # final_output = Softmax(input_of_output_node);
        # --- backward half (not on the slide; DeepReLU.m) ---
        d = correct_output[k, :]                       # d = correct_Output(k,:)';
        delta = d - y                                  # e = d - y; delta = e;        (BP1)
        delta3 = (v3 > 0) * (w4.T @ delta)             # e3 = w4'*delta; delta3 = (v3 > 0).*e3;  (BP2)
        delta2 = (v2 > 0) * (w3.T @ delta3)            # e2 = w3'*delta3; delta2 = (v2 > 0).*e2;
        delta1 = (v1 > 0) * (w2.T @ delta2)            # e1 = w2'*delta2; delta1 = (v1 > 0).*e1;
        # column times row (delta * x') is an outer product: delta[:, None] * x
        w1 = w1 + alpha * delta1[:, None] * x          # w1 = w1 + alpha*delta1*x';   (BP4)
        w2 = w2 + alpha * delta2[:, None] * y1         # w2 = w2 + alpha*delta2*y1';
        w3 = w3 + alpha * delta3[:, None] * y2         # w3 = w3 + alpha*delta3*y2';
        w4 = w4 + alpha * delta[:, None] * y3          # w4 = w4 + alpha*delta*y3';
    return w1, w2, w3, w4


def deep_learning_predict(w1, w2, w3, w4, input_image) -> np.ndarray:
    """Port of ``TestDeepLearning.m``: softmax outputs (N, classes) for images (N, 5, 5)."""
    w1, w2, w3, w4 = _check_deep_weights(w1, w2, w3, w4)
    images = _check_images(input_image, w1.shape[1])
    x = images.reshape(images.shape[0], -1, order="F").T   # reshape(input_Image, 25, 1), one column each
    y3 = relu(w3 @ relu(w2 @ relu(w1 @ x)))
    return softmax(w4 @ y3, axis=0).T                        # Softmax per column, then samples first


def training_network(input_image, correct_output, epochs=10000, seed=None, alpha=0.01):
    """Port of ``TrainingNetwork.m``: random weights, then ``epochs`` calls of :func:`deep_learning`.

    ``w = 2*rand(rows, cols) - 1`` for (20, 25), (20, 20), (20, 20), (classes, 20).
    Returns ``(w1, w2, w3, w4)``.
    """
    correct_output = as_float_array(correct_output, "correct_output", ndim=2,
                                    shape_hint="(samples, classes) one-hot")
    images = as_float_array(input_image, "input_image", ndim=3, shape_hint="(samples, height, width)")
    epochs = check_scalar(epochs, "epochs", int, min_val=0)
    rng = np.random.default_rng(seed)
    n_in = images.shape[1] * images.shape[2]
    w1 = 2 * rng.random((20, n_in)) - 1                  # w1 = 2*rand(20,25)-1;
    w2 = 2 * rng.random((20, 20)) - 1                    # w2 = 2*rand(20,20)-1;
    w3 = 2 * rng.random((20, 20)) - 1                    # w3 = 2*rand(20,20)-1;
    w4 = 2 * rng.random((correct_output.shape[1], 20)) - 1  # w4 = 2*rand(5,20)-1;
    for _ in range(epochs):                              # for epoch = 1:10000
        w1, w2, w3, w4 = deep_learning(w1, w2, w3, w4, images, correct_output, alpha)
    return w1, w2, w3, w4


# --------------------------------------------------------------------------------------
# Lecture demonstrations: one neuron's graph, vanishing gradients, over-fitting
# --------------------------------------------------------------------------------------
# What lecture 3 computes for its figures; coursekit.widgets.backprop draws the results.

def neuron_graph_values(a1, a2, w1, w2, b, expected) -> dict[str, tuple[float, float]]:
    """Forward value and gradient dC/d(node) of every node of C = (sigmoid(a1 w1 + a2 w2 + b) - E)^2.

    All arguments are scalars.  Each backward step is one local rule of this module
    (:func:`mse_backward`, :func:`sigmoid_backward`, :func:`dense_backward`), the gradient
    flowing from C back to the inputs.  Returns ``{node: (value, gradient)}`` for the nodes
    a1, w1, a2, w2, b, a1*w1, a2*w2, t (the sum), p (the sigmoid) and C.
    """
    x = np.array([[a1, a2]], dtype=np.float64)                     # (1, 2)
    kernel = np.array([[w1], [w2]], dtype=np.float64)              # (2, 1)
    target = np.array([[expected]], dtype=np.float64)
    t = dense_forward(x, kernel, np.array([b], dtype=np.float64))  # (1, 1)
    p = sigmoid(t)
    cost = float((p[0, 0] - expected) ** 2)
    dp = mse_backward(target, p)                                   # dC/dp = 2 (p - E)
    dt = sigmoid_backward(dp, t)                                   # dC/dt = dC/dp * p (1 - p)
    dx, dkernel, dbias = dense_backward(dt, x, kernel)             # dC/da, dC/dw, dC/db
    g = float(dt[0, 0])  # an addition passes its gradient unchanged to each term
    return {
        "a1": (float(a1), float(dx[0, 0])), "w1": (float(w1), float(dkernel[0, 0])),
        "a2": (float(a2), float(dx[0, 1])), "w2": (float(w2), float(dkernel[1, 0])),
        "b": (float(b), float(dbias[0])),
        "a1*w1": (float(a1 * w1), g), "a2*w2": (float(a2 * w2), g),
        "t": (float(t[0, 0]), g), "p": (float(p[0, 0]), float(dp[0, 0])), "C": (cost, 1.0),
    }


def vanishing_data(n: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A fixed random subset of the bundled 8x8 digits: x (n, 64) pixels in [0, 1], y (n, 10) one-hot."""
    from coursekit.data import digits_8x8

    images, labels = digits_8x8()
    idx = np.random.default_rng(seed).permutation(len(images))[:n]
    return images[idx].reshape(n, -1), np.eye(10)[labels[idx]]


# name -> keyword arguments of train_mlp: the settings lecture 3 compares
REGULARIZATION_SETTINGS = {
    "no regularisation": {}, "L1 (3e-3)": {"l1": 3e-3}, "L2 (1e-2)": {"l2": 1e-2},
    "dropout 0.3": {"dropout": 0.3}, "early stopping (patience 30)": {"patience": 30},
}


def moons(n_train: int = 30, n_val: int = 500, noise: float = 0.3, seed: int = 1):
    """Two noisy half-moons (scikit-learn's ``make_moons``, offline).

    Returns ``(x_train (n_train, 2), y_train (n_train, 2), x_val (n_val, 2), y_val (n_val, 2))``,
    labels one-hot.
    """
    from sklearn.datasets import make_moons

    x, labels = make_moons(n_train + n_val, noise=noise, random_state=seed)
    y = np.eye(2)[labels]
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]


def regularization_runs(data=None, hidden=(64, 64), epochs: int = 500, learning_rate: float = 0.1,
                        seed: int = 0, settings: dict | None = None) -> dict:
    """Train one MLP with each regularisation setting (batch gradient descent), from the same weights.

    data: ``(x_train, y_train, x_val, y_val)`` (default :func:`moons`: 30 noisy training points);
    settings: ``{name: keyword arguments of train_mlp}`` (default :data:`REGULARIZATION_SETTINGS`).
    Every run starts from the same :func:`init_mlp` weights.  Returns ``{name: (params, history)}``
    as :func:`train_mlp` returns them.
    """
    x_tr, y_tr, x_va, y_va = moons() if data is None else data
    settings = REGULARIZATION_SETTINGS if settings is None else settings
    params = init_mlp([x_tr.shape[1], *hidden, y_tr.shape[1]], seed=seed)
    return {name: train_mlp(x_tr, y_tr, params, learning_rate, epochs, x_val=x_va, y_val=y_va, seed=seed, **kw)
            for name, kw in settings.items()}


# --------------------------------------------------------------------------------------
# The cost of a backward pass
# --------------------------------------------------------------------------------------

def matmul_flops(layer_sizes: Sequence[int], batch: int) -> tuple[int, int]:
    """Floating-point operations of the matrix products of one forward and one backward pass.

    A product ``(batch, n_in) @ (n_in, n_out)`` costs ``2 * batch * n_in * n_out`` (a multiply and
    an add per term).  Forward: one product per layer (``a @ W``).  Backward: two per layer,
    ``a.T @ delta`` (BP4) and ``delta @ W.T`` (BP2), except that layer 1 needs no gradient for
    the input.  Returns ``(forward, backward)``; elementwise work (activations, f') is left out.
    """
    sizes = [check_scalar(s, f"layer_sizes[{i}]", int, min_val=1) for i, s in enumerate(layer_sizes)]
    batch = check_scalar(batch, "batch", int, min_val=1)
    per_layer = [2 * batch * n_in * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    return sum(per_layer), 2 * sum(per_layer) - per_layer[0]


def time_forward_backward(layer_sizes: Sequence[int] = (784, 512, 256, 10), batch: int = 256,
                          repeats: int = 5, hidden_activation: str = "relu", seed: int = 0) -> dict:
    """Wall time of the forward pass and of the backward pass of an MLP (NumPy, float32).

    Times :func:`mlp_forward`'s forward pass (caching ``a``, ``z``) and, separately, the backward
    pass BP1-BP4 from that cache; the best of ``repeats`` runs of each.  Returns a dict with
    ``forward_s``, ``backward_s``, ``ratio`` (backward / forward) and the :func:`matmul_flops`
    ``forward_flops``, ``backward_flops``.
    """
    import time

    params = [(k.astype(np.float32), b.astype(np.float32)) for k, b in init_mlp(list(layer_sizes), seed=seed)]
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, layer_sizes[0])).astype(np.float32)
    y = np.eye(layer_sizes[-1], dtype=np.float32)[rng.integers(0, layer_sizes[-1], batch)]
    fwd, bwd = [], []
    for _ in range(repeats + 1):                       # the first round warms the caches up
        t0 = time.perf_counter()
        logits, cache = _forward_cache(x, params, hidden_activation)
        t1 = time.perf_counter()
        _backward_cache(softmax_cross_entropy_backward(logits, y), params, cache, hidden_activation)
        t2 = time.perf_counter()
        fwd.append(t1 - t0)
        bwd.append(t2 - t1)
    forward_s, backward_s = min(fwd[1:]), min(bwd[1:])
    f_flops, b_flops = matmul_flops(layer_sizes, batch)
    return {"forward_s": forward_s, "backward_s": backward_s, "ratio": backward_s / forward_s,
            "forward_flops": f_flops, "backward_flops": b_flops}


# --------------------------------------------------------------------------------------
# Activation and initialisation: two separate factors
# --------------------------------------------------------------------------------------

def gradient_norm_grid(x, y_onehot, activations=("sigmoid", "relu"), inits=("glorot", "he"),
                       hidden: Sequence[int] = (32,) * 8, seed: int = 0) -> dict:
    """``{(activation, init): layer_gradient_norms}`` for every pair: the two factors separated.

    Every network has the same layer sizes ``[D, *hidden, K]`` and the same random seed, so the
    cells of the grid differ only in the activation (rows) or only in the initialisation (columns).
    """
    sizes = [x.shape[1], *hidden, y_onehot.shape[1]]
    return {(act, init): layer_gradient_norms(x, y_onehot, init_mlp(sizes, seed=seed, init=init), act)
            for act in activations for init in inits}


def _init_kernel(rng, fan_in: int, fan_out: int, init) -> np.ndarray:
    if init == "he":
        return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, fan_out))
    if init == "glorot":
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-limit, limit, size=(fan_in, fan_out))
    return rng.normal(0.0, float(init), size=(fan_in, fan_out))


def activation_variances(activation: str = "relu", init="he", width: int = 256, depth: int = 10,
                         n: int = 500, seed: int = 0) -> np.ndarray:
    """Mean square ``E[a^2]`` of the activations of layer 1..depth of a random MLP, shape (depth,).

    Input: ``n`` samples of ``width`` independent N(0, 1) features (variance 1); every layer is
    ``width -> width`` with biases 0.  ``init``: ``"he"`` (N(0, 2/fan_in)), ``"glorot"``
    (U(-r, r), r = sqrt(6/(fan_in + fan_out)), variance 2/(fan_in + fan_out)) or a number: the
    standard deviation of a plain normal.  The variance argument: ``Var(z) = fan_in Var(w) E[a^2]``,
    and ``E[relu(z)^2] = Var(z) / 2``.
    """
    forward, _ = ACTIVATIONS[_check_activation(activation, "activation")]
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n, width))
    out = []
    for _ in range(depth):
        a = np.asarray(forward(a @ _init_kernel(rng, width, width, init)))
        out.append(float(np.mean(a ** 2)))
    return np.array(out)


# --------------------------------------------------------------------------------------
# Expressiveness: universal approximation (one wide layer) and what depth buys
# --------------------------------------------------------------------------------------

def staircase_network(f, n_hidden: int, lo: float = 0.0, hi: float = 1.0, steepness: float = 10.0) -> Params:
    """A one-hidden-layer sigmoid network approximating ``f`` on ``[lo, hi]`` (Nielsen's construction).

    Hidden unit ``i`` is a steep sigmoid ``sigmoid(w (x - s_i))``, almost a step at
    ``s_i = lo + i (hi - lo) / n_hidden`` (i = 1..n_hidden), with ``w = steepness * n_hidden / (hi - lo)``;
    its output weight is the jump ``f(c_i) - f(c_{i-1})`` between the midpoints ``c`` of neighbouring
    intervals, and the output bias is ``f(c_0)``: a staircase through ``f``.  Returns
    ``[(W1 (1, n), b1 (n,)), (W2 (n, 1), b2 (1,))]`` for ``mlp_forward(x, params, "sigmoid")``.
    """
    n = check_scalar(n_hidden, "n_hidden", int, min_val=1)
    width = (hi - lo) / n
    steps = lo + width * np.arange(1, n + 1)
    centres = lo + width * (np.arange(n + 1) + 0.5)
    centres[-1] = hi
    levels = np.asarray(f(centres), dtype=np.float64)
    w = steepness / width
    return [(np.full((1, n), w), -w * steps), (np.diff(levels)[:, None], levels[:1].copy())]


def tent(x) -> np.ndarray:
    """``2 relu(x) - 4 relu(x - 1/2)``: the tent map of [0, 1] onto [0, 1] (two ReLU units)."""
    x = as_float_array(x, "x")
    return 2 * relu(x) - 4 * relu(x - 0.5)


def sawtooth(x, k: int) -> np.ndarray:
    """``tent(tent(...tent(x)))``, k times: a network of k hidden layers of 2 ReLUs; ``2**k`` linear pieces."""
    k = check_scalar(k, "k", int, min_val=0)
    out = as_float_array(x, "x")
    for _ in range(k):
        out = tent(out)
    return out


def count_linear_pieces(f, lo: float = 0.0, hi: float = 1.0, n: int = 2**14) -> int:
    """Number of maximal intervals of ``[lo, hi]`` on which ``f`` is linear, sampled on ``n`` equal steps.

    Exact for piecewise-linear ``f`` whose breakpoints lie on the grid (e.g. dyadic breakpoints
    and ``n`` a power of 2): the slope of each step is constant inside a piece.
    """
    x = np.linspace(lo, hi, n + 1)
    slopes = np.diff(np.asarray(f(x), dtype=np.float64)) / np.diff(x)
    return int(1 + np.count_nonzero(~np.isclose(slopes[1:], slopes[:-1], rtol=1e-9, atol=1e-9)))


# --------------------------------------------------------------------------------------
# Training, validation and test sets
# --------------------------------------------------------------------------------------

def split_sizes(n: int, val_fraction: float = 0.2, test_fraction: float = 0.2) -> tuple[int, int, int]:
    """``(n_train, n_val, n_test)``: test and validation sizes rounded down, the rest for training."""
    n = check_scalar(n, "n", int, min_val=3)
    n_test, n_val = int(n * test_fraction), int(n * val_fraction)
    return n - n_val - n_test, n_val, n_test


def split_indices(n: int, val_fraction: float = 0.2, test_fraction: float = 0.2, seed: int = 0):
    """A random permutation of ``range(n)`` cut into ``(train, val, test)`` index arrays (:func:`split_sizes`)."""
    n_train, n_val, _ = split_sizes(n, val_fraction, test_fraction)
    order = np.random.default_rng(seed).permutation(n)
    return order[:n_train], order[n_train:n_train + n_val], order[n_train + n_val:]


def digits_splits(val_fraction: float = 0.2, test_fraction: float = 0.2, seed: int = 0) -> dict:
    """The 8x8 digits cut into training, validation and test sets: ``{name: (x (n, 64), y (n, 10))}``."""
    from coursekit.data import digits_8x8

    images, labels = digits_8x8()
    parts = split_indices(len(images), val_fraction, test_fraction, seed)
    return {name: (images[idx].reshape(len(idx), -1), np.eye(10)[labels[idx]])
            for name, idx in zip(("train", "val", "test"), parts)}


def weight_stats(params, tol: float = 1e-3) -> dict:
    """Summary of all kernels: ``n``, ``exact_zeros``, ``near_zero`` (|w| < tol), ``mean_abs``, ``max_abs``."""
    w = np.concatenate([np.ravel(k) for k, _ in _check_params(params)])
    return {"n": int(w.size), "exact_zeros": int(np.count_nonzero(w == 0)),
            "near_zero": int(np.count_nonzero(np.abs(w) < tol)),
            "mean_abs": float(np.abs(w).mean()), "max_abs": float(np.abs(w).max())}


# --------------------------------------------------------------------------------------
# Assignment 3's training exercise: mini-batch SGD with the MLP above, batches as Keras's fit sees them
# --------------------------------------------------------------------------------------

def minibatch_order(n: int, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """One epoch's mini-batches: ``order = rng.permutation(n)`` cut into ``order[i:i + batch_size]``.

    The last batch is shorter when ``batch_size`` does not divide ``n`` (it is kept, as in Keras).
    """
    order = rng.permutation(n)
    return [order[start:start + batch_size] for start in range(0, n, batch_size)]


def fit_mlp(x, y_true, params, learning_rate, epochs, batch_size, seed=0,
            hidden_activation="relu") -> tuple[Params, np.ndarray]:
    """Train the MLP of :func:`mlp_backward` by mini-batch SGD; returns ``(params, losses)``.

    ``rng = np.random.default_rng(seed)`` once; every epoch ``order = rng.permutation(N)`` and the
    batches ``order[0:B], order[B:2B], ...`` (the last one shorter when ``B`` does not divide ``N``).
    Per batch: ``loss, grads = mlp_backward(x[idx], y_true[idx], params, hidden_activation)``, then
    ``W <- W - learning_rate * dW`` and ``b <- b - learning_rate * db`` (a new list; the caller's
    ``params`` are not modified).  ``losses`` (float64, length ``epochs * ceil(N / B)``) is each
    batch's loss before its update: what ``model.fit`` with ``keras.optimizers.SGD(learning_rate)``
    computes on the same batches in the same order.
    """
    params = _check_params(params)
    x = _check_x(x, params)
    y = _check_targets(y_true, x, params, "y_true")
    learning_rate = check_scalar(learning_rate, "learning_rate", min_val=0, include_boundaries="neither")
    epochs = check_scalar(epochs, "epochs", int, min_val=0)
    batch_size = check_scalar(batch_size, "batch_size", int, min_val=1)
    rng = np.random.default_rng(seed)
    params = [(k.copy(), b.copy()) for k, b in params]
    losses = []
    for _ in range(epochs):
        for idx in minibatch_order(len(x), batch_size, rng):
            loss, grads = mlp_backward(x[idx], y[idx], params, hidden_activation)
            losses.append(loss)
            params = [(k - learning_rate * dk, b - learning_rate * db) for (k, b), (dk, db) in zip(params, grads)]
    return params, np.asarray(losses, dtype=np.float64)


__all__ += ["minibatch_order", "fit_mlp"]
