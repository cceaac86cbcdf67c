"""Show computed text in a lecture: Markdown sentences and HTML tables built from numbers in code.

A lecture states no number that it does not compute (tests/test_lecture_text.py checks it), so a sentence
with a number is written in a code cell, ``say(f"FC6 holds {share:.0%} of the parameters")``, and shows up
as Markdown in JupyterLab, in exports and on the slide.  Tables are HTML (readable on a projector, unlike
a monospace printout).

    say("**{:,}** weights".format(n))                       # Markdown
    table([("conv1", 34_944), ("fc6", 37_752_832)], ["layer", "parameters"])
"""

from __future__ import annotations

import html
import numbers
from collections.abc import Iterable, Sequence


def say(text: str) -> None:
    """Display ``text`` as Markdown (math with ``$...$`` works too)."""
    from IPython.display import Markdown, display

    display(Markdown(text))


def _cell(value, fmt: str | None) -> str:
    if fmt is not None and isinstance(value, numbers.Number):
        return fmt.format(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Number):
        return html.escape(str(value))
    if isinstance(value, numbers.Integral):
        return f"{value:,}"
    return f"{value:.4g}"


class Table:
    """An HTML table (its ``_repr_html_`` is what Jupyter shows); ``str()`` and ``repr()`` are plain text."""

    def __init__(self, rows: Iterable[Sequence], columns: Sequence[str], formats: dict[str, str] | None = None,
                 caption: str | None = None, font_size: str | None = None):
        self.rows = [list(r) for r in rows]
        self.columns = list(columns)
        bad = [i for i, r in enumerate(self.rows) if len(r) != len(self.columns)]
        if bad:
            raise ValueError(f"table rows {bad[:5]} do not have {len(self.columns)} values "
                             f"(one per column: {self.columns})")
        self.formats = formats or {}
        self.caption = caption
        self.font_size = font_size

    def _formatted(self) -> list[list[str]]:
        return [[_cell(v, self.formats.get(c)) for v, c in zip(r, self.columns)] for r in self.rows]

    def _repr_html_(self) -> str:
        numeric = [all(isinstance(r[j], numbers.Number) for r in self.rows) and bool(self.rows)
                   for j in range(len(self.columns))]
        align = ["right" if n else "left" for n in numeric]
        style = f' style="font-size: {self.font_size}"' if self.font_size else ""
        head = "".join(f'<th style="text-align: {a}">{html.escape(c)}</th>' for c, a in zip(self.columns, align))
        body = "".join("<tr>" + "".join(f'<td style="text-align: {a}">{v}</td>' for v, a in zip(r, align))
                       + "</tr>" for r in self._formatted())
        caption = f"<caption>{html.escape(self.caption)}</caption>" if self.caption else ""
        return f"<table{style}>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    def __str__(self) -> str:
        cells = [self.columns] + self._formatted()
        widths = [max(len(r[j]) for r in cells) for j in range(len(self.columns))]
        lines = ["  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in cells]
        return "\n".join(([self.caption] if self.caption else []) + lines)

    __repr__ = __str__   # text/plain: what a terminal, a log or a plain-text export shows


def table(rows: Iterable[Sequence], columns: Sequence[str], formats: dict[str, str] | None = None,
          caption: str | None = None, font_size: str | None = None) -> Table:
    """An HTML table of ``rows`` (one value per column); ``formats`` maps a column to a format string.

    Integers get thousands separators, other numbers 4 significant digits, unless ``formats`` says
    otherwise (``{"share": "{:.1%}"}``).  ``font_size`` (CSS, e.g. ``"80%"``) shrinks a wide table.
    """
    return Table(rows, columns, formats, caption, font_size)
