#!/usr/bin/env python3
"""Benchmark the training loops: the course's ``feed`` loop against the ``fast`` engine.

Both engines train the course's SIGNS model from the same initial weights, in this one process,
one epoch each in turn (who goes first alternates), with the same Session settings. Prints
seconds per epoch of each, the ratio fast/feed, whether the cost curves agree, the final
train/test accuracies and the peak memory of the process (which holds both). A benchmark, not a
test: timings depend on the machine and on what else runs on it.

    .venv/bin/python scripts/bench_train.py                  # 30 epochs
    .venv/bin/python scripts/bench_train.py --epochs 1500    # the course's full run (both engines)
"""

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from tf1_course.core.command import Parser, run_main  # noqa: E402

ENGINES = ("feed", "fast")  # reference first


def build_parser():
    from tf1_course.signs.train import TrainConfig

    d = TrainConfig()
    p = Parser(prog="bench_train.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=30, help="epochs per engine (default 30; 1500 = the course's run)")
    p.add_argument("--data-dir", help="folder with train_signs.h5/test_signs.h5 (default datasets/)")
    p.add_argument("--intra-op-threads", type=int, default=d.intra_op_threads, metavar="N",
                   help=f"threads inside one op, 0 = TensorFlow's default (default {d.intra_op_threads})")
    p.add_argument("--inter-op-threads", type=int, default=d.inter_op_threads, metavar="N",
                   help=f"ops run in parallel, 0 = TensorFlow's default (default {d.inter_op_threads})")
    p.add_argument("--json", metavar="PATH", help="also write the results (and both cost curves) as JSON")
    return p


def setup(name, cfg, X_train, Y_train, session_config):
    """A graph, Session and engine ``name`` with the course's initial weights, ready for epoch 0."""
    from tf1_course.signs import loops, model
    from tf1_course.core.compat import tf

    graph = tf.Graph()
    with graph.as_default():
        g = model.build_graph(cfg.learning_rate, tuple(cfg.hidden), cfg.seed)
        engine = loops.make_engine(name, g, X_train, Y_train, cfg.minibatch_size)
        init = tf.global_variables_initializer()
    graph.finalize()
    sess = tf.Session(graph=graph, config=session_config)
    sess.run(init)
    engine.initialize(sess)
    return g, sess, engine


def run(args):
    import numpy as np

    from tf1_course.core import device
    from tf1_course.data import h5, paths
    from tf1_course.data.prepare import prepare
    from tf1_course.core.errors import UsageError
    from tf1_course.core.fileio import write_json
    from tf1_course.signs.training import peak_rss_mib
    from tf1_course.signs.settings import TrainConfig

    if args.epochs < 1:
        raise UsageError("--epochs must be positive")
    if min(args.intra_op_threads, args.inter_op_threads) < 0:
        raise UsageError("thread counts must be 0 (TensorFlow's default) or more")
    cfg = TrainConfig(num_epochs=args.epochs)
    train_set, test_set = h5.load_dataset(paths.data_dir(args.data_dir))
    (X_train, Y_train), (X_test, Y_test) = prepare(train_set), prepare(test_set)
    config = device.session_config("cpu", args.intra_op_threads, args.inter_op_threads)
    print(f"{cfg.num_epochs} epochs per engine, m = {X_train.shape[1]}, mini-batches of "
          f"{cfg.minibatch_size}; threads intra {args.intra_op_threads} inter {args.inter_op_threads} "
          f"(0 = TensorFlow's default)", flush=True)

    runs = {name: setup(name, cfg, X_train, Y_train, config) for name in ENGINES}
    seconds = {name: [] for name in ENGINES}
    costs = {name: [] for name in ENGINES}
    t_start = time.perf_counter()
    for epoch in range(cfg.num_epochs):
        order = ENGINES if epoch % 2 == 0 else ENGINES[::-1]
        for name in order:
            _, sess, engine = runs[name]
            t0 = time.perf_counter()
            costs[name].append(float(engine.epoch(sess, cfg.minibatch_seed + epoch + 1)))
            seconds[name].append(time.perf_counter() - t0)
        if epoch % 100 == 0 or epoch == cfg.num_epochs - 1:
            print(f"epoch {epoch}: cost feed {costs['feed'][-1]:f} fast {costs['fast'][-1]:f}", flush=True)
    wall = time.perf_counter() - t_start

    results = {"epochs": cfg.num_epochs, "intra_op_threads": args.intra_op_threads,
               "inter_op_threads": args.inter_op_threads, "wall_seconds_both": round(wall, 2)}
    for name in ENGINES:
        g, sess, _ = runs[name]
        steady = seconds[name][1:] or seconds[name]  # the first epoch also builds TF's kernels
        results[name] = {
            "seconds_per_epoch_mean": statistics.fmean(steady),
            "seconds_per_epoch_median": statistics.median(steady),
            "first_epoch_seconds": seconds[name][0],
            "total_seconds": sum(seconds[name]),
            "final_cost": costs[name][-1],
            "train_accuracy": float(sess.run(g.accuracy, {g.X: X_train, g.Y: Y_train})),
            "test_accuracy": float(sess.run(g.accuracy, {g.X: X_test, g.Y: Y_test})),
            "costs": costs[name],
            "seconds": seconds[name],
        }
        sess.close()
    feed, fast = np.array(costs["feed"]), np.array(costs["fast"])
    results["ratio_mean"] = results["fast"]["seconds_per_epoch_mean"] / results["feed"]["seconds_per_epoch_mean"]
    results["ratio_median"] = (results["fast"]["seconds_per_epoch_median"]
                               / results["feed"]["seconds_per_epoch_median"])
    results["costs_identical_epochs"] = int(np.sum(feed == fast))
    results["costs_max_relative_difference"] = float(np.max(np.abs(fast - feed) / np.abs(feed)))
    results["peak_rss_mib"] = round(peak_rss_mib(), 1)

    print()
    print(f"{'engine':<6} {'s/epoch mean':>13} {'median':>8} {'first':>7} {'total s':>8} "
          f"{'final cost':>11} {'train acc':>10} {'test acc':>9}")
    for name in ENGINES:
        r = results[name]
        print(f"{name:<6} {r['seconds_per_epoch_mean']:>13.4f} {r['seconds_per_epoch_median']:>8.4f} "
              f"{r['first_epoch_seconds']:>7.3f} {r['total_seconds']:>8.1f} {r['final_cost']:>11.6f} "
              f"{r['train_accuracy']:>10.6f} {r['test_accuracy']:>9.6f}")
    print(f"ratio fast/feed: {results['ratio_mean']:.3f} (means), {results['ratio_median']:.3f} (medians)")
    same_acc = all(results["fast"][k] == results["feed"][k] for k in ("train_accuracy", "test_accuracy"))
    print(f"cost curves: {results['costs_identical_epochs']}/{cfg.num_epochs} epochs identical, max relative "
          f"difference {results['costs_max_relative_difference']:.2e}; accuracies "
          f"{'identical' if same_acc else 'DIFFER'}")
    print(f"peak memory (this process, both engines loaded): {results['peak_rss_mib']:.0f} MiB")
    if args.json:
        write_json(args.json, results)
    return 0


def main(argv=None):
    return run_main(build_parser(), run, argv)


if __name__ == "__main__":
    sys.exit(main())
