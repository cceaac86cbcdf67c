"""Assignment 1 (neuron): activations, a dense layer, losses, perceptron logic."""

from __future__ import annotations

import numpy as np

from .common import arg, as_float64, keras, make_case, noncontiguous, stable_softmax, to_numpy
from .core import INPUT_MODIFIED, Alternatives, Exercise, Mistake, Verdict, wrong

ASSIGNMENT = "01_neuron"

SIGMOID_OVERFLOW = (
    "overflow in exp: np.exp(-z) overflows for z << 0; use np.exp(-np.logaddexp(0, -z)) or split z >= 0 / z < 0"
)


def _act(fn_name, **kw):
    def expected(case):
        z = as_float64(arg(case, 0, "z"))
        extra = {k: arg(case, i + 1, k, d) for i, (k, d) in enumerate(kw.items())}
        return to_numpy(getattr(keras().activations, fn_name)(z, **extra))

    return expected


def _gives(model):
    """A Mistake test: the output is what ``model(case)`` computes, NaN and inf included.

    For wrong answers whose signature is a NaN or an inf (an overflow, log(0)): a ``variant`` cannot
    say so (NaN never compares equal), this test can.  A model that is finite on the case is the
    right answer there, so it explains nothing.
    """

    def test(case, out):
        with np.errstate(all="ignore"):
            m = np.asarray(model(case), dtype=np.float64)
        o = np.asarray(out, dtype=np.float64)
        if o.shape != m.shape or np.all(np.isfinite(m)):
            return False
        return bool(np.allclose(o, m, rtol=1e-4, atol=1e-5, equal_nan=True))

    return test


def _exact32(rng, low, high, size, step=1 / 64):
    """Uniform values in [low, high] on a grid of ``step``: exact in float32 too, so an answer computed
    in float32 from these inputs sees the same numbers (large magnitudes without rounding noise)."""
    return np.round(rng.uniform(low, high, size=size) / step) * step


# ----------------------------------------------------------------------------- activations


def _sigmoid_visible():
    return [
        make_case("five values from -2 to 2", np.array([-2.0, -1.0, 0.0, 1.0, 2.0])),
        make_case(
            "the lecture neuron: z = 185*0.0006 + 85*0.0002 + 1 (a 0-d array)", np.array(185 * 0.0006 + 85 * 0.0002 + 1)
        ),
        make_case(
            "|z| up to 1e4, float64 (no overflow warning allowed)", np.array([-1e4, -800.0, -30.0, 30.0, 800.0, 1e4])
        ),
        make_case("a float32 matrix", np.array([[0.5, -1.5], [3.0, -0.25]], dtype=np.float32)),
    ]


def _sigmoid_hidden(rng):
    extremes = np.array([-1e3, -750.0, 0.0, 750.0, 1e3])
    return [
        make_case("random 3-D float32", (rng.normal(size=(2, 3, 4)) * 4).astype(np.float32)),
        make_case("random in [-1e4, 1e4]", rng.uniform(-1e4, 1e4, size=(7,))),
        make_case("random float32 with large negatives", rng.uniform(-1e4, 50, size=(3, 5)).astype(np.float32)),
        make_case(
            "size-1 dimensions (1, 1, 8), |z| up to 1e3, float64",
            np.concatenate([extremes, rng.uniform(-1e3, 1e3, size=3)]).reshape(1, 1, 8),
        ),
        make_case("a 0-d float32 array", np.array(rng.uniform(-100, -90), dtype=np.float32)),
        noncontiguous(make_case("random (4, 3), |z| up to 1e3, float64", rng.uniform(-1e3, 1e3, size=(4, 3)))),
    ]


def _relu_visible():
    return [
        make_case("five values including 0", np.array([-2.0, -0.5, 0.0, 0.5, 2.0])),
        make_case("a float32 matrix", np.array([[1.0, -3.0], [-0.1, 4.0]], dtype=np.float32)),
    ]


def _relu_hidden(rng):
    return [
        make_case("random 3-D", rng.normal(size=(2, 3, 4))),
        make_case("random float32 row", rng.normal(size=(9,)).astype(np.float32)),
        make_case(
            "size-1 dimensions (1, 6, 1), |z| up to 1e3 and exact zeros",
            np.concatenate([[0.0, -0.0, 1e3, -1e3], rng.uniform(-1e3, 1e3, size=2)]).reshape(1, 6, 1),
        ),
        noncontiguous(
            make_case("random float32 (3, 4), |z| up to 1e3", rng.uniform(-1e3, 1e3, (3, 4)).astype(np.float32))
        ),
    ]


def _slope_visible():
    z = np.array([-3.0, -1.0, 0.0, 1.0, 3.0])
    return [
        make_case("default negative_slope (0.1)", z),
        make_case("negative_slope=0.2 by keyword", z, negative_slope=0.2),
        make_case(
            "negative_slope=0.3 by position, float32, |z| up to 1e3", np.array([-1e3, -2.5, 0.0, 1e3], np.float32), 0.3
        ),
    ]


def _slope_hidden(rng):
    return [
        make_case("random matrix, default slope", rng.normal(size=(3, 4)) * 3),
        make_case(
            "random 3-D float32, slope 0.3 by position", (rng.normal(size=(2, 2, 3)) * 3).astype(np.float32), 0.3
        ),
        make_case(
            "one row (1, 6), |z| up to 1e3, slope 0.05 by keyword",
            rng.permutation(np.concatenate([[1e3, -1e3], rng.uniform(-1e3, 1e3, size=4)])).reshape(1, 6),
            negative_slope=0.05,
        ),
        noncontiguous(
            make_case(
                "random float32 (3, 4), |z| up to 1e3, default slope", rng.uniform(-1e3, 1e3, (3, 4)).astype(np.float32)
            )
        ),
    ]


