"""Assignment 3 (backprop): backward passes checked against tf.GradientTape."""

from __future__ import annotations

import numpy as np

from .common import arg, as_float64, keras, make_case, noncontiguous, stable_softmax, tf
from .core import INPUT_MODIFIED, Exercise, Mistake, Verdict, wrong
from .functions import call_with_functions, finite_differences, numpy_function, spec

ASSIGNMENT = "03_backprop"


def _tape(fn, *arrays):
    """Gradients of fn(*variables) (a scalar) w.r.t. each array, by tf.GradientTape, in float64."""
    t = tf()
    vs = [t.Variable(as_float64(a)) for a in arrays]
    with t.GradientTape() as tape:
        y = fn(*vs)
    return [g.numpy() for g in tape.gradient(y, vs)]


def _sig(z):
    return 0.5 * (1 + np.tanh(as_float64(z) / 2))


def _same_with_nan(out, want, rtol=1e-4) -> bool:
    """``out`` equals ``want`` (nested tuples/lists of arrays), NaN where ``want`` is NaN, inf where it is inf.

    For mistakes whose output is not finite (the checker's comparison never matches a NaN), modelled exactly.
    """
    if isinstance(want, (tuple, list)):
        return (
            isinstance(out, (tuple, list))
            and len(out) == len(want)
            and all(_same_with_nan(o, w, rtol) for o, w in zip(out, want))
        )
    try:
        o, w = np.asarray(out, np.float64), np.asarray(want, np.float64)
    except Exception:
        return False
    if o.shape != w.shape:
        return False
    finite = w[np.isfinite(w)]
    scale = float(np.abs(finite).max()) if finite.size else 0.0
    return bool(np.allclose(o, w, rtol=rtol, atol=1e-5 * max(1.0, scale), equal_nan=True))


SIGMOID_BACKWARD_OVERFLOW = (
    "overflow in exp: 1 / (1 + np.exp(-z)) overflows for z < -709 (float64) or z < -88 (float32); "
    "use s = 0.5 * (1 + np.tanh(z / 2)) or np.exp(-np.logaddexp(0, -z))"
)


# ----------------------------------------------------------------------------- elementwise


def _elementwise_visible():
    z = np.array([[-2.0, -0.5, 0.0], [0.5, 2.0, 0.0]])
    dout = np.array([[1.0, 2.0, -1.0], [0.5, -3.0, 4.0]])
    return [
        make_case("a (2, 3) matrix with zeros", dout, z),
        make_case("float32, large |z|", np.ones(4, np.float32), np.array([-50.0, -10.0, 10.0, 50.0], np.float32)),
        make_case(
            "|z| up to 1e3 (float64): no overflow warning",
            np.array([1.0, -2.0, 0.5, 3.0, 1.0]),
            np.array([-1000.0, -750.0, 0.0, 750.0, 1000.0]),
        ),
    ]


def _extreme_z(rng, shape, dtype):
    """z of ``shape`` with -1e3, 1e3, -100, +-0 and the rest uniform in [-1e3, 1e3] (shuffled)."""
    fixed = np.array([-1e3, 1e3, -100.0, 0.0, -0.0])
    z = np.concatenate([fixed, rng.uniform(-1e3, 1e3, size=int(np.prod(shape)) - len(fixed))])
    return rng.permutation(z).reshape(shape).astype(dtype)


def _elementwise_hidden(rng):
    z = rng.normal(size=(3, 4)) * 3
    z[0, :2] = 0.0
    z[1, 0] = -0.0
    z32 = (rng.normal(size=(2, 2, 3)) * 3).astype(np.float32)
    z32[1, 0, :2] = 0.0
    return [
        make_case("random (3, 4) with exact zeros", rng.normal(size=(3, 4)), z),
        make_case("random 3-D float32 with exact zeros", rng.normal(size=(2, 2, 3)).astype(np.float32), z32),
        make_case(
            "|z| up to 1e3 with zeros, float64", rng.normal(size=(3, 4)) * 10, _extreme_z(rng, (3, 4), np.float64)
        ),
        make_case(
            "|z| up to 1e3 with zeros, float32",
            rng.normal(size=(2, 5)).astype(np.float32),
            _extreme_z(rng, (2, 5), np.float32),
        ),
        make_case("one sample, one unit: z = 0", rng.normal(size=(1, 1)), np.zeros((1, 1))),
        noncontiguous(
            make_case("|z| up to 1e3 with zeros, (4, 3)", rng.normal(size=(4, 3)), _extreme_z(rng, (4, 3), np.float64))
        ),
    ]


def _elementwise_expected(fn_name):
    def expected(case):
        dout = as_float64(arg(case, 0, "dout"))
        t = tf()
        return _tape(lambda z: t.reduce_sum(getattr(t.nn, fn_name)(z) * dout), arg(case, 1, "z"))[0]

    return expected


# ----------------------------------------------------------------------------- dense


def _dense_visible():
    x = np.array([[1.0, 2.0, -1.0], [0.5, -0.5, 0.0]])
    k = np.array([[0.2, -0.4], [0.1, 0.3], [-0.5, 0.6]])
    dout = np.array([[1.0, -1.0], [0.5, 2.0]])
    sq = np.array([[0.2, -0.4, 0.3], [0.1, 0.3, -0.2], [-0.5, 0.6, 0.0]])
    return [
        make_case("batch 2, 3 -> 2", dout, x, k),
        make_case("square kernel 3 -> 3", np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.5]]), x, sq),
    ]


