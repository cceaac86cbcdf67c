"""Test functions passed to exercises that take a callable (``f``, ``grad_fn``).

A case cannot hold a Python function (cases are plain data), so it holds a spec
``{"__callable__": family, "grad": bool, **params}``; the student side turns it
into a NumPy function with :func:`numpy_function`, the trusted side into a
TensorFlow function with :func:`tf_function` and differentiates it with a tape.
"""

from __future__ import annotations

import numpy as np


def spec(family: str, grad: bool = False, **params) -> dict:
    return {"__callable__": family, "grad": grad, **params}


def numpy_function(s: dict):
    """The NumPy function (or its gradient when ``s["grad"]``) described by a spec."""
    family = s["__callable__"]
    if family == "quadratic":
        A, b = np.asarray(s["A"], float), np.asarray(s["b"], float)
        f = lambda x: float(0.5 * x @ A @ x + b @ x)  # noqa: E731
        g = lambda x: A @ x + b  # noqa: E731
    elif family == "sin_sum":
        c = np.asarray(s["c"], float)
        f = lambda x: float(np.sum(c * np.sin(x)) + 0.5 * np.sum(x * x))  # noqa: E731
        g = lambda x: c * np.cos(x) + x  # noqa: E731
    elif family == "two_gaussians":
        # the lecture's surface: a well at (1, 1) minus a bump at (-1, -1)
        def f(x):
            return float(-np.exp(-np.sum((x - 1.0) ** 2)) + 0.5 * np.exp(-np.sum((x + 1.0) ** 2) / 2))

        def g(x):
            return 2 * (x - 1.0) * np.exp(-np.sum((x - 1.0) ** 2)) - 0.5 * (x + 1.0) * np.exp(
                -np.sum((x + 1.0) ** 2) / 2
            )
    elif family == "constant":
        f = lambda x: 3.0  # noqa: E731
        g = lambda x: np.zeros_like(x)  # noqa: E731
    else:
        raise ValueError(f"unknown test function {family!r}")
    return g if s.get("grad") else f


def tf_function(s: dict):
    """The same function in TensorFlow (float64), for a tape on the trusted side."""
    from .common import tf

    tf = tf()
    family = s["__callable__"]
    if family == "quadratic":
        A, b = tf.constant(s["A"], tf.float64), tf.constant(s["b"], tf.float64)
        return lambda x: 0.5 * tf.reduce_sum(x * tf.linalg.matvec(A, x)) + tf.reduce_sum(b * x)
    if family == "sin_sum":
        c = tf.constant(s["c"], tf.float64)
        return lambda x: tf.reduce_sum(c * tf.sin(x)) + 0.5 * tf.reduce_sum(x * x)
    if family == "two_gaussians":
        return lambda x: -tf.exp(-tf.reduce_sum((x - 1.0) ** 2)) + 0.5 * tf.exp(-tf.reduce_sum((x + 1.0) ** 2) / 2)
    if family == "constant":
        return lambda x: tf.reduce_sum(x * 0.0) + 3.0
    raise ValueError(f"unknown test function {family!r}")


def tf_gradient(s: dict, x) -> np.ndarray:
    from .common import tf

    tf = tf()
    xv = tf.Variable(np.asarray(x, np.float64))
    with tf.GradientTape() as tape:
        y = tf_function(s)(xv)
    return tape.gradient(y, xv).numpy()


def finite_differences(f, x, h, kind="central"):
    """The numerical gradient of scalar ``f`` at the float64 array ``x``, one coordinate at a time.

    ``"central"``: (f(x + h e_i) - f(x - h e_i)) / 2h, what the contract asks for; ``"forward"``:
    (f(x + h e_i) - f(x)) / h and ``"central_over_h"``: the central difference divided by h, two mistakes.
    """
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        x_plus, x_minus = x.copy(), x.copy()
        x_plus[i] += h
        x_minus[i] -= h
        if kind == "forward":
            g[i] = (f(x_plus) - f(x)) / h
        else:
            g[i] = (f(x_plus) - f(x_minus)) / (h if kind == "central_over_h" else 2 * h)
    return g


def materialize(value):
    """Replace callable specs in a case's arguments by NumPy functions."""
    if isinstance(value, dict) and "__callable__" in value:
        return numpy_function(value)
    if isinstance(value, tuple):
        return tuple(materialize(v) for v in value)
    if isinstance(value, dict):
        return {k: materialize(v) for k, v in value.items()}
    return value


def call_with_functions(func, case):
    return func(*materialize(case.args), **materialize(case.kwargs))
