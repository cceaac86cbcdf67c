"""Lecture 3: the numbers and facts it must show, computed here independently of coursekit.

The notebook is executed once per session (tests/support/lectures.py); the checks read its outputs.
Reference values come from Keras / TensorFlow (GradientTape, layers, regularisers), scikit-learn's
data, or NumPy written out here from the formulas, never from coursekit.backprop's own functions
(its inputs, such as ``init_mlp`` weights and ``vanishing_data``, are used as inputs only).
"""

from __future__ import annotations

import math
import re
from html.parser import HTMLParser

import numpy as np
import pytest

from support.lectures import executed

pytestmark = pytest.mark.slow


def _run():
    return executed("03_backprop")


class _Tables(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tables, self._cell = [], None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append({"caption": "", "header": [], "rows": []})
        elif tag == "tr":
            self.tables[-1]["rows"].append([])
        elif tag in ("td", "th", "caption"):
            self._cell = []

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag):
        if tag in ("td", "th", "caption") and self._cell is not None:
            text, t = "".join(self._cell).strip(), self.tables[-1]
            if tag == "caption":
                t["caption"] = text
            elif tag == "th":
                t["header"].append(text)
                if t["rows"] and not t["rows"][-1]:
                    t["rows"].pop()
            else:
                t["rows"][-1].append(text)
            self._cell = None


def table_with(column: str) -> dict:
    """The first HTML table output whose header has ``column``: {caption, header, rows}."""
    for cell in _run().nb.cells:
        for out in cell.get("outputs", []):
            html = out.get("data", {}).get("text/html")
            if html and "<table" in html:
                parser = _Tables()
                parser.feed(html)
                for t in parser.tables:
                    if column in t["header"]:
                        return t
    raise AssertionError(f"no table with a column {column!r} in the executed lecture")


def row(t: dict, first: str) -> dict:
    for r in t["rows"]:
        if r and r[0] == first:
            return dict(zip(t["header"], r))
    raise AssertionError(f"no row {first!r} in table {t['header']}")


def number(s: str) -> float:
    return float(s.replace(",", "").rstrip("%")) / (100 if s.endswith("%") else 1)


# ------------------------------------------------------------------------------------------

def test_lecture_03_gradient_check():
    text = _run().text
    assert re.search(r"relative error[^\n]*e-0?[6-9]|relative error[^\n]*e-1\d", text), \
        "gradient check with a small relative error not shown"


def test_backward_pass_costs_about_two_forward_passes():
    sizes, batch = (256, 512, 512, 512, 512, 10), 256
    products = [2 * batch * a * b for a, b in zip(sizes[:-1], sizes[1:])]
    forward, backward = sum(products), 2 * sum(products) - products[0]   # no dE/dX at layer 1
    t = table_with("matrix-product MFLOPs")
    assert number(row(t, "forward")["matrix-product MFLOPs"]) == round(forward / 1e6)
    assert number(row(t, "backward")["matrix-product MFLOPs"]) == round(backward / 1e6)
    text = _run().text
    assert f"**{backward / forward:.2f}** in FLOPs" in text
    measured = float(re.search(r"\*\*([\d.]+)\*\* in time", text).group(1))
    assert 1.0 < measured < 4.0, f"backward/forward time ratio {measured} is implausible"
    step = float(re.search(r"costs about \*\*([\d.]+)\*\* forward passes", text).group(1))
    assert step == pytest.approx(1 + measured, abs=0.06)


def test_the_notes_update_sign_climbs_the_loss(tf):
    from coursekit.backprop import init_mlp  # the lecture's weights, as input only

    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 4))
    y = np.eye(3)[rng.integers(0, 3, size=8)]
    params = [(tf.Variable(k), tf.Variable(b)) for k, b in init_mlp([4, 6, 5, 3], seed=0)]

    def loss_of(ps):
        a = tf.constant(x)
        for i, (k, b) in enumerate(ps):
            a = tf.matmul(a, k) + b
            if i < len(ps) - 1:
                a = tf.sigmoid(a)
        return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=a))

    with tf.GradientTape() as tape:
        loss = loss_of(params)
    grads = tape.gradient(loss, [v for p in params for v in p])
    flat = [v.numpy() for p in params for v in p]
    text = _run().text
    for sign, label in ((-1, "descent"), (+1, "the notes' sign")):
        stepped = [v + sign * 0.5 * g.numpy() for v, g in zip(flat, grads)]
        after = float(loss_of(list(zip(stepped[::2], stepped[1::2]))))
        line = next(li for li in text.splitlines() if label in li)
        assert line.endswith(f"{float(loss):.4f} -> {after:.4f}"), line
        assert (after > float(loss)) == (sign > 0)


