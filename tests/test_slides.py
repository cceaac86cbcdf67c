"""Offline slide decks (``coursekit decks``): no remote URL anywhere, assets present, clear errors.

A small notebook with every kind of content the lectures use (math, a widget, a to_jshtml animation,
speaker notes, fragments) is executed and exported once; the tests read that deck statically. The real
lecture decks are opened in Chromium by tests/browser/test_decks.py.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest

from coursekit import slides

REPO = Path(__file__).resolve().parents[1]
LECTURES = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))

TINY_CELLS = [
    ("markdown", "slide", "# Tiny lecture\n\nThe sigmoid $\\sigma(z) = \\frac{1}{1 + e^{-z}}$."),
    ("markdown", "notes", "Speaker note: ask who has seen a sigmoid before."),
    ("code", "slide", "import ipywidgets as W\nslider = W.IntSlider(value=3, min=0, max=9, description='k')\nslider"),
    ("markdown", "fragment", "A fragment appears on the next key press."),
    ("code", "subslide",
     "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
     "from matplotlib.animation import FuncAnimation\nfrom IPython.display import HTML\n"
     "fig, ax = plt.subplots(figsize=(2, 1.5), dpi=40)\nline, = ax.plot([0, 1], [0, 0])\n"
     "anim = FuncAnimation(fig, lambda i: line.set_ydata([0, i]), frames=3)\nplt.close(fig)\n"
     "HTML(anim.to_jshtml())"),
    ("code", "skip", "print('skipped on the slides')"),
]


def tiny_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for kind, slide_type, source in TINY_CELLS:
        cell = nbformat.v4.new_markdown_cell(source) if kind == "markdown" else nbformat.v4.new_code_cell(source)
        cell.metadata["slideshow"] = {"slide_type": slide_type}
        nb.cells.append(cell)
    return nb


@pytest.fixture(scope="module")
def tiny_deck(tmp_path_factory):
    """(Deck, html text) of the tiny notebook, executed and exported once."""
    work = tmp_path_factory.mktemp("tiny")
    path = work / "00_tiny.ipynb"
    nbformat.write(tiny_notebook(), path)
    deck = slides.export_deck(path, work / "decks", execute=True, timeout=120)
    return deck, deck.html.read_text(encoding="utf-8")


# -- what the deck loads ------------------------------------------------------------------------------

_LOCAL_REF = re.compile(r"""<(?!a\b)[a-zA-Z][\w-]*\b[^>]*?\b(?:src|href)\s*=\s*["']([^"'#][^"']*)["']""")
_CSS_REF = re.compile(r"""(?:url\(\s*["']?|@import\s+["'])([^"')\s]+)""")
_REQUIRED = re.compile(r'"(\{\{[^"]*|[^"{]*?/(?:reveal|notes)\.js)"')


def local_references(html: str) -> set[str]:
    """Relative paths of files a deck loads: src/href of non-<a> tags and the require([...]) modules."""
    refs = {m.group(1) for m in _LOCAL_REF.finditer(html)}
    refs |= {m.group(1) for m in _REQUIRED.finditer(html)}
    refs |= {slides.LOCAL_URLS["widget_renderer_url"]} if "widget-state+json" in html else set()
    return {unquote(urlsplit(r).path) for r in refs if not r.startswith(("data:", "javascript:"))}


def stylesheet_closure(css: Path, seen: set[Path] | None = None) -> set[Path]:
    """A stylesheet and every local file it pulls in through url() / @import, recursively."""
    seen = set() if seen is None else seen
    if css in seen:
        return seen
    seen.add(css)
    if css.suffix == ".css":
        for ref in _CSS_REF.findall(css.read_text(encoding="utf-8", errors="replace")):
            if ref.startswith("data:"):
                continue
            assert not re.match(r"(https?:)?//", ref), f"{css} pulls a remote resource: {ref}"
            target = (css.parent / unquote(urlsplit(ref).path)).resolve()
            assert target.exists(), f"{css} refers to missing {ref}"
            stylesheet_closure(target, seen)
    return seen


@pytest.mark.slow  # tiny_deck executes a notebook (Jupyter kernel)
def test_tiny_deck_has_no_remote_url(tiny_deck):
    deck, html = tiny_deck
    assert slides.find_remote_urls(html) == []
    assert "font-awesome" not in html, "to_jshtml's CDN stylesheet link was not removed"
    assert ".fa-play:before" in html, "the player buttons' glyph shim is missing"


