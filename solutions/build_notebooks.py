"""Build the six nbgrader SOURCE notebooks from solutions_src.py (run after editing it).

    .venv/bin/python solutions/build_notebooks.py

Each contract function becomes one autograded answer cell (grade_id = the function
name) followed by a locked test cell (grade_id = test_<name>) whose last expression
is the points, which nbgrader 0.9 takes as partial credit.  The hidden region only
flips ``_hidden = True``: the hidden inputs are drawn at grading time, so neither
the release nor the feedback contains them.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from coursekit.checks import ASSIGNMENTS, EXERCISES  # noqa: E402

TITLES = {
    "01_neuron": "Assignment 1: the artificial neuron",
    "02_gradient_descent": "Assignment 2: gradient descent and optimizers",
    "03_backprop": "Assignment 3: backpropagation",
    "04_convolution": "Assignment 4: convolution and pooling",
    "05_cnn_architectures": "Assignment 5: CNN architectures",
    "06_transfer_learning": "Assignment 6: transfer learning",
}

SETUP = {
    "default": "import numpy as np\n\nfrom coursekit.checks import self_check",
    "keras": ("import numpy as np\n\nfrom coursekit.keras_setup import import_keras\nfrom coursekit.checks import self_check\n\n"
              "keras = import_keras()  # Keras 3 on TensorFlow, imported without log noise"),
}

EXTRA = {  # lecture-specific text before an exercise
    "sigmoid": "The lecture's neuron computes sigmoid(185 * 0.0006 + 85 * 0.0002 + 1). The slide says 0.7; "
               "compute it with your function: z = 1.128 and sigmoid(z) = 0.7555, not 0.7.",
    "conv2d": "The lecture's example: the 4x4 input `[[1,1,1,3],[4,6,4,8],[30,0,1,5],[0,2,2,4]]` with the filter "
              "`[[1,0],[0,1]]` gives `[[7,5,9],[4,7,9],[32,2,5]]`. Keras computes cross-correlation: do not flip the kernel.",
    "train_transfer_model": "Train on `x_train, y_train` (10 labelled images per digit 5-9, labels 0-4) with the "
                            "pretrained `base_model` (digits 0-4). The grader evaluates your model on held-out images "
                            "you never see; full marks at 50% accuracy or more within 90 s of CPU time "
                            "(chance is 20%).",
}

MANUAL = {  # manually graded written answers: (grade_id, points, question, model answer)
    "01_neuron": ("explain_xor", 2, "**Explain** why a single perceptron cannot compute XOR, and why two layers can.",
                  "The four XOR points are not linearly separable: no line w.x + b = 0 puts (0,1), (1,0) on one side "
                  "and (0,0), (1,1) on the other. A hidden layer maps the inputs to (OR, NAND), where XOR = AND of the "
                  "two is linearly separable."),
    "02_gradient_descent": ("explain_learning_rate", 1, "**Explain** what happens with a learning rate that is too "
                            "high and one that is too low.",
                            "Too high: steps overshoot the minimum, the loss oscillates or diverges (on a quadratic, "
                            "once lr > 2 / largest curvature). Too low: progress is very slow."),
    "03_backprop": ("explain_vanishing", 1, "**Explain** why deep sigmoid networks suffer from vanishing gradients "
                    "and why ReLU helps.",
                    "The sigmoid's derivative is at most 0.25, so the backpropagated gradient is multiplied by <= 0.25 "
                    "per layer and shrinks geometrically; ReLU's derivative is 1 for active units."),
    "04_convolution": ("explain_sharing", 1, "**Explain** parameter sharing: how many parameters does a 3x3 conv "
                       "with 16 filters on 8 channels have, and how many would a dense layer between 32x32x8 and "
                       "32x32x16 maps need?",
                       "3*3*8*16 + 16 = 1,168 against 8192 * 16384 + 16384 = 134,234,112."),
    "05_cnn_architectures": ("explain_1x1", 1, "**Explain** why the 1x1 'reduce' convolutions make the Inception "
                             "module cheaper.",
                             "They cut the channels before the 3x3 and 5x5 convs, whose cost is proportional to the "
                             "input channels."),
    "06_transfer_learning": ("explain_bn_frozen", 1, "**Explain** why BatchNormalization layers stay frozen when "
                             "fine-tuning on a small data set.",
                             "Otherwise their moving mean and variance are overwritten by the statistics of a few "
                             "target batches, which breaks the features the base learned."),
}


def _meta(grade_id, *, grade=False, solution=False, locked=False, points=None):
    meta = {"grade": grade, "solution": solution, "locked": locked, "grade_id": grade_id, "schema_version": 3}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def split_sources(text: str) -> dict[str, dict[str, str]]:
    """{assignment: {function name: source}} from solutions_src.py."""
    sections: dict[str, dict[str, str]] = {}
    for block in re.split(r"^# SECTION ", text, flags=re.M)[1:]:
        name, body = block.split("\n", 1)
        funcs = re.split(r"\n(?=def )", body)
        sections[name.strip()] = {re.match(r"def (\w+)", f).group(1): f.strip() + "\n"
                                  for f in funcs if f.startswith("def ")}
    return sections


def test_cell(name: str) -> str:
    return (f"# Checks `{name}` on the visible cases (the same as self_check(\"{name}\")); the number shown is\n"
            "# the points. Grading adds hidden cases on inputs you have not seen.\n"
            "from coursekit.checks import test_cell_points as _points\n"
            "_hidden = False\n"
            "### BEGIN HIDDEN TESTS\n"
            "_hidden = True\n"
            "### END HIDDEN TESTS\n"
            f"_points(\"{name}\", {name}, hidden=_hidden)")


def build(assignment: str, sources: dict[str, str]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    names = ASSIGNMENTS[assignment]
    total = sum(EXERCISES[n].points for n in names) + MANUAL[assignment][1]
    intro = (f"# {TITLES[assignment]}\n\nWrite each function in its cell (NumPy only"
             + (", Keras where the exercise builds a model" if assignment >= "05" else "")
             + "). Run `self_check()` at any time: it runs the visible checks offline and says what is wrong. "
             f"Grading runs the same checks on hidden inputs, compared against Keras/TensorFlow.\n\n"
             f"Total: {total:g} points. Do not modify its inputs: a function that changes its arguments loses the case.")
    cells = [nbformat.v4.new_markdown_cell(intro, metadata=_meta("intro", locked=True)),
             nbformat.v4.new_code_cell(SETUP["keras" if assignment >= "05" else "default"],
                                       metadata=_meta("setup", locked=True))]
    if assignment == "06_transfer_learning":
        cells.append(nbformat.v4.new_code_cell(
            "from coursekit.transfer_learning import load_pretrained_base, target_task_data\n\n"
            "x_train, y_train, _, _ = target_task_data(n_per_class=10, seed=0)  # the test part is for grading\n"
            "base_model = load_pretrained_base(\"shipped\")", metadata=_meta("data", locked=True)))
    for name in names:
        ex = EXERCISES[name]
        text = f"## `{ex.signature}` ({ex.points:g} point{'s' if ex.points != 1 else ''})"
        if name in EXTRA:
            text += "\n\n" + EXTRA[name]
        cells.append(nbformat.v4.new_markdown_cell(text, metadata=_meta(f"md_{name}", locked=True)))
        cells.append(nbformat.v4.new_code_cell(sources[name], metadata=_meta(name, solution=True)))
        cells.append(nbformat.v4.new_code_cell(test_cell(name), metadata=_meta(f"test_{name}", grade=True, locked=True,
                                                                               points=ex.points)))
    grade_id, points, question, answer = MANUAL[assignment]
    cells.append(nbformat.v4.new_markdown_cell(f"## Written question ({points} point{'s' if points != 1 else ''})\n\n"
                                               + question, metadata=_meta(f"md_{grade_id}", locked=True)))
    cells.append(nbformat.v4.new_markdown_cell(answer, metadata=_meta(grade_id, grade=True, solution=True, points=points)))
    cells.append(nbformat.v4.new_markdown_cell("## Before you submit\n\nRun every cell, then the checks for all exercises:",
                                               metadata=_meta("md_self_check", locked=True)))
    cells.append(nbformat.v4.new_code_cell("self_check()", metadata=_meta("self_check", locked=True)))
    nb.cells = cells
    return nb


def main() -> int:
    sources = split_sources((HERE / "solutions_src.py").read_text())
    for assignment in ASSIGNMENTS:
        out = HERE / assignment / f"{assignment}.ipynb"
        out.parent.mkdir(exist_ok=True)
        nbformat.write(build(assignment, sources[assignment]), out)
        print(f"wrote {out.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
