"""For every contract function: the solution and a second correct style get full marks, and every
wrong answer of the registry (a Mistake's example) loses points with its own diagnosis."""

from __future__ import annotations

import numpy as np
import pytest
from test_checks import as32, full_marks

from coursekit.checks import EXERCISES, check
from coursekit.checks.core import INPUT_MODIFIED, wrong

from support.demo_course import run_example, solution_namespace


@pytest.fixture(scope="module")
def S(keras):
    """The instructor solutions (the answer cells of solutions/*/*.ipynb), in one notebook-like namespace."""
    return solution_namespace()


# ----------------------------------------------------------------------------- correct alternatives


def alternatives(S, keras):
    """name -> a correct implementation in another style than the solution's."""
    L = keras.layers

    def conv2d_einsum(x, kernel, bias=None, strides=1, padding="valid"):
        sh, sw = (strides, strides) if np.isscalar(strides) else strides
        kh, kw = kernel.shape[:2]
        if padding == "same":
            ph, pw = (S["same_padding"](x.shape[1], kh, sh), S["same_padding"](x.shape[2], kw, sw))
            x = np.pad(x, ((0, 0), ph, pw, (0, 0)))
        win = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(1, 2))[:, ::sh, ::sw]
        out = np.einsum("nijcab,abcf->nijf", win, kernel)
        return out if bias is None else out + bias

    def sigmoid_logaddexp(z):
        return np.exp(-np.logaddexp(0.0, -np.asarray(z, float)))

    def softmax_lse(z, axis=-1):
        z = np.asarray(z, float)
        m = z.max(axis=axis, keepdims=True)
        return np.exp(z - m - np.log(np.exp(z - m).sum(axis=axis, keepdims=True)))

    def dense_backward_einsum(dout, x, kernel):
        return np.einsum("nu,iu->ni", dout, kernel), np.einsum("ni,nu->iu", x, dout), np.einsum("nu->u", dout)

    def lenet_sequential(input_shape=(32, 32, 1), num_classes=10):
        return keras.Sequential(
            [
                keras.Input(input_shape),
                L.Conv2D(6, (5, 5), activation="tanh"),
                L.AveragePooling2D(2),
                L.Conv2D(16, 5, activation="tanh"),
                L.AveragePooling2D((2, 2)),
                L.Flatten(),
                L.Dense(120, activation="tanh"),
                L.Dense(84, activation="tanh"),
                L.Dense(num_classes, activation="softmax"),
            ]
        )

    def residual_nobias(x, filters, strides=1):
        shortcut = x
        if strides != 1 or x.shape[-1] != filters:  # shortcut first: another build order
            shortcut = L.BatchNormalization()(L.Conv2D(filters, 1, strides=strides, use_bias=False)(x))
        m = L.ReLU()(L.BatchNormalization()(L.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False)(x)))
        m = L.BatchNormalization()(L.Conv2D(filters, 3, padding="same", use_bias=False)(m))
        return L.ReLU()(L.add([shortcut, m]))

    def inception_pool_first(x, f1, f3r, f3, f5r, f5, fp):
        b4 = L.Conv2D(fp, 1, activation="relu")(L.MaxPool2D(3, 1, padding="same")(x))
        b3 = L.Conv2D(f5, 5, padding="same", activation="relu")(L.Conv2D(f5r, 1, activation="relu")(x))
        b2 = L.Conv2D(f3, 3, padding="same", activation="relu")(L.Conv2D(f3r, 1, activation="relu")(x))
        b1 = L.Conv2D(f1, 1, activation="relu")(x)
        return L.concatenate([b1, b2, b3, b4])

    def transfer_separate_softmax(base_model, num_classes, dropout_rate=0.2):
        base_model.trainable = False
        inp = keras.Input(base_model.input_shape[1:])
        x = base_model(inp, training=False)
        if x.shape.rank == 4 if hasattr(x.shape, "rank") else len(x.shape) == 4:
            x = L.GlobalAveragePooling2D()(x)
        x = L.Dense(num_classes)(L.Dropout(rate=dropout_rate)(x))
        return keras.Model(inp, L.Activation("softmax")(x))

    def extract_predict(base_model, images, batch_size=32):
        f = base_model.predict(images, batch_size=batch_size, verbose=0)
        return f.mean(axis=(1, 2)) if f.ndim == 4 else f

    def ng_basis(f, x, h=1e-5):
        x = np.asarray(x, float)
        basis = np.eye(x.size).reshape((x.size,) + x.shape) * h
        return np.array([(f(x + e) - f(x - e)) / (2 * h) for e in basis]).reshape(x.shape)

    def mb_split(x, y, batch_size, shuffle=True, seed=None):
        order = np.random.default_rng(seed).permutation(len(x)) if shuffle else np.arange(len(x))
        for idx in np.array_split(order, range(batch_size, len(x), batch_size)):
            yield x[idx], y[idx]

    def gc_basis(f, x, analytic_grad, h=1e-5):
        n = ng_basis(f, x, h)
        return np.linalg.norm(analytic_grad - n) / max(np.linalg.norm(analytic_grad) + np.linalg.norm(n), 1e-12)

    import math

    def col_math(input_length, kernel_size, stride=1, padding="valid"):
        if padding == "same":
            return math.ceil(input_length / stride)
        return math.floor((input_length - kernel_size) / stride) + 1

    def sp_divmod(input_length, kernel_size, stride=1):
        q, r = divmod(input_length, stride)
        out = q + (r > 0)
        total = max(0, (out - 1) * stride + kernel_size - input_length)
        before, odd = divmod(total, 2)
        return np.array([before, before + odd])

    def unfreeze_by_index(base_model, num_layers):
        # keras.io's fine-tuning guide: base_model.layers[-num_layers:] (BN counted, kept frozen), by slice.
        base_model.trainable = True
        top = base_model.layers[-num_layers:] if num_layers > 0 else []
        for layer in base_model.layers:
            layer.trainable = any(layer is t for t in top) and not isinstance(layer, L.BatchNormalization)

    return {
        "numerical_gradient": ng_basis,
        "iterate_minibatches": mb_split,
        "gradient_check": gc_basis,
        "conv_output_length": col_math,
        "same_padding": sp_divmod,
        "sigmoid": sigmoid_logaddexp,
        "softmax": softmax_lse,
        "conv2d": conv2d_einsum,
        "dense_backward": dense_backward_einsum,
        "build_lenet5": lenet_sequential,
        "residual_block": residual_nobias,
        "inception_module": inception_pool_first,
        "build_transfer_model": transfer_separate_softmax,
        "extract_features": extract_predict,
        "unfreeze_top_layers": unfreeze_by_index,
        "relu": lambda z: np.where(np.asarray(z) > 0, z, 0.0),
        "leaky_relu": lambda z, negative_slope=0.1: np.maximum(z, 0) + negative_slope * np.minimum(z, 0),
        "elu": lambda z, alpha=1.0: np.maximum(z, 0) + alpha * np.expm1(np.minimum(z, 0)),
        "nand_weights": lambda: (np.array([[-1.0], [-1.0]]), np.array([1.5])),
        "xor_network": lambda: [
            (np.array([[1.0, 1.0], [1.0, 1.0]]), np.array([-0.5, -1.5])),
            (np.array([1.0, -2.0]), -0.5),
        ],
        "receptive_field": lambda layers: (
            1 + sum((k - 1) * int(np.prod([s for _, s in layers[:i]])) for i, (k, _) in enumerate(layers))
        ),
        "conv2d_param_count": lambda kernel_size, in_channels, filters, use_bias=True: (
            int(np.prod(np.broadcast_to(kernel_size, 2))) * in_channels * filters + filters * use_bias
        ),
        "separable_conv_param_count": lambda kernel_size, in_channels, filters: (
            int(np.prod(np.broadcast_to(kernel_size, 2))) * in_channels + (in_channels + 1) * filters
        ),
    }


