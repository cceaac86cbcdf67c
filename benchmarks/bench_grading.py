"""Stock ``nbgrader autograde`` versus ``coursekit grade`` on the same submissions.

    .venv/bin/python benchmarks/bench_grading.py [--students 30] [--workers 2] [--keep DIR]

Builds two identical nbgrader courses (assignments 01_neuron and 04_convolution, from the
solution notebooks), generates ``--students`` submissions per assignment from the solutions with
realistic mistakes (about 40% correct, the others with one or two mistakes each, seeded), grades
them with stock ``nbgrader autograde`` (one Jupyter kernel per notebook, sequential) and with the
pipeline (sandboxed NumPy children, Keras in the trusted workers), then prints both times, the
throughput ratio and every score that differs, per test cell, with the checker's explanation.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

import nbformat

from coursekit.keras_setup import quiet_tensorflow_env

quiet_tensorflow_env()

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests"))
from support import demo_course as demo  # noqa: E402 (after the quiet TF environment; in the checkout's tests/)
from support.demo_course import MISTAKES  # noqa: E402

ASSIGNMENTS = list(MISTAKES)


def make_submissions(course: str, students: int, seed: int) -> dict:
    """{assignment: {student: (notebook, [mistake names])}} written under <course>/../submissions."""

    rng = random.Random(seed)
    out = {}
    for a in ASSIGNMENTS:
        nbname = demo.notebook_names(course, a)[0]
        out[a] = {}
        for i in range(students):
            student = f"student{i:03d}"
            chosen = [] if rng.random() < 0.4 else rng.sample(sorted(MISTAKES[a]), rng.choice([1, 2]))
            answers = {}
            for m in chosen:
                fn, src = MISTAKES[a][m]
                answers[fn] = "import numpy as np\n" + src
            nb = demo.student_notebook(course, a, answers)
            out[a][student] = (nbname, chosen, nb)
    return out


def place(course: str, subs: dict) -> None:
    for a, by in subs.items():
        for student, (nbname, _, nb) in by.items():
            folder = os.path.join(course, "submitted", student, a)
            os.makedirs(folder, exist_ok=True)
            nbformat.write(nb, os.path.join(folder, nbname + ".ipynb"))


def machine_cpu_seconds() -> float:
    """All CPU time this machine has spent so far (user + nice + system, every process), from /proc/stat."""
    with open("/proc/stat") as fh:
        f = fh.readline().split()[1:]
    return (int(f[0]) + int(f[1]) + int(f[2])) / os.sysconf("SC_CLK_TCK")


def scores(course: str, assignment: str) -> dict[str, dict[str, float]]:
    """student -> {grade cell: score} from the gradebook (auto or manual)."""
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(f"sqlite:///{course}/gradebook.db", "coursekit") as gb:
        for sub in gb.find_assignment(assignment).submissions:
            cells = {}
            for nb in sub.notebooks:
                for g in nb.grades:
                    cells[g.cell.name] = g.score
            out[sub.student.id] = cells
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=30)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep", default=None, help="work in this folder and keep it")
    ap.add_argument("--no-stock", action="store_true", help="time coursekit grade only (skip nbgrader autograde)")
    args = ap.parse_args()

    from coursekit.grader import pipeline

    root = args.keep or tempfile.mkdtemp(prefix="bench_grading_")
    stock, ours = os.path.join(root, "stock"), os.path.join(root, "pipeline")
    for d in (stock, ours):
        shutil.rmtree(d, ignore_errors=True)
        demo.make_course(d, ASSIGNMENTS)
    # One course secret for both: each student then gets the same hidden inputs from either grader
    # (nbgrader's test cells find it through coursekit.checks.autograde_seed).
    from coursekit.grader.compare import course_seed

    course_seed(os.path.join(ours, pipeline.STATE))
    os.makedirs(os.path.join(stock, pipeline.STATE), exist_ok=True)
    shutil.copy(os.path.join(ours, pipeline.STATE, "secret"), os.path.join(stock, pipeline.STATE, "secret"))
    subs = make_submissions(stock, args.students, args.seed)
    n = sum(len(v) for v in subs.values())
    print(f"{n} submissions ({args.students} students x {len(ASSIGNMENTS)} assignments) in {root}")

    t_stock = None
    if not args.no_stock:
        place(stock, subs)
        env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
        t0 = time.perf_counter()
        for a in ASSIGNMENTS:
            subprocess.run([sys.executable, "-m", "nbgrader", "autograde", a, "--force",
                            f"--CourseDirectory.root={stock}"], cwd=stock, env=env, check=True, capture_output=True)
        t_stock = time.perf_counter() - t0
        print(f"stock nbgrader autograde: {t_stock:7.1f} s  ({t_stock / n:.2f} s per submission, sequential)")

    inbox = os.path.join(root, "inbox")
    for a, by in subs.items():
        for student, (nbname, _, nb) in by.items():
            os.makedirs(os.path.join(inbox, a, student), exist_ok=True)
            nbformat.write(nb, os.path.join(inbox, a, student, nbname + ".ipynb"))
    t0, c0 = time.perf_counter(), machine_cpu_seconds()
    with pipeline.make_pool(args.workers) as pool:  # warm workers shared by both assignments
        for a in ASSIGNMENTS:
            pipeline.grade_assignment(ours, a, [os.path.join(inbox, a)], workers=args.workers, progress=True,
                                      pool=pool)
    t_ours, cpu = time.perf_counter() - t0, machine_cpu_seconds() - c0
    print(f"coursekit grade:          {t_ours:7.1f} s  ({t_ours / n:.2f} s per submission, {args.workers} workers; "
          f"includes start-up, feedback HTML, CSV and report); machine CPU {cpu / n:.3f} s per submission")
    if t_stock is None:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
        return 0
    print(f"throughput ratio: {t_stock / t_ours:.1f}x")

    differ = 0
    for a in ASSIGNMENTS:
        s_stock, s_ours = scores(stock, a), scores(ours, a)
        for student in sorted(subs[a]):
            mistakes = subs[a][student][1]
            cs, co = s_stock.get(student, {}), s_ours.get(student, {})
            for cell in sorted(set(cs) | set(co)):
                x, y = cs.get(cell), co.get(cell)
                if x is None or y is None or abs(x - y) > 1e-6:
                    differ += 1
                    print(f"  {a} {student} {cell}: stock {x} vs pipeline {y}   "
                          f"(mistakes: {', '.join(mistakes) or 'none'})")
    total = sum(len(v) for v in subs.values())
    print(f"{differ} grade cells differ across {total} submissions")
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