def _dense_hidden(rng):
    def one(n, i, u, dt, scale=1.0):
        return (
            rng.normal(size=(n, u)).astype(dt),
            (rng.uniform(-1, 1, size=(n, i)) * scale).astype(dt),
            rng.normal(size=(i, u)).astype(dt),
        )

    return [
        make_case("random batch 5, 4 -> 3, float64", *one(5, 4, 3, np.float64)),
        make_case("one sample, 3 -> 3, float32", *one(1, 3, 3, np.float32)),
        make_case("batch 7, 2 -> 5, |x| up to 1e3", *one(7, 2, 5, np.float64, 1e3)),
        make_case("one input feature, one unit: batch 4, 1 -> 1", *one(4, 1, 1, np.float64)),
        make_case("one sample, one input feature: 1 -> 2, float32", *one(1, 1, 2, np.float32)),
        noncontiguous(make_case("batch 6, 3 -> 3, |x| up to 1e3", *one(6, 3, 3, np.float64, 1e3))),
    ]


def _dense_expected(case):
    dout, x, k = (as_float64(a) for a in case.args)
    t = tf()
    b = np.zeros(k.shape[1])
    return tuple(_tape(lambda x_, k_, b_: t.reduce_sum((x_ @ k_ + b_) * dout), x, k, b))


def _dense_variant(kind):
    def variant(case):
        dout, x, k = (as_float64(a) for a in case.args)
        dx, dk, db = dout @ k.T, x.T @ dout, dout.sum(axis=0)
        if kind == "db_mean":
            db = dout.mean(axis=0)
        elif kind == "mean":
            dx, dk, db = dx / len(x), dk / len(x), db / len(x)
        elif kind == "k_not_T":
            if k.shape[0] != k.shape[1]:
                return None
            dx = dout @ k
        elif kind == "dk_T":
            dk = dk.T
        return dx, dk, db

    return variant


# ----------------------------------------------------------------------------- losses


def _softmax_ce_visible():
    return [
        make_case(
            "3 samples, 3 classes",
            np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3], [0.0, 0.0, 0.0]]),
            np.array([[1.0, 0, 0], [0, 1, 0], [0, 0, 1]]),
        ),
        make_case(
            "large logits around 1e3", np.array([[1000.0, 1001.0], [1002.0, 999.0]]), np.array([[0.0, 1.0], [1.0, 0.0]])
        ),
    ]


def _softmax_ce_hidden(rng):
    def one(n, k, scale, dtype=np.float64):
        return (rng.normal(size=(n, k)) * scale).astype(dtype), np.eye(k, dtype=dtype)[rng.integers(0, k, n)]

    def mixed(n, k):
        """Rows of scale 1e-3, 1, ..., the last up to 1e3; its label on its smallest logit (p = 0 there)."""
        logits = rng.normal(size=(n, k)) * np.array([1e-3] + [1.0] * (n - 2) + [1.0])[:, None]
        logits[-1] = rng.uniform(-1e3, 1e3, size=k)
        logits[-1, rng.integers(0, k)] = 1e3
        labels = rng.integers(0, k, n)
        labels[-1] = int(np.argmin(logits[-1]))
        return logits, np.eye(k)[labels]

    logits32, y32 = one(4, 5, 3, np.float32)
    logits32[rng.integers(0, 4), rng.integers(0, 5)] = 1e3  # exp overflows float32 above 88
    return [
        make_case("random (5, 4)", *one(5, 4, 2)),
        make_case("random large logits (4, 3): probabilities exactly 0 and 1", *one(4, 3, 800)),
        make_case("rows of very different scale (1e-3 to 1e3), (3, 4)", *mixed(3, 4)),
        make_case("random single sample (1, 6)", *one(1, 6, 1)),
        make_case("float32 (4, 5) with a logit of 1e3", logits32, y32),
        noncontiguous(make_case("rows of very different scale (1e-3 to 1e3), (4, 3)", *mixed(4, 3))),
    ]


def _ce_grad_as_written(case, shift):
    """The gradient as a softmax shifted by each row's max (``"row"``), the global max or nothing computes it,
    in the input's dtype, overflow and all."""
    z = np.asarray(arg(case, 0, "logits"))
    z = z if np.issubdtype(z.dtype, np.floating) else z.astype(float)
    y = np.asarray(arg(case, 1, "y_true"))
    with np.errstate(all="ignore"):
        if shift == "row":
            z = z - z.max(axis=-1, keepdims=True)
        elif shift == "global":
            z = z - z.max()
        e = np.exp(z)
        return (e / e.sum(axis=-1, keepdims=True) - y) / len(z)


def _softmax_ce_expected(case):
    logits, y = as_float64(case.args[0]), as_float64(case.args[1])
    loss = keras().losses.CategoricalCrossentropy(from_logits=True, dtype="float64")
    return _tape(lambda z: loss(y, z), logits)[0]


