"""Lecture 2, gradient descent: numerical gradients, the optimizers' update rules, mini-batches.

The update rules are exactly Keras 3's (keras/src/optimizers/sgd.py, rmsprop.py, adam.py), step by
step, so that the weights after any number of steps equal ``keras.optimizers.SGD/RMSprop/Adam``
applied to a variable.  Each docstring says where Keras differs from the textbook formula.
Every update returns new arrays; nothing passed in is modified.

    w_{t+1} = w_t - learning_rate * grad L(w_t)          # plain gradient descent
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterator

import numpy as np

from coursekit.data import two_gaussians, two_gaussians_gradient
from coursekit.neuron import binary_crossentropy, mean_squared_error, sigmoid
from coursekit.validation import as_float_array, check_option, check_same_shape, check_scalar

__all__ = [
    "numerical_gradient", "gradient_descent",
    "sgd_update", "rmsprop_update", "adam_update",
    "iterate_minibatches",
    "TrainingHistory", "train_neuron",
    "OPTIMIZERS", "minimize",
    "VALLEY_CURVATURES", "elongated_valley", "elongated_valley_gradient", "valley_hessian",
    "Curvature", "curvature", "linear_mse_hessian", "linear_mse_descent",
    "nesterov_lookahead", "keras_optimizer", "keras_minimize",
    # lecture demonstrations
    "gaussians_f", "gaussians_grad", "gaussians_surface", "gaussians_minimum", "classify_paths",
    "DemoStarts", "find_demo_starts",
]


# --------------------------------------------------------------------------------------------
# Gradients and plain gradient descent
# --------------------------------------------------------------------------------------------

def numerical_gradient(f: Callable, x, h=1e-5):
    """Central differences (f(x + h e_i) - f(x - h e_i)) / (2h) for every entry i of ``x``.

    f: scalar function of an array shaped like x.  Returns float64 of x's shape; the error is
    O(h**2).  ``x`` is unchanged afterwards (we perturb a float64 copy).
    """
    x = np.array(as_float_array(x, "x"), dtype=np.float64, copy=True)
    h = check_scalar(h, "h", min_val=0, include_boundaries="neither")
    grad = np.zeros_like(x)
    flat_x, flat_g = x.reshape(-1), grad.reshape(-1)  # views of the copies
    for i in range(flat_x.size):
        old = flat_x[i]
        flat_x[i] = old + h
        f_plus = float(f(x))
        flat_x[i] = old - h
        f_minus = float(f(x))
        flat_x[i] = old
        flat_g[i] = (f_plus - f_minus) / (2.0 * h)
    return grad


def gradient_descent(grad_fn: Callable, x0, learning_rate, num_steps):
    """x_{t+1} = x_t - learning_rate * grad_fn(x_t); returns the trajectory.

    Shape (num_steps + 1,) + x0.shape, float64; row 0 is x0.
    """
    x = np.array(as_float_array(x0, "x0"), dtype=np.float64, copy=True)
    num_steps = check_scalar(num_steps, "num_steps", int, min_val=0)
    path = np.empty((num_steps + 1,) + x.shape)
    path[0] = x
    for t in range(num_steps):
        g = np.asarray(grad_fn(x.copy()), dtype=np.float64)
        if g.shape != x.shape:
            raise ValueError(f"grad_fn must return an array of x0's shape {x.shape}; got {g.shape}")
        x = x - learning_rate * g
        path[t + 1] = x
    return path


# --------------------------------------------------------------------------------------------
# Optimizer update rules (one step each; Keras 3 semantics)
# --------------------------------------------------------------------------------------------

def _same_shape_arrays(**arrays):
    out = {name: as_float_array(a, name) for name, a in arrays.items()}
    first = next(iter(out))
    for name in out:
        check_same_shape(out[first], out[name], first, name)
    return out.values()


def sgd_update(w, grad, velocity, learning_rate, momentum=0.0, nesterov=False):
    """One step of ``keras.optimizers.SGD(learning_rate, momentum, nesterov)``: (new_w, new_velocity).

    Keras's sign convention: the velocity already contains the minus sign,

        velocity = momentum * velocity - learning_rate * grad
        w        = w + velocity                                         (classical momentum)
        w        = w + momentum * velocity - learning_rate * grad       (nesterov=True)

    Textbooks often write v = momentum * v + grad, w = w - lr * v (same path when lr is
    constant, but a velocity of the opposite sign and a factor lr).  The Nesterov line is the
    "look-ahead" rewritten so the gradient is taken at the current w (Sutskever et al., 2013),
    which is how Keras implements it.  With momentum = 0 this is plain w - lr * grad (velocity
    is then returned unchanged: Keras keeps no velocity slot).
    """
    w, grad, velocity = _same_shape_arrays(w=w, grad=grad, velocity=velocity)
    if momentum == 0:
        return w - learning_rate * grad, velocity.copy()
    new_velocity = momentum * velocity - learning_rate * grad
    if nesterov:
        return w + (momentum * new_velocity - learning_rate * grad), new_velocity
    return w + new_velocity, new_velocity


def rmsprop_update(w, grad, velocity, learning_rate=0.001, rho=0.9, epsilon=1e-7):
    """One step of ``keras.optimizers.RMSprop(learning_rate, rho, epsilon=epsilon)``: (new_w, new_velocity).

        velocity = rho * velocity + (1 - rho) * grad**2       # running mean of squared gradients
        w        = w - learning_rate * grad / sqrt(velocity + epsilon)

    Keras puts epsilon INSIDE the square root (Hinton's slides and PyTorch use
    sqrt(velocity) + epsilon).  Keras's velocity starts at zero (no bias correction).
    """
    w, grad, velocity = _same_shape_arrays(w=w, grad=grad, velocity=velocity)
    new_velocity = rho * velocity + (1 - rho) * np.square(grad)
    return w - (learning_rate * grad) / np.sqrt(new_velocity + epsilon), new_velocity


def adam_update(w, grad, m, v, t, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    """One step of ``keras.optimizers.Adam``: (new_w, new_m, new_v); ``t`` is the 1-based step.

        m     = m + (1 - beta_1) * (grad - m)          # = beta_1 m + (1 - beta_1) grad
        v     = v + (1 - beta_2) * (grad**2 - v)
        alpha = learning_rate * sqrt(1 - beta_2**t) / (1 - beta_1**t)
        w     = w - alpha * m / (sqrt(v) + epsilon)

    The paper (Kingma & Ba, Algorithm 1) writes m_hat = m / (1 - beta_1**t),
    v_hat = v / (1 - beta_2**t), w -= lr * m_hat / (sqrt(v_hat) + eps).  Keras folds the bias
    corrections into the step size alpha (the paper's "more efficient" form of section 2), which
    moves epsilon: Keras's epsilon equals the paper's eps * sqrt(1 - beta_2**t).  The two agree
    exactly only when epsilon = 0.  Keras's default epsilon is 1e-7 (the paper's is 1e-8).

    One float64 detail: Keras converts learning_rate, beta_1 and beta_2 to float32 before
    casting them to the variable's dtype, so for float64 weights its bias correction uses
    1 - float32(0.999) = 0.00099998713 (a relative error of 1.3e-5).  We keep the exact
    constants; results agree with Keras to float32 tolerance in both dtypes.
    """
    w, grad, m, v = _same_shape_arrays(w=w, grad=grad, m=m, v=v)
    t = check_scalar(t, "t (the 1-based step number)", int, min_val=1)
    alpha = learning_rate * np.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
    new_m = m + (grad - m) * (1 - beta_1)
    new_v = v + (np.square(grad) - v) * (1 - beta_2)
    return w - (new_m * alpha) / (np.sqrt(new_v) + epsilon), new_m, new_v


# --------------------------------------------------------------------------------------------
# Mini-batches
# --------------------------------------------------------------------------------------------

def iterate_minibatches(x, y, batch_size, shuffle=True, seed=None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield (x_batch, y_batch) covering every sample exactly once (one pass, one epoch).

    x: (n, ...), y: (n, ...); pairs stay together.  The last batch is shorter when batch_size
    does not divide n (it is kept, as Keras's fit does).  shuffle=True draws a fresh permutation
    from ``np.random.default_rng(seed)``: the same seed gives the same batches.
    batch_size = 1 is SGD, batch_size = n is the batch method, in between is mini-batch.
    """
    x, y = np.asarray(x), np.asarray(y)  # validated here, not lazily at the first next()
    if x.ndim < 1 or y.ndim < 1 or len(x) != len(y):
        raise ValueError(f"x and y must have the same number of samples (first axis); "
                         f"got x shape {x.shape} and y shape {y.shape}")
    batch_size = check_scalar(batch_size, "batch_size", int, min_val=1)
    order = np.random.default_rng(seed).permutation(len(x)) if shuffle else np.arange(len(x))
    return _batches(x, y, order, batch_size)


