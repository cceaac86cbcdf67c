"""Assignment 6 (transfer learning): the head, fine-tuning flags, features, a trained model."""

from __future__ import annotations

import time

import numpy as np

from .common import keras, make_case, noncontiguous
from .core import Exercise, Mistake, Verdict, compare, wrong
from .models import behaviour, deterministic_weights

ASSIGNMENT = "06_transfer_learning"

# The trained-model exercise: accuracy threshold on held-out digits 5-9 and the CPU budget.
# Measured on this offline data (10 labelled images per class, the full 846-image test set, seeds 0-2):
# the solution (frozen base, Adam 1e-2, 60 epochs) 96.3-97.8% in 3.4-3.5 s CPU; broken answers: the head
# untrained or trained on shuffled labels ~20%, 3 epochs 55-71%.  Training the same network from scratch
# (95.3-95.9%) or the unfrozen base at learning rate 0.1 (92.1-95.2%) also pass: with 50 labelled 8x8
# digits no accuracy threshold separates them from the frozen base without failing correct answers.
TRAIN_THRESHOLD = 0.85
TRAIN_CPU_SECONDS = 60.0
CHANCE = 0.2
PARTIAL_FLOOR = CHANCE


def build_base(kind: str):
    """Small bases with BatchNormalization, built the same way in both processes.

    ``tiny``: functional, output (N, 4, 4, 6); its ``layers`` are InputLayer, c1, bn1, r1, pool, c2, bn2, r2.
    ``pooled``: the same plus a GlobalAveragePooling2D ``gap`` (output (N, 6), 9 layers).
    ``sequential``: a Sequential base (its ``layers`` have no InputLayer): c1, bn1, r1, c2, bn2, r2.
    """
    k = keras()
    L = k.layers
    if kind == "shipped":
        from coursekit.transfer_learning import load_pretrained_base

        return load_pretrained_base("shipped")
    if kind == "sequential":
        model = k.Sequential(
            [
                k.Input((8, 8, 1), name="image"),
                L.Conv2D(4, 3, padding="same", name="c1"),
                L.BatchNormalization(name="bn1"),
                L.ReLU(name="r1"),
                L.Conv2D(6, 3, strides=2, padding="same", use_bias=False, name="c2"),
                L.BatchNormalization(name="bn2"),
                L.ReLU(name="r2"),
            ],
            name="sequential_base",
        )
        deterministic_weights(model)
        return model
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
    base, num_classes, rate=0.2, freeze=True, pool="gap", act="softmax", training_false=True, units=None
):
    k = keras()
    L = k.layers
    if freeze:
        base.trainable = False
    inp = k.Input(base.input.shape[1:])
    x = base(inp, training=False) if training_false else base(inp)
    if len(x.shape) == 4 and pool != "none":
        x = L.GlobalAveragePooling2D()(x) if pool == "gap" else L.Flatten()(x)
    x = L.Dropout(rate)(x)
    return k.Model(inp, L.Dense(num_classes if units is None else units, activation=act)(x))


# ----------------------------------------------------------------------------- build_transfer_model
# Judged by behaviour, not by layer classes: every weight is set from its role and shape
# (models.behaviour), then the model's outputs on the case's probe images are compared in
# inference mode and in training mode (Dropout layers set to rate 0 for that call, so it is
# deterministic; with the base frozen its BatchNormalization layers stay in inference mode), plus the
# trainable weights (role and shape), the Dropout rates and one graph fact: the base is called with
# training=False (read from the model's config; in Keras 3.15 it does not change any output, since an
# outer training=True overrides it, but it is the keras.io recipe the contract asks for).


def _base_calls_training(model, base) -> list | None:
    """The ``training`` argument of every call of ``base`` in ``model``'s graph (None: not readable)."""
    try:
        layers = model.get_config()["layers"]
    except Exception:
        return None
    for entry in layers:
        if entry.get("name") == base.name or entry.get("config", {}).get("name") == base.name:
            return [node.get("kwargs", {}).get("training") for node in entry.get("inbound_nodes") or []]
    return None


