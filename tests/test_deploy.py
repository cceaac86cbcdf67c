"""deploy/: the course image (Dockerfile + install script) and the Zero to JupyterHub values, checked offline.

Docker and Kubernetes are not available here, so what can be checked without them is: the Dockerfile's
instructions and COPY sources, the install script (bash -n and a --dry-run), and values.yaml validated
against the chart's own schema after merging it over the chart's defaults, as `helm install` does.  The
chart's files are vendored in tests/data/z2jh/ (Zero to JupyterHub 4.4.0, BSD-3-Clause): they are the
independent source of the expected keys, images, uid/gid and JupyterHub version.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from types import SimpleNamespace

import jsonschema
import jupyter_core.paths
import pytest
import yaml
from traitlets.config import Config

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy"
CHART = REPO / "tests" / "data" / "z2jh"
DOCKERFILE = DEPLOY / "Dockerfile"
SCRIPT = DEPLOY / "install-course.sh"
VALUES = DEPLOY / "z2jh" / "values.yaml"

KEYWORDS = {"FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME", "USER",
            "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL", "MAINTAINER"}


def parse_dockerfile(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs: comments dropped, backslash continuations joined."""
    out, buf = [], ""
    for line in text.splitlines():
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        if s.endswith("\\"):
            buf += s[:-1] + " "
            continue
        word, _, args = (buf + s).partition(" ")
        out.append((word.upper(), args.strip()))
        buf = ""
    assert not buf, "the Dockerfile ends inside a continued line"
    return out


def load_yaml(path: Path):
    return yaml.safe_load(path.read_text())


def helm_merge(defaults: dict, user: dict) -> dict:
    """Helm's coalescing of a chart's values.yaml with the user's: maps merge, a null deletes, the rest replaces."""
    out = copy.deepcopy(defaults)
    for key, value in user.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = helm_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def schema_errors(user_values: dict) -> list[str]:
    schema = load_yaml(CHART / "values.schema.yaml")
    merged = helm_merge(load_yaml(CHART / "values.yaml"), user_values)
    validator = jsonschema.Draft7Validator(schema)
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(merged)]


def images(values, path=()):
    """(path, name, tag) of every image: {name:, tag:} in a values tree."""
    if isinstance(values, dict):
        if isinstance(values.get("image"), dict) and "name" in values["image"]:
            yield path, values["image"]["name"], values["image"].get("tag")
        for key, value in values.items():
            yield from images(value, path + (key,))
    elif isinstance(values, list):
        for i, value in enumerate(values):
            yield from images(value, path + (i,))


def course_image() -> tuple[str, str]:
    """The NAME:TAG the Dockerfile's build command gives the image."""
    m = re.search(r"docker build -f deploy/Dockerfile -t (\S+):(\S+) \.", DOCKERFILE.read_text())
    assert m, "deploy/Dockerfile should show its build command with -t NAME:TAG"
    return m.group(1), m.group(2)


def chart_app_version() -> str:
    return load_yaml(CHART / "Chart.yaml")["appVersion"]


def dry_run(src: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPT), "--dry-run", str(src)], capture_output=True, text=True, timeout=60)


def copies() -> list[tuple[list[str], str]]:
    """(sources, destination) of every COPY/ADD, options (--chmod=...) left out."""
    out = []
    for word, args in parse_dockerfile(DOCKERFILE.read_text()):
        if word in {"COPY", "ADD"}:
            *sources, dest = [a for a in args.split() if not a.startswith("--")]
            out.append((sources, dest))
    return out


# --- the Dockerfile ------------------------------------------------------------------------------------

def test_dockerfile_parses_into_known_instructions_and_starts_the_singleuser_server():
    steps = parse_dockerfile(DOCKERFILE.read_text())
    assert steps[0][0] == "FROM"
    assert {word for word, _ in steps} <= KEYWORDS
    assert [args for word, args in steps if word == "CMD"] == ['["jupyterhub-singleuser"]']
    uid = load_yaml(CHART / "values.yaml")["singleuser"]["uid"]  # the uid the chart runs user pods as
    assert [args for word, args in steps if word == "USER"] == [str(uid)]


def test_base_image_is_a_pinned_debian_python_the_course_supports():
    (base,) = [args for word, args in parse_dockerfile(DOCKERFILE.read_text()) if word == "FROM"]
    m = re.fullmatch(r"python:(3)\.(\d+)\.(\d+)-slim-bookworm(@sha256:[0-9a-f]{64})?", base)
    assert m, f"base image {base} is not pinned to a patch release of python:3.X-slim-bookworm"
    spec = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    lo, hi = map(int, re.fullmatch(r">=3\.(\d+),<3\.(\d+)", spec).groups())
    assert lo <= int(m.group(2)) < hi


