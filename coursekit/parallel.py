"""Run the blocks of an image computation on one thread per core (used by ``coursekit.convolution``).

The fast convolution works one block of output lines at a time: for the output lines
``(n, i0:i1)`` it copies their windows into a small im2col matrix and multiplies it by the
kernel.  A block is about :data:`BLOCK_BYTES` of im2col rows, so the copy stays in a core's
cache, and the blocks run on a thread pool: NumPy releases the GIL in copies and matmul.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import numpy as np

__all__ = ["BLOCK_BYTES", "for_each_block", "cpu_count"]

BLOCK_BYTES = 1 << 20  # im2col bytes per block: stays in a core's L2 cache
MIN_FLOPS = 2e7        # smaller jobs run inline: starting threads would cost more than they save

_POOL: dict = {}
_CONTROLLER: list = []


def for_each_block(lines_shape, row_bytes: int, block: Callable, reduce: Callable, flops: float):
    """Call ``block(n, i0, i1)`` over all output lines (n, i) of ``lines_shape = (N, OH, OW)``.

    Lines are grouped into blocks of about ``BLOCK_BYTES`` of im2col rows (``row_bytes`` each);
    ``reduce`` combines the blocks' return values (the kernel gradient sums them) and its
    result is returned.  Jobs of at least ``MIN_FLOPS`` run on a thread pool, one worker per
    core, with BLAS limited to one thread: workers that never wait for each other keep their
    speed when other programs load the CPU (multithreaded BLAS on many small blocks slowed
    down tenfold then).  The limit is process-wide while it lasts (threadpoolctl): BLAS calls
    from other threads meanwhile run on one thread too.
    """
    n_img, oh, ow = lines_shape
    per_block = int(max(1, min(oh, BLOCK_BYTES // max(1, ow * row_bytes))))
    blocks = [(n, i0, min(i0 + per_block, oh)) for n in range(n_img) for i0 in range(0, oh, per_block)]
    workers = cpu_count()
    if workers == 1 or flops < MIN_FLOPS or _blas_controller() is None:
        return reduce([block(*b) for b in blocks])
    # A few tasks per worker balance uneven load; each task runs consecutive blocks.
    n_tasks = min(4 * workers, len(blocks))
    bounds = np.linspace(0, len(blocks), n_tasks + 1).astype(int)

    def task(a, b):
        return reduce([block(*blk) for blk in blocks[a:b]])

    pool, lock = _thread_pool(workers)
    # The lock serialises concurrent callers: nested threadpoolctl limits from two
    # threads could otherwise restore each other's values in the wrong order.
    with lock, _blas_controller().limit(limits=1, user_api="blas"):
        return reduce(list(pool.map(task, bounds[:-1], bounds[1:])))


def cpu_count() -> int:
    """The cores this process may run on (its CPU affinity where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def _thread_pool(workers: int):
    """(executor, lock) for this process; made anew after a fork (the threads do not survive it)."""
    if _POOL.get("pid") != os.getpid():
        _POOL.update(pid=os.getpid(), lock=threading.Lock(),
                     pool=ThreadPoolExecutor(max_workers=workers, thread_name_prefix="coursekit-conv"))
    return _POOL["pool"], _POOL["lock"]


def _blas_controller():
    """threadpoolctl's controller (imported lazily; None if threadpoolctl is missing)."""
    if not _CONTROLLER:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            _CONTROLLER.append(None)
        else:
            _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0]
