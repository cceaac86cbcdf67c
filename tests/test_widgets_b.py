"""Widgets of lectures 4-5 (convolution, CNN architectures) and the seed values notebooks 4-5 print.

Widgets are driven from Python (``control.value = ...``) and what they show (``widget.state``) is
checked against Keras and against independent NumPy, not against the code under test.  The
notebook test executes only the cells tagged ``seed-values`` (plus the setup cell) of the
generated lecture notebooks and looks for the seed's numbers, computed here.
"""

from __future__ import annotations

import base64
import re
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from coursekit.widgets.convolution import (
    IMAGES, KERNEL_KINDS, SEED_IMAGE, KernelSlideWidget, PoolingShiftWidget, kernel_of,
    shift_image, translation_invariance)
from coursekit.widgets.cnn_architectures import (
    ReceptiveFieldWidget, build_tiny_unet, influence_sets, skip_gradient_norms)

REPO = Path(__file__).resolve().parents[1]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _correlate_loops(img: np.ndarray, kernel: np.ndarray, stride: int, pads) -> np.ndarray:
    """Plain-loop cross-correlation of one 2-D image (independent of coursekit)."""
    xp = np.pad(img, pads)
    k = kernel.shape[0]
    oh = (xp.shape[0] - k) // stride + 1
    ow = (xp.shape[1] - k) // stride + 1
    return np.array([[np.sum(xp[i * stride:i * stride + k, j * stride:j * stride + k] * kernel)
                      for j in range(ow)] for i in range(oh)])


def _keras_conv(keras, img, kernel, stride, padding):
    layer = keras.layers.Conv2D(1, kernel.shape[0], strides=stride, padding=padding, use_bias=False)
    layer.build((None,) + img.shape + (1,))
    layer.set_weights([kernel[:, :, None, None].astype("float32")])
    return np.asarray(layer(img[None, :, :, None].astype("float32")))[0, :, :, 0]


# -- KernelSlideWidget ------------------------------------------------------------------------------

def test_kernel_slide_initial_state_is_the_seed_example():
    w = KernelSlideWidget()
    s = w.state
    # seed 000: [[1,1,1,3],[4,6,4,8],[30,0,1,5],[0,2,2,4]] * [[1,0],[0,1]] = [[7,5,9],[4,7,9],[32,2,5]]
    np.testing.assert_array_equal(s["output"], [[7, 5, 9], [4, 7, 9], [32, 2, 5]])
    assert s["output_size"] == (3, 3)
    assert s["multiply_add"] == "1×1 + 1×0 + 4×0 + 6×1 = 7"
    assert w.png.startswith(PNG_MAGIC)
    w.kind.value = "anti-diagonal"   # the seed's second example
    np.testing.assert_array_equal(w.state["output"], [[5, 7, 7], [36, 4, 9], [0, 3, 7]])


def test_kernel_slide_matches_keras_for_every_setting(keras):
    w = KernelSlideWidget()
    settings = [("seed 4x4", "ramp 1..k*k", 2, 1, "same"), ("seed 4x4", "vertical edge", 3, 2, "valid"),
                ("seed 4x4", "box blur", 3, 2, "same"), ("digit 3 (8x8, ink 0-16)", "ramp 1..k*k", 3, 3, "same"),
                ("digit 3 (8x8, ink 0-16)", "vertical edge", 4, 2, "same"),
                ("digit 3 (8x8, ink 0-16)", "anti-diagonal", 5, 2, "valid"), ("impulse 5x5", "ramp 1..k*k", 4, 3, "same")]
    for image, kind, k, stride, padding in settings:
        s = w.set(image=image, kind=kind, kernel_size=k, stride=stride, padding=padding)
        img = IMAGES[image]()
        expected = _keras_conv(keras, img, kernel_of(kind, k), stride, padding)
        assert s["output_size"] == expected.shape, (image, k, stride, padding)
        np.testing.assert_allclose(s["output"], expected, rtol=1e-5, atol=1e-4)
        assert w.cell.max == expected.size - 1


def test_kernel_slide_multiply_add_is_the_displayed_cell(keras):
    w = KernelSlideWidget()
    w.set(image="digit 3 (8x8, ink 0-16)", kind="ramp 1..k*k", kernel_size=3, stride=2, padding="same")
    img = IMAGES["digit 3 (8x8, ink 0-16)"]()
    # TensorFlow "same", stride 2, K=3 on 8: total padding (4-1)*2 + 3 - 8 = 1 -> (0, 1)
    assert w.state["pads"] == ((0, 1), (0, 1))
    expected = _correlate_loops(img, kernel_of("ramp 1..k*k", 3), 2, ((0, 1), (0, 1)))
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
    assert s["formula"].split("→")[1].strip().startswith(str(_keras_conv(keras, img, np.ones((3, 3)), 2, "same").shape[1]))