def model_behaviour(model, base, probe) -> dict:
    """Student side: what a transfer model computes and trains (models.behaviour: outputs in both modes
    with Dropout at 0 for the training call, trainable weights, Dropout rates), plus how much of the base
    trains, the base call's ``training`` argument and the head's layer classes (a hint)."""
    if not isinstance(model, keras().Model):
        raise TypeError(f"expected a keras.Model, got {type(model).__name__}")
    base_ids = {id(w) for w in base.weights}
    base_layers = {id(layer) for layer in base._flatten_layers(include_self=True)}
    facts = {
        "base_trainable": int(sum(int(np.prod(w.shape)) for w in model.trainable_weights if id(w) in base_ids)),
        "training_args": _base_calls_training(model, base),
        "layers": sorted(
            type(layer).__name__
            for layer in model._flatten_layers(include_self=False)
            if id(layer) not in base_layers and type(layer).__name__ != "InputLayer"
        ),
    }
    return {**behaviour(model, probe), **facts}


def _btm_args(case):
    return case.kwargs["base"], int(case.args[0]), float(case.args[1]) if len(case.args) > 1 else 0.2


def _btm_call(func, case):
    base = build_base(case.kwargs["base"])
    model = func(base, *case.args)
    return model_behaviour(model, base, case.kwargs["probe"])


def _btm_expected(case, **change):
    kind, n, rate = _btm_args(case)
    base = build_base(kind)
    model = _reference_head(base, n, change.pop("rate", rate), **change)
    return model_behaviour(model, base, case.kwargs["probe"])


def _btm_problems(out, ref) -> list[str]:
    if not isinstance(out, dict) or "inference" not in out:
        return [f"expected a keras.Model, got {type(out).__name__}"]
    problems = []
    shape, want = np.shape(out["inference"]), np.shape(ref["inference"])
    if shape != want:
        problems.append(f"output shape {shape} on {want[0]} probe images, expected {want}")
    else:
        for mode in ("inference", "training"):
            extra = " (Dropout at rate 0 for this call)" if mode == "training" else ""
            problems += compare(out[mode], ref[mode], f"output in {mode} mode{extra}", 1e-4, 1e-5)
    if out["trainable"] != ref["trainable"]:
        problems.append(
            f"trainable weights {out['trainable']}, expected {ref['trainable']} (only the head's Dense kernel "
            f"and bias; {out['base_trainable']:,} of the base's parameters are trainable)"
        )
    rates, want_rates = ([r for r in d["dropout_rates"] if r > 0] for d in (out, ref))  # rate 0: no Dropout
    if rates != want_rates:
        problems.append(f"Dropout rates {rates}, expected {want_rates} (one Dropout(dropout_rate))")
    if out["training_args"] != ref["training_args"]:
        got = out["training_args"]
        how = (
            "write base_model(inputs, training=False) in a functional model; a keras.Sequential model cannot pass it"
            if not got or all(t is None for t in got)
            else f"its calls have training={got}"
        )
        problems.append(f"the base is not called with training=False ({how})")
    return problems


def _btm_judge(mistakes):
    def judge(case, out, expected):
        problems = _btm_problems(out, expected)
        if not problems:
            return Verdict(True)
        if isinstance(out, dict) and "layers" in out and out["layers"] != expected["layers"]:
            problems.append(
                f"(hint: the layers after the base: yours {out['layers']}, the reference's {expected['layers']})"
            )
        diagnoses = []
        for m in mistakes:
            try:
                if m.variant is not None and not _btm_problems(out, m.variant(case)):
                    diagnoses.append(m.message)
            except Exception:
                continue
        return Verdict(False, problems, diagnoses)

    return judge


def _btm_case(label, rng, n, kind, rate=None, scale=1.0):
    probe = (scale * rng.uniform(0, 1, size=(3, 8, 8, 1))).astype(np.float32)
    args = (n,) if rate is None else (n, rate)
    return make_case(label, *args, base=kind, probe=probe)


