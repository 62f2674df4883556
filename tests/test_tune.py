"""`tf1-course tune`: random search on Ray (a local instance; and a two-process cluster)."""

import os
import shutil
import subprocess
import sys

import pytest

from conftest import make_tuning_data
from tf1_course.tuning import search_space, cli as tune
from tf1_course.signs import train
from tf1_course.core.fileio import read_json

SMALL = ["--trials", "3", "--epochs", "2", "--param", "minibatch_size=choice:8,16",
         "--param", "learning_rate=log:1e-3:1e-2"]


LEFT_BEHIND = []  # what the module's study left in /tmp (test_a_local_ray_leaves_no_session_behind)


def _sessions():
    """Ray session folders of this process (a session's name ends with its driver's pid), in /tmp/ray
    and in the temporary folders tune's local Ray uses; other processes' sessions do not count."""
    import glob

    mine = f"_{os.getpid()}"
    return {p for pattern in ("/tmp/ray/session_*", "/tmp/tf1-ray-*/session_*") for p in glob.glob(pattern)
            if p.endswith(mine)}


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    root = tmp_path_factory.mktemp("tune")
    data = make_tuning_data(root / "data")
    path = root / "study"
    before = _sessions()
    code = tune.main(["--study", str(path), "--data-dir", str(data), *SMALL])
    assert code == 0
    LEFT_BEHIND.extend(sorted(_sessions() - before))
    return path, data


def test_a_local_ray_leaves_no_session_behind(study):
    assert LEFT_BEHIND == []  # its session folder (logs, sockets) went with it; others' are untouched


def test_a_study_folder_holds_every_trial_results_plots_and_the_best_run(study):
    path, _ = study
    results = read_json(path / "results.json")["trials"]
    assert [r["trial"] for r in results][:3] == [0, 1, 2]
    for r in results:
        assert r["status"] in ("finished", "collapsed") and len(r["costs"]) == 2 and len(r["dev_accuracies"]) == 2
        assert r["dev_accuracy"] == r["dev_accuracies"][-1] and r["seconds"] > 0
        assert (path / "trials" / f"{r['trial']:04d}" / "metrics.json").is_file()
    rows = (path / "results.csv").read_text().splitlines()
    assert rows[0].startswith("trial,status,dev_accuracy") and len(rows) == 1 + len(results)
    assert (path / "plots" / "dev_accuracy_vs_learning_rate.png").read_bytes()[:4] == b"\x89PNG"
    assert (path / "plots" / "best_curves.png").is_file()
    hparams = sorted(p.name for p in (path / "tensorboard").iterdir() if p.is_dir())  # tests/test_tensorboard.py
    assert hparams == [f"trial-{r['trial']:04d}" for r in results]
    best = read_json(path / "best.json")
    evaluation = read_json(path / "best" / "evaluation.json")
    assert evaluation["test_accuracy"] == best["test_accuracy"] and "dev_accuracy" in evaluation
    assert not (path / "trials" / f"{best['trial']:04d}" / "evaluation.json").exists()  # test used once, on best


def test_the_sampled_configurations_are_reproducible_and_recorded(study):
    path, _ = study
    spec = read_json(path / "study.json")
    space = search_space.parse_space(spec["space"])
    expected = search_space.sample(space, 3, spec["seed"])
    assert [r["values"] for r in read_json(path / "results.json")["trials"]][:3] == expected
    assert spec["space"]["learning_rate"] == "log:0.001:0.01" and spec["space"]["minibatch_size"] == "choice:8,16"


