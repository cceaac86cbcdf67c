"""coursekit.gradient_descent against Keras 3 optimizers and tf.GradientTape."""

from __future__ import annotations

import numpy as np
import pytest

from coursekit import gradient_descent as G
from coursekit.neuron import sigmoid

F32 = dict(rtol=1e-5, atol=1e-6)
# Keras rounds learning_rate (and Adam's betas) to float32 even for float64 weights (see
# adam_update's docstring), so float64 runs agree only to ~1e-6 here; the contract asks float32
# tolerance.  rtol=2e-6 still catches any real difference in the update rules.
F64 = dict(rtol=2e-6, atol=1e-9)


def tol(dtype):
    return F32 if np.dtype(dtype) == np.float32 else F64


def random_shape(rng):
    return tuple(int(s) for s in rng.integers(1, 5, size=rng.integers(1, 4)))


# ------------------------------------------------------------------ numerical gradient

def test_numerical_gradient_matches_gradient_tape(tf, rng):
    for _ in range(5):
        shape = random_shape(rng)
        x = rng.standard_normal(shape)
        a = rng.standard_normal(shape)

        def f_np(v):
            return float(np.sum(np.sin(v) * v ** 2 + a * v) + np.sum(v) ** 2)

        xv = tf.Variable(x)
        with tf.GradientTape() as tape:
            out = tf.reduce_sum(tf.sin(xv) * xv ** 2 + a * xv) + tf.reduce_sum(xv) ** 2
        x_copy = x.copy()
        got = G.numerical_gradient(f_np, x)
        np.testing.assert_array_equal(x, x_copy)
        assert got.shape == x.shape and got.dtype == np.float64
        np.testing.assert_allclose(got, tape.gradient(out, xv).numpy(), rtol=1e-6, atol=1e-7)


def test_numerical_gradient_leaves_x_unchanged_even_if_f_looks_at_it():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    seen = []
    G.numerical_gradient(lambda v: seen.append(v is x) or float(np.sum(v)), x)
    assert not any(seen)
    np.testing.assert_array_equal(x, [[1.0, 2.0], [3.0, 4.0]])


# ------------------------------------------------------------------ gradient descent

def test_gradient_descent_trajectory_on_a_quadratic(rng):
    # f = 0.5 x^T A x: x_t = (I - lr A)^t x0 exactly.
    m = rng.standard_normal((3, 3))
    A = m @ m.T + np.eye(3)
    x0 = rng.standard_normal(3)
    lr, steps = 0.05, 7
    path = G.gradient_descent(lambda x: A @ x, x0, lr, steps)
    assert path.shape == (steps + 1, 3)
    np.testing.assert_array_equal(path[0], x0)
    for t in range(steps + 1):
        np.testing.assert_allclose(path[t], np.linalg.matrix_power(np.eye(3) - lr * A, t) @ x0, rtol=1e-12)
    assert G.gradient_descent(lambda x: 2 * x, np.ones((2, 2)), 0.1, 0).shape == (1, 2, 2)


# ------------------------------------------------------------------ optimizers vs Keras

def _keras_run(keras, tf, opt, w0, grads):
    var = keras.Variable(w0, dtype=w0.dtype.name)
    for g in grads:
        opt.apply_gradients([(tf.constant(g), var)])
    return var.numpy()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sgd_update_matches_keras_sgd(keras, tf, rng, dtype):
    for case in range(8):
        shape = random_shape(rng)
        lr = float(rng.uniform(0.001, 0.5))
        momentum = 0.0 if case == 0 else float(rng.uniform(0.0, 0.99))
        nesterov = bool(case % 2)
        w0 = rng.standard_normal(shape).astype(dtype)
        grads = [rng.standard_normal(shape).astype(dtype) for _ in range(int(rng.integers(2, 6)))]
        w, vel = w0.copy(), np.zeros_like(w0)
        for g in grads:
            g_copy, w_copy, v_copy = g.copy(), w.copy(), vel.copy()
            w_new, vel = G.sgd_update(w, g, vel, lr, momentum, nesterov)
            np.testing.assert_array_equal(g, g_copy)
            np.testing.assert_array_equal(w, w_copy)
            np.testing.assert_array_equal(v_copy, v_copy)
            w = w_new
        expected = _keras_run(keras, tf, keras.optimizers.SGD(lr, momentum=momentum, nesterov=nesterov), w0, grads)
        np.testing.assert_allclose(w, expected, **tol(dtype))


