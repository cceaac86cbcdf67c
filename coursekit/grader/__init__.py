"""The TA grading pipeline: LMS export -> nbgrader gradebook, grades CSV, feedback, report.

One small module per stage (read them in this order)::

    collect.py   folder or LMS zip (Moodle, Canvas naming) -> nbgrader's submitted/ layout
    sandbox.py   run untrusted code: unprivileged user, namespaces, rlimits, timeouts, capped output
    run.py       trusted parent: write the working copy, start the sandboxed child, read its outcomes
    child.py     inside the sandbox, as the student: exec the cells, call the functions on the cases
    compare.py   in the trusted parent: verdicts from coursekit.checks.grade_outcomes
    record.py    nbgrader gradebook (SQLite or any DB URL nbgrader accepts), autograded notebooks
    report.py    grades CSV (nbgrader's export columns), per-student feedback HTML, report.html
    pipeline.py  wiring: work units, worker pool, progress bar, resume
    cli.py       the ``coursekit grade`` subcommand

Importing this package is cheap: no TensorFlow, no nbgrader.
"""
