"""Scoring a trained run: accuracy, per-class accuracy, the confusion matrix (``tf1-course evaluate``).

    evaluate(run_dir, data_dir=None, device="auto") -> report dict   (writes evaluation.json, the PNG)
    score(model, split) -> (accuracy, confusion matrix [C, C])
"""

import numpy as np

from tf1_course.core.fileio import write_json
from tf1_course.data import h5
from tf1_course.data.prepare import flatten_and_scale
from tf1_course.signs.inference import open_model
from tf1_course.signs.rundir import RunDir, locate_data


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
    """(accuracy, confusion matrix) of a TrainedModel on an h5 Split."""
    predicted = np.argmax(model.probabilities(flatten_and_scale(split.x, np.float32)), axis=0)
    matrix = confusion(split.y, predicted, len(split.classes))
    return float(np.mean(predicted == split.y)), matrix


def evaluate(run_dir, data_dir=None, device="auto", log=print):
    """Score a run on every data file it was trained and scored on; write evaluation.json and the
    confusion matrix of its last scored set (test). Returns the report dict."""
    run = RunDir(run_dir)
    config = run.load_config()
    folder, files, same = locate_data(config["data"], data_dir)
    splits = {role: h5.load_split(folder / entry["file"], entry["split"]) for role, entry in files.items()}
    with open_model(run.path, device, log) as model:
        results = {role: score(model, split) for role, split in splits.items()}
        epoch = model.epoch
    report = {"run_dir": str(run), "data_dir": str(folder), "epoch": epoch, "same_data_as_training": same}
    log(f"{run} after {epoch} epochs, data from {folder}")
    if not same:
        log(f"note: {folder / files['train']['file']} is not the file this run was trained on "
            f"(its sha256 differs)")
    for role, (acc, matrix) in results.items():
        per_class = per_class_accuracy(matrix)
        report[f"{role}_accuracy"] = acc
        report[f"{role}_per_class_accuracy"] = [None if np.isnan(a) else float(a) for a in per_class]
        report[f"{role}_confusion_matrix"] = matrix.tolist()
        log(f"{role.capitalize()} Accuracy: {acc:.4f}")
        log("  per class: " + "  ".join(f"{k}: {a:.2f}" for k, a in enumerate(per_class)))
    shown = "test" if "test" in results else list(results)[-1]
    matrix = results[shown][1]
    log(f"{shown.capitalize()} confusion matrix (rows: true sign, columns: predicted):")
    log("      " + " ".join(f"{k:>4}" for k in range(len(matrix))))
    for k, row in enumerate(matrix):
        log(f"  {k:>2}  " + " ".join(f"{v:>4}" for v in row))
    from tf1_course.core import plots  # matplotlib: only when there is a matrix to draw

    plots.confusion_matrix(matrix, run.confusion_png, f"SIGNS {shown} set, accuracy {results[shown][0]:.3f}",
                           [str(k) for k in range(len(matrix))])
    write_json(run.evaluation, report)
    log(f"wrote {run.evaluation} and {run.confusion_png}")
    return report
