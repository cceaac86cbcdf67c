"""Every lecture's offline deck, opened from disk in Chromium with networking off, stepped to the last slide.

The deck is exported (``coursekit.slides.export_deck``) from the notebook as Run All left it in
JupyterLab (test_browser_1_lab.py saves it, with widget state); a notebook that test did not run is
executed here with nbclient, as ``coursekit decks`` does. Deck sizes go to
``artifacts/browser/deck_sizes.json``.
"""

from __future__ import annotations

import json
import re

import nbformat
import pytest
from browserlib import LECTURES, PageWatch, lecture_ids

from coursekit import slides

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]


@pytest.fixture(scope="session")
def decks_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("decks")


def export(path, lab_root, decks_dir):
    ran_in_lab = lab_root / "notebooks" / path.name
    nb = nbformat.read(ran_in_lab, as_version=4)
    executed = all(c.get("execution_count") for c in nb.cells if c.cell_type == "code" and c.source.strip())
    return slides.export_deck(ran_in_lab, decks_dir, execute=not executed)


def record_size(artifacts, deck) -> None:
    path = artifacts / "deck_sizes.json"
    sizes = json.loads(path.read_text()) if path.exists() else {}
    sizes[deck.html.name] = deck.bytes
    assets = deck.html.parent / "assets"
    sizes["assets/"] = sum(f.stat().st_size for f in assets.rglob("*") if f.is_file())
    path.write_text(json.dumps(sizes, indent=2, sort_keys=True) + "\n")


