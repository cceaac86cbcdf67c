"""Assignment 4 (convolution): conv/pool forward and backward against live Keras/TF."""

from __future__ import annotations

import math

import numpy as np

from coursekit.convolution import LECTURE_IMAGE  # the lecture's 4x4 example (read-only)

from .common import arg, as_float64, keras, make_case, tf
from .core import Exercise, Mistake, wrong

ASSIGNMENT = "04_convolution"


def _pair(v):
    return (int(v), int(v)) if np.ndim(v) == 0 else (int(v[0]), int(v[1]))


def _out_len(n, k, s, padding):
    return math.ceil(n / s) if padding == "same" else (n - k) // s + 1


def _tf_pads(n, k, s):
    total = max((_out_len(n, k, s, "same") - 1) * s + k - n, 0)
    return total // 2, total - total // 2


# ----------------------------------------------------------------------------- live Keras/TF


def _conv_parts(case):
    x, kernel = as_float64(arg(case, 0, "x")), as_float64(arg(case, 1, "kernel"))
    bias = arg(case, 2, "bias")
    return (
        x,
        kernel,
        None if bias is None else as_float64(bias),
        _pair(arg(case, 3, "strides", 1)),
        arg(case, 4, "padding", "valid"),
    )


def keras_conv2d(x, kernel, bias, strides, padding):
    layer = keras().layers.Conv2D(kernel.shape[3], kernel.shape[:2], strides=strides, padding=padding, dtype="float64")
    layer.build((None,) + x.shape[1:])
    layer.set_weights([kernel, np.zeros(kernel.shape[3]) if bias is None else bias])
    return np.asarray(layer(x), np.float64)


def _conv_expected(case):
    return keras_conv2d(*_conv_parts(case))


def _pad_flipped(x, kernel, strides, padding):
    """x padded "same" with the extra row/column at the top/left (the non-TF way), or None if no odd padding."""
    if padding != "same":
        return None
    (sh, sw), (kh, kw) = strides, kernel.shape[:2]
    ph, pw = _tf_pads(x.shape[1], kh, sh), _tf_pads(x.shape[2], kw, sw)
    if ph[0] == ph[1] and pw[0] == pw[1]:
        return None
    return np.pad(x, ((0, 0), ph[::-1], pw[::-1], (0, 0)))


# A student's correct answers: each mistake's example below is one of them with one edit (core.wrong).
# They call the notebook's own same_padding, as a student would.
CONV2D_ANSWER = """def conv2d(x, kernel, bias=None, strides=1, padding="valid"):
    x = np.asarray(x, dtype=float)
    kernel = np.asarray(kernel, dtype=float)
    sh, sw = (strides, strides) if np.ndim(strides) == 0 else strides
    kh, kw = kernel.shape[:2]
    if padding == "same":
        pads = [same_padding(x.shape[1], kh, sh), same_padding(x.shape[2], kw, sw)]
        x = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
    oh, ow = (x.shape[1] - kh) // sh + 1, (x.shape[2] - kw) // sw + 1
    out = np.zeros((x.shape[0], oh, ow, kernel.shape[3]))
    for i in range(oh):
        for j in range(ow):
            patch = x[:, i * sh:i * sh + kh, j * sw:j * sw + kw, :]
            out[:, i, j, :] = np.tensordot(patch, kernel, axes=([1, 2, 3], [0, 1, 2]))
    if bias is not None:
        out += bias
    return out
"""
KERNEL_READ = "kernel = np.asarray(kernel, dtype=float)"
# The same mistake in conv2d and conv2d_backward: the odd "same" pixel put before instead of after.
EXTRA_ROW_ON_TOP = (
    "same_padding(x.shape[2], kw, sw)]",
    "same_padding(x.shape[2], kw, sw)]\n        pads = [(after, before) for before, after in pads]  # extra row on top",
)


