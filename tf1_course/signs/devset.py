"""A dev set in a SIGNS run: which files play which role, when they are scored, when to stop.

    dev_files(dev, data_dir) -> {role: (file, split)}   the data roles of `train --dev [FILE]`
    is_evaluation(done, cfg) -> bool                     is this epoch count an evaluation point
    judge(evaluations, patience, min_delta) -> Verdict   the best epoch so far and whether to stop

The lecture's rule: "We can use the development data to choose when to stop." So the dev set
chooses (the best checkpoint, the stopping epoch) and the test set never does: a --dev run trains
on ``train_minus_dev_signs.h5`` (864 photos), is judged on ``dev_signs.h5`` (the other 216 of the
same 1080), and is scored on the course's ``test_signs.h5`` at the end (or at every evaluation with
--eval-test, for the curves only).

An evaluation is {"epoch": epochs trained, "train": accuracy, "dev": accuracy[, "test": ...]}, taken
every ``eval_every`` epochs and at the last. The run keeps the list in each checkpoint, so
:func:`judge` gives a resumed run the same verdicts, and the same stopping epoch, as an
uninterrupted one.
"""

import hashlib
from collections import namedtuple
from pathlib import Path

import numpy as np

from tf1_course.core.errors import UsageError
from tf1_course.core.fileio import not_an_input_file
from tf1_course.data import h5
from tf1_course.data.paths import DEV_FILE, TEST_FILE, TRAIN_FILE, TRAIN_MINUS_DEV_FILE
from tf1_course.signs.settings import eval_every

# Verdict: the best evaluation so far (highest dev accuracy, the earliest on ties), how many
# evaluations since the dev accuracy last improved by more than min_delta, and whether to stop.
Verdict = namedtuple("Verdict", ["best_epoch", "best_dev", "waited", "stop"])


def dev_files(dev, data_dir):
    """The data roles of a run with a dev set: {role: (file, split)} for training.train(files=...).

    ``dev`` True: the dev split `data build` makes (train on the 864, judge on the 216). ``dev`` a
    path: any h5 file in the course's schema as the dev set, training on all of train_signs.h5
    (a file inside the data folder is recorded by name, any other by its absolute path).
    """
    if dev is True:
        h5.load_tuning_split(data_dir)  # missing: one line saying `tf1-course data build`
        return {"train": (TRAIN_MINUS_DEV_FILE, "train"), "dev": (DEV_FILE, "dev"), "test": (TEST_FILE, "test")}
    path = Path(dev)
    why = not_an_input_file(path)
    if why:
        raise UsageError(f"--dev {dev}: {why} (an h5 file in the course's schema, or --dev alone for "
                         f"the dev split `tf1-course data build` makes)")
    folder = Path(data_dir).resolve()
    name = path.name if path.resolve().parent == folder else str(path.resolve())
    return {"train": (TRAIN_FILE, "train"), "dev": (name, h5.split_name(path)), "test": (TEST_FILE, "test")}


def shared_photos(train, dev):
    """How many of the ``dev`` Split's photos are also in the ``train`` Split (byte for byte)."""
    seen = {hashlib.sha1(x.tobytes()).digest() for x in train.x}
    return sum(hashlib.sha1(x.tobytes()).digest() in seen for x in dev.x)


def check_dev(splits, log):
    """A dev set that shares photos with the training set flatters the model: say so (not an error)."""
    if "dev" not in splits:
        return
    shared = shared_photos(splits["train"], splits["dev"])
    if shared:
        log(f"warning: {shared} of the {len(splits['dev'].y)} dev photos are also training photos: the dev "
            f"accuracy will be optimistic")


def require_dev(cfg, roles):
    """--early-stopping and --min-delta need a dev set to judge by."""
    if cfg.early_stopping and "dev" not in roles:
        raise UsageError("--early-stopping needs a dev set to judge by: add --dev (or --dev FILE)")


def is_evaluation(done, cfg):
    """True after ``done`` epochs when the run scores its data: every eval_every epochs, and at the last."""
    return done % eval_every(cfg) == 0 or done == cfg.num_epochs


