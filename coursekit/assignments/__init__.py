"""The six nbgrader assignments: release (``coursekit release``) and safe feedback.

The SOURCE notebooks live in ``solutions/`` of the course repository (not in this
package, so installing coursekit does not ship the solutions); ``grading/`` holds
the nbgrader course configuration.
"""

from __future__ import annotations

ASSIGNMENT_NAMES = ("01_neuron", "02_gradient_descent", "03_backprop", "04_convolution",
                    "05_cnn_architectures", "06_transfer_learning")
