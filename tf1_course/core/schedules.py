"""The course's learning-rate decay (Week 2): the formulas the optimization lab prints and the SIGNS model uses.

    update_lr(alpha0, epoch_num, decay_rate)             1 / (1 + decay_rate * epoch_num) * alpha0
    schedule_lr_decay(alpha0, epoch_num, decay_rate, T)  the same with floor(epoch_num / T) (T = 1000)
    exponential_decay(alpha0, epoch_num, base)           base^epoch_num * alpha0 (the lecture's 0.95)
    inverse_sqrt_decay(alpha0, epoch_num, k)             k / sqrt(epoch_num + 1) * alpha0

Which epoch runs at which rate is the course's ``model()``'s: the rate is updated *after* epoch i
with epoch_num = i, so epoch i runs at the rate for epoch_num = i - 1, and epochs 0 and 1 both run
at the rate for epoch_num 0 (:func:`epoch_num_of`).

Each formula is written once, for Python floats (the labs, the SIGNS model's log) and for graph
tensors (:func:`rate_from_global_step`: the SIGNS model's Adam reads its rate from the global
step, so a resumed run continues the schedule): ``floor`` and ``sqrt`` are NumPy's for floats and
TensorFlow's for tensors; the arithmetic is the same IEEE float64 operations in both. (The labs'
TF engine builds its rates with tf.train's own ``*_decay`` ops on purpose, to show what TF1 offers;
tests/test_labs_engines.py holds them to these formulas.)
"""

import numpy as np

TIME_INTERVAL = 1000  # schedule_lr_decay: the rate only changes every 1000 epochs (the course's)


def update_lr(learning_rate0, epoch_num, decay_rate):
    """1 / (1 + decay_rate * epoch_num) * alpha0 (the course's exercise 7)."""
    return 1 / (1 + decay_rate * epoch_num) * learning_rate0


def schedule_lr_decay(learning_rate0, epoch_num, decay_rate, time_interval=TIME_INTERVAL, floor=np.floor):
    """update_lr in steps: 1 / (1 + decay_rate * floor(epoch_num / time_interval)) * alpha0."""
    return 1 / (1 + decay_rate * floor(epoch_num / time_interval)) * learning_rate0


def exponential_decay(learning_rate0, epoch_num, base):
    """base^epoch_num * alpha0 (the lecture's 0.95^epoch_num * alpha0)."""
    return base ** epoch_num * learning_rate0


def inverse_sqrt_decay(learning_rate0, epoch_num, k, sqrt=np.sqrt):
    """k / sqrt(epoch_num + 1) * alpha0: the lecture's k / sqrt(epoch_num), counting epochs from 1."""
    return k / sqrt(epoch_num + 1) * learning_rate0


SCHEDULES = {
    "inverse-time": update_lr,
    "scheduled": schedule_lr_decay,
    "exponential": exponential_decay,
    "inverse-sqrt": inverse_sqrt_decay,
}
SIGNS_SCHEDULES = ("none", "inverse-time", "exponential", "scheduled")  # `train --lr-decay` offers these


def epoch_num_of(epoch):
    """The epoch_num whose rate epoch ``epoch`` (0-based) runs at: the last finished epoch, 0 at first."""
    return max(epoch - 1, 0)


def rate(schedule, learning_rate0, epoch_num, decay_rate, time_interval=TIME_INTERVAL):
    """The rate after epoch ``epoch_num`` as a float (``learning_rate0`` when ``schedule`` is None/"none")."""
    if schedule in (None, "none"):
        return float(learning_rate0)
    if schedule == "scheduled":
        return float(schedule_lr_decay(learning_rate0, epoch_num, decay_rate, time_interval))
    return float(SCHEDULES[schedule](learning_rate0, epoch_num, decay_rate))


def rate_from_global_step(schedule, learning_rate0, decay_rate, steps_per_epoch, global_step,
                          time_interval=TIME_INTERVAL):
    """The rate as a float64 scalar tensor of ``global_step`` (int64: the optimizer's steps so far).

    A step of epoch e = global_step // steps_per_epoch runs at the rate for epoch_num
    max(e - 1, 0): every step of an epoch at one rate, the one :func:`rate` gives in Python.
    """
    from tf1_course.core.compat import tf

    with tf.name_scope("learning_rate"):
        epoch = global_step // tf.constant(steps_per_epoch, global_step.dtype.base_dtype)
        epoch_num = tf.cast(tf.maximum(epoch - 1, 0), tf.float64, name="epoch_num")
        alpha0 = tf.constant(learning_rate0, tf.float64, name="alpha0")
        k = tf.constant(decay_rate, tf.float64, name="decay_rate")
        if schedule == "scheduled":
            return schedule_lr_decay(alpha0, epoch_num, k, float(time_interval), floor=tf.floor)
        if schedule == "inverse-sqrt":
            return inverse_sqrt_decay(alpha0, epoch_num, k, sqrt=tf.sqrt)
        return SCHEDULES[schedule](alpha0, epoch_num, k)


def global_step_schedule(schedule, learning_rate0, decay_rate, steps_per_epoch, time_interval=TIME_INTERVAL):
    """A function global_step -> the rate tensor (:func:`rate_from_global_step`), for a model's
    optimizer; None when ``schedule`` is None or "none" (the optimizer keeps its float rate)."""
    if schedule in (None, "none"):
        return None
    return lambda global_step: rate_from_global_step(schedule, learning_rate0, decay_rate, steps_per_epoch,
                                                     global_step, time_interval)
