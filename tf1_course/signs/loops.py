"""Training loops: how one epoch of mini-batches is fed to the graph.

Two engines, the same arithmetic (the same mini-batches in the same order, the same ops, the same
Adam optimizer and state):

- ``feed``, the course's loop, kept as the reference: each epoch shuffles the float64 [12288, m]
  matrix with ``random_mini_batches`` and runs one ``Session.run`` with a ``feed_dict`` per
  mini-batch.
- ``fast`` (the default): the training set lives in the graph as float32 rows [m, 12288] (a
  mini-batch is a row gather); each epoch feeds only the permutation and runs all its Adam steps
  in one ``Session.run`` (a ``tf.while_loop``), fetching the mini-batch costs once at the end.
  Same costs as ``feed`` to the last bit, 2-3x faster (README, "Training speed").

The epoch cost is the course's: the sum of mini-batch costs divided by ``int(m / minibatch_size)``
(33 for m = 1080, although there are 34 mini-batches; kept so the printed numbers are the course's;
at least 1, so a data set smaller than a mini-batch works).

An engine is made while the graph is built (it may add ops) and then run once per epoch:

    engine = make_engine("feed", graph, X_train, Y_train, minibatch_size)
    ... create the Session, initialize (or restore) the variables ...
    engine.initialize(sess)
    cost = engine.epoch(sess, seed)
"""

from tf1_course.core import minibatches
from tf1_course.core.minibatches import course_divisor, course_epoch_cost
from tf1_course.data.prepare import aligned_empty


class FeedLoop:
    """The course's loop: a NumPy shuffle per epoch and a feed_dict per mini-batch."""

    name = "feed"

    def __init__(self, graph, X_train, Y_train, minibatch_size):
        self.g = graph
        self.X, self.Y = X_train, Y_train  # float64 [12288, m], [6, m]
        self.minibatch_size = minibatch_size
        self.num_minibatches = course_divisor(X_train.shape[1], minibatch_size)
        self.minibatch_costs = []  # float32 costs of the last epoch, in mini-batch order

    def initialize(self, sess):
        pass

    def epoch(self, sess, seed):
        """One pass over the data in the order ``seed`` gives. Returns the course's epoch cost."""
        self.minibatch_costs = []
        batches = minibatches.random_mini_batches(self.X, self.Y, self.minibatch_size, seed)
        for step, (minibatch_X, minibatch_Y) in enumerate(batches):
            feed = {self.g.X: minibatch_X, self.g.Y: minibatch_Y}
            if self.g.dropout_seed is not None:
                feed[self.g.dropout_seed] = [seed, step]
            _, minibatch_cost = sess.run([self.g.train_op, self.g.cost], feed_dict=feed)
            self.minibatch_costs.append(minibatch_cost)
        return course_epoch_cost(self.minibatch_costs, self.num_minibatches)


