"""Lecture 4: convolution and pooling in NumPy, equal to Keras.

Conventions (Keras's): images are NHWC ``(batch, height, width, channels)``; a conv
kernel is ``(kernel_h, kernel_w, in_channels, filters)``; ``strides``,
``kernel_size`` and ``pool_size`` are an int or a pair; ``padding`` is ``"valid"``
(no padding) or ``"same"`` (TensorFlow's rule: pad so the output has
``ceil(input / stride)`` cells; when the total padding is odd the extra row/column
goes at the bottom/right).

What Keras calls convolution is *cross-correlation*: the kernel is not flipped::

    out[n, i, j, f] = sum_{u, v, c} xp[n, i*sh + u, j*sw + v, c] * kernel[u, v, c, f] + bias[f]

where ``xp`` is the (zero-)padded input.  :func:`conv2d_true_convolution` flips the
kernel to show the difference.

Every function takes its arguments in one order, the Keras layer's: the input ``x``
(``dout, x`` for a backward pass), the kernel(s), ``bias``, then ``strides`` and
``padding`` (pooling: ``x, pool_size, strides, padding``, strides defaulting to the
pool size).  ``padding`` is always one of the strings ``"valid"``/``"same"``.

Convolution and pooling come twice, as in CS231n's ``layers.py``:

* ``*_naive`` functions loop over output positions and read like the formula above;
* the fast functions (the exercise-contract names) are vectorised and used by
  everything else.  ``conv2d`` is :func:`im2col` times the reshaped kernel, done one
  block of output rows at a time (so the copy stays in the CPU cache) on one
  thread per core.

Results keep the input dtype: float32 stays float32, float64 stays float64.
Inputs are never modified.
"""

from __future__ import annotations

import numpy as np

from coursekit.parallel import for_each_block
from coursekit.validation import as_float_array, as_pair, check_option, check_padding, check_scalar

IMAGE_SHAPE = "(batch, height, width, channels)"
KERNEL_SHAPE = "(kernel_h, kernel_w, in_channels, filters)"

# The lecture's worked example (Salvatore, IUSS Pavia, "Machine Learning: basi e applicazioni"):
# a 4x4 input and the two 2x2 filters slid over it.  Lecture 4, its widget, the tests and the
# assignment checks all use these, so the numbers on the slides come from one place.


def _constant(rows) -> np.ndarray:
    """A read-only float64 array: nobody can change the example for everybody else (copy to edit)."""
    array = np.array(rows, dtype=np.float64)
    array.flags.writeable = False
    return array


LECTURE_IMAGE = _constant([[1, 1, 1, 3],
                           [4, 6, 4, 8],
                           [30, 0, 1, 5],
                           [0, 2, 2, 4]])                        # (4, 4)
LECTURE_FILTERS = {                                              # name -> (2, 2)
    "diagonal": _constant([[1, 0], [0, 1]]),        # first example:  output [[7, 5, 9], [4, 7, 9], [32, 2, 5]]
    "anti-diagonal": _constant([[0, 1], [1, 0]]),   # second example: output [[5, 7, 7], [36, 4, 9], [0, 3, 7]]
}

__all__ = [
    # the lecture's worked example
    "LECTURE_IMAGE", "LECTURE_FILTERS",
    # sizes and padding
    "conv_output_length", "same_padding", "pad_input",
    # convolution: naive, fast, gradient
    "conv2d_naive", "conv2d", "conv2d_backward_naive", "conv2d_backward",
    "im2col", "col2im", "conv2d_true_convolution",
    # pooling
    "max_pool2d_naive", "max_pool2d", "max_pool2d_backward",
    "average_pool2d_naive", "average_pool2d", "average_pool2d_backward",
    # cheaper convolutions
    "conv1x1", "depthwise_conv2d", "separable_conv2d",
    # parameter counts
    "conv2d_param_count", "dense_param_count",
    # lecture demonstrations
    "KERNEL_KINDS", "CLASSIC_KERNELS", "kernel_of", "multiply_add_terms", "shift_image",
    "edge_detector_map", "pooling_shift_stats", "translation_invariance",
    "IMAGE_VARIATIONS", "pixel_distance_study", "bar_image", "LINE_DETECTOR", "simple_complex_responses",
]


