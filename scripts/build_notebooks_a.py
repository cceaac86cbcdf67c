#!/usr/bin/env python
"""Write lecture notebooks 1-3 (neuron, gradient descent, backprop) with nbformat.

The .ipynb files are the source of truth that users open; this script is how they were first
written (re-running it overwrites local edits). Every cell carries ``metadata.slideshow.slide_type``.

    python scripts/build_notebooks_a.py            # writes notebooks/01_*.ipynb .. 03_*.ipynb
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

REPO = Path(__file__).resolve().parents[1]


def md(text: str, slide: str = "slide"):
    return new_markdown_cell(text.strip("\n"), metadata={"slideshow": {"slide_type": slide}})


def code(src: str, slide: str = "-"):
    return new_code_cell(src.strip("\n"), metadata={"slideshow": {"slide_type": slide}})


def notes(text: str):
    return md("**Speaker notes.** " + text.strip(), "notes")


SETUP = '''
%matplotlib inline
import numpy as np
import matplotlib.pyplot as plt
from IPython.display import HTML, Markdown, display

from coursekit.widgets._base import setup_lecture

setup_lecture()   # course style (colour-blind-safe, projector-sized), one BLAS thread
'''


def notebook(cells):
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


# =====================================================================================
# 01 neuron
# =====================================================================================

NEURON = [
    md("""
# Lecture 1 — The artificial neuron

From the biological neuron to the perceptron, one neuron worked by hand on real numbers,
the activation functions and their derivatives, logic gates (NAND, XOR), the multi-layer
perceptron in matrix form, and softmax with cross-entropy.

*Every number on these slides is computed by the code cell next to it (module `coursekit.neuron`).*
"""),
    code(SETUP, "skip"),
    md("""
## A biological neuron

* **Dendrites** collect signals from other neurons through **synapses**; a synapse can
  strengthen (excite) or weaken (inhibit) what passes through it.
* The **soma** (cell body) adds up the incoming signals.
* If the sum exceeds a threshold, the neuron **fires**: an electrical spike travels along the
  **axon** to the next neurons. The spike is *all-or-none*: it has the same size however much
  the threshold was exceeded.

The human brain has about 100 billion (10<sup>11</sup>) neurons, each connected to thousands of others.
"""),
    md("""
## McCulloch & Pitts (1943): a neuron as logic

*"Because of the all-or-none character of nervous activity, neural events and the relations
among them can be treated by means of propositional logic."*

A McCulloch–Pitts unit has binary inputs $x_i \\in \\{0, 1\\}$, and fires ($y = 1$) when
$\\sum_i x_i \\geq \\theta$. With $\\theta = 2$ on two inputs it is **AND**, with $\\theta = 1$
it is **OR**. There is nothing to learn: the threshold is fixed by hand.
""", "subslide"),
    code('''
from coursekit import neuron
from coursekit.data import nand_table

x, _ = nand_table()                      # the four inputs 00, 01, 10, 11
for theta, name in ((2, "AND"), (1, "OR")):
    fires = neuron.step(x.sum(axis=1) - theta)          # 1 where sum >= theta
    print(f"threshold {theta} ({name}):", dict(zip(map(tuple, x.astype(int).tolist()), fires.astype(int).tolist())))
'''),
    md("""
## The perceptron (Rosenblatt, 1958)

