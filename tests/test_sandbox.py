"""What ``probe()`` claims about the sandbox is what a child experiences (one short child run)."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

import coursekit
from coursekit.grader.sandbox import Limits, prepare_workdir, probe, run_child


def test_child_runs_with_the_protections_probe_reports(tmp_path):
    p = probe()
    if os.geteuid() == 0:  # as root (CI) every layer must be available; otherwise probe says what is missing
        assert p.uid is not None and p.namespaces, p.describe()
    else:
        assert p.uid is None and any("own user" in m for m in p.missing()), p.describe()
    work = tmp_path / "work"
    work.mkdir()
    prepare_workdir(str(work), p)
    # The package's own files are code the child must read, wherever the checkout lives (under /tmp they
    # are bound back into the private /tmp): only `hide` can make one of its folders vanish.
    package = Path(coursekit.__file__).resolve().parent
    hidden_dir, control = package / "datafiles", package / "__init__.py"
    hidden = next(hidden_dir.iterdir())
    code = f"import json, os; print(json.dumps([os.getuid(), os.path.exists({str(hidden)!r}), " \
           f"os.path.exists({str(control)!r}), os.getcwd()]))"
    res = run_child([sys.executable, "-I", "-c", code], str(work), {"PATH": "/usr/bin:/bin"}, Limits(), p,
                    hide=[str(hidden_dir)])
    assert res.returncode == 0, res.stderr
    uid, sees_hidden, sees_control, cwd = json.loads(res.stdout)
    assert uid == (p.uid if p.uid is not None else os.geteuid()) and uid != 0
    assert sees_control
    assert sees_hidden != p.namespaces
    if p.namespaces:
        assert cwd == "/tmp/submission"


@pytest.fixture
def canary():
    """A world-readable file outside every course, where another course or a TA's notes could be."""
    if os.geteuid() == 0:
        base = Path("/srv")
    else:  # an unprivileged test run can only plant it in its own home
        base = Path.home()
    base.mkdir(exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="coursekit-canary-", dir=base))
    folder.chmod(0o755)
    path = folder / "other_course_solutions.txt"
    path.write_text("the answers of another course\n")
    path.chmod(0o644)
    yield path
    shutil.rmtree(folder)


def _reads(path: Path, protections, tmp_path) -> str:
    work = tmp_path / f"work{int(protections.allowlist)}"
    work.mkdir()
    prepare_workdir(str(work), protections)
    code = (f"import json\ntry:\n    print(json.dumps(open({str(path)!r}).read()))\n"
            "except OSError as e:\n    print(json.dumps(type(e).__name__))")
    res = run_child([sys.executable, "-I", "-c", code], str(work), {"PATH": "/usr/bin:/bin"}, Limits(), protections,
                    hide=[])
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def test_allow_list_hides_a_world_readable_canary_outside_the_course(canary, tmp_path):
    p = probe()
    if os.geteuid() == 0:  # CI: bubblewrap is installed by scripts/setup.sh and must give the allow-list
        assert p.allowlist, p.describe()
    if not p.allowlist:  # then the sandbox must say the canary is exposed
        assert any("no allow-list" in m or "own user" in m for m in p.missing()), p.describe()
        return
    assert _reads(canary, p, tmp_path) == "FileNotFoundError"
    # The deny-list fallback (unshare, used without bubblewrap) shows why the allow-list matters: the same
    # canary is readable there, and probe says so.
    fallback = dataclasses.replace(p, allowlist=False)
    assert _reads(canary, fallback, tmp_path) == canary.read_text()
    assert any("another course" in m for m in fallback.missing())
