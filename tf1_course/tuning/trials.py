"""Training trials in parallel on Ray Tune: the engine behind ``tune``.

A :class:`Trial` is one ``tf1_course.signs.training.train`` call (its key, its settings, and the
storage URI of the checkpoint it resumes from, if any); :func:`run_trials` runs many of them as
Ray Tune trials, one CPU and one TensorFlow thread each, and tells the caller about every epoch
and every trial that ends. Each trial is exactly the training ``tf1-course train`` does (the same
function), so it gives the same numbers.

Nothing travels through shared paths, so a cluster's nodes need no disk in common with the driver:

- the data: the driver loads the training and dev arrays once (a ``training.Preloaded``) and Tune
  hands them to every trial through Ray's object store (``tune.with_parameters``);
- the run: a trial trains in a temporary folder on its own node; every checkpoint it saves is
  reported to Tune (``tune.report(..., checkpoint=...)``), which persists it into the storage
  (``storage``: a local folder, a folder every node sees, or a URI such as ``s3://bucket/path``);
  its final report carries the whole finished run folder the same way;
- the results: metrics in the reports; the caller fetches a finished trial's run folder from its
  checkpoint (:func:`fetch`), and resumes an interrupted trial from the URI of its last one.

The engine is Ray (``ray[tune]``), never a home-made pool: :mod:`tf1_course.core.cluster` starts a local Ray for
the run (one trial per core) or joins ``--address``. Actors are reused between trials, so
TensorFlow is imported once per worker, not once per trial; Tune's own result files (result.json,
progress.csv, TensorBoard files per trial) are switched off: the study writes its own.
"""

import os
import shutil
import tempfile
import time
from collections import namedtuple
from pathlib import Path

from tf1_course.core import cluster  # before any `import ray` here: it sets Ray's environment
from tf1_course.core.errors import UsageError, reason

Trial = namedtuple("Trial", ["key", "flags", "resume"])  # resume: the URI of the checkpoint to resume, or None
# report_epochs: per-epoch reports to Ray (ASHA needs them); score_epochs: score the data sets other
# than train after every epoch (a study's dev-accuracy curves), else only at the end
TrialOptions = namedtuple("TrialOptions", ["report_epochs", "score_epochs"])
# checkpoint: the trial's last Tune checkpoint (a finished or diverged trial's: its whole run folder);
# node: the Ray node it ran on
TrialOutcome = namedtuple("TrialOutcome", ["key", "status", "history", "seconds", "error", "checkpoint", "node",
                                           "epochs"])
TrialOutcome.__new__.__defaults__ = (None,)  # epochs: how many it trained (its final report says)


