# %% [markdown] slideshow={"slide_type": "slide"}
# # Lecture 3 — Backpropagation
#
# The chain rule, by hand and as a computational graph; the four backpropagation equations and
# what they cost; the lecture's MATLAB programs in NumPy; what one layer and many layers can
# express; vanishing gradients and weight initialisation; training, validation and test sets;
# over-fitting and regularisation.
#
# *Every number is computed by the code next to it (module `coursekit.backprop`).*

# %% slideshow={"slide_type": "skip"}
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

from coursekit.display import say, table
from coursekit.style import setup_lecture

setup_lecture()   # course style (colour-blind-safe, projector-sized), 1 BLAS thread

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The lecture's hand derivatives
#
# One sigmoid neuron with inputs $a_1 = 2$, $a_2 = 5$ and expected output $E = 1$:
#
# $$t = 2w_1 + 5w_2 + b, \quad p = \sigma(t), \quad C = (p - E)^2$$
#
# The chain rule, one factor per step of the computation:
#
# $$\frac{\partial C}{\partial w_1} = \underbrace{2(p - 1)}_{\partial C/\partial p}\;
# \underbrace{\sigma(t)(1 - \sigma(t))}_{\partial p/\partial t}\; \underbrace{2}_{\partial t/\partial w_1},
# \qquad \frac{\partial C}{\partial w_2} = \ldots \times 5, \qquad \frac{\partial C}{\partial b} = \ldots \times 1$$

# %% slideshow={"slide_type": "subslide"}
from coursekit import backprop
from coursekit.gradient_descent import numerical_gradient

a1, a2, E = 2.0, 5.0, 1.0
theta = np.array([0.0006, 0.0002, 1.0])   # w1, w2, b: the lecture's weights

def cost(th):
    return backprop.sigmoid_neuron_cost(th[0], th[1], th[2], a1, a2, E)

