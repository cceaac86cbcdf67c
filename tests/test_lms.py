"""Names through LMS zips (UTF-8 flag or not, any script) and the gradebook import files for Moodle and Canvas.

Fast: no grading.  The gradebook is built with nbgrader's own API; the ids come from ``collect``
reading zips written the way the LMSs name their files.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import sys
import warnings
import zipfile

import pytest

from coursekit.grader import collect, lms

A = "01_neuron"
NB = b'{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
WHEN = (2026, 11, 30, 12, 0, 0)


def raw_zip(path, members: list[tuple[bytes, bytes]], date_time=WHEN) -> None:
    """A zip whose member names are the given raw bytes and whose UTF-8 flag (bit 0x800) is unset.

    Python's zipfile sets the flag for any non-ASCII name, so each name is written as an ASCII
    placeholder of the same length, then replaced byte for byte (local header and central directory;
    the CRC covers the data only).
    """
    placeholders = []
    with zipfile.ZipFile(path, "w") as zf:
        for i, (raw, data) in enumerate(members):
            ph = (f"~{i:03d}" + "~" * len(raw))[: len(raw)]
            placeholders.append((ph.encode(), raw))
            zf.writestr(zipfile.ZipInfo(ph, date_time), data)
    blob = open(path, "rb").read()
    for ph, raw in placeholders:
        assert blob.count(ph) == 2, "placeholder must occur in the local header and the central directory"
        blob = blob.replace(ph, raw)
    open(path, "wb").write(blob)


def _collect(tmp_path, zip_path):
    return collect.collect([str(zip_path)], str(tmp_path / "course"), A, [A], timezone="UTC")


def test_utf8_names_without_the_flag_are_decoded_as_utf8(tmp_path):
    name = "Ana María Pérez_10001_assignsubmission_file_/01_neuron.ipynb"
    raw_zip(tmp_path / "m.zip", [(name.encode("utf-8"), NB)])
    with zipfile.ZipFile(tmp_path / "m.zip") as zf:  # the symptom, before our decoding
        (info,) = zf.infolist()
        assert info.flag_bits & 0x800 == 0
        assert "Mar├¡a P├⌐rez" in info.filename
    (sub,) = _collect(tmp_path, tmp_path / "m.zip").submissions
    assert (sub.student, sub.first_name, sub.last_name) == ("ana_maria_perez_10001", "Ana", "María Pérez")


def test_legacy_cp437_names_are_kept_and_flagged_names_are_read_as_utf8(tmp_path):
    # cp437: 0x82 is é, 0x81 is ü (the code page table), and these bytes are not valid UTF-8
    raw_zip(tmp_path / "dos.zip", [(b"R\x82mi M\x81ller_12346_assignsubmission_file_01_neuron.ipynb", NB)])
    (sub,) = _collect(tmp_path, tmp_path / "dos.zip").submissions
    assert (sub.student, sub.first_name, sub.last_name) == ("remi_muller_12346", "Rémi", "Müller")

    with zipfile.ZipFile(tmp_path / "flag.zip", "w") as zf:
        zf.writestr(zipfile.ZipInfo("Søren Ørsted_12347_assignsubmission_file_01_neuron.ipynb", WHEN), NB)
    with zipfile.ZipFile(tmp_path / "flag.zip") as zf:
        assert zf.infolist()[0].flag_bits & 0x800
    (sub,) = collect.collect([str(tmp_path / "flag.zip")], str(tmp_path / "c2"), A, [A], timezone="UTC").submissions
    assert (sub.student, sub.last_name) == ("soren_orsted_12347", "Ørsted")


# Italian, German, Polish, Chinese: the id is transliterated (expected ids written out by hand).
NAMES = [("Niccolò Fabbrì", "niccolo_fabbri"), ("Jürgen Groß", "jurgen_gross"),
         ("Łukasz Wałęsa", "lukasz_walesa"), ("王小明", "wangxiaoming")]


@pytest.mark.parametrize("flag", [False, True])
def test_moodle_names_in_four_languages(tmp_path, flag):
    names = [f"{full}_{10001 + i}_assignsubmission_file_01_neuron.ipynb" for i, (full, _) in enumerate(NAMES)]
    if flag:
        with zipfile.ZipFile(tmp_path / "m.zip", "w") as zf:
            for n in names:
                zf.writestr(zipfile.ZipInfo(n, WHEN), NB)
    else:
        raw_zip(tmp_path / "m.zip", [(n.encode("utf-8"), NB) for n in names])
    got = {s.student: s for s in _collect(tmp_path, tmp_path / "m.zip").submissions}
    assert set(got) == {f"{ident}_{10001 + i}" for i, (_, ident) in enumerate(NAMES)}
    assert got["niccolo_fabbri_10001"].last_name == "Fabbrì"  # Unicode kept for the gradebook
    assert got["lukasz_walesa_10003"].first_name == "Łukasz"
    assert got["wangxiaoming_10004"].first_name == "王小明"
    assert {s.lms for s in got.values()} == {"moodle"}


def test_canvas_names_in_four_languages(tmp_path):
    # Canvas writes the sortable name without spaces or punctuation, lower-cased, letters of any script kept.
    canvas = [("fabbrìniccolò", "fabbriniccolo"), ("großjürgen", "grossjurgen"), ("wałęsałukasz", "walesalukasz"),
              ("王小明", "wangxiaoming")]
    names = [f"{n}_{'LATE_' if i == 1 else ''}{22345 + i}_{678910 + i}_01_neuron.ipynb"
             for i, (n, _) in enumerate(canvas)]
    raw_zip(tmp_path / "c.zip", [(n.encode("utf-8"), NB) for n in names])
    got = {s.student: s for s in _collect(tmp_path, tmp_path / "c.zip").submissions}
    assert set(got) == {f"{ident}_{22345 + i}" for i, (_, ident) in enumerate(canvas)}
    assert got["grossjurgen_22346"].lms_late and not got["wangxiaoming_22348"].lms_late
    assert got["wangxiaoming_22348"].lms_id == "22348" and got["wangxiaoming_22348"].lms == "canvas"


def test_zip_times_are_read_in_the_lms_time_zone(tmp_path):
    raw_zip(tmp_path / "m.zip", [("Jane Doe_1_assignsubmission_file_01_neuron.ipynb".encode(), NB)],
            date_time=(2026, 12, 1, 17, 30, 0))
    got = collect.collect([str(tmp_path / "m.zip")], str(tmp_path / "c"), A, [A], timezone="Europe/Rome")
    # 17:30 in Rome in December (CET, UTC+1) is 16:30 UTC
    assert got.submissions[0].timestamp == "2026-12-01 16:30:00.000000 UTC"
    assert open(tmp_path / "c/submitted/jane_doe_1/01_neuron/timestamp.txt").read() == got.submissions[0].timestamp


def test_the_exchange_timestamp_is_used(tmp_path):
    folder = tmp_path / "inbound" / "jane+01_neuron+2026-12-01 16:05:00.000000 UTC+abc"
    folder.mkdir(parents=True)
    (folder / "01_neuron.ipynb").write_bytes(NB)
    (folder / "timestamp.txt").write_text("2026-12-01 16:05:00.000000 UTC")
    (sub,) = collect.collect([str(tmp_path / "inbound")], str(tmp_path / "c"), A, [A], timezone="UTC").submissions
    assert (sub.student, sub.timestamp) == ("jane", "2026-12-01 16:05:00.000000 UTC")


# ------------------------------------------------------------------------------------------ exports

@pytest.fixture(autouse=True)
def _alembic_on_path(monkeypatch):
    """nbgrader runs the `alembic` script (beside our interpreter) when it creates a gradebook."""
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))


def _gradebook(tmp_path, students: dict[str, tuple[float, float]]):
    """A gradebook with A (one notebook, one 10-point test cell): student -> (auto score, late penalty)."""
    from nbgrader.api import Gradebook

    url = f"sqlite:///{tmp_path}/gradebook.db"
    with Gradebook(url, "coursekit") as gb, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SQLAlchemy autoflush notices from nbgrader's add_submission
        gb.add_assignment(A, duedate="2026-11-30 17:00:00 UTC")
        gb.add_notebook(A, A)
        gb.add_grade_cell("test_neuron", A, A, max_score=10, cell_type="code")
        gb.add_source_cell("test_neuron", A, A, cell_type="code", locked=True, source="")
        for student, (score, penalty) in students.items():
            gb.add_student(student)
            gb.add_submission(A, student, timestamp="2026-11-30 16:00:00 UTC")
            gb.find_grade("test_neuron", A, A, student).auto_score = score
            gb.find_submission_notebook(A, A, student).late_submission_penalty = penalty
        gb.db.commit()
    return url


def test_moodle_grading_worksheet(tmp_path):
    names = ["Ana María Pérez_10001_assignsubmission_file_/01_neuron.ipynb",
             "Jürgen Groß_10002_assignsubmission_file_01_neuron.ipynb"]
    raw_zip(tmp_path / "m.zip", [(n.encode(), NB) for n in names])
    course = tmp_path / "course"
    students = [s.student for s in _collect(tmp_path, tmp_path / "m.zip").submissions]
    url = _gradebook(tmp_path, {students[0]: (9.0, 0.0), students[1]: (8.0, 1.6)})
    (path,) = lms.export(str(course), url, "coursekit", A, str(tmp_path / "out"))
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    # Moodle's importer (mod/assign/feedback/offline/importgradeslib.php) needs "Identifier", "Grade" and
    # "Last modified (grade)"; the rest are the worksheet's download columns (https://docs.moodle.org/en/Assignment_settings).
    assert rows[0] == ["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade",
                       "Grade can be changed", "Last modified (submission)", "Last modified (grade)"]
    by_id = {r[0]: dict(zip(rows[0], r)) for r in rows[1:]}
    # "Participant <n>": the hiddenuser string + the number from the submission file name
    assert set(by_id) == {"Participant 10001", "Participant 10002"}
    assert by_id["Participant 10001"]["Full name"] == "Ana María Pérez"
    assert float(by_id["Participant 10001"]["Grade"]) == 9.0
    assert float(by_id["Participant 10002"]["Grade"]) == pytest.approx(8.0 - 1.6)  # after the late penalty
    assert float(by_id["Participant 10002"]["Maximum Grade"]) == 10.0
    assert dt.datetime.fromisoformat(by_id["Participant 10002"]["Last modified (grade)"]) > dt.datetime(
        2026, 1, 1, tzinfo=dt.timezone.utc)
    scaled = lms.export(str(course), url, "coursekit", A, str(tmp_path / "out2"), "moodle", scale_to=100)[0]
    with open(scaled, encoding="utf-8") as fh:
        assert {r["Identifier"]: float(r["Grade"]) for r in csv.DictReader(fh)}["Participant 10002"] == 64.0


def test_canvas_gradebook_import(tmp_path):
    names = ["großjürgen_LATE_22346_678911_01_neuron-1.ipynb", "王小明_22347_678912_01_neuron.ipynb"]
    raw_zip(tmp_path / "c.zip", [(n.encode(), NB) for n in names])
    course = tmp_path / "course"
    students = sorted(s.student for s in _collect(tmp_path, tmp_path / "c.zip").submissions)
    assert students == ["grossjurgen_22346", "wangxiaoming_22347"]
    url = _gradebook(tmp_path, {"grossjurgen_22346": (10.0, 10.0), "wangxiaoming_22347": (7.5, 0.0),
                                "someone_else": (5.0, 0.0)})  # graded from a folder: not Canvas's
    (path,) = lms.export(str(course), url, "coursekit", A, str(tmp_path / "out"), "auto", canvas_assignment_id="4242")
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    # https://community.canvaslms.com/t5/Instructor-Guide/How-do-I-import-grades-in-the-Gradebook/ta-p/807:
    # Student, ID, SIS User ID, SIS Login ID, Section, then "<assignment> (<assignment id>)"; Points Possible row.
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "01_neuron (4242)"]
    assert rows[1][0].strip() == "Points Possible" and float(rows[1][5]) == 10.0
    grades = {r[1]: float(r[5]) for r in rows[2:]}
    assert grades == {"22346": 0.0, "22347": 7.5}  # Canvas user ids from the file names; penalty applied
    assert {r[0] for r in rows[2:]} == {"großjürgen", "王小明"}


def test_unknown_lms_is_refused(tmp_path):
    with pytest.raises(ValueError, match="moodle, canvas, both, none or auto"):
        lms.export(str(tmp_path), "sqlite://", "coursekit", A, str(tmp_path), "blackboard")


# ------------------------------------------------------------------------------ end to end, slow

@pytest.mark.slow
def test_coursekit_grade_moodle_zip_with_deadline(tmp_path, keras):
    """`coursekit grade` on a Moodle zip without the UTF-8 flag, a due date, a per-day penalty, one late student."""
    import html
    import subprocess

    import nbformat
    from nbgrader.api import Gradebook

    from coursekit.checks import ASSIGNMENTS, EXERCISES
    from coursekit.grader import record

    from support import demo_course as demo

    course = tmp_path / "course"
    demo.make_course(str(course), [A])
    with open(course / "nbgrader_config.py", "a") as fh:
        fh.write('\nc.AssignLatePenalties.plugin_class = "coursekit.grader.late.PerDayPenalty"\n'
                 "c.PerDayPenalty.percent_per_day = 10\n")
    cfg = record.course_config(str(course))
    with Gradebook(cfg.db_url, cfg.course_id) as gb:  # what `nbgrader db assignment add --duedate` stores
        gb.update_or_create_assignment(A, duedate="2026-11-30 17:00:00 UTC")
    nbname = demo.notebook_names(str(course), A)[0]
    data = nbformat.writes(demo.student_notebook(str(course), A)).encode()
    zpath = tmp_path / "moodle.zip"
    raw_zip(zpath, [(f"Ana María Pérez_10001_assignsubmission_file_/{nbname}.ipynb".encode(), data)],
            date_time=(2026, 11, 30, 16, 0, 0))  # on time
    blob = tmp_path / "late.zip"  # the late one, in its own zip so its member time differs
    raw_zip(blob, [(f"Jürgen Groß_10002_assignsubmission_file_{nbname}.ipynb".encode(), data)],
            date_time=(2026, 12, 1, 20, 0, 0))  # 27 h late: 2 started days, 20 %
    out = tmp_path / "out"
    res = subprocess.run([sys.executable, "-m", "coursekit.cli", "grade", A, str(zpath), str(blob), "--course",
                          str(course), "--out", str(out), "--workers", "1", "--no-progress"],
                         capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert "moodle_grades.csv" in res.stdout

    full = sum(EXERCISES[n].points for n in ASSIGNMENTS[A])
    with open(out / "grades.csv", encoding="utf-8") as fh:
        rows = {r["student_id"]: r for r in csv.DictReader(fh)}
    assert set(rows) == {"ana_maria_perez_10001", "jurgen_gross_10002"}
    assert rows["ana_maria_perez_10001"]["last_name"] == "María Pérez"
    assert float(rows["ana_maria_perez_10001"]["late_submission_penalty"]) == 0.0
    assert float(rows["ana_maria_perez_10001"]["score"]) == pytest.approx(full)
    assert float(rows["jurgen_gross_10002"]["raw_score"]) == pytest.approx(full)
    assert float(rows["jurgen_gross_10002"]["late_submission_penalty"]) == pytest.approx(0.2 * full)
    assert float(rows["jurgen_gross_10002"]["score"]) == pytest.approx(0.8 * full)

    with open(out / "moodle_grades.csv", encoding="utf-8") as fh:
        grades = {r["Identifier"]: (r["Full name"], float(r["Grade"])) for r in csv.DictReader(fh)}
    assert grades == {"Participant 10001": ("Ana María Pérez", pytest.approx(full)),
                      "Participant 10002": ("Jürgen Groß", pytest.approx(0.8 * full))}

    report = html.unescape((out / "report.html").read_text(encoding="utf-8"))
    assert "jurgen_gross_10002 submitted 1 day 3 h late" in report
    assert f"late penalty {0.2 * full:g} points" in report
    # the scores table: the final score after the penalty, and how late
    assert (f"<td>jurgen_gross_10002</td><td>{0.8 * full:g} / {full:g}</td><td>1 day 3 h, -{0.2 * full:g} points</td>"
            in report)
    assert f"<td>ana_maria_perez_10001</td><td>{full:g} / {full:g}</td><td></td>" in report
