"""Lecture 4: the numbers and facts it must show, computed here independently of coursekit.

The notebook is executed once per session (tests/support/lectures.py); the checks read its outputs.
"""

from __future__ import annotations

import re

import nbformat
import numpy as np
import pytest

from coursekit.convolution import LECTURE_FILTERS, LECTURE_IMAGE  # noqa: E402

from support.lectures import NOTEBOOKS, execute_tagged, executed, output_text


def _correlate_loops(img: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Plain-loop "valid" cross-correlation of one 2-D image, stride 1 (independent of coursekit)."""
    k = kernel.shape[0]
    return np.array([[np.sum(img[i:i + k, j:j + k] * kernel) for j in range(img.shape[1] - k + 1)]
                     for i in range(img.shape[0] - k + 1)])


@pytest.mark.slow
def test_lecture_04_prints_the_lecture_values(keras):
    text = output_text(execute_tagged("04_convolution"))
    with np.printoptions(precision=4, suppress=True):       # as the notebook's setup cell prints
        for kernel in LECTURE_FILTERS.values():
            assert str(_correlate_loops(LECTURE_IMAGE, kernel)) in text
    for k, c_in, f in [(3, 1, 8), (3, 8, 16)]:       # Ledda's 80 and 1168, counted by Keras
        layer = keras.layers.Conv2D(f, k)
        layer.build((None, 48, 48, c_in))
        n = layer.count_params()
        assert f"| {f} | 3×3 | {c_in} | {n} | {n} |" in text
    assert "| 4 | 2 | 1 | same | (0, 1) | 4 | 4 | 4 |" in text   # TF's asymmetric "same"
    assert "| 227 | 11 | 4 | valid | (0, 0) | 55 | 55 | 55 |" in text   # AlexNet's conv1 fits 227


# -- facts checked on the whole executed lecture -------------------------------------------------------

@pytest.fixture(scope="module")
def lecture():
    return executed("04_convolution")   # (that it runs without errors is tests/test_notebooks.py)


@pytest.mark.slow
def test_stacked_layers_output_m_feature_maps_not_n_times_m(lecture, keras):
    """Salvatore's slide says N layers x M filters give NxM feature maps; each layer outputs M."""
    n_layers, m_filters = 3, 8
    x = inputs = keras.Input((32, 32, 3))
    for _ in range(n_layers):
        x = keras.layers.Conv2D(m_filters, 3, padding="same")(x)
    model = keras.Model(inputs, x)
    maps = model.output.shape[-1]
    assert maps == m_filters != n_layers * m_filters
    assert f"**{maps} feature maps**, not N×M = {n_layers * m_filters}" in lecture.text
    # the layer table: every layer's output shape and Keras's parameter count
    for layer in model.layers[1:]:
        assert str(tuple(layer.output.shape)) in lecture.text
        assert f'<td style="text-align: right">{layer.count_params()}</td>' in lecture.text
    source = "\n".join(c.source for c in lecture.nb.cells if c.cell_type == "markdown")
    assert "That is wrong" in source or "**That is wrong**" in source


@pytest.mark.slow
def test_1x1_convolution_is_the_same_matrix_at_every_pixel(lecture):
    match = re.search(r"equals \$x\\,W \+ b\$ at all \*\*(\d+)\*\* positions \(largest difference ([\d.e+-]+)\)",
                      lecture.text)
    assert match, "the 1x1-convolution cell must state the comparison with Keras"
    assert int(match.group(1)) == 14 * 14
    assert float(match.group(2)) < 1e-4
    assert "1,040 parameters" in lecture.text and 64 * 16 + 16 == 1040
    markdown = " ".join(c.source for c in lecture.nb.cells if c.cell_type == "markdown")
    assert "supervised" in markdown and "Principal Component" in markdown


def _shift_right(images: np.ndarray, pixels: int) -> np.ndarray:
    out = np.zeros_like(images)
    out[:, :, pixels:] = images[:, :, :-pixels]
    return out


@pytest.mark.slow
def test_vision_is_hard_numbers_are_the_lectures(lecture):
    """A one-pixel shift vs the nearest other-class digit, and 1-NN accuracy, computed with scikit-learn."""
    from sklearn.datasets import load_digits
    from sklearn.metrics import pairwise_distances
    from sklearn.neighbors import KNeighborsClassifier

    digits = load_digits()
    x = digits.images / 16.0
    y = digits.target
    flat = x.reshape(len(x), -1)
    d = pairwise_distances(flat)
    nearest_other = np.where(y[:, None] == y[None, :], np.inf, d).min(1)
    shifted = _shift_right(x, 1).reshape(len(x), -1)
    farther = np.mean(np.linalg.norm(shifted - flat, axis=1) > nearest_other)
    assert f"Over the **{len(x):,}** digits" in lecture.text
    assert f"**{np.median(nearest_other):.2f}** away" in lecture.text
    assert f"A one-pixel shift moves **{farther:.1%}**" in lecture.text
    knn = KNeighborsClassifier(1).fit(flat[0::2], y[0::2])
    for images, pixels in ((flat[1::2], 0), (shifted[1::2], 1), (_shift_right(x, 2).reshape(len(x), -1)[1::2], 2)):
        accuracy = knn.score(images, y[1::2])
        assert f'<td style="text-align: right">{accuracy:.1%}</td>' in lecture.text, pixels


@pytest.mark.slow
def test_simple_and_complex_cells(lecture):
    """A line detector read at the centre responds at one bar position; its 5x5 max pool at five."""
    from scipy.signal import correlate2d

    kernel = np.array([[-1, 2, -1]] * 3) / 6.0
    simple, complex_ = [], []
    for col in range(15):
        img = np.zeros((15, 15))
        img[4:11, col] = 1.0
        fmap = np.maximum(correlate2d(img, kernel, mode="same"), 0.0)
        simple.append(fmap[7, 7] > 0)
        complex_.append(fmap[5:10, 5:10].max() > 0)
    assert (f"The simple cell responds at **{sum(simple)}** of the 15 bar positions, the complex cell at "
            f"**{sum(complex_)}**") in lecture.text
    assert sum(simple) == 1 and sum(complex_) == 5


def test_lecture_cites_authors_not_seeds():
    nb = nbformat.read(NOTEBOOKS / "04_convolution.ipynb", as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    assert "Lomonaco" not in text and "seed" not in text.lower()
    for author, place in (("Salvatore", "IUSS Pavia"), ("Ledda", "Cagliari Digital Lab"),
                          ("Vandin", "University of Padova"), ("Asperti", "University of Bologna")):
        assert author in text and place in text, author