def _elu_visible():
    z = np.array([-5.0, -1.0, 0.0, 1.0, 5.0])
    return [
        make_case("default alpha (1.0)", z),
        make_case("alpha=0.5 by keyword", z, alpha=0.5),
        make_case("alpha=2.0 by position", z, 2.0),
        make_case("|z| up to 1e3: finite values (1000 stays 1000)", np.array([-1e3, -750.0, 750.0, 1e3])),
    ]


_ELU_EXTREMES = np.array([-1e3, -800.0, 0.0, 720.0, 800.0, 1e3])


def _elu_hidden(rng):
    def big(n):
        return rng.permutation(np.concatenate([_ELU_EXTREMES, rng.uniform(-1e3, 1e3, size=n - _ELU_EXTREMES.size)]))

    return [
        make_case("random matrix, default alpha", rng.normal(size=(3, 4)) * 3),
        make_case("random float32, alpha 2.0 by position", (rng.normal(size=(5,)) * 3).astype(np.float32), 2.0),
        make_case("(2, 5), |z| up to 1e3, alpha=0.5 by keyword", big(10).reshape(2, 5), alpha=0.5),
        make_case("size-1 dimensions (1, 1, 8), |z| up to 1e3, float32", big(8).reshape(1, 1, 8).astype(np.float32)),
        noncontiguous(make_case("(3, 4), |z| up to 1e3, default alpha", big(12).reshape(3, 4))),
    ]


def _elu_masked(case):
    """The masked-sum ELU: z * (z > 0) + alpha * (exp(z) - 1) * (z <= 0) gives inf * 0 = NaN for z > 709."""
    z = as_float64(arg(case, 0, "z"))
    alpha = arg(case, 1, "alpha", 1.0)
    return z * (z > 0) + alpha * (np.exp(z) - 1) * (z <= 0)


def _softmax_visible():
    return [
        make_case(
            "the lecture's cat/dog/horse scores (3 images x 3 classes)",
            np.array([[5.0, 4.0, 2.0], [4.0, 2.0, 8.0], [4.0, 4.0, 1.0]]),
        ),
        make_case("a 1-D vector of 3 logits", np.array([3.2, 5.1, -1.7])),
        make_case("a batch of 2 rows", np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]])),
        make_case("large logits around 1e3", np.array([[1000.0, 1001.0, 1002.0]])),
        make_case(
            "rows of very different scale (around +1e3, 0 and -1e3)",
            np.array([[1000.0, 1001.0, 1002.0], [0.0, 1.0, 2.0], [-1002.0, -1001.0, -1000.0]]),
        ),
        make_case("3-D input, axis=1", np.arange(24, dtype=np.float64).reshape(2, 3, 4) / 5, axis=1),
        make_case("3-D input, axis=0 by position", np.arange(12, dtype=np.float64).reshape(2, 3, 2) / 3, 0),
    ]


def _softmax_hidden(rng):
    def scales(n, k, dtype, along_rows=True):
        offsets = rng.permutation(np.array([1e3, -1e3, 0.0] + [1e3, -1e3][: max(0, n - 3)])[:n])
        z = offsets[:, None] + _exact32(rng, -3, 3, (n, k))
        return (z if along_rows else z.T).astype(dtype)

    return [
        make_case("random matrix, axis=0", rng.normal(size=(4, 3)) * 3, axis=0),
        make_case("random 3-D float32, default axis", (rng.normal(size=(2, 3, 5)) * 3).astype(np.float32)),
        make_case("random 3-D around 1e3, axis=1", 1000 + rng.normal(size=(2, 4, 3)) * 20, axis=1),
        make_case("random 4-D, axis=2 by position", rng.normal(size=(2, 2, 3, 2)), 2),
        make_case("rows of very different scale (+1e3, 0, -1e3), float64", scales(4, 5, np.float64)),
        noncontiguous(
            make_case("columns of very different scale, float32, axis=0", scales(3, 4, np.float32, False), axis=0)
        ),
        make_case("one sample, size-1 dimensions (1, 1, 5)", rng.normal(size=(1, 1, 5)) * 3),
    ]


def _softmax_expected(case):
    return to_numpy(keras().activations.softmax(as_float64(arg(case, 0, "z")), axis=arg(case, 1, "axis", -1)))


def _softmax_other_axes(case):
    z = as_float64(arg(case, 0, "z"))
    axis = arg(case, 1, "axis", -1) % z.ndim
    return [a for a in range(z.ndim) if a != axis]


def _softmax_mistakes():
    def wrong_axis(k):
        def variant(case):
            others = _softmax_other_axes(case)
            return stable_softmax(arg(case, 0, "z"), axis=others[k]) if len(others) > k else None

        return variant

    def whole(case):
        z = as_float64(arg(case, 0, "z"))
        e = np.exp(z - z.max())
        return e / e.sum()

    def global_max(case):
        z, axis = as_float64(arg(case, 0, "z")), arg(case, 1, "axis", -1)
        e = np.exp(z - z.max())
        return e / e.sum(axis=axis, keepdims=True)

    def naive(case):
        z, axis = as_float64(arg(case, 0, "z")), arg(case, 1, "axis", -1)
        e = np.exp(z)
        return e / e.sum(axis=axis, keepdims=True)

    msg = "softmax taken along the wrong axis: normalise along `axis` (np.max/np.sum(..., axis=axis, keepdims=True))"
    return [
        Mistake(
            message=msg,
            variant=wrong_axis(0),
            example="""def softmax(z, axis=-1):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=-1, keepdims=True))  # axis ignored
    return e / e.sum(axis=-1, keepdims=True)
""",
        ),
        Mistake(message=msg, variant=wrong_axis(1)),
        Mistake(message=msg, variant=wrong_axis(2)),
        Mistake(
            message="normalised over the whole array instead of along `axis`",
            variant=whole,
            example="""def softmax(z, axis=-1):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max())
    return e / e.sum()
""",
        ),
        Mistake(
            message="the GLOBAL maximum subtracted: a row far below it underflows to 0 / 0 = NaN; subtract each "
            "slice's own max, z.max(axis=axis, keepdims=True)",
            test=_gives(global_max),
            example="""def softmax(z, axis=-1):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max())
    return e / e.sum(axis=axis, keepdims=True)
""",
        ),
        Mistake(
            message="softmax overflowed (NaN/inf): subtract the max along `axis` before np.exp; "
            "softmax(z) = softmax(z - c)",
            test=_gives(naive),
            example="""def softmax(z, axis=-1):
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)
""",
        ),
    ]


