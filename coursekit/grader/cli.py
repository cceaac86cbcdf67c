"""Grade one assignment, from the LMS export to grades, feedback and a report.

Give the assignment's name and the submissions: zip files exported from Moodle
or Canvas, folders holding <student>/<notebook>.ipynb, or nbgrader's exchange
(<exchange>/<course id>/inbound, where `nbgrader submit` and the Assignments tab
put them; a student's newest submission counts).  Every notebook runs
in a sandbox against the course's hidden tests; a broken submission costs only
that submission, and is listed as a problem at the end.  The grades go into the
nbgrader gradebook of the course (so Formgrader shows them), the graded
notebooks into autograded/ and the students' feedback into feedback/ of the
course; grades.csv and report.html into --out (default:
<course>/reports/<assignment>/).  Rerunning the same command resumes: what is
already graded is not graded again.  --release-feedback then hands each
exchange submission's feedback back through nbgrader's release_feedback, so
each student gets their own with `nbgrader fetch_feedback` (the Assignments tab).

examples:
  coursekit grade 01_neuron moodle_export.zip      # the course in ./grading
  coursekit grade 04_convolution late/ canvas.zip --course-dir /srv/course
  coursekit grade 01_neuron moodle_export.zip --scheduler tcp://gradehost:8786   # on a Dask cluster
  coursekit grade 01_neuron /srv/nbgrader/exchange/dl101/inbound --course-dir /srv/course --release-feedback
"""

from __future__ import annotations

import argparse
import os

from coursekit.assignments import ASSIGNMENT_NAMES
from coursekit.errors import CoursekitError, unknown


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from coursekit.assignments.release import DEFAULT_COURSE_DIR

    from .sandbox import Limits

    default = Limits()
    parser.add_argument("assignment", help="assignment name, e.g. 01_neuron")
    parser.add_argument("submissions", nargs="+", help="folders and/or LMS zip exports (Moodle, Canvas), "
                        "or the exchange's <exchange>/<course id>/inbound")
    # Same option and default as `coursekit release`, so the two commands meet in one course.
    parser.add_argument("--course-dir", "--course", dest="course", metavar="DIR", default=str(DEFAULT_COURSE_DIR),
                        help="nbgrader course directory, set up by `coursekit release` (default: ./grading)")
    parser.add_argument("--db", default=None, help="gradebook database URL (default: the course's, "
                        "sqlite:///<course>/gradebook.db); any URL nbgrader accepts")
    parser.add_argument("--out", default=None, help="where grades.csv and report.html go")
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default: one per core)")
    parser.add_argument("--scheduler", metavar="ADDRESS", default=None,
                        help="grade on a Dask cluster instead of this machine, e.g. tcp://HOST:8786 "
                        "(workers started with `dask worker ADDRESS --nthreads 1`; needs coursekit[cluster])")
    parser.add_argument("--cell-timeout", type=float, default=default.cell_timeout,
                        help="seconds per notebook cell (default: %(default)g)")
    parser.add_argument("--exercise-timeout", type=float, default=default.exercise_timeout,
                        help="seconds for one function on all its test inputs (default: %(default)g)")
    parser.add_argument("--submission-timeout", type=float, default=default.submission_timeout,
                        help="seconds per submission (default: %(default)g)")
    parser.add_argument("--memory", type=float, default=default.memory_bytes / 2**30,
                        help="address-space cap per submission, GiB (default: %(default)g)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--lms-export", choices=("auto", "moodle", "canvas", "both", "none"), default="auto",
                        help="gradebook import file(s) to write next to grades.csv: moodle_grades.csv (Moodle's "
                        "grading worksheet), canvas_grades.csv (Canvas's gradebook import); default: one for "
                        "each LMS the submissions came from")
    parser.add_argument("--canvas-assignment-id", default=None, metavar="ID",
                        help="the Canvas assignment's id (the number in its URL), so the import updates that "
                        "assignment instead of creating a new one")
    parser.add_argument("--lms-scale-to", type=float, default=None, metavar="POINTS",
                        help="write LMS grades out of POINTS (the LMS assignment's maximum) instead of the "
                        "nbgrader maximum")
    parser.add_argument("--release-feedback", action="store_true",
                        help="after grading, release the feedback of exchange submissions with nbgrader's "
                        "release_feedback, for the students to fetch (`nbgrader fetch_feedback`)")
    parser.add_argument("--exchange", metavar="DIR", default=None,
                        help="nbgrader's exchange root for --release-feedback (default: the course's "
                        "c.Exchange.root)")
    parser.add_argument("--course-id", metavar="ID", default=None,
                        help="the course id in the exchange for --release-feedback (default: the course's "
                        "c.CourseDirectory.course_id)")


