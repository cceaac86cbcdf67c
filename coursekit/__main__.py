"""``python -m coursekit COMMAND``: the same as the ``coursekit`` command (for Windows and conda users)."""

import sys

from coursekit.cli import main

sys.exit(main())
