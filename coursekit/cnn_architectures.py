"""Lecture 5: CNN architectures (LeNet to EfficientNet), receptive fields, batch norm.

Contract functions (``exercises.md`` section 5):

    receptive_field(layers)
    build_lenet5(input_shape=(32, 32, 1), num_classes=10)
    residual_block(x, filters, strides=1)
    inception_module(x, filters_1x1, filters_3x3_reduce, filters_3x3,
                     filters_5x5_reduce, filters_5x5, filters_pool_proj)
    separable_conv_param_count(kernel_size, in_channels, filters)

Beyond the contract: batch normalization in NumPy (forward with Keras 3's moving
averages, backward), the table of pretrained networks shown in Salvatore's lecture
(IUSS Pavia) recomputed from ``keras.applications`` (ResNet, DenseNet and VGG also counted from their
configuration: ``resnet_param_count``, ...), a layer-by-layer summary with receptive fields, the
original (two-group) AlexNet and where its parameters are (``dense_parameter_shares``), a small CNN
for the 8x8 digits, feature maps, activation maximisation, the skip-connection gradient experiment
with initialisation and batch norm as separate factors, and up-sampling compared (max unpooling,
``UpSampling2D``, ``Conv2DTranspose``).

Keras is imported inside the functions (``coursekit.keras_setup.import_keras``), so
importing this module does not import TensorFlow.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from coursekit.keras_setup import import_keras
from coursekit.validation import as_float_array, as_pair, check_scalar

__all__ = [
    "receptive_field",
    "build_lenet5",
    "residual_block",
    "inception_module",
    "separable_conv_param_count",
    "batch_norm_forward",
    "batch_norm_backward",
    "build_alexnet",
    "small_cnn",
    "feature_maps",
    "layer_table",
    "format_layer_table",
    "pretrained_networks_table",
    # lecture demonstrations
    "conv_pool_stack",
    "influence_sets",
    "skip_gradient_norms",
    "build_tiny_unet",
    "resnet_param_count",
    "densenet_param_count",
    "vgg_param_count",
    "dense_parameter_shares",
    "upsampling_comparison",
    "activation_maximization",
    "LECTURE_PRETRAINED_TABLE",
]


# ---------------------------------------------------------------------------
# Receptive field
# ---------------------------------------------------------------------------

def _rf_step(rf: int, jump: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """One layer of the recurrence r_out = r_in + (k_eff - 1) * j_in, j_out = j_in * s.

    ``jump`` is the distance, in input pixels, between two neighbouring units of the
    current layer; a dilated kernel of size k spans k_eff = dilation * (k - 1) + 1 pixels.
    """
    k_eff = dilation * (kernel - 1) + 1
    return rf + (k_eff - 1) * jump, jump * stride


def receptive_field(layers) -> int | tuple[int, int]:
    """Receptive field, in input pixels, of one output unit of a stack of layers.

    ``layers`` is a list of ``(kernel_size, stride)`` (conv or pooling layers, input
    first).  With r_0 = 1 and j_0 = 1:

        r_l = r_{l-1} + (k_l - 1) * j_{l-1},     j_l = j_{l-1} * s_l

    (each layer widens the field by k - 1 units of the previous layer, and a unit of
    the previous layer is j_{l-1} input pixels apart from its neighbour).  Padding does
    not change the receptive field.  Returns an int; if any kernel or stride is a
    non-square pair ``(h, w)``, returns the pair ``(r_h, r_w)``.
    An empty list gives 1 (a pixel sees itself).
    """
    try:
        items = list(layers)
    except TypeError:
        raise TypeError(f"layers must be a list of (kernel_size, stride) pairs; got {layers!r}") from None
    rf = [1, 1]
    jump = [1, 1]
    square = True
    for i, item in enumerate(items):
        try:
            kernel, stride = item
        except (TypeError, ValueError):
            raise ValueError(
                f"layers[{i}] must be a (kernel_size, stride) pair; got {item!r}") from None
        kh, kw = as_pair(kernel, f"layers[{i}] kernel_size")
        sh, sw = as_pair(stride, f"layers[{i}] stride")
        square = square and kh == kw and sh == sw
        rf[0], jump[0] = _rf_step(rf[0], jump[0], kh, sh)
        rf[1], jump[1] = _rf_step(rf[1], jump[1], kw, sw)
    return rf[0] if square else (rf[0], rf[1])


# ---------------------------------------------------------------------------
# Classic architectures and building blocks (Keras)
# ---------------------------------------------------------------------------

def build_lenet5(input_shape=(32, 32, 1), num_classes: int = 10):
    """LeNet-5 (LeCun et al. 1998) as a ``keras.Model``.

    Conv 6@5x5 tanh -> AvgPool 2 -> Conv 16@5x5 tanh -> AvgPool 2 -> Flatten
    -> Dense 120 tanh -> Dense 84 tanh -> Dense num_classes softmax.
    Shapes for the default (32, 32, 1): 28x28x6, 14x14x6, 10x10x16, 5x5x16, 400, 120, 84, 10.
    Parameters: 156 + 2,416 + 48,120 + 10,164 + 850 = 61,706.
    """
    keras = import_keras()
    L = keras.layers
    inputs = keras.Input(shape=tuple(input_shape), name="image")
    x = L.Conv2D(6, 5, activation="tanh", name="c1")(inputs)
    x = L.AveragePooling2D(2, name="s2")(x)
    x = L.Conv2D(16, 5, activation="tanh", name="c3")(x)
    x = L.AveragePooling2D(2, name="s4")(x)
    x = L.Flatten(name="flatten")(x)
    x = L.Dense(120, activation="tanh", name="c5")(x)
    x = L.Dense(84, activation="tanh", name="f6")(x)
    outputs = L.Dense(num_classes, activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name="lenet5")


def residual_block(x, filters: int, strides=1):
    """A ResNet basic block (He et al. 2015) on the Keras tensor ``x`` (NHWC).

        main:     Conv3x3(filters, strides) - BN - ReLU - Conv3x3(filters) - BN
        shortcut: identity, or Conv1x1(filters, strides) - BN when the shape changes
                  (strides != 1 or x's channels != filters)
        output:   ReLU(main + shortcut)

    Convolutions use "same" padding and Keras's default bias.  Output shape:
    ``(batch, ceil(H / s), ceil(W / s), filters)``.  The identity path lets the
    gradient reach earlier layers unchanged: d(out)/d(x) = relu' * (I + d(main)/d(x)).
    """
    keras = import_keras()
    L = keras.layers
    s = as_pair(strides, "strides")
    main = L.Conv2D(filters, 3, strides=s, padding="same")(x)
    main = L.BatchNormalization()(main)
    main = L.ReLU()(main)
    main = L.Conv2D(filters, 3, padding="same")(main)
    main = L.BatchNormalization()(main)
    if s != (1, 1) or x.shape[-1] != filters:
        shortcut = L.Conv2D(filters, 1, strides=s, padding="same")(x)
        shortcut = L.BatchNormalization()(shortcut)
    else:
        shortcut = x
    out = L.Add()([main, shortcut])
    return L.ReLU()(out)


def inception_module(x, filters_1x1: int, filters_3x3_reduce: int, filters_3x3: int,
                     filters_5x5_reduce: int, filters_5x5: int, filters_pool_proj: int):
    """GoogLeNet's Inception module (Szegedy et al. 2014) on the Keras tensor ``x``.

    Four parallel branches, every conv with bias, ReLU and "same" padding:
        1. Conv 1x1 (filters_1x1)
        2. Conv 1x1 (filters_3x3_reduce) -> Conv 3x3 (filters_3x3)
        3. Conv 1x1 (filters_5x5_reduce) -> Conv 5x5 (filters_5x5)
        4. MaxPool 3x3 stride 1 "same" -> Conv 1x1 (filters_pool_proj)
    concatenated on channels in that order: output ``(batch, H, W, sum of the four)``.
    The 1x1 "reduce" convolutions cut the channels before the expensive 3x3 / 5x5.
    """
    keras = import_keras()
    L = keras.layers

    def conv(t, filters, size):
        return L.Conv2D(filters, size, padding="same", activation="relu")(t)

    b1 = conv(x, filters_1x1, 1)
    b2 = conv(conv(x, filters_3x3_reduce, 1), filters_3x3, 3)
    b3 = conv(conv(x, filters_5x5_reduce, 1), filters_5x5, 5)
    b4 = conv(L.MaxPooling2D(3, strides=1, padding="same")(x), filters_pool_proj, 1)
    return L.Concatenate(axis=-1)([b1, b2, b3, b4])


def separable_conv_param_count(kernel_size, in_channels: int, filters: int) -> int:
    """Parameters of ``keras.layers.SeparableConv2D`` (depth multiplier 1, with bias).

        depthwise:  k_h * k_w * in_channels      (one k x k filter per input channel)
        pointwise:  in_channels * filters        (a 1x1 conv mixing channels)
        bias:       filters

    A standard conv has k_h * k_w * in_channels * filters + filters: for 3x3, 64 -> 128
    that is 73,856 against 8,896 (8.3x fewer).
    """
    kh, kw = as_pair(kernel_size, "kernel_size")
    in_channels = check_scalar(in_channels, "in_channels", int, min_val=1)
    filters = check_scalar(filters, "filters", int, min_val=1)
    return kh * kw * in_channels + in_channels * filters + filters


def build_alexnet(input_shape=(227, 227, 3), num_classes: int = 1000, groups: int = 2):
    """AlexNet (Krizhevsky et al. 2012) as built for two GPUs, for counting parameters.

    AlexNet is not in ``keras.applications``.  Conv 96@11x11/4 - MaxPool 3/2 -
    Conv 256@5x5 (2 groups) - MaxPool 3/2 - Conv 384@3x3 - Conv 384@3x3 (2 groups) -
    Conv 256@3x3 (2 groups) - MaxPool 3/2 - Dense 4096 - Dense 4096 - Dense 1000.
    With ``groups=2`` (the paper) it has 60,965,224 parameters; with ``groups=1``
    (the single-tower variant many libraries ship) 62,378,344.  Local response
    normalization (no parameters) and dropout are left out.  TensorFlow on CPU may
    not run grouped convolutions: use this to count and to show shapes.
    """
    keras = import_keras()
    L = keras.layers
    inputs = keras.Input(shape=tuple(input_shape), name="image")
    x = L.Conv2D(96, 11, strides=4, activation="relu", name="conv1")(inputs)
    x = L.MaxPooling2D(3, strides=2, name="pool1")(x)
    x = L.Conv2D(256, 5, padding="same", groups=groups, activation="relu", name="conv2")(x)
    x = L.MaxPooling2D(3, strides=2, name="pool2")(x)
    x = L.Conv2D(384, 3, padding="same", activation="relu", name="conv3")(x)
    x = L.Conv2D(384, 3, padding="same", groups=groups, activation="relu", name="conv4")(x)
    x = L.Conv2D(256, 3, padding="same", groups=groups, activation="relu", name="conv5")(x)
    x = L.MaxPooling2D(3, strides=2, name="pool5")(x)
    x = L.Flatten(name="flatten")(x)
    x = L.Dense(4096, activation="relu", name="fc6")(x)
    x = L.Dense(4096, activation="relu", name="fc7")(x)
    outputs = L.Dense(num_classes, activation="softmax", name="fc8")(x)
    return keras.Model(inputs, outputs, name="alexnet")


def small_cnn(input_shape=(8, 8, 1), num_classes: int = 10):
    """A small CNN for scikit-learn's 8x8 digits (pixels scaled to [0, 1]).

    conv1: Conv 16@3x3 same ReLU (8x8x16) -> conv2: Conv 32@3x3 same ReLU (8x8x32)
    -> pool: MaxPool 2 (4x4x32) -> flatten (512) -> dropout 0.25 -> output: Dense softmax.
    5,130 + 4,640 + 160 = 9,930 parameters for the defaults; compiled with Adam and
    sparse categorical cross-entropy (integer labels).  Reaches ~97-98% test accuracy
    on the 8x8 digits in a few seconds of CPU.
    """
    keras = import_keras()
    L = keras.layers
    inputs = keras.Input(shape=tuple(input_shape), name="image")
    x = L.Conv2D(16, 3, padding="same", activation="relu", name="conv1")(inputs)
    x = L.Conv2D(32, 3, padding="same", activation="relu", name="conv2")(x)
    x = L.MaxPooling2D(2, name="pool")(x)
    x = L.Flatten(name="flatten")(x)
    x = L.Dropout(0.25, name="dropout")(x)
    outputs = L.Dense(num_classes, activation="softmax", name="output")(x)
    model = keras.Model(inputs, outputs, name="small_cnn")
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def feature_maps(model, image, layer_names) -> dict[str, np.ndarray]:
    """Activations of the named layers of ``model`` for one image.

    ``image``: ``(H, W, C)`` or ``(1, H, W, C)``; ``layer_names``: a name or a list of
    names.  Returns ``{name: activation}``, each without the batch axis, e.g.
    ``(H', W', filters)`` for a conv layer.  Layers run in inference mode.
    """
    keras = import_keras()
    if isinstance(layer_names, str):
        layer_names = [layer_names]
    layer_names = list(layer_names)
    known = [layer.name for layer in model.layers]
    missing = [n for n in layer_names if n not in known]
    if missing:
        raise ValueError(f"layer_names: {missing} not in the model; its layers are {known}")
    img = as_float_array(image, "image", ndim=(3, 4), shape_hint="(H, W, C) or (1, H, W, C)")
    if img.ndim == 4 and img.shape[0] != 1:
        raise ValueError(f"image must be one image, (H, W, C) or (1, H, W, C); got shape {img.shape}")
    if len(model.inputs) != 1:
        raise ValueError(f"model must have one input (an image); it has {len(model.inputs)}")
    batch = img.reshape((1,) + img.shape[-3:]).astype(np.float32)
    # model.inputs is always a list, so the probe is called with a list: calling a model
    # built on [input] with a bare tensor makes Keras warn about the structure of inputs
    probe = keras.Model(model.inputs, [model.get_layer(n).output for n in layer_names])
    outputs = probe([batch], training=False)
    if not isinstance(outputs, (list, tuple)):
        outputs = [outputs]
    return {n: np.asarray(o)[0] for n, o in zip(layer_names, outputs)}


# ---------------------------------------------------------------------------
# Batch normalization (NumPy), Keras 3 semantics
# ---------------------------------------------------------------------------

def _bn_check(x, gamma, beta):
    x = as_float_array(x, "x", shape_hint="(..., channels), channels last")
    if x.ndim < 2:
        raise ValueError(f"x must be at least 2-D (batch, ..., channels); got shape {x.shape}")
    c = x.shape[-1]
    params = []
    for value, name in ((gamma, "gamma"), (beta, "beta")):
        arr = as_float_array(value, name, ndim=1, shape_hint=f"(channels,) = ({c},)")
        if arr.shape != (c,):
            raise ValueError(f"{name} must have shape (channels,) = ({c},); got {arr.shape}")
        params.append(arr)
    return x, params[0], params[1]


def batch_norm_forward(x, gamma, beta, moving_mean, moving_var, training: bool,
                       momentum: float = 0.99, epsilon: float = 1e-3):
    """Batch normalization over the last axis, exactly as ``keras.layers.BatchNormalization``.

    x: ``(N, C)`` or ``(N, H, W, C)`` (any rank >= 2, channels last);
    gamma, beta, moving_mean, moving_var: ``(C,)``.

    training=True: statistics of this batch over every axis but the last,
        mu = mean(x),  var = mean((x - mu)**2)          (biased: divides by N*H*W)
        out = gamma * (x - mu) / sqrt(var + epsilon) + beta
        moving_mean <- moving_mean * momentum + mu  * (1 - momentum)
        moving_var  <- moving_var  * momentum + var * (1 - momentum)
    training=False: out uses moving_mean and moving_var; they are returned unchanged.

    Keras's defaults: momentum 0.99, epsilon 1e-3 (PyTorch: 0.1 = 1 - momentum, 1e-5),
    moving_mean starts at 0 and moving_var at 1.  Keras uses the *biased* batch
    variance for the moving average too (PyTorch uses the unbiased one there).
    A layer with ``trainable=False`` behaves as training=False even inside ``fit``.

    Returns ``(out, new_moving_mean, new_moving_var)``; out has x's shape and dtype.
    """
    x, gamma, beta = _bn_check(x, gamma, beta)
    c = x.shape[-1]
    mm = as_float_array(moving_mean, "moving_mean", ndim=1)
    mv = as_float_array(moving_var, "moving_var", ndim=1)
    for arr, name in ((mm, "moving_mean"), (mv, "moving_var")):
        if arr.shape != (c,):
            raise ValueError(f"{name} must have shape (channels,) = ({c},); got {arr.shape}")
    dtype = x.dtype
    axes = tuple(range(x.ndim - 1))
    if training:
        mean = x.mean(axis=axes)
        var = ((x - mean) ** 2).mean(axis=axes)
        new_mm = mm * momentum + mean * (1.0 - momentum)
        new_mv = mv * momentum + var * (1.0 - momentum)
    else:
        mean, var = mm.astype(dtype), mv.astype(dtype)
        new_mm, new_mv = mm.copy(), mv.copy()
    out = gamma.astype(dtype) * (x - mean) / np.sqrt(var + epsilon) + beta.astype(dtype)
    return out.astype(dtype), new_mm, new_mv


def batch_norm_backward(dout, x, gamma, epsilon: float = 1e-3):
    """Gradients of training-mode batch normalization.

    dout, x: ``(N, ..., C)``; gamma: ``(C,)``.  With m = number of values per channel
    (N*H*W), x_hat = (x - mu) / sqrt(var + eps) and g = dout * gamma:

        dbeta  = sum(dout)                         (over every axis but the last)
        dgamma = sum(dout * x_hat)
        dx     = (m * g - sum(g) - x_hat * sum(g * x_hat)) / (m * sqrt(var + eps))

    The two sums come from mu and var depending on every x in the channel.
    Returns ``(dx, dgamma, dbeta)``.
    """
    x, gamma, _ = _bn_check(x, gamma, np.zeros_like(gamma))
    dout = as_float_array(dout, "dout")
    if dout.shape != x.shape:
        raise ValueError(f"dout must have x's shape {x.shape}; got {dout.shape}")
    axes = tuple(range(x.ndim - 1))
    m = x.size // x.shape[-1]
    mean = x.mean(axis=axes)
    inv_std = 1.0 / np.sqrt(((x - mean) ** 2).mean(axis=axes) + epsilon)
    x_hat = (x - mean) * inv_std
    dbeta = dout.sum(axis=axes)
    dgamma = (dout * x_hat).sum(axis=axes)
    g = dout * gamma
    dx = (m * g - g.sum(axis=axes) - x_hat * (g * x_hat).sum(axis=axes)) * inv_std / m
    return dx.astype(x.dtype), dgamma, dbeta


# ---------------------------------------------------------------------------
# Layer-by-layer summary with receptive fields
# ---------------------------------------------------------------------------

_CONV_TYPES = ("Conv2D", "DepthwiseConv2D", "SeparableConv2D", "Conv2DTranspose")
_POOL_TYPES = ("MaxPooling2D", "AveragePooling2D")


def _inbound_layers(layer, layer_set):
    """Layers of the model feeding ``layer`` (through its nodes in this model)."""
    parents = []
    for node in getattr(layer, "_inbound_nodes", []):
        for tensor in getattr(node, "input_tensors", []) or []:
            history = getattr(tensor, "_keras_history", None)
            if history is not None and history.operation in layer_set:
                parents.append(history.operation)
    return parents


def _upsampling_growth(layer):
    """(growth pair, factor pair) of an upsampling layer, else None.

    A unit of ``Conv2DTranspose`` (kernel k, stride s) sums the input units i with
    o = s*i + t, 0 <= t < k: at most ceil(k/s) neighbouring input units, so its field is
    r_in + (ceil(k/s) - 1) * j_in, and neighbouring output units are j_in / s pixels apart.
    ``UpSampling2D`` (size s) copies one input unit: growth 0.
    """
    kind = type(layer).__name__
    if kind == "Conv2DTranspose":
        k, s = as_pair(layer.kernel_size, "kernel_size"), as_pair(layer.strides, "strides")
        d = as_pair(layer.dilation_rate, "dilation_rate")
        k_eff = [d[a] * (k[a] - 1) + 1 for a in range(2)]
        return tuple(-(-k_eff[a] // s[a]) - 1 for a in range(2)), s
    if kind == "UpSampling2D":
        return (0, 0), as_pair(layer.size, "size")
    return None


def _window(layer):
    """(kernel pair, stride pair, dilation pair) of a conv/pool layer, else None."""
    kind = type(layer).__name__
    if kind == "Conv2DTranspose":
        return None  # an upsampling layer: see _upsampling_growth
    if kind in _CONV_TYPES:
        return (as_pair(layer.kernel_size, "kernel_size"), as_pair(layer.strides, "strides"),
                as_pair(layer.dilation_rate, "dilation_rate"))
    if kind in _POOL_TYPES:
        return as_pair(layer.pool_size, "pool_size"), as_pair(layer.strides, "strides"), (1, 1)
    return None


def layer_table(model) -> list[dict]:
    """One row per layer: name, type, output shape, params, receptive field, jump.

    The receptive field (input pixels seen by one unit, per axis) is tracked through
    conv and pooling layers with the recurrence of :func:`receptive_field`; where
    branches merge (Add, Concatenate) the largest field wins.  It is reported for
    conv/pool/upsampling layers only (None elsewhere, and for nested models or global pooling).

    Upsampling (``Conv2DTranspose``, ``UpSampling2D``, stride s): a unit sees at most
    ceil(k/s) neighbouring input units, so r_out = r_in + (ceil(k/s) - 1) * j_in (the
    largest field over the units; 0 growth for k = s) and the jump becomes j_in / s.
    After an upsampling layer the units no longer all see the same number of pixels
    (it depends on where a unit sits relative to the s-fold grid), so one number per
    layer is no longer exact: those layers get ``receptive_field`` None and
    ``after_upsampling`` True (``format_layer_table`` prints "n/a").
    """
    layers = list(model.layers)
    layer_set = set(layers)
    state = {}  # layer -> ((rf_h, rf_w), (jump_h, jump_w)) or None when unknown
    upsampled = set()  # layers downstream of an upsampling layer
    rows = []
    for layer in layers:
        kind = type(layer).__name__
        parents = _inbound_layers(layer, layer_set)
        if kind == "InputLayer" or not parents:
            here = ((1, 1), (1, 1))
        else:
            known = [state[p] for p in parents if state.get(p) is not None]
            here = None
            if len(known) == len(parents):
                here = (tuple(max(k[0][a] for k in known) for a in range(2)),
                        tuple(max(k[1][a] for k in known) for a in range(2)))
            if kind.startswith("Global") or kind in ("Flatten", "Functional", "Sequential", "Model"):
                here = None
        after_up = any(p in upsampled for p in parents)
        window, up = _window(layer), _upsampling_growth(layer)
        if after_up:
            here = None
        elif here is not None and window is not None:
            (k, s, d), (rf, jump) = window, here
            steps = [_rf_step(rf[a], jump[a], k[a], s[a], d[a]) for a in range(2)]
            here = (tuple(st[0] for st in steps), tuple(st[1] for st in steps))
        elif here is not None and up is not None:
            (growth, factor), (rf, jump) = up, here
            here = (tuple(rf[a] + growth[a] * jump[a] for a in range(2)),
                    tuple(Fraction(jump[a], factor[a]) for a in range(2)))
        if after_up or up is not None:
            upsampled.add(layer)
        state[layer] = here
        shape = getattr(layer, "output", None)
        shape = tuple(shape.shape) if shape is not None and hasattr(shape, "shape") else None
        show_rf = (window is not None or up is not None) and here is not None
        rows.append({
            "name": layer.name,
            "type": kind,
            "output_shape": shape,
            "params": int(layer.count_params()) if layer.built else 0,
            "receptive_field": here[0] if show_rf else None,
            "jump": here[1] if show_rf else None,
            "after_upsampling": after_up and (window is not None or up is not None),
        })
    return rows


def format_layer_table(rows) -> str:
    """The rows of :func:`layer_table` as a fixed-width text table with a total."""
    lines = [f"{'layer':<22}{'type':<22}{'output shape':<22}{'params':>12}  receptive field"]
    for r in rows:
        rf = r["receptive_field"]
        rf_text = "" if rf is None else f"{rf[0]}x{rf[1]}"
        if r.get("after_upsampling"):
            rf_text = "n/a (after upsampling)"
        shape = "" if r["output_shape"] is None else str(tuple(r["output_shape"]))
        lines.append(f"{r['name'][:21]:<22}{r['type'][:21]:<22}{shape:<22}{r['params']:>12,}  {rf_text}")
    lines.append(f"{'total':<66}{sum(r['params'] for r in rows):>12,}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# The lecture's table of pretrained networks, recomputed
# ---------------------------------------------------------------------------

# Transcribed from Salvatore's lecture (IUSS Pavia), which shows MATLAB's
# "pretrained deep neural networks" table: name, depth, size (MB), parameters
# (millions), image input size.  depth None is the table's "*".
LECTURE_PRETRAINED_TABLE = [
    ("squeezenet", 18, 5.2, 1.24, 227),
    ("googlenet", 22, 27, 7.0, 224),
    ("inceptionv3", 48, 89, 23.9, 299),
    ("densenet201", 201, 77, 20.0, 224),
    ("mobilenetv2", 53, 13, 3.5, 224),
    ("resnet18", 18, 44, 11.7, 224),
    ("resnet50", 50, 96, 25.6, 224),
    ("resnet101", 101, 167, 44.6, 224),
    ("xception", 71, 85, 22.9, 299),
    ("inceptionresnetv2", 164, 209, 55.9, 299),
    ("shufflenet", 50, 5.4, 1.4, 224),
    ("nasnetmobile", None, 20, 5.3, 224),
    ("nasnetlarge", None, 332, 88.9, 331),
    ("darknet19", 19, 78, 20.8, 256),
    ("darknet53", 53, 155, 41.6, 256),
    ("efficientnetb0", 82, 20, 5.3, 224),
    ("alexnet", 8, 227, 61.0, 227),
    ("vgg16", 16, 515, 138, 224),
    ("vgg19", 19, 535, 144, 224),
]

# the table's name -> keras.applications constructor; the rest are not in keras.applications.
KERAS_APPLICATIONS = {
    "inceptionv3": "InceptionV3",
    "densenet201": "DenseNet201",
    "mobilenetv2": "MobileNetV2",
    "resnet50": "ResNet50",
    "resnet101": "ResNet101",
    "xception": "Xception",
    "inceptionresnetv2": "InceptionResNetV2",
    "nasnetmobile": "NASNetMobile",
    "nasnetlarge": "NASNetLarge",
    "efficientnetb0": "EfficientNetB0",
    "vgg16": "VGG16",
    "vgg19": "VGG19",
}

_WEIGHTED_PATH_TYPES = _CONV_TYPES + ("Dense",)
_NETWORK_CACHE: dict[str, dict] = {}


def _network_stats(model) -> dict:
    """Parameter count, layers with weights, and conv/dense depth of a built model."""
    layers = list(model.layers)
    layer_set = set(layers)
    longest = {}
    for layer in layers:  # model.layers is in topological order
        parents = _inbound_layers(layer, layer_set)
        before = max((longest[p] for p in parents), default=0)
        kind = type(layer).__name__
        # a separable conv is two layers in sequence (depthwise, then 1x1 pointwise), as MATLAB counts it
        longest[layer] = before + (2 if kind == "SeparableConv2D" else kind in _WEIGHTED_PATH_TYPES)
    shape = model.input_shape
    return {
        "params": int(model.count_params()),
        "trainable": int(sum(np.prod(w.shape) for w in model.trainable_weights)),
        "layers_with_weights": sum(1 for layer in layers if layer.weights),
        "conv_dense_depth": max(longest.values()),
        "input_size": int(shape[1]) if shape[1] is not None else None,
    }


def _compute_network(name: str) -> dict:
    if name not in _NETWORK_CACHE:
        keras = import_keras()
        if name == "alexnet":
            model = build_alexnet()
        else:
            model = getattr(keras.applications, KERAS_APPLICATIONS[name])(weights=None)
        _NETWORK_CACHE[name] = _network_stats(model)
        del model
        keras.backend.clear_session()  # free the graph: the big ones hold ~0.5 GB
    return _NETWORK_CACHE[name]


# networks whose parameters coursekit counts from the configuration (instant) instead of building them
# in Keras (8-20 s each): the counts equal keras.applications' count_params (tests/test_cnn_architectures.py)
COUNTED_FROM_CONFIGURATION = {
    "resnet50": lambda: resnet_param_count((3, 4, 6, 3)),
    "resnet101": lambda: resnet_param_count((3, 4, 23, 3)),
    "densenet201": lambda: densenet_param_count((6, 12, 48, 32)),
    "vgg16": lambda: vgg_param_count((2, 2, 3, 3, 3)),
    "vgg19": lambda: vgg_param_count((2, 2, 4, 4, 4)),
}


def vgg_param_count(convs_per_stage=(2, 2, 3, 3, 3), num_classes: int = 1000) -> dict:
    """Parameters of ``keras.applications.VGG16`` ((2, 2, 3, 3, 3)) / ``VGG19`` ((2, 2, 4, 4, 4)).

    Conv 3x3 with bias, channels 64, 128, 256, 512, 512 per stage, a 2x2 max-pool after each stage
    (224 -> 7), then Dense 7*7*512 -> 4096 -> 4096 -> num_classes.  No batch norm: every parameter is
    trainable.  Returns ``{"total", "trainable", "non_trainable", "conv_dense_depth"}``.
    """
    weights, c_in = 0, 3
    for n, f in zip(convs_per_stage, (64, 128, 256, 512, 512)):
        for _ in range(int(n)):
            weights += _conv_count(3, c_in, f)
            c_in = f
    weights += (7 * 7 * 512 + 1) * 4096 + (4096 + 1) * 4096 + (4096 + 1) * num_classes
    return {"total": weights, "trainable": weights, "non_trainable": 0,
            "conv_dense_depth": sum(convs_per_stage) + 3}


def pretrained_networks_table(names=None, counted=()) -> list[dict]:
    """The lecture's pretrained-network table beside numbers recomputed in Keras.

    ``names``: names from the table to compute (default: every one that can be
    built); the others keep only the lecture's numbers.  Building a graph with ``weights=None``
    downloads nothing but takes 1-20 s per network (VGG16/19 and NASNetLarge are the
    slowest), so results are cached in memory for the session.

    Each row: ``name``, ``keras_name``, the lecture's ``lecture_depth``,
    ``lecture_size_mb``, ``lecture_params_m``, ``lecture_input``; and when computed:
      ``params_m``         Keras ``count_params()`` / 1e6 (with the 1000-class top)
      ``conv_dense_depth`` the longest input-to-output path counting conv
                           (incl. depthwise) and dense layers, a separable conv as
                           two: MATLAB's definition of depth ("the largest number of
                           sequential convolutional or fully connected layers on a
                           path from the input layer to the output layer"), which
                           the lecture's table (MATLAB's) uses
      ``layers_with_weights``  layers holding weights, incl. BatchNormalization:
                           the "Depth" column of keras.io/api/applications
      ``size_mb``          params * 4 bytes / 1e6 (float32 weights, no file overhead)
      ``input_size``       default input height = width in Keras
      ``note``             why a row is not computed, or how it was built.
      ``trainable_params_m``  trainable parameters / 1e6: ``count_params`` without batch
                           norm's moving mean and variance, which are stored but not learned
      ``method``           "keras.applications", "coursekit build_alexnet" or "counted from the
                           configuration"
    AlexNet is not in ``keras.applications``; its row comes from :func:`build_alexnet`.
    ``counted``: names (of ``COUNTED_FROM_CONFIGURATION``: ResNet-50/101, DenseNet-201, VGG-16/19)
    whose parameters and conv+dense depth are counted from the configuration
    (:func:`resnet_param_count`, ...), in no time and equal to Keras's; their ``layers_with_weights``
    and ``input_size`` stay None.  A name in both ``names`` and ``counted`` is built in Keras.
    """
    available = set(KERAS_APPLICATIONS) | {"alexnet"}
    table_names = [row[0] for row in LECTURE_PRETRAINED_TABLE]
    if names is None:
        wanted = available
    else:
        names = [names] if isinstance(names, str) else list(names)
        unknown = [n for n in names if n not in table_names]
        if unknown:
            raise ValueError(f"names: {unknown} are not in the lecture's table; choose from {table_names}")
        not_buildable = [n for n in names if n not in available]
        if not_buildable:
            raise ValueError(f"names: {not_buildable} cannot be built (not in keras.applications); "
                             f"buildable: {sorted(available)}")
        wanted = set(names)
    counted = [counted] if isinstance(counted, str) else list(counted)
    unknown = [n for n in counted if n not in COUNTED_FROM_CONFIGURATION]
    if unknown:
        raise ValueError(f"counted: {unknown} cannot be counted from a configuration; "
                         f"choose from {sorted(COUNTED_FROM_CONFIGURATION)}")
    rows = []
    for name, depth, size, params, size_in in LECTURE_PRETRAINED_TABLE:
        row = {"name": name, "keras_name": KERAS_APPLICATIONS.get(name), "lecture_depth": depth,
               "lecture_size_mb": size, "lecture_params_m": params, "lecture_input": size_in,
               "params_m": None, "conv_dense_depth": None, "layers_with_weights": None,
               "size_mb": None, "input_size": None, "trainable_params_m": None, "method": None, "note": ""}
        if name not in available:
            row["note"] = "not in keras.applications"
        elif name in wanted:
            stats = _compute_network(name)
            row.update(params_m=stats["params"] / 1e6, conv_dense_depth=stats["conv_dense_depth"],
                       layers_with_weights=stats["layers_with_weights"],
                       trainable_params_m=stats["trainable"] / 1e6,
                       size_mb=stats["params"] * 4 / 1e6, input_size=stats["input_size"],
                       method="keras.applications")
            if name == "alexnet":
                row["note"] = "not in keras.applications; coursekit build_alexnet (2 groups)"
                row["method"] = "coursekit build_alexnet"
        elif name in counted:
            stats = COUNTED_FROM_CONFIGURATION[name]()
            row.update(params_m=stats["total"] / 1e6, trainable_params_m=stats["trainable"] / 1e6,
                       conv_dense_depth=stats["conv_dense_depth"], size_mb=stats["total"] * 4 / 1e6,
                       method="counted from the configuration")
        else:
            row["note"] = "not computed (not requested)"
        rows.append(row)
    return rows


# ---------------------------------------------------------------------------
# Lecture demonstrations: receptive fields counted, skip connections, a tiny U-Net
# ---------------------------------------------------------------------------
# What lecture 5 measures beside the architectures; coursekit.widgets.cnn_architectures
# draws the results.

def conv_pool_stack(num_layers: int, kernel_size: int, stride: int, pool_every: int = 0) -> list[tuple[int, int, str]]:
    """The layers of a plain conv stack, input side first: ``[(kernel, stride, kind), ...]``.

    ``num_layers`` convolutions (kind ``"conv"``) of ``kernel_size`` / ``stride``; when
    ``pool_every`` is n > 0, a 2/2 max-pool (kind ``"max-pool"``) follows every n-th conv.
    """
    layers = []
    for i in range(1, num_layers + 1):
        layers.append((kernel_size, stride, "conv"))
        if pool_every and i % pool_every == 0:
            layers.append((2, 2, "max-pool"))
    return layers


def influence_sets(num_layers: int, kernel_size: int, stride: int, pool_every: int = 0) -> list[np.ndarray]:
    """Which units of every layer one top unit depends on, walking down a 1-D "valid" stack.

    The stack is :func:`conv_pool_stack`; a layer with kernel k and stride s maps unit u to
    the units ``u*s .. u*s + k - 1`` below it.  Returns the index arrays from the top unit
    (``[0]``) down to the input pixels: ``len(result[-1])`` is the receptive field counted
    directly, independently of the recurrence in :func:`receptive_field`.
    """
    sets = [np.array([0])]
    for k, s, _ in reversed(conv_pool_stack(num_layers, kernel_size, stride, pool_every)):
        sets.append(np.unique((sets[-1][:, None] * s + np.arange(k)[None, :]).ravel()))
    return sets


def skip_gradient_norms(images, labels, num_blocks: int = 10, filters: int = 16, seed: int = 0,
                        kernel_initializer: str = "glorot_uniform", batch_norm: bool = False,
                        kinds=("plain", "residual")) -> dict:
    """Gradient norm of every conv kernel in a deep plain stack and in the same stack with skips.

    images: (N, H, W) or (N, H, W, C); labels: (N,) integer classes.  Both networks: a
    Conv ``filters``@3x3 stem, then ``num_blocks`` blocks of two Conv 3x3 layers ("same", ReLU
    after the first and after the block), global average pooling and a Dense softmax.  The
    residual version adds each block's input to its output (``x + F(x)``), as ResNet does.

    The two factors the architecture is often confused with are parameters, equal for both
    networks: ``kernel_initializer`` of every conv (Keras's default ``"glorot_uniform"``,
    Var(w) = 2 / (fan_in + fan_out), which halves a ReLU signal's second moment per layer;
    ``"he_normal"``, Var(w) = 2 / fan_in, keeps it) and ``batch_norm`` (a BatchNormalization,
    in training mode, after every conv).  One batch, sparse categorical cross-entropy,
    gradients by ``tf.GradientTape``; ``seed`` gives both networks the same initial weights.
    ``kinds`` chooses which of "plain" / "residual" to build.
    Returns ``{"plain": [norm per conv, stem first], "residual": [...], "layers": [names],
    "loss": {"plain": float, "residual": float}, "kernel_initializer": str, "batch_norm": bool}``.
    """
    keras = import_keras()
    import tensorflow as tf

    L = keras.layers
    x = np.asarray(images, dtype=np.float32)
    if x.ndim == 3:
        x = x[..., None]
    y = np.asarray(labels)
    result: dict = {"loss": {}, "kernel_initializer": kernel_initializer, "batch_norm": bool(batch_norm)}

    def conv(t, name, relu):
        t = L.Conv2D(filters, 3, padding="same", kernel_initializer=kernel_initializer, name=name)(t)
        if batch_norm:
            t = L.BatchNormalization(name=f"{name}_bn")(t)
        return L.ReLU()(t) if relu else t

    for kind in kinds:
        if kind not in ("plain", "residual"):
            raise ValueError(f"kinds: {kind!r} is neither 'plain' nor 'residual'")
        keras.utils.set_random_seed(seed)
        inputs = keras.Input(shape=x.shape[1:])
        h = conv(inputs, "stem", True)
        for b in range(num_blocks):
            f = conv(h, f"b{b + 1}_conv1", True)
            f = conv(f, f"b{b + 1}_conv2", False)
            h = L.ReLU()(L.Add()([h, f]) if kind == "residual" else f)
        out = L.Dense(int(y.max()) + 1, activation="softmax")(L.GlobalAveragePooling2D()(h))
        model = keras.Model(inputs, out)
        convs = [layer for layer in model.layers if isinstance(layer, L.Conv2D)]
        loss_fn = keras.losses.SparseCategoricalCrossentropy()
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, [c.kernel for c in convs])
        result[kind] = [float(np.linalg.norm(np.asarray(g))) for g in grads]
        result["layers"] = [c.name for c in convs]
        result["loss"][kind] = float(loss)
    return result


def build_tiny_unet(input_shape=(64, 64, 1), base_filters: int = 8, levels: int = 2, num_classes: int = 1):
    """A small U-Net (Ronneberger et al. 2015): encoder, bottleneck, decoder with skip concatenations.

    Each encoder level: two Conv 3x3 "same" ReLU, then MaxPool 2; each decoder level:
    Conv2DTranspose 2/2, concatenate the encoder's feature map of the same size, two Conv 3x3.
    Filters double per level.  A final 1x1 conv gives one score map per class (sigmoid for
    one class, softmax otherwise): input ``(H, W, C)`` -> output ``(H, W, num_classes)``,
    H and W divisible by ``2**levels``.
    """
    keras = import_keras()
    L = keras.layers
    inputs = keras.Input(shape=tuple(input_shape), name="image")
    skips, x = [], inputs
    for level in range(levels):
        f = base_filters * 2**level
        x = L.Conv2D(f, 3, padding="same", activation="relu", name=f"enc{level + 1}_a")(x)
        x = L.Conv2D(f, 3, padding="same", activation="relu", name=f"enc{level + 1}_b")(x)
        skips.append(x)
        x = L.MaxPooling2D(2, name=f"down{level + 1}")(x)
    f = base_filters * 2**levels
    x = L.Conv2D(f, 3, padding="same", activation="relu", name="bottleneck_a")(x)
    x = L.Conv2D(f, 3, padding="same", activation="relu", name="bottleneck_b")(x)
    for level in reversed(range(levels)):
        f = base_filters * 2**level
        x = L.Conv2DTranspose(f, 2, strides=2, name=f"up{level + 1}")(x)
        x = L.Concatenate(name=f"skip{level + 1}")([x, skips[level]])
        x = L.Conv2D(f, 3, padding="same", activation="relu", name=f"dec{level + 1}_a")(x)
        x = L.Conv2D(f, 3, padding="same", activation="relu", name=f"dec{level + 1}_b")(x)
    activation = "sigmoid" if num_classes == 1 else "softmax"
    outputs = L.Conv2D(num_classes, 1, activation=activation, name="scores")(x)
    return keras.Model(inputs, outputs, name="tiny_unet")


# ---------------------------------------------------------------------------
# Parameter counts from a configuration, where a share is, up-sampling, what a class looks like
# ---------------------------------------------------------------------------

def _conv_count(kernel: int, in_channels: int, filters: int, bias: bool = True) -> int:
    return kernel * kernel * in_channels * filters + (filters if bias else 0)


def resnet_param_count(blocks=(3, 4, 6, 3), num_classes: int = 1000) -> dict:
    """Parameters of ``keras.applications.ResNet50`` / ``ResNet101`` / ``ResNet152``, counted from the configuration.

    ``blocks``: bottleneck blocks per stage ((3, 4, 6, 3) for ResNet-50, (3, 4, 23, 3) for ResNet-101,
    (3, 8, 36, 3) for ResNet-152); stage widths 64, 128, 256, 512.  As Keras builds it:

        stem:        Conv 7x7/2, 3 -> 64 (with bias), BatchNorm
        bottleneck:  Conv 1x1 (c_in -> f), Conv 3x3 (f -> f), Conv 1x1 (f -> 4f), each with bias
                     and a BatchNorm; the first block of a stage adds a Conv 1x1 (c_in -> 4f) + BatchNorm
                     on the shortcut
        top:         global average pooling, Dense 2048 -> num_classes

    A BatchNormalization over c channels holds 4c numbers: gamma and beta (trained) and the moving
    mean and variance (not trained, but counted by ``count_params``).
    Returns ``{"total", "trainable", "non_trainable", "conv_dense_depth"}`` (the last: the longest
    path of conv and dense layers, 1 + 3 * sum(blocks) + 1).
    """
    weights, bn_channels, c_in = _conv_count(7, 3, 64), 64, 64
    for n, f in zip(blocks, (64, 128, 256, 512)):
        for b in range(int(n)):
            if b == 0:
                weights += _conv_count(1, c_in, 4 * f)
                bn_channels += 4 * f
            weights += _conv_count(1, c_in, f) + _conv_count(3, f, f) + _conv_count(1, f, 4 * f)
            bn_channels += 6 * f
            c_in = 4 * f
    weights += c_in * num_classes + num_classes
    return {"total": weights + 4 * bn_channels, "trainable": weights + 2 * bn_channels,
            "non_trainable": 2 * bn_channels, "conv_dense_depth": 3 * sum(blocks) + 2}


def densenet_param_count(blocks=(6, 12, 48, 32), growth_rate: int = 32, num_classes: int = 1000) -> dict:
    """Parameters of ``keras.applications.DenseNet121`` / ``169`` / ``201``, counted from the configuration.

    ``blocks``: layers per dense block ((6, 12, 24, 16) for DenseNet-121, (6, 12, 32, 32) for 169,
    (6, 12, 48, 32) for 201).  As Keras builds it (no conv has a bias):

        stem:        Conv 7x7/2, 3 -> 64, BatchNorm
        dense layer: BatchNorm(c), Conv 1x1 c -> 4k, BatchNorm(4k), Conv 3x3 4k -> k; its k output
                     maps are concatenated to its input: c -> c + k   (k = growth_rate)
        transition:  BatchNorm(c), Conv 1x1 c -> c // 2, average pooling (between blocks)
        top:         BatchNorm, global average pooling, Dense c -> num_classes (with bias)

    A BatchNormalization over c channels holds 4c numbers (gamma, beta trained; moving mean and
    variance not trained, but counted by ``count_params``).  Returns ``{"total", "trainable",
    "non_trainable", "conv_dense_depth"}`` (1 + 2 * sum(blocks) + transitions + 1).
    """
    weights, bn_channels, c = _conv_count(7, 3, 64, bias=False), 64, 64
    for i, n in enumerate(blocks):
        for _ in range(int(n)):
            bn_channels += c + 4 * growth_rate
            weights += _conv_count(1, c, 4 * growth_rate, bias=False)
            weights += _conv_count(3, 4 * growth_rate, growth_rate, bias=False)
            c += growth_rate
        if i < len(blocks) - 1:
            bn_channels += c
            weights += _conv_count(1, c, c // 2, bias=False)
            c //= 2
    bn_channels += c
    weights += c * num_classes + num_classes
    return {"total": weights + 4 * bn_channels, "trainable": weights + 2 * bn_channels,
            "non_trainable": 2 * bn_channels, "conv_dense_depth": 2 * sum(blocks) + len(blocks) + 1}


def dense_parameter_shares(model) -> dict:
    """Where a model's parameters are: each Dense layer's count and share, and all Dense layers together.

    Returns ``{"total": int, "dense": {name: params}, "dense_total": int, "shares": {name: share},
    "dense_share": float}`` with shares as fractions of ``model.count_params()``.
    """
    keras = import_keras()
    total = int(model.count_params())
    dense = {layer.name: int(layer.count_params()) for layer in model.layers
             if isinstance(layer, keras.layers.Dense)}
    dense_total = sum(dense.values())
    return {"total": total, "dense": dense, "dense_total": dense_total,
            "shares": {k: v / total for k, v in dense.items()}, "dense_share": dense_total / total}


def upsampling_comparison(x, kernel) -> dict[str, np.ndarray]:
    """Three ways back up from a 2x2 max-pooled map, on one small array ``x`` (H, W), H and W even.

    Returns, in order:
      ``"input"``            x
      ``"max-pooled"``       2x2 max pooling, stride 2: (H/2, W/2)
      ``"max unpooling"``    each pooled value put back where its maximum was, zeros elsewhere
                             (the pooling's "switches"; NumPy): (H, W)
      ``"UpSampling2D"``     ``keras.layers.UpSampling2D(2)`` of the pooled map: each value repeated
                             in a 2x2 block (nearest neighbour), no parameters
      ``"Conv2DTranspose"``  ``keras.layers.Conv2DTranspose(1, 2, strides=2, use_bias=False)`` with
                             its kernel set to ``kernel`` (2x2): each value times the kernel, placed in
                             a 2x2 block, ``out[2i + a, 2j + b] = pooled[i, j] * kernel[a, b]``.  The
                             kernel is a weight the network learns: a learned up-sampling.
    Max unpooling and UpSampling2D are fixed operations; only the transposed convolution learns.
    """
    keras = import_keras()
    x = as_float_array(x, "x", ndim=2)
    h, w = x.shape
    if h % 2 or w % 2:
        raise ValueError(f"x must have even height and width; got shape {x.shape}")
    k = as_float_array(kernel, "kernel", ndim=2)
    if k.shape != (2, 2):
        raise ValueError(f"kernel must be 2x2; got shape {k.shape}")
    blocks = x.reshape(h // 2, 2, w // 2, 2).transpose(0, 2, 1, 3).reshape(h // 2, w // 2, 4)
    pooled = blocks.max(axis=-1)
    where = blocks.argmax(axis=-1)
    unpooled = np.zeros_like(x)
    for i in range(h // 2):
        for j in range(w // 2):
            a, b = divmod(int(where[i, j]), 2)
            unpooled[2 * i + a, 2 * j + b] = pooled[i, j]
    batch = pooled[None, :, :, None].astype(np.float32)
    repeated = np.asarray(keras.layers.UpSampling2D(2)(batch))[0, :, :, 0]
    transposed = keras.layers.Conv2DTranspose(1, 2, strides=2, use_bias=False)
    transposed.build(batch.shape)
    transposed.set_weights([k.astype(np.float32)[:, :, None, None]])
    learned = np.asarray(transposed(batch))[0, :, :, 0]
    return {"input": x, "max-pooled": pooled, "max unpooling": unpooled,
            "UpSampling2D": repeated.astype(np.float64), "Conv2DTranspose": learned.astype(np.float64)}


def activation_maximization(model, classes=None, steps: int = 40, learning_rate: float = 0.05,
                            l2: float = 0.05, logits_layer: str = "output", start: float = 0.5,
                            seed: int = 0) -> dict:
    """One input per class that the model scores highest: gradient ascent on the input image.

    The objective for class c, on an image x with pixels in [0, 1] (the model's input range):

        J_c(x) = z_c(x) - l2 * ||x - start||^2

    where z_c is the pre-softmax score (logit) of class c: the layer ``logits_layer`` (a Dense
    layer, softmax or not) applied without its activation.  Each of ``steps`` steps takes
    x <- clip(x + learning_rate * g / max|g|, 0, 1) with g = dJ_c/dx (``tf.GradientTape``; the
    step is normalised per image, so ``learning_rate`` is the largest pixel change).  All classes
    run as one batch, starting from ``start`` plus small noise (``seed``).  The model is used in
    inference mode (dropout off) and is not changed.

    ``classes``: class indices (default: every output).  Returns ``{"images": (n, H, W, C),
    "classes": array, "logits": (n, num_classes) final logits, "probabilities": the model's softmax
    output on the images, "objective": (steps + 1, n) J_c along the way}``.
    """
    keras = import_keras()
    import tensorflow as tf

    head = model.get_layer(logits_layer)
    kernel, bias = head.kernel, head.bias
    features = keras.Model(model.inputs, head.input)
    num_classes = int(kernel.shape[-1])
    classes = np.arange(num_classes) if classes is None else np.asarray(classes, dtype=int).ravel()
    if classes.size == 0 or classes.min() < 0 or classes.max() >= num_classes:
        raise ValueError(f"classes must be indices in [0, {num_classes}); got {classes}")
    steps = check_scalar(steps, "steps", int, min_val=1)
    shape = (len(classes),) + tuple(int(d) for d in model.input_shape[1:])
    rng = np.random.default_rng(seed)
    x = tf.Variable(np.clip(start + rng.normal(0.0, 0.01, size=shape), 0, 1).astype(np.float32))
    onehot = tf.one_hot(classes, num_classes)
    history = []

    def objective():
        z = tf.matmul(features([x], training=False), kernel) + bias
        score = tf.reduce_sum(z * onehot, axis=1)
        penalty = l2 * tf.reduce_sum(tf.reshape((x - start) ** 2, (len(classes), -1)), axis=1)
        return score - penalty, z

    for _ in range(steps):
        with tf.GradientTape() as tape:
            j, _ = objective()
            total = tf.reduce_sum(j)
        history.append(np.asarray(j))
        g = tape.gradient(total, x)
        scale = tf.reduce_max(tf.abs(tf.reshape(g, (len(classes), -1))), axis=1) + 1e-12
        x.assign(tf.clip_by_value(x + learning_rate * g / tf.reshape(scale, (-1,) + (1,) * (len(shape) - 1)), 0, 1))
    j, z = objective()
    history.append(np.asarray(j))
    images = np.asarray(x)
    return {"images": images, "classes": classes, "logits": np.asarray(z),
            "probabilities": np.asarray(model(images, training=False)), "objective": np.array(history)}
