"""The six assignments: their source notebooks against the registry (fast), then REAL nbgrader on a
temporary course: release, autograde (the solution, the untouched release, and one student per
assignment who makes a registered mistake in every answer cell), feedback."""

from __future__ import annotations

import re
import time

import nbformat
import pytest

from coursekit.assignments import ASSIGNMENT_NAMES
from coursekit.assignments.cells import is_answer_cell, is_test_cell, nbgrader_metadata, solution_sources
from coursekit.assignments.feedback import strip_hidden_tests
from coursekit.assignments.release import nbgrader, release
from coursekit.checks import ASSIGNMENTS, EXERCISES
from coursekit.checks.core import format_signature

from conftest import REPO

SOLUTIONS = REPO / "solutions"


def _source(assignment):
    return nbformat.read(SOLUTIONS / assignment / f"{assignment}.ipynb", 4)


def first_mistake(name):
    return next(m for m in EXERCISES[name].mistakes if m.example)


def _self_contained(assignment, name) -> bool:
    """The example calls no other answer of the notebook (whose wrong version could hide its diagnosis)."""
    example = first_mistake(name).example
    return not any(re.search(rf"\b{other}\(", example) for other in ASSIGNMENTS[assignment] if other != name)


# ----------------------------------------------------------------------------- source notebooks (no nbgrader)


@pytest.mark.parametrize("assignment", ASSIGNMENT_NAMES)
def test_the_stated_total_is_the_sum_of_the_graded_cells(assignment):
    """The intro's "Total: N points" counts every graded cell: autograded tests, written answers, tasks."""
    nb = _source(assignment)
    cells = [nbgrader_metadata(c) for c in nb.cells]
    graded = [m for m in cells if m.get("grade") or m.get("task")]
    stated = re.search(r"Total: (\d+) points", nb.cells[0].source)
    assert stated and int(stated.group(1)) == sum(m.get("points", 0) for m in graded), assignment


@pytest.mark.parametrize("assignment", ASSIGNMENT_NAMES)
def test_source_notebook_matches_the_registry(assignment):
    """Per exercise: one answer cell (grade_id = name) defining the function with the registry's signature,
    then one locked test cell (grade_id = test_<name>) worth the registry's points; nothing else graded."""
    nb = _source(assignment)
    answers = [c for c in nb.cells if is_answer_cell(c)]
    tests = [c for c in nb.cells if is_test_cell(c)]
    names = ASSIGNMENTS[assignment]
    assert [nbgrader_metadata(c)["grade_id"] for c in answers] == names
    assert [nbgrader_metadata(c)["grade_id"] for c in tests] == [f"test_{n}" for n in names]
    ids = [nbgrader_metadata(c).get("grade_id") for c in nb.cells]
    solutions = solution_sources(nb)
    import numpy as np

    for name in names:
        assert ids.index(f"test_{name}") == ids.index(name) + 1, name
        namespace = {"np": np, "keras": None}
        exec(compile(solutions[name], name, "exec"), namespace)
        assert format_signature(name, namespace[name]) == EXERCISES[name].signature, name
        test = tests[names.index(name)]
        meta = nbgrader_metadata(test)
        assert meta["grade"] and meta["locked"] and not meta["solution"], name
        assert meta["points"] == EXERCISES[name].points, name
        assert f'score_test_cell("{name}", {name}, hidden=_hidden)' in test.source, name
        heading = nb.cells[ids.index(f"md_{name}")].source  # what the student reads above the cell
        assert f"`{EXERCISES[name].signature}`" in heading, name
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    # the jupytext twin (what reviewers diff) sits next to it; nbgrader never releases it
    assert (SOLUTIONS / assignment / f"{assignment}.py").is_file()


def test_strip_hidden_tests_on_a_source_notebook():
    nb = _source("04_convolution")
    assert "BEGIN HIDDEN TESTS" in nbformat.writes(nb)
    out = nbformat.writes(strip_hidden_tests(nb))
    assert "HIDDEN TESTS" not in out and "_hidden = True" not in out
    assert re.search(r"Test cell test_conv2d", out)


# ----------------------------------------------------------------------------- real nbgrader


