"""``tf1-course lab NAME``: one of the course's labs on the NumPy engine, the TF engine, or both.

    tf1-course lab init|regularization|gradcheck|optimization|batchnorm [--engine numpy|tf|both]
        [--run-dir DIR] [--device cpu|gpu|auto] [--variants a,b] [--iterations N | --epochs N]
        [--data-dir DIR] [--print-every N] [--tf-loop fused|step] [--quiet]

Prints the course's cost lines and accuracies (engines side by side), writes one PNG per variant
and engine, a comparison PNG and metrics.json into the run directory (default runs/lab-NAME).
"""

import argparse
import sys
import textwrap
from pathlib import Path

from tqdm import tqdm

from tf1_course.core import device as devices
from tf1_course.core.command import Parser, positive_int, run_main
from tf1_course.core.errors import UsageError
from tf1_course.labs import LABS, lab

STEP_FLAG = {"init": "--iterations", "regularization": "--iterations", "optimization": "--epochs",
             "batchnorm": "--epochs"}
SIGNS_LABS = ("batchnorm",)  # labs that train the SIGNS model (they take --data-dir)
# Both engines unless said here: NumPy trains the SIGNS model ~4x slower than TF (docs/labs.md).
DEFAULT_ENGINE = {"batchnorm": "tf"}


def _names(text):
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise argparse.ArgumentTypeError("give at least one variant name")
    return names


def _variant_names(module):
    if hasattr(module, "variant_names"):
        return module.variant_names()
    return [v.name for v in module.variants()]


def _variants_help():
    lines = ["variants (--variants a,b; default all):"]
    for name in LABS:
        if name != "gradcheck":
            names = ", ".join(_variant_names(lab(name)))
            lines += textwrap.wrap(f"{name}: {names}", width=78, initial_indent="  ",
                                   subsequent_indent="    ", break_on_hyphens=False)
    return "\n".join(lines)


def build_parser():
    p = Parser(prog="tf1-course lab",
               description="Run one of the course's labs on the NumPy engine, the TF engine, or both.",
               formatter_class=argparse.RawDescriptionHelpFormatter, epilog=_variants_help())
    p.add_argument("name", metavar="NAME", choices=list(LABS), help=f"the lab: {', '.join(LABS)}")
    p.add_argument("--engine", choices=("numpy", "tf", "both"),
                   help="which engine runs the lab (default both, side by side; tf for batchnorm)")
    p.add_argument("--run-dir", help="output folder (default runs/lab-NAME)")
    p.add_argument("--device", choices=devices.DEVICES, default="auto", help="where TF Sessions run (default auto)")
    p.add_argument("--variants", type=_names, help="comma-separated variants to run (default all)")
    p.add_argument("--iterations", type=positive_int,
                   help="shorten every variant to N iterations (init, regularization)")
    p.add_argument("--epochs", type=positive_int, help="shorten every variant to N epochs (optimization, batchnorm)")
    p.add_argument("--data-dir", help="SIGNS data folder for lab batchnorm (default datasets/)")
    p.add_argument("--print-every", type=positive_int, help="a cost line every N iterations/epochs")
    p.add_argument("--tf-loop", choices=("fused", "step"),
                   help="the TF engine's loop in init, regularization, optimization: fused (default, "
                        "thousands of steps per Session.run) or step (one per step, the reference)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    return p


def _check_flags(args):
    if args.name == "gradcheck":
        flags = ("variants", "iterations", "epochs", "print_every", "tf_loop")
        given = [f for f in flags if getattr(args, f) is not None]
        if given:
            raise UsageError(f"lab gradcheck does not train: --{given[0].replace('_', '-')} does not apply")
        return None
    wrong = "--epochs" if STEP_FLAG[args.name] == "--iterations" else "--iterations"
    if getattr(args, wrong.lstrip("-")) is not None:
        raise UsageError(f"lab {args.name} counts {STEP_FLAG[args.name].lstrip('-')}: use "
                         f"{STEP_FLAG[args.name]}, not {wrong}")
    return args.iterations or args.epochs


def run(args):
    # Lazy, like TensorFlow: the runner loads matplotlib (for the PNGs), which would make
    # `tf1-course lab --help` about 10x slower (0.04 s -> 0.4 s to import this module, unloaded).
    from tf1_course.labs.runner import ENGINES, Options, run_training_lab

    steps = _check_flags(args)
    module = lab(args.name)
    engine = args.engine or DEFAULT_ENGINE.get(args.name, "both")
    if args.data_dir and args.name not in SIGNS_LABS:
        raise UsageError(f"lab {args.name} uses the course's 2-D data: --data-dir does not apply")
    if args.tf_loop and args.name in SIGNS_LABS:
        raise UsageError(f"lab {args.name} trains the SIGNS model with its own loop: --tf-loop does not apply")
    if args.name != "gradcheck":
        unknown = [n for n in args.variants or [] if n not in _variant_names(module)]
        if unknown:  # a bad name fails before TensorFlow loads
            raise UsageError(f"unknown variant {', '.join(unknown)} (choose from {', '.join(_variant_names(module))})")
    engines = ENGINES if engine == "both" else (engine,)
    device = "cpu"
    if "tf" in engines:  # only the TF engine needs TensorFlow (and a device)
        device = devices.resolve(args.device)
        tqdm.write(devices.describe(device))
    options = Options(engines=engines, run_dir=Path(args.run_dir or f"runs/lab-{args.name}"), device=device,
                      variants=args.variants, steps=steps, print_every=args.print_every,
                      progress=not args.quiet, out=tqdm.write, tf_loop=args.tf_loop)
    options.run_dir.mkdir(parents=True, exist_ok=True)
    if args.name == "gradcheck":
        module.run(options)
    elif args.name in SIGNS_LABS:
        module.run(options, args.data_dir)
    else:
        run_training_lab(module, options)
    tqdm.write(f"wrote {options.run_dir}/metrics.json and the PNGs")
    return 0


def main(argv=None):
    return run_main(build_parser(), run, argv)


# --- tf1-course basics ------------------------------------------------------------------------

def build_basics_parser():
    from tf1_course.labs.basics import EXAMPLES

    p = Parser(prog="tf1-course basics", description="the course's first TensorFlow 1 examples, with the "
                                                     "course's numbers",
               epilog="examples, in order: " + ", ".join(EXAMPLES))
    p.add_argument("name", nargs="?", metavar="NAME", help="run only this example (default: all)")
    p.add_argument("--device", choices=devices.DEVICES, default="auto", help="where to run (default auto)")
    return p


def run_basics(args):
    from tf1_course.labs.basics import EXAMPLES

    if args.name is not None and args.name not in EXAMPLES:
        raise UsageError(f"unknown example {args.name!r} (choose from {', '.join(EXAMPLES)})")
    device = devices.resolve(args.device)
    config = devices.session_config(device)
    print(devices.describe(device))
    for name in [args.name] if args.name else list(EXAMPLES):
        heading, show = EXAMPLES[name]
        print(f"\n== {name}: {heading}")
        show(config)
    return 0


def basics_main(argv=None):
    """``tf1-course basics [NAME]``."""
    return run_main(build_basics_parser(), run_basics, argv)


if __name__ == "__main__":
    sys.exit(main())
