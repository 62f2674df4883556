"""``tf1-course train``: the course's SIGNS model, trained in TF1 graph mode.

Course defaults: Adam with learning rate 1e-4, 1500 epochs, mini-batches of 32, graph seed 1
(Xavier init), mini-batch seed 3 incremented before each epoch; "Cost after epoch N: C" every 100
epochs. Everything goes to a run directory (see :mod:`tf1_course.rundir`). Ctrl-C finishes the
current epoch, saves a checkpoint and exits (code 130); ``--resume`` continues from it and gives
the same numbers as an uninterrupted run. ``--loop fast`` (the default) and ``--loop feed`` (the
course's own loop) compute the same numbers; see :mod:`tf1_course.loops`.
"""

import contextlib
import dataclasses
import platform
import shutil
import signal
import sys
import time
from pathlib import Path

from tf1_course.command import Parser, run_main
from tf1_course.errors import UsageError


@dataclasses.dataclass
class TrainConfig:
    learning_rate: float = 1e-4   # Adam step size (course: 0.0001)
    num_epochs: int = 1500        # passes over the 1080 training images
    minibatch_size: int = 32      # examples per Adam step; 1080 = 33 x 32 + 24 -> 34 steps/epoch
    seed: int = 1                 # tf.set_random_seed(1) and the Xavier op seed: initial weights
    minibatch_seed: int = 3       # epoch e shuffles with seed minibatch_seed + e + 1 (course: 4, 5, ...)
    hidden: tuple = (25, 12)      # hidden layer sizes: LINEAR(25)-RELU-LINEAR(12)-RELU-LINEAR(6)
    print_every: int = 100        # print the course's cost line every N epochs
    save_every: int = 100         # checkpoint every N epochs (and at the end, and on Ctrl-C)
    loop: str = "fast"            # training loop engine: fast, or feed (the course's loop; tf1_course.loops)
    intra_op_threads: int = 1     # threads inside one op (0 = TensorFlow's default); 1 was fastest here
    inter_op_threads: int = 1     # ops run at once (0 = TensorFlow's default); 1 was fastest here


# Settings that change what is computed: a resumed run must keep them.
MATH_FIELDS = ("learning_rate", "minibatch_size", "seed", "minibatch_seed", "hidden")


def build_parser():
    from tf1_course.device import DEVICES
    from tf1_course.loops import ENGINES
    from tf1_course.rundir import DEFAULT_RUN_DIR

    d = TrainConfig()
    p = Parser(prog="tf1-course train", description=__doc__.split("\n\n")[0])
    p.add_argument("--run-dir", default=DEFAULT_RUN_DIR, help=f"output folder (default {DEFAULT_RUN_DIR})")
    p.add_argument("--data-dir", help="folder with train_signs.h5/test_signs.h5 (default datasets/)")
    p.add_argument("--learning-rate", type=float, help=f"Adam learning rate (default {d.learning_rate})")
    p.add_argument("--epochs", dest="num_epochs", type=int, help=f"epochs (default {d.num_epochs})")
    p.add_argument("--minibatch-size", type=int, help=f"mini-batch size (default {d.minibatch_size})")
    p.add_argument("--seed", type=int, help=f"graph seed for the initial weights (default {d.seed})")
    p.add_argument("--minibatch-seed", type=int,
                   help=f"first mini-batch seed, +1 each epoch (default {d.minibatch_seed})")
    p.add_argument("--hidden", type=_hidden, help="hidden layer sizes, e.g. 25,12 (default 25,12)")
    p.add_argument("--print-every", type=int, help=f"epochs between cost lines (default {d.print_every})")
    p.add_argument("--save-every", type=int, help=f"epochs between checkpoints (default {d.save_every})")
    p.add_argument("--loop", choices=sorted(ENGINES), help=f"training loop engine (default {d.loop})")
    p.add_argument("--intra-op-threads", type=int, metavar="N",
                   help=f"threads inside one op, 0 = TensorFlow's default (default {d.intra_op_threads})")
    p.add_argument("--inter-op-threads", type=int, metavar="N",
                   help=f"ops run in parallel, 0 = TensorFlow's default (default {d.inter_op_threads})")
    p.add_argument("--device", choices=DEVICES, default="auto", help="where to run (default auto)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--resume", action="store_true", help="continue the run in --run-dir from its last checkpoint")
    g.add_argument("--overwrite", action="store_true", help="delete the run in --run-dir and start again")
    return p


