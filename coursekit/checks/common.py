"""Small helpers shared by the exercise modules (case building, live Keras access)."""

from __future__ import annotations

import numpy as np

from .core import Case


def make_case(label: str, *args, **kwargs) -> Case:
    return Case(label, tuple(args), dict(kwargs))


def noncontiguous(case: Case) -> Case:
    """The same call with every array argument given as a non-contiguous view (``Case.layout``)."""
    return Case(case.label + " (non-contiguous)", case.args, dict(case.kwargs), layout="strided")


def keras():
    from coursekit.keras_setup import import_keras

    return import_keras()


def tf():
    from coursekit.keras_setup import import_tensorflow

    return import_tensorflow()


def as_float64(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def to_numpy(t) -> np.ndarray:
    """A TF/Keras tensor (or anything array-like) as a float64 NumPy array."""
    return np.asarray(t.numpy() if hasattr(t, "numpy") else t, dtype=np.float64)


def arg(case: Case, index: int, name: str, default=None):
    """Argument ``name`` of a case, whether passed by position or by keyword."""
    if name in case.kwargs:
        return case.kwargs[name]
    if index < len(case.args):
        return case.args[index]
    return default


def stable_softmax(z, axis=-1):
    z = as_float64(z)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
