"""The course's SIGNS classifier as a TF1 graph: LINEAR-RELU-LINEAR-RELU-LINEAR-SOFTMAX.

Graph builders only: nothing here opens a Session. ``train``, ``evaluate`` and ``predict`` build
the same graph from these functions. Examples are columns, as in the course:

    X   float32 - [12288, m]   flattened 64x64x3 images scaled to [0, 1]
    Y   float32 - [6, m]       one-hot labels
    Z3  float32 - [6, m]       logits

Options beyond the course's model (all off by default, and then the graph is exactly the
course's): L2 regularization (``l2_lambda``), inverted dropout on the hidden layers
(``keep_prob``) and Adam's ``beta1``, the knobs Week 3's hyperparameter search turns.
"""

from collections import namedtuple

from tf1_course.compat import tf

N_X = 64 * 64 * 3  # 12288
N_Y = 6  # classes 0..5
HIDDEN = (25, 12)  # the course's hidden layer sizes

Options = namedtuple("Options", ["hidden", "l2_lambda", "keep_prob", "beta1"])
Options.__new__.__defaults__ = (HIDDEN, 0.0, 1.0, 0.9)  # the course's model

SignsGraph = namedtuple("SignsGraph", [
    "X", "Y",              # placeholders
    "parameters",          # {"W1": [25, 12288], "b1": [25, 1], ..., "b3": [6, 1]} variables
    "Z3",                  # logits [6, m], without dropout
    "probabilities",       # softmax over classes [6, m]
    "cost",                # scalar: what training minimizes and prints (dropout and L2 included)
    "accuracy",            # scalar, fraction of argmax(Z3) == argmax(Y)
    "train_op",            # Adam step (None in an inference graph)
    "global_step",         # int64 scalar variable, Adam steps taken
    "optimizer",           # the AdamOptimizer behind train_op (None in an inference graph)
    "dropout_seed",        # int32 [2] placeholder (epoch's shuffle seed, step) or None without dropout
    "options",             # the Options the graph was built with
])


def create_placeholders(n_x, n_y):
    """X: float32 [n_x, None], Y: float32 [n_y, None] (None: any number of examples)."""
    X = tf.placeholder(tf.float32, shape=(n_x, None), name="X")
    Y = tf.placeholder(tf.float32, shape=(n_y, None), name="Y")
    return X, Y


def initialize_parameters(n_x=N_X, hidden=HIDDEN, n_y=N_Y, seed=1):
    """Weights Xavier (Glorot uniform, op seed ``seed``), biases zero, made with ``get_variable``.

    The course used ``tf.contrib.layers.xavier_initializer(seed=1)``; contrib is gone, and
    ``glorot_uniform_initializer(seed=1)`` is the same distribution and the same random op.
    Returns {"W1": [25, n_x], "b1": [25, 1], "W2": [12, 25], "b2": [12, 1], "W3": [6, 12], "b3": [6, 1]}.
    """
    dims = [n_x, *hidden, n_y]
    parameters = {}
    for l in range(1, len(dims)):
        parameters[f"W{l}"] = tf.get_variable(
            f"W{l}", [dims[l], dims[l - 1]], initializer=tf.glorot_uniform_initializer(seed=seed))
        parameters[f"b{l}"] = tf.get_variable(f"b{l}", [dims[l], 1], initializer=tf.zeros_initializer())
    return parameters


def dropout(A, keep_prob, seed):
    """The course's inverted dropout: keep each unit with probability keep_prob, scale by 1/keep_prob.

    The mask is ``stateless_uniform(seed) < keep_prob``: a function of ``seed`` (int32 [2]) only,
    so both training loops, and a resumed run, draw the same masks.
    """
    D = tf.random.stateless_uniform(tf.shape(A), seed=seed) < keep_prob  # (n_l, m)
    return A * tf.cast(D, A.dtype) / keep_prob


def forward_propagation(X, parameters, keep_prob=1.0, dropout_seed=None):
    """LINEAR -> RELU -> LINEAR -> RELU -> LINEAR. X [n_x, m] -> Z3 [n_y, m] (logits, no softmax).

    With ``keep_prob < 1``, hidden layer l of step s is dropped out with the stateless seed
    [epoch seed, L s + l] (``dropout_seed`` = [epoch seed, s]; L layers): each layer of each step
    its own mask.
    """
    L = len(parameters) // 2
    A = X
    for l in range(1, L):
        A = tf.nn.relu(tf.matmul(parameters[f"W{l}"], A) + parameters[f"b{l}"])  # (n_l, m)
        if keep_prob < 1:
            A = dropout(A, keep_prob, dropout_seed * tf.constant([1, L]) + tf.constant([0, l]))
    return tf.matmul(parameters[f"W{L}"], A) + parameters[f"b{L}"]  # (n_y, m)


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
    """One training step's cost: the forward pass with dropout (if any), then :func:`objective`."""
    return objective(forward_propagation(X, parameters, options.keep_prob, dropout_seed), Y, parameters, options)


def compute_accuracy(Z3, Y):
    """Fraction of columns whose argmax over classes matches the label's."""
    correct = tf.equal(tf.argmax(Z3), tf.argmax(Y))
    return tf.reduce_mean(tf.cast(correct, "float"))


def build_graph(learning_rate=1e-4, hidden=None, seed=1, training=True, n_x=N_X, n_y=N_Y, options=None):
    """Everything the course's ``model()`` builds, in the current default graph.

    Sets the graph-level seed (the course's ``tf.set_random_seed(1)``) first, so the same seed
    gives the same initial weights. With ``training=False`` there is no optimizer (predict).
    ``options``: Options (hidden sizes, L2, dropout, Adam's beta1); default the course's model.
    ``hidden``, when given, replaces ``options.hidden``.
    """
    options = options or Options()
    if hidden is not None:
        options = options._replace(hidden=tuple(hidden))
    tf.set_random_seed(seed)
    X, Y = create_placeholders(n_x, n_y)
    parameters = initialize_parameters(n_x, options.hidden, n_y, seed=seed)
    Z3 = forward_propagation(X, parameters)
    Z_train, dropout_seed = Z3, None
    if training and options.keep_prob < 1:
        dropout_seed = tf.placeholder_with_default(tf.constant([0, 0]), [2], name="dropout_seed")
        Z_train = forward_propagation(X, parameters, options.keep_prob, dropout_seed)
    cost = objective(Z_train, Y, parameters, options)
    global_step = tf.train.get_or_create_global_step()
    optimizer = train_op = None
    if training:
        optimizer = tf.train.AdamOptimizer(learning_rate, beta1=options.beta1)
        train_op = optimizer.minimize(cost, global_step=global_step)
    probabilities = tf.nn.softmax(Z3, axis=0)
    return SignsGraph(X, Y, parameters, Z3, probabilities, cost, compute_accuracy(Z3, Y),
                      train_op, global_step, optimizer, dropout_seed, options)
