"""--device cpu|gpu|auto, the Session configuration, and the one-line error for a missing GPU.

These run on the CPU machine CI has; a GPU is simulated by replacing device.gpus where needed.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tf1_course.core import device
from tf1_course.signs import train
from tf1_course.data import h5, paths
from tf1_course.core.errors import UsageError

FAKE_GPU = "/physical_device:GPU:0"


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    """A course-schema data folder with 12 train and 6 test images."""
    out = tmp_path_factory.mktemp("data")
    rng = np.random.RandomState(0)
    for split, file, m in (("train", paths.TRAIN_FILE, 12), ("test", paths.TEST_FILE, 6)):
        h5.write_split(out / file, split, rng.randint(0, 256, (m, 64, 64, 3)), np.arange(m) % 6)
    return out


@pytest.fixture
def no_gpu_here():
    if device.gpus():
        pytest.skip("this machine has a GPU; these tests are for the CPU path")


def test_cpu_and_auto_resolve_to_cpu_without_a_gpu(no_gpu_here):
    assert device.resolve("cpu") == "cpu"
    assert device.resolve("auto") == "cpu"
    assert device.resolve() == "cpu"


def test_gpu_without_one_is_a_one_line_usage_error(no_gpu_here):
    with pytest.raises(UsageError) as e:
        device.resolve("gpu")
    msg = str(e.value)
    assert "\n" not in msg
    assert msg.startswith("--device gpu: ")
    assert "--device cpu or auto" in msg


def test_cpu_only_build_is_named_in_the_message(no_gpu_here, monkeypatch):
    from tf1_course.core.compat import tf

    monkeypatch.setattr(tf.test, "is_built_with_cuda", lambda: False)
    with pytest.raises(UsageError, match="CPU-only build"):
        device.resolve("gpu")
    monkeypatch.setattr(tf.test, "is_built_with_cuda", lambda: True)
    with pytest.raises(UsageError, match="docker run --gpus all"):
        device.resolve("gpu")


def test_unknown_device_is_a_usage_error():
    with pytest.raises(UsageError, match="one of auto, cpu, gpu"):
        device.resolve("tpu")


def test_auto_and_gpu_pick_a_visible_gpu(monkeypatch):
    monkeypatch.setattr(device, "gpus", lambda: [FAKE_GPU])
    assert device.resolve("auto") == "gpu"
    assert device.resolve("gpu") == "gpu"
    assert device.resolve("cpu") == "cpu"
    line = device.describe("gpu")
    assert "sees: CPU, GPU:0;" in line and line.endswith("running on GPU")


def test_describe_names_the_tensorflow_version_and_the_device(no_gpu_here):
    from tf1_course.core.compat import TF_VERSION

    assert device.describe("cpu") == f"TensorFlow {TF_VERSION} sees: CPU; running on CPU"


def test_session_config_cpu_hides_gpus_and_soft_places():
    c = device.session_config("cpu", intra_op_threads=2, inter_op_threads=1)
    assert c.allow_soft_placement
    assert c.device_count["GPU"] == 0
    assert not c.gpu_options.allow_growth
    assert (c.intra_op_parallelism_threads, c.inter_op_parallelism_threads) == (2, 1)


def test_session_config_gpu_grows_memory_and_soft_places():
    c = device.session_config("gpu")
    assert c.allow_soft_placement
    assert c.gpu_options.allow_growth
    assert "GPU" not in c.device_count
    assert (c.intra_op_parallelism_threads, c.inter_op_parallelism_threads) == (1, 1)
    assert c.use_per_session_threads  # its own pools, never one an earlier Session sized


def test_session_config_wants_a_resolved_device():
    with pytest.raises(ValueError, match="resolve"):
        device.session_config("auto")


def test_cpu_session_runs_on_the_cpu_only():
    from tf1_course.core.compat import tf

    with tf.Graph().as_default() as g:
        total = tf.reduce_sum(tf.constant([1.0, 2.0, 3.0]))
    with tf.Session(graph=g, config=device.session_config("cpu")) as sess:
        assert sess.run(total) == 6.0
        kinds = {d.device_type for d in sess.list_devices()}
    assert kinds == {"CPU"}


def test_train_logs_the_device_and_records_it(no_gpu_here, tiny_data, tmp_path, capsys):
    run_dir = tmp_path / "run"
    code = train.main(["--data-dir", str(tiny_data), "--run-dir", str(run_dir), "--epochs", "1",
                       "--minibatch-size", "4", "--device", "auto"])
    assert code == 0
    log = (run_dir / "train.log").read_text()
    assert "sees: CPU; running on CPU" in log
    assert json.loads((run_dir / "metrics.json").read_text())["device"] == "cpu"


def test_train_device_gpu_fails_before_touching_the_run(no_gpu_here, tiny_data, tmp_path, capsys):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "config.json").write_text("{}")  # a run that --overwrite would delete
    code = train.main(["--data-dir", str(tiny_data), "--run-dir", str(run_dir), "--epochs", "1",
                       "--device", "gpu", "--overwrite"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("tf1-course train: error: --device gpu: ")
    assert (run_dir / "config.json").read_text() == "{}"


def test_cli_device_gpu_exits_2_with_one_line_and_no_traceback(no_gpu_here, tiny_data, tmp_path):
    run_dir = tmp_path / "run"
    env = dict(os.environ, TF1_COURSE_DATA_DIR=str(tiny_data))
    proc = subprocess.run([sys.executable, "-m", "tf1_course", "train", "--device", "gpu",
                           "--run-dir", str(run_dir), "--epochs", "1"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("tf1-course train: error: --device gpu: ")
    assert "Traceback" not in proc.stderr
    assert not run_dir.exists()