@pytest.mark.slow  # tiny_deck executes a notebook
def test_every_file_the_deck_loads_is_local_and_present(tiny_deck):
    deck, html = tiny_deck
    refs = local_references(html)
    for needed in ("assets/reveal.js/dist/reveal.css", "assets/reveal.js/dist/reveal.js",
                   "assets/reveal.js/plugin/notes/notes.js", "assets/require.js", "assets/jquery.min.js",
                   "assets/mathjax/MathJax.js", "assets/html-manager/embed-amd.js"):
        assert needed in refs, f"the deck does not load {needed}; it loads {sorted(refs)}"
    for ref in refs:
        target = deck.html.parent / ref
        assert target.is_file(), f"the deck loads {ref}, which is not in {deck.html.parent}"
        stylesheet_closure(target.resolve())   # stylesheets: every font/image/import local too


@pytest.mark.slow  # tiny_deck executes a notebook
def test_mathjax_config_is_local(tiny_deck):
    deck, _ = tiny_deck
    mathjax = deck.html.parent / "assets" / "mathjax"
    for part in ("config/TeX-AMS_CHTML-full.js", "config/Safe.js", "jax/output/CommonHTML/jax.js",
                 "fonts/HTML-CSS/TeX/woff/MathJax_Main-Regular.woff"):
        assert (mathjax / part).is_file(), f"MathJax needs {part} offline"


@pytest.mark.slow  # tiny_deck executes a notebook
def test_deck_keeps_notes_fragments_widgets_and_animation(tiny_deck):
    deck, html = tiny_deck
    assert re.search(r'<aside class="notes">.*ask who has seen a sigmoid', html, re.DOTALL), "speaker notes lost"
    assert 'class="fragment"' in html
    assert "skipped on the slides" not in html, "a skip cell reached the deck"
    assert "application/vnd.jupyter.widget-state+json" in html, "widget state not saved: widgets would be blank"
    assert re.search(r'"model_name":\s*"IntSliderModel"', html) and re.search(r'"value":\s*3\b', html)
    assert '<div class="animation">' in html and "_anim_img" in html, "the to_jshtml animation is missing"
    assert deck.bytes == deck.html.stat().st_size > 0


@pytest.mark.slow  # tiny_deck executes a notebook
def test_assets_are_copied_once_and_shared(tiny_deck, tmp_path):
    deck, _ = tiny_deck
    assets = slides.copy_assets(deck.html.parent)          # second call: nothing to do
    assert assets == deck.html.parent / "assets"
    size = sum(f.stat().st_size for f in assets.rglob("*") if f.is_file())
    assert size < 25e6, f"assets folder is {size / 1e6:.1f} MB; only what the decks load belongs there"


def test_tagged_code_is_hidden_in_the_deck_only(tmp_path):
    """remove-input hides a figure's code on the slide (its output stays); remove-cell drops the cell."""
    nb = tiny_notebook()
    for source, tag in [("print('output ' + 'kept')  # HIDDEN-CODE", "remove-input"),
                        ("print('dropped ' + 'cell')", "remove-cell")]:
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata.update({"slideshow": {"slide_type": "slide"}, "tags": [tag]})
        nb.cells.append(cell)
    nb.cells[-2].outputs = [nbformat.v4.new_output("stream", name="stdout", text="output kept\n")]
    nb.cells[-1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="dropped cell\n")]
    path = tmp_path / "00_tags.ipynb"
    nbformat.write(nb, path)
    html = slides.export_deck(path, tmp_path / "decks", execute=False).html.read_text(encoding="utf-8")
    assert "output kept" in html and "HIDDEN" not in html
    assert "dropped" not in html
    assert "IntSlider" in html, "untagged code must stay on the slide"
    source = nbformat.read(path, as_version=4)
    assert "HIDDEN-CODE" in source.cells[-2].source, "the notebook itself keeps the code"


def test_decks_are_sized_for_a_720p_projector(tmp_path):
    path = tmp_path / "00_tiny.ipynb"
    nbformat.write(tiny_notebook(), path)
    html = slides.export_deck(path, tmp_path / "decks", execute=False).html.read_text(encoding="utf-8")
    assert re.search(r"width:\s*1280,\s*height:\s*720", html)
    assert "overflow-y', 'scroll'" not in html, "tall slides must be fixed, not turned into scrolling boxes"


