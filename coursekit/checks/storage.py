"""Cases and outcomes as plain files: ``<path>`` (JSON) beside ``<path>.npz`` (arrays).

The trusted process reads what the student's process wrote, so nothing here can
execute code: JSON for structure, ``np.load(allow_pickle=False)`` for arrays, and
only these tags: ``{"__nd__": key}`` (an array), ``{"__tuple__": [...]}``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from .core import Case, Outcome


class _Encoder:
    def __init__(self):
        self.arrays: dict[str, np.ndarray] = {}

    def encode(self, value: Any) -> Any:
        if isinstance(value, np.generic):
            value = np.asarray(value)
        if isinstance(value, np.ndarray):
            if value.dtype == object:
                raise TypeError("object arrays cannot be stored")
            key = f"a{len(self.arrays)}"
            self.arrays[key] = value
            return {"__nd__": key}
        if isinstance(value, tuple):
            return {"__tuple__": [self.encode(v) for v in value]}
        if isinstance(value, list):
            return [self.encode(v) for v in value]
        if isinstance(value, dict):
            if "__nd__" in value or "__tuple__" in value:
                raise ValueError("reserved key in a dict")
            return {str(k): self.encode(v) for k, v in value.items()}
        if isinstance(value, float) and not math.isfinite(value):
            return {"__float__": repr(value)}
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        raise TypeError(f"cannot store a value of type {type(value).__name__}")


def _decode(value: Any, arrays) -> Any:
    if isinstance(value, list):
        return [_decode(v, arrays) for v in value]
    if isinstance(value, dict):
        if set(value) == {"__nd__"}:
            return np.array(arrays[str(value["__nd__"])])
        if set(value) == {"__tuple__"}:
            return tuple(_decode(v, arrays) for v in value["__tuple__"])
        if set(value) == {"__float__"}:
            return float(value["__float__"])
        return {k: _decode(v, arrays) for k, v in value.items()}
    return value


def _save(path, payload: Any) -> None:
    path = Path(path)
    enc = _Encoder()
    doc = enc.encode(payload)
    path.write_text(json.dumps(doc))
    with open(str(path) + ".npz", "wb") as fh:
        np.savez(fh, **enc.arrays)


def _load(path) -> Any:
    path = Path(path)
    doc = json.loads(path.read_text())
    with np.load(str(path) + ".npz", allow_pickle=False) as arrays:
        return _decode(doc, arrays)


def save_cases(path, cases: list[Case]) -> None:
    _save(
        path,
        [{"label": c.label, "args": tuple(c.args), "kwargs": dict(c.kwargs), "layout": c.layout} for c in cases],
    )


def load_cases(path) -> list[Case]:
    return [
        Case(str(d["label"]), tuple(d["args"]), dict(d["kwargs"]), str(d.get("layout", "C"))) for d in _load(path)
    ]


def save_outcomes(path, outcomes: list[Outcome]) -> None:
    _save(
        path,
        [
            {
                "label": o.label,
                "output": o.output,
                "error": o.error,
                "mutated_inputs": bool(o.mutated_inputs),
                "seconds": float(o.seconds),
                "warnings": list(o.warnings),
            }
            for o in outcomes
        ],
    )


def load_outcomes(path) -> list[Outcome]:
    outcomes = []
    for d in _load(path):
        if not isinstance(d, dict):
            raise ValueError("malformed outcomes file")
        error = d.get("error")
        outcomes.append(
            Outcome(
                label=str(d.get("label")),
                output=d.get("output"),
                error=None if error is None else str(error),
                mutated_inputs=bool(d.get("mutated_inputs", False)),
                seconds=float(d.get("seconds", 0.0)),
                warnings=[str(w) for w in d.get("warnings", [])][:5],
            )
        )
    return outcomes
