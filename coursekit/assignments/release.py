"""Generate the student version of the assignments (nbgrader generate_assignment).

The source notebooks are the instructor versions, solutions and hidden tests
included, one per assignment as NN_name/NN_name.ipynb; they are not part of the
installed package.  They are found in this order: --source DIR; the
source_directory of the course's nbgrader_config.py; <course-dir>/source.  The
student notebooks go to <course-dir>/release/NN_name/.  A course directory
without nbgrader_config.py gets one: three lines that call configure_course()
of this module, the one place the course's nbgrader settings live.

examples:
  coursekit release                          # all six; the course in ./grading
  coursekit release --assignment 01_neuron   # one of them
  coursekit release --course-dir /srv/course --source solutions/
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from . import ASSIGNMENT_NAMES

DEFAULT_COURSE_DIR = Path("grading")  # relative to the current directory: the course repository's layout

# What a release copies from solutions/NN_name/ besides the notebooks: nbgrader's own ignore list, plus
# the jupytext twin NN_name.py of each source notebook (it holds the solutions in plain text).
IGNORE = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "[0-9][0-9]_*.py"]

# Any TensorFlow/absl log line on stderr makes nbgrader score a correct test cell 0.  coursekit imports
# TensorFlow quietly (coursekit.keras_setup); this pattern drops what still gets through.
TF_LOG_LINES = (r"(^|\n)(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWE] |[IWE]0000 |"
                r"WARNING: All log messages before absl|.*oneDNN custom operations|"
                r".*(cuda|TensorRT|cuDNN|cuFFT|cuBLAS|CUDA|AVX2? FMA))")

CONFIG_MARKER = "nbgrader configuration written by `coursekit release`"
# The course root is this file's folder, not the folder nbgrader happens to run in: `coursekit course`
# puts the course on Jupyter's config path, and the Formgrader then runs from the server's root.
CONFIG_FILE = f'''"""{CONFIG_MARKER}: the coursekit course settings."""
import os

from coursekit.assignments.release import configure_course

configure_course(get_config(), source_directory={{source!r}},  # noqa: F821 (get_config: nbgrader)
                 root=os.path.dirname(os.path.abspath(__file__)))
'''


def configure_course(c, source_directory: str, root: str | None = None) -> None:
    """Apply the coursekit settings to an nbgrader config object ``c`` (from ``get_config()``).

    ``source_directory`` may be absolute or relative to the course directory ``root`` (default: the
    directory nbgrader runs in).  Called by ``grading/nbgrader_config.py`` and by every config
    ``coursekit release`` writes.
    """
    from coursekit.assignments.feedback import configure as configure_feedback
    from coursekit.keras_setup import quiet_tensorflow_env

    quiet_tensorflow_env()  # inherited by the kernels nbgrader starts (autograde, validate)
    c.CourseDirectory.course_id = "coursekit"
    if root is not None:
        c.CourseDirectory.root = root
    # os.path.join(root, source_directory) with an absolute path is that path: the sources may live
    # outside the course directory (solutions/ of the course repository).
    c.CourseDirectory.source_directory = source_directory
    c.CourseDirectory.ignore = IGNORE
    c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
    c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
    c.IgnorePattern.pattern = TF_LOG_LINES
    c.Execute.timeout = 300
    c.Execute.interrupt_on_timeout = True
    configure_feedback(c)


def configured_source(course_dir: Path) -> Path | None:
    """The source directory the course's ``nbgrader_config.py`` names, or None without a config."""
    from traitlets.config.loader import PyFileConfigLoader

    course_dir = Path(course_dir).resolve()
    if not (course_dir / "nbgrader_config.py").is_file():
        return None
    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(course_dir)).load_config()
    source = cfg.CourseDirectory.get("source_directory", "source")
    return (course_dir / source).resolve()


def find_source(course_dir: Path, source: Path | None = None) -> Path:
    """The folder of source notebooks: ``source``, else the course config's, else ``<course>/source``."""
    if source is not None:
        return Path(source).resolve()
    configured = configured_source(course_dir)
    if configured is not None:
        return configured
    if (Path(course_dir) / "source").is_dir():
        return (Path(course_dir) / "source").resolve()
    raise FileNotFoundError(
        f"no source notebooks for the course in {course_dir}: it has no nbgrader_config.py and no source/ "
        "folder; pass --source DIR, the folder holding NN_name/NN_name.ipynb (solutions/ of the course "
        "repository)")