# -- the URL scanner itself -------------------------------------------------------------------------

@pytest.mark.parametrize("snippet, url", [
    ('<script src="https://cdn.example.org/reveal.js"></script>', "https://cdn.example.org/reveal.js"),
    ("<link rel=stylesheet href='//fonts.example.org/a.css'>", "//fonts.example.org/a.css"),
    ('<img src=https://example.org/cat.png>', "https://example.org/cat.png"),
    ("<style>@import url(https://fonts.example.org/x.css);</style>", "https://fonts.example.org/x.css"),
    ('<div style="background: url(\'http://example.org/bg.png\')"></div>', "http://example.org/bg.png"),
    ('<script type="module">import m from "https://cdn.example.org/m.mjs";</script>', "https://cdn.example.org/m.mjs"),
    ('<script>require(["https://unpkg.com/x@1/x.js"], f)</script>', "https://unpkg.com/x@1/x.js"),
])
def test_find_remote_urls_catches(snippet, url):
    assert slides.find_remote_urls(f"<html><body>{snippet}</body></html>") == [url]


def test_find_remote_urls_allows_hyperlinks_and_local_files():
    html = ('<a href="https://keras.io">Keras</a><script src="assets/require.js"></script>'
            '<img src="data:image/png;base64,AAAA"><link href="assets/reveal.js/dist/reveal.css">'
            '<script type="application/vnd.jupyter.widget-state+json">{"u": "https://example.org"}</script>')
    assert slides.find_remote_urls(html) == []


# -- errors a lecturer can act on ---------------------------------------------------------------------

def test_missing_assets_say_how_to_install_them(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSEKIT_NODE_MODULES", str(tmp_path / "nowhere"))
    path = tmp_path / "00_tiny.ipynb"
    nbformat.write(tiny_notebook(), path)
    with pytest.raises(slides.AssetsMissing, match=r"scripts/setup\.sh.*npm install"):
        slides.export_deck(path, tmp_path / "decks", execute=False)
    assert not (tmp_path / "decks" / "00_tiny.slides.html").exists()


def test_cli_reports_missing_assets_and_notebooks(tmp_path, monkeypatch, capsys):
    from coursekit.cli import main

    assert main(["decks", str(tmp_path / "missing.ipynb"), "-o", str(tmp_path / "out")]) == 1
    assert "no notebook" in capsys.readouterr().err

    monkeypatch.setenv("COURSEKIT_NODE_MODULES", str(tmp_path / "nowhere"))
    path = tmp_path / "00_tiny.ipynb"
    nbformat.write(tiny_notebook(), path)
    assert main(["decks", str(path), "-o", str(tmp_path / "out"), "--no-execute"]) == 1
    assert "deck assets not found" in capsys.readouterr().err


def test_remote_image_in_a_lecture_is_refused(tmp_path):
    nb = tiny_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell('<img src="https://example.org/neuron.png">'))
    nb.cells[-1].metadata["slideshow"] = {"slide_type": "slide"}
    path = tmp_path / "00_remote.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(RuntimeError, match="example.org/neuron.png"):
        slides.export_deck(path, tmp_path / "decks", execute=False)


# -- the real lectures (not executed here: cells, notes, markdown images) ------------------------------

@pytest.mark.parametrize("path", LECTURES, ids=[p.stem for p in LECTURES])
def test_lecture_source_exports_offline(path, tmp_path):
    deck = slides.export_deck(path, tmp_path, execute=False)
    html = deck.html.read_text(encoding="utf-8")
    assert slides.find_remote_urls(html) == []
    nb = nbformat.read(path, as_version=4)
    notes = sum(c.metadata.get("slideshow", {}).get("slide_type") == "notes" for c in nb.cells)
    assert html.count('<aside class="notes">') >= (1 if notes else 0), "speaker notes did not reach the deck"


def test_offline_jshtml_drops_the_font_awesome_cdn():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation

    fig, ax = plt.subplots(figsize=(1, 1), dpi=20)
    anim = FuncAnimation(fig, lambda i: None, frames=2)
    raw = anim.to_jshtml()
    plt.close(fig)
    assert slides.find_remote_urls(raw), "matplotlib no longer links a CDN: offline_jshtml can go"
    html = slides.offline_jshtml(raw)
    assert slides.find_remote_urls(html) == []
    assert html.startswith("<style>") and ".fa-play:before" in html and "anim-buttons" in html