def test_kernel_slide_clamps_cell_and_kernel_and_redraws():
    w = KernelSlideWidget(image="digit 3 (8x8, ink 0-16)", kernel_size=5, padding="same")
    w.cell.value = 63
    png_before, renders = w.png, w.renders
    w.stride.value = 2                       # 8x8 -> 4x4: the cell index must follow
    assert w.state["output_size"] == (4, 4)
    assert w.cell.max == 15 and w.cell.value == 15 and w.state["cell_index"] == (3, 3)
    assert w.renders > renders and w.png != png_before
    w.image.value = "seed 4x4"               # kernel 5 no longer fits a 4x4 image
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


def test_kernel_of_rejects_bad_arguments():
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


def test_shift_image_and_invariance_of_global_pooling():
    img = np.arange(16.0).reshape(4, 4)
    np.testing.assert_array_equal(shift_image(img, 1)[:, 1:], img[:, :-1])
    assert (shift_image(img, 1)[:, 0] == 0).all()
    # a pattern away from the border: global max pooling ignores the shift, no pooling does not
    blob = np.zeros((8, 8))
    blob[2:5, 2:4] = 1.0
    inv = translation_invariance([blob], pool_sizes=(1, 8), shift=1)
    assert inv[8]["relative_change"] == 0.0
    assert inv[1]["relative_change"] > 0.5


# -- ReceptiveFieldWidget and the architecture experiments ----------------------------------------------

@pytest.mark.parametrize("settings", [dict(num_layers=3, kernel_size=3, stride=1, pool_every=0),
                                      dict(num_layers=4, kernel_size=3, stride=2, pool_every=2),
                                      dict(num_layers=2, kernel_size=5, stride=1, pool_every=1)])
def test_receptive_field_widget_matches_keras_definition(keras, settings):
    w = ReceptiveFieldWidget()
    s = w.set(**settings)
    rf = s["receptive_field"]
    assert s["counted"] == rf == len(influence_sets(**settings)[-1])
    # Seed 004's definition: the input size that, without padding, gives an output of size 1.
    model = keras.Sequential([keras.Input((rf, rf, 1))] + [
        keras.layers.Conv2D(1, k, strides=st) if (k, st) != (2, 2) or not settings["pool_every"]
        else keras.layers.MaxPooling2D(2) for k, st in s["layers"]])
    assert model.output_shape[1:3] == (1, 1)
    assert s["per_layer"][-1] == rf


def test_skip_connections_keep_gradients_large(rng):
    x = rng.uniform(size=(16, 8, 8)).astype("float32")
    y = rng.integers(0, 10, size=16)
    r = skip_gradient_norms(x, y, num_blocks=6, filters=8)
    assert len(r["plain"]) == len(r["residual"]) == 13
    assert r["residual"][0] > 10 * r["plain"][0]       # measured: orders of magnitude


def test_tiny_unet_keeps_the_image_size():
    model = build_tiny_unet((32, 32, 1), base_filters=4, levels=2, num_classes=3)
    assert model.output_shape == (None, 32, 32, 3)


# -- coursekit.cnn_architectures: feature maps without warnings, receptive fields through upsampling -----

def test_feature_maps_emits_no_warning(keras, rng):
    import warnings

    from coursekit.cnn_architectures import feature_maps

    inp = keras.Input((8, 8, 1))
    list_input = keras.Model([inp], keras.layers.Conv2D(2, 3, name="c")(inp))  # model.input is a list
    single = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(2, 3, name="c")])
    image = rng.uniform(size=(8, 8, 1)).astype(np.float32)
    for model in (list_input, single):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            maps = feature_maps(model, image, "c")
        expected = np.asarray(model.get_layer("c")(image[None]))[0]
        np.testing.assert_allclose(maps["c"], expected, rtol=1e-5, atol=1e-6)


def _support_spans(tf, sub_model, size):
    """Brute force: for every output unit (channel 0), how many input rows / columns its gradient touches.

    Returns the largest span over the units, per axis.
    """
    x = tf.zeros((1, size, size, 1))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = sub_model(x)[0, :, :, 0]
    jac = np.abs(np.asarray(tape.jacobian(y, x)))[:, :, 0, :, :, 0] > 0   # (H', W', size, size)
    spans = []
    for axis in (2, 3):
        hit = jac.any(axis=5 - axis)                                     # (H', W', size)
        idx = np.arange(size)
        first = np.where(hit, idx, size).min(axis=-1)
        last = np.where(hit, idx, -1).max(axis=-1)
        spans.append(int((last - first + 1).max()))
    return tuple(spans)


