"""Input validation shared by the lecture modules (in the style of scikit-learn's ``check_scalar``).

Every message follows one pattern: name the argument, say what was expected, show what was
given::

    strides must be a positive int or a pair of positive ints; got (2, 0)
    learning_rate must be a number > 0; got -0.1

Wrong types raise ``TypeError``, right types with wrong values raise ``ValueError`` (as
scikit-learn does).
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np

__all__ = ["check_scalar", "check_option", "as_pair", "check_padding", "as_float_array", "check_same_shape",
           "PADDINGS"]

PADDINGS = ("valid", "same")


def _expectation(target_type, min_val, max_val, include_boundaries: str) -> str:
    """'a positive int', 'an int >= 0', 'a number in [0, 1)', ... for the messages."""
    is_int = target_type is int or target_type is Integral
    if is_int and min_val == 1 and max_val is None and include_boundaries in ("both", "left"):
        return "a positive int"
    noun = "an int" if is_int else "a number"
    left = include_boundaries in ("both", "left")
    right = include_boundaries in ("both", "right")
    if min_val is not None and max_val is not None:
        return f"{noun} in {'[' if left else '('}{min_val}, {max_val}{']' if right else ')'}"
    if min_val is not None:
        return f"{noun} {'>=' if left else '>'} {min_val}"
    if max_val is not None:
        return f"{noun} {'<=' if right else '<'} {max_val}"
    return noun


def check_scalar(value, name: str, target_type=Real, *, min_val=None, max_val=None,
                 include_boundaries: str = "both", allow_none: bool = False):
    """Check that ``value`` is one number of ``target_type`` within the bounds; return it.

    ``target_type``: ``int`` (any integer, NumPy's too) or ``Real``/``float`` (any finite
    number, ints included).  ``bool`` is never accepted as a number.  ``include_boundaries``:
    "both", "left", "right" or "neither" say which of ``min_val``/``max_val`` are allowed.
    ``allow_none=True`` lets ``None`` through (returned as is).  Returns ``int(value)`` or
    ``float(value)``.

    >>> check_scalar(0, "batch_size", int, min_val=1)
    Traceback (most recent call last):
    ValueError: batch_size must be a positive int; got 0
    """
    if value is None and allow_none:
        return None
    is_int = target_type is int or target_type is Integral
    expected = _expectation(target_type, min_val, max_val, include_boundaries)
    if allow_none:
        expected += " or None"
    kind = Integral if is_int else Real
    if isinstance(value, bool) or not isinstance(value, kind):
        raise TypeError(f"{name} must be {expected}; got {value!r} ({type(value).__name__})")
    value = int(value) if is_int else float(value)
    left = include_boundaries in ("both", "left")
    right = include_boundaries in ("both", "right")
    too_low = min_val is not None and (value < min_val if left else value <= min_val)
    too_high = max_val is not None and (value > max_val if right else value >= max_val)
    if too_low or too_high or not np.isfinite(value):
        raise ValueError(f"{name} must be {expected}; got {value!r}")
    return value


def check_option(value, name: str, options):
    """Return ``value`` if it is one of ``options``, else raise ``ValueError`` listing them."""
    if value not in options:
        allowed = ", ".join(repr(o) for o in options)
        raise ValueError(f"{name} must be one of {allowed}; got {value!r}")
    return value


def as_pair(value, name: str) -> tuple[int, int]:
    """An int or a pair of ints (Keras's ``kernel_size``/``strides`` style) as a pair of positive ints."""
    if isinstance(value, Integral) and not isinstance(value, bool):
        pair = (value, value)
    elif isinstance(value, (tuple, list, np.ndarray)) and len(value) == 2:
        pair = tuple(value)
    else:
        pair = None
    if pair is None or any(isinstance(v, bool) or not isinstance(v, Integral) for v in pair):
        raise TypeError(f"{name} must be a positive int or a pair of positive ints; got {value!r}")
    if min(pair) < 1:
        raise ValueError(f"{name} must be a positive int or a pair of positive ints; got {value!r}")
    return int(pair[0]), int(pair[1])


def check_padding(padding, name: str = "padding") -> str:
    """Return ``padding`` lower-cased if it is 'valid' or 'same' (the one form every helper takes)."""
    if not isinstance(padding, str) or padding.lower() not in PADDINGS:
        raise ValueError(f"{name} must be 'valid' or 'same'; got {padding!r}")
    return padding.lower()


def as_float_array(x, name: str, ndim: int | tuple[int, ...] | None = None,
                   shape_hint: str = "") -> np.ndarray:
    """Return ``x`` as a floating NumPy array (float64 unless already float).

    Raises ``TypeError`` for non-numeric input and ``ValueError`` for a wrong rank.
    The input is never modified; integer input is converted to float64.
    """
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{name} must be array-like of numbers; got {type(x).__name__}: {exc}") from exc
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must be a numeric array; got dtype {arr.dtype}")
    if not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float64)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            hint = f" {shape_hint}" if shape_hint else ""
            raise ValueError(f"{name} must be {want}{hint}; got shape {arr.shape} ({arr.ndim}-D)")
    return arr


def check_same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    """Raise ``ValueError`` unless two arrays have the same shape."""
    if a.shape != b.shape:
        raise ValueError(f"{name_a} and {name_b} must have the same shape; got {a.shape} and {b.shape}")
