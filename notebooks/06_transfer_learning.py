# %% [markdown] slideshow={"slide_type": "slide"}
# # Lecture 6 — Transfer learning
#
# *Introductory deep learning · reusing what a network has learned*
#
# 1. Why: deep networks need data, and we rarely have it
# 2. The offline setting of this course: a source task and a target task
# 3. Feature extraction with a frozen base
# 4. Training in Keras: `compile`, `fit`, `History`
# 5. Fine-tuning the top layers with a lower learning rate
# 6. From scratch vs frozen vs fine-tuned: the curves
# 7. The BatchNormalization pitfall in Keras 3, demonstrated
# 8. With a real ImageNet network (online)

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** About an hour. The notebook runs offline: the "pretrained" base is a small CNN shipped with
# the course, trained by `scripts/train_pretrained_base.py` on the source task described on the next slides
# (not on "the digits 0–4" alone: most of its classes are printed letters and symbols, and some of them
# look like the target digits; say so, it matters for how well the features transfer). If the machine has
# the ImageNet MobileNetV2 weights cached (or network access), `load_pretrained_base` says so; the
# experiments below use the shipped base either way (an ImageNet base is much slower on CPU). The
# comparison of strategies trains three small runs (the slide prints how long they took); its rerun with
# more labels is the third try-it: run it live if there is time. Quote the printed numbers: they vary a
# little between machines (TensorFlow's CPU kernels are not bit-for-bit deterministic).

# %% slideshow={"slide_type": "skip"} tags=["setup"]
# %matplotlib inline
import numpy as np
from IPython.display import display

from coursekit import style

style.apply()
np.set_printoptions(precision=4, suppress=True)

from coursekit import cnn_architectures as arch
from coursekit import transfer_learning as tl
from coursekit.display import say, table
from coursekit.keras_setup import import_keras
from coursekit.widgets.transfer_learning import (
    bn_pitfall_figure,
    history_figure,
    strategy_curves_figure,
    task_examples_figure,
)

keras = import_keras()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Why transfer learning?
#
# Deep networks have many parameters and learn them from **large labelled data sets**: ImageNet, on
# Susto's slide (University of Padova), has "more than 14 Million annotated images". Most real problems
# — a hospital's scans, a factory's defects — have hundreds. Susto names the "need for huge datasets"
# as one of the two reasons *not* to choose deep learning, with transfer learning as the way out.
#
# The recipe, from the Bologna lesson notes (after Andrea Asperti's slides, University of Bologna):
# take a network trained on a lot of data (the **source** task), **cut the final layers**, **freeze**
# the rest as a feature extractor and train new final layers for the **target** task. Optionally
# **fine-tune**: unfreeze some layers and retrain them — "more dangerous. Risk of overfitting and
# degrading".
#
# Why it works: the early layers learn generic features (edges, strokes, textures) that are
# useful for many tasks.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The setting of this course (offline)
#
# * **Target task:** the handwritten digits **5–9** of scikit-learn's 8×8 digits, with only a few
#   labelled images per class; every other image of 5–9 is the test set.
# * **Source task:** what the shipped base was trained on: the handwritten *and* printed digits
#   **0–4**, plus printed **Latin and Greek letters and symbols**, rendered from the fonts matplotlib
#   ships with random stroke width, rotation, slant, scale and shift, and reduced to 8×8 the way the
#   UCI digits were. No image of a 5–9 is in it.

# %%
x_src, y_src = tl.source_task_data()
x_tr, y_tr, x_te, y_te = tl.target_task_data(n_per_class=10, seed=0)
source = tl.source_task_summary(x_src, y_src)

# %% tags=["remove-input"]
per_class = source["per_class"]
say(f"**Source task: {source['classes']} classes, {source['images']:,} images** ({source['fonts']} fonts; "
    f"{per_class.min()} to {per_class.max()} images per class, median {np.median(per_class):.0f}). "
    f"The digit classes hold all {source['handwritten']:,} handwritten 0–4 of scikit-learn "
    f"and {source['printed_digits']:,} printed ones.")
table([(g, n, chars, f"{lo}–{hi}" if lo != hi else f"{lo}", total) for g, n, chars, lo, hi, total in source["groups"]],
      ["group", "classes", "characters", "images per class", "images"], font_size="85%")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Source and target images

# %% tags=["remove-input"]
say(f"**Target task:** {len(x_tr)} labelled training images ({len(x_tr) // len(tl.TARGET_DIGITS)} per digit), "
    f"{len(x_te)} test images, labels {sorted(set(y_tr.tolist()))} (= digit − {tl.TARGET_DIGITS[0]}).")