def _batches(x, y, order, batch_size):
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        yield x[idx], y[idx]  # fancy indexing copies: the caller may modify a batch freely


# --------------------------------------------------------------------------------------------
# Training one sigmoid neuron: SGD vs mini-batch vs batch (lecture 2)
# --------------------------------------------------------------------------------------------

@dataclass
class TrainingHistory:
    """What ``train_neuron`` records once per epoch (row 0 is before training).

    weights (epochs + 1, d), bias (epochs + 1,), loss (epochs + 1,) on the whole data set;
    path_weights/path_bias after every single update (updates + 1 rows) to draw the zig-zag.
    """

    weights: np.ndarray
    bias: np.ndarray
    loss: np.ndarray
    path_weights: np.ndarray
    path_bias: np.ndarray
    batch_size: int
    updates_per_epoch: int
    loss_name: str = "mse"
    extra: dict = field(default_factory=dict)


def _neuron_loss_and_grads(x, y, w, b, loss):
    """Loss of p = sigmoid(x @ w + b) and its gradient (dL/dw (d,), dL/db scalar), batch mean."""
    p = sigmoid(x @ w + b)
    n = len(x)
    if loss == "mse":
        dz = 2.0 * (p - y) * p * (1.0 - p) / n   # chain rule: dL/dp * dp/dz (the lecture's hand derivation)
        value = mean_squared_error(y, p)
    else:  # bce: sigmoid and log cancel to the famous p - y
        dz = (p - y) / n
        value = binary_crossentropy(y, p)
    return value, x.T @ dz, float(dz.sum())


