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


def test_variant_replace_routes_each_field_to_where_it_lives():
    v = next(v for v in lab_init.variants() if v.name == "he")
    w = v.replace(num_steps=5, print_every=2, builtin=True, name="short")
    assert (w.hyper.num_steps, w.print_every, w.tf_options.builtin, w.name) == (5, 2, True, "short")
    assert (v.hyper.num_steps, v.print_every, v.tf_options.builtin) == (15000, 1000, False)
    assert w.hyper.replace(num_steps=15000) == v.hyper
    with pytest.raises(TypeError):
        v.replace(num_stpes=5)


def test_metrics_config_stays_one_flat_dict():
    """metrics.json's "config" keeps the keys it had before the hyperparameters were grouped (and
    the TF engine's loop since)."""
    config = next(v for v in lab_init.variants() if v.name == "he").asdict()
    assert set(config) == {
        "name", "title", "layers_dims", "init", "learning_rate", "num_steps", "minibatch_size",
        "first_seed", "print_every", "record_every", "lambd", "keep_prob", "dropout", "optimizer", "builtin",
        "beta", "beta1", "beta2", "epsilon", "decay", "decay_rate", "float64_hyperparameters", "engines",
        "reference", "loop"}
    assert config["layers_dims"] == (2, 10, 5, 1) and config["dropout"] == "course" and config["loop"] == "fused"
