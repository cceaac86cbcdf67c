"""coursekit.convolution against Keras/TensorFlow (lecture 4).

Every fast and naive function is compared with the Keras layer or TensorFlow op the
exercise contract names, on random shapes (odd and even sizes, strides 1-3 incl.
unequal pairs, both paddings with TF's asymmetric "same", several channels, float32
and float64).  Keras layers are built once per configuration and cached, since
building a layer is the slow part.
"""

from __future__ import annotations

import numpy as np
import pytest

from coursekit import convolution as cv
from coursekit import parallel

LECTURE_X = np.array([[1, 1, 1, 3], [4, 6, 4, 8], [30, 0, 1, 5], [0, 2, 2, 4]], dtype=float)
DTYPES = (np.float32, np.float64)
_LAYERS: dict = {}


def tol(dtype):
    return dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)


def layer(keras, cls_name, input_shape, **kwargs):
    """A built Keras layer, cached by class, input shape and arguments."""
    key = (cls_name, tuple(input_shape), tuple(sorted(kwargs.items())))
    if key not in _LAYERS:
        lay = getattr(keras.layers, cls_name)(**kwargs)
        lay.build((None, *input_shape[1:]))
        _LAYERS[key] = lay
    return _LAYERS[key]


def random_conv_case(rng, dtype):
    """One random Conv2D configuration whose output is not empty."""
    while True:
        n = int(rng.integers(1, 4))
        h, w = (int(v) for v in rng.integers(1, 10, size=2))
        kh, kw = (int(v) for v in rng.integers(1, 5, size=2))
        strides = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
        padding = str(rng.choice(["valid", "same"]))
        if padding == "valid" and (kh > h or kw > w):
            continue
        c, f = (int(v) for v in rng.integers(1, 5, size=2))
        x = rng.standard_normal((n, h, w, c)).astype(dtype)
        kernel = rng.standard_normal((kh, kw, c, f)).astype(dtype)
        bias = rng.standard_normal(f).astype(dtype) if rng.random() < 0.6 else None
        return x, kernel, bias, strides, padding


def keras_conv(keras, x, kernel, bias, strides, padding):
    kh, kw, _, f = kernel.shape
    lay = layer(keras, "Conv2D", x.shape, filters=f, kernel_size=(kh, kw), strides=strides,
                padding=padding, use_bias=bias is not None, dtype=x.dtype.name)
    lay.set_weights([kernel] if bias is None else [kernel, bias])
    return lay


def copies(*arrays):
    return [None if a is None else a.copy() for a in arrays]


def assert_unchanged(originals, arrays):
    for before, after in zip(originals, arrays):
        if before is not None:
            np.testing.assert_array_equal(before, after)


# ----------------------------------------------------------------- worked example
@pytest.mark.parametrize("kernel, expected", [
    ([[1, 0], [0, 1]], [[7, 5, 9], [4, 7, 9], [32, 2, 5]]),
    ([[0, 1], [1, 0]], [[5, 7, 7], [36, 4, 9], [0, 3, 7]]),
])
def test_lecture_worked_example(keras, kernel, expected):
    """Salvatore's 4x4 * 2x2 example: our code and Keras both give the lecture's numbers."""
    x = LECTURE_X[None, :, :, None]
    k = np.array(kernel, dtype=float)[:, :, None, None]
    for fn in (cv.conv2d, cv.conv2d_naive):
        np.testing.assert_array_equal(fn(x, k)[0, :, :, 0], expected)
    lay = keras_conv(keras, x, k, None, (1, 1), "valid")
    np.testing.assert_array_equal(np.asarray(lay(x))[0, :, :, 0], expected)


def test_library_constants_are_the_lecture_example():
    np.testing.assert_array_equal(cv.LECTURE_IMAGE, LECTURE_X)
    np.testing.assert_array_equal(cv.LECTURE_FILTERS["diagonal"], [[1, 0], [0, 1]])
    np.testing.assert_array_equal(cv.LECTURE_FILTERS["anti-diagonal"], [[0, 1], [1, 0]])


