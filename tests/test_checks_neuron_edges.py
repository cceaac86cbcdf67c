"""Assignment 1's edge cases (issue 11): the hidden cases reach every failure class, the wrong answers the
issue names lose points, and the perceptron checks use the lecture's step (step(0) = 1)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from coursekit.checks import ASSIGNMENTS, EXERCISES, check, make_cases

from support.demo_course import solution_namespace

NAMES = ASSIGNMENTS["01_neuron"]
ARRAY_EXERCISES = [n for n in NAMES if n not in ("nand_weights", "xor_network")]
X_BOOL = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
NAND = np.array([1.0, 1.0, 1.0, 0.0])


@pytest.fixture(scope="module")
def S(keras):
    return solution_namespace()


def _loses(name, func, seeds=(0, 1, 2)):
    for seed in seeds:
        r = check(name, func, hidden=True, seed=seed)
        assert r.points < r.max_points, r.report()


def _arrays(case):
    return [a for a in list(case.args) + list(case.kwargs.values()) if isinstance(a, np.ndarray)]


# ----------------------------------------------------------------------------- the hidden cases' classes


@pytest.mark.parametrize("name", ARRAY_EXERCISES)
def test_hidden_cases_cover_the_classes_for_every_seed(name):
    for seed in range(20):
        hidden = make_cases(name, hidden=True, seed=seed)[len(EXERCISES[name].visible()) :]
        assert 4 <= len(hidden) <= 12, name
        assert any(c.layout == "strided" for c in hidden), f"{name}: no non-contiguous case"
        dtypes = {a.dtype for c in hidden for a in _arrays(c)}
        assert {np.dtype(np.float32), np.dtype(np.float64)} <= dtypes, (name, dtypes)
        if name not in ("binary_crossentropy", "categorical_crossentropy"):
            biggest = max(np.abs(a).max() for c in hidden for a in _arrays(c) if a.size)
            assert biggest >= 700, f"{name}: |x| only up to {biggest}"  # exp overflows beyond 709
            assert any(a.shape[:1] == (1,) or 1 in a.shape for c in hidden for a in _arrays(c)), name
        else:  # probabilities exactly 0 and 1 where the label disagrees: log(0) without clipping
            y_true, y_pred = zip(*[(np.asarray(c.args[0]), np.asarray(c.args[1])) for c in hidden])
            assert any(np.any((p == 0) & (t == 1)) for t, p in zip(y_true, y_pred)), name
            assert any(np.any(p == 1) for p in y_pred), name
            assert any(t.shape[0] == 1 for t in y_true), f"{name}: no one-sample case"


def test_softmax_hidden_cases_have_rows_of_very_different_scale():
    for seed in range(20):
        spans = []
        for c in make_cases("softmax", hidden=True, seed=seed):
            z = np.asarray(c.args[0], float)
            axis = c.kwargs.get("axis", c.args[1] if len(c.args) > 1 else -1)
            maxima = z.max(axis=axis)
            spans.append(maxima.max() - maxima.min())
        assert max(spans) > 1500  # a slice 1500 below the global max underflows to 0 / 0


@pytest.mark.parametrize("name", NAMES)
def test_the_solution_passes_at_20_seeds(name, S):
    for seed in range(20):
        r = check(name, S[name], hidden=True, seed=seed)
        assert r.ok, r.report()


# ----------------------------------------------------------------------------- the wrong answers


def test_global_max_softmax_loses_points():
    def softmax(z, axis=-1):
        z = np.asarray(z, dtype=float)
        e = np.exp(z - np.max(z))  # the whole array's max, not each row's
        return e / np.sum(e, axis=axis, keepdims=True)

    _loses("softmax", softmax)
    r = check("softmax", softmax, hidden=True, seed=5)
    assert any("GLOBAL maximum" in d for d in r.diagnoses), r.report()


def test_elu_that_gives_nan_for_large_inputs_loses_points():
    def elu(z, alpha=1.0):
        z = np.asarray(z, dtype=float)
        pos = (z > 0).astype(float)
        return pos * z + (1 - pos) * alpha * (np.exp(z) - 1)  # inf * 0 = NaN for z > 709

    _loses("elu", elu)


def test_elu_with_np_where_warns_but_is_right():
    """The contract: elu's values are graded, not its floating-point warnings (np.where evaluates both sides)."""

    def elu(z, alpha=1.0):
        return np.where(z > 0, z, alpha * (np.exp(z) - 1))

    for seed in range(3):
        r = check("elu", elu, hidden=True, seed=seed)
        assert r.ok, r.report()


@pytest.mark.parametrize("name", ["binary_crossentropy", "categorical_crossentropy"])
def test_losses_without_keras_clipping_lose_points(name):
    def bce(y_true, y_pred):
        y, p = np.asarray(y_true, float), np.asarray(y_pred, float)
        return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))

    def cce(y_true, y_pred):
        return -np.mean(np.sum(np.asarray(y_true) * np.log(y_pred), axis=-1))

    _loses(name, bce if name == "binary_crossentropy" else cce, seeds=range(6))


