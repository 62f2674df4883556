"""The course's ``model()`` loops in NumPy: full-batch iterations or shuffled mini-batch epochs.

    model(variant, initial_parameters, data, grid) -> Result

Full batch (init and regularization labs): each iteration computes the cost, backpropagates and
updates. Mini-batches (optimization lab): each epoch reshuffles with ``random_mini_batches(X, Y,
size, seed)``, seed = first_seed + epoch + 1; the epoch cost is the sum of the mini-batch cost
totals divided by m; a decaying rate is updated after each epoch.
"""

import copy
import time

from tqdm import tqdm

from tf1_course.labs import course
from tf1_course.labs.np_engine import network, regularization, schedules
from tf1_course.labs.np_engine.optimizers import Optimizer
from tf1_course.labs.results import Result
from tf1_course.minibatches import random_mini_batches


def step(variant, parameters, optimizer, X, Y, learning_rate):
    """One forward/backward/update on (X [n_x, m], Y [1, m]). Returns (cost, cost_total, parameters).

    cost is the course's printed cost (mean cross-entropy + L2 term), cost_total the summed
    cross-entropy (the optimization lab adds those up over an epoch).
    """
    m = X.shape[1]
    masks = None
    if variant.keep_prob < 1:  # the course reseeds at every forward pass: the same masks each time
        masks = course.dropout_masks(variant.layers_dims, m, variant.keep_prob)
    AL, caches = network.forward_propagation(X, parameters, masks, variant.keep_prob)
    cost_total = network.cross_entropy_total(AL, Y)
    cost = 1. / m * cost_total
    if variant.lambd:
        cost = cost + regularization.l2_cost(parameters, variant.lambd, m)
    grads = network.backward_propagation(Y, caches, variant.lambd, masks, variant.keep_prob)
    return cost, cost_total, optimizer.step(parameters, grads, learning_rate)


def model(variant, initial_parameters, data, grid=None, progress=True):
    """Train ``variant`` from ``initial_parameters`` on ``data`` (a Data2D). Returns a Result."""
    X, Y = data.X_train, data.Y_train
    parameters = copy.deepcopy(initial_parameters)
    optimizer = Optimizer(variant, parameters)
    costs, learning_rates, last_costs = [], None, None
    bar = tqdm(range(variant.num_steps), desc=f"{variant.name} numpy", unit=variant.unit,
               disable=None if progress else True, leave=False, dynamic_ncols=True)
    start = time.perf_counter()
    if variant.minibatch_size is None:
        for _ in bar:
            cost, _, parameters = step(variant, parameters, optimizer, X, Y, variant.learning_rate)
            costs.append(float(cost))
    else:
        learning_rates, last_costs = [], []
        m, seed, learning_rate = X.shape[1], variant.first_seed, variant.learning_rate
        for i in bar:
            seed = seed + 1
            cost_total = 0
            for minibatch_X, minibatch_Y in random_mini_batches(X, Y, variant.minibatch_size, seed):
                cost, total, parameters = step(variant, parameters, optimizer, minibatch_X, minibatch_Y,
                                               learning_rate)
                cost_total += total
            costs.append(float(cost_total / m))
            last_costs.append(float(cost))
            learning_rates.append(learning_rate)
            learning_rate = schedules.learning_rate(variant, i)
    seconds = time.perf_counter() - start
    bar.close()
    return Result(
        engine="numpy", costs=costs, parameters=parameters,
        train_accuracy=network.accuracy(X, Y, parameters),
        test_accuracy=None if data.X_test is None else network.accuracy(data.X_test, data.Y_test, parameters),
        seconds=seconds,
        grid_predictions=None if grid is None else network.predict(grid, parameters),
        learning_rates=learning_rates, last_minibatch_costs=last_costs)