Give every input a **weight** $w_i$ (a synapse's strength) and move the threshold into a
**bias** $b = -\\theta$:

$$\\hat y = \\text{step}\\Big(\\sum_i w_i x_i + b\\Big) = \\text{step}(\\mathbf{w}\\cdot\\mathbf{x} + b),
\\qquad \\text{step}(z) = \\begin{cases}1 & z \\geq 0\\\\ 0 & z < 0\\end{cases}$$

The weights and the bias are now **parameters that can be learned** from examples.
Replace the step by a smooth function and we get the **sigmoid unit**,
$\\hat y = \\sigma(\\mathbf{w}\\cdot\\mathbf{x} + b)$ with $\\sigma(z) = 1/(1 + e^{-z})$:
its output moves gradually from 0 to 1, so small changes of the weights give small changes
of the output — which is what learning by gradient descent needs (lecture 2).
"""),
    notes("""The step's derivative is zero everywhere (and undefined at 0): a perceptron with a
step cannot be trained by gradient descent. This is the motivation for the sigmoid; come back to
it in lecture 2."""),
    md("""
## A task: healthy or overweight?

The lecture's data: the **height H** and the **abdominal circumference AC** of men (cm).
The neuron receives $a_1 = H$, $a_2 = AC$ and should output 1 for "overweight", 0 for "healthy".

The seed lecture gives no labels, so we label with a published rule of thumb (printed below):
*overweight when AC / H ≥ 0.5.*
"""),
    code('''
from coursekit.data import height_abdomen

intro = height_abdomen("intro")          # the nine men of the opening slide
train = height_abdomen("training")       # the 108 men of the training table
print(train.rule)
print()
print("H  (cm):", intro.x[:, 0].astype(int).tolist())
print("AC (cm):", intro.x[:, 1].astype(int).tolist())
print("label  :", intro.y.astype(int).tolist())
print(f"\\ntraining set: {len(train.y)} men, {int(train.y.sum())} overweight, {int((1 - train.y).sum())} healthy")
'''),
    md("""
## Forward propagation with the lecture's numbers

The lecture's neuron has $w_1 = 0.0006$, $w_2 = 0.0002$, $b = 1$ and meets a man with
$H = 185$, $AC = 85$ whose expected output is $E = 0$ (healthy):

$$z = 185 \\cdot 0.0006 + 85 \\cdot 0.0002 + 1, \\qquad P = \\sigma(z), \\qquad \\text{cost} = (P - E)^2$$
"""),
    code('''
w1, w2, b = 0.0006, 0.0002, 1.0
H, AC, E = 185, 85, 0.0
z = H * w1 + AC * w2 + b
P = float(neuron.sigmoid(z))
print(f"185 x 0.0006 = {H * w1:.4f},   85 x 0.0002 = {AC * w2:.4f}")
print(f"z = {z:.4f}")
print(f"P = sigmoid(z) = {P:.4f}")
print(f"cost = (P - E)^2 = {(P - E) ** 2:.4f}")
'''),
    md("""
### The slides' numbers are wrong — here is the check

The seed slides write *"0.7 = Sigmoid(185 × 0.0006 + 85 × 0.0002 + 1) = Sigmoid(0.111 + 0.281 + 1)
= Sigmoid(1.281)"* and a cost of 0.49. But $85 \\times 0.0002 = 0.017$, not 0.281, so $z$ is
1.128, and the sigmoid of either number is not 0.7. The same happens on every line of the
slides' "epoch" — each row below is recomputed, the seed's value beside it:
""", "subslide"),
    code('''
# (H, AC, w1, w2, b, the seed's sigmoid, the seed's cost) as printed on the slides
seed_lines = [
    (185, 85, 0.0006, 0.0002, 1.0, 0.70, 0.49),
    (185, 85, 0.0005, 0.0001, 1.0, 0.65, 0.43),
    (178, 94, 0.0004, 0.0003, 0.008, 0.65, 0.43),
    (184, 102, 0.0003, 0.0001, 0.007, 0.64, 0.41),
    (100, 80, 0.0005, 0.0002, 0.008, 0.55, 0.30),
]
print(f"{'sigmoid(H w1 + AC w2 + b)':<46}{'z':>8}{'sigmoid':>10}{'seed':>7}{'cost':>9}{'seed':>7}")
for H_, AC_, w1_, w2_, b_, seed_p, seed_c in seed_lines:
    z_ = H_ * w1_ + AC_ * w2_ + b_
    p_ = float(neuron.sigmoid(z_))
    expr = f"sigmoid({H_} x {w1_} + {AC_} x {w2_} + {b_:g})"
    print(f"{expr:<46}{z_:>8.4f}{p_:>10.4f}{seed_p:>7.2f}{p_ ** 2:>9.4f}{seed_c:>7.2f}")
print(f"\\nThe slides' update 'b: 0.0008 = 1 - 0.0002' is also wrong: 1 - 0.0002 = {1 - 0.0002:.4f}.")
'''),
    notes("""Say it plainly: the slides' sigmoid values (0.7, 0.65, 0.64, 0.55) and costs (0.49, 0.43,
0.41, 0.30) do not follow from their own formulas. The shape of the story is right (the cost
goes down as the weights are adjusted), the numbers are not. Good exercise: ask students to
find the arithmetic slip (85 x 0.0002 written as 0.281)."""),
    md("""
## Try it: one neuron on the 108 men

Move $w_1$, $w_2$, $b$ and pick an activation. Left: the men, the **decision boundary**
$w_1 H + w_2 AC + b = 0$ and the neuron's output as background colour. Right: the activation
curve with every man placed at his $z$.

* The lecture's weights put *everybody* on the "overweight" side: the accuracy is just the share of overweight men.
* Can you find a line that separates the two groups? (Hint: the labelling rule is $AC - 0.5 H \\geq 0$.)
* Change the activation: the boundary and accuracy do **not** move — the activation changes how
  *sure* the neuron is, not *where* it decides.
"""),
    code('''
from coursekit.widgets.neuron import NeuronWidget

neuron_widget = NeuronWidget(train)
neuron_widget
'''),
    code('''
print(f"lecture weights: accuracy {neuron_widget.state['accuracy']:.1%} "
      f"(share of overweight men: {train.y.mean():.1%}), squared-error cost {neuron_widget.state['cost']:.4f}")
'''),
    notes("""Live demo: set w1 = -0.05, w2 = 0.1, b = 0 (the labelling rule scaled by 0.1): 100 %. Then
switch activation to ReLU: same boundary, same accuracy, but the outputs on the healthy side are
all exactly 0 (and so is the gradient there). Then ask: what does scaling all three by 10 change?
(The boundary stays, the sigmoid gets steeper.)"""),
    md("""
## Why a non-linear activation?

Without one, every layer computes $\\mathbf{x}W + \\mathbf{b}$, and a stack of linear layers is
*one* linear layer: $(\\mathbf{x}W_1 + \\mathbf{b}_1)W_2 + \\mathbf{b}_2 = \\mathbf{x}(W_1W_2) + (\\mathbf{b}_1W_2 + \\mathbf{b}_2)$.
However deep, a linear network draws only straight decision boundaries. The non-linearity is
what lets depth build curved ones.
"""),
    code('''
rng = np.random.default_rng(0)
x4 = rng.normal(size=(4, 3))
W1, b1, W2, b2 = rng.normal(size=(3, 5)), rng.normal(size=5), rng.normal(size=(5, 2)), rng.normal(size=2)
two_layers = neuron.dense_forward(neuron.dense_forward(x4, W1, b1), W2, b2)
one_layer = neuron.dense_forward(x4, W1 @ W2, b1 @ W2 + b2)
print("two linear layers == one linear layer:", np.allclose(two_layers, one_layer))
'''),
    md("""
