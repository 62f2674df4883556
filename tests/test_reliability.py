"""Faults and hostile input on training runs (docs/reliability.md lists each case and these tests).

Run directories that move, copy or are reached through a symlink; two trainings on one run;
kill -9; a full disk; non-finite settings and diverging training; damaged files.
"""

import json
import os
import shutil
import signal
import subprocess
import sys

import numpy as np
import pytest

from tf1_course.signs import evaluate, predict, train
from tf1_course.core.errors import UsageError
from tf1_course.core.fileio import read_json

FAST = ["--learning-rate", "0.003", "--minibatch-size", "8", "--print-every", "1", "--device", "cpu"]


def run_train(run_dir, data, *extra):
    return train.main(["--run-dir", str(run_dir), "--data-dir", str(data), *FAST, *extra])


def one_error_line(capsys):
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1 and "Traceback" not in err[0], err
    return err[0]


def costs(run_dir):
    return read_json(run_dir / "metrics.json")["costs"]


@pytest.fixture
def photo(tmp_path):
    from PIL import Image

    from conftest import sign_image

    path = tmp_path / "photo.png"
    Image.fromarray(sign_image(2, 0)).save(path)
    return path


# --- 1. a run directory is relocatable ----------------------------------------------------------

def test_a_moved_run_evaluates_predicts_and_resumes_from_its_own_checkpoints(tiny_data, tmp_path, photo):
    straight = tmp_path / "straight"
    assert run_train(straight, tiny_data, "--epochs", "4") == 0
    old = tmp_path / "old"
    assert run_train(old, tiny_data, "--epochs", "2") == 0
    new = tmp_path / "elsewhere" / "new"
    new.parent.mkdir()
    shutil.move(str(old), str(new))
    assert evaluate.main(["--run-dir", str(new), "--device", "cpu"]) == 0
    assert predict.main([str(photo), "--run-dir", str(new), "--device", "cpu"]) == 0
    assert run_train(new, tiny_data, "--epochs", "4", "--resume") == 0
    assert costs(new) == costs(straight)
    assert "resumed from checkpoints/model-2 at epoch 2" in (new / "train.log").read_text()


def test_a_copied_run_never_reads_the_original_checkpoints(tiny_data, tmp_path, capsys):
    original = tmp_path / "original"
    assert run_train(original, tiny_data, "--epochs", "2") == 0
    copy = tmp_path / "copy"
    shutil.copytree(original, copy)
    (copy / "checkpoints" / "model-2.data-00000-of-00001").write_bytes(b"damaged")
    capsys.readouterr()
    assert run_train(copy, tiny_data, "--epochs", "3", "--resume") == 2
    line = one_error_line(capsys)
    assert str(copy / "checkpoints" / "model-2") in line and "damaged" in line
    before = {p.name: p.read_bytes() for p in (original / "checkpoints").iterdir()}
    intact = tmp_path / "intact"
    shutil.copytree(original, intact)
    assert run_train(intact, tiny_data, "--epochs", "3", "--resume") == 0
    assert {p.name: p.read_bytes() for p in (original / "checkpoints").iterdir()} == before


def test_a_run_reached_through_a_symlink(tiny_data, tmp_path, photo):
    real = tmp_path / "real"
    assert run_train(real, tiny_data, "--epochs", "2") == 0
    link = tmp_path / "link"
    link.symlink_to(real)
    assert predict.main([str(photo), "--run-dir", str(link), "--device", "cpu"]) == 0
    assert run_train(link, tiny_data, "--epochs", "3", "--resume") == 0
    assert read_json(real / "metrics.json")["epochs"] == 3


