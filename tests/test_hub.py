"""`coursekit hub` without a browser: the roster, the JupyterHub configuration, the per-role Jupyter config.

The configuration is checked against the installed packages themselves: every setting it (or docs/hub.md)
names must be a configurable trait of the class it names, so a typo that JupyterHub would only warn about
in its log fails here.  The whole class, in Chromium, is tests/browser/test_browser_5_hub.py.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from coursekit.errors import CoursekitError
from coursekit.hub import environment
from coursekit.hub.layout import STUDENT_HIDDEN_LAB_PLUGINS, STUDENT_OFF_SERVER_EXTENSIONS, HubLayout, save_roster
from coursekit.hub.roster import Member, read_roster

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "coursekit" / "hub" / "jupyterhub_config.py"

# Where each configurable class named in a hub configuration lives.
CLASSES = {
    "JupyterHub": "jupyterhub.app:JupyterHub",
    "Spawner": "jupyterhub.spawner:Spawner",
    "LocalProcessSpawner": "jupyterhub.spawner:LocalProcessSpawner",
    "SystemdSpawner": "systemdspawner:SystemdSpawner",
    "Authenticator": "jupyterhub.auth:Authenticator",
    "FirstUseAuthenticator": "firstuseauthenticator:FirstUseAuthenticator",
    "ConfigurableHTTPProxy": "jupyterhub.proxy:ConfigurableHTTPProxy",
    "GenericOAuthenticator": "oauthenticator.generic:GenericOAuthenticator",
    "LTI13Authenticator": "ltiauthenticator.lti13.auth:LTI13Authenticator",
}


def _class(spec: str):
    module, name = spec.split(":")
    return getattr(importlib.import_module(module), name)


def assert_every_setting_exists(config: Config, where: str) -> None:
    for section, values in config.items():
        assert section in CLASSES, f"{where} configures {section}, a class this test does not know"
        traits = set(_class(CLASSES[section]).class_trait_names(config=True))
        unknown = set(values) - traits
        assert not unknown, f"{where}: {section} has no setting {sorted(unknown)}"
    name = config.JupyterHub.get("authenticator_class")
    if isinstance(name, str):  # an entry point name ("generic-oauth") or an import path
        names = {e.name for e in entry_points(group="jupyterhub.authenticators")}
        assert name in names or _class(name.rsplit(".", 1)[0] + ":" + name.rsplit(".", 1)[1]), name


# -- the roster ------------------------------------------------------------------------------------------------

def write(tmp_path, text: str) -> Path:
    path = tmp_path / "class.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_roster_gives_each_person_a_role(tmp_path):
    path = write(tmp_path, "\ufeffUsername,Role,Name,Email\nlovelace,instructor,Ada Lovelace,a@x\n"
                           "turing,TA,Alan Turing,\n\ns101,,Grace Hopper,\n")
    assert read_roster(path) == [Member("lovelace", "instructor", "Ada Lovelace"),
                                 Member("turing", "ta", "Alan Turing"), Member("s101", "student", "Grace Hopper")]


@pytest.mark.parametrize("text, message", [
    ("name\nAda\n", "no 'username' column"),
    ("username,role\nAda Lovelace,instructor\n", "line 2: 'Ada Lovelace' cannot be a Unix user name"),
    ("username,role\n1abc,student\nlovelace,instructor\n", "line 2: '1abc' cannot be a Unix user name"),
    ("username,role\nroot,instructor\n", "'root' is a system account"),
    ("username,role\nlovelace,professor\n", "role 'professor' of lovelace is not one of student, ta, instructor"),
    ("username,role\nlovelace,instructor\ns1,student\ns1,student\n", "line 4: s1 is listed twice (first on line 3)"),
    ("username,role\ns1,student\n", "lists no instructor"),
])
def test_a_bad_roster_says_which_line_and_what_to_do(tmp_path, text, message):
    with pytest.raises(CoursekitError, match=re.escape(message)):
        read_roster(write(tmp_path, text))


def test_a_missing_or_binary_roster_is_one_clear_line(tmp_path):
    with pytest.raises(CoursekitError, match="no roster file"):
        read_roster(tmp_path / "nope.csv")
    (tmp_path / "class.xlsx").write_bytes(b"PK\x03\x04\xff\xfe\x00binary")
    with pytest.raises(CoursekitError, match="not UTF-8 text; save the class list as CSV"):
        read_roster(tmp_path / "class.xlsx")


# -- the JupyterHub configuration ------------------------------------------------------------------------------

def load_hub_config(home: Path, members: list[Member], monkeypatch, **env) -> Config:
    layout = HubLayout(home)
    layout.state.mkdir(parents=True, exist_ok=True)
    layout.roster.write_text(json.dumps([m.__dict__ for m in members]))
    monkeypatch.setenv("COURSEKIT_HUB_HOME", str(home))
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return PyFileConfigLoader(CONFIG.name, path=str(CONFIG.parent)).load_config()


CLASS = [Member("lovelace", "instructor"), Member("turing", "ta"), Member("s1"), Member("s2")]


def test_the_hub_lets_in_the_roster_with_its_roles_and_culls_idle_servers(tmp_path, monkeypatch):
    c = load_hub_config(tmp_path, CLASS, monkeypatch, COURSEKIT_HUB_URL="http://127.0.0.1:9000",
                        COURSEKIT_IDLE_TIMEOUT="600")
    assert_every_setting_exists(c, "coursekit/hub/jupyterhub_config.py")
    assert c.Authenticator.allowed_users == {"lovelace", "turing", "s1", "s2"}
    assert c.Authenticator.admin_users == {"lovelace"}
    assert c.JupyterHub.load_groups == {"instructors": {"users": ["lovelace"]}, "tas": {"users": ["turing"]},
                                        "students": {"users": ["s1", "s2"]}}
    assert c.JupyterHub.authenticator_class == "firstuseauthenticator.FirstUseAuthenticator"
    assert c.FirstUseAuthenticator.create_users is False  # nobody outside the roster makes an account
    assert [s["name"] for s in c.JupyterHub.services] == ["idle-culler"]
    assert "--timeout=600" in c.JupyterHub.services[0]["command"]
    assert c.JupyterHub.hub_bind_url == "http://127.0.0.1:9001"
    assert c.Spawner.environment["TF_CPP_MIN_LOG_LEVEL"] == "3"
    assert c.Spawner.cmd == [str(tmp_path / "env" / "bin" / "jupyterhub-singleuser")]
    # The culler may stop servers, and nothing more.
    assert set(c.JupyterHub.load_roles[0]["scopes"]) == {"list:users", "read:users:activity", "read:servers",
                                                          "delete:servers"}


def test_each_role_gets_its_jupyter_config_at_spawn(tmp_path, monkeypatch):
    c = load_hub_config(tmp_path, CLASS, monkeypatch)

    class User:
        def __init__(self, name):
            self.name = name

    class FakeSpawner:
        def __init__(self, name):
            self.user, self.environment, self.cmd = User(name), {}, list(c.Spawner.cmd)

    student, ta = FakeSpawner("s1"), FakeSpawner("turing")
    c.Spawner.pre_spawn_hook(student)
    c.Spawner.pre_spawn_hook(ta)
    assert student.environment["JUPYTER_CONFIG_PATH"] == str(tmp_path / "jupyter" / "student")
    assert ta.environment["JUPYTER_CONFIG_PATH"] == str(tmp_path / "jupyter" / "grader")
    assert student.cmd == c.Spawner.cmd and "umask 007" in " ".join(ta.cmd)


def test_pam_and_a_local_config_file_are_honoured(tmp_path, monkeypatch):
    (tmp_path / "hub").mkdir()
    (tmp_path / "hub" / "jupyterhub_config_local.py").write_text('c.JupyterHub.base_url = "/course/"\n')
    c = load_hub_config(tmp_path, CLASS, monkeypatch, COURSEKIT_HUB_AUTH="pam")
    assert c.JupyterHub.authenticator_class == "jupyterhub.auth.PAMAuthenticator"
    assert c.JupyterHub.base_url == "/course/"


def doc_blocks() -> list[str]:
    text = (REPO / "docs" / "hub.md").read_text()
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


@pytest.mark.parametrize("block", doc_blocks(), ids=lambda b: b.split('"')[1])
def test_the_documented_authenticator_settings_exist(block):
    c = Config()
    exec(compile(block, "docs/hub.md", "exec"), {"c": c})
    assert_every_setting_exists(c, "docs/hub.md")


def test_docs_name_two_authenticators():
    assert len(doc_blocks()) == 2


# -- the per-role Jupyter config -------------------------------------------------------------------------------

def test_students_lose_only_nbgrader_plugins_that_exist(tmp_path):
    """The lab plugin ids and server extensions switched off for students are nbgrader's own."""
    bundle = "\n".join(p.read_text(errors="replace") for p in
                       Path(sys.prefix, "share/jupyter/labextensions/@jupyter/nbgrader/static").glob("*.js"))
    for plugin in STUDENT_HIDDEN_LAB_PLUGINS:
        assert f'id:"{plugin}"' in bundle or f'"{plugin}"' in bundle, plugin
    assert "@jupyter/nbgrader:assignment-list" not in STUDENT_HIDDEN_LAB_PLUGINS
    for extension in STUDENT_OFF_SERVER_EXTENSIONS:
        importlib.import_module(extension)


