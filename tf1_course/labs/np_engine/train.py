"""The course's ``model()`` in NumPy: this engine's step, run by ``labs/training_loop.py``.

    model(hyper, initial_parameters, data, grid) -> Result     (hyper: config.Hyperparameters)

Each step computes the cost, backpropagates and updates (``step``); the loop around it (full-batch
iterations or shuffled mini-batch epochs, seeds, costs, timing) is shared with the TF engine.
"""

import copy

from tf1_course.labs import course, training_loop
from tf1_course.labs.np_engine import network, regularization, schedules
from tf1_course.labs.np_engine.optimizers import Optimizer
from tf1_course.labs.results import Result


def step(hyper, parameters, optimizer, X, Y, learning_rate):
    """One forward/backward/update on (X [n_x, m], Y [1, m]). Returns (cost, cost_total, parameters).

    cost is the course's printed cost (mean cross-entropy + L2 term), cost_total the summed
    cross-entropy (the optimization lab adds those up over an epoch).
    """
    m = X.shape[1]
    masks = None
    if hyper.keep_prob < 1:  # the course reseeds at every forward pass: the same masks each time
        masks = course.dropout_masks(hyper.layers_dims, m, hyper.keep_prob)
    AL, caches = network.forward_propagation(X, parameters, masks, hyper.keep_prob)
    cost_total = network.cross_entropy_total(AL, Y)
    cost = 1. / m * cost_total
    if hyper.lambd:
        cost = cost + regularization.l2_cost(parameters, hyper.lambd, m)
    grads = network.backward_propagation(Y, caches, hyper.lambd, masks, hyper.keep_prob)
    return cost, cost_total, optimizer.step(parameters, grads, learning_rate)


def model(hyper, initial_parameters, data, grid=None, progress=True, name=""):
    """Train with ``hyper`` from ``initial_parameters`` on ``data`` (a Data2D). Returns a Result.

    name: the variant's name, for the progress bar.
    """
    X, Y = data.X_train, data.Y_train
    parameters = copy.deepcopy(initial_parameters)
    optimizer = Optimizer(hyper, parameters)

    def one_step(X_batch, Y_batch, epoch_num):
        nonlocal parameters
        learning_rate = schedules.learning_rate(hyper, epoch_num)
        cost, cost_total, parameters = step(hyper, parameters, optimizer, X_batch, Y_batch, learning_rate)
        return cost, cost_total, learning_rate

    curves = training_loop.run(hyper, X, Y, one_step, f"{name} numpy".strip(), progress)
    return Result(
        engine="numpy", parameters=parameters,
        train_accuracy=network.accuracy(X, Y, parameters),
        test_accuracy=None if data.X_test is None else network.accuracy(data.X_test, data.Y_test, parameters),
        grid_predictions=None if grid is None else network.predict(grid, parameters),
        **curves._asdict())
