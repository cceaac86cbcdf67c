"""Similar answers to review: submissions whose answer cells look alike, and answers that look like the library.

What it compares
----------------
Per exercise, the student's answer is the source of the answer cell whose nbgrader ``grade_id`` is the
exercise name (or, if that cell does not define the function, the cell that does: cell ids can be
tampered with).  Each answer is compared with the other submissions' answers to the same exercise, and
with the source of the reference library students have installed (``coursekit/neuron.py``,
``convolution.py``, ...: the lectures' implementations).  "Winnowing" below is the algorithm of MOSS
(Schleimer, Wilkerson and Aiken, SIGMOD 2003).

How
---
1. Tokens, from Python's ``tokenize``: comments, blank lines and spacing dropped (line breaks inside
   brackets do not count, a ``;`` counts as a line break); local names, numbers and strings replaced by
   ``V``, ``N``, ``S``.  Keywords, builtins and attribute names (``np.einsum`` -> ``V.einsum``) are kept:
   they carry what the code does, so two NumPy answers written differently stay different.
2. Order: the answer is cut into top-level functions and classes (``ast``), and k-grams never cross a
   cut, so reordering functions in a cell changes nothing.
3. Fingerprints: a stable hash of every run of ``K`` tokens; winnowing keeps the smallest hash of each
   ``W`` consecutive ones, so any shared run of ``K + W - 1`` tokens or more is always seen.
4. What does not count: every k-gram of the released notebook (the signatures, docstrings and stubs
   every student starts from), and passages found in more than ``common_share`` of the submissions
   (textbook idioms, as MOSS's ``-m`` does).  Answers left with fewer than ``MIN_FINGERPRINTS``
   fingerprints are too short to compare: independent solutions of a one-line exercise are alike.
5. Candidate pairs come from an inverted index (hash -> answers) probed with each answer's rarest
   fingerprints only (prefix filtering: :func:`_candidates`), so no all-pairs loop, and no pair that can
   reach the threshold is missed.  A pair's score is the share of the smaller answer's fingerprints
   found in the other (1.0: one is contained in the other).

Why not copydetect (installed, evaluated on the answers of tests/test_similarity.py)
-----------------------------------------------------------------------------------
Its scores are close to these (planted copies 0.95-1.0, independent answers up to 0.42), but: it
replaces attribute names too (``np.asarray`` and ``np.array`` are both ``V.V``), so two of the four
independent ``relu`` answers scored 0.84 there (at most 0.22 here); its detector fills an all-pairs
similarity matrix (quadratic in the submissions); its hashes are Python's salted ``hash()``, so the
winnowed fingerprints change from run to run; it has no notion of order (functions) or of a notebook's
cells; and its spans are character offsets in filtered text.  This module is short, deterministic, and
maps every fingerprint back to the student's lines for the side-by-side view.
"""

from __future__ import annotations

import ast
import builtins
import functools
import importlib.util
import io
import keyword
import math
import os
import time
import tokenize
import zlib
from collections import defaultdict
from dataclasses import dataclass, field

K = 10  # tokens per k-gram
W = 4  # winnowing window: shared runs of K + W - 1 = 13 tokens or more are always found
MIN_FINGERPRINTS = 12  # fewer (template removed): too short to tell copying from a common solution
# Measured on tests/test_similarity.py: planted copies of conv2d (renamed, reordered, comments changed, one
# line changed, reformatted) 0.90-1.00; independently written correct answers (4-5 methods each of conv2d,
# softmax, binary_crossentropy, sigmoid, relu) at most 0.40 to each other, even below the too-short floor.
PAIR_THRESHOLD = 0.6  # pairs listed from this score up
# A renamed copy of coursekit.convolution.conv2d_naive scores 1.0; short answers written the textbook way
# reach 0.65-0.67 against the library (the stable softmax, the split sigmoid), longer independent ones <= 0.35.
REFERENCE_THRESHOLD = 0.8
# Shorter answers are not compared with the library: the instructor's own solutions of short exercises
# (same_padding, xor_network, the Keras inception_module: 16-29 fingerprints) reach 0.86-1.0 against it,
# because the documented formula or layer list leaves one way to write them.
MIN_REFERENCE_FINGERPRINTS = 30
REFERENCE_MODULES = ("neuron", "gradient_descent", "backprop", "convolution", "cnn_architectures",
                     "transfer_learning")
