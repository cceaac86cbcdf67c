"""Checks for the six assignments: one exercise registry, one checker, used in two places.

    EXERCISES                       contract function name -> Exercise (the registry: one module per
                                    lecture topic, e.g. checks/convolution.py; signatures are read off
                                    the library's reference functions; each Mistake carries the wrong
                                    code a student writes, used by the tests, the benchmark, the demo,
                                    mostly as one edit of the exercise's correct ``answer``: core.wrong)
    ASSIGNMENTS                     "01_neuron", ... -> exercise names, in notebook order
    make_cases(name, hidden, seed)  trusted side: the inputs (plain NumPy data)
    run_cases(func, cases, name)    student side: run the student's function on copies
    grade_outcomes(name, cases, outcomes)  trusted side: live Keras/TF values, compare, diagnose
    check(name, func, hidden, seed) all three in one process (self-check, nbgrader test cells)
    score_test_cell(name, func)     what an nbgrader test cell runs: prints the verdict, returns the points
    self_check(exercise, namespace) the student's button: visible checks, shown once (SelfCheckReport)

The contract page docs/exercises.md is written from the registry: ``python -m coursekit.checks.contract``.

Importing this package does not import TensorFlow; computing expected values does.
"""

from __future__ import annotations

import html
import inspect
import sys
import zlib

import numpy as np

from coursekit.errors import CoursekitError, unknown

from .core import Case, Exercise, Outcome, Result, grade_outcomes, run_cases
from .storage import load_cases, load_outcomes, save_cases, save_outcomes

__all__ = [
    "EXERCISES",
    "ASSIGNMENTS",
    "Case",
    "Outcome",
    "Result",
    "SelfCheckReport",
    "make_cases",
    "run_cases",
    "grade_outcomes",
    "check",
    "self_check",
    "save_cases",
    "load_cases",
    "save_outcomes",
    "load_outcomes",
    "score_test_cell",
]


def _registry() -> dict[str, Exercise]:
    import importlib

    found: dict[str, Exercise] = {}
    topics = ("neuron", "gradient_descent", "backprop", "training", "convolution", "cnn_architectures")
    for mod in (*topics, "transfer_learning"):
        module = importlib.import_module(f"{__name__}.{mod}")
        for ex in module.exercises():
            found[ex.name] = ex
    return found


EXERCISES: dict[str, Exercise] = _registry()
ASSIGNMENTS: dict[str, list[str]] = {}
for _ex in EXERCISES.values():
    ASSIGNMENTS.setdefault(_ex.assignment, []).append(_ex.name)


class UnknownExercise(KeyError, CoursekitError):
    """No exercise has this name (a KeyError whose message prints without quotes)."""

    def __str__(self) -> str:
        return str(self.args[0])


def _known(name: str) -> str:
    """``name`` if it is an exercise, else UnknownExercise with the nearest name."""
    if name not in EXERCISES:
        raise unknown("exercise", name, EXERCISES, UnknownExercise)
    return name


def make_cases(name: str, *, hidden: bool = False, seed: int | None = 0) -> list[Case]:
    """The visible cases of ``name``, plus (``hidden=True``) random cases the student has not seen.

    ``seed=None`` draws fresh random inputs each run; an int (e.g. a hash of the
    student id) makes them reproducible.
    """
    ex = EXERCISES[name]
    cases = list(ex.visible())
    if hidden:
        base = np.random.SeedSequence() if seed is None else np.random.SeedSequence([seed, zlib.crc32(name.encode())])
        hidden_cases = ex.hidden(np.random.default_rng(base))
        cases += [Case("hidden: " + c.label, c.args, c.kwargs, c.layout) for c in hidden_cases]
    return cases


def check(name: str, func, *, hidden: bool = False, seed: int | None = None) -> Result:
    """Run, grade and diagnose ``func`` as the answer to exercise ``name`` in this process."""
    _known(name)
    cases = make_cases(name, hidden=hidden, seed=seed)
    if not callable(func):
        return Result(
            name,
            0.0,
            float(EXERCISES[name].points),
            [f"`{name}` is not a function (got {type(func).__name__})"],
            [],
            0,
            len(cases),
        )
    outcomes = run_cases(func, cases, name)
    return grade_outcomes(name, cases, outcomes)


def score_test_cell(name: str, func, *, hidden: bool = False, seed: int | None = None) -> float:
    """What an nbgrader test cell runs: print the verdict, return the points.

    The cell's last expression is this float, which nbgrader 0.9 takes as the
    cell's partial credit (``nbgrader.utils.get_partial_grade``).  Under ``nbgrader autograde`` the
    hidden inputs are the student's own (:func:`autograde_seed`).
    """
    if hidden and seed is None:
        seed = autograde_seed()
    result = check(name, func, hidden=hidden, seed=seed)
    print(result.report())
    return result.points


def autograde_seed(cwd: str | None = None) -> int | None:
    """The student's hidden-input seed when ``nbgrader autograde`` runs this kernel, else None.

    nbgrader runs a submission in ``<course>/autograded/<student>/<assignment>/``; its hidden-input seed is the one
    ``coursekit grade`` uses for that student (course secret + student id), so both graders draw the
    same hidden inputs and a regrade reproduces the score.
    """
    import os

    here = os.path.abspath(cwd or os.getcwd())
    student_dir = os.path.dirname(here)
    autograded = os.path.dirname(student_dir)
    if os.path.basename(autograded) != "autograded":
        return None
    from coursekit.grader.compare import course_seed, student_seed

    root = os.path.dirname(autograded)
    return student_seed(course_seed(os.path.join(root, ".coursekit")), os.path.basename(student_dir))