## The activation zoo, with derivatives

| name | $f(z)$ | $f'(z)$ |
|---|---|---|
| sigmoid | $1/(1+e^{-z})$ | $f(z)(1-f(z))$ |
| tanh | $\\tanh z$ | $1 - \\tanh^2 z$ |
| ReLU | $\\max(0, z)$ | $1$ if $z>0$ else $0$ |
| leaky ReLU | $\\max(0.1z, z)$ | $1$ if $z>0$ else $0.1$ |
| ELU | $z$ if $z \\geq 0$ else $\\alpha(e^z - 1)$ | $1$ if $z>0$ else $\\alpha e^z$ |
| maxout | $\\max(\\mathbf{w}_1^T\\mathbf{x} + b_1, \\mathbf{w}_2^T\\mathbf{x} + b_2)$ | the winning piece's slope |

The derivative will matter in lecture 3: backpropagation multiplies one $f'$ per layer.
"""),
    code('''
from coursekit.widgets.neuron import plot_activation_zoo

plot_activation_zoo()
plt.show()
zs = np.linspace(-10, 10, 20001)
print(f"largest slope of the sigmoid: {neuron.sigmoid_derivative(zs).max():.4f} (at z = 0);"
      f" of tanh: {neuron.tanh_derivative(zs).max():.4f}; of ReLU for z > 0: {neuron.relu_derivative(zs).max():.0f}")
''', "subslide"),
    notes("""Point at the sigmoid's derivative: it is at most 0.25. Ten sigmoid layers multiply ten of
these: at most 0.25**10, about 1e-6. That is the vanishing gradient of lecture 3. ReLU's derivative
is exactly 1 where the unit is active."""),
    md("""
## Logic gates: NAND with one perceptron

NAND outputs 0 only for input 11. A perceptron computes it if we find $w_1, w_2, b$ with
$z = w_1x_1 + w_2x_2 + b \\ge 0$ exactly on 00, 01, 10. Geometrically: a straight line
separating the point (1, 1) from the three others. NAND matters because it is
**logically complete**: every Boolean function is a circuit of NANDs.
"""),
    code('''
from coursekit.data import xor_table

w_nand, b_nand = neuron.nand_weights()
x, y_nand = nand_table()
print("w =", w_nand, " b =", b_nand)
print("z          :", x @ w_nand + b_nand)
print("perceptron :", neuron.perceptron_predict(x, w_nand, b_nand).astype(int))
print("NAND table :", y_nand.astype(int))
'''),
    md("""
## XOR: one perceptron cannot, two layers can

XOR is 1 on 01 and 10, 0 on 00 and 11. One perceptron would need
$b < 0$ (00 → 0), $w_2 + b \\ge 0$ (01 → 1), $w_1 + b \\ge 0$ (10 → 1) and $w_1 + w_2 + b < 0$ (11 → 0).
Adding the middle two: $w_1 + w_2 + 2b \\ge 0$, so $w_1 + w_2 + b \\ge -b > 0$ — a contradiction.
No straight line separates the two XOR classes. A brute-force search agrees:
""", "slide"),
    code('''
x, y_xor = xor_table()
grid = np.linspace(-3, 3, 61)
W1g, W2g, Bg = np.meshgrid(grid, grid, grid, indexing="ij")
cand = np.stack([W1g.ravel(), W2g.ravel()], axis=1)                      # 226,981 perceptrons
pred = neuron.step(x @ cand.T + Bg.ravel())                               # (4, candidates)
acc = (pred == y_xor[:, None]).mean(axis=0)
print(f"{len(cand):,} perceptrons tried; best accuracy on XOR: {acc.max():.0%} (3 of 4 at most)")

layers = neuron.xor_network()      # hidden layer: OR and NAND; output: AND of the two
print("two-layer network on 00, 01, 10, 11:", neuron.perceptron_network_predict(x, layers)[:, 0].astype(int),
      " XOR:", y_xor.astype(int))
'''),
    code('''
from coursekit.widgets.neuron import plot_logic_gates

plot_logic_gates()
plt.show()
''', "subslide"),
    notes("""The hidden layer maps the four points to a new space (OR, NAND) where XOR is linearly
separable: (0,1) for 00, (1,1) for 01 and 10, (1,0) for 11. The output AND unit separates (1,1)
from the rest. This is the whole idea of hidden layers: learn a representation in which the
problem becomes linear."""),
    md("""
## The multi-layer perceptron in matrix form

With a batch of $N$ inputs as the rows of $X$ ($N \\times D$), a layer with $H$ units is

$$Z = XW + \\mathbf{b}, \\quad A = f(Z), \\qquad W: D \\times H, \\; \\mathbf{b}: H$$

