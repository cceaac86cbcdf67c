"""coursekit.cnn_architectures against Keras/TensorFlow."""

from __future__ import annotations

import numpy as np
import pytest

from coursekit import cnn_architectures as ca

# ---------------------------------------------------------------- receptive field

def _brute_force_rf(keras, tf, layers_spec, rng):
    """Support, in input pixels, of d(one output unit)/d(input) for a Conv2D stack."""
    rf = ca.receptive_field(layers_spec)  # only used to size the input generously
    size = 2 * rf + 8
    model = keras.Sequential([keras.Input((size, size, 1))] + [
        keras.layers.Conv2D(1, k, strides=s, kernel_initializer="ones", use_bias=False)
        for k, s in layers_spec])
    x = tf.constant(rng.uniform(0.5, 1.0, (1, size, size, 1)).astype(np.float32))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = model(x)
        unit = y[0, y.shape[1] // 2, y.shape[2] // 2, 0]
    grad = tape.gradient(unit, x).numpy()[0, :, :, 0]
    rows, cols = np.nonzero(grad)
    return rows.max() - rows.min() + 1, cols.max() - cols.min() + 1


def test_receptive_field_matches_gradient_support(keras, tf, rng):
    cases = [[(3, 1)], [(3, 1), (3, 1)], [(5, 2), (3, 1)], [(3, 2), (3, 2), (3, 1)],
             [(7, 2), (3, 2), (3, 1), (1, 1)], [(2, 2), (3, 1), (2, 2)]]
    for _ in range(3):
        n = rng.integers(1, 4)
        cases.append([(int(rng.integers(1, 6)), int(rng.integers(1, 4))) for _ in range(n)])
    for spec in cases:
        h, w = _brute_force_rf(keras, tf, spec, rng)
        assert h == w == ca.receptive_field(spec), spec


def test_receptive_field_known_values_and_errors():
    assert ca.receptive_field([]) == 1
    assert ca.receptive_field([(3, 1)] * 3) == 7  # three 3x3 convs see what one 7x7 sees
    assert ca.receptive_field([((3, 5), 1)]) == (3, 5)
    with pytest.raises(ValueError, match="layers\\[0\\]"):
        ca.receptive_field([(3,)])
    with pytest.raises(ValueError, match="stride"):
        ca.receptive_field([(3, 0)])


# ---------------------------------------------------------------- LeNet-5

def test_lenet5_params_and_layers(keras):
    model = ca.build_lenet5()
    assert model.count_params() == 61706
    kinds = [type(layer).__name__ for layer in model.layers[1:]]
    assert kinds == ["Conv2D", "AveragePooling2D", "Conv2D", "AveragePooling2D", "Flatten",
                     "Dense", "Dense", "Dense"]
    shapes = [tuple(layer.output.shape[1:]) for layer in model.layers[1:]]
    assert shapes == [(28, 28, 6), (14, 14, 6), (10, 10, 16), (5, 5, 16), (400,), (120,), (84,), (10,)]
    acts = [layer.activation.__name__ for layer in model.layers if hasattr(layer, "activation")]
    assert acts == ["tanh", "tanh", "tanh", "tanh", "softmax"]
    other = ca.build_lenet5((28, 28, 3), num_classes=4)
    assert other.output.shape[-1] == 4 and other.layers[1].output.shape[1:3] == (24, 24)


# ---------------------------------------------------------------- residual block

def _block_layers(keras, input_shape, filters, strides):
    inp = keras.Input(input_shape)
    out = ca.residual_block(inp, filters, strides)
    return keras.Model(inp, out)


@pytest.mark.parametrize("input_shape, filters, strides, shortcut_conv", [
    ((8, 8, 16), 16, 1, False), ((8, 8, 16), 32, 1, True), ((9, 9, 16), 16, 2, True),
    ((8, 8, 8), 8, (2, 1), True)])
def test_residual_block_structure(keras, rng, input_shape, filters, strides, shortcut_conv):
    model = _block_layers(keras, input_shape, filters, strides)
    kinds = [type(layer).__name__ for layer in model.layers]
    n_conv = kinds.count("Conv2D")
    assert n_conv == (3 if shortcut_conv else 2)
    assert kinds.count("BatchNormalization") == n_conv
    assert kinds.count("Add") == 1 and kinds[-1] == "ReLU"
    sh, sw = (strides, strides) if isinstance(strides, int) else strides
    assert model.output.shape[1:] == (-(-input_shape[0] // sh), -(-input_shape[1] // sw), filters)
    convs = [layer for layer in model.layers if type(layer).__name__ == "Conv2D"]
    assert [c.kernel_size for c in convs[:2]] == [(3, 3), (3, 3)]
    if shortcut_conv:
        assert convs[2].kernel_size == (1, 1) and convs[2].strides == (sh, sw)
    # numerics: out = relu(main + shortcut) recomputed from the layers' weights
    x = rng.normal(size=(2,) + input_shape).astype(np.float32)
    main = x
    bns = [layer for layer in model.layers if type(layer).__name__ == "BatchNormalization"]
    main = bns[0](convs[0](main), training=False)
    main = bns[1](convs[1](np.maximum(np.asarray(main), 0)), training=False)
    short = bns[2](convs[2](x), training=False) if shortcut_conv else x
    expected = np.maximum(np.asarray(main) + np.asarray(short), 0)
    np.testing.assert_allclose(model(x, training=False), expected, rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------- inception module

def test_inception_module_branches_and_order(keras, rng):
    inp = keras.Input((7, 7, 12))
    out = ca.inception_module(inp, 4, 3, 5, 2, 3, 6)
    model = keras.Model(inp, out)
    assert model.output.shape[1:] == (7, 7, 4 + 5 + 3 + 6)
    convs = [layer for layer in model.layers if type(layer).__name__ == "Conv2D"]
    assert len(convs) == 6
    assert all(c.use_bias and c.padding == "same" and c.activation.__name__ == "relu" for c in convs)
    pools = [layer for layer in model.layers if type(layer).__name__ == "MaxPooling2D"]
    assert len(pools) == 1 and pools[0].pool_size == (3, 3) and pools[0].strides == (1, 1)
    for c in convs:  # random biases so that a mix-up of branches cannot hide
        c.bias.assign(rng.normal(size=c.bias.shape).astype(np.float32))

    def by(kernel, filters):
        return [c for c in convs if c.kernel_size == (kernel, kernel) and c.filters == filters][0]

    x = rng.normal(size=(2, 7, 7, 12)).astype(np.float32)
    b1 = by(1, 4)(x)
    b2 = by(3, 5)(by(1, 3)(x))
    b3 = by(5, 3)(by(1, 2)(x))
    pooled = keras.layers.MaxPooling2D(3, strides=1, padding="same")(x)
    b4 = by(1, 6)(pooled)
    got = np.asarray(model(x))
    for (lo, hi), branch in zip([(0, 4), (4, 9), (9, 12), (12, 18)], [b1, b2, b3, b4]):
        np.testing.assert_allclose(got[..., lo:hi], branch, rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------- separable conv

def test_separable_conv_param_count_matches_keras(keras, rng):
    cases = [(3, 8, 16), ((3, 5), 3, 7), (1, 4, 4)]
    cases += [((int(rng.integers(1, 6)), int(rng.integers(1, 6))), int(rng.integers(1, 20)),
               int(rng.integers(1, 30))) for _ in range(6)]
    for kernel, cin, filters in cases:
        layer = keras.layers.SeparableConv2D(filters, kernel)
        layer.build((None, 9, 9, cin))
        assert ca.separable_conv_param_count(kernel, cin, filters) == layer.count_params()
    with pytest.raises(ValueError, match="in_channels"):
        ca.separable_conv_param_count(3, 0, 4)


# ---------------------------------------------------------------- batch norm

@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(16, 5), (4, 6, 5, 3)])
def test_batch_norm_forward_matches_keras_over_steps(keras, rng, dtype, shape):
    c = shape[-1]
    layer = keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-3, dtype=dtype)
    layer.build(shape)
    gamma = rng.uniform(0.5, 2.0, c)
    beta = rng.normal(size=c)
    layer.gamma.assign(gamma.astype(dtype))
    layer.beta.assign(beta.astype(dtype))
    mm, mv = np.zeros(c), np.ones(c)
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == "float32" else dict(rtol=1e-10, atol=1e-10)
    for step, training in enumerate([True, True, False, True, False]):
        x = (rng.normal(size=shape) * 3 + step).astype(dtype)
        x_copy = x.copy()
        out, mm, mv = ca.batch_norm_forward(x, gamma, beta, mm, mv, training, momentum=0.9, epsilon=1e-3)
        expected = np.asarray(layer(x, training=training))
        assert out.dtype == np.dtype(dtype) and out.shape == shape
        np.testing.assert_allclose(out, expected, **tol)
        np.testing.assert_allclose(mm, np.asarray(layer.moving_mean), **tol)
        np.testing.assert_allclose(mv, np.asarray(layer.moving_variance), **tol)
        np.testing.assert_array_equal(x, x_copy)


def test_batch_norm_forward_default_keras_constants(keras, rng):
    layer = keras.layers.BatchNormalization()
    x = rng.normal(size=(8, 3)).astype(np.float32)
    expected = np.asarray(layer(x, training=True))
    out, mm, mv = ca.batch_norm_forward(x, np.ones(3), np.zeros(3), np.zeros(3), np.ones(3), True)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(mv, np.asarray(layer.moving_variance), rtol=1e-6)
    with pytest.raises(ValueError, match="gamma"):
        ca.batch_norm_forward(x, np.ones(4), np.zeros(3), np.zeros(3), np.ones(3), True)


@pytest.mark.parametrize("shape", [(10, 4), (3, 5, 4, 2)])
def test_batch_norm_backward_matches_gradient_tape(tf, rng, shape):
    c = shape[-1]
    x = rng.normal(size=shape) * 2 + 1
    gamma, beta = rng.uniform(0.5, 2, c), rng.normal(size=c)
    dout = rng.normal(size=shape)
    tx, tg, tb = (tf.Variable(v) for v in (x, gamma, beta))
    axes = list(range(len(shape) - 1))
    with tf.GradientTape() as tape:
        mean, var = tf.nn.moments(tx, axes)
        out = tf.nn.batch_normalization(tx, mean, var, tb, tg, 1e-3)
        loss = tf.reduce_sum(out * dout)
    want = [g.numpy() for g in tape.gradient(loss, [tx, tg, tb])]
    got = ca.batch_norm_backward(dout, x, gamma, epsilon=1e-3)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-8, atol=1e-10)


# ---------------------------------------------------------------- tables, small CNN

def test_layer_table_receptive_fields_and_params(keras):
    model = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Conv2D(4, 3),
                              keras.layers.MaxPooling2D(2), keras.layers.Conv2D(4, 3, strides=2),
                              keras.layers.Flatten(), keras.layers.Dense(3)])
    rows = ca.layer_table(model)
    assert [r["receptive_field"] for r in rows] == [(3, 3), (4, 4), (8, 8), None, None]
    assert [r["params"] for r in rows] == [layer.count_params() for layer in model.layers]
    assert rows[2]["output_shape"] == (None, 7, 7, 4)
    assert ca.receptive_field([(3, 1), (2, 2), (3, 2)]) == 8


