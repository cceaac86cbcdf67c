"""coursekit.backprop against tf.GradientTape / keras.losses / keras.Sequential.

Every reference value here is computed by TensorFlow or Keras in the test; nothing is copied
from the code under test.  Float32 cases use float32 tolerances, float64 cases tight ones
(the Keras layers and losses are built with dtype="float64" so TF really computes in float64).
"""

from __future__ import annotations

import numpy as np
import pytest

from coursekit import backprop as bp
from coursekit.data import digits_5x5
from coursekit.gradient_descent import numerical_gradient

DTYPES = (np.float32, np.float64)


def tol(dtype):
    return dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)


def readonly(*arrays):
    """Copies flagged read-only: any in-place write by the code under test raises."""
    out = []
    for a in arrays:
        a = np.array(a, copy=True)
        a.setflags(write=False)
        out.append(a)
    return out


def random_shape(rng, ndim=None):
    ndim = int(rng.integers(1, 4)) if ndim is None else ndim
    return tuple(int(s) for s in rng.integers(1, 7, size=ndim))


# ------------------------------------------------------------------------------------------
# activations
# ------------------------------------------------------------------------------------------

def _tape_grad(tf, fn, z, dout):
    zt = tf.constant(z)
    with tf.GradientTape() as tape:
        tape.watch(zt)
        out = fn(zt)
    return tape.gradient(out, zt, output_gradients=tf.constant(dout)).numpy()


@pytest.mark.parametrize("dtype", DTYPES)
def test_activation_backwards_match_gradient_tape(keras, tf, rng, dtype):
    acts = keras.activations
    # TF's LeakyRelu keeps its slope as a float32 attribute, so in float64 it computes with
    # float32(0.1) = 0.10000000149: relative differences of 1.5e-8 are TF's, not ours.
    f32_slope = dict(rtol=1e-7, atol=1e-12) if dtype == np.float64 else tol(dtype)
    cases = [
        (bp.sigmoid_backward, acts.sigmoid, tol(dtype)),
        (bp.relu_backward, acts.relu, tol(dtype)),
        (bp.tanh_backward, acts.tanh, tol(dtype)),
        (lambda d, z: bp.leaky_relu_backward(d, z), lambda z: acts.leaky_relu(z, negative_slope=0.1), f32_slope),
        (lambda d, z: bp.leaky_relu_backward(d, z, 0.25), lambda z: acts.leaky_relu(z, negative_slope=0.25),
         tol(dtype)),
        (lambda d, z: bp.elu_backward(d, z), lambda z: acts.elu(z), tol(dtype)),
        (lambda d, z: bp.elu_backward(d, z, alpha=0.5), lambda z: acts.elu(z, alpha=0.5), tol(dtype)),
    ]
    for ours, theirs, tolerance in cases:
        for _ in range(4):
            shape = random_shape(rng)
            z = (rng.normal(size=shape) * 4).astype(dtype)
            dout = rng.normal(size=shape).astype(dtype)
            z_ro, dout_ro = readonly(z, dout)
            got = ours(dout_ro, z_ro)
            want = _tape_grad(tf, theirs, z, dout)
            assert got.shape == shape and got.dtype == dtype
            np.testing.assert_allclose(got, want, **tolerance)
            np.testing.assert_array_equal(z_ro, z)


def test_relu_backward_at_zero_and_sigmoid_extremes(tf, keras):
    z = np.array([-1.0, 0.0, 1.0, -1e4, 1e4])
    dout = np.ones_like(z)
    np.testing.assert_array_equal(bp.relu_backward(dout, z), _tape_grad(tf, keras.activations.relu, z, dout))
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # no warning at +-1e4
        got = bp.sigmoid_backward(dout, z)
    np.testing.assert_allclose(got, _tape_grad(tf, keras.activations.sigmoid, z, dout), atol=1e-15)


# ------------------------------------------------------------------------------------------
# dense layer and losses
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
def test_dense_backward_matches_keras_dense(keras, tf, rng, dtype):
    for _ in range(5):
        n, d, m = (int(v) for v in rng.integers(1, 9, size=3))
        x, kernel, bias, dout = (rng.normal(size=s).astype(dtype) for s in ((n, d), (d, m), (m,), (n, m)))
        layer = keras.layers.Dense(m, dtype=np.dtype(dtype).name)
        layer.build((None, d))
        layer.set_weights([kernel, bias])
        xt = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(xt)
            s = tf.reduce_sum(layer(xt) * dout)
        want_dx, want_dk, want_db = tape.gradient(s, [xt, layer.kernel, layer.bias])
        x_ro, k_ro, d_ro = readonly(x, kernel, dout)
        dx, dk, db = bp.dense_backward(d_ro, x_ro, k_ro)
        for got, want in ((dx, want_dx), (dk, want_dk), (db, want_db)):
            assert got.dtype == dtype
            np.testing.assert_allclose(got, want.numpy(), **tol(dtype))


