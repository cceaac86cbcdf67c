"""Lecture 2: the numbers and facts it must show, computed here independently of coursekit.

The notebook is executed once per session (tests/support/lectures.py); the checks read its outputs.
References: NumPy (np.linalg.eigvalsh of Hessians built here, finite differences), Keras's own optimizers
driven by tf.GradientTape gradients, and plain arithmetic.
"""

from __future__ import annotations

import html
import math
import re

import numpy as np
import pytest

from support.lectures import executed

pytestmark = pytest.mark.slow


def _outputs(run, mime):
    return [out.data[mime] for cell in run.nb.cells for out in cell.get("outputs", []) if mime in out.get("data", {})]


def _table(run, first_header: str, has: str = "") -> tuple[list[str], list[list[str]]]:
    """(headers, rows of cell texts) of the HTML table whose first column is ``first_header`` and whose
    headers contain ``has``."""
    for h in _outputs(run, "text/html"):
        heads = [html.unescape(x) for x in re.findall(r"<th(?:\s[^>]*)?>(.*?)</th>", h)]
        if heads and heads[0] == first_header and any(has in x for x in heads):
            rows = [[html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", r)]
                    for r in re.findall(r"<tr>(.*?)</tr>", h.split("<tbody>")[1])]
            return heads, rows
    raise AssertionError(f"no table with first column {first_header!r} and a header with {has!r}")


def _pair(text: str) -> np.ndarray:
    return np.array([float(v) for v in text.strip("()").split(",")])


def _markdown(run) -> str:
    return "\n".join(_outputs(run, "text/markdown"))


@pytest.fixture(scope="module")
def run():
    return executed("02_gradient_descent")


def test_lecture_02_animation_and_start_points(run):
    htmls = _outputs(run, "text/html")
    assert any(h.count("data:image/png;base64") >= 10 and "<script" in h for h in htmls), \
        "the FuncAnimation.to_jshtml animation (embedded PNG frames) is not in the outputs"
    _, rows = _table(run, "chosen to show")
    assert {r[0] for r in rows} == {"converges", "crosses the hill", "stalls on the plateau"}


def test_learning_rate_bounds_come_from_the_curvature(run):
    # C(P) = (P - E)^2: second derivative by finite differences of the cost itself
    h, p = 1e-3, 0.3
    c2 = ((p + h) ** 2 - 2 * p ** 2 + (p - h) ** 2) / h ** 2
    md = _markdown(run)
    assert f"1/C'' = **{1 / c2:.3g}**" in md and f"2/C'' = **{2 / c2:.3g}**" in md


def test_valley_condition_number_and_stability_bound(run):
    """The valley's Hessian by finite differences of f (not coursekit's Hessian), then eigvalsh."""
    from coursekit.gradient_descent import elongated_valley

    h, x0 = 1e-3, np.array([0.3, -0.2])
    H = np.empty((2, 2))
    for i in range(2):
        for j in range(2):
            ei, ej = np.eye(2)[i] * h, np.eye(2)[j] * h
            H[i, j] = (elongated_valley(x0 + ei + ej) - elongated_valley(x0 + ei - ej)
                       - elongated_valley(x0 - ei + ej) + elongated_valley(x0 - ei - ej)) / (4 * h * h)
    ev = np.linalg.eigvalsh((H + H.T) / 2)
    md = _markdown(run)
    assert f"κ = **{ev[1] / ev[0]:.0f}**" in md
    assert f"2/λmax = **{2 / ev[1]:.3g}**" in md
    assert f"**{ev[0]:.3g}** and **{ev[1]:.3g}**" in md


def test_standardisation_table_matches_the_hessian_eigenvalues(run):
    from coursekit.data import height_abdomen

    x = height_abdomen("training").x
    _, rows = _table(run, "inputs")
    shown = {r[0]: r for r in rows}
    for name, xi in (("raw (cm)", x), ("standardized", (x - x.mean(0)) / x.std(0))):
        X = np.c_[xi, np.ones(len(xi))]
        ev = np.linalg.eigvalsh(2 / len(X) * X.T @ X)          # Hessian of mean((X wb - y)^2)
        row = shown[name]
        np.testing.assert_allclose([float(v) for v in row[1:4]], ev, rtol=5e-3)
        assert float(row[4]) == pytest.approx(ev[-1] / ev[0], rel=5e-3)
        assert float(row[5]) == pytest.approx(2 / ev[-1], rel=5e-3)
        # steps for the slowest component to shrink 1000-fold at lr = 1 / lambda_max
        assert float(row[6]) == pytest.approx(math.log(1000) / -math.log(1 - ev[0] / ev[-1]), rel=5e-3)
    assert float(shown["raw (cm)"][4]) > 1e6 > 1.5 > float(shown["standardized"][4])


def _keras_valley_path(keras, tf, opt, x0, steps):
    var = keras.Variable(np.array(x0, dtype=np.float64), dtype="float64")
    path = [var.numpy().copy()]
    for _ in range(steps):
        with tf.GradientTape() as tape:
            f = 0.5 * (0.1 * var.value[0] ** 2 + 4.0 * var.value[1] ** 2)
        opt.apply_gradients([(tape.gradient(f, var.value), var)])
        path.append(var.numpy().copy())
    return np.array(path)


def _optimizer(keras, name, lr, mu=0.9):
    if name == "sgd":
        return keras.optimizers.SGD(lr)
    if name in ("momentum", "nesterov"):
        return keras.optimizers.SGD(lr, momentum=mu, nesterov=name == "nesterov")
    return (keras.optimizers.RMSprop if name == "rmsprop" else keras.optimizers.Adam)(lr)


def test_formula_steps_shown_equal_keras_steps(run, keras, tf):
    heads, rows = _table(run, "optimizer", has="coursekit after")
    steps = int(re.search(r"\d+", heads[1]).group())
    lrs = {"sgd": 0.05, "momentum": 0.05, "nesterov": 0.05, "rmsprop": 0.3, "adam": 0.3}
    for name, ours, keras_shown, _ in rows:
        expected = _keras_valley_path(keras, tf, _optimizer(keras, name, lrs[name]), [-9.0, 2.0], steps)[-1]
        np.testing.assert_allclose(_pair(ours), expected, atol=2e-5)
        np.testing.assert_allclose(_pair(keras_shown), expected, atol=2e-6)


def test_nesterov_lookahead_table(run, keras, tf):
    """The look-ahead form, coded here, shifted by mu v, is Keras's Nesterov path; w itself is not."""
    _, rows = _table(run, "step")
    lr, mu, w, v = 0.05, 0.9, np.array([-9.0, 2.0]), np.zeros(2)
    keras_path = _keras_valley_path(keras, tf, _optimizer(keras, "nesterov", lr, mu), w, len(rows) - 1)
    grad = lambda p: np.array([0.1 * p[0], 4.0 * p[1]])  # noqa: E731
    for t, row in enumerate(rows):
        np.testing.assert_allclose(_pair(row[1]), w, atol=2e-6)
        np.testing.assert_allclose(_pair(row[2]), w + mu * v, atol=2e-6)
        np.testing.assert_allclose(_pair(row[3]), keras_path[t], atol=2e-6)
        if t:
            assert np.abs(w - keras_path[t]).max() > 1e-2
        v = mu * v - lr * grad(w + mu * v)
        w = w + v


def test_race_ranking_is_computed_from_the_run(run, keras, tf):
    heads, rows = _table(run, "optimizer", has="f after")
    steps = int(re.search(r"\d+", heads[1]).group())
    lrs = {"sgd": 0.05, "momentum": 0.05, "nesterov": 0.05, "rmsprop": 0.3, "adam": 0.3}
    final = {}
    for name, lr in lrs.items():
        p = _keras_valley_path(keras, tf, _optimizer(keras, name, lr), [-9.0, 2.0], steps)[-1]
        final[name] = 0.5 * (0.1 * p[0] ** 2 + 4.0 * p[1] ** 2)
    for name, shown in rows:
        assert float(shown) == pytest.approx(final[name], rel=2e-2)
    md = _markdown(run)
    assert f"**{min(final, key=final.get)}** gets lowest and **{max(final, key=final.get)}** highest" in md


def test_batch_comparison_sentence_matches_its_table(run):
    _, rows = _table(run, "method")
    lowest = min(rows, key=lambda r: float(r[-1]))[0]
    assert f"the lowest loss in this run is **{lowest}**" in _markdown(run)
    for _, bs, per_epoch, total, _ in rows:
        assert int(per_epoch) == math.ceil(108 / int(bs)) and int(total.replace(",", "")) == 30 * int(per_epoch)


def test_compile_fit_history(run):
    _, fit_rows = _table(run, "optimizer", has="val_loss")
    assert {r[0] for r in fit_rows} == {"SGD + momentum", "RMSprop", "Adam"}
    assert all(int(r[1]) == math.ceil(400 / 32) for r in fit_rows)
    assert all(float(r[2]) < math.log(10) for r in fit_rows), "training loss below chance level's ln 10"


def test_figure_only_code_is_hidden_in_the_deck(run):
    for cell in run.nb.cells:
        if cell.cell_type == "code" and ("plt.show()" in cell.source or "animation_html(" in cell.source):
            assert "remove-input" in cell.metadata.get("tags", []), cell.source[:80]
