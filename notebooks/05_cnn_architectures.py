# %% [markdown] slideshow={"slide_type": "slide"}
# # Lecture 5 — CNN architectures
#
# *Introductory deep learning · convolutional neural networks, part 2*
#
# 1. Receptive fields — **interactive**
# 2. LeNet-5 and AlexNet, layer by layer
# 3. VGG: stacks of 3×3
# 4. GoogLeNet / Inception: parallel branches and 1×1 reductions
# 5. ResNet: residual blocks, and why they help gradients — **measured**
# 6. Batch normalization
# 7. MobileNet and EfficientNet; the lecture's table of pretrained networks, recomputed
# 8. U-Net for segmentation
# 9. A small CNN trained on handwritten digits, and its feature maps

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** About 80 minutes. Building big Keras models takes seconds each; the table of pretrained networks
# builds a subset live (set `COMPUTE_ALL = True` before the lecture if you want every row — about a
# minute more). The small CNN trains in a few seconds.

# %% slideshow={"slide_type": "skip"} tags=["setup"]
# %matplotlib inline
import numpy as np
from IPython.display import Markdown, display

from coursekit import style

style.apply()
np.set_printoptions(precision=4, suppress=True)

from coursekit import cnn_architectures as arch
from coursekit import convolution as conv
from coursekit.cnn_architectures import build_tiny_unet, skip_gradient_norms
from coursekit.data import digits_8x8
from coursekit.keras_setup import import_keras
from coursekit.widgets.cnn_architectures import (
    ReceptiveFieldWidget,
    batch_norm_figure,
    feature_maps_figure,
    gradient_norms_figure,
    history_figure,
    pretrained_table_markdown,
)

keras = import_keras()
keras.utils.set_random_seed(0)


def show_table(model, receptive_field=True):
    rows = arch.layer_table(model)
    if receptive_field:
        print(arch.format_layer_table(rows))
    else:
        for r in rows:
            print(f"{r['name'][:21]:<22}{r['type'][:19]:<20}{str(r['output_shape']):<22}{r['params']:>10,}")
        print(f"{'total':<64}{sum(r['params'] for r in rows):>10,}")


# %% [markdown] slideshow={"slide_type": "slide"}
# ## From features to architectures
#
# A CNN is a **feature-extraction network** (convolution + pooling, repeated) followed by a
# **classifier** (dense layers, softmax): the first layers find edges, the middle ones parts, the
# last ones objects (the low-, mid- and high-level features of Ledda's seminar, Cagliari Digital Lab).
#
# The ImageNet challenge (1000 classes, 1.2 M training images) drove the "revolution of depth":
#
# | year | network | idea |
# |---|---|---|
# | 1998 | LeNet-5 | conv + pool + dense, for digits |
# | 2012 | AlexNet | big, ReLU, dropout, GPUs — the deep-learning breakthrough |
# | 2014 | VGG | only 3×3 convolutions, deeper |
# | 2014 | GoogLeNet | Inception modules, 1×1 reductions |
# | 2015 | ResNet | residual connections, 152 layers |
# | 2015 | U-Net | encoder–decoder for segmentation |
# | 2017–19 | MobileNet, EfficientNet | cheap convolutions, balanced scaling |

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Receptive field
#
# The **receptive field** of a unit is the part of the input it can see (Bologna lesson notes): the
# size of an input that, without padding, produces an output of size 1. With $r_0 = 1$, $j_0 = 1$:
#
# $$r_l = r_{l-1} + (k_l - 1)\, j_{l-1}, \qquad j_l = j_{l-1}\, s_l$$
#
# ($j$ is the distance in input pixels between neighbouring units of a layer). Stride and pooling
# multiply the growth.

