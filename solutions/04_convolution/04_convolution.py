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
# The lecture's example: the 4x4 input `[[1,1,1,3],[4,6,4,8],[30,0,1,5],[0,2,2,4]]` with the filter `[[1,0],[0,1]]` gives `[[7,5,9],[4,7,9],[32,2,5]]`. Keras computes cross-correlation: do not flip the kernel.

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
