"""The similarity report (coursekit/grader/similarity.py): planted copies found, independent answers left alone.

The independent answers are genuinely different correct implementations (loops, vectorised, stride
tricks, einsum, im2col, ...), several from the exercise registry (coursekit/checks/*.py ``answer=``) and
tests/test_checks_variants.py; the planted copies are edits of one answer a copier would make.
"""

from __future__ import annotations

import inspect
import itertools
import random
import re

import nbformat
import numpy as np
import pytest

from coursekit import convolution
from coursekit.checks import EXERCISES
from coursekit.grader import similarity as sim_mod
from coursekit.grader.collect import Submission
from coursekit.grader.similarity import PAIR_THRESHOLD, REFERENCE_THRESHOLD, compare, for_assignment

# The released answer cells: signature, docstring, nbgrader's stub (coursekit/assignments/release.py).
STUB = '    """{doc}"""\n    # YOUR CODE HERE\n    raise NotImplementedError()\n'
SIGNATURES = {
    "conv2d": ('def conv2d(x, kernel, bias=None, strides=1, padding="valid"):', "Keras Conv2D (cross-correlation)."),
    "softmax": ("def softmax(z, axis=-1):", "exp(z) / sum(exp(z)) along `axis`, stable for large logits."),
    "binary_crossentropy": ("def binary_crossentropy(y_true, y_pred):", "-mean(y log p + (1 - y) log(1 - p))."),
    "sigmoid": ("def sigmoid(z):", "Logistic sigmoid, elementwise, without overflow warnings."),
    "relu": ("def relu(z):", "max(z, 0), elementwise."),
}
TEMPLATE = {name: f"{sig}\n{STUB.format(doc=doc)}" for name, (sig, doc) in SIGNATURES.items()}

# ------------------------------------------------------------------ independent correct answers
CONV2D = {
    # the registry's answer (coursekit/checks/convolution.py CONV2D_ANSWER): loops over output positions
    "loops_tensordot": EXERCISES["conv2d"].answer,
    # tests/test_checks_variants.py conv2d_einsum: stride tricks + einsum
    "stride_tricks": '''def conv2d(x, kernel, bias=None, strides=1, padding="valid"):
    sh, sw = (strides, strides) if np.isscalar(strides) else strides
    kh, kw = kernel.shape[:2]
    if padding == "same":
        ph, pw = (same_padding(x.shape[1], kh, sh), same_padding(x.shape[2], kw, sw))
        x = np.pad(x, ((0, 0), ph, pw, (0, 0)))
    win = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(1, 2))[:, ::sh, ::sw]
    out = np.einsum("nijcab,abcf->nijf", win, kernel)
    return out if bias is None else out + bias
''',
    # six nested loops, scalar arithmetic
    "scalar_loops": '''def conv2d(x, kernel, bias=None, strides=1, padding="valid"):
    if isinstance(strides, int):
        strides = (strides, strides)
    s1, s2 = strides
    k1, k2, cin, nf = kernel.shape
    if padding == "same":
        top, bottom = same_padding(x.shape[1], k1, s1)
        left, right = same_padding(x.shape[2], k2, s2)
        x = np.pad(x, [(0, 0), (top, bottom), (left, right), (0, 0)])
    n, h, w, c = x.shape
    oh = (h - k1) // s1 + 1
    ow = (w - k2) // s2 + 1
    y = np.zeros((n, oh, ow, nf))
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                for f in range(nf):
                    acc = 0.0
                    for u in range(k1):
                        for v in range(k2):
                            for ch in range(cin):
                                acc += x[b, i * s1 + u, j * s2 + v, ch] * kernel[u, v, ch, f]
                    y[b, i, j, f] = acc
    if bias is not None:
        y = y + np.asarray(bias)
    return y
''',
    # im2col: gather every window into a matrix, one matrix product
    "im2col": '''def conv2d(x, kernel, bias=None, strides=1, padding="valid"):
    st = np.broadcast_to(np.array(strides), (2,))
    kh, kw, c, f = kernel.shape
    if padding == "same":
        pad = [same_padding(x.shape[1 + d], kernel.shape[d], int(st[d])) for d in range(2)]
        x = np.pad(x, [(0, 0), pad[0], pad[1], (0, 0)])
    rows = range(0, x.shape[1] - kh + 1, int(st[0]))
    cols = range(0, x.shape[2] - kw + 1, int(st[1]))
    columns = np.stack([x[:, r:r + kh, q:q + kw, :].reshape(len(x), -1) for r in rows for q in cols], axis=1)
    result = columns @ kernel.reshape(-1, f)
    result = result.reshape(len(x), len(rows), len(cols), f)
    if bias is not None:
        result = result + bias
    return result
''',
    # shift and add: loop over the kernel taps, each a strided slice of the whole batch
    "shift_add": '''def conv2d(x, kernel, bias=None, strides=1, padding="valid"):
    sy, sx = (strides, strides) if np.ndim(strides) == 0 else tuple(strides)
    KH, KW = kernel.shape[0], kernel.shape[1]
    if padding == "same":
        x = np.pad(x, ((0, 0), same_padding(x.shape[1], KH, sy), same_padding(x.shape[2], KW, sx), (0, 0)))
    OH = (x.shape[1] - KH) // sy + 1
    OW = (x.shape[2] - KW) // sx + 1
    total = 0
    for dy in range(KH):
        for dx in range(KW):
            view = x[:, dy:dy + sy * (OH - 1) + 1:sy, dx:dx + sx * (OW - 1) + 1:sx, :]
            total = total + view @ kernel[dy, dx]
    return total + (0 if bias is None else bias)
''',
}