(Keras's layout; the slides write the same with the bias as the first row of $W$ and a
column of ones in $X$). A two-layer MLP: $\\hat Y = f_2(f_1(XW^1 + \\mathbf{b}^1)W^2 + \\mathbf{b}^2)$.
"""),
    code('''
rng = np.random.default_rng(1)
X = rng.normal(size=(4, 3))                                   # 4 samples, 3 features
W1, b1 = rng.normal(size=(3, 2)), rng.normal(size=2)          # hidden layer: 2 units
W2, b2 = rng.normal(size=(2, 1)), rng.normal(size=1)          # output: 1 unit
Hid = neuron.dense_forward(X, W1, b1, "sigmoid")
Y = neuron.dense_forward(Hid, W2, b2, "sigmoid")
print("X", X.shape, "@ W1", W1.shape, "->", Hid.shape, "@ W2", W2.shape, "->", Y.shape)

# the slides' form: bias as the first row of W, a column of ones in front of X
ones = np.ones((len(X), 1))
W1_aug = np.vstack([b1, W1])                                  # (1 + 3, 2)
print("bias-row form gives the same layer:", np.allclose(neuron.sigmoid(np.hstack([ones, X]) @ W1_aug), Hid))
'''),
    md("""
## Many classes: softmax

One output unit per class, then **softmax** turns the scores (logits) into a probability
distribution: $\\sigma(\\mathbf{z})_j = e^{z_j} / \\sum_k e^{z_k}$. The slides' example: three
images (cat, dog, horse) scored for three classes.
"""),
    code('''
classes = ["cat", "dog", "horse"]
scores = np.array([[5.0, 4.0, 2.0], [4.0, 2.0, 8.0], [4.0, 4.0, 1.0]])
seed_softmax = np.array([[0.71, 0.26, 0.04], [0.02, 0.00, 0.98], [0.49, 0.49, 0.02]])   # as on the slide
probs = neuron.softmax(scores)
for name, row in zip(classes, probs):
    print(f"image of a {name:<6}", "  ".join(f"{c}: {p:.4f}" for c, p in zip(classes, row)))
print("the slide's 2-decimal table agrees:", np.array_equal(np.round(probs, 2), seed_softmax))
print("softmax(z + 100) == softmax(z):", np.allclose(neuron.softmax(scores + 100), probs))
'''),
    code('''
from coursekit.widgets.neuron import plot_softmax_table

plot_softmax_table(scores, probs, classes, classes)
plt.show()
''', "subslide"),
    notes("""The dog image is misclassified as a horse with 98 % confidence: softmax is confident, not
necessarily right. Translation invariance (adding a constant to all logits changes nothing) is why
implementations subtract the max before exponentiating."""),
    md("""
## Cross-entropy: how wrong is a distribution?

$H(\\hat{\\mathbf{y}}, \\mathbf{y}) = -\\sum_k y_k \\log \\hat y_k$. With a one-hot label only the
true class's term survives: the loss is $-\\log$ (probability given to the truth).
The slides' salmon / sea-bass example: label $[0, 1]$, outputs $[0.83, 0.17]$ then $[0.21, 0.79]$.
"""),
    code('''
label = np.array([[0.0, 1.0]])
for out, seed_value in (([0.83, 0.17], 1.77), ([0.21, 0.79], 0.23)):
    ce = neuron.categorical_crossentropy(label, np.array([out]))
    print(f"output {out}: cross-entropy = -log({out[1]}) = {ce:.4f}   (slide: {seed_value})")
print(f"\\nThe slide's 0.23 is truncated: -log(0.79) = {-np.log(0.79):.4f} rounds to {-np.log(0.79):.2f}.")
print(f"for comparison, the squared error of [0.21, 0.79]: {neuron.mean_squared_error(label, np.array([[0.21, 0.79]])):.4f}")
'''),
    md("""
## Summary

* A neuron: weighted sum + bias, then an activation. The perceptron's step cannot be trained
  by gradients; smooth activations can.
* Recomputed: the lecture's H/AC neuron gives $\\sigma(1.128) \\approx 0.755$, not 0.7.
* One perceptron draws one straight line: NAND yes, XOR no. Two layers compute XOR.
* Layers are matrix products; without non-linear activations depth adds nothing.
* Softmax turns scores into probabilities; cross-entropy is $-\\log$ of the probability of the truth.

**Next lecture:** how to *find* the weights — gradient descent.
"""),
]

# =====================================================================================
# 02 gradient descent
# =====================================================================================

GD = [
    md("""
# Lecture 2 — Gradient descent

How a network finds its weights: follow the slope of the cost downhill. The learning rate,
a non-convex surface seen in an animation, SGD vs batch vs mini-batch, and the optimizers
(momentum, Nesterov, RMSProp, Adam) racing in a narrow valley.

*Every number is computed by the code next to it (module `coursekit.gradient_descent`).*
"""),
    code(SETUP, "skip"),
    md("""
## The cost as a function of the prediction

Lecture 1's neuron predicted $P$ for a man whose expected output is $E = 0$; the squared-error
cost is $C(P) = (P - E)^2$. Its **slope** (derivative) is $C'(P) = 2(P - E)$:

* slope **positive** → decrease $P$ by a fraction of the slope;
* slope **negative** → increase $P$;
* slope **zero** → we are at the minimum.