def _mse_visible():
    return [
        make_case(
            "3 samples, 2 outputs",
            np.array([[1.0, 2.0], [0.0, -1.0], [3.0, 0.5]]),
            np.array([[1.5, 1.0], [0.0, 0.0], [2.0, 0.5]]),
        ),
        make_case("1-D", np.array([0.0, 1.0, 2.0]), np.array([0.5, 1.0, 1.0])),
    ]


def _mse_hidden(rng):
    def one(shape, dtype=np.float64, scale=1.0):
        return (
            (rng.normal(size=shape) * scale).astype(dtype),
            (rng.normal(size=shape) * scale).astype(dtype),
        )

    return [
        make_case("random (4, 3)", *one((4, 3))),
        make_case("random float32 (6, 1)", *one((6, 1), np.float32)),
        make_case("|y| up to 1e3, (3, 4)", *one((3, 4), scale=300.0)),
        make_case("one sample, one output (1, 1)", *one((1, 1))),
        make_case("1-D float32 (5,)", *one((5,), np.float32)),
        noncontiguous(make_case("random (5, 3)", *one((5, 3)))),
    ]


def _mse_expected(case):
    yt, yp = as_float64(case.args[0]), as_float64(case.args[1])
    loss = keras().losses.MeanSquaredError(dtype="float64")
    return _tape(lambda p: loss(yt, p), yp)[0]


# ----------------------------------------------------------------------------- MLP


def _params(rng, sizes, dtype=np.float64):
    return [
        (rng.normal(size=(a, b)).astype(dtype) / np.sqrt(a), rng.normal(size=(b,)).astype(dtype) * 0.1)
        for a, b in zip(sizes[:-1], sizes[1:])
    ]


def _mlp_visible():
    rng = np.random.default_rng(3)
    p = _params(rng, [4, 5, 3])
    x = rng.normal(size=(6, 4))
    y = np.eye(3)[[0, 1, 2, 0, 1, 2]]
    return [
        ("relu, 4-5-3", x, y, p, "relu"),
        ("tanh, 4-5-3", x, y, p, "tanh"),
        ("sigmoid, 4-6-5-2", x[:3], np.eye(2)[[0, 1, 1]], _params(rng, [4, 6, 5, 2]), "sigmoid"),
        (
            "default hidden_activation (relu), one layer 2-3, logits near 1e3 (a probability 0)",
            np.array([[400.0, -300.0], [0.5, 1.0]]),
            np.eye(3)[[1, 0]],
            [(np.array([[2.0, 0.0, -1.0], [0.0, 1.0, 1.0]]), np.array([0.1, 0.0, -0.1]))],
            None,
        ),
    ]


def _big_row(rng, sizes):
    """A relu MLP and a batch whose last row (|x| up to 1e3) has logits spread by more than 1500, the largest
    above 800: there softmax(logits) underflows to exactly 0 (its label) and exp(logits) overflows.  The last
    kernel is scaled up when the spread falls short (and negated when its largest logit is the smaller end)."""
    for _ in range(100):
        params = _params(rng, sizes)
        x = rng.normal(size=(5, sizes[0]))
        x[-1] *= 1e3 / np.abs(x[-1]).max()
        hidden = _np_mlp(x[-1:], params[:-1] + [(np.eye(sizes[-2]), np.zeros(sizes[-2]))], "relu")
        hidden = np.maximum(hidden, 0)  # the last hidden layer's activations
        spread = np.ptp(hidden @ params[-1][0])
        if spread < 200.0:  # (nearly) every unit dead for this row: draw again
            continue
        z = hidden @ params[-1][0]
        sign = 1.0 if z.max() >= -z.min() else -1.0  # the row's largest logit >= spread / 2: exp overflows
        params[-1] = (params[-1][0] * sign * max(1.0, 2000.0 / spread), params[-1][1])
        logits = _np_mlp(x, params, "relu")
        if np.ptp(logits[-1]) > 1500 and logits[-1].max() > 800:
            labels = rng.integers(0, sizes[-1], len(x))
            labels[-1] = int(np.argmin(logits[-1]))
            return x, np.eye(sizes[-1])[labels], params
    raise AssertionError("no MLP with logits spread over 1500 in 100 draws")


def _mlp_hidden(rng):
    def one(act, sizes, n, dtype=np.float64):
        y = np.eye(sizes[-1], dtype=dtype)[rng.integers(0, sizes[-1], n)]
        return rng.normal(size=(n, sizes[0])).astype(dtype), y, _params(rng, sizes, dtype), act

    rows = [
        ("random 3-7-4-3, relu, batch 5",) + one("relu", [3, 7, 4, 3], 5),
        ("random 5-4-2, tanh, one sample",) + one("tanh", [5, 4, 2], 1),
        ("random 4-6-3, sigmoid, batch 4, float32",) + one("sigmoid", [4, 6, 3], 4, np.float32),
        ("random 2-3 (no hidden layer), relu, batch 4",) + one("relu", [2, 3], 4),
        ("one input feature, one hidden unit: 1-1-2, default activation, batch 3",) + one(None, [1, 1, 2], 3),
        ("relu 4-5-3, a row with |x| ~ 1e3 (logits spread over 1500, a probability 0)",)
        + _big_row(rng, [4, 5, 3])
        + ("relu",),
    ]
    strided = ("random 3-4-3, tanh, batch 5",) + one("tanh", [3, 4, 3], 5)
    return rows, strided


