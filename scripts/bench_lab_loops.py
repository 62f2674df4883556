#!/usr/bin/env python3
"""Benchmark the TF engine's two lab loops: ``step`` (one Session.run per step) against ``fused``.

Each TF variant of the training labs (init, regularization, optimization) is trained at the
course's length with both loops, in this one process, from the same initial weights (who goes
first alternates). Prints, per variant, the seconds of each loop and how their numbers compare:
the printed ones (the costs of the course's cost lines, the 2017 last-mini-batch costs at the
same epochs, the accuracies), every cost of the curve, the rates and the trained parameters:
how many are bit-identical and the largest relative difference of the others. A benchmark, not
a test: timings depend on the machine and on what else runs on it.

    .venv/bin/python scripts/bench_lab_loops.py                          # every lab (~8 min)
    .venv/bin/python scripts/bench_lab_loops.py --labs optimization --variants adam,sgd
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from tf1_course.core.command import Parser, positive_int, run_main  # noqa: E402

LABS = ("init", "regularization", "optimization")
LOOPS = ("step", "fused")  # reference first


def build_parser():
    p = Parser(prog="bench_lab_loops.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--labs", default=",".join(LABS), help=f"comma-separated labs (default {','.join(LABS)})")
    p.add_argument("--variants", help="comma-separated variant names (default all of each lab)")
    p.add_argument("--steps", type=positive_int, help="iterations / epochs of every variant (default the course's)")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    return p


def compare(ours, reference):
    """(numbers, bit-identical, largest relative difference of the others) of two equally long lists."""
    from tf1_course.labs.results import relative_difference

    assert len(ours) == len(reference)
    diffs = [relative_difference(float(a), float(b)) for a, b in zip(ours, reference) if a != b]
    return len(ours), len(ours) - len(diffs), max(diffs, default=0.0)


def numbers(variant, result):
    """{"printed": [...], "curve": [...], "parameters": [...]} of one Result, as flat float lists."""
    from tf1_course.labs.runner import printed_steps

    at = printed_steps(variant, len(result.costs))
    printed = [result.costs[i] for i in at] + [result.train_accuracy]
    if result.test_accuracy is not None:
        printed.append(result.test_accuracy)
    curve = list(result.costs)
    if result.last_minibatch_costs is not None:
        printed += [result.last_minibatch_costs[i] for i in at]
        curve += result.last_minibatch_costs + result.learning_rates
    parameters = [float(x) for k in sorted(result.parameters) for x in result.parameters[k].ravel()]
    return {"printed": printed, "curve": curve, "parameters": parameters}


def run(args):
    import importlib

    from tf1_course.core.errors import UsageError
    from tf1_course.core.fileio import write_json
    from tf1_course.labs.np_engine.init import initialize_parameters
    from tf1_course.labs.runner import select_variants
    from tf1_course.labs.tf_engine import train as tf_train  # loads TensorFlow

    labs = [name.strip() for name in args.labs.split(",") if name.strip()]
    if not labs or any(name not in LABS for name in labs):
        raise UsageError(f"--labs takes some of {', '.join(LABS)}")
    wanted = args.variants.split(",") if args.variants else None
    rows, totals = [], {loop: 0.0 for loop in LOOPS}
    print(f"{'variant':<37}{'step s':>8}{'fused s':>9}{'x':>6}  bit-identical (max relative difference of the "
          "rest): printed, curve, parameters", flush=True)
    for lab_name in labs:
        lab = importlib.import_module(f"tf1_course.labs.lab_{lab_name}")
        chosen = [v for v in lab.variants() if "tf" in v.engines and (wanted is None or v.name in wanted)]
        data = lab.load_data()
        for k, variant in enumerate(select_variants(chosen, None, args.steps)):
            initial = initialize_parameters(variant.hyper.layers_dims, variant.hyper.init)
            results, seconds = {}, {}
            for loop in (LOOPS if k % 2 == 0 else LOOPS[::-1]):
                start = time.perf_counter()
                results[loop] = tf_train.model(variant.hyper, initial, data, progress=False,
                                               options=variant.tf_options.replace(loop=loop))
                seconds[loop] = time.perf_counter() - start
                totals[loop] += seconds[loop]
            ours, reference = numbers(variant, results["fused"]), numbers(variant, results["step"])
            found = {key: compare(ours[key], reference[key]) for key in ours}
            cells = "  ".join(f"{same}/{n} ({diff:.1e})" for n, same, diff in found.values())
            print(f"{lab_name + ' ' + variant.name:<37}{seconds['step']:>8.2f}{seconds['fused']:>9.2f}"
                  f"{seconds['step'] / seconds['fused']:>6.1f}  {cells}", flush=True)
            rows.append({"lab": lab_name, "variant": variant.name, "steps": variant.hyper.num_steps,
                         "seconds": seconds, **{key: dict(zip(("numbers", "identical", "max_rel_diff"), v))
                                                 for key, v in found.items()}})
    if not rows:
        raise UsageError("no TF variant of these labs has those names")
    print(f"{'total':<37}{totals['step']:>8.1f}{totals['fused']:>9.1f}{totals['step'] / totals['fused']:>6.1f}")
    if args.json:
        write_json(Path(args.json), {"rows": rows, "totals": totals})
    return 0


def main(argv=None):
    return run_main(build_parser(), run, argv)


if __name__ == "__main__":
    sys.exit(main())
