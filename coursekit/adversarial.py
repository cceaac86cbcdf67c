"""Lecture 1's opening: an adversarial example, computed with the fast gradient sign method (FGSM).

The classifier is softmax regression (one dense layer with softmax, trained by full-batch gradient
descent on the cross-entropy) on the 8x8 handwritten digits, in NumPy (well under a second).
FGSM (Goodfellow, Shlens & Szegedy, "Explaining and harnessing adversarial examples", ICLR 2015;
taught in Susto's Padova notes) moves every pixel by epsilon in the direction that increases the loss:

    x_adv = clip(x + epsilon * sign(grad_x J(theta, x, y)), 0, 1)

For softmax regression, z = x @ W + b and J = -log softmax(z)_y, so grad_x J = (p - onehot(y)) @ W.T.
Shapes: x (n, 64) or (64,), W (64, 10), b (10,), y (n,) or a scalar label.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coursekit import neuron
from coursekit.validation import as_float_array, check_scalar

__all__ = ["DigitsClassifier", "train_softmax_regression", "predict_proba", "input_gradient", "fgsm",
           "smallest_flipping_epsilon", "digits_classifier"]


def train_softmax_regression(x, y, classes=10, epochs=300, lr=1.0):
    """(W (d, classes), b (classes,)) from full-batch gradient descent on the mean cross-entropy.

    ``x`` (n, d), ``y`` (n,) integer labels.  Starts from zeros; each step is
    W -= lr * x.T @ (p - Y) / n, b -= lr * sum(p - Y) / n, with p = softmax(x @ W + b).
    """
    x = as_float_array(x, "x", ndim=2, shape_hint="(n, d)")
    y = np.asarray(y, dtype=np.int64)
    epochs = check_scalar(epochs, "epochs", int, min_val=1)
    lr = check_scalar(lr, "lr", float, min_val=0.0)
    onehot = np.eye(classes)[y]
    W, b = np.zeros((x.shape[1], classes)), np.zeros(classes)
    for _ in range(epochs):
        g = (neuron.softmax(x @ W + b) - onehot) / len(x)
        W -= lr * x.T @ g
        b -= lr * g.sum(axis=0)
    return W, b


def predict_proba(x, W, b):
    """softmax(x @ W + b): (n, d) -> (n, classes), or (d,) -> (classes,)."""
    return neuron.softmax(as_float_array(x, "x") @ W + b)


def input_gradient(x, y, W, b):
    """d J / d x for J = -log softmax(x @ W + b)[y]: (p - onehot(y)) @ W.T, the shape of ``x``."""
    x = as_float_array(x, "x")
    p = predict_proba(x, W, b)
    onehot = np.eye(W.shape[1])[np.asarray(y, dtype=np.int64)]
    return (p - onehot) @ W.T


def fgsm(x, y, W, b, epsilon, clip=(0.0, 1.0)):
    """x + epsilon * sign(grad_x J), clipped to the pixel range ``clip`` (None: no clipping)."""
    epsilon = check_scalar(epsilon, "epsilon", float, min_val=0.0)
    x = as_float_array(x, "x")
    adv = x + epsilon * np.sign(input_gradient(x, y, W, b))
    return adv if clip is None else np.clip(adv, *clip)


def smallest_flipping_epsilon(x, y, W, b, epsilons):
    """The first epsilon of the increasing grid ``epsilons`` for which FGSM changes the predicted class.

    ``x`` (d,) one image with label ``y``: a float, or None if no epsilon of the grid flips it.
    ``x`` (n, d) with labels ``y`` (n,): an array (n,) of floats, NaN where none flips.
    """
    x = as_float_array(x, "x", ndim=(1, 2), shape_hint="(d,) or (n, d)")
    batch = x.ndim == 2
    xs, ys = (x, np.asarray(y)) if batch else (x[None], np.asarray([y]))
    start = np.argmax(predict_proba(xs, W, b), axis=-1)
    found = np.full(len(xs), np.nan)
    for eps in epsilons:
        flipped = np.argmax(predict_proba(fgsm(xs, ys, W, b, float(eps)), W, b), axis=-1) != start
        found[np.isnan(found) & flipped] = float(eps)
    if batch:
        return found
    return None if np.isnan(found[0]) else float(found[0])


@dataclass(frozen=True)
class DigitsClassifier:
    """Softmax regression on the 8x8 digits with its split: images flattened to (n, 64) in [0, 1]."""

    W: np.ndarray
    b: np.ndarray
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    def predict(self, x):
        return np.argmax(predict_proba(x, self.W, self.b), axis=-1)

    def accuracy(self, x, y) -> float:
        return float(np.mean(self.predict(x) == y))


def digits_classifier(test_size=450, seed=0, epochs=300, lr=1.0) -> DigitsClassifier:
    """Train softmax regression on ``coursekit.data.digits_8x8`` (a random split, ``test_size`` held out)."""
    from coursekit.data import digits_8x8

    images, labels = digits_8x8()
    x = images.reshape(len(images), -1)
    order = np.random.default_rng(seed).permutation(len(x))
    test, train = order[:test_size], order[test_size:]
    W, b = train_softmax_regression(x[train], labels[train], epochs=epochs, lr=lr)
    return DigitsClassifier(W, b, x[train], labels[train], x[test], labels[test])
