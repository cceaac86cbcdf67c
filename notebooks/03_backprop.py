# %% [markdown] slideshow={"slide_type": "slide"}
# # Lecture 3 — Backpropagation
#
# The chain rule, by hand and as a computational graph; the four backpropagation equations;
# the lecture's MATLAB programs in NumPy; vanishing gradients; over-fitting and regularisation.
#
# *Every number is computed by the code next to it (module `coursekit.backprop`).*

# %% slideshow={"slide_type": "skip"}
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

from coursekit.style import setup_lecture

setup_lecture()   # course style (colour-blind-safe, projector-sized), one BLAS thread

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

# %% slideshow={"slide_type": "-"}
from coursekit import backprop
from coursekit.gradient_descent import numerical_gradient

a1, a2, E = 2.0, 5.0, 1.0
theta = np.array([0.0006, 0.0002, 1.0])          # w1, w2, b: the lecture's weights

def cost(th):
    return backprop.sigmoid_neuron_cost(th[0], th[1], th[2], a1, a2, E)

by_hand = np.array(backprop.sigmoid_neuron_gradients(*theta, a1, a2, E))
numeric = numerical_gradient(cost, theta)
print(f"cost C = {cost(theta):.6f}")
print("by hand (chain rule):", np.array2string(by_hand, precision=8))
print("central differences :", np.array2string(numeric, precision=8))
print(f"relative error {backprop.gradient_check(cost, theta, by_hand):.2e}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The same for lecture 1's man (H = 185, AC = 85, E = 0)
#
# The slides subtracted 0.0001 from $w_1$ and $w_2$. The real gradient is far from equal for the
# two weights: $\partial C/\partial w_i$ carries the input $a_i$, and 185 ≠ 85.

# %% slideshow={"slide_type": "-"}
theta_h = np.array([0.0006, 0.0002, 1.0])

def cost_h(th):
    return backprop.sigmoid_neuron_cost(th[0], th[1], th[2], 185.0, 85.0, 0.0)

grad_h = np.array(backprop.sigmoid_neuron_gradients(*theta_h, 185.0, 85.0, 0.0))
print("dC/dw1, dC/dw2, dC/db =", np.array2string(grad_h, precision=4))
print(f"ratio dC/dw1 / dC/dw2 = {grad_h[0] / grad_h[1]:.4f} = 185 / 85 = {185 / 85:.4f}")
print(f"relative error vs central differences {backprop.gradient_check(cost_h, theta_h, grad_h):.2e}")

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

# %% slideshow={"slide_type": "subslide"}
from coursekit.widgets.backprop import plot_computational_graph

fig, graph = plot_computational_graph(a1, a2, *theta, E)
plt.show()
graph_grads = np.array([graph["w1"][1], graph["w2"][1], graph["b"][1]])
print("graph gradients equal the hand derivatives:", np.allclose(graph_grads, by_hand))

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Walk the graph right to left: 1 at C, times 2(p - E) gives dC/dp, times p(1 - p) gives
# dC/dt, the + node copies it to b and both products, each product multiplies by the other factor.
# Every node needs only its own forward values: this is why the forward pass stores them.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Backpropagation in vector form: BP1–BP4
#
# For layer $l$: $\mathbf{z}^l = W^l \mathbf{a}^{l-1} + \mathbf{b}^l$, $\mathbf{a}^l = \sigma(\mathbf{z}^l)$;
# define the error $\boldsymbol\delta^l = \partial E / \partial \mathbf{z}^l$. Then
#
# $$\text{(BP1)}\;\; \boldsymbol\delta^L = \nabla_a E \odot \sigma'(\mathbf{z}^L) \qquad
# \text{(BP2)}\;\; \boldsymbol\delta^l = ((W^{l+1})^T \boldsymbol\delta^{l+1}) \odot \sigma'(\mathbf{z}^l)$$
# $$\text{(BP3)}\;\; \frac{\partial E}{\partial b^l_j} = \delta^l_j \qquad
# \text{(BP4)}\;\; \frac{\partial E}{\partial w^l_{jk}} = a^{l-1}_k \delta^l_j$$
#
# With softmax + cross-entropy at the output, BP1 simplifies to $\boldsymbol\delta^L = \mathbf{p} - \mathbf{y}$.
# One forward pass (store every $\mathbf{z}^l$, $\mathbf{a}^l$), one backward pass: all gradients
# for the price of about two forward passes.

# %% slideshow={"slide_type": "subslide"}
rng = np.random.default_rng(0)
x = rng.normal(size=(8, 4))
y = np.eye(3)[rng.integers(0, 3, size=8)]
params = backprop.init_mlp([4, 6, 5, 3], seed=0)
loss, grads = backprop.mlp_backward(x, y, params, hidden_activation="sigmoid")
print(f"loss {loss:.6f}")
for layer, ((W, b), (dW, db)) in enumerate(zip(params, grads), start=1):
    def f(W_layer, layer=layer):
        p = [(W_layer if i == layer else Wi, bi) for i, (Wi, bi) in enumerate(params, start=1)]
        return backprop.mlp_backward(x, y, p, hidden_activation="sigmoid")[0]
    error = backprop.gradient_check(f, W, dW)
    print(f"layer {layer}: dE/dW {dW.shape}, relative error vs central differences {error:.2e}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The lecture's MATLAB programs, in NumPy
#
# `SGD_method.m` trains one sigmoid neuron with the delta rule on four inputs (the third input is a
# constant 1, i.e. the bias); the correct output is the first input. `coursekit.backprop.sgd_method`
# is a line-by-line port (MATLAB line in the comment of each Python line).

# %% slideshow={"slide_type": "-"}
import inspect

weight, outputs = backprop.training_sgd_method(epochs=10000, seed=0)
print("trained weight:", np.array2string(weight, precision=3))
for row, out, d in zip(backprop.SGD_INPUT, outputs, backprop.SGD_CORRECT_OUTPUT):
    print(f"input {row.astype(int)}  output {out:.4f}  correct {d:.0f}")
print()
source = inspect.getsource(backprop.sgd_method)
print(source[source.index("    # alpha"):])     # the loop, MATLAB beside each line

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Show the side-by-side comments: a MATLAB reader can check the port line by line.
# delta = y (1 - y) (d - y) is exactly BP1 for the squared error with a sigmoid output.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### `DeepLearning.m`: three ReLU layers and a softmax on 5 × 5 digits
#
# Five 5 × 5 images of the digits 1–5 (0 = ink, as in the slides), three hidden ReLU layers of 20
# units, a softmax output of 5. Trained with per-sample backpropagation (BP1 = $\mathbf{d} - \mathbf{y}$,
# BP2 with the ReLU derivative $z > 0$, BP4 outer products).

# %% slideshow={"slide_type": "-"}
from coursekit.data import digits_5x5

images, onehot, digit_labels = digits_5x5()
w = backprop.training_network(images, onehot, epochs=3000, seed=0)   # the MATLAB script runs 10,000
probs = backprop.deep_learning_predict(*w, images)
fig, axes = plt.subplots(1, 5, figsize=(10, 2.6), layout="constrained")
for ax, img, p, lab in zip(axes, images, probs, digit_labels):
    ax.imshow(img, cmap="gray", vmin=0, vmax=1)
    ax.set(xticks=[], yticks=[], title=f"{lab}: predicted {digit_labels[p.argmax()]}\n(p = {p.max():.3f})")
plt.show()
print("softmax outputs (rows: images of 1..5):")
print(np.array2string(probs, precision=3, suppress_small=True))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Vanishing gradients
#
# BP2 multiplies by $\sigma'(\mathbf{z}^l)$ once per layer. The sigmoid's derivative is at most
# 0.25, so in a deep sigmoid network the first layers receive gradients many orders of magnitude
# smaller than the last — they barely learn. ReLU's derivative is exactly 1 on active units.
# Measured layer by layer on fresh networks with 8 hidden layers (8 × 8 digits):

# %% slideshow={"slide_type": "-"}
from coursekit.backprop import vanishing_data

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

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Try it: depth and activation

# %% slideshow={"slide_type": "-"}
from coursekit.widgets.backprop import VanishingGradientWidget

vanishing = VanishingGradientWidget()
vanishing

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Increase the depth with sigmoid: each extra layer divides the first layer's gradient by
# roughly 4 (the 0.25 bound). Switch to ReLU: the bars stay level. tanh sits in between.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Over-fitting and regularisation
#
# A network with 2 × 64 hidden units has thousands of weights; given only 30 noisy points it can
# memorise them. The training loss keeps falling while the **validation** loss (500 unseen points)
# turns up: over-fitting. Remedies from the lecture:
#
# * **L1** ($\lambda\sum|w|$, pushes weights to exactly 0) and **L2** ($\lambda\sum w^2$, keeps them small) penalties;
# * **dropout**: switch off each hidden unit with probability $p$ at every training step;
# * **early stopping**: keep the weights of the epoch with the best validation loss.

# %% slideshow={"slide_type": "subslide"}
from coursekit.backprop import moons, regularization_runs
from coursekit.widgets.backprop import plot_regularization

data = moons()
runs = regularization_runs(data)
plot_regularization(runs, data)
plt.show()
for name, (_, h) in runs.items():
    end = h["best_epoch"] if h["stopped_early"] else -1
    print(f"{name:<30} train loss {h['loss'][end]:.3f}   validation loss {h['val_loss'][end]:.3f}"
          + (f"   (stopped, best epoch {h['best_epoch']})" if h["stopped_early"] else ""))

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Read the top panel: every dashed (training) curve goes down; the solid blue (no
# regularisation) validation curve climbs after the first epochs: the network becomes confidently
# wrong on unseen points. L2 keeps the validation loss lowest here. The bottom row shows the
# unregularised boundary bending around individual training points.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# * Backprop = the chain rule applied node by node, right to left, reusing the forward values.
# * Checked: the lecture's hand derivatives equal central differences (relative error ~1e-10).
# * BP1–BP4 give every layer's gradients from one forward and one backward pass.
# * The MATLAB `SGD_method` and `DeepLearning` run in NumPy and learn their tasks.
# * Sigmoid gradients vanish with depth; ReLU's do not.
# * Small data + big network over-fits; L1/L2, dropout and early stopping fight it.
