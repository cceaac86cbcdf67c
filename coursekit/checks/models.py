"""Keras model answers judged by behaviour, in plain data, so they can be graded in another process.

:func:`behaviour` runs in the STUDENT process: it sets every weight from a seed that depends only on
the weight's role and shape (``kernel (3, 3, 4, 8)``), so two correct models built in another order or
style get identical weights, and records the outputs on the case's inputs and the trainable weights.
The trusted side records the reference model the same way; :func:`judge_behaviour` compares the two.
"""

from __future__ import annotations

import zlib

import numpy as np

from .common import keras
from .core import Verdict, compare


def deterministic_weights(model, zero=()) -> None:
    """Set every weight from a seed that depends on its role and shape only.

    Weights whose ``id`` is in ``zero`` (e.g. :func:`redundant_biases`) are set to 0 instead.
    """
    zero = {id(v) for v in zero}
    for w in model.weights:
        role = w.path.split("/")[-1]
        shape = tuple(int(d) for d in w.shape)
        rng = np.random.default_rng(zlib.crc32(f"{role}{shape}".encode()))
        n = rng.normal(size=shape)
        if id(w) in zero:
            value = np.zeros(shape)
        elif "kernel" in role:
            fan_in = int(np.prod(shape[:-1])) if len(shape) > 1 else 1
            value = n / np.sqrt(max(fan_in, 1))
        elif role == "gamma":
            value = 1 + 0.1 * n
        elif role == "moving_variance":
            value = 1 + 0.2 * np.abs(n)
        else:  # bias, beta, moving_mean
            value = 0.1 * n
        w.assign(value.astype(w.dtype))


def _flat_layers(model):
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer":
            continue
        yield layer


# ----------------------------------------------------------------------------- judging by behaviour
# A model answer is right when it computes the reference's function with the same trainable weights,
# whatever its style: biases directly followed by BatchNormalization (redundant: BN subtracts the
# channel mean), Activation("relu") / ReLU() / activation="relu", a softmax layer or a Dense softmax,
# Sequential or functional, branches built in any order.  ``behaviour`` (STUDENT side) sets every
# weight by role and shape (deterministic_weights), redundant biases to 0, and records the outputs on
# the case's inputs in inference and in training mode, plus the trainable weights modulo redundant
# biases; ``judge_behaviour`` (trusted side) compares that with the reference's behaviour.


def _role(w) -> str:
    return w.path.split("/")[-1]


def _consumers(model) -> dict[int, list]:
    """id(operation) -> the operations (None: the model's output) that read its output."""
    k = keras()
    if isinstance(model, k.Sequential):
        layers = list(_flat_layers(model))
        cons = {id(a): [b] for a, b in zip(layers, layers[1:])}
        if layers:
            cons[id(layers[-1])] = [None]
        return cons
    cons: dict[int, list] = {}
    keys = getattr(model, "_nodes", None)
    for op in model.operations:
        for i, node in enumerate(op._inbound_nodes):
            if keys is not None and f"{id(op)}_ib-{i}" not in keys:
                continue  # a call of this layer in another model
            for parent in node.parent_nodes:
                cons.setdefault(id(parent.operation), []).append(op)
    for t in model.outputs:
        cons.setdefault(id(t._keras_history.operation), []).append(None)
    return cons


def _normalises_channels(op, rank: int | None) -> bool:
    if type(op).__name__ != "BatchNormalization":
        return False
    axis = op.get_config().get("axis")
    axis = axis[0] if isinstance(axis, (list, tuple)) and len(axis) == 1 else axis
    return axis == -1 or (rank is not None and axis == rank - 1)


def redundant_biases(model) -> list:
    """The bias variables of layers (linear activation) whose output goes only into BatchNormalization
    over the channel axis: BN subtracts each channel's mean, so such a bias changes nothing in training
    mode and is pure redundancy (keras.applications builds these convs with ``use_bias=False``)."""
    cons = _consumers(model)
    ops = list(_flat_layers(model)) if isinstance(model, keras().Sequential) else list(model.operations)
    found = []
    for op in ops:
        bias = getattr(op, "bias", None)
        if bias is None or not hasattr(op, "get_config"):
            continue
        if op.get_config().get("activation") not in (None, "linear"):
            continue
        try:
            rank = len(op.output.shape)
        except Exception:
            rank = None
        readers = cons.get(id(op), [])
        if readers and all(r is not None and _normalises_channels(r, rank) for r in readers):
            found.append(bias)
    return found


