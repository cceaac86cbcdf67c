"""Assignment 5 (CNN architectures): receptive fields, LeNet-5, residual and Inception blocks."""

from __future__ import annotations

import numpy as np

from .common import arg, keras, make_case, tf
from .core import Exercise, Mistake, wrong
from .models import judge_summary, summarize

ASSIGNMENT = "05_cnn_architectures"


# ----------------------------------------------------------------------------- receptive field


def _receptive_field_visible():
    return [
        make_case("one 3x3 conv", [(3, 1)]),
        make_case("two 3x3 convs (VGG)", [(3, 1), (3, 1)]),
        make_case("conv 3, pool 2/2, conv 3", [(3, 1), (2, 2), (3, 1)]),
        make_case("LeNet-5: conv 5, pool 2/2, conv 5, pool 2/2", [(5, 1), (2, 2), (5, 1), (2, 2)]),
    ]


def _receptive_field_hidden(rng):
    out = []
    for depth in (3, 4, 5):
        layers = [(int(rng.integers(1, 6)), int(rng.integers(1, 3))) for _ in range(depth)]
        out.append(make_case(f"random stack {layers}", layers))
    return out


def _receptive_field_expected(case):
    """Measured on a live Keras Conv1D stack with all-ones kernels: the input span
    with a non-zero gradient for one output unit."""
    layers = [(int(k), int(s)) for k, s in arg(case, 0, "layers")]
    k = keras()
    t = tf()
    n = 1
    for kk, s in layers:
        n = n * s + kk  # long enough for at least one output
    n = 4 * n + 16
    model = k.Sequential(
        [k.Input((n, 1))]
        + [k.layers.Conv1D(1, kk, strides=s, use_bias=False, kernel_initializer="ones") for kk, s in layers]
    )
    x = t.Variable(np.ones((1, n, 1), np.float32))
    with t.GradientTape() as tape:
        out = model(x)
        y = out[0, out.shape[1] // 2, 0]
    g = np.flatnonzero(tape.gradient(y, x).numpy()[0, :, 0])
    return np.float64(g[-1] - g[0] + 1)


def _receptive_field_variant(kind):
    def variant(case):
        rf, jump = 1, 1
        for kk, s in arg(case, 0, "layers"):
            if kind == "no_strides":
                rf += kk - 1
            else:  # jump updated before it is used
                jump *= s
                rf += (kk - 1) * jump
        return np.float64(rf)

    return variant


# ----------------------------------------------------------------------------- reference models


def _lenet(input_shape=(32, 32, 1), num_classes=10, pool="avg", act="tanh", last="softmax", padding="valid"):
    k = keras()
    L = k.layers
    Pool = L.AveragePooling2D if pool == "avg" else L.MaxPooling2D
    inp = k.Input(input_shape)
    x = L.Conv2D(6, 5, activation=act, padding=padding)(inp)
    x = Pool(2)(x)
    x = L.Conv2D(16, 5, activation=act)(x)
    x = Pool(2)(x)
    x = L.Flatten()(x)
    x = L.Dense(120, activation=act)(x)
    x = L.Dense(84, activation=act)(x)
    return k.Model(inp, L.Dense(num_classes, activation=last)(x))


def _lenet_args(case):
    return tuple(arg(case, 0, "input_shape", (32, 32, 1))), int(arg(case, 1, "num_classes", 10))


def _residual(x, filters, strides, use_bias=True, relu_before_add=False, project_bn=True, stride_second=False):
    L = keras().layers
    s1, s2 = (1, strides) if stride_second else (strides, 1)
    m = L.Conv2D(filters, 3, strides=s1, padding="same", use_bias=use_bias)(x)
    m = L.BatchNormalization()(m)
    m = L.ReLU()(m)
    m = L.Conv2D(filters, 3, strides=s2, padding="same", use_bias=use_bias)(m)
    m = L.BatchNormalization()(m)
    if strides != 1 or x.shape[-1] != filters:
        sc = L.Conv2D(filters, 1, strides=strides, padding="same", use_bias=use_bias)(x)
        if project_bn:
            sc = L.BatchNormalization()(sc)
    else:
        sc = x
    if relu_before_add:
        return L.Add()([L.ReLU()(m), sc])
    return L.ReLU()(L.Add()([m, sc]))


def _inception(x, f1, f3r, f3, f5r, f5, fp, order=(0, 1, 2, 3), act="relu"):
    L = keras().layers

    def conv(t, f, size):
        return L.Conv2D(f, size, padding="same", activation=act)(t)

    branches = [
        conv(x, f1, 1),
        conv(conv(x, f3r, 1), f3, 3),
        conv(conv(x, f5r, 1), f5, 5),
        conv(L.MaxPooling2D(3, strides=1, padding="same")(x), fp, 1),
    ]
    return L.Concatenate(axis=-1)([branches[i] for i in order])


def _block_model(fn, shape, *args, **kwargs):
    k = keras()
    inp = k.Input(tuple(shape))
    return k.Model(inp, fn(inp, *args, **kwargs))


def _block_call(func, case):
    """Student side: build a model around the student's block and summarise it."""
    k = keras()
    shape = tuple(case.kwargs["input_shape"])
    inp = k.Input(shape)
    out = func(inp, *case.args)
    return summarize(k.Model(inp, out), shape)


def _block_case(label, shape, *args):
    return make_case(label, *args, input_shape=tuple(shape))


def _residual_args(case):
    return tuple(case.kwargs["input_shape"]), int(case.args[0]), int(case.args[1]) if len(case.args) > 1 else 1


def _residual_expected(case):
    shape, f, s = _residual_args(case)
    return [summarize(_block_model(_residual, shape, f, s, use_bias=b), shape) for b in (True, False)]


def _residual_mistake(**change):
    def make(case):
        shape, f, s = _residual_args(case)
        if change.get("stride_second") and s == 1:
            return None
        return [summarize(_block_model(_residual, shape, f, s, use_bias=b, **change), shape) for b in (True, False)]

    return make


def _inception_expected(case, **change):
    shape = tuple(case.kwargs["input_shape"])
    return summarize(_block_model(_inception, shape, *[int(a) for a in case.args], **change), shape)


def _model_judge(mistakes, check_trainable=False):
    def judge(case, out, expected):
        return judge_summary(
            out,
            expected,
            [(m.message, (lambda m=m: m.variant(case))) for m in mistakes if m.variant is not None],
            check_trainable=check_trainable,
        )

    return judge


def _lenet_call(func, case):
    shape, n = _lenet_args(case)
    model = func(*case.args, **case.kwargs)
    return summarize(model, shape)


# ----------------------------------------------------------------------------- a student's correct answers
# Every mistake's example below is one of these with one edit (core.wrong).

LENET5_ANSWER = """def build_lenet5(input_shape=(32, 32, 1), num_classes=10):
    L = keras.layers
    inputs = keras.Input(shape=input_shape)
    x = L.Conv2D(6, 5, activation="tanh")(inputs)
    x = L.AveragePooling2D(2)(x)
    x = L.Conv2D(16, 5, activation="tanh")(x)
    x = L.AveragePooling2D(2)(x)
    x = L.Flatten()(x)
    x = L.Dense(120, activation="tanh")(x)
    x = L.Dense(84, activation="tanh")(x)
    outputs = L.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs)
"""

RESIDUAL_BLOCK_ANSWER = """def residual_block(x, filters, strides=1):
    L = keras.layers
    main = L.Conv2D(filters, 3, strides=strides, padding="same")(x)
    main = L.BatchNormalization()(main)
    main = L.Activation("relu")(main)
    main = L.Conv2D(filters, 3, padding="same")(main)
    main = L.BatchNormalization()(main)
    shortcut = x
    if strides != 1 or x.shape[-1] != filters:
        shortcut = L.Conv2D(filters, 1, strides=strides, padding="same")(x)
        shortcut = L.BatchNormalization()(shortcut)
    return L.Activation("relu")(L.Add()([main, shortcut]))
"""

INCEPTION_MODULE_ANSWER = """def inception_module(x, filters_1x1, filters_3x3_reduce, filters_3x3, filters_5x5_reduce,
                     filters_5x5, filters_pool_proj):
    L = keras.layers
    b1 = L.Conv2D(filters_1x1, 1, padding="same", activation="relu")(x)
    b2 = L.Conv2D(filters_3x3_reduce, 1, padding="same", activation="relu")(x)
    b2 = L.Conv2D(filters_3x3, 3, padding="same", activation="relu")(b2)
    b3 = L.Conv2D(filters_5x5_reduce, 1, padding="same", activation="relu")(x)
    b3 = L.Conv2D(filters_5x5, 5, padding="same", activation="relu")(b3)
    b4 = L.MaxPooling2D(3, strides=1, padding="same")(x)
    b4 = L.Conv2D(filters_pool_proj, 1, padding="same", activation="relu")(b4)
    return L.Concatenate(axis=-1)([b1, b2, b3, b4])
"""


# ----------------------------------------------------------------------------- registry


def exercises() -> list[Exercise]:
    lenet_m = [
        Mistake(
            message="max pooling used: LeNet-5 subsamples with average pooling (AveragePooling2D)",
            variant=lambda c: summarize(_lenet(*_lenet_args(c), pool="max"), _lenet_args(c)[0]),
            example=wrong(LENET5_ANSWER, "L.AveragePooling2D", "L.MaxPooling2D", count=2),
        ),
        Mistake(
            message="ReLU used: the lecture's LeNet-5 uses tanh in the conv and hidden dense layers",
            variant=lambda c: summarize(_lenet(*_lenet_args(c), act="relu"), _lenet_args(c)[0]),
            example=wrong(LENET5_ANSWER, 'activation="tanh"', 'activation="relu"', count=4),
        ),
        Mistake(
            message="the last Dense layer has no softmax",
            variant=lambda c: summarize(_lenet(*_lenet_args(c), last=None), _lenet_args(c)[0]),
            example=wrong(LENET5_ANSWER, 'L.Dense(num_classes, activation="softmax")', "L.Dense(num_classes)"),
        ),
        Mistake(
            message='the first conv uses "same" padding: LeNet-5 convs are "valid" (32 -> 28)',
            variant=lambda c: summarize(_lenet(*_lenet_args(c), padding="same"), _lenet_args(c)[0]),
            example=wrong(LENET5_ANSWER, "L.Conv2D(6, 5, ", 'L.Conv2D(6, 5, padding="same", '),
        ),
    ]
    res_m = [
        Mistake(
            message="ReLU applied to the main path before the addition: add first, then ReLU",
            variant=_residual_mistake(relu_before_add=True),
            example=wrong(
                RESIDUAL_BLOCK_ANSWER,
                'return L.Activation("relu")(L.Add()([main, shortcut]))',
                'return L.Add()([L.Activation("relu")(main), shortcut])  # ReLU before the addition',
            ),
        ),
        Mistake(
            message="the projection shortcut has no BatchNormalization: Conv1x1(strides) - BN",
            variant=_residual_mistake(project_bn=False),
            example=wrong(RESIDUAL_BLOCK_ANSWER, "        shortcut = L.BatchNormalization()(shortcut)\n", ""),
        ),
        Mistake(
            message="the stride is on the second conv: the first Conv3x3 has the strides",
            variant=_residual_mistake(stride_second=True),
            example=wrong(
                wrong(RESIDUAL_BLOCK_ANSWER, '3, strides=strides, padding="same")(x)', '3, padding="same")(x)'),
                '3, padding="same")(main)',
                '3, strides=strides, padding="same")(main)',
            ),
        ),
    ]
    inc_m = [
        Mistake(
            message="branches concatenated in the wrong order: 1x1, 3x3, 5x5, pool projection",
            variant=lambda c: _inception_expected(c, order=(3, 2, 1, 0)),
            example=wrong(INCEPTION_MODULE_ANSWER, "[b1, b2, b3, b4]", "[b4, b3, b2, b1]"),
        ),
        Mistake(
            message="branches concatenated in the wrong order: 1x1, 3x3, 5x5, pool projection",
            variant=lambda c: _inception_expected(c, order=(0, 2, 1, 3)),
        ),
        Mistake(
            message="ReLU missing: every conv has activation='relu'",
            variant=lambda c: _inception_expected(c, act=None),
            example=wrong(INCEPTION_MODULE_ANSWER, ', activation="relu"', "", count=6),
        ),
    ]
    return [
        Exercise(
            name="receptive_field",
            assignment=ASSIGNMENT,
            points=2,
            matches="`layers` is a list of `(kernel_size, stride)`; the receptive field (in input pixels) of one"
            " output unit of the stack",
            visible=_receptive_field_visible,
            hidden=_receptive_field_hidden,
            expected=_receptive_field_expected,
            mistakes=[
                Mistake(
                    message="strides ignored: each layer adds (kernel - 1) * (product of the earlier strides)",
                    variant=_receptive_field_variant("no_strides"),
                    example="""def receptive_field(layers):
    return 1 + sum(kernel_size - 1 for kernel_size, stride in layers)
""",
                ),
                Mistake(
                    message="the layer's own stride used too early: multiply the jump by a layer's stride "
                    "after adding its (kernel - 1) * jump",
                    variant=_receptive_field_variant("early"),
                    example="""def receptive_field(layers):
    rf, jump = 1, 1
    for kernel_size, stride in layers:
        jump *= stride
        rf += (kernel_size - 1) * jump
    return rf
""",
                ),
            ],
        ),
        Exercise(
            name="build_lenet5",
            assignment=ASSIGNMENT,
            points=3,
            matches="a `keras.Model`: Conv 6@5x5 tanh, AvgPool 2, Conv 16@5x5 tanh, AvgPool 2, Flatten, Dense "
            "120 tanh, Dense 84 tanh, Dense softmax; 61,706 parameters for the defaults",
            visible=lambda: [make_case("defaults (32, 32, 1), 10 classes")],
            hidden=lambda rng: [
                make_case("(28, 28, 1), 10 classes", (28, 28, 1)),
                make_case("(32, 32, 3), 5 classes", input_shape=(32, 32, 3), num_classes=5),
            ],
            expected=lambda c: summarize(_lenet(*_lenet_args(c)), _lenet_args(c)[0]),
            mistakes=lenet_m,
            answer=LENET5_ANSWER,
            call=_lenet_call,
            judge=_model_judge(lenet_m),
        ),
        Exercise(
            name="residual_block",
            assignment=ASSIGNMENT,
            points=3,
            matches="Keras functional: Conv3x3(strides)-BN-ReLU-Conv3x3-BN, plus the shortcut (identity, or "
            "Conv1x1(strides)-BN when the shape changes), then ReLU",
            visible=lambda: [
                _block_case("identity shortcut: (8, 8, 4), 4 filters", (8, 8, 4), 4),
                _block_case("projection: (8, 8, 4) -> 8 filters, stride 2", (8, 8, 4), 8, 2),
            ],
            hidden=lambda rng: [
                _block_case("odd (7, 7, 3) -> 6 filters, stride 2", (7, 7, 3), 6, 2),
                _block_case("channels change, stride 1: (6, 6, 5) -> 3", (6, 6, 5), 3, 1),
                _block_case("identity (5, 6, 6), 6 filters", (5, 6, 6), 6, 1),
            ],
            expected=_residual_expected,
            mistakes=res_m,
            answer=RESIDUAL_BLOCK_ANSWER,
            call=_block_call,
            judge=_model_judge(res_m),
        ),
        Exercise(
            name="inception_module",
            assignment=ASSIGNMENT,
            points=3,
            matches="Keras functional, GoogLeNet's four branches (1x1; 1x1 then 3x3; 1x1 then 5x5; 3x3 max-pool "
            'stride 1 then 1x1), each conv with bias and ReLU, "same" padding, concatenated on channels '
            "in that order",
            visible=lambda: [_block_case("(8, 8, 6): 4, 3, 5, 2, 3, 6", (8, 8, 6), 4, 3, 5, 2, 3, 6)],
            hidden=lambda rng: [
                _block_case("(7, 7, 5): 2, 4, 6, 3, 7, 5", (7, 7, 5), 2, 4, 6, 3, 7, 5),
                _block_case("(6, 5, 3): 8, 2, 3, 4, 5, 1", (6, 5, 3), 8, 2, 3, 4, 5, 1),
            ],
            expected=_inception_expected,
            mistakes=inc_m,
            answer=INCEPTION_MODULE_ANSWER,
            call=_block_call,
            judge=_model_judge(inc_m),
        ),
        Exercise(
            name="separable_conv_param_count",
            assignment=ASSIGNMENT,
            points=1,
            matches="`keras.layers.SeparableConv2D(...).count_params()`",
            visible=lambda: [make_case("3x3, 64 -> 128", 3, 64, 128), make_case("5x5, 3 -> 16", 5, 3, 16)],
            hidden=lambda rng: [
                make_case("random (3, 5) kernel", (3, 5), int(rng.integers(2, 40)), int(rng.integers(2, 40))),
                make_case("random 1x1", 1, int(rng.integers(2, 40)), int(rng.integers(2, 40))),
            ],
            expected=lambda c: np.float64(_sep_layer(c).count_params()),
            mistakes=[
                Mistake(
                    message="bias forgotten: one bias per output filter",
                    variant=lambda c: np.float64(_sep_layer(c).count_params() - int(arg(c, 2, "filters"))),
                    example="""def separable_conv_param_count(kernel_size, in_channels, filters):
    kh, kw = (kernel_size, kernel_size) if np.ndim(kernel_size) == 0 else kernel_size
    return kh * kw * in_channels + in_channels * filters
""",
                ),
                Mistake(
                    message="depthwise part counted like a full conv: depthwise has k_h * k_w * in_channels weights",
                    variant=lambda c: np.float64(
                        _sep_layer(c).count_params()
                        - _kernel_area(c) * int(arg(c, 1, "in_channels"))
                        + _kernel_area(c) * int(arg(c, 1, "in_channels")) * int(arg(c, 2, "filters"))
                    ),
                    example="""def separable_conv_param_count(kernel_size, in_channels, filters):
    kh, kw = (kernel_size, kernel_size) if np.ndim(kernel_size) == 0 else kernel_size
    return kh * kw * in_channels * filters + in_channels * filters + filters
""",
                ),
            ],
        ),
    ]


def _kernel_area(case):
    kk = arg(case, 0, "kernel_size")
    return int(kk) ** 2 if np.ndim(kk) == 0 else int(kk[0]) * int(kk[1])


def _sep_layer(case):
    kk = arg(case, 0, "kernel_size")
    layer = keras().layers.SeparableConv2D(int(arg(case, 2, "filters")), kk)
    layer.build((None, 16, 16, int(arg(case, 1, "in_channels"))))
    return layer
