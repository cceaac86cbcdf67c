"""coursekit.validation: every message names the argument, the expectation and the value given."""

from __future__ import annotations

from numbers import Real

import numpy as np
import pytest

from coursekit.validation import as_float_array, as_pair, check_option, check_padding, check_scalar


@pytest.mark.parametrize("kwargs, value, error, message", [
    (dict(target_type=int, min_val=1), 0, ValueError, "batch_size must be a positive int; got 0"),
    (dict(target_type=int, min_val=1), 2.0, TypeError, "batch_size must be a positive int; got 2.0 (float)"),
    (dict(target_type=int, min_val=1), True, TypeError, "batch_size must be a positive int; got True (bool)"),
    (dict(target_type=int, min_val=0), -1, ValueError, "batch_size must be an int >= 0; got -1"),
    (dict(min_val=0, include_boundaries="neither"), 0, ValueError, "batch_size must be a number > 0; got 0.0"),
    (dict(min_val=0, max_val=1, include_boundaries="left"), 1, ValueError,
     "batch_size must be a number in [0, 1); got 1.0"),
    (dict(min_val=0, max_val=1), "0.5", TypeError, "batch_size must be a number in [0, 1]; got '0.5' (str)"),
    (dict(max_val=3, include_boundaries="neither"), 3, ValueError, "batch_size must be a number < 3; got 3.0"),
    (dict(), float("nan"), ValueError, "batch_size must be a number; got nan"),
    (dict(target_type=int, min_val=1, allow_none=True), 0, ValueError,
     "batch_size must be a positive int or None; got 0"),
])
def test_check_scalar_messages(kwargs, value, error, message):
    with pytest.raises(error) as info:
        check_scalar(value, "batch_size", **kwargs)
    assert str(info.value) == message


def test_check_scalar_returns_python_numbers():
    assert check_scalar(np.int64(3), "n", int, min_val=1) == 3 and type(check_scalar(np.int64(3), "n", int)) is int
    assert type(check_scalar(np.float32(0.5), "rate", Real, min_val=0, max_val=1)) is float
    assert check_scalar(2, "rate", float) == 2.0            # an int is a number
    assert check_scalar(None, "patience", int, allow_none=True) is None
    assert check_scalar(1, "x", int, min_val=1, max_val=1) == 1  # both bounds included by default


def test_as_pair():
    assert as_pair(3, "strides") == (3, 3)
    assert as_pair((2, 1), "strides") == (2, 1)
    assert as_pair(np.array([1, 4]), "strides") == (1, 4)
    with pytest.raises(ValueError) as info:
        as_pair((2, 0), "strides")
    assert str(info.value) == "strides must be a positive int or a pair of positive ints; got (2, 0)"
    for bad in ((1, 2, 3), 1.5, (1.0, 2), "22", True):
        with pytest.raises(TypeError, match=r"strides must be a positive int or a pair of positive ints; got "):
            as_pair(bad, "strides")


def test_options_padding_and_arrays():
    assert check_option("he", "init", ("he", "glorot")) == "he"
    with pytest.raises(ValueError) as info:
        check_option("xavier", "init", ("he", "glorot"))
    assert str(info.value) == "init must be one of 'he', 'glorot'; got 'xavier'"
    assert check_padding("SAME") == "same"
    with pytest.raises(ValueError, match="padding must be 'valid' or 'same'; got 'full'"):
        check_padding("full")
    x = as_float_array([[1, 2]], "x", ndim=2)
    assert x.dtype == np.float64 and x.shape == (1, 2)
    with pytest.raises(ValueError, match=r"x must be 4-D \(N, H, W, C\); got shape \(1, 2\) \(2-D\)"):
        as_float_array([[1, 2]], "x", ndim=4, shape_hint="(N, H, W, C)")
    with pytest.raises(TypeError, match="x must be a numeric array; got dtype <U1"):
        as_float_array(["a"], "x")
