"""Write verdicts into nbgrader's gradebook, so ``nbgrader formgrader`` and ``nbgrader export`` work.

Only the main process writes here (one writer, no locking games).  Every write is an idempotent
upsert: recording the same result twice leaves one student, one submission and the same scores,
which is what makes a resumed run safe.

For each submission we do what ``nbgrader autograde`` would leave behind:

* the student and the submission (``update_or_create_*``; ``add_submission`` mirrors every grade cell),
  with the submission's time and the student's LMS id (``Student.lms_user_id``, from collect);
* ``auto_score`` of each test cell ``test_<function>`` = the trusted verdict scaled to the cell's
  points; any other grade cell (a written answer) is left for manual grading, as nbgrader does;
* ``autograded/<student>/<assignment>/<notebook>.ipynb``: the student's notebook with every test cell
  restored from the gradebook's copy of the source (tampered cells overwritten, deleted ones put
  back after their answer cell) and the verdict shown as that cell's output, for the formgrader;
* the late penalty: the configured extension and nbgrader's late-submission plugin, as
  ``AssignLatePenalties`` would (``coursekit.grader.late``); what was applied goes into
  ``result["late"]`` for the report.
"""

from __future__ import annotations

import os
import shutil
import sys
import warnings
from dataclasses import dataclass, field


@dataclass
class CourseConfig:
    root: str
    db_url: str
    course_id: str
    source_dir: str  # may lie outside root (solutions/ of the course repository)
    config: object = None  # the traitlets Config read from nbgrader_config.py (late penalties, deadlines)
    late: tuple | None = field(default=None, repr=False)  # (late.Deadlines, AssignLatePenalties), made by record
    lms_ids: tuple | None = field(default=None, repr=False)  # (assignment, collect.load_lms_ids), made by record


def load_config(course_dir: str):
    """The traitlets Config of the course's ``nbgrader_config.py`` (empty without one)."""
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    root = os.path.abspath(course_dir)
    if os.path.exists(os.path.join(root, "nbgrader_config.py")):
        return PyFileConfigLoader("nbgrader_config.py", path=root).load_config()
    return Config()


def course_config(course_dir: str, db_url: str | None = None) -> CourseConfig:
    """Read ``nbgrader_config.py`` of the course (if any) the way nbgrader does.

    The late-work settings are checked here, before anything is graded: a malformed one raises
    ``late.LateConfigError`` (a RuntimeError) saying what to write instead.
    """
    from nbgrader.coursedir import CourseDirectory

    from . import late

    # nbgrader runs the `alembic` script (beside our interpreter) when it creates a gradebook
    bindir = os.path.dirname(sys.executable)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    root = os.path.abspath(course_dir)
    cfg = load_config(root)
    late.settings(cfg)
    late.penalty_assigner(cfg)
    cfg.CourseDirectory.root = root
    if db_url:
        cfg.CourseDirectory.db_url = db_url
    cd = CourseDirectory(config=cfg)
    return CourseConfig(root=root, db_url=cd.db_url, course_id=cd.course_id,
                        source_dir=os.path.join(root, cd.source_directory), config=cfg)


