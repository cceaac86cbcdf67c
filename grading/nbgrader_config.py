"""nbgrader configuration of the coursekit course (nbgrader 0.9.6).

The SOURCE notebooks are the instructor versions in ../solutions (built by
solutions/build_notebooks.py); releases, submissions and feedback go here.
"""

import os

from coursekit.assignments.feedback import configure as configure_feedback

c = get_config()  # noqa: F821 (provided by nbgrader)

HERE = os.path.dirname(os.path.abspath(__file__))
SOLUTIONS = os.environ.get("COURSEKIT_SOLUTIONS", os.path.join(os.path.dirname(HERE), "solutions"))

c.CourseDirectory.course_id = "coursekit"
c.CourseDirectory.root = os.environ.get("COURSEKIT_COURSE_DIR", HERE)
# os.path.join(root, source_directory) with an absolute path is that path: the
# source notebooks stay in solutions/ whatever the course directory is.
c.CourseDirectory.source_directory = SOLUTIONS
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Belt and braces: coursekit imports TensorFlow quietly (coursekit.keras_setup), but any
# TensorFlow/absl log line on stderr would make nbgrader score a correct test cell 0.
c.IgnorePattern.pattern = (r"(^|\n)(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWE] |[IWE]0000 |"
                           r"WARNING: All log messages before absl|.*oneDNN custom operations|"
                           r".*(cuda|TensorRT|cuDNN|cuFFT|cuBLAS|CUDA|AVX2? FMA))")
c.Execute.timeout = 300
c.Execute.interrupt_on_timeout = True

configure_feedback(c)
