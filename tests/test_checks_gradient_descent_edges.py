"""Assignment 2's checks on their edge cases: the hidden cases reach every failure class for any seed, the
Keras side starts from the case's state, and wrong answers from the issue are graded and named truthfully."""

from __future__ import annotations

import numpy as np
import pytest

from coursekit.checks import EXERCISES, check, make_cases
from coursekit.checks.core import INPUT_MODIFIED
from coursekit.checks.gradient_descent import OTHER_SHUFFLE, SEED_NOT_USED

from support.cases import arrays

NAMES = ["numerical_gradient", "gradient_descent", "sgd_update", "rmsprop_update", "adam_update", "iterate_minibatches"]
OPTIMIZERS = {"sgd_update", "rmsprop_update", "adam_update"}


def _inputs(name, case):
    """The arrays the student receives (for an optimizer: w, the gradients and the state)."""
    if name in OPTIMIZERS:
        return [case.kwargs["w"], case.kwargs["grads"], *case.kwargs["state"]]
    return [a for a in arrays((case.args, case.kwargs)) if not isinstance(a, dict)]


def _forms(name, cases):
    """Argument forms: positional count, keyword names, optimizer hyperparameter names, t0, dtypes, layouts."""
    forms = set()
    for c in cases:
        forms.add(("args", len(c.args)))
        forms |= {("kw", k) for k in c.kwargs}
        if name in OPTIMIZERS:
            forms |= {("hyper", k) for k in c.kwargs["hyper"]}
        forms |= {("dtype", str(a.dtype)) for a in _inputs(name, c)}
        forms.add(("layout", c.layout))
    return forms


@pytest.mark.parametrize("name", NAMES)
def test_every_hidden_argument_form_is_shown_in_a_visible_case(name):
    visible = _forms(name, make_cases(name, hidden=False))
    for seed in range(20):
        hidden = _forms(name, make_cases(name, hidden=True, seed=seed))
        assert hidden <= visible, (seed, hidden - visible)


@pytest.mark.parametrize("seed", range(20))
def test_hidden_cases_reach_every_failure_class(seed):
    def hidden(name):
        return [c for c in make_cases(name, hidden=True, seed=seed) if c.label.startswith("hidden")]

    for name in NAMES:
        cases = hidden(name)
        assert 5 <= len(cases) <= 12, name
        arrays = [a for c in cases for a in _inputs(name, c)]
        assert {"float32", "float64"} <= {str(a.dtype) for a in arrays}, name
        assert any(c.layout == "strided" for c in cases), name
    for name in ("numerical_gradient", "gradient_descent", "sgd_update", "rmsprop_update", "adam_update"):
        arrays = [a for c in hidden(name) for a in _inputs(name, c)]
        assert any(a.size == 1 or (a.ndim >= 2 and a.shape[-2] == 1) for a in arrays), name
        assert max(float(np.abs(a).max()) for a in arrays) >= 100, name  # magnitudes up to ~1e3
    for name in ("numerical_gradient", "rmsprop_update", "adam_update"):  # one array, scales 1e-3 .. 1e3
        ratios = [np.abs(a).max() / np.abs(a[a != 0]).min() for c in hidden(name) for a in _inputs(name, c) if a.any()]
        assert max(ratios) >= 1e5, name
    adam = hidden("adam_update")
    assert {1} < {int(c.kwargs.get("t0", 1)) for c in adam} and max(c.kwargs.get("t0", 1) for c in adam) >= 500
    assert any(np.any(c.kwargs["state"][1]) for c in adam)  # starts from a nonzero m, v
    sgd = hidden("sgd_update")
    assert any(c.kwargs["hyper"].get("nesterov") and not c.kwargs["hyper"].get("momentum") for c in sgd)
    assert any(c.kwargs["hyper"].get("momentum") and np.any(c.kwargs["state"][0]) for c in sgd)
    forms = set()
    for c in hidden("iterate_minibatches"):
        n, bs = len(c.args[0]), c.args[2]
        shuffle = c.kwargs.get("shuffle", c.args[3] if len(c.args) > 3 else True)
        seed_ = c.kwargs.get("seed", c.args[4] if len(c.args) > 4 else None)
        forms |= {"bs>n"} if bs > n else set()
        forms |= {"bs=1"} if bs == 1 else set()
        forms |= {"remainder"} if n % bs and bs < n else set()
        forms |= {"n=1"} if n == 1 else set()
        forms.add(("shuffle", bool(shuffle), seed_ is not None))
    assert forms >= {"bs>n", "bs=1", "remainder", "n=1", ("shuffle", False, False), ("shuffle", True, True)}


