"""coursekit.data: offline data sets, checked against the lecture notes' text and independent computations."""

from __future__ import annotations

import re

import numpy as np
import pytest

from coursekit import data as D
from coursekit.gradient_descent import gradient_descent, numerical_gradient

# Excerpts of Salvatore's lecture notes (IUSS Pavia, "Machine Learning: basi e applicazioni"), copied
# here as they appear in the text, independently of coursekit.data's own transcription.
SALVATORE = {
    "opening slide": [
        'H (cm)\t181\t184\t172\t160\t170\t187\t184\t176\t190',
        'AC (cm)\t85\t94\t102\t80\t98\t110\t116\t77\t84',
    ],
    "training table": [
        'H\t185\t178\t184\t190\t169\t188\t185\t192\t175\tH\t168\t179\t170\t180\t169\t189\t188\t190\t178\tH\t185\t192\t175\t185\t192\t168\t190\t186\t168',
        'C\t85\t94\t102\t80\t98\t110\t116\t77\t84\tC\t88\t90\t68\t120\t112\t109\t89\t92\t94\tC\t77\t103\t119\t98\t99\t100\t98\t96\t78',
        'H\t188\t190\t178\t169\t188\t185\t192\t190\t188\tH\t185\t192\t168\t179\t188\t185\t192\t175\t180\tH\t169\t189\t188\t190\t169\t188\t185\t192\t188',
        'C\t90\t79\t68\t120\t98\t99\t102\t104\t89\tC\t87\t90\t102\t98\t96\t78\t90\t103\t110\tC\t90\t89\t90\t79\t68\t120\t96\t99\t79',
        'H\t168\t179\t170\t182\t168\t178\t190\t188\t177\tH\t175\t188\t178\t169\t176\t168\t179\t170\t180\tH\t178\t193\t190\t169\t188\t185\t177\t186\t165',
        'C\t113\t90\t90\t79\t68\t120\t98\t96\t78\tC\t119\t98\t106\t116\t77\t103\t119\t98\t77\tC\t90\t79\t68\t120\t112\t109\t89\t92\t78',
        'H\t190\t170\t179\t170\t180\t179\t177\t185\t159\tH\t176\t168\t179\t188\t185\t177\t168\t179\t188\tH\t176\t181\t174\t185\t192\t175\t185\t192\t169',
        'C\t68\t120\t98\t96\t77\t103\t119\t98\t89\tC\t104\t77\t98\t96\t78\t90\t79\t68\t120\tC\t102\t98\t96\t78\t82\t95\t99\t100\t96',
    ],
    "TrainingNetwork.m, digits 1 and 2": [
        '3 - input_Image(:,:,:,1) = [1 0 0 1 1;',
        '4 -                         1 1 0 1 1;',
        '5 -                         1 1 0 1 1;',
        '6 -                         1 1 0 1 1;',
        '7 -                         1 0 0 0 1;',
        '8 -                         ];',
        '9 - input_Image(:,:,:,2) = [0 0 0 0 1;',
        '10 -                         1 1 1 1 0;',
        '11 -                         1 0 0 0 1;',
        '12 -                         0 1 1 1 1;',
        '13 -                         0 0 0 0 0;',
        '14 -                         ];',
    ],
    "TrainingNetwork.m, end of digit 5": [
        '30          1 1 1 1 0;',
        '31          0 0 0 0 1;',
    ],
}


def test_training_table_is_copied_verbatim():
    # the module says its table is the lecture's, copied verbatim: tabs, row order and all
    assert D._TRAINING_TABLE.splitlines() == SALVATORE["training table"]




# ------------------------------------------------------------------ height / abdomen

def test_height_abdomen_is_the_lecture_table():
    lines = SALVATORE["training table"]
    heights, circs = [], []
    for line in lines:
        numbers = [float(v) for v in re.findall(r"\d+", line)]
        (heights if line.startswith("H") else circs).extend(numbers)
    d = D.height_abdomen()
    assert d.x.shape == (108, 2) and d.y.shape == (108,)
    np.testing.assert_array_equal(d.x[:, 0], heights)
    np.testing.assert_array_equal(d.x[:, 1], circs)
    assert d.feature_names == ("height_cm", "abdomen_cm") and "0.5" in d.rule
    np.testing.assert_array_equal(d.y, (np.array(circs) / np.array(heights) >= 0.5).astype(float))
    assert 0.2 < d.y.mean() < 0.8  # both classes well represented


