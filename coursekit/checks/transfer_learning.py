"""Assignment 6 (transfer learning): the head, fine-tuning flags, features, a trained model."""

from __future__ import annotations

import time

import numpy as np

from .common import keras, make_case
from .core import Exercise, Mistake, Verdict, wrong
from .models import deterministic_weights, judge_summary, summarize

ASSIGNMENT = "06_transfer_learning"

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


def _reference_head(
    base, num_classes, rate=0.2, freeze=True, pool="gap", act="softmax", training_false=True, dropout=True
):
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


DROPOUT_RATE_IGNORED = "dropout_rate ignored"


def _btm_judge(mistakes):
    def judge(case, out, expected):
        verdict = judge_summary(
            out,
            expected,
            [(m.message, (lambda m=m: m.variant(case))) for m in mistakes if m.variant is not None],
            check_trainable=True,
        )
        if verdict.ok:
            rates = [r.get("rate") for r in out["layers"] if r["class"] == "Dropout"]
            want = _btm_args(case)[2]
            if rates != [want]:
                return Verdict(
                    False, [f"Dropout rates {rates}, expected [{want}] (use dropout_rate)"], [DROPOUT_RATE_IGNORED]
                )
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
    chosen = set(pool[:n] if from_bottom else pool[len(pool) - n :])
    for i, layer in enumerate(base.layers):
        layer.trainable = (i in chosen) and not is_bn[i] and set_base
    return base


def _uf_summary(base) -> dict:
    return {
        "base_trainable": bool(base.trainable),
        "layers": [[type(layer).__name__, bool(layer.trainable)] for layer in base.layers],
        "trainable_params": int(sum(np.prod(w.shape) for w in base.trainable_weights)),
    }


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


BATCH_NORM_TRAINABLE = (
    "BatchNormalization layer left trainable: set layer.trainable = False for every BN layer "
    "(its moving statistics would be updated by fine-tuning)"
)


def _uf_judge(mistakes):
    def judge(case, out, expected):
        if out in expected:
            return Verdict(True)
        expected = expected[0]
        if not isinstance(out, dict) or "layers" not in out:
            return Verdict(False, ["could not read the base's trainable flags"])
        got = [i for i, (_, t) in enumerate(out["layers"]) if t]
        want = [i for i, (_, t) in enumerate(expected["layers"]) if t]
        msgs = [
            f"base.trainable = {out['base_trainable']} (expected {expected['base_trainable']}); "
            f"trainable layers {got}, expected {want} ({out['trainable_params']} trainable parameters, "
            f"expected {expected['trainable_params']})"
        ]
        bn_on = [i for i, (c, t) in enumerate(out["layers"]) if c == "BatchNormalization" and t]
        diagnoses = [BATCH_NORM_TRAINABLE] if bn_on else []
        for m in mistakes:
            if m.variant is None:
                continue
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
        feats = (
            feats.mean(axis=(1, 2))
            if kind == "mean"
            else (feats.max(axis=(1, 2)) if kind == "max" else feats.reshape(len(feats), -1))
        )
    return feats


def _ef_case(label, rng, n, kind, batch=None):
    images = rng.uniform(0, 1, size=(n, 8, 8, 1)).astype(np.float32)
    return make_case(label, images, base=kind) if batch is None else make_case(label, images, batch, base=kind)


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
    return make_case(label, x_train, y_train, eval_images=x_test[idx], eval_index=idx)


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
    diag = (
        ["accuracy at chance level: check the labels, the softmax head and the learning rate"]
        if acc < CHANCE + 0.05
        else []
    )
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


# ----------------------------------------------------------------------------- a student's correct answers
# Every mistake's example below is one of these with one edit (core.wrong).

BUILD_TRANSFER_MODEL_ANSWER = """def build_transfer_model(base_model, num_classes, dropout_rate=0.2):
    L = keras.layers
    base_model.trainable = False
    inputs = keras.Input(shape=base_model.input.shape[1:])
    x = base_model(inputs, training=False)
    if len(x.shape) == 4:
        x = L.GlobalAveragePooling2D()(x)
    x = L.Dropout(dropout_rate)(x)
    outputs = L.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs)
"""