def _hidden(text):
    import argparse

    try:
        sizes = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of sizes") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: sizes must be positive")
    return sizes


def _check_positive(cfg):
    for name in ("learning_rate", "num_epochs", "minibatch_size", "print_every", "save_every"):
        if getattr(cfg, name) <= 0:
            raise UsageError(f"--{name.replace('_', '-').replace('num-', '')} must be positive")
    for name in ("intra_op_threads", "inter_op_threads"):
        if getattr(cfg, name) < 0:
            raise UsageError(f"--{name.replace('_', '-')} must be 0 (TensorFlow's default) or more")


def config_from_args(args, saved=None):
    """The run's TrainConfig: defaults, then the saved config (on resume), then the flags given."""
    base = dataclasses.asdict(TrainConfig())
    if saved:
        base.update({k: v for k, v in saved["train"].items() if k in base})
        base["hidden"] = tuple(base["hidden"])
    given = {f.name: getattr(args, f.name) for f in dataclasses.fields(TrainConfig)
             if getattr(args, f.name, None) is not None}
    if saved:
        changed = [k for k in MATH_FIELDS if k in given and given[k] != base[k]]
        if changed:
            raise UsageError(f"cannot resume with a different {', '.join(changed)} "
                             f"(the run used {', '.join(f'{k}={base[k]}' for k in changed)}); "
                             f"start a new --run-dir instead")
    base.update(given)
    cfg = TrainConfig(**base)
    _check_positive(cfg)
    return cfg


class RunLog:
    """Print a line (above the progress bar) and append it to the run's train.log."""

    def __init__(self, path):
        self.file = open(path, "a")

    def __call__(self, msg=""):
        from tqdm import tqdm

        tqdm.write(msg)
        self.file.write(msg + "\n")
        self.file.flush()

    def close(self):
        self.file.close()


@contextlib.contextmanager
def stop_on_ctrl_c(log):
    """First Ctrl-C sets ``stop["requested"]`` (the loop saves and exits); a second one aborts."""
    stop = {"requested": False}

    def handler(signum, frame):
        if stop["requested"]:
            raise KeyboardInterrupt
        stop["requested"] = True
        print("\nCtrl-C: finishing this epoch and saving a checkpoint (Ctrl-C again to abort)",
              file=sys.stderr, flush=True)

    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread: no handler, Ctrl-C behaves as usual
        previous = None
    try:
        yield stop
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def check_run_dir(run_dir, resume, overwrite):
    """Check what ``run_dir`` holds against --resume/--overwrite. Returns the saved config or None.

    Deletes nothing: with --overwrite the old run is removed only once everything else checked out.
    """
    from tf1_course import rundir

    run_dir = Path(run_dir)
    has_config = rundir.config_path(run_dir).is_file()
    if resume:
        if not has_config:
            raise UsageError(f"--resume: no run in {run_dir} to resume; drop --resume to start one")
        return rundir.load_config(run_dir)
    if has_config and not overwrite:
        prefix, progress = rundir.latest_checkpoint(run_dir)
        where = f" (epoch {progress['epoch']})" if progress else ""
        raise UsageError(f"{run_dir} already holds a run{where}: pass --resume to continue it, "
                         f"--overwrite to start again, or choose another --run-dir")
    if run_dir.exists() and not has_config and any(run_dir.iterdir()):
        raise UsageError(f"{run_dir} is not empty and is not a run directory; choose another --run-dir")
    return None