def test_the_keras_side_starts_from_the_case_state_and_step():
    """Adam from step t0 with nonzero m, v: Keras's weights equal the formula written out independently."""
    ex = EXERCISES["adam_update"]
    case = next(c for c in make_cases("adam_update", hidden=True, seed=0) if c.kwargs.get("t0", 1) > 100)
    w_keras = ex.expected(case)[0]
    w, (m, v), lr = case.kwargs["w"].copy(), case.kwargs["state"], case.kwargs["hyper"]["learning_rate"]
    b1, b2 = 0.9, 0.999
    for t, g in enumerate(case.kwargs["grads"], start=case.kwargs["t0"]):
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g**2
        w = w - lr * np.sqrt(1 - b2**t) / (1 - b1**t) * m / (np.sqrt(v) + 1e-7)
    np.testing.assert_allclose(w_keras[-1], w, rtol=1e-5)
    sgd = next(
        c for c in make_cases("sgd_update", hidden=True, seed=0) if "nonzero velocity" in c.label and c.layout == "C"
    )
    hyper, velocity = sgd.kwargs["hyper"], sgd.kwargs["state"][0].astype(np.float64)
    g0 = sgd.kwargs["grads"][0].astype(np.float64)
    velocity = hyper["momentum"] * velocity - hyper["learning_rate"] * g0
    w = sgd.kwargs["w"].astype(np.float64) + velocity
    out = EXERCISES["sgd_update"].expected(sgd)
    np.testing.assert_allclose(out[0][0], w, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(out[1][0], velocity, rtol=1e-6, atol=1e-7)


def sgd_opposite_sign(w, grad, velocity, learning_rate, momentum=0.0, nesterov=False):
    """The issue's answer: velocity kept with the textbook sign; w is right, the returned velocity is not."""
    velocity = momentum * velocity + learning_rate * grad
    if nesterov:
        return w - (momentum * velocity + learning_rate * grad), velocity
    return w - velocity, velocity


@pytest.mark.parametrize("seed", [0, 1, 2, 7])
def test_opposite_velocity_sign_is_not_called_nesterov_ignored(seed):
    r = check("sgd_update", sgd_opposite_sign, hidden=True, seed=seed)
    assert r.points < r.max_points, r.report()
    assert len(r.diagnoses) == 1 and "opposite sign" in r.diagnoses[0], r.report()
    assert all("velocity" in m for m in r.messages), r.report()  # only the velocity is wrong


def ng_restore_by_arithmetic(f, x, h=1e-5):
    """The issue's answer: perturbs the caller's x and restores it by arithmetic (x + h - h != x)."""
    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        x[i] += h
        f_plus = f(x)
        x[i] -= h
        x[i] -= h
        f_minus = f(x)
        x[i] += h
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def ng_copy_then_restore_by_arithmetic(f, x, h=1e-5):
    x = np.array(x, dtype=np.float64)  # its own copy: restoring by arithmetic is harmless here
    return ng_restore_by_arithmetic(f, x, h)


@pytest.mark.parametrize("seed", range(5))
def test_numerical_gradient_that_leaves_x_changed_loses_points(seed):
    r = check("numerical_gradient", ng_restore_by_arithmetic, hidden=True, seed=seed)
    assert r.points < r.max_points and INPUT_MODIFIED in r.diagnoses, r.report()
    assert check("numerical_gradient", ng_copy_then_restore_by_arithmetic, hidden=True, seed=seed).ok


def mb_shuffle_in_place(x, y, batch_size, shuffle=True, seed=None):
    """Correct in another style: Generator.shuffle of arange(n) is the same order as permutation(n)."""
    order = np.arange(len(x))
    if shuffle:
        np.random.default_rng(seed).shuffle(order)
    i = 0
    while i < len(x):
        yield x[order[i : i + batch_size]], y[order[i : i + batch_size]]
        i += batch_size


def mb_legacy_seed(x, y, batch_size, shuffle=True, seed=None):
    order = np.random.RandomState(seed).permutation(len(x)) if shuffle else np.arange(len(x))
    for start in range(0, len(x), batch_size):
        yield x[order[start : start + batch_size]], y[order[start : start + batch_size]]


def test_minibatch_order_is_the_contract_generator_call():
    for seed in range(5):
        assert check("iterate_minibatches", mb_shuffle_in_place, hidden=True, seed=seed).ok
        r = check("iterate_minibatches", mb_legacy_seed, hidden=True, seed=seed)
        assert r.points < r.max_points and r.diagnoses == [OTHER_SHUFFLE], r.report()
        assert SEED_NOT_USED not in r.diagnoses
