"""The course's data utilities, with the course's semantics.

Examples are columns: X is [n_x, m] with n_x = 64 * 64 * 3 = 12288, Y one-hot is [6, m].
"""

import numpy as np


def flatten_and_scale(x, dtype=np.float64):
    """uint8 [m, 64, 64, 3] -> dtype [12288, m] in [0, 1].

    Same as the course's ``X.reshape(X.shape[0], -1).T / 255.`` (float64 by default, like the
    course; the fast training engine asks for float32).
    """
    m = x.shape[0]
    return (x.reshape(m, -1).T / 255.0).astype(dtype, copy=False)


def convert_to_one_hot(y, C):
    """int labels (any shape, m values) -> float64 [C, m], the course's ``np.eye(C)[Y.reshape(-1)].T``."""
    return np.eye(C)[np.asarray(y).reshape(-1)].T


def one_hot_matrix(labels, C, config=None):
    """The course's TF version: ``tf.one_hot(labels, C, axis=0)`` run in its own graph and Session.

    Returns float32 [C, len(labels)]; entry (i, j) is 1 where example j has label i.
    """
    from tf1_course.compat import tf

    with tf.Graph().as_default():
        C = tf.constant(C, name="C")
        one_hot = tf.one_hot(labels, C, axis=0)
        with tf.Session(config=config) as sess:
            return sess.run(one_hot)


def prepare(split, C=None):
    """A Split -> (X float64 [12288, m], Y one-hot float64 [C, m]), ready for the course's model."""
    C = len(split.classes) if C is None else C
    return flatten_and_scale(split.x), convert_to_one_hot(split.y, C)
