"""Grades back to the LMS: the CSV files Moodle's and Canvas's gradebook imports accept.

The ids are the LMS's own, as they came in the submission file names (``collect`` keeps them in
``<course>/.coursekit/lms/<assignment>.json``); the score is the gradebook's final score, computed
as nbgrader's CSV export does: ``max(0, score - late_submission_penalty)`` (manual grades included).
Only students whose submissions came from that LMS are written to its file.

Moodle: the assignment's offline grading worksheet
    Assignment > "View all submissions" > Grading action "Upload grading worksheet" (enable the
    "Offline grading worksheet" feedback type in the assignment's settings).  Moodle's importer
    (mod/assign/feedback/offline/importgradeslib.php, https://github.com/moodle/moodle) requires the
    columns "Identifier", "Grade" and "Last modified (grade)", and reads the identifier as
    "Participant <n>", <n> being the number Moodle puts in the submission file names
    (``Jane Doe_12345_assignsubmission_file_...``).  We write the worksheet's columns as Moodle
    downloads them (Identifier, Full name, Email address, Status, Grade, Maximum Grade, Grade can be
    changed, Last modified (submission), Last modified (grade)).  "Last modified (grade)" is the
    export time, so Moodle does not skip the rows as older than its own grades.  Moodle rejects a
    grade above the assignment's maximum grade: set that to the nbgrader maximum (the file's
    "Maximum Grade") or export with ``scale_to``.
    Docs: https://docs.moodle.org/en/Assignment_settings#Feedback_types (offline grading worksheet).

Canvas: the Gradebook's "Import" (Grades > Import)
    https://community.canvaslms.com/t5/Instructor-Guide/How-do-I-import-grades-in-the-Gradebook/ta-p/807
    Columns "Student", "ID", "SIS User ID", "SIS Login ID", "Section", then one column per assignment
    titled "<Assignment name> (<assignment id>)" (without an id Canvas creates a new assignment), and
    a "Points Possible" row under the header, as in Canvas's own export.  Canvas matches students
    by "ID", the Canvas user id: the number after the name in Canvas's submission file names
    (``doejane_12345_678910_...``).
"""

from __future__ import annotations

import csv
import datetime as dt
import os

MOODLE_COLUMNS = ["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade",
                  "Grade can be changed", "Last modified (submission)", "Last modified (grade)"]
CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
FLAVOURS = ("moodle", "canvas")


def final_scores(db_url: str, course_id: str, assignment: str) -> dict[str, dict]:
    """student id -> {"score", "max_score", "timestamp", "first_name", "last_name", "email"}, from the gradebook.

    ``score`` is nbgrader's CsvExportPlugin's: ``max(0, raw score - late_submission_penalty)``.
    """
    from nbgrader.api import Gradebook

    out = {}
    with Gradebook(db_url, course_id) as gb:
        a = gb.find_assignment(assignment)
        for sub in a.submissions:
            out[sub.student_id] = {
                "score": max(0.0, sub.score - (sub.late_submission_penalty or 0.0)),
                "max_score": a.max_score,
                "timestamp": sub.timestamp,
                "first_name": sub.student.first_name, "last_name": sub.student.last_name,
                "email": sub.student.email,
            }
    return out


def export(course_dir: str, db_url: str, course_id: str, assignment: str, out_dir: str,
           which: str = "auto", canvas_assignment_id: str | None = None,
           scale_to: float | None = None) -> list[str]:
    """Write the LMS import files for ``assignment`` into ``out_dir``; returns their paths.

    ``which``: "moodle", "canvas", "both", "none" or "auto" (a file for each LMS the submissions came
    from).  ``scale_to``: write grades out of this many points instead of the nbgrader maximum.
    """
    from .collect import load_lms_ids

    if which == "none":
        return []
    ids = load_lms_ids(course_dir, assignment)
    wanted = {"both": FLAVOURS, "auto": tuple(f for f in FLAVOURS if any(v["lms"] == f for v in ids.values()))}
    flavours = wanted.get(which, (which,))
    unknown = [f for f in flavours if f not in FLAVOURS]
    if unknown:
        raise ValueError(f"unknown LMS {unknown[0]!r}: give moodle, canvas, both, none or auto")
    scores = final_scores(db_url, course_id, assignment)
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for flavour in flavours:
        rows = {s: v for s, v in ids.items() if v["lms"] == flavour and v.get("lms_id") and s in scores}
        path = os.path.join(out_dir, f"{flavour}_grades.csv")
        if flavour == "moodle":
            write_moodle(path, rows, scores, scale_to)
        else:
            write_canvas(path, rows, scores, assignment, canvas_assignment_id, scale_to)
        paths.append(path)
    return paths


def _points(score: float, max_score: float, scale_to: float | None) -> str:
    value = score * scale_to / max_score if scale_to and max_score else score
    return f"{round(value, 2):g}"


def write_moodle(path: str, ids: dict[str, dict], scores: dict[str, dict], scale_to: float | None = None) -> str:
    """Moodle's grading worksheet (UTF-8, comma-separated, as Moodle's importer reads it)."""
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(MOODLE_COLUMNS)
        for student in sorted(ids, key=lambda s: int(ids[s]["lms_id"])):
            info, sc = ids[student], scores[student]
            name = info.get("lms_name") or " ".join(x for x in (sc["first_name"], sc["last_name"]) if x)
            submitted = sc["timestamp"].replace(tzinfo=dt.timezone.utc).isoformat() if sc["timestamp"] else ""
            w.writerow([f"Participant {info['lms_id']}", name, sc["email"] or "", "Submitted for grading",
                        _points(sc["score"], sc["max_score"], scale_to),
                        _points(sc["max_score"], sc["max_score"], scale_to), "Yes", submitted, now])
    return path


def write_canvas(path: str, ids: dict[str, dict], scores: dict[str, dict], assignment: str,
                 canvas_assignment_id: str | None = None, scale_to: float | None = None) -> str:
    """Canvas's gradebook import file, one assignment column."""
    title = f"{assignment} ({canvas_assignment_id})" if canvas_assignment_id else assignment
    max_score = next(iter(scores.values()))["max_score"] if scores else 0.0
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(CANVAS_COLUMNS + [title])
        w.writerow(["    Points Possible", "", "", "", "", _points(max_score, max_score, scale_to)])
        for student in sorted(ids, key=lambda s: int(ids[s]["lms_id"])):
            info, sc = ids[student], scores[student]
            w.writerow([info.get("lms_name") or student, info["lms_id"], "", "", "",
                        _points(sc["score"], sc["max_score"], scale_to)])
    return path
