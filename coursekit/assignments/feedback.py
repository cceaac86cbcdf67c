"""Feedback that never shows hidden tests: strip them from graded notebooks.

nbgrader's ``generate_feedback`` renders the autograded notebook, whose test cells
hold the instructor's full source, hidden region included.  :func:`strip_hidden_tests`
replaces every autograded test cell's source by one line naming the test and
removes any line of output that could echo a hidden region; the outputs (the
checker's report: shapes, errors, likely mistakes) stay.  Use it as an nbgrader
preprocessor (:class:`StripHiddenTests`, configured by :func:`configure`) or call it
on a notebook directly (the grading pipeline does).
"""

from __future__ import annotations

import re

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from .cells import is_test_cell

BEGIN, END = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
TEST_CELL_TEXT = "# Test cell {grade_id}: the test code and its hidden inputs are not shown. Its report is below."
_HIDDEN_REGION = re.compile(rf"^.*{BEGIN}.*?{END}.*$\n?", re.S | re.M)
# A written question's rubric (nbgrader task cell): graders see it in formgrader, students never.
_MARK_SCHEME = re.compile(r"^.*BEGIN MARK SCHEME.*?END MARK SCHEME.*$\n?", re.S | re.M)


def strip_hidden_tests(nb, text: str = TEST_CELL_TEXT):
    """Return ``nb`` (modified in place) with test-cell sources replaced and hidden regions removed."""
    for cell in nb.cells:
        if is_test_cell(cell):
            cell.source = text.format(grade_id=cell.metadata["nbgrader"].get("grade_id", "?"))
        elif BEGIN in cell.get("source", ""):
            cell.source = _HIDDEN_REGION.sub("", cell.source)
        if "BEGIN MARK SCHEME" in cell.get("source", ""):
            cell.source = _MARK_SCHEME.sub("", cell.source)
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and BEGIN in output.get("text", ""):
                output["text"] = _HIDDEN_REGION.sub("", output["text"])
    return nb


class StripHiddenTests(NbGraderPreprocessor):
    """nbgrader preprocessor form of :func:`strip_hidden_tests` (for GenerateFeedback)."""

    text = Unicode(TEST_CELL_TEXT, help="replacement source of each test cell ({grade_id} is filled in)").tag(
        config=True)

    def preprocess(self, nb, resources):
        return strip_hidden_tests(nb, self.text), resources


def configure(c) -> None:
    """Add the stripping to an nbgrader config object ``c`` (``get_config()``)."""
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import GetGrades

    c.GenerateFeedback.preprocessors = [GetGrades, StripHiddenTests, CSSHTMLHeaderPreprocessor]
