"""A throw-away nbgrader course and student notebooks, for the tests, the grading benchmark and a TA's dry run.

``make_course(dir, ["01_neuron"], source_folder)`` copies ``<source_folder>/<assignment>/`` (the instructor
source notebooks, by default the checkout's ``solutions/``) to ``dir/source/`` and releases it with the
course's own nbgrader configuration (``coursekit release``).
``student_notebook(course, assignment, answers)`` is the release notebook with every answer filled in:
the solution, or the replacement source given in ``answers``.

The wrong answers are the registry's: every ``Mistake`` with an ``example`` (coursekit/checks/).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import nbformat

from coursekit.assignments.cells import nbgrader_metadata, solution_sources
from coursekit.checks import ASSIGNMENTS, EXERCISES

REPO = str(Path(__file__).resolve().parents[2])  # this file lives in the checkout's tests/support/
SOLUTIONS = Path(REPO) / "solutions"


def source_notebook(assignment: str, source_folder: Path = SOLUTIONS):
    """The instructor source notebook ``<source_folder>/<assignment>/<assignment>.ipynb``."""
    return nbformat.read(Path(source_folder) / assignment / f"{assignment}.ipynb", as_version=4)


def instructor_solutions(assignment: str, source_folder: Path = SOLUTIONS) -> dict[str, str]:
    """grade_id -> solution source of every answer cell of the assignment's source notebook."""
    return solution_sources(source_notebook(assignment, source_folder))


def solution_namespace(assignments=tuple(ASSIGNMENTS), source_folder: Path = SOLUTIONS) -> dict:
    """The globals of a notebook whose answer cells (of ``assignments``) ran: NumPy, Keras, every solution."""
    import numpy as np

    from coursekit.keras_setup import import_keras

    namespace = {"np": np, "keras": import_keras()}
    for assignment in assignments:
        for grade_id, source in instructor_solutions(assignment, source_folder).items():
            if grade_id in EXERCISES:
                exec(compile(source, f"{assignment}:{grade_id}", "exec"), namespace)
    return namespace


def run_example(name: str, example: str, namespace: dict):
    """The function ``name`` defined by ``example`` in a copy of ``namespace`` (the rest of the notebook)."""
    scope = dict(namespace)
    exec(compile(example, f"example of {name}", "exec"), scope)
    return scope[name]


def wrong_answers(assignments=tuple(ASSIGNMENTS)) -> dict[str, dict[str, tuple[str, str]]]:
    """assignment -> {"name: message": (function name, example source)}, every registry example."""
    out: dict[str, dict[str, tuple[str, str]]] = {}
    for assignment in assignments:
        out[assignment] = {
            f"{name}: {m.message}": (name, m.example)
            for name in ASSIGNMENTS[assignment]
            for m in EXERCISES[name].mistakes
            if m.example
        }
    return out


def wrong_answer(name: str, message_part: str) -> str:
    """The example source of the mistake of exercise ``name`` whose message contains ``message_part``."""
    found = [m.example for m in EXERCISES[name].mistakes if m.example and message_part in m.message]
    if len(found) != 1:
        raise KeyError(f"{len(found)} examples of {name} with {message_part!r} in their message")
    return found[0]


# The grading benchmark's NumPy assignments (Keras-model answers make a slower benchmark).
MISTAKES = wrong_answers(("01_neuron", "04_convolution"))


def make_course(course_dir: str, assignments: list[str], source_folder: Path = SOLUTIONS) -> str:
    """A throw-away copy of the course, configured exactly like ``grading/``, with ``assignments`` released.

    The source notebooks are copied from ``source_folder`` into ``<course>/source`` (so a test can check
    that student code cannot read them there) and released with ``coursekit release``.
    """
    from coursekit.assignments.release import release

    source = Path(course_dir) / "source"
    for a in assignments:
        shutil.copytree(Path(source_folder) / a, source / a, dirs_exist_ok=True)
    release(Path(course_dir), tuple(assignments), source=source)
    return course_dir


def hidden_test_lines(course_dir: str, assignment: str) -> list[str]:
    """Every line of the source notebook's hidden-test blocks (between nbgrader's markers): what no
    student-facing file may show."""
    nb = nbformat.read(os.path.join(course_dir, "source", assignment, assignment + ".ipynb"), as_version=4)
    blocks = re.findall(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", "".join(c.source for c in nb.cells),
                        re.S)
    assert blocks, f"{assignment} has no hidden tests"
    return sorted({line.strip() for b in blocks for line in b.splitlines() if line.strip()})


def notebook_names(course_dir: str, assignment: str) -> list[str]:
    folder = os.path.join(course_dir, "release", assignment)
    return sorted(f[:-6] for f in os.listdir(folder) if f.endswith(".ipynb"))


def solutions(course_dir: str, assignment: str, notebook: str) -> dict[str, str]:
    """grade_id -> the answer cell's source with the solution filled in (markers removed)."""
    nb = nbformat.read(os.path.join(course_dir, "source", assignment, notebook + ".ipynb"), as_version=4)
    return solution_sources(nb)


def student_notebook(
    course_dir: str, assignment: str, answers: dict[str, str] | None = None, notebook: str | None = None
):
    """The release notebook with each answer cell = the solution, or ``answers[grade_id]``."""
    notebook = notebook or notebook_names(course_dir, assignment)[0]
    nb = nbformat.read(os.path.join(course_dir, "release", assignment, notebook + ".ipynb"), as_version=4)
    sol = solutions(course_dir, assignment, notebook)
    for c in nb.cells:
        gid = nbgrader_metadata(c).get("grade_id")
        if gid in sol and nbgrader_metadata(c).get("solution"):
            c.source = (answers or {}).get(gid, sol[gid])
    return nb