# ----------------------------------------------------------------------------- dense layer


def _dense_visible():
    x = np.array([[1.0, 2.0, -1.0], [0.5, -0.5, 0.0], [0.0, 1.0, 2.0], [-1.0, 0.0, 1.0]])
    k = np.array([[0.2, -0.4], [0.1, 0.3], [-0.5, 0.6]])
    b = np.array([0.1, -0.2])
    sq = np.array([[0.2, -0.4, 0.3], [0.1, 0.3, -0.2], [-0.5, 0.6, 0.0]])
    return [
        make_case("no activation", x, k, b),
        make_case("relu", x, k, b, activation="relu"),
        make_case("square kernel, tanh", x, sq, np.array([0.1, -0.2, 0.3]), "tanh"),
        make_case("softmax over 3 units", x, sq, np.array([0.0, 0.5, -0.5]), activation="softmax"),
        make_case("sigmoid", x, k, b, activation="sigmoid"),
        make_case('"linear" (the same as None)', x, k, b, activation="linear"),
        make_case(
            "one sample, |x| up to 1e3, kernel 2 * (the square kernel), softmax",
            np.array([[1000.0, -1000.0, 500.0]]),
            2 * sq,
            np.array([0.0, 0.5, -0.5]),
            activation="softmax",
        ),
    ]


def _dense_hidden(rng):
    cases = []
    for act in ("linear", "sigmoid", "relu", "softmax", None):
        n, i, u = rng.integers(1, 6), rng.integers(2, 6), rng.integers(2, 6)
        dtype = np.float32 if act in ("sigmoid", None) else np.float64
        cases.append(
            make_case(
                f"random, activation={act!r}, {np.dtype(dtype).name}",
                rng.normal(size=(n, i)).astype(dtype),
                rng.normal(size=(i, u)).astype(dtype),
                rng.normal(size=(u,)).astype(dtype),
                activation=act,
            )
        )
    s = rng.normal(size=(4, 4))
    cases.append(
        make_case("random square kernel, tanh", rng.normal(size=(3, 4)), s, rng.normal(size=(4,)), activation="tanh")
    )
    # |x| up to 1e3 on a float32-exact grid: the pre-activations reach a few thousand (row 0 is
    # 1e3 * sign(kernel[:, 0]) with kernel[0, 0] = 1, so z[0, 0] >= 998 and np.exp(z) overflows)
    i, u = rng.integers(2, 5), rng.integers(2, 5)
    x, k = _exact32(rng, -1e3, 1e3, (4, i), 1 / 4), _exact32(rng, -1, 1, (i, u), 1 / 8)
    k[0, 0] = 1.0
    x[0] = 1e3 * np.sign(k[:, 0])
    cases.append(
        make_case("|x| up to 1e3, softmax, float64", x, k, _exact32(rng, -2, 2, (u,), 1 / 8), activation="softmax")
    )
    cases.append(
        noncontiguous(
            make_case(
                "one sample, |x| up to 1e3, sigmoid, float32",
                _exact32(rng, -1e3, 1e3, (1, i), 1 / 4).astype(np.float32),
                _exact32(rng, -1, 1, (i, u), 1 / 8).astype(np.float32),
                _exact32(rng, -2, 2, (u,), 1 / 8).astype(np.float32),
                activation="sigmoid",
            )
        )
    )
    cases.append(
        noncontiguous(
            make_case(
                "random float32, relu",
                rng.normal(size=(3, 5)).astype(np.float32),
                rng.normal(size=(5, 2)).astype(np.float32),
                rng.normal(size=(2,)).astype(np.float32),
                activation="relu",
            )
        )
    )
    return cases


def _dense_parts(case):
    return (
        as_float64(arg(case, 0, "x")),
        as_float64(arg(case, 1, "kernel")),
        as_float64(arg(case, 2, "bias")),
        arg(case, 3, "activation"),
    )


def _dense_expected(case):
    """``keras.layers.Dense(units, activation)`` with ``set_weights([k, b])``, computed as its ``call`` does
    (matmul, bias, activation) without building a layer; tests/test_neuron.py checks it against the layer."""
    x, k, b, act = _dense_parts(case)
    ops = keras().ops
    return to_numpy(keras().activations.get(act)(ops.add(ops.matmul(x, k), b)))


_NUMPY_ACTIVATIONS = {
    None: lambda z: z,
    "linear": lambda z: z,
    "relu": lambda z: np.maximum(z, 0),
    "tanh": np.tanh,
    "sigmoid": lambda z: 0.5 * (1 + np.tanh(z / 2)),
    "softmax": stable_softmax,
}


# A student's correct answer: the mistakes' examples are edits of it (core.wrong).
DENSE_FORWARD_ANSWER = """def dense_forward(x, kernel, bias, activation=None):
    z = np.asarray(x) @ np.asarray(kernel) + bias
    if activation == "relu":
        return np.maximum(z, 0)
    if activation == "sigmoid":
        return 1 / (1 + np.exp(-z))
    if activation == "tanh":
        return np.tanh(z)
    if activation == "softmax":
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    return z
"""


