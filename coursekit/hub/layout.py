"""What `coursekit hub setup` puts on disk, and with which permissions.

``<home>`` (default /srv/coursekit) holds::

    env/              the course environment every user's server runs in (environment.py)   root 0755
    course/           nbgrader's course directory: source/, release/, submitted/, autograded/,
                      feedback/, gradebook.db                                      root:coursekit-graders 2770
    exchange/         nbgrader's exchange: release, fetch, submit, feedback        root:coursekit-graders 3777
    jupyter/student/  Jupyter config of a student's server: the Assignments tab, no Formgrader     0755
    jupyter/grader/   ... of an instructor's or TA's server: the Formgrader on course/              0755
    lectures/         the lecture notebooks, copied into each user's ~/lectures                     0755
    hub/              JupyterHub's state: roster.json, database, cookie secret, passwords           root 0700

The Unix permissions are the protection; the per-role Jupyter config only decides what each one sees.
A student's Formgrader, if they turned it on, would run as the student and could not open course/.
"""

from __future__ import annotations

import grp
import json
import os
import shutil
import subprocess
from dataclasses import asdict
from pathlib import Path

from coursekit.errors import CoursekitError

from .accounts import GRADERS_GROUP
from .roster import Member

COURSE_ID = "coursekit"  # = CourseDirectory.course_id of coursekit.assignments.release.configure_course
DEFAULT_HOME = Path("/srv/coursekit")

