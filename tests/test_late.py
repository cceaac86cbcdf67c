"""Due dates, extensions and late penalties, applied the way nbgrader's ``AssignLatePenalties`` does.

Fast: gradebooks are built with nbgrader's API and recorded with ``record.record`` from result dicts
(no notebook is run).  The expected penalties are computed here from the rule, by hand.
"""

from __future__ import annotations

import atexit
import csv
import functools
import os
import shutil
import sys
import tempfile
import warnings

import pytest
from traitlets.config import Config

from coursekit.grader import late, record

A = "01_neuron"
DUE = "2026-11-30 17:00:00 UTC"


@pytest.fixture(autouse=True)
def _quiet(monkeypatch):
    """nbgrader runs `alembic` (beside our interpreter) to create a gradebook; its SQLAlchemy notices are noise."""
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@functools.lru_cache(maxsize=1)
def _empty_gradebook() -> str:
    from nbgrader.api import Gradebook

    folder = tempfile.mkdtemp(prefix="coursekit_gradebook_")
    atexit.register(shutil.rmtree, folder, True)
    with Gradebook(f"sqlite:///{folder}/gradebook.db", "coursekit"):
        pass
    return os.path.join(folder, "gradebook.db")


def _course(tmp_path, config_lines: str = "", duedate: str | None = DUE):
    """A course directory whose gradebook has A (one notebook A, one 10-point test cell test_neuron)."""
    from nbgrader.api import Gradebook

    root = tmp_path / "course"
    root.mkdir()
    (root / "nbgrader_config.py").write_text("c = get_config()\nc.CourseDirectory.course_id = 'coursekit'\n"
                                              + config_lines)
    cfg = record.course_config(str(root))
    shutil.copyfile(_empty_gradebook(), root / "gradebook.db")  # creating one runs alembic: seconds
    with Gradebook(cfg.db_url, cfg.course_id) as gb:
        gb.add_assignment(A, duedate=duedate)
        gb.add_notebook(A, A)
        gb.add_grade_cell("test_neuron", A, A, max_score=10, cell_type="code")
        gb.add_source_cell("test_neuron", A, A, cell_type="code", locked=True, source="")
    layout = record.Layout([A], {A: ["neuron"]}, {(A, "test_neuron"): 10.0}, {})
    return cfg, layout


def _result(student: str, timestamp: str, points: float = 4.0, max_points: float = 5.0) -> dict:
    """A work unit's result as grade_unit writes it (4/5 points: 8 of the cell's 10)."""
    return {"student": student, "notebook": A, "first_name": "Jürgen", "last_name": "Groß", "timestamp": timestamp,
            "exercises": [{"name": "neuron", "points": points, "max_points": max_points}]}


PER_DAY = """
c.AssignLatePenalties.plugin_class = "coursekit.grader.late.PerDayPenalty"
c.PerDayPenalty.percent_per_day = 10
c.PerDayPenalty.grace_minutes = 15
c.Deadlines.extensions = {"ext_hours": 72, "ext_date": "2026-12-04 18:00 Europe/Rome",
                          "ext_date2": "2026-12-04 18:00 Europe/Rome"}
"""


@pytest.fixture(scope="module")
def per_day(tmp_path_factory):
    """One course with PER_DAY for the parametrized cases (each uses its own student)."""
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _course(tmp_path_factory.mktemp("per_day"), PER_DAY)


@pytest.mark.parametrize("student, submitted, seconds_late, penalty", [
    ("on_time", "2026-11-30 16:59:59 UTC", 0, 0.0),
    ("in_grace", "2026-11-30 17:14:00 UTC", 14 * 60, 0.0),  # 14 min, grace is 15
    ("just_late", "2026-11-30 17:16:00 UTC", 16 * 60, 0.8),  # 1 started day: 10 % of 8
    ("three_days", "2026-12-02 18:00:00 UTC", 2 * 86400 + 3600, 2.4),  # 2 days 1 h: 3 started days, 30 % of 8
    ("zone", "2026-11-30 18:30:00 Europe/Rome", 30 * 60, 0.8),  # 17:30 UTC
    ("ext_hours", "2026-12-03 16:00:00 UTC", 0, 0.0),  # 71 h late, 72 h extension
    ("ext_date", "2026-12-04 16:59:00 UTC", 0, 0.0),  # new due date 17:00 UTC (18:00 in Rome)
    ("ext_date2", "2026-12-04 17:20:00 UTC", 20 * 60, 0.8),  # past the extended date and its grace
])
def test_per_day_penalty_grace_and_extensions(per_day, student, submitted, seconds_late, penalty):
    cfg, layout = per_day
    result = _result(student, submitted)
    record.record(cfg, A, result, layout)
    assert result["late"]["seconds_late"] == seconds_late
    assert result["late"]["penalty"] == pytest.approx(penalty)
    from nbgrader.api import Gradebook

    with Gradebook(cfg.db_url, cfg.course_id) as gb:
        nb = gb.find_submission_notebook(A, A, student)
        assert nb.score == 8.0 and (nb.late_submission_penalty or 0.0) == pytest.approx(penalty)
        if student.startswith("ext_"):
            assert gb.find_submission(A, student).extension is not None  # nbgrader's own extension field


