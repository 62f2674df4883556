"""The course's ``model()`` in a TF1 Session: this engine's steps, run by ``labs/training_loop.py``.

    build_graph(hyper, initial_parameters, options) -> LabGraph      (graph only, no Session)
    model(hyper, initial_parameters, data, grid, device, options) -> Result

hyper: config.Hyperparameters (what the course's model() takes); options: config.TFOptions (the
course's dropout masks or tf.nn.dropout, the course's update or tf.train's optimizer, the loop).
Two loops take the same steps with the same ops (``train_step``), so they print the same numbers:

- ``step``, the reference: one ``Session.run([train_op, cost, cost_total, learning_rate])`` per
  step, the batch and the decaying rate's ``epoch_num`` fed; ``training_loop.run`` drives it.
- ``fused`` (the default): the whole training set is fed and a ``tf.while_loop`` takes the steps
  of a ``training_loop.Steps`` plan, thousands per ``Session.run`` (whole epochs, or many
  iterations): step k gathers its batch's columns in the graph, updates, and writes its cost,
  cost total and rate to TensorArrays; ``training_loop.run_in_chunks`` adds up the epochs in
  Python, in the step loop's order. A tiny network's step costs far less than a Session.run.

The weights are TF1 reference variables, whose reads share their memory and are not ordered
against assigns unless we say so. So inside the loop each step reads them afresh (``read_value``),
its update waits for every gradient and cost (``optimizers.minimize``), and the loop's next
values wait for the update (with ``parallel_iterations=1``): step k + 1 reads step k's weights.
"""

from collections import namedtuple

import numpy as np

from tf1_course.core import device as devices
from tf1_course.core.compat import tf
from tf1_course.core.minibatches import batch_bounds
from tf1_course.labs import training_loop
from tf1_course.labs.config import TFOptions
from tf1_course.labs.course import dropout_masks
from tf1_course.labs.results import Result
from tf1_course.labs.tf_engine import init, network, optimizers, regularization, schedules

GRAPH_SEED = 1  # tf.set_random_seed: only tf.nn.dropout draws random numbers in these graphs
LOOPS = ("fused", "step")
STEPS_PER_RUN = 5000  # fused loop: about this many steps per Session.run (whole epochs)

LabGraph = namedtuple("LabGraph", [
    "X", "Y",            # placeholders float64 [n_x, None], [1, None]: a batch (step loop), the
                         # training set (fused loop), or the examples to evaluate
    "parameters",        # {"W1": Variable, ..., "bL": Variable}
    "masks",             # course dropout: [D1, ..., D_{L-1}] placeholders float64 [n_l, None]: the
                         # batch's masks (step), every batch size's masks side by side (fused); or None
    "keep_prob",         # keep-probability placeholder (tf.nn.dropout) or None
    "step",              # TrainStep: the step loop's ops (None when fused)
    "loop",              # FusedLoop: the fused loop's ops (None for the step loop)
    "predictions",       # int64 [1, m], without dropout
    "accuracy",          # float64 scalar, without dropout
    "init_op",
])

TrainStep = namedtuple("TrainStep", [
    "epoch_num",         # float64 scalar: a placeholder (step loop), the plan's entry (fused)
    "cost",              # the course's printed cost (mean cross-entropy [+ L2])
    "cost_total",        # summed cross-entropy of the batch
    "learning_rate",     # float64 scalar tensor
    "train_op",          # one update: the course's assign ops or tf.train's optimizer
])

FusedLoop = namedtuple("FusedLoop", [
    "plan",              # training_loop.Steps of placeholders: columns, starts, stops int32, epoch_nums float64
    "mask_starts",       # int32 [s] placeholder: step k's masks are masks[:, mask_starts[k]:][:, :b] (or None)
    "costs", "cost_totals", "learning_rates",  # float64 [s]: step k's cost, cost_total, learning_rate
])


