"""The ``coursekit`` command: its help, its defaults, and one line for every error a person can act on.

Every error is driven through the real entry point (``python -m coursekit``), and checked for the exit
status, a single line on stderr naming what was wrong and what to do, and no traceback.  None of these
paths imports TensorFlow or runs nbgrader: they fail before anything heavy starts.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import textwrap
import zipfile

import pytest

from coursekit import cli
from coursekit.assignments import ASSIGNMENT_NAMES, release
from coursekit.grader import cli as grade_cli
from coursekit.grader.sandbox import Limits

# Root reads files of mode 000 through two capabilities; without them (util-linux's setpriv) it cannot, as a
# TA's own user cannot.
AS_AN_ORDINARY_READER = (["setpriv", "--bounding-set=-dac_override,-dac_read_search"]
                         if os.geteuid() == 0 else [])


def _coursekit(*args, cwd=None, prefix=()) -> subprocess.CompletedProcess:
    return subprocess.run([*prefix, sys.executable, "-m", "coursekit", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=120)


def _one_line(res: subprocess.CompletedProcess, status: int = 1) -> str:
    """The single stderr line of a command that failed with ``status``."""
    assert res.returncode == status, res.stdout + res.stderr
    assert "Traceback" not in res.stderr, res.stderr
    lines = res.stderr.splitlines()
    assert len(lines) == 1, res.stderr
    return lines[0]


# -- help ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", [None, *cli.SUBCOMMANDS])
def test_help_is_prose_with_an_example(command):
    res = _coursekit(*([command] if command else []), "--help")
    assert res.returncode == 0, res.stderr
    assert "``" not in res.stdout and ":func:" not in res.stdout  # reST markup read as prose is noise
    assert "example" in res.stdout
    assert "usage: coursekit" in res.stdout
    if command is None:
        for name in cli.SUBCOMMANDS:
            assert f"\n    {name} " in res.stdout  # listed with its one-line help
    else:
        assert f"coursekit {command}" in res.stdout.split("example", 1)[1]  # the example runs this command


def test_no_command_prints_the_help():
    res = _coursekit()
    assert res.returncode == 2
    assert "usage: coursekit" in res.stdout and "grade" in res.stdout


def test_a_mistyped_command_line_is_one_line_with_status_2(tmp_path):
    line = _one_line(_coursekit("grade", "01_neuron", cwd=tmp_path), status=2)
    assert line.startswith("coursekit grade: ") and "submissions" in line and "coursekit grade --help" in line
    line = _one_line(_coursekit("gradee", cwd=tmp_path), status=2)
    assert "gradee" in line and "'grade'" in line


def test_grade_defaults_are_the_sandbox_limits():
    parser = argparse.ArgumentParser()
    grade_cli.add_arguments(parser)
    args = parser.parse_args(["01_neuron", "subs"])
    limits = Limits()
    assert (args.cell_timeout, args.exercise_timeout, args.submission_timeout) == (
        limits.cell_timeout, limits.exercise_timeout, limits.submission_timeout)
    assert args.memory * 2**30 == limits.memory_bytes
    assert args.course == str(release.DEFAULT_COURSE_DIR)


# -- unknown assignments --------------------------------------------------------------------------------

@pytest.mark.parametrize("command", [["grade", "07_unknown", "export.zip"], ["release", "--assignment", "07_unknown"]])
def test_an_unknown_assignment_is_one_line_listing_the_six(tmp_path, command):
    res = _coursekit(*command, cwd=tmp_path)
    line = _one_line(res)
    assert line.startswith(f"coursekit {command[0]}: ") and "'07_unknown'" in line
    assert all(name in line for name in ASSIGNMENT_NAMES)
    assert res.stdout == ""  # before the sandbox probe and nbgrader: nothing ran
    assert list(tmp_path.iterdir()) == []  # nothing written


@pytest.mark.parametrize("command", ["grade", "release"])
def test_a_mistyped_assignment_gets_a_guess(tmp_path, command):
    args = ["grade", "01_nueron", "export.zip"] if command == "grade" else ["release", "--assignment", "03_backprob"]
    line = _one_line(_coursekit(*args, cwd=tmp_path))
    assert "did you mean " + ("01_neuron?" if command == "grade" else "03_backprop?") in line


# -- grade: the course and the submissions -----------------------------------------------------------

def test_grade_on_a_missing_course_says_how_to_set_it_up(tmp_path):
    (tmp_path / "subs").mkdir()
    line = _one_line(_coursekit("grade", "01_neuron", "subs", "--course-dir", tmp_path / "typo", cwd=tmp_path))
    assert str(tmp_path / "typo") in line and "coursekit release --course-dir" in line
    assert not (tmp_path / "typo").exists()


def test_grade_on_a_folder_without_nbgrader_config_says_it_is_no_course(tmp_path):
    (tmp_path / "subs").mkdir()
    (tmp_path / "course").mkdir()
    line = _one_line(_coursekit("grade", "01_neuron", "subs", "--course-dir", "course", cwd=tmp_path))
    assert "nbgrader_config.py" in line and "coursekit release --course-dir course" in line
    assert list((tmp_path / "course").iterdir()) == []  # no gradebook left behind


def _submission(tmp_path, kind: str) -> tuple[str, str]:
    """A bad submissions argument of ``kind``, and a word the error line must contain as the remedy."""
    if kind == "missing":
        return "moodle_exprot.zip", "a folder of <student>/"
    if kind == "notebook":
        (tmp_path / "01_neuron.ipynb").write_text("{}")
        return "01_neuron.ipynb", "<student>/01_neuron.ipynb"
    if kind == "truncated zip":  # a download cut short
        with zipfile.ZipFile(tmp_path / "full.zip", "w") as zf:
            zf.writestr("jane_12345_678_01_neuron.ipynb", "{}" * 1000)
        (tmp_path / "export.zip").write_bytes((tmp_path / "full.zip").read_bytes()[:-30])
        return "export.zip", "download the zip again"
    if kind == "unreadable":
        with zipfile.ZipFile(tmp_path / "export.zip", "w") as zf:
            zf.writestr("jane_12345_678_01_neuron.ipynb", "{}")
        os.chmod(tmp_path / "export.zip", 0)
        return "export.zip", "chmod"
    raise ValueError(kind)


@pytest.mark.parametrize("kind", ["missing", "notebook", "truncated zip", "unreadable"])
def test_grade_names_a_bad_submissions_argument_and_the_fix(tmp_path, kind):
    path, remedy = _submission(tmp_path, kind)
    res = _coursekit("grade", "01_neuron", path, cwd=tmp_path,
                     prefix=AS_AN_ORDINARY_READER if kind == "unreadable" else ())
    line = _one_line(res)
    assert line.startswith("coursekit grade: ") and path in line and remedy in line
    assert res.stdout == ""


def test_debug_shows_the_traceback_before_or_after_the_command(tmp_path):
    for args in (["--debug", "grade", "07_unknown", "x"], ["grade", "07_unknown", "x", "--debug"]):
        res = _coursekit(*args, cwd=tmp_path)
        assert res.returncode == 1
        assert "Traceback (most recent call last)" in res.stderr
        assert "CoursekitError: there is no assignment '07_unknown'" in res.stderr


# -- release ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("course_exists", [False, True])
def test_release_without_sources_says_how_to_name_them(tmp_path, course_exists):
    if course_exists:
        (tmp_path / "course").mkdir()
    line = _one_line(_coursekit("release", "--course-dir", tmp_path / "course", cwd=tmp_path))
    assert str(tmp_path / "course") in line and "pass --source DIR" in line
    assert list(tmp_path.iterdir()) == ([tmp_path / "course"] if course_exists else [])  # nothing half set up
    if course_exists:
        assert list((tmp_path / "course").iterdir()) == []


def test_release_from_a_source_folder_that_does_not_exist(tmp_path):
    line = _one_line(_coursekit("release", "--source", "solutoins", cwd=tmp_path))
    assert str(tmp_path / "solutoins") in line and "NN_name/NN_name.ipynb" in line


def test_release_from_a_source_folder_without_the_notebook(tmp_path):
    (tmp_path / "src").mkdir()
    line = _one_line(_coursekit("release", "--course-dir", "course", "--source", "src",
                                "--assignment", "02_gradient_descent", cwd=tmp_path))
    assert "02_gradient_descent/02_gradient_descent.ipynb" in line and "--source" in line


def test_release_refuses_a_source_other_than_the_course_config_names(tmp_path):
    course = tmp_path / "course"
    course.mkdir()
    (course / "nbgrader_config.py").write_text("c = get_config()  # noqa: F821\n"
                                               "c.CourseDirectory.source_directory = 'instructor'\n")
    (tmp_path / "elsewhere" / "01_neuron").mkdir(parents=True)
    (tmp_path / "elsewhere" / "01_neuron" / "01_neuron.ipynb").write_text("{}")
    line = _one_line(_coursekit("release", "--course-dir", course, "--source", tmp_path / "elsewhere",
                                "--assignment", "01_neuron", cwd=tmp_path))
    assert str(course / "instructor") in line and "omit --source" in line


def test_release_finds_the_source_its_own_config_names(tmp_path):
    (tmp_path / "src").mkdir()
    course = release.prepare_course_dir(tmp_path / "course", tmp_path / "src")
    assert release.find_source(course) == (tmp_path / "src").resolve()
    release.prepare_course_dir(course, tmp_path / "course" / "source")  # ours: rewritten on request
    assert release.find_source(course) == (tmp_path / "course" / "source").resolve()


# -- decks --------------------------------------------------------------------------------------------

def test_decks_of_a_notebook_that_does_not_exist(tmp_path):
    line = _one_line(_coursekit("decks", "notebooks/01_nueron.ipynb", cwd=tmp_path))
    assert "notebooks/01_nueron.ipynb" in line and "notebooks/01_neuron.ipynb" in line
    assert list(tmp_path.iterdir()) == []


def test_decks_outside_the_course_repository(tmp_path):
    line = _one_line(_coursekit("decks", cwd=tmp_path))
    assert str(tmp_path / "notebooks") in line and "course repository" in line


def test_decks_without_the_npm_assets_say_how_to_install_them(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "01_tiny.ipynb").write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    line = _one_line(_coursekit("decks", "01_tiny.ipynb", "--assets", "empty", "-o", "out", cwd=tmp_path))
    assert str(tmp_path / "empty") in line or "empty" in line
    assert "scripts/setup.sh" in line and "--assets" in line
    assert not (tmp_path / "out").exists()  # failed before running the notebook or writing anything


# -- course -------------------------------------------------------------------------------------------

def test_course_outside_the_course_repository(tmp_path):
    line = _one_line(_coursekit("course", "--no-browser", cwd=tmp_path))
    assert f"{tmp_path} has no notebooks/" in line and "--root" in line


def test_course_without_an_nbgrader_config_says_how_to_make_one(tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "grading").mkdir()
    line = _one_line(_coursekit("course", "--no-browser", cwd=tmp_path))
    assert "nbgrader_config.py" in line and "coursekit release --course-dir" in line


def test_course_refuses_a_course_directory_outside_what_it_serves(tmp_path):
    (tmp_path / "repo" / "notebooks").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "nbgrader_config.py").write_text("")
    line = _one_line(_coursekit("course", "--root", "repo", "--course-dir", "elsewhere", cwd=tmp_path))
    assert "outside" in line and "Formgrader" in line


@pytest.mark.parametrize("root", [True, False])
def test_course_adds_allow_root_only_as_root(root, monkeypatch, tmp_path):
    from coursekit import course

    monkeypatch.setattr(course, "running_as_root", lambda: root)
    cmd = course.lab_command(tmp_path, port=8890, open_browser=False, extra=["--ServerApp.ip=0.0.0.0"])
    assert ("--allow-root" in cmd) is root
    assert cmd[:3] == [sys.executable, "-m", "jupyterlab"] and f"--ServerApp.root_dir={tmp_path}" in cmd
    assert cmd[-3:] == ["--port=8890", "--no-browser", "--ServerApp.ip=0.0.0.0"]


def test_course_environment_finds_the_course_and_the_venv(tmp_path):
    from coursekit import course

    env = course.lab_environment(tmp_path, base={"PATH": "/usr/bin", "JUPYTER_CONFIG_PATH": "/etc/other"})
    assert env["JUPYTER_CONFIG_PATH"].split(os.pathsep) == [str(tmp_path), "/etc/other"]
    assert env["PATH"].split(os.pathsep)[0] == os.path.dirname(sys.executable)
    assert env["TF_CPP_MIN_LOG_LEVEL"] == "3"


# -- errors nobody foresaw, Ctrl-C --------------------------------------------------------------------

@pytest.fixture
def failing_command(tmp_path, monkeypatch):
    """A subcommand ``boom`` whose run() raises what --kind says."""
    (tmp_path / "boom_command.py").write_text(textwrap.dedent('''
        """Fail on purpose.

        example:
          coursekit boom --kind bug
        """

        import argparse

        def add_arguments(parser):
            parser.add_argument("--kind", default="bug")
            parser.add_argument("rest", nargs=argparse.REMAINDER)

        def run(args):
            if args.kind == "bug":
                return {}["missing key"]
            if args.kind == "echo":
                print(args.rest)
                return 0
            raise KeyboardInterrupt
        '''))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(cli.SUBCOMMANDS, "boom", ("boom_command", "fail on purpose"))


def test_an_unexpected_error_is_one_line_that_points_to_debug(failing_command, capsys):
    assert cli.main(["boom"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("coursekit boom: KeyError: 'missing key'") and "rerun with --debug" in err
    with pytest.raises(KeyError):
        cli.main(["boom", "--debug"])


def test_ctrl_c_is_one_line_with_status_130(failing_command, capsys):
    assert cli.main(["boom", "--kind", "interrupt"]) == 130
    assert capsys.readouterr().err == "coursekit boom: interrupted\n"


def test_debug_after_a_double_dash_is_passed_on(failing_command, capsys):
    assert cli.main(["boom", "--kind", "echo", "--", "--debug"]) == 0
    assert capsys.readouterr().out == "['--', '--debug']\n"
