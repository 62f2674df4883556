"""Gradient checking: correct backprop passes, the course's planted bug is caught, TF agrees."""

import numpy as np
import pytest

from tf1_course.core import course_numbers
from tf1_course.labs import course
from tf1_course.labs.np_engine import gradcheck as gc


def test_1d_check_is_the_courses():
    difference, grad, gradapprox = gc.gradient_check(2, 4)
    assert grad == 2 and gradapprox == pytest.approx(2, rel=1e-8)
    assert difference < course.THRESHOLD_1D
    assert f"{difference:.12g}" == f"{course_numbers.GRADCHECK['1d']:.12g}"  # printed 2.91933588329e-10


def test_rolling_parameters_round_trips():
    _, _, parameters = gc.gradient_check_n_test_case()
    theta = gc.dictionary_to_vector(parameters)
    assert theta.shape == (47, 1)
    back = gc.vector_to_dictionary(theta, gc.TEST_CASE_DIMS)
    assert all((back[k] == parameters[k]).all() for k in parameters)
    assert theta[0, 0] == parameters["W1"][0, 0] and theta[20, 0] == parameters["b1"][0, 0]


def test_layout_with_batch_norm_rolls_and_unrolls():
    """Batch norm's θ: W1 gamma1 beta1 W2 gamma2 beta2 W3 b3 (no hidden b), found from the arrays too."""
    dims = (4, 5, 3, 1)
    layout = course.parameter_layout(dims, batch_norm=True)
    assert [key for key, *_ in layout] == ["W1", "gamma1", "beta1", "W2", "gamma2", "beta2", "W3", "b3"]
    rng = np.random.RandomState(0)
    parameters = {key: rng.randn(*shape) for key, _, _, shape in layout}
    assert course.layout_of(parameters) == layout
    assert course.layout_of({f"d{k}": v for k, v in parameters.items()}, "d") == layout
    theta = gc.dictionary_to_vector(parameters)
    assert theta.shape == (4 * 5 + 5 + 5 + 5 * 3 + 3 + 3 + 3 + 1, 1)
    assert theta[20, 0] == parameters["gamma1"][0, 0] and theta[25, 0] == parameters["beta1"][0, 0]
    back = gc.vector_to_dictionary(theta, dims, batch_norm=True)
    assert set(back) == set(parameters) and all((back[k] == parameters[k]).all() for k in parameters)


@pytest.fixture(scope="module")
def test_case():
    X, Y, parameters = gc.gradient_check_n_test_case()
    _, caches = gc.forward_propagation_n(X, Y, parameters)
    return X, Y, parameters, caches


def test_planted_bug_is_caught(test_case):
    X, Y, parameters, caches = test_case
    difference, _, _ = gc.gradient_check_n(parameters, gc.backward_propagation_n_planted_bug(X, Y, caches),
                                           X, Y, gc.TEST_CASE_DIMS)
    assert difference > course.THRESHOLD_ND
    assert difference == pytest.approx(course_numbers.GRADCHECK["nd-planted-bug"], rel=1e-8)


def test_correct_backprop_passes(test_case):
    X, Y, parameters, caches = test_case
    difference, grad, gradapprox = gc.gradient_check_n(parameters, gc.backward_propagation_n(X, Y, caches),
                                                       X, Y, gc.TEST_CASE_DIMS)
    assert difference < course.THRESHOLD_ND
    # ~1.2e-7 is the numeric gradient's own error (epsilon 1e-7): the course reports 1.189e-7
    assert difference == pytest.approx(course_numbers.GRADCHECK["nd-fixed"], rel=0.05)


@pytest.fixture(scope="module")
def tf_session(test_case):
    tf_compat = pytest.importorskip("tf1_course.core.compat")
    from tf1_course.labs.tf_engine import gradcheck as tgc

    tf = tf_compat.tf
    X, Y, _, _ = test_case
    graph = tf.Graph()
    with graph.as_default():
        graphs = tgc.build_1d(2), tgc.build_nd(X, Y, gc.TEST_CASE_DIMS)
    with tf.Session(graph=graph) as sess:
        yield sess, graphs


def test_tf_1d_gradient(tf_session):
    from tf1_course.labs.tf_engine import gradcheck as tgc

    sess, (g1, _) = tf_session
    difference, grad, _ = tgc.gradient_check(sess, g1, 4.0)
    assert grad == 2.0 and difference < course.THRESHOLD_1D


def test_tf_gradients_against_numeric_and_numpy_backprop(tf_session, test_case):
    from tf1_course.labs.tf_engine import gradcheck as tgc

    sess, (_, gn) = tf_session
    X, Y, parameters, caches = test_case
    theta = gc.dictionary_to_vector(parameters)
    assert sess.run(gn.J, {gn.theta: theta}) == pytest.approx(gc.forward_propagation_n(X, Y, parameters)[0],
                                                              rel=1e-14)
    difference, grad, gradapprox = tgc.gradient_check(sess, gn, theta)
    assert difference < course.THRESHOLD_ND
    backprop = gc.gradients_to_vector(gc.backward_propagation_n(X, Y, caches))
    assert course.relative_difference(grad, backprop) < 1e-12
    buggy = gc.gradients_to_vector(gc.backward_propagation_n_planted_bug(X, Y, caches))
    assert course.relative_difference(grad, buggy) > 0.1
    np.testing.assert_allclose(gradapprox, gc.numeric_gradient(X, Y, parameters, gc.TEST_CASE_DIMS),
                               rtol=0, atol=1e-7)


def test_tf_compute_gradient_error(tf_session, test_case):
    from tf1_course.labs.tf_engine import gradcheck as tgc

    sess, (_, gn) = tf_session
    theta = gc.dictionary_to_vector(test_case[2])
    error = tgc.gradient_error(sess, gn, theta)
    assert 0 < error < 1e-5
