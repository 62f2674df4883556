"""The NumPy SIGNS engine (np_engine/signs.py) against the TF model it writes out (model.py through
tf_engine/signs.py): forward, backward, TF's Adam, whole training runs; and its gradient check."""

import numpy as np
import pytest

from tf1_course.core import minibatches
from tf1_course.labs.np_engine import batchnorm as nbn
from tf1_course.labs.np_engine import signs as ns
from tf1_course.labs.np_engine.optimizers import update_parameters_with_adam, update_parameters_with_tf_adam
from tf1_course.signs.loops import course_divisor, course_epoch_cost
from tf1_course.signs.settings import resolve_config

DIMS = (30, 5, 4, 6)  # n_x, the two hidden layers, 6 classes: the SIGNS model, small
TIGHT = 1e-12  # float64 on both engines: the same formulas, rounding apart


def make_parameters(batch_norm, seed=0, dims=DIMS):
    """{"W1", "b1" | "gamma1", "beta1", ..., "W3", "b3"} with every entry away from its start."""
    rng = np.random.RandomState(seed)
    p = {}
    for l in range(1, len(dims)):
        p[f"W{l}"] = rng.randn(dims[l], dims[l - 1]) / np.sqrt(dims[l - 1])
        names = ("gamma", "beta") if batch_norm and l < len(dims) - 1 else ("b",)
        for name in names:
            p[f"{name}{l}"] = (1 if name == "gamma" else 0) + 0.3 * rng.randn(dims[l], 1)
    return p


def make_data(m, seed=1, dims=DIMS):
    """X [n_x, m] in [0, 1], Y one-hot [6, m]."""
    rng = np.random.RandomState(seed)
    return rng.rand(dims[0], m), np.eye(dims[-1])[:, rng.randint(0, dims[-1], m)]


def moving_averages(dims=DIMS, seed=2):
    """Test-time statistics under the TF model's names, away from 0 and 1."""
    rng = np.random.RandomState(seed)
    out = {}
    for l, n in enumerate(dims[1:-1], start=1):
        out[f"moving_mean{l}"], out[f"moving_variance{l}"] = rng.randn(n, 1), 0.5 + rng.rand(n, 1)
    return out


def course_names(moving):
    """{"moving_mean1": ...} -> np_engine's {"mu1": ..., "sigma2_1": ...}."""
    return {(f"mu{k[-1]}" if "mean" in k else f"sigma2_{k[-1]}"): v for k, v in moving.items()}


def check_graph(parameters, moving=None, learning_rate=None):
    """(tf.Graph, SignsCheckGraph) for the model's float64 copy starting from these arrays."""
    from tf1_course.core.compat import tf
    from tf1_course.labs.tf_engine import signs as ts

    graph = tf.Graph()
    with graph.as_default():
        g = ts.build_graph(parameters, moving, learning_rate)
    return graph, g


def session_run(graph, g, fetches, feed):
    from tf1_course.core.compat import tf
    from tf1_course.labs.tf_engine import signs as ts

    with tf.Session(graph=graph, config=ts.session_config()) as sess:
        sess.run(g.init_op)
        return sess.run(fetches, feed)


def relative(a, b):
    return np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b))


@pytest.mark.parametrize("batch_norm", [False, True])
def test_numpy_forward_is_the_tf_models_in_training_and_test_mode(batch_norm):
    p, moving = make_parameters(batch_norm), moving_averages()
    X, Y = make_data(16)
    graph, g = check_graph(p, moving)
    Z3_train, Z3_test, cost = session_run(graph, g, [g.Z3_train, g.Z3_test, g.cost], {g.X: X, g.Y: Y})
    ours_train, _ = ns.forward_propagation(X, p)
    ours_test, _ = ns.forward_propagation(X, p, course_names(moving) if batch_norm else None)
    np.testing.assert_allclose(ours_train, Z3_train, rtol=TIGHT, atol=TIGHT)
    np.testing.assert_allclose(ours_test, Z3_test, rtol=TIGHT, atol=TIGHT)
    assert ns.compute_cost(ours_train, Y) == pytest.approx(cost, rel=TIGHT)
    # with batch norm the two modes differ (else the comparison of test mode would prove nothing)
    assert (np.abs(ours_train - ours_test).max() > 0.1) == batch_norm


@pytest.mark.parametrize("batch_norm", [False, True])
def test_tf_gradients_are_the_numpy_backward(batch_norm):
    p = make_parameters(batch_norm)
    X, Y = make_data(16)
    graph, g = check_graph(p)
    tf_grads = session_run(graph, g, g.grads, {g.X: X, g.Y: Y})
    Z3, caches = ns.forward_propagation(X, p)
    grads = ns.backward_propagation(Z3, Y, caches)
    assert sorted(grads) == sorted(tf_grads) == sorted(f"d{k}" for k in p)
    for k in grads:
        assert grads[k].shape == p[k[1:]].shape
        assert relative(grads[k], tf_grads[k]) < TIGHT, k


@pytest.mark.parametrize("batch_norm", [False, True])
def test_backward_passes_the_gradient_check(batch_norm):
    p = make_parameters(batch_norm, dims=(4, 5, 3, 6))
    X, Y = make_data(8, dims=(4, 5, 3, 6))
    difference, grad, gradapprox = ns.gradient_check(X, Y, p)
    assert difference < 1e-7  # the course's verdict for a correct backprop (epsilon 1e-7, float64)
    n = sum(v.size for v in p.values())
    assert grad.shape == gradapprox.shape == (n, 1) and np.abs(grad).max() > 1e-3


