"""End to end through ``coursekit grade``: Moodle and Canvas zips, 2 workers, kill -9 and resume."""

from __future__ import annotations

import csv
import html
import os
import signal
import subprocess
import sys
import time
import zipfile

import nbformat
import pytest

from coursekit.checks import ASSIGNMENTS, EXERCISES

from support import demo_course as demo

pytestmark = pytest.mark.slow  # two nbgrader runs and two grading runs with two workers each

A4 = "04_convolution"
FULL4 = sum(EXERCISES[n].points for n in ASSIGNMENTS[A4])
POOL_MISTAKE = next(m.message for m in EXERCISES["max_pool2d"].mistakes if "computed the average" in m.message)
WRONG_POOL = "import numpy as np\n" + demo.wrong_answer("max_pool2d", "computed the average")
MOODLE = {  # archive path -> (student id we expect, wrong answers)
    "Jane Doe_12345_assignsubmission_file_/{nb}.ipynb": ("jane_doe_12345", {}),
    "Rémi Müller_12346_assignsubmission_file_/{nb}.ipynb": ("remi_muller_12346", {"max_pool2d": WRONG_POOL}),
    "Ann Lee_12347_assignsubmission_file_{nb}.ipynb": ("ann_lee_12347", {}),
    "Bo Chen_12348_assignsubmission_file_{nb}.ipynb": ("bo_chen_12348", {"max_pool2d": WRONG_POOL}),
}
CANVAS = {
    "doejohn_22345_678910_{nb}.ipynb": ("doejohn_22345", {}),
    "smithkate_LATE_22346_678911_{nb}-1.ipynb": ("smithkate_22346", {"max_pool2d": WRONG_POOL}),
    "leeann_22347_678912_{nb}.ipynb": ("leeann_22347", {}),
    "ngtuan_22348_678913_{nb}.ipynb": ("ngtuan_22348", {}),
}


def _zip(path, members: dict, course, nbname) -> dict[str, float]:
    expected = {}
    with zipfile.ZipFile(path, "w") as zf:
        for pattern, (student, answers) in members.items():
            nb = demo.student_notebook(str(course), A4, answers)
            zf.writestr(pattern.format(nb=nbname), nbformat.writes(nb))
            expected[student] = FULL4 - (EXERCISES["max_pool2d"].points if answers else 0)
    return expected


def _grade(course, zips, out):
    return [sys.executable, "-m", "coursekit.cli", "grade", A4, *map(str, zips), "--course", str(course),
            "--out", str(out), "--workers", "2", "--no-progress"]


def test_lms_zips_through_the_command_with_kill_and_resume(tmp_path, keras):
    course = tmp_path / "course"
    demo.make_course(str(course), [A4])
    nbname = demo.notebook_names(str(course), A4)[0]
    expected = _zip(tmp_path / "moodle.zip", MOODLE, course, nbname)
    expected |= _zip(tmp_path / "canvas.zip", CANVAS, course, nbname)
    zips, out = [tmp_path / "moodle.zip", tmp_path / "canvas.zip"], tmp_path / "out"
    results = course / ".coursekit" / "results" / A4

    # First run: kill -9 the whole command as soon as one submission is done.
    proc = subprocess.Popen(_grade(course, zips, out), start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 300
    while not (results.is_dir() and any(p.suffix == ".json" for p in results.iterdir())):
        assert proc.poll() is None and time.monotonic() < deadline, proc.stdout.read().decode()[-3000:]
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = {p.name: p.stat().st_mtime_ns for p in results.iterdir() if p.suffix == ".json"}
    assert 1 <= len(done_before) < len(expected)

    # Second run: finishes the rest, regrades nothing.
    res = subprocess.run(_grade(course, zips, out), capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert f"{len(done_before)} already graded" in res.stdout
    assert f"graded {len(expected) - len(done_before)} submission(s)" in res.stdout
    for name, mtime in done_before.items():
        assert (results / name).stat().st_mtime_ns == mtime  # not regraded

    # Grades: one row per student, nbgrader's columns, the right scores and names.
    with open(out / "grades.csv") as fh:
        rows = [r for r in csv.DictReader(fh) if r["assignment"] == A4]
    assert sorted(r["student_id"] for r in rows) == sorted(expected)
    # The wrong pool may keep the points of some cases: ask the checker, in this process, on the
    # course's own hidden inputs, what it is worth.
    # The hidden inputs are each student's own (course secret + student id + exercise).
    from coursekit.checks import grade_outcomes, make_cases, run_cases
    from coursekit.grader.compare import course_seed, student_seed

    ns: dict = {}
    exec(WRONG_POOL, ns)

    def worth(student):
        seed = student_seed(course_seed(str(course / ".coursekit")), student)
        cases = make_cases("max_pool2d", hidden=True, seed=seed)
        return grade_outcomes("max_pool2d", cases, run_cases(ns["max_pool2d"], cases, "max_pool2d")).points

    for r in rows:
        wrong = expected[r["student_id"]] < FULL4
        if wrong:
            assert worth(r["student_id"]) < EXERCISES["max_pool2d"].points
        extra = worth(r["student_id"]) if wrong else 0
        assert float(r["score"]) == pytest.approx(expected[r["student_id"]] + extra), r
    jane = next(r for r in rows if r["student_id"] == "jane_doe_12345")
    assert (jane["first_name"], jane["last_name"]) == ("Jane", "Doe")

    from nbgrader.api import Gradebook, SubmittedAssignment

    with Gradebook(f"sqlite:///{course}/gradebook.db", "coursekit") as gb:
        assert gb.db.query(SubmittedAssignment).count() == len(expected)  # no duplicates
    # What the formgrader reads (nbgrader's API on the same gradebook): autograded submissions whose
    # written answer still needs a TA.
    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    cfg = Config()
    cfg.CourseDirectory.root, cfg.CourseDirectory.course_id = str(course), "coursekit"
    api = NbGraderAPI(CourseDirectory(config=cfg), config=cfg)
    subs = {s["student"]: s for s in api.get_submissions(A4)}
    assert set(subs) == set(expected) and all(s["autograded"] for s in subs.values())
    assert subs["jane_doe_12345"]["code_score"] == pytest.approx(FULL4)
    report = (out / "report.html").read_text()
    assert html.escape(POOL_MISTAKE) in report and report.count("data:image/png") == 3
    for student in expected:
        fb = (course / "feedback" / student / A4 / f"{nbname}.html").read_text()
        assert "HIDDEN TESTS" not in fb and "score_test_cell" not in fb
        assert (course / "autograded" / student / A4 / f"{nbname}.ipynb").exists()
