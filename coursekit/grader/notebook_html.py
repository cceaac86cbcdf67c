"""A graded notebook as plain, safe HTML for the feedback page (no nbconvert).

nbconvert's HTML exporter took 0.6 s per notebook here (Jinja templates, Pygments, bleach and
BeautifulSoup), more than grading the submission.  Feedback needs much less: the student's cells as
they wrote them, the checker's report under each test cell, and their own figures.  This renderer
does that in a few milliseconds and treats everything in the notebook as hostile, because it is the
student's: code, outputs and error messages are HTML-escaped; markdown goes through mistune with raw
HTML escaped and unsafe link schemes dropped; only PNG/JPEG images (checked base64) are shown, never
an output's HTML or JavaScript.
"""

from __future__ import annotations

import base64
import binascii
import html
import re

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_MARKDOWN = None
CSS = """.cell{margin:.6em 0} pre{background:#f7f7f7;padding:.5em;overflow-x:auto;white-space:pre-wrap}
pre.out{background:#fff;border-left:3px solid #ccc} pre.err{background:#fdecea} img{max-width:100%}"""


def _markdown(text: str) -> str:
    global _MARKDOWN
    if _MARKDOWN is None:
        import mistune

        _MARKDOWN = mistune.create_markdown(escape=True, plugins=["table", "strikethrough"])
    return _MARKDOWN(text)


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def _image(mime: str, data) -> str:
    data = _text(data).replace("\n", "")
    try:
        base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return "<p>(an image that could not be read)</p>"
    return f'<img alt="output figure" src="data:{mime};base64,{data}">'


def output_html(output: dict) -> str:
    kind = output.get("output_type")
    if kind == "stream":
        return f'<pre class="out">{html.escape(_text(output.get("text")))}</pre>'
    if kind == "error":
        trace = _ANSI.sub("", "\n".join(output.get("traceback") or [])) or \
            f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"
        return f'<pre class="out err">{html.escape(trace)}</pre>'
    data = output.get("data") or {}
    for mime in ("image/png", "image/jpeg"):
        if mime in data:
            return _image(mime, data[mime])
    if "text/plain" in data:
        return f'<pre class="out">{html.escape(_text(data["text/plain"]))}</pre>'
    return ""


def notebook_html(nb) -> str:
    """The cells of ``nb`` (an nbformat notebook) as an HTML fragment."""
    parts = []
    for cell in nb.cells:
        source = _text(cell.get("source"))
        if cell.get("cell_type") == "markdown":
            parts.append(f'<div class="cell md">{_markdown(source)}</div>')
        elif cell.get("cell_type") == "code":
            outs = "".join(output_html(o) for o in cell.get("outputs", []))
            parts.append(f'<div class="cell code"><pre class="in">{html.escape(source)}</pre>{outs}</div>')
        else:
            parts.append(f'<div class="cell raw"><pre>{html.escape(source)}</pre></div>')
    return f"<style>{CSS}</style>" + "".join(parts)
