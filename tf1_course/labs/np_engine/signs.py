"""The SIGNS classifier in NumPy, with or without batch norm: lab batchnorm's NumPy engine.

The TF model of ``tf1_course/signs/model.py`` (which ``tf_engine/signs.py`` trains) written out, so
each engine checks the other. Examples are columns:

    X   [12288, m]   flattened 64x64x3 photos in [0, 1]
    Y   [6, m]       one-hot labels
    Z3  [6, m]       logits

LINEAR -> RELU -> LINEAR -> RELU -> LINEAR -> SOFTMAX with the course's mean cross-entropy. With
batch norm each hidden layer is LINEAR -> BATCHNORM -> RELU without a bias (the mean subtracts
it; beta takes its place), using np_engine.batchnorm's layer (epsilon course.BN_EPSILON); at test
time it normalizes with moving averages of the mini-batch statistics (momentum course.BN_MOMENTUM,
starting from mean 0 and variance 1), updated after every training step, as the TF model's are.

    parameters  {"W1": [25, 12288], "b1": [25, 1], "W2": [12, 25], "b2": [12, 1], "W3": [6, 12], "b3": [6, 1]}
                batch norm: "gamma1", "beta1" [25, 1] and "gamma2", "beta2" [12, 1] instead of b1, b2
    moving      {"mu1": [25, 1], "sigma2_1": [25, 1], "mu2": [12, 1], "sigma2_2": [12, 1]} (batch norm)

Training is the TF run's, step for step: the same initial weights (read from the TF model's
initializer by the lab), the same mini-batches (``minibatches.permutation`` with seed
minibatch_seed + epoch + 1), Adam as TensorFlow computes it
(``optimizers.update_parameters_with_tf_adam``, not the course's formula), the course's epoch cost
(``loops.course_epoch_cost``). Backward quantities follow the course's convention: dZ is
m * dJ/dZ (dZ3 = softmax(Z3) - Y) and 1/m is applied where a parameter's gradient is taken.

    forward_propagation(X, parameters, moving=None) -> (Z3, caches)
    compute_cost(Z3, Y) -> float;  backward_propagation(Z3, Y, caches) -> grads
    initialize_moving_averages(parameters) / moving_averages_step(moving, caches)
    accuracy(X, Y, parameters, moving) -> float (as TF's accuracy op gives it)
    gradient_check(X, Y, parameters) -> (difference, grad, gradapprox)
    model(data, initial_parameters, cfg, progress, name) -> results.Result
"""

import time

import numpy as np
from tqdm import tqdm

from tf1_course.core import minibatches
from tf1_course.labs import course
from tf1_course.labs.np_engine import batchnorm, gradcheck, network
from tf1_course.labs.np_engine.optimizers import update_parameters_with_tf_adam
from tf1_course.labs.results import Result
from tf1_course.core.minibatches import course_divisor, course_epoch_cost


def has_batch_norm(parameters):
    return "gamma1" in parameters


def forward_propagation(X, parameters, moving=None, epsilon=course.BN_EPSILON):
    """X [n_x, m] -> (Z3 [n_y, m] logits, caches).

    Batch-norm layers normalize with this mini-batch's statistics, or with ``moving`` (test time)
    when given. caches: one (A_prev, W, A, bn) per layer, as np_engine.batchnorm's (the output
    layer's A is Z3); bn is the BatchNormCache of a hidden layer in training mode, else None.
    """
    L = batchnorm.num_layers(parameters)  # counts the W's
    caches, A = [], X
    for l in range(1, L):
        A_prev, W = A, parameters[f"W{l}"]
        Z = np.dot(W, A_prev)  # (n_l, m)
        bn = None
        if f"gamma{l}" in parameters:
            gamma, beta = parameters[f"gamma{l}"], parameters[f"beta{l}"]
            if moving is None:
                Z, bn = batchnorm.batchnorm_forward(Z, gamma, beta, epsilon)
            else:
                Z = batchnorm.batchnorm_inference(Z, gamma, beta, moving[f"mu{l}"], moving[f"sigma2_{l}"], epsilon)
        else:
            Z = Z + parameters[f"b{l}"]
        A = network.relu(Z)  # (n_l, m)
        caches.append((A_prev, W, A, bn))
    W = parameters[f"W{L}"]
    Z3 = np.dot(W, A) + parameters[f"b{L}"]  # (n_y, m)
    caches.append((A, W, Z3, None))
    return Z3, caches


