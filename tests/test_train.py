import signal
import subprocess
import sys

import numpy as np
import pytest

from tf1_course.signs import train
from tf1_course.core.fileio import read_json

FAST = ["--learning-rate", "0.003", "--minibatch-size", "8", "--print-every", "1", "--device", "cpu"]


def run_train(run_dir, data, *extra):
    return train.main(["--run-dir", str(run_dir), "--data-dir", str(data), *FAST, *extra])


def test_run_directory_holds_everything(tiny_data, tmp_path, capsys):
    run = tmp_path / "run"
    assert run_train(run, tiny_data, "--epochs", "3") == 0
    out = capsys.readouterr().out
    assert "Cost after epoch 0:" in out and "Cost after epoch 2:" in out
    assert "Train Accuracy:" in out and "Test Accuracy:" in out
    m = read_json(run / "metrics.json")
    assert m["epochs"] == 3 and len(m["costs"]) == 3 and m["seed"] == 1
    assert 0 <= m["train_accuracy"] <= 1 and m["versions"]["tensorflow"].startswith("2.")
    assert m["final_cost"] == m["costs"][-1]
    params = np.load(run / "parameters.npz")
    assert params["W1"].shape == (25, 12288) and params["b3"].shape == (6, 1)
    assert (run / "cost.png").read_bytes()[:4] == b"\x89PNG"
    assert list((run / "tensorboard").glob("events.out.tfevents.*"))
    assert (run / "checkpoints" / "checkpoint").is_file() and (run / "checkpoints" / "model-3.json").is_file()
    assert read_json(run / "config.json")["train"]["learning_rate"] == 0.003
    assert "Cost after epoch 0:" in (run / "train.log").read_text()


def test_tensorboard_has_graph_and_costs(tiny_data, tmp_path):
    from tensorflow.core.util import event_pb2
    from tensorflow.python.lib.io import tf_record

    run = tmp_path / "run"
    assert run_train(run, tiny_data, "--epochs", "2") == 0
    events = [event_pb2.Event.FromString(r) for f in (run / "tensorboard").iterdir()
              for r in tf_record.tf_record_iterator(str(f))]
    assert any(e.graph_def for e in events)
    costs = [v.simple_value for e in events for v in e.summary.value if v.tag == "cost"]
    np.testing.assert_allclose(costs, read_json(run / "metrics.json")["costs"], rtol=1e-6)


def test_same_seed_same_numbers_and_cost_falls(tiny_data, tmp_path):
    assert run_train(tmp_path / "a", tiny_data, "--epochs", "4") == 0
    assert run_train(tmp_path / "b", tiny_data, "--epochs", "4") == 0
    assert run_train(tmp_path / "c", tiny_data, "--epochs", "4", "--seed", "2") == 0
    a, b, c = (read_json(tmp_path / d / "metrics.json") for d in "abc")
    assert a["costs"] == b["costs"] and a["train_accuracy"] == b["train_accuracy"]
    assert a["costs"] != c["costs"]
    assert a["costs"][-1] < a["costs"][0]


def test_resume_equals_an_uninterrupted_run(tiny_data, tmp_path):
    assert run_train(tmp_path / "straight", tiny_data, "--epochs", "4") == 0
    assert run_train(tmp_path / "split", tiny_data, "--epochs", "2") == 0
    assert run_train(tmp_path / "split", tiny_data, "--epochs", "4", "--resume") == 0
    a, b = (read_json(tmp_path / d / "metrics.json") for d in ("straight", "split"))
    assert a["costs"] == b["costs"] and a["test_accuracy"] == b["test_accuracy"]
    pa, pb = np.load(tmp_path / "straight" / "parameters.npz"), np.load(tmp_path / "split" / "parameters.npz")
    for k in pa.files:
        np.testing.assert_array_equal(pa[k], pb[k])


def _one_error_line(capsys):
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in err[0]
    return err[0]