# --------------------------------------------------------------------------- sizes
def conv_output_length(input_length: int, kernel_size: int, stride: int = 1,
                       padding: str = "valid") -> int:
    """Output length along one axis, as Keras computes it for ``Conv2D``/pooling.

    ``"valid"``: ``floor((L - K) / S) + 1`` (the lecture's ``(W + P - K) / S + 1``
    with ``P = 0``); ``"same"``: ``ceil(L / S)``.
    """
    length = check_scalar(input_length, "input_length", int, min_val=1)
    k = check_scalar(kernel_size, "kernel_size", int, min_val=1)
    s = check_scalar(stride, "stride", int, min_val=1)
    padding = check_padding(padding)
    if padding == "same":
        return -(-length // s)
    if k > length:
        raise ValueError(f"kernel_size ({k}) is larger than input_length ({length}) with "
                         "padding='valid': the output would be empty; use padding='same'")
    return (length - k) // s + 1


def same_padding(input_length: int, kernel_size: int, stride: int = 1) -> tuple[int, int]:
    """``(pad_before, pad_after)`` that TensorFlow uses for ``padding="same"``.

    ``total = max((ceil(L / S) - 1) * S + K - L, 0)``; ``pad_before = total // 2``,
    so an odd total puts the extra cell after (bottom/right).
    """
    length = check_scalar(input_length, "input_length", int, min_val=1)
    k = check_scalar(kernel_size, "kernel_size", int, min_val=1)
    s = check_scalar(stride, "stride", int, min_val=1)
    out = -(-length // s)
    total = max((out - 1) * s + k - length, 0)
    return total // 2, total - total // 2


def _pads(hw: tuple[int, int], kernel_hw: tuple[int, int], strides: tuple[int, int],
          padding: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """((top, bottom), (left, right)) for one padding mode."""
    if padding == "valid":
        return (0, 0), (0, 0)
    return (same_padding(hw[0], kernel_hw[0], strides[0]),
            same_padding(hw[1], kernel_hw[1], strides[1]))


def pad_input(x, kernel_size, strides=1, padding="valid", value: float = 0.0) -> np.ndarray:
    """Pad an NHWC batch as Keras does before sliding a window over it.

    x: ``(N, H, W, C)`` -> ``(N, H + top + bottom, W + left + right, C)``, with
    ``(top, bottom) = same_padding(H, kh, sh)`` for ``"same"`` and no padding for
    ``"valid"``.  ``value`` fills the border (0 for convolution, ``-inf`` for max pooling).
    """
    x = as_float_array(x, "x", ndim=4, shape_hint=IMAGE_SHAPE)
    kernel_hw = as_pair(kernel_size, "kernel_size")
    strides = as_pair(strides, "strides")
    padding = check_padding(padding)
    (top, bottom), (left, right) = _pads(x.shape[1:3], kernel_hw, strides, padding)
    if top == bottom == left == right == 0:
        return x.copy()
    return np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=value)


# ------------------------------------------------------------------ validation
def _check_conv_args(x, kernel, bias, strides, padding):
    """Validate and convert; return (x, kernel, bias, strides, padding) in one dtype."""
    x = as_float_array(x, "x", ndim=4, shape_hint=IMAGE_SHAPE)
    kernel = as_float_array(kernel, "kernel", ndim=4, shape_hint=KERNEL_SHAPE)
    kh, kw, cin, filters = kernel.shape
    if cin != x.shape[3]:
        raise ValueError(
            f"kernel in_channels (kernel.shape[2] = {cin}) must equal x channels "
            f"(x.shape[3] = {x.shape[3]}): kernel must have shape ({kh}, {kw}, {x.shape[3]}, filters)")
    if min(kernel.shape) < 1 or min(x.shape) < 1:
        raise ValueError(f"x {x.shape} and kernel {kernel.shape} must have no zero-length axis")
    dtype = np.result_type(x.dtype, kernel.dtype)
    if bias is not None:
        bias = as_float_array(bias, "bias", ndim=1, shape_hint=f"(filters,) = ({filters},)")
        if bias.shape != (filters,):
            raise ValueError(f"bias must have shape (filters,) = ({filters},), one value per "
                             f"filter; got shape {bias.shape}")
        dtype = np.result_type(dtype, bias.dtype)
        bias = bias.astype(dtype, copy=False)
    strides = as_pair(strides, "strides")
    padding = check_padding(padding)
    _check_window_fits(x.shape, (kh, kw), strides, padding, "kernel_size")
    return x.astype(dtype, copy=False), kernel.astype(dtype, copy=False), bias, strides, padding


def _check_window_fits(x_shape, window, strides, padding, name):
    """Raise if the window (kernel or pool) is larger than the padded input."""
    (top, bottom), (left, right) = _pads(x_shape[1:3], window, strides, padding)
    hp, wp = x_shape[1] + top + bottom, x_shape[2] + left + right
    if window[0] > hp or window[1] > wp:
        raise ValueError(
            f"{name} {window[0]}x{window[1]} is larger than the padded input {hp}x{wp} "
            f"(x is {x_shape[1]}x{x_shape[2]}, padding={padding!r}); use a smaller window "
            "or padding='same'")


def _output_hw(x_shape, window, strides, padding) -> tuple[int, int]:
    return (conv_output_length(x_shape[1], window[0], strides[0], padding),
            conv_output_length(x_shape[2], window[1], strides[1], padding))


# ------------------------------------------------------------ conv2d: naive
def conv2d_naive(x, kernel, bias=None, strides=1, padding="valid") -> np.ndarray:
    """Cross-correlation by explicit loops over output positions (the lecture's formula).

    x: (N, H, W, C); kernel: (kh, kw, C, F); bias: (F,) or None -> (N, OH, OW, F)::

        out[n, i, j, f] = sum_{u, v, c} xp[n, i*sh + u, j*sw + v, c] * kernel[u, v, c, f] + bias[f]
    """
    x, kernel, bias, (sh, sw), padding = _check_conv_args(x, kernel, bias, strides, padding)
    kh, kw, _, filters = kernel.shape
    xp = pad_input(x, (kh, kw), (sh, sw), padding)
    oh, ow = _output_hw(x.shape, (kh, kw), (sh, sw), padding)
    out = np.zeros((x.shape[0], oh, ow, filters), dtype=x.dtype)
    for n in range(x.shape[0]):
        for i in range(oh):
            for j in range(ow):
                window = xp[n, i * sh:i * sh + kh, j * sw:j * sw + kw, :]  # (kh, kw, C)
                for f in range(filters):
                    out[n, i, j, f] = np.sum(window * kernel[:, :, :, f])
                    if bias is not None:
                        out[n, i, j, f] += bias[f]
    return out


def conv2d_backward_naive(dout, x, kernel, strides=1, padding="valid"):
    """Gradients of ``sum(conv2d(x, kernel, bias) * dout)`` by loops over output positions.

    Each output cell ``out[n, i, j, :] = window @ kernel`` sends ``dout[n, i, j, :]``
    back to its window (``dx``) and to the kernel (``dkernel``).
    Returns ``(dx (N, H, W, C), dkernel (kh, kw, C, F), dbias (F,))``.
    """
    x, kernel, _, (sh, sw), padding = _check_conv_args(x, kernel, None, strides, padding)
    dout = _check_dout(dout, x, kernel.shape[:2], (sh, sw), padding, kernel.shape[3])
    kh, kw = kernel.shape[:2]
    (top, _), (left, _) = _pads(x.shape[1:3], (kh, kw), (sh, sw), padding)
    xp = pad_input(x, (kh, kw), (sh, sw), padding)
    dxp = np.zeros_like(xp)
    dkernel = np.zeros_like(kernel)
    for n in range(x.shape[0]):
        for i in range(dout.shape[1]):
            for j in range(dout.shape[2]):
                g = dout[n, i, j, :]  # (F,)
                window = xp[n, i * sh:i * sh + kh, j * sw:j * sw + kw, :]
                dxp[n, i * sh:i * sh + kh, j * sw:j * sw + kw, :] += kernel @ g
                dkernel += window[..., None] * g
    dx = dxp[:, top:top + x.shape[1], left:left + x.shape[2], :]
    return dx.copy(), dkernel, dout.sum(axis=(0, 1, 2))


def _check_dout(dout, x, window, strides, padding, channels) -> np.ndarray:
    oh, ow = _output_hw(x.shape, window, strides, padding)
    want = (x.shape[0], oh, ow, channels)
    dout = as_float_array(dout, "dout", ndim=4, shape_hint=f"{want} (the output's shape)")
    if dout.shape != want:
        raise ValueError(f"dout must have the output's shape (N, OH, OW, F) = {want}; "
                         f"got {dout.shape}")
    return dout.astype(np.result_type(dout.dtype, x.dtype), copy=False)


# ------------------------------------------------------------ im2col / col2im
def im2col(x, kernel_size, strides=1, padding="valid") -> np.ndarray:
    """Unfold every kernel window into a row: x (N, H, W, C) -> (N*OH*OW, kh*kw*C).

    Row ``(n*OH + i)*OW + j`` holds the window of output cell ``(n, i, j)``; column
    ``(u*kw + v)*C + c`` holds ``xp[n, i*sh + u, j*sw + v, c]``.  That is the order of
    ``kernel.reshape(kh*kw*C, F)``, so ``conv2d == (im2col(x) @ kernel.reshape(-1, F))``
    reshaped to ``(N, OH, OW, F)``.
    """
    x = as_float_array(x, "x", ndim=4, shape_hint=IMAGE_SHAPE)
    kh, kw = as_pair(kernel_size, "kernel_size")
    strides = as_pair(strides, "strides")
    padding = check_padding(padding)
    _check_window_fits(x.shape, (kh, kw), strides, padding, "kernel_size")
    return _im2col(pad_input(x, (kh, kw), strides, padding), (kh, kw), strides,
                   _output_hw(x.shape, (kh, kw), strides, padding))


def _im2col(xp, window, strides, out_hw) -> np.ndarray:
    n, _, _, c = xp.shape
    return _windows(xp, window, strides, out_hw).reshape(n * out_hw[0] * out_hw[1], window[0] * window[1] * c)


def col2im(cols, x_shape, kernel_size, strides=1, padding="valid") -> np.ndarray:
    """Adjoint of :func:`im2col`: add every row back onto its window.

    cols: (N*OH*OW, kh*kw*C) in im2col's layout -> (N, H, W, C).  Cells covered by
    several windows receive the sum, which is exactly the gradient of ``im2col``.
    """
    n, h, w, c = (int(v) for v in x_shape)
    kh, kw = as_pair(kernel_size, "kernel_size")
    strides = as_pair(strides, "strides")
    padding = check_padding(padding)
    oh, ow = _output_hw((n, h, w, c), (kh, kw), strides, padding)
    cols = as_float_array(cols, "cols", ndim=2, shape_hint=f"({n * oh * ow}, {kh * kw * c})")
    if cols.shape != (n * oh * ow, kh * kw * c):
        raise ValueError(f"cols must have shape (N*OH*OW, kh*kw*C) = ({n * oh * ow}, "
                         f"{kh * kw * c}) for x_shape {tuple(x_shape)}; got {cols.shape}")
    return _col2im(cols, (n, h, w, c), (kh, kw), strides, padding, (oh, ow))


def _col2im(cols, x_shape, window, strides, padding, out_hw) -> np.ndarray:
    n, h, w, c = x_shape
    (kh, kw), (sh, sw), (oh, ow) = window, strides, out_hw
    (top, bottom), (left, right) = _pads((h, w), window, strides, padding)
    dxp = np.zeros((n, h + top + bottom, w + left + right, c), dtype=cols.dtype)
    cols6 = cols.reshape(n, oh, ow, kh, kw, c)
    for u in range(kh):  # one scatter-add per kernel offset
        for v in range(kw):
            dxp[:, u:u + (oh - 1) * sh + 1:sh, v:v + (ow - 1) * sw + 1:sw, :] += cols6[:, :, :, u, v, :]
    return dxp[:, top:top + h, left:left + w, :].copy()


# ------------------------------------------------------------ conv2d: fast
# The fast path is im2col done one block of output rows at a time: for a block of
# output lines (n, i0:i1), copy their windows into a (rows, kh*kw*C) matrix and
# multiply it by kernel.reshape(kh*kw*C, F), writing straight into the output.  A
# block is about 1 MB, so the copy stays in the CPU cache (a whole-batch im2col
# would be kh*kw times the input, 230 MB for 32x56x56x64), and the blocks run on one
# thread per core, each with single-threaded BLAS (coursekit.parallel.for_each_block).

def _windows(xp, window, strides, out_hw):
    """Read-only view (N, OH, OW, kh, kw, C): ``[n, i, j, u, v] = xp[n, i*sh + u, j*sw + v]``."""
    n, _, _, c = xp.shape
    (kh, kw), (sh, sw), (oh, ow) = window, strides, out_hw
    s0, s1, s2, s3 = xp.strides
    return np.lib.stride_tricks.as_strided(
        xp, (n, oh, ow, kh, kw, c), (s0, s1 * sh, s2 * sw, s1, s2, s3), writeable=False)


def _correlate(xp, kernel, strides, out_hw, bias=None):
    """Blocked im2col product: padded xp (N, Hp, Wp, C) -> (N, OH, OW, F) (+ bias)."""
    kh, kw, cin, filters = kernel.shape
    windows = _windows(xp, (kh, kw), strides, out_hw)
    weights = kernel.reshape(kh * kw * cin, filters)
    out = np.empty((xp.shape[0], *out_hw, filters), dtype=xp.dtype)

    def block(n, i0, i1):
        rows = out[n, i0:i1].reshape(-1, filters)  # a view: out is C-contiguous
        np.matmul(windows[n, i0:i1].reshape(len(rows), -1), weights, out=rows)
        if bias is not None:
            rows += bias

    for_each_block(out.shape[:3], kh * kw * cin * xp.itemsize, block, lambda results: None,
                   flops=out.size * weights.shape[0])
    return out


def _correlate_kernel_grad(xp, dout, window, strides):
    """``im2col(xp)^T @ dout`` in blocks: (kh*kw*C, F), the gradient of the kernel."""
    kh, kw = window
    windows = _windows(xp, window, strides, dout.shape[1:3])
    k_rows = kh * kw * xp.shape[3]

    def block(n, i0, i1):
        g = dout[n, i0:i1].reshape(-1, dout.shape[3])
        return windows[n, i0:i1].reshape(len(g), k_rows).T @ g

    return for_each_block(dout.shape[:3], k_rows * xp.itemsize, block, sum, flops=dout.size * k_rows)


def conv2d(x, kernel, bias=None, strides=1, padding="valid"):
    """Fast cross-correlation, equal to ``keras.layers.Conv2D`` with ``set_weights``.

    x: (N, H, W, C); kernel: (kh, kw, C, F); bias: (F,) or None -> (N, OH, OW, F)
    with ``OH = conv_output_length(H, kh, sh, padding)``.  In matrix form
    ``out = im2col(x) @ kernel.reshape(kh*kw*C, F) + bias``, computed in blocks.
    """
    x, kernel, bias, strides, padding = _check_conv_args(x, kernel, bias, strides, padding)
    out_hw = _output_hw(x.shape, kernel.shape[:2], strides, padding)
    xp = pad_input(x, kernel.shape[:2], strides, padding) if padding == "same" else x
    return _correlate(xp, kernel, strides, out_hw, bias)


def conv2d_backward(dout, x, kernel, strides=1, padding="valid"):
    """Gradients of ``L = sum(conv2d(x, kernel, bias) * dout)``.

    dout: (N, OH, OW, F); x: (N, H, W, C); kernel: (kh, kw, C, F).
    Returns ``(dx (N, H, W, C), dkernel (kh, kw, C, F), dbias (F,))``::

        dbias[f]      = sum_{n,i,j} dout[n, i, j, f]
        dkernel[u, v] = sum_{n,i,j} xp[n, i*sh+u, j*sw+v, :]^T dout[n, i, j, :]   (C, F)
        dxp[n, i*sh+u, j*sw+v, :] += kernel[u, v] @ dout[n, i, j, :]               (scatter-add)

    and ``dx`` is ``dxp`` with the padding cropped off.  In matrix form
    ``dkernel = im2col(x)^T @ dout`` and ``dx = col2im(dout @ kernel^T)``.  For stride 1
    the scatter-add is a gather instead: ``dx`` is the "full" cross-correlation of
    ``dout`` with the kernel flipped in space and transposed in channels, the same
    blocked product as the forward pass.
    """
    x, kernel, _, strides, padding = _check_conv_args(x, kernel, None, strides, padding)
    dout = _check_dout(dout, x, kernel.shape[:2], strides, padding, kernel.shape[3])
    dtype = np.result_type(x.dtype, dout.dtype)
    x, kernel, dout = (a.astype(dtype, copy=False) for a in (x, kernel, dout))
    kh, kw, cin, filters = kernel.shape
    dbias = dout.sum(axis=(0, 1, 2))
    xp = pad_input(x, (kh, kw), strides, padding) if padding == "same" else x
    dkernel = _correlate_kernel_grad(xp, dout, (kh, kw), strides).reshape(kh, kw, cin, filters)
    (top, bottom), (left, right) = _pads(x.shape[1:3], (kh, kw), strides, padding)
    if strides == (1, 1):
        # dx[n, i, j] = sum_{u,v} dout[n, i + top - u, j + left - v] @ kernel[u, v]^T
        # (zero outside dout): pad dout by kh-1-top above, kh-1-bottom below, etc.
        dout_p = np.pad(dout, ((0, 0), (kh - 1 - top, kh - 1 - bottom),
                               (kw - 1 - left, kw - 1 - right), (0, 0)))
        flipped = np.ascontiguousarray(kernel[::-1, ::-1].transpose(0, 1, 3, 2))  # (kh, kw, F, C)
        dx = _correlate(dout_p, flipped, (1, 1), x.shape[1:3])
        return dx, dkernel, dbias
    dcols = dout.reshape(-1, filters) @ kernel.reshape(kh * kw * cin, filters).T
    dx = _col2im(dcols, x.shape, (kh, kw), strides, padding, dout.shape[1:3])
    return dx, dkernel, dbias


def conv2d_true_convolution(x, kernel, bias=None, strides=1, padding="valid"):
    """Textbook convolution: cross-correlation with the kernel flipped in both axes.

    ``out[n, i, j, f] = sum_{u,v,c} xp[n, i*sh + u, j*sw + v, c] * kernel[kh-1-u, kw-1-v, c, f]``.
    Keras's ``Conv2D`` does *not* flip; for a learned kernel the difference does not
    matter (the network learns the flipped kernel), for a fixed filter it does.
    """
    kernel = as_float_array(kernel, "kernel", ndim=4, shape_hint=KERNEL_SHAPE)
    return conv2d(x, kernel[::-1, ::-1], bias, strides, padding)


# ------------------------------------------------------------ pooling
def _check_pool_args(x, pool_size, strides, padding):
    x = as_float_array(x, "x", ndim=4, shape_hint=IMAGE_SHAPE)
    pool = as_pair(pool_size, "pool_size")
    strides = pool if strides is None else as_pair(strides, "strides")
    padding = check_padding(padding)
    _check_window_fits(x.shape, pool, strides, padding, "pool_size")
    return x, pool, strides, padding


def _clipped_window(i, stride, pad_before, size, length):
    """Input rows [start, stop) of window i, clipped to the unpadded image."""
    start = i * stride - pad_before
    return max(start, 0), min(start + size, length)


def max_pool2d_naive(x, pool_size=2, strides=None, padding="valid"):
    """Max pooling by loops: ``out[n, i, j, c] = max`` of the window of cell ``(i, j)``.

    x: (N, H, W, C) -> (N, OH, OW, C); strides default to ``pool_size``.  With
    ``"same"`` the window is clipped to the image (padding never wins a max).
    """
    return _pool2d_naive(x, pool_size, strides, padding, np.max)


def average_pool2d_naive(x, pool_size=2, strides=None, padding="valid"):
    """Average pooling by loops: the mean of the window, clipped to the image.

    x: (N, H, W, C) -> (N, OH, OW, C).  With ``"same"`` padded cells are not counted
    (Keras's ``AveragePooling2D``): a corner window of 2x2 real cells divides by 4,
    not by the pool's area.
    """
    return _pool2d_naive(x, pool_size, strides, padding, np.mean)


def _pool2d_naive(x, pool_size, strides, padding, reduce):
    """The loop both naive poolings share: ``out[n, i, j, c] = reduce(window of cell (i, j))``."""
    x, (ph, pw), (sh, sw), padding = _check_pool_args(x, pool_size, strides, padding)
    (top, _), (left, _) = _pads(x.shape[1:3], (ph, pw), (sh, sw), padding)
    oh, ow = _output_hw(x.shape, (ph, pw), (sh, sw), padding)
    out = np.empty((x.shape[0], oh, ow, x.shape[3]), dtype=x.dtype)
    for i in range(oh):
        r0, r1 = _clipped_window(i, sh, top, ph, x.shape[1])
        for j in range(ow):
            c0, c1 = _clipped_window(j, sw, left, pw, x.shape[2])
            out[:, i, j, :] = reduce(x[:, r0:r1, c0:c1, :], axis=(1, 2))
    return out


def _pool_windows(xp, pool, strides, out_hw):
    """Yield ``((u, v), view)``: the (N, OH, OW, C) strided view of offset (u, v) in every window."""
    (ph, pw), (sh, sw), (oh, ow) = pool, strides, out_hw
    for u in range(ph):
        for v in range(pw):
            yield (u, v), xp[:, u:u + (oh - 1) * sh + 1:sh, v:v + (ow - 1) * sw + 1:sw, :]


def max_pool2d(x, pool_size=2, strides=None, padding="valid"):
    """Fast max pooling, equal to ``keras.layers.MaxPooling2D``.

    x: (N, H, W, C) -> (N, OH, OW, C); strides default to ``pool_size``;
    ``"same"`` pads with ``-inf`` so padding never wins.  Non-overlapping windows
    (stride == pool) are a reshape and one ``max``; otherwise one ``np.maximum`` per
    offset in the window.
    """
    x, pool, strides, padding = _check_pool_args(x, pool_size, strides, padding)
    oh, ow = _output_hw(x.shape, pool, strides, padding)
    n, _, _, c = x.shape
    if padding == "valid" and strides == pool:
        blocks = x[:, :oh * pool[0], :ow * pool[1], :].reshape(n, oh, pool[0], ow, pool[1], c)
        return blocks.max(axis=(2, 4))
    xp = pad_input(x, pool, strides, padding, value=-np.inf)
    out = None
    for _, view in _pool_windows(xp, pool, strides, (oh, ow)):
        out = view.copy() if out is None else np.maximum(out, view, out=out)
    return out


def max_pool2d_backward(dout, x, pool_size=2, strides=None):
    """Gradient of ``sum(max_pool2d(x) * dout)`` w.r.t. x: (N, H, W, C).

    Each window sends its ``dout`` to the cell holding the maximum (the first one in
    row-major order if there are ties, as TensorFlow's CPU gradient does).  The
    padding (``"valid"`` or ``"same"``) is read off ``dout``'s shape: when the two modes
    give the same output size they also pad nothing, so this is unambiguous.
    """
    x = as_float_array(x, "x", ndim=4, shape_hint=IMAGE_SHAPE)
    pool = as_pair(pool_size, "pool_size")
    strides = pool if strides is None else as_pair(strides, "strides")
    dout = as_float_array(dout, "dout", ndim=4, shape_hint="(N, OH, OW, C) (max_pool2d's output shape)")
    padding = _padding_from_output(dout, x, pool, strides)
    oh, ow = dout.shape[1:3]
    (top, _), (left, _) = _pads(x.shape[1:3], pool, strides, padding)
    xp = pad_input(x, pool, strides, padding, value=-np.inf)
    best = max_pool2d(x, pool, strides, padding)
    dtype = np.result_type(x.dtype, dout.dtype)
    dxp = np.zeros(xp.shape, dtype=dtype)
    taken = np.zeros(best.shape, dtype=bool)  # so a tied window pays out only once
    (sh, sw) = strides
    for (u, v), view in _pool_windows(xp, pool, strides, (oh, ow)):
        hit = (view == best) & ~taken
        taken |= hit
        dxp[:, u:u + (oh - 1) * sh + 1:sh, v:v + (ow - 1) * sw + 1:sw, :] += np.where(hit, dout, 0)
    return dxp[:, top:top + x.shape[1], left:left + x.shape[2], :].copy()


def _padding_from_output(dout, x, pool, strides) -> str:
    for padding in ("valid", "same"):
        try:
            want = (x.shape[0], *_output_hw(x.shape, pool, strides, padding), x.shape[3])
        except ValueError:  # pool larger than x with "valid"
            continue
        if dout.shape == want:
            return padding
    raise ValueError(
        f"dout must have the pooled output's shape: "
        f"{(x.shape[0],) + _output_hw(x.shape, pool, strides, 'same') + (x.shape[3],)} "
        f"for padding='same' or the 'valid' one; got {dout.shape}")


def _avg_pool_counts(hw, pool, strides, padding, out_hw, dtype) -> np.ndarray:
    """(OH, OW, 1): how many real (unpadded) cells each window covers."""
    counts = []
    for length, size, stride, n_out in zip(hw, pool, strides, out_hw):
        before = _pads((length, length), (size, size), (stride, stride), padding)[0][0]
        counts.append(np.array([np.subtract(*_clipped_window(i, stride, before, size, length)[::-1])
                                for i in range(n_out)], dtype=dtype))
    return (counts[0][:, None] * counts[1][None, :])[:, :, None]


def average_pool2d(x, pool_size=2, strides=None, padding="valid"):
    """Fast average pooling, equal to ``keras.layers.AveragePooling2D``.

    x: (N, H, W, C) -> (N, OH, OW, C).  ``"same"``: window sums over zero padding,
    divided by the number of real cells in each window (padding not counted).
    """
    x, pool, strides, padding = _check_pool_args(x, pool_size, strides, padding)
    oh, ow = _output_hw(x.shape, pool, strides, padding)
    n, _, _, c = x.shape
    if padding == "valid" and strides == pool:
        blocks = x[:, :oh * pool[0], :ow * pool[1], :].reshape(n, oh, pool[0], ow, pool[1], c)
        return blocks.mean(axis=(2, 4))
    xp = pad_input(x, pool, strides, padding)
    total = np.zeros((n, oh, ow, c), dtype=x.dtype)
    for _, view in _pool_windows(xp, pool, strides, (oh, ow)):
        total += view
    return total / _avg_pool_counts(x.shape[1:3], pool, strides, padding, (oh, ow), x.dtype)


def average_pool2d_backward(dout, x, pool_size=2, strides=None, padding="valid"):
    """Gradient of ``sum(average_pool2d(x) * dout)`` w.r.t. x: (N, H, W, C).

    Every real cell of a window receives ``dout / count`` (count = real cells in
    that window); only ``x``'s shape is used.
    """
    x, pool, strides, padding = _check_pool_args(x, pool_size, strides, padding)
    oh, ow = _output_hw(x.shape, pool, strides, padding)
    want = (x.shape[0], oh, ow, x.shape[3])
    dout = as_float_array(dout, "dout", ndim=4, shape_hint=f"{want}")
    if dout.shape != want:
        raise ValueError(f"dout must have average_pool2d's output shape {want}; got {dout.shape}")
    (top, bottom), (left, right) = _pads(x.shape[1:3], pool, strides, padding)
    dtype = np.result_type(x.dtype, dout.dtype)
    share = dout / _avg_pool_counts(x.shape[1:3], pool, strides, padding, (oh, ow), dtype)
    (sh, sw) = strides
    dxp = np.zeros((x.shape[0], x.shape[1] + top + bottom, x.shape[2] + left + right, x.shape[3]), dtype)
    for u in range(pool[0]):
        for v in range(pool[1]):
            dxp[:, u:u + (oh - 1) * sh + 1:sh, v:v + (ow - 1) * sw + 1:sw, :] += share
    return dxp[:, top:top + x.shape[1], left:left + x.shape[2], :].copy()


# ------------------------------------------------------------ cheaper convolutions
def conv1x1(x, kernel, bias=None):
    """1x1 convolution: a dense layer applied at every pixel, mixing channels only.

    x: (N, H, W, C); kernel: (C, F) or (1, 1, C, F); bias: (F,) or None -> (N, H, W, F).
    ``out[n, i, j] = x[n, i, j] @ kernel + bias``.
    """
    kernel = as_float_array(kernel, "kernel", ndim=(2, 4),
                            shape_hint="(in_channels, filters) or (1, 1, in_channels, filters)")
    if kernel.ndim == 4:
        if kernel.shape[:2] != (1, 1):
            raise ValueError(f"kernel must be (1, 1, in_channels, filters) for a 1x1 convolution; got {kernel.shape}")
        kernel = kernel[0, 0]
    x, kernel4, bias, _, _ = _check_conv_args(x, kernel[None, None], bias, 1, "valid")
    out = x @ kernel4[0, 0]
    return out + bias if bias is not None else out


def depthwise_conv2d(x, depthwise_kernel, bias=None, strides=1, padding="valid"):
    """Depthwise convolution, equal to ``keras.layers.DepthwiseConv2D``.

    x: (N, H, W, C); depthwise_kernel: (kh, kw, C, M) with M the depth multiplier;
    bias: (C*M,) or None -> (N, OH, OW, C*M).  Every input channel is filtered on its own (no sum
    over channels)::

        out[n, i, j, c*M + m] = sum_{u, v} xp[n, i*sh + u, j*sw + v, c] * k[u, v, c, m] + bias[c*M + m]
    """
    k = as_float_array(depthwise_kernel, "depthwise_kernel", ndim=4,
                       shape_hint="(kernel_h, kernel_w, in_channels, depth_multiplier)")
    x = as_float_array(x, "x", ndim=4, shape_hint=IMAGE_SHAPE)
    kh, kw, cin, mult = k.shape
    if cin != x.shape[3]:
        raise ValueError(f"depthwise_kernel in_channels (shape[2] = {cin}) must equal x channels "
                         f"(x.shape[3] = {x.shape[3]}): expected ({kh}, {kw}, {x.shape[3]}, depth_multiplier)")
    if bias is not None:
        bias = as_float_array(bias, "bias", ndim=1, shape_hint=f"(in_channels*depth_multiplier,) = ({cin * mult},)")
        if bias.shape != (cin * mult,):
            raise ValueError(f"bias must have shape (in_channels*depth_multiplier,) = ({cin * mult},); "
                             f"got {bias.shape}")
    strides = as_pair(strides, "strides")
    padding = check_padding(padding)
    _check_window_fits(x.shape, (kh, kw), strides, padding, "kernel_size")
    dtype = np.result_type(x.dtype, k.dtype, *(() if bias is None else (bias.dtype,)))
    oh, ow = _output_hw(x.shape, (kh, kw), strides, padding)
    xp = pad_input(x.astype(dtype, copy=False), (kh, kw), strides, padding)
    out = np.zeros((x.shape[0], oh, ow, cin, mult), dtype=dtype)
    for (u, v), view in _pool_windows(xp, (kh, kw), strides, (oh, ow)):
        out += view[..., None] * k[u, v].astype(dtype, copy=False)  # (.., C, 1) * (C, M)
    out = out.reshape(x.shape[0], oh, ow, cin * mult)
    return out + bias.astype(dtype, copy=False) if bias is not None else out


def separable_conv2d(x, depthwise_kernel, pointwise_kernel, bias=None, strides=1, padding="valid"):
    """Depthwise-separable convolution, equal to ``keras.layers.SeparableConv2D``.

    A depthwise convolution (no bias) then a 1x1 convolution with the bias.
    x: (N, H, W, C); depthwise_kernel: (kh, kw, C, M); pointwise_kernel:
    (1, 1, C*M, F) or (C*M, F); bias: (F,) or None -> (N, OH, OW, F).
    Parameters: ``kh*kw*C*M + C*M*F (+ F)`` instead of ``kh*kw*C*F (+ F)``.
    """
    return conv1x1(depthwise_conv2d(x, depthwise_kernel, None, strides, padding), pointwise_kernel, bias)


# ------------------------------------------------------------ parameter counts
def conv2d_param_count(kernel_size, in_channels, filters, use_bias=True) -> int:
    """Weights of a ``Conv2D`` layer: ``kh*kw*in_channels*filters (+ filters)``.

    Eight 3x3 filters on 1 channel: 8 * (9 + 1) = 80; sixteen 3x3 filters on 8
    channels: 16 * (3*3*8 + 1) = 1168.  Independent of the image size.
    """
    kh, kw = as_pair(kernel_size, "kernel_size")
    cin = check_scalar(in_channels, "in_channels", int, min_val=1)
    f = check_scalar(filters, "filters", int, min_val=1)
    return kh * kw * cin * f + (f if use_bias else 0)


def dense_param_count(in_features, units, use_bias=True) -> int:
    """Weights of a ``Dense`` layer: ``in_features*units (+ units)``.

    Compare with :func:`conv2d_param_count`: a dense layer from a 28x28 image to as
    many outputs needs 784*784 + 784 = 615,440 weights; a 3x3 conv needs 10.
    """
    n_in = check_scalar(in_features, "in_features", int, min_val=1)
    n_units = check_scalar(units, "units", int, min_val=1)
    return n_in * n_units + (n_units if use_bias else 0)



# ------------------------------------------------- lecture demonstrations
# What lecture 4 shows beside the layers: small named kernels, the multiply-add of one
# output cell, and how much a shift of the input changes a feature map before and after
# pooling.  The widgets in coursekit.widgets.convolution draw these.

KERNEL_KINDS = ("diagonal", "anti-diagonal", "box blur", "vertical edge", "ramp 1..k*k")

# Classic hand-made 3x3 filters (what a first conv layer tends to learn anyway): name -> (3, 3).
CLASSIC_KERNELS = {
    "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], dtype=np.float64),
    "box blur 3x3": np.full((3, 3), 1 / 9),
    "Gaussian blur": np.outer([1, 2, 1], [1, 2, 1]) / 16.0,
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=np.float64),
    "Sobel x (vertical edges)": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float64),
    "Sobel y (horizontal edges)": np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], dtype=np.float64),
    "Laplacian (all edges)": np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=np.float64),
}


