"""Assignment 5 (CNN architectures): receptive fields, LeNet-5, residual and Inception blocks."""

from __future__ import annotations

import numpy as np

from ._common import C, arg, keras, tf
from .core import Exercise, Mistake, Verdict
from .models import judge_summary, summarize

A = "05_cnn_architectures"


# ----------------------------------------------------------------------------- receptive field

def _rf_visible():
    return [C("one 3x3 conv", [(3, 1)]), C("two 3x3 convs (VGG)", [(3, 1), (3, 1)]),
            C("conv 3, pool 2/2, conv 3", [(3, 1), (2, 2), (3, 1)]),
            C("LeNet-5: conv 5, pool 2/2, conv 5, pool 2/2", [(5, 1), (2, 2), (5, 1), (2, 2)])]


def _rf_hidden(rng):
    out = []
    for depth in (3, 4, 5):
        layers = [(int(rng.integers(1, 6)), int(rng.integers(1, 3))) for _ in range(depth)]
        out.append(C(f"random stack {layers}", layers))
    return out


def _rf_expected(case):
    """Measured on a live Keras Conv1D stack with all-ones kernels: the input span
    with a non-zero gradient for one output unit."""
    layers = [(int(k), int(s)) for k, s in arg(case, 0, "layers")]
    k = keras()
    t = tf()
    n = 1
    for kk, s in layers:
        n = n * s + kk  # long enough for at least one output
    n = 4 * n + 16
    model = k.Sequential([k.Input((n, 1))] + [k.layers.Conv1D(1, kk, strides=s, use_bias=False,
                                                                 kernel_initializer="ones") for kk, s in layers])
    x = t.Variable(np.ones((1, n, 1), np.float32))
    with t.GradientTape() as tape:
        out = model(x)
        y = out[0, out.shape[1] // 2, 0]
    g = np.flatnonzero(tape.gradient(y, x).numpy()[0, :, 0])
    return np.float64(g[-1] - g[0] + 1)


def _rf_variant(kind):
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

    branches = [conv(x, f1, 1), conv(conv(x, f3r, 1), f3, 3), conv(conv(x, f5r, 1), f5, 5),
                conv(L.MaxPooling2D(3, strides=1, padding="same")(x), fp, 1)]
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
    return C(label, *args, input_shape=tuple(shape))


def _res_args(case):
    return tuple(case.kwargs["input_shape"]), int(case.args[0]), int(case.args[1]) if len(case.args) > 1 else 1


def _res_expected(case):
    shape, f, s = _res_args(case)
    return [summarize(_block_model(_residual, shape, f, s, use_bias=b), shape) for b in (True, False)]


def _res_mistake(**change):
    def make(case):
        shape, f, s = _res_args(case)
        if change.get("stride_second") and s == 1:
            return None
        return [summarize(_block_model(_residual, shape, f, s, use_bias=b, **change), shape) for b in (True, False)]
    return make


def _inc_expected(case, **change):
    shape = tuple(case.kwargs["input_shape"])
    return summarize(_block_model(_inception, shape, *[int(a) for a in case.args], **change), shape)


def _model_judge(mistakes, check_trainable=False):
    def judge(case, out, expected):
        return judge_summary(out, expected, [(m.message, (lambda m=m: m.variant(case))) for m in mistakes],
                             check_trainable=check_trainable)
    return judge


def _lenet_call(func, case):
    shape, n = _lenet_args(case)
    model = func(*case.args, **case.kwargs)
    return summarize(model, shape)


# ----------------------------------------------------------------------------- registry

def exercises() -> list[Exercise]:
    lenet_m = [Mistake("max pooling used: LeNet-5 subsamples with average pooling (AveragePooling2D)",
                       lambda c: summarize(_lenet(*_lenet_args(c), pool="max"), _lenet_args(c)[0])),
               Mistake("ReLU used: the lecture's LeNet-5 uses tanh in the conv and hidden dense layers",
                       lambda c: summarize(_lenet(*_lenet_args(c), act="relu"), _lenet_args(c)[0])),
               Mistake("the last Dense layer has no softmax",
                       lambda c: summarize(_lenet(*_lenet_args(c), last=None), _lenet_args(c)[0])),
               Mistake('the first conv uses "same" padding: LeNet-5 convs are "valid" (32 -> 28)',
                       lambda c: summarize(_lenet(*_lenet_args(c), padding="same"), _lenet_args(c)[0]))]
    res_m = [Mistake("ReLU applied to the main path before the addition: add first, then ReLU",
                     _res_mistake(relu_before_add=True)),
             Mistake("the projection shortcut has no BatchNormalization: Conv1x1(strides) - BN",
                     _res_mistake(project_bn=False)),
             Mistake("the stride is on the second conv: the first Conv3x3 has the strides",
                     _res_mistake(stride_second=True))]
    inc_m = [Mistake("branches concatenated in the wrong order: 1x1, 3x3, 5x5, pool projection",
                     lambda c: _inc_expected(c, order=(3, 2, 1, 0))),
             Mistake("branches concatenated in the wrong order: 1x1, 3x3, 5x5, pool projection",
                     lambda c: _inc_expected(c, order=(0, 2, 1, 3))),
             Mistake("ReLU missing: every conv has activation='relu'", lambda c: _inc_expected(c, act=None))]
    return [
        Exercise("receptive_field", A, "receptive_field(layers)", 2, _rf_visible, _rf_hidden, _rf_expected,
                 [Mistake("strides ignored: each layer adds (kernel - 1) * (product of the earlier strides)",
                          _rf_variant("no_strides")),
                  Mistake("the layer's own stride used too early: multiply the jump by a layer's stride "
                          "after adding its (kernel - 1) * jump", _rf_variant("early"))]),
        Exercise("build_lenet5", A, "build_lenet5(input_shape=(32, 32, 1), num_classes=10)", 3,
                 lambda: [C("defaults (32, 32, 1), 10 classes")],
                 lambda rng: [C("(28, 28, 1), 10 classes", (28, 28, 1)), C("(32, 32, 3), 5 classes", input_shape=(32, 32, 3), num_classes=5)],
                 lambda c: summarize(_lenet(*_lenet_args(c)), _lenet_args(c)[0]), lenet_m,
                 call=_lenet_call, judge=_model_judge(lenet_m)),
        Exercise("residual_block", A, "residual_block(x, filters, strides=1)", 3,
                 lambda: [_block_case("identity shortcut: (8, 8, 4), 4 filters", (8, 8, 4), 4),
                          _block_case("projection: (8, 8, 4) -> 8 filters, stride 2", (8, 8, 4), 8, 2)],
                 lambda rng: [_block_case("odd (7, 7, 3) -> 6 filters, stride 2", (7, 7, 3), 6, 2),
                              _block_case("channels change, stride 1: (6, 6, 5) -> 3", (6, 6, 5), 3, 1),
                              _block_case("identity (5, 6, 6), 6 filters", (5, 6, 6), 6, 1)],
                 _res_expected, res_m, call=_block_call, judge=_model_judge(res_m)),
        Exercise("inception_module", A, "inception_module(x, filters_1x1, filters_3x3_reduce, filters_3x3, "
                 "filters_5x5_reduce, filters_5x5, filters_pool_proj)", 3,
                 lambda: [_block_case("(8, 8, 6): 4, 3, 5, 2, 3, 6", (8, 8, 6), 4, 3, 5, 2, 3, 6)],
                 lambda rng: [_block_case("(7, 7, 5): 2, 4, 6, 3, 7, 5", (7, 7, 5), 2, 4, 6, 3, 7, 5),
                              _block_case("(6, 5, 3): 8, 2, 3, 4, 5, 1", (6, 5, 3), 8, 2, 3, 4, 5, 1)],
                 _inc_expected, inc_m, call=_block_call, judge=_model_judge(inc_m)),
        Exercise("separable_conv_param_count", A, "separable_conv_param_count(kernel_size, in_channels, filters)", 1,
                 lambda: [C("3x3, 64 -> 128", 3, 64, 128), C("5x5, 3 -> 16", 5, 3, 16)],
                 lambda rng: [C("random (3, 5) kernel", (3, 5), int(rng.integers(2, 40)), int(rng.integers(2, 40))),
                              C("random 1x1", 1, int(rng.integers(2, 40)), int(rng.integers(2, 40)))],
                 lambda c: np.float64(_sep_layer(c).count_params()),
                 [Mistake("bias forgotten: one bias per output filter",
                          lambda c: np.float64(_sep_layer(c).count_params() - int(arg(c, 2, "filters")))),
                  Mistake("depthwise part counted like a full conv: depthwise has k_h * k_w * in_channels weights",
                          lambda c: np.float64(_sep_layer(c).count_params() - _k2(c) * int(arg(c, 1, "in_channels"))
                                               + _k2(c) * int(arg(c, 1, "in_channels")) * int(arg(c, 2, "filters"))))]),
    ]


def _k2(case):
    kk = arg(case, 0, "kernel_size")
    return int(kk) ** 2 if np.ndim(kk) == 0 else int(kk[0]) * int(kk[1])


def _sep_layer(case):
    kk = arg(case, 0, "kernel_size")
    layer = keras().layers.SeparableConv2D(int(arg(case, 2, "filters")), kk)
    layer.build((None, 16, 16, int(arg(case, 1, "in_channels"))))
    return layer
