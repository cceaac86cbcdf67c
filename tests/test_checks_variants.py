"""For every contract function: at least two correct styles get full marks, and at least two
realistic wrong versions lose points with the expected diagnosis (checker called directly)."""

from __future__ import annotations

import numpy as np
import pytest

from coursekit.checks import EXERCISES, check

from conftest import REPO
from test_checks import as32, full_marks, loses


@pytest.fixture(scope="module")
def S(keras):
    ns = {"np": np, "keras": keras}
    exec(compile((REPO / "solutions" / "solutions_src.py").read_text(), "solutions_src.py", "exec"), ns)
    return ns


def _sm(z, axis=-1):
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# ----------------------------------------------------------------------------- correct alternatives

def alternatives(S, keras):
    """name -> a correct implementation in another style than the solution's."""
    L = keras.layers

    def conv2d_einsum(x, kernel, bias=None, strides=1, padding="valid"):
        sh, sw = (strides, strides) if np.isscalar(strides) else strides
        kh, kw = kernel.shape[:2]
        if padding == "same":
            ph, pw = (S["same_padding"](x.shape[1], kh, sh), S["same_padding"](x.shape[2], kw, sw))
            x = np.pad(x, ((0, 0), ph, pw, (0, 0)))
        win = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(1, 2))[:, ::sh, ::sw]
        out = np.einsum("nijcab,abcf->nijf", win, kernel)
        return out if bias is None else out + bias

    def sigmoid_logaddexp(z):
        return np.exp(-np.logaddexp(0.0, -np.asarray(z, float)))

    def softmax_lse(z, axis=-1):
        z = np.asarray(z, float)
        m = z.max(axis=axis, keepdims=True)
        return np.exp(z - m - np.log(np.exp(z - m).sum(axis=axis, keepdims=True)))

    def dense_backward_einsum(dout, x, kernel):
        return np.einsum("nu,iu->ni", dout, kernel), np.einsum("ni,nu->iu", x, dout), np.einsum("nu->u", dout)

    def lenet_sequential(input_shape=(32, 32, 1), num_classes=10):
        return keras.Sequential([keras.Input(input_shape), L.Conv2D(6, (5, 5), activation="tanh"), L.AveragePooling2D(2),
                                 L.Conv2D(16, 5, activation="tanh"), L.AveragePooling2D((2, 2)), L.Flatten(),
                                 L.Dense(120, activation="tanh"), L.Dense(84, activation="tanh"),
                                 L.Dense(num_classes, activation="softmax")])

    def residual_nobias(x, filters, strides=1):
        shortcut = x
        if strides != 1 or x.shape[-1] != filters:  # shortcut first: another build order
            shortcut = L.BatchNormalization()(L.Conv2D(filters, 1, strides=strides, use_bias=False)(x))
        m = L.ReLU()(L.BatchNormalization()(L.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False)(x)))
        m = L.BatchNormalization()(L.Conv2D(filters, 3, padding="same", use_bias=False)(m))
        return L.ReLU()(L.add([shortcut, m]))

    def inception_pool_first(x, f1, f3r, f3, f5r, f5, fp):
        b4 = L.Conv2D(fp, 1, activation="relu")(L.MaxPool2D(3, 1, padding="same")(x))
        b3 = L.Conv2D(f5, 5, padding="same", activation="relu")(L.Conv2D(f5r, 1, activation="relu")(x))
        b2 = L.Conv2D(f3, 3, padding="same", activation="relu")(L.Conv2D(f3r, 1, activation="relu")(x))
        b1 = L.Conv2D(f1, 1, activation="relu")(x)
        return L.concatenate([b1, b2, b3, b4])

    def transfer_separate_softmax(base_model, num_classes, dropout_rate=0.2):
        base_model.trainable = False
        inp = keras.Input(base_model.input_shape[1:])
        x = base_model(inp, training=False)
        if x.shape.rank == 4 if hasattr(x.shape, "rank") else len(x.shape) == 4:
            x = L.GlobalAveragePooling2D()(x)
        x = L.Dense(num_classes)(L.Dropout(rate=dropout_rate)(x))
        return keras.Model(inp, L.Activation("softmax")(x))

    def extract_predict(base_model, images, batch_size=32):
        f = base_model.predict(images, batch_size=batch_size, verbose=0)
        return f.mean(axis=(1, 2)) if f.ndim == 4 else f

    def ng_basis(f, x, h=1e-5):
        x = np.asarray(x, float)
        basis = np.eye(x.size).reshape((x.size,) + x.shape) * h
        return np.array([(f(x + e) - f(x - e)) / (2 * h) for e in basis]).reshape(x.shape)

    def mb_split(x, y, batch_size, shuffle=True, seed=None):
        order = np.random.default_rng(seed).permutation(len(x)) if shuffle else np.arange(len(x))
        for idx in np.array_split(order, range(batch_size, len(x), batch_size)):
            yield x[idx], y[idx]

    def gc_basis(f, x, analytic_grad, h=1e-5):
        n = ng_basis(f, x, h)
        return np.linalg.norm(analytic_grad - n) / max(np.linalg.norm(analytic_grad) + np.linalg.norm(n), 1e-12)

    import math

    def col_math(input_length, kernel_size, stride=1, padding="valid"):
        if padding == "same":
            return math.ceil(input_length / stride)
        return math.floor((input_length - kernel_size) / stride) + 1

    def sp_divmod(input_length, kernel_size, stride=1):
        q, r = divmod(input_length, stride)
        out = q + (r > 0)
        total = max(0, (out - 1) * stride + kernel_size - input_length)
        before, odd = divmod(total, 2)
        return np.array([before, before + odd])

    def unfreeze_by_index(base_model, num_layers):
        # Counts the last `num_layers` non-BatchNormalization layers (the reference's reading), by index.
        base_model.trainable = True
        movable = [i for i, layer in enumerate(base_model.layers) if not isinstance(layer, L.BatchNormalization)]
        top = set(movable[len(movable) - num_layers:]) if num_layers > 0 else set()
        for i, layer in enumerate(base_model.layers):
            layer.trainable = i in top

    return {
        "numerical_gradient": ng_basis, "iterate_minibatches": mb_split, "gradient_check": gc_basis,
        "conv_output_length": col_math, "same_padding": sp_divmod,
        "sigmoid": sigmoid_logaddexp, "softmax": softmax_lse, "conv2d": conv2d_einsum,
        "dense_backward": dense_backward_einsum, "build_lenet5": lenet_sequential, "residual_block": residual_nobias,
        "inception_module": inception_pool_first, "build_transfer_model": transfer_separate_softmax,
        "extract_features": extract_predict, "unfreeze_top_layers": unfreeze_by_index,
        "relu": lambda z: np.where(np.asarray(z) > 0, z, 0.0),
        "leaky_relu": lambda z, negative_slope=0.1: np.maximum(z, 0) + negative_slope * np.minimum(z, 0),
        "elu": lambda z, alpha=1.0: np.maximum(z, 0) + alpha * np.expm1(np.minimum(z, 0)),
        "nand_weights": lambda: (np.array([[-1.0], [-1.0]]), np.array([1.5])),
        "xor_network": lambda: [(np.array([[1.0, 1.0], [1.0, 1.0]]), np.array([-0.5, -1.5])),
                                (np.array([1.0, -2.0]), -0.5)],
        "receptive_field": lambda layers: 1 + sum((k - 1) * int(np.prod([s for _, s in layers[:i]])) for i, (k, _) in enumerate(layers)),
        "conv2d_param_count": lambda kernel_size, in_channels, filters, use_bias=True: int(np.prod(np.broadcast_to(kernel_size, 2))) * in_channels * filters + filters * use_bias,
        "separable_conv_param_count": lambda kernel_size, in_channels, filters: int(np.prod(np.broadcast_to(kernel_size, 2))) * in_channels + (in_channels + 1) * filters,
    }