def train_step(hyper, X, Y, variables, weights, epoch_num, options, masks=None, keep_prob=None):
    """The ops of one step on the batch X [n_x, b], Y [1, b]. Returns a TrainStep.

    variables: {"W1": Variable, ...} to update; weights: the tensors the forward pass reads (the
    variables themselves, or fresh reads of them in a loop). masks: the batch's course dropout
    masks [D1 [n_1, b], ...]; keep_prob: tf.nn.dropout's keep probability; at most one of them.
    """
    dropout = None
    if masks is not None:
        dropout = lambda l, A: regularization.masked_dropout(A, masks[l - 1], hyper.keep_prob)  # noqa: E731
    elif keep_prob is not None:
        dropout = lambda l, A: regularization.nn_dropout(A, keep_prob, seed=l)  # noqa: E731
    ZL, AL = network.forward_propagation(X, weights, dropout)
    m = network.num_examples(Y)
    cost_total = network.cross_entropy_total(AL, Y)
    cost = 1. / m * cost_total
    loss = network.training_loss(ZL, Y)
    if hyper.lambd:
        l2 = regularization.l2_cost(weights, hyper.lambd, m)
        cost, loss = cost + l2, loss + l2
    learning_rate = schedules.learning_rate(hyper, epoch_num, options.float64_hyperparameters)
    grads = tf.gradients(loss, list(weights.values()))
    train_op = optimizers.minimize(hyper, variables, grads, learning_rate, fetched=[cost, cost_total],
                                   options=options)
    return TrainStep(epoch_num, cost, cost_total, learning_rate, train_op)


def fused_loop(hyper, X, Y, parameters, options, masks=None, keep_prob=None):
    """A tf.while_loop over the steps of a fed plan, on the training set X [n_x, m], Y [1, m]."""
    plan = training_loop.Steps(tf.placeholder(tf.int32, [None], name="columns"),
                               tf.placeholder(tf.int32, [None], name="starts"),
                               tf.placeholder(tf.int32, [None], name="stops"),
                               tf.placeholder(tf.float64, [None], name="epoch_nums"))
    mask_starts = None if masks is None else tf.placeholder(tf.int32, [None], name="mask_starts")
    num_steps = tf.shape(plan.starts)[0]

    def body(k, costs, totals, rates):
        columns = plan.columns[plan.starts[k]:plan.stops[k]]  # [b]
        batch_masks = None
        if masks is not None:
            begin, b = mask_starts[k], tf.size(columns)
            batch_masks = [D[:, begin:begin + b] for D in masks]  # the course's masks for this batch size
        weights = {name: W.read_value() for name, W in parameters.items()}
        step = train_step(hyper, tf.gather(X, columns, axis=1), tf.gather(Y, columns, axis=1), parameters,
                          weights, plan.epoch_nums[k], options, batch_masks, keep_prob)
        with tf.control_dependencies([step.train_op]):  # the next step reads the updated weights
            return (k + 1, costs.write(k, step.cost), totals.write(k, step.cost_total),
                    rates.write(k, step.learning_rate))

    arrays = [tf.TensorArray(tf.float64, size=num_steps, name=name)
              for name in ("costs", "cost_totals", "learning_rates")]
    _, *arrays = tf.while_loop(lambda k, *_: k < num_steps, body, [tf.constant(0), *arrays],
                               parallel_iterations=1, name="fused_loop")
    return FusedLoop(plan, mask_starts, *(a.stack() for a in arrays))


def build_graph(hyper, initial_parameters, options=TFOptions()):
    """Everything one variant needs, in the current default graph."""
    if options.loop not in LOOPS:
        raise ValueError(f"unknown loop {options.loop!r} (choose from {', '.join(LOOPS)})")
    tf.set_random_seed(GRAPH_SEED)
    X, Y = network.create_placeholders(hyper.layers_dims[0])
    parameters = init.create_parameters(initial_parameters)
    masks = keep_prob = None
    if hyper.keep_prob < 1 and options.dropout == "course":
        masks = regularization.mask_placeholders(hyper.layers_dims)
    elif hyper.keep_prob < 1:
        keep_prob = regularization.keep_prob_placeholder()
    step = loop = None
    if options.loop == "step":
        step = train_step(hyper, X, Y, parameters, parameters, schedules.epoch_placeholder(), options, masks,
                          keep_prob)
    else:
        loop = fused_loop(hyper, X, Y, parameters, options, masks, keep_prob)
    _, AL = network.forward_propagation(X, parameters)  # evaluation: the trained weights, no dropout
    return LabGraph(X, Y, parameters, masks, keep_prob, step, loop, network.predict(AL),
                    network.accuracy(AL, Y), tf.global_variables_initializer())


