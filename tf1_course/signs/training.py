"""Training the SIGNS model, in steps a reader can name:

    prepare          the run directory against --resume/--overwrite, its lock, the config, the data
    build            the graph: model, epoch engine, initializer, Saver (nothing runs yet)
    restore_or_init  the Session's variables: from the newest checkpoint, or initialized
    run_epochs       the epochs; a checkpoint every ``save_every``; an evaluation every ``eval_every``
                     (the best checkpoint, early stopping: :mod:`.devset`); Ctrl-C and divergence stop it
    finish           accuracies (and the best checkpoint's), parameters.npz, cost.png, metrics.json

:func:`train` runs them in order and returns a :class:`Result` whose ``outcome`` is
"finished", "interrupted" (Ctrl-C: checkpoint saved) or "diverged" (a cost became nan or inf:
nothing saved after the last good checkpoint). The ``train`` command maps outcomes to exit codes;
tuning trials call :func:`train` with an ``on_epoch`` hook.

Course defaults: Adam, learning rate 1e-4, 1500 epochs, mini-batches of 32, graph seed 1
(Xavier init), mini-batch seed 3 incremented before each epoch; "Cost after epoch N: C" every 100.
Beyond the course (all off by default, and then the run is the course's to the bit): a dev set
(``dev``), early stopping, learning-rate decay in the graph (:mod:`tf1_course.core.schedules`).
TensorBoard: :mod:`.summaries`.
"""

import dataclasses
import io
import math
import platform
import resource
import sys
import time
from collections import namedtuple
from pathlib import Path

import numpy as np
from tqdm import tqdm

from tf1_course import __version__
from tf1_course.core import course_numbers, device as devices, progress as progress_bar
from tf1_course.data import h5
from tf1_course.data.paths import TEST_FILE, TRAIN_FILE, data_dir as default_data_dir
from tf1_course.data.prepare import prepare as prepare_split
from tf1_course.core.errors import UsageError, reason
from tf1_course.core.interrupt import NAMES, Interrupt
from tf1_course.core.fileio import check_writable, write_bytes, write_json
from tf1_course.signs import devset
from tf1_course.signs.rundir import RunDir, data_record, locate_data, ordered_files, unreadable_checkpoint
from tf1_course.signs.settings import (MATH_FIELDS, RESUME_UPDATES, TrainConfig, model_options, resolve_config,
                                       saved_settings)


# The course's data set: train on train_signs.h5, score on it and on test_signs.h5.
COURSE_FILES = {"train": (TRAIN_FILE, "train"), "test": (TEST_FILE, "test")}

Result = namedtuple("Result", ["outcome", "metrics", "epochs", "message", "signum"])  # signum: what interrupted it
Result.__new__.__defaults__ = (None,)
# cost per epoch, epochs done, training seconds, per epoch {role: accuracy} when tracked (tuning),
# and every evaluation so far [{"epoch": epochs done, role: accuracy, ...}] (devset)
Progress = namedtuple("Progress", ["costs", "epoch", "seconds", "scores", "evaluations"])
# best_saver: the weights only, for the best checkpoint (None without a dev set)
Built = namedtuple("Built", ["graph", "g", "engine", "init", "saver", "best_saver"])
# A run's data loaded already: record is data_record(...) of where it was loaded (config.json keeps
# it), splits {role: h5.Split} for every role of the record.
Preloaded = namedtuple("Preloaded", ["record", "splits"])


def preload(data_dir, files=None):
    """The Preloaded of ``files`` ({role: (file, h5 split)}, default COURSE_FILES) in ``data_dir``."""
    folder = default_data_dir(data_dir)
    files = files or COURSE_FILES
    return Preloaded(data_record(folder, files),
                     {role: h5.load_split(folder / name, split) for role, (name, split) in files.items()})


class RunLog:
    """Print a line (above any progress bar) and append it to the run's train.log."""

    def __init__(self, path, echo=True):
        self.file = open(path, "a")
        self.echo = echo

    def __call__(self, msg=""):
        if self.echo:
            tqdm.write(msg)
        self.file.write(msg + "\n")
        self.file.flush()

    def close(self):
        self.file.close()


