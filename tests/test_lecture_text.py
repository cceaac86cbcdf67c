"""What a lecture says must be computed and readable: numbers in markdown, and text in figures.

Numbers.  The course promises that every number a lecture states is computed.  Every number in a
markdown cell (slides, speaker notes, answers) must therefore also appear in the notebook's executed
outputs, unless it is

* a small integer (0-12: counts, indices, "two layers", exponents in a formula),
* a year (1900-2029), or a size written as ``3x3`` / ``28×28`` / ``(5, 5)``-style dimensions,
* part of a name (``VGG16``, ``conv5_3``, ``L2``, ``float32``), of inline code, a link or an HTML tag,
* listed, with the reason, in ``tests/lecture_numbers/<lecture>.toml`` under ``[defined]``: definitions
  and quotations (ImageNet's 1000 classes, the value a lecture note printed and the lecture corrects).

Fonts.  Every text matplotlib draws in a lecture (inline figures, widget PNGs, animation frames) must be
at least 12 pt (16 CSS px) at the size the figure is shown: a PNG wider than a slide's output area
(``OUTPUT_WIDTH_PX``) is shrunk to fit it, and its text with it.  Text colours need a contrast of at
least 3:1 against white (WCAG's minimum for large text), except white text, which sits on a dark fill.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from support.lectures import LECTURES, executed

REPO = Path(__file__).resolve().parents[1]
ALLOW = REPO / "tests" / "lecture_numbers"

# -- numbers ---------------------------------------------------------------------------------------

_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*(?![\w])")
_NOT_CLAIMS = [
    re.compile(r"`[^`]*`"),                                   # inline code
    re.compile(r"https?://\S+|\]\([^)]*\)|arXiv:\s*\S+|doi:\s*\S+", re.I),   # links
    re.compile(r"<[^>]+>"),                                   # HTML tags and their attributes
    re.compile(r"\d+(?:\s*(?:×|x|\\times)\s*\d+)+"),          # sizes: 3x3, 224 × 224 × 3
    re.compile(r"(?<![\w.,])(?:19|20)\d\d(?!\w|[.,]\d)"),     # years
]


def _value(token: str) -> str:
    return token.replace(",", "")


def claimed_numbers(markdown: str) -> list[str]:
    """The numbers a markdown cell states (see the module docstring for what is not a claim)."""
    for pattern in _NOT_CLAIMS:
        markdown = pattern.sub(" ", markdown)
    found = []
    for m in _NUMBER.finditer(markdown):
        token = m.group().rstrip(".,")
        if re.fullmatch(r"\d+", token) and int(token) <= 12:
            continue
        found.append(token)
    return found


def output_numbers(text: str) -> set[str]:
    return {_value(m.group().rstrip(".,")) for m in re.finditer(r"\d+(?:[.,]\d+)*", text)}


def defined(name: str) -> dict[str, str]:
    path = ALLOW / f"{name}.toml"
    return tomllib.loads(path.read_text())["defined"] if path.exists() else {}


def test_claimed_numbers_rules():
    text = ("FC6 holds 37.75 M of the `Conv2D(64, 3)` parameters, a 3x3 kernel on 224 × 224 images "
            "(He et al., 2015, [paper](https://arxiv.org/abs/1512.03385)); VGG16 has 13 conv layers, "
            "2 of them <span style='font-size:18px'>x</span>, 1,168 weights.")
    assert claimed_numbers(text) == ["37.75", "13", "1,168"]


@pytest.mark.slow
@pytest.mark.parametrize("path", LECTURES, ids=[p.stem for p in LECTURES])
def test_every_number_in_markdown_is_computed(path):
    run = executed(path.stem)
    produced = output_numbers(run.text)
    allowed = {_value(k) for k in defined(path.stem)}
    missing = []
    for i, cell in enumerate(run.nb.cells):
        if cell.cell_type != "markdown":
            continue
        for token in claimed_numbers(cell.source):
            if _value(token) not in produced and _value(token) not in allowed:
                missing.append(f"cell {i}: {token}")
    assert not missing, (f"{path.name}: numbers in markdown that no cell output shows (compute them and show "
                         f"them, or define them in tests/lecture_numbers/{path.stem}.toml):\n  "
                         + "\n  ".join(missing))


def test_defined_numbers_are_explained_and_used():
    for path in ALLOW.glob("*.toml"):
        entries = defined(path.stem)
        assert all(isinstance(v, str) and len(v.split()) >= 2 for v in entries.values()), \
            f"{path.name}: every defined number needs a reason of a few words"
        nb_path = REPO / "notebooks" / f"{path.stem}.ipynb"
        assert nb_path.exists(), f"{path.name} names no lecture"
        import nbformat

        stated = {_value(t) for c in nbformat.read(nb_path, as_version=4).cells if c.cell_type == "markdown"
                  for t in claimed_numbers(c.source)}
        unused = sorted(k for k in entries if _value(k) not in stated)
        assert not unused, f"{path.name}: defined numbers no markdown cell states any more: {unused}"


# -- fonts and colours in figures ---------------------------------------------------------------------

OUTPUT_WIDTH_PX = 1100     # a deck slide's output area at 1280x720 (and about JupyterLab's, full screen)
MIN_FONT_PX = 16           # 12 pt in CSS pixels
MIN_CONTRAST = 3.0


def _luminance(rgb) -> float:
    c = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in rgb]
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]


def contrast_on_white(rgb) -> float:
    return 1.05 / (_luminance(rgb) + 0.05)


def displayed_px(size_pt: float, dpi: float, width_px: int) -> float:
    """A text's height on screen: points at the PNG's dpi, shrunk with a PNG wider than the output area."""
    return size_pt * dpi / 72 * min(1.0, OUTPUT_WIDTH_PX / width_px)


def test_displayed_size_and_contrast_rules():
    assert displayed_px(12, 100, 800) > MIN_FONT_PX > displayed_px(11, 100, 800)
    assert displayed_px(13, 100, 2000) < MIN_FONT_PX                 # a wide figure shrinks its text
    assert contrast_on_white((0, 0, 0)) == pytest.approx(21)
    assert contrast_on_white((0xF0 / 255, 0xE4 / 255, 0x42 / 255)) < MIN_CONTRAST   # Okabe-Ito yellow
    assert contrast_on_white((0, 0x72 / 255, 0xB2 / 255)) > MIN_CONTRAST            # Okabe-Ito blue


@pytest.mark.slow
@pytest.mark.parametrize("path", LECTURES, ids=[p.stem for p in LECTURES])
def test_figure_text_is_readable_on_a_projector(path):
    run = executed(path.stem)
    assert run.figures, f"{path.name}: no figure was recorded (is the audit start-up file loaded?)"
    small, faint = set(), set()
    for fig in run.figures:
        for text, size, dpi, rgb in fig["texts"]:
            px = displayed_px(size, dpi, fig["width_px"])
            where = f"In [{fig['execution_count']}] ({fig['width_px']}px wide)"
            if px < MIN_FONT_PX - 0.05:
                small.add(f"{where}: {text!r} at {px:.1f}px ({size}pt at {dpi:.0f} dpi)")
            if min(rgb) < 0.99 and contrast_on_white(rgb) < MIN_CONTRAST:
                faint.add(f"{where}: {text!r} in rgb{tuple(rgb)} (contrast {contrast_on_white(rgb):.1f}:1)")
    assert not small, f"{path.name}: text below 12 pt on screen:\n  " + "\n  ".join(sorted(small)[:40])
    assert not faint, f"{path.name}: text that fails contrast on white:\n  " + "\n  ".join(sorted(faint)[:40])


# -- citations ------------------------------------------------------------------------------------------

NOTE_AUTHORS = ("Salvatore", "Ledda", "Vandin", "Susto", "Asperti")


@pytest.mark.parametrize("path", LECTURES, ids=[p.stem for p in LECTURES])
def test_lecture_notes_are_cited_by_author(path):
    """Notes are cited by author and institution; "seed" is the team's word for them, not the reader's."""
    import nbformat

    markdown = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown")
    # ("seed" for a random-number generator's seed is fine)
    assert not re.search(r"\bseeds?(/|\s+(notes?|lectures?|slides|files?|materials?)\b)", markdown, re.I), \
        f"{path.name} calls a lecture note a 'seed'"
    assert "Lomonaco" not in markdown, f"{path.name} cites an author the notes do not have"
    assert any(name in markdown for name in NOTE_AUTHORS), f"{path.name} cites none of the lecture notes"


@pytest.mark.parametrize("path", LECTURES, ids=[p.stem for p in LECTURES])
def test_two_or_three_try_it_tasks_each_followed_by_a_collapsed_answer(path):
    import nbformat

    cells = nbformat.read(path, as_version=4).cells
    tasks = [i for i, c in enumerate(cells) if c.cell_type == "markdown" and "**Try it.**" in c.source]
    assert 2 <= len(tasks) <= 3, f"{path.name} has {len(tasks)} try-it tasks"
    for i in tasks:
        after = [c for c in cells[i + 1:] if c.cell_type == "markdown"][:1]
        assert after and re.search(r"<details>\s*<summary>Answer", after[0].source), \
            f"{path.name} cell {i}: the next markdown cell is not a collapsed <details> answer"
        assert "<details" not in cells[i].source, f"{path.name} cell {i}: the answer sits in the task itself"
