"""Assignment 2 (gradient descent): numerical gradients, descent, optimizers, mini-batches."""

from __future__ import annotations

import numpy as np

from .common import arg, as_float64, keras, make_case, noncontiguous
from .core import INPUT_MODIFIED, Exercise, Mistake, Verdict, compare, wrong
from .functions import call_with_functions, finite_differences, numpy_function, spec, tf_function, tf_gradient

ASSIGNMENT = "02_gradient_descent"


def _sym(rng, n):
    m = rng.normal(size=(n, n))
    return m @ m.T / n + np.eye(n)


# ----------------------------------------------------------------------------- numerical_gradient


def _numerical_gradient_visible():
    A3 = np.array([[3.0, 1.0, 0.0], [1.0, 2.0, 0.5], [0.0, 0.5, 1.0]])
    return [
        make_case(
            "quadratic in 3-D", spec("quadratic", A=A3, b=np.array([1.0, -1.0, 0.5])), np.array([0.5, -1.0, 2.0])
        ),
        noncontiguous(
            make_case(
                "sin_sum on a (2, 3) matrix",
                spec("sin_sum", c=np.arange(6.0).reshape(2, 3)),
                np.array([[0.1, 0.2, 0.3], [-1.0, 0.0, 2.0]]),
            )
        ),
        make_case(
            "quadratic with h=0.01 (central differences are exact here)",
            spec("quadratic", A=A3, b=np.zeros(3)),
            np.array([1.0, 2.0, 3.0]),
            h=0.01,
        ),
        make_case(
            "float32 x with entries up to 1e3 (compute in float64)",
            spec("sin_sum", c=np.array([1.0, -2.0, 0.5])),
            np.array([0.3, -250.0, 1000.0], np.float32),
        ),
        make_case("a one-element x, h=1e-4 by position", spec("sin_sum", c=np.array([2.0])), np.array([0.7]), 1e-4),
    ]


def _numerical_gradient_hidden(rng):
    scales = 10.0 ** (np.linspace(-3, 3, 4) + rng.uniform(-0.2, 0.2, size=4))
    return [
        make_case(
            "random quadratic in 4-D", spec("quadratic", A=_sym(rng, 4), b=rng.normal(size=4)), rng.normal(size=4)
        ),
        make_case(
            "random sin_sum on (2, 2, 2)", spec("sin_sum", c=rng.normal(size=(2, 2, 2))), rng.normal(size=(2, 2, 2))
        ),
        make_case(
            "random quadratic, h=0.05 by position",
            spec("quadratic", A=_sym(rng, 3), b=rng.normal(size=3)),
            rng.normal(size=3),
            0.05,
        ),
        make_case(
            "random float32 sin_sum on (2, 3), entries up to 1e3",
            spec("sin_sum", c=rng.normal(size=(2, 3))),
            (rng.normal(size=(2, 3)) * np.array([1.0, 30.0, 1e3])).astype(np.float32),
        ),
        make_case(
            "random quadratic, entries of mixed scale (1e-3 to 1e3)",
            spec("quadratic", A=_sym(rng, 4), b=rng.normal(size=4)),
            rng.choice([-1.0, 1.0], size=4) * scales,
        ),
        make_case("one-element x", spec("sin_sum", c=rng.normal(size=1)), rng.normal(size=1), h=1e-4),
        noncontiguous(
            make_case("random sin_sum on (3, 2)", spec("sin_sum", c=rng.normal(size=(3, 2))), rng.normal(size=(3, 2)))
        ),
    ]


def _numerical_gradient_expected(case):
    return tf_gradient(arg(case, 0, "f"), arg(case, 1, "x"))


# A student's correct answers: the mistakes' examples are edits of them (core.wrong).
NUMERICAL_GRADIENT_ANSWER = """def numerical_gradient(f, x, h=1e-5):
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        x_plus, x_minus = x.copy(), x.copy()
        x_plus[i] += h
        x_minus[i] -= h
        grad[i] = (f(x_plus) - f(x_minus)) / (2 * h)
    return grad
"""
NG_COPY = "x = np.array(x, dtype=float)"


def _numerical_gradient_variant(kind):
    def variant(case):
        f, x, h = numpy_function(arg(case, 0, "f")), as_float64(arg(case, 1, "x")), arg(case, 2, "h", 1e-5)
        return finite_differences(f, x, h, kind)

    return variant


def _numerical_gradient_in_x_dtype(case):
    """The answer without the float64 copy: on a float32 x, x + h is rounded to float32 (None on float64 x,
    where that answer is right)."""
    x = np.array(arg(case, 1, "x"))
    if x.dtype == np.float64:
        return None
    return finite_differences(numpy_function(arg(case, 0, "f")), x, arg(case, 2, "h", 1e-5))


_NG_MISTAKES = [
    Mistake(
        message="forward differences (f(x+h) - f(x)) / h: use central differences (f(x+h) - f(x-h)) / (2h)",
        variant=_numerical_gradient_variant("forward"),
        example=wrong(NUMERICAL_GRADIENT_ANSWER, "(f(x_plus) - f(x_minus)) / (2 * h)", "(f(x_plus) - f(x)) / h"),
    ),
    Mistake(
        message="divided by h instead of 2h",
        variant=_numerical_gradient_variant("central_over_h"),
        example=wrong(NUMERICAL_GRADIENT_ANSWER, "/ (2 * h)", "/ h"),
    ),
    Mistake(
        message="computed in float32: x + h is rounded to x's float32 precision; copy x as float64 first "
        "(np.array(x, dtype=np.float64))",
        variant=_numerical_gradient_in_x_dtype,
        example=wrong(NUMERICAL_GRADIENT_ANSWER, NG_COPY, "x = np.array(x)  # keeps x's dtype"),
    ),
    Mistake(
        # Perturbs the caller's x and "restores" it by arithmetic: x + h - 2h + h is not x in floating point.
        message=INPUT_MODIFIED,
        example="""def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        x[i] += h
        f_plus = f(x)
        x[i] -= 2 * h
        f_minus = f(x)
        x[i] += h  # back to where it was (not bit for bit)
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad
""",
    ),
]