# --- prepare ----------------------------------------------------------------------------------

def prepare(run, flags, data_dir=None, resume=False, overwrite=False, files=None, preloaded=None):
    """Check ``run`` against --resume/--overwrite; return (TrainConfig, data dir, data record,
    saved config or None, {role: split} already loaded (a new run's files, checked here)).

    Nothing is deleted here: --overwrite clears the old run in :func:`train` once everything
    else checked out. ``files``: {role: (file, h5 split)} for a new run (default COURSE_FILES); a
    resumed run keeps its own (``files`` given must name the same). ``preloaded``: a Preloaded (the
    data already loaded elsewhere, e.g. by a tuning driver that sends it through Ray's object store):
    no data file is read here, on a node that may have none.
    """
    if resume:
        if not run.has_run():
            raise UsageError(f"--resume: no run in {run} to resume; drop --resume to start one")
        saved = run.load_config()
        cfg = resolve_config(flags, saved_settings(run, saved))
        roles = {role: entry["file"] for role, entry in ordered_files(saved["data"]).items()}
        if files is not None and {role: name for role, (name, _) in files.items()} != roles:
            raise UsageError(f"a resumed run keeps the data it started with ({', '.join(f'{r} {n}' for r, n in roles.items())}); "
                             f"drop --dev, or start a new --run-dir")
        devset.require_dev(cfg, roles)
        if preloaded is not None:
            same = preloaded.record["files"]["train"]["sha256"] == ordered_files(saved["data"])["train"]["sha256"]
            if not same:
                raise UsageError(f"{run}: the data sent for it is not the training data it started with "
                                 f"(sha256 differs); resume needs the same data")
            return cfg, Path(saved["data"]["dir"]), saved["data"], saved, preloaded.splits
        folder, saved_files, same = locate_data(saved["data"], data_dir)
        if not same:
            raise UsageError(f"{folder / saved_files['train']['file']} is not the training data this run "
                             f"started with (sha256 differs); resume needs the same data")
        checkpoint = run.latest_checkpoint()
        if checkpoint and checkpoint.epoch > cfg.num_epochs:
            raise UsageError(f"{run} has already trained {checkpoint.epoch} epochs; --epochs "
                             f"{cfg.num_epochs} is below that (pass --epochs {checkpoint.epoch} or more)")
        record = {**saved["data"], "dir": str(folder.resolve())}
        return cfg, folder, record, saved, {}
    if run.has_run() and not overwrite:
        checkpoint = run.latest_checkpoint()
        where = f" (epoch {checkpoint.epoch})" if checkpoint else ""
        raise UsageError(f"{run} already holds a run{where}: pass --resume to continue it, "
                         f"--overwrite to start again, or choose another --run-dir")
    if not run.has_run() and not run.is_empty():
        raise UsageError(f"{run} is not empty and is not a run directory; choose another --run-dir")
    cfg = resolve_config(flags)
    if preloaded is not None:
        devset.require_dev(cfg, ordered_files(preloaded.record))
        return cfg, Path(preloaded.record["dir"]), preloaded.record, None, preloaded.splits
    folder = default_data_dir(data_dir)
    files = files or COURSE_FILES
    devset.require_dev(cfg, files)
    # a missing or bad file fails before anything changes; the loaded splits are kept for load_data
    splits = {role: h5.load_split(folder / name, split) for role, (name, split) in files.items()}
    return cfg, folder, data_record(folder, files), None, splits


def load_data(folder, record, loop, splits=None):
    """{role: (X, Y)}: X float [12288, m], Y one-hot float64 [6, m] for every file of the run.

    ``splits``: {role: split} already loaded (the rest are read here). The feed loop shuffles the
    course's float64 training matrix; the fast loop and every accuracy pass only need the float32
    values TensorFlow makes of it.
    """
    out = {}
    for role, entry in ordered_files(record).items():
        split = (splits or {}).get(role) or h5.load_split(folder / entry["file"], entry["split"])
        dtype = np.float64 if role == "train" and loop == "feed" else np.float32
        out[role] = prepare_split(split, dtype)
    return out


# --- build ------------------------------------------------------------------------------------

