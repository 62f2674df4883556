"""The course's ``model()`` in a TF1 Session: this engine's step, run by ``labs/training_loop.py``.

    build_graph(hyper, initial_parameters, options) -> LabGraph      (graph only, no Session)
    model(hyper, initial_parameters, data, grid, device, options) -> Result

hyper: config.Hyperparameters (what the course's model() takes); options: config.TFOptions (the
course's dropout masks or tf.nn.dropout, the course's update or tf.train's optimizer).

A step is one ``Session.run([train_op, cost, cost_total, learning_rate])`` on the batch, the
decaying rate's ``epoch_num`` fed; the loop around it (full-batch iterations or the NumPy shuffle
of ``random_mini_batches`` each epoch, seeds, costs, timing) is shared with the NumPy engine.
"""

from collections import namedtuple

import numpy as np

from tf1_course.core import device as devices
from tf1_course.core.compat import tf
from tf1_course.labs import training_loop
from tf1_course.labs.config import TFOptions
from tf1_course.labs.course import dropout_masks
from tf1_course.labs.results import Result
from tf1_course.labs.tf_engine import init, network, optimizers, regularization, schedules

GRAPH_SEED = 1  # tf.set_random_seed: only tf.nn.dropout draws random numbers in these graphs

LabGraph = namedtuple("LabGraph", [
    "X", "Y",            # placeholders float64 [n_x, None], [1, None]
    "parameters",        # {"W1": Variable, ..., "bL": Variable}
    "masks",             # [D1, ..., D_{L-1}] mask placeholders (course dropout) or None
    "keep_prob",         # keep-probability placeholder (tf.nn.dropout) or None
    "epoch_num",         # float64 placeholder: the last finished epoch, for the decaying rate
    "learning_rate",     # float64 scalar tensor
    "cost",              # the course's printed cost (mean cross-entropy [+ L2])
    "cost_total",        # summed cross-entropy of the batch
    "train_op",          # one update: the course's assign ops or tf.train's optimizer
    "predictions",       # int64 [1, m], without dropout
    "accuracy",          # float64 scalar, without dropout
    "init_op",
])


def build_graph(hyper, initial_parameters, options=TFOptions()):
    """Everything one variant needs, in the current default graph."""
    tf.set_random_seed(GRAPH_SEED)
    X, Y = network.create_placeholders(hyper.layers_dims[0])
    parameters = init.create_parameters(initial_parameters)
    masks = keep_prob = dropout = None
    if hyper.keep_prob < 1 and options.dropout == "course":
        masks = regularization.mask_placeholders(hyper.layers_dims)
        dropout = lambda l, A: regularization.masked_dropout(A, masks[l - 1], hyper.keep_prob)  # noqa: E731
    elif hyper.keep_prob < 1:
        keep_prob = regularization.keep_prob_placeholder()
        dropout = lambda l, A: regularization.nn_dropout(A, keep_prob, seed=l)  # noqa: E731
    ZL, AL = network.forward_propagation(X, parameters, dropout)
    m = network.num_examples(Y)
    cost_total = network.cross_entropy_total(AL, Y)
    cost = 1. / m * cost_total
    loss = network.training_loss(ZL, Y)
    if hyper.lambd:
        l2 = regularization.l2_cost(parameters, hyper.lambd, m)
        cost, loss = cost + l2, loss + l2
    epoch_num = schedules.epoch_placeholder()
    learning_rate = schedules.learning_rate(hyper, epoch_num, options.float64_hyperparameters)
    grads = tf.gradients(loss, list(parameters.values()))
    train_op = optimizers.minimize(hyper, parameters, grads, learning_rate, fetched=[cost, cost_total],
                                   options=options)
    if masks is not None:  # the fed masks have a fixed keep_prob: evaluate on a dropout-free copy
        _, AL = network.forward_propagation(X, parameters)
    return LabGraph(X, Y, parameters, masks, keep_prob, epoch_num, learning_rate, cost, cost_total,
                    train_op, network.predict(AL), network.accuracy(AL, Y),
                    tf.global_variables_initializer())


def _dropout_feed(g, hyper, m):
    """The feeds that switch dropout on for a batch of m examples."""
    if g.masks is not None:  # the course reseeds at every pass, so these are its masks every time
        return {D: mask.astype(np.float64)
                for D, mask in zip(g.masks, dropout_masks(hyper.layers_dims, m, hyper.keep_prob))}
    if g.keep_prob is not None:
        return {g.keep_prob: hyper.keep_prob}
    return {}


def model(hyper, initial_parameters, data, grid=None, device="cpu", progress=True, options=TFOptions(),
          name=""):
    """Train with ``hyper`` in a Session from ``initial_parameters`` on ``data``. Returns a Result.

    name: the variant's name, for the progress bar.
    """
    X, Y = data.X_train, data.Y_train
    graph = tf.Graph()
    with graph.as_default():
        g = build_graph(hyper, initial_parameters, options)
    graph.finalize()
    dropout_feeds = {}  # by batch size: the course's masks depend on nothing else
    with tf.Session(graph=graph, config=devices.session_config(device)) as sess:
        sess.run(g.init_op)

        def one_step(X_batch, Y_batch, epoch_num):
            m = X_batch.shape[1]
            if m not in dropout_feeds:
                dropout_feeds[m] = _dropout_feed(g, hyper, m)
            feed = {g.X: X_batch, g.Y: Y_batch, g.epoch_num: epoch_num, **dropout_feeds[m]}
            _, cost, cost_total, rate = sess.run([g.train_op, g.cost, g.cost_total, g.learning_rate], feed)
            return cost, cost_total, rate

        curves = training_loop.run(hyper, X, Y, one_step, f"{name} tf".strip(), progress)
        parameters = sess.run(g.parameters)
        train_accuracy = float(sess.run(g.accuracy, {g.X: X, g.Y: Y}))
        test_accuracy = None
        if data.X_test is not None:
            test_accuracy = float(sess.run(g.accuracy, {g.X: data.X_test, g.Y: data.Y_test}))
        grid_predictions = None if grid is None else sess.run(g.predictions, {g.X: grid})
    return Result(engine="tf", parameters=parameters, train_accuracy=train_accuracy,
                  test_accuracy=test_accuracy, grid_predictions=grid_predictions, **curves._asdict())
