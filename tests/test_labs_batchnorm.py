"""Batch normalization: the NumPy layer against its formula and the gradient check, TF against NumPy."""

import math

import numpy as np
import pytest

from tf1_course.labs import course
from tf1_course.labs.np_engine import batchnorm as nbn
from tf1_course.labs.np_engine import gradcheck

DIMS = (4, 5, 3, 1)
TIGHT = 1e-12  # TF vs NumPy, float64: the same formulas, rounding apart


def _case(m=8, seed=1):
    """X [4, m], Y [1, m] and batch-norm parameters for DIMS with gamma, beta away from 1, 0."""
    rng = np.random.RandomState(seed)
    X, Y = rng.randn(DIMS[0], m), (rng.rand(1, m) > 0.5).astype(np.float64)
    parameters = nbn.initialize_parameters(DIMS)
    parameters = {k: v + 0.3 * rng.randn(*v.shape) for k, v in parameters.items()}
    return X, Y, parameters


def test_forward_is_the_formula_on_a_hand_case():
    Z = np.array([[1., 2., 3., 6.], [-1., -1., -1., -1.]])  # unit 2 is constant: sigma2 = 0
    gamma, beta = np.array([[2.], [3.]]), np.array([[0.5], [-1.]])
    Z_tilde, cache = nbn.batchnorm_forward(Z, gamma, beta)
    assert cache.mu.tolist() == [[3.], [-1.]]
    assert cache.sigma2.tolist() == [[(4 + 1 + 0 + 9) / 4], [0.]]
    std = math.sqrt(3.5 + course.BN_EPSILON)
    np.testing.assert_allclose(Z_tilde[0], [2 * (z - 3) / std + 0.5 for z in (1, 2, 3, 6)], rtol=1e-15)
    assert Z_tilde[1].tolist() == [-1.] * 4  # (Z - mu) = 0: only beta is left, epsilon avoids 0 / 0
    assert abs(cache.Z_norm[0].mean()) < 1e-16
    assert cache.Z_norm[0].var() == pytest.approx(3.5 / (3.5 + course.BN_EPSILON), rel=1e-15)


def test_inference_uses_the_given_statistics():
    Z = np.array([[1., 2., 3., 6.]])
    gamma, beta, mu, sigma2 = np.array([[2.]]), np.array([[0.5]]), np.array([[1.]]), np.array([[4.]])
    out = nbn.batchnorm_inference(Z, gamma, beta, mu, sigma2)
    np.testing.assert_allclose(out, 2 * (Z - 1) / math.sqrt(4 + course.BN_EPSILON) + 0.5, rtol=1e-15)


def test_backward_passes_the_gradient_check():
    X, Y, parameters = _case()
    difference, grad, gradapprox = nbn.gradient_check(X, Y, parameters)
    assert difference < 1e-7  # the course's verdict for a correct backprop (epsilon 1e-7, float64)
    assert grad.shape == gradapprox.shape == (55, 1) and np.abs(grad).min() > 0


def test_the_gradient_check_catches_backprop_that_ignores_the_batch_statistics(monkeypatch):
    """dZ = gamma * dZ_tilde / std forgets that mu and sigma2 depend on Z: the check must see it."""
    X, Y, parameters = _case()
    _, caches = nbn.forward_propagation(X, parameters)
    right = nbn.backward_propagation(Y, caches)
    real = nbn.batchnorm_backward
    monkeypatch.setattr(nbn, "batchnorm_backward",
                        lambda dZ_tilde, c: (c.gamma * dZ_tilde * c.inv_std,) + real(dZ_tilde, c)[1:])
    wrong = nbn.backward_propagation(Y, caches)
    gradapprox = gradcheck.numeric_gradient_of(lambda p: nbn.compute_cost(X, Y, p), parameters,
                                               course.layout_of(parameters))
    assert course.relative_difference(gradcheck.gradients_to_vector(right), gradapprox) < 1e-7
    assert course.relative_difference(gradcheck.gradients_to_vector(wrong), gradapprox) > 1e-3