# ----------------------------------------------------------------------------- gradient_descent


def _descent_visible():
    valley = np.array([[1.0, 0.0], [0.0, 10.0]])
    return [
        make_case(
            "elongated valley, lr 0.05, 5 steps",
            spec("quadratic", grad=True, A=valley, b=np.zeros(2)),
            np.array([2.0, 1.0]),
            0.05,
            5,
        ),
        make_case(
            "the lecture's two Gaussians, lr 0.5, 10 steps",
            spec("two_gaussians", grad=True),
            np.array([0.2, 0.6]),
            0.5,
            10,
        ),
        noncontiguous(
            make_case(
                "a (2, 2) parameter matrix, 3 steps",
                spec("sin_sum", grad=True, c=np.array([[1.0, -1.0], [0.5, 2.0]])),
                np.array([[0.5, 0.5], [-0.5, 1.0]]),
                learning_rate=0.1,
                num_steps=3,
            )
        ),
        make_case(
            "float32 x0 with entries up to 1e3, 2 steps",
            spec("sin_sum", grad=True, c=np.array([1.0, 2.0, -1.0])),
            np.array([1000.0, -3.0, 0.25], np.float32),
            0.1,
            2,
        ),
        make_case(
            "num_steps=0: just x0 (one row), a one-element x0",
            spec("sin_sum", grad=True, c=np.array([1.0])),
            np.array([0.5]),
            0.1,
            0,
        ),
    ]


def _descent_hidden(rng):
    return [
        make_case(
            "random quadratic, 7 steps",
            spec("quadratic", grad=True, A=_sym(rng, 3), b=rng.normal(size=3)),
            rng.normal(size=3),
            0.1,
            7,
        ),
        make_case(
            "num_steps=0: just x0", spec("sin_sum", grad=True, c=rng.normal(size=(2,))), rng.normal(size=2), 0.1, 0
        ),
        make_case(
            "random sin_sum on (3, 2), 4 steps",
            spec("sin_sum", grad=True, c=rng.normal(size=(3, 2))),
            rng.normal(size=(3, 2)),
            learning_rate=0.2,
            num_steps=4,
        ),
        make_case(
            "float32 x0 of mixed scale (up to 1e3), 5 steps",
            spec("sin_sum", grad=True, c=rng.normal(size=(4,))),
            (rng.choice([-1.0, 1.0], size=4) * 10.0 ** (np.arange(-1.0, 3.0) + rng.uniform(0, 0.5, size=4))).astype(
                np.float32
            ),
            0.3,
            5,
        ),
        make_case(
            "one-element x0, 3 steps",
            spec("quadratic", grad=True, A=np.array([[rng.uniform(0.5, 3)]]), b=rng.normal(size=1)),
            rng.normal(size=1),
            0.2,
            3,
        ),
        noncontiguous(
            make_case(
                "random sin_sum on (2, 3), 3 steps",
                spec("sin_sum", grad=True, c=rng.normal(size=(2, 3))),
                rng.normal(size=(2, 3)),
                0.1,
                3,
            )
        ),
    ]


def _descent_args(case):
    return (
        arg(case, 0, "grad_fn"),
        as_float64(arg(case, 1, "x0")),
        float(arg(case, 2, "learning_rate")),
        int(arg(case, 3, "num_steps")),
    )


def _descent_expected(case):
    """The trajectory of keras.optimizers.SGD(learning_rate) on a variable, gradients by tape."""
    from .common import tf

    tf = tf()
    s, x0, lr, n = _descent_args(case)
    f = tf_function({**s, "grad": False})
    var = keras().Variable(x0, dtype="float64")
    opt = keras().optimizers.SGD(learning_rate=lr)
    rows = [x0.copy()]
    for _ in range(n):
        with tf.GradientTape() as tape:
            y = f(var.value)
        opt.apply_gradients([(tape.gradient(y, var.value), var)])
        rows.append(np.asarray(var.numpy(), np.float64))
    return np.stack(rows)


def _descent_numpy(case, sign=-1.0):
    s, x0, lr, n = _descent_args(case)
    g = numpy_function(s)
    rows = [x0]
    for _ in range(n):
        rows.append(rows[-1] + sign * lr * g(rows[-1]))
    return np.stack(rows)


GRADIENT_DESCENT_ANSWER = """def gradient_descent(grad_fn, x0, learning_rate, num_steps):
    x = np.array(x0, dtype=float)
    path = [x]
    for _ in range(num_steps):
        x = x - learning_rate * grad_fn(x)
        path.append(x)
    return np.stack(path)
"""
_GD_MISTAKES = [
    Mistake(
        message="x0 is missing: the trajectory starts with x0 and has num_steps + 1 rows",
        variant=lambda c: _descent_numpy(c)[1:],
        example=wrong(GRADIENT_DESCENT_ANSWER, "path = [x]", "path = []  # x0 not recorded"),
    ),
    Mistake(
        message="every row is the last point: the same array was updated in place and appended each step "
        "(append a copy, or use x = x - lr * g)",
        variant=lambda c: np.repeat(_descent_numpy(c)[-1:], len(_descent_numpy(c)), axis=0),
        example=wrong(
            GRADIENT_DESCENT_ANSWER,
            "x = x - learning_rate * grad_fn(x)",
            "x -= learning_rate * grad_fn(x)  # updates the array already in the list",
        ),
    ),
    Mistake(
        message="gradient ascent: step against the gradient, x - learning_rate * grad",
        variant=lambda c: _descent_numpy(c, +1.0),
        example=wrong(GRADIENT_DESCENT_ANSWER, "x = x - learning_rate", "x = x + learning_rate"),
    ),
    Mistake(
        message=INPUT_MODIFIED,  # steps the caller's x0 itself
        example="""def gradient_descent(grad_fn, x0, learning_rate, num_steps):
    x = x0
    path = [x0.copy()]
    for _ in range(num_steps):
        x -= learning_rate * grad_fn(x)
        path.append(x.copy())
    return np.stack(path)
""",
    ),
]


