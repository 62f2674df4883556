"""The SIGNS classifier on the TF engine, with or without batch norm: lab batchnorm's TF engine.

Not a second TF model: the package's own (``tf1_course/signs/model.py``, float32), trained by
``tf1_course.signs.training`` exactly as ``tf1-course train --batch-norm`` trains it. This module adds
what the comparison with ``np_engine/signs.py`` needs:

    initial_parameters(cfg, device) -> {"W1": float32 [25, 12288], ..., "b3": [6, 1]}
        the model's initial weights (Xavier, seed cfg.seed): its initializer run once, read out,
        so the NumPy engine starts where the TF run starts
    build_graph(initial, moving, learning_rate, beta1, dtype) -> SignsCheckGraph
        the model's forward pass, cost and Adam step (model.forward_pass, model.compute_cost,
        model.moving_average_updates, tf.train.AdamOptimizer) on variables starting from given
        arrays, in float64 by default: what the tests hold the NumPy engine to
    session_config() -> ConfigProto for those graphs (without oneDNN's layer-norm rewrite)
    model(run_dir, cfg, data_dir, device, progress) -> results.Result
        a training run (a normal run directory) and its outcome, costs, trained parameters

Graph builders (``build_graph``) never run anything; ``initial_parameters`` and ``model`` do.
"""

from collections import namedtuple

import numpy as np

from tf1_course.core import device as devices
from tf1_course.core.compat import tf
from tf1_course.labs.results import Result
from tf1_course.labs.tf_engine import optimizers

SignsCheckGraph = namedtuple("SignsCheckGraph", [
    "X", "Y",          # placeholders [n_x, None], [n_y, None] of the graph's dtype
    "parameters",      # {"W1": Variable [25, n_x], ...} starting from the given arrays
    "moving",          # batch norm: {"moving_mean1": non-trainable Variable [25, 1], ...}; else {}
    "Z3_train",        # [n_y, m] logits, batch norm with the mini-batch's statistics
    "Z3_test",         # [n_y, m] logits, batch norm with the moving averages
    "cost",            # the course's mean softmax cross-entropy of Z3_train
    "grads",           # {"dW1": ..., "dgamma1": ...}: tf.gradients of cost
    "train_op",        # tf.train.AdamOptimizer step + the moving-average updates (None: no rate given)
    "init_op",
])


def initial_parameters(cfg, device="cpu"):
    """The SIGNS model's initial {"W1": ..., "b3": ...} (float32 arrays) for a settings.TrainConfig:
    ``model.build_graph`` as training builds it, its initializer run once in a new graph."""
    from tf1_course.signs import model
    from tf1_course.signs.settings import model_options

    graph = tf.Graph()
    with graph.as_default():
        g = model.build_graph(cfg.learning_rate, seed=cfg.seed, options=model_options(cfg))
        init = tf.global_variables_initializer()
    config = devices.session_config(device, cfg.intra_op_threads, cfg.inter_op_threads)
    with tf.Session(graph=graph, config=config) as sess:
        sess.run(init)
        return sess.run(g.parameters)


def build_graph(initial, moving=None, learning_rate=None, beta1=0.9, dtype=tf.float64):
    """The SIGNS model's graph on variables starting from ``initial`` ({"W1": ..., "b3": ...}), in
    ``dtype`` (float64 by default): ``model.forward_pass`` in training and test mode,
    ``model.compute_cost``, its gradients and, given a learning rate, the model's train op
    (``tf.train.AdamOptimizer`` with beta2 0.999 and epsilon 1e-8, the moving averages updated
    by ``model.moving_average_updates``). Builds in the default graph; runs nothing.

    moving: batch norm's starting moving averages under the model's names {"moving_mean1": [25, 1],
    "moving_variance1": ..., ...} (default mean 0, variance 1, as a new model starts). Adam's
    hyperparameters are ``dtype`` tensors: TF1 would make Python floats float32 (0.9 ->
    0.8999999762) and cast them to the float64 variables.
    """
    from tf1_course.signs import model

    L = sum(k.startswith("W") for k in initial)
    n_x, n_y = initial["W1"].shape[1], initial[f"W{L}"].shape[0]
    X = tf.placeholder(dtype, (n_x, None), name="X")
    Y = tf.placeholder(dtype, (n_y, None), name="Y")
    parameters = {k: tf.get_variable(k, initializer=tf.constant(v, dtype)) for k, v in initial.items()}
    moving_variables = {}
    for l in range(1, L):
        if f"gamma{l}" in initial:
            n_l = initial[f"gamma{l}"].shape[0]
            for name, default in (("moving_mean", np.zeros((n_l, 1))), ("moving_variance", np.ones((n_l, 1)))):
                value = (moving or {}).get(f"{name}{l}", default)
                moving_variables[f"{name}{l}"] = tf.get_variable(f"{name}{l}", initializer=tf.constant(value, dtype),
                                                                 trainable=False)
    Z3_train, statistics = model.forward_pass(X, parameters)
    Z3_test = model.forward_pass(X, parameters, moving=moving_variables or None)[0]
    cost = model.compute_cost(Z3_train, Y)
    names = list(parameters)
    grads = dict(zip((f"d{k}" for k in names), tf.gradients(cost, [parameters[k] for k in names])))
    train_op = None
    if learning_rate is not None:
        def const(x):
            return tf.constant(x, dtype)

        optimizer = tf.train.AdamOptimizer(const(learning_rate), const(beta1), const(0.999), const(1e-8))
        # reference variables: no assign may run before every gradient and the cost are computed
        ready = optimizers.wait_for([cost], [grads[f"d{k}"] for k in names])
        train_op = optimizer.apply_gradients(list(zip(ready, (parameters[k] for k in names))))
        updates = model.moving_average_updates(moving_variables, statistics)
        if updates:
            train_op = tf.group(train_op, *updates)
    return SignsCheckGraph(X, Y, parameters, moving_variables, Z3_train, Z3_test, cost, grads, train_op,
                           tf.global_variables_initializer())


def session_config():
    """A CPU ConfigProto for ``build_graph``'s graphs (batch norm: see device.session_config)."""
    return devices.session_config("cpu", batch_norm=True)


def model(run_dir, cfg, data_dir=None, device="cpu", progress=True):
    """Train the SIGNS model with a settings.TrainConfig in ``run_dir`` (overwritten). Returns a
    results.Result; ``parameters`` are the run's parameters.npz (with batch norm's moving averages)."""
    import dataclasses

    from tf1_course.signs.training import train

    result = train(run_dir, dataclasses.asdict(cfg), data_dir, device, overwrite=True, echo=False,
                   show_progress=progress)
    if result.outcome == "interrupted":  # Ctrl-C stops the whole lab, not just this variant
        raise KeyboardInterrupt
    metrics = result.metrics or {}
    parameters = {}
    if result.outcome == "finished":
        with np.load(run_dir / "parameters.npz") as saved:
            parameters = {k: saved[k] for k in saved.files}
    return Result(engine="tf", costs=list(metrics.get("costs", [])), parameters=parameters,
                  train_accuracy=metrics.get("train_accuracy"), test_accuracy=metrics.get("test_accuracy"),
                  seconds=metrics.get("seconds", 0.0), outcome=result.outcome, message=result.message)
