"""The checker's engine: cases, outcomes, comparison, diagnosis, points.

One checker, two places.  The same three steps run either in one process
(:func:`check`: self-check and nbgrader test cells) or split across two
(the TA pipeline):

    make_cases(name)                  trusted side: inputs (NumPy / plain values only)
    run_cases(func, cases, name)      STUDENT side: calls the student's function on copies
    grade_outcomes(name, cases, outs) trusted side: live Keras/TF expected values, compare, diagnose

``run_cases`` never imports TensorFlow for a NumPy exercise; ``grade_outcomes``
never calls student code and only reads plain data (see :mod:`.storage`).
"""

from __future__ import annotations

import copy
import inspect
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

# Float32 tolerance: a float32 answer computed in any order passes, a real mistake does not.
RTOL = 1e-4
ATOL = 1e-5


@dataclass
class Case:
    """One call of the student's function: ``func(*args, **kwargs)``.

    ``layout="strided"`` hands every array argument to the student as a non-contiguous view (every other
    element of a wider buffer), as a slice ``x[:, ::2]`` or a transpose would be: an answer that
    assumes C-contiguous memory (``x.reshape`` into a view it then writes, ``x.data``, ``np.frombuffer``)
    fails there.  The values are the same, so the expected value is computed as for ``layout="C"``.
    """

    label: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    layout: str = "C"


@dataclass
class Outcome:
    """What the student's function did on one case (plain data only)."""

    label: str
    output: Any = None
    error: str | None = None
    mutated_inputs: bool = False
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)


@dataclass
class Result:
    """The verdict on one exercise."""

    name: str
    points: float
    max_points: float
    messages: list[str] = field(default_factory=list)
    diagnoses: list[str] = field(default_factory=list)
    passed: float = 0
    total: int = 0

    @property
    def ok(self) -> bool:
        return self.total > 0 and self.passed == self.total

    def report(self) -> str:
        mark = "PASS" if self.ok else "FAIL"
        lines = [
            f"[{mark}] {self.name}: {self.passed:g}/{self.total} checks passed "
            f"({self.points:g}/{self.max_points:g} points)"
        ]
        lines += [f"    - {m}" for m in self.messages]
        lines += [f"    likely mistake: {d}" for d in self.diagnoses]
        return "\n".join(lines)

    __str__ = report


@dataclass(kw_only=True)
class Mistake:
    """A known wrong answer to one exercise.

    ``example`` is the source a student would write (one ``def`` of the exercise's function), run by the
    tests, the grading benchmark and the demo course; where the examples share a body, each is
    ``wrong(exercise.answer, old, new)``: the correct answer with this one mistake.  The checker
    recognises the mistake in an output by ``variant(case)`` (the wrong value it returns) or
    ``test(case, output)``; a mistake whose message comes from elsewhere (a custom judge, the warning
    hint) has neither.  ``recognised=False`` says the example loses points but the checker does not
    (reliably) name this message for it.
    """

    message: str
    example: str = ""
    variant: Callable[[Case], Any] | None = None  # the wrong answer this mistake gives
    test: Callable[[Case, Any], bool] | None = None  # or: a predicate on the student's output
    recognised: bool = True


def wrong(answer: str, old: str, new: str, count: int = 1) -> str:
    """A mistake's example: the exercise's correct ``answer`` with ``old`` replaced by ``new``.

    ``old`` must occur exactly ``count`` times (once, unless the mistake repeats in several lines), else
    ValueError: an edit that no longer applies to the answer would silently leave the example correct.
    """
    found = answer.count(old)
    if not old or old == new or found != count:
        raise ValueError(f"the edit {old!r} -> {new!r} occurs {found} times in the answer, expected {count}")
    return answer.replace(old, new)


class Alternatives(list):
    """Several right answers (e.g. Keras in float32 and in float64 where clipping makes them differ)."""


@dataclass
class Verdict:
    ok: bool
    messages: list[str] = field(default_factory=list)
    diagnoses: list[str] = field(default_factory=list)


# The lecture topic module that holds the reference function of each assignment's exercises.
TOPIC_MODULES = {
    "01_neuron": "coursekit.neuron",
    "02_gradient_descent": "coursekit.gradient_descent",
    "03_backprop": "coursekit.backprop",
    "04_convolution": "coursekit.convolution",
    "05_cnn_architectures": "coursekit.cnn_architectures",
    "06_transfer_learning": "coursekit.transfer_learning",
}