def test_a_container_run_finds_the_host_data_in_the_default_place(tiny_data, tmp_path, monkeypatch, capsys):
    run = tmp_path / "run"
    assert run_train(run, tiny_data, "--epochs", "2") == 0
    config = read_json(run / "config.json")
    config["data"]["dir"] = "/app/datasets"  # where the Docker flow trained it
    (run / "config.json").write_text(json.dumps(config))
    monkeypatch.setenv("TF1_COURSE_DATA_DIR", str(tiny_data))  # the host's default data folder
    assert evaluate.main(["--run-dir", str(run), "--device", "cpu"]) == 0
    assert read_json(run / "evaluation.json")["data_dir"] == str(tiny_data)
    monkeypatch.setenv("TF1_COURSE_DATA_DIR", str(tmp_path / "empty"))
    capsys.readouterr()
    assert evaluate.main(["--run-dir", str(run), "--device", "cpu"]) == 2
    line = one_error_line(capsys)
    assert "/app/datasets/train_signs.h5" in line and "--data-dir" in line
    assert evaluate.main(["--run-dir", str(run), "--device", "cpu", "--data-dir", str(tiny_data)]) == 0


# --- 2 and 4. one training per run; kill -9 ----------------------------------------------------

def start_training(run_dir, data, *extra):
    """A real training process; returns once it has printed its first cost line."""
    cmd = [sys.executable, "-m", "tf1_course", "train", "--run-dir", str(run_dir), "--data-dir", str(data),
           *FAST, "--epochs", "100000", *extra]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in proc.stdout:
        if line.startswith("Cost after epoch 1:"):
            return proc
    proc.kill()
    raise AssertionError(proc.stderr.read())


def test_a_second_training_on_a_busy_run_is_refused_and_kill_9_leaves_no_stale_lock(tiny_data, tmp_path, capsys):
    run = tmp_path / "run"
    proc = start_training(run, tiny_data, "--save-every", "100000")  # no checkpoint before the kill
    try:
        assert run_train(run, tiny_data, "--epochs", "3", "--resume") == 2
        line = one_error_line(capsys)
        assert f"in use by another training (pid {proc.pid})" in line
        assert run_train(run, tiny_data, "--epochs", "3", "--overwrite") == 2
        assert "in use" in one_error_line(capsys)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    # killed before its first checkpoint: --resume starts it again from epoch 0 with its settings
    assert run_train(run, tiny_data, "--epochs", "3", "--resume") == 0
    assert "starting from epoch 0 with its saved settings" in (run / "train.log").read_text()
    assert run_train(tmp_path / "straight", tiny_data, "--epochs", "3") == 0
    assert costs(run) == costs(tmp_path / "straight")


def test_evaluate_before_the_first_checkpoint_says_to_resume(tiny_data, tmp_path, capsys):
    run = tmp_path / "run"
    proc = start_training(run, tiny_data, "--save-every", "100000")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    capsys.readouterr()
    assert evaluate.main(["--run-dir", str(run)]) == 2
    line = one_error_line(capsys)
    assert "before the first checkpoint" in line and f"tf1-course train --run-dir {run} --resume" in line


# --- 3. a full disk -----------------------------------------------------------------------------

def test_a_checkpoint_that_cannot_be_written_leaves_the_last_good_one(tiny_data, tmp_path, monkeypatch, capsys):
    from tf1_course.core.compat import tf

    run = tmp_path / "run"
    real_save = tf.train.Saver.save

    def save(self, sess, path, global_step=None, **kwargs):
        if global_step == 3:  # writes part of the data, then the disk is full
            open(f"{path}-3.data-00000-of-00001", "wb").write(b"partial")
            raise tf.errors.ResourceExhaustedError(None, None, f"{path}-3.data.tempstate1; No space left on device")
        return real_save(self, sess, path, global_step=global_step, **kwargs)

    monkeypatch.setattr(tf.train.Saver, "save", save)
    assert run_train(run, tiny_data, "--epochs", "5", "--save-every", "1") == 2
    line = one_error_line(capsys)
    assert "No space left on device" in line and "the last good checkpoint is epoch 2" in line
    assert sorted(p.name for p in (run / "checkpoints").glob("model-3*")) == []
    monkeypatch.setattr(tf.train.Saver, "save", real_save)
    assert run_train(run, tiny_data, "--epochs", "5", "--resume") == 0
    assert "resumed from checkpoints/model-2" in (run / "train.log").read_text()


