"""Batch norm lab (``tf1-course lab batchnorm``): the lecture's claim that batch norm speeds up
learning, measured on the SIGNS model.

The course's SIGNS model (Adam, mini-batches of 32, seeds 1 and 3) is trained with and without
batch norm before each hidden ReLU, at learning rates 1e-4, 1e-3 and 1e-2, for 100 epochs
(``--epochs``): the cost per epoch and the train/test accuracies, side by side. Each variant is a
normal run directory (``RUN_DIR/VARIANT``) trained by ``tf1_course.training``, the same code
as ``tf1-course train --batch-norm``.
"""

import time

from tf1_course.fileio import write_json

NAME = "batchnorm"
LEARNING_RATES = (1e-4, 1e-3, 1e-2)
EPOCHS = 100
PRINT_EVERY = 25


def variants():
    """[(name, learning rate, batch norm)]: each rate without, then with batch norm."""
    return [(f"lr{lr:.0e}" + ("-bn" if bn else ""), lr, bn) for lr in LEARNING_RATES for bn in (False, True)]


def variant_names():
    return [name for name, _, _ in variants()]


def run(options, data_dir=None):
    """Train the chosen variants; print the course-style lines side by side. Returns metrics."""
    # Lazy, as in runner.py: they load matplotlib, which `tf1-course lab --help` does not need.
    from tf1_course.labs import plots
    from tf1_course.training import train

    chosen = [v for v in variants() if not options.variants or v[0] in options.variants]
    epochs = options.steps or EPOCHS
    every = options.print_every or PRINT_EVERY
    results, start = {}, time.perf_counter()
    for name, lr, bn in chosen:
        flags = {"learning_rate": lr, "batch_norm": bn, "num_epochs": epochs, "print_every": epochs + 1,
                 "save_every": epochs}
        result = train(options.run_dir / name, flags, data_dir, options.device, overwrite=True, echo=False,
                       show_progress=options.progress)
        metrics = result.metrics or {}
        results[name] = {"learning_rate": lr, "batch_norm": bn, "outcome": result.outcome,
                         "costs": metrics.get("costs", []), "train_accuracy": metrics.get("train_accuracy"),
                         "test_accuracy": metrics.get("test_accuracy"), "seconds": metrics.get("seconds"),
                         "message": result.message}
        options.out(f"{name}: {_summary(results[name])}")
    for line in report_lines(results, epochs, every):
        options.out(line)
    curves = {name: (list(range(len(r["costs"]))), r["costs"]) for name, r in results.items() if r["costs"]}
    png = options.run_dir / "comparison-tf.png"
    plots.comparison(png, curves, f"SIGNS with and without batch norm: cost per epoch ({epochs} epochs)", "epochs")
    metrics = {"lab": NAME, "engines": ["tf"], "device": options.device, "epochs": epochs,
               "variants": results, "comparison_pngs": [png.name],
               "seconds": round(time.perf_counter() - start, 3)}
    write_json(options.run_dir / "metrics.json", metrics)
    return metrics


def _summary(r):
    if r["outcome"] != "finished":
        return f"{r['outcome']}: {r['message']}"
    return (f"final cost {r['costs'][-1]:f}, train accuracy {r['train_accuracy']:.4f}, "
            f"test accuracy {r['test_accuracy']:.4f} ({r['seconds']:.1f} s)")


def report_lines(results, epochs, every):
    """For each learning rate: the cost every ``every`` epochs and the accuracies, plain | batch norm."""
    lines = []
    for lr in sorted({r["learning_rate"] for r in results.values()}):
        pair = {bn: next((r for r in results.values() if r["learning_rate"] == lr and r["batch_norm"] == bn), None)
                for bn in (False, True)}
        lines.append(f"== learning rate {lr:g}: without | with batch norm ==")
        for epoch in list(range(0, epochs, every)) + [epochs - 1]:
            cells = [f"{r['costs'][epoch]:f}" if r and len(r["costs"]) > epoch else "-" for r in pair.values()]
            lines.append(f"Cost after epoch {epoch}: {cells[0]:>10} | {cells[1]:>10}")
        for key in ("train_accuracy", "test_accuracy"):
            cells = [f"{r[key]:.4f}" if r and r[key] is not None else "-" for r in pair.values()]
            lines.append(f"{key.replace('_', ' ').capitalize()}: {cells[0]:>10} | {cells[1]:>10}")
    return lines
