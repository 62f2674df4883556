"""A run's TensorBoard: tf.compat.v1's FileWriter and Summary protocol buffers, no summary ops.

The training graph is finalized before the first epoch, and every number TensorBoard shows is
one training already has in Python, so each is written as a ``tf.Summary`` value (no extra op in
the graph, nothing extra to run). The step is the 0-based epoch, the course's "Cost after epoch N":

    cost                 every epoch: the course's epoch cost
    learning_rate        every epoch: the rate the epoch ran at (constant without --lr-decay)
    accuracy/train       at every evaluation (every --eval-every epochs, and the last)
    accuracy/dev         at every evaluation, with a dev set (per epoch in a tuning trial)
    accuracy/test        at the end, for the last weights and (at its own epoch) for the best checkpoint;
                         at every evaluation with --eval-test
    misclassified/test   at the end: every misclassified test photo (an image; the best checkpoint's
                         when there is one, as `evaluate` scores it)

A resumed run starts with a SessionLog START at the epoch it resumes from: TensorBoard then drops
what an interrupted run wrote after its checkpoint, and shows one curve, not two.
"""

import io
from pathlib import Path

from tf1_course.core.compat import tf


COLORSPACE = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}  # Summary.Image's channels


def accuracy_tag(role):
    return f"accuracy/{role}"


class Summaries:
    """One run's event file in ``folder``."""

    def __init__(self, folder, graph=None, resumed_at=None):
        # a file of its own for each start: FileWriter names files by the second and the host, so
        # a run resumed within the second it stopped would otherwise write over its first file
        folder = Path(folder)
        n = sum(1 for _ in folder.glob("events.out.tfevents.*")) if folder.is_dir() else 0
        self.writer = tf.summary.FileWriter(str(folder), graph=graph, filename_suffix=f".{n}" if n else "")
        if resumed_at is not None:
            self.writer.add_session_log(tf.SessionLog(status=tf.SessionLog.START), resumed_at)

    def scalars(self, step, values):
        """{tag: float} at ``step``."""
        if not values:
            return
        self.writer.add_summary(tf.Summary(value=[tf.Summary.Value(tag=tag, simple_value=float(v))
                                                  for tag, v in values.items()]), step)

    def accuracies(self, step, accuracies):
        """{role: accuracy} at ``step``, as accuracy/ROLE."""
        self.scalars(step, {accuracy_tag(role): a for role, a in accuracies.items()})

    def image(self, tag, png, step):
        """A PNG (bytes) as an image summary."""
        from PIL import Image

        width, height = Image.open(io.BytesIO(png)).size
        image = tf.Summary.Image(height=height, width=width, colorspace=COLORSPACE[Image.open(io.BytesIO(png)).mode],
                                 encoded_image_string=png)
        self.writer.add_summary(tf.Summary(value=[tf.Summary.Value(tag=tag, image=image)]), step)

    def finish(self, sess, g, data, accuracies, evaluations, epochs, best=None):
        """A finished run: the last weights' accuracies its last evaluation did not write, the best
        checkpoint's test accuracy at the best's epoch, and the test photos misclassified by the
        weights now in ``sess`` (the best checkpoint's when ``best``, as `evaluate` scores them).

        ``data`` {role: (X, Y)}; ``accuracies`` {role: accuracy} of the last weights; ``best`` the
        best checkpoint's {"epoch", "ROLE_accuracy"} or None.
        """
        import numpy as np

        from tf1_course.signs import gallery

        last = evaluations[-1] if evaluations and evaluations[-1]["epoch"] == epochs else {}
        self.accuracies(epochs - 1, {role: a for role, a in accuracies.items() if role not in last})
        if best and best["epoch"] != epochs and "test_accuracy" in best:
            self.accuracies(best["epoch"] - 1, {"test": best["test_accuracy"]})
        if "test" not in data:
            return
        X, Y = data["test"]
        misses = gallery.misclassified(sess.run(g.probabilities, {g.X: X}), np.argmax(Y, axis=0))
        which = f"the best checkpoint (epoch {best['epoch']})" if best else f"epoch {epochs}"
        png = gallery.render(gallery.images_of(X), misses, f"test set, {which}", scale=1)  # the photos' own size
        self.image("misclassified/test", png, (best["epoch"] if best else epochs) - 1)

    def close(self):
        self.writer.close()
