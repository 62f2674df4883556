"""Full-length reproduction of the four labs on both engines, and the README's table.

    .venv/bin/python scripts/reproduce_labs.py [--out runs/reproduce-labs] [--device cpu]

Runs every variant of init, regularization and optimization at the course's length (and gd,
momentum, adam again at 5000 epochs, the 2021 notebook's length), plus gradcheck. Each lab's run
directory (PNGs, metrics.json) goes under --out; summary.md there holds the markdown table the
README shows. Takes about 10 minutes on 2 CPU cores.
"""

import argparse
import sys
import time
from pathlib import Path

from tf1_course.fileio import write_text
from tf1_course.labs import data2d, lab_gradcheck, lab_init, lab_optimization, lab_regularization
from tf1_course.labs.np_engine import init
from tf1_course.labs.results import agreement, short_float
from tf1_course.labs.runner import ENGINES, Options, run_training_lab


def _acc(x):
    return "—" if x is None else f"{x:.4f}"


def _course_acc(lab, name, steps, key):
    value = lab.COURSE.get(name, {}).get("accuracy_at", {}).get(steps, {}).get(key)
    return _acc(value)


def table_rows(lab, metrics):
    rows = []
    for name, entry in metrics["variants"].items():
        steps = entry["config"]["num_steps"]
        cells = []
        for key in ("train_accuracy", "test_accuracy"):
            for engine in ENGINES:
                cells.append(_acc(entry["engines"].get(engine, {}).get(key)))
            cells.append(_course_acc(lab, name, steps, key))
        agreement = entry.get("agreement") or entry.get("vs_reference")
        if entry.get("agreement"):
            a = entry["agreement"]
            note = (f"{a['max_rel_cost_diff']:.1e}" if a["first_step_above_threshold"] is None
                    else f"> {short_float(a['threshold'])} from step {a['first_step_above_threshold']}")
        elif agreement:
            note = f"vs {agreement['reference']}: {agreement['max_rel_cost_diff']:.2g}"
        else:
            note = ""
        unit = "it" if entry["config"]["minibatch_size"] is None else "ep"
        rows.append(f"| {lab.NAME} | {name} | {steps} {unit} | " + " | ".join(cells) + f" | {note} |")
    return rows


def float32_hyperparameters(device):
    """TF engine: how far tf.train drifts from the course rule with Python-float hyperparameters."""
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
            result = tf_train.model(v.hyper, initial, data, device=device, progress=False,
                                    options=v.tf_options)
            cells.append(f"{agreement(ref, result)['max_rel_cost_diff']:.2g}")
        rows.append(f"| {name} ({variants[name].hyper.num_steps} epochs) | {reference} (course rule) | "
                    + " | ".join(cells) + " |")
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="runs/reproduce-labs")
    p.add_argument("--device", default="cpu")
    args = p.parse_args(argv)
    out = Path(args.out)
    start = time.perf_counter()
    header = ["| lab | variant | length | train numpy | train tf | train course | test numpy | test tf "
              "| test course | numpy vs tf (max relative cost difference) |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    rows = []
    runs = [(lab_init, None, "init"), (lab_regularization, None, "regularization"),
            (lab_optimization, None, "optimization"),
            (lab_optimization, dict(variants=["gd", "momentum", "adam"], steps=5000), "optimization-5000")]
    for lab, extra, folder in runs:
        print(f"\n######## lab {lab.NAME} ({folder}) ########", flush=True)
        options = Options(engines=ENGINES, run_dir=out / folder, device=args.device, progress=False,
                          **(extra or {}))
        options.run_dir.mkdir(parents=True, exist_ok=True)
        rows += table_rows(lab, run_training_lab(lab, options))
    print("\n######## lab gradcheck ########", flush=True)
    options = Options(engines=ENGINES, run_dir=out / "gradcheck", device=args.device)
    options.run_dir.mkdir(parents=True, exist_ok=True)
    lab_gradcheck.run(options)
    print("\n######## float32 hyperparameters ########", flush=True)
    table = "\n".join(header + rows) + "\n\n" + "\n".join(float32_hyperparameters(args.device)) + "\n"
    write_text(out / "summary.md", table)
    print("\n" + table)
    print(f"reproduction took {time.perf_counter() - start:.0f} s; tables in {out / 'summary.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
