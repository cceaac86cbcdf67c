"""What ``probe()`` claims about the sandbox is what a child experiences (one short child run)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

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