@pytest.mark.parametrize("kernel", [2, 3, 4, 5])
def test_layer_table_receptive_field_of_transposed_conv_matches_gradient_support(keras, tf, kernel):
    from coursekit.cnn_architectures import format_layer_table, layer_table

    L = keras.layers
    ones = {"kernel_initializer": "ones", "use_bias": False}  # positive weights: no cancellation
    inp = keras.Input((24, 24, 1))
    x = L.Conv2D(1, 3, name="conv", **ones)(inp)
    x = L.AveragePooling2D(2, name="pool")(x)
    x = L.Conv2D(1, 3, padding="same", name="mid", **ones)(x)
    x = L.Conv2DTranspose(1, kernel, strides=2, name="up", **ones)(x)
    out = L.Conv2D(1, 3, name="after", **ones)(x)
    model = keras.Model(inp, out)
    rows = {r["name"]: r for r in layer_table(model)}
    for name in ("mid", "up"):
        sub = keras.Model(inp, model.get_layer(name).output)
        assert rows[name]["receptive_field"] == _support_spans(tf, sub, 24), name
    # units after the upsampling see position-dependent fields: the table does not give one number
    assert rows["after"]["receptive_field"] is None and rows["after"]["after_upsampling"]
    assert "n/a" in format_layer_table(list(rows.values())).splitlines()[-2]
    if kernel == 2:   # k = s: each unit copies one input unit, the field does not grow
        assert rows["up"]["receptive_field"] == rows["mid"]["receptive_field"]


def test_tiny_unet_layer_table_gives_encoder_fields():
    from coursekit.cnn_architectures import layer_table

    rows = {r["name"]: r for r in layer_table(build_tiny_unet((32, 32, 1), base_filters=4, levels=2))}
    # 3x3 convs and 2x2 pools: 3, 5 | 6 | 10, 14 | 16 | 24, 32; a 2/2 transposed conv adds nothing
    assert [rows[n]["receptive_field"][0] for n in
            ("enc1_a", "enc1_b", "down1", "enc2_a", "enc2_b", "down2", "bottleneck_a", "bottleneck_b", "up2")] \
        == [3, 5, 6, 10, 14, 16, 24, 32, 32]
    assert rows["dec1_b"]["receptive_field"] is None and rows["dec1_b"]["after_upsampling"]


# -- the seed values in notebooks 4 and 5 -------------------------------------------------------------

def _run_key_cells(name: str):
    from nbclient import NotebookClient

    sys.path.insert(0, str(REPO / "scripts"))
    import build_notebooks_b

    nb = build_notebooks_b.LECTURES[name]()
    nb.cells = [c for c in nb.cells if c.cell_type == "code" and
                ({build_notebooks_b.SETUP_TAG, build_notebooks_b.KEY_TAG} & set(c.metadata.get("tags", [])))]
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(REPO / "notebooks")}}).execute()
    return "\n".join(o.get("text", "") + o.get("data", {}).get("text/markdown", "")
                     for c in nb.cells for o in c.outputs)


@pytest.mark.slow
def test_notebook_04_prints_the_seed_values(keras):
    text = _run_key_cells("04_convolution.ipynb")
    with np.printoptions(precision=4, suppress=True):
        for kernel in (np.eye(2), np.eye(2)[:, ::-1]):
            assert str(_correlate_loops(SEED_IMAGE, kernel, 1, 0)) in text
    for k, c_in, f in [(3, 1, 8), (3, 8, 16)]:       # the seed's 80 and 1168, counted by Keras
        layer = keras.layers.Conv2D(f, k)
        layer.build((None, 48, 48, c_in))
        n = layer.count_params()
        assert f"coursekit {n:5d}   Keras count_params {n:5d}" in text
    assert "| 4 | 2 | 1 | same | (0, 1) | 4 | 4 | 4 |" in text   # TF's asymmetric "same"


@pytest.mark.slow
def test_notebook_05_prints_lenet_and_the_pretrained_table(keras):
    text = _run_key_cells("05_cnn_architectures.ipynb")   # needs LeNet's and AlexNet's cells
    lenet = (5 * 5 * 1 + 1) * 6 + (5 * 5 * 6 + 1) * 16 + (400 + 1) * 120 + (120 + 1) * 84 + (84 + 1) * 10
    assert re.search(rf"total\s+{lenet:,}", text)
    mobilenet = keras.applications.MobileNetV2(weights=None).count_params()
    assert re.search(rf"\| mobilenetv2 \| 53 \| \d+ \| \d+ \| 3.5 \| {mobilenet / 1e6:.2f} \|", text)
    # AlexNet with two groups, counted layer by layer (conv2, conv4, conv5 see half the channels)
    alexnet = ((11 * 11 * 3 + 1) * 96 + (5 * 5 * 48 + 1) * 256 + (3 * 3 * 256 + 1) * 384
               + (3 * 3 * 192 + 1) * 384 + (3 * 3 * 192 + 1) * 256
               + (6 * 6 * 256 + 1) * 4096 + (4096 + 1) * 4096 + (4096 + 1) * 1000)
    assert f"{alexnet / 1e6:.2f} M parameters" in text