def kernel_of(kind: str, size: int) -> np.ndarray:
    """A ``(size, size)`` kernel of one of :data:`KERNEL_KINDS`.

    diagonal: identity matrix; anti-diagonal: flipped identity (at size 2 these are
    :data:`LECTURE_FILTERS`); box blur: all ``1 / size**2``; vertical edge: -1 in the left
    columns, +1 in the right ones (0 in the middle column); ramp: 1, 2, ..., ``size**2`` row
    by row (asymmetric, so flipping it shows).
    """
    check_option(kind, "kind", KERNEL_KINDS)
    size = check_scalar(size, "size (the kernel is size x size)", int, min_val=1)
    if kind == "diagonal":
        return np.eye(size)
    if kind == "anti-diagonal":
        return np.eye(size)[:, ::-1].copy()
    if kind == "box blur":
        return np.full((size, size), 1.0 / size**2)
    if kind == "vertical edge":
        col = np.sign(np.arange(size) - (size - 1) / 2)
        return np.tile(col, (size, 1))
    return np.arange(1, size * size + 1, dtype=np.float64).reshape(size, size)


def multiply_add_terms(window, kernel) -> list[tuple[float, float]]:
    """The ``(input, weight)`` pairs of one output cell, row by row.

    window, kernel: (k, k), the padded input under the kernel and the kernel; the output
    cell is ``sum(x * w for x, w in terms)``.
    """
    return list(zip(np.ravel(window).tolist(), np.ravel(kernel).tolist()))


