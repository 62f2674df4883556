"""The hyperparameter search space, sampled the way Week 3 teaches: random values, not a grid.

    log:1e-5:1e-1           log-uniform: learning rate, L2 lambda (as much search per decade)
    one-minus-log:0.8:0.999 1 - value is log-uniform: Adam's beta1, momentum (0.9 -> 0.999 is a
                            10x step in 1 - beta, where the averaging window changes most)
    uniform:0.6:1           uniform: keep_prob
    pow2:16:128             a power of two in [16, 128]: mini-batch size
    choice:12,25,50         one of these values: hidden layer sizes (or names: lr_decay=choice:none,exponential)
    fixed:0.9               always this value

A space is {name: spec}; names are TrainConfig fields (and ``hidden1``/``hidden2``, the hidden
layer sizes). Learning-rate decay may be searched too (``lr_decay``, ``decay_rate``,
``decay_interval``; not in the default space). :func:`sample` draws ``n`` configurations
reproducibly from ``seed``;
:func:`refine` narrows a space around the best configurations of an earlier study
(coarse to fine).
"""

import json
import math
from collections import namedtuple

import numpy as np

from tf1_course.core.errors import UsageError
from tf1_course.core.schedules import SIGNS_SCHEDULES

KINDS = ("log", "one-minus-log", "uniform", "pow2", "choice", "fixed")
Spec = namedtuple("Spec", ["kind", "low", "high", "values"])  # values: for choice/fixed

# What may be searched, and what each becomes in the SIGNS TrainConfig.
NAMES = {
    "learning_rate": "Adam's step size",
    "beta1": "Adam's first-moment decay",
    "minibatch_size": "examples per Adam step",
    "hidden1": "units in the first hidden layer",
    "hidden2": "units in the second hidden layer",
    "l2_lambda": "L2 regularization strength",
    "keep_prob": "dropout keep probability on the hidden layers",
    "lr_decay": "learning-rate decay: none, inverse-time, exponential, scheduled",
    "decay_rate": "the decay's rate (the base of exponential decay)",
    "decay_interval": "scheduled decay: epochs between steps",
}
INTEGER = {"minibatch_size", "hidden1", "hidden2", "decay_interval"}
NAMED = {"lr_decay": SIGNS_SCHEDULES}  # searched among names, not numbers (choice or fixed only)

# The course's advice for the SIGNS model: learning rate and L2 on a log scale around the course's
# 1e-4, beta1 as 1 - beta1 on a log scale, mini-batch sizes that are powers of two.
DEFAULT_SPACE = {
    "learning_rate": "log:1e-5:1e-2",
    "beta1": "one-minus-log:0.8:0.99",
    "minibatch_size": "pow2:16:128",
    "hidden1": "choice:12,25,50",
    "hidden2": "choice:6,12,24",
    "l2_lambda": "fixed:0",
    "keep_prob": "fixed:1",
}


def parse_spec(name, text):
    """'log:1e-5:1e-1' -> Spec; a bad spec is one UsageError naming the parameter."""
    if name not in NAMES:
        raise UsageError(f"unknown hyperparameter {name!r} (choose from {', '.join(NAMES)})")
    kind, _, rest = str(text).partition(":")
    if kind not in KINDS:
        raise UsageError(f"{name}: unknown kind {kind!r} in {text!r} (choose from {', '.join(KINDS)})")
    if name in NAMED and kind not in ("choice", "fixed"):
        raise UsageError(f"{name}: choose among names with choice or fixed, e.g. {name}=choice:none,exponential")
    try:
        if kind in ("choice", "fixed"):
            read = (lambda v: v.strip()) if name in NAMED else _number
            values = [read(v) for v in rest.split(",") if v.strip()]
            if not values or (kind == "fixed" and len(values) != 1):
                raise UsageError(f"{name}: {kind} needs {'one value' if kind == 'fixed' else 'values'}: {text!r}")
            spec = Spec(kind, None, None, tuple(values))
        else:
            low, high = (float(v) for v in rest.split(":"))
            spec = Spec(kind, low, high, None)
    except ValueError:
        raise UsageError(f"{name}: cannot read {text!r} (e.g. log:1e-5:1e-1, choice:16,32)") from None
    check(name, spec)
    return spec


