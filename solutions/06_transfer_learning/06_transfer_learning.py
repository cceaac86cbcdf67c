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
# Train on `x_train, y_train` (10 labelled images per digit 5-9, labels 0-4) with the pretrained `base_model`. The grader evaluates your model on held-out images you never see; full marks at 50% accuracy or more within 90 s of CPU time (chance is 20%).
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
