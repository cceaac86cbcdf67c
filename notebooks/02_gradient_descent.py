# %% [markdown] slideshow={"slide_type": "slide"}
# # Lecture 2 — Gradient descent
#
# How a network finds its weights: follow the slope of the cost downhill. The learning rate and the
# curvature that bounds it, a non-convex surface seen in an animation, SGD vs batch vs mini-batch,
# why standardized inputs train faster, the optimizers (momentum, Nesterov, RMSprop, Adam) with the
# exact formulas Keras uses, and training a Keras model with `compile` and `fit`.
#
# *Every number is computed by the code next to it (module `coursekit.gradient_descent`).*

# %% slideshow={"slide_type": "skip"}
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

from coursekit.display import say, table
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

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Lecture 1's neuron, one point on the cost

# %%
from coursekit import neuron
from coursekit.gradient_descent import gradient_descent

E = 0.0
P0 = float(neuron.sigmoid(185 * 0.0006 + 85 * 0.0002 + 1))  # lecture 1
slope = 2 * (P0 - E)

# %% tags=["remove-input"]
say(f"Start: $P = {P0:.4f}$, cost $C = {(P0 - E) ** 2:.4f}$, "
    f"slope $C'(P) = {slope:.4f}$.")

# %% tags=["remove-input"]
ps = np.linspace(-0.2, 1.0, 200)
fig, ax = plt.subplots(figsize=(9, 3.6))
ax.plot(ps, (ps - E) ** 2, label="cost $(P - E)^2$")
ax.plot(ps, (P0 - E) ** 2 + slope * (ps - P0), "--", label=f"tangent at P = {P0:.4f}")
ax.plot(P0, (P0 - E) ** 2, "o", ms=10)
ax.set(xlabel="prediction P", ylabel="cost", ylim=(-0.1, 1.0))
ax.legend(loc="upper left")
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Learning rate: too low, too high
#
# Each step multiplies the error $P - E$ by $(1 - \text{LR}\cdot C'')$, where $C'' = 2$ is the
# **curvature** (second derivative) of the cost. A small LR creeps; $\text{LR} = 1/C''$ lands in one
# step; between $1/C''$ and $2/C''$ the prediction jumps across and oscillates inward; above $2/C''$ it
# **diverges**. *"Too high → output wanders around the expected solution; too low → fails to
# converge to an acceptable solution"* (Salvatore, IUSS Pavia).

# %%
C2 = 2.0                     # C''(P) = d/dP 2 (P - E)
say(f"One step lands on $E$ at LR = 1/C'' = **{1 / C2:g}**; descent "
    f"diverges above LR = 2/C'' = **{2 / C2:g}**.")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Four learning rates, twelve steps each

# %% tags=["remove-input"]
fig, axes = plt.subplots(1, 4, figsize=(11, 3.8), sharey=True, layout="constrained")
for ax, lr in zip(axes, (0.05, 0.3, 0.9, 1.05)):
    path = gradient_descent(lambda p: 2 * (p - E), np.array([P0]), lr, 12)[:, 0]
    ax.plot(ps, (ps - E) ** 2, color="gray", lw=1)
    ax.plot(np.clip(path, -1, 1), np.clip(path - E, -1, 1) ** 2, "-o", ms=4)
    ax.set(title=f"LR = {lr}\ncost {(path[-1] - E) ** 2:.2g}", xlabel="P", xlim=(-1, 1), ylim=(-0.05, 1.05))
plt.show()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Try it: learning rate
#
# **Try it.** Predict the learning rate that reaches $E$ in one step and the one from which the steps
# diverge; then check both with the widget (left: steps on the parabola; right: cost per step).

# %% tags=["remove-input"]
from coursekit.widgets.gradient_descent import LearningRateWidget

LearningRateWidget(start=round(P0, 2))

