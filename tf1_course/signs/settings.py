"""A run's settings: :class:`TrainConfig`, checked as the command-line flags are, kept on resume.

    resolve_config(flags, saved=None) -> TrainConfig   defaults, then a resumed run's, then flags
    saved_settings(run, config) -> dict                a run folder's saved settings, checked
    model_options(cfg) -> model.Options                what the graph needs of them

Below both training (which writes config.json) and inference (which reads it back): restoring a
model needs these and nothing of training.
"""

import dataclasses
import math

from tf1_course.core.errors import UsageError
from tf1_course.core.schedules import SIGNS_SCHEDULES


@dataclasses.dataclass
class TrainConfig:
    learning_rate: float = 1e-4   # Adam step size (course: 0.0001)
    num_epochs: int = 1500        # passes over the training set
    minibatch_size: int = 32      # examples per Adam step; 1080 = 33 x 32 + 24 -> 34 steps/epoch
    seed: int = 1                 # tf.set_random_seed(1) and the Xavier op seed: initial weights
    minibatch_seed: int = 3       # epoch e shuffles with seed minibatch_seed + e + 1 (course: 4, 5, ...)
    hidden: tuple = (25, 12)      # hidden layer sizes: LINEAR(25)-RELU-LINEAR(12)-RELU-LINEAR(6)
    l2_lambda: float = 0.0        # L2 regularization lambda (course's formula; 0 = none, as in the course)
    keep_prob: float = 1.0        # inverted dropout on hidden layers: keep probability (1 = none)
    beta1: float = 0.9            # Adam's first-moment decay (course: 0.9)
    batch_norm: bool = False      # batch norm before each hidden ReLU (no hidden biases; Week 3)
    bn_momentum: float = 0.9      # moving averages: m = momentum * m + (1 - momentum) * batch (= batch_norm.MOMENTUM)
    print_every: int = 100        # print the course's cost line every N epochs
    save_every: int = 100         # checkpoint every N epochs (and at the end, and on Ctrl-C)
    loop: str = "fast"            # training loop engine: fast, or feed (the course's loop; tf1_course.signs.loops)
    intra_op_threads: int = 1     # threads inside one op (0 = TensorFlow's default); 1 was fastest here
    inter_op_threads: int = 1     # ops run at once (0 = TensorFlow's default); 1 was fastest here
    lr_decay: str = "none"        # Week 2's learning-rate decay: none, inverse-time, exponential, scheduled
    decay_rate: float = 1.0       # its decay_rate (inverse-time, scheduled) or base (exponential, e.g. 0.999)
    decay_interval: int = 1000    # scheduled: the rate changes every N epochs (the course's 1000)
    eval_every: int = None        # score the dev set (and train) every N epochs (None: print_every)
    early_stopping: int = 0       # stop after N evaluations without a better dev accuracy (0: never)
    min_delta: float = 0.0        # early stopping: a better dev accuracy must beat the best by more than this
    eval_test: bool = False       # also score the test set at every evaluation (shown, never used to choose)


# Settings that change what is computed: a resumed run keeps them.
MATH_FIELDS = ("learning_rate", "minibatch_size", "seed", "minibatch_seed", "hidden", "l2_lambda",
               "keep_prob", "beta1", "batch_norm", "bn_momentum", "lr_decay", "decay_rate", "decay_interval")
# Settings a resumed run may change and keeps from then on (when it stops, and what it scores).
RESUME_UPDATES = ("num_epochs", "eval_every", "early_stopping", "min_delta", "eval_test")
# What every run's config.json holds (later settings, like batch_norm, default when absent).
SAVED_SINCE_THE_START = ("learning_rate", "num_epochs", "minibatch_size", "seed", "minibatch_seed", "hidden")
POSITIVE = ("learning_rate", "num_epochs", "minibatch_size", "print_every", "save_every", "decay_interval")
MAX_THREADS = 1024
MAX_UNITS = 10_000    # per hidden layer (W1 alone is then 1.2e8 weights, 0.5 GB)
MIN_KEEP_PROB = 0.01  # dropout divides by keep_prob: below this the activations overflow



def flag_name(field):
    return "--" + field.replace("num_", "").replace("_", "-")


