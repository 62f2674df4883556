"""The TF engine's fused loop (a tf.while_loop, thousands of steps per Session.run) against its
per-step loop (one Session.run per step, the reference): the same bits, on short runs of every kind.

Every number compared here is equal to the bit: each step runs the same ops on the same batch in
the same order, and the epoch costs are added up in Python in the same order (docs/labs.md).
"""

import numpy as np
import pytest

from tf1_course.labs import data2d, lab_init, lab_optimization, lab_regularization, training_loop
from tf1_course.labs.np_engine import init

tf_train = pytest.importorskip("tf1_course.labs.tf_engine.train")

DATA = {lab_init: data2d.load_circles, lab_regularization: data2d.load_football,
        lab_optimization: data2d.load_moons}


def _variant(lab, name, steps, **changes):
    return next(v for v in lab.variants() if v.name == name).replace(num_steps=steps, **changes)


def _train(variant, data, loop):
    initial = init.initialize_parameters(variant.hyper.layers_dims, variant.hyper.init)
    return tf_train.model(variant.hyper, initial, data, grid=data.X_train[:, :7], progress=False,
                          options=variant.tf_options.replace(loop=loop))


def _fused_and_step(monkeypatch, variant, data, steps_per_run):
    """Both loops' Results; the fused one may not call the per-step driver, nor the step one the fused."""
    monkeypatch.setattr(tf_train, "STEPS_PER_RUN", steps_per_run)  # several Session.runs per variant
    with monkeypatch.context() as m:
        m.setattr(training_loop, "run", None)
        fused = _train(variant, data, "fused")
    with monkeypatch.context() as m:
        m.setattr(training_loop, "run_in_chunks", None)
        step = _train(variant, data, "step")
    return fused, step


def _assert_same_bits(fused, step):
    assert len(fused.costs) == len(step.costs) > 0
    assert fused.costs == step.costs  # float == float: the same bits (inf == inf included)
    assert fused.last_minibatch_costs == step.last_minibatch_costs
    assert fused.learning_rates == step.learning_rates
    assert fused.parameters.keys() == step.parameters.keys()
    for key in step.parameters:
        assert np.array_equal(fused.parameters[key], step.parameters[key]), key
    assert (fused.train_accuracy, fused.test_accuracy) == (step.train_accuracy, step.test_accuracy)
    assert np.array_equal(fused.grid_predictions, step.grid_predictions)


@pytest.mark.parametrize("lab, name, steps, steps_per_run", [
    (lab_init, "he", 120, 50),                     # full batch: 50 + 50 + 20 iterations per run
    (lab_init, "random", 60, 5000),                # inf costs at first
    (lab_regularization, "l2", 60, 25),
    (lab_regularization, "dropout", 60, 25),       # the course's masks, the same every iteration
    (lab_regularization, "nn-dropout", 60, 25),    # tf.nn.dropout: the same random stream in the loop
    (lab_optimization, "gd", 3, 10),               # mini-batches 4 x 64 + 44: 2 epochs per run
    (lab_optimization, "momentum", 3, 5000),
    (lab_optimization, "rmsprop", 3, 5000),
    (lab_optimization, "adam", 4, 10),
    (lab_optimization, "builtin-adam", 4, 10),     # tf.train's optimizer inside the loop
    (lab_optimization, "builtin-rmsprop", 2, 5000),
    (lab_optimization, "sgd", 2, 400),             # mini-batches of 1: 300 steps per epoch
    (lab_optimization, "gd-decay", 5, 10),         # the rate changes every epoch
    (lab_optimization, "gd-exponential", 5, 5000),
])
def test_the_fused_loop_gives_the_step_loop_s_bits(monkeypatch, lab, name, steps, steps_per_run):
    fused, step = _fused_and_step(monkeypatch, _variant(lab, name, steps), DATA[lab](), steps_per_run)
    _assert_same_bits(fused, step)
    if lab is lab_optimization:
        assert len(fused.learning_rates) == steps


def test_scheduled_decay_changes_the_rate_inside_one_run(monkeypatch):
    """Epoch 1001 runs at the rate after epoch 1000: the change falls inside one Session.run."""
    v = _variant(lab_optimization, "gd-scheduled", 1002)
    fused, step = _fused_and_step(monkeypatch, v, DATA[lab_optimization](), 5000)
    _assert_same_bits(fused, step)
    assert fused.learning_rates[1000] == 0.1 and fused.learning_rates[1001] == 0.05


def test_dropout_and_l2_with_mini_batches_of_two_sizes(monkeypatch):
    """Not a lab variant: the course's masks for 64 and for the last 44 examples, in one loop."""
    v = _variant(lab_optimization, "adam", 3, keep_prob=0.8, lambd=0.5, layers_dims=(2, 5, 4, 2, 1))
    fused, step = _fused_and_step(monkeypatch, v, DATA[lab_optimization](), 12)
    _assert_same_bits(fused, step)


def test_an_unknown_loop_is_refused():
    with pytest.raises(ValueError, match="unknown loop"):
        _train(_variant(lab_init, "he", 1), DATA[lab_init](), "eager")
