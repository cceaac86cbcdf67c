"""A throw-away nbgrader course and student notebooks, for tests, the benchmark and a TA's dry run.

``make_course(dir, ["01_neuron"])`` writes ``nbgrader_config.py`` and ``source/<assignment>/``
(copied from the repository's ``solutions/<assignment>/`` when it exists, otherwise generated:
one answer cell ``<function>`` per contract function whose solution calls the reference library,
and one test cell ``test_<function>`` that runs ``coursekit.checks.test_cell_points``), then
``nbgrader generate_assignment``.  ``student_notebook(course, assignment, answers)`` is the release
notebook with every answer filled in: the solution, or the replacement source given in ``answers``.
"""

from __future__ import annotations

import os
import re
import shutil

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOPIC = {"01_neuron": "neuron", "02_gradient_descent": "gradient_descent", "03_backprop": "backprop",
         "04_convolution": "convolution", "05_cnn_architectures": "cnn_architectures",
         "06_transfer_learning": "transfer_learning"}
SOLUTION_RE = re.compile(r"[ \t]*### BEGIN SOLUTION\n(.*?)[ \t]*### END SOLUTION\n?", re.S)


def generated_source(assignment: str):
    """A minimal source notebook for ``assignment`` built from the checker's registry."""
    import inspect

    import nbformat

    from coursekit.checks import ASSIGNMENTS, EXERCISES

    topic = TOPIC[assignment]
    mod = __import__(f"coursekit.{topic}", fromlist=["x"])
    v4 = nbformat.v4
    cells = [v4.new_markdown_cell(f"# {assignment}"), v4.new_code_cell("import numpy as np")]
    for name in ASSIGNMENTS[assignment]:
        sig = str(inspect.signature(getattr(mod, name)))
        params = ", ".join(p for p in inspect.signature(getattr(mod, name)).parameters)
        answer = v4.new_code_cell(
            f"def {name}{sig}:\n    ### BEGIN SOLUTION\n    from coursekit.{topic} import {name} as reference\n"
            f"    return reference({params})\n    ### END SOLUTION\n")
        answer.metadata["nbgrader"] = {"solution": True, "grade": False, "locked": False, "grade_id": name,
                                       "schema_version": 3}
        test = v4.new_code_cell(
            "from coursekit.checks import test_cell_points\n"
            f"test_cell_points({name!r}, {name})\n"
            "### BEGIN HIDDEN TESTS\n"
            f"test_cell_points({name!r}, {name}, hidden=True)\n"
            "### END HIDDEN TESTS\n")
        test.metadata["nbgrader"] = {"solution": False, "grade": True, "locked": True, "grade_id": "test_" + name,
                                     "points": float(EXERCISES[name].points), "schema_version": 3}
        cells += [answer, test]
    nb = v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def make_course(course_dir: str, assignments: list[str], use_repo_solutions: bool = True) -> str:
    """Create an nbgrader course with ``assignments`` generated into its gradebook."""
    import nbformat

    from . import record

    os.makedirs(course_dir, exist_ok=True)
    with open(os.path.join(course_dir, "nbgrader_config.py"), "w") as fh:
        fh.write("c = get_config()\nc.CourseDirectory.course_id = 'coursekit'\n"
                 "c.Execute.timeout = 120\nc.ClearSolutions.code_stub = {'python': 'raise NotImplementedError()'}\n")
    for a in assignments:
        dest = os.path.join(course_dir, "source", a)
        repo_src = os.path.join(REPO, "solutions", a)
        if use_repo_solutions and _complete(repo_src, a):
            shutil.copytree(repo_src, dest, dirs_exist_ok=True)
        else:
            os.makedirs(dest, exist_ok=True)
            nbformat.write(generated_source(a), os.path.join(dest, a + ".ipynb"))
        record.ensure_assignment(record.course_config(course_dir), a)
    return course_dir


def _complete(folder: str, assignment: str) -> bool:
    """Does ``folder`` hold source notebooks with an answer and a test cell for every exercise?"""
    import nbformat

    from coursekit.checks import ASSIGNMENTS

    if not os.path.isdir(folder):
        return False
    ids = set()
    for f in os.listdir(folder):
        if f.endswith(".ipynb"):
            try:
                nb = nbformat.read(os.path.join(folder, f), as_version=4)
            except Exception:
                return False
            ids |= {c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells}
    return all(n in ids and "test_" + n in ids for n in ASSIGNMENTS.get(assignment, ["?"]))


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
