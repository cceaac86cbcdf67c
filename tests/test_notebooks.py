"""Lecture notebooks: valid slide types, each executes without error within its time budget.

(That each notebook is a jupytext pair without outputs is tests/test_notebook_sources.py; the numbers
and facts each lecture must show are in tests/test_lecture_NN_*.py; numbers in markdown and text in
figures are tests/test_lecture_text.py.)

Execution uses nbclient (headless, like CI and like ``nbconvert --execute``) on the committed .ipynb,
with the notebook's folder as working directory, once per session (tests/support/lectures.py).  Each
notebook's wall time is recorded in ``artifacts/notebook_times.json``: the budget is 60 s per lecture
on the reference machine, a benchmark to report, not a timed assertion.
"""

from __future__ import annotations

import fcntl
import json
from pathlib import Path

import nbformat
import pytest

from support.lectures import LECTURES, errors, executed

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "artifacts"
# A cell without a slide type continues the current slide (nbconvert reads a missing slide_type as "-",
# so the offline decks are the same); so does an empty one, what JupyterLab's property inspector writes
# for "-" (both nbconvert and jupyterlab-slideshow treat "" as no type).  The literal "-" is refused:
# jupyterlab-slideshow, the live mode (docs/live-slides.md), puts such a cell on no slide at all, so it
# would never be shown while presenting.
SLIDE_TYPES = {"slide", "subslide", "fragment", "notes", "skip"}
CONTINUE = (None, "")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _ids(paths):
    return [p.stem for p in paths]


# -- source checks (fast) -------------------------------------------------------------------------

def slide_type_problems(nb) -> list[str]:
    """What is wrong with the notebook's slide types, one line per bad cell (empty when all is well)."""
    problems = []
    for i, cell in enumerate(nb.cells):
        kind = cell.metadata.get("slideshow", {}).get("slide_type")
        if kind == "-":
            problems.append(f'cell {i}: slide_type {kind!r} is never shown in the live slideshow (jupyterlab-slideshow '
                            'puts such a cell on no slide); remove the slide type to continue the slide (in the .py '
                            'delete slideshow={...} from the cell\'s "# %%" line); the offline decks stay the same')
        elif kind not in CONTINUE and kind not in SLIDE_TYPES:
            problems.append(f"cell {i}: unknown slide_type {kind!r}; use one of {sorted(SLIDE_TYPES)} "
                            "or none to continue the slide")
    if nb.cells and nb.cells[0].metadata.get("slideshow", {}).get("slide_type") != "slide":
        problems.append('cell 0: a deck starts with a slide (slide_type "slide")')
    return problems


@pytest.mark.parametrize("path", LECTURES, ids=_ids(LECTURES))
def test_slide_types_work_in_the_live_and_offline_decks(path):
    problems = slide_type_problems(nbformat.read(path, as_version=4))
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


def test_slide_type_check_refuses_dash_and_unknown_types_and_accepts_none():
    """The check itself: a lecturer who writes "-" (or a typo) is told why and how to fix it."""
    def nb(*types):
        cells = [nbformat.v4.new_markdown_cell("x", metadata={} if t is None else {"slideshow": {"slide_type": t}})
                 for t in types]
        return nbformat.v4.new_notebook(cells=cells)

    assert slide_type_problems(nb("slide", None, "fragment", "", "subslide", "notes", "skip")) == []
    dash = slide_type_problems(nb("slide", None, "-"))
    assert len(dash) == 1 and dash[0].startswith("cell 2: slide_type '-'") and "jupyterlab-slideshow" in dash[0]
    typo = slide_type_problems(nb("slide", "fragmnet"))
    assert len(typo) == 1 and "unknown slide_type 'fragmnet'" in typo[0]
    assert slide_type_problems(nb(None, "slide")) == ['cell 0: a deck starts with a slide (slide_type "slide")']


# -- execution ------------------------------------------------------------------------------------

def _record_time(name: str, seconds: float) -> None:
    """Merge one timing into artifacts/notebook_times.json (safe under pytest-xdist)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "notebook_times.json"
    with open(ARTIFACTS / ".notebook_times.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        times = json.loads(path.read_text()) if path.exists() else {}
        times[name] = round(seconds, 2)
        times["_total"] = round(sum(v for k, v in times.items() if not k.startswith("_")), 2)
        path.write_text(json.dumps(times, indent=2, sort_keys=True) + "\n")


def _check_widgets_export_their_figure(nb) -> None:
    """A displayed widget must show its initial figure in a static HTML export.

    Every widget view must have saved widget state (nbconvert then embeds it), its output must also
    carry an image/png fallback (every lecture widget is a coursekit.widgets.base.FigureWidget), and
    that PNG must be in the exported HTML.
    """
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    pngs = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if WIDGET_VIEW not in data:
                continue
            assert data[WIDGET_VIEW]["model_id"] in state, f"cell {i}: widget state not saved"
            assert "image/png" in data, f"cell {i}: widget without a static image/png"
            pngs.append((i, data["image/png"]))
    if pngs:
        from nbconvert import HTMLExporter

        html, _ = HTMLExporter().from_notebook_node(nb)
        for i, png in pngs:
            # inside <script> tags nbconvert escapes "/" as "\/"
            assert png[100:400] in html or png[100:400].replace("/", "\\/") in html, \
                f"cell {i}: the widget's PNG is not in the HTML export"


@pytest.mark.slow
@pytest.mark.parametrize("path", LECTURES, ids=_ids(LECTURES))
def test_notebook_executes(path):
    run = executed(path.stem)
    _record_time(path.name, run.seconds)
    found = errors(run.nb)
    assert not found, f"{path.name} raised:\n" + "\n".join(found)
    # A warning is noise on a projector (and a student reads it as an error): no cell writes to stderr.
    stderr = [f"cell {i}: {out.text[:200]}" for i, cell in enumerate(run.nb.cells) for out in cell.get("outputs", [])
              if out.output_type == "stream" and out.name == "stderr"]
    assert not stderr, f"{path.name} shows warnings on its slides:\n" + "\n".join(stderr)
    _check_widgets_export_their_figure(run.nb)
