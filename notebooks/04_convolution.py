# %% [markdown] slideshow={"slide_type": "slide"}
# # Lecture 4 — Convolution
#
# *Introductory deep learning · convolutional neural networks, part 1*
#
# 1. Why computer vision is hard — **measured** on handwritten digits
# 2. Hubel and Wiesel: simple and complex cells, the idea behind convolution + pooling
# 3. Why fully connected layers do not suit images
# 4. The convolution operation: Salvatore's 4×4 example, computed; cross-correlation vs convolution
# 5. Stride, zero padding ("valid"/"same"), the output-size formula — **interactive**
# 6. Depth, several filters, stacked layers; classic kernels on a photograph
# 7. Pooling and translation invariance — **measured**
# 8. Counting parameters: convolution vs dense; 1×1 and depthwise-separable convolutions

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** One session. Everything on screen is computed live by `coursekit.convolution` (NumPy,
# checked against Keras in the test suite and, where it matters, on the slide). Run the setup cell before
# the lecture (Keras takes a few seconds to import). Two widgets: the sliding kernel (section 5) and the
# pooling shift (section 7); both have a static picture if the kernel is not running. Three "try it"
# tasks, each followed by a collapsed answer.

# %% slideshow={"slide_type": "skip"} tags=["setup"]
# %matplotlib inline
import numpy as np
from IPython.display import display

from coursekit import style

style.setup_lecture()
np.set_printoptions(precision=4, suppress=True)

from coursekit import convolution as conv
from coursekit.convolution import (
    LECTURE_FILTERS,
    LECTURE_IMAGE,
    multiply_add_terms,
    pixel_distance_study,
    translation_invariance,
)
from coursekit.data import digits_8x8, photo
from coursekit.display import say, table
from coursekit.keras_setup import import_keras
from coursekit.widgets.convolution import (
    POOL_IMAGES,
    KernelSlideWidget,
    PoolingShiftWidget,
    format_multiply_add,
    kernel_gallery_figure,
    matrices_figure,
    matrix_equation_figure,
    simple_complex_figure,
    variations_figure,
)

keras = import_keras()   # used to check our numbers against Keras

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Why is computer vision hard?
#
# To a computer an image is a grid of numbers. Ledda's seminar (Cagliari Digital Lab) lists what
# changes those numbers without changing the object: **viewpoint**, scale, deformation, **occlusion**,
# **illumination**, background clutter, intra-class variation. One handwritten 3 of scikit-learn's
# 8×8 digits, changed, and its Euclidean distance $d$ from the original in pixel space:

# %% tags=["remove-input"]
digits, labels = digits_8x8()
three = int(np.flatnonzero(labels == 3)[0])
fig, _ = variations_figure(digits, labels, three)
display(fig)

# %% [markdown] slideshow={"slide_type": "fragment"}
# The digit moved by one pixel is *further* from itself than a different digit is.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Measured on every digit
#
# Distance to the changed copy, compared with the nearest digit of another class; and a
# nearest-neighbour classifier in pixel space, fitted on half of the digits, tested on the other half changed.

# %%
study = pixel_distance_study(digits, labels)

# %% tags=["remove-input"]
rows = [("none", 0.0, 0.0, study["nn_accuracy_unchanged"])]
rows += [(name, np.median(v["distance"]), v["farther"], v["nn_accuracy"])
         for name, v in study["variations"].items()]
display(table(rows, ["change", "median distance", "farther than another class",
                     "nearest-neighbour accuracy"],
              formats={"median distance": "{:.2f}", "farther than another class": "{:.1%}",
                       "nearest-neighbour accuracy": "{:.1%}"}))
one_px = study["variations"]["shifted 1 px right (viewpoint)"]
say(f"Over the **{len(digits):,}** digits, the nearest digit of another class is a median "
    f"**{np.median(study['nearest_other']):.2f}** away. A one-pixel shift moves "
    f"**{one_px['farther']:.1%}** of the digits further than that.")

# %% [markdown] slideshow={"slide_type": "fragment"}
# Raw pixels are the wrong space to compare images in: we need features that respond to a *shape*
# wherever it is and however bright it is. Detectors applied at every position (convolution) and
# summaries that forget small shifts (pooling) are the first step.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Hubel and Wiesel: simple and complex cells
#
# * Hubel and Wiesel recorded single neurons of a cat's visual cortex while moving spots and bars of
#   light across its visual field ("Receptive fields of single neurones in the cat's striate cortex",
#   J. Physiol., 1959; "Receptive fields, binocular interaction and functional architecture in the
#   cat's visual cortex", J. Physiol., 1962). Salvatore's slides (IUSS Pavia) link a film of it.
# * **Simple cells** respond to a bar or an edge of one orientation at one place; **complex cells**
#   respond to the same orientation over a larger region, wherever the bar is (1962).
# * Fukushima's **Neocognitron** ("… a mechanism of pattern recognition unaffected by shift in
#   position", Biological Cybernetics, 1980) alternates layers of S-cells and C-cells modelled on
#   them, so features grow more complex layer after layer (Vandin: "our visual cortex is hierarchical"). It
#   learned without a teacher; CNNs keep the architecture and train it by backpropagation.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The two cells as a CNN computes them
#
# Simple cell = **convolution + ReLU** read at one position; complex cell = **max pooling** of
# simple cells over a window. A vertical bar swept across the image:

# %% tags=["remove-input"]
fig, responses = simple_complex_figure()
display(fig)
vertical = responses["vertical"]
say(f"The simple cell responds at **{np.count_nonzero(vertical['simple'])}** of the "
    f"{len(vertical['positions'])} bar positions, the complex cell at "
    f"**{np.count_nonzero(vertical['complex'])}**; a horizontal bar excites neither "
    f"(largest response {responses['horizontal']['complex'].max():.0f}).")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Why not a fully connected layer?
#
# A **fully connected** (dense) neuron looks at *every* pixel:

# %%
for h, w, c in [(48, 48, 1), (224, 224, 3)]:
    n = h * w * c
    say(f"a {h}×{w}×{c} image is **{n:,}** numbers: one dense neuron on it has "
        f"**{conv.dense_param_count(n, 1):,}** parameters")

# %% [markdown] slideshow={"slide_type": "fragment"}
# * **too many weights** — and a layer needs thousands of such neurons;
# * **no spatial awareness** — the dense layer does not know that neighbouring pixels belong together;
#   shuffle the pixels (the same way for every image) and it learns exactly as well.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### What a convolutional layer changes
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
# Salvatore's slides (IUSS Pavia) slide the filter $\begin{bmatrix}1&0\\0&1\end{bmatrix}$ over a 4×4
# matrix (printed below).
#
# **Try it.** Before running the cell, compute by hand the top-left output and the output in the
# centre (row 1, column 1, counting from 0) of the 3×3 result.

# %% [markdown] slideshow={"slide_type": "fragment"}
# <details><summary>Answer</summary>
#
# Top-left: the window is rows 0–1, columns 0–1: $1·1 + 1·0 + 4·0 + 6·1 = 7$.
# Centre: rows 1–2, columns 1–2: $6·1 + 4·0 + 0·0 + 1·1 = 7$. The window fits in 3 positions per
# row, hence the 3×3 output.
#
# </details>

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Computed

# %% tags=["lecture-values"]
diag = LECTURE_FILTERS["diagonal"]
x4 = LECTURE_IMAGE[None, :, :, None]         # NHWC: one image, one channel
k4 = diag[:, :, None, None]                  # (kh, kw, in_channels, filters)
out_naive = conv.conv2d_naive(x4, k4)[0, :, :, 0]
out_fast = conv.conv2d(x4, k4)[0, :, :, 0]
print("input:\n", LECTURE_IMAGE)
print("output (naive loops):\n", out_naive)
print("naive == fast:", np.array_equal(out_naive, out_fast))
print("top-left:", format_multiply_add(multiply_add_terms(LECTURE_IMAGE[:2, :2], diag)))
print("centre:  ", format_multiply_add(multiply_add_terms(LECTURE_IMAGE[1:3, 1:3], diag)))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### High where the filter matches the patch

# %% tags=["remove-input"]
display(matrix_equation_figure(LECTURE_IMAGE, diag, out_fast, title="Salvatore's first example"))
say(f"Salvatore's slides point at two outputs. **{out_fast[2, 0]:.0f}** (bottom-left): "
    f"{format_multiply_add(multiply_add_terms(LECTURE_IMAGE[2:4, 0:2], diag))}, the patch's large "
    f"values sit where the filter has its ones — *high value when the filter matches the patch*. "
    f"**{out_fast[1, 0]:.0f}** (row 1, column 0): "
    f"{format_multiply_add(multiply_add_terms(LECTURE_IMAGE[1:3, 0:2], diag))}, the patch holds the "
    f"largest inputs, but off the diagonal — *low value when it does not match*.")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The second example: the anti-diagonal filter
#
# The same input with $\begin{bmatrix}0&1\\1&0\end{bmatrix}$ now responds to the *other*
# diagonal: the patch that gave a low value above now gives the maximum.

# %% tags=["lecture-values"]
anti = LECTURE_FILTERS["anti-diagonal"]
out_anti = conv.conv2d(x4, anti[:, :, None, None])[0, :, :, 0]
print("output:\n", out_anti)
where = tuple(int(v) for v in np.unravel_index(out_anti.argmax(), out_anti.shape))
print("largest response", out_anti.max(), "at", where, "=",
      format_multiply_add(multiply_add_terms(LECTURE_IMAGE[1:3, 0:2], anti)))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The other diagonal

# %% tags=["remove-input"]
display(matrix_equation_figure(LECTURE_IMAGE, anti, out_anti, title="Salvatore's second example"))

# %% [markdown] slideshow={"slide_type": "fragment"}
# Both 3×3 results agree with Salvatore's slides.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Cross-correlation or convolution?
#
# In mathematics, **convolution flips the kernel** (the Bologna lesson notes, after Andrea Asperti's
# slides, University of Bologna):
#
# $$(f * k)(x) = \sum_{m=-M}^{M} f(x - m)\, k(m)$$
#
# so $k(-M)$ multiplies $f(x + M)$. Without the flip the operation is **cross-correlation**, and
# that is what deep-learning libraries compute and call "convolution" — Keras's `Conv2D` included. For a *learned*
# kernel it makes no difference (the network learns the flipped kernel); for a hand-made
# filter it does, unless the filter is symmetric.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Test: a single 1 through an asymmetric kernel

# %%
impulse = np.zeros((1, 5, 5, 1))
impulse[0, 2, 2, 0] = 1.0
ramp = np.arange(1.0, 10.0).reshape(3, 3, 1, 1)
corr = conv.conv2d(impulse, ramp, padding="same")
true_conv = conv.conv2d_true_convolution(impulse, ramp, padding="same")
layer = keras.layers.Conv2D(1, 3, padding="same", use_bias=False)
layer.build((None, 5, 5, 1))
layer.set_weights([ramp])
by_keras = np.asarray(layer(impulse.astype("float32")))

# %% tags=["remove-input"]
centre = (0, slice(1, 4), slice(1, 4), 0)
display(matrices_figure({"kernel": ramp[:, :, 0, 0], "cross-correlation": corr[centre],
                         "true convolution": true_conv[centre], "Keras Conv2D": by_keras[centre]},
                        height=2.2))
say(f"Keras equals cross-correlation: **{np.allclose(by_keras, corr)}**; "
    f"equals true convolution: **{np.allclose(by_keras, true_conv)}**.")

# %% [markdown] slideshow={"slide_type": "fragment"}
# The impulse response of convolution is the kernel, that of cross-correlation the kernel rotated by 180°.

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
# $\text{out} = \left\lfloor \frac{W + P - K}{S} \right\rfloor + 1$

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Output sizes: the formula, `coursekit` and Keras

# %% tags=["lecture-values", "remove-input"]
rows = []
for W, K, S, padding in [(4, 2, 1, "valid"), (4, 2, 1, "same"), (5, 3, 2, "valid"), (5, 3, 2, "same"),
                         (6, 4, 2, "same"), (224, 11, 4, "valid"), (227, 11, 4, "valid")]:
    top, bottom = conv.same_padding(W, K, S) if padding == "same" else (0, 0)
    ours = conv.conv_output_length(W, K, S, padding)
    formula = (W + top + bottom - K) // S + 1
    k_layer = keras.layers.Conv2D(1, K, strides=S, padding=padding)
    k_out = k_layer.compute_output_shape((1, W, W, 1))[1]
    rows.append(f"| {W} | {K} | {S} | {padding} | ({top}, {bottom}) | {formula} | {ours} | {k_out} |")
say("| W | K | S | padding | (before, after) | (W + P − K) // S + 1 | coursekit | Keras |\n"
    "|---|---|---|---|---|---|---|---|\n" + "\n".join(rows))

# %% [markdown] slideshow={"slide_type": "fragment"}
# "same" with stride 1 keeps the size; an odd total padding is split with the extra zero **after**
# (W=4, K=2: (0, 1)); AlexNet's first layer (K=11, S=4, no padding) gives its 55×55 maps on **227**
# pixels; on the 224 its paper states, the division is not exact.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Widget: a kernel sliding over an image

# %%
slider = KernelSlideWidget()
slider

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Choose the image and the kernel, then move kernel size, stride, padding and the output
# cell. The orange square is the window, grey cells are zero padding; below the picture: the padding
# TensorFlow uses, the output-size formula with the numbers plugged in, and the multiply-add that
# produces the highlighted output cell. Suggested path: (1) the 4×4 example, diagonal kernel, K=2: step
# the output cell through 0..8 and read the multiply-adds; (2) switch padding to "same": the output is
# 4×4 and the padding is (0, 1) on each axis — the asymmetric TensorFlow rule; (3) stride 2: output
# 2×2; (4) the impulse image with the ramp kernel: the output is the kernel rotated by a half turn
# (cross-correlation); (5) the digit with a 5×5 box blur. A static picture of the initial state is
# saved with the notebook, so the slide also works in an exported deck.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Depth and several filters
#
# A colour image has **3 channels**; a kernel spans all of them: shape $(K, K, C_{in})$, and its
# output is **one** number per position (the sum runs over the channels too). A layer has
# **several filters** — kernel shape $(K, K, C_{in}, F)$ — and produces $F$ feature maps, the
# output's channels.

# %%
rgb = photo(gray=False, size=128)[None]                  # (1, H, W, 3)
rng = np.random.default_rng(0)
kernel = rng.normal(size=(3, 3, 3, 4))                   # 4 filters, each 3x3x3
maps = conv.conv2d(rgb, kernel, np.zeros(4), padding="same")
print("input ", rgb.shape, " kernel", kernel.shape, " ->  output", maps.shape)
print("one output cell = sum over 3x3x3 =", 3 * 3 * 3, "products (+ bias)")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Stacked layers: how many feature maps?
#
# Salvatore's slides (IUSS Pavia) say "N convolution layers x M convolutional filters → NxM
# feature maps". **That is wrong**: each layer outputs M maps, one per filter; the next layer's
# filters each span all M of them and again give M. (N·M is how many maps the stack computes in
# all, one layer after another; the network passes on only the last M.)
#
# **Try it.** N = 3 layers of M = 8 filters, 3×3, "same", on a 32×32 RGB image: what is the output's
# shape, and how many parameters does each layer hold?

# %% [markdown] slideshow={"slide_type": "fragment"}
# <details><summary>Answer</summary>
#
# The output is 32×32×8: eight feature maps. Layer 1: $(3·3·3 + 1)·8 = 224$ parameters; layers 2
# and 3 see 8 channels: $(3·3·8 + 1)·8 = 584$ each. Keras agrees in the next cell.
#
# </details>

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The stack, built by Keras

# %%
N, M = 3, 8
inputs = h = keras.Input((32, 32, 3))
for i in range(N):
    h = keras.layers.Conv2D(M, 3, padding="same", name=f"conv{i + 1}")(h)
stack = keras.Model(inputs, h)
rows = [(lay.name, str(lay.output.shape), lay.output.shape[-1], lay.count_params())
        for lay in stack.layers[1:]]
display(table(rows, ["layer", "output shape", "feature maps", "parameters"]))
maps_out = stack.output.shape[-1]
say(f"{N} layers × {M} filters → **{maps_out} feature maps**, not N×M = {N * M}.")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Classic kernels on a real photograph
#
# Before CNNs, image processing used hand-made filters. An edge is a fast change of intensity, and
# the derivative's finite difference $\frac{f(x+h) - f(x-h)}{2h}$ is the filter $[-1\ 0\ 1]$
# (Bologna lesson notes); Sobel smooths it across rows. Blur kernels average, sharpen adds the
# difference to the neighbours back. The first layer of a trained CNN learns filters much like these,
# and like Hubel and Wiesel's simple cells (AlexNet's conv1 filters in Salvatore's slides).

# %% slideshow={"slide_type": "subslide"} tags=["remove-input"]
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
# window by a summary (Vandin, University of Padova): **max pooling** takes the maximum of the
# window, **average pooling** the mean. A 2×2 pool with stride 2 halves height and width (¾ fewer
# values) and has **no parameters**. On the lecture's 4×4 matrix:

# %%
print("max pool 2x2:\n", conv.max_pool2d(x4, 2)[0, :, :, 0])
print("average pool 2x2:\n", conv.average_pool2d(x4, 2)[0, :, :, 0])
by_keras = np.asarray(keras.layers.MaxPooling2D(2)(x4.astype("float32")))
print("Keras MaxPooling2D agrees:", np.allclose(by_keras, conv.max_pool2d(x4, 2)))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Translation invariance
#
# Max pooling makes the output **invariant to small translations**: shift the input by a pixel and
# many pooled values stay the same — useful when we care *whether* a feature is present more than
# *exactly where* (Vandin). Pooling plays the complex cell. The widget shows a detector map (ReLU of a
# vertical-edge filter) before and after a shift; red squares mark pooled cells that changed.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Widget: pooling a shifted input

# %%
pool_widget = PoolingShiftWidget()
pool_widget

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Move the shift from 1 to 2 and the pool size from 2 to 4. With pool 2 and a shift of 1 the
# left bar stays inside its pooling window (unchanged), the right bar crosses a window boundary
# (changed): invariance is only partial, and grows with the window.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Try it
#
# **Try it.** In the widget, the letter H shifted by 2 px: predict whether a 2×2 or a 4×4 max pool
# keeps more pooled cells unchanged, then move the sliders.

# %% [markdown] slideshow={"slide_type": "fragment"}
# <details><summary>Answer</summary>
#
# The 4×4 pool. A 2-px shift moves every edge into the next 2-wide window: the 2×2-pooled map just
# moves by one cell and no active cell keeps its value (0% in the table below); a 4-wide window keeps
# some edges inside (33%). Larger windows tolerate larger shifts.
#
# </details>

# %% tags=["remove-input"]
letter_h = POOL_IMAGES["letter H (12x12)"]()          # what the widget computes, without drawing
h_rows = []
for p in (2, 4):
    for s in (1, 2):
        shifted = conv.shift_image(letter_h, s)
        st = conv.pooling_shift_stats(conv.edge_detector_map(letter_h), conv.edge_detector_map(shifted), p)
        h_rows.append((f"{p}×{p}", s, st["unchanged_pooled"], st["relative_change_pooled"]))
display(table(h_rows, ["max pool", "shift (px)", "pooled cells unchanged", "relative change"],
              formats={"pooled cells unchanged": "{:.0%}", "relative change": "{:.2f}"}))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Measured on handwritten digits
#
# For each digit: the detector map before and after shifting the digit one pixel to the right,
# then max-pooled with windows of 1 (no pooling), 2, 4 and 8 (the whole 8×8 map: *global* max
# pooling); the fraction of active cells that did not change and the relative change
# $\lVert after - before\rVert / \lVert before\rVert$.

# %%
n_digits = 300
inv = translation_invariance(digits[:n_digits], pool_sizes=(1, 2, 4, 8), shift=1)
display(table([(f"{p}×{p}", v["unchanged"], v["relative_change"]) for p, v in inv.items()],
              ["max-pool window", "active cells unchanged", "relative change"],
              formats={"active cells unchanged": "{:.1%}", "relative change": "{:.3f}"}))
say(f"Mean over the first **{n_digits}** digits; window 1×1 is the detector map itself.")

# %% [markdown] slideshow={"slide_type": "fragment"}
# Without pooling almost every active value changes; the bigger the pooling window, the more the
# output ignores the shift, up to global pooling, which ignores it entirely here (the price: *where*
# the feature was is lost).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Counting parameters
#
# A 3×3 filter on a grey image has $9$ weights $+ 1$ bias $= 10$ parameters, **whatever the image
# size**. Ledda's slides (Cagliari Digital Lab) count eight 3×3 filters on 1 channel, then sixteen
# 3×3 filters on those 8 channels. Our formula $(K \cdot K \cdot C_{in} + 1) \cdot F$ and Keras's
# own `count_params()`:

# %% tags=["lecture-values"]
counts = []
for k, c_in, f in [(3, 1, 8), (3, 8, 16)]:
    layer = keras.layers.Conv2D(f, k)
    layer.build((None, 48, 48, c_in))
    counts.append((f, c_in, conv.conv2d_param_count(k, c_in, f), layer.count_params()))
header = ("| filters | kernel | input channels | coursekit | Keras `count_params` |\n"
          "|---|---|---|---|---|\n")
say(header + "\n".join(f"| {f} | 3×3 | {c} | {a} | {b} |" for f, c, a, b in counts))

# %% slideshow={"slide_type": "fragment"} tags=["remove-input"]
say(f"The slides write $9+1 \\times 8 = 80$ and $8 \\times 3 \\times 3 + 1 \\times 16 = 1168$; read "
    f"literally these are {9 + 1 * 8} and {8 * 3 * 3 + 1 * 16}: the parentheses are meant, "
    f"$(9+1) \\times 8 = {(9 + 1) * 8}$ and $(8 \\times 3 \\times 3 + 1) \\times 16 = "
    f"{(8 * 3 * 3 + 1) * 16}$. A later slide repeats the second formula with \"= 80\", a copy slip.")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Convolution vs dense
#
# The slides compare with a fully connected layer: "FC: ~2300 parameters" per filter, "~2300 × 8 ~= 18500"
# for eight, and "~4600 × 16 ~= 73700" for the second layer. One dense neuron per output map:

# %%
H = W = 48
one_neuron = conv.dense_param_count(H * W, 1)                  # on the 48x48 image
second = conv.dense_param_count((H // 2) * (W // 2) * 8, 1)    # on 8 maps pooled to 24x24
say(f"one dense neuron on a {H}×{W} image: **{one_neuron:,}** parameters, "
    f"× 8 = **{8 * one_neuron:,}**; on the 8 maps after a 2×2 pool ({H // 2}×{W // 2}×8): "
    f"**{second:,}**, × 16 = **{16 * second:,}** — the slides' rounded figures.")

# %% [markdown] slideshow={"slide_type": "fragment"}
# A fairer comparison: a dense layer producing the **same output** as the convolution
# (48×48×8 values from a 48×48 image).

# %%
conv_layer = conv.conv2d_param_count(3, 1, 8)
dense_same_output = conv.dense_param_count(H * W, H * W * 8)
say(f"conv layer, eight 3×3 filters: **{conv_layer:,}** parameters; dense layer with the same "
    f"output: **{dense_same_output:,}** ({dense_same_output / conv_layer:,.0f} times more).")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1×1 convolutions
#
# A 1×1 kernel sees one pixel, across all its channels:
# $\text{out}[i, j] = x[i, j]\, W + b$, with **the same matrix** $W$ ($C_{in} \times C_{out}$) at
# every position — a dense layer applied to each pixel, mixing channels without looking at
# neighbours. It **reduces depth** cheaply before an expensive 3×3 or 5×5 (Inception, next lecture).

# %%
feat = rng.normal(size=(1, 14, 14, 64)).astype("float32")
one_by_one = keras.layers.Conv2D(16, 1)
by_keras = np.asarray(one_by_one(feat))                         # builds the layer
W1, b1 = one_by_one.get_weights()                               # (1, 1, 64, 16), (16,)
per_pixel = (feat.reshape(-1, 64) @ W1[0, 0] + b1).reshape(1, 14, 14, 16)
say(f"Keras `Conv2D(16, 1)` on a 14×14×64 map equals $x\\,W + b$ at all **{14 * 14}** positions "
    f"(largest difference {np.abs(by_keras - per_pixel).max():.1e}); "
    f"{one_by_one.count_params():,} parameters = 64·16 + 16.")

# %% [markdown] slideshow={"slide_type": "fragment"}
# The Bologna lesson notes (after Andrea Asperti's slides) say it "acts like Principal Component
# Analysis". Only loosely: both map each pixel's channels linearly to fewer numbers. PCA's matrix is
# computed from the inputs alone (unsupervised): orthonormal directions of largest variance. A 1×1
# convolution's $W$ is **learned by backpropagation from the task's loss** (supervised), with the rest
# of the network; it is any matrix, usually followed by a ReLU, and keeps what the task needs, not what
# varies most.

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

# %%
from coursekit.cnn_architectures import separable_conv_param_count

c_in, c_out = 64, 128
standard = conv.conv2d_param_count(3, c_in, c_out)
separable = separable_conv_param_count(3, c_in, c_out)
sep_layer = keras.layers.SeparableConv2D(c_out, 3)
by_keras = np.asarray(sep_layer(feat))                           # builds the layer
ours = conv.separable_conv2d(feat, *sep_layer.get_weights())
say(f"3×3, {c_in} → {c_out} channels: standard **{standard:,}**, separable **{separable:,}** "
    f"(Keras: {sep_layer.count_params():,}), {standard / separable:.1f}× fewer; "
    f"`coursekit.separable_conv2d` equals Keras: **{np.allclose(ours, by_keras, atol=1e-4)}**.")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# * In pixel space a one-pixel shift moves a digit further than the nearest digit of another class:
#   we need features that ignore position. Simple cells → convolution + ReLU; complex cells → pooling.
# * A convolutional layer slides small learned kernels over the input: sparse interactions,
#   shared parameters, equivariance to shifts. Keras computes **cross-correlation** (no flip).
# * Output size $\lfloor (W + P - K)/S \rfloor + 1$; `"same"` gives $\lceil W/S\rceil$ outputs,
#   extra zero at the bottom/right. A layer of M filters outputs M maps, however deep the stack.
# * Parameters: $(K \cdot K \cdot C_{in} + 1) \cdot F$, independent of the image size (80 and 1168).
# * Pooling shrinks the maps and buys tolerance to small shifts.
# * 1×1 (a learned per-pixel linear map) and depthwise-separable convolutions make networks cheaper.
#
# **Next:** stacking these layers — LeNet to EfficientNet. **Assignment 4** asks you to write
# `conv2d`, the pools and their backward passes yourself, checked against Keras.
