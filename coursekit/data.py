"""Offline data for the course: nothing here downloads anything.

    height_abdomen()      lecture 1: height / abdominal circumference of men (seed 000), labelled
    nand_table(), xor_table()          the two logic truth tables
    digits_5x5()          the five 5x5 binary digits of the MATLAB ``TrainingNetwork`` (seed 000)
    digits_8x8()          scikit-learn's bundled 8x8 handwritten digits (1797 images)
    photo()               a real photograph shipped by matplotlib (Grace Hopper) or scikit-learn
    two_gaussians(x, y)   the difference-of-two-Gaussians loss surface of seed 004, and its gradient

scikit-learn and the image readers are imported inside the functions (``import coursekit.data`` stays fast).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "HeightAbdomen", "height_abdomen", "HEIGHT_ABDOMEN_INTRO", "LABEL_RULE", "standardize",
    "nand_table", "xor_table",
    "digits_5x5", "digits_8x8",
    "photo",
    "TWO_GAUSSIANS", "TWO_GAUSSIANS_STARTS", "two_gaussians", "two_gaussians_gradient",
]

# --------------------------------------------------------------------------------------------
# (a) Height / abdominal circumference (lecture 1)
# --------------------------------------------------------------------------------------------

# Seed 000 (000_ac985fa1888de24d.txt), lines 314-321, "Training set: 'healthy' vs overweighting men",
# copied verbatim: each H row (height, cm) is followed by its C row (abdominal circumference, cm);
# each line holds three groups of nine men.  108 men in all.
_SEED_000_TRAINING_TABLE = """\
H	185	178	184	190	169	188	185	192	175	H	168	179	170	180	169	189	188	190	178	H	185	192	175	185	192	168	190	186	168
C	85	94	102	80	98	110	116	77	84	C	88	90	68	120	112	109	89	92	94	C	77	103	119	98	99	100	98	96	78
H	188	190	178	169	188	185	192	190	188	H	185	192	168	179	188	185	192	175	180	H	169	189	188	190	169	188	185	192	188
C	90	79	68	120	98	99	102	104	89	C	87	90	102	98	96	78	90	103	110	C	90	89	90	79	68	120	96	99	79
H	168	179	170	182	168	178	190	188	177	H	175	188	178	169	176	168	179	170	180	H	178	193	190	169	188	185	177	186	165
C	113	90	90	79	68	120	98	96	78	C	119	98	106	116	77	103	119	98	77	C	90	79	68	120	112	109	89	92	78
H	190	170	179	170	180	179	177	185	159	H	176	168	179	188	185	177	168	179	188	H	176	181	174	185	192	175	185	192	169
C	68	120	98	96	77	103	119	98	89	C	104	77	98	96	78	90	79	68	120	C	102	98	96	78	82	95	99	100	96
"""

# Seed 000, lines 25-26: the nine men of the opening slide ("A Human-Vision Task").
HEIGHT_ABDOMEN_INTRO = np.array([
    [181, 85], [184, 94], [172, 102], [160, 80], [170, 98],
    [187, 110], [184, 116], [176, 77], [190, 84],
], dtype=np.float64)

LABEL_RULE = ("label 1 ('overweight') when abdominal circumference / height >= 0.5 (the waist-to-height "
              "ratio cut-off of Ashwell & Hsieh, 'keep your waist to less than half your height'), "
              "else 0 ('healthy'). The seed gives no labels; this rule is our choice.")


@dataclass(frozen=True)
class HeightAbdomen:
    """x (n, 2) = [height_cm, abdomen_cm], y (n,) in {0, 1}, feature names and the labelling rule."""

    x: np.ndarray
    y: np.ndarray
    feature_names: tuple[str, str]
    rule: str
    source: str


def _parse_seed_table(text: str) -> np.ndarray:
    rows = [line.split("\t") for line in text.strip().splitlines()]
    cols = []
    for h_row, c_row in zip(rows[0::2], rows[1::2]):
        assert h_row[0] == "H" and c_row[0] == "C" and len(h_row) == len(c_row) == 30
        for h, c in zip(h_row, c_row):
            if h != "H":
                cols.append((float(h), float(c)))
    return np.array(cols)


def height_abdomen(which: str = "training") -> HeightAbdomen:
    """The height / abdominal-circumference men of lecture 1, labelled by :data:`LABEL_RULE`.

    which="training": the 108-man training table (seed 000, lines 314-321);
    which="intro": the 9 men of the opening slide (seed 000, lines 25-26).
    Returns a :class:`HeightAbdomen` with x (n, 2) float64 in cm and y (n,) float64 in {0, 1}.
    """
    if which == "training":
        x, source = _parse_seed_table(_SEED_000_TRAINING_TABLE), "seed 000, lines 314-321"
    elif which == "intro":
        x, source = HEIGHT_ABDOMEN_INTRO.copy(), "seed 000, lines 25-26"
    else:
        raise ValueError(f"which must be 'training' or 'intro'; got {which!r}")
    y = (x[:, 1] / x[:, 0] >= 0.5).astype(np.float64)
    return HeightAbdomen(x=x, y=y, feature_names=("height_cm", "abdomen_cm"), rule=LABEL_RULE, source=source)


def standardize(x, mean=None, std=None):
    """(x - mean) / std per column; returns (z, mean, std).  Pass the training mean/std for new data.

    The raw features are ~180 and ~95 cm: a sigmoid of them saturates unless the weights are
    tiny (the lecture's 0.0006), so gradient descent is far easier on standardized inputs.
    """
    x = np.asarray(x, dtype=np.float64)
    mean = x.mean(axis=0) if mean is None else np.asarray(mean, dtype=np.float64)
    std = x.std(axis=0) if std is None else np.asarray(std, dtype=np.float64)
    return (x - mean) / std, mean, std


# --------------------------------------------------------------------------------------------
# (b) Logic truth tables
# --------------------------------------------------------------------------------------------

def _truth_table(fn):
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    return x, np.array([fn(int(a), int(b)) for a, b in x], dtype=np.float64)


def nand_table():
    """(x (4, 2), y (4,)): rows 00, 01, 10, 11 and NAND = 1, 1, 1, 0."""
    return _truth_table(lambda a, b: 1 - (a & b))


def xor_table():
    """(x (4, 2), y (4,)): rows 00, 01, 10, 11 and XOR = 0, 1, 1, 0."""
    return _truth_table(lambda a, b: a ^ b)


# --------------------------------------------------------------------------------------------
# (c) 5x5 digits of the MATLAB TrainingNetwork (seed 000)
# --------------------------------------------------------------------------------------------

# As in the seed, 0 is ink and 1 is background.  Digits 1 and 2 are transcribed from seed 000,
# lines 883-894 (TrainingNetwork.m lines 3-14; the seed's `input_Image(:,:,:,k)` has one index too
# many for a 5x5x5 array - read it as `(:,:,k)`).  Of digit 5 the seed shows only its last two rows
# (TrainingNetwork.m lines 30-31, seed lines 902-903: "1 1 1 1 0; 0 0 0 0 1"), which ours keeps.
# Digits 3, 4 and the top of 5 are drawn by us in the same style.
_DIGITS_5X5 = np.array([
    [[1, 0, 0, 1, 1],   # 1 (seed)
     [1, 1, 0, 1, 1],
     [1, 1, 0, 1, 1],
     [1, 1, 0, 1, 1],
     [1, 0, 0, 0, 1]],
    [[0, 0, 0, 0, 1],   # 2 (seed)
     [1, 1, 1, 1, 0],
     [1, 0, 0, 0, 1],
     [0, 1, 1, 1, 1],
     [0, 0, 0, 0, 0]],
    [[0, 0, 0, 0, 1],   # 3 (ours)
     [1, 1, 1, 1, 0],
     [1, 0, 0, 0, 1],
     [1, 1, 1, 1, 0],
     [0, 0, 0, 0, 1]],
    [[1, 1, 1, 0, 1],   # 4 (ours)
     [1, 1, 0, 0, 1],
     [1, 0, 1, 0, 1],
     [0, 0, 0, 0, 0],
     [1, 1, 1, 0, 1]],
    [[0, 0, 0, 0, 0],   # 5 (ours; last two rows from the seed)
     [0, 1, 1, 1, 1],
     [0, 0, 0, 0, 1],
     [1, 1, 1, 1, 0],
     [0, 0, 0, 0, 1]],
], dtype=np.float64)


def digits_5x5(ink_is_one: bool = False):
    """The five 5x5 digits 1-5 of lecture 1's deep network: (X, Y, labels).

    X (5, 5, 5) = (digit, row, col) float64 in {0, 1}, 0 = ink as in the seed (``ink_is_one=True``
    inverts it); Y (5, 5) one-hot (the seed's ``correct_Output``, the identity); labels (5,) = 1..5.
    MATLAB's ``reshape(img, 25, 1)`` is column-major: use ``X[k].T.reshape(25)`` to reproduce it,
    ``X.reshape(5, 25)`` for row-major.
    """
    X = _DIGITS_5X5.copy()
    if ink_is_one:
        X = 1.0 - X
    return X, np.eye(5), np.arange(1, 6)


# --------------------------------------------------------------------------------------------
# (d) scikit-learn's 8x8 digits
# --------------------------------------------------------------------------------------------

def digits_8x8():
    """scikit-learn's bundled handwritten digits (offline): (images (1797, 8, 8) float64 in [0, 1], labels (1797,) int).

    The raw pixels are counts 0..16 (4x4 blocks of a 32x32 bitmap); we divide by 16.
    """
    from sklearn.datasets import load_digits

    d = load_digits()
    return d.images.astype(np.float64) / 16.0, d.target.astype(np.int64)


# --------------------------------------------------------------------------------------------
# (e) A real photograph
# --------------------------------------------------------------------------------------------

_PHOTOS = ("grace_hopper", "china", "flower")


def photo(gray: bool = True, size=None, name: str = "grace_hopper"):
    """A real photograph as float64 in [0, 1]: (H, W) if gray else (H, W, 3).

    name: "grace_hopper" (matplotlib's sample data, 600x512 portrait), "china" or "flower"
    (scikit-learn's sample images, 427x640).  size: None (original), an int (the longer side,
    aspect kept) or (height, width).  Gray uses the ITU-R 601 luma 0.299 R + 0.587 G + 0.114 B.
    """
    from PIL import Image

    if name == "grace_hopper":
        import matplotlib.cbook as cbook

        with Image.open(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)) as im:
            img = im.convert("RGB")
    elif name in ("china", "flower"):
        from sklearn.datasets import load_sample_image

        img = Image.fromarray(load_sample_image(f"{name}.jpg"))
    else:
        raise ValueError(f"name must be one of {', '.join(map(repr, _PHOTOS))}; got {name!r}")
    if size is not None:
        if isinstance(size, (int, np.integer)):
            scale = int(size) / max(img.size)
            hw = (max(1, round(img.size[1] * scale)), max(1, round(img.size[0] * scale)))
        else:
            hw = tuple(int(s) for s in size)
            if len(hw) != 2:
                raise ValueError(f"size must be None, an int or (height, width); got {size!r}")
        if min(hw) < 1:
            raise ValueError(f"size must be positive; got {size!r}")
        img = img.resize((hw[1], hw[0]), Image.Resampling.LANCZOS)
    rgb = np.asarray(img, dtype=np.float64) / 255.0
    if gray:
        return np.clip(rgb @ np.array([0.299, 0.587, 0.114]), 0.0, 1.0)
    return rgb


# --------------------------------------------------------------------------------------------
# (f) Difference of two bivariate Gaussians (seed 004)
# --------------------------------------------------------------------------------------------

# Seed 004, lines 344-348: "Showed gradient_descent_animation.ipynb. The function is a difference of
# two bi-variate gaussian distributions" - the seed gives no parameters.  We take them from the
# public notebook of that name used in that course: f = 10 * (N(mu2, S2) - N(mu1, S1)), a well
# near mu1 = (0, 0) and a hill near mu2 = (1, 1).  That notebook's "gradient" omits the factor 10 and
# its sign is flipped (it is minus the gradient of N2 - N1), so its `pos + step * f1(pos)` with step 1
# is gradient descent on our f with learning rate 0.1.  Our gradient is the true gradient of f.
TWO_GAUSSIANS = {
    "scale": 10.0,
    "mu1": np.array([0.0, 0.0]), "sigma1": np.array([[1.0, 0.5], [0.5, 1.0]]),
    "mu2": np.array([1.0, 1.0]), "sigma2": np.array([[1.5, 0.0], [0.0, 0.5]]),
}
# Start points tried in that notebook.  With learning rate 0.1 on f (the notebook's step 1), 300
# steps: (0.8, 1.31) and (-1.2, 1.0) reach the minimum f = -1.546 at (-0.233, -0.333); (0.8, 1.41),
# just across the ridge, runs off onto the flat plateau (f ~ 0); so does (-2.0, 1.0).
TWO_GAUSSIANS_STARTS = np.array([[0.8, 1.31], [0.8, 1.41], [-1.2, 1.0], [-2.0, 1.0]])


def _gaussian_pdf_and_grad(x, y, mu, sigma):
    """Bivariate normal density N(mu, sigma) at (x, y) and its gradient -pdf * sigma^-1 (p - mu)."""
    inv = np.linalg.inv(sigma)
    dx, dy = x - mu[0], y - mu[1]
    q = inv[0, 0] * dx * dx + 2 * inv[0, 1] * dx * dy + inv[1, 1] * dy * dy  # Mahalanobis distance**2
    pdf = np.exp(-0.5 * q) / (2 * np.pi * np.sqrt(np.linalg.det(sigma)))
    return pdf, -pdf * (inv[0, 0] * dx + inv[0, 1] * dy), -pdf * (inv[1, 0] * dx + inv[1, 1] * dy)


def two_gaussians(x, y):
    """f(x, y) = 10 * (N((x, y); mu2, S2) - N((x, y); mu1, S1)); x, y broadcast (e.g. np.meshgrid)."""
    x, y = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    p = TWO_GAUSSIANS
    f2, _, _ = _gaussian_pdf_and_grad(x, y, p["mu2"], p["sigma2"])
    f1, _, _ = _gaussian_pdf_and_grad(x, y, p["mu1"], p["sigma1"])
    return p["scale"] * (f2 - f1)


def two_gaussians_gradient(x, y):
    """(df/dx, df/dy) of :func:`two_gaussians`, each of the broadcast shape of x and y."""
    x, y = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    p = TWO_GAUSSIANS
    _, g2x, g2y = _gaussian_pdf_and_grad(x, y, p["mu2"], p["sigma2"])
    _, g1x, g1y = _gaussian_pdf_and_grad(x, y, p["mu1"], p["sigma1"])
    return p["scale"] * (g2x - g1x), p["scale"] * (g2y - g1y)
