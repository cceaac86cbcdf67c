"""Lecture 6: the facts it must show, computed here independently of coursekit and compared with the
executed notebook's outputs (tests/support/lectures.py executes it once per content).

The independent computations use Keras on the shipped model file, scikit-learn's own digits loader and
NumPy/SciPy on the source-task images (``coursekit.data`` only renders the images; it is not asked to
count anything).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from support.lectures import executed

REPO = Path(__file__).resolve().parents[1]
SHIPPED_BASE = REPO / "coursekit" / "datafiles" / "digits_base.keras"
ASSIGNMENT = REPO / "solutions" / "06_transfer_learning" / "06_transfer_learning.py"
NAME = "06_transfer_learning"


def _base_counts(keras):
    """Parameters of the shipped base by role, counted from its layers' own weights."""
    base = keras.models.load_model(SHIPPED_BASE, compile=False)
    conv = sum(int(np.prod(w.shape)) for layer in base.layers if isinstance(layer, keras.layers.Conv2D)
               for w in layer.weights)
    bn = [layer for layer in base.layers if isinstance(layer, keras.layers.BatchNormalization)]
    gamma_beta = sum(int(layer.gamma.shape[0]) + int(layer.beta.shape[0]) for layer in bn)
    moving = sum(int(layer.moving_mean.shape[0]) + int(layer.moving_variance.shape[0]) for layer in bn)
    return base, {"total": base.count_params(), "conv": conv, "gamma_beta": gamma_beta, "moving": moving}


@pytest.fixture(scope="module")
def source():
    """The source task images and what they are, counted without coursekit's summary."""
    from sklearn.datasets import load_digits

    from coursekit.data import GLYPH_FONTS, SOURCE_CLASSES, source_task_data

    x, y = source_task_data()
    per_class = np.bincount(y)
    handwritten = int((load_digits().target < 5).sum())
    return {"x": x, "y": y, "names": SOURCE_CLASSES, "classes": len(np.unique(y)), "per_class": per_class,
            "handwritten": handwritten, "fonts": len(GLYPH_FONTS)}


@pytest.fixture(scope="module")
def lecture():
    return executed(NAME)


def _markdown(nb) -> str:
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


@pytest.mark.slow
def test_the_base_description_matches_the_shipped_model_and_data(keras, source, lecture):
    text = lecture.text
    _, counts = _base_counts(keras)
    assert counts["total"] == counts["conv"] + counts["gamma_beta"] + counts["moving"]
    per_class = source["per_class"]
    assert source["classes"] == len(source["names"]) == len(per_class)
    assert f"Source task: {source['classes']} classes, {len(source['y']):,} images" in text
    assert (f"{source['fonts']} fonts; {per_class.min()} to {per_class.max()} images per class, "
            f"median {np.median(per_class):.0f}") in text
    printed = int(per_class[:5].sum()) - source["handwritten"]
    assert f"all {source['handwritten']:,} handwritten 0–4 of scikit-learn and {printed:,} printed ones" in text
    assert (f"**{counts['total']:,} parameters**: {counts['conv']:,} convolution weights, {counts['gamma_beta']:,} "
            f"BatchNormalization") in text
    assert f"{counts['moving']:,} BN moving means" in text
    # the lecture no longer calls the source task "digits 0-4"
    assert not re.search(r"trained on (the )?(handwritten )?digits 0[-–]4\b(?! plus| and)", _markdown(lecture.nb))


def _nearest_classes(source, x_target, y_target):
    from scipy.spatial.distance import cdist

    s = source["x"].reshape(len(source["x"]), -1).astype(np.float64)
    t = x_target.reshape(len(x_target), -1).astype(np.float64)
    nearest = source["y"][cdist(t, s, "sqeuclidean").argmin(axis=1)]
    return nearest, float((nearest >= 5).mean())      # labels 0-4 are the digits 0-4


@pytest.mark.slow
def test_the_glyphs_that_look_like_target_digits(source, lecture):
    from sklearn.datasets import load_digits

    from coursekit.data import target_task_data

    _, _, x_test, y_test = target_task_data(10, 0)
    nearest, glyph_share = _nearest_classes(source, x_test, y_test)
    assert f"For **{glyph_share:.0%}** of the target test images" in lecture.text
    names = np.array(source["names"])
    top_glyph = {}
    for k in range(5):
        counts = np.bincount(nearest[y_test == k], minlength=len(names))
        top = names[np.argsort(-counts, kind="stable")[0]]
        share = counts.max() / (y_test == k).sum()
        assert f"<td style=\"text-align: left\">{top} ({share:.0%})" in lecture.text, (k + 5, top)
        glyph_counts = counts.copy()
        glyph_counts[:5] = 0
        top_glyph[k + 5] = set(names[np.argsort(-glyph_counts, kind="stable")[:3]])
    # the assignment's examples (S like 5, G like 6, g like 8, q like 9) are among the closest glyphs
    assert {"S"} <= top_glyph[5] and {"G"} <= top_glyph[6] and {"g"} <= top_glyph[8] and {"q"} <= top_glyph[9]
    # and the test-set size of the comparison (3 labels per class): every 5-9 minus the 15 labelled
    n_test = int((load_digits().target >= 5).sum()) - 5 * 3
    assert f"accuracy on the {n_test} other images of 5–9" in lecture.text


