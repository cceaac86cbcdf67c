# Instructor solutions, one function per answer cell (build_notebooks.py splits this file).
# Everything between "### BEGIN SOLUTION" and "### END SOLUTION" is removed from the student release.
# SECTION 01_neuron


def sigmoid(z):
    """Logistic sigmoid 1 / (1 + exp(-z)), elementwise, without overflow warnings."""
    ### BEGIN SOLUTION
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))  # never overflows
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    ### END SOLUTION


def relu(z):
    """max(z, 0), elementwise."""
    ### BEGIN SOLUTION
    return np.maximum(np.asarray(z, dtype=float), 0.0)
    ### END SOLUTION


def leaky_relu(z, negative_slope=0.1):
    """z for z >= 0, negative_slope * z otherwise."""
    ### BEGIN SOLUTION
    z = np.asarray(z, dtype=float)
    return np.where(z >= 0, z, negative_slope * z)
    ### END SOLUTION


def elu(z, alpha=1.0):
    """z for z > 0, alpha * (exp(z) - 1) otherwise."""
    ### BEGIN SOLUTION
    z = np.asarray(z, dtype=float)
    return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0.0)))
    ### END SOLUTION


def softmax(z, axis=-1):
    """exp(z) / sum(exp(z)) along `axis`, stable for large logits."""
    ### BEGIN SOLUTION
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
    ### END SOLUTION


def dense_forward(x, kernel, bias, activation=None):
    """activation(x @ kernel + bias); x (batch, in), kernel (in, units), bias (units,)."""
    ### BEGIN SOLUTION
    z = np.asarray(x, dtype=float) @ np.asarray(kernel, dtype=float) + np.asarray(bias, dtype=float)
    if activation in (None, "linear"):
        return z
    if activation == "relu":
        return np.maximum(z, 0.0)
    if activation == "tanh":
        return np.tanh(z)
    if activation == "sigmoid":
        return 0.5 * (1.0 + np.tanh(z / 2.0))
    if activation == "softmax":
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    raise ValueError(f"unknown activation {activation!r}")
    ### END SOLUTION


def mean_squared_error(y_true, y_pred):
    """mean((y_true - y_pred)**2), a scalar."""
    ### BEGIN SOLUTION
    d = np.asarray(y_true, dtype=float) - np.asarray(y_pred, dtype=float)
    return float(np.mean(d * d))
    ### END SOLUTION


def binary_crossentropy(y_true, y_pred):
    """-mean(y log p + (1 - y) log(1 - p)), p clipped to [1e-7, 1 - 1e-7] as Keras does."""
    ### BEGIN SOLUTION
    y = np.asarray(y_true, dtype=float)
    p = np.clip(np.asarray(y_pred, dtype=float), 1e-7, 1 - 1e-7)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
    ### END SOLUTION


def categorical_crossentropy(y_true, y_pred):
    """-mean over samples of sum over classes y log p (one-hot y, probabilities p)."""
    ### BEGIN SOLUTION
    y = np.asarray(y_true, dtype=float)
    p = np.asarray(y_pred, dtype=float)
    p = np.clip(p / p.sum(axis=-1, keepdims=True), 1e-7, 1 - 1e-7)
    return float(np.mean(-np.sum(y * np.log(p), axis=-1)))
    ### END SOLUTION


def nand_weights():
    """(w, b) such that step(x @ w + b) is NAND on {0, 1}^2."""
    ### BEGIN SOLUTION
    return np.array([-2.0, -2.0]), 3.0
    ### END SOLUTION


def xor_network():
    """[(W1, b1), (W2, b2)]: two step layers computing XOR."""
    ### BEGIN SOLUTION
    W1 = np.array([[1.0, -1.0], [1.0, -1.0]])   # unit 1: OR, unit 2: NAND
    b1 = np.array([-0.5, 1.5])
    W2 = np.array([[1.0], [1.0]])               # AND of the two
    b2 = np.array([-1.5])
    return [(W1, b1), (W2, b2)]
    ### END SOLUTION
# SECTION 02_gradient_descent


def numerical_gradient(f, x, h=1e-5):
    """Central differences (f(x + h e_i) - f(x - h e_i)) / (2h) for every entry of x."""
    ### BEGIN SOLUTION
    x = np.array(x, dtype=float)  # a copy: the caller's x is never touched
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        f_plus = f(x)
        x[i] = old - h
        f_minus = f(x)
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad
    ### END SOLUTION