@dataclass(kw_only=True)
class Exercise:
    """Everything the checker knows about one contract function.

    The signature is not written here: it is the signature of the library's reference function of the
    same name in the assignment's topic module (``coursekit.neuron.sigmoid``), so the two cannot drift.
    An exercise with no reference function in the library writes it out in ``signature_without_reference``.
    """

    name: str
    assignment: str
    points: float
    visible: Callable[[], list[Case]]
    hidden: Callable[[np.random.Generator], list[Case]]
    expected: Callable[[Case], Any] | None = None  # trusted side, live Keras/TF
    mistakes: list[Mistake] = field(default_factory=list)
    parts: tuple[str, ...] = ()  # names of the returned tuple's items
    call: Callable[[Callable, Case], Any] | None = None  # student side; default func(*args, **kwargs)
    judge: Callable[[Case, Any, Any], Verdict] | None = None  # custom comparison (no single right array)
    no_warnings: bool = False  # a floating-point warning fails the case
    partial: Callable[[Case, Any, Any], float] | None = None  # credit in [0, 1] for a failed case
    warning_hint: str = ""  # diagnosis when a no_warnings case warns
    mutation_rtol: float = 0.0
    rtol: float = RTOL
    atol: float = ATOL
    answer: str = ""  # a correct student-style source; the mistakes' examples are wrong(answer, ...) edits of it
    signature_without_reference: str = ""  # only when the library has no reference function
    matches: str = ""  # what a right answer equals (the contract page)

    @property
    def reference(self) -> Callable | None:
        """The library's reference function (imported on first use), or None."""
        if self.signature_without_reference:
            return None
        import importlib

        return getattr(importlib.import_module(TOPIC_MODULES[self.assignment]), self.name)

    @property
    def signature(self) -> str:
        """``name(arg, arg=default, ...)``: the reference function's signature, without annotations."""
        if self.signature_without_reference:
            return self.signature_without_reference
        return format_signature(self.name, self.reference)


def format_signature(name: str, func: Callable) -> str:
    """``conv2d(x, kernel, bias=None, strides=1, padding="valid")``: strings in double quotes, 1e-5 not 1e-05."""
    import re

    params = []
    for p in inspect.signature(func).parameters.values():
        text = {p.VAR_POSITIONAL: "*", p.VAR_KEYWORD: "**"}.get(p.kind, "") + p.name
        if p.default is not p.empty:
            default = f'"{p.default}"' if isinstance(p.default, str) else re.sub(r"e-0(\d)", r"e-\1", repr(p.default))
            text += "=" + default
        params.append(text)
    return f"{name}({', '.join(params)})"


# ----------------------------------------------------------------------------- student side


def to_portable(value: Any, _depth: int = 0) -> Any:
    """Convert a student's return value to plain data (arrays, numbers, str, lists, tuples, dicts)."""
    if _depth > 20:
        raise TypeError("the returned value is nested too deeply")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.ndarray):
        if value.dtype == object or not (np.issubdtype(value.dtype, np.number) or value.dtype == bool):
            raise TypeError(f"returned an array of dtype {value.dtype}; expected numbers")
        return value.copy()
    if isinstance(value, np.generic):
        return np.asarray(value)
    if isinstance(value, tuple):
        return tuple(to_portable(v, _depth + 1) for v in value)
    if isinstance(value, list):
        return [to_portable(v, _depth + 1) for v in value]
    if isinstance(value, dict):
        return {str(k): to_portable(v, _depth + 1) for k, v in value.items()}
    if hasattr(value, "__array__") or hasattr(value, "numpy"):  # a tf.Tensor, a jax array...
        arr = np.asarray(value.numpy() if hasattr(value, "numpy") else value)
        return to_portable(arr, _depth + 1)
    raise TypeError(f"returned an object of type {type(value).__name__}; expected a NumPy array or numbers")


def _same(a: Any, b: Any, rtol: float) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape or a.dtype != b.dtype:
            return False
        if rtol and np.issubdtype(a.dtype, np.floating):
            scale = float(np.nanmax(np.abs(b))) if b.size else 0.0
            return bool(np.allclose(a, b, rtol=rtol, atol=rtol * scale, equal_nan=True))
        return bool(np.array_equal(a, b, equal_nan=np.issubdtype(a.dtype, np.inexact)))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y, rtol) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k], rtol) for k in a)
    return True  # numbers, strings, specs: immutable or not checked


