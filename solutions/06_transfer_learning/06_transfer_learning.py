# %% [markdown] nbgrader={"grade": false, "grade_id": "intro", "locked": true, "schema_version": 3, "solution": false}
# # Assignment 6: transfer learning
#
# Write each function in its cell (NumPy only, Keras where the exercise builds a model). Run `self_check()` at any time: it runs the visible checks offline and says what is wrong. Grading runs the same checks on hidden inputs, compared against Keras/TensorFlow.
#
# Total: 12 points. Do not modify its inputs: a function that changes its arguments loses the case.

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false}
import numpy as np

from coursekit.checks import self_check
from coursekit.keras_setup import import_keras

keras = import_keras()  # Keras 3 on TensorFlow, imported without log noise

# %% nbgrader={"grade": false, "grade_id": "data", "locked": true, "schema_version": 3, "solution": false}
from coursekit.transfer_learning import load_pretrained_base, target_task_data

x_train, y_train, _, _ = target_task_data(n_per_class=10, seed=0)  # the test part is for grading
base_model = load_pretrained_base("shipped")


# %% [markdown] nbgrader={"grade": false, "grade_id": "md_build_transfer_model", "locked": true, "schema_version": 3, "solution": false}
# ## `build_transfer_model(base_model, num_classes, dropout_rate=0.2)` (3 points)
#
# Put a new classifier on a pretrained `base_model` and freeze the base. Build it with the **functional API** and
# return the (uncompiled) `keras.Model`, in this order:
#
# 1. an input of the base's input shape without the batch axis (`base_model.input.shape[1:]`);
# 2. the base called on it in inference mode (`training=False`, see below);
# 3. `GlobalAveragePooling2D` when the base's output is 4-D $(N, h, w, c)$; a 2-D output $(N, c)$ is used as is;
# 4. `Dropout(dropout_rate)`;
# 5. `Dense(num_classes)` with a softmax: the model outputs class probabilities.
#
# * **Frozen base**: no weight of the base is trainable, so the model's trainable weights are exactly the head's
#   Dense kernel $(c, \mathrm{num\_classes})$ and bias $(\mathrm{num\_classes},)$. The base's own
#   `trainable` flag set to `False`, or every layer of the base frozen one by one: both are accepted (`base_model`
#   is changed in place).
# * **Pooling**: global average pooling, $f_k = \frac{1}{hw}\sum_{i,j} x_{ijk}$ (`GlobalAveragePooling2D` or the
#   same mean written another way); not `Flatten`, not a max.
# * **Softmax**: as the Dense layer's activation or as a separate `Activation("softmax")` / `Softmax()` layer.
# * **`training=False`**: call the base as `base_model(inputs, training=False)` (keras.io's transfer-learning
#   recipe). The grader reads it from the model's graph: a `keras.Sequential` model cannot pass it (a Sequential
#   *head* applied after the call is fine). In Keras 3.15 it changes no output: when `fit` calls the model with
#   `training=True`, that outer flag overrides it; what keeps the base's BatchNormalization in inference mode is
#   that its layers are frozen (`trainable=False`, see `unfreeze_top_layers`).
#
# **How it is graded.** Every weight of your model and of the reference is set to the same values (chosen by the
# weight's role and shape, e.g. "kernel (6, 5)"), then on probe images the outputs must agree within a relative
# $10^{-4}$ in inference mode and in training mode (`model(x, training=True)`, with every Dropout's rate set to 0
# for that call); the trainable weights (role and shape) must be the head's; the model must have one
# `Dropout(dropout_rate)` (none needed when `dropout_rate` is 0); the base's call must carry `training=False`. Hidden cases: other `num_classes` (2 to 9),
# `dropout_rate` from 0.0 to 0.6, probe pixels up to 255, a base whose output is already 2-D.

# %% nbgrader={"grade": false, "grade_id": "build_transfer_model", "locked": false, "schema_version": 3, "solution": true}
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


# %% nbgrader={"grade": true, "grade_id": "test_build_transfer_model", "locked": true, "points": 3, "schema_version": 3, "solution": false}
# Checks `build_transfer_model` on the visible cases (the same as self_check("build_transfer_model")); the number shown is
# the points. Grading adds hidden cases on inputs you have not seen.
from coursekit.checks import score_test_cell

