"""Assignment 1 (neuron): activations, a dense layer, losses, perceptron logic."""

from __future__ import annotations

import numpy as np

from ._common import C, arg, f64, keras, np_, stable_softmax
from .core import Alternatives, Exercise, Mistake, Verdict

A = "01_neuron"


def _act(fn_name, **kw):
    def expected(case):
        z = f64(arg(case, 0, "z"))
        extra = {k: arg(case, i + 1, k, d) for i, (k, d) in enumerate(kw.items())}
        return np_(getattr(keras().activations, fn_name)(z, **extra))
    return expected


def _has_nonfinite(case, out):
    try:
        return not np.all(np.isfinite(np.asarray(out, dtype=np.float64)))
    except Exception:
        return False


# ----------------------------------------------------------------------------- activations

def _sigmoid_visible():
    return [C("five values from -2 to 2", np.array([-2.0, -1.0, 0.0, 1.0, 2.0])),
            C("the lecture neuron: z = 185*0.0006 + 85*0.0002 + 1 (a 0-d array)", np.array(185 * 0.0006 + 85 * 0.0002 + 1)),
            C("|z| up to 1e4, float64 (no overflow warning allowed)", np.array([-1e4, -800.0, -30.0, 30.0, 800.0, 1e4])),
            C("a float32 matrix", np.array([[0.5, -1.5], [3.0, -0.25]], dtype=np.float32))]


def _sigmoid_hidden(rng):
    return [C("random 3-D float32", (rng.normal(size=(2, 3, 4)) * 4).astype(np.float32)),
            C("random in [-1e4, 1e4]", rng.uniform(-1e4, 1e4, size=(7,))),
            C("random float32 with large negatives", rng.uniform(-1e4, 50, size=(3, 5)).astype(np.float32))]


def _relu_visible():
    return [C("five values including 0", np.array([-2.0, -0.5, 0.0, 0.5, 2.0])),
            C("a float32 matrix", np.array([[1.0, -3.0], [-0.1, 4.0]], dtype=np.float32))]


def _relu_hidden(rng):
    return [C("random 3-D", rng.normal(size=(2, 3, 4))),
            C("random float32 row", rng.normal(size=(9,)).astype(np.float32))]


def _slope_visible():
    z = np.array([-3.0, -1.0, 0.0, 1.0, 3.0])
    return [C("default negative_slope (0.1)", z),
            C("negative_slope=0.2 by keyword", z, negative_slope=0.2)]


def _slope_hidden(rng):
    return [C("random matrix, default slope", rng.normal(size=(3, 4)) * 3),
            C("random 3-D float32, slope 0.3 by position", (rng.normal(size=(2, 2, 3)) * 3).astype(np.float32), 0.3)]


def _elu_visible():
    z = np.array([-5.0, -1.0, 0.0, 1.0, 5.0])
    return [C("default alpha (1.0)", z), C("alpha=0.5 by keyword", z, alpha=0.5)]


def _elu_hidden(rng):
    return [C("random matrix, default alpha", rng.normal(size=(3, 4)) * 3),
            C("random float32, alpha 2.0 by position", (rng.normal(size=(5,)) * 3).astype(np.float32), 2.0)]


def _softmax_visible():
    return [C("cat/dog/horse logits (1-D)", np.array([3.2, 5.1, -1.7])),
            C("a batch of 2 rows", np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]])),
            C("large logits around 1e3", np.array([[1000.0, 1001.0, 1002.0]])),
            C("3-D input, axis=1", np.arange(24, dtype=np.float64).reshape(2, 3, 4) / 5, axis=1)]


def _softmax_hidden(rng):
    return [C("random matrix, axis=0", rng.normal(size=(4, 3)) * 3, axis=0),
            C("random 3-D float32, default axis", (rng.normal(size=(2, 3, 5)) * 3).astype(np.float32)),
            C("random 3-D around 1e3, axis=1", 1000 + rng.normal(size=(2, 4, 3)) * 20, axis=1),
            C("random 4-D, axis=2 by position", rng.normal(size=(2, 2, 3, 2)), 2)]


def _softmax_expected(case):
    return np_(keras().activations.softmax(f64(arg(case, 0, "z")), axis=arg(case, 1, "axis", -1)))


def _softmax_other_axes(case):
    z = f64(arg(case, 0, "z"))
    axis = arg(case, 1, "axis", -1) % z.ndim
    return [a for a in range(z.ndim) if a != axis]