# ----------------------------------------------------------------------------- optimizers


def _steps(rng, shape, n, scale=1.0):
    return rng.normal(size=(n,) + shape) * scale


def _opt_case(label, w, grads, state, hyper, t0=None):
    """``grads`` holds one gradient per step; the student's function is called once per step with the state
    it returned the step before (``state`` is the state before the first step, in Keras's convention).
    ``t0`` (Adam) is the step number of the first call (default 1)."""
    extra = {} if t0 is None else {"t0": int(t0)}
    return make_case(label, w=w, grads=grads, state=state, hyper=hyper, **extra)


def _t0(case):
    return int(case.kwargs.get("t0", 1))


def _run_optimizer(kind):
    """Student side: feed the student's own returned state back in, step after step."""

    def call(func, case):
        w = case.kwargs["w"]
        state = list(case.kwargs["state"])
        hyper = case.kwargs["hyper"]
        ws, states = [], []
        for t, g in enumerate(case.kwargs["grads"], start=_t0(case)):
            out = func(w, g, *state, t, **hyper) if kind == "adam" else func(w, g, *state, **hyper)
            if not isinstance(out, (tuple, list)) or len(out) != 1 + len(state):
                raise TypeError(
                    f"must return a tuple of {1 + len(state)} arrays; got {type(out).__name__}"
                    + (f" of length {len(out)}" if isinstance(out, (tuple, list)) else "")
                )
            w, state = out[0], list(out[1:])
            ws.append(np.array(w, dtype=np.float64))
            states.append([np.array(s, dtype=np.float64) for s in state])
        return (np.stack(ws),) + tuple(np.stack([s[i] for s in states]) for i in range(len(state)))

    return call


def _keras_optimizer(kind):
    """Trusted side: the same steps with the Keras optimizer; its slot variables are the state (set to the
    case's initial state, and ``iterations`` to ``t0 - 1`` for Adam, before the first step)."""

    def expected(case):
        k = keras()
        w0, grads, hyper = as_float64(case.kwargs["w"]), as_float64(case.kwargs["grads"]), dict(case.kwargs["hyper"])
        state0 = [as_float64(s) for s in case.kwargs["state"]]
        var = k.Variable(w0, dtype="float64")
        if kind == "sgd":
            opt = k.optimizers.SGD(**hyper)
        elif kind == "rmsprop":
            opt = k.optimizers.RMSprop(**hyper)
        else:
            opt = k.optimizers.Adam(**hyper)
        opt.build([var])
        if kind == "sgd" and hyper.get("momentum", 0.0):
            opt.momentums[0].assign(state0[0])
        elif kind == "rmsprop":
            opt._velocities[0].assign(state0[0])
        elif kind == "adam":
            opt._momentums[0].assign(state0[0])
            opt._velocities[0].assign(state0[1])
            opt.iterations.assign(_t0(case) - 1)
        ws, slots = [], []
        for g in grads:
            opt.apply_gradients([(g, var)])
            ws.append(var.numpy().astype(np.float64))
            if kind == "sgd":
                slots.append([opt.momentums[0].numpy()] if hyper.get("momentum", 0.0) else [None])
            elif kind == "rmsprop":
                slots.append([opt._velocities[0].numpy()])
            else:
                slots.append([opt._momentums[0].numpy(), opt._velocities[0].numpy()])
        state = tuple(None if slots[0][i] is None else np.stack([s[i] for s in slots]) for i in range(len(slots[0])))
        return (np.stack(ws),) + state

    return expected


def _np_optimizer(kind, mistake):
    """NumPy versions of known wrong update rules (each the registered example's code), run the same way as
    the student's: from the case's initial state, feeding the returned state back in."""

    def variant(case):
        w, grads, hyper = as_float64(case.kwargs["w"]), as_float64(case.kwargs["grads"]), dict(case.kwargs["hyper"])
        state = [as_float64(s) for s in case.kwargs["state"]]
        ws, sts = [], []
        for t, g in enumerate(grads, start=_t0(case)):
            if kind == "sgd":
                lr, mu, nest = hyper["learning_rate"], hyper.get("momentum", 0.0), hyper.get("nesterov", False)
                v = state[0]
                if mistake == "ema":
                    v = mu * v + (1 - mu) * g
                    w = w - lr * v
                elif mistake == "plus":  # v = mu v + lr g; w -= v : same w, velocity of opposite sign
                    v = mu * v + lr * g
                    w = w - (mu * v + lr * g if nest else v)
                elif mistake == "no_nesterov":
                    v = mu * v - lr * g
                    w = w + v
                state = [v]
            elif kind == "rmsprop":
                lr, rho, eps = hyper.get("learning_rate", 0.001), hyper.get("rho", 0.9), hyper.get("epsilon", 1e-7)
                v = state[0]
                if mistake == "eps_outside":
                    v = rho * v + (1 - rho) * g * g
                    w = w - lr * g / (np.sqrt(v) + eps)
                elif mistake == "rho_swapped":
                    v = (1 - rho) * v + rho * g * g
                    w = w - lr * g / np.sqrt(v + eps)
                state = [v]
            else:
                lr, b1, b2, eps = (
                    hyper.get("learning_rate", 0.001),
                    hyper.get("beta_1", 0.9),
                    hyper.get("beta_2", 0.999),
                    hyper.get("epsilon", 1e-7),
                )
                m, v = state
                m = b1 * m + (1 - b1) * g
                v = b2 * v + (1 - b2) * g * g
                if mistake == "no_bias_correction":
                    w = w - lr * m / (np.sqrt(v) + eps)
                elif mistake in ("t_plus_one", "t_minus_one"):
                    tt = t + 1 if mistake == "t_plus_one" else t - 1
                    w = w - lr * np.sqrt(1 - b2**tt) / (1 - b1**tt) * m / (np.sqrt(v) + eps)
                elif mistake == "textbook_eps":
                    w = w - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
                state = [m, v]
            ws.append(w)
            sts.append(state)
        return (np.stack(ws),) + tuple(np.stack([s[i] for s in sts]) for i in range(len(state)))

    return variant


