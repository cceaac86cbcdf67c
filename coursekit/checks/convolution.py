"""Assignment 4 (convolution): conv/pool forward and backward against live Keras/TF."""

from __future__ import annotations

import math

import numpy as np

from coursekit.convolution import LECTURE_IMAGE  # the lecture's 4x4 example (read-only)

from .common import arg, as_float64, keras, make_case, noncontiguous, tf
from .core import Exercise, Mistake, wrong

ASSIGNMENT = "04_convolution"


def _pair(v):
    return (int(v), int(v)) if np.ndim(v) == 0 else (int(v[0]), int(v[1]))


def _out_len(n, k, s, padding):
    return math.ceil(n / s) if padding == "same" else (n - k) // s + 1


def _unclamped_pads(n, k, s):
    """The pads of a same_padding without max(..., 0), or None where they are TensorFlow's."""
    total = (_out_len(n, k, s, "same") - 1) * s + k - n
    return (np.float64(total // 2), np.float64(total - total // 2)) if total < 0 else None


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
    """What ``keras.layers.Conv2D(...)`` with ``set_weights([kernel, bias])`` returns on ``x``.

    Computed as that layer's ``call`` does (``keras.ops.conv``, then the bias), without building a
    layer: creating its variables cost ten times the convolution, for every hidden input of every
    student.  tests/test_convolution.py checks it against the layer itself.
    """
    y = keras().ops.conv(x, kernel, strides=strides, padding=padding)
    return np.asarray(y, np.float64) + (0.0 if bias is None else bias)


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
# The same mistake in conv2d and conv2d_backward: "same" padding computed without max(..., 0), negative
# (np.pad then raises) when the kernel is smaller than the stride.
SAME_PADS = "pads = [same_padding(x.shape[1], kh, sh), same_padding(x.shape[2], kw, sw)]"
UNCLAMPED_PADS = (
    "pads = []\n"
    "        for n, k, s in ((x.shape[1], kh, sh), (x.shape[2], kw, sw)):\n"
    "            total = (-(-n // s) - 1) * s + k - n  # no max(..., 0)\n"
    "            pads.append((total // 2, total - total // 2))"
)
# Windows read with as_strided and byte strides computed for a C-contiguous x: wrong on a strided view.
CONTIGUOUS_LOOP = """    out = np.zeros((x.shape[0], oh, ow, kernel.shape[3]))
    for i in range(oh):
        for j in range(ow):
            patch = x[:, i * sh:i * sh + kh, j * sw:j * sw + kw, :]
            out[:, i, j, :] = np.tensordot(patch, kernel, axes=([1, 2, 3], [0, 1, 2]))
"""
AS_STRIDED_LOOP = """    N, H, W, C = x.shape
    b = x.itemsize  # byte strides of a C-contiguous x (x.strides would be right)
    windows = np.lib.stride_tricks.as_strided(
        x, (N, oh, ow, kh, kw, C), (H * W * C * b, sh * W * C * b, sw * C * b, W * C * b, C * b, b)
    )
    out = np.einsum("nijabc,abcf->nijf", windows, kernel)
"""


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
        Mistake(
            message='"same" padding negative when the kernel is smaller than the stride: '
            "total = max((ceil(n / s) - 1) * s + k - n, 0)",
            example=wrong(CONV2D_ANSWER, SAME_PADS, UNCLAMPED_PADS),
            recognised=False,  # np.pad raises on a negative width: the error message says it
        ),
        Mistake(
            message="windows read with byte strides computed for a C-contiguous array: a non-contiguous view "
            "(a slice x[:, ::2]) has other strides (use x.strides or sliding_window_view)",
            example=wrong(CONV2D_ANSWER, CONTIGUOUS_LOOP, AS_STRIDED_LOOP),
            recognised=False,  # garbage values: nothing to model
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
        Mistake(
            message="overlapping windows overwrite each other in dx: accumulate with += (a cell of x is read "
            "by every window that covers it)",
            example=wrong(
                CONV2D_BACKWARD_ANSWER, "dxp[:, rows, cols, :] += np.tensordot", "dxp[:, rows, cols, :] = np.tensordot"
            ),
            recognised=False,
        ),
        Mistake(
            message='"same" padding negative when the kernel is smaller than the stride: '
            "total = max((ceil(n / s) - 1) * s + k - n, 0)",
            example=wrong(CONV2D_BACKWARD_ANSWER, SAME_PADS, UNCLAMPED_PADS),
            recognised=False,  # np.pad raises on a negative width: the error message says it
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
                        if kind == "mask":  # every cell equal to the window's max receives dout
                            dx[n, i * sh : i * sh + ph, j * sw : j * sw + pw, c] += (
                                win[:, :, c] == win[:, :, c].max()
                            ) * dout[n, i, j, c]
                        elif kind == "spread":
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
        make_case(
            'strides (1, 2) as a pair, 2x2 kernel, "valid", float32',
            rng.normal(size=(1, 4, 7, 2)).astype(np.float32),
            rng.normal(size=(2, 2, 2, 1)).astype(np.float32),
            np.array([0.5], np.float32),
            strides=(1, 2),
        ),
        make_case(
            'kernel 1x1 smaller than stride 2, "same" (no padding)',
            rng.normal(size=(1, 4, 5, 2)),
            rng.normal(size=(1, 1, 2, 2)),
            strides=2,
            padding="same",
        ),
    ]


def _conv_hidden(rng):
    n = rng.normal
    return [
        make_case(
            'random odd 7x5, 3x3, "same", float32',
            n(size=(2, 7, 5, 2)).astype(np.float32),
            n(size=(3, 3, 2, 3)).astype(np.float32),
            n(size=3).astype(np.float32),
            1,
            "same",
        ),
        make_case(
            'random strides (2, 1), 2x3 kernel, "valid"',
            n(size=(1, 6, 7, 3)),
            n(size=(2, 3, 3, 2)),
            n(size=2),
            strides=(2, 1),
        ),
        make_case(
            'random 4x4 kernel, stride 2, "same", even 8x8',
            n(size=(1, 8, 8, 2)),
            n(size=(4, 4, 2, 2)),
            n(size=2),
            strides=2,
            padding="same",
        ),
        make_case(
            'random stride 3 > kernel height 2, "same", no bias',
            n(size=(2, 7, 8, 1)),
            n(size=(2, 3, 1, 2)),
            strides=3,
            padding="same",
        ),
        make_case(
            'random 1x1 kernel, stride 2, "same", |x| up to 1e3',
            rng.uniform(-1e3, 1e3, size=(2, 5, 6, 3)),
            n(size=(1, 1, 3, 2)),
            n(size=2),
            strides=2,
            padding="same",
        ),
        make_case(
            'random kernel 2x2 < stride 3, "same", 6x9 (total padding clamped to 0)',
            n(size=(1, 6, 9, 2)),
            n(size=(2, 2, 2, 2)),
            n(size=2),
            strides=3,
            padding="same",
        ),
        make_case(
            'random one row (H = 1), 1x3 kernel, strides (1, 2), "same", one sample, one channel',
            n(size=(1, 1, 7, 1)),
            n(size=(1, 3, 1, 2)),
            n(size=2),
            strides=(1, 2),
            padding="same",
        ),
        make_case(
            'random input the kernel\'s size (1x1 output), "valid", float32',
            n(size=(3, 3, 3, 2)).astype(np.float32),
            n(size=(3, 3, 2, 3)).astype(np.float32),
            n(size=3).astype(np.float32),
        ),
        noncontiguous(
            make_case(
                'random 3x2 kernel, strides (1, 2), "valid"',
                n(size=(2, 6, 7, 3)),
                n(size=(3, 2, 3, 2)),
                n(size=2),
                strides=(1, 2),
            )
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
        make_case(
            "pool 1 smaller than stride 2, |x| up to 1e3",
            rng.uniform(-1e3, 1e3, size=(1, 5, 4, 2)),
            1,
            2,
        ),
        make_case(
            'pool 2 smaller than stride 3, "same", one row (H = 1), one channel',
            rng.normal(size=(1, 1, 8, 1)),
            (1, 2),
            3,
            "same",
        ),
        noncontiguous(
            make_case(
                'float32, pool (3, 2), strides (2, 1), "same"',
                rng.normal(size=(2, 6, 5, 3)).astype(np.float32),
                (3, 2),
                (2, 1),
                "same",
            )
        ),
    ]


def _conv_backward_case(label, rng, x_shape, k_shape, strides=1, padding="valid", dtype=np.float64, scale=1.0):
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
        (scale * rng.uniform(-1, 1, size=x_shape) if scale != 1.0 else rng.normal(size=x_shape)).astype(dtype),
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
        _conv_backward_case(
            'strides (1, 2) as a pair, 3x2 kernel, "valid", float32',
            rng,
            (1, 5, 7, 2),
            (3, 2, 2, 1),
            (1, 2),
            dtype=np.float32,
        ),
        _conv_backward_case('kernel 1x1 smaller than stride 2, "same"', rng, (2, 5, 4, 1), (1, 1, 1, 2), 2, "same"),
    ]


def _conv_backward_hidden(rng):
    c = _conv_backward_case
    return [
        c('random odd 5x7, 3x2 kernel, "same", float32', rng, (2, 5, 7, 2), (3, 2, 2, 2), 1, "same", np.float32),
        c('random 4x4 kernel, stride 2, "same", 8x8', rng, (1, 8, 8, 1), (4, 4, 1, 2), 2, "same"),
        c("random strides (2, 3), valid", rng, (1, 7, 9, 2), (3, 3, 2, 1), (2, 3)),
        c('random 1x1 kernel, stride 2, "same", |x| up to 1e3', rng, (2, 5, 6, 2), (1, 1, 2, 3), 2, "same", scale=1e3),
        c('random kernel 2x2 < stride 3, "same", 7x6', rng, (1, 7, 6, 1), (2, 2, 1, 2), 3, "same"),
        c(
            'random one row (H = 1), 1x3 kernel, strides (1, 2), "same", one sample, one channel',
            rng,
            (1, 1, 7, 1),
            (1, 3, 1, 2),
            (1, 2),
            "same",
        ),
        c(
            'random input the kernel\'s size (1x1 output), "valid", float32',
            rng,
            (3, 3, 3, 2),
            (3, 3, 2, 1),
            dtype=np.float32,
        ),
        noncontiguous(c('random 3x2 kernel, strides (1, 2), "valid"', rng, (2, 6, 7, 3), (3, 2, 3, 2), (1, 2))),
    ]


def _maxpool_backward_case(label, rng, x_shape, pool=2, strides=None, dtype=np.float64, ties=False, scale=1.0):
    p = _pair(pool)
    s = p if strides is None else _pair(strides)
    out = (x_shape[0], (x_shape[1] - p[0]) // s[0] + 1, (x_shape[2] - p[1]) // s[1] + 1, x_shape[3])
    if ties:  # small integers: most windows hold their maximum more than once
        x = rng.integers(0, 3, size=x_shape).astype(dtype)
    else:  # distinct values
        x = (rng.permutation(np.prod(x_shape)).reshape(x_shape) / np.prod(x_shape) * 2 - 1) * 2 * scale
        x = x.astype(dtype)
    args = (pool,) if strides is None else (pool, strides)
    return make_case(label, rng.normal(size=out).astype(dtype), x, *args)


def _maxpool_backward_visible():
    rng = np.random.default_rng(14)
    return [
        _maxpool_backward_case("4x4, 2x2 pools", rng, (1, 4, 4, 1)),
        _maxpool_backward_case("overlapping windows: pool 3, stride 2, 5x5", rng, (1, 5, 5, 2), 3, 2),
        _maxpool_backward_case("odd 5x5 (last row/column unused), pool 2", rng, (2, 5, 5, 1)),
        _maxpool_backward_case(
            "pool (2, 3) and strides (1, 2) as pairs, float32", rng, (1, 4, 7, 1), (2, 3), (1, 2), np.float32
        ),
        _maxpool_backward_case(
            "ties (values 0, 1, 2): the first maximum in row-major order gets dout, pool 2, stride 1",
            rng,
            (1, 4, 4, 1),
            2,
            1,
            ties=True,
        ),
    ]


def _maxpool_backward_hidden(rng):
    c = _maxpool_backward_case
    return [
        c("random overlapping pool 3, stride 1", rng, (1, 6, 5, 2), 3, 1),
        c("random pool (2, 3), float32", rng, (2, 6, 9, 1), (2, 3), None, np.float32),
        c("random overlapping pool 2, strides (1, 2)", rng, (1, 5, 6, 3), 2, (1, 2)),
        c("random pool 2 < stride 3 (skipped cells get 0)", rng, (1, 8, 7, 2), 2, 3),
        c("random one row (H = 1), pool (1, 2), one sample, one channel", rng, (1, 1, 8, 1), (1, 2)),
        c("random input the pool's size (one window), |x| up to 1e3", rng, (3, 3, 3, 2), 3, scale=500.0),
        c("random ties, overlapping pool 2, stride 1", rng, (2, 5, 6, 2), 2, 1, ties=True),
        c(
            "random ties, pool (3, 2), strides (2, 1), float32",
            rng,
            (1, 7, 5, 2),
            (3, 2),
            (2, 1),
            np.float32,
            ties=True,
        ),
        noncontiguous(c("random pool 2, 6x6", rng, (2, 6, 6, 3), 2)),
    ]


def _output_length_visible():
    return [
        make_case("n=5, k=3", 5, 3),
        make_case('n=6, k=3, stride 2, "same"', 6, 3, 2, "same"),
        make_case("n=7, k=2, stride 3, valid (kernel smaller than the stride)", 7, 2, stride=3, padding="valid"),
        make_case('n=7, k=3, stride 2, "same" (ceil)', 7, 3, 2, "same"),
        make_case("n=32, k=5 (LeNet)", 32, 5),
    ]


def _output_length_hidden(rng):
    r = lambda lo, hi: int(rng.integers(lo, hi))  # noqa: E731
    s = r(2, 5)
    k = r(1, s)  # kernel < stride
    n_same = s * r(1, 6) + r(1, s)  # not a multiple of the stride: ceil, not floor
    k_eq, s_eq = r(1, 8), r(1, 4)
    cases = [
        make_case(f"n={s * 3 + 1}, kernel {k} < stride {s}, valid", s * 3 + 1, k, s, "valid"),
        make_case(f'n={n_same}, kernel {k} < stride {s}, "same"', n_same, k, s, "same"),
        make_case(f"n = k = {k_eq} (one output), stride {s_eq}, valid", k_eq, k_eq, s_eq, padding="valid"),
        make_case(f'n=1, k={k_eq}, stride {s_eq}, "same"', 1, k_eq, s_eq, "same"),
        make_case("n=1, k=1, valid", 1, 1),
    ]
    for i in range(4):
        n, k, st = r(5, 40), r(1, 6), r(2, 4) if i < 2 else r(1, 4)
        padding = "same" if i % 2 else "valid"
        cases.append(make_case(f"n={n}, k={k}, stride {st}, {padding}", n, k, st, padding=padding))
    return cases


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
        make_case("n=6, k=1, stride 3 (kernel smaller than the stride: total clamped to 0)", 6, 1, 3),
    ]


def _same_padding_hidden(rng):
    r = lambda lo, hi: int(rng.integers(lo, hi))  # noqa: E731
    s1, s2 = r(2, 5), r(3, 6)
    n1, n2 = s1 * r(2, 6), s2 * r(1, 6)
    k_odd, k_eq = 2 * r(1, 4), r(1, 8)
    n3 = r(6, 21)
    cases = [
        make_case(f"n={n1}, k=1, stride {s1} (kernel < stride)", n1, 1, s1),
        make_case(f"n={n2}, k={s2 - 1}, stride {s2} (kernel < stride)", n2, s2 - 1, stride=s2),
        make_case(f"n=1, k={k_odd}, stride 1 (odd total)", 1, k_odd, 1),
        make_case(f"n = k = {k_eq}", k_eq, k_eq),
        make_case(f"n={n3}, k=3, stride 2", n3, 3, 2),
    ]
    for _ in range(4):
        n, k, st = r(4, 30), r(1, 7), r(1, 4)
        cases.append(make_case(f"n={n}, k={k}, stride {st}", n, k, stride=st))
    return cases


def _same_padding_expected(case):
    """(pad_before, pad_after) read off a live Keras Conv1D "same" on x = 1..n: filter a of the layer
    has its only 1 at tap a, so output [i, a] is the input cell that tap a of window i reads (0 = padding).
    pad_before: how far the first window starts before x[0]; pad_after: how far the last one ends after x[-1]."""
    n, k, s = int(arg(case, 0, "input_length")), int(arg(case, 1, "kernel_size")), int(arg(case, 2, "stride", 1))
    # keras.ops.conv is what keras.layers.Conv1D(k, k, padding="same") calls, without building a layer
    taps = keras().ops.conv(np.arange(1.0, n + 1)[None, :, None], np.eye(k)[:, None, :], strides=s, padding="same")
    out = np.rint(np.asarray(taps)[0]).astype(int)  # (windows, taps)
    first = int(np.flatnonzero(out[0])[0])  # tap `first` of window 0 reads x[out[0, first] - 1]
    before = first - (out[0, first] - 1)
    last = int(np.flatnonzero(out[-1])[-1])
    after = max(0, (out[-1, last] - 1) + (k - 1 - last) - (n - 1))  # the last tap's position past x[n-1]
    return (np.float64(before), np.float64(after))


def _param_count_visible():
    return [
        make_case("3x3 filter on 1 channel", 3, 1, 1),
        make_case("eight 3x3 filters on 1 channel", 3, 1, 8),
        make_case("sixteen 3x3 filters on 8 channels", 3, 8, 16),
        make_case("5x5, 3 -> 6, no bias", 5, 3, 6, use_bias=False),
        make_case("kernel_size (1, 7) as a pair, 4 -> 2", (1, 7), 4, 2),
    ]


def _param_count_hidden(rng):
    r = lambda lo, hi: int(rng.integers(lo, hi))  # noqa: E731
    kh, kw = r(2, 4), r(4, 7)
    return [
        make_case(f"random ({kh}, {kw}) kernel", (kh, kw), r(2, 9), r(2, 33)),
        make_case("random 1x1", 1, r(16, 65), r(8, 33)),
        make_case("random, no bias", r(2, 8), r(1, 5), r(1, 20), False),
        make_case("1x1 kernel, one channel, one filter", 1, 1, 1),
        make_case("random (7, 1) kernel, no bias, large", (7, 1), r(256, 1025), r(256, 1025), use_bias=False),
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
    layer = keras().layers.Conv2D(f, k, use_bias=bias, kernel_initializer="zeros")  # no random draw of 7M weights
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
                    message='floor instead of ceil with "same": the output length is ceil(n / stride)',
                    variant=lambda c: col(c)[0] // col(c)[2] if col(c)[3] == "same" and col(c)[0] % col(c)[2] else None,
                    example="""def conv_output_length(input_length, kernel_size, stride=1, padding="valid"):
    if padding == "same":
        return input_length // stride
    return (input_length - kernel_size) // stride + 1
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
                    message="negative padding when the kernel is smaller than the stride: "
                    "total = max((ceil(n / s) - 1) * s + k - n, 0)",
                    variant=lambda c: _unclamped_pads(*sp(c)),
                    example="""def same_padding(input_length, kernel_size, stride=1):
    out = -(-input_length // stride)
    total = (out - 1) * stride + kernel_size - input_length
    return total // 2, total - total // 2
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
            matches="`dx` (`tf.GradientTape`; in a tie the first maximum in row-major order gets `dout`)",
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
                Mistake(
                    message="ties: every cell equal to the window's maximum got dout; TensorFlow gives it to "
                    "the first maximum in row-major order only (np.argmax's choice)",
                    variant=_maxpool_backward_variant("mask"),
                    example=wrong(
                        MAX_POOL2D_BACKWARD_ANSWER,
                        "dx[n, i * sh + a, j * sw + b, c] += dout[n, i, j, c]",
                        "dx[n, i * sh:i * sh + ph, j * sw:j * sw + pw, c] += "
                        "(window == window.max()) * dout[n, i, j, c]",
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
                    message="kernel_size read as square: a (kh, kw) pair has kh * kw taps",
                    variant=lambda c: (
                        lambda k, i, f, b: np.float64((k[0] * k[0] * i + b) * f) if k[0] != k[1] else None
                    )(*_param_count_parts(c)),
                    example="""def conv2d_param_count(kernel_size, in_channels, filters, use_bias=True):
    k = kernel_size if np.ndim(kernel_size) == 0 else kernel_size[0]
    return (k * k * in_channels + use_bias) * filters
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