def _dense_mistakes():
    def nobias(case):
        x, k, b, act = _dense_parts(case)
        return _NUMPY_ACTIVATIONS[act](x @ k)

    def transposed(case):
        x, k, b, act = _dense_parts(case)
        return _NUMPY_ACTIVATIONS[act](x @ k.T + b) if k.shape[0] == k.shape[1] else None

    def noact(case):
        x, k, b, act = _dense_parts(case)
        return None if act in (None, "linear") else x @ k + b

    def softmax_axis0(case):
        x, k, b, act = _dense_parts(case)
        return stable_softmax(x @ k + b, axis=0) if act == "softmax" else None

    def naive_softmax(case):
        x, k, b, act = _dense_parts(case)
        if act != "softmax":
            return np.zeros(0)  # finite: explains nothing
        e = np.exp(x @ k + b)
        return e / e.sum(axis=-1, keepdims=True)

    return [
        Mistake(
            message="bias missing: out = activation(x @ kernel + bias)",
            variant=nobias,
            example=wrong(DENSE_FORWARD_ANSWER, "np.asarray(kernel) + bias", "np.asarray(kernel)  # bias forgotten"),
        ),
        Mistake(
            message="kernel transposed: Keras's dense kernel is (in_features, units), use x @ kernel",
            variant=transposed,
            example=wrong(DENSE_FORWARD_ANSWER, "np.asarray(kernel) + bias", "np.asarray(kernel).T + bias"),
        ),
        Mistake(
            message="activation not applied",
            variant=noact,
            example="""def dense_forward(x, kernel, bias, activation=None):
    return np.asarray(x) @ np.asarray(kernel) + bias
""",
        ),
        Mistake(
            message="softmax overflowed (NaN): subtract each row's max before np.exp",
            test=_gives(naive_softmax),
            example=wrong(DENSE_FORWARD_ANSWER, "np.exp(z - z.max(axis=-1, keepdims=True))", "np.exp(z)"),
        ),
        Mistake(
            message="softmax taken over the batch (axis 0) instead of over the units (axis -1)",
            variant=softmax_axis0,
            example=wrong(DENSE_FORWARD_ANSWER, "axis=-1, keepdims=True", "axis=0, keepdims=True", count=2),
        ),
    ]


# ----------------------------------------------------------------------------- losses


def _loss_expected(cls):
    """Keras in float64 and (default) float32: clipping at 1 - 1e-7 differs between the two."""

    def expected(case):
        yt, yp = as_float64(arg(case, 0, "y_true")), as_float64(arg(case, 1, "y_pred"))
        loss = getattr(keras().losses, cls)
        return Alternatives(
            [to_numpy(loss(dtype="float64")(yt, yp)), to_numpy(loss()(yt.astype(np.float32), yp.astype(np.float32)))]
        )

    return expected


def _labels_and_predictions(case):
    return as_float64(arg(case, 0, "y_true")), as_float64(arg(case, 1, "y_pred"))


def _mse_visible():
    yt = np.array([[1.0, 2.0], [0.0, -1.0], [3.0, 0.5]])
    yp = np.array([[1.5, 1.0], [0.0, 0.0], [2.0, 0.5]])
    return [
        make_case("3 samples, 2 outputs", yt, yp),
        make_case("1-D vectors", np.array([0.0, 1.0, 2.0, 3.0]), np.array([0.5, 1.0, 1.0, 3.5])),
    ]


def _mse_hidden(rng):
    scale = rng.permutation([1e3, 1.0, 1e-3])[:, None]
    return [
        make_case("random (5, 3)", rng.normal(size=(5, 3)), rng.normal(size=(5, 3))),
        make_case(
            "random float32 (7, 1)",
            rng.normal(size=(7, 1)).astype(np.float32),
            rng.normal(size=(7, 1)).astype(np.float32),
        ),
        make_case(
            "one sample, one output (1, 1), |y| up to 1e3",
            rng.uniform(-1e3, 1e3, (1, 1)),
            rng.uniform(-1e3, 1e3, (1, 1)),
        ),
        noncontiguous(
            make_case(
                "rows of very different scale (1e3, 1, 1e-3), (3, 4)",
                rng.normal(size=(3, 4)) * scale,
                rng.normal(size=(3, 4)) * scale,
            )
        ),
        make_case(
            "float32 (4, 2), |y| up to 1e3",
            rng.uniform(-1e3, 1e3, (4, 2)).astype(np.float32),
            rng.uniform(-1e3, 1e3, (4, 2)).astype(np.float32),
        ),
    ]


def _mse_mistakes():
    return [
        Mistake(
            message="loss summed instead of averaged: use the mean",
            variant=lambda c: np.sum((_labels_and_predictions(c)[0] - _labels_and_predictions(c)[1]) ** 2),
            example="""def mean_squared_error(y_true, y_pred):
    return np.sum((np.asarray(y_true) - np.asarray(y_pred)) ** 2)
""",
        ),
        Mistake(
            message="summed over the outputs, averaged only over the batch: Keras averages over both",
            variant=lambda c: np.mean(
                np.sum(np.atleast_2d((_labels_and_predictions(c)[0] - _labels_and_predictions(c)[1]) ** 2), axis=-1)
            ),
            example="""def mean_squared_error(y_true, y_pred):
    d = np.atleast_2d(np.asarray(y_true) - np.asarray(y_pred))
    return np.mean(np.sum(d ** 2, axis=-1))
""",
        ),
        Mistake(
            message="absolute error instead of squared error",
            variant=lambda c: np.mean(np.abs(_labels_and_predictions(c)[0] - _labels_and_predictions(c)[1])),
            example="""def mean_squared_error(y_true, y_pred):
    return np.mean(np.abs(np.asarray(y_true) - np.asarray(y_pred)))
""",
        ),
        Mistake(
            message="square root taken (that is the RMSE)",
            variant=lambda c: np.sqrt(np.mean((_labels_and_predictions(c)[0] - _labels_and_predictions(c)[1]) ** 2)),
            example="""def mean_squared_error(y_true, y_pred):
    return np.sqrt(np.mean((np.asarray(y_true) - np.asarray(y_pred)) ** 2))
""",
        ),
    ]