def test_a_trial_gives_the_numbers_of_the_train_command_with_its_flags(study, tmp_path):
    path, data = study
    trial = read_json(path / "results.json")["trials"][0]
    # the train command on the same 36 photos: train_minus_dev as the training file
    same = tmp_path / "data"
    same.mkdir()
    shutil.copy(data / "train_minus_dev_signs.h5", same / "train_signs.h5")
    shutil.copy(data / "test_signs.h5", same / "test_signs.h5")
    values = trial["values"]
    args = ["--run-dir", str(tmp_path / "run"), "--data-dir", str(same), "--epochs", "2", "--device", "cpu",
            "--learning-rate", repr(values["learning_rate"]), "--minibatch-size", str(values["minibatch_size"]),
            "--beta1", repr(values["beta1"]), "--hidden", f"{values['hidden1']},{values['hidden2']}"]
    assert train.main(args) == 0
    assert read_json(tmp_path / "run" / "metrics.json")["costs"] == trial["costs"]


def test_the_same_command_resumes_without_running_anything(study, capsys):
    path, data = study
    before = read_json(path / "results.json")["trials"]
    assert tune.main(["--study", str(path), "--data-dir", str(data), *SMALL]) == 0
    assert "0 to run" in capsys.readouterr().out
    assert read_json(path / "results.json")["trials"] == before


def test_refine_narrows_the_ranges_around_the_best_trials(study, tmp_path):
    path, data = study
    args = tune.build_parser().parse_args(["--study", str(tmp_path / "fine"), "--data-dir", str(data),
                                           "--refine", str(path), "--top", "2"])
    _, asked, fine, lines, _ = tune.plan(args)
    assert any(line.startswith("learning_rate: log:0.001:0.01 -> log:") for line in lines)
    best_two = sorted(read_json(path / "results.json")["trials"], key=lambda r: -r["dev_accuracy"])[:2]
    low, high = fine["learning_rate"].low, fine["learning_rate"].high
    assert 1e-3 <= low and high <= 1e-2 and (low, high) != (1e-3, 1e-2)
    assert all(low <= r["values"]["learning_rate"] <= high for r in best_two)
    assert asked["refine_from"] == str(path)
    # what study.json keeps is what was sampled from: a resumed study draws the same values
    assert search_space.parse_space(asked["space"]) == fine


@pytest.mark.parametrize("args, needle", [
    (["--param", "learning_rate=log:1e-2:1e-5"], "empty or inverted"),
    (["--param", "learning_rate=log:0:1e-2"], "log scale needs positive bounds"),
    (["--param", "l2_lambda=log:-1:1"], "log scale needs positive bounds"),
    (["--param", "momentum=log:0.1:0.9"], "unknown hyperparameter 'momentum'"),
    (["--param", "beta1=one-minus-log:0.9:1"], "values below 1"),
    (["--param", "minibatch_size=pow2:33:60"], "no power of two"),
    (["--param", "learning_rate"], "expected NAME=SPEC"),
    (["--trials", "0"], "must be at least 1"),
    (["--trials", "100000000"], "at most 10000"),
    (["--top", "3"], "--top only applies with --refine"),
    (["--grace-epochs", "3"], "--grace-epochs only applies with --asha"),
    (["--address", "127.0.0.1:99999"], "port 1-65535"),
    (["--address", "auto"], "expected HOST:PORT"),
    (["--param", "learning_rate=fixed:nan"], "finite numbers"),
    (["--param", "hidden1=choice:inf"], "finite numbers"),
    (["--param", "hidden1=fixed:1e30"], "would be refused by training: --hidden sizes"),
    (["--param", "keep_prob=fixed:0.001"], "would be refused by training: --keep-prob"),
])
def test_bad_spaces_and_flags_are_one_line_and_write_nothing(args, needle, tmp_path, capsys):
    data = make_tuning_data(tmp_path / "data")
    code = None
    try:
        code = tune.main(["--study", str(tmp_path / "s"), "--data-dir", str(data), "--trials", "2", "--epochs", "1",
                          *args])  # a later --trials wins
    except SystemExit as e:
        code = e.code
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0] and "Traceback" not in err[0]
    assert not (tmp_path / "s").exists()