def test_moving_averages_are_the_courses_exponentially_weighted_average():
    moving = {"mu1": np.zeros((2, 1)), "sigma2_1": np.ones((2, 1))}
    batch = {"mu1": np.array([[1.], [-2.]]), "sigma2_1": np.array([[4.], [0.]])}
    new = nbn.update_moving_averages(moving, batch, momentum=0.9)
    np.testing.assert_allclose(new["mu1"], [[0.1], [-0.2]], rtol=1e-15)
    np.testing.assert_allclose(new["sigma2_1"], [[1.3], [0.9]], rtol=1e-15)
    assert moving["mu1"].tolist() == [[0.], [0.]]  # not modified in place


# ---- TF engine ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tf():
    return pytest.importorskip("tf1_course.core.compat").tf


def test_package_constants_are_the_courses(tf):
    from tf1_course.core import batch_norm

    assert (batch_norm.EPSILON, batch_norm.MOMENTUM) == (course.BN_EPSILON, course.BN_MOMENTUM)
    from tf1_course.signs.settings import TrainConfig

    assert TrainConfig.bn_momentum == batch_norm.MOMENTUM  # train --bn-momentum's default


def test_tf_layer_gradients_equal_the_numpy_backward_pass(tf):
    """J = (1/m) sum(G * Z_tilde) makes m dJ/dZ_tilde = G: the upstream dZ_tilde, course convention."""
    from tf1_course.core import batch_norm

    rng = np.random.RandomState(2)
    Z_value, G = rng.randn(3, 7), rng.randn(3, 7)
    gamma, beta = 1 + 0.5 * rng.randn(3, 1), rng.randn(3, 1)
    graph = tf.Graph()
    with graph.as_default():
        Z = tf.constant(Z_value)
        layer = batch_norm.batch_norm(Z, batch_norm.training_flag(),
                                      gamma_initializer=tf.constant_initializer(gamma),
                                      beta_initializer=tf.constant_initializer(beta))
        J = tf.reduce_sum(G * layer.Z_tilde) / 7
        grads = tf.gradients(J, [Z, layer.gamma, layer.beta])
        init = tf.global_variables_initializer()
    with tf.Session(graph=graph) as sess:
        sess.run(init)
        dZ, dgamma, dbeta = sess.run(grads, {"is_training:0": True})
        Z_tilde = sess.run(layer.Z_tilde, {"is_training:0": True})
    want_Z_tilde, cache = nbn.batchnorm_forward(Z_value, gamma, beta)
    want = nbn.batchnorm_backward(G, cache)
    np.testing.assert_allclose(Z_tilde, want_Z_tilde, rtol=TIGHT)
    for got, expected in zip((7 * dZ, dgamma, dbeta), want):
        assert course.relative_difference(got, expected) < TIGHT


def _build(tf, parameters, **kwargs):
    from tf1_course.labs.tf_engine import batchnorm as tbn

    graph = tf.Graph()
    with graph.as_default():
        g = tbn.build_graph(parameters, learning_rate=0.1, **kwargs)
    graph.finalize()
    return graph, g


def _moving(sess, g):
    return sess.run({k: v for l, layer in enumerate(g.layers, start=1)
                     for k, v in ((f"mu{l}", layer.moving_mean), (f"sigma2_{l}", layer.moving_variance))})


def test_tf_network_forward_and_gradients_equal_numpy(tf):
    X, Y, parameters = _case()
    graph, g = _build(tf, parameters)
    with tf.Session(graph=graph) as sess:
        sess.run(g.init_op)
        AL, cost, grads = sess.run([g.AL, g.cost, g.grads], {g.X: X, g.Y: Y, g.is_training: True})
        AL_inference = sess.run(g.AL, {g.X: X})  # is_training defaults to False
    want_AL, caches = nbn.forward_propagation(X, parameters)
    want = nbn.backward_propagation(Y, caches)
    np.testing.assert_allclose(AL, want_AL, rtol=TIGHT)
    assert cost == pytest.approx(nbn.compute_cost(X, Y, parameters), rel=TIGHT)
    assert set(grads) == set(want)
    for k in want:
        assert course.relative_difference(grads[k], want[k]) < TIGHT, k
    # inference uses the moving averages (still 0 and 1 here), not this batch's statistics
    moving = nbn.initialize_moving_averages(parameters)
    np.testing.assert_allclose(AL_inference, nbn.forward_propagation(X, parameters, moving)[0], rtol=TIGHT)
    assert np.abs(AL_inference - AL).max() > 1e-3


