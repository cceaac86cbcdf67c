# %% [markdown] nbgrader={"grade": false, "grade_id": "intro", "locked": true, "schema_version": 3, "solution": false}
# # Assignment 4: convolution and pooling
#
# Write each function in its cell (NumPy only). Run `self_check()` at any time: it runs the visible checks offline and says what is wrong. Grading runs the same checks on hidden inputs, compared against Keras/TensorFlow.
#
# Total: 18 points. Do not modify its inputs: a function that changes its arguments loses the case.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false}
import numpy as np

from coursekit.checks import self_check

# %% [markdown] nbgrader={"grade": false, "grade_id": "md_conv_output_length", "locked": true, "schema_version": 3, "solution": false}
# ## `conv_output_length(input_length, kernel_size, stride=1, padding="valid")` (1 point)
#
# The length of one spatial axis of a `Conv2D` (or pooling) output, as Keras computes it, for an input of length $n$, a kernel of length $k$ and a stride $s$ (all ints $\ge 1$):
#
# - `"valid"` (no padding, $k \le n$): $\lfloor (n - k) / s \rfloor + 1$;
# - `"same"`: $\lceil n / s \rceil$ (it does not depend on $k$).
#
# A kernel smaller than the stride is allowed (e.g. $n = 7, k = 2, s = 3$: cells between windows are skipped). Return an `int`.