def test_a_folder_holding_something_else_or_another_study_is_refused(study, tmp_path, capsys):
    path, data = study
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    assert tune.main(["--study", str(other), "--data-dir", str(data), *SMALL]) == 2
    assert "holds no study" in capsys.readouterr().err
    assert sorted(p.name for p in other.iterdir()) == ["notes.txt"]  # untouched: no lock file left in it
    assert (other / "notes.txt").read_text() == "mine"
    before = (path / "study.json").read_text()
    assert tune.main(["--study", str(path), "--data-dir", str(data), *SMALL, "--seed", "7"]) == 2
    assert "holds a different study (seed differ)" in capsys.readouterr().err
    assert (path / "study.json").read_text() == before


def test_no_ray_at_the_address_is_one_line(tmp_path, capsys):
    import time

    data = make_tuning_data(tmp_path / "data")
    start = time.perf_counter()
    code = tune.main(["--study", str(tmp_path / "s"), "--data-dir", str(data), *SMALL,
                      "--address", "127.0.0.1:1", "--storage", str(tmp_path / "storage")])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no Ray cluster reachable at 127.0.0.1:1" in err[0]
    assert time.perf_counter() - start < 60


def test_ctrl_c_stops_the_trials_and_leaves_them_to_run_again():
    """The driver's Ctrl-C: a Tune stopper ends every trial; trials it ends are not outcomes."""
    import signal
    from types import SimpleNamespace

    from tf1_course.signs import training
    from tf1_course.tuning import trials

    interrupt = trials._make_interrupt_stopper()
    done = []
    collector = trials._make_collector_class()(None, None, done.append, interrupt, False)
    trial = SimpleNamespace(config={"key": 0}, error_file=None)
    collector.on_trial_result(0, [], trial, {"epoch": 1, "cost": 1.5, "dev_accuracy": 0.5})
    collector.on_trial_result(0, [], trial, {"final": True, "outcome": "diverged", "seconds": 1.0, "message": "m"})
    collector.on_trial_complete(0, [], trial)
    assert [(o.key, o.status, o.history) for o in done] == [(0, "diverged", [{"epoch": 1, "cost": 1.5,
                                                                               "dev_accuracy": 0.5}])]
    with training.Interrupt("stopping the running trials", flag=interrupt):  # as run_trials holds it
        assert not interrupt.stop_all()
        signal.getsignal(signal.SIGINT)(signal.SIGINT, None)  # what the first Ctrl-C does
        assert interrupt.stop_all()
        with pytest.raises(KeyboardInterrupt):
            signal.getsignal(signal.SIGINT)(signal.SIGINT, None)  # a second one aborts
    collector.on_trial_complete(0, [], SimpleNamespace(config={"key": 1}, error_file=None))
    assert len(done) == 1  # trial 1 was stopped by Ctrl-C: it runs again next time


def test_asha_stops_bad_trials_early_and_the_study_keeps_them_stopped(tmp_path, capsys):
    """One trial at a time (--max-concurrent 1), so ASHA's decisions do not depend on timing."""
    data = make_tuning_data(tmp_path / "data")
    args = ["--study", str(tmp_path / "s"), "--data-dir", str(data), "--trials", "4", "--epochs", "4",
            "--asha", "--grace-epochs", "1", "--max-concurrent", "1", "--param", "learning_rate=log:1e-4:1e-1",
            "--param", "minibatch_size=fixed:8"]
    assert tune.main(args) == 0
    results = {r["trial"]: r for r in read_json(tmp_path / "s" / "results.json")["trials"]}
    stopped = [r for r in results.values() if r["status"] == "stopped"]
    assert stopped, "ASHA stopped no trial"
    for r in stopped:
        assert 1 <= r["epochs"] < 4 and len(r["dev_accuracies"]) == r["epochs"]
        assert not (tmp_path / "s" / "trials" / f"{r['trial']:04d}" / "metrics.json").exists()
    assert read_json(tmp_path / "s" / "study.json")["asha"] == {"grace_epochs": 1}
    capsys.readouterr()
    assert tune.main(args) == 0
    assert "4 already done, 0 to run" in capsys.readouterr().out


