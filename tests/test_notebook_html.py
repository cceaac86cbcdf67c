"""The feedback page's notebook body: the student's cells and outputs, with nothing of theirs executable."""

from __future__ import annotations

import base64
import html
import re

import nbformat

from coursekit.grader.notebook_html import notebook_html

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16).decode()


def _notebook():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# My answer <script>alert(1)</script>\n\n[click](javascript:alert(2)) "
                                      "and **bold** $x^2$"),
        nbformat.v4.new_code_cell("print('<b>hi</b>')  # a < b && c > d", outputs=[
            nbformat.v4.new_output("stream", name="stdout", text="<img src=x onerror=alert(3)>\n"),
            nbformat.v4.new_output("display_data", data={"text/html": "<script>alert(4)</script>",
                                                         "text/plain": "<Figure size 640x480>"}),
            nbformat.v4.new_output("display_data", data={"image/png": PNG}),
            nbformat.v4.new_output("display_data", data={"image/png": "not base64\"><script>alert(5)</script>"}),
            nbformat.v4.new_output("error", ename="ValueError", evalue="<bad>",
                                   traceback=["\x1b[0;31mValueError\x1b[0m: <bad>"]),
        ]),
        nbformat.v4.new_raw_cell("</div><script>alert(6)</script>"),
    ]
    return nb


def test_student_content_is_shown_escaped_and_nothing_runs():
    page = notebook_html(_notebook())
    tags = re.findall(r"<[a-zA-Z][^>]*>", page)  # the markup: the student's text may only appear escaped
    assert not [t for t in tags if re.search(r"script|onerror|javascript:", t, re.I)], tags
    assert {re.match(r"<(\w+)", t).group(1) for t in tags} <= {"style", "div", "h1", "p", "a", "strong", "pre", "img"}
    # ...yet everything the student wrote is there to read, as text
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    for shown in ("My answer", "alert(1)", "print('<b>hi</b>')  # a < b && c > d", "<img src=x onerror=alert(3)>",
                  "<Figure size 640x480>", "ValueError: <bad>", "alert(6)"):
        assert shown in text, shown
    assert "<strong>bold</strong>" in page  # markdown is still rendered
    assert "\x1b" not in page  # terminal colour codes of tracebacks are dropped


def test_only_valid_png_images_are_embedded():
    page = notebook_html(_notebook())
    assert page.count("<img ") == 1 and f"data:image/png;base64,{PNG}" in page
    assert "an image that could not be read" in page