SOFTMAX = {
    "max_shift": '''def softmax(z, axis=-1):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
''',
    "logsumexp": '''def softmax(z, axis=-1):
    z = np.asarray(z, float)
    m = z.max(axis=axis, keepdims=True)
    return np.exp(z - m - np.log(np.exp(z - m).sum(axis=axis, keepdims=True)))
''',
    "moveaxis_rows": '''def softmax(z, axis=-1):
    arr = np.moveaxis(np.array(z, dtype=np.float64), axis, -1)
    flat = arr.reshape(-1, arr.shape[-1])
    rows = []
    for row in flat:
        ex = np.exp(row - np.max(row))
        rows.append(ex / np.sum(ex))
    out = np.array(rows).reshape(arr.shape)
    return np.moveaxis(out, -1, axis)
''',
    "apply_along_axis": '''def softmax(z, axis=-1):
    def one(v):
        w = np.exp(v - v.max())
        return w / w.sum()
    return np.apply_along_axis(one, axis, np.asarray(z, dtype=float))
''',
    "scipy_style": '''def softmax(z, axis=-1):
    z = np.asarray(z, dtype=float)
    shifted = z - np.amax(z, axis=axis, keepdims=True)
    log_norm = np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
    return np.exp(shifted - log_norm)
''',
}

BINARY_CROSSENTROPY = {
    "clip_mean": '''def binary_crossentropy(y_true, y_pred):
    y = np.asarray(y_true, dtype=float)
    p = np.clip(np.asarray(y_pred, dtype=float), 1e-7, 1 - 1e-7)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
''',
    "where_branches": '''def binary_crossentropy(y_true, y_pred):
    eps = 1e-7
    t = np.array(y_true, dtype=np.float64)
    q = np.minimum(np.maximum(np.array(y_pred, dtype=np.float64), eps), 1.0 - eps)
    losses = -(t * np.log(q)) - (1.0 - t) * np.log1p(-q)
    return losses.sum() / losses.size
''',
    "loop": '''def binary_crossentropy(y_true, y_pred):
    total, count = 0.0, 0
    for t, p in zip(np.ravel(y_true), np.ravel(y_pred)):
        p = min(max(float(p), 1e-7), 1 - 1e-7)
        total += -(t * math.log(p) + (1 - t) * math.log(1 - p))
        count += 1
    return total / count
''',
    "xlogy": '''def binary_crossentropy(y_true, y_pred):
    from scipy.special import xlogy
    yt = np.asarray(y_true, dtype=float)
    yp = np.clip(y_pred, 1e-7, 1 - 1e-7)
    return -np.average(xlogy(yt, yp) + xlogy(1 - yt, 1 - yp))
''',
}

SIGMOID = {
    "abs_split": '''def sigmoid(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
''',
    "logaddexp": '''def sigmoid(z):
    return np.exp(-np.logaddexp(0.0, -np.asarray(z, float)))
''',
    "tanh": '''def sigmoid(z):
    return 0.5 * (1 + np.tanh(0.5 * np.asarray(z, dtype=float)))
''',
    "masked": '''def sigmoid(z):
    z = np.array(z, dtype=np.float64)
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1 / (1 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1 + ez)
    return out
''',
}