def test_sgd_velocity_has_keras_sign_convention():
    w, v = G.sgd_update(np.array([1.0]), np.array([2.0]), np.array([0.5]), 0.1, momentum=0.9)
    np.testing.assert_allclose(v, [0.9 * 0.5 - 0.1 * 2.0])
    np.testing.assert_allclose(w, [1.0 + 0.9 * 0.5 - 0.1 * 2.0])
    w, v = G.sgd_update(np.array([1.0]), np.array([2.0]), np.array([0.5]), 0.1, momentum=0.9, nesterov=True)
    np.testing.assert_allclose(w, [1.0 + 0.9 * (0.9 * 0.5 - 0.2) - 0.2])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rmsprop_update_matches_keras_rmsprop(keras, tf, rng, dtype):
    for _ in range(6):
        shape = random_shape(rng)
        lr = float(rng.uniform(0.001, 0.1))
        rho = float(rng.uniform(0.5, 0.99))
        eps = float(10.0 ** rng.uniform(-7, -1))  # big epsilons expose where it goes
        w0 = rng.standard_normal(shape).astype(dtype)
        grads = [(0.1 * rng.standard_normal(shape)).astype(dtype) for _ in range(int(rng.integers(2, 6)))]
        w, vel = w0.copy(), np.zeros_like(w0)
        for g in grads:
            w, vel = G.rmsprop_update(w, g, vel, lr, rho, eps)
        expected = _keras_run(keras, tf, keras.optimizers.RMSprop(lr, rho=rho, epsilon=eps), w0, grads)
        np.testing.assert_allclose(w, expected, **tol(dtype))


def test_rmsprop_epsilon_is_inside_the_square_root():
    w, v = G.rmsprop_update(np.array([0.0]), np.array([1.0]), np.array([0.0]), 1.0, rho=0.0, epsilon=3.0)
    np.testing.assert_allclose(w, [-1.0 / np.sqrt(1.0 + 3.0)])  # not -1 / (1 + 3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adam_update_matches_keras_adam(keras, tf, rng, dtype):
    for _ in range(6):
        shape = random_shape(rng)
        lr = float(rng.uniform(0.001, 0.1))
        b1, b2 = float(rng.uniform(0.5, 0.95)), float(rng.uniform(0.9, 0.9999))
        eps = float(10.0 ** rng.uniform(-7, -1))
        w0 = rng.standard_normal(shape).astype(dtype)
        grads = [(0.1 * rng.standard_normal(shape)).astype(dtype) for _ in range(int(rng.integers(2, 7)))]
        w, m, v = w0.copy(), np.zeros_like(w0), np.zeros_like(w0)
        for t, g in enumerate(grads, start=1):
            w, m, v = G.adam_update(w, g, m, v, t, lr, b1, b2, eps)
        opt = keras.optimizers.Adam(lr, beta_1=b1, beta_2=b2, epsilon=eps)
        np.testing.assert_allclose(w, _keras_run(keras, tf, opt, w0, grads), **tol(dtype))


