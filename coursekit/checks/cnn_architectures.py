"""Assignment 5 (CNN architectures): receptive fields, LeNet-5, residual and Inception blocks."""

from __future__ import annotations

import numpy as np

from .common import arg, keras, make_case, tf
from .core import Exercise, Mistake, wrong
from .models import behaviour, judge_behaviour

ASSIGNMENT = "05_cnn_architectures"


# ----------------------------------------------------------------------------- receptive field


def _receptive_field_visible():
    return [
        make_case("one 3x3 conv", [(3, 1)]),
        make_case("two 3x3 convs (VGG)", [(3, 1), (3, 1)]),
        make_case("conv 3, pool 2/2, conv 3", [(3, 1), (2, 2), (3, 1)]),
        make_case("LeNet-5: conv 5, pool 2/2, conv 5, pool 2/2", [(5, 1), (2, 2), (5, 1), (2, 2)]),
        make_case("kernel smaller than stride: conv 1/2, conv 3/1", [(1, 2), (3, 1)]),
    ]


def _receptive_field_hidden(rng):
    def layer(kernels=(1, 8), strides=(1, 4)):
        return (int(rng.integers(*kernels)), int(rng.integers(*strides)))

    single = [layer((2, 8), (2, 4))]
    small = [layer((2, 6), (1, 3)), (int(rng.integers(1, 3)), 3), layer((2, 6), (1, 3)), layer((3, 6), (1, 2))]
    ones = [layer((2, 6), (2, 3)), (1, int(rng.integers(1, 3))), layer((2, 6), (2, 3)), (1, 1), layer((2, 6))]
    out = [
        make_case(f"a single layer {single}", single),
        make_case(f"a kernel smaller than its stride {small}", small),
        make_case(f"kernel-1 layers {ones}", ones),
    ]
    for depth in (3, 5):
        layers = [layer() for _ in range(depth)]
        layers[0] = (layers[0][0] + 1, 2)  # a stride-2 layer first: the order of the layers matters
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
        layers = list(arg(case, 0, "layers"))
        rf, jump = 1, 1
        for kk, s in reversed(layers) if kind == "reversed" else layers:
            if kind == "no_strides":
                rf += kk - 1
            elif kind == "early":  # jump updated before it is used
                jump *= s
                rf += (kk - 1) * jump
            else:
                rf += (kk - 1) * jump
                jump *= s
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


def _residual(
    x, filters, strides, relu_before_add=False, project_bn=True, stride_second=False, project="rule", epsilon=1e-3
):
    L = keras().layers
    s1, s2 = (1, strides) if stride_second else (strides, 1)
    m = L.Conv2D(filters, 3, strides=s1, padding="same")(x)
    m = L.BatchNormalization(epsilon=epsilon)(m)
    m = L.ReLU()(m)
    m = L.Conv2D(filters, 3, strides=s2, padding="same")(m)
    m = L.BatchNormalization(epsilon=epsilon)(m)
    if project == "always" or strides != 1 or x.shape[-1] != filters:
        sc = L.Conv2D(filters, 1, strides=strides, padding="same")(x)
        if project_bn:
            sc = L.BatchNormalization(epsilon=epsilon)(sc)
    else:
        sc = x
    if relu_before_add:
        return L.Add()([L.ReLU()(m), sc])
    return L.ReLU()(L.Add()([m, sc]))


def _inception(x, f1, f3r, f3, f5r, f5, fp, order=(0, 1, 2, 3), act="relu", pool="max"):
    L = keras().layers

    def conv(t, f, size):
        return L.Conv2D(f, size, padding="same", activation=act)(t)

    Pool = L.MaxPooling2D if pool == "max" else L.AveragePooling2D
    branches = [
        conv(x, f1, 1),
        conv(conv(x, f3r, 1), f3, 3),
        conv(conv(x, f5r, 1), f5, 5),
        conv(Pool(3, strides=1, padding="same")(x), fp, 1),
    ]
    return L.Concatenate(axis=-1)([branches[i] for i in order])


def _block_model(fn, shape, *args, **kwargs):
    k = keras()
    inp = k.Input(tuple(shape))
    return k.Model(inp, fn(inp, *args, **kwargs))