def test_a_full_disk_for_the_final_files_is_one_line(tiny_data, tmp_path, monkeypatch, capsys):
    import errno

    from tf1_course.signs import training

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "run" / "metrics.json"))

    monkeypatch.setattr(training, "write_json", no_space)
    assert run_train(tmp_path / "run", tiny_data, "--epochs", "2") == 2
    line = one_error_line(capsys)
    assert f"{tmp_path / 'run' / 'metrics.json'}: the disk is full" in line and "free some space" in line


@pytest.mark.parametrize("name", ["metrics.json", "parameters.npz"])
def test_a_full_disk_names_the_file_that_did_not_fit(name, tiny_data, tmp_path, monkeypatch, capsys):
    """A real write on a full disk raises ENOSPC without a file name: the message still names the file."""
    import errno
    import pathlib

    real = {m: getattr(pathlib.Path, m) for m in ("write_text", "write_bytes")}

    def full(method):
        def write(self, *args, **kwargs):
            if self.name.startswith(f".{name}.") and self.name.endswith(".part"):
                raise OSError(errno.ENOSPC, "No space left on device")
            return real[method](self, *args, **kwargs)
        return write

    for method in real:
        monkeypatch.setattr(pathlib.Path, method, full(method))
    assert run_train(tmp_path / "run", tiny_data, "--epochs", "2") == 2
    line = one_error_line(capsys)
    assert line.startswith(f"tf1-course train: error: {tmp_path / 'run' / name}: the disk is full ("), line
    assert not (tmp_path / "run" / name).exists()
    assert not [p for p in (tmp_path / "run").iterdir() if p.name.endswith(".part")]


def test_a_checkpoint_the_user_cannot_read_is_named_not_called_damaged(tiny_data, tmp_path):
    """Another user's checkpoint (mode 600): say so, and never advise deleting a good checkpoint."""
    run_dir = tmp_path / "run"
    assert run_train(run_dir, tiny_data, "--epochs", "2", "--save-every", "1") == 0
    data_file = next((run_dir / "checkpoints").glob("model-2.data-*"))
    data_file.chmod(0o600)
    drop = []
    if os.getuid() == 0:
        if not shutil.which("setpriv"):
            pytest.skip("root without setpriv: cannot drop the right to read anything")
        os.chown(data_file, 1000, 1000)
        drop = ["setpriv", "--inh-caps=-dac_override,-dac_read_search", "--bounding-set=-dac_override,-dac_read_search"]
    else:
        data_file.chmod(0o000)
    for args in (["train", "--run-dir", str(run_dir), "--resume", "--epochs", "4"],
                 ["evaluate", "--run-dir", str(run_dir)]):
        r = subprocess.run([*drop, sys.executable, "-m", "tf1_course", *args], capture_output=True, text=True,
                           timeout=180)
        lines = r.stderr.strip().splitlines()
        assert r.returncode == 2 and len(lines) == 1, r.stderr
        assert f"{data_file}: permission denied for uid {os.getuid()}" in lines[0] and "delete" not in lines[0]


def test_a_fifo_or_a_device_as_a_data_file_is_named_for_what_it_is(tiny_data, tmp_path, capsys):
    from tf1_course.data import cli as data_cli

    fifo = tmp_path / "p.h5"
    os.mkfifo(fifo)
    assert run_train(tmp_path / "run", tiny_data, "--epochs", "1", "--dev", str(fifo)) == 2
    assert f"--dev {fifo}: is a FIFO (named pipe), not a regular file" in one_error_line(capsys)
    assert run_train(tmp_path / "run", tiny_data, "--epochs", "1", "--dev", "/dev/zero") == 2
    assert "--dev /dev/zero: is a character device, not a regular file" in one_error_line(capsys)
    signs = tmp_path / "signs"
    for split in ("train_signs", "test_signs"):
        for k in range(6):
            (signs / split / str(k)).mkdir(parents=True)
    assert data_cli.main(["build", "--from", str(signs), "--out", str(tmp_path / "ds"), "--test-h5", str(fifo)]) == 2
    assert f"--test-h5 {fifo}: is a FIFO (named pipe), not a regular file" in one_error_line(capsys)
    assert data_cli.main(["build", "--from", str(signs), "--out", str(tmp_path / "ds"), "--test-h5",
                          str(tmp_path / "none.h5")]) == 2
    assert f"--test-h5 {tmp_path / 'none.h5'}: no such file" in one_error_line(capsys)


