"""Live slides inside JupyterLab with jupyterlab-slideshow (docs/live-slides.md): the deck shows every cell of
a slide, the lecture widgets are real controls, and moving a slider redraws the figure while presenting.

What belongs on a slide comes from the notebook file, read with nbformat the way nbconvert groups cells (a
slide or subslide cell starts a group, every other cell joins it); what is shown comes from the browser: a
cell counts as shown when its computed style is not display:none / visibility:hidden, its box has a size,
and its opacity is above 0.05 (the deck keeps fragments not yet revealed at opacity 0).

The deck is started the way the lecturer does it: make a cell active, run the ``deck:start`` command (the
deck button in the notebook toolbar, "Start deck" in the command palette), then Space / Escape on the
keyboard. The notebooks are not saved (test_browser_2_decks.py exports what test_browser_1_lab.py saved).
"""

from __future__ import annotations

import contextlib
import json
import time

import nbformat
import pytest
from browserlib import LECTURES, PageWatch, lecture_ids
from test_browser_1_lab import (
    JS_FIND_WIDGET,
    JS_PENDING,
    RUN_TIMEOUT_MS,
    command,
    figure_src,
    move_control,
    open_notebook,
    wait_figure_changed,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]

HEADS = ("slide", "subslide")
HIDDEN = ("notes", "skip")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# the lectures that display a coursekit widget (a FigureWidget: a control and a figure)
# Two widget lectures on every run, a slider figure and a kernel figure (the deck treats every widget the same
# way; all five widget lectures, 1-5, passed this test on 2026-12-02: docs/live-slides.md). The slide-type
# check of tests/test_notebooks.py keeps the others presentable.
PRESENTED = ("02_gradient_descent", "04_convolution")
WIDGET_LECTURES = [p for p in LECTURES if p.stem in PRESENTED and "Widget(" in p.with_suffix(".py").read_text()]
assert len(WIDGET_LECTURES) == len(PRESENTED), "a presented lecture has no widget any more"
WALKED = next(p for p in LECTURES if p.stem == "02_gradient_descent")  # the lecture with the most widgets

# Which cells are on screen now, in notebook order.
JS_SHOWN = """() => window.jupyterapp.shell.currentWidget.content.widgets.map(w => {
  const r = w.node.getBoundingClientRect(), cs = getComputedStyle(w.node);
  return cs.display !== 'none' && cs.visibility !== 'hidden' && r.width > 0 && r.height > 0
         && parseFloat(cs.opacity) > 0.05; })"""
JS_ACTIVE = "() => window.jupyterapp.shell.currentWidget.content.activeCellIndex"
JS_PRESENTING = "() => document.body.dataset.jpDeckMode === 'presenting'"


def slide_types(path) -> list[str | None]:
    return [c.metadata.get("slideshow", {}).get("slide_type") for c in nbformat.read(path, as_version=4).cells]


def slide_of(types, k) -> list[int]:
    """The cells on cell k's (sub)slide as nbconvert groups them: from its slide/subslide head to the next head."""
    start = k
    while start > 0 and types[start] not in HEADS:
        start -= 1
    end = k + 1
    while end < len(types) and types[end] not in HEADS:
        end += 1
    return list(range(start, end))


def shown(page) -> set[int]:
    return {i for i, s in enumerate(page.evaluate(JS_SHOWN)) if s}


def start_deck(page, cell: int) -> None:
    """Make ``cell`` the active cell and start the deck there, as the toolbar button does."""
    page.evaluate("(i) => { const nb = window.jupyterapp.shell.currentWidget.content;"
                  " nb.mode = 'command'; nb.activeCellIndex = i; nb.node.focus(); }", cell)
    command(page, "deck:start")
    page.wait_for_function(JS_PRESENTING, timeout=10_000)
    page.wait_for_timeout(800)  # the deck lays out the slide
    assert page.evaluate(JS_ACTIVE) == cell, "the deck did not start on the active cell"


def press_space(page) -> bool:
    """Space, as the lecturer presses it; True when the deck moved to another cell."""
    before = page.evaluate(JS_ACTIVE)
    page.keyboard.press("Space")
    try:
        page.wait_for_function(f"() => ({JS_ACTIVE})() !== {before}", timeout=1_500, polling=50)
    except Exception:
        return False
    page.wait_for_timeout(150)  # let a fragment fade in before it is measured
    return True


def stop_deck(page) -> None:
    page.keyboard.press("Escape")
    page.wait_for_function("() => document.body.dataset.jpDeckMode !== 'presenting'", timeout=10_000)


def leave_deck(page) -> None:
    """After a failure: stop the deck, else the next page opens presenting (the extension keeps "active" in
    its user settings, which ``?reset`` does not clear)."""
    try:
        if page.evaluate(JS_PRESENTING):
            command(page, "deck:stop")
    except Exception:
        pass  # the page is gone: nothing to stop


@contextlib.contextmanager
def deck_page(lab, browser):
    """A fresh page on the Lab server; on the way out: no JavaScript error, nothing remote, deck and kernels
    stopped (the extension remembers a running deck in its settings: the next test would start inside it)."""
    context = browser.new_context(viewport={"width": 1366, "height": 860})
    page = context.new_page()
    watch = PageWatch(page)
    try:
        yield page
        assert not watch.errors, f"JavaScript errors while presenting: {watch.errors[:3]}"
        assert not watch.remote, f"the deck requested remote URLs: {watch.remote[:5]}"
    finally:
        leave_deck(page)
        context.close()
        lab.shutdown_kernels()


