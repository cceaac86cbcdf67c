"""Load and faults at scale: ``coursekit grade`` on 1,000 generated submissions (not a unit test).

    .venv/bin/python benchmarks/load_grading.py [--students 1000] [--kills 3] [--dask] [--keep DIR]

One course (assignment 01_neuron, built from the solutions), ``--students`` submissions made from the
solution notebook: about 55% correct, 40% with one or two registered mistakes, 5% hostile (infinite
loops, ``os._exit``, 64 GiB allocations, output floods, reading the course's files).  Then:

1. **local**: the command as a TA runs it (2 workers), timed, with the peak memory of its whole process
   tree sampled from /proc every 0.2 s;
2. **kill and resume**: a fresh copy of the course graded again, the command killed with SIGKILL at
   ``--kills`` random moments, then run to the end; every submission must appear exactly once in the
   gradebook with the same score as in run 1 (same course secret, so the same hidden inputs);
3. **dask** (``--dask``): a local Dask scheduler and 2 single-thread workers, the same batch through
   ``--scheduler``, scores compared with run 1.

Prints throughput (submissions per second and seconds per submission), peak memory, and whether
anything was lost or duplicated.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import nbformat

from coursekit.keras_setup import quiet_tensorflow_env

quiet_tensorflow_env()

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests"))
from bench_grading import machine_cpu_seconds  # noqa: E402 (the same CPU measure as the benchmark)

from support import demo_course as demo  # noqa: E402 (after the quiet TF environment)
from support.demo_course import MISTAKES  # noqa: E402

A1 = "01_neuron"
LIMITS = ["--cell-timeout", "5", "--exercise-timeout", "5", "--submission-timeout", "60"]


def hostile(sol: dict, kind: str) -> dict:
    return {
        "loop": {"relu": "while True:\n    pass\n" + sol["relu"]},
        "slowfunc": {"elu": "def elu(z, alpha=1.0):\n    while True:\n        pass\n"},
        "exit": {"softmax": "import os\nos._exit(0)\n" + sol["softmax"]},
        "hog": {"mean_squared_error": "import numpy as np\nbig = np.ones(8 * 2**30)\n" + sol["mean_squared_error"]},
        "flood": {"nand_weights": sol["nand_weights"] + "\nimport os\nos.write(1, b'y\\n' * 10**7)\n"},
        "snoop": {"sigmoid": "import glob\nFOUND = glob.glob('/root/*') + glob.glob('/srv/*') + glob.glob('/home/*')\n"
                  + sol["sigmoid"]},
    }[kind]


def make_batch(course: str, inbox: str, n: int, seed: int) -> dict[str, str]:
    """Write ``n`` submissions to ``inbox/<student>/``; returns student -> kind."""
    rng = random.Random(seed)
    nbname = demo.notebook_names(course, A1)[0]
    sol = demo.solutions(course, A1, nbname)
    kinds = {}
    for i in range(n):
        student = f"student{i:04d}"
        roll = rng.random()
        if roll < 0.05:
            kind = rng.choice(["loop", "slowfunc", "exit", "hog", "flood", "snoop"])
            answers = hostile(sol, kind)
        elif roll < 0.45:
            chosen = rng.sample(sorted(MISTAKES[A1]), rng.choice([1, 2]))
            answers = {MISTAKES[A1][m][0]: "import numpy as np\n" + MISTAKES[A1][m][1] for m in chosen}
            kind = "wrong"
        else:
            kind, answers = "correct", {}
        os.makedirs(os.path.join(inbox, student))
        nbformat.write(demo.student_notebook(course, A1, answers), os.path.join(inbox, student, nbname + ".ipynb"))
        kinds[student] = kind
    return kinds


def tree_rss(pid: int) -> int:
    """Resident memory (bytes) of ``pid`` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo += children.get(p, [])
    return total