RELU = {
    "maximum": "def relu(z):\n    return np.maximum(np.asarray(z, dtype=float), 0.0)\n",
    "where": "def relu(z):\n    z = np.asarray(z, dtype=float)\n    return np.where(z > 0, z, 0.0)\n",
    "mask": "def relu(z):\n    z = np.array(z, dtype=float)\n    return z * (z > 0)\n",
    "clip": "def relu(z):\n    return np.clip(z, 0, None).astype(float)\n",
}

INDEPENDENT = {"conv2d": CONV2D, "softmax": SOFTMAX, "binary_crossentropy": BINARY_CROSSENTROPY,
               "sigmoid": SIGMOID, "relu": RELU}

# ------------------------------------------------------------------------ planted copies
# The original: a helper and conv2d in one answer cell.
PAD_SAME = '''def pad_same(x, kh, kw, sh, sw):
    """Pad x for TensorFlow's "same": the extra pixel goes after."""
    pads = []
    for n, k, s in ((x.shape[1], kh, sh), (x.shape[2], kw, sw)):
        total = max((-(-n // s) - 1) * s + k - n, 0)
        pads.append((total // 2, total - total // 2))
    return np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
'''
_INLINE_PADDING = ("        pads = [same_padding(x.shape[1], kh, sh), same_padding(x.shape[2], kw, sw)]\n"
                   "        x = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))\n")
assert _INLINE_PADDING in CONV2D["loops_tensordot"]
ORIGINAL = PAD_SAME + "\n\n" + CONV2D["loops_tensordot"].replace(_INLINE_PADDING,
                                                                 "        x = pad_same(x, kh, kw, sh, sw)  # TF rule\n")


def rename(source: str, names: dict[str, str]) -> str:
    """Whole-word renaming, as a copier's editor does it."""
    return re.sub(r"\b(" + "|".join(map(re.escape, names)) + r")\b", lambda m: names[m.group(1)], source)


def _split_defs(source: str) -> list[str]:
    return ["def " + part.strip() + "\n" for part in source.split("def ")[1:]]


PLANTED = {
    "renamed": rename(ORIGINAL, {"x": "inp", "kernel": "weights", "out": "result", "patch": "window", "oh": "rows",
                                 "ow": "cols", "sh": "step_y", "sw": "step_x", "pads": "amounts", "total": "t",
                                 "pad_same": "tf_pad", "i": "r", "j": "c"}),
    "reordered": "\n\n".join(reversed(_split_defs(ORIGINAL))),
    "comments": ORIGINAL.replace("  # TF rule", "").replace('"""Keras Conv2D (cross-correlation)."""',
                                                               "# my own convolution!\n    # loops over rows and cols")
    .replace("    for i in range(oh):", "    # slide the window\n    for i in range(oh):  # rows"),
    "one_line": ORIGINAL.replace("out[:, i, j, :] = np.tensordot(patch, kernel, axes=([1, 2, 3], [0, 1, 2]))",
                                 "out[:, i, j, :] = np.einsum('nhwc,hwcf->nf', patch, kernel)"),
    "reformatted": (ORIGINAL.replace("oh, ow = (x.shape[1] - kh) // sh + 1, (x.shape[2] - kw) // sw + 1",
                                     "oh, ow = ((x.shape[1]-kh)//sh+1,\n              (x.shape[2]-kw)//sw+1)")
                    .replace("    x = np.asarray(x, dtype=float)\n    kernel = np.asarray(kernel, dtype=float)\n",
                             "    x = np.asarray(x, dtype = float); kernel = np.asarray(kernel,\n"
                             "                                                        dtype = float)\n")
                    .replace("axes=([1, 2, 3], [0, 1, 2])", "axes=([1,2,3],[0,1,2])")
                    .replace("    ", "  ")),  # 2-space indentation
}


def scores(sim) -> dict[tuple[str, str], float]:
    return {(p.a, p.b): p.score for p in sim.pairs}


# ----------------------------------------------------------------------------------- the tests

