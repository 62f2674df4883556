"""The course's first TensorFlow examples give the course's numbers (tf1_course.labs.basics)."""

import subprocess
import sys

import numpy as np
import pytest

from tf1_course.labs import basics
from tf1_course.cli import main as cli_main
from tf1_course.data.prepare import convert_to_one_hot

# The lecture's "Training a Network" output, as printed (float32).
TRAINING_RESULTS = ["0.9", "8.54", "13.124001", "15.874401", "17.52464", "18.514786",
                    "19.108871", "19.46532", "19.679192", "19.807514"]


def sigmoid_cross_entropy(z, y):
    """-(y log s + (1 - y) log(1 - s)), s = sigmoid(z), in float64."""
    s = 1 / (1 + np.exp(-np.asarray(z, dtype=np.float64)))
    return -(y * np.log(s) + (1 - y) * np.log(1 - s))


def test_loss_variable_is_9():
    loss = basics.loss_variable()
    assert loss == 9 and loss.dtype == np.int32


def test_constants_multiply_to_20_and_print_a_tensor_without_session():
    c = basics.constants()
    assert c.value == 20
    assert c.tensor.startswith("Tensor(") and "dtype=int32" in c.tensor and "20" not in c.tensor


def test_placeholders_are_fed():
    p = basics.placeholders()
    assert p.twice_x == 6 and p.twice_x.dtype == np.int64
    assert p.a_plus_b == 9.0 and p.a_plus_b.dtype == np.float32


def test_linear_function_matches_numpy_from_the_same_seed():
    state = np.random.get_state()
    result = basics.linear_function()
    after = np.random.get_state()
    assert all(np.array_equal(a, b) for a, b in zip(state, after)), "global NumPy state changed"

    np.random.seed(1)
    X, W, b = np.random.randn(3, 1), np.random.randn(4, 3), np.random.randn(4, 1)
    assert result.shape == (4, 1) and result.dtype == np.float64
    np.testing.assert_allclose(result, W @ X + b, rtol=1e-12)


def test_sigmoid():
    assert basics.sigmoid(0) == 0.5
    s12 = basics.sigmoid(12)
    assert s12.dtype == np.float32 and f"{s12:.6f}" == "0.999994"
    z = np.array([-1.0, 0.0, 2.0])
    np.testing.assert_allclose(basics.sigmoid(z), 1 / (1 + np.exp(-z)), rtol=1e-6)


def test_cost_of_logits_and_of_their_sigmoid():
    logits, labels = np.array([0.2, 0.4, 0.7, 0.9]), np.array([0, 0, 1, 1])
    got = basics.cost(logits, labels)
    assert got.shape == (4,) and got.dtype == np.float32
    np.testing.assert_allclose(got, sigmoid_cross_entropy(logits, labels), rtol=1e-6)

    squashed = basics.sigmoid(logits)
    np.testing.assert_allclose(basics.cost(squashed, labels),
                               sigmoid_cross_entropy(1 / (1 + np.exp(-logits)), labels), rtol=1e-6)


def test_one_hot_matrix_puts_examples_in_columns():
    np.testing.assert_array_equal(basics.one_hot_matrix(np.array([1, 2, 0, 1]), 3),
                                  [[0, 0, 1, 0], [1, 0, 0, 1], [0, 1, 0, 0]])
    labels = np.array([1, 2, 3, 0, 2, 1])
    got = basics.one_hot_matrix(labels, 4)
    assert got.shape == (4, 6) and got.dtype == np.float32
    np.testing.assert_array_equal(got, np.eye(4)[labels].T)
    np.testing.assert_array_equal(got, convert_to_one_hot(labels, 4))  # the NumPy twin agrees


def test_ones_and_zeros():
    ones, zeros = basics.ones([3]), basics.zeros([3])
    np.testing.assert_array_equal(ones, [1, 1, 1])
    np.testing.assert_array_equal(zeros, [0, 0, 0])
    assert ones.dtype == zeros.dtype == np.float32
    assert basics.ones([2, 3]).shape == (2, 3)


def test_gradient_descent_finds_the_minimum_of_the_quadratic():
    m = basics.minimize_quadratic()
    assert 4.999 <= m.w < 5.0  # the seed: "the answer you get is 4.999"
    assert abs(m.cost) < 1e-4

    fed = basics.minimize_quadratic_fed()
    assert fed.w == pytest.approx(m.w, abs=1e-6) and abs(fed.cost) < 1e-4

    # the coefficients really come from the feed: (w - 3)^2 has its minimum at 3
    other = basics.minimize_quadratic_fed([[1.0], [-6.0], [9.0]])
    assert other.w == pytest.approx(3.0, abs=1e-3)


def test_training_a_network_prints_the_lecture_numbers():
    results = basics.train_network()
    assert results.dtype == np.float32
    assert [str(v) for v in results] == TRAINING_RESULTS


def test_compute_gradients_does_not_update():
    g = basics.compute_gradients()
    y = 0.2 + 0.7
    np.testing.assert_allclose(g.gradient, [-2 * (20 - y)] * 2, rtol=1e-6)  # d(t - y)^2/dW = -2(t - y)x
    np.testing.assert_array_equal(g.W_before, np.float32([0.2, 0.7]))
    np.testing.assert_array_equal(g.W_after, g.W_before)


def test_command_runs_all_examples_in_order(capsys):
    assert cli_main(["basics", "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    positions = [out.index(f"== {name}:") for name in basics.EXAMPLES]
    assert positions == sorted(positions)
    for text in ["\n9\n", 'Tensor("Mul:0"', "sess.run(c): 20", "x = 3: 6", "b = 5: 9.0",
                 "sigmoid(0) = 0.5", "0.999994", "[[0. 0. 1. 0.]\n [1. 0. 0. 1.]\n [0. 1. 0. 0.]]",
                 "ones([3]) = [1. 1. 1.]", "zeros([3]) = [0. 0. 0.]", "w = 4.999", "[-38.2 -38.2]"]:
        assert text in out, text
    assert [line.split()[-1] for line in out.splitlines() if line.startswith("Result:")] == TRAINING_RESULTS


def test_command_runs_one_example(capsys):
    assert cli_main(["basics", "training", "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "== training:" in out and out.count("== ") == 1
    assert out.count("Result:") == 10


def test_unknown_example_is_one_line_exit_2_before_importing_tensorflow():
    code = ("import sys; from tf1_course.cli import main; rc = main(['basics', 'nope']); "
            "print('tensorflow' in sys.modules); sys.exit(rc)")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert p.returncode == 2
    assert p.stdout == "False\n"
    lines = p.stderr.splitlines()
    assert len(lines) == 1 and "unknown example 'nope'" in lines[0] and "compute_gradients" in lines[0]
