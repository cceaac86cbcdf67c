"""Assignment 4's hidden cases reach every failure class for any student's seed, every argument form they
use is shown by a visible case, and the rules the instructions state (clamped "same" padding, the tie rule
of max-pool gradients) are TensorFlow's."""

from __future__ import annotations

import numpy as np
import pytest

from coursekit.checks import EXERCISES, check, make_cases
from coursekit.checks.common import arg

from support.cases import hidden_cases
from support.demo_course import run_example, solution_namespace

SEEDS = range(20)
ARRAY_EXERCISES = ("conv2d", "conv2d_backward", "max_pool2d_backward")


@pytest.fixture(scope="module")
def S(keras):
    return solution_namespace(("04_convolution",))


def form(v):
    if v is None:
        return "None"
    if isinstance(v, str):
        return v
    return "int" if np.ndim(v) == 0 else "pair"


def pair(v):
    return (int(v), int(v)) if np.ndim(v) == 0 else (int(v[0]), int(v[1]))


def geometry(name, case):
    """(x, window (kh, kw), strides (sh, sw), padding) of a conv/pool case."""
    if name == "conv2d":
        x, kernel = arg(case, 0, "x"), arg(case, 1, "kernel")
        return x, kernel.shape[:2], pair(arg(case, 3, "strides", 1)), arg(case, 4, "padding", "valid")
    if name == "conv2d_backward":
        x, kernel = arg(case, 1, "x"), arg(case, 2, "kernel")
        return x, kernel.shape[:2], pair(arg(case, 3, "strides", 1)), arg(case, 4, "padding", "valid")
    x, pool = arg(case, 1, "x"), pair(arg(case, 2, "pool_size", 2))
    s = arg(case, 3, "strides")
    return x, pool, pool if s is None else pair(s), "valid"


def forms(name, case):
    if name == "conv2d":
        return {("strides", form(arg(case, 3, "strides", 1))), ("padding", arg(case, 4, "padding", "valid"))}
    if name == "conv2d_backward":
        return {("strides", form(arg(case, 3, "strides", 1))), ("padding", arg(case, 4, "padding", "valid"))}
    if name == "max_pool2d_backward":
        return {("pool_size", form(arg(case, 2, "pool_size", 2))), ("strides", form(arg(case, 3, "strides")))}
    if name == "conv2d_param_count":
        return {("kernel_size", form(arg(case, 0, "kernel_size")))}
    if name == "conv_output_length":
        return {("padding", arg(case, 3, "padding", "valid"))}
    return set()


@pytest.mark.parametrize("name", ARRAY_EXERCISES + ("conv2d_param_count", "conv_output_length"))
def test_every_argument_form_of_the_hidden_cases_has_a_visible_case(name):
    shown = set().union(*(forms(name, c) for c in make_cases(name)))
    for seed in SEEDS:
        for case in hidden_cases(name, seed):
            assert forms(name, case) <= shown, (case.label, forms(name, case) - shown)


@pytest.mark.parametrize("name", ARRAY_EXERCISES)
def test_hidden_cases_reach_every_failure_class_for_any_seed(name):
    for seed in SEEDS:
        cases = hidden_cases(name, seed)
        assert len(cases) <= 12
        facts = set()
        for c in cases:
            x, (kh, kw), (sh, sw), padding = geometry(name, c)
            facts.add(str(x.dtype))
            facts |= {"non-contiguous"} if c.layout == "strided" else set()
            facts |= {"kernel < stride"} if kh < sh or kw < sw else set()
            facts |= {"overlap"} if kh > sh or kw > sw else set()
            facts |= {"pair"} if (kh, sh) != (kw, sw) else set()
            facts |= {"size-1 dim"} if 1 in x.shape[1:3] else set()
            facts |= {"one window"} if x.shape[1:3] == (kh, kw) else set()
            facts |= {"one sample, one channel"} if x.shape[0] == 1 and x.shape[3] == 1 else set()
            facts |= {"|x| ~ 1e3"} if np.abs(x).max() >= 300 else set()
            facts |= {"same"} if padding == "same" else set()
            if name == "max_pool2d_backward":
                windows = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(1, 2))[:, ::sh, ::sw]
                flat = windows.reshape(windows.shape[:4] + (-1,))
                facts |= {"ties"} if np.any((flat == flat.max(-1, keepdims=True)).sum(-1) > 1) else set()
        want = {"float32", "float64", "non-contiguous", "kernel < stride", "overlap", "pair", "size-1 dim"}
        want |= {"one window", "one sample, one channel", "|x| ~ 1e3"}
        want |= {"ties"} if name == "max_pool2d_backward" else {"same"}
        assert want <= facts, (seed, want - facts)


