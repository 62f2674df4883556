"""`train --dev`: a dev set scored every --eval-every epochs, the best checkpoint, early stopping,
and `evaluate` / `predict` choosing a checkpoint (docs/signs.md, "A dev set and early stopping")."""

import shutil

import numpy as np
import pytest
from conftest import make_tuning_data

from tf1_course.core.fileio import read_json
from tf1_course.signs import devset, evaluate, predict, train, training
from tf1_course.signs.rundir import RunDir
from tf1_course.signs.settings import TrainConfig

# tiny, separable data: the dev accuracy reaches its best within a few epochs, then stays
FAST = ["--learning-rate", "0.003", "--minibatch-size", "8", "--print-every", "100", "--device", "cpu"]
STOPPING = {"num_epochs": 40, "learning_rate": 0.003, "minibatch_size": 8, "print_every": 100, "save_every": 100,
            "eval_every": 2, "early_stopping": 3}


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = make_tuning_data(tmp_path_factory.mktemp("dev") / "data", m_train=48, m_dev=24, m_test=18)
    shutil.copy(folder / "train_minus_dev_signs.h5", folder / "train_signs.h5")  # for --dev FILE
    return folder


@pytest.fixture(scope="module")
def stopped(data, tmp_path_factory):
    """A run with a dev set that stops early by itself (uninterrupted)."""
    run = tmp_path_factory.mktemp("stopped") / "run"
    result = training.train(run, STOPPING, data, "cpu", dev=True, echo=False, show_progress=False)
    assert result.outcome == "finished"
    return run


def ev(epoch, dev, train=1.0):
    return {"epoch": epoch, "train": train, "dev": dev}


def test_judge_keeps_the_earliest_best_and_counts_evaluations_without_improvement():
    history = [ev(2, 0.5), ev(4, 0.75), ev(6, 0.75), ev(8, 0.7), ev(10, 0.75)]
    assert devset.judge(history) == devset.Verdict(4, 0.75, 3, False)  # a tie is no improvement
    assert devset.judge(history, patience=3).stop and not devset.judge(history, patience=4).stop
    assert devset.judge(history + [ev(12, 0.8)], patience=3) == devset.Verdict(12, 0.8, 0, False)
    # min_delta: 0.76 is the best dev accuracy, but not better than 0.75 by more than 0.05
    assert devset.judge([ev(2, 0.75), ev(4, 0.76)], 1, min_delta=0.05) == devset.Verdict(4, 0.76, 1, True)
    assert devset.judge([{"epoch": 2, "train": 0.5}]) == devset.Verdict(None, None, 0, False)  # no dev set


def test_evaluations_every_n_epochs_and_at_the_last():
    cfg = TrainConfig(num_epochs=7, print_every=3)
    assert [d for d in range(1, 8) if devset.is_evaluation(d, cfg)] == [3, 6, 7]
    cfg = TrainConfig(num_epochs=7, print_every=3, eval_every=2)
    assert [d for d in range(1, 8) if devset.is_evaluation(d, cfg)] == [2, 4, 6, 7]


def test_a_dev_run_stops_early_keeps_the_best_and_records_why(stopped):
    metrics = read_json(stopped / "metrics.json")
    stop = metrics["stopping"]
    evaluations = metrics["evaluations"]
    assert stop["reason"] == "early-stopping" and stop["epoch"] == metrics["epochs"] < STOPPING["num_epochs"]
    assert [e["epoch"] for e in evaluations] == list(range(2, stop["epoch"] + 1, 2))
    devs = [e["dev"] for e in evaluations]
    first_best = evaluations[devs.index(max(devs))]["epoch"]  # the earliest of the highest
    assert stop["best_epoch"] == first_best and stop["best_dev_accuracy"] == max(devs)
    assert stop["evaluations_without_improvement"] == 3 == len(evaluations) - devs.index(max(devs)) - 1
    assert set(metrics["data"]["files"]) == {"train", "dev", "test"}
    assert metrics["data"]["files"]["train"]["file"] == "train_minus_dev_signs.h5"
    assert metrics["dev_accuracy"] == devs[-1] and "test" not in evaluations[0]  # the test set chooses nothing
    run = RunDir(stopped)
    assert run.best_checkpoint().epoch == first_best and run.latest_checkpoint().epoch == stop["epoch"]
    assert [p.name for p in run.best.glob("*.json")] == [f"model-{first_best}.json"]  # one best kept
    assert metrics["best"]["epoch"] == first_best and metrics["best"]["dev_accuracy"] == max(devs)
    log = (stopped / "train.log").read_text()
    assert f"early stopping after {stop['epoch']} epochs" in log and "Dev accuracy after 2 epochs:" in log


def test_evaluate_and_predict_use_the_best_checkpoint_and_say_so(stopped, tmp_path, capsys):
    from PIL import Image

    from conftest import sign_image

    metrics = read_json(stopped / "metrics.json")
    best, last = metrics["best"]["epoch"], metrics["epochs"]
    assert evaluate.main(["--run-dir", str(stopped), "--device", "cpu"]) == 0
    assert f"checkpoint: best (epoch {best}, dev accuracy" in capsys.readouterr().out
    report = read_json(stopped / "evaluation.json")
    assert (report["checkpoint"], report["epoch"]) == ("best", best)
    assert report["test_accuracy"] == pytest.approx(metrics["best"]["test_accuracy"], abs=1e-6)
    assert evaluate.main(["--run-dir", str(stopped), "--device", "cpu", "--checkpoint", "last"]) == 0
    assert f"checkpoint: last (epoch {last})" in capsys.readouterr().out
    report = read_json(stopped / "evaluation.json")
    assert (report["checkpoint"], report["epoch"]) == ("last", last)
    assert report["test_accuracy"] == pytest.approx(metrics["test_accuracy"], abs=1e-6)
    Image.fromarray(sign_image(2, 0)).save(tmp_path / "a.png")
    assert predict.main([str(tmp_path / "a.png"), "--run-dir", str(stopped), "--device", "cpu", "--json"]) == 0
    assert f"checkpoint: best (epoch {best}" in capsys.readouterr().err  # --json: the notes go to stderr


