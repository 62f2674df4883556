"""The one place that imports TensorFlow and switches it to TF1 graph mode.

TensorFlow 1.15 does not install on Python >= 3.8, so the course's graphs run on TensorFlow 2.x
through ``tf.compat.v1`` with v2 behaviour (eager execution, resource variables, v2 control flow)
disabled here, once, before any graph is built. Every other module does::

    from tf1_course.core.compat import tf     # tf is tf.compat.v1

and uses only graph APIs from it: placeholders, get_variable, tf.train optimizers, Sessions.
"""

import logging
import os
import warnings

# Determinism: by default TensorFlow sizes ONE process-wide intra-op (Eigen) thread pool with the
# *first* Session's intra_op_parallelism_threads, and every later Session shares it, whatever its
# own ConfigProto asks for. Eigen splits a matmul by the pool's thread count, so the same training
# gave other bits after an earlier Session with other thread settings (a test order, a notebook).
# This makes every Session build the pools its own config asks for (read when TensorFlow creates
# its first CPU device, so it must be set before any Session or eager op runs in the process).
# See README, "Determinism"; tests/test_determinism.py checks it.
os.environ["TF_OVERRIDE_GLOBAL_THREADPOOL"] = "1"

# TensorFlow's C++ start-up chatter (CUDA plugin registration, oneDNN notices) is not for learners;
# a user who wants it sets TF_CPP_MIN_LOG_LEVEL themselves.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
warnings.filterwarnings("ignore", category=DeprecationWarning, module="tensorflow")

import tensorflow as _tf  # noqa: E402

_tf.get_logger().setLevel(logging.ERROR)  # before the next line, which warns about resource variables
tf = _tf.compat.v1
tf.disable_v2_behavior()

TF_VERSION = _tf.__version__