def train_neuron(x, y, w0, b0, learning_rate, epochs, batch_size=None, loss="mse", seed=None,
                 momentum=0.0, shuffle=True) -> TrainingHistory:
    """Train p = sigmoid(x @ w + b) by (momentum) SGD and record the history.

    x (n, d), y (n,) in [0, 1], w0 (d,), b0 scalar.  batch_size = 1 is SGD (the MATLAB
    ``SGD_method`` of lecture 1: an update after every sample), None or n is the batch method (one
    update per epoch with the average gradient), in between is mini-batch.  loss is "mse"
    (the lecture's squared error) or "bce".  Updates use :func:`sgd_update`; batches come from
    :func:`iterate_minibatches` with a per-epoch seed derived from ``seed``.
    """
    x = as_float_array(x, "x", ndim=2, shape_hint="(n, d)").astype(np.float64)
    y = as_float_array(y, "y", ndim=1, shape_hint="(n,)").astype(np.float64)
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same number of samples; got x shape {x.shape}, y shape {y.shape}")
    w = np.array(as_float_array(w0, "w0", ndim=1, shape_hint="(d,)"), dtype=np.float64)
    if w.shape != (x.shape[1],):
        raise ValueError(f"w0 must have shape (d,) = ({x.shape[1]},) to match x shape {x.shape}; got {w.shape}")
    b = float(b0)
    check_option(loss, "loss", ("mse", "bce"))
    epochs = check_scalar(epochs, "epochs", int, min_val=0)
    batch_size = len(x) if batch_size is None else batch_size
    rng = np.random.default_rng(seed)

    vel_w, vel_b = np.zeros_like(w), np.zeros(())
    weights, biases, losses = [w.copy()], [b], [_neuron_loss_and_grads(x, y, w, b, loss)[0]]
    path_w, path_b = [w.copy()], [b]
    for _ in range(epochs):
        epoch_seed = int(rng.integers(2**63 - 1))
        for xb, yb in iterate_minibatches(x, y, batch_size, shuffle=shuffle, seed=epoch_seed):
            _, gw, gb = _neuron_loss_and_grads(xb, yb, w, b, loss)
            w, vel_w = sgd_update(w, gw, vel_w, learning_rate, momentum)
            b_arr, vel_b = sgd_update(np.array(b), np.array(gb), vel_b, learning_rate, momentum)
            b = float(b_arr)
            path_w.append(w.copy())
            path_b.append(b)
        weights.append(w.copy())
        biases.append(b)
        losses.append(_neuron_loss_and_grads(x, y, w, b, loss)[0])
    return TrainingHistory(
        weights=np.array(weights), bias=np.array(biases), loss=np.array(losses),
        path_weights=np.array(path_w), path_bias=np.array(path_b),
        batch_size=int(batch_size), updates_per_epoch=-(-len(x) // int(batch_size)), loss_name=loss,
    )


# --------------------------------------------------------------------------------------------
# The optimizer race
# --------------------------------------------------------------------------------------------

# name -> (default hyperparameters, Keras's defaults where Keras has them)
OPTIMIZERS = {
    "sgd": {"learning_rate": 0.01},
    "momentum": {"learning_rate": 0.01, "momentum": 0.9},
    "nesterov": {"learning_rate": 0.01, "momentum": 0.9},
    "rmsprop": {"learning_rate": 0.001, "rho": 0.9, "epsilon": 1e-7},
    "adam": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
}


def minimize(grad_fn: Callable, x0, optimizer="sgd", num_steps=100, **hyper):
    """Run one optimizer from x0 for num_steps steps; returns the trajectory (num_steps + 1,) + x0.shape.

    optimizer: "sgd", "momentum", "nesterov", "rmsprop" or "adam"; ``hyper`` overrides the
    defaults in ``OPTIMIZERS[optimizer]`` (e.g. learning_rate=0.1, momentum=0.8).
    """
    check_option(optimizer, "optimizer", tuple(OPTIMIZERS))
    unknown = set(hyper) - set(OPTIMIZERS[optimizer])
    if unknown:
        raise TypeError(f"unknown hyperparameter(s) {sorted(unknown)} for optimizer {optimizer!r}; "
                        f"allowed: {sorted(OPTIMIZERS[optimizer])}")
    hp = {**OPTIMIZERS[optimizer], **hyper}
    x = np.array(as_float_array(x0, "x0"), dtype=np.float64, copy=True)
    num_steps = check_scalar(num_steps, "num_steps", int, min_val=0)
    s1, s2 = np.zeros_like(x), np.zeros_like(x)  # optimizer state (velocity / m, v)
    path = np.empty((num_steps + 1,) + x.shape)
    path[0] = x
    for t in range(1, num_steps + 1):
        g = np.asarray(grad_fn(x.copy()), dtype=np.float64)
        if optimizer == "sgd":
            x, s1 = sgd_update(x, g, s1, hp["learning_rate"])
        elif optimizer in ("momentum", "nesterov"):
            x, s1 = sgd_update(x, g, s1, hp["learning_rate"], hp["momentum"], nesterov=optimizer == "nesterov")
        elif optimizer == "rmsprop":
            x, s1 = rmsprop_update(x, g, s1, hp["learning_rate"], hp["rho"], hp["epsilon"])
        else:
            x, s1, s2 = adam_update(x, g, s1, s2, t, hp["learning_rate"], hp["beta_1"], hp["beta_2"],
                                    hp["epsilon"])
        path[t] = x
    return path


# f(u, v) = 0.5 * (c_u u**2 + c_v v**2) in coordinates (u, v) rotated by ``angle`` from (x, y):
# the two curvatures (the Hessian's eigenvalues): a long flat valley floor with steep walls.
VALLEY_CURVATURES = (0.1, 4.0)


def _valley_rotation(angle):
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s], [s, c]])  # columns: the valley's long and short axes in (x, y)


