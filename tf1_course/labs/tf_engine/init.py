"""The TF engine's variables start from the NumPy engine's initial arrays, in float64.

Drawing the weights in NumPy (``np_engine.init``, seed 3) and loading them into the graph is what
lets the two engines check each other: same weights in, same costs out.
"""

from tf1_course.core.compat import tf


def create_parameters(initial):
    """{"W1": Variable [n_1, n_0], "b1": Variable [n_1, 1], ...} float64, initialized from ``initial``."""
    return {name: tf.get_variable(name, initializer=tf.constant(value, dtype=tf.float64))
            for name, value in initial.items()}
