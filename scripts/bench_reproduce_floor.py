#!/usr/bin/env python3
"""The arithmetic floor of `reproduce`'s SIGNS runs: the first layer's two matrix products alone.

The course's model spends most of an epoch in its first layer: W1 [25, 12288] times a mini-batch
X [12288, 32] forward, and the weight gradient dZ1 [25, 32] times X^T backward. This benchmark runs
only those two products (and the gather of the mini-batch), for one epoch of the SIGNS training
set (1080 examples, mini-batches of 32: 34 steps) inside one ``tf.while_loop``, in a Session with
the runs' own settings (one thread), and projects them onto the report's SIGNS runs:

    floor CPU-seconds = seconds per epoch x runs x epochs;   wall >= that / cores

Compare with the whole fast loop's seconds per epoch (``scripts/bench_train.py``). Any faster
way to get these products (another kernel, more threads per run, lower precision) changes the
bits the report compares. A benchmark, not a test: timings depend on the machine.

    .venv/bin/python scripts/bench_reproduce_floor.py             # 10 runs x 1500 epochs, 2 cores
    .venv/bin/python scripts/bench_reproduce_floor.py --cores 8   # what 8 cores would allow
"""

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from tf1_course.core.command import Parser, run_main  # noqa: E402
from tf1_course.core.errors import UsageError  # noqa: E402

N_X, N_H1, M, BATCH = 12288, 25, 1080, 32  # 64x64x3 inputs, first hidden layer, SIGNS training set


def build_parser():
    p = Parser(prog="bench_reproduce_floor.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=10, help="SIGNS runs in the report (default 10)")
    p.add_argument("--epochs", type=int, default=1500, help="epochs per run (default 1500)")
    p.add_argument("--cores", type=int, default=2, help="cores the runs share (default 2)")
    p.add_argument("--repeats", type=int, default=50, help="epochs timed (default 50)")
    return p


def run(args):
    if min(args.runs, args.epochs, args.cores, args.repeats) < 1:
        raise UsageError("--runs, --epochs, --cores and --repeats must be positive")
    import numpy as np

    from tf1_course.core import device
    from tf1_course.core.compat import tf

    steps = -(-M // BATCH)  # the last mini-batch is smaller (24), as in training
    rng = np.random.default_rng(0)
    graph = tf.Graph()
    with graph.as_default():
        W1 = tf.Variable(rng.standard_normal((N_H1, N_X), dtype=np.float32))
        data = tf.Variable(rng.standard_normal((M, N_X), dtype=np.float32))
        order = tf.compat.v1.placeholder(tf.int32, [M])

        def step(i, total):
            X = tf.transpose(tf.gather(data, order[i * BATCH:(i + 1) * BATCH]))  # [12288, <=32]
            Z1 = tf.matmul(W1, X)  # forward: [25, <=32]
            dW1 = tf.matmul(Z1, X, transpose_b=True)  # the weight gradient's product: [25, 12288]
            return i + 1, total + tf.reduce_sum(dW1)

        _, epoch = tf.while_loop(lambda i, _: i < steps, step, [0, 0.0], parallel_iterations=1)
        with tf.compat.v1.Session(config=device.session_config()) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            feed = {order: rng.permutation(M).astype(np.int32)}
            sess.run(epoch, feed)  # warm-up
            seconds = []
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                sess.run(epoch, feed)
                seconds.append(time.perf_counter() - t0)
    per_epoch = statistics.median(seconds)
    cpu = per_epoch * args.runs * args.epochs
    print(f"first layer's two matmuls, one epoch ({steps} steps of {BATCH}, 1 thread): median "
          f"{per_epoch * 1000:.1f} ms (p10 {sorted(seconds)[len(seconds) // 10] * 1000:.1f}, "
          f"p90 {sorted(seconds)[9 * len(seconds) // 10] * 1000:.1f}; {args.repeats} epochs)")
    print(f"{args.runs} runs x {args.epochs} epochs: {cpu:.0f} CPU-seconds of these products alone; "
          f"on {args.cores} core(s) at least {cpu / args.cores:.0f} s of wall time")
    return 0


def main(argv=None):
    return run_main(build_parser(), run, argv)


if __name__ == "__main__":
    sys.exit(main())
