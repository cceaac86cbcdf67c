"""What the TA and the students get: grades CSV, per-student feedback HTML, report.html with plots.

* ``grades.csv``: nbgrader's own ``CsvExportPlugin`` on the gradebook, so the columns are exactly
  ``nbgrader export``'s (assignment, duedate, timestamp, student_id, last_name, first_name, email,
  raw_score, late_submission_penalty, score, max_score), including manual grades.
* ``feedback/<student>/<assignment>/<notebook>.html``: points and messages per exercise, then the
  student's notebook with each test cell's source replaced by one line
  (``coursekit.assignments.feedback.strip_hidden_tests``) and its verdict as output: never the test
  code, never hidden inputs.
* ``report.html``: score distribution, failure rate per test, most frequent diagnosed mistakes
  (PNG plots embedded, opens offline in any browser), plus one line per problem (unreadable zip,
  unknown file name, malformed notebook, crash, timeout).
"""

from __future__ import annotations

import base64
import html
import io
import os
from collections import Counter


def exercise_text(ex: dict) -> str:
    lines = [f"{ex['name']}: {ex['points']:g}/{ex['max_points']:g} points"
             + (f" ({ex['passed']}/{ex['total']} checks passed)" if ex.get("total") else "")]
    lines += [f"  - {m}" for m in ex["messages"]]
    lines += [f"  likely mistake: {d}" for d in ex["diagnoses"]]
    return "\n".join(lines)


def export_csv(db_url: str, course_id: str, assignment: str, path: str) -> str:
    """nbgrader's CSV export (same columns as ``nbgrader export``), for this assignment."""
    from nbgrader.api import Gradebook
    from nbgrader.plugins.export import CsvExportPlugin

    plugin = CsvExportPlugin(to=path, assignment=[assignment])
    with Gradebook(db_url, course_id) as gb:
        plugin.export(gb)
    return path


def _feedback_html_own(result: dict, assignment: str) -> str:
    rows = []
    for ex in result["exercises"]:
        ok = ex["points"] >= ex["max_points"] > 0
        items = "".join(f"<li>{html.escape(m)}</li>" for m in ex["messages"][:20])
        if len(ex["messages"]) > 20:
            items += f"<li>... and {len(ex['messages']) - 20} more</li>"
        diag = "".join(f"<li><b>likely mistake:</b> {html.escape(d)}</li>" for d in ex["diagnoses"])
        rows.append(f"<h3 class={'ok' if ok else 'bad'}><code>{html.escape(ex['name'])}</code>: "
                    f"{ex['points']:g} / {ex['max_points']:g}</h3><ul>{items}{diag}</ul>")
    notes = "".join(f"<li>{html.escape(p)}</li>" for p in result.get("problems", []))
    return f"""<!doctype html><html><head><meta charset="utf-8">
<title>Feedback: {html.escape(assignment)} / {html.escape(result['student'])}</title>
<style>body{{font-family:sans-serif;max-width:52em;margin:2em auto}} .ok{{color:#009E73}} .bad{{color:#D55E00}}</style>
</head><body><h1>{html.escape(assignment)}: {result['score']:g} / {result['max_score']:g}</h1>
<p>Student: {html.escape(result['student'])}. Your functions were run on the visible test inputs and on
hidden inputs; the messages below say what differed from Keras.</p>
{'<h2>Problems</h2><ul>' + notes + '</ul>' if notes else ''}{''.join(rows)}</body></html>"""


_EXPORTER = None


def _notebook_body(autograded_path: str) -> str:
    """The autograded notebook as HTML, test cells stripped by coursekit.assignments.feedback."""
    global _EXPORTER
    import nbformat
    from nbconvert import HTMLExporter

    from coursekit.assignments.feedback import strip_hidden_tests

    nb = strip_hidden_tests(nbformat.read(autograded_path, as_version=4))
    if _EXPORTER is None:
        _EXPORTER = HTMLExporter(template_name="basic")
    body, _ = _EXPORTER.from_notebook_node(nb)
    return body


def feedback_html(result: dict, assignment: str, autograded_path: str | None = None) -> str:
    """Summary (points and messages per exercise) + the student's notebook without the test code."""
    page = _feedback_html_own(result, assignment)
    if autograded_path and os.path.exists(autograded_path):
        try:
            body = _notebook_body(autograded_path)
        except Exception as exc:  # the summary alone is still correct feedback
            body = f"<p>(the notebook could not be rendered: {html.escape(type(exc).__name__)})</p>"
        page = page.replace("</body></html>", f"<h2>Your notebook</h2>{body}</body></html>")
    return page