_hidden = False
### BEGIN HIDDEN TESTS
_hidden = True
### END HIDDEN TESTS
score_test_cell("build_transfer_model", build_transfer_model, hidden=_hidden)


# %% [markdown] nbgrader={"grade": false, "grade_id": "md_unfreeze_top_layers", "locked": true, "schema_version": 3, "solution": false}
# ## `unfreeze_top_layers(base_model, num_layers)` (2 points)
#
# Prepare the base for fine-tuning, **in place** (return nothing), as keras.io's "Transfer learning & fine-tuning"
# guide does with `for layer in base_model.layers[-num_layers:]`:
#
# * the base model itself trainable again (its `trainable` flag set to `True`);
# * the last `num_layers` entries of `base_model.layers` trainable, every other layer `trainable = False`;
# * **BatchNormalization layers are counted** among the last `num_layers` but **kept frozen**
#   (`trainable = False`): a trainable BN layer normalises with each batch's statistics during `fit` and overwrites
#   its moving mean and variance (in Keras 3.15 `fit`'s `training=True` overrides the `training=False` of the call);
# * count over `base_model.layers` exactly as Keras lists it: for a functional model it starts with the
#   `InputLayer` (no weights), for a `Sequential` model it does not;
# * `num_layers = 0`: nothing in the base trains (careful: `layers[-0:]` is the whole list);
#   `num_layers > len(base_model.layers)`: every layer (BN layers still frozen).
#
# Example: a base whose `layers` are `[InputLayer, c1, bn1, r1, pool, c2, bn2, r2]`: `num_layers=3` takes
# `c2, bn2, r2` (only `c2` has weights that train), `num_layers=2` takes `bn2, r2` (nothing trains).
#
# **How it is graded.** The base arrives frozen (as after `build_transfer_model`); after your call the set of its
# trainable weights (`base_model.trainable_weights`) must be the reference's and every BatchNormalization layer
# must have `trainable = False`. Hidden cases: `num_layers` 0, 1, exactly `len(base_model.layers)`, more than
# that, a value whose slice begins at a BatchNormalization layer, and a `Sequential` base.

# %% nbgrader={"grade": false, "grade_id": "unfreeze_top_layers", "locked": false, "schema_version": 3, "solution": true}
def unfreeze_top_layers(base_model, num_layers):
    """In place: base trainable, its last num_layers layers trainable, every BatchNormalization frozen."""
    ### BEGIN SOLUTION
    base_model.trainable = True
    n = len(base_model.layers)
    for i, layer in enumerate(base_model.layers):
        is_bn = isinstance(layer, keras.layers.BatchNormalization)
        layer.trainable = i >= n - num_layers and not is_bn
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_unfreeze_top_layers", "locked": true, "points": 2, "schema_version": 3, "solution": false}
# Checks `unfreeze_top_layers` on the visible cases (the same as self_check("unfreeze_top_layers")); the number shown is
# the points. Grading adds hidden cases on inputs you have not seen.
from coursekit.checks import score_test_cell

_hidden = False
### BEGIN HIDDEN TESTS
_hidden = True
### END HIDDEN TESTS
score_test_cell("unfreeze_top_layers", unfreeze_top_layers, hidden=_hidden)


# %% [markdown] nbgrader={"grade": false, "grade_id": "md_extract_features", "locked": true, "schema_version": 3, "solution": false}
# ## `extract_features(base_model, images, batch_size=32)` (2 points)
#
# Return the base's features for `images` as a NumPy array of shape `(len(images), features)`:
#
# * run the base in **inference mode** (`base_model(batch, training=False)` or `base_model.predict`), `batch_size`
#   images at a time; the last batch may be shorter (keep it), and `batch_size >= len(images)` means one batch;
# * a 4-D output $(n, h, w, c)$ is global-average-pooled to $(n, c)$, the mean over height and width
#   $f_k = \frac{1}{hw}\sum_{i,j} x_{ijk}$; a 2-D output $(n, c)$ is returned as is;
# * `images` is `(N, H, W, C)` with $N \ge 1$ (one image gives shape `(1, features)`), float32 or float64 (the base
#   computes in float32), possibly a non-contiguous view of a larger array; do not modify it.
#
# **How it is graded.** Compared with Keras's `base_model.predict` followed by the mean over height and width,
# within a relative $10^{-4}$. Hidden cases: one image, a number of images not divisible by `batch_size`, float64
# images with pixel values up to 255, non-contiguous arrays, a base whose output is already 2-D.

