"""The course's first TensorFlow 1 examples, before the SIGNS model (``tf1-course basics``: labs/cli.py).

One small function per example, in the course's order. Each builds its own fresh graph, runs it
in a Session that it closes, and returns the values (NumPy), so tests can check them against the
numbers the course prints. ``config`` is an optional ``tf.ConfigProto`` for those Sessions.

    tf1-course basics           # all examples, a heading each
    tf1-course basics sigmoid   # one of them (names: tf1-course basics --help)

TensorFlow is imported inside the functions (through :mod:`tf1_course.core.compat`), so ``--help``
does not pay for it.
"""

from collections import namedtuple

import numpy as np

QUADRATIC = [[1.0], [-10.0], [25.0]]  # J(w) = w^2 - 10w + 25 = (w - 5)^2, minimum at w = 5


def _tf():
    from tf1_course.core.compat import tf

    return tf


def loss_variable(config=None):
    """y_hat = 36, y = 39 as int32 constants; loss = Variable((y - y_hat)^2). Returns int32 9."""
    tf = _tf()
    with tf.Graph().as_default():
        y_hat = tf.constant(36, name="y_hat")
        y = tf.constant(39, name="y")
        loss = tf.Variable((y - y_hat) ** 2, name="loss")
        init = tf.global_variables_initializer()  # a Variable has no value until this runs
        with tf.Session(config=config) as sess:
            sess.run(init)
            return sess.run(loss)


Constants = namedtuple("Constants", ["tensor", "value"])


def constants(config=None):
    """c = 2 * 10 with int32 constants.

    Returns Constants(tensor=str(c) before any Session ran, e.g. 'Tensor("Mul:0", shape=(),
    dtype=int32)': building the graph computes nothing; value=int32 20 from sess.run(c)).
    """
    tf = _tf()
    with tf.Graph().as_default():
        a = tf.constant(2, name="a")
        b = tf.constant(10, name="b")
        c = tf.multiply(a, b)
        tensor = str(c)
        with tf.Session(config=config) as sess:
            return Constants(tensor, sess.run(c))


Placeholders = namedtuple("Placeholders", ["twice_x", "a_plus_b"])


def placeholders(config=None):
    """Values given only when the graph runs, through feed_dict.

    Returns Placeholders(twice_x=int64 6: 2 * x with an int64 placeholder x fed 3,
    a_plus_b=float32 9.0: a + b with float32 placeholders fed 4 and 5).
    """
    tf = _tf()
    with tf.Graph().as_default():
        x = tf.placeholder(tf.int64, name="x")
        a = tf.placeholder(tf.float32, name="a")
        b = tf.placeholder(tf.float32, name="b")
        twice_x, a_plus_b = 2 * x, a + b
        with tf.Session(config=config) as sess:
            return Placeholders(sess.run(twice_x, feed_dict={x: 3}),
                                sess.run(a_plus_b, feed_dict={a: 4, b: 5}))


def linear_function(seed=1, config=None):
    """Y = WX + b with X = randn(3, 1), W = randn(4, 3), b = randn(4, 1) drawn in that order.

    The draws are the course's ``np.random.seed(1)`` stream (a RandomState(seed), so NumPy's
    global state is left alone), held as float64 constants. Returns float64 [4, 1].
    """
    tf = _tf()
    rng = np.random.RandomState(seed)
    with tf.Graph().as_default():
        X = tf.constant(rng.randn(3, 1), name="X")  # (3, 1)
        W = tf.constant(rng.randn(4, 3), name="W")  # (4, 3)
        b = tf.constant(rng.randn(4, 1), name="b")  # (4, 1)
        Y = tf.add(tf.matmul(W, X), b)  # (4, 1)
        with tf.Session(config=config) as sess:
            return sess.run(Y)


def sigmoid(z, config=None):
    """1 / (1 + exp(-z)) through a float32 placeholder. z: scalar or array -> float32, same shape."""
    tf = _tf()
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, name="x")
        s = tf.sigmoid(x)
        with tf.Session(config=config) as sess:
            return sess.run(s, feed_dict={x: z})


def cost(logits, labels, config=None):
    """Per-example sigmoid cross-entropy, ``tf.nn.sigmoid_cross_entropy_with_logits``.

    logits: float [m] (z, the last linear unit before the sigmoid); labels: 0/1 [m] (y).
    Returns float32 [m]: -(y log sigmoid(z) + (1 - y) log(1 - sigmoid(z))).
    """
    tf = _tf()
    with tf.Graph().as_default():
        z = tf.placeholder(tf.float32, name="logits")
        y = tf.placeholder(tf.float32, name="labels")
        loss = tf.nn.sigmoid_cross_entropy_with_logits(logits=z, labels=y)
        with tf.Session(config=config) as sess:
            return sess.run(loss, feed_dict={z: logits, y: labels})


