"""One training variant of a lab: the course's hyperparameters, the TF engine's choices, the report's.

    Hyperparameters  what the course's model() takes (both engines train from these alone)
    TFOptions        how the TF engine carries out the course's rules (the NumPy engine has no choice)
    Variant          a named, titled run of a lab: Hyperparameters + TFOptions + reporting

A variant trains either full-batch (``minibatch_size=None``: the init and regularization labs,
one gradient step per *iteration*, no shuffling) or on shuffled mini-batches (the optimization
lab: one pass over the data per *epoch*, ``random_mini_batches`` with seed ``first_seed + epoch + 1``).
"""

import dataclasses
from typing import Optional


@dataclasses.dataclass(frozen=True)
class Hyperparameters:
    layers_dims: tuple                 # (n_x, n_h1, ..., 1): LINEAR-RELU ... LINEAR-SIGMOID
    init: str = "he"                   # zeros | random | he | xavier (np_engine.init.METHODS)
    learning_rate: float = 0.01        # alpha, or alpha0 when the rate decays
    num_steps: int = 15000             # iterations (full batch) or epochs (mini-batches)
    minibatch_size: Optional[int] = None  # None: full-batch gradient descent, no shuffle
    first_seed: int = 10               # mini-batch seed before the first epoch (+1 each epoch)
    lambd: float = 0.0                 # L2 strength lambda (0: no L2)
    keep_prob: float = 1.0             # dropout keep probability on the hidden layers (1: no dropout)
    optimizer: str = "gd"              # gd | momentum | rmsprop | adam: the course's update rules
    beta: float = 0.9                  # momentum / RMSprop averaging
    beta1: float = 0.9                 # Adam first moment
    beta2: float = 0.999               # Adam second moment
    epsilon: float = 1e-8              # Adam / RMSprop denominator guard
    decay: Optional[str] = None        # learning-rate schedule (course.SCHEDULES)
    decay_rate: float = 1.0            # the schedule's rate: decay_rate, base (0.95) or k

    @property
    def unit(self):
        """What one step is called in the course's cost lines."""
        return "iteration" if self.minibatch_size is None else "epoch"

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)


@dataclasses.dataclass(frozen=True)
class TFOptions:
    dropout: str = "course"            # course: masks from np.random.seed(1) at every forward pass;
                                       # tf-nn: tf.nn.dropout with a keep-prob placeholder
    builtin: bool = False              # tf.train's optimizer instead of the course's rule
    float64_hyperparameters: bool = True  # hyperparameters as float64 tensors; False passes Python
                                       # floats, which tf.train turns into float32 (0.9 -> 0.89999998)
    loop: str = "fused"                # fused: a tf.while_loop runs thousands of steps per Session.run;
                                       # step: one Session.run per step (the reference; tf_engine/train.py)

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)


def _names(cls):
    return [f.name for f in dataclasses.fields(cls)]


@dataclasses.dataclass(frozen=True)
class Variant:
    name: str                          # command-line name, e.g. "he", "l2", "adam"
    title: str                         # plot title, e.g. "Model with He initialization"
    hyper: Hyperparameters             # what the engines train with
    tf_options: TFOptions = dataclasses.field(default_factory=TFOptions)
    print_every: int = 1000            # a course-style cost line every N steps
    record_every: int = 1000           # the cost curve keeps one point every N steps (course cadence)
    engines: tuple = ("numpy", "tf")   # engines that implement this variant
    reference: Optional[str] = None    # a TF-only variant: the course variant it is measured against

    @property
    def unit(self):
        return self.hyper.unit

    def replace(self, **changes):
        """A copy with ``changes``, each field name going where it lives (hyper, tf_options or here)."""
        hyper = {k: changes.pop(k) for k in _names(Hyperparameters) if k in changes}
        tf_options = {k: changes.pop(k) for k in _names(TFOptions) if k in changes}
        return dataclasses.replace(self, hyper=self.hyper.replace(**hyper),
                                   tf_options=self.tf_options.replace(**tf_options), **changes)

    def asdict(self):
        """Every field in one flat dict (metrics.json's "config")."""
        out = {"name": self.name, "title": self.title, **dataclasses.asdict(self.hyper),
               **dataclasses.asdict(self.tf_options)}
        out.update((k, getattr(self, k)) for k in ("print_every", "record_every", "engines", "reference"))
        return out