def gradient_descent(grad_fn, x0, learning_rate, num_steps):
    """Trajectory x_0, x_1, ... with x_{k+1} = x_k - learning_rate * grad_fn(x_k)."""
    ### BEGIN SOLUTION
    x = np.array(x0, dtype=float)
    path = [x.copy()]
    for _ in range(num_steps):
        x = x - learning_rate * grad_fn(x)
        path.append(x.copy())
    return np.stack(path)
    ### END SOLUTION


def sgd_update(w, grad, velocity, learning_rate, momentum=0.0, nesterov=False):
    """Keras SGD: velocity = momentum * velocity - lr * grad; w += velocity (Nesterov: look ahead)."""
    ### BEGIN SOLUTION
    velocity = momentum * np.asarray(velocity, dtype=float) - learning_rate * np.asarray(grad, dtype=float)
    if nesterov:
        new_w = w + momentum * velocity - learning_rate * grad
    else:
        new_w = w + velocity
    return new_w, velocity
    ### END SOLUTION


def rmsprop_update(w, grad, velocity, learning_rate=0.001, rho=0.9, epsilon=1e-7):
    """Keras RMSprop: velocity = rho v + (1 - rho) g^2; w -= lr g / sqrt(velocity + epsilon)."""
    ### BEGIN SOLUTION
    velocity = rho * velocity + (1 - rho) * np.square(grad)
    return w - learning_rate * grad / np.sqrt(velocity + epsilon), velocity
    ### END SOLUTION


def adam_update(w, grad, m, v, t, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    """Keras Adam at the 1-based step t."""
    ### BEGIN SOLUTION
    m = beta_1 * m + (1 - beta_1) * grad
    v = beta_2 * v + (1 - beta_2) * np.square(grad)
    alpha = learning_rate * np.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
    return w - alpha * m / (np.sqrt(v) + epsilon), m, v
    ### END SOLUTION


def iterate_minibatches(x, y, batch_size, shuffle=True, seed=None):
    """Yield (x_batch, y_batch); every sample once per pass; the last short batch is kept."""
    ### BEGIN SOLUTION
    n = len(x)
    order = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)
    for start in range(0, n, batch_size):
        idx = order[start:start + batch_size]
        yield x[idx], y[idx]
    ### END SOLUTION
# SECTION 03_backprop


def sigmoid_backward(dout, z):
    """dout * s * (1 - s), s = sigmoid(z)."""
    ### BEGIN SOLUTION
    s = 0.5 * (1.0 + np.tanh(np.asarray(z, dtype=float) / 2.0))
    return dout * s * (1.0 - s)
    ### END SOLUTION


def relu_backward(dout, z):
    """dout where z > 0, else 0 (TensorFlow's gradient at 0 is 0)."""
    ### BEGIN SOLUTION
    return np.where(np.asarray(z) > 0, dout, 0.0)
    ### END SOLUTION


def dense_backward(dout, x, kernel):
    """(dx, dkernel, dbias) for out = x @ kernel + bias."""
    ### BEGIN SOLUTION
    return dout @ kernel.T, x.T @ dout, dout.sum(axis=0)
    ### END SOLUTION


def softmax_cross_entropy_backward(logits, y_true):
    """d/dlogits of mean softmax cross-entropy: (softmax(logits) - y) / N."""
    ### BEGIN SOLUTION
    z = np.asarray(logits, dtype=float)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    p = e / e.sum(axis=-1, keepdims=True)
    return (p - y_true) / z.shape[0]
    ### END SOLUTION


def mse_backward(y_true, y_pred):
    """d/dy_pred of mean((y_pred - y_true)**2): 2 (y_pred - y_true) / size."""
    ### BEGIN SOLUTION
    d = np.asarray(y_pred, dtype=float) - np.asarray(y_true, dtype=float)
    return 2.0 * d / d.size
    ### END SOLUTION


def mlp_forward(x, params, hidden_activation="relu"):
    """Logits of Dense layers (kernel, bias); hidden layers use hidden_activation, the last is linear."""
    ### BEGIN SOLUTION
    act = {"relu": lambda z: np.maximum(z, 0.0), "tanh": np.tanh,
           "sigmoid": lambda z: 0.5 * (1.0 + np.tanh(z / 2.0))}[hidden_activation]
    h = np.asarray(x, dtype=float)
    for i, (kernel, bias) in enumerate(params):
        h = h @ kernel + bias
        if i < len(params) - 1:
            h = act(h)
    return h
    ### END SOLUTION


