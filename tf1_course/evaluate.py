"""``tf1-course evaluate``: a trained run's accuracy, per class, and its confusion matrix.

Restores the run's checkpoint into the inference graph and scores the train and test sets the
run was trained with. Writes ``evaluation.json`` and ``confusion_matrix.png`` (test set) into the
run directory.
"""

import sys
from pathlib import Path

import numpy as np

from tf1_course.command import Parser, run_main


def confusion(labels, predictions, num_classes):
    """int [m], int [m] -> counts int [C, C]; rows are the true class, columns the predicted one."""
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (labels, predictions), 1)
    return matrix


def per_class_accuracy(matrix):
    """Diagonal over row sums: the fraction of each true class predicted right (nan if absent)."""
    totals = matrix.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, np.diag(matrix) / np.maximum(totals, 1), np.nan)


def score(model, split):
    """(accuracy, confusion matrix) of ``model`` on a Split."""
    from tf1_course.data.prepare import flatten_and_scale

    predicted = np.argmax(model.probabilities(flatten_and_scale(split.x, np.float32)), axis=0)
    matrix = confusion(split.y, predicted, len(split.classes))
    return float(np.mean(predicted == split.y)), matrix


def evaluate(run_dir, data_dir=None, device="auto", log=print):
    from tf1_course import plots, rundir
    from tf1_course.data import h5
    from tf1_course.fileio import write_json
    from tf1_course.predict import open_model

    run_dir = Path(run_dir)
    config = rundir.load_config(run_dir)
    data_dir = Path(data_dir or config["data"]["dir"])
    train_set, test_set = h5.load_dataset(data_dir)
    with open_model(run_dir, device, log) as model:
        results = {name: score(model, split) for name, split in (("train", train_set), ("test", test_set))}
        epoch = model.progress["epoch"]
    report = {"run_dir": str(run_dir), "data_dir": str(data_dir), "epoch": epoch}
    log(f"{run_dir} after {epoch} epochs, data from {data_dir}")
    for name, (acc, matrix) in results.items():
        per_class = per_class_accuracy(matrix)
        report[f"{name}_accuracy"] = acc
        report[f"{name}_per_class_accuracy"] = [None if np.isnan(a) else float(a) for a in per_class]
        report[f"{name}_confusion_matrix"] = matrix.tolist()
        log(f"{name.capitalize()} Accuracy: {acc:.4f}")
        log("  per class: " + "  ".join(f"{k}: {a:.2f}" for k, a in enumerate(per_class)))
    matrix = results["test"][1]
    log("Test confusion matrix (rows: true sign, columns: predicted):")
    log("      " + " ".join(f"{k:>4}" for k in range(len(matrix))))
    for k, row in enumerate(matrix):
        log(f"  {k:>2}  " + " ".join(f"{v:>4}" for v in row))
    plots.confusion_matrix(matrix, run_dir / "confusion_matrix.png",
                           f"SIGNS test set, accuracy {results['test'][0]:.3f}",
                           [str(k) for k in range(len(matrix))])
    write_json(run_dir / "evaluation.json", report)
    log(f"wrote {run_dir / 'evaluation.json'} and {run_dir / 'confusion_matrix.png'}")
    return report


def build_parser():
    from tf1_course.device import DEVICES
    from tf1_course.rundir import DEFAULT_RUN_DIR

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
