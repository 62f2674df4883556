"""Batch norm lab (``tf1-course lab batchnorm``): the lecture's claim that batch norm speeds up
learning, measured on the SIGNS model, on the TF engine, the NumPy engine, or both.

The course's SIGNS model (Adam, mini-batches of 32, seeds 1 and 3) is trained with and without
batch norm before each hidden ReLU, at learning rates 1e-4, 1e-3 and 1e-2, for 100 epochs
(``--epochs``): the cost per epoch and the train/test accuracies, side by side.

- TF engine (``tf_engine/signs.py``): each variant is a normal run directory (``RUN_DIR/VARIANT``)
  trained by ``tf1_course.signs.training``, the same code as ``tf1-course train --batch-norm``; float32.
- NumPy engine (``np_engine/signs.py``): the same model written out in float64, from the TF
  model's initial weights, on the same mini-batches, with TF's Adam. Nothing is written but
  metrics.json and the comparison PNG.

With both engines each variant gets an agreement line: the largest relative difference between
the engines' epoch costs, the first epoch where it exceeds THRESHOLD, and whether the accuracies
are equal. float32 against float64, so they agree to rounding at first; with batch norm a
float32 rounding can put a Z_tilde near 0 on the other side of the ReLU, after which the two runs
part (docs/labs.md, "Batch norm on the SIGNS model").
"""

import time

from tf1_course.core.fileio import jsonable, write_json

NAME = "batchnorm"
LEARNING_RATES = (1e-4, 1e-3, 1e-2)
EPOCHS = 100
PRINT_EVERY = 25
# numpy (float64) vs tf (float32): a float32 epoch cost is a sum of 34 float32 mini-batch costs,
# each good to ~1e-7; 1e-5 leaves room for that and flags trajectories that have parted.
THRESHOLD = 1e-5


def variants():
    """[(name, learning rate, batch norm)]: each rate without, then with batch norm."""
    return [(f"lr{lr:.0e}" + ("-bn" if bn else ""), lr, bn) for lr in LEARNING_RATES for bn in (False, True)]


def variant_names():
    return [name for name, _, _ in variants()]


def config(learning_rate, batch_norm, epochs):
    """The settings.TrainConfig of a variant: the course's model, this rate, batch norm or not."""
    from tf1_course.signs.settings import resolve_config

    return resolve_config({"learning_rate": learning_rate, "batch_norm": batch_norm, "num_epochs": epochs,
                           "print_every": epochs + 1, "save_every": epochs})


def load_data(data_dir=None):
    """{"train": (X float64 [12288, m], Y [6, m]), "test": (X, Y)}: the course's arrays, for NumPy."""
    from tf1_course.data import h5
    from tf1_course.data.paths import data_dir as default_data_dir
    from tf1_course.data.prepare import prepare
    from tf1_course.signs.training import COURSE_FILES

    folder = default_data_dir(data_dir)
    return {role: prepare(h5.load_split(folder / name, split)) for role, (name, split) in COURSE_FILES.items()}


