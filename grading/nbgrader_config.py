"""nbgrader configuration of the coursekit course (nbgrader 0.9.6).

The SOURCE notebooks are the instructor versions in ../solutions (each NN_x.ipynb is a jupytext pair
with NN_x.py, which holds the solutions too and is never released); releases, submissions and feedback
go here.  The settings themselves are ``coursekit.assignments.release.configure_course``, shared with
every course directory ``coursekit release --course-dir`` sets up.

The exchange (where the Formgrader's "release" puts an assignment for the Assignments tab of a student on
the same machine, and where submissions come back) is ``exchange/`` here, not nbgrader's system-wide
/srv/nbgrader/exchange, which a single machine does not have.  A JupyterHub course sets its own.
"""

import os

from coursekit.assignments.release import configure_course

HERE = os.path.dirname(os.path.abspath(__file__))

c = get_config()  # noqa: F821 (defined by nbgrader when it loads this file)
configure_course(c, source_directory=os.path.join(os.path.dirname(HERE), "solutions"), root=HERE)
c.Exchange.root = os.path.join(HERE, "exchange")
os.makedirs(c.Exchange.root, exist_ok=True)  # nbgrader refuses an exchange that does not exist
