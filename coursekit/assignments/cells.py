"""What each cell of an assignment notebook is, by its nbgrader metadata: one rule for every tool.

Source notebooks (solutions/NN_x/NN_x.ipynb) have, per exercise ``name``, an answer cell
(``grade_id = name``, ``solution: true``) followed by a locked test cell (``grade_id = test_<name>``,
``grade: true``, ``points``).  The release, the feedback stripper and the grading pipeline all ask
these functions rather than reading the metadata themselves.
"""

from __future__ import annotations

import re

TEST_PREFIX = "test_"
SOLUTION_REGION = re.compile(r"[ \t]*### BEGIN SOLUTION\n(.*?)[ \t]*### END SOLUTION\n?", re.S)


def nbgrader_metadata(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader") or {}


def is_test_cell(cell) -> bool:
    """An autograder test cell: graded and not an answer, or named ``test_...``.

    The name counts too, so a test cell whose ``grade`` flag a student's editor dropped is still
    treated as a test (never run as student code, never shown in feedback).
    """
    meta = nbgrader_metadata(cell)
    if cell.get("cell_type") != "code":
        return False
    return bool(meta.get("grade") and not meta.get("solution")) or str(meta.get("grade_id") or "").startswith(
        TEST_PREFIX
    )


def is_answer_cell(cell) -> bool:
    """A code cell the student writes (``solution: true``)."""
    return cell.get("cell_type") == "code" and bool(nbgrader_metadata(cell).get("solution"))


def solution_sources(nb) -> dict[str, str]:
    """grade_id -> the answer cell's source with the solution filled in (the BEGIN/END markers removed)."""
    return {
        nbgrader_metadata(c)["grade_id"]: SOLUTION_REGION.sub(lambda m: m.group(1), c.source)
        for c in nb.cells
        if is_answer_cell(c)
    }
