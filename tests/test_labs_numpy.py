"""The NumPy engine against the course's self-check numbers (no TensorFlow here)."""

import math

import numpy as np
import pytest

from tf1_course.labs import course, data2d, lab_init, lab_optimization, lab_regularization
from tf1_course.labs.np_engine import gradcheck, init, network, optimizers, regularization, train



def _variant(lab, name, **changes):
    return next(v for v in lab.variants() if v.name == name).replace(**changes)


def _run(lab, name, data, **changes):
    v = _variant(lab, name, **changes)
    return train.model(v.hyper, init.initialize_parameters(v.hyper.layers_dims, v.hyper.init), data,
                       progress=False)


def test_random_init_w1_is_the_courses():
    W1 = init.initialize_parameters([3, 2, 1], "random")["W1"]
    np.testing.assert_allclose(W1, [[17.88628473, 4.36509851, 0.96497468],
                                    [-18.63492703, -2.77388203, -3.54758979]], atol=5e-9)


def test_he_init_the_courses_example():
    p = init.initialize_parameters([2, 4, 1], "he")
    np.testing.assert_allclose(p["W2"], [[-0.03098412, -0.33744411, -0.92904268, 0.62552248]], atol=5e-9)
    assert not p["b1"].any() and p["b1"].shape == (4, 1)


def test_unknown_initialization_is_refused():
    with pytest.raises(ValueError, match="unknown initialization"):
        init.initialize_parameters([2, 1], "ones")


def test_init_lab_first_costs():
    data = data2d.load_circles()
    assert data.X_train.shape == (2, 300) and data.Y_test.shape == (1, 100)
    assert _run(lab_init, "he", data, num_steps=1).costs[0] == 0.8830537463419761
    assert _run(lab_init, "random", data, num_steps=1).costs[0] == math.inf  # log(0): reported, no crash
    assert _run(lab_init, "zeros", data, num_steps=1).costs[0] == pytest.approx(math.log(2), rel=1e-15)


@pytest.mark.parametrize("name, cost0", [("baseline", 0.6557412523481002), ("l2", 0.6974484493131264),
                                         ("dropout", 0.6543912405149825)])
def test_regularization_lab_first_costs(name, cost0):
    data = data2d.load_football()
    assert data.X_train.shape == (2, 211) and data.X_test.shape == (2, 200)
    assert _run(lab_regularization, name, data, num_steps=1).costs[0] == cost0


def test_football_missing_is_one_clear_error(tmp_path):
    from tf1_course.core.errors import DataError

    with pytest.raises(DataError, match="missing"):
        data2d.load_football(tmp_path / "nope.mat")


# The optimization lab's epoch-0 costs as the 2021 notebook prints them (epoch cost) and as the 2017
# notebook prints them (the last mini-batch's cost): one epoch pins data, He init and the shuffles.
@pytest.mark.parametrize("name, epoch_cost, last_minibatch_cost", [
    ("gd", "0.702405", "0.690736"), ("momentum", "0.702413", "0.690741"), ("adam", "0.702166", "0.690552"),
    ("gd-decay", "0.701091", None), ("momentum-scheduled", "0.702226", None),
    ("adam-scheduled", "0.699346", None),
])
def test_optimization_lab_epoch_0(name, epoch_cost, last_minibatch_cost):
    result = _run(lab_optimization, name, data2d.load_moons(), num_steps=1)
    assert f"{result.costs[0]:f}" == epoch_cost
    if last_minibatch_cost:
        assert f"{result.last_minibatch_costs[0]:f}" == last_minibatch_cost


def test_dropout_masks_are_reseeded_every_pass():
    a = course.dropout_masks((2, 20, 3, 1), 211, 0.86)
    b = course.dropout_masks((2, 20, 3, 1), 211, 0.86)
    assert [m.shape for m in a] == [(20, 211), (3, 211)]
    assert all((x == y).all() for x, y in zip(a, b))
    rng = np.random.RandomState(1)  # the course: np.random.seed(1), then D1, then D2
    assert (a[0] == (rng.rand(20, 211) < 0.86)).all() and (a[1] == (rng.rand(3, 211) < 0.86)).all()


