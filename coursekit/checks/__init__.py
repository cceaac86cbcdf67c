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
    self_check(exercise, namespace) the student's button: visible checks, printed

The contract page docs/exercises.md is written from the registry: ``python -m coursekit.checks.contract``.

Importing this package does not import TensorFlow; computing expected values does.
"""

from __future__ import annotations

import inspect
import zlib

import numpy as np

from .core import Case, Exercise, Outcome, Result, grade_outcomes, run_cases
from .storage import load_cases, load_outcomes, save_cases, save_outcomes

__all__ = [
    "EXERCISES",
    "ASSIGNMENTS",
    "Case",
    "Outcome",
    "Result",
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
    for mod in ("neuron", "gradient_descent", "backprop", "convolution", "cnn_architectures", "transfer_learning"):
        module = importlib.import_module(f"{__name__}.{mod}")
        for ex in module.exercises():
            found[ex.name] = ex
    return found


EXERCISES: dict[str, Exercise] = _registry()
ASSIGNMENTS: dict[str, list[str]] = {}
for _ex in EXERCISES.values():
    ASSIGNMENTS.setdefault(_ex.assignment, []).append(_ex.name)


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
        cases += [Case("hidden: " + c.label, c.args, c.kwargs) for c in hidden_cases]
    return cases


def check(name: str, func, *, hidden: bool = False, seed: int | None = None) -> Result:
    """Run, grade and diagnose ``func`` as the answer to exercise ``name`` in this process."""
    if name not in EXERCISES:
        raise KeyError(f"unknown exercise {name!r}; known: {', '.join(EXERCISES)}")
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
    cell's partial credit (``nbgrader.utils.get_partial_grade``).
    """
    result = check(name, func, hidden=hidden, seed=seed)
    print(result.report())
    return result.points


def self_check(exercise=None, namespace: dict | None = None) -> list[Result]:
    """Run the visible checks for one exercise (a name or the function) or all of them, and print.

    With no ``namespace``, the functions are looked up in the caller's globals
    (the notebook).  Works offline; nothing is sent anywhere.
    """
    if namespace is None:
        namespace = inspect.currentframe().f_back.f_globals
    if exercise is None:
        names = [n for n in EXERCISES if callable(namespace.get(n))]
        if not names:
            print("self_check: none of the exercise functions is defined here yet.")
            return []
    else:
        names = [exercise if isinstance(exercise, str) else getattr(exercise, "__name__", "")]
        if names[0] not in EXERCISES:
            raise KeyError(f"unknown exercise {names[0]!r}; known: {', '.join(EXERCISES)}")
    results = []
    for name in names:
        func = exercise if callable(exercise) else namespace.get(name)
        if func is None:
            print(f"[----] {name}: not defined yet (run its cell first)")
            continue
        result = check(name, func, hidden=False)
        print(result.report())
        results.append(result)
    if len(results) > 1:
        got = sum(r.points for r in results)
        top = sum(r.max_points for r in results)
        print(f"\nvisible checks: {got:g}/{top:g} points. Hidden checks use other inputs when graded.")
    return results