def test_planted_copies_are_found_and_independent_answers_are_not():
    answers = {"orig": {"conv2d": ORIGINAL}}
    answers |= {f"copy_{k}": {"conv2d": v} for k, v in PLANTED.items()}
    # (not loops_tensordot: ORIGINAL is that answer with a helper split off, so it is not an independent one)
    answers |= {f"indep_{k}": {"conv2d": v} for k, v in CONV2D.items() if k != "loops_tensordot"}
    for k, v in PLANTED.items():  # every planted copy still defines conv2d (the edits are valid Python)
        compile(v, k, "exec")
        assert "def conv2d(" in v or "def conv2d (" in v
    sim = compare(answers, TEMPLATE["conv2d"], reference={})
    got = scores(sim)
    for k in PLANTED:
        assert got.get(("copy_" + k, "orig"), 0) >= PAIR_THRESHOLD, (k, got)
    flagged = {s for pair in got for s in pair}
    assert not {s for s in flagged if s.startswith("indep_")}, got


@pytest.mark.parametrize("exercise", sorted(INDEPENDENT))
def test_independently_written_correct_answers_are_not_flagged(exercise):
    impls = INDEPENDENT[exercise]
    assert len(impls) >= 4
    answers = {k: {exercise: v} for k, v in impls.items()}
    sim = compare(answers, TEMPLATE[exercise], reference={})
    assert sim.pairs == []
    # Even with the too-short floor off, no two different methods score as a copy.
    loose = compare(answers, TEMPLATE[exercise], reference={}, min_fingerprints=1)
    assert [p for p in loose.pairs if p.score >= PAIR_THRESHOLD] == [], loose.pairs


@pytest.mark.parametrize("exercise", sorted(INDEPENDENT))
def test_the_independent_answers_are_correct_answers(exercise, keras):
    """They stand for honest students: each one gets full marks from the checker (visible and hidden inputs)."""
    import math

    from coursekit.checks import check

    from support.demo_course import instructor_solutions

    for style, source in INDEPENDENT[exercise].items():
        namespace = {"np": np, "math": math}  # the notebook's imports, and its own same_padding answer
        exec(instructor_solutions("04_convolution")["same_padding"], namespace)
        exec(source, namespace)
        for hidden in (False, True):
            result = check(exercise, namespace[exercise], hidden=hidden, seed=3)
            assert result.ok, (style, hidden, result.messages[:3], result.diagnoses)


def test_two_students_who_only_kept_the_released_code_are_not_similar():
    # A release that hands out a long helper in the answer cell: every student has it.
    starter = ORIGINAL.split("\n\n\ndef conv2d")[0] + "\n\n\n" + TEMPLATE["conv2d"]
    filled = {"ann": starter.replace("raise NotImplementedError()", "return pad_same(x, 1, 1, 1, 1)"),
              "bob": starter.replace("raise NotImplementedError()", "return np.zeros(3)"),
              "cyd": starter, "dan": starter}
    answers = {s: {"conv2d": v} for s, v in filled.items()}
    assert compare(answers, starter, reference={}).pairs == []
    # The control: without the release left out, the same answers would be listed.
    assert len(compare(answers, "", reference={}).pairs) == 6


def reference_copy() -> str:
    """coursekit/convolution.py's conv2d_naive, renamed (body and variables) as a copier would."""
    src = inspect.getsource(convolution.conv2d_naive)
    src = src.replace("conv2d_naive", "conv2d").replace(") -> np.ndarray:", "):")
    return rename(src, {"window": "w", "out": "y", "xp": "padded", "oh": "h_out", "ow": "w_out", "n": "b",
                        "filters": "nf", "kh": "kH", "kw": "kW"})


def test_a_copy_of_the_reference_library_has_high_reference_similarity():
    answers = {"copier": {"conv2d": reference_copy()}} | {k: {"conv2d": v} for k, v in CONV2D.items()}
    sim = compare(answers, TEMPLATE["conv2d"])  # the installed coursekit's source
    by_student = {r.student: r for r in sim.reference}
    assert by_student["copier"].score >= 0.9
    assert by_student["copier"].function == "coursekit.convolution.conv2d_naive"
    assert by_student["copier"].spans and by_student["copier"].reference_spans
    for k in CONV2D:
        assert by_student.get(k) is None or by_student[k].score < REFERENCE_THRESHOLD, by_student[k]


def test_reference_functions_are_read_from_the_installed_package():
    ref = sim_mod.reference_functions()
    assert "coursekit.convolution.conv2d_naive" in ref and "coursekit.neuron.softmax" in ref
    assert ref["coursekit.convolution.conv2d_naive"].startswith("def conv2d_naive(")


# ---------------------------------------------------------------------------- from notebooks

