"""Gradient checking in the graph: ``tf.gradients`` against the two-sided difference of the same graph.

The cost is a function of one float64 column θ (placeholder), unrolled in the graph in the order
W1 b1 ... WL bL of ``course.parameter_layout`` (the NumPy engine's order too), so the numeric
gradient runs the graph at θ ± ε e_i.
``tf.compat.v1.test.compute_gradient_error`` does the same comparison TensorFlow's way (its own
step, 1e-3, and the largest absolute difference over the Jacobian).
"""

from collections import namedtuple

import numpy as np

from tf1_course.core.compat import tf
from tf1_course.labs.course import EPSILON, parameter_layout, relative_difference
from tf1_course.labs.tf_engine import network

GradGraph = namedtuple("GradGraph", [
    "theta",  # float64 placeholder [n, 1] (the N-D check) or [] (the 1-D check)
    "J",      # float64 scalar: the cost at theta
    "grad",   # tf.gradients(J, theta)[0], same shape as theta
])


def build_1d(x):
    """J(θ) = θ x with θ a float64 scalar placeholder."""
    theta = tf.placeholder(tf.float64, shape=(), name="theta")
    J = theta * tf.constant(float(x), tf.float64)
    return GradGraph(theta, J, tf.gradients(J, theta)[0])


def vector_to_dictionary(theta, layers_dims):
    """Unroll the θ tensor [n, 1] into {"W1": [n_1, n_0], "b1": [n_1, 1], ...} tensors."""
    return {key: tf.reshape(theta[a:b], shape) for key, a, b, shape in parameter_layout(layers_dims)}


def build_nd(X, Y, layers_dims):
    """The network's course cost on the fixed batch (X [n_x, m], Y [1, m]) as a function of θ."""
    n = sum(layers_dims[l] * (layers_dims[l - 1] + 1) for l in range(1, len(layers_dims)))
    theta = tf.placeholder(tf.float64, shape=(n, 1), name="theta")
    _, AL = network.forward_propagation(tf.constant(X, tf.float64), vector_to_dictionary(theta, layers_dims))
    J = network.compute_cost(AL, tf.constant(Y, tf.float64))
    return GradGraph(theta, J, tf.gradients(J, theta)[0])


def numeric_gradient(sess, g, theta_value, epsilon=EPSILON):
    """gradapprox, shaped like θ: (J(θ + ε e_i) - J(θ - ε e_i)) / 2ε from Session runs of g.J."""
    theta_value = np.asarray(theta_value, dtype=np.float64)
    flat = theta_value.reshape(-1)
    gradapprox = np.zeros_like(flat)
    for i in range(flat.size):
        thetaplus, thetaminus = flat.copy(), flat.copy()
        thetaplus[i] = thetaplus[i] + epsilon
        thetaminus[i] = thetaminus[i] - epsilon
        J_plus = sess.run(g.J, {g.theta: thetaplus.reshape(theta_value.shape)})
        J_minus = sess.run(g.J, {g.theta: thetaminus.reshape(theta_value.shape)})
        gradapprox[i] = (J_plus - J_minus) / (2 * epsilon)
    return gradapprox.reshape(theta_value.shape)


def gradient_check(sess, g, theta_value, epsilon=EPSILON):
    """tf.gradients against the numeric gradient. Returns (difference, grad, gradapprox)."""
    grad = sess.run(g.grad, {g.theta: theta_value})
    gradapprox = numeric_gradient(sess, g, theta_value, epsilon)
    return relative_difference(grad, gradapprox), grad, gradapprox


def gradient_error(sess, g, theta_value):
    """TensorFlow's own check: max |theoretical - numeric| over the Jacobian of J with respect to θ."""
    theta_value = np.asarray(theta_value, dtype=np.float64)
    with sess.as_default():
        return float(tf.test.compute_gradient_error(g.theta, list(theta_value.shape), g.J, [],
                                                    x_init_value=theta_value))