class SelfCheckReport(list):
    """What ``self_check`` returns: its Results (a list), and their report, shown once.

    ``self_check`` shows the report itself, since a call in the middle of a cell or in a loop must be
    seen too.  Jupyter's display of a cell's last value is then skipped for a report that cell already
    showed: it used to come twice, the second time as one long ``[Result(...), ...]``.  In a later
    cell, ``report`` shows it again.  ``__repr__`` is one line: the ``python`` prompt echoes it.
    """

    def __init__(self, results=(), missing=(), note: str = ""):
        super().__init__(results)
        self.missing = list(missing)  # exercise names asked for but not defined in the notebook
        self.note = note
        self._shown_in = None  # the IPython cell (execution count) that showed this report

    @property
    def results(self) -> list[Result]:
        return list(self)

    @property
    def points(self) -> float:
        return sum(r.points for r in self)

    @property
    def max_points(self) -> float:
        return sum(r.max_points for r in self)

    def _total(self) -> str:
        if len(self) < 2:
            return ""
        got, top = self.points, self.max_points
        return f"visible checks: {got:g}/{top:g} points. Hidden checks use other inputs when graded."

    def __str__(self) -> str:
        body = [r.report() for r in self]
        body += [f"[----] {name}: not defined yet (run its cell first)" for name in self.missing]
        footer = [line for line in (self._total(), self.note) if line]
        return "\n\n".join(part for part in ("\n".join(body), "\n".join(footer)) if part)

    def __repr__(self) -> str:
        n = len(self)
        return f"<self_check: {n} exercise{'s' * (n != 1)}, {self.points:g}/{self.max_points:g} visible points>"

    def _repr_html_(self) -> str:
        """A table: one row per exercise, the first failing check and the likely mistakes.

        Every string is escaped: messages quote the student's function names, outputs and errors.
        """
        esc = html.escape
        top = "text-align:left; vertical-align:top"  # Jupyter right-aligns table cells by default

        def row(tag, *cells):
            return "<tr>" + "".join(f'<{tag} style="{top}">{c}</{tag}>' for c in cells) + "</tr>"

        rows = []
        for r in self:
            status = '<b style="color:#1a7f37">PASS</b>' if r.ok else '<b style="color:#cf222e">FAIL</b>'
            notes = [esc(m) for m in r.messages[:1]]
            notes += [f"<b>likely mistake:</b> {esc(d)}" for d in r.diagnoses]
            if len(r.messages) > 1:
                more, n = "<br>".join(esc(m) for m in r.messages[1:]), len(r.messages) - 1
                summary = f"{n} more failing check{'s' * (n > 1)}"
                notes.append(f"<details><summary>{summary}</summary>{more}</details>")
            what = f'<div style="white-space:pre-wrap">{"<br>".join(notes)}</div>'
            rows.append(
                row(
                    "td",
                    status,
                    f"<code>{esc(r.name)}</code>",
                    f"{r.passed:g}/{r.total}",
                    f"{r.points:g}/{r.max_points:g}",
                    what,
                )
            )
        for name in self.missing:
            rows.append(
                row("td", "&ndash;", f"<code>{esc(name)}</code>", "", "", "not defined yet (run its cell first)")
            )
        out = []
        if rows:
            head = row("th", "", "exercise", "checks passed", "points", "what is wrong")
            out.append(f"<table><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>")
        out += [f"<p>{esc(line)}</p>" for line in (self._total(), self.note) if line]
        return "\n".join(out)

    def show(self) -> None:
        """Show the report once: HTML (and its plain text) under IPython/Jupyter, printed elsewhere."""
        shell = _ipython_shell()
        if shell is None:
            print(self)
            return
        from IPython.display import display

        display({"text/plain": str(self), "text/html": self._repr_html_()}, raw=True)
        self._shown_in = shell.execution_count

    def _ipython_display_(self) -> None:
        shell = _ipython_shell()
        if shell is None or self._shown_in != shell.execution_count:
            self.show()


def _ipython_shell():
    """The running IPython shell (a Jupyter kernel, the ipython terminal), or None."""
    if "IPython" not in sys.modules:  # never import IPython into a plain script
        return None
    from IPython import get_ipython

    return get_ipython()


def self_check(exercise=None, namespace: dict | None = None) -> SelfCheckReport:
    """Run the visible checks for one exercise (a name or the function) or all of them; show the report once.

    With no ``namespace``, the functions are looked up in the caller's globals
    (the notebook).  Works offline; nothing is sent anywhere.  The returned
    report is the list of Results (``report.points``, ``report[0].diagnoses``).
    """
    if namespace is None:
        namespace = inspect.currentframe().f_back.f_globals
    if exercise is None:
        names = [n for n in EXERCISES if callable(namespace.get(n))]
    else:
        names = [_known(exercise if isinstance(exercise, str) else getattr(exercise, "__name__", repr(exercise)))]
    results, missing = [], []
    for name in names:
        func = exercise if callable(exercise) else namespace.get(name)
        if func is None:
            missing.append(name)
        else:
            results.append(check(name, func, hidden=False))
    note = "" if names else "self_check: none of the exercise functions is defined here yet (run their cells first)."
    report = SelfCheckReport(results, missing, note)
    report.show()
    return report
