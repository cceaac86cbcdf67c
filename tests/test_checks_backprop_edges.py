"""Assignment 3 (backprop): the hidden cases reach every failure class for any student's seed, answers in
unusual correct styles get full marks, and wrong answers that only those edge cases expose lose points."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from test_checks import full_marks

from coursekit.checks import EXERCISES, check, make_cases

from support.cases import arrays, hidden_cases

SEEDS = range(20)
NAMES = [
    "sigmoid_backward",
    "relu_backward",
    "dense_backward",
    "softmax_cross_entropy_backward",
    "mse_backward",
    "mlp_forward",
    "mlp_backward",
    "gradient_check",
]


def _dtypes(case):
    return {a.dtype for a in arrays(case.args) if a.dtype.kind == "f"}


# ----------------------------------------------------------------------------- the hidden cases' coverage


@pytest.mark.parametrize("name", NAMES)
def test_hidden_cases_have_both_dtypes_a_strided_case_and_differ_between_students(name):
    first = None
    for seed in SEEDS:
        cases = hidden_cases(name, seed)
        assert 4 <= len(cases) <= 12, (name, len(cases))
        kinds = set().union(*(_dtypes(c) for c in cases))
        assert {np.dtype(np.float32), np.dtype(np.float64)} <= kinds, (name, seed, kinds)
        assert any(c.layout == "strided" for c in cases), (name, seed)
        flat = np.concatenate([a.ravel().astype(float) for c in cases for a in arrays(c.args)])
        if first is None:
            first = flat
        else:
            assert flat.shape != first.shape or not np.array_equal(flat, first), (name, seed)


@pytest.mark.parametrize("name", ["sigmoid_backward", "relu_backward"])
def test_elementwise_cases_reach_exact_zeros_and_1e3_in_both_dtypes(name):
    for seed in SEEDS:
        cases = hidden_cases(name, seed)
        zs = [np.asarray(c.args[1]) for c in cases]
        assert any(np.any(z == 0) for z in zs if z.dtype == np.float32), seed
        assert any(np.any(z == 0) for z in zs if z.dtype == np.float64), seed
        assert any(np.any(np.signbit(z) & (z == 0)) for z in zs), seed  # -0.0
        for dtype in (np.float32, np.float64):
            assert any(z.min() <= -1e3 and z.max() >= 1e3 for z in zs if z.dtype == dtype), (seed, dtype)
        assert any(z.size == 1 for z in zs), seed


def test_dense_cases_reach_one_sample_one_feature_one_unit_and_large_x():
    for seed in SEEDS:
        shapes = [(c.args[1].shape[0], *c.args[2].shape) for c in hidden_cases("dense_backward", seed)]
        assert any(n == 1 for n, _, _ in shapes) and any(d == 1 for _, d, _ in shapes), shapes
        assert any(u == 1 for _, _, u in shapes), shapes
        assert any(np.abs(c.args[1]).max() > 500 for c in hidden_cases("dense_backward", seed)), seed


def test_softmax_cases_reach_rows_of_very_different_scale_and_probabilities_0_and_1():
    for seed in SEEDS:
        cases = hidden_cases("softmax_cross_entropy_backward", seed)
        logits = [np.asarray(c.args[0], np.float64) for c in cases]
        scales = [np.abs(z).max(axis=1) for z in logits]
        assert any(s.max() >= 1e3 and s.min() <= 1e-2 for s in scales), seed  # 1e-3 rows next to a 1e3 row
        assert any(len(z) == 1 for z in logits), seed
        # a probability exactly 0 at the true class: the logit gap exceeds what exp can represent
        gaps = [(z.max(axis=1) - (z * np.asarray(c.args[1])).sum(axis=1)).max() for z, c in zip(logits, cases)]
        assert max(gaps) > 800, seed
        for c in cases:
            y = np.asarray(c.args[1])
            assert set(np.unique(y)) <= {0.0, 1.0} and np.all(y.sum(axis=1) == 1), seed


def test_mlp_cases_reach_every_activation_one_sample_size_one_layers_and_spread_logits():
    from coursekit.checks.backprop import _np_mlp

    for name in ("mlp_forward", "mlp_backward"):
        for seed in SEEDS:
            cases = hidden_cases(name, seed)
            acts = {c.kwargs.get("hidden_activation") for c in cases}
            assert {"relu", "tanh", "sigmoid", None} <= acts, (name, seed, acts)
            params = [c.args[-1] for c in cases]
            assert any(len(c.args[0]) == 1 for c in cases), (name, seed)
            assert any(p[0][0].shape[0] == 1 and p[0][0].shape[1] == 1 for p in params), (name, seed)
            assert any(len(p) == 1 for p in params), (name, seed)  # no hidden layer
            logits = [
                _np_mlp(np.asarray(c.args[0], float), c.args[-1], c.kwargs.get("hidden_activation", "relu"))
                for c in cases
            ]
            # a row whose probabilities reach exactly 0 and whose exp(logits) overflows float64
            assert any(np.ptp(z, axis=1).max() > 1500 and z.max() > 710 for z in logits), (name, seed)
    # every argument form the hidden cases use is shown in a visible case (self_check runs those)
    for name in ("mlp_forward", "mlp_backward"):
        assert {c.kwargs.get("hidden_activation") for c in make_cases(name)} >= {"relu", "tanh", "sigmoid", None}


def test_gradient_check_cases_reach_float32_one_coordinate_large_x_and_a_given_h():
    for seed in SEEDS:
        cases = hidden_cases("gradient_check", seed)
        xs = [np.asarray(c.args[1]) for c in cases]
        assert any(x.dtype == np.float32 for x in xs) and any(x.size == 1 for x in xs), seed
        assert any(np.abs(x).max() > 100 for x in xs), seed
        assert any("h" in c.kwargs for c in cases), seed
    assert any("h" in c.kwargs for c in make_cases("gradient_check"))


@pytest.mark.parametrize("name", NAMES)
def test_hidden_cases_are_built_for_any_student_seed(name):
    for seed in [*range(300), 2**40 + 7, 123456789012345]:
        assert hidden_cases(name, seed), (name, seed)


def test_gradient_check_grades_inputs_bit_for_bit():
    assert EXERCISES["gradient_check"].mutation_rtol == 0
    assert EXERCISES["sigmoid_backward"].no_warnings


# ----------------------------------------------------------------------------- correct answers, unusual styles


def sigmoid_backward_logaddexp(dout, z):
    z = np.asarray(z, dtype=np.float64)
    return dout * np.exp(-np.logaddexp(0.0, -z) - np.logaddexp(0.0, z))  # s * (1 - s) = e^{-log(1+e^-z) - log(1+e^z)}


def sigmoid_backward_where(dout, z):
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))  # never overflows
    s = np.where(z >= 0, 1 / (1 + e), e / (1 + e))
    return dout * s * (1 - s)


def relu_backward_mask(dout, z):
    return dout * (np.asarray(z) > 0)


def softmax_ce_logsumexp(logits, y_true):
    z = np.asarray(logits, dtype=np.float64)
    m = z.max(axis=1, keepdims=True)
    log_p = z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))
    return (np.exp(log_p) - y_true) / z.shape[0]


def mse_backward_loop(y_true, y_pred):
    out = np.empty(np.shape(y_pred))
    for i in np.ndindex(out.shape):
        out[i] = 2.0 * (float(y_pred[i]) - float(y_true[i])) / out.size
    return out


def mlp_forward_reduce(x, params, hidden_activation="relu"):
    from functools import reduce

    f = {"relu": lambda z: z * (z > 0), "tanh": np.tanh, "sigmoid": lambda z: np.exp(-np.logaddexp(0, -z))}
    hidden = reduce(lambda a, p: f[hidden_activation](a @ p[0] + p[1]), params[:-1], np.asarray(x, np.float64))
    return hidden @ params[-1][0] + params[-1][1]


def mlp_backward_per_sample(x, y_true, params, hidden_activation="relu"):
    """Sums per-sample gradients, then divides by N (another order of the same computation)."""
    f = {
        "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0) * 1.0),
        "tanh": (np.tanh, lambda z: 1 / np.cosh(z) ** 2),
        "sigmoid": (lambda z: 0.5 + 0.5 * np.tanh(z / 2), lambda z: 0.25 / np.cosh(z / 2) ** 2),
    }[hidden_activation]
    n = len(x)
    total = 0.0
    grads = [[np.zeros(np.shape(w)), np.zeros(np.shape(b))] for w, b in params]
    for xi, yi in zip(np.asarray(x, np.float64), np.asarray(y_true, np.float64)):
        acts, pre = [xi], []
        for i, (w, b) in enumerate(params):
            pre.append(acts[-1] @ w + b)
            acts.append(f[0](pre[-1]) if i < len(params) - 1 else pre[-1])
        z = acts[-1]
        lse = z.max() + np.log(np.sum(np.exp(z - z.max())))
        total += lse - yi @ z
        delta = np.exp(z - lse) - yi
        for i in range(len(params) - 1, -1, -1):
            grads[i][0] += np.outer(acts[i], delta)
            grads[i][1] += delta
            if i:
                delta = (params[i][0] @ delta) * f[1](pre[i - 1])
    return total / n, [(gw / n, gb / n) for gw, gb in grads]


def gradient_check_restore_by_assignment(f, x, analytic_grad, h=1e-5):
    x = np.array(x, dtype=np.float64)
    flat = x.reshape(-1)  # a view of the copy
    num = np.empty_like(flat)
    for i in range(flat.size):
        saved = flat[i]
        flat[i] = saved + h
        up = f(x)
        flat[i] = saved - h
        down = f(x)
        flat[i] = saved
        num[i] = (up - down) / (2 * h)
    a = np.asarray(analytic_grad, dtype=np.float64).reshape(-1)
    return np.linalg.norm(a - num) / max(np.linalg.norm(a) + np.linalg.norm(num), 1e-12)


STYLES = [
    ("sigmoid_backward", sigmoid_backward_logaddexp),
    ("sigmoid_backward", sigmoid_backward_where),
    ("relu_backward", relu_backward_mask),
    ("softmax_cross_entropy_backward", softmax_ce_logsumexp),
    ("mse_backward", mse_backward_loop),
    ("mlp_forward", mlp_forward_reduce),
    ("mlp_backward", mlp_backward_per_sample),
    ("gradient_check", gradient_check_restore_by_assignment),
]


@pytest.mark.parametrize("name, func", STYLES, ids=[f.__name__ for _, f in STYLES])
def test_correct_styles_get_full_marks(name, func, keras):
    for seed in (0, 7):
        full_marks(name, func, seed=seed)


# ----------------------------------------------------------------------------- wrong answers the edges expose


def sigmoid_backward_where_both_branches(dout, z):
    """Right values, but np.where evaluates 1 / (1 + exp(-z)) everywhere: overflow warnings."""
    z = np.asarray(z, dtype=np.float64)
    s = np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))
    return dout * s * (1 - s)


def relu_backward_heaviside_one(dout, z):
    return dout * np.heaviside(z, 1.0)  # gradient 1 at z == 0


def softmax_ce_clipped_logits(logits, y_true):
    z = np.clip(np.asarray(logits, np.float64), -50, 50)  # "avoids" overflow by clipping: wrong for |z| > 50
    e = np.exp(z)
    return (e / e.sum(axis=1, keepdims=True) - y_true) / len(z)


def mlp_backward_log_of_clipped_softmax(x, y_true, params, hidden_activation="relu"):
    """Right gradients, but the loss from the log of a clipped probability: finite, and wrong once p < 1e-7."""
    _, grads = mlp_backward_per_sample(x, y_true, params, hidden_activation)
    h = np.asarray(x, np.float64)
    for i, (w, b) in enumerate(params):
        h = h @ w + b
        if i < len(params) - 1:
            h = {"relu": lambda z: np.maximum(z, 0), "tanh": np.tanh, "sigmoid": lambda z: 0.5 + 0.5 * np.tanh(z / 2)}[
                hidden_activation
            ](h)
    e = np.exp(h - h.max(axis=1, keepdims=True))
    p = np.clip(e / e.sum(axis=1, keepdims=True), 1e-7, 1)
    return float(-np.mean(np.sum(y_true * np.log(p), axis=1))), grads


def gradient_check_float32(f, x, analytic_grad, h=1e-5):
    """Perturbs x in its own dtype: float32 rounding swamps h = 1e-5."""
    x = np.array(x)
    num = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += h
        xm[i] -= h
        num[i] = (f(xp) - f(xm)) / (2 * h)
    a = np.asarray(analytic_grad, dtype=float)
    return float(np.linalg.norm(a - num) / max(np.linalg.norm(a) + np.linalg.norm(num), 1e-12))


WRONG = [
    ("sigmoid_backward", sigmoid_backward_where_both_branches, "overflow in exp"),
    ("relu_backward", relu_backward_heaviside_one, "gradient at z == 0 must be 0"),
    ("softmax_cross_entropy_backward", softmax_ce_clipped_logits, "max abs error"),
    ("mlp_backward", mlp_backward_log_of_clipped_softmax, "loss: max abs error"),
    ("gradient_check", gradient_check_float32, "returned"),
]


@pytest.mark.parametrize("name, func, says", WRONG, ids=[f.__name__ for _, f, _ in WRONG])
def test_wrong_answers_lose_points_for_every_student(name, func, says, keras):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for seed in (0, 5, 13):
            r = check(name, func, hidden=True, seed=seed)
            assert r.points < r.max_points, r.report()
            assert any(says in m for m in r.messages + r.diagnoses), r.report()


def test_registered_overflow_mistake_loses_points_but_only_on_the_extreme_cases(keras):
    """The textbook 1 / (1 + exp(-z)) is right on moderate z: it loses exactly the cases with z << 0."""

    def textbook(dout, z):
        s = 1 / (1 + np.exp(-z))
        return dout * s * (1 - s)

    r = check("sigmoid_backward", textbook, hidden=True, seed=2)
    failed = {m.split("'")[1] for m in r.messages}
    assert failed and all("1e3" in label or "large" in label for label in failed), r.report()
    assert r.diagnoses == [EXERCISES["sigmoid_backward"].warning_hint], r.report()
