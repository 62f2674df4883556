"""The course's SIGNS classifier as a TF1 graph: LINEAR-RELU-LINEAR-RELU-LINEAR-SOFTMAX.

Graph builders only: nothing here opens a Session. ``train``, ``evaluate`` and ``predict`` build
the same graph from these functions. Examples are columns, as in the course:

    X   float32 - [12288, m]   flattened 64x64x3 images scaled to [0, 1]
    Y   float32 - [6, m]       one-hot labels
    Z3  float32 - [6, m]       logits
"""

from collections import namedtuple

from tf1_course.compat import tf

N_X = 64 * 64 * 3  # 12288
N_Y = 6  # classes 0..5
HIDDEN = (25, 12)  # the course's hidden layer sizes

SignsGraph = namedtuple("SignsGraph", [
    "X", "Y",              # placeholders
    "parameters",          # {"W1": [25, 12288], "b1": [25, 1], ..., "b3": [6, 1]} variables
    "Z3",                  # logits [6, m]
    "probabilities",       # softmax over classes [6, m]
    "cost",                # scalar, mean softmax cross-entropy
    "accuracy",            # scalar, fraction of argmax(Z3) == argmax(Y)
    "train_op",            # Adam step (None in an inference graph)
    "global_step",         # int64 scalar variable, Adam steps taken
    "optimizer",           # the AdamOptimizer behind train_op (None in an inference graph)
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


def forward_propagation(X, parameters):
    """LINEAR -> RELU -> LINEAR -> RELU -> LINEAR. X [n_x, m] -> Z3 [n_y, m] (logits, no softmax)."""
    L = len(parameters) // 2
    A = X
    for l in range(1, L):
        A = tf.nn.relu(tf.matmul(parameters[f"W{l}"], A) + parameters[f"b{l}"])  # (n_l, m)
    return tf.matmul(parameters[f"W{L}"], A) + parameters[f"b{L}"]  # (n_y, m)


def compute_cost(Z3, Y):
    """Mean softmax cross-entropy. TF wants [m, classes], so Z3 and Y are transposed, as in the course."""
    logits = tf.transpose(Z3)
    labels = tf.transpose(Y)
    return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(logits=logits, labels=labels))


def compute_accuracy(Z3, Y):
    """Fraction of columns whose argmax over classes matches the label's."""
    correct = tf.equal(tf.argmax(Z3), tf.argmax(Y))
    return tf.reduce_mean(tf.cast(correct, "float"))


def build_graph(learning_rate=1e-4, hidden=HIDDEN, seed=1, training=True, n_x=N_X, n_y=N_Y):
    """Everything the course's ``model()`` builds, in the current default graph.

    Sets the graph-level seed (the course's ``tf.set_random_seed(1)``) first, so the same seed
    gives the same initial weights. With ``training=False`` there is no optimizer (predict).
    """
    tf.set_random_seed(seed)
    X, Y = create_placeholders(n_x, n_y)
    parameters = initialize_parameters(n_x, hidden, n_y, seed=seed)
    Z3 = forward_propagation(X, parameters)
    cost = compute_cost(Z3, Y)
    global_step = tf.train.get_or_create_global_step()
    optimizer = train_op = None
    if training:
        optimizer = tf.train.AdamOptimizer(learning_rate)
        train_op = optimizer.minimize(cost, global_step=global_step)
    probabilities = tf.nn.softmax(Z3, axis=0)
    return SignsGraph(X, Y, parameters, Z3, probabilities, cost, compute_accuracy(Z3, Y),
                      train_op, global_step, optimizer)