def test_dense_backward_accepts_leading_axes(tf, rng):
    x, kernel, dout = rng.normal(size=(2, 3, 4)), rng.normal(size=(4, 5)), rng.normal(size=(2, 3, 5))
    xt, kt = tf.constant(x), tf.constant(kernel)
    with tf.GradientTape() as tape:
        tape.watch([xt, kt])
        s = tf.reduce_sum(tf.einsum("abi,ij->abj", xt, kt) * dout)
    want_dx, want_dk = tape.gradient(s, [xt, kt])
    dx, dk, db = bp.dense_backward(dout, x, kernel)
    np.testing.assert_allclose(dx, want_dx.numpy(), rtol=1e-12)
    np.testing.assert_allclose(dk, want_dk.numpy(), rtol=1e-12)
    np.testing.assert_allclose(db, dout.sum(axis=(0, 1)), rtol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_cross_entropy_backward_matches_keras_loss(keras, tf, rng, dtype):
    loss = keras.losses.CategoricalCrossentropy(from_logits=True, dtype=np.dtype(dtype).name)
    shapes = [(1, 2), (5, 3), (7, 10), (4,), (2, 3, 4)]
    for shape in shapes:
        for soft, scale in ((False, 3.0), (True, 3.0), (False, 1e3)):
            logits = (rng.normal(size=shape) * scale).astype(dtype)
            if soft:  # probability labels (rows sum to 1), not only one-hot
                y = rng.random(size=shape)
                y = (y / y.sum(axis=-1, keepdims=True)).astype(dtype)
            else:
                y = np.eye(shape[-1])[rng.integers(0, shape[-1], size=shape[:-1])].astype(dtype)
            lt = tf.constant(logits)
            with tf.GradientTape() as tape:
                tape.watch(lt)
                value = loss(tf.constant(y), lt)
            want = tape.gradient(value, lt).numpy()
            l_ro, y_ro = readonly(logits, y)
            got = bp.softmax_cross_entropy_backward(l_ro, y_ro)
            assert got.shape == shape and got.dtype == dtype
            assert np.all(np.isfinite(got))
            np.testing.assert_allclose(got, want, **tol(dtype))
            # the forward loss, a scalar
            ours = bp.softmax_cross_entropy(l_ro, y_ro)
            assert isinstance(ours, float)
            np.testing.assert_allclose(ours, float(value), rtol=1e-5 if dtype == np.float32 else 1e-10)


@pytest.mark.parametrize("dtype", DTYPES)
def test_mse_backward_matches_keras_loss(keras, tf, rng, dtype):
    loss = keras.losses.MeanSquaredError(dtype=np.dtype(dtype).name)
    for _ in range(8):
        shape = random_shape(rng)
        y_true, y_pred = (rng.normal(size=shape).astype(dtype) for _ in range(2))
        pt = tf.constant(y_pred)
        with tf.GradientTape() as tape:
            tape.watch(pt)
            value = loss(tf.constant(y_true), pt)
        want = tape.gradient(value, pt).numpy()
        got = bp.mse_backward(*readonly(y_true, y_pred))
        assert got.shape == shape and got.dtype == dtype
        np.testing.assert_allclose(got, want, **tol(dtype))


# ------------------------------------------------------------------------------------------
# MLP forward / backward vs keras.Sequential
# ------------------------------------------------------------------------------------------

def _random_mlp(rng, dtype, n_hidden):
    sizes = [int(rng.integers(2, 7))] + [int(rng.integers(2, 9)) for _ in range(n_hidden)] + [int(rng.integers(2, 6))]
    params = [(rng.normal(size=(a, b)).astype(dtype) * 0.8, rng.normal(size=b).astype(dtype) * 0.3)
              for a, b in zip(sizes[:-1], sizes[1:])]
    return sizes, params


def _sequential(keras, sizes, params, activation, dtype):
    name = np.dtype(dtype).name
    layers = [keras.Input(shape=(sizes[0],), dtype=name)]
    if activation == "leaky_relu":
        # the lecture's slope 0.1 (Keras's "leaky_relu" string means 0.2); written with keras.ops
        # because keras.activations.leaky_relu rounds the slope to float32 even for float64 inputs
        activation = lambda z: keras.ops.where(z > 0, z, 0.1 * z)  # noqa: E731
    layers += [keras.layers.Dense(s, activation=activation, dtype=name) for s in sizes[1:-1]]
    layers += [keras.layers.Dense(sizes[-1], dtype=name)]
    model = keras.Sequential(layers)
    model.set_weights([w for pair in params for w in pair])
    return model


MLP_CASES = [(act, n_hidden, dtype) for act in ("relu", "sigmoid", "tanh", "elu", "leaky_relu")
             for n_hidden in (1, 2, 3) for dtype in DTYPES]


@pytest.mark.parametrize("activation,n_hidden,dtype", MLP_CASES)
def test_mlp_forward_and_backward_match_keras_sequential(keras, tf, rng, activation, n_hidden, dtype):
    sizes, params = _random_mlp(rng, dtype, n_hidden)
    n = int(rng.integers(1, 12))
    x = rng.normal(size=(n, sizes[0])).astype(dtype)
    y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], size=n)].astype(dtype)
    model = _sequential(keras, sizes, params, activation, dtype)
    loss_fn = keras.losses.CategoricalCrossentropy(from_logits=True, dtype=np.dtype(dtype).name)
    with tf.GradientTape() as tape:
        logits = model(tf.constant(x))
        loss = loss_fn(tf.constant(y), logits)
    want_grads = tape.gradient(loss, model.trainable_weights)

    x_ro, y_ro = readonly(x, y)
    params_ro = [tuple(readonly(k, b)) for k, b in params]
    got_logits = bp.mlp_forward(x_ro, params_ro, hidden_activation=activation)
    assert got_logits.shape == (n, sizes[-1]) and got_logits.dtype == dtype
    np.testing.assert_allclose(got_logits, logits.numpy(), **tol(dtype))

    got_loss, got_grads = bp.mlp_backward(x_ro, y_ro, params_ro, hidden_activation=activation)
    np.testing.assert_allclose(got_loss, float(loss), rtol=1e-5 if dtype == np.float32 else 1e-10)
    assert len(got_grads) == len(params)
    flat = [g for pair in got_grads for g in pair]
    for got, want, ref in zip(flat, want_grads, [w for pair in params for w in pair]):
        assert got.shape == ref.shape and got.dtype == dtype
        np.testing.assert_allclose(got, want.numpy(), **tol(dtype))


