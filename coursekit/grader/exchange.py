"""Return feedback through nbgrader's exchange: the last stage of ``coursekit grade --release-feedback``.

Students who submitted with ``nbgrader submit`` (the Assignments tab) fetch feedback the same way
(``nbgrader fetch_feedback``, or "Fetch Feedback" in the tab).  nbgrader's own release_feedback does
the hand-over: it copies each ``<course>/feedback/<student>/<assignment>/<notebook>.html`` into
``<exchange>/<course id>/feedback/<hash>.html``, where the hash is made from the submission's secret
(``submission_secret.txt``, written by ``nbgrader submit``, kept by ``collect.py`` and put beside the
HTML by ``report.write_feedback``).  Only the student who holds that secret in their own nbgrader
cache finds the file, so each student gets their own feedback and nobody else's.

Submissions that did not come through the exchange (LMS zips, plain folders) have no secret: their
feedback stays in ``<course>/feedback/`` for the LMS, and is listed as not released.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field

from coursekit.errors import CoursekitError

from .collect import EXCHANGE_FILES


@dataclass
class Released:
    exchange: str  # <exchange root>/<course id>
    students: list[str] = field(default_factory=list)  # feedback released to these students
    not_released: list[str] = field(default_factory=list)  # feedback without an exchange submission


def settings(course_dir: str, exchange: str | None = None, course_id: str | None = None) -> tuple[str, str]:
    """(exchange root, course id): the options if given, else the course's ``nbgrader_config.py``.

    Raises CoursekitError, one line saying what to set, when either is missing or the exchange's
    course folder does not exist; called before grading, so a typo costs nothing.
    """
    root, course_id, _ = _resolve(course_dir, exchange, course_id)
    return root, course_id


def _resolve(course_dir: str, exchange: str | None, course_id: str | None):
    """(exchange root, course id, the course's nbgrader config), checked as :func:`settings` says."""
    from .record import load_config

    cfg = load_config(course_dir)
    config = os.path.join(os.path.abspath(course_dir), "nbgrader_config.py")
    root = exchange or (cfg.Exchange.root if "root" in cfg.Exchange else None)
    course_id = course_id or (cfg.CourseDirectory.course_id if "course_id" in cfg.CourseDirectory else None)
    if not root:
        raise CoursekitError(f"no nbgrader exchange to release feedback into: give --exchange DIR or set "
                             f"c.Exchange.root in {config}")
    if not course_id:
        raise CoursekitError(f"no course id for the exchange: give --course-id ID or set "
                             f"c.CourseDirectory.course_id in {config}")
    course = os.path.join(os.path.abspath(root), course_id)
    if not os.path.isdir(course):
        raise CoursekitError(f"the exchange has no course {course_id!r} ({course} does not exist): give the "
                             "--exchange and --course-id the students submitted to (nbgrader's Exchange.root "
                             "and CourseDirectory.course_id)")
    return os.path.abspath(root), course_id, cfg


def release_feedback(course_dir: str, assignment: str, exchange: str | None = None,
                     course_id: str | None = None) -> Released:
    """Release every exchange submission's feedback of ``assignment`` with nbgrader's release_feedback."""
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.exchange import ExchangeError, ExchangeFactory

    root, course_id, cfg = _resolve(course_dir, exchange, course_id)
    course_root = os.path.abspath(course_dir)
    out = Released(os.path.join(root, course_id))
    for folder in sorted(glob.glob(os.path.join(course_root, "feedback", "*", assignment))):
        if not glob.glob(os.path.join(folder, "*.html")):
            continue
        student = os.path.basename(os.path.dirname(folder))
        ready = all(os.path.isfile(os.path.join(folder, f)) for f in EXCHANGE_FILES)
        (out.students if ready else out.not_released).append(student)
    if not out.students:
        return out
    cfg.CourseDirectory.root = course_root
    cfg.CourseDirectory.course_id = course_id
    cfg.CourseDirectory.assignment_id = assignment
    # nbgrader's release_feedback fails on feedback without a secret: those students are left out.
    cfg.CourseDirectory.student_id_exclude = ",".join(out.not_released)
    cfg.Exchange.root = root
    coursedir = CourseDirectory(config=cfg)
    # The factory: the course's own exchange class if it configures one, nbgrader's default otherwise.
    release = ExchangeFactory(config=cfg).ReleaseFeedback(
        coursedir=coursedir, authenticator=Authenticator(config=cfg), config=cfg)
    try:
        release.start()
    except ExchangeError as exc:
        raise CoursekitError(f"nbgrader's release_feedback failed: {exc}") from exc
    # nbgrader copies the file with the grader's mode; a grader whose umask keeps the course private to the
    # group (the course server's) would release feedback no student can read.  The folder cannot be listed:
    # only the hash, made from the student's own secret, finds a file.
    for path in glob.glob(os.path.join(root, course_id, "feedback", "*.html")):
        if os.stat(path).st_uid == os.geteuid():
            os.chmod(path, os.stat(path).st_mode | 0o444)
    return out