def test_existing_run_is_not_overwritten_without_asking(tiny_data, tmp_path, capsys):
    run = tmp_path / "run"
    assert run_train(run, tiny_data, "--epochs", "1") == 0
    before = (run / "parameters.npz").read_bytes()
    capsys.readouterr()
    assert run_train(run, tiny_data, "--epochs", "1") == 2
    assert "--resume" in _one_error_line(capsys)
    assert (run / "parameters.npz").read_bytes() == before
    assert run_train(run, tiny_data, "--epochs", "2", "--resume", "--learning-rate", "0.1") == 2
    assert "different --learning-rate" in _one_error_line(capsys)
    assert train.main(["--run-dir", str(run), "--data-dir", str(tmp_path / "none"), "--overwrite"]) == 2
    assert "not found" in _one_error_line(capsys)
    assert (run / "parameters.npz").read_bytes() == before  # a failed --overwrite loses nothing
    assert run_train(run, tiny_data, "--epochs", "1", "--overwrite", "--seed", "5") == 0
    assert read_json(run / "config.json")["train"]["seed"] == 5


@pytest.mark.parametrize("args, needle", [
    (["--resume"], "no run in"),
    (["--epochs", "0"], "--epochs must be a positive finite number"),
    (["--learning-rate", "nan"], "--learning-rate must be a positive finite number, not nan"),
    (["--learning-rate", "inf"], "--learning-rate must be a positive finite number, not inf"),
    (["--keep-prob", "0"], "--keep-prob must be in [0.01, 1], not 0.0"),
    (["--beta1", "1"], "--beta1 must be in [0, 1), not 1.0"),
    (["--l2-lambda", "-1"], "--l2-lambda must be 0 or a positive finite number, not -1.0"),
    (["--l2-lambda", "nan"], "--l2-lambda must be 0 or a positive finite number, not nan"),
    (["--hidden", "25,x"], "not a comma-separated list"),
    (["--device", "tpu"], "invalid choice"),
])
def test_usage_errors_are_one_line(tiny_data, tmp_path, capsys, args, needle):
    with pytest.raises(SystemExit) if "--hidden" in args or "--device" in args else _noop():
        code = run_train(tmp_path / "run", tiny_data, *args)
        assert code == 2
    assert needle in _one_error_line(capsys)


class _noop:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_missing_data_says_how_to_build_it(tmp_path, capsys):
    assert train.main(["--run-dir", str(tmp_path / "run"), "--data-dir", str(tmp_path / "none")]) == 2
    assert "tf1-course data build" in _one_error_line(capsys)
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("signum, code, name", [(signal.SIGINT, 130, "Ctrl-C"), (signal.SIGTERM, 143, "SIGTERM")])
def test_ctrl_c_or_sigterm_saves_a_checkpoint_and_resume_finishes(tiny_data, tmp_path, signum, code, name):
    """A real SIGINT (Ctrl-C, docker stop) or SIGTERM (Kubernetes, systemd, ray job stop) to a real
    training process, then --resume: same costs as a straight run."""
    run = tmp_path / "run"
    cmd = [sys.executable, "-m", "tf1_course", "train", "--run-dir", str(run), "--data-dir",
           str(tiny_data), *FAST, "--epochs", "100000", "--save-every", "100000"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in proc.stdout:  # wait until training is under way
        if line.startswith("Cost after epoch 3:"):
            break
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == code, err
    assert "Traceback" not in err and "--resume" in out
    assert f"{name}: finishing this epoch and saving a checkpoint" in err and f"({name}); checkpoint saved" in out
    progress = [read_json(p) for p in (run / "checkpoints").glob("model-*.json")]
    assert len(progress) == 1 and progress[0]["epoch"] >= 4
    done = progress[0]["epoch"]
    assert run_train(run, tiny_data, "--epochs", str(done + 2), "--resume") == 0
    assert run_train(tmp_path / "straight", tiny_data, "--epochs", str(done + 2)) == 0
    assert read_json(run / "metrics.json")["costs"] == read_json(tmp_path / "straight" / "metrics.json")["costs"]