# The course's own reference implementations: an answer must not call them (the exercise is to write
# the NumPy yourself). coursekit.data and plain Keras stay allowed.
REFERENCE_MODULES = (
    "coursekit.neuron",
    "coursekit.gradient_descent",
    "coursekit.backprop",
    "coursekit.convolution",
    "coursekit.cnn_architectures",
    "coursekit.transfer_learning",
)
REFERENCE_USED = "ReferenceImplementationUsed"
INPUT_MODIFIED = "input modified in place"


def reference_used(func: Callable) -> str | None:
    """The reference function or module ``func`` calls, e.g. ``"coursekit.convolution.conv2d"``, or None.

    Looks at ``func`` itself, the names its code (and nested code) reads from its globals, and its
    closure. A deterrent with a clear message, not a proof: obfuscated imports are not followed.
    """

    def is_reference(obj) -> str | None:
        module = getattr(obj, "__name__", "") if inspect.ismodule(obj) else getattr(obj, "__module__", "") or ""
        if any(module == m or module.startswith(m + ".") for m in REFERENCE_MODULES):
            return module if inspect.ismodule(obj) else f"{module}.{getattr(obj, '__name__', '?')}"
        return None

    if (hit := is_reference(func)) is not None:
        return hit
    code, names = getattr(func, "__code__", None), set()
    stack = [code] if code is not None else []
    while stack:
        c = stack.pop()
        names |= set(c.co_names)
        stack += [k for k in c.co_consts if inspect.iscode(k)]
    # `import coursekit.convolution` / `from coursekit import convolution` inside the function itself
    for n in names:
        if any(n == m or n.startswith(m + ".") for m in REFERENCE_MODULES):
            return n
    if "coursekit" in names and (topic := next((m for m in REFERENCE_MODULES if m.split(".")[1] in names), None)):
        return topic
    scope = getattr(func, "__globals__", {})
    values = [scope[n] for n in names if n in scope]
    values += [cell.cell_contents for cell in (getattr(func, "__closure__", None) or ()) if _filled(cell)]
    for value in values:
        if (hit := is_reference(value)) is not None:
            return hit
        if inspect.ismodule(value) and value.__name__ == "coursekit":  # coursekit.convolution.conv2d(...)
            topic = next((m for m in REFERENCE_MODULES if m.split(".")[1] in names), None)
            if topic:
                return topic
    return None


def _filled(cell) -> bool:
    try:
        cell.cell_contents
    except ValueError:  # an empty closure cell
        return False
    return True


def strided_view(value: Any) -> Any:
    """``value`` with every ndarray in it replaced by an equal, non-contiguous view.

    The view is every other element of the last axis of a buffer one wider than twice the array, so no
    stride pattern flattens it (``reshape(-1)`` must copy); a 0-d array stays as it is: it has no layout.
    Containers are rebuilt; everything else is returned unchanged.
    """
    if isinstance(value, np.ndarray) and value.ndim > 0 and value.dtype != object:
        n = value.shape[-1]
        buffer = np.zeros(value.shape[:-1] + (2 * n + 1,), dtype=value.dtype)
        view = buffer[..., : 2 * n : 2]
        view[...] = value
        return view
    if isinstance(value, tuple):
        return tuple(strided_view(v) for v in value)
    if isinstance(value, list):
        return [strided_view(v) for v in value]
    if isinstance(value, dict) and "__callable__" not in value:
        return {k: strided_view(v) for k, v in value.items()}
    return value


