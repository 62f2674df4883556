"""One training variant of a lab: every hyperparameter both engines need, with the course's defaults.

A variant trains either full-batch (``minibatch_size=None``: the init and regularization labs,
one gradient step per *iteration*, no shuffling) or on shuffled mini-batches (the optimization
lab: one pass over the data per *epoch*, ``random_mini_batches`` with seed ``first_seed + epoch``).
"""

import dataclasses
from typing import Optional


@dataclasses.dataclass(frozen=True)
class Variant:
    name: str                          # command-line name, e.g. "he", "l2", "adam"
    title: str                         # plot title, e.g. "Model with He initialization"
    layers_dims: tuple                 # (n_x, n_h1, ..., 1): LINEAR-RELU ... LINEAR-SIGMOID
    init: str = "he"                   # zeros | random | he | xavier (np_engine.init.METHODS)
    learning_rate: float = 0.01        # alpha, or alpha0 when the rate decays
    num_steps: int = 15000             # iterations (full batch) or epochs (mini-batches)
    minibatch_size: Optional[int] = None  # None: full-batch gradient descent, no shuffle
    first_seed: int = 10               # mini-batch seed before the first epoch (+1 each epoch)
    print_every: int = 1000            # a course-style cost line every N steps
    record_every: int = 1000           # the cost curve keeps one point every N steps (course cadence)
    lambd: float = 0.0                 # L2 strength lambda (0: no L2)
    keep_prob: float = 1.0             # dropout keep probability on the hidden layers (1: no dropout)
    dropout: str = "course"            # course: masks from np.random.seed(1) at every forward pass;
                                       # tf-nn: tf.nn.dropout with a keep-prob placeholder (TF only)
    optimizer: str = "gd"              # gd | momentum | rmsprop | adam: the course's update rules
    builtin: bool = False              # TF engine: tf.train's optimizer instead of the course's rule
    beta: float = 0.9                  # momentum / RMSprop averaging
    beta1: float = 0.9                 # Adam first moment
    beta2: float = 0.999               # Adam second moment
    epsilon: float = 1e-8              # Adam / RMSprop denominator guard
    decay: Optional[str] = None        # learning-rate schedule (np_engine.schedules.SCHEDULES)
    decay_rate: float = 1.0            # the schedule's rate: decay_rate, base (0.95) or k
    float64_hyperparameters: bool = True  # TF: hyperparameters as float64 tensors; False passes Python
                                       # floats, which tf.train turns into float32 (0.9 -> 0.89999998)
    engines: tuple = ("numpy", "tf")   # engines that implement this variant
    reference: Optional[str] = None    # a TF-only variant: the course variant it is measured against

    @property
    def unit(self):
        """What one step is called in the course's cost lines."""
        return "iteration" if self.minibatch_size is None else "epoch"

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)

    def asdict(self):
        return dataclasses.asdict(self)