def test_moving_averages_are_tf_variables_updated_by_update_ops(tf):
    _, _, parameters = _case()
    graph, g = _build(tf, parameters)
    updates = graph.get_collection(tf.GraphKeys.UPDATE_OPS)
    assert len(updates) == 2 * len(g.layers) == 4
    trainable = set(graph.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES))
    assert set(g.parameters.values()) == trainable
    assert not {v for layer in g.layers for v in (layer.moving_mean, layer.moving_variance)} & trainable


@pytest.mark.parametrize("with_updates", [True, False])
def test_the_trap_shown_moving_averages_need_the_update_ops(tf, with_updates):
    """Three training steps: with UPDATE_OPS in the train op the moving averages are the NumPy
    engine's EWMA of the batch statistics; without, they never leave 0 and 1 while training goes on."""
    X, Y, parameters = _case()
    graph, g = _build(tf, parameters, update_moving_averages=with_updates)
    np_parameters, np_moving = parameters, nbn.initialize_moving_averages(parameters)
    with tf.Session(graph=graph) as sess:
        sess.run(g.init_op)
        start = _moving(sess, g)
        for _ in range(3):
            _, cost = sess.run([g.train_op, g.cost], {g.X: X, g.Y: Y, g.is_training: True})
            np_cost, np_parameters, np_moving = nbn.gradient_descent_step(np_parameters, np_moving, X, Y,
                                                                          0.1)
            assert cost == pytest.approx(np_cost, rel=TIGHT)  # training itself goes on either way
        moving = _moving(sess, g)
        AL_inference = sess.run(g.AL, {g.X: X})
    for k, v in start.items():
        assert (v == (0. if k.startswith("mu") else 1.)).all()
    if with_updates:
        for k in np_moving:
            assert np.abs(moving[k] - start[k]).min() > 0, k  # every statistic moved
            assert course.relative_difference(moving[k], np_moving[k]) < TIGHT, k
        want = nbn.forward_propagation(X, np_parameters, np_moving)[0]
        np.testing.assert_allclose(AL_inference, want, rtol=TIGHT)
    else:
        assert all((moving[k] == start[k]).all() for k in start)  # the trap: still 0 and 1


def test_float32_layer_and_inference_default(tf):
    """The SIGNS model's dtype: float32 variables; without a feed, inference normalizes with (0, 1)."""
    from tf1_course.core import batch_norm

    graph = tf.Graph()
    with graph.as_default():
        Z = tf.placeholder(tf.float32, shape=(6, None))
        layer = batch_norm.batch_norm(Z, batch_norm.training_flag("training"), scope="bn1")
        init = tf.global_variables_initializer()
    assert layer.gamma.dtype.base_dtype == layer.moving_variance.dtype.base_dtype == tf.float32
    assert layer.gamma.name == "bn1/gamma:0" and layer.moving_mean.name == "bn1/moving_mean:0"
    Z_value = np.random.RandomState(0).randn(6, 5).astype(np.float32)
    with tf.Session(graph=graph) as sess:
        sess.run(init)
        inference = sess.run(layer.Z_tilde, {Z: Z_value})
        training = sess.run(layer.Z_tilde, {Z: Z_value, "training:0": True})
    np.testing.assert_allclose(inference, Z_value / np.sqrt(np.float32(1 + 1e-8)), rtol=1e-6)
    np.testing.assert_allclose(training.mean(axis=1), 0, atol=1e-6)
    np.testing.assert_allclose(training.var(axis=1), 1, rtol=1e-4)


@pytest.mark.parametrize("is_training", [True, False])
def test_a_python_bool_builds_one_mode(tf, is_training):
    from tf1_course.core import batch_norm

    Z_value = np.random.RandomState(3).randn(4, 6)
    graph = tf.Graph()
    with graph.as_default():
        layer = batch_norm.batch_norm(tf.constant(Z_value), is_training)
        init = tf.global_variables_initializer()
    with tf.Session(graph=graph) as sess:
        sess.run(init)
        got = sess.run(layer.Z_tilde)
    if is_training:
        want = nbn.batchnorm_forward(Z_value, np.ones((4, 1)), np.zeros((4, 1)))[0]
    else:
        want = nbn.batchnorm_inference(Z_value, 1., 0., np.zeros((4, 1)), np.ones((4, 1)))
    np.testing.assert_allclose(got, want, rtol=TIGHT)