# %% nbgrader={"grade": false, "grade_id": "extract_features", "locked": false, "schema_version": 3, "solution": true}
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


# %% nbgrader={"grade": true, "grade_id": "test_extract_features", "locked": true, "points": 2, "schema_version": 3, "solution": false}
# Checks `extract_features` on the visible cases (the same as self_check("extract_features")); the number shown is
# the points. Grading adds hidden cases on inputs you have not seen.
from coursekit.checks import score_test_cell

_hidden = False
### BEGIN HIDDEN TESTS
_hidden = True
### END HIDDEN TESTS
score_test_cell("extract_features", extract_features, hidden=_hidden)


# %% [markdown] nbgrader={"grade": false, "grade_id": "md_train_transfer_model", "locked": true, "schema_version": 3, "solution": false}
# ## `train_transfer_model(base_model, x_train, y_train)` (4 points)
#
# Train a model on `x_train, y_train` (10 labelled images per digit 5-9, shape `(50, 8, 8, 1)`, pixels in [0, 1];
# labels 0-4 for the digits 5-9) using the pretrained `base_model`, and return the trained `keras.Model`: it maps
# images `(N, 8, 8, 1)` to class scores `(N, 5)` whose argmax is the predicted label. Use your functions above.
#
# **How it is graded.**
#
# * **Accuracy** on 400 held-out images of the digits 5-9 that you never see (drawn per student from the target test
#   images; `self_check` uses 100 other ones): full marks at **85%** or more; below, partial credit linear from
#   20% (chance: 0 points) to 85%.
# * **Budget**: your function must return within **60 s of CPU time**, measured with `time.process_time()` around
#   the call (the CPU seconds of all TensorFlow threads, so it does not depend on how busy the grading machine
#   is; on a free 2-core machine it is about the wall-clock time or less). Over the budget: 0 points. A head
#   trained on the frozen base for 60 epochs takes about 4 s and reaches about 96-98%.
# * The function is called once; the returned model is then evaluated (`model.predict`).
#
# What `base_model` is: the course's small CNN (four 3x3 convolutions with BatchNormalization, 65,568 parameters), trained on a source task of 91 classes and 14,893 images: the handwritten and printed digits 0-4 plus printed Latin and Greek letters and symbols (112 to 351 images per class), rendered from 21 fonts. It never saw a 5-9, but some of its glyphs look like them (S like 5, G like 6, g like 8, q like 9). Lecture 6 shows the classes and how these numbers are computed.

# %% nbgrader={"grade": false, "grade_id": "train_transfer_model", "locked": false, "schema_version": 3, "solution": true}
def train_transfer_model(base_model, x_train, y_train):
    """Train a transfer model on the few labelled target images; return the trained keras.Model."""
    ### BEGIN SOLUTION
    keras.utils.set_random_seed(0)
    model = build_transfer_model(base_model, num_classes=5)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy")
    model.fit(x_train, y_train, epochs=60, batch_size=16, verbose=0)
    return model
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_train_transfer_model", "locked": true, "points": 4, "schema_version": 3, "solution": false}
# Checks `train_transfer_model` on the visible cases (the same as self_check("train_transfer_model")); the number shown is
# the points. Grading adds hidden cases on inputs you have not seen.
from coursekit.checks import score_test_cell

_hidden = False
### BEGIN HIDDEN TESTS
_hidden = True
### END HIDDEN TESTS
score_test_cell("train_transfer_model", train_transfer_model, hidden=_hidden)

# %% [markdown] nbgrader={"grade": false, "grade_id": "md_explain_bn_frozen", "locked": true, "schema_version": 3, "solution": false}
# ## Written question (1 point)
#
# **Explain** why BatchNormalization layers stay frozen when fine-tuning on a small data set.

# %% [markdown] nbgrader={"grade": true, "grade_id": "explain_bn_frozen", "locked": false, "points": 1, "schema_version": 3, "solution": true}
# Otherwise their moving mean and variance are overwritten by the statistics of a few target batches, which breaks the features the base learned.

# %% [markdown] nbgrader={"grade": false, "grade_id": "md_self_check", "locked": true, "schema_version": 3, "solution": false}
# ## Before you submit
#
# Run every cell, then the checks for all exercises:

# %% nbgrader={"grade": false, "grade_id": "self_check", "locked": true, "schema_version": 3, "solution": false}
self_check()
