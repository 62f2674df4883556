"""Batch normalization as a TF1 graph builder (course week 3), for any graph: the labs and SIGNS.

Graph ops only (tf.nn.moments, the course's formula, get_variable, assign); nothing runs here.
Examples are columns, as everywhere in the course:

    Z        float [n_l, m]   a layer's linear output W A_prev (no bias: beta takes its place)
    gamma    float [n_l, 1]   learned scale (trainable, starts at 1)
    beta     float [n_l, 1]   learned shift (trainable, starts at 0)
    moving   float [n_l, 1]   moving_mean (starts at 0), moving_variance (starts at 1): NOT trainable

    training:   mu, sigma2 = tf.nn.moments(Z) over the m examples of the mini-batch
    inference:  mu, sigma2 = the moving averages
    Z_norm  = (Z - mu) / sqrt(sigma2 + epsilon)
    Z_tilde = gamma * Z_norm + beta

``is_training`` (a bool scalar tensor; ``training_flag()`` makes one that defaults to False, so
evaluation and prediction need no feed; or a Python bool for a graph built for one mode) picks
the statistics. The moving averages follow the
course's exponentially weighted average, moving = momentum * moving + (1 - momentum) * batch
statistic, in two assign ops added to ``tf.GraphKeys.UPDATE_OPS``. Nothing runs them unless the
train op depends on them: the trap of TF1 batch norm is a model that trains well and predicts
badly because its moving averages never left 0 and 1. ``with_updates(train_op)`` closes it.

The dtype is Z's (float64 in the labs, float32 in the SIGNS model). EPSILON and MOMENTUM are the
values the labs use (labs/course.py's BN_EPSILON, BN_MOMENTUM; a test keeps them equal):
1e-8, the epsilon of the course's notes for RMSprop/Adam (the lecture gives none for batch norm),
and 0.9, the course's usual beta of an exponentially weighted average.

    training_flag(name) -> bool scalar placeholder, default False
    batch_norm(Z, is_training, ...) -> BatchNorm       (creates variables in a variable_scope)
    normalize(Z, mu, sigma2, gamma, beta) -> Z_tilde   (the formula, for graphs that own their variables)
    moving_average_update(variable, value) -> assign op
    with_updates(train_op, update_ops=None) -> op      (train_op + the moving-average updates)
"""

from collections import namedtuple

from tf1_course.core.compat import tf

EPSILON = 1e-8
MOMENTUM = 0.9

BatchNorm = namedtuple("BatchNorm", [
    "Z_tilde",          # [n_l, m]: gamma * Z_norm + beta
    "gamma", "beta",    # trainable Variables [n_l, 1]
    "moving_mean",      # non-trainable Variable [n_l, 1]
    "moving_variance",  # non-trainable Variable [n_l, 1]
    "batch_mean",       # [n_l, 1]: mu of this mini-batch
    "batch_variance",   # [n_l, 1]: sigma2 of this mini-batch (1/m, as the course)
    "update_ops",       # [assign moving_mean, assign moving_variance], also in UPDATE_OPS
])


def training_flag(name="is_training"):
    """A bool scalar placeholder that defaults to False: feed True in training steps only."""
    return tf.placeholder_with_default(False, shape=(), name=name)


def moving_average_update(variable, value, momentum=MOMENTUM, current=None):
    """The assign op variable = momentum * variable + (1 - momentum) * value.

    ``current``: the variable's value to average from (default the variable itself); inside a
    tf.while_loop pass ``variable.read_value()``, a read made in the loop, not one made before it.
    """
    current = variable if current is None else current
    return tf.assign(variable, momentum * current + (1 - momentum) * value)


def normalize(Z, mu, sigma2, gamma, beta, epsilon=EPSILON):
    """The course's formula: gamma * (Z - mu) / sqrt(sigma2 + epsilon) + beta. Z [n_l, m], the rest [n_l, 1]."""
    Z_norm = (Z - mu) / tf.sqrt(sigma2 + epsilon)  # (n_l, m)
    return gamma * Z_norm + beta  # (n_l, m)


def batch_norm(Z, is_training, epsilon=EPSILON, momentum=MOMENTUM, gamma_initializer=None,
               beta_initializer=None, scope="batch_norm"):
    """Batch-normalize Z [n_l, m] (n_l static) in a new variable scope ``scope``. Returns a BatchNorm.

    gamma_initializer, beta_initializer: tf initializers for [n_l, 1] (default ones, zeros), e.g.
    tf.constant_initializer(array) to start from given values.
    """
    dtype = Z.dtype.base_dtype
    n_l = Z.shape[0]
    if n_l is None:
        raise ValueError(f"batch_norm needs the number of units statically, got Z of shape {Z.shape}")
    shape = (int(n_l), 1)
    with tf.variable_scope(scope):
        gamma = tf.get_variable("gamma", shape, dtype, gamma_initializer or tf.ones_initializer())
        beta = tf.get_variable("beta", shape, dtype, beta_initializer or tf.zeros_initializer())
        moving_mean = tf.get_variable("moving_mean", shape, dtype, tf.zeros_initializer(), trainable=False)
        moving_variance = tf.get_variable("moving_variance", shape, dtype, tf.ones_initializer(),
                                          trainable=False)
        batch_mean, batch_variance = tf.nn.moments(Z, axes=[1], keepdims=True)  # (n_l, 1) each
        if isinstance(is_training, bool):  # a graph built for one mode only: no cond needed
            mu, sigma2 = (batch_mean, batch_variance) if is_training else (moving_mean, moving_variance)
        else:
            mu, sigma2 = tf.cond(is_training, lambda: (batch_mean, batch_variance),
                                 lambda: (tf.identity(moving_mean), tf.identity(moving_variance)))
        Z_tilde = normalize(Z, mu, sigma2, gamma, beta, epsilon)  # (n_l, m)
        update_ops = [moving_average_update(moving_mean, batch_mean, momentum),
                      moving_average_update(moving_variance, batch_variance, momentum)]
    for op in update_ops:
        tf.add_to_collection(tf.GraphKeys.UPDATE_OPS, op)
    return BatchNorm(Z_tilde, gamma, beta, moving_mean, moving_variance, batch_mean, batch_variance,
                     update_ops)


def with_updates(train_op, update_ops=None):
    """One op that runs ``train_op`` and the moving-average updates (default: the graph's UPDATE_OPS).

    Both read the same mini-batch statistics of the same Session.run; run it with is_training True.
    """
    if update_ops is None:
        update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
    return tf.group(train_op, *update_ops, name="train_with_updates")