def elongated_valley(x, angle=0.0):
    """A long narrow quadratic valley f = 0.5 (0.1 u**2 + 4 v**2), minimum 0 at the origin.

    x: (..., 2) points (vectorised over grids); (u, v) are x's coordinates along the valley's
    axes, rotated by ``angle`` radians (angle=0: the valley runs along the x axis).  Returns (...).
    Its Hessian is :func:`valley_hessian`; plain gradient descent must use a learning rate below
    2 / (largest curvature) to stay stable across the steep direction (:func:`curvature`), and then
    crawls along the flat one: momentum, RMSprop and Adam do better.
    """
    x = as_float_array(x, "x")
    if x.shape[-1:] != (2,):
        raise ValueError(f"x must have shape (..., 2); got {x.shape}")
    uv = x @ _valley_rotation(angle)
    cu, cv = VALLEY_CURVATURES
    return 0.5 * (cu * uv[..., 0] ** 2 + cv * uv[..., 1] ** 2)


def elongated_valley_gradient(x, angle=0.0):
    """Gradient of :func:`elongated_valley` w.r.t. x: R diag(0.1, 4) R^T x, shape (..., 2)."""
    x = as_float_array(x, "x")
    if x.shape[-1:] != (2,):
        raise ValueError(f"x must have shape (..., 2); got {x.shape}")
    R = _valley_rotation(angle)
    return ((x @ R) * np.array(VALLEY_CURVATURES)) @ R.T


