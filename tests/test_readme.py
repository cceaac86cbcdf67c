"""README.md is executable documentation: every command of its fenced shell blocks runs here, as written.

Each README section with commands (set-up, Windows and conda, TAs, lecturers, development) is one test.
Its commands run in order, in a scratch copy of the course (the repository's files, its `.venv` and
`node_modules` linked in), with a PATH that does not hold the venv (a reader's shell is not activated)
and HOME in the scratch folder (so `~/...` paths stay there). A command

- that starts a server (`make course`, `python -m coursekit course`) is started, asked over HTTP for what
  the README promises (the lectures, the Formgrader's six assignments, a student's Assignments tab that
  fetches what the Formgrader released), and stopped;
- listed in NOT_RUN_HERE is not run, for the reason given there (each says what tests it instead), and a
  stale entry fails;
- anything else must exit with status 0; some are followed by a check that it did what the README says.

The TA section gets a small Moodle zip (two students, one with a known mistake) made from its own release,
and the `python` block of the student section runs with a correct and a flipped-kernel `conv2d`.
"""

from __future__ import annotations

import csv
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from coursekit.assignments import ASSIGNMENT_NAMES
from coursekit.assignments.cells import nbgrader_metadata, solution_sources
from coursekit.checks import ASSIGNMENTS, EXERCISES

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"

# Commands that start JupyterLab: started, checked over HTTP, stopped.
SERVERS = {"make course", "python -m coursekit course", r".venv\Scripts\python -m coursekit course"}

NOT_RUN_HERE = {
    "make test": "it is what runs this test: .ci/run calls it (test_ci_runs_the_readme_test_command)",
    "py -3.12 -m venv .venv": "Windows only; the venv it makes is the one `make course` makes here",
    r".venv\Scripts\python -m pip install -e .": "it would re-point the shared venv at the scratch copy; "
    "tests/test_packaging.py installs the package into a fresh venv instead",
    "conda env create -f environment.yml": "no conda here (conda-forge is not reachable); "
    "tests/test_packaging.py keeps environment.yml in step with pyproject.toml",
    "conda activate coursekit": "no conda here; `python` is then the venv's, as after activation",
    "dask scheduler": "a server that runs until stopped; tests/test_cluster.py starts a real scheduler and two "
    "workers and grades through --scheduler",
    "dask worker tcp://HOST:8786 --nthreads 1": "needs a running scheduler at HOST; tests/test_cluster.py starts "
    "the workers the same way (--nthreads 1)",
    ".venv/bin/coursekit grade 04_convolution moodle_export.zip --scheduler tcp://HOST:8786": "needs a Dask "
    "cluster at HOST; tests/test_cluster.py grades through a local one",
    'sudo make hub ROSTER=class.csv HUB_ARGS="--ip 0.0.0.0 --port 8000"': "makes Unix accounts and serves until "
    "stopped; tests/browser/test_browser_5_hub.py runs its two steps (coursekit hub setup, coursekit hub start) "
    "on a roster of four and takes a class through them in Chromium",
    "sudo .venv/bin/coursekit hub setup class.csv": "makes Unix accounts; tests/browser/test_browser_5_hub.py "
    "runs it (tests/test_hub.py checks the roster's errors)",
    "coursekit grade 01_neuron /srv/coursekit/exchange/coursekit/inbound --course-dir ~/course --release-feedback":
    "runs in a TA's account on the hub; tests/browser/test_browser_5_hub.py runs it there, as the TA",
}

# What a command on the README must be rewritten to, to run on this Linux machine.
WINDOWS_TO_LINUX = [(r".venv\Scripts\python", ".venv/bin/python")]

# Narrowing that keeps a command from running the whole suite inside the suite (the command is the same).
NARROW = {"make test-fast": {"PYTEST_ARGS": "tests/test_validation.py"}}

MOODLE_ZIP = "moodle_export.zip"
FLIPPED = next(m for m in EXERCISES["conv2d"].mistakes if "flipped" in m.message)


@dataclass(frozen=True)
class Command:
    section: str   # the README heading (##) it is under
    language: str  # the fence's language: bash, powershell
    line: str      # the command as written, without its trailing comment


def readme_blocks(text: str) -> list[tuple[str, str, str]]:
    """(section, language, body) of every fenced block, in order."""
    blocks, section = [], ""
    # a fence may be indented (a block inside a numbered step)
    for part in re.split(r"(^ *```[a-z]*\n.*?^ *```$)", text, flags=re.S | re.M):
        if part.lstrip(" ").startswith("```"):
            language, body = part.lstrip(" ")[3:].split("\n", 1)
            blocks.append((section, language, body.rsplit("```", 1)[0]))
        else:
            headings = re.findall(r"^## (.+)$", part, flags=re.M)
            section = headings[-1] if headings else section
    return blocks