$$P_{\\text{next}} = P - \\text{LR} \\cdot C'(P) \\qquad \\text{(LR = learning rate)}$$
"""),
    code('''
from coursekit import neuron
from coursekit.gradient_descent import gradient_descent

E = 0.0
P0 = float(neuron.sigmoid(185 * 0.0006 + 85 * 0.0002 + 1))   # lecture 1's neuron, recomputed
slope = 2 * (P0 - E)
ps = np.linspace(-0.2, 1.0, 200)
fig, ax = plt.subplots()
ax.plot(ps, (ps - E) ** 2, label="cost $(P - E)^2$")
ax.plot(ps, (P0 - E) ** 2 + slope * (ps - P0), "--", label=f"tangent at P = {P0:.4f}: slope {slope:.4f}")
ax.plot(P0, (P0 - E) ** 2, "o", ms=10)
ax.set(xlabel="prediction P", ylabel="cost", ylim=(-0.1, 1.0))
ax.legend()
plt.show()
'''),
    md("""
## Learning rate: too low, too high

Each step multiplies the error $P - E$ by $(1 - 2\\,\\text{LR})$. A small LR creeps; LR = 0.5
lands in one step; between 0.5 and 1 the prediction jumps across and oscillates inward; above 1
it **diverges**. *"Too high → output wanders around the expected solution; too low → fails to
converge to an acceptable solution."*
"""),
    code('''
fig, axes = plt.subplots(1, 4, figsize=(12, 3.5), sharey=True, layout="constrained")
for ax, lr in zip(axes, (0.05, 0.3, 0.9, 1.05)):
    path = gradient_descent(lambda p: 2 * (p - E), np.array([P0]), lr, 12)[:, 0]
    ax.plot(ps, (ps - E) ** 2, color="gray", lw=1)
    ax.plot(np.clip(path, -1, 1), np.clip(path - E, -1, 1) ** 2, "-o", ms=4)
    ax.set(title=f"LR = {lr}: cost {(path[-1] - E) ** 2:.2g}", xlabel="P", xlim=(-1, 1), ylim=(-0.05, 1.05))
plt.show()
''', "subslide"),
    md("""
### Try it: learning rate and start

The widget runs `gradient_descent` on $C(P) = (P - E)^2$: left the steps on the parabola, right
the cost per step on a log scale.
""", "subslide"),
    code('''
from coursekit.widgets.gradient_descent import LearningRateWidget

lr_widget = LearningRateWidget(start=round(P0, 2))
lr_widget
'''),
    notes("""Drag the learning rate slowly from 0.01 to 1.5 and name the regimes as the title changes:
too low, good, oscillates, diverges. The boundary values 0.5 and 1 come from the factor
(1 - 2 LR); for a cost with curvature c they are 1/c and 2/c."""),
    md("""
## A harder surface: the difference of two Gaussians

Real costs are not parabolas. The course notes' animation uses
$f(\\mathbf{x}) = 10\\,(\\mathcal{N}(\\mathbf{x}; \\mu_2, \\Sigma_2) - \\mathcal{N}(\\mathbf{x}; \\mu_1, \\Sigma_1))$: a **well**
around $\\mu_1 = (0, 0)$, a **hill** around $\\mu_2 = (1, 1)$ and an almost flat **plateau** far away.
Gradient descent is *local*: where it ends depends on where it starts.

We descend from every point of a 25 × 25 grid at once and sort the paths by what they do:
""", "slide"),
    code('''
from coursekit.widgets.gradient_descent import find_demo_starts, gaussians_f

demo = find_demo_starts(learning_rate=0.1, num_steps=200)
print(f"bottom of the well: ({demo.minimum[0]:.3f}, {demo.minimum[1]:.3f}), f = {gaussians_f(demo.minimum):.4f}")
print("behaviour of the 625 grid starts:", demo.counts)
for label, start in demo.starts.items():
    print(f"  chosen to show '{label}': start ({start[0]:.2f}, {start[1]:.2f}), f = {gaussians_f(start):.4f}")
'''),
    md("""
### The animation

Same learning rate (0.1) for the three chosen starts: one **converges** into the well, one starts
high on the hill and **crosses** it down into the well, one sits on the **plateau** where the
gradient is nearly zero and barely moves.
""", "subslide"),
    code('''
from coursekit.animation import animation_html
from coursekit.widgets.gradient_descent import gaussians_animation

anim = gaussians_animation(list(demo.starts.values()), list(demo.starts), demo.learning_rate, demo.num_steps,
                           max_frames=24)
animation_html(anim)
'''),
    notes("""The plateau start is the important one: the gradient there is ~1e-3 and the step is