display(task_examples_figure(x_src, y_src, x_tr, y_tr + tl.TARGET_DIGITS[0]))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### "Never seen"? Source glyphs that look like the target digits
#
# The base never saw a 5–9, but its source task holds shapes close to them. For every
# target test image: the class of the **nearest source image** (Euclidean distance between the
# pixel vectors; no network involved):

# %% tags=["remove-input"]
near = tl.nearest_source_classes(x_src, y_src, x_te, y_te)
display(table([(digit, n, ",  ".join(f"{name} ({share:.0%})" for name, share in top))
               for digit, n, top in near["rows"]],
              ["target digit", "test images", "most frequent classes of the nearest source image"]))
say(f"For **{near['glyph_share']:.0%}** of the target test images the nearest source image is a printed "
    "letter or symbol, not one of the digits 0–4. The source task is *not* \"the digits 0–4\": part of "
    "what the base learned looks like the target digits, a reason to expect its features to transfer.")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The pretrained base
#
# `load_pretrained_base(source="auto")` uses a real ImageNet network (MobileNetV2) when its weights are
# in the Keras cache or can be downloaded, and otherwise the shipped base — and prints which
# one and why.

# %%
base = tl.load_pretrained_base(source="auto")
if base.name != "digits_base":                 # the experiments use the shipped base
    base = tl.load_pretrained_base(source="shipped")
shipped = base
parts = tl.parameter_breakdown(shipped)

# %% tags=["remove-input"]
say(f"`{shipped.name}`: input {shipped.input_shape[1:]}, output {shipped.output_shape[1:]}, "
    f"**{parts['total']:,} parameters**: {parts['weights']:,} convolution weights, "
    f"{parts['bn_gamma_beta']:,} BatchNormalization $\\gamma, \\beta$ and {parts['bn_moving']:,} BN moving means "
    f"and variances (statistics, not learned by gradient). Trained on the {source['classes']} source classes "
    f"with a temporary head (pooling + a {source['classes']}-way softmax), which was then cut off.")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The shipped base, layer by layer (ReLU layers left out)

# %% tags=["remove-input"]
rows = [r for r in arch.layer_table(shipped) if r["params"] or r["type"] == "MaxPooling2D"]
table([(r["name"], r["type"], str(tuple(r["output_shape"][1:])), r["params"],
        "{}x{}".format(*r["receptive_field"]) if r["receptive_field"] else "")
       for r in rows] + [("total", "", "", parts["total"], "")],
      ["layer", "type", "output shape", "parameters", "receptive field"], font_size="85%")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Feature extraction
#
# Run the frozen base once over the images and keep its output, global-average-pooled to one
# vector per image. Then any simple classifier can learn the target task on these **features**.
# First test: a logistic regression on raw pixels vs on the shipped base's features, with 3 and with
# 10 labelled images per class.

# %%
from sklearn.linear_model import LogisticRegression

scores = []
for n in (3, 10):
    xa, ya, xb, yb = tl.target_task_data(n_per_class=n, seed=0)
    fa, fb = tl.extract_features(shipped, xa), tl.extract_features(shipped, xb)
    raw = LogisticRegression(max_iter=2000).fit(xa.reshape(len(xa), -1), ya)
    feat = LogisticRegression(max_iter=2000).fit(fa, ya)
    scores.append((n, raw.score(xb.reshape(len(xb), -1), yb), feat.score(fb, yb)))

# %% tags=["remove-input"]
say(f"Features: {fa.shape[1]} numbers per image (the base's {shipped.output_shape[-1]} channels, averaged "
    f"over its {shipped.output_shape[1]}×{shipped.output_shape[2]} positions) instead of {xa[0].size} pixels. "
    "Test accuracy of the logistic regression:")
table([(n, 5 * n, r, f, 100 * (f - r)) for n, r, f in scores],
      ["labels per class", "training images", "raw pixels", "pretrained features", "gain (points)"],
      formats={"raw pixels": "{:.1%}", "pretrained features": "{:.1%}", "gain (points)": "{:+.1f}"})

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The same in Keras: a frozen base with a new head
#
# `build_transfer_model` puts a head on the base — global average pooling, dropout, a softmax
# layer — and **freezes** the base: `base.trainable = False` freezes every layer inside it, its
# BatchNormalization layers included. It also calls the base with `training=False`, as Keras's
# transfer-learning guide recommends (what that flag does and does not do in Keras 3: the
# BatchNormalization slide). Only the head's weights are trained:

# %%
head_base = tl.load_pretrained_base(source="shipped")
model = tl.build_transfer_model(head_base, num_classes=5)

