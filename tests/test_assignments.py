"""The six assignments through REAL nbgrader on a temporary course: release, autograde, feedback."""

from __future__ import annotations

import re
import shutil
import time

import nbformat
import pytest

from coursekit.assignments import ASSIGNMENT_NAMES
from coursekit.assignments.feedback import strip_hidden_tests
from coursekit.assignments.release import nbgrader, release
from coursekit.checks import ASSIGNMENTS, EXERCISES

from conftest import REPO

SOLUTIONS = REPO / "solutions"

WRONG = {  # student -> (assignment, answer cell, wrong source, test cell that must lose points, diagnosis)
    "flipper": ("04_convolution", "conv2d",
                "def conv2d(x, kernel, bias=None, strides=1, padding='valid'):\n"
                "    import numpy as np\n"
                "    k = kernel[::-1, ::-1]  # a true convolution\n"
                "    kh, kw = k.shape[:2]\n"
                "    s = strides if np.ndim(strides) else (strides, strides)\n"
                "    if padding == 'same':\n"
                "        pads = []\n"
                "        for n, kk, ss in ((x.shape[1], kh, s[0]), (x.shape[2], kw, s[1])):\n"
                "            t = max((-(-n // ss) - 1) * ss + kk - n, 0)\n"
                "            pads.append((t // 2, t - t // 2))\n"
                "        x = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))\n"
                "    oh, ow = (x.shape[1] - kh) // s[0] + 1, (x.shape[2] - kw) // s[1] + 1\n"
                "    out = np.array([[np.tensordot(x[:, i*s[0]:i*s[0]+kh, j*s[1]:j*s[1]+kw], k, 3) for j in range(ow)]\n"
                "                    for i in range(oh)]).transpose(2, 0, 1, 3)\n"
                "    return out if bias is None else out + bias\n",
                "test_conv2d", "flipped"),
    "overflow": ("01_neuron", "softmax",
                 "def softmax(z, axis=-1):\n    e = np.exp(z)\n    return e / e.sum(axis=axis, keepdims=True)\n",
                 "test_softmax", "subtract the max"),
}


def _submit(course, student, assignment, nb):
    dest = course / "submitted" / student / assignment
    dest.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dest / f"{assignment}.ipynb")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    released = release(course)
    assert [p.parent.name for p in released] == list(ASSIGNMENT_NAMES)
    submissions = 0
    for a in ASSIGNMENT_NAMES:
        _submit(course, "solution", a, nbformat.read(SOLUTIONS / a / f"{a}.ipynb", 4))
        _submit(course, "untouched", a, nbformat.read(course / "release" / a / f"{a}.ipynb", 4))
        submissions += 2
    for student, (a, cell_id, source, _, _) in WRONG.items():
        nb = nbformat.read(SOLUTIONS / a / f"{a}.ipynb", 4)
        cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == cell_id)
        cell.source = source
        _submit(course, student, a, nb)
        submissions += 1
    start = time.perf_counter()
    proc = nbgrader(["autograde", "[0-9][0-9]_*", "--force"], course)
    seconds = time.perf_counter() - start
    assert proc.returncode == 0, proc.stderr[-3000:]
    print(f"\nnbgrader autograde: {submissions} submissions in {seconds:.1f} s "
          f"({seconds / submissions:.1f} s per submission)")
    return course


def _grades(course, assignment, student):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        nb = gb.find_submission_notebook(assignment, assignment, student)
        return {g.name: (g.score, g.max_score) for g in nb.grades}


def test_release_strips_solutions_and_hidden_tests(course):
    for a in ASSIGNMENT_NAMES:
        text = (course / "release" / a / f"{a}.ipynb").read_text()
        assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text and "_hidden = True" not in text
        nb = nbformat.read(course / "release" / a / f"{a}.ipynb", 4)
        ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
        for name in ASSIGNMENTS[a]:  # answer cell then its test cell, named for the pipeline
            assert ids.index(f"test_{name}") == ids.index(name) + 1


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
@pytest.mark.parametrize("student", list(WRONG))
def test_wrong_answer_loses_points_with_diagnosis(course, student):
    assignment, _, _, test_cell, diagnosis = WRONG[student]
    grades = _grades(course, assignment, student)
    score, top = grades[test_cell]
    assert score < top
    others = {k: v for k, v in grades.items() if k.startswith("test_") and k != test_cell}
    assert all(s == t for s, t in others.values()), others
    nb = nbformat.read(course / "autograded" / student / assignment / f"{assignment}.ipynb", 4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == test_cell)
    text = "".join(o.get("text", "") for o in cell.outputs)
    assert diagnosis in text and "max abs error" in text or "NaN" in text


@pytest.mark.slow
def test_feedback_never_shows_hidden_tests(course):
    proc = nbgrader(["generate_feedback", "04_convolution", "--force"], course)
    assert proc.returncode == 0, proc.stderr[-2000:]
    for student in ("solution", "flipper"):
        html = (course / "feedback" / student / "04_convolution" / "04_convolution.html").read_text()
        assert "HIDDEN TESTS" not in html and "_hidden = True" not in html
        assert "test code and its hidden inputs are not shown" in html
    html = (course / "feedback" / "flipper" / "04_convolution" / "04_convolution.html").read_text()
    assert "flipped" in html  # the diagnosis is kept


def test_strip_hidden_tests_on_a_source_notebook():
    nb = nbformat.read(SOLUTIONS / "04_convolution" / "04_convolution.ipynb", 4)
    assert "BEGIN HIDDEN TESTS" in nbformat.writes(nb)
    out = nbformat.writes(strip_hidden_tests(nb))
    assert "HIDDEN TESTS" not in out and "_hidden = True" not in out
    assert re.search(r"Test cell test_conv2d", out)


def test_source_notebooks_are_built_from_solutions_src(tmp_path):
    """solutions/*.ipynb are up to date with solutions_src.py (run build_notebooks.py after editing)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_notebooks", SOLUTIONS / "build_notebooks.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    sources = mod.split_sources((SOLUTIONS / "solutions_src.py").read_text())
    for a in ASSIGNMENT_NAMES:
        built = mod.build(a, sources[a])
        committed = nbformat.read(SOLUTIONS / a / f"{a}.ipynb", 4)
        assert [c.source for c in built.cells] == [c.source for c in committed.cells], a
        assert all(not c.get("outputs") for c in committed.cells if c.cell_type == "code")
