"""The course's SIGNS classifier as a TF1 graph: LINEAR-RELU-LINEAR-RELU-LINEAR-SOFTMAX.

Graph builders only: nothing here opens a Session. ``train``, ``evaluate`` and ``predict`` build
the same graph from these functions. Examples are columns, as in the course:

    X   float32 - [12288, m]   flattened 64x64x3 images scaled to [0, 1]
    Y   float32 - [6, m]       one-hot labels
    Z3  float32 - [6, m]       logits

Options beyond the course's model (all off by default, and then the graph is exactly the
course's): L2 regularization (``l2_lambda``), inverted dropout on the hidden layers
(``keep_prob``) and Adam's ``beta1``, the knobs Week 3's hyperparameter search turns, and
batch normalization (``batch_norm``): each hidden layer's Z = W A_prev (no bias: beta takes its
place) is normalized with the mini-batch's mean and variance while training and with their
moving averages (non-trainable variables, updated by every training step) at test time.
"""

from collections import namedtuple

from tf1_course.core import batch_norm as bn
from tf1_course.core.compat import tf

N_X = 64 * 64 * 3  # 12288
N_Y = 6  # classes 0..5
HIDDEN = (25, 12)  # the course's hidden layer sizes

Options = namedtuple("Options", ["hidden", "l2_lambda", "keep_prob", "beta1", "batch_norm", "bn_momentum"])
Options.__new__.__defaults__ = (HIDDEN, 0.0, 1.0, 0.9, False, bn.MOMENTUM)  # the course's model

SignsGraph = namedtuple("SignsGraph", [
    "X", "Y",              # placeholders
    "parameters",          # {"W1": [25, 12288], "b1": [25, 1], ..., "b3": [6, 1]} trainable variables
                           # (batch norm: "gamma1"/"beta1" [25, 1] ... instead of the hidden biases)
    "moving",              # batch norm: {"moving_mean1": [25, 1], "moving_variance1", ...}; else {}
    "Z3",                  # logits [6, m], without dropout
    "probabilities",       # softmax over classes [6, m]
    "cost",                # scalar: what training minimizes and prints (dropout and L2 included)
    "accuracy",            # scalar, fraction of argmax(Z3) == argmax(Y)
    "train_op",            # Adam step (None in an inference graph)
    "global_step",         # int64 scalar variable, Adam steps taken
    "optimizer",           # the AdamOptimizer behind train_op (None in an inference graph)
    "dropout_seed",        # int32 [2] placeholder (epoch's shuffle seed, step) or None without dropout
    "update_ops",          # batch norm: the moving-average updates train_op runs; else []
    "options",             # the Options the graph was built with
    "learning_rate",       # Adam's rate: the float given, or a float64 scalar tensor of global_step (decay)
])


def create_placeholders(n_x, n_y):
    """X: float32 [n_x, None], Y: float32 [n_y, None] (None: any number of examples)."""
    X = tf.placeholder(tf.float32, shape=(n_x, None), name="X")
    Y = tf.placeholder(tf.float32, shape=(n_y, None), name="Y")
    return X, Y


def initialize_parameters(n_x=N_X, hidden=HIDDEN, n_y=N_Y, seed=1, batch_norm=False):
    """Weights Xavier (Glorot uniform, op seed ``seed``), biases zero, made with ``get_variable``.

    The course used ``tf.contrib.layers.xavier_initializer(seed=1)``; contrib is gone, and
    ``glorot_uniform_initializer(seed=1)`` is the same distribution and the same random op.
    Returns {"W1": [25, n_x], "b1": [25, 1], "W2": [12, 25], "b2": [12, 1], "W3": [6, 12], "b3": [6, 1]};
    with ``batch_norm`` each hidden layer has gamma (ones) and beta (zeros) [n_l, 1] instead of b.
    """
    dims = [n_x, *hidden, n_y]
    parameters = {}
    for l in range(1, len(dims)):
        parameters[f"W{l}"] = tf.get_variable(
            f"W{l}", [dims[l], dims[l - 1]], initializer=tf.glorot_uniform_initializer(seed=seed))
        if batch_norm and l < len(dims) - 1:
            parameters[f"gamma{l}"] = tf.get_variable(f"gamma{l}", [dims[l], 1], initializer=tf.ones_initializer())
            parameters[f"beta{l}"] = tf.get_variable(f"beta{l}", [dims[l], 1], initializer=tf.zeros_initializer())
        else:
            parameters[f"b{l}"] = tf.get_variable(f"b{l}", [dims[l], 1], initializer=tf.zeros_initializer())
    return parameters