UNFREEZE_TOP_LAYERS_ANSWER = """def unfreeze_top_layers(base_model, num_layers):
    base_model.trainable = True
    for i, layer in enumerate(base_model.layers):
        is_bn = isinstance(layer, keras.layers.BatchNormalization)
        layer.trainable = i >= len(base_model.layers) - num_layers and not is_bn
"""

EXTRACT_FEATURES_ANSWER = """def extract_features(base_model, images, batch_size=32):
    feats = []
    for start in range(0, len(images), batch_size):
        out = np.asarray(base_model(images[start:start + batch_size], training=False))
        if out.ndim == 4:
            out = out.mean(axis=(1, 2))
        feats.append(out)
    return np.concatenate(feats, axis=0)
"""


# ----------------------------------------------------------------------------- registry


def exercises() -> list[Exercise]:
    btm_m = [
        Mistake(
            message="the base is not frozen: set base_model.trainable = False (only the head trains)",
            variant=lambda c: _btm_summary(c, freeze=False),
            example=wrong(BUILD_TRANSFER_MODEL_ANSWER, "    base_model.trainable = False\n", ""),
        ),
        Mistake(
            message="Flatten used: the contract pools with GlobalAveragePooling2D",
            variant=lambda c: _btm_summary(c, pool="flatten"),
            example=wrong(BUILD_TRANSFER_MODEL_ANSWER, "L.GlobalAveragePooling2D()", "L.Flatten()"),
        ),
        Mistake(
            message="the head has no softmax",
            variant=lambda c: _btm_summary(c, act=None),
            example=wrong(BUILD_TRANSFER_MODEL_ANSWER, ', activation="softmax"', ""),
        ),
        Mistake(
            message="the base is not called with training=False",
            variant=lambda c: _btm_summary(c, training_false=False),
            example=wrong(BUILD_TRANSFER_MODEL_ANSWER, "base_model(inputs, training=False)", "base_model(inputs)"),
        ),
        Mistake(
            message=DROPOUT_RATE_IGNORED,  # named by _btm_judge once the rest is right
            example=wrong(BUILD_TRANSFER_MODEL_ANSWER, "L.Dropout(dropout_rate)", "L.Dropout(0.2)"),
        ),
    ]
    uf_m = [
        Mistake(
            message="counted from the bottom: unfreeze the LAST num_layers layers (base_model.layers[-num_layers:])",
            variant=lambda c: _uf_expected(c, from_bottom=True),
            example=wrong(UNFREEZE_TOP_LAYERS_ANSWER, "i >= len(base_model.layers) - num_layers", "i < num_layers"),
        ),
        Mistake(
            message="base_model.trainable not set to True: the outer flag freezes every layer",
            variant=lambda c: _uf_expected(c, set_base=False),
            example=wrong(UNFREEZE_TOP_LAYERS_ANSWER, "    base_model.trainable = True\n", ""),
        ),
        Mistake(
            message=BATCH_NORM_TRAINABLE,  # named by _uf_judge
            example=wrong(UNFREEZE_TOP_LAYERS_ANSWER, " and not is_bn", "  # BatchNormalization too"),
        ),
    ]
    # The trained model is judged by its accuracy on held-out images: no output to match a mistake with.
    train_m = [
        Mistake(
            message="the head is not trained (accuracy near chance)",
            recognised=False,
            example="""def train_transfer_model(base_model, x_train, y_train):
    keras.utils.set_random_seed(1)
    return build_transfer_model(base_model, 5)
""",
        ),
        Mistake(
            message="trained on shuffled labels (accuracy near chance)",
            recognised=False,
            example="""def train_transfer_model(base_model, x_train, y_train):
    keras.utils.set_random_seed(2)
    model = build_transfer_model(base_model, 5)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x_train, np.random.default_rng(0).permutation(y_train), epochs=3, verbose=0)
    return model
""",
        ),
    ]
    return [
        Exercise(
            name="build_transfer_model",
            assignment=ASSIGNMENT,
            points=3,
            matches="base frozen and called with `training=False`, global average pooling (when the base's "
            "output is 4-D), dropout, Dense softmax head; only the head is trainable",
            visible=lambda: [
                make_case("4-D base output, 5 classes", 5, base="tiny"),
                make_case("dropout 0.5, 3 classes", 3, 0.5, base="tiny"),
            ],
            hidden=lambda rng: [
                make_case("a base that already pools (2-D output), 4 classes", 4, 0.3, base="pooled"),
                make_case("4-D base, 7 classes", 7, base="tiny"),
            ],
            expected=_btm_summary,
            mistakes=btm_m,
            answer=BUILD_TRANSFER_MODEL_ANSWER,
            call=_btm_call,
            judge=_btm_judge(btm_m),
        ),
        Exercise(
            name="unfreeze_top_layers",
            assignment=ASSIGNMENT,
            points=2,
            matches="changes `base_model` in place: the base trainable, its last `num_layers` layers trainable, "
            "every `BatchNormalization` layer kept frozen (`trainable=False`; in Keras 3.15 an outer "
            "`training=True` overrides `training=False`, so this flag is what protects the moving "
            "statistics), the rest frozen",
            visible=lambda: [make_case("last 3 layers", 3, base="tiny"), make_case("last 5 layers", 5, base="tiny")],
            hidden=lambda rng: [
                make_case("last 4 layers of a pooled base", 4, base="pooled"),
                make_case("num_layers=0: base trainable, every layer frozen", 0, base="tiny"),
            ],
            expected=_uf_expected,
            mistakes=uf_m,
            answer=UNFREEZE_TOP_LAYERS_ANSWER,
            call=_uf_call,
            judge=_uf_judge(uf_m),
        ),
        Exercise(
            name="extract_features",
            assignment=ASSIGNMENT,
            points=2,
            matches="the base's features as a NumPy array `(len(images), features)`, global-average-pooled when "
            "the base's output is 4-D",
            visible=lambda: [
                _ef_case("40 images, default batch size (last batch short)", np.random.default_rng(5), 40, "tiny"),
                _ef_case("10 images, batch 4", np.random.default_rng(6), 10, "tiny", 4),
            ],
            hidden=lambda rng: [
                _ef_case("37 images, batch 16", rng, 37, "tiny", 16),
                _ef_case("a base that already pools, 9 images, batch 5", rng, 9, "pooled", 5),
            ],
            expected=_ef_expected,
            mistakes=[
                Mistake(
                    message="last mini-batch dropped: keep the final short batch",
                    variant=lambda c: _ef_expected(c, drop_last=True),
                    example=wrong(
                        EXTRACT_FEATURES_ANSWER, "len(images), batch_size", "len(images) - batch_size + 1, batch_size"
                    ),
                ),
                Mistake(
                    message="features flattened: global-average-pool the 4-D output (mean over height and width)",
                    variant=lambda c: _ef_expected(c, kind="flat"),
                    example=wrong(EXTRACT_FEATURES_ANSWER, "out.mean(axis=(1, 2))", "out.reshape(len(out), -1)"),
                ),
                Mistake(
                    message="max-pooled: the contract averages over height and width",
                    variant=lambda c: _ef_expected(c, kind="max"),
                    example=wrong(EXTRACT_FEATURES_ANSWER, "out.mean(", "out.max("),
                ),
            ],
            answer=EXTRACT_FEATURES_ANSWER,
            call=_ef_call,
        ),
        Exercise(
            name="train_transfer_model",
            assignment=ASSIGNMENT,
            points=4,
            matches="returns a trained `keras.Model`: its accuracy on held-out target images the student never "
            "sees reaches the threshold (partial credit from chance upwards) within the CPU time budget",
            # no reference function: the library's own training loop lives in the lecture notebook
            signature_without_reference="train_transfer_model(base_model, x_train, y_train)",
            visible=lambda: [_train_case()],
            hidden=lambda rng: [_train_case(int(rng.integers(1 << 30)))],
            expected=_train_expected,
            call=_train_call,
            judge=_train_judge,
            partial=_train_points,
            mistakes=train_m,
        ),
    ]
