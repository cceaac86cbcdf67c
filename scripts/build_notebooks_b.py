#!/usr/bin/env python
"""Generate lecture notebooks 4-6 (convolution, CNN architectures, transfer learning).

    python scripts/build_notebooks_b.py            # writes notebooks/04_*.ipynb .. 06_*.ipynb (no outputs)

The notebooks are the source of truth for lecturers (edit them in JupyterLab if you like); this
script exists so every cell gets its slide type and the text stays reviewable as Python.  Cells
whose printed values the tests check carry the tag ``seed-values``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

REPO = Path(__file__).resolve().parents[1]
SETUP_TAG = "setup"
KEY_TAG = "seed-values"


def md(slide: str, text: str):
    return new_markdown_cell(text.strip("\n"), metadata={"slideshow": {"slide_type": slide}})


def notes(text: str):
    return md("notes", "**Speaker notes.** " + text.strip())


def code(slide: str, text: str, tags: tuple[str, ...] = ()):
    meta = {"slideshow": {"slide_type": slide}}
    if tags:
        meta["tags"] = list(tags)
    return new_code_cell(text.strip("\n"), metadata=meta)


def notebook(cells) -> nbformat.NotebookNode:
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata["celltoolbar"] = "Slideshow"
    return nb


SETUP_COMMON = """
%matplotlib inline
import numpy as np
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

from coursekit import style
style.apply()
np.set_printoptions(precision=4, suppress=True)
"""

# =============================================================================================
# 04 Convolution
# =============================================================================================

def lecture_04():
    c = []
    c.append(md("slide", """
# Lecture 4 — Convolution

*Introductory deep learning · convolutional neural networks, part 1*

1. Why fully connected layers do not suit images
2. The convolution operation: the seed's 4×4 example, computed
3. Cross-correlation vs convolution: what Keras really computes
4. Stride, zero padding ("valid"/"same"), the output-size formula — **interactive**
5. Depth and several filters; classic kernels on a photograph
6. Pooling and translation invariance — **measured**
7. Counting parameters: convolution vs dense; 1×1 and depthwise-separable convolutions
"""))
    c.append(notes("""
About 75 minutes. Everything on screen is computed live by `coursekit.convolution` (NumPy,
checked against Keras in the test suite). Run the setup cell before the lecture (Keras
takes a few seconds to import). Two widgets: the sliding kernel (section 4) and the
pooling shift (section 6); both have a static picture if the kernel is not running.
"""))
    c.append(code("skip", SETUP_COMMON + """
from coursekit import convolution as conv
from coursekit.data import photo, digits_8x8
from coursekit.widgets.convolution import (
    SEED_IMAGE, SEED_KERNELS, KernelSlideWidget, PoolingShiftWidget, format_multiply_add,
    multiply_add_terms, matrix_equation_figure, kernel_gallery_figure, translation_invariance)
from coursekit.keras_setup import import_keras

keras = import_keras()   # used only to check our numbers against Keras
""", tags=(SETUP_TAG,)))

    c.append(md("slide", """
## Why not a fully connected layer?

An image is a grid of numbers: a 48×48 grey image is 2,304 numbers, a 224×224 colour image
150,528. A **fully connected** (dense) neuron looks at *every* pixel:

* **too many weights** — one dense neuron on a 48×48 image already has 2,305 parameters
  (computed below), and a layer needs thousands of neurons;
* **no spatial awareness** — the dense layer does not know that neighbouring pixels belong together;
  shuffle the pixels (the same way for every image) and it learns exactly as well.

