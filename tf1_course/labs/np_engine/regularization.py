"""L2 regularization and the course's inverted dropout, in NumPy.

L2: J += (1/m) (lambda/2) sum_l ||W^[l]||^2 and dW^[l] += (lambda/m) W^[l].
Dropout: the masks are the course's, drawn in ``course.dropout_masks`` (the TF engine feeds the
same arrays); ``network.py`` applies them in its forward and backward pass.
"""

import numpy as np

from tf1_course.labs.np_engine.init import num_layers


def l2_cost(parameters, lambd, m):
    """(1/m) * (lambda/2) * sum of every W^[l] squared: a float."""
    squares = sum(np.sum(np.square(parameters[f"W{l}"])) for l in range(1, num_layers(parameters) + 1))
    return 1 / m * lambd / 2 * squares


def l2_gradient(W, lambd, m):
    """d/dW of the L2 term: (lambda/m) W, same shape as W."""
    return lambd / m * W
