"""Time coursekit's fast NumPy conv2d / conv2d_backward / pooling against Keras on the CPU.

Goal (issue 2, item 6): conv2d forward at most 1.0x Keras's time and backward at most
1.5x, batch 32, 3x3 kernels, stride 1, at 28x28x16 -> 32 filters and 56x56x64 -> 64
filters, padding "same" and "valid".  Pooling has no goal; its ratio is printed too.

Keras side: a ``Conv2D`` / ``MaxPooling2D`` / ``AveragePooling2D`` layer called inside a
``tf.function`` on a ready ``tf.Tensor``; backward is ``tf.GradientTape`` of
``sum(conv(x) * dout)`` w.r.t. the input, kernel and bias, also inside ``tf.function``.
NumPy side: NumPy arrays in, NumPy arrays out.  Each timing is the median of
``--repeats`` runs after warm-up; NumPy and Keras runs alternate so that load from
other processes on the machine hits both alike.

Run: .venv/bin/python benchmarks/bench_convolution.py [--repeats 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from coursekit import convolution as cv  # noqa: E402
from coursekit.keras_setup import import_keras, import_tensorflow  # noqa: E402

CONFIGS = [  # (batch, size, in_channels, filters)
    (32, 28, 16, 32),
    (32, 56, 64, 64),
]
GOALS = {"conv2d forward": 1.0, "conv2d backward": 1.5}


def paired_medians(f_numpy, f_keras, repeats: int, warmup: int = 2) -> tuple[float, float, float]:
    """Run the two functions alternately; return (median numpy s, median keras s, ratio).

    The ratio is the median over the pairs of ``numpy_time / keras_time``: the two runs
    of a pair see about the same load from other processes, so this ratio drifts less
    than the times do.
    """
    for _ in range(warmup):
        f_numpy()
        f_keras()
    t_np, t_k = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        f_numpy()
        t1 = time.perf_counter()
        f_keras()
        t2 = time.perf_counter()
        t_np.append(t1 - t0)
        t_k.append(t2 - t1)
    ratio = statistics.median(a / b for a, b in zip(t_np, t_k))
    return statistics.median(t_np), statistics.median(t_k), ratio


def environment_lines(tf) -> list[str]:
    lines = [f"cores: {os.cpu_count()}, load average {os.getloadavg()[0]:.2f} "
             "(other processes share the CPU: ratios are the honest measure, times drift)"]
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        pass
    else:
        for info in threadpool_info():
            lines.append(f"numpy {info.get('user_api')}: {info.get('internal_api')} "
                         f"{info.get('version')} ({info.get('architecture')}), "
                         f"{info.get('num_threads')} threads")
    intra = tf.config.threading.get_intra_op_parallelism_threads()
    lines.append(f"tensorflow {tf.__version__}: intra-op threads {intra or 'default (all cores)'}, "
                 f"TF_ENABLE_ONEDNN_OPTS={os.environ.get('TF_ENABLE_ONEDNN_OPTS', 'unset')}")
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        if var in os.environ:
            lines.append(f"{var}={os.environ[var]}")
    return lines


def bench_config(keras, tf, batch, size, cin, filters, repeats, rng):
    rows = []
    x = rng.standard_normal((batch, size, size, cin)).astype(np.float32)
    kernel = (rng.standard_normal((3, 3, cin, filters)) * 0.1).astype(np.float32)
    bias = rng.standard_normal(filters).astype(np.float32)
    x_tf = tf.constant(x)
    shape = f"{batch}x{size}x{size}x{cin}->{filters}"
    for padding in ("same", "valid"):
        layer = keras.layers.Conv2D(filters, 3, padding=padding)
        layer.build(x.shape)
        layer.set_weights([kernel, bias])
        forward = tf.function(lambda t, layer=layer: layer(t))
        out = cv.conv2d(x, kernel, bias, 1, padding)
        np.testing.assert_allclose(out, forward(x_tf).numpy(), rtol=1e-3, atol=1e-3)
        rows.append(("conv2d forward", f"{shape} {padding}",
                     *paired_medians(lambda: cv.conv2d(x, kernel, bias, 1, padding),
                                     lambda: forward(x_tf).numpy(), repeats)))

        dout = rng.standard_normal(out.shape).astype(np.float32)
        dout_tf = tf.constant(dout)

        @tf.function
        def backward(t, g, layer=layer):
            with tf.GradientTape() as tape:
                tape.watch(t)
                loss = tf.reduce_sum(layer(t) * g)
            return tape.gradient(loss, [t, layer.kernel, layer.bias])

        grads = [g.numpy() for g in backward(x_tf, dout_tf)]
        for mine, theirs in zip(cv.conv2d_backward(dout, x, kernel, 1, padding), grads):
            np.testing.assert_allclose(mine, theirs, rtol=1e-3, atol=1e-2)
        rows.append(("conv2d backward", f"{shape} {padding}",
                     *paired_medians(lambda: cv.conv2d_backward(dout, x, kernel, 1, padding),
                                     lambda: [g.numpy() for g in backward(x_tf, dout_tf)], repeats)))

    # Pooling on the conv output's shape, 2x2 windows, stride 2, valid.
    y = rng.standard_normal((batch, size, size, filters)).astype(np.float32)
    y_tf = tf.constant(y)
    for name, ours, layer_cls in (("max_pool2d", cv.max_pool2d, keras.layers.MaxPooling2D),
                                  ("average_pool2d", cv.average_pool2d, keras.layers.AveragePooling2D)):
        pool = tf.function(lambda t, layer=layer_cls(2): layer(t))
        np.testing.assert_allclose(ours(y, 2), pool(y_tf).numpy(), rtol=1e-5, atol=1e-5)
        rows.append((f"{name} 2x2", f"{batch}x{size}x{size}x{filters}",
                     *paired_medians(lambda ours=ours: ours(y, 2), lambda pool=pool: pool(y_tf).numpy(), repeats)))
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="timed runs per measurement (median)")
    args = parser.parse_args(argv)
    keras, tf = import_keras(), import_tensorflow()
    rng = np.random.default_rng(0)
    rows = []
    for config in CONFIGS:
        rows += bench_config(keras, tf, *config, args.repeats, rng)

    for line in environment_lines(tf):
        print(line)
    print(f"float32; times: median of {args.repeats} runs; ratio: median over the alternating "
          "pairs of numpy_time / keras_time\n")
    header = f"{'operation':<18} {'case':<28} {'numpy ms':>9} {'keras ms':>9} {'ratio':>6} {'goal':>6}  met"
    print(header)
    print("-" * len(header))
    all_met = True
    for op, case, t_np, t_k, ratio in rows:
        goal = GOALS.get(op)
        met = "-" if goal is None else ("yes" if ratio <= goal else "NO")
        all_met &= met != "NO"
        goal_text = "-" if goal is None else f"{goal:.1f}x"
        print(f"{op:<18} {case:<28} {t_np * 1e3:9.2f} {t_k * 1e3:9.2f} {ratio:5.2f}x {goal_text:>6}  {met}")
    print("\nall speed goals met" if all_met else "\nsome speed goals NOT met (see 'NO' rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