_KEEP = set(keyword.kwlist) | set(dir(builtins)) - {"_"}
_MOD = (1 << 61) - 1
_BASE = 1_000_003


# ------------------------------------------------------------------------------- fingerprinting

@dataclass
class Fingerprint:
    """One piece of code: its normalised tokens, their source lines, and its winnowed hashes."""

    source: str
    tokens: list[str]
    lines: list[int]  # 1-based source line of each token
    hashes: dict[int, list[int]]  # hash -> start positions (token indices) of its k-grams

    def without(self, ignore: set[int]) -> Fingerprint:
        """The same fingerprint minus the hashes in ``ignore`` (= ``fingerprint(source, ignore)``)."""
        return Fingerprint(self.source, self.tokens, self.lines,
                           {h: at for h, at in self.hashes.items() if h not in ignore})

    def spans(self, hashes) -> list[tuple[int, int]]:
        """The source line ranges (first, last; 1-based) covered by the k-grams of ``hashes``."""
        covered = sorted({i for h in hashes for s in self.hashes.get(h, ()) for i in range(s, s + K)})
        lines = sorted({self.lines[i] for i in covered if i < len(self.lines)})
        out: list[tuple[int, int]] = []
        for ln in lines:
            if out and ln <= out[-1][1] + 1:
                out[-1] = (out[-1][0], ln)
            else:
                out.append((ln, ln))
        return out


def _word(word: str) -> str:
    """A name, number or operator as the fingerprint sees it."""
    if word[0].isdigit():
        return "N"
    if word[0].isalpha() or word[0] == "_":
        return word if word in _KEEP else "V"
    return word


def _raw_tokens(source: str) -> list[tuple[str, int]]:
    """(normalised token, line) for the whole source.

    Code ``tokenize`` gives up on (a syntax error) keeps the tokens it produced; the lines after them are
    split into words and symbols.
    """
    out: list[tuple[str, int]] = []
    prev = ""
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            t = tok.type
            if t in (tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER, tokenize.DEDENT):
                continue
            if t == tokenize.NEWLINE or tok.string == ";":
                text = ";"
                if prev == ";":
                    continue
            elif t == tokenize.INDENT:
                text = "{"
            elif t == tokenize.NAME:
                text = tok.string if prev == "." else _word(tok.string)
            elif t == tokenize.NUMBER:
                text = "N"
            elif t == tokenize.STRING:
                text = "S"
            else:
                text = tok.string.strip()
                if not text:
                    continue
            out.append((text, tok.start[0]))
            prev = text
    except (tokenize.TokenError, IndentationError, SyntaxError):
        import re

        done = out[-1][1] if out else 0
        for n, line in enumerate(source.splitlines()[done:], done + 1):
            out += [(_word(w), n) for w in re.findall(r"\w+|[^\s\w]", line.split("#", 1)[0])] + [(";", n)]
    return out


def _cuts(source: str) -> list[tuple[int, int]]:
    """Line ranges of the top-level functions/classes (each alone) and of the code between them."""
    try:
        body = ast.parse(source).body
    except (SyntaxError, ValueError):
        return [(1, source.count("\n") + 1)]
    cuts: list[tuple[int, int]] = []
    loose = False
    for node in body:
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        is_def = isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        if cuts and loose and not is_def:
            cuts[-1] = (cuts[-1][0], node.end_lineno)
        else:
            cuts.append((first, node.end_lineno))
        loose = not is_def
    return cuts


def _token_hash(text: str, _cache: dict = {}) -> int:  # noqa: B006 (a deliberate memo)
    h = _cache.get(text)
    if h is None:
        h = _cache[text] = zlib.crc32(text.encode()) + 1
    return h