def _cell(source, grade_id=None, solution=False, grade=False):
    meta = {"nbgrader": {"grade_id": grade_id, "solution": solution, "grade": grade, "locked": not solution,
                         "schema_version": 3}} if grade_id else {}
    return nbformat.v4.new_code_cell(source, metadata=meta)


def _notebook(answer: str, tamper: bool = False):
    cells = [_cell("import numpy as np"),
             _cell(answer, None if tamper else "conv2d", solution=True),
             _cell("assert conv2d is not None", "test_conv2d", grade=True)]
    if tamper:  # the answer cell's id lost, the function written in a scratch cell instead
        cells[1] = _cell("# scratch\n" + answer)
    return nbformat.v4.new_notebook(cells=cells)


def test_answers_are_read_from_the_notebooks_even_with_tampered_cell_ids(tmp_path):
    course = tmp_path / "course"
    (course / "release" / "04_convolution").mkdir(parents=True)
    nbformat.write(_notebook(TEMPLATE["conv2d"]), course / "release" / "04_convolution" / "04_convolution.ipynb")
    subs = []
    for student, answer, tamper in [("ann", ORIGINAL, False), ("bob", PLANTED["renamed"], True),
                                    ("cyd", CONV2D["im2col"], False), ("dan", TEMPLATE["conv2d"], False),
                                    ("eve", TEMPLATE["conv2d"], False)]:
        path = tmp_path / f"{student}.ipynb"
        nbformat.write(_notebook(answer, tamper), path)
        subs.append(Submission(student, None, None, "04_convolution", str(path), str(path)))
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json")
    subs.append(Submission("fay", None, None, "04_convolution", str(broken), str(broken)))
    sim = for_assignment(str(course), "04_convolution", subs, {"04_convolution": ["conv2d"]})
    assert [(p.a, p.b) for p in sim.pairs] == [("ann", "bob")]
    assert sim.too_short == {"conv2d": 2}  # dan and eve submitted the release as it is
    assert any(n.startswith("fay: not compared") for n in sim.notes)
    assert sim.pairs[0].source_b.startswith("# scratch\ndef tf_pad")  # bob's cell that defines conv2d


# ------------------------------------------------------------------------------------ report.html

_SIGNATURE = 'def conv2d(x, kernel, bias=None, strides=1, padding="valid"):\n'
assert _SIGNATURE in ORIGINAL
HOSTILE = ORIGINAL.replace(_SIGNATURE, _SIGNATURE + '    """</script><script>alert(1)</script>"""\n')


def test_report_lists_similar_answers_side_by_side_and_escapes_student_code(tmp_path):
    from coursekit.grader import report

    answers = {"ann": {"conv2d": HOSTILE}, "bob<img src=x>": {"conv2d": PLANTED["renamed"]},
               "cyd": {"conv2d": reference_copy()}}
    sim = compare(answers, TEMPLATE["conv2d"])
    assert sim.pairs and sim.reference
    path = report.write_report(str(tmp_path / "report.html"), "04_convolution", [], [], [], [], 1.0, similarity=sim)
    doc = open(path, encoding="utf-8").read()
    assert "Similar answers to review" in doc
    assert "not a verdict" in doc or "can be alike" in doc
    assert "<script" not in doc.lower() and "<img src=x" not in doc  # student text never becomes markup
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in doc
    assert "bob&lt;img src=x&gt;" in doc
    assert 'class="hit"' in doc  # matched lines highlighted
    assert "coursekit.convolution.conv2d_naive" in doc
    assert "http://" not in doc and "https://" not in doc  # offline: no CDN
    # Without a similarity result the report is as before (no section).
    plain = open(report.write_report(str(tmp_path / "plain.html"), "a", [], [], [], [], 1.0), encoding="utf-8").read()
    assert "Similar answers to review" not in plain


# ----------------------------------------------------------------------------------------- scale

FUNCS = ["sum", "max", "mean", "exp", "log", "abs", "sqrt", "tanh", "cumsum", "argmax", "sort", "diff", "pad",
         "zeros_like", "einsum", "tensordot", "where", "clip", "maximum", "stack"]
ATTRS = ["shape", "T", "ndim", "size", "dtype", "real"]


