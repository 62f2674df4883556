"""Gradient checking: backpropagation against the two-sided difference (J(θ+ε) - J(θ-ε)) / 2ε.

    difference = ||grad - gradapprox|| / (||grad|| + ||gradapprox||)

1-D: J(θ) = θx. N-D: the network of ``network.py`` on the course's test case, the parameters
rolled into one column θ in the order W1 b1 W2 b2 ... WL bL. ε, the verdicts' thresholds, the
difference and θ's layout are the course's, in ``labs/course.py`` (the TF engine uses them too).
"""

import numpy as np

from tf1_course.labs import course
from tf1_course.labs.course import EPSILON, relative_difference
from tf1_course.labs.np_engine import network

TEST_CASE_DIMS = (4, 5, 3, 1)


def forward_propagation(x, theta):
    """J(θ) = θ x."""
    return theta * x


def backward_propagation(x, theta):
    """dJ/dθ = x."""
    return x


def gradient_check(x, theta, epsilon=EPSILON):
    """1-D check of ``backward_propagation``. Returns (difference, grad, gradapprox)."""
    thetaplus = theta + epsilon
    thetaminus = theta - epsilon
    J_plus = forward_propagation(x, thetaplus)
    J_minus = forward_propagation(x, thetaminus)
    gradapprox = (J_plus - J_minus) / (2 * epsilon)
    grad = backward_propagation(x, theta)
    return relative_difference(grad, gradapprox), grad, gradapprox


def gradient_check_n_test_case():
    """The course's test case: seed 1, x = randn(4, 3), y = [1, 1, 0], then W1 b1 W2 b2 W3 b3.

    Returns (X [4, 3], Y [1, 3], parameters for layers (4, 5, 3, 1)).
    """
    rng = np.random.RandomState(1)
    X = rng.randn(4, 3)
    Y = np.array([[1., 1., 0.]])
    parameters = {}
    for l in range(1, len(TEST_CASE_DIMS)):
        parameters[f"W{l}"] = rng.randn(TEST_CASE_DIMS[l], TEST_CASE_DIMS[l - 1])
        parameters[f"b{l}"] = rng.randn(TEST_CASE_DIMS[l], 1)
    return X, Y, parameters


def dictionary_to_vector(parameters):
    """Roll W1, b1, ..., WL, bL into one column θ [n, 1] (W1, gamma1, beta1, ... with batch norm)."""
    return course.roll(parameters, course.layout_of(parameters))


def vector_to_dictionary(theta, layers_dims, batch_norm=False):
    """Unroll θ [n, 1] into {"W1": [n_1, n_0], "b1": [n_1, 1], ...} (views into θ)."""
    return course.unroll(theta, course.parameter_layout(layers_dims, batch_norm))


def gradients_to_vector(gradients):
    """Roll dW1, db1, ..., dWL, dbL into one column [n, 1] (the order of θ)."""
    return course.roll(gradients, course.layout_of(gradients, "d"), "d")


def forward_propagation_n(X, Y, parameters):
    """(cost, caches): the network's forward pass and the course's cost."""
    AL, caches = network.forward_propagation(X, parameters)
    return network.compute_cost(AL, Y), caches


def backward_propagation_n(X, Y, caches):
    """The correct gradients."""
    return network.backward_propagation(Y, caches)


def backward_propagation_n_planted_bug(X, Y, caches):
    """The course's buggy backprop: dW2 doubled and db1 with 4/m instead of 1/m."""
    grads = backward_propagation_n(X, Y, caches)
    grads["dW2"] = grads["dW2"] * 2
    grads["db1"] = grads["db1"] * 4
    return grads


def numeric_gradient_of(J, parameters, layout, epsilon=EPSILON):
    """gradapprox [n, 1]: (J(θ + ε e_i) - J(θ - ε e_i)) / 2ε for each entry i of θ.

    J maps a parameters dict to the cost; layout says where each parameter sits in θ.
    """
    parameters_values = course.roll(parameters, layout)
    num_parameters = parameters_values.shape[0]
    gradapprox = np.zeros((num_parameters, 1))
    for i in range(num_parameters):
        thetaplus = np.copy(parameters_values)
        thetaplus[i][0] = thetaplus[i][0] + epsilon
        J_plus = J(course.unroll(thetaplus, layout))
        thetaminus = np.copy(parameters_values)
        thetaminus[i][0] = thetaminus[i][0] - epsilon
        J_minus = J(course.unroll(thetaminus, layout))
        gradapprox[i] = (J_plus - J_minus) / (2 * epsilon)
    return gradapprox


def numeric_gradient(X, Y, parameters, layers_dims, epsilon=EPSILON):
    """gradapprox [n, 1]: the two-sided difference of the network's cost for each entry of θ."""
    def J(p):
        return forward_propagation_n(X, Y, p)[0]

    return numeric_gradient_of(J, parameters, course.parameter_layout(layers_dims), epsilon)


def gradient_check_n(parameters, gradients, X, Y, layers_dims, epsilon=EPSILON):
    """N-D check of ``gradients`` at ``parameters``. Returns (difference, grad, gradapprox)."""
    grad = gradients_to_vector(gradients)
    gradapprox = numeric_gradient(X, Y, parameters, layers_dims, epsilon)
    return relative_difference(grad, gradapprox), grad, gradapprox