def _kgram_hashes(tokens: list[str]) -> list[int]:
    """Polynomial rolling hash of every K consecutive tokens (stable across runs and machines)."""
    if len(tokens) < K:
        return []
    top = pow(_BASE, K - 1, _MOD)
    vals = [_token_hash(t) for t in tokens]
    h = 0
    for v in vals[:K]:
        h = (h * _BASE + v) % _MOD
    out = [h]
    for i in range(K, len(vals)):
        h = ((h - vals[i - K] * top) * _BASE + vals[i]) % _MOD
        out.append(h)
    return out


def _winnow(hashes: list[int]) -> list[int]:
    """Robust winnowing: the positions of the minimum of each window of W hashes (rightmost on ties)."""
    if len(hashes) <= W:
        return [min(range(len(hashes)), key=lambda i: (hashes[i], -i))] if hashes else []
    picked, last = [], -1
    for start in range(len(hashes) - W + 1):
        best = start
        for i in range(start + 1, start + W):
            if hashes[i] <= hashes[best]:
                best = i
        if best != last:
            picked.append(best)
            last = best
    return picked


def fingerprint(source: str, ignore: set[int] = frozenset(), winnow: bool = True) -> Fingerprint:
    """Tokens and winnowed k-gram hashes of ``source``, per top-level piece, minus the hashes in ``ignore``."""
    raw = _raw_tokens(source)
    tokens, lines, hashes = [], [], defaultdict(list)
    for first, last in _cuts(source):
        piece = [(t, ln) for t, ln in raw if first <= ln <= last]
        while piece and piece[0][0] in ("{", ";"):
            piece.pop(0)
        offset = len(tokens)
        tokens += [t for t, _ in piece]
        lines += [ln for _, ln in piece]
        grams = _kgram_hashes([t for t, _ in piece])
        for i in (_winnow(grams) if winnow else range(len(grams))):
            if grams[i] not in ignore:
                hashes[grams[i]].append(offset + i)
    return Fingerprint(source, tokens, lines, dict(hashes))


def all_kgrams(sources) -> set[int]:
    """Every k-gram hash of these sources (not winnowed): what a template contributes to everyone."""
    out: set[int] = set()
    for s in sources:
        out |= set(fingerprint(s, winnow=False).hashes)
    return out


# ------------------------------------------------------------------------------------ comparing

@dataclass
class Pair:
    exercise: str
    a: str  # student ids, a < b
    b: str
    score: float  # share of the smaller answer's fingerprints found in the other, in [0, 1]
    spans_a: list[tuple[int, int]]  # matched line ranges in a's answer (1-based, inclusive)
    spans_b: list[tuple[int, int]]
    source_a: str
    source_b: str


@dataclass
class ReferenceMatch:
    exercise: str
    student: str
    score: float  # share of the answer's fingerprints found in the reference library's source
    function: str  # the library function sharing the most, e.g. "coursekit.convolution.conv2d_naive"
    spans: list[tuple[int, int]]  # in the student's answer
    reference_spans: list[tuple[int, int]]  # in the function's source
    source: str
    reference_source: str


@dataclass
class Similarity:
    assignment: str
    pairs: list[Pair] = field(default_factory=list)  # score >= threshold, highest first
    # every answer long enough (MIN_REFERENCE_FINGERPRINTS) that shares a passage with the library, highest first
    reference: list[ReferenceMatch] = field(default_factory=list)
    too_short: dict[str, int] = field(default_factory=dict)  # exercise -> answers too short to compare
    notes: list[str] = field(default_factory=list)
    threshold: float = PAIR_THRESHOLD
    reference_threshold: float = REFERENCE_THRESHOLD
    common_limit: int = 0  # passages in more submissions than this were ignored
    candidates: int = 0  # pairs scored after prefix filtering: the work done, far below n^2 / 2
    seconds: float = 0.0


@functools.lru_cache(maxsize=1)
def _library_fingerprints() -> dict[str, Fingerprint]:
    return {name: fingerprint(src) for name, src in reference_functions().items()}


