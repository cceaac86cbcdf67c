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