# %% slideshow={"slide_type": "-"}
rf_widget = ReceptiveFieldWidget()
rf_widget

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Start with 3 layers of 3×3, stride 1: receptive field 7 — the same as one 7×7 layer (VGG's
# argument). Then set "pool every" to 1: the field grows much faster. The widget counts the input
# pixels in the drawing independently of the formula; both must agree.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Why VGG stacks 3×3 kernels
#
# Three 3×3 layers see 7×7, like one 7×7 layer, but have fewer parameters and three
# non-linearities instead of one:

# %% slideshow={"slide_type": "-"}
C = 64
print("receptive field of three 3x3 layers:", arch.receptive_field([(3, 1)] * 3))
print(f"parameters, {C} -> {C} channels: three 3x3 layers {3 * conv.conv2d_param_count(3, C, C):,}"
      f"   one 7x7 layer {conv.conv2d_param_count(7, C, C):,}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## LeNet-5 (1998)
#
# Conv 6@5×5 → average pool → Conv 16@5×5 → average pool → Dense 120 → Dense 84 → softmax, tanh
# activations, 32×32 input. Layer by layer, with each layer's receptive field:

# %% slideshow={"slide_type": "-"} tags=["lecture-values"]
lenet = arch.build_lenet5()
show_table(lenet)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## AlexNet (2012)
#
# Five convolutional layers and three dense layers with max pooling in between, ReLU after every
# layer (faster training), dropout, trained on two GPUs — so layers 2, 4 and 5 are split in two
# **groups** (Salvatore, IUSS Pavia). First layer: 96 kernels of 11×11, stride 4. It won ILSVRC 2012 by a wide
# margin.

# %% slideshow={"slide_type": "-"} tags=["lecture-values"]
alexnet = arch.build_alexnet()
show_table(alexnet)

# %% [markdown] slideshow={"slide_type": "fragment"}
# Almost all of the ~61 M parameters sit in the first dense layer (6·6·256 inputs × 4096 units):
# the convolutions are cheap, dense layers on large maps are not. Later networks drop them.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## VGG-16 (2014)
#
# Only 3×3 convolutions ("same") and 2×2 max pooling; the number of channels doubles after each
# pooling (64, 128, 256, 512, 512) to compensate for the lost resolution; three dense layers. Clean
# and modular, but heavy: 138 M parameters (Bologna lesson notes). We count them from the configuration, layer by
# layer — Keras needs ~10 s to build VGG16, so the table below builds it only on request.

# %% slideshow={"slide_type": "-"}
vgg16_convs = [(3, 64), (64, 64), (64, 128), (128, 128), (128, 256), (256, 256), (256, 256),
               (256, 512), (512, 512), (512, 512), (512, 512), (512, 512), (512, 512)]
conv_params = sum(conv.conv2d_param_count(3, a, b) for a, b in vgg16_convs)
dense_params = (conv.dense_param_count(7 * 7 * 512, 4096) + conv.dense_param_count(4096, 4096)
                + conv.dense_param_count(4096, 1000))
print(f"13 conv layers: {conv_params:,}   3 dense layers: {dense_params:,}   total: {conv_params + dense_params:,}")
print("receptive field of the last conv unit:",
      arch.receptive_field([(3, 1)] * 2 + [(2, 2)] + [(3, 1)] * 2 + [(2, 2)] + ([(3, 1)] * 3 + [(2, 2)]) * 3))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## GoogLeNet and the Inception module (2014)
#
# Which kernel size is right — 1×1, 3×3, 5×5, or pooling? The Inception module uses them **all in
# parallel** and concatenates the results on the channel axis. To keep this affordable, 1×1
# convolutions **reduce the depth** before the 3×3 and 5×5 branches. GoogLeNet stacks nine such
# modules: 22 layers with weights (27 with pooling), far fewer parameters than AlexNet (Salvatore).
# Inception-v3 (48 layers) refines the idea.
#
# Here GoogLeNet's module "3a" on its 28×28×192 input:

# %% slideshow={"slide_type": "-"}
inp = keras.Input((28, 28, 192))
module = keras.Model(inp, arch.inception_module(inp, 64, 96, 128, 16, 32, 32), name="inception_3a")
show_table(module, receptive_field=False)
without_reduction = (conv.conv2d_param_count(1, 192, 64) + conv.conv2d_param_count(3, 192, 128)
                     + conv.conv2d_param_count(5, 192, 32) + conv.conv2d_param_count(1, 192, 32))
print(f"\nthe same four branches without the 1x1 reductions: {without_reduction:,} parameters "
      f"({without_reduction / module.count_params():.1f}x more)")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## ResNet (2015): residual blocks
#
# Simply stacking more layers made VGG-style networks *worse*, even on the training set. ResNet's
# fix: each block learns a **residual** $F(x)$ and outputs $\mathrm{ReLU}(F(x) + x)$ — the input is
# carried around the block by a **skip connection** (Bologna lesson notes). Batch normalization after each
# convolution, global average pooling instead of big dense layers (Salvatore).
#
# Why it helps the gradient: $\dfrac{\partial\, (x + F(x))}{\partial x} = I + \dfrac{\partial F}{\partial x}$ —
# even when $\partial F / \partial x$ is tiny, the identity passes the gradient straight down.

# %% slideshow={"slide_type": "-"}
inp = keras.Input((32, 32, 64))
block = keras.Model(inp, arch.residual_block(inp, 64), name="basic_block")
down = keras.Model(inp, arch.residual_block(inp, 128, strides=2), name="downsampling_block")
show_table(block, receptive_field=False)
print()
show_table(down, receptive_field=False)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Gradients with and without skip connections — measured
#
# Two networks with the same 13 convolutional layers (a stem and six blocks of two 3×3 ReLU
# convolutions, Keras's default initialisation, no batch norm), one plain and one with a skip
# connection around every block. One batch of 64 digits, cross-entropy, and the norm of the
# gradient that reaches each layer's kernel (`tf.GradientTape`):

# %% slideshow={"slide_type": "-"}
digits, labels = digits_8x8()
grads = skip_gradient_norms(digits[:64], labels[:64], num_blocks=6)
display(gradient_norms_figure(grads))
print(f"gradient at the first layer: plain {grads['plain'][0]:.2e}, residual {grads['residual'][0]:.2e} "
      f"({grads['residual'][0] / grads['plain'][0]:,.0f}x larger)")
print(f"initial loss: plain {grads['loss']['plain']:.4f}, residual {grads['loss']['residual']:.4f}; "
      f"ln(10) = {np.log(10):.4f} is the loss of a uniform guess")

# %% [markdown] slideshow={"slide_type": "fragment"}
# In the plain stack the signal has died out on the way up (its loss is exactly that of a uniform
# guess) and the gradients on the way down are orders of magnitude smaller at every layer: gradient
# descent barely moves. With skip connections every layer gets a usable gradient.

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

# %% slideshow={"slide_type": "-"}
rng = np.random.default_rng(0)
acts = rng.normal(3.0, 2.5, size=(256, 4)).astype("float32")         # a batch of 4-channel activations
gamma, beta = np.ones(4, "float32"), np.zeros(4, "float32")
out, new_mean, new_var = arch.batch_norm_forward(acts, gamma, beta, np.zeros(4), np.ones(4), training=True)
bn = keras.layers.BatchNormalization()
keras_out = np.asarray(bn(acts, training=True))
print("coursekit == Keras BatchNormalization(training=True):", np.allclose(out, keras_out, atol=1e-5))
print("moving mean after one batch:", new_mean.round(4), " Keras:", np.asarray(bn.moving_mean).round(4))
display(batch_norm_figure(acts, out))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## MobileNet and EfficientNet
#
# **MobileNet** (2017) replaces standard convolutions with depthwise-separable ones (lecture 4):
# about 8–9× fewer parameters and multiply-adds for a 3×3 layer. MobileNetV2 adds inverted
# residual blocks; it has 3.5 M parameters against ResNet-50's 25.6 M.
#
# **EfficientNet** (2019) asks how to scale a network up: deeper, wider (channels) or higher
# resolution? Its answer is to scale **all three together** (Bologna lesson notes): depth $\alpha^\phi$, width
# $\beta^\phi$, resolution $\gamma^\phi$ with $\alpha\beta^2\gamma^2 \approx 2$, so each step of $\phi$
# roughly doubles the cost. The paper's grid search gave $\alpha = 1.2, \beta = 1.1, \gamma = 1.15$:

# %% slideshow={"slide_type": "-"}
alpha, beta_w, gamma_r = 1.2, 1.1, 1.15
print(f"alpha * beta^2 * gamma^2 = {alpha * beta_w**2 * gamma_r**2:.3f}")
for phi in range(4):
    print(f"phi={phi}: depth x{alpha**phi:.2f}  width x{beta_w**phi:.2f}  resolution {224 * gamma_r**phi:.0f} px"
          f"  FLOPs x{(alpha * beta_w**2 * gamma_r**2)**phi:.1f}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The lecture's table of pretrained networks, recomputed
#
# Salvatore's slide (IUSS Pavia) lists depth, size, parameters and input size of pretrained networks
# (it is MATLAB's table). We rebuild the networks that `keras.applications` has, with
# `weights=None` (no download: only the architecture), and count. Building a network costs 1–15 s,
# so a lecture computes a subset live; `COMPUTE_ALL = True` computes every buildable row.
#
# What "depth" means differs: MATLAB counts the longest path of convolutional and dense layers
# (our *conv+dense path*); keras.io counts layers holding weights, batch norm included.

# %% slideshow={"slide_type": "-"} tags=["lecture-values"]
COMPUTE_ALL = False
live = None if COMPUTE_ALL else ["mobilenetv2", "resnet50"]      # ~3 s and ~7 s to build
table = arch.pretrained_networks_table(live)
display(Markdown(pretrained_table_markdown(table)))
alexnet_row = next(r for r in table if r["name"] == "alexnet")
print(f"alexnet (not in keras.applications; the two-group model built above): {alexnet.count_params() / 1e6:.2f} M "
      f"parameters, {alexnet.count_params() * 4 / 1e6:.0f} MB as float32; "
      f"the slide says {alexnet_row['lecture_params_m']} M, {alexnet_row['lecture_size_mb']} MB")

# %% [markdown] slideshow={"slide_type": "fragment"}
# Where a row is computed, Keras's parameter count matches the slide's (to the slide's rounding), and
# the *size* column is roughly parameters × 4 bytes (float32). The input sizes agree except AlexNet's
# 227 — the input on which its first layer's arithmetic works out (lecture 4). SqueezeNet, GoogLeNet, ResNet-18,
# ShuffleNet and DarkNet are not in `keras.applications` at all.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## U-Net (2015): segmentation
#
# Classification gives one label per image; **semantic segmentation** one label per pixel (Salvatore:
# "suited for (medical) image segmentation"). A U-Net is *fully convolutional*:
#
# * an **encoder** (conv + pooling) shrinks the image and grows the channels;
# * a **decoder** up-samples back (transposed convolutions, the "unpooling" of Ledda's seminar);
# * **skip connections** concatenate each encoder map to the decoder map of the same size, so the
#   fine detail lost by pooling comes back.
#
# A two-level U-Net on 64×64 images. Receptive fields grow through the encoder as before; a
# 2×2 stride-2 transposed convolution copies each unit into a 2×2 block and adds no field. After
# it, units see different numbers of pixels depending on where they sit in that block, so the table
# says "n/a" there rather than one misleading number:

# %% slideshow={"slide_type": "-"}
unet = build_tiny_unet((64, 64, 1), base_filters=8, levels=2)
show_table(unet)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A small CNN on handwritten digits
#
# Everything together on scikit-learn's bundled 8×8 digits (1,797 images, 10 classes):
# Conv 16@3×3 → Conv 32@3×3 → max pool → dropout → softmax.

# %% slideshow={"slide_type": "-"}
from sklearn.model_selection import train_test_split

x = digits[..., None].astype("float32")
x_train, x_test, y_train, y_test = train_test_split(x, labels, test_size=0.25, random_state=0, stratify=labels)
keras.utils.set_random_seed(0)
cnn = arch.small_cnn()
show_table(cnn)
history = cnn.fit(x_train, y_train, epochs=8, batch_size=32, validation_data=(x_test, y_test), verbose=0)
test_loss, test_acc = cnn.evaluate(x_test, y_test, verbose=0)
print(f"\ntest accuracy after {len(history.history['loss'])} epochs: {test_acc:.1%} on {len(x_test)} test digits")

# %% slideshow={"slide_type": "subslide"}
display(history_figure(history.history, title="small CNN on the 8x8 digits"))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### What the layers see: feature maps
#
# The activations of the two convolutional layers and the pooling layer for one test digit (the
# first 8 channels of each). Early maps look like edge-filtered copies of the digit; after pooling
# the maps are coarser and more abstract.

# %% slideshow={"slide_type": "-"}
maps = arch.feature_maps(cnn, x_test[0], ["conv1", "conv2", "pool"])
print("predicted", int(cnn.predict(x_test[:1], verbose=0).argmax()), "  true", int(y_test[0]))
display(feature_maps_figure(x_test[0], maps))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# * Receptive fields grow by $(k-1)\,j$ per layer; strides and pooling multiply the growth.
# * LeNet → AlexNet → VGG: deeper stacks of small kernels; parameters live in the dense layers.
# * Inception: parallel branches, 1×1 reductions. ResNet: $F(x) + x$ keeps gradients alive.
# * Batch norm normalises with batch statistics in training, moving averages at inference.
# * MobileNet (separable convolutions) and EfficientNet (compound scaling) buy efficiency.
# * U-Net: encoder–decoder with skip connections for per-pixel labels.
#
# **Next:** reusing a trained network for a new task with little data — transfer learning.