def build(cfg, X_train, Y_train, keep_best=False):
    """The training graph, finalized: nothing may add ops inside the loop.

    With --lr-decay, Adam's rate is a tensor of the global step (the same in both loops, and
    restored with it on --resume); without, the course's float. ``keep_best``: a second Saver, of
    the weights only, for the best checkpoint.
    """
    from tf1_course.core import minibatches, schedules
    from tf1_course.signs import loops, model
    from tf1_course.core.compat import tf

    steps_per_epoch = len(minibatches.batch_bounds(X_train.shape[1], cfg.minibatch_size))
    schedule = schedules.global_step_schedule(cfg.lr_decay, cfg.learning_rate, cfg.decay_rate, steps_per_epoch,
                                              cfg.decay_interval)
    graph = tf.Graph()
    with graph.as_default():
        g = model.build_graph(cfg.learning_rate, seed=cfg.seed, options=model_options(cfg), schedule=schedule)
        engine = loops.make_engine(cfg.loop, g, X_train, Y_train, cfg.minibatch_size)
        init = tf.global_variables_initializer()
        saver = tf.train.Saver(max_to_keep=None, save_relative_paths=True)
        best_saver = tf.train.Saver({**g.parameters, **g.moving}, max_to_keep=None,
                                    save_relative_paths=True) if keep_best else None
    graph.finalize()
    return Built(graph, g, engine, init, saver, best_saver)


# --- restore or init --------------------------------------------------------------------------

def restore_or_init(sess, built, run, resume, log):
    """Restore the newest checkpoint (on resume) or initialize. Returns the Progress so far."""
    from tf1_course.core.compat import tf

    checkpoint = run.latest_checkpoint() if resume else None
    if checkpoint is None:
        if resume:
            log(f"no checkpoint in {run} yet (it stopped before the first one): "
                f"starting from epoch 0 with its saved settings")
        sess.run(built.init)
        progress = Progress([], 0, 0.0, [], [])
    else:
        try:
            built.saver.restore(sess, checkpoint.prefix)
        except (tf.errors.OpError, ValueError) as e:
            raise unreadable_checkpoint(checkpoint.prefix) or UsageError(
                f"checkpoint {checkpoint.prefix} is damaged or does not fit this model "
                f"({reason(e)}); delete its files to resume from the one before") from None
        p = checkpoint.progress
        progress = Progress(list(p["costs"]), p["epoch"], p["seconds"], list(p.get("scores", [])),
                            list(p.get("evaluations", [])))
        log(f"resumed from {run.checkpoints.name}/{run.CKPT_NAME}-{checkpoint.epoch} at epoch {progress.epoch}")
    run.prune_best(progress.epoch)  # a best saved after this checkpoint (then a crash) is computed again
    built.engine.initialize(sess)
    return progress


# --- run epochs -------------------------------------------------------------------------------

