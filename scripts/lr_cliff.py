#!/usr/bin/env python3
"""Why the course's SIGNS model stalls at cost 1.846 with ``--learning-rate 1e-3``: the evidence.

Trains the course's model (the ``feed`` loop, so each mini-batch's cost is seen) at the given
learning rates and, before training and after each epoch, measures on the 1080 training photos: how many hidden ReLU
units are dead (never positive for any photo), how much the logits still vary across photos, the
mean mini-batch cost, and the course's epoch cost (the sum of the 34 mini-batch costs divided by
int(1080 / 32) = 33). Prints a line every ``--every`` epochs and writes a JSON with all of it.

    .venv/bin/python scripts/lr_cliff.py                       # 1e-4 and 1e-3, 40 epochs
    .venv/bin/python scripts/lr_cliff.py --rates 3e-4,1e-3,1e-2 --epochs 60
"""

import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from tf1_course.core.command import Parser, run_main  # noqa: E402


def build_parser():
    p = Parser(prog="lr_cliff.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--rates", default="1e-4,1e-3", help="learning rates (default 1e-4,1e-3)")
    p.add_argument("--epochs", type=int, default=40, help="epochs per rate (default 40)")
    p.add_argument("--every", type=int, default=5, help="print every N epochs (default 5)")
    p.add_argument("--data-dir", help="folder with train_signs.h5 (default datasets/)")
    p.add_argument("--json", metavar="PATH", help="write every epoch's measurements as JSON")
    return p


def probe(sess, g, X, Y):
    """Dead units per hidden layer, the logits' spread across photos, the full-set cost."""
    import numpy as np

    relus = [op.outputs[0] for op in sess.graph.get_operations() if op.type == "Relu"][:2]  # A1, A2
    A1, A2, Z3, cost = sess.run([*relus, g.Z3, g.cost], {g.X: X, g.Y: Y})
    return {"dead_units_layer1": int(np.sum(A1.max(axis=1) <= 0)), "units_layer1": int(A1.shape[0]),
            "dead_units_layer2": int(np.sum(A2.max(axis=1) <= 0)), "units_layer2": int(A2.shape[0]),
            "logit_spread": float(Z3.std(axis=1).max()), "full_set_cost": float(cost)}


def run(args):
    import numpy as np

    from tf1_course.core import device
    from tf1_course.signs import loops, model
    from tf1_course.core.compat import tf
    from tf1_course.data import h5, paths
    from tf1_course.data.prepare import prepare
    from tf1_course.core.fileio import write_json

    train_set, _ = h5.load_dataset(paths.data_dir(args.data_dir))
    X, Y = prepare(train_set)  # float64 [12288, 1080], [6, 1080], as the feed loop uses them
    X32 = X.astype(np.float32)
    m, size = X.shape[1], 32
    divisor = loops.course_divisor(m, size)
    batches = len(range(0, m, size))
    print(f"ln 6 = {math.log(6):.6f}; a constant output's epoch cost = ln 6 x {batches} mini-batches / "
          f"{divisor} = {math.log(6) * batches / divisor:.6f}")
    results = {}
    for lr in (float(r) for r in args.rates.split(",")):
        graph = tf.Graph()
        with graph.as_default():
            g = model.build_graph(lr)
            engine = loops.make_engine("feed", g, X, Y, size)
            init = tf.global_variables_initializer()
        graph.finalize()
        rows = []
        with tf.Session(graph=graph, config=device.session_config("cpu")) as sess:
            sess.run(init)
            start = probe(sess, g, X32, Y)
            rows.append({"epoch": None, **start})
            print(f"lr {lr:g} initial weights: dead units {start['dead_units_layer1']}/{start['units_layer1']} + "
                  f"{start['dead_units_layer2']}/{start['units_layer2']}, logit spread {start['logit_spread']:.2e}")
            for epoch in range(args.epochs):
                epoch_cost = engine.epoch(sess, 3 + epoch + 1)
                row = {"epoch": epoch, "epoch_cost": float(epoch_cost),
                       "mean_minibatch_cost": float(np.mean(engine.minibatch_costs)), **probe(sess, g, X32, Y)}
                rows.append(row)
                if epoch % args.every == 0 or epoch == args.epochs - 1:
                    print(f"lr {lr:g} epoch {epoch:>3}: epoch cost {row['epoch_cost']:.6f}, mean mini-batch cost "
                          f"{row['mean_minibatch_cost']:.6f}, dead units {row['dead_units_layer1']}/{row['units_layer1']}"
                          f" + {row['dead_units_layer2']}/{row['units_layer2']}, logit spread "
                          f"{row['logit_spread']:.2e}", flush=True)
        results[f"{lr:g}"] = rows
    if args.json:
        write_json(args.json, {"ln6": math.log(6), "minibatches": batches, "divisor": divisor, "runs": results})
    return 0


def main(argv=None):
    return run_main(build_parser(), run, argv)


if __name__ == "__main__":
    sys.exit(main())