def test_adam_differs_from_the_paper_form_when_epsilon_is_large():
    g, lr, eps, b1, b2 = np.array([0.3]), 0.1, 0.5, 0.9, 0.999
    w, m, v = G.adam_update(np.array([0.0]), g, np.zeros(1), np.zeros(1), 1, lr, b1, b2, eps)
    paper = -lr * (m / (1 - b1)) / (np.sqrt(v / (1 - b2)) + eps)
    keras_form = -lr * np.sqrt(1 - b2) / (1 - b1) * m / (np.sqrt(v) + eps)
    np.testing.assert_allclose(w, keras_form, rtol=1e-12)
    assert abs(w[0] - paper[0]) > 1e-3


def test_optimizer_errors_name_the_arguments():
    with pytest.raises(ValueError, match=r"w and grad must have the same shape.*\(2,\).*\(3,\)"):
        G.sgd_update(np.zeros(2), np.zeros(3), np.zeros(2), 0.1)
    with pytest.raises(ValueError, match=r"w and velocity"):
        G.rmsprop_update(np.zeros(2), np.zeros(2), np.zeros((2, 1)))
    with pytest.raises(ValueError, match=r"t \(the 1-based step number\) must be a positive int; got 0"):
        G.adam_update(np.zeros(2), np.zeros(2), np.zeros(2), np.zeros(2), 0)


# ------------------------------------------------------------------ mini-batches

def test_iterate_minibatches_covers_every_sample_once_keeping_pairs(rng):
    for _ in range(10):
        n = int(rng.integers(1, 40))
        batch_size = int(rng.integers(1, 12))
        x = rng.standard_normal((n, 3))
        y = np.arange(n)
        x[:, 0] = y  # the pair key
        x_copy = x.copy()
        batches = list(G.iterate_minibatches(x, y, batch_size, shuffle=True, seed=int(rng.integers(1000))))
        sizes = [len(b[1]) for b in batches]
        assert sizes == [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])
        ys = np.concatenate([b[1] for b in batches])
        assert sorted(ys.tolist()) == list(range(n))
        for xb, yb in batches:
            np.testing.assert_array_equal(xb[:, 0], yb)
        np.testing.assert_array_equal(x, x_copy)


def test_iterate_minibatches_seed_and_shuffle():
    x, y = np.arange(50.0)[:, None], np.arange(50)
    a = [b[1] for b in G.iterate_minibatches(x, y, 7, seed=3)]
    b = [b[1] for b in G.iterate_minibatches(x, y, 7, seed=3)]
    c = [b[1] for b in G.iterate_minibatches(x, y, 7, seed=4)]
    for p, q in zip(a, b):
        np.testing.assert_array_equal(p, q)
    assert not all(np.array_equal(p, q) for p, q in zip(a, c))
    assert not np.array_equal(np.concatenate(a), y)  # actually shuffled
    unshuffled = np.concatenate([b[1] for b in G.iterate_minibatches(x, y, 7, shuffle=False)])
    np.testing.assert_array_equal(unshuffled, y)


def test_iterate_minibatches_errors_are_immediate():
    with pytest.raises(ValueError, match=r"same number of samples.*\(5, 2\).*\(4,\)"):
        G.iterate_minibatches(np.zeros((5, 2)), np.zeros(4), 2)
    with pytest.raises(ValueError, match="batch_size"):
        G.iterate_minibatches(np.zeros((5, 2)), np.zeros(5), 0)


# ------------------------------------------------------------------ train_neuron

