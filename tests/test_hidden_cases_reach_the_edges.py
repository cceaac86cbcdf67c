"""Every exercise's hidden cases reach the input classes where answers break (issue: "hidden cases that
reach every failure class"): float32 and float64, a non-contiguous view, a size-1 dimension, extreme
magnitudes (|x| >= 100, where float32's exp already overflows; most cases go to 1e3) and, for the
losses, probabilities of exactly 0 and 1.  The classes are read off the cases themselves, at several
students' seeds, so a registry change that drops one fails here.  Geometry (a kernel or pool smaller
than its stride) is checked per exercise below."""

from __future__ import annotations

import numpy as np
import pytest

from coursekit.checks import EXERCISES, make_cases
from coursekit.checks.common import arg

from support.cases import arrays

SEEDS = (0, 1, 2**40 + 3)

# Exercises whose arguments hold no float arrays (counts, shapes, layer lists, models, callables'
# specs), or classes that do not apply to one exercise, with the reason.
NOT_APPLICABLE = {
    "size-1": {
        "fit_mlp": "as for extreme: a network trained on one sample has no held-out accuracy",
    },
    "extreme": {
        "binary_crossentropy": "probabilities lie in [0, 1]: their edges are exactly 0 and 1 (checked)",
        "categorical_crossentropy": "as binary_crossentropy",
        "fit_mlp": "it trains on digit images (pixels in [0, 1]); its edges are batch size 1 and one batch per epoch",
    },
}
PROBABILITY_EXERCISES = ("binary_crossentropy", "categorical_crossentropy")


def float_arrays(value):
    return (a for a in arrays(value) if np.issubdtype(a.dtype, np.floating))


def classes(case) -> set[str]:
    arrays = list(float_arrays((case.args, case.kwargs)))
    found = set()
    for a in arrays:
        found.add(str(a.dtype))
        if a.ndim and min(a.shape) == 1:
            found.add("size-1")
        if a.size and np.nanmax(np.abs(a)) >= 100:  # float32 exp overflows from 89 on
            found.add("extreme")
        if a.size and np.any(a == 0) and np.any(a == 1):
            found.add("exact 0 and 1")
    if case.layout == "strided" and arrays:
        found.add("non-contiguous")
    return found


def hidden_classes(name: str) -> set[str]:
    out: set[str] = set()
    for seed in SEEDS:
        cases = make_cases(name, hidden=True, seed=seed)
        for case in cases:
            if case.label.startswith("hidden"):
                out |= classes(case)
    return out


# Exercises whose function is handed no float arrays: numbers and shapes (their edges are geometry,
# below), Keras models and layers (judged on the grader's own probe inputs), no arguments at all.
NO_FLOAT_ARRAYS = {
    "nand_weights", "xor_network", "conv_output_length", "same_padding", "conv2d_param_count",
    "receptive_field", "separable_conv_param_count", "build_lenet5", "residual_block", "inception_module",
    "build_transfer_model", "unfreeze_top_layers", "train_transfer_model",
}
ARRAY_EXERCISES = [n for n in EXERCISES if n not in NO_FLOAT_ARRAYS]


def test_the_array_exercises_are_found():
    assert {"conv2d", "softmax", "adam_update", "dense_backward"} <= set(ARRAY_EXERCISES)
    assert NO_FLOAT_ARRAYS <= set(EXERCISES)


@pytest.mark.parametrize("name", ARRAY_EXERCISES)
def test_hidden_cases_reach_every_input_class(name):
    found = hidden_classes(name)
    wanted = {"float32", "float64", "non-contiguous", "size-1", "extreme"}
    if name in PROBABILITY_EXERCISES:
        wanted.add("exact 0 and 1")
    missing = {w for w in wanted if w not in found and name not in NOT_APPLICABLE.get(w, {})}
    assert not missing, f"{name}: the hidden cases never reach {sorted(missing)} (found {sorted(found)})"


def test_not_applicable_lists_only_classes_the_exercise_really_lacks():
    for cls, names in NOT_APPLICABLE.items():
        for name in names:
            assert name in ARRAY_EXERCISES, (cls, name)
            assert cls not in hidden_classes(name), f"{name} reaches {cls} now: drop the exemption"


def _pair(v):
    return (int(v), int(v)) if np.ndim(v) == 0 else tuple(int(a) for a in v)


def _window_smaller_than_stride(window, strides) -> bool:
    return any(k < s for k, s in zip(_pair(window), _pair(strides)))


def _pool(c, first):
    pool = arg(c, first, "pool_size", 2)
    strides = arg(c, first + 1, "strides")
    return _window_smaller_than_stride(pool, pool if strides is None else strides)


# exercise -> does this case put a window (kernel, pool) smaller than its stride?
KERNEL_BELOW_STRIDE = {
    "conv_output_length": lambda c: arg(c, 1, "kernel_size") < arg(c, 2, "stride", 1),
    "same_padding": lambda c: arg(c, 1, "kernel_size") < arg(c, 2, "stride", 1),
    "conv2d": lambda c: _window_smaller_than_stride(np.shape(arg(c, 1, "kernel"))[:2], arg(c, 3, "strides", 1)),
    "conv2d_backward": lambda c: _window_smaller_than_stride(
        np.shape(arg(c, 2, "kernel"))[:2], arg(c, 3, "strides", 1)
    ),
    "max_pool2d": lambda c: _pool(c, 1),
    "average_pool2d": lambda c: _pool(c, 1),
    "max_pool2d_backward": lambda c: _pool(c, 2),
    "receptive_field": lambda c: any(k < s for k, s in arg(c, 0, "layers")),
}


@pytest.mark.parametrize("name", sorted(KERNEL_BELOW_STRIDE))
def test_hidden_cases_put_a_window_smaller_than_its_stride(name):
    """Where "same" padding would go negative and windows skip cells: every student meets it."""
    for seed in SEEDS:
        hidden = [c for c in make_cases(name, hidden=True, seed=seed) if c.label.startswith("hidden")]
        assert any(KERNEL_BELOW_STRIDE[name](c) for c in hidden), (name, seed)