# --------------------------------------------------------------------------------------------
# Lecture demonstrations: descent on the difference of two Gaussians
# --------------------------------------------------------------------------------------------
# Lecture 2 lets gradient descent run on coursekit.data.two_gaussians (a well next to a hill,
# on a plateau) and shows one start point per behaviour; the start points are found here by
# computation.  coursekit.widgets.gradient_descent draws the paths.

def gaussians_f(p) -> np.ndarray:
    """The two-Gaussians surface at points p (..., 2) -> (...)."""
    p = np.asarray(p, dtype=np.float64)
    return two_gaussians(p[..., 0], p[..., 1])


def gaussians_grad(p) -> np.ndarray:
    """Gradient of the two-Gaussians surface at points p (..., 2) -> (..., 2) (many starts at once)."""
    p = np.asarray(p, dtype=np.float64)
    gx, gy = two_gaussians_gradient(p[..., 0], p[..., 1])
    return np.stack([gx, gy], axis=-1)


def gaussians_surface(lo: float = -3.0, hi: float = 3.5, n: int = 141) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(X, Y, Z)`` grids (n, n) of the two-Gaussians surface on [lo, hi]^2, for contour plots."""
    xs = np.linspace(lo, hi, n)
    X, Y = np.meshgrid(xs, xs)
    return X, Y, two_gaussians(X, Y)


def gaussians_minimum(learning_rate: float = 0.1, num_steps: int = 2000) -> np.ndarray:
    """The bottom of the well (2,), found by gradient descent from the first Gaussian's mean (0, 0)."""
    return gradient_descent(gaussians_grad, np.zeros(2), learning_rate, num_steps)[-1]


CONVERGES, CROSSES_HILL, ROLLS_OFF, STALLS, WANDERS = (
    "converges", "crosses the hill", "rolls off the hill", "stalls on the plateau", "wanders")


def classify_paths(paths, minimum, tol: float = 0.05, hill_fraction: float = 0.5,
                   plateau_grad: float = 0.01, stall_distance: float = 0.25) -> np.ndarray:
    """Label gradient-descent paths on the two-Gaussians surface.

    paths: (T, N, 2), as :func:`gradient_descent` returns them for x0 of shape (N, 2);
    minimum: (2,).  Labels, (N,) strings:

    - "converges": ends within ``tol`` of the minimum, starting off the hill;
    - "crosses the hill": ends in the well, starting on the hill (f(start) >= hill_fraction * max f);
    - "rolls off the hill": starts on the hill, ends elsewhere;
    - "stalls on the plateau": |grad f(start)| < plateau_grad and moves less than ``stall_distance``;
    - "wanders": anything else (still moving, far from the well).
    """
    paths = np.asarray(paths, dtype=np.float64)
    start, end = paths[0], paths[-1]
    _, _, Z = gaussians_surface()
    hill = gaussians_f(start) >= hill_fraction * Z.max()
    in_well = np.linalg.norm(end - minimum, axis=-1) < tol
    flat = np.linalg.norm(gaussians_grad(start), axis=-1) < plateau_grad
    still = np.linalg.norm(end - start, axis=-1) < stall_distance
    labels = np.full(len(start), WANDERS, dtype=object)
    labels[flat & still & ~in_well] = STALLS
    labels[hill & ~in_well] = ROLLS_OFF
    labels[in_well & ~hill] = CONVERGES
    labels[in_well & hill] = CROSSES_HILL
    return labels


@dataclass
class DemoStarts:
    """Representative start points found by :func:`find_demo_starts`, one per behaviour."""

    starts: dict           # label -> (2,) start point
    learning_rate: float
    num_steps: int
    minimum: np.ndarray    # (2,)
    counts: dict           # label -> how many grid starts behave that way