lr times that. A loss curve that is flat does not mean "converged"; it may mean "stuck on a
plateau". Momentum (later in this lecture) helps to roll across flat regions."""),
    md("""
### Try it: start point and learning rate

The course notes tried the starts (0.8, 1.31) and (0.8, 1.41): 0.1 apart, on either side of the
ridge of the hill. Set them and compare; then raise the learning rate.
""", "subslide"),
    code('''
from coursekit.data import TWO_GAUSSIANS_STARTS
from coursekit.widgets.gradient_descent import StartPointWidget, classify_paths, gaussians_grad

paths = gradient_descent(gaussians_grad, TWO_GAUSSIANS_STARTS, 0.1, 200)     # all four starts at once
for s, label in zip(TWO_GAUSSIANS_STARTS, classify_paths(paths, demo.minimum)):
    print(f"start ({s[0]:.2f}, {s[1]:.2f}): {label}")
start_widget = StartPointWidget(*TWO_GAUSSIANS_STARTS[0])
start_widget
'''),
    md("""
## SGD, batch and mini-batch

The cost of a data set is the *mean* over its samples, so is its gradient. How many samples do we
use per weight update?

* **SGD** (stochastic): one sample, update immediately — cheap, noisy (the MATLAB `SGD_method`).
* **Batch**: all samples, average the gradients, one update per epoch — accurate, expensive.
* **Mini-batch**: a slice (e.g. 10 samples), several updates per epoch — the robustness of SGD
  with the efficiency of batch; the standard choice.

Below: lecture 1's neuron trained on the 108 men (features standardized, squared-error cost).
""", "slide"),
    code('''
from coursekit.data import height_abdomen, standardize
from coursekit.widgets.gradient_descent import plot_batch_comparison

train = height_abdomen("training")
xs, mean, std = standardize(train.x)
fig, histories = plot_batch_comparison(xs, train.y, batch_sizes=(1, 10, None), learning_rate=0.5, epochs=30)
plt.show()
for label, h in histories.items():
    print(f"{label:<22} {h.updates_per_epoch:>3} updates/epoch, loss after 30 epochs {h.loss[-1]:.4f}")
'''),
    notes("""Same number of epochs (passes over the data), very different numbers of updates: SGD
makes 108 per epoch and gets furthest, batch makes one. Per update, batch is the most accurate.
On a GPU a mini-batch costs about as much as one sample, which is why mini-batches win in practice.
The right panel shows SGD's zig-zag in weight space."""),
    md("""
## Beyond plain gradient descent

Keras's update rules (the ones `coursekit` reproduces exactly):

* **Momentum**: $v \\leftarrow \\mu v - \\eta \\nabla L$, $\\;w \\leftarrow w + v$ — a ball rolling downhill keeps its speed across flat parts and damps zig-zags.
* **Nesterov**: the same, but the gradient is taken after the momentum step ("look ahead").
* **RMSProp**: $s \\leftarrow \\rho s + (1 - \\rho) g^2$, $\\;w \\leftarrow w - \\eta\\, g / \\sqrt{s + \\epsilon}$ — one step size per weight, large where gradients are small.
* **Adam**: momentum on $g$ and RMSProp on $g^2$, with bias correction.

The test track: an **elongated valley** $f = \\tfrac12(0.1u^2 + 4v^2)$, 40 times steeper across than along.
Plain gradient descent must keep $\\eta < 2/4$ to stay stable across, and then crawls along.
"""),
    code('''
from coursekit.widgets.gradient_descent import OptimizerRaceWidget

race = OptimizerRaceWidget()
race
''', "subslide"),
    code('''
for name, loss in race.state["final_loss"].items():
    print(f"{name:<9} f after {race.num_steps.value} steps: {loss:.3g}")
'''),
    notes("""Things to try live: momentum 0 makes momentum/nesterov identical to SGD; momentum 0.99
overshoots and spirals; a large SGD learning rate (> 0.5) diverges across the valley; RMSProp and
Adam normalise each coordinate, so they move along the flat direction as fast as across."""),
    md("""
## Summary

* Gradient descent: $w \\leftarrow w - \\eta \\nabla L(w)$. The learning rate decides creep, convergence, oscillation or divergence.
* On a non-convex surface the result depends on the start: well, other side of a hill, or stuck on a plateau.
* SGD / mini-batch / batch trade noise for cost per update.
* Momentum, Nesterov, RMSProp, Adam fix plain descent's weaknesses in narrow valleys and flat regions.

**Next lecture:** computing $\\nabla L$ for every weight of a deep network — backpropagation.
"""),
]

# =====================================================================================
# 03 backprop
# =====================================================================================