def shift_image(image, dx: int, dy: int = 0) -> np.ndarray:
    """A 2-D image (H, W) shifted right by ``dx`` and down by ``dy`` pixels, zeros filling in -> (H, W)."""
    img = np.asarray(image, dtype=np.float64)
    out = np.zeros_like(img)
    h, w = img.shape
    if abs(dx) >= w or abs(dy) >= h:
        return out
    src = img[max(0, -dy):h - max(0, dy), max(0, -dx):w - max(0, dx)]
    out[max(0, dy):max(0, dy) + src.shape[0], max(0, dx):max(0, dx) + src.shape[1]] = src
    return out


def edge_detector_map(image) -> np.ndarray:
    """A one-filter conv layer's feature map: ``ReLU(conv2d(image, Sobel x, "same"))``, (H, W) -> (H, W)."""
    kernel = CLASSIC_KERNELS["Sobel x (vertical edges)"][:, :, None, None]
    x = np.asarray(image, dtype=np.float64)[None, :, :, None]
    return np.maximum(conv2d(x, kernel, padding="same")[0, :, :, 0], 0.0)


def pooling_shift_stats(feature_map, shifted_map, pool_size: int, kind: str = "max",
                        atol: float = 1e-9) -> dict:
    """How much of a feature map, and of its pooled version, a shift of the input leaves unchanged.

    feature_map, shifted_map: (H, W), the map before and after the shift; ``pool_size`` 1
    means no pooling.  Returns ``unchanged_map`` / ``unchanged_pooled``: among the cells active
    (non-zero) before or after the shift, the fraction whose value did not change (within
    ``atol``); ``relative_change_map`` / ``relative_change_pooled``:
    ``||after - before|| / ||before||``; and ``pooled`` / ``pooled_shifted`` (H // p, W // p).
    """
    check_option(kind, "kind", ("max", "average"))
    pool = max_pool2d if kind == "max" else average_pool2d
    a = np.asarray(feature_map, dtype=np.float64)
    b = np.asarray(shifted_map, dtype=np.float64)
    pa = pool(a[None, :, :, None], pool_size)[0, :, :, 0]
    pb = pool(b[None, :, :, None], pool_size)[0, :, :, 0]

    def relative_change(before, after):
        return float(np.linalg.norm(after - before) / max(np.linalg.norm(before), 1e-12))

    def unchanged(before, after):
        active = (np.abs(before) > atol) | (np.abs(after) > atol)
        if not active.any():
            return 1.0
        return float(np.mean(np.isclose(before[active], after[active], atol=atol, rtol=0)))

    return {"unchanged_map": unchanged(a, b), "unchanged_pooled": unchanged(pa, pb),
            "relative_change_map": relative_change(a, b), "relative_change_pooled": relative_change(pa, pb),
            "pooled": pa, "pooled_shifted": pb}


