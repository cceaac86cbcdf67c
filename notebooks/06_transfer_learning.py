# %% [markdown] slideshow={"slide_type": "slide"}
# # Lecture 6 — Transfer learning
#
# *Introductory deep learning · reusing what a network has learned*
#
# 1. Why: deep networks need data, and we rarely have it
# 2. The offline setting of this course: a source task and a target task
# 3. Feature extraction with a frozen base
# 4. Fine-tuning the top layers with a lower learning rate
# 5. From scratch vs frozen vs fine-tuned: the curves
# 6. The BatchNormalization pitfall, demonstrated
# 7. With a real ImageNet network (online)

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** About 60 minutes. The notebook runs offline: the "pretrained" base is a small CNN shipped with
# the course (trained by `scripts/train_pretrained_base.py` on a 91-class source task: handwritten
# and printed digits 0–4 plus printed letters and symbols). If the machine has
# the ImageNet MobileNetV2 weights cached (or network access), `load_pretrained_base` says so; the
# experiments below use the shipped base either way (an ImageNet base is much slower on CPU). The
# comparison of strategies trains three runs of 10 epochs at 3 labels per class: about 10–20 s (a
# second comparison at 10 labels per class would push the notebook past its 60 s budget; run it live
# if there is time).
# Expect transfer to win clearly with 3 labels per class and by about a point at 10, and fine-tuning
# not to beat the frozen base reliably; the printed numbers are what to quote.

# %% slideshow={"slide_type": "skip"} tags=["setup"]
# %matplotlib inline
import numpy as np
from IPython.display import display

from coursekit import style

style.apply()
np.set_printoptions(precision=4, suppress=True)

from coursekit import cnn_architectures as arch
from coursekit import transfer_learning as tl
from coursekit.keras_setup import import_keras
from coursekit.widgets.transfer_learning import bn_pitfall_figure, strategy_curves_figure, task_examples_figure

keras = import_keras()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Why transfer learning?
#
# Deep networks have millions of parameters and need **huge labelled data sets** (ImageNet: 1.2 M
# images). Most real problems — a hospital's scans, a factory's defects — have hundreds. Susto's
# lecture (University of Padova) lists "need for huge datasets" as deep learning's weakness, with transfer
# learning as the answer.
#
# The idea (Bologna lesson notes): take a network trained on a big **source** task, **cut the final
# layers**, **freeze** the rest as a feature extractor, and train a new small head for the
# **target** task. Optionally, **fine-tune**: unfreeze some of the top layers and retrain them gently
# — more powerful, but riskier (overfitting, destroying the features).
#
# Why it works: the early layers learn generic features (edges, strokes, textures) that are
# useful for many tasks.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The setting of this course (offline)
#
# * **Source task:** 91 classes of 8×8 images: the ~900 handwritten digits **0–4** of scikit-learn's
#   digits, plus printed digits 0–4, Latin and Greek letters and symbols rendered from the 21 fonts
#   matplotlib ships, with random stroke width, rotation, slant, scale and shift, reduced to 8×8
#   the way the UCI digits were (~15,000 images). A small CNN with batch normalization was trained
#   on it and ships with the course.
# * **Target task:** handwritten digits **5–9** — classes the base has *never* seen — with only a few
#   labelled images per class (10 here, 3 in the comparison below). The remaining ~850 images of
#   5–9 are the test set.

# %% slideshow={"slide_type": "-"}
x_src, y_src = tl.source_task_data()
x_tr, y_tr, x_te, y_te = tl.target_task_data(n_per_class=10, seed=0)
print(f"source: {x_src.shape[0]} images, {len(tl.SOURCE_CLASSES)} classes, e.g. "
      f"{' '.join(tl.SOURCE_CLASSES[:8])} ... {' '.join(tl.SOURCE_CLASSES[-8:])}")
print(f"target: {x_tr.shape[0]} training images, {x_te.shape[0]} test images, "
      f"labels {sorted(set(y_tr.tolist()))} (= digit - 5)")
