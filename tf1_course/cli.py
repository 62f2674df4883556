"""``tf1-course COMMAND ...``: one entry point; each command lives in its concept's package.

A command is ``main(argv=None) -> int`` in its module (built on :mod:`tf1_course.core.command`),
so tests call it directly; ``"module:function"`` names another function of a package's cli.py
(``basics`` lives beside ``lab`` in labs/cli.py). This dispatcher imports only the module asked
for, so ``tf1-course --help`` and the data commands do not pay for importing TensorFlow.
"""

import importlib
import sys

from tf1_course import __version__

# command -> (module, one-line description). Order is the order of the help text.
COMMANDS = {
    "data": ("tf1_course.data.cli", "build the SIGNS h5 files from the JPEGs, or fetch the course's"),
    "train": ("tf1_course.signs.train", "train the 3-layer SIGNS classifier (course defaults)"),
    "evaluate": ("tf1_course.signs.evaluate", "accuracy, per-class accuracy and confusion matrix of a run"),
    "predict": ("tf1_course.signs.predict", "predict the sign in your own photos"),
    "basics": ("tf1_course.labs.cli:basics_main", "the course's first TensorFlow examples, with the course's numbers"),
    "tune": ("tf1_course.tuning.cli", "hyperparameter search (Week 3): random search on Ray, judged on a dev set"),
    "reproduce": ("tf1_course.reproduce.cli", "run the course end to end; REPORT.md of every number it prints, ours beside"),
    "doctor": ("tf1_course.signs.doctor", "what this machine has for training: versions, GPU, data, run folder"),
    "lab": ("tf1_course.labs.cli", "the course's labs (init, regularization, gradcheck, optimization, batchnorm) on NumPy and TF1"),
    "export": ("tf1_course.serving.export", "a trained run as a TF1 SavedModel (exports/signs/N) for TF Serving"),
    "serve": ("tf1_course.serving.serve", "a local web page: show your hand to the model (upload or webcam)"),
}


def _top_help():
    width = max(map(len, COMMANDS))
    lines = ["usage: tf1-course COMMAND [ARGS]   (tf1-course COMMAND --help for its options)", "",
             "deeplearning.ai Course 2 in TensorFlow 1.x graph mode.", "", "commands:"]
    lines += [f"  {name:<{width}}  {desc}" for name, (_, desc) in COMMANDS.items()]
    return "\n".join(lines) + "\n"


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        sys.stdout.write(_top_help())
        return 0
    if argv[0] == "--version":
        print(f"tf1-course {__version__}")
        return 0
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"tf1-course: error: unknown command {name!r} (choose from {', '.join(COMMANDS)})",
              file=sys.stderr)
        return 2
    module, _, function = COMMANDS[name][0].partition(":")
    return getattr(importlib.import_module(module), function or "main")(rest)


if __name__ == "__main__":
    sys.exit(main())