def _tmpfs(path, size):
    path.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({proc.stderr.strip()})")


def test_a_run_folder_the_user_cannot_write_is_one_line(tiny_data, tmp_path):
    """A real unwritable folder (as root: without the right to write anywhere, like uid 1000 in
    the image on a root-owned host folder)."""
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    cmd = [sys.executable, "-m", "tf1_course", "train", "--run-dir", str(locked / "run"),
           "--data-dir", str(tiny_data), *FAST, "--epochs", "1"]
    if os.getuid() == 0:
        if not shutil.which("setpriv"):
            pytest.skip("root without setpriv: cannot drop the right to write anywhere")
        cmd = ["setpriv", "--inh-caps=-dac_override,-dac_read_search",
               "--bounding-set=-dac_override,-dac_read_search"] + cmd
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    locked.chmod(0o755)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "is not writable by uid" in lines[0] and "--run-dir" in lines[0]
    assert list(locked.iterdir()) == []


def test_a_real_full_disk(tiny_data, tmp_path, capsys):
    small = tmp_path / "small"
    _tmpfs(small, "5m")  # room for the config and one 3.7 MB checkpoint, not two
    try:
        assert run_train(small / "run", tiny_data, "--epochs", "6", "--save-every", "1") == 2
        line = one_error_line(capsys)
        assert "No space left on device" in line and "the last good checkpoint is epoch 1" in line
        names = sorted(p.name for p in (small / "run" / "checkpoints").iterdir())
        assert names == ["checkpoint", "model-1.data-00000-of-00001", "model-1.index", "model-1.json"]
    finally:
        subprocess.run(["umount", "--lazy", str(small)], check=False)


# --- 5. silent nonsense -------------------------------------------------------------------------

def test_a_diverging_training_stops_with_one_line_and_keeps_the_last_good_checkpoint(tiny_data, tmp_path, capsys):
    run = tmp_path / "run"
    assert run_train(run, tiny_data, "--epochs", "10", "--save-every", "1", "--learning-rate", "1e9") == 2
    line = one_error_line(capsys)
    assert "training diverged at epoch 1: the cost became nan" in line and "checkpoint of epoch 1 kept" in line
    assert not (run / "metrics.json").exists()
    assert sorted(p.name for p in (run / "checkpoints").glob("*.json")) == ["model-1.json"]


@pytest.mark.parametrize("command", ["evaluate", "predict", "resume"])
def test_a_damaged_config_is_one_line(trained_run, tmp_path, photo, capsys, command):
    run = tmp_path / "run"
    shutil.copytree(trained_run, run)
    (run / "config.json").write_text("{ not json")
    if command == "evaluate":
        code = evaluate.main(["--run-dir", str(run)])
    elif command == "predict":
        code = predict.main([str(photo), "--run-dir", str(run)])
    else:
        code = train.main(["--run-dir", str(run), "--resume"])
    assert code == 2
    assert "config.json is damaged" in one_error_line(capsys)


def test_resuming_below_the_epochs_done_is_one_line(tiny_data, tmp_path, capsys):
    run = tmp_path / "run"
    assert run_train(run, tiny_data, "--epochs", "3") == 0
    capsys.readouterr()
    assert run_train(run, tiny_data, "--epochs", "2", "--resume") == 2
    assert "has already trained 3 epochs; --epochs 2 is below that" in one_error_line(capsys)
    assert read_json(run / "config.json")["train"]["num_epochs"] == 3