def _number(text):
    value = float(text)
    return int(value) if value.is_integer() else value


def check(name, spec):
    """Empty, inverted or non-positive-on-a-log-scale ranges, and values the model refuses."""
    if name in NAMED:
        unknown = [v for v in spec.values or () if v not in NAMED[name]]
        if unknown or spec.kind not in ("choice", "fixed"):
            raise UsageError(f"{name}: choose among {', '.join(NAMED[name])}, not {list(unknown or [spec.kind])}")
        return
    if spec.kind in ("choice", "fixed"):
        values = spec.values
        if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in values):
            raise UsageError(f"{name}: values must be finite numbers, not {list(values)}")
    else:
        low, high = spec.low, spec.high
        if not (math.isfinite(low) and math.isfinite(high)):
            raise UsageError(f"{name}: the range {low}..{high} is not finite")
        if low >= high:
            raise UsageError(f"{name}: the range {low}..{high} is empty or inverted (low must be below high)")
        if spec.kind == "log" and low <= 0:
            raise UsageError(f"{name}: a log scale needs positive bounds, not {low}..{high}")
        if spec.kind == "one-minus-log" and not (high < 1):
            raise UsageError(f"{name}: one-minus-log needs values below 1 (1 - value > 0), not {low}..{high}")
        if spec.kind == "pow2" and (low < 1 or not _powers_of_two(low, high)):
            raise UsageError(f"{name}: no power of two in {low}..{high}")
        values = (low, high)
    if name in INTEGER and any(v < 1 or float(v) != int(v) for v in values):
        raise UsageError(f"{name}: needs positive whole numbers, not {list(values)}")
    if name == "learning_rate" and any(v <= 0 for v in values):
        raise UsageError(f"{name}: must be positive, not {list(values)}")
    if name == "keep_prob" and any(not 0 < v <= 1 for v in values):
        raise UsageError(f"{name}: must be in (0, 1], not {list(values)}")
    if name == "beta1" and any(not 0 <= v < 1 for v in values):
        raise UsageError(f"{name}: must be in [0, 1), not {list(values)}")
    if name == "l2_lambda" and any(v < 0 for v in values):
        raise UsageError(f"{name}: must be 0 or more, not {list(values)}")
    if name == "decay_rate" and any(v <= 0 for v in values):
        raise UsageError(f"{name}: must be positive, not {list(values)}")


def _powers_of_two(low, high):
    return [2 ** k for k in range(0, 31) if low <= 2 ** k <= high]


def parse_space(specs):
    """{name: spec text or Spec} -> {name: Spec}, every entry checked."""
    return {name: spec if isinstance(spec, Spec) else parse_spec(name, spec) for name, spec in specs.items()}


def load_space_file(path):
    """A space from a JSON or TOML file: {"learning_rate": "log:1e-5:1e-1", ...}."""
    from pathlib import Path

    from tf1_course.core.fileio import not_a_regular_file

    path = Path(path)
    try:
        special = path.exists() and not_a_regular_file(path)
        if special:
            raise UsageError(f"{path}: is {special}, not a search space file")
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise UsageError(f"{path}: cannot read the search space ({e.strerror})") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not a text file (a search space is JSON or TOML)") from None
    try:
        if path.suffix == ".toml":
            import tomllib

            data = tomllib.loads(text)
        else:
            data = json.loads(text)
    except (ValueError, ImportError) as e:
        raise UsageError(f"{path}: not a valid {path.suffix.lstrip('.') or 'JSON'} search space ({e})") from None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise UsageError(f"{path}: a search space is a table of name = \"kind:...\" entries")
    return data


def format_spec(spec):
    if spec.kind in ("choice", "fixed"):
        return f"{spec.kind}:{','.join(str(v) for v in spec.values)}"
    return f"{spec.kind}:{spec.low:g}:{spec.high:g}"


