"""Train the small pretrained base shipped with coursekit (lecture 6, transfer learning).

SOURCE task (``coursekit.data.source_task_data``, offline): scikit-learn's
handwritten 8x8 digits 0-4 plus ~14,000 printed letters, Greek letters, digits 0-4 and
symbols (91 classes) rendered from matplotlib's own fonts with random distortions and
reduced to 8x8 the way the UCI digits were.  Many classes make the base learn general
stroke features; a base trained on the five digits 0-4 alone learns features too narrow
to help on new digits.  The base (``build_digits_base``: four 3x3 convs with
BatchNormalization) is trained with a temporary GAP + Dense(91) head; only the base is
saved, to ``coursekit/datafiles/digits_base.keras``.  The course then transfers it to the
TARGET task, handwritten digits 5-9 with a few labelled images per class.

    .venv/bin/python scripts/train_pretrained_base.py [--out PATH] [--epochs N]

Reproducible: fixed seeds for the glyphs, NumPy and TensorFlow; TF's multithreaded CPU
kernels may still change the last digits of the weights between machines or runs, so
the printed accuracy can vary by a few tenths of a percent.  About 40-50 s of CPU.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from coursekit.data import SOURCE_CLASSES, source_task_data  # noqa: E402
from coursekit.keras_setup import import_keras  # noqa: E402
from coursekit.transfer_learning import SHIPPED_BASE_PATH, build_digits_base  # noqa: E402

SEED = 20240501


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SHIPPED_BASE_PATH, help="where to write the base")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--samples-per-font", type=int, default=8, help="glyph samples per class and font")
    args = parser.parse_args(argv)

    start, cpu_start = time.perf_counter(), time.process_time()
    keras = import_keras()
    keras.utils.set_random_seed(SEED)

    x, y = source_task_data(samples_per_font=args.samples_per_font, seed=0)  # already shuffled
    n_val = len(x) // 10
    x_val, y_val, x, y = x[:n_val], y[:n_val], x[n_val:], y[n_val:]

    base = build_digits_base(x.shape[1:])
    inputs = keras.Input(shape=x.shape[1:])
    h = keras.layers.GlobalAveragePooling2D()(base(inputs))
    outputs = keras.layers.Dense(len(SOURCE_CLASSES), activation="softmax")(h)
    model = keras.Model(inputs, outputs)
    batch_size = 64
    schedule = keras.optimizers.schedules.CosineDecay(3e-3, args.epochs * int(np.ceil(len(x) / batch_size)))
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, epochs=args.epochs, batch_size=batch_size, verbose=0, shuffle=True)
    _, val_acc = model.evaluate(x_val, y_val, verbose=0)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    base.save(args.out)
    print(f"source task: {len(SOURCE_CLASSES)} classes, {len(x)} train / {n_val} validation images; "
          f"validation accuracy {val_acc:.4f}")
    print(f"base: {base.count_params():,} parameters -> {args.out} "
          f"({args.out.stat().st_size / 1e6:.2f} MB); {time.perf_counter() - start:.1f} s wall, "
          f"{time.process_time() - cpu_start:.1f} s CPU")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
