"""Fixtures of the browser tests: Debian's Chromium through Playwright, one JupyterLab server per session.

The server is the one `make course` starts (``coursekit course``), on 127.0.0.1 with a random free port and
a random token, serving a temporary copy of the lecture notebooks (``<root>/notebooks``) and an nbgrader
course (``<root>/course``, whose nbgrader_config.py ``coursekit course`` puts on Jupyter's config path).
Lab settings that would reach the network or pop up dialogs are switched off in a private settings folder;
widget state is saved with the notebook, so the decks can be exported from the notebooks run in the browser.

Every browser test is in the xdist group "browser": one worker owns the server and the browser.
Screenshots go to ``artifacts/browser/``.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from browserlib import ARTIFACTS, CHROMIUM_ARGS, REPO, chromium_executable

# Lab user settings for the test server (written into its private JUPYTERLAB_SETTINGS_DIR).
LAB_SETTINGS = {
    # no "official Jupyter news?" toast, no update check: both would reach the network
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    # render every cell (no virtual scrolling), so the tests see all outputs
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    # store widget state in the saved notebook (the decks are exported from it)
    "@jupyter-widgets/jupyterlab-manager/plugin": {"saveState": True},
}


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = chromium_executable()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def lab_root(tmp_path_factory) -> Path:
    """A temporary copy of the lecture notebooks: ``<root>/notebooks/*.ipynb``."""
    root = tmp_path_factory.mktemp("lab")
    shutil.copytree(REPO / "notebooks", root / "notebooks",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return root


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabServer:
    def __init__(self, root: Path, url: str, token: str, proc: subprocess.Popen, log: Path):
        self.root, self.url, self.token, self.proc, self.log = root, url, token, proc, log

    def api(self, path: str, method: str = "GET"):
        req = urllib.request.Request(f"{self.url}{path}", method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=30) as r:
            body = r.read()
        return json.loads(body) if body else None

    def page_url(self, path: str) -> str:
        sep = "&" if "?" in path else "?"
        return f"{self.url}{path}{sep}token={self.token}"

    def shutdown_kernels(self) -> None:
        """End every kernel (each lecture's TensorFlow kernel holds hundreds of MB)."""
        for session in self.api("/api/sessions"):
            self.api(f"/api/sessions/{session['id']}", method="DELETE")


@pytest.fixture(scope="session")
def course_dir(lab_root, repo) -> Path:
    """An nbgrader course inside the server root, one assignment released with ``coursekit release``."""
    from coursekit.assignments.release import release

    course = lab_root / "course"
    release(course, assignments=("01_neuron",), source=repo / "solutions")
    return course


@pytest.fixture(scope="session")
def lab(lab_root, course_dir, artifacts):
    private = lab_root.parent / (lab_root.name + "-jupyter")
    settings = private / "settings"
    for name, values in LAB_SETTINGS.items():
        f = settings / f"{name}.jupyterlab-settings"
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(json.dumps(values))
    # (coursekit course adds the quiet TensorFlow environment and the venv first on PATH itself)
    env = {**os.environ,
           "JUPYTERLAB_SETTINGS_DIR": str(settings), "JUPYTERLAB_WORKSPACES_DIR": str(private / "workspaces"),
           "JUPYTER_RUNTIME_DIR": str(private / "runtime"), "JUPYTER_CONFIG_DIR": str(private / "config"),
           "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    port, token = free_port(), secrets.token_hex(16)
    log = artifacts / "jupyterlab.log"
    # The server a user gets from `make course` (coursekit course: --allow-root as root, the course's
    # nbgrader config found), plus what a test needs after `--`.
    cmd = [sys.executable, "-m", "coursekit", "course", "--root", str(lab_root), "--course-dir", str(course_dir),
           "--no-browser", f"--port={port}", "--", "--ip=127.0.0.1", "--port-retries=0",
           f"--IdentityProvider.token={token}", "--LabApp.news_url=None",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           "--LabApp.expose_app_in_browser=True"]
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=lab_root, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    server = LabServer(lab_root, f"http://127.0.0.1:{port}", token, proc, log)
    deadline = time.monotonic() + 180
    while True:
        if proc.poll() is not None:
            pytest.fail(f"JupyterLab exited with {proc.returncode}:\n{log.read_text()[-3000:]}", pytrace=False)
        try:
            server.api("/api/status")
            break
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"JupyterLab did not answer within 180 s:\n{log.read_text()[-3000:]}", pytrace=False)
            time.sleep(0.5)
    yield server
    try:
        server.shutdown_kernels()
        server.api("/api/shutdown", method="POST")
        proc.wait(timeout=20)
    except Exception:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


