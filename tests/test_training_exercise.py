"""Assignment 3's training exercise ``fit_mlp``: the student's own MLP learns the 8x8 digits.

The loss curve and the trained weights are graded against ``model.fit`` (checks/training.py); these
tests check that grading against an independent computation, the hidden cases for any student, the
accuracy threshold, and the whole path through ``coursekit release`` + ``coursekit grade`` (with the
written questions left to a TA: nbgrader task cells whose mark scheme only graders see)."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
import zipfile

import nbformat
import numpy as np
import pytest

from coursekit.checks import ASSIGNMENTS, EXERCISES, check, make_cases
from coursekit.checks import training as T

from support import demo_course as demo

A3 = "03_backprop"


@pytest.fixture(scope="module")
def S(keras):
    return demo.solution_namespace((A3,))


def test_registered_after_the_backward_exercises():
    names = ASSIGNMENTS[A3]
    assert names[-1] == "fit_mlp" and names.index("mlp_backward") < names.index("fit_mlp")
    assert EXERCISES["fit_mlp"].signature == (
        'fit_mlp(x, y_true, params, learning_rate, epochs, batch_size, seed=0, hidden_activation="relu")'
    )


def test_keras_batch_losses_recovered_from_fit_logs_equal_a_gradient_tape_loop(keras, tf):
    """The per-batch losses the grader recovers from model.fit's running-mean logs equal the losses of an
    independent loop (tf.GradientTape + the SGD update by hand, float64) on the same batches."""
    case = make_cases("fit_mlp")[0]
    losses, trained = T._fit_keras(case)
    x, y, params, lr, epochs, batch_size, seed, act = T._args(case)
    ws = [tf.Variable(a) for pair in params for a in pair]
    layers = len(params)
    loss_fn = keras.losses.CategoricalCrossentropy(from_logits=True)
    rng, mine = np.random.default_rng(seed), []
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch_size):
            idx = order[start : start + batch_size]
            with tf.GradientTape() as tape:
                h = tf.constant(x[idx])
                for i in range(layers):
                    h = h @ ws[2 * i] + ws[2 * i + 1]
                    h = tf.nn.relu(h) if i < layers - 1 else h
                value = loss_fn(y[idx], h)
            mine.append(float(value))
            for w, g in zip(ws, tape.gradient(value, ws)):
                w.assign_sub(lr * g)
    assert len(losses) == len(mine) == epochs * -(-len(x) // batch_size)
    np.testing.assert_allclose(losses, mine, atol=1e-5)  # the float32 running mean, undone
    for (k, b), (ek, eb) in zip(trained, zip(ws[::2], ws[1::2])):
        np.testing.assert_allclose(k, ek.numpy(), atol=1e-7)
        np.testing.assert_allclose(b, eb.numpy(), atol=1e-7)


def test_hidden_cases_are_sound_for_any_student():
    """20 students: the reference (NumPy, no Keras) reaches the accuracy threshold on each long case,
    and the cases keep their classes (a short last batch, one batch per epoch, batch size 1...)."""
    from coursekit.backprop import fit_mlp, mlp_forward

    x, y, _, held_out = T._digits()
    accuracies = []
    for seed in range(20):
        cases = make_cases("fit_mlp", hidden=True, seed=seed)[2:]
        assert len(cases) == 4
        assert cases[0].layout == "strided" and len(cases[0].args[0]) % cases[0].args[5]
        assert cases[1].args[5] > len(cases[1].args[0]) and cases[2].args[5] == 1
        assert cases[2].args[0].dtype == np.float32
        _, _, params, lr, epochs, batch, s, act = T._args(cases[3])
        trained, _ = fit_mlp(cases[3].args[0], cases[3].args[1], params, lr, epochs, batch, s, act)
        accuracies.append(np.mean(mlp_forward(x[held_out], trained).argmax(1) == y[held_out].argmax(1)))
    assert min(accuracies) >= T.ACCURACY + 0.03, accuracies  # a margin: a right loop never fails it


def test_solution_full_marks_for_three_students(S):
    for seed in (0, 7, 2**35 + 1):
        r = check("fit_mlp", S["fit_mlp"], hidden=True, seed=seed)
        assert r.points == r.max_points and not r.diagnoses, r.report()


def test_a_loop_that_stops_learning_fails_on_accuracy_alone(S):
    """Right for the two epochs compared with Keras, then the learning rate drops to 0: the loss curve
    passes, the held-out accuracy (after 2 epochs, about 70%) does not."""
    answer = demo.run_example(
        "fit_mlp",
        EXERCISES["fit_mlp"].answer.replace("for epoch in range(epochs):", "for epoch in range(epochs):\n"
                                            "        learning_rate = learning_rate if epoch < 2 else 0.0"),
        S,
    )
    r = check("fit_mlp", answer, hidden=False)
    assert r.passed == 1, r.report()  # the short case (2 epochs) is right
    assert any("held-out accuracy" in m for m in r.messages) and not r.diagnoses, r.report()


def test_a_per_epoch_loss_curve_is_told_the_expected_length(S):
    answer = demo.run_example(
        "fit_mlp",
        EXERCISES["fit_mlp"].answer.replace("return params, np.array(losses)",
                                            "return params, np.array(losses).reshape(epochs, -1).mean(axis=1)"),
        S,
    )
    r = check("fit_mlp", answer, hidden=False)
    assert r.points == 0 and any("one loss per mini-batch" in m for m in r.messages), r.report()


def test_written_questions_are_task_cells_whose_rubric_feedback_strips():
    """The rubric (nbgrader mark scheme) sits in the task cells of the source; feedback (ours and nbgrader's
    generate_feedback, both through strip_hidden_tests) never shows it."""
    from coursekit.assignments.cells import nbgrader_metadata
    from coursekit.assignments.feedback import strip_hidden_tests

    nb = demo.source_notebook(A3)
    tasks = {nbgrader_metadata(c)["grade_id"]: c for c in nb.cells if nbgrader_metadata(c).get("task")}
    points = {k: nbgrader_metadata(c)["points"] for k, c in tasks.items()}
    assert points == {"loss_curves": 3, "learning_rate_failure": 3}
    for cell in tasks.values():
        meta = nbgrader_metadata(cell)
        assert cell.cell_type == "markdown" and meta["locked"] and not meta["grade"] and not meta["solution"]
        assert "### BEGIN MARK SCHEME" in cell.source and "Rubric for graders" in cell.source
    ids = [nbgrader_metadata(c).get("grade_id") for c in nb.cells]
    assert ids.index("try_fit_mlp") == ids.index("test_fit_mlp") + 1 < ids.index("loss_curves")
    assert ids[-1] == "self_check"
    stripped = nbformat.writes(strip_hidden_tests(nb))
    assert "MARK SCHEME" not in stripped and "Rubric for graders" not in stripped
    assert "a learning rate that breaks the network" in stripped  # the question stays


# ----------------------------------------------------------------------------- end to end


@pytest.mark.slow  # releases assignment 3 and grades two submissions through `coursekit grade`
def test_release_and_grade_a_right_and_a_wrong_training_loop(tmp_path, keras):
    course = tmp_path / "course"
    demo.make_course(str(course), [A3])
    nbname = demo.notebook_names(str(course), A3)[0]
    released = (course / "release" / A3 / f"{nbname}.ipynb").read_text()
    assert "MARK SCHEME" not in released and "Rubric for graders" not in released
    assert "learning_rate = 3.0" in released  # the written questions themselves are released

    wrong = next(m for m in EXERCISES["fit_mlp"].mistakes if m.message.startswith("gradient ascent"))
    students = {"ann_lee_1": {}, "bo_chen_2": {"fit_mlp": wrong.example}}
    with zipfile.ZipFile(tmp_path / "moodle.zip", "w") as zf:
        for student, answers in students.items():
            first, last, sid = student.split("_")
            nb = demo.student_notebook(str(course), A3, answers)
            member = f"{first.title()} {last.title()}_{sid}_assignsubmission_file_{nbname}.ipynb"
            zf.writestr(member, nbformat.writes(nb))
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "coursekit.cli", "grade", A3, str(tmp_path / "moodle.zip"), "--course", str(course),
           "--out", str(out), "--workers", "1", "--no-progress"]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]

    auto = sum(EXERCISES[n].points for n in ASSIGNMENTS[A3])
    with open(out / "grades.csv") as fh:
        rows = {r["student_id"]: r for r in csv.DictReader(fh) if r["assignment"] == A3}
    assert float(rows["ann_lee_1"]["score"]) == pytest.approx(auto), (auto, rows)
    assert float(rows["bo_chen_2"]["score"]) == pytest.approx(auto - EXERCISES["fit_mlp"].points), (auto, rows)
    assert float(rows["ann_lee_1"]["max_score"]) == pytest.approx(auto + 7), (auto, rows)  # + the written answers

    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course}/gradebook.db", "coursekit") as gb:
        for student in students:
            nb = gb.find_submission_notebook(nbname, A3, student)
            grades = {g.name: g for g in nb.grades}
            assert grades["test_fit_mlp"].auto_score is not None and not grades["test_fit_mlp"].needs_manual_grade
            for written in ("loss_curves", "learning_rate_failure", "explain_vanishing"):
                assert grades[written].needs_manual_grade, (student, written)  # the TA's, in formgrader
    graded = (course / "autograded" / "bo_chen_2" / A3 / f"{nbname}.ipynb").read_text()
    assert "Rubric for graders" in graded  # formgrader shows the task cell with its mark scheme
    feedback = (course / "feedback" / "bo_chen_2" / A3 / f"{nbname}.html").read_text()
    assert "gradient ascent" in feedback and "Rubric for graders" not in feedback
    report = (out / "report.html").read_text()
    assert re.search("pending|manual", report, re.I), "the report says written answers await a TA"
