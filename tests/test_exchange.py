"""The TA path through nbgrader's exchange, with nbgrader's own CLI on both sides.

An instructor releases 01_neuron to the exchange (`nbgrader release_assignment`); alice and bob each fetch
it and submit (`nbgrader fetch_assignment`, `nbgrader submit`) from their own home (own nbgrader cache);
bob submits twice and his second, wrong softmax, is the one that counts. The TA grades the exchange's
inbound with `coursekit grade ... --release-feedback`; each student then runs `nbgrader fetch_feedback` and
must get feedback naming their own mistake only, without the source notebook's hidden tests.

One Unix user plays every part here: nbgrader takes the student id from the OS user (its
``utils.get_username``, not $USER), so the students pass nbgrader's own ``--student`` option.
"""

from __future__ import annotations

import csv
import glob
import html
import os
import re
import shutil
import subprocess
import sys
import time

import nbformat
import pytest

from coursekit.assignments.cells import nbgrader_metadata

from support import demo_course as demo

A = "01_neuron"
COURSE_ID = "dl101"
BIN = os.path.dirname(sys.executable)
WRONG = "normalised over the whole array instead of along `axis`"
WRONG_SOFTMAX = "import numpy as np\n" + demo.wrong_answer("softmax", WRONG)


def _run(args, cwd, home=None, timeout=300):
    env = dict(os.environ, PATH=BIN + os.pathsep + os.environ["PATH"])
    if home:
        env["HOME"] = str(home)  # each student's own nbgrader cache (~/.local/share/jupyter/nbgrader_cache)
        env.pop("JUPYTER_DATA_DIR", None)
    res = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert res.returncode == 0, f"{args}\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
    return res.stdout + res.stderr


def _nbgrader(*args, cwd, home=None):
    return _run([os.path.join(BIN, "nbgrader"), *args], cwd, home)


def _answer(home, course, answers: dict[str, str]) -> None:
    """Fill the answer cells of the notebook the student fetched: the solution, or ``answers[grade_id]``."""
    (path,) = glob.glob(str(home / A / "*.ipynb"))
    nb = nbformat.read(path, as_version=4)
    sol = demo.solutions(str(course), A, os.path.basename(path)[:-6])
    filled = 0
    for c in nb.cells:
        meta = nbgrader_metadata(c)
        if meta.get("solution") and meta.get("grade_id") in sol:
            c.source = answers.get(meta["grade_id"], sol[meta["grade_id"]])
            filled += 1
    assert filled and "softmax" in sol
    nbformat.write(nb, path)