# %% [markdown] slideshow={"slide_type": "fragment"}
# <details><summary>Answer</summary>
#
# One step lands on $E$ when $1 - \text{LR}\cdot C'' = 0$, i.e. LR = 1/C'' = 0.5 (title "good", the
# right panel drops to zero); the steps diverge when $|1 - \text{LR}\cdot C''| > 1$, i.e. LR > 2/C''
# = 1. For any quadratic cost the same holds with $C''$ replaced by the largest curvature.
# </details>

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Drag the learning rate slowly from the left end of the slider to the right end and
# name the regimes as the title changes: too low, good, oscillates, diverges. The boundary values come
# from the factor (1 - LR C''); for a cost with curvature c they are 1/c and 2/c.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A harder surface: the difference of two Gaussians
#
# Real costs are not parabolas. The Bologna lesson notes (after Andrea Asperti's slides) show an
# animation on a difference of two bivariate Gaussians; the notes give no parameters, so we take those
# of the notebook they show:
# $f(\mathbf{x}) = 10\,(\mathcal{N}(\mathbf{x}; \mu_2, \Sigma_2) - \mathcal{N}(\mathbf{x}; \mu_1, \Sigma_1))$,
# a **well** around $\mu_1 = (0, 0)$, a **hill** around $\mu_2 = (1, 1)$ and an almost flat **plateau**
# far away. Gradient descent is *local*: where it ends depends on where it starts.
#
# We descend from every point of a 25 × 25 grid at once and sort the paths by what they do:

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### 625 starts, one learning rate

# %%
from coursekit.gradient_descent import find_demo_starts, gaussians_f, gaussians_grad

demo = find_demo_starts(learning_rate=0.1, num_steps=200)

# %% tags=["remove-input"]
m = demo.minimum
say(f"{sum(demo.counts.values())} starts, learning rate **{demo.learning_rate:g}**, "
    f"{demo.num_steps} steps. Bottom of the well: ({m[0]:.3f}, {m[1]:.3f}), "
    f"f = {gaussians_f(m):.4f}.")
table(list(demo.counts.items()), ["behaviour", "grid starts"])

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### One start per behaviour

# %% tags=["remove-input"]
table([(label, f"({s[0]:.2f}, {s[1]:.2f})", gaussians_f(s),
        np.linalg.norm(gaussians_grad(s))) for label, s in demo.starts.items()],
      ["chosen to show", "start", "f(start)", "|gradient| at start"],
      formats={"|gradient| at start": "{:.1e}"})

# %% [markdown]
# The animation (next) runs these three starts at the same learning rate: one **converges** into the
# well, one starts high on the hill and **crosses** it down into the well, one sits on the **plateau**
# where the gradient is nearly zero and barely moves.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The animation

# %% tags=["remove-input"]
from coursekit.animation import animation_html
from coursekit.widgets.gradient_descent import gaussians_animation

anim = gaussians_animation(list(demo.starts.values()), list(demo.starts), demo.learning_rate, demo.num_steps,
                           max_frames=24)
animation_html(anim)

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** The plateau start is the important one: the table shows how small the gradient is
# there, and the step is the learning rate times that. A loss curve that is flat does not mean
# "converged"; it may mean "stuck on a plateau". Momentum (later in this lecture) helps to roll across
# flat regions.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Try it: start point
#
# **Try it.** The notebook the Bologna notes show starts from (0.8, 1.31) and from (0.8, 1.41), near
# the ridge of the hill. Set the widget to each: where does each path end?

# %% tags=["remove-input"]
from coursekit.widgets.gradient_descent import StartPointWidget

StartPointWidget(0.8, 1.31, learning_rate=demo.learning_rate)

# %% [markdown] slideshow={"slide_type": "fragment"}
# <details><summary>Answer</summary>
#
# (0.8, 1.31) lies on the well's side of the ridge: it runs down the hill and **crosses** into the
# well. (0.8, 1.41) lies just across the ridge: it **rolls off** the hill away from the well onto the
# plateau. Two starts close together end in completely different places: descent is local.
# </details>

# %% slideshow={"slide_type": "skip"}
# the answer, computed (in the notebook only, after the answer)
from coursekit.data import TWO_GAUSSIANS_STARTS
from coursekit.gradient_descent import classify_paths