@pytest.mark.parametrize("loss", ["mse", "bce"])
@pytest.mark.parametrize("batch_size", [None, 1, 4])
def test_train_neuron_matches_gradient_tape_descent(tf, keras, rng, loss, batch_size):
    n, d, lr, epochs = 10, 2, 0.5, 3
    x = rng.standard_normal((n, d))
    y = (rng.uniform(size=n) > 0.5).astype(float)
    w0, b0 = rng.standard_normal(d), 0.3
    hist = G.train_neuron(x, y, w0, b0, lr, epochs, batch_size=batch_size, loss=loss, shuffle=False)
    bs = n if batch_size is None else batch_size
    assert hist.weights.shape == (epochs + 1, d) and hist.loss.shape == (epochs + 1,)
    assert hist.path_weights.shape == (epochs * -(-n // bs) + 1, d)
    # the same descent written with TensorFlow: unshuffled batches, plain SGD steps
    w = tf.Variable(w0[:, None])
    b = tf.Variable(np.array([b0]))
    keras_loss = keras.losses.MeanSquaredError() if loss == "mse" else keras.losses.BinaryCrossentropy()
    for _ in range(epochs):
        for s in range(0, n, bs):
            with tf.GradientTape() as tape:
                p = tf.sigmoid(x[s:s + bs] @ w + b)[:, 0]
                value = tf.reduce_mean((p - y[s:s + bs]) ** 2) if loss == "mse" else \
                    -tf.reduce_mean(y[s:s + bs] * tf.math.log(p) + (1 - y[s:s + bs]) * tf.math.log(1 - p))
            gw, gb = tape.gradient(value, [w, b])
            w.assign_sub(lr * gw)
            b.assign_sub(lr * gb)
    np.testing.assert_allclose(hist.weights[-1], w.numpy()[:, 0], rtol=1e-9)
    np.testing.assert_allclose(hist.bias[-1], b.numpy()[0], rtol=1e-9)
    p_final = sigmoid(x @ hist.weights[-1] + hist.bias[-1])
    np.testing.assert_allclose(hist.loss[-1], float(keras_loss(y, p_final)), rtol=1e-5)


def test_train_neuron_learns_the_height_abdomen_rule():
    from coursekit.data import height_abdomen, standardize

    d = height_abdomen()
    z, _, _ = standardize(d.x)
    for bs in (1, 16, None):
        hist = G.train_neuron(z, d.y, np.zeros(2), 0.0, 0.5, 60, batch_size=bs, loss="bce", seed=0)
        assert hist.loss[-1] < 0.5 * hist.loss[0]
        acc = np.mean((sigmoid(z @ hist.weights[-1] + hist.bias[-1]) >= 0.5) == d.y)
        assert acc >= 0.9, (bs, acc)


def test_train_neuron_seed_reproducible(rng):
    x, y = rng.standard_normal((20, 2)), (rng.uniform(size=20) > 0.5).astype(float)
    a = G.train_neuron(x, y, np.zeros(2), 0.0, 0.1, 3, batch_size=3, seed=5)
    b = G.train_neuron(x, y, np.zeros(2), 0.0, 0.1, 3, batch_size=3, seed=5)
    c = G.train_neuron(x, y, np.zeros(2), 0.0, 0.1, 3, batch_size=3, seed=6)
    np.testing.assert_array_equal(a.path_weights, b.path_weights)
    assert not np.array_equal(a.path_weights, c.path_weights)


# ------------------------------------------------------------------ minimize and the valley

# Hyperparameters exactly representable in float32: Keras rounds them to float32 even for a
# float64 variable (see adam_update's docstring); with these, float64 paths must agree to 1e-10.
@pytest.mark.parametrize("optimizer,hyper", [
    ("sgd", dict(learning_rate=0.3125)),
    ("momentum", dict(learning_rate=0.125, momentum=0.8125)),
    ("nesterov", dict(learning_rate=0.125, momentum=0.8125)),
    ("rmsprop", dict(learning_rate=0.0625, rho=0.8125, epsilon=2.0 ** -20)),
    ("adam", dict(learning_rate=0.25, beta_1=0.875, beta_2=1 - 2.0 ** -10, epsilon=2.0 ** -20)),
])
def test_minimize_on_the_valley_matches_keras(keras, tf, optimizer, hyper):
    angle = 0.4
    x0 = np.array([-4.0, 1.5])
    steps = 15
    path = G.minimize(lambda p: G.elongated_valley_gradient(p, angle), x0, optimizer, steps, **hyper)
    assert path.shape == (steps + 1, 2)
    np.testing.assert_array_equal(path[0], x0)
    kw = {k: v for k, v in hyper.items()}
    if optimizer == "sgd":
        opt = keras.optimizers.SGD(**kw)
    elif optimizer in ("momentum", "nesterov"):
        opt = keras.optimizers.SGD(nesterov=optimizer == "nesterov", **kw)
    elif optimizer == "rmsprop":
        opt = keras.optimizers.RMSprop(**kw)
    else:
        opt = keras.optimizers.Adam(**kw)
    var = keras.Variable(x0, dtype="float64")
    c, s = np.cos(angle), np.sin(angle)
    R = tf.constant([[c, -s], [s, c]], dtype=tf.float64)
    for t in range(steps):
        with tf.GradientTape() as tape:
            uv = tf.linalg.matvec(R, var.value, transpose_a=True)
            f = 0.5 * (0.1 * uv[0] ** 2 + 4.0 * uv[1] ** 2)
        opt.apply_gradients([(tape.gradient(f, var.value), var)])
        np.testing.assert_allclose(path[t + 1], var.numpy(), rtol=1e-10, atol=1e-12)


def test_elongated_valley_gradient_and_vectorisation(rng):
    pts = rng.standard_normal((4, 3, 2))
    for angle in (0.0, 0.7):
        f = G.elongated_valley(pts, angle)
        assert f.shape == (4, 3)
        g = G.elongated_valley_gradient(pts, angle)
        for idx in np.ndindex(4, 3):
            num = G.numerical_gradient(lambda p: G.elongated_valley(p, angle), pts[idx])
            np.testing.assert_allclose(g[idx], num, rtol=1e-7, atol=1e-9)
    assert G.elongated_valley(np.zeros(2)) == 0.0


def test_minimize_rejects_unknown_names():
    with pytest.raises(ValueError, match=r"optimizer must be one of.*'adam'"):
        G.minimize(lambda p: p, np.zeros(2), "adagrad", 3)
    with pytest.raises(TypeError, match=r"unknown hyperparameter.*'rho'.*'sgd'"):
        G.minimize(lambda p: p, np.zeros(2), "sgd", 3, rho=0.9)


def test_momentum_beats_plain_sgd_in_the_valley():
    x0 = np.array([-4.0, 1.5])
    grad = G.elongated_valley_gradient
    f_end = {name: G.elongated_valley(G.minimize(grad, x0, name, 60, learning_rate=0.2)[-1])
             for name in ("sgd", "momentum", "nesterov")}
    assert f_end["momentum"] < f_end["sgd"] and f_end["nesterov"] < f_end["sgd"]


# ------------------------------------------------------------------ curvature, conditioning, Nesterov's two forms

def test_valley_hessian_is_the_finite_difference_hessian():
    for angle in (0.0, 0.6):
        x0, h = np.array([0.7, -0.4]), 1e-4
        g = lambda p: G.elongated_valley_gradient(p, angle)  # noqa: E731
        num = np.array([(g(x0 + h * e) - g(x0 - h * e)) / (2 * h) for e in np.eye(2)])
        np.testing.assert_allclose(G.valley_hessian(angle), num, atol=1e-8)


def test_curvature_bounds_match_the_behaviour_of_gradient_descent(rng):
    m = rng.standard_normal((3, 3))
    A = m @ m.T + 0.1 * np.eye(3)
    c = G.curvature(A)
    ev = np.linalg.eigvalsh(A)
    np.testing.assert_allclose(c.eigenvalues, ev)
    assert c.condition_number == pytest.approx(ev[-1] / ev[0])
    assert c.max_stable_lr == pytest.approx(2 / ev[-1])
    x0 = rng.standard_normal(3)
    stable = G.gradient_descent(lambda x: A @ x, x0, 0.99 * c.max_stable_lr, 3000)[-1]
    unstable = G.gradient_descent(lambda x: A @ x, x0, 1.01 * c.max_stable_lr, 3000)[-1]
    assert np.linalg.norm(stable) < np.linalg.norm(x0) < np.linalg.norm(unstable)
    # the slowest component shrinks by exactly contraction() per step
    lr = 1 / ev[-1]
    steps = 50
    _, V = np.linalg.eigh(A)
    path = G.gradient_descent(lambda x: A @ x, V[:, 0], lr, steps)
    assert np.linalg.norm(path[-1]) == pytest.approx(c.contraction(lr) ** steps, rel=1e-9)
    assert c.steps_to_shrink(10.0, lr) == pytest.approx(np.log(10) / -np.log(1 - ev[0] / ev[-1]))
    assert c.steps_to_shrink(10.0, 3 * c.max_stable_lr) == float("inf")
    with pytest.raises(ValueError, match="positive definite"):
        G.curvature(-A)


def test_linear_mse_hessian_and_descent_match_numpy(rng):
    x = rng.normal(50, 10, size=(30, 2))
    y = rng.standard_normal(30)
    X = np.c_[x, np.ones(30)]
    loss = lambda wb: np.mean((X @ wb - y) ** 2)  # noqa: E731
    wb0 = rng.standard_normal(3)
    h = 1e-3
    num = np.array([[(loss(wb0 + h * ei + h * ej) - loss(wb0 + h * ei - h * ej) - loss(wb0 - h * ei + h * ej)
                      + loss(wb0 - h * ei - h * ej)) / (4 * h * h) for ej in np.eye(3)] for ei in np.eye(3)])
    np.testing.assert_allclose(G.linear_mse_hessian(x), num, rtol=1e-6)
    z = (x - x.mean(0)) / x.std(0)
    path, losses, optimum, best = G.linear_mse_descent(z, y, 0.4, 200)
    assert path.shape == (201, 3) and losses.shape == (201,)
    np.testing.assert_allclose(optimum, np.linalg.lstsq(np.c_[z, np.ones(30)], y, rcond=None)[0])
    np.testing.assert_allclose(path[-1], optimum, atol=1e-8)
    assert losses[0] == pytest.approx(np.mean(y ** 2)) and losses[-1] == pytest.approx(best)


def test_nesterov_lookahead_plus_mu_v_is_keras_nesterov(keras, tf):
    x0, lr, mu, steps = np.array([-4.0, 1.5]), 0.125, 0.8125, 12
    w, v = G.nesterov_lookahead(G.elongated_valley_gradient, x0, lr, mu, steps)
    opt = keras.optimizers.SGD(lr, momentum=mu, nesterov=True)
    var = keras.Variable(x0, dtype="float64")
    for t in range(steps):
        opt.apply_gradients([(tf.constant(G.elongated_valley_gradient(var.numpy())), var)])
        np.testing.assert_allclose(w[t + 1] + mu * v[t + 1], var.numpy(), rtol=1e-10, atol=1e-12)
    assert np.abs(w[1:] - (w[1:] + mu * v[1:])).max() > 0.1   # the stored points differ from w


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov", "rmsprop", "adam"])
def test_keras_minimize_is_keras(keras, tf, optimizer):
    x0 = np.array([-4.0, 1.5])
    path = G.keras_minimize(G.elongated_valley_gradient, x0, optimizer, 4, learning_rate=0.125)
    opt = {"sgd": lambda: keras.optimizers.SGD(0.125),
           "momentum": lambda: keras.optimizers.SGD(0.125, momentum=0.9),
           "nesterov": lambda: keras.optimizers.SGD(0.125, momentum=0.9, nesterov=True),
           "rmsprop": lambda: keras.optimizers.RMSprop(0.125),
           "adam": lambda: keras.optimizers.Adam(0.125)}[optimizer]()
    var = keras.Variable(x0, dtype="float64")
    for t in range(4):
        opt.apply_gradients([(tf.constant(G.elongated_valley_gradient(var.numpy())), var)])
        np.testing.assert_array_equal(path[t + 1], var.numpy())