def _expr(rng: random.Random, names: list[str], depth: int) -> str:
    pick = rng.randrange(6 if depth > 0 else 2)
    if pick == 0:
        return rng.choice(names)
    if pick == 1:
        return str(rng.randrange(5))
    sub = [_expr(rng, names, depth - 1) for _ in range(2)]
    return [f"np.{rng.choice(FUNCS)}({sub[0]})", f"({sub[0]} {rng.choice('+-*/')} {sub[1]})", f"{sub[0]}[{sub[1]}]",
            f"{sub[0]}.{rng.choice(ATTRS)}"][pick - 2]


def synthetic_answer(rng: random.Random, name: str = "conv2d") -> str:
    """A random program of 8-16 statements: random expressions, loops and branches, random names."""
    names = [f"v{rng.randrange(10**6)}" for _ in range(5)] + ["x", "kernel"]
    lines = [f"def {name}(x, kernel, bias=None, strides=1, padding=\"valid\"):"]
    for _ in range(rng.randint(8, 16)):
        stmt = f"{rng.choice(names)} = {_expr(rng, names, 3)}"
        kind = rng.randrange(4)
        if kind == 0:
            stmt = f"for i in range({_expr(rng, names, 1)}):\n        {stmt}"
        elif kind == 1:
            stmt = f"if {_expr(rng, names, 1)} > {_expr(rng, names, 1)}:\n        {stmt}"
        lines.append("    " + stmt)
    lines.append(f"    return {rng.choice(names)}")
    return "\n".join(lines) + "\n"


def test_a_thousand_submissions_are_compared_through_the_index_not_all_pairs():
    rng = random.Random(13)
    answers = {f"s{i:04d}": {"conv2d": synthetic_answer(rng)} for i in range(1000)}
    answers["s0007"]["conv2d"] = rename(answers["s0003"]["conv2d"], {"x": "inp"})  # one planted copy
    sim = compare(answers, TEMPLATE["conv2d"], reference={})
    assert ("s0003", "s0007") in scores(sim)
    assert sim.candidates < 0.01 * 1000 * 999 / 2  # pairs scored, not all 499,500


def _mutated(rng: random.Random, source: str) -> str:
    """A copy with some lines dropped or replaced: scores spread on both sides of the threshold."""
    lines = source.splitlines()
    for _ in range(rng.randint(0, 6)):
        i = rng.randrange(1, len(lines) - 1)
        lines[i] = "    " + f"w{rng.randrange(99)} = {_expr(rng, ['x', 'kernel'], 3)}" if rng.random() < 0.5 else ""
    return "\n".join(lines) + "\n"


def test_prefix_filtering_finds_every_pair_an_all_pairs_comparison_finds():
    rng = random.Random(7)
    answers = {f"s{i:03d}": {"conv2d": synthetic_answer(rng)} for i in range(120)}
    for i in range(60):  # copies of copies, more or less edited
        answers[f"c{i:03d}"] = {"conv2d": _mutated(rng, rng.choice(list(answers.values()))["conv2d"])}
    sim = compare(answers, TEMPLATE["conv2d"], reference={})
    # All pairs, directly from the definition in the module docstring.
    ignore = sim_mod.all_kgrams([TEMPLATE["conv2d"]])
    fps = {s: set(sim_mod.fingerprint(a["conv2d"], ignore).hashes) for s, a in answers.items()}
    fps = {s: f for s, f in fps.items() if len(f) >= sim_mod.MIN_FINGERPRINTS}
    df = {h: sum(h in f for f in fps.values()) for f in fps.values() for h in f}
    expected = {}
    for a, b in itertools.combinations(sorted(fps), 2):
        shared = {h for h in fps[a] & fps[b] if df[h] <= sim.common_limit}
        score = len(shared) / min(len(fps[a]), len(fps[b]))
        if score >= PAIR_THRESHOLD:
            expected[(a, b)] = round(score, 3)
    assert len(expected) >= 20 and any(v < 0.9 for v in expected.values())  # the test has teeth
    assert scores(sim) == expected


def test_a_copy_that_does_not_parse_is_still_compared():
    unindented = ORIGINAL.replace("    for i in range(oh):", "  for i in range(oh):")  # IndentationError
    unclosed = ORIGINAL.replace("    return out\n", "    return (out\n")  # EOF in a bracket
    for broken in (unindented, unclosed):
        with pytest.raises(SyntaxError):
            compile(broken, "broken", "exec")
        sim = compare({"a": {"conv2d": ORIGINAL}, "b": {"conv2d": broken}}, TEMPLATE["conv2d"], reference={})
        assert scores(sim).get(("a", "b"), 0) >= PAIR_THRESHOLD