def _as_cases(rows, backward, strided=None):
    def case(label, x, y, p, act):
        args = (x, y, p) if backward else (x, p)
        return make_case(label, *args) if act is None else make_case(label, *args, hidden_activation=act)

    cases = [case(*row) for row in rows]
    return cases + ([noncontiguous(case(*strided))] if strided is not None else [])


def _split(hidden, backward):
    rows, strided = hidden
    return rows, backward, strided


def _keras_mlp(params, act):
    k = keras()
    model = k.Sequential(
        [k.Input((params[0][0].shape[0],), dtype="float64")]
        + [
            k.layers.Dense(p[0].shape[1], activation=act if i < len(params) - 1 else None, dtype="float64")
            for i, p in enumerate(params)
        ]
    )
    model.set_weights([as_float64(a) for pair in params for a in pair])
    return model


def _mlp_args(case):
    x = as_float64(case.args[0])
    if not isinstance(arg(case, 1, "params"), (list, tuple)):  # mlp_backward(x, y_true, params, ...)
        y, params, act = (
            as_float64(arg(case, 1, "y_true")),
            arg(case, 2, "params"),
            arg(case, 3, "hidden_activation", "relu"),
        )
    else:
        y, params, act = None, arg(case, 1, "params"), arg(case, 2, "hidden_activation", "relu")
    return x, y, [(as_float64(k), as_float64(b)) for k, b in params], act


def _mlp_forward_expected(case):
    x, _, params, act = _mlp_args(case)
    return np.asarray(_keras_mlp(params, act)(x), np.float64)


_ACT = {"relu": lambda z: np.maximum(z, 0), "tanh": np.tanh, "sigmoid": _sig, None: lambda z: z}


def _np_mlp(x, params, act, last_act=None, bias=True):
    for i, (k, b) in enumerate(params):
        x = x @ k + (b if bias else 0)
        x = _ACT[act](x) if i < len(params) - 1 else _ACT[last_act](x)
    return x


def _mlp_backward_expected(case):
    x, y, params, act = _mlp_args(case)
    model = _keras_mlp(params, act)
    loss = keras().losses.CategoricalCrossentropy(from_logits=True, dtype="float64")
    t = tf()
    with t.GradientTape() as tape:
        value = loss(y, model(x))
    grads = tape.gradient(value, model.trainable_weights)
    g = [np.asarray(v, np.float64) for v in grads]
    return (np.asarray(value, np.float64), [(g[2 * i], g[2 * i + 1]) for i in range(len(params))])


def _mlp_backward_np(case, shift=True, log_of_softmax=False):
    """Loss and grads in NumPy (float64); ``shift=False`` / ``log_of_softmax=True`` model two mistakes
    exactly, overflow and NaN included."""
    x, y, params, act = _mlp_args(case)
    hs, zs = [x], []
    for i, (k, b) in enumerate(params):
        zs.append(hs[-1] @ k + b)
        hs.append(_ACT[act](zs[-1]) if i < len(params) - 1 else zs[-1])
    n = len(x)
    with np.errstate(all="ignore"):
        logits = hs[-1] - hs[-1].max(axis=1, keepdims=True) if shift else hs[-1]
        if log_of_softmax:
            log_p = np.log(np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True))
        else:
            log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        loss = -np.sum(y * log_p) / n
        d = (np.exp(log_p) - y) / n
        grads = []
        for i in range(len(params) - 1, -1, -1):
            grads.append((hs[i].T @ d, d.sum(axis=0)))
            if i:
                d = d @ params[i][0].T
                z = zs[i - 1]
                d = d * {"relu": (z > 0), "tanh": 1 - np.tanh(z) ** 2, "sigmoid": _sig(z) * (1 - _sig(z))}[act]
    return loss, grads[::-1]


def _mlp_sum_variant(case):
    loss, grads = _mlp_backward_np(case)
    n = len(case.args[0])
    return loss * n, [(k * n, b * n) for k, b in grads]


def _mlp_grads_not_averaged(case):
    loss, grads = _mlp_backward_np(case)
    n = len(case.args[0])
    return loss, [(k * n, b * n) for k, b in grads]


# ----------------------------------------------------------------------------- gradient_check


def _gradient_check_visible():
    A3 = np.array([[3.0, 1.0, 0.0], [1.0, 2.0, 0.5], [0.0, 0.5, 1.0]])
    b = np.array([1.0, -1.0, 0.5])
    x = np.array([0.5, -1.0, 2.0])
    right = A3 @ x + b
    return [
        make_case("a correct analytic gradient", spec("quadratic", A=A3, b=b), x, right),
        make_case(
            "an analytic gradient with one wrong entry", spec("quadratic", A=A3, b=b), x, right + np.array([0, 0.3, 0])
        ),
        make_case("both gradients zero (constant f)", spec("constant"), x, np.zeros(3)),
        make_case("h given: h=1e-4, a correct gradient", spec("quadratic", A=A3, b=b), x, right, h=1e-4),
    ]


