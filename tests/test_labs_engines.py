"""The TF engine against the NumPy engine on short runs: same initial weights, same costs."""

import math

import numpy as np
import pytest

from tf1_course.labs import course, data2d, lab_init, lab_optimization, lab_regularization
from tf1_course.labs.np_engine import init
from tf1_course.labs.np_engine import train as np_train
from tf1_course.labs.results import agreement, relative_difference

tf_train = pytest.importorskip("tf1_course.labs.tf_engine.train")


def _both(lab, name, data, steps, grid=None):
    v = next(x for x in lab.variants() if x.name == name).replace(num_steps=steps)
    initial = init.initialize_parameters(v.hyper.layers_dims, v.hyper.init)
    return (np_train.model(v.hyper, initial, data, grid, progress=False),
            tf_train.model(v.hyper, initial, data, grid, device="cpu", progress=False, options=v.tf_options))


def _assert_agree(a, b):
    report = agreement(a, b)
    assert report["max_rel_cost_diff"] < 1e-6, report
    assert report["same_train_accuracy"] and report["same_test_accuracy"], report
    assert len(a.costs) == len(b.costs)


@pytest.fixture(scope="module")
def circles():
    return data2d.load_circles()


@pytest.fixture(scope="module")
def moons():
    return data2d.load_moons()


# random init is chaotic: the engines agree to 1e-6 for its first ~190 iterations only.
@pytest.mark.parametrize("name", ["zeros", "random", "he"])
def test_init_lab_engines_agree(circles, name):
    a, b = _both(lab_init, name, circles, 150)
    _assert_agree(a, b)
    if name == "random":
        assert a.costs[0] == b.costs[0] == math.inf
    if name == "he":
        assert b.costs[0] == 0.8830537463419761


@pytest.mark.parametrize("name", ["baseline", "l2", "dropout"])
def test_regularization_lab_engines_agree(name):
    a, b = _both(lab_regularization, name, data2d.load_football(), 300)
    _assert_agree(a, b)


@pytest.mark.parametrize("name, epochs", [
    ("gd", 3), ("momentum", 3), ("rmsprop", 3), ("adam", 3), ("batch-gd", 10), ("sgd", 1),
    ("gd-decay", 4), ("gd-exponential", 4), ("gd-inverse-sqrt", 4), ("adam-scheduled", 2),
])
def test_optimization_lab_engines_agree(moons, name, epochs):
    a, b = _both(lab_optimization, name, moons, epochs)
    _assert_agree(a, b)
    assert a.learning_rates == pytest.approx(b.learning_rates, rel=1e-15)


def test_grid_predictions_agree(circles):
    from tf1_course.labs import plots

    _, _, grid = plots.grid(lab_init.LIMITS, h=0.05)
    a, b = _both(lab_init, "he", circles, 50, grid)
    assert a.grid_predictions.shape == b.grid_predictions.shape == (1, grid.shape[1])
    assert (a.grid_predictions == b.grid_predictions).all()


def _tf_run(name, data, epochs):
    v = next(x for x in lab_optimization.variants() if x.name == name).replace(num_steps=epochs)
    return _tf_model(v, data)


def _tf_model(v, data):
    initial = init.initialize_parameters(v.hyper.layers_dims, v.hyper.init)
    return tf_train.model(v.hyper, initial, data, progress=False, options=v.tf_options)


def test_tf_momentum_with_scaled_rate_is_the_courses_momentum(moons):
    """tf.train.MomentumOptimizer has no (1 - beta): with lr * (1 - beta) it follows the course's rule."""
    names = ("momentum", "builtin-momentum-scaled", "builtin-momentum")
    course, scaled, plain = (_tf_run(n, moons, 20) for n in names)
    assert agreement(course, scaled)["max_rel_cost_diff"] < 1e-12
    assert agreement(course, plain)["max_rel_cost_diff"] > 1e-3  # 10x larger steps


def test_tf_adam_differs_from_the_courses_only_by_epsilon(moons):
    course, builtin = _tf_run("adam", moons, 20), _tf_run("builtin-adam", moons, 20)
    diff = agreement(course, builtin)["max_rel_cost_diff"]
    assert 1e-13 < diff < 1e-4


def test_tf_rmsprop_starts_its_average_at_one(moons):
    course, builtin = _tf_run("rmsprop", moons, 1), _tf_run("builtin-rmsprop", moons, 1)
    assert relative_difference(course.costs[0], builtin.costs[0]) > 1e-6


def test_tf_schedules_equal_the_course_formulas():
    from tf1_course.core.compat import tf
    from tf1_course.labs.tf_engine import schedules as tf_schedules

    variants = [v for v in lab_optimization.variants() if v.hyper.decay]
    epochs = [0, 1, 2, 999, 1000, 1500, 4999]
    graph = tf.Graph()
    with graph.as_default():
        epoch = tf_schedules.epoch_placeholder()
        rates = [tf_schedules.learning_rate(v.hyper, epoch, v.tf_options.float64_hyperparameters)
                 for v in variants]
    with tf.Session(graph=graph) as sess:
        for e in epochs:
            got = sess.run(rates, {epoch: e})
            want = [course.learning_rate_after(v.hyper, e) for v in variants]
            np.testing.assert_allclose(got, want, rtol=1e-15)


def test_tf_nn_dropout_is_off_by_default_and_on_when_fed():
    from tf1_course.core.compat import tf
    from tf1_course.labs.tf_engine import regularization

    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(1)
        keep_prob = regularization.keep_prob_placeholder()
        out = regularization.nn_dropout(tf.ones((200, 50), tf.float64), keep_prob, seed=1)
    with tf.Session(graph=graph) as sess:
        assert (sess.run(out) == 1).all()  # evaluation: keep_prob defaults to 1.0
        dropped = sess.run(out, {keep_prob: 0.5})
    assert set(np.unique(dropped)) <= {0.0, 2.0}  # inverted dropout: survivors scaled by 1/keep_prob
    assert 0.45 < (dropped == 0).mean() < 0.55


def test_tf_nn_dropout_variant_trains():
    v = next(x for x in lab_regularization.variants() if x.name == "nn-dropout").replace(num_steps=50)
    data = data2d.load_football()
    r, again = _tf_model(v, data), _tf_model(v, data)
    assert r.costs == again.costs  # seeded: the same numbers every run
    assert r.costs[0] != 0.6543912405149825  # TF draws its own masks, not the course's
    assert r.costs[-1] < r.costs[0]