def readme_commands(text: str) -> list[Command]:
    """The shell commands of the README, in order (comment lines and trailing comments dropped)."""
    out = []
    for section, language, body in readme_blocks(text):
        if language not in ("bash", "sh", "powershell"):
            continue
        for line in body.splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip()
            if line and not line.startswith("#"):
                out.append(Command(section, language, line))
    return out


COMMANDS = readme_commands(README.read_text())
SECTIONS = list(dict.fromkeys(c.section for c in COMMANDS))


def test_the_readme_has_the_commands_of_every_user():
    assert {"make course", "make test"} <= {c.line for c in COMMANDS}
    assert any("coursekit grade" in c.line for c in COMMANDS)
    assert any("decks" in c.line for c in COMMANDS)
    stale = set(NOT_RUN_HERE) - {c.line for c in COMMANDS}
    assert not stale, f"NOT_RUN_HERE lists commands the README no longer has: {stale}"


def test_ci_runs_the_readme_test_command(repo):
    ci = [re.sub(r"\s*<\s*/dev/null$", "", line.strip()) for line in (repo / ".ci" / "run").read_text().splitlines()]
    assert "make test" in ci, ".ci/run must run the README's test command, `make test`"


# -- the scratch copy ---------------------------------------------------------------------------------

def course_files(repo: Path) -> list[str]:
    """The repository's files as a clone has them (tracked, plus new files not ignored)."""
    out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=repo, capture_output=True,
                         text=True, check=True).stdout
    return [f for f in out.splitlines() if (repo / f).is_file()]


@pytest.fixture(scope="module")
def scratch(tmp_path_factory, repo) -> Path:
    stamp = repo / ".venv" / ".coursekit-installed[test]"  # written by scripts/setup.sh --test
    if not stamp.is_file() or stamp.stat().st_mtime < (repo / "pyproject.toml").stat().st_mtime:
        pytest.fail("the venv is older than pyproject.toml, so the README's set-up would reinstall into it from "
                    "the scratch copy; run `bash scripts/setup.sh --test` first (`make test` does)", pytrace=False)
    root = tmp_path_factory.mktemp("readme") / "coursekit"
    for name in course_files(repo):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(repo / name, root / name)  # mtimes kept: the set-up sees nothing to reinstall
    for installed in (".venv", "node_modules"):
        if (repo / installed).exists():
            (root / installed).symlink_to(repo / installed)
    (root.parent / "home").mkdir()
    return root


def reader_env(scratch: Path, **extra) -> dict:
    """A reader's shell: no venv on PATH, HOME beside the scratch copy."""
    venv_bin = str(REPO / ".venv" / "bin")
    path = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p and p != venv_bin
            and Path(p).resolve() != Path(sys.executable).parent.resolve()]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_"))}
    env.update(PATH=os.pathsep.join(path), HOME=str(scratch.parent / "home"), **extra)
    env.pop("VIRTUAL_ENV", None)
    return env


def as_run_here(command: Command) -> str:
    line = command.line
    if command.language == "powershell":
        for windows, linux in WINDOWS_TO_LINUX:
            line = line.replace(windows, linux)
    return line