SKIP_AS32 = {
    "build_lenet5",
    "residual_block",
    "inception_module",
    "build_transfer_model",
    "unfreeze_top_layers",
    "extract_features",
    "train_transfer_model",
    "nand_weights",
    "xor_network",
    "conv_output_length",
    "same_padding",
    "conv2d_param_count",
    "separable_conv_param_count",
    "receptive_field",
    "iterate_minibatches",
    "numerical_gradient",
    "gradient_check",
}
NAMES = [n for n in EXERCISES if n != "train_transfer_model"]


@pytest.mark.parametrize("name", NAMES)
def test_solution_and_a_second_style_get_full_marks(name, S, keras):
    full_marks(name, S[name])
    alt = alternatives(S, keras).get(name)
    if alt is not None:
        full_marks(name, alt, seed=4)
    if name not in SKIP_AS32:
        full_marks(name, as32(S[name]), seed=5)  # the same method in float32
    assert alt is not None or name not in SKIP_AS32, f"{name} needs a second correct style"


# ----------------------------------------------------------------------------- the registry's wrong answers

EXAMPLES = [
    pytest.param(name, i, id=f"{name}-{i}")
    for name, ex in EXERCISES.items()
    for i, m in enumerate(ex.mistakes)
    if m.example
]


def test_every_exercise_has_two_wrong_examples():
    for name, ex in EXERCISES.items():
        assert sum(1 for m in ex.mistakes if m.example) >= 2, name