@pytest.mark.parametrize("path", WIDGET_LECTURES, ids=lecture_ids(WIDGET_LECTURES))
def test_widget_slide_is_live_in_the_deck(path, lab, browser, artifacts):
    """Run All, start the deck on the widget's slide: (a) every cell of that slide appears, (b) the widget is a
    real control, (c) moving it redraws the figure while presenting."""
    types = slide_types(path)
    shots = artifacts / f"{path.stem}-live"
    with deck_page(lab, browser) as page:
        open_notebook(page, lab, f"notebooks/{path.name}")
        command(page, "notebook:run-all-cells", wait=False)
        page.wait_for_timeout(1000)
        page.wait_for_function(JS_PENDING, timeout=RUN_TIMEOUT_MS, polling=500)
        widget = page.evaluate(JS_FIND_WIDGET)
        assert widget is not None, f"{path.name}: no widget control with a figure after Run All"
        group = slide_of(types, widget["cell"])
        on_slide = [i for i in group if types[i] not in HIDDEN]

        start = time.perf_counter()
        start_deck(page, group[0])
        first = shown(page)
        page.screenshot(path=f"{shots}-1-slide.png")
        # cells before the slide's first fragment are there at once; the fragments come with Space
        upfront = on_slide[:next((n for n, i in enumerate(on_slide) if types[i] == "fragment"), len(on_slide))]
        assert set(upfront) <= first, f"(a) cells {sorted(set(upfront) - first)} of the slide {group} are not shown"
        seen = set(first)
        while page.evaluate(JS_ACTIVE) < on_slide[-1] and press_space(page):
            seen |= shown(page)
        assert page.evaluate(JS_ACTIVE) in group, "Space left the slide before reaching its last cell"
        assert set(on_slide) <= seen, f"(a) cells {sorted(set(on_slide) - seen)} of the slide {group} never shown"
        assert not seen & {i for i in group if types[i] in HIDDEN}, "(a) a notes/skip cell is shown on the slide"
        assert widget["cell"] in shown(page), "(a) the widget's cell is not on screen at the end of its slide"

        # (b) real controls: the widget view rendered its slider handles / dropdown, not a text or image fallback
        root = page.locator("[data-ck-widget=yes]")
        handles = root.locator(".noUi-handle").count()
        selects = root.locator(".widget-dropdown select").count()
        assert handles or selects, "(b) the widget shows no slider handle and no dropdown in the deck"
        if widget["control"] == "slider":
            assert root.locator(".noUi-handle").first.is_visible(), "(b) the slider handle is not visible"

        # (c) move it (keyboard on the slider handle) while presenting: the figure changes
        before = figure_src(page)
        move_control(page, widget["control"])
        wait_figure_changed(page, before, "while presenting with jupyterlab-slideshow")
        assert page.evaluate(JS_PRESENTING), "moving the control ended the presentation"
        page.wait_for_timeout(300)
        page.screenshot(path=f"{shots}-2-after-{widget['control']}.png")
        seconds = time.perf_counter() - start
        stop_deck(page)
        (artifacts / f"{path.stem}-live.json").write_text(json.dumps(
            {"widget_cell": widget["cell"], "slide_cells": group, "slider_handles": handles, "dropdowns": selects,
             "deck_seconds": round(seconds, 1)}))


def test_space_walks_the_whole_deck(lab, browser, artifacts):
    """From the first cell, Space to the end: every cell that is not notes/skip is shown at least once, a
    notes/skip cell never. (Which cells a deck shows does not depend on outputs: the notebook is not run.)"""
    types = slide_types(WALKED)
    with deck_page(lab, browser) as page:
        open_notebook(page, lab, f"notebooks/{WALKED.name}")
        start_deck(page, 0)
        page.screenshot(path=f"{artifacts / WALKED.stem}-walk-first.png")
        seen, steps = shown(page), 0
        while press_space(page):
            seen |= shown(page)
            steps += 1
            assert steps <= 2 * len(types), "Space never reaches the end of the deck"
        last = max(i for i, t in enumerate(types) if t not in HIDDEN)
        assert page.evaluate(JS_ACTIVE) >= last, f"Space stopped at cell {page.evaluate(JS_ACTIVE)}, not the end"
        page.screenshot(path=f"{artifacts / WALKED.stem}-walk-last.png")
        stop_deck(page)
        expected = {i for i, t in enumerate(types) if t not in HIDDEN}
        assert expected <= seen, f"never shown while walking the deck: cells {sorted(expected - seen)}"
        assert not seen - expected, f"notes/skip cells shown: {sorted(seen - expected)}"
        (artifacts / f"{WALKED.stem}-walk.json").write_text(json.dumps(
            {"cells": len(types), "shown": len(seen), "space_presses": steps}))


def test_deck_shows_cells_without_a_slide_type_but_not_dash(lab, browser, artifacts):
    """Why tests/test_notebooks.py refuses the literal "-": the deck shows a cell with no slide type or an empty
    one ("" is what JupyterLab's property inspector writes for "-") on its slide, and a "-" cell nowhere. If a
    later jupyterlab-slideshow shows "-" cells, this fails: then "-" may be allowed again."""
    cells = [("slide", "# Slide one"), (None, "no slide type"), ("", "empty slide type"), ("-", "dash"),
             ("slide", "# Slide two")]
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell(text, metadata={} if kind is None else {"slideshow": {"slide_type": kind}})
        for kind, text in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, lab.root / "notebooks" / "zz_slide_types.ipynb")
    with deck_page(lab, browser) as page:
        open_notebook(page, lab, "notebooks/zz_slide_types.ipynb")
        start_deck(page, 0)
        on_first_slide = shown(page)
        page.screenshot(path=f"{artifacts}/zz_slide_types-deck.png")
        stop_deck(page)
        assert on_first_slide == {0, 1, 2}, (
            f"first slide shows cells {sorted(on_first_slide)}, expected 0-2 (slide, none, empty) without 3 (\"-\")")