# %% tags=["remove-input"]
head = model.layers[-1]
n_trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
say(f"Total parameters **{model.count_params():,}**; trainable **{n_trainable:,}** = the head's "
    f"{head.kernel.shape[0]} × {head.kernel.shape[1]} weights + {head.bias.shape[0]} biases.")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Training in Keras: `compile`, `fit`, `History`
#
# * `model.compile(optimizer, loss, metrics)` says **how** to train: the optimiser and its learning
#   rate (Adam, lecture 2); the loss — `"sparse_categorical_crossentropy"` is the cross-entropy of a
#   softmax output with **integer** labels (0–4 here); the metrics reported besides the loss.
# * `model.fit(x, y, batch_size, epochs, validation_data=(x_val, y_val))` runs mini-batch gradient
#   descent and returns a `History`: `history.history` holds one list per quantity, one value per
#   epoch; the `val_` ones are measured on the validation data, which is never trained on.
# * `model.evaluate(x_test, y_test)`, once at the end: loss and metrics on the test set.
#
# The validation images are a few per class taken out of the target test pool, so the test set stays
# unseen until the end.

# %% slideshow={"slide_type": "subslide"}
x_val, y_val, x_test, y_test = tl.split_per_class(x_te, y_te, n_per_class=10, seed=1)
keras.utils.set_random_seed(0)
model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-2),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(x_tr, y_tr, batch_size=16, epochs=20,
                    validation_data=(x_val, y_val), verbose=0)
test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=0)

# %% tags=["remove-input"]
logs = history.history
say(f"`history.history` has the keys {', '.join(f'`{k}`' for k in logs)}, {len(logs['loss'])} values each. "
    f"{len(x_tr)} training / {len(x_val)} validation / {len(x_test)} test images. After the last epoch: "
    f"validation accuracy {logs['val_accuracy'][-1]:.1%}; test accuracy **{test_accuracy:.1%}**.")
display(history_figure(history, figsize=(10, 3.6)))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Fine-tuning
#
# After the head has learned, **unfreeze the top layers** of the base and continue training with a
# **lower learning rate**, so the pretrained features are adjusted, not destroyed. Keep the lower
# layers frozen: they hold the most generic features, and with a few dozen images every extra
# trainable weight is a chance to overfit.
#
# After changing `trainable`, **compile again**: the training step that `compile` prepares holds the
# list of trainable weights, and a change of `trainable` does not reach it otherwise.

# %%
tl.unfreeze_top_layers(head_base, 6)           # the base inside `model`
model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),    # 10x lower
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history_ft = model.fit(x_tr, y_tr, batch_size=16, epochs=30, initial_epoch=20,
                       validation_data=(x_val, y_val), verbose=0)
tuned_loss, tuned_accuracy = model.evaluate(x_test, y_test, verbose=0)

# %% slideshow={"slide_type": "subslide"} tags=["remove-input"]
layer_rows = [(layer.name, type(layer).__name__, layer.trainable,
               sum(int(np.prod(w.shape)) for w in layer.trainable_weights))
              for layer in head_base.layers if layer.weights]
weights_ft = sum(r[3] for r in layer_rows)
unfrozen = [layer.name for layer in head_base.layers if layer.trainable]
say(f"`unfreeze_top_layers(base, 6)` takes the last 6 entries of `base.layers`, BN layers counted, as keras.io's "
    f"fine-tuning guide does (`base.layers[-6:]`); trainable among them "
    f"({', '.join(unfrozen)}): {weights_ft:,} convolution weights train, with the head's {n_trainable:,}; "
    f"every BN layer stays frozen. After {len(history_ft.history['loss'])} more epochs at learning rate "
    f"{model.optimizer.learning_rate.numpy():.0e}: test accuracy {test_accuracy:.1%} → **{tuned_accuracy:.1%}**.")
table(layer_rows, ["layer", "type", "trainable", "trainable parameters"], font_size="85%")

# %% [markdown] slideshow={"slide_type": "fragment"}
# **Try it.** Call `tl.unfreeze_top_layers(base, 3)` instead. Which layers train, and how many weights
# does fine-tuning adjust?

# %% [markdown]
# <details><summary>Answer</summary>
#
# `base.layers[-3:]` is `conv4`, `bn4`, `relu4`: `bn4` is counted but stays frozen and `relu4` has no
# weights: only `conv4` has weights that train, its 3×3×64×64 kernel, **36,864** weights (the layer table
# of the base). The head trains as before. (With 2, only `bn4` and `relu4`: nothing in the base would train.)
#
# </details>