# Exercises whose every case builds or trains a Keras model: two students' inputs, not three.
KERAS_BUILT = {"build_lenet5", "residual_block", "inception_module", "build_transfer_model", "unfreeze_top_layers",
               "extract_features", "train_transfer_model", "fit_mlp"}


def facts(ex) -> set[str]:
    """Diagnoses that state what happened (inputs modified, a warning), not which mistake was made."""
    return {INPUT_MODIFIED, ex.warning_hint or "floating-point warning (overflow or invalid value)"}


@pytest.mark.parametrize("name, index", EXAMPLES)
def test_registered_mistake_loses_points_with_its_diagnosis(name, index, S):
    """Run the example in a notebook-like namespace (the other answers are the solutions), on the hidden
    inputs of three students (two for the Keras-built exercises): it loses points, and a recognised
    mistake is named, alone: a diagnosis is given only when it explains every wrong output."""
    ex = EXERCISES[name]
    mistake = ex.mistakes[index]
    func = run_example(name, mistake.example, S)
    for seed in (3, 2**40 + 7) if name in KERAS_BUILT else (3, 11, 2**40 + 7):
        r = check(name, func, hidden=True, seed=seed)
        assert r.points < r.max_points, r.report()
        if mistake.recognised:
            assert mistake.message in r.diagnoses, r.report()
            assert set(r.diagnoses) <= facts(ex) | {mistake.message}, r.report()


def test_a_diagnosis_must_explain_every_wrong_output():
    from coursekit.checks.core import true_diagnoses

    assert true_diagnoses([]) == []
    assert true_diagnoses([["flipped", "no bias"], ["no bias", "flipped"]]) == ["flipped", "no bias"]
    assert true_diagnoses([["flipped"], ["flipped", "no bias"], []]) == []  # one case it does not explain
    assert true_diagnoses([["flipped"], ["no bias"]]) == []  # two mistakes at once: no single name


ANSWERS = [name for name, ex in EXERCISES.items() if ex.answer]


@pytest.mark.parametrize("name", ANSWERS)
def test_registry_answer_gets_full_marks(name, S):
    """The correct answer whose edits (core.wrong) are the mistakes' examples gets full marks on hidden
    cases: each example differs from a right answer only by its mistake."""
    full_marks(name, run_example(name, EXERCISES[name].answer, S))


def test_wrong_edits_exactly_the_expected_occurrences():
    answer = "def f(x):\n    y = x + 1\n    return y + 1\n"
    assert wrong(answer, "x + 1", "x - 1") == "def f(x):\n    y = x - 1\n    return y + 1\n"
    assert wrong(answer, " + 1", " + 2", count=2) == "def f(x):\n    y = x + 2\n    return y + 2\n"
    for old, count in (("+ 1", 1), ("x * 2", 1), ("x + 1", 2), ("", 1)):
        with pytest.raises(ValueError, match="occurs"):  # an edit that stopped applying fails loudly
            wrong(answer, old, "z", count=count)


@pytest.mark.slow  # trains a model, ~9 s
def test_trained_model_solution_passes(S):
    full_marks("train_transfer_model", S["train_transfer_model"])