def _first_only(variant, applies=lambda case: True):
    """Compare only the weights (a wrong rule may share Keras's state convention or not).  On cases where
    the mistake makes no difference (``applies`` false) it explains nothing: None."""

    def v(case):
        if not applies(case):
            return None
        out = variant(case)
        return (out[0],) + (None,) * (len(out) - 1)

    return v


def _momentum(case):
    return bool(case.kwargs["hyper"].get("momentum", 0.0))


def _nesterov(case):
    return _momentum(case) and bool(case.kwargs["hyper"].get("nesterov", False))


def _adam_t_minus_one(case, out):
    """t - 1: inf/NaN when the first step is t = 1 (1 - beta**0 = 0); from a later t0, that variant's values."""
    if _t0(case) == 1:
        return _nonfinite_first(case, out)
    try:
        return not compare(out, _first_only(_np_optimizer("adam", "t_minus_one"))(case))
    except Exception:
        return False


# Shared by the three optimizers: w and gradients of one shape, 3 visible steps.
_W = np.array([1.0, -2.0, 0.5])
_G = np.array([[0.5, -1.0, 2.0], [0.1, 0.3, -0.2], [-1.0, 0.0, 0.4]])


def _mixed_grads(rng, shape, n):
    """Gradients whose coordinates differ in scale by 1e7: column j scaled by 10**(3 - 7 j / (k - 1))."""
    k = shape[-1]
    scales = 10.0 ** (3 - 7 * np.arange(k) / max(k - 1, 1))
    return _steps(rng, shape, n) * scales


def _sgd_visible():
    v0 = np.zeros(3)
    return [
        _opt_case("plain SGD, 3 steps", _W, _G, [v0], {"learning_rate": 0.1}),
        _opt_case("momentum 0.9, 3 steps", _W, _G, [v0], {"learning_rate": 0.1, "momentum": 0.9}),
        noncontiguous(
            _opt_case(
                "Nesterov momentum 0.9, 3 steps",
                _W,
                _G,
                [v0],
                {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True},
            )
        ),
        _opt_case(
            "momentum 0.5 from a velocity of an earlier step, float32 (2, 2)",
            np.array([[1.0, -2.0], [0.5, 3.0]], np.float32),
            np.array([[[0.5, -1.0], [2.0, 0.1]], [[0.3, -0.2], [-1.0, 0.4]]], np.float32),
            [np.array([[0.1, -0.2], [0.0, 0.3]], np.float32)],
            {"learning_rate": 0.05, "momentum": 0.5},
        ),
        _opt_case(
            "nesterov=True with momentum 0 (plain SGD), one weight",
            np.array([2.0]),
            np.array([[1.0], [-3.0]]),
            [np.zeros(1)],
            {"learning_rate": 0.1, "momentum": 0.0, "nesterov": True},
        ),
    ]


def _sgd_hidden(rng):
    w, g = rng.normal(size=(2, 3)), _steps(rng, (2, 3), 6)
    v0 = 0.1 * rng.normal(size=(2, 3))
    return [
        _opt_case("random momentum 0.8, 6 steps", w, g, [np.zeros((2, 3))], {"learning_rate": 0.05, "momentum": 0.8}),
        _opt_case(
            "random Nesterov 0.5, 6 steps",
            w,
            g,
            [np.zeros((2, 3))],
            {"learning_rate": 0.2, "momentum": 0.5, "nesterov": True},
        ),
        _opt_case(
            "random float32 weights, momentum 0.9, from a nonzero velocity",
            w.astype(np.float32),
            g.astype(np.float32),
            [v0.astype(np.float32)],
            {"learning_rate": 0.01, "momentum": 0.9},
        ),
        _opt_case(
            "plain SGD, weights and gradients up to 1e3",
            1e3 * rng.normal(size=(3,)),
            _steps(rng, (3,), 4, 1e3),
            [np.zeros(3)],
            {"learning_rate": 0.01},
        ),
        _opt_case(
            "nesterov=True with momentum 0, one weight",
            rng.normal(size=(1,)),
            _steps(rng, (1,), 3),
            [np.zeros(1)],
            {"learning_rate": 0.1, "momentum": 0.0, "nesterov": True},
        ),
        noncontiguous(
            _opt_case(
                "Nesterov 0.9 from a nonzero velocity, gradients of mixed scale (1e3 to 1e-4)",
                rng.normal(size=(2, 4)),
                _mixed_grads(rng, (2, 4), 4) * 1e-3,
                [v0[:, :2].repeat(2, axis=1)],
                {"learning_rate": 0.01, "momentum": 0.9, "nesterov": True},
            )
        ),
    ]