def test_gradient_check_separates_right_from_wrong_gradients(rng):
    sizes, params = _random_mlp(rng, np.float64, 2)
    x = rng.normal(size=(6, sizes[0]))
    y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], size=6)]

    def loss_of_first_kernel(k):
        return bp.mlp_backward(x, y, [(k, params[0][1])] + params[1:], "sigmoid")[0]

    _, grads = bp.mlp_backward(x, y, params, "sigmoid")
    # a real bug: forgetting the f'(z) factor of BP2 (backprop as if the net were linear)
    _, buggy = bp.mlp_backward(x, y, params, "linear")
    k0 = readonly(params[0][0])[0]
    right = bp.gradient_check(loss_of_first_kernel, k0, grads[0][0])
    wrong = bp.gradient_check(loss_of_first_kernel, k0, buggy[0][0])
    flipped = bp.gradient_check(loss_of_first_kernel, k0, -grads[0][0])
    assert isinstance(right, float)
    assert right < 1e-6
    assert wrong > 1e-2
    assert flipped > 0.99  # -a vs a: norm(2a) / 2 norm(a) = 1
    np.testing.assert_array_equal(k0, params[0][0])


def test_gradient_check_on_the_contract_formula():
    # f(x) = sum(x**3): gradient 3x**2; relative error by the contract's formula, zero-gradient case too
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    assert bp.gradient_check(lambda v: np.sum(v**3), x, 3 * x**2) < 1e-9
    assert bp.gradient_check(lambda v: 0.0, x, np.zeros_like(x)) == 0.0
    err = bp.gradient_check(lambda v: np.sum(v**3), x, 3 * x**2 + 1.0)
    n = 3 * x**2
    np.testing.assert_allclose(err, np.linalg.norm(np.ones_like(x)) / (np.linalg.norm(n + 1) + np.linalg.norm(n)),
                               rtol=1e-6)


# ------------------------------------------------------------------------------------------
# Salvatore (IUSS Pavia): the height / abdominal-circumference neuron, derivatives by hand
# ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("w1,w2,b,a1,a2,expected", [
    (0.0006, 0.0002, 1.0, 185.0, 85.0, 0.0),   # the lecture's worked example (H = 185, AC = 85, healthy)
    (0.0005, 0.0001, 0.0008, 178.0, 94.0, 0.0),
    (0.3, -0.2, 0.1, 2.0, 5.0, 1.0),           # the lecture's symbolic case t = 2 w1 + 5 w2 + b, target 1
])
def test_hand_derivatives_match_numerical_and_tape(tf, w1, w2, b, a1, a2, expected):
    got = np.array(bp.sigmoid_neuron_gradients(w1, w2, b, a1, a2, expected))
    numeric = numerical_gradient(lambda p: bp.sigmoid_neuron_cost(p[0], p[1], p[2], a1, a2, expected),
                                 np.array([w1, w2, b]), h=1e-7)
    np.testing.assert_allclose(got, numeric, rtol=1e-6, atol=1e-9)
    v = tf.Variable([w1, w2, b], dtype=tf.float64)
    with tf.GradientTape() as tape:
        cost = (tf.sigmoid(a1 * v[0] + a2 * v[1] + v[2]) - expected) ** 2
    np.testing.assert_allclose(bp.sigmoid_neuron_cost(w1, w2, b, a1, a2, expected), float(cost), rtol=1e-12)
    np.testing.assert_allclose(got, tape.gradient(cost, v).numpy(), rtol=1e-12)


