"""A throw-away nbgrader course and student notebooks, for tests, the benchmark and a TA's dry run.

``make_course(dir, ["01_neuron"])`` copies ``solutions/<assignment>/`` to ``dir/source/`` and releases
it with the course's own nbgrader configuration (``coursekit release``).
``student_notebook(course, assignment, answers)`` is the release notebook with every answer filled
in: the solution, or the replacement source given in ``answers``.
"""

from __future__ import annotations

import os
import re
import shutil

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOLUTION_RE = re.compile(r"[ \t]*### BEGIN SOLUTION\n(.*?)[ \t]*### END SOLUTION\n?", re.S)


# Realistic wrong answers, NumPy only: assignment -> {label: (function, answer cell)}. Used by the
# grading benchmark and the tests; each has a diagnosis the checker should recognise.
MISTAKES = {
    "01_neuron": {
        "sigmoid: sign flipped": ("sigmoid", "def sigmoid(z):\n    return 1 / (1 + np.exp(z))\n"),
        "sigmoid: overflows": ("sigmoid", "def sigmoid(z):\n    return 1 / (1 + np.exp(-np.asarray(z)))\n"),
        "softmax: not stabilised": ("softmax", "def softmax(z, axis=-1):\n    e = np.exp(z)\n"
                                               "    return e / e.sum(axis=axis, keepdims=True)\n"),
        "softmax: axis ignored": ("softmax", "def softmax(z, axis=-1):\n    z = np.asarray(z)\n"
                                             "    e = np.exp(z - z.max(axis=-1, keepdims=True))\n"
                                             "    return e / e.sum(axis=-1, keepdims=True)\n"),
        "elu: -1 forgotten": ("elu", "def elu(z, alpha=1.0):\n    z = np.asarray(z)\n"
                                     "    return np.where(z > 0, z, alpha * np.exp(np.minimum(z, 0)))\n"),
        "mse: summed": ("mean_squared_error", "def mean_squared_error(y_true, y_pred):\n"
                                              "    return np.sum((np.asarray(y_true) - np.asarray(y_pred)) ** 2)\n"),
        "dense: bias missing": ("dense_forward", "def dense_forward(x, kernel, bias, activation=None):\n"
                                                 "    z = np.asarray(x) @ np.asarray(kernel)  # bias forgotten\n"
                                                 "    if activation == 'relu':\n        return np.maximum(z, 0)\n"
                                                 "    if activation == 'sigmoid':\n        return 1 / (1 + np.exp(-z))\n"
                                                 "    if activation == 'tanh':\n        return np.tanh(z)\n"
                                                 "    if activation == 'softmax':\n"
                                                 "        e = np.exp(z - z.max(-1, keepdims=True))\n"
                                                 "        return e / e.sum(-1, keepdims=True)\n"
                                                 "    return z\n"),
    },
    "04_convolution": {
        "conv2d: kernel flipped": ("conv2d", "def conv2d(x, kernel, bias=None, strides=1, padding='valid'):\n"
                                             "    k = np.asarray(kernel)[::-1, ::-1]  # flipped\n"
                                             "    sh, sw = (strides, strides) if np.isscalar(strides) else strides\n"
                                             "    kh, kw = k.shape[:2]\n"
                                             "    if padding == 'same':\n"
                                             "        H, W = x.shape[1:3]\n"
                                             "        ph = max((-(-H // sh) - 1) * sh + kh - H, 0)\n"
                                             "        pw = max((-(-W // sw) - 1) * sw + kw - W, 0)\n"
                                             "        x = np.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))\n"
                                             "    win = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(1, 2))[:, ::sh, ::sw]\n"
                                             "    out = np.einsum('nijcab,abcf->nijf', win, k)\n"
                                             "    return out if bias is None else out + bias\n"),
        "max_pool2d: stride ignored": ("max_pool2d", "def max_pool2d(x, pool_size=2, strides=None, padding='valid'):\n"
                                                     "    p = (pool_size, pool_size) if np.isscalar(pool_size) else tuple(pool_size)\n"
                                                     "    win = np.lib.stride_tricks.sliding_window_view(x, p, axis=(1, 2))  # stride ignored\n"
                                                     "    return win.max(axis=(-2, -1))\n"),
        "output length: +1 forgotten": ("conv_output_length",
                                        "def conv_output_length(input_length, kernel_size, stride=1, padding='valid'):\n"
                                        "    if padding == 'same':\n        return -(-input_length // stride)\n"
                                        "    return (input_length - kernel_size) // stride\n"),
        "param count: bias forgotten": ("conv2d_param_count",
                                        "def conv2d_param_count(kernel_size, in_channels, filters, use_bias=True):\n"
                                        "    kh, kw = (kernel_size, kernel_size) if np.isscalar(kernel_size) else kernel_size\n"
                                        "    return kh * kw * in_channels * filters\n"),
        "same padding: extra row on top": ("same_padding",
                                           "def same_padding(input_length, kernel_size, stride=1):\n"
                                           "    out = -(-input_length // stride)\n"
                                           "    total = max((out - 1) * stride + kernel_size - input_length, 0)\n"
                                           "    return total - total // 2, total // 2\n"),
    },
}


def make_course(course_dir: str, assignments: list[str]) -> str:
    """A throw-away copy of the course, configured exactly like ``grading/``, with ``assignments`` released.

    The source notebooks are copied from the repository's ``solutions/`` into ``<course>/source`` (so a
    test can check that student code cannot read them there) and released with ``coursekit release``.
    """
    from pathlib import Path

    from coursekit.assignments.release import release

    source = Path(course_dir) / "source"
    for a in assignments:
        shutil.copytree(Path(REPO) / "solutions" / a, source / a, dirs_exist_ok=True)
    release(Path(course_dir), tuple(assignments), solutions=source)
    return course_dir


def notebook_names(course_dir: str, assignment: str) -> list[str]:
    folder = os.path.join(course_dir, "release", assignment)
    return sorted(f[:-6] for f in os.listdir(folder) if f.endswith(".ipynb"))


def solutions(course_dir: str, assignment: str, notebook: str) -> dict[str, str]:
    """grade_id -> the answer cell's source with the solution filled in (markers removed)."""
    import nbformat

    nb = nbformat.read(os.path.join(course_dir, "source", assignment, notebook + ".ipynb"), as_version=4)
    out = {}
    for c in nb.cells:
        meta = c.metadata.get("nbgrader", {})
        if meta.get("solution") and c.cell_type == "code":
            out[meta["grade_id"]] = SOLUTION_RE.sub(lambda m: m.group(1), c.source)
    return out


def student_notebook(course_dir: str, assignment: str, answers: dict[str, str] | None = None,
                     notebook: str | None = None):
    """The release notebook with each answer cell = the solution, or ``answers[grade_id]``."""
    import nbformat

    notebook = notebook or notebook_names(course_dir, assignment)[0]
    nb = nbformat.read(os.path.join(course_dir, "release", assignment, notebook + ".ipynb"), as_version=4)
    sol = solutions(course_dir, assignment, notebook)
    for c in nb.cells:
        gid = c.metadata.get("nbgrader", {}).get("grade_id")
        if gid in sol and c.metadata["nbgrader"].get("solution"):
            c.source = (answers or {}).get(gid, sol[gid])
    return nb
