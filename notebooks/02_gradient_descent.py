# %% [markdown] slideshow={"slide_type": "slide"}
# # Lecture 2 — Gradient descent
#
# How a network finds its weights: follow the slope of the cost downhill. The learning rate,
# a non-convex surface seen in an animation, SGD vs batch vs mini-batch, and the optimizers
# (momentum, Nesterov, RMSProp, Adam) racing in a narrow valley.
#
# *Every number is computed by the code next to it (module `coursekit.gradient_descent`).*

# %% slideshow={"slide_type": "skip"}
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

from coursekit.style import setup_lecture

setup_lecture()   # course style (colour-blind-safe, projector-sized), one BLAS thread

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The cost as a function of the prediction
#
# Lecture 1's neuron predicted $P$ for a man whose expected output is $E = 0$; the squared-error
# cost is $C(P) = (P - E)^2$. Its **slope** (derivative) is $C'(P) = 2(P - E)$:
#
# * slope **positive** → decrease $P$ by a fraction of the slope;
# * slope **negative** → increase $P$;
# * slope **zero** → we are at the minimum.
#
# $$P_{\text{next}} = P - \text{LR} \cdot C'(P) \qquad \text{(LR = learning rate)}$$

# %% slideshow={"slide_type": "-"}
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

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Learning rate: too low, too high
#
# Each step multiplies the error $P - E$ by $(1 - 2\,\text{LR})$. A small LR creeps; LR = 0.5
# lands in one step; between 0.5 and 1 the prediction jumps across and oscillates inward; above 1
# it **diverges**. *"Too high → output wanders around the expected solution; too low → fails to
# converge to an acceptable solution."*

# %% slideshow={"slide_type": "subslide"}
fig, axes = plt.subplots(1, 4, figsize=(12, 3.5), sharey=True, layout="constrained")
for ax, lr in zip(axes, (0.05, 0.3, 0.9, 1.05)):
    path = gradient_descent(lambda p: 2 * (p - E), np.array([P0]), lr, 12)[:, 0]
    ax.plot(ps, (ps - E) ** 2, color="gray", lw=1)
    ax.plot(np.clip(path, -1, 1), np.clip(path - E, -1, 1) ** 2, "-o", ms=4)
    ax.set(title=f"LR = {lr}: cost {(path[-1] - E) ** 2:.2g}", xlabel="P", xlim=(-1, 1), ylim=(-0.05, 1.05))
plt.show()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Try it: learning rate and start
#
# The widget runs `gradient_descent` on $C(P) = (P - E)^2$: left the steps on the parabola, right
# the cost per step on a log scale.

# %% slideshow={"slide_type": "-"}
from coursekit.widgets.gradient_descent import LearningRateWidget

lr_widget = LearningRateWidget(start=round(P0, 2))
lr_widget

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Drag the learning rate slowly from 0.01 to 1.5 and name the regimes as the title changes:
# too low, good, oscillates, diverges. The boundary values 0.5 and 1 come from the factor
# (1 - 2 LR); for a cost with curvature c they are 1/c and 2/c.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A harder surface: the difference of two Gaussians
#
# Real costs are not parabolas. The Bologna lesson notes' animation uses
# $f(\mathbf{x}) = 10\,(\mathcal{N}(\mathbf{x}; \mu_2, \Sigma_2) - \mathcal{N}(\mathbf{x}; \mu_1, \Sigma_1))$:
# a **well** around $\mu_1 = (0, 0)$, a **hill** around $\mu_2 = (1, 1)$ and an almost flat **plateau** far away.
# Gradient descent is *local*: where it ends depends on where it starts.
#
# We descend from every point of a 25 × 25 grid at once and sort the paths by what they do:

# %% slideshow={"slide_type": "-"}
from coursekit.gradient_descent import find_demo_starts, gaussians_f

