"""Assignment 6 (transfer learning): the head, fine-tuning flags, features, a trained model."""

from __future__ import annotations

import time

import numpy as np

from ._common import C, arg, keras
from .core import Exercise, Mistake, Verdict
from .models import deterministic_weights, judge_summary, summarize

A = "06_transfer_learning"

# The trained-model exercise: accuracy threshold on held-out digits 5-9 and the CPU budget.
TRAIN_THRESHOLD = 0.5
TRAIN_CPU_SECONDS = 90.0
CHANCE = 0.2


def build_base(kind: str):
    """Small bases with BatchNormalization, built the same way in both processes."""
    k = keras()
    L = k.layers
    if kind == "shipped":
        from coursekit.transfer_learning import load_pretrained_base

        return load_pretrained_base("shipped")
    inp = k.Input((8, 8, 1), name="image")
    x = L.Conv2D(4, 3, padding="same", use_bias=False, name="c1")(inp)
    x = L.BatchNormalization(name="bn1")(x)
    x = L.ReLU(name="r1")(x)
    x = L.MaxPooling2D(2, name="pool")(x)
    x = L.Conv2D(6, 3, padding="same", use_bias=False, name="c2")(x)
    x = L.BatchNormalization(name="bn2")(x)
    x = L.ReLU(name="r2")(x)
    if kind == "pooled":  # a base whose output is already 2-D
        x = L.GlobalAveragePooling2D(name="gap")(x)
    model = k.Model(inp, x, name=f"{kind}_base")
    deterministic_weights(model)
    return model


def _reference_head(base, num_classes, rate=0.2, freeze=True, pool="gap", act="softmax", training_false=True,
                    dropout=True):
    k = keras()
    L = k.layers
    if freeze:
        base.trainable = False
    inp = k.Input(base.input.shape[1:])
    x = base(inp, training=False) if training_false else base(inp)
    if len(x.shape) == 4:
        x = L.GlobalAveragePooling2D()(x) if pool == "gap" else L.Flatten()(x)
    if dropout:
        x = L.Dropout(rate)(x)
    return k.Model(inp, L.Dense(num_classes, activation=act)(x))


# ----------------------------------------------------------------------------- build_transfer_model

def _btm_args(case):
    return case.kwargs["base"], int(case.args[0]), float(case.args[1]) if len(case.args) > 1 else 0.2


def _btm_call(func, case):
    base = build_base(case.kwargs["base"])
    model = func(base, *case.args)
    return summarize(model, base.input.shape[1:], nested=base)


def _btm_summary(case, **change):
    kind, n, rate = _btm_args(case)
    base = build_base(kind)
    return summarize(_reference_head(base, n, rate, **change), base.input.shape[1:], nested=base)


def _btm_judge(mistakes):
    def judge(case, out, expected):
        verdict = judge_summary(out, expected, [(m.message, (lambda m=m: m.variant(case))) for m in mistakes],
                                check_trainable=True)
        if verdict.ok:
            rates = [r.get("rate") for r in out["layers"] if r["class"] == "Dropout"]
            want = _btm_args(case)[2]
            if rates != [want]:
                return Verdict(False, [f"Dropout rates {rates}, expected [{want}] (use dropout_rate)"],
                               ["dropout_rate ignored"])
        return verdict
    return judge


# ----------------------------------------------------------------------------- unfreeze_top_layers

def _reference_unfreeze(base, n, count_bn=True, from_bottom=False, set_base=True):
    """The contract's "last num_layers layers" read two ways, both accepted: counting every
    layer of ``base.layers`` (BN among them, kept frozen), or counting only non-BN layers."""
    if set_base:
        base.trainable = True
    is_bn = [type(layer).__name__ == "BatchNormalization" for layer in base.layers]
    pool = [i for i in range(len(base.layers)) if count_bn or not is_bn[i]]
    chosen = set(pool[:n] if from_bottom else pool[len(pool) - n:])
    for i, layer in enumerate(base.layers):
        layer.trainable = (i in chosen) and not is_bn[i] and set_base
    return base


def _uf_summary(base) -> dict:
    return {"base_trainable": bool(base.trainable),
            "layers": [[type(l).__name__, bool(l.trainable)] for l in base.layers],
            "trainable_params": int(sum(np.prod(w.shape) for w in base.trainable_weights))}


def _uf_call(func, case):
    base = build_base(case.kwargs["base"])
    base.trainable = False  # as after build_transfer_model
    func(base, *case.args)
    return _uf_summary(base)