def _btm_hidden(rng):
    n1, n2 = (int(v) for v in rng.choice([4, 6, 7, 8, 9], size=2, replace=False))
    r1, r2 = (float(v) for v in rng.choice([0.1, 0.3, 0.4, 0.6], size=2, replace=False))
    return [
        _btm_case(f"a base that already pools (2-D output), {n1} classes, dropout {r1}", rng, n1, "pooled", r1),
        _btm_case(f"4-D base, {n2} classes, dropout {r2}, probe pixels up to 255", rng, n2, "tiny", r2, scale=255.0),
        _btm_case("4-D base, 2 classes, dropout 0.0", rng, 2, "tiny", 0.0),
    ]


# ----------------------------------------------------------------------------- unfreeze_top_layers


def _reference_unfreeze(base, n, count_bn=True, from_bottom=False, set_base=True, bn_frozen=True, zero_all=False):
    """Keras's fine-tuning guide: ``base.layers[-n:]`` trainable (n = 0: none; n > len: all), every
    BatchNormalization layer frozen.  The keyword arguments model the registered mistakes."""
    layers = base.layers
    if set_base:
        base.trainable = True
    is_bn = [isinstance(layer, keras().layers.BatchNormalization) for layer in layers]
    pool = [i for i in range(len(layers)) if count_bn or not is_bn[i]]
    if n == 0 and zero_all:
        chosen = set(pool)
    else:
        chosen = set(pool[: min(n, len(pool))] if from_bottom else pool[max(len(pool) - n, 0) :])
    for i, layer in enumerate(layers):
        layer.trainable = (i in chosen) and not (is_bn[i] and bn_frozen)
    return base


def _uf_summary(base) -> dict:
    k = keras()
    bn = [layer for layer in base._flatten_layers(include_self=False) if isinstance(layer, k.layers.BatchNormalization)]
    return {
        "trainable": sorted(w.path for w in base.trainable_weights),
        "bn_trainable": sorted(layer.name for layer in bn if layer.trainable),
        "trainable_params": int(sum(int(np.prod(w.shape)) for w in base.trainable_weights)),
        "flags": [[layer.name, bool(layer.trainable)] for layer in base.layers],
        "base_flag": bool(base.trainable),
    }


def _uf_call(func, case):
    base = build_base(case.kwargs["base"])
    base.trainable = False  # as after build_transfer_model
    func(base, *case.args)
    return _uf_summary(base)


def _uf_expected(case, **change):
    base = build_base(case.kwargs["base"])
    base.trainable = False
    return _uf_summary(_reference_unfreeze(base, int(case.args[0]), **change))


def _uf_same(out, ref) -> bool:
    return out["trainable"] == ref["trainable"] and out["bn_trainable"] == ref["bn_trainable"]


def _uf_judge(mistakes):
    def judge(case, out, expected):
        if not isinstance(out, dict) or "trainable" not in out:
            return Verdict(False, ["could not read the base's trainable flags"])
        if _uf_same(out, expected):
            return Verdict(True)
        msgs = [
            f"trainable weights {out['trainable']} ({out['trainable_params']:,} parameters), expected "
            f"{expected['trainable']} ({expected['trainable_params']:,})"
        ]
        if out["bn_trainable"]:
            msgs.append(f"BatchNormalization layers left trainable: {out['bn_trainable']}")
        if not out["base_flag"]:
            msgs.append("base_model.trainable is False (it freezes every layer inside it)")
        diagnoses = []
        for m in mistakes:
            try:
                if m.variant is not None and _uf_same(out, m.variant(case)):
                    diagnoses.append(m.message)
            except Exception:
                continue
        return Verdict(False, msgs, diagnoses)

    return judge


# The number of entries of ``base.layers`` of each base, and the values of n whose slice
# ``layers[-n:]`` starts at a BatchNormalization layer (the "BN at the boundary" cases).
_UF_LAYERS = {"tiny": 8, "pooled": 9, "sequential": 6}
_UF_BN_BOUNDARY = {"tiny": (2, 6), "pooled": (3, 7), "sequential": (2, 5)}