def train(cfg, run_dir, data_dir=None, device="auto", resume=False, overwrite=False):
    """Train (or resume) the SIGNS model in ``run_dir``. Returns (exit code, metrics or None)."""
    from tf1_course import device as devices
    from tf1_course import rundir
    from tf1_course.data import h5, paths
    from tf1_course.fileio import sha256

    device = devices.resolve(device)  # first: a bad --device must not cost a run (--overwrite)
    run_dir = Path(run_dir)
    saved = check_run_dir(run_dir, resume, overwrite)
    data_dir = Path(saved["data"]["dir"] if saved and not data_dir else paths.data_dir(data_dir))
    train_set, test_set = h5.load_dataset(data_dir)
    data = {"dir": str(data_dir),
            "train_sha256": sha256(data_dir / paths.TRAIN_FILE),
            "test_sha256": sha256(data_dir / paths.TEST_FILE)}
    if saved and saved["data"]["train_sha256"] != data["train_sha256"]:
        raise UsageError(f"{data_dir / paths.TRAIN_FILE} changed since this run started; "
                         f"resume needs the same training data")

    if overwrite and rundir.config_path(run_dir).is_file():
        shutil.rmtree(run_dir)  # asked for, and the new run is ready to start
    run_dir.mkdir(parents=True, exist_ok=True)
    if not saved:
        rundir.save_config(run_dir, {"train": dataclasses.asdict(cfg), "data": data})
    elif saved["train"]["num_epochs"] != cfg.num_epochs:
        saved["train"]["num_epochs"] = cfg.num_epochs
        rundir.save_config(run_dir, saved)
    log = RunLog(run_dir / "train.log")
    try:
        return _train(cfg, run_dir, train_set, test_set, data, device, resume, log)
    finally:
        log.close()