def _probe(rng, shape, batch=2, scale=1.0):
    """The hidden inputs a model is run on: ``batch`` samples of ``shape``, uniform in [-scale, scale]."""
    return rng.uniform(-scale, scale, size=(batch,) + tuple(int(d) for d in shape)).astype(np.float32)


def _block_call(func, case):
    """Student side: build a model around the student's block and record its behaviour."""
    k = keras()
    shape = tuple(case.kwargs["input_shape"])
    inp = k.Input(shape)
    out = func(inp, *case.args)
    return behaviour(k.Model(inp, out), case.kwargs["probe"])


def _block_case(label, shape, *args, probe):
    return make_case(label, *args, input_shape=tuple(shape), probe=probe)


def _residual_args(case):
    return tuple(case.kwargs["input_shape"]), int(case.args[0]), int(case.args[1]) if len(case.args) > 1 else 1


def _residual_expected(case, **change):
    shape, f, s = _residual_args(case)
    return behaviour(_block_model(_residual, shape, f, s, **change), case.kwargs["probe"])


def _residual_mistake(**change):
    def make(case):
        shape, f, s = _residual_args(case)
        if change.get("stride_second") and s == 1:
            return None
        if change.get("project") == "always" and (s != 1 or shape[-1] != f):
            return None
        return _residual_expected(case, **change)

    return make


def _residual_visible():
    rng = np.random.default_rng(0)
    return [
        _block_case("identity shortcut: (8, 8, 4), 4 filters", (8, 8, 4), 4, probe=_probe(rng, (8, 8, 4))),
        _block_case(
            "projection (stride and channels): (8, 8, 4) -> 8 filters, strides=2",
            (8, 8, 4),
            8,
            2,
            probe=_probe(rng, (8, 8, 4)),
        ),
        _block_case(
            "projection (stride only): (7, 7, 3) -> 3 filters, strides=2",
            (7, 7, 3),
            3,
            2,
            probe=_probe(rng, (7, 7, 3)),
        ),
        _block_case(
            "projection (channels only): (6, 6, 5) -> 3 filters, strides=1",
            (6, 6, 5),
            3,
            1,
            probe=_probe(rng, (6, 6, 5), batch=1),
        ),
    ]


def _residual_hidden(rng):
    def dims():
        return int(rng.integers(3, 6)) * 2 + 1, int(rng.integers(3, 9)), int(rng.integers(2, 6))

    out = []
    h, w, c = dims()
    f = c + int(rng.integers(1, 4))
    out.append(_block_case(f"({h}, {w}, {c}) -> {f} filters, strides=2", (h, w, c), f, 2, probe=_probe(rng, (h, w, c))))
    h, w, c = dims()
    out.append(
        _block_case(
            f"one sample, ({h}, {w}, {c}) -> {c} filters, strides=2",
            (h, w, c),
            c,
            2,
            probe=_probe(rng, (h, w, c), batch=1, scale=10.0),
        )
    )
    _, w, c = dims()
    f = int(rng.integers(1, c))
    out.append(
        _block_case(f"height 1: (1, {w}, {c}) -> {f} filters, strides=1", (1, w, c), f, 1, probe=_probe(rng, (1, w, c)))
    )
    h, w, c = dims()
    out.append(
        _block_case(
            f"identity ({h}, {w}, {c}), {c} filters, |x| up to 100",
            (h, w, c),
            c,
            probe=_probe(rng, (h, w, c), batch=3, scale=100.0),
        )
    )
    return out


def _inception_args(case):
    return tuple(case.kwargs["input_shape"]), [int(a) for a in case.args]


def _inception_expected(case, **change):
    shape, filters = _inception_args(case)
    return behaviour(_block_model(_inception, shape, *filters, **change), case.kwargs["probe"])


def _inception_visible():
    rng = np.random.default_rng(1)
    return [
        _block_case("(8, 8, 6): 4, 3, 5, 2, 3, 6", (8, 8, 6), 4, 3, 5, 2, 3, 6, probe=_probe(rng, (8, 8, 6))),
        _block_case(
            "one sample (5, 7, 3): 2, 4, 6, 3, 7, 5", (5, 7, 3), 2, 4, 6, 3, 7, 5, probe=_probe(rng, (5, 7, 3), batch=1)
        ),
    ]