def run_cases(func: Callable, cases: list[Case], name: str | None = None) -> list[Outcome]:
    """Run ``func`` on a deep copy of each case and record what happened (student side).

    Floating-point warnings are recorded, not printed: nbgrader zeroes any test cell
    that writes to stderr, and a warning is not a wrong answer (except where the
    contract says so, e.g. sigmoid).
    """
    from . import EXERCISES  # the registry imports this module

    exercise = EXERCISES.get(name) if name else None
    used = reference_used(func)
    if used is not None:
        why = (
            f"{REFERENCE_USED}: the answer calls {used}, the course's reference implementation; "
            "the exercise is to write it yourself with NumPy"
        )
        return [Outcome(case.label, error=why) for case in cases]
    outcomes = []
    for case in cases:
        args, kwargs = copy.deepcopy(case.args), copy.deepcopy(case.kwargs)
        if case.layout == "strided":
            args, kwargs = strided_view(args), strided_view(kwargs)
        start = time.perf_counter()
        outcome = Outcome(case.label)
        with (
            warnings.catch_warnings(record=True) as caught,
            np.errstate(over="warn", divide="warn", invalid="warn", under="ignore"),
        ):
            warnings.simplefilter("always")
            try:
                if exercise is not None and exercise.call is not None:
                    raw = exercise.call(func, Case(case.label, args, kwargs, case.layout))
                else:
                    raw = func(*args, **kwargs)
                outcome.output = to_portable(raw)
            except Exception as exc:  # the student's code may raise anything
                outcome.error = f"{type(exc).__name__}: {exc}"
        outcome.seconds = time.perf_counter() - start
        outcome.warnings = sorted({f"{w.category.__name__}: {w.message}" for w in caught})[:5]
        rtol = exercise.mutation_rtol if exercise is not None else 0.0
        outcome.mutated_inputs = not (_same(args, case.args, rtol) and _same(kwargs, case.kwargs, rtol))
        outcomes.append(outcome)
    return outcomes


# ----------------------------------------------------------------------------- trusted side


def describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape}, dtype {value.dtype}"
    if isinstance(value, (tuple, list)):
        return f"{type(value).__name__} of {len(value)} items"
    return type(value).__name__


def compare(
    out: Any, exp: Any, what: str = "output", rtol: float = RTOL, atol: float = ATOL, parts: tuple[str, ...] = ()
) -> list[str]:
    """Problems with ``out`` as an answer whose right value is ``exp`` (empty list: it matches).

    Every mismatch names the shape, the dtype and the largest error.  ``exp=None``
    means "not checked" (e.g. the velocity of SGD without momentum).
    """
    if exp is None:
        return []
    if isinstance(exp, (tuple, list)):
        if isinstance(out, np.ndarray) and out.ndim >= 1 and len(out) == len(exp):
            out = list(out)  # e.g. same_padding returning np.array([before, after])
        if not isinstance(out, (tuple, list)):
            return [f"{what}: expected a tuple of {len(exp)} values, got {describe(out)}"]
        if len(out) != len(exp):
            return [f"{what}: expected {len(exp)} values, got {len(out)}"]
        problems: list[str] = []
        for i, (o, e) in enumerate(zip(out, exp)):
            sub = parts[i] if i < len(parts) else f"{what}[{i}]"
            problems += compare(o, e, sub, rtol, atol)
        return problems
    if isinstance(out, (tuple, list, dict)) or out is None or isinstance(out, str):
        return [f"{what}: expected a number or an array, got {describe(out)}"]
    o = np.asarray(out)
    e = np.asarray(exp, dtype=np.float64)
    if not (np.issubdtype(o.dtype, np.number) or o.dtype == bool):
        return [f"{what}: expected numbers, got dtype {o.dtype}"]
    if e.ndim == 0 and o.ndim != 0:
        return [f"{what}: should be a scalar (a float or a 0-d array); got shape {o.shape}, dtype {o.dtype}"]
    if o.shape != e.shape:
        return [f"{what}: shape {o.shape} but expected {e.shape} (dtype {o.dtype})"]
    o64 = o.astype(np.float64)
    if o.size == 0:
        return []
    if not np.all(np.isfinite(o64)) and np.all(np.isfinite(e)):
        bad = int(np.sum(~np.isfinite(o64)))
        return [
            f"{what}: {bad} of {o.size} values are NaN or inf (shape {o.shape}, dtype {o.dtype}); "
            f"expected finite values up to {np.abs(e).max():.3g}"
        ]
    err = np.abs(o64 - e)
    tol = atol * max(1.0, float(np.abs(e).max())) + rtol * np.abs(e)
    if np.all(err <= tol):
        return []
    idx = np.unravel_index(int(np.argmax(err - tol)), err.shape) if err.ndim else ()
    where = f" at index {tuple(int(i) for i in idx)}" if idx else ""
    return [
        f"{what}: max abs error {err.max():.3g}{where} (got {o64[idx]:.6g}, expected {e[idx]:.6g}); "
        f"shape {o.shape}, dtype {o.dtype}"
    ]