def log_softmax(Z):
    """log softmax over the classes (axis 0) of Z [n_y, m], shifted by the column maximum as TF does."""
    shifted = Z - np.max(Z, axis=0, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=0, keepdims=True))


def compute_cost(Z3, Y):
    """The course's cost: the mean over the m columns of -sum_k Y log softmax(Z3)."""
    m = Y.shape[1]
    return float(-1. / m * np.sum(Y * log_softmax(Z3)))


def backward_propagation(Z3, Y, caches):
    """Gradients of compute_cost for a training-mode pass: {"dW1", "db1" | "dgamma1", "dbeta1", ...,
    "dW3", "db3"}, shaped like the parameters."""
    L = len(caches)
    m = Y.shape[1]
    grads = {}
    dZ = np.exp(log_softmax(Z3)) - Y  # (n_y, m): softmax + cross-entropy
    A_prev = caches[-1][0]
    grads[f"dW{L}"] = 1. / m * np.dot(dZ, A_prev.T)
    grads[f"db{L}"] = 1. / m * np.sum(dZ, axis=1, keepdims=True)
    for l in range(L - 1, 0, -1):
        dA = np.dot(caches[l][1].T, dZ)  # (n_l, m): W^[l+1].T dZ^[l+1]
        A_prev, _, A, bn = caches[l - 1]
        dZ = dA * (A > 0)  # ReLU'
        if bn is not None:
            dZ, grads[f"dgamma{l}"], grads[f"dbeta{l}"] = batchnorm.batchnorm_backward(dZ, bn)
        else:
            grads[f"db{l}"] = 1. / m * np.sum(dZ, axis=1, keepdims=True)
        grads[f"dW{l}"] = 1. / m * np.dot(dZ, A_prev.T)
    return grads


def initialize_moving_averages(parameters):
    """mu = 0, sigma2 = 1 per hidden batch-norm layer ({} without batch norm)."""
    return batchnorm.initialize_moving_averages(parameters) if has_batch_norm(parameters) else {}


def moving_averages_step(moving, caches, momentum=course.BN_MOMENTUM):
    """The moving averages after one training step whose forward pass left ``caches``."""
    if not moving:
        return moving
    return batchnorm.update_moving_averages(moving, batchnorm.batch_statistics(caches), momentum)


def accuracy(X, Y, parameters, moving=None):
    """Fraction of columns whose argmax(Z3) is the label's, at test time (moving averages).

    Returned as the float32 fraction TF's accuracy op gives (correct / m in float32), so the two
    engines' accuracies compare with ==.
    """
    Z3, _ = forward_propagation(X, parameters, moving or None)
    correct = np.argmax(Z3, axis=0) == np.argmax(Y, axis=0)
    return float(np.float32(np.sum(correct)) / np.float32(Y.shape[1]))


def with_model_names(parameters, moving):
    """parameters plus the moving averages under the TF model's names (moving_mean1,
    moving_variance1, ...): the keys of a TF run's parameters.npz."""
    out = dict(parameters)
    for l in range(1, batchnorm.num_layers(parameters)):
        if f"mu{l}" in moving:
            out[f"moving_mean{l}"], out[f"moving_variance{l}"] = moving[f"mu{l}"], moving[f"sigma2_{l}"]
    return out


