"""Trusted verdicts: the cases we send, and the points we give, decided outside the student's reach.

This module runs only in the grader's own processes.  It never calls student code: it reads the
outcomes the sandboxed child wrote (plain data, no pickle) and hands them to
``coursekit.checks.grade_outcomes``, which computes the expected values with live Keras/TF.

Hidden inputs come from a per-course secret seed (``<course>/.coursekit/secret``, readable only by
the TA), so they are the same for every student of a run; the Keras expected value of each case is
therefore computed once per worker and reused for every submission (the speed of the pipeline).
"""

from __future__ import annotations

import os
import secrets


def course_seed(state_dir: str) -> int:
    """The course's secret seed for hidden inputs (created on first use, mode 0600)."""
    path = os.path.join(state_dir, "secret")
    if not os.path.exists(path):
        os.makedirs(state_dir, exist_ok=True)
        fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(str(secrets.randbits(31)))
        os.replace(path + ".tmp", path)
    with open(path) as fh:
        return int(fh.read().strip())


_CASES: dict[tuple[str, int], list] = {}


def cases_for(name: str, seed: int) -> list:
    """Visible + hidden cases of exercise ``name`` (one list per worker: expected values are cached)."""
    from coursekit.checks import EXERCISES, make_cases

    key = (name, seed)
    if key not in _CASES:
        _CASES[key] = make_cases(name, hidden=True, seed=seed)
        _cache_expected(EXERCISES[name])
    return _CASES[key]


def _cache_expected(ex) -> None:
    """Memoise ``ex.expected`` per case object (our case lists live as long as the worker)."""
    original = ex.expected
    if original is None or getattr(original, "_coursekit_cached", False):
        return
    memo: dict[int, tuple] = {}

    def expected(case):
        hit = memo.get(id(case))
        if hit is None or hit[0] is not case:
            hit = memo[id(case)] = (case, original(case))
        return hit[1]

    expected._coursekit_cached = True
    ex.expected = expected


def verdict(name: str, cases: list, outcomes: list | None, error: str | None = None) -> dict:
    """The verdict on one exercise as a plain dict (what goes in the result JSON)."""
    from coursekit.checks import EXERCISES, grade_outcomes

    max_points = float(EXERCISES[name].points)
    if outcomes is None:
        return {"name": name, "points": 0.0, "max_points": max_points, "passed": 0, "total": len(cases),
                "messages": [error or f"`{name}` was not run"], "diagnoses": []}
    try:
        r = grade_outcomes(name, cases, outcomes)
    except Exception as exc:  # malformed outcomes (e.g. an output of the wrong structure)
        return {"name": name, "points": 0.0, "max_points": max_points, "passed": 0, "total": len(cases),
                "messages": [f"its outputs could not be checked ({type(exc).__name__}: {exc})"[:500]],
                "diagnoses": []}
    return {"name": name, "points": float(r.points), "max_points": float(r.max_points), "passed": r.passed,
            "total": r.total, "messages": list(r.messages), "diagnoses": list(r.diagnoses)}
