"""A trained SIGNS model, restored from its run directory: the graph without an optimizer, the
run's newest checkpoint, an open Session. ``predict`` and ``evaluate`` both use it.

    with open_model("runs/signs", device="cpu") as model:
        probabilities = model.probabilities(X)      # X float [12288, m] -> float32 [6, m]
"""

import contextlib

from tf1_course import device as devices
from tf1_course.errors import UsageError, reason
from tf1_course.rundir import RunDir
from tf1_course.training import model_options, saved_settings


class TrainedModel:
    """The SIGNS graph (no optimizer) with a run's trained parameters, in an open Session."""

    def __init__(self, run_dir, device="auto", log=print):
        from tf1_course import model
        from tf1_course.compat import tf

        self.run = RunDir(run_dir)
        self.config = self.run.load_config()
        saved_settings(self.run, self.config)  # damaged settings: one line, not a traceback
        self.checkpoint = self.run.require_checkpoint()  # before building anything: one clear line
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
        try:
            saver.restore(self.sess, self.checkpoint.prefix)
        except (tf.errors.OpError, ValueError) as e:
            self.sess.close()
            raise UsageError(f"checkpoint {self.checkpoint.prefix} is damaged or does not fit the run's "
                             f"config ({reason(e)})") from None

    @property
    def epoch(self):
        """Epochs the restored checkpoint was trained for."""
        return self.checkpoint.epoch

    def probabilities(self, X):
        """X float [12288, m] in [0, 1] -> softmax probabilities float32 [6, m]."""
        return self.sess.run(self.g.probabilities, {self.g.X: X})

    def close(self):
        self.sess.close()


@contextlib.contextmanager
def open_model(run_dir, device="auto", log=print):
    m = TrainedModel(run_dir, device, log)
    try:
        yield m
    finally:
        m.close()