def _matches(out: Any, exp: Any, ex: Exercise) -> bool:
    try:
        return not compare(out, exp, rtol=ex.rtol, atol=ex.atol)
    except Exception:
        return False


def default_judge(ex: Exercise, case: Case, output: Any, expected: Any) -> Verdict:
    candidates = expected if isinstance(expected, Alternatives) else [expected]
    problems = compare(output, candidates[0], "output", ex.rtol, ex.atol, ex.parts)
    if not problems or any(not compare(output, e, "output", ex.rtol, ex.atol, ex.parts) for e in candidates[1:]):
        return Verdict(True)
    diagnoses = []
    for mistake in ex.mistakes:
        if mistake.test is None and mistake.variant is None:
            continue  # named by the exercise's judge or warning hint, not here
        try:
            if mistake.test is not None:
                hit = bool(mistake.test(case, output))
            else:
                wrong = mistake.variant(case)
                hit = wrong is not None and _matches(output, wrong, ex)
        except Exception:
            continue
        if hit:
            diagnoses.append(mistake.message)
    return Verdict(False, problems, diagnoses)


def true_diagnoses(explained: list[list[str]]) -> list[str]:
    """The mistakes that explain EVERY wrong output (one list of candidate mistakes per wrong case).

    A mistake named on some failing cases but not on others is not what the student did (or not all
    of it): naming it would send them after the wrong bug, so the case messages (which output, where,
    by how much) are all they get.
    """
    if not explained:
        return []
    common = set(explained[0]).intersection(*map(set, explained[1:]))
    return [d for d in dict.fromkeys(explained[0]) if d in common]


def grade_outcomes(name: str, cases: list[Case], outcomes: list[Outcome]) -> Result:
    """Compare outcomes with live Keras/TF values and diagnose (trusted side).

    Points: ``points * passed / total``, where a case passes when it matches, did not
    raise, did not modify its inputs and (for ``no_warnings`` exercises) did not warn.
    A mistake is named only when it explains every wrong output (:func:`true_diagnoses`).
    """
    from . import EXERCISES

    ex = EXERCISES[name]
    by_label = {o.label: o for o in outcomes}
    messages: list[str] = []
    diagnoses: list[str] = []  # facts: an error raised, inputs modified, a warning
    explained: list[list[str]] = []  # per case whose output was wrong: the mistakes that explain it
    passed = 0
    for case in cases:
        outcome = by_label.get(case.label)
        if outcome is None:
            messages.append(f"case '{case.label}': no result (the function was not run)")
            continue
        if outcome.error is not None:
            messages.append(f"case '{case.label}': raised {outcome.error}")
            if outcome.error.startswith(REFERENCE_USED):
                diagnoses.append("calls the course's reference implementation (coursekit.<topic>): write it in NumPy")
            if "NotImplementedError" in outcome.error:
                diagnoses.append("the answer cell still raises NotImplementedError: replace it with your code")
            continue
        expected = ex.expected(case) if ex.expected is not None else None
        if ex.judge is not None:
            verdict = ex.judge(case, outcome.output, expected)
        else:
            verdict = default_judge(ex, case, outcome.output, expected)
        ok = verdict.ok
        case_messages = list(verdict.messages)
        if outcome.mutated_inputs:
            ok = False
            case_messages.append(
                "modified its input arrays in place (work on a copy: the caller's data must not change)"
            )
            diagnoses.append(INPUT_MODIFIED)
        if outcome.warnings and ex.no_warnings:
            ok = False
            case_messages.append("emitted " + "; ".join(outcome.warnings))
            diagnoses.append(ex.warning_hint or "floating-point warning (overflow or invalid value)")
        credit = float(ok)
        if not ok and ex.partial is not None and not outcome.mutated_inputs:
            credit = ex.partial(case, outcome.output, expected)
        passed += credit
        messages += [f"case '{case.label}': {m}" for m in case_messages]
        if not verdict.ok:
            explained.append(list(verdict.diagnoses))
    total = len(cases)
    points = float(np.floor(100 * ex.points * passed / total) / 100) if total else 0.0
    unique = list(dict.fromkeys(diagnoses + true_diagnoses(explained)))
    return Result(name, points, float(ex.points), messages, unique, round(passed, 3), total)
