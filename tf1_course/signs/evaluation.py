"""Scoring a trained run: accuracy, per-class accuracy, the confusion matrix (``tf1-course evaluate``).

    evaluate(run_dir, data_dir=None, device="auto", checkpoint=None, gallery=False) -> report dict
        (writes evaluation.json, the confusion matrix PNG, and with ``gallery`` misclassified.png)
    score(model, split) -> (accuracy, confusion matrix [C, C], probabilities [C, m])

``checkpoint``: "best", "last" or None (the best when the run has one): see
:class:`tf1_course.signs.inference.TrainedModel`.
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
    """(accuracy, confusion matrix, probabilities float32 [C, m]) of a TrainedModel on an h5 Split."""
    probabilities = model.probabilities(flatten_and_scale(split.x, np.float32))
    predicted = np.argmax(probabilities, axis=0)
    matrix = confusion(split.y, predicted, len(split.classes))
    return float(np.mean(predicted == split.y)), matrix, probabilities


def evaluate(run_dir, data_dir=None, device="auto", log=print, checkpoint=None, gallery=False):
    """Score a run on every data file it was trained and scored on; write evaluation.json and the
    confusion matrix of its last scored set (test); with ``gallery``, misclassified.png: every photo
    of that set the model gets wrong. Returns the report dict."""
    run = RunDir(run_dir)
    config = run.load_config()
    folder, files, same = locate_data(config["data"], data_dir)
    splits = {role: h5.load_split(folder / entry["file"], entry["split"]) for role, entry in files.items()}
    with open_model(run.path, device, log, checkpoint) as model:
        results = {role: score(model, split) for role, split in splits.items()}
        epoch, kind = model.epoch, model.checkpoint.kind
    report = {"run_dir": str(run), "data_dir": str(folder), "checkpoint": kind, "epoch": epoch,
              "same_data_as_training": same}
    log(f"{run}, {kind} checkpoint (after {epoch} epochs), data from {folder}")
    if not same:
        log(f"note: {folder / files['train']['file']} is not the file this run was trained on "
            f"(its sha256 differs)")
    for role, (acc, matrix, _) in results.items():
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
    written = [run.confusion_png]
    if gallery:
        from tf1_course.signs import gallery as photos

        misses = photos.misclassified(results[shown][2], splits[shown].y)
        photos.render(splits[shown].x, misses, f"SIGNS {shown} set, {kind} checkpoint (epoch {epoch})", run.gallery_png)
        report[f"{shown}_misclassified"] = [m._asdict() for m in misses]
        written.append(run.gallery_png)
    write_json(run.evaluation, report)
    log(f"wrote {run.evaluation}, " + " and ".join(p.name for p in written))
    return report
