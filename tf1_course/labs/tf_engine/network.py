"""The binary classifier LINEAR->RELU->...->LINEAR->SIGMOID as a TF1 graph, mirroring np_engine.network.

Graph builders only: nothing here opens a Session. Shapes as in the NumPy engine, dtype float64:

    X  [n_x, None]     Y, ZL, AL  [1, None]     W^[l] [n_l, n_{l-1}]     b^[l] [n_l, 1]

Two costs: ``compute_cost`` is the course's formula, the number the course prints (including its
inf when a saturated sigmoid is wrong); ``training_loss`` is TF's numerically stable
``sigmoid_cross_entropy_with_logits`` on ZL, the same value where both are finite, whose gradient
is exactly the course's dZ = AL - Y and never nan. Backpropagation is ``tf.gradients`` of it.
"""

from tf1_course.core.compat import tf


def create_placeholders(n_x, n_y=1):
    """X: float64 [n_x, None], Y: float64 [n_y, None] (None: any number of examples)."""
    X = tf.placeholder(tf.float64, shape=(n_x, None), name="X")
    Y = tf.placeholder(tf.float64, shape=(n_y, None), name="Y")
    return X, Y


def sigmoid(Z):
    """1 / (1 + exp(-Z)), written as the course writes it: it rounds to exactly 0 or 1 as NumPy does."""
    return 1 / (1 + tf.exp(-Z))


def forward_propagation(X, parameters, dropout=None):
    """X [n_x, m] -> (ZL [1, m], AL [1, m]).

    dropout: None, or a function (l, A^[l]) -> A^[l] applied to each hidden layer's activation.
    """
    L = len(parameters) // 2
    A = X
    for l in range(1, L):
        A = tf.nn.relu(tf.matmul(parameters[f"W{l}"], A) + parameters[f"b{l}"])  # (n_l, m)
        if dropout is not None:
            A = dropout(l, A)
    ZL = tf.matmul(parameters[f"W{L}"], A) + parameters[f"b{L}"]  # (1, m)
    return ZL, sigmoid(ZL)


def num_examples(Y):
    """m as a float64 scalar tensor."""
    return tf.cast(tf.shape(Y)[1], tf.float64)


def cross_entropy_total(AL, Y):
    """sum of -y log(a) - (1 - y) log(1 - a) over the examples, skipping nan terms (the course's nansum)."""
    logprobs = tf.multiply(-tf.log(AL), Y) + tf.multiply(-tf.log(1 - AL), 1 - Y)
    return tf.reduce_sum(tf.where(tf.is_nan(logprobs), tf.zeros_like(logprobs), logprobs))


def compute_cost(AL, Y):
    """The course's mean cross-entropy (1/m) * nansum(...): a float64 scalar."""
    return 1. / num_examples(Y) * cross_entropy_total(AL, Y)


def training_loss(ZL, Y):
    """Mean sigmoid cross-entropy from the logits: what ``tf.gradients`` differentiates."""
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=Y, logits=ZL))


def predict(AL):
    """0/1 predictions int64 [1, m]: 1 where AL > 0.5."""
    return tf.cast(AL > 0.5, tf.int64)


def accuracy(AL, Y):
    """Fraction of the examples predicted right: a float64 scalar."""
    return tf.reduce_mean(tf.cast(tf.equal(tf.cast(AL > 0.5, tf.float64), Y), tf.float64))