def test_matlab_delta_is_minus_bp1_up_to_a_factor_two():
    # delta = y(1-y)(d-y); BP1 for (d-y)^2 is 2(y-d) y(1-y): ratio -1/2; for (d-y)^2/2: -1
    text = _run().text
    assert "ratio **-0.50**" in text and "the ratio is **-1.00**" in text


def test_one_hidden_layer_staircase_errors():
    def f(x):
        return 0.2 + 0.4 * x**2 + 0.3 * x * np.sin(15 * x) + 0.05 * np.cos(50 * x)

    def staircase(n, x):   # Nielsen: n steep sigmoids at i/n, jumps between interval midpoints
        mids = (np.arange(n + 1) + 0.5) / n
        mids[-1] = 1.0
        steps = np.arange(1, n + 1) / n
        s = 0.5 * (1 + np.tanh(5 * n * (x[:, None] - steps)))   # sigmoid(10 n (x - s)), no overflow
        return f(mids[0]) + s @ np.diff(f(mids))

    x = np.linspace(0, 1, 2001)
    err = {n: np.abs(staircase(n, x) - f(x)).max() for n in (2, 20, 200)}
    text = _run().text
    assert (f"**{err[2]:.3f}** with 2 units, **{err[20]:.3f}** with 20, **{err[200]:.4f}** with 200"
            in text)
    assert err[200] < err[20] < err[2]


def test_sawtooth_needs_exponentially_many_units_in_one_layer():
    x = np.linspace(0, 1, 2**14 + 1)
    t = table_with("linear pieces (counted)")
    for k in (1, 2, 3, 4, 6, 8, 10):
        y = x.copy()
        for _ in range(k):
            y = np.where(y < 0.5, 2 * y, 2 - 2 * y)          # the tent map
        slopes = np.round(np.diff(y) / np.diff(x))
        pieces = 1 + int(np.count_nonzero(slopes[1:] != slopes[:-1]))
        assert pieces == 2**k
        r = row(t, str(k))
        assert number(r["linear pieces (counted)"]) == pieces
        assert number(r["ReLUs, deep"]) == 2 * k
        assert number(r["ReLUs, one layer (at least)"]) == pieces - 1


def test_gradient_norms_match_keras_gradient_tape(keras, tf):
    from coursekit.backprop import init_mlp, vanishing_data  # inputs only

    x, y = vanishing_data()
    t = table_with("first / last")
    sizes = [64] + [32] * 8 + [10]
    norms = {}
    for act, init in (("sigmoid", "glorot"), ("sigmoid", "he"), ("relu", "glorot"), ("relu", "he")):
        params = init_mlp(sizes, seed=0, init=init)
        layers = [keras.layers.Dense(k.shape[1], activation=act if i < len(params) - 1 else None,
                                     dtype="float64") for i, (k, _) in enumerate(params)]
        model = keras.Sequential([keras.Input((64,), dtype="float64"), *layers])
        for layer, (k, b) in zip(layers, params):
            layer.set_weights([k, b])
        loss_fn = keras.losses.CategoricalCrossentropy(from_logits=True, dtype="float64")
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x))
        grads = tape.gradient(loss, [layer.kernel for layer in layers])
        n = np.array([np.linalg.norm(g.numpy()) for g in grads])
        norms[act, init] = n
        shown = [r for r in t["rows"] if r[:2] == [act, init]]
        assert shown, f"no row {act}/{init}"
        r = dict(zip(t["header"], shown[0]))
        assert r["||dE/dW|| layer 1"] == f"{n[0]:.3g}"
        assert r["||dE/dW|| last"] == f"{n[-1]:.3g}"
        assert r["first / last"] == f"{n[0] / n[-1]:.3g}"
    # the lecture's conclusions: the activation decides vanishing, the initialisation the scale
    for init in ("glorot", "he"):
        assert norms["sigmoid", init][0] / norms["sigmoid", init][-1] < 1e-3
        assert norms["relu", init][0] / norms["relu", init][-1] > 0.1
    assert np.median(norms["relu", "he"] / norms["relu", "glorot"]) > 5


