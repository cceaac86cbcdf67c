#!/usr/bin/env python
"""Strip outputs (and execution counts, widget state) from notebooks, or check that none remain.

    python scripts/clean_notebooks.py                 # clean notebooks/*.ipynb and solutions/**/*.ipynb
    python scripts/clean_notebooks.py --check         # exit 1 and list files that still carry outputs
    python scripts/clean_notebooks.py path/a.ipynb    # only these files

Cell metadata (slide types, nbgrader ids) is kept: it is part of the source.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
DEFAULT_GLOBS = ("notebooks/*.ipynb", "solutions/**/*.ipynb")


def default_paths(root: Path = REPO) -> list[Path]:
    """Every notebook the repository commits: lectures and solutions (not checkpoints)."""
    paths = {p for pattern in DEFAULT_GLOBS for p in root.glob(pattern)}
    return sorted(p for p in paths if ".ipynb_checkpoints" not in p.parts)


def dirty_cells(nb) -> list[int]:
    """Indices of code cells that carry outputs or an execution count."""
    return [i for i, cell in enumerate(nb.cells)
            if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count") is not None)]


def has_outputs(nb) -> bool:
    """True if any cell has outputs/execution counts or the notebook stores widget state."""
    return bool(dirty_cells(nb)) or "widgets" in nb.metadata


def clean(nb):
    """Remove outputs, execution counts and saved widget state, in place; return ``nb``."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)   # nbclient timing metadata
    nb.metadata.pop("widgets", None)
    return nb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks (default: notebooks/ and solutions/)")
    parser.add_argument("--check", action="store_true", help="only report notebooks with outputs")
    args = parser.parse_args(argv)
    paths = args.paths or default_paths()
    dirty = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        if not has_outputs(nb):
            continue
        dirty.append(path)
        if not args.check:
            nbformat.write(clean(nb), path)
    verb = "has outputs" if args.check else "cleaned"
    for path in dirty:
        print(f"{verb}: {path}")
    if args.check and dirty:
        print(f"{len(dirty)} notebook(s) carry outputs; run: python scripts/clean_notebooks.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
