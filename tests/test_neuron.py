"""coursekit.neuron against Keras 3 / TensorFlow, plus the lecture notes' worked examples."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from coursekit import neuron as N

# Keras warns (rightly, for a model) about softmax over an axis of size 1; random shapes hit it.
pytestmark = pytest.mark.filterwarnings("ignore:You are using a softmax over axis:UserWarning")

F32 = dict(rtol=1e-5, atol=1e-6)
# float64: TF keeps scalar op attributes (leaky_relu alpha) in float32, a relative error of 1.5e-8.
F64 = dict(rtol=1e-7, atol=1e-12)


def tol(dtype):
    return F32 if np.dtype(dtype) == np.float32 else F64


def random_shape(rng, min_ndim=1, max_ndim=4):
    return tuple(int(s) for s in rng.integers(1, 6, size=rng.integers(min_ndim, max_ndim + 1)))


def random_z(rng, dtype, scale=3.0, min_ndim=1):
    return (scale * rng.standard_normal(random_shape(rng, min_ndim))).astype(dtype)


# ------------------------------------------------------------------ activations vs Keras

ELEMENTWISE = [
    ("sigmoid", lambda k, z: k.activations.sigmoid(z), N.sigmoid),
    ("tanh", lambda k, z: k.activations.tanh(z), N.tanh),
    ("relu", lambda k, z: k.activations.relu(z), N.relu),
    ("leaky_relu_0.1", lambda k, z: k.activations.leaky_relu(z, negative_slope=0.1), N.leaky_relu),
    ("leaky_relu_0.3", lambda k, z: k.activations.leaky_relu(z, negative_slope=0.3),
     lambda z: N.leaky_relu(z, negative_slope=0.3)),
    ("elu_1", lambda k, z: k.activations.elu(z, alpha=1.0), N.elu),
    ("elu_0.5", lambda k, z: k.activations.elu(z, alpha=0.5), lambda z: N.elu(z, alpha=0.5)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,keras_fn,ours", ELEMENTWISE, ids=[e[0] for e in ELEMENTWISE])
def test_activation_matches_keras(keras, rng, name, keras_fn, ours, dtype):
    for _ in range(10):
        z = random_z(rng, dtype)
        z_copy = z.copy()
        got = ours(z)
        np.testing.assert_array_equal(z, z_copy)
        assert got.shape == z.shape and got.dtype == dtype
        np.testing.assert_allclose(got, np.asarray(keras_fn(keras, z)), **tol(dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_no_overflow_warning_and_matches_keras_far_out(keras, dtype):
    z = np.linspace(-1e4, 1e4, 20001).astype(dtype)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        warnings.simplefilter("error")
        s = N.sigmoid(z)
        N.sigmoid_derivative(z)
        N.elu(z)
        N.elu_derivative(z)
    assert np.all((s >= 0) & (s <= 1))
    np.testing.assert_allclose(s, np.asarray(keras.activations.sigmoid(z)), **tol(dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_matches_keras_random_shapes_and_axes(keras, rng, dtype):
    for _ in range(20):
        z = random_z(rng, dtype)
        axis = int(rng.integers(-z.ndim, z.ndim))
        z_copy = z.copy()
        got = N.softmax(z, axis=axis)
        np.testing.assert_array_equal(z, z_copy)
        np.testing.assert_allclose(got, np.asarray(keras.activations.softmax(z, axis=axis)), **tol(dtype))
        np.testing.assert_allclose(got.sum(axis=axis), 1.0, rtol=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_stable_for_large_logits(keras, rng, dtype):
    z = (1e3 + 5 * rng.standard_normal((4, 6))).astype(dtype)
    z[0, 0] = -1e3
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        warnings.simplefilter("error")
        got = N.softmax(z)
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, np.asarray(keras.activations.softmax(z)), **tol(dtype))


def test_softmax_of_the_seminar_cat_dog_horse_table():
    # Ledda's seminar (Cagliari Digital Lab): logits per row (cat, dog, horse) and their printed softmax (2 decimals).
    logits = np.array([[5, 4, 2], [4, 2, 8], [4, 4, 1]], dtype=float)
    printed = np.array([[0.71, 0.26, 0.04], [0.02, 0.00, 0.98], [0.49, 0.49, 0.02]])
    got = N.softmax(logits)
    np.testing.assert_allclose(got, printed, atol=0.005 + 1e-12)
    # exact value of one entry by hand
    assert got[0, 0] == pytest.approx(math.exp(5) / (math.exp(5) + math.exp(4) + math.exp(2)), rel=1e-12)


def test_maxout_matches_tf(tf, rng):
    for _ in range(10):
        batch, units, pieces = (int(v) for v in rng.integers(1, 5, size=3))
        z = rng.standard_normal((batch, units * pieces))
        ref = tf.reduce_max(tf.reshape(tf.constant(z), (batch, units, pieces)), axis=-1).numpy()
        np.testing.assert_allclose(N.maxout(z, pieces), ref, **F64)
        zt = tf.Variable(z)
        with tf.GradientTape() as tape:
            out = tf.reduce_sum(tf.reduce_max(tf.reshape(zt, (batch, units, pieces)), axis=-1))
        np.testing.assert_allclose(N.maxout_derivative(z, pieces), tape.gradient(out, zt).numpy(), **F64)
    with pytest.raises(ValueError, match="num_pieces"):
        N.maxout(np.zeros((2, 5)), 2)


# ------------------------------------------------------------------ derivatives vs GradientTape

DERIVATIVES = [
    ("sigmoid", N.sigmoid_derivative, lambda tf, z: tf.math.sigmoid(z)),
    ("tanh", N.tanh_derivative, lambda tf, z: tf.math.tanh(z)),
    ("relu", N.relu_derivative, lambda tf, z: tf.nn.relu(z)),
    ("leaky_relu", N.leaky_relu_derivative, lambda tf, z: tf.nn.leaky_relu(z, alpha=0.1)),
    ("leaky_relu_0.3", lambda z: N.leaky_relu_derivative(z, 0.3), lambda tf, z: tf.nn.leaky_relu(z, alpha=0.3)),
    ("elu", N.elu_derivative, None),
    ("elu_0.5", lambda z: N.elu_derivative(z, 0.5), None),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,ours,tf_fn", DERIVATIVES, ids=[d[0] for d in DERIVATIVES])
def test_derivative_matches_gradient_tape(keras, tf, rng, name, ours, tf_fn, dtype):
    if tf_fn is None:  # elu through Keras's own op (its alpha != 1 branch is a tf.where)
        alpha = 0.5 if name.endswith("0.5") else 1.0
        tf_fn = lambda tf, z: keras.activations.elu(z, alpha=alpha)  # noqa: E731
    z = random_z(rng, dtype, min_ndim=2)
    z.flat[0] = 0.0  # the kink: TF's convention there is part of the contract
    zv = tf.Variable(z)
    with tf.GradientTape() as tape:
        out = tf.reduce_sum(tf_fn(tf, zv))
    expected = tape.gradient(out, zv).numpy()
    z_copy = z.copy()
    got = ours(z)
    np.testing.assert_array_equal(z, z_copy)
    np.testing.assert_allclose(got, expected, **tol(dtype))


def test_step_and_its_derivative():
    z = np.array([-2.0, -1e-12, 0.0, 1e-12, 3.0])
    np.testing.assert_array_equal(N.step(z), [0, 0, 1, 1, 1])
    np.testing.assert_array_equal(N.step_derivative(z), np.zeros(5))


def test_softmax_jacobian_matches_tape(tf, rng):
    z = rng.standard_normal(5)
    zv = tf.Variable(z)
    with tf.GradientTape() as tape:
        s = tf.nn.softmax(zv)
    np.testing.assert_allclose(N.softmax_jacobian(z), tape.jacobian(s, zv).numpy(), **F64)


# ------------------------------------------------------------------ dense layer

@pytest.mark.parametrize("activation", [None, "linear", "sigmoid", "tanh", "relu", "softmax"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dense_forward_matches_keras_dense(keras, rng, activation, dtype):
    for _ in range(3):
        batch, fin, units = (int(v) for v in rng.integers(1, 7, size=3))
        x = rng.standard_normal((batch, fin)).astype(dtype)
        kernel = rng.standard_normal((fin, units)).astype(dtype)
        bias = rng.standard_normal(units).astype(dtype)
        copies = [a.copy() for a in (x, kernel, bias)]
        layer = keras.layers.Dense(units, activation=activation, dtype=np.dtype(dtype).name)
        layer.build((None, fin))
        layer.set_weights([kernel, bias])
        got = N.dense_forward(x, kernel, bias, activation)
        for a, c in zip((x, kernel, bias), copies):
            np.testing.assert_array_equal(a, c)
        assert got.shape == (batch, units)
        np.testing.assert_allclose(got, np.asarray(layer(x)), rtol=1e-5, atol=1e-5)


def test_dense_forward_errors_name_the_arguments():
    x, k, b = np.zeros((4, 3)), np.zeros((3, 2)), np.zeros(2)
    with pytest.raises(ValueError, match=r"activation.*'sigmoid'.*'softmax'.*'gelu'"):
        N.dense_forward(x, k, b, "gelu")
    with pytest.raises(ValueError, match=r"x has 5 features.*kernel.*3"):
        N.dense_forward(np.zeros((4, 5)), k, b)
    with pytest.raises(ValueError, match=r"bias must have shape \(units,\) = \(2,\).*\(3,\)"):
        N.dense_forward(x, k, np.zeros(3))
    with pytest.raises(ValueError, match=r"kernel must be 2-D"):
        N.dense_forward(x, np.zeros(3), b)
    with pytest.raises(ValueError, match=r"x must be at least 1-D"):
        N.dense_forward(1.0, k, b)


# ------------------------------------------------------------------ losses

def _is_scalar(v):
    return np.ndim(v) == 0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_regression_losses_match_keras(keras, rng, dtype):
    for _ in range(10):
        shape = random_shape(rng, 1, 3)
        yt, yp = (rng.standard_normal(shape).astype(dtype) for _ in range(2))
        copies = (yt.copy(), yp.copy())
        for ours, ref in ((N.mean_squared_error, keras.losses.MeanSquaredError()),
                          (N.mean_absolute_error, keras.losses.MeanAbsoluteError())):
            got = ours(yt, yp)
            assert _is_scalar(got)
            np.testing.assert_allclose(got, float(ref(yt, yp)), rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(yt, copies[0])
        np.testing.assert_array_equal(yp, copies[1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_crossentropy_matches_keras_including_clipping(keras, rng, dtype):
    ref = keras.losses.BinaryCrossentropy()
    for _ in range(10):
        shape = random_shape(rng, 1, 3)
        yt = rng.integers(0, 2, size=shape).astype(dtype)
        yp = rng.uniform(size=shape).astype(dtype)
        yp.flat[0] = 1.0 - yt.flat[0]  # confidently wrong: only the 1e-7 clip keeps it finite
        if yp.size > 1:
            yp.flat[1] = yt.flat[1]    # exactly right: log(1 - 1) without the clip
        copies = (yt.copy(), yp.copy())
        got = N.binary_crossentropy(yt, yp)
        assert _is_scalar(got) and np.isfinite(got)
        np.testing.assert_allclose(got, float(ref(yt, yp)), rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(yt, copies[0])
        np.testing.assert_array_equal(yp, copies[1])
    # labels (n,) against predictions (n, 1), as Keras accepts
    yt, yp = np.array([0.0, 1.0, 1.0]), np.array([[0.2], [0.9], [0.4]])
    np.testing.assert_allclose(N.binary_crossentropy(yt, yp), float(ref(yt, yp)), rtol=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_categorical_crossentropy_matches_keras(keras, rng, dtype):
    ref = keras.losses.CategoricalCrossentropy()
    for i in range(10):
        batch, classes = int(rng.integers(1, 7)), int(rng.integers(2, 7))
        yt = np.eye(classes, dtype=dtype)[rng.integers(0, classes, size=batch)]
        yp = N.softmax(3 * rng.standard_normal((batch, classes))).astype(dtype)
        if i % 3 == 1:   # a zero probability on the true class: clipped to 1e-7
            yp[0] = 1.0 - yt[0]
            yp[0] /= max(yp[0].sum(), 1.0)
        if i % 3 == 2:   # rows that do not sum to one: Keras renormalises first
            yp = yp * rng.uniform(0.5, 2.0, size=(batch, 1)).astype(dtype)
        copies = (yt.copy(), yp.copy())
        got = N.categorical_crossentropy(yt, yp)
        assert _is_scalar(got) and np.isfinite(got)
        np.testing.assert_allclose(got, float(ref(yt, yp)), rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(yt, copies[0])
        np.testing.assert_array_equal(yp, copies[1])


def test_seminar_cross_entropy_worked_values():
    # Ledda's seminar (Cagliari Digital Lab): label (0, 1); outputs (0.83, 0.17) and (0.21, 0.79).
    a = N.categorical_crossentropy(np.array([[0.0, 1.0]]), np.array([[0.83, 0.17]]))
    b = N.categorical_crossentropy(np.array([[0.0, 1.0]]), np.array([[0.21, 0.79]]))
    assert a == pytest.approx(-math.log(0.17), rel=1e-9) and round(a, 2) == 1.77
    # -log 0.79 = 0.2357: the seminar's "0.23" is truncated; rounded to two decimals it is 0.24.
    assert b == pytest.approx(-math.log(0.79), rel=1e-9) and math.floor(b * 100) / 100 == 0.23
    assert round(b, 2) == 0.24
    # the same numbers through the binary form (p = probability of class 1)
    assert N.binary_crossentropy(np.array([1.0]), np.array([0.17])) == pytest.approx(a, rel=1e-9)


def test_losses_reject_mismatched_shapes():
    with pytest.raises(ValueError, match=r"y_true and y_pred.*\(3,\).*\(4,\)"):
        N.mean_squared_error(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match=r"y_true and y_pred.*\(2, 3\).*\(2, 4\)"):
        N.categorical_crossentropy(np.zeros((2, 3)), np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"y_pred must be at least 1-D"):
        N.binary_crossentropy(np.zeros(3), 0.5)


# ------------------------------------------------------------------ Salvatore's neuron (IUSS Pavia)

def test_lecture_sigmoid_worked_example_is_wrong_in_the_notes():
    # Salvatore's slide: "0.7 = Sigmoid(185 x 0.0006 + 85 x 0.0002 + 1) = Sigmoid(0.111 + 0.281 + 1)
    # = Sigmoid(1.281)". In fact 85 x 0.0002 = 0.017, so t = 1.128 and sigmoid(t) = 0.7555.
    t = 185 * 0.0006 + 85 * 0.0002 + 1
    assert t == pytest.approx(1.128)
    true = 1.0 / (1.0 + math.exp(-t))
    got = float(N.dense_forward(np.array([[185.0, 85.0]]), np.array([[0.0006], [0.0002]]),
                                np.array([1.0]), "sigmoid")[0, 0])
    assert got == pytest.approx(true, rel=1e-12)
    assert round(got, 2) == 0.76 and abs(got - 0.7) > 0.05          # not the slide's 0.7
    assert abs(float(N.sigmoid(1.281)) - 0.7) > 0.05                 # not even for its own t
    # its squared error against label 0 is then 0.571, not the slide's 0.49
    assert N.mean_squared_error(np.array([0.0]), np.array([got])) == pytest.approx(true ** 2)


# ------------------------------------------------------------------ perceptrons

X4 = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)


def test_nand_weights_truth_table_no_point_on_boundary():
    w, b = N.nand_weights()
    z = X4 @ np.asarray(w, float) + b
    assert np.all(np.abs(z) > 0.5)
    np.testing.assert_array_equal((z >= 0).astype(float), [1, 1, 1, 0])
    np.testing.assert_array_equal(N.perceptron_predict(X4, w, b), [1, 1, 1, 0])


def test_xor_network_truth_table_no_point_on_boundary():
    (W1, b1), (W2, b2) = N.xor_network()
    z1 = X4 @ W1 + b1
    h = (z1 >= 0).astype(float)
    z2 = h @ W2 + b2
    assert np.all(np.abs(z1) > 0.5) and np.all(np.abs(z2) > 0.5)
    np.testing.assert_array_equal((z2 >= 0).astype(float).ravel(), [0, 1, 1, 0])
    np.testing.assert_array_equal(N.perceptron_network_predict(X4, N.xor_network()).ravel(), [0, 1, 1, 0])


def test_xor_is_not_linearly_separable_by_a_random_search(rng):
    # No single perceptron computes XOR: a sanity check of the lecture's claim on 2000 random lines.
    w = rng.standard_normal((2000, 2))
    b = rng.standard_normal(2000)
    out = (X4 @ w.T + b >= 0)
    assert not np.any(np.all(out == np.array([[0], [1], [1], [0]], bool), axis=0))


def test_bad_input_types_are_named():
    with pytest.raises(TypeError, match="z must be a numeric array"):
        N.sigmoid(np.array(["a", "b"]))
    with pytest.raises(ValueError, match=r"axis \(for z of shape \(2, 3\)\) must be an int in \[-2, 1\]; got 2"):
        N.softmax(np.zeros((2, 3)), axis=2)


# ------------------------------------------------------------------ perceptron rule, entropy, KL

def _rosenblatt(x, y, epochs):
    """Rosenblatt's rule written out plainly, for comparison."""
    w, b, history = [0.0] * x.shape[1], 0.0, []
    for _ in range(epochs):
        mistakes = 0
        for xi, yi in zip(x.tolist(), y.tolist()):
            out = 1.0 if sum(wj * xj for wj, xj in zip(w, xi)) + b >= 0 else 0.0
            if out != yi:
                w = [wj + (yi - out) * xj for wj, xj in zip(w, xi)]
                b += yi - out
                mistakes += 1
        history.append(mistakes)
        if mistakes == 0:
            break
    return w, b, history


