"""Batch normalization in the graph, mirroring np_engine.batchnorm: the same network, float64.

The layer is ``tf1_course.core.batch_norm`` (package level, so the SIGNS model uses the same builder);
this module builds the labs' network with it, LINEAR -> BATCHNORM -> RELU on each hidden layer
(no hidden bias) and LINEAR -> SIGMOID at the output, starting from the NumPy engine's arrays
(np_engine.batchnorm.initialize_parameters or any {"W1", "gamma1", "beta1", ..., "WL", "bL"}),
with the course's epsilon and momentum (labs/course.py). Graph builders only, no Session.

    X [n_x, None]   Y, ZL, AL [1, None]   W^[l] [n_l, n_{l-1}]   gamma^[l], beta^[l] [n_l, 1]

    forward_propagation(X, initial, is_training) -> (ZL, AL, parameters, layers)
    build_graph(initial, learning_rate, update_moving_averages=True) -> BatchNormGraph
"""

from collections import namedtuple

from tf1_course.core import batch_norm as bn
from tf1_course.core.compat import tf
from tf1_course.labs import course
from tf1_course.labs.tf_engine import network, optimizers

BatchNormGraph = namedtuple("BatchNormGraph", [
    "X", "Y",            # placeholders float64 [n_x, None], [1, None]
    "is_training",       # bool placeholder, default False (moving averages); feed True to train
    "parameters",        # {"W1", "gamma1", "beta1", ..., "WL", "bL"}: trainable Variables
    "layers",            # [bn.BatchNorm] of the hidden layers (moving averages, batch statistics)
    "AL",                # [1, None]
    "cost",              # the course's mean cross-entropy
    "grads",             # {"dW1": ..., "dgamma1": ...}: tf.gradients of the training loss
    "train_op",          # one gradient-descent step W -= alpha dW (+ the moving-average updates)
    "init_op",
])


def _variable(name, initial):
    """A trainable float64 Variable starting from the NumPy array initial[name]."""
    return tf.get_variable(name, initializer=tf.constant(initial[name], tf.float64))


def _constant(value):
    return tf.constant_initializer(value, dtype=tf.float64)


def forward_propagation(X, initial, is_training, epsilon=course.BN_EPSILON, momentum=course.BN_MOMENTUM):
    """X [n_x, m] -> (ZL [1, m], AL [1, m], parameters, layers), variables starting from ``initial``.

    parameters: {"W1", "gamma1", "beta1", ..., "WL", "bL"} in θ's order; layers: [bn.BatchNorm].
    """
    L = sum(1 for k in initial if k.startswith("W"))
    parameters, layers = {}, []
    A = X
    for l in range(1, L):
        W = _variable(f"W{l}", initial)
        Z = tf.matmul(W, A)  # (n_l, m): no bias, beta takes its place
        layer = bn.batch_norm(Z, is_training, epsilon, momentum, _constant(initial[f"gamma{l}"]),
                              _constant(initial[f"beta{l}"]), scope=f"bn{l}")
        parameters.update({f"W{l}": W, f"gamma{l}": layer.gamma, f"beta{l}": layer.beta})
        layers.append(layer)
        A = tf.nn.relu(layer.Z_tilde)  # (n_l, m)
    WL, bL = _variable(f"W{L}", initial), _variable(f"b{L}", initial)
    parameters.update({f"W{L}": WL, f"b{L}": bL})
    ZL = tf.matmul(WL, A) + bL  # (1, m)
    return ZL, network.sigmoid(ZL), parameters, layers


def build_graph(initial, learning_rate, update_moving_averages=True, epsilon=course.BN_EPSILON,
                momentum=course.BN_MOMENTUM):
    """The network, its cost, gradients and a gradient-descent train op, in the default graph.

    update_moving_averages=False builds the train op without the UPDATE_OPS, as a TF1 model that
    forgets them does: it trains, and its moving averages stay at 0 and 1 (the tests show it).
    """
    X, Y = network.create_placeholders(initial["W1"].shape[1])
    is_training = bn.training_flag()
    ZL, AL, parameters, layers = forward_propagation(X, initial, is_training, epsilon, momentum)
    cost = network.compute_cost(AL, Y)
    grads = tf.gradients(network.training_loss(ZL, Y), list(parameters.values()))
    ready = optimizers.wait_for([cost], grads)  # the cost and every gradient before any assign
    train_op = tf.group(*[p.assign_sub(learning_rate * g) for p, g in zip(parameters.values(), ready)])
    if update_moving_averages:
        train_op = bn.with_updates(train_op)  # + every op in tf.GraphKeys.UPDATE_OPS
    return BatchNormGraph(X, Y, is_training, parameters, layers, AL, cost,
                          {f"d{k}": g for k, g in zip(parameters, grads)}, train_op,
                          tf.global_variables_initializer())
