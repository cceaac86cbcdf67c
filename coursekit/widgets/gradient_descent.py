"""Lecture 2 widgets and figures: learning rate on the lecture's cost (P - E)**2, descent on the
difference of two Gaussians (from the Bologna lesson notes) from chosen start points, SGD vs
mini-batch vs batch, and the optimizer race on an elongated valley.

All the mathematics (including the search for demonstration start points, ``find_demo_starts``) is
``coursekit.gradient_descent`` / ``coursekit.data``; this module draws it.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from coursekit import style
from coursekit.gradient_descent import (
    VALLEY_CURVATURES,
    classify_paths,
    elongated_valley,
    elongated_valley_gradient,
    gaussians_f,
    gaussians_grad,
    gaussians_minimum,
    gaussians_surface,
    gradient_descent,
    minimize,
    train_neuron,
)
from coursekit.widgets.base import FigureWidget, float_log_slider, float_slider, int_slider

__all__ = [
    "gaussians_animation",
    "LearningRateWidget", "StartPointWidget", "OptimizerRaceWidget", "RACE_OPTIMIZERS",
    "plot_batch_comparison", "plot_conditioning", "plot_fit_histories",
]


# the widgets' figures: wide and low, so that title, code, controls and figure fit one 1280x720 slide
WIDGET_FIGSIZE = (10.0, 3.4)


# -- animation: descent from several start points on the two Gaussians ----------------------------


def gaussians_animation(starts, labels, learning_rate: float = 0.1, num_steps: int = 200, max_frames: int = 40):
    """FuncAnimation of gradient descent from each start on the two-Gaussians surface (to_jshtml-able).

    The surface is drawn on [-3.4, 3.5]^2, a margin around the demonstration grid [-3, 3]^2 so that
    start markers on its edge show whole.
    """
    from coursekit.animation import descent_animation

    starts = np.asarray(starts, dtype=np.float64)
    paths = gradient_descent(gaussians_grad, starts, learning_rate, num_steps)    # (T, N, 2)
    paths = [paths[:, i] for i in range(len(starts))]
    values = [gaussians_f(p) for p in paths]
    return descent_animation(gaussians_surface(-3.4, 3.5), paths, labels=labels, values=values, max_frames=max_frames,
                             title=f"gradient descent, learning rate {learning_rate:g}")


# -- widget: learning rate on the lecture's cost (P - E)^2 ----------------------------------------


class LearningRateWidget(FigureWidget):
    """Gradient descent on the lecture's cost C(P) = (P - E)**2, whose slope is 2 (P - E).

    Controls: ``learning_rate`` (log scale), ``start`` (P0), ``num_steps``.  ``state``: ``path``
    (num_steps + 1,) of P from ``coursekit.gradient_descent.gradient_descent``, ``cost`` along it,
    ``final_cost``, and ``regime`` ("too low", "good", "oscillates", "diverges").
    Each step multiplies P - E by (1 - 2 lr): lr < 0.5 creeps, lr = 0.5 lands in one step,
    0.5 < lr < 1 oscillates inwards, lr > 1 diverges.
    """

    def __init__(self, expected: float = 0.0, learning_rate: float = 0.05, start: float = 0.7, num_steps: int = 10):
        self.expected = float(expected)
        super().__init__({
            "learning_rate": float_log_slider("learning rate", learning_rate, -2.0, 0.2, step=0.05),
            "start": float_slider("start P0", start, -1.0, 1.0, 0.05),
            "num_steps": int_slider("steps", num_steps, 1, 30),
        }, figsize=WIDGET_FIGSIZE)

    def cost(self, p):
        return (np.asarray(p) - self.expected) ** 2

    def draw(self, fig: Figure) -> dict:
        lr, steps = self.learning_rate.value, self.num_steps.value
        path = gradient_descent(lambda p: 2 * (p - self.expected), np.array([self.start.value]), lr, steps)[:, 0]
        cost = self.cost(path)
        shrink = abs(1 - 2 * lr)
        regime = ("diverges" if shrink > 1 else "oscillates" if 1 - 2 * lr < -1e-9
                  else "too low" if shrink > 0.7 else "good")
        ax, ax2 = fig.subplots(1, 2)
        span = max(1.0, min(np.abs(path - self.expected).max() * 1.1, 50.0))
        ps = np.linspace(self.expected - span, self.expected + span, 300)
        ax.plot(ps, self.cost(ps), color=style.PALETTE["black"], lw=1.5, label="cost $(P-E)^2$")
        shown = np.clip(path, ps[0], ps[-1])
        ax.plot(shown, self.cost(shown), "-o", color=style.PALETTE["vermillion"], ms=6, lw=1.2, label="steps")
        ax.plot(shown[0], self.cost(shown[0]), "s", color=style.PALETTE["blue"], ms=10, label="start")
        ax.set(xlabel="prediction P", ylabel="cost", title=f"learning rate {lr:.3g}: {regime}")
        ax.legend(loc="upper center")
        ax2.semilogy(np.arange(steps + 1), np.maximum(cost, 1e-16), "-o", color=style.PALETTE["vermillion"], ms=4)
        ax2.set(xlabel="step", ylabel="cost (log scale)", title=f"P - E shrinks by |1 - 2 lr| = {shrink:.3g} per step")
        return {"path": path, "cost": cost, "final_cost": float(cost[-1]), "regime": regime}


# -- widget: start point and learning rate on the two Gaussians ----------------------------------


class StartPointWidget(FigureWidget):
    """Gradient descent on the difference of two Gaussians from a chosen start point.

    Controls: ``x0``, ``y0``, ``learning_rate`` (log), ``num_steps``.  ``state``: ``path``
    (num_steps + 1, 2), ``values`` f along it, ``final`` point, ``label`` from
    :func:`coursekit.gradient_descent.classify_paths`.
    """

    def __init__(self, x0: float = 0.8, y0: float = 1.31, learning_rate: float = 0.1, num_steps: int = 200):
        self.surface = gaussians_surface()
        self.minimum = gaussians_minimum()
        super().__init__({
            "x0": float_slider("start x1", x0, -3.0, 3.5, 0.01),
            "y0": float_slider("start x2", y0, -3.0, 3.5, 0.01),
            "learning_rate": float_log_slider("learning rate", learning_rate, -2.0, 0.5, step=0.05),
            "num_steps": int_slider("steps", num_steps, 10, 500, 10),
        }, figsize=WIDGET_FIGSIZE)

    def draw(self, fig: Figure) -> dict:
        start = np.array([self.x0.value, self.y0.value])
        path = gradient_descent(gaussians_grad, start, self.learning_rate.value, self.num_steps.value)
        values = gaussians_f(path)
        label = classify_paths(path[:, None, :], self.minimum)[0]
        ax, ax2 = fig.subplots(1, 2, width_ratios=[1.2, 1])
        X, Y, Z = self.surface
        ax.contourf(X, Y, Z, levels=25, cmap=style.SEQUENTIAL_CMAP, alpha=0.85)
        ax.grid(False)
        shown = np.clip(path, X.min(), X.max())
        ax.plot(shown[:, 0], shown[:, 1], "-", color=style.PALETTE["vermillion"], lw=2.5)
        ax.plot(*start, "o", color=style.PALETTE["orange"], mec="black", ms=10, label="start")
        ax.plot(*shown[-1], "X", color=style.PALETTE["vermillion"], mec="white", ms=12, label="end")
        ax.plot(*self.minimum, "*", color="white", mec="black", ms=14, label="minimum")
        ax.set(xlabel="$x_1$", ylabel="$x_2$", title=label, xlim=(X.min(), X.max()), ylim=(Y.min(), Y.max()))
        ax.legend(loc="upper left")
        ax2.plot(values, color=style.PALETTE["vermillion"])
        ax2.axhline(gaussians_f(self.minimum), color=style.PALETTE["black"], ls="--", lw=1, label="minimum")
        ax2.set(xlabel="step", ylabel="f", title=f"f: {values[0]:.3f} -> {values[-1]:.3f}")
        ax2.legend()
        return {"path": path, "values": values, "final": path[-1], "label": label}


# -- widget: the optimizer race on an elongated valley ----------------------------------------------

RACE_OPTIMIZERS = ("sgd", "momentum", "nesterov", "rmsprop", "adam")


class OptimizerRaceWidget(FigureWidget):
    """SGD, momentum, Nesterov, RMSProp and Adam from one start on ``elongated_valley``.

    Controls: ``learning_rate`` (SGD and the two momentum methods), ``momentum``, ``adaptive_lr``
    (RMSProp and Adam), ``num_steps``.  ``state``: ``paths`` {name: (num_steps + 1, 2)} from
    ``coursekit.gradient_descent.minimize`` and ``final_loss`` {name: f at the last point}.
    """

    def __init__(self, start=(-9.0, 2.0), angle: float = 0.0, learning_rate: float = 0.05, momentum: float = 0.9,
                 adaptive_lr: float = 0.3, num_steps: int = 60):
        self.start = np.asarray(start, dtype=np.float64)
        self.angle = float(angle)
        xs = np.linspace(-10.5, 10.5, 161)
        ys = np.linspace(-4.0, 4.0, 81)
        X, Y = np.meshgrid(xs, ys)
        self.surface = (X, Y, elongated_valley(np.stack([X, Y], axis=-1), angle=self.angle))
        super().__init__({
            "learning_rate": float_log_slider("lr SGD/mom.", learning_rate, -3.0, 0.0, step=0.05),
            "momentum": float_slider("momentum", momentum, 0.0, 0.99, 0.01),
            "adaptive_lr": float_log_slider("lr RMS/Adam", adaptive_lr, -3.0, 0.3, step=0.05),
            "num_steps": int_slider("steps", num_steps, 5, 200, 5),
        }, figsize=WIDGET_FIGSIZE)

    def hyperparameters(self) -> dict:
        """name -> the keyword arguments passed to ``minimize`` for the current controls."""
        lr, mu, alr = self.learning_rate.value, self.momentum.value, self.adaptive_lr.value
        return {"sgd": {"learning_rate": lr}, "momentum": {"learning_rate": lr, "momentum": mu},
                "nesterov": {"learning_rate": lr, "momentum": mu}, "rmsprop": {"learning_rate": alr},
                "adam": {"learning_rate": alr}}

    def draw(self, fig: Figure) -> dict:
        grad = lambda x: elongated_valley_gradient(x, angle=self.angle)  # noqa: E731
        paths, final = {}, {}
        ax, ax2 = fig.subplots(1, 2, width_ratios=[1.4, 1])
        X, Y, Z = self.surface
        ax.contour(X, Y, Z, levels=np.geomspace(0.05, Z.max(), 12), colors="gray", linewidths=0.7)
        ax.grid(False)
        for color, (name, hp) in zip(style.CYCLE, self.hyperparameters().items()):
            path = minimize(grad, self.start, name, self.num_steps.value, **hp)
            loss = elongated_valley(path, angle=self.angle)
            paths[name], final[name] = path, float(loss[-1])
            shown = np.clip(path, [X.min(), Y.min()], [X.max(), Y.max()])
            ax.plot(shown[:, 0], shown[:, 1], "-", color=color, lw=2, label=name)
            ax2.semilogy(np.maximum(loss, 1e-12), color=color, label=f"{name}: {loss[-1]:.2g}")
        ax.plot(*self.start, "o", color="black", ms=8)
        ax.plot(0, 0, "*", color="black", ms=14)
        cu, cv = VALLEY_CURVATURES
        ax.set(xlabel="$x_1$", ylabel="$x_2$", title=f"valley $f = ({cu:g}\\,u^2 + {cv:g}\\,v^2)/2$",
               xlim=(X.min(), X.max()), ylim=(Y.min(), Y.max()))
        ax2.set(xlabel="step", ylabel="f (log scale)", title="f per step (legend: last f)")
        ax2.legend(loc="lower left")     # one legend for both panels: same colours
        return {"paths": paths, "final_loss": final}


# -- static figure: SGD vs mini-batch vs batch on the H/AC neuron ----------------------------------


def plot_batch_comparison(x, y, batch_sizes=(1, 10, None), learning_rate: float = 0.5, epochs: int = 30,
                          seed: int = 0, figsize=style.FIGSIZE_WIDE):
    """Train ``train_neuron`` with each batch size (None = batch) and plot loss per epoch and per update.

    Returns (fig, histories) with histories {label: TrainingHistory}.
    """
    import matplotlib.pyplot as plt

    histories = {}
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=figsize, layout="constrained")
    for color, bs in zip(style.CYCLE, batch_sizes):
        h = train_neuron(x, y, np.zeros(x.shape[1]), 0.0, learning_rate, epochs, batch_size=bs, seed=seed)
        label = ("SGD (batch size 1)" if bs == 1 else f"batch ({len(x)} samples)" if bs in (None, len(x))
                 else f"mini-batch ({bs})")
        histories[label] = h
        ax.plot(h.loss, "-o", ms=3, color=color, label=f"{label}: {h.updates_per_epoch}")
        ax2.plot(h.path_weights[:, 0], h.path_weights[:, 1], "-", lw=1.2, color=color, alpha=0.9, label=label)
    ax.set(xlabel="epoch", ylabel="MSE on all data", title="loss per epoch")
    ax.legend(title="updates per epoch")
    ax2.set(xlabel="$w_1$", ylabel="$w_2$", title="weights after every update")
    return fig, histories


# -- static figure: the same descent on raw and on standardized inputs ------------------------------


def plot_conditioning(runs: dict, figsize=style.FIGSIZE_WIDE):
    """Loss minus its optimum per step (log scale), one line per run.

    runs: {label: (loss (T,), optimal loss)} as :func:`coursekit.gradient_descent.linear_mse_descent`
    returns them.  Gaps below 1e-16 (reached the optimum in float64) are drawn at 1e-16.
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    for color, (label, (loss, best)) in zip(style.CYCLE, runs.items()):
        ax.semilogy(np.maximum(np.asarray(loss) - best, 1e-16), color=color, label=label)
    ax.set(xlabel="step", ylabel="loss - optimal loss",
           title="gradient descent at learning rate 1 / (largest curvature)")
    ax.legend()
    return fig


# -- static figure: Keras History loss curves ----------------------------------------------------


def plot_fit_histories(histories: dict, figsize=style.FIGSIZE_WIDE):
    """Training (solid) and validation (dashed) loss per epoch of Keras ``History`` objects {label: History}."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    for color, (label, h) in zip(style.CYCLE, histories.items()):
        epochs = np.arange(1, len(h.history["loss"]) + 1)
        ax.plot(epochs, h.history["loss"], "-o", color=color, ms=4, label=f"{label} (training)")
        if "val_loss" in h.history:
            ax.plot(epochs, h.history["val_loss"], "--", color=color, label=f"{label} (validation)")
    ax.set(xlabel="epoch", ylabel="loss", title="history.history['loss'] and ['val_loss']")
    fig.legend(loc="outside right upper")
    return fig