def _softmax_mistakes():
    def wrong_axis(k):
        def variant(case):
            others = _softmax_other_axes(case)
            return stable_softmax(arg(case, 0, "z"), axis=others[k]) if len(others) > k else None
        return variant

    def whole(case):
        z = f64(arg(case, 0, "z"))
        e = np.exp(z - z.max())
        return e / e.sum()

    msg = ("softmax taken along the wrong axis: normalise along `axis` "
           "(np.max/np.sum(..., axis=axis, keepdims=True))")
    return [Mistake(msg, wrong_axis(0)), Mistake(msg, wrong_axis(1)), Mistake(msg, wrong_axis(2)),
            Mistake("normalised over the whole array instead of along `axis`", whole),
            Mistake("softmax overflowed (NaN/inf): subtract the max along `axis` before np.exp; "
                    "softmax(z) = softmax(z - c)", test=_has_nonfinite)]


# ----------------------------------------------------------------------------- dense layer

def _dense_visible():
    x = np.array([[1.0, 2.0, -1.0], [0.5, -0.5, 0.0], [0.0, 1.0, 2.0], [-1.0, 0.0, 1.0]])
    k = np.array([[0.2, -0.4], [0.1, 0.3], [-0.5, 0.6]])
    b = np.array([0.1, -0.2])
    sq = np.array([[0.2, -0.4, 0.3], [0.1, 0.3, -0.2], [-0.5, 0.6, 0.0]])
    return [C("no activation", x, k, b),
            C("relu", x, k, b, activation="relu"),
            C("square kernel, tanh", x, sq, np.array([0.1, -0.2, 0.3]), "tanh"),
            C("softmax over 3 units", x, sq, np.array([0.0, 0.5, -0.5]), activation="softmax")]


def _dense_hidden(rng):
    cases = []
    for act in ("linear", "sigmoid", "relu", "softmax", None):
        n, i, u = rng.integers(1, 6), rng.integers(2, 6), rng.integers(2, 6)
        dtype = np.float32 if act in ("sigmoid", None) else np.float64
        cases.append(C(f"random, activation={act!r}, {np.dtype(dtype).name}",
                       rng.normal(size=(n, i)).astype(dtype), rng.normal(size=(i, u)).astype(dtype),
                       rng.normal(size=(u,)).astype(dtype), activation=act))
    s = rng.normal(size=(4, 4))
    cases.append(C("random square kernel, tanh", rng.normal(size=(3, 4)), s, rng.normal(size=(4,)), activation="tanh"))
    return cases


def _dense_parts(case):
    return f64(arg(case, 0, "x")), f64(arg(case, 1, "kernel")), f64(arg(case, 2, "bias")), arg(case, 3, "activation")


def _dense_expected(case):
    x, k, b, act = _dense_parts(case)
    layer = keras().layers.Dense(k.shape[1], activation=act, dtype="float64")
    layer.build((None, k.shape[0]))
    layer.set_weights([k, b])
    return np_(layer(x))


_NP_ACT = {None: lambda z: z, "linear": lambda z: z, "relu": lambda z: np.maximum(z, 0),
           "tanh": np.tanh, "sigmoid": lambda z: 0.5 * (1 + np.tanh(z / 2)), "softmax": stable_softmax}


def _dense_mistakes():
    def nobias(case):
        x, k, b, act = _dense_parts(case)
        return _NP_ACT[act](x @ k)

    def transposed(case):
        x, k, b, act = _dense_parts(case)
        return _NP_ACT[act](x @ k.T + b) if k.shape[0] == k.shape[1] else None

    def noact(case):
        x, k, b, act = _dense_parts(case)
        return None if act in (None, "linear") else x @ k + b

    def softmax_axis0(case):
        x, k, b, act = _dense_parts(case)
        return stable_softmax(x @ k + b, axis=0) if act == "softmax" else None

    return [Mistake("bias missing: out = activation(x @ kernel + bias)", nobias),
            Mistake("kernel transposed: Keras's dense kernel is (in_features, units), use x @ kernel", transposed),
            Mistake("activation not applied", noact),
            Mistake("softmax taken over the batch (axis 0) instead of over the units (axis -1)", softmax_axis0)]


# ----------------------------------------------------------------------------- losses

def _loss_expected(cls):
    """Keras in float64 and (default) float32: clipping at 1 - 1e-7 differs between the two."""
    def expected(case):
        yt, yp = f64(arg(case, 0, "y_true")), f64(arg(case, 1, "y_pred"))
        loss = getattr(keras().losses, cls)
        return Alternatives([np_(loss(dtype="float64")(yt, yp)), np_(loss()(yt.astype(np.float32), yp.astype(np.float32)))])
    return expected


def _yy(case):
    return f64(arg(case, 0, "y_true")), f64(arg(case, 1, "y_pred"))


