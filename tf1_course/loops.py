"""Training loops: how one epoch of mini-batches is fed to the graph.

``feed`` is the course's loop, kept as the reference: each epoch shuffles the float64
[12288, m] matrix with ``random_mini_batches`` and runs one ``Session.run`` with a ``feed_dict``
per mini-batch. The epoch cost is the course's: the sum of mini-batch costs divided by
``int(m / minibatch_size)`` (33 for m = 1080, although there are 34 mini-batches; kept so the
printed numbers are the course's; at least 1, so a data set smaller than a mini-batch works).

An engine is made while the graph is built (it may add ops) and then run once per epoch:

    engine = make_engine("feed", graph, X_train, Y_train, minibatch_size)
    ... create the Session, initialize ...
    engine.initialize(sess)
    cost = engine.epoch(sess, seed)
"""

from tf1_course.minibatches import random_mini_batches


class FeedLoop:
    """The course's loop: a NumPy shuffle per epoch and a feed_dict per mini-batch."""

    name = "feed"

    def __init__(self, graph, X_train, Y_train, minibatch_size):
        self.g = graph
        self.X, self.Y = X_train, Y_train  # float64 [12288, m], [6, m]
        self.minibatch_size = minibatch_size
        self.num_minibatches = max(int(X_train.shape[1] / minibatch_size), 1)  # course's divisor

    def initialize(self, sess):
        pass

    def epoch(self, sess, seed):
        """One pass over the data in the order ``seed`` gives. Returns the course's epoch cost."""
        epoch_cost = 0.0
        for minibatch_X, minibatch_Y in random_mini_batches(self.X, self.Y, self.minibatch_size, seed):
            _, minibatch_cost = sess.run([self.g.train_op, self.g.cost],
                                         feed_dict={self.g.X: minibatch_X, self.g.Y: minibatch_Y})
            epoch_cost += minibatch_cost / self.num_minibatches
        return epoch_cost


ENGINES = {"feed": FeedLoop}


def make_engine(name, graph, X_train, Y_train, minibatch_size):
    return ENGINES[name](graph, X_train, Y_train, minibatch_size)