def _submit(course, student, assignment, nb):
    dest = course / "submitted" / student / assignment
    dest.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dest / f"{assignment}.ipynb")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    released = release(course, source=SOLUTIONS)
    assert [p.parent.name for p in released] == list(ASSIGNMENT_NAMES)
    submissions = 0
    for a in ASSIGNMENT_NAMES:
        _submit(course, "solution", a, _source(a))
        _submit(course, "untouched", a, nbformat.read(course / "release" / a / f"{a}.ipynb", 4))
        # every answer cell replaced by the first registered mistake of its exercise
        nb = _source(a)
        for cell in nb.cells:
            if is_answer_cell(cell) and nbgrader_metadata(cell)["grade_id"] in EXERCISES:
                cell.source = first_mistake(nbgrader_metadata(cell)["grade_id"]).example
        _submit(course, "mistaken", a, nb)
        submissions += 3
    start = time.perf_counter()
    proc = nbgrader(["autograde", "[0-9][0-9]_*", "--force"], course)
    seconds = time.perf_counter() - start
    assert proc.returncode == 0, proc.stderr[-3000:]
    print(
        f"\nnbgrader autograde: {submissions} submissions in {seconds:.1f} s "
        f"({seconds / submissions:.1f} s per submission)"
    )
    return course


def _grades(course, assignment, student):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        nb = gb.find_submission_notebook(assignment, assignment, student)
        return {g.name: (g.score, g.max_score) for g in nb.grades}


@pytest.mark.slow  # the `course` fixture releases and autogrades all six
def test_release_strips_solutions_and_hidden_tests(course):
    for a in ASSIGNMENT_NAMES:
        text = (course / "release" / a / f"{a}.ipynb").read_text()
        assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text and "_hidden = True" not in text
        nb = nbformat.read(course / "release" / a / f"{a}.ipynb", 4)
        ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
        for name in ASSIGNMENTS[a]:  # answer cell then its test cell, named for the pipeline
            assert ids.index(f"test_{name}") == ids.index(name) + 1


@pytest.mark.slow  # the `course` fixture releases and autogrades all six
def test_release_contains_no_python_file_and_no_solution(course):
    """nbgrader copies the whole source folder: the jupytext .py twin (solutions included) must stay out."""
    for a in ASSIGNMENT_NAMES:
        files = [p for p in (course / "release" / a).rglob("*") if p.is_file()]
        assert [p.name for p in files] == [f"{a}.ipynb"], files
        released = "\n".join(p.read_text(errors="replace") for p in files)
        for name in ASSIGNMENTS[a]:
            body = re.search(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", _answer_source(a, name), re.S).group(1)
            lines = [line.strip() for line in body.splitlines() if len(line.strip()) > 25]
            assert lines and not [line for line in lines if line in released], (a, name)


def _answer_source(assignment, name):
    return next(c.source for c in _source(assignment).cells if nbgrader_metadata(c).get("grade_id") == name)


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENT_NAMES)
def test_solution_full_marks_and_untouched_release_zero(course, assignment):
    sol = _grades(course, assignment, "solution")
    tests = {k: v for k, v in sol.items() if k.startswith("test_")}
    assert len(tests) == len(ASSIGNMENTS[assignment])
    assert all(score == top for score, top in tests.values()), tests
    assert sum(top for _, top in tests.values()) == sum(EXERCISES[n].points for n in ASSIGNMENTS[assignment])
    untouched = _grades(course, assignment, "untouched")
    assert sum(score or 0 for score, _ in untouched.values()) == 0, untouched


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENT_NAMES)
def test_registered_mistakes_lose_points_with_their_diagnosis(course, assignment):
    grades = _grades(course, assignment, "mistaken")
    nb = nbformat.read(course / "autograded" / "mistaken" / assignment / f"{assignment}.ipynb", 4)
    for name in ASSIGNMENTS[assignment]:
        score, top = grades[f"test_{name}"]
        assert score < top, name
        mistake = first_mistake(name)
        if mistake.recognised and _self_contained(assignment, name):
            cell = next(c for c in nb.cells if nbgrader_metadata(c).get("grade_id") == f"test_{name}")
            report = "".join(o.get("text", "") for o in cell.outputs)
            assert f"likely mistake: {mistake.message}" in report, (name, report)


@pytest.mark.slow
def test_feedback_never_shows_hidden_tests(course):
    proc = nbgrader(["generate_feedback", "04_convolution", "--force"], course)
    assert proc.returncode == 0, proc.stderr[-2000:]
    for student in ("solution", "mistaken"):
        html = (course / "feedback" / student / "04_convolution" / "04_convolution.html").read_text()
        assert "HIDDEN TESTS" not in html and "_hidden = True" not in html
        assert "test code and its hidden inputs are not shown" in html
    html = (course / "feedback" / "mistaken" / "04_convolution" / "04_convolution.html").read_text()
    assert "likely mistake: biases forgotten" in html  # the checker's diagnosis is kept