def test_same_padding_hidden_cases_need_clamping_for_any_seed():
    for seed in SEEDS:
        unclamped = []
        for c in hidden_cases("same_padding", seed):
            n, k, s = (int(arg(c, i, nm, 1)) for i, nm in enumerate(("input_length", "kernel_size", "stride")))
            unclamped.append((-(-n // s) - 1) * s + k - n)
        assert min(unclamped) < 0 and any(t % 2 for t in unclamped), seed


def test_same_padding_expected_is_clamped_by_tensorflow(keras):
    """TF itself (a "same" conv vs a "valid" conv of the explicitly padded input) pads nothing when the
    kernel is smaller than the stride and n is a multiple of it: the checker's expected value agrees."""
    import tensorflow as tf

    from coursekit.checks.common import make_case

    for n, k, s in ((6, 1, 3), (9, 2, 3), (8, 1, 2), (12, 3, 4)):
        x = np.arange(1.0, n + 1)[None, :, None, None]
        w = np.random.default_rng(0).normal(size=(k, 1, 1, 1))
        same = tf.nn.conv2d(x, w, (s, 1), "SAME").numpy()
        valid = tf.nn.conv2d(x, w, (s, 1), "VALID").numpy()  # no padding at all
        np.testing.assert_allclose(same, valid)
        assert EXERCISES["same_padding"].expected(make_case("", n, k, s)) == (0.0, 0.0)


def test_max_pool_gradient_ties_go_to_the_first_maximum_in_row_major_order(keras):
    """The tie rule the instructions state, against TensorFlow's gradient on inputs full of ties."""
    import tensorflow as tf

    rng = np.random.default_rng(1)
    for dtype in (np.float64, np.float32):
        for _ in range(10):
            x = rng.integers(0, 3, size=(2, 6, 7, 2)).astype(dtype)
            p, s = tuple(int(v) for v in rng.integers(1, 4, 2)), tuple(int(v) for v in rng.integers(1, 4, 2))
            oh, ow = (6 - p[0]) // s[0] + 1, (7 - p[1]) // s[1] + 1
            dout = rng.normal(size=(2, oh, ow, 2)).astype(dtype)
            xv = tf.Variable(x)
            with tf.GradientTape() as tape:
                y = tf.reduce_sum(tf.nn.max_pool2d(xv, p, s, "VALID") * dout)
            got = tape.gradient(y, xv).numpy()
            want = np.zeros(x.shape)
            for n, i, j, c in np.ndindex(dout.shape):
                win = x[n, i * s[0] : i * s[0] + p[0], j * s[1] : j * s[1] + p[1], c]
                a, b = np.unravel_index(np.argmax(win), win.shape)  # first maximum, row-major
                want[n, i * s[0] + a, j * s[1] + b, c] += dout[n, i, j, c]
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "name, part",
    [
        ("same_padding", "negative padding"),
        ("conv_output_length", "floor instead of ceil"),
        ("conv2d_param_count", "read as square"),
        ("max_pool2d_backward", "ties:"),
    ],
)
def test_new_mistakes_lose_points_with_their_diagnosis_for_any_seed(name, part, S):
    (mistake,) = [m for m in EXERCISES[name].mistakes if part in m.message]
    func = run_example(name, mistake.example, S)
    for seed in SEEDS if name != "max_pool2d_backward" else range(0, 20, 4):
        r = check(name, func, hidden=True, seed=seed)
        assert r.points < r.max_points and r.diagnoses == [mistake.message], r.report()


def test_noncontiguous_case_catches_contiguous_byte_strides(S):
    """The as_strided answer is right on every C-contiguous case: only the strided view shows its bug."""
    (mistake,) = [m for m in EXERCISES["conv2d"].mistakes if "C-contiguous" in m.message]
    func = run_example("conv2d", mistake.example, S)
    r = check("conv2d", func, hidden=True, seed=5)
    assert r.passed == r.total - 1 and all("non-contiguous" in m for m in r.messages), r.report()
