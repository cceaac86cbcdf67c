"""The ``coursekit`` console command.

Each subcommand lives in its own module, imported only when it is used, so
``coursekit --help`` stays fast.  A subcommand module exposes
``add_arguments(parser)`` and ``run(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import sys

SUBCOMMANDS = {
    # name: (module, one-line help)
    "release": ("coursekit.assignments.release", "generate the student release of the assignments (nbgrader)"),
    "grade": ("coursekit.grader.cli", "grade a folder or LMS zip of submissions: grades, feedback, report"),
    "decks": ("coursekit.slides", "export the lecture notebooks as offline reveal.js slide decks"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="coursekit", description="The course's commands for TAs and lecturers "
                                     "(`coursekit COMMAND --help` lists the options of one).")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    # Parse the subcommand name first so only its module is imported.
    argv = list(sys.argv[1:] if argv is None else argv)
    chosen = next((a for a in argv if not a.startswith("-")), None)
    for name, (module, help_text) in SUBCOMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == chosen:
            mod = importlib.import_module(module)
            mod.add_arguments(p)
            p.set_defaults(_run=mod.run)
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    return int(args._run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
