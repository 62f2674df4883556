"""Parameter updates, written out as the course writes them: gradient descent, momentum, RMSprop, Adam.

For every layer l (W and b alike; dW is the mini-batch gradient, alpha the learning rate):

    gd        W -= alpha * dW
    momentum  v = beta * v + (1 - beta) * dW;          W -= alpha * v
    rmsprop   s = beta * s + (1 - beta) * dW**2;       W -= alpha * dW / (sqrt(s) + epsilon)
    adam      v = beta1 * v + (1 - beta1) * dW;  s = beta2 * s + (1 - beta2) * dW**2
              v_hat = v / (1 - beta1**t);  s_hat = s / (1 - beta2**t)   (t counts Adam steps from 1)
              W -= alpha * v_hat / (sqrt(s_hat) + epsilon)

and, for the SIGNS model of lab batchnorm, Adam as TensorFlow's ``AdamOptimizer`` computes it
(``update_parameters_with_tf_adam``): not the course's formula, see there.
"""

import numpy as np

from tf1_course.labs.np_engine.init import num_layers

OPTIMIZERS = ("gd", "momentum", "rmsprop", "adam")


def _zeros_like_grads(parameters):
    return {f"d{k}": np.zeros_like(v) for k, v in parameters.items()}


def initialize_velocity(parameters):
    """v: {"dW1": zeros like W1, "db1": zeros like b1, ...}."""
    return _zeros_like_grads(parameters)


def initialize_adam(parameters):
    """(v, s): two dicts of zeros shaped like the gradients."""
    return _zeros_like_grads(parameters), _zeros_like_grads(parameters)


def update_parameters_with_gd(parameters, grads, learning_rate):
    for l in range(1, num_layers(parameters) + 1):
        for p in ("W", "b"):
            parameters[f"{p}{l}"] = parameters[f"{p}{l}"] - learning_rate * grads[f"d{p}{l}"]
    return parameters


def update_parameters_with_momentum(parameters, grads, v, beta, learning_rate):
    for l in range(1, num_layers(parameters) + 1):
        for p in ("W", "b"):
            d = f"d{p}{l}"
            v[d] = beta * v[d] + (1 - beta) * grads[d]
            parameters[f"{p}{l}"] = parameters[f"{p}{l}"] - learning_rate * v[d]
    return parameters, v


def update_parameters_with_rmsprop(parameters, grads, s, beta, learning_rate, epsilon=1e-8):
    for l in range(1, num_layers(parameters) + 1):
        for p in ("W", "b"):
            d = f"d{p}{l}"
            s[d] = beta * s[d] + (1 - beta) * grads[d] ** 2
            parameters[f"{p}{l}"] = (parameters[f"{p}{l}"]
                                     - learning_rate * grads[d] / (np.sqrt(s[d]) + epsilon))
    return parameters, s


def update_parameters_with_adam(parameters, grads, v, s, t, learning_rate=0.01,
                                beta1=0.9, beta2=0.999, epsilon=1e-8):
    for l in range(1, num_layers(parameters) + 1):
        for p in ("W", "b"):
            d = f"d{p}{l}"
            v[d] = beta1 * v[d] + (1 - beta1) * grads[d]
            v_corrected = v[d] / (1 - beta1 ** t)
            s[d] = beta2 * s[d] + (1 - beta2) * grads[d] ** 2
            s_corrected = s[d] / (1 - beta2 ** t)
            parameters[f"{p}{l}"] = (parameters[f"{p}{l}"]
                                     - learning_rate * v_corrected / (np.sqrt(s_corrected) + epsilon))
    return parameters, v, s


class Optimizer:
    """One optimizer's state and update, so a training loop calls ``step`` whatever the rule."""

    def __init__(self, hyper, parameters):
        if hyper.optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {hyper.optimizer!r} (choose from {', '.join(OPTIMIZERS)})")
        self.hyper = hyper
        self.t = 0  # Adam's counter: mini-batches seen
        self.velocity = self.squares = None
        if hyper.optimizer == "momentum":
            self.velocity = initialize_velocity(parameters)
        elif hyper.optimizer == "rmsprop":
            self.squares = initialize_velocity(parameters)
        elif hyper.optimizer == "adam":
            self.velocity, self.squares = initialize_adam(parameters)

    def step(self, parameters, grads, learning_rate):
        """Apply one update; returns the new parameters dict."""
        h = self.hyper
        if h.optimizer == "gd":
            return update_parameters_with_gd(parameters, grads, learning_rate)
        if h.optimizer == "momentum":
            parameters, self.velocity = update_parameters_with_momentum(
                parameters, grads, self.velocity, h.beta, learning_rate)
            return parameters
        if h.optimizer == "rmsprop":
            parameters, self.squares = update_parameters_with_rmsprop(
                parameters, grads, self.squares, h.beta, learning_rate, h.epsilon)
            return parameters
        self.t = self.t + 1
        parameters, self.velocity, self.squares = update_parameters_with_adam(
            parameters, grads, self.velocity, self.squares, self.t, learning_rate,
            h.beta1, h.beta2, h.epsilon)
        return parameters


def update_parameters_with_tf_adam(parameters, grads, m, v, t, learning_rate, beta1=0.9, beta2=0.999,
                                   epsilon=1e-8):
    """One step of TensorFlow's ``tf.train.AdamOptimizer`` (its ApplyAdam kernel), for every key of
    ``parameters`` (W, b, gamma, beta alike). Not the course's formula (``update_parameters_with_adam``):

        lr_t = learning_rate * sqrt(1 - beta2^t) / (1 - beta1^t)
        m += (g - m) * (1 - beta1)         (= beta1 m + (1 - beta1) g)
        v += (g^2 - v) * (1 - beta2)
        W -= lr_t * m / (sqrt(v) + epsilon)

    The bias corrections are folded into lr_t, so epsilon is added to the *uncorrected* sqrt(v):
    the course's formula with epsilon / sqrt(1 - beta2^t) in place of epsilon (31.6 epsilon at
    t = 1, epsilon as t grows). The SIGNS model trains with TF's optimizer, so the NumPy engine of
    lab batchnorm uses this one to follow it.

    m, v: {"W1": zeros like W1, ...} (keyed like ``parameters``), updated in place; t counts steps
    from 1. Returns the new parameters dict.
    """
    lr_t = learning_rate * np.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
    new = {}
    for k, W in parameters.items():
        g = grads[f"d{k}"]
        m[k] += (g - m[k]) * (1 - beta1)
        v[k] += (g * g - v[k]) * (1 - beta2)
        new[k] = W - (m[k] * W.dtype.type(lr_t)) / (np.sqrt(v[k]) + epsilon)  # W's dtype, float32 too
    return new
