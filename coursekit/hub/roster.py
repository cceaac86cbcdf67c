"""The class list: who may log in to the course server, and as what.

A roster is a CSV file with a header row; ``username`` is required, ``role`` and ``name`` are optional::

    username,role,name
    lovelace,instructor,Ada Lovelace
    turing,ta,Alan Turing
    s101,student,Grace Hopper

``role`` is ``student`` (the default), ``ta`` or ``instructor``.  The username becomes a Unix account
on the course server, so it must be one: lower-case letters, digits, ``_`` and ``-``, starting with a
letter or ``_``, at most 32 characters.  LMS exports have more columns: the others are ignored.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from coursekit.errors import CoursekitError

ROLES = ("student", "ta", "instructor")
GRADER_ROLES = ("ta", "instructor")  # they get the Formgrader and the course directory
# useradd's own rule on Debian (NAME_REGEX in adduser.conf is stricter still): no upper case, no leading digit.
USERNAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
# Accounts the roster must never claim: a student called "root" would be the machine's administrator.
RESERVED = {"root", "daemon", "bin", "sys", "sync", "games", "man", "lp", "mail", "news", "uucp", "proxy",
            "www-data", "backup", "list", "irc", "nobody", "systemd-network", "messagebus", "sshd", "jovyan"}


@dataclass(frozen=True)
class Member:
    username: str
    role: str = "student"
    name: str = ""

    @property
    def grader(self) -> bool:
        return self.role in GRADER_ROLES


def read_roster(path: str | Path) -> list[Member]:
    """The members of the class listed in the CSV file ``path``, in file order, checked."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # utf-8-sig: spreadsheets write a BOM
    except FileNotFoundError:
        raise CoursekitError(f"no roster file {path}; write a CSV with a header row 'username,role,name'") from None
    except UnicodeDecodeError:
        raise CoursekitError(f"{path} is not UTF-8 text; save the class list as CSV (UTF-8)") from None
    rows = list(csv.DictReader(text.splitlines()))
    header = [h.strip().lower() for h in (csv.DictReader(text.splitlines()).fieldnames or [])]
    if "username" not in header:
        raise CoursekitError(f"{path} has no 'username' column (its header is {','.join(header) or 'empty'}); "
                             "the first line must name the columns, e.g. 'username,role,name'")
    members, seen = [], {}
    for line, row in enumerate(rows, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if k is not None}
        username, role = row.get("username", ""), (row.get("role") or "student").lower()
        if not username and not any(row.values()):
            continue  # a blank line
        where = f"{path}, line {line}"
        if not USERNAME.match(username):
            raise CoursekitError(f"{where}: {username!r} cannot be a Unix user name; use lower-case letters, digits, "
                                 "'_' and '-', starting with a letter, at most 32 characters")
        if username in RESERVED:
            raise CoursekitError(f"{where}: {username!r} is a system account; give this person another username")
        if role not in ROLES:
            raise CoursekitError(f"{where}: role {role!r} of {username} is not one of {', '.join(ROLES)}")
        if username in seen:
            raise CoursekitError(f"{where}: {username} is listed twice (first on line {seen[username]}); "
                                 "keep one line per person")
        seen[username] = line
        members.append(Member(username, role, row.get("name", "")))
    if not any(m.role == "instructor" for m in members):
        raise CoursekitError(f"{path} lists no instructor; give at least one person the role 'instructor' "
                             "(they release assignments and administer the hub)")
    return members
