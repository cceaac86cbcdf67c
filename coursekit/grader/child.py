"""The code that runs INSIDE the sandbox, as the student (started by ``run.execute``).

Trust: this process trusts nothing the student wrote and nobody trusts it.  It reads the spec
(``spec.json``: which cells to exec, which functions to call) and the cases (``cases/<name>``), both
written by the trusted parent into the working copy, execs the student's code cells (never the test
cells) in a fresh namespace, calls each exercise function on its cases through
``coursekit.checks.run_cases`` and saves the outcomes (``outcomes/<name>``, JSON + npz).  The student's
code can change any of that; it can only spoil its own results, because the parent re-reads the
outcomes defensively and computes the verdicts itself, from its own copy of the cases.

It imports NumPy only (Keras only if the student's cells do), so it starts in ~0.3 s instead of a
Jupyter kernel importing TensorFlow (~5 s).  Progress lines (``B cell 3``, ``E cell 3 {json}``) go to the
file descriptor ``COURSEKIT_PROGRESS_FD``, so when this process dies the parent knows where.
"""

from __future__ import annotations

import json
import os
import sys


class _CappedStream:
    """Replaces sys.stdout/sys.stderr: keeps the first ``cap`` characters, counts the rest."""

    def __init__(self, stream, cap: int):
        self.stream, self.cap, self.written, self.dropped = stream, cap, 0, 0

    def write(self, s):
        s = str(s)
        room = self.cap - self.written
        if room > 0:
            self.stream.write(s[:room])
            self.written += min(room, len(s))
        if len(s) > room:
            self.dropped += len(s) - max(room, 0)
        return len(s)

    def flush(self):
        self.stream.flush()

    def isatty(self):
        return False

    def fileno(self):
        return self.stream.fileno()

    @property
    def encoding(self):
        return "utf-8"


def _compile_cell(source: str, index: int):
    """Compile a notebook cell; IPython magics and shell escapes are skipped, not errors."""
    try:
        return compile(source, f"<cell {index}>", "exec")
    except SyntaxError:
        if source.lstrip().startswith("%%"):
            return None
        lines = ["pass  # " + ln if ln.lstrip().startswith(("%", "!")) else ln for ln in source.splitlines()]
        return compile("\n".join(lines), f"<cell {index}>", "exec")


def main() -> None:
    """Entry point inside the sandbox (cwd = the working copy)."""
    import faulthandler
    import traceback

    fd = int(os.environ.pop("COURSEKIT_PROGRESS_FD"))
    progress = os.fdopen(fd, "w", buffering=1)

    def emit(b_or_e: str, kind: str, ident, payload: dict | None = None) -> None:
        line = f"{b_or_e} {kind} {ident}" + (f" {json.dumps(payload)}" if payload is not None else "")
        try:
            progress.write(line + "\n")
            progress.flush()
        except (OSError, ValueError):
            pass  # the student closed our pipe: they only lose their own error messages

    # Bind the checker before any student code runs (a student may patch the module later;
    # that only changes their own outputs, never the verdict, which the parent computes).
    import coursekit.checks as checks
    from coursekit.checks import load_cases, run_cases, save_outcomes

    # The notebook's own self-check and test helpers would compute Keras values here (importing
    # TensorFlow, ~5 s): in the sandbox they do nothing; the verdict is the parent's.
    def _quiet(*args, **kwargs):
        return []

    checks.self_check = checks.check = checks.score_test_cell = _quiet

    faulthandler.enable(file=sys.__stderr__)
    with open("spec.json") as fh:
        spec = json.load(fh)
    sys.stdout = _CappedStream(sys.stdout, 200_000)
    sys.stderr = _CappedStream(sys.stderr, 200_000)
    sys.argv = ["submission"]
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}

    for cell in spec["cells"]:
        emit("B", "cell", cell["index"])
        error = None
        try:
            code = _compile_cell(cell["source"], cell["index"])
            if code is not None:
                exec(code, namespace)
        except SystemExit as exc:
            error = f"the cell called sys.exit({exc.code!r}); the rest of the cell did not run"
        except BaseException as exc:  # the student's code may raise anything, including KeyboardInterrupt
            tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
            error = "".join(tb[-3:])[-1500:].strip()
        emit("E", "cell", cell["index"], {"error": error})

    for name in spec["exercises"]:
        emit("B", "exercise", name)
        func = namespace.get(name)
        if not callable(func):
            emit("E", "exercise", name, {"status": "missing",
                                         "error": f"the notebook does not define a function `{name}`"})
            continue
        try:
            outcomes = run_cases(func, load_cases(os.path.join("cases", name)), name)
            save_outcomes(os.path.join("outcomes", name), outcomes)
            emit("E", "exercise", name, {"status": "ok"})
        except SystemExit as exc:
            emit("E", "exercise", name, {"status": "error", "error": f"`{name}` called sys.exit({exc.code!r})"})
        except BaseException as exc:
            emit("E", "exercise", name, {"status": "error", "error": f"{type(exc).__name__}: {exc}"[:1000]})
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(0)  # do not wait for threads the student started
