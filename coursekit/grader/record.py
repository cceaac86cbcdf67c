"""Write verdicts into nbgrader's gradebook, so ``nbgrader formgrader`` and ``nbgrader export`` work.

Only the main process writes here (one writer, no locking games).  Every write is an idempotent
upsert: recording the same result twice leaves one student, one submission and the same scores,
which is what makes a resumed run safe.

For each submission we do what ``nbgrader autograde`` would leave behind:

* the student and the submission (``update_or_create_*``; ``add_submission`` mirrors every grade cell);
* ``auto_score`` of each test cell ``test_<function>`` = the trusted verdict scaled to the cell's
  points; any other grade cell (a written answer) is left for manual grading, as nbgrader does;
* ``autograded/<student>/<assignment>/<notebook>.ipynb``: the student's notebook with every test cell
  restored from the gradebook's copy of the source (tampered cells overwritten, deleted ones put
  back after their answer cell) and the verdict shown as that cell's output, for the formgrader.
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


def course_config(course_dir: str, db_url: str | None = None) -> CourseConfig:
    """Read ``nbgrader_config.py`` of the course (if any) the way nbgrader does."""
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    # nbgrader runs the `alembic` script (beside our interpreter) when it creates a gradebook
    bindir = os.path.dirname(sys.executable)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    root = os.path.abspath(course_dir)
    cfg = Config()
    if os.path.exists(os.path.join(root, "nbgrader_config.py")):
        cfg = PyFileConfigLoader("nbgrader_config.py", path=root).load_config()
    cfg.CourseDirectory.root = root
    if db_url:
        cfg.CourseDirectory.db_url = db_url
    cd = CourseDirectory(config=cfg)
    return CourseConfig(root=root, db_url=cd.db_url, course_id=cd.course_id,
                        source_dir=os.path.join(root, cd.source_directory))


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


def record(cfg: CourseConfig, assignment: str, result: dict, layout: Layout) -> None:
    """Upsert one result (a work unit's JSON) into the gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    nb_name = result["notebook"]
    with Gradebook(cfg.db_url, cfg.course_id) as gb, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SQLAlchemy autoflush notices from nbgrader's add_submission
        gb.update_or_create_student(result["student"], first_name=result.get("first_name"),
                                    last_name=result.get("last_name"))
        try:
            gb.find_submission(assignment, result["student"])
        except MissingEntry:
            kw = {"timestamp": result["timestamp"]} if result.get("timestamp") else {}
            gb.add_submission(assignment, result["student"], **kw)
        by_test = {"test_" + e["name"]: e for e in result["exercises"]}
        for (nb, cell), max_score in layout.test_points.items():
            if nb != nb_name:
                continue
            grade = gb.find_grade(cell, nb, assignment, result["student"])
            ex = by_test.get(cell)
            if ex is None:
                if grade.auto_score is None and grade.manual_score is None:
                    grade.needs_manual_grade = True  # a written answer: the TA grades it
                continue
            scale = max_score / ex["max_points"] if ex["max_points"] else 0.0
            grade.auto_score = round(ex["points"] * scale, 4)
            grade.needs_manual_grade = grade.manual_score is not None
        tasks = {cell for (nb, cell) in layout.task_points if nb == nb_name}
        for grade in gb.find_submission_notebook(nb_name, assignment, result["student"]).grades:
            if grade.name in tasks and grade.manual_score is None:
                grade.needs_manual_grade = True  # a written answer below a task cell: the TA grades it
        gb.db.commit()


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