def require_root():
    if os.geteuid() != 0:
        pytest.fail("run the tests as root (CI does): the hub's files are root's", pytrace=False)


def test_role_configs_switch_the_formgrader_off_for_students_only(tmp_path, monkeypatch):
    from coursekit.hub.layout import COURSE_NBGRADER_CONFIG, write_role_configs

    require_root()
    layout = HubLayout(tmp_path / "srv")
    write_role_configs(layout)
    student = json.loads((layout.jupyter / "student" / "jupyter_server_config.json").read_text())
    grader = json.loads((layout.jupyter / "grader" / "jupyter_server_config.json").read_text())
    assert student["ServerApp"]["jpserver_extensions"]["nbgrader.server_extensions.formgrader"] is False
    assert grader == {}
    # A grader's nbgrader settings are the course's, seen through ~/course.
    (tmp_path / "course").mkdir()
    course_config = COURSE_NBGRADER_CONFIG.format(exchange=str(layout.exchange))
    (tmp_path / "course" / "nbgrader_config.py").write_text(course_config)
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "course").symlink_to(tmp_path / "course")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for role in ("student", "grader"):
        cfg = PyFileConfigLoader("nbgrader_config.py", path=str(layout.jupyter / role)).load_config()
        assert cfg.Exchange.root == str(layout.exchange) and cfg.CourseDirectory.course_id == "coursekit"
        assert oct((layout.jupyter / role / "nbgrader_config.py").stat().st_mode & 0o777) == "0o644"
    assert cfg.CourseDirectory.root == str(tmp_path / "home" / "course") and cfg.CourseDirectory.groupshared


