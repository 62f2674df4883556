#!/usr/bin/env python3
"""The labs' results table (docs/labs.md) from a reproduction report's lab runs.

``tf1-course reproduce`` runs every lab at full length on both engines into ``reports/NAME/labs/``;
this script reads their ``metrics.json`` and prints one markdown row per variant: accuracies of
each engine beside the course's, and how far the two engines' costs are apart. ``--float32`` also
trains the three TF variants whose hyperparameters TensorFlow would keep as float32, both ways,
and prints how far each drifts from the course's rule (about a minute).

    tf1-course reproduce --name full && .venv/bin/python scripts/labs_table.py reports/full
    .venv/bin/python scripts/labs_table.py reports/full --float32
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from tf1_course.core.command import Parser, run_main  # noqa: E402
from tf1_course.core.errors import UsageError  # noqa: E402

# the report's lab folders, in the table's order
FOLDERS = ("init", "regularization", "optimization", "optimization-5000")


def build_parser():
    p = Parser(prog="labs_table.py", description=__doc__.split("\n\n")[0])
    p.add_argument("report", help="a report folder written by `tf1-course reproduce` (not --quick)")
    p.add_argument("--float32", action="store_true", help="also measure the float32-hyperparameter drift")
    p.add_argument("--device", default="cpu", help="device for --float32 (default cpu)")
    return p


def _acc(x):
    return "—" if x is None else f"{x:.4f}"


def table_rows(lab, metrics):
    from tf1_course.labs.results import short_float
    from tf1_course.labs.runner import ENGINES

    rows = []
    order = [v.name for v in lab.variants()]  # the lab's order (metrics.json's keys are sorted)
    for name in sorted(metrics["variants"], key=lambda n: order.index(n) if n in order else len(order)):
        entry = metrics["variants"][name]
        steps = entry["config"]["num_steps"]
        cells = []
        for key in ("train_accuracy", "test_accuracy"):
            cells += [_acc(entry["engines"].get(engine, {}).get(key)) for engine in ENGINES]
            cells.append(_acc(lab.COURSE.get(name, {}).get("accuracy_at", {}).get(steps, {}).get(key)))
        if entry.get("agreement"):
            a = entry["agreement"]
            note = (f"{a['max_rel_cost_diff']:.1e}" if a["first_step_above_threshold"] is None
                    else f"> {short_float(a['threshold'])} from step {a['first_step_above_threshold']}")
        elif entry.get("vs_reference"):
            note = f"vs {entry['vs_reference']['reference']}: {entry['vs_reference']['max_rel_cost_diff']:.2g}"
        else:
            note = ""
        unit = "it" if entry["config"]["minibatch_size"] is None else "ep"
        rows.append(f"| {lab.NAME} | {name} | {steps} {unit} | " + " | ".join(cells) + f" | {note} |")
    return rows


def float32_hyperparameters(device):
    """TF engine: how far tf.train drifts from the course rule with Python-float hyperparameters."""
    from tf1_course.labs import data2d, lab_optimization
    from tf1_course.labs.np_engine import init
    from tf1_course.labs.results import agreement
    from tf1_course.labs.tf_engine import train as tf_train  # loads TensorFlow

    data = data2d.load_moons()
    variants = {v.name: v for v in lab_optimization.variants()}
    rows = ["| TF variant | compared with | Python floats (float32 inside TF) | float64 tensors |",
            "|---|---|---|---|"]
    for reference, name in (("momentum", "builtin-momentum-scaled"), ("adam", "builtin-adam"),
                            ("gd-exponential", "gd-exponential")):
        ref_variant = variants[reference]
        initial = init.initialize_parameters(ref_variant.hyper.layers_dims, ref_variant.hyper.init)
        ref = tf_train.model(ref_variant.hyper, initial, data, device=device, progress=False,
                             options=ref_variant.tf_options)
        cells = []
        for f64 in (False, True):
            v = variants[name].replace(float64_hyperparameters=f64)
            result = tf_train.model(v.hyper, initial, data, device=device, progress=False, options=v.tf_options)
            cells.append(f"{agreement(ref, result)['max_rel_cost_diff']:.2g}")
        rows.append(f"| {name} ({variants[name].hyper.num_steps} epochs) | {reference} (course rule) | "
                    + " | ".join(cells) + " |")
    return rows


def run(args):
    from tf1_course.core.fileio import read_json
    from tf1_course.labs import lab_init, lab_optimization, lab_regularization

    labs = {"init": lab_init, "regularization": lab_regularization, "optimization": lab_optimization,
            "optimization-5000": lab_optimization}
    folder = Path(args.report) / "labs"
    missing = [f for f in FOLDERS if not (folder / f / "metrics.json").is_file()]
    if missing:
        raise UsageError(f"{folder}: no lab runs for {', '.join(missing)}; run `tf1-course reproduce` "
                         "(without --quick) first")
    quick = read_json(Path(args.report) / "report.json").get("meta", {}).get("quick") \
        if (Path(args.report) / "report.json").is_file() else False
    if quick:
        raise UsageError(f"{args.report} is a --quick report: its labs are shortened")
    rows = ["| lab | variant | length | train numpy | train tf | train course | test numpy | test tf "
            "| test course | numpy vs tf (max relative cost difference) |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for name in FOLDERS:
        rows += table_rows(labs[name], read_json(folder / name / "metrics.json"))
    print("\n".join(rows))
    if args.float32:
        print("\n" + "\n".join(float32_hyperparameters(args.device)))
    return 0


def main(argv=None):
    return run_main(build_parser(), run, argv)


if __name__ == "__main__":
    sys.exit(main())
