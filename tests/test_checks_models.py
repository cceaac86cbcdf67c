"""Keras-model exercises are judged by behaviour (coursekit.checks.models.behaviour/judge_behaviour):
functionally equivalent styles pass, wrong models fail with the right diagnosis, and the redundant-bias
rule (a bias feeding only BatchNormalization) is what Keras computes."""

from __future__ import annotations

import numpy as np
import pytest
from test_checks import full_marks

from coursekit.checks import check
from coursekit.checks.models import behaviour, redundant_biases

EPSILON_MESSAGE = "BatchNormalization epsilon changed"


# ----------------------------------------------------------------------------- the redundant-bias rule


def test_redundant_biases_are_exactly_those_feeding_only_channel_batchnorm(keras):
    L = keras.layers
    inp = keras.Input((6, 6, 3))
    a = L.Conv2D(4, 3, padding="same", name="a")(inp)  # -> BN only: redundant
    b = L.Conv2D(4, 3, padding="same", activation="relu", name="b")(inp)  # relu before BN: not
    c = L.Conv2D(4, 1, name="c")(inp)  # -> BN and Add: not
    d = L.Conv2D(4, 1, name="d")(inp)  # -> BN over axis 1 (not channels): not
    e = L.Conv2D(4, 1, name="e", use_bias=False)(inp)  # no bias at all
    out = L.Add()(
        [
            L.BatchNormalization()(a),
            L.BatchNormalization(axis=3)(b),
            L.BatchNormalization(axis=-1)(c),
            c,
            L.BatchNormalization(axis=1)(d),
            e,
        ]
    )
    model = keras.Model(inp, out)
    assert sorted(v.path for v in redundant_biases(model)) == ["a/bias"]
    seq = keras.Sequential([keras.Input((5,)), L.Dense(3, name="f"), L.BatchNormalization(), L.Dense(2, name="g")])
    assert [v.path.split("/")[-2:] for v in redundant_biases(seq)] == [["f", "bias"]]


def test_a_bias_before_batchnorm_cancels_in_training_mode(keras):
    """The premise of the rule, measured in Keras: with the same kernel, a conv with any bias followed by BN
    in training mode equals the same conv without bias."""
    L = keras.layers
    x = np.random.default_rng(0).normal(size=(2, 5, 5, 3)).astype(np.float32)
    outs = []
    for use_bias in (True, False):
        inp = keras.Input((5, 5, 3))
        conv = L.Conv2D(4, 3, use_bias=use_bias, kernel_initializer="glorot_uniform")
        model = keras.Model(inp, L.BatchNormalization()(conv(inp)))
        conv.kernel.assign(np.random.default_rng(1).normal(size=(3, 3, 3, 4)).astype(np.float32))
        if use_bias:
            conv.bias.assign(np.array([5.0, -3.0, 0.5, 100.0], np.float32))
        outs.append(np.asarray(model(x, training=True)))
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-4, atol=1e-4)


def test_behaviour_does_not_depend_on_build_order_or_activation_style(keras):
    L = keras.layers
    x = np.random.default_rng(2).uniform(-1, 1, size=(2, 4, 4, 2)).astype(np.float32)

    def model(style):
        inp = keras.Input((4, 4, 2))
        if style == 0:
            p = L.Conv2D(3, 1, activation="relu")(inp)
            q = L.Conv2D(5, 3, padding="same")(inp)
            return keras.Model(inp, L.Concatenate()([p, q]))
        q = L.Conv2D(5, 3, padding="same", use_bias=True)(inp)  # other branch built first
        p = L.Activation("relu")(L.Conv2D(3, 1)(inp))
        return keras.Model(inp, keras.ops.concatenate([p, q], axis=-1))

    a, b = behaviour(model(0), x), behaviour(model(1), x)
    np.testing.assert_array_equal(a["inference"], b["inference"])
    assert a["trainable"] == b["trainable"]


# ----------------------------------------------------------------------------- three styles each


