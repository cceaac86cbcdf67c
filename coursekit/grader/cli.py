"""``coursekit grade``: one command from an LMS export to grades, feedback and a report.

    coursekit grade 01_neuron moodle_export.zip                 # course: ./grading
    coursekit grade 04_convolution submissions/ canvas.zip --course-dir /srv/course --workers 2

Outputs: the nbgrader gradebook (``--db``, default the course's), ``autograded/`` and ``feedback/``
in the course directory, and ``grades.csv`` + ``report.html`` in ``--out``
(default ``<course>/reports/<assignment>/``).  Rerunning the same command resumes.
"""

from __future__ import annotations

import argparse
import os
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from coursekit.assignments.release import DEFAULT_COURSE_DIR

    from .sandbox import Limits

    default = Limits()
    parser.add_argument("assignment", help="assignment name, e.g. 01_neuron")
    parser.add_argument("submissions", nargs="+", help="folders and/or LMS zip exports (Moodle, Canvas)")
    # Same option and default as `coursekit release`, so the two commands meet in one course.
    parser.add_argument("--course-dir", "--course", dest="course", default=str(DEFAULT_COURSE_DIR),
                        help="nbgrader course directory, set up by `coursekit release` (default: ./grading)")
    parser.add_argument("--db", default=None, help="gradebook database URL (default: the course's, "
                        "sqlite:///<course>/gradebook.db); any URL nbgrader accepts")
    parser.add_argument("--out", default=None, help="where grades.csv and report.html go")
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: one per core)")
    parser.add_argument("--cell-timeout", type=float, default=default.cell_timeout,
                        help="seconds per notebook cell (default: %(default)g)")
    parser.add_argument("--exercise-timeout", type=float, default=default.exercise_timeout,
                        help="seconds for one function on all its test inputs (default: %(default)g)")
    parser.add_argument("--submission-timeout", type=float, default=default.submission_timeout,
                        help="seconds per submission (default: %(default)g)")
    parser.add_argument("--memory", type=float, default=default.memory_bytes / 2**30,
                        help="address-space cap per submission, GiB (default: %(default)g)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from .pipeline import grade_assignment
    from .sandbox import Limits, probe

    if not os.path.isdir(args.course):
        print(f"coursekit grade: no course directory {os.path.abspath(args.course)}: set one up with "
              f"`coursekit release --course-dir {args.course} --source DIR`", file=sys.stderr)
        return 1
    limits = Limits(memory_bytes=int(args.memory * 2**30), cell_timeout=args.cell_timeout,
                    exercise_timeout=args.exercise_timeout, submission_timeout=args.submission_timeout)
    for line in probe().describe():
        print(f"sandbox {line}")
    try:
        result = grade_assignment(args.course, args.assignment, args.submissions, db_url=args.db,
                                  workers=args.workers, out_dir=args.out, limits=limits,
                                  progress=not args.no_progress)
    except (FileNotFoundError, RuntimeError) as exc:  # no such assignment/course: say what to run first
        print(f"coursekit grade: {exc}", file=sys.stderr)
        return 1
    print(f"graded {result.graded} submission(s), {result.skipped} already graded, "
          f"in {result.seconds:.1f} s")
    for line in result.problems:
        print(f"problem: {line}")
    print(f"grades:   {os.path.relpath(result.csv)}")
    print(f"report:   {os.path.relpath(result.report)}")
    print(f"feedback: {os.path.relpath(os.path.join(os.path.abspath(args.course), 'feedback'))}/")
    return 0