def test_true_convolution_flips_the_kernel():
    from scipy.signal import convolve2d, correlate2d

    rng = np.random.default_rng(0)
    img, k = rng.standard_normal((7, 6)), rng.standard_normal((3, 2))
    x, k4 = img[None, :, :, None], k[:, :, None, None]
    np.testing.assert_allclose(cv.conv2d_true_convolution(x, k4)[0, :, :, 0],
                               convolve2d(img, k, mode="valid"), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(cv.conv2d(x, k4)[0, :, :, 0], correlate2d(img, k, mode="valid"),
                               rtol=1e-12, atol=1e-12)
    # The lecture's two kernels are symmetric under a 180-degree turn: both operations agree there.
    for kernel in ([[1, 0], [0, 1]], [[0, 1], [1, 0]]):
        k4 = np.array(kernel, float)[:, :, None, None]
        np.testing.assert_array_equal(cv.conv2d_true_convolution(LECTURE_X[None, :, :, None], k4),
                                      cv.conv2d(LECTURE_X[None, :, :, None], k4))


# ----------------------------------------------------------------- conv2d forward
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("chunk", range(3))
def test_conv2d_matches_keras(keras, rng, dtype, chunk):
    for _ in range(20):
        x, kernel, bias, strides, padding = random_conv_case(rng, dtype)
        before = copies(x, kernel, bias)
        lay = keras_conv(keras, x, kernel, bias, strides, padding)
        expected = np.asarray(lay(x))
        for fn in (cv.conv2d, cv.conv2d_naive):
            out = fn(x, kernel, bias, strides, padding)
            assert out.dtype == dtype and out.shape == expected.shape, (fn.__name__, out.shape, expected.shape)
            np.testing.assert_allclose(out, expected, **tol(dtype), err_msg=f"{fn.__name__} {x.shape} "
                                       f"{kernel.shape} {strides} {padding}")
        assert_unchanged(before, (x, kernel, bias))


@pytest.mark.parametrize("strides, padding", [(1, "same"), (1, "valid"), ((2, 1), "same")])
def test_conv2d_parallel_blocks_match_tensorflow(tf, rng, strides, padding):
    """Inputs big enough for the threaded, blocked path (odd sizes: ragged last blocks)."""
    x = rng.standard_normal((6, 29, 23, 16)).astype(np.float32)
    kernel = rng.standard_normal((3, 4, 16, 40)).astype(np.float32)
    bias = rng.standard_normal(40).astype(np.float32)
    s = (strides, strides) if isinstance(strides, int) else strides
    expected = tf.nn.conv2d(x, kernel, s, padding.upper()).numpy() + bias
    out = cv.conv2d(x, kernel, bias, strides, padding)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)
    dout = rng.standard_normal(out.shape).astype(np.float32)
    xt, kt = tf.constant(x), tf.constant(kernel)
    with tf.GradientTape() as tape:
        tape.watch([xt, kt])
        loss = tf.reduce_sum(tf.nn.conv2d(xt, kt, s, padding.upper()) * dout)
    gx, gk = tape.gradient(loss, [xt, kt])
    dx, dk, db = cv.conv2d_backward(dout, x, kernel, strides, padding)
    np.testing.assert_allclose(dx, gx.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(dk, gk.numpy(), rtol=1e-4, atol=2e-3)
    np.testing.assert_allclose(db, dout.sum(axis=(0, 1, 2)), rtol=1e-5, atol=1e-4)
    assert dx.dtype == dk.dtype == np.float32


@pytest.mark.parametrize("flops", [0, 1e9])
def test_for_each_block_visits_every_output_line_once(monkeypatch, flops):
    """Inline (few flops) and on the thread pool (many): each (n, i) in exactly one block."""
    monkeypatch.setattr(parallel, "BLOCK_BYTES", 100)  # 100 // (5 * 8) = 2 lines per block

    def block(n, i0, i1):
        assert 0 <= i0 < i1 <= 13
        return [(n, i) for i in range(i0, i1)]

    lines = parallel.for_each_block((3, 13, 5), 8, block, lambda parts: sum(parts, []), flops=flops)
    assert sorted(lines) == [(n, i) for n in range(3) for i in range(13)]


@pytest.mark.parametrize("block_bytes", [1, 3000])
def test_conv2d_small_blocks_equal_naive(rng, monkeypatch, block_bytes):
    """Blocks of 1 or a few output lines (ragged; some next to the top or bottom
    padding, some not), inline and on the threaded path, equal the naive loops."""
    monkeypatch.setattr(parallel, "BLOCK_BYTES", block_bytes)
    x = rng.standard_normal((2, 9, 7, 3))
    kernel = rng.standard_normal((4, 3, 3, 5))
    bias = rng.standard_normal(5)
    for strides in (1, (2, 1), 3):
        for padding in ("same", "valid"):
            out = cv.conv2d(x, kernel, bias, strides, padding)
            np.testing.assert_allclose(out, cv.conv2d_naive(x, kernel, bias, strides, padding),
                                       **tol(np.float64))
            dout = rng.standard_normal(out.shape)
            for a, b in zip(cv.conv2d_backward_naive(dout, x, kernel, strides, padding),
                            cv.conv2d_backward(dout, x, kernel, strides, padding)):
                np.testing.assert_allclose(a, b, **tol(np.float64))
    x32 = rng.standard_normal((8, 30, 20, 16)).astype(np.float32)  # big enough for the thread pool
    k32 = rng.standard_normal((3, 3, 16, 32)).astype(np.float32)
    for padding in ("same", "valid"):
        np.testing.assert_allclose(cv.conv2d(x32, k32, None, 1, padding),
                                   cv.conv2d_naive(x32, k32, None, 1, padding), rtol=1e-4, atol=1e-4)


def test_naive_equals_fast(rng):
    for _ in range(40):
        dtype = DTYPES[int(rng.integers(2))]
        x, kernel, bias, strides, padding = random_conv_case(rng, dtype)
        np.testing.assert_allclose(cv.conv2d_naive(x, kernel, bias, strides, padding),
                                   cv.conv2d(x, kernel, bias, strides, padding), **tol(dtype))
        dout = rng.standard_normal(cv.conv2d(x, kernel, None, strides, padding).shape).astype(dtype)
        for a, b in zip(cv.conv2d_backward_naive(dout, x, kernel, strides, padding),
                        cv.conv2d_backward(dout, x, kernel, strides, padding)):
            np.testing.assert_allclose(a, b, **tol(dtype))
        pool, pstrides = (int(rng.integers(1, 4)), int(rng.integers(1, 4))), (int(rng.integers(1, 4)), 2)
        if padding == "same" or (pool[0] <= x.shape[1] and pool[1] <= x.shape[2]):
            np.testing.assert_array_equal(cv.max_pool2d_naive(x, pool, pstrides, padding),
                                          cv.max_pool2d(x, pool, pstrides, padding))
            np.testing.assert_allclose(cv.average_pool2d_naive(x, pool, pstrides, padding),
                                       cv.average_pool2d(x, pool, pstrides, padding), **tol(dtype))


def test_im2col_layout_and_col2im_adjoint(rng):
    x = rng.standard_normal((2, 7, 6, 3))
    kernel = rng.standard_normal((3, 2, 3, 4))
    for strides, padding in [((1, 1), "valid"), ((2, 3), "same"), ((3, 1), "valid")]:
        cols = cv.im2col(x, (3, 2), strides, padding)
        out = cv.conv2d(x, kernel, None, strides, padding)
        assert cols.shape == (out.shape[0] * out.shape[1] * out.shape[2], 3 * 2 * 3)
        np.testing.assert_allclose((cols @ kernel.reshape(-1, 4)).reshape(out.shape), out, rtol=1e-12, atol=1e-12)
        # column (u*kw + v)*C + c of row (n*OH + i)*OW + j holds xp[n, i*sh+u, j*sw+v, c]
        xp = cv.pad_input(x, (3, 2), strides, padding)
        n, i, j, u, v, c = 1, out.shape[1] - 1, out.shape[2] - 1, 2, 1, 2
        row = (n * out.shape[1] + i) * out.shape[2] + j
        assert cols[row, (u * 2 + v) * 3 + c] == xp[n, i * strides[0] + u, j * strides[1] + v, c]
        y = rng.standard_normal(cols.shape)
        back = cv.col2im(y, x.shape, (3, 2), strides, padding)
        assert back.shape == x.shape
        np.testing.assert_allclose(np.sum(cols * y), np.sum(x * back), rtol=1e-12)


# ----------------------------------------------------------------- gradients
@pytest.mark.parametrize("dtype", DTYPES)
def test_conv2d_backward_matches_gradient_tape(keras, tf, rng, dtype):
    for _ in range(25):
        x, kernel, _, strides, padding = random_conv_case(rng, dtype)
        bias = rng.standard_normal(kernel.shape[3]).astype(dtype)
        lay = keras_conv(keras, x, kernel, bias, strides, padding)
        dout = rng.standard_normal(np.asarray(lay(x)).shape).astype(dtype)
        xt = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(xt)
            loss = tf.reduce_sum(lay(xt) * dout)
        expected = [g.numpy() for g in tape.gradient(loss, [xt, lay.kernel, lay.bias])]
        before = copies(dout, x, kernel)
        for fn in (cv.conv2d_backward, cv.conv2d_backward_naive):
            got = fn(dout, x, kernel, strides, padding)
            for name, g, e in zip(("dx", "dkernel", "dbias"), got, expected):
                assert g.dtype == dtype and g.shape == e.shape
                np.testing.assert_allclose(g, e, **tol(dtype), err_msg=f"{fn.__name__} {name} "
                                           f"{x.shape} {kernel.shape} {strides} {padding}")
        assert_unchanged(before, (dout, x, kernel))


def random_pool_case(rng, dtype, no_ties=False):
    while True:
        n, c = int(rng.integers(1, 4)), int(rng.integers(1, 5))
        h, w = (int(v) for v in rng.integers(1, 10, size=2))
        pool = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
        strides = None if rng.random() < 0.3 else (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
        padding = str(rng.choice(["valid", "same"]))
        if padding == "valid" and (pool[0] > h or pool[1] > w):
            continue
        if no_ties:  # distinct values: the max of every window is unique
            x = rng.permutation(n * h * w * c).reshape(n, h, w, c).astype(dtype) / 7
        else:
            x = rng.standard_normal((n, h, w, c)).astype(dtype)
        return x, pool, strides, padding


@pytest.mark.parametrize("dtype", DTYPES)
def test_pooling_matches_keras(keras, rng, dtype):
    for _ in range(25):
        x, pool, strides, padding = random_pool_case(rng, dtype)
        before = x.copy()
        for name, fast, naive in (("MaxPooling2D", cv.max_pool2d, cv.max_pool2d_naive),
                                  ("AveragePooling2D", cv.average_pool2d, cv.average_pool2d_naive)):
            lay = layer(keras, name, x.shape, pool_size=pool, strides=strides, padding=padding,
                        dtype=x.dtype.name)
            expected = np.asarray(lay(x))
            for fn in (fast, naive):
                out = fn(x, pool, strides, padding)
                assert out.dtype == dtype and out.shape == expected.shape
                np.testing.assert_allclose(out, expected, **tol(dtype),
                                           err_msg=f"{fn.__name__} {x.shape} {pool} {strides} {padding}")
        np.testing.assert_array_equal(x, before)


def test_average_pool_same_does_not_count_padding(keras):
    x = np.ones((1, 3, 3, 1))
    out = cv.average_pool2d(x, 2, 2, "same")  # windows of 4, 2, 2 and 1 real cells
    np.testing.assert_array_equal(out, np.ones((1, 2, 2, 1)))
    lay = layer(keras, "AveragePooling2D", x.shape, pool_size=(2, 2), strides=(2, 2), padding="same",
                dtype="float64")
    np.testing.assert_array_equal(np.asarray(lay(x)), out)


@pytest.mark.parametrize("dtype", DTYPES)
def test_pool_backward_matches_gradient_tape(tf, rng, dtype):
    for _ in range(25):
        x, pool, strides, padding = random_pool_case(rng, dtype, no_ties=True)
        s = pool if strides is None else strides
        xt = tf.constant(x)
        out_shape = cv.max_pool2d(x, pool, strides, padding).shape
        dout = rng.standard_normal(out_shape).astype(dtype)
        with tf.GradientTape(persistent=True) as tape:
            tape.watch(xt)
            loss_max = tf.reduce_sum(tf.nn.max_pool2d(xt, pool, s, padding.upper()) * dout)
            loss_avg = tf.reduce_sum(tf.nn.avg_pool2d(xt, pool, s, padding.upper()) * dout)
        before = copies(x, dout)
        # max_pool2d_backward reads the padding off dout's shape (the contract has no padding argument)
        got = cv.max_pool2d_backward(dout, x, pool, strides)
        assert got.dtype == dtype
        np.testing.assert_allclose(got, tape.gradient(loss_max, xt).numpy(), **tol(dtype),
                                   err_msg=f"max {x.shape} {pool} {strides} {padding}")
        got = cv.average_pool2d_backward(dout, x, pool, strides, padding)
        np.testing.assert_allclose(got, tape.gradient(loss_avg, xt).numpy(), **tol(dtype),
                                   err_msg=f"avg {x.shape} {pool} {strides} {padding}")
        assert_unchanged(before, (x, dout))


# ----------------------------------------------------------------- depthwise, separable, 1x1
@pytest.mark.parametrize("dtype", DTYPES)
def test_depthwise_separable_and_1x1_match_keras(keras, rng, dtype):
    for _ in range(12):
        x, kernel, _, strides, padding = random_conv_case(rng, dtype)
        strides = (strides[0], strides[0])  # TF's depthwise kernels need equal strides
        if padding == "valid" and (kernel.shape[0] > x.shape[1] or kernel.shape[1] > x.shape[2]):
            continue
        kh, kw, c, _ = kernel.shape
        mult, filters = int(rng.integers(1, 4)), int(rng.integers(1, 5))
        dk = rng.standard_normal((kh, kw, c, mult)).astype(dtype)
        pk = rng.standard_normal((1, 1, c * mult, filters)).astype(dtype)
        use_bias = bool(rng.random() < 0.6)
        before = copies(x, dk, pk)

        dw = layer(keras, "DepthwiseConv2D", x.shape, kernel_size=(kh, kw), strides=strides, padding=padding,
                   depth_multiplier=mult, use_bias=use_bias, dtype=x.dtype.name)
        dw_bias = rng.standard_normal(c * mult).astype(dtype) if use_bias else None
        dw.set_weights([dk, dw_bias] if use_bias else [dk])
        out = cv.depthwise_conv2d(x, dk, dw_bias, strides, padding)
        assert out.dtype == dtype
        np.testing.assert_allclose(out, np.asarray(dw(x)), **tol(dtype))

        sep = layer(keras, "SeparableConv2D", x.shape, filters=filters, kernel_size=(kh, kw), strides=strides,
                    padding=padding, depth_multiplier=mult, use_bias=use_bias, dtype=x.dtype.name)
        sep_bias = rng.standard_normal(filters).astype(dtype) if use_bias else None
        sep.set_weights([dk, pk, sep_bias] if use_bias else [dk, pk])
        out = cv.separable_conv2d(x, dk, pk, sep_bias, strides, padding)
        assert out.dtype == dtype
        np.testing.assert_allclose(out, np.asarray(sep(x)), **tol(dtype))
        np.testing.assert_allclose(cv.separable_conv2d(x, dk, pk[0, 0], sep_bias, strides, padding), out,
                                   **tol(dtype))

        k1 = rng.standard_normal((c, filters)).astype(dtype)
        one = keras_conv(keras, x, k1[None, None], sep_bias, (1, 1), "valid")
        np.testing.assert_allclose(cv.conv1x1(x, k1, sep_bias), np.asarray(one(x)), **tol(dtype))
        np.testing.assert_allclose(cv.conv1x1(x, k1[None, None], sep_bias), np.asarray(one(x)), **tol(dtype))
        assert_unchanged(before, (x, dk, pk))


# ----------------------------------------------------------------- sizes and padding
def test_output_length_and_same_padding_match_keras_and_tf(keras, tf):
    for k in range(1, 6):
        for s in range(1, 5):
            # Probe TF's padding: kernel weights 2**t on an image of ones.  Output cell i
            # sums 2**t over the window offsets t that land on real cells, so the lowest
            # set bit of the first cell is pad_before and the highest set bit of the last
            # cell shows how far the last window runs past the image (pad_after).
            probe = (2.0 ** np.arange(k, dtype=np.float32)).reshape(k, 1, 1, 1)
            for length in range(1, 13):
                for padding in ("valid", "same"):
                    if padding == "valid" and k > length:
                        with pytest.raises(ValueError, match="kernel_size"):
                            cv.conv_output_length(length, k, s, padding)
                        continue
                    shape = keras.layers.Conv2D(1, (k, 1), strides=(s, 1), padding=padding) \
                        .compute_output_shape((1, length, 1, 1))
                    assert cv.conv_output_length(length, k, s, padding) == shape[1], (length, k, s, padding)
                out = tf.nn.conv2d(np.ones((1, length, 1, 1), np.float32), probe, (s, 1), "SAME")
                out = out.numpy()[0, :, 0, 0].astype(int)
                pad_before_tf = (int(out[0]) & -int(out[0])).bit_length() - 1
                pad_after_tf = max(k - 1 - (int(out[-1]).bit_length() - 1), 0)
                assert cv.same_padding(length, k, s) == (pad_before_tf, pad_after_tf), (length, k, s)
    assert cv.same_padding(4, 2, 1) == (0, 1)  # odd total: the extra cell goes after


def test_conv_output_length_lecture_formula():
    """The Bologna lesson notes' (W + P - K) / S + 1, integer division, P the total padding."""
    for w in range(1, 20):
        for k in range(1, 6):
            for s in range(1, 4):
                p = sum(cv.same_padding(w, k, s))
                assert cv.conv_output_length(w, k, s, "same") == (w + p - k) // s + 1
                if k <= w:
                    assert cv.conv_output_length(w, k, s, "valid") == (w - k) // s + 1


def test_pad_input_is_asymmetric():
    x = np.ones((1, 4, 5, 1))
    xp = cv.pad_input(x, (2, 4), 1, "same")
    assert xp.shape == (1, 5, 8, 1)
    np.testing.assert_array_equal(xp[0, :, :, 0].sum(axis=1), [5, 5, 5, 5, 0])  # extra row at the bottom
    np.testing.assert_array_equal(xp[0, :, :, 0].sum(axis=0), [0, 4, 4, 4, 4, 4, 0, 0])  # 1 left, 2 right
    assert cv.pad_input(x, 3, 1, "valid").shape == x.shape


# ----------------------------------------------------------------- parameter counts
@pytest.mark.parametrize("kernel_size, cin, filters, use_bias", [
    (3, 1, 8, True), (3, 8, 16, True), ((3, 5), 3, 7, True), (1, 64, 32, False), ((2, 1), 4, 4, False),
])
def test_conv2d_param_count_matches_keras(keras, kernel_size, cin, filters, use_bias):
    lay = keras.layers.Conv2D(filters, kernel_size, use_bias=use_bias)
    lay.build((None, 9, 9, cin))
    assert cv.conv2d_param_count(kernel_size, cin, filters, use_bias) == lay.count_params()


def test_lecture_parameter_counts(keras):
    """Ledda's seminar (Cagliari Digital Lab): eight 3x3 filters on 1 channel = 80; sixteen on 8 channels = 1168."""
    assert cv.conv2d_param_count(3, 1, 8) == 80
    assert cv.conv2d_param_count(3, 8, 16) == 1168
    for cin, f, n in ((1, 8, 80), (8, 16, 1168)):
        lay = keras.layers.Conv2D(f, 3)
        lay.build((None, 28, 28, cin))
        assert lay.count_params() == n


@pytest.mark.parametrize("n_in, units, use_bias", [(784, 784, True), (10, 3, False), (1, 1, True)])
def test_dense_param_count_matches_keras(keras, n_in, units, use_bias):
    lay = keras.layers.Dense(units, use_bias=use_bias)
    lay.build((None, n_in))
    assert cv.dense_param_count(n_in, units, use_bias) == lay.count_params()


# ----------------------------------------------------------------- bad input
def test_bad_input_messages():
    x = np.zeros((1, 5, 5, 3))
    k = np.zeros((3, 3, 3, 2))
    with pytest.raises(ValueError, match=r"x must be 4-D \(batch, height, width, channels\)"):
        cv.conv2d(np.zeros((5, 5, 3)), k)
    with pytest.raises(ValueError, match=r"kernel must be 4-D \(kernel_h, kernel_w, in_channels, filters\)"):
        cv.conv2d(x, np.zeros((3, 3, 3)))
    with pytest.raises(ValueError, match=r"kernel in_channels .*= 2.* must equal x channels .*= 3"):
        cv.conv2d(x, np.zeros((3, 3, 2, 2)))
    with pytest.raises(ValueError, match=r"bias must have shape \(filters,\) = \(2,\)"):
        cv.conv2d(x, k, np.zeros(3))
    with pytest.raises(ValueError, match="padding must be 'valid' or 'same'"):
        cv.conv2d(x, k, padding="full")
    with pytest.raises(ValueError, match=r"kernel_size 6x3 is larger than the padded input 5x5"):
        cv.conv2d(x, np.zeros((6, 3, 3, 2)))
    with pytest.raises(ValueError, match=r"pool_size 6x6 is larger than the padded input 5x5"):
        cv.max_pool2d(x, 6)
    with pytest.raises(ValueError, match=r"strides must be a positive int or a pair of positive ints; got \(2, 0\)"):
        cv.conv2d(x, k, strides=(2, 0))
    with pytest.raises(TypeError, match=r"strides must be a positive int or a pair of positive ints; got 1.5"):
        cv.max_pool2d(x, 2, strides=1.5)
    with pytest.raises(ValueError, match=r"dout must have the output's shape \(N, OH, OW, F\) = \(1, 3, 3, 2\)"):
        cv.conv2d_backward(np.zeros((1, 5, 5, 2)), x, k)
    with pytest.raises(ValueError, match="dout must have the pooled output's shape"):
        cv.max_pool2d_backward(np.zeros((1, 4, 4, 3)), x, 2)
    with pytest.raises(ValueError, match=r"depthwise_kernel in_channels .* must equal x channels"):
        cv.depthwise_conv2d(x, np.zeros((3, 3, 2, 1)))
    with pytest.raises(TypeError, match="x must be a numeric array"):
        cv.conv2d(np.array([["a"]]), k)
    # a "same" convolution may use a kernel larger than the image: TF pads enough
    assert cv.conv2d(x, np.zeros((7, 7, 3, 2)), padding="same").shape == (1, 5, 5, 2)


# -- lecture demonstrations: why vision is hard, simple and complex cells ---------------------------

def test_pixel_distance_study_against_brute_force(rng):
    """Distances and nearest-neighbour accuracy recomputed by plain loops on a few random images."""
    images = rng.random((24, 6, 6))
    labels = np.arange(24) % 3
    study = cv.pixel_distance_study(images, labels)
    flat = images.reshape(24, -1)
    for i in range(24):
        others = [np.linalg.norm(flat[i] - flat[j]) for j in range(24) if labels[j] != labels[i]]
        same = [np.linalg.norm(flat[i] - flat[j]) for j in range(24) if labels[j] == labels[i] and j != i]
        assert study["nearest_other"][i] == pytest.approx(min(others))
        assert study["nearest_same"][i] == pytest.approx(min(same))

    def nn_accuracy(queries):
        hits = 0
        for q, t in zip(queries, range(1, 24, 2)):
            d = [np.sum((q - flat[j]) ** 2) for j in range(0, 24, 2)]
            hits += labels[0::2][int(np.argmin(d))] == labels[t]
        return hits / len(queries)

    assert study["nn_accuracy_unchanged"] == pytest.approx(nn_accuracy(flat[1::2]))
    shifted = study["variations"]["shifted 1 px right (viewpoint)"]
    moved = np.stack([np.pad(img, ((0, 0), (1, 0)))[:, :-1] for img in images]).reshape(24, -1)
    np.testing.assert_allclose(shifted["distance"], np.linalg.norm(moved - flat, axis=1))
    assert shifted["farther"] == pytest.approx(np.mean(shifted["distance"] > study["nearest_other"]))
    assert shifted["nn_accuracy"] == pytest.approx(nn_accuracy(moved[1::2]))
    bright = study["variations"]["brighter: + 0.3 everywhere (illumination)"]
    np.testing.assert_allclose(bright["distance"], 0.3 * 6)          # sqrt(36 * 0.3**2)
    with pytest.raises(ValueError, match="labels"):
        cv.pixel_distance_study(images, labels[:5])


def test_bar_image_and_simple_complex_cells():
    img = cv.bar_image(15, 3)
    assert img.sum() == 7 and (img[:, 3] == img.max(1)).all() and img[4:11, 3].all()
    assert cv.bar_image(9, 2, "horizontal", length=5)[2].sum() == 5
    r = cv.simple_complex_responses(size=15, pool=5)
    # the simple cell sees the bar only on its centre column; the complex cell over its 5 columns
    np.testing.assert_array_equal(np.flatnonzero(r["simple"]), [7])
    np.testing.assert_array_equal(np.flatnonzero(r["complex"]), [5, 6, 7, 8, 9])
    assert r["complex"].max() == pytest.approx(cv.LINE_DETECTOR[:, 1].sum())
    assert not cv.simple_complex_responses(orientation="horizontal")["complex"].any()
    with pytest.raises(ValueError, match="orientation"):
        cv.bar_image(orientation="diagonal")


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_checker_reference_is_the_keras_conv2d_layer(keras, rng, padding):
    """The grader's expected values (keras.ops.conv, as Conv2D.call computes) equal the layer itself."""
    from coursekit.checks.convolution import keras_conv2d

    for strides in ((1, 1), (2, 2), (3, 1)):
        x = rng.standard_normal((2, 9, 8, 3))
        kernel = rng.standard_normal((3, 2, 3, 4))
        for bias in (None, rng.standard_normal(4)):
            layer = keras.layers.Conv2D(4, (3, 2), strides=strides, padding=padding, dtype="float64",
                                        use_bias=bias is not None)
            layer.build((None, 9, 8, 3))
            layer.set_weights([kernel] + ([] if bias is None else [bias]))
            np.testing.assert_allclose(keras_conv2d(x, kernel, bias, strides, padding), np.asarray(layer(x)),
                                       rtol=1e-12, atol=1e-12)


def test_checker_same_padding_reads_the_keras_conv1d_layer(keras):
    """The grader's same_padding reference (keras.ops.conv taps) equals a Conv1D layer's taps."""
    from coursekit.checks.common import make_case
    from coursekit.checks.convolution import _same_padding_expected

    for n, k, s in ((1, 3, 1), (7, 4, 2), (10, 5, 3), (6, 1, 4), (9, 9, 1)):
        layer = keras.layers.Conv1D(k, k, strides=s, padding="same", use_bias=False, dtype="float64")
        layer.build((None, n, 1))
        layer.set_weights([np.eye(k)[:, None, :]])
        taps = np.rint(np.asarray(layer(np.arange(1.0, n + 1)[None, :, None]))[0]).astype(int)
        # the same reading as the checker's docstring: first window's first real tap, last window's last
        first = int(np.flatnonzero(taps[0])[0])
        last = int(np.flatnonzero(taps[-1])[-1])
        before = first - (taps[0, first] - 1)
        after = max(0, (taps[-1, last] - 1) + (k - 1 - last) - (n - 1))
        assert _same_padding_expected(make_case("n k s", n, k, s)) == (before, after)
