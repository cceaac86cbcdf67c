"""The ``coursekit`` command: its subcommands, defaults and the errors a TA can act on (all fast)."""

from __future__ import annotations

import argparse
import subprocess
import sys

from coursekit.assignments import release
from coursekit.grader import cli as grade_cli
from coursekit.grader.sandbox import Limits


def _coursekit(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "coursekit.cli", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=120)


def test_help_lists_the_three_subcommands():
    res = _coursekit("--help")
    assert res.returncode == 0
    for name in ("release", "grade", "decks"):
        assert name in res.stdout


def test_grade_defaults_are_the_sandbox_limits():
    parser = argparse.ArgumentParser()
    grade_cli.add_arguments(parser)
    args = parser.parse_args(["01_neuron", "subs"])
    limits = Limits()
    assert (args.cell_timeout, args.exercise_timeout, args.submission_timeout) == (
        limits.cell_timeout, limits.exercise_timeout, limits.submission_timeout)
    assert args.memory * 2**30 == limits.memory_bytes
    assert args.course == str(release.DEFAULT_COURSE_DIR)


def test_release_without_sources_says_how_to_name_them(tmp_path):
    res = _coursekit("release", "--course-dir", tmp_path / "course", cwd=tmp_path)
    assert res.returncode == 1
    assert "Pass --source DIR" in res.stderr
    assert not (tmp_path / "course").exists()  # nothing half set up


def test_release_refuses_a_source_other_than_the_course_config_names(tmp_path):
    course = tmp_path / "course"
    course.mkdir()
    (course / "nbgrader_config.py").write_text("c = get_config()  # noqa: F821\n"
                                               "c.CourseDirectory.source_directory = 'instructor'\n")
    (tmp_path / "elsewhere" / "01_neuron").mkdir(parents=True)
    (tmp_path / "elsewhere" / "01_neuron" / "01_neuron.ipynb").write_text("{}")
    res = _coursekit("release", "--course-dir", course, "--source", tmp_path / "elsewhere", "--assignment", "01_neuron",
                     cwd=tmp_path)
    assert res.returncode == 1
    assert str(course / "instructor") in res.stderr and "omit --source" in res.stderr


def test_release_finds_the_source_its_own_config_names(tmp_path):
    (tmp_path / "src").mkdir()
    course = release.prepare_course_dir(tmp_path / "course", tmp_path / "src")
    assert release.find_source(course) == (tmp_path / "src").resolve()
    release.prepare_course_dir(course, tmp_path / "course" / "source")  # ours: rewritten on request
    assert release.find_source(course) == (tmp_path / "course" / "source").resolve()


def test_grade_on_a_missing_course_says_how_to_set_it_up(tmp_path):
    res = _coursekit("grade", "01_neuron", tmp_path, "--course-dir", tmp_path / "typo", cwd=tmp_path)
    assert res.returncode == 1
    assert "coursekit release --course-dir" in res.stderr
    assert not (tmp_path / "typo").exists()
