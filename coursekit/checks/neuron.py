"""Assignment 1 (neuron): activations, a dense layer, losses, perceptron logic."""

from __future__ import annotations

import numpy as np

from .common import arg, as_float64, keras, make_case, stable_softmax, to_numpy
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


def _has_nonfinite(case, out):
    try:
        return not np.all(np.isfinite(np.asarray(out, dtype=np.float64)))
    except Exception:
        return False


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
    return [
        make_case("random 3-D float32", (rng.normal(size=(2, 3, 4)) * 4).astype(np.float32)),
        make_case("random in [-1e4, 1e4]", rng.uniform(-1e4, 1e4, size=(7,))),
        make_case("random float32 with large negatives", rng.uniform(-1e4, 50, size=(3, 5)).astype(np.float32)),
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
    ]


def _slope_visible():
    z = np.array([-3.0, -1.0, 0.0, 1.0, 3.0])
    return [
        make_case("default negative_slope (0.1)", z),
        make_case("negative_slope=0.2 by keyword", z, negative_slope=0.2),
    ]


def _slope_hidden(rng):
    return [
        make_case("random matrix, default slope", rng.normal(size=(3, 4)) * 3),
        make_case(
            "random 3-D float32, slope 0.3 by position", (rng.normal(size=(2, 2, 3)) * 3).astype(np.float32), 0.3
        ),
    ]


def _elu_visible():
    z = np.array([-5.0, -1.0, 0.0, 1.0, 5.0])
    return [make_case("default alpha (1.0)", z), make_case("alpha=0.5 by keyword", z, alpha=0.5)]


def _elu_hidden(rng):
    return [
        make_case("random matrix, default alpha", rng.normal(size=(3, 4)) * 3),
        make_case("random float32, alpha 2.0 by position", (rng.normal(size=(5,)) * 3).astype(np.float32), 2.0),
    ]


def _softmax_visible():
    return [
        make_case("cat/dog/horse logits (1-D)", np.array([3.2, 5.1, -1.7])),
        make_case("a batch of 2 rows", np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]])),
        make_case("large logits around 1e3", np.array([[1000.0, 1001.0, 1002.0]])),
        make_case("3-D input, axis=1", np.arange(24, dtype=np.float64).reshape(2, 3, 4) / 5, axis=1),
    ]


