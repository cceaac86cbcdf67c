"""``coursekit grade --scheduler``: a real Dask scheduler and two worker processes on localhost.

One batch of assignment 01_neuron (correct answers and two kinds of wrong softmax) is graded twice,
from two copies of one course (same secret, so the same hidden inputs): once by the local process
pool, once on the Dask cluster, where one worker is killed with SIGKILL mid-batch.  The cluster's run
must give every submission the local pool's points and messages, exactly once in the gradebook, with
the progress bar moved once per completed task.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import nbformat
import pytest

from coursekit.checks import ASSIGNMENTS, EXERCISES
from coursekit.grader import cluster, compare, pipeline
from coursekit.grader.sandbox import Limits

from support import demo_course as demo

pytestmark = pytest.mark.slow  # a Dask cluster, 2 x 10 sandboxed submissions

A1 = "01_neuron"
LIMITS = Limits(cell_timeout=20, exercise_timeout=30, submission_timeout=120)
AXIS = demo.wrong_answer("softmax", "normalised over the whole array")
NO_MAX = demo.wrong_answer("softmax", "overflowed")
ANSWERS = {f"s{i:02d}": {} for i in range(6)} | {"w_axis1": {"softmax": AXIS}, "w_axis2": {"softmax": AXIS},
                                                  "w_nomax1": {"softmax": NO_MAX}, "w_nomax2": {"softmax": NO_MAX}}
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0", "OPENBLAS_NUM_THREADS": "1"}


@pytest.fixture(scope="module")
def courses(tmp_path_factory, keras):
    root = tmp_path_factory.mktemp("cluster")
    local = root / "local"
    demo.make_course(str(local), [A1])
    compare.course_seed(str(local / pipeline.STATE))  # the secret, before the copy: both draw the same inputs
    remote = root / "remote"
    shutil.copytree(local, remote)
    subs = root / "submissions"
    nbname = demo.notebook_names(str(local), A1)[0]
    for student, answers in ANSWERS.items():
        (subs / student).mkdir(parents=True)
        nbformat.write(demo.student_notebook(str(local), A1, answers), str(subs / student / f"{nbname}.ipynb"))
    return local, remote, subs


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    """A scheduler and two single-thread worker processes (no nanny: a killed worker stays dead)."""
    root = tmp_path_factory.mktemp("dask")
    sched_file = root / "scheduler.json"
    procs = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                               "--port", "0", "--no-dashboard", "--scheduler-file", str(sched_file)],
                              env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    deadline = time.monotonic() + 60
    while not sched_file.exists():
        assert time.monotonic() < deadline, "the Dask scheduler did not start"
        time.sleep(0.2)
    address = json.loads(sched_file.read_text())["address"]
    workers = {}
    for name in ("w1", "w2"):
        workers[name] = subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1", "--no-nanny",
             "--name", name, "--no-dashboard"],
            env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs += list(workers.values())
    from distributed import Client

    with Client(address) as client:
        client.wait_for_workers(2, timeout=120)
    yield address, workers
    for p in procs:
        p.kill()
        p.wait()


def _by_student(run) -> dict[str, tuple]:
    return {r["student"]: (r["score"], [(e["name"], e["points"], e["messages"], e["diagnoses"])
                                        for e in r["exercises"]]) for r in run.results}


def test_dask_cluster_grades_like_the_local_pool_and_survives_a_killed_worker(courses, dask_cluster, monkeypatch):
    local, remote, subs = courses
    address, workers = dask_cluster
    here = pipeline.grade_assignment(str(local), A1, [str(subs)], workers=2, limits=LIMITS, progress=False)
    assert here.graded == len(ANSWERS) and not here.problems, here.problems

    ticks = []

    class Bar:
        def update(self, n):
            ticks.append(n)

        def close(self):
            pass

    monkeypatch.setattr(pipeline, "_progress", lambda total, enabled, initial_note="": Bar())
    results = remote / pipeline.STATE / "results" / A1
    killed = {}

    def kill_w1_mid_batch():  # as soon as the first result is back, while both workers hold tasks
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if results.is_dir() and any(p.suffix == ".json" for p in results.iterdir()):
                killed["after"] = sum(p.suffix == ".json" for p in results.iterdir())
                workers["w1"].send_signal(signal.SIGKILL)
                return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_w1_mid_batch)
    killer.start()
    there = pipeline.grade_assignment(str(remote), A1, [str(subs)], limits=LIMITS, progress=True,
                                      scheduler=address)
    killer.join()
    assert workers["w1"].wait(timeout=10) == -signal.SIGKILL and killed["after"] < len(ANSWERS)

    # Nothing lost, nothing twice, the same verdicts as the local pool.
    assert there.graded == len(ANSWERS) and not there.problems, there.problems
    assert ticks == [1] * len(ANSWERS)
    assert _by_student(there) == _by_student(here)
    full = sum(EXERCISES[n].points for n in ASSIGNMENTS[A1])
    for student, answers in ANSWERS.items():  # the wrong softmaxes lose points there, and only there
        score, exercises = _by_student(there)[student]
        assert (score < full) == bool(answers), student
        assert all(points == EXERCISES[name].points for name, points, _, _ in exercises if name != "softmax")
    # w1's unfinished tasks went to w2: w1 delivered at most what was done when it died.
    by_worker = [r["worker"].split()[0] for r in there.results]
    assert by_worker.count("w1") <= killed["after"] and by_worker.count("w2") >= len(ANSWERS) - killed["after"]
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{remote}/gradebook.db", "coursekit") as gb:
        subs_in_db = gb.find_assignment(A1).submissions
        assert sorted(s.student_id for s in subs_in_db) == sorted(ANSWERS)
        assert {s.student_id: s.score for s in subs_in_db} == {s: v[0] for s, v in _by_student(here).items()}

    # A rerun finds every result on disk: nothing is sent to the cluster again.
    again = pipeline.grade_assignment(str(remote), A1, [str(subs)], limits=LIMITS, progress=False,
                                      scheduler=address)
    assert (again.graded, again.skipped) == (0, len(ANSWERS))


def test_task_key_names_submission_seed_and_grader_version():
    unit = {"assignment": A1, "student": "ana", "notebook": "01_neuron", "sha256": "ab" * 32, "seed": 123456789}
    key = cluster.task_key(unit)
    assert cluster.task_key(dict(unit)) == key
    for change in ({"sha256": "cd" * 32}, {"seed": 987654321}, {"student": "bo"}):
        assert cluster.task_key({**unit, **change}) != key


def test_a_scheduler_nobody_runs_is_one_clear_error():
    from coursekit.errors import CoursekitError

    with pytest.raises(CoursekitError, match="no Dask scheduler answers at tcp://127.0.0.1:1"):
        cluster.connect("tcp://127.0.0.1:1", timeout="2s")
