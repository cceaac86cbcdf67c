#!/usr/bin/env python
"""Keep every notebook pair in step and without outputs, or check that it is.

Each notebook is a jupytext pair (see notebooks/jupytext.toml): ``X.ipynb``, committed without
outputs, and ``X.py`` in "percent" format next to it.

    python scripts/clean_notebooks.py               # notebooks/*.ipynb and solutions/*/*.ipynb
    python scripts/clean_notebooks.py --check       # exit 1 if a notebook has outputs or a pair differs
    python scripts/clean_notebooks.py path/a.ipynb  # only these notebooks

Cleaning one notebook: ``jupytext --sync`` (the more recently edited member of the pair wins; the
cell ids of the .ipynb are kept), then the outputs, execution counts, saved widget state, view
state (collapsed, scrolled, ...) and trailing newlines are removed from the .ipynb, and the .py is
rewritten from it.
Cell metadata (slide types, tags, nbgrader ids) is kept: it is part of the source.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import jupytext
import nbformat
from jupytext.cli import jupytext as jupytext_cli

REPO = Path(__file__).resolve().parents[1]
DEFAULT_GLOBS = ("notebooks/*.ipynb", "solutions/*/*.ipynb")
# Cell metadata that records how a cell was last viewed or run, not what it says.  jupytext keeps
# it out of the .py, so it is removed from the .ipynb too and ignored when the two are compared.
VIEW_STATE = ("autoscroll", "collapsed", "scrolled", "trusted", "execution", "ExecuteTime")


def default_paths(root: Path = REPO) -> list[Path]:
    """Every notebook the repository commits: lectures and assignment sources (not checkpoints)."""
    paths = {p for pattern in DEFAULT_GLOBS for p in root.glob(pattern)}
    return sorted(p for p in paths if ".ipynb_checkpoints" not in p.parts)


def text_path(ipynb: Path) -> Path:
    """The .py member of a pair."""
    return Path(ipynb).with_suffix(".py")


def dirty_cells(nb) -> list[int]:
    """Indices of code cells that carry outputs or an execution count."""
    return [i for i, cell in enumerate(nb.cells)
            if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count") is not None)]


def has_outputs(nb) -> bool:
    """True if any cell has outputs/execution counts or the notebook stores widget state."""
    return bool(dirty_cells(nb)) or "widgets" in nb.metadata


def needs_cleaning(nb) -> bool:
    """True if :func:`clean` would change the notebook."""
    return has_outputs(nb) or any(cell.source.endswith("\n") or any(key in cell.metadata for key in VIEW_STATE)
                                  for cell in nb.cells)


def clean(nb):
    """Remove outputs, execution counts, view state and saved widget state, in place; return ``nb``.

    Trailing newlines of cell sources go too, as JupyterLab saves them: the .py cannot tell a
    source ending with a newline from one followed by a blank line, so the pair would differ.
    """
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        for key in VIEW_STATE:
            cell.metadata.pop(key, None)
        cell.source = cell.source.rstrip("\n")
    nb.metadata.pop("widgets", None)
    return nb


def _source_cells(nb) -> list[tuple[str, str, dict]]:
    return [(cell.cell_type, cell.source, {k: v for k, v in cell.metadata.items() if k not in VIEW_STATE})
            for cell in nb.cells]


def pair_differences(ipynb: Path) -> list[str]:
    """How the .ipynb and the .py of a pair differ: cell types, sources or cell metadata (empty if the same)."""
    py = text_path(ipynb)
    if not py.exists():
        return [f"{py.name} is missing"]
    ours = _source_cells(nbformat.read(ipynb, as_version=4))
    theirs = _source_cells(jupytext.read(py))
    found = []
    if len(ours) != len(theirs):
        found.append(f"{ipynb.name} has {len(ours)} cells, {py.name} has {len(theirs)}")
    for i, (a, b) in enumerate(zip(ours, theirs)):
        for field, x, y in zip(("type", "source", "metadata"), a, b):
            if x != y:
                found.append(f"cell {i}: the {field} differs: {_first_difference(x, y, ipynb.name, py.name)}")
    return found


def _first_difference(x, y, x_name: str, y_name: str) -> str:
    """The first line where two cell fields differ, e.g. a source with one more trailing blank line."""
    if not isinstance(x, str):
        return f"{x_name} {x!r}, {y_name} {y!r}"
    x_lines, y_lines = x.split("\n"), y.split("\n")
    n = next((k for k, (u, v) in enumerate(zip(x_lines, y_lines)) if u != v), min(len(x_lines), len(y_lines)))

    def line(lines):
        return repr(lines[n]) if n < len(lines) else "(no such line)"

    return f"line {n + 1}: {x_name} {line(x_lines)}, {y_name} {line(y_lines)}"


def sync(ipynb: Path) -> None:
    """Bring both members of the pair in step (the newer wins), then strip the .ipynb; the .py follows it.

    The pairing comes from the jupytext.toml of the notebook's folder (a missing .py is created).
    """
    jupytext_cli(["--quiet", "--sync", str(ipynb)])
    nb = nbformat.read(ipynb, as_version=4)
    if needs_cleaning(nb):
        nbformat.write(clean(nb), ipynb)
        jupytext_cli(["--quiet", "--sync", str(ipynb)])   # the .ipynb is now the newer member


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks (default: notebooks/ and solutions/)")
    parser.add_argument("--check", action="store_true", help="only report notebooks with outputs or whose pair differs")
    args = parser.parse_args(argv)
    paths = args.paths or default_paths()
    problems = []
    for path in paths:
        if not args.check:
            sync(path)
        if has_outputs(nbformat.read(path, as_version=4)):
            problems.append(f"{path}: has outputs")
        problems += [f"{path}: {d}" for d in pair_differences(path)]
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s); run: python scripts/clean_notebooks.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