def _structure(model) -> dict[str, int]:
    """Layer kinds with the activation styles merged (a structure hint, never a verdict)."""
    counts: dict[str, int] = {}

    def add(key):
        counts[key] = counts.get(key, 0) + 1

    ops = getattr(model, "operations", None) if not isinstance(model, keras().Sequential) else None
    for layer in ops if ops is not None else _flat_layers(model):
        name = type(layer).__name__
        if name == "InputLayer":
            continue
        try:
            cfg = layer.get_config()
        except Exception:  # an operation such as keras.ops.relu
            cfg = {}
        if name in ("Activation", "ReLU", "Relu", "Softmax"):
            add(f"{cfg.get('activation', name.lower())} activation")
            continue
        add({"MaxPool2D": "MaxPooling2D", "AvgPool2D": "AveragePooling2D"}.get(name, name))
        if cfg.get("activation") not in (None, "linear"):
            add(f"{cfg['activation']} activation")
    return counts


def behaviour(model, inputs, *, training: bool = True) -> dict:
    """What ``model`` computes (STUDENT side, plain data): its outputs on ``inputs`` in inference mode
    and (``training=True``) in training mode, after setting every weight by role and shape with the
    redundant biases at 0; the trainable weights (role and shape) without the redundant biases; the
    Dropout rates (set to 0 for the training-mode call, which is then deterministic)."""
    k = keras()
    if not isinstance(model, k.Model):
        raise TypeError(f"expected a keras.Model, got {type(model).__name__}")
    x = np.asarray(inputs, dtype=np.float32)
    if not model.built or not model.weights:
        model(x, training=False)  # a Sequential model without an Input gets its weights here
    redundant = redundant_biases(model)
    deterministic_weights(model, zero=redundant)
    skip = {id(v) for v in redundant}
    out = {
        "structure": _structure(model),
        "count_params": int(model.count_params()),
        "trainable": sorted(
            f"{_role(w)} {tuple(int(d) for d in w.shape)}" for w in model.trainable_weights if id(w) not in skip
        ),
        "inference": np.asarray(model(x, training=False), dtype=np.float64),
    }
    out["output_shape"] = list(out["inference"].shape[1:])
    drops = [layer for layer in model._flatten_layers(include_self=False) if isinstance(layer, k.layers.Dropout)]
    out["dropout_rates"] = [float(layer.rate) for layer in drops]
    if training:  # last: BatchNormalization updates its moving statistics here
        for layer in drops:
            layer.rate = 0.0
        try:
            out["training"] = np.asarray(model(x, training=True), dtype=np.float64)
        finally:
            for layer, rate in zip(drops, out["dropout_rates"]):
                layer.rate = rate
    return out


def _multiset_difference(a, b) -> list[str]:
    rest = list(b)
    extra = []
    for item in a:
        if item in rest:
            rest.remove(item)
        else:
            extra.append(item)
    return extra


def behaviour_problems(out, ref, rtol: float = 1e-4, atol: float = 1e-5) -> list[str]:
    """How the behaviour ``out`` differs from ``ref`` (empty: the same function, the same weights)."""
    if not isinstance(out, dict) or "inference" not in out:
        return [f"expected a keras.Model, got {type(out).__name__}"]
    if list(out["output_shape"]) != list(ref["output_shape"]):
        return [f"output shape {tuple(out['output_shape'])} (batch excluded), expected {tuple(ref['output_shape'])}"]
    problems = []
    extra = _multiset_difference(out["trainable"], ref["trainable"])
    missing = _multiset_difference(ref["trainable"], out["trainable"])
    if extra or missing:
        diff = ([f"extra {', '.join(extra)}"] if extra else []) + ([f"missing {', '.join(missing)}"] if missing else [])
        problems.append(
            "trainable weights (role and shape; biases directly before BatchNormalization ignored) differ: "
            + "; ".join(diff)
        )
    problems += compare(out["inference"], ref["inference"], "output in inference mode (training=False)", rtol, atol)
    if "training" in ref:
        what = "output in training mode (BatchNormalization on batch statistics)"
        problems += compare(out.get("training"), ref["training"], what, rtol, atol)
    return problems


def judge_behaviour(out, expected, mistakes=(), rtol: float = 1e-4, atol: float = 1e-5) -> Verdict:
    """Right when ``out`` behaves as ``expected`` (a :func:`behaviour` dict); otherwise the differences,
    a structure hint, and the mistakes (message, lazily built behaviour of the wrong model) it matches."""
    problems = behaviour_problems(out, expected, rtol, atol)
    if not problems:
        return Verdict(True)
    if isinstance(out, dict) and "structure" in out and out["structure"] != expected.get("structure"):
        problems.append(f"hint (structure only): your layers {out['structure']}, reference {expected['structure']}")
    diagnoses = []
    if isinstance(out, dict) and "inference" in out:
        for message, make_variant in mistakes:  # built lazily: only for wrong answers
            try:
                variant = make_variant()
                if variant is not None and not behaviour_problems(out, variant, rtol, atol):
                    diagnoses.append(message)
            except Exception:
                continue
    return Verdict(False, problems, diagnoses)

