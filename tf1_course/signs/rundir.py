"""The run directory: everything needed to resume, evaluate or predict, in one folder that owns its names.

    runs/signs/
      config.json            the hyperparameters and the data the run was trained with
      train.log              the console output of every train/resume
      checkpoints/           model-N.{index,data-*} (weights + Adam state) and model-N.json (epoch
                             reached, cost history); the .json is written last, so it marks a
                             complete checkpoint; the newest three are kept
      checkpoints/best/      with a dev set: model-N (the weights only) of the highest dev accuracy so
                             far (the earliest on ties) and its model-N.json; kept apart from the newest three
      parameters.npz         the trained W1, b1, ..., b3 as NumPy arrays
      cost.png               the cost curve
      tensorboard/           event files: the graph, cost, learning rate, accuracies, misclassified photos
      metrics.json           accuracies, final cost, seconds, versions, what decides the bits
      evaluation.json, confusion_matrix.png   written by `tf1-course evaluate` (misclassified.png: --gallery)
      .lock                  held by the training that writes here (released when it exits)

Every path inside is relative to the folder: a run moved or copied elsewhere (out of a container,
to another machine) is found whole, and never reads the checkpoints of the place it came from.
"""

import contextlib
import re
import shutil
from collections import namedtuple
from pathlib import Path

from tf1_course.data import paths
from tf1_course.core.errors import UsageError, reason
from tf1_course.core.fileio import (LOCK_NAME, first_unreadable, folder_in_use, folder_lock, permission_denied,
                                     read_json, sha256, write_json)

DEFAULT_RUN_DIR = "runs/signs"
KEEP_CHECKPOINTS = 3

# progress: the .json sidecar; kind: "last" (the newest of the rotating ones) or "best" (by dev accuracy)
Checkpoint = namedtuple("Checkpoint", ["epoch", "prefix", "progress", "kind"])
Checkpoint.__new__.__defaults__ = ("last",)
CHECKPOINT_KINDS = ("best", "last")
RUN_OVERHEAD_BYTES = 400_000  # a run's files besides the weights: TensorBoard, cost.png, JSON, the log


def checkpoint_files(prefix):
    """The files of the checkpoint ``prefix`` (its .index, .data-*, .json sidecar)."""
    prefix = Path(prefix)
    return sorted(prefix.parent.glob(f"{prefix.name}.*"))


def unreadable_checkpoint(prefix):
    """A UsageError naming a file of checkpoint ``prefix`` this process may not read, or None (then
    the checkpoint is damaged or does not fit: the caller says that)."""
    denied = first_unreadable(checkpoint_files(prefix))
    return UsageError(permission_denied(denied)) if denied else None


def disk_bytes(hidden, n_x=12288, n_y=6):
    """The most a run of a model with these hidden sizes holds on disk: KEEP_CHECKPOINTS + 1
    checkpoints while one is saved (each float32: the weights and Adam's two slots), two best
    checkpoints (weights only; with a dev set), then parameters.npz and the rest (12.6 MB measured
    for the course's 25, 12 after training; this gives 18.9 MB)."""
    dims = [n_x, *hidden, n_y]
    n = sum(dims[l] * dims[l - 1] + dims[l] for l in range(1, len(dims)))
    return 4 * n * (3 * (KEEP_CHECKPOINTS + 1) + 2 + 1) + RUN_OVERHEAD_BYTES