def _uf_hidden(rng):
    kinds = list(_UF_LAYERS)
    a, b, c, d = (str(v) for v in rng.choice(kinds, size=4))
    boundary = int(rng.choice(_UF_BN_BOUNDARY[c]))
    extra = int(rng.integers(1, 10))
    middle = int(rng.integers(1, _UF_LAYERS[d]))
    return [
        make_case("num_layers=0: nothing trainable", 0, base=str(rng.choice(kinds))),
        make_case(f"num_layers=1 of the {a} base", 1, base=a),
        make_case(f"num_layers = len(base.layers) = {_UF_LAYERS[b]} ({b} base)", _UF_LAYERS[b], base=b),
        make_case(
            f"num_layers={_UF_LAYERS[a] + extra}, more than the {a} base's {_UF_LAYERS[a]} layers",
            _UF_LAYERS[a] + extra,
            base=a,
        ),
        make_case(
            f"num_layers={boundary}: the slice starts at a BatchNormalization layer ({c} base)", boundary, base=c
        ),
        make_case(f"num_layers={middle} of the {d} base", middle, base=d),
    ]


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
        if not len(images):
            return None  # nothing left: the mistake raises instead of returning
    feats = np.asarray(base.predict(images, batch_size=bs, verbose=0), np.float64)
    if feats.ndim == 4:
        feats = (
            feats.mean(axis=(1, 2))
            if kind == "mean"
            else (feats.max(axis=(1, 2)) if kind == "max" else feats.reshape(len(feats), -1))
        )
    return feats


def _ef_case(label, rng, n, kind, batch=None, dtype=np.float32, scale=1.0):
    images = (scale * rng.uniform(0, 1, size=(n, 8, 8, 1))).astype(dtype)
    return make_case(label, images, base=kind) if batch is None else make_case(label, images, batch, base=kind)


def _ef_hidden(rng):
    n = int(rng.integers(17, 41))
    batch = int(rng.choice([b for b in range(5, 17) if n % b]))
    m = int(rng.integers(5, 12))
    return [
        _ef_case("one image, default batch size", rng, 1, "tiny"),
        _ef_case(f"{n} images, batch {batch} (last batch short)", rng, n, "tiny", batch),
        _ef_case(f"{m} float64 images, batch 4, pixels up to 255", rng, m, "tiny", 4, np.float64, 255.0),
        noncontiguous(_ef_case(f"{m + 3} images, batch 64 (one batch)", rng, m + 3, "tiny", 64)),
        noncontiguous(
            _ef_case(f"a base that already pools, {m} float64 images, batch 3", rng, m, "pooled", 3, np.float64)
        ),
    ]


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
    msg = (
        f"accuracy {acc:.3f} on {len(expected)} held-out images (threshold {TRAIN_THRESHOLD}), "
        f"{cpu:.1f} s CPU (budget {TRAIN_CPU_SECONDS:.0f} s)"
    )
    if cpu > TRAIN_CPU_SECONDS:
        return Verdict(False, [msg + f": over the {TRAIN_CPU_SECONDS:.0f} s CPU budget"])
    if acc >= TRAIN_THRESHOLD:
        return Verdict(True, [msg])
    hint = " (at chance level: check the labels, the softmax head and the learning rate)" if acc < CHANCE + 0.05 else ""
    return Verdict(False, [msg + hint])


def _train_points(case, out, expected) -> float:
    """Partial credit: linear from PARTIAL_FLOOR (0) to the threshold (1), within the budget."""
    try:
        if float(out["cpu_seconds"]) > TRAIN_CPU_SECONDS:
            return 0.0
        acc = float(np.mean(np.asarray(out["predictions"]).reshape(-1) == expected))
    except Exception:
        return 0.0
    return float(np.clip((acc - PARTIAL_FLOOR) / (TRAIN_THRESHOLD - PARTIAL_FLOOR), 0, 1))


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
    n = len(base_model.layers)
    for i, layer in enumerate(base_model.layers):
        is_bn = isinstance(layer, keras.layers.BatchNormalization)
        layer.trainable = i >= n - num_layers and not is_bn
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

TRAIN_TRANSFER_MODEL_ANSWER = """def train_transfer_model(base_model, x_train, y_train):
    keras.utils.set_random_seed(0)
    model = build_transfer_model(base_model, num_classes=5)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy")
    model.fit(x_train, y_train, epochs=60, batch_size=16, verbose=0)
    return model
"""


# ----------------------------------------------------------------------------- registry


