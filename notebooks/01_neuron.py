# %% [markdown] slideshow={"slide_type": "slide"}
# # Lecture 1 — The artificial neuron
#
# From the biological neuron to the perceptron, one neuron worked by hand on real numbers,
# the activation functions and their derivatives, logic gates (NAND, XOR), the multi-layer
# perceptron in matrix form, and softmax with cross-entropy.
#
# *Every number on these slides is computed by the code cell next to it (module `coursekit.neuron`).*

# %% slideshow={"slide_type": "skip"}
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

from coursekit.style import setup_lecture

setup_lecture()   # course style (colour-blind-safe, projector-sized), one BLAS thread

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
# The human brain has about 100 billion (10<sup>11</sup>) neurons, each connected to thousands of others.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## McCulloch & Pitts (1943): a neuron as logic
#
# *"Because of the all-or-none character of nervous activity, neural events and the relations
# among them can be treated by means of propositional logic."*
#
# A McCulloch–Pitts unit has binary inputs $x_i \in \{0, 1\}$, and fires ($y = 1$) when
# $\sum_i x_i \geq \theta$. With $\theta = 2$ on two inputs it is **AND**, with $\theta = 1$
# it is **OR**. There is nothing to learn: the threshold is fixed by hand.

# %% slideshow={"slide_type": "-"}
from coursekit import neuron
from coursekit.data import nand_table

x, _ = nand_table()                      # the four inputs 00, 01, 10, 11
for theta, name in ((2, "AND"), (1, "OR")):
    fires = neuron.step(x.sum(axis=1) - theta)          # 1 where sum >= theta
    print(f"threshold {theta} ({name}):", dict(zip(map(tuple, x.astype(int).tolist()), fires.astype(int).tolist())))

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
# step cannot be trained by gradient descent. This is the motivation for the sigmoid; come back to
# it in lecture 2.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A task: healthy or overweight?
#
# The lecture's data: the **height H** and the **abdominal circumference AC** of men (cm).
# The neuron receives $a_1 = H$, $a_2 = AC$ and should output 1 for "overweight", 0 for "healthy".
#
# The lecture notes (Salvatore, IUSS Pavia) give no labels, so we label with a published rule of thumb
# (printed below):
# *overweight when AC / H ≥ 0.5.*

# %% slideshow={"slide_type": "-"}
from coursekit.data import height_abdomen

intro = height_abdomen("intro")          # the nine men of the opening slide
train = height_abdomen("training")       # the 108 men of the training table
print(train.rule)
print()
print("H  (cm):", intro.x[:, 0].astype(int).tolist())
print("AC (cm):", intro.x[:, 1].astype(int).tolist())
print("label  :", intro.y.astype(int).tolist())
print(f"\ntraining set: {len(train.y)} men, {int(train.y.sum())} overweight, {int((1 - train.y).sum())} healthy")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Forward propagation with the lecture's numbers
#
# The lecture's neuron has $w_1 = 0.0006$, $w_2 = 0.0002$, $b = 1$ and meets a man with
# $H = 185$, $AC = 85$ whose expected output is $E = 0$ (healthy):
#
# $$z = 185 \cdot 0.0006 + 85 \cdot 0.0002 + 1, \qquad P = \sigma(z), \qquad \text{cost} = (P - E)^2$$

