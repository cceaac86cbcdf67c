"""Wiring: collect -> (sandboxed run + trusted verdict per submission, in a worker pool) -> record -> report.

The work unit
-------------
:func:`grade_unit` takes one JSON-serialisable dict (one submission x one assignment: the notebook
path, its sha256, the exercise names, the student's hidden-input seed (``compare.student_seed``), the
limits, the result path) and writes one JSON result file, atomically (write to ``.tmp``, then ``os.replace``).  It needs
only ``coursekit`` installed and the notebook file, so it runs here (in a process pool, the default) or
on any machine of a Dask cluster (cluster.py, ``--scheduler``), which ships the result back; the
gradebook is written by one process, this one, from the results alone.

Resume
------
A result file whose ``sha256``, seed and grader version match the submission means "done": a rerun after Ctrl-C
or ``kill -9`` skips it and grades only the rest.  Recording is an idempotent upsert, so every
result is (re)recorded at the end of each run: nothing duplicated, nothing lost.  A killed run
leaves at most the unfinished units' ``.tmp`` files and working copies, which are overwritten.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field

from coursekit import __version__ as GRADER_VERSION

from .sandbox import Limits

STATE = ".coursekit"  # under the course directory: results/, work/, secret


def _sha256(path: str) -> str:
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def _atomic_json(path: str, data: dict) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w") as fh:
        json.dump(data, fh, indent=1)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(path + ".tmp", path)


# ------------------------------------------------------------------------------------ the work unit

def grade_unit(unit: dict) -> dict:
    """Grade one submission (see the module docstring); returns and writes the result dict."""
    import nbformat

    from . import compare, run
    from .sandbox import probe

    start = time.perf_counter()
    result = {k: unit[k] for k in ("assignment", "student", "notebook", "sha256", "first_name", "last_name",
                                   "timestamp", "seed")}
    result.update(exercises=[], problems=[], cell_errors={}, error=None, runs=0, grader=GRADER_VERSION)
    names = unit["exercises"]
    cases = {n: compare.cases_for(n, unit["seed"]) for n in names}
    try:
        nb = nbformat.read(unit["notebook_path"], as_version=4)  # lenient, as Jupyter is: no validate()
        cells = _student_cells(nb)
    except Exception as exc:
        msg = f"not a valid Jupyter notebook ({type(exc).__name__}: {str(exc)[:200]}); nothing could be run"
        result["error"] = msg
        result["exercises"] = [compare.verdict(n, cases[n], None, msg) for n in names]
    else:
        ex = run.execute(cells, names, cases, unit["workdir"], Limits(**unit["limits"]), probe(),
                         unit["hide"], notebook_path=unit["notebook_path"])
        answer_cell = {c.grade_id: c.index for c in cells if c.grade_id}
        for n in names:
            if n in ex.outcomes:
                result["exercises"].append(compare.verdict(n, cases[n], ex.outcomes[n]))
                continue
            why = ex.exercise_errors.get(n) or "it was not run: " + "; ".join(ex.problems)
            idx = answer_cell.get(n)
            if idx in ex.cell_errors and "does not define" in why:
                why = f"`{n}` is not defined because its answer cell failed: {ex.cell_errors[idx]}"
            result["exercises"].append(compare.verdict(n, cases[n], None, why))
        result["cell_errors"] = {str(k): v for k, v in sorted(ex.cell_errors.items())}
        result["problems"] = ex.problems
        result["runs"] = ex.runs
        result["stdout_tail"] = ex.stdout[-2000:]
        shutil.rmtree(unit["workdir"], ignore_errors=True)
    result["score"] = round(sum(e["points"] for e in result["exercises"]), 4)
    result["max_score"] = round(sum(e["max_points"] for e in result["exercises"]), 4)
    result["seconds"] = round(time.perf_counter() - start, 3)
    _atomic_json(unit["result_path"], result)
    return result


def _student_cells(nb) -> list:
    """The code cells to run: everything but the autograder test cells (whatever their state)."""
    from coursekit.assignments.cells import is_test_cell

    from .run import Cell

    cells = []
    for i, c in enumerate(nb.cells):
        if c.cell_type != "code":
            continue
        if not is_test_cell(c):
            gid = (c.get("metadata", {}).get("nbgrader") or {}).get("grade_id")
            cells.append(Cell(i, c.source if isinstance(c.source, str) else "".join(c.source), gid))
    return cells


def make_pool(workers: int) -> ProcessPoolExecutor:
    """Worker processes that have imported Keras once (spawned: no TensorFlow state is forked)."""
    import multiprocessing as mp

    return ProcessPoolExecutor(max_workers=max(1, workers), mp_context=mp.get_context("spawn"),
                               initializer=_warm_worker)


def _warm_worker() -> None:
    from coursekit.keras_setup import import_keras

    import_keras()


# ---------------------------------------------------------------------------------------- the run

@dataclass
class Run:
    results: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    graded: int = 0  # graded in this run
    skipped: int = 0  # already done by an earlier run
    seconds: float = 0.0
    csv: str = ""
    report: str = ""
    lms_files: list[str] = field(default_factory=list)  # the LMS gradebook import files written (lms.py)


def grade_assignment(course_dir: str, assignment: str, inputs: list[str], *, db_url: str | None = None,
                     workers: int | None = None, out_dir: str | None = None, limits: Limits | None = None,
                     progress: bool = True, extra_hide: list[str] = (), pool=None,
                     scheduler: str | None = None, lms_export: str = "auto", canvas_assignment_id: str | None = None,
                     lms_scale_to: float | None = None) -> Run:
    """The whole pipeline for one assignment.

    ``workers=0`` grades in this process (tests); ``pool`` (from :func:`make_pool`) reuses warm
    workers across assignments; ``scheduler`` (a Dask address, ``tcp://HOST:8786``) grades on a Dask
    cluster instead (cluster.py); ``extra_hide`` lists more paths student code must not see (other
    copies of the instructor sources, for instance); ``lms_export``, ``canvas_assignment_id`` and
    ``lms_scale_to`` choose the LMS import files written beside grades.csv (lms.export).
    """
    from . import collect, compare, record, report
    from .sandbox import probe

    t0 = time.perf_counter()
    limits = limits or Limits()
    cfg = record.course_config(course_dir, db_url)
    state = os.path.join(cfg.root, STATE)
    os.makedirs(state, exist_ok=True)
    os.chmod(state, 0o700)
    record.ensure_assignment(cfg, assignment)
    layout = record.assignment_layout(cfg, assignment)
    got = collect.collect(inputs, cfg.root, assignment, layout.notebooks)
    run = Run(problems=list(got.problems), notes=list(got.notes))
    written = {**layout.task_points, **{k: v for k, v in layout.test_points.items() if not k[1].startswith("test_")}}
    if written:  # manually graded answers and task cells: no autograder score, a TA's in formgrader
        run.notes.append(
            f"{sum(written.values()):g} points per student are written answers pending manual grading in formgrader "
            f"({', '.join(sorted(g for _, g in written))}): grades.csv's score leaves them out until a TA grades them"
        )
    seed = compare.course_seed(state)
    out_dir = os.path.abspath(out_dir or os.path.join(cfg.root, "reports", assignment))
    # What student code must not see: the course (gradebook, other students), the instructor sources
    # (hidden tests), the outputs and the submissions as they came.
    hide = sorted({cfg.root, out_dir, cfg.source_dir, *(os.path.abspath(p) for p in inputs),
                   *(os.path.abspath(p) for p in extra_hide)})

    todo, done = [], []
    for sub in got.submissions:
        sha = _sha256(sub.path)
        result_path = os.path.join(state, "results", assignment, f"{sub.student}__{sub.notebook}.json")
        if os.path.exists(result_path):
            try:
                with open(result_path) as fh:
                    old = json.load(fh)
                if ((old.get("sha256"), old.get("seed"), old.get("grader"))
                        == (sha, compare.student_seed(seed, sub.student), GRADER_VERSION)):
                    done.append(old)
                    continue
            except ValueError:
                pass  # a damaged result file: grade again
        todo.append({
            "assignment": assignment, "student": sub.student, "notebook": sub.notebook,
            "first_name": sub.first_name, "last_name": sub.last_name, "timestamp": sub.timestamp,
            "notebook_path": sub.path, "sha256": sha, "exercises": layout.exercises.get(sub.notebook, []),
            "seed": compare.student_seed(seed, sub.student), "limits": dataclasses.asdict(limits), "hide": hide,
            "result_path": result_path,
            "workdir": os.path.join(state, "work", assignment, f"{sub.student}__{sub.notebook}"),
        })
    run.skipped = len(done)
    os.makedirs(os.path.join(state, "work"), mode=0o700, exist_ok=True)
    probe()  # create the sandbox user once, before the workers start

    gradebook = record.open_gradebook(cfg)  # one writer, one connection for the whole run
    subs = {(s.student, s.notebook): s.path for s in got.submissions}

    def finish(result: dict) -> None:
        """Record one result and write its outputs (autograded notebook, feedback) while the rest grade."""
        record.record(cfg, assignment, result, layout, gradebook)
        graded_nb = record.write_autograded(cfg, assignment, result, layout,
                                            subs[(result["student"], result["notebook"])])
        report.write_feedback(cfg.root, assignment, result, graded_nb)
        run.results.append(result)

    # Answers to review (alike each other or the reference library) need only the collected notebooks:
    # compared in a thread while the workers grade.
    from . import similarity

    similar: list = []
    compared = threading.Thread(target=lambda: similar.append(
        similarity.for_assignment(cfg.root, assignment, got.submissions, layout.exercises)), daemon=True)
    compared.start()
    try:
        for r in done:
            finish(r)
        bar = _progress(len(todo), progress, initial_note=f"{run.skipped} already graded" if run.skipped else "")
        try:
            run.graded = _grade_all(todo, finish, bar, run.problems, workers, pool, scheduler)
        finally:
            bar.close()
    finally:
        gradebook.close()

    # Outputs: CSV and report (the autograded notebooks and feedback were written by finish).
    run.problems.extend(f"{r['student']}: {r['error']}" for r in run.results if r.get("error"))
    os.makedirs(out_dir, exist_ok=True)
    from .late import report_notes

    run.notes.extend(report_notes(run.results))  # late submissions and their penalties (coursekit.grader.late)
    run.seconds = time.perf_counter() - t0
    run.csv = report.export_csv(cfg.db_url, cfg.course_id, assignment, os.path.join(out_dir, "grades.csv"))
    from . import lms

    run.lms_files = lms.export(cfg.root, cfg.db_url, cfg.course_id, assignment, out_dir, lms_export,
                               canvas_assignment_id, lms_scale_to)
    compared.join()
    run.report = report.write_report(os.path.join(out_dir, "report.html"), assignment, run.results, run.problems,
                                     run.notes, probe().describe(), run.seconds,
                                     similarity=similar[0] if similar else None)
    return run


def _grade_all(todo: list[dict], finish, bar, problems: list[str], workers: int | None, pool,
               scheduler: str | None) -> int:
    """Grade the work units, calling ``finish(result)`` as each completes; returns how many were graded.

    On a Dask cluster (``scheduler``), in this process (``workers=0``: tests), or in a process pool.
    """
    if scheduler and todo:
        from . import cluster

        return cluster.run(scheduler, todo, finish, bar, problems)
    graded = 0
    if workers == 0 or not todo:
        for unit in todo:
            finish(grade_unit(unit))
            graded += 1
            bar.update(1)
        return graded
    own = pool is None
    pool = pool or make_pool(min(workers or os.cpu_count() or 1, len(todo)))
    try:
        futures = {pool.submit(grade_unit, u): u for u in todo}
        for fut in as_completed(futures):
            u = futures[fut]
            try:
                finish(fut.result())
                graded += 1
            except Exception as exc:  # a grader bug must not stop the batch
                problems.append(f"{u['student']}: the grader failed ({type(exc).__name__}: {exc})")
            bar.update(1)
    finally:
        if own:
            pool.shutdown(cancel_futures=True)
    return graded


class _NoBar:
    def update(self, n):
        pass

    def close(self):
        pass


def _progress(total: int, enabled: bool, initial_note: str = ""):
    if not enabled:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, unit="submission", desc="grading", postfix=initial_note or None)
