"""``tf1-course evaluate``: a trained run's accuracy, per class, and its confusion matrix.

Restores the run's newest checkpoint (:mod:`tf1_course.signs.inference`) and scores the data sets the
run was trained and scored on, found where :func:`tf1_course.signs.rundir.locate_data` says (a run
moved out of a container finds the host's datasets/). Writes ``evaluation.json`` and
``confusion_matrix.png`` (test set) into the run directory.
"""

import sys

from tf1_course.core.command import Parser, run_main
from tf1_course.core.device import DEVICES
from tf1_course.signs.evaluation import confusion, evaluate, per_class_accuracy, score  # noqa: F401  (the library, here for callers of evaluate.py)
from tf1_course.signs.rundir import DEFAULT_RUN_DIR


def build_parser():
    p = Parser(prog="tf1-course evaluate", description=__doc__.split("\n\n")[0])
    p.add_argument("--run-dir", default=DEFAULT_RUN_DIR, help=f"trained run (default {DEFAULT_RUN_DIR})")
    p.add_argument("--data-dir", help="data folder (default: the one the run was trained on)")
    p.add_argument("--device", choices=DEVICES, default="auto", help="where to run (default auto)")
    return p


def run(args):
    evaluate(args.run_dir, args.data_dir, args.device)
    return 0


def main(argv=None):
    return run_main(build_parser(), run, argv)


if __name__ == "__main__":
    sys.exit(main())
