"""Batch normalization in NumPy (course week 3): the layer, its backward pass, and a network using it.

For a hidden layer's Z [n_l, m] over a mini-batch of m examples (columns), with learned gamma, beta
[n_l, 1]:

    mu      = 1/m sum_i Z(i)                       [n_l, 1]
    sigma2  = 1/m sum_i (Z(i) - mu)^2              [n_l, 1]
    Z_norm  = (Z - mu) / sqrt(sigma2 + epsilon)    [n_l, m]
    Z_tilde = gamma * Z_norm + beta                [n_l, m]

epsilon is ``course.BN_EPSILON`` (1e-8). The course's notes write sqrt(sigma2) + epsilon; the lecture
and TensorFlow put epsilon under the root, as here. At test time mu and sigma2 are replaced by
exponentially weighted averages over the training mini-batches, v = momentum v + (1 - momentum) theta,
momentum ``course.BN_MOMENTUM`` (0.9), starting from mean 0 and variance 1 (as frameworks do: an
average of 0 for sigma2 would divide by sqrt(epsilon) before the first training step).

The network: LINEAR -> BATCHNORM -> RELU on each hidden layer, LINEAR -> SIGMOID at the output.
A hidden layer has no bias b (mu subtracts it out; beta takes its place):

    parameters  {"W1": [n_1, n_0], "gamma1": [n_1, 1], "beta1": [n_1, 1], ..., "WL": [1, n_{L-1}],
                 "bL": [1, 1]}
    moving      {"mu1": [n_1, 1], "sigma2_1": [n_1, 1], ...}  (hidden layers only)

Backward quantities follow the course's convention: dZ is m * dJ/dZ (for the output layer dZ = AL - Y)
and 1/m is applied where a parameter's gradient is taken (dW, db, dgamma, dbeta).

    initialize_parameters(layers_dims, method) -> parameters
    batchnorm_forward(Z, gamma, beta, epsilon) -> (Z_tilde, cache)
    batchnorm_inference(Z, gamma, beta, mu, sigma2, epsilon) -> Z_tilde
    batchnorm_backward(dZ_tilde, cache) -> (dZ, dgamma, dbeta)
    forward_propagation(X, parameters, moving=None, epsilon) -> (AL, caches)
    backward_propagation(Y, caches) -> grads
    batch_statistics(caches) -> {"mu1": ..., "sigma2_1": ...}
    initialize_moving_averages(parameters) / update_moving_averages(moving, batch, momentum)
    gradient_descent_step(parameters, moving, X, Y, learning_rate) -> (cost, parameters, moving)
    gradient_check(X, Y, parameters, epsilon) -> (difference, grad, gradapprox)
"""

from collections import namedtuple

import numpy as np

from tf1_course.labs import course
from tf1_course.labs.np_engine import gradcheck, init, network

BatchNormCache = namedtuple("BatchNormCache", [
    "Z_norm",    # [n_l, m]
    "gamma",     # [n_l, 1]
    "inv_std",   # [n_l, 1]: 1 / sqrt(sigma2 + epsilon)
    "mu",        # [n_l, 1]: this mini-batch's mean
    "sigma2",    # [n_l, 1]: this mini-batch's variance (1/m, not 1/(m - 1))
])


def initialize_parameters(layers_dims, method="he"):
    """The course's initial W (np_engine.init, seed 3); hidden layers get gamma = 1, beta = 0 and no b."""
    parameters = init.initialize_parameters(layers_dims, method)
    L = len(layers_dims) - 1
    for l in range(1, L):
        del parameters[f"b{l}"]
        parameters[f"gamma{l}"] = np.ones((layers_dims[l], 1))
        parameters[f"beta{l}"] = np.zeros((layers_dims[l], 1))
    return parameters


def batchnorm_forward(Z, gamma, beta, epsilon=course.BN_EPSILON):
    """Normalize Z [n_l, m] with its mini-batch statistics. Returns (Z_tilde [n_l, m], cache)."""
    m = Z.shape[1]
    mu = 1. / m * np.sum(Z, axis=1, keepdims=True)  # (n_l, 1)
    sigma2 = 1. / m * np.sum((Z - mu) ** 2, axis=1, keepdims=True)  # (n_l, 1)
    std = np.sqrt(sigma2 + epsilon)
    Z_norm = (Z - mu) / std  # (n_l, m): mean 0, variance ~1 per unit
    Z_tilde = gamma * Z_norm + beta  # (n_l, m): the mean and variance the network learns
    return Z_tilde, BatchNormCache(Z_norm, gamma, 1. / std, mu, sigma2)


def batchnorm_inference(Z, gamma, beta, mu, sigma2, epsilon=course.BN_EPSILON):
    """Test time: normalize Z [n_l, m] with given (moving-average) mu, sigma2 [n_l, 1]."""
    return gamma * ((Z - mu) / np.sqrt(sigma2 + epsilon)) + beta


def batchnorm_backward(dZ_tilde, cache):
    """(dZ [n_l, m], dgamma [n_l, 1], dbeta [n_l, 1]) from dZ_tilde [n_l, m] (course convention).

    mu and sigma2 depend on every column of Z, so dZ is not just dZ_norm * inv_std: with
    dZ_norm = gamma * dZ_tilde,
        dZ = inv_std / m * (m dZ_norm - sum_i dZ_norm - Z_norm * sum_i (dZ_norm * Z_norm)).
    """
    m = dZ_tilde.shape[1]
    dgamma = 1. / m * np.sum(dZ_tilde * cache.Z_norm, axis=1, keepdims=True)
    dbeta = 1. / m * np.sum(dZ_tilde, axis=1, keepdims=True)
    dZ_norm = cache.gamma * dZ_tilde
    dZ = cache.inv_std / m * (m * dZ_norm - np.sum(dZ_norm, axis=1, keepdims=True)
                              - cache.Z_norm * np.sum(dZ_norm * cache.Z_norm, axis=1, keepdims=True))
    return dZ, dgamma, dbeta