def ensure_assignment(cfg: CourseConfig, assignment: str) -> None:
    """Make sure the gradebook knows the assignment (runs ``nbgrader generate_assignment`` if not)."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(cfg.db_url, cfg.course_id) as gb:
        try:
            if gb.find_assignment(assignment).notebooks:
                return
        except MissingEntry:
            pass
    if not os.path.isdir(os.path.join(cfg.source_dir, assignment)):
        raise FileNotFoundError(
            f"assignment {assignment!r} is not in the gradebook and {cfg.source_dir}/{assignment}/ does not "
            "exist: run `coursekit release` (or nbgrader generate_assignment) first")
    from pathlib import Path

    from coursekit.assignments.release import nbgrader

    proc = nbgrader(["generate_assignment", assignment, "--force", f"--CourseDirectory.db_url={cfg.db_url}",
                     f"--CourseDirectory.course_id={cfg.course_id}"], Path(cfg.root))
    if proc.returncode != 0:
        raise RuntimeError(f"nbgrader generate_assignment {assignment} failed:\n{proc.stdout}\n{proc.stderr}")


@dataclass
class Layout:
    """The trusted structure of an assignment, read from the gradebook."""

    notebooks: list[str]
    exercises: dict[str, list[str]]  # notebook -> exercise function names (in notebook order)
    test_points: dict[tuple[str, str], float]  # (notebook, test cell grade_id) -> max points
    test_sources: dict[tuple[str, str], str]  # (notebook, grade_id) -> source of the locked cell
    # Written questions as nbgrader "manually graded task" cells: (notebook, grade_id) -> points, and the
    # trusted source (its mark scheme included: formgrader shows it to the TA; feedback strips it).
    task_points: dict[tuple[str, str], float] = field(default_factory=dict)
    task_sources: dict[tuple[str, str], str] = field(default_factory=dict)


def assignment_layout(cfg: CourseConfig, assignment: str) -> Layout:
    from nbgrader.api import Gradebook, MissingEntry

    from coursekit.checks import ASSIGNMENTS, EXERCISES

    order = {n: i for i, n in enumerate(ASSIGNMENTS.get(assignment, []))}
    with Gradebook(cfg.db_url, cfg.course_id) as gb:
        a = gb.find_assignment(assignment)
        lay = Layout([nb.name for nb in a.notebooks], {}, {}, {})
        for nb in a.notebooks:
            names = []
            for gc in nb.grade_cells:
                lay.test_points[(nb.name, gc.name)] = float(gc.max_score)
                if gc.name.startswith("test_") and gc.name[5:] in EXERCISES:
                    names.append(gc.name[5:])
                try:
                    lay.test_sources[(nb.name, gc.name)] = gb.find_source_cell(gc.name, nb.name, assignment).source
                except MissingEntry:
                    pass
            lay.exercises[nb.name] = sorted(names, key=lambda n: order.get(n, 99))
            for tc in nb.task_cells:
                lay.task_points[(nb.name, tc.name)] = float(tc.max_score)
                try:
                    lay.task_sources[(nb.name, tc.name)] = gb.find_source_cell(tc.name, nb.name, assignment).source
                except MissingEntry:
                    pass
    return lay


def open_gradebook(cfg: CourseConfig):
    """The course's gradebook, to keep open for a whole run and pass to :func:`record`.

    One connection per run, not per result: SQLAlchemy caches compiled statements per engine, and
    recording was the grader's bottleneck (0.19 s per submission with a gradebook opened each time).
    """
    from nbgrader.api import Gradebook

    gb = Gradebook(cfg.db_url, cfg.course_id)
    # Keep loaded rows across commits: the assignment's structure (notebooks, cells) is then read once,
    # not after every result (42 -> 24 ms per result).  Safe because this run is the gradebook's only
    # writer of what it reads; scores the database computes are re-read where used (late.apply).
    gb.db().expire_on_commit = False
    return gb


def record(cfg: CourseConfig, assignment: str, result: dict, layout: Layout, gb=None) -> None:
    """Upsert one result (a work unit's JSON) into the gradebook; sets ``result["late"]`` (see late.apply).

    ``gb``: an open gradebook (:func:`open_gradebook`); without it one is opened for this result.
    """
    if gb is None:
        with open_gradebook(cfg) as gb:
            return record(cfg, assignment, result, layout, gb)
    from nbgrader.api import MissingEntry
    from nbgrader.utils import parse_utc

    from . import late
    from .collect import load_lms_ids

    nb_name, student = result["notebook"], result["student"]
    if cfg.lms_ids is None or cfg.lms_ids[0] != assignment:  # read once per run
        cfg.lms_ids = (assignment, load_lms_ids(cfg.root, assignment))
    lms = cfg.lms_ids[1].get(student, {})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SQLAlchemy autoflush notices from nbgrader's add_submission
        extra = {"lms_user_id": lms["lms_id"]} if lms.get("lms_id") else {}
        gb.update_or_create_student(student, first_name=result.get("first_name"),
                                    last_name=result.get("last_name"), **extra)
        try:
            sub = gb.find_submission(assignment, student)
            if result.get("timestamp"):  # a newer submission: its time, as `nbgrader autograde` updates it
                sub.timestamp = parse_utc(result["timestamp"])
        except MissingEntry:
            kw = {"timestamp": result["timestamp"]} if result.get("timestamp") else {}
            gb.add_submission(assignment, student, **kw)
        grades = {g.name: g for g in gb.find_submission_notebook(nb_name, assignment, student).grades}
        by_test = {"test_" + e["name"]: e for e in result["exercises"]}
        for (nb, cell), max_score in layout.test_points.items():
            if nb != nb_name:
                continue
            grade = grades[cell]
            ex = by_test.get(cell)
            if ex is None:
                if grade.auto_score is None and grade.manual_score is None:
                    grade.needs_manual_grade = True  # a written answer: the TA grades it
                continue
            scale = max_score / ex["max_points"] if ex["max_points"] else 0.0
            grade.auto_score = round(ex["points"] * scale, 4)
            grade.needs_manual_grade = grade.manual_score is not None
        for (nb, cell) in layout.task_points:
            if nb == nb_name and cell in grades and grades[cell].manual_score is None:
                grades[cell].needs_manual_grade = True  # a written answer below a task cell: the TA grades it
        if cfg.late is None:  # read once per run: the settings and nbgrader's AssignLatePenalties
            cfg.late = (late.settings(cfg.config), late.penalty_assigner(cfg.config))
        result["late"] = late.apply(gb, cfg.config, assignment, student, nb_name, *cfg.late)  # commits
        result["late"]["lms_late"] = bool(lms.get("lms_late"))


def write_autograded(cfg: CourseConfig, assignment: str, result: dict, layout: Layout, submitted: str) -> str:
    """The notebook the formgrader shows: test cells restored, verdicts as their outputs."""
    import nbformat

    from .report import exercise_text

    nb_name = result["notebook"]
    folder = os.path.join(cfg.root, "autograded", result["student"], assignment)
    os.makedirs(folder, exist_ok=True)
    try:
        nb = nbformat.read(submitted, as_version=4)
    except Exception:
        nb = nbformat.v4.new_notebook()  # unreadable submission: show only the restored tests
    by_test = {"test_" + e["name"]: e for e in result["exercises"]}
    test_ids = {g for (n, g) in layout.test_sources if n == nb_name and g.startswith("test_")}
    cells = [c for c in nb.cells if _grade_id(c) not in test_ids]  # tampered copies go; trusted ones return
    for (nb_, gid), source in layout.test_sources.items():
        if nb_ != nb_name or not gid.startswith("test_"):
            continue
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "grade_id": gid,
                                     "points": layout.test_points[(nb_name, gid)], "schema_version": 3}
        ex = by_test.get(gid)
        if ex is not None:
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=exercise_text(ex) + "\n")]
        answer = next((i for i, c in enumerate(cells) if _grade_id(c) == gid[5:]), None)
        cells.insert(len(cells) if answer is None else answer + 1, cell)
    for cell in cells:  # task cells as released are put back with their mark scheme, for the TA
        trusted = layout.task_sources.get((nb_name, _grade_id(cell)))
        if trusted is not None and cell.get("cell_type") == "markdown":
            cell.source = trusted
    nb.cells = cells
    path = os.path.join(folder, nb_name + ".ipynb")
    nbformat.write(nb, path + ".tmp")
    os.replace(path + ".tmp", path)
    ts = os.path.join(os.path.dirname(submitted), "timestamp.txt")
    if os.path.exists(ts):
        shutil.copyfile(ts, os.path.join(folder, "timestamp.txt"))
    return path


def _grade_id(cell) -> str | None:
    return (cell.get("metadata", {}).get("nbgrader") or {}).get("grade_id")