# %% [markdown] slideshow={"slide_type": "slide"}
# ## From scratch vs frozen vs fine-tuned
#
# Three ways to learn the target task from the same few labelled images, with the same architecture,
# the same head and the same number of epochs:
#
# * **from scratch** — random initial weights, everything trained;
# * **frozen** — the pretrained base frozen, only the head trained (feature extraction);
# * **fine-tuned** — the frozen run, then the top 6 layers (`conv3` to `relu4`, BN kept frozen) unfrozen at a
#   lower learning rate.

# %%
LABELS, EPOCHS, FINE_TUNE_AFTER, BATCH = 3, 10, 5, 4   # more EPOCHS: smoother curves
LR, LR_FINE = 1e-2, 1e-3
result = tl.compare_strategies(
    n_per_class=LABELS, epochs=EPOCHS, fine_tune_after=FINE_TUNE_AFTER, batch_size=BATCH,
    fine_tune_layers=6, learning_rate=LR, fine_tune_learning_rate=LR_FINE)

# %% slideshow={"slide_type": "subslide"} tags=["remove-input"]
say(f"{result['n_train']} labelled images ({LABELS} per class), accuracy on the {result['n_test']} other images "
    f"of 5–9 after every epoch; fine-tuning from epoch {FINE_TUNE_AFTER + 1} at a learning rate "
    f"{LR / LR_FINE:.0f}× lower ({result['seconds']:.0f} s of training).")
display(strategy_curves_figure(result))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### What the Bologna notes promise, measured
#
# The Bologna lesson notes: with transfer "we start from higher performance, we learn faster and we
# have a higher accuracy max". In this run (the mean over the epochs measures how fast it learns):

# %% tags=["remove-input"]
names = {"scratch": "from scratch", "frozen": "frozen base", "fine_tuned": "fine-tuned"}
columns = ["strategy", "after epoch 1", "mean over the epochs", "best", "last epoch"]
display(table([(names[k], result[k][0], np.mean(result[k]), max(result[k]), result[k][-1]) for k in names],
              columns, formats={c: "{:.1%}" for c in columns[1:]}))
f = result["final"]
tuned = 100 * (f["fine_tuned"] - f["frozen"])
say(f"The pretrained base starts {100 * (result['frozen'][0] - result['scratch'][0]):+.1f} points and ends "
    f"{100 * (max(f['frozen'], f['fine_tuned']) - f['scratch']):+.1f} points ahead of training from scratch; "
    f"fine-tuning vs frozen at the end: {tuned:+.1f} points "
    f"({'helped' if tuned > 0.5 else 'hurt' if tuned < -0.5 else 'no real difference'}).")

# %% [markdown] slideshow={"slide_type": "fragment"}
# How to read the curves: the **frozen** run can only use the features the base learned on the
# source task, so its ceiling is how well those features separate 5–9 (the logistic regressions
# above). **From scratch** must learn everything from the labelled images. **Fine-tuning** lets the
# top layers adapt (the curve right after the dashed line shows how much unfreezing disturbs the
# model), but with so few labels it can also overfit: it is not guaranteed to beat the frozen base.

# %% [markdown] slideshow={"slide_type": "fragment"}
# **Try it.** Set `LABELS = 10` and run the comparison again. Does the pretrained base still win,
# and by as much?

# %% [markdown]
# <details><summary>Answer</summary>
#
# It still wins, by much less. The pretrained base still starts far ahead after the first epoch, but
# training from scratch catches up within a few epochs and the gap at the end shrinks to a few points:
# with more labels, a small network on 8×8 digits, whose raw pixels are already informative, learns a
# lot on its own. The logistic regressions of the feature-extraction slide show the same trend: the
# gain of the pretrained features over raw pixels is smaller with 10 labels per class than with 3.
# Transfer matters most when labels are scarce. (Fine-tuning may also dip right after unfreezing:
# with 50 images, a few gradient steps on two convolutions can disturb the features before they help.)
#
# </details>

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The BatchNormalization pitfall (Keras 3)
#
# A BN layer has **two kinds of state**: trainable $\gamma, \beta$, and the **moving mean and
# variance** of the source data, used at inference. Two flags decide what it does:
#
# * `training`, the call argument: `fit` calls the model with `training=True`, and in Keras 3 that
#   value is passed to every layer inside and **overrides** the `training=False` written in
#   `base(inputs, training=False)`.
# * `trainable`, the layer's attribute: a BN layer with `trainable=False` runs in **inference mode**
#   whatever `training` says.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Which flag wins? Measured, without training
#
# The base called with `training=False` inside an outer model, made trainable (as for fine-tuning)
# with its BN layers trainable or frozen; the outer model called with each `training` value. Largest
# difference from the base's inference output:

# %%
flags = tl.training_flag_demo(x_tr)

# %% tags=["remove-input"]
columns = ["BN layers trainable", "outer training=None", "outer training=False", "outer training=True"]
display(table([(str(bn), *(flags[(bn, t)] for t in (None, False, True))) for bn in (True, False)],
              columns, formats={c: "{:.4g}" for c in columns[1:]}))
say(f"Only **trainable** BN layers under an outer `training=True` (as in `fit`) leave inference mode: their "
    f"output moves by up to {flags[(True, True)]:.2f}, although the call says `training=False`. Frozen BN layers "
    f"give exactly {flags[(False, True)]:.0f} difference. **Only `trainable=False` on the BN layers protects them.**")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### What `fit` then does to the moving statistics
#
# Fine-tune the transfer model twice for one epoch: after the tempting `base.trainable = True` (BN
# layers trainable) and after `unfreeze_top_layers` (BN layers frozen, as in the recipe); compare the
# BN layers' moving statistics before and after:

# %%
pitfall = tl.bn_pitfall_demo(n_per_class=10, epochs=1)

# %% tags=["remove-input"]
naive, careful = pitfall["naive"], pitfall["careful"]
say(f"`base.trainable = True`: moving means moved by up to {naive['max_abs_change_mean']:.3f}, variances by "
    f"up to {naive['max_abs_change_var']:.3f}. `unfreeze_top_layers`: changes of exactly "
    f"{max(careful['max_abs_change_mean'], careful['max_abs_change_var']):.0f}: the source statistics are kept.")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Largest change of each BN layer's moving statistics

# %% tags=["remove-input"]
display(bn_pitfall_figure(pitfall))

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Keras's transfer-learning guide says that calling the base with `training=False`
# keeps its BN layers in inference mode even after unfreezing. That was true of Keras 2 (tf.keras); in
# Keras 3 the `training=True` of `fit` is passed down and wins (first table; reported to the Keras team
# in a GitHub issue on that guide, keras-team/keras "Possible typo in the Transfer learning &
# fine-tuning guide"). What protects the statistics is `trainable=False` on each BN layer. For the
# frozen base that is already the case (`base.trainable = False` freezes every layer inside); after
# unfreezing, `unfreeze_top_layers` sets it again. How much accuracy overwritten statistics cost
# depends on how far the target batches are from the source data (more with a larger domain shift,
# photographs to medical scans, and with smaller batches); on these digits one epoch is too noisy to
# show it reliably, so the slide measures the statistics themselves.

# %% [markdown] slideshow={"slide_type": "fragment"}
# **Try it.** The frozen transfer model (`build_transfer_model`) calls its base with `training=False`.
# Build it with `base(inputs)` instead (or `training=True`) and train the head: do the base's moving
# statistics change?

# %% [markdown]
# <details><summary>Answer</summary>
#
# No. `base.trainable = False` makes every BN layer inside non-trainable, and a non-trainable BN layer
# runs in inference mode whatever `training` it receives (second row of the table: all zeros). In
# Keras 3 inside `fit`, the `training=False` of the call makes no difference either way: it is
# overridden.
#
# </details>

# %% [markdown] slideshow={"slide_type": "slide"}
# ## With a real ImageNet network
#
# Online, or with the weights in the Keras cache (`~/.keras/models`), the same code uses MobileNetV2
# pretrained on ImageNet (width multiplier `alpha=0.35`, 96×96 RGB input):
#
# ```python
# base = tl.load_pretrained_base(source="imagenet")  # downloads once, then cached
# x = tl.prepare_images(x_tr, base)                   # 8x8 grey -> 96x96 RGB
# result = tl.compare_strategies(base_model=base)     # slower: a much bigger network
# ```
#
# `source="auto"` (used above) picks this path automatically when it can and otherwise explains why it
# falls back. For photographs, an ImageNet base is the standard starting point: its features
# transfer to medical images, satellite images, products...

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary: a recipe
#
# 1. Start from a network pretrained on a large source task; remove its classifier.
# 2. **Freeze** it, add a small head, `compile` and `fit` the head (feature extraction). Often enough.
# 3. To go further, **unfreeze the top layers**, keep **BatchNormalization frozen** (`trainable=False`:
#    in Keras 3 `training=False` in the call does not protect it), **recompile** with a **lower
#    learning rate**, and train a few more epochs, watching the validation accuracy.
# 4. Training from scratch needs many more labels.
#
# **Assignment 6** asks you to build the transfer model, unfreeze correctly, and reach a target
# accuracy on held-out digits within a CPU time budget.