def _binary_ce_visible():
    return [
        make_case(
            "4 samples, 1 output", np.array([[1.0], [0.0], [1.0], [0.0]]), np.array([[0.9], [0.2], [0.6], [0.4]])
        ),
        make_case(
            "predictions exactly 0 and 1 (Keras clips to [1e-7, 1 - 1e-7])",
            np.array([[1.0, 0.0], [0.0, 1.0]]),
            np.array([[1.0, 0.0], [1.0, 0.5]]),
        ),
    ]


def _zero_one_pairs(rng, n):
    """n (label, prediction) pairs with predictions exactly 0 or 1: the four combinations, then random ones."""
    pairs = np.array([[0, 0], [0, 1], [1, 0], [1, 1]] + [list(rng.integers(0, 2, 2)) for _ in range(n - 4)], float)
    return rng.permutation(pairs)


def _binary_ce_hidden(rng):
    yt = (rng.random((6, 2)) > 0.5).astype(np.float64)
    yt32 = (rng.random((5, 1)) > 0.5).astype(np.float32)
    p01 = _zero_one_pairs(rng, 8)
    q01 = _zero_one_pairs(rng, 6)
    mixed_p = np.where(rng.random((3, 2)) < 0.5, rng.integers(0, 2, (3, 2)), rng.uniform(0.01, 0.99, (3, 2)))
    return [
        make_case("random (6, 2)", yt, rng.uniform(0.01, 0.99, size=(6, 2))),
        make_case("random float32 (5, 1)", yt32, rng.uniform(0.01, 0.99, size=(5, 1)).astype(np.float32)),
        make_case("predictions exactly 0 and 1, (4, 2)", p01[:, 0].reshape(4, 2), p01[:, 1].reshape(4, 2)),
        noncontiguous(
            make_case(
                "predictions exactly 0 and 1, float32 (6, 1)",
                q01[:, :1].astype(np.float32),
                q01[:, 1:].astype(np.float32),
            )
        ),
        make_case(
            "one sample (1, 2): some predictions exactly 0 or 1",
            (rng.random((1, 2)) > 0.5).astype(float),
            np.array([[rng.integers(0, 2), rng.uniform(0.01, 0.99)]]),
        ),
        make_case(
            "(3, 2), a mix of exact 0/1 and other predictions", (rng.random((3, 2)) > 0.5).astype(float), mixed_p
        ),
    ]


def _binary_ce_unclipped(yt, yp):
    return -np.mean(yt * np.log(yp) + (1 - yt) * np.log(1 - yp))


def _binary_ce_np(yt, yp):
    """Per-entry binary cross-entropy, y_pred clipped in ITS dtype (float32's 1 - 1e-7 is 1 - 1.19e-7)."""
    yp = as_float64(np.clip(np.asarray(yp), 1e-7, 1 - 1e-7))
    yt = as_float64(yt)
    return -(yt * np.log(yp) + (1 - yt) * np.log(1 - yp))


def _binary_ce_mistakes():
    return [
        Mistake(
            message="loss summed instead of averaged: use the mean",
            variant=lambda c: np.sum(_binary_ce_np(arg(c, 0, "y_true"), arg(c, 1, "y_pred"))),
            example="""def binary_crossentropy(y_true, y_pred):
    p = np.clip(y_pred, 1e-7, 1 - 1e-7)
    return -np.sum(y_true * np.log(p) + (1 - y_true) * np.log(1 - p))
""",
        ),
        Mistake(
            message="the (1 - y) * log(1 - p) term is missing",
            variant=lambda c: np.mean(
                -_labels_and_predictions(c)[0] * np.log(np.clip(_labels_and_predictions(c)[1], 1e-7, 1))
            ),
            example="""def binary_crossentropy(y_true, y_pred):
    p = np.clip(y_pred, 1e-7, 1 - 1e-7)
    return -np.mean(y_true * np.log(p))
""",
        ),
        Mistake(
            message="log(0) = -inf: clip y_pred to [1e-7, 1 - 1e-7] as Keras does",
            test=_gives(lambda c: _binary_ce_unclipped(*_labels_and_predictions(c))),
            example="""def binary_crossentropy(y_true, y_pred):
    return -np.mean(y_true * np.log(y_pred) + (1 - y_true) * np.log(1 - y_pred))
""",
        ),
    ]


def _categorical_ce_visible():
    # the lecture's worked example (Ledda's seminar): label [0, 1] (sea bass), outputs [0.83, 0.17] then
    # [0.21, 0.79]: -log 0.17 = 1.77 and -log 0.79 = 0.236, mean 1.004
    yt = np.array([[0.0, 1.0], [0.0, 1.0]])
    yp = np.array([[0.83, 0.17], [0.21, 0.79]])
    return [
        make_case("the lecture's salmon / sea-bass example (label [0, 1]; outputs [0.83, 0.17], [0.21, 0.79])", yt, yp),
        make_case(
            "4 samples, 2 classes",
            np.array([[1.0, 0], [0, 1], [0, 1], [1, 0]]),
            np.array([[0.6, 0.4], [0.3, 0.7], [0.5, 0.5], [0.99, 0.01]]),
        ),
        make_case(
            "predictions exactly 0 and 1 (Keras clips to [1e-7, 1 - 1e-7])",
            np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]),
            np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.25, 0.75]]),
        ),
    ]