def test_height_abdomen_intro_table_and_lecture_example_label():
    line_h, line_c = SALVATORE["opening slide"]
    d = D.height_abdomen("intro")
    np.testing.assert_array_equal(d.x[:, 0], [float(v) for v in re.findall(r"\d+", line_h)])
    np.testing.assert_array_equal(d.x[:, 1], [float(v) for v in re.findall(r"\d+", line_c)])
    # the worked example (185 cm, 85 cm) has expected output 0.0 in the lecture
    train = D.height_abdomen()
    assert train.y[0] == 0.0 and tuple(train.x[0]) == (185.0, 85.0)
    assert "Salvatore, IUSS Pavia" in train.source and "Salvatore, IUSS Pavia" in d.source
    with pytest.raises(ValueError, match="which must be one of 'training', 'intro'; got 'test'"):
        D.height_abdomen("test")


def test_standardize():
    x = D.height_abdomen().x
    z, mean, std = D.standardize(x)
    np.testing.assert_allclose(z.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(z.std(axis=0), 1.0)
    z2, _, _ = D.standardize(x[:5], mean, std)
    np.testing.assert_allclose(z2, z[:5])


# ------------------------------------------------------------------ truth tables

def test_truth_tables():
    x, y = D.nand_table()
    np.testing.assert_array_equal(x, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(y, [1, 1, 1, 0])
    x, y = D.xor_table()
    np.testing.assert_array_equal(y, [0, 1, 1, 0])


# ------------------------------------------------------------------ 5x5 digits

def test_digits_5x5_contain_the_lecture_digits():
    X, Y, labels = D.digits_5x5()
    assert X.shape == (5, 5, 5) and set(np.unique(X)) <= {0.0, 1.0}
    np.testing.assert_array_equal(Y, np.eye(5))
    np.testing.assert_array_equal(labels, [1, 2, 3, 4, 5])
    lines = SALVATORE["TrainingNetwork.m, digits 1 and 2"]
    # each line looks like "3 - input_Image(:,:,:,1) = [1 0 0 1 1;" or "4 -   1 1 0 1 1;"
    rows = [re.findall(r"\b[01]\b", line.split("=")[-1] if "=" in line else line.split("-", 1)[-1])
            for line in lines]
    rows = [[float(v) for v in r] for r in rows if len(r) == 5]
    assert len(rows) == 10
    np.testing.assert_array_equal(X[0], rows[:5])
    np.testing.assert_array_equal(X[1], rows[5:])
    tail = [[float(v) for v in re.findall(r"\b[01]\b", line.split(None, 1)[1])]
            for line in SALVATORE["TrainingNetwork.m, end of digit 5"]]
    np.testing.assert_array_equal(X[4, 3:], tail)


def test_digits_5x5_are_distinct_and_invertible():
    X, _, _ = D.digits_5x5()
    flat = X.reshape(5, 25)
    hamming = (flat[:, None, :] != flat[None, :, :]).sum(-1)
    assert hamming[~np.eye(5, dtype=bool)].min() >= 3
    Xi, _, _ = D.digits_5x5(ink_is_one=True)
    np.testing.assert_array_equal(Xi, 1 - X)
    X[0, 0, 0] = 7  # a copy: the module's table must not change
    assert D.digits_5x5()[0][0, 0, 0] == 1.0


# ------------------------------------------------------------------ 8x8 digits and the photograph

def test_digits_8x8():
    images, labels = D.digits_8x8()
    assert images.shape == (1797, 8, 8) and labels.shape == (1797,)
    assert images.min() == 0.0 and images.max() == 1.0
    np.testing.assert_array_equal(np.unique(labels), np.arange(10))


def test_photo_gray_color_and_sizes():
    g = D.photo()
    assert g.ndim == 2 and g.shape == (600, 512) and 0.0 <= g.min() and g.max() <= 1.0 and g.std() > 0.1
    c = D.photo(gray=False, size=64)
    assert c.shape == (64, 55, 3) and c.dtype == np.float64 and 0.0 <= c.min() and c.max() <= 1.0
    assert D.photo(size=(32, 40)).shape == (32, 40)
    china = D.photo(name="china", size=100)
    assert china.shape == (67, 100)
    # gray is the ITU-R 601 luma of the colour image
    np.testing.assert_allclose(D.photo(size=64), c @ [0.299, 0.587, 0.114], atol=1e-12)
    with pytest.raises(ValueError, match="name must be one of"):
        D.photo(name="lena")
    with pytest.raises(ValueError, match=r"size \(height, width\) must be a positive int or a pair .*; got \(0, 5\)"):
        D.photo(size=(0, 5))
    with pytest.raises(ValueError, match="size must be a positive int; got 0"):
        D.photo(size=0)


# ------------------------------------------------------------------ two Gaussians (Bologna lesson notes)

def test_two_gaussians_matches_scipy_and_vectorises():
    from scipy.stats import multivariate_normal

    p = D.TWO_GAUSSIANS
    xs, ys = np.meshgrid(np.linspace(-3, 3, 7), np.linspace(-2, 3, 5))
    pos = np.stack([xs, ys], axis=-1)
    ref = 10 * (multivariate_normal(p["mu2"], p["sigma2"]).pdf(pos)
                - multivariate_normal(p["mu1"], p["sigma1"]).pdf(pos))
    f = D.two_gaussians(xs, ys)
    assert f.shape == xs.shape
    np.testing.assert_allclose(f, ref, rtol=1e-12, atol=1e-15)
    gx, gy = D.two_gaussians_gradient(xs, ys)
    assert gx.shape == gy.shape == xs.shape


def test_two_gaussians_gradient_vs_numerical(rng):
    for pt in rng.uniform([-3, -2], [3, 3], size=(20, 2)):
        num = numerical_gradient(lambda q: D.two_gaussians(q[0], q[1]), pt)
        np.testing.assert_allclose(D.two_gaussians_gradient(pt[0], pt[1]), num, rtol=1e-6, atol=1e-9)


def test_two_gaussians_descent_from_the_notebook_start_points():
    grad = lambda q: np.array(D.two_gaussians_gradient(q[0], q[1]))  # noqa: E731
    reach = gradient_descent(grad, D.TWO_GAUSSIANS_STARTS[0], 0.1, 300)[-1]
    escape = gradient_descent(grad, D.TWO_GAUSSIANS_STARTS[1], 0.1, 300)[-1]
    assert D.two_gaussians(*reach) < -1.5 and np.linalg.norm(grad(reach)) < 1e-6  # the minimum
    assert D.two_gaussians(*escape) > -0.01                                      # lost on the plateau


# ------------------------------------------------------------------ transfer learning tasks (lecture 6)

def test_target_task_data_is_disjoint_and_relabelled():
    x, y, xt, yt = D.target_task_data(12, seed=3)
    assert x.shape == (60, 8, 8, 1) and np.bincount(y).tolist() == [12] * 5
    from sklearn.datasets import load_digits

    n_target = int(np.isin(load_digits().target, [5, 6, 7, 8, 9]).sum())
    assert set(yt.tolist()) == {0, 1, 2, 3, 4} and len(xt) == n_target - 60
    train_rows = {r.tobytes() for r in x}
    assert not any(r.tobytes() in train_rows for r in xt)
    x2, y2, _, _ = D.target_task_data(12, seed=3)
    np.testing.assert_array_equal(x, x2)
    assert 0.0 <= x.min() and x.max() <= 1.0


def test_source_task_is_many_classes_without_the_target_digits():
    x, y = D.source_task_data(samples_per_font=2, seed=5)
    assert x.shape[1:] == (8, 8, 1) and x.dtype == np.float32 and y.shape == (len(x),)
    assert len(D.SOURCE_CLASSES) == len(set(D.SOURCE_CLASSES)) == 91  # as the docs say
    assert not set("56789") & set(D.SOURCE_CLASSES)  # the target classes are never seen
    assert set(np.unique(y).tolist()) == set(range(len(D.SOURCE_CLASSES)))
    counts = x * 16  # 4x4 block counts of a 32x32 bitmap, like the UCI digits
    np.testing.assert_allclose(counts, np.round(counts), atol=1e-6)
    assert 0.0 <= x.min() and x.max() <= 1.0
    from sklearn.datasets import load_digits

    digits = load_digits()
    handwritten = digits.images[digits.target < 5] / 16.0
    assert 0.8 < x[y >= 5].mean() / handwritten.mean() < 1.25  # glyph ink close to the digits' ink
    rows = {r.tobytes() for r in x[..., 0].astype(np.float64)}
    assert all(r.tobytes() in rows for r in handwritten)  # every handwritten 0-4 image is included
    x2, y2 = D.source_task_data(samples_per_font=2, seed=5)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    with pytest.raises(ValueError, match="samples_per_font"):
        D.source_task_data(samples_per_font=-1)