def test_pretrained_table_mobilenetv2_and_lecture_rows(keras):
    rows = {r["name"]: r for r in ca.pretrained_networks_table(["mobilenetv2"])}
    assert len(rows) == len(ca.LECTURE_PRETRAINED_TABLE) == 19
    m = rows["mobilenetv2"]
    model = keras.applications.MobileNetV2(weights=None)
    assert m["params_m"] * 1e6 == model.count_params()
    assert m["layers_with_weights"] == sum(1 for layer in model.layers if layer.weights)
    assert m["input_size"] == m["lecture_input"] == 224
    assert m["conv_dense_depth"] == m["lecture_depth"] == 53  # MATLAB's definition of depth
    assert round(m["params_m"], 1) == m["lecture_params_m"]   # 3.5 M
    assert rows["alexnet"]["params_m"] is None and rows["squeezenet"]["note"] == "not in keras.applications"
    with pytest.raises(ValueError, match="resnet18"):
        ca.pretrained_networks_table(["resnet18"])


def test_alexnet_parameter_count(keras):
    assert ca.build_alexnet().count_params() == 60965224  # the paper's two-group network
    del keras


def test_small_cnn_and_feature_maps(keras, rng):
    model = ca.small_cnn()
    assert model.count_params() == 9930
    image = rng.uniform(size=(8, 8, 1)).astype(np.float32)
    maps = ca.feature_maps(model, image, ["conv1", "pool"])
    assert maps["conv1"].shape == (8, 8, 16) and maps["pool"].shape == (4, 4, 32)
    conv1 = model.get_layer("conv1")
    np.testing.assert_allclose(maps["conv1"], np.asarray(conv1(image[None]))[0], rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="layer_names"):
        ca.feature_maps(model, image, ["nope"])