def test_a_run_without_a_dev_set_has_no_best(trained_run, capsys):
    assert RunDir(trained_run).checkpoint().kind == "last"
    assert evaluate.main(["--run-dir", str(trained_run), "--checkpoint", "best"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no best checkpoint" in err[0] and "--checkpoint last" in err[0]


def test_ctrl_c_and_resume_stop_at_the_same_epoch_with_the_same_bits(data, stopped, tmp_path, monkeypatch):
    """Stopped by the training's interrupt handler after 5 epochs (a best already saved, early
    stopping under way), then resumed: the same stopping epoch, costs, evaluations and weights."""
    class CtrlCAfterFiveEpochs(training.Interrupt):
        checks = 0

        @property
        def requested(self):  # read once per epoch, after it; what the SIGINT handler sets
            self.checks += 1
            return self.checks >= 5

        @requested.setter
        def requested(self, value):
            pass

    run = tmp_path / "run"
    with monkeypatch.context() as m:
        m.setattr(training, "Interrupt", CtrlCAfterFiveEpochs)
        result = training.train(run, STOPPING, data, "cpu", dev=True, echo=False, show_progress=False)
    assert (result.outcome, result.epochs) == ("interrupted", 5)
    assert RunDir(run).best_checkpoint().epoch <= 4
    result = training.train(run, {}, data, "cpu", resume=True, echo=False, show_progress=False)
    assert result.outcome == "finished"
    a, b = read_json(stopped / "metrics.json"), read_json(run / "metrics.json")
    assert b["stopping"] == a["stopping"] and b["costs"] == a["costs"] and b["evaluations"] == a["evaluations"]
    assert b["best"] == a["best"] and b["test_accuracy"] == a["test_accuracy"]
    pa, pb = np.load(stopped / "parameters.npz"), np.load(run / "parameters.npz")
    assert all(np.array_equal(pa[k], pb[k]) for k in pa.files)
    assert [p.name for p in RunDir(run).best.iterdir()] == [p.name for p in RunDir(stopped).best.iterdir()]
    # resumed again: it stopped early, so there is nothing left to train
    again = training.train(run, {}, data, "cpu", resume=True, echo=False, show_progress=False)
    assert again.outcome == "finished" and again.metrics["stopping"] == a["stopping"]
    assert "already stopped early" in (run / "train.log").read_text()


def test_dev_file_is_any_h5_in_the_schema_and_a_shared_photo_is_called_out(data, tmp_path, capsys):
    outside = tmp_path / "mine.h5"
    shutil.copy(data / "dev_signs.h5", outside)
    args = ["--data-dir", str(data), "--epochs", "2", "--eval-every", "1", *FAST]
    assert train.main(["--run-dir", str(tmp_path / "a"), "--dev", str(outside), *args]) == 0
    files = read_json(tmp_path / "a" / "config.json")["data"]["files"]
    assert files["train"]["file"] == "train_signs.h5" and files["dev"] == {
        "file": str(outside.resolve()), "split": "dev", "sha256": files["dev"]["sha256"]}
    assert "warning" not in capsys.readouterr().out
    # the training file itself as the dev set: every dev photo is a training photo
    assert train.main(["--run-dir", str(tmp_path / "b"), "--dev", str(data / "train_signs.h5"), *args]) == 0
    assert "warning: 48 of the 48 dev photos are also training photos" in capsys.readouterr().out
    assert read_json(tmp_path / "b" / "config.json")["data"]["files"]["dev"]["file"] == "train_signs.h5"


@pytest.mark.parametrize("args, needle", [
    (["--early-stopping", "3"], "--early-stopping needs a dev set"),
    (["--dev", "--min-delta", "0.01"], "--min-delta only applies with --early-stopping"),
    (["--dev", "--early-stopping", "-1"], "--early-stopping must be 0"),
    (["--dev", "--eval-every", "0"], "--eval-every must be a positive"),
    (["--dev", "no-such.h5"], "--dev no-such.h5: no such file"),
])
def test_bad_dev_set_flags_are_one_line(data, tmp_path, capsys, args, needle):
    assert train.main(["--run-dir", str(tmp_path / "run"), "--data-dir", str(data), *FAST, *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0], err
    assert not (tmp_path / "run" / "config.json").exists()


def test_a_resumed_run_keeps_its_data_roles(data, tmp_path, capsys):
    run = tmp_path / "run"
    args = ["--run-dir", str(run), "--data-dir", str(data), *FAST]
    assert train.main([*args, "--epochs", "1"]) == 0
    capsys.readouterr()
    assert train.main([*args, "--epochs", "2", "--resume", "--dev"]) == 2
    assert "a resumed run keeps the data it started with" in capsys.readouterr().err
