"""Offline data for the course: nothing here downloads anything.

    height_abdomen()      lecture 1: height / abdominal circumference of 108 men (Salvatore,
                          IUSS Pavia), labelled by the waist-to-height ratio
    nand_table(), xor_table()          the two logic truth tables
    digits_5x5()          the five 5x5 binary digits of Salvatore's MATLAB ``TrainingNetwork``
    digits_8x8()          scikit-learn's bundled 8x8 handwritten digits (1797 images)
    photo()               a real photograph shipped by matplotlib (Grace Hopper) or scikit-learn
    two_gaussians(x, y)   the difference-of-two-Gaussians loss surface of the Bologna lesson
                          notes, and its gradient
    source_task_data()    lecture 6's source task: handwritten digits 0-4 and 86 printed glyphs
                          (91 classes), rendered from matplotlib's fonts
    target_task_data()    lecture 6's target task: a few handwritten 5-9 to learn from

scikit-learn, scipy and the image readers are imported inside the functions (``import coursekit.data``
stays fast).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from coursekit.validation import as_pair, check_option, check_scalar

__all__ = [
    "HeightAbdomen", "height_abdomen", "HEIGHT_ABDOMEN_INTRO", "LABEL_RULE", "standardize",
    "nand_table", "xor_table",
    "digits_5x5", "digits_8x8",
    "photo",
    "TWO_GAUSSIANS", "TWO_GAUSSIANS_STARTS", "two_gaussians", "two_gaussians_gradient",
    "SOURCE_DIGITS", "TARGET_DIGITS", "GLYPH_FONTS", "GLYPH_CLASSES", "SOURCE_CLASSES",
    "source_task_data", "target_task_data",
]

# --------------------------------------------------------------------------------------------
# (a) Height / abdominal circumference (lecture 1)
# --------------------------------------------------------------------------------------------

# Salvatore (IUSS Pavia), the "Training set: 'healthy' vs overweighting men" table, copied verbatim:
# each H row (height, cm) is followed by its C row (abdominal circumference, cm); each line holds
# three groups of nine men.  108 men in all.
_TRAINING_TABLE = """\
H	185	178	184	190	169	188	185	192	175	H	168	179	170	180	169	189	188	190	178	H	185	192	175	185	192	168	190	186	168
C	85	94	102	80	98	110	116	77	84	C	88	90	68	120	112	109	89	92	94	C	77	103	119	98	99	100	98	96	78
H	188	190	178	169	188	185	192	190	188	H	185	192	168	179	188	185	192	175	180	H	169	189	188	190	169	188	185	192	188
C	90	79	68	120	98	99	102	104	89	C	87	90	102	98	96	78	90	103	110	C	90	89	90	79	68	120	96	99	79
H	168	179	170	182	168	178	190	188	177	H	175	188	178	169	176	168	179	170	180	H	178	193	190	169	188	185	177	186	165
C	113	90	90	79	68	120	98	96	78	C	119	98	106	116	77	103	119	98	77	C	90	79	68	120	112	109	89	92	78
H	190	170	179	170	180	179	177	185	159	H	176	168	179	188	185	177	168	179	188	H	176	181	174	185	192	175	185	192	169
C	68	120	98	96	77	103	119	98	89	C	104	77	98	96	78	90	79	68	120	C	102	98	96	78	82	95	99	100	96
"""

# Salvatore (IUSS Pavia): the nine men of the opening slide ("A Human-Vision Task").
HEIGHT_ABDOMEN_INTRO = np.array([
    [181, 85], [184, 94], [172, 102], [160, 80], [170, 98],
    [187, 110], [184, 116], [176, 77], [190, 84],
], dtype=np.float64)

LABEL_RULE = ("label 1 ('overweight') when abdominal circumference / height >= 0.5 (the waist-to-height "
              "ratio cut-off of Ashwell & Hsieh, 'keep your waist to less than half your height'), "
              "else 0 ('healthy'). The lecture gives no labels; this rule is our choice.")


@dataclass(frozen=True)
class HeightAbdomen:
    """x (n, 2) = [height_cm, abdomen_cm], y (n,) in {0, 1}, feature names and the labelling rule."""

    x: np.ndarray
    y: np.ndarray
    feature_names: tuple[str, str]
    rule: str
    source: str


def _parse_training_table(text: str) -> np.ndarray:
    """(108, 2) [height, circumference] from the H/C rows of :data:`_TRAINING_TABLE`."""
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

    which="training": the 108-man training table of Salvatore's lecture (IUSS Pavia);
    which="intro": the 9 men of its opening slide.
    Returns a :class:`HeightAbdomen` with x (n, 2) float64 in cm and y (n,) float64 in {0, 1}.
    """
    check_option(which, "which", ("training", "intro"))
    if which == "training":
        x = _parse_training_table(_TRAINING_TABLE)
        source = "Salvatore, IUSS Pavia, the 'healthy vs overweighting men' training table"
    else:
        x = HEIGHT_ABDOMEN_INTRO.copy()
        source = "Salvatore, IUSS Pavia, the opening slide 'A Human-Vision Task'"
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
# (c) 5x5 digits of Salvatore's MATLAB TrainingNetwork
# --------------------------------------------------------------------------------------------