def _categorical_ce_hidden(rng):
    def one(n, k, dtype):
        yt = np.eye(k)[rng.integers(0, k, n)].astype(dtype)
        return yt, stable_softmax(rng.normal(size=(n, k)) * 2).astype(dtype)

    def certain(n, k, dtype):
        """One-hot predictions (probabilities exactly 0 and 1): row 0 right, row 1 wrong, then random."""
        labels = rng.integers(0, k, n)
        guesses = np.where(rng.random(n) < 0.5, labels, rng.integers(0, k, n))
        guesses[0] = labels[0]
        if n > 1:
            guesses[1] = (labels[1] + 1) % k
        return np.eye(k)[labels].astype(dtype), np.eye(k)[guesses].astype(dtype)

    yt1, yp1 = certain(1, 3, np.float64)
    yp1[0] = [0.0, 0.0, 0.0]
    yp1[0, (np.argmax(yt1[0]) + 1) % 3] = 0.5
    yp1[0, (np.argmax(yt1[0]) + 2) % 3] = 0.5
    return [
        make_case("random (6, 4)", *one(6, 4, np.float64)),
        make_case("random float32 (3, 5)", *one(3, 5, np.float32)),
        make_case("predictions exactly 0 and 1, (5, 3)", *certain(5, 3, np.float64)),
        noncontiguous(make_case("predictions exactly 0 and 1, float32 (4, 4)", *certain(4, 4, np.float32))),
        make_case("one sample (1, 3): the true class predicted with probability 0", yt1, yp1),
    ]


def _categorical_ce_unclipped(yt, yp):
    return -np.mean(np.sum(yt * np.log(yp), axis=-1))


def _categorical_ce_np(yt, yp):
    yp = yp / yp.sum(axis=-1, keepdims=True)
    return -np.sum(yt * np.log(np.clip(yp, 1e-7, 1 - 1e-7)), axis=-1)


def _categorical_ce_mistakes():
    return [
        Mistake(
            message="loss summed over the batch instead of averaged",
            variant=lambda c: np.sum(_categorical_ce_np(*_labels_and_predictions(c))),
            example="""def categorical_crossentropy(y_true, y_pred):
    return -np.sum(y_true * np.log(np.clip(y_pred, 1e-7, 1)))
""",
        ),
        Mistake(
            message="averaged over the classes too: sum over classes, then average over samples",
            variant=lambda c: np.mean(
                _labels_and_predictions(c)[0] * -np.log(np.clip(_labels_and_predictions(c)[1], 1e-7, 1))
            ),
            example="""def categorical_crossentropy(y_true, y_pred):
    return -np.mean(y_true * np.log(np.clip(y_pred, 1e-7, 1)))
""",
        ),
        Mistake(
            message="log(0) = -inf: clip y_pred to [1e-7, 1 - 1e-7] as Keras does",
            test=_gives(lambda c: _categorical_ce_unclipped(*_labels_and_predictions(c))),
            example="""def categorical_crossentropy(y_true, y_pred):
    return -np.mean(np.sum(y_true * np.log(y_pred), axis=-1))
""",
        ),
        Mistake(
            message="the minus sign is missing (a loss is >= 0)",
            variant=lambda c: -np.mean(_categorical_ce_np(*_labels_and_predictions(c))),
            example="""def categorical_crossentropy(y_true, y_pred):
    return np.mean(np.sum(y_true * np.log(np.clip(y_pred, 1e-7, 1)), axis=-1))
""",
        ),
    ]


# ----------------------------------------------------------------------------- perceptrons

X_BOOL = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
TRUTH = {
    "NAND": [1, 1, 1, 0],
    "AND": [0, 0, 0, 1],
    "OR": [0, 1, 1, 1],
    "NOR": [1, 0, 0, 0],
    "XOR": [0, 1, 1, 0],
    "XNOR": [1, 0, 0, 1],
}


def _layer(x, w, b, step_at_zero=1.0):
    """step(x @ w + b) in float64 with step(z) = 1 for z > 0, 0 for z < 0 and ``step_at_zero`` at z = 0."""
    w, b = as_float64(w), as_float64(b)
    if w.ndim == 1:
        w = w[:, None]
    z = x @ w + b.reshape(-1)
    return np.where(z > 0, 1.0, np.where(z == 0, step_at_zero, 0.0)), z


def _network(target, out, step_at_zero):
    """The outputs on X_BOOL and every layer's pre-activations z."""
    layers = [out] if target == "NAND" else list(out)
    if target != "NAND" and len(layers) != 2:
        raise ValueError(f"expected 2 layers, got {len(layers)}")
    a, zs = X_BOOL, []
    for w, b in layers:
        a, z = _layer(a, w, b, step_at_zero)
        zs.append(z)
    return a.reshape(-1), zs


# The lecture's perceptron (notebooks/01_neuron.py, coursekit.neuron.step): step(z) = 1 for z >= 0.
ON_THE_BOUNDARY = (
    "an input lies exactly on the boundary z = 0, where the lecture's step gives 1 (step(0) = 1): "
    "the network would be right only if step(0) were 0; shift the bias so that those inputs get z < 0"
)


def _logic_judge(target):
    def judge(case, out, expected):
        try:
            y, zs = _network(target, out, 1.0)
        except Exception as exc:
            shape = "(w, b)" if target == "NAND" else "[(W1, b1), (W2, b2)]"
            return Verdict(False, [f"expected {shape}; could not use what was returned ({type(exc).__name__}: {exc})"])
        if y.shape == (4,) and np.array_equal(y, TRUTH[target]):
            return Verdict(True)
        got = [name for name, t in TRUTH.items() if y.shape == (4,) and np.array_equal(y, t)]
        msg = f"outputs on (0,0), (0,1), (1,0), (1,1): {y.astype(int).tolist()}, expected {TRUTH[target]}"
        msg += f" (that is {got[0]})" if got else ""
        messages = [msg + "; step(z) = 1 for z >= 0, 0 for z < 0"]
        tiny = [z for layer in zs for z in layer.reshape(-1) if z != 0 and abs(z) < 1e-9]
        if tiny:
            messages.append(
                f"some z are rounding errors around 0 (e.g. {tiny[0]:.3g}): z = x @ w + b is computed in float64 "
                "and compared with 0 exactly"
            )
        y0, _ = _network(target, out, 0.0)
        if y0.shape == (4,) and np.array_equal(y0, TRUTH[target]):
            return Verdict(False, messages, [ON_THE_BOUNDARY])
        return Verdict(False, messages, [f"the network computes {got[0]}, not {target}"] if got else [])

    return judge


