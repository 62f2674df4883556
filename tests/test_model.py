import numpy as np

from tf1_course.signs import model
from tf1_course.core.compat import tf


def _softmax_ce(Z, Y):
    Z = Z - Z.max(axis=0, keepdims=True)
    logp = Z - np.log(np.exp(Z).sum(axis=0, keepdims=True))
    return float(-(Y * logp).sum(axis=0).mean())


def test_placeholders_and_parameter_shapes():
    with tf.Graph().as_default():
        X, Y = model.create_placeholders(12288, 6)
        assert X.dtype == tf.float32 and X.shape.as_list() == [12288, None]
        assert Y.shape.as_list() == [6, None]
        p = model.initialize_parameters()
        shapes = {k: v.shape.as_list() for k, v in p.items()}
        assert shapes == {"W1": [25, 12288], "b1": [25, 1], "W2": [12, 25], "b2": [12, 1],
                          "W3": [6, 12], "b3": [6, 1]}


def _init_values(seed):
    with tf.Graph().as_default():
        g = model.build_graph(seed=seed)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            return sess.run(g.parameters)


def test_xavier_init_is_seeded_and_in_glorot_range():
    a, b, c = _init_values(1), _init_values(1), _init_values(2)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    assert not np.array_equal(a["W1"], c["W1"])
    limit = np.sqrt(6 / (12288 + 25))
    assert np.abs(a["W1"]).max() <= limit and np.abs(a["W1"]).max() > 0.9 * limit
    assert abs(a["W1"].std() - limit / np.sqrt(3)) < 1e-3  # uniform(-l, l) has std l/sqrt(3)
    for k in ("b1", "b2", "b3"):
        assert not a[k].any()


def test_forward_cost_and_accuracy_match_numpy():
    rng = np.random.RandomState(0)
    X = rng.rand(12288, 5).astype(np.float32)
    labels = np.array([0, 1, 2, 3, 5])
    Y = np.eye(6, dtype=np.float32)[labels].T
    with tf.Graph().as_default():
        g = model.build_graph(seed=3, training=False)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            p = sess.run(g.parameters)
            Z3, cost, acc, probs = sess.run([g.Z3, g.cost, g.accuracy, g.probabilities], {g.X: X, g.Y: Y})
    A1 = np.maximum(0, p["W1"] @ X + p["b1"])
    A2 = np.maximum(0, p["W2"] @ A1 + p["b2"])
    Z = p["W3"] @ A2 + p["b3"]
    np.testing.assert_allclose(Z3, Z, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(cost, _softmax_ce(Z.astype(np.float64), Y), rtol=1e-5)
    assert acc == np.float32(np.mean(Z.argmax(axis=0) == labels))
    np.testing.assert_allclose(probs.sum(axis=0), 1, rtol=1e-6)


def test_adam_step_lowers_the_cost():
    rng = np.random.RandomState(1)
    X = rng.rand(12288, 8).astype(np.float32)
    Y = np.eye(6, dtype=np.float32)[rng.randint(0, 6, 8)].T
    with tf.Graph().as_default():
        g = model.build_graph(learning_rate=1e-3)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            before = sess.run(g.cost, {g.X: X, g.Y: Y})
            for _ in range(5):
                sess.run(g.train_op, {g.X: X, g.Y: Y})
            assert sess.run(g.cost, {g.X: X, g.Y: Y}) < before
            assert sess.run(g.global_step) == 5
