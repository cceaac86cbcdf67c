"""Lecture 5 widgets and the lecture's experiments in coursekit.cnn_architectures: receptive fields
against Keras's own output shapes and brute-force gradient supports, skip connections, the U-Net."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from coursekit.cnn_architectures import (
    build_tiny_unet,
    feature_maps,
    format_layer_table,
    influence_sets,
    layer_table,
    skip_gradient_norms,
)
from coursekit.widgets.cnn_architectures import (
    ReceptiveFieldWidget,
    activation_maximization_figure,
    gradient_factors_figure,
    layer_table_html,
    pretrained_table_markdown,
    pretrained_tables,
    upsampling_figure,
)

# -- ReceptiveFieldWidget and the architecture experiments ----------------------------------------------

@pytest.mark.parametrize("settings", [dict(num_layers=3, kernel_size=3, stride=1, pool_every=0),
                                      dict(num_layers=4, kernel_size=3, stride=2, pool_every=2),
                                      dict(num_layers=2, kernel_size=5, stride=1, pool_every=1)])
def test_receptive_field_widget_matches_keras_definition(keras, settings):
    w = ReceptiveFieldWidget()
    s = w.set(**settings)
    rf = s["receptive_field"]
    assert s["counted"] == rf == len(influence_sets(**settings)[-1])
    # The Bologna notes' definition: the input size that, without padding, gives an output of size 1.
    model = keras.Sequential([keras.Input((rf, rf, 1))] + [
        keras.layers.Conv2D(1, k, strides=st) if (k, st) != (2, 2) or not settings["pool_every"]
        else keras.layers.MaxPooling2D(2) for k, st in s["layers"]])
    assert model.output_shape[1:3] == (1, 1)
    assert s["per_layer"][-1] == rf


def test_skip_connections_keep_gradients_large(rng):
    x = rng.uniform(size=(16, 8, 8)).astype("float32")
    y = rng.integers(0, 10, size=16)
    r = skip_gradient_norms(x, y, num_blocks=6, filters=8)
    assert len(r["plain"]) == len(r["residual"]) == len(r["layers"]) == 13
    assert r["residual"][0] > 10 * r["plain"][0]       # measured: orders of magnitude


def test_tiny_unet_keeps_the_image_size():
    model = build_tiny_unet((32, 32, 1), base_filters=4, levels=2, num_classes=3)
    assert model.output_shape == (None, 32, 32, 3)


def test_pretrained_table_markdown_has_one_row_per_network():
    rows = [{"name": "tiny", "lecture_depth": 3, "conv_dense_depth": 3, "layers_with_weights": 3,
             "lecture_params_m": 1.0, "params_m": 1.004, "lecture_size_mb": 4, "size_mb": 4.016,
             "lecture_input": 224, "input_size": 224, "note": ""}]
    lines = pretrained_table_markdown(rows).splitlines()
    assert len(lines) == 3 and lines[0].count("|") == lines[2].count("|") == 12
    assert lines[2] == "| tiny | 3 | 3 | 3 | 1.0 | 1.00 | 4 | 4 | 224 | 224 |  |"


# -- coursekit.cnn_architectures: feature maps without warnings, receptive fields through upsampling -----

def test_feature_maps_emits_no_warning(keras, rng):
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
    rows = {r["name"]: r for r in layer_table(build_tiny_unet((32, 32, 1), base_filters=4, levels=2))}
    # 3x3 convs and 2x2 pools: 3, 5 | 6 | 10, 14 | 16 | 24, 32; a 2/2 transposed conv adds nothing
    assert [rows[n]["receptive_field"][0] for n in
            ("enc1_a", "enc1_b", "down1", "enc2_a", "enc2_b", "down2", "bottleneck_a", "bottleneck_b", "up2")] \
        == [3, 5, 6, 10, 14, 16, 24, 32, 32]
    assert rows["dec1_b"]["receptive_field"] is None and rows["dec1_b"]["after_upsampling"]


# -- the separated factors of the residual demo, and the lecture's tables and figures -----------------

def test_gradient_factors_batch_norm_and_he_init(rng):
    x = rng.uniform(size=(16, 8, 8)).astype("float32")
    y = rng.integers(0, 10, size=16)
    glorot = skip_gradient_norms(x, y, num_blocks=6, filters=8)
    he = skip_gradient_norms(x, y, num_blocks=6, filters=8, kernel_initializer="he_normal", kinds=("plain",))
    bn = skip_gradient_norms(x, y, num_blocks=6, filters=8, batch_norm=True)
    assert he["plain"][0] > 10 * glorot["plain"][0]          # the initialisation alone
    assert 0.1 < bn["plain"][0] / bn["residual"][0] < 10     # with batch norm: no vanishing gradient
    assert "residual" not in he and bn["batch_norm"] and he["kernel_initializer"] == "he_normal"
    fig = gradient_factors_figure([glorot, bn])
    assert len(fig.axes) == 2


def test_layer_table_html_and_pretrained_tables(keras):
    from coursekit.cnn_architectures import pretrained_networks_table

    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(2, 3, name="c"),
                              keras.layers.Flatten(name="f"), keras.layers.Dense(3, name="d")])
    t = layer_table_html(layer_table(model), share=True)
    html = t._repr_html_()
    total = model.count_params()
    assert f">{total:,}</td>" in html and "3×3" in html and "6×6×2" in html
    assert f"{model.get_layer('d').count_params() / total:.1%}" in html
    params, other = pretrained_tables(pretrained_networks_table([], counted=["resnet101"]))
    assert len(params.rows) == len(other.rows) == 1 and params.rows[0][4] == "+0.11"


def test_upsampling_and_activation_figures():
    panels = {"input": np.arange(16.0).reshape(4, 4), "max-pooled": np.ones((2, 2)),
              "Conv2DTranspose": np.zeros((4, 4))}
    fig = upsampling_figure(panels, [[1, 0], [0, 1]])
    assert len(fig.axes) == 3 and "kernel" in fig.axes[2].get_title()
    result = {"images": np.zeros((3, 8, 8, 1)), "classes": np.arange(3), "probabilities": np.eye(3)}
    fig = activation_maximization_figure(result, np.zeros((3, 8, 8)))
    assert len(fig.axes) == 6 and fig.axes[0].get_title() == "0: p=1.00"