def _uf_expected(case, **change):
    out = []
    for count_bn in (True, False):
        base = build_base(case.kwargs["base"])
        base.trainable = False
        out.append(_uf_summary(_reference_unfreeze(base, int(case.args[0]), count_bn=count_bn, **change)))
    return out


def _uf_judge(mistakes):
    def judge(case, out, expected):
        if out in expected:
            return Verdict(True)
        expected = expected[0]
        if not isinstance(out, dict) or "layers" not in out:
            return Verdict(False, ["could not read the base's trainable flags"])
        got = [i for i, (_, t) in enumerate(out["layers"]) if t]
        want = [i for i, (_, t) in enumerate(expected["layers"]) if t]
        msgs = [f"base.trainable = {out['base_trainable']} (expected {expected['base_trainable']}); "
                f"trainable layers {got}, expected {want} ({out['trainable_params']} trainable parameters, "
                f"expected {expected['trainable_params']})"]
        bn_on = [i for i, (c, t) in enumerate(out["layers"]) if c == "BatchNormalization" and t]
        diagnoses = ["BatchNormalization layer left trainable: set layer.trainable = False for every BN layer "
                     "(its moving statistics would be updated by fine-tuning)"] if bn_on else []
        for m in mistakes:
            try:
                if out in m.variant(case):
                    diagnoses.append(m.message)
            except Exception:
                continue
        return Verdict(False, msgs, list(dict.fromkeys(diagnoses)))
    return judge


# ----------------------------------------------------------------------------- extract_features

def _ef_call(func, case):
    base = build_base(case.kwargs["base"])
    return func(base, *case.args)


