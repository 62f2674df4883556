"""``tf1-course export``: a trained run as a TF1 SavedModel, in the next numbered version folder.

    tf1-course export                         # runs/signs -> exports/signs/1 (then 2, 3, ...)
    saved_model_cli show --dir exports/signs/1 --all

Signature ``serving_default``: uint8 ``images`` [None, 64, 64, 3] -> float32 ``probabilities``
[None, 6] and int64 ``classes`` [None]; batch norm uses its moving averages and nothing else needs
feeding (docs/serving.md). A run still training or unfinished is refused: export a finished run.
"""

import sys

from tf1_course.core.command import Parser, positive_int, run_main
from tf1_course.serving.savedmodel import export_run
from tf1_course.signs.rundir import CHECKPOINT_KINDS, DEFAULT_RUN_DIR

DEFAULT_OUT = "exports/signs"


def build_parser():
    p = Parser(prog="tf1-course export", description=__doc__.split("\n\n")[0])
    p.add_argument("--run-dir", default=DEFAULT_RUN_DIR, help=f"the trained run (default {DEFAULT_RUN_DIR})")
    p.add_argument("--out", default=DEFAULT_OUT,
                   help=f"folder of numbered versions, as TF Serving wants (default {DEFAULT_OUT})")
    p.add_argument("--version", type=positive_int, metavar="N",
                   help="version number (default: one more than the highest there); an existing one is refused")
    p.add_argument("--checkpoint", choices=CHECKPOINT_KINDS,
                   help="best (highest dev accuracy, runs trained with --dev) or last (default: best if there is one)")
    return p


def run(args):
    final = export_run(args.run_dir, args.out, args.version, args.checkpoint)
    print(f"look inside: saved_model_cli show --dir {final} --all")
    print(f"serve it:    tf1-course serve --model {args.out}")
    return 0


def main(argv=None):
    return run_main(build_parser(), run, argv)


if __name__ == "__main__":
    sys.exit(main())