def _gradient_check_hidden(rng):
    def sin_sum(shape, scale=1.0, dtype=np.float64):
        c = rng.normal(size=shape)
        x = (rng.normal(size=shape) * scale).astype(dtype)
        return spec("sin_sum", c=c), x, c * np.cos(as_float64(x)) + as_float64(x)

    f, x, right = sin_sum((2, 3))
    f1 = spec("quadratic", A=np.array([[rng.uniform(0.5, 2)]]), b=rng.normal(size=1))
    x1 = rng.normal(size=1)
    f32, x32, right32 = sin_sum((4,), dtype=np.float32)
    fbig, xbig, rightbig = sin_sum((3,), scale=300.0)
    fs, xs, rights = sin_sum((2, 3))
    return [
        make_case("random sin_sum, correct gradient", f, x, right),
        make_case("random sin_sum, gradient off by 2x", f, x, 2 * right),
        make_case("random sin_sum, sign error, h=1e-4", f, x, -right, h=1e-4),
        make_case(
            "one coordinate, quadratic, gradient off by 0.5",
            f1,
            x1,
            np.asarray(f1["A"]) @ x1 + np.asarray(f1["b"]) + 0.5,
        ),
        make_case("float32 x, sin_sum, correct gradient", f32, x32, right32),
        make_case("|x| ~ 1e3, sin_sum, correct gradient", fbig, xbig, rightbig),
        noncontiguous(make_case("random sin_sum, gradient off by 2x", fs, xs, 2 * rights)),
    ]


def _gradient_check_parts(case):
    return (
        numpy_function(arg(case, 0, "f")),
        as_float64(arg(case, 1, "x")),
        as_float64(arg(case, 2, "analytic_grad")),
        arg(case, 3, "h", 1e-5),
    )


def _gradient_check_expected(case):
    f, x, a, h = _gradient_check_parts(case)
    n = finite_differences(f, x, h)
    return np.linalg.norm(a - n) / max(np.linalg.norm(a) + np.linalg.norm(n), 1e-12)


# What _gradient_check_judge says about a wrong relative error.
ZERO_OVER_ZERO = "0 / 0: guard the denominator with max(norm(a) + norm(n), 1e-12)"
ABSOLUTE_ERROR = "absolute error: divide by max(norm(a) + norm(n), 1e-12) to get the relative error"
FORWARD_DIFFERENCES = "forward differences: use central differences (f(x+h) - f(x-h)) / (2h)"

# A student's correct answer: the mistakes' examples are edits of it (core.wrong).
GRADIENT_CHECK_ANSWER = """def gradient_check(f, x, analytic_grad, h=1e-5):
    x = np.array(x, dtype=float)
    num = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        x_plus, x_minus = x.copy(), x.copy()
        x_plus[i] += h
        x_minus[i] -= h
        num[i] = (f(x_plus) - f(x_minus)) / (2 * h)
    a = np.asarray(analytic_grad, dtype=float)
    return float(np.linalg.norm(a - num) / max(np.linalg.norm(a) + np.linalg.norm(num), 1e-12))
"""
_GUARDED = "max(np.linalg.norm(a) + np.linalg.norm(num), 1e-12)"
_GRADIENT_CHECK_MISTAKES = [
    Mistake(message=ABSOLUTE_ERROR, example=wrong(GRADIENT_CHECK_ANSWER, " / " + _GUARDED, "")),
    Mistake(
        message=ZERO_OVER_ZERO,
        example=wrong(GRADIENT_CHECK_ANSWER, _GUARDED, "(np.linalg.norm(a) + np.linalg.norm(num))"),
    ),
    Mistake(
        message=FORWARD_DIFFERENCES,
        example=wrong(GRADIENT_CHECK_ANSWER, "(f(x_plus) - f(x_minus)) / (2 * h)", "(f(x_plus) - f(x)) / h"),
    ),
    Mistake(  # named by the checker for any exercise (it compares the inputs bit for bit): x + h - 2h + h != x
        message=INPUT_MODIFIED,
        example=wrong(
            GRADIENT_CHECK_ANSWER,
            """    x = np.array(x, dtype=float)
    num = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        x_plus, x_minus = x.copy(), x.copy()
        x_plus[i] += h
        x_minus[i] -= h
        num[i] = (f(x_plus) - f(x_minus)) / (2 * h)
""",
            """    x = np.asarray(x, dtype=float)  # no copy: x is the caller's array
    num = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        x[i] += h
        f_plus = f(x)
        x[i] -= 2 * h
        f_minus = f(x)
        x[i] += h  # "restored" by arithmetic: rounding leaves x[i] a few ulps off
        num[i] = (f_plus - f_minus) / (2 * h)
""",
        ),
    ),
]


def _gradient_check_judge(case, out, expected):
    try:
        value = np.asarray(out, dtype=np.float64)
    except Exception:
        return Verdict(False, [f"expected a number, got {type(out).__name__}"])
    if value.ndim != 0:
        return Verdict(False, [f"should be a scalar (a float); got shape {value.shape}"])
    value = float(value)
    if expected < 1e-7:  # a right gradient: any tiny relative error will do
        ok = np.isfinite(value) and 0 <= value < 1e-6
    else:
        ok = abs(value - expected) <= 1e-3 * expected
    if ok:
        return Verdict(True)
    diagnoses = []
    f, x, a, h = _gradient_check_parts(case)
    n = finite_differences(f, x, h)
    if not np.isfinite(value):
        diagnoses.append(ZERO_OVER_ZERO)
    elif expected > 0 and abs(value - np.linalg.norm(a - n)) <= 1e-3 * np.linalg.norm(a - n) + 1e-12:
        diagnoses.append(ABSOLUTE_ERROR)
    else:
        fwd = finite_differences(f, x, h, "forward")
        rel = np.linalg.norm(a - fwd) / max(np.linalg.norm(a) + np.linalg.norm(fwd), 1e-12)
        if abs(value - rel) <= 1e-3 * rel + 1e-12:
            diagnoses.append(FORWARD_DIFFERENCES)
    return Verdict(False, [f"returned {value:.6g}, expected {expected:.6g}"], diagnoses)


