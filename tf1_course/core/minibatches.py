"""The course's ``random_mini_batches``: a seeded shuffle of the columns, then a partition.

Used by the SIGNS classifier (seed 3 + epoch) and the optimization lab (seed 10 + epoch). The
permutation is ``np.random.RandomState(seed).permutation(m)``, the same numbers the course gets
from ``np.random.seed(seed); np.random.permutation(m)``, without touching NumPy's global state.
"""

import math

import numpy as np


def permutation(m, seed):
    """The order of the m examples for this seed: int [m]."""
    return np.random.RandomState(seed).permutation(m)


def batch_bounds(m, mini_batch_size):
    """[(start, stop), ...]: floor(m / size) full batches, then the smaller last batch if any."""
    full = math.floor(m / mini_batch_size)
    bounds = [(k * mini_batch_size, (k + 1) * mini_batch_size) for k in range(full)]
    if m % mini_batch_size != 0:
        bounds.append((full * mini_batch_size, m))
    return bounds


def random_mini_batches(X, Y, mini_batch_size=64, seed=0):
    """Shuffle the columns of X [n_x, m] and Y [n_y, m] together and cut them into mini-batches.

    Returns a list of (mini_batch_X [n_x, b], mini_batch_Y [n_y, b]); b = mini_batch_size except
    possibly the last.
    """
    m = X.shape[1]
    perm = permutation(m, seed)
    shuffled_X = X[:, perm]
    shuffled_Y = Y[:, perm].reshape((Y.shape[0], m))
    return [(shuffled_X[:, a:b], shuffled_Y[:, a:b]) for a, b in batch_bounds(m, mini_batch_size)]


def course_divisor(m, minibatch_size):
    """The course's ``num_minibatches = int(m / minibatch_size)``, at least 1."""
    return max(int(m / minibatch_size), 1)


def course_epoch_cost(minibatch_costs, num_minibatches):
    """The course's running sum ``epoch_cost += minibatch_cost / num_minibatches``, in order.

    ``minibatch_costs``: the float32 costs as ``Session.run`` returns them; the sum is float64.
    """
    epoch_cost = 0.0
    for minibatch_cost in minibatch_costs:
        epoch_cost += minibatch_cost / num_minibatches
    return epoch_cost