def _rmsprop_visible():
    return [
        _opt_case("defaults, 3 steps", _W, _G, [np.zeros(3)], {}),
        _opt_case("lr 0.01, rho 0.8, 3 steps", _W, _G, [np.zeros(3)], {"learning_rate": 0.01, "rho": 0.8}),
        noncontiguous(
            _opt_case("tiny gradients (epsilon matters)", _W, _G * 1e-4, [np.zeros(3)], {"learning_rate": 0.01})
        ),
        _opt_case(
            "float32 (2, 2) from a velocity of an earlier step, epsilon 1e-3",
            np.array([[1.0, -2.0], [0.5, 3.0]], np.float32),
            np.array([[[0.5, -1.0], [2.0, 0.1]], [[0.3, -0.2], [-1.0, 0.4]]], np.float32),
            [np.array([[0.1, 0.2], [0.0, 0.3]], np.float32)],
            {"learning_rate": 0.01, "epsilon": 1e-3},
        ),
    ]


def _rmsprop_hidden(rng):
    w, g = rng.normal(size=(4,)), _steps(rng, (4,), 5)
    return [
        _opt_case("random, 5 steps", w, g, [np.zeros(4)], {"learning_rate": 0.02, "rho": 0.95}),
        _opt_case("random tiny gradients, 5 steps", w, g * 3e-4, [np.zeros(4)], {"learning_rate": 0.01}),
        _opt_case("random, epsilon 1e-3", w, g, [np.zeros(4)], {"learning_rate": 0.01, "epsilon": 1e-3}),
        _opt_case(
            "float32, gradients of mixed scale (1e3 to 1e-4), from a nonzero velocity",
            w.astype(np.float32),
            _mixed_grads(rng, (4,), 4).astype(np.float32),
            [(rng.uniform(0.5, 2, size=4) * 10.0 ** (6 - 14 * np.arange(4) / 3)).astype(np.float32)],
            {"learning_rate": 0.01},
        ),
        _opt_case(
            "weights and gradients up to 1e3",
            1e3 * rng.normal(size=(2, 3)),
            _steps(rng, (2, 3), 4, 1e3),
            [np.zeros((2, 3))],
            {"learning_rate": 0.1, "rho": 0.8},
        ),
        noncontiguous(
            _opt_case(
                "one weight, tiny gradients, epsilon 1e-6",
                rng.normal(size=(1, 1)),
                _steps(rng, (1, 1), 3, 1e-4),
                [np.zeros((1, 1))],
                {"learning_rate": 0.01, "epsilon": 1e-6},
            )
        ),
    ]


def _adam_visible():
    z = [np.zeros(3), np.zeros(3)]
    return [
        _opt_case("defaults, 3 steps (t = 1, 2, 3)", _W, _G, z, {}),
        noncontiguous(
            _opt_case(
                "lr 0.1, beta_1 0.5, beta_2 0.9, 3 steps",
                _W,
                _G,
                z,
                {"learning_rate": 0.1, "beta_1": 0.5, "beta_2": 0.9},
            )
        ),
        _opt_case("tiny gradients (epsilon placement matters)", _W, _G * 1e-5, z, {"learning_rate": 0.01}),
        _opt_case(
            "float32 (2, 2), steps t = 100, 101 from the state of step 99",
            np.array([[1.0, -2.0], [0.5, 3.0]], np.float32),
            np.array([[[0.5, -1.0], [2.0, 0.1]], [[0.3, -0.2], [-1.0, 0.4]]], np.float32),
            [np.array([[0.1, -0.2], [0.0, 0.3]], np.float32), np.array([[0.04, 0.1], [0.01, 0.2]], np.float32)],
            {"learning_rate": 0.01},
            t0=100,
        ),
    ]


def _adam_hidden(rng):
    w, g = rng.normal(size=(2, 2)), _steps(rng, (2, 2), 8)
    z = [np.zeros((2, 2)), np.zeros((2, 2))]
    m0 = 0.1 * rng.normal(size=(2, 3))
    v0 = m0**2 + 0.01 * rng.uniform(size=(2, 3))
    return [
        _opt_case("random, 8 steps", w, g, z, {"learning_rate": 0.01}),
        _opt_case("random, beta_2 0.9, 8 steps", w, g, z, {"learning_rate": 0.05, "beta_2": 0.9}),
        _opt_case("random tiny gradients", w, g * 1e-5, z, {"learning_rate": 0.001}),
        _opt_case(
            f"steps from t = {(t0 := int(rng.integers(500, 3000)))} on, from a nonzero state",
            rng.normal(size=(2, 3)),
            _steps(rng, (2, 3), 3),
            [m0, v0],
            {"learning_rate": 0.01},
            t0=t0,
        ),
        _opt_case(
            "float32, gradients of mixed scale (1e3 to 1e-4), t = 1, 2, 3, 4",
            w.reshape(-1).astype(np.float32),
            _mixed_grads(rng, (4,), 4).astype(np.float32),
            [np.zeros(4, np.float32), np.zeros(4, np.float32)],
            {"learning_rate": 0.01},
        ),
        noncontiguous(
            _opt_case(
                "weights and gradients up to 1e3, steps from t = 10, one row",
                1e3 * rng.normal(size=(1, 3)),
                _steps(rng, (1, 3), 3, 1e3),
                [1e2 * rng.normal(size=(1, 3)), 1e6 * rng.uniform(0.5, 2, size=(1, 3))],
                {"learning_rate": 0.5, "beta_1": 0.8},
                t0=10,
            )
        ),
    ]


def _nonfinite_first(case, out):
    return isinstance(out, (tuple, list)) and not np.all(np.isfinite(np.asarray(out[0], float)))


# ----------------------------------------------------------------------------- mini-batches


