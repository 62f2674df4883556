"""L2 regularization and the course's inverted dropout, in NumPy.

L2: J += (1/m) (lambda/2) sum_l ||W^[l]||^2 and dW^[l] += (lambda/m) W^[l].
Dropout: the course calls ``np.random.seed(1)`` at the start of every forward pass and then draws
D1 = rand(A1.shape) < keep_prob, D2 = rand(A2.shape) < keep_prob, ... So with the same shapes the
masks are the same at every iteration: the same neurons are dropped all through training.
"""

import numpy as np

from tf1_course.labs.np_engine.init import num_layers

DROPOUT_SEED = 1


def l2_cost(parameters, lambd, m):
    """(1/m) * (lambda/2) * sum of every W^[l] squared: a float."""
    squares = sum(np.sum(np.square(parameters[f"W{l}"])) for l in range(1, num_layers(parameters) + 1))
    return 1 / m * lambd / 2 * squares


def l2_gradient(W, lambd, m):
    """d/dW of the L2 term: (lambda/m) W, same shape as W."""
    return lambd / m * W


def dropout_masks(layers_dims, m, keep_prob, seed=DROPOUT_SEED):
    """[D1, ..., D_{L-1}] bool [n_l, m]: True keeps the neuron (probability keep_prob)."""
    rng = np.random.RandomState(seed)
    return [rng.rand(n_l, m) < keep_prob for n_l in layers_dims[1:-1]]