def test_resuming_a_finished_run_keeps_it(tiny_data, tmp_path):
    run = tmp_path / "run"
    assert run_train(run, tiny_data, "--epochs", "2") == 0
    before = np.load(run / "parameters.npz")["W1"].copy()
    assert run_train(run, tiny_data, "--resume") == 0
    assert "already trained to 2 epochs" in (run / "train.log").read_text()
    np.testing.assert_array_equal(np.load(run / "parameters.npz")["W1"], before)


def test_old_checkpoints_rotate_and_leftovers_of_a_crash_are_removed(tiny_data, tmp_path):
    run = tmp_path / "run"
    assert run_train(run, tiny_data, "--epochs", "2", "--save-every", "1") == 0
    (run / "checkpoints" / "model-7.index").write_bytes(b"left by a crash")  # no sidecar: incomplete
    assert run_train(run, tiny_data, "--epochs", "5", "--save-every", "1", "--resume") == 0
    names = sorted(p.name for p in (run / "checkpoints").iterdir() if p.name != "checkpoint")
    assert names == [f"model-{k}.{ext}" for k in (3, 4, 5) for ext in ("data-00000-of-00001", "index", "json")]
    state = (run / "checkpoints" / "checkpoint").read_text()
    assert '"model-5"' in state and os.sep + "model-5" not in state  # relative paths for TF's tools


# --- 7. progress where the output is a pipe ------------------------------------------------------

