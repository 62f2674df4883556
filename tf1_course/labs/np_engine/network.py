"""The binary classifier LINEAR->RELU->...->LINEAR->RELU->LINEAR->SIGMOID for any ``layers_dims``.

Forward, backward, cost and predict written out as the course writes them (same operations in the
same order, so the floating-point results are the course's). Examples are columns:

    X   float64 [n_x, m]     Y, AL   float64 [1, m]     W^[l] [n_l, n_{l-1}]     b^[l] [n_l, 1]

Inverted dropout on the hidden layers is part of the forward and backward pass (the masks come
from ``course.dropout_masks``); the L2 term of the gradient from ``regularization.l2_gradient``.
"""

import numpy as np

from tf1_course.labs.np_engine.init import num_layers
from tf1_course.labs.np_engine.regularization import l2_gradient


def sigmoid(z):
    with np.errstate(over="ignore"):  # exp(-z) = inf for z << 0 gives sigmoid 0, as in the course
        return 1 / (1 + np.exp(-z))


def relu(z):
    return np.maximum(0, z)


def forward_propagation(X, parameters, masks=None, keep_prob=1.0):
    """X [n_x, m] -> (AL [1, m], caches).

    masks: None, or [D1, ..., D_{L-1}] bool [n_l, m]: inverted dropout on the hidden layers.
    caches: one (A_prev, W, A) per layer; a hidden layer's A is taken after dropout.
    """
    L = num_layers(parameters)
    caches = []
    A = X
    for l in range(1, L + 1):
        A_prev, W, b = A, parameters[f"W{l}"], parameters[f"b{l}"]
        Z = np.dot(W, A_prev) + b  # (n_l, m)
        if l < L:
            A = relu(Z)
            if masks is not None:
                A = np.multiply(A, masks[l - 1])  # shut down the dropped neurons
                A = A / keep_prob  # inverted dropout: the expected value of A is unchanged
        else:
            A = sigmoid(Z)  # (1, m)
        caches.append((A_prev, W, A))
    return A, caches


def backward_propagation(Y, caches, lambd=0.0, masks=None, keep_prob=1.0):
    """Gradients of the cost: {"dW1": [n_1, n_0], "db1": [n_1, 1], ..., "dbL": [1, 1]}.

    The output layer's dZ = AL - Y (sigmoid + cross-entropy); the course scales by 1/m at dW and db.
    """
    L = len(caches)
    m = caches[0][0].shape[1]
    grads = {}
    dZ = caches[-1][2] - Y  # (1, m)
    for l in range(L, 0, -1):
        A_prev, W, _ = caches[l - 1]
        grads[f"dW{l}"] = 1. / m * np.dot(dZ, A_prev.T)  # (n_l, n_{l-1})
        if lambd:
            grads[f"dW{l}"] = grads[f"dW{l}"] + l2_gradient(W, lambd, m)
        grads[f"db{l}"] = 1. / m * np.sum(dZ, axis=1, keepdims=True)  # (n_l, 1)
        if l > 1:
            dA = np.dot(W.T, dZ)  # (n_{l-1}, m)
            if masks is not None:
                dA = np.multiply(dA, masks[l - 2])  # the same neurons stay shut
                dA = dA / keep_prob
            dZ = np.multiply(dA, np.int64(A_prev > 0))  # ReLU'(Z) = 1 where A > 0
    return grads


def cross_entropy_total(AL, Y):
    """sum over the m examples of -y log(a) - (1 - y) log(1 - a).

    ``nansum`` as in the course: where a is exactly 0 or 1 the matching term is 0 * log(0) = nan
    and is skipped, while a wrong saturated prediction costs inf (the random-init lab's first cost).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        logprobs = np.multiply(-np.log(AL), Y) + np.multiply(-np.log(1 - AL), 1 - Y)
    return np.nansum(logprobs)


def compute_cost(AL, Y):
    """The mean cross-entropy (1/m) * nansum(...): a float."""
    m = Y.shape[1]
    return 1. / m * cross_entropy_total(AL, Y)


def predict(X, parameters):
    """0/1 predictions int [1, m]: 1 where AL > 0.5."""
    AL, _ = forward_propagation(X, parameters)
    return (AL > 0.5).astype(np.int64)


def accuracy(X, Y, parameters):
    """Fraction of the m examples predicted right, as the course's ``predict`` prints it."""
    return float(np.mean(predict(X, parameters)[0, :] == Y[0, :]))