def _softmax_hidden(rng):
    return [
        make_case("random matrix, axis=0", rng.normal(size=(4, 3)) * 3, axis=0),
        make_case("random 3-D float32, default axis", (rng.normal(size=(2, 3, 5)) * 3).astype(np.float32)),
        make_case("random 3-D around 1e3, axis=1", 1000 + rng.normal(size=(2, 4, 3)) * 20, axis=1),
        make_case("random 4-D, axis=2 by position", rng.normal(size=(2, 2, 3, 2)), 2),
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
            message="softmax overflowed (NaN/inf): subtract the max along `axis` before np.exp; "
            "softmax(z) = softmax(z - c)",
            test=_has_nonfinite,
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
    return cases


def _dense_parts(case):
    return (
        as_float64(arg(case, 0, "x")),
        as_float64(arg(case, 1, "kernel")),
        as_float64(arg(case, 2, "bias")),
        arg(case, 3, "activation"),
    )


def _dense_expected(case):
    x, k, b, act = _dense_parts(case)
    layer = keras().layers.Dense(k.shape[1], activation=act, dtype="float64")
    layer.build((None, k.shape[0]))
    layer.set_weights([k, b])
    return to_numpy(layer(x))


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
    return [
        make_case("random (5, 3)", rng.normal(size=(5, 3)), rng.normal(size=(5, 3))),
        make_case(
            "random float32 (7, 1)",
            rng.normal(size=(7, 1)).astype(np.float32),
            rng.normal(size=(7, 1)).astype(np.float32),
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


def _binary_ce_hidden(rng):
    yt = (rng.random((6, 2)) > 0.5).astype(np.float64)
    yt32 = (rng.random((5, 1)) > 0.5).astype(np.float32)
    return [
        make_case("random (6, 2)", yt, rng.uniform(0.01, 0.99, size=(6, 2))),
        make_case("random float32 (5, 1)", yt32, rng.uniform(0.01, 0.99, size=(5, 1)).astype(np.float32)),
    ]


def _binary_ce_np(yt, yp):
    yp = np.clip(yp, 1e-7, 1 - 1e-7)
    return -(yt * np.log(yp) + (1 - yt) * np.log(1 - yp))


def _binary_ce_mistakes():
    return [
        Mistake(
            message="loss summed instead of averaged: use the mean",
            variant=lambda c: np.sum(_binary_ce_np(*_labels_and_predictions(c))),
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
            test=_has_nonfinite,
            example="""def binary_crossentropy(y_true, y_pred):
    return -np.mean(y_true * np.log(y_pred) + (1 - y_true) * np.log(1 - y_pred))
""",
        ),
    ]


def _categorical_ce_visible():
    yt = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    yp = np.array([[0.17, 0.79, 0.04], [0.17, 0.79, 0.04]])  # the lecture's -log 0.17 and -log 0.79
    return [
        make_case("the lecture's cat/dog/horse example", yt, yp),
        make_case(
            "4 samples, 2 classes",
            np.array([[1.0, 0], [0, 1], [0, 1], [1, 0]]),
            np.array([[0.6, 0.4], [0.3, 0.7], [0.5, 0.5], [0.99, 0.01]]),
        ),
    ]


def _categorical_ce_hidden(rng):
    def one(n, k, dtype):
        yt = np.eye(k)[rng.integers(0, k, n)].astype(dtype)
        return yt, stable_softmax(rng.normal(size=(n, k)) * 2).astype(dtype)

    return [
        make_case("random (6, 4)", *one(6, 4, np.float64)),
        make_case("random float32 (3, 5)", *one(3, 5, np.float32)),
    ]


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


def _layer(x, w, b, where):
    w, b = as_float64(w), as_float64(b)
    if w.ndim == 1:
        w = w[:, None]
    z = x @ w + b.reshape(-1)
    if np.any(np.abs(z) < 1e-9):
        raise ValueError(
            f"{where}: an input lies on the decision boundary (z = 0); "
            "move the bias so that every z is clearly positive or negative"
        )
    return (z >= 0).astype(np.float64)


ON_THE_BOUNDARY = "an input on the boundary z = 0"


def _logic_judge(target):
    def judge(case, out, expected):
        try:
            if target == "NAND":
                w, b = out
                y = _layer(X_BOOL, w, b, "the perceptron")
            else:
                (w1, b1), (w2, b2) = out
                y = _layer(_layer(X_BOOL, w1, b1, "layer 1"), w2, b2, "layer 2")
        except ValueError as exc:
            if "boundary" in str(exc):
                return Verdict(False, [str(exc)], [ON_THE_BOUNDARY])
            return Verdict(False, [f"could not evaluate the weights: {exc}"])
        except Exception as exc:
            shape = "(w, b)" if target == "NAND" else "[(W1, b1), (W2, b2)]"
            return Verdict(False, [f"expected {shape}; could not use what was returned ({type(exc).__name__}: {exc})"])
        y = y.reshape(-1)
        if y.shape == (4,) and np.array_equal(y, TRUTH[target]):
            return Verdict(True)
        got = [name for name, t in TRUTH.items() if y.shape == (4,) and np.array_equal(y, t)]
        msg = f"outputs on (0,0), (0,1), (1,0), (1,1): {y.astype(int).tolist()}, expected {TRUTH[target]}"
        return Verdict(False, [msg], [f"the network computes {got[0]}, not {target}"] if got else [])

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
    return 1 / (1 + np.exp(z))
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
            matches="`keras.activations.elu(z, alpha)`",
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
            matches="`keras.activations.softmax(z, axis)`; stable for logits around 1e3",
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
            matches="`keras.losses.MeanSquaredError()(y_true, y_pred)` (a scalar)",
            visible=_mse_visible,
            hidden=_mse_hidden,
            expected=_loss_expected("MeanSquaredError"),
            mistakes=_mse_mistakes(),
        ),
        Exercise(
            name="binary_crossentropy",
            assignment=ASSIGNMENT,
            points=1,
            matches="`keras.losses.BinaryCrossentropy()(y_true, y_pred)` (probabilities, a scalar)",
            visible=_binary_ce_visible,
            hidden=_binary_ce_hidden,
            expected=_loss_expected("BinaryCrossentropy"),
            mistakes=_binary_ce_mistakes(),
        ),
        Exercise(
            name="categorical_crossentropy",
            assignment=ASSIGNMENT,
            points=1,
            matches="`keras.losses.CategoricalCrossentropy()(y_true, y_pred)` (one-hot labels, probabilities, a "
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
            "is 1 for z >= 0 and 0 otherwise, and no input lies on the boundary (z = 0)",
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
    return np.array([-1.0, -1.0]), 2.0  # (1, 1) gives z = 0
""",
                ),
            ],
        ),
        Exercise(
            name="xor_network",
            assignment=ASSIGNMENT,
            points=2,
            matches="returns `[(W1, b1), (W2, b2)]`: two step-activation layers computing XOR on {0,1}^2, no "
            "input on a boundary",
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
