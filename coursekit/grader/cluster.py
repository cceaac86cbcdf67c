"""Grade on a Dask cluster: ``coursekit grade ... --scheduler tcp://HOST:8786``.

The work unit of pipeline.py (one submission x one assignment) travels to a Dask worker with the
notebook's bytes, because a worker on another machine does not see the course directory.  The worker
grades it in a temporary folder of its own (same sandbox, same trusted verdict) and sends the result
dict back; the client alone writes result files and the gradebook, so there is one writer.

Exactly once
------------
* The task key is ``coursekit-<assignment>-<student>-<notebook sha256>-<seed>-<grader version>``: the
  scheduler computes one key once, so a unit submitted twice (two clients, a rerun while the first run
  is still going) is graded once.
* A worker that dies mid-task (killed, out of memory, machine lost) is noticed by the scheduler, which
  gives its tasks to another worker; nothing of a half-graded unit was written.
* The client writes each result file as it arrives and records it with the same idempotent upsert as
  the local pool, so a client killed mid-batch resumes with the finished units skipped.

Workers need coursekit installed (the same version: the key carries it, and a worker refuses a unit
of another version) and, for the sandbox's full protections, to run as root with bubblewrap.  Start
them with ``dask worker tcp://HOST:8786 --nthreads 1`` (one thread per worker process: a unit already
runs its own sandboxed child process); see README.md for SLURM (dask-jobqueue) and Kubernetes
(dask-kubernetes).
"""

from __future__ import annotations

import os
import shutil
import tempfile

from coursekit.errors import CoursekitError


def task_key(unit: dict) -> str:
    import coursekit

    return "-".join(["coursekit", unit["assignment"], unit["student"], unit["notebook"], unit["sha256"][:24],
                     str(unit["seed"])[:16], coursekit.__version__])


def grade_shipped(unit: dict, notebook: bytes, version: str) -> dict:
    """On a worker: grade ``unit`` with the notebook's bytes, in a private temporary folder."""
    import coursekit

    from .pipeline import grade_unit
    from .sandbox import probe

    if version != coursekit.__version__:
        raise RuntimeError(f"this worker has coursekit {coursekit.__version__}, the client {version}: "
                           "install the same version on both")
    tmp = tempfile.mkdtemp(prefix="coursekit-unit-")
    try:
        path = os.path.join(tmp, "submission.ipynb")
        with open(path, "wb") as fh:
            fh.write(notebook)
        local = dict(unit, notebook_path=path, workdir=os.path.join(tmp, "work"),
                     result_path=os.path.join(tmp, "result.json"), hide=[tmp])
        result = grade_unit(local)
        result["worker"] = _worker_name()
        result["sandbox_missing"] = probe().missing()  # this worker's machine, not the client's
        return result
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return f"{get_worker().name} on {os.uname().nodename}"
    except (ImportError, ValueError):  # called outside a Dask worker
        return os.uname().nodename


def connect(address: str, timeout: str = "20s"):
    """A Dask client for ``address``, or a CoursekitError saying what to do."""
    try:
        from distributed import Client
    except ImportError as exc:
        raise CoursekitError("--scheduler needs Dask's distributed package: pip install 'coursekit[cluster]' "
                             "(or pip install distributed)") from exc
    try:
        return Client(address, timeout=timeout)
    except (OSError, TimeoutError) as exc:
        raise CoursekitError(f"no Dask scheduler answers at {address} ({exc}); start one with `dask scheduler` "
                             "and workers with `dask worker ADDRESS --nthreads 1`, or drop --scheduler to "
                             "grade on this machine") from exc


def run(address: str, todo: list[dict], finish, bar, problems: list[str]) -> int:
    """Send ``todo`` to the cluster; ``finish(result)`` each result as it completes.  Returns how many."""
    from distributed import as_completed

    import coursekit

    from .pipeline import _atomic_json

    client = connect(address)
    graded = 0
    missing: set[tuple[str, str]] = set()
    try:
        futures = {}
        for unit in todo:
            with open(unit["notebook_path"], "rb") as fh:
                data = fh.read()
            fut = client.submit(grade_shipped, unit, data, coursekit.__version__, key=task_key(unit), pure=False)
            futures[fut] = unit
        for fut in as_completed(futures):
            unit = futures[fut]
            try:
                result = fut.result()
            except Exception as exc:  # a grader bug or a unit that killed every worker it met
                problems.append(f"{unit['student']}: the grader failed on the cluster ({type(exc).__name__}: {exc})")
            else:
                # Paths as the client knows them, then the result file the resume logic reads.
                result["notebook"] = unit["notebook"]
                missing.update((result["worker"], m) for m in result.pop("sandbox_missing", []))
                _atomic_json(unit["result_path"], result)
                finish(result)
                graded += 1
            bar.update(1)
    finally:
        client.close()
    problems.extend(f"worker {w}: sandbox MISSING: {m}" for w, m in sorted(missing))
    return graded
