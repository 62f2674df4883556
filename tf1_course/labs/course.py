"""What the course fixes, whichever engine computes it: both engines import this, neither the other.

    EPSILON, THRESHOLD_1D, THRESHOLD_ND    gradient checking's step and verdicts
    relative_difference(grad, gradapprox)  gradient checking's difference
    parameter_layout(layers_dims, batch_norm)  where W1 b1 ... WL bL (or W1 gamma1 beta1 ... WL bL)
                                           sit in the rolled column θ; roll, unroll, layout_of
    dropout_masks(layers_dims, m, kp)      the course's dropout masks, drawn with NumPy
    minibatch_seed(first_seed, epoch)      the seed of an epoch's random_mini_batches shuffle
    learning_rate_after(hyper, epoch_num)  the course's learning-rate schedules, as floats (the
                                           formulas: tf1_course.core.schedules, shared with SIGNS)
    BN_EPSILON, BN_MOMENTUM                batch norm's epsilon and moving-average beta

NumPy only (the TF engine feeds these arrays or builds its graph from these numbers).
``np_engine/`` writes the network out in NumPy, ``tf_engine/`` builds it as a graph; what is here
is neither: it is the course's definition that both must follow to the bit.
"""

import numpy as np

# The schedules live in core, shared with the SIGNS model (`train --lr-decay`); the lab uses them from here.
from tf1_course.core.schedules import (  # noqa: F401  (the lab's names for them)
    SCHEDULES, TIME_INTERVAL, exponential_decay, inverse_sqrt_decay, schedule_lr_decay, update_lr)

EPSILON = 1e-7        # gradient checking: the two-sided difference's step
THRESHOLD_1D = 1e-7   # the course's verdict for the 1-D check
THRESHOLD_ND = 2e-7   # the course's verdict for the N-D check (correct backprop gives ~1.19e-7 there)
DROPOUT_SEED = 1      # the course calls np.random.seed(1) at the start of every forward pass
# Batch normalization (week 3): Z_norm = (Z - mu) / sqrt(sigma2 + BN_EPSILON). The lecture leaves
# epsilon's value open; 1e-8 is the epsilon the course's notes give RMSprop and Adam.
BN_EPSILON = 1e-8
# Test-time mu and sigma2 are exponentially weighted averages v = beta v + (1 - beta) theta over
# the mini-batches; 0.9 is the course's usual beta (about the last 10 mini-batches).
BN_MOMENTUM = 0.9


def relative_difference(grad, gradapprox):
    """||grad - gradapprox||_2 / (||grad||_2 + ||gradapprox||_2)."""
    numerator = np.linalg.norm(grad - gradapprox)
    denominator = np.linalg.norm(grad) + np.linalg.norm(gradapprox)
    return numerator / denominator


def parameter_layout(layers_dims, batch_norm=False):
    """[(key, start, stop, shape)] of W1 b1 ... WL bL inside the rolled column θ [n, 1].

    batch_norm: a hidden layer has W, gamma, beta instead of W, b (beta does b's job: a bias
    before batch norm is subtracted out with the mean); the output layer keeps W, b.
    """
    layout, start = [], 0
    L = len(layers_dims) - 1
    for l in range(1, L + 1):
        n, n_prev = layers_dims[l], layers_dims[l - 1]
        names = ("gamma", "beta") if batch_norm and l < L else ("b",)
        for key, shape in [(f"W{l}", (n, n_prev))] + [(f"{p}{l}", (n, 1)) for p in names]:
            layout.append((key, start, start + shape[0] * shape[1], shape))
            start += shape[0] * shape[1]
    return layout


def layout_of(arrays, prefix=""):
    """The parameter_layout that ``arrays`` fill: parameters {"W1": ...} or gradients {"dW1": ...}."""
    L = sum(1 for k in arrays if k.startswith(f"{prefix}W"))
    dims = [arrays[f"{prefix}W1"].shape[1]] + [arrays[f"{prefix}W{l}"].shape[0] for l in range(1, L + 1)]
    return parameter_layout(dims, batch_norm=f"{prefix}gamma1" in arrays)


def roll(arrays, layout, prefix=""):
    """One column [n, 1] of the arrays in layout order (prefix "d" for gradients)."""
    return np.concatenate([np.reshape(arrays[prefix + key], (-1, 1)) for key, _, _, _ in layout], axis=0)


def unroll(theta, layout):
    """theta [n, 1] -> {"W1": [n_1, n_0], ...} (views into theta)."""
    return {key: theta[a:b].reshape(shape) for key, a, b, shape in layout}


def dropout_masks(layers_dims, m, keep_prob, seed=DROPOUT_SEED):
    """[D1, ..., D_{L-1}] bool [n_l, m]: True keeps the neuron (probability keep_prob).

    The course reseeds before D1 = rand(A1.shape) < keep_prob, D2 = ..., so with the same shapes
    the masks are the same at every iteration: the same neurons are dropped all through training.
    """
    rng = np.random.RandomState(seed)
    return [rng.rand(n_l, m) < keep_prob for n_l in layers_dims[1:-1]]


def minibatch_seed(first_seed, epoch):
    """The course's ``seed = seed + 1`` before each epoch's shuffle: epoch 0 uses first_seed + 1."""
    return first_seed + epoch + 1


def learning_rate_after(hyper, epoch_num):
    """The rate to use after epoch ``epoch_num`` (hyper.learning_rate if it does not decay).

    As in the course's ``model()``, the rate is updated *after* epoch i with epoch_num = i, so
    epochs 0 and 1 both run at the rate for epoch_num 0 (alpha0 for every schedule with k = 1).
    """
    if hyper.decay is None:
        return hyper.learning_rate
    return float(SCHEDULES[hyper.decay](hyper.learning_rate, epoch_num, hyper.decay_rate))