def prepare_course_dir(course_dir: Path, source: Path | None = None) -> Path:
    """Make ``course_dir`` an nbgrader course whose sources are ``source`` (see :func:`find_source`).

    Writes ``nbgrader_config.py`` unless the course already has one of its own; a config written
    by an earlier ``coursekit release`` is rewritten when ``source`` changes.
    """
    course_dir = Path(course_dir).resolve()
    source = find_source(course_dir, source)
    config = course_dir / "nbgrader_config.py"
    if config.is_file() and CONFIG_MARKER not in config.read_text():
        configured = configured_source(course_dir)
        if configured != source:
            raise ValueError(f"{config} says the source notebooks are in {configured}, not {source}: "
                             "omit --source, or edit source_directory in that file")
        return course_dir
    course_dir.mkdir(parents=True, exist_ok=True)
    config.write_text(CONFIG_FILE.format(source=str(source)))
    return course_dir


def nbgrader_env(base: dict | None = None) -> dict:
    """``base`` (default: this process's environment) with this interpreter's scripts first on PATH.

    nbgrader (the command and the Formgrader) runs `alembic`, for gradebook migrations, from PATH, and
    a reader's shell need not have the venv activated.
    """
    env = dict(os.environ if base is None else base)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    return env


def nbgrader(args: list[str], course_dir: Path, **kwargs) -> subprocess.CompletedProcess:
    """Run an nbgrader subcommand in ``course_dir`` with this interpreter."""
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course_dir, env=nbgrader_env(),
                          capture_output=True, text=True, **kwargs)


def release(course_dir: Path = DEFAULT_COURSE_DIR, assignments=ASSIGNMENT_NAMES,
            source: Path | None = None) -> list[Path]:
    """Generate the student version of each assignment; return the released notebooks."""
    course_dir = Path(course_dir)
    source = find_source(course_dir, source)
    missing = [a for a in assignments if not (source / a / f"{a}.ipynb").is_file()]
    if missing:
        raise FileNotFoundError(f"source notebooks missing in {source}: "
                                + ", ".join(f"{a}/{a}.ipynb" for a in missing)
                                + "; give --source the folder holding NN_name/NN_name.ipynb")
    course_dir = prepare_course_dir(course_dir, source)
    # One nbgrader process for all of them (its start-up costs seconds): assignment ids are globs.
    pattern = assignments[0] if len(assignments) == 1 else "[0-9][0-9]_*"
    proc = nbgrader(["generate_assignment", pattern, "--force"], course_dir)
    out = []
    for name in assignments:
        released = course_dir / "release" / name / f"{name}.ipynb"
        if proc.returncode != 0 or not released.is_file():
            raise RuntimeError(f"nbgrader generate_assignment {name} failed:\n{proc.stdout}\n{proc.stderr}")
        twins = [p.name for p in released.parent.glob("*.py") if p.with_suffix(".ipynb").is_file()]
        if twins:  # a course config of its own without IGNORE: never hand out the solutions as .py
            raise RuntimeError(f"{released.parent} holds the jupytext twins {twins}, which contain the "
                               f"solutions: delete them and set c.CourseDirectory.ignore = {IGNORE} in the "
                               "course's nbgrader_config.py")
        out.append(released)
    return out


def add_arguments(parser) -> None:
    parser.add_argument("--course-dir", type=Path, default=DEFAULT_COURSE_DIR, metavar="DIR",
                        help="nbgrader course directory (default: ./grading)")
    parser.add_argument("--source", type=Path, default=None, metavar="DIR",
                        help="folder of the source notebooks NN_name/NN_name.ipynb (default: the course's "
                             "nbgrader_config.py, else <course-dir>/source)")
    parser.add_argument("--assignment", action="append", metavar="NAME",
                        help="release only this assignment, e.g. 01_neuron (repeatable; default: all six)")


def run(args) -> int:
    from coursekit.errors import CoursekitError, unknown

    for name in args.assignment or ():
        if name not in ASSIGNMENT_NAMES:
            raise unknown("assignment", name, ASSIGNMENT_NAMES)
    if args.source is None and not args.course_dir.is_dir():  # run outside the course repository, most likely
        raise CoursekitError(f"no course directory {args.course_dir.resolve()}; run coursekit in the course "
                             "repository, or pass --source DIR (the folder holding NN_name/NN_name.ipynb) to set "
                             "one up")
    if args.source is not None and not args.source.is_dir():
        raise CoursekitError(f"no folder {args.source.resolve()}; give --source the folder holding "
                             "NN_name/NN_name.ipynb (solutions/ of the course repository)")
    start = time.perf_counter()
    try:
        paths = release(args.course_dir, tuple(args.assignment or ASSIGNMENT_NAMES), args.source)
    except (FileNotFoundError, ValueError, RuntimeError) as exc:  # no sources, another config's sources
        raise CoursekitError(str(exc)) from exc
    for p in paths:
        print(f"released {p}")
    print(f"{len(paths)} assignment(s) in {time.perf_counter() - start:.1f} s")
    return 0
