"""The error a ``coursekit`` command raises for input a person can fix (see :func:`coursekit.cli.main`)."""

from __future__ import annotations

import difflib


class CoursekitError(Exception):
    """Bad input or a missing piece of the environment: a mistyped name, a missing folder or file.

    The message is one line, ``<what was wrong>; <what to do>``.  The ``coursekit`` command prints it
    as ``coursekit COMMAND: <message>`` on stderr and exits with status 1, with no traceback unless
    ``--debug`` is given.
    """


def unknown(kind: str, name: str, known, error: type[Exception] = CoursekitError) -> Exception:
    """The error for a ``name`` that is not one of ``known``, with a guess when one is close."""
    known = list(known)
    close = difflib.get_close_matches(str(name), known, n=1, cutoff=0.6)
    fix = f"did you mean {close[0]}? The {kind}s are" if close else "name one of"
    return error(f"there is no {kind} {name!r}; {fix} {', '.join(known)}")
