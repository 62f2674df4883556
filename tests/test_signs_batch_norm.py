"""`tf1-course train --batch-norm`: the SIGNS model with batch norm before each hidden ReLU."""

import shutil

import numpy as np
import pytest

from tf1_course.signs import evaluate, predict, train
from tf1_course.core.fileio import read_json

FAST = ["--learning-rate", "0.003", "--minibatch-size", "8", "--print-every", "1", "--device", "cpu"]


def run_train(run_dir, data, *extra):
    return train.main(["--run-dir", str(run_dir), "--data-dir", str(data), *FAST, *extra])


@pytest.fixture(scope="module")
def bn_run(tmp_path_factory):
    from conftest import make_h5_pair

    root = tmp_path_factory.mktemp("bn")
    data = make_h5_pair(root / "data", m_train=48, m_test=12)
    assert run_train(root / "run", data, "--epochs", "4", "--batch-norm") == 0
    return root / "run", data


def test_parameters_hold_gamma_beta_and_the_moving_averages(bn_run):
    run, _ = bn_run
    params = np.load(run / "parameters.npz")
    assert sorted(params.files) == ["W1", "W2", "W3", "b3", "beta1", "beta2", "gamma1", "gamma2",
                                    "moving_mean1", "moving_mean2", "moving_variance1", "moving_variance2"]
    assert params["gamma1"].shape == (25, 1) and params["moving_variance2"].shape == (12, 1)
    # the trap: if training stopped updating them they would still be exactly 0 and 1
    assert np.abs(params["moving_mean1"]).max() > 1e-3
    assert np.abs(params["moving_variance1"] - 1).max() > 1e-3
    assert read_json(run / "config.json")["train"]["batch_norm"] is True


def test_evaluate_uses_the_moving_averages_and_agrees_with_training(bn_run, capsys):
    run, _ = bn_run
    assert evaluate.main(["--run-dir", str(run), "--device", "cpu"]) == 0
    report, metrics = read_json(run / "evaluation.json"), read_json(run / "metrics.json")
    assert report["train_accuracy"] == pytest.approx(metrics["train_accuracy"], abs=1e-6)
    assert report["test_accuracy"] == pytest.approx(metrics["test_accuracy"], abs=1e-6)


def test_both_loops_and_a_resume_give_the_same_bits_with_batch_norm(bn_run, tmp_path):
    run, data = bn_run
    assert run_train(tmp_path / "feed", data, "--epochs", "4", "--batch-norm", "--loop", "feed") == 0
    assert run_train(tmp_path / "split", data, "--epochs", "2", "--batch-norm") == 0
    assert run_train(tmp_path / "split", data, "--epochs", "4", "--resume") == 0
    expected = np.load(run / "parameters.npz")
    for other in ("feed", "split"):
        assert read_json(tmp_path / other / "metrics.json")["costs"] == read_json(run / "metrics.json")["costs"]
        got = np.load(tmp_path / other / "parameters.npz")
        for k in expected.files:
            np.testing.assert_array_equal(got[k], expected[k], err_msg=f"{other}: {k}")


def test_one_photo_alone_is_predicted_as_inside_a_batch(bn_run):
    """Test time uses the moving averages, so an example's probabilities do not depend on the
    batch it comes in; the mini-batch statistics would make them depend on it a lot."""
    from tf1_course.data import h5
    from tf1_course.data.prepare import flatten_and_scale
    from tf1_course.signs.inference import open_model

    run, data = bn_run
    X = flatten_and_scale(h5.load_split(data / "test_signs.h5", "test").x, np.float32)  # [12288, 12]
    with open_model(run, "cpu", log=lambda *_: None) as m:
        batch = m.probabilities(X)
        alone = np.concatenate([m.probabilities(X[:, j:j + 1]) for j in range(X.shape[1])], axis=1)
    np.testing.assert_allclose(alone, batch, rtol=1e-5, atol=1e-6)
    p = np.load(run / "parameters.npz")
    np.testing.assert_allclose(batch, _probabilities(X, p, moving=True), rtol=1e-4, atol=1e-6)
    # the same weights with the batch's own statistics: the first six photos' answers change with
    # the company they come in
    half, whole = _probabilities(X[:, :6], p, moving=False), _probabilities(X, p, moving=False)
    assert np.abs(half - whole[:, :6]).max() > 1e-2