def test_every_copy_source_exists_and_no_instructor_material_enters_the_image():
    options = [a for w, args in parse_dockerfile(DOCKERFILE.read_text()) if w in {"COPY", "ADD"}
               for a in args.split() if a.startswith("--")]
    assert set(options) <= {"--chmod=755"}, options
    sources = [src for srcs, _dest in copies() for src in srcs]
    for src in sources:
        assert (REPO / src).exists(), f"COPY source {src} is not in the repository"
    # students can read every file of the image: no instructor sources (solutions, hidden tests), no gradebook
    assert not {s.rstrip("/").split("/")[0] for s in sources} & {"solutions", "grading", ".", "tests"}
    # what a wheel build needs (test_packaging builds one from exactly these), the lectures, and the script
    assert {"pyproject.toml", "README.md", "coursekit", "notebooks", "deploy/install-course.sh"} <= set(sources)
    (hook,) = [src for src in sources if src == "deploy/coursekit-copy-lectures"]
    assert os.access(REPO / hook, os.X_OK)  # run as a program by the chart's postStart hook


def test_lecture_copy_keeps_the_students_edits(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "COURSEKIT_LECTURES": str(REPO / "notebooks")}
    hook = [str(DEPLOY / "coursekit-copy-lectures")]
    assert subprocess.run(hook, env=env, capture_output=True, timeout=60).returncode == 0
    lectures = tmp_path / "lectures"
    assert sorted(p.name for p in lectures.iterdir()) == sorted(p.name for p in (REPO / "notebooks").iterdir())
    (lectures / "01_neuron.ipynb").write_text("my answers")
    (lectures / "02_gradient_descent.py").unlink()
    assert subprocess.run(hook, env=env, capture_output=True, timeout=60).returncode == 0
    assert (lectures / "01_neuron.ipynb").read_text() == "my answers"
    restored = (lectures / "02_gradient_descent.py").read_bytes()
    assert restored == (REPO / "notebooks" / "02_gradient_descent.py").read_bytes()
    env["COURSEKIT_LECTURES"] = str(tmp_path / "nothing")  # nothing to copy: an error, not an empty folder
    env["HOME"] = str(tmp_path / "other")
    assert subprocess.run(hook, env=env, capture_output=True, timeout=60).returncode != 0


def test_image_environment_is_the_course_one():
    from coursekit.keras_setup import QUIET_TF_ENV

    text = DOCKERFILE.read_text()
    env = dict(re.findall(r"(\w+)=(\S+)", " ".join(a for w, a in parse_dockerfile(text) if w == "ENV")))
    for key in ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS", "KERAS_BACKEND"):
        assert env.get(key) == QUIET_TF_ENV[key]
    assert env["COURSEKIT_NODE_MODULES"] == "/opt/coursekit/node_modules"  # npm ci --prefix /opt/coursekit


# --- the install script (the Dockerfile's RUN) ---------------------------------------------------------

def test_install_script_is_valid_bash():
    assert subprocess.run(["bash", "-n", str(SCRIPT)], capture_output=True).returncode == 0


def test_install_script_dry_run_installs_from_the_repositorys_own_requirement_files():
    done = dry_run(REPO)
    assert done.returncode == 0, done.stderr
    cmds = [line[2:].split() for line in done.stdout.splitlines() if line.startswith("+ ")]
    pip = [c for c in cmds if c[:2] == ["pip", "install"]]
    assert len(pip) == 1
    packages = [a for a in pip[0][2:] if not a.startswith("-")]
    # the repository itself (its pyproject.toml: one source of truth), and only JupyterHub besides it,
    # at the version of the chart's hub (Chart.yaml's appVersion is the JupyterHub version)
    assert packages == [str(REPO), f"jupyterhub=={chart_app_version()}"]
    assert (REPO / "pyproject.toml").is_file()
    npm = [c for c in cmds if c[0] == "npm"]
    assert npm == [["npm", "ci", "--prefix", str(REPO), "--omit=dev", "--no-audit", "--no-fund"]]
    lock = yaml.safe_load((REPO / "package-lock.json").read_text())  # npm ci installs exactly the lock file
    assert lock["packages"][""]["dependencies"] == load_yaml(REPO / "package.json")["dependencies"]
    apt = [c for c in cmds if c[:2] == ["apt-get", "install"]]
    assert "bubblewrap" in apt[0]  # the grader's sandbox
    chart = load_yaml(CHART / "values.yaml")["singleuser"]
    (user,) = [c for c in cmds if c[0] == "useradd"]
    assert user[user.index("--uid") + 1] == str(chart["uid"]) and user[user.index("--gid") + 1] == str(chart["fsGid"])
    assert user[-1] == "jovyan"
    assert ["check_nbgrader_extensions"] in cmds
    assert cmds[-1] == ["su", "jovyan", "-c", f"COURSEKIT_LECTURES={REPO}/notebooks", "coursekit-copy-lectures"]


