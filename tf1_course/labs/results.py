"""What one engine's training run returns, and how two engines' runs are compared."""

import dataclasses
import math
from typing import Optional

import numpy as np

AGREEMENT = 1e-6  # the engines should agree to this relative cost difference


@dataclasses.dataclass
class Result:
    engine: str                          # "numpy" or "tf"
    costs: list                          # the cost at every iteration / epoch, before that step's update
    parameters: dict                     # trained {"W1": ..., "bL": ...} as NumPy arrays
    train_accuracy: float
    test_accuracy: Optional[float]       # None when the lab has no test set (optimization)
    seconds: float                       # training time (noisy; never asserted)
    grid_predictions: Optional[np.ndarray] = None  # int [1, G]: predictions on the plot's grid
    learning_rates: Optional[list] = None          # per epoch, the rate it ran at (mini-batch runs)
    last_minibatch_costs: Optional[list] = None    # per epoch, the last mini-batch's mean cost
    outcome: str = "finished"                      # or "diverged" (lab batchnorm: a cost became nan/inf)
    message: Optional[str] = None                  # why it did not finish


def relative_difference(a, b):
    """|a - b| / max(|a|, |b|); 0 when equal (inf == inf included), inf when only one is finite."""
    if a == b:
        return 0.0
    if not (math.isfinite(a) and math.isfinite(b)):
        return math.inf
    return abs(a - b) / max(abs(a), abs(b))


def short_float(x):
    """A threshold as the report writes it: 1e-06 -> "1e-6", 0.001 -> "0.001"."""
    text = f"{x:g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text


def agreement(first, second, threshold=AGREEMENT):
    """How closely two engines agree: the largest relative cost difference and where it is.

    first_step_above_threshold: the first step whose relative cost difference exceeds
    ``threshold`` (recorded beside it), or None when every step is within it.
    """
    n = min(len(first.costs), len(second.costs))
    diffs = [relative_difference(float(a), float(b)) for a, b in zip(first.costs[:n], second.costs[:n])]
    worst = int(np.argmax(diffs)) if diffs else 0
    return {
        "max_rel_cost_diff": max(diffs) if diffs else 0.0,
        "max_finite_rel_cost_diff": max((d for d in diffs if math.isfinite(d)), default=0.0),
        "at_step": worst,
        "threshold": threshold,
        "first_step_above_threshold": next((i for i, d in enumerate(diffs) if d > threshold), None),
        "same_train_accuracy": first.train_accuracy == second.train_accuracy,
        "same_test_accuracy": first.test_accuracy == second.test_accuracy,
        "max_abs_parameter_diff": max(float(np.max(np.abs(first.parameters[k] - second.parameters[k])))
                                      for k in first.parameters),
    }


def agreement_verdict(a, unit):
    """One phrase for an ``agreement`` dict: how far the costs agree (``unit``: "iteration"/"epoch")."""
    first = a["first_step_above_threshold"]
    if first is None:
        return f"costs agree to {a['max_rel_cost_diff']:.1e} (relative)"
    largest = f"largest relative difference between finite costs {a['max_finite_rel_cost_diff']:.2g}"
    if first == 0:
        return f"costs differ by more than {short_float(a['threshold'])} from {unit} 0 ({largest})"
    return f"costs agree to {short_float(a['threshold'])} up to {unit} {first - 1}, then diverge ({largest})"