by_hand = np.array(backprop.sigmoid_neuron_gradients(*theta, a1, a2, E))
numeric = numerical_gradient(cost, theta)
hand_error = backprop.gradient_check(cost, theta, by_hand)
print(f"cost C = {cost(theta):.6f}")
print("by hand (chain rule):", np.array2string(by_hand, precision=8))
print("central differences :", np.array2string(numeric, precision=8))
print(f"relative error {hand_error:.2e}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The same for lecture 1's man (H = 185, AC = 85, E = 0)
#
# The slides subtracted 0.0001 from both $w_1$ and $w_2$. The real gradient is far from equal for
# the two weights: $\partial C/\partial w_i$ carries the input $a_i$, and 185 ≠ 85.

# %%
theta_h = np.array([0.0006, 0.0002, 1.0])

def cost_h(th):
    return backprop.sigmoid_neuron_cost(th[0], th[1], th[2], 185.0, 85.0, 0.0)

grad_h = np.array(backprop.sigmoid_neuron_gradients(*theta_h, 185.0, 85.0, 0.0))
print("dC/dw1, dC/dw2, dC/db =", np.array2string(grad_h, precision=4))
print(f"dC/dw1 / dC/dw2 = {grad_h[0] / grad_h[1]:.4f}; 185 / 85 = {185 / 85:.4f}")
error_h = backprop.gradient_check(cost_h, theta_h, grad_h)
print(f"relative error vs central differences {error_h:.2e}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The chain rule as a computational graph
#
# Break the computation into nodes. **Forward**: each node computes its value from its inputs.
# **Backward**: starting from $\partial C/\partial C = 1$, each node multiplies the gradient it
# receives by its *local* derivative and passes it on:
#
# * $(p - E)^2$: local derivative $2(p - E)$;
# * sigmoid: $p(1 - p)$;
# * $+$: passes the gradient unchanged to every input;
# * $\times$: sends to each factor the gradient times *the other* factor.

# %% slideshow={"slide_type": "subslide"} tags=["remove-input"]
from coursekit.widgets.backprop import plot_computational_graph

fig, graph = plot_computational_graph(a1, a2, *theta, E)
plt.show()
graph_grads = np.array([graph["w1"][1], graph["w2"][1], graph["b"][1]])
print("graph gradients = hand derivatives:", np.allclose(graph_grads, by_hand))

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Walk the graph right to left: 1 at C, times 2(p - E) gives dC/dp, times p(1 - p) gives
# dC/dt, the + node copies it to b and both products, each product multiplies by the other factor.
# Every node needs only its own forward values: this is why the forward pass stores them.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Backpropagation in matrix form: BP1–BP4
#
# Keras's layout, as in lecture 1 and the assignments: a batch of **row** vectors, kernel $W^l$ of
# shape (inputs, units), $Z^l = A^{l-1} W^l + \mathbf{b}^l$, $A^l = f(Z^l)$, $A^0 = X$.
# Define the error $\delta^l = \partial E / \partial Z^l$ (the shape of $Z^l$). Then
#
# $$\text{(BP1)}\;\; \delta^L = \nabla_{A^L} E \odot f'(Z^L) \qquad
# \text{(BP2)}\;\; \delta^l = \big(\delta^{l+1} (W^{l+1})^T\big) \odot f'(Z^l)$$
# $$\text{(BP3)}\;\; \frac{\partial E}{\partial \mathbf{b}^l} = \textstyle\sum_{\text{rows}} \delta^l \qquad
# \text{(BP4)}\;\; \frac{\partial E}{\partial W^l} = (A^{l-1})^T \delta^l$$
#
# With softmax + cross-entropy at the output, BP1 simplifies to $\mathbf{p} - \mathbf{y}$ per sample.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Rows or columns?
#
# **Convention switch.** Nielsen's book and the Bologna notes (after Andrea Asperti's slides) write one
# sample as a *column*: $\mathbf{z}^l = W^l \mathbf{a}^{l-1} + \mathbf{b}^l$ with $W^l$ of shape (units,
# inputs), the transpose of a Keras kernel; their BP2 reads $(W^{l+1})^T \delta^{l+1} \odot \sigma'(\mathbf{z}^l)$.
# Same equations, transposed. Salvatore's MATLAB programs below use columns too.

# %% slideshow={"slide_type": "subslide"}
rng = np.random.default_rng(0)
x = rng.normal(size=(8, 4))
y = np.eye(3)[rng.integers(0, 3, size=8)]
params = backprop.init_mlp([4, 6, 5, 3], seed=0)
loss, grads = backprop.mlp_backward(x, y, params, "sigmoid")
print(f"loss {loss:.6f}")
for layer, ((W, b), (dW, db)) in enumerate(zip(params, grads)):
    def f(W_new, layer=layer):   # the loss as a function of this layer's kernel
        p = [(W_new if i == layer else Wi, bi)
             for i, (Wi, bi) in enumerate(params)]
        return backprop.mlp_backward(x, y, p, "sigmoid")[0]
    error = backprop.gradient_check(f, W, dW)
    print(f"layer {layer + 1}: dE/dW {dW.shape}, "
          f"relative error vs central differences {error:.2e}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### What a backward pass costs
#
# Forward: one matrix product per layer ($A^{l-1} W^l$). Backward: two per layer, $\delta^{l+1} (W^{l+1})^T$
# (BP2) and $(A^{l-1})^T \delta^l$ (BP4), except that nobody needs $\partial E/\partial X$ at layer 1.
# So the backward pass costs about **two** forward passes, and a training step (forward + backward)
# about **three**. Counted and timed on an MLP (NumPy, float32, one thread, best of five runs):

# %%
sizes = (256, 512, 512, 512, 512, 10)
fb = backprop.time_forward_backward(sizes, batch=256)
table([(p, fb[f"{p}_flops"] / 1e6, fb[f"{p}_s"] * 1e3)
       for p in ("forward", "backward")],
      ["pass", "matrix-product MFLOPs", "time (ms)"],
      formats={"matrix-product MFLOPs": "{:,.0f}", "time (ms)": "{:.2f}"},
      caption=f"layers {sizes}, batch 256")

# %% slideshow={"slide_type": "fragment"} tags=["remove-input"]
flop_ratio = fb["backward_flops"] / fb["forward_flops"]
say(f"Backward / forward: **{flop_ratio:.2f}** in FLOPs, **{fb['ratio']:.2f}** in time "
    f"on this run. A training step costs about **{1 + fb['ratio']:.1f}** forward "
    f"passes, not two.")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The sign of the update
#
# The Bologna notes' pseudo-code updates $w^l_{jk} \to w^l_{jk} + \mu\, a^{l-1}_k \delta^l_j$.
# With $\delta = \partial E/\partial z$ that step goes *up* the error: gradient descent subtracts,
# $W \leftarrow W - \mu\, \partial E/\partial W$. One step of each on the network above:

# %%
mu = 0.5
for name, sign in (("W - mu dE/dW (descent)", -1),
                   ("W + mu dE/dW (the notes' sign)", +1)):
    stepped = [(W + sign * mu * dW, b + sign * mu * db)
               for (W, b), (dW, db) in zip(params, grads)]
    after = backprop.mlp_backward(x, y, stepped, "sigmoid")[0]
    print(f"{name:<32} loss {loss:.4f} -> {after:.4f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Try it.** Count the matrix products of one forward and one backward pass through a network of
# $L$ dense layers. Which product does the backward pass skip, and why does the table's FLOP ratio
# come out below two?

# %% [markdown] slideshow={"slide_type": "fragment"}
# <details><summary>Answer</summary>
#
# Forward: $L$ products. Backward: $2L - 1$: BP4's $(A^{l-1})^T\delta^l$ at every layer, BP2's
# $\delta^{l} (W^{l})^T$ at every layer but the first, since the input $X$ is not trained.
# The skipped product is as large as layer 1's forward product, so the ratio is 2 minus layer 1's
# share of the forward FLOPs (the narrow first layer above makes it small).
# </details>

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The lecture's MATLAB programs, in NumPy
#
# `SGD_method.m` trains one sigmoid neuron with the delta rule on four inputs (the third input is a
# constant 1, i.e. the bias); the correct output is the first input. `coursekit.backprop.sgd_method`
# is a line-by-line port (MATLAB line in the comment of each Python line).

# %%
weight, outputs = backprop.training_sgd_method(epochs=10000, seed=0)
table([(str(row.astype(int)), out, d) for row, out, d in
       zip(backprop.SGD_INPUT, outputs, backprop.SGD_CORRECT_OUTPUT)],
      ["input", "output", "correct"],
      formats={"output": "{:.4f}", "correct": "{:.0f}"},
      caption=f"trained weight {np.array2string(weight, precision=3)}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The loop, MATLAB beside each line

# %% tags=["remove-input"]
import inspect

source = inspect.getsource(backprop.sgd_method)
loop = source[source.index("    for k in range(n)"):source.index("    return weight")]
lines = [line.strip().split("#", 1) for line in loop.splitlines()[1:]]
table([(py.strip(), matlab.strip()) for py, matlab in lines], ["Python", "MATLAB"],
      font_size="80%")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Its `delta` and BP1
#
# MATLAB: `delta = output*(1-output)*error`, with `error = d - output`, then `Weight + alpha*delta*x`.
# Compared with BP1 for one sample (computed with `mse_backward` and `sigmoid_backward`):

# %%
z_k = float(backprop.SGD_INPUT[0] @ weight)       # first training sample
y_k, d_k = 1 / (1 + np.exp(-z_k)), backprop.SGD_CORRECT_OUTPUT[0]
delta_matlab = y_k * (1 - y_k) * (d_k - y_k)
dE_dy = backprop.mse_backward([[d_k]], [[y_k]])    # E = (d - y)^2: 2 (y - d)
bp1 = float(backprop.sigmoid_backward(dE_dy, [[z_k]])[0, 0])
say(f"BP1 for $E = (d - y)^2$: {bp1:.4g}; MATLAB's delta: {delta_matlab:.4g}; "
    f"ratio **{delta_matlab / bp1:.2f}**. For $E = \\frac12 (d - y)^2$ "
    f"the ratio is **{delta_matlab / (bp1 / 2):.2f}**.")

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** MATLAB's delta = y (1 - y) (d - y) is minus BP1 for E = ½(d - y)², and minus half of BP1
# for E = (d - y)²: the ratios printed above. The program flips the sign of δ and *adds* α δ x, which is the same
# gradient-descent step. Keep the sign in mind when comparing with Keras, which always works with ∂E/∂z.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### `DeepLearning.m`: three ReLU layers and a softmax on 5 × 5 digits
#
# Five images of the digits 1–5 (0 = ink, as in the slides), three hidden ReLU layers, a softmax
# output, no biases. Per-sample backpropagation: $\delta = \mathbf{d} - \mathbf{y}$ at the output (minus BP1
# for softmax + cross-entropy, so the update *adds* $\alpha\,\delta\,\mathbf{x}^T$), BP2 with the ReLU
# derivative $z > 0$, BP4 as outer products. MATLAB's weights are (units, inputs): columns, as the Bologna notes.

# %% slideshow={"slide_type": "subslide"}
from coursekit.data import digits_5x5

images, onehot, digit_labels = digits_5x5()
# the MATLAB script runs 10,000 epochs
w = backprop.training_network(images, onehot, epochs=3000, seed=0)
probs = backprop.deep_learning_predict(*w, images)
print("weight shapes (units, inputs):", [wi.shape for wi in w])

# %% slideshow={"slide_type": "subslide"} tags=["remove-input"]
fig, axes = plt.subplots(1, 5, figsize=(10, 2.8), layout="constrained")
for ax, img, p, lab in zip(axes, images, probs, digit_labels):
    ax.imshow(img, cmap="gray", vmin=0, vmax=1)
    ax.set(xticks=[], yticks=[],
           title=f"{lab}: predicted {digit_labels[p.argmax()]}\n(p = {p.max():.3f})")
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What one hidden layer can express
#
# **Universality** (Susto, University of Padova): a network with a single hidden layer can approximate
# any continuous function on a bounded interval to any precision, given enough hidden units. The
# Bologna notes point to Nielsen's visual proof, built here: a sigmoid with a large weight is almost a
# step; $n$ steps make a staircase through $f$ (the height of each step is an output weight).

# %% slideshow={"slide_type": "subslide"}
def target(x):      # Nielsen's example function
    return 0.2 + 0.4 * x**2 + 0.3 * x * np.sin(15 * x) + 0.05 * np.cos(50 * x)

x_grid = np.linspace(0, 1, 2001)
max_error = {}
for n in (2, 5, 10, 20, 50, 100, 200):
    net = backprop.staircase_network(target, n)       # n hidden sigmoid units
    out = backprop.mlp_forward(x_grid[:, None], net, "sigmoid")[:, 0]
    max_error[n] = float(np.abs(out - target(x_grid)).max())

# %% tags=["remove-input"]
e = max_error
say(f"Max error: **{e[2]:.3f}** with 2 units, **{e[20]:.3f}** with 20, **{e[200]:.4f}** "
    f"with 200: about $1/n$. A construction, not training: it shows the weights exist, "
    f"not how to find them.")

# %% slideshow={"slide_type": "subslide"} tags=["remove-input"]
from coursekit.widgets import backprop as bpw

bpw.plot_universal_approximation(target, (3, 10, 40), max_error)
plt.show()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Why depth helps
#
# One layer suffices, but may need exponentially many units (Susto: some functions are compact with
# $k$ layers and need exponentially many neurons with one; the Bologna notes: the blow-up of a formula
# rewritten in two-level normal form). A computed example, the sawtooth:
# $\text{tent}(x) = 2\,\text{relu}(x) - 4\,\text{relu}(x - \tfrac12)$ uses two ReLUs; $k$ layers of it,
# $\text{tent}(\text{tent}(\dots))$, give $2^k$ linear pieces. One hidden layer of $n$ ReLUs draws at most
# $n + 1$ pieces, so it needs at least $2^k - 1$ units.

# %% tags=["remove-input"]
bpw.plot_sawtooth((1, 2, 3, 4))
plt.show()

# %% slideshow={"slide_type": "subslide"}
rows = []
for k in (1, 2, 3, 4, 6, 8, 10):
    pieces = backprop.count_linear_pieces(lambda t: backprop.sawtooth(t, k))
    rows.append((k, pieces, 2 * k, pieces - 1))
table(rows, ["layers k", "linear pieces (counted)", "ReLUs, deep",
             "ReLUs, one layer (at least)"])

# %% [markdown] slideshow={"slide_type": "fragment"}
# **Try it.** How many hidden units does a one-hidden-layer ReLU network need to draw the sawtooth of
# six layers exactly? How many does the deep network use?

# %% [markdown] slideshow={"slide_type": "fragment"}
# <details><summary>Answer</summary>
#
# The six-layer sawtooth has 64 linear pieces (table, counted), so one hidden layer needs at least 63
# ReLUs, one per breakpoint; the deep network uses twelve (two per layer). With ten layers: 1,023 against 20.
# </details>

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Vanishing gradients: activation or initialisation?
#
# BP2 multiplies by $(W^{l+1})^T$ and by $f'(Z^l)$ once per layer. The sigmoid's derivative is at most a
# quarter (large weights could make up for it, but they push $z$ into the flat tails where $\sigma'$ is
# smaller still), so the first layers of a deep sigmoid network get much smaller gradients. But switching
# "sigmoid + Glorot" to "ReLU + He" changes **two** factors. Separate them: the same network and
# seed, each activation with each initialisation.

# %%
from coursekit.backprop import vanishing_data
from coursekit.neuron import ACTIVATIONS

xv, yv = vanishing_data()          # digits (8 x 8), one-hot labels
hidden = (32,) * 8
grid = backprop.gradient_norm_grid(xv, yv, activations=("sigmoid", "relu"),
                                   inits=("glorot", "he"), hidden=hidden)

# %% tags=["remove-input"]
zs = np.linspace(-10, 10, 20001)
say(f"max sigmoid' = **{ACTIVATIONS['sigmoid'][1](zs).max():.2f}**; tanh' lies in (0, 1], "
    f"maximum **{ACTIVATIONS['tanh'][1](zs).max():.1f}** at 0 (Salvatore's slides write "
    f"'(-1, 1)'); relu' = 1 on active units. The grid: {len(hidden)} hidden layers of "
    f"{hidden[0]} units, {len(xv)} digits, one seed.")

# %% slideshow={"slide_type": "subslide"} tags=["remove-input"]
bpw.plot_gradient_grid(grid)
plt.show()

# %% slideshow={"slide_type": "subslide"} tags=["remove-input"]
cols = ["||dE/dW|| layer 1", "||dE/dW|| last", "first / last"]
table([(act, init, n[0], n[-1], n[0] / n[-1]) for (act, init), n in grid.items()],
      ["activation", "init", *cols], formats={c: "{:.3g}" for c in cols})

# %% slideshow={"slide_type": "fragment"} tags=["remove-input"]
sg, sh = (grid[("sigmoid", i)] for i in ("glorot", "he"))
rg, rh = (grid[("relu", i)] for i in ("glorot", "he"))
say(f"Sigmoid: layer 1 gets **{sg[0] / sg[-1]:.1e}** (Glorot) or **{sh[0] / sh[-1]:.1e}** "
    f"(He) of the last layer's gradient: the **activation** makes it vanish, whatever the "
    f"initialisation. ReLU: {rg[0] / rg[-1]:.2g} and {rh[0] / rh[-1]:.2g}, no vanishing; "
    f"but with Glorot every layer's gradient is about **{np.median(rh / rg):.0f}×** "
    f"smaller than with He: the **initialisation** sets the scale.")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Weight initialisation: the variance argument
#
# A unit sums fan_in terms, $z = \sum_i a_i w_i$. With independent zero-mean weights,
# $\operatorname{Var}(z) = \text{fan\_in} \cdot \operatorname{Var}(w) \cdot \mathbb{E}[a^2]$.
#
# * ReLU zeroes the negative half of a symmetric $z$: $\mathbb{E}[a^2] = \operatorname{Var}(z)/2$. To keep
#   $\mathbb{E}[a^2]$ the same in every layer, $\operatorname{Var}(w) = 2/\text{fan\_in}$: **He** initialisation
#   (He et al., 2015), $w \sim \mathcal{N}(0, 2/\text{fan\_in})$.
# * tanh is linear near 0: the forward pass wants $\operatorname{Var}(w) = 1/\text{fan\_in}$, the backward pass
#   (BP2 sums over the units above) $1/\text{fan\_out}$. **Glorot/Xavier** (Glorot and Bengio, 2010) takes
#   $\operatorname{Var}(w) = 2/(\text{fan\_in} + \text{fan\_out})$; Keras's default `glorot_uniform` draws
#   $U(-r, r)$, $r = \sqrt{6/(\text{fan\_in} + \text{fan\_out})}$ (variance $r^2/3$).

# %% slideshow={"slide_type": "subslide"}
inits = {"He": "he", "Glorot": "glorot", "N(0, 1)": 1.0, "N(0, 0.01²)": 0.01}
width, depth = 256, 10      # square layers; input: N(0, 1) noise, E[a^2] = 1
variances = {(act, label): backprop.activation_variances(act, init, width, depth)
             for act in ("relu", "tanh") for label, init in inits.items()}
say(f"{depth} layers of {width} units: the mean square of each layer's output.")

# %% slideshow={"slide_type": "subslide"} tags=["remove-input"]
bpw.plot_activation_variances(variances)
plt.show()

# %% slideshow={"slide_type": "fragment"} tags=["remove-input"]
he, glorot = variances[("relu", "He")], variances[("relu", "Glorot")]
factor = (glorot[-1] / glorot[0]) ** (1 / (depth - 1))
say(f"ReLU + He stays of order 1 (layer {depth}: {he[-1]:.2f}); ReLU + Glorot shrinks by "
    f"**{factor:.2f}** per layer (layer {depth}: {glorot[-1]:.4f}, and $2^{{-{depth}}}$ = "
    f"{2.0**-depth:.4f}); N(0, 1) explodes, N(0, 0.01²) vanishes; tanh + N(0, 1) "
    f"saturates at {variances[('tanh', 'N(0, 1)')][-1]:.2f}.")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Try it.** Square ReLU layers (fan_in = fan_out = $n$) initialised with Glorot: by what factor does
# $\mathbb{E}[a^2]$ change from one layer to the next? Check against the measured factor above.

# %% [markdown] slideshow={"slide_type": "fragment"}
# <details><summary>Answer</summary>
#
# $\operatorname{Var}(w) = 2/(n + n) = 1/n$, so $\operatorname{Var}(z) = n \cdot \frac1n \cdot \mathbb{E}[a^2]$ and ReLU
# keeps half: a factor $\frac12$ per layer, $2^{-10}$ after ten layers; the measured factor is printed above.
# He's $2/n$ exactly cancels the half.
# </details>

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Explore: depth, activation, initialisation

# %%
from coursekit.widgets.backprop import VanishingGradientWidget

vanishing = VanishingGradientWidget()
vanishing

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Increase the depth with sigmoid: each extra layer divides the first layer's gradient
# further, whichever initialisation you pick. Switch to ReLU: the bars stay level; switch its initialisation
# to Glorot: still level, but every bar drops. tanh (derivative up to 1, centred at 0) does not vanish at
# this depth either: ask the class why sigmoid differs (σ' ≤ ¼ and outputs that are all positive).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Training, validation and test sets
#
# * **training set**: the only data the gradient steps see;
# * **validation set**: used to *choose* (hyper-parameters, the epoch to stop at, the model); never
#   trained on, but choices tuned on it make its score slightly optimistic;
# * **test set**: used once, at the end: the honest estimate of performance on new data.
#
# Any statistic of the data (e.g. means and deviations to standardise the inputs) comes from the
# training set alone. The 8 × 8 digits, shuffled and cut 60 / 20 / 20 %:

# %% slideshow={"slide_type": "subslide"}
splits = backprop.digits_splits(val_fraction=0.2, test_fraction=0.2, seed=0)
x_tr, y_tr = splits["train"]
x_va, y_va = splits["val"]
start = backprop.init_mlp([64, 16, 10], seed=0)
digits_params, digits_hist = backprop.train_mlp(
    x_tr, y_tr, start, learning_rate=0.1, epochs=60, batch_size=32, l2=1e-3,
    x_val=x_va, y_val=y_va, patience=10, seed=0)   # validation: early stopping

# %% tags=["remove-input"]
n_images = sum(len(xs) for xs, _ in splits.values())
rows = []
for name, (xs, ys) in splits.items():
    pred = backprop.mlp_forward(xs, digits_params).argmax(1)
    rows.append((name, len(xs), len(xs) / n_images, np.mean(pred == ys.argmax(1))))
table(rows, ["set", "images", "share", "accuracy"],
      formats={"share": "{:.0%}", "accuracy": "{:.1%}"},
      caption=f"64-16-10 ReLU MLP, weights of epoch {digits_hist['best_epoch'] + 1} "
              f"(best validation loss)")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### What the hidden units learn
#
# Each hidden unit of the first layer computes $\mathbf{x} \cdot W_{:,j}$: its 64 weights, drawn as an
# 8 × 8 image, are the pattern of ink that excites it (red) or inhibits it (blue). The title names the
# digit the unit votes for most (its largest weight into the output layer).

# %% tags=["remove-input"]
bpw.plot_hidden_units(digits_params[0][0], digits_params[1][0])
plt.show()

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Look for strokes and blobs: a bar, a loop, ink here and no ink there, rarely a whole
# digit; each unit serves several digits (its vote is only its strongest). The images are noisy: 8 × 8 inputs,
# few units, short training. Lecture 4's convolutional filters learn such local detectors once and slide them.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Over-fitting and regularisation
#
# A network with two hidden layers of 64 units, trained on a handful of noisy points (two half-moons),
# can memorise them: the training loss keeps falling while the **validation** loss turns up.
# Remedies from the lecture notes:
#
# * **L1** ($\lambda\sum|w|$) and **L2** ($\lambda\sum w^2$) penalties on the weights;
# * **dropout**: switch off each hidden unit with probability $p$ at every training step;
# * **early stopping**: keep the weights of the epoch with the best validation loss.

# %%
from coursekit.backprop import moons, regularization_runs

data = moons()           # (x_train, y_train, x_val, y_val)
n_weights = sum(k.size + b.size for k, b in backprop.init_mlp([2, 64, 64, 2]))
say(f"{n_weights:,} weights and biases; **{len(data[0])}** training points, "
    f"{len(data[2])} validation points.")

# %% slideshow={"slide_type": "subslide"} tags=["remove-input"]
runs = regularization_runs(data)
bpw.plot_regularization(runs, data)
plt.show()

# %% slideshow={"slide_type": "subslide"} tags=["remove-input"]
def kept(h):   # early stopping keeps the best epoch's weights
    return h["best_epoch"] if h["stopped_early"] else -1

table([(name, h["loss"][kept(h)], h["val_loss"][kept(h)], h["val_accuracy"][kept(h)],
        h["best_epoch"] + 1, len(h["loss"])) for name, (_, h) in runs.items()],
      ["run", "train loss", "val loss", "val accuracy", "best val epoch", "epochs run"],
      formats={"train loss": "{:.3f}", "val loss": "{:.3f}", "val accuracy": "{:.1%}"})

# %% slideshow={"slide_type": "fragment"} tags=["remove-input"]
final_val = {name: h["val_loss"][kept(h)] for name, (_, h) in runs.items()}
best_run = min(final_val, key=final_val.get)
plain = runs["no regularisation"][1]
say(f"Without regularisation the validation loss is lowest at epoch "
    f"{plain['best_epoch'] + 1} and ends at {plain['val_loss'][-1]:.3f}. On this run "
    f"**{best_run}** keeps it lowest ({final_val[best_run]:.3f}).")

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Read the top panel: every dashed (training) curve goes down; the unregularised validation
# curve climbs after its best epoch (table): the network becomes confidently wrong on unseen points. The
# bottom row shows the unregularised boundary bending around individual training points. Which remedy wins
# depends on the data and the strengths chosen: this is one run, not a ranking.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### L1 and L2: what the update does to a weight
#
# The L1 term's gradient is $\lambda\,\text{sign}(w)$. The plain (sub)gradient step moves every weight by
# $\eta\lambda$ towards 0 and *overshoots*: weights jitter around 0, almost none is exactly 0. Keras's
# `kernel_regularizer=L1` takes this same step. Exact zeros need the **proximal** step (soft-threshold, as in
# Lasso solvers): $w \leftarrow \text{sign}(w)\max(|w| - \eta\lambda, 0)$. L2's gradient $2\lambda w$ shrinks
# each weight in proportion to its size.

# %%
l1 = backprop.REGULARIZATION_SETTINGS["L1 (3e-3)"]["l1"]
proximal = {"L1 proximal": {"l1": l1, "l1_step": "proximal"}}
runs.update(regularization_runs(data, settings=proximal))
compared = ["no regularisation", "L1 (3e-3)", "L1 proximal", "L2 (1e-2)"]
stats = {name: backprop.weight_stats(runs[name][0]) for name in compared}
table([(name, s["n"], s["exact_zeros"], s["near_zero"], s["max_abs"])
       for name, s in stats.items()],
      ["run", "weights", "exactly 0", "|w| < 0.001", "largest |w|"],
      formats={"largest |w|": "{:.2f}"})

# %% slideshow={"slide_type": "subslide"} tags=["remove-input"]
bpw.plot_l1_weights(runs, ["L1 (3e-3)", "L1 proximal", "L2 (1e-2)"])
plt.show()

# %% slideshow={"slide_type": "fragment"} tags=["remove-input"]
none_s, l2_s = stats["no regularisation"], stats["L2 (1e-2)"]
say(f"Ledda's seminar (Cagliari Digital Lab) says L2 'penalizes sparsity but enforces the "
    f"magnitude' of the weights. L2 *shrinks* the magnitude (largest weight "
    f"{none_s['max_abs']:.2f} → {l2_s['max_abs']:.2f}) and does not favour zeros "
    f"({l2_s['exact_zeros']} exact zeros): it spreads the weight over many small values.")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Dropout at training time and at test time
#
# Training: each unit is zeroed with probability $p$ (Keras's `rate`). **Inverted dropout** (Keras,
# `coursekit`) multiplies the survivors by $1/(1-p)$, so each unit's *expected* output equals its input, and
# at test time the layer does nothing. Original dropout (Srivastava et al., 2014) does not scale during
# training and multiplies by the keep probability $1 - p$ at test time. The Bologna notes drop with
# probability $p$ but weight by $p$ at test time: it must be $1 - p$.

# %% slideshow={"slide_type": "subslide"}
import keras

rate, x_ones = 0.3, np.ones((1, 100_000), dtype="float32")
ours, _ = backprop.dropout_forward(x_ones, rate, rng=0)
layer = keras.layers.Dropout(rate, seed=0)
outs = {"coursekit, training": ours,
        "Keras, training=True": np.asarray(layer(x_ones, training=True)),
        "Keras, training=False": np.asarray(layer(x_ones, training=False))}

# %% tags=["remove-input"]
def kept_values(v):
    return ", ".join(f"{u:.4f}" for u in np.unique(v[v != 0]))

table([(name, np.mean(v == 0), kept_values(v), v.mean()) for name, v in outs.items()],
      ["input 1.0 →", "share zeroed", "kept values", "mean"],
      formats={"share zeroed": "{:.3f}", "mean": "{:.3f}"},
      caption=f"rate p = {rate}, 1/(1 - p) = {1 / (1 - rate):.4f}")

# %% slideshow={"slide_type": "fragment"} tags=["remove-input"]
p_note = 0.1   # the rate the Bologna notes suggest
say(f"With the notes' p = {p_note}: a unit's expected training output (no scaling) is "
    f"{1 - p_note:.1f} × its value; weighting by p at test time gives {p_note:.1f} ×, "
    f"**{(1 - p_note) / p_note:.0f} times** too small.")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# * Backprop = the chain rule applied node by node, right to left, reusing the forward values.
# * BP1–BP4 give every layer's gradients from one forward and one backward pass; the backward pass costs
#   about two forward passes. Row (Keras) or column (Nielsen, MATLAB) convention: the same equations transposed.
# * The MATLAB `SGD_method` and `DeepLearning` run in NumPy; their delta is minus ∂E/∂z, so they add.
# * One hidden layer can approximate any continuous function; depth can do it with exponentially fewer units.
# * Sigmoid gradients vanish with depth whatever the initialisation; He/Glorot keep the activations' scale.
# * Train on the training set, choose on the validation set, report the test set once.
# * Small data + big network over-fits; L1 (exact zeros only with a proximal step), L2, dropout (inverted:
#   scale at training, identity at test) and early stopping fight it.
