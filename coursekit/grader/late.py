"""Due dates, extensions and late penalties, the way nbgrader models them.

Where each setting lives (all of it nbgrader's own model, so Formgrader and ``nbgrader export`` agree):

* **The due date** is the assignment's, in the gradebook: ``nbgrader db assignment add 01_neuron
  --duedate="2026-12-01 17:00:00 Europe/Rome"`` (or Formgrader's "Manage Assignments").  nbgrader
  stores it in UTC; a due date written without a time zone is taken as UTC.
* **The penalty** is nbgrader's late-submission plugin, set in ``nbgrader_config.py``::

      c.AssignLatePenalties.plugin_class = "coursekit.grader.late.PerDayPenalty"
      c.PerDayPenalty.percent_per_day = 10     # of the notebook's score, per started day late
      c.PerDayPenalty.grace_minutes = 15       # up to 15 minutes late: no penalty

  or nbgrader's stock plugin, ``c.LateSubmissionPlugin.penalty_method = "zero"`` (a late notebook
  scores 0).  ``coursekit grade`` calls the configured plugin exactly as ``nbgrader autograde``'s
  ``AssignLatePenalties`` does and stores ``late_submission_penalty`` on each submitted notebook.
* **Extensions**: nbgrader has a per-submission ``extension`` (``SubmittedAssignment.extension``,
  set by ``Gradebook.grant_extension``) but no command or setting to fill it, and a submission only
  exists once it is collected.  So they are listed in ``nbgrader_config.py`` and written into that
  field when the submission is recorded::

      c.Deadlines.extensions = {"jane_doe_12345": 48,                      # hours
                                "ana_maria_perez_10001": "2026-12-04 17:00 Europe/Rome"}  # new due date

  An extension stays in the gradebook once recorded: to take one back, set it to 0 and grade again.

* **Time zone of LMS times**: a zip file stores local times without a zone.  ``c.Deadlines.timezone``
  (default ``"UTC"``) says which zone the LMS server wrote them in.  nbgrader's exchange writes its
  zone into ``timestamp.txt`` itself.
"""

from __future__ import annotations

import datetime as dt
import math

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Dict, Float, Unicode
from traitlets.config import Configurable


class LateConfigError(RuntimeError):
    """A setting for late work in nbgrader_config.py is malformed (the message says which and how to fix it)."""


class Deadlines(Configurable):
    """coursekit's settings for late work that nbgrader has no configuration for (see the module docstring)."""

    timezone = Unicode("UTC", help="Time zone in which the LMS wrote the times of the files in its zip export "
                                   "(e.g. 'Europe/Rome'); also used for extension dates written without a zone.",
                       ).tag(config=True)
    extensions = Dict(help="Student id -> extension: a number of hours (48), or a new due date "
                           "('2026-12-04 17:00 Europe/Rome').").tag(config=True)


class PerDayPenalty(LateSubmissionPlugin):
    """Late penalty: ``percent_per_day`` of the notebook's score for each started day late, after a grace period.

    Like every nbgrader plugin it is called only for late notebooks, with the notebook's score and the
    seconds past the student's due date (extension included); nbgrader then clips the penalty to
    ``[0, score]``.  ``penalty_method`` (the stock plugin's 'none'/'zero') is not used by this class.
    Example: 10 % per day, 15 minutes' grace: 14 minutes late costs nothing, 16 minutes late 10 %,
    1 day and 1 minute late 20 %.
    """

    percent_per_day = Float(10.0, min=0.0, help="Percent of the notebook's score taken per started day late."
                            ).tag(config=True)
    grace_minutes = Float(0.0, min=0.0, help="Minutes after the due date that cost nothing.").tag(config=True)
    max_percent = Float(100.0, min=0.0, max=100.0, help="The most a late notebook can lose, in percent.",
                        ).tag(config=True)

    def late_submission_penalty(self, student_id: str, score: float, total_seconds_late: float) -> float | None:
        if total_seconds_late <= self.grace_minutes * 60:
            return 0.0
        days = math.ceil(total_seconds_late / 86400)
        return score * min(self.max_percent, days * self.percent_per_day) / 100.0


# ------------------------------------------------------------------------------------- reading the config

def settings(config) -> Deadlines:
    """The course's :class:`Deadlines` (``config``: the traitlets Config of nbgrader_config.py, or None)."""
    from traitlets import TraitError

    try:
        d = Deadlines(config=config)
    except TraitError as exc:
        raise LateConfigError(f"nbgrader_config.py: c.Deadlines is malformed ({exc}); "
                              "see `coursekit.grader.late` for the expected settings") from None
    _zone(d.timezone, "c.Deadlines.timezone")
    for student, value in d.extensions.items():
        extension_delta(value, None, d.timezone, student)  # raises on a malformed entry
    return d


def penalty_assigner(config):
    """nbgrader's ``AssignLatePenalties`` with the configured plugin (its ``plugin_inst`` set)."""
    from nbgrader.preprocessors import AssignLatePenalties
    from traitlets import TraitError

    try:
        pp = AssignLatePenalties(config=config)
        pp.init_plugin()
    except (TraitError, ImportError) as exc:
        raise LateConfigError(
            f"nbgrader_config.py: the late-penalty plugin is misconfigured ({exc}); write e.g. "
            "c.AssignLatePenalties.plugin_class = 'coursekit.grader.late.PerDayPenalty' and "
            "c.PerDayPenalty.percent_per_day = 10, or c.LateSubmissionPlugin.penalty_method = 'zero'") from None
    return pp


def _zone(name: str, where: str):
    import dateutil.tz

    tz = dateutil.tz.gettz(name)
    if tz is None:
        raise LateConfigError(f"nbgrader_config.py: {where} = {name!r} is not a time zone; write an IANA name "
                              "such as 'Europe/Rome' or 'UTC'")
    return tz