def resolve_config(flags, saved=None):
    """TrainConfig: the defaults, then the saved run's settings (on resume), then ``flags``.

    ``flags``: {field: value} of the settings given explicitly. A resumed run keeps MATH_FIELDS;
    a bad value is one UsageError.
    """
    values = dataclasses.asdict(TrainConfig())
    unknown = sorted(set(flags) - set(values))
    if unknown:
        raise UsageError(f"unknown training setting(s): {', '.join(unknown)}")
    if saved:
        values.update({k: v for k, v in saved.items() if k in values})
        values["hidden"] = tuple(values["hidden"])
        changed = [k for k in MATH_FIELDS if k in flags and tuple_if_list(flags[k]) != values[k]]
        if changed:
            raise UsageError(f"cannot resume with a different {', '.join(map(flag_name, changed))} (the run used "
                             f"{', '.join(f'{flag_name(k)} {values[k]}' for k in changed)}); start a new --run-dir "
                             f"instead")
    values.update({k: tuple_if_list(v) for k, v in flags.items()})
    cfg = TrainConfig(**values)
    for name in POSITIVE:
        value = getattr(cfg, name)
        if not (math.isfinite(value) and value > 0):
            raise UsageError(f"{flag_name(name)} must be a positive finite number, not {value}")
    for name in ("intra_op_threads", "inter_op_threads"):
        if not 0 <= getattr(cfg, name) <= MAX_THREADS:
            raise UsageError(f"{flag_name(name)} must be 0 (TensorFlow's default) to {MAX_THREADS}")
    if not cfg.hidden or min(cfg.hidden) < 1 or max(cfg.hidden) > MAX_UNITS or len(cfg.hidden) > MAX_UNITS:
        raise UsageError(f"--hidden sizes must be 1 to {MAX_UNITS}, not {cfg.hidden}")
    if not 0 <= cfg.seed < 2 ** 31:
        raise UsageError(f"--seed must be 0 to {2 ** 31 - 1}, not {cfg.seed}")
    if not (0 <= cfg.minibatch_seed and cfg.minibatch_seed + cfg.num_epochs + 1 < 2 ** 32):
        raise UsageError(f"--minibatch-seed must be 0 or more, with --minibatch-seed + --epochs below 2**32 "
                         f"(NumPy's seeds), not {cfg.minibatch_seed}")
    if not (math.isfinite(cfg.l2_lambda) and cfg.l2_lambda >= 0):
        raise UsageError(f"--l2-lambda must be 0 or a positive finite number, not {cfg.l2_lambda}")
    if not MIN_KEEP_PROB <= cfg.keep_prob <= 1:
        raise UsageError(f"--keep-prob must be in [{MIN_KEEP_PROB}, 1], not {cfg.keep_prob}")
    if not 0 <= cfg.beta1 < 1:
        raise UsageError(f"--beta1 must be in [0, 1), not {cfg.beta1}")
    if not 0 <= cfg.bn_momentum < 1:
        raise UsageError(f"--bn-momentum must be in [0, 1), not {cfg.bn_momentum}")
    if cfg.bn_momentum != TrainConfig.bn_momentum and not cfg.batch_norm:
        raise UsageError("--bn-momentum only applies with --batch-norm")
    check_schedule(cfg)
    check_stopping(cfg)
    return cfg


def check_schedule(cfg):
    """--lr-decay, --decay-rate, --decay-interval: a known schedule, and a rate it can use."""
    if cfg.lr_decay not in SIGNS_SCHEDULES:
        raise UsageError(f"--lr-decay must be one of {', '.join(SIGNS_SCHEDULES)}, not {cfg.lr_decay!r}")
    if cfg.lr_decay == "none" and cfg.decay_rate != TrainConfig.decay_rate:
        raise UsageError("--decay-rate only applies with --lr-decay inverse-time, exponential or scheduled")
    if cfg.lr_decay != "scheduled" and cfg.decay_interval != TrainConfig.decay_interval:
        raise UsageError("--decay-interval only applies with --lr-decay scheduled")
    if cfg.lr_decay == "exponential" and not 0 < cfg.decay_rate <= 1:
        raise UsageError(f"--decay-rate is the base of exponential decay (0.95^epoch): it must be in (0, 1], "
                         f"not {cfg.decay_rate}")
    if not (math.isfinite(cfg.decay_rate) and cfg.decay_rate >= 0):
        raise UsageError(f"--decay-rate must be 0 or a positive finite number, not {cfg.decay_rate}")


def check_stopping(cfg):
    """--eval-every, --early-stopping, --min-delta (whether there is a dev set is the data's business)."""
    if cfg.eval_every is not None and not cfg.eval_every > 0:
        raise UsageError(f"--eval-every must be a positive number of epochs, not {cfg.eval_every}")
    if not cfg.early_stopping >= 0:
        raise UsageError(f"--early-stopping must be 0 (off) or a number of evaluations, not {cfg.early_stopping}")
    if not (math.isfinite(cfg.min_delta) and 0 <= cfg.min_delta < 1):
        raise UsageError(f"--min-delta must be in [0, 1) (an accuracy), not {cfg.min_delta}")
    if cfg.min_delta and not cfg.early_stopping:
        raise UsageError("--min-delta only applies with --early-stopping")


def eval_every(cfg):
    """Epochs between evaluations: --eval-every, else --print-every."""
    return cfg.eval_every or cfg.print_every


def saved_settings(run, config):
    """A run's saved training settings, checked as the command-line flags are; damaged ones
    (hand-edited, of the wrong type) are one UsageError."""
    try:
        missing = [k for k in SAVED_SINCE_THE_START if k not in config["train"]]
        if missing:
            raise KeyError(f"no {', '.join(missing)}")
        resolve_config({}, config["train"])
    except (TypeError, ValueError, KeyError) as e:
        raise UsageError(f"{run.config} is damaged (its 'train' settings: {e}); train a new run in "
                         f"another --run-dir") from None
    except UsageError as e:
        raise UsageError(f"{run.config} is damaged (its 'train' settings: {e})") from None
    return config["train"]


def model_options(cfg):
    """The model.Options of a TrainConfig (or of a saved config's "train" dict)."""
    from tf1_course.signs.model import Options

    get = cfg.get if isinstance(cfg, dict) else lambda k, d=None: getattr(cfg, k, d)
    defaults = Options()
    return Options(tuple(get("hidden")), get("l2_lambda", defaults.l2_lambda),
                   get("keep_prob", defaults.keep_prob), get("beta1", defaults.beta1),
                   bool(get("batch_norm", defaults.batch_norm)), get("bn_momentum", defaults.bn_momentum))


def tuple_if_list(value):
    return tuple(value) if isinstance(value, list) else value
