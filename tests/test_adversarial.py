"""coursekit.adversarial: softmax regression on the 8x8 digits and FGSM, against independent computations."""

from __future__ import annotations

import numpy as np
import pytest

from coursekit import adversarial as A


def _loss(x, y, W, b):
    z = x @ W + b
    z = z - z.max()
    return float(np.log(np.exp(z).sum()) - z[y])


def test_input_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    W, b = rng.standard_normal((6, 4)), rng.standard_normal(4)
    x, y = rng.uniform(0, 1, 6), 2
    g = A.input_gradient(x, y, W, b)
    h = 1e-6
    fd = [(_loss(x + h * e, y, W, b) - _loss(x - h * e, y, W, b)) / (2 * h) for e in np.eye(6)]
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-8)


def test_input_gradient_matches_tensorflow():
    tf = pytest.importorskip("tensorflow")
    rng = np.random.default_rng(1)
    W, b = rng.standard_normal((8, 3)), rng.standard_normal(3)
    x, y = rng.uniform(0, 1, (5, 8)), rng.integers(0, 3, 5)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        loss = tf.reduce_sum(tf.nn.sparse_softmax_cross_entropy_with_logits(y, xt @ W + b))
    np.testing.assert_allclose(A.input_gradient(x, y, W, b), tape.gradient(loss, xt).numpy(), rtol=1e-6)


def test_fgsm_moves_each_pixel_by_epsilon_and_raises_the_loss():
    rng = np.random.default_rng(2)
    W, b = rng.standard_normal((6, 4)), rng.standard_normal(4)
    x, y = rng.uniform(0.3, 0.7, 6), 1
    adv = A.fgsm(x, y, W, b, 0.1)
    np.testing.assert_allclose(np.abs(adv - x), 0.1)
    assert _loss(adv, y, W, b) > _loss(x, y, W, b)
    assert np.all(A.fgsm(np.ones(6), y, W, b, 0.5) <= 1.0)        # clipped to the pixel range


def test_digits_classifier_learns_and_fgsm_flips_at_the_smallest_epsilon():
    clf = A.digits_classifier()
    assert clf.accuracy(clf.x_test, clf.y_test) > 0.9
    grid = np.round(np.arange(0.01, 0.51, 0.01), 2)
    x, y = clf.x_test[0], int(clf.y_test[0])
    eps = A.smallest_flipping_epsilon(x, y, clf.W, clf.b, grid)
    assert eps is not None
    start = clf.predict(x)
    assert clf.predict(A.fgsm(x, y, clf.W, clf.b, eps)) != start
    assert clf.predict(A.fgsm(x, y, clf.W, clf.b, eps - 0.01)) == start
    batch = A.smallest_flipping_epsilon(clf.x_test[:5], clf.y_test[:5], clf.W, clf.b, grid)
    assert batch[0] == eps
