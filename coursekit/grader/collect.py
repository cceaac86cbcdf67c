"""Collect submissions (a folder or an LMS zip export) into nbgrader's ``submitted/`` layout.

Recognised names (the student id becomes ``<slug>_<lms id>``, e.g. ``jane_doe_12345``):

* Moodle, flat:        ``Jane Doe_12345_assignsubmission_file_01_neuron.ipynb``
* Moodle, in folders:  ``Jane Doe_12345_assignsubmission_file_/01_neuron.ipynb``
* Canvas:              ``doejane_12345_678910_01_neuron.ipynb`` (``doejane_LATE_12345_678910_...`` when
  late; Canvas appends ``-1``, ``-2`` to a resubmitted file's name)
* a plain folder:      ``<student_id>/01_neuron.ipynb``; nbgrader's exchange and ``submitted/``
  folders too (``<student>+<assignment>+<time>+<random>/`` and ``<student>/<assignment>/``, ``timestamp.txt``
  beside).  An exchange course folder (``<exchange>/<course>``, which holds ``inbound/``), or an exchange
  of one course, is read from its ``inbound/``; other assignments' submissions in it are left alone.

Several submissions of one student (resubmitted to the exchange, or in several exports): the newest
counts, as ``nbgrader collect`` decides, and each skipped one is named in ``Collected.notes``.

Names: a zip member name without the UTF-8 flag is read as UTF-8 when its bytes are UTF-8 (what
most zip tools write), else in the legacy code page cp437.  Student ids are ASCII: accents and
other scripts are transliterated (``Jürgen Groß`` -> ``jurgen_gross``, ``王小明`` -> ``wangxiaoming``
with ``anyascii``); first and last names keep their Unicode spelling for the gradebook.

Result: ``<course>/submitted/<student>/<assignment>/<notebook>.ipynb`` plus ``timestamp.txt``
(the submission time, in UTC: the zip member's time read in ``c.Deadlines.timezone``, the file's
time for a folder, or the exchange's own ``timestamp.txt``), the exchange's ``submission_secret.txt``
when the submission came through it (``nbgrader release_feedback`` needs it to address the feedback
to the student who submitted: ``coursekit.grader.exchange``), and
``<course>/.coursekit/lms/<assignment>.json``: each student's LMS (moodle, canvas or folder) and LMS
id, which ``coursekit.grader.lms`` needs to write the gradebook import files.
Nothing is ever extracted by the names inside a zip (no path traversal): each member is read and
written to a path we build.  Problems (unknown names, empty or corrupted zips, files that are not
notebooks) become one line each in ``Collected.problems``; everything else is still collected.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath

MAX_NOTEBOOK_BYTES = 50 * 2**20
SECRET = "submission_secret.txt"  # written by `nbgrader submit`; release_feedback hashes it into the file name
# What nbgrader's release_feedback reads beside each feedback file (kept in submitted/, copied by report.py).
EXCHANGE_FILES = ("timestamp.txt", SECRET)
SKIPPED_OLDER = "), older than "  # in the note naming a student's skipped older submission (cli.py prints those)

MOODLE = re.compile(r"^(?P<name>.+?)_(?P<id>\d+)_assignsubmission_(?:file|onlinetext)_(?P<file>.*)$")
# Canvas keeps the letters of any script in the name part (it strips only punctuation and spaces).
CANVAS = re.compile(r"^(?P<name>[^\W_]+)_(?P<late>LATE_)?(?P<id>\d+)_(?P<sub>\d+)_(?P<file>.+)$")
UTF8_FLAG = 0x800  # zip general-purpose flag bit 11: "file name is UTF-8"
RESUBMISSION = re.compile(r"-\d+(?=\.ipynb$)")


@dataclass
class Submission:
    student: str
    first_name: str | None
    last_name: str | None
    notebook: str  # the notebook name in the assignment (without .ipynb)
    path: str  # where it now lives in submitted/
    origin: str  # where it came from (for the report)
    timestamp: str | None = None
    lms: str = "folder"  # "moodle", "canvas" or "folder": which import file its grade goes to
    lms_id: str | None = None  # Moodle's participant number, Canvas's user id
    lms_name: str | None = None  # the name as the LMS wrote it (Canvas: "doejane")
    lms_late: bool = False  # Canvas marked it _LATE_
    secret: str | None = None  # the exchange's submission_secret.txt (None: not from the exchange)


@dataclass
class Collected:
    submissions: list[Submission] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # one human-readable line each
    notes: list[str] = field(default_factory=list)  # accepted, but worth telling the TA


def slug(text: str) -> str:
    """An ASCII id from a name in any script: é->e, ß->ss, ø->o, ł->l, 王小明->wangxiaoming."""
    from anyascii import anyascii

    text = anyascii(unicodedata.normalize("NFC", text))
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "student"


def member_name(info: zipfile.ZipInfo) -> str:
    """The zip member's name, right whether or not the archive sets the UTF-8 flag.

    Without the flag Python decodes the name as cp437 (the zip standard's legacy code page), but
    most tools that leave the flag unset write UTF-8 bytes: "Ana María" would read "Ana Mar├¡a".
    So: the raw bytes back (cp437 is one byte per character), UTF-8 if they are UTF-8, else cp437.
    """
    if info.flag_bits & UTF8_FLAG:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


@dataclass
class Parsed:
    student: str
    first_name: str | None
    last_name: str | None
    filename: str  # the notebook's original file name
    lms: str = "folder"
    lms_id: str | None = None
    lms_name: str | None = None
    lms_late: bool = False


def parse_name(relpath: str, assignment: str | None = None) -> Parsed | None:
    """Whose submission a path is (see the module docstring for the recognised names), or None."""
    parts = PurePosixPath(relpath).parts
    filename = parts[-1]
    candidates = [filename] + ([parts[-2] + filename] if len(parts) >= 2 else [])
    for cand in candidates:
        m = MOODLE.match(cand)
        if m:
            full = unicodedata.normalize("NFC", m["name"].strip())
            first, _, last = full.partition(" ")
            return Parsed(f"{slug(full)}_{m['id']}", first or None, last or None, m["file"] or filename,
                          "moodle", m["id"], full)
    m = CANVAS.match(filename)
    if m:
        return Parsed(f"{slug(m['name'])}_{m['id']}", None, None, RESUBMISSION.sub("", m["file"]), "canvas",
                      m["id"], m["name"], bool(m["late"]))
    if len(parts) >= 2 and filename.endswith(".ipynb"):
        folder = parts[-2]
        if assignment and folder == assignment and len(parts) >= 3:
            folder = parts[-3]  # nbgrader's submitted/<student>/<assignment>/
        if "+" in folder:
            folder = folder.split("+")[0]  # the exchange's inbound/<student>+<assignment>+<time>/
        return Parsed(slug(folder), None, None, filename)  # a plain <student>/<notebook> folder
    return None


def collect(inputs: list[str], course_dir: str, assignment: str, notebooks: list[str],
            timezone: str | None = None) -> Collected:
    """Copy every submission found in ``inputs`` (folders or zips) into ``course_dir/submitted``.

    ``timezone``: the zone of zip member times (default: the course's ``c.Deadlines.timezone``).
    """
    if timezone is None:
        from . import late, record

        timezone = late.settings(record.load_config(course_dir)).timezone
    out = Collected()
    found: dict[tuple[str, str], tuple[bytes, Submission, dt.datetime | None]] = {}
    others: set[str] = set()  # exchange submissions of other assignments, left alone
    for src in inputs:
        src = exchange_inbound(src)
        for relpath, read, mtime, secret in _members(src, out, timezone):
            if _other_assignment(relpath, assignment):
                others.add(relpath.split("/")[0])
                continue
            _accept(src, relpath, read, mtime, notebooks, found, out, assignment, secret)
    if others:
        out.notes.append(f"{len(others)} submission(s) of other assignments in the exchange; left alone")
    for (student, notebook), (data, sub, mtime) in sorted(found.items()):
        folder = os.path.join(course_dir, "submitted", student, assignment)
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, notebook + ".ipynb")
        ts = os.path.join(folder, "timestamp.txt")
        new = not os.path.exists(path) or open(path, "rb").read() != data
        if new:
            with open(path + ".tmp", "wb") as fh:
                fh.write(data)
            os.replace(path + ".tmp", path)
        # A new submission's time replaces the old one; the exchange's own time always does (a resubmission
        # of the same notebook is a new submission with its own time and secret).
        if new or not os.path.exists(ts) or sub.secret is not None:
            with open(ts, "w") as fh:
                fh.write(sub.timestamp or _stamp(mtime or dt.datetime.now(dt.timezone.utc)))
        secret = os.path.join(folder, SECRET)
        if sub.secret is not None:
            with open(secret, "w") as fh:
                fh.write(sub.secret)
        elif new and os.path.exists(secret):  # the old exchange submission's secret is not this one's
            os.remove(secret)
        with open(ts) as fh:
            sub.timestamp = fh.read().strip()
        sub.path = path
        out.submissions.append(sub)
    save_lms_ids(course_dir, assignment, out.submissions)
    return out


def exchange_inbound(src: str) -> str:
    """``src``, or the ``inbound/`` submissions folder when ``src`` is an exchange course folder
    (``<exchange>/<course>``) or an exchange root holding one course (``<exchange>``): the released
    notebooks in ``outbound/`` are not submissions."""
    if not os.path.isdir(src) or os.path.isdir(os.path.join(src, "submitted")):  # an nbgrader course folder
        return src
    if os.path.isdir(os.path.join(src, "inbound")):
        return os.path.join(src, "inbound")
    courses = [d.path for d in os.scandir(src) if d.is_dir() and os.path.isdir(os.path.join(d.path, "inbound"))]
    return os.path.join(courses[0], "inbound") if len(courses) == 1 else src


def _other_assignment(relpath: str, assignment: str) -> bool:
    """Whether ``relpath`` is in an exchange folder ``<student>+<other assignment>+<time>...``."""
    top = relpath.split("/")[0]
    parts = top.split("+")
    return "/" in relpath and len(parts) >= 3 and parts[1] != assignment


def _stamp(when: dt.datetime) -> str:
    """nbgrader's timestamp format, in UTC (``nbgrader.utils.parse_utc`` reads it)."""
    return when.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC")


def lms_ids_path(course_dir: str, assignment: str) -> str:
    return os.path.join(course_dir, ".coursekit", "lms", assignment + ".json")


def save_lms_ids(course_dir: str, assignment: str, submissions: list[Submission]) -> None:
    """Add (or update) each student's LMS and LMS id in ``<course>/.coursekit/lms/<assignment>.json``."""
    path = lms_ids_path(course_dir, assignment)
    known = load_lms_ids(course_dir, assignment)
    for s in submissions:
        known[s.student] = {"lms": s.lms, "lms_id": s.lms_id, "lms_name": s.lms_name, "lms_late": s.lms_late,
                            "first_name": s.first_name, "last_name": s.last_name, "origin": s.origin}
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w", encoding="utf-8") as fh:
        json.dump(known, fh, indent=1, ensure_ascii=False, sort_keys=True)
    os.replace(path + ".tmp", path)


def load_lms_ids(course_dir: str, assignment: str) -> dict[str, dict]:
    """student id -> {"lms", "lms_id", "lms_name", ...} as saved by :func:`collect` ({} if none yet)."""
    path = lms_ids_path(course_dir, assignment)
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def _members(src: str, out: Collected, timezone: str = "UTC"):
    """Yield (relative path, reader, submission time: aware datetime or an nbgrader timestamp string,
    the exchange's submission secret or None)."""
    from .late import to_utc

    if os.path.isdir(src):
        for root, _, files in os.walk(src):
            stamp = _exchange_stamp(os.path.join(root, "timestamp.txt"))
            secret = _exchange_secret(os.path.join(root, SECRET)) if stamp else None
            for f in sorted(files):
                full = os.path.join(root, f)
                rel = os.path.relpath(full, src).replace(os.sep, "/")
                mtime = dt.datetime.fromtimestamp(os.path.getmtime(full), dt.timezone.utc)
                yield rel, (lambda full=full: _read_capped(full)), stamp or mtime, secret
        return
    if not os.path.exists(src):
        out.problems.append(f"{src}: no such file or folder")
        return
    try:
        zf = zipfile.ZipFile(src)
        bad = zf.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        out.problems.append(f"{os.path.basename(src)}: not a readable zip file ({exc}); nothing collected from it")
        return
    if bad is not None:
        out.problems.append(f"{os.path.basename(src)}: member {bad!r} is corrupted (CRC error); skipped")
    infos = [i for i in zf.infolist() if not i.is_dir() and i.filename != bad]
    if not infos:
        out.problems.append(f"{os.path.basename(src)}: the zip is empty; nothing to grade")
    with zf:
        for info in infos:
            if info.file_size > MAX_NOTEBOOK_BYTES:
                out.problems.append(f"{info.filename}: {info.file_size} bytes is too large; skipped")
                continue
            when = to_utc(dt.datetime(*info.date_time), timezone).replace(tzinfo=dt.timezone.utc)
            yield member_name(info), (lambda info=info: zf.read(info)), when, None


def _exchange_stamp(path: str) -> str | None:
    """The time nbgrader's exchange wrote beside a submission (``timestamp.txt``), if there is one."""
    if not os.path.isfile(path):
        return None
    from nbgrader.utils import parse_utc

    with open(path) as fh:
        text = fh.read().strip()
    try:
        parse_utc(text)
    except (ValueError, OverflowError):
        return None  # unreadable: the file's own time is used instead
    return text or None


def _exchange_secret(path: str) -> str | None:
    """The secret ``nbgrader submit`` wrote beside a submission (hex), if there is a readable one."""
    try:
        with open(path) as fh:
            text = fh.read(1024).strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text if re.fullmatch(r"[0-9a-f]{16,}", text) else None


def _read_capped(path: str) -> bytes:
    if os.path.getsize(path) > MAX_NOTEBOOK_BYTES:
        raise ValueError("too large")
    with open(path, "rb") as fh:
        return fh.read()


def _accept(src, relpath, read, mtime, notebooks, found, out: Collected, assignment: str | None = None,
            secret: str | None = None) -> None:
    base = PurePosixPath(relpath).name
    if base.startswith(".") or "__MACOSX" in relpath or base in ("timestamp.txt", SECRET):
        return
    parsed = parse_name(relpath, assignment)
    if parsed is None:
        out.problems.append(f"{relpath}: cannot tell whose submission this is (not a Moodle/Canvas "
                            "export name, not in a <student>/ folder); skipped")
        return
    student, first, last, filename = parsed.student, parsed.first_name, parsed.last_name, parsed.filename
    if not filename.endswith(".ipynb"):
        out.notes.append(f"{relpath}: not a notebook (.ipynb); ignored")
        return
    stem = filename[: -len(".ipynb")]
    notebook = stem if stem in notebooks else None
    if notebook is None and len(notebooks) == 1:
        notebook = notebooks[0]
        out.notes.append(f"{relpath}: expected {notebooks[0]}.ipynb, got {filename}; graded as {notebook}.ipynb")
    if notebook is None:
        out.problems.append(f"{relpath}: {filename} is none of the assignment's notebooks "
                            f"({', '.join(n + '.ipynb' for n in notebooks)}); skipped")
        return
    try:
        data = read()
    except Exception as exc:
        out.problems.append(f"{relpath}: could not be read ({exc}); skipped")
        return
    stamp = mtime if isinstance(mtime, str) else None  # the exchange's own timestamp.txt
    if isinstance(mtime, str):
        from nbgrader.utils import parse_utc

        mtime = parse_utc(mtime).replace(tzinfo=dt.timezone.utc)
    key = (student, notebook)
    sub = Submission(student, first, last, notebook, "", relpath, stamp or (_stamp(mtime) if mtime else None),
                     parsed.lms, parsed.lms_id, parsed.lms_name, parsed.lms_late, secret)
    if key in found:  # the newest submission counts (nbgrader collect's rule); say which one was skipped
        old = found[key][1]
        if found[key][2] and mtime and found[key][2] > mtime:
            out.notes.append(f"{student}: skipped {relpath} (submitted {sub.timestamp}{SKIPPED_OLDER}"
                             f"{old.origin} (submitted {old.timestamp}), which is graded")
            return
        out.notes.append(f"{student}: skipped {old.origin} (submitted {old.timestamp}{SKIPPED_OLDER}"
                         f"{relpath} (submitted {sub.timestamp}), which is graded")
    found[key] = (data, sub, mtime)