def one_hot_matrix(labels, C, config=None):
    """The course's ``tf.one_hot(labels, C, axis=0)``: int [m] -> float32 [C, m].

    Entry (i, j) is 1 where example j has label i (examples are columns).
    """
    tf = _tf()
    with tf.Graph().as_default():
        one_hot = tf.one_hot(labels, tf.constant(C, name="C"), axis=0)
        with tf.Session(config=config) as sess:
            return sess.run(one_hot)


def ones(shape, config=None):
    """tf.ones(shape) -> float32 array of ``shape`` filled with 1."""
    return _evaluate(lambda tf: tf.ones(shape), config)


def zeros(shape, config=None):
    """tf.zeros(shape) -> float32 array of ``shape`` filled with 0."""
    return _evaluate(lambda tf: tf.zeros(shape), config)


def _evaluate(make, config):
    """Run the tensor ``make(tf)`` builds in a fresh graph and Session."""
    tf = _tf()
    with tf.Graph().as_default():
        t = make(tf)
        with tf.Session(config=config) as sess:
            return sess.run(t)


Minimum = namedtuple("Minimum", ["w", "cost"])


def minimize_quadratic(steps=1000, learning_rate=0.01, config=None):
    """Gradient descent on J(w) = w^2 - 10w + 25, written into the graph, from w = 0.

    Only the forward computation is written; the optimizer adds the backward pass.
    Returns Minimum(w, cost), float32 scalars after ``steps`` steps (w -> 5, cost -> 0).
    """
    tf = _tf()
    with tf.Graph().as_default():
        w = tf.Variable(0, dtype=tf.float32, name="w")
        J = w ** 2 - 10 * w + 25
        return _descend(J, w, {}, steps, learning_rate, config)


def minimize_quadratic_fed(coefficients=QUADRATIC, steps=1000, learning_rate=0.01, config=None):
    """The same with the data fed in: J(w) = x[0] w^2 + x[1] w + x[2], x a float32 [3, 1] placeholder.

    coefficients: [3, 1], the course's [[1.], [-10.], [25.]] by default. Returns Minimum(w, cost).
    """
    tf = _tf()
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [3, 1], name="x")
        w = tf.Variable(0, dtype=tf.float32, name="w")
        J = x[0][0] * w ** 2 + x[1][0] * w + x[2][0]
        return _descend(J, w, {x: coefficients}, steps, learning_rate, config)


def _descend(J, w, feed, steps, learning_rate, config):
    """Run ``steps`` GradientDescentOptimizer steps on J in the default graph; Minimum(w, J)."""
    tf = _tf()
    train_op = tf.train.GradientDescentOptimizer(learning_rate).minimize(J)
    init = tf.global_variables_initializer()
    with tf.Session(config=config) as sess:
        sess.run(init)
        for _ in range(steps):
            sess.run(train_op, feed_dict=feed)
        return Minimum(*sess.run([w, J], feed_dict=feed))


Network = namedtuple("Network", ["x", "target", "learning_rate", "W", "y", "loss", "optimizer"])


def build_network(initial_W=(0.2, 0.7)):
    """The lecture's "Training a Network" graph in the default graph (no Session).

    x float32 [2], target and learning_rate float32 scalars (placeholders);
    W float32 [2] = get_variable("W", initializer=initial_W); y = sum(x * W) scalar;
    loss = (target - y)^2 scalar; optimizer: GradientDescentOptimizer(learning_rate).
    """
    tf = _tf()
    x = tf.placeholder(tf.float32, [2], name="x")
    target = tf.placeholder(tf.float32, name="target")
    learning_rate = tf.placeholder(tf.float32, name="learning_rate")
    W = tf.get_variable("W", initializer=list(initial_W))
    y = tf.reduce_sum(x * W)
    loss = tf.pow(target - y, 2.0)
    optimizer = tf.train.GradientDescentOptimizer(learning_rate=learning_rate)
    return Network(x, target, learning_rate, W, y, loss, optimizer)


def train_network(epochs=10, x=(1.0, 1.0), target=20.0, learning_rate=0.1, config=None):
    """``epochs`` runs of sess.run([y, train_op]). Returns float32 [epochs]: y before each update.

    y moves from 0.2 + 0.7 = 0.9 towards the target 20: W1 * 1 + W2 * 1 = 20.
    """
    tf = _tf()
    with tf.Graph().as_default():
        g = build_network()
        train_op = g.optimizer.minimize(g.loss)
        init = tf.global_variables_initializer()
        feed = {g.x: list(x), g.target: target, g.learning_rate: learning_rate}
        with tf.Session(config=config) as sess:
            sess.run(init)
            results = [sess.run([g.y, train_op], feed_dict=feed)[0] for _ in range(epochs)]
    return np.array(results, dtype=np.float32)