# ----------------------------------------------------------------------------- a student's correct answers
# The mistakes' examples of mlp_forward and mlp_backward are edits of these (core.wrong).

MLP_FORWARD_ANSWER = """def mlp_forward(x, params, hidden_activation="relu"):
    act = {"relu": lambda z: np.maximum(z, 0), "tanh": np.tanh,
           "sigmoid": lambda z: 1 / (1 + np.exp(-z))}[hidden_activation]
    h = np.asarray(x, dtype=float)
    for i, (kernel, bias) in enumerate(params):
        h = h @ kernel + bias
        if i < len(params) - 1:
            h = act(h)
    return h
"""

MLP_BACKWARD_ANSWER = """def mlp_backward(x, y_true, params, hidden_activation="relu"):
    acts = {"relu": (lambda z: np.maximum(z, 0), lambda z, a: (z > 0).astype(float)),
            "tanh": (np.tanh, lambda z, a: 1 - a * a),
            "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda z, a: a * (1 - a))}
    f, df = acts[hidden_activation]
    hs, zs = [np.asarray(x, dtype=float)], []
    for i, (kernel, bias) in enumerate(params):
        zs.append(hs[-1] @ kernel + bias)
        hs.append(f(zs[-1]) if i < len(params) - 1 else zs[-1])
    logits = hs[-1] - hs[-1].max(axis=1, keepdims=True)
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    n = len(x)
    loss = -np.sum(y_true * log_p) / n
    d = (np.exp(log_p) - y_true) / n
    grads = [None] * len(params)
    for i in range(len(params) - 1, -1, -1):
        grads[i] = (hs[i].T @ d, d.sum(axis=0))
        if i > 0:
            d = (d @ params[i][0].T) * df(zs[i - 1], hs[i])
    return float(loss), grads
"""


# ----------------------------------------------------------------------------- registry