def run_epochs(sess, built, cfg, run, progress, log, summaries, data, on_epoch=None, show_progress=True,
               on_checkpoint=None):
    """Train from ``progress.epoch`` to ``cfg.num_epochs``. Returns (outcome, Progress, message, signum).

    ``data``: {role: (X, Y)}. After ``done`` epochs, when :func:`devset.is_evaluation` says so, the
    run scores train (and dev; test with --eval-test): a better dev accuracy saves the best
    checkpoint, and early stopping ends the run there ("finished", its last checkpoint saved).
    ``on_epoch(epoch, cost, scores)`` runs after each epoch, with ``scores`` = {role: accuracy now}
    for every role but train (a tuning trial's curves, kept in checkpoints and metrics.json); a
    true return value stops training there, as "stopped" (a checkpoint is saved).
    ``on_checkpoint(epochs_done)`` runs after each checkpoint is saved (a tuning trial hands it to Ray Tune).
    """
    costs, seconds, history = list(progress.costs), progress.seconds, list(progress.scores)
    evaluations = list(progress.evaluations)
    scored = {role: XY for role, XY in data.items() if role != "train"}
    decaying = cfg.lr_decay != "none"

    def checkpoint(epochs_done):
        run.save_checkpoint(sess, built.saver, epochs_done, {"epoch": epochs_done, "costs": costs, "seconds": seconds,
                                                             "scores": history, "evaluations": evaluations})
        run.prune_best(epochs_done)
        if on_checkpoint:
            on_checkpoint(epochs_done)

    def accuracy(role):
        X, Y = data[role]
        return float(sess.run(built.g.accuracy, {built.g.X: X, built.g.Y: Y}))

    outcome, message = "finished", None
    verdict = devset.judge(evaluations, cfg.early_stopping, cfg.min_delta)
    if verdict.stop:  # a resumed run that had stopped early: nothing left to train
        log(f"already stopped early after {progress.epoch} epochs (raise --early-stopping to train on)")
        return outcome, progress, None, None
    with Interrupt() as interrupt, progress_bar.bar(cfg.num_epochs, "train", "epoch", initial=progress.epoch,
                                                    enabled=show_progress) as bar:
        for epoch in range(progress.epoch, cfg.num_epochs):
            learning_rate = float(sess.run(built.g.learning_rate)) if decaying else cfg.learning_rate
            t0 = time.perf_counter()
            cost = float(built.engine.epoch(sess, cfg.minibatch_seed + epoch + 1))
            seconds += time.perf_counter() - t0
            if not math.isfinite(cost):
                last = (f"the last finite cost was {costs[-1]:g} after epoch {epoch - 1}" if costs
                        else "no epoch had a finite cost")
                saved = run.latest_checkpoint()
                kept = f"checkpoint of epoch {saved.epoch} kept" if saved else "no checkpoint"
                outcome, message = "diverged", (
                    f"training diverged at epoch {epoch}: the cost became {cost}; {last}; {kept}; "
                    f"try a smaller --learning-rate{_other_suspects(cfg)}")
                log(message)
                break
            costs.append(cost)
            scores = {role: accuracy(role) for role in scored} if on_epoch else {}
            if on_epoch:
                history.append(scores)
            summaries.scalars(epoch, {"cost": cost, "learning_rate": learning_rate})
            summaries.accuracies(epoch, scores)
            if epoch % cfg.print_every == 0:
                log(f"Cost after epoch {epoch}: {cost:f}" + (f" (learning rate {learning_rate:.6g})" if decaying else ""))
            bar.set_postfix(cost=f"{cost:.4f}")
            bar.update()
            done = epoch + 1
            if devset.is_evaluation(done, cfg):
                evaluation = devset.evaluation(done, cfg, data, scores, accuracy)
                evaluations.append(evaluation)
                summaries.accuracies(epoch, {r: a for r, a in evaluation.items() if r != "epoch" and r not in scores})
                verdict = devset.judge(evaluations, cfg.early_stopping, cfg.min_delta)
                if verdict.best_epoch == done:  # a better dev accuracy (never on a tie)
                    run.save_best(sess, built.best_saver, done, devset.best_record(evaluation))
                if "dev" in evaluation or cfg.eval_test:
                    log(devset.evaluation_line(evaluation, verdict, cfg))
            stop = on_epoch(epoch, cost, scores) if on_epoch else False
            if interrupt.requested or stop or verdict.stop:
                checkpoint(done)
                if verdict.stop:
                    log(devset.stop_message(verdict, cfg, done))
                outcome = "finished" if verdict.stop else "interrupted" if interrupt.requested else "stopped"
                break
            if done % cfg.save_every == 0 or done == cfg.num_epochs:
                checkpoint(done)
    return outcome, Progress(costs, len(costs), seconds, history, evaluations), message, interrupt.signum


def _other_suspects(cfg):
    """The other settings that can make a cost overflow, when they are not the course's."""
    suspects = ([" a larger --keep-prob"] if cfg.keep_prob < 1 else []) + \
        ([" a smaller --l2-lambda"] if cfg.l2_lambda > 0 else [])
    return f" (or{' or'.join(suspects)})" if suspects else ""


# --- finish -----------------------------------------------------------------------------------

