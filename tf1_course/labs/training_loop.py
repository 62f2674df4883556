"""The course's ``model()`` loop, whichever engine takes the steps: one loop, two engines' steps.

    run(hyper, X, Y, step, desc, progress) -> Curves
    run_in_chunks(hyper, X, Y, run_steps, desc, progress, steps_per_call) -> Curves
    plan(hyper, m, first, count) -> Steps      (the steps run() takes, as index arrays)

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

An engine that takes many steps in one call (the TF engine's in-graph loop) is run by
``run_in_chunks`` instead: the same Curves, from the same mini-batches in the same order, with the
epoch costs added up here in the same order as ``run`` does. It gets the steps as a ``Steps`` plan:

    run_steps(Steps) -> (cost [s], cost_total [s], learning_rate [s])   float64, one per step
"""

import time
from collections import namedtuple

import numpy as np

from tf1_course.core import progress as progress_bar
from tf1_course.labs.course import minibatch_seed
from tf1_course.core.minibatches import batch_bounds, permutation, random_mini_batches

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


Steps = namedtuple("Steps", [
    "columns",     # int32 [c]: example indices; step k trains on columns[starts[k]:stops[k]]
    "starts",      # int32 [s]
    "stops",       # int32 [s]
    "epoch_nums",  # float64 [s]: each step's epoch_num (the last finished epoch, as run() feeds it)
])


def plan(hyper, m, first, count):
    """The Steps of iterations / epochs first, ..., first + count - 1, in run()'s order.

    Full batch: every step takes all m examples in their order (columns 0..m-1), epoch_num 0.
    Mini-batches: epoch i's columns are its random_mini_batches permutation (seed
    minibatch_seed(first_seed, i)), cut at batch_bounds; it runs at epoch_num max(i - 1, 0).
    """
    if hyper.minibatch_size is None:
        return Steps(np.arange(m, dtype=np.int32), np.zeros(count, np.int32), np.full(count, m, np.int32),
                     np.zeros(count))
    bounds = np.array(batch_bounds(m, hyper.minibatch_size), dtype=np.int32)  # [b, 2]
    epochs = range(first, first + count)
    columns = [permutation(m, minibatch_seed(hyper.first_seed, i)) for i in epochs]
    offsets = np.repeat(np.arange(count, dtype=np.int32) * m, len(bounds))  # epoch k's columns start at k m
    return Steps(np.concatenate(columns).astype(np.int32), np.tile(bounds[:, 0], count) + offsets,
                 np.tile(bounds[:, 1], count) + offsets,
                 np.repeat([float(max(i - 1, 0)) for i in epochs], len(bounds)))


def run_in_chunks(hyper, X, Y, run_steps, desc, progress=True, steps_per_call=5000):
    """run() for an engine that takes many steps per call: the same Curves from the same steps.

    run_steps(Steps) -> (cost, cost_total, learning_rate), float64 arrays [s], one per step. It is
    called with whole epochs (or iterations), about ``steps_per_call`` steps at a time.
    """
    bar = progress_bar.bar(hyper.num_steps, desc=desc, unit=hyper.unit, enabled=progress, leave=False)
    m = X.shape[1]
    full_batch = hyper.minibatch_size is None
    per_epoch = 1 if full_batch else len(batch_bounds(m, hyper.minibatch_size))
    per_call = max(1, steps_per_call // per_epoch)  # iterations or whole epochs per call
    costs, learning_rates, last_costs = [], None if full_batch else [], None if full_batch else []
    start = time.perf_counter()
    for first in range(0, hyper.num_steps, per_call):
        count = min(per_call, hyper.num_steps - first)
        cost, totals, rates = run_steps(plan(hyper, m, first, count))
        if full_batch:
            costs.extend(float(c) for c in cost)
        else:
            for k in range(count):
                cost_total = 0
                for total in totals[k * per_epoch:(k + 1) * per_epoch]:  # run()'s float64 sum, in order
                    cost_total += total
                last = (k + 1) * per_epoch - 1  # the epoch's last mini-batch
                costs.append(float(cost_total / m))
                last_costs.append(float(cost[last]))
                learning_rates.append(float(rates[last]))
        bar.update(count)
    seconds = time.perf_counter() - start
    bar.close()
    return Curves(costs, learning_rates, last_costs, seconds)
