#!/usr/bin/env python3
"""The NumPy SIGNS engine against the TF model's own graph built in float64, on the real data.

    .venv/bin/python scripts/signs_float64_check.py [--epochs 20] [--variants lr1e-02-bn,...] [--data-dir DIR]

lab batchnorm compares the NumPy engine (float64) with the TF model as it trains (float32). This
runs the TF side in float64 instead (tf_engine/signs.build_graph: model.forward_pass,
model.compute_cost, tf.train.AdamOptimizer, the moving averages), from the same initial weights on
the same mini-batches, so what is left between the engines is float64 rounding: the code is the
same arithmetic, and the float32 runs' differences are float32's. One line per variant: the
largest relative difference between the epoch costs and between the trained parameters (moving
averages included). Feeds a float64 mini-batch per step: about 1 s per epoch on 2 CPU cores.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import numpy as np  # noqa: E402

from tf1_course.core import minibatches  # noqa: E402
from tf1_course.core.command import Parser, positive_int, run_main  # noqa: E402
from tf1_course.core.errors import UsageError  # noqa: E402
from tf1_course.labs import lab_batchnorm  # noqa: E402
from tf1_course.signs.loops import course_divisor, course_epoch_cost  # noqa: E402


def tf_float64_run(initial, cfg, X, Y):
    """(epoch costs, trained parameters and moving averages) of the model's float64 graph."""
    from tf1_course.core.compat import tf
    from tf1_course.labs.tf_engine import signs as ts

    graph = tf.Graph()
    with graph.as_default():
        g = ts.build_graph(initial, learning_rate=cfg.learning_rate, beta1=cfg.beta1)
    costs, m = [], X.shape[1]
    with tf.Session(graph=graph, config=ts.session_config()) as sess:
        sess.run(g.init_op)
        for epoch in range(cfg.num_epochs):
            batches = minibatches.random_mini_batches(X, Y, cfg.minibatch_size, cfg.minibatch_seed + epoch + 1)
            batch_costs = [sess.run([g.train_op, g.cost], {g.X: bx, g.Y: by})[1] for bx, by in batches]
            costs.append(course_epoch_cost(batch_costs, course_divisor(m, cfg.minibatch_size)))
        return costs, sess.run({**g.parameters, **g.moving})


def build_parser():
    p = Parser(prog="signs_float64_check.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=positive_int, default=20, help="epochs per variant (default 20)")
    p.add_argument("--variants", default=",".join(lab_batchnorm.variant_names()),
                   help="comma-separated variants (default all: " + ",".join(lab_batchnorm.variant_names()) + ")")
    p.add_argument("--data-dir", help="folder with train_signs.h5/test_signs.h5 (default datasets/)")
    return p


def run(args):
    from tf1_course.labs.np_engine import signs as ns
    from tf1_course.labs.tf_engine import signs as ts

    chosen = [v for v in args.variants.split(",") if v]
    unknown = sorted(set(chosen) - set(lab_batchnorm.variant_names()))
    if unknown or not chosen:
        raise UsageError(f"--variants: unknown {', '.join(unknown) or '(none given)'}; choose from "
                         f"{', '.join(lab_batchnorm.variant_names())}")
    data = lab_batchnorm.load_data(args.data_dir)
    for name, lr, bn in lab_batchnorm.variants():
        if name not in chosen:
            continue
        cfg = lab_batchnorm.config(lr, bn, args.epochs)
        initial = ts.initial_parameters(cfg)
        ours = ns.model(data, initial, cfg, progress=False)
        costs, trained = tf_float64_run(initial, cfg, *data["train"])
        cost_diff = max(abs(a - b) / max(abs(a), abs(b)) for a, b in zip(costs, ours.costs))
        param_diff = max(np.abs(trained[k] - ours.parameters[k]).max() / np.abs(trained[k]).max() for k in trained)
        print(f"{name}: {args.epochs} epochs, numpy vs tf float64: max relative cost difference {cost_diff:.2g}, "
              f"max relative parameter difference {param_diff:.2g}; final cost {ours.costs[-1]:f}", flush=True)
    return 0


def main(argv=None):
    return run_main(build_parser(), run, argv)


if __name__ == "__main__":
    sys.exit(main())