# %% slideshow={"slide_type": "-"}
w1, w2, b = 0.0006, 0.0002, 1.0
H, AC, E = 185, 85, 0.0
z = H * w1 + AC * w2 + b
P = float(neuron.sigmoid(z))
print(f"185 x 0.0006 = {H * w1:.4f},   85 x 0.0002 = {AC * w2:.4f}")
print(f"z = {z:.4f}")
print(f"P = sigmoid(z) = {P:.4f}")
print(f"cost = (P - E)^2 = {(P - E) ** 2:.4f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The slides' numbers are wrong — here is the check
#
# Salvatore's slides write *"0.7 = Sigmoid(185 × 0.0006 + 85 × 0.0002 + 1) = Sigmoid(0.111 + 0.281 + 1)
# = Sigmoid(1.281)"* and a cost of 0.49. But $85 \times 0.0002 = 0.017$, not 0.281, so $z$ is
# 1.128, and the sigmoid of either number is not 0.7. The same happens on every line of the
# slides' "epoch" — each row below is recomputed, the slides' value beside it:

# %% slideshow={"slide_type": "-"}
# (H, AC, w1, w2, b, the slides' sigmoid, the slides' cost) as printed on the slides
slide_lines = [
    (185, 85, 0.0006, 0.0002, 1.0, 0.70, 0.49),
    (185, 85, 0.0005, 0.0001, 1.0, 0.65, 0.43),
    (178, 94, 0.0004, 0.0003, 0.008, 0.65, 0.43),
    (184, 102, 0.0003, 0.0001, 0.007, 0.64, 0.41),
    (100, 80, 0.0005, 0.0002, 0.008, 0.55, 0.30),
]
print(f"{'sigmoid(H w1 + AC w2 + b)':<46}{'z':>8}{'sigmoid':>10}{'slide':>7}{'cost':>9}{'slide':>7}")
for H_, AC_, w1_, w2_, b_, slide_p, slide_c in slide_lines:
    z_ = H_ * w1_ + AC_ * w2_ + b_
    p_ = float(neuron.sigmoid(z_))
    expr = f"sigmoid({H_} x {w1_} + {AC_} x {w2_} + {b_:g})"
    print(f"{expr:<46}{z_:>8.4f}{p_:>10.4f}{slide_p:>7.2f}{p_ ** 2:>9.4f}{slide_c:>7.2f}")
print(f"\nThe slides' update 'b: 0.0008 = 1 - 0.0002' is also wrong: 1 - 0.0002 = {1 - 0.0002:.4f}.")

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Say it plainly: the slides' sigmoid values (0.7, 0.65, 0.64, 0.55) and costs (0.49, 0.43,
# 0.41, 0.30) do not follow from their own formulas. The shape of the story is right (the cost
# goes down as the weights are adjusted), the numbers are not. Good exercise: ask students to
# find the arithmetic slip (85 x 0.0002 written as 0.281).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Try it: one neuron on the 108 men
#
# Move $w_1$, $w_2$, $b$ and pick an activation. Left: the men, the **decision boundary**
# $w_1 H + w_2 AC + b = 0$ and the neuron's output as background colour. Right: the activation
# curve with every man placed at his $z$.
#
# * The lecture's weights put *everybody* on the "overweight" side: the accuracy is just the share of overweight men.
# * Can you find a line that separates the two groups? (Hint: the labelling rule is $AC - 0.5 H \geq 0$.)
# * Change the activation: the boundary and accuracy do **not** move — the activation changes how
#   *sure* the neuron is, not *where* it decides.

# %% slideshow={"slide_type": "-"}
from coursekit.widgets.neuron import NeuronWidget

neuron_widget = NeuronWidget(train)
neuron_widget

# %% slideshow={"slide_type": "-"}
print(f"lecture weights: accuracy {neuron_widget.state['accuracy']:.1%} "
      f"(share of overweight men: {train.y.mean():.1%}), squared-error cost {neuron_widget.state['cost']:.4f}")

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Live demo: set w1 = -0.05, w2 = 0.1, b = 0 (the labelling rule scaled by 0.1): 100 %. Then
# switch activation to ReLU: same boundary, same accuracy, but the outputs on the healthy side are
# all exactly 0 (and so is the gradient there). Then ask: what does scaling all three by 10 change?
# (The boundary stays, the sigmoid gets steeper.)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Why a non-linear activation?
#
# Without one, every layer computes $\mathbf{x}W + \mathbf{b}$, and a stack of linear layers is
# *one* linear layer:
# $(\mathbf{x}W_1 + \mathbf{b}_1)W_2 + \mathbf{b}_2 = \mathbf{x}(W_1W_2) + (\mathbf{b}_1W_2 + \mathbf{b}_2)$.
# However deep, a linear network draws only straight decision boundaries. The non-linearity is
# what lets depth build curved ones.

# %% slideshow={"slide_type": "-"}
rng = np.random.default_rng(0)
x4 = rng.normal(size=(4, 3))
W1, b1, W2, b2 = rng.normal(size=(3, 5)), rng.normal(size=5), rng.normal(size=(5, 2)), rng.normal(size=2)
two_layers = neuron.dense_forward(neuron.dense_forward(x4, W1, b1), W2, b2)
one_layer = neuron.dense_forward(x4, W1 @ W2, b1 @ W2 + b2)
print("two linear layers == one linear layer:", np.allclose(two_layers, one_layer))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The activation zoo, with derivatives
#
# | name | $f(z)$ | $f'(z)$ |
# |---|---|---|
# | sigmoid | $1/(1+e^{-z})$ | $f(z)(1-f(z))$ |
# | tanh | $\tanh z$ | $1 - \tanh^2 z$ |
# | ReLU | $\max(0, z)$ | $1$ if $z>0$ else $0$ |
# | leaky ReLU | $\max(0.1z, z)$ | $1$ if $z>0$ else $0.1$ |
# | ELU | $z$ if $z \geq 0$ else $\alpha(e^z - 1)$ | $1$ if $z>0$ else $\alpha e^z$ |
# | maxout | $\max(\mathbf{w}_1^T\mathbf{x} + b_1, \mathbf{w}_2^T\mathbf{x} + b_2)$ | the winning piece's slope |
#
# The derivative will matter in lecture 3: backpropagation multiplies one $f'$ per layer.

# %% slideshow={"slide_type": "subslide"}
from coursekit.widgets.neuron import plot_activation_zoo

plot_activation_zoo()
plt.show()
zs = np.linspace(-10, 10, 20001)
print(f"largest slope of the sigmoid: {neuron.sigmoid_derivative(zs).max():.4f} (at z = 0);"
      f" of tanh: {neuron.tanh_derivative(zs).max():.4f}; of ReLU for z > 0: {neuron.relu_derivative(zs).max():.0f}")

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Point at the sigmoid's derivative: it is at most 0.25. Ten sigmoid layers multiply ten of
# these: at most 0.25**10, about 1e-6. That is the vanishing gradient of lecture 3. ReLU's derivative
# is exactly 1 where the unit is active.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Logic gates: NAND with one perceptron
#
# NAND outputs 0 only for input 11. A perceptron computes it if we find $w_1, w_2, b$ with
# $z = w_1x_1 + w_2x_2 + b \ge 0$ exactly on 00, 01, 10. Geometrically: a straight line
# separating the point (1, 1) from the three others. NAND matters because it is
# **logically complete**: every Boolean function is a circuit of NANDs.

# %% slideshow={"slide_type": "-"}
from coursekit.data import xor_table

w_nand, b_nand = neuron.nand_weights()
x, y_nand = nand_table()
print("w =", w_nand, " b =", b_nand)
print("z          :", x @ w_nand + b_nand)
print("perceptron :", neuron.perceptron_predict(x, w_nand, b_nand).astype(int))
print("NAND table :", y_nand.astype(int))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## XOR: one perceptron cannot, two layers can
#
# XOR is 1 on 01 and 10, 0 on 00 and 11. One perceptron would need
# $b < 0$ (00 → 0), $w_2 + b \ge 0$ (01 → 1), $w_1 + b \ge 0$ (10 → 1) and $w_1 + w_2 + b < 0$ (11 → 0).
# Adding the middle two: $w_1 + w_2 + 2b \ge 0$, so $w_1 + w_2 + b \ge -b > 0$ — a contradiction.
# No straight line separates the two XOR classes. A brute-force search agrees:

# %% slideshow={"slide_type": "-"}
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

# %% slideshow={"slide_type": "subslide"}
from coursekit.widgets.neuron import plot_logic_gates

plot_logic_gates()
plt.show()

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** The hidden layer maps the four points to a new space (OR, NAND) where XOR is linearly
# separable: (0,1) for 00, (1,1) for 01 and 10, (1,0) for 11. The output AND unit separates (1,1)
# from the rest. This is the whole idea of hidden layers: learn a representation in which the
# problem becomes linear.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The multi-layer perceptron in matrix form
#
# With a batch of $N$ inputs as the rows of $X$ ($N \times D$), a layer with $H$ units is
#
# $$Z = XW + \mathbf{b}, \quad A = f(Z), \qquad W: D \times H, \; \mathbf{b}: H$$
#
# (Keras's layout; the slides write the same with the bias as the first row of $W$ and a
# column of ones in $X$). A two-layer MLP: $\hat Y = f_2(f_1(XW^1 + \mathbf{b}^1)W^2 + \mathbf{b}^2)$.

# %% slideshow={"slide_type": "-"}
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

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Many classes: softmax
#
# One output unit per class, then **softmax** turns the scores (logits) into a probability
# distribution: $\sigma(\mathbf{z})_j = e^{z_j} / \sum_k e^{z_k}$. The slides' example: three
# images (cat, dog, horse) scored for three classes.

# %% slideshow={"slide_type": "-"}
classes = ["cat", "dog", "horse"]
scores = np.array([[5.0, 4.0, 2.0], [4.0, 2.0, 8.0], [4.0, 4.0, 1.0]])
slide_softmax = np.array([[0.71, 0.26, 0.04], [0.02, 0.00, 0.98], [0.49, 0.49, 0.02]])   # as on the slide
probs = neuron.softmax(scores)
for name, row in zip(classes, probs):
    print(f"image of a {name:<6}", "  ".join(f"{c}: {p:.4f}" for c, p in zip(classes, row)))
print("the slide's 2-decimal table agrees:", np.array_equal(np.round(probs, 2), slide_softmax))
print("softmax(z + 100) == softmax(z):", np.allclose(neuron.softmax(scores + 100), probs))

# %% slideshow={"slide_type": "subslide"}
from coursekit.widgets.neuron import plot_softmax_table

plot_softmax_table(scores, probs, classes, classes)
plt.show()

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** The dog image is misclassified as a horse with 98 % confidence: softmax is confident, not
# necessarily right. Translation invariance (adding a constant to all logits changes nothing) is why
# implementations subtract the max before exponentiating.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Cross-entropy: how wrong is a distribution?
#
# $H(\hat{\mathbf{y}}, \mathbf{y}) = -\sum_k y_k \log \hat y_k$. With a one-hot label only the
# true class's term survives: the loss is $-\log$ (probability given to the truth).
# The slides' salmon / sea-bass example: label $[0, 1]$, outputs $[0.83, 0.17]$ then $[0.21, 0.79]$.

# %% slideshow={"slide_type": "-"}
label = np.array([[0.0, 1.0]])
for out, slide_value in (([0.83, 0.17], 1.77), ([0.21, 0.79], 0.23)):
    ce = neuron.categorical_crossentropy(label, np.array([out]))
    print(f"output {out}: cross-entropy = -log({out[1]}) = {ce:.4f}   (slide: {slide_value})")
print(f"\nThe slide's 0.23 is truncated: -log(0.79) = {-np.log(0.79):.4f} rounds to {-np.log(0.79):.2f}.")
mse = neuron.mean_squared_error(label, np.array([[0.21, 0.79]]))
print(f"for comparison, the squared error of [0.21, 0.79]: {mse:.4f}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# * A neuron: weighted sum + bias, then an activation. The perceptron's step cannot be trained
#   by gradients; smooth activations can.
# * Recomputed: the lecture's H/AC neuron gives $\sigma(1.128) \approx 0.755$, not 0.7.
# * One perceptron draws one straight line: NAND yes, XOR no. Two layers compute XOR.
# * Layers are matrix products; without non-linear activations depth adds nothing.
# * Softmax turns scores into probabilities; cross-entropy is $-\log$ of the probability of the truth.
#
# **Next lecture:** how to *find* the weights — gradient descent.