Gradients = namedtuple("Gradients", ["gradient", "W_before", "W_after"])


def compute_gradients(x=(1.0, 1.0), target=20.0, config=None):
    """optimizer.compute_gradients(loss) for the network above: gradients, no update.

    Returns Gradients(gradient=float32 [2] d loss / d W = -2 (target - y) x at the initial W,
    W_before, W_after=float32 [2]: W around running the gradients, equal since nothing was applied).
    """
    tf = _tf()
    with tf.Graph().as_default():
        g = build_network()
        (grad, _), = g.optimizer.compute_gradients(g.loss, var_list=[g.W])
        init = tf.global_variables_initializer()
        feed = {g.x: list(x), g.target: target}  # no learning rate: nothing is applied
        with tf.Session(config=config) as sess:
            sess.run(init)
            W_before = sess.run(g.W)
            gradient = sess.run(grad, feed_dict=feed)
            return Gradients(gradient, W_before, sess.run(g.W))


# --- the command: what each example prints, in the course's words where it has them ---

LOGITS = [0.2, 0.4, 0.7, 0.9]
LABELS = [0, 0, 1, 1]


def _show_loss(config):
    print(loss_variable(config=config))


def _show_constants(config):
    c = constants(config=config)
    print(f"print(c) before a Session: {c.tensor}")
    print(f"sess.run(c): {c.value}")


def _show_placeholders(config):
    p = placeholders(config=config)
    print(f"2 * x with x = 3: {p.twice_x}")
    print(f"a + b with a = 4, b = 5: {p.a_plus_b}")


def _show_linear_function(config):
    print("result = \n" + str(linear_function(config=config)))


def _show_sigmoid(config):
    print(f"sigmoid(0) = {sigmoid(0, config=config)!s}")
    s12 = sigmoid(12, config=config)
    print(f"sigmoid(12) = {s12!s} (to 6 digits: {s12:.6f})")


def _show_cost(config):
    logits = np.array(LOGITS)
    print(f"cost(logits, labels)          = {cost(logits, np.array(LABELS), config=config)}")
    print(f"cost(sigmoid(logits), labels) = "
          f"{cost(sigmoid(logits, config=config), np.array(LABELS), config=config)}")


def _show_one_hot(config):
    for labels, C in (([1, 2, 3, 0, 2, 1], 4), ([1, 2, 0, 1], 3)):
        print(f"one_hot_matrix({labels}, C = {C}) = \n{one_hot_matrix(np.array(labels), C, config=config)}")


def _show_ones_zeros(config):
    print(f"ones([3]) = {ones([3], config=config)}")
    print(f"zeros([3]) = {zeros([3], config=config)}")


def _show_minimize(config):
    m = minimize_quadratic(config=config)
    print(f"J(w) written into the graph, from w = 0: "
          f"w = {m.w!s}, J(w) = {m.cost!s}")
    m = minimize_quadratic_fed(config=config)
    print(f"coefficients fed as x = {QUADRATIC}: w = {m.w!s}, J(w) = {m.cost!s}")


def _show_training(config):
    for result in train_network(config=config):
        print("Result: ", result)


def _show_compute_gradients(config):
    g = compute_gradients(config=config)
    print(f"W = {g.W_before}, x = [1. 1.], target = 20: d loss / d W = {g.gradient}")
    print(f"W after running compute_gradients: {g.W_after} (gradients computed, nothing updated)")


# name -> (heading, function that prints the example). Order: the course's.
EXAMPLES = {
    "loss": ("a Variable: loss = (y - y_hat)^2 with y_hat = 36, y = 39", _show_loss),
    "constants": ("2 * 10, and the Tensor printed without a Session", _show_constants),
    "placeholders": ("values fed to placeholders with feed_dict", _show_placeholders),
    "linear_function": ("Y = WX + b with random constants, np.random.seed(1)", _show_linear_function),
    "sigmoid": ("sigmoid(z) through a float32 placeholder", _show_sigmoid),
    "cost": ("sigmoid_cross_entropy_with_logits, labels [0, 0, 1, 1]", _show_cost),
    "one_hot": ("tf.one_hot(labels, C, axis=0): one column per example", _show_one_hot),
    "ones_zeros": ("tf.ones(shape) and tf.zeros(shape)", _show_ones_zeros),
    "minimize": ("J(w) = w^2 - 10w + 25 with GradientDescentOptimizer(0.01), 1000 steps", _show_minimize),
    "training": ("the lecture's Training a Network: y = sum(x * W), loss = (target - y)^2", _show_training),
    "compute_gradients": ("optimizer.compute_gradients(loss): gradients without an update",
                          _show_compute_gradients),
}
