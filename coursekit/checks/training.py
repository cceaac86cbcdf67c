"""Assignment 3 (backprop), the training exercise: the student's own MLP learns the 8x8 digits.

``fit_mlp(x, y_true, params, learning_rate, epochs, batch_size, seed=0, hidden_activation="relu")``
trains with the student's ``mlp_backward`` by mini-batch SGD and returns ``(params, losses)``.  It is
graded against ``model.fit``: the same MLP in Keras (float64, the same initial weights), the same
batches in the same order (the contract's permutation, pre-permuted data, ``shuffle=False``), the same
optimizer (``keras.optimizers.SGD(learning_rate)``).  Keras 3 logs, after each batch, the running mean
of the loss over the epoch so far weighted by the batch sizes (the ``Mean`` loss tracker of
``keras/src/backend/tensorflow/trainer.py``); each batch's own loss is recovered from it.
A long case trains on 1000 images and must also reach a held-out accuracy.
"""

from __future__ import annotations

import functools

import numpy as np

from .backprop import _keras_mlp, _mlp_backward_np
from .common import arg, as_float64, keras, make_case, noncontiguous
from .core import INPUT_MODIFIED, Exercise, Mistake, Verdict, describe, wrong

ASSIGNMENT = "03_backprop"

LOSS_TOL = 1e-3  # per batch: |loss - Keras's| <= LOSS_TOL * max(1, |Keras's|)
PARAMS_RTOL = 1e-4  # trained weights: |w - Keras's| <= PARAMS_RTOL * max |Keras's| of that array
CURVE_EPOCHS = 2  # the loss curve is compared with model.fit over the first epochs
ACCURACY = 0.85  # held-out accuracy the long case must reach (the reference: 0.90-0.97 over 60 students)
LONG = dict(n=1000, epochs=10, batch_size=32, learning_rate=0.1, sizes=(64, 32, 10))


@functools.lru_cache(maxsize=1)
def _digits():
    """(x (1797, 64) float64 in [0, 1], one-hot y (1797, 10), pool indices, held-out indices)."""
    from coursekit.data import digits_8x8

    images, labels = digits_8x8()
    x = images.reshape(len(images), -1).astype(np.float64)
    order = np.random.default_rng(2026).permutation(len(x))
    return x, np.eye(10)[labels], order[:1400], order[1400:]


def _he(rng, sizes):
    return [
        (rng.normal(size=(a, b)) * np.sqrt(2.0 / a), rng.normal(size=b) * 0.01) for a, b in zip(sizes[:-1], sizes[1:])
    ]


def _case(label, idx, params, lr, epochs, batch_size, seed, act, dtype=np.float64):
    x, y, _, _ = _digits()
    return make_case(
        label, x[idx].astype(dtype), y[idx], params, lr, epochs, batch_size, seed=seed, hidden_activation=act
    )


def _visible():
    x, y, pool, _ = _digits()
    rng = np.random.default_rng(33)
    n, sizes = LONG["n"], LONG["sizes"]
    return [
        _case(
            "60 images, 64-16-10 relu, batch 16 (last batch 12), 2 epochs",
            pool[:60],
            _he(rng, (64, 16, 10)),
            0.5,
            2,
            16,
            7,
            "relu",
        ),
        _case(
            f"learn the digits: {n} images, 64-32-10 relu, batch 32, {LONG['epochs']} epochs "
            f"(loss curve of the first {CURVE_EPOCHS} epochs, held-out accuracy >= {ACCURACY:.0%})",
            pool[:n],
            _he(rng, sizes),
            LONG["learning_rate"],
            LONG["epochs"],
            LONG["batch_size"],
            0,
            "relu",
        ),
    ]


