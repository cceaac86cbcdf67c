"""Input validation shared by the lecture modules.

Messages follow one pattern: name the argument, say what was expected, show what
was given, and where it helps, say how to fix it.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np

PADDINGS = ("valid", "same")


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


def as_pair(value, name: str, minimum: int = 1) -> tuple[int, int]:
    """Normalise an int or a pair of ints (Keras's ``kernel_size``/``strides`` style)."""
    if isinstance(value, Integral) and not isinstance(value, bool):
        pair = (int(value), int(value))
    else:
        try:
            pair = tuple(int(v) for v in value)
        except TypeError:
            raise TypeError(f"{name} must be an int or a pair of ints; got {value!r}") from None
        if len(pair) != 2 or any(not isinstance(v, Integral) for v in value):
            raise ValueError(f"{name} must be an int or a pair of ints; got {value!r}")
    if min(pair) < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {value!r}")
    return pair


def check_padding(padding, name: str = "padding") -> str:
    """Return ``padding`` lower-cased if it is 'valid' or 'same'."""
    if not isinstance(padding, str) or padding.lower() not in PADDINGS:
        raise ValueError(f"{name} must be 'valid' or 'same'; got {padding!r}")
    return padding.lower()


def check_same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    """Raise ``ValueError`` unless two arrays have the same shape."""
    if a.shape != b.shape:
        raise ValueError(f"{name_a} and {name_b} must have the same shape; got {a.shape} and {b.shape}")