paths = gradient_descent(gaussians_grad, TWO_GAUSSIANS_STARTS, demo.learning_rate, demo.num_steps)
labels = classify_paths(paths, demo.minimum)
table([(f"({s[0]:g}, {s[1]:g})", label) for s, label in zip(TWO_GAUSSIANS_STARTS, labels)],
      ["start", f"after {demo.num_steps} steps"])

# %% [markdown] slideshow={"slide_type": "slide"}
# ## SGD, batch and mini-batch
#
# The cost of a data set is the *mean* over its samples, and so is its gradient. How many samples do
# we use per weight update?
#
# * **SGD** (stochastic): one sample, update immediately: cheap, noisy (the MATLAB `SGD_method` of
#   Salvatore's notes; Ledda, Cagliari Digital Lab: samples picked at random).
# * **Batch**: all samples, average the gradients, one update per epoch: accurate, expensive.
# * **Mini-batch**: a slice of the samples, several updates per epoch: *"robustness of SGD,
#   efficiency of batch"* (Salvatore); the standard choice, and what Keras's `fit` does.
#
# Below: lecture 1's neuron trained on the men of Salvatore's table (features standardized: why, in
# the section after this one), squared-error cost, the same learning rate and epochs for each batch size.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### One neuron, three batch sizes

# %% tags=["remove-input"]
from coursekit.data import height_abdomen, standardize
from coursekit.widgets.gradient_descent import plot_batch_comparison

train = height_abdomen("training")
xs, mean, std = standardize(train.x)
EPOCHS = 30
fig, histories = plot_batch_comparison(xs, train.y, batch_sizes=(1, 10, None), learning_rate=0.5, epochs=EPOCHS,
                                       figsize=(10, 3.3))
plt.show()

# %% tags=["remove-input"]
table([(label, h.batch_size, h.updates_per_epoch, h.updates_per_epoch * EPOCHS, h.loss[-1])
       for label, h in histories.items()],
      ["method", "batch size", "updates / epoch", "updates in all", f"MSE after {EPOCHS} epochs"],
      formats={f"MSE after {EPOCHS} epochs": "{:.4f}"})