def _minibatch_data(n, y_cols, rng=None, dtype=np.float64):
    rng = rng or np.random.default_rng(7)
    x = np.column_stack([np.arange(n, dtype=np.float64), rng.normal(size=(n, 2))])  # column 0 = sample id
    y = (
        (1000 + np.arange(n, dtype=np.float64))
        if y_cols == 0
        else np.column_stack([1000 + np.arange(n)] * y_cols).astype(float)
    )
    return x.astype(dtype), y.astype(dtype)


def _minibatch_visible():
    x, y = _minibatch_data(10, 0)
    x2, y2 = _minibatch_data(23, 2)
    return [
        make_case("10 samples, batch 4, no shuffle", x, y, 4, shuffle=False),
        noncontiguous(make_case("23 samples, batch 5, shuffled with seed 0", x2, y2, 5, shuffle=True, seed=0)),
        make_case("10 samples, batch 10 (one batch)", x, y, 10, False),
        make_case(
            "7 samples, batch 10 (larger than the data: one short batch), seed 3", *_minibatch_data(7, 1), 10, True, 3
        ),
        make_case("12 float32 samples, batch 1, seed 2", *_minibatch_data(12, 0, dtype=np.float32), 1, seed=2),
        make_case("12 samples, batch 5, shuffled without a seed (any order)", *_minibatch_data(12, 2), 5),
    ]


def _minibatch_hidden(rng):
    n1, n2 = int(rng.integers(21, 40)), int(rng.integers(11, 30))
    b1 = int(rng.choice([b for b in range(3, 9) if n1 % b]))
    n3 = int(rng.integers(4, 8)) * 3
    return [
        make_case(
            f"{n1} samples, batch {b1}, shuffled", *_minibatch_data(n1, 1, rng), b1, seed=int(rng.integers(1000))
        ),
        make_case(f"{n2} samples, batch 4, no shuffle", *_minibatch_data(n2, 0, rng), 4, shuffle=False),
        make_case(
            f"{n1} samples, batch {n1 + 3} (larger than the data)",
            *_minibatch_data(n1, 0, rng),
            n1 + 3,
            True,
            int(rng.integers(1000)),
        ),
        make_case(
            f"{n2} float32 samples, batch 1, shuffled",
            *_minibatch_data(n2, 2, rng, np.float32),
            1,
            seed=int(rng.integers(1000)),
        ),
        make_case(f"{n1} samples, batch {b1}, shuffled without a seed", *_minibatch_data(n1, 0, rng), b1),
        make_case("one sample, batch 3", *_minibatch_data(1, 1, rng), 3, True, int(rng.integers(1000))),
        noncontiguous(
            make_case(f"{n3} samples, batch 3, shuffled", *_minibatch_data(n3, 0, rng), 3, seed=int(rng.integers(1000)))
        ),
    ]


def _minibatch_call(func, case):
    batches = [(np.array(xb), np.array(yb)) for xb, yb in func(*case.args, **case.kwargs)]
    again = None
    if arg(case, 4, "seed") is not None:
        again = [(np.array(xb), np.array(yb)) for xb, yb in func(*case.args, **case.kwargs)]
    return {
        "batches": batches,
        "same_with_same_seed": again is None
        or (len(again) == len(batches) and all(np.array_equal(a[0], b[0]) for a, b in zip(again, batches))),
    }


# What _minibatch_judge says about a wrong iterator (there is no single right output to compare with).
LAST_BATCH_DROPPED = "last mini-batch dropped: keep the final short batch"
TWO_PERMUTATIONS = "x and y were shuffled with different permutations: index both with one permutation"
SHUFFLE_IGNORED = "shuffle ignored"
SEED_NOT_USED = "seed not used: build np.random.default_rng(seed) inside the function"
OTHER_SHUFFLE = (
    "shuffled in another order than the contract's: the order must be np.random.default_rng(seed).permutation(len(x))"
)