def finish(sess, built, cfg, run, progress, data, record, device, log, summaries):
    """Accuracies on every data role (the last weights, then the best checkpoint's), parameters.npz,
    cost.png, the last TensorBoard values and metrics.json. Returns metrics."""
    from tf1_course.core.compat import TF_VERSION

    parameters = sess.run({**built.g.parameters, **built.g.moving})  # batch norm: the moving averages too
    accuracies, predicted = score(sess, built, data)
    log("Parameters have been trained!")
    for role, accuracy in accuracies.items():
        log(f"{role.capitalize()} Accuracy: {np.float32(accuracy)!s}")
    npz = io.BytesIO()
    np.savez(npz, **parameters)
    write_bytes(run.parameters, npz.getvalue())
    from tf1_course.core import plots  # matplotlib: loaded only when a run finishes (--help stays fast)

    plots.cost_curve(progress.costs, run.cost_png, f"Learning rate = {cfg.learning_rate}",
                     points=course_points(cfg))
    costs = progress.costs
    verdict = devset.judge(progress.evaluations, cfg.early_stopping, cfg.min_delta)
    early = verdict.stop and progress.epoch < cfg.num_epochs
    metrics = {
        **{f"{role}_accuracy": a for role, a in accuracies.items()},
        # how many examples the model assigns to each class: one class taking all = a collapsed model
        "predicted_class_counts": predicted,
        "final_cost": costs[-1] if costs else None,
        "epochs": len(costs),
        "stopping": devset.stopping_record(verdict, cfg, len(costs), "early-stopping" if early else "epochs"),
        "seconds": round(progress.seconds, 3),
        "seconds_per_epoch": round(progress.seconds / max(len(costs), 1), 5),
        "peak_rss_mib": round(peak_rss_mib(), 1),
        "seed": cfg.seed,
        "minibatch_seed": cfg.minibatch_seed,
        "config": dataclasses.asdict(cfg),
        "device": device,
        "determinism": devices.determinism_record(device, cfg.intra_op_threads, cfg.inter_op_threads),
        "data": record,
        "versions": {"tensorflow": TF_VERSION, "numpy": np.__version__,
                     "python": platform.python_version(), "tf1_course": __version__},
        "costs": costs,
        "evaluations": progress.evaluations,
    }
    if progress.scores:
        metrics["scores"] = progress.scores  # per epoch {role: accuracy}, as the tuning trial saw them
    best = devset.score_best(sess, built, run, data, accuracies, len(costs), lambda: score(sess, built, data)[0], log)
    if best:
        metrics["best"] = best  # the best checkpoint's accuracies (now the weights in sess)
    summaries.finish(sess, built.g, data, accuracies, progress.evaluations, len(costs), best)
    write_json(run.metrics, metrics)
    log(f"wrote {run.metrics}, {run.parameters.name}, {run.cost_png.name}; training took "
        f"{progress.seconds:.1f} s ({metrics['seconds_per_epoch'] * 1000:.1f} ms/epoch, {cfg.loop} loop); "
        f"peak memory {metrics['peak_rss_mib']:.0f} MiB")
    return metrics


def score(sess, built, data):
    """({role: accuracy}, {role: examples predicted per class}) of the weights in ``sess``."""
    accuracies, predicted = {}, {}
    for role, (X, Y) in data.items():
        accuracy, Z3 = sess.run([built.g.accuracy, built.g.Z3], {built.g.X: X, built.g.Y: Y})
        accuracies[role] = float(accuracy)
        predicted[role] = np.bincount(np.argmax(Z3, axis=0), minlength=Z3.shape[0]).tolist()
    return accuracies, predicted


def course_points(cfg):
    """The course's printed costs, to overlay on cost.png when this run has the course's settings."""
    defaults = TrainConfig()
    if any(getattr(cfg, k) != getattr(defaults, k) for k in MATH_FIELDS):
        return None
    return {f"course ({edition})": numbers["costs"] for edition, numbers in course_numbers.SIGNS.items()}


COLLAPSED_SHARE = 0.95  # one class predicted for this share of the training examples or more


def collapsed(metrics):
    """True when a finished run predicts (nearly) one class for every training photo: a dead
    network (its hidden ReLUs died), whatever its accuracy on a balanced set (1/6)."""
    counts = metrics.get("predicted_class_counts", {}).get("train")
    return bool(counts) and max(counts) >= COLLAPSED_SHARE * sum(counts)


