"""The trusted side of running one submission: launch the sandboxed child, read what it left.

Trust: this code runs in the grader's own process, with the TA's rights.  It writes the working
copy (the submitted notebook, ``spec.json``, the cases), starts ``coursekit.grader.child`` under
every protection of ``sandbox.py``, and trusts NOTHING the child produces: its exit status and
progress lines only say which cell or exercise was running when it died, and its outcome files are
copied out with ``O_NOFOLLOW`` (no symlink tricks, no FIFOs), size-capped, and parsed without pickle
by ``coursekit.checks.load_outcomes``.  The verdicts are computed later, in compare.py.

When a cell or an exercise kills the child (timeout, ``os._exit``, segfault, memory) :func:`execute`
records why and runs the child again without that cell/exercise, so the rest of the submission is
still graded.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys
from dataclasses import dataclass, field, replace

from coursekit.keras_setup import QUIET_TF_ENV

from .sandbox import ChildResult, Limits, Protections, prepare_workdir, run_child

MAX_OUTCOME_BYTES = 64 * 2**20
CHILD_ENV = {
    "PATH": "/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "MPLBACKEND": "Agg",
    "MPLCONFIGDIR": "/tmp/.mpl",
    # one thread each: a NumPy process per core is faster than threads fighting over 2 cores
    "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
    "PYTHONDONTWRITEBYTECODE": "1",
    **QUIET_TF_ENV,  # a student who imports Keras must not fill the output with TensorFlow's logs
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
        res = run_child([sys.executable, "-I", "-c", "from coursekit.grader.child import main; main()"],
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