def reference_functions(modules=REFERENCE_MODULES, package: str = "coursekit") -> dict[str, str]:
    """'coursekit.convolution.conv2d_naive' -> its source, for every function and method of the modules.

    Read from the installed package's files (what the students have), without importing them.
    """
    out = {}
    for mod in modules:
        spec = importlib.util.find_spec(f"{package}.{mod}")
        if spec is None or not spec.origin:
            continue
        with open(spec.origin, encoding="utf-8") as fh:
            text = fh.read()
        lines = text.splitlines(keepends=True)
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                first = min([node.lineno] + [d.lineno for d in node.decorator_list])
                src = "".join(lines[first - 1:node.end_lineno])
                indent = len(src) - len(src.lstrip(" "))
                out[f"{package}.{mod}.{node.name}"] = "".join(ln[indent:] for ln in src.splitlines(True))
    return out


def _candidates(fps: dict[str, Fingerprint], index: dict[int, list[str]], limit: int, threshold: float,
                sim: Similarity) -> list[tuple[str, str]]:
    """The pairs that can reach ``threshold``, by prefix filtering (Bayardo et al., "Scaling up all pairs
    similarity search", 2007): no all-pairs loop, and fewer candidates than "shares any fingerprint".

    For a pair whose smaller answer is ``a`` (``|a|`` fingerprints), a score of ``threshold`` needs
    ``need = ceil(threshold * |a|)`` shared rare fingerprints; then at least one of them is among the first
    ``len(rare a) - need + 1`` of ``a``'s rare fingerprints taken rarest first.  So ``a`` looks up only those
    in the index, and only partners at least as large.
    """
    rarity = {h: (len(who), h) for h, who in index.items() if len(who) <= limit}
    pairs = set()
    for a, fp in fps.items():
        rare = sorted((h for h in fp.hashes if h in rarity), key=rarity.__getitem__)
        need = max(1, math.ceil(threshold * len(fp.hashes) - 1e-9))
        for h in rare[:max(0, len(rare) - need + 1)]:
            for b in index[h]:
                if b != a and len(fps[b].hashes) >= len(fp.hashes):
                    pairs.add((a, b) if a < b else (b, a))
    sim.candidates += len(pairs)
    return sorted(pairs)


def compare(answers: dict[str, dict[str, str]], template: str | list[str] = "", *,
            reference: dict[str, str] | None = None, threshold: float = PAIR_THRESHOLD,
            common_share: float = 0.05, min_common: int = 10, min_fingerprints: int = MIN_FINGERPRINTS,
            assignment: str = "") -> Similarity:
    """Similar pairs and reference matches among ``answers`` (student -> exercise -> answer source).

    ``template``: the released code (its k-grams never count).  ``reference``: name -> source of the
    library functions (default: :func:`reference_functions`; ``{}`` for none).  A passage found in more
    than ``max(min_common, common_share * students)`` answers to an exercise is ignored for pairs.
    """
    t0 = time.perf_counter()
    ignore = all_kgrams([template] if isinstance(template, str) else template)
    if reference is None:  # the library's fingerprints are computed once per process
        ref_fps = {name: fp.without(ignore) for name, fp in _library_fingerprints().items()}
    else:
        ref_fps = {name: fingerprint(src, ignore) for name, src in reference.items()}
    ref_index: dict[int, list[str]] = defaultdict(list)
    for name, fp in ref_fps.items():
        for h in fp.hashes:
            ref_index[h].append(name)
    students = sorted(answers)
    limit = max(min_common, int(common_share * len(students)))
    sim = Similarity(assignment, threshold=threshold, common_limit=limit)
    exercises = sorted({e for s in students for e in answers[s]})
    for ex in exercises:
        fps = {s: fingerprint(answers[s][ex], ignore) for s in students if answers[s].get(ex, "").strip()}
        short = [s for s, fp in fps.items() if len(fp.hashes) < max(1, min_fingerprints)]
        if short:
            sim.too_short[ex] = len(short)
        for s in short:
            del fps[s]
        index: dict[int, list[str]] = defaultdict(list)
        for s, fp in fps.items():
            for h in fp.hashes:
                index[h].append(s)
        for a, b in _candidates(fps, index, limit, threshold, sim):
            common = [h for h in fps[a].hashes if h in fps[b].hashes and len(index[h]) <= limit]
            score = len(common) / min(len(fps[a].hashes), len(fps[b].hashes))
            if score >= threshold:
                sim.pairs.append(Pair(ex, a, b, round(score, 3), fps[a].spans(common), fps[b].spans(common),
                                      fps[a].source, fps[b].source))
        for s, fp in fps.items():
            if len(fp.hashes) < MIN_REFERENCE_FINGERPRINTS:
                continue
            hits: dict[str, int] = defaultdict(int)
            for h in fp.hashes:
                for name in ref_index.get(h, ()):
                    hits[name] += 1
            if not hits:
                continue
            best = max(hits, key=lambda n: (hits[n], n))
            found = [h for h in fp.hashes if h in ref_index]
            ours = [h for h in fp.hashes if h in ref_fps[best].hashes]
            sim.reference.append(ReferenceMatch(
                ex, s, round(len(found) / len(fp.hashes), 3), best, fp.spans(found), ref_fps[best].spans(ours),
                fp.source, ref_fps[best].source))
    sim.pairs.sort(key=lambda p: (-p.score, p.exercise, p.a, p.b))
    sim.reference.sort(key=lambda r: (-r.score, r.exercise, r.student))
    sim.seconds = time.perf_counter() - t0
    return sim