def test_perceptron_rule_converges_on_separable_data_and_not_on_xor(rng):
    x = rng.standard_normal((60, 2))
    y = (x @ np.array([1.0, -2.0]) + 0.3 >= 0).astype(float)
    w, b, errors = N.perceptron_train(x, y, epochs=500)
    w_ref, b_ref, errors_ref = _rosenblatt(x, y, 500)
    np.testing.assert_allclose(w, w_ref)
    assert b == pytest.approx(b_ref) and errors == errors_ref
    assert errors[-1] == 0
    np.testing.assert_array_equal(N.perceptron_predict(x, w, b), y)
    _, _, xor_errors = N.perceptron_train(X4, np.array([0.0, 1.0, 1.0, 0.0]), epochs=50)
    assert len(xor_errors) == 50 and min(xor_errors) > 0
    x_in = x.copy()
    N.perceptron_train(x, y)
    np.testing.assert_array_equal(x, x_in)


def test_entropy_cross_entropy_kl_against_scipy(rng):
    from scipy.stats import entropy as scipy_entropy

    for _ in range(20):
        p, q = rng.dirichlet(np.ones(5)), rng.dirichlet(np.ones(5))
        assert N.entropy(p) == pytest.approx(scipy_entropy(p))
        assert N.kl_divergence(p, q) == pytest.approx(scipy_entropy(p, q))
        assert N.cross_entropy(p, q) == pytest.approx(-np.sum(p * np.log(q)))
        assert N.kl_divergence(p, q) >= 0
    assert N.entropy([0.0, 1.0]) == 0.0 and not np.signbit(N.entropy([0.0, 1.0]))
    assert N.cross_entropy([0.0, 1.0], [0.83, 0.17]) == pytest.approx(-math.log(0.17))
    with pytest.raises(ValueError, match="probability distribution"):
        N.entropy([0.5, 0.6])


