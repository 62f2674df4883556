"""`tune --address` on a Ray cluster whose worker shares no disk with the driver, on one machine.

The head node has no CPUs (nothing runs beside the driver); the one worker node runs in its own
mount namespace (``unshare --mount``) with an empty tmpfs over the driver's folder, which holds the
study and the data: the worker cannot see them. A storage folder both see plays the part of NFS.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import make_tuning_data
from tf1_course.core.fileio import read_json
from tf1_course.signs import evaluate
from tf1_course.core import cluster
from tf1_course.tuning import cli as tune

RAY = str(Path(sys.executable).parent / "ray")
SPACE = ["--param", "minibatch_size=fixed:8", "--param", "learning_rate=log:1e-3:1e-2"]


def _isolated(command, hidden):
    """``command`` in a new mount namespace where ``hidden`` is an empty tmpfs (root, or an
    unprivileged user namespace where the kernel allows them)."""
    script = f"mount -t tmpfs tmpfs '{hidden}' && exec {' '.join(command)}"
    if os.getuid() == 0:
        return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script]
    return ["unshare", "--user", "--map-root-user", "--mount", "--propagation", "private", "sh", "-c", script]


def _nodes(address, env):
    """{node id: CPUs} of the live nodes, asked as any Ray driver would."""
    code = ("import json, ray; ray.init(address=%r, logging_level='ERROR'); "
            "print(json.dumps({n['NodeID']: n['Resources'].get('CPU', 0) for n in ray.nodes() if n['Alive']}))" % address)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    return json.loads(out.stdout.strip().splitlines()[-1]) if out.returncode == 0 else {}


@pytest.fixture(scope="module")
def no_shared_disk(tmp_path_factory):
    root = tmp_path_factory.mktemp("cluster")
    probe = subprocess.run(_isolated(["true"], root), capture_output=True, text=True)
    if probe.returncode != 0:  # no mount namespaces for us here (macOS, an unprivileged container)
        message = f"cannot make a node without shared disk here (unshare: {probe.stderr.strip()[:200]})"
        if os.environ.get("CI"):
            pytest.fail(message + "; CI must run this test")
        pytest.skip(message)
    driver, storage = root / "driver", root / "storage"
    driver.mkdir()
    storage.mkdir()
    data = make_tuning_data(driver / "data")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"127.0.0.1:{port}"
    env = {**os.environ, **cluster.WORKER_ENV, "RAY_AUTH_MODE": "token", "RAY_USAGE_STATS_ENABLED": "0"}
    common = ["--node-ip-address", "127.0.0.1", "--disable-usage-stats", "--block", "--temp-dir", f"/tmp/tf1ray-{port}"]
    head = subprocess.Popen([RAY, "start", "--head", "--port", str(port), "--num-cpus", "0",
                             "--include-dashboard", "false", *common],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, start_new_session=True)
    worker = subprocess.Popen(_isolated([RAY, "start", "--address", address, "--num-cpus", "2", *common], driver),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, start_new_session=True)
    try:
        deadline = time.time() + 120
        nodes = {}
        while len(nodes) < 2:
            assert worker.poll() is None, f"the worker node did not start: {worker.stderr.read()[-500:]}"
            assert time.time() < deadline, "the cluster did not come up in 120 s"
            time.sleep(1)
            nodes = _nodes(address, env)
        workers = [node for node, cpus in nodes.items() if cpus > 0]
        assert len(workers) == 1
        yield {"address": address, "storage": storage, "data": data, "driver": driver, "worker": workers[0],
               "env": env}
    finally:
        for proc in (worker, head):
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in (worker, head):
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)  # its raylet and GCS are in its process group
                proc.wait(timeout=30)
        shutil.rmtree(f"/tmp/tf1ray-{port}", ignore_errors=True)


def test_the_worker_really_cannot_see_the_drivers_folders(no_shared_disk):
    c = no_shared_disk
    seen = subprocess.run(_isolated(["ls", "-A", str(c["driver"])], c["driver"]), capture_output=True, text=True)
    assert seen.returncode == 0 and seen.stdout.strip() == ""  # what the worker node sees there
    assert (c["data"] / "dev_signs.h5").is_file()  # what the driver sees


def test_a_study_runs_on_the_worker_and_is_complete_on_the_driver(no_shared_disk, capsys):
    c = no_shared_disk
    study = c["driver"] / "study"
    args = ["--study", str(study), "--data-dir", str(c["data"]), "--trials", "2", "--epochs", "5",
            "--address", c["address"], "--storage", str(c["storage"]), *SPACE]
    assert tune.main(args) == 0
    results = read_json(study / "results.json")["trials"]
    assert [r["status"] for r in results] == ["finished", "finished"] or all(
        r["status"] in ("finished", "collapsed") for r in results)
    assert {r["node"] for r in results} == {c["worker"]}  # every trial ran on the worker
    for r in results:
        run = study / "trials" / f"{r['trial']:04d}"
        assert read_json(run / "metrics.json")["epochs"] == 5 and (run / "parameters.npz").is_file()
    for name in ("results.csv", "best.json", "plots/dev_accuracy_vs_learning_rate.png"):
        assert (study / name).is_file(), name
    capsys.readouterr()
    assert evaluate.main(["--run-dir", str(study / "best"), "--device", "cpu"]) == 0
    assert "Test Accuracy" in capsys.readouterr().out


def test_without_a_shared_storage_the_address_is_refused_in_one_line(no_shared_disk, tmp_path, capsys):
    c = no_shared_disk
    assert tune.main(["--study", str(tmp_path / "s"), "--data-dir", str(c["data"]), "--trials", "2", "--epochs", "5",
                      "--address", c["address"], *SPACE]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "give --storage a folder every node sees" in err[0]
    assert not (tmp_path / "s").exists()


def test_ctrl_c_and_the_same_command_resume_the_study_from_the_storage(no_shared_disk, monkeypatch, capsys):
    """A real SIGINT to this driver once both trials have a checkpoint in the storage (sent from
    the study's own bookkeeping, so its timing is certain); then the same command resumes them."""
    from tf1_course.tuning.study import Study

    c = no_shared_disk
    study = c["driver"] / "interrupted"
    args = ["--study", str(study), "--data-dir", str(c["data"]), "--trials", "2", "--epochs", "600",
            "--address", c["address"], "--storage", str(c["storage"]), *SPACE]
    save = Study.save_checkpoints

    def save_then_ctrl_c(self, checkpoints):
        save(self, checkpoints)
        if len(checkpoints) == 2:
            os.kill(os.getpid(), signal.SIGINT)

    with monkeypatch.context() as m:
        m.setattr(Study, "save_checkpoints", save_then_ctrl_c)
        assert tune.main(args) == 130
    assert "run the same command to resume" in capsys.readouterr().err
    resumed_from = _saved(study)
    assert len(resumed_from) == 2 and all(uri.startswith(str(c["storage"])) for uri in resumed_from.values())
    assert tune.main(args) == 0
    assert "0 already done, 2 to run" in capsys.readouterr().out
    results = read_json(study / "results.json")["trials"]
    assert [r["epochs"] for r in results] == [600, 600] and {r["node"] for r in results} == {c["worker"]}
    for r in results:
        log = (study / "trials" / f"{r['trial']:04d}" / "train.log").read_text()
        assert "resumed from checkpoints/model-" in log  # it went on from the storage's checkpoint
    assert _saved(study) == {}


def _saved(study):
    try:
        return read_json(study / "checkpoints.json")
    except (OSError, ValueError):
        return {}