# ------------------------------------------------------------------------- answers in notebooks

def _defines(source: str, name: str) -> bool:
    """Whether ``source`` defines a top-level function ``name``."""
    try:
        body = ast.parse(source).body
    except (SyntaxError, ValueError):
        return False
    return any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == name for n in body)


def notebook_answers(nb, exercises) -> dict[str, str]:
    """exercise -> the student's answer in notebook ``nb``.

    The answer cell (``grade_id`` = the exercise name) if it defines the function; otherwise the last
    other cell that does (the one that wins when the notebook runs: cell ids can be tampered with), with
    its helpers; otherwise the answer cell as it is (or nothing).
    """
    from coursekit.assignments.cells import is_test_cell, nbgrader_metadata

    cells = [c for c in nb.cells if c.get("cell_type") == "code" and not is_test_cell(c)]
    sources = [c.source if isinstance(c.source, str) else "".join(c.source) for c in cells]
    out = {}
    for name in exercises:
        own = [s for c, s in zip(cells, sources) if nbgrader_metadata(c).get("grade_id") == name]
        defining = [s for s in sources if _defines(s, name)]
        out[name] = own[0] if own and (_defines(own[0], name) or not defining) else (defining or [""])[-1]
    return out


def for_assignment(course_dir: str, assignment: str, submissions, exercises: dict[str, list[str]],
                   **options) -> Similarity:
    """The similarity of the collected ``submissions`` (``collect.Submission``s) of one assignment.

    ``exercises``: notebook name -> exercise names (``record.Layout.exercises``).  The released
    notebooks ``<course>/release/<assignment>/<notebook>.ipynb`` are the template.  Never raises: a
    failure becomes a note in the report (grades do not depend on this).
    """
    import nbformat

    sim = Similarity(assignment)
    try:
        answers: dict[str, dict[str, str]] = defaultdict(dict)
        template, notes = [], []
        for notebook in sorted(exercises):
            path = os.path.join(course_dir, "release", assignment, notebook + ".ipynb")
            try:
                rel = nbformat.read(path, as_version=4)
                template += [c.source for c in rel.cells if c.get("cell_type") == "code"]
            except (OSError, ValueError) as exc:
                notes.append(f"the released notebook {path} could not be read ({type(exc).__name__}), so the "
                             "starter code was not left out: scores may be higher than they should")
        for sub in submissions:
            names = exercises.get(sub.notebook, [])
            try:
                nb = nbformat.read(sub.path, as_version=4)
            except Exception as exc:  # a malformed notebook is already a grading problem
                notes.append(f"{sub.student}: not compared ({type(exc).__name__})")
                continue
            for name, src in notebook_answers(nb, names).items():
                answers[sub.student][f"{sub.notebook}: {name}" if len(exercises) > 1 else name] = src
        sim = compare(dict(answers), template, assignment=assignment, **options)
        sim.notes = notes + sim.notes
    except Exception as exc:  # noqa: BLE001 (the grades are written already; say what went wrong)
        sim.notes.append(f"the similarity check failed ({type(exc).__name__}: {exc}); grades are not affected")
    return sim