def test_binary_cross_entropy_is_the_cross_entropy_of_two_point_distributions(rng):
    y = rng.integers(0, 2, 10).astype(float)
    p = rng.uniform(0.05, 0.95, 10)
    per = [N.cross_entropy([yi, 1 - yi], [pi, 1 - pi]) for yi, pi in zip(y, p)]
    assert N.binary_crossentropy(y, p) == pytest.approx(np.mean(per), rel=1e-6)


@pytest.mark.parametrize("activation", [None, "linear", "sigmoid", "tanh", "relu", "softmax"])
def test_checker_reference_is_the_keras_dense_layer(keras, rng, activation):
    """The grader's expected dense_forward (matmul, bias, activation as Dense.call does) equals the layer."""
    from coursekit.checks.common import make_case
    from coursekit.checks.neuron import _dense_expected

    x, kernel, bias = rng.standard_normal((4, 3)), rng.standard_normal((3, 5)), rng.standard_normal(5)
    layer = keras.layers.Dense(5, activation=activation, dtype="float64")
    layer.build((None, 3))
    layer.set_weights([kernel, bias])
    got = _dense_expected(make_case("dense", x, kernel, bias, activation))
    np.testing.assert_allclose(got, np.asarray(layer(x)), rtol=1e-12, atol=1e-12)