def check_submissions(paths: list[str]) -> None:
    """Raise CoursekitError unless every path is a readable folder or zip file."""
    import zipfile

    expected = "the zip the LMS exported, or a folder of <student>/<notebook>.ipynb"
    for path in paths:
        if not os.path.exists(path):
            raise CoursekitError(f"no such file or folder: {path}; give {expected}")
        if not os.access(path, os.R_OK | (os.X_OK if os.path.isdir(path) else 0)):
            raise CoursekitError(f"cannot read {path} (permission denied); make it readable: chmod -R u+rX {path}")
        if os.path.isdir(path):
            continue
        if path.endswith(".ipynb"):
            raise CoursekitError(f"{path} is one notebook, not a folder or zip of submissions; put it in a folder "
                                 f"as <student>/{os.path.basename(path)} and give the folder")
        if not zipfile.is_zipfile(path):
            raise CoursekitError(f"{path} is not a zip file; give {expected} (download the zip again if it was "
                                 "cut short)")


def check_course(course: str) -> None:
    """Raise CoursekitError unless ``course`` is an nbgrader course directory."""
    setup = (f"set one up with `coursekit release --course-dir {course} --source DIR` (DIR: the source notebooks, "
             "solutions/ of the course repository)")
    if not os.path.isdir(course):
        raise CoursekitError(f"no course directory {os.path.abspath(course)}; run coursekit in the course "
                             f"repository, give --course-dir the course's folder, or {setup}")
    if not os.path.isfile(os.path.join(course, "nbgrader_config.py")):
        raise CoursekitError(f"{os.path.abspath(course)} has no nbgrader_config.py, so it is not an nbgrader "
                             f"course; {setup}, or give --course-dir the folder that has it")


def run(args: argparse.Namespace) -> int:
    # Everything a typo can get wrong is checked first: nothing is written and nothing heavy is imported.
    if args.assignment not in ASSIGNMENT_NAMES:
        raise unknown("assignment", args.assignment, ASSIGNMENT_NAMES)
    check_submissions(args.submissions)
    check_course(args.course)
    if args.release_feedback:
        from .exchange import settings

        # a missing exchange fails before any grading; the resolved values serve the release at the end
        args.exchange, args.course_id = settings(args.course, args.exchange, args.course_id)

    from .pipeline import grade_assignment
    from .sandbox import Limits, probe

    limits = Limits(memory_bytes=int(args.memory * 2**30), cell_timeout=args.cell_timeout,
                    exercise_timeout=args.exercise_timeout, submission_timeout=args.submission_timeout)
    for line in probe().describe():
        print(f"sandbox {line}")
    try:
        result = grade_assignment(args.course, args.assignment, args.submissions, db_url=args.db,
                                  workers=args.workers, out_dir=args.out, limits=limits,
                                  progress=not args.no_progress, scheduler=args.scheduler,
                                  lms_export=args.lms_export, canvas_assignment_id=args.canvas_assignment_id,
                                  lms_scale_to=args.lms_scale_to)
    except (FileNotFoundError, RuntimeError) as exc:  # the assignment is not released: say what to run first
        raise CoursekitError(str(exc)) from exc
    print(f"graded {result.graded} submission(s), {result.skipped} already graded, "
          f"in {result.seconds:.1f} s")
    for line in result.problems:
        print(f"problem: {line}")
    from .collect import SKIPPED_OLDER

    for line in result.notes:
        if SKIPPED_OLDER in line:  # a resubmission: only the newest is graded
            print(f"note: {line}")
    print(f"grades:   {os.path.relpath(result.csv)}")
    print(f"report:   {os.path.relpath(result.report)}")
    for path in result.lms_files:
        print(f"LMS:      {os.path.relpath(path)}  (import it into {os.path.basename(path).split('_')[0].title()})")
    print(f"feedback: {os.path.relpath(os.path.join(os.path.abspath(args.course), 'feedback'))}/")
    if args.release_feedback:
        from .exchange import release_feedback

        done = release_feedback(args.course, args.assignment, args.exchange, args.course_id)
        print(f"released: feedback of {len(done.students)} student(s) to {done.exchange} "
              "(students: `nbgrader fetch_feedback` or the Assignments tab)")
        if done.not_released:
            print(f"not released (not submitted through the exchange): {', '.join(done.not_released)}")
    return 0
