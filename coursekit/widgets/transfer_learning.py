"""Lecture 6 figures: the three learning curves and the BatchNormalization pitfall.

The experiments are :func:`coursekit.transfer_learning.compare_strategies` and
:func:`coursekit.transfer_learning.bn_pitfall_demo`; these functions only draw their results.
"""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure

from coursekit import style

__all__ = ["strategy_curves_figure", "bn_pitfall_figure", "task_examples_figure"]

_COLOURS = {"scratch": style.PALETTE["vermillion"], "frozen": style.PALETTE["blue"],
            "fine_tuned": style.PALETTE["green"]}
_LABELS = {"scratch": "from scratch (random weights)", "frozen": "frozen base (feature extraction)",
           "fine_tuned": "frozen, then fine-tuned top layers"}


def strategy_curves_figure(result: dict) -> Figure:
    """Target-test accuracy per epoch of ``compare_strategies``; a line marks where fine-tuning starts."""
    fig = Figure(figsize=style.FIGSIZE, dpi=100, layout="constrained")
    with mpl.rc_context():
        style.apply()
        ax = fig.subplots()
        for key in ("scratch", "frozen", "fine_tuned"):
            ax.plot(result["epochs"], result[key], marker="o", ms=4, color=_COLOURS[key],
                    label=f"{_LABELS[key]}: {result['final'][key]:.1%}")
        ax.axvline(result["fine_tune_after"] + 0.5, color="0.4", ls="--", lw=1.2)
        ax.text(result["fine_tune_after"] + 0.7, 0.05, "unfreeze top layers,\nlower learning rate",
                fontsize=11, color="0.3")
        ax.set(xlabel="epoch", ylabel="accuracy on the target test set", ylim=(0, 1.02),
               title=f"{result['n_train']} labelled training images, {result['n_test']} test images")
        ax.legend(loc="lower right", fontsize=11)
    return fig


def bn_pitfall_figure(result: dict) -> Figure:
    """Largest change of each BN layer's moving mean/variance: naive unfreezing vs BN kept frozen."""
    fig = Figure(figsize=style.FIGSIZE_WIDE, dpi=100, layout="constrained")
    with mpl.rc_context():
        style.apply()
        axes = fig.subplots(1, 2)
        names = list(result["naive"]["per_layer"])
        pos = np.arange(len(names))
        for ax, which, title in ((axes[0], 0, "moving mean"), (axes[1], 1, "moving variance")):
            for shift, mode, colour in ((-0.2, "naive", style.PALETTE["vermillion"]),
                                        (0.2, "careful", style.PALETTE["blue"])):
                vals = [result[mode]["per_layer"][n][which] for n in names]
                label = ("base.trainable = True (BN trains)" if mode == "naive"
                         else "unfreeze_top_layers (BN frozen)")
                ax.bar(pos + shift, vals, width=0.4, color=colour, label=label)
            ax.set_xticks(pos, names)
            ax.set(title=f"max |change| of the {title}", ylabel="after fine-tuning − before")
        axes[0].legend(fontsize=10)
    return fig


def task_examples_figure(x_source, y_source, x_target, y_target, per_task: int = 6) -> Figure:
    """A few source-task and target-task images with their labels."""
    fig = Figure(figsize=(1.4 * per_task, 3.4), dpi=100, layout="constrained")
    with mpl.rc_context():
        style.apply()
        axes = fig.subplots(2, per_task)
        for row, (x, y, name) in enumerate(((x_source, y_source, "source"), (x_target, y_target, "target"))):
            for c in range(per_task):
                i = int(np.flatnonzero(np.asarray(y) == np.unique(y)[c % len(np.unique(y))])[c // len(np.unique(y))])
                axes[row, c].imshow(np.asarray(x[i]).squeeze(), cmap="gray_r")
                axes[row, c].set_title(f"{name}: {int(y[i])}", fontsize=11)
                axes[row, c].set_xticks([]); axes[row, c].set_yticks([]); axes[row, c].grid(False)
    return fig