def translation_invariance(images, pool_sizes=(1, 2, 4), shift: int = 1, kind: str = "max") -> dict:
    """Mean over ``images`` (each (H, W)) of :func:`pooling_shift_stats` for each pool size.

    Each image and its copy shifted right by ``shift`` go through :func:`edge_detector_map`.
    Returns ``{pool_size: {"unchanged": mean fraction of active cells unchanged,
    "relative_change": mean relative change}}``; pool size 1 is the detector map itself.
    """
    maps = [(edge_detector_map(img), edge_detector_map(shift_image(img, shift))) for img in images]
    result = {}
    for p in pool_sizes:
        stats = [pooling_shift_stats(a, b, p, kind) for a, b in maps]
        result[int(p)] = {"unchanged": float(np.mean([s["unchanged_pooled"] for s in stats])),
                          "relative_change": float(np.mean([s["relative_change_pooled"] for s in stats]))}
    return result


# ------------------------------------------------- why vision is hard; simple and complex cells
# Ledda's seminar (Cagliari Digital Lab) lists what makes recognition hard: viewpoint, scale,
# deformation, occlusion, illumination, background clutter, intra-class variation.  Measured here
# in pixel space on the 8x8 digits: a change that leaves the digit what it is moves the image
# further than the distance to a different digit.