def _probabilities(X, p, moving):
    """The batch-norm SIGNS forward pass in NumPy (float64), with moving or batch statistics."""
    A = X.astype(np.float64)
    for l in (1, 2):
        Z = p[f"W{l}"] @ A
        if moving:
            mu, var = p[f"moving_mean{l}"], p[f"moving_variance{l}"]
        else:
            mu, var = Z.mean(axis=1, keepdims=True), Z.var(axis=1, keepdims=True)
        A = np.maximum(0, p[f"gamma{l}"] * (Z - mu) / np.sqrt(var + 1e-8) + p[f"beta{l}"])
    Z3 = p["W3"] @ A + p["b3"]
    e = np.exp(Z3 - Z3.max(axis=0))
    return e / e.sum(axis=0)


def test_resuming_or_predicting_across_a_batch_norm_mismatch_is_one_line(bn_run, tmp_path, capsys):
    run, data = bn_run
    plain = tmp_path / "plain"
    assert run_train(plain, data, "--epochs", "1") == 0
    capsys.readouterr()
    assert run_train(plain, data, "--epochs", "2", "--resume", "--batch-norm") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot resume with a different --batch-norm" in err[0]
    tampered = tmp_path / "tampered"
    shutil.copytree(run, tampered)
    config = read_json(tampered / "config.json")
    config["train"]["batch_norm"] = False  # a checkpoint with batch norm, a config without
    (tampered / "config.json").write_text(__import__("json").dumps(config))
    from PIL import Image

    from conftest import sign_image

    Image.fromarray(sign_image(1, 0)).save(tmp_path / "a.png")
    assert predict.main([str(tmp_path / "a.png"), "--run-dir", str(tampered), "--device", "cpu"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "does not fit" in err[0] and "Traceback" not in err[0]


def test_lab_batchnorm_trains_each_rate_with_and_without(bn_run, tmp_path, capsys):
    from tf1_course.labs import cli

    _, data = bn_run
    out_dir = tmp_path / "lab"
    assert cli.main(["batchnorm", "--epochs", "3", "--print-every", "1", "--variants", "lr1e-03,lr1e-03-bn",
                     "--data-dir", str(data), "--run-dir", str(out_dir), "--device", "cpu", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "== learning rate 0.001: without | with batch norm ==" in out and "Cost after epoch 2:" in out
    metrics = read_json(out_dir / "metrics.json")
    assert metrics["engines"] == ["tf"]  # the default engine of lab batchnorm
    plain, bn = metrics["variants"]["lr1e-03"], metrics["variants"]["lr1e-03-bn"]
    assert (plain["batch_norm"], bn["batch_norm"]) == (False, True)
    plain, bn = plain["engines"]["tf"], bn["engines"]["tf"]
    assert len(plain["costs"]) == len(bn["costs"]) == 3 and plain["costs"] != bn["costs"]
    # each variant is the same run as `tf1-course train` with those flags
    assert run_train(tmp_path / "direct", data, "--epochs", "3", "--learning-rate", "0.001", "--batch-norm",
                     "--minibatch-size", "32") == 0
    assert read_json(tmp_path / "direct" / "metrics.json")["costs"] == bn["costs"]
    assert (out_dir / "comparison-tf.png").read_bytes()[:4] == b"\x89PNG"


def test_lab_batchnorm_on_both_engines_reports_how_they_agree(bn_run, tmp_path, capsys):
    """NumPy (float64) and TF (float32) from the same initial weights on the same mini-batches."""
    from tf1_course.labs import cli

    _, data = bn_run
    out_dir = tmp_path / "lab"
    assert cli.main(["batchnorm", "--engine", "both", "--epochs", "3", "--print-every", "1",
                     "--variants", "lr1e-03,lr1e-03-bn", "--data-dir", str(data), "--run-dir", str(out_dir),
                     "--device", "cpu", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "numpy         tf |      numpy         tf" in out
    assert "lr1e-03 numpy vs tf: costs agree to" in out and "lr1e-03-bn numpy vs tf: costs agree to" in out
    metrics = read_json(out_dir / "metrics.json")
    assert metrics["engines"] == ["numpy", "tf"] and metrics["agreement_threshold"] == 1e-5
    for name in ("lr1e-03", "lr1e-03-bn"):
        entry = metrics["variants"][name]
        runs, a = entry["engines"], entry["agreement"]
        assert len(runs["numpy"]["costs"]) == len(runs["tf"]["costs"]) == 3
        # float32 against float64: rounding apart (measured 1e-7 .. 1e-6 here), not the same numbers,
        # and far below what other initial weights or other mini-batches would give
        assert 0 < a["max_rel_cost_diff"] < 1e-5 and a["first_step_above_threshold"] is None, name
        assert a["same_train_accuracy"] and a["same_test_accuracy"]
        assert a["max_abs_parameter_diff"] < 1e-4
    assert "moving_mean1" in np.load(out_dir / "lr1e-03-bn" / "parameters.npz").files
    for engine in ("numpy", "tf"):
        assert (out_dir / f"comparison-{engine}.png").read_bytes()[:4] == b"\x89PNG"


def test_lab_batchnorm_report_says_where_the_engines_part():
    from tf1_course.labs import lab_batchnorm
    from tf1_course.labs.results import Result, agreement

    def run(costs, accuracy):
        return Result("numpy", costs, {"W1": np.zeros(1)}, accuracy, accuracy, 0.0)

    def line(first, second):
        return lab_batchnorm.agreement_line("v", agreement(first, second, lab_batchnorm.THRESHOLD))

    assert line(run([1.0, 0.5], 0.5), run([1.0 + 1e-7, 0.5], 0.5)) == \
        "v numpy vs tf: costs agree to 1.0e-07 (relative); accuracies equal"
    assert line(run([1.0, 0.5, 0.4], 0.5), run([1.0, 0.5, 0.3], 0.25)) == (
        "v numpy vs tf: costs agree to 1e-5 up to epoch 1, then diverge (largest relative difference "
        "between finite costs 0.25); accuracies DIFFER")
    assert "differ by more than 1e-5 from epoch 0" in line(run([1.0], 0.5), run([1.1], 0.5))


@pytest.mark.parametrize("args, needle", [
    (["--engine", "jax"], "invalid choice: 'jax'"),
    (["--variants", "lr5"], "unknown variant lr5"),
    (["--iterations", "3"], "use --epochs"),
    (["--engine", "numpy", "--data-dir", "/nonexistent"], "train_signs.h5: not found"),
])
def test_lab_batchnorm_bad_flags_are_one_line(args, needle, capsys):
    from tf1_course.labs import cli

    try:
        code = cli.main(["batchnorm", *args])
    except SystemExit as e:  # argparse's own errors (a bad choice) exit
        code = e.code
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0] and "Traceback" not in err[0]


def test_the_training_mode_cost_alone_can_be_fetched():
    """oneDNN's remapper would fuse a batch-norm forward pass fetched without its gradients into a
    layer norm that rejects gamma [n_l, 1]; batch-norm Sessions switch the remapper off."""
    from tf1_course.core import device
    from tf1_course.signs import model
    from tf1_course.core.compat import tf

    X = np.random.RandomState(0).rand(12288, 16).astype(np.float32)
    Y = np.eye(6, dtype=np.float32)[np.arange(16) % 6].T
    with tf.Graph().as_default():
        g = model.build_graph(options=model.Options(batch_norm=True))
        with tf.Session(config=device.session_config("cpu", batch_norm=True)) as sess:
            sess.run(tf.global_variables_initializer())
            cost = sess.run(g.cost, {g.X: X, g.Y: Y})
            _, cost_with_step = sess.run([g.train_op, g.cost], {g.X: X, g.Y: Y})
    assert np.isfinite(cost) and cost == cost_with_step


def test_bn_momentum_changes_the_moving_averages_not_the_training(bn_run, tmp_path):
    run, data = bn_run
    assert run_train(tmp_path / "m05", data, "--epochs", "4", "--batch-norm", "--bn-momentum", "0.5") == 0
    fast, slow = np.load(tmp_path / "m05" / "parameters.npz"), np.load(run / "parameters.npz")
    assert read_json(tmp_path / "m05" / "metrics.json")["costs"] == read_json(run / "metrics.json")["costs"]
    np.testing.assert_array_equal(fast["W1"], slow["W1"])
    assert not np.array_equal(fast["moving_mean1"], slow["moving_mean1"])


def test_ctrl_c_stops_lab_batchnorm_as_a_whole(bn_run, tmp_path, monkeypatch, capsys):
    from tf1_course.signs import training
    from tf1_course.labs import cli

    class CtrlCDuringFirstEpoch(training.Interrupt):
        def __enter__(self):
            self.requested = True
            return self

    _, data = bn_run
    monkeypatch.setattr(training, "Interrupt", CtrlCDuringFirstEpoch)
    assert cli.main(["batchnorm", "--epochs", "3", "--variants", "lr1e-03,lr1e-03-bn", "--data-dir", str(data),
                     "--run-dir", str(tmp_path / "lab"), "--device", "cpu", "--quiet"]) == 130
    assert not (tmp_path / "lab" / "lr1e-03-bn").exists()  # the second variant never started