def test_the_assignment_describes_the_base_truthfully(keras, source):
    text = ASSIGNMENT.read_text()
    md = "\n".join(line for line in text.splitlines() if line.startswith("#"))
    _, counts = _base_counts(keras)
    per_class = source["per_class"]
    assert "(digits 0-4)" not in md
    assert f"{counts['total']:,} parameters" in md
    assert f"source task of {source['classes']} classes and {len(source['y']):,} images" in md
    assert f"({per_class.min()} to {per_class.max()} images per class), rendered from {source['fonts']} fonts" in md


@pytest.mark.slow
def test_training_false_is_overridden_and_only_frozen_bn_is_protected(keras, lecture):
    """Keras 3: fit's training=True reaches a base called with training=False; BN.trainable=False wins."""
    from coursekit.data import target_task_data

    x, *_ = target_task_data(10, 0)
    diffs = {}
    for bn_trainable in (True, False):
        base, _ = _base_counts(keras)
        inputs = keras.Input((8, 8, 1))
        outer = keras.Model(inputs, base(inputs, training=False))
        base.trainable = True
        for layer in base.layers:
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.trainable = bn_trainable
        reference = np.asarray(base(x, training=False))
        diffs[bn_trainable] = float(np.abs(np.asarray(outer(x, training=True)) - reference).max())
    assert diffs[True] > 0.1 and diffs[False] == 0.0
    assert f"their output moves by up to {diffs[True]:.2f}, although the call says `training=False`" in lecture.text
    assert "Frozen BN layers give exactly 0 difference" in lecture.text
    # the fine-tuning demo: naive unfreezing moves the moving statistics, unfreeze_top_layers does not
    m = re.search(r"moving means moved by up to ([\d.]+), variances by up to ([\d.]+)\. "
                  r"`unfreeze_top_layers`: changes of exactly 0", lecture.text)
    assert m and float(m.group(1)) > 0 and float(m.group(2)) > 0


@pytest.mark.slow
def test_head_and_fine_tuning_counts(keras, lecture):
    from coursekit.transfer_learning import unfreeze_top_layers

    base, _ = _base_counts(keras)
    channels = base.output_shape[-1]
    assert f"trainable **{channels * 5 + 5:,}** = the head's {channels} × 5 weights + 5 biases" in lecture.text
    conv3, conv4 = (base.get_layer(n) for n in ("conv3", "conv4"))
    unfreeze_top_layers(base, 6)  # base.layers[-6:]: conv3 bn3 relu3 conv4 bn4 relu4
    weights = sum(int(np.prod(w.shape)) for w in base.trainable_weights)
    assert weights == int(np.prod(conv3.kernel.shape)) + int(np.prod(conv4.kernel.shape))
    assert f"(conv3, relu3, conv4, relu4): {weights:,} convolution weights train" in lecture.text
    # the try-it answer: unfreezing 3 layers (conv4, bn4 frozen, relu4) trains conv4's 3x3x64x64 kernel only
    unfreeze_top_layers(base, 3)
    two = sum(int(np.prod(w.shape)) for w in base.trainable_weights)
    assert two == 3 * 3 * 64 * 64
    answer = next(c.source for c in lecture.nb.cells if c.cell_type == "markdown" and "unfreeze_top_layers(base, 3)"
                  not in c.source and "`conv4` has weights" in c.source)
    assert f"**{two:,}** weights" in answer


def _html_rows(html: str) -> list[list[str]]:
    return [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", html)]


@pytest.mark.slow
def test_feature_gain_shrinks_with_more_labels(lecture):
    """The third try-it's answer: the pretrained features' gain over raw pixels is smaller at 10 labels than at 3."""
    table = next(out.data["text/html"] for c in lecture.nb.cells for out in c.get("outputs", [])
                 if "gain (points)" in out.get("data", {}).get("text/html", ""))
    rows = {int(r[0]): float(r[4]) for r in _html_rows(table) if r}
    assert set(rows) == {3, 10} and rows[3] > rows[10]