def _inception_hidden(rng):
    out = []
    for i, (batch, scale) in enumerate(((2, 1.0), (1, 10.0), (3, 1.0))):
        h = 1 if i == 2 else int(rng.integers(3, 9))
        shape = (h, int(rng.integers(3, 9)), int(rng.integers(1, 7)))
        filters = [int(v) for v in rng.permutation(np.arange(1, 10))[:6]]
        label = f"{'one sample ' if batch == 1 else ''}{shape}: {', '.join(map(str, filters))}"
        out.append(_block_case(label, shape, *filters, probe=_probe(rng, shape, batch=batch, scale=scale)))
    return out


def _model_judge(mistakes):
    def judge(case, out, expected):
        return judge_behaviour(
            out, expected, [(m.message, (lambda m=m: m.variant(case))) for m in mistakes if m.variant is not None]
        )

    return judge


def _lenet_call(func, case):
    kwargs = {k: v for k, v in case.kwargs.items() if k != "probe"}
    return behaviour(func(*case.args, **kwargs), case.kwargs["probe"])


def _lenet_behaviour(case, **change):
    return behaviour(_lenet(*_lenet_args(case), **change), case.kwargs["probe"])


def _lenet_visible():
    rng = np.random.default_rng(2)
    return [
        make_case("defaults (32, 32, 1), 10 classes", probe=_probe(rng, (32, 32, 1))),
        make_case(
            "input_shape=(28, 28, 3), num_classes=5",
            input_shape=(28, 28, 3),
            num_classes=5,
            probe=_probe(rng, (28, 28, 3), batch=1),
        ),
    ]


def _lenet_hidden(rng):
    shape = (int(rng.integers(28, 37)), int(rng.integers(28, 37)), 1)
    n = int(rng.integers(2, 13))
    shape3 = (int(rng.integers(28, 37)), int(rng.integers(28, 37)), 3)
    n3 = int(rng.integers(2, 13))
    return [
        make_case(f"positional {shape}, {n} classes", shape, n, probe=_probe(rng, shape, batch=3)),
        make_case(
            f"one sample, input_shape={shape3}, num_classes={n3}",
            input_shape=shape3,
            num_classes=n3,
            probe=_probe(rng, shape3, batch=1, scale=3.0),
        ),
    ]


# ----------------------------------------------------------------------------- a student's correct answers
# Every mistake's example below is one of these with one edit (core.wrong).

