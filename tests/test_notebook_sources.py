"""Every notebook is one source in two files: a jupytext pair X.ipynb + X.py, the same notebook, no outputs.

Covers the lectures (notebooks/*.ipynb) and the assignment sources (solutions/*/*.ipynb): whatever
.ipynb files exist there.  Two comparisons must agree that each pair is the same notebook:
``clean_notebooks.pair_differences`` (what ``make clean-notebooks`` checks) and jupytext's own
``compare_notebooks``.  Both are shown to fail on deliberately edited copies.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest
from jupytext.compare import NotebookDifference, compare_notebooks

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
import clean_notebooks  # noqa: E402

NOTEBOOKS = clean_notebooks.default_paths(REPO)
PAIRING_CONFIG = REPO / "notebooks" / "jupytext.toml"


def _rel(path: Path) -> str:
    return str(path.relative_to(REPO))


def _jupytext_differences(ipynb: Path) -> str | None:
    """jupytext's comparison of the pair (cells: type, source, metadata); None when they are the same.

    The .py carries no notebook-level metadata (the kernelspec stays in the .ipynb:
    ``notebook_metadata_filter = "-all"``), so only the cells are compared.
    """
    ours, theirs = jupytext.read(ipynb), jupytext.read(clean_notebooks.text_path(ipynb))
    ours.metadata, theirs.metadata = {}, {}
    try:
        compare_notebooks(theirs, ours, fmt="py:percent", allow_expected_differences=False)
    except NotebookDifference as exc:
        return str(exc)
    return None


def test_lectures_and_assignment_sources_are_found():
    lectures = [p for p in NOTEBOOKS if p.parent.name == "notebooks"]
    assert len(lectures) == 6, f"expected six lecture notebooks in notebooks/, found {[p.name for p in lectures]}"


def test_both_folders_pair_notebooks_the_same_way():
    assert PAIRING_CONFIG.is_file(), "notebooks/jupytext.toml (the pairing configuration) is missing"
    solutions = REPO / "solutions" / "jupytext.toml"
    if any(p.parts[-3] == "solutions" for p in NOTEBOOKS):
        assert solutions.is_file(), "solutions/jupytext.toml is missing: copy notebooks/jupytext.toml"
        assert solutions.read_text() == PAIRING_CONFIG.read_text(), \
            "solutions/jupytext.toml differs from notebooks/jupytext.toml; they must be identical"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_rel)
def test_notebook_and_its_py_are_the_same_notebook(path):
    py = clean_notebooks.text_path(path)
    assert py.is_file(), f"{_rel(py)} is missing; run: python scripts/clean_notebooks.py {_rel(path)}"
    differences = clean_notebooks.pair_differences(path)
    assert not differences, (f"{_rel(path)} and {py.name} differ; after editing one of them run "
                             f"`.venv/bin/jupytext --sync {_rel(path)}`:\n" + "\n".join(differences[:10]))
    assert _jupytext_differences(path) is None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_rel)
def test_committed_notebooks_have_no_outputs(path):
    nb = nbformat.read(path, as_version=4)
    assert not clean_notebooks.has_outputs(nb), (
        f"{_rel(path)} has outputs in cells {clean_notebooks.dirty_cells(nb)}; run: python scripts/clean_notebooks.py")


# -- the comparison can fail --------------------------------------------------------------------------

@pytest.fixture
def pair_copy(tmp_path):
    """A copy of lecture 4's pair (a markdown cell with a slide type, code cells with tags) and the config."""
    shutil.copy(PAIRING_CONFIG, tmp_path / "jupytext.toml")
    for suffix in (".ipynb", ".py"):
        shutil.copy(REPO / "notebooks" / f"04_convolution{suffix}", tmp_path / f"04_convolution{suffix}")
    path = tmp_path / "04_convolution.ipynb"
    assert clean_notebooks.pair_differences(path) == [] and _jupytext_differences(path) is None
    return path


def _tagged_cell(nb) -> int:
    return next(i for i, c in enumerate(nb.cells) if c.metadata.get("tags"))


def test_comparison_fails_when_the_py_source_is_edited(pair_copy):
    py = clean_notebooks.text_path(pair_copy)
    text = py.read_text()
    assert "conv.conv2d_naive(x4, k4)" in text
    py.write_text(text.replace("conv.conv2d_naive(x4, k4)", "conv.conv2d(x4, k4)", 1))
    differences = clean_notebooks.pair_differences(pair_copy)
    assert len(differences) == 1 and "source differs" in differences[0] and "conv2d_naive" in differences[0]
    assert _jupytext_differences(pair_copy) is not None


def test_comparison_fails_when_cell_metadata_is_edited(pair_copy):
    nb = nbformat.read(pair_copy, as_version=4)
    i = _tagged_cell(nb)
    nb.cells[i].metadata["tags"] = ["something-else"]
    nbformat.write(nb, pair_copy)
    differences = clean_notebooks.pair_differences(pair_copy)
    assert len(differences) == 1 and differences[0].startswith(f"cell {i}: the metadata differs")
    assert _jupytext_differences(pair_copy) is not None


