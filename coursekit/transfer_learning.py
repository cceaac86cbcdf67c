"""Lecture 6: transfer learning: feature extraction, fine-tuning, the BatchNorm pitfall.

Contract functions (``exercises.md`` section 6):

    build_transfer_model(base_model, num_classes, dropout_rate=0.2)
    unfreeze_top_layers(base_model, num_layers)
    extract_features(base_model, images, batch_size=32)

Offline setting used by the course (the data sets live in :mod:`coursekit.data` and are
re-exported here).  SOURCE task (91 classes, ``source_task_data``): scikit-learn's
handwritten 8x8 digits 0-4 plus printed digits 0-4, Latin and Greek letters and symbols
rendered from the fonts matplotlib ships (:func:`source_task_summary` counts them).  Some
of these glyphs look like the target digits (S like 5, G like 6, g and q like 8 and 9;
:func:`nearest_source_classes` measures it).  TARGET task (``target_task_data``):
handwritten digits 5-9 (relabelled 0-4) with only a few labelled images per class.
``scripts/train_pretrained_base.py`` trains a small CNN base with BatchNormalization on the
source task and ships it as ``coursekit/datafiles/digits_base.keras``.  (A base trained on
the digits 0-4 alone learned features too narrow to beat training from scratch on 5-9.)
Online users can use a real ImageNet base instead (``load_pretrained_base``).

Keras is imported inside the functions, so importing this module does not import
TensorFlow.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import numpy as np

from coursekit.data import (
    GLYPH_FONTS,
    SOURCE_CLASSES,
    SOURCE_DIGITS,
    TARGET_DIGITS,
    digits_8x8,
    source_task_data,
    target_task_data,
)
from coursekit.keras_setup import import_keras
from coursekit.validation import as_float_array, check_option, check_scalar

__all__ = [
    "build_transfer_model",
    "unfreeze_top_layers",
    "extract_features",
    "build_digits_base",
    "source_task_data",
    "target_task_data",
    "load_pretrained_base",
    "prepare_images",
    "compare_strategies",
    "bn_pitfall_demo",
    "training_flag_demo",
    "source_task_summary",
    "nearest_source_classes",
    "parameter_breakdown",
    "split_per_class",
    "SHIPPED_BASE_PATH",
    "SOURCE_CLASSES",
]

DATA_DIR = Path(__file__).resolve().parent / "datafiles"
SHIPPED_BASE_PATH = DATA_DIR / "digits_base.keras"

# The ImageNet base for online users: MobileNetV2, width 0.35, 96x96 input, no top
# (~1.7 MB of weights, 410k parameters).  Keras names the file like this in its cache.
IMAGENET_ALPHA = 0.35
IMAGENET_SIZE = 96
IMAGENET_WEIGHTS_FILE = (
    f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{IMAGENET_ALPHA}_{IMAGENET_SIZE}_no_top.h5")
IMAGENET_WEIGHTS_URL = (
    "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/" + IMAGENET_WEIGHTS_FILE)
IMAGENET_HOST = ("storage.googleapis.com", 443)


# ---------------------------------------------------------------------------
# Contract functions
# ---------------------------------------------------------------------------

def _is_batch_norm(layer, keras) -> bool:
    return isinstance(layer, keras.layers.BatchNormalization)


def build_transfer_model(base_model, num_classes: int, dropout_rate: float = 0.2):
    """A classifier on top of a frozen pretrained base.

        inputs (base's input shape) -> base(inputs, training=False)
        -> GlobalAveragePooling2D   (only when the base's output is 4-D, (N, H, W, C))
        -> Dropout(dropout_rate) -> Dense(num_classes, softmax)

    ``base_model.trainable`` is set to False (in place): only the head's Dense kernel
    and bias are trainable.  ``training=False`` keeps the base's BatchNormalization in
    inference mode while the base is frozen; after :func:`unfreeze_top_layers` it is
    the BN layers' own ``trainable=False`` that protects their moving statistics.
    Returns an uncompiled ``keras.Model``.
    """
    keras = import_keras()
    num_classes = check_scalar(num_classes, "num_classes", int, min_val=2)
    dropout_rate = check_scalar(dropout_rate, "dropout_rate", min_val=0, max_val=1, include_boundaries="left")
    base_model.trainable = False
    inputs = keras.Input(shape=tuple(base_model.input_shape[1:]), name="image")
    x = base_model(inputs, training=False)
    if len(x.shape) == 4:
        x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    x = keras.layers.Dropout(dropout_rate, name="dropout")(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="head")(x)
    return keras.Model(inputs, outputs, name="transfer_model")


def unfreeze_top_layers(base_model, num_layers: int) -> None:
    """Unfreeze the last ``num_layers`` layers of the base, in place, as keras.io's fine-tuning guide does.

    ``base_model.trainable = True``; the layers of ``base_model.layers[-num_layers:]`` become
    trainable and the others frozen, with two precisions: BatchNormalization layers are COUNTED
    among the last ``num_layers`` but kept frozen (``trainable=False``; so are BN layers inside
    nested models), ``num_layers=0`` unfreezes nothing (``layers[-0:]`` would be the whole list),
    and ``num_layers`` larger than ``len(base_model.layers)`` unfreezes every layer.  For a
    functional base ``base_model.layers`` starts with its InputLayer (it has no weights).  Why the
    BN layers stay frozen: in Keras 3 a frozen BN layer runs in inference mode even inside ``fit``,
    so its moving mean/variance stay those learned on the source data;
    ``base(x, training=False)`` alone does NOT protect them, because the ``training=True`` that
    ``fit`` passes down overrides it (see ``bn_pitfall_demo``).  Recompile the model afterwards
    (with a lower learning rate) for the change to act.
    """
    keras = import_keras()
    num_layers = check_scalar(num_layers, "num_layers", int, min_val=0)
    base_model.trainable = True
    layers = base_model.layers
    top = set(map(id, layers[max(len(layers) - num_layers, 0):]))
    for layer in layers:
        layer.trainable = id(layer) in top and not _is_batch_norm(layer, keras)
    for layer in base_model._flatten_layers(include_self=False, recursive=True):
        if _is_batch_norm(layer, keras):
            layer.trainable = False


def extract_features(base_model, images, batch_size: int = 32) -> np.ndarray:
    """The base's features for ``images`` as a NumPy array ``(len(images), features)``.

    images: ``(N, H, W, C)`` matching the base's input.  The base runs in inference
    mode (``predict``); a 4-D output ``(N, h, w, c)`` is global-average-pooled to
    ``(N, c)`` (the mean over h and w); a 2-D output is returned as is.
    """
    x = as_float_array(images, "images", ndim=4, shape_hint="(N, H, W, C)")
    expected = tuple(base_model.input_shape[1:])
    if any(e is not None and e != g for e, g in zip(expected, x.shape[1:])):
        raise ValueError(f"images must have shape (N,) + {expected} to fit the base; got {x.shape}")
    batch_size = check_scalar(batch_size, "batch_size", int, min_val=1)
    feats = np.asarray(base_model.predict(x.astype(np.float32), batch_size=batch_size, verbose=0))
    if feats.ndim == 4:
        feats = feats.mean(axis=(1, 2))
    return feats.reshape(len(x), -1)


def build_digits_base(input_shape=(8, 8, 1)):
    """The small CNN base trained on the source task (and shipped, ~0.3 MB).

        conv1 Conv 32@3x3 - bn1 - ReLU - conv2 Conv 32@3x3 - bn2 - ReLU - pool MaxPool 2
        - conv3 Conv 64@3x3 - bn3 - ReLU - conv4 Conv 64@3x3 - bn4 - ReLU

    "same" padding, no conv bias (BN's beta plays that role).  Output ``(N, 4, 4, 64)``
    for 8x8 inputs; 64,800 conv weights (9 * (1*32 + 32*32 + 32*64 + 64*64)) + 768 BN
    parameters (gamma and beta, 384, trainable; the moving mean and variance, 384, not):
    65,568 in all (:func:`parameter_breakdown`).  The BN layers make the fine-tuning pitfall real.  BN momentum
    is 0.9 (Keras's default 0.99 needs ~500 steps before the moving statistics are
    usable, more than this small training run has).
    """
    keras = import_keras()
    L = keras.layers
    inputs = keras.Input(shape=tuple(input_shape), name="image")
    x = inputs
    for i, filters in enumerate((32, 32, 64, 64), start=1):
        x = L.Conv2D(filters, 3, padding="same", use_bias=False, name=f"conv{i}")(x)
        x = L.BatchNormalization(momentum=0.9, name=f"bn{i}")(x)
        x = L.ReLU(name=f"relu{i}")(x)
        if i == 2:
            x = L.MaxPooling2D(2, name="pool")(x)
    return keras.Model(inputs, x, name="digits_base")


# ---------------------------------------------------------------------------
# Choosing a pretrained base: shipped (offline) or ImageNet (online / cached)
# ---------------------------------------------------------------------------

def _keras_cache_dir(cache_dir=None) -> Path:
    """Where ``keras.utils.get_file`` keeps files: cache_dir, else $KERAS_HOME, else ~/.keras."""
    if cache_dir is not None:
        return Path(cache_dir)
    return Path(os.environ.get("KERAS_HOME", os.path.join(os.path.expanduser("~"), ".keras")))


def _cached_imagenet_weights(cache_dir=None) -> Path | None:
    """The cached ImageNet weights file if it exists (Keras falls back to /tmp/.keras)."""
    for root in (_keras_cache_dir(cache_dir), Path("/tmp/.keras")):
        path = root / "models" / IMAGENET_WEIGHTS_FILE
        if path.is_file():
            return path
        if cache_dir is not None:
            break
    return None


def _network_reachable(host=IMAGENET_HOST, timeout: float = 2.0) -> bool:
    """True if a TCP connection to ``host`` opens within ``timeout`` seconds.

    Runs in a daemon thread so a hanging DNS lookup cannot block the caller.
    """
    import socket

    result = []

    def probe():
        try:
            with socket.create_connection(host, timeout=timeout):
                result.append(True)
        except OSError:
            result.append(False)

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout + 0.5)
    return bool(result and result[0])


def _download_imagenet_weights(cache_dir=None) -> Path:
    """Download (or find in the cache) the MobileNetV2 weights with keras.utils.get_file."""
    keras = import_keras()
    return Path(keras.utils.get_file(IMAGENET_WEIGHTS_FILE, IMAGENET_WEIGHTS_URL, cache_subdir="models",
                                     cache_dir=None if cache_dir is None else str(cache_dir)))


def _build_imagenet_base(weights_path):
    """MobileNetV2 (alpha 0.35, 96x96x3, no top) taking images in [0, 1].

    A Rescaling layer maps [0, 1] to MobileNetV2's [-1, 1] inside the model, so every
    base in this module takes images in [0, 1].  It has no weights, so Keras's
    legacy .h5 loader (which matches layers with weights in order) is unaffected.
    """
    keras = import_keras()
    inputs = keras.Input(shape=(IMAGENET_SIZE, IMAGENET_SIZE, 3), name="image")
    scaled = keras.layers.Rescaling(2.0, offset=-1.0, name="to_minus1_1")(inputs)
    base = keras.applications.MobileNetV2(input_tensor=scaled, alpha=IMAGENET_ALPHA, include_top=False,
                                          weights=None)
    base.load_weights(str(weights_path))
    return base


def _load_shipped_base():
    keras = import_keras()
    if not SHIPPED_BASE_PATH.is_file():
        raise FileNotFoundError(f"the shipped base {SHIPPED_BASE_PATH} is missing; "
                                "recreate it with: python scripts/train_pretrained_base.py")
    return keras.models.load_model(SHIPPED_BASE_PATH, compile=False)


def load_pretrained_base(source: str = "auto", cache_dir=None):
    """A pretrained base model (no classifier top) taking images in [0, 1].

    source="shipped":  the small CNN trained on the 91-class source task (handwritten
                       and printed digits 0-4, printed letters and symbols; input 8x8x1,
                       output 4x4x64),
                       from ``coursekit/datafiles/digits_base.keras``; always offline.
    source="imagenet": MobileNetV2 (alpha 0.35, input 96x96x3, output 3x3x1280) with
                       ImageNet weights, downloaded once into the Keras cache
                       (``cache_dir/models``, default ``$KERAS_HOME`` or ``~/.keras``);
                       raises RuntimeError if it can be neither found nor downloaded.
    source="auto":     ImageNet if the weights are cached, or if the network answers
                       within 2 s and the download succeeds; otherwise the shipped base.
                       Prints ONE line saying which base is used and why.
    Use :func:`prepare_images` to fit 8x8 digits to the chosen base's input.
    """
    check_option(source, "source", ("auto", "shipped", "imagenet"))
    if source == "shipped":
        return _load_shipped_base()
    cached = _cached_imagenet_weights(cache_dir)
    if cached is not None:
        if source == "auto":
            print(f"coursekit: using the ImageNet MobileNetV2 base (weights cached at {cached})")
        return _build_imagenet_base(cached)
    if source == "imagenet":
        try:
            path = _download_imagenet_weights(cache_dir)
        except Exception as exc:
            raise RuntimeError(f"could not download the ImageNet weights from {IMAGENET_WEIGHTS_URL} "
                               f"({type(exc).__name__}: {exc}); use source='shipped' offline") from exc
        return _build_imagenet_base(path)
    if not _network_reachable():
        print("coursekit: using the shipped digits base (trained on 91 classes: digits 0-4, letters, symbols): "
              "no cached ImageNet weights and no network")
        return _load_shipped_base()
    try:
        path = _download_imagenet_weights(cache_dir)
    except Exception as exc:  # offline behind a proxy, HTTP error, disk full ...
        print(f"coursekit: using the shipped digits base (trained on 91 classes: digits 0-4, letters, symbols): "
              f"the ImageNet download failed ({type(exc).__name__})")
        return _load_shipped_base()
    print(f"coursekit: using the ImageNet MobileNetV2 base (weights downloaded to {path})")
    return _build_imagenet_base(path)


def prepare_images(images, base_model) -> np.ndarray:
    """Fit images ``(N, H, W, C)`` in [0, 1] to the base's input size and channels.

    Bilinear resize to the base's (H, W) when they differ and grey -> RGB by repeating
    the channel.  The shipped base takes the 8x8 digits unchanged.
    """
    x = as_float_array(images, "images", ndim=4, shape_hint="(N, H, W, C)").astype(np.float32)
    _, height, width, channels = base_model.input_shape
    if (height, width) != x.shape[1:3]:
        keras = import_keras()
        x = np.asarray(keras.ops.image.resize(x, (height, width), interpolation="bilinear"))
    if channels != x.shape[-1]:
        if x.shape[-1] != 1:
            raise ValueError(f"images have {x.shape[-1]} channels; the base wants {channels}")
        x = np.repeat(x, channels, axis=-1)
    return x


# ---------------------------------------------------------------------------
# Experiments for the notebook
# ---------------------------------------------------------------------------

def _fresh_base(base_model=None):
    """A new copy of the base (training changes weights and BN statistics in place)."""
    keras = import_keras()
    if base_model is None:
        return _load_shipped_base()
    clone = keras.models.clone_model(base_model)
    clone.set_weights(base_model.get_weights())
    return clone


def _compile(model, learning_rate):
    keras = import_keras()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])


def _fit_curve(model, x, y, x_test, y_test, epochs, batch_size, seed):
    """Train ``epochs`` epochs; return the test accuracy after each one."""
    keras = import_keras()
    keras.utils.set_random_seed(seed)
    curve = []

    class TestAccuracy(keras.callbacks.Callback):
        # one forward pass on the test set: cheaper than fit's validation_data machinery
        def on_epoch_end(self, epoch, logs=None):
            pred = np.asarray(self.model.predict_on_batch(x_test)).argmax(axis=-1)
            curve.append(float((pred == y_test).mean()))

    model.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0, shuffle=True,
              callbacks=[TestAccuracy()])
    return curve


def compare_strategies(n_per_class: int = 10, epochs: int = 30, fine_tune_after: int = 15,
                       fine_tune_layers: int = 6, learning_rate: float = 1e-2,
                       fine_tune_learning_rate: float = 1e-3, batch_size: int = 16, seed: int = 0,
                       base_model=None) -> dict:
    """Target-test accuracy after every epoch for three ways to learn the target task.

    scratch:    the base's architecture with fresh random weights (its BN layers train)
                plus the same head, everything trained at ``learning_rate``.
    frozen:     feature extraction: :func:`build_transfer_model`, only the head trains.
    fine_tuned: the frozen run's first ``fine_tune_after`` epochs, then
                :func:`unfreeze_top_layers` (``fine_tune_layers``) and training on at
                ``fine_tune_learning_rate`` (lower, so the pretrained features are
                adjusted, not destroyed) until ``epochs``.

    ``base_model``: default the shipped base; another base gets its images through
    :func:`prepare_images` (slow for big bases).  The data is ``target_task_data
    (n_per_class, seed)``.  Returns ``{"epochs": [1..epochs], "scratch": [...],
    "frozen": [...], "fine_tuned": [...], "final": {strategy: last accuracy},
    "n_train": ..., "n_test": ..., "seconds": ...}``.  About 15-25 s on 2 CPU cores
    with the defaults.  Seeds are fixed; TensorFlow's CPU kernels may still make the
    last digit vary from run to run.
    """
    keras = import_keras()
    epochs = check_scalar(epochs, "epochs", int, min_val=2)
    fine_tune_after = check_scalar(fine_tune_after, "fine_tune_after", int, min_val=0, max_val=epochs,
                                   include_boundaries="neither")
    start = time.perf_counter()
    x, y, x_test, y_test = target_task_data(n_per_class, seed)
    template = _fresh_base(base_model)
    x, x_test = prepare_images(x, template), prepare_images(x_test, template)
    num_classes = len(TARGET_DIGITS)
    curves = {}

    keras.utils.set_random_seed(seed)
    scratch_base = keras.models.clone_model(template)  # same architecture, new random weights
    scratch = build_transfer_model(scratch_base, num_classes)
    scratch_base.trainable = True
    _compile(scratch, learning_rate)
    curves["scratch"] = _fit_curve(scratch, x, y, x_test, y_test, epochs, batch_size, seed)

    keras.utils.set_random_seed(seed)
    frozen = build_transfer_model(_fresh_base(template), num_classes)
    _compile(frozen, learning_rate)
    curves["frozen"] = _fit_curve(frozen, x, y, x_test, y_test, epochs, batch_size, seed)

    keras.utils.set_random_seed(seed)
    tuned_base = _fresh_base(template)
    tuned = build_transfer_model(tuned_base, num_classes)
    _compile(tuned, learning_rate)
    first = _fit_curve(tuned, x, y, x_test, y_test, fine_tune_after, batch_size, seed)
    unfreeze_top_layers(tuned_base, fine_tune_layers)
    _compile(tuned, fine_tune_learning_rate)
    second = _fit_curve(tuned, x, y, x_test, y_test, epochs - fine_tune_after, batch_size, seed + 1)
    curves["fine_tuned"] = first + second

    return {"epochs": list(range(1, epochs + 1)), **curves,
            "final": {k: v[-1] for k, v in curves.items()},
            "fine_tune_after": fine_tune_after, "n_train": len(x), "n_test": len(x_test),
            "seconds": time.perf_counter() - start}


def _bn_statistics(base_model) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    keras = import_keras()
    return {layer.name: (layer.moving_mean.numpy().copy(), layer.moving_variance.numpy().copy())
            for layer in base_model._flatten_layers(include_self=False, recursive=True)
            if _is_batch_norm(layer, keras)}


def bn_pitfall_demo(n_per_class: int = 10, epochs: int = 3, num_layers: int = 6,
                    learning_rate: float = 1e-3, batch_size: int = 16, seed: int = 0,
                    base_model=None) -> dict:
    """Fine-tune the shipped base twice and measure how much its BN moving statistics move.

    Both runs build the model with :func:`build_transfer_model`, i.e. with
    ``base(x, training=False)``, then train ``epochs`` epochs on the target data at
    ``learning_rate``, after:
      naive:   ``base.trainable = True`` (every layer, BatchNormalization included)
      careful: :func:`unfreeze_top_layers(base, num_layers)` (BN stays frozen)
    Measured in Keras 3.15: in the naive run the moving means and variances change
    (``fit`` passes training=True, which overrides the training=False of the call, and
    a trainable BN layer then normalises with batch statistics and updates its moving
    averages towards the target data); in the careful run they do not change at all.

    Returns ``{"naive": {...}, "careful": {...}}``, each with ``max_abs_change_mean``,
    ``max_abs_change_var``, ``max_rel_change_var`` (over all BN channels), ``per_layer``
    ({bn name: (max |d mean|, max |d var|)}) and ``test_accuracy`` after the run.
    """
    keras = import_keras()
    x, y, x_test, y_test = target_task_data(n_per_class, seed)
    template = _fresh_base(base_model)
    x, x_test = prepare_images(x, template), prepare_images(x_test, template)
    results = {}
    for mode in ("naive", "careful"):
        keras.utils.set_random_seed(seed)
        base = _fresh_base(template)
        model = build_transfer_model(base, len(TARGET_DIGITS))
        if mode == "naive":
            base.trainable = True
        else:
            unfreeze_top_layers(base, num_layers)
        before = _bn_statistics(base)
        _compile(model, learning_rate)
        model.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0)
        after = _bn_statistics(base)
        per_layer = {name: (float(np.abs(after[name][0] - m).max()), float(np.abs(after[name][1] - v).max()))
                     for name, (m, v) in before.items()}
        rel_var = max(float((np.abs(after[n][1] - v) / np.maximum(v, 1e-12)).max()) for n, (_, v) in before.items())
        _, accuracy = model.evaluate(x_test, y_test, verbose=0)
        results[mode] = {
            "max_abs_change_mean": max(p[0] for p in per_layer.values()),
            "max_abs_change_var": max(p[1] for p in per_layer.values()),
            "max_rel_change_var": rel_var,
            "per_layer": per_layer,
            "test_accuracy": float(accuracy),
        }
    return results


def training_flag_demo(images, base_model=None) -> dict:
    """Which flag decides a BatchNormalization layer's mode inside a model: measured, no training.

    The base is called as in :func:`build_transfer_model`, ``base(inputs, training=False)``,
    inside an outer ``keras.Model``; the base is made trainable (as for fine-tuning) with
    its BN layers either trainable or frozen.  The outer model is then called with
    ``training`` None, False and True (``fit`` uses True).  Returned:
    ``{(bn_trainable, outer_training): max |output - inference output|}``, where the
    inference output is ``base(images, training=False)``.  A non-zero value means the
    BN layers normalised with the batch's own statistics (training mode).  Keras 3:
    only ``(True, True)`` is non-zero: the outer ``training=True`` overrides the
    ``training=False`` written in the call, and only ``trainable=False`` on the BN layer
    keeps it in inference mode.  (Calling the model does not update the moving
    statistics; ``fit`` would.)
    """
    keras = import_keras()
    template = _fresh_base(base_model)
    x = prepare_images(images, template)
    out = {}
    for bn_trainable in (True, False):
        base = _fresh_base(template)
        inputs = keras.Input(shape=tuple(base.input_shape[1:]))
        outer = keras.Model(inputs, base(inputs, training=False))
        base.trainable = True
        for layer in base._flatten_layers(include_self=False, recursive=True):
            if _is_batch_norm(layer, keras):
                layer.trainable = bn_trainable
        reference = np.asarray(base(x, training=False))
        for training in (None, False, True):
            out[(bn_trainable, training)] = float(np.abs(np.asarray(outer(x, training=training)) - reference).max())
    return out


# ---------------------------------------------------------------------------
# Describing the source task and the base (computed, for the lecture and the tests)
# ---------------------------------------------------------------------------

def _class_group(name: str) -> str:
    """The group of a source class: digits, Latin capitals/small letters, Greek capitals/small letters, symbols."""
    import unicodedata

    if name.isdigit():
        return "digits 0-4"
    if name.isascii() and name.isalpha():
        return "Latin capitals" if name.isupper() else "Latin small letters"
    if "GREEK" in unicodedata.name(name, ""):
        return "Greek capitals" if name.isupper() else "Greek small letters"
    return "symbols"


def source_task_summary(x_source=None, y_source=None, class_names=SOURCE_CLASSES) -> dict:
    """What the shipped base was trained on, counted from the data.

    ``x_source, y_source``: :func:`source_task_data` (computed when None).  Returns
    ``{"classes": 91, "images": N, "fonts": fonts rendered, "per_class": (classes,) counts, "groups": [row, ...],
    "handwritten": handwritten digits 0-4, "printed_digits": printed images of the digits 0-4}``;
    a group row is ``(group, classes, their characters, fewest images per class, most, images)``.
    The handwritten images are scikit-learn's digits 0-4 (every one of them); the other
    images of the digit classes are printed renderings.
    """
    if y_source is None:
        x_source, y_source = source_task_data()
    y = np.asarray(y_source)
    per_class = np.bincount(y, minlength=len(class_names))
    _, digit_labels = digits_8x8()
    handwritten = int(np.isin(digit_labels, SOURCE_DIGITS).sum())
    groups = {}
    for label, name in enumerate(class_names):
        groups.setdefault(_class_group(name), []).append(label)
    rows = [(g, len(ls), " ".join(class_names[i] for i in ls), int(per_class[ls].min()), int(per_class[ls].max()),
             int(per_class[ls].sum())) for g, ls in groups.items()]
    digit_total = sum(r[5] for r in rows if r[0] == "digits 0-4")
    return {"classes": len(class_names), "images": int(len(y)), "fonts": len(GLYPH_FONTS), "per_class": per_class,
            "groups": rows,
            "handwritten": handwritten, "printed_digits": digit_total - handwritten}


def nearest_source_classes(x_source, y_source, x_target, y_target, class_names=SOURCE_CLASSES,
                           target_names=TARGET_DIGITS, top: int = 3) -> dict:
    """For each target class: which source classes hold the nearest source image (Euclidean, pixels).

    Every target image ``(H, W, C)`` is compared with every source image; the class of the
    nearest one is counted.  Returns ``{"rows": [(target name, images, [(source class,
    share), ...top]), ...], "glyph_share": share of target images whose nearest source image
    is not one of the digits 0-4}``.  Pixel distance is a crude similarity, but it is
    computed independently of any network: it shows which source glyphs look like the
    target digits.
    """
    top = check_scalar(top, "top", int, min_val=1)
    s = np.asarray(x_source, np.float64).reshape(len(x_source), -1)
    t = np.asarray(x_target, np.float64).reshape(len(x_target), -1)
    d2 = (t ** 2).sum(1)[:, None] - 2 * t @ s.T + (s ** 2).sum(1)[None, :]
    nearest = np.asarray(y_source)[d2.argmin(axis=1)]
    y_target = np.asarray(y_target)
    rows = []
    for k, name in enumerate(target_names):
        mine = nearest[y_target == k]
        counts = np.bincount(mine, minlength=len(class_names))
        order = np.argsort(-counts, kind="stable")[:top]
        rows.append((name, int(len(mine)), [(class_names[i], float(counts[i] / len(mine))) for i in order]))
    glyph = ~np.isin(np.array(class_names)[nearest], [str(d) for d in SOURCE_DIGITS])
    return {"rows": rows, "glyph_share": float(glyph.mean())}


def parameter_breakdown(model) -> dict:
    """A model's parameters by role: conv/dense weights, BN gamma/beta, BN moving statistics.

    Returns ``{"total", "trainable", "non_trainable", "weights" (kernels and biases),
    "bn_gamma_beta", "bn_moving"}``; trainable/non-trainable as the model's current
    ``trainable`` flags say.
    """
    keras = import_keras()
    size = lambda ws: int(sum(int(np.prod(w.shape)) for w in ws))  # noqa: E731
    bn = [layer for layer in model._flatten_layers(include_self=False, recursive=True) if _is_batch_norm(layer, keras)]
    bn_gamma_beta = sum(size([v for v in (layer.gamma, layer.beta) if v is not None]) for layer in bn)
    bn_moving = sum(size([layer.moving_mean, layer.moving_variance]) for layer in bn)
    total = int(model.count_params())
    return {"total": total, "trainable": size(model.trainable_weights),
            "non_trainable": size(model.non_trainable_weights), "weights": total - bn_gamma_beta - bn_moving,
            "bn_gamma_beta": bn_gamma_beta, "bn_moving": bn_moving}


def split_per_class(x, y, n_per_class: int, seed: int = 0):
    """Take ``n_per_class`` images of each class out of ``(x, y)``: ``(x_a, y_a, x_rest, y_rest)``.

    Used to hold out a validation set from the target test pool (drawn with ``seed``,
    without replacement; the rest keeps its order).
    """
    y = np.asarray(y)
    rng = np.random.default_rng(seed)
    picked = np.zeros(len(y), bool)
    for label in np.unique(y):
        idx = np.flatnonzero(y == label)
        n = check_scalar(n_per_class, "n_per_class", int, min_val=1, max_val=len(idx))
        picked[rng.choice(idx, size=n, replace=False)] = True
    x = np.asarray(x)
    return x[picked], y[picked], x[~picked], y[~picked]