def _conv_mistakes():
    def flipped(c):
        x, k, b, s, p = _conv_parts(c)
        return keras_conv2d(x, k[::-1, ::-1], b, s, p)

    def symmetric(c):
        x, k, b, s, p = _conv_parts(c)
        xp = _pad_flipped(x, k, s, p)
        return None if xp is None else keras_conv2d(xp, k, b, s, "valid")

    def no_stride(c):
        x, k, b, s, p = _conv_parts(c)
        return None if s == (1, 1) else keras_conv2d(x, k, b, (1, 1), p)

    def no_bias(c):
        x, k, b, s, p = _conv_parts(c)
        return None if b is None or not np.any(b) else keras_conv2d(x, k, None, s, p)

    def transposed(c):
        x, k, b, s, p = _conv_parts(c)
        return keras_conv2d(x, k.transpose(1, 0, 2, 3), b, s, p)

    return [
        Mistake(
            message="the kernel is flipped (true convolution): Keras's Conv2D computes cross-correlation, "
            "out[i, j] = sum(x[i*s + a, j*s + b] * kernel[a, b])",
            variant=flipped,
            example=wrong(CONV2D_ANSWER, KERNEL_READ, KERNEL_READ + "[::-1, ::-1]  # a true convolution"),
        ),
        Mistake(
            message='"same" padded with the extra row/column at the top/left: TensorFlow puts it at the '
            "bottom/right (pad_before = total // 2)",
            variant=symmetric,
            example=wrong(CONV2D_ANSWER, *EXTRA_ROW_ON_TOP),
        ),
        Mistake(
            message="stride ignored: step the window by `strides`",
            variant=no_stride,
            example=wrong(
                CONV2D_ANSWER,
                "sh, sw = (strides, strides) if np.ndim(strides) == 0 else strides",
                "sh, sw = 1, 1  # strides not used",
            ),
        ),
        Mistake(
            message="bias missing: add bias[f] to every output of filter f",
            variant=no_bias,
            example=wrong(CONV2D_ANSWER, "out += bias", "pass  # bias forgotten"),
        ),
        Mistake(
            message="kernel height and width transposed: kernel is (kernel_h, kernel_w, in_channels, filters)",
            variant=transposed,
            example=wrong(
                CONV2D_ANSWER,
                KERNEL_READ,
                KERNEL_READ + ".transpose(1, 0, 2, 3)  # (kw, kh, ...) read as (kh, kw, ...)",
            ),
        ),
    ]


def _pool_parts(case):
    x = as_float64(arg(case, 0, "x"))
    pool = _pair(arg(case, 1, "pool_size", 2))
    strides = arg(case, 2, "strides")
    return x, pool, pool if strides is None else _pair(strides), arg(case, 3, "padding", "valid")


def keras_pool(kind, x, pool, strides, padding):
    cls = keras().layers.MaxPooling2D if kind == "max" else keras().layers.AveragePooling2D
    return np.asarray(cls(pool, strides=strides, padding=padding, dtype="float64")(x), np.float64)


def _pool_mistakes(kind):
    other = "avg" if kind == "max" else "max"

    def stride_one(c):
        x, p, s, pad = _pool_parts(c)
        return keras_pool(kind, x, p, (1, 1), pad) if arg(c, 2, "strides") is None and p != (1, 1) else None

    def swapped(c):
        return keras_pool(other, *_pool_parts(c))

    def zero_padded(c):
        x, p, s, pad = _pool_parts(c)
        if pad != "same":
            return None
        ph, pw = _tf_pads(x.shape[1], p[0], s[0]), _tf_pads(x.shape[2], p[1], s[1])
        return keras_pool(kind, np.pad(x, ((0, 0), ph, pw, (0, 0))), p, s, "valid")

    answer = POOL_ANSWERS[kind]
    reduce, other_reduce = ("np.nanmax", "np.nanmean") if kind == "max" else ("np.nanmean", "np.nanmax")
    what = "maximum" if kind == "max" else "average"
    return [
        Mistake(
            message="strides=None means strides = pool_size (non-overlapping windows), not 1",
            variant=stride_one,
            example=wrong(answer, "strides = (ph, pw)", "strides = (1, 1)"),
        ),
        Mistake(
            message=f"computed the {'average' if kind == 'max' else 'maximum'} instead of the {what}",
            variant=swapped,
            example=wrong(answer, reduce, other_reduce),
        ),
        Mistake(
            message='"same" padding with zeros counted as values: '
            + (
                "pad with -inf (a padded cell must never win the max)"
                if kind == "max"
                else "average only over the real cells of each window"
            ),
            variant=zero_padded,
            example=wrong(answer, ", constant_values=np.nan", ""),
        ),
    ]