def _mse_visible():
    yt = np.array([[1.0, 2.0], [0.0, -1.0], [3.0, 0.5]])
    yp = np.array([[1.5, 1.0], [0.0, 0.0], [2.0, 0.5]])
    return [C("3 samples, 2 outputs", yt, yp),
            C("1-D vectors", np.array([0.0, 1.0, 2.0, 3.0]), np.array([0.5, 1.0, 1.0, 3.5]))]


def _mse_hidden(rng):
    return [C("random (5, 3)", rng.normal(size=(5, 3)), rng.normal(size=(5, 3))),
            C("random float32 (7, 1)", rng.normal(size=(7, 1)).astype(np.float32), rng.normal(size=(7, 1)).astype(np.float32))]


def _mse_mistakes():
    return [Mistake("loss summed instead of averaged: use the mean", lambda c: np.sum((_yy(c)[0] - _yy(c)[1]) ** 2)),
            Mistake("summed over the outputs, averaged only over the batch: Keras averages over both",
                    lambda c: np.mean(np.sum(np.atleast_2d((_yy(c)[0] - _yy(c)[1]) ** 2), axis=-1))),
            Mistake("absolute error instead of squared error", lambda c: np.mean(np.abs(_yy(c)[0] - _yy(c)[1]))),
            Mistake("square root taken (that is the RMSE)", lambda c: np.sqrt(np.mean((_yy(c)[0] - _yy(c)[1]) ** 2)))]


def _bce_visible():
    return [C("4 samples, 1 output", np.array([[1.0], [0.0], [1.0], [0.0]]), np.array([[0.9], [0.2], [0.6], [0.4]])),
            C("predictions exactly 0 and 1 (Keras clips to [1e-7, 1 - 1e-7])",
              np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([[1.0, 0.0], [1.0, 0.5]]))]


def _bce_hidden(rng):
    yt = (rng.random((6, 2)) > 0.5).astype(np.float64)
    yt32 = (rng.random((5, 1)) > 0.5).astype(np.float32)
    return [C("random (6, 2)", yt, rng.uniform(0.01, 0.99, size=(6, 2))),
            C("random float32 (5, 1)", yt32, rng.uniform(0.01, 0.99, size=(5, 1)).astype(np.float32))]


def _bce_np(yt, yp):
    yp = np.clip(yp, 1e-7, 1 - 1e-7)
    return -(yt * np.log(yp) + (1 - yt) * np.log(1 - yp))


def _bce_mistakes():
    return [Mistake("loss summed instead of averaged: use the mean", lambda c: np.sum(_bce_np(*_yy(c)))),
            Mistake("the (1 - y) * log(1 - p) term is missing",
                    lambda c: np.mean(-_yy(c)[0] * np.log(np.clip(_yy(c)[1], 1e-7, 1)))),
            Mistake("log(0) = -inf: clip y_pred to [1e-7, 1 - 1e-7] as Keras does", test=_has_nonfinite)]


def _cce_visible():
    yt = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    yp = np.array([[0.17, 0.79, 0.04], [0.17, 0.79, 0.04]])  # the lecture's -log 0.17 and -log 0.79
    return [C("the lecture's cat/dog/horse example", yt, yp),
            C("4 samples, 2 classes", np.array([[1.0, 0], [0, 1], [0, 1], [1, 0]]),
              np.array([[0.6, 0.4], [0.3, 0.7], [0.5, 0.5], [0.99, 0.01]]))]


def _cce_hidden(rng):
    def one(n, k, dtype):
        yt = np.eye(k)[rng.integers(0, k, n)].astype(dtype)
        return yt, stable_softmax(rng.normal(size=(n, k)) * 2).astype(dtype)
    return [C("random (6, 4)", *one(6, 4, np.float64)), C("random float32 (3, 5)", *one(3, 5, np.float32))]


def _cce_np(yt, yp):
    yp = yp / yp.sum(axis=-1, keepdims=True)
    return -np.sum(yt * np.log(np.clip(yp, 1e-7, 1 - 1e-7)), axis=-1)


def _cce_mistakes():
    return [Mistake("loss summed over the batch instead of averaged", lambda c: np.sum(_cce_np(*_yy(c)))),
            Mistake("averaged over the classes too: sum over classes, then average over samples",
                    lambda c: np.mean(_yy(c)[0] * -np.log(np.clip(_yy(c)[1], 1e-7, 1)))),
            Mistake("the minus sign is missing (a loss is >= 0)", lambda c: -np.mean(_cce_np(*_yy(c))))]


# ----------------------------------------------------------------------------- perceptrons

