"""The project's packaging promises: one dependency list in two formats, a fast import."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from conftest import REPO

# Conda/PyPI spell a few packages differently; TensorFlow's CPU wheel is a PyPI-only name.
SAME_PACKAGE = {"tensorflow-cpu": "tensorflow"}


def _pyproject_requirements() -> dict[str, Requirement]:
    meta = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    reqs = [Requirement(r) for r in meta["dependencies"] + meta["optional-dependencies"]["test"]]
    return {SAME_PACKAGE.get(r.name.lower(), r.name.lower()): r for r in reqs}


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
        assert any(Version(x.version) in probe for x in a if x.operator == ">="), f"{name}: {a} and {b} do not overlap"


def test_environment_yml_asks_for_python_311():
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    assert "python=3.11" in env["dependencies"]


def test_importing_the_lecture_library_does_not_import_tensorflow():
    # The 0.3 s import goal itself is measured by benchmarks/bench_import.py, not by a timed test.
    code = (
        "import sys, coursekit, coursekit.neuron, coursekit.gradient_descent, coursekit.backprop, "
        "coursekit.convolution, coursekit.cnn_architectures, coursekit.transfer_learning, coursekit.data; "
        "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", f"importing coursekit imported {out.strip()}"