@pytest.mark.parametrize("epochs, grace", [(3, 1), (2, 5)], ids=["rung-on-the-last-epoch", "grace-over-epochs"])
def test_asha_never_stops_a_trial_that_trained_every_epoch(tmp_path, epochs, grace):
    """epochs = grace x 3^k puts an ASHA rung on the last epoch, and grace >= epochs puts the only
    one there: a trial that trained every epoch must still finish (metrics, parameters, status)."""
    data = make_tuning_data(tmp_path / "data")
    args = ["--study", str(tmp_path / "s"), "--data-dir", str(data), "--trials", "6", "--epochs", str(epochs),
            "--asha", "--grace-epochs", str(grace), "--max-concurrent", "1",
            "--param", "learning_rate=log:1e-4:1e-1", "--param", "minibatch_size=fixed:8"]
    assert tune.main(args) == 0
    results = read_json(tmp_path / "s" / "results.json")["trials"]
    for r in results:
        run = tmp_path / "s" / "trials" / f"{r['trial']:04d}"
        if r["status"] == "stopped":
            assert r["epochs"] < epochs, r  # stopped early, at a rung before the last epoch
            assert not (run / "metrics.json").exists()
        else:
            assert r["status"] in ("finished", "collapsed"), r
            assert r["epochs"] == epochs and (run / "metrics.json").is_file() and (run / "parameters.npz").is_file()
            assert r["train_accuracy"] is not None and len(r["dev_accuracies"]) == epochs
    if epochs > grace:
        assert any(r["status"] == "stopped" for r in results), "ASHA stopped nothing at the first rung"


def test_ray_and_its_pins_install_cleanly():
    """pip check is clean and what Tune imports works beside TensorFlow's NumPy < 2."""
    check = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
    code = ("import numpy, pandas, pyarrow, ray, tensorflow; from ray import tune; "
            "assert numpy.__version__.startswith('1.'); print(ray.__version__)")
    probe = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert probe.returncode == 0, probe.stderr[-1000:]


@pytest.mark.parametrize("damage, needle", [
    (lambda path: (path / "study.json").write_text("[]"), "study.json is damaged"),
    (lambda path: (path / "results.json").write_text('{"trials": [{"trial": 0}]}'), "results.json is damaged"),
    (lambda path: (path / "results.json").write_text('{"trials": [{"trial": 0, "status": "finished", '
                                                     '"values": {}, "dev_accuracy": "high"}]}'),
     "results.json is damaged"),
])
def test_damaged_study_files_are_one_line(damage, needle, study, tmp_path, capsys):
    path, data = study
    copy = tmp_path / "copy"
    shutil.copytree(path, copy)
    damage(copy)
    assert tune.main(["--study", str(copy), "--data-dir", str(data), *SMALL]) == 2
    assert needle in capsys.readouterr().err
    assert tune.main(["--study", str(tmp_path / "fine"), "--data-dir", str(data), "--refine", str(copy)]) == 2
    assert needle in capsys.readouterr().err


def test_a_second_tune_on_a_busy_study_is_refused(study, capsys):
    from tf1_course.core.fileio import folder_lock

    path, data = study
    with folder_lock(path, "tune", "--study"):  # as another process running this study would
        assert tune.main(["--study", str(path), "--data-dir", str(data), *SMALL]) == 2
    assert "is in use by another tune" in capsys.readouterr().err