def mlp_backward(x, y_true, params, hidden_activation="relu"):
    """(loss, grads) for the mean softmax cross-entropy of mlp_forward's logits."""
    ### BEGIN SOLUTION
    acts = {"relu": (lambda z: np.maximum(z, 0.0), lambda z, a: (z > 0).astype(float)),
            "tanh": (np.tanh, lambda z, a: 1.0 - a * a),
            "sigmoid": (lambda z: 0.5 * (1.0 + np.tanh(z / 2.0)), lambda z, a: a * (1.0 - a))}
    f, df = acts[hidden_activation]
    hs, zs = [np.asarray(x, dtype=float)], []
    for i, (kernel, bias) in enumerate(params):
        zs.append(hs[-1] @ kernel + bias)
        hs.append(f(zs[-1]) if i < len(params) - 1 else zs[-1])
    logits = hs[-1]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = len(logits)
    loss = -np.sum(y_true * log_p) / n
    d = (np.exp(log_p) - y_true) / n
    grads = [None] * len(params)
    for i in range(len(params) - 1, -1, -1):
        grads[i] = (hs[i].T @ d, d.sum(axis=0))
        if i > 0:
            d = (d @ params[i][0].T) * df(zs[i - 1], hs[i])
    return float(loss), grads
    ### END SOLUTION


def gradient_check(f, x, analytic_grad, h=1e-5):
    """Relative error norm(a - n) / max(norm(a) + norm(n), 1e-12), n by central differences."""
    ### BEGIN SOLUTION
    x = np.array(x, dtype=float)
    num = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        fp = f(x)
        x[i] = old - h
        fm = f(x)
        x[i] = old
        num[i] = (fp - fm) / (2 * h)
    a = np.asarray(analytic_grad, dtype=float)
    return float(np.linalg.norm(a - num) / max(np.linalg.norm(a) + np.linalg.norm(num), 1e-12))
    ### END SOLUTION
# SECTION 04_convolution