def test_lecture_sigmoid_value_is_wrong():
    # Salvatore's slide: "0.7 = Sigmoid(185 x 0.0006 + 85 x 0.0002 + 1)"; 85 x 0.0002 is 0.017 (not 0.281)
    cost = bp.sigmoid_neuron_cost(0.0006, 0.0002, 1.0, 185, 85, 0.0)
    p = np.sqrt(cost)
    np.testing.assert_allclose(p, 1 / (1 + np.exp(-1.128)), rtol=1e-12)
    assert abs(p - 0.7) > 0.05 and abs(cost - 0.49) > 0.05


# ------------------------------------------------------------------------------------------
# Salvatore's MATLAB programs
# ------------------------------------------------------------------------------------------

def test_sgd_method_is_a_gradient_step_per_sample(tf, rng):
    weight = 2 * rng.random(3) - 1
    inputs, target = bp.SGD_INPUT, bp.SGD_CORRECT_OUTPUT
    w_ro, in_ro = readonly(weight, inputs)
    got = bp.sgd_method(w_ro, in_ro, target, alpha=0.9)
    # reference: for each sample in order, w <- w - 0.9 * d/dw [ (d - sigmoid(w.x))**2 / 2 ]
    w = tf.Variable(weight)
    for k in range(4):
        with tf.GradientTape() as tape:
            e = target[k] - tf.sigmoid(tf.reduce_sum(w * inputs[k]))
            cost = 0.5 * e**2
        w.assign_sub(0.9 * tape.gradient(cost, w))
    np.testing.assert_allclose(got, w.numpy(), rtol=1e-12)
    np.testing.assert_array_equal(w_ro, weight)


def test_training_sgd_method_learns_the_lecture_table():
    # Training.m runs 10000 epochs; 300 already show the behaviour: the squared error falls at
    # every checkpoint and each output is on the right side of 0.5 with a margin.
    errors = []
    for epochs in (0, 10, 100, 300):
        weight, outputs = bp.training_sgd_method(epochs=epochs, seed=0)
        errors.append(np.mean((outputs - bp.SGD_CORRECT_OUTPUT) ** 2))
    assert weight.shape == (3,)
    assert all(a > b for a, b in zip(errors, errors[1:])), errors
    np.testing.assert_allclose(outputs, bp.SGD_CORRECT_OUTPUT, atol=0.1)
    # the run is Weight = 2*rand(1, 3) - 1, then one sgd_method call (checked against the tape above)
    # per epoch, and testing.m's sigmoid outputs
    expected = 2 * np.random.default_rng(0).random(3) - 1
    for _ in range(300):
        expected = bp.sgd_method(expected, bp.SGD_INPUT, bp.SGD_CORRECT_OUTPUT)
    np.testing.assert_allclose(weight, expected, rtol=1e-12)
    np.testing.assert_allclose(outputs, 1 / (1 + np.exp(-bp.SGD_INPUT @ expected)), rtol=1e-12)


def test_deep_learning_is_a_gradient_step_on_cross_entropy(tf, rng):
    X, Y, _ = digits_5x5()
    ws = [2 * rng.random(s) - 1 for s in ((20, 25), (20, 20), (20, 20), (5, 20))]
    k = 2
    ws_ro = readonly(*ws)
    got = bp.deep_learning(*ws_ro, X[k:k + 1], Y[k:k + 1], alpha=0.01)
    # one sample: each weight moves by -alpha * dE/dW for E = cross-entropy(softmax(W4 r(W3 r(W2 r(W1 x)))))
    variables = [tf.Variable(w) for w in ws]
    x = tf.constant(X[k].T.reshape(25, 1))  # MATLAB's column-major reshape(img, 25, 1)
    with tf.GradientTape() as tape:
        h = x
        for w in variables[:3]:
            h = tf.nn.relu(w @ h)
        logits = tf.transpose(variables[3] @ h)
        loss = tf.nn.softmax_cross_entropy_with_logits(labels=Y[k:k + 1], logits=logits)
    grads = tape.gradient(loss, variables)
    for g, w, new in zip(grads, ws, got):
        np.testing.assert_allclose(new, w - 0.01 * g.numpy(), rtol=1e-10, atol=1e-13)
    for a, b in zip(ws_ro, ws):
        np.testing.assert_array_equal(a, b)