# Padded cells are NaN, which np.nanmax and np.nanmean skip: TensorFlow's "same" pooling counts only
# the real cells of a window (and every window holds at least one).
MAX_POOL2D_ANSWER = """def max_pool2d(x, pool_size=2, strides=None, padding="valid"):
    x = np.asarray(x, dtype=float)
    ph, pw = (pool_size, pool_size) if np.ndim(pool_size) == 0 else pool_size
    if strides is None:
        strides = (ph, pw)
    sh, sw = (strides, strides) if np.ndim(strides) == 0 else strides
    if padding == "same":
        pads = [same_padding(x.shape[1], ph, sh), same_padding(x.shape[2], pw, sw)]
        x = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)), constant_values=np.nan)
    oh, ow = (x.shape[1] - ph) // sh + 1, (x.shape[2] - pw) // sw + 1
    out = np.empty((x.shape[0], oh, ow, x.shape[3]))
    for i in range(oh):
        for j in range(ow):
            out[:, i, j, :] = np.nanmax(x[:, i * sh:i * sh + ph, j * sw:j * sw + pw, :], axis=(1, 2))
    return out
"""
POOL_ANSWERS = {
    "max": MAX_POOL2D_ANSWER,
    "avg": MAX_POOL2D_ANSWER.replace("max_pool2d", "average_pool2d").replace("np.nanmax", "np.nanmean"),
}


def _pool_exercise(kind, matches):
    """max_pool2d or average_pool2d: the same cases, mistakes and answer, one reduction apart."""
    return Exercise(
        name={"max": "max_pool2d", "avg": "average_pool2d"}[kind],
        assignment=ASSIGNMENT,
        points=2,
        matches=matches,
        visible=_pool_visible,
        hidden=_pool_hidden,
        expected=lambda c: keras_pool(kind, *_pool_parts(c)),
        mistakes=_pool_mistakes(kind),
        answer=POOL_ANSWERS[kind],
    )


def _conv_tape(x, kernel, dout, strides, padding, pad_input=None):
    t = tf()
    xv, kv, bv = t.Variable(x), t.Variable(kernel), t.Variable(np.zeros(kernel.shape[3]))
    with t.GradientTape() as tape:
        inp = xv if pad_input is None else t.pad(xv, pad_input)
        out = (
            t.nn.conv2d(
                inp, kv, strides=(1,) + strides + (1,), padding=padding.upper() if pad_input is None else "VALID"
            )
            + bv
        )
        y = t.reduce_sum(out * dout)
    return tuple(g.numpy() for g in tape.gradient(y, [xv, kv, bv]))


def _conv_backward_parts(case):
    return (
        as_float64(arg(case, 0, "dout")),
        as_float64(arg(case, 1, "x")),
        as_float64(arg(case, 2, "kernel")),
        _pair(arg(case, 3, "strides", 1)),
        arg(case, 4, "padding", "valid"),
    )


def _conv_backward_expected(case):
    dout, x, k, s, p = _conv_backward_parts(case)
    return _conv_tape(x, k, dout, s, p)


CONV2D_BACKWARD_ANSWER = """def conv2d_backward(dout, x, kernel, strides=1, padding="valid"):
    x, kernel, dout = (np.asarray(a, dtype=float) for a in (x, kernel, dout))
    sh, sw = (strides, strides) if np.ndim(strides) == 0 else strides
    kh, kw = kernel.shape[:2]
    pads = [(0, 0), (0, 0)]
    if padding == "same":
        pads = [same_padding(x.shape[1], kh, sh), same_padding(x.shape[2], kw, sw)]
    xp = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
    dxp = np.zeros_like(xp)
    dkernel = np.zeros_like(kernel)
    for i in range(dout.shape[1]):
        for j in range(dout.shape[2]):
            rows, cols = slice(i * sh, i * sh + kh), slice(j * sw, j * sw + kw)
            g = dout[:, i, j, :]
            dkernel += np.tensordot(xp[:, rows, cols, :], g, axes=([0], [0]))
            dxp[:, rows, cols, :] += np.tensordot(g, kernel, axes=([1], [3]))
    H, W = x.shape[1:3]
    dx = dxp[:, pads[0][0]:pads[0][0] + H, pads[1][0]:pads[1][0] + W, :]
    return dx, dkernel, dout.sum(axis=(0, 1, 2))
"""


