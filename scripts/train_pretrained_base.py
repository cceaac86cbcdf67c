"""Train the small pretrained base shipped with coursekit (lecture 6, transfer learning).

SOURCE task: scikit-learn's bundled 8x8 digits 0-4 (offline, ~900 images).  The base
(``coursekit.transfer_learning.build_digits_base``: four 3x3 convs with
BatchNormalization) is trained with a temporary GAP + Dense(5) head; only the base is
saved, to ``coursekit/datafiles/digits_base.keras``.  The course then transfers it to
the TARGET task, digits 5-9, with a few labelled images per class.

    .venv/bin/python scripts/train_pretrained_base.py [--out PATH] [--epochs N]

Reproducible: fixed seeds for Python, NumPy and TensorFlow and a fixed split; TF's
multithreaded CPU kernels may still change the last digits of the weights between
machines or runs, so the printed accuracy can vary by a few tenths of a percent.
Takes ~10-20 s on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from coursekit._keras import import_keras  # noqa: E402
from coursekit.transfer_learning import (  # noqa: E402
    SHIPPED_BASE_PATH,
    SOURCE_DIGITS,
    build_digits_base,
    source_task_data,
)

SEED = 20240501


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SHIPPED_BASE_PATH, help="where to write the base")
    parser.add_argument("--epochs", type=int, default=15)
    args = parser.parse_args(argv)

    start = time.perf_counter()
    keras = import_keras()
    keras.utils.set_random_seed(SEED)

    x, y = source_task_data()
    order = np.random.default_rng(SEED).permutation(len(x))
    n_val = len(x) // 5
    val, train = order[:n_val], order[n_val:]

    base = build_digits_base(x.shape[1:])
    inputs = keras.Input(shape=x.shape[1:])
    h = base(inputs)
    h = keras.layers.GlobalAveragePooling2D()(h)
    outputs = keras.layers.Dense(len(SOURCE_DIGITS), activation="softmax")(h)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x[train], y[train], epochs=args.epochs, batch_size=32, verbose=0, shuffle=True)
    _, val_acc = model.evaluate(x[val], y[val], verbose=0)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    base.save(args.out)
    seconds = time.perf_counter() - start
    print(f"source task (digits 0-4): {len(train)} train / {len(val)} validation images; "
          f"validation accuracy {val_acc:.4f}")
    print(f"base: {base.count_params():,} parameters -> {args.out} "
          f"({args.out.stat().st_size / 1e6:.2f} MB); {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
