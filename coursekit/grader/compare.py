"""Trusted verdicts: the cases we send, and the points we give, decided outside the student's reach.

This module runs only in the grader's own processes.  It never calls student code: it reads the
outcomes the sandboxed child wrote (plain data, no pickle) and hands them to
``coursekit.checks.grade_outcomes``, which computes the expected values with live Keras/TF.

Hidden inputs are drawn per student: one student's hidden-input seed is derived from the course's
secret (``<course>/.coursekit/secret``, readable only by the TA), the student id and the exercise
(:func:`student_seed`, then ``make_cases`` mixes in the exercise name).  Two students see different
hidden inputs, so one leaked failing case does not serve a whole class, and a regrade draws the same
inputs again, so it reproduces every score.  The Keras expected values of the visible cases (the
same for everyone) are computed once per worker and reused; hidden ones are computed per student.
"""

from __future__ import annotations

import hashlib
import os
import secrets


def course_seed(state_dir: str) -> int:
    """The course's secret seed for hidden inputs (created on first use, mode 0600)."""
    path = os.path.join(state_dir, "secret")
    if not os.path.exists(path):
        os.makedirs(state_dir, exist_ok=True)
        fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(str(secrets.randbits(128)))  # too many to try them all
        os.replace(path + ".tmp", path)
    with open(path) as fh:
        return int(fh.read().strip())


def student_seed(course_seed: int, student: str) -> int:
    """The hidden-input seed of one student: a hash of the course secret and the student id."""
    digest = hashlib.sha256(f"{course_seed}:{student}".encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1  # a non-negative int64


_VISIBLE: dict[str, list] = {}


def cases_for(name: str, seed: int) -> list:
    """Visible + hidden cases of exercise ``name`` for the student whose seed is ``seed``.

    The visible cases are one list per worker, so their expected values are computed once.
    """
    from coursekit.checks import EXERCISES, make_cases

    if name not in _VISIBLE:
        _VISIBLE[name] = make_cases(name)
        _cache_expected(EXERCISES[name], _VISIBLE[name])
    visible = _VISIBLE[name]
    return visible + make_cases(name, hidden=True, seed=seed)[len(visible):]


def _cache_expected(ex, cases: list) -> None:
    """Memoise ``ex.expected`` for these case objects (they live as long as the worker)."""
    original = ex.expected
    if original is None or getattr(original, "_coursekit_cached", False):
        return
    unset = object()
    memo = {id(c): (c, unset) for c in cases}

    def expected(case):
        hit = memo.get(id(case))
        if hit is None or hit[0] is not case:
            return original(case)  # a hidden case: one student's, computed once
        if hit[1] is unset:
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
