"""What ``serve`` runs: a trained run, or a SavedModel folder, behind one interface.

    served = open_served(run_dir="runs/signs")        # or open_served(model="exports/signs")
    served.probabilities(images)   # images uint8 [m, 64, 64, 3] (read_image's) -> float32 [m, 6]
    served.info                    # {"kind", "model", "run", "epoch", ...}: for GET /healthz
    served.close()

Both are loaded once and shared by every request: a TF1 Session's ``run`` is safe to call from
several threads at once, and nothing else here changes after loading.
"""

from pathlib import Path

import numpy as np

from tf1_course.serving import savedmodel


class RunModel:
    """A run's checkpoint restored by :class:`tf1_course.signs.inference.TrainedModel`: the very
    graph and scaling ``predict`` uses."""

    def __init__(self, run_dir, device="auto", log=print, checkpoint=None):
        from tf1_course.signs.inference import TrainedModel, describe

        self.trained = TrainedModel(run_dir, device, log, checkpoint)
        kind = self.trained.checkpoint.kind
        log(describe(self.trained.checkpoint))
        self.info = {"kind": "run", "model": f"run {self.trained.run}, {kind} checkpoint of epoch {self.trained.epoch}",
                     "run": str(Path(self.trained.run.path).resolve()), "epoch": self.trained.epoch,
                     "checkpoint": Path(self.trained.checkpoint.prefix).name, "checkpoint_kind": kind}

    def probabilities(self, images):
        return self.trained.classify(images).T  # [6, m] -> [m, 6]

    def close(self):
        self.trained.close()


class SavedModelModel:
    """The newest version of a SavedModel folder (or the version folder given), loaded in TF1
    graph mode with ``tf.compat.v1.saved_model.loader.load``; fed the uint8 pixels."""

    def __init__(self, path, log=print):
        folder = savedmodel.newest_export(path)
        self.loaded = savedmodel.load_session(folder)
        meta = self.loaded.metadata
        self.info = {"kind": "savedmodel", "model": f"SavedModel {folder}", "path": str(folder.resolve()),
                     "run": meta.get("run_dir"), "epoch": meta.get("epoch"), "checkpoint": meta.get("checkpoint")}
        log(f"loaded the SavedModel {folder}" + (f" (exported from {meta['run_dir']}, epoch {meta.get('epoch')})"
                                                 if meta.get("run_dir") else ""))

    def probabilities(self, images):
        return self.loaded.sess.run(self.loaded.probabilities, {self.loaded.images: np.asarray(images, np.uint8)})

    def close(self):
        self.loaded.sess.close()


def open_served(model=None, run_dir=None, device="auto", log=print, checkpoint=None):
    """A SavedModel folder (``model``) or a run (``run_dir``; ``checkpoint``: a Checkpoint of it,
    default its newest), loaded once."""
    if model is not None:
        return SavedModelModel(model, log)
    return RunModel(run_dir, device, log, checkpoint)