# ---------------------------------------------------------------- counts from a configuration, shares

@pytest.mark.slow
@pytest.mark.parametrize("constructor, count", [
    ("ResNet50", lambda: ca.resnet_param_count((3, 4, 6, 3))),
    ("DenseNet121", lambda: ca.densenet_param_count((6, 12, 24, 16))),
    ("VGG16", lambda: ca.vgg_param_count((2, 2, 3, 3, 3))),
])
def test_param_counts_from_the_configuration_match_keras_applications(keras, constructor, count):
    model = getattr(keras.applications, constructor)(weights=None)
    got = count()
    assert got["total"] == model.count_params()
    assert got["trainable"] == sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert got["non_trainable"] == sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    keras.backend.clear_session()


def test_param_counts_of_the_lecture_rows():
    # keras.applications' counts (ResNet101, DenseNet201: count_params() with weights=None)
    assert ca.resnet_param_count((3, 4, 23, 3))["total"] == 44_707_176
    assert ca.densenet_param_count((6, 12, 48, 32))["total"] == 20_242_984
    assert ca.vgg_param_count((2, 2, 4, 4, 4))["total"] == 143_667_240
    assert ca.resnet_param_count((3, 4, 23, 3))["conv_dense_depth"] == 101
    assert ca.densenet_param_count((6, 12, 48, 32))["conv_dense_depth"] == 201
    rows = {r["name"]: r for r in ca.pretrained_networks_table([], counted=["resnet101", "vgg16"])}
    assert rows["resnet101"]["params_m"] == 44.707176
    assert rows["resnet101"]["method"] == "counted from the configuration"
    assert rows["vgg16"]["trainable_params_m"] == rows["vgg16"]["params_m"]
    assert rows["mobilenetv2"]["params_m"] is None
    with pytest.raises(ValueError, match="counted"):
        ca.pretrained_networks_table([], counted=["squeezenet"])