def _uf_mistakes() -> list[Mistake]:
    return [
        Mistake(
            message="BatchNormalization layers skipped when counting: count every layer of base_model.layers "
            "(BN layers included, kept frozen), as base_model.layers[-num_layers:] does",
            variant=lambda c: _uf_expected(c, count_bn=False),
            example="""def unfreeze_top_layers(base_model, num_layers):
    base_model.trainable = True
    movable = [layer for layer in base_model.layers if not isinstance(layer, keras.layers.BatchNormalization)]
    top = movable[max(len(movable) - num_layers, 0):] if num_layers > 0 else []
    for layer in base_model.layers:
        layer.trainable = any(layer is t for t in top)
""",
        ),
        Mistake(
            message="num_layers=0 unfroze every layer: base_model.layers[-0:] is the whole list "
            "(take layers[len(layers) - num_layers:], or nothing when num_layers is 0)",
            variant=lambda c: _uf_expected(c, zero_all=True),
            example="""def unfreeze_top_layers(base_model, num_layers):
    base_model.trainable = True
    for layer in base_model.layers:
        layer.trainable = False
    for layer in base_model.layers[-num_layers:]:
        layer.trainable = not isinstance(layer, keras.layers.BatchNormalization)
""",
        ),
        Mistake(
            message="counted from the bottom: unfreeze the LAST num_layers layers (base_model.layers[-num_layers:])",
            variant=lambda c: _uf_expected(c, from_bottom=True),
            example=wrong(UNFREEZE_TOP_LAYERS_ANSWER, "i >= n - num_layers", "i < num_layers"),
        ),
        Mistake(
            message="base_model.trainable not set to True: the outer flag freezes every layer",
            variant=lambda c: _uf_expected(c, set_base=False),
            example=wrong(UNFREEZE_TOP_LAYERS_ANSWER, "    base_model.trainable = True\n", ""),
        ),
        Mistake(
            message="BatchNormalization layer left trainable: set layer.trainable = False for every BN layer "
            "(its moving statistics would be updated by fine-tuning)",
            variant=lambda c: _uf_expected(c, bn_frozen=False),
            example=wrong(UNFREEZE_TOP_LAYERS_ANSWER, " and not is_bn", "  # BatchNormalization too"),
        ),
    ]


def _btm_mistakes() -> list[Mistake]:
    A = BUILD_TRANSFER_MODEL_ANSWER
    return [
        Mistake(
            message="the base is not frozen: set base_model.trainable = False (only the head trains)",
            variant=lambda c: _btm_expected(c, freeze=False),
            example=wrong(A, "    base_model.trainable = False\n", ""),
        ),
        Mistake(
            message="Flatten used: the contract pools with GlobalAveragePooling2D (the mean over height and width)",
            variant=lambda c: _btm_expected(c, pool="flatten"),
            example=wrong(A, "L.GlobalAveragePooling2D()", "L.Flatten()"),
        ),
        Mistake(
            message="no pooling: a 4-D base output must be global-average-pooled before the Dense head",
            variant=lambda c: _btm_expected(c, pool="none"),
            example=wrong(A, "        x = L.GlobalAveragePooling2D()(x)\n", "        pass\n"),
        ),
        Mistake(
            message="the head has no softmax",
            variant=lambda c: _btm_expected(c, act=None),
            example=wrong(A, ', activation="softmax"', ""),
        ),
        Mistake(
            message="the Dense head has a fixed number of units: use num_classes",
            variant=lambda c: _btm_expected(c, units=5),
            example=wrong(A, "L.Dense(num_classes,", "L.Dense(5,"),
        ),
        Mistake(
            message="the base is not called with training=False",
            variant=lambda c: _btm_expected(c, training_false=False),
            example=wrong(A, "base_model(inputs, training=False)", "base_model(inputs)"),
        ),
        Mistake(
            message="dropout_rate ignored",
            variant=lambda c: _btm_expected(c, rate=0.2),
            example=wrong(A, "L.Dropout(dropout_rate)", "L.Dropout(0.2)"),
        ),
    ]