RECEPTIVE_FIELD_ANSWER = """def receptive_field(layers):
    rf, jump = 1, 1
    for kernel_size, stride in layers:
        rf += (kernel_size - 1) * jump
        jump *= stride
    return rf
"""

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
            variant=lambda c: _lenet_behaviour(c, pool="max"),
            example=wrong(LENET5_ANSWER, "L.AveragePooling2D", "L.MaxPooling2D", count=2),
        ),
        Mistake(
            message="ReLU used: the lecture's LeNet-5 uses tanh in the conv and hidden dense layers",
            variant=lambda c: _lenet_behaviour(c, act="relu"),
            example=wrong(LENET5_ANSWER, 'activation="tanh"', 'activation="relu"', count=4),
        ),
        Mistake(
            message="the last Dense layer has no softmax",
            variant=lambda c: _lenet_behaviour(c, last=None),
            example=wrong(LENET5_ANSWER, 'L.Dense(num_classes, activation="softmax")', "L.Dense(num_classes)"),
        ),
        Mistake(
            message='the first conv uses "same" padding: LeNet-5 convs are "valid" (32 -> 28)',
            variant=lambda c: _lenet_behaviour(c, padding="same"),
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
        Mistake(
            message="a projection shortcut where the shapes match: use the identity when strides == 1 and the "
            "channels equal filters",
            variant=_residual_mistake(project="always"),
            example=wrong(RESIDUAL_BLOCK_ANSWER, "if strides != 1 or x.shape[-1] != filters:", "if True:"),
        ),
        Mistake(
            message="BatchNormalization epsilon changed (keras.applications uses 1.001e-5): the block uses "
            "BatchNormalization() with Keras's defaults (epsilon=1e-3)",
            variant=_residual_mistake(epsilon=1.001e-5),
            example=wrong(
                RESIDUAL_BLOCK_ANSWER, "L.BatchNormalization()", "L.BatchNormalization(epsilon=1.001e-5)", count=3
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
        Mistake(
            message='average pooling in the pool branch: MaxPooling2D(3, strides=1, padding="same")',
            variant=lambda c: _inception_expected(c, pool="avg"),
            example=wrong(INCEPTION_MODULE_ANSWER, "L.MaxPooling2D(3, ", "L.AveragePooling2D(3, "),
        ),
    ]
    return [
        Exercise(
            name="receptive_field",
            assignment=ASSIGNMENT,
            points=2,
            matches="`layers` is a list of `(kernel_size, stride)` int pairs, `layers[0]` nearest the input; the "
            "receptive field (in input pixels, an int) of one output unit of the stack: "
            "r = 1 + sum of (k_l - 1) * (product of the strides of the layers before l)",
            visible=_receptive_field_visible,
            hidden=_receptive_field_hidden,
            expected=_receptive_field_expected,
            answer=RECEPTIVE_FIELD_ANSWER,
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
                    example=wrong(
                        RECEPTIVE_FIELD_ANSWER,
                        "        rf += (kernel_size - 1) * jump\n        jump *= stride\n",
                        "        jump *= stride\n        rf += (kernel_size - 1) * jump\n",
                    ),
                ),
                Mistake(
                    message="layers taken from the output end: layers[0] is the layer nearest the input",
                    variant=_receptive_field_variant("reversed"),
                    example=wrong(RECEPTIVE_FIELD_ANSWER, "in layers:", "in reversed(layers):"),
                ),
            ],
        ),
        Exercise(
            name="build_lenet5",
            assignment=ASSIGNMENT,
            points=3,
            matches="a `keras.Model` computing: Conv 6@5x5 tanh, AvgPool 2, Conv 16@5x5 tanh, AvgPool 2, Flatten, "
            "Dense 120 tanh, Dense 84 tanh, Dense softmax (convs valid, every layer with bias); 61,706 parameters "
            "for the defaults. Judged by behaviour: the same outputs as the reference with the same weights, and "
            "the same trainable weights (any layer style)",
            visible=_lenet_visible,
            hidden=_lenet_hidden,
            expected=_lenet_behaviour,
            mistakes=lenet_m,
            answer=LENET5_ANSWER,
            call=_lenet_call,
            judge=_model_judge(lenet_m),
        ),
        Exercise(
            name="residual_block",
            assignment=ASSIGNMENT,
            points=3,
            matches="Keras functional: Conv3x3(strides)-BN-ReLU-Conv3x3-BN, plus the shortcut (identity when "
            'strides == 1 and channels == filters, else Conv1x1(strides)-BN), then ReLU; convs "same", '
            "BatchNormalization() with defaults; a conv bias before BN is optional. Judged by behaviour in "
            "inference and training mode",
            visible=_residual_visible,
            hidden=_residual_hidden,
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
            'stride 1 "same" then 1x1), each conv with bias and ReLU, "same" padding, concatenated on channels '
            "in that order. Judged by behaviour",
            visible=_inception_visible,
            hidden=_inception_hidden,
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
            matches="`keras.layers.SeparableConv2D(filters, kernel_size).count_params()` for `in_channels` input "
            "channels: k_h * k_w * in_channels + in_channels * filters + filters; `kernel_size` an int or a pair",
            visible=lambda: [
                make_case("3x3, 64 -> 128", 3, 64, 128),
                make_case("5x5, 3 -> 16", 5, 3, 16),
                make_case("pair kernel (1, 7), 32 -> 8", (1, 7), 32, 8),
            ],
            hidden=lambda rng: [
                make_case(
                    "random pair kernel",
                    (int(rng.integers(2, 4)), int(rng.integers(4, 8))),
                    int(rng.integers(2, 40)),
                    int(rng.integers(2, 40)),
                ),
                make_case(
                    "random int kernel", int(rng.integers(2, 8)), int(rng.integers(2, 40)), int(rng.integers(2, 40))
                ),
                make_case("1x1, one input channel", 1, 1, int(rng.integers(2, 40))),
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