def test_training_network_reaches_100_percent_on_the_5x5_digits(tf):
    X, Y, labels = digits_5x5()
    # TrainingNetwork.m runs 10000 epochs; 100 are enough for every digit, and the loss falls
    losses = []
    for epochs in (0, 20, 100):
        ws = bp.training_network(X, Y, epochs=epochs, seed=0)
        out = bp.deep_learning_predict(*ws, X)
        losses.append(float(tf.keras.losses.categorical_crossentropy(Y, out).numpy().mean()))
    assert losses[0] > losses[1] > losses[2], losses
    assert [w.shape for w in ws] == [(20, 25), (20, 20), (20, 20), (5, 20)]
    assert out.shape == (5, 5)
    np.testing.assert_allclose(out.sum(axis=1), 1.0)
    np.testing.assert_array_equal(out.argmax(axis=1) + 1, labels)  # 100 % training accuracy
    assert out.max(axis=1).min() > 0.9  # and confident, as TestDeepLearning.m's 1.0000
    # the outputs are Keras's for the same weights: relu(W x) three times, then softmax (no biases)
    model = tf.keras.Sequential([tf.keras.Input((25,))] + [
        tf.keras.layers.Dense(w.shape[0], activation=act, use_bias=False)
        for w, act in zip(ws, ("relu", "relu", "relu", "softmax"))])
    model.set_weights([w.T for w in ws])
    flat = X.transpose(0, 2, 1).reshape(5, 25)  # MATLAB's column-major reshape(img, 25, 1)
    np.testing.assert_allclose(out, model(flat).numpy(), rtol=1e-5, atol=1e-7)


# ------------------------------------------------------------------------------------------
# Regularisation, dropout, training loop, vanishing gradients
# ------------------------------------------------------------------------------------------

def test_l1_l2_penalty_matches_keras_regularizer(keras, tf, rng):
    _, params = _random_mlp(rng, np.float64, 2)
    for l1, l2 in ((0.0, 0.01), (0.02, 0.0), (0.03, 0.05)):
        reg = keras.regularizers.L1L2(l1=l1, l2=l2)
        kernels = [tf.Variable(k) for k, _ in params]
        with tf.GradientTape() as tape:
            total = tf.add_n([tf.cast(reg(k), tf.float64) for k in kernels])
        grads = tape.gradient(total, kernels)
        np.testing.assert_allclose(bp.l1_l2_penalty(params, l1, l2), float(total), rtol=1e-6)
        for (dk, db), g, (_, b) in zip(bp.l1_l2_penalty_backward(params, l1, l2), grads, params):
            np.testing.assert_allclose(dk, g.numpy(), rtol=1e-6, atol=1e-12)
            np.testing.assert_array_equal(db, np.zeros_like(b))


def test_dropout_forward_keeps_the_expected_value():
    rate, n = 0.3, 200_000
    x = np.full(n, 2.0)
    out, mask = bp.dropout_forward(x, rate, np.random.default_rng(0))
    std = 2.0 * np.sqrt(rate / (1 - rate) / n)  # std of the mean of out
    assert abs(out.mean() - 2.0) < 4 * std
    assert abs((mask == 0).mean() - rate) < 4 * np.sqrt(rate * (1 - rate) / n)
    assert set(np.unique(mask)) <= {0.0, 1 / (1 - rate)}
    np.testing.assert_array_equal(x, 2.0)
    same, _ = bp.dropout_forward(np.ones(10), 0.0, 1)
    np.testing.assert_array_equal(same, np.ones(10))


@pytest.mark.parametrize("dtype", DTYPES)
def test_dropout_backward_matches_tape_of_the_same_mask(tf, rng, dtype):
    x = rng.normal(size=(4, 7)).astype(dtype)
    dout = rng.normal(size=(4, 7)).astype(dtype)
    out, mask = bp.dropout_forward(x, 0.5, rng)
    assert out.dtype == dtype
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = xt * tf.constant(mask)
    np.testing.assert_allclose(out, y.numpy(), **tol(dtype))
    want = tape.gradient(y, xt, output_gradients=tf.constant(dout)).numpy()
    np.testing.assert_allclose(bp.dropout_backward(dout, mask), want, **tol(dtype))


def _blobs(rng, n, d=4, k=3, noise=1.0):
    centers = rng.normal(size=(k, d)) * 2
    labels = rng.integers(0, k, size=n)
    return centers[labels] + noise * rng.normal(size=(n, d)), np.eye(k)[labels]