def _dropout_feed(g, hyper, sizes):
    """The feeds that switch dropout on for batches of these sizes (course masks: side by side)."""
    if g.masks is not None:  # the course reseeds at every pass, so these are its masks every time
        per_size = [dropout_masks(hyper.layers_dims, b, hyper.keep_prob) for b in sizes]
        return {D: np.concatenate(masks, axis=1).astype(np.float64) for D, *masks in zip(g.masks, *per_size)}
    if g.keep_prob is not None:
        return {g.keep_prob: hyper.keep_prob}
    return {}


def _batch_sizes(hyper, m):
    """The sizes of a run's batches: (m,) for full batch, else the full and the last mini-batch's."""
    if hyper.minibatch_size is None:
        return (m,)
    return tuple(sorted({b - a for a, b in batch_bounds(m, hyper.minibatch_size)}))


def _by_step(sess, g, hyper, X, Y, desc, progress):
    """training_loop.run with one Session.run per step. Returns its Curves."""
    dropout_feeds = {}  # by batch size: the course's masks depend on nothing else

    def one_step(X_batch, Y_batch, epoch_num):
        b = X_batch.shape[1]
        if b not in dropout_feeds:
            dropout_feeds[b] = _dropout_feed(g, hyper, (b,))
        feed = {g.X: X_batch, g.Y: Y_batch, g.step.epoch_num: epoch_num, **dropout_feeds[b]}
        fetches = [g.step.train_op, g.step.cost, g.step.cost_total, g.step.learning_rate]
        return sess.run(fetches, feed)[1:]

    return training_loop.run(hyper, X, Y, one_step, desc, progress)


def _fused(sess, g, hyper, X, Y, desc, progress):
    """training_loop.run_in_chunks, about STEPS_PER_RUN steps per Session.run. Returns its Curves."""
    sizes = _batch_sizes(hyper, X.shape[1])
    dropout_feed = _dropout_feed(g, hyper, sizes)
    mask_start = dict(zip(sizes, np.cumsum((0,) + sizes[:-1])))  # where each size's masks begin

    def run_steps(steps):
        feed = {g.X: X, g.Y: Y, **dict(zip(g.loop.plan, steps)), **dropout_feed}
        if g.loop.mask_starts is not None:
            feed[g.loop.mask_starts] = [mask_start[b] for b in steps.stops - steps.starts]
        return sess.run([g.loop.costs, g.loop.cost_totals, g.loop.learning_rates], feed)

    return training_loop.run_in_chunks(hyper, X, Y, run_steps, desc, progress, STEPS_PER_RUN)


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
    with tf.Session(graph=graph, config=devices.session_config(device)) as sess:
        sess.run(g.init_op)
        train = _by_step if g.step is not None else _fused
        curves = train(sess, g, hyper, X, Y, f"{name} tf".strip(), progress)
        parameters = sess.run(g.parameters)
        train_accuracy = float(sess.run(g.accuracy, {g.X: X, g.Y: Y}))
        test_accuracy = None
        if data.X_test is not None:
            test_accuracy = float(sess.run(g.accuracy, {g.X: data.X_test, g.Y: data.Y_test}))
        grid_predictions = None if grid is None else sess.run(g.predictions, {g.X: grid})
    return Result(engine="tf", parameters=parameters, train_accuracy=train_accuracy,
                  test_accuracy=test_accuracy, grid_predictions=grid_predictions, **curves._asdict())
