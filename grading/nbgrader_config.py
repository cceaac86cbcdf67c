"""nbgrader configuration of the coursekit course (nbgrader 0.9.6).

The SOURCE notebooks are the instructor versions in ../solutions (each NN_x.ipynb is a jupytext pair
with NN_x.py, which holds the solutions too and is never released); releases, submissions and feedback
go here.  The settings themselves are ``coursekit.assignments.release.configure_course``, shared with
every course directory ``coursekit release --course-dir`` sets up.
"""

import os

from coursekit.assignments.release import configure_course

HERE = os.path.dirname(os.path.abspath(__file__))

configure_course(get_config(), source_directory=os.path.join(os.path.dirname(HERE), "solutions"),  # noqa: F821
                 root=HERE)