def write_feedback(course_dir: str, assignment: str, result: dict, autograded_path: str | None = None) -> str:
    folder = os.path.join(course_dir, "feedback", result["student"], assignment)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, result["notebook"] + ".html")
    with open(path + ".tmp", "w", encoding="utf-8") as fh:
        fh.write(feedback_html(result, assignment, autograded_path))
    os.replace(path + ".tmp", path)
    return path


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode()


def write_report(path: str, assignment: str, results: list[dict], problems: list[str], notes: list[str],
                 protections: list[str], seconds: float | None = None) -> str:
    """report.html: distribution, failure rate per test, frequent mistakes, problems."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from coursekit import style

    graded = [r for r in results if r.get("exercises")]
    scores = [r["score"] for r in graded]
    top = max((r["max_score"] for r in graded), default=0)
    images = []

    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.hist(scores, bins=min(20, max(5, len(set(scores)))), range=(0, top or 1), color=style.PALETTE["blue"],
            edgecolor="white")
    ax.set_xlabel(f"score (out of {top:g})")
    ax.set_ylabel("students")
    ax.set_title(f"{assignment}: score distribution (n={len(scores)})")
    images.append(("Score distribution", _png(fig)))
    plt.close(fig)

    fails, totals = Counter(), Counter()
    for r in graded:
        for ex in r["exercises"]:
            totals[ex["name"]] += 1
            fails[ex["name"]] += ex["points"] < ex["max_points"]
    names = list(totals)
    if names:
        fig, ax = plt.subplots(figsize=(6, 0.4 * len(names) + 1))
        rate = [100 * fails[n] / totals[n] for n in names]
        ax.barh(names[::-1], rate[::-1], color=style.PALETTE["vermillion"])
        ax.set_xlim(0, 100)
        ax.set_xlabel("% of submissions not getting full marks")
        ax.set_title("Failure rate per test")
        images.append(("Failure rate per test", _png(fig)))
        plt.close(fig)

    mistakes = Counter()
    for r in graded:
        for ex in r["exercises"]:
            for d in ex["diagnoses"]:
                mistakes[f"{ex['name']}: {d}"] += 1
    common = mistakes.most_common(12)
    if common:
        fig, ax = plt.subplots(figsize=(7, 0.45 * len(common) + 1))
        labels = [(k if len(k) < 70 else k[:67] + "...") for k, _ in common]
        ax.barh(labels[::-1], [v for _, v in common][::-1], color=style.PALETTE["sky"])
        ax.set_xlabel("submissions")
        ax.set_title("Most frequent diagnosed mistakes")
        images.append(("Most frequent diagnosed mistakes", _png(fig)))
        plt.close(fig)

    crashes = [f"{r['student']}: {p}" for r in results for p in r.get("problems", [])]
    rows = "".join(
        f"<tr><td>{html.escape(r['student'])}</td><td>{r['score']:g} / {r['max_score']:g}</td>"
        f"<td>{html.escape(r.get('error') or '')}</td></tr>" for r in sorted(results, key=lambda r: r["student"]))
    mean = sum(scores) / len(scores) if scores else 0.0
    problem_lines = "".join(f"<li>{html.escape(p)}</li>" for p in problems + crashes) or "<li>none</li>"
    note_lines = "".join(f"<li>{html.escape(n)}</li>" for n in notes) or "<li>none</li>"
    prot = "".join(f"<li>{html.escape(p)}</li>" for p in protections)
    figs = "".join(f'<h2>{html.escape(t)}</h2><img alt="{html.escape(t)}" src="data:image/png;base64,{b}">'
                   for t, b in images)
    mistakes_table = "".join(f"<tr><td>{v}</td><td>{html.escape(k)}</td></tr>" for k, v in common)
    doc = f"""<!doctype html><html><head><meta charset="utf-8"><title>Grading report: {html.escape(assignment)}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}} td{{padding:0 1em}}</style></head><body>
<h1>Grading report: {html.escape(assignment)}</h1>
<p>{len(graded)} submissions graded, mean score {mean:.2f} / {top:g}{f', {seconds:.1f} s' if seconds else ''}.</p>
<h2>Problems ({len(problems) + len(crashes)})</h2><ul>{problem_lines}</ul>
<h2>Notes</h2><ul>{note_lines}</ul>
{figs}
<h2>Diagnosed mistakes</h2><table><tr><th>count</th><th>mistake</th></tr>{mistakes_table}</table>
<h2>Scores</h2><table><tr><th>student</th><th>score</th><th>error</th></tr>{rows}</table>
<h2>Sandbox protections on this machine</h2><ul>{prot}</ul>
</body></html>"""
    with open(path + ".tmp", "w", encoding="utf-8") as fh:
        fh.write(doc)
    os.replace(path + ".tmp", path)
    return path