def find_demo_starts(learning_rate: float = 0.1, num_steps: int = 200, lo: float = -3.0, hi: float = 3.0,
                     n: int = 25) -> DemoStarts:
    """Descend from every point of an n x n grid at once and pick one start per behaviour.

    converges: the converging start farthest from the minimum (the longest descent);
    crosses the hill: the highest start on the hill that still ends in the well;
    stalls on the plateau: the stalled start that moves least.
    """
    xs = np.linspace(lo, hi, n)
    starts = np.stack(np.meshgrid(xs, xs), axis=-1).reshape(-1, 2)
    paths = gradient_descent(gaussians_grad, starts, learning_rate, num_steps)   # (T, N, 2)
    minimum = gaussians_minimum()
    labels = classify_paths(paths, minimum)
    f0 = gaussians_f(starts)
    moved = np.linalg.norm(paths[-1] - starts, axis=-1)
    pick = {
        CONVERGES: lambda idx: idx[np.argmax(np.linalg.norm(starts[idx] - minimum, axis=-1))],
        CROSSES_HILL: lambda idx: idx[np.argmax(f0[idx])],
        STALLS: lambda idx: idx[np.argmin(moved[idx])],
    }
    chosen = {}
    for label, rule in pick.items():
        idx = np.flatnonzero(labels == label)
        if len(idx):
            chosen[label] = starts[rule(idx)]
    counts = {label: int(np.sum(labels == label)) for label in (CONVERGES, CROSSES_HILL, ROLLS_OFF, STALLS, WANDERS)}
    return DemoStarts(chosen, learning_rate, num_steps, minimum, counts)


def valley_hessian(angle=0.0) -> np.ndarray:
    """The (constant) Hessian (2, 2) of :func:`elongated_valley`: R diag(VALLEY_CURVATURES) R^T."""
    R = _valley_rotation(angle)
    return R @ np.diag(VALLEY_CURVATURES) @ R.T


# --------------------------------------------------------------------------------------------
# Curvature, conditioning and stability of plain gradient descent on a quadratic
# --------------------------------------------------------------------------------------------

@dataclass
class Curvature:
    """What the Hessian H of a quadratic loss says about plain gradient descent on it.

    eigenvalues (ascending, from ``np.linalg.eigvalsh``); condition_number = max / min eigenvalue;
    max_stable_lr = 2 / max eigenvalue (above it the error along the steepest direction is
    multiplied by |1 - lr * max eigenvalue| > 1 each step: divergence); best_lr = 2 / (min + max)
    (the rate that minimises the slowest contraction factor, which is then (kappa - 1) / (kappa + 1)).
    """

    eigenvalues: np.ndarray
    condition_number: float
    max_stable_lr: float
    best_lr: float

    def contraction(self, learning_rate) -> float:
        """The slowest per-step shrink factor of the error, max_i |1 - lr * lambda_i| (>= 1: no convergence)."""
        return float(np.max(np.abs(1.0 - learning_rate * self.eigenvalues)))

    def steps_to_shrink(self, factor, learning_rate) -> float:
        """Steps for the slowest error component to shrink ``factor``-fold at ``learning_rate`` (inf if never)."""
        q = self.contraction(learning_rate)
        return float("inf") if q >= 1 else float(np.log(factor) / -np.log(q))


def curvature(hessian) -> Curvature:
    """:class:`Curvature` of a symmetric positive-definite Hessian (d, d)."""
    H = as_float_array(hessian, "hessian", ndim=2)
    if H.shape[0] != H.shape[1] or not np.allclose(H, H.T):
        raise ValueError(f"hessian must be a symmetric (d, d) matrix; got shape {H.shape}")
    ev = np.linalg.eigvalsh(H)
    if ev[0] <= 0:
        raise ValueError(f"hessian must be positive definite; its smallest eigenvalue is {ev[0]:.3g}")
    return Curvature(eigenvalues=ev, condition_number=float(ev[-1] / ev[0]), max_stable_lr=float(2 / ev[-1]),
                     best_lr=float(2 / (ev[0] + ev[-1])))


def _with_bias(x):
    x = as_float_array(x, "x", ndim=2, shape_hint="(n, d)").astype(np.float64)
    return np.hstack([x, np.ones((len(x), 1))])