class FastLoop:
    """The data in the graph, one ``Session.run`` per epoch: a ``tf.while_loop`` over its mini-batches.

    Step i takes rows ``permutation[start_i:stop_i]`` of the data and does what the course's
    ``train_op`` does: ``forward_propagation``, ``compute_cost``, the gradients, then the course's
    optimizer (``graph.optimizer``, so the same Adam slots and checkpoints) applies them and adds
    1 to ``global_step``. Inside the loop:

    - the weights are read afresh each step (``read_value``), so the gradients are taken with
      respect to this step's reads, inside the loop;
    - the gradients are gated per op (``gate_gradients=True``), as ``minimize`` does. The reads
      share the variables' memory; without the gate Adam can overwrite W2 while the backward
      pass still needs it (measured: epoch costs 1.7e-3 off the reference from the first epoch,
      5.8e-2 after 8, and two runs no longer agree).
    """

    name = "fast"

    def __init__(self, graph, X_train, Y_train, minibatch_size):
        from tf1_course.signs import model
        from tf1_course.core.compat import tf

        self.g = graph
        self.X, self.Y = X_train, Y_train  # float64 [12288, m], [6, m]; loaded by initialize()
        self.m = X_train.shape[1]
        self.num_minibatches = course_divisor(self.m, minibatch_size)
        self.minibatch_costs = []  # float32 costs of the last epoch, in mini-batch order
        bounds = minibatches.batch_bounds(self.m, minibatch_size)
        names = sorted(graph.parameters)
        variables = [graph.parameters[k] for k in names]

        with tf.name_scope("fast_loop"):
            # Preloaded data: variables in no collection, so neither the Saver (checkpoints) nor
            # global_variables_initializer sees them, and their value is not in the GraphDef.
            self._values, data = {}, {}
            for key, n in (("X", X_train.shape[0]), ("Y", Y_train.shape[0])):
                self._values[key] = tf.placeholder(tf.float32, [self.m, n], name=f"{key}_rows_value")
                data[key] = tf.Variable(self._values[key], trainable=False, collections=[],
                                        name=f"{key}_rows")  # float32 [m, 12288], [m, 6]
            self._data = list(data.values())
            self.permutation = tf.placeholder(tf.int32, [self.m], name="permutation")
            self.epoch_seed = tf.placeholder_with_default(0, [], name="epoch_seed")  # for dropout masks
            starts = tf.constant([a for a, _ in bounds], name="starts")
            stops = tf.constant([b for _, b in bounds], name="stops")

            def step(i, costs):
                rows = self.permutation[starts[i]:stops[i]]  # [b]
                X = tf.transpose(tf.gather(data["X"], rows))  # [12288, b]
                Y = tf.transpose(tf.gather(data["Y"], rows))  # [6, b]
                weights = [v.read_value() for v in variables]
                dropout_seed = tf.stack([self.epoch_seed, i]) if graph.dropout_seed is not None else None
                cost, statistics = model.training_cost(X, Y, dict(zip(names, weights)), graph.options,
                                                       dropout_seed)
                grads = tf.gradients(cost, weights, gate_gradients=True)
                update = graph.optimizer.apply_gradients(zip(grads, variables), global_step=graph.global_step)
                moving = model.moving_average_updates(graph.moving, statistics, in_loop=True,
                                                      momentum=graph.options.bn_momentum)
                with tf.control_dependencies([update, *moving]):
                    return i + 1, costs.write(i, cost)

            costs = tf.TensorArray(tf.float32, size=len(bounds), name="minibatch_costs")
            _, costs = tf.while_loop(lambda i, _: i < len(bounds), step, [tf.constant(0), costs],
                                     parallel_iterations=1)
            self.costs = costs.stack()  # float32 [number of mini-batches]

    def initialize(self, sess):
        """Load the training set into the graph (once per Session; the data is not checkpointed)."""
        sess.run([v.initializer for v in self._data],
                 {self._values["X"]: float32_rows(self.X), self._values["Y"]: float32_rows(self.Y)})

    def epoch(self, sess, seed):
        """One pass over the data in the order ``seed`` gives. Returns the course's epoch cost."""
        self.minibatch_costs = list(sess.run(self.costs, {
            self.permutation: minibatches.permutation(self.m, seed), self.epoch_seed: seed}))
        return course_epoch_cost(self.minibatch_costs, self.num_minibatches)


def float32_rows(columns):
    """float64 [n, m] -> float32 [m, n], the values TensorFlow makes of the float64 when it is fed.

    The array is C-ordered and 64-byte aligned: TensorFlow then feeds it without a copy (53 MB
    less at peak for the SIGNS training set). float32 columns give the same values, transposed.
    """
    n, m = columns.shape
    rows = aligned_empty((m, n), "float32")
    rows[...] = columns.T  # each float64 to the nearest float32, as the feed does
    return rows


ENGINES = {"feed": FeedLoop, "fast": FastLoop}


def make_engine(name, graph, X_train, Y_train, minibatch_size):
    return ENGINES[name](graph, X_train, Y_train, minibatch_size)
