"""Start JupyterLab on the course: the lecture notebooks first, the nbgrader course
found by the Formgrader (instructors) and the Assignments tab (students).

Run it from the top folder of the course repository.  `make course` runs it
after the set-up; `python -m coursekit course` is the same where there is no
`coursekit` on PATH (Windows, conda).  Compared with a plain `jupyter lab`:
the server's root is the repository, so the course in grading/ is inside it, as
the Formgrader requires; grading/ is on Jupyter's configuration path, so every
nbgrader extension finds grading/nbgrader_config.py from any folder; the venv's
programs come first on PATH (the Formgrader runs alembic from there);
TensorFlow's log lines are off in every kernel; and as root (Docker images,
many lab machines) it adds --allow-root, which JupyterLab demands, and says
so in one line.  Stop it with Ctrl+C.

example:
  coursekit course                             # from the repository's top folder
  python -m coursekit course --no-browser      # then open the URL it prints
  coursekit course -- --ServerApp.ip=0.0.0.0   # after --: options for jupyter lab
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from coursekit.errors import CoursekitError

LECTURES = "notebooks"     # relative to the course repository
COURSE_DIR = "grading"     # the nbgrader course of the repository


def lab_command(folder: Path, port: int | None = None, open_browser: bool = True,
                extra: list[str] = ()) -> list[str]:
    """The ``jupyter lab`` command line serving ``folder`` and opening its lecture folder."""
    cmd = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={folder}",
           f"--LabApp.default_url=/lab/tree/{LECTURES}"]
    if running_as_root():
        cmd.append("--allow-root")
    if port is not None:
        cmd.append(f"--port={port}")
    if not open_browser:
        cmd.append("--no-browser")
    return cmd + list(extra)


def lab_environment(course_dir: Path, base: dict | None = None) -> dict:
    """``base`` (default: this process's environment) with the course's nbgrader config on Jupyter's
    configuration path, this interpreter's scripts first on PATH, and TensorFlow's log lines off
    (inherited by every kernel)."""
    from coursekit.assignments.release import nbgrader_env
    from coursekit.keras_setup import QUIET_TF_ENV

    env = nbgrader_env(base)  # the Formgrader runs alembic; a terminal finds nbgrader and coursekit
    env.update(QUIET_TF_ENV)
    others = env.get("JUPYTER_CONFIG_PATH")
    env["JUPYTER_CONFIG_PATH"] = str(course_dir) + (os.pathsep + others if others else "")
    return env


def running_as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def check_course(folder: Path, course_dir: Path) -> None:
    """Raise CoursekitError, saying what to do, when ``folder`` is not a course JupyterLab can serve."""
    if not (folder / LECTURES).is_dir():
        raise CoursekitError(f"{folder} has no {LECTURES}/ folder; run the command from the top folder of "
                             "the course repository (the one with notebooks/, grading/ and README.md), or name "
                             "it: coursekit course --root PATH")
    if not (course_dir / "nbgrader_config.py").is_file():
        raise CoursekitError(f"{course_dir} has no nbgrader_config.py, so the Formgrader would not find the "
                             f"course; run `coursekit release --course-dir {course_dir} --source solutions` first")
    if not course_dir.is_relative_to(folder):
        raise CoursekitError(f"the course directory {course_dir} is outside {folder}, which JupyterLab serves, "
                             "and nbgrader's Formgrader needs it inside; move it, or serve a folder holding both")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", type=Path, default=Path("."),
                        help="the course repository JupyterLab serves (default: the current folder)")
    parser.add_argument("--course-dir", type=Path, default=None,
                        help=f"the nbgrader course inside it (default: ROOT/{COURSE_DIR})")
    parser.add_argument("--port", type=int, default=None, help="port (default: JupyterLab's, 8888 or the next free)")
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser; open the printed URL")
    parser.add_argument("jupyter_args", nargs=argparse.REMAINDER,
                        help="after --: further options passed to jupyter lab as they are")


def run(args: argparse.Namespace) -> int:
    folder = args.root.resolve()
    course_dir = (args.course_dir or folder / COURSE_DIR).resolve()
    check_course(folder, course_dir)
    extra = [a for a in args.jupyter_args if a != "--"]
    if running_as_root():
        print("[course] running as root: starting JupyterLab with --allow-root", flush=True)
    cmd = lab_command(folder, port=args.port, open_browser=not args.no_browser, extra=extra)
    proc = subprocess.Popen(cmd, cwd=folder, env=lab_environment(course_dir))
    try:
        return proc.wait()
    except KeyboardInterrupt:  # JupyterLab got the Ctrl+C too and asks or stops on its own
        return proc.wait()