def exercises() -> list[Exercise]:
    def d_args(c):
        return as_float64(arg(c, 0, "dout")), as_float64(arg(c, 1, "z"))

    return [
        Exercise(
            name="sigmoid_backward",
            assignment=ASSIGNMENT,
            points=1,
            matches="gradient through sigmoid at pre-activation `z` (`tf.GradientTape`), without overflow warnings",
            visible=_elementwise_visible,
            hidden=_elementwise_hidden,
            expected=_elementwise_expected("sigmoid"),
            mistakes=[
                Mistake(
                    message="used z as if it were sigmoid(z): the derivative is s * (1 - s) with s = sigmoid(z)",
                    variant=lambda c: d_args(c)[0] * d_args(c)[1] * (1 - d_args(c)[1]),
                    example="""def sigmoid_backward(dout, z):
    return dout * z * (1 - z)
""",
                ),
                Mistake(
                    message="dout not multiplied in (chain rule)",
                    variant=lambda c: _sig(d_args(c)[1]) * (1 - _sig(d_args(c)[1])),
                    example="""def sigmoid_backward(dout, z):
    s = 0.5 * (1 + np.tanh(np.asarray(z, dtype=float) / 2))
    return s * (1 - s)
""",
                ),
                Mistake(
                    message=SIGMOID_BACKWARD_OVERFLOW,  # named by the warning hint: the values are right
                    example="""def sigmoid_backward(dout, z):
    s = 1 / (1 + np.exp(-z))
    return dout * s * (1 - s)
""",
                ),
            ],
            no_warnings=True,
            warning_hint=SIGMOID_BACKWARD_OVERFLOW,
        ),
        Exercise(
            name="relu_backward",
            assignment=ASSIGNMENT,
            points=1,
            matches="gradient through ReLU at `z` (`tf.GradientTape`: 0 at z == 0)",
            visible=_elementwise_visible,
            hidden=_elementwise_hidden,
            expected=_elementwise_expected("relu"),
            mistakes=[
                Mistake(
                    message="gradient at z == 0 must be 0 (TensorFlow's convention): use z > 0, not z >= 0",
                    variant=lambda c: d_args(c)[0] * (d_args(c)[1] >= 0),
                    example="""def relu_backward(dout, z):
    return dout * (np.asarray(z) >= 0)
""",
                ),
                Mistake(
                    message="dout not multiplied in (chain rule)",
                    variant=lambda c: (d_args(c)[1] > 0).astype(float),
                    example="""def relu_backward(dout, z):
    return (np.asarray(z) > 0).astype(float)
""",
                ),
                Mistake(
                    message=INPUT_MODIFIED,  # named by the checker for any exercise: it compares the inputs
                    example="""def relu_backward(dout, z):
    dout[z <= 0] = 0
    return dout
""",
                ),
            ],
        ),
        Exercise(
            name="dense_backward",
            assignment=ASSIGNMENT,
            points=2,
            matches="returns `(dx, dkernel, dbias)` for `out = x @ kernel + bias` (`tf.GradientTape` of `sum(out"
            " * dout)`)",
            visible=_dense_visible,
            hidden=_dense_hidden,
            expected=_dense_expected,
            mistakes=[
                Mistake(
                    message="dbias averaged over the batch: dbias = dout.sum(axis=0)",
                    variant=_dense_variant("db_mean"),
                    example="""def dense_backward(dout, x, kernel):
    return dout @ kernel.T, x.T @ dout, dout.mean(axis=0)
""",
                ),
                Mistake(
                    message="gradients divided by the batch size: for out = x @ kernel + bias there is no 1/N",
                    variant=_dense_variant("mean"),
                    example="""def dense_backward(dout, x, kernel):
    n = len(x)
    return dout @ kernel.T / n, x.T @ dout / n, dout.sum(axis=0) / n
""",
                ),
                Mistake(
                    message="dkernel transposed: dkernel = x.T @ dout has the kernel's shape (in_features, units)",
                    variant=_dense_variant("dk_T"),
                    example="""def dense_backward(dout, x, kernel):
    return dout @ kernel.T, dout.T @ x, dout.sum(axis=0)
""",
                ),
                Mistake(
                    message="kernel not transposed in dx: dx = dout @ kernel.T",
                    variant=_dense_variant("k_not_T"),
                    example="""def dense_backward(dout, x, kernel):
    return dout @ kernel, x.T @ dout, dout.sum(axis=0)
""",
                ),
            ],
            parts=("dx", "dkernel", "dbias"),
        ),
        Exercise(
            name="softmax_cross_entropy_backward",
            assignment=ASSIGNMENT,
            points=2,
            matches="gradient of `keras.losses.CategoricalCrossentropy(from_logits=True)` w.r.t. `logits`: "
            "`(softmax(logits) - y_true) / N`, one-hot `y_true`, stable for logits up to 1e3",
            visible=_softmax_ce_visible,
            hidden=_softmax_ce_hidden,
            expected=_softmax_ce_expected,
            mistakes=[
                Mistake(
                    message="not divided by the batch size: the loss is the mean over samples, "
                    "so d/dlogits = (p - y) / N",
                    variant=lambda c: stable_softmax(c.args[0]) - as_float64(c.args[1]),
                    example="""def softmax_cross_entropy_backward(logits, y_true):
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True) - y_true
""",
                ),
                Mistake(
                    message="sign flipped: the gradient is softmax(logits) - y_true",
                    variant=lambda c: (as_float64(c.args[1]) - stable_softmax(c.args[0])) / len(c.args[0]),
                    example="""def softmax_cross_entropy_backward(logits, y_true):
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return (y_true - e / e.sum(axis=-1, keepdims=True)) / len(logits)
""",
                ),
                Mistake(
                    message="softmax overflowed (NaN/inf): subtract the row max before np.exp",
                    test=lambda c, out: _same_with_nan(out, _ce_grad_as_written(c, None)),
                    example="""def softmax_cross_entropy_backward(logits, y_true):
    e = np.exp(logits)
    return (e / e.sum(axis=-1, keepdims=True) - y_true) / len(logits)
""",
                ),
                Mistake(
                    message="subtracted the global max (logits.max()) instead of each row's: rows far below the "
                    "largest logit underflow to 0 / 0 = NaN; use logits.max(axis=-1, keepdims=True)",
                    test=lambda c, out: _same_with_nan(out, _ce_grad_as_written(c, "global")),
                    example="""def softmax_cross_entropy_backward(logits, y_true):
    e = np.exp(logits - logits.max())
    return (e / e.sum(axis=-1, keepdims=True) - y_true) / len(logits)
""",
                ),
            ],
        ),
        Exercise(
            name="mse_backward",
            assignment=ASSIGNMENT,
            points=1,
            matches="gradient of `keras.losses.MeanSquaredError()` w.r.t. `y_pred`",
            visible=_mse_visible,
            hidden=_mse_hidden,
            expected=_mse_expected,
            mistakes=[
                Mistake(
                    message="factor 2 missing: d/dy_pred mean((y_pred - y_true)**2) = 2 (y_pred - y_true) / size",
                    variant=lambda c: (as_float64(c.args[1]) - as_float64(c.args[0])) / as_float64(c.args[0]).size,
                    example="""def mse_backward(y_true, y_pred):
    return (y_pred - y_true) / y_true.size
""",
                ),
                Mistake(
                    message="divided by the batch size only: Keras averages over every element (N * outputs)",
                    variant=lambda c: 2 * (as_float64(c.args[1]) - as_float64(c.args[0])) / len(as_float64(c.args[0])),
                    example="""def mse_backward(y_true, y_pred):
    return 2 * (y_pred - y_true) / len(y_true)
""",
                ),
                Mistake(
                    message="divided by the number of outputs only (the last axis): Keras averages over every "
                    "element (N * outputs)",
                    variant=lambda c: (
                        2 * (as_float64(c.args[1]) - as_float64(c.args[0])) / as_float64(c.args[0]).shape[-1]
                    ),
                    example="""def mse_backward(y_true, y_pred):
    return 2 * (y_pred - y_true) / y_true.shape[-1]
""",
                ),
                Mistake(
                    message="sign flipped: the gradient w.r.t. y_pred is 2 (y_pred - y_true) / size",
                    variant=lambda c: 2 * (as_float64(c.args[0]) - as_float64(c.args[1])) / as_float64(c.args[0]).size,
                    example="""def mse_backward(y_true, y_pred):
    return 2 * (y_true - y_pred) / y_true.size
""",
                ),
            ],
        ),
        Exercise(
            name="mlp_forward",
            assignment=ASSIGNMENT,
            points=2,
            matches="logits of a `keras.Sequential` of Dense layers with those weights (`params` is a list of "
            "`(kernel, bias)`; last layer linear)",
            visible=lambda: _as_cases(_mlp_visible(), False),
            hidden=lambda rng: _as_cases(*_split(_mlp_hidden(rng), False)),
            expected=_mlp_forward_expected,
            mistakes=[
                Mistake(
                    message="the activation is applied to the last layer too: the last layer is linear (logits)",
                    variant=lambda c: _np_mlp(
                        _mlp_args(c)[0], _mlp_args(c)[2], _mlp_args(c)[3], last_act=_mlp_args(c)[3]
                    ),
                    example=wrong(
                        MLP_FORWARD_ANSWER,
                        "        if i < len(params) - 1:\n            h = act(h)",
                        "        h = act(h)  # the last layer too",
                    ),
                ),
                Mistake(
                    message="bias missing",
                    variant=lambda c: _np_mlp(_mlp_args(c)[0], _mlp_args(c)[2], _mlp_args(c)[3], bias=False),
                    example=wrong(MLP_FORWARD_ANSWER, "h = h @ kernel + bias", "h = h @ kernel  # bias forgotten"),
                ),
                Mistake(
                    message="hidden_activation ignored (always ReLU)",
                    variant=lambda c: (
                        None if _mlp_args(c)[3] == "relu" else _np_mlp(_mlp_args(c)[0], _mlp_args(c)[2], "relu")
                    ),
                    example=wrong(MLP_FORWARD_ANSWER, "h = act(h)", "h = np.maximum(h, 0)  # always ReLU"),
                ),
            ],
            answer=MLP_FORWARD_ANSWER,
        ),
        Exercise(
            name="mlp_backward",
            assignment=ASSIGNMENT,
            points=3,
            matches="returns `(loss, grads)`: the mean softmax cross-entropy of the logits with one-hot `y_true` "
            "(finite even where a probability underflows to 0) and `grads = [(dkernel, dbias), ...]` in the order "
            "and shapes of `params` (`tf.GradientTape` over that `keras.Sequential`)",
            visible=lambda: _as_cases(_mlp_visible(), True),
            hidden=lambda rng: _as_cases(*_split(_mlp_hidden(rng), True)),
            expected=_mlp_backward_expected,
            mistakes=[
                Mistake(
                    message="loss summed instead of averaged over the batch (loss and gradients N times too large)",
                    variant=_mlp_sum_variant,
                    example=wrong(MLP_BACKWARD_ANSWER, "n = len(x)", "n = 1  # summed over the batch, not averaged"),
                ),
                Mistake(
                    message="gradients not divided by the batch size (the loss is a mean, so dlogits = (p - y) / N)",
                    variant=_mlp_grads_not_averaged,
                    example=wrong(
                        MLP_BACKWARD_ANSWER,
                        "d = (np.exp(log_p) - y_true) / n",
                        "d = np.exp(log_p) - y_true  # the 1 / N of the mean is missing here",
                    ),
                ),
                Mistake(
                    message="softmax overflowed (NaN/inf): subtract each row's max from the logits before np.exp",
                    test=lambda c, out: _same_with_nan(out, _mlp_backward_np(c, shift=False)),
                    example=wrong(
                        MLP_BACKWARD_ANSWER,
                        "logits = hs[-1] - hs[-1].max(axis=1, keepdims=True)",
                        "logits = hs[-1]  # no max subtracted",
                    ),
                ),
                Mistake(
                    message="loss is NaN/inf: np.log of a probability that underflowed to 0; compute log-softmax "
                    "as (z - max) - log(sum(exp(z - max)))",
                    test=lambda c, out: _same_with_nan(out, _mlp_backward_np(c, log_of_softmax=True)),
                    example=wrong(
                        MLP_BACKWARD_ANSWER,
                        "log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))",
                        "log_p = np.log(np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True))",
                    ),
                ),
            ],
            answer=MLP_BACKWARD_ANSWER,
            parts=("loss", "grads"),
        ),
        Exercise(
            name="gradient_check",
            assignment=ASSIGNMENT,
            points=2,
            matches="relative error `norm(a - n) / max(norm(a) + norm(n), 1e-12)` between analytic and "
            "central-difference gradients (computed in float64); `x` left bit for bit unchanged",
            visible=_gradient_check_visible,
            hidden=_gradient_check_hidden,
            expected=_gradient_check_expected,
            call=call_with_functions,
            judge=_gradient_check_judge,
            mistakes=_GRADIENT_CHECK_MISTAKES,
            answer=GRADIENT_CHECK_ANSWER,
        ),
    ]