def run(options, data_dir=None):
    """Train the chosen variants on options.engines; print the course-style lines side by side.
    Returns the metrics (also written to RUN_DIR/metrics.json)."""
    data = load_data(data_dir) if "numpy" in options.engines else None  # a missing file: one line, first
    # Lazy, as in runner.py: they load matplotlib and TensorFlow, which `tf1-course lab --help`
    # does not need.
    from tf1_course.labs import plots
    from tf1_course.labs.np_engine import signs as np_signs
    from tf1_course.labs.results import agreement
    from tf1_course.labs.tf_engine import signs as tf_signs

    chosen = [v for v in variants() if not options.variants or v[0] in options.variants]
    epochs = options.steps or EPOCHS
    every = options.print_every or PRINT_EVERY
    results, entries, start = {}, {}, time.perf_counter()
    initials = {}  # the starting weights depend on the seed and batch_norm only, not the rate
    for name, lr, bn in chosen:
        cfg = config(lr, bn, epochs)
        runs = {}
        for engine in options.engines:
            if engine == "numpy":
                if bn not in initials:
                    initials[bn] = tf_signs.initial_parameters(cfg, options.device)  # where the TF run starts
                runs[engine] = np_signs.model(data, initials[bn], cfg, options.progress, name)
            else:
                runs[engine] = tf_signs.model(options.run_dir / name, cfg, data_dir, options.device,
                                              options.progress)
            options.out(f"{name} [{engine}]: {_summary(runs[engine])}")
        results[name] = runs
        entries[name] = {"learning_rate": lr, "batch_norm": bn,
                         "engines": {e: _engine_metrics(r) for e, r in runs.items()}}
        if len(runs) == 2 and all(r.outcome == "finished" for r in runs.values()):
            entries[name]["agreement"] = agreement(runs["numpy"], runs["tf"], THRESHOLD)
    for line in report_lines(entries, options.engines, epochs, every):
        options.out(line)
    pngs = []
    for engine in options.engines:
        curves = {name: (list(range(len(r[engine].costs))), r[engine].costs)
                  for name, r in results.items() if r[engine].costs}
        png = options.run_dir / f"comparison-{engine}.png"
        plots.comparison(png, curves, f"SIGNS with and without batch norm: cost per epoch ({epochs} epochs, "
                         f"{engine} engine)", "epochs")
        pngs.append(png.name)
    metrics = {"lab": NAME, "engines": list(options.engines), "device": options.device, "epochs": epochs,
               "agreement_threshold": THRESHOLD, "variants": entries, "comparison_pngs": pngs,
               "seconds": round(time.perf_counter() - start, 3)}
    write_json(options.run_dir / "metrics.json", jsonable(metrics))
    return metrics


def _engine_metrics(r):
    return {"outcome": r.outcome, "costs": r.costs, "train_accuracy": r.train_accuracy,
            "test_accuracy": r.test_accuracy, "seconds": round(r.seconds, 3),
            "seconds_per_epoch": round(r.seconds / max(len(r.costs), 1), 4), "message": r.message}


def _summary(r):
    if r.outcome != "finished":
        return f"{r.outcome}: {r.message}"
    return (f"final cost {r.costs[-1]:f}, train accuracy {r.train_accuracy:.4f}, "
            f"test accuracy {r.test_accuracy:.4f} ({r.seconds:.1f} s)")


def agreement_line(name, a):
    """``name numpy vs tf: ...`` for an agreement dict (results.agreement)."""
    from tf1_course.labs.results import agreement_verdict

    same = a["same_train_accuracy"] and a["same_test_accuracy"]
    return f"{name} numpy vs tf: {agreement_verdict(a, 'epoch')}; accuracies {'equal' if same else 'DIFFER'}"


def report_lines(entries, engines, epochs, every):
    """For each learning rate: the cost every ``every`` epochs and the accuracies, without | with
    batch norm, each engine a column; then the agreement line of each variant run on both."""
    lines = []
    for lr in sorted({e["learning_rate"] for e in entries.values()}):
        pair = {bn: next((e for e in entries.values() if e["learning_rate"] == lr and e["batch_norm"] == bn), None)
                for bn in (False, True)}
        columns = [(pair[bn], engine) for bn in (False, True) for engine in engines]

        def row(label, cell):
            cells = [cell(entry["engines"][engine]) if entry else "-" for entry, engine in columns]
            groups = [" ".join(f"{c:>10}" for c in cells[i:i + len(engines)])
                      for i in range(0, len(cells), len(engines))]
            return f"{label:<22}" + " | ".join(groups)

        lines.append(f"== learning rate {lr:g}: without | with batch norm ==")
        if len(engines) > 1:
            lines.append(f"{'':<22}" + " | ".join(" ".join(f"{e:>10}" for e in engines) for _ in pair))
        for epoch in sorted({*range(0, epochs, every), epochs - 1}):
            lines.append(row(f"Cost after epoch {epoch}:",
                             lambda r: f"{r['costs'][epoch]:f}" if len(r["costs"]) > epoch else "-"))
        for key in ("train_accuracy", "test_accuracy"):
            lines.append(row(f"{key.replace('_', ' ').capitalize()}:",
                             lambda r: f"{r[key]:.4f}" if r[key] is not None else "-"))
        for entry in pair.values():
            if entry and "agreement" in entry:
                name = next(n for n, e in entries.items() if e is entry)
                lines.append(agreement_line(name, entry["agreement"]))
    return lines