demo = find_demo_starts(learning_rate=0.1, num_steps=200)
print(f"bottom of the well: ({demo.minimum[0]:.3f}, {demo.minimum[1]:.3f}), f = {gaussians_f(demo.minimum):.4f}")
print("behaviour of the 625 grid starts:", demo.counts)
for label, start in demo.starts.items():
    print(f"  chosen to show '{label}': start ({start[0]:.2f}, {start[1]:.2f}), f = {gaussians_f(start):.4f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The animation
#
# Same learning rate (0.1) for the three chosen starts: one **converges** into the well, one starts
# high on the hill and **crosses** it down into the well, one sits on the **plateau** where the
# gradient is nearly zero and barely moves.

# %% slideshow={"slide_type": "-"}
from coursekit.animation import animation_html
from coursekit.widgets.gradient_descent import gaussians_animation

anim = gaussians_animation(list(demo.starts.values()), list(demo.starts), demo.learning_rate, demo.num_steps,
                           max_frames=24)
animation_html(anim)

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** The plateau start is the important one: the gradient there is ~1e-3 and the step is
# lr times that. A loss curve that is flat does not mean "converged"; it may mean "stuck on a
# plateau". Momentum (later in this lecture) helps to roll across flat regions.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Try it: start point and learning rate
#
# The Bologna notes tried the starts (0.8, 1.31) and (0.8, 1.41): 0.1 apart, on either side of the
# ridge of the hill. Set them and compare; then raise the learning rate.

# %% slideshow={"slide_type": "-"}
from coursekit.data import TWO_GAUSSIANS_STARTS
from coursekit.gradient_descent import classify_paths, gaussians_grad
from coursekit.widgets.gradient_descent import StartPointWidget

paths = gradient_descent(gaussians_grad, TWO_GAUSSIANS_STARTS, 0.1, 200)     # all four starts at once
for s, label in zip(TWO_GAUSSIANS_STARTS, classify_paths(paths, demo.minimum)):
    print(f"start ({s[0]:.2f}, {s[1]:.2f}): {label}")
start_widget = StartPointWidget(*TWO_GAUSSIANS_STARTS[0])
start_widget

# %% [markdown] slideshow={"slide_type": "slide"}
# ## SGD, batch and mini-batch
#
# The cost of a data set is the *mean* over its samples, so is its gradient. How many samples do we
# use per weight update?
#
# * **SGD** (stochastic): one sample, update immediately — cheap, noisy (the MATLAB `SGD_method`).
# * **Batch**: all samples, average the gradients, one update per epoch — accurate, expensive.
# * **Mini-batch**: a slice (e.g. 10 samples), several updates per epoch — the robustness of SGD
#   with the efficiency of batch; the standard choice.
#
# Below: lecture 1's neuron trained on the 108 men (features standardized, squared-error cost).

# %% slideshow={"slide_type": "-"}
from coursekit.data import height_abdomen, standardize
from coursekit.widgets.gradient_descent import plot_batch_comparison

train = height_abdomen("training")
xs, mean, std = standardize(train.x)
fig, histories = plot_batch_comparison(xs, train.y, batch_sizes=(1, 10, None), learning_rate=0.5, epochs=30)
plt.show()
for label, h in histories.items():
    print(f"{label:<22} {h.updates_per_epoch:>3} updates/epoch, loss after 30 epochs {h.loss[-1]:.4f}")

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Same number of epochs (passes over the data), very different numbers of updates: SGD
# makes 108 per epoch and gets furthest, batch makes one. Per update, batch is the most accurate.
# On a GPU a mini-batch costs about as much as one sample, which is why mini-batches win in practice.
# The right panel shows SGD's zig-zag in weight space.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Beyond plain gradient descent
#
# Keras's update rules (the ones `coursekit` reproduces exactly):
#
# * **Momentum**: $v \leftarrow \mu v - \eta \nabla L$, $\;w \leftarrow w + v$ — a ball rolling downhill keeps its
#   speed across flat parts and damps zig-zags.
# * **Nesterov**: the same, but the gradient is taken after the momentum step ("look ahead").
# * **RMSProp**: $s \leftarrow \rho s + (1 - \rho) g^2$, $\;w \leftarrow w - \eta\, g / \sqrt{s + \epsilon}$ — one step
#   size per weight, large where gradients are small.
# * **Adam**: momentum on $g$ and RMSProp on $g^2$, with bias correction.
#
# The test track: an **elongated valley** $f = \tfrac12(0.1u^2 + 4v^2)$, 40 times steeper across than along.
# Plain gradient descent must keep $\eta < 2/4$ to stay stable across, and then crawls along.

# %% slideshow={"slide_type": "subslide"}
from coursekit.widgets.gradient_descent import OptimizerRaceWidget

race = OptimizerRaceWidget()
race

# %% slideshow={"slide_type": "-"}
for name, loss in race.state["final_loss"].items():
    print(f"{name:<9} f after {race.num_steps.value} steps: {loss:.3g}")

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Things to try live: momentum 0 makes momentum/nesterov identical to SGD; momentum 0.99
# overshoots and spirals; a large SGD learning rate (> 0.5) diverges across the valley; RMSProp and
# Adam normalise each coordinate, so they move along the flat direction as fast as across.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# * Gradient descent: $w \leftarrow w - \eta \nabla L(w)$. The learning rate decides creep, convergence, oscillation
#   or divergence.
# * On a non-convex surface the result depends on the start: well, other side of a hill, or stuck on a plateau.
# * SGD / mini-batch / batch trade noise for cost per update.
# * Momentum, Nesterov, RMSProp, Adam fix plain descent's weaknesses in narrow valleys and flat regions.
#
# **Next lecture:** computing $\nabla L$ for every weight of a deep network — backpropagation.