def test_a_study_file_or_data_without_the_test_set_is_refused_before_any_trial(tmp_path, capsys):
    data = make_tuning_data(tmp_path / "data")
    (tmp_path / "afile").write_text("x")
    assert tune.main(["--study", str(tmp_path / "afile"), "--data-dir", str(data), *SMALL]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err
    (data / "test_signs.h5").unlink()
    assert tune.main(["--study", str(tmp_path / "s"), "--data-dir", str(data), *SMALL]) == 2
    assert "test_signs.h5" in capsys.readouterr().err and not (tmp_path / "s").exists()


def test_a_failure_saving_results_stops_the_run_and_is_not_swallowed():
    from types import SimpleNamespace

    from tf1_course.tuning import trials

    def full_disk(outcome):
        raise OSError(28, "No space left on device", "results.json")

    interrupt = trials._make_interrupt_stopper()
    collector = trials._make_collector_class()(None, None, full_disk, interrupt, False)
    trial = SimpleNamespace(config={"key": 0}, error_file=None)
    collector.on_trial_result(0, [], trial, {"final": True, "outcome": "diverged", "seconds": 1.0})
    collector.on_trial_complete(0, [], trial)
    assert isinstance(collector.failure, OSError) and interrupt.stop_all()


def test_sigterm_stops_a_study_like_ctrl_c_and_the_same_command_resumes_it(tmp_path):
    """Kubernetes, ray job stop and systemd send SIGTERM: the trials stop after their epoch with a
    checkpoint, the study exits 143 and the same command finishes it."""
    import signal
    import time

    data = make_tuning_data(tmp_path / "data")
    args = [sys.executable, "-m", "tf1_course", "tune", "--study", str(tmp_path / "s"), "--data-dir", str(data),
            "--trials", "2", "--epochs", "1000", "--param", "minibatch_size=fixed:8",
            "--param", "learning_rate=log:1e-3:1e-2"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    trials = tmp_path / "s" / "trials"
    deadline = time.time() + 120
    while time.time() < deadline and len(_checkpoints(tmp_path / "s")) < 2:
        time.sleep(0.5)  # both trials under way, each with a checkpoint in the storage
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err[-2000:]
    assert "SIGTERM: stopping the running trials" in err and "run the same command to resume" in err
    assert "Traceback" not in err
    done = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "0 already done, 2 to run" in done.stdout
    results = read_json(tmp_path / "s" / "results.json")["trials"]
    assert [r["epochs"] for r in results] == [1000, 1000]
    assert all("resumed from checkpoints/model-" in (trials / f"{r['trial']:04d}" / "train.log").read_text()
               for r in results)


@pytest.fixture(params=["http", "silent"])
def not_ray(request):
    """A listener on 127.0.0.1 that is not a Ray GCS: a web server (a dashboard, anything), or a
    port that accepts connections and never says a word."""
    import http.server
    import socket
    import threading

    if request.param == "http":
        quiet = type("Quiet", (http.server.SimpleHTTPRequestHandler,), {"log_message": lambda *a: None})
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), quiet)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        yield f"127.0.0.1:{server.server_address[1]}"
        server.shutdown()
        server.server_close()
    else:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)  # the kernel accepts; nobody reads
        yield f"127.0.0.1:{listener.getsockname()[1]}"
        listener.close()


@pytest.mark.parametrize("command", ["tune", "reproduce"])
def test_an_address_that_answers_but_is_not_ray_is_one_line_within_15_s(not_ray, command, tmp_path, capsys):
    import time

    from tf1_course.reproduce import cli as reproduce

    data = make_tuning_data(tmp_path / "data")
    start = time.perf_counter()
    if command == "tune":
        code = tune.main(["--study", str(tmp_path / "s"), "--data-dir", str(data), *SMALL, "--address", not_ray,
                          "--storage", str(tmp_path / "storage")])
    else:
        from conftest import make_h5_pair

        code = reproduce.main(["--quick", "--out", str(tmp_path / "r"), "--data-dir", str(make_h5_pair(tmp_path / "d")),
                               "--address", not_ray])
    seconds = time.perf_counter() - start
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{not_ray} answers but is not a Ray cluster" in err[0], err
    assert seconds < 15
    assert not (tmp_path / "s").exists() and not (tmp_path / "r").exists()  # nothing written