X_BOOL = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
TRUTH = {"NAND": [1, 1, 1, 0], "AND": [0, 0, 0, 1], "OR": [0, 1, 1, 1], "NOR": [1, 0, 0, 0],
         "XOR": [0, 1, 1, 0], "XNOR": [1, 0, 0, 1]}


def _layer(x, w, b, where):
    w, b = f64(w), f64(b)
    if w.ndim == 1:
        w = w[:, None]
    z = x @ w + b.reshape(-1)
    if np.any(np.abs(z) < 1e-9):
        raise ValueError(f"{where}: an input lies on the decision boundary (z = 0); "
                         "move the bias so that every z is clearly positive or negative")
    return (z >= 0).astype(np.float64)


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
                return Verdict(False, [str(exc)], ["an input on the boundary z = 0"])
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
        Exercise("sigmoid", A, "sigmoid(z)", 1, _sigmoid_visible, _sigmoid_hidden, _act("sigmoid"),
                 [Mistake("sign of the exponent flipped: sigmoid(z) = 1 / (1 + exp(-z))",
                          lambda c: 1 - np_(keras().activations.sigmoid(f64(arg(c, 0, "z"))))),
                  Mistake("that is tanh, not the sigmoid", lambda c: np.tanh(f64(arg(c, 0, "z"))))],
                 no_warnings=True,
                 warning_hint="overflow in exp: np.exp(-z) overflows for z << 0; use np.exp(-np.logaddexp(0, -z)) or split z >= 0 / z < 0"),
        Exercise("relu", A, "relu(z)", 1, _relu_visible, _relu_hidden, _act("relu"),
                 [Mistake("returned the step function (the derivative of ReLU), not max(z, 0)",
                          lambda c: (f64(arg(c, 0, "z")) > 0).astype(float)),
                  Mistake("returned |z|", lambda c: np.abs(f64(arg(c, 0, "z"))))]),
        Exercise("leaky_relu", A, "leaky_relu(z, negative_slope=0.1)", 1, _slope_visible, _slope_hidden,
                 _act("leaky_relu", negative_slope=0.1),
                 [Mistake("negative_slope ignored (always 0.1)", lambda c: np.where(f64(c.args[0]) >= 0, f64(c.args[0]), 0.1 * f64(c.args[0]))),
                  Mistake("the default negative_slope must be 0.1 (Keras's own default is 0.2)",
                          lambda c: np.where(f64(c.args[0]) >= 0, f64(c.args[0]), 0.2 * f64(c.args[0]))),
                  Mistake("the slope is applied to the positive side",
                          lambda c: np.where(f64(c.args[0]) >= 0, arg(c, 1, "negative_slope", 0.1) * f64(c.args[0]), f64(c.args[0])))]),
        Exercise("elu", A, "elu(z, alpha=1.0)", 1, _elu_visible, _elu_hidden, _act("elu", alpha=1.0),
                 [Mistake("alpha ignored", lambda c: np.where(f64(c.args[0]) > 0, f64(c.args[0]), np.expm1(np.minimum(f64(c.args[0]), 0)))),
                  Mistake("the -1 is missing: elu(z) = alpha * (exp(z) - 1) for z <= 0",
                          lambda c: np.where(f64(c.args[0]) > 0, f64(c.args[0]), arg(c, 1, "alpha", 1.0) * np.exp(np.minimum(f64(c.args[0]), 0))))]),
        Exercise("softmax", A, "softmax(z, axis=-1)", 2, _softmax_visible, _softmax_hidden, _softmax_expected,
                 _softmax_mistakes()),
        Exercise("dense_forward", A, "dense_forward(x, kernel, bias, activation=None)", 2, _dense_visible,
                 _dense_hidden, _dense_expected, _dense_mistakes()),
        Exercise("mean_squared_error", A, "mean_squared_error(y_true, y_pred)", 1, _mse_visible, _mse_hidden,
                 _loss_expected("MeanSquaredError"), _mse_mistakes()),
        Exercise("binary_crossentropy", A, "binary_crossentropy(y_true, y_pred)", 1, _bce_visible, _bce_hidden,
                 _loss_expected("BinaryCrossentropy"), _bce_mistakes()),
        Exercise("categorical_crossentropy", A, "categorical_crossentropy(y_true, y_pred)", 1, _cce_visible,
                 _cce_hidden, _loss_expected("CategoricalCrossentropy"), _cce_mistakes()),
        Exercise("nand_weights", A, "nand_weights()", 1, lambda: [C("NAND truth table")], none,
                 judge=_logic_judge("NAND")),
        Exercise("xor_network", A, "xor_network()", 2, lambda: [C("XOR truth table")], none,
                 judge=_logic_judge("XOR")),
    ]