def num_layers(parameters):
    return sum(1 for k in parameters if k.startswith("W"))


def forward_propagation(X, parameters, moving=None, epsilon=course.BN_EPSILON):
    """X [n_x, m] -> (AL [1, m], caches). Batch statistics, or ``moving`` ones (test time) if given.

    caches: one (A_prev, W, A, bn) per layer; bn is the BatchNormCache (None at the output layer
    and at test time).
    """
    L = num_layers(parameters)
    caches = []
    A = X
    for l in range(1, L + 1):
        A_prev, W = A, parameters[f"W{l}"]
        bn = None
        if l < L:
            Z = np.dot(W, A_prev)  # (n_l, m), no bias
            gamma, beta = parameters[f"gamma{l}"], parameters[f"beta{l}"]
            if moving is None:
                Z_tilde, bn = batchnorm_forward(Z, gamma, beta, epsilon)
            else:
                mu, sigma2 = moving[f"mu{l}"], moving[f"sigma2_{l}"]
                Z_tilde = batchnorm_inference(Z, gamma, beta, mu, sigma2, epsilon)
            A = network.relu(Z_tilde)
        else:
            A = network.sigmoid(np.dot(W, A_prev) + parameters[f"b{l}"])  # (1, m)
        caches.append((A_prev, W, A, bn))
    return A, caches


def backward_propagation(Y, caches):
    """Gradients of the cost: {"dW1", "dgamma1", "dbeta1", ..., "dWL", "dbL"}, shaped like the parameters."""
    L = len(caches)
    m = caches[0][0].shape[1]
    grads = {}
    dZ = caches[-1][2] - Y  # (1, m): sigmoid + cross-entropy
    grads[f"dW{L}"] = 1. / m * np.dot(dZ, caches[L - 1][0].T)
    grads[f"db{L}"] = 1. / m * np.sum(dZ, axis=1, keepdims=True)
    for l in range(L - 1, 0, -1):
        W_next = caches[l][1]  # W^[l+1]
        dA = np.dot(W_next.T, dZ)  # (n_l, m)
        A_prev, _, A, bn = caches[l - 1]
        dZ_tilde = np.multiply(dA, np.int64(A > 0))  # ReLU'(Z_tilde) = 1 where A > 0
        dZ, grads[f"dgamma{l}"], grads[f"dbeta{l}"] = batchnorm_backward(dZ_tilde, bn)
        grads[f"dW{l}"] = 1. / m * np.dot(dZ, A_prev.T)
    return grads


def compute_cost(X, Y, parameters, epsilon=course.BN_EPSILON):
    """The course's mean cross-entropy of the network in training mode (batch statistics)."""
    AL, _ = forward_propagation(X, parameters, epsilon=epsilon)
    return network.compute_cost(AL, Y)


def batch_statistics(caches):
    """{"mu1": [n_1, 1], "sigma2_1": [n_1, 1], ...}: the mini-batch statistics of a training pass."""
    stats = {}
    for l, (_, _, _, bn) in enumerate(caches[:-1], start=1):
        stats[f"mu{l}"], stats[f"sigma2_{l}"] = bn.mu, bn.sigma2
    return stats


def initialize_moving_averages(parameters):
    """mu = 0 and sigma2 = 1 for every hidden layer."""
    out = {}
    for l in range(1, num_layers(parameters)):
        n = parameters[f"W{l}"].shape[0]
        out[f"mu{l}"], out[f"sigma2_{l}"] = np.zeros((n, 1)), np.ones((n, 1))
    return out


def update_moving_averages(moving, batch, momentum=course.BN_MOMENTUM):
    """v = momentum * v + (1 - momentum) * theta for every statistic. Returns the new dict."""
    return {k: momentum * moving[k] + (1 - momentum) * batch[k] for k in moving}


def gradient_descent_step(parameters, moving, X, Y, learning_rate, momentum=course.BN_MOMENTUM):
    """One training step on (X [n_x, m], Y [1, m]): the cost with batch statistics, every parameter
    p -= learning_rate * dp, and the moving averages updated with this batch's statistics.

    Returns (cost, new parameters, new moving averages); the arguments are left as they were.
    """
    AL, caches = forward_propagation(X, parameters)
    grads = backward_propagation(Y, caches)
    new = {k: v - learning_rate * grads[f"d{k}"] for k, v in parameters.items()}
    moving = update_moving_averages(moving, batch_statistics(caches), momentum)
    return network.compute_cost(AL, Y), new, moving


def gradient_check(X, Y, parameters, epsilon=course.EPSILON):
    """backward_propagation against the two-sided difference of the training-mode cost.

    θ is W1 gamma1 beta1 ... WL bL (course.parameter_layout with batch_norm). Returns
    (difference, grad [n, 1], gradapprox [n, 1]).
    """
    _, caches = forward_propagation(X, parameters)
    grad = gradcheck.gradients_to_vector(backward_propagation(Y, caches))
    gradapprox = gradcheck.numeric_gradient_of(lambda p: compute_cost(X, Y, p), parameters,
                                               course.layout_of(parameters), epsilon)
    return course.relative_difference(grad, gradapprox), grad, gradapprox