def _hidden(rng):
    _, _, pool, _ = _digits()
    n = int(rng.integers(50, 81))
    b = int(rng.choice([b for b in range(7, 14) if n % b]))
    long_idx = rng.choice(pool, LONG["n"], replace=False)
    return [
        noncontiguous(
            _case(
                f"random {n} images, 64-12-10 tanh, batch {b}, 3 epochs",
                rng.choice(pool, n, replace=False),
                _he(rng, (64, 12, 10)),
                0.3,
                3,
                b,
                int(rng.integers(2**31)),
                "tanh",
            )
        ),
        _case(
            "one batch per epoch (batch_size > N), 64-8-10 sigmoid, 3 epochs",
            rng.choice(pool, 30, replace=False),
            _he(rng, (64, 8, 10)),
            0.5,
            3,
            64,
            int(rng.integers(2**31)),
            "sigmoid",
        ),
        _case(
            "batch_size 1 (plain SGD), float32 images, 64-8-6-10 relu, 2 epochs",
            rng.choice(pool, 11, replace=False),
            _he(rng, (64, 8, 6, 10)),
            0.05,
            2,
            1,
            int(rng.integers(2**31)),
            "relu",
            np.float32,
        ),
        _case(
            f"learn the digits: {LONG['n']} random images, 64-32-10 relu, batch 32, {LONG['epochs']} epochs "
            f"(loss curve of the first {CURVE_EPOCHS} epochs, held-out accuracy >= {ACCURACY:.0%})",
            long_idx,
            _he(rng, LONG["sizes"]),
            LONG["learning_rate"],
            LONG["epochs"],
            LONG["batch_size"],
            int(rng.integers(2**31)),
            "relu",
        ),
    ]


def _args(case):
    x = as_float64(arg(case, 0, "x"))
    y = as_float64(arg(case, 1, "y_true"))
    params = [(as_float64(k), as_float64(b)) for k, b in arg(case, 2, "params")]
    return (
        x,
        y,
        params,
        float(arg(case, 3, "learning_rate")),
        int(arg(case, 4, "epochs")),
        int(arg(case, 5, "batch_size")),
        arg(case, 6, "seed", 0),
        arg(case, 7, "hidden_activation", "relu"),
    )


def _batches(n, batch_size, rng):
    order = rng.permutation(n)
    return [order[i : i + batch_size] for i in range(0, n, batch_size)]


def _is_long(case) -> bool:
    return len(arg(case, 0, "x")) >= LONG["n"]


def _key(case) -> str:
    import hashlib

    digest = hashlib.sha256()
    x, y, params, *rest = _args(case)
    for a in (x, y, *(v for pair in params for v in pair)):
        digest.update(repr(a.shape).encode() + a.tobytes())
    digest.update(repr(rest).encode())
    return digest.hexdigest()


_EXPECTED: dict[str, tuple] = {}  # a regrade or a second check of the same inputs does not rerun model.fit


def _expected(case):
    """model.fit on the contract's batches: (per-batch losses, trained weights or None if fewer epochs ran)."""
    key = _key(case)
    if key not in _EXPECTED:
        if len(_EXPECTED) > 64:
            _EXPECTED.clear()
        _EXPECTED[key] = _fit_keras(case)
    return _EXPECTED[key]