def _conv_backward_mistakes():
    def flipped_dk(c):
        dx, dk, db = _conv_backward_expected(c)
        return dx, dk[::-1, ::-1], db

    def mean_db(c):
        dx, dk, db = _conv_backward_expected(c)
        return dx, dk, db / np.prod(as_float64(c.args[0]).shape[:3])

    def symmetric(c):
        dout, x, k, s, p = _conv_backward_parts(c)
        if p != "same":
            return None
        ph, pw = _tf_pads(x.shape[1], k.shape[0], s[0]), _tf_pads(x.shape[2], k.shape[1], s[1])
        if ph[0] == ph[1] and pw[0] == pw[1]:
            return None
        return _conv_tape(x, k, dout, s, p, pad_input=[(0, 0), ph[::-1], pw[::-1], (0, 0)])

    return [
        Mistake(
            message="dkernel flipped: for cross-correlation dkernel[a, b] = sum(x[i*s + a, j*s + b] * dout[i, j])",
            variant=flipped_dk,
            example=wrong(CONV2D_BACKWARD_ANSWER, "return dx, dkernel,", "return dx, dkernel[::-1, ::-1],"),
        ),
        Mistake(
            message="dbias averaged: dbias = dout.sum(axis=(0, 1, 2))",
            variant=mean_db,
            example=wrong(CONV2D_BACKWARD_ANSWER, "dout.sum(axis=(0, 1, 2))", "dout.mean(axis=(0, 1, 2))"),
        ),
        Mistake(
            message='"same" padded with the extra row/column at the top/left (TensorFlow: bottom/right)',
            variant=symmetric,
            example=wrong(CONV2D_BACKWARD_ANSWER, *EXTRA_ROW_ON_TOP),
        ),
    ]


MAX_POOL2D_BACKWARD_ANSWER = """def max_pool2d_backward(dout, x, pool_size=2, strides=None):
    ph, pw = (pool_size, pool_size) if np.ndim(pool_size) == 0 else pool_size
    sh, sw = (ph, pw) if strides is None else ((strides, strides) if np.ndim(strides) == 0 else strides)
    dx = np.zeros_like(x, dtype=float)
    for n, i, j, c in np.ndindex(dout.shape):
        window = x[n, i * sh:i * sh + ph, j * sw:j * sw + pw, c]
        a, b = np.unravel_index(np.argmax(window), window.shape)
        dx[n, i * sh + a, j * sw + b, c] += dout[n, i, j, c]
    return dx
"""


def _maxpool_backward_parts(case):
    x = as_float64(arg(case, 1, "x"))
    pool = _pair(arg(case, 2, "pool_size", 2))
    s = arg(case, 3, "strides")
    return as_float64(arg(case, 0, "dout")), x, pool, pool if s is None else _pair(s)


def _maxpool_backward_expected(case):
    dout, x, pool, s = _maxpool_backward_parts(case)
    t = tf()
    xv = t.Variable(x)
    with t.GradientTape() as tape:
        y = t.reduce_sum(t.nn.max_pool2d(xv, pool, s, "VALID") * dout)
    return tape.gradient(y, xv).numpy()


def _maxpool_backward_variant(kind):
    def variant(case):
        dout, x, (ph, pw), (sh, sw) = _maxpool_backward_parts(case)
        dx = np.zeros_like(x)
        for n in range(x.shape[0]):
            for i in range(dout.shape[1]):
                for j in range(dout.shape[2]):
                    win = x[n, i * sh : i * sh + ph, j * sw : j * sw + pw]
                    for c in range(x.shape[3]):
                        if kind == "spread":
                            dx[n, i * sh : i * sh + ph, j * sw : j * sw + pw, c] += dout[n, i, j, c] / (ph * pw)
                        else:
                            a, b = np.unravel_index(np.argmax(win[:, :, c]), (ph, pw))
                            dx[n, i * sh + a, j * sw + b, c] = dout[n, i, j, c]  # '=' loses overlapping windows
        return dx

    return variant


# ----------------------------------------------------------------------------- cases