class RunDir:
    """One run's folder and the names of everything in it."""

    CKPT_NAME = "model"

    def __init__(self, path):
        self.path = Path(path)
        self.config = self.path / "config.json"
        self.log = self.path / "train.log"
        self.checkpoints = self.path / "checkpoints"
        self.best = self.checkpoints / "best"
        self.parameters = self.path / "parameters.npz"
        self.cost_png = self.path / "cost.png"
        self.tensorboard = self.path / "tensorboard"
        self.metrics = self.path / "metrics.json"
        self.evaluation = self.path / "evaluation.json"
        self.confusion_png = self.path / "confusion_matrix.png"
        self.gallery_png = self.path / "misclassified.png"
        self.lock_file = self.path / LOCK_NAME

    def __str__(self):
        return str(self.path)

    # --- config -------------------------------------------------------------------------------

    def has_run(self):
        return self.config.is_file()

    def load_config(self):
        """config.json; a missing or damaged one is one clear UsageError."""
        if not self.has_run():
            raise UsageError(f"no trained model in {self}: train one with `tf1-course train --run-dir {self}`")
        try:
            config = read_json(self.config)
        except ValueError as e:
            raise UsageError(f"{self.config} is damaged (not valid JSON: {e}); this run directory "
                             f"cannot be used: train a new run in another --run-dir") from None
        data = config.get("data") if isinstance(config, dict) else None
        if not (isinstance(config, dict) and isinstance(config.get("train"), dict) and isinstance(data, dict)
                and isinstance(data.get("dir"), str)):
            raise UsageError(f"{self.config} is damaged (no 'train' settings or 'data' record); train a new "
                             f"run in another --run-dir")
        return config

    def save_config(self, config):
        write_json(self.config, config)

    def is_empty(self):
        """True when the folder is absent or holds nothing but a lock file."""
        return not self.path.exists() or all(p.name == self.lock_file.name for p in self.path.iterdir())

    def transfer_files(self, whole=True):
        """[(path, path relative to the run)] of what another machine needs of this run: never the
        lock or the older rotating checkpoints; ``whole`` False: only what resuming needs
        (config.json, train.log, tensorboard/, the newest and the best checkpoints)."""
        newest = self.latest_checkpoint()
        keep = Path(newest.prefix).name if newest else None
        resume = {self.config.name, self.log.name, self.tensorboard.name, self.checkpoints.name}
        out = []
        for p in sorted(self.path.rglob("*")):
            relative = p.relative_to(self.path)
            if not p.is_file() or p.name == self.lock_file.name:
                continue
            if relative.parts[0] == self.checkpoints.name and len(relative.parts) == 2 \
                    and p.name != "checkpoint" and not p.name.startswith(f"{keep}."):
                continue  # an older rotating checkpoint (checkpoints/best/ is kept)
            if whole or relative.parts[0] in resume:
                out.append((p, relative))
        return out

    def clear(self):
        """Delete everything in the run (for --overwrite), except the lock the caller holds."""
        for p in self.path.iterdir():
            if p.name == self.lock_file.name:
                continue
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            else:
                p.unlink()

    # --- checkpoints --------------------------------------------------------------------------

    def _complete_checkpoints(self, folder=None):
        """[(epoch, prefix)] of checkpoints whose sidecar, index and data are all here, oldest first."""
        folder = folder or self.checkpoints
        found = []
        pattern = re.compile(rf"^{self.CKPT_NAME}-(\d+)\.json$")
        if not folder.is_dir():
            return found
        for p in folder.iterdir():
            match = pattern.match(p.name)
            if not match:
                continue
            prefix = folder / f"{self.CKPT_NAME}-{match.group(1)}"
            if Path(f"{prefix}.index").is_file() and list(folder.glob(f"{prefix.name}.data-*")):
                found.append((int(match.group(1)), prefix))
        return sorted(found)

    def latest_checkpoint(self):
        """The newest complete Checkpoint, or None."""
        found = self._complete_checkpoints()
        if not found:
            return None
        epoch, prefix = found[-1]
        try:
            progress = read_json(f"{prefix}.json")
            if not (isinstance(progress["epoch"], int) and isinstance(progress["costs"], list)
                    and isinstance(progress["seconds"], (int, float))):
                raise ValueError("epoch, costs or seconds missing or of the wrong type")
        except (ValueError, KeyError, TypeError) as e:
            raise UsageError(f"{prefix}.json is damaged ({e}); delete that checkpoint's files "
                             f"({prefix.name}.*) to resume from the one before") from None
        return Checkpoint(epoch, str(prefix), progress)

    def best_checkpoint(self):
        """The best Checkpoint so far (highest dev accuracy, earliest on ties), or None (no dev set).

        Its sidecar holds {"epoch", "dev_accuracy", ...}; its files hold the weights only.
        """
        found = self._complete_checkpoints(self.best)
        if not found:
            return None
        epoch, prefix = found[-1]
        try:
            info = read_json(f"{prefix}.json")
            if not (isinstance(info["epoch"], int) and isinstance(info["dev_accuracy"], (int, float))):
                raise ValueError("epoch or dev_accuracy missing or of the wrong type")
        except (ValueError, KeyError, TypeError) as e:
            raise UsageError(f"{prefix}.json is damaged ({e}); delete the best checkpoint's files "
                             f"({self.best}/{prefix.name}.*) or use --checkpoint last") from None
        return Checkpoint(epoch, str(prefix), info, "best")

    def checkpoint(self, which=None):
        """The Checkpoint to restore: ``which`` "best", "last", or None (best when there is one, else last).

        "best" in a run without one, or no checkpoint at all, is one UsageError saying what to do.
        """
        if which not in (None, *CHECKPOINT_KINDS):
            raise UsageError(f"--checkpoint must be one of {', '.join(CHECKPOINT_KINDS)}, not {which!r}")
        if which != "last":
            self.load_config()
            best = self.best_checkpoint()
            if best is not None:
                return best
            if which == "best":
                raise UsageError(f"{self} has no best checkpoint (it is kept for runs trained with a dev set: "
                                 f"`tf1-course train --dev`); use --checkpoint last")
        return self.require_checkpoint()

    def require_checkpoint(self):
        """The newest complete Checkpoint; none is one UsageError saying what to do."""
        self.load_config()
        checkpoint = self.latest_checkpoint()
        if checkpoint is None:
            raise UsageError(f"no trained model in {self} yet: its training stopped before the first "
                             f"checkpoint; continue it with `tf1-course train --run-dir {self} --resume`")
        return checkpoint

    def save_checkpoint(self, sess, saver, epoch, progress):
        """Save the Saver checkpoint for ``epoch``, then its sidecar (which marks it complete).

        A failure (a full disk) removes this epoch's partial files and raises one UsageError: the
        previous complete checkpoint stays the one a --resume uses. Older ones beyond
        KEEP_CHECKPOINTS, and leftovers of interrupted saves, are removed.
        """
        from tf1_course.core.compat import tf

        self.checkpoints.mkdir(parents=True, exist_ok=True)
        prefix = self.checkpoints / f"{self.CKPT_NAME}-{epoch}"
        try:
            saver.save(sess, str(self.checkpoints / self.CKPT_NAME), global_step=epoch,
                       write_meta_graph=False)
            write_json(f"{prefix}.json", progress)
        except (tf.errors.OpError, OSError) as e:
            self._remove_checkpoint_files(prefix.name)
            last = self.latest_checkpoint()
            kept = f"the last good checkpoint is epoch {last.epoch}" if last else "no checkpoint was kept"
            raise UsageError(f"cannot save the checkpoint of epoch {epoch} in {self.checkpoints} "
                             f"({reason(e)}); {kept}") from None
        complete = [p.name for _, p in self._complete_checkpoints()]
        for name in complete[:-KEEP_CHECKPOINTS]:
            self._remove_checkpoint_files(name)
        self._remove_leftovers(keep=set(complete[-KEEP_CHECKPOINTS:]))
        return str(prefix)

    def save_best(self, sess, saver, epoch, info):
        """Save ``saver``'s variables (the weights) as the best checkpoint of ``epoch``, then its
        sidecar ``info`` ({"epoch", "dev_accuracy", ...}). Two bests are kept at most: this one, and
        the one a --resume from the newest rotating checkpoint would find (removed by
        :meth:`prune_best` after the next rotating checkpoint); a best saved in between is replaced.
        A failure is one UsageError; the partial files are removed."""
        from tf1_course.core.compat import tf

        self.best.mkdir(parents=True, exist_ok=True)
        prefix = self.best / f"{self.CKPT_NAME}-{epoch}"
        try:
            saver.save(sess, str(self.best / self.CKPT_NAME), global_step=epoch, write_meta_graph=False,
                       write_state=False)
            write_json(f"{prefix}.json", info)
        except (tf.errors.OpError, OSError) as e:
            self._remove_checkpoint_files(prefix.name, self.best)
            raise UsageError(f"cannot save the best checkpoint of epoch {epoch} in {self.best} ({reason(e)})") from None
        newest = self.latest_checkpoint()
        self.prune_best(newest.epoch if newest else 0, also=prefix.name)
        return str(prefix)

    def prune_best(self, upto, also=None):
        """Keep the one best checkpoint a run at epoch ``upto`` has: the newest of epoch <= ``upto``
        (and ``also``, a best just saved after it).

        Called after each rotating checkpoint (the best before it is no longer needed) and when a
        run resumes from epoch ``upto`` (a best saved after it, before a crash, is recomputed).
        """
        found = self._complete_checkpoints(self.best)
        keep = [p.name for epoch, p in found if epoch <= upto][-1:] + ([also] if also else [])
        for _, p in found:
            if p.name not in keep:
                self._remove_checkpoint_files(p.name, self.best)
        if self.best.is_dir():
            self._remove_leftovers(set(keep), self.best)

    def _remove_checkpoint_files(self, name, folder=None):
        folder = folder or self.checkpoints
        for p in folder.glob(f"{name}.*"):
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
        for p in folder.glob(f"{name}_temp*"):
            shutil.rmtree(p, ignore_errors=True)

    def _remove_leftovers(self, keep, folder=None):
        """Files of checkpoints that never completed (a crash or full disk during a save)."""
        folder = folder or self.checkpoints
        pattern = re.compile(rf"^({self.CKPT_NAME}-\d+)(\.|_temp)")
        for p in list(folder.iterdir()):
            match = pattern.match(p.name)
            if match and match.group(1) not in keep:
                self._remove_checkpoint_files(match.group(1), folder)

    # --- one writer at a time -----------------------------------------------------------------

    def lock(self):
        """Hold the run's lock while training writes here; a second training is refused in one line."""
        return folder_lock(self.path, "training", "--run-dir")

    def is_training(self):
        """True while a training holds the run's lock."""
        return folder_in_use(self.path)

    def state(self, checkpoint):
        """A line on a run that is not finished, for evaluate and predict ("" when it is)."""
        epochs = self.load_config()["train"].get("num_epochs")
        which = f"the {'best ' if checkpoint.kind == 'best' else ''}checkpoint of epoch {checkpoint.epoch}"
        if self.is_training():
            return f"still training: scoring {which}"
        last = self.latest_checkpoint() if checkpoint.kind == "best" else checkpoint
        done = last.epoch if last else 0
        if not self.metrics.is_file() or (epochs and done < epochs and done != self.stopped_at()):
            trained = f" of {epochs}" if checkpoint.kind == "last" else f" ({done} of {epochs} epochs trained)"
            return (f"unfinished: scoring {which}{trained} (continue it with "
                    f"`tf1-course train --run-dir {self} --resume`)")
        return ""

    def stopped_at(self):
        """The epoch where the finished run stopped (metrics.json), or None."""
        try:
            return read_json(self.metrics)["stopping"]["epoch"]
        except (OSError, ValueError, KeyError, TypeError):
            return None