def _each_student(task) -> dict:
    """``task(student)`` for alice and bob at the same time; their results by student."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        return dict(zip(("alice", "bob"), pool.map(task, ("alice", "bob"))))


def _hidden_input_numbers(course, student) -> set[str]:
    """The numbers of the student's hidden test inputs, as Python and NumPy print them; only those with 5+
    significant digits (1000.0 or 0.0002 could be in the page by chance, 0.73519 cannot)."""
    import numpy as np

    from coursekit.checks import ASSIGNMENTS, make_cases
    from coursekit.grader.compare import course_seed, student_seed

    seed = student_seed(course_seed(str(course / ".coursekit")), student)
    found = set()
    for name in ASSIGNMENTS[A]:
        for case in make_cases(name, hidden=True, seed=seed):
            if not case.label.startswith("hidden: "):
                continue
            for arg in (*case.args, *case.kwargs.values()):
                values = np.asarray(arg).ravel() if np.asarray(arg).dtype.kind == "f" else []
                for v in values:
                    if np.isfinite(v):
                        found |= {t for t in (f"{v:.6g}", f"{v:.4f}", repr(float(v)))
                                  if len(re.sub(r"^[-0.]+|(e.*)?$", "", t).replace(".", "").strip("0")) >= 5}
    return found


@pytest.mark.parametrize("config, options, says", [
    ("", [], "give --exchange DIR or set c.Exchange.root in "),
    ("c.Exchange.root = {exchange!r}\n", [], "give --course-id ID or set c.CourseDirectory.course_id in "),
    ("", ["--exchange", "{exchange}", "--course-id", "nope"], "the exchange has no course 'nope' "),
])
def test_release_feedback_without_an_exchange_is_one_line_before_grading(tmp_path, capsys, config, options, says):
    from coursekit.cli import main

    course, exchange = tmp_path / "course", tmp_path / "exchange"
    (exchange / "dl101" / "inbound" / "ann").mkdir(parents=True)
    course.mkdir()
    (course / "nbgrader_config.py").write_text("c = get_config()\n" + config.format(exchange=str(exchange)))
    status = main(["grade", A, str(exchange / "dl101"), "--course-dir", str(course), "--release-feedback",
                   *(o.format(exchange=exchange) for o in options)])
    err = capsys.readouterr().err
    assert status == 1 and len(err.strip().splitlines()) == 1 and says in err, err
    assert sorted(p.name for p in course.iterdir()) == ["nbgrader_config.py"]  # nothing graded, nothing written


@pytest.mark.slow  # nbgrader's CLI about ten times and one grading run
def test_exchange_round_trip_with_nbgrader_cli(tmp_path):
    times = {}
    t0 = time.perf_counter()
    course, exchange = tmp_path / "course", tmp_path / "exchange"
    exchange.mkdir()
    demo.make_course(str(course), [A])
    with open(course / "nbgrader_config.py", "a") as fh:
        fh.write(f"c.Exchange.root = {str(exchange)!r}\nc.CourseDirectory.course_id = {COURSE_ID!r}\n")
    _nbgrader("release_assignment", A, cwd=course)
    times["release"] = time.perf_counter() - t0

    t = time.perf_counter()
    student_config = (f"c = get_config()\nc.Exchange.root = {str(exchange)!r}\n"
                      f"c.CourseDirectory.course_id = {COURSE_ID!r}\n")
    homes = {student: tmp_path / student for student in ("alice", "bob")}

    def work(student):  # what one student does, at the same time as the other (nbgrader starts slowly)
        home = homes[student]
        home.mkdir()
        (home / "nbgrader_config.py").write_text(student_config)
        _nbgrader("fetch_assignment", A, cwd=home, home=home)
        _answer(home, course, {})  # right everywhere
        _nbgrader("submit", A, "--student", student, cwd=home, home=home)
        if student == "bob":  # bob resubmits with a wrong softmax: this one counts
            _answer(home, course, {"softmax": WRONG_SOFTMAX})
            _nbgrader("submit", A, "--student", student, cwd=home, home=home)

    _each_student(work)
    inbound = exchange / COURSE_ID / "inbound"
    # nbgrader's folder names: <student>+<assignment>+<timestamp>+<random>
    older, newer = sorted((p.name for p in inbound.iterdir() if p.name.startswith("bob+")),
                          key=lambda name: name.split("+")[2])
    times["students fetch and submit"] = time.perf_counter() - t

    t = time.perf_counter()
    out = _run([sys.executable, "-m", "coursekit.cli", "grade", A, str(inbound), "--course-dir", str(course),
                "--release-feedback", "--workers", "1", "--no-progress"], cwd=tmp_path)
    times["coursekit grade --release-feedback"] = time.perf_counter() - t
    assert "released: feedback of 2 student(s)" in out, out
    assert f"bob: skipped {older}/" in out and f"older than {newer}/" in out, out

    # What we collected is what nbgrader's own collect makes of the exchange (same newest, same files).
    nbcollect = tmp_path / "nbgrader_collect"
    nbcollect.mkdir()
    shutil.copy(course / "nbgrader_config.py", nbcollect)  # the course's settings, rooted here
    _nbgrader("collect", A, cwd=nbcollect)
    for student in ("alice", "bob"):
        theirs, ours = nbcollect / "submitted" / student / A, course / "submitted" / student / A
        assert sorted(os.listdir(theirs)) == sorted(os.listdir(ours)) == [f"{A}.ipynb", "submission_secret.txt",
                                                                          "timestamp.txt"]
        assert all((theirs / f).read_bytes() == (ours / f).read_bytes() for f in os.listdir(theirs)), student

    # The exchange's course folder (or the exchange of one course) is read as its inbound: nbgrader's
    # release in outbound/ is no submission.
    from coursekit.grader import collect

    for given in (exchange / COURSE_ID, exchange):
        again = collect.collect([str(given)], str(tmp_path / "again"), A, [A], timezone="UTC")
        assert not again.problems and {s.student: s.secret for s in again.submissions} == {
            name.split("+")[0]: (inbound / name / "submission_secret.txt").read_text()
            for name in os.listdir(inbound) if name != older}, given

    # Grades, read with nbgrader's own gradebook: alice full marks on softmax, bob not.
    from nbgrader.api import Gradebook

    with open(course / "reports" / A / "grades.csv") as fh:
        rows = {r["student_id"]: r for r in csv.DictReader(fh)}
    assert set(rows) == {"alice", "bob"}
    assert float(rows["alice"]["score"]) > float(rows["bob"]["score"])
    with Gradebook(f"sqlite:///{course}/gradebook.db", COURSE_ID) as gb:
        tests = {s: {g.name: g for g in gb.find_submission_notebook(A, A, s).grades if g.name.startswith("test_")}
                 for s in ("alice", "bob")}
        assert "test_softmax" in tests["alice"]
        assert all(g.score == g.max_score > 0 for g in tests["alice"].values())  # the written answers wait for a TA
        assert tests["bob"]["test_softmax"].score < tests["bob"]["test_softmax"].max_score
        assert float(rows["alice"]["score"]) == sum(g.max_score for g in tests["alice"].values())

    t = time.perf_counter()
    hidden = demo.hidden_test_lines(str(course), A)
    def fetch_feedback(student):
        home = homes[student]
        _nbgrader("fetch_feedback", A, "--student", student, cwd=home, home=home)
        got = glob.glob(str(home / A / "feedback" / "*" / "*.html"))
        assert len(got) == 1, got  # bob: only his newest submission has feedback
        return open(got[0], encoding="utf-8").read()

    feedback = _each_student(fetch_feedback)
    times["students fetch feedback"] = time.perf_counter() - t

    assert glob.glob(str(homes["bob"] / A / "feedback" / newer.split("+")[2] / "*.html"))  # the newest's
    assert html.escape(WRONG) in feedback["bob"] and "Student: bob" in feedback["bob"]
    assert html.escape(WRONG) not in feedback["alice"] and "Student: alice" in feedback["alice"]
    assert "bob" not in feedback["alice"] and "alice" not in feedback["bob"]
    for student, text in feedback.items():
        assert "HIDDEN TESTS" not in text, student
        for line in hidden:
            assert html.escape(line) not in text, (student, line)
        numbers = _hidden_input_numbers(course, student)
        assert len(numbers) > 50  # the check has something to find
        leaked = sorted(n for n in numbers if n in text)
        assert not leaked, (student, leaked[:10])
    print("timings (s):", {k: round(v, 1) for k, v in times.items()}, "total", round(time.perf_counter() - t0, 1))