def test_nbgrader_zero_method_matches_nbgraders_own_preprocessor(tmp_path):
    """The stock plugin with penalty_method='zero', through coursekit and through nbgrader's AssignLatePenalties."""
    from nbformat.v4 import new_notebook
    from nbgrader.api import Gradebook
    from nbgrader.preprocessors import AssignLatePenalties

    zero = 'c.LateSubmissionPlugin.penalty_method = "zero"\n'
    cfg, layout = _course(tmp_path, zero)
    for student, when in [("late", "2026-12-01 09:00:00 UTC"), ("on_time", "2026-11-30 09:00:00 UTC")]:
        result = _result(student, when)
        record.record(cfg, A, result, layout)
        ours = result["late"]["penalty"]
        conf = Config()
        conf.LateSubmissionPlugin.penalty_method = "zero"
        resources = {"nbgrader": {"notebook": A, "assignment": A, "student": student, "db_url": cfg.db_url}}
        AssignLatePenalties(config=conf).preprocess(new_notebook(), resources)  # nbgrader's own, same gradebook
        with Gradebook(cfg.db_url, cfg.course_id) as gb:
            theirs = gb.find_submission_notebook(A, A, student).late_submission_penalty or 0.0
        assert ours == theirs == (8.0 if student == "late" else 0.0)


def test_nbgraders_csv_export_agrees_with_the_gradebook(tmp_path):
    from nbgrader.api import Gradebook
    from nbgrader.plugins.export import CsvExportPlugin

    cfg, layout = _course(tmp_path, PER_DAY)
    record.record(cfg, A, _result("late", "2026-12-02 18:00:00 UTC"), layout)  # 3 started days: 30 % of 8
    record.record(cfg, A, _result("ok", "2026-11-30 12:00:00 UTC", points=5.0), layout)
    out = tmp_path / "grades.csv"
    with Gradebook(cfg.db_url, cfg.course_id) as gb:
        CsvExportPlugin(to=str(out), assignment=[A]).export(gb)
    with open(out) as fh:
        rows = {r["student_id"]: r for r in csv.DictReader(fh)}
    assert float(rows["late"]["raw_score"]) == 8.0
    assert float(rows["late"]["late_submission_penalty"]) == pytest.approx(2.4)
    assert float(rows["late"]["score"]) == pytest.approx(5.6)
    assert float(rows["ok"]["late_submission_penalty"]) == 0.0 and float(rows["ok"]["score"]) == 10.0
    assert rows["late"]["last_name"] == "Groß"


def test_no_due_date_means_no_penalty_and_a_rerun_is_idempotent(tmp_path):
    cfg, layout = _course(tmp_path, PER_DAY, duedate=None)
    result = _result("someone", "2030-01-01 00:00:00 UTC")
    record.record(cfg, A, result, layout)
    record.record(cfg, A, result, layout)
    assert result["late"]["penalty"] == 0.0 and result["late"]["duedate"] is None


def test_report_lines_say_how_late_and_what_it_cost(tmp_path):
    cfg, layout = _course(tmp_path, PER_DAY)
    results = [_result("late", "2026-12-02 18:00:00 UTC"), _result("on_time", "2026-11-30 12:00:00 UTC")]
    for r in results:
        record.record(cfg, A, r, layout)
    (line,) = late.report_notes(results)
    assert line.startswith("late submitted 2 days 1 h late") and "late penalty 2.4 points" in line


@pytest.mark.parametrize("lines, says", [
    ('c.Deadlines.extensions = {"jane": "next tuesday-ish"}', "c.Deadlines.extensions['jane']"),
    ('c.Deadlines.extensions = {"jane": -5}', "negative"),
    ('c.Deadlines.timezone = "Mars/Olympus"', "not a time zone"),
    ('c.AssignLatePenalties.plugin_class = "coursekit.grader.late.NoSuchPlugin"', "plugin_class"),
    ('c.PerDayPenalty.percent_per_day = -3\nc.AssignLatePenalties.plugin_class = '
     '"coursekit.grader.late.PerDayPenalty"', "percent_per_day"),
])
def test_malformed_settings_say_what_to_write(tmp_path, lines, says):
    root = tmp_path / "c"
    root.mkdir()
    (root / "nbgrader_config.py").write_text("c = get_config()\n" + lines + "\n")
    with pytest.raises(late.LateConfigError) as err:
        record.course_config(str(root))
    assert says in str(err.value) and "nbgrader_config.py" in str(err.value)
    assert isinstance(err.value, RuntimeError)  # `coursekit grade` shows RuntimeErrors as one clear line


def test_describe_late():
    assert late.describe_late(59) == "1 min"
    assert late.describe_late(86400 + 2 * 3600 + 300) == "1 day 2 h 5 min"
    assert late.describe_late(2 * 86400) == "2 days"


def test_lms_id_reaches_the_gradebook_and_canvas_late_without_a_due_date_is_reported(tmp_path):
    from nbgrader.api import Gradebook

    from coursekit.grader import collect

    cfg, layout = _course(tmp_path, PER_DAY, duedate=None)
    sub = collect.Submission("grossjurgen_22346", None, None, A, "", "x", lms="canvas", lms_id="22346",
                             lms_name="großjürgen", lms_late=True)
    collect.save_lms_ids(cfg.root, A, [sub])
    result = _result("grossjurgen_22346", "2026-12-05 10:00:00 UTC")
    record.record(cfg, A, result, layout)
    with Gradebook(cfg.db_url, cfg.course_id) as gb:
        assert gb.find_student("grossjurgen_22346").lms_user_id == "22346"
    (line,) = late.report_notes([result])
    assert "Canvas marked 1 submission(s) late (grossjurgen_22346)" in line and "nbgrader db assignment add" in line
