"""The lecture notebooks, executed once per test session and shared by every test that reads their outputs.

``executed(name)`` runs ``notebooks/<name>.ipynb`` top to bottom with nbclient (as CI, JupyterLab's
Run All and ``coursekit decks`` do) and returns an :class:`Executed`: the notebook with its outputs,
the text of those outputs, the figure audit (every text matplotlib drew, see
``ipython/profile_default/startup/00_figure_audit.py``, run at kernel start) and the wall time.  Results are cached in
``artifacts/executed/`` under a hash of the notebook and of the ``coursekit`` package, behind a file
lock, so pytest-xdist workers run each lecture once between them.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
CACHE = REPO / "artifacts" / "executed"
AUDIT_STARTUP = Path(__file__).resolve().parent / "ipython" / "profile_default" / "startup" / "00_figure_audit.py"
LECTURES = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


@dataclass
class Executed:
    path: Path
    nb: nbformat.NotebookNode
    seconds: float
    figures: list[dict] = field(default_factory=list)

    @property
    def text(self) -> str:
        """Every text output: streams, text/plain, text/html, text/markdown, text/latex."""
        return output_text(self.nb)


def output_text(nb, cells=None) -> str:
    parts = []
    for i, cell in enumerate(nb.cells):
        if cells is not None and i not in cells:
            continue
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                parts.append(out.text)
            for mime in ("text/plain", "text/html", "text/markdown", "text/latex"):
                if mime in out.get("data", {}):
                    parts.append(out.data[mime])
    return "\n".join(parts)


def _key(path: Path) -> str:
    digest = hashlib.sha256(path.read_bytes())
    for source in sorted((REPO / "coursekit").rglob("*")):
        if source.is_file() and "__pycache__" not in source.parts:
            digest.update(source.name.encode() + source.read_bytes())
    return digest.hexdigest()[:16]


def _run(path: Path, audit: Path) -> tuple[nbformat.NotebookNode, float]:
    from nbclient import NotebookClient

    from coursekit.keras_setup import quiet_tensorflow_env

    quiet_tensorflow_env()
    nb = nbformat.read(path, as_version=4)
    # A private IPython profile (the kernel writes its pid/, security/ folders there, not into tests/).
    ipythondir = CACHE / "ipython"
    startup = ipythondir / "profile_default" / "startup"
    startup.mkdir(parents=True, exist_ok=True)
    shutil.copy2(AUDIT_STARTUP, startup / AUDIT_STARTUP.name)
    saved = {k: os.environ.get(k) for k in ("IPYTHONDIR", "COURSEKIT_FIGURE_AUDIT")}
    os.environ["IPYTHONDIR"], os.environ["COURSEKIT_FIGURE_AUDIT"] = str(ipythondir), str(audit)
    try:
        client = NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True, store_widget_state=True,
                                resources={"metadata": {"path": str(path.parent)}})
        start = time.perf_counter()
        client.execute()
        return nb, time.perf_counter() - start
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def executed(name: str) -> Executed:
    """The lecture ``name`` (e.g. ``"05_cnn_architectures"``), executed (once per content, see module doc)."""
    path = NOTEBOOKS / f"{name}.ipynb"
    CACHE.mkdir(parents=True, exist_ok=True)
    key = _key(path)
    out, audit, meta = (CACHE / f"{name}.{key}.ipynb", CACHE / f"{name}.{key}.figures.jsonl",
                        CACHE / f"{name}.{key}.json")
    with open(CACHE / f".{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not meta.exists():
            for stale in CACHE.glob(f"{name}.*"):
                stale.unlink()
            nb, seconds = _run(path, audit)
            nbformat.write(nb, out)
            audit.touch()
            meta.write_text(json.dumps({"seconds": round(seconds, 2)}))
    nb = nbformat.read(out, as_version=4)
    figures = [json.loads(line) for line in audit.read_text().splitlines() if line.strip()]
    return Executed(path, nb, json.loads(meta.read_text())["seconds"], figures)


def errors(nb) -> list[str]:
    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                found.append(f"cell {i}: {out.ename}: {out.evalue}")
            elif out.output_type == "stream" and out.name == "stderr" and re.search(r"Traceback|Error\b", out.text):
                found.append(f"cell {i} stderr: {out.text[:300]}")
    return found


SETUP_TAG = "setup"                 # the cell that imports what the others use
VALUES_TAG = "lecture-values"       # cells printing numbers of the lecture notes that the tests check


def execute_tagged(name: str, tags=frozenset({SETUP_TAG, VALUES_TAG})) -> nbformat.NotebookNode:
    """Only the lecture's code cells tagged with one of ``tags``: a quick check of the values they print."""
    from nbclient import NotebookClient

    path = NOTEBOOKS / f"{name}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells = [c for c in nb.cells if c.cell_type == "code" and set(tags) & set(c.metadata.get("tags", []))]
    assert nb.cells, f"{path.name} has no code cell tagged {sorted(tags)}"
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb
