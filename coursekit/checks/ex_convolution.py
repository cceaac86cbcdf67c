"""Assignment 4 (convolution): conv/pool forward and backward against live Keras/TF."""

from __future__ import annotations

import math

import numpy as np

from ._common import C, arg, f64, keras, tf
from .core import Exercise, Mistake

A = "04_convolution"


def _pair(v):
    return (int(v), int(v)) if np.ndim(v) == 0 else (int(v[0]), int(v[1]))


def _out_len(n, k, s, padding):
    return math.ceil(n / s) if padding == "same" else (n - k) // s + 1


def _tf_pads(n, k, s):
    total = max((_out_len(n, k, s, "same") - 1) * s + k - n, 0)
    return total // 2, total - total // 2


# ----------------------------------------------------------------------------- live Keras/TF

def _conv_parts(case):
    x, kernel = f64(arg(case, 0, "x")), f64(arg(case, 1, "kernel"))
    bias = arg(case, 2, "bias")
    return x, kernel, None if bias is None else f64(bias), _pair(arg(case, 3, "strides", 1)), arg(case, 4, "padding", "valid")


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

    return [Mistake("the kernel is flipped (true convolution): Keras's Conv2D computes cross-correlation, "
                    "out[i, j] = sum(x[i*s + a, j*s + b] * kernel[a, b])", flipped),
            Mistake('"same" padded with the extra row/column at the top/left: TensorFlow puts it at the '
                    "bottom/right (pad_before = total // 2)", symmetric),
            Mistake("stride ignored: step the window by `strides`", no_stride),
            Mistake("bias missing: add bias[f] to every output of filter f", no_bias),
            Mistake("kernel height and width transposed: kernel is (kernel_h, kernel_w, in_channels, filters)", transposed)]


def _pool_parts(case):
    x = f64(arg(case, 0, "x"))
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

    what = "maximum" if kind == "max" else "average"
    return [Mistake("strides=None means strides = pool_size (non-overlapping windows), not 1", stride_one),
            Mistake(f"computed the {'average' if kind == 'max' else 'maximum'} instead of the {what}", swapped),
            Mistake('"same" padding with zeros counted as values: ' +
                    ("pad with -inf (a padded cell must never win the max)" if kind == "max"
                     else "average only over the real cells of each window"), zero_padded)]


def _conv_tape(x, kernel, dout, strides, padding, pad_input=None):
    t = tf()
    xv, kv, bv = t.Variable(x), t.Variable(kernel), t.Variable(np.zeros(kernel.shape[3]))
    with t.GradientTape() as tape:
        inp = xv if pad_input is None else t.pad(xv, pad_input)
        out = t.nn.conv2d(inp, kv, strides=(1,) + strides + (1,), padding=padding.upper() if pad_input is None else "VALID") + bv
        y = t.reduce_sum(out * dout)
    return tuple(g.numpy() for g in tape.gradient(y, [xv, kv, bv]))


def _cb_parts(case):
    return (f64(arg(case, 0, "dout")), f64(arg(case, 1, "x")), f64(arg(case, 2, "kernel")),
            _pair(arg(case, 3, "strides", 1)), arg(case, 4, "padding", "valid"))


def _cb_expected(case):
    dout, x, k, s, p = _cb_parts(case)
    return _conv_tape(x, k, dout, s, p)


def _cb_mistakes():
    def flipped_dk(c):
        dx, dk, db = _cb_expected(c)
        return dx, dk[::-1, ::-1], db

    def mean_db(c):
        dx, dk, db = _cb_expected(c)
        return dx, dk, db / np.prod(f64(c.args[0]).shape[:3])

    def symmetric(c):
        dout, x, k, s, p = _cb_parts(c)
        if p != "same":
            return None
        ph, pw = _tf_pads(x.shape[1], k.shape[0], s[0]), _tf_pads(x.shape[2], k.shape[1], s[1])
        if ph[0] == ph[1] and pw[0] == pw[1]:
            return None
        return _conv_tape(x, k, dout, s, p, pad_input=[(0, 0), ph[::-1], pw[::-1], (0, 0)])

    return [Mistake("dkernel flipped: for cross-correlation dkernel[a, b] = sum(x[i*s + a, j*s + b] * dout[i, j])",
                    flipped_dk),
            Mistake("dbias averaged: dbias = dout.sum(axis=(0, 1, 2))", mean_db),
            Mistake('"same" padded with the extra row/column at the top/left (TensorFlow: bottom/right)', symmetric)]


