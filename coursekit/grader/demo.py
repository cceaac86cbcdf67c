"""A throw-away nbgrader course and student notebooks, for tests, the benchmark and a TA's dry run.

``make_course(dir, ["01_neuron"])`` copies ``solutions/<assignment>/`` to ``dir/source/`` and releases
it with the course's own nbgrader configuration (``coursekit release``).
``student_notebook(course, assignment, answers)`` is the release notebook with every answer filled
in: the solution, or the replacement source given in ``answers``.
"""

from __future__ import annotations

import os
import re
import shutil

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOLUTION_RE = re.compile(r"[ \t]*### BEGIN SOLUTION\n(.*?)[ \t]*### END SOLUTION\n?", re.S)


def make_course(course_dir: str, assignments: list[str]) -> str:
    """A throw-away copy of the course, configured exactly like ``grading/``, with ``assignments`` released.

    The source notebooks are copied from the repository's ``solutions/`` into ``<course>/source`` (so a
    test can check that student code cannot read them there) and released with ``coursekit release``.
    """
    from pathlib import Path

    from coursekit.assignments.release import release

    source = Path(course_dir) / "source"
    for a in assignments:
        shutil.copytree(Path(REPO) / "solutions" / a, source / a, dirs_exist_ok=True)
    release(Path(course_dir), tuple(assignments), solutions=source)
    return course_dir


def notebook_names(course_dir: str, assignment: str) -> list[str]:
    folder = os.path.join(course_dir, "release", assignment)
    return sorted(f[:-6] for f in os.listdir(folder) if f.endswith(".ipynb"))


def solutions(course_dir: str, assignment: str, notebook: str) -> dict[str, str]:
    """grade_id -> the answer cell's source with the solution filled in (markers removed)."""
    import nbformat

    nb = nbformat.read(os.path.join(course_dir, "source", assignment, notebook + ".ipynb"), as_version=4)
    out = {}
    for c in nb.cells:
        meta = c.metadata.get("nbgrader", {})
        if meta.get("solution") and c.cell_type == "code":
            out[meta["grade_id"]] = SOLUTION_RE.sub(lambda m: m.group(1), c.source)
    return out


def student_notebook(course_dir: str, assignment: str, answers: dict[str, str] | None = None,
                     notebook: str | None = None):
    """The release notebook with each answer cell = the solution, or ``answers[grade_id]``."""
    import nbformat

    notebook = notebook or notebook_names(course_dir, assignment)[0]
    nb = nbformat.read(os.path.join(course_dir, "release", assignment, notebook + ".ipynb"), as_version=4)
    sol = solutions(course_dir, assignment, notebook)
    for c in nb.cells:
        gid = c.metadata.get("nbgrader", {}).get("grade_id")
        if gid in sol and c.metadata["nbgrader"].get("solution"):
            c.source = (answers or {}).get(gid, sol[gid])
    return nb