def _conv_visible():
    rng = np.random.default_rng(11)
    return [
        make_case(
            "the lecture's 4x4 input and 2x2 filter [[1, 0], [0, 1]]",
            LECTURE_IMAGE[None, :, :, None],
            np.array([[1.0, 0.0], [0.0, 1.0]])[:, :, None, None],
        ),
        make_case(
            "asymmetric 2x2 filter [[1, 2], [3, 4]] with bias",
            LECTURE_IMAGE[None, :, :, None],
            np.array([[1.0, 2.0], [3.0, 4.0]])[:, :, None, None],
            np.array([0.5]),
        ),
        make_case(
            "3 channels, 2 filters, 3x3, bias, valid",
            rng.normal(size=(2, 5, 5, 3)),
            rng.normal(size=(3, 3, 3, 2)),
            np.array([0.1, -0.2]),
            padding="valid",
        ),
        make_case(
            'stride 2, "same", even 6x6 input',
            rng.normal(size=(1, 6, 6, 2)),
            rng.normal(size=(3, 3, 2, 2)),
            np.array([0.0, 1.0]),
            strides=2,
            padding="same",
        ),
        make_case(
            'asymmetric 3x2 kernel, "same"',
            rng.normal(size=(1, 5, 4, 1)),
            rng.normal(size=(3, 2, 1, 3)),
            None,
            1,
            "same",
        ),
    ]


def _conv_hidden(rng):
    return [
        make_case(
            'random odd 7x5, 3x3, "same", float32',
            rng.normal(size=(2, 7, 5, 2)).astype(np.float32),
            rng.normal(size=(3, 3, 2, 3)).astype(np.float32),
            rng.normal(size=3).astype(np.float32),
            1,
            "same",
        ),
        make_case(
            'random strides (2, 1), 2x3 kernel, "valid"',
            rng.normal(size=(1, 6, 7, 3)),
            rng.normal(size=(2, 3, 3, 2)),
            rng.normal(size=2),
            strides=(2, 1),
        ),
        make_case(
            'random 4x4 kernel, stride 2, "same", even 8x8',
            rng.normal(size=(1, 8, 8, 2)),
            rng.normal(size=(4, 4, 2, 2)),
            rng.normal(size=2),
            strides=2,
            padding="same",
        ),
        make_case(
            'random stride 3, "same", no bias',
            rng.normal(size=(2, 7, 8, 1)),
            rng.normal(size=(2, 3, 1, 2)),
            strides=3,
            padding="same",
        ),
    ]


def _pool_visible():
    rng = np.random.default_rng(12)
    return [
        make_case("the lecture's 4x4 input, 2x2 pools", LECTURE_IMAGE[None, :, :, None]),
        make_case("odd 5x5 input, valid (last row/column dropped)", rng.normal(size=(1, 5, 5, 2))),
        make_case(
            'negative inputs, pool 3, stride 1, "same"', -np.abs(rng.normal(size=(1, 4, 5, 1))) - 1, 3, 1, "same"
        ),
        make_case("pool (2, 3), strides (1, 2)", rng.normal(size=(2, 4, 7, 1)), pool_size=(2, 3), strides=(1, 2)),
    ]


def _pool_hidden(rng):
    return [
        make_case(
            'random all-negative 7x6, pool 3, stride 2, "same"',
            -np.abs(rng.normal(size=(1, 7, 6, 2))) - 0.5,
            3,
            2,
            "same",
        ),
        make_case(
            'random float32 odd 5x5, pool 2, "same"', rng.normal(size=(2, 5, 5, 3)).astype(np.float32), padding="same"
        ),
        make_case("random pool 3 (strides default), valid 8x7", rng.normal(size=(1, 8, 7, 1)), 3),
    ]


def _conv_backward_case(label, rng, x_shape, k_shape, strides=1, padding="valid", dtype=np.float64):
    s = _pair(strides)
    out = (
        x_shape[0],
        _out_len(x_shape[1], k_shape[0], s[0], padding),
        _out_len(x_shape[2], k_shape[1], s[1], padding),
        k_shape[3],
    )
    return make_case(
        label,
        rng.normal(size=out).astype(dtype),
        rng.normal(size=x_shape).astype(dtype),
        rng.normal(size=k_shape).astype(dtype),
        strides=strides,
        padding=padding,
    )


def _conv_backward_visible():
    rng = np.random.default_rng(13)
    return [
        _conv_backward_case("1 channel, 2x2 asymmetric kernel, valid", rng, (1, 4, 4, 1), (2, 2, 1, 1)),
        _conv_backward_case("2 channels, 3 filters, 3x3, valid", rng, (2, 5, 5, 2), (3, 3, 2, 3)),
        _conv_backward_case('stride 2, "same", even 6x6', rng, (1, 6, 6, 1), (3, 3, 1, 2), 2, "same"),
    ]