def _mpb_parts(case):
    x = f64(arg(case, 1, "x"))
    pool = _pair(arg(case, 2, "pool_size", 2))
    s = arg(case, 3, "strides")
    return f64(arg(case, 0, "dout")), x, pool, pool if s is None else _pair(s)


def _mpb_expected(case):
    dout, x, pool, s = _mpb_parts(case)
    t = tf()
    xv = t.Variable(x)
    with t.GradientTape() as tape:
        y = t.reduce_sum(t.nn.max_pool2d(xv, pool, s, "VALID") * dout)
    return tape.gradient(y, xv).numpy()


def _mpb_variant(kind):
    def variant(case):
        dout, x, (ph, pw), (sh, sw) = _mpb_parts(case)
        dx = np.zeros_like(x)
        for n in range(x.shape[0]):
            for i in range(dout.shape[1]):
                for j in range(dout.shape[2]):
                    win = x[n, i * sh:i * sh + ph, j * sw:j * sw + pw]
                    for c in range(x.shape[3]):
                        if kind == "spread":
                            dx[n, i * sh:i * sh + ph, j * sw:j * sw + pw, c] += dout[n, i, j, c] / (ph * pw)
                        else:
                            a, b = np.unravel_index(np.argmax(win[:, :, c]), (ph, pw))
                            dx[n, i * sh + a, j * sw + b, c] = dout[n, i, j, c]  # '=' loses overlapping windows
        return dx
    return variant


# ----------------------------------------------------------------------------- cases

SEED_X = np.array([[1, 1, 1, 3], [4, 6, 4, 8], [30, 0, 1, 5], [0, 2, 2, 4]], dtype=np.float64)


def _conv_visible():
    rng = np.random.default_rng(11)
    return [C("the lecture's 4x4 input and 2x2 filter [[1, 0], [0, 1]]", SEED_X[None, :, :, None],
              np.array([[1.0, 0.0], [0.0, 1.0]])[:, :, None, None]),
            C("asymmetric 2x2 filter [[1, 2], [3, 4]] with bias", SEED_X[None, :, :, None],
              np.array([[1.0, 2.0], [3.0, 4.0]])[:, :, None, None], np.array([0.5])),
            C("3 channels, 2 filters, 3x3, bias, valid", rng.normal(size=(2, 5, 5, 3)), rng.normal(size=(3, 3, 3, 2)),
              np.array([0.1, -0.2]), padding="valid"),
            C('stride 2, "same", even 6x6 input', rng.normal(size=(1, 6, 6, 2)), rng.normal(size=(3, 3, 2, 2)),
              np.array([0.0, 1.0]), strides=2, padding="same"),
            C('asymmetric 3x2 kernel, "same"', rng.normal(size=(1, 5, 4, 1)), rng.normal(size=(3, 2, 1, 3)),
              None, 1, "same")]


def _conv_hidden(rng):
    return [C('random odd 7x5, 3x3, "same", float32', rng.normal(size=(2, 7, 5, 2)).astype(np.float32),
              rng.normal(size=(3, 3, 2, 3)).astype(np.float32), rng.normal(size=3).astype(np.float32), 1, "same"),
            C('random strides (2, 1), 2x3 kernel, "valid"', rng.normal(size=(1, 6, 7, 3)), rng.normal(size=(2, 3, 3, 2)),
              rng.normal(size=2), strides=(2, 1)),
            C('random 4x4 kernel, stride 2, "same", even 8x8', rng.normal(size=(1, 8, 8, 2)), rng.normal(size=(4, 4, 2, 2)),
              rng.normal(size=2), strides=2, padding="same"),
            C('random stride 3, "same", no bias', rng.normal(size=(2, 7, 8, 1)), rng.normal(size=(2, 3, 1, 2)),
              strides=3, padding="same")]


def _pool_visible():
    rng = np.random.default_rng(12)
    return [C("the lecture's 4x4 input, 2x2 pools", SEED_X[None, :, :, None]),
            C("odd 5x5 input, valid (last row/column dropped)", rng.normal(size=(1, 5, 5, 2))),
            C('negative inputs, pool 3, stride 1, "same"', -np.abs(rng.normal(size=(1, 4, 5, 1))) - 1, 3, 1, "same"),
            C("pool (2, 3), strides (1, 2)", rng.normal(size=(2, 4, 7, 1)), pool_size=(2, 3), strides=(1, 2))]


def _pool_hidden(rng):
    return [C('random all-negative 7x6, pool 3, stride 2, "same"', -np.abs(rng.normal(size=(1, 7, 6, 2))) - 0.5, 3, 2, "same"),
            C('random float32 odd 5x5, pool 2, "same"', rng.normal(size=(2, 5, 5, 3)).astype(np.float32), padding="same"),
            C("random pool 3 (strides default), valid 8x7", rng.normal(size=(1, 8, 7, 1)), 3)]


