"""The course's ``model()`` loop, whichever engine takes the steps: one loop, two engines' steps.

    run(hyper, X, Y, step, desc, progress) -> Curves

Full batch (``minibatch_size`` None: the init and regularization labs): ``num_steps`` iterations,
each one step on all of (X, Y), no shuffling; the curve is each step's printed cost.
Mini-batches (the optimization lab): ``num_steps`` epochs; epoch i reshuffles with
``random_mini_batches(X, Y, size, course.minibatch_seed(first_seed, i))`` and takes one step per
mini-batch. The epoch's cost is the sum of the mini-batch cost totals / m (what the 2021 notebook
prints); the last mini-batch's cost (what the 2017 notebook printed) and the learning rate the
epoch ran at are kept too. An engine provides only its step:

    step(X_batch [n_x, b], Y_batch [1, b], epoch_num) -> (cost, cost_total, learning_rate)

cost is the course's printed cost of the batch (mean cross-entropy [+ L2]), cost_total its summed
cross-entropy, learning_rate the rate the step used. epoch_num is the last finished epoch (0
before the first, and always 0 in full-batch runs): as in the course, a decaying rate is updated
*after* each epoch, so epochs 0 and 1 both run at the rate for epoch_num 0.
"""

import time
from collections import namedtuple

from tf1_course.core import progress as progress_bar
from tf1_course.labs.course import minibatch_seed
from tf1_course.core.minibatches import random_mini_batches

Curves = namedtuple("Curves", [
    "costs",                 # the cost at every iteration / epoch, before that step's update
    "learning_rates",        # per epoch, the rate it ran at (None for full batch)
    "last_minibatch_costs",  # per epoch, the last mini-batch's cost (None for full batch)
    "seconds",               # time in the loop (noisy; never asserted)
])


def run(hyper, X, Y, step, desc, progress=True):
    """Train with ``step`` on X [n_x, m], Y [1, m] as ``hyper`` says. Returns the Curves."""
    bar = progress_bar.bar(hyper.num_steps, desc=desc, unit=hyper.unit, enabled=progress, leave=False)
    costs, learning_rates, last_costs = [], None, None
    start = time.perf_counter()
    if hyper.minibatch_size is None:
        for _ in range(hyper.num_steps):
            cost, _, _ = step(X, Y, 0)
            costs.append(float(cost))
            bar.update()
    else:
        learning_rates, last_costs = [], []
        m, epoch_num = X.shape[1], 0
        for i in range(hyper.num_steps):
            cost_total = 0
            seed = minibatch_seed(hyper.first_seed, i)
            for minibatch_X, minibatch_Y in random_mini_batches(X, Y, hyper.minibatch_size, seed):
                cost, total, learning_rate = step(minibatch_X, minibatch_Y, epoch_num)
                cost_total += total
            costs.append(float(cost_total / m))
            last_costs.append(float(cost))
            learning_rates.append(float(learning_rate))
            epoch_num = i
            bar.update()
    seconds = time.perf_counter() - start
    bar.close()
    return Curves(costs, learning_rates, last_costs, seconds)
