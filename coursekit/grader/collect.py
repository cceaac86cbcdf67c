"""Collect submissions (a folder or an LMS zip export) into nbgrader's ``submitted/`` layout.

Recognised names (the student id becomes ``<slug>_<lms id>``, e.g. ``jane_doe_12345``):

* Moodle, flat:        ``Jane Doe_12345_assignsubmission_file_01_neuron.ipynb``
* Moodle, in folders:  ``Jane Doe_12345_assignsubmission_file_/01_neuron.ipynb``
* Canvas:              ``doejane_12345_678910_01_neuron.ipynb`` (``doejane_LATE_12345_678910_...`` when
  late; Canvas appends ``-1``, ``-2`` to a resubmitted file's name)
* a plain folder:      ``<student_id>/01_neuron.ipynb``

Result: ``<course>/submitted/<student>/<assignment>/<notebook>.ipynb`` plus ``timestamp.txt``.
Nothing is ever extracted by the names inside a zip (no path traversal): each member is read and
written to a path we build.  Problems (unknown names, empty or corrupted zips, files that are not
notebooks) become one line each in ``Collected.problems``; everything else is still collected.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath

MAX_NOTEBOOK_BYTES = 50 * 2**20

MOODLE = re.compile(r"^(?P<name>.+?)_(?P<id>\d+)_assignsubmission_(?:file|onlinetext)_(?P<file>.*)$")
CANVAS = re.compile(r"^(?P<name>[a-z0-9]+)_(?:LATE_)?(?P<id>\d+)_(?P<sub>\d+)_(?P<file>.+)$")
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


@dataclass
class Collected:
    submissions: list[Submission] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # one human-readable line each
    notes: list[str] = field(default_factory=list)  # accepted, but worth telling the TA


def slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "student"


def parse_name(relpath: str) -> tuple[str, str | None, str | None, str] | None:
    """(student_id, first_name, last_name, original file name) from an LMS path, or None."""
    parts = PurePosixPath(relpath).parts
    filename = parts[-1]
    candidates = [filename] + ([parts[-2] + filename] if len(parts) >= 2 else [])
    for cand in candidates:
        m = MOODLE.match(cand)
        if m:
            full = m["name"].strip()
            first, _, last = full.partition(" ")
            return f"{slug(full)}_{m['id']}", first or None, last or None, m["file"] or filename
    m = CANVAS.match(filename)
    if m:
        return f"{m['name']}_{m['id']}", None, None, RESUBMISSION.sub("", m["file"])
    if len(parts) >= 2 and filename.endswith(".ipynb"):
        return slug(parts[-2]), None, None, filename  # a plain <student>/<notebook> folder
    return None


def collect(inputs: list[str], course_dir: str, assignment: str, notebooks: list[str]) -> Collected:
    """Copy every submission found in ``inputs`` (folders or zips) into ``course_dir/submitted``."""
    out = Collected()
    found: dict[tuple[str, str], tuple[bytes, Submission, dt.datetime | None]] = {}
    for src in inputs:
        for relpath, read, mtime in _members(src, out):
            _accept(src, relpath, read, mtime, notebooks, found, out)
    for (student, notebook), (data, sub, mtime) in sorted(found.items()):
        folder = os.path.join(course_dir, "submitted", student, assignment)
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, notebook + ".ipynb")
        if not os.path.exists(path) or open(path, "rb").read() != data:
            with open(path + ".tmp", "wb") as fh:
                fh.write(data)
            os.replace(path + ".tmp", path)
        stamp = (mtime or dt.datetime.now()).strftime("%Y-%m-%d %H:%M:%S.%f")
        ts = os.path.join(folder, "timestamp.txt")
        if not os.path.exists(ts):
            with open(ts, "w") as fh:
                fh.write(stamp)
        with open(ts) as fh:
            sub.timestamp = fh.read().strip()
        sub.path = path
        out.submissions.append(sub)
    return out


def _members(src: str, out: Collected):
    """Yield (relative path, reader, mtime) for every file in a folder or zip."""
    if os.path.isdir(src):
        for root, _, files in os.walk(src):
            for f in sorted(files):
                full = os.path.join(root, f)
                rel = os.path.relpath(full, src).replace(os.sep, "/")
                mtime = dt.datetime.fromtimestamp(os.path.getmtime(full))
                yield rel, (lambda full=full: _read_capped(full)), mtime
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
            yield info.filename, (lambda info=info: zf.read(info)), dt.datetime(*info.date_time)


def _read_capped(path: str) -> bytes:
    if os.path.getsize(path) > MAX_NOTEBOOK_BYTES:
        raise ValueError("too large")
    with open(path, "rb") as fh:
        return fh.read()


def _accept(src, relpath, read, mtime, notebooks, found, out: Collected) -> None:
    base = PurePosixPath(relpath).name
    if base.startswith(".") or "__MACOSX" in relpath or base in ("timestamp.txt",):
        return
    parsed = parse_name(relpath)
    if parsed is None:
        out.problems.append(f"{relpath}: cannot tell whose submission this is (not a Moodle/Canvas "
                            "export name, not in a <student>/ folder); skipped")
        return
    student, first, last, filename = parsed
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
    key = (student, notebook)
    if key in found and found[key][2] and mtime and found[key][2] > mtime:
        out.notes.append(f"{relpath}: an older copy of {student}'s {notebook}.ipynb; kept the newer one")
        return
    if key in found:
        out.notes.append(f"{relpath}: replaces an earlier copy of {student}'s {notebook}.ipynb")
    found[key] = (data, Submission(student, first, last, notebook, "", relpath), mtime)
