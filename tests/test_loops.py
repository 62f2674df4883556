"""The fast training engine against the course's feed loop: same mini-batches, same numbers.

Tolerance: the two engines run the same TensorFlow kernels on the same float32 inputs and are
bit-identical on this machine, but another CPU could pick another matmul code path for the
gathered (row-major) batch. Such a difference is float32 rounding: a mini-batch cost carries 24
bits (relative spacing <= 1.2e-7), and a few Adam steps on weights that differ in the last bit
move the costs by a few of those ulps (measured on this test's data: inputs 1 ulp off give
mini-batch costs 2.2e-7 off after 3 epochs). So costs must agree to rtol = 1e-6, about 8 float32
ulps. The bugs this guards against are far above it: with the wrong permutation seed a mini-batch
cost moves by 1.7e-1, with the batches in the wrong order by 7.5e-2. Accuracies count examples:
they must be equal.
"""


import numpy as np
import pytest
from conftest import bundled_path, make_h5_pair

from tf1_course.signs import loops, train, training
from tf1_course.core import minibatches
from tf1_course.data import h5
from tf1_course.data.prepare import prepare

RTOL = 1e-6


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """A small SIGNS-shaped data set: m = 100 (3 full mini-batches of 32 and one of 4), test 30."""
    return make_h5_pair(tmp_path_factory.mktemp("loops") / "data", m_train=100, m_test=30)


def run_engine(name, X, Y, epochs, minibatch_size=32):
    """Train ``epochs`` epochs with engine ``name`` from the course's initial weights.

    Returns (epoch costs, per-epoch lists of mini-batch costs, train accuracy, global_step).
    """
    from tf1_course.core import device
    from tf1_course.signs import loops, model
    from tf1_course.core.compat import tf

    cfg = training.TrainConfig()
    graph = tf.Graph()
    with graph.as_default():
        g = model.build_graph(cfg.learning_rate, cfg.hidden, cfg.seed)
        engine = loops.make_engine(name, g, X, Y, minibatch_size)
        init = tf.global_variables_initializer()
    graph.finalize()
    costs, minibatch_costs = [], []
    with tf.Session(graph=graph, config=device.session_config("cpu", 1, 1)) as sess:
        sess.run(init)
        engine.initialize(sess)
        for epoch in range(epochs):
            costs.append(engine.epoch(sess, cfg.minibatch_seed + epoch + 1))
            minibatch_costs.append(list(engine.minibatch_costs))
        accuracy = sess.run(g.accuracy, {g.X: X, g.Y: Y})
        step = sess.run(g.global_step)
    return costs, minibatch_costs, accuracy, step


def test_both_engines_take_the_same_minibatches_in_the_same_order(data_dir, monkeypatch):
    X, Y = prepare(h5.load_dataset(data_dir)[0])
    seen = []

    def recording_permutation(m, seed):
        perm = permutation(m, seed)
        seen.append((m, seed, perm.tolist()))
        return perm

    permutation = minibatches.permutation
    monkeypatch.setattr(minibatches, "permutation", recording_permutation)
    results = {}
    for name in ("feed", "fast"):
        seen.clear()
        results[name] = run_engine(name, X, Y, epochs=3)
        results[name + " permutations"] = list(seen)
    # the course's seeds: minibatch_seed 3, +1 before each epoch; one permutation per epoch
    assert [(m, seed) for m, seed, _ in results["fast permutations"]] == [(100, 4), (100, 5), (100, 6)]
    assert results["fast permutations"] == results["feed permutations"]

    feed_costs, feed_minibatch, feed_acc, feed_step = results["feed"]
    fast_costs, fast_minibatch, fast_acc, fast_step = results["fast"]
    for feed_epoch, fast_epoch in zip(feed_minibatch, fast_minibatch):
        assert len(fast_epoch) == len(feed_epoch) == 4  # 32, 32, 32, then the last 4 examples
        np.testing.assert_allclose(fast_epoch, feed_epoch, rtol=RTOL, atol=0)
    np.testing.assert_allclose(fast_costs, feed_costs, rtol=RTOL, atol=0)
    assert fast_acc == feed_acc
    assert fast_step == feed_step == 12  # one Adam step per mini-batch, as the course's train_op