# nbgrader's lab plugins a student does not need (ids from @jupyter/nbgrader 0.9.6's package).
STUDENT_HIDDEN_LAB_PLUGINS = ["@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                              "@jupyter/nbgrader:course-list"]
STUDENT_OFF_SERVER_EXTENSIONS = ["nbgrader.server_extensions.formgrader", "nbgrader.server_extensions.course_list"]

STUDENT_NBGRADER_CONFIG = '''"""nbgrader settings of every student's server (written by `coursekit hub setup`)."""
c = get_config()  # noqa: F821
c.Exchange.root = {exchange!r}
c.CourseDirectory.course_id = {course_id!r}
'''
# Instructors and TAs: the course's own settings, with the course seen as ~/course (a link in their home),
# so that the Formgrader's links open inside their Jupyter server's root.
GRADER_NBGRADER_CONFIG = '''"""nbgrader settings of every grader's server (written by `coursekit hub setup`)."""
import os

load_subconfig(os.path.expanduser("~/course/nbgrader_config.py"))  # noqa: F821
'''
# The course directory's own settings: what `coursekit release` writes, plus the hub's exchange, shared by
# every grader (nbgrader makes what it writes group-writable).
COURSE_NBGRADER_CONFIG = '''"""nbgrader settings of the course on this hub (written by `coursekit hub setup`)."""
import os

from coursekit.assignments.release import configure_course

c = get_config()  # noqa: F821
configure_course(c, source_directory="source", root=os.path.dirname(os.path.abspath(__file__)))
c.Exchange.root = {exchange!r}
c.CourseDirectory.groupshared = True
'''


class HubLayout:
    def __init__(self, home: Path | str = DEFAULT_HOME):
        self.home = Path(home).resolve()
        self.env = self.home / "env"
        self.course = self.home / "course"
        self.exchange = self.home / "exchange"
        self.jupyter = self.home / "jupyter"
        self.lectures = self.home / "lectures"
        self.state = self.home / "hub"
        self.roster = self.state / "roster.json"

    def role_config(self, member: Member) -> Path:
        return self.jupyter / ("grader" if member.grader else "student")

    def members(self) -> list[Member]:
        """The roster saved by the last setup (what the running hub lets in)."""
        if not self.roster.exists():
            raise CoursekitError(f"{self.home} is not set up: run `coursekit hub setup ROSTER.csv --home {self.home}`")
        return [Member(**m) for m in json.loads(self.roster.read_text())]


def _mkdir(path: Path, mode: int, group: str | None = None) -> None:
    path.mkdir(parents=True, exist_ok=True)
    os.chown(path, 0, grp.getgrnam(group).gr_gid if group else 0)
    os.chmod(path, mode)


def _write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")
    os.chmod(path, 0o644)


def write_role_configs(layout: HubLayout) -> None:
    """The two Jupyter config folders that a user's server gets on JUPYTER_CONFIG_PATH, by role."""
    for role in ("student", "grader"):
        folder = layout.jupyter / role
        _mkdir(folder, 0o755)
        text = GRADER_NBGRADER_CONFIG if role == "grader" else STUDENT_NBGRADER_CONFIG.format(
            exchange=str(layout.exchange), course_id=COURSE_ID)
        (folder / "nbgrader_config.py").write_text(text)
        os.chmod(folder / "nbgrader_config.py", 0o644)
        server = {"ServerApp": {"jpserver_extensions": {e: False for e in STUDENT_OFF_SERVER_EXTENSIONS}}}
        lab = {"disabledExtensions": {p: True for p in STUDENT_HIDDEN_LAB_PLUGINS}}
        if role == "grader":
            server, lab = {}, {}
        _write_json(folder / "jupyter_server_config.json", server)
        _write_json(folder / "labconfig" / "page_config.json", lab)
        os.chmod(folder / "labconfig", 0o755)


def make_exchange(layout: HubLayout) -> None:
    """nbgrader's exchange, its course folders made here, by root, with the modes nbgrader gives them.

    nbgrader wants the exchange root writable by everyone (its check refuses anything else), so a student
    could make the course's folder first and own it; made here, they belong to root and the graders'
    group, and the sticky bit keeps anyone from renaming them.  Modes (nbgrader 0.9, groupshared):
    outbound 2775 (students read), inbound 2773 (students may write, not list), feedback 2771 (students
    open the file named by their own submission's secret, and cannot list the others').
    """
    _mkdir(layout.exchange, 0o3777, GRADERS_GROUP)
    course = layout.exchange / COURSE_ID
    _mkdir(course, 0o2775, GRADERS_GROUP)
    _mkdir(course / "outbound", 0o2775, GRADERS_GROUP)
    _mkdir(course / "inbound", 0o2773, GRADERS_GROUP)
    _mkdir(course / "feedback", 0o2771, GRADERS_GROUP)


def prepare_course(layout: HubLayout, repo: Path, env_bin: Path, log=print) -> None:
    """nbgrader's course directory, with the assignments' sources and their student release.

    The sources are copied from the repository's solutions/ once; after that the course's copy is the
    one instructors edit (the Formgrader's "Edit" opens it), so a second setup keeps it.
    """
    _mkdir(layout.course, 0o2770, GRADERS_GROUP)
    make_exchange(layout)
    source = layout.course / "source"
    if not source.exists():
        shutil.copytree(repo / "solutions", source, ignore=shutil.ignore_patterns(
            "[0-9][0-9]_*.py", ".ipynb_checkpoints", "__pycache__"))
        log(f"course sources copied to {source}")
    config = layout.course / "nbgrader_config.py"
    if not config.exists():  # `coursekit release` keeps a course's own config
        config.write_text(COURSE_NBGRADER_CONFIG.format(exchange=str(layout.exchange)))
    if not (layout.course / "release").exists():
        log("generating the student release of the assignments (coursekit release)")
        done = subprocess.run([str(env_bin / "coursekit"), "release", "--course-dir", str(layout.course)],
                              capture_output=True, text=True, cwd=layout.course)
        if done.returncode != 0:
            raise CoursekitError(f"coursekit release failed in {layout.course}: {done.stderr.strip()[-500:]}")
    # Graders share the course: everything group-owned and group-writable, new folders inheriting the group.
    gid = grp.getgrnam(GRADERS_GROUP).gr_gid
    for folder, dirs, files in os.walk(layout.course):
        for name in [folder, *(os.path.join(folder, f) for f in files)]:
            os.chown(name, os.stat(name).st_uid, gid)
            mode = os.stat(name).st_mode & 0o777
            os.chmod(name, (mode | 0o060) & ~0o007 | (0o2010 if os.path.isdir(name) else 0))


def copy_lectures(layout: HubLayout, repo: Path, users: dict) -> None:
    """The lecture notebooks into ``lectures/`` and into each user's ~/lectures (their copies are kept)."""
    _mkdir(layout.lectures, 0o755)
    for nb in sorted((repo / "notebooks").glob("*.ipynb")):
        shutil.copy2(nb, layout.lectures / nb.name)
        os.chmod(layout.lectures / nb.name, 0o644)
    for user in users.values():
        dest = Path(user.pw_dir) / "lectures"
        dest.mkdir(exist_ok=True)
        os.chown(dest, user.pw_uid, user.pw_gid)
        for nb in layout.lectures.glob("*.ipynb"):
            if not (dest / nb.name).exists():
                shutil.copy2(nb, dest / nb.name)
                os.chown(dest / nb.name, user.pw_uid, user.pw_gid)


def link_course_for_graders(layout: HubLayout, members: list[Member], users: dict) -> None:
    """~/course -> the course directory, in each grader's home (where their Formgrader looks)."""
    for m in members:
        link = Path(users[m.username].pw_dir) / "course"
        if m.grader and not link.is_symlink():
            link.symlink_to(layout.course)
            os.lchown(link, users[m.username].pw_uid, users[m.username].pw_gid)
        elif not m.grader and link.is_symlink():
            link.unlink()


def save_roster(layout: HubLayout, members: list[Member]) -> None:
    _mkdir(layout.state, 0o700)
    layout.roster.write_text(json.dumps([asdict(m) for m in members], indent=1) + "\n")
