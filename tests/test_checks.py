"""The checker and its registry, called directly (fast): the API, the contract page, the reference
rule. The registry's wrong answers are run in test_checks_variants.py."""

from __future__ import annotations

import re

import numpy as np
import pytest

from coursekit import checks
from coursekit.checks import ASSIGNMENTS, EXERCISES, check, make_cases, run_cases
from coursekit.checks.contract import render

from conftest import REPO
from support.demo_course import run_example, solution_namespace, wrong_answer


@pytest.fixture(scope="module")
def sol(keras):
    """The instructor solutions (the answer cells of solutions/*/*.ipynb), as plain functions."""
    return solution_namespace()


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
    assert not r.diagnoses, r.report()  # a correct answer is never told of a mistake


def loses(name, func, diagnosis, seed=3):
    r = check(name, func, hidden=True, seed=seed)
    assert r.points < r.max_points, r.report()
    assert any(diagnosis in d for d in r.diagnoses + r.messages), r.report()
    return r


# ----------------------------------------------------------------------------- registry and API


def test_registry_covers_the_six_assignments():
    assert list(ASSIGNMENTS) == [
        "01_neuron",
        "02_gradient_descent",
        "03_backprop",
        "04_convolution",
        "05_cnn_architectures",
        "06_transfer_learning",
    ]
    assert sum(len(v) for v in ASSIGNMENTS.values()) == 43
    assert ASSIGNMENTS["03_backprop"][-1] == "fit_mlp"  # the exercise in learning closes assignment 3


def test_signatures_are_the_reference_functions():
    """Each signature is read off the library function of the same name in the lecture's topic module."""
    import ast
    import importlib
    import inspect

    from coursekit.checks.core import TOPIC_MODULES

    without = [name for name, ex in EXERCISES.items() if ex.reference is None]
    assert without == ["train_transfer_model"]
    for name, ex in EXERCISES.items():
        if ex.reference is None:
            continue
        reference = getattr(importlib.import_module(TOPIC_MODULES[ex.assignment]), name)
        assert ex.reference is reference
        # the text, parsed as Python, has the reference's parameter names and default values
        args = ast.parse(f"def {ex.signature}: pass").body[0].args
        defaults = [ast.literal_eval(d) for d in args.defaults]
        params = inspect.signature(reference).parameters.values()
        assert [a.arg for a in args.args] == [p.name for p in params], name
        assert defaults == [p.default for p in params if p.default is not p.empty], name


# Programs in these files are hostile submissions for the sandbox (infinite loops, patched checkers,
# answers that never pass): they test the grader's defences, not a diagnosis, so they are not mistakes.
HOSTILE_PROGRAMS = {"tests/test_grader.py", "benchmarks/load_grading.py"}
# Not wrong answers: correct ones written in independent styles, each checked for full marks there.
CORRECT_STYLES = {"tests/test_similarity.py"}


def test_the_registry_is_the_only_list_of_wrong_answers():
    """No test, benchmark or script keeps its own wrong answer to an exercise: they take the registry's."""
    import ast

    files = [p for folder in ("tests", "benchmarks", "scripts", "coursekit") for p in (REPO / folder).rglob("*.py")]
    files = [p for p in files if "checks" not in p.relative_to(REPO).parts[:2]]
    assert len(files) > 20, "the scan found too few files to prove anything"
    defining = re.compile(r"^\s*def (" + "|".join(map(re.escape, EXERCISES)) + r")\(", re.M)
    found = []
    for path in files:
        rel = str(path.relative_to(REPO))
        for node in ast.walk(ast.parse(path.read_text(), rel)):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and defining.search(node.value):
                found.append(f"{rel}:{node.lineno} {defining.search(node.value).group(1)}")
    allowed = HOSTILE_PROGRAMS | CORRECT_STYLES
    assert all(f.split(":")[0] in allowed for f in found), (
        "wrong answers written outside the registry (add them to the exercise's mistakes in "
        f"coursekit/checks/<topic>.py instead): {[f for f in found if f.split(':')[0] not in allowed]}")


def test_contract_page_is_generated_from_the_registry():
    """docs/exercises.md is `python -m coursekit.checks.contract` output (regenerate it after a registry change)."""
    page = (REPO / "docs" / "exercises.md").read_text()
    assert page == render(), (
        "docs/exercises.md is stale: .venv/bin/python -m coursekit.checks.contract > docs/exercises.md"
    )


def test_contract_page_lists_each_exercise_under_its_assignment():
    """Read back independently of the writer: heading -> rows (signature, points); nothing extra."""
    import re

    found: dict[str, dict[str, tuple[str, float]]] = {}
    assignment = None
    for line in (REPO / "docs" / "exercises.md").read_text().splitlines():
        if m := re.match(r"## \d+\. \w+ \(`(\w+)`", line):
            assignment = m.group(1)
            found[assignment] = {}
        elif m := re.match(r"\| `((\w+)\(.*?\))` \| ([\d.]+) \|", line):
            found[assignment][m.group(2)] = (m.group(1), float(m.group(3)))
    assert list(found) == list(ASSIGNMENTS)
    for a, names in ASSIGNMENTS.items():
        assert list(found[a]) == names, a
        for name in names:
            assert found[a][name] == (EXERCISES[name].signature, float(EXERCISES[name].points)), name


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