@pytest.mark.slow
def test_install_scripts_extension_check_passes_here_and_fails_with_an_extension_disabled(tmp_path):
    """Step 4 against the real jupyter of this environment (where pip installed nbgrader, as in the image)."""
    env = {**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
           "JUPYTER_CONFIG_DIR": str(tmp_path / "empty")}
    ok = subprocess.run(["bash", str(SCRIPT), "--check"], env=env, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    off = tmp_path / "off"
    off.mkdir()
    (off / "jupyter_server_config.json").write_text(
        '{"ServerApp": {"jpserver_extensions": {"nbgrader.server_extensions.formgrader": false}}}')
    env["JUPYTER_CONFIG_DIR"] = str(off)
    bad = subprocess.run(["bash", str(SCRIPT), "--check"], env=env, capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and "formgrader server extension is not enabled" in bad.stderr


def test_install_script_refuses_a_folder_that_is_not_the_course(tmp_path):
    shutil.copy(REPO / "package.json", tmp_path)
    done = dry_run(tmp_path)
    assert done.returncode != 0 and "pyproject.toml is missing" in done.stderr


# --- the Zero to JupyterHub values ---------------------------------------------------------------------

def test_values_are_valid_for_the_chart_schema():
    assert schema_errors(load_yaml(VALUES)) == []


@pytest.mark.parametrize("mutate", [
    lambda v: v["singleuser"]["memory"].update(limt="4G"),            # misspelled key
    lambda v: v["cull"].update(timout=3600),
    lambda v: v["singleuser"]["storage"].update(extraVolumeMount=[]),
    lambda v: v.update(singeluser={}),
    lambda v: v["singleuser"]["cpu"].update(limit="two"),             # wrong type
    lambda v: v["singleuser"]["image"].update(tag=None),              # a null deletes the chart's default tag
], ids=["memory.limt", "cull.timout", "storage.extraVolumeMount", "singeluser", "cpu.limit-type", "image-tag-null"])
def test_a_wrong_key_or_value_fails_the_schema(mutate):
    values = load_yaml(VALUES)
    mutate(values)
    assert schema_errors(values)


def test_values_name_only_the_course_image_or_the_charts_own_images():
    chart_names = {name for _path, name, _tag in images(load_yaml(CHART / "values.yaml"))}
    ours = list(images(load_yaml(VALUES)))
    assert ours, "values.yaml should name the course image"
    name, tag = course_image()
    for path, image_name, image_tag in ours:
        assert (image_name, image_tag) == (name, tag) or image_name in chart_names, f"{path}: {image_name}"
    assert load_yaml(VALUES)["singleuser"]["image"] == {"name": name, "tag": tag}
    assert tag == tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]


def test_exchange_is_a_shared_volume_where_the_nbgrader_config_points():
    from coursekit.assignments.release import configure_course

    single = load_yaml(VALUES)["singleuser"]
    (volume,) = single["storage"]["extraVolumes"]
    (mount,) = single["storage"]["extraVolumeMounts"]
    assert mount["name"] == volume["name"] and mount["mountPath"] == "/srv/nbgrader/exchange"
    pvc = load_yaml(DEPLOY / "z2jh" / "exchange-pvc.yaml")
    assert pvc["kind"] == "PersistentVolumeClaim" and "ReadWriteMany" in pvc["spec"]["accessModes"]
    assert volume["persistentVolumeClaim"]["claimName"] == pvc["metadata"]["name"]

    nbgrader_config = single["extraFiles"]["nbgrader-config"]
    assert nbgrader_config["mountPath"] == "/etc/jupyter/nbgrader_config.py"
    assert "/etc/jupyter" in jupyter_core.paths.SYSTEM_CONFIG_PATH  # where nbgrader looks for it on Linux
    c = Config()
    exec(compile(nbgrader_config["stringData"], "nbgrader_config.py", "exec"), {"get_config": lambda: c})
    assert c.Exchange.root == mount["mountPath"]
    course = Config()
    configure_course(course, source_directory="solutions")
    assert c.CourseDirectory.course_id == course.CourseDirectory.course_id


def test_resources_culling_and_lecture_hook():
    values = load_yaml(VALUES)
    single = values["singleuser"]
    assert 0 < single["cpu"]["guarantee"] <= single["cpu"]["limit"]
    giga = {"G": 10**9, "Gi": 2**30, "M": 10**6, "Mi": 2**20}

    def size(text):
        number, unit = re.fullmatch(r"([\d.]+)(\w+)", text).groups()
        return float(number) * giga[unit]
    assert 0 < size(single["memory"]["guarantee"]) <= size(single["memory"]["limit"])
    assert values["cull"]["enabled"] and values["cull"]["timeout"] > 0 and values["cull"]["every"] > 0
    # the postStart hook is a program the Dockerfile puts on the image's PATH
    (dest,) = [dest for srcs, dest in copies() if srcs == ["deploy/coursekit-copy-lectures"]]
    assert Path(dest).parent == Path("/usr/local/bin")
    assert single["lifecycleHooks"]["postStart"]["exec"]["command"] == [Path(dest).name]
    assert single["cmd"] == "jupyterhub-singleuser"


def test_chart_version_is_the_vendored_one():
    vendored = re.search(r"tag (\S+) \(commit", (CHART / "values.schema.yaml").read_text()).group(1)
    assert f"--version {vendored} " in VALUES.read_text()
    assert f"JupyterHub {chart_app_version()}" in VALUES.read_text()


# --- students get the Assignments tab, instructors and TAs the Formgrader too -------------------------

def pre_spawn_hook():
    """The hub's pre_spawn_hook, from hub.extraConfig (which the chart runs with the hub's config `c`)."""
    c = Config()
    for name, code in load_yaml(VALUES)["hub"]["extraConfig"].items():
        exec(compile(code, name, "exec"), {"c": c})
    return c.KubeSpawner.pre_spawn_hook


def spawner(*groups: str) -> SimpleNamespace:
    return SimpleNamespace(user=SimpleNamespace(groups=[SimpleNamespace(name=g) for g in groups]), environment={})


def student_config_dir(tmp_path: Path) -> tuple[Path, dict]:
    """The files of singleuser.extraFiles under the student config dir, written as the chart writes them
    (data: serialised as JSON for a .json mountPath); returns the local dir and a student's environment."""
    student = spawner("students")
    pre_spawn_hook()(student)
    config_dir = student.environment["JUPYTER_CONFIG_PATH"]
    files = [f for f in load_yaml(VALUES)["singleuser"]["extraFiles"].values()
             if f["mountPath"].startswith(config_dir + "/")]
    assert len(files) == 2
    local = tmp_path / "student"
    for f in files:
        target = local / Path(f["mountPath"]).relative_to(config_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(f["data"]))
    return local, student.environment


def test_pre_spawn_hook_gives_students_the_student_config_and_instructors_none():
    hook = pre_spawn_hook()
    instructor, student = spawner("instructors"), spawner("students")
    hook(instructor)
    hook(student)
    assert instructor.environment == {}
    assert student.environment == {"JUPYTER_CONFIG_PATH": "/etc/jupyter/student"}
    assert "instructors" in load_yaml(VALUES)["hub"]["config"]["JupyterHub"]["load_groups"]


@pytest.mark.slow
def test_a_students_server_has_no_formgrader_but_the_assignments_tab(tmp_path):
    """A real jupyter server of this environment, started with a student's environment from the hub's hook."""
    local, student_env = student_config_dir(tmp_path)
    assert student_env == {"JUPYTER_CONFIG_PATH": "/etc/jupyter/student"}
    env = {**os.environ, "JUPYTER_CONFIG_PATH": str(local), "JUPYTER_CONFIG_DIR": str(tmp_path / "user"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "HOME": str(tmp_path)}
    jupyter = str(Path(sys.executable).parent / "jupyter")
    labs = subprocess.run([jupyter, "labextension", "list"], env=env, capture_output=True, text=True, timeout=120)
    disabled = labs.stdout.split("Disabled extensions:")[-1] + labs.stderr.split("Disabled extensions:")[-1]
    for plugin in ("formgrader", "course-list", "create-assignment"):
        assert f"@jupyter/nbgrader:{plugin}" in disabled
    assert "@jupyter/nbgrader:assignment-list" not in disabled

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    (tmp_path / "root").mkdir()
    server = subprocess.Popen([jupyter, "server", "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
                               f"--ServerApp.root_dir={tmp_path / 'root'}", "--allow-root"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    log = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = server.stdout.readline()
            if not line:
                break
            log.append(line)
            if "is running at" in line:
                break
    finally:
        server.terminate()
        server.wait(timeout=30)
    text = "".join(log)
    assert "is running at" in text, text
    assert "nbgrader.server_extensions.assignment_list | extension was successfully loaded" in text
    assert "nbgrader.server_extensions.validate_assignment | extension was successfully loaded" in text
    assert "formgrader | extension was successfully loaded" not in text
    assert "course_list | extension was successfully loaded" not in text
