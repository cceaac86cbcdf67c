"""Unix accounts for the class: one user per person, so that students cannot read each other's files.

Each member gets a home directory of mode 0700 (only they can enter it).  Instructors and TAs are also in
the group ``coursekit-graders``, which owns the course directory (sources, gradebook, submissions): no
student can read it.  Everything here is idempotent: running it again with a longer roster adds the new
people and changes nothing for the others.  It needs root (it calls useradd/groupadd/usermod).
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import subprocess

from coursekit.errors import CoursekitError

from .roster import Member

GRADERS_GROUP = "coursekit-graders"
STUDENTS_GROUP = "coursekit-students"


def require_root(what: str) -> None:
    if os.geteuid() != 0:
        raise CoursekitError(f"{what} needs root: it creates one Unix account per student; run it with sudo")


def _run(cmd: list[str]) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise CoursekitError(f"{' '.join(cmd)} failed: {done.stderr.strip() or done.stdout.strip()}")


def ensure_group(name: str) -> int:
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        _run(["groupadd", "--system", name])
        return grp.getgrnam(name).gr_gid


def ensure_user(member: Member) -> pwd.struct_passwd:
    """Create ``member``'s account (no password: they log in through the hub) and put it in its groups."""
    groups = [STUDENTS_GROUP] if member.role == "student" else [GRADERS_GROUP]
    try:
        user = pwd.getpwnam(member.username)
    except KeyError:
        _run(["useradd", "--create-home", "--shell", "/bin/bash", "--comment", member.name or member.role,
              "--groups", ",".join(groups), member.username])
        user = pwd.getpwnam(member.username)
    else:
        if user.pw_uid < 1000 and member.username != os.environ.get("SUDO_USER"):
            raise CoursekitError(f"{member.username} is an existing system account (uid {user.pw_uid}); "
                                 "give this person another username in the roster")
        _run(["usermod", "--append", "--groups", ",".join(groups), member.username])
    # A role taken away (a TA who is now a student) takes the group away too.
    if member.role == "student" and member.username in grp.getgrnam(GRADERS_GROUP).gr_mem:
        _run(["gpasswd", "--delete", member.username, GRADERS_GROUP])
    os.chmod(user.pw_dir, 0o700)  # Debian's useradd makes 0755 homes (HOME_MODE): others could read them
    return user


def remove_user(username: str) -> None:
    """Delete an account and its home (the tests' clean-up; a course keeps its students' work)."""
    try:
        home = pwd.getpwnam(username).pw_dir
    except KeyError:
        return
    subprocess.run(["pkill", "-KILL", "-u", username], capture_output=True)
    subprocess.run(["userdel", username], capture_output=True)
    shutil.rmtree(home, ignore_errors=True)


def ensure_accounts(members: list[Member]) -> dict[str, pwd.struct_passwd]:
    """Every member's account, created where missing: username -> passwd entry."""
    require_root("creating the class's accounts")
    ensure_group(GRADERS_GROUP)
    ensure_group(STUDENTS_GROUP)
    return {m.username: ensure_user(m) for m in members}