def test_non_contiguous_cases_reach_the_student_as_views_and_survive_storage(tmp_path):
    """A case with layout="strided" hands over non-contiguous views of the same values; an answer that
    writes through ``reshape`` of its input (a view only when the input is contiguous) is caught."""
    from coursekit.checks.common import noncontiguous

    case = noncontiguous(make_cases("relu")[0])
    checks.save_cases(tmp_path / "cases.json", [case])
    (loaded,) = checks.load_cases(tmp_path / "cases.json")
    assert loaded.layout == "strided" and loaded.label.endswith("(non-contiguous)")
    seen = []

    def relu(z):
        seen.append(z.flags.c_contiguous)
        return np.maximum(z, 0)

    (outcome,) = run_cases(relu, [loaded], "relu")
    assert seen == [False] and outcome.error is None
    assert np.array_equal(outcome.output, np.maximum(case.args[0], 0))

    def relu_in_place_on_a_flat_view(z):
        flat = z.reshape(-1)  # a copy for a strided input, the caller's memory for a contiguous one
        flat[flat < 0] = 0
        return flat.reshape(z.shape)

    z = np.array([[-1.0, 2.0, 0.5], [3.0, -4.0, -0.5]])
    contiguous, strided = checks.Case("c", (z,)), noncontiguous(checks.Case("s", (z,)))
    assert run_cases(relu_in_place_on_a_flat_view, [contiguous], "relu")[0].mutated_inputs
    assert not run_cases(relu_in_place_on_a_flat_view, [strided], "relu")[0].mutated_inputs


def test_two_process_split_gives_the_same_verdict_as_check(sol):
    cases = make_cases("conv2d", hidden=True, seed=2)
    wrong = run_example("conv2d", wrong_answer("conv2d", "kernel is flipped"), sol)
    split = checks.grade_outcomes("conv2d", cases, run_cases(wrong, cases, "conv2d"))
    assert split.points == check("conv2d", wrong, hidden=True, seed=2).points < split.max_points


def test_self_check_prints_and_finds_functions(sol, capsys):
    ns = {"relu": sol["relu"], "softmax": run_example("softmax", wrong_answer("softmax", "overflowed"), sol)}
    results = checks.self_check(namespace=ns)
    out = capsys.readouterr().out
    assert [r.name for r in results] == ["relu", "softmax"]
    assert "[PASS] relu" in out and "[FAIL] softmax" in out and "subtract the max" in out


def test_score_test_cell_is_partial_credit(sol, capsys):
    def half_conv(x, kernel, bias=None, strides=1, padding="valid"):
        return sol["conv2d"](x, kernel, bias, strides, "valid")  # ignores "same"

    pts = checks.score_test_cell("conv2d", half_conv)
    assert 0 < pts < EXERCISES["conv2d"].points
    assert "[FAIL] conv2d" in capsys.readouterr().out


def test_warnings_never_reach_stderr_and_fail_only_sigmoid(capfd, sol):
    naive = run_example("sigmoid", wrong_answer("sigmoid", "overflow in exp"), sol)
    r = check("sigmoid", naive)
    assert r.points < r.max_points and "overflow" in " ".join(r.diagnoses)

    def elu_warns(z, alpha=1.0):  # right values; np.exp overflows on the positive side it discards
        return np.where(z > 0, z, alpha * (np.exp(z) - 1))

    full_marks("elu", elu_warns)
    assert capfd.readouterr().err == ""


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


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(lambda: __import__("coursekit.convolution", fromlist=["conv2d"]).conv2d, id="imported"),
        pytest.param(_wrapper_around_reference, id="wrapped"),
        pytest.param(lambda: _module_attribute_call, id="module-attribute"),
    ],
)
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


def test_nbgrader_autograde_draws_the_students_own_hidden_inputs(tmp_path):
    """Under `nbgrader autograde` (cwd <course>/autograded/<student>/<assignment>) a test cell uses the
    seed coursekit grade uses for that student; elsewhere there is none (fresh inputs)."""
    from coursekit.grader.compare import course_seed, student_seed

    secret = course_seed(str(tmp_path / ".coursekit"))
    ana, bo = (checks.autograde_seed(str(tmp_path / "autograded" / s / "01_neuron")) for s in ("ana", "bo"))
    assert ana == student_seed(secret, "ana") != bo == student_seed(secret, "bo")
    assert checks.autograde_seed(str(tmp_path / "submitted" / "ana" / "01_neuron")) is None
    assert oct((tmp_path / ".coursekit" / "secret").stat().st_mode & 0o777) == "0o600"