def draw(spec, rng):
    """One value of ``spec`` from the RandomState ``rng``."""
    if spec.kind == "fixed":
        return spec.values[0]
    if spec.kind == "choice":
        return spec.values[rng.randint(len(spec.values))]
    if spec.kind == "pow2":
        powers = _powers_of_two(spec.low, spec.high)
        return powers[rng.randint(len(powers))]
    u = rng.uniform()
    if spec.kind == "uniform":
        return spec.low + u * (spec.high - spec.low)
    if spec.kind == "log":  # 10**r, r uniform in [log10 low, log10 high]
        a, b = math.log10(spec.low), math.log10(spec.high)
        return 10 ** (a + u * (b - a))
    # one-minus-log: 1 - value = 10**r, r uniform between log10(1 - high) and log10(1 - low)
    a, b = math.log10(1 - spec.high), math.log10(1 - spec.low)
    return 1 - 10 ** (a + u * (b - a))


def sample(space, n, seed):
    """``n`` configurations {name: value}. Trial k draws from its own RandomState([seed, k]), so
    the same seed gives the same configurations, and a study extended from 8 to 16 trials keeps
    its first 8."""
    names = sorted(space)
    return [{name: draw(space[name], rng) for name in names}
            for rng in (np.random.RandomState([seed, k]) for k in range(n))]


def train_flags(values):
    """A sampled configuration -> TrainConfig flags ({"hidden": (h1, h2), ...})."""
    from tf1_course.signs.settings import TrainConfig

    flags = {k: v for k, v in values.items() if k not in ("hidden1", "hidden2")}
    if "hidden1" in values or "hidden2" in values:
        h1, h2 = TrainConfig.hidden  # the course's sizes where only one is searched
        flags["hidden"] = (int(values.get("hidden1", h1)), int(values.get("hidden2", h2)))
    for name in INTEGER & set(flags):
        flags[name] = int(flags[name])
    # a decay's settings apply to the trials that decay (a trial drawn with lr_decay none ignores them)
    schedule = flags.get("lr_decay", TrainConfig.lr_decay)
    if schedule == "none":
        flags.pop("decay_rate", None)
    if schedule != "scheduled":
        flags.pop("decay_interval", None)
    return flags


def refine(space, trials, top=None, widen=2.0):
    """A narrower space around the best ``trials`` (coarse to fine), and lines saying what changed.

    ``trials``: [(score, {name: value})], best first is not required. The ``top`` best (default a
    fifth, at least 3) set the new ranges: a log range becomes [min / widen, max * widen] of their
    values, a uniform range [min, max] widened by half its width, a one-minus-log range the same on
    1 - value; each clipped to the old range. Choices keep the values the top trials used.
    """
    ranked = sorted(trials, key=lambda t: -t[0])
    top = top or max(3, len(ranked) // 5)
    best = [values for _, values in ranked[:top]]
    if not best:
        raise UsageError("--refine: the earlier study has no finished trial to refine around")
    new, lines = {}, []
    for name, spec in sorted(space.items()):
        values = [v[name] for v in best if name in v]
        new[name] = _narrow(spec, values, widen) if values else spec
        if new[name] != spec:
            lines.append(f"{name}: {format_spec(spec)} -> {format_spec(new[name])}")
    return new, lines


def _narrow(spec, values, widen):
    if spec.kind == "fixed":
        return spec
    if spec.kind in ("choice", "pow2"):
        kept = tuple(sorted(set(values)))
        return Spec("choice", None, None, kept) if len(kept) > 1 else Spec("fixed", None, None, kept)
    lo, hi = min(values), max(values)
    if spec.kind == "log":
        lo, hi = lo / widen, hi * widen
    elif spec.kind == "one-minus-log":
        lo, hi = 1 - (1 - lo) * widen, 1 - (1 - hi) / widen
    else:
        pad = (hi - lo) / 2 or (spec.high - spec.low) / 10
        lo, hi = lo - pad, hi + pad
    lo, hi = max(lo, spec.low), min(hi, spec.high)
    if lo >= hi:
        return spec
    return Spec(spec.kind, lo, hi, None)
