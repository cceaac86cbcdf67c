"""The course environment every user's server runs in: one virtual environment, readable by all.

A student's Jupyter server runs as the student, so its Python must be one every user can run.  The
repository's own ``.venv`` often is not: pyenv's and conda's Pythons live under ``/root`` or a home
directory (mode 0700), and a clone may sit in a private folder.  So the hub gets its own environment,
``<hub home>/env``, made from a Python outside any private folder (Debian's ``/usr/bin/python3.11``, say)
and with the course installed from the repository as a normal (non-editable) package, with JupyterHub's
single-user server.  It is built once (about a minute from pip's cache) and again when pyproject.toml
changes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

from coursekit.errors import CoursekitError

SUPPORTED = ((3, 11), (3, 12), (3, 13))  # = requires-python in pyproject.toml (tests/test_hub.py checks)


def private_ancestor(path: Path) -> Path | None:
    """The first folder on the way to ``path`` that other users cannot enter, or None if they can."""
    path = Path(os.path.realpath(path))
    for folder in reversed([path, *path.parents] if path.is_dir() else list(path.parents)):
        if not os.stat(folder).st_mode & stat.S_IXOTH:
            return folder
    return None


def _version(python: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run([python, "-c", "import sys, venv, ensurepip; print(*sys.version_info[:2])"],
                             capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return tuple(int(x) for x in out.stdout.split()) if out.returncode == 0 else None


def find_shared_python(preferred: str | None = None) -> str:
    """A supported Python (with venv) that every user can run: ``preferred``, else the first that fits."""
    candidates = [preferred] if preferred else [
        getattr(sys, "_base_executable", sys.executable),
        *(f"/usr/bin/python{a}.{b}" for a, b in reversed(SUPPORTED)), "/usr/bin/python3"]
    tried = []
    for python in candidates:
        if not python or not os.path.exists(python):
            continue
        blocked = private_ancestor(Path(python))
        version = _version(python)
        if blocked is None and version in SUPPORTED:
            return python
        tried.append(f"{python} ({'inside ' + str(blocked) if blocked else 'version ' + str(version)})")
    raise CoursekitError(
        "no Python that every user can run was found" + (f": tried {'; '.join(tried)}" if tried else "")
        + "; install one (Debian: apt-get install python3.11-venv) or name it with --python")


def _fingerprint(repo: Path, python: str) -> str:
    h = hashlib.sha256(python.encode())
    for name in ("pyproject.toml", "package-lock.json"):
        if (repo / name).exists():
            h.update((repo / name).read_bytes())
    # the installed package is a copy of coursekit/: a changed library needs a new install too
    for path in sorted((repo / "coursekit").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            h.update(str(path.relative_to(repo)).encode() + path.read_bytes())
    return h.hexdigest()


def ensure_environment(env: Path, repo: Path, python: str | None = None, log=print) -> Path:
    """Build (or keep, when up to date) the shared course environment ``env``; returns its bin/ folder."""
    python = find_shared_python(python)
    stamp = env / ".coursekit-installed"
    want = _fingerprint(repo, python)
    if stamp.exists() and stamp.read_text() == want and (env / "bin" / "jupyterhub-singleuser").exists():
        return env / "bin"
    log(f"installing the course for every user into {env} (with {python}; about a minute)")
    if env.exists():
        shutil.rmtree(env)
    subprocess.run([python, "-m", "venv", str(env)], check=True)
    pip_log = env / "pip-install.log"
    with open(pip_log, "w") as out:
        done = subprocess.run([str(env / "bin" / "pip"), "install", "--disable-pip-version-check", "--no-input",
                               f"{repo}[hub]"], stdout=out, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        raise CoursekitError(f"installing the course into {env} failed; the log is {pip_log}")
    check = subprocess.run([str(env / "bin" / "python"), "-c",
                            "from coursekit.keras_setup import import_keras; import_keras(); import nbgrader"],
                           capture_output=True, text=True)
    if check.returncode != 0:
        raise CoursekitError(f"the course environment {env} does not import: {check.stderr.strip()[-300:]}")
    os.chmod(env, 0o755)
    stamp.write_text(want)
    return env / "bin"