def grade(course: str, inbox: str, extra=(), kill_after: float | None = None) -> dict:
    cmd = [sys.executable, "-m", "coursekit.cli", "grade", A1, inbox, "--course-dir", course, "--no-progress",
           *LIMITS, *extra]
    t0, c0 = time.perf_counter(), machine_cpu_seconds()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    peak = [0]
    done = threading.Event()

    def sample():
        while not done.wait(0.2):
            peak[0] = max(peak[0], tree_rss(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    killed = False
    try:
        out, _ = proc.communicate(timeout=kill_after)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        killed = True
    done.set()
    sampler.join()
    return {"seconds": time.perf_counter() - t0, "cpu": machine_cpu_seconds() - c0, "peak_rss": peak[0],
            "killed": killed,
            "rc": proc.returncode, "out": out.decode(errors="replace")}


def scores(course: str) -> dict[str, float]:
    with open(os.path.join(course, "reports", A1, "grades.csv")) as fh:
        rows = list(csv.DictReader(fh))
    ids = [r["student_id"] for r in rows]
    if len(ids) != len(set(ids)):
        raise SystemExit("a student appears twice in grades.csv")
    return {r["student_id"]: float(r["score"]) for r in rows}


def gradebook_count(course: str) -> tuple[int, int]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course}/gradebook.db", "coursekit") as gb:
        subs = gb.find_assignment(A1).submissions
        return len(subs), len({s.student_id for s in subs})


def start_dask(root: str):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    sched_file = os.path.join(root, "scheduler.json")
    procs = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                               "--port", "0", "--no-dashboard", "--scheduler-file", sched_file], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    while not os.path.exists(sched_file):
        time.sleep(0.2)
    with open(sched_file) as fh:
        address = json.load(fh)["address"]
    for name in ("w1", "w2"):
        procs.append(subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads",
                                       "1", "--name", name, "--no-dashboard"], env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    from distributed import Client

    with Client(address) as c:
        c.wait_for_workers(2, timeout=120)
    return address, procs


def report(label: str, n: int, r: dict) -> None:
    print(f"{label}: {n} submissions in {r['seconds']:.1f} s = {n / r['seconds']:.2f} per second "
          f"({r['seconds'] / n:.3f} s each), machine CPU {r['cpu'] / n:.3f} s per submission, "
          f"peak memory of the command's process tree {r['peak_rss'] / 2**20:.0f} MiB")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=1000)
    ap.add_argument("--kills", type=int, default=3)
    ap.add_argument("--dask", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep", default=None)
    args = ap.parse_args()

    from coursekit.grader import compare, pipeline

    root = args.keep or tempfile.mkdtemp(prefix="load_grading_")
    base = os.path.join(root, "course")
    demo.make_course(base, [A1])
    compare.course_seed(os.path.join(base, pipeline.STATE))  # one secret for every copy below
    inbox = os.path.join(root, "inbox")
    kinds = make_batch(base, inbox, args.students, args.seed)
    counts = {k: list(kinds.values()).count(k) for k in sorted(set(kinds.values()))}
    print(f"{args.students} submissions in {root}: {counts}")
    n = args.students

    local = os.path.join(root, "local")
    shutil.copytree(base, local)
    r = grade(local, inbox)
    report("local, 2 workers", n, r)
    ref = scores(local)
    lost = sorted(set(kinds) - set(ref))
    print(f"  graded {len(ref)} of {n}; lost: {lost or 'none'}; gradebook (rows, students): {gradebook_count(local)}")
    print("  " + "\n  ".join(line for line in r["out"].splitlines() if line.startswith(("graded", "sandbox"))))

    resumed = os.path.join(root, "resumed")
    shutil.copytree(base, resumed)
    rng = random.Random(args.seed + 1)
    for k in range(args.kills):
        rk = grade(resumed, inbox, kill_after=rng.uniform(5, max(6.0, r["seconds"] * 0.8)))
        folder = os.path.join(resumed, pipeline.STATE, "results", A1)
        done = sum(f.endswith(".json") for f in os.listdir(folder)) if os.path.isdir(folder) else 0
        print(f"  kill {k + 1}: SIGKILL after {rk['seconds']:.1f} s ({'killed' if rk['killed'] else 'finished'}); "
              f"{done} result files so far")
    rf = grade(resumed, inbox)
    got = scores(resumed)
    differ = sorted(s for s in ref if got.get(s) != ref[s])
    print(f"kill and resume: final run {rf['seconds']:.1f} s; {len(got)} of {n} in grades.csv; gradebook (rows, "
          f"students): {gradebook_count(resumed)}; scores differing from the uninterrupted run: {differ or 'none'}")

    if args.dask:
        address, procs = start_dask(root)
        try:
            remote = os.path.join(root, "dask")
            shutil.copytree(base, remote)
            rd = grade(remote, inbox, extra=["--scheduler", address])
            report("dask, 2 workers", n, rd)
            got = scores(remote)
            differ = sorted(s for s in ref if got.get(s) != ref[s])
            print(f"  {len(got)} of {n} in grades.csv; differing from local: {differ or 'none'}")
        finally:
            for p in procs:
                p.kill()
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