def _cb_case(label, rng, x_shape, k_shape, strides=1, padding="valid", dtype=np.float64):
    s = _pair(strides)
    out = (x_shape[0], _out_len(x_shape[1], k_shape[0], s[0], padding), _out_len(x_shape[2], k_shape[1], s[1], padding), k_shape[3])
    return C(label, rng.normal(size=out).astype(dtype), rng.normal(size=x_shape).astype(dtype),
             rng.normal(size=k_shape).astype(dtype), strides=strides, padding=padding)


def _cb_visible():
    rng = np.random.default_rng(13)
    return [_cb_case("1 channel, 2x2 asymmetric kernel, valid", rng, (1, 4, 4, 1), (2, 2, 1, 1)),
            _cb_case("2 channels, 3 filters, 3x3, valid", rng, (2, 5, 5, 2), (3, 3, 2, 3)),
            _cb_case('stride 2, "same", even 6x6', rng, (1, 6, 6, 1), (3, 3, 1, 2), 2, "same")]


def _cb_hidden(rng):
    return [_cb_case('random odd 5x7, 3x2 kernel, "same", float32', rng, (2, 5, 7, 2), (3, 2, 2, 2), 1, "same", np.float32),
            _cb_case('random 4x4 kernel, stride 2, "same", 8x8', rng, (1, 8, 8, 1), (4, 4, 1, 2), 2, "same"),
            _cb_case("random strides (2, 3), valid", rng, (1, 7, 9, 2), (3, 3, 2, 1), (2, 3))]