def to_utc(when: dt.datetime, zone: str) -> dt.datetime:
    """A naive UTC datetime (nbgrader's convention) from a datetime that is naive in ``zone`` or aware."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=_zone(zone, "c.Deadlines.timezone"))
    return when.astimezone(dt.timezone.utc).replace(tzinfo=None)


def extension_delta(value, duedate: dt.datetime | None, zone: str, student: str) -> dt.timedelta | None:
    """The extension of one ``c.Deadlines.extensions`` entry as a timedelta past ``duedate`` (naive UTC).

    A number is hours; a string is a new due date (so its delta needs ``duedate``; None only validates).
    """
    import dateutil.parser

    where = f"c.Deadlines.extensions[{student!r}] = {value!r}"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value < 0:
            raise LateConfigError(f"nbgrader_config.py: {where} is negative; give the extra hours (e.g. 48)")
        return dt.timedelta(hours=value)
    if isinstance(value, str):
        parts = value.split()
        zone_name = zone
        if len(parts) == 3:  # "2026-12-04 17:00 Europe/Rome", nbgrader's own form
            value, zone_name = " ".join(parts[:2]), parts[2]
        try:
            new_due = dateutil.parser.parse(value)
        except (ValueError, OverflowError):
            new_due = None
        if new_due is None:
            raise LateConfigError(f"nbgrader_config.py: {where} is not a date; write a new due date such as "
                                  "'2026-12-04 17:00 Europe/Rome', or a number of hours such as 48")
        new_due = to_utc(new_due, zone_name) if new_due.tzinfo is None else to_utc(new_due, "UTC")
        return None if duedate is None else max(dt.timedelta(0), new_due - duedate)
    raise LateConfigError(f"nbgrader_config.py: {where} is neither a number of hours (48) nor a due date "
                          "('2026-12-04 17:00 Europe/Rome')")


# --------------------------------------------------------------------------------- applying it

def apply(gb, config, assignment: str, student: str, notebook: str, deadlines: Deadlines | None = None,
          assigner=None) -> dict:
    """Grant the configured extension, then set the notebook's ``late_submission_penalty`` as nbgrader does.

    This is ``nbgrader.preprocessors.AssignLatePenalties.preprocess`` on our gradebook session (same
    plugin call, same clipping by ``_check_late_penalty``).  Returns what the report shows:
    ``{"duedate", "timestamp", "extension_hours", "seconds_late", "penalty"}``: times as ISO strings
    in UTC (None when unknown), the due date with the extension, the penalty in points.  Commits.
    """
    deadlines = deadlines or settings(config)
    assigner = assigner or penalty_assigner(config)
    sub = gb.find_submission(assignment, student)
    nb = gb.find_submission_notebook(notebook, assignment, student)
    nb.late_submission_penalty = None  # reset to None (zero), as nbgrader does
    info = {"duedate": None, "timestamp": sub.timestamp.isoformat() if sub.timestamp else None,
            "extension_hours": 0, "seconds_late": 0.0, "penalty": 0.0}
    if sub.assignment.duedate is None:  # no due date: nothing is late (and nothing more to read)
        gb.db.commit()
        return info
    if student in deadlines.extensions:
        sub.extension = extension_delta(deadlines.extensions[student], sub.assignment.duedate,
                                        deadlines.timezone, student) or None
    late = sub.total_seconds_late
    if late > 0:
        gb.db.flush()
        gb.db.expire(nb, ["score"])  # computed by the database from the grades just written
        penalty = assigner.plugin_inst.late_submission_penalty(student, nb.score, late)
        if penalty is not None:
            nb.late_submission_penalty = assigner._check_late_penalty(nb, penalty)
    info.update(duedate=sub.duedate.isoformat(), seconds_late=float(late),
                extension_hours=round(sub.extension.total_seconds() / 3600, 2) if sub.extension else 0,
                penalty=float(nb.late_submission_penalty or 0.0))
    gb.db.commit()
    return info


def describe_late(seconds: float) -> str:
    """'1 day 2 h 5 min' for a number of seconds late (the report's wording)."""
    minutes = int(math.ceil(seconds / 60))
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    parts = ([f"{days} day" + ("s" if days != 1 else "")] if days else []) + ([f"{hours} h"] if hours else [])
    return " ".join(parts + ([f"{mins} min"] if mins or not parts else []))


def report_notes(results: list[dict]) -> list[str]:
    """One line per late student for report.html (from each result's ``late``, set by ``record``)."""
    by_student: dict[str, list[dict]] = {}
    for r in results:
        if r.get("late"):
            by_student.setdefault(r["student"], []).append(r["late"])
    lines, flagged_without_due = [], []
    for student, parts in sorted(by_student.items()):
        info = parts[0]
        if info["seconds_late"] > 0:
            ext = f", extension {info['extension_hours']:g} h" if info["extension_hours"] else ""
            penalty = sum(p["penalty"] for p in parts)
            lines.append(f"{student} submitted {describe_late(info['seconds_late'])} late (due {info['duedate']} UTC"
                         f"{ext}; submitted {info['timestamp']} UTC): late penalty {penalty:g} points")
        elif info.get("lms_late") and info["duedate"] is None:
            flagged_without_due.append(student)
    if flagged_without_due:
        lines.append(f"Canvas marked {len(flagged_without_due)} submission(s) late ({', '.join(flagged_without_due)}) "
                     "but the assignment has no due date in the gradebook, so no late penalty was applied; set one "
                     "with `nbgrader db assignment add ASSIGNMENT --duedate='YYYY-MM-DD HH:MM:SS ZONE'` and rerun")
    return lines
