"""Lecture 1, the neuron: activations (each with its derivative), the dense layer, losses, perceptrons.

Every function takes NumPy arrays (float32 or float64; ints become float64), returns a new array
and never modifies its input.  Each activation's derivative sits right below it, as in micrograd's
engine.py, so the backward rule is read next to the forward one; :data:`ACTIVATIONS` pairs them
and is the one table every other module (``coursekit.backprop``'s ``*_backward``, the MLP) uses.
The dense layer's forward and backward pass sit side by side here too (``coursekit.backprop``
re-exports ``dense_backward``).  The reference computations the tests compare against are the
Keras 3 / TensorFlow ones named in ``exercises.md``.

    z = x @ kernel + bias          # (batch, in_features) @ (in_features, units) + (units,)
    a = activation(z)              # (batch, units)
"""

from __future__ import annotations

import numpy as np

from coursekit.validation import as_float_array, check_option, check_scalar

__all__ = [
    "linear", "linear_derivative",
    "step", "step_derivative",
    "sigmoid", "sigmoid_derivative",
    "tanh", "tanh_derivative",
    "relu", "relu_derivative",
    "leaky_relu", "leaky_relu_derivative",
    "elu", "elu_derivative",
    "maxout", "maxout_derivative",
    "softmax", "softmax_jacobian",
    "ACTIVATIONS", "dense_forward", "dense_backward",
    "mean_squared_error", "mean_absolute_error", "binary_crossentropy", "categorical_crossentropy",
    "EPSILON", "ONE_MINUS_EPSILON",
    "perceptron_predict", "perceptron_network_predict", "nand_weights", "xor_network",
    "perceptron_train", "entropy", "cross_entropy", "kl_divergence",
]

def _at_least_1d(x, name: str, hint: str = ""):
    """as_float_array for inputs of any rank >= 1 (scalars are refused with a clear message)."""
    arr = as_float_array(x, name)
    if arr.ndim < 1:
        raise ValueError(f"{name} must be at least 1-D {hint}; got a scalar (shape ())")
    return arr


# Keras's backend.epsilon(): probabilities are clipped to [EPSILON, 1 - EPSILON] before the log.
EPSILON = 1e-7
# Keras computes its losses in float32 (its floatx), where 1 - 1e-7 rounds to 1 - 2**-23 =
# 0.99999988.  Clipping to that float32 value makes a confidently wrong float64 prediction cost
# what it costs in Keras: -log(2**-23) = 15.94 for (y=0, p=1), not -log(1e-7) = 16.12.
ONE_MINUS_EPSILON = float(np.float32(1.0) - np.float32(EPSILON))


# --------------------------------------------------------------------------------------------
# Activations: forward op, then its derivative d activation / dz (elementwise, same shape as z)
# --------------------------------------------------------------------------------------------

def linear(z):
    """The identity, Keras's ``"linear"`` (or ``activation=None``): a copy of ``z``."""
    return as_float_array(z, "z").copy()


def linear_derivative(z):
    """1 everywhere."""
    z = as_float_array(z, "z")
    return np.ones_like(z)


def step(z):
    """Heaviside step of the perceptron: 1 where z >= 0, else 0.  Shape of ``z``."""
    z = as_float_array(z, "z")
    return (z >= 0).astype(z.dtype)


def step_derivative(z):
    """0 everywhere (undefined at 0): why a step perceptron cannot be trained by gradient descent."""
    z = as_float_array(z, "z")
    return np.zeros_like(z)


def sigmoid(z):
    """Logistic sigmoid 1 / (1 + exp(-z)), like ``keras.activations.sigmoid``.

    Numerically stable: exp is only ever taken of -|z| <= 0, so nothing overflows for any
    float z (1 / (1 + exp(-z)) would warn for z < -709 in float64, z < -88 in float32).
    """
    z = as_float_array(z, "z")
    e = np.exp(-np.abs(z))  # in (0, 1]
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(z.dtype, copy=False)


def sigmoid_derivative(z):
    """d sigmoid / dz = sigmoid(z) * (1 - sigmoid(z)); at most 0.25 (at z = 0)."""
    s = sigmoid(z)
    return s * (1.0 - s)


