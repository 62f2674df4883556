"""Learning-rate decay in the NumPy engine: the course's arithmetic itself, as Python floats.

The schedules (update_lr, schedule_lr_decay, 0.95^epoch, k/sqrt(epoch)) are in ``labs/course.py``,
because the report prints the same rates whichever engine ran; this module mirrors
``tf_engine/schedules.py``, which builds them as graph ops.
"""

from tf1_course.labs import course


def learning_rate(hyper, epoch_num):
    """The rate (a float) for ``hyper`` after epoch ``epoch_num``, the last finished epoch (0 at start)."""
    return course.learning_rate_after(hyper, epoch_num)