def test_relu_glorot_halves_the_mean_square_per_layer():
    # Var(w) = 2/(n + n) = 1/n, Var(z) = n Var(w) E[a^2], E[relu(z)^2] = Var(z)/2: factor 1/2
    text = _run().text
    factor = float(re.search(r"ReLU \+ Glorot shrinks by \*\*([\d.]+)\*\* per layer", text).group(1))
    assert factor == pytest.approx(0.5, abs=0.08)
    he_last = float(re.search(r"ReLU \+ He stays of order 1 \(layer 10: ([\d.]+)\)", text).group(1))
    assert 0.3 < he_last < 3
    assert f"{2.0**-10:.4f}" in text


def test_split_sizes_and_accuracies():
    from sklearn.datasets import load_digits

    n = len(load_digits().target)
    n_test = n_val = int(n * 0.2)
    t = table_with("share")
    assert number(row(t, "train")["images"]) == n - n_val - n_test
    assert number(row(t, "val")["images"]) == n_val
    assert number(row(t, "test")["images"]) == n_test
    assert row(t, "train")["share"] == f"{(n - n_val - n_test) / n:.0%}"
    assert number(row(t, "test")["accuracy"]) > 0.9


def test_overfitting_net_size_matches_keras(keras):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(64), keras.layers.Dense(64),
                              keras.layers.Dense(2)])
    text = _run().text
    assert f"{model.count_params():,} weights and biases" in text
    assert "**30** training points, 500 validation points" in text


def test_lowest_validation_loss_sentence_matches_the_table():
    t = table_with("val loss")
    vals = {r[0]: number(r[2]) for r in t["rows"]}
    best = min(vals, key=vals.get)
    assert f"On this run **{best}** keeps it lowest ({vals[best]:.3f})" in _run().text


def test_keras_l1_takes_the_subgradient_step_and_only_the_proximal_step_gives_zeros(keras, tf):
    w = tf.Variable(np.array([-0.5, -1e-4, 0.0, 2e-4, 0.3]))
    with tf.GradientTape() as tape:
        penalty = keras.regularizers.L1(3e-3)(w)
    np.testing.assert_allclose(tape.gradient(penalty, w).numpy(), 3e-3 * np.sign(w.numpy()))
    t = table_with("exactly 0")
    assert number(row(t, "L1 (3e-3)")["exactly 0"]) == 0
    assert number(row(t, "L1 (3e-3)")["|w| < 0.001"]) > 100          # jitter around 0
    assert number(row(t, "L1 proximal")["exactly 0"]) > 100
    assert number(row(t, "L2 (1e-2)")["exactly 0"]) == 0
    assert number(row(t, "L2 (1e-2)")["largest |w|"]) < number(row(t, "no regularisation")["largest |w|"])


def test_dropout_scaling_matches_keras(keras):
    rate = 0.3
    x = np.ones((1, 100_000), dtype="float32")
    layer = keras.layers.Dropout(rate, seed=1)
    train = np.asarray(layer(x, training=True))
    assert np.allclose(np.unique(train[train != 0]), 1 / (1 - rate))
    assert np.array_equal(np.asarray(layer(x, training=False)), x)
    t = table_with("kept values")
    kept = f"{np.float32(1) / np.float32(1 - rate):.4f}"
    assert row(t, "coursekit, training")["kept values"] == kept
    assert row(t, "Keras, training=True")["kept values"] == kept
    assert row(t, "Keras, training=False")["kept values"] == "1.0000"
    assert row(t, "Keras, training=False")["share zeroed"] == "0.000"
    assert abs(number(row(t, "coursekit, training")["share zeroed"]) - rate) < 0.01
    # the Bologna notes' test-time weight p instead of 1 - p, with their p = 0.1
    assert f"**{(1 - 0.1) / 0.1:.0f} times** too small" in _run().text


def test_activation_derivative_bounds():
    z = np.linspace(-10, 10, 20001)
    s = 1 / (1 + np.exp(-z))
    text = _run().text
    assert f"max sigmoid' = **{(s * (1 - s)).max():.2f}**" in text
    assert f"maximum **{(1 - np.tanh(z) ** 2).max():.1f}** at 0" in text
    assert math.isclose((s * (1 - s)).max(), 0.25)