def peak_rss_mib():
    """This process's peak resident memory so far, in MiB (Linux and macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    return peak / (1 << 20) if sys.platform == "darwin" else peak / 1024


# --- all steps --------------------------------------------------------------------------------

def train(run_dir, flags=None, data_dir=None, device="auto", resume=False, overwrite=False,
          files=None, on_epoch=None, echo=True, show_progress=True, dev=None, preloaded=None, on_checkpoint=None):
    """Train (or resume) the SIGNS model in ``run_dir``. Returns a Result.

    ``flags``: the settings given explicitly ({field of TrainConfig: value}); the rest come from
    the saved run (on resume) or the defaults. ``files``: the data roles of a new run (default:
    the course's train/test files). ``dev``: True (the dev split of `data build`) or an h5 file:
    the data roles of a run with a dev set (:func:`devset.dev_files`; not with ``files``).
    ``echo``: print the log lines (they always go to train.log). ``preloaded``: the data as a
    Preloaded instead of files (see :func:`prepare`); ``on_checkpoint``: see :func:`run_epochs`.
    """
    device = devices.resolve(device)  # first: a bad --device must not cost a run (--overwrite)
    check_writable(run_dir, "--run-dir")
    if dev:
        files = devset.dev_files(dev, default_data_dir(data_dir))
    run = RunDir(run_dir)
    with run.lock():
        cfg, folder, record, saved, splits = prepare(run, flags or {}, data_dir, resume, overwrite, files, preloaded)
        data = load_data(folder, record, cfg.loop, splits)
        built = build(cfg, *data["train"], "dev" in data)  # a graph that cannot be built must not cost the old run
        if overwrite and run.has_run():
            run.clear()  # asked for, and the new run is ready to start
        run.path.mkdir(parents=True, exist_ok=True)
        if saved is None:
            run.save_config({"train": dataclasses.asdict(cfg), "data": record})
        elif any(saved["train"].get(k, getattr(TrainConfig, k)) != getattr(cfg, k) for k in RESUME_UPDATES):
            run.save_config({**saved, "train": {**saved["train"], **{k: getattr(cfg, k) for k in RESUME_UPDATES}}})
        log = RunLog(run.log, echo)
        try:
            devset.check_dev(splits, log)
            return _train(cfg, run, folder, record, data, built, device, resume, log, on_epoch, show_progress,
                          on_checkpoint)
        finally:
            log.close()


def _train(cfg, run, folder, record, data, built, device, resume, log, on_epoch, show_progress, on_checkpoint):
    from tf1_course.core.compat import tf
    from tf1_course.signs.summaries import Summaries

    X_train, Y_train = data["train"]
    log(devices.describe(device))
    log(f"train {X_train.shape} " + " ".join(f"{role} {X.shape}" for role, (X, _) in data.items()
                                            if role != "train") + f" from {folder}; run dir {run}")
    config = devices.session_config(device, cfg.intra_op_threads, cfg.inter_op_threads, cfg.batch_norm)
    with tf.Session(graph=built.graph, config=config) as sess:
        progress = restore_or_init(sess, built, run, resume, log)
        start = progress.epoch
        summaries = Summaries(run.tensorboard, graph=None if start else built.graph,
                              resumed_at=start if resume else None)
        try:
            outcome, progress, message, signum = run_epochs(sess, built, cfg, run, progress, log, summaries, data,
                                                            on_epoch, show_progress, on_checkpoint)
            if outcome == "interrupted":
                log(f"stopped after epoch {progress.epoch} ({NAMES.get(signum, 'a signal')}); checkpoint saved. "
                    f"Continue with: tf1-course train --run-dir {run} --resume")
            if outcome in ("interrupted", "diverged"):
                return Result(outcome, None, progress.epoch, message, signum)
            if start >= cfg.num_epochs:
                log(f"{run} is already trained to {start} epochs (raise --epochs to train more)")
            metrics = finish(sess, built, cfg, run, progress, data, record, device, log, summaries)
        finally:
            summaries.close()
    return Result(outcome, metrics, progress.epoch, None)
