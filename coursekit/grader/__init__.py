"""The TA grading pipeline: LMS export -> nbgrader gradebook, grades CSV, feedback, report.

One small module per stage (read them in this order)::

    collect.py       folder, LMS zip (Moodle, Canvas) or nbgrader exchange -> nbgrader's submitted/ layout
    sandbox.py       run untrusted code: bubblewrap allow-list view (else namespaces + deny-list),
                     unprivileged user, rlimits, timeouts, capped output
    run.py           trusted parent: write the working copy, start the sandboxed child, read its outcomes
    child.py         inside the sandbox, as the student: exec the cells, call the functions on the cases
    compare.py       in the trusted parent: verdicts from coursekit.checks.grade_outcomes
    record.py        nbgrader gradebook (SQLite or any DB URL nbgrader accepts), autograded notebooks
    late.py          due dates, extensions and late penalties, nbgrader's way
    report.py        grades CSV (nbgrader's export columns), per-student feedback, report.html
    notebook_html.py a graded notebook as safe HTML (the feedback's body)
    similarity.py    answers alike each other or the reference library, for the report
    lms.py           the gradebook import files of Moodle and Canvas
    pipeline.py      wiring: work units, worker pool, progress bar, resume
    cluster.py       the same work units on a Dask cluster (``--scheduler``)
    cli.py           the ``coursekit grade`` subcommand

Importing this package is cheap: no TensorFlow, no nbgrader.
"""