def tanh(z):
    """Hyperbolic tangent (``keras.activations.tanh``): 2 * sigmoid(2z) - 1, range (-1, 1)."""
    z = as_float_array(z, "z")
    return np.tanh(z)


def tanh_derivative(z):
    """d tanh / dz = 1 - tanh(z)**2; at most 1 (at z = 0)."""
    t = tanh(z)
    return 1.0 - t * t


def relu(z):
    """max(0, z), like ``keras.activations.relu``."""
    z = as_float_array(z, "z")
    return np.maximum(z, 0).astype(z.dtype, copy=False)


def relu_derivative(z):
    """1 where z > 0, else 0 (TensorFlow's choice at z = 0 is 0)."""
    z = as_float_array(z, "z")
    return (z > 0).astype(z.dtype)


def leaky_relu(z, negative_slope=0.1):
    """z for z > 0, negative_slope * z otherwise: max(0.1 z, z) for the default (lecture 1).

    Matches ``keras.activations.leaky_relu(z, negative_slope)`` (whose own default is 0.2).
    """
    z = as_float_array(z, "z")
    return np.where(z > 0, z, negative_slope * z).astype(z.dtype, copy=False)


def leaky_relu_derivative(z, negative_slope=0.1):
    """1 where z > 0, else negative_slope (TensorFlow's LeakyReluGrad; at z = 0 it is the slope)."""
    z = as_float_array(z, "z")
    return np.where(z > 0, 1.0, negative_slope).astype(z.dtype, copy=False)


def elu(z, alpha=1.0):
    """z for z > 0, alpha * (exp(z) - 1) otherwise, like ``keras.activations.elu(z, alpha)``."""
    z = as_float_array(z, "z")
    # exp only of the non-positive part: no overflow warning for large positive z.
    return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0))).astype(z.dtype, copy=False)


def elu_derivative(z, alpha=1.0):
    """1 where z > 0, else alpha * exp(z) (= elu(z) + alpha).  At z = 0 TensorFlow gives alpha."""
    z = as_float_array(z, "z")
    return np.where(z > 0, 1.0, alpha * np.exp(np.minimum(z, 0))).astype(z.dtype, copy=False)