def create_moving_averages(hidden=HIDDEN):
    """Batch norm's test-time statistics, non-trainable: {"moving_mean1": zeros [25, 1],
    "moving_variance1": ones [25, 1], ...} for each hidden layer."""
    moving = {}
    for l, n_l in enumerate(hidden, start=1):
        moving[f"moving_mean{l}"] = tf.get_variable(f"moving_mean{l}", [n_l, 1], initializer=tf.zeros_initializer(),
                                                    trainable=False)
        moving[f"moving_variance{l}"] = tf.get_variable(f"moving_variance{l}", [n_l, 1],
                                                        initializer=tf.ones_initializer(), trainable=False)
    return moving


def dropout(A, keep_prob, seed):
    """The course's inverted dropout: keep each unit with probability keep_prob, scale by 1/keep_prob.

    The mask is ``stateless_uniform(seed) < keep_prob``: a function of ``seed`` (int32 [2]) only,
    so both training loops, and a resumed run, draw the same masks.
    """
    D = tf.random.stateless_uniform(tf.shape(A), seed=seed) < keep_prob  # (n_l, m)
    return A * tf.cast(D, A.dtype) / keep_prob


def forward_propagation(X, parameters, keep_prob=1.0, dropout_seed=None):
    """LINEAR -> RELU -> LINEAR -> RELU -> LINEAR. X [n_x, m] -> Z3 [n_y, m] (logits, no softmax)."""
    return forward_pass(X, parameters, keep_prob, dropout_seed)[0]


def forward_pass(X, parameters, keep_prob=1.0, dropout_seed=None, moving=None):
    """X [n_x, m] -> (Z3 [n_y, m], batch statistics {l: (mu [n_l, 1], sigma2 [n_l, 1])}).

    With ``keep_prob < 1``, hidden layer l of step s is dropped out with the stateless seed
    [epoch seed, L s + l] (``dropout_seed`` = [epoch seed, s]; L layers): each layer of each step
    its own mask. With batch norm (gamma/beta in ``parameters``) a hidden layer normalizes Z with
    the mini-batch's statistics (returned, for the moving averages) or, given ``moving``, with
    the moving averages (test time).
    """
    L = sum(1 for k in parameters if k.startswith("W"))
    A, statistics = X, {}
    for l in range(1, L):
        Z = tf.matmul(parameters[f"W{l}"], A)  # (n_l, m)
        if f"gamma{l}" in parameters:
            if moving is None:
                mu, sigma2 = statistics[l] = tf.nn.moments(Z, axes=[1], keepdims=True)  # (n_l, 1) each
            else:
                mu, sigma2 = moving[f"moving_mean{l}"], moving[f"moving_variance{l}"]
            A = tf.nn.relu(bn.normalize(Z, mu, sigma2, parameters[f"gamma{l}"], parameters[f"beta{l}"]))
        else:
            A = tf.nn.relu(Z + parameters[f"b{l}"])  # (n_l, m)
        if keep_prob < 1:
            A = dropout(A, keep_prob, dropout_seed * tf.constant([1, L]) + tf.constant([0, l]))
    return tf.matmul(parameters[f"W{L}"], A) + parameters[f"b{L}"], statistics  # (n_y, m)


def moving_average_updates(moving, statistics, in_loop=False, momentum=bn.MOMENTUM):
    """The assign ops that move each moving mean/variance towards this mini-batch's statistics:
    moving = momentum * moving + (1 - momentum) * batch statistic.

    ``in_loop``: built inside a tf.while_loop body, so each step reads the variables afresh.
    """
    updates = []
    for l, (mu, sigma2) in sorted(statistics.items()):
        for name, value in ((f"moving_mean{l}", mu), (f"moving_variance{l}", sigma2)):
            current = moving[name].read_value() if in_loop else None
            updates.append(bn.moving_average_update(moving[name], value, momentum, current))
    return updates


