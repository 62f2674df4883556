"""``tf1-course lab``: short runs write PNGs and metrics.json; bad input is one line and exit 2."""

import json
import subprocess
import sys

import pytest

from tf1_course.cli import main as tf1_main
from tf1_course.labs.cli import main

PNG = b"\x89PNG\r\n\x1a\n"


def _exit_code(command, argv):
    """The exit code, whether argparse exits (usage errors) or the command returns."""
    try:
        return command(argv)
    except SystemExit as e:
        return e.code


def _one_line_error(capsys, argv, needle):
    assert _exit_code(main, argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and needle in err, err


@pytest.mark.parametrize("argv, needle", [
    (["nope"], "invalid choice: 'nope'"),
    ([], "required: NAME"),
    (["init", "--engine", "jax"], "--engine"),
    (["init", "--iterations", "0"], "at least 1"),
    (["init", "--iterations", "ten"], "not a whole number"),
    (["init", "--epochs", "3"], "use --iterations"),
    (["optimization", "--iterations", "3"], "use --epochs"),
    (["init", "--variants", "he,nope"], "unknown variant nope"),
    (["gradcheck", "--variants", "he"], "does not apply"),
    (["init", "--device", "tpu"], "--device"),
    (["init", "--tf-loop", "eager"], "--tf-loop"),
    (["gradcheck", "--tf-loop", "step"], "--tf-loop does not apply"),
    (["batchnorm", "--tf-loop", "step"], "--tf-loop does not apply"),
])
def test_bad_input_is_one_line_exit_2(capsys, argv, needle):
    _one_line_error(capsys, argv, needle)


def test_lab_is_a_tf1_course_command(capsys):
    assert _exit_code(tf1_main, ["lab", "nope"]) == 2
    capsys.readouterr()
    assert tf1_main(["--help"]) == 0
    assert "lab" in capsys.readouterr().out


def test_short_init_run_writes_pngs_and_metrics(tmp_path, capsys):
    assert main(["init", "--iterations", "30", "--print-every", "10", "--run-dir", str(tmp_path),
                 "--device", "cpu", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "Cost after iteration 0:          0.8830537463419761      0.8830537463419761" in out
    assert "Cost after iteration 20:" in out and "On the test set: Accuracy:" in out
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert set(metrics["variants"]) == {"zeros", "random", "he"}
    for name, entry in metrics["variants"].items():
        assert entry["agreement"]["max_rel_cost_diff"] < 1e-6
        for engine in ("numpy", "tf"):
            assert (tmp_path / entry["engines"][engine]["png"]).read_bytes()[:8] == PNG
    assert metrics["variants"]["random"]["engines"]["numpy"]["printed_costs"][0] == [0, "inf"]
    assert [step for step, _ in metrics["variants"]["he"]["engines"]["tf"]["printed_costs"]] == [0, 10, 20]
    for engine in ("numpy", "tf"):
        assert (tmp_path / f"comparison-{engine}.png").read_bytes()[:8] == PNG


def test_short_optimization_run_compares_tf_adam(tmp_path, capsys):
    assert main(["optimization", "--epochs", "2", "--print-every", "1", "--variants", "gd,adam,builtin-adam",
                 "--run-dir", str(tmp_path), "--device", "cpu", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "Cost after epoch 0:              0.702405                0.702405" in out  # the course's number
    assert "vs adam (course rule, tf engine)" in out
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert set(metrics["variants"]["builtin-adam"]["engines"]) == {"tf"}
    assert metrics["variants"]["builtin-adam"]["vs_reference"]["reference"] == "adam"
    assert (tmp_path / "builtin-adam-tf.png").read_bytes()[:8] == PNG


def test_tf_loop_step_is_the_reference_loop_with_the_same_lines(tmp_path, capsys):
    argv = ["optimization", "--epochs", "2", "--print-every", "1", "--variants", "sgd", "--engine", "tf",
            "--device", "cpu", "--quiet"]
    lines = {}
    for loop in ("step", "fused"):
        assert main(argv + ["--tf-loop", loop, "--run-dir", str(tmp_path / loop)]) == 0
        lines[loop] = [x for x in capsys.readouterr().out.splitlines() if x.startswith(("Cost", "Accuracy"))]
        config = json.loads((tmp_path / loop / "metrics.json").read_text())["variants"]["sgd"]["config"]
        assert config["loop"] == loop
    assert len(lines["step"]) == 3 and lines["fused"] == lines["step"]


def test_numpy_engine_does_not_load_tensorflow(tmp_path):
    code = ("import sys; from tf1_course.labs.cli import main; "
            f"rc = main(['init', '--engine', 'numpy', '--iterations', '5', "
            f"'--run-dir', {str(tmp_path)!r}, '--quiet']); "
            "print(rc, 'tensorflow' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip().splitlines()[-1] == "0 False", done.stdout + done.stderr
    assert (tmp_path / "he-numpy.png").is_file() and not (tmp_path / "he-tf.png").exists()


def test_help_and_the_labs_do_not_load_tensorflow():
    """--help and lab --help load neither TensorFlow nor matplotlib; the non-TF lab modules load no TF."""
    code = ("import contextlib, io, sys\n"
            "from tf1_course.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
            "    rc = [main(['--help'])]\n"
            "    try:\n"
            "        main(['lab', '--help'])\n"
            "    except SystemExit as e:\n"
            "        rc.append(e.code)\n"
            "print(rc, 'variants (--variants' in out.getvalue(), 'tensorflow' in sys.modules,\n"
            "      'matplotlib' in sys.modules)\n"
            "from tf1_course.labs import cli, course, lab_gradcheck, runner, training_loop\n"
            "from tf1_course.labs.np_engine import gradcheck, train\n"
            "print('tensorflow' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    lines = done.stdout.strip().splitlines()
    assert lines[-2:] == ["[0, 0] True False False", "False"], done.stdout + done.stderr


def test_short_regularization_run_numpy(tmp_path, capsys):
    assert main(["regularization", "--engine", "numpy", "--iterations", "1", "--run-dir", str(tmp_path),
                 "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "Cost after iteration 0: 0.6974484493131264" in out  # L2, one engine: the course's line
    assert "TF engine only, skipped" in out  # nn-dropout


def test_gradcheck_run(tmp_path, capsys):
    assert main(["gradcheck", "--run-dir", str(tmp_path), "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "There is a mistake in the backward propagation!" in out
    assert out.count("Your backward propagation works perfectly fine!") == 2  # numpy and tf
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["checks"]["numpy"]["nd-planted-bug"]["passed"] is False
    assert metrics["checks"]["numpy"]["nd-fixed"]["passed"] is True
    assert metrics["checks"]["tf"]["nd-fixed"]["passed"] is True
    assert (tmp_path / "nd-tf.png").read_bytes()[:8] == PNG