def test_backprop_with_l2_and_fixed_dropout_masks_passes_gradient_checking():
    """The general backward pass (L2 term, dropout masks) against the numeric gradient of its cost."""
    dims = (3, 4, 3, 1)
    rng = np.random.RandomState(0)
    X, Y = rng.randn(3, 7), (rng.rand(1, 7) > 0.5).astype(float)
    parameters = init.initialize_parameters(dims, "he")
    parameters = {k: v + 0.1 * rng.randn(*v.shape) for k, v in parameters.items()}  # nonzero biases
    masks = course.dropout_masks(dims, 7, 0.7)
    lambd = 0.7

    def cost(p):
        AL, _ = network.forward_propagation(X, p, masks, 0.7)
        return network.compute_cost(AL, Y) + regularization.l2_cost(p, lambd, 7)

    theta = gradcheck.dictionary_to_vector(parameters)
    approx = np.zeros_like(theta)
    for i in range(theta.size):
        plus, minus = theta.copy(), theta.copy()
        plus[i] += 1e-7
        minus[i] -= 1e-7
        approx[i] = (cost(gradcheck.vector_to_dictionary(plus, dims))
                     - cost(gradcheck.vector_to_dictionary(minus, dims))) / 2e-7
    _, caches = network.forward_propagation(X, parameters, masks, 0.7)
    good = gradcheck.gradients_to_vector(network.backward_propagation(Y, caches, lambd, masks, 0.7))
    no_l2 = gradcheck.gradients_to_vector(network.backward_propagation(Y, caches, 0.0, masks, 0.7))
    assert course.relative_difference(good, approx) < course.THRESHOLD_ND
    assert course.relative_difference(no_l2, approx) > 1e-3  # forgetting dW += (lambda/m) W is caught


def test_adam_first_step_is_about_the_learning_rate():
    """With bias correction, Adam's first step is alpha * g / (|g| + eps): about alpha per entry."""
    v = lab_optimization.variants()[0].hyper.replace(optimizer="adam")
    parameters = {"W1": np.zeros((2, 2)), "b1": np.zeros((2, 1))}
    grads = {"dW1": np.array([[1e-3, -2.0], [5.0, 0.0]]), "db1": np.array([[1e-4], [-1e-4]])}
    opt = optimizers.Optimizer(v, parameters)
    p = opt.step(parameters, grads, 0.01)
    np.testing.assert_allclose(p["W1"], [[-0.01, 0.01], [-0.01, 0.0]], rtol=1e-4)
    assert opt.t == 1


def test_momentum_averages_with_one_minus_beta():
    v = lab_optimization.variants()[0].hyper.replace(optimizer="momentum", beta=0.9)
    parameters = {"W1": np.ones((1, 1)), "b1": np.zeros((1, 1))}
    opt = optimizers.Optimizer(v, parameters)
    grads = {"dW1": np.ones((1, 1)), "db1": np.zeros((1, 1))}
    p = opt.step(parameters, grads, 1.0)
    assert p["W1"][0, 0] == pytest.approx(1 - 0.1)  # v = 0.1 * g after the first step
    p = opt.step(p, grads, 1.0)
    assert p["W1"][0, 0] == pytest.approx(0.9 - 0.19)  # v = 0.9 * 0.1 + 0.1


def test_schedules_match_the_courses_printed_rates():
    assert f"{course.update_lr(0.1, 1000, 1):f}" == "0.000100"
    assert f"{course.schedule_lr_decay(0.1, 2000, 1):f}" == "0.033333"
    assert course.schedule_lr_decay(0.5, 10, 0.3, time_interval=100) == 0.5
    assert course.schedule_lr_decay(0.5, 100, 0.3, time_interval=100) == 0.3846153846153846
    assert course.exponential_decay(0.1, 2, 0.95) == pytest.approx(0.09025)
    for name, fn in course.SCHEDULES.items():  # epoch 0 runs at alpha0 (rate 1 for the k/sqrt form)
        assert fn(0.1, 0, 1.0 if name != "exponential" else 0.95) == pytest.approx(0.1)


def test_minibatch_epochs_reshuffle_with_the_courses_seeds():
    """Batch GD on the moons: one full batch per epoch, still shuffled (cost independent of order)."""
    data = data2d.load_moons()
    batch = _run(lab_optimization, "batch-gd", data, num_steps=2)
    hyper = _variant(lab_optimization, "batch-gd").hyper
    full = train.step(hyper, init.initialize_parameters((2, 5, 2, 1), "he"), optimizers.Optimizer(hyper, {}),
                      data.X_train, data.Y_train, 0.0007)[0]
    assert batch.costs[0] == pytest.approx(full, rel=1e-14)
    assert len(batch.learning_rates) == 2 and batch.learning_rates[0] == 0.0007