def _fit_keras(case):
    x, y, params, lr, epochs, batch_size, seed, act = _args(case)
    k = keras()
    model = _keras_mlp(params, act)
    model.compile(
        optimizer=k.optimizers.SGD(learning_rate=lr),
        loss=k.losses.CategoricalCrossentropy(from_logits=True),
        jit_compile=False,
    )
    running: list[float] = []

    class Log(k.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            running.append(float(logs["loss"]))  # mean over the epoch's batches so far, weighted by size

    rng = np.random.default_rng(seed)
    ran = min(epochs, CURVE_EPOCHS) if _is_long(case) else epochs
    losses = []
    for _ in range(ran):
        batches = _batches(len(x), batch_size, rng)
        order = np.concatenate(batches)
        running.clear()
        model.fit(x[order], y[order], batch_size=batch_size, epochs=1, shuffle=False, verbose=0, callbacks=[Log()])
        sizes = np.array([len(b) for b in batches], dtype=np.float64)
        totals = np.array(running) * np.cumsum(sizes)
        losses += list(np.diff(totals, prepend=0.0) / sizes)
    weights = model.get_weights()
    trained = [(weights[2 * i], weights[2 * i + 1]) for i in range(len(params))] if ran == epochs else None
    return np.array(losses), trained


def _accuracy(params, act):
    x, y, _, held_out = _digits()
    logits = np.asarray(_keras_mlp(params, act)(x[held_out]), np.float64)
    return float(np.mean(logits.argmax(axis=1) == y[held_out].argmax(axis=1)))


def _shape_problems(case, out):
    """Problems with the structure of ``(params, losses)``; else the float64 (params, losses)."""
    x, _, params, _, epochs, batch_size, _, _ = _args(case)
    n_losses = epochs * -(-len(x) // batch_size)
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        return [f"should return (params, losses); got {describe(out)}"], None
    p, losses = out
    if not isinstance(p, (tuple, list)) or len(p) != len(params):
        return [f"params: expected a list of {len(params)} (kernel, bias) pairs; got {describe(p)}"], None
    trained = []
    for i, (pair, (k0, b0)) in enumerate(zip(p, params)):
        try:
            kk, bb = (as_float64(a) for a in pair)
        except Exception:
            return [f"params[{i}]: expected a (kernel, bias) pair; got {describe(pair)}"], None
        if kk.shape != k0.shape or bb.shape != b0.shape:
            return [f"params[{i}]: shapes {kk.shape}, {bb.shape}; expected {k0.shape}, {b0.shape}"], None
        trained.append((kk, bb))
    try:
        losses = as_float64(losses)
    except Exception:
        return [f"losses: expected a list of numbers; got {describe(losses)}"], None
    if losses.shape != (n_losses,):
        return [
            f"losses: shape {losses.shape}; expected ({n_losses},): one loss per mini-batch "
            f"({epochs} epochs x ceil({len(x)} / {batch_size}) batches)"
        ], (trained, losses)
    return [], (trained, losses)


def _curve_problem(losses, expected) -> str | None:
    got = losses[: len(expected)]
    err = np.abs(got - expected)
    tol = LOSS_TOL * np.maximum(1.0, np.abs(expected))
    if np.all(err <= tol):  # NaN fails
        return None
    i = int(np.argmax(np.where(np.isnan(err), np.inf, err - tol)))
    return (
        f"loss curve differs from model.fit's at batch {i} (of the first {len(expected)}): got {got[i]:.6g}, "
        f"Keras {expected[i]:.6g}; first losses {np.round(got[:3], 4).tolist()} vs {np.round(expected[:3], 4).tolist()}"
    )


def _params_problem(trained, expected) -> str | None:
    for i, ((k, b), (ek, eb)) in enumerate(zip(trained, expected)):
        for what, a, e in (("kernel", k, ek), ("bias", b, eb)):
            err = float(np.max(np.abs(a - e))) if a.size else 0.0
            if not err <= PARAMS_RTOL * max(float(np.max(np.abs(e))), 1e-3):
                return f"trained params[{i}] {what} differs from Keras's weights after model.fit by up to {err:.3g}"
    return None


def _close(a, b, rtol=1e-6) -> bool:
    a, b = as_float64(a), as_float64(b)
    if a.shape != b.shape or a.size == 0:
        return a.shape == b.shape
    scale = float(np.max(np.abs(b[np.isfinite(b)]), initial=1.0))  # a diverged run holds inf and NaN
    return bool(np.allclose(a, b, rtol=rtol, atol=rtol * scale, equal_nan=True))


def _judge(case, out, expected):
    problems, got = _shape_problems(case, out)
    if got is None:
        return Verdict(False, problems)
    trained, losses = got
    keras_losses, keras_params = expected
    if not problems:
        problems = [p for p in (_curve_problem(losses, keras_losses),) if p]
        if keras_params is not None and (p := _params_problem(trained, keras_params)):
            problems.append(p)
    if _is_long(case) and not problems:
        acc = _accuracy(trained, _args(case)[7])
        if not acc >= ACCURACY:
            problems.append(f"held-out accuracy {acc:.1%} of the trained network; at least {ACCURACY:.0%} expected")
    if not problems:
        return Verdict(True)
    diagnoses = []
    for mistake in MISTAKES:
        if mistake.variant is None:
            continue
        with np.errstate(all="ignore"):  # a diverging mistake overflows here as it did for the student
            wrong_params, wrong_losses = mistake.variant(case)
        if _close(losses, wrong_losses) and all(
            _close(a, e) for (k, b), (wk, wb) in zip(trained, wrong_params) for a, e in ((k, wk), (b, wb))
        ):
            diagnoses.append(mistake.message)
    return Verdict(False, problems, diagnoses)


# ----------------------------------------------------------------------------- mistakes


def _simulate(case, kind=""):
    """The contract in NumPy (the course's independent backward), with one mistake ``kind``."""
    x, y, params, lr, epochs, batch_size, seed, act = _args(case)
    rng = np.random.default_rng(seed)
    sign = 1.0 if kind == "ascent" else -1.0
    fixed = rng.permutation(len(x)) if kind == "once" else np.arange(len(x))
    losses = []
    for _ in range(epochs):
        order = fixed if kind in ("once", "no_shuffle") else rng.permutation(len(x))
        stop = len(x) - batch_size + 1 if kind == "drop_last" else len(x)
        for start in range(0, stop, batch_size):
            idx = order[start : start + batch_size]
            loss, grads = _mlp_backward_np(make_case("", x[idx], y[idx], params, hidden_activation=act))
            losses.append(loss)
            scale = lr / len(idx) if kind == "double_mean" else lr
            params = [(k + sign * scale * dk, b + sign * scale * db) for (k, b), (dk, db) in zip(params, grads)]
    return params, np.array(losses)


FIT_MLP_ANSWER = """def fit_mlp(x, y_true, params, learning_rate, epochs, batch_size, seed=0, hidden_activation="relu"):
    rng = np.random.default_rng(seed)
    n = len(x)
    losses = []
    for epoch in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            loss, grads = mlp_backward(x[idx], y_true[idx], params, hidden_activation)
            losses.append(loss)
            params = [(k - learning_rate * dk, b - learning_rate * db) for (k, b), (dk, db) in zip(params, grads)]
    return params, np.array(losses)
"""

_UPDATE = "params = [(k - learning_rate * dk, b - learning_rate * db) for (k, b), (dk, db) in zip(params, grads)]"

MISTAKES = [
    Mistake(
        message="gradient ascent: the update is W <- W - learning_rate * dW (minus), so the loss goes down",
        variant=lambda c: _simulate(c, "ascent"),
        example=wrong(
            FIT_MLP_ANSWER,
            "(k - learning_rate * dk, b - learning_rate * db)",
            "(k + learning_rate * dk, b + learning_rate * db)",
        ),
    ),
    Mistake(
        message="gradients divided by the batch size again: mlp_backward's loss is already the batch mean, "
        "so its gradients are too (the step is learning_rate * dW, no extra 1 / batch size)",
        variant=lambda c: _simulate(c, "double_mean"),
        example=wrong(
            FIT_MLP_ANSWER,
            "(k - learning_rate * dk, b - learning_rate * db)",
            "(k - learning_rate * dk / len(idx), b - learning_rate * db / len(idx))",
        ),
    ),
    Mistake(
        message="shuffled once: draw a new order = rng.permutation(N) at the start of every epoch",
        variant=lambda c: _simulate(c, "once"),
        example=wrong(
            FIT_MLP_ANSWER,
            "    for epoch in range(epochs):\n        order = rng.permutation(n)\n",
            "    order = rng.permutation(n)  # once, before the epochs\n    for epoch in range(epochs):\n",
        ),
    ),
    Mistake(
        message="not shuffled: the batches must follow order = rng.permutation(N), a new one every epoch",
        variant=lambda c: _simulate(c, "no_shuffle"),
        example=wrong(FIT_MLP_ANSWER, "order = rng.permutation(n)", "order = np.arange(n)  # the data's order"),
    ),
    Mistake(
        message="the last, shorter mini-batch is dropped: keep it (Keras trains on it too)",
        variant=lambda c: _simulate(c, "drop_last"),
        example=wrong(
            FIT_MLP_ANSWER,
            "for start in range(0, n, batch_size):",
            "for start in range(0, n - batch_size + 1, batch_size):  # full batches only",
        ),
    ),
    Mistake(
        message=INPUT_MODIFIED,  # the caller's initial params: named by the checker for any exercise
        example=wrong(
            FIT_MLP_ANSWER,
            _UPDATE,
            "for (k, b), (dk, db) in zip(params, grads):\n"
            "                k -= learning_rate * dk  # in place: the caller's arrays change\n"
            "                b -= learning_rate * db",
        ),
    ),
]


def exercises() -> list[Exercise]:
    return [
        Exercise(
            name="fit_mlp",
            assignment=ASSIGNMENT,
            points=4,
            matches=f"`(params, losses)`: per-batch losses of `model.fit` with `keras.optimizers.SGD` on the "
            f"same batches (within {LOSS_TOL:g}), the same trained weights, held-out accuracy >= {ACCURACY:.0%} "
            "on the long case",
            visible=_visible,
            hidden=_hidden,
            expected=_expected,
            judge=_judge,
            mistakes=MISTAKES,
            answer=FIT_MLP_ANSWER,
            parts=("params", "losses"),
        )
    ]
