"""Learning-rate decay in the graph with ``tf.train``'s schedules, mirroring np_engine.schedules.
The numbers are the course's formulas in ``labs/course.py``; tests check the two to 1e-15.

The rate is a tensor of ``epoch_num``, a float64 scalar the loop feeds: as in the course's
``model()``, epoch i runs at the rate computed after epoch i - 1 (epochs 0 and 1 at alpha0).

    inverse-time   tf.train.inverse_time_decay(alpha0, epoch_num, 1, decay_rate)
    scheduled      tf.train.inverse_time_decay(alpha0, epoch_num, 1000, decay_rate, staircase=True)
    exponential    tf.train.exponential_decay(alpha0, epoch_num, 1, base)
    inverse-sqrt   k / sqrt(epoch_num + 1) * alpha0   (tf.train has no k/sqrt(t) schedule)
"""

from tf1_course.core.compat import tf
from tf1_course.labs.course import TIME_INTERVAL


def epoch_placeholder():
    """The last finished epoch (0 before the first): a float64 scalar defaulting to 0."""
    return tf.placeholder_with_default(tf.constant(0., tf.float64), shape=(), name="epoch_num")


def learning_rate(hyper, epoch_num, float64=True):
    """The learning rate tensor (float64 scalar) for ``hyper`` after epoch ``epoch_num``.

    float64: give decay_rate to tf.train as a float64 tensor (TFOptions.float64_hyperparameters).
    """
    alpha0 = tf.constant(hyper.learning_rate, tf.float64)
    # A Python float decay_rate goes through float32 inside tf.train's schedules (0.95 becomes
    # 0.949999988, 1.3e-8 relative per epoch of exponent): give it as a float64 tensor.
    rate = hyper.decay_rate
    if float64:
        rate = tf.constant(rate, tf.float64)
    if hyper.decay is None:
        return alpha0
    if hyper.decay == "inverse-time":
        return tf.train.inverse_time_decay(alpha0, epoch_num, decay_steps=1, decay_rate=rate)
    if hyper.decay == "scheduled":
        return tf.train.inverse_time_decay(alpha0, epoch_num, decay_steps=TIME_INTERVAL,
                                           decay_rate=rate, staircase=True)
    if hyper.decay == "exponential":
        return tf.train.exponential_decay(alpha0, epoch_num, decay_steps=1, decay_rate=rate)
    if hyper.decay == "inverse-sqrt":
        return rate / tf.sqrt(epoch_num + 1) * alpha0
    raise ValueError(f"unknown learning-rate schedule {hyper.decay!r}")