def _minibatch_judge(case, out, expected):
    x, y, bs = as_float64(case.args[0]), as_float64(case.args[1]), int(case.args[2])
    shuffle, seed = arg(case, 3, "shuffle", True), arg(case, 4, "seed")
    n = len(x)
    batches = out.get("batches") if isinstance(out, dict) else None
    if not batches:
        return Verdict(False, ["yielded no batches"], [LAST_BATCH_DROPPED] if bs > n else [])
    ids, sizes = [], []
    for i, pair in enumerate(batches):
        xb, yb = (np.asarray(p, float) for p in pair)
        if xb.ndim != 2 or xb.shape[1:] != x.shape[1:] or len(yb) != len(xb):
            return Verdict(
                False, [f"batch {i}: x_batch {xb.shape} and y_batch {yb.shape} do not fit x {x.shape}, y {y.shape}"]
            )
        rows = xb[:, 0].astype(int)
        ids += rows.tolist()
        sizes.append(len(xb))
        if not np.array_equal(yb, y[rows]):
            return Verdict(False, [f"batch {i}: y_batch does not belong to x_batch"], [TWO_PERMUTATIONS])
    problems, diagnoses = [], []
    want_sizes = [bs] * (n // bs) + ([n % bs] if n % bs else [])
    if sorted(ids) != list(range(n)):
        missing = n - len(set(ids))
        problems.append(f"{len(ids)} samples yielded ({len(set(ids))} distinct) of {n}")
        if len(ids) == len(set(ids)) and missing == n % bs:
            diagnoses.append(LAST_BATCH_DROPPED)
        elif len(ids) != len(set(ids)):
            diagnoses.append("samples repeated: draw a permutation (sampling without replacement)")
    elif sizes != want_sizes:
        problems.append(f"batch sizes {sizes}, expected {want_sizes}")
    if not problems:
        in_order = ids == list(range(n))
        if not shuffle and not in_order:
            problems.append("shuffle=False but the samples are not in their original order")
        elif shuffle and seed is not None:
            want = np.random.default_rng(seed).permutation(n).tolist()
            if ids != want:
                first = next(i for i, (a, b) in enumerate(zip(ids, want)) if a != b)
                problems.append(
                    f"order differs from np.random.default_rng({seed}).permutation({n}) from position {first} "
                    f"(sample {ids[first]}, expected {want[first]})"
                )
                if in_order:
                    diagnoses.append(SHUFFLE_IGNORED)
                elif not out.get("same_with_same_seed", True):
                    problems.append("two passes with the same seed gave different orders")
                    diagnoses.append(SEED_NOT_USED)
                else:
                    diagnoses.append(OTHER_SHUFFLE)
        elif shuffle and in_order and n > 8:
            problems.append("shuffle=True but the samples came out in their original order")
            diagnoses.append(SHUFFLE_IGNORED)
    return Verdict(not problems, problems, diagnoses)


# ----------------------------------------------------------------------------- registry


ADAM_UPDATE_ANSWER = """def adam_update(w, grad, m, v, t, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    m = beta_1 * m + (1 - beta_1) * grad
    v = beta_2 * v + (1 - beta_2) * grad ** 2
    alpha = learning_rate * np.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
    return w - alpha * m / (np.sqrt(v) + epsilon), m, v
"""
ADAM_STEP = "alpha = learning_rate * np.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)"


def exercises() -> list[Exercise]:
    sgd_m = [
        Mistake(
            message="a momentum formula other than Keras's (v = momentum * v + (1 - momentum) * g is the "
            "EMA form); Keras: velocity = momentum * velocity - learning_rate * grad",
            variant=_first_only(_np_optimizer("sgd", "ema"), _momentum),
            example="""def sgd_update(w, grad, velocity, learning_rate, momentum=0.0, nesterov=False):
    velocity = momentum * velocity + (1 - momentum) * grad
    return w - learning_rate * velocity, velocity
""",
        ),
        Mistake(
            message="the new w is right but the returned velocity has the opposite sign: Keras (and the "
            "contract) keep velocity = momentum * velocity - learning_rate * grad and w = w + velocity",
            variant=_np_optimizer("sgd", "plus"),
            example="""def sgd_update(w, grad, velocity, learning_rate, momentum=0.0, nesterov=False):
    velocity = momentum * velocity + learning_rate * grad
    if nesterov:
        return w - (momentum * velocity + learning_rate * grad), velocity
    return w - velocity, velocity
""",
        ),
        Mistake(
            message="nesterov ignored: with nesterov=True, w = w + momentum * velocity - learning_rate * grad",
            variant=_first_only(_np_optimizer("sgd", "no_nesterov"), _nesterov),
            example="""def sgd_update(w, grad, velocity, learning_rate, momentum=0.0, nesterov=False):
    velocity = momentum * velocity - learning_rate * grad
    return w + velocity, velocity
""",
        ),
    ]
    rms_m = [
        Mistake(
            message="epsilon added outside the square root: Keras divides by sqrt(velocity + epsilon)",
            variant=_first_only(_np_optimizer("rmsprop", "eps_outside")),
            example="""def rmsprop_update(w, grad, velocity, learning_rate=0.001, rho=0.9, epsilon=1e-7):
    velocity = rho * velocity + (1 - rho) * grad ** 2
    return w - learning_rate * grad / (np.sqrt(velocity) + epsilon), velocity
""",
        ),
        Mistake(
            message="rho and 1 - rho swapped: velocity = rho * velocity + (1 - rho) * grad**2",
            variant=_first_only(_np_optimizer("rmsprop", "rho_swapped")),
            example="""def rmsprop_update(w, grad, velocity, learning_rate=0.001, rho=0.9, epsilon=1e-7):
    velocity = (1 - rho) * velocity + rho * grad ** 2
    return w - learning_rate * grad / np.sqrt(velocity + epsilon), velocity
""",
        ),
    ]
    adam_m = [
        Mistake(
            message="Adam without bias correction: "
            "step = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t) * m / (sqrt(v) + eps)",
            variant=_first_only(_np_optimizer("adam", "no_bias_correction")),
            example=wrong(ADAM_UPDATE_ANSWER, ADAM_STEP, "alpha = learning_rate  # no bias correction"),
        ),
        Mistake(
            message="t + 1 used in the bias correction: t is already the 1-based step (the first call has t = 1)",
            variant=_first_only(_np_optimizer("adam", "t_plus_one")),
            example=wrong(ADAM_UPDATE_ANSWER, ADAM_STEP, 't = t + 1  # "the first step is t = 1"\n    ' + ADAM_STEP),
        ),
        Mistake(
            message="t - 1 used in the bias correction (at t = 1, 1 - beta**0 = 0 gives inf/NaN): t is the "
            "1-based step as given",
            test=_adam_t_minus_one,
            example=wrong(ADAM_UPDATE_ANSWER, ADAM_STEP, "t = t - 1  # counting steps from 0\n    " + ADAM_STEP),
        ),
        Mistake(
            message="textbook epsilon placement m_hat / (sqrt(v_hat) + eps): Keras adds eps to sqrt(v) before "
            "the bias correction factor, as in the contract's formula",
            variant=_first_only(_np_optimizer("adam", "textbook_eps")),
            example=wrong(
                ADAM_UPDATE_ANSWER,
                ADAM_STEP + "\n    return w - alpha * m / (np.sqrt(v) + epsilon), m, v",
                "m_hat, v_hat = m / (1 - beta_1 ** t), v / (1 - beta_2 ** t)\n"
                "    return w - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon), m, v",
            ),
        ),
    ]
    return [
        Exercise(
            name="numerical_gradient",
            assignment=ASSIGNMENT,
            points=2,
            matches="central differences `(f(x + h e_i) - f(x - h e_i)) / (2h)` of scalar `f`, computed in float64 "
            "(`x` may be float32); a float64 array of `x`'s shape; `x` left bit for bit unchanged",
            visible=_numerical_gradient_visible,
            hidden=_numerical_gradient_hidden,
            expected=_numerical_gradient_expected,
            mistakes=_NG_MISTAKES,
            answer=NUMERICAL_GRADIENT_ANSWER,
            call=call_with_functions,
        ),
        Exercise(
            name="gradient_descent",
            assignment=ASSIGNMENT,
            points=2,
            matches="the trajectory, shape `(num_steps + 1,) + x0.shape`, first row `x0`",
            visible=_descent_visible,
            hidden=_descent_hidden,
            expected=_descent_expected,
            mistakes=_GD_MISTAKES,
            answer=GRADIENT_DESCENT_ANSWER,
            call=call_with_functions,
        ),
        Exercise(
            name="sgd_update",
            assignment=ASSIGNMENT,
            points=2,
            matches="returns `(new_w, new_velocity)`; Keras's convention `velocity = momentum * velocity - "
            "learning_rate * grad`; after every step, the weights and velocity equal those of "
            "`keras.optimizers.SGD(learning_rate, momentum, nesterov)` on a variable (its momentum slot; the velocity "
            "is not checked when momentum = 0)",
            visible=_sgd_visible,
            hidden=_sgd_hidden,
            expected=_keras_optimizer("sgd"),
            mistakes=sgd_m,
            parts=("w", "velocity"),
            call=_run_optimizer("sgd"),
        ),
        Exercise(
            name="rmsprop_update",
            assignment=ASSIGNMENT,
            points=2,
            matches="returns `(new_w, new_velocity)`; equals `keras.optimizers.RMSprop(learning_rate, rho, "
            "epsilon=epsilon)` (epsilon inside the square root, as Keras does)",
            visible=_rmsprop_visible,
            hidden=_rmsprop_hidden,
            expected=_keras_optimizer("rmsprop"),
            mistakes=rms_m,
            parts=("w", "velocity"),
            call=_run_optimizer("rmsprop"),
        ),
        Exercise(
            name="adam_update",
            assignment=ASSIGNMENT,
            points=3,
            matches="returns `(new_w, new_m, new_v)`; `t` is the 1-based step (the first call may be a later step, "
            "with nonzero `m`, `v`); equals `keras.optimizers.Adam`, "
            "whose step is `lr * sqrt(1 - beta_2**t) / (1 - beta_1**t) * m / (sqrt(v) + epsilon)`",
            visible=_adam_visible,
            hidden=_adam_hidden,
            expected=_keras_optimizer("adam"),
            mistakes=adam_m,
            answer=ADAM_UPDATE_ANSWER,
            parts=("w", "m", "v"),
            call=_run_optimizer("adam"),
        ),
        Exercise(
            name="iterate_minibatches",
            assignment=ASSIGNMENT,
            points=2,
            matches="yields `(x_batch, y_batch)`; every sample exactly once per pass, pairs kept together, last "
            "short batch kept; shuffled order `np.random.default_rng(seed).permutation(len(x))` (checked exactly "
            "when a seed is given)",
            visible=_minibatch_visible,
            hidden=_minibatch_hidden,
            call=_minibatch_call,
            judge=_minibatch_judge,
            mistakes=_MINIBATCH_MISTAKES,
        ),
    ]


# Named by _minibatch_judge (no variant: the batches are random).
_MINIBATCH_MISTAKES = [
    Mistake(
        message=LAST_BATCH_DROPPED,
        example="""def iterate_minibatches(x, y, batch_size, shuffle=True, seed=None):
    order = np.random.default_rng(seed).permutation(len(x)) if shuffle else np.arange(len(x))
    for i in range(len(x) // batch_size):
        idx = order[i * batch_size:(i + 1) * batch_size]
        yield x[idx], y[idx]
""",
    ),
    Mistake(
        message=TWO_PERMUTATIONS,
        example="""def iterate_minibatches(x, y, batch_size, shuffle=True, seed=None):
    rng = np.random.default_rng(seed)
    x_order = rng.permutation(len(x)) if shuffle else np.arange(len(x))
    y_order = rng.permutation(len(y)) if shuffle else np.arange(len(y))
    for start in range(0, len(x), batch_size):
        yield x[x_order[start:start + batch_size]], y[y_order[start:start + batch_size]]
""",
    ),
    Mistake(
        message=SHUFFLE_IGNORED,
        example="""def iterate_minibatches(x, y, batch_size, shuffle=True, seed=None):
    for start in range(0, len(x), batch_size):
        yield x[start:start + batch_size], y[start:start + batch_size]
""",
    ),
    Mistake(
        message=OTHER_SHUFFLE,
        example="""def iterate_minibatches(x, y, batch_size, shuffle=True, seed=None):
    rng = np.random.default_rng(seed)
    order = rng.choice(len(x), size=len(x), replace=False) if shuffle else np.arange(len(x))
    for start in range(0, len(x), batch_size):
        idx = order[start:start + batch_size]
        yield x[idx], y[idx]
""",
    ),
    Mistake(
        message=SEED_NOT_USED,
        example="""def iterate_minibatches(x, y, batch_size, shuffle=True, seed=None):
    order = np.random.permutation(len(x)) if shuffle else np.arange(len(x))  # the global generator
    for start in range(0, len(x), batch_size):
        idx = order[start:start + batch_size]
        yield x[idx], y[idx]
""",
    ),
]
