"""Training trials in parallel on Ray: the engine behind ``tune`` and ``reproduce``'s SIGNS runs.

A :class:`Trial` is one ``tf1_course.signs.training.train`` call (its run directory, settings and
data); :func:`run_trials` runs many of them as Ray Tune trials, one CPU and one TensorFlow thread
each, and tells the caller about every epoch and every finished trial. Each trial is exactly the
training ``tf1-course train`` does (the same function), so it gives the same numbers.

The engine is Ray (``ray[tune]``), never a home-made pool: with no address a local Ray instance
is started for the run (one trial per core) and stopped after it; ``address`` (``--address
HOST:PORT`` or ``RAY_ADDRESS``) runs the trials on an existing cluster, whose nodes must have
tf1-course installed and the data at the same path.

What makes it cheap (measured in docs/tuning.md): actors are reused between trials, so
TensorFlow is imported once per worker, not once per trial; no dashboard, no log forwarding,
workers at normal priority.
"""

import logging
import os
import shutil
import tempfile
import time
from collections import namedtuple
from pathlib import Path

from tf1_course.core.errors import UsageError

Trial = namedtuple("Trial", ["key", "run_dir", "flags", "data_dir", "files"])
# report_epochs: per-epoch reports to Ray (ASHA needs them); score_epochs: score the data sets other
# than train after every epoch (a study's dev-accuracy curves), else only at the end
TrialOptions = namedtuple("TrialOptions", ["report_epochs", "score_epochs"])
TrialOutcome = namedtuple("TrialOutcome", ["key", "status", "history", "metrics", "seconds", "error"])

ADDRESS_ENV = "RAY_ADDRESS"
CONNECT_TIMEOUT_S = 5  # how long to wait for a cluster at --address (connect, then one GCS call)
# Set in the driver before a local Ray starts, so its workers inherit them (through runtime_env
# they would cost Ray its pre-started workers): workers at normal priority (Ray's default nice 15
# starves them when anything else runs), TensorFlow's per-Session thread pools (tf1_course.core.compat
# sets it too), quiet TensorFlow. A cluster's nodes get them from the shell that runs `ray start`.
WORKER_ENV = {"TF_OVERRIDE_GLOBAL_THREADPOOL": "1", "TF_CPP_MIN_LOG_LEVEL": "3",
              "RAY_worker_niceness": "0", "PYTHONUNBUFFERED": "1"}


def _train_trial(config, trials, options):
    """The trainable, in a Ray worker: one ``training.train``; a report per epoch when the
    scheduler needs them (each costs Tune a few ms of bookkeeping), and one at the end.

    The last epoch has no report of its own: the final report carries it. So a scheduler never
    judges a trial on its last epoch before the trial has finished (ASHA's rungs at grace x 3^k
    can fall on it), and stops only trials that have epochs left.
    """
    from ray import tune

    from tf1_course.signs.rundir import RunDir
    from tf1_course.signs.training import train

    trial = trials[config["key"]]
    epochs = trial.flags["num_epochs"]
    last = {"dev_accuracy": 0.0}  # a scheduler wants its metric in every report, the final one too

    def on_epoch(epoch, cost, scores):
        last.update({f"{k}_accuracy": v for k, v in scores.items()})
        if options.report_epochs:
            last.update(epoch=epoch + 1, cost=cost)
            if epoch + 1 < epochs:
                tune.report(dict(last))

    start = time.perf_counter()
    result = train(trial.run_dir, trial.flags, trial.data_dir, "cpu", resume=RunDir(trial.run_dir).has_run(),
                   files=trial.files, on_epoch=on_epoch if options.score_epochs or options.report_epochs else None,
                   echo=False, show_progress=False)
    final = {**last, "outcome": result.outcome, "final": True, "seconds": round(time.perf_counter() - start, 3)}
    if result.message:
        final["message"] = result.message
    tune.report(final)


def prepare_environment(address=None):
    """The environment Ray reads when it is imported and started: call before ``import ray``.

    Returns the address to use (``address``, else $RAY_ADDRESS, else None for a local instance).
    """
    address = address or os.environ.get(ADDRESS_ENV)
    os.environ.update(WORKER_ENV)  # inherited by a local instance's workers
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")  # with verbose=0: no tables, our own progress lines
    os.environ["TUNE_DISABLE_SIGINT_HANDLER"] = "1"  # Ctrl-C is ours: run_trials stops the trials cleanly
    if address:
        # Ray 2.60's `ray start` turns token authentication on (the token is in ~/.ray/auth_token);
        # a driver must then say so, before it imports ray, or it is refused. RAY_AUTH_MODE=disabled
        # opts out (for a cluster started with it).
        os.environ.setdefault("RAY_AUTH_MODE", "token")
    return address