# --- the data a run was trained on ------------------------------------------------------------

def data_record(data_dir, files):
    """What config.json keeps of the data: {"dir", "files": {role: {"file", "split", "sha256"}}}.

    ``files``: {role: (file name, h5 split name)}, e.g. {"train": ("train_signs.h5", "train"),
    "test": ("test_signs.h5", "test")}. The run trains on role "train" and is scored on the others.
    """
    data_dir = Path(data_dir)
    return {"dir": str(data_dir.resolve()),
            "files": {role: {"file": name, "split": split, "sha256": sha256(data_dir / name)}
                      for role, (name, split) in files.items()}}


ROLE_ORDER = ("train", "dev", "test")  # how data roles are listed (config.json sorts its keys)


def ordered_files(record):
    """The record's files in ROLE_ORDER, also for runs saved before files were listed."""
    files = record.get("files") or {
        role: {"file": f"{role}_signs.h5", "split": role, "sha256": record.get(f"{role}_sha256")}
        for role in ("train", "test")}
    rank = {role: k for k, role in enumerate(ROLE_ORDER)}
    return dict(sorted(files.items(), key=lambda item: (rank.get(item[0], len(rank)), item[0])))


def locate_data(record, override=None):
    """(data dir, files, same) for a run's saved data record.

    ``override`` (--data-dir) wins. Otherwise the saved folder, then the default data folder
    (a run trained in a container at /app/datasets finds datasets/ on the host), whichever holds
    the training file with the saved sha256. ``same`` says whether the training file is the one
    the run was trained on. None found is one UsageError that names --data-dir.
    """
    files = ordered_files(record)
    train = files["train"]

    def matches(folder):
        path = Path(folder) / train["file"]
        return path.is_file() and sha256(path) == train["sha256"]

    if override:
        return Path(override), files, matches(override)
    saved = Path(record["dir"])
    for folder in (saved, paths.data_dir()):
        if matches(folder):
            return folder, files, True
    if (saved / train["file"]).is_file():
        return saved, files, False
    raise UsageError(f"the run's data is not here: it was trained on {saved / train['file']} "
                     f"(sha256 {train['sha256'][:12]}...), and neither that folder nor "
                     f"{paths.data_dir()} holds it; pass --data-dir DIR (the folder with {train['file']})")