display(task_examples_figure(x_src, y_src, x_tr, y_tr + 5))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The pretrained base
#
# `load_pretrained_base(source="auto")` uses a real ImageNet network (MobileNetV2) when its weights are
# in the Keras cache or can be downloaded, and otherwise the shipped digits base — and prints which
# one and why.

# %% slideshow={"slide_type": "-"}
base = tl.load_pretrained_base(source="auto")
print(f"base: {base.name}, input {base.input_shape[1:]}, output {base.output_shape[1:]}, "
      f"{base.count_params():,} parameters")
shipped = base if base.name == "digits_base" else tl.load_pretrained_base(source="shipped")
print(arch.format_layer_table(arch.layer_table(shipped)))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Feature extraction
#
# Run the frozen base once over the images and keep its output, global-average-pooled to one
# vector per image. Then any simple classifier can learn the target task on these **features**.
# First test: a logistic regression on the 50 training images — on raw pixels vs on the
# shipped base's features.

# %% slideshow={"slide_type": "-"}
from sklearn.linear_model import LogisticRegression

f_tr = tl.extract_features(shipped, x_tr)
f_te = tl.extract_features(shipped, x_te)
print("features:", f_tr.shape)
raw = LogisticRegression(max_iter=2000).fit(x_tr.reshape(len(x_tr), -1), y_tr)
feat = LogisticRegression(max_iter=2000).fit(f_tr, y_tr)
acc_raw = raw.score(x_te.reshape(len(x_te), -1), y_te)
acc_feat = feat.score(f_te, y_te)
print(f"logistic regression on raw pixels:        {acc_raw:.1%}")
print(f"logistic regression on pretrained features: {acc_feat:.1%}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The same in Keras: a frozen base with a new head
#
# `build_transfer_model` puts a head on the base — global average pooling, dropout, a softmax
# layer — and **freezes** the base (`base.trainable = False`, called with `training=False`). Only the
# head's weights are trained:

# %% slideshow={"slide_type": "-"}
model = tl.build_transfer_model(tl.load_pretrained_base(source="shipped"), num_classes=5)
trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
print(f"total parameters {model.count_params():,}; trainable {trainable:,} (the head: 64 x 5 + 5)")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Fine-tuning
#
# After the head has learned, **unfreeze the top layers** of the base and continue training with a
# **lower learning rate** (here 10× lower), so the pretrained features are adjusted, not destroyed.
# Keep the lower layers frozen: they hold the most generic features, and with 50 images every extra
# trainable weight is a chance to overfit.
#
# After changing `trainable`, the model must be **compiled again** for the change to take effect.

# %% slideshow={"slide_type": "-"}
demo_base = tl.load_pretrained_base(source="shipped")
tl.unfreeze_top_layers(demo_base, 4)
print(f"{'layer':<8} trainable")
for layer in demo_base.layers:
    print(f"{layer.name:<8} {layer.trainable}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## From scratch vs frozen vs fine-tuned
#
# Three ways to learn the target task from the same **15 labelled images** (3 per class), same
# architecture, same head, same number of training steps:
#
# * **from scratch** — random initial weights, everything trained;
# * **frozen** — the pretrained base frozen, only the head trained (feature extraction);
# * **fine-tuned** — the frozen run, then the top 4 layers unfrozen at a 10× lower learning rate.
#
# Accuracy on the ~850 target test images after every epoch (change `LABELS` to 10 and run again to
# see the gap shrink as labels get cheaper):

# %% slideshow={"slide_type": "-"}
LABELS, EPOCHS, FINE_TUNE_AFTER, BATCH = 3, 10, 5, 4    # raise EPOCHS for smoother curves
results = [tl.compare_strategies(n_per_class=n, epochs=EPOCHS, fine_tune_after=FINE_TUNE_AFTER,
                                 fine_tune_layers=4, batch_size=BATCH) for n in (LABELS,)]
display(strategy_curves_figure(results))
print(f"{'labels/class':>12} {'scratch':>8} {'frozen':>8} {'fine-tuned':>10}")
for r in results:
    f = r["final"]
    print(f"{r['n_train'] // 5:>12} {f['scratch']:>8.1%} {f['frozen']:>8.1%} {f['fine_tuned']:>10.1%}")
for r in results:
    f, n = r["final"], r["n_train"] // 5
    transfer = max(f["frozen"], f["fine_tuned"])
    tuned = 100 * (f["fine_tuned"] - f["frozen"])
    print(f"{n} labels per class: the pretrained base is {100 * (transfer - f['scratch']):+.1f} points "
          f"ahead of training from scratch; fine-tuning vs frozen: {tuned:+.1f} points "
          f"({'helped' if tuned > 0.5 else 'hurt' if tuned < -0.5 else 'no real difference'}).")
print(f"({sum(r['seconds'] for r in results):.0f} s of training)")

# %% [markdown] slideshow={"slide_type": "fragment"}
# How to read the curves: the **frozen** run can only use the features the base learned on the
# source task (digits 0–4, letters, symbols), so its ceiling is how well those stroke features
# separate 5–9 (compare with the logistic regressions above). **From scratch** must learn everything
# from the labelled images: with 3 per class it has almost nothing to learn from; with more labels
# a small network on 8×8 digits, where raw pixels are already informative, catches up quickly. **Fine-tuning** lets the
# top layers adapt (the lower learning rate keeps the jump at the dashed line smooth), but with so few
# labels it can also overfit: it is not guaranteed to beat the frozen base (see the printed
# comparison). (Exact numbers vary between machines and seeds: TensorFlow's CPU kernels are not bit-for-bit
# deterministic, and 15 training images make every run noisy.)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The BatchNormalization pitfall
#
# A batch-norm layer has **two kinds of state**: trainable $\gamma, \beta$, and the **moving mean and
# variance** it learned on the source data, used at inference. When fine-tuning:
#
# * The tempting `base.trainable = True` also makes the BN layers trainable. In Keras 3, `fit` calls
#   the model with `training=True`, and that **overrides** the `training=False` we passed when
#   calling the base — so the BN layers normalise with the statistics of tiny target batches and
#   **overwrite their moving averages** with them.
# * The fix, used by `unfreeze_top_layers`: keep every BN layer **frozen** (`trainable=False`). A frozen
#   BN layer runs in inference mode even inside `fit`, so its statistics stay those of the source.
#
# Demonstrated: fine-tune twice for one epoch, and measure how far each BN layer's moving statistics move.

# %% slideshow={"slide_type": "-"}
pitfall = tl.bn_pitfall_demo(n_per_class=10, epochs=1)
display(bn_pitfall_figure(pitfall))
for mode, r in pitfall.items():
    print(f"{mode:>8}: max |change| moving mean {r['max_abs_change_mean']:.4f}, "
          f"moving variance {r['max_abs_change_var']:.4f}; test accuracy {r['test_accuracy']:.1%}")

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** The careful run's changes are exactly zero. Stress that `training=False` in the call is
# necessary (the frozen base) but not sufficient once layers are unfrozen: it is the BN layers'
# own `trainable=False` that protects their statistics in Keras 3.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## With a real ImageNet network
#
# Online, or with the weights in the Keras cache (`~/.keras/models`), the same code uses MobileNetV2
# (width 0.35, 96×96 RGB input) pretrained on ImageNet:
#
# ```python
# base = tl.load_pretrained_base(source="imagenet")    # downloads ~2 MB once, then cached
# x = tl.prepare_images(x_tr, base)                     # 8x8 grey -> 96x96 RGB
# result = tl.compare_strategies(base_model=base)       # slower: a much bigger network
# ```
#
# `source="auto"` (used above) picks this path automatically when it can and otherwise explains why it
# falls back. For photographs, an ImageNet base is the standard starting point: its features
# transfer to medical images, satellite images, products...

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary: a recipe
#
# 1. Start from a network pretrained on a large source task; remove its classifier.
# 2. **Freeze** it, add a small head, train the head (feature extraction). Often enough.
# 3. To go further, **unfreeze the top layers**, keep **BatchNormalization frozen**, recompile with a
#    **lower learning rate**, and train a few more epochs, watching the validation accuracy.
# 4. Training from scratch needs much more data.
#
# **Assignment 6** asks you to build the transfer model, unfreeze correctly, and reach a target
# accuracy on held-out digits within a CPU time budget.
