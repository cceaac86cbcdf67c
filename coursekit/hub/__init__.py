"""Run the course for a class: a JupyterHub on this machine, one Unix account per person.

`coursekit hub setup ROSTER.csv` (as root) creates an account for every person of the class list
(username,role,name; roles student, ta, instructor), installs the course once for everyone, makes
nbgrader's course directory (readable by instructors and TAs only) and its exchange, and copies the
lectures into each home.  Run it again with a longer list to add people: nothing else changes.
`coursekit hub start` (as root) starts JupyterHub on it: each person logs in with the username of the
roster and chooses a password at the first login (--auth pam: their Unix password instead).
Instructors and TAs get the Formgrader; students the Assignments tab.

examples:
  sudo .venv/bin/coursekit hub setup class.csv              # accounts, course, exchange in /srv/coursekit
  sudo .venv/bin/coursekit hub start --ip 0.0.0.0 --port 80  # then open http://this-machine/
  sudo make hub ROSTER=class.csv                              # both, after installing what the hub needs
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from coursekit.errors import CoursekitError

from .layout import DEFAULT_HOME, HubLayout


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="hub_command", metavar="STEP", required=True)
    setup = sub.add_parser("setup", help="accounts, course environment, course directory and exchange (root)")
    setup.add_argument("roster", help="the class list: a CSV with columns username,role,name")
    setup.add_argument("--repo", default=".", help="the course repository (default: the current folder)")
    setup.add_argument("--check", action="store_true", help="only read the class list and say what setup would "
                       "do (no root needed, nothing changes)")
    setup.add_argument("--python", default=None, help="the Python for the shared environment (default: the "
                       "first supported one that every user can run)")
    start = sub.add_parser("start", help="start JupyterHub (root); stop it with Ctrl-C")
    start.add_argument("--ip", default="127.0.0.1", help="address to listen on (0.0.0.0: every interface)")
    start.add_argument("--port", type=int, default=8000)
    start.add_argument("--auth", choices=("firstuse", "pam"), default="firstuse",
                       help="firstuse: each person sets a password at the first login; pam: Unix passwords")
    start.add_argument("--idle-timeout", type=int, default=3600, help="stop a server idle this many seconds")
    start.add_argument("--mem-limit", default="4G", help="memory of each person's server (systemd hosts only)")
    start.add_argument("--cpu-limit", type=float, default=1.0, help="CPUs of each person's server (systemd only)")
    start.add_argument("--proxy", default=None, help="configurable-http-proxy command (default: the one in "
                       "node_modules, installed by make hub)")
    for p in (setup, start):
        p.add_argument("--home", default=str(DEFAULT_HOME), help=f"the hub's folder (default {DEFAULT_HOME})")


def run(args) -> int:
    layout = HubLayout(args.home)
    return setup(layout, args) if args.hub_command == "setup" else start(layout, args)


def setup(layout: HubLayout, args) -> int:
    from . import accounts, environment
    from . import layout as files
    from .roster import read_roster

    repo = Path(args.repo).resolve()
    for need in ("pyproject.toml", "solutions", "notebooks"):
        if not (repo / need).exists():
            raise CoursekitError(f"{repo} is not the course repository (no {need}); run this in the clone of "
                                 "coursekit or pass --repo")
    members = read_roster(args.roster)
    if args.check:
        return check(members, layout)
    accounts.require_root("coursekit hub setup")
    layout.home.mkdir(parents=True, exist_ok=True)
    os.chmod(layout.home, 0o755)
    users = accounts.ensure_accounts(members)
    env_bin = environment.ensure_environment(layout.env, repo, args.python)
    files.write_role_configs(layout)
    files.prepare_course(layout, repo, env_bin)
    files.link_course_for_graders(layout, members, users)
    files.copy_lectures(layout, repo, users)
    files.save_roster(layout, members)
    count = {r: sum(m.role == r for m in members) for r in ("student", "ta", "instructor")}
    print(f"hub ready in {layout.home}: {count['student']} students, {count['ta']} TAs, "
          f"{count['instructor']} instructors; start it with `coursekit hub start --home {layout.home}`")
    return 0


def check(members, layout: HubLayout) -> int:
    """What setup would do with this class list: who is new, who has an account already."""
    import pwd

    def exists(name: str) -> bool:
        try:
            return bool(pwd.getpwnam(name))
        except KeyError:
            return False

    for role in ("instructor", "ta", "student"):
        people = [m.username for m in members if m.role == role]
        new = [u for u in people if not exists(u)]
        print(f"{role + 's':12} {len(people):4d} ({len(new)} new account(s), {len(people) - len(new)} existing)")
    print(f"the class list is valid; `sudo coursekit hub setup` would make the new accounts and {layout.home}")
    return 0


def proxy_command(explicit: str | None) -> str:
    """configurable-http-proxy: --proxy, else node_modules (npm install, as make hub does), else PATH."""
    for candidate in (explicit, os.path.join(os.environ.get("COURSEKIT_NODE_MODULES", "node_modules"), ".bin",
                                             "configurable-http-proxy"), shutil.which("configurable-http-proxy")):
        if candidate and os.access(candidate, os.X_OK):
            return os.path.abspath(candidate)
    raise CoursekitError("configurable-http-proxy (JupyterHub's proxy, from npm) was not found; run `npm install` "
                         "in the course repository (make hub does) or pass --proxy")


def start(layout: HubLayout, args) -> int:
    from .accounts import require_root

    require_root("coursekit hub start")
    layout.members()  # fails clearly when setup has not run
    env = dict(os.environ, COURSEKIT_HUB_HOME=str(layout.home), COURSEKIT_HUB_AUTH=args.auth,
               COURSEKIT_HUB_URL=f"http://{args.ip}:{args.port}", COURSEKIT_PROXY=proxy_command(args.proxy),
               COURSEKIT_IDLE_TIMEOUT=str(args.idle_timeout), COURSEKIT_MEM_LIMIT=args.mem_limit,
               COURSEKIT_CPU_LIMIT=str(args.cpu_limit))
    config = Path(__file__).with_name("jupyterhub_config.py")
    print(f"JupyterHub on http://{args.ip}:{args.port}/ (Ctrl-C stops it)", flush=True)
    # exec, not a child process: Ctrl-C, `kill` and systemd's stop reach JupyterHub itself, which then stops
    # the proxy and every user's server before it exits.
    os.chdir(layout.state)
    os.execve(sys.executable, [sys.executable, "-m", "jupyterhub", "-f", str(config)], env)
