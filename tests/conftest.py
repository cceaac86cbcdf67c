"""Shared pytest configuration: quiet TensorFlow, deterministic seeds, paths."""

from __future__ import annotations

import os
import zlib
from pathlib import Path

import numpy as np
import pytest

from coursekit.keras_setup import quiet_tensorflow_env

# Before any test imports TensorFlow; inherited by the kernels and subprocesses the tests start.
quiet_tensorflow_env()
os.environ.setdefault("MPLBACKEND", "Agg")

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def keras():
    from coursekit.keras_setup import import_keras

    return import_keras()


@pytest.fixture(scope="session")
def tf():
    from coursekit.keras_setup import import_tensorflow

    return import_tensorflow()


@pytest.fixture
def rng(request) -> np.random.Generator:
    """A generator seeded from the test's name: reproducible, different per test."""
    return np.random.default_rng(zlib.crc32(request.node.nodeid.encode()))