_LOCAL_TEMP = []  # the temporary folder of the local instance this process started (see disconnect)


def connect(address=None, num_cpus=None):
    """Start a local Ray instance, or connect to ``address``; one UsageError if it is not there.

    A local instance keeps its session (logs, sockets, 0.3-7 MB) in a temporary folder of its own,
    not in /tmp/ray beside every other session: :func:`disconnect` removes it, and only it.
    """
    address = prepare_environment(address)
    import ray

    kwargs = dict(log_to_driver=False, logging_level=logging.ERROR, configure_logging=True)
    # a failed trial is one line from run_trials (its error file's last line), not Tune's traceback
    logging.getLogger("ray.tune").setLevel(logging.CRITICAL)
    if address:
        probe(address)
        try:
            ray.init(address=address, **kwargs)
        except (ConnectionError, RuntimeError, ValueError, TimeoutError) as e:
            first = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
            raise UsageError(f"no Ray cluster reachable at {address} ({first}); start one with "
                             f"`ray start --head --port=PORT`, or drop --address to run locally") from None
    else:
        # "local": a new instance for this run, even if `ray start` left one running on this machine;
        # short path: Ray's Unix sockets live below it (at most 107 bytes)
        temp = tempfile.mkdtemp(prefix="tf1-ray-", dir="/tmp" if os.path.isdir("/tmp") else None)
        _LOCAL_TEMP.append(temp)
        ray.init(address="local", num_cpus=num_cpus or os.cpu_count(), include_dashboard=False,
                 _temp_dir=temp, **kwargs)
    return address


def disconnect():
    """Stop (or leave) Ray; a local instance's session folder goes with it."""
    import ray

    ray.shutdown()
    while _LOCAL_TEMP:
        shutil.rmtree(_LOCAL_TEMP.pop(), ignore_errors=True)


def probe(address, timeout=CONNECT_TIMEOUT_S):
    """One UsageError, within ``timeout`` seconds or so, unless a Ray cluster answers at HOST:PORT.

    Ray itself would retry for minutes: 820 s measured here for an address that does not answer,
    and more than 300 s for a port that answers but is not Ray's (a dashboard, any other service).
    So first a TCP connection, then one call of the GCS's own gRPC service (GetClusterId), which
    only a Ray GCS answers (a cluster with token authentication answers "unauthenticated": Ray).
    """
    import socket

    if address.startswith("ray://"):
        return
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"--address {address!r}: expected HOST:PORT with a port 1-65535, e.g. 127.0.0.1:6379")
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as e:
        raise UsageError(f"no Ray cluster reachable at {address} ({e.strerror or 'timed out'}); start one with "
                         f"`ray start --head --port={port}`, or drop --address to run locally") from None
    why = _not_a_ray_gcs(address, timeout)
    if why:
        raise UsageError(f"{address} answers but is not a Ray cluster ({why}); give the address of a Ray head "
                         f"(`ray start --head` prints it), or drop --address to run locally")


GCS_METHOD = "/ray.rpc.NodeInfoGcsService/GetClusterId"  # answered by every Ray GCS; an empty request


def _not_a_ray_gcs(address, timeout):
    """None when a Ray GCS answers at ``address``, else a few words on what answered instead."""
    import grpc

    with grpc.insecure_channel(address) as channel:
        call = channel.unary_unary(GCS_METHOD, request_serializer=bytes, response_deserializer=bytes)
        try:
            call(b"", timeout=timeout)
        except grpc.RpcError as e:
            code = e.code()
            if code in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED):
                return None  # Ray's GCS, asking for its token
            if code == grpc.StatusCode.DEADLINE_EXCEEDED:
                return f"no gRPC answer within {timeout:g} s"
            if code == grpc.StatusCode.UNIMPLEMENTED:
                return "a gRPC server without Ray's GCS service"
            return f"not a gRPC server: {code.name.lower()}"
    return None


