"""Lecture 1: the numbers and facts it must show, computed here independently of coursekit.

The notebook is executed once per session (tests/support/lectures.py); the checks read its outputs.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from support.lectures import executed

pytestmark = pytest.mark.slow


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def _markdown_outputs(nb) -> str:
    return "\n".join(o.data["text/markdown"] for c in nb.cells for o in c.get("outputs", [])
                     if "data" in o and "text/markdown" in o.data)


def test_lecture_01_recomputes_the_notes_numbers():
    text = executed("01_neuron").text
    # Salvatore's first H/AC example: sigmoid(185*0.0006 + 85*0.0002 + 1); the slides say 0.7.
    z = 185 * 0.0006 + 85 * 0.0002 + 1
    p = _sigmoid(z)
    assert f"{z:.4f}" in text, f"pre-activation {z:.4f} not shown"
    assert f"{p:.4f}" in text, f"recomputed sigmoid {p:.4f} not shown"
    assert f"{p * p:.4f}" in text, f"recomputed cost {p * p:.4f} not shown"
    z2 = 185 * 0.0005 + 85 * 0.0001 + 1
    assert f"{_sigmoid(z2):.4f}" in text, "second H/AC example not recomputed"
    # softmax table (cat/dog/horse) and cross-entropy worked values
    for row in ([5, 4, 2], [4, 2, 8], [4, 4, 1]):
        e = [math.exp(v) for v in row]
        for v in e:
            assert f"{v / sum(e):.4f}" in text, f"softmax of {row} not shown"
    assert f"{-math.log(0.17):.4f}" in text and f"{-math.log(0.79):.4f}" in text, "cross-entropy values missing"


def test_lecture_01_explains_the_pavia_slips():
    md = _markdown_outputs(executed("01_neuron").nb)
    # 1.281 = 185 * 0.0006 + 85 * 0.002 + 1: w2 read as 0.002 (not a slip in "85 x 0.0002 = 0.281")
    z_w2 = 185 * 0.0006 + 85 * 0.002 + 1
    assert round(z_w2, 3) == 1.281
    assert f"85 × **0.002** + 1 = {z_w2:.3f}" in md
    assert f"σ(1.281) = {_sigmoid(1.281):.4f}" in md
    # sigmoid(1.178) = 0.765, not 0.65; 1.178 is 0.0925 + 0.085 + 1
    assert f"σ(1.178) = **{_sigmoid(1.178):.3f}**" in md and f"{_sigmoid(1.178):.3f}" == "0.765"
    assert f"= {185 * 0.0005 + 0.085 + 1:.4f}" in md
    # "H = 100" is the training table's fourth man, (190, 80)
    from coursekit.data import height_abdomen

    assert tuple(height_abdomen("training").x[3]) == (190.0, 80.0)
    assert f"**{_sigmoid(190 * 0.0005 + 80 * 0.0002 + 0.008):.4f}**" in md
    assert f"is {1 - 0.0002:.4f}" in md                      # the update "0.0008 = 1 - 0.0002"
    # tanh' lies in (0, 1], not (-1, 1)
    assert "lies in **(0, 1]**" in md and f"{1 - math.tanh(10.0) ** 2:.1e} at z = ±10" in md


def test_lecture_01_corrects_the_vanishing_bound_and_the_kl_formula():
    run = executed("01_neuron")
    md, text = _markdown_outputs(run.nb), run.text
    # ten sigmoid layers: the bound is (0.25 |w|)**10, not 0.25**10
    for wabs in (1, 4, 8):
        assert f"|w| = {wabs}: **{(0.25 * wabs) ** 10:.3g}**" in md
    # D_KL(P||Q) = H(P, Q) - H(P), not H(Q) - H(P) (the Bologna notes)
    q = [0.83, 0.17]
    h_q = -sum(v * math.log(v) for v in q)
    assert f"{-math.log(0.17):.4f}" in text and f"{h_q:.4f}" in text
    p2, q2 = [0.3, 0.7], [0.6, 0.4]
    kl = sum(a * math.log(a / b) for a, b in zip(p2, q2))
    assert f"{kl:.4f}" in text
    # the binary cross-entropy is the cross-entropy of (y, 1 - y) and (p, 1 - p)
    bce = -np.mean([math.log(0.17), math.log(1 - 0.17), math.log(0.79)])
    assert md.count(f"{bce:.4f}") >= 2
    # Ledda's MSE / MAE example and the linear MLP on XOR
    assert "MSE = 2.25, MAE = 1.5" in md
    assert "[0.5 0.5 0.5 0.5]" in text


def test_lecture_01_perceptron_rule_converges_as_shown():
    from coursekit.data import height_abdomen

    data = height_abdomen("training")
    w, b, history = [0.0, 0.0], 0.0, []
    while not history or history[-1]:
        mistakes = 0
        for (h, ac), y in zip(data.x.tolist(), data.y.tolist()):
            out = 1.0 if w[0] * h + w[1] * ac + b >= 0 else 0.0
            if out != y:
                w, b, mistakes = [w[0] + (y - out) * h, w[1] + (y - out) * ac], b + (y - out), mistakes + 1
        history.append(mistakes)
        assert len(history) < 100
    md = _markdown_outputs(executed("01_neuron").nb)
    assert " → ".join(map(str, history)) + " mistakes per epoch" in md
    assert f"w = ({w[0]:g}, {w[1]:g}), b = {b:g}" in md


def test_lecture_01_fgsm_flips_the_prediction_with_the_epsilon_shown():
    from sklearn.datasets import load_digits

    md = _markdown_outputs(executed("01_neuron").nb)
    m = re.search(r"A test '(\d)' read as '(\d)' \(([\d.]+)%\) becomes '(\d)' \(([\d.]+)%\) "
                  r"with \*\*ε = ([\d.]+)\*\*", md)
    assert m, "the FGSM sentence is missing"
    label, before, _, after, _, eps = m.groups()
    eps = float(eps)
    assert label == before != after
    # an independent softmax regression: same data, split and steps as the lecture's
    d = load_digits()
    x, y = d.images.reshape(len(d.images), -1) / 16.0, d.target
    order = np.random.default_rng(0).permutation(len(x))
    test, train = order[:450], order[450:]
    W, bias = np.zeros((64, 10)), np.zeros(10)
    onehot = np.eye(10)[y[train]]
    for _ in range(300):
        z = x[train] @ W + bias
        p = np.exp(z - z.max(1, keepdims=True))
        g = (p / p.sum(1, keepdims=True) - onehot) / len(train)
        W, bias = W - x[train].T @ g, bias - g.sum(0)

    def predict(v):
        return int(np.argmax(v @ W + bias))

    def attack(v, t, e):
        z = v @ W + bias
        p = np.exp(z - z.max())
        grad = (p / p.sum() - np.eye(10)[t]) @ W.T
        return np.clip(v + e * np.sign(grad), 0, 1)

    right = [i for i in test if predict(x[i]) == y[i]]
    first = next(i for i in right if np.max(np.exp(x[i] @ W + bias) / np.exp(x[i] @ W + bias).sum()) >= 0.9)
    assert str(y[first]) == label and str(predict(x[first])) == before
    assert str(predict(attack(x[first], y[first], eps))) == after            # flips at the epsilon shown
    assert predict(attack(x[first], y[first], eps - 0.01)) == int(before)    # the grid's previous step does not
    assert f"Over the {len(right)} test digits classified right" in md


def test_lecture_01_does_not_print_assignment_1_answers():
    run = executed("01_neuron")
    code = "\n".join(c.source for c in run.nb.cells if c.cell_type == "code")
    assert "nand_weights(" not in code, "the NAND weights are assignment 1's exercise"
    assert "print(layers" not in code and "xor_network()" not in code
