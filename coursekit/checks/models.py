"""Portable summaries of Keras models, so a model answer can be graded in another process.

``summarize(model, input_shape)`` runs in the STUDENT process and returns plain data:
layer classes and the configs that matter, trainable flags, parameter counts and
the model's output on a fixed probe input after setting every weight from a seed
that depends only on the weight's role and shape (``conv kernel (3, 3, 4, 8)``),
so two correct models built in a different order get identical weights.
The trusted side builds its own reference model and summarises it the same way.
"""

from __future__ import annotations

import zlib

import numpy as np

from .common import keras
from .core import Verdict, compare

_CONFIG_KEYS = (
    "filters",
    "kernel_size",
    "strides",
    "padding",
    "units",
    "activation",
    "pool_size",
    "rate",
    "use_bias",
    "axis",
)


def deterministic_weights(model) -> None:
    """Set every weight from a seed that depends on its role and shape only."""
    for w in model.weights:
        role = w.path.split("/")[-1]
        shape = tuple(int(d) for d in w.shape)
        rng = np.random.default_rng(zlib.crc32(f"{role}{shape}".encode()))
        n = rng.normal(size=shape)
        if "kernel" in role:
            fan_in = int(np.prod(shape[:-1])) if len(shape) > 1 else 1
            value = n / np.sqrt(max(fan_in, 1))
        elif role == "gamma":
            value = 1 + 0.1 * n
        elif role == "moving_variance":
            value = 1 + 0.2 * np.abs(n)
        else:  # bias, beta, moving_mean
            value = 0.1 * n
        w.assign(value.astype(w.dtype))


def probe_input(shape, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0, 1, size=(2,) + tuple(shape)).astype(np.float32)


def _layer_row(layer) -> dict:
    cfg = layer.get_config()
    row = {
        "class": type(layer).__name__,
        "trainable": bool(layer.trainable),
        "name": layer.name,
        "params": int(layer.count_params()) if layer.built else 0,
    }
    for key in _CONFIG_KEYS:
        if key in cfg:
            v = cfg[key]
            row[key] = (
                list(v)
                if isinstance(v, tuple)
                else (v if isinstance(v, (int, float, str, bool)) or v is None else str(v))
            )
    return row


def _flat_layers(model):
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer":
            continue
        yield layer


def called_with_training_false(model, inner) -> bool | None:
    """Whether ``inner`` (a nested model) is called with training=False inside ``model``."""
    try:
        for entry in model.get_config()["layers"]:
            if entry.get("config", {}).get("name") == inner.name or entry.get("name") == inner.name:
                nodes = entry.get("inbound_nodes") or []
                return bool(nodes) and all(n.get("kwargs", {}).get("training") is False for n in nodes)
    except Exception:
        return None
    return None


def summarize(model, input_shape, *, probe: bool = True, nested=None) -> dict:
    """Plain-data summary of a Keras model (student side)."""
    k = keras()
    if not isinstance(model, k.Model):
        raise TypeError(f"expected a keras.Model, got {type(model).__name__}")
    rows = [_layer_row(layer) for layer in _flat_layers(model)]
    summary = {
        "layers": rows,
        "count_params": int(model.count_params()),
        "trainable_params": int(sum(np.prod(w.shape) for w in model.trainable_weights)),
        # compute_output_shape: a Sequential model that was never called has no .output
        "output_shape": [
            None if d is None else int(d)
            for d in model.compute_output_shape((None,) + tuple(int(v) for v in input_shape))
        ],
    }
    if nested is not None:
        summary["nested_training_false"] = called_with_training_false(model, nested)
        summary["nested_layers"] = [_layer_row(layer) for layer in _flat_layers(nested)]
        summary["nested_trainable"] = bool(nested.trainable)
    if probe:
        deterministic_weights(model)
        summary["probe_output"] = np.asarray(model(probe_input(input_shape), training=False), dtype=np.float64)
    return summary


def class_counts(rows) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["class"]] = counts.get(r["class"], 0) + 1
    return counts


def judge_summary(out, expected, mistakes=(), check_trainable=False) -> Verdict:
    """Compare a student's model summary with one or several acceptable reference summaries."""
    if not isinstance(out, dict) or "layers" not in out:
        return Verdict(False, [f"expected a keras.Model, got {type(out).__name__}"])
    refs = expected if isinstance(expected, list) else [expected]
    best = None
    for ref in refs:
        problems = []
        if out["output_shape"] != ref["output_shape"]:
            problems.append(f"output shape {tuple(out['output_shape'])}, expected {tuple(ref['output_shape'])}")
        if out["count_params"] != ref["count_params"]:
            problems.append(f"{out['count_params']:,} parameters, expected {ref['count_params']:,}")
        if check_trainable and out["trainable_params"] != ref["trainable_params"]:
            problems.append(f"{out['trainable_params']:,} trainable parameters, expected {ref['trainable_params']:,}")
        if not problems and "probe_output" in ref:
            problems += compare(out.get("probe_output"), ref["probe_output"], "output on a probe input", 1e-4, 1e-5)
        for key in ("nested_training_false", "nested_trainable"):
            if key in ref and out.get(key) != ref[key]:
                problems.append(f"{key.replace('_', ' ')}: {out.get(key)}, expected {ref[key]}")
        if best is None or len(problems) < len(best):
            best = problems
        if not problems:
            return Verdict(True)
    got, want = class_counts(out["layers"]), class_counts(refs[0]["layers"])
    if got != want:
        best.append(f"layers {got}, expected {want}")
    diagnoses = []
    for message, make_variant in mistakes:  # built lazily: only for wrong answers
        try:
            variant = make_variant()
            if variant is not None and judge_summary(out, variant, check_trainable=check_trainable).ok:
                diagnoses.append(message)
        except Exception:
            continue
    return Verdict(False, best, diagnoses)