def styles(keras):
    L = keras.layers

    def lenet_activation_layers(input_shape=(32, 32, 1), num_classes=10):
        inputs = keras.Input(input_shape)
        x = inputs
        for filters in (6, 16):
            x = L.Activation("tanh")(L.Conv2D(filters, (5, 5), padding="valid")(x))
            x = L.AvgPool2D(pool_size=(2, 2), strides=2)(x)
        x = L.Reshape((-1,))(x)
        for units in (120, 84):
            x = L.Activation(keras.activations.tanh)(L.Dense(units)(x))
        return keras.Model(inputs, L.Softmax()(L.Dense(num_classes)(x)))

    def lenet_sequential_add(input_shape=(32, 32, 1), num_classes=10):
        model = keras.Sequential()  # no Input: built on the first call
        model.add(L.Conv2D(6, 5, activation="tanh"))
        model.add(L.AveragePooling2D(2))
        model.add(L.Conv2D(16, 5, activation="tanh"))
        model.add(L.AveragePooling2D(2))
        model.add(L.Flatten())
        model.add(L.Dense(120, activation="tanh"))
        model.add(L.Dense(84, activation="tanh"))
        model.add(L.Dense(num_classes))
        model.add(L.Activation("softmax"))
        return model

    def residual_keras_applications(x, filters, strides=1):
        """keras.applications.resnet's style, with BatchNormalization's default epsilon."""
        bn_axis = 3
        if strides != 1 or x.shape[-1] != filters:
            shortcut = L.Conv2D(filters, 1, strides=strides, use_bias=False, name=None)(x)
            shortcut = L.BatchNormalization(axis=bn_axis)(shortcut)
        else:
            shortcut = x
        y = L.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False)(x)
        y = L.BatchNormalization(axis=bn_axis)(y)
        y = L.Activation("relu")(y)
        y = L.Conv2D(filters, 3, padding="same", use_bias=False)(y)
        y = L.BatchNormalization(axis=bn_axis)(y)
        y = L.Add()([shortcut, y])
        return L.Activation("relu")(y)

    def residual_ops(x, filters, strides=1):
        """keras.ops for the addition and the ReLUs, a bias on one conv and not the other."""
        m = L.BatchNormalization()(L.Conv2D(filters, 3, strides, padding="same", use_bias=False)(x))
        m = keras.ops.relu(m)
        m = L.BatchNormalization()(L.Conv2D(filters, 3, padding="same")(m))
        s = x
        if strides != 1 or x.shape[-1] != filters:
            s = L.BatchNormalization()(L.Conv2D(filters, (1, 1), strides=(strides, strides))(x))
        return keras.ops.relu(m + s)

    def inception_activation_layers(x, f1, f3r, f3, f5r, f5, fp):
        def conv(t, f, k):
            return L.Activation("relu")(L.Conv2D(f, k, padding="same")(t))

        b3 = conv(conv(x, f5r, 1), f5, 5)  # built in the order 3, 1, 4, 2
        b1 = conv(x, f1, 1)
        b4 = conv(L.MaxPooling2D((3, 3), strides=(1, 1), padding="same")(x), fp, 1)
        b2 = conv(conv(x, f3r, 1), f3, 3)
        return keras.ops.concatenate([b1, b2, b3, b4], axis=-1)

    def inception_relu_layers(x, f1, f3r, f3, f5r, f5, fp):
        relu = L.ReLU
        b1 = relu()(L.Conv2D(f1, 1)(x))
        b2 = relu()(L.Conv2D(f3, 3, padding="same")(relu()(L.Conv2D(f3r, 1)(x))))
        b3 = relu()(L.Conv2D(f5, 5, padding="same")(relu()(L.Conv2D(f5r, 1)(x))))
        b4 = relu()(L.Conv2D(fp, 1)(L.MaxPool2D(3, 1, "same")(x)))
        return L.Concatenate(axis=3)([b1, b2, b3, b4])

    return [
        pytest.param("build_lenet5", lenet_activation_layers, id="lenet-activation-layers-softmax-layer"),
        pytest.param("build_lenet5", lenet_sequential_add, id="lenet-sequential-add-no-input"),
        pytest.param("residual_block", residual_keras_applications, id="residual-keras-applications"),
        pytest.param("residual_block", residual_ops, id="residual-keras-ops"),
        pytest.param("inception_module", inception_activation_layers, id="inception-activation-layers-ops-concat"),
        pytest.param("inception_module", inception_relu_layers, id="inception-relu-layers"),
    ]