def test_clipping_with_another_epsilon_loses_points():
    def cce(y_true, y_pred):  # 1e-12 instead of Keras's 1e-7: a certain wrong guess costs 27.6, not 16.1
        p = np.clip(np.asarray(y_pred, float), 1e-12, 1 - 1e-12)
        return -np.mean(np.sum(np.asarray(y_true) * np.log(p), axis=-1))

    _loses("categorical_crossentropy", cce)


def test_dense_softmax_without_the_max_loses_points():
    def dense_forward(x, kernel, bias, activation=None):
        z = np.asarray(x, float) @ kernel + bias
        if activation == "softmax":
            e = np.exp(z)
            return e / e.sum(axis=-1, keepdims=True)
        return {
            "relu": lambda v: np.maximum(v, 0),
            "tanh": np.tanh,
            "sigmoid": lambda v: 0.5 + 0.5 * np.tanh(v / 2),
        }.get(activation, lambda v: v)(z)

    _loses("dense_forward", dense_forward)


# ----------------------------------------------------------------------------- the lecture's worked examples


def test_cross_entropy_example_is_the_lecture_salmon_sea_bass(keras):
    (case,) = [c for c in EXERCISES["categorical_crossentropy"].visible() if "salmon" in c.label]
    y_true, y_pred = case.args
    np.testing.assert_array_equal(y_true, [[0, 1], [0, 1]])
    np.testing.assert_array_equal(y_pred, [[0.83, 0.17], [0.21, 0.79]])
    loss = float(keras.losses.CategoricalCrossentropy()(y_true, y_pred))
    assert round(-np.log(0.17), 2) == 1.77 and round(loss, 3) == 1.004
    assert not any("horse" in c.label for c in EXERCISES["categorical_crossentropy"].visible())


def test_softmax_cat_dog_horse_case_is_the_lecture_table(keras):
    (case,) = [c for c in EXERCISES["softmax"].visible() if "cat/dog/horse" in c.label]
    probs = keras.activations.softmax(np.asarray(case.args[0])).numpy()
    np.testing.assert_array_equal(np.round(probs, 2), [[0.71, 0.26, 0.04], [0.02, 0.00, 0.98], [0.49, 0.49, 0.02]])


# ----------------------------------------------------------------------------- the lecture's step: step(0) = 1


def _lecture_step(z):
    from coursekit.neuron import step  # the lecture's definition (notebooks/01_neuron.py uses it)

    return step(z)


def test_nand_graded_as_the_lecture_step_says():
    """Every (w, b) on a grid with many z = 0 ties: full marks exactly when the lecture's perceptron is NAND."""
    values = [-2.0, -1.0, -0.5, 0.0, 1.0]
    biases = [-1.0, 0.0, 1.0, 1.5, 2.0, 3.0]
    agree = {True: 0, False: 0}
    for w1, w2, b in itertools.product(values, values, biases):
        w = np.array([w1, w2])
        is_nand = np.array_equal(_lecture_step(X_BOOL @ w + b), NAND)
        r = check("nand_weights", lambda w=w, b=b: (w, b), hidden=True, seed=0)
        assert r.ok == is_nand, (w, b, r.report())
        agree[is_nand] += 1
    assert agree[True] >= 3 and agree[False] > 100
    # w = (-1, -1), b = 1 puts (0, 1) and (1, 0) on the boundary: step(0) = 1 makes it NAND
    assert check("nand_weights", lambda: (np.array([-1.0, -1.0]), 1.0)).ok


def test_xor_with_units_on_their_boundaries_passes_and_a_wrong_tie_is_diagnosed():
    def xor_on_boundaries():
        W1 = np.array([[1.0, -1.0], [1.0, -1.0]])  # OR: z = 0 on (0, 1); NAND: z = 0 on (0, 1), (1, 0)
        b1 = np.array([-1.0, 1.0])
        W2 = np.array([[1.0], [1.0]])  # AND: z = 0 when both are 1
        b2 = np.array([-2.0])
        return [(W1, b1), (W2, b2)]

    h = _lecture_step(X_BOOL @ xor_on_boundaries()[0][0] + xor_on_boundaries()[0][1])
    assert np.array_equal(
        _lecture_step(h @ xor_on_boundaries()[1][0] + xor_on_boundaries()[1][1]).ravel(), [0, 1, 1, 0]
    )
    assert check("xor_network", xor_on_boundaries).ok

    def xor_tie_wrong():  # NAND with z = 0 on (1, 1): the lecture's step outputs 1 there
        return [
            (np.array([[1.0, -1.0], [1.0, -1.0]]), np.array([-0.5, 2.0])),
            (np.array([[1.0], [1.0]]), np.array([-1.5])),
        ]

    r = check("xor_network", xor_tie_wrong)
    assert not r.ok and any("step(0) = 1" in d for d in r.diagnoses), r.report()