def test_train_mlp_batch_mode_equals_gradient_descent_with_tape(keras, tf, rng):
    x, y = _blobs(rng, 30)
    params = bp.init_mlp([4, 8, 3], seed=1)
    snapshot = [(k.copy(), b.copy()) for k, b in params]
    trained, history = bp.train_mlp(x, y, params, learning_rate=0.1, epochs=3, hidden_activation="tanh",
                                    l2=0.01)
    model = _sequential(keras, [4, 8, 3], params, "tanh", np.float64)
    loss_fn = keras.losses.CategoricalCrossentropy(from_logits=True, dtype="float64")
    for _ in range(3):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x)) + tf.add_n([0.01 * tf.reduce_sum(w**2) for w in model.trainable_weights[::2]])
        for v, g in zip(model.trainable_weights, tape.gradient(loss, model.trainable_weights)):
            v.assign_sub(0.1 * g)
    for got, want in zip([w for pair in trained for w in pair], model.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    assert len(history["loss"]) == 3 and history["val_loss"] == []
    np.testing.assert_allclose(history["loss"][-1], float(loss_fn(y, model(x))), rtol=1e-10)
    for (k, b), (k0, b0) in zip(params, snapshot):  # params not modified
        np.testing.assert_array_equal(k, k0)
        np.testing.assert_array_equal(b, b0)


def test_train_mlp_l2_shrinks_weights_and_minibatch_learns(rng):
    x, y = _blobs(rng, 120)
    params = bp.init_mlp([4, 16, 3], seed=0)
    plain, hist = bp.train_mlp(x, y, params, 0.1, 30, batch_size=16, seed=0)
    decayed, _ = bp.train_mlp(x, y, params, 0.1, 30, batch_size=16, l2=0.05, seed=0)
    norm = lambda ps: np.sqrt(sum(np.sum(k**2) for k, _ in ps))  # noqa: E731
    assert norm(decayed) < 0.8 * norm(plain)
    assert hist["loss"][-1] < 0.5 * hist["loss"][0] and hist["accuracy"][-1] > 0.8
    sgd, hist_sgd = bp.train_mlp(x[:20], y[:20], params, 0.05, 2, batch_size=1, dropout=0.2, seed=0)
    assert len(hist_sgd["loss"]) == 2 and all(np.isfinite(hist_sgd["loss"]))


def test_train_mlp_early_stopping_returns_the_best_epoch(rng):
    x, y = _blobs(rng, 40, noise=2.0)
    x_val, _ = _blobs(rng, 40, noise=2.0)
    y_val = np.eye(3)[rng.integers(0, 3, size=40)]  # unlearnable labels: validation loss must rise
    params = bp.init_mlp([4, 32, 3], seed=0)
    trained, hist = bp.train_mlp(x, y, params, 0.2, 300, batch_size=8, x_val=x_val, y_val=y_val,
                                 patience=5, seed=0)
    assert hist["stopped_early"] and len(hist["val_loss"]) < 300
    best = int(np.argmin(hist["val_loss"]))
    assert hist["best_epoch"] == best and len(hist["val_loss"]) == best + 6
    logits = bp.mlp_forward(x_val, trained)
    np.testing.assert_allclose(bp.softmax_cross_entropy(logits, y_val), hist["val_loss"][best], rtol=1e-12)


def test_vanishing_gradients_sigmoid_vs_relu(rng):
    x = rng.normal(size=(64, 10))
    y = np.eye(3)[rng.integers(0, 3, size=64)]
    params = bp.init_mlp([10] + [16] * 6 + [3], seed=1)  # 7 weight layers, the same weights for both
    sig = bp.layer_gradient_norms(x, y, params, "sigmoid")
    relu = bp.layer_gradient_norms(x, y, params, "relu")
    assert sig.shape == relu.shape == (7,)
    # each norm is the norm of mlp_backward's kernel gradient (checked against Keras above)
    np.testing.assert_allclose(sig[0], np.linalg.norm(bp.mlp_backward(x, y, params, "sigmoid")[1][0][0]))
    assert relu[0] / sig[0] > 100  # first layer: sigmoid's gradient has all but vanished
    assert sig[0] / sig[-1] < 1e-2  # and it shrinks from the last layer to the first


def test_init_mlp_shapes_and_scales():
    params = bp.init_mlp([300, 200, 10], seed=0)
    assert [(k.shape, b.shape) for k, b in params] == [((300, 200), (200,)), ((200, 10), (10,))]
    np.testing.assert_allclose(params[0][0].std(), np.sqrt(2 / 300), rtol=0.02)
    glorot = bp.init_mlp([300, 200, 10], seed=0, init="glorot")
    assert np.abs(glorot[0][0]).max() <= np.sqrt(6 / 500)
    np.testing.assert_array_equal(bp.init_mlp([3, 2], seed=5)[0][0], bp.init_mlp([3, 2], seed=5)[0][0])


# ------------------------------------------------------------------------------------------
# Bad input: clear ValueErrors naming the argument
# ------------------------------------------------------------------------------------------

def test_bad_input_raises_clear_errors(rng):
    params = bp.init_mlp([4, 5, 3], seed=0)
    x, y = rng.normal(size=(6, 4)), np.eye(3)[[0, 1, 2, 0, 1, 2]]
    with pytest.raises(ValueError, match="dout and z"):
        bp.sigmoid_backward(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="dout must have the shape"):
        bp.dense_backward(np.ones((6, 4)), x, params[0][0])
    with pytest.raises(ValueError, match=r"x must have shape \(batch, 4\)"):
        bp.dense_backward(np.ones((6, 5)), np.ones((6, 3)), params[0][0])
    with pytest.raises(ValueError, match="logits and y_true"):
        bp.softmax_cross_entropy_backward(np.ones((2, 3)), np.ones((2, 4)))
    with pytest.raises(ValueError, match="y_true and y_pred"):
        bp.mse_backward(np.ones(3), np.ones((3, 2)))
    with pytest.raises(ValueError, match="hidden_activation"):
        bp.mlp_forward(x, params, hidden_activation="swish")
    with pytest.raises(ValueError, match="hidden_activation"):
        bp.layer_gradient_norms(x, y, params, "softplus")
    with pytest.raises(ValueError, match="params must be a non-empty list"):
        bp.mlp_forward(x, [])
    with pytest.raises(ValueError, match="params must be a non-empty list"):
        bp.mlp_forward(x, params[0][0])
    with pytest.raises(ValueError, match=r"params\[1\] must be a \(kernel, bias\) pair"):
        bp.mlp_forward(x, [params[0], (params[1][0],)])
    with pytest.raises(ValueError, match=r"params\[0\]: bias must have shape \(5,\)"):
        bp.mlp_forward(x, [(params[0][0], np.zeros(4)), params[1]])
    with pytest.raises(ValueError, match=r"params\[1\]: kernel must have 5 rows"):
        bp.mlp_forward(x, [params[0], (np.zeros((4, 3)), np.zeros(3))])
    with pytest.raises(ValueError, match=r"x must have shape \(batch, 4\)"):
        bp.mlp_forward(np.ones((6, 3)), params)
    with pytest.raises(ValueError, match=r"y_true must have shape \(6, 3\)"):
        bp.mlp_backward(x, y[:, :2], params)
    with pytest.raises(ValueError, match="analytic_grad and x"):
        bp.gradient_check(np.sum, np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="rate"):
        bp.dropout_forward(x, 1.0, 0)
    with pytest.raises(ValueError, match="layer_sizes"):
        bp.init_mlp([4])
    with pytest.raises(ValueError, match="patience"):
        bp.train_mlp(x, y, params, 0.1, 2, patience=3)
    with pytest.raises(ValueError, match="learning_rate"):
        bp.train_mlp(x, y, params, -0.1, 2)
    with pytest.raises(ValueError, match="batch_size"):
        bp.train_mlp(x, y, params, 0.1, 2, batch_size=0)
    with pytest.raises(ValueError, match="l2"):
        bp.train_mlp(x, y, params, 0.1, 2, l2=-1)
    with pytest.raises(ValueError, match=r"y_onehot must have shape \(6, 3\)"):
        bp.train_mlp(x, y[:5], params, 0.1, 2)
    with pytest.raises(ValueError, match="x_val and y_val"):
        bp.train_mlp(x, y, params, 0.1, 2, x_val=x)
    with pytest.raises(ValueError, match="inputs must have shape"):
        bp.sgd_method(np.zeros(3), np.zeros((4, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="w2 must have 20 columns"):
        bp.deep_learning(np.zeros((20, 25)), np.zeros((20, 19)), np.zeros((20, 20)), np.zeros((5, 20)),
                         np.zeros((5, 5, 5)), np.eye(5))
    with pytest.raises(ValueError, match="input_image"):
        bp.deep_learning_predict(np.zeros((20, 25)), np.zeros((20, 20)), np.zeros((20, 20)),
                                 np.zeros((5, 20)), np.zeros((5, 4, 4)))


# ------------------------------------------------------------------------------------------
# lecture 3's additions: L1 proximal step, backward cost, initialisation, expressiveness, splits
# ------------------------------------------------------------------------------------------

def test_soft_threshold_is_the_proximal_step_of_l1():
    w = np.array([-0.5, -2e-4, 0.0, 1e-4, 3e-4, 0.7])
    t = 3e-4
    got = bp.soft_threshold(w, t)
    # the proximal step minimises (u - w)^2 / 2 + t |u| elementwise: brute force on a fine grid
    grid = np.linspace(-1, 1, 200_001)
    brute = np.array([grid[np.argmin((grid - wi) ** 2 / 2 + t * np.abs(grid))] for wi in w])
    np.testing.assert_allclose(got, brute, atol=1e-5)
    assert np.count_nonzero(got == 0) == 4


def test_train_mlp_proximal_l1_gives_exact_zeros_subgradient_does_not():
    data = bp.moons(n_train=20, n_val=20)
    start = bp.init_mlp([2, 16, 16, 2], seed=0)
    sub, _ = bp.train_mlp(data[0], data[1], start, 0.1, 200, l1=3e-2, seed=0)
    prox, _ = bp.train_mlp(data[0], data[1], start, 0.1, 200, l1=3e-2, l1_step="proximal", seed=0)
    n_sub = sum(np.count_nonzero(k == 0) for k, _ in sub)
    n_prox = sum(np.count_nonzero(k == 0) for k, _ in prox)
    assert n_sub == 0 and n_prox > 10
    # the subgradient weights near 0 jitter within one step (lr * l1) of it
    small = np.concatenate([k.ravel() for k, _ in sub])
    assert np.count_nonzero(np.abs(small) <= 0.1 * 3e-2) > 10
    # with l1 = 0 both steps are the same
    a, _ = bp.train_mlp(data[0], data[1], start, 0.1, 5, l2=1e-2, seed=0)
    b, _ = bp.train_mlp(data[0], data[1], start, 0.1, 5, l2=1e-2, l1_step="proximal", seed=0)
    for (ka, _), (kb, _) in zip(a, b):
        np.testing.assert_array_equal(ka, kb)
    with pytest.raises(ValueError, match="l1_step"):
        bp.train_mlp(data[0], data[1], start, 0.1, 1, l1_step="lasso")


def test_matmul_flops_counts_products():
    # (N, a) @ (a, b): N*a*b multiplies and as many adds
    fwd, bwd = bp.matmul_flops([3, 4, 5], batch=2)
    assert fwd == 2 * 2 * (3 * 4 + 4 * 5)
    assert bwd == 2 * 2 * (2 * 3 * 4 + 2 * 4 * 5) - 2 * 2 * 3 * 4
    r = bp.time_forward_backward((8, 16, 4), batch=4, repeats=1)
    assert r["forward_s"] > 0 and r["backward_s"] > 0 and r["forward_flops"] == bp.matmul_flops((8, 16, 4), 4)[0]


def test_gradient_norm_grid_separates_the_factors():
    x, y = bp.vanishing_data(n=50)
    grid = bp.gradient_norm_grid(x, y, hidden=(16,) * 4)
    assert set(grid) == {("sigmoid", "glorot"), ("sigmoid", "he"), ("relu", "glorot"), ("relu", "he")}
    np.testing.assert_allclose(grid["relu", "he"], bp.layer_gradient_norms(
        x, y, bp.init_mlp([64, 16, 16, 16, 16, 10], seed=0, init="he"), "relu"))


def test_activation_variances_follow_the_variance_argument():
    # He keeps E[a^2] = Var(z)/2 = fan_in * (2/fan_in) * E[a^2]/2 constant; plain N(0, s^2) multiplies
    # it by fan_in * s^2 / 2 per ReLU layer
    he = bp.activation_variances("relu", "he", width=512, depth=4, n=2000)
    assert np.all(np.abs(he - 1) < 0.35)
    s = 0.1
    plain = bp.activation_variances("relu", s, width=512, depth=4, n=2000)
    np.testing.assert_allclose(plain[1:] / plain[:-1], 512 * s**2 / 2, rtol=0.25)
    glorot = bp.activation_variances("relu", "glorot", width=512, depth=6, n=2000)
    np.testing.assert_allclose(glorot[1:] / glorot[:-1], 0.5, rtol=0.25)


def test_staircase_network_approximates_and_improves_with_width():
    f = np.cos
    x = np.linspace(0, 3, 301)[:, None]
    errs = [np.abs(bp.mlp_forward(x, bp.staircase_network(f, n, 0, 3), "sigmoid")[:, 0] - f(x[:, 0])).max()
            for n in (4, 16, 64)]
    assert errs[0] > errs[1] > errs[2] and errs[2] < 0.05
    (w1, b1), (w2, b2) = bp.staircase_network(f, 5)
    assert w1.shape == (1, 5) and b1.shape == (5,) and w2.shape == (5, 1) and b2.shape == (1,)


def test_sawtooth_and_linear_pieces():
    x = np.linspace(0, 1, 9)
    np.testing.assert_allclose(bp.tent(x), 1 - np.abs(2 * x - 1))
    np.testing.assert_allclose(bp.sawtooth(x, 2), bp.tent(bp.tent(x)))
    for k in range(1, 7):
        assert bp.count_linear_pieces(lambda t, k=k: bp.sawtooth(t, k)) == 2**k
    assert bp.count_linear_pieces(lambda t: 3 * t + 1) == 1
    assert bp.count_linear_pieces(lambda t: np.abs(t - 0.25), n=8) == 2


def test_splits_partition_the_data():
    assert bp.split_sizes(1797) == (1079, 359, 359)
    tr, va, te = bp.split_indices(100, 0.1, 0.3, seed=1)
    assert (len(tr), len(va), len(te)) == (60, 10, 30)
    assert sorted(np.concatenate([tr, va, te]).tolist()) == list(range(100))
    parts = bp.digits_splits()
    assert [len(parts[k][0]) for k in ("train", "val", "test")] == [1079, 359, 359]
    assert parts["train"][0].shape[1] == 64 and parts["test"][1].shape[1] == 10


def test_weight_stats():
    params = [(np.array([[0.0, 1e-4], [-2.0, 0.5]]), np.zeros(2)), (np.array([[0.0], [3.0]]), np.zeros(1))]
    s = bp.weight_stats(params)
    assert s == {"n": 6, "exact_zeros": 2, "near_zero": 3, "mean_abs": pytest.approx(5.5001 / 6),
                 "max_abs": 3.0}