def test_fast_engine_data_is_what_tensorflow_makes_of_the_fed_float64():
    from tf1_course.core.compat import tf

    X = np.random.default_rng(1).integers(0, 256, size=(300, 7)) / 255.0  # float64 [n, m]
    rows = loops.float32_rows(X)
    assert rows.dtype == np.float32 and rows.shape == (7, 300)
    assert rows.flags.c_contiguous and rows.ctypes.data % 64 == 0  # fed without a copy
    with tf.Graph().as_default():
        fed = tf.placeholder(tf.float32, (300, None))
        with tf.Session() as sess:
            as_fed = sess.run(tf.identity(fed), {fed: X})  # what the feed loop's graph sees
    assert np.array_equal(rows.T, as_fed)


def test_epoch_cost_is_the_courses_running_sum():
    # 4 mini-batches but int(100 / 32) = 3: the course divides by 3 (its printed numbers do)
    costs = [np.float32(1.5), np.float32(1.25), np.float32(1.0), np.float32(2.0)]
    assert loops.course_epoch_cost(costs, 3) == pytest.approx(5.75 / 3, rel=1e-15)


def train_run(data_dir, run_dir, loop, epochs, resume=False):
    flags = {"num_epochs": epochs, "loop": loop, "print_every": 1000, "save_every": 2}
    result = training.train(run_dir, flags, data_dir, "cpu", resume=resume)
    assert result.outcome == "finished"
    return result.metrics


def test_train_command_fast_equals_feed_and_resumes_across_engines(data_dir, tmp_path):
    feed = train_run(data_dir, tmp_path / "feed", "feed", 4)
    fast = train_run(data_dir, tmp_path / "fast", "fast", 4)
    np.testing.assert_allclose(fast["costs"], feed["costs"], rtol=RTOL, atol=0)
    assert fast["train_accuracy"] == feed["train_accuracy"]
    assert fast["test_accuracy"] == feed["test_accuracy"]
    assert fast["config"]["loop"] == "fast" and feed["config"]["loop"] == "feed"

    # 2 epochs with the course's loop, then resumed with the fast one: the checkpoint carries the
    # weights and the course's Adam state, which the fast loop updates in place.
    train_run(data_dir, tmp_path / "mixed", "feed", 2)
    mixed = train_run(data_dir, tmp_path / "mixed", "fast", 4, resume=True)
    np.testing.assert_allclose(mixed["costs"], feed["costs"], rtol=RTOL, atol=0)
    assert mixed["test_accuracy"] == feed["test_accuracy"]


def test_fast_run_stopped_by_ctrl_c_resumes_to_the_uninterrupted_numbers(data_dir, tmp_path, monkeypatch):
    whole = train_run(data_dir, tmp_path / "whole", "fast", 3)

    class CtrlCDuringFirstEpoch(training.Interrupt):
        def __enter__(self):
            self.requested = True  # what the SIGINT handler sets
            return self

    with monkeypatch.context() as m:
        m.setattr(training, "Interrupt", CtrlCDuringFirstEpoch)
        result = training.train(tmp_path / "stopped", {"num_epochs": 3, "print_every": 1000}, data_dir, "cpu")
    assert (result.outcome, result.metrics, result.epochs) == ("interrupted", None, 1)
    resumed = train_run(data_dir, tmp_path / "stopped", "fast", 3, resume=True)
    assert resumed["costs"] == whole["costs"]  # the same engine and kernels: the same bits
    assert resumed["train_accuracy"] == whole["train_accuracy"]
    assert resumed["test_accuracy"] == whole["test_accuracy"]


@pytest.mark.parametrize("flag", ["--intra-op-threads", "--inter-op-threads"])
def test_negative_thread_count_is_a_one_line_usage_error(flag, tmp_path, capsys):
    assert train.main(["--run-dir", str(tmp_path / "run"), flag, "-1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and flag in err and "Traceback" not in err


@pytest.mark.integration
def test_real_signs_data_fast_equals_feed(tmp_path):
    from tf1_course.data.build import build

    build(bundled_path("signs"), tmp_path, log=lambda *a: None)
    X, Y = prepare(h5.load_dataset(tmp_path)[0])  # [12288, 1080]: 33 mini-batches of 32 + 24
    feed_costs, feed_minibatch, feed_acc, _ = run_engine("feed", X, Y, epochs=2)
    fast_costs, fast_minibatch, fast_acc, _ = run_engine("fast", X, Y, epochs=2)
    assert [len(c) for c in fast_minibatch] == [34, 34]
    np.testing.assert_allclose(np.concatenate(fast_minibatch), np.concatenate(feed_minibatch), rtol=RTOL, atol=0)
    np.testing.assert_allclose(fast_costs, feed_costs, rtol=RTOL, atol=0)
    assert fast_acc == feed_acc