def exercises() -> list[Exercise]:
    btm_m, uf_m = _btm_mistakes(), _uf_mistakes()
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
        Mistake(
            message="trained for too few steps (3 epochs)",
            recognised=False,
            example=wrong(TRAIN_TRANSFER_MODEL_ANSWER, "epochs=60", "epochs=3"),
        ),
    ]
    return [
        Exercise(
            name="build_transfer_model",
            assignment=ASSIGNMENT,
            points=3,
            matches="judged by behaviour: with every weight set from its role and shape, the outputs on probe "
            "images in inference mode and in training mode (Dropout at rate 0) equal the reference's "
            "(base frozen and called with `training=False`, global average pooling when the base's output is "
            "4-D, `Dropout(dropout_rate)`, Dense softmax); the trainable weights are the head's Dense kernel "
            "and bias only; a functional model (the `training=False` call is read from its graph)",
            visible=lambda: [
                _btm_case("4-D base output, 5 classes", np.random.default_rng(11), 5, "tiny"),
                _btm_case(
                    "a base that already pools (2-D output), 3 classes, dropout 0.5",
                    np.random.default_rng(12),
                    3,
                    "pooled",
                    0.5,
                ),
            ],
            hidden=_btm_hidden,
            expected=_btm_expected,
            mistakes=btm_m,
            answer=BUILD_TRANSFER_MODEL_ANSWER,
            call=_btm_call,
            judge=_btm_judge(btm_m),
        ),
        Exercise(
            name="unfreeze_top_layers",
            assignment=ASSIGNMENT,
            points=2,
            matches="changes `base_model` in place as keras.io's fine-tuning guide does: the base trainable, "
            "the layers of `base_model.layers[-num_layers:]` trainable (BatchNormalization layers counted among "
            "them but kept frozen; `num_layers=0`: none; more than `len(base_model.layers)`: all), the rest "
            "frozen; judged by the set of trainable weights and the BN layers' flags",
            visible=lambda: [
                make_case("last 3 layers", 3, base="tiny"),
                make_case("last 5 layers (bn2 counted, kept frozen)", 5, base="tiny"),
                make_case("num_layers=0: nothing trainable", 0, base="pooled"),
            ],
            hidden=_uf_hidden,
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
            matches="the base's features in inference mode as a NumPy array `(len(images), features)`, "
            "global-average-pooled when the base's output is 4-D; any number of images and batch size, "
            "float32 or float64 images",
            visible=lambda: [
                _ef_case("40 images, default batch size (last batch short)", np.random.default_rng(5), 40, "tiny"),
                _ef_case("10 images, batch 4", np.random.default_rng(6), 10, "tiny", 4),
                _ef_case(
                    "one float64 image, base that already pools",
                    np.random.default_rng(7),
                    1,
                    "pooled",
                    dtype=np.float64,
                ),
            ],
            hidden=_ef_hidden,
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
                Mistake(
                    message="squeezed: one image must still give a 2-D array (1, features)",
                    variant=lambda c: _ef_expected(c).squeeze(),
                    example=wrong(
                        EXTRACT_FEATURES_ANSWER,
                        "np.concatenate(feats, axis=0)",
                        "np.concatenate(feats, axis=0).squeeze()",
                    ),
                ),
            ],
            answer=EXTRACT_FEATURES_ANSWER,
            call=_ef_call,
        ),
        Exercise(
            name="train_transfer_model",
            assignment=ASSIGNMENT,
            points=4,
            matches=f"returns a trained `keras.Model`: its accuracy on held-out target images the student never "
            f"sees reaches {TRAIN_THRESHOLD:.0%} (partial credit linear from {PARTIAL_FLOOR:.0%}) within "
            f"{TRAIN_CPU_SECONDS:.0f} s of CPU time",
            # no reference function: the library's own training loop lives in the lecture notebook
            signature_without_reference="train_transfer_model(base_model, x_train, y_train)",
            visible=lambda: [_train_case()],
            hidden=lambda rng: [_train_case(int(rng.integers(1 << 30)))],
            expected=_train_expected,
            call=_train_call,
            judge=_train_judge,
            partial=_train_points,
            mistakes=train_m,
            answer=TRAIN_TRANSFER_MODEL_ANSWER,
        ),
    ]
