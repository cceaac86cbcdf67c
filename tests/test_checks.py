"""The checker's verdicts, called directly (fast): right answers in several styles get full
marks, realistic wrong answers lose points with the expected diagnosis."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from coursekit import checks
from coursekit.checks import ASSIGNMENTS, EXERCISES, check, make_cases, run_cases

from conftest import REPO


@pytest.fixture(scope="module")
def sol(keras):
    """The instructor solutions (solutions/solutions_src.py), as plain functions."""
    ns = {"np": np, "keras": keras}
    exec(compile((REPO / "solutions" / "solutions_src.py").read_text(), "solutions_src.py", "exec"), ns)
    return ns


def as32(func):
    """The same method computed in float32: every float array argument cast down."""
    def cast(v):
        if isinstance(v, np.ndarray) and v.dtype == np.float64:
            return v.astype(np.float32)
        if isinstance(v, (list, tuple)):
            return type(v)(cast(u) for u in v)
        return v
    def wrapped(*args, **kwargs):
        return func(*[cast(a) for a in args], **{k: cast(v) for k, v in kwargs.items()})
    wrapped.__name__ = func.__name__
    return wrapped


def full_marks(name, func, seed=3):
    r = check(name, func, hidden=True, seed=seed)
    assert r.points == r.max_points, r.report()


def loses(name, func, diagnosis, seed=3):
    r = check(name, func, hidden=True, seed=seed)
    assert r.points < r.max_points, r.report()
    assert any(diagnosis in d for d in r.diagnoses + r.messages), r.report()
    return r


# ----------------------------------------------------------------------------- registry and API

def test_registry_matches_contract():
    contract = (REPO.parent / "shared" / "course" / "exercises.md").read_text()
    for name, ex in EXERCISES.items():
        if name != "train_transfer_model":
            assert f"`{ex.signature}`" in contract, ex.signature
    assert list(ASSIGNMENTS) == ["01_neuron", "02_gradient_descent", "03_backprop", "04_convolution",
                                 "05_cnn_architectures", "06_transfer_learning"]
    assert sum(len(v) for v in ASSIGNMENTS.values()) == 42


def test_import_does_not_import_tensorflow():
    code = "import sys, coursekit.checks, coursekit.assignments.feedback; print('tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_hidden_cases_are_random_per_run_and_reproducible_per_seed():
    a = make_cases("conv2d", hidden=True, seed=None)
    b = make_cases("conv2d", hidden=True, seed=None)
    assert not np.array_equal(a[-1].args[0], b[-1].args[0])
    c, d = make_cases("conv2d", hidden=True, seed=5), make_cases("conv2d", hidden=True, seed=5)
    assert np.array_equal(c[-1].args[0], d[-1].args[0])
    assert len(make_cases("conv2d")) < len(c)


def test_cases_and_outcomes_round_trip_without_pickle(tmp_path, sol):
    cases = make_cases("mlp_backward", hidden=True, seed=1)
    checks.save_cases(tmp_path / "cases.json", cases)
    loaded = checks.load_cases(tmp_path / "cases.json")
    outcomes = run_cases(sol["mlp_backward"], loaded, "mlp_backward")
    checks.save_outcomes(tmp_path / "out.json", outcomes)
    back = checks.load_outcomes(tmp_path / "out.json")
    result = checks.grade_outcomes("mlp_backward", cases, back)
    assert result.points == result.max_points, result.report()
    # an object array cannot be smuggled in
    bad = [checks.Outcome("x", output=np.array([object()], dtype=object))]
    with pytest.raises(TypeError):
        checks.save_outcomes(tmp_path / "bad.json", bad)


def test_two_process_split_gives_the_same_verdict_as_check(sol):
    cases = make_cases("conv2d", hidden=True, seed=2)
    wrong = lambda x, kernel, bias=None, strides=1, padding="valid": sol["conv2d"](x, kernel[::-1, ::-1], bias, strides, padding)
    split = checks.grade_outcomes("conv2d", cases, run_cases(wrong, cases, "conv2d"))
    assert split.points == check("conv2d", wrong, hidden=True, seed=2).points < split.max_points


def test_self_check_prints_and_finds_functions(sol, capsys):
    ns = {"relu": sol["relu"], "softmax": lambda z, axis=-1: np.exp(z) / np.exp(z).sum(axis, keepdims=True)}
    results = checks.self_check(namespace=ns)
    out = capsys.readouterr().out
    assert [r.name for r in results] == ["relu", "softmax"]
    assert "[PASS] relu" in out and "[FAIL] softmax" in out and "subtract the max" in out


def test_test_cell_points_is_partial_credit(sol, capsys):
    def half_conv(x, kernel, bias=None, strides=1, padding="valid"):
        return sol["conv2d"](x, kernel, bias, strides, "valid")  # ignores "same"
    pts = checks.test_cell_points("conv2d", half_conv)
    assert 0 < pts < EXERCISES["conv2d"].points
    assert "[FAIL] conv2d" in capsys.readouterr().out


def test_warnings_never_reach_stderr_and_fail_only_sigmoid(capfd):
    naive = lambda z: 1 / (1 + np.exp(-np.asarray(z, float)))
    r = check("sigmoid", naive)
    assert r.points < r.max_points and "overflow" in " ".join(r.diagnoses)
    elu_warns = lambda z, alpha=1.0: np.where(z > 0, z, alpha * (np.exp(z) - 1))
    full_marks("elu", elu_warns)
    assert capfd.readouterr().err == ""


def test_input_modified_in_place_loses_points():
    def relu_inplace(z):
        z[z < 0] = 0
        return z
    r = loses("relu", relu_inplace, "input modified in place")


def test_not_implemented_is_zero():
    def stub(*a, **k):
        raise NotImplementedError()
    r = check("softmax", stub)
    assert r.points == 0 and "NotImplementedError" in r.diagnoses[0]


# ----------------------------------------------------------------------------- the reference library is off limits

def _wrapper_around_reference():
    from coursekit.convolution import conv2d as reference

    def conv2d(x, kernel, bias=None, strides=1, padding="valid"):
        return reference(x, kernel, bias, strides, padding)
    return conv2d


def _module_attribute_call(x, kernel, bias=None, strides=1, padding="valid"):
    import coursekit.convolution
    return coursekit.convolution.conv2d(x, kernel, bias, strides, padding)


@pytest.mark.parametrize("answer", [
    pytest.param(lambda: __import__("coursekit.convolution", fromlist=["conv2d"]).conv2d, id="imported"),
    pytest.param(_wrapper_around_reference, id="wrapped"),
    pytest.param(lambda: _module_attribute_call, id="module-attribute"),
])
def test_calling_the_reference_implementation_scores_zero(answer):
    # The reference conv2d is correct: without this rule the answer would get full marks.
    r = check("conv2d", answer(), hidden=True, seed=3)
    assert r.points == 0, r.report()
    assert any("reference implementation" in d for d in r.diagnoses), r.report()


def test_numpy_helpers_and_coursekit_data_are_not_flagged():
    from coursekit import data
    from coursekit.checks.core import reference_used

    def uses_data_and_numpy(z):
        _ = data.nand_table
        return np.maximum(z, 0)
    assert reference_used(uses_data_and_numpy) is None
