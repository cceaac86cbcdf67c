"""Lazy, quiet access to Keras 3 on the TensorFlow backend.

``import coursekit`` must not import TensorFlow (it costs 3-5 s).  Every function
that needs Keras calls :func:`import_keras` inside its body.  The environment
variables are set *before* TensorFlow is first imported because TensorFlow reads
them once, at import time; nbgrader scores any stderr in a test cell as a
failure, so TensorFlow's C++ log lines would zero correct answers.

:data:`QUIET_TF_ENV` is the only place these variables are spelled out.  Code that
imports Keras through this module needs nothing else.  A process that may import
TensorFlow *directly* (a Jupyter kernel, ``nbgrader autograde``) must inherit them:

    env $(python -m coursekit.keras_setup --env) jupyter lab     # shell, Makefile
"""

from __future__ import annotations

import os

QUIET_TF_ENV = {
    "TF_CPP_MIN_LOG_LEVEL": "3",  # silence C++ INFO/WARNING/ERROR log lines
    "TF_ENABLE_ONEDNN_OPTS": "0",  # oneDNN reorders float sums: results drift and it logs a notice
    "KERAS_BACKEND": "tensorflow",
}


def quiet_tensorflow_env() -> None:
    """Set the environment so TensorFlow/Keras import silently (no-op if set)."""
    for key, value in QUIET_TF_ENV.items():
        os.environ.setdefault(key, value)


def import_keras():
    """Return the ``keras`` module (Keras 3, TensorFlow backend), imported quietly."""
    quiet_tensorflow_env()
    import logging

    import keras

    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    return keras


def import_tensorflow():
    """Return the ``tensorflow`` module, imported quietly."""
    quiet_tensorflow_env()
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    return tf


if __name__ == "__main__":
    import sys

    if sys.argv[1:] != ["--env"]:
        sys.exit("usage: python -m coursekit.keras_setup --env   (prints KEY=VALUE for `env`)")
    print(" ".join(f"{key}={value}" for key, value in QUIET_TF_ENV.items()))