def test_a_study_the_disk_cannot_hold_is_refused_before_anything_is_written(tmp_path, monkeypatch, capsys):
    from collections import namedtuple

    from tf1_course.signs.rundir import disk_bytes

    data = make_tuning_data(tmp_path / "data")
    usage = namedtuple("usage", ["total", "used", "free"])
    monkeypatch.setattr(tune.shutil, "disk_usage", lambda path: usage(10**9, 10**9 - 50 * 10**6, 50 * 10**6))
    args = ["--study", str(tmp_path / "s"), "--data-dir", str(data), "--trials", "10", "--epochs", "2",
            "--param", "hidden1=fixed:25", "--param", "hidden2=fixed:12"]
    assert tune.main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "would need about 189 MB on disk (10 trial(s), up to 19 MB each)" in err[0], err
    assert "has 50 MB free" in err[0] and not (tmp_path / "s").exists()
    # 4 full checkpoints (weights + 2 Adam slots) while one is saved, 2 best (weights), parameters.npz
    assert disk_bytes((25, 12)) == 4 * 307_615 * (3 * 4 + 2 + 1) + 400_000


def test_the_study_says_how_much_disk_it_needs(study, tmp_path, capsys):
    original, data = study
    path = tmp_path / "copy"
    shutil.copytree(original, path, ignore=shutil.ignore_patterns(".lock"))
    assert tune.main(["--study", str(path), "--data-dir", str(data), *SMALL]) == 0
    out = capsys.readouterr().out
    assert "disk:" not in out  # nothing left to run, nothing more needed
    more = str(read_json(path / "study.json")["trials"] + 1)
    assert tune.main(["--study", str(path), "--data-dir", str(data), *SMALL[:1], more, *SMALL[2:]]) == 0
    assert "disk: about" in capsys.readouterr().out  # one more trial


def _checkpoints(study):
    try:
        return read_json(study / "checkpoints.json")
    except (OSError, ValueError):
        return {}


@pytest.mark.parametrize("signum, raised", [("SIGTERM", "Terminated"), ("SIGINT", "KeyboardInterrupt")])
def test_a_signal_while_a_local_ray_starts_waits_for_it_then_stops_it_whole(signum, raised, monkeypatch):
    """Ctrl-C or SIGTERM in a command's first seconds, while ray.init runs: Ray starts, is stopped
    whole (its folder removed) and the signal then acts; the command's own handlers are back."""
    import signal
    import threading

    import ray

    from tf1_course.core import cluster
    from tf1_course.core.interrupt import Terminated

    import tempfile

    signum = getattr(signal, signum)
    made, mkdtemp = [], tempfile.mkdtemp
    monkeypatch.setattr(tempfile, "mkdtemp", lambda *a, **k: made.append(mkdtemp(*a, **k)) or made[-1])
    mine = lambda s, f: None  # noqa: E731 - the command's handler, to be found in place afterwards
    previous = {s: signal.signal(s, mine) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        timer = threading.Timer(0.5, os.kill, (os.getpid(), signum))
        timer.start()
        with pytest.raises(KeyboardInterrupt) as e:
            cluster.connect(num_cpus=1)
        timer.join()
        assert type(e.value).__name__ == raised and isinstance(e.value, KeyboardInterrupt)
        assert (type(e.value) is Terminated) == (signum == signal.SIGTERM)
        assert not ray.is_initialized()
        assert len(made) >= 2 and [m for m in made if os.path.exists(m)] == []  # its folders, gone
        assert signal.getsignal(signal.SIGINT) is mine and signal.getsignal(signal.SIGTERM) is mine
    finally:
        if ray.is_initialized():  # the test failed: leave no Ray to the tests after it
            cluster.disconnect()
        for s, h in previous.items():
            signal.signal(s, h)
