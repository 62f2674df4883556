"""Same flags -> same bits, whatever the process did before (README, "Determinism").

TensorFlow used to size one process-wide intra-op thread pool with the first Session's
settings; Eigen splits a matmul by the pool's thread count, so a run's bits depended on which
Session the process had made first. These tests compare bit for bit against fresh processes.
"""

import json
import subprocess
import sys

import numpy as np
import pytest

from tf1_course.signs import train
from tf1_course.core.fileio import read_json

# A float32 [4, K] x [K, 4] product: Eigen shards its long inner dimension across the pool's
# threads, so its last bits tell how many threads ran it.
PROBE = """
import sys
import numpy as np
from tf1_course.core import device
from tf1_course.core.compat import tf

def probe(intra):
    rng = np.random.RandomState(0)
    a, b = rng.rand(4, 200000).astype(np.float32), rng.rand(200000, 4).astype(np.float32)
    with tf.Graph().as_default():
        pa, pb = tf.placeholder(tf.float32), tf.placeholder(tf.float32)
        product = tf.matmul(pa, pb)
        with tf.Session(config=device.session_config("cpu", intra, 1)) as sess:
            return sess.run(product, {pa: a, pb: b}).tobytes().hex()
"""


def _fresh(code):
    """Run ``code`` in a new Python process; return what it printed (stripped)."""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.strip()


def _probe_in_fresh_process(intra):
    return _fresh(PROBE + f"\nprint(probe({intra}))")


def test_a_session_gets_the_threads_it_asks_for_whatever_ran_before():
    one, two = _probe_in_fresh_process(1), _probe_in_fresh_process(2)
    if one == two:
        pytest.skip("on this CPU the probe gives the same bits with 1 and 2 threads")
    namespace = {}
    exec(PROBE, namespace)
    # In this process: 2 threads, then 1, then 2 again. With one shared pool, whichever size came
    # first in the process's history would win and one of these would not match its fresh twin.
    assert namespace["probe"](2) == two
    assert namespace["probe"](1) == one
    assert namespace["probe"](2) == two


TRAIN_ARGS = ["--epochs", "3", "--learning-rate", "0.003", "--minibatch-size", "8",
              "--print-every", "1", "--device", "cpu"]


def _train_in_fresh_process(run_dir, data):
    _fresh("import sys\nfrom tf1_course.signs import train\n"
           f"sys.exit(train.main({json.dumps(['--run-dir', str(run_dir), '--data-dir', str(data), *TRAIN_ARGS])}))")
    return _numbers(run_dir)


def _numbers(run_dir):
    metrics = read_json(run_dir / "metrics.json")
    params = np.load(run_dir / "parameters.npz")
    return ([repr(c) for c in metrics["costs"]], metrics["train_accuracy"], metrics["test_accuracy"],
            {k: params[k].tobytes() for k in params.files})


def test_training_gives_the_same_bits_in_fresh_processes_and_after_other_sessions(tiny_data, tmp_path):
    first = _train_in_fresh_process(tmp_path / "fresh1", tiny_data)
    assert _train_in_fresh_process(tmp_path / "fresh2", tiny_data) == first

    from tf1_course.core.compat import tf

    with tf.Graph().as_default():  # a Session with other thread settings first, as a notebook might
        x = tf.random.normal([300, 300], seed=0)
        config = tf.ConfigProto(intra_op_parallelism_threads=2, inter_op_parallelism_threads=2)
        with tf.Session(config=config) as sess:
            sess.run(tf.matmul(x, x))
    assert train.main(["--run-dir", str(tmp_path / "here"), "--data-dir", str(tiny_data), *TRAIN_ARGS]) == 0
    assert _numbers(tmp_path / "here") == first


def test_metrics_record_what_changes_the_bits(trained_run):
    metrics = read_json(trained_run / "metrics.json")
    d = metrics["determinism"]
    assert d["intra_op_threads"] == metrics["config"]["intra_op_threads"] == 1
    assert d["inter_op_threads"] == metrics["config"]["inter_op_threads"] == 1
    assert d["tensorflow"] == metrics["versions"]["tensorflow"]
    assert d["cpu"] and d["device"] == "cpu"