def evaluation(done, cfg, data, scores, accuracy):
    """The evaluation after ``done`` epochs: {"epoch": done, role: accuracy} for train, dev (when the
    run has one) and test (with --eval-test). ``scores``: the accuracies this epoch already has;
    ``accuracy(role)`` scores the others."""
    roles = [r for r in ("train", "dev", "test") if r in data and (r != "test" or cfg.eval_test)]
    return {"epoch": done, **{r: scores[r] if r in scores else accuracy(r) for r in roles}}


def best_record(evaluation):
    """The best checkpoint's sidecar: its epoch and accuracies."""
    return {"epoch": evaluation["epoch"], **{f"{r}_accuracy": a for r, a in evaluation.items() if r != "epoch"}}


def judge(evaluations, patience=0, min_delta=0.0):
    """The Verdict after these evaluations (oldest first; those without "dev" are skipped).

    The best is the highest dev accuracy, the earliest on ties. Early stopping (``patience`` > 0)
    counts the evaluations since the dev accuracy last beat the best by more than ``min_delta``,
    and stops when there are ``patience`` of them.
    """
    best_epoch = best_dev = reference = None
    waited = 0
    for e in evaluations:
        if "dev" not in e:
            continue
        if best_dev is None or e["dev"] > best_dev:
            best_epoch, best_dev = e["epoch"], e["dev"]
        if reference is None or e["dev"] > reference + min_delta:
            reference, waited = e["dev"], 0
        else:
            waited += 1
    return Verdict(best_epoch, best_dev, waited, bool(patience) and waited >= patience)


def stop_message(verdict, cfg, done):
    """Why an early-stopped run stopped, in one line."""
    return (f"early stopping after {done} epochs: the dev accuracy has not improved"
            f"{f' by more than {cfg.min_delta:g}' if cfg.min_delta else ''} for {verdict.waited} evaluations "
            f"({verdict.waited * eval_every(cfg)} epochs); the best, {verdict.best_dev:.4f} after "
            f"{verdict.best_epoch} epochs, is the best checkpoint")


def evaluation_line(evaluation, verdict, cfg):
    """The log line of one evaluation (of a run with a dev set, or with --eval-test)."""
    others = ", ".join(f"{role} {evaluation[role]:.4f}" for role in ("train", "test") if role in evaluation)
    if "dev" not in evaluation:
        return f"Accuracy after {evaluation['epoch']} epochs: {others}"
    line = f"Dev accuracy after {evaluation['epoch']} epochs: {evaluation['dev']:.4f} ({others})"
    if verdict.best_epoch == evaluation["epoch"]:
        line += "; best so far"
    else:
        line += f"; best {verdict.best_dev:.4f} after {verdict.best_epoch} epochs"
    if cfg.early_stopping:
        line += f"; {verdict.waited} of {cfg.early_stopping} evaluations without improvement"
    return line


def score_best(sess, built, run, data, accuracies, epochs, score, log):
    """The best checkpoint's {"epoch", "ROLE_accuracy": ...}, or None (a run without a dev set).

    Unless it is the last epoch's (``accuracies``, already scored), its weights are restored into
    ``sess`` and scored with ``score()`` -> {role: accuracy}; ``sess`` keeps them.
    """
    best = run.best_checkpoint() if built.best_saver else None
    if best is None:
        return None
    if best.epoch != epochs:
        built.best_saver.restore(sess, best.prefix)
        accuracies = score()
        log(f"Best checkpoint (after {best.epoch} epochs, the highest dev accuracy): "
            + ", ".join(f"{role} {np.float32(a)!s}" for role, a in accuracies.items()))
    return {"epoch": best.epoch, **{f"{role}_accuracy": a for role, a in accuracies.items()}}


def stopping_record(verdict, cfg, done, reason):
    """metrics.json's "stopping": where the run stopped, why, and its best epoch (None without a dev set)."""
    return {"epoch": done, "reason": reason, "best_epoch": verdict.best_epoch, "best_dev_accuracy": verdict.best_dev,
            "evaluations_without_improvement": verdict.waited, "early_stopping": cfg.early_stopping,
            "min_delta": cfg.min_delta, "eval_every": eval_every(cfg)}