def test_comparison_fails_when_a_slide_type_or_a_cell_is_lost(pair_copy):
    nb = nbformat.read(pair_copy, as_version=4)
    nb.cells[0].metadata["slideshow"]["slide_type"] = "subslide"
    nbformat.write(nb, pair_copy)
    assert any("cell 0: the metadata differs" in d for d in clean_notebooks.pair_differences(pair_copy))
    assert _jupytext_differences(pair_copy) is not None
    del nb.cells[-1]
    nb.cells[0].metadata["slideshow"]["slide_type"] = "slide"
    nbformat.write(nb, pair_copy)
    assert any("cells" in d for d in clean_notebooks.pair_differences(pair_copy))
    assert _jupytext_differences(pair_copy) is not None


def test_comparison_fails_when_the_py_is_missing(pair_copy):
    clean_notebooks.text_path(pair_copy).unlink()
    assert clean_notebooks.pair_differences(pair_copy) == ["04_convolution.py is missing"]


# -- scripts/clean_notebooks.py keeps a pair in step -----------------------------------------------------

def _notebook_with_outputs():
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    md = nbformat.v4.new_markdown_cell("# Title", metadata={"slideshow": {"slide_type": "slide"}})
    cell = nbformat.v4.new_code_cell("1 + 1\n", metadata={"slideshow": {"slide_type": "fragment"},
                                                        "tags": ["lecture-values"], "collapsed": True})
    cell.outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=1)]
    cell.execution_count = 1
    nb.cells += [md, cell]
    nb.metadata["widgets"] = {"x": 1}
    return nb


def test_clean_notebooks_strips_outputs_and_creates_the_pair(tmp_path):
    shutil.copy(PAIRING_CONFIG, tmp_path / "jupytext.toml")
    path = tmp_path / "a.ipynb"
    nbformat.write(_notebook_with_outputs(), path)
    ids = [c.id for c in nbformat.read(path, as_version=4).cells]
    assert clean_notebooks.main(["--check", str(path)]) == 1
    assert clean_notebooks.main([str(path)]) == 0
    cleaned = nbformat.read(path, as_version=4)
    assert not clean_notebooks.has_outputs(cleaned)
    assert [c.id for c in cleaned.cells] == ids
    assert cleaned.cells[1].source == "1 + 1"          # a trailing newline would not survive the .py
    assert cleaned.cells[1].metadata == {"slideshow": {"slide_type": "fragment"}, "tags": ["lecture-values"]}
    assert cleaned.metadata["kernelspec"]["name"] == "python3"
    py = (tmp_path / "a.py").read_text()
    assert '# %% slideshow={"slide_type": "fragment"} tags=["lecture-values"]\n1 + 1' in py
    assert clean_notebooks.main(["--check", str(path)]) == 0


def test_clean_notebooks_carries_an_edit_of_the_py_into_the_ipynb(tmp_path):
    shutil.copy(PAIRING_CONFIG, tmp_path / "jupytext.toml")
    path = tmp_path / "a.ipynb"
    nbformat.write(_notebook_with_outputs(), path)
    clean_notebooks.main([str(path)])
    ids = [c.id for c in nbformat.read(path, as_version=4).cells]
    py = tmp_path / "a.py"
    py.write_text(py.read_text().replace("1 + 1", "2 + 2"))
    later = path.stat().st_mtime + 10
    os.utime(py, (later, later))                       # the lecturer edited the .py last
    assert clean_notebooks.main(["--check", str(path)]) == 1
    assert clean_notebooks.main([str(path)]) == 0
    synced = nbformat.read(path, as_version=4)
    assert synced.cells[1].source == "2 + 2"
    assert [c.id for c in synced.cells] == ids         # cell ids survive the round trip
    assert clean_notebooks.main(["--check", str(path)]) == 0


# -- JupyterLab keeps the pair in step -------------------------------------------------------------------

@pytest.mark.slow  # starts a Jupyter server (~5 s)
def test_saving_in_jupyterlab_updates_the_py_twin(tmp_path):
    """What a lecturer's Ctrl+S does: JupyterLab PUTs the notebook to the server's contents API, and
    jupytext's contents manager (installed with the course) writes both files of the pair."""
    import json
    import socket
    import subprocess
    import time
    import urllib.request

    shutil.copy(PAIRING_CONFIG, tmp_path / "jupytext.toml")
    for suffix in (".ipynb", ".py"):
        shutil.copy(REPO / "notebooks" / f"01_neuron{suffix}", tmp_path / f"01_neuron{suffix}")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "server", "--no-browser", "--allow-root", f"--port={port}",
         "--ip=127.0.0.1", "--IdentityProvider.token=t", f"--ServerApp.root_dir={tmp_path}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/api/contents/01_neuron.ipynb"
    headers = {"Authorization": "token t", "Content-Type": "application/json"}

    def call(method, body=None):
        req = urllib.request.Request(url, method=method, headers=headers,
                                     data=None if body is None else json.dumps(body).encode())
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.load(resp)

    try:
        for _ in range(120):
            try:
                model = call("GET")
                break
            except OSError:
                time.sleep(0.25)
        else:
            pytest.fail("the Jupyter server did not answer within 30 s")
        cells = model["content"]["cells"]
        first_code = next(c for c in cells if c["cell_type"] == "code")
        first_code["source"] = "# edited in JupyterLab\n" + first_code["source"]
        call("PUT", {"type": "notebook", "format": "json", "content": model["content"]})
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert "# edited in JupyterLab" in (tmp_path / "01_neuron.py").read_text()
    assert clean_notebooks.pair_differences(tmp_path / "01_neuron.ipynb") == []