def _stage(run_dir, into, whole=False):
    """Copy the run's transfer files (``RunDir.transfer_files``: all of a finished run, or what
    resuming needs) into ``into``. Returns ``into``."""
    from tf1_course.signs.rundir import RunDir

    for p, relative in RunDir(run_dir).transfer_files(whole):
        (into / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(p, into / relative)
    return into


def _train_trial(config, trials, options, data):
    """The trainable, in a Ray worker: one ``training.train`` in a temporary folder of this node.

    Reports: every checkpoint the run saves (with the checkpoint), every other epoch when the
    scheduler needs them, and a final report (the whole run folder when it finished). The last
    epoch has no report of its own: the final one carries it, so a scheduler never judges a trial
    on its last epoch before it has finished (ASHA's rungs at grace x 3^k can fall on it).
    """
    import ray
    from ray import tune

    from tf1_course.signs.training import train

    trial = trials[config["key"]]
    epochs, save_every = trial.flags["num_epochs"], trial.flags["save_every"]
    work = Path(tempfile.mkdtemp(prefix="tf1-trial-"))
    run_dir = work / "run"
    last = {"dev_accuracy": 0.0}  # a scheduler wants its metric in every report, the final one too

    def report(checkpoint_dir=None):
        checkpoint = tune.Checkpoint.from_directory(str(checkpoint_dir)) if checkpoint_dir else None
        tune.report(dict(last), checkpoint=checkpoint)

    def on_epoch(epoch, cost, scores):
        last.update({f"{k}_accuracy": v for k, v in scores.items()})
        if options.report_epochs:
            last.update(epoch=epoch + 1, cost=cost)
            if epoch + 1 < epochs and (epoch + 1) % save_every:  # a checkpoint epoch reports with it
                report()

    def on_checkpoint(epochs_done):
        if epochs_done < epochs:  # the last one goes with the final report
            stage = work / f"stage-{epochs_done}"
            report(_stage(run_dir, stage))
            shutil.rmtree(stage, ignore_errors=True)

    try:
        resume_from = tune.get_checkpoint() or (tune.Checkpoint(trial.resume) if trial.resume else None)
        if resume_from is not None:
            resume_from.to_directory(str(run_dir))
        start = time.perf_counter()
        result = train(run_dir, trial.flags, device="cpu", resume=resume_from is not None, preloaded=data,
                       on_epoch=on_epoch if options.score_epochs or options.report_epochs else None,
                       on_checkpoint=on_checkpoint, echo=False, show_progress=False)
        last.update({"outcome": result.outcome, "final": True, "seconds": round(time.perf_counter() - start, 3),
                     "node": ray.get_runtime_context().get_node_id(), "epochs_done": result.epochs})
        if result.message:
            last["message"] = result.message
        # a finished run, and a diverged one (its log says where, its last good checkpoint is kept)
        report(_stage(run_dir, work / "final", whole=True) if result.outcome in ("finished", "diverged") else None)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_trials(trials, data, storage, address=None, max_concurrent=None, asha=None, on_epoch=None,
               on_checkpoint=None, on_done=None, name="trials", score_epochs=True):
    """Run ``trials`` ([Trial]) on Ray with ``data`` (a training.Preloaded). Returns {key: TrialOutcome}
    for the trials that ended.

    ``storage``: where Tune persists the checkpoints (a local folder, one every node sees, or a URI).
    ``on_epoch(key, report)`` for each epoch's report ({"epoch", "cost", "dev_accuracy", ...});
    ``on_checkpoint(key, uri)`` for each checkpoint persisted (what a resumed trial starts from);
    ``on_done(TrialOutcome)`` as each trial ends (status "finished", "diverged", "stopped" by the
    scheduler, or "error"). ``asha``: {"max_epochs", "grace_epochs"} to let Ray Tune's ASHA
    scheduler stop bad trials early, judged on "dev_accuracy". Ctrl-C stops the trials and raises
    KeyboardInterrupt (SIGTERM the same: :class:`tf1_course.core.interrupt.Terminated`); trials
    already ended stay ended (the caller saved them in ``on_done``).
    ``score_epochs``: score each trial's other data sets (dev) after every epoch, for the study's
    curves; False scores them once at the end, as ``tf1-course train`` does.
    """
    address = cluster.prepare_environment(address)
    os.environ.setdefault("TUNE_DISABLE_AUTO_CALLBACK_LOGGERS", "1")  # no result.json/progress.csv/TB per trial
    # the experiment's own state is for Tuner.restore, which the study does not use (it resumes from
    # checkpoints.json): written at the end, not every few seconds
    os.environ.setdefault("TUNE_GLOBAL_CHECKPOINT_S", "3600")
    from ray import tune

    from tf1_course.core.interrupt import Interrupt, raised_by

    if not trials:
        return {}
    by_key = {t.key: t for t in trials}
    scheduler = None
    if asha:
        from ray.tune.schedulers import ASHAScheduler

        # judged by epoch; the last epoch is only in the final report (see _train_trial), so a rung
        # that falls on it (epochs = grace x 3^k, or grace >= epochs) never stops a finished trial
        scheduler = ASHAScheduler(time_attr="epoch", max_t=asha["max_epochs"],
                                  grace_period=min(asha["grace_epochs"], asha["max_epochs"]), reduction_factor=3)
    interrupt = _make_interrupt_stopper()
    collector = _make_collector_class()(on_epoch, on_checkpoint, on_done, interrupt, scheduler is not None)
    options = TrialOptions(report_epochs=bool(asha or on_epoch), score_epochs=score_epochs)
    with cluster.session(address) as cpus:
        trainable = tune.with_resources(tune.with_parameters(_train_trial, trials=by_key, options=options, data=data),
                                        {"cpu": 1})
        tune_config = tune.TuneConfig(max_concurrent_trials=max(1, min(max_concurrent or cpus, len(trials))),
                                      reuse_actors=True, scheduler=scheduler,
                                      metric="dev_accuracy" if scheduler else None, mode="max" if scheduler else None)
        run_config = tune.RunConfig(name=name, storage_path=str(storage), verbose=0, callbacks=[collector],
                                    stop=interrupt, checkpoint_config=tune.CheckpointConfig(num_to_keep=1))
        try:
            tuner = tune.Tuner(trainable, param_space={"key": tune.grid_search(list(by_key))}, tune_config=tune_config,
                               run_config=run_config)
        except (OSError, ValueError) as e:  # pyarrow cannot reach or create the storage
            raise UsageError(f"--storage {storage}: cannot use it ({reason(e)})") from None
        # first Ctrl-C: every running trial stops (it resumes from its last checkpoint next time)
        with Interrupt("stopping the running trials (each resumes from its last checkpoint next time); "
                       "the ended ones are kept", flag=interrupt):
            tuner.fit()
    if collector.failure is not None:
        raise collector.failure
    if interrupt.requested:
        raise raised_by(interrupt.signum)  # KeyboardInterrupt, or Terminated for SIGTERM
    return collector.outcomes


def checkpoint_uri(checkpoint):
    """A URI that finds ``checkpoint`` again from any node: its path, with the file system's scheme
    unless it is the local one (a local path, or a shared folder every node mounts the same)."""
    kind = checkpoint.filesystem.type_name
    return checkpoint.path if kind == "local" else f"{kind}://{checkpoint.path}"


def fetch(checkpoint, folder):
    """Download a Tune checkpoint (a run folder) into the new folder ``folder``."""
    checkpoint.to_directory(str(folder))
    return Path(folder)


def forget(checkpoint):
    """Delete a Tune checkpoint from the storage (once its run folder is in the study)."""
    try:
        checkpoint.filesystem.delete_dir(checkpoint.path)
    except OSError:
        pass  # a storage that refuses: it keeps a copy, nothing is lost


def _make_interrupt_stopper():
    from ray.tune import Stopper

    class Interrupt(Stopper):
        """Stops every trial once Ctrl-C was pressed."""

        requested, signum = False, None

        def __call__(self, trial_id, result):
            return False

        def stop_all(self):
            return self.requested

    return Interrupt()


def _make_collector_class():
    from ray.tune import Callback

    class Collector(Callback):
        """Driver side: each trial's per-epoch reports and checkpoints, and its outcome as it ends."""

        def __init__(self, on_epoch, on_checkpoint, on_done, interrupt, scheduled):
            self.on_epoch_cb, self.on_checkpoint_cb, self.on_done_cb = on_epoch, on_checkpoint, on_done
            self.interrupt, self.scheduled = interrupt, scheduled
            self.failure = None
            self.history, self.final, self.started, self.outcomes, self.checkpoints = {}, {}, {}, {}, {}

        def on_trial_start(self, iteration, trials, trial, **info):
            self.started[trial.config["key"]] = time.perf_counter()

        def on_trial_result(self, iteration, trials, trial, result, **info):
            key = trial.config["key"]
            if result.get("final"):
                self.final[key] = result
                seen = self.history.get(key, [])
                if "epoch" not in result or (seen and seen[-1]["epoch"] >= result["epoch"]):
                    return  # the final report repeats no new epoch
            if "epoch" in result:
                report = {k: result[k] for k in result if k == "epoch" or k == "cost" or k.endswith("_accuracy")}
                self.history.setdefault(key, []).append(report)
                if self.on_epoch_cb:
                    self.on_epoch_cb(key, report)

        def on_checkpoint(self, iteration, trials, trial, checkpoint, **info):
            key = trial.config["key"]
            self.checkpoints[key] = checkpoint
            if self.on_checkpoint_cb and not self.final.get(key):
                self._guarded(self.on_checkpoint_cb, key, checkpoint_uri(checkpoint))

        def _guarded(self, callback, *args):
            """The caller's callback; its failure (a full disk saving results) stops the run and is
            raised after it, instead of vanishing into Tune's log."""
            if self.failure is not None:
                return
            try:
                callback(*args)
            except Exception as e:  # noqa: BLE001 - re-raised by run_trials
                self.failure = e
                self.interrupt.requested = True

        def _end(self, trial, error=None):
            key = trial.config["key"]
            if key in self.outcomes:
                return
            final = self.final.get(key)
            if error is not None:
                status = "error"
            elif final:
                status = final["outcome"]
            elif self.scheduled and not self.interrupt.requested:
                status = "stopped"  # ended without its final report: the scheduler stopped it
            else:
                return  # stopped by Ctrl-C: not an outcome, the trial runs again next time
            started = self.started.get(key, time.perf_counter())
            seconds = final["seconds"] if final else round(time.perf_counter() - started, 3)
            message = error or (final or {}).get("message")
            checkpoint = self.checkpoints.get(key) if status in ("finished", "diverged") else None
            outcome = TrialOutcome(key, status, self.history.get(key, []), seconds, message, checkpoint,
                                   (final or {}).get("node"), (final or {}).get("epochs_done"))
            self.outcomes[key] = outcome
            if self.on_done_cb:
                self._guarded(self.on_done_cb, outcome)

        def on_trial_complete(self, iteration, trials, trial, **info):
            self._end(trial)

        def on_trial_error(self, iteration, trials, trial, **info):
            self._end(trial, error=_error_line(trial))

    return Collector


def _error_line(trial):
    """The last line of a failed trial's error file (the exception), for the study's results."""
    path = getattr(trial, "error_file", None)
    try:
        lines = [line for line in Path(path).read_text().splitlines() if line.strip()] if path else []
    except OSError:
        lines = []
    return lines[-1][:300] if lines else "the trial failed (see its error file under the Ray storage folder)"
