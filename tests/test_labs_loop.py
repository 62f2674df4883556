"""The shared model() loop with a recording step: the course's seeds, epoch numbers and epoch costs."""

import numpy as np

from tf1_course.labs import lab_optimization, training_loop
from tf1_course.core.minibatches import random_mini_batches


def _recording_step(calls):
    """A step whose cost_total is the batch's first X entry, cost its size, rate 1 / (epoch_num + 1)."""
    def step(X, Y, epoch_num):
        calls.append((X.copy(), epoch_num))
        return float(X.shape[1]), float(X[0, 0]), 1 / (epoch_num + 1)
    return step


def test_minibatch_epochs_follow_the_courses_bookkeeping():
    hyper = lab_optimization.variants()[0].hyper.replace(num_steps=3, minibatch_size=4, first_seed=10)
    rng = np.random.RandomState(0)
    X, Y = rng.randn(2, 10), (rng.rand(1, 10) > 0.5).astype(float)
    calls = []
    curves = training_loop.run(hyper, X, Y, _recording_step(calls), "test", progress=False)
    assert [e for _, e in calls] == [0] * 3 + [0] * 3 + [1] * 3  # the rate is updated after each epoch
    for epoch in range(3):
        batches = random_mini_batches(X, Y, 4, 10 + epoch + 1)  # the course's seed = seed + 1
        got = [x for x, _ in calls[3 * epoch:3 * epoch + 3]]
        assert all((a == b).all() for a, (b, _) in zip(got, batches))
        assert curves.costs[epoch] == sum(b[0, 0] for b, _ in batches) / 10
    assert curves.last_minibatch_costs == [2.0, 2.0, 2.0]  # 10 = 4 + 4 + 2: the last batch has 2
    assert curves.learning_rates == [1.0, 1.0, 0.5]
    assert curves.seconds >= 0


def test_full_batch_iterations_use_all_examples_unshuffled():
    hyper = lab_optimization.variants()[0].hyper.replace(num_steps=4, minibatch_size=None)
    X, Y = np.arange(6.).reshape(2, 3), np.ones((1, 3))
    calls = []
    curves = training_loop.run(hyper, X, Y, _recording_step(calls), "test", progress=False)
    assert len(calls) == 4 and all((x == X).all() and e == 0 for x, e in calls)
    assert curves.costs == [3.0] * 4  # the step's printed cost, not cost_total / m
    assert curves.learning_rates is None and curves.last_minibatch_costs is None