def _styles():
    from coursekit.keras_setup import import_keras

    return styles(import_keras())


@pytest.mark.parametrize("name, func", _styles())
def test_equivalent_style_gets_full_marks(name, func):
    """With the solution and tests/test_checks_variants.py's alternative: >= 3 correct styles per model."""
    full_marks(name, func, seed=7)


# ----------------------------------------------------------------------------- wrong models still fail


def test_keras_applications_epsilon_is_graded_as_a_different_function(keras):
    """Decision: the block uses BatchNormalization() with Keras's defaults (stated in the notebook);
    keras.applications' epsilon=1.001e-5 changes the outputs by ~1e-3 and is named."""
    L = keras.layers

    def residual_apps_epsilon(x, filters, strides=1):
        shortcut = x
        if strides != 1 or x.shape[-1] != filters:
            shortcut = L.Conv2D(filters, 1, strides=strides, use_bias=False)(x)
            shortcut = L.BatchNormalization(axis=3, epsilon=1.001e-5)(shortcut)
        y = L.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False)(x)
        y = L.Activation("relu")(L.BatchNormalization(axis=3, epsilon=1.001e-5)(y))
        y = L.Conv2D(filters, 3, padding="same", use_bias=False)(y)
        y = L.BatchNormalization(axis=3, epsilon=1.001e-5)(y)
        return L.Activation("relu")(L.Add()([shortcut, y]))

    r = check("residual_block", residual_apps_epsilon, hidden=True, seed=7)
    assert r.points == 0, r.report()
    assert len(r.diagnoses) == 1 and r.diagnoses[0].startswith(EPSILON_MESSAGE), r.report()


def test_a_missing_bias_that_is_not_redundant_fails(keras):
    L = keras.layers

    def inception_no_bias(x, f1, f3r, f3, f5r, f5, fp):
        def conv(t, f, k):
            return L.Conv2D(f, k, padding="same", activation="relu", use_bias=False)(t)

        b4 = conv(L.MaxPooling2D(3, strides=1, padding="same")(x), fp, 1)
        return L.Concatenate()([conv(x, f1, 1), conv(conv(x, f3r, 1), f3, 3), conv(conv(x, f5r, 1), f5, 5), b4])

    r = check("inception_module", inception_no_bias, hidden=True, seed=7)
    assert r.points == 0, r.report()
    assert any("trainable weights" in m and "missing bias" in m for m in r.messages), r.report()
    assert not r.diagnoses, r.report()  # no registered mistake explains it


def test_identity_where_a_projection_is_needed_fails(keras):
    """Projection rule: strides 2 with the same channels needs the 1x1 projection (a plain Add of
    mismatched shapes raises; slicing the input instead is a different function)."""
    L = keras.layers

    def residual_subsample_shortcut(x, filters, strides=1):
        m = L.ReLU()(L.BatchNormalization()(L.Conv2D(filters, 3, strides=strides, padding="same")(x)))
        m = L.BatchNormalization()(L.Conv2D(filters, 3, padding="same")(m))
        if x.shape[-1] != filters:
            shortcut = L.BatchNormalization()(L.Conv2D(filters, 1, strides=strides)(x))
        else:
            shortcut = x[:, ::strides, ::strides, :]  # subsampled identity
        return L.ReLU()(L.Add()([m, shortcut]))

    r = check("residual_block", residual_subsample_shortcut, hidden=True, seed=7)
    assert 0 < r.points < r.max_points, r.report()
    assert any("strides=2" in m for m in r.messages), r.report()
