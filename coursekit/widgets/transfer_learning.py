"""Lecture 6 figures: the three learning curves and the BatchNormalization pitfall.

The experiments are :func:`coursekit.transfer_learning.compare_strategies` and
:func:`coursekit.transfer_learning.bn_pitfall_demo`; these functions only draw their results.
"""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure

from coursekit import style
from coursekit.widgets.base import image_axes

__all__ = ["strategy_curves_figure", "bn_pitfall_figure", "task_examples_figure", "history_figure"]

_COLOURS = {"scratch": style.PALETTE["vermillion"], "frozen": style.PALETTE["blue"],
            "fine_tuned": style.PALETTE["green"]}
_LABELS = {"scratch": "from scratch", "frozen": "frozen base", "fine_tuned": "frozen, then fine-tuned"}


def strategy_curves_figure(result) -> Figure:
    """Target-test accuracy per epoch of ``compare_strategies``; a line marks where fine-tuning starts.

    ``result``: one result dict, or a list of them (one panel each, e.g. 3 and 10 labels per class).
    """
    results = [result] if isinstance(result, dict) else list(result)
    fig = Figure(figsize=(9.0, 4.6), dpi=100, layout="constrained")
    with mpl.rc_context():
        style.apply()
        axes = np.atleast_1d(fig.subplots(1, len(results), sharey=True))
        for ax, res in zip(axes, results):
            for key in ("scratch", "frozen", "fine_tuned"):
                ax.plot(res["epochs"], res[key], marker="o", ms=4, color=_COLOURS[key],
                        label=f"{_LABELS[key]}: {res['final'][key]:.1%}")
            ax.axvline(res["fine_tune_after"] + 0.5, color="0.4", ls="--", lw=1.2)
            ax.text(res["fine_tune_after"] + 0.7, 0.05, "unfreeze top layers,\nlower learning rate",
                    color="0.3")
            ax.set(xlabel="epoch", ylim=(0, 1.02),
                   title=f"{res['n_train']} labelled training images, {res['n_test']} test images")
            ax.legend(loc="lower right")
        axes[0].set_ylabel("accuracy on the target test set")
        if len(results) == 1:   # several panels: each final accuracy is in its own legend
            axes[0].legend().remove()
            fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=3)
    return fig


def bn_pitfall_figure(result: dict) -> Figure:
    """Largest change of each BN layer's moving mean/variance: naive unfreezing vs BN kept frozen."""
    fig = Figure(figsize=(10.0, 4.4), dpi=100, layout="constrained")
    with mpl.rc_context():
        style.apply()
        axes = fig.subplots(1, 2)
        names = list(result["naive"]["per_layer"])
        pos = np.arange(len(names))
        for ax, which, title in ((axes[0], 0, "moving mean"), (axes[1], 1, "moving variance")):
            for shift, mode, colour in ((-0.2, "naive", style.PALETTE["vermillion"]),
                                        (0.2, "careful", style.PALETTE["blue"])):
                vals = [result[mode]["per_layer"][n][which] for n in names]
                label = ("base.trainable = True (BN layers trainable)" if mode == "naive"
                         else "unfreeze_top_layers (BN layers frozen)")
                if not any(vals):
                    label += ": no change at all"
                ax.bar(pos + shift, vals, width=0.4, color=colour, label=label)
            ax.set_xticks(pos, names)
            ax.set(title=f"max |change| of the {title}", ylabel="|after − before|")
        fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=1)
    return fig


def task_examples_figure(x_source, y_source, x_target, y_target, per_task: int = 6,
                         source_names=None) -> Figure:
    """A few source-task and target-task images with their labels.

    Source images are titled ``source_names[label]`` (default: the characters of
    ``coursekit.transfer_learning.SOURCE_CLASSES``); the source classes shown are spread over
    the whole list (digits, Latin, Greek, symbols).  Target images are titled with ``y_target``.
    """
    if source_names is None:
        from coursekit.transfer_learning import SOURCE_CLASSES as source_names
    fig = Figure(figsize=(1.5 * per_task, 3.4), dpi=100, layout="constrained")
    with mpl.rc_context():
        style.apply()
        axes = fig.subplots(2, per_task)
        for row, (x, y, name) in enumerate(((x_source, y_source, "source"), (x_target, y_target, "target"))):
            y = np.asarray(y)
            classes = np.unique(y)
            if len(classes) >= per_task:   # spread the examples over the classes
                picks = [(int(classes[i]), 0) for i in np.linspace(0, len(classes) - 1, per_task).round().astype(int)]
            else:
                picks = [(int(classes[c % len(classes)]), c // len(classes)) for c in range(per_task)]
            for c, (label, nth) in enumerate(picks):
                i = int(np.flatnonzero(y == label)[nth])
                title = source_names[label] if row == 0 else str(label)
                axes[row, c].imshow(np.asarray(x[i]).squeeze(), cmap="gray_r")
                axes[row, c].set_title(f"{name}: {title}")
                image_axes(axes[row, c])
    return fig


def history_figure(history, figsize=style.FIGSIZE_WIDE) -> Figure:
    """Loss and accuracy per epoch from ``model.fit``'s History (or its ``.history`` dict), ``figsize`` in inches.

    Left: ``loss`` and ``val_loss``; right: ``accuracy`` and ``val_accuracy`` (the keys
    ``fit`` records with ``metrics=["accuracy"]`` and ``validation_data``).  A key that is
    missing is skipped.
    """
    logs = getattr(history, "history", history)
    fig = Figure(figsize=figsize, dpi=100, layout="constrained")
    with mpl.rc_context():
        style.apply()
        axes = fig.subplots(1, 2)
        for ax, key in zip(axes, ("loss", "accuracy")):
            for prefix, colour, label in (("", style.PALETTE["blue"], "training"),
                                          ("val_", style.PALETTE["vermillion"], "validation")):
                if prefix + key in logs:
                    values = logs[prefix + key]
                    ax.plot(np.arange(1, len(values) + 1), values, marker="o", ms=4, color=colour,
                            label=f"{label} ({prefix + key})")
            ax.set(xlabel="epoch", title=key)
            ax.legend()
    return fig
