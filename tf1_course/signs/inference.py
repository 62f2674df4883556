"""A trained SIGNS model, restored from its run directory: the graph without an optimizer, one
of the run's checkpoints, an open Session. ``predict``, ``evaluate``, ``export`` and ``serve`` use it.

    with open_model("runs/signs", device="cpu") as model:
        probabilities = model.probabilities(X)      # X float [12288, m] -> float32 [6, m]
        probabilities = model.classify(images)      # images uint8 [m, 64, 64, 3] -> float32 [6, m]

Which checkpoint: ``checkpoint="best"`` (the highest dev accuracy, kept by runs trained with a dev
set), ``"last"`` (the newest), None: the best when the run has one, else the last
(:meth:`tf1_course.signs.rundir.RunDir.checkpoint`); or a Checkpoint of the run. The model says
which it restored (``model.checkpoint.kind``, ``.epoch``; :func:`describe`).
"""

import contextlib
from collections import namedtuple
from pathlib import Path

import numpy as np

from tf1_course.core import device as devices
from tf1_course.core.errors import DataError, UsageError, reason
from tf1_course.data.images import MAX_PIXELS, load_image, save_image
from tf1_course.data.prepare import flatten_and_scale
from tf1_course.signs.rundir import RunDir, unreadable_checkpoint
from tf1_course.signs.settings import model_options, saved_settings

ROTATION_RETRIES = 3  # a training under way may remove the checkpoint being restored: take the newer one
CLASS_NAMES = [f"{k} finger{'s' if k != 1 else ''}" for k in range(6)]  # SIGNS: 0..5 fingers up



class TrainedModel:
    """The SIGNS graph (no optimizer) with a run's trained parameters, in an open Session."""

    def __init__(self, run_dir, device="auto", log=print, checkpoint=None):
        """``checkpoint``: "best", "last", None (best if any, else last) or a Checkpoint of this run."""
        from tf1_course.signs import model
        from tf1_course.core.compat import tf

        self.run = RunDir(run_dir)
        self.config = self.run.load_config()
        saved_settings(self.run, self.config)  # damaged settings: one line, not a traceback
        # before building anything: one clear line
        given = checkpoint is not None and not isinstance(checkpoint, str)
        self.checkpoint = checkpoint if given else self.run.checkpoint(checkpoint)
        state = self.run.state(self.checkpoint)  # still training, or stopped before its last epoch
        if state:
            log(state)
        log(describe(self.checkpoint))
        device = devices.resolve(device)
        log(devices.describe(device))
        train = self.config["train"]
        self.graph = tf.Graph()
        with self.graph.as_default():
            self.g = model.build_graph(seed=train["seed"], training=False, options=model_options(train))
            # the weights (and batch norm's moving averages), not Adam's slots
            saver = tf.train.Saver(var_list={**self.g.parameters, **self.g.moving})
        self.graph.finalize()
        config = devices.session_config(device, batch_norm=self.g.options.batch_norm)
        self.sess = tf.Session(graph=self.graph, config=config)
        for attempt in range(ROTATION_RETRIES + 1):
            try:
                saver.restore(self.sess, self.checkpoint.prefix)
                break
            except (tf.errors.OpError, ValueError) as e:
                newest = self.run.best_checkpoint() if self.checkpoint.kind == "best" else self.run.latest_checkpoint()
                if (not given and attempt < ROTATION_RETRIES and newest
                        and newest.prefix != self.checkpoint.prefix):
                    self.checkpoint = newest  # a training still under way removed it (it keeps the newest few)
                    continue
                self.sess.close()
                raise unreadable_checkpoint(self.checkpoint.prefix) or UsageError(
                    f"checkpoint {self.checkpoint.prefix} is damaged or does not fit the run's "
                    f"config ({reason(e)})") from None

    @property
    def epoch(self):
        """Epochs the restored checkpoint was trained for."""
        return self.checkpoint.epoch

    def probabilities(self, X):
        """X float [12288, m] in [0, 1] -> softmax probabilities float32 [6, m]."""
        return self.sess.run(self.g.probabilities, {self.g.X: X})

    def classify(self, images):
        """images uint8 [m, 64, 64, 3] (load_image's) -> probabilities float32 [6, m], scaled as in training."""
        return self.probabilities(flatten_and_scale(np.asarray(images), np.float32))

    def close(self):
        self.sess.close()


def describe(checkpoint):
    """The line saying which checkpoint is used: "checkpoint: best (epoch 300, dev accuracy 0.9167)"."""
    if checkpoint.kind == "best":
        return (f"checkpoint: best (epoch {checkpoint.epoch}, dev accuracy "
                f"{checkpoint.progress['dev_accuracy']:.4f}; --checkpoint last for the newest)")
    return f"checkpoint: last (epoch {checkpoint.epoch})"


@contextlib.contextmanager
def open_model(run_dir, device="auto", log=print, checkpoint=None):
    m = TrainedModel(run_dir, device, log, checkpoint)
    try:
        yield m
    finally:
        m.close()


Prediction = namedtuple("Prediction", ["image", "label", "probabilities"])


def _unique_png(folder, stem, used):
    name, k = f"{stem}.png", 1
    while name in used:
        k += 1
        name = f"{stem}-{k}.png"
    used.add(name)
    return Path(folder) / name


def predict_images(model, paths, resize="crop", max_pixels=None, save_dir=None, on_error=None):
    """Predict each path with a TrainedModel. Returns [Prediction]; unreadable files go to ``on_error(message)``."""
    images, kept, used = [], [], set()
    for path in paths:
        try:
            images.append(load_image(path, resize=resize, max_pixels=max_pixels or MAX_PIXELS))
            kept.append(str(path))
        except DataError as e:
            if on_error is None:
                raise
            on_error(str(e))
            continue
        if save_dir:
            save_image(_unique_png(save_dir, Path(path).stem, used), images[-1])
    if not images:
        return []
    probs = model.classify(np.stack(images))  # [6, k]
    return [Prediction(p, int(np.argmax(probs[:, j])), probs[:, j].astype(float).tolist())
            for j, p in enumerate(kept)]
