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


def _steps_of(steps, X, Y, k):
    columns = steps.columns[steps.starts[k]:steps.stops[k]]
    return X[:, columns], Y[:, columns]


def test_a_plan_holds_the_courses_mini_batches_in_order():
    hyper = lab_optimization.variants()[0].hyper.replace(num_steps=5, minibatch_size=4, first_seed=10)
    rng = np.random.RandomState(0)
    X, Y = rng.randn(2, 10), (rng.rand(1, 10) > 0.5).astype(float)
    steps = training_loop.plan(hyper, 10, 2, 3)  # epochs 2, 3, 4: three mini-batches each
    assert len(steps.starts) == len(steps.stops) == len(steps.epoch_nums) == 9
    assert list(steps.epoch_nums) == [1.0] * 3 + [2.0] * 3 + [3.0] * 3  # the last finished epoch
    for e, epoch in enumerate((2, 3, 4)):
        for b, (X_b, Y_b) in enumerate(random_mini_batches(X, Y, 4, 10 + epoch + 1)):
            got_X, got_Y = _steps_of(steps, X, Y, 3 * e + b)
            assert (got_X == X_b).all() and (got_Y == Y_b).all()
    assert list(training_loop.plan(hyper, 10, 0, 2).epoch_nums) == [0.0] * 6  # epochs 0 and 1 both at 0


def test_a_full_batch_plan_takes_every_example_every_iteration():
    hyper = lab_optimization.variants()[0].hyper.replace(num_steps=4, minibatch_size=None)
    steps = training_loop.plan(hyper, 3, 1, 4)
    assert list(steps.columns) == [0, 1, 2] and list(steps.starts) == [0] * 4 and list(steps.stops) == [3] * 4
    assert list(steps.epoch_nums) == [0.0] * 4


def _many_steps(calls, X, Y):
    """run_steps for run_in_chunks: the recording step applied to each step of the plan."""
    step = _recording_step([])

    def run_steps(steps):
        calls.append(len(steps.starts))
        out = [step(*_steps_of(steps, X, Y, k), steps.epoch_nums[k]) for k in range(len(steps.starts))]
        return [np.array(column) for column in zip(*out)]
    return run_steps


def test_run_in_chunks_gives_run_s_curves():
    rng = np.random.RandomState(1)
    X, Y = rng.randn(2, 10), (rng.rand(1, 10) > 0.5).astype(float)
    for size, steps_per_call, calls_wanted in ((4, 7, [6, 6, 3]), (None, 3, [3, 3, 3, 2])):
        hyper = lab_optimization.variants()[0].hyper.replace(num_steps=11 if size is None else 5,
                                                             minibatch_size=size)
        want = training_loop.run(hyper, X, Y, _recording_step([]), "test", progress=False)
        calls = []
        got = training_loop.run_in_chunks(hyper, X, Y, _many_steps(calls, X, Y), "test", progress=False,
                                          steps_per_call=steps_per_call)
        assert calls == calls_wanted  # whole epochs (2 of 3 mini-batches) or iterations per call
        assert got.costs == want.costs
        assert got.learning_rates == want.learning_rates
        assert got.last_minibatch_costs == want.last_minibatch_costs