# %% tags=["remove-input"]
lowest = min(histories, key=lambda k: histories[k].loss[-1])
say(f"{len(train.x)} men; after the same {EPOCHS} epochs (the same number of gradient evaluations), "
    f"the lowest loss in this run is **{lowest}**'s.")

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Same number of epochs (passes over the data, so the same number of per-sample
# gradients computed), very different numbers of updates: SGD updates after every sample, batch once
# per epoch. Per update, batch is the most accurate direction; per epoch, many small noisy steps usually
# get further (the table says which did here). On a GPU a mini-batch's samples are processed in
# parallel, which is why mini-batches win in practice. The right panel shows SGD's zig-zag in weight
# space. Salvatore's notes add: small batches converge quickly at the cost of noise, large ones slowly
# with accurate estimates of the gradient.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Why standardize the inputs?
#
# Heights and abdomens in cm are large numbers, on different scales (table below).
# **Standardizing** maps each feature to mean 0 and standard deviation 1, with the *training* set's mean
# and standard deviation (reuse them, unchanged, for validation and test data):
# $x' = (x - \text{mean}) / \text{std}$.
#
# For a linear neuron $p = x\,w + b$ with squared error the Hessian (the matrix of second derivatives,
# the curvatures) is constant, $H = \tfrac{2}{n} \tilde X^\top \tilde X$ with $\tilde X = [x, 1]$.
# Its eigenvalues $\lambda$ decide everything: descent is stable for $\eta < 2/\lambda_{\max}$, and
# the flattest direction shrinks by $1 - \eta\,\lambda_{\min}$ per step, so the **condition number**
# $\kappa = \lambda_{\max}/\lambda_{\min}$ says how slow descent is.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The Hessian's eigenvalues, raw and standardized

# %%
from coursekit.gradient_descent import curvature, linear_mse_hessian

inputs = {"raw (cm)": train.x, "standardized": xs}   # xs: standardized
curv = {name: curvature(linear_mse_hessian(x))       # np.linalg.eigvalsh
        for name, x in inputs.items()}

# %% tags=["remove-input"]
say("Training set: " + ", ".join(f"{n} mean {m:.1f} cm, std {s:.1f} cm" for n, m, s
                                 in zip(train.feature_names, mean, std)) + ".")
cols = ["λ1", "λ2", "λ3", "κ = λmax/λmin", "stable η < 2/λmax", "steps to shrink 1000×"]
table([(name, *c.eigenvalues, c.condition_number, c.max_stable_lr,
        c.steps_to_shrink(1000, 1 / c.eigenvalues[-1])) for name, c in curv.items()],
      ["inputs"] + cols, formats={c: "{:.3g}" for c in cols})

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The same descent on raw and standardized inputs

# %% tags=["remove-input"]
from coursekit.gradient_descent import linear_mse_descent
from coursekit.widgets.gradient_descent import plot_conditioning

STEPS = 1000
runs = {name: linear_mse_descent(x, train.y, 1 / curv[name].eigenvalues[-1], STEPS) for name, x in inputs.items()}
fig = plot_conditioning({name: (r[1], r[3]) for name, r in runs.items()}, figsize=(10, 3.6))
plt.show()

# %% tags=["remove-input"]
gap = {name: r[1] - r[3] for name, r in runs.items()}
bias_err = abs(runs["raw (cm)"][0][-1, -1] - runs["raw (cm)"][2][-1])
reached = int(np.argmax(gap["standardized"] < 1e-12))
say(f"Each at η = 1/λmax (half its stability bound). After {STEPS} steps raw inputs are still "
    f"{gap['raw (cm)'][-1]:.2g} above the optimal loss (the bias is {bias_err:.3f} away from its optimum); "
    f"standardized inputs are within 1e-12 of it after **{reached}** steps.")

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** The raw Hessian has one huge eigenvalue (its eigenvector scales both weights
# together: the features are large and positive) and one tiny one (its eigenvector is almost exactly
# the bias: a change of b is nearly cancelled by a small change of the weights, because the features
# never come near 0): the stable learning rate is set by the first, the speed by the second.
# Standardizing makes the features zero-mean and unit-scale, so the eigenvalues become almost equal and
# any direction is as steep as any other. The same holds, approximately, for deep networks: that is why
# images are scaled to [0, 1] or standardized, and one motivation for batch normalization (lecture 5).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Beyond plain gradient descent: a narrow valley
#
# The test track for the optimizers: an **elongated valley** $f = \tfrac12(c_u u^2 + c_v v^2)$,
# flat along $u$, steep across ($v$). Its Hessian's eigenvalues are the two curvatures: plain gradient
# descent must keep $\eta < 2/\lambda_{\max}$ to stay stable across the valley, and then crawls along
# it, where each step shrinks the error only by $1 - \eta\,\lambda_{\min}$.

# %%
from coursekit.gradient_descent import valley_hessian

valley = curvature(valley_hessian())

# %% tags=["remove-input"]
lo, hi = valley.eigenvalues
say(f"Hessian eigenvalues (`np.linalg.eigvalsh`): **{lo:g}** and **{hi:g}**: the valley "
    f"is κ = **{valley.condition_number:.0f}** times more curved across than along. "
    f"Stable plain descent needs η < 2/λmax = **{valley.max_stable_lr:g}**; even the "
    f"best rate {valley.best_lr:.3f} shrinks the slow direction only by "
    f"{valley.contraction(valley.best_lr):.3f} per step.")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Momentum (Keras `SGD(momentum=μ)`)
#
# A ball rolling downhill keeps its speed across flat parts and damps zig-zags. With $g = \nabla L(w)$:
#
# $$v \leftarrow \mu\, v - \eta\, g, \qquad w \leftarrow w + v \qquad (v_0 = 0)$$
#
# The Bologna notes write "classic" momentum as $v^t = \mu \nabla L(w) + \alpha\, v^{t-1}$: there $\mu$
# is the **learning rate** (their descent rule is $w \leftarrow w - \mu \nabla L(w)$), $\alpha$ the
# momentum, and the step $w \leftarrow w - v^t$ is left implicit. Same path as Keras; their velocity
# is minus Keras's. Other texts write $v \leftarrow \mu v + g,\ w \leftarrow w - \eta v$: again the
# same path for a constant $\eta$, with a velocity scaled by $-1/\eta$.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Nesterov: look ahead, then the rewritten form Keras uses
#
# The Bologna notes: *first apply the momentum, then compute the gradient step*. The look-ahead form
# (Sutskever et al., 2013) takes the gradient at $w_t + \mu v_t$:
#
# $$v_{t+1} = \mu\, v_t - \eta\, \nabla L(w_t + \mu v_t), \qquad w_{t+1} = w_t + v_{t+1}$$
#
# Keras (`SGD(momentum=μ, nesterov=True)`) stores the **look-ahead point** $\tilde w_t = w_t + \mu v_t$
# as the weights, so the gradient is taken at the stored weights, $g = \nabla L(\tilde w)$:
#
# $$\tilde w_{t+1} = w_{t+1} + \mu v_{t+1} = \tilde w_t + \mu\, v_{t+1} - \eta\, g
# \quad\Longrightarrow\quad v \leftarrow \mu v - \eta g, \quad w \leftarrow w + \mu v - \eta g$$
#
# Same sequence of look-ahead points (both start at $w_0$, as $v_0 = 0$); Keras's final weights are
# the look-ahead point, $\mu v$ away from the notes' $w$.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Nesterov: the look-ahead form shifted by $\mu v$ is Keras's path

# %%
from coursekit.gradient_descent import elongated_valley_gradient as grad
from coursekit.gradient_descent import keras_minimize, nesterov_lookahead

start, lr, mu, steps = np.array([-9.0, 2.0]), 0.05, 0.9, 3
w, v = nesterov_lookahead(grad, start, lr, mu, steps)      # NumPy
k = keras_minimize(grad, start, "nesterov", steps, learning_rate=lr, momentum=mu)

# %% tags=["remove-input"]
def pair(p):
    return f"({p[0]:.6f}, {p[1]:.6f})"


table([(t, pair(w[t]), pair(w[t] + mu * v[t]), pair(k[t]), np.abs(w[t] + mu * v[t] - k[t]).max())
       for t in range(steps + 1)],
      ["step", "look-ahead form: w", "w + μ v", "Keras's weights", "max |difference|"],
      formats={"max |difference|": "{:.1e}"})

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### RMSprop and Adam (Keras's exact formulas)
#
# **RMSprop** (Keras `RMSprop`, no bias correction, $s_0 = 0$):
# $$s \leftarrow \rho\, s + (1 - \rho)\, g^2, \qquad w \leftarrow w - \eta\, \frac{g}{\sqrt{s + \epsilon}}$$
# Keras puts $\epsilon$ **inside** the root (Hinton's slides and PyTorch: $\sqrt{s} + \epsilon$).
#
# **Adam** (Keras `Adam`, step $t = 1, 2, \dots$, $m_0 = v_0 = 0$):
# $$m \leftarrow \beta_1 m + (1 - \beta_1)\, g, \quad v \leftarrow \beta_2 v + (1 - \beta_2)\, g^2, \quad
# \alpha_t = \eta\, \frac{\sqrt{1 - \beta_2^{\,t}}}{1 - \beta_1^{\,t}}, \quad
# w \leftarrow w - \alpha_t\, \frac{m}{\sqrt{v} + \epsilon}$$
# The paper (Kingma & Ba, Algorithm 1) corrects the averages' bias towards their start at 0,
# $\hat m = m / (1 - \beta_1^{\,t})$, $\hat v = v / (1 - \beta_2^{\,t})$, then steps
# $w \leftarrow w - \eta\, \hat m / (\sqrt{\hat v} + \epsilon)$. Keras folds the corrections into
# $\alpha_t$, which moves $\epsilon$: the two agree exactly only for $\epsilon = 0$.

# %% tags=["remove-input"]
from coursekit.gradient_descent import OPTIMIZERS

b2 = OPTIMIZERS["adam"]["beta_2"]
say(f"An ε in Keras's formula acts like $\\epsilon / \\sqrt{{1 - \\beta_2^t}}$ in the paper's: at $t = 1$ "
    f"with β2 = {b2} that is **{1 / np.sqrt(1 - b2):.1f}** times larger. Keras's defaults: "
    + ", ".join(f"{name} {hp}" for name, hp in OPTIMIZERS.items() if name in ("rmsprop", "adam")) + ".")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### coursekit's steps are Keras's steps
#
# Three steps on the valley from the same start with each optimizer: `coursekit.gradient_descent.minimize`
# (NumPy, the formulas above) next to Keras's `optimizer.apply_gradients` on a float64 variable.

# %%
from coursekit.gradient_descent import minimize

hyper = {"sgd": dict(learning_rate=0.05),
         "momentum": dict(learning_rate=0.05, momentum=0.9),
         "nesterov": dict(learning_rate=0.05, momentum=0.9),
         "rmsprop": dict(learning_rate=0.3), "adam": dict(learning_rate=0.3)}
ours = {n: minimize(grad, start, n, steps, **hp) for n, hp in hyper.items()}
theirs = {n: keras_minimize(grad, start, n, steps, **hp) for n, hp in hyper.items()}

# %% tags=["remove-input"]
table([(n, pair(ours[n][-1]), pair(theirs[n][-1]), np.abs(ours[n] - theirs[n]).max()) for n in hyper],
      ["optimizer", f"coursekit after {steps} steps", "Keras", "max |difference|"],
      formats={"max |difference|": "{:.1e}"})

# %% tags=["remove-input"]
say(f"The differences are rounding: Keras rounds its hyperparameters to float32 before using them "
    f"with float64 weights (0.9 becomes "
    f"{float(np.float32(0.9)):.9f}, β2 = {b2} becomes {float(np.float32(b2)):.9f}).")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The optimizer race
#
# All five from one start on the valley (sliders: SGD's and momentum's learning rate, the momentum,
# RMSprop's and Adam's learning rate).

# %%
from coursekit.widgets.gradient_descent import OptimizerRaceWidget

race = OptimizerRaceWidget()
race

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Who got furthest, with these settings

# %% tags=["remove-input"]
final = race.state["final_loss"]
table(sorted(final.items(), key=lambda kv: kv[1]), ["optimizer", f"f after {race.num_steps.value} steps"],
      formats={f"f after {race.num_steps.value} steps": "{:.3g}"})

# %% tags=["remove-input"]
best, worst = min(final, key=final.get), max(final, key=final.get)
say(f"With these settings **{best}** gets lowest and **{worst}** highest. Plain SGD at η = "
    f"{race.learning_rate.value:g} shrinks the error along the valley only by "
    f"{valley.contraction(race.learning_rate.value):.3f} per step.")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Try it: above the stability bound
#
# **Try it.** Raise the SGD learning rate just above the stability bound $2/\lambda_{\max}$ computed
# above. What happens to SGD? And to momentum, at the same learning rate?

# %% [markdown] slideshow={"slide_type": "fragment"}
# <details><summary>Answer</summary>
#
# SGD diverges: across the valley its error is multiplied by $|1 - \eta\,\lambda_{\max}| > 1$ every
# step, so its f climbs. Momentum does not: for momentum $\mu$, plain momentum descent on a quadratic
# is stable up to $\eta < 2(1 + \mu)/\lambda_{\max}$ (the velocity averages out the zig-zag), 1.9 times
# the plain bound for $\mu = 0.9$.
# </details>

# %% slideshow={"slide_type": "skip"}
# the answer, computed (in the notebook only, after the answer)
from coursekit.gradient_descent import elongated_valley

lr_hi = 1.1 * valley.max_stable_lr
f_hi = {"sgd": elongated_valley(minimize(grad, start, "sgd", 60, learning_rate=lr_hi)[-1]),
        "momentum": elongated_valley(minimize(grad, start, "momentum", 60, learning_rate=lr_hi,
                                              momentum=mu)[-1])}
say(f"At η = {lr_hi:.2f}, after 60 steps: SGD f = {f_hi['sgd']:.3g}, momentum f = {f_hi['momentum']:.3g}. "
    f"Momentum's bound 2(1 + μ)/λmax = {2 * (1 + mu) / valley.eigenvalues[-1]:.2f}, "
    f"{(1 + mu):.1f} times the plain bound.")

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** Things to try live: momentum 0 makes momentum and Nesterov identical to SGD (the
# formulas); a momentum close to 1 overshoots and spirals; RMSprop and Adam divide each coordinate's
# step by its own gradient scale, so they move along the flat direction about as fast as across it.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Training a Keras model: `compile` and `fit`
#
# `model.compile(optimizer, loss, metrics)` chooses the update rule (an optimizer object, or a name such
# as `"adam"` for its defaults) and the cost; `model.fit(x, y, batch_size, epochs, validation_data)`
# runs mini-batch descent: it shuffles the training set every epoch, makes one update per batch and
# returns a `History` whose `.history` dict holds the loss (and metrics) after every epoch.
# Below: a small dense network on digit images already scaled to [0, 1], one run per optimizer.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The data, and the optimizers

# %%
from coursekit.data import digits_8x8
from coursekit.keras_setup import import_keras

keras = import_keras()
images, labels = digits_8x8()
x = images.reshape(len(images), -1)            # (n, 64) pixels in [0, 1]
x_train, y_train = x[:400], labels[:400]
x_val, y_val = x[400:600], labels[400:600]     # held out: validation
optimizers = {
    "SGD + momentum": keras.optimizers.SGD(learning_rate=0.05, momentum=0.9),
    "RMSprop": keras.optimizers.RMSprop(learning_rate=0.003),
    "Adam": keras.optimizers.Adam(learning_rate=0.003)}

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### `compile`, then `fit`

# %%
fits = {}
for name, opt in optimizers.items():
    keras.utils.set_random_seed(0)             # same initial weights for each
    model = keras.Sequential([keras.Input((64,)),
                              keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=opt, loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    fits[name] = model.fit(x_train, y_train, batch_size=32, epochs=10,
                           validation_data=(x_val, y_val), verbose=0)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The `History`: loss per epoch

# %% tags=["remove-input"]
from coursekit.widgets.gradient_descent import plot_fit_histories

fig = plot_fit_histories(fits, figsize=(10, 3.3))
plt.show()

# %% tags=["remove-input"]
table([(name, h.params["steps"], h.history["loss"][-1], h.history["val_loss"][-1], h.history["val_accuracy"][-1])
       for name, h in fits.items()],
      ["optimizer", "updates / epoch", "final loss", "final val_loss", "final val_accuracy"],
      formats={"final loss": "{:.3f}", "final val_loss": "{:.3f}", "final val_accuracy": "{:.1%}"})

# %% tags=["remove-input"]
say(f"{len(x_train)} training images in batches of 32: ⌈{len(x_train)}/32⌉ = "
    f"**{-(-len(x_train) // 32)}** updates per epoch, as `history.params['steps']` reports.")

# %% [markdown] slideshow={"slide_type": "notes"}
# **Speaker notes.** The learning rates are chosen for this small problem, not Keras's defaults (SGD's
# default is `0.01`, RMSprop's and Adam's `0.001`): a good exercise is to rerun with the defaults. Point out
# `set_random_seed`: without it each run starts from different weights, and the comparison would mix
# the optimizer's effect with the initialisation's. The validation loss is computed on images the
# network never trains on: when it rises while the training loss falls, the network overfits.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# * Gradient descent: $w \leftarrow w - \eta \nabla L(w)$. The learning rate decides creep, convergence,
#   oscillation or divergence; on a quadratic, $\eta < 2/\lambda_{\max}$ of the Hessian.
# * On a non-convex surface the result depends on the start: well, other side of a hill, or stuck on a plateau.
# * SGD / mini-batch / batch trade noise for cost per update.
# * Standardized inputs make the cost round (condition number near 1): descent is fast.
# * Momentum, Nesterov, RMSprop, Adam fix plain descent's weaknesses in narrow valleys and flat regions;
#   Keras's formulas differ from the textbooks' in where $\epsilon$ sits and which point Nesterov stores.
# * Keras: `compile(optimizer, loss)`, then `fit(x, y, batch_size, epochs)` returns the loss history.
#
# **Next lecture:** computing $\nabla L$ for every weight of a deep network — backpropagation.