def run_command(command: Command, scratch: Path, env: dict, timeout: float = 900) -> str:
    line = as_run_here(command)
    env = {**env, **NARROW.get(line, {})}
    proc = subprocess.run(["bash", "-c", line], cwd=scratch, env=env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)
    assert_shared_venv_untouched(proc.stdout + proc.stderr)
    assert proc.returncode == 0, (f"README command `{command.line}` ({command.section}) exited with "
                                  f"{proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc.stdout + proc.stderr


def assert_shared_venv_untouched(output: str) -> None:
    """The scratch copy shares the repository's venv: a command must not reinstall into it (an editable
    install from the scratch copy would send every later import of coursekit there)."""
    assert "installing coursekit" not in output, f"the set-up reinstalled into the shared venv:\n{output[-2000:]}"
    origin = subprocess.run([sys.executable, "-c", "import coursekit; print(coursekit.__file__)"], cwd="/",
                            capture_output=True, text=True).stdout.strip()
    assert Path(origin).resolve().is_relative_to(REPO), f"the venv now imports coursekit from {origin}"


# -- servers --------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A README command that serves JupyterLab, on a port and token chosen through Jupyter's environment."""

    def __init__(self, command: Command, scratch: Path, env: dict, log: Path):
        self.port, self.token, self.log = free_port(), secrets.token_hex(16), log
        env = {**env, "JUPYTER_PORT": str(self.port), "JUPYTER_TOKEN": self.token}
        line = as_run_here(command)
        if line.startswith("python "):  # as after `conda activate`: the environment's python first
            env["PATH"] = str(scratch / ".venv" / "bin") + os.pathsep + env["PATH"]
        with open(log, "w") as out:
            self.proc = subprocess.Popen(["bash", "-c", line], cwd=scratch, env=env, stdout=out,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         start_new_session=True)

    def request(self, path: str, method: str = "GET", follow: bool = True):
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method=method,
                                     headers={"Authorization": f"token {self.token}"})
        opener = urllib.request.build_opener() if follow else urllib.request.build_opener(NoRedirect)
        with opener.open(req, timeout=120) as r:
            body = r.read()
            return r.status, r.headers, body

    def api(self, path: str, method: str = "GET"):
        body = self.request(path, method)[2]
        return json.loads(body) if body else None

    def wait_ready(self, seconds: float = 300) -> None:
        deadline = time.monotonic() + seconds
        while True:
            assert self.proc.poll() is None, f"exited with {self.proc.returncode}:\n{self.log.read_text()[-3000:]}"
            try:
                self.api("/api/status")
                return
            except OSError:
                assert time.monotonic() < deadline, f"no answer in {seconds} s:\n{self.log.read_text()[-3000:]}"
                time.sleep(0.5)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def check_course_server(server: Server, scratch: Path) -> None:
    """What the README says `make course` opens."""
    server.wait_ready()
    # JupyterLab opens on the lecture folder ...
    try:
        status, headers, _ = server.request("/", follow=False)
    except urllib.error.HTTPError as redirect:
        status, headers = redirect.code, redirect.headers
    assert status == 302 and headers["Location"].split("?")[0].endswith("/lab/tree/notebooks"), (status, dict(headers))
    lectures = sorted(c["name"] for c in server.api("/api/contents/notebooks")["content"]
                      if c["name"].endswith(".ipynb"))
    assert lectures == sorted(p.name for p in (scratch / "notebooks").glob("*.ipynb")) and len(lectures) == 6
    # ... the Formgrader finds the course of grading/ and its six assignments ...
    assert [a["name"] for a in server.api("/formgrader/api/assignments")] == list(ASSIGNMENT_NAMES)
    # ... and what it releases reaches a student's Assignments tab on the same machine, who can fetch it.
    listing = server.api("/assignments?course_id=coursekit")
    assert listing["success"], listing["value"]
    server.api("/formgrader/api/assignment/01_neuron/assign", method="POST")     # nbgrader generate
    server.api("/formgrader/api/assignment/01_neuron/release", method="POST")    # to the exchange
    released = server.api("/assignments?course_id=coursekit")["value"]
    assert [(a["assignment_id"], a["status"]) for a in released] == [("01_neuron", "released")], released
    fetched = server.api("/assignments/fetch?course_id=coursekit&assignment_id=01_neuron", method="POST")
    assert fetched["success"], fetched
    assert list(scratch.glob("**/01_neuron/01_neuron.ipynb")), "the fetched assignment is not in the root"


def undo_release(scratch: Path) -> None:
    """Each server command starts from the course as cloned."""
    for made in ("grading/release", "grading/exchange", "grading/gradebook.db", "01_neuron", "coursekit"):
        path = scratch / made
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


# -- section checks -------------------------------------------------------------------------------------

def make_moodle_zip(scratch: Path) -> None:
    """Two students' 04_convolution from the scratch course's release: one correct, one flipped kernel."""
    assignment = "04_convolution"
    released = scratch / "grading" / "release" / assignment / f"{assignment}.ipynb"
    answers = solution_sources(nbformat.read(scratch / "solutions" / assignment / f"{assignment}.ipynb", 4))
    with zipfile.ZipFile(scratch / MOODLE_ZIP, "w") as zf:
        for student, wrong in (("Ada Lovelace_100_assignsubmission_file_", {}),
                               ("Alan Turing_101_assignsubmission_file_", {"conv2d": FLIPPED.example})):
            nb = nbformat.read(released, 4)
            for cell in nb.cells:
                gid = nbgrader_metadata(cell).get("grade_id")
                if nbgrader_metadata(cell).get("solution") and gid in answers:
                    cell.source = wrong.get(gid, answers[gid])
            zf.writestr(f"{student}/{assignment}.ipynb", nbformat.writes(nb))


