"""Lecture 4 widgets and the lecture's demonstrations in coursekit.convolution: what the widgets show
(``widget.state``) is checked against Keras and against independent NumPy loops, not against the
code under test."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from coursekit.convolution import (
    KERNEL_KINDS,
    LECTURE_FILTERS,
    LECTURE_IMAGE,
    kernel_of,
    shift_image,
    translation_invariance,
)
from coursekit.widgets.convolution import IMAGES, POOL_IMAGES, KernelSlideWidget, PoolingShiftWidget

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
DIGIT = "digit 3 (8x8, ink 0-16)"


def correlate_loops(img: np.ndarray, kernel: np.ndarray, stride: int, pads) -> np.ndarray:
    """Plain-loop cross-correlation of one 2-D image (independent of coursekit)."""
    xp = np.pad(img, pads)
    k = kernel.shape[0]
    oh = (xp.shape[0] - k) // stride + 1
    ow = (xp.shape[1] - k) // stride + 1
    return np.array([[np.sum(xp[i * stride:i * stride + k, j * stride:j * stride + k] * kernel)
                      for j in range(ow)] for i in range(oh)])


def keras_conv(keras, img, kernel, stride, padding):
    layer = keras.layers.Conv2D(1, kernel.shape[0], strides=stride, padding=padding, use_bias=False)
    layer.build((None,) + img.shape + (1,))
    layer.set_weights([kernel[:, :, None, None].astype("float32")])
    return np.asarray(layer(img[None, :, :, None].astype("float32")))[0, :, :, 0]


# -- the lecture's 4x4 example ---------------------------------------------------------------------

def test_lecture_example_is_the_one_on_the_slides():
    # Salvatore (IUSS Pavia): [[1,1,1,3],[4,6,4,8],[30,0,1,5],[0,2,2,4]] * [[1,0],[0,1]] = [[7,5,9],[4,7,9],[32,2,5]]
    np.testing.assert_array_equal(correlate_loops(LECTURE_IMAGE, LECTURE_FILTERS["diagonal"], 1, 0),
                                  [[7, 5, 9], [4, 7, 9], [32, 2, 5]])
    np.testing.assert_array_equal(correlate_loops(LECTURE_IMAGE, LECTURE_FILTERS["anti-diagonal"], 1, 0),
                                  [[5, 7, 7], [36, 4, 9], [0, 3, 7]])
    with pytest.raises(ValueError, match="read-only"):
        LECTURE_IMAGE[0, 0] = 5          # nobody changes the example for everybody else


# -- KernelSlideWidget ------------------------------------------------------------------------------

def test_kernel_slide_initial_state_is_the_lecture_example():
    w = KernelSlideWidget()
    s = w.state
    np.testing.assert_array_equal(s["input"], LECTURE_IMAGE)
    np.testing.assert_array_equal(s["output"], [[7, 5, 9], [4, 7, 9], [32, 2, 5]])
    assert s["output_size"] == (3, 3)
    assert s["multiply_add"] == "1×1 + 1×0 + 4×0 + 6×1 = 7"
    assert w.png.startswith(PNG_MAGIC)
    w.kind.value = "anti-diagonal"   # the lecture's second example
    np.testing.assert_array_equal(w.state["output"], [[5, 7, 7], [36, 4, 9], [0, 3, 7]])


def test_kernel_slide_matches_keras_for_every_setting(keras):
    w = KernelSlideWidget()
    settings = [("4x4 example", "ramp 1..k*k", 2, 1, "same"), ("4x4 example", "vertical edge", 3, 2, "valid"),
                ("4x4 example", "box blur", 3, 2, "same"), (DIGIT, "ramp 1..k*k", 3, 3, "same"),
                (DIGIT, "vertical edge", 4, 2, "same"), (DIGIT, "anti-diagonal", 5, 2, "valid"),
                ("impulse 5x5", "ramp 1..k*k", 4, 3, "same")]
    for image, kind, k, stride, padding in settings:
        s = w.set(image=image, kind=kind, kernel_size=k, stride=stride, padding=padding)
        img = IMAGES[image]()
        expected = keras_conv(keras, img, kernel_of(kind, k), stride, padding)
        assert s["output_size"] == expected.shape, (image, k, stride, padding)
        np.testing.assert_allclose(s["output"], expected, rtol=1e-5, atol=1e-4)
        assert w.cell.max == expected.size - 1


def test_kernel_slide_multiply_add_is_the_displayed_cell(keras):
    w = KernelSlideWidget()
    w.set(image=DIGIT, kind="ramp 1..k*k", kernel_size=3, stride=2, padding="same")
    img = IMAGES[DIGIT]()
    # TensorFlow "same", stride 2, K=3 on 8: total padding (4-1)*2 + 3 - 8 = 1 -> (0, 1)
    assert w.state["pads"] == ((0, 1), (0, 1))
    expected = correlate_loops(img, kernel_of("ramp 1..k*k", 3), 2, ((0, 1), (0, 1)))
    for cell in (0, 5, 15):
        w.cell.value = cell
        s = w.state
        i, j = divmod(cell, expected.shape[1])
        assert s["cell_index"] == (i, j)
        assert s["cell_value"] == pytest.approx(expected[i, j])
        lhs, rhs = s["multiply_add"].replace("\n", " ").split("=")
        products = [tuple(map(float, t.strip().split("×"))) for t in lhs.split("+") if t.strip()]
        assert len(products) == 9
        assert sum(a * b for a, b in products) == pytest.approx(expected[i, j])
        assert float(rhs) == pytest.approx(expected[i, j])
    # the formula shows the numbers and the size Keras gives
    assert s["formula"].startswith("(W + P - K) / S + 1 = (8 + 1 - 3) / 2 + 1")
    keras_width = keras_conv(keras, img, np.ones((3, 3)), 2, "same").shape[1]
    assert s["formula"].split("→")[1].strip().startswith(str(keras_width))


def test_kernel_slide_clamps_cell_and_kernel_and_redraws():
    w = KernelSlideWidget(image=DIGIT, kernel_size=5, padding="same")
    w.cell.value = 63
    png_before, renders = w.png, w.renders
    w.stride.value = 2                       # 8x8 -> 4x4: the cell index must follow
    assert w.state["output_size"] == (4, 4)
    assert w.cell.max == 15 and w.cell.value == 15 and w.state["cell_index"] == (3, 3)
    assert w.renders > renders and w.png != png_before
    w.image.value = "4x4 example"            # kernel 5 no longer fits a 4x4 image
    assert w.kernel_size.value == 4 and w.kernel_size.max == 4
    assert w.state["kernel"].shape == (4, 4)


def test_kernel_slide_impulse_shows_the_flipped_kernel():
    w = KernelSlideWidget(image="impulse 5x5", kind="ramp 1..k*k", kernel_size=3, padding="same")
    ramp = np.arange(1, 10).reshape(3, 3)
    np.testing.assert_array_equal(w.state["output"][1:4, 1:4], ramp[::-1, ::-1])


def test_widget_mimebundle_has_static_png():
    w = KernelSlideWidget()
    bundle = w._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert base64.b64decode(bundle["image/png"]) == w.png


def test_kernel_of_gives_the_named_kernels_and_rejects_bad_arguments():
    np.testing.assert_array_equal(kernel_of("diagonal", 2), LECTURE_FILTERS["diagonal"])
    np.testing.assert_array_equal(kernel_of("anti-diagonal", 2), LECTURE_FILTERS["anti-diagonal"])
    np.testing.assert_array_equal(kernel_of("vertical edge", 3), [[-1, 0, 1]] * 3)
    assert kernel_of("box blur", 4).sum() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="kind"):
        kernel_of("gaussian", 3)
    with pytest.raises(ValueError, match="size"):
        kernel_of(KERNEL_KINDS[0], 0)


# -- PoolingShiftWidget ---------------------------------------------------------------------------------

def test_pooling_widget_pools_like_keras(keras):
    w = PoolingShiftWidget()
    for kind, layer_cls in (("max", keras.layers.MaxPooling2D), ("average", keras.layers.AveragePooling2D)):
        for pool in (2, 3):
            s = w.set(kind=kind, pool_size=pool, shift=2)
            for fmap, pooled in ((s["map"], s["pooled"]), (s["map_shifted"], s["pooled_shifted"])):
                expected = np.asarray(layer_cls(pool)(fmap[None, :, :, None].astype("float32")))[0, :, :, 0]
                np.testing.assert_allclose(pooled, expected, rtol=1e-5, atol=1e-6)
            diff = np.linalg.norm(s["pooled_shifted"] - s["pooled"]) / np.linalg.norm(s["pooled"])
            assert s["relative_change_pooled"] == pytest.approx(diff)
    s = w.set(shift=0)
    assert s["relative_change_map"] == 0 and s["unchanged_pooled"] == 1.0


def test_pooling_widget_map_is_a_relu_edge_detector(keras):
    w = PoolingShiftWidget()
    sobel = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=float)
    image = POOL_IMAGES[w.image.value]()
    expected = np.maximum(keras_conv(keras, image, sobel, 1, "same"), 0.0)
    np.testing.assert_allclose(w.state["map"], expected, rtol=1e-5, atol=1e-5)


def test_shift_image_and_invariance_of_global_pooling():
    img = np.arange(16.0).reshape(4, 4)
    np.testing.assert_array_equal(shift_image(img, 1)[:, 1:], img[:, :-1])
    assert (shift_image(img, 1)[:, 0] == 0).all()
    np.testing.assert_array_equal(shift_image(img, 0, 1)[1:], img[:-1])
    # a pattern away from the border: global max pooling ignores the shift, no pooling does not
    blob = np.zeros((8, 8))
    blob[2:5, 2:4] = 1.0
    inv = translation_invariance([blob], pool_sizes=(1, 8), shift=1)
    assert inv[8]["relative_change"] == 0.0
    assert inv[1]["relative_change"] > 0.5


# -- static figures of the lecture --------------------------------------------------------------------

def _font_px(fig):
    """Every text's size in CSS px at the figure's dpi (the projector test's rule, before any shrink)."""
    return [t.get_fontsize() * fig.dpi / 72 for t in fig.findobj(lambda a: hasattr(a, "get_fontsize"))
            if getattr(t, "get_text", lambda: "")()]


def test_variations_figure_distances_and_nearest_other_digit():
    from coursekit.data import digits_8x8
    from coursekit.widgets.convolution import variations_figure

    images, labels = digits_8x8()
    idx = int(np.flatnonzero(labels == 3)[0])
    fig, dist = variations_figure(images, labels, idx)
    moved = np.zeros((8, 8))
    moved[:, 1:] = images[idx][:, :-1]
    assert dist["shifted 1 px"] == pytest.approx(np.linalg.norm(moved - images[idx]))
    nearest = min(np.linalg.norm(images[j] - images[idx]) for j in range(len(images)) if labels[j] != 3)
    (name, d), = [(k, v) for k, v in dist.items() if k.startswith("nearest")]
    assert d == pytest.approx(nearest) and d < dist["shifted 1 px"]
    assert fig.get_size_inches()[0] <= 11 and min(_font_px(fig)) >= 16


def test_simple_complex_and_matrices_figures_fit_a_slide():
    from coursekit.widgets.convolution import matrices_figure, simple_complex_figure

    fig, resp = simple_complex_figure()
    assert np.count_nonzero(resp["vertical"]["simple"]) == 1
    assert fig.get_size_inches()[0] <= 11 and min(_font_px(fig)) >= 16
    fig = matrices_figure({"a": np.eye(3), "b": -np.eye(3)}, diverging=("b",), height=2.0)
    assert tuple(fig.get_size_inches()) == (4.0, 2.0) and min(_font_px(fig)) >= 16


def test_widgets_and_gallery_text_is_at_least_12_pt():
    from coursekit.data import photo
    from coursekit.widgets.convolution import kernel_gallery_figure

    fig, _ = kernel_gallery_figure(photo(gray=True, size=64))
    assert fig.get_size_inches()[0] <= 11 and min(_font_px(fig)) >= 16
    w = KernelSlideWidget(image=DIGIT, kernel_size=5, padding="same")   # a 12x12 padded grid
    assert min(_font_px(w.figure)) >= 16 and w.figure.get_size_inches()[0] <= 11
    assert min(_font_px(PoolingShiftWidget().figure)) >= 16