def _ef_expected(case, kind="mean", drop_last=False):
    base = build_base(case.kwargs["base"])
    images = np.asarray(case.args[0], np.float32)
    bs = int(case.args[1]) if len(case.args) > 1 else 32
    if drop_last:
        images = images[: len(images) // bs * bs]
    feats = np.asarray(base.predict(images, batch_size=bs, verbose=0), np.float64)
    if feats.ndim == 4:
        feats = feats.mean(axis=(1, 2)) if kind == "mean" else (
            feats.max(axis=(1, 2)) if kind == "max" else feats.reshape(len(feats), -1))
    return feats


def _ef_case(label, rng, n, kind, batch=None):
    images = rng.uniform(0, 1, size=(n, 8, 8, 1)).astype(np.float32)
    return C(label, images, base=kind) if batch is None else C(label, images, batch, base=kind)


# ----------------------------------------------------------------------------- the trained model

VISIBLE_EVAL = 100  # test images a student may evaluate on with self_check; the hidden ones are the rest


def _train_case(seed=None):
    from coursekit.transfer_learning import target_task_data

    x_train, y_train, x_test, _ = target_task_data(n_per_class=10, seed=0)
    order = np.random.default_rng(123).permutation(len(x_test))
    if seed is None:
        idx, label = np.sort(order[:VISIBLE_EVAL]), f"{VISIBLE_EVAL} practice images of digits 5-9"
    else:
        rest = order[VISIBLE_EVAL:]
        idx = np.sort(np.random.default_rng(seed).choice(rest, size=min(400, len(rest)), replace=False))
        label = f"{len(idx)} held-out images of digits 5-9"
    return C(label, x_train, y_train, eval_images=x_test[idx], eval_index=idx)


_TRAINED: dict[int, tuple] = {}  # train once per student function, evaluate on every case


def _train_call(func, case):
    """Student side: train within the CPU budget, then predict the held-out images."""
    key = id(func)
    if key not in _TRAINED:
        base = build_base("shipped")
        start = time.process_time()
        model = func(base, case.args[0], case.args[1])
        _TRAINED.clear()
        _TRAINED[key] = (func, model, time.process_time() - start)
    _, model, seconds = _TRAINED[key]
    probs = np.asarray(model.predict(case.kwargs["eval_images"], verbose=0))
    return {"predictions": probs.argmax(axis=-1).astype(np.int64), "cpu_seconds": float(seconds)}


def _train_expected(case):
    from coursekit.transfer_learning import target_task_data

    y_test = target_task_data(n_per_class=10, seed=0)[3]
    return y_test[np.asarray(case.kwargs["eval_index"], int)]


def _train_judge(case, out, expected):
    try:
        pred = np.asarray(out["predictions"]).reshape(-1)
        cpu = float(out["cpu_seconds"])
    except Exception:
        return Verdict(False, ["the function must return a trained keras.Model"])
    if pred.shape != expected.shape:
        return Verdict(False, [f"{pred.shape[0]} predictions for {expected.shape[0]} images"])
    acc = float(np.mean(pred == expected))
    msg = f"accuracy {acc:.3f} on {len(expected)} held-out images (threshold {TRAIN_THRESHOLD}), {cpu:.1f} s CPU"
    if cpu > TRAIN_CPU_SECONDS:
        return Verdict(False, [msg + f": over the {TRAIN_CPU_SECONDS:.0f} s CPU budget"], ["training too long"])
    if acc >= TRAIN_THRESHOLD:
        return Verdict(True, [msg])
    diag = ["accuracy at chance level: check the labels, the softmax head and the learning rate"] if acc < CHANCE + 0.05 else []
    return Verdict(False, [msg], diag)


def _train_points(case, out, expected) -> float:
    """Partial credit: linear from chance (0) to the threshold (1), within the budget."""
    try:
        if float(out["cpu_seconds"]) > TRAIN_CPU_SECONDS:
            return 0.0
        acc = float(np.mean(np.asarray(out["predictions"]).reshape(-1) == expected))
    except Exception:
        return 0.0
    return float(np.clip((acc - CHANCE) / (TRAIN_THRESHOLD - CHANCE), 0, 1))


# ----------------------------------------------------------------------------- registry

def exercises() -> list[Exercise]:
    btm_m = [Mistake("the base is not frozen: set base_model.trainable = False (only the head trains)",
                     lambda c: _btm_summary(c, freeze=False)),
             Mistake("Flatten used: the contract pools with GlobalAveragePooling2D", lambda c: _btm_summary(c, pool="flatten")),
             Mistake("the head has no softmax", lambda c: _btm_summary(c, act=None)),
             Mistake("the base is not called with training=False", lambda c: _btm_summary(c, training_false=False))]
    uf_m = [Mistake("counted from the bottom: unfreeze the LAST num_layers layers (base_model.layers[-num_layers:])",
                    lambda c: _uf_expected(c, from_bottom=True)),
            Mistake("base_model.trainable not set to True: the outer flag freezes every layer",
                    lambda c: _uf_expected(c, set_base=False))]
    return [
        Exercise("build_transfer_model", A, "build_transfer_model(base_model, num_classes, dropout_rate=0.2)", 3,
                 lambda: [C("4-D base output, 5 classes", 5, base="tiny"),
                          C("dropout 0.5, 3 classes", 3, 0.5, base="tiny")],
                 lambda rng: [C("a base that already pools (2-D output), 4 classes", 4, 0.3, base="pooled"),
                              C("4-D base, 7 classes", 7, base="tiny")],
                 _btm_summary, btm_m, call=_btm_call, judge=_btm_judge(btm_m)),
        Exercise("unfreeze_top_layers", A, "unfreeze_top_layers(base_model, num_layers)", 2,
                 lambda: [C("last 3 layers", 3, base="tiny"), C("last 5 layers", 5, base="tiny")],
                 lambda rng: [C("last 4 layers of a pooled base", 4, base="pooled"),
                              C("num_layers=0: base trainable, every layer frozen", 0, base="tiny")],
                 _uf_expected, uf_m, call=_uf_call, judge=_uf_judge(uf_m)),
        Exercise("extract_features", A, "extract_features(base_model, images, batch_size=32)", 2,
                 lambda: [_ef_case("40 images, default batch size (last batch short)", np.random.default_rng(5), 40, "tiny"),
                          _ef_case("10 images, batch 4", np.random.default_rng(6), 10, "tiny", 4)],
                 lambda rng: [_ef_case("37 images, batch 16", rng, 37, "tiny", 16),
                              _ef_case("a base that already pools, 9 images, batch 5", rng, 9, "pooled", 5)],
                 _ef_expected,
                 [Mistake("last mini-batch dropped: keep the final short batch", lambda c: _ef_expected(c, drop_last=True)),
                  Mistake("features flattened: global-average-pool the 4-D output (mean over height and width)",
                          lambda c: _ef_expected(c, kind="flat")),
                  Mistake("max-pooled: the contract averages over height and width", lambda c: _ef_expected(c, kind="max"))],
                 call=_ef_call),
        Exercise("train_transfer_model", A, "train_transfer_model(base_model, x_train, y_train)", 4,
                 lambda: [_train_case()], lambda rng: [_train_case(int(rng.integers(1 << 30)))], _train_expected,
                 call=_train_call, judge=_train_judge, partial=_train_points),
    ]
