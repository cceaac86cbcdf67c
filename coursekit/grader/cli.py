"""``coursekit grade``: one command from an LMS export to grades, feedback and a report.

    coursekit grade 01_neuron moodle_export.zip                 # course: grading/ of the repository
    coursekit grade 04_convolution submissions/ canvas.zip --course-dir /srv/course --workers 2

Outputs: the nbgrader gradebook (``--db``, default the course's), ``autograded/`` and ``feedback/``
in the course directory, and ``grades.csv`` + ``report.html`` in ``--out``
(default ``<course>/reports/<assignment>/``).  Rerunning the same command resumes.
"""

from __future__ import annotations

import argparse
import os


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("assignment", help="assignment name, e.g. 01_neuron")
    parser.add_argument("submissions", nargs="+", help="folders and/or LMS zip exports (Moodle, Canvas)")
    from coursekit.assignments.release import GRADING

    # Same option and default as `coursekit release`, so the two commands meet in one course.
    parser.add_argument("--course-dir", "--course", dest="course", default=str(GRADING),
                        help="nbgrader course directory (default: grading/ of the repository)")
    parser.add_argument("--db", default=None, help="gradebook database URL (default: the course's, "
                        "sqlite:///<course>/gradebook.db); any URL nbgrader accepts")
    parser.add_argument("--out", default=None, help="where grades.csv and report.html go")
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: one per core)")
    parser.add_argument("--cell-timeout", type=float, default=30.0, help="seconds per notebook cell")
    parser.add_argument("--exercise-timeout", type=float, default=60.0,
                        help="seconds for one function on all its test inputs")
    parser.add_argument("--submission-timeout", type=float, default=300.0, help="seconds per submission")
    parser.add_argument("--memory", type=float, default=6.0, help="address-space cap per submission, GiB")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from .pipeline import grade_assignment
    from .sandbox import Limits, probe

    limits = Limits(memory_bytes=int(args.memory * 2**30), cell_timeout=args.cell_timeout,
                    exercise_timeout=args.exercise_timeout, submission_timeout=args.submission_timeout)
    for line in probe().describe():
        print(f"sandbox {line}")
    result = grade_assignment(args.course, args.assignment, args.submissions, db_url=args.db,
                              workers=args.workers, out_dir=args.out, limits=limits,
                              progress=not args.no_progress)
    print(f"graded {result.graded} submission(s), {result.skipped} already graded, "
          f"in {result.seconds:.1f} s")
    for line in result.problems:
        print(f"problem: {line}")
    print(f"grades:   {os.path.relpath(result.csv)}")
    print(f"report:   {os.path.relpath(result.report)}")
    print(f"feedback: {os.path.relpath(os.path.join(os.path.abspath(args.course), 'feedback'))}/")
    return 0