def test_progress_shows_in_a_pipe_for_labs_and_training(tiny_data, tmp_path):
    lab = subprocess.run([sys.executable, "-m", "tf1_course", "lab", "init", "--engine", "numpy", "--iterations",
                          "200", "--variants", "he", "--run-dir", str(tmp_path / "lab")],
                         capture_output=True, text=True, timeout=120)
    assert lab.returncode == 0, lab.stderr
    lines = [line for line in lab.stdout.splitlines() if line.startswith("he numpy: ")]
    assert lines[0].startswith("he numpy: 20/200 iterations (10%)") and len(lines) == 10
    run = subprocess.run([sys.executable, "-m", "tf1_course", "train", "--run-dir", str(tmp_path / "run"),
                          "--data-dir", str(tiny_data), *FAST, "--epochs", "20", "--print-every", "100"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "train: 10/20 epochs (50%)" in run.stdout and "cost" in run.stdout.split("train: 10/20")[1]


def test_the_minibatch_seed_help_says_what_epoch_0_uses(capsys):
    with pytest.raises(SystemExit):
        train.main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "MINIBATCH_SEED + e + 1 (default 3, so epoch 0 uses 4" in text


def test_overwrite_keeps_the_old_run_when_the_new_one_cannot_start(tiny_data, tmp_path, monkeypatch, capsys):
    from tf1_course.signs import training

    run = tmp_path / "run"
    assert run_train(run, tiny_data, "--epochs", "2") == 0
    before = (run / "parameters.npz").read_bytes()
    assert run_train(run, tiny_data, "--epochs", "1", "--overwrite", "--minibatch-seed", "4294967295") == 2
    assert "--minibatch-seed" in one_error_line(capsys)

    def cannot_build(*args):
        raise UsageError("the graph cannot be built")

    monkeypatch.setattr(training, "build", cannot_build)
    assert run_train(run, tiny_data, "--epochs", "1", "--overwrite") == 2
    assert (run / "parameters.npz").read_bytes() == before


@pytest.mark.parametrize("args, needle", [
    (["--seed", "-1"], "--seed must be 0 to"),
    (["--intra-op-threads", "9999999999"], "--intra-op-threads must be 0"),
    (["--hidden", "1000000,12"], "--hidden sizes must be 1 to"),
    (["--keep-prob", "1e-300"], "--keep-prob must be in [0.01, 1]"),
    (["--bn-momentum", "0.5"], "--bn-momentum only applies with --batch-norm"),
    (["--learning-rate", "-1e-3"], "--learning-rate must be a positive finite number"),
])
def test_out_of_range_settings_are_one_line(args, needle, tiny_data, tmp_path, capsys):
    assert run_train(tmp_path / "run", tiny_data, "--epochs", "1", *args) == 2
    assert needle in one_error_line(capsys)
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("damage, needle", [
    (lambda c: c.pop("data"), "config.json is damaged"),
    (lambda c: c["train"].pop("seed"), "config.json is damaged"),
    (lambda c: c["train"].update(hidden="25,12"), "config.json is damaged"),
])
def test_a_config_damaged_but_still_json_is_one_line(damage, needle, trained_run, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(trained_run, run)
    config = read_json(run / "config.json")
    damage(config)
    (run / "config.json").write_text(json.dumps(config))
    assert evaluate.main(["--run-dir", str(run), "--device", "cpu"]) == 2
    assert needle in one_error_line(capsys)
    assert train.main(["--run-dir", str(run), "--resume"]) == 2
    assert needle in one_error_line(capsys)


def test_a_file_where_a_folder_goes_is_one_line(tiny_data, tmp_path, capsys):
    (tmp_path / "afile").write_text("x")
    assert run_train(tmp_path / "afile", tiny_data, "--epochs", "1") == 2
    assert "a file is in the way" in one_error_line(capsys)
    assert run_train(tmp_path / "afile" / "sub", tiny_data, "--epochs", "1") == 2
    assert "a file is in the way" in one_error_line(capsys)


@pytest.mark.parametrize("make_target, needle", [
    (lambda d: (d / "config.json").write_text("{}") and d / "config.json", "permission denied for uid"),  # reading
    (lambda d: d / ".out.json.x1.part", "is not writable by uid"),  # our temporary file: writing its folder
])
def test_a_permission_error_says_whether_reading_or_writing(make_target, needle, tmp_path, capsys):
    import errno

    from tf1_course.core.command import Parser, run_main

    target = make_target(tmp_path)

    def run(args):
        raise PermissionError(errno.EACCES, "Permission denied", str(target))

    assert run_main(Parser(prog="t"), run, []) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0] and "Traceback" not in err[0]


def test_sigterm_anywhere_in_a_command_is_ctrl_c_with_exit_code_143(capsys):
    """Outside a training loop, SIGTERM takes every Ctrl-C path (reproduce, data build, evaluate...)."""
    import time

    from tf1_course.core.command import Parser, run_main

    def run(args):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(10)  # the handler raises before this ends
        return 0

    assert run_main(Parser(prog="tf1-course x"), run, []) == 143
    assert capsys.readouterr().err.strip() == "tf1-course x: terminated (SIGTERM)"
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # put back afterwards


def test_evaluate_and_predict_say_when_the_run_is_still_training_or_unfinished(tiny_data, tmp_path, photo, capsys):
    run = tmp_path / "run"
    proc = start_training(run, tiny_data, "--save-every", "1")
    try:
        capsys.readouterr()
        assert evaluate.main(["--run-dir", str(run), "--device", "cpu"]) == 0
        assert "still training: scoring the checkpoint of epoch " in capsys.readouterr().out
        assert predict.main([str(photo), "--run-dir", str(run), "--device", "cpu"]) == 0
        assert "still training: scoring the checkpoint of epoch " in capsys.readouterr().out
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl-C: it saves and stops, unfinished
        proc.communicate(timeout=60)
    assert evaluate.main(["--run-dir", str(run), "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "unfinished: scoring the checkpoint of epoch " in out and "of 100000" in out and "--resume" in out
    assert run_train(tmp_path / "done", tiny_data, "--epochs", "2") == 0
    capsys.readouterr()
    assert evaluate.main(["--run-dir", str(tmp_path / "done"), "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "still training" not in out and "unfinished" not in out
