"""The TA pipeline against hostile submissions: one per failure mode, exact outcome each.

One course (assignments 01_neuron and 04_convolution), one batch of submissions graded in this
process (``workers=0``; the pool is exercised by test_grader_e2e.py).  Every hostile submission is
the solution notebook with one answer cell edited, so the expected score is "full marks minus that
exercise", computed from the checker's points, and a canary file beside the gradebook must keep
its hash.  Slow: about 40 sandboxed child processes and one nbgrader release.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import zipfile

import nbformat
import numpy as np
import pytest

from coursekit.checks import ASSIGNMENTS, EXERCISES
from coursekit.grader import pipeline
from coursekit.grader.sandbox import Limits

from conftest import REPO
from support import demo_course as demo

pytestmark = pytest.mark.slow

A1, A4 = "01_neuron", "04_convolution"
LIMITS = Limits(cell_timeout=4, exercise_timeout=6, submission_timeout=120)
FULL1 = sum(EXERCISES[n].points for n in ASSIGNMENTS[A1])
FULL4 = sum(EXERCISES[n].points for n in ASSIGNMENTS[A4])


def _sha(path) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


@pytest.fixture(scope="module")
def course(tmp_path_factory, keras):
    root = tmp_path_factory.mktemp("course")
    demo.make_course(str(root), [A1, A4])
    (root / "canary.txt").write_text("the grader's own file\n")
    return root


def _write(nb, path) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    nbformat.write(nb, str(path))


def _hostile_answers(course, subs) -> dict[str, dict[str, str]]:
    """student -> {grade_id: replacement answer cell} (assignment 01_neuron)."""
    nbname = demo.notebook_names(str(course), A1)[0]
    sol = demo.solutions(str(course), A1, nbname)
    gradebook = course / "gradebook.db"
    hidden = course / "source" / A1 / f"{nbname}.ipynb"
    repo_copy = REPO / "solutions" / A1  # the copy the course was made from: passed as extra_hide
    other = course / "submitted" / "honest" / A1 / f"{nbname}.ipynb"
    must_not_read = [str(p) for p in (gradebook, hidden, other, course / "canary.txt", repo_copy)]
    must_not_write = [str(p) for p in (course / "canary.txt", gradebook, subs / "pwned.txt",
                                       "/tmp/coursekit_pwned.txt", REPO / "pwned.txt")]
    return {
        # Patch everything a stock test cell would rely on, then answer wrongly.
        "patcher": {"sigmoid": (
            "import numpy as np, numpy.testing, builtins, sys\n"
            "numpy.testing.assert_allclose = lambda *a, **k: None\n"
            "np.allclose = lambda *a, **k: True\n"
            "np.testing.assert_array_almost_equal = lambda *a, **k: None\n"
            "import coursekit.checks as ck, coursekit.checks.core as core\n"
            "ck.grade_outcomes = core.grade_outcomes = lambda n, c, o: ck.Result(n, 99.0, 1.0, [], [])\n"
            "core.compare = lambda *a, **k: []\n"
            "builtins.AssertionError = type('Never', (Exception,), {})\n"
            "def sigmoid(z):\n    return np.asarray(z, dtype=float) * 0 + 7.0  # never right\n")},
        "looper": {"relu": "while True:\n    pass\n" + sol["relu"]},
        # The course library's own (correct) softmax, imported instead of written.
        "borrower": {"softmax": "from coursekit.neuron import softmax\n"},
        "slowfunc": {"elu": "def elu(z, alpha=1.0):\n    while True:\n        pass\n"},
        "exiter": {"leaky_relu": "import sys\nsys.exit(3)\n" + sol["leaky_relu"]},
        "hardexit": {"softmax": "import os\nos._exit(0)\n" + sol["softmax"]},
        "segfault": {"dense_forward": "import ctypes\nctypes.string_at(0)\n" + sol["dense_forward"]},
        "hog": {"mean_squared_error": "import numpy as np\nbig = np.ones(8 * 2**30)  # 64 GiB\n"
                + sol["mean_squared_error"]},
        # 10^7 lines in bulk (fast: capped, kept) and one print() per line (slow: timed out)
        "printer": {"nand_weights": sol["nand_weights"] + "\nimport os, sys\nsys.stdout.write('x\\n' * 10**7)\n"
                    "os.write(1, b'y\\n' * 10**7)\nos.write(2, b'e\\n' * 10**7)\n",
                    "xor_network": "for i in range(10**7):\n    print(i)\n" + sol["xor_network"]},
        # Reads anything it must not: if one read succeeds, its answer is wrong.
        "reader": {"binary_crossentropy": (
            "import os\nLEAKED = []\n"
            f"for p in {must_not_read!r}:\n"
            "    try:\n        open(p, 'rb').read(1) if not os.path.isdir(p) else os.listdir(p)\n"
            "        LEAKED.append(p)\n    except Exception:\n        pass\n"
            f"try:\n    LEAKED += os.listdir({str(course)!r})\nexcept Exception:\n    pass\n"
            "import socket\ntry:\n    socket.create_connection(('1.1.1.1', 53), timeout=1).close()\n"
            "    LEAKED.append('network')\nexcept OSError:\n    pass\n"
            + sol["binary_crossentropy"].replace("def binary_crossentropy(y_true, y_pred):",
                                                 "def binary_crossentropy(y_true, y_pred):\n"
                                                 "    if LEAKED:\n        return 0.0", 1))},
        "writer": {"categorical_crossentropy": (
            "import os\n"
            f"for p in {must_not_write!r}:\n"
            "    try:\n        open(p, 'w').write('pwned')\n    except Exception:\n        pass\n"
            + sol["categorical_crossentropy"])},
        "wrongmath": {"sigmoid": "import numpy as np\ndef sigmoid(z):\n    return 1 / (1 + np.exp(z))\n"},
    }


@pytest.fixture(scope="module")
def graded(course, tmp_path_factory):
    subs = tmp_path_factory.mktemp("subs")
    nbname = demo.notebook_names(str(course), A1)[0]
    students = _hostile_answers(course, subs)
    for student, answers in students.items():
        _write(demo.student_notebook(str(course), A1, answers), subs / student / f"{nbname}.ipynb")
    _write(demo.student_notebook(str(course), A1), subs / "honest" / f"{nbname}.ipynb")
    # tampered, deleted and reordered test cells
    nb = demo.student_notebook(str(course), A1)
    cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "test_relu"]
    for c in cells:
        if c.metadata.get("nbgrader", {}).get("grade_id") == "test_elu":
            c.source = "pass  # tests? what tests?"
    test_sig = next(c for c in cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_sigmoid")
    cells.remove(test_sig)
    nb.cells = cells + [test_sig]
    _write(nb, subs / "tamperer" / f"{nbname}.ipynb")
    (subs / "broken").mkdir()
    (subs / "broken" / f"{nbname}.ipynb").write_text('{"cells": [ this is not json')
    _write(demo.student_notebook(str(course), A1), subs / "renamer" / "neuron_final_v2.ipynb")
    (subs / "stray_notes.txt").write_text("no student folder")
    empty, corrupt = subs.parent / "empty.zip", subs.parent / "corrupt.zip"
    zipfile.ZipFile(empty, "w").close()
    corrupt.write_bytes(b"PK\x03\x04 not really a zip" * 10)

    canary = course / "canary.txt"
    before = {p: _sha(p) for p in (canary,)}
    run = pipeline.grade_assignment(str(course), A1, [str(subs), str(empty), str(corrupt)], workers=0,
                                    limits=LIMITS, progress=False, extra_hide=[str(REPO / "solutions")])
    return run, {r["student"]: r for r in run.results}, before, subs


def _ex(result, name):
    return next(e for e in result["exercises"] if e["name"] == name)


def _lost_only(result, name):
    """Full marks except exercise ``name``, which got 0."""
    assert _ex(result, name)["points"] == 0, _ex(result, name)
    assert result["score"] == pytest.approx(FULL1 - EXERCISES[name].points), result


def test_batch_completes_with_every_submission(graded):
    run, by, _, _ = graded
    assert set(by) == {"patcher", "borrower", "looper", "slowfunc", "exiter", "hardexit", "segfault", "hog", "printer",
                       "reader", "writer", "wrongmath", "honest", "tamperer", "broken", "renamer"}
    assert by["honest"]["score"] == FULL1 == by["honest"]["max_score"]


def test_monkeypatching_the_checker_does_not_help(graded):
    _, by, _, _ = graded
    _lost_only(by["patcher"], "sigmoid")
    assert any("max abs error" in m for m in _ex(by["patcher"], "sigmoid")["messages"])


def test_importing_the_reference_implementation_scores_zero(graded):
    _, by, _, _ = graded
    _lost_only(by["borrower"], "softmax")
    assert any("reference implementation" in d for d in _ex(by["borrower"], "softmax")["diagnoses"])


def test_wrong_math_is_diagnosed(graded):
    _, by, _, _ = graded
    _lost_only(by["wrongmath"], "sigmoid")
    assert any("sign" in d for d in _ex(by["wrongmath"], "sigmoid")["diagnoses"])


def test_infinite_loop_in_a_cell_costs_that_exercise(graded):
    _, by, _, _ = graded
    _lost_only(by["looper"], "relu")
    assert "ran longer than 4 s" in _ex(by["looper"], "relu")["messages"][0]


def test_infinite_loop_in_a_function_costs_that_exercise(graded):
    _, by, _, _ = graded
    _lost_only(by["slowfunc"], "elu")
    assert "elu ran longer than 6 s" in _ex(by["slowfunc"], "elu")["messages"][0]


def test_sys_exit(graded):
    _, by, _, _ = graded
    _lost_only(by["exiter"], "leaky_relu")
    assert "sys.exit(3)" in _ex(by["exiter"], "leaky_relu")["messages"][0]


def test_os_exit(graded):
    _, by, _, _ = graded
    _lost_only(by["hardexit"], "softmax")
    assert "os._exit" in _ex(by["hardexit"], "softmax")["messages"][0]


def test_segfault(graded):
    _, by, _, _ = graded
    _lost_only(by["segfault"], "dense_forward")
    assert "SIGSEGV" in _ex(by["segfault"], "dense_forward")["messages"][0]


def test_allocating_64_gib(graded):
    _, by, _, _ = graded
    _lost_only(by["hog"], "mean_squared_error")
    assert "MemoryError" in _ex(by["hog"], "mean_squared_error")["messages"][0]


def test_ten_million_printed_lines_are_capped(graded, course):
    _, by, _, _ = graded
    _lost_only(by["printer"], "xor_network")  # bulk output is capped and kept; 10^7 print() calls time out
    assert "ran longer than 4 s" in _ex(by["printer"], "xor_network")["messages"][0]
    path = course / ".coursekit" / "results" / A1
    assert max(os.path.getsize(p) for p in path.iterdir()) < 200_000


def test_cannot_read_gradebook_hidden_tests_or_other_students_nor_use_the_network(graded):
    _, by, _, _ = graded
    assert by["reader"]["score"] == FULL1, _ex(by["reader"], "binary_crossentropy")


def test_cannot_write_outside_its_working_copy(graded, course):
    _, by, before, subs = graded
    assert by["writer"]["score"] == FULL1
    for path, sha in before.items():
        assert _sha(path) == sha
    for p in (subs / "pwned.txt", "/tmp/coursekit_pwned.txt", REPO / "pwned.txt"):
        assert not os.path.exists(p), p
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course}/gradebook.db", "coursekit") as gb:  # still a working gradebook
        assert gb.find_submission(A1, "writer").score == FULL1


def test_tampered_deleted_reordered_test_cells_are_restored(graded, course):
    _, by, _, _ = graded
    assert by["tamperer"]["score"] == FULL1
    nbname = demo.notebook_names(str(course), A1)[0]
    nb = nbformat.read(course / "autograded" / "tamperer" / A1 / f"{nbname}.ipynb", as_version=4)
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
    for name in ("relu", "elu", "sigmoid"):
        assert ids.index("test_" + name) == ids.index(name) + 1  # back right after its answer
    src = {c.metadata["nbgrader"]["grade_id"]: c.source for c in nb.cells if c.metadata.get("nbgrader")}
    assert "pass  # tests?" not in src["test_elu"] and "elu" in src["test_elu"]
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course}/gradebook.db", "coursekit") as gb:
        for name in ("relu", "elu", "sigmoid"):
            assert gb.find_grade("test_" + name, nbname, A1, "tamperer").auto_score == EXERCISES[name].points


def test_bad_inputs_are_one_clear_line_each(graded):
    run, by, _, _ = graded
    text = "\n".join(run.problems)
    assert "empty.zip: the zip is empty" in text
    assert "corrupt.zip: not a readable zip file" in text
    assert "stray_notes.txt: cannot tell whose submission this is" in text
    assert "broken: not a valid Jupyter notebook" in text
    assert by["broken"]["score"] == 0
    assert any("neuron_final_v2.ipynb" in n and "graded as" in n for n in run.notes)
    assert by["renamer"]["score"] == FULL1


def test_gradebook_csv_report_feedback(graded, course):
    run, by, _, _ = graded
    header = open(run.csv).readline().strip().split(",")
    assert header == ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
                      "raw_score", "late_submission_penalty", "score", "max_score"]
    rows = [line.split(",") for line in open(run.csv).read().splitlines()[1:]]
    scores = {r[3]: float(r[9]) for r in rows if r[0] == A1}
    assert scores == {s: pytest.approx(r["score"]) for s, r in by.items()}
    report = open(run.report).read()
    assert report.count("data:image/png;base64,") == 3
    assert "Failure rate per test" in report and "segfault" in report
    nbname = demo.notebook_names(str(course), A1)[0]
    fb = open(course / "feedback" / "wrongmath" / A1 / f"{nbname}.html").read()
    assert "sigmoid" in fb and "likely mistake" in fb
    assert "HIDDEN TESTS" not in fb and "hidden=True" not in fb and "score_test_cell" not in fb


def test_convolution_wrong_answers_lose_points(course, tmp_path, keras):
    nbname = demo.notebook_names(str(course), A4)[0]
    subs = tmp_path / "subs"
    flipped = "import numpy as np\n" + demo.wrong_answer("conv2d", "kernel is flipped")
    _write(demo.student_notebook(str(course), A4, {"conv2d": flipped}), subs / "flipper" / f"{nbname}.ipynb")
    _write(demo.student_notebook(str(course), A4), subs / "good" / f"{nbname}.ipynb")
    run = pipeline.grade_assignment(str(course), A4, [str(subs)], workers=0, limits=LIMITS, progress=False)
    by = {r["student"]: r for r in run.results}
    assert by["good"]["score"] == FULL4
    conv = _ex(by["flipper"], "conv2d")
    assert conv["points"] < conv["max_points"]
    assert any("flip" in d for d in conv["diagnoses"]), conv
    assert by["flipper"]["score"] == pytest.approx(FULL4 - conv["max_points"] + conv["points"])
    json.dumps(run.results)  # results are plain JSON


def test_hidden_inputs_are_per_student_and_a_regrade_reproduces_every_score(course, tmp_path, keras):
    """Two students with the same wrong conv2d fail on different hidden inputs (course secret + student
    id + exercise); grading again from scratch gives both the same points and the same messages."""
    from coursekit.checks import make_cases
    from coursekit.grader.compare import course_seed, student_seed

    nbname = demo.notebook_names(str(course), A4)[0]
    subs = tmp_path / "subs"
    flipped = "import numpy as np\n" + demo.wrong_answer("conv2d", "kernel is flipped")
    for twin in ("twin_a", "twin_b"):
        _write(demo.student_notebook(str(course), A4, {"conv2d": flipped}), subs / twin / f"{nbname}.ipynb")

    def grade():
        run = pipeline.grade_assignment(str(course), A4, [str(subs)], workers=0, limits=LIMITS, progress=False)
        return {r["student"]: r for r in run.results if r["student"].startswith("twin")}

    first = grade()
    secret = course_seed(str(course / ".coursekit"))
    assert {s: r["seed"] for s, r in first.items()} == {s: student_seed(secret, s) for s in first}
    a, b = (make_cases("conv2d", hidden=True, seed=first[s]["seed"]) for s in ("twin_a", "twin_b"))
    hidden = [i for i, c in enumerate(a) if c.label.startswith("hidden")]
    assert hidden and all(a[i].label == b[i].label for i in hidden)
    assert any(not np.array_equal(a[i].args[0], b[i].args[0]) for i in hidden)  # other inputs...

    def hidden_messages(r):
        return {m for m in _ex(r, "conv2d")["messages"] if m.startswith("case 'hidden")}

    assert hidden_messages(first["twin_a"]) != hidden_messages(first["twin_b"])  # ...other failing cases
    shutil.rmtree(course / ".coursekit" / "results" / A4)  # a regrade from scratch
    again = grade()
    for s in first:
        assert [(e["name"], e["points"], e["messages"]) for e in again[s]["exercises"]] == [
            (e["name"], e["points"], e["messages"]) for e in first[s]["exercises"]
        ]