def compute_cost(Z3, Y):
    """Mean softmax cross-entropy. TF wants [m, classes], so Z3 and Y are transposed, as in the course."""
    logits = tf.transpose(Z3)
    labels = tf.transpose(Y)
    return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(logits=logits, labels=labels))


def l2_cost(parameters, l2_lambda, Y):
    """The course's L2 term: (1/m) * (lambda/2) * the sum of every W^[l] squared (m: columns of Y)."""
    m = tf.cast(tf.shape(Y)[1], tf.float32)
    squares = tf.add_n([tf.reduce_sum(tf.square(W)) for k, W in sorted(parameters.items()) if k[0] == "W"])
    return 1 / m * l2_lambda / 2 * squares


def objective(Z, Y, parameters, options):
    """The cost training minimizes for logits Z: the course's cross-entropy, plus L2 when asked."""
    cost = compute_cost(Z, Y)
    if options.l2_lambda:
        cost = cost + l2_cost(parameters, options.l2_lambda, Y)
    return cost


def training_cost(X, Y, parameters, options, dropout_seed=None):
    """One training step's (cost, batch statistics): the forward pass with dropout and batch norm's
    mini-batch statistics (if any), then :func:`objective`."""
    Z, statistics = forward_pass(X, parameters, options.keep_prob, dropout_seed)
    return objective(Z, Y, parameters, options), statistics


def compute_accuracy(Z3, Y):
    """Fraction of columns whose argmax over classes matches the label's."""
    correct = tf.equal(tf.argmax(Z3), tf.argmax(Y))
    return tf.reduce_mean(tf.cast(correct, "float"))


def build_graph(learning_rate=1e-4, hidden=None, seed=1, training=True, n_x=N_X, n_y=N_Y, options=None,
                schedule=None):
    """Everything the course's ``model()`` builds, in the current default graph.

    Sets the graph-level seed (the course's ``tf.set_random_seed(1)``) first, so the same seed
    gives the same initial weights. With ``training=False`` there is no optimizer (predict).
    ``options``: Options (hidden sizes, L2, dropout, Adam's beta1); default the course's model.
    ``hidden``, when given, replaces ``options.hidden``. ``schedule``: a function global_step ->
    learning-rate tensor (learning-rate decay, :mod:`tf1_course.core.schedules`); None: Adam gets
    the float ``learning_rate``, exactly the course's graph.
    """
    options = options or Options()
    if hidden is not None:
        options = options._replace(hidden=tuple(hidden))
    tf.set_random_seed(seed)
    X, Y = create_placeholders(n_x, n_y)
    parameters = initialize_parameters(n_x, options.hidden, n_y, seed=seed, batch_norm=options.batch_norm)
    moving = create_moving_averages(options.hidden) if options.batch_norm else {}
    Z3, _ = forward_pass(X, parameters, moving=moving or None)  # test time: no dropout, moving averages
    Z_train, statistics, dropout_seed = Z3, {}, None
    if training and (options.keep_prob < 1 or options.batch_norm):
        if options.keep_prob < 1:
            dropout_seed = tf.placeholder_with_default(tf.constant([0, 0]), [2], name="dropout_seed")
        Z_train, statistics = forward_pass(X, parameters, options.keep_prob, dropout_seed)
    cost = objective(Z_train, Y, parameters, options)
    global_step = tf.train.get_or_create_global_step()
    optimizer = train_op = None
    update_ops = moving_average_updates(moving, statistics, momentum=options.bn_momentum)
    if training:
        if schedule is not None:
            learning_rate = schedule(global_step)
        optimizer = tf.train.AdamOptimizer(learning_rate, beta1=options.beta1)
        train_op = optimizer.minimize(cost, global_step=global_step)
        if update_ops:  # without this the moving averages never move: the trap of TF1 batch norm
            train_op = bn.with_updates(train_op, update_ops)
    probabilities = tf.nn.softmax(Z3, axis=0)
    return SignsGraph(X, Y, parameters, moving, Z3, probabilities, cost, compute_accuracy(Z3, Y),
                      train_op, global_step, optimizer, dropout_seed, update_ops, options, learning_rate)