@pytest.mark.parametrize("path", LECTURES, ids=lecture_ids(LECTURES))
def test_offline_deck_steps_through_every_slide(path, lab_root, decks_dir, browser, artifacts):
    deck = export(path, lab_root, decks_dir)
    record_size(artifacts, deck)
    html = deck.html.read_text(encoding="utf-8")
    assert slides.find_remote_urls(html) == []

    context = browser.new_context(offline=True, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    watch = PageWatch(page)
    try:
        page.goto(deck.html.as_uri())
        page.wait_for_function("() => window.Reveal && Reveal.isReady() && "
                               "document.querySelector('.reveal').classList.contains('ready')", timeout=60_000)
        typeset = "() => new Promise(done => MathJax.Hub.Queue(done))"   # MathJax finished its queue
        page.evaluate(typeset)
        total = page.evaluate("Reveal.getTotalSlides()")
        assert total >= 5, f"{deck.html.name} has only {total} slides"
        page.screenshot(path=str(artifacts / f"{path.stem}-deck-first.png"))
        where = "() => { const i = Reveal.getIndices(); return `${i.h}/${i.v || 0}`; }"
        seen = {page.evaluate(where)}
        for _ in range(2000):    # 'n' = next slide, subslide or fragment, as the clicker does
            if page.evaluate("Reveal.isLastSlide() && !Reveal.availableFragments().next"):
                break
            page.keyboard.press("n")
            seen.add(page.evaluate(where))
        assert page.evaluate("Reveal.isLastSlide()"), "stepping with 'n' never reached the last slide"
        page.evaluate(typeset)
        page.screenshot(path=str(artifacts / f"{path.stem}-deck-last.png"))
        assert len(seen) == total, f"visited {len(seen)} of {total} slides"

        # what the lecture needs offline: typeset math, widgets from saved state, playing animations, notes
        if re.search(r"\$[^$]+\$", html):
            assert page.locator(".MathJax_CHTML, .MathJax").count() > 0, "MathJax typeset nothing"
        # widgets shown from saved state (a <script> per view; the renderer's own JS names the type too)
        if re.search(r'<script type="application/vnd\.jupyter\.widget-view\+json">', html):
            page.wait_for_selector(".jupyter-widgets, .widget-slider, .widget-output", state="attached",
                                   timeout=30_000)
        if "<div class=\"animation\">" in html:   # a to_jshtml player
            frame = page.locator(".animation img").first
            first = frame.get_attribute("src")
            page.evaluate("() => { const b = document.querySelector('.anim-buttons button[title=\"Next frame\"]');"
                          " b.click(); b.click(); }")
            page.wait_for_function("(s) => document.querySelector('.animation img').getAttribute('src') !== s",
                                   arg=first, timeout=10_000)
        if '<aside class="notes">' in html:
            assert page.evaluate("!!Reveal.getPlugin('notes')"), "speaker-notes plugin not loaded"
        assert not watch.errors, f"JavaScript errors in {deck.html.name}: {watch.errors[:3]}"
        assert not watch.remote, f"{deck.html.name} tried to load remote URLs: {watch.remote[:5]}"
    finally:
        context.close()


@pytest.mark.parametrize("path", LECTURES, ids=lecture_ids(LECTURES))
def test_every_slide_fits_the_projector(path, lab_root, decks_dir, browser, artifacts):
    """On a 1280x720 screen, no slide's content (all fragments shown) leaves reveal.js's slide box."""
    deck = export(path, lab_root, decks_dir)
    context = browser.new_context(offline=True, viewport={"width": slides.SLIDE_WIDTH, "height": slides.SLIDE_HEIGHT})
    try:
        fit = slides.measure_fit(context.new_page(), deck.html)
    finally:
        context.close()
    record_fit(artifacts, fit)
    assert fit.total >= 5
    assert not fit.overflowing, str(fit)


def record_fit(artifacts, fit) -> None:
    path = artifacts / "deck_fit.json"
    fits = json.loads(path.read_text()) if path.exists() else {}
    fits[fit.html.name] = {"slides": fit.total, "overflowing": fit.overflowing}
    path.write_text(json.dumps(fits, indent=2, sort_keys=True) + "\n")


def test_fit_check_finds_a_slide_that_overflows(tmp_path, browser):
    """The measurement itself: a slide of 40 paragraphs, a 2000 px wide picture, a long line of typeset math
    and a cut-off code line are reported, with the side they leave the box by; a short slide and a closed
    <details> answer are not."""
    cells = [("slide", "## Short\n\nOne line."),
             ("slide", "## Long\n\n" + "\n\n".join(f"Paragraph {i}." for i in range(40))),
             ("slide", '## Wide\n\n<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" '
                       'style="width: 2000px; max-width: none; height: 10px">'),
             ("slide", "## Math\n\n$$\\begin{bmatrix}" + " & ".join(["1000"] * 40) + "\\end{bmatrix}$$"),
             ("slide", "## Answer\n\n<details><summary>Answer</summary>\n\n"
                       + "\n\n".join(f"Hidden {i}." for i in range(40)) + "\n\n</details>")]
    nb = nbformat.v4.new_notebook()
    for slide_type, source in cells:
        nb.cells.append(nbformat.v4.new_markdown_cell(source, metadata={"slideshow": {"slide_type": slide_type}}))
    code = nbformat.v4.new_code_cell("x = '" + "a" * 300 + "'", metadata={"slideshow": {"slide_type": "slide"}})
    nb.cells.append(code)
    path = tmp_path / "00_fit.ipynb"
    nbformat.write(nb, path)
    deck = slides.export_deck(path, tmp_path / "decks", execute=False)
    context = browser.new_context(offline=True, viewport={"width": slides.SLIDE_WIDTH, "height": slides.SLIDE_HEIGHT})
    try:
        fit = slides.measure_fit(context.new_page(), deck.html)
    finally:
        context.close()
    by_slide = {o["slide"]: o for o in fit.overflowing}
    assert fit.total == 6
    assert set(by_slide) == {"1/0", "2/0", "3/0", "5/0"}, str(fit)
    assert by_slide["1/0"]["bottom"] > 300 and by_slide["1/0"]["title"].lower() == "long"
    assert by_slide["2/0"]["right"] > 500
    assert by_slide["3/0"]["right"] > 200, "typeset math is measured, not its TeX source"
    assert by_slide["5/0"]["cut"], "a code line longer than its editor is cut off"
    assert "4 of 6 slides do not fit 1280x720" in str(fit)


def test_first_deck_prints_as_pdf_handout(lab_root, decks_dir, browser, artifacts):
    """Handouts: the deck opened with ?print-pdf prints one page per slide (what a lecturer does by hand)."""
    deck = export(LECTURES[0], lab_root, decks_dir)
    context = browser.new_context(offline=True)
    page = context.new_page()
    try:
        page.goto(deck.html.as_uri() + "?print-pdf")
        page.wait_for_function("() => window.Reveal && Reveal.isReady()", timeout=60_000)
        total = page.evaluate("Reveal.getTotalSlides()")
        pdf = artifacts / f"{LECTURES[0].stem}-handout.pdf"
        page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
        pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))
        assert pages >= total, f"the handout has {pages} pages for {total} slides"
    finally:
        context.close()
