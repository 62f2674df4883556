"""``tf1-course evaluate``: a trained run's accuracy, per class, and its confusion matrix.

Restores one of the run's checkpoints (:mod:`tf1_course.signs.inference`: ``--checkpoint best``, the
highest dev accuracy of a run trained with ``--dev``, is the default when there is one; else the
newest) and scores the data sets the run was trained and scored on, found where
:func:`tf1_course.signs.rundir.locate_data` says (a run moved out of a container finds the host's
datasets/). Writes ``evaluation.json`` and ``confusion_matrix.png`` (test set) into the run
directory; ``--gallery`` also ``misclassified.png``, every test photo the model gets wrong.
"""

import sys

from tf1_course.core.command import Parser, run_main
from tf1_course.core.device import DEVICES
from tf1_course.signs.evaluation import confusion, evaluate, per_class_accuracy, score  # noqa: F401  (the library, here for callers of evaluate.py)
from tf1_course.signs.rundir import CHECKPOINT_KINDS, DEFAULT_RUN_DIR


def build_parser():
    p = Parser(prog="tf1-course evaluate", description=__doc__.split("\n\n")[0])
    p.add_argument("--run-dir", default=DEFAULT_RUN_DIR, help=f"trained run (default {DEFAULT_RUN_DIR})")
    p.add_argument("--data-dir", help="data folder (default: the one the run was trained on)")
    p.add_argument("--device", choices=DEVICES, default="auto", help="where to run (default auto)")
    p.add_argument("--checkpoint", choices=CHECKPOINT_KINDS,
                   help="best (highest dev accuracy, runs trained with --dev) or last (default: best if there is one)")
    p.add_argument("--gallery", action="store_true",
                   help="also write misclassified.png: every test photo the model gets wrong, by true sign")
    return p


def run(args):
    evaluate(args.run_dir, args.data_dir, args.device, checkpoint=args.checkpoint, gallery=args.gallery)
    return 0


def main(argv=None):
    return run_main(build_parser(), run, argv)


if __name__ == "__main__":
    sys.exit(main())
