# %% [markdown] slideshow={"slide_type": "slide"}
# # Lecture 4 — Convolution
#
# *Introductory deep learning · convolutional neural networks, part 1*
#
# 1. Why fully connected layers do not suit images
# 2. The convolution operation: Salvatore's 4×4 example, computed
# 3. Cross-correlation vs convolution: what Keras really computes
# 4. Stride, zero padding ("valid"/"same"), the output-size formula — **interactive**
# 5. Depth and several filters; classic kernels on a photograph
# 6. Pooling and translation invariance — **measured**
# 7. Counting parameters: convolution vs dense; 1×1 and depthwise-separable convolutions

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** About 75 minutes. Everything on screen is computed live by `coursekit.convolution` (NumPy,
# checked against Keras in the test suite). Run the setup cell before the lecture (Keras
# takes a few seconds to import). Two widgets: the sliding kernel (section 4) and the
# pooling shift (section 6); both have a static picture if the kernel is not running.

# %% slideshow={"slide_type": "skip"} tags=["setup"]
# %matplotlib inline
import numpy as np
from IPython.display import Markdown, display

from coursekit import style

style.apply()
np.set_printoptions(precision=4, suppress=True)

from coursekit import convolution as conv
from coursekit.convolution import LECTURE_FILTERS, LECTURE_IMAGE, multiply_add_terms, translation_invariance
from coursekit.data import digits_8x8, photo
from coursekit.keras_setup import import_keras
from coursekit.widgets.convolution import (
    KernelSlideWidget,
    PoolingShiftWidget,
    format_multiply_add,
    kernel_gallery_figure,
    matrix_equation_figure,
)

keras = import_keras()   # used only to check our numbers against Keras

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Why not a fully connected layer?
#
# An image is a grid of numbers: a 48×48 grey image is 2,304 numbers, a 224×224 colour image
# 150,528. A **fully connected** (dense) neuron looks at *every* pixel:
#
# * **too many weights** — one dense neuron on a 48×48 image already has 2,305 parameters
#   (computed below), and a layer needs thousands of neurons;
# * **no spatial awareness** — the dense layer does not know that neighbouring pixels belong together;
#   shuffle the pixels (the same way for every image) and it learns exactly as well.
#
# A **convolutional layer** fixes both (Vandin's lecture, University of Padova):
#
# * **sparse interactions** — each output looks at a small window (the kernel, e.g. 3×3);
# * **parameter sharing** — the *same* kernel slides over every position;
# * **equivariance** — shift the input, and the output shifts the same way.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The operation
#
# For a 2-D input $I$ and a small kernel $K$ (Vandin's definition):
#
# $$S(i, j) = (I * K)(i, j) = \sum_m \sum_n I(i + m,\, j + n)\, K(m, n)$$
#
# Put the kernel on the top-left corner, multiply element by element, add up: that is one output
# number. Slide one step to the right and repeat; at the end of a row, go down one step.
#
# The kernel is a **pattern detector**: the output is high where the image patch looks like the kernel.
# In a CNN the kernel's numbers are **learned** from data.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The lecture's example: a 4×4 input and a 2×2 filter
#
# Salvatore's slides (IUSS Pavia) slide the filter $\begin{bmatrix}1&0\\0&1\end{bmatrix}$ over
# a 4×4 matrix. Let us compute it, with the naive loop (the formula above) and with the fast
# vectorised version; both come from `coursekit.convolution`.

# %% slideshow={"slide_type": "-"} tags=["lecture-values"]
diag = LECTURE_FILTERS["diagonal"]
x4 = LECTURE_IMAGE[None, :, :, None]            # NHWC: one image, one channel
k4 = diag[:, :, None, None]                  # (kh, kw, in_channels, filters)
out_naive = conv.conv2d_naive(x4, k4)[0, :, :, 0]
out_fast = conv.conv2d(x4, k4)[0, :, :, 0]
print("input:\n", LECTURE_IMAGE)
print("output (naive loops):\n", out_naive)
print("naive == fast:", np.array_equal(out_naive, out_fast))
print("top-left cell:", format_multiply_add(multiply_add_terms(LECTURE_IMAGE[:2, :2], diag)))

# %% slideshow={"slide_type": "fragment"}
fig = matrix_equation_figure(LECTURE_IMAGE, diag, out_fast, title="Salvatore's first example")
display(fig)

# %% [markdown] slideshow={"slide_type": "fragment"}
# The largest output, **32**, sits at the bottom-left: there the patch $\begin{bmatrix}30&0\\0&2\end{bmatrix}$
# has large values exactly where the filter has its ones — *high value when the filter matches
# the image patch*. Where the patch has its mass off the diagonal, the output is low.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The second example: the anti-diagonal filter
#
# The same input with $\begin{bmatrix}0&1\\1&0\end{bmatrix}$ now responds to the *other*
# diagonal: the 30 and the 6 of the second and third rows give the maximum.

# %% slideshow={"slide_type": "-"} tags=["lecture-values"]
anti = LECTURE_FILTERS["anti-diagonal"]
out_anti = conv.conv2d(x4, anti[:, :, None, None])[0, :, :, 0]
print("output:\n", out_anti)
where = tuple(int(v) for v in np.unravel_index(out_anti.argmax(), out_anti.shape))
print("largest response", out_anti.max(), "at", where,
      "=", format_multiply_add(multiply_add_terms(LECTURE_IMAGE[1:3, 0:2], anti)))
display(matrix_equation_figure(LECTURE_IMAGE, anti, out_anti, title="Salvatore's second example"))

# %% [markdown] slideshow={"slide_type": "fragment"}
# Both 3×3 results agree with Salvatore's slides. (The slides' figure caption says that the
# "top-left element, 4, is shaded" — the top-left output is 7; the 4 is the first cell of the
# *second* row.)

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Ask the room to compute the centre cell of the first example by hand before revealing it:
# 6·1 + 4·0 + 0·0 + 1·1 = 7. Point out that the 4×4 input gives a 3×3 output: the 2×2 window
# fits in 3 positions per row. This motivates the output-size formula later.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Cross-correlation or convolution?
#
# In mathematics, **convolution flips the kernel** (the Bologna lesson notes, after Asperti's slides):
#
# $$(f * k)(x) = \sum_{m=-M}^{M} f(x - m)\, k(m)$$
#
# so $k(-M)$ multiplies $f(x + M)$. Without the flip the operation is **cross-correlation**, and
# that is what deep-learning libraries compute — Keras's `Conv2D` included. For a *learned*
# kernel it makes no difference (the network learns the flipped kernel); for a hand-made
# filter it does, unless the filter is symmetric.
#
# The test: correlate an image containing a single 1 (an impulse) with an asymmetric kernel.

# %% slideshow={"slide_type": "-"}
impulse = np.zeros((1, 5, 5, 1))
impulse[0, 2, 2, 0] = 1.0
ramp = np.arange(1.0, 10.0).reshape(3, 3)
k_ramp = ramp[:, :, None, None]
correlation = conv.conv2d(impulse, k_ramp, padding="same")[0, :, :, 0]
convolution = conv.conv2d_true_convolution(impulse, k_ramp, padding="same")[0, :, :, 0]

layer = keras.layers.Conv2D(1, 3, padding="same", use_bias=False)
layer.build((None, 5, 5, 1))
layer.set_weights([k_ramp])
keras_out = np.asarray(layer(impulse.astype("float32")))[0, :, :, 0]

print("kernel:\n", ramp)
print("cross-correlation (coursekit.conv2d) around the impulse:\n", correlation[1:4, 1:4])
print("true convolution around the impulse:\n", convolution[1:4, 1:4])
print("Keras Conv2D == cross-correlation:", np.allclose(keras_out, correlation, atol=1e-6))
print("Keras Conv2D == true convolution: ", np.allclose(keras_out, convolution, atol=1e-6))

# %% [markdown] slideshow={"slide_type": "fragment"}
# The impulse response of **convolution** is the kernel itself; that of **cross-correlation** is
# the kernel rotated by 180°. Keras computes cross-correlation. In this course, as everywhere in
# deep learning, "convolution" means cross-correlation.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Hyperparameters of a convolutional layer
#
# * **Kernel size** $K$ — the window, e.g. 3×3 (today's standard) or AlexNet's 11×11.
# * **Stride** $S$ — how far the window moves each step. Stride 2 halves the output: the stride
#   doubles as a down-sampling factor.
# * **Zero padding** $P$ — virtual zeros around the border, so the kernel can also be centred on
#   border pixels. Keras offers two modes:
#     * `"valid"`: no padding, the output shrinks;
#     * `"same"`: pad so the output has $\lceil W / S \rceil$ cells. TensorFlow pads a total of
#       $\max((\lceil W/S \rceil - 1) S + K - W,\ 0)$; **when that total is odd, the extra row/column
#       goes at the bottom/right**.
# * **Depth** — the number of filters, i.e. of output channels.
#
# The output size along one axis (Bologna lesson notes), with $P$ the *total* padding and integer division:
#
# $$\text{out} = \left\lfloor \frac{W + P - K}{S} \right\rfloor + 1$$

# %% slideshow={"slide_type": "subslide"} tags=["lecture-values"]
rows = []
for W, K, S in [(4, 2, 1), (4, 3, 1), (5, 3, 2), (7, 3, 2), (6, 4, 2), (224, 11, 4), (227, 11, 4)]:
    for padding in ("valid", "same"):
        top, bottom = conv.same_padding(W, K, S) if padding == "same" else (0, 0)
        ours = conv.conv_output_length(W, K, S, padding)
        formula = (W + top + bottom - K) // S + 1
        k_shape = keras.layers.Conv2D(1, K, strides=S, padding=padding).compute_output_shape((1, W, W, 1))
        rows.append(f"| {W} | {K} | {S} | {padding} | ({top}, {bottom}) | {formula} | {ours} | {k_shape[1]} |")
display(Markdown("| W | K | S | padding | (before, after) | (W + P − K) // S + 1 | coursekit | Keras |\n"
                 "|---|---|---|---|---|---|---|---|\n" + "\n".join(rows)))

# %% [markdown] slideshow={"slide_type": "fragment"}
# Three things to read off the table: "same" with stride 1 keeps the size; an odd total padding
# is split with the extra zero **after** (e.g. W=4, K=2: (0, 1)); and AlexNet's first layer only
# fits nicely on **227** pixels — on 224 the division $(224 - 11)/4$ is not exact (the paper's 224
# is a known inconsistency).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Widget: a kernel sliding over an image
#
# Choose the image and the kernel, then move **kernel size**, **stride**, **padding** and the
# **output cell**. The orange square is the window, grey cells are zero padding; below the
# picture: the padding TensorFlow uses, the output-size formula with the numbers plugged in, and
# the multiply-add that produces the highlighted output cell.

# %% slideshow={"slide_type": "-"}
slider = KernelSlideWidget()
slider

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Suggested path: (1) the 4×4 example, diagonal kernel, K=2: step the output cell through 0..8
# and read the multiply-adds; (2) switch padding to "same": the output is 4×4 and the padding is (0, 1) on
# each axis — the asymmetric TensorFlow rule; (3) stride 2: output 2×2; (4) the impulse image with
# the ramp kernel: the output is the kernel upside down (cross-correlation); (5) the digit with a
# 5×5 box blur. A static picture of the initial state is saved with the notebook, so the slide
# also works in an exported deck.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Depth and several filters
#
# A colour image has **3 channels**; a kernel spans all of them: shape $(K, K, C_{in})$, and its
# output is **one** number per position (the sum runs over the channels too). A layer has
# **several filters** — kernel shape $(K, K, C_{in}, F)$ — and produces $F$ feature maps, the
# output's channels ("N convolution layers × M filters → N×M feature maps", Salvatore, IUSS Pavia).

# %% slideshow={"slide_type": "-"}
rgb = photo(gray=False, size=128)[None]                      # (1, H, W, 3)
rng = np.random.default_rng(0)
kernel = rng.normal(size=(3, 3, 3, 4))                       # 4 filters, each 3x3x3
bias = np.zeros(4)
maps = conv.conv2d(rgb, kernel, bias, strides=1, padding="same")
print("input ", rgb.shape, " kernel", kernel.shape, " ->  output", maps.shape)
print("one output cell = sum over 3x3x3 =", 3 * 3 * 3, "products (+ bias)")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Classic kernels on a real photograph
#
# Before CNNs, image processing used hand-made filters. An edge is a fast change of intensity, and
# the derivative's finite difference $\frac{f(x+h) - f(x-h)}{2h}$ is the filter $[-1\ 0\ 1]$
# (Bologna lesson notes); Sobel smooths it across rows. Blur kernels average, sharpen adds the
# difference to the neighbours back. The first layer of a trained CNN learns filters much like these
# (AlexNet's conv1 filters in Salvatore's slides).

# %% slideshow={"slide_type": "-"}
grace = photo(gray=True, size=256)          # Grace Hopper, matplotlib's sample photograph
fig, filtered = kernel_gallery_figure(grace)
display(fig)

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Edge maps are drawn with a diverging colour map: red/blue is the sign of the intensity change
# (dark-to-bright vs bright-to-dark). Note the Sobel x map highlights vertical structures (the
# edges of the collar, the face outline), Sobel y horizontal ones.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Pooling
#
# After the convolution and the ReLU ("detector layer"), a **pooling** layer replaces each
# window by a summary (Vandin, University of Padova):
#
# * **max pooling** — the maximum of the window;
# * **average pooling** — the mean.
#
# A 2×2 pool with stride 2 halves height and width (¾ fewer values) and has **no parameters**.
# On the lecture's 4×4 matrix:

# %% slideshow={"slide_type": "-"}
print("max pool 2x2:\n", conv.max_pool2d(x4, 2)[0, :, :, 0])
print("average pool 2x2:\n", conv.average_pool2d(x4, 2)[0, :, :, 0])
print("Keras MaxPooling2D agrees:",
      np.allclose(np.asarray(keras.layers.MaxPooling2D(2)(x4.astype("float32"))), conv.max_pool2d(x4, 2)))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Translation invariance
#
# Max pooling makes the output **invariant to small translations**: shift the input by a pixel and
# many pooled values stay the same — useful when we care *whether* a feature is present more than
# *exactly where* (Vandin). The widget shows a detector map (ReLU of a vertical-edge filter)
# before and after a shift; red squares mark pooled cells that changed.

# %% slideshow={"slide_type": "-"}
pool_widget = PoolingShiftWidget()
pool_widget

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Move the shift from 1 to 2 and the pool size from 2 to 4. With pool 2 and a shift of 1 the
# left bar stays inside its pooling window (unchanged), the right bar crosses a window boundary
# (changed): invariance is only partial, and grows with the window.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Measured on 300 handwritten digits
#
# For each digit: the detector map before and after shifting the digit one pixel to the right,
# then max-pooled with windows of 1 (no pooling), 2, 4 and 8 (the whole 8×8 map: *global* max
# pooling). We report the fraction of active cells that did not change and the relative change
# $\lVert after - before\rVert / \lVert before\rVert$.

# %% slideshow={"slide_type": "-"}
digits, labels = digits_8x8()
inv = translation_invariance(digits[:300], pool_sizes=(1, 2, 4, 8), shift=1)
display(Markdown("| max-pool window | active cells unchanged | relative change |\n|---|---|---|\n" + "\n".join(
    f"| {p}×{p}{' (no pooling)' if p == 1 else ''} | {v['unchanged']:.1%} | {v['relative_change']:.3f} |"
    for p, v in inv.items())))

# %% [markdown] slideshow={"slide_type": "fragment"}
# Without pooling almost every active value changes; the bigger the pooling window, the more the
# output ignores the shift, up to complete invariance for global pooling (the price: *where* the
# feature was is lost).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Counting parameters
#
# A 3×3 filter on a grey image has $9$ weights $+ 1$ bias $= 10$ parameters, **whatever the image
# size**. Ledda's slides (Cagliari Digital Lab) count:
#
# * eight 3×3 filters on 1 channel: $(9 + 1) \times 8 = 80$ — the slide writes "$9+1 \times 8$",
#   which by precedence would be 17; the parentheses are meant;
# * sixteen 3×3 filters on those 8 channels: $(8 \times 3 \times 3 + 1) \times 16 = 1168$ — a later
#   slide repeats the formula with "$= 80$", a copy-paste slip.
#
# Both computed, by our formula and by Keras's own `count_params()`:

# %% slideshow={"slide_type": "-"} tags=["lecture-values"]
for k, c_in, f in [(3, 1, 8), (3, 8, 16)]:
    ours = conv.conv2d_param_count(k, c_in, f)
    layer = keras.layers.Conv2D(f, k)
    layer.build((None, 48, 48, c_in))
    keras_count = layer.count_params()
    print(f"{f:2d} filters {k}x{k} on {c_in} channel(s): coursekit {ours:5d}   Keras count_params {keras_count:5d}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Convolution vs dense
#
# The slides compare with a fully connected layer: "FC: ~2300 parameters" per filter. That is one
# dense neuron looking at a **48×48** image: $48 \cdot 48 + 1 = 2305$. A fairer comparison is a dense
# layer producing the **same output** as the convolution (48×48×8 values from a 48×48 image):

# %% slideshow={"slide_type": "-"}
H = W = 48
one_neuron = conv.dense_param_count(H * W, 1)
conv_layer = conv.conv2d_param_count(3, 1, 8)
dense_same_output = conv.dense_param_count(H * W, H * W * 8)
print(f"one dense neuron on a {H}x{W} image: {one_neuron:,} parameters (the slides' ~2300); "
      f"x 8 = {8 * one_neuron:,} (~18500)")
print(f"conv layer, eight 3x3 filters:      {conv_layer:,} parameters")
print(f"dense layer with the same output:   {dense_same_output:,} parameters  "
      f"({dense_same_output / conv_layer:,.0f} times more)")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1×1 convolutions
#
# A 1×1 kernel sees one pixel, across all its channels: it is a **dense layer applied at every
# pixel**, mixing channels without looking at neighbours. Used to **reduce depth** cheaply before
# an expensive 3×3 or 5×5 (Inception, next lecture) — the Bologna notes compare it to PCA on the channels.

# %% slideshow={"slide_type": "-"}
feat = rng.normal(size=(1, 14, 14, 64))
w1x1 = rng.normal(size=(64, 16))
out = conv.conv1x1(feat, w1x1)
print(feat.shape, "-> 1x1 conv ->", out.shape, "  parameters:", conv.conv2d_param_count(1, 64, 16))
print("same as a dense layer at one pixel:", np.allclose(out[0, 3, 5], feat[0, 3, 5] @ w1x1))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Depthwise-separable convolutions
#
# A standard convolution handles **spatial** and **cross-channel** correlations together. A
# depthwise-separable one splits them (the Inception hypothesis, Bologna lesson notes):
#
# 1. **depthwise**: one $K \times K$ filter per input channel, no sum over channels ($K^2 C_{in}$ weights);
# 2. **pointwise**: a 1×1 convolution mixes the channels ($C_{in} C_{out}$ weights, + bias).
#
# The number of parameters plummets; MobileNet is built from these.

# %% slideshow={"slide_type": "-"}
from coursekit.cnn_architectures import separable_conv_param_count

c_in, c_out = 64, 128
standard = conv.conv2d_param_count(3, c_in, c_out)
separable = separable_conv_param_count(3, c_in, c_out)
sep_layer = keras.layers.SeparableConv2D(c_out, 3)
sep_layer.build((None, 14, 14, c_in))
print(f"3x3, {c_in} -> {c_out} channels: standard {standard:,}  separable {separable:,} "
      f"(Keras SeparableConv2D: {sep_layer.count_params():,})  ->  {standard / separable:.1f}x fewer")

dw, pw, b = sep_layer.get_weights()
ours = conv.separable_conv2d(feat.astype("float32"), dw, pw, b)
keras_out = np.asarray(sep_layer(feat.astype("float32")))
print("coursekit.separable_conv2d == Keras:", np.allclose(ours, keras_out, atol=1e-4))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# * A convolutional layer slides small learned kernels over the input: sparse interactions,
#   shared parameters, equivariance to shifts.
# * What Keras calls convolution is **cross-correlation** (no kernel flip).
# * Output size $\lfloor (W + P - K)/S \rfloor + 1$; `"same"` pads $\lceil W/S\rceil$ outputs,
#   extra zero at the bottom/right.
# * Parameters: $(K \cdot K \cdot C_{in} + 1) \cdot F$, independent of the image size (80 and 1168).
# * Pooling shrinks the maps and buys tolerance to small shifts.
# * 1×1 and depthwise-separable convolutions make networks cheaper.
#
# **Next:** stacking these layers — LeNet to EfficientNet. **Assignment 4** asks you to write
# `conv2d`, the pools and their backward passes yourself, checked against Keras.