# ----------------------------------------------------------------------------- registry


def exercises() -> list[Exercise]:
    none = lambda rng: []  # noqa: E731
    return [
        Exercise(
            name="sigmoid",
            assignment=ASSIGNMENT,
            points=1,
            matches="`keras.activations.sigmoid`; no overflow warning for z in [-1e4, 1e4]",
            visible=_sigmoid_visible,
            hidden=_sigmoid_hidden,
            expected=_act("sigmoid"),
            mistakes=[
                Mistake(
                    message="sign of the exponent flipped: sigmoid(z) = 1 / (1 + exp(-z))",
                    variant=lambda c: 1 - to_numpy(keras().activations.sigmoid(as_float64(arg(c, 0, "z")))),
                    example="""def sigmoid(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))  # stable, but the two branches swapped: this is sigmoid(-z)
    return np.where(z >= 0, e / (1 + e), 1 / (1 + e))
""",
                ),
                Mistake(
                    message="that is tanh, not the sigmoid",
                    variant=lambda c: np.tanh(as_float64(arg(c, 0, "z"))),
                    example="""def sigmoid(z):
    return np.tanh(z)
""",
                ),
                Mistake(
                    message=SIGMOID_OVERFLOW,  # named by the warning hint: the values are right
                    example="""def sigmoid(z):
    return 1 / (1 + np.exp(-z))
""",
                ),
            ],
            no_warnings=True,
            warning_hint=SIGMOID_OVERFLOW,
        ),
        Exercise(
            name="relu",
            assignment=ASSIGNMENT,
            points=1,
            matches="`keras.activations.relu`",
            visible=_relu_visible,
            hidden=_relu_hidden,
            expected=_act("relu"),
            mistakes=[
                Mistake(
                    message="returned the step function (the derivative of ReLU), not max(z, 0)",
                    variant=lambda c: (as_float64(arg(c, 0, "z")) > 0).astype(float),
                    example="""def relu(z):
    return (np.asarray(z) > 0).astype(float)
""",
                ),
                Mistake(
                    message="returned |z|",
                    variant=lambda c: np.abs(as_float64(arg(c, 0, "z"))),
                    example="""def relu(z):
    return np.abs(z)
""",
                ),
                Mistake(
                    message=INPUT_MODIFIED,  # named by the checker for any exercise: it compares the inputs
                    example="""def relu(z):
    z[z < 0] = 0
    return z
""",
                ),
            ],
        ),
        Exercise(
            name="leaky_relu",
            assignment=ASSIGNMENT,
            points=1,
            matches="`keras.activations.leaky_relu(z, negative_slope)`",
            visible=_slope_visible,
            hidden=_slope_hidden,
            expected=_act("leaky_relu", negative_slope=0.1),
            mistakes=[
                Mistake(
                    message="negative_slope ignored (always 0.1)",
                    variant=lambda c: np.where(
                        as_float64(c.args[0]) >= 0, as_float64(c.args[0]), 0.1 * as_float64(c.args[0])
                    ),
                    example="""def leaky_relu(z, negative_slope=0.1):
    z = np.asarray(z, dtype=float)
    return np.where(z >= 0, z, 0.1 * z)
""",
                ),
                Mistake(
                    message="the default negative_slope must be 0.1 (Keras's own default is 0.2)",
                    variant=lambda c: np.where(
                        as_float64(c.args[0]) >= 0, as_float64(c.args[0]), 0.2 * as_float64(c.args[0])
                    ),
                    example="""def leaky_relu(z, negative_slope=0.2):
    z = np.asarray(z, dtype=float)
    return np.where(z >= 0, z, negative_slope * z)
""",
                ),
                Mistake(
                    message="the slope is applied to the positive side",
                    variant=lambda c: np.where(
                        as_float64(c.args[0]) >= 0,
                        arg(c, 1, "negative_slope", 0.1) * as_float64(c.args[0]),
                        as_float64(c.args[0]),
                    ),
                    example="""def leaky_relu(z, negative_slope=0.1):
    z = np.asarray(z, dtype=float)
    return np.where(z >= 0, negative_slope * z, z)
""",
                ),
            ],
        ),
        Exercise(
            name="elu",
            assignment=ASSIGNMENT,
            points=1,
            matches="`keras.activations.elu(z, alpha)`; finite values for |z| up to 1e3 (floating-point warnings "
            "are not graded)",
            visible=_elu_visible,
            hidden=_elu_hidden,
            expected=_act("elu", alpha=1.0),
            mistakes=[
                Mistake(
                    message="alpha ignored",
                    variant=lambda c: np.where(
                        as_float64(c.args[0]) > 0, as_float64(c.args[0]), np.expm1(np.minimum(as_float64(c.args[0]), 0))
                    ),
                    example="""def elu(z, alpha=1.0):
    z = np.asarray(z, dtype=float)
    return np.where(z > 0, z, np.expm1(np.minimum(z, 0)))
""",
                ),
                Mistake(
                    message="NaN for large z: (exp(z) - 1) * (z <= 0) is inf * 0 = NaN once exp(z) overflows; "
                    "select the branch with np.where and take exp only of np.minimum(z, 0)",
                    test=_gives(_elu_masked),
                    example="""def elu(z, alpha=1.0):
    z = np.asarray(z, dtype=float)
    return z * (z > 0) + alpha * (np.exp(z) - 1) * (z <= 0)
""",
                ),
                Mistake(
                    message="the -1 is missing: elu(z) = alpha * (exp(z) - 1) for z <= 0",
                    variant=lambda c: np.where(
                        as_float64(c.args[0]) > 0,
                        as_float64(c.args[0]),
                        arg(c, 1, "alpha", 1.0) * np.exp(np.minimum(as_float64(c.args[0]), 0)),
                    ),
                    example="""def elu(z, alpha=1.0):
    z = np.asarray(z, dtype=float)
    return np.where(z > 0, z, alpha * np.exp(np.minimum(z, 0)))
""",
                ),
            ],
        ),
        Exercise(
            name="softmax",
            assignment=ASSIGNMENT,
            points=2,
            matches="`keras.activations.softmax(z, axis)`; stable for logits around 1e3 and for slices of very "
            "different scale (+1e3 and -1e3 in one array)",
            visible=_softmax_visible,
            hidden=_softmax_hidden,
            expected=_softmax_expected,
            mistakes=_softmax_mistakes(),
        ),
        Exercise(
            name="dense_forward",
            assignment=ASSIGNMENT,
            points=2,
            matches="`keras.layers.Dense(units, activation)` with `set_weights([kernel, bias])`; activation is "
            'None, "linear", "sigmoid", "tanh", "relu" or "softmax"',
            visible=_dense_visible,
            hidden=_dense_hidden,
            expected=_dense_expected,
            mistakes=_dense_mistakes(),
            answer=DENSE_FORWARD_ANSWER,
        ),
        Exercise(
            name="mean_squared_error",
            assignment=ASSIGNMENT,
            points=1,
            matches="`keras.losses.MeanSquaredError()(y_true, y_pred)` (the mean over all entries, a scalar)",
            visible=_mse_visible,
            hidden=_mse_hidden,
            expected=_loss_expected("MeanSquaredError"),
            mistakes=_mse_mistakes(),
        ),
        Exercise(
            name="binary_crossentropy",
            assignment=ASSIGNMENT,
            points=1,
            matches="`keras.losses.BinaryCrossentropy()(y_true, y_pred)` (probabilities clipped to [1e-7, 1 - 1e-7], "
            "the mean over all entries, a scalar)",
            visible=_binary_ce_visible,
            hidden=_binary_ce_hidden,
            expected=_loss_expected("BinaryCrossentropy"),
            mistakes=_binary_ce_mistakes(),
        ),
        Exercise(
            name="categorical_crossentropy",
            assignment=ASSIGNMENT,
            points=1,
            matches="`keras.losses.CategoricalCrossentropy()(y_true, y_pred)` (one-hot labels; probabilities, each "
            "row divided by its sum and clipped to [1e-7, 1 - 1e-7]; summed over classes, averaged over samples: a "
            "scalar)",
            visible=_categorical_ce_visible,
            hidden=_categorical_ce_hidden,
            expected=_loss_expected("CategoricalCrossentropy"),
            mistakes=_categorical_ce_mistakes(),
        ),
        # the judge names these mistakes (no variant): it evaluates the returned weights on the truth table
        Exercise(
            name="nand_weights",
            assignment=ASSIGNMENT,
            points=1,
            matches="returns `(w, b)`: a perceptron `step(x @ w + b)` computes NAND on {0,1}^2, where `step(z)` "
            "is 1 for z >= 0 (the lecture's step: step(0) = 1) and 0 otherwise, z computed in float64",
            visible=lambda: [make_case("NAND truth table")],
            hidden=none,
            judge=_logic_judge("NAND"),
            mistakes=[
                Mistake(
                    message="the network computes AND, not NAND",
                    example="""def nand_weights():
    return np.array([1.0, 1.0]), -1.5
""",
                ),
                Mistake(
                    message=ON_THE_BOUNDARY,
                    example="""def nand_weights():
    return np.array([-1.0, -1.0]), 2.0  # (1, 1) gives z = 0, and step(0) = 1
""",
                ),
            ],
        ),
        Exercise(
            name="xor_network",
            assignment=ASSIGNMENT,
            points=2,
            matches="returns `[(W1, b1), (W2, b2)]`: two step-activation layers computing XOR on {0,1}^2, "
            "step(z) = 1 for z >= 0 (step(0) = 1) and 0 otherwise",
            visible=lambda: [make_case("XOR truth table")],
            hidden=none,
            judge=_logic_judge("XOR"),
            mistakes=[
                Mistake(
                    message="the network computes XNOR, not XOR",
                    example="""def xor_network():
    W1 = np.array([[1.0, -1.0], [1.0, -1.0]])  # OR, NAND
    b1 = np.array([-0.5, 1.5])
    W2 = np.array([[-1.0], [-1.0]])  # NOT (OR and NAND): the complement of XOR
    b2 = np.array([1.5])
    return [(W1, b1), (W2, b2)]
""",
                ),
                Mistake(
                    message=ON_THE_BOUNDARY,
                    example="""def xor_network():
    W1 = np.array([[1.0, -1.0], [1.0, -1.0]])  # OR, and a NAND with z = 0 on (1, 1): step(0) = 1
    b1 = np.array([-0.5, 2.0])
    W2 = np.array([[1.0], [1.0]])  # AND
    b2 = np.array([-1.5])
    return [(W1, b1), (W2, b2)]
""",
                ),
                Mistake(
                    message="the network computes OR, not XOR",
                    example="""def xor_network():
    W1 = np.eye(2)  # the hidden layer copies the inputs
    b1 = np.array([-0.5, -0.5])
    W2 = np.array([[1.0], [1.0]])
    b2 = np.array([-0.5])
    return [(W1, b1), (W2, b2)]
""",
                ),
            ],
        ),
    ]