A **convolutional layer** fixes both (Vandin's lecture, seed 002):

* **sparse interactions** — each output looks at a small window (the kernel, e.g. 3×3);
* **parameter sharing** — the *same* kernel slides over every position;
* **equivariance** — shift the input, and the output shifts the same way.
"""))
    c.append(md("slide", """
## The operation

For a 2-D input $I$ and a small kernel $K$ (Vandin's definition):

$$S(i, j) = (I * K)(i, j) = \\sum_m \\sum_n I(i + m,\\, j + n)\\, K(m, n)$$

Put the kernel on the top-left corner, multiply element by element, add up: that is one output
number. Slide one step to the right and repeat; at the end of a row, go down one step.

The kernel is a **pattern detector**: the output is high where the image patch looks like the kernel.
In a CNN the kernel's numbers are **learned** from data.
"""))
    c.append(md("subslide", """
### The seed's example: a 4×4 input and a 2×2 filter

Salvatore's slides (seed 000) slide the filter $\\begin{bmatrix}1&0\\\\0&1\\end{bmatrix}$ over
a 4×4 matrix. Let us compute it, with the naive loop (the formula above) and with the fast
vectorised version; both come from `coursekit.convolution`.
"""))
    c.append(code("-", """
diag = SEED_KERNELS["diagonal (seed, 1st example)"]
x4 = SEED_IMAGE[None, :, :, None]            # NHWC: one image, one channel
k4 = diag[:, :, None, None]                  # (kh, kw, in_channels, filters)
out_naive = conv.conv2d_naive(x4, k4)[0, :, :, 0]
out_fast = conv.conv2d(x4, k4)[0, :, :, 0]
print("input:\\n", SEED_IMAGE)
print("output (naive loops):\\n", out_naive)
print("naive == fast:", np.array_equal(out_naive, out_fast))
print("top-left cell:", format_multiply_add(multiply_add_terms(SEED_IMAGE[:2, :2], diag)))
""", tags=(KEY_TAG,)))
    c.append(code("fragment", """
fig = matrix_equation_figure(SEED_IMAGE, diag, out_fast, title="seed 000, first example")
display(fig)
"""))
    c.append(md("fragment", """
The largest output, **32**, sits at the bottom-left: there the patch $\\begin{bmatrix}30&0\\\\0&2\\end{bmatrix}$
has large values exactly where the filter has its ones — *high value when the filter matches
the image patch*. Where the patch has its mass off the diagonal, the output is low.
"""))
    c.append(md("subslide", """
### The second example: the anti-diagonal filter

The same input with $\\begin{bmatrix}0&1\\\\1&0\\end{bmatrix}$ now responds to the *other*
diagonal: the 30 and the 6 of the second and third rows give the maximum.
"""))
    c.append(code("-", """
anti = SEED_KERNELS["anti-diagonal (seed, 2nd example)"]
out_anti = conv.conv2d(x4, anti[:, :, None, None])[0, :, :, 0]
print("output:\\n", out_anti)
print("largest response", out_anti.max(), "at", tuple(int(v) for v in np.unravel_index(out_anti.argmax(), out_anti.shape)),
      "=", format_multiply_add(multiply_add_terms(SEED_IMAGE[1:3, 0:2], anti)))
display(matrix_equation_figure(SEED_IMAGE, anti, out_anti, title="seed 000, second example"))
""", tags=(KEY_TAG,)))
    c.append(md("fragment", """
Both 3×3 results agree with the seed's slides. (The seed's figure caption says that the
"top-left element, 4, is shaded" — the top-left output is 7; the 4 is the first cell of the
*second* row.)
"""))
    c.append(notes("""
Ask the room to compute the centre cell of the first example by hand before revealing it:
6·1 + 4·0 + 0·0 + 1·1 = 7. Point out that the 4×4 input gives a 3×3 output: the 2×2 window
fits in 3 positions per row. This motivates the output-size formula later.
"""))

    c.append(md("slide", """
## Cross-correlation or convolution?

In mathematics, **convolution flips the kernel** (Lomonaco's notes, seed 004):

$$(f * k)(x) = \\sum_{m=-M}^{M} f(x - m)\\, k(m)$$

so $k(-M)$ multiplies $f(x + M)$. Without the flip the operation is **cross-correlation**, and
that is what deep-learning libraries compute — Keras's `Conv2D` included. For a *learned*
kernel it makes no difference (the network learns the flipped kernel); for a hand-made
filter it does, unless the filter is symmetric.

The test: correlate an image containing a single 1 (an impulse) with an asymmetric kernel.
"""))
    c.append(code("-", """
impulse = np.zeros((1, 5, 5, 1)); impulse[0, 2, 2, 0] = 1.0
ramp = np.arange(1.0, 10.0).reshape(3, 3)
k_ramp = ramp[:, :, None, None]
correlation = conv.conv2d(impulse, k_ramp, padding="same")[0, :, :, 0]
convolution = conv.conv2d_true_convolution(impulse, k_ramp, padding="same")[0, :, :, 0]

layer = keras.layers.Conv2D(1, 3, padding="same", use_bias=False)
layer.build((None, 5, 5, 1))
layer.set_weights([k_ramp])
keras_out = np.asarray(layer(impulse.astype("float32")))[0, :, :, 0]

print("kernel:\\n", ramp)
print("cross-correlation (coursekit.conv2d) around the impulse:\\n", correlation[1:4, 1:4])
print("true convolution around the impulse:\\n", convolution[1:4, 1:4])
print("Keras Conv2D == cross-correlation:", np.allclose(keras_out, correlation, atol=1e-6))
print("Keras Conv2D == true convolution: ", np.allclose(keras_out, convolution, atol=1e-6))
"""))
    c.append(md("fragment", """
The impulse response of **convolution** is the kernel itself; that of **cross-correlation** is
the kernel rotated by 180°. Keras computes cross-correlation. In this course, as everywhere in
deep learning, "convolution" means cross-correlation.
"""))

    c.append(md("slide", """
## Hyperparameters of a convolutional layer

* **Kernel size** $K$ — the window, e.g. 3×3 (today's standard) or AlexNet's 11×11.
* **Stride** $S$ — how far the window moves each step. Stride 2 halves the output: the stride
  doubles as a down-sampling factor.
* **Zero padding** $P$ — virtual zeros around the border, so the kernel can also be centred on
  border pixels. Keras offers two modes:
    * `"valid"`: no padding, the output shrinks;
    * `"same"`: pad so the output has $\\lceil W / S \\rceil$ cells. TensorFlow pads a total of
      $\\max((\\lceil W/S \\rceil - 1) S + K - W,\\ 0)$; **when that total is odd, the extra row/column
      goes at the bottom/right**.
* **Depth** — the number of filters, i.e. of output channels.

The output size along one axis (Lomonaco, seed 004), with $P$ the *total* padding and integer division:

$$\\text{out} = \\left\\lfloor \\frac{W + P - K}{S} \\right\\rfloor + 1$$
"""))
    c.append(code("subslide", """
rows = []
for W, K, S in [(4, 2, 1), (4, 3, 1), (5, 3, 2), (7, 3, 2), (6, 4, 2), (224, 11, 4), (227, 11, 4)]:
    for padding in ("valid", "same"):
        top, bottom = conv.same_padding(W, K, S) if padding == "same" else (0, 0)
        ours = conv.conv_output_length(W, K, S, padding)
        formula = (W + top + bottom - K) // S + 1
        k_shape = keras.layers.Conv2D(1, K, strides=S, padding=padding).compute_output_shape((1, W, W, 1))
        rows.append(f"| {W} | {K} | {S} | {padding} | ({top}, {bottom}) | {formula} | {ours} | {k_shape[1]} |")
display(Markdown("| W | K | S | padding | (before, after) | (W + P − K) // S + 1 | coursekit | Keras |\\n"
                 "|---|---|---|---|---|---|---|---|\\n" + "\\n".join(rows)))
""", tags=(KEY_TAG,)))
    c.append(md("fragment", """
Three things to read off the table: "same" with stride 1 keeps the size; an odd total padding
is split with the extra zero **after** (e.g. W=4, K=2: (0, 1)); and AlexNet's first layer only
fits nicely on **227** pixels — on 224 the division $(224 - 11)/4$ is not exact (the paper's 224
is a known inconsistency).
"""))
    c.append(md("slide", """
## Widget: a kernel sliding over an image

Choose the image and the kernel, then move **kernel size**, **stride**, **padding** and the
**output cell**. The orange square is the window, grey cells are zero padding; below the
picture: the padding TensorFlow uses, the output-size formula with the numbers plugged in, and
the multiply-add that produces the highlighted output cell.
"""))
    c.append(code("-", """
slider = KernelSlideWidget()
slider
"""))
    c.append(notes("""
Suggested path: (1) seed 4×4, diagonal kernel, K=2: step the output cell through 0..8 and read
the multiply-adds; (2) switch padding to "same": the output is 4×4 and the padding is (0, 1) on
each axis — the asymmetric TensorFlow rule; (3) stride 2: output 2×2; (4) the impulse image with
the ramp kernel: the output is the kernel upside down (cross-correlation); (5) the digit with a
5×5 box blur. A static picture of the initial state is saved with the notebook, so the slide
also works in an exported deck.
"""))

    c.append(md("slide", """
## Depth and several filters

A colour image has **3 channels**; a kernel spans all of them: shape $(K, K, C_{in})$, and its
output is **one** number per position (the sum runs over the channels too). A layer has
**several filters** — kernel shape $(K, K, C_{in}, F)$ — and produces $F$ feature maps, the
output's channels ("N convolution layers × M filters → N×M feature maps", seed 000).
"""))
    c.append(code("-", """
rgb = photo(gray=False, size=128)[None]                      # (1, H, W, 3)
rng = np.random.default_rng(0)
kernel = rng.normal(size=(3, 3, 3, 4))                       # 4 filters, each 3x3x3
bias = np.zeros(4)
maps = conv.conv2d(rgb, kernel, bias, strides=1, padding="same")
print("input ", rgb.shape, " kernel", kernel.shape, " ->  output", maps.shape)
print("one output cell = sum over 3x3x3 =", 3 * 3 * 3, "products (+ bias)")
"""))
    c.append(md("slide", """
## Classic kernels on a real photograph

Before CNNs, image processing used hand-made filters. An edge is a fast change of intensity, and
the derivative's finite difference $\\frac{f(x+h) - f(x-h)}{2h}$ is the filter $[-1\\ 0\\ 1]$
(Lomonaco, seed 004); Sobel smooths it across rows. Blur kernels average, sharpen adds the
difference to the neighbours back. The first layer of a trained CNN learns filters much like these
(AlexNet's conv1 filters in seed 000).
"""))
    c.append(code("-", """
grace = photo(gray=True, size=256)          # Grace Hopper, matplotlib's sample photograph
fig, filtered = kernel_gallery_figure(grace)
display(fig)
"""))
    c.append(notes("""
Edge maps are drawn with a diverging colour map: red/blue is the sign of the intensity change
(dark-to-bright vs bright-to-dark). Note the Sobel x map highlights vertical structures (the
edges of the collar, the face outline), Sobel y horizontal ones.
"""))

    c.append(md("slide", """
## Pooling

After the convolution and the ReLU ("detector layer"), a **pooling** layer replaces each
window by a summary (seed 002):

* **max pooling** — the maximum of the window;
* **average pooling** — the mean.

A 2×2 pool with stride 2 halves height and width (¾ fewer values) and has **no parameters**.
On the seed's 4×4 matrix:
"""))
    c.append(code("-", """
print("max pool 2x2:\\n", conv.max_pool2d(x4, 2)[0, :, :, 0])
print("average pool 2x2:\\n", conv.average_pool2d(x4, 2)[0, :, :, 0])
print("Keras MaxPooling2D agrees:",
      np.allclose(np.asarray(keras.layers.MaxPooling2D(2)(x4.astype("float32"))), conv.max_pool2d(x4, 2)))
"""))
    c.append(md("subslide", """
### Translation invariance

Max pooling makes the output **invariant to small translations**: shift the input by a pixel and
many pooled values stay the same — useful when we care *whether* a feature is present more than
*exactly where* (seed 002). The widget shows a detector map (ReLU of a vertical-edge filter)
before and after a shift; red squares mark pooled cells that changed.
"""))
    c.append(code("-", """
pool_widget = PoolingShiftWidget()
pool_widget
"""))
    c.append(notes("""
Move the shift from 1 to 2 and the pool size from 2 to 4. With pool 2 and a shift of 1 the
left bar stays inside its pooling window (unchanged), the right bar crosses a window boundary
(changed): invariance is only partial, and grows with the window.
"""))
    c.append(md("subslide", """
### Measured on 300 handwritten digits

For each digit: the detector map before and after shifting the digit one pixel to the right,
then max-pooled with windows of 1 (no pooling), 2, 4 and 8 (the whole 8×8 map: *global* max
pooling). We report the fraction of active cells that did not change and the relative change
$\\lVert after - before\\rVert / \\lVert before\\rVert$.
"""))
    c.append(code("-", """
digits, labels = digits_8x8()
inv = translation_invariance(digits[:300], pool_sizes=(1, 2, 4, 8), shift=1)
display(Markdown("| max-pool window | active cells unchanged | relative change |\\n|---|---|---|\\n" + "\\n".join(
    f"| {p}×{p}{' (no pooling)' if p == 1 else ''} | {v['unchanged']:.1%} | {v['relative_change']:.3f} |"
    for p, v in inv.items())))
"""))
    c.append(md("fragment", """
Without pooling almost every active value changes; the bigger the pooling window, the more the
output ignores the shift, up to complete invariance for global pooling (the price: *where* the
feature was is lost).
"""))

    c.append(md("slide", """
## Counting parameters

A 3×3 filter on a grey image has $9$ weights $+ 1$ bias $= 10$ parameters, **whatever the image
size**. The Cagliari slides (seed 001) count:

* eight 3×3 filters on 1 channel: $(9 + 1) \\times 8 = 80$ — the slide writes "$9+1 \\times 8$",
  which by precedence would be 17; the parentheses are meant;
* sixteen 3×3 filters on those 8 channels: $(8 \\times 3 \\times 3 + 1) \\times 16 = 1168$ — a later
  slide repeats the formula with "$= 80$", a copy-paste slip.

Both computed, by our formula and by Keras's own `count_params()`:
"""))
    c.append(code("-", """
for k, c_in, f in [(3, 1, 8), (3, 8, 16)]:
    ours = conv.conv2d_param_count(k, c_in, f)
    layer = keras.layers.Conv2D(f, k)
    layer.build((None, 48, 48, c_in))
    print(f"{f:2d} filters {k}x{k} on {c_in} channel(s): coursekit {ours:5d}   Keras count_params {layer.count_params():5d}")
""", tags=(KEY_TAG,)))
    c.append(md("subslide", """
### Convolution vs dense

The slides compare with a fully connected layer: "FC: ~2300 parameters" per filter. That is one
dense neuron looking at a **48×48** image: $48 \\cdot 48 + 1 = 2305$. A fairer comparison is a dense
layer producing the **same output** as the convolution (48×48×8 values from a 48×48 image):
"""))
    c.append(code("-", """
H = W = 48
one_neuron = conv.dense_param_count(H * W, 1)
conv_layer = conv.conv2d_param_count(3, 1, 8)
dense_same_output = conv.dense_param_count(H * W, H * W * 8)
print(f"one dense neuron on a {H}x{W} image: {one_neuron:,} parameters (the seed's ~2300); x 8 = {8 * one_neuron:,} (~18500)")
print(f"conv layer, eight 3x3 filters:      {conv_layer:,} parameters")
print(f"dense layer with the same output:   {dense_same_output:,} parameters  ({dense_same_output / conv_layer:,.0f} times more)")
"""))

    c.append(md("slide", """
## 1×1 convolutions

A 1×1 kernel sees one pixel, across all its channels: it is a **dense layer applied at every
pixel**, mixing channels without looking at neighbours. Used to **reduce depth** cheaply before
an expensive 3×3 or 5×5 (Inception, next lecture) — Lomonaco compares it to PCA on the channels.
"""))
    c.append(code("-", """
feat = rng.normal(size=(1, 14, 14, 64))
w1x1 = rng.normal(size=(64, 16))
out = conv.conv1x1(feat, w1x1)
print(feat.shape, "-> 1x1 conv ->", out.shape, "  parameters:", conv.conv2d_param_count(1, 64, 16))
print("same as a dense layer at one pixel:", np.allclose(out[0, 3, 5], feat[0, 3, 5] @ w1x1))
"""))
    c.append(md("subslide", """
### Depthwise-separable convolutions

A standard convolution handles **spatial** and **cross-channel** correlations together. A
depthwise-separable one splits them (the Inception hypothesis, seed 004):

1. **depthwise**: one $K \\times K$ filter per input channel, no sum over channels ($K^2 C_{in}$ weights);
2. **pointwise**: a 1×1 convolution mixes the channels ($C_{in} C_{out}$ weights, + bias).

The number of parameters plummets; MobileNet is built from these.
"""))
    c.append(code("-", """
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
print("coursekit.separable_conv2d == Keras:", np.allclose(ours, np.asarray(sep_layer(feat.astype("float32"))), atol=1e-4))
"""))
    c.append(md("slide", """
## Summary

* A convolutional layer slides small learned kernels over the input: sparse interactions,
  shared parameters, equivariance to shifts.
* What Keras calls convolution is **cross-correlation** (no kernel flip).
* Output size $\\lfloor (W + P - K)/S \\rfloor + 1$; `"same"` pads $\\lceil W/S\\rceil$ outputs,
  extra zero at the bottom/right.
* Parameters: $(K \\cdot K \\cdot C_{in} + 1) \\cdot F$, independent of the image size (80 and 1168).
* Pooling shrinks the maps and buys tolerance to small shifts.
* 1×1 and depthwise-separable convolutions make networks cheaper.

**Next:** stacking these layers — LeNet to EfficientNet. **Assignment 4** asks you to write
`conv2d`, the pools and their backward passes yourself, checked against Keras.
"""))
    return notebook(c)


# =============================================================================================
# 05 CNN architectures
# =============================================================================================

def lecture_05():
    c = []
    c.append(md("slide", """
# Lecture 5 — CNN architectures

*Introductory deep learning · convolutional neural networks, part 2*

1. Receptive fields — **interactive**
2. LeNet-5 and AlexNet, layer by layer
3. VGG: stacks of 3×3
4. GoogLeNet / Inception: parallel branches and 1×1 reductions
5. ResNet: residual blocks, and why they help gradients — **measured**
6. Batch normalization
7. MobileNet and EfficientNet; the seed's table of pretrained networks, recomputed
8. U-Net for segmentation
9. A small CNN trained on handwritten digits, and its feature maps
"""))
    c.append(notes("""
About 80 minutes. Building big Keras models takes seconds each; the table of pretrained networks
builds a subset live (set `COMPUTE_ALL = True` before the lecture if you want every row — about a
minute more). The small CNN trains in a few seconds.
"""))
    c.append(code("skip", SETUP_COMMON + """
from coursekit import cnn_architectures as arch
from coursekit import convolution as conv
from coursekit.data import digits_8x8
from coursekit.widgets.cnn_architectures import (
    ReceptiveFieldWidget, skip_gradient_norms, gradient_norms_figure, build_tiny_unet,
    feature_maps_figure, history_figure, pretrained_table_markdown, batch_norm_figure)
from coursekit.keras_setup import import_keras

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
""", tags=(SETUP_TAG,)))

    c.append(md("slide", """
## From features to architectures

A CNN is a **feature-extraction network** (convolution + pooling, repeated) followed by a
**classifier** (dense layers, softmax): the first layers find edges, the middle ones parts, the
last ones objects (seed 001's low-, mid- and high-level features).

The ImageNet challenge (1000 classes, 1.2 M training images) drove the "revolution of depth":

| year | network | idea |
|---|---|---|
| 1998 | LeNet-5 | conv + pool + dense, for digits |
| 2012 | AlexNet | big, ReLU, dropout, GPUs — the deep-learning breakthrough |
| 2014 | VGG | only 3×3 convolutions, deeper |
| 2014 | GoogLeNet | Inception modules, 1×1 reductions |
| 2015 | ResNet | residual connections, 152 layers |
| 2015 | U-Net | encoder–decoder for segmentation |
| 2017–19 | MobileNet, EfficientNet | cheap convolutions, balanced scaling |
"""))
    c.append(md("slide", """
## Receptive field

The **receptive field** of a unit is the part of the input it can see (Lomonaco, seed 004): the
size of an input that, without padding, produces an output of size 1. With $r_0 = 1$, $j_0 = 1$:

$$r_l = r_{l-1} + (k_l - 1)\\, j_{l-1}, \\qquad j_l = j_{l-1}\\, s_l$$

($j$ is the distance in input pixels between neighbouring units of a layer). Stride and pooling
multiply the growth.
"""))
    c.append(code("-", """
rf_widget = ReceptiveFieldWidget()
rf_widget
"""))
    c.append(notes("""
Start with 3 layers of 3×3, stride 1: receptive field 7 — the same as one 7×7 layer (VGG's
argument). Then set "pool every" to 1: the field grows much faster. The widget counts the input
pixels in the drawing independently of the formula; both must agree.
"""))
    c.append(md("subslide", """
### Why VGG stacks 3×3 kernels

Three 3×3 layers see 7×7, like one 7×7 layer, but have fewer parameters and three
non-linearities instead of one:
"""))
    c.append(code("-", """
C = 64
print("receptive field of three 3x3 layers:", arch.receptive_field([(3, 1)] * 3))
print(f"parameters, {C} -> {C} channels: three 3x3 layers {3 * conv.conv2d_param_count(3, C, C):,}"
      f"   one 7x7 layer {conv.conv2d_param_count(7, C, C):,}")
"""))

    c.append(md("slide", """
## LeNet-5 (1998)

Conv 6@5×5 → average pool → Conv 16@5×5 → average pool → Dense 120 → Dense 84 → softmax, tanh
activations, 32×32 input. Layer by layer, with each layer's receptive field:
"""))
    c.append(code("-", """
lenet = arch.build_lenet5()
show_table(lenet)
""", tags=(KEY_TAG,)))
    c.append(md("slide", """
## AlexNet (2012)

Five convolutional layers and three dense layers with max pooling in between, ReLU after every
layer (faster training), dropout, trained on two GPUs — so layers 2, 4 and 5 are split in two
**groups** (seed 000). First layer: 96 kernels of 11×11, stride 4. It won ILSVRC 2012 by a wide
margin.
"""))
    c.append(code("-", """
alexnet = arch.build_alexnet()
show_table(alexnet)
""", tags=(KEY_TAG,)))
    c.append(md("fragment", """
Almost all of the ~61 M parameters sit in the first dense layer (6·6·256 inputs × 4096 units):
the convolutions are cheap, dense layers on large maps are not. Later networks drop them.
"""))
    c.append(md("slide", """
## VGG-16 (2014)

Only 3×3 convolutions ("same") and 2×2 max pooling; the number of channels doubles after each
pooling (64, 128, 256, 512, 512) to compensate for the lost resolution; three dense layers. Clean
and modular, but heavy: 138 M parameters (seed 004). We count them from the configuration, layer by
layer — Keras needs ~10 s to build VGG16, so the table below builds it only on request.
"""))
    c.append(code("-", """
vgg16_convs = [(3, 64), (64, 64), (64, 128), (128, 128), (128, 256), (256, 256), (256, 256),
               (256, 512), (512, 512), (512, 512), (512, 512), (512, 512), (512, 512)]
conv_params = sum(conv.conv2d_param_count(3, a, b) for a, b in vgg16_convs)
dense_params = (conv.dense_param_count(7 * 7 * 512, 4096) + conv.dense_param_count(4096, 4096)
                + conv.dense_param_count(4096, 1000))
print(f"13 conv layers: {conv_params:,}   3 dense layers: {dense_params:,}   total: {conv_params + dense_params:,}")
print("receptive field of the last conv unit:",
      arch.receptive_field([(3, 1)] * 2 + [(2, 2)] + [(3, 1)] * 2 + [(2, 2)] + ([(3, 1)] * 3 + [(2, 2)]) * 3))
"""))
    c.append(md("slide", """
## GoogLeNet and the Inception module (2014)

Which kernel size is right — 1×1, 3×3, 5×5, or pooling? The Inception module uses them **all in
parallel** and concatenates the results on the channel axis. To keep this affordable, 1×1
convolutions **reduce the depth** before the 3×3 and 5×5 branches. GoogLeNet stacks nine such
modules: 22 layers with weights (27 with pooling), far fewer parameters than AlexNet (seed 000).
Inception-v3 (48 layers) refines the idea.

Here GoogLeNet's module "3a" on its 28×28×192 input:
"""))
    c.append(code("-", """
inp = keras.Input((28, 28, 192))
module = keras.Model(inp, arch.inception_module(inp, 64, 96, 128, 16, 32, 32), name="inception_3a")
show_table(module, receptive_field=False)
without_reduction = (conv.conv2d_param_count(1, 192, 64) + conv.conv2d_param_count(3, 192, 128)
                     + conv.conv2d_param_count(5, 192, 32) + conv.conv2d_param_count(1, 192, 32))
print(f"\\nthe same four branches without the 1x1 reductions: {without_reduction:,} parameters "
      f"({without_reduction / module.count_params():.1f}x more)")
"""))
    c.append(md("slide", """
## ResNet (2015): residual blocks

Simply stacking more layers made VGG-style networks *worse*, even on the training set. ResNet's
fix: each block learns a **residual** $F(x)$ and outputs $\\mathrm{ReLU}(F(x) + x)$ — the input is
carried around the block by a **skip connection** (seed 004). Batch normalization after each
convolution, global average pooling instead of big dense layers (seed 000).

Why it helps the gradient: $\\dfrac{\\partial\\, (x + F(x))}{\\partial x} = I + \\dfrac{\\partial F}{\\partial x}$ —
even when $\\partial F / \\partial x$ is tiny, the identity passes the gradient straight down.
"""))
    c.append(code("-", """
inp = keras.Input((32, 32, 64))
block = keras.Model(inp, arch.residual_block(inp, 64), name="basic_block")
down = keras.Model(inp, arch.residual_block(inp, 128, strides=2), name="downsampling_block")
show_table(block, receptive_field=False)
print()
show_table(down, receptive_field=False)
"""))
    c.append(md("subslide", """
### Gradients with and without skip connections — measured

Two networks with the same 13 convolutional layers (a stem and six blocks of two 3×3 ReLU
convolutions, Keras's default initialisation, no batch norm), one plain and one with a skip
connection around every block. One batch of 64 digits, cross-entropy, and the norm of the
gradient that reaches each layer's kernel (`tf.GradientTape`):
"""))
    c.append(code("-", """
digits, labels = digits_8x8()
grads = skip_gradient_norms(digits[:64], labels[:64], num_blocks=6)
display(gradient_norms_figure(grads))
print(f"gradient at the first layer: plain {grads['plain'][0]:.2e}, residual {grads['residual'][0]:.2e} "
      f"({grads['residual'][0] / grads['plain'][0]:,.0f}x larger)")
print(f"initial loss: plain {grads['loss']['plain']:.4f}, residual {grads['loss']['residual']:.4f}; "
      f"ln(10) = {np.log(10):.4f} is the loss of a uniform guess")
"""))
    c.append(md("fragment", """
In the plain stack the signal has died out on the way up (its loss is exactly that of a uniform
guess) and the gradients on the way down are orders of magnitude smaller at every layer: gradient
descent barely moves. With skip connections every layer gets a usable gradient.
"""))
    c.append(md("slide", """
## Batch normalization

Normalise each channel over the mini-batch, then let the network rescale it:

$$\\hat x = \\frac{x - \\mu_B}{\\sqrt{\\sigma_B^2 + \\epsilon}}, \\qquad y = \\gamma \\hat x + \\beta$$

During training $\\mu_B, \\sigma_B^2$ are the batch's statistics, and **moving averages** of them are
kept; at inference the moving averages are used (so one image's output does not depend on the
others in its batch). Keeps activations in a good range, allows higher learning rates; a layer
to remember in the next lecture (transfer learning).
"""))
    c.append(code("-", """
rng = np.random.default_rng(0)
acts = rng.normal(3.0, 2.5, size=(256, 4)).astype("float32")         # a batch of 4-channel activations
gamma, beta = np.ones(4, "float32"), np.zeros(4, "float32")
out, new_mean, new_var = arch.batch_norm_forward(acts, gamma, beta, np.zeros(4), np.ones(4), training=True)
bn = keras.layers.BatchNormalization()
keras_out = np.asarray(bn(acts, training=True))
print("coursekit == Keras BatchNormalization(training=True):", np.allclose(out, keras_out, atol=1e-5))
print("moving mean after one batch:", new_mean.round(4), " Keras:", np.asarray(bn.moving_mean).round(4))
display(batch_norm_figure(acts, out))
"""))
    c.append(md("slide", """
## MobileNet and EfficientNet

**MobileNet** (2017) replaces standard convolutions with depthwise-separable ones (lecture 4):
about 8–9× fewer parameters and multiply-adds for a 3×3 layer. MobileNetV2 adds inverted
residual blocks; it has 3.5 M parameters against ResNet-50's 25.6 M.

**EfficientNet** (2019) asks how to scale a network up: deeper, wider (channels) or higher
resolution? Its answer is to scale **all three together** (seed 004): depth $\\alpha^\\phi$, width
$\\beta^\\phi$, resolution $\\gamma^\\phi$ with $\\alpha\\beta^2\\gamma^2 \\approx 2$, so each step of $\\phi$
roughly doubles the cost. The paper's grid search gave $\\alpha = 1.2, \\beta = 1.1, \\gamma = 1.15$:
"""))
    c.append(code("-", """
alpha, beta_w, gamma_r = 1.2, 1.1, 1.15
print(f"alpha * beta^2 * gamma^2 = {alpha * beta_w**2 * gamma_r**2:.3f}")
for phi in range(4):
    print(f"phi={phi}: depth x{alpha**phi:.2f}  width x{beta_w**phi:.2f}  resolution {224 * gamma_r**phi:.0f} px"
          f"  FLOPs x{(alpha * beta_w**2 * gamma_r**2)**phi:.1f}")
"""))
    c.append(md("slide", """
## The seed's table of pretrained networks, recomputed

Salvatore's slide (seed 000) lists depth, size, parameters and input size of pretrained networks
(it is MATLAB's table). We rebuild the networks that `keras.applications` has, with
`weights=None` (no download: only the architecture), and count. Building a network costs 1–15 s,
so a lecture computes a subset live; `COMPUTE_ALL = True` computes every buildable row.

What "depth" means differs: MATLAB counts the longest path of convolutional and dense layers
(our *conv+dense path*); keras.io counts layers holding weights, batch norm included.
"""))
    c.append(code("-", """
COMPUTE_ALL = False
live = None if COMPUTE_ALL else ["mobilenetv2", "resnet50"]      # ~3 s and ~7 s to build
table = arch.pretrained_networks_table(live)
display(Markdown(pretrained_table_markdown(table)))
seed_alexnet = next(r for r in table if r["name"] == "alexnet")
print(f"alexnet (not in keras.applications; the two-group model built above): {alexnet.count_params() / 1e6:.2f} M "
      f"parameters, {alexnet.count_params() * 4 / 1e6:.0f} MB as float32; the seed says {seed_alexnet['seed_params_m']} M, "
      f"{seed_alexnet['seed_size_mb']} MB")
""", tags=(KEY_TAG,)))
    c.append(md("fragment", """
Where a row is computed, Keras's parameter count matches the seed's (to the seed's rounding), and
the *size* column is roughly parameters × 4 bytes (float32). The input sizes agree except AlexNet's
227 — the input on which its first layer's arithmetic works out (lecture 4). SqueezeNet, GoogLeNet, ResNet-18,
ShuffleNet and DarkNet are not in `keras.applications` at all.
"""))
    c.append(md("slide", """
## U-Net (2015): segmentation

Classification gives one label per image; **semantic segmentation** one label per pixel (seed 000:
"suited for (medical) image segmentation"). A U-Net is *fully convolutional*:

* an **encoder** (conv + pooling) shrinks the image and grows the channels;
* a **decoder** up-samples back (transposed convolutions, the "unpooling" of seed 001);
* **skip connections** concatenate each encoder map to the decoder map of the same size, so the
  fine detail lost by pooling comes back.

A two-level U-Net on 64×64 images. Receptive fields grow through the encoder as before; a
2×2 stride-2 transposed convolution copies each unit into a 2×2 block and adds no field. After
it, units see different numbers of pixels depending on where they sit in that block, so the table
says "n/a" there rather than one misleading number:
"""))
    c.append(code("-", """
unet = build_tiny_unet((64, 64, 1), base_filters=8, levels=2)
show_table(unet)
"""))
    c.append(md("slide", """
## A small CNN on handwritten digits

Everything together on scikit-learn's bundled 8×8 digits (1,797 images, 10 classes):
Conv 16@3×3 → Conv 32@3×3 → max pool → dropout → softmax.
"""))
    c.append(code("-", """
from sklearn.model_selection import train_test_split

x = digits[..., None].astype("float32")
x_train, x_test, y_train, y_test = train_test_split(x, labels, test_size=0.25, random_state=0, stratify=labels)
keras.utils.set_random_seed(0)
cnn = arch.small_cnn()
show_table(cnn)
history = cnn.fit(x_train, y_train, epochs=8, batch_size=32, validation_data=(x_test, y_test), verbose=0)
test_loss, test_acc = cnn.evaluate(x_test, y_test, verbose=0)
print(f"\\ntest accuracy after {len(history.history['loss'])} epochs: {test_acc:.1%} on {len(x_test)} test digits")
"""))
    c.append(code("subslide", """
display(history_figure(history.history, title="small CNN on the 8x8 digits"))
"""))
    c.append(md("subslide", """
### What the layers see: feature maps

The activations of the two convolutional layers and the pooling layer for one test digit (the
first 8 channels of each). Early maps look like edge-filtered copies of the digit; after pooling
the maps are coarser and more abstract.
"""))
    c.append(code("-", """
maps = arch.feature_maps(cnn, x_test[0], ["conv1", "conv2", "pool"])
print("predicted", int(cnn.predict(x_test[:1], verbose=0).argmax()), "  true", int(y_test[0]))
display(feature_maps_figure(x_test[0], maps))
"""))
    c.append(md("slide", """
## Summary

* Receptive fields grow by $(k-1)\\,j$ per layer; strides and pooling multiply the growth.
* LeNet → AlexNet → VGG: deeper stacks of small kernels; parameters live in the dense layers.
* Inception: parallel branches, 1×1 reductions. ResNet: $F(x) + x$ keeps gradients alive.
* Batch norm normalises with batch statistics in training, moving averages at inference.
* MobileNet (separable convolutions) and EfficientNet (compound scaling) buy efficiency.
* U-Net: encoder–decoder with skip connections for per-pixel labels.

**Next:** reusing a trained network for a new task with little data — transfer learning.
"""))
    return notebook(c)


# =============================================================================================
# 06 Transfer learning
# =============================================================================================

def lecture_06():
    c = []
    c.append(md("slide", """
# Lecture 6 — Transfer learning

*Introductory deep learning · reusing what a network has learned*

1. Why: deep networks need data, and we rarely have it
2. The offline setting of this course: a source task and a target task
3. Feature extraction with a frozen base
4. Fine-tuning the top layers with a lower learning rate
5. From scratch vs frozen vs fine-tuned: the curves
6. The BatchNormalization pitfall, demonstrated
7. With a real ImageNet network (online)
"""))
    c.append(notes("""
About 60 minutes. The notebook runs offline: the "pretrained" base is a small CNN shipped with
the course (trained by `scripts/train_pretrained_base.py` on a 91-class source task: handwritten
and printed digits 0–4 plus printed letters and symbols). If the machine has
the ImageNet MobileNetV2 weights cached (or network access), `load_pretrained_base` says so; the
experiments below use the shipped base either way (an ImageNet base is much slower on CPU). The
comparison of strategies trains three runs of 10 epochs at 3 labels per class: about 10–20 s (a
second comparison at 10 labels per class would push the notebook past its 60 s budget; run it live
if there is time).
Expect transfer to win clearly with 3 labels per class and by about a point at 10, and fine-tuning
not to beat the frozen base reliably; the printed numbers are what to quote.
"""))
    c.append(code("skip", SETUP_COMMON + """
from coursekit import transfer_learning as tl
from coursekit import cnn_architectures as arch
from coursekit.widgets.transfer_learning import strategy_curves_figure, bn_pitfall_figure, task_examples_figure
from coursekit.keras_setup import import_keras

keras = import_keras()
""", tags=(SETUP_TAG,)))
    c.append(md("slide", """
## Why transfer learning?

Deep networks have millions of parameters and need **huge labelled data sets** (ImageNet: 1.2 M
images). Most real problems — a hospital's scans, a factory's defects — have hundreds. Susto's
lecture (seed 003) lists "need for huge datasets" as deep learning's weakness, with transfer
learning as the answer.

The idea (Lomonaco, seed 004): take a network trained on a big **source** task, **cut the final
layers**, **freeze** the rest as a feature extractor, and train a new small head for the
**target** task. Optionally, **fine-tune**: unfreeze some of the top layers and retrain them gently
— more powerful, but riskier (overfitting, destroying the features).

Why it works: the early layers learn generic features (edges, strokes, textures) that are
useful for many tasks.
"""))
    c.append(md("slide", """
## The setting of this course (offline)

* **Source task:** 91 classes of 8×8 images: the ~900 handwritten digits **0–4** of scikit-learn's
  digits, plus printed digits 0–4, Latin and Greek letters and symbols rendered from the 21 fonts
  matplotlib ships, with random stroke width, rotation, slant, scale and shift, reduced to 8×8
  the way the UCI digits were (~15,000 images). A small CNN with batch normalization was trained
  on it and ships with the course.
* **Target task:** handwritten digits **5–9** — classes the base has *never* seen — with only a few
  labelled images per class (10 here, 3 in the comparison below). The remaining ~850 images of
  5–9 are the test set.
"""))
    c.append(code("-", """
x_src, y_src = tl.source_task_data()
x_tr, y_tr, x_te, y_te = tl.target_task_data(n_per_class=10, seed=0)
print(f"source: {x_src.shape[0]} images, {len(tl.SOURCE_CLASSES)} classes, e.g. "
      f"{' '.join(tl.SOURCE_CLASSES[:8])} ... {' '.join(tl.SOURCE_CLASSES[-8:])}")
print(f"target: {x_tr.shape[0]} training images, {x_te.shape[0]} test images, labels {sorted(set(y_tr.tolist()))} (= digit - 5)")
display(task_examples_figure(x_src, y_src, x_tr, y_tr + 5))
"""))
    c.append(md("subslide", """
### The pretrained base

`load_pretrained_base(source="auto")` uses a real ImageNet network (MobileNetV2) when its weights are
in the Keras cache or can be downloaded, and otherwise the shipped digits base — and prints which
one and why.
"""))
    c.append(code("-", """
base = tl.load_pretrained_base(source="auto")
print(f"base: {base.name}, input {base.input_shape[1:]}, output {base.output_shape[1:]}, "
      f"{base.count_params():,} parameters")
shipped = base if base.name == "digits_base" else tl.load_pretrained_base(source="shipped")
print(arch.format_layer_table(arch.layer_table(shipped)))
"""))
    c.append(md("slide", """
## Feature extraction

Run the frozen base once over the images and keep its output, global-average-pooled to one
vector per image. Then any simple classifier can learn the target task on these **features**.
First test: a logistic regression on the 50 training images — on raw pixels vs on the
shipped base's features.
"""))
    c.append(code("-", """
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
"""))
    c.append(md("subslide", """
### The same in Keras: a frozen base with a new head

`build_transfer_model` puts a head on the base — global average pooling, dropout, a softmax
layer — and **freezes** the base (`base.trainable = False`, called with `training=False`). Only the
head's weights are trained:
"""))
    c.append(code("-", """
model = tl.build_transfer_model(tl.load_pretrained_base(source="shipped"), num_classes=5)
trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
print(f"total parameters {model.count_params():,}; trainable {trainable:,} (the head: 64 x 5 + 5)")
"""))
    c.append(md("slide", """
## Fine-tuning

After the head has learned, **unfreeze the top layers** of the base and continue training with a
**lower learning rate** (here 10× lower), so the pretrained features are adjusted, not destroyed.
Keep the lower layers frozen: they hold the most generic features, and with 50 images every extra
trainable weight is a chance to overfit.

After changing `trainable`, the model must be **compiled again** for the change to take effect.
"""))
    c.append(code("-", """
demo_base = tl.load_pretrained_base(source="shipped")
tl.unfreeze_top_layers(demo_base, 4)
print(f"{'layer':<8} trainable")
for layer in demo_base.layers:
    print(f"{layer.name:<8} {layer.trainable}")
"""))
    c.append(md("slide", """
## From scratch vs frozen vs fine-tuned

Three ways to learn the target task from the same **15 labelled images** (3 per class), same
architecture, same head, same number of training steps:

* **from scratch** — random initial weights, everything trained;
* **frozen** — the pretrained base frozen, only the head trained (feature extraction);
* **fine-tuned** — the frozen run, then the top 4 layers unfrozen at a 10× lower learning rate.

Accuracy on the ~850 target test images after every epoch (change `LABELS` to 10 and run again to
see the gap shrink as labels get cheaper):
"""))
    c.append(code("-", """
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
"""))
    c.append(md("fragment", """
How to read the curves: the **frozen** run can only use the features the base learned on the
source task (digits 0–4, letters, symbols), so its ceiling is how well those stroke features
separate 5–9 (compare with the logistic regressions above). **From scratch** must learn everything
from the labelled images: with 3 per class it has almost nothing to learn from; with more labels
a small network on 8×8 digits, where raw pixels are already informative, catches up quickly. **Fine-tuning** lets the
top layers adapt (the lower learning rate keeps the jump at the dashed line smooth), but with so few
labels it can also overfit: it is not guaranteed to beat the frozen base (see the printed
comparison). (Exact numbers vary between machines and seeds: TensorFlow's CPU kernels are not bit-for-bit
deterministic, and 15 training images make every run noisy.)
"""))
    c.append(md("slide", """
## The BatchNormalization pitfall

A batch-norm layer has **two kinds of state**: trainable $\\gamma, \\beta$, and the **moving mean and
variance** it learned on the source data, used at inference. When fine-tuning:

* The tempting `base.trainable = True` also makes the BN layers trainable. In Keras 3, `fit` calls
  the model with `training=True`, and that **overrides** the `training=False` we passed when
  calling the base — so the BN layers normalise with the statistics of tiny target batches and
  **overwrite their moving averages** with them.
* The fix, used by `unfreeze_top_layers`: keep every BN layer **frozen** (`trainable=False`). A frozen
  BN layer runs in inference mode even inside `fit`, so its statistics stay those of the source.

Demonstrated: fine-tune twice for one epoch, and measure how far each BN layer's moving statistics move.
"""))
    c.append(code("-", """
pitfall = tl.bn_pitfall_demo(n_per_class=10, epochs=1)
display(bn_pitfall_figure(pitfall))
for mode, r in pitfall.items():
    print(f"{mode:>8}: max |change| moving mean {r['max_abs_change_mean']:.4f}, "
          f"moving variance {r['max_abs_change_var']:.4f}; test accuracy {r['test_accuracy']:.1%}")
"""))
    c.append(notes("""
The careful run's changes are exactly zero. Stress that `training=False` in the call is
necessary (the frozen base) but not sufficient once layers are unfrozen: it is the BN layers'
own `trainable=False` that protects their statistics in Keras 3.
"""))
    c.append(md("slide", """
## With a real ImageNet network

Online, or with the weights in the Keras cache (`~/.keras/models`), the same code uses MobileNetV2
(width 0.35, 96×96 RGB input) pretrained on ImageNet:

```python
base = tl.load_pretrained_base(source="imagenet")    # downloads ~2 MB once, then cached
x = tl.prepare_images(x_tr, base)                     # 8x8 grey -> 96x96 RGB
result = tl.compare_strategies(base_model=base)       # slower: a much bigger network
```

`source="auto"` (used above) picks this path automatically when it can and otherwise explains why it
falls back. For photographs, an ImageNet base is the standard starting point: its features
transfer to medical images, satellite images, products...
"""))
    c.append(md("slide", """
## Summary: a recipe

1. Start from a network pretrained on a large source task; remove its classifier.
2. **Freeze** it, add a small head, train the head (feature extraction). Often enough.
3. To go further, **unfreeze the top layers**, keep **BatchNormalization frozen**, recompile with a
   **lower learning rate**, and train a few more epochs, watching the validation accuracy.
4. Training from scratch needs much more data.

**Assignment 6** asks you to build the transfer model, unfreeze correctly, and reach a target
accuracy on held-out digits within a CPU time budget.
"""))
    return notebook(c)


LECTURES = {
    "04_convolution.ipynb": lecture_04,
    "05_cnn_architectures.ipynb": lecture_05,
    "06_transfer_learning.ipynb": lecture_06,
}


def main(argv: list[str] | None = None) -> int:
    out_dir = REPO / "notebooks"
    out_dir.mkdir(exist_ok=True)
    for name, build in LECTURES.items():
        nb = build()
        nbformat.validate(nb)
        nbformat.write(nb, out_dir / name)
        print(f"wrote notebooks/{name} ({len(nb.cells)} cells)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