def check_grades(scratch: Path, output: str) -> None:
    csv_path = next((scratch / "grading" / "reports" / "04_convolution").glob("grades.csv"), None)
    assert csv_path, f"no grades.csv:\n{output[-2000:]}"
    with open(csv_path) as fh:
        scores = {r["student_id"]: float(r["score"]) for r in csv.DictReader(fh)}
    assert len(scores) == 2, scores
    ada = next(v for k, v in scores.items() if "100" in k)
    alan = next(v for k, v in scores.items() if "101" in k)
    assert ada == sum(EXERCISES[n].points for n in ASSIGNMENTS["04_convolution"])
    assert alan < ada


def write_class_list(scratch: Path) -> dict[str, int]:
    """The README's example class list (its block that starts with the CSV header) as class.csv; role counts."""
    body = next(b for _, lang, b in readme_blocks(README.read_text()) if b.startswith("username,role,name\n"))
    (scratch / "class.csv").write_text(body)
    rows = list(csv.DictReader(body.splitlines()))
    return {role: sum(r["role"] == role for r in rows) for role in ("instructor", "ta", "student")}


def check_class_list(scratch: Path, output: str) -> None:
    counts = write_class_list(scratch)
    assert "the class list is valid" in output, output
    for role, n in counts.items():  # none of the README's example people has an account here
        assert re.search(rf"^{role}s +{n} \({n} new account", output, flags=re.M), output


AFTER = {  # a check of what a command promised, by a word of the command
    "coursekit release": lambda scratch, out: [
        (scratch / "grading" / "release" / a / f"{a}.ipynb").is_file() or pytest.fail(f"{a} not released")
        for a in ASSIGNMENT_NAMES],
    "coursekit grade": check_grades,
    "make decks": lambda scratch, out: (
        sorted(p.name for p in (scratch / "decks").glob("*.slides.html"))
        == sorted(p.stem + ".slides.html" for p in (scratch / "notebooks").glob("*.ipynb"))
        or pytest.fail(f"decks/ holds {sorted(os.listdir(scratch / 'decks'))}")),
    "decks notebooks/02_gradient_descent.ipynb -o ~/usb-stick/decks": lambda scratch, out: (
        (scratch.parent / "home" / "usb-stick" / "decks" / "02_gradient_descent.slides.html").is_file()
        or pytest.fail(out[-2000:])),
    "hub setup class.csv --check": check_class_list,
    "--check-fit": lambda scratch, out: (
        re.search(r"05_cnn_architectures\.slides\.html: all \d+ slides fit 1280x720", out) or pytest.fail(out[-2000:])),
}


@pytest.mark.slow
@pytest.mark.xdist_group("readme")
@pytest.mark.parametrize("section", SECTIONS)
def test_readme_section_commands_work_as_written(section, scratch, tmp_path):
    env = reader_env(scratch)
    ran = []
    for command in (c for c in COMMANDS if c.section == section):
        if command.line in NOT_RUN_HERE:
            continue
        if as_run_here(command) in SERVERS or command.line in SERVERS:
            server = Server(command, scratch, env, tmp_path / "server.log")
            try:
                check_course_server(server, scratch)
            finally:
                server.stop()
                undo_release(scratch)
            log = server.log.read_text()
            assert_shared_venv_untouched(log)
            assert "No nbgrader_config.py" not in log and "Traceback" not in log, log[-3000:]
            if os.geteuid() == 0:
                assert log.count("--allow-root") == 1, "as root, one line says --allow-root is added"
            ran.append(command.line)
            continue
        if MOODLE_ZIP in command.line:
            make_moodle_zip(scratch)
        if "class.csv" in command.line:
            write_class_list(scratch)
        output = run_command(command, scratch, env)
        for words, check in AFTER.items():
            if words in command.line:
                check(scratch, output)
        ran.append(command.line)
    assert ran, f"no command of the README section {section!r} ran here"


@pytest.mark.slow
def test_student_snippet_reports_a_pass_and_the_quoted_mistake(repo, tmp_path):
    """The `python` block of the student section, after a correct conv2d and after a flipped one."""
    block = next(body for section, language, body in readme_blocks(README.read_text())
                 if language == "python" and "self_check" in body)
    quoted = re.search(r"`(likely mistake: [^`]+)`", README.read_text()).group(1)
    outputs = {}
    for label, answer in (("correct", EXERCISES["conv2d"].answer), ("flipped", FLIPPED.example)):
        script = tmp_path / f"{label}.py"
        script.write_text("import numpy as np\n" + answer + "\n" + block)
        proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr[-2000:]
        outputs[label] = proc.stdout
    assert "likely mistake" not in outputs["correct"] and f"{EXERCISES['conv2d'].points:g}/" in outputs["correct"]
    assert quoted in outputs["flipped"], f"the README quotes {quoted!r}; self_check says:\n{outputs['flipped']}"
