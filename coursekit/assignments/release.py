"""``coursekit release``: the student release of the six assignments (nbgrader generate_assignment).

    coursekit release                       # into grading/release/
    coursekit release --course-dir /tmp/c   # another course directory (gets an nbgrader_config.py)
    coursekit release --assignment 01_neuron

The source notebooks are read from ``solutions/`` of the course repository.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from . import ASSIGNMENT_NAMES

REPO = Path(__file__).resolve().parents[2]
GRADING = REPO / "grading"
SOLUTIONS = REPO / "solutions"

CONFIG_TEMPLATE = '''"""nbgrader config written by `coursekit release`: the coursekit course settings."""
import os

os.environ["COURSEKIT_COURSE_DIR"] = os.path.dirname(os.path.abspath(__file__))
os.environ.setdefault("COURSEKIT_SOLUTIONS", {solutions!r})
load_subconfig({config!r})  # noqa: F821
'''


def prepare_course_dir(course_dir: Path, solutions: Path = SOLUTIONS) -> Path:
    """Make ``course_dir`` an nbgrader course using grading/nbgrader_config.py and ``solutions``."""
    course_dir = Path(course_dir).resolve()
    course_dir.mkdir(parents=True, exist_ok=True)
    if course_dir != GRADING.resolve():
        (course_dir / "nbgrader_config.py").write_text(
            CONFIG_TEMPLATE.format(solutions=str(Path(solutions).resolve()), config=str(GRADING / "nbgrader_config.py")))
    return course_dir


def nbgrader(args: list[str], course_dir: Path, solutions: Path = SOLUTIONS, **kwargs) -> subprocess.CompletedProcess:
    """Run an nbgrader subcommand in ``course_dir`` (quiet TensorFlow in any kernel it starts)."""
    from coursekit.keras_setup import QUIET_TF_ENV

    env = {**os.environ, **QUIET_TF_ENV, "COURSEKIT_SOLUTIONS": str(Path(solutions).resolve())}
    # nbgrader runs `alembic` (gradebook migrations) from PATH: put this interpreter's bin first.
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course_dir, env=env,
                          capture_output=True, text=True, **kwargs)


def release(course_dir: Path = GRADING, assignments=ASSIGNMENT_NAMES, solutions: Path = SOLUTIONS) -> list[Path]:
    """Generate the student version of each assignment; return the released notebooks."""
    solutions = Path(solutions)
    missing = [a for a in assignments if not (solutions / a / f"{a}.ipynb").is_file()]
    if missing:
        raise FileNotFoundError(f"source notebooks missing in {solutions}: {', '.join(missing)} "
                                "(build them with: python solutions/build_notebooks.py)")
    course_dir = prepare_course_dir(course_dir, solutions)
    # One nbgrader process for all of them (its start-up costs seconds): assignment ids are globs.
    pattern = assignments[0] if len(assignments) == 1 else "[0-9][0-9]_*"
    proc = nbgrader(["generate_assignment", pattern, "--force"], course_dir, solutions)
    out = []
    for name in assignments:
        released = course_dir / "release" / name / f"{name}.ipynb"
        if proc.returncode != 0 or not released.is_file():
            raise RuntimeError(f"nbgrader generate_assignment {name} failed:\n{proc.stdout}\n{proc.stderr}")
        out.append(released)
    return out


def add_arguments(parser) -> None:
    parser.add_argument("--course-dir", type=Path, default=GRADING,
                        help="nbgrader course directory (default: grading/ of the repository)")
    parser.add_argument("--solutions", type=Path, default=SOLUTIONS,
                        help="folder of the source notebooks (default: solutions/)")
    parser.add_argument("--assignment", action="append", choices=ASSIGNMENT_NAMES,
                        help="release only this assignment (repeatable; default: all six)")


def run(args) -> int:
    start = time.perf_counter()
    try:
        paths = release(args.course_dir, tuple(args.assignment or ASSIGNMENT_NAMES), args.solutions)
    except (FileNotFoundError, RuntimeError) as exc:
        print(f"coursekit release: {exc}", file=sys.stderr)
        return 1
    for p in paths:
        print(f"released {p}")
    print(f"{len(paths)} assignment(s) in {time.perf_counter() - start:.1f} s")
    return 0