# -- the shared environment and the command ------------------------------------------------------------------

def test_a_python_inside_a_private_folder_is_not_shared():
    base = Path(tempfile.mkdtemp(dir="/tmp"))  # pytest's tmp_path is itself inside a 0700 folder
    base.chmod(0o755)
    private = base / "private"
    (private / "bin").mkdir(parents=True)
    python = private / "bin" / "python3"
    python.write_text("#!/bin/sh\n")
    python.chmod(0o755)
    private.chmod(0o700)
    try:
        assert environment.private_ancestor(python) == private
        with pytest.raises(CoursekitError, match="no Python that every user can run"):
            environment.find_shared_python(str(python))
        assert environment.private_ancestor(base) is None
    finally:
        shutil.rmtree(base)


def test_the_shared_environment_supports_the_pythons_of_pyproject():
    spec = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    lo, hi = (int(x) for x in re.match(r">=3\.(\d+),<3\.(\d+)", spec).groups())
    assert environment.SUPPORTED == tuple((3, m) for m in range(lo, hi))


def test_start_before_setup_says_what_to_run(tmp_path):
    done = subprocess.run([sys.executable, "-m", "coursekit", "hub", "start", "--home", str(tmp_path / "none")],
                          capture_output=True, text=True)
    assert done.returncode == 1
    expected = "is not set up: run `coursekit hub setup" if os.geteuid() == 0 else "needs root"
    assert expected in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_setup_refuses_a_folder_that_is_not_the_course(tmp_path):
    roster = write(tmp_path, "username,role\nlovelace,instructor\n")
    done = subprocess.run([sys.executable, "-m", "coursekit", "hub", "setup", str(roster), "--home",
                           str(tmp_path / "hub")], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 1 and "is not the course repository (no pyproject.toml)" in done.stderr, done.stderr
    assert not (tmp_path / "hub").exists()


def test_save_roster_keeps_the_state_folder_private(tmp_path):
    require_root()
    layout = HubLayout(tmp_path)
    save_roster(layout, CLASS)
    assert layout.members() == CLASS
    assert oct(layout.state.stat().st_mode & 0o777) == "0o700"