def gradient_check(X, Y, parameters, epsilon=course.EPSILON):
    """backward_propagation against the two-sided difference of the training-mode cost.

    θ is W1 b1 (or gamma1 beta1) ... W3 b3 (course.layout_of). Returns
    (difference, grad [n, 1], gradapprox [n, 1]).
    """
    Z3, caches = forward_propagation(X, parameters)
    grad = gradcheck.gradients_to_vector(backward_propagation(Z3, Y, caches))
    gradapprox = gradcheck.numeric_gradient_of(lambda p: compute_cost(forward_propagation(X, p)[0], Y),
                                               parameters, course.layout_of(parameters), epsilon)
    return course.relative_difference(grad, gradapprox), grad, gradapprox


def model(data, initial_parameters, cfg, progress=True, name="", dtype=np.float64):
    """Train as the TF run of ``cfg`` does, from ``initial_parameters``. Returns a results.Result.

    data: {"train": (X [n_x, m], Y [n_y, m]), "test": (X, Y)}; cfg: a settings.TrainConfig
    (learning_rate, num_epochs, minibatch_size, minibatch_seed, beta1; Adam's beta2 0.999 and
    epsilon 1e-8 are tf.train's defaults, as in the TF model). Everything is computed in ``dtype``:
    float64, the reference the TF engine's float32 is held to (float32 here was measured 1.3-3.8x
    faster, and would only be a second float32 rounding of the same run). A cost that is not
    finite stops training: outcome "diverged".
    """
    if cfg.l2_lambda or cfg.keep_prob < 1:
        raise ValueError("the NumPy SIGNS engine has no L2 or dropout (lab batchnorm uses neither)")
    X, Y = data["train"]
    m = X.shape[1]
    # examples as rows [m, n] (C order): a mini-batch is a row gather, then a transposed view
    X_rows, Y_rows = (np.ascontiguousarray(np.asarray(a, dtype).T) for a in (X, Y))
    parameters = {k: np.array(v, dtype) for k, v in initial_parameters.items()}
    moving = {k: v.astype(dtype) for k, v in initialize_moving_averages(parameters).items()}
    adam_m = {k: np.zeros_like(v) for k, v in parameters.items()}
    adam_v = {k: np.zeros_like(v) for k, v in parameters.items()}
    bounds = minibatches.batch_bounds(m, cfg.minibatch_size)
    divisor = course_divisor(m, cfg.minibatch_size)
    costs, t, seconds, outcome, message = [], 0, 0.0, "finished", None
    for epoch in tqdm(range(cfg.num_epochs), f"{name} numpy".strip(), unit="epoch", leave=False,
                      disable=None if progress else True):
        start = time.perf_counter()
        perm = minibatches.permutation(m, cfg.minibatch_seed + epoch + 1)  # random_mini_batches' order
        minibatch_costs = []
        for a, b in bounds:
            X_batch, Y_batch = X_rows[perm[a:b]].T, Y_rows[perm[a:b]].T  # [n_x, b], [n_y, b]
            Z3, caches = forward_propagation(X_batch, parameters)
            minibatch_costs.append(compute_cost(Z3, Y_batch))
            grads = backward_propagation(Z3, Y_batch, caches)
            t += 1
            parameters = update_parameters_with_tf_adam(parameters, grads, adam_m, adam_v, t,
                                                        cfg.learning_rate, cfg.beta1)
            moving = moving_averages_step(moving, caches)
        cost = course_epoch_cost(minibatch_costs, divisor)
        seconds += time.perf_counter() - start
        if not np.isfinite(cost):
            outcome, message = "diverged", f"training diverged at epoch {epoch}: the cost became {cost}"
            break
        costs.append(cost)
    accuracies = {role: accuracy(*(np.asarray(a, dtype) for a in xy), parameters, moving)
                  for role, xy in data.items()} if outcome == "finished" else {}
    return Result(engine="numpy", costs=costs, parameters=with_model_names(parameters, moving),
                  train_accuracy=accuracies.get("train"), test_accuracy=accuracies.get("test"),
                  seconds=seconds, outcome=outcome, message=message)