def linear_mse_hessian(x) -> np.ndarray:
    """Hessian (d + 1, d + 1) of the mean squared error of a linear neuron p = x @ w + b in (w, b).

    L(w, b) = mean((x @ w + b - y)**2) is quadratic, so its Hessian is constant and independent of
    y: H = (2 / n) X^T X with X = [x, 1] (n, d + 1).  Its eigenvalues set the stable learning
    rates and the speed of gradient descent (:func:`curvature`).
    """
    X = _with_bias(x)
    return 2.0 / len(X) * X.T @ X


def linear_mse_descent(x, y, learning_rate, num_steps):
    """Plain gradient descent on mean((x @ w + b - y)**2) from w = 0, b = 0.

    Returns (path (num_steps + 1, d + 1) of [w, b], loss (num_steps + 1,), optimum (d + 1,) by
    least squares, optimal loss).
    """
    X = _with_bias(x)
    y = as_float_array(y, "y", ndim=1, shape_hint="(n,)").astype(np.float64)
    if len(y) != len(X):
        raise ValueError(f"x and y must have the same number of samples; got {len(X)} and {len(y)}")
    path = gradient_descent(lambda wb: 2.0 / len(X) * X.T @ (X @ wb - y), np.zeros(X.shape[1]),
                            learning_rate, num_steps)
    loss = np.mean((path @ X.T - y) ** 2, axis=1)
    optimum = np.linalg.lstsq(X, y, rcond=None)[0]
    return path, loss, optimum, float(np.mean((X @ optimum - y) ** 2))


# --------------------------------------------------------------------------------------------
# Nesterov's look-ahead form, and Keras's optimizers run on the same problems
# --------------------------------------------------------------------------------------------

def nesterov_lookahead(grad_fn: Callable, x0, learning_rate, momentum, num_steps):
    """Nesterov momentum as usually taught (Sutskever et al., 2013): the gradient at the look-ahead point.

        v_{t+1} = momentum * v_t - learning_rate * grad(w_t + momentum * v_t)
        w_{t+1} = w_t + v_{t+1}

    Returns (w path, v path), each (num_steps + 1,) + x0.shape.  Keras's ``SGD(nesterov=True)``
    stores the look-ahead point w_t + momentum * v_t as its variable instead of w_t (see
    :func:`sgd_update`): the two paths differ by exactly momentum * v_t.
    """
    w = np.array(as_float_array(x0, "x0"), dtype=np.float64, copy=True)
    v = np.zeros_like(w)
    num_steps = check_scalar(num_steps, "num_steps", int, min_val=0)
    ws, vs = [w.copy()], [v.copy()]
    for _ in range(num_steps):
        v = momentum * v - learning_rate * np.asarray(grad_fn(w + momentum * v), dtype=np.float64)
        w = w + v
        ws.append(w.copy())
        vs.append(v.copy())
    return np.array(ws), np.array(vs)


def keras_optimizer(optimizer="sgd", **hyper):
    """The Keras 3 optimizer object that :func:`minimize` reproduces (same names and defaults)."""
    from coursekit.keras_setup import import_keras

    check_option(optimizer, "optimizer", tuple(OPTIMIZERS))
    hp = {**OPTIMIZERS[optimizer], **hyper}
    keras = import_keras()
    if optimizer in ("sgd", "momentum", "nesterov"):
        return keras.optimizers.SGD(nesterov=optimizer == "nesterov", **hp)
    return (keras.optimizers.RMSprop if optimizer == "rmsprop" else keras.optimizers.Adam)(**hp)


def keras_minimize(grad_fn: Callable, x0, optimizer="sgd", num_steps=100, **hyper):
    """Like :func:`minimize`, but each step is Keras's ``optimizer.apply_gradients`` on a float64 variable.

    Returns the trajectory (num_steps + 1,) + x0.shape, to compare with :func:`minimize`.
    """
    from coursekit.keras_setup import import_keras

    keras = import_keras()
    opt = keras_optimizer(optimizer, **hyper)
    var = keras.Variable(np.array(x0, dtype=np.float64), dtype="float64")
    path = [var.numpy().copy()]
    for _ in range(check_scalar(num_steps, "num_steps", int, min_val=0)):
        g = np.asarray(grad_fn(var.numpy().copy()), dtype=np.float64)
        opt.apply_gradients([(keras.ops.convert_to_tensor(g), var)])
        path.append(var.numpy().copy())
    return np.array(path)
