"""The engines' agreement: the threshold is one constant, recorded in metrics and written in the report."""

import numpy as np
import pytest

from tf1_course.labs import lab_init, runner
from tf1_course.labs.results import AGREEMENT, Result, agreement, short_float


def _result(engine, costs):
    return Result(engine=engine, costs=costs, parameters={"W1": np.zeros((1, 1))}, train_accuracy=0.5,
                  test_accuracy=0.5, seconds=0.0)


@pytest.fixture
def pair():
    """Relative cost differences 0, 1e-8, 1e-5, 1e-2 at steps 0 to 3."""
    numpy_costs = [1.0, 1.0, 1.0, 1.0]
    tf_costs = [1.0, 1.0 - 1e-8, 1.0 - 1e-5, 1.0 - 1e-2]
    return {"numpy": _result("numpy", numpy_costs), "tf": _result("tf", tf_costs)}


def test_first_step_above_follows_the_threshold(pair):
    default = agreement(*pair.values())
    assert default["threshold"] == AGREEMENT == runner.AGREEMENT == 1e-6
    assert default["first_step_above_threshold"] == 2
    loose = agreement(*pair.values(), threshold=1e-3)
    assert loose["threshold"] == 1e-3 and loose["first_step_above_threshold"] == 3
    assert agreement(*pair.values(), threshold=0.1)["first_step_above_threshold"] is None


@pytest.mark.parametrize("x, text", [(1e-6, "1e-6"), (2.5e-12, "2.5e-12"), (0.001, "0.001"), (1e-3, "0.001")])
def test_short_float(x, text):
    assert short_float(x) == text


def test_report_writes_the_threshold_it_used(pair):
    variant = next(v for v in lab_init.variants() if v.name == "he").replace(print_every=2)

    def verdict(**kwargs):
        lines = runner.report_lines(variant, pair, {}, None, **kwargs)
        return next(line for line in lines if line.startswith("numpy vs tf:"))

    assert "costs agree to 1e-6 up to iteration 1, then diverge" in verdict()
    assert "costs agree to 0.0001 up to iteration 2, then diverge" in verdict(threshold=1e-4)