def test_the_gradient_check_catches_batch_norm_backprop_that_ignores_the_batch_statistics(monkeypatch):
    p = make_parameters(True, dims=(4, 5, 3, 6))
    X, Y = make_data(8, dims=(4, 5, 3, 6))
    real = nbn.batchnorm_backward
    monkeypatch.setattr(nbn, "batchnorm_backward",
                        lambda dZ_tilde, c: (c.gamma * dZ_tilde * c.inv_std,) + real(dZ_tilde, c)[1:])
    difference, _, _ = ns.gradient_check(X, Y, p)
    assert difference > 1e-2


def test_adam_is_tensorflows_adam_optimizer_not_the_courses_formula():
    """Five steps with given gradients, some tiny (where epsilon's place matters), in float64."""
    from tf1_course.core.compat import tf

    rng = np.random.RandomState(3)
    start = {"W1": rng.randn(3, 2), "b1": rng.randn(3, 1)}
    steps = [{f"d{k}": rng.randn(*v.shape) * np.array([1e-7, 1e-2, 1.0])[:, None] for k, v in start.items()}
             for _ in range(5)]
    lr, beta1, beta2, eps = 0.01, 0.9, 0.999, 1e-8
    graph = tf.Graph()
    with graph.as_default():
        variables = {k: tf.Variable(v) for k, v in start.items()}
        fed = {k: tf.placeholder(tf.float64, v.shape) for k, v in start.items()}
        c = lambda x: tf.constant(x, tf.float64)  # noqa: E731 (Python floats would be float32)
        train = tf.train.AdamOptimizer(c(lr), c(beta1), c(beta2), c(eps)).apply_gradients(
            [(fed[k], variables[k]) for k in start])
        init = tf.global_variables_initializer()
    with tf.Session(graph=graph) as sess:
        sess.run(init)
        for grads in steps:
            sess.run(train, {fed[k]: grads[f"d{k}"] for k in start})
        want = sess.run(variables)
    def zeros(prefix=""):
        return {prefix + k: np.zeros_like(a) for k, a in start.items()}

    ours, m, v = dict(start), zeros(), zeros()
    course, vc, sc = dict(start), zeros("d"), zeros("d")
    for t, grads in enumerate(steps, start=1):
        ours = update_parameters_with_tf_adam(ours, grads, m, v, t, lr, beta1, beta2, eps)
        course, vc, sc = update_parameters_with_adam(course, grads, vc, sc, t, lr, beta1, beta2, eps)
    for k in start:
        np.testing.assert_allclose(ours[k], want[k], rtol=1e-14, atol=1e-16)
    # the course's epsilon sits after the bias correction: the rows with gradients ~1e-7 move differently
    assert np.abs(course["W1"][0] - want["W1"][0]).max() > 1e-4
    np.testing.assert_allclose(course["W1"][2], want["W1"][2], rtol=1e-6)  # gradients ~1: about the same


@pytest.mark.parametrize("batch_norm", [False, True])
def test_numpy_training_is_the_tf_models_step_for_step_in_float64(batch_norm):
    """ns.model against the model's float64 graph with tf.train.AdamOptimizer and the moving
    averages, on the same mini-batches (44 = 5 x 8 + 4: a short last one) for 3 epochs."""
    p = make_parameters(batch_norm)
    X, Y = make_data(44)
    X_test, Y_test = make_data(10, seed=5)
    cfg = resolve_config({"learning_rate": 0.01, "batch_norm": batch_norm, "num_epochs": 3, "minibatch_size": 8})
    result = ns.model({"train": (X, Y), "test": (X_test, Y_test)}, p, cfg, progress=False)

    from tf1_course.core.compat import tf

    graph, g = check_graph(p, learning_rate=cfg.learning_rate)
    costs = []
    with tf.Session(graph=graph) as sess:
        sess.run(g.init_op)
        for epoch in range(3):
            batches = minibatches.random_mini_batches(X, Y, 8, cfg.minibatch_seed + epoch + 1)
            assert [b[0].shape[1] for b in batches] == [8] * 5 + [4]
            batch_costs = [sess.run([g.train_op, g.cost], {g.X: bx, g.Y: by})[1] for bx, by in batches]
            costs.append(course_epoch_cost(batch_costs, course_divisor(44, 8)))
        trained = sess.run({**g.parameters, **g.moving})
        Z3_train, Z3_test = (sess.run(g.Z3_test, {g.X: x}) for x in (X, X_test))  # test mode on both sets

    assert result.outcome == "finished" and len(result.costs) == 3
    np.testing.assert_allclose(result.costs, costs, rtol=TIGHT)
    assert costs[-1] < costs[0]  # it trained
    assert sorted(result.parameters) == sorted(trained)  # batch norm: the moving averages too
    for k in trained:
        np.testing.assert_allclose(result.parameters[k], trained[k], rtol=1e-10, atol=1e-12, err_msg=k)
    if batch_norm:
        assert np.abs(trained["moving_variance1"] - 1).max() > 1e-3  # they moved
    accuracy = lambda Z3, Y: float(np.mean(np.argmax(Z3, 0) == np.argmax(Y, 0), dtype=np.float32))  # noqa: E731
    assert (result.train_accuracy, result.test_accuracy) == (accuracy(Z3_train, Y), accuracy(Z3_test, Y_test))


def test_a_cost_that_is_not_finite_stops_numpy_training():
    p = make_parameters(False)
    p["W3"] = p["W3"] * np.nan
    X, Y = make_data(16)
    cfg = resolve_config({"learning_rate": 0.01, "num_epochs": 3, "minibatch_size": 8})
    result = ns.model({"train": (X, Y), "test": (X, Y)}, p, cfg, progress=False)
    assert result.outcome == "diverged" and result.costs == [] and "epoch 0" in result.message
    assert result.train_accuracy is None