def run_trials(trials, address=None, max_concurrent=None, asha=None, on_epoch=None, on_done=None,
               storage=None, name="trials", score_epochs=True):
    """Run ``trials`` ([Trial]) on Ray. Returns {key: TrialOutcome} for the trials that ended.

    ``on_epoch(key, report)`` for each epoch's report ({"epoch", "cost", "dev_accuracy", ...});
    ``on_done(TrialOutcome)`` as each trial ends (status "finished", "diverged", "stopped" by the
    scheduler, or "error"). ``asha``: {"max_epochs", "grace_epochs"} to let Ray Tune's ASHA
    scheduler stop bad trials early, judged on "dev_accuracy". Ctrl-C stops the trials and raises
    KeyboardInterrupt (SIGTERM the same: :class:`tf1_course.core.interrupt.Terminated`); trials
    already ended stay ended (the caller saved them in ``on_done``).
    ``score_epochs``: score each trial's other data sets (dev) after every epoch, for the study's
    curves; False scores them once at the end, as ``tf1-course train`` does.
    """
    address = prepare_environment(address)
    import ray
    from ray import tune

    from tf1_course.core.interrupt import Interrupt, raised_by

    if not trials:
        return {}
    by_key = {t.key: t for t in trials}
    started_here = not ray.is_initialized()
    if started_here:
        connect(address)
    cpus = int(ray.cluster_resources().get("CPU", 1))
    scheduler = None
    if asha:
        from ray.tune.schedulers import ASHAScheduler

        # judged by epoch; the last epoch is only in the final report (see _train_trial), so a rung
        # that falls on it (epochs = grace x 3^k, or grace >= epochs) never stops a finished trial
        scheduler = ASHAScheduler(time_attr="epoch", max_t=asha["max_epochs"],
                                  grace_period=min(asha["grace_epochs"], asha["max_epochs"]), reduction_factor=3)
    concurrent = max(1, min(max_concurrent or cpus, len(trials)))
    interrupt = _make_interrupt_stopper()
    collector = _make_collector_class()(by_key, on_epoch, on_done, interrupt, scheduler is not None)
    options = TrialOptions(report_epochs=bool(asha or on_epoch), score_epochs=score_epochs)
    trainable = tune.with_resources(tune.with_parameters(_train_trial, trials=by_key, options=options), {"cpu": 1})
    tune_config = tune.TuneConfig(max_concurrent_trials=concurrent, reuse_actors=True, scheduler=scheduler,
                                  metric="dev_accuracy" if scheduler else None,
                                  mode="max" if scheduler else None)
    storage = Path(storage or Path.cwd() / "runs" / ".ray").resolve()
    tuner = tune.Tuner(trainable, param_space={"key": tune.grid_search(list(by_key))}, tune_config=tune_config,
                       run_config=tune.RunConfig(name=name, storage_path=str(storage), verbose=0,
                                                 callbacks=[collector], stop=interrupt))
    try:
        # first Ctrl-C: every running trial stops after its epoch (the ended ones are kept)
        with Interrupt("stopping the running trials (each resumes from its last checkpoint next time); "
                   "the ended ones are kept", flag=interrupt):
            tuner.fit()
    finally:
        if started_here:
            disconnect()
    if collector.failure is not None:
        raise collector.failure
    if interrupt.requested:
        raise raised_by(interrupt.signum)  # KeyboardInterrupt, or Terminated for SIGTERM
    return collector.outcomes


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
        """Driver side: each trial's per-epoch reports, and its outcome as it ends."""

        def __init__(self, by_key, on_epoch, on_done, interrupt, scheduled):
            self.by_key, self.on_epoch_cb, self.on_done_cb = by_key, on_epoch, on_done
            self.interrupt, self.scheduled = interrupt, scheduled
            self.failure = None
            self.history, self.final, self.started, self.outcomes = {}, {}, {}, {}

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

        def _callback(self, outcome):
            """The caller's on_done; its failure (a full disk saving results) stops the run and is
            raised after it, instead of vanishing into Tune's log."""
            if self.on_done_cb is None or self.failure is not None:
                return
            try:
                self.on_done_cb(outcome)
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
            metrics = _read_metrics(self.by_key[key].run_dir) if status == "finished" else None
            message = error or (final or {}).get("message")
            outcome = TrialOutcome(key, status, self.history.get(key, []), metrics, seconds, message)
            self.outcomes[key] = outcome
            self._callback(outcome)

        def on_trial_complete(self, iteration, trials, trial, **info):
            self._end(trial)

        def on_trial_error(self, iteration, trials, trial, **info):
            self._end(trial, error=_error_line(trial))

    return Collector


def _read_metrics(run_dir):
    from tf1_course.core.fileio import read_json
    from tf1_course.signs.rundir import RunDir

    try:
        return read_json(RunDir(run_dir).metrics)
    except (OSError, ValueError):
        return None


def _error_line(trial):
    """The last line of a failed trial's error file (the exception), for the study's results."""
    path = getattr(trial, "error_file", None)
    try:
        lines = [line for line in Path(path).read_text().splitlines() if line.strip()] if path else []
    except OSError:
        lines = []
    return lines[-1][:300] if lines else "the trial failed (see its error file under the Ray storage folder)"