def conv_output_length(input_length, kernel_size, stride=1, padding="valid"):
    """Keras's output length: ceil(n / s) for "same", floor((n - k) / s) + 1 for "valid"."""
    ### BEGIN SOLUTION
    if padding == "same":
        return -(-input_length // stride)
    return (input_length - kernel_size) // stride + 1
    ### END SOLUTION


def same_padding(input_length, kernel_size, stride=1):
    """(pad_before, pad_after) of TensorFlow's "same": the extra pixel goes after."""
    ### BEGIN SOLUTION
    out = -(-input_length // stride)
    total = max((out - 1) * stride + kernel_size - input_length, 0)
    return total // 2, total - total // 2
    ### END SOLUTION


def conv2d(x, kernel, bias=None, strides=1, padding="valid"):
    """Keras Conv2D (cross-correlation). x (N, H, W, C), kernel (kh, kw, C, F) -> (N, H', W', F)."""
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=float)
    kernel = np.asarray(kernel, dtype=float)
    sh, sw = (strides, strides) if np.ndim(strides) == 0 else strides
    kh, kw = kernel.shape[:2]
    if padding == "same":
        pads = []
        for n, k, s in ((x.shape[1], kh, sh), (x.shape[2], kw, sw)):
            total = max((-(-n // s) - 1) * s + k - n, 0)
            pads.append((total // 2, total - total // 2))
        x = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
    oh, ow = (x.shape[1] - kh) // sh + 1, (x.shape[2] - kw) // sw + 1
    out = np.zeros((x.shape[0], oh, ow, kernel.shape[3]))
    for i in range(oh):
        for j in range(ow):
            patch = x[:, i * sh:i * sh + kh, j * sw:j * sw + kw, :]
            out[:, i, j, :] = np.tensordot(patch, kernel, axes=([1, 2, 3], [0, 1, 2]))
    if bias is not None:
        out += bias
    return out
    ### END SOLUTION


def max_pool2d(x, pool_size=2, strides=None, padding="valid"):
    """Keras MaxPooling2D; strides=None means strides = pool_size; "same" pads with -inf."""
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=float)
    ph, pw = (pool_size, pool_size) if np.ndim(pool_size) == 0 else pool_size
    if strides is None:
        strides = (ph, pw)
    sh, sw = (strides, strides) if np.ndim(strides) == 0 else strides
    if padding == "same":
        pads = []
        for n, k, s in ((x.shape[1], ph, sh), (x.shape[2], pw, sw)):
            total = max((-(-n // s) - 1) * s + k - n, 0)
            pads.append((total // 2, total - total // 2))
        x = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)), constant_values=-np.inf)
    oh, ow = (x.shape[1] - ph) // sh + 1, (x.shape[2] - pw) // sw + 1
    out = np.empty((x.shape[0], oh, ow, x.shape[3]))
    for i in range(oh):
        for j in range(ow):
            out[:, i, j, :] = x[:, i * sh:i * sh + ph, j * sw:j * sw + pw, :].max(axis=(1, 2))
    return out
    ### END SOLUTION


def average_pool2d(x, pool_size=2, strides=None, padding="valid"):
    """Keras AveragePooling2D; with "same", padded cells are not counted."""
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=float)
    ph, pw = (pool_size, pool_size) if np.ndim(pool_size) == 0 else pool_size
    if strides is None:
        strides = (ph, pw)
    sh, sw = (strides, strides) if np.ndim(strides) == 0 else strides
    ones = np.ones(x.shape[:3] + (1,))
    if padding == "same":
        pads = []
        for n, k, s in ((x.shape[1], ph, sh), (x.shape[2], pw, sw)):
            total = max((-(-n // s) - 1) * s + k - n, 0)
            pads.append((total // 2, total - total // 2))
        x = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
        ones = np.pad(ones, ((0, 0), pads[0], pads[1], (0, 0)))  # 1 where a real cell is
    oh, ow = (x.shape[1] - ph) // sh + 1, (x.shape[2] - pw) // sw + 1
    out = np.empty((x.shape[0], oh, ow, x.shape[3]))
    for i in range(oh):
        for j in range(ow):
            window = (slice(None), slice(i * sh, i * sh + ph), slice(j * sw, j * sw + pw))
            out[:, i, j, :] = x[window].sum(axis=(1, 2)) / ones[window].sum(axis=(1, 2))
    return out
    ### END SOLUTION


def conv2d_backward(dout, x, kernel, strides=1, padding="valid"):
    """(dx, dkernel, dbias) of sum(conv2d(x, kernel, bias) * dout)."""
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=float)
    kernel = np.asarray(kernel, dtype=float)
    dout = np.asarray(dout, dtype=float)
    sh, sw = (strides, strides) if np.ndim(strides) == 0 else strides
    kh, kw = kernel.shape[:2]
    pads = [(0, 0), (0, 0)]
    if padding == "same":
        pads = []
        for n, k, s in ((x.shape[1], kh, sh), (x.shape[2], kw, sw)):
            total = max((-(-n // s) - 1) * s + k - n, 0)
            pads.append((total // 2, total - total // 2))
    xp = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
    dxp = np.zeros_like(xp)
    dkernel = np.zeros_like(kernel)
    for i in range(dout.shape[1]):
        for j in range(dout.shape[2]):
            rows, cols = slice(i * sh, i * sh + kh), slice(j * sw, j * sw + kw)
            g = dout[:, i, j, :]                                   # (N, F)
            dkernel += np.tensordot(xp[:, rows, cols, :], g, axes=([0], [0]))
            dxp[:, rows, cols, :] += np.tensordot(g, kernel, axes=([1], [3]))
    H, W = x.shape[1:3]
    dx = dxp[:, pads[0][0]:pads[0][0] + H, pads[1][0]:pads[1][0] + W, :]
    return dx, dkernel, dout.sum(axis=(0, 1, 2))
    ### END SOLUTION


def max_pool2d_backward(dout, x, pool_size=2, strides=None):
    """dx of sum(max_pool2d(x) * dout) ("valid"): each window's max cell receives its dout."""
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=float)
    ph, pw = (pool_size, pool_size) if np.ndim(pool_size) == 0 else pool_size
    if strides is None:
        strides = (ph, pw)
    sh, sw = (strides, strides) if np.ndim(strides) == 0 else strides
    dx = np.zeros_like(x)
    for n in range(x.shape[0]):
        for i in range(dout.shape[1]):
            for j in range(dout.shape[2]):
                for c in range(x.shape[3]):
                    window = x[n, i * sh:i * sh + ph, j * sw:j * sw + pw, c]
                    a, b = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, i * sh + a, j * sw + b, c] += dout[n, i, j, c]   # += : windows may overlap
    return dx
    ### END SOLUTION


def conv2d_param_count(kernel_size, in_channels, filters, use_bias=True):
    """kh * kw * in_channels * filters (+ filters biases)."""
    ### BEGIN SOLUTION
    kh, kw = (kernel_size, kernel_size) if np.ndim(kernel_size) == 0 else kernel_size
    return kh * kw * in_channels * filters + (filters if use_bias else 0)
    ### END SOLUTION
# SECTION 05_cnn_architectures


def receptive_field(layers):
    """Receptive field of one output unit of a stack of (kernel_size, stride) layers."""
    ### BEGIN SOLUTION
    rf, jump = 1, 1
    for kernel_size, stride in layers:
        rf += (kernel_size - 1) * jump
        jump *= stride
    return rf
    ### END SOLUTION


def build_lenet5(input_shape=(32, 32, 1), num_classes=10):
    """LeNet-5: Conv 6@5x5 tanh, AvgPool 2, Conv 16@5x5 tanh, AvgPool 2, Flatten, Dense 120/84 tanh, Dense softmax."""
    ### BEGIN SOLUTION
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
    ### END SOLUTION


def residual_block(x, filters, strides=1):
    """Conv3x3(strides)-BN-ReLU-Conv3x3-BN + shortcut (identity or Conv1x1(strides)-BN), then ReLU."""
    ### BEGIN SOLUTION
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
    ### END SOLUTION


def inception_module(x, filters_1x1, filters_3x3_reduce, filters_3x3, filters_5x5_reduce, filters_5x5,
                     filters_pool_proj):
    """GoogLeNet's four branches concatenated on channels: 1x1; 1x1-3x3; 1x1-5x5; maxpool 3/1 - 1x1."""
    ### BEGIN SOLUTION
    L = keras.layers
    b1 = L.Conv2D(filters_1x1, 1, padding="same", activation="relu")(x)
    b2 = L.Conv2D(filters_3x3_reduce, 1, padding="same", activation="relu")(x)
    b2 = L.Conv2D(filters_3x3, 3, padding="same", activation="relu")(b2)
    b3 = L.Conv2D(filters_5x5_reduce, 1, padding="same", activation="relu")(x)
    b3 = L.Conv2D(filters_5x5, 5, padding="same", activation="relu")(b3)
    b4 = L.MaxPooling2D(3, strides=1, padding="same")(x)
    b4 = L.Conv2D(filters_pool_proj, 1, padding="same", activation="relu")(b4)
    return L.Concatenate(axis=-1)([b1, b2, b3, b4])
    ### END SOLUTION


def separable_conv_param_count(kernel_size, in_channels, filters):
    """Depthwise kh*kw*in + pointwise in*filters + filters biases."""
    ### BEGIN SOLUTION
    kh, kw = (kernel_size, kernel_size) if np.ndim(kernel_size) == 0 else kernel_size
    return kh * kw * in_channels + in_channels * filters + filters
    ### END SOLUTION
# SECTION 06_transfer_learning


def build_transfer_model(base_model, num_classes, dropout_rate=0.2):
    """Frozen base (training=False) -> global average pooling (if 4-D) -> dropout -> Dense softmax."""
    ### BEGIN SOLUTION
    L = keras.layers
    base_model.trainable = False
    inputs = keras.Input(shape=base_model.input.shape[1:])
    x = base_model(inputs, training=False)
    if len(x.shape) == 4:
        x = L.GlobalAveragePooling2D()(x)
    x = L.Dropout(dropout_rate)(x)
    outputs = L.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs)
    ### END SOLUTION


def unfreeze_top_layers(base_model, num_layers):
    """In place: base trainable, its last num_layers layers trainable, every BatchNormalization frozen."""
    ### BEGIN SOLUTION
    base_model.trainable = True
    n = len(base_model.layers)
    for i, layer in enumerate(base_model.layers):
        is_bn = isinstance(layer, keras.layers.BatchNormalization)
        layer.trainable = i >= n - num_layers and not is_bn
    ### END SOLUTION


def extract_features(base_model, images, batch_size=32):
    """The base's features (len(images), features), global-average-pooled when 4-D."""
    ### BEGIN SOLUTION
    feats = []
    for start in range(0, len(images), batch_size):
        out = np.asarray(base_model(images[start:start + batch_size], training=False))
        if out.ndim == 4:
            out = out.mean(axis=(1, 2))
        feats.append(out)
    return np.concatenate(feats, axis=0)
    ### END SOLUTION


def train_transfer_model(base_model, x_train, y_train):
    """Train a transfer model on the few labelled target images; return the trained keras.Model."""
    ### BEGIN SOLUTION
    keras.utils.set_random_seed(0)
    model = build_transfer_model(base_model, num_classes=5)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy")
    model.fit(x_train, y_train, epochs=60, batch_size=16, verbose=0)
    return model
    ### END SOLUTION