def _brighter(img: np.ndarray) -> np.ndarray:
    return img + 0.3


def _occluded(img: np.ndarray) -> np.ndarray:
    out = np.array(img, dtype=np.float64)
    out[:, img.shape[1] // 2:] = 0.0
    return out


# name -> function (H, W) -> (H, W); images in [0, 1]
IMAGE_VARIATIONS = {
    "shifted 1 px right (viewpoint)": lambda img: shift_image(img, 1),
    "shifted 2 px right": lambda img: shift_image(img, 2),
    "brighter: + 0.3 everywhere (illumination)": _brighter,
    "right half hidden (occlusion)": _occluded,
}


def _squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(n, d), (m, d) -> (n, m) squared Euclidean distances, without an (n, m, d) array."""
    d2 = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return np.maximum(d2, 0.0)


def pixel_distance_study(images, labels, variations: dict | None = None) -> dict:
    """How far, in pixel space, harmless changes move an image, compared with other classes.

    images: (n, H, W) in [0, 1]; labels: (n,).  For every image: ``nearest_other`` = Euclidean
    distance to the nearest image of a *different* class, ``nearest_same`` = to the nearest other
    image of the same class.  For each variation (:data:`IMAGE_VARIATIONS` by default):
    ``distance`` (n,) from the image to its changed copy and ``farther`` = the fraction of images
    whose changed copy is farther than ``nearest_other``; and ``nn_accuracy``: a 1-nearest-neighbour
    classifier in pixel space, fitted on the even-indexed images, tested on the odd-indexed ones
    changed (``"unchanged"`` = not changed).

    Returns ``{"nearest_other": (n,), "nearest_same": (n,), "variations": {name: {"distance",
    "farther", "nn_accuracy"}}, "nn_accuracy_unchanged": float}``.
    """
    x = as_float_array(images, "images", ndim=3, shape_hint="(n, height, width)")
    y = np.asarray(labels)
    if y.shape != (x.shape[0],):
        raise ValueError(f"labels must have shape (n,) = ({x.shape[0]},); got {y.shape}")
    variations = IMAGE_VARIATIONS if variations is None else variations
    flat = x.reshape(len(x), -1)
    d = np.sqrt(_squared_distances(flat, flat))
    same = y[:, None] == y[None, :]
    nearest_other = np.where(same, np.inf, d).min(1)
    nearest_same = np.where(same & ~np.eye(len(x), dtype=bool), d, np.inf).min(1)
    train, test = flat[0::2], np.arange(1, len(x), 2)

    def nn_accuracy(queries: np.ndarray) -> float:
        nearest = _squared_distances(queries, train).argmin(1)
        return float(np.mean(y[0::2][nearest] == y[test]))

    result = {"nearest_other": nearest_other, "nearest_same": nearest_same, "variations": {},
              "nn_accuracy_unchanged": nn_accuracy(flat[test])}
    for name, change in variations.items():
        changed = np.stack([change(img) for img in x]).reshape(len(x), -1)
        dist = np.linalg.norm(changed - flat, axis=1)
        result["variations"][name] = {"distance": dist, "farther": float(np.mean(dist > nearest_other)),
                                      "nn_accuracy": nn_accuracy(changed[test])}
    return result


def bar_image(size: int = 15, position: int = 7, orientation: str = "vertical", length: int = 7) -> np.ndarray:
    """A (size, size) black image with one bright bar, 1 px wide and ``length`` long, centred vertically
    (or horizontally) and crossing column (row) ``position``: the stimulus Hubel and Wiesel moved
    across a cat's visual field."""
    check_option(orientation, "orientation", ("vertical", "horizontal"))
    size = check_scalar(size, "size", int, min_val=3)
    position = check_scalar(position, "position", int, min_val=0, max_val=size - 1)
    img = np.zeros((size, size))
    lo = (size - length) // 2
    if orientation == "vertical":
        img[lo:lo + length, position] = 1.0
    else:
        img[position, lo:lo + length] = 1.0
    return img


# A 3x3 detector of a bright vertical line: what a "simple cell" responds to.
LINE_DETECTOR = np.array([[-1, 2, -1], [-1, 2, -1], [-1, 2, -1]], dtype=np.float64) / 6.0


def simple_complex_responses(size: int = 15, pool: int = 5, orientation: str = "vertical") -> dict:
    """Responses of a model "simple cell" and "complex cell" to a bar moved across the image.

    Simple cell: ``ReLU(conv2d(image, LINE_DETECTOR))`` read at the centre pixel only (one position,
    one orientation).  Complex cell: the max over a ``pool x pool`` window of those simple cells
    around the centre (max pooling).  Returns ``{"positions": (size,), "simple": (size,),
    "complex": (size,)}`` for a bar of ``orientation`` at each column (row) position.
    """
    centre, half = size // 2, pool // 2
    positions = np.arange(size)
    simple, complex_ = [], []
    for p in positions:
        img = bar_image(size, int(p), orientation)
        fmap = np.maximum(conv2d(img[None, :, :, None], LINE_DETECTOR[:, :, None, None],
                                 padding="same")[0, :, :, 0], 0.0)
        simple.append(fmap[centre, centre])
        complex_.append(fmap[centre - half:centre + half + 1, centre - half:centre + half + 1].max())
    return {"positions": positions, "simple": np.array(simple), "complex": np.array(complex_)}
