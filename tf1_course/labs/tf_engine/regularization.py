"""L2 regularization and dropout in the graph, mirroring np_engine.regularization.

Two dropouts: ``masked_dropout`` multiplies by masks fed from NumPy (the course's masks, so the
numbers are the course's); ``nn_dropout`` is idiomatic TF, ``tf.nn.dropout`` with a keep-probability
placeholder that defaults to 1.0, so evaluation runs without dropout unless told otherwise.
"""

from tf1_course.core.compat import tf


def l2_cost(parameters, lambd, m):
    """(1/m) * (lambda/2) * sum of every W^[l] squared; m a float64 scalar tensor."""
    L = len(parameters) // 2
    squares = tf.add_n([tf.reduce_sum(tf.square(parameters[f"W{l}"])) for l in range(1, L + 1)])
    return 1 / m * lambd / 2 * squares


def mask_placeholders(layers_dims):
    """[D1, ..., D_{L-1}]: float64 [n_l, None] placeholders for the hidden layers' 0/1 masks."""
    return [tf.placeholder(tf.float64, shape=(n_l, None), name=f"D{l}")
            for l, n_l in enumerate(layers_dims[1:-1], start=1)]


def masked_dropout(A, D, keep_prob):
    """Inverted dropout with a given mask: A * D / keep_prob (A, D [n_l, m])."""
    return tf.multiply(A, D) / keep_prob


def keep_prob_placeholder():
    """A float64 scalar placeholder defaulting to 1.0 (no dropout): feed keep_prob while training."""
    return tf.placeholder_with_default(tf.constant(1.0, dtype=tf.float64), shape=(), name="keep_prob")


def nn_dropout(A, keep_prob, seed):
    """TF's inverted dropout: zero each unit with probability 1 - keep_prob, scale the rest by 1/keep_prob."""
    return tf.nn.dropout(A, rate=1 - keep_prob, seed=seed)