BP = [
    md("""
# Lecture 3 — Backpropagation

The chain rule, by hand and as a computational graph; the four backpropagation equations;
the lecture's MATLAB programs in NumPy; vanishing gradients; over-fitting and regularisation.

*Every number is computed by the code next to it (module `coursekit.backprop`).*
"""),
    code(SETUP, "skip"),
    md("""
## The lecture's hand derivatives

One sigmoid neuron with inputs $a_1 = 2$, $a_2 = 5$ and expected output $E = 1$:

$$t = 2w_1 + 5w_2 + b, \\quad p = \\sigma(t), \\quad C = (p - E)^2$$

The chain rule, one factor per step of the computation:

$$\\frac{\\partial C}{\\partial w_1} = \\underbrace{2(p - 1)}_{\\partial C/\\partial p}\\;
\\underbrace{\\sigma(t)(1 - \\sigma(t))}_{\\partial p/\\partial t}\\; \\underbrace{2}_{\\partial t/\\partial w_1},
\\qquad \\frac{\\partial C}{\\partial w_2} = \\ldots \\times 5, \\qquad \\frac{\\partial C}{\\partial b} = \\ldots \\times 1$$
"""),
    code('''
from coursekit import backprop
from coursekit.gradient_descent import numerical_gradient

a1, a2, E = 2.0, 5.0, 1.0
theta = np.array([0.0006, 0.0002, 1.0])          # w1, w2, b: the lecture's weights
cost = lambda th: backprop.sigmoid_neuron_cost(th[0], th[1], th[2], a1, a2, E)
by_hand = np.array(backprop.sigmoid_neuron_gradients(*theta, a1, a2, E))
numeric = numerical_gradient(cost, theta)
print(f"cost C = {cost(theta):.6f}")
print("by hand (chain rule):", np.array2string(by_hand, precision=8))
print("central differences :", np.array2string(numeric, precision=8))
print(f"relative error {backprop.gradient_check(cost, theta, by_hand):.2e}")
'''),
    md("""
### The same for lecture 1's man (H = 185, AC = 85, E = 0)

The slides subtracted 0.0001 from $w_1$ and $w_2$. The real gradient is far from equal for the
two weights: $\\partial C/\\partial w_i$ carries the input $a_i$, and 185 ≠ 85.
""", "subslide"),
    code('''
theta_h = np.array([0.0006, 0.0002, 1.0])
cost_h = lambda th: backprop.sigmoid_neuron_cost(th[0], th[1], th[2], 185.0, 85.0, 0.0)
grad_h = np.array(backprop.sigmoid_neuron_gradients(*theta_h, 185.0, 85.0, 0.0))
print("dC/dw1, dC/dw2, dC/db =", np.array2string(grad_h, precision=4))
print(f"ratio dC/dw1 / dC/dw2 = {grad_h[0] / grad_h[1]:.4f} = 185 / 85 = {185 / 85:.4f}")
print(f"relative error vs central differences {backprop.gradient_check(cost_h, theta_h, grad_h):.2e}")
'''),
    md("""
## The chain rule as a computational graph

Break the computation into nodes. **Forward**: each node computes its value from its inputs.
**Backward**: starting from $\\partial C/\\partial C = 1$, each node multiplies the gradient it
receives by its *local* derivative and passes it on:

* $(p - E)^2$: local derivative $2(p - E)$;
* sigmoid: $p(1 - p)$;
* $+$: passes the gradient unchanged to every input;
* $\\times$: sends to each factor the gradient times *the other* factor.
"""),
    code('''
from coursekit.widgets.backprop import plot_computational_graph

fig, graph = plot_computational_graph(a1, a2, *theta, E)
plt.show()
graph_grads = np.array([graph["w1"][1], graph["w2"][1], graph["b"][1]])
print("graph gradients equal the hand derivatives:", np.allclose(graph_grads, by_hand))
''', "subslide"),
    notes("""Walk the graph right to left: 1 at C, times 2(p - E) gives dC/dp, times p(1 - p) gives
dC/dt, the + node copies it to b and both products, each product multiplies by the other factor.
Every node needs only its own forward values: this is why the forward pass stores them."""),
    md("""
## Backpropagation in vector form: BP1–BP4

For layer $l$: $\\mathbf{z}^l = W^l \\mathbf{a}^{l-1} + \\mathbf{b}^l$, $\\mathbf{a}^l = \\sigma(\\mathbf{z}^l)$;
define the error $\\boldsymbol\\delta^l = \\partial E / \\partial \\mathbf{z}^l$. Then

$$\\text{(BP1)}\\;\\; \\boldsymbol\\delta^L = \\nabla_a E \\odot \\sigma'(\\mathbf{z}^L) \\qquad
\\text{(BP2)}\\;\\; \\boldsymbol\\delta^l = ((W^{l+1})^T \\boldsymbol\\delta^{l+1}) \\odot \\sigma'(\\mathbf{z}^l)$$
$$\\text{(BP3)}\\;\\; \\frac{\\partial E}{\\partial b^l_j} = \\delta^l_j \\qquad
\\text{(BP4)}\\;\\; \\frac{\\partial E}{\\partial w^l_{jk}} = a^{l-1}_k \\delta^l_j$$

With softmax + cross-entropy at the output, BP1 simplifies to $\\boldsymbol\\delta^L = \\mathbf{p} - \\mathbf{y}$.
One forward pass (store every $\\mathbf{z}^l$, $\\mathbf{a}^l$), one backward pass: all gradients
for the price of about two forward passes.
"""),
    code('''
rng = np.random.default_rng(0)
x = rng.normal(size=(8, 4))
y = np.eye(3)[rng.integers(0, 3, size=8)]
params = backprop.init_mlp([4, 6, 5, 3], seed=0)
loss, grads = backprop.mlp_backward(x, y, params, hidden_activation="sigmoid")
print(f"loss {loss:.6f}")
for l, ((W, b), (dW, db)) in enumerate(zip(params, grads), start=1):
    def f(Wl, l=l):
        p = [(Wl if i == l else Wi, bi) for i, (Wi, bi) in enumerate(params, start=1)]
        return backprop.mlp_backward(x, y, p, hidden_activation="sigmoid")[0]
    print(f"layer {l}: dE/dW {dW.shape}, relative error vs central differences {backprop.gradient_check(f, W, dW):.2e}")
''', "subslide"),
    md("""
## The lecture's MATLAB programs, in NumPy

`SGD_method.m` trains one sigmoid neuron with the delta rule on four inputs (the third input is a
constant 1, i.e. the bias); the correct output is the first input. `coursekit.backprop.sgd_method`
is a line-by-line port (MATLAB line in the comment of each Python line).
"""),
    code('''
import inspect

weight, outputs = backprop.training_sgd_method(epochs=10000, seed=0)
print("trained weight:", np.array2string(weight, precision=3))
for row, out, d in zip(backprop.SGD_INPUT, outputs, backprop.SGD_CORRECT_OUTPUT):
    print(f"input {row.astype(int)}  output {out:.4f}  correct {d:.0f}")
print()
source = inspect.getsource(backprop.sgd_method)
print(source[source.index("    # alpha"):])     # the loop, MATLAB beside each line
'''),
    notes("""Show the side-by-side comments: a MATLAB reader can check the port line by line.
delta = y (1 - y) (d - y) is exactly BP1 for the squared error with a sigmoid output."""),
    md("""
### `DeepLearning.m`: three ReLU layers and a softmax on 5 × 5 digits

Five 5 × 5 images of the digits 1–5 (0 = ink, as in the slides), three hidden ReLU layers of 20
units, a softmax output of 5. Trained with per-sample backpropagation (BP1 = $\\mathbf{d} - \\mathbf{y}$,
BP2 with the ReLU derivative $z > 0$, BP4 outer products).
""", "subslide"),
    code('''
from coursekit.data import digits_5x5

images, onehot, digit_labels = digits_5x5()
w = backprop.training_network(images, onehot, epochs=3000, seed=0)   # the MATLAB script runs 10,000
probs = backprop.deep_learning_predict(*w, images)
fig, axes = plt.subplots(1, 5, figsize=(10, 2.6), layout="constrained")
for ax, img, p, lab in zip(axes, images, probs, digit_labels):
    ax.imshow(img, cmap="gray", vmin=0, vmax=1)
    ax.set(xticks=[], yticks=[], title=f"{lab}: predicted {digit_labels[p.argmax()]}\\n(p = {p.max():.3f})")
plt.show()
print("softmax outputs (rows: images of 1..5):")
print(np.array2string(probs, precision=3, suppress_small=True))
'''),
    md("""
## Vanishing gradients

BP2 multiplies by $\\sigma'(\\mathbf{z}^l)$ once per layer. The sigmoid's derivative is at most
0.25, so in a deep sigmoid network the first layers receive gradients many orders of magnitude
smaller than the last — they barely learn. ReLU's derivative is exactly 1 on active units.
Measured layer by layer on fresh networks with 8 hidden layers (8 × 8 digits):
"""),
    code('''
from coursekit.widgets.backprop import vanishing_data

xv, yv = vanishing_data()
fig, ax = plt.subplots()
for act, init, marker in (("sigmoid", "glorot", "o"), ("relu", "he", "s")):
    p = backprop.init_mlp([64] + [32] * 8 + [10], seed=0, init=init)
    norms = backprop.layer_gradient_norms(xv, yv, p, act)
    ax.semilogy(range(1, len(norms) + 1), norms, marker=marker, label=f"{act}: first/last = {norms[0] / norms[-1]:.2g}")
    print(f"{act:<8}", np.array2string(norms, precision=2))
ax.set(xlabel="layer (1 = next to the input)", ylabel="||dE/dW|| (log scale)")
ax.legend()
plt.show()
'''),
    md("""
### Try it: depth and activation
""", "subslide"),
    code('''
from coursekit.widgets.backprop import VanishingGradientWidget

vanishing = VanishingGradientWidget()
vanishing
'''),
    notes("""Increase the depth with sigmoid: each extra layer divides the first layer's gradient by
roughly 4 (the 0.25 bound). Switch to ReLU: the bars stay level. tanh sits in between."""),
    md("""
## Over-fitting and regularisation

A network with 2 × 64 hidden units has thousands of weights; given only 30 noisy points it can
memorise them. The training loss keeps falling while the **validation** loss (500 unseen points)
turns up: over-fitting. Remedies from the lecture:

* **L1** ($\\lambda\\sum|w|$, pushes weights to exactly 0) and **L2** ($\\lambda\\sum w^2$, keeps them small) penalties;
* **dropout**: switch off each hidden unit with probability $p$ at every training step;
* **early stopping**: keep the weights of the epoch with the best validation loss.
"""),
    code('''
from coursekit.widgets.backprop import moons, plot_regularization, regularization_runs

data = moons()
runs = regularization_runs(data)
plot_regularization(runs, data)
plt.show()
for name, (_, h) in runs.items():
    end = h["best_epoch"] if h["stopped_early"] else -1
    print(f"{name:<30} train loss {h['loss'][end]:.3f}   validation loss {h['val_loss'][end]:.3f}"
          + (f"   (stopped, best epoch {h['best_epoch']})" if h["stopped_early"] else ""))
''', "subslide"),
    notes("""Read the top panel: every dashed (training) curve goes down; the solid blue (no
regularisation) validation curve climbs after the first epochs: the network becomes confidently
wrong on unseen points. L2 keeps the validation loss lowest here. The bottom row shows the
unregularised boundary bending around individual training points."""),
    md("""
## Summary

* Backprop = the chain rule applied node by node, right to left, reusing the forward values.
* Checked: the lecture's hand derivatives equal central differences (relative error ~1e-10).
* BP1–BP4 give every layer's gradients from one forward and one backward pass.
* The MATLAB `SGD_method` and `DeepLearning` run in NumPy and learn their tasks.
* Sigmoid gradients vanish with depth; ReLU's do not.
* Small data + big network over-fits; L1/L2, dropout and early stopping fight it.
"""),
]


def main() -> None:
    out = REPO / "notebooks"
    out.mkdir(exist_ok=True)
    for name, cells in (("01_neuron", NEURON), ("02_gradient_descent", GD), ("03_backprop", BP)):
        nb = notebook(cells)
        nbformat.validate(nb)
        nbformat.write(nb, out / f"{name}.ipynb")
        print("wrote", out / f"{name}.ipynb", len(cells), "cells")


if __name__ == "__main__":
    main()
