"""The project's packaging promises: one dependency list in two formats, a light import, an installable wheel."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from coursekit.checks import ASSIGNMENTS, EXERCISES

from conftest import REPO

# Conda/PyPI spell a few packages differently; TensorFlow's CPU wheel is a PyPI-only name.
SAME_PACKAGE = {"tensorflow-cpu": "tensorflow"}


def _pyproject_requirements() -> dict[str, Requirement]:
    meta = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    extras = meta["optional-dependencies"]
    reqs = [Requirement(r) for r in meta["dependencies"] + extras["test"] + extras["hub"]]
    # "coursekit[hub]" in the test extra is the project itself: its packages are the hub extra's, listed above.
    return {SAME_PACKAGE.get(r.name.lower(), r.name.lower()): r for r in reqs if r.name != "coursekit"}


def _environment_requirements() -> dict[str, Requirement]:
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    specs = []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            specs += [d for d in dep["pip"] if not d.startswith("-")]
        elif not re.match(r"^(python|pip)\b", dep):
            specs.append(dep)
    reqs = [Requirement(s) for s in specs]
    return {r.name.lower(): r for r in reqs}


def test_environment_yml_lists_the_same_packages_as_pyproject():
    assert sorted(_pyproject_requirements()) == sorted(_environment_requirements())


def test_environment_yml_versions_are_compatible_with_pyproject():
    env = _environment_requirements()
    for name, req in _pyproject_requirements().items():
        a, b = req.specifier, env[name].specifier
        # Same lower bound and both admit the installed version: the two files describe one environment.
        lower = lambda s: sorted(Version(x.version) for x in s if x.operator in (">=", "=="))  # noqa: E731
        assert lower(a) == lower(b), f"{name}: pyproject {a} vs environment.yml {b}"
        assert a and b, f"{name} must carry a version range in both files"
        probe = SpecifierSet(str(a)) & SpecifierSet(str(b))
        lows = [Version(x.version) for x in a if x.operator in (">=", "==")]
        assert any(v in probe for v in lows), f"{name}: {a} and {b} do not overlap"


# -- which Pythons: requires-python is the one source; scripts/python_versions.py is the evidence behind it ------

def _supported_pythons() -> list[str]:
    """The minor versions requires-python admits, oldest first: ["3.11", "3.12", ...]."""
    spec = SpecifierSet(tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"])
    return [f"3.{minor}" for minor in range(30) if f"3.{minor}.0" in spec]


def test_requires_python_environment_yml_and_classifiers_name_the_same_pythons():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    conda_python = [d for d in env["dependencies"] if isinstance(d, str) and re.match(r"python\b", d)]
    assert len(conda_python) == 1, conda_python
    assert SpecifierSet(conda_python[0].removeprefix("python")) == SpecifierSet(project["requires-python"])
    classifiers = [c.rsplit(" :: ", 1)[1] for c in project["classifiers"]
                   if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)]
    assert classifiers == _supported_pythons()
    assert len(_supported_pythons()) >= 1


def _find_python(tmp_path, fakes: dict[str, str], *args: str, python: str | None = None):
    """Run a copy of setup.sh with a PATH holding only fake interpreters (name -> what they claim to be).

    A fake answers every call with its description ("CPython 3.9.18"), or fails like a dangling pyenv shim
    when it claims ""; it logs its arguments to calls.log.  The copy lives in tmp_path: whatever the
    script did wrong, it could not touch the checkout's .venv.
    """
    root = tmp_path / "checkout"
    (root / "scripts").mkdir(parents=True)
    shutil.copy(REPO / "scripts" / "setup.sh", root / "scripts")
    shutil.copy(REPO / "pyproject.toml", root)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("dirname", "sed"):  # all setup.sh needs before it picks an interpreter
        (bin_dir / tool).symlink_to(shutil.which(tool))
    for name, claim in fakes.items():
        answer = f"echo CPython {claim}" if claim else "exit 127"
        (bin_dir / name).write_text(f'#!/bin/sh\necho "{name} $*" >> {tmp_path}/calls.log\n{answer}\n')
        (bin_dir / name).chmod(0o755)
    env = {"PATH": str(bin_dir), "LANG": "C"} | ({"PYTHON": python} if python else {})
    return subprocess.run(["/bin/bash", root / "scripts" / "setup.sh", *args], env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("minor", range(8, 16))
def test_setup_sh_takes_a_python3_exactly_when_requires_python_admits_it(tmp_path, minor):
    res = _find_python(tmp_path, {"python3": f"3.{minor}.2"}, "--find-python")
    if f"3.{minor}" in _supported_pythons():
        assert (res.returncode, res.stdout) == (0, "python3\n"), res.stderr
    else:
        assert res.returncode == 1 and res.stdout == ""
        first, last = _supported_pythons()[0], _supported_pythons()[-1]
        assert f"needs CPython {first} to {last}" in res.stderr and "PYTHON=/path/to/python" in res.stderr


def test_setup_sh_prefers_the_newest_supported_python(tmp_path):
    supported = _supported_pythons()
    fakes = {f"python3.{minor}": f"3.{minor}.1" for minor in range(8, 16)} | {"python3": f"{supported[0]}.5"}
    assert _find_python(tmp_path / "a", fakes, "--find-python").stdout == f"python{supported[-1]}\n"
    fakes[f"python{supported[-1]}"] = ""  # the newest is a pyenv shim of a version not installed: skipped
    expected = f"python{supported[-2]}" if len(supported) > 1 else "python3"
    assert _find_python(tmp_path / "b", fakes, "--find-python").stdout == f"{expected}\n"


def test_setup_sh_refuses_an_unsupported_PYTHON_in_one_line_before_installing_anything(tmp_path):
    res = _find_python(tmp_path, {"python3.9": "3.9.18"}, python=str(tmp_path / "bin" / "python3.9"))
    assert res.returncode == 1, res.stdout + res.stderr
    assert res.stderr.count("\n") == 1 and "is CPython 3.9.18" in res.stderr, res.stderr
    calls = (tmp_path / "calls.log").read_text().splitlines()
    assert calls and all(c.startswith("python3.9 -c ") for c in calls), calls  # asked its version, no venv
    assert not (tmp_path / "checkout" / ".venv").exists()


def test_setup_sh_finds_this_interpreter_when_it_is_chosen_with_PYTHON():
    # the real version query (not a fake): the interpreter running the tests is a supported one
    res = subprocess.run(["bash", REPO / "scripts" / "setup.sh", "--find-python"], capture_output=True, text=True,
                         env=os.environ | {"PYTHON": sys.executable}, timeout=60)
    assert (res.returncode, res.stdout.strip()) == (0, sys.executable), res.stderr


# Imported in this order in one fresh interpreter; after each group, none of its forbidden modules may
# be loaded.  TensorFlow/Keras cost 3-5 s (coursekit imports them lazily, inside the functions that
# build models); the first lectures need neither scikit-learn nor Pillow either.
IMPORT_GROUPS = [
    (("coursekit", "coursekit.neuron", "coursekit.gradient_descent", "coursekit.data"),
     ("tensorflow", "keras", "sklearn", "PIL")),
    (("coursekit.backprop", "coursekit.convolution", "coursekit.cnn_architectures", "coursekit.transfer_learning",
      "coursekit.checks", "coursekit.assignments.feedback", "coursekit.grader", "coursekit.cli"),
     ("tensorflow", "keras")),
]


def test_importing_coursekit_loads_no_heavy_library():
    # The 0.3 s import goal itself is measured by benchmarks/bench_import.py, not by a timed test.
    code = (
        "import importlib, json, sys\n"
        f"groups = {IMPORT_GROUPS!r}\n"
        "found = []\n"
        "for modules, forbidden in groups:\n"
        "    for m in modules:\n"
        "        importlib.import_module(m)\n"
        "    found += [f'{modules}: {f}' for f in forbidden if f in sys.modules]\n"
        "print(json.dumps(found))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == [], f"importing these modules imported: {out}"


# -- the installed package, outside the checkout ------------------------------------------------------

def _run(cmd, **kwargs) -> subprocess.CompletedProcess:
    res = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=600, **kwargs)
    assert res.returncode == 0, f"{cmd}\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
    return res


def _site_packages(python) -> str:
    return _run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]).stdout.strip()


@pytest.mark.slow
def test_installed_wheel_releases_and_grades_outside_the_checkout(tmp_path):
    """``pip install`` of the wheel (not editable) into a fresh venv; release + grade from another folder.

    The fresh venv borrows the development venv's dependencies through a ``.pth`` line (no download of
    TensorFlow) and its ``share/jupyter`` (nbconvert's templates live there).  A ``.pth`` line adds a
    directory without running the ``.pth`` files inside it, so the editable finder that points the
    development venv at this checkout stays inactive: the test asserts where coursekit comes from.
    """
    src = tmp_path / "src"  # build from a copy: setuptools writes build/ and *.egg-info next to the sources
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    shutil.copytree(REPO / "coursekit", src / "coursekit", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
          "--disable-pip-version-check", "-w", tmp_path / "dist", src])
    wheel = next((tmp_path / "dist").glob("coursekit-*.whl"))

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv])
    python = venv / "bin" / "python"
    Path(_site_packages(python), "dev_dependencies.pth").write_text(_site_packages(sys.executable) + "\n")
    (venv / "share").mkdir()
    (venv / "share" / "jupyter").symlink_to(Path(sys.prefix) / "share" / "jupyter")
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
          "--disable-pip-version-check", wheel])

    work = tmp_path / "elsewhere"  # no course files, no checkout on any path
    work.mkdir()
    # alembic (run by nbgrader) is a dependency's script: the development venv's bin stands in for ours
    env = {"PATH": os.pathsep.join([str(venv / "bin"), str(Path(sys.executable).parent), "/usr/bin", "/bin"]),
           "HOME": str(tmp_path), "LANG": "C.UTF-8", "MPLBACKEND": "Agg"}
    where = _run([python, "-c", "import coursekit; print(coursekit.__file__)"], cwd=work, env=env).stdout.strip()
    assert Path(where).is_relative_to(venv), f"coursekit imported from {where}, not from the fresh venv"
    assert "grade" in _run([venv / "bin" / "coursekit", "--help"], cwd=work, env=env).stdout

    a = "01_neuron"
    _run([venv / "bin" / "coursekit", "release", "--course-dir", "course", "--source", REPO / "solutions",
          "--assignment", a], cwd=work, env=env)
    released = sorted(p.name for p in (work / "course" / "release" / a).iterdir())
    assert released == [f"{a}.ipynb"], released  # never the jupytext twin with the solutions

    # The instructor's notebook, solutions filled in, is a submission worth full marks.
    (work / "subs" / "alice").mkdir(parents=True)
    shutil.copy(REPO / "solutions" / a / f"{a}.ipynb", work / "subs" / "alice" / f"{a}.ipynb")
    res = _run([venv / "bin" / "coursekit", "grade", a, "subs", "--course-dir", "course", "--workers", "1",
                "--no-progress"], cwd=work, env=env)
    assert "problem:" not in res.stdout, res.stdout
    if os.geteuid() == 0:  # every sandbox layer worked with this venv layout (the venv lies under /tmp)
        assert "sandbox MISSING" not in res.stdout, res.stdout
    feedback = (work / "course" / "feedback" / "alice" / a / f"{a}.html").read_text()
    assert "could not be rendered" not in feedback and "HIDDEN TESTS" not in feedback
    with open(work / "course" / "reports" / a / "grades.csv") as fh:
        (row,) = [r for r in csv.DictReader(fh) if r["student_id"] == "alice"]
    full = sum(EXERCISES[name].points for name in ASSIGNMENTS[a])  # max_score adds the written answers
    assert float(row["score"]) == pytest.approx(full), row
