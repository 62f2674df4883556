"""Gradient checking lab (``tf1-course lab gradcheck``).

1-D: J(θ) = θx at x = 2, θ = 4, ε = 1e-7, verdict against 1e-7. N-D: the network [4, 5, 3, 1] on
the course's test case; the course's planted backprop bug (dW2 doubled, db1 with 4/m) is caught
and the correct backprop passes (verdict against 2e-7, the course's N-D threshold). TF engine:
``tf.gradients`` of the same cost against the numeric gradient of the graph, and TensorFlow's
``compute_gradient_error``.
"""

from pathlib import Path

from tf1_course.core import device as devices
from tf1_course.core.fileio import write_json
from tf1_course.core import course_numbers
from tf1_course.labs import course, plots
from tf1_course.labs.np_engine import gradcheck as gc

NAME = "gradcheck"
X_1D, THETA_1D = 2, 4
COURSE = course_numbers.GRADCHECK


def verdict_1d(difference):
    return "The gradient is correct!" if difference < course.THRESHOLD_1D else "The gradient is wrong!"


def verdict_nd(difference):
    if difference > course.THRESHOLD_ND:
        return f"There is a mistake in the backward propagation! difference = {difference!r}"
    return f"Your backward propagation works perfectly fine! difference = {difference!r}"


def _keys(layers_dims):
    """The parameter each entry of θ belongs to: ["W1", "W1", ..., "b3"]."""
    return [key for key, start, stop, _ in course.parameter_layout(layers_dims) for _ in range(start, stop)]


def run_numpy(run_dir, out):
    checks = {}
    difference, grad, gradapprox = gc.gradient_check(X_1D, THETA_1D)
    out(f"numpy 1-D: {verdict_1d(difference)} difference = {difference!r}")
    checks["1d"] = {"difference": difference, "passed": bool(difference < course.THRESHOLD_1D),
                    "grad": float(grad), "gradapprox": float(gradapprox)}
    X, Y, parameters = gc.gradient_check_n_test_case()
    _, caches = gc.forward_propagation_n(X, Y, parameters)
    for name, backward, label in (("nd-planted-bug", gc.backward_propagation_n_planted_bug,
                                   "planted bug (dW2 x 2, db1 with 4/m)"),
                                  ("nd-fixed", gc.backward_propagation_n, "correct backprop")):
        difference, grad, gradapprox = gc.gradient_check_n(parameters, backward(X, Y, caches), X, Y,
                                                           gc.TEST_CASE_DIMS)
        out(f"numpy N-D, {label}: {verdict_nd(difference)}")
        png = Path(run_dir) / f"{name}-numpy.png"
        plots.gradient_figure(png, f"numpy, {label}: difference {difference:.3g}", grad, gradapprox,
                              _keys(gc.TEST_CASE_DIMS))
        checks[name] = {"difference": difference, "passed": bool(difference <= course.THRESHOLD_ND),
                        "png": png.name}
    return checks


def run_tf(run_dir, device, out):
    from tf1_course.core.compat import tf  # TensorFlow only when the TF engine runs
    from tf1_course.labs.tf_engine import gradcheck as tgc

    X, Y, parameters = gc.gradient_check_n_test_case()
    theta = gc.dictionary_to_vector(parameters)
    graph = tf.Graph()
    with graph.as_default():
        g1 = tgc.build_1d(X_1D)
        gn = tgc.build_nd(X, Y, gc.TEST_CASE_DIMS)
    checks = {}
    with tf.Session(graph=graph, config=devices.session_config(device)) as sess:
        difference, grad, gradapprox = tgc.gradient_check(sess, g1, float(THETA_1D))
        out(f"tf 1-D (tf.gradients vs numeric): {verdict_1d(difference)} difference = {difference!r}")
        checks["1d"] = {"difference": float(difference), "passed": bool(difference < course.THRESHOLD_1D),
                        "grad": float(grad), "gradapprox": float(gradapprox)}
        difference, grad, gradapprox = tgc.gradient_check(sess, gn, theta)
        out(f"tf N-D (tf.gradients vs numeric): {verdict_nd(float(difference))}")
        png = Path(run_dir) / "nd-tf.png"
        plots.gradient_figure(png, f"tf.gradients vs numeric: difference {difference:.3g}", grad, gradapprox,
                              _keys(gc.TEST_CASE_DIMS))
        checks["nd-fixed"] = {"difference": float(difference),
                              "passed": bool(difference <= course.THRESHOLD_ND),
                              "png": png.name}
        _, caches = gc.forward_propagation_n(X, Y, parameters)
        backprop = gc.gradients_to_vector(gc.backward_propagation_n(X, Y, caches))
        vs_numpy = float(course.relative_difference(grad, backprop))
        out(f"tf.gradients vs the NumPy engine's backprop: relative difference {vs_numpy:.3g}")
        error = tgc.gradient_error(sess, gn, theta)
        out(f"tf.compat.v1.test.compute_gradient_error (step 1e-3, max |theoretical - numeric|): {error:.3g}")
        checks["tf.gradients-vs-numpy-backprop"] = vs_numpy
        checks["compute_gradient_error"] = error
    return checks


def run(options):
    """Run the checks on ``options.engines``; print the course's verdicts. Returns the metrics dict."""
    out = options.out
    out(f"== gradient checking: 1-D J(theta) = theta * x at x = {X_1D}, theta = {THETA_1D}; "
        f"N-D network {list(gc.TEST_CASE_DIMS)} on the course's test case; epsilon {course.EPSILON} ==")
    metrics = {"lab": NAME, "engines": list(options.engines), "device": options.device,
               "epsilon": course.EPSILON,
               "thresholds": {"1d": course.THRESHOLD_1D, "nd": course.THRESHOLD_ND},
               "course": COURSE, "checks": {}}
    if "numpy" in options.engines:
        metrics["checks"]["numpy"] = run_numpy(options.run_dir, out)
    if "tf" in options.engines:
        metrics["checks"]["tf"] = run_tf(options.run_dir, options.device, out)
    out(f"course: 1-D {COURSE['1d']!r}; N-D planted bug {COURSE['nd-planted-bug']!r}; "
        f"N-D fixed {COURSE['nd-fixed']!r}")
    write_json(Path(options.run_dir) / "metrics.json", metrics)
    return metrics