def _mpb_case(label, rng, x_shape, pool=2, strides=None, dtype=np.float64):
    p = _pair(pool)
    s = p if strides is None else _pair(strides)
    out = (x_shape[0], (x_shape[1] - p[0]) // s[0] + 1, (x_shape[2] - p[1]) // s[1] + 1, x_shape[3])
    x = rng.permutation(np.prod(x_shape)).reshape(x_shape).astype(dtype) / 7 - 2  # distinct values: no ties
    return C(label, rng.normal(size=out).astype(dtype), x, pool, strides)


def _mpb_visible():
    rng = np.random.default_rng(14)
    return [_mpb_case("4x4, 2x2 pools", rng, (1, 4, 4, 1)),
            _mpb_case("overlapping windows: pool 3, stride 2, 5x5", rng, (1, 5, 5, 2), 3, 2),
            _mpb_case("odd 5x5 (last row/column unused), pool 2", rng, (2, 5, 5, 1))]


def _mpb_hidden(rng):
    return [_mpb_case("random overlapping pool 3, stride 1", rng, (1, 6, 5, 2), 3, 1),
            _mpb_case("random pool (2, 3), float32", rng, (2, 6, 9, 1), (2, 3), None, np.float32),
            _mpb_case("random overlapping pool 2, strides (1, 2)", rng, (1, 5, 6, 3), 2, (1, 2))]


def _col_visible():
    return [C("n=5, k=3", 5, 3), C('n=6, k=3, stride 2, "same"', 6, 3, 2, "same"),
            C("n=7, k=2, stride 3, valid", 7, 2, stride=3, padding="valid"), C("n=32, k=5 (LeNet)", 32, 5)]


def _col_hidden(rng):
    out = []
    for _ in range(6):
        n, k, s = int(rng.integers(5, 40)), int(rng.integers(1, 6)), int(rng.integers(1, 4))
        out.append(C(f"n={n}, k={k}, stride {s}, {'same' if len(out) % 2 else 'valid'}", n, k, s,
                     padding="same" if len(out) % 2 else "valid"))
    return out


def _col_expected(case):
    n, k = int(arg(case, 0, "input_length")), int(arg(case, 1, "kernel_size"))
    s, p = int(arg(case, 2, "stride", 1)), arg(case, 3, "padding", "valid")
    layer = keras().layers.Conv1D(1, k, strides=s, padding=p)
    return np.float64(layer.compute_output_shape((None, n, 1))[1])


def _sp_visible():
    return [C("n=5, k=3", 5, 3), C("n=6, k=3, stride 2 (odd total)", 6, 3, 2), C("n=4, k=2 (even kernel)", 4, 2),
            C("n=7, k=1", 7, 1, stride=1)]


def _sp_hidden(rng):
    out = []
    for _ in range(6):
        n, k, st = int(rng.integers(4, 30)), int(rng.integers(1, 7)), int(rng.integers(1, 4))
        out.append(C(f"n={n}, k={k}, stride {st}", n, k, stride=st))
    return out


def _sp_expected(case):
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


def _pc_visible():
    return [C("3x3 filter on 1 channel", 3, 1, 1), C("eight 3x3 filters on 1 channel", 3, 1, 8),
            C("sixteen 3x3 filters on 8 channels", 3, 8, 16), C("5x5, 3 -> 6, no bias", 5, 3, 6, use_bias=False)]


def _pc_hidden(rng):
    return [C("random (3, 5) kernel", (3, 5), int(rng.integers(2, 9)), int(rng.integers(2, 33))),
            C("random 1x1", 1, int(rng.integers(16, 65)), int(rng.integers(8, 33))),
            C("random, no bias", int(rng.integers(2, 8)), int(rng.integers(1, 5)), int(rng.integers(1, 20)), False)]


def _pc_parts(case):
    k = arg(case, 0, "kernel_size")
    return _pair(k), int(arg(case, 1, "in_channels")), int(arg(case, 2, "filters")), bool(arg(case, 3, "use_bias", True))


def _pc_expected(case):
    k, cin, f, bias = _pc_parts(case)
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
        Exercise("conv_output_length", A, 'conv_output_length(input_length, kernel_size, stride=1, padding="valid")', 1,
                 _col_visible, _col_hidden, _col_expected,
                 [Mistake('stride ignored with "same": the output length is ceil(n / stride)',
                          lambda c: col(c)[0] if col(c)[3] == "same" and col(c)[2] > 1 else None),
                  Mistake("stride ignored: valid gives floor((n - k) / stride) + 1",
                          lambda c: col(c)[0] - col(c)[1] + 1 if col(c)[3] == "valid" and col(c)[2] > 1 else None),
                  Mistake("the + 1 is missing: valid gives floor((n - k) / stride) + 1",
                          lambda c: (col(c)[0] - col(c)[1]) // col(c)[2] if col(c)[3] == "valid" else None)]),
        Exercise("same_padding", A, "same_padding(input_length, kernel_size, stride=1)", 1, _sp_visible, _sp_hidden,
                 _sp_expected,
                 [Mistake("the extra pixel is put before: TensorFlow puts it after (pad_before = total // 2)",
                          lambda c: _tf_pads(*sp(c))[::-1] if np.diff(_tf_pads(*sp(c)))[0] else None),
                  Mistake("stride ignored: total = max((ceil(n / s) - 1) * s + k - n, 0)",
                          lambda c: _tf_pads(sp(c)[0], sp(c)[1], 1) if sp(c)[2] > 1 else None)]),
        Exercise("conv2d", A, 'conv2d(x, kernel, bias=None, strides=1, padding="valid")', 4, _conv_visible, _conv_hidden,
                 _conv_expected, _conv_mistakes()),
        Exercise("max_pool2d", A, 'max_pool2d(x, pool_size=2, strides=None, padding="valid")', 2, _pool_visible,
                 _pool_hidden, lambda c: keras_pool("max", *_pool_parts(c)), _pool_mistakes("max")),
        Exercise("average_pool2d", A, 'average_pool2d(x, pool_size=2, strides=None, padding="valid")', 2, _pool_visible,
                 _pool_hidden, lambda c: keras_pool("avg", *_pool_parts(c)), _pool_mistakes("avg")),
        Exercise("conv2d_backward", A, 'conv2d_backward(dout, x, kernel, strides=1, padding="valid")', 4, _cb_visible,
                 _cb_hidden, _cb_expected, _cb_mistakes(), parts=("dx", "dkernel", "dbias")),
        Exercise("max_pool2d_backward", A, "max_pool2d_backward(dout, x, pool_size=2, strides=None)", 2, _mpb_visible,
                 _mpb_hidden, _mpb_expected,
                 [Mistake("overlapping windows overwrite each other: accumulate with += into dx", _mpb_variant("assign")),
                  Mistake("gradient spread over the whole window: only the max cell receives dout", _mpb_variant("spread"))]),
        Exercise("conv2d_param_count", A, "conv2d_param_count(kernel_size, in_channels, filters, use_bias=True)", 1,
                 _pc_visible, _pc_hidden, _pc_expected,
                 [Mistake("biases forgotten: one bias per filter",
                          lambda c: (lambda k, i, f, b: np.float64(k[0] * k[1] * i * f) if b else None)(*_pc_parts(c))),
                  Mistake("in_channels ignored: each filter has kernel_h * kernel_w * in_channels weights",
                          lambda c: (lambda k, i, f, b: np.float64((k[0] * k[1] + b) * f) if i > 1 else None)(*_pc_parts(c)))]),
    ]