def test_dense_parameter_shares(keras):
    model = keras.Sequential([keras.Input((6, 6, 2)), keras.layers.Conv2D(3, 3), keras.layers.Flatten(),
                              keras.layers.Dense(5, name="d1"), keras.layers.Dense(2, name="d2")])
    conv, d1, d2 = 3 * 3 * 2 * 3 + 3, 4 * 4 * 3 * 5 + 5, 5 * 2 + 2
    got = ca.dense_parameter_shares(model)
    assert got["total"] == conv + d1 + d2 and got["dense"] == {"d1": d1, "d2": d2}
    assert got["dense_share"] == pytest.approx((d1 + d2) / (conv + d1 + d2))
    assert got["shares"]["d1"] == pytest.approx(d1 / (conv + d1 + d2))


def test_upsampling_comparison_against_numpy(keras, rng):
    x = rng.uniform(size=(4, 6))
    kernel = rng.normal(size=(2, 2))
    got = ca.upsampling_comparison(x, kernel)
    pooled = np.array([[x[2 * i:2 * i + 2, 2 * j:2 * j + 2].max() for j in range(3)] for i in range(2)])
    np.testing.assert_allclose(got["max-pooled"], pooled)
    np.testing.assert_allclose(got["UpSampling2D"], np.repeat(np.repeat(pooled, 2, 0), 2, 1), rtol=1e-6)
    np.testing.assert_allclose(got["Conv2DTranspose"], np.kron(pooled, kernel), rtol=1e-5, atol=1e-6)
    unpooled = got["max unpooling"]
    assert np.count_nonzero(unpooled) == pooled.size
    np.testing.assert_allclose(unpooled[unpooled != 0], x[unpooled != 0])      # values back in place
    with pytest.raises(ValueError, match="even"):
        ca.upsampling_comparison(np.zeros((3, 4)), kernel)


def test_activation_maximization_raises_the_class_score(keras):
    keras.utils.set_random_seed(1)
    model = ca.small_cnn()
    before = [w.copy() for w in model.get_weights()]
    r = ca.activation_maximization(model, classes=[3, 7], steps=15)
    assert r["images"].shape == (2, 8, 8, 1) and r["images"].min() >= 0 and r["images"].max() <= 1
    assert np.all(r["objective"][-1] > r["objective"][0])
    np.testing.assert_allclose(r["probabilities"], np.asarray(model(r["images"])), rtol=1e-5, atol=1e-6)
    head = model.get_layer("output")
    feats = keras.Model(model.inputs, head.input)([r["images"]])
    np.testing.assert_allclose(r["logits"], np.asarray(feats) @ np.asarray(head.kernel) + np.asarray(head.bias),
                               rtol=1e-4, atol=1e-4)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="classes"):
        ca.activation_maximization(model, classes=[10])
