# %% [markdown] slideshow={"slide_type": "slide"}
# # Lecture 5 — CNN architectures
#
# *Introductory deep learning · convolutional neural networks, part 2*
#
# 1. Receptive fields — **interactive**
# 2. LeNet-5, AlexNet and VGG: where the parameters are
# 3. GoogLeNet / Inception; ResNet — skip connections, initialisation and batch norm, **measured**
# 4. Batch normalization; the notes' table of pretrained networks, recomputed
# 5. MobileNet and EfficientNet; U-Net and up-sampling
# 6. A small CNN on handwritten digits: feature maps, and what a class looks like to it

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** About 80 minutes. The lecture builds small Keras models live (a few seconds in
# all); the big networks of the pretrained table are counted from their configuration, except
# MobileNetV2, which Keras builds live (set `COMPUTE_ALL = True` to build every row in Keras, about
# two minutes more). The small CNN trains in a few seconds. Sources: Salvatore (IUSS Pavia),
# Ledda's seminar (Cagliari Digital Lab) and the Bologna lesson notes, taken from Andrea Asperti's
# slides (University of Bologna).

# %% slideshow={"slide_type": "skip"} tags=["setup"]
# %matplotlib inline
import numpy as np
from IPython.display import display

from coursekit import style

style.apply()
np.set_printoptions(precision=4, suppress=True)

from coursekit import cnn_architectures as arch
from coursekit import convolution as conv
from coursekit.cnn_architectures import build_tiny_unet, skip_gradient_norms
from coursekit.data import digits_8x8
from coursekit.display import say, table
from coursekit.keras_setup import import_keras
from coursekit.widgets.cnn_architectures import (
    ReceptiveFieldWidget,
    activation_maximization_figure,
    batch_norm_figure,
    feature_maps_figure,
    gradient_factors_figure,
    history_figure,
    layer_table_html,
    pretrained_tables,
    upsampling_figure,
)

keras = import_keras()
keras.utils.set_random_seed(0)


def show_table(model, receptive_field=True, share=False, font_size=None):
    rows = arch.layer_table(model)
    display(layer_table_html(rows, receptive_field, share, font_size))


# %% [markdown] slideshow={"slide_type": "slide"}
# ## From features to architectures
#
# A CNN is a **feature-extraction network** (convolution + pooling, repeated) followed by a
# **classifier** (dense layers, softmax): the first layers find edges, the middle ones parts, the
# last ones objects (the low-, mid- and high-level features of Ledda's seminar, Cagliari Digital Lab).
#
# The ImageNet challenge (ILSVRC: 1000 classes, 1.2 M training images) drove the "revolution of depth":
# LeNet-5 (1998) → AlexNet (2012) → VGG and GoogLeNet (2014) → ResNet and U-Net (2015) →
# MobileNet (2017) and EfficientNet (2019).

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Years are those of the papers (ResNet: arXiv, December 2015; CVPR 2016 — the
# Bologna notes' timeline files "residual connections" under 2016, the conference year). The same
# timeline dates backpropagation to 1975; Werbos described it in his 1974 thesis and Rumelhart,
# Hinton and Williams made it known in 1986.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Receptive field
#
# The **receptive field** of a unit is the part of the input it can see (Bologna lesson notes,
# after Andrea Asperti's slides, University of Bologna): the size of an input that, without padding,
# produces an output of size 1. With $r_0 = 1$, $j_0 = 1$:
#
# $$r_l = r_{l-1} + (k_l - 1)\, j_{l-1}, \qquad j_l = j_{l-1}\, s_l$$
#
# ($j$ is the distance in input pixels between neighbouring units of a layer). Stride and pooling
# multiply the growth.

# %% slideshow={"slide_type": "subslide"}
rf_widget = ReceptiveFieldWidget()
rf_widget

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Start with three layers of 3×3, stride 1: the field is that of one 7×7 layer
# (VGG's argument). Then set "pool every" to 1: the field grows much faster. The widget counts the
# input pixels in the drawing independently of the formula; both must agree.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Why VGG stacks 3×3 kernels
#
# Three 3×3 layers see as far as one 7×7 layer, with fewer parameters and three
# non-linearities instead of one:

# %%
C = 64
rf_three = arch.receptive_field([(3, 1)] * 3)
three_3x3 = 3 * conv.conv2d_param_count(3, C, C)
one_7x7 = conv.conv2d_param_count(7, C, C)

# %% tags=["remove-input"]
say(f"Receptive field of three 3×3 layers: **{rf_three}** pixels.  \n"
    f"Parameters, {C} → {C} channels: three 3×3 layers **{three_3x3:,}**, "
    f"one 7×7 layer **{one_7x7:,}** ({one_7x7 / three_3x3:.2f}× more).")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## LeNet-5 (1998)
#
# Conv 6@5×5 → average pool → Conv 16@5×5 → average pool → Dense 120 → Dense 84 → softmax, tanh
# activations, 32×32 input. Layer by layer, with each layer's receptive field:

# %% tags=["lecture-values"]
lenet = arch.build_lenet5()
show_table(lenet, font_size="90%")

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** This is the usual simplified LeNet-5: in LeCun et al. (1998) the subsampling
# layers S2 and S4 have a trainable coefficient and bias per map, C3 connects each of its 16 maps
# to only some of S2's 6 maps, and the output layer is made of radial basis units.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## AlexNet (2012)
#
# Five convolutional layers and three dense layers with max pooling in between, ReLU after every
# layer (faster training), dropout, trained on two GPUs — so layers 2, 4 and 5 are split in two
# **groups** (Salvatore, IUSS Pavia). First layer: 96 kernels of 11×11, stride 4. It won ILSVRC
# 2012 by a wide margin.

# %% slideshow={"slide_type": "subslide"} tags=["lecture-values"]
alexnet = arch.build_alexnet()
show_table(alexnet, share=True, font_size="85%")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Where AlexNet's parameters are

# %% tags=["lecture-values"]
sh = arch.dense_parameter_shares(alexnet)
rows = [(name, n, sh["shares"][name]) for name, n in sh["dense"].items()]
rows += [("all three dense layers", sh["dense_total"], sh["dense_share"]),
         ("the whole network", sh["total"], 1.0)]
display(table(rows, ["layers", "parameters", "share"], formats={"share": "{:.1%}"}))
conv_total = sh["total"] - sh["dense_total"]

# %% tags=["lecture-values", "remove-input"]
say(f"FC6 alone (6·6·256 inputs × 4096 units) holds **{sh['dense']['fc6'] / 1e6:.2f} M** "
    f"of the **{sh['total'] / 1e6:.2f} M** parameters (**{sh['shares']['fc6']:.1%}**); "
    f"the three dense layers together **{sh['dense_share']:.1%}**. The five convolutions "
    f"hold {conv_total / 1e6:.2f} M ({conv_total / sh['total']:.1%}).")

# %% [markdown] slideshow={"slide_type": "fragment"}
# Convolutions are cheap (weights shared over the image); dense layers on large maps are not.
# Later networks drop them for global average pooling.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## VGG-16 (2014)
#
# Only 3×3 convolutions ("same") and 2×2 max pooling; the number of channels doubles after each
# pooling up to 512 (64, 128, 256, 512, 512) to compensate for the lost resolution; three dense layers. Clean
# and modular, but heavy (Asperti's slides, Bologna: "138M in VGG16 vs 60M of AlexNet"). Counted
# from the configuration, layer by layer:

# %% tags=["lecture-values"]
channels = [3, 64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512]
conv_params = sum(conv.conv2d_param_count(3, a, b)
                  for a, b in zip(channels[:-1], channels[1:]))
dense_params = sum(conv.dense_param_count(a, b) for a, b in
                   [(7 * 7 * 512, 4096), (4096, 4096), (4096, 1000)])
vgg16_total = conv_params + dense_params
conv3, pool = (3, 1), (2, 2)                        # (kernel, stride)
to_conv5_3 = ([conv3] * 2 + [pool]) * 2 + ([conv3] * 3 + [pool]) * 2 + [conv3] * 3
rf_conv5_3 = arch.receptive_field(to_conv5_3)
rf_pool5 = arch.receptive_field(to_conv5_3 + [pool])

# %% tags=["lecture-values", "remove-input"]
say(f"13 conv layers: **{conv_params:,}**; 3 dense layers: **{dense_params:,}** "
    f"({dense_params / vgg16_total:.1%}); total **{vgg16_total:,}** = "
    f"{vgg16_total / 1e6:.2f} M (AlexNet: {alexnet.count_params() / 1e6:.2f} M).  \n"
    f"Receptive field of a **conv5_3** unit (last conv): "
    f"**{rf_conv5_3}×{rf_conv5_3}** pixels; of a **pool5** unit (after the last "
    f"pooling): **{rf_pool5}×{rf_pool5}**.")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Try it.** How many 3×3, stride-1 convolutions must a unit stack before its receptive field
# covers a whole 28×28 digit? And if a 2×2 max-pool follows every second convolution? Use the
# formula or the widget.

# %% [markdown] slideshow={"slide_type": "fragment"}
# <details><summary>Answer</summary>
#
# Without pooling each layer adds 2 pixels: $1 + 2n \ge 28$ needs **14** layers (field 29). With a
# pool after every second conv the jump doubles at each pool: **6** convolutions (two pools in
# between) reach 32 pixels; five reach only 24.
#
# </details>

# %% slideshow={"slide_type": "skip"}
# check of the answer (hidden in the deck)
n_plain = next(n for n in range(1, 50) if arch.receptive_field([(3, 1)] * n) >= 28)


def with_pools(n):
    """n 3x3 convs, a 2x2 pool after every second one (none after the last)."""
    stack = []
    for i in range(1, n + 1):
        stack += [(3, 1)] + [(2, 2)] * (i % 2 == 0 and i < n)
    return arch.receptive_field(stack)


n_pool = next(n for n in range(1, 50) if with_pools(n) >= 28)
print(f"no pooling: {n_plain} layers, field {arch.receptive_field([(3, 1)] * n_plain)}")
print(f"pool every 2: {n_pool} convs, field {with_pools(n_pool)} "
      f"({n_pool - 1} convs: {with_pools(n_pool - 1)})")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## GoogLeNet and the Inception module (2014)
#
# Which kernel size is right — 1×1, 3×3, 5×5, or pooling? The Inception module uses them **all in
# parallel** and concatenates the results on the channel axis. To keep this affordable, 1×1
# convolutions **reduce the depth** before the 3×3 and 5×5 branches. GoogLeNet stacks nine such
# modules: "22 layers that require training (27 when including the pooling layers)", with far
# fewer parameters than AlexNet (Salvatore, IUSS Pavia). Inception-v3 (48 layers) refines the idea.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### GoogLeNet's module "3a" on its 28×28×192 input

# %%
inp = keras.Input((28, 28, 192))
out = arch.inception_module(inp, 64, 96, 128, 16, 32, 32)
module = keras.Model(inp, out, name="inception_3a")
show_table(module, receptive_field=False, font_size="80%")

# %% slideshow={"slide_type": "fragment"}
without_reduction = sum(conv.conv2d_param_count(k, 192, f)
                        for k, f in [(1, 64), (3, 128), (5, 32), (1, 32)])

# %% tags=["remove-input"]
say(f"The same four branches without the 1×1 reductions: **{without_reduction:,}** "
    f"parameters ({without_reduction / module.count_params():.1f}× the module's "
    f"{module.count_params():,}).")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## ResNet (2015): residual blocks
#
# Each block learns a **residual** $F(x)$ and outputs $\mathrm{ReLU}(F(x) + x)$ — the input is
# carried around the block by a **skip connection** (Asperti's slides, Bologna). Batch normalization
# after each convolution, global average pooling instead of big dense layers (Salvatore, IUSS Pavia).
#
# $\dfrac{\partial\, (x + F(x))}{\partial x} = I + \dfrac{\partial F}{\partial x}$: the identity
# passes the gradient down the block unchanged. The Bologna notes credit ResNet's success to this
# (less vanishing gradient); He et al. say something else — measured in a moment.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### A down-sampling block, layer by layer

# %%
inp = keras.Input((32, 32, 64))
block = keras.Model(inp, arch.residual_block(inp, 64), name="basic_block")
out = arch.residual_block(inp, 128, strides=2)
down = keras.Model(inp, out, name="downsampling_block")
show_table(down, receptive_field=False, font_size="80%")
say(f"The basic block (64 → 64, identity shortcut) has {block.count_params():,} "
    f"parameters; the down-sampling one {down.count_params():,}.")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Gradients: skip connections, initialisation, batch norm — separated
#
# Two networks with the same 13 convolutional layers (a stem and six blocks of two 3×3 ReLU
# convolutions), one plain and one with a skip connection around every block, same initial weights.
# We vary the other two factors: Keras's default **Glorot** init vs **He** init, and batch norm off
# vs on. One batch of 64 digits, and the gradient norm reaching each kernel (`tf.GradientTape`):

# %% slideshow={"slide_type": "subslide"}
digits, labels = digits_8x8()
runs = [skip_gradient_norms(digits[:64], labels[:64], num_blocks=6,
                            kernel_initializer=init, batch_norm=bn)
        for bn in (False, True) for init in ("glorot_uniform", "he_normal")]
rows = [("yes" if r["batch_norm"] else "no", r["kernel_initializer"], r["plain"][0],
         r["residual"][0], r["residual"][0] / r["plain"][0]) for r in runs]
columns = ["batch norm", "init", "plain: layer 1", "residual: layer 1",
           "residual / plain"]
display(table(rows, columns, formats={"plain: layer 1": "{:.2e}",
                                      "residual: layer 1": "{:.2e}",
                                      "residual / plain": "{:,.1f}"}))

# %% slideshow={"slide_type": "subslide"} tags=["remove-input"]
display(gradient_factors_figure(runs))

# %% slideshow={"slide_type": "subslide"}
glorot, he, glorot_bn = runs[0], runs[1], runs[2]
fan = 3 * 3 * 16                       # fan_in = fan_out of a 3x3 conv, 16 -> 16
var_w = {"Glorot": 2 / (fan + fan), "He": 2 / fan}
per_layer = {k: fan * v / 2 for k, v in var_w.items()}   # ReLU: fan_in Var(w) / 2

# %% tags=["remove-input"]
g1 = {k: (r["plain"][0], r["residual"][0]) for k, r in
      [("glorot", glorot), ("he", he), ("glorot_bn", glorot_bn)]}
say(f"**Initialisation.** A ReLU layer multiplies the signal's second moment by "
    f"fan_in·Var(w)/2: **{per_layer['Glorot']:.2f}** with Glorot (Var = 2/(fan_in + "
    f"fan_out)), **{per_layer['He']:.2f}** with He (Var = 2/fan_in). Over 13 layers "
    f"Glorot leaves {per_layer['Glorot'] ** 13:.1e} of it. He init alone raises the "
    f"plain stack's first-layer gradient **{g1['he'][0] / g1['glorot'][0]:,.0f}×**.  \n"
    f"**Batch norm.** With Glorot and batch norm, the plain stack's first-layer gradient "
    f"is {g1['glorot_bn'][0]:.2f} against the residual's {g1['glorot_bn'][1]:.2f}: no "
    f"vanishing gradient left for the skip connections to fix.  \n"
    f"Without batch norm, skips lift the first layer's gradient "
    f"{g1['glorot'][1] / g1['glorot'][0]:,.0f}× under Glorot, but with He init they make "
    f"it grow ({g1['he'][1]:.2f} vs {g1['he'][0]:.2e}): each block adds its variance "
    f"to its input's.")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### What He et al. actually report
#
# He, Zhang, Ren and Sun, *Deep Residual Learning for Image Recognition* (2015), train **plain nets
# with batch norm**: a 56-layer plain net has *higher training error* than a 20-layer one on CIFAR-10,
# and a 34-layer plain net than an 18-layer one on ImageNet — the **degradation problem**. It is not
# overfitting (training error) and, they argue, not vanishing gradients: batch norm "ensures forward
# propagated signals to have non-zero variances", and they verify the backward gradients "exhibit
# healthy norms". Deep plain nets are *hard to optimise*; residual blocks make the identity easy to
# learn ($F = 0$), and the deeper ResNets train to lower error than the shallower ones.

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** The measurement above reproduces the second half of their argument: with batch
# norm, plain and residual stacks have gradients of the same size. What it cannot show in a few
# seconds is the degradation itself, which needs training to convergence; the paper's figure 1
# (training curves of the 20- and 56-layer plain nets) is the slide to show.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Batch normalization
#
# Normalise each channel over the mini-batch, then let the network rescale it:
#
# $$\hat x = \frac{x - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}}, \qquad y = \gamma \hat x + \beta$$
#
# During training $\mu_B, \sigma_B^2$ are the batch's statistics, and **moving averages** of them are
# kept; at inference the moving averages are used (so one image's output does not depend on the
# others in its batch). Keeps activations in a good range, allows higher learning rates; a layer
# to remember in the next lecture (transfer learning).

# %% slideshow={"slide_type": "subslide"}
rng = np.random.default_rng(0)
acts = rng.normal(3.0, 2.5, size=(256, 4)).astype("float32")  # 4 channels
gamma, beta = np.ones(4, "float32"), np.zeros(4, "float32")
out, new_mean, new_var = arch.batch_norm_forward(
    acts, gamma, beta, np.zeros(4), np.ones(4), training=True)
bn = keras.layers.BatchNormalization()
keras_out = np.asarray(bn(acts, training=True))
print("same as Keras BatchNormalization(training=True):",
      np.allclose(out, keras_out, atol=1e-5))
print("moving mean after one batch:", new_mean.round(4))
print("Keras:                      ", np.asarray(bn.moving_mean).round(4))

# %% slideshow={"slide_type": "subslide"} tags=["remove-input"]
display(batch_norm_figure(acts, out))

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Try it.** A `BatchNormalization` layer after a convolution with 64 filters: how many numbers
# does Keras's `count_params()` report for it, and how many of them does training change?

# %% [markdown] slideshow={"slide_type": "fragment"}
# <details><summary>Answer</summary>
#
# **256**: per channel $\gamma$ and $\beta$ (trained, **128**) and the moving mean and variance
# (updated as averages, not by gradients: the other 128). Keep this in mind for the next table.
#
# </details>

# %% slideshow={"slide_type": "skip"}
# check of the answer (hidden in the deck)
bn64 = keras.layers.BatchNormalization()
bn64.build((None, 8, 8, 64))
n_trained = sum(int(np.prod(w.shape)) for w in bn64.trainable_weights)
print(f"count_params {bn64.count_params()}, trainable {n_trained}, "
      f"not trainable {bn64.count_params() - n_trained}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The notes' table of pretrained networks, recomputed
#
# Salvatore's slide (IUSS Pavia) lists depth, size, parameters and input size of pretrained
# networks (it is MATLAB's table). `keras.applications` builds the architectures with `weights=None`
# (no download), but a big one takes many seconds to build; so MobileNetV2 is built live, AlexNet is the model
# above, and ResNet-50/101, DenseNet-201 and VGG-16/19 are counted from their configuration
# (coursekit's count equals Keras's `count_params()`; the tests build both).

# %% slideshow={"slide_type": "subslide"} tags=["lecture-values"]
COMPUTE_ALL = False                 # True: build every row in Keras (minutes)
live = None if COMPUTE_ALL else ["mobilenetv2", "alexnet"]
counted = [] if COMPUTE_ALL else ["resnet50", "resnet101", "densenet201",
                                   "vgg16", "vgg19"]
nets = arch.pretrained_networks_table(live, counted=counted)
param_table, shape_table = pretrained_tables(nets)
display(param_table)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Where Keras and the notes differ

# %% tags=["lecture-values", "remove-input"]
by_name = {r["name"]: r for r in nets}
parts = []
for name in ("densenet201", "resnet101"):
    r = by_name[name]
    diff = r["params_m"] - r["lecture_params_m"]
    parts.append(f"**{name}** {r['params_m']:.2f} M vs {r['lecture_params_m']} M "
                 f"(**{diff:+.2f} M**, {diff / r['lecture_params_m']:+.1%})")
trained = [by_name[n]["trainable_params_m"] for n in ("densenet201", "resnet101")]
say("Keras's count does **not** match the notes everywhere: " + "; ".join(parts) + ".  \n"
    "The difference is batch norm's moving mean and variance, which `count_params()` "
    "includes and MATLAB does not count: the **trainable** parameters, "
    f"{trained[0]:.2f} M and {trained[1]:.2f} M, are the notes' numbers.")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Depth, size and input

# %%
display(shape_table)
missing = [r["name"] for r in nets if r["note"] == "not in keras.applications"]
say(f"Not in `keras.applications` at all: {', '.join(missing)}.")

# %% [markdown] slideshow={"slide_type": "fragment"}
# "Depth" differs: MATLAB counts the longest path of conv and dense layers (our *conv+dense path*);
# keras.io counts layers holding weights, batch norm included. The notes' *size* is about the
# float32 size (parameters × 4 bytes).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## MobileNet and EfficientNet
#
# **MobileNet** (2017) replaces standard convolutions with depthwise-separable ones (lecture 4);
# MobileNetV2 adds inverted residual blocks.
#
# **EfficientNet** (2019) asks how to scale a network up: deeper, wider (channels) or higher
# resolution? Its answer is to scale **all three together** (Asperti's slides, Bologna): depth
# $\alpha^\phi$, width $\beta^\phi$, resolution $\gamma^\phi$ with $\alpha\beta^2\gamma^2 \approx 2$,
# so each step of $\phi$ roughly doubles the cost. The paper's grid search (Tan and Le) gave
# $\alpha = 1.2, \beta = 1.1, \gamma = 1.15$.

# %% slideshow={"slide_type": "subslide"}
std = conv.conv2d_param_count(3, 64, 128)
sep = arch.separable_conv_param_count(3, 64, 128)
mobile, res50 = by_name["mobilenetv2"]["params_m"], by_name["resnet50"]["params_m"]
alpha, beta_w, gamma_r = 1.2, 1.1, 1.15
cost = alpha * beta_w**2 * gamma_r**2
rows = [(phi, alpha**phi, beta_w**phi, round(224 * gamma_r**phi), cost**phi)
        for phi in range(4)]

# %% tags=["remove-input"]
say(f"A 3×3 layer, 64 → 128 channels: standard {std:,} parameters, separable {sep:,} "
    f"(**{std / sep:.1f}×** fewer). MobileNetV2 has **{mobile:.2f} M** parameters, "
    f"ResNet-50 **{res50:.2f} M** ({res50 / mobile:.1f}×).")
fmt = "{:.2f}"
display(table(rows, ["φ", "depth ×", "width ×", "resolution (px)", "FLOPs ×"],
              formats={"depth ×": fmt, "width ×": fmt, "FLOPs ×": fmt},
              caption=f"α = {alpha}, β = {beta_w}, γ = {gamma_r}: αβ²γ² = {cost:.3f}"))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## U-Net (2015): segmentation
#
# Classification gives one label per image; **semantic segmentation** one label per pixel
# (Salvatore: "suited for (medical) image segmentation"). A U-Net is *fully convolutional*:
#
# * an **encoder** (conv + pooling) shrinks the image and grows the channels;
# * a **decoder** up-samples back with **transposed convolutions** — a learned up-sampling;
# * **skip connections** concatenate each encoder map to the decoder map of the same size, so the
#   fine detail lost by pooling comes back.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Up-sampling: unpooling is not a transposed convolution
#
# Ledda's seminar (Cagliari Digital Lab) calls its up-sampling layer "unpooling": each pixel
# expanded to many. **Max unpooling** puts each value back where the pooling found its maximum;
# **UpSampling2D** repeats it; **Conv2DTranspose** multiplies it by a *learned* kernel:

# %%
x = np.array([[1, 3, 2, 0], [4, 2, 1, 5], [0, 1, 7, 2], [3, 2, 1, 1]], float)
kernel = [[1.0, 0.5], [0.25, 0.0]]    # Conv2DTranspose's kernel (learned)
panels = arch.upsampling_comparison(x, kernel)
display(upsampling_figure(panels, kernel))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### A two-level U-Net on 64×64 images: the encoder
#
# Receptive fields grow through the encoder as before.

# %%
unet = build_tiny_unet((64, 64, 1), base_filters=8, levels=2)
unet_rows = arch.layer_table(unet)
half = [r["name"] for r in unet_rows].index("up2")
display(layer_table_html(unet_rows[:half], font_size="85%"))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The decoder
#
# A 2×2 stride-2 transposed convolution spreads each unit over a 2×2 block and adds no field; after
# it, units see different numbers of pixels depending on where they sit in that block: "n/a".

# %%
display(layer_table_html(unet_rows[half:], font_size="80%"))
say(f"The whole U-Net: {unet.count_params():,} parameters.")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A small CNN on handwritten digits
#
# Everything together on scikit-learn's bundled 8×8 digits, with Keras's `compile` (optimizer,
# loss, metrics) and `fit`: Conv 16@3×3 → Conv 32@3×3 → max pool → dropout → softmax.

# %% slideshow={"slide_type": "subslide"}
from sklearn.model_selection import train_test_split

x = digits[..., None].astype("float32")
x_train, x_test, y_train, y_test = train_test_split(
    x, labels, test_size=0.25, random_state=0, stratify=labels)
keras.utils.set_random_seed(0)
cnn = arch.small_cnn()                      # the layers; compiled below
show_table(cnn, font_size="90%")
say(f"{len(x)} images, 10 classes: {len(x_train)} for training, "
    f"{len(x_test)} for testing.")

# %% slideshow={"slide_type": "subslide"}
cnn.compile(optimizer=keras.optimizers.Adam(1e-2),
            loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = cnn.fit(x_train, y_train, epochs=8, batch_size=32,
                  validation_data=(x_test, y_test), verbose=0)
test_loss, test_acc = cnn.evaluate(x_test, y_test, verbose=0)
epochs = len(history.history["loss"])
say(f"Test accuracy after {epochs} epochs: **{test_acc:.1%}** "
    f"on {len(x_test)} test digits.")

# %% tags=["remove-input"]
display(history_figure(history.history, title="small CNN on the 8x8 digits",
                       figsize=(8.0, 3.6)))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### What the layers see: feature maps
#
# The activations of the two convolutional layers and the pooling layer for one test digit (the
# first 8 channels of each): edge-filtered copies of the digit first, coarser maps after pooling.

# %% tags=["remove-input"]
maps = arch.feature_maps(cnn, x_test[0], ["conv1", "conv2", "pool"])
predicted = int(cnn.predict(x_test[:1], verbose=0).argmax())
say(f"Predicted {predicted}, true {int(y_test[0])}.")
display(feature_maps_figure(x_test[0], maps))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### What a class looks like to the network
#
# Start from a grey image and climb the gradient **of the class score with respect to the input**
# (the weights stay fixed): $x \leftarrow x + \eta\, \nabla_x \big(z_c(x) - \lambda \lVert x - 0.5\rVert^2\big)$,
# pixels kept in $[0, 1]$. Salvatore's slides (IUSS Pavia, after A. Vedaldi) show the relative
# *inversion*: an image whose features match a given image's.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Activation maximisation on the digits CNN

# %%
steps = 40
am = arch.activation_maximization(cnn, steps=steps, learning_rate=0.05, l2=0.05)
means = np.stack([x_train[y_train == c, ..., 0].mean(axis=0) for c in range(10)])
display(activation_maximization_figure(am, means))

# %% slideshow={"slide_type": "fragment"} tags=["remove-input"]
p = am["probabilities"][np.arange(10), am["classes"]]
j0, j1 = am["objective"][0].mean(), am["objective"][-1].mean()
say(f"After {steps} steps every image gets its class with probability ≥ **{p.min():.4f}**; "
    f"the objective rose from {j0:.1f} to {j1:.1f} on average. Compare with the class "
    f"averages: which strokes does each class rely on, where does it want *no* ink?")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Try it.** VGG-16's dense layers hold most of its parameters. Replace its three dense layers by
# global average pooling and one Dense layer 512 → 1000 (as ResNet does): how many parameters remain?

# %% [markdown] slideshow={"slide_type": "fragment"}
# <details><summary>Answer</summary>
#
# The 13 convolutions keep their 14,714,688; the head becomes 512·1000 + 1000 = 513,000: in all
# **15,227,688**, about 11% of VGG-16.
#
# </details>

# %% slideshow={"slide_type": "skip"}
# check of the answer (hidden in the deck)
gap_head = conv.dense_param_count(512, 1000)
print(f"conv {conv_params:,} + head 512·1000 + 1000 = {gap_head:,}: "
      f"{conv_params + gap_head:,} ({(conv_params + gap_head) / vgg16_total:.0%} "
      f"of VGG-16's {vgg16_total:,})")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# * Receptive fields grow by $(k-1)\,j$ per layer; strides and pooling multiply the growth.
# * LeNet → AlexNet → VGG: deeper stacks of small kernels; the parameters live in the dense layers.
# * Inception: parallel branches, 1×1 reductions. ResNet: $F(x) + x$ makes very deep nets
#   trainable (degradation, not vanishing gradients, when batch norm is used).
# * Batch norm normalises with batch statistics in training, moving averages at inference.
# * MobileNet (separable convolutions) and EfficientNet (compound scaling) buy efficiency.
# * U-Net: encoder–decoder with skip connections and learned up-sampling, for per-pixel labels.
#
# **Next:** reusing a trained network for a new task with little data — transfer learning.
