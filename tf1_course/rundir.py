"""The run directory: everything needed to resume, evaluate or predict lives in one folder.

    runs/signs/
      config.json          the hyperparameters and data the run was trained with
      train.log            the console output of every train/resume
      checkpoints/         tf.train.Saver checkpoints (weights + Adam state) and a .json per
                           checkpoint with the epoch reached and the cost history
      parameters.npz       the trained W1, b1, ..., b3 as NumPy arrays
      cost.png             the cost curve
      tensorboard/         event file: the graph and the epoch cost
      metrics.json         train/test accuracy, final cost, seconds, versions, seed
      evaluation.json, confusion_matrix.png   written by `tf1-course evaluate`
"""

import contextlib
import glob
import os
from pathlib import Path

from tf1_course.errors import UsageError
from tf1_course.fileio import read_json, write_json

DEFAULT_RUN_DIR = "runs/signs"
CONFIG = "config.json"
METRICS = "metrics.json"
CHECKPOINTS = "checkpoints"
CKPT_NAME = "model"


def config_path(run_dir):
    return Path(run_dir) / CONFIG


def save_config(run_dir, config):
    write_json(config_path(run_dir), config)


def load_config(run_dir):
    path = config_path(run_dir)
    if not path.is_file():
        raise UsageError(f"no trained model in {run_dir}: train one with "
                         f"`tf1-course train --run-dir {run_dir}`")
    return read_json(path)


def latest_checkpoint(run_dir):
    """(prefix, progress dict) of the newest complete checkpoint, or (None, None)."""
    from tf1_course.compat import tf

    prefix = tf.train.latest_checkpoint(str(Path(run_dir) / CHECKPOINTS))
    if prefix is None or not os.path.exists(prefix + ".json"):
        return None, None
    return prefix, read_json(prefix + ".json")


def require_checkpoint(run_dir):
    prefix, progress = latest_checkpoint(run_dir)
    if prefix is None:
        raise UsageError(f"no trained model in {run_dir}: train one with "
                         f"`tf1-course train --run-dir {run_dir}`")
    return prefix, progress


def save_checkpoint(sess, saver, run_dir, epoch, progress):
    """Write the progress sidecar, then the Saver checkpoint (whose index update is atomic).

    The sidecar goes first so a checkpoint listed in the index always has its progress file.
    Sidecars of checkpoints the Saver has rotated away are removed.
    """
    ckpt_dir = Path(run_dir) / CHECKPOINTS
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    prefix = ckpt_dir / f"{CKPT_NAME}-{epoch}"
    write_json(str(prefix) + ".json", progress)
    saver.save(sess, str(ckpt_dir / CKPT_NAME), global_step=epoch, write_meta_graph=False)
    live = {Path(p).name for p in saver.last_checkpoints}
    for side in glob.glob(str(ckpt_dir / f"{CKPT_NAME}-*.json")):
        if Path(side[:-len(".json")]).name not in live:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(side)
    return str(prefix)


def restore_parameters(sess, run_dir, saver):
    """Restore the newest checkpoint of ``run_dir`` with ``saver`` (built on W1..b3 only, so the
    optimizer state in the checkpoint is skipped). Returns (prefix, progress)."""
    prefix, progress = require_checkpoint(run_dir)
    saver.restore(sess, prefix)
    return prefix, progress
