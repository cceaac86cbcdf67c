"""Execute one submission in the sandbox and collect its functions' outputs on trusted cases.

Two halves:

* :func:`child_main` runs INSIDE the sandbox, as the student: it execs the student's code cells
  (never the test cells) in a fresh namespace, then looks up each exercise function by name and
  calls ``coursekit.checks.run_cases`` on the cases the parent wrote, saving the outcomes as
  JSON + npz.  It imports NumPy only (Keras only if the student's own cells do), so it starts in
  ~0.3 s instead of a Jupyter kernel importing TensorFlow (~5 s).
* :func:`execute` runs in the trusted parent: prepares the working copy, runs the child, and when a
  cell or an exercise kills the child (timeout, ``os._exit``, segfault, memory) records why and runs
  the child again without that cell/exercise, so the rest of the submission is still graded.

Whatever the child writes is untrusted: outcome files are copied out with ``O_NOFOLLOW`` (no symlink
tricks, no FIFOs), size-capped, and parsed without pickle by ``coursekit.checks.load_outcomes``.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys
from dataclasses import dataclass, field, replace

from .sandbox import ChildResult, Limits, Protections, prepare_workdir, run_child

MAX_OUTCOME_BYTES = 64 * 2**20
CHILD_ENV = {
    "PATH": "/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "MPLBACKEND": "Agg",
    "MPLCONFIGDIR": "/tmp/.mpl",
    # one thread each: a NumPy process per core is faster than threads fighting over 2 cores
    "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
    "TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0", "KERAS_BACKEND": "tensorflow",
    "PYTHONDONTWRITEBYTECODE": "1",
}


@dataclass
class Cell:
    index: int  # position in the submitted notebook
    source: str
    grade_id: str | None = None


@dataclass
class Execution:
    """What running the submission produced (errors are messages for the student)."""

    cell_errors: dict[int, str] = field(default_factory=dict)
    exercise_errors: dict[str, str] = field(default_factory=dict)  # the function could not be run
    outcomes: dict = field(default_factory=dict)  # name -> list[Outcome]
    problems: list[str] = field(default_factory=list)  # whole-submission events (crash, timeout...)
    runs: int = 0
    seconds: float = 0.0
    stdout: str = ""
    stderr: str = ""


# ------------------------------------------------------------------------------------ trusted side

def execute(cells: list[Cell], exercises: list[str], cases_by_name: dict, workdir: str, limits: Limits,
            protections: Protections, hide: list[str], notebook_path: str | None = None,
            max_runs: int = 5) -> Execution:
    """Run ``cells`` then the functions ``exercises`` on ``cases_by_name`` in a sandboxed child."""
    from coursekit.checks import save_cases

    if os.path.exists(workdir):
        shutil.rmtree(workdir)
    os.makedirs(os.path.join(workdir, "cases"))
    os.makedirs(os.path.join(workdir, "outcomes"))
    if notebook_path:
        shutil.copyfile(notebook_path, os.path.join(workdir, "submission.ipynb"))
    for name in exercises:
        save_cases(os.path.join(workdir, "cases", name), cases_by_name[name])
    prepare_workdir(workdir, protections)

    ex = Execution()
    skip_cells: set[int] = set()
    done: set[str] = set()
    remaining = limits.submission_timeout
    for _ in range(max_runs):
        spec = {"cells": [{"index": c.index, "source": c.source} for c in cells if c.index not in skip_cells],
                "exercises": [n for n in exercises if n not in done and n not in ex.exercise_errors]}
        _write_spec(workdir, spec, protections)
        res = run_child([sys.executable, "-I", "-c", "from coursekit.grader.run import child_main; child_main()"],
                        workdir, CHILD_ENV, replace(limits, submission_timeout=remaining), protections, hide)
        ex.runs += 1
        ex.seconds += res.elapsed
        remaining -= res.elapsed
        ex.stdout, ex.stderr = res.stdout, res.stderr
        for kind, ident, payload in _finished(res):
            if kind == "cell" and payload.get("error"):
                ex.cell_errors[_int(ident)] = str(payload["error"])[:2000]
            elif kind == "exercise":
                if payload.get("status") == "ok":
                    done.add(ident)
                else:
                    ex.exercise_errors.setdefault(ident, str(payload.get("error", "failed"))[:2000])
        clean = res.returncode == 0 and res.killed_by is None and res.running is None
        if clean:
            break
        why = _why_died(res)
        if res.running and res.running.startswith("cell ") and remaining > 0:
            idx = _int(res.running.split()[1])
            ex.cell_errors[idx] = why
            skip_cells.add(idx)
            continue
        if res.running and res.running.startswith("exercise ") and remaining > 0:
            ex.exercise_errors[res.running.split()[1]] = why
            continue
        ex.problems.append(f"the submission stopped: {why}")
        break
    else:
        ex.problems.append(f"gave up after {max_runs} runs of the submission (each crashed)")
    for name in exercises:
        if name in done:
            try:
                ex.outcomes[name] = _load_untrusted_outcomes(workdir, name)
            except Exception as exc:  # a corrupted or forged file: the exercise gets no points
                ex.exercise_errors[name] = f"its results could not be read ({type(exc).__name__})"
    return ex


def _write_spec(workdir: str, spec: dict, protections: Protections) -> None:
    path = os.path.join(workdir, "spec.json")
    if os.path.lexists(path):
        os.unlink(path)  # the child may have replaced it with a symlink: never write through it
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "w") as fh:
        json.dump(spec, fh)


def _finished(res: ChildResult):
    for b_or_e, kind, ident, payload in res.events:
        if b_or_e != "E":
            continue
        try:
            data = json.loads(payload) if payload else {}
        except ValueError:
            data = {}
        yield kind, ident, data if isinstance(data, dict) else {}


def _int(s: str) -> int:
    try:
        return int(s)
    except ValueError:
        return -1


def _why_died(res: ChildResult) -> str:
    if res.timeout:
        return f"time limit: {res.timeout} (infinite loop?); it was stopped"
    if res.killed_by == "SIGSEGV":
        return "the Python process crashed (segmentation fault, SIGSEGV)"
    if res.killed_by in ("SIGKILL", "SIGXCPU"):
        return f"the process was killed ({res.killed_by}): memory or CPU-time limit exceeded"
    if res.killed_by:
        return f"the process was killed by {res.killed_by}"
    if res.returncode:
        return (f"the process ended with exit status {res.returncode} (os._exit, or a crash "
                "outside Python)")
    return "the process ended before finishing (os._exit(0)?)"


def _load_untrusted_outcomes(workdir: str, name: str):
    """Copy the child's outcome files out safely, then parse them without pickle."""
    from coursekit.checks import load_outcomes

    trusted = os.path.join(workdir + ".trusted")
    os.makedirs(trusted, exist_ok=True)
    for suffix in ("", ".npz"):
        src = os.path.join(workdir, "outcomes", name + suffix)
        fd = os.open(src, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_OUTCOME_BYTES:
                raise ValueError(f"{name}{suffix} is not a regular file of reasonable size")
            with open(os.path.join(trusted, name + suffix), "wb") as out:
                while chunk := os.read(fd, 1 << 20):
                    out.write(chunk)
        finally:
            os.close(fd)
    try:
        return load_outcomes(os.path.join(trusted, name))
    finally:
        shutil.rmtree(trusted, ignore_errors=True)


# ------------------------------------------------------------------------------ inside the sandbox

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


def child_main() -> None:
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

    checks.self_check = checks.check = checks.test_cell_points = _quiet

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
