"""Lecture notebooks: every cell a slide, each executes without error within its time budget.

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
SLIDE_TYPES = {"slide", "subslide", "fragment", "notes", "skip", "-"}
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _ids(paths):
    return [p.stem for p in paths]


# -- source checks (fast) -------------------------------------------------------------------------

@pytest.mark.parametrize("path", LECTURES, ids=_ids(LECTURES))
def test_every_cell_has_slide_metadata(path):
    nb = nbformat.read(path, as_version=4)
    bad = [i for i, c in enumerate(nb.cells)
           if c.metadata.get("slideshow", {}).get("slide_type") not in SLIDE_TYPES]
    assert not bad, f"{path.name}: cells {bad} lack metadata.slideshow.slide_type in {sorted(SLIDE_TYPES)}"
    assert nb.cells[0].metadata["slideshow"]["slide_type"] == "slide", "a deck starts with a slide"


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
