"""Lecture 5: the numbers and facts it must show, computed here independently of coursekit.

The notebook is executed once per session (tests/support/lectures.py); the checks read its outputs.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from support.lectures import execute_tagged, executed, output_text

# AlexNet with two groups, counted layer by layer (conv2, conv4, conv5 see half the channels)
ALEXNET_LAYERS = {
    "conv1": (11 * 11 * 3 + 1) * 96, "conv2": (5 * 5 * 48 + 1) * 256, "conv3": (3 * 3 * 256 + 1) * 384,
    "conv4": (3 * 3 * 192 + 1) * 384, "conv5": (3 * 3 * 192 + 1) * 256,
    "fc6": (6 * 6 * 256 + 1) * 4096, "fc7": (4096 + 1) * 4096, "fc8": (4096 + 1) * 1000,
}
ALEXNET = sum(ALEXNET_LAYERS.values())


@pytest.mark.slow
def test_lecture_05_prints_lenet_and_the_pretrained_table(keras):
    text = output_text(execute_tagged("05_cnn_architectures"))
    lenet = (5 * 5 * 1 + 1) * 6 + (5 * 5 * 6 + 1) * 16 + (400 + 1) * 120 + (120 + 1) * 84 + (84 + 1) * 10
    assert re.search(rf">total</td>(<td[^>]*></td>)*<td[^>]*>{lenet:,}</td>", text)   # LeNet's HTML table
    mobilenet = keras.applications.MobileNetV2(weights=None)
    trainable = sum(int(np.prod(w.shape)) for w in mobilenet.trainable_weights)
    cells = [r"<td[^>]*>{}</td>".format(re.escape(v)) for v in
             ("mobilenetv2", "3.5", f"{mobilenet.count_params() / 1e6:.2f}", f"{trainable / 1e6:.2f}")]
    assert re.search("".join(cells), text), "the parameter table's MobileNetV2 row"
    assert f"**{ALEXNET / 1e6:.2f} M** parameters" in text


# -- facts of the lecture, from the executed notebook's own outputs ------------------------------------

@pytest.fixture(scope="module")
def lecture():
    return executed("05_cnn_architectures")   # (that it runs without errors is tests/test_notebooks.py)


@pytest.mark.slow
def test_alexnet_dense_share(lecture):
    fc6 = ALEXNET_LAYERS["fc6"]
    dense = fc6 + ALEXNET_LAYERS["fc7"] + ALEXNET_LAYERS["fc8"]
    assert fc6 == 37_752_832 and ALEXNET == 60_965_224
    text = lecture.text
    assert (f"holds **{fc6 / 1e6:.2f} M** of the **{ALEXNET / 1e6:.2f} M** parameters "
            f"(**{fc6 / ALEXNET:.1%}**)") in text
    assert f"the three dense layers together **{dense / ALEXNET:.1%}**" in text
    assert 0.6 < fc6 / ALEXNET < 0.65 and dense / ALEXNET > 0.95     # not "almost all in the first dense layer"


def _valid_output_size(size, stack):
    for kernel, stride in stack:          # no padding: out = floor((in - k) / s) + 1
        size = (size - kernel) // stride + 1
    return size


@pytest.mark.slow
def test_vgg16_receptive_fields_of_conv5_3_and_pool5(lecture, keras):
    conv, pool = (3, 1), (2, 2)
    to_conv5_3 = [conv, conv, pool, conv, conv, pool] + [conv, conv, conv, pool] * 2 + [conv] * 3
    found = {}
    for name, stack in (("conv5_3", to_conv5_3), ("pool5", to_conv5_3 + [pool])):
        # the Bologna notes' definition: the smallest input that, without padding, gives a 1x1 output
        rf = next(n for n in range(1, 400) if _valid_output_size(n, stack) == 1)
        model = keras.Sequential([keras.Input((rf, rf, 1))] + [
            keras.layers.Conv2D(1, 3) if layer == conv else keras.layers.MaxPooling2D(2) for layer in stack])
        assert model.output_shape[1:3] == (1, 1)
        found[name] = rf
    assert found == {"conv5_3": 196, "pool5": 212}
    assert (f"Receptive field of a **conv5_3** unit (last conv): **{found['conv5_3']}×{found['conv5_3']}** "
            f"pixels; of a **pool5** unit") in lecture.text
    assert f"**{found['pool5']}×{found['pool5']}**" in lecture.text


@pytest.mark.slow
def test_densenet201_and_resnet101_differences_from_the_notes(lecture, keras):
    notes = {"densenet201": 20.0, "resnet101": 44.6}         # Salvatore's table (MATLAB), millions
    for name, constructor in (("densenet201", "DenseNet201"), ("resnet101", "ResNet101")):
        model = getattr(keras.applications, constructor)(weights=None)
        total = model.count_params()
        trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
        keras.backend.clear_session()
        diff = total / 1e6 - notes[name]
        assert abs(diff) > 0.05                                  # the count does not match the notes
        assert (f"**{name}** {total / 1e6:.2f} M vs {notes[name]} M (**{diff:+.2f} M**, "
                f"{diff / notes[name]:+.1%})") in lecture.text
        assert round(trainable / 1e6, 1) == notes[name]         # the trainable count does
        assert f"{trainable / 1e6:.2f} M" in lecture.text


@pytest.mark.slow
def test_residual_demo_separates_initialisation_and_batch_norm(lecture):
    text = lecture.text
    assert "glorot_uniform" in text and "he_normal" in text
    assert "with Glorot (Var = 2/(fan_in + fan_out))" in text
    assert f"Glorot leaves {0.5 ** 13:.1e} of it" in text        # (fan_in * 2 / (2 fan_in) / 2) ** 13