def _conv_backward_hidden(rng):
    return [
        _conv_backward_case(
            'random odd 5x7, 3x2 kernel, "same", float32', rng, (2, 5, 7, 2), (3, 2, 2, 2), 1, "same", np.float32
        ),
        _conv_backward_case('random 4x4 kernel, stride 2, "same", 8x8', rng, (1, 8, 8, 1), (4, 4, 1, 2), 2, "same"),
        _conv_backward_case("random strides (2, 3), valid", rng, (1, 7, 9, 2), (3, 3, 2, 1), (2, 3)),
    ]


def _maxpool_backward_case(label, rng, x_shape, pool=2, strides=None, dtype=np.float64):
    p = _pair(pool)
    s = p if strides is None else _pair(strides)
    out = (x_shape[0], (x_shape[1] - p[0]) // s[0] + 1, (x_shape[2] - p[1]) // s[1] + 1, x_shape[3])
    x = rng.permutation(np.prod(x_shape)).reshape(x_shape).astype(dtype) / 7 - 2  # distinct values: no ties
    return make_case(label, rng.normal(size=out).astype(dtype), x, pool, strides)


def _maxpool_backward_visible():
    rng = np.random.default_rng(14)
    return [
        _maxpool_backward_case("4x4, 2x2 pools", rng, (1, 4, 4, 1)),
        _maxpool_backward_case("overlapping windows: pool 3, stride 2, 5x5", rng, (1, 5, 5, 2), 3, 2),
        _maxpool_backward_case("odd 5x5 (last row/column unused), pool 2", rng, (2, 5, 5, 1)),
    ]


def _maxpool_backward_hidden(rng):
    return [
        _maxpool_backward_case("random overlapping pool 3, stride 1", rng, (1, 6, 5, 2), 3, 1),
        _maxpool_backward_case("random pool (2, 3), float32", rng, (2, 6, 9, 1), (2, 3), None, np.float32),
        _maxpool_backward_case("random overlapping pool 2, strides (1, 2)", rng, (1, 5, 6, 3), 2, (1, 2)),
    ]


def _output_length_visible():
    return [
        make_case("n=5, k=3", 5, 3),
        make_case('n=6, k=3, stride 2, "same"', 6, 3, 2, "same"),
        make_case("n=7, k=2, stride 3, valid", 7, 2, stride=3, padding="valid"),
        make_case("n=32, k=5 (LeNet)", 32, 5),
    ]


def _output_length_hidden(rng):
    out = []
    for _ in range(6):
        n, k, s = int(rng.integers(5, 40)), int(rng.integers(1, 6)), int(rng.integers(1, 4))
        out.append(
            make_case(
                f"n={n}, k={k}, stride {s}, {'same' if len(out) % 2 else 'valid'}",
                n,
                k,
                s,
                padding="same" if len(out) % 2 else "valid",
            )
        )
    return out


def _output_length_expected(case):
    n, k = int(arg(case, 0, "input_length")), int(arg(case, 1, "kernel_size"))
    s, p = int(arg(case, 2, "stride", 1)), arg(case, 3, "padding", "valid")
    layer = keras().layers.Conv1D(1, k, strides=s, padding=p)
    return np.float64(layer.compute_output_shape((None, n, 1))[1])


def _same_padding_visible():
    return [
        make_case("n=5, k=3", 5, 3),
        make_case("n=6, k=3, stride 2 (odd total)", 6, 3, 2),
        make_case("n=4, k=2 (even kernel)", 4, 2),
        make_case("n=7, k=1", 7, 1, stride=1),
    ]


def _same_padding_hidden(rng):
    out = []
    for _ in range(6):
        n, k, st = int(rng.integers(4, 30)), int(rng.integers(1, 7)), int(rng.integers(1, 4))
        out.append(make_case(f"n={n}, k={k}, stride {st}", n, k, stride=st))
    return out


def _same_padding_expected(case):
    """(pad_before, pad_after) read off a live Keras Conv1D: a kernel whose only 1 is its last tap
    returns x[k - 1 - pad_before] as the first output, with x = 1..n."""
    n, k, s = int(arg(case, 0, "input_length")), int(arg(case, 1, "kernel_size")), int(arg(case, 2, "stride", 1))
    layer = keras().layers.Conv1D(1, k, strides=s, padding="same", use_bias=False, dtype="float64")
    layer.build((None, n, 1))
    w = np.zeros((k, 1, 1))
    w[-1] = 1.0
    layer.set_weights([w])
    out = np.asarray(layer(np.arange(1.0, n + 1)[None, :, None]))[0, :, 0]
    before = k - int(round(out[0]))
    total = max((len(out) - 1) * s + k - n, 0)
    return (np.float64(before), np.float64(total - before))


def _param_count_visible():
    return [
        make_case("3x3 filter on 1 channel", 3, 1, 1),
        make_case("eight 3x3 filters on 1 channel", 3, 1, 8),
        make_case("sixteen 3x3 filters on 8 channels", 3, 8, 16),
        make_case("5x5, 3 -> 6, no bias", 5, 3, 6, use_bias=False),
    ]


def _param_count_hidden(rng):
    return [
        make_case("random (3, 5) kernel", (3, 5), int(rng.integers(2, 9)), int(rng.integers(2, 33))),
        make_case("random 1x1", 1, int(rng.integers(16, 65)), int(rng.integers(8, 33))),
        make_case("random, no bias", int(rng.integers(2, 8)), int(rng.integers(1, 5)), int(rng.integers(1, 20)), False),
    ]


def _param_count_parts(case):
    k = arg(case, 0, "kernel_size")
    return (
        _pair(k),
        int(arg(case, 1, "in_channels")),
        int(arg(case, 2, "filters")),
        bool(arg(case, 3, "use_bias", True)),
    )


def _param_count_expected(case):
    k, cin, f, bias = _param_count_parts(case)
    layer = keras().layers.Conv2D(f, k, use_bias=bias)
    layer.build((None, 16, 16, cin))
    return np.float64(layer.count_params())


# ----------------------------------------------------------------------------- registry


def exercises() -> list[Exercise]:
    def col(c):
        n, k = int(arg(c, 0, "input_length")), int(arg(c, 1, "kernel_size"))
        return n, k, int(arg(c, 2, "stride", 1)), arg(c, 3, "padding", "valid")

    def sp(c):
        n, k, s = int(arg(c, 0, "input_length")), int(arg(c, 1, "kernel_size")), int(arg(c, 2, "stride", 1))
        return n, k, s

    return [
        Exercise(
            name="conv_output_length",
            assignment=ASSIGNMENT,
            points=1,
            matches="the spatial size Keras gives a `Conv2D` output",
            visible=_output_length_visible,
            hidden=_output_length_hidden,
            expected=_output_length_expected,
            mistakes=[
                Mistake(
                    message='stride ignored with "same": the output length is ceil(n / stride)',
                    variant=lambda c: col(c)[0] if col(c)[3] == "same" and col(c)[2] > 1 else None,
                    example="""def conv_output_length(input_length, kernel_size, stride=1, padding="valid"):
    if padding == "same":
        return input_length
    return (input_length - kernel_size) // stride + 1
""",
                ),
                Mistake(
                    message="stride ignored: valid gives floor((n - k) / stride) + 1",
                    variant=lambda c: col(c)[0] - col(c)[1] + 1 if col(c)[3] == "valid" and col(c)[2] > 1 else None,
                    example="""def conv_output_length(input_length, kernel_size, stride=1, padding="valid"):
    if padding == "same":
        return -(-input_length // stride)
    return input_length - kernel_size + 1
""",
                ),
                Mistake(
                    message="the + 1 is missing: valid gives floor((n - k) / stride) + 1",
                    variant=lambda c: (col(c)[0] - col(c)[1]) // col(c)[2] if col(c)[3] == "valid" else None,
                    example="""def conv_output_length(input_length, kernel_size, stride=1, padding="valid"):
    if padding == "same":
        return -(-input_length // stride)
    return (input_length - kernel_size) // stride
""",
                ),
            ],
        ),
        Exercise(
            name="same_padding",
            assignment=ASSIGNMENT,
            points=1,
            matches='`(pad_before, pad_after)` TensorFlow uses for `"same"`',
            visible=_same_padding_visible,
            hidden=_same_padding_hidden,
            expected=_same_padding_expected,
            mistakes=[
                Mistake(
                    message="the extra pixel is put before: TensorFlow puts it after (pad_before = total // 2)",
                    variant=lambda c: _tf_pads(*sp(c))[::-1] if np.diff(_tf_pads(*sp(c)))[0] else None,
                    example="""def same_padding(input_length, kernel_size, stride=1):
    out = -(-input_length // stride)
    total = max((out - 1) * stride + kernel_size - input_length, 0)
    return total - total // 2, total // 2
""",
                ),
                Mistake(
                    message="stride ignored: total = max((ceil(n / s) - 1) * s + k - n, 0)",
                    variant=lambda c: _tf_pads(sp(c)[0], sp(c)[1], 1) if sp(c)[2] > 1 else None,
                    example="""def same_padding(input_length, kernel_size, stride=1):
    total = kernel_size - 1
    return total // 2, total - total // 2
""",
                ),
            ],
        ),
        Exercise(
            name="conv2d",
            assignment=ASSIGNMENT,
            points=4,
            matches="`keras.layers.Conv2D` with `set_weights` (cross-correlation, not a flipped kernel)",
            visible=_conv_visible,
            hidden=_conv_hidden,
            expected=_conv_expected,
            mistakes=_conv_mistakes(),
            answer=CONV2D_ANSWER,
        ),
        _pool_exercise("max", "`keras.layers.MaxPooling2D`"),
        _pool_exercise("avg", '`keras.layers.AveragePooling2D` (with "same", padded cells are not counted)'),
        Exercise(
            name="conv2d_backward",
            assignment=ASSIGNMENT,
            points=4,
            matches="returns `(dx, dkernel, dbias)` (`tf.GradientTape` of `sum(conv2d(x) * dout)`)",
            visible=_conv_backward_visible,
            hidden=_conv_backward_hidden,
            expected=_conv_backward_expected,
            mistakes=_conv_backward_mistakes(),
            answer=CONV2D_BACKWARD_ANSWER,
            parts=("dx", "dkernel", "dbias"),
        ),
        Exercise(
            name="max_pool2d_backward",
            assignment=ASSIGNMENT,
            points=2,
            matches="`dx` (`tf.GradientTape`; inputs have no ties)",
            visible=_maxpool_backward_visible,
            hidden=_maxpool_backward_hidden,
            expected=_maxpool_backward_expected,
            mistakes=[
                Mistake(
                    message="overlapping windows overwrite each other: accumulate with += into dx",
                    variant=_maxpool_backward_variant("assign"),
                    example=wrong(
                        MAX_POOL2D_BACKWARD_ANSWER, "c] += dout[n, i, j, c]", "c] = dout[n, i, j, c]  # not +="
                    ),
                ),
                Mistake(
                    message="gradient spread over the whole window: only the max cell receives dout",
                    variant=_maxpool_backward_variant("spread"),
                    example=wrong(
                        MAX_POOL2D_BACKWARD_ANSWER,
                        "dx[n, i * sh + a, j * sw + b, c] += dout[n, i, j, c]",
                        "dx[n, i * sh:i * sh + ph, j * sw:j * sw + pw, c] += dout[n, i, j, c] / (ph * pw)",
                    ),
                ),
            ],
            answer=MAX_POOL2D_BACKWARD_ANSWER,
        ),
        Exercise(
            name="conv2d_param_count",
            assignment=ASSIGNMENT,
            points=1,
            matches="`Conv2D(...).count_params()`",
            visible=_param_count_visible,
            hidden=_param_count_hidden,
            expected=_param_count_expected,
            mistakes=[
                Mistake(
                    message="biases forgotten: one bias per filter",
                    variant=lambda c: (lambda k, i, f, b: np.float64(k[0] * k[1] * i * f) if b else None)(
                        *_param_count_parts(c)
                    ),
                    example="""def conv2d_param_count(kernel_size, in_channels, filters, use_bias=True):
    kh, kw = (kernel_size, kernel_size) if np.ndim(kernel_size) == 0 else kernel_size
    return kh * kw * in_channels * filters
""",
                ),
                Mistake(
                    message="in_channels ignored: each filter has kernel_h * kernel_w * in_channels weights",
                    variant=lambda c: (lambda k, i, f, b: np.float64((k[0] * k[1] + b) * f) if i > 1 else None)(
                        *_param_count_parts(c)
                    ),
                    example="""def conv2d_param_count(kernel_size, in_channels, filters, use_bias=True):
    kh, kw = (kernel_size, kernel_size) if np.ndim(kernel_size) == 0 else kernel_size
    return (kh * kw + use_bias) * filters
""",
                ),
            ],
        ),
    ]
