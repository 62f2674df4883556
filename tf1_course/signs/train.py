"""``tf1-course train``: the course's SIGNS model, trained in TF1 graph mode.

Course defaults: Adam with learning rate 1e-4, 1500 epochs, mini-batches of 32, graph seed 1.
Everything goes to a run directory (see :mod:`tf1_course.signs.rundir`). Ctrl-C finishes the current
epoch, saves a checkpoint and exits (code 130); ``--resume`` continues from it and gives the same
numbers as an uninterrupted run. ``--loop fast`` (the default) and ``--loop feed`` (the course's
own loop) compute the same numbers (see :mod:`tf1_course.signs.loops`). The steps themselves are in
:mod:`tf1_course.signs.training`.

Beyond the course, all off by default: ``--dev`` (a dev set, scored every ``--eval-every`` epochs;
the best checkpoint by dev accuracy), ``--early-stopping PATIENCE``, and Week 2's learning-rate
decay (``--lr-decay``), built in the graph from the global step so ``--resume`` continues it.
"""

import argparse
import dataclasses
import signal
import sys

from tf1_course.core.command import Parser, run_main
from tf1_course.core.device import DEVICES
from tf1_course.core.schedules import SIGNS_SCHEDULES, TIME_INTERVAL
from tf1_course.core.errors import UsageError
from tf1_course.core.interrupt import exit_code
from tf1_course.signs.loops import ENGINES
from tf1_course.signs.rundir import DEFAULT_RUN_DIR
from tf1_course.signs.training import train
from tf1_course.signs.settings import TrainConfig

EXIT_CODES = {"finished": 0, "stopped": 0}  # "interrupted": 130 for Ctrl-C, 143 for SIGTERM


def build_parser():
    d = TrainConfig()
    p = Parser(prog="tf1-course train", description=__doc__.split("\n\n")[0])
    p.add_argument("--run-dir", default=DEFAULT_RUN_DIR, help=f"output folder (default {DEFAULT_RUN_DIR})")
    p.add_argument("--data-dir", help="folder with train_signs.h5/test_signs.h5 (default datasets/; "
                                      "on --resume, where the run's data was found)")
    p.add_argument("--learning-rate", type=float, help=f"Adam learning rate (default {d.learning_rate})")
    p.add_argument("--epochs", dest="num_epochs", type=int, help=f"epochs (default {d.num_epochs})")
    p.add_argument("--minibatch-size", type=int, help=f"mini-batch size (default {d.minibatch_size})")
    p.add_argument("--seed", type=int, help=f"graph seed for the initial weights (default {d.seed})")
    p.add_argument("--minibatch-seed", type=int,
                   help=f"epoch e shuffles with seed MINIBATCH_SEED + e + 1 (default {d.minibatch_seed}, "
                        f"so epoch 0 uses {d.minibatch_seed + 1}, as in the course)")
    p.add_argument("--hidden", type=_hidden, help="hidden layer sizes, e.g. 25,12 (default 25,12)")
    p.add_argument("--l2-lambda", type=float, help=f"L2 regularization lambda (default {d.l2_lambda}: none)")
    p.add_argument("--keep-prob", type=float,
                   help=f"dropout on the hidden layers: keep probability (default {d.keep_prob}: none)")
    p.add_argument("--beta1", type=float, help=f"Adam's first-moment decay (default {d.beta1})")
    p.add_argument("--batch-norm", action="store_true", default=None,
                   help="batch normalization before each hidden ReLU (Week 3; default off, as in the course)")
    p.add_argument("--bn-momentum", type=float,
                   help=f"batch norm: momentum of the test-time moving averages (default {d.bn_momentum})")
    p.add_argument("--print-every", type=int, help=f"epochs between cost lines (default {d.print_every})")
    p.add_argument("--save-every", type=int, help=f"epochs between checkpoints (default {d.save_every})")
    p.add_argument("--loop", choices=sorted(ENGINES), help=f"training loop engine (default {d.loop})")
    p.add_argument("--intra-op-threads", type=int, metavar="N",
                   help=f"threads inside one op, 0 = TensorFlow's default (default {d.intra_op_threads})")
    p.add_argument("--inter-op-threads", type=int, metavar="N",
                   help=f"ops run in parallel, 0 = TensorFlow's default (default {d.inter_op_threads})")
    p.add_argument("--device", choices=DEVICES, default="auto", help="where to run (default auto)")
    s = p.add_argument_group("a dev set and early stopping (the lecture: \"use the development data to choose "
                             "when to stop\")")
    s.add_argument("--dev", nargs="?", const=True, metavar="FILE",
                   help="train on train_minus_dev_signs.h5 and score dev_signs.h5 (both made by `data build`); "
                        "with FILE, train on train_signs.h5 and score FILE (an h5 in the course's schema). "
                        "Keeps the best checkpoint (highest dev accuracy); test_signs.h5 is scored at the end only")
    s.add_argument("--eval-every", type=int, metavar="N",
                   help="epochs between evaluations of train and dev accuracy (default: --print-every)")
    s.add_argument("--early-stopping", type=int, metavar="PATIENCE",
                   help="stop when the dev accuracy has not improved for PATIENCE evaluations (default: off)")
    s.add_argument("--min-delta", type=float,
                   help="early stopping: an improvement must beat the best dev accuracy by more than this (default 0)")
    s.add_argument("--eval-test", action="store_true", default=None,
                   help="also score the test set at every evaluation (the log and TensorBoard; never used to choose)")
    d2 = p.add_argument_group("learning-rate decay (Week 2; epoch e runs at the rate after epoch e - 1)")
    d2.add_argument("--lr-decay", choices=SIGNS_SCHEDULES,
                    help="none (default); inverse-time: lr / (1 + rate * epoch); exponential: rate^epoch * lr; "
                         "scheduled: lr / (1 + rate * floor(epoch / interval))")
    d2.add_argument("--decay-rate", type=float,
                    help=f"decay_rate of inverse-time and scheduled, the base of exponential (e.g. 0.999) "
                         f"(default {d.decay_rate})")
    d2.add_argument("--decay-interval", type=int, metavar="EPOCHS",
                    help=f"scheduled: epochs between steps of the rate (default {TIME_INTERVAL})")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--resume", action="store_true", help="continue the run in --run-dir from its last checkpoint")
    g.add_argument("--overwrite", action="store_true", help="delete the run in --run-dir and start again")
    return p


def _hidden(text):
    try:
        sizes = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of sizes") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: sizes must be positive")
    return sizes


def given_flags(args):
    """{TrainConfig field: value} for the settings given on the command line."""
    return {f.name: getattr(args, f.name) for f in dataclasses.fields(TrainConfig)
            if getattr(args, f.name, None) is not None}


def run(args):
    result = train(args.run_dir, given_flags(args), args.data_dir, args.device, args.resume, args.overwrite,
                   dev=args.dev)
    if result.outcome == "diverged":
        raise UsageError(result.message)
    if result.outcome == "interrupted":
        return exit_code(result.signum or signal.SIGINT)
    return EXIT_CODES[result.outcome]


def main(argv=None):
    return run_main(build_parser(), run, argv)


if __name__ == "__main__":
    sys.exit(main())