# As in the lecture, 0 is ink and 1 is background.  Digits 1 and 2 are transcribed from Salvatore's
# slide of TrainingNetwork.m (its lines 3-14; the slide's `input_Image(:,:,:,k)` has one index too
# many for a 5x5x5 array - read it as `(:,:,k)`).  Of digit 5 the slide shows only its last two rows
# (TrainingNetwork.m lines 30-31: "1 1 1 1 0; 0 0 0 0 1"), which ours keeps.
# Digits 3, 4 and the top of 5 are drawn by us in the same style.
_DIGITS_5X5 = np.array([
    [[1, 0, 0, 1, 1],   # 1 (lecture)
     [1, 1, 0, 1, 1],
     [1, 1, 0, 1, 1],
     [1, 1, 0, 1, 1],
     [1, 0, 0, 0, 1]],
    [[0, 0, 0, 0, 1],   # 2 (lecture)
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
    [[0, 0, 0, 0, 0],   # 5 (ours; last two rows from the lecture)
     [0, 1, 1, 1, 1],
     [0, 0, 0, 0, 1],
     [1, 1, 1, 1, 0],
     [0, 0, 0, 0, 1]],
], dtype=np.float64)


def digits_5x5(ink_is_one: bool = False):
    """The five 5x5 digits 1-5 of lecture 1's deep network: (X, Y, labels).

    X (5, 5, 5) = (digit, row, col) float64 in {0, 1}, 0 = ink as in the lecture (``ink_is_one=True``
    inverts it); Y (5, 5) one-hot (the MATLAB program's ``correct_Output``, the identity); labels (5,) = 1..5.
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

    check_option(name, "name", _PHOTOS)
    if name == "grace_hopper":
        import matplotlib.cbook as cbook

        with Image.open(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)) as im:
            img = im.convert("RGB")
    else:
        from sklearn.datasets import load_sample_image

        img = Image.fromarray(load_sample_image(f"{name}.jpg"))
    if size is not None:
        if isinstance(size, (int, np.integer)):  # the longer side
            scale = check_scalar(size, "size", int, min_val=1) / max(img.size)
            hw = (max(1, round(img.size[1] * scale)), max(1, round(img.size[0] * scale)))
        else:
            hw = as_pair(size, "size (height, width)")
        img = img.resize((hw[1], hw[0]), Image.Resampling.LANCZOS)
    rgb = np.asarray(img, dtype=np.float64) / 255.0
    if gray:
        return np.clip(rgb @ np.array([0.299, 0.587, 0.114]), 0.0, 1.0)
    return rgb


# --------------------------------------------------------------------------------------------
# (f) Difference of two bivariate Gaussians (the Bologna lesson notes)
# --------------------------------------------------------------------------------------------

# The Bologna lesson notes: "Showed gradient_descent_animation.ipynb. The function is a difference of
# two bi-variate gaussian distributions" - the notes give no parameters.  We take them from the
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


# --------------------------------------------------------------------------------------------
# (g) Transfer learning (lecture 6): the 91-class glyph + digit source task, the digit target task
# --------------------------------------------------------------------------------------------

SOURCE_DIGITS = (0, 1, 2, 3, 4)
TARGET_DIGITS = (5, 6, 7, 8, 9)


def _digits_nhwc():
    """:func:`digits_8x8` as Keras images: float32 (1797, 8, 8, 1) in [0, 1], int64 labels."""
    images, labels = digits_8x8()
    return images.astype(np.float32)[..., None], labels


# Printed glyphs: the big part of the source task.  Rendered offline from the fonts
# matplotlib ships, then turned into 8x8 images the way the UCI/scikit-learn digits
# were made (a 32x32 bitmap, then the count of "on" pixels in each 4x4 block, 0..16).
GLYPH_FONTS = (
    "DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf", "DejaVuSans-BoldOblique.ttf",
    "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf", "DejaVuSerif-Italic.ttf", "DejaVuSerif-BoldItalic.ttf",
    "DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf", "DejaVuSansMono-Oblique.ttf",
    "DejaVuSansMono-BoldOblique.ttf", "STIXGeneral.ttf", "STIXGeneralBol.ttf", "STIXGeneralItalic.ttf",
    "STIXGeneralBolIta.ttf", "cmr10.ttf", "cmss10.ttf", "cmtt10.ttf", "cmb10.ttf", "cmti10.ttf",
)
# Letters and symbols; never the target digits 5-9.  Left out: letters an 8x8 image cannot
# tell from another class (O/0, I/l/1, lower case c o s v w x z = upper case).
GLYPH_CLASSES = tuple("ABCDEFGHJKLMNPQRSTUVWXYZabdefghijkmnpqrtuy"
                      "αβγδεζηθλμξπρστφχψωΓΔΘΛΞΠΣΦΨΩ&%#@?+=<>$§∂∞£€")
SOURCE_CLASSES = tuple(str(d) for d in SOURCE_DIGITS) + GLYPH_CLASSES
_GLYPH_SIZE, _GLYPH_PAD = 48, 6  # master rendering: font size (px) and padding


@functools.lru_cache(maxsize=None)
def _font(font_file: str):
    """matplotlib's font file as (FreeType face for the character map, PIL font at 48 px)."""
    import matplotlib
    from matplotlib.ft2font import FT2Font
    from PIL import ImageFont

    path = str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / font_file)
    return FT2Font(path), ImageFont.truetype(path, _GLYPH_SIZE)


