"""coursekit.display: Markdown sentences and HTML tables a lecture builds from computed numbers."""

from __future__ import annotations

import pytest

from coursekit.display import table


def test_table_renders_escaped_aligned_html():
    t = table([("conv<1>", 34944, 0.5731), ("fc6", 37752832, 0.25)], ["layer", "parameters", "share"],
              formats={"share": "{:.1%}"}, caption="AlexNet")
    html = t._repr_html_()
    assert "<caption>AlexNet</caption>" in html
    assert "conv&lt;1&gt;" in html and "<conv" not in html
    assert '<td style="text-align: right">37,752,832</td>' in html
    assert '<td style="text-align: right">57.3%</td>' in html
    assert '<td style="text-align: left">fc6</td>' in html
    assert str(t).splitlines()[0] == "AlexNet"
    assert str(t).splitlines()[3].split() == ["fc6", "37,752,832", "25.0%"]
    assert repr(t) == str(t), "Jupyter's text/plain is the table, not <Table at 0x...>"


def test_table_says_which_rows_are_short():
    with pytest.raises(ValueError, match=r"rows \[1\] do not have 2 values"):
        table([(1, 2), (3,)], ["a", "b"])