# %% nbgrader={"grade": false, "grade_id": "conv_output_length", "locked": false, "schema_version": 3, "solution": true}
def conv_output_length(input_length, kernel_size, stride=1, padding="valid"):
    """Keras's output length: ceil(n / s) for "same", floor((n - k) / s) + 1 for "valid"."""
    ### BEGIN SOLUTION
    if padding == "same":
        return -(-input_length // stride)
    return (input_length - kernel_size) // stride + 1
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_conv_output_length", "locked": true, "points": 1, "schema_version": 3, "solution": false}
# Checks `conv_output_length` on the visible cases (the same as self_check("conv_output_length")); the number shown is
# the points. Grading adds hidden cases on inputs you have not seen.
from coursekit.checks import score_test_cell

_hidden = False
### BEGIN HIDDEN TESTS
_hidden = True
### END HIDDEN TESTS
score_test_cell("conv_output_length", conv_output_length, hidden=_hidden)


# %% [markdown] nbgrader={"grade": false, "grade_id": "md_same_padding", "locked": true, "schema_version": 3, "solution": false}
# ## `same_padding(input_length, kernel_size, stride=1)` (1 point)
#
# The padding `(pad_before, pad_after)` that TensorFlow adds to one axis of length $n$ for `padding="same"`, with a kernel of length $k$ and a stride $s$ (ints $\ge 1$):
#
# - total $= \max\big((\lceil n / s \rceil - 1)\, s + k - n,\ 0\big)$: never negative (a kernel smaller than the stride may need none: $n = 6, k = 1, s = 3$ gives `(0, 0)`);
# - `pad_before` $=$ total `// 2`, `pad_after` $=$ total $-$ `pad_before`: an odd total puts the extra cell **after** (bottom/right).
#
# Return a tuple of two `int`s.

# %% nbgrader={"grade": false, "grade_id": "same_padding", "locked": false, "schema_version": 3, "solution": true}
def same_padding(input_length, kernel_size, stride=1):
    """(pad_before, pad_after) of TensorFlow's "same": the extra pixel goes after."""
    ### BEGIN SOLUTION
    out = -(-input_length // stride)
    total = max((out - 1) * stride + kernel_size - input_length, 0)
    return total // 2, total - total // 2
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_same_padding", "locked": true, "points": 1, "schema_version": 3, "solution": false}
# Checks `same_padding` on the visible cases (the same as self_check("same_padding")); the number shown is
# the points. Grading adds hidden cases on inputs you have not seen.
from coursekit.checks import score_test_cell

_hidden = False
### BEGIN HIDDEN TESTS
_hidden = True
### END HIDDEN TESTS
score_test_cell("same_padding", same_padding, hidden=_hidden)


# %% [markdown] nbgrader={"grade": false, "grade_id": "md_conv2d", "locked": true, "schema_version": 3, "solution": false}
# ## `conv2d(x, kernel, bias=None, strides=1, padding="valid")` (4 points)
#
# The output of `keras.layers.Conv2D` whose weights are `kernel` and `bias`.
#
# - `x`: shape `(N, H, W, C)` (channels last); `kernel`: `(kh, kw, C, F)` (any $k_h, k_w \ge 1$, not necessarily square); `bias`: `(F,)` or `None` (no bias). Arrays may be float32 or float64 and need not be contiguous; do not modify them.
# - `strides`: an int $s$ (the same in both axes) or a pair `(sh, sw)`; `padding`: `"valid"` or `"same"`.
# - `"same"` first pads `x` with zeros: `same_padding(H, kh, sh)` rows above/below and `same_padding(W, kw, sw)` columns left/right (the extra row/column goes at the bottom/right; a kernel smaller than the stride may need no padding).
# - Output `(N, OH, OW, F)` with `OH = conv_output_length(H, kh, sh, padding)`, `OW` likewise, and, with `xp` the padded input, **cross-correlation** (do not flip the kernel):
#
# $$\text{out}[n, i, j, f] = \sum_{a < k_h}\sum_{b < k_w}\sum_{c} xp[n,\ i s_h + a,\ j s_w + b,\ c]\ \text{kernel}[a, b, c, f] + \text{bias}[f].$$
#
# The lecture's example: the 4x4 input `[[1,1,1,3],[4,6,4,8],[30,0,1,5],[0,2,2,4]]` with the filter `[[1,0],[0,1]]` gives `[[7,5,9],[4,7,9],[32,2,5]]`. Return a float array.

# %% nbgrader={"grade": false, "grade_id": "conv2d", "locked": false, "schema_version": 3, "solution": true}
def conv2d(x, kernel, bias=None, strides=1, padding="valid"):
    """Keras Conv2D (cross-correlation). x (N, H, W, C), kernel (kh, kw, C, F) -> (N, H', W', F)."""
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=float)
    kernel = np.asarray(kernel, dtype=float)
    sh, sw = (strides, strides) if np.ndim(strides) == 0 else strides
    kh, kw = kernel.shape[:2]
    if padding == "same":
        pads = []
        for n, k, s in ((x.shape[1], kh, sh), (x.shape[2], kw, sw)):
            total = max((-(-n // s) - 1) * s + k - n, 0)
            pads.append((total // 2, total - total // 2))
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
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_conv2d", "locked": true, "points": 4, "schema_version": 3, "solution": false}
# Checks `conv2d` on the visible cases (the same as self_check("conv2d")); the number shown is
# the points. Grading adds hidden cases on inputs you have not seen.
from coursekit.checks import score_test_cell

_hidden = False
### BEGIN HIDDEN TESTS
_hidden = True
### END HIDDEN TESTS
score_test_cell("conv2d", conv2d, hidden=_hidden)


# %% [markdown] nbgrader={"grade": false, "grade_id": "md_max_pool2d", "locked": true, "schema_version": 3, "solution": false}
# ## `max_pool2d(x, pool_size=2, strides=None, padding="valid")` (2 points)
#
# The output of `keras.layers.MaxPooling2D(pool_size, strides, padding)`.
#
# - `x`: shape `(N, H, W, C)`, float32 or float64, possibly non-contiguous, any sign and magnitude; do not modify it.
# - `pool_size`: an int $p$ or a pair `(ph, pw)`; `strides`: an int, a pair `(sh, sw)`, or `None`, which means **strides = pool_size** (windows side by side). A stride larger than the pool skips cells.
# - `"valid"`: windows that fit inside `x`; output `OH = conv_output_length(H, ph, sh, "valid")`, `OW` likewise.
# - `"same"`: `OH = ceil(H / sh)`; the input is padded as in `conv2d` (`same_padding(H, ph, sh)` rows, the extra one at the bottom; columns likewise), but **a padded cell never wins**: the maximum is taken over the real cells of each window only (every window holds at least one).
# - $\text{out}[n, i, j, c] = \max_{a < p_h,\ b < p_w} xp[n,\ i s_h + a,\ j s_w + b,\ c]$ over real cells; return a float array `(N, OH, OW, C)`.

# %% nbgrader={"grade": false, "grade_id": "max_pool2d", "locked": false, "schema_version": 3, "solution": true}
def max_pool2d(x, pool_size=2, strides=None, padding="valid"):
    """Keras MaxPooling2D; strides=None means strides = pool_size; "same" pads with -inf."""
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=float)
    ph, pw = (pool_size, pool_size) if np.ndim(pool_size) == 0 else pool_size
    if strides is None:
        strides = (ph, pw)
    sh, sw = (strides, strides) if np.ndim(strides) == 0 else strides
    if padding == "same":
        pads = []
        for n, k, s in ((x.shape[1], ph, sh), (x.shape[2], pw, sw)):
            total = max((-(-n // s) - 1) * s + k - n, 0)
            pads.append((total // 2, total - total // 2))
        x = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)), constant_values=-np.inf)
    oh, ow = (x.shape[1] - ph) // sh + 1, (x.shape[2] - pw) // sw + 1
    out = np.empty((x.shape[0], oh, ow, x.shape[3]))
    for i in range(oh):
        for j in range(ow):
            out[:, i, j, :] = x[:, i * sh:i * sh + ph, j * sw:j * sw + pw, :].max(axis=(1, 2))
    return out
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_max_pool2d", "locked": true, "points": 2, "schema_version": 3, "solution": false}
# Checks `max_pool2d` on the visible cases (the same as self_check("max_pool2d")); the number shown is
# the points. Grading adds hidden cases on inputs you have not seen.
from coursekit.checks import score_test_cell

_hidden = False
### BEGIN HIDDEN TESTS
_hidden = True
### END HIDDEN TESTS
score_test_cell("max_pool2d", max_pool2d, hidden=_hidden)


# %% [markdown] nbgrader={"grade": false, "grade_id": "md_average_pool2d", "locked": true, "schema_version": 3, "solution": false}
# ## `average_pool2d(x, pool_size=2, strides=None, padding="valid")` (2 points)
#
# The output of `keras.layers.AveragePooling2D(pool_size, strides, padding)`: the same windows as `max_pool2d` (the same argument forms, `strides=None` meaning `pool_size`, the same output shapes), with the **mean** instead of the maximum.
#
# - With `"same"`, a window at the border averages only its real cells: a window holding 2 real cells of 4 divides by 2, not 4 (TensorFlow does not count the padding).
# - Return a float array `(N, OH, OW, C)`; do not modify `x`.

# %% nbgrader={"grade": false, "grade_id": "average_pool2d", "locked": false, "schema_version": 3, "solution": true}
def average_pool2d(x, pool_size=2, strides=None, padding="valid"):
    """Keras AveragePooling2D; with "same", padded cells are not counted."""
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=float)
    ph, pw = (pool_size, pool_size) if np.ndim(pool_size) == 0 else pool_size
    if strides is None:
        strides = (ph, pw)
    sh, sw = (strides, strides) if np.ndim(strides) == 0 else strides
    ones = np.ones(x.shape[:3] + (1,))
    if padding == "same":
        pads = []
        for n, k, s in ((x.shape[1], ph, sh), (x.shape[2], pw, sw)):
            total = max((-(-n // s) - 1) * s + k - n, 0)
            pads.append((total // 2, total - total // 2))
        x = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
        ones = np.pad(ones, ((0, 0), pads[0], pads[1], (0, 0)))  # 1 where a real cell is
    oh, ow = (x.shape[1] - ph) // sh + 1, (x.shape[2] - pw) // sw + 1
    out = np.empty((x.shape[0], oh, ow, x.shape[3]))
    for i in range(oh):
        for j in range(ow):
            window = (slice(None), slice(i * sh, i * sh + ph), slice(j * sw, j * sw + pw))
            out[:, i, j, :] = x[window].sum(axis=(1, 2)) / ones[window].sum(axis=(1, 2))
    return out
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_average_pool2d", "locked": true, "points": 2, "schema_version": 3, "solution": false}
# Checks `average_pool2d` on the visible cases (the same as self_check("average_pool2d")); the number shown is
# the points. Grading adds hidden cases on inputs you have not seen.
from coursekit.checks import score_test_cell

_hidden = False
### BEGIN HIDDEN TESTS
_hidden = True
### END HIDDEN TESTS
score_test_cell("average_pool2d", average_pool2d, hidden=_hidden)


# %% [markdown] nbgrader={"grade": false, "grade_id": "md_conv2d_backward", "locked": true, "schema_version": 3, "solution": false}
# ## `conv2d_backward(dout, x, kernel, strides=1, padding="valid")` (4 points)
#
# The gradients of $L = \sum \text{conv2d}(x, \text{kernel}, \text{bias}, \text{strides}, \text{padding}) \cdot \text{dout}$ (as `tf.GradientTape` computes them). Arguments as in `conv2d` (`strides` an int or a pair `(sh, sw)`, `padding` `"valid"` or `"same"`, float32 or float64, possibly non-contiguous, not to be modified); `dout` has the output's shape `(N, OH, OW, F)`. With `xp` the padded input (top/left padding $p_t, p_l$ from `same_padding`, 0 for `"valid"`):
#
# - `dbias[f]` $= \sum_{n,i,j} \text{dout}[n, i, j, f]$ (a sum, not a mean);
# - `dkernel[a, b, c, f]` $= \sum_{n,i,j} xp[n, i s_h + a, j s_w + b, c]\ \text{dout}[n, i, j, f]$;
# - `dxp[n, i s_h + a, j s_w + b, c]` $\mathrel{+}= \sum_f \text{kernel}[a, b, c, f]\ \text{dout}[n, i, j, f]$ for every window $(i, j)$ and tap $(a, b)$ (accumulate: windows overlap when the stride is smaller than the kernel), and `dx = dxp[:, p_t:p_t + H, p_l:p_l + W, :]` (the padding cropped off; cells no window reads get 0).
#
# Return the tuple `(dx, dkernel, dbias)` with shapes `(N, H, W, C)`, `(kh, kw, C, F)`, `(F,)`.

# %% nbgrader={"grade": false, "grade_id": "conv2d_backward", "locked": false, "schema_version": 3, "solution": true}
def conv2d_backward(dout, x, kernel, strides=1, padding="valid"):
    """(dx, dkernel, dbias) of sum(conv2d(x, kernel, bias) * dout)."""
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=float)
    kernel = np.asarray(kernel, dtype=float)
    dout = np.asarray(dout, dtype=float)
    sh, sw = (strides, strides) if np.ndim(strides) == 0 else strides
    kh, kw = kernel.shape[:2]
    pads = [(0, 0), (0, 0)]
    if padding == "same":
        pads = []
        for n, k, s in ((x.shape[1], kh, sh), (x.shape[2], kw, sw)):
            total = max((-(-n // s) - 1) * s + k - n, 0)
            pads.append((total // 2, total - total // 2))
    xp = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
    dxp = np.zeros_like(xp)
    dkernel = np.zeros_like(kernel)
    for i in range(dout.shape[1]):
        for j in range(dout.shape[2]):
            rows, cols = slice(i * sh, i * sh + kh), slice(j * sw, j * sw + kw)
            g = dout[:, i, j, :]                                   # (N, F)
            dkernel += np.tensordot(xp[:, rows, cols, :], g, axes=([0], [0]))
            dxp[:, rows, cols, :] += np.tensordot(g, kernel, axes=([1], [3]))
    H, W = x.shape[1:3]
    dx = dxp[:, pads[0][0]:pads[0][0] + H, pads[1][0]:pads[1][0] + W, :]
    return dx, dkernel, dout.sum(axis=(0, 1, 2))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_conv2d_backward", "locked": true, "points": 4, "schema_version": 3, "solution": false}
# Checks `conv2d_backward` on the visible cases (the same as self_check("conv2d_backward")); the number shown is
# the points. Grading adds hidden cases on inputs you have not seen.
from coursekit.checks import score_test_cell

_hidden = False
### BEGIN HIDDEN TESTS
_hidden = True
### END HIDDEN TESTS
score_test_cell("conv2d_backward", conv2d_backward, hidden=_hidden)


# %% [markdown] nbgrader={"grade": false, "grade_id": "md_max_pool2d_backward", "locked": true, "schema_version": 3, "solution": false}
# ## `max_pool2d_backward(dout, x, pool_size=2, strides=None)` (2 points)
#
# The gradient `dx` of $L = \sum \text{max\_pool2d}(x, \text{pool\_size}, \text{strides}, \text{"valid"}) \cdot \text{dout}$ (as `tf.GradientTape` computes it), for `"valid"` pooling only.
#
# - `x`: `(N, H, W, C)`, float32 or float64, possibly non-contiguous, not to be modified; `dout`: the pooled shape `(N, OH, OW, C)` with `OH = (H - ph) // sh + 1`, `OW = (W - pw) // sw + 1`.
# - `pool_size`: an int $p$ or a pair `(ph, pw)`; `strides`: `None` (= `pool_size`), an int or a pair `(sh, sw)`. Windows may overlap (stride < pool) or skip cells (stride > pool).
# - Window $(i, j)$ of channel $c$ covers `x[n, i*sh:i*sh+ph, j*sw:j*sw+pw, c]`; its `dout[n, i, j, c]` goes to the cell holding the window's maximum, **added** to `dx` (a cell that is the maximum of several windows collects all their `dout`). Every other cell gets 0.
# - Ties (a maximum held by several cells of one window): only the **first** of them in row-major order receives `dout`, the one `np.argmax` of the window picks (TensorFlow's rule on CPU).
#
# Return `dx` with the shape of `x`.

# %% nbgrader={"grade": false, "grade_id": "max_pool2d_backward", "locked": false, "schema_version": 3, "solution": true}
def max_pool2d_backward(dout, x, pool_size=2, strides=None):
    """dx of sum(max_pool2d(x) * dout) ("valid"): each window's max cell receives its dout."""
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=float)
    ph, pw = (pool_size, pool_size) if np.ndim(pool_size) == 0 else pool_size
    if strides is None:
        strides = (ph, pw)
    sh, sw = (strides, strides) if np.ndim(strides) == 0 else strides
    dx = np.zeros_like(x)
    for n in range(x.shape[0]):
        for i in range(dout.shape[1]):
            for j in range(dout.shape[2]):
                for c in range(x.shape[3]):
                    window = x[n, i * sh:i * sh + ph, j * sw:j * sw + pw, c]
                    a, b = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, i * sh + a, j * sw + b, c] += dout[n, i, j, c]   # += : windows may overlap
    return dx
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_max_pool2d_backward", "locked": true, "points": 2, "schema_version": 3, "solution": false}
# Checks `max_pool2d_backward` on the visible cases (the same as self_check("max_pool2d_backward")); the number shown is
# the points. Grading adds hidden cases on inputs you have not seen.
from coursekit.checks import score_test_cell

_hidden = False
### BEGIN HIDDEN TESTS
_hidden = True
### END HIDDEN TESTS
score_test_cell("max_pool2d_backward", max_pool2d_backward, hidden=_hidden)


# %% [markdown] nbgrader={"grade": false, "grade_id": "md_conv2d_param_count", "locked": true, "schema_version": 3, "solution": false}
# ## `conv2d_param_count(kernel_size, in_channels, filters, use_bias=True)` (1 point)
#
# The number of weights of `keras.layers.Conv2D(filters, kernel_size, use_bias=use_bias)` on an input with `in_channels` channels: `kernel_size` is an int $k$ (a $k \times k$ kernel) or a pair `(kh, kw)`; the count is
# $k_h\, k_w\, C_{in}\, F + F$ with a bias ($F$ = `filters`), $k_h\, k_w\, C_{in}\, F$ without. It does not depend on the image size. Return an `int`.

# %% nbgrader={"grade": false, "grade_id": "conv2d_param_count", "locked": false, "schema_version": 3, "solution": true}
def conv2d_param_count(kernel_size, in_channels, filters, use_bias=True):
    """kh * kw * in_channels * filters (+ filters biases)."""
    ### BEGIN SOLUTION
    kh, kw = (kernel_size, kernel_size) if np.ndim(kernel_size) == 0 else kernel_size
    return kh * kw * in_channels * filters + (filters if use_bias else 0)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_conv2d_param_count", "locked": true, "points": 1, "schema_version": 3, "solution": false}
# Checks `conv2d_param_count` on the visible cases (the same as self_check("conv2d_param_count")); the number shown is
# the points. Grading adds hidden cases on inputs you have not seen.
from coursekit.checks import score_test_cell

_hidden = False
### BEGIN HIDDEN TESTS
_hidden = True
### END HIDDEN TESTS
score_test_cell("conv2d_param_count", conv2d_param_count, hidden=_hidden)

# %% [markdown] nbgrader={"grade": false, "grade_id": "md_explain_sharing", "locked": true, "schema_version": 3, "solution": false}
# ## Written question (1 point)
#
# **Explain** parameter sharing: how many parameters does a 3x3 conv with 16 filters on 8 channels have, and how many would a dense layer between 32x32x8 and 32x32x16 maps need?

# %% [markdown] nbgrader={"grade": true, "grade_id": "explain_sharing", "locked": false, "points": 1, "schema_version": 3, "solution": true}
# 3*3*8*16 + 16 = 1,168 against 8192 * 16384 + 16384 = 134,234,112.

# %% [markdown] nbgrader={"grade": false, "grade_id": "md_self_check", "locked": true, "schema_version": 3, "solution": false}
# ## Before you submit
#
# Run every cell, then the checks for all exercises:

# %% nbgrader={"grade": false, "grade_id": "self_check", "locked": true, "schema_version": 3, "solution": false}
self_check()