def _glyph_sdf(char: str, font_file: str) -> np.ndarray | None:
    """Distance (px) from each pixel to the glyph's ink at font size 48, or None if the font lacks it.

    ``distance <= r`` is the glyph with strokes ``r`` pixels fatter on each side: one
    rendering serves every stroke thickness.  Cropped to the ink plus 6 px of margin.
    """
    from PIL import Image, ImageDraw
    from scipy import ndimage

    face, font = _font(font_file)
    if face.get_char_index(ord(char)) == 0:
        return None
    size = _GLYPH_SIZE
    img = Image.new("L", (2 * size, 2 * size), 0)
    ImageDraw.Draw(img).text((size // 2, size // 4), char, fill=255, font=font)
    ink = np.asarray(img) > 127
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    ink = np.pad(ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1], _GLYPH_PAD)
    return ndimage.distance_transform_edt(~ink).astype(np.float32)


def _render_glyphs(sdfs: list[np.ndarray], n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` randomly distorted 8x8 images of each glyph: ``(len(sdfs) * n, 8, 8)`` in [0, 1].

    Each sample: stroke offset, rotation, slant (shear), a smooth wobble, height 80-100 %
    of the 32x32 box, width by the glyph's aspect (x 0.75-1.2), centred +-1.5 px; the
    32x32 bitmap is reduced to 4x4 block counts / 16, like the UCI digits.
    """
    size = max(max(d.shape) for d in sdfs)
    stack = np.full((len(sdfs), size, size), np.inf, np.float32)  # padded with "far outside"
    for i, d in enumerate(sdfs):
        stack[i, :d.shape[0], :d.shape[1]] = d
    which = np.repeat(np.arange(len(sdfs)), n)
    m = len(which)
    # glyph bounding box (ink between _GLYPH_PAD and shape - _GLYPH_PAD), grown by the stroke offset
    half = np.array([[d.shape[1] / 2 - _GLYPH_PAD, d.shape[0] / 2 - _GLYPH_PAD] for d in sdfs])[which]
    centre = np.array([[d.shape[1] / 2, d.shape[0] / 2] for d in sdfs])[which]
    radius = rng.uniform(0.7, 2.7, m)
    angle, shear = np.deg2rad(rng.uniform(-12, 12, m)), rng.uniform(-0.35, 0.35, m)
    c, s = np.cos(angle), np.sin(angle)
    A = np.stack([np.stack([c, c * shear - s], -1), np.stack([s, s * shear + c], -1)], 1)  # rotation @ shear
    corners = np.array([[-1, -1, 1, 1], [-1, 1, -1, 1]])[None] * (half + radius[:, None])[..., None]
    extent = np.abs(A @ corners).max(-1) * 2                                            # (m, 2): width, height
    sy = 32 * rng.uniform(0.8, 1.0, m) / extent[:, 1]
    sx = np.minimum(sy * rng.uniform(0.75, 1.2, m), 30 / extent[:, 0])
    centre_out = np.stack([16 + rng.uniform(-1.5, 1.5, m), 16 + rng.uniform(-1, 1, m)], -1)
    # output pixel o (wobbled) -> glyph pixel p = M (o - centre_out) + centre, M = A^-1 diag(1/sx, 1/sy)
    M = (np.linalg.inv(A) / np.stack([sx, sy], -1)[:, None, :]).astype(np.float32)
    oy, ox = np.mgrid[0:32, 0:32].astype(np.float32) + 0.5
    o = np.stack([ox.ravel(), oy.ravel()])[None]                                      # (1, 2, 1024)
    freq, phase = rng.uniform(0.1, 0.3, (m, 2, 1)), rng.uniform(0, 2 * np.pi, (m, 2, 1))
    wobble = (rng.uniform(0, 1.5, (m, 2, 1)) * np.sin(freq * o[:, ::-1] + phase)).astype(np.float32)
    p = M @ (o + wobble - centre_out[:, :, None].astype(np.float32)) + centre[:, :, None].astype(np.float32)
    px = np.rint(p[:, 0]).astype(np.int32).clip(0, size - 1)
    py = np.rint(p[:, 1]).astype(np.int32).clip(0, size - 1)
    bitmap = stack[which[:, None], py, px] <= radius[:, None]
    return bitmap.reshape(m, 8, 4, 8, 4).sum(axis=(2, 4)) / 16.0


def source_task_data(samples_per_font: int = 8, seed: int = 0):
    """Source task: handwritten digits 0-4 plus printed letters/symbols, 8x8 in [0, 1].

    Classes (``SOURCE_CLASSES``, label = index): the digits 0-4, then ``GLYPH_CLASSES``
    (Latin letters, Greek letters, symbols; never 5-9).  Digits 0-4: every scikit-learn
    image (~900, handwritten) plus printed ones; glyphs: ``samples_per_font`` randomly
    distorted renderings per class and font (``GLYPH_FONTS``, matplotlib's own fonts),
    drawn with ``seed``.  Returns ``(x (N, 8, 8, 1) float32, y (N,) int64)``, shuffled;
    N ~ 14,900 with the defaults (a few seconds).
    """
    samples_per_font = check_scalar(samples_per_font, "samples_per_font", int, min_val=0)
    images, labels = _digits_nhwc()
    keep = np.isin(labels, SOURCE_DIGITS)
    xs, ys = [images[keep, ..., 0]], [labels[keep]]
    rng = np.random.default_rng(seed)
    for label, char in enumerate(SOURCE_CLASSES if samples_per_font else ()):
        sdfs = [sdf for sdf in (_glyph_sdf(char, font) for font in GLYPH_FONTS) if sdf is not None]
        xs.append(_render_glyphs(sdfs, samples_per_font, rng))
        ys.append(np.full(len(xs[-1]), label))
    x, y = np.concatenate(xs).astype(np.float32)[..., None], np.concatenate(ys).astype(np.int64)
    order = rng.permutation(len(x))
    return x[order], y[order]


def target_task_data(n_per_class: int = 10, seed: int = 0):
    """Target task: digits 5-9 relabelled 0-4, few labelled training images.

    Draws ``n_per_class`` training images of each digit (with ``seed``); every other
    5-9 image is the test set (896 - 5 n images: 846 for n = 10).  Returns
    ``(x_train (5 n, 8, 8, 1), y_train (5 n,), x_test, y_test)``, pixels in [0, 1],
    labels ``digit - 5``.  The source classes 0-4 never appear.
    """
    n_per_class = check_scalar(n_per_class, "n_per_class", int, min_val=1, max_val=150)
    images, labels = _digits_nhwc()
    rng = np.random.default_rng(seed)
    train_idx = []
    for digit in TARGET_DIGITS:
        idx = np.flatnonzero(labels == digit)
        train_idx.extend(rng.choice(idx, size=n_per_class, replace=False))
    train_idx = np.sort(np.array(train_idx))
    test_mask = np.isin(labels, TARGET_DIGITS)
    test_mask[train_idx] = False
    y = labels - TARGET_DIGITS[0]
    return images[train_idx], y[train_idx], images[test_mask], y[test_mask]
