"""What a student's ``self_check()`` shows: one report per call, readable (an HTML table in Jupyter,
plain text elsewhere), never followed by the repr of the returned list.

The slow tests run the checker for real: in a Jupyter kernel (nbclient) and in a plain ``python``
subprocess, on the registry's correct answer of an exercise and on one of its mistakes' examples.
"""

from __future__ import annotations

import html
import subprocess
import sys

import nbformat
import pytest

from coursekit import checks
from coursekit.checks import EXERCISES, Result, SelfCheckReport

NAME = "numerical_gradient"  # NumPy only, a correct answer and recognised wrong ones in the registry
MISTAKE = next(m for m in EXERCISES[NAME].mistakes if m.example and m.recognised)


def _failing_report() -> SelfCheckReport:
    bad = '<script>alert("x")</script>'
    return SelfCheckReport(
        [
            Result("relu", 1.0, 1.0, [], [], 4, 4),
            Result("conv2d", 0.5, 3.0, [f"case 'a': got {bad}", "case 'b': wrong", "case 'c': wrong"], [bad], 1, 4),
        ]
    )


# ----------------------------------------------------------------------------- fast: the report object


def test_html_escapes_what_the_student_controls():
    page = _failing_report()._repr_html_()
    assert "<script>" not in page and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "<table>" in page and page.count("<tr>") == 3  # header + two exercises
    assert "2 more failing checks" in page  # the first failing check is shown, the others folded


def test_report_text_repr_and_points():
    report = _failing_report()
    text = str(report)
    assert text.count("[PASS] relu") == 1 and text.count("[FAIL] conv2d") == 1
    assert "likely mistake: <script>" in text and "visible checks: 1.5/4 points" in text
    assert "\n" not in repr(report) and "Result(" not in repr(report)
    assert (report.points, report.max_points) == (1.5, 4.0)
    assert [r.name for r in report.results] == ["relu", "conv2d"] and report[1].diagnoses


def test_nothing_defined_says_so_once(capsys):
    report = checks.self_check(namespace={"np": None})
    out = capsys.readouterr().out
    assert report == [] and out.count("none of the exercise functions is defined") == 1


def test_an_exercise_not_yet_defined_says_so_once(capsys):
    report = checks.self_check("conv2d", namespace={})
    out = capsys.readouterr().out
    assert report.missing == ["conv2d"] and out.count("conv2d: not defined yet") == 1


def test_an_unknown_name_suggests_the_nearest():
    with pytest.raises(KeyError) as info:
        checks.self_check("conv_2d", namespace={})
    assert str(info.value).startswith("there is no exercise 'conv_2d'; did you mean conv2d? The exercises are ")

    def helper(x):
        return x

    with pytest.raises(KeyError, match="there is no exercise 'helper'; name one of "):
        checks.self_check(helper, namespace={})


# ----------------------------------------------------------------------------- slow: a real kernel, a real script


def _outputs_naming(cell, name):
    """The outputs of ``cell`` that mention ``name`` (a report, or anything else that leaked)."""
    found = []
    for out in cell.outputs:
        texts = [out.get("text", "")] + list(out.get("data", {}).values())
        if any(name in str(t) for t in texts):
            found.append(out)
    return found


@pytest.mark.slow
def test_a_notebook_shows_each_self_check_once_as_html(tmp_path):
    from nbclient import NotebookClient

    cells = [
        "import numpy as np\nfrom coursekit.checks import self_check",
        EXERCISES[NAME].answer,
        f'self_check("{NAME}")',  # 2: last line, right answer
        "report = self_check()\nfound = len(report)",  # 3: mid-cell
        "report",  # 4: the report again, in a later cell: shown (once)
        MISTAKE.example,
        "self_check()",  # 6: last line, wrong answer
        f'for name in ["{NAME}"]:\n    self_check(name)\nprint("done")',  # 7: in a loop
        "print(found, report.points == report.max_points)",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src) for src in cells])
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    code = nb.cells

    for i in (2, 3, 4, 6, 7):
        reports = _outputs_naming(code[i], NAME)
        assert len(reports) == 1, (i, code[i].outputs)
        data = reports[0].get("data", {})
        assert reports[0].output_type == "display_data" and "text/html" in data, (i, reports[0])
        assert "Result(" not in str(code[i].outputs), (i, code[i].outputs)
    for i in (2, 3, 4, 6):  # nothing else: no Out[] of the returned value, no printed copy
        extra = [o for o in code[i].outputs if o.output_type == "execute_result" or o.get("name") == "stdout"]
        assert extra == [], (i, extra)
    for i in (2, 3, 4):
        assert f"[PASS] {NAME}" in _outputs_naming(code[i], NAME)[0].data["text/plain"]
    for i in (6, 7):
        data = _outputs_naming(code[i], NAME)[0].data
        assert f"likely mistake: {MISTAKE.message}" in data["text/plain"]
        assert html.escape(MISTAKE.message) in data["text/html"]
    assert code[7].outputs[-1].text == "done\n"
    assert code[8].outputs[0].text == "1 True\n"  # the returned report holds the Results


@pytest.mark.slow
def test_a_script_and_the_python_prompt_print_the_report_once(tmp_path):
    script = tmp_path / "student.py"
    script.write_text(
        "import numpy as np\nfrom coursekit.checks import self_check\n"
        + MISTAKE.example
        + '\nreport = self_check()\nprint("points", report.points < report.max_points)\n'
    )
    # -i: after the script, the interactive prompt reads `self_check()` and echoes its value
    run = subprocess.run(
        [sys.executable, "-i", str(script)], input="self_check()\n", capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert out.count(f"[FAIL] {NAME}") == 2, out  # the script's call and the prompt's call, once each
    assert out.count(f"likely mistake: {MISTAKE.message}") == 2 and "points True" in out
    assert "Result(" not in out and "<table>" not in out
    assert out.rstrip().endswith(">") and "<self_check: 1 exercise, " in out  # the prompt's one-line echo
