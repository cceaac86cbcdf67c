"""Time `import coursekit` (and every lecture module) in fresh interpreters.

Goal (issue 2): at most 0.3 s, without importing TensorFlow.
Run: .venv/bin/python benchmarks/bench_import.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys

CODE = (
    "import time, sys; t = time.perf_counter(); import coursekit; t1 = time.perf_counter() - t; "
    "import coursekit.neuron, coursekit.gradient_descent, coursekit.backprop, coursekit.convolution, "
    "coursekit.cnn_architectures, coursekit.transfer_learning, coursekit.data; "
    "t2 = time.perf_counter() - t; print(t1, t2, 'tensorflow' in sys.modules)"
)


def main(repeats: int = 7) -> None:
    rows = [subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True).stdout.split()
            for _ in range(repeats)]
    pkg = [float(r[0]) for r in rows]
    allmods = [float(r[1]) for r in rows]
    print(f"import coursekit               median {statistics.median(pkg) * 1000:7.1f} ms  (goal 300 ms)")
    print(f"import all lecture modules     median {statistics.median(allmods) * 1000:7.1f} ms")
    print(f"tensorflow imported: {rows[0][2]}")


if __name__ == "__main__":
    main()