SKIP_AS32 = {"build_lenet5", "residual_block", "inception_module", "build_transfer_model", "unfreeze_top_layers",
             "extract_features", "train_transfer_model", "nand_weights", "xor_network", "conv_output_length",
             "same_padding", "conv2d_param_count", "separable_conv_param_count", "receptive_field",
             "iterate_minibatches", "numerical_gradient", "gradient_check"}
NAMES = [n for n in EXERCISES if n != "train_transfer_model"]


@pytest.mark.parametrize("name", NAMES)
def test_solution_and_a_second_style_get_full_marks(name, S, keras):
    full_marks(name, S[name])
    alt = alternatives(S, keras).get(name)
    if alt is not None:
        full_marks(name, alt, seed=4)
    if name not in SKIP_AS32:
        full_marks(name, as32(S[name]), seed=5)  # the same method in float32
    assert alt is not None or name not in SKIP_AS32, f"{name} needs a second correct style"


# ----------------------------------------------------------------------------- realistic mistakes

def wrong_versions(S, keras):
    L = keras.layers

    def flipped_conv(x, kernel, bias=None, strides=1, padding="valid"):
        return S["conv2d"](x, kernel[::-1, ::-1], bias, strides, padding)

    def symmetric_same_conv(x, kernel, bias=None, strides=1, padding="valid"):
        if padding == "same":
            s = (strides, strides) if np.isscalar(strides) else strides
            pads = [S["same_padding"](x.shape[i + 1], kernel.shape[i], s[i])[::-1] for i in range(2)]
            x = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
        return S["conv2d"](x, kernel, bias, strides, "valid")

    def lenet_max(input_shape=(32, 32, 1), num_classes=10):
        m = S["build_lenet5"](input_shape, num_classes)
        inp = keras.Input(input_shape)
        x = inp
        for layer in m.layers[1:]:
            x = (L.MaxPooling2D(2) if isinstance(layer, L.AveragePooling2D) else layer.__class__.from_config(layer.get_config()))(x)
        return keras.Model(inp, x)

    def lenet_relu(input_shape=(32, 32, 1), num_classes=10):
        inp = keras.Input(input_shape)
        x = L.AveragePooling2D(2)(L.Conv2D(6, 5, activation="relu")(inp))
        x = L.Flatten()(L.AveragePooling2D(2)(L.Conv2D(16, 5, activation="relu")(x)))
        x = L.Dense(84, activation="relu")(L.Dense(120, activation="relu")(x))
        return keras.Model(inp, L.Dense(num_classes, activation="softmax")(x))

    def residual_relu_before_add(x, filters, strides=1):
        m = L.ReLU()(L.BatchNormalization()(L.Conv2D(filters, 3, strides=strides, padding="same")(x)))
        m = L.ReLU()(L.BatchNormalization()(L.Conv2D(filters, 3, padding="same")(m)))
        sc = x if strides == 1 and x.shape[-1] == filters else L.BatchNormalization()(L.Conv2D(filters, 1, strides=strides)(x))
        return L.Add()([m, sc])

    def residual_no_proj_bn(x, filters, strides=1):
        m = L.ReLU()(L.BatchNormalization()(L.Conv2D(filters, 3, strides=strides, padding="same")(x)))
        m = L.BatchNormalization()(L.Conv2D(filters, 3, padding="same")(m))
        sc = x if strides == 1 and x.shape[-1] == filters else L.Conv2D(filters, 1, strides=strides)(x)
        return L.ReLU()(L.Add()([m, sc]))

    def inception_order(x, f1, f3r, f3, f5r, f5, fp):
        out = S["inception_module"](x, f1, f3r, f3, f5r, f5, fp)
        parts = out._keras_history.operation._inbound_nodes[0].input_tensors
        return L.Concatenate()([parts[0], parts[2], parts[1], parts[3]])

    def inception_no_relu(x, f1, f3r, f3, f5r, f5, fp):
        c = lambda t, f, k: L.Conv2D(f, k, padding="same")(t)  # noqa: E731
        return L.Concatenate()([c(x, f1, 1), c(c(x, f3r, 1), f3, 3), c(c(x, f5r, 1), f5, 5),
                                c(L.MaxPooling2D(3, 1, padding="same")(x), fp, 1)])

    def transfer_not_frozen(base_model, num_classes, dropout_rate=0.2):
        m = S["build_transfer_model"](base_model, num_classes, dropout_rate)
        base_model.trainable = True
        return m

    def transfer_flatten(base_model, num_classes, dropout_rate=0.2):
        base_model.trainable = False
        inp = keras.Input(base_model.input.shape[1:])
        x = base_model(inp, training=False)
        x = L.Flatten()(x) if len(x.shape) == 4 else x
        return keras.Model(inp, L.Dense(num_classes, activation="softmax")(L.Dropout(dropout_rate)(x)))

    def unfreeze_bn_too(base_model, num_layers):
        base_model.trainable = True
        for i, layer in enumerate(base_model.layers):
            layer.trainable = i >= len(base_model.layers) - num_layers

    def unfreeze_bottom(base_model, num_layers):
        base_model.trainable = True
        for i, layer in enumerate(base_model.layers):
            layer.trainable = i < num_layers and not isinstance(layer, L.BatchNormalization)

    def features_drop_last(base_model, images, batch_size=32):
        n = len(images) // batch_size * batch_size
        return S["extract_features"](base_model, images[:n], batch_size)

    def features_flat(base_model, images, batch_size=32):
        f = np.asarray(base_model(images, training=False))
        return f.reshape(len(f), -1)

    def mb_drop_last(x, y, batch_size, shuffle=True, seed=None):
        order = np.random.default_rng(seed).permutation(len(x)) if shuffle else np.arange(len(x))
        for i in range(len(x) // batch_size):
            idx = order[i * batch_size:(i + 1) * batch_size]
            yield x[idx], y[idx]

    def mb_two_perms(x, y, batch_size, shuffle=True, seed=None):
        rng = np.random.default_rng(seed)
        xi = rng.permutation(len(x)) if shuffle else np.arange(len(x))
        yi = rng.permutation(len(x)) if shuffle else np.arange(len(x))
        for s in range(0, len(x), batch_size):
            yield x[xi[s:s + batch_size]], y[yi[s:s + batch_size]]

    def adam_no_correction(w, grad, m, v, t, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        m = beta_1 * m + (1 - beta_1) * grad
        v = beta_2 * v + (1 - beta_2) * grad ** 2
        return w - learning_rate * m / (np.sqrt(v) + epsilon), m, v

    def adam_t0(w, grad, m, v, t, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        return S["adam_update"](w, grad, m, v, t - 1, learning_rate, beta_1, beta_2, epsilon)

    def sgd_ema(w, grad, velocity, learning_rate, momentum=0.0, nesterov=False):
        velocity = momentum * velocity + (1 - momentum) * grad
        return w - learning_rate * velocity, velocity

    def sgd_no_nesterov(w, grad, velocity, learning_rate, momentum=0.0, nesterov=False):
        return S["sgd_update"](w, grad, velocity, learning_rate, momentum, False)

    def gd_aliased(grad_fn, x0, learning_rate, num_steps):
        x = np.asarray(x0, float)
        path = [x]
        for _ in range(num_steps):
            x -= learning_rate * grad_fn(x)
            path.append(x)
        return np.stack(path)

    def mp_zero_pad(x, pool_size=2, strides=None, padding="valid"):
        if padding == "same":
            p = (pool_size, pool_size) if np.isscalar(pool_size) else pool_size
            s = p if strides is None else ((strides, strides) if np.isscalar(strides) else strides)
            pads = [S["same_padding"](x.shape[i + 1], p[i], s[i]) for i in range(2)]
            return S["max_pool2d"](np.pad(x, ((0, 0), pads[0], pads[1], (0, 0))), pool_size, strides, "valid")
        return S["max_pool2d"](x, pool_size, strides, padding)

    def ap_count_pad(x, pool_size=2, strides=None, padding="valid"):
        if padding == "same":
            p = (pool_size, pool_size) if np.isscalar(pool_size) else pool_size
            s = p if strides is None else ((strides, strides) if np.isscalar(strides) else strides)
            pads = [S["same_padding"](x.shape[i + 1], p[i], s[i]) for i in range(2)]
            return S["average_pool2d"](np.pad(x, ((0, 0), pads[0], pads[1], (0, 0))), pool_size, strides, "valid")
        return S["average_pool2d"](x, pool_size, strides, padding)

    def cb_flipped(dout, x, kernel, strides=1, padding="valid"):
        dx, dk, db = S["conv2d_backward"](dout, x, kernel, strides, padding)
        return dx, dk[::-1, ::-1], db

    def mpb_assign(dout, x, pool_size=2, strides=None):
        p = (pool_size, pool_size) if np.isscalar(pool_size) else pool_size
        s = p if strides is None else ((strides, strides) if np.isscalar(strides) else strides)
        dx = np.zeros_like(x)
        for n, i, j, c in np.ndindex(dout.shape):
            w = x[n, i * s[0]:i * s[0] + p[0], j * s[1]:j * s[1] + p[1], c]
            a, b = np.unravel_index(np.argmax(w), w.shape)
            dx[n, i * s[0] + a, j * s[1] + b, c] = dout[n, i, j, c]
        return dx

    def mpb_spread(dout, x, pool_size=2, strides=None):
        p = (pool_size, pool_size) if np.isscalar(pool_size) else pool_size
        s = p if strides is None else ((strides, strides) if np.isscalar(strides) else strides)
        dx = np.zeros_like(x)
        for n, i, j, c in np.ndindex(dout.shape):
            dx[n, i * s[0]:i * s[0] + p[0], j * s[1]:j * s[1] + p[1], c] += dout[n, i, j, c] / (p[0] * p[1])
        return dx

    def mlp_fwd_last_act(x, params, hidden_activation="relu"):
        return np.maximum(S["mlp_forward"](x, params, hidden_activation), 0) if hidden_activation == "relu" else \
            {"tanh": np.tanh, "sigmoid": lambda z: 1 / (1 + np.exp(-z))}[hidden_activation](S["mlp_forward"](x, params, hidden_activation))

    def mlp_bwd_sum(x, y_true, params, hidden_activation="relu"):
        loss, grads = S["mlp_backward"](x, y_true, params, hidden_activation)
        return loss * len(x), [(k * len(x), b * len(x)) for k, b in grads]

    def mlp_bwd_grads(x, y_true, params, hidden_activation="relu"):
        loss, grads = S["mlp_backward"](x, y_true, params, hidden_activation)
        return loss, [(k * len(x), b * len(x)) for k, b in grads]

    def gc_abs(f, x, analytic_grad, h=1e-5):
        rel = S["gradient_check"](f, x, analytic_grad, h)
        x = np.array(x, float)
        n = np.array([(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(x.size).reshape((x.size,) + x.shape)]).reshape(x.shape)
        return float(np.linalg.norm(analytic_grad - n))

    def gc_no_guard(f, x, analytic_grad, h=1e-5):
        x = np.array(x, float)
        n = np.array([(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(x.size).reshape((x.size,) + x.shape)]).reshape(x.shape)
        with np.errstate(all="ignore"):
            return float(np.linalg.norm(analytic_grad - n) / (np.linalg.norm(analytic_grad) + np.linalg.norm(n)))

    def ng_forward(f, x, h=1e-5):
        x = np.array(x, float)
        g = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            xp = x.copy()
            xp[i] += h
            g[i] = (f(xp) - f(x)) / h
        return g

    def ng_no2(f, x, h=1e-5):
        return 2 * S["numerical_gradient"](f, x, h)

    nan_softmax = lambda z, axis=-1: np.exp(z) / np.exp(z).sum(axis=axis, keepdims=True)  # noqa: E731
    return {
        "sigmoid": [(lambda z: 1 / (1 + np.exp(-np.asarray(z, float))), "overflow"),
                    (lambda z: 1 / (1 + np.exp(np.clip(z, -500, 500))), "sign of the exponent")],
        "relu": [(lambda z: (np.asarray(z) > 0) * 1.0, "step function"), (lambda z: np.abs(z), "|z|")],
        "leaky_relu": [(lambda z, negative_slope=0.1: np.where(z >= 0, z, 0.1 * z), "negative_slope ignored"),
                       (lambda z, negative_slope=0.1: np.where(z >= 0, negative_slope * z, z), "positive side")],
        "elu": [(lambda z, alpha=1.0: np.where(z > 0, z, np.expm1(np.minimum(z, 0))), "alpha ignored"),
                (lambda z, alpha=1.0: np.where(z > 0, z, alpha * np.exp(np.minimum(z, 0))), "-1 is missing")],
        "softmax": [(nan_softmax, "overflowed"), (lambda z, axis=-1: _sm(z, -1), "wrong axis")],
        "dense_forward": [(lambda x, kernel, bias, activation=None: S["dense_forward"](x, kernel, 0 * bias, activation), "bias missing"),
                          (lambda x, kernel, bias, activation=None: S["dense_forward"](x, kernel.T, bias, activation), "transposed")],
        "mean_squared_error": [(lambda t, p: np.sum((t - p) ** 2), "summed"), (lambda t, p: np.mean(np.abs(t - p)), "absolute error")],
        "binary_crossentropy": [(lambda t, p: np.sum(-(t * np.log(np.clip(p, 1e-7, 1 - 1e-7)) + (1 - t) * np.log(np.clip(1 - p, 1e-7, 1)))), "summed"),
                                (lambda t, p: -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p)), "clip")],
        "categorical_crossentropy": [(lambda t, p: -np.sum(t * np.log(p)), "summed over the batch"),
                                     (lambda t, p: -np.mean(t * np.log(p)), "averaged over the classes")],
        "nand_weights": [(lambda: (np.array([1.0, 1.0]), -1.5), "computes AND"), (lambda: (np.array([-1.0, -1.0]), 2.0), "boundary")],
        "xor_network": [(lambda: [(np.array([[1.0, -1.0], [1.0, -1.0]]), np.array([-0.5, 1.5])), (np.array([[-1.0], [-1.0]]), np.array([1.5]))], "XNOR"),
                        (lambda: [(np.eye(2), np.zeros(2) - 0.5), (np.array([[1.0], [1.0]]), np.array([-0.5]))], "computes OR")],
        "numerical_gradient": [(ng_forward, "forward differences"), (ng_no2, "divided by h instead of 2h")],
        "gradient_descent": [(lambda g, x0, lr, n: S["gradient_descent"](g, x0, lr, n)[1:], "x0 is missing"), (gd_aliased, "every row is the last point")],
        "sgd_update": [(sgd_ema, "other than Keras"), (sgd_no_nesterov, "nesterov ignored")],
        "rmsprop_update": [(lambda w, g, v, learning_rate=0.001, rho=0.9, epsilon=1e-7: (w - learning_rate * g / (np.sqrt(rho * v + (1 - rho) * g * g) + epsilon), rho * v + (1 - rho) * g * g), "outside the square root"),
                           (lambda w, g, v, learning_rate=0.001, rho=0.9, epsilon=1e-7: S["rmsprop_update"](w, g, v / rho * (1 - rho) if False else v, learning_rate, 1 - rho, epsilon), "swapped")],
        "adam_update": [(adam_no_correction, "without bias correction"), (adam_t0, "t starts at 0")],
        "iterate_minibatches": [(mb_drop_last, "last mini-batch dropped"), (mb_two_perms, "different permutations")],
        "sigmoid_backward": [(lambda d, z: d * z * (1 - z), "used z"), (lambda d, z: (1 / (1 + np.exp(-z))) * (1 - 1 / (1 + np.exp(-z))), "dout not multiplied")],
        "relu_backward": [(lambda d, z: d * (z >= 0), "z == 0"), (lambda d, z: (z > 0) * 1.0, "dout not multiplied")],
        "dense_backward": [(lambda d, x, k: (d @ k.T, x.T @ d, d.mean(axis=0)), "dbias averaged"),
                           (lambda d, x, k: (d @ k.T / len(x), x.T @ d / len(x), d.sum(0) / len(x)), "divided by the batch size")],
        "softmax_cross_entropy_backward": [(lambda z, y: _sm(z) - y, "not divided"), (lambda z, y: (nan_softmax(z) - y) / len(z), "overflowed")],
        "mse_backward": [(lambda t, p: (p - t) / t.size, "factor 2"), (lambda t, p: 2 * (p - t) / len(t), "batch size only")],
        "mlp_forward": [(mlp_fwd_last_act, "last layer"), (lambda x, params, hidden_activation="relu": S["mlp_forward"](x, [(k, 0 * b) for k, b in params], hidden_activation), "bias missing")],
        "mlp_backward": [(mlp_bwd_sum, "summed"), (mlp_bwd_grads, "not divided")],
        "gradient_check": [(gc_abs, "absolute error"), (gc_no_guard, "0 / 0")],
        "conv_output_length": [(lambda n, k, stride=1, padding="valid": n if padding == "same" else (n - k) // stride + 1, "stride ignored"),
                               (lambda n, k, stride=1, padding="valid": -(-n // stride) if padding == "same" else (n - k) // stride, "+ 1 is missing")],
        "same_padding": [(lambda n, k, stride=1: S["same_padding"](n, k, stride)[::-1], "extra pixel"),
                         (lambda n, k, stride=1: S["same_padding"](n, k, 1), "stride ignored")],
        "conv2d": [(flipped_conv, "flipped"), (symmetric_same_conv, "top/left"),
                   (lambda x, kernel, bias=None, strides=1, padding="valid": S["conv2d"](x, kernel, None, strides, padding), "bias missing")],
        "max_pool2d": [(lambda x, pool_size=2, strides=None, padding="valid": S["max_pool2d"](x, pool_size, 1 if strides is None else strides, padding), "strides=None"),
                       (mp_zero_pad, "-inf")],
        "average_pool2d": [(ap_count_pad, "real cells"),
                           (lambda x, pool_size=2, strides=None, padding="valid": S["average_pool2d"](x, pool_size, 1 if strides is None else strides, padding), "strides=None")],
        "conv2d_backward": [(cb_flipped, "dkernel flipped"),
                            (lambda d, x, k, strides=1, padding="valid": (lambda r: (r[0], r[1], r[2] / np.prod(d.shape[:3])))(S["conv2d_backward"](d, x, k, strides, padding)), "dbias averaged")],
        "max_pool2d_backward": [(mpb_assign, "overwrite"), (mpb_spread, "spread")],
        "conv2d_param_count": [(lambda k, i, f, use_bias=True: S["conv2d_param_count"](k, i, f, False), "biases forgotten"),
                               (lambda k, i, f, use_bias=True: S["conv2d_param_count"](k, 1, f, use_bias), "in_channels ignored")],
        "receptive_field": [(lambda layers: 1 + sum(k - 1 for k, _ in layers), "strides ignored"),
                            (lambda layers: S["receptive_field"]([(k, s) for k, s in layers]) + sum((k - 1) * 0 for k, _ in layers) if False else _rf_early(layers), "too early")],
        "build_lenet5": [(lenet_max, "max pooling"), (lenet_relu, "ReLU used")],
        "residual_block": [(residual_relu_before_add, "before the addition"), (residual_no_proj_bn, "no BatchNormalization")],
        "inception_module": [(inception_order, "wrong order"), (inception_no_relu, "ReLU missing")],
        "separable_conv_param_count": [(lambda k, i, f: S["separable_conv_param_count"](k, i, f) - f, "bias forgotten"),
                                       (lambda k, i, f: int(np.prod(np.broadcast_to(k, 2))) * i * f + i * f + f, "depthwise")],
        "build_transfer_model": [(transfer_not_frozen, "not frozen"), (transfer_flatten, "Flatten")],
        "unfreeze_top_layers": [(unfreeze_bn_too, "BatchNormalization layer left trainable"), (unfreeze_bottom, "from the bottom")],
        "extract_features": [(features_drop_last, "last mini-batch dropped"), (features_flat, "flattened")],
    }


def _rf_early(layers):
    rf, jump = 1, 1
    for k, s in layers:
        jump *= s
        rf += (k - 1) * jump
    return rf


@pytest.mark.parametrize("name", NAMES)
def test_wrong_versions_lose_points_with_a_diagnosis(name, S, keras):
    versions = wrong_versions(S, keras)[name]
    assert len(versions) >= 2
    for func, diagnosis in versions:
        loses(name, func, diagnosis)


def test_trained_model_threshold(S, keras):
    """A trained head passes; an untrained one, or one trained on shuffled labels, does not."""
    full_marks("train_transfer_model", S["train_transfer_model"])

    def untrained(base_model, x_train, y_train):
        keras.utils.set_random_seed(1)
        return S["build_transfer_model"](base_model, 5)

    def shuffled_labels(base_model, x_train, y_train):
        keras.utils.set_random_seed(2)
        m = S["build_transfer_model"](base_model, 5)
        m.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        m.fit(x_train, np.random.default_rng(0).permutation(y_train), epochs=3, verbose=0)
        return m

    for func in (untrained, shuffled_labels):
        r = check("train_transfer_model", func, hidden=True, seed=1)
        assert r.points < r.max_points and "accuracy" in " ".join(r.messages), r.report()