def _maxout_groups(z, num_pieces):
    z = _at_least_1d(z, "z", hint="(..., units * num_pieces)")
    num_pieces = check_scalar(num_pieces, "num_pieces", int, min_val=1)
    if z.shape[-1] % num_pieces:
        raise ValueError(f"the last axis of z ({z.shape[-1]}) must be a multiple of num_pieces "
                         f"({num_pieces}); got z.shape={z.shape}")
    return z, z.reshape(z.shape[:-1] + (z.shape[-1] // num_pieces, num_pieces))


def maxout(z, num_pieces):
    """Maxout: the max of ``num_pieces`` linear pieces per unit, max(w1.x + b1, w2.x + b2, ...).

    ``z`` (..., units * num_pieces) holds the pieces' pre-activations, the pieces of unit j being
    the contiguous slice ``z[..., j*num_pieces:(j+1)*num_pieces]``.  Returns (..., units).
    """
    _, groups = _maxout_groups(z, num_pieces)
    return groups.max(axis=-1)


def maxout_derivative(z, num_pieces):
    """d maxout / dz as a mask of the shape of ``z``: 1 on the winning piece of each unit, else 0.

    The gradient flows only through the piece that won (the first one on ties).
    """
    z, groups = _maxout_groups(z, num_pieces)
    winner = groups.argmax(axis=-1)[..., None]
    mask = np.zeros_like(groups)
    np.put_along_axis(mask, winner, 1.0, axis=-1)
    return mask.reshape(z.shape)


def softmax(z, axis=-1):
    """exp(z) / sum(exp(z)) along ``axis``, like ``keras.activations.softmax(z, axis)``.

    Subtracting the max first changes nothing mathematically (softmax(z + c) = softmax(z))
    but keeps exp from overflowing for logits around 1e3.
    """
    z = _at_least_1d(z, "z", hint="(at least 1-D)")
    axis = check_scalar(axis, f"axis (for z of shape {z.shape})", int, min_val=-z.ndim, max_val=z.ndim - 1)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def softmax_jacobian(z):
    """The softmax derivative for one vector z (k,): J[i, j] = s_i (delta_ij - s_j), shape (k, k)."""
    s = softmax(as_float_array(z, "z", ndim=1, shape_hint="(k,) - one vector of logits"))
    return np.diag(s) - np.outer(s, s)


# name -> (activation, its derivative): the one table of elementwise activations.  The names are
# Keras's (Dense(units, activation=name); leaky_relu keeps the lecture's slope 0.1, Keras's is 0.2),
# plus the perceptron's "step".  Softmax is not here: it is not elementwise (its derivative is the
# Jacobian above) and comes only on an output layer.
ACTIVATIONS = {
    "linear": (linear, linear_derivative),
    "step": (step, step_derivative),
    "sigmoid": (sigmoid, sigmoid_derivative),
    "tanh": (tanh, tanh_derivative),
    "relu": (relu, relu_derivative),
    "leaky_relu": (leaky_relu, leaky_relu_derivative),
    "elu": (elu, elu_derivative),
}


# --------------------------------------------------------------------------------------------
# Dense layer: forward, then backward
# --------------------------------------------------------------------------------------------

def dense_forward(x, kernel, bias, activation=None):
    """activation(x @ kernel + bias). x (N, D), kernel (D, M), bias (M,) -> (N, M).

    Like ``keras.layers.Dense(M, activation)``: ``x`` may have more leading axes (..., D) and
    ``bias`` may be None (no bias).  ``activation``: None (= "linear"), a name in
    :data:`ACTIVATIONS` or "softmax" (over the units axis).
    """
    check_option(activation, "activation", (None, *ACTIVATIONS, "softmax"))
    x = _at_least_1d(x, "x", hint="(batch, in_features)")
    kernel = as_float_array(kernel, "kernel", ndim=2, shape_hint="(in_features, units)")
    if x.shape[-1] != kernel.shape[0]:
        raise ValueError(f"x has {x.shape[-1]} features (last axis of x, shape {x.shape}) but kernel "
                         f"expects {kernel.shape[0]} (kernel.shape[0], kernel shape {kernel.shape}); "
                         "kernel must be (in_features, units)")
    z = x @ kernel
    if bias is not None:
        bias = as_float_array(bias, "bias", ndim=1, shape_hint="(units,)")
        if bias.shape != (kernel.shape[1],):
            raise ValueError(f"bias must have shape (units,) = ({kernel.shape[1]},) to match kernel "
                             f"shape {kernel.shape}; got bias shape {bias.shape}")
        z = z + bias
    if activation == "softmax":
        return softmax(z)
    return ACTIVATIONS[activation or "linear"][0](z)


def dense_backward(dout, x, kernel):
    """dout (N, M) -> dx (N, D), dkernel (D, M), dbias (M,).

    The backward pass of ``z = x @ kernel + bias``: ``dout`` is dE/dz (pass the gradient through
    the activation first, e.g. ``coursekit.backprop.relu_backward``); ``x`` may be (..., D)::

        dx      = dout @ kernel.T        (passes delta to the layer below: BP2 before f')
        dkernel = x.T @ dout             (BP4)
        dbias   = dout summed over N     (BP3)
    """
    x = _at_least_1d(x, "x", hint="(batch, in_features)")
    kernel = as_float_array(kernel, "kernel", ndim=2, shape_hint="(in_features, units)")
    dout = as_float_array(dout, "dout")
    if x.shape[-1] != kernel.shape[0]:
        raise ValueError(f"x must have shape (batch, {kernel.shape[0]}) to match kernel "
                         f"{kernel.shape} (in_features, units); got x {x.shape}")
    expected = x.shape[:-1] + (kernel.shape[1],)
    if dout.shape != expected:
        raise ValueError(f"dout must have the shape of the layer output {expected} "
                         f"(x {x.shape} @ kernel {kernel.shape}); got {dout.shape}")
    dtype = np.result_type(dout.dtype, x.dtype, kernel.dtype)
    x2 = x.reshape(-1, kernel.shape[0]).astype(dtype, copy=False)
    d2 = dout.reshape(-1, kernel.shape[1]).astype(dtype, copy=False)
    dx = (d2 @ kernel.astype(dtype, copy=False).T).reshape(x.shape)
    return dx, x2.T @ d2, d2.sum(axis=0)


# --------------------------------------------------------------------------------------------
# Losses: each returns a Python float (the mean over the batch, Keras's "sum_over_batch_size")
# --------------------------------------------------------------------------------------------

def _loss_pair(y_true, y_pred):
    """Validate and align a (y_true, y_pred) pair the way Keras's losses do.

    Keras squeezes/expands a trailing axis of size 1 when the ranks differ by one
    (labels (n,) with predictions (n, 1) are fine); any other shape mismatch is an error here.
    """
    y_pred = _at_least_1d(y_pred, "y_pred", hint="(batch, ...)")
    y_true = _at_least_1d(y_true, "y_true", hint="(batch, ...)")
    if y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    elif y_pred.ndim == y_true.ndim + 1 and y_pred.shape[-1] == 1:
        y_pred = y_pred[..., 0]
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true and y_pred must have the same shape; got y_true shape {y_true.shape} "
                         f"and y_pred shape {y_pred.shape}")
    return y_true, y_pred


def mean_squared_error(y_true, y_pred):
    """mean((y_true - y_pred)**2) over all entries, like ``keras.losses.MeanSquaredError()``."""
    y_true, y_pred = _loss_pair(y_true, y_pred)
    return float(np.mean((y_true - y_pred) ** 2))


def mean_absolute_error(y_true, y_pred):
    """mean(|y_true - y_pred|) over all entries, like ``keras.losses.MeanAbsoluteError()``."""
    y_true, y_pred = _loss_pair(y_true, y_pred)
    return float(np.mean(np.abs(y_true - y_pred)))


def binary_crossentropy(y_true, y_pred):
    """-mean(y log p + (1 - y) log(1 - p)), like ``keras.losses.BinaryCrossentropy()`` on probabilities.

    As Keras 3 does (keras/src/backend/tensorflow/nn.py): p is first clipped to
    [1e-7, 1 - 1e-7] (the upper bound rounded to float32, see ONE_MINUS_EPSILON), so a
    confidently wrong answer costs at most about 16, not infinity.
    """
    y_true, y_pred = _loss_pair(y_true, y_pred)
    p = np.clip(y_pred, EPSILON, ONE_MINUS_EPSILON)
    return float(-np.mean(y_true * np.log(p) + (1.0 - y_true) * np.log(1.0 - p)))


def categorical_crossentropy(y_true, y_pred):
    """-mean over samples of sum_k y_k log p_k, like ``keras.losses.CategoricalCrossentropy()``.

    y_true: one-hot (batch, classes); y_pred: probabilities (batch, classes).  As Keras 3 does,
    each row of y_pred is first divided by its sum, then clipped to [1e-7, 1 - 1e-7].
    """
    y_true, y_pred = _loss_pair(y_true, y_pred)
    p = y_pred / y_pred.sum(axis=-1, keepdims=True)
    p = np.clip(p, EPSILON, ONE_MINUS_EPSILON)
    return float(np.mean(-np.sum(y_true * np.log(p), axis=-1)))


# --------------------------------------------------------------------------------------------
# Perceptrons (step activation)
# --------------------------------------------------------------------------------------------

def perceptron_predict(x, w, b):
    """step(x @ w + b): x (n, d), w (d,) or (d, units), b scalar or (units,) -> (n,) or (n, units)."""
    x = as_float_array(x, "x", ndim=(1, 2), shape_hint="(n, d)")
    w = as_float_array(w, "w", ndim=(1, 2), shape_hint="(d,) or (d, units)")
    if x.shape[-1] != w.shape[0]:
        raise ValueError(f"x has {x.shape[-1]} features (shape {x.shape}) but w expects {w.shape[0]} "
                         f"(w shape {w.shape})")
    return step(x @ w + as_float_array(b, "b"))


def perceptron_network_predict(x, layers):
    """Apply step layers in turn: ``layers`` is [(W1, b1), (W2, b2), ...] as from ``xor_network()``."""
    a = as_float_array(x, "x", ndim=2, shape_hint="(n, d)")
    for W, b in layers:
        a = perceptron_predict(a, W, b)
    return a


def nand_weights():
    """(w, b) with step(x @ w + b) = NAND(x1, x2); z is 3, 1, 1, -1 on 00, 01, 10, 11 (never 0)."""
    return np.array([-2.0, -2.0]), 3.0


def xor_network():
    """[(W1, b1), (W2, b2)]: XOR = AND(OR(x1, x2), NAND(x1, x2)) with step units.

    Hidden unit 1 is OR (z = 2x1 + 2x2 - 1), unit 2 is NAND (z = -2x1 - 2x2 + 3); the output is
    AND of the two (z = 2h1 + 2h2 - 3).  Every z is odd, so no input lies on a boundary.
    Shapes: W1 (2, 2), b1 (2,), W2 (2, 1), b2 (1,); the output is (n, 1).
    """
    W1 = np.array([[2.0, -2.0], [2.0, -2.0]])
    b1 = np.array([-1.0, 3.0])
    W2 = np.array([[2.0], [2.0]])
    b2 = np.array([-3.0])
    return [(W1, b1), (W2, b2)]


def perceptron_train(x, y, lr=1.0, epochs=100, w=None, b=0.0):
    """Rosenblatt's learning rule: for each example in turn, w += lr (y - y_hat) x, b += lr (y - y_hat).

    ``x`` (n, d), ``y`` (n,) in {0, 1}, ``y_hat = step(x @ w + b)``.  Starts from ``w`` (zeros by
    default) and ``b``; stops after the first epoch without a mistake (the perceptron convergence
    theorem: on linearly separable data this happens after finitely many updates) or after
    ``epochs``.  Returns ``(w (d,), b, errors)``, ``errors`` the mistakes (= updates) of each epoch.
    """
    x = as_float_array(x, "x", ndim=2, shape_hint="(n, d)")
    y = as_float_array(y, "y", ndim=1, shape_hint="(n,) labels in {0, 1}")
    if len(y) != len(x):
        raise ValueError(f"x has {len(x)} rows but y has {len(y)} labels")
    lr = check_scalar(lr, "lr", float, min_val=0.0)
    epochs = check_scalar(epochs, "epochs", int, min_val=1)
    w = np.zeros(x.shape[1]) if w is None else as_float_array(w, "w", ndim=1).copy()
    b = float(b)
    errors = []
    for _ in range(epochs):
        mistakes = 0
        for xi, yi in zip(x, y):
            delta = yi - (1.0 if xi @ w + b >= 0 else 0.0)
            if delta:
                w += lr * delta * xi
                b += lr * delta
                mistakes += 1
        errors.append(mistakes)
        if mistakes == 0:
            break
    return w, b, errors


# --------------------------------------------------------------------------------------------
# Information: entropy, cross-entropy, Kullback-Leibler divergence (natural log, nats)
# --------------------------------------------------------------------------------------------

def _distribution(p, name):
    p = _at_least_1d(p, name, hint="(k,) probabilities")
    if np.any(p < 0) or not np.allclose(p.sum(axis=-1), 1.0):
        raise ValueError(f"{name} must be a probability distribution (>= 0, summing to 1 on the last axis)")
    return p


def entropy(p):
    """H(P) = -sum_i p_i log p_i (terms with p_i = 0 count 0).  ``p`` (..., k) -> (...)."""
    p = _distribution(p, "p")
    logp = np.log(np.where(p > 0, p, 1.0))
    return 0.0 - np.sum(p * logp, axis=-1)      # 0.0 - 0.0 is +0.0 (a certain P has entropy 0, not -0)


def cross_entropy(p, q):
    """H(P, Q) = -sum_i p_i log q_i (terms with p_i = 0 count 0; inf if q_i = 0 where p_i > 0)."""
    p, q = _distribution(p, "p"), _distribution(q, "q")
    with np.errstate(divide="ignore"):
        logq = np.log(q)
    return -np.sum(np.where(p > 0, p * logq, 0.0), axis=-1)


def kl_divergence(p, q):
    """D_KL(P || Q) = sum_i p_i log(p_i / q_i) = H(P, Q) - H(P) >= 0, zero only for P = Q."""
    return cross_entropy(p, q) - entropy(p)
