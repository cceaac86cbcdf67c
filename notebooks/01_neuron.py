# %% [markdown] slideshow={"slide_type": "slide"}
# # Lecture 1 — The artificial neuron
#
# Why deep learning now, and where it fails; from the biological neuron to the perceptron and its
# learning rule; one neuron worked by hand on real numbers; activations and their derivatives;
# logic gates (NAND, XOR); the multi-layer perceptron; losses: MSE, MAE, cross-entropy, KL divergence.
#
# *Every number on these slides is computed by the code cell next to it (modules `coursekit.neuron`,
# `coursekit.adversarial`).*

# %% slideshow={"slide_type": "skip"}
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

from coursekit import neuron
from coursekit.display import say, table
from coursekit.style import setup_lecture

setup_lecture()   # course style (colour-blind-safe, projector-sized), one BLAS thread

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Why deep learning, and why now?
#
# The idea is old: Rosenblatt's perceptron is from 1958; backpropagation was in Werbos's 1974 thesis
# and became known with Rumelhart, Hinton & Williams in 1986. It took over in 2012, when AlexNet won
# the ImageNet challenge. Three things had changed (Susto's Padova notes, "Why now?"):
#
# * **Data**: millions of labelled images (ImageNet), the text of the web.
# * **Software**: TensorFlow and Keras (2015), PyTorch (2017) compute the gradients for you.
# * **Hardware**: GPUs multiply large matrices fast.
#
# Susto's reasons to choose deep learning: *performance*, *procedure* (features are learned, not
# designed), *uniqueness* (it generates images and text). Reasons not to: *complexity* (trust,
# robustness, interpretability) and the *need for huge data sets* (transfer learning helps, lecture 6).

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** The Bologna lesson notes (after Andrea Asperti's slides) date backpropagation to 1975:
# Werbos's thesis is from 1974, the paper that made it known (Rumelhart, Hinton & Williams) from 1986.
# Their timeline also puts MXNet's release in 2021 (it was first released in 2015), TensorFlow
# Probability's in 2021 (2018), the Transformer in 2018 (Vaswani et al., "Attention Is All You Need",
# NeurIPS 2017) and residual connections in 2016 (He et al., arXiv December 2015; CVPR 2016).
# Keep the opening short: the point is the next slide, where a trained
# model fails in a way no person would.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Where it fails: an adversarial example
#
# Softmax regression (one dense layer: this lecture's neuron, once per class) trained on the 8x8 digits.
# The **fast gradient sign method** (Goodfellow et al., 2015; in Susto's Padova notes) moves every pixel
# by $\varepsilon$ in the direction that raises the loss $J$:
# $\;x_{\text{adv}} = \text{clip}_{[0,1]}\big(x + \varepsilon\,\text{sign}(\nabla_x J(\theta, x, y))\big)$.

# %% tags=["remove-input"]
from coursekit import adversarial
from coursekit.widgets.neuron import plot_adversarial

clf = adversarial.digits_classifier()          # NumPy, full-batch gradient descent
eps_grid = np.round(np.arange(0.01, 0.51, 0.01), 2)
p_test = adversarial.predict_proba(clf.x_test, clf.W, clf.b)
right = p_test.argmax(axis=1) == clf.y_test
k = int(np.flatnonzero(right & (p_test.max(axis=1) >= 0.9))[0])   # first confident, right digit
x0, y0 = clf.x_test[k], int(clf.y_test[k])
eps = adversarial.smallest_flipping_epsilon(x0, y0, clf.W, clf.b, eps_grid)
x_adv = adversarial.fgsm(x0, y0, clf.W, clf.b, eps)
p0 = adversarial.predict_proba(x0, clf.W, clf.b)
p1 = adversarial.predict_proba(x_adv, clf.W, clf.b)
before, after = (int(p0.argmax()), p0.max()), (int(p1.argmax()), p1.max())
plot_adversarial(x0.reshape(8, 8), x_adv.reshape(8, 8), before, after, eps, figsize=(9, 2.8))
plt.show()
eps_all = adversarial.smallest_flipping_epsilon(clf.x_test[right], clf.y_test[right],
                                                clf.W, clf.b, eps_grid)
say(f"Test accuracy **{clf.accuracy(clf.x_test, clf.y_test):.1%}**. A test '{y0}' read as "
    f"'{before[0]}' ({before[1]:.1%}) becomes '{after[0]}' ({after[1]:.1%}) with **ε = {eps:.2f}** "
    f"(no pixel moves more than {eps:.2f} on the 0–1 scale). Over the {right.sum()} test digits "
    f"classified right, the median flipping ε is {np.median(eps_all):.2f}; "
    f"ε = {eps:.2f} flips {np.mean(eps_all <= eps):.0%} of them.")

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Susto's slide is Goodfellow et al.'s panda: "panda" at 57.7 % confidence plus
# 0.007 × sign(gradient) is a "gibbon" at 99.3 %. Here the model is linear, which is Goodfellow's
# explanation: moving every input by ε along the sign of the weights changes a logit by ε times the
# sum of the absolute weights, which grows with the number of pixels. On 224×224 colour images a
# change invisible to us is enough; on 8x8 images it takes a visible ε. Ask: would a person read the
# right-hand image differently? (No.)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A biological neuron
#
# * **Dendrites** collect signals from other neurons through **synapses**; a synapse can
#   strengthen (excite) or weaken (inhibit) what passes through it.
# * The **soma** (cell body) adds up the incoming signals.
# * If the sum exceeds a threshold, the neuron **fires**: an electrical spike travels along the
#   **axon** to the next neurons. The spike is *all-or-none*: it has the same size however much
#   the threshold was exceeded.
#
# The human brain has about 86 billion neurons (Azevedo et al., 2009), each connected to thousands of others.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## McCulloch & Pitts (1943): a neuron as logic
#
# *"Because of the all-or-none character of nervous activity, neural events and the relations
# among them can be treated by means of propositional logic."*
#
# A McCulloch–Pitts unit has binary inputs $x_i \in \{0, 1\}$, and fires ($y = 1$) when
# $\sum_i x_i \geq \theta$. With $\theta = 2$ on two inputs it is **AND**, with $\theta = 1$
# it is **OR**. There is nothing to learn: the threshold is fixed by hand.

# %%
from coursekit.data import nand_table, xor_table

x, _ = nand_table()                      # the four inputs 00, 01, 10, 11
for theta, name in ((2, "AND"), (1, "OR")):
    fires = neuron.step(x.sum(axis=1) - theta)          # 1 where sum >= theta
    print(f"theta = {theta} ({name}): 00 01 10 11 ->", fires.astype(int))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The perceptron (Rosenblatt, 1958)
#
# Give every input a **weight** $w_i$ (a synapse's strength) and move the threshold into a
# **bias** $b = -\theta$:
#
# $$\hat y = \text{step}\Big(\sum_i w_i x_i + b\Big) = \text{step}(\mathbf{w}\cdot\mathbf{x} + b),
# \qquad \text{step}(z) = \begin{cases}1 & z \geq 0\\ 0 & z < 0\end{cases}$$
#
# The weights and the bias are now **parameters that can be learned** from examples.
# Replace the step by a smooth function and we get the **sigmoid unit**,
# $\hat y = \sigma(\mathbf{w}\cdot\mathbf{x} + b)$ with $\sigma(z) = 1/(1 + e^{-z})$:
# its output moves gradually from 0 to 1, so small changes of the weights give small changes
# of the output — which is what learning by gradient descent needs (lecture 2).

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** The step's derivative is zero everywhere (and undefined at 0): a perceptron with a
# step cannot be trained by gradient descent. Rosenblatt's rule (two slides on) needs no gradient.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A task: healthy or overweight?
#
# The lecture's data: the **height H** and the **abdominal circumference AC** of men (cm).
# The neuron receives $a_1 = H$, $a_2 = AC$ and should output 1 for "overweight", 0 for "healthy".
# The lecture notes (Salvatore, IUSS Pavia) give no labels, so we label with a published rule of thumb:

# %% tags=["remove-input"]
from coursekit.data import height_abdomen

intro = height_abdomen("intro")          # the nine men of the opening slide
train = height_abdomen("training")       # the men of the training table
say(train.rule)
table([["H (cm)", *intro.x[:, 0].astype(int)], ["AC (cm)", *intro.x[:, 1].astype(int)],
       ["label", *intro.y.astype(int)]], ["man", *map(str, range(1, len(intro.y) + 1))])

# %% tags=["remove-input"]
say(f"Training set: **{len(train.y)} men**, {int(train.y.sum())} overweight, "
    f"{int((1 - train.y).sum())} healthy.")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Rosenblatt's learning rule
#
# For each example in turn, predict $\hat y = \text{step}(\mathbf w\cdot\mathbf x + b)$, then
# $$\mathbf w \leftarrow \mathbf w + \eta\,(y - \hat y)\,\mathbf x, \qquad b \leftarrow b + \eta\,(y - \hat y).$$
# A right answer changes nothing, a wrong one tilts the line toward the missed point. On separable
# data it stops after finitely many mistakes (Novikoff, 1962); on XOR it never stops.

# %% tags=["remove-input"]
from coursekit.widgets.neuron import plot_perceptron_training

w_pr, b_pr, mistakes = neuron.perceptron_train(train.x, train.y, lr=1.0)
x_xor, y_xor = xor_table()
_, _, mistakes_xor = neuron.perceptron_train(x_xor, y_xor, lr=1.0, epochs=8)
plot_perceptron_training(train.x, train.y, w_pr, b_pr, mistakes, mistakes_xor, figsize=(10, 2.5))
plt.show()
acc_pr = np.mean(neuron.perceptron_predict(train.x, w_pr, b_pr) == train.y)
say(f"From w = 0, b = 0, η = 1: {' → '.join(map(str, mistakes))} mistakes per epoch, then "
    f"accuracy {acc_pr:.0%} with w = ({w_pr[0]:g}, {w_pr[1]:g}), b = {b_pr:g}: the line "
    f"AC = {-w_pr[0] / w_pr[1]:.3f} H + {-b_pr / w_pr[1]:.4f} (the rule: AC = 0.5 H). "
    f"XOR: {', '.join(map(str, mistakes_xor))}, …")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Forward propagation with the lecture's numbers
#
# Salvatore's sigmoid neuron has $w_1 = 0.0006$, $w_2 = 0.0002$, $b = 1$ and meets a man with
# $H = 185$, $AC = 85$ whose expected output is $E = 0$ (healthy):
#
# $$z = 185 \cdot 0.0006 + 85 \cdot 0.0002 + 1, \qquad P = \sigma(z), \qquad \text{cost} = (P - E)^2$$

# %%
w1, w2, b = 0.0006, 0.0002, 1.0
H, AC, E = 185, 85, 0.0
z = H * w1 + AC * w2 + b
P = float(neuron.sigmoid(z))
print(f"185 x 0.0006 = {H * w1:.4f},   85 x 0.0002 = {AC * w2:.4f}")
print(f"z = {z:.4f}")
print(f"P = sigmoid(z) = {P:.4f}")
print(f"cost = (P - E)^2 = {(P - E) ** 2:.4f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The notes' numbers, recomputed
#
# The Pavia notes print *"0.7 = Sigmoid(185 × 0.0006 + 85 × 0.0002 + 1) = Sigmoid(0.111 + 0.281 + 1)
# = Sigmoid(1.281)"*, then *"Sigmoid(0.0925 + 0.085 + 0.008) = Sigmoid(1.178) = 0.65"* after one update,
# and an "epoch" of four lines. Each line recomputed, the notes' value beside it:

# %% tags=["remove-input"]
# (H, AC, w1, w2, b, the notes' z, the notes' sigmoid, the notes' cost) as printed
notes_lines = [
    (185, 85, 0.0006, 0.0002, 1.0, "1.281", "0.7", "0.49"),
    (185, 85, 0.0005, 0.0001, 1.0, "1.178", "0.65", "0.43"),
    (178, 94, 0.0004, 0.0003, 0.008, "", "0.65", "0.43"),
    (184, 102, 0.0003, 0.0001, 0.007, "", "0.64", "0.41"),
    (100, 80, 0.0005, 0.0002, 0.008, "", "0.55", "0.30"),
]
rows = []
for H_, AC_, w1_, w2_, b_, notes_z, notes_p, notes_c in notes_lines:
    z_ = H_ * w1_ + AC_ * w2_ + b_
    p_ = float(neuron.sigmoid(z_))
    rows.append([f"σ({H_}·{w1_} + {AC_}·{w2_} + {b_:g})", notes_z, z_, notes_p, p_, notes_c, p_ ** 2])
table(rows, ["the notes' line", "notes' z", "z", "notes' σ", "σ(z)", "notes' cost", "cost"],
      formats={"z": "{:.4f}", "σ(z)": "{:.4f}", "cost": "{:.4f}"})

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Where the notes' numbers come from

# %% tags=["remove-input"]
z_w2 = 185 * 0.0006 + 85 * 0.002 + 1              # w2 read as 0.002
z_2 = 185 * 0.0005 + 85 * 0.0001 + 1
z_178 = 185 * 0.0005 + 0.085 + 1                  # 85 x 0.0001 written 0.085, bias 1


def sig(v):
    return float(neuron.sigmoid(v))


H4, AC4 = train.x[3].astype(int)                  # the epoch's lines are the table's first men
say(f"* **1.281** is 185 × 0.0006 + 85 × **0.002** + 1 = {z_w2:.3f}: the notes read $w_2$ as 0.002 "
    f"(85 × 0.002 = {85 * 0.002:.2f}); their 0.281 is {185 * 0.0006:.3f} + {85 * 0.002:.2f}, the "
    f"sum before the bias. With $w_2$ = 0.0002, z = {z:.3f} and σ = **{P:.4f}**; even σ(1.281) = "
    f"{sig(z_w2):.4f}. Neither is 0.7.\n"
    f"* **1.178** = {185 * 0.0005:.4f} + 0.085 + 1 = {z_178:.4f}: 85 × 0.0001 is {85 * 0.0001:.4f}, "
    f"and the bias is 1, not 0.008. σ(1.178) = **{sig(1.178):.3f}**, not 0.65; the line's own "
    f"value is σ({z_2:.4f}) = {sig(z_2):.4f}.\n"
    f"* **H = 100** in the epoch's last line is the training table's fourth man, H = {H4}, "
    f"AC = {AC4}: σ({H4}·0.0005 + {AC4}·0.0002 + 0.008) = "
    f"**{sig(H4 * 0.0005 + AC4 * 0.0002 + 0.008):.4f}**.\n"
    f"* The update *0.0008 = 1 − 0.0002* is {1 - 0.0002:.4f}.")

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Say it plainly: the shape of the story is right (the cost goes down as the weights
# are adjusted), the numbers are not. A good exercise: give students the line "Sigmoid(0.111 + 0.281 + 1)"
# and ask them to find the slip (w2 read as 0.002; 0.281 is the weighted sum without the bias).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## One neuron on the training men
#
# Move $w_1$, $w_2$, $b$, pick an activation $f$. Left: the men, the **decision boundary**
# $w_1 H + w_2 AC + b = 0$ and $f(z)$ as background colour. Right: $f$ with every man at his $z$.
# The lecture's weights call *everybody* overweight. Changing $f$ moves neither the boundary nor
# the accuracy: the activation changes how *sure* the neuron is, not *where* it decides.

# %% slideshow={"slide_type": "subslide"} tags=["remove-input"]
from coursekit.widgets.neuron import NeuronWidget

neuron_widget = NeuronWidget(train)
neuron_widget

# %% tags=["remove-input"]
say(f"Lecture weights: accuracy {neuron_widget.state['accuracy']:.1%} (the share of overweight "
    f"men is {train.y.mean():.1%}), squared-error cost {neuron_widget.state['cost']:.4f}.")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Try it.** Find weights that classify every man right (hint: the labelling rule is
# $AC - 0.5\,H \geq 0$). Then double $w_1$, $w_2$ and $b$: what changes, what does not?

# %% [markdown] slideshow={"slide_type": "fragment"}
# <details><summary>Answer</summary>
#
# The rule scaled by a tenth, $w_1 = -0.05$, $w_2 = 0.1$, $b = 0$, gets 100% right. Doubled, the line
# and the accuracy stay; $z$ doubles, so the sigmoid's outputs move toward 0 and 1 and the
# squared-error cost drops (the computed values are below).
# </details>

# %% tags=["remove-input"]
answer = []
for s in (1, 2):
    z_s = train.x @ np.array([-0.05 * s, 0.1 * s])           # b = 0
    acc_s = np.mean((z_s >= 0) == train.y)
    cost_s = neuron.mean_squared_error(train.y, neuron.sigmoid(z_s))
    answer.append(f"w1 = {-0.05 * s:g}, w2 = {0.1 * s:g}: accuracy {acc_s:.0%}, cost {cost_s:.4f}")
say("<details><summary>Computed</summary>\n\n" + "; ".join(answer) + "\n</details>")

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Live demo: switch the activation to ReLU with the perfect weights: same boundary, same
# accuracy, but the outputs on the healthy side are all exactly 0 (and so is the gradient there).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Why a non-linear activation?
#
# Without one, every layer computes $\mathbf{x}W + \mathbf{b}$, and a stack of linear layers is
# *one* linear layer:
# $(\mathbf{x}W_1 + \mathbf{b}_1)W_2 + \mathbf{b}_2 = \mathbf{x}(W_1W_2) + (\mathbf{b}_1W_2 + \mathbf{b}_2)$.
# Ledda's seminar draws its MLP as $z = x\cdot W^1$, $\hat y = z\cdot W^2$, with no activation
# between: however many hidden units, that is one linear map, and it cannot learn XOR.

# %%
rng = np.random.default_rng(0)
x4 = rng.normal(size=(4, 3))
W1, b1 = rng.normal(size=(3, 5)), rng.normal(size=5)
W2, b2 = rng.normal(size=(5, 2)), rng.normal(size=2)
two = neuron.dense_forward(neuron.dense_forward(x4, W1, b1), W2, b2)
one = neuron.dense_forward(x4, W1 @ W2, b1 @ W2 + b2)
print("two linear layers == one linear layer:", np.allclose(two, one))
# the best any linear network can do on XOR: least squares on [1, x1, x2]
A = np.hstack([np.ones((4, 1)), x_xor])
best = A @ np.linalg.lstsq(A, y_xor, rcond=None)[0]
print("best linear fit to XOR on 00, 01, 10, 11:", best.round(4))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The activation zoo, with derivatives
#
# | name | f(z) | f′(z) |
# |---|---|---|
# | sigmoid | σ(z) = 1 / (1 + e<sup>−z</sup>) | σ(z) · (1 − σ(z)) |
# | tanh | tanh z | 1 − tanh² z |
# | ReLU | max(0, z) | 1 for z > 0, else 0 |
# | leaky ReLU | max(0.1 z, z) | 1 for z > 0, else 0.1 |
# | ELU | z for z > 0, else α (e<sup>z</sup> − 1) | 1 for z > 0, else α e<sup>z</sup> |
# | maxout | max<sub>k</sub> (**w**<sub>k</sub> · **x** + b<sub>k</sub>) | the winning piece's slope |
#
# The derivative matters in lecture 3: backpropagation multiplies one $f'$ per layer.

# %% slideshow={"slide_type": "subslide"} tags=["remove-input"]
from coursekit.widgets.neuron import plot_activation_zoo

plot_activation_zoo()
plt.show()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### How small can the derivatives be?

# %% tags=["remove-input"]
zs = np.linspace(-10, 10, 20001)
ds, dt = neuron.sigmoid_derivative(zs), neuron.tanh_derivative(zs)
say(f"* σ′ lies in (0, {ds.max():.2f}], the largest at z = {zs[ds.argmax()]:g}.\n"
    f"* tanh′ = 1 − tanh² lies in **(0, 1]**: {dt.max():g} at z = {zs[dt.argmax()]:g}, "
    f"{dt.min():.1e} at z = ±10, never negative. The Pavia notes' \"gradients in the range (−1, 1)\" "
    f"is wrong: tanh′ is never negative, and its maximum 1 is reached.\n"
    f"* ReLU′ is exactly {neuron.relu_derivative(zs).max():g} wherever the unit is active.")
chain = [(wabs, (ds.max() * wabs) ** 10) for wabs in (1, 4, 8)]
say("Backpropagating through ten one-unit sigmoid layers multiplies ten factors σ′(z)·w, each at "
    f"most {ds.max():.2f}·|w|. The bound over ten layers: "
    + ", ".join(f"|w| = {w_}: **{v:.3g}**" for w_, v in chain)
    + ". The weights decide whether it shrinks (lecture 3).")

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** A bound of 0.25**10 for ten sigmoid layers ignores the weights: each layer contributes
# σ′(z)·w (a matrix W and a diagonal of σ′ in general), so the bound is 0.25·|w| per layer. With |w| = 4
# the bound is 1; the gradient still vanishes in practice because large weights push z into the flat
# tails, where σ′ is far below 0.25. Initialisation (lecture 3) keeps z where σ′ is not tiny.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Logic gates: which ones can one perceptron compute?
#
# A perceptron computes a gate if one straight line separates the inputs where it is 1 from those
# where it is 0. **NAND** (0 only on 11) can be; it matters because it is **logically complete**:
# every Boolean function is a circuit of NANDs. **XOR** (1 on 01 and 10) cannot: it would need
# $b < 0$ (00), $w_2 + b \ge 0$ (01), $w_1 + b \ge 0$ (10) and $w_1 + w_2 + b < 0$ (11); adding the
# middle two, $w_1 + w_2 + b \ge -b > 0$, a contradiction. A brute-force search over a grid agrees:

# %% tags=["remove-input"]
grid = np.linspace(-3, 3, 61)
W1g, W2g, Bg = np.meshgrid(grid, grid, grid, indexing="ij")
cand = np.stack([W1g.ravel(), W2g.ravel()], axis=1)          # one perceptron per row
pred = neuron.step(x @ cand.T + Bg.ravel())                   # (4 inputs, candidates)
gates = {"AND": [0, 0, 0, 1], "OR": [0, 1, 1, 1], "NAND": nand_table()[1], "XOR": y_xor}
rows = []
for gate, y_gate in gates.items():
    acc = (pred == np.asarray(y_gate)[:, None]).mean(axis=0)
    rows.append([gate, " ".join(map(str, np.asarray(y_gate, dtype=int))), int((acc == 1).sum()), acc.max()])
table(rows, ["gate", "on 00 01 10 11", f"of {len(cand):,} perceptrons, computing it", "best accuracy"],
      formats={"best accuracy": "{:.0%}"})

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** The weights of a NAND perceptron are assignment 1's exercise: do not give them away.
# The table shows only how many grid points work.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## XOR: two layers can
#
# A hidden layer of two perceptrons computes $h_1$ = OR and $h_2$ = NAND; the output perceptron
# computes AND of the two. In the hidden space the four inputs *are* separable by one line.

# %% tags=["remove-input"]
from coursekit.widgets.neuron import plot_logic_gates

plot_logic_gates(figsize=(10, 4.2))
plt.show()

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** The hidden layer maps the four points to a new space (OR, NAND) where XOR is linearly
# separable: (0,1) for 00, (1,1) for 01 and 10, (1,0) for 11. The output AND unit separates (1,1)
# from the rest. This is the whole idea of hidden layers: learn a representation in which the
# problem becomes linear. Assignment 1 asks for the weights.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The multi-layer perceptron in matrix form
#
# With a batch of $N$ inputs as the rows of $X$ ($N \times D$), a layer with $H$ units is
#
# $$Z = XW + \mathbf{b}, \quad A = f(Z), \qquad W: D \times H, \; \mathbf{b}: H$$
#
# (Keras's layout; Ledda's seminar writes the same with the bias as the first row of $W$ and a
# column of ones in $X$). A two-layer MLP: $\hat Y = f_2(f_1(XW^1 + \mathbf{b}^1)W^2 + \mathbf{b}^2)$.

# %%
rng = np.random.default_rng(1)
X = rng.normal(size=(4, 3))                            # 4 samples, 3 features
W1, b1 = rng.normal(size=(3, 2)), rng.normal(size=2)   # hidden layer: 2 units
W2, b2 = rng.normal(size=(2, 1)), rng.normal(size=1)   # output: 1 unit
Hid = neuron.dense_forward(X, W1, b1, "sigmoid")
Y = neuron.dense_forward(Hid, W2, b2, "sigmoid")
print("X", X.shape, "@ W1", W1.shape, "->", Hid.shape, "@ W2", W2.shape, "->", Y.shape)
# bias as the first row of W, a column of ones in front of X
W1_aug = np.vstack([b1, W1])                           # (1 + 3, 2)
X_aug = np.hstack([np.ones((len(X), 1)), X])
print("bias-row form, same layer:", np.allclose(neuron.sigmoid(X_aug @ W1_aug), Hid))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The perceptron as a regressor: MSE and MAE
#
# Drop the step (a linear activation) and the neuron predicts a number: Ledda's regression example is
# the plane $\hat y = x_1 + 1.75\,x_2 - 1.75$. Two losses measure how far off it is (Ledda writes them
# without the index $i$ on $\hat y$):
#
# $$\text{MSE} = \frac1N\sum_{i=1}^N (y_i - \hat y_i)^2, \qquad \text{MAE} = \frac1N\sum_{i=1}^N |y_i - \hat y_i|$$
#
# MSE weighs large errors more. The best *constant* prediction is the mean under MSE, the median under
# MAE, so one wrong label drags an MSE fit much further:

# %% tags=["remove-input"]
mse1 = neuron.mean_squared_error([25.0], [23.5])
mae1 = neuron.mean_absolute_error([25.0], [23.5])
ac = train.x[:, 1]
ac_typo = np.append(ac, 850.0)                         # one more man, 85 typed as 850
consts = np.linspace(60, 130, 7001)
rows = []
for name, data in (("the men's AC", ac), ("plus a typo, AC = 850", ac_typo)):
    err = data[None, :] - consts[:, None]                  # (constants, men)
    best_mse, best_mae = consts[np.argmin((err ** 2).mean(1))], consts[np.argmin(np.abs(err).mean(1))]
    rows.append([name, best_mse, data.mean(), best_mae, np.median(data)])
say(f"Ledda's example, label 25, output 23.5: MSE = {mse1:g}, MAE = {mae1:g}. "
    f"Predicting AC by one constant (grid search):")
table(rows, ["data", "best under MSE", "mean", "best under MAE", "median"],
      formats={c: "{:.2f}" for c in ("best under MSE", "mean", "best under MAE", "median")})

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Many classes: softmax
#
# One output unit per class, then **softmax** turns the scores (logits) into a probability
# distribution: $\sigma(\mathbf{z})_j = e^{z_j} / \sum_k e^{z_k}$. Ledda's example: three
# images (cat, dog, horse) scored for three classes.

# %%
classes = ["cat", "dog", "horse"]
scores = np.array([[5.0, 4.0, 2.0], [4.0, 2.0, 8.0], [4.0, 4.0, 1.0]])
# the slide's table, to 2 decimals
slide_softmax = np.array([[0.71, 0.26, 0.04], [0.02, 0.00, 0.98], [0.49, 0.49, 0.02]])
probs = neuron.softmax(scores)
print("the slide's table agrees:", np.array_equal(np.round(probs, 2), slide_softmax))
print("softmax(z + 100) == softmax(z):", np.allclose(neuron.softmax(scores + 100), probs))

# %% slideshow={"slide_type": "subslide"} tags=["remove-input"]
from coursekit.widgets.neuron import plot_softmax_table

plot_softmax_table(scores, probs, classes, classes, figsize=(10, 3.4))
plt.show()
table([[f"image of a {c}", *row] for c, row in zip(classes, probs)], ["", *classes],
      formats={c: "{:.4f}" for c in classes})

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** The dog image is misclassified as a horse: softmax is confident, not necessarily right.
# Translation invariance (adding a constant to all logits changes nothing) is why implementations
# subtract the max before exponentiating.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Cross-entropy: how wrong is a distribution?
#
# $H(\mathbf{y}, \hat{\mathbf{y}}) = -\sum_k y_k \log \hat y_k$. With a one-hot label only the
# true class's term survives: the loss is $-\log$ (probability given to the truth).
# Ledda's salmon / sea-bass example: label $[0, 1]$, outputs $[0.83, 0.17]$ then $[0.21, 0.79]$.

# %%
label = np.array([[0.0, 1.0]])
for out, slide_value in (([0.83, 0.17], 1.77), ([0.21, 0.79], 0.23)):
    ce = neuron.categorical_crossentropy(label, np.array([out]))
    print(f"output {out}: -log({out[1]}) = {ce:.4f}   (slide: {slide_value})")
ce79 = -np.log(0.79)
print(f"The slide's 0.23 is truncated: {ce79:.4f} rounds to {ce79:.2f}.")
mse = neuron.mean_squared_error(label, np.array([[0.21, 0.79]]))
print(f"For comparison, the squared error of [0.21, 0.79]: {mse:.4f}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# **Try it.** The softmax slide's dog image is labelled *dog*. What cross-entropy does it cost?

# %% [markdown] slideshow={"slide_type": "fragment"}
# <details><summary>Answer</summary>
#
# Only the true class counts: $-\log \hat y_\text{dog}$, and the network gave *dog* a tiny probability,
# so the loss is large (computed below) — far above the cat image's.
# </details>

# %% tags=["remove-input"]
say("<details><summary>Computed</summary>\n\n"
    f"p(dog) = {probs[1, 1]:.4f}, −log p(dog) = {-np.log(probs[1, 1]):.3f}; "
    f"the cat image: −log p(cat) = {-np.log(probs[0, 0]):.3f}.\n</details>")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Entropy, KL divergence, cross-entropy
#
# * **Entropy** of $P$: $\mathcal H(P) = -\sum_i P(i)\log P(i)$, the average surprise.
# * **Cross-entropy**: $\mathcal H(P, Q) = -\sum_i P(i)\log Q(i)$, the surprise when outcomes of $P$ are
#   coded with the probabilities $Q$.
# * **Kullback–Leibler**: $D_{KL}(P\|Q) = \sum_i P(i)\log\frac{P(i)}{Q(i)} = -\mathcal H(P) + \mathcal H(P, Q) \ge 0$.
#
# The Bologna lesson notes end that line with $-\mathcal H(P) + \mathcal H(Q)$: **wrong**, the last
# term is the cross-entropy $\mathcal H(P, Q)$, not the entropy of $Q$. With $P$ the data, $\mathcal H(P)$
# is fixed: minimising $D_{KL}$ is minimising the cross-entropy.

# %% tags=["remove-input"]
rows = []
for P_, Q_ in (([0.0, 1.0], [0.83, 0.17]), ([0.3, 0.7], [0.6, 0.4])):
    P_, Q_ = np.array(P_), np.array(Q_)
    rows.append([str(P_.tolist()), str(Q_.tolist()), neuron.entropy(P_), neuron.cross_entropy(P_, Q_),
                 neuron.kl_divergence(P_, Q_), neuron.entropy(Q_) - neuron.entropy(P_)])
table(rows, ["P", "Q", "H(P)", "H(P, Q)", "KL(P‖Q)", "notes: H(Q) − H(P)"],
      formats={c: "{:.4f}" for c in ("H(P)", "H(P, Q)", "KL(P‖Q)", "notes: H(Q) − H(P)")})

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Binary cross-entropy, derived
#
# A sigmoid output $p = Q(y{=}1 \mid \mathbf x)$ defines $Q = (p,\, 1-p)$; the label defines
# $P = (y,\, 1-y)$. Their cross-entropy is
#
# $$\mathcal H(P, Q) = -\big[y \log p + (1-y)\log(1-p)\big],$$
#
# the **binary cross-entropy**. Averaged over the training set it is the negative log-likelihood of
# the labels under the model: minimising it is maximum likelihood.

# %% tags=["remove-input"]
y_b, p_b = np.array([1.0, 0.0, 1.0]), np.array([0.17, 0.17, 0.79])
h_pq = [float(neuron.cross_entropy([yy, 1 - yy], [pp, 1 - pp])) for yy, pp in zip(y_b, p_b)]
say(f"Labels {y_b.astype(int).tolist()}, outputs {p_b.tolist()}: H(P, Q) per example "
    f"{', '.join(f'{v:.4f}' for v in h_pq)}, mean **{np.mean(h_pq):.4f}**; Keras's binary "
    f"cross-entropy (as `coursekit.neuron` computes it): **{neuron.binary_crossentropy(y_b, p_b):.4f}**.")

# %% [markdown] slideshow={"slide_type": "fragment"}
# **Try it.** Is the KL divergence symmetric? Compare $D_{KL}(P\|Q)$ and $D_{KL}(Q\|P)$ for
# $P = (0.5, 0.5)$ and $Q = (0.9, 0.1)$.

# %% [markdown] slideshow={"slide_type": "fragment"}
# <details><summary>Answer</summary>
#
# No: the two differ (computed below). $D_{KL}(P\|Q)$ weighs the log-ratio by $P$, so it punishes
# $Q$ for giving little probability where $P$ has much; it is a divergence, not a distance.
# </details>

# %% tags=["remove-input"]
Pk, Qk = np.array([0.5, 0.5]), np.array([0.9, 0.1])
say("<details><summary>Computed</summary>\n\n"
    f"P = {Pk.tolist()}, Q = {Qk.tolist()}: KL(P‖Q) = {neuron.kl_divergence(Pk, Qk):.4f}, "
    f"KL(Q‖P) = {neuron.kl_divergence(Qk, Pk):.4f}.\n"
    "</details>")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# * Deep learning works now thanks to data, software and hardware, and it fails in ways people don't:
#   a small FGSM perturbation changes the digit the model reads.
# * A neuron: weighted sum + bias, then an activation. Rosenblatt's rule trains a step perceptron on
#   separable data; smooth activations can be trained by gradients (lecture 2).
# * Recomputed: the Pavia H/AC neuron gives $\sigma(1.128) = 0.7555$, not 0.7.
# * One perceptron draws one straight line: NAND yes, XOR no. Two layers compute XOR; without a
#   non-linear activation, depth adds nothing.
# * Losses: MSE / MAE for numbers; cross-entropy for classes, which is the KL divergence up to the
#   data's entropy.
#
# **Next lecture:** how to *find* the weights — gradient descent.