def _train(cfg, run_dir, train_set, test_set, data, device, resume, log):
    import numpy as np
    from tqdm import tqdm

    from tf1_course import device as devices
    from tf1_course import loops, model, plots, rundir
    from tf1_course.compat import TF_VERSION, tf
    from tf1_course.data.prepare import prepare
    from tf1_course.fileio import atomic_path, write_json

    # The feed loop is the course's: it shuffles the float64 matrix. The fast loop only needs the
    # float32 values TensorFlow would make of it, and so does every accuracy pass.
    X_train, Y_train = prepare(train_set, np.float64 if cfg.loop == "feed" else np.float32)  # [12288, 1080], [6, 1080]
    X_test, Y_test = prepare(test_set, np.float32)
    log(devices.describe(device))
    log(f"train {X_train.shape} test {X_test.shape} from {data['dir']}; run dir {run_dir}")

    graph = tf.Graph()
    with graph.as_default():
        g = model.build_graph(cfg.learning_rate, tuple(cfg.hidden), cfg.seed)
        engine = loops.make_engine(cfg.loop, g, X_train, Y_train, cfg.minibatch_size)
        init = tf.global_variables_initializer()
        saver = tf.train.Saver(max_to_keep=3)
    graph.finalize()  # nothing may add ops inside the loop

    costs, start, seconds = [], 0, 0.0
    config = devices.session_config(device, cfg.intra_op_threads, cfg.inter_op_threads)
    with tf.Session(graph=graph, config=config) as sess:
        if resume:
            prefix, progress = rundir.require_checkpoint(run_dir)
            saver.restore(sess, prefix)
            costs, start, seconds = progress["costs"], progress["epoch"], progress["seconds"]
            log(f"resumed from {prefix} at epoch {start}")
        else:
            sess.run(init)
        engine.initialize(sess)
        writer = tf.summary.FileWriter(str(run_dir / "tensorboard"), graph=None if resume else graph)

        def checkpoint(epochs_done):
            rundir.save_checkpoint(sess, saver, run_dir, epochs_done,
                                   {"epoch": epochs_done, "costs": costs, "seconds": seconds})

        interrupted = False
        with stop_on_ctrl_c(log) as stop, tqdm(total=cfg.num_epochs, initial=start, unit="epoch",
                                               disable=None, dynamic_ncols=True) as bar:
            for epoch in range(start, cfg.num_epochs):
                t0 = time.perf_counter()
                epoch_cost = float(engine.epoch(sess, cfg.minibatch_seed + epoch + 1))
                seconds += time.perf_counter() - t0
                costs.append(epoch_cost)
                writer.add_summary(tf.Summary(value=[tf.Summary.Value(tag="cost", simple_value=epoch_cost)]),
                                   epoch)
                if epoch % cfg.print_every == 0:
                    log(f"Cost after epoch {epoch}: {epoch_cost:f}")
                bar.set_postfix(cost=f"{epoch_cost:.4f}")
                bar.update()
                done = epoch + 1
                if stop["requested"]:
                    checkpoint(done)
                    interrupted = True
                    break
                if done % cfg.save_every == 0 or done == cfg.num_epochs:
                    checkpoint(done)
        writer.flush()
        writer.close()
        if interrupted:
            log(f"stopped after epoch {len(costs)}; checkpoint saved. Continue with: "
                f"tf1-course train --run-dir {run_dir} --resume")
            return 130, None
        if start >= cfg.num_epochs:
            log(f"{run_dir} is already trained to {start} epochs (raise --epochs to train more)")

        parameters = sess.run(g.parameters)
        train_acc = sess.run(g.accuracy, {g.X: X_train, g.Y: Y_train})
        test_acc = sess.run(g.accuracy, {g.X: X_test, g.Y: Y_test})

    log("Parameters have been trained!")
    log(f"Train Accuracy: {train_acc!s}")
    log(f"Test Accuracy: {test_acc!s}")
    with atomic_path(run_dir / "parameters.npz") as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, **parameters)
    plots.cost_curve(costs, run_dir / "cost.png", f"Learning rate = {cfg.learning_rate}")
    metrics = {
        "train_accuracy": float(train_acc),
        "test_accuracy": float(test_acc),
        "final_cost": costs[-1] if costs else None,
        "epochs": len(costs),
        "seconds": round(seconds, 3),
        "seconds_per_epoch": round(seconds / max(len(costs), 1), 5),
        "peak_rss_mib": round(peak_rss_mib(), 1),
        "seed": cfg.seed,
        "minibatch_seed": cfg.minibatch_seed,
        "config": dataclasses.asdict(cfg),
        "device": device,
        "determinism": devices.determinism_record(device, cfg.intra_op_threads, cfg.inter_op_threads),
        "data": data,
        "versions": {"tensorflow": TF_VERSION, "numpy": np.__version__,
                     "python": platform.python_version(), "tf1_course": _version()},
        "costs": costs,
    }
    write_json(run_dir / rundir.METRICS, metrics)
    log(f"wrote {run_dir / rundir.METRICS}, parameters.npz, cost.png; "
        f"training took {seconds:.1f} s ({metrics['seconds_per_epoch'] * 1000:.1f} ms/epoch, "
        f"{cfg.loop} loop); peak memory {metrics['peak_rss_mib']:.0f} MiB")
    return 0, metrics


def peak_rss_mib():
    """This process's peak resident memory so far, in MiB (Linux and macOS)."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    return peak / (1 << 20) if sys.platform == "darwin" else peak / 1024


def _version():
    from tf1_course import __version__

    return __version__


def run(args):
    saved = None
    if args.resume:
        saved = check_run_dir(args.run_dir, True, False)
    cfg = config_from_args(args, saved)
    code, _ = train(cfg, args.run_dir, args.data_dir, args.device, args.resume, args.overwrite)
    return code


def main(argv=None):
    return run_main(build_parser(), run, argv)


if __name__ == "__main__":
    sys.exit(main())
