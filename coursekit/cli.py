"""Open, release, grade and present the coursekit course.

Run a command with --help for its options and an example.  A command that
cannot go on prints one line, what was wrong and what to do, and exits with
status 1 (2 for a mistyped command line); --debug shows the traceback instead.

examples, from the top folder of the course repository:
  coursekit course                             # JupyterLab on the lectures
  coursekit release                            # student notebooks: grading/release
  coursekit grade 01_neuron moodle_export.zip  # grades, feedback, a report
  coursekit decks                              # offline slide decks: decks/
  sudo coursekit hub setup class.csv           # a course server for a class (then: hub start)
  python -m coursekit --help                   # where coursekit is not on PATH
"""

from __future__ import annotations

import argparse
import importlib
import sys

from coursekit.errors import CoursekitError

# A subcommand is a module with ``add_arguments(parser)`` and ``run(args) -> int``, imported only when
# it is used (so ``coursekit --help`` stays fast).  Its docstring is its --help: plain prose, then an
# "example:" section, no reST markup.  It raises CoursekitError for input a person can fix; main()
# turns that, and anything else, into one line on stderr.
SUBCOMMANDS = {
    # name: (module, one-line help)
    "course": ("coursekit.course", "open JupyterLab on the course: lectures, assignments, Formgrader"),
    "release": ("coursekit.assignments.release", "generate the student release of the assignments (nbgrader)"),
    "grade": ("coursekit.grader.cli", "grade a folder or LMS zip of submissions: grades, feedback, report"),
    "decks": ("coursekit.slides", "export the lecture notebooks as offline reveal.js slide decks"),
    "hub": ("coursekit.hub", "run the course for a class: JupyterHub, one account per person (root)"),
}


class _Parser(argparse.ArgumentParser):
    """argparse, but a mistyped command line is one line too (exit status 2, argparse's)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: {message}; see `{self.prog} --help`\n")


def _help_parts(doc: str) -> tuple[str, str | None]:
    """A module docstring split into (description, epilog): the epilog starts at its "example" line."""
    lines = (doc or "").strip().splitlines()
    at = next((i for i, line in enumerate(lines) if line.lower().startswith("example")), len(lines))
    return "\n".join(lines[:at]).strip(), "\n".join(lines[at:]).strip() or None


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # --debug is accepted before or after the subcommand (not after "--", which passes options on).
    end = argv.index("--") if "--" in argv else len(argv)
    head, tail = argv[:end], argv[end:]
    debug = "--debug" in head
    head = [a for a in head if a != "--debug"]
    # The subcommand's name, known before parsing, so that only its module is imported.
    chosen = next((a for a in head if not a.startswith("-")), None)
    if debug:  # errors propagate, with their traceback
        return _main(head + tail, chosen)
    prefix = f"coursekit {chosen}" if chosen in SUBCOMMANDS else "coursekit"
    try:
        return _main(head + tail, chosen)
    except KeyboardInterrupt:
        print(f"{prefix}: interrupted", file=sys.stderr)
        return 130
    except CoursekitError as exc:
        print(f"{prefix}: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug, or an error nobody foresaw: still one line, and how to see more
        first = (str(exc).strip().splitlines() or [""])[0]
        print(f"{prefix}: {type(exc).__name__}: {first} (rerun with --debug for the traceback)", file=sys.stderr)
        return 1


def _main(argv: list[str], chosen: str | None) -> int:
    description, epilog = _help_parts(__doc__)
    parser = _Parser(prog="coursekit", description=description, epilog=epilog,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--debug", action="store_true", help="on an error, show the Python traceback")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for name, (module, help_text) in SUBCOMMANDS.items():
        if name != chosen:
            sub.add_parser(name, help=help_text)
            continue
        mod = importlib.import_module(module)
        description, epilog = _help_parts(mod.__doc__)
        p = sub.add_parser(name, help=help_text, description=description, epilog=epilog,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    return int(args._run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
