"""What the TA and the students get: grades CSV, per-student feedback HTML, report.html with plots.

* ``grades.csv``: nbgrader's own ``CsvExportPlugin`` on the gradebook, so the columns are exactly
  ``nbgrader export``'s (assignment, duedate, timestamp, student_id, last_name, first_name, email,
  raw_score, late_submission_penalty, score, max_score), including manual grades.
* ``feedback/<student>/<assignment>/<notebook>.html``: points and messages per exercise, then the
  student's notebook with each test cell's source replaced by one line
  (``coursekit.assignments.feedback.strip_hidden_tests``) and its verdict as output: never the test
  code, never hidden inputs.  Beside it, for an exchange submission, the ``timestamp.txt`` and
  ``submission_secret.txt`` that ``nbgrader release_feedback`` needs.
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


def _notebook_body(autograded_path: str) -> str:
    """The autograded notebook as safe HTML, test cells stripped by coursekit.assignments.feedback."""
    import nbformat

    from coursekit.assignments.feedback import strip_hidden_tests

    from .notebook_html import notebook_html

    return notebook_html(strip_hidden_tests(nbformat.read(autograded_path, as_version=4)))


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
    """``feedback/<student>/<assignment>/<notebook>.html``, plus the submission's ``timestamp.txt`` and
    ``submission_secret.txt`` from ``submitted/`` when it came through the exchange, so that
    ``nbgrader release_feedback`` (``coursekit.grader.exchange``) can hand it to that student."""
    import shutil

    from .collect import EXCHANGE_FILES

    folder = os.path.join(course_dir, "feedback", result["student"], assignment)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, result["notebook"] + ".html")
    with open(path + ".tmp", "w", encoding="utf-8") as fh:
        fh.write(feedback_html(result, assignment, autograded_path))
    os.replace(path + ".tmp", path)
    submitted = os.path.join(course_dir, "submitted", result["student"], assignment)
    for name in EXCHANGE_FILES:
        src, dest = os.path.join(submitted, name), os.path.join(folder, name)
        if os.path.isfile(src):
            shutil.copyfile(src, dest + ".tmp")
            os.replace(dest + ".tmp", dest)
        elif os.path.exists(dest):  # left by an earlier exchange submission: it would address the wrong one
            os.remove(dest)
    return path


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode()


def _final(result: dict) -> float:
    """The score after the late penalty (``result["score"]`` is before it; record sets ``late``)."""
    return round(result["score"] - (result.get("late") or {}).get("penalty", 0.0), 4)


def _lateness(result: dict) -> str:
    """'1 day 3 h, -1.7 points (extension 48 h)' for a late submission, '' otherwise."""
    from .late import describe_late

    info = result.get("late") or {}
    if not info.get("seconds_late", 0) > 0:
        return ""
    text = f"{describe_late(info['seconds_late'])}, -{info.get('penalty', 0.0):g} points"
    return text + (f" (extension {info['extension_hours']:g} h)" if info.get("extension_hours") else "")


def write_report(path: str, assignment: str, results: list[dict], problems: list[str], notes: list[str],
                 protections: list[str], seconds: float | None = None, similarity=None) -> str:
    """report.html: distribution, failure rate per test, frequent mistakes, problems, similar answers.

    ``similarity``: a ``similarity.Similarity`` (its section is left out when None).
    """
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
        f"<tr><td>{html.escape(r['student'])}</td><td>{_final(r):g} / {r['max_score']:g}</td>"
        f"<td>{html.escape(_lateness(r))}</td><td>{html.escape(r.get('error') or '')}</td></tr>"
        for r in sorted(results, key=lambda r: r["student"]))
    mean = sum(scores) / len(scores) if scores else 0.0
    problem_lines = "".join(f"<li>{html.escape(p)}</li>" for p in problems + crashes) or "<li>none</li>"
    note_lines = "".join(f"<li>{html.escape(n)}</li>" for n in notes) or "<li>none</li>"
    prot = "".join(f"<li>{html.escape(p)}</li>" for p in protections)
    figs = "".join(f'<h2>{html.escape(t)}</h2><img alt="{html.escape(t)}" src="data:image/png;base64,{b}">'
                   for t, b in images)
    mistakes_table = "".join(f"<tr><td>{v}</td><td>{html.escape(k)}</td></tr>" for k, v in common)
    doc = f"""<!doctype html><html><head><meta charset="utf-8"><title>Grading report: {html.escape(assignment)}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}} td{{padding:0 1em}}
{_SIMILARITY_CSS}</style></head><body>
<h1>Grading report: {html.escape(assignment)}</h1>
<p>{len(graded)} submissions graded, mean score {mean:.2f} / {top:g}{f', {seconds:.1f} s' if seconds else ''}.</p>
<h2>Problems ({len(problems) + len(crashes)})</h2><ul>{problem_lines}</ul>
<h2>Notes</h2><ul>{note_lines}</ul>
{figs}
<h2>Diagnosed mistakes</h2><table><tr><th>count</th><th>mistake</th></tr>{mistakes_table}</table>
{similarity_html(similarity) if similarity is not None else ''}
<h2>Scores</h2><table><tr><th>student</th><th>score</th><th>late</th><th>error</th></tr>{rows}</table>
<h2>Sandbox protections on this machine</h2><ul>{prot}</ul>
</body></html>"""
    with open(path + ".tmp", "w", encoding="utf-8") as fh:
        fh.write(doc)
    os.replace(path + ".tmp", path)
    return path


# ------------------------------------------------------------------------------ similar answers

_SIMILARITY_CSS = (" .sbs{display:grid;grid-template-columns:1fr 1fr;gap:1em} .sbs pre{overflow-x:auto;font-size:80%;"
                   "background:#f6f6f6;padding:.5em;margin:0} .hit{background:#ffe08a;display:inline-block;"
                   "min-width:100%} .ln{color:#888;user-select:none} details{margin:.3em 0}")
SIDE_BY_SIDE = 100  # pairs (and library matches) shown side by side; the rest are listed in a table


def _code(source: str, spans) -> str:
    """The source as escaped HTML lines, numbered, the lines inside ``spans`` highlighted."""
    hit = {n for first, last in spans for n in range(first, last + 1)}
    out = []
    for n, line in enumerate(source.splitlines(), 1):
        text = f'<span class="ln">{n:3d}</span> {html.escape(line)}'
        out.append(f'<span class="hit">{text}</span>' if n in hit else text)
    return "<pre>" + "\n".join(out) + "</pre>"


def _side_by_side(summary: str, left: str, left_code: str, right: str, right_code: str) -> str:
    return (f"<details><summary>{summary}</summary><div class=sbs><div><h4>{html.escape(left)}</h4>{left_code}</div>"
            f"<div><h4>{html.escape(right)}</h4>{right_code}</div></div></details>")


def similarity_html(sim) -> str:
    """The "Similar answers to review" section: pairs of submissions, then answers like the library."""
    from .similarity import MIN_REFERENCE_FINGERPRINTS

    e = html.escape
    parts = [
        "<h2>Similar answers to review</h2>",
        "<p>Answers worth a look, not a verdict: independent solutions to a short exercise can be alike, "
        "and every student learns from the same lectures and library. Names, comments, spacing and the order "
        "of functions are ignored; the released starter code, and passages shared by more than "
        f"{sim.common_limit} submissions (common idioms), do not count. The score is the share of the shorter "
        "answer found in the other; highlighted lines are the shared passages. Talk to the students before "
        "drawing any conclusion.</p>",
    ]
    parts += [f"<p>{e(n)}</p>" for n in sim.notes]
    parts.append(f"<h3>Between submissions: {len(sim.pairs)} pair(s) at {sim.threshold:g} or more</h3>")
    for p in sim.pairs[:SIDE_BY_SIDE]:
        parts.append(_side_by_side(f"{e(p.exercise)}: <b>{e(p.a)}</b> and <b>{e(p.b)}</b>, {p.score:.2f}",
                                   p.a, _code(p.source_a, p.spans_a), p.b, _code(p.source_b, p.spans_b)))
    if len(sim.pairs) > SIDE_BY_SIDE:
        rows = "".join(f"<tr><td>{e(p.exercise)}</td><td>{e(p.a)}</td><td>{e(p.b)}</td><td>{p.score:.2f}</td></tr>"
                       for p in sim.pairs[SIDE_BY_SIDE:])
        parts.append(f"<table><tr><th>exercise</th><th>student</th><th>student</th><th>score</th></tr>{rows}</table>")
    close = [r for r in sim.reference if r.score >= sim.reference_threshold]
    parts.append(f"<h3>Like the reference library students have installed: {len(close)} answer(s) at "
                 f"{sim.reference_threshold:g} or more</h3><p>The library's functions are the lectures' own "
                 "implementations; an answer written the textbook way can resemble them, so answers shorter "
                 f"than {MIN_REFERENCE_FINGERPRINTS} fingerprints are not compared with it.</p>")
    for r in close[:SIDE_BY_SIDE]:
        parts.append(_side_by_side(f"{e(r.exercise)}: <b>{e(r.student)}</b> and <code>{e(r.function)}</code>, "
                                   f"{r.score:.2f}", r.student, _code(r.source, r.spans), r.function,
                                   _code(r.reference_source, r.reference_spans)))
    if sim.reference:
        rows = "".join(f"<tr><td>{e(r.student)}</td><td>{e(r.exercise)}</td><td>{r.score:.2f}</td>"
                       f"<td>{e(r.function)}</td></tr>" for r in sim.reference)
        parts.append("<details><summary>Every compared answer's highest similarity to the library</summary><table>"
                     f"<tr><th>student</th><th>exercise</th><th>score</th><th>closest function</th></tr>{rows}"
                     "</table></details>")
    if sim.too_short:
        short = ", ".join(f"{e(ex)} ({n})" for ex, n in sorted(sim.too_short.items()))
        parts.append(f"<p>Answers too short to compare (apart from the released code), not checked: {short}.</p>")
    parts.append(f"<p>{sim.candidates} pair(s) sharing a passage were scored, in {sim.seconds:.1f} s.</p>")
    return "\n".join(parts)
