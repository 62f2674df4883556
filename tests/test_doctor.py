"""tf1-course doctor on a good setup and on broken ones: exit code, the FAIL lines, --json."""

import json
import subprocess
import sys

import pytest

from tf1_course.signs import doctor


def run_doctor(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "tf1_course", "doctor", "--no-pip-check", *args],
                          capture_output=True, text=True, timeout=120, **kwargs)


def test_a_good_setup_is_ready(tiny_data, tmp_path):
    r = run_doctor("--data-dir", str(tiny_data), "--run-dir", str(tmp_path / "runs" / "signs"), "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    doc = json.loads(r.stdout)
    checks = {c["name"]: c for c in doc["checks"]}
    assert doc["ready"] is True
    assert {"python", "tensorflow", "numpy", "ray", "gpu", "container", "bundled data", "data",
            "run folder"} <= set(checks)
    assert checks["bundled data"]["status"] == "ok" and "sha256 verified" in checks["bundled data"]["detail"]
    assert checks["data"]["status"] == "ok" and "train 24, test 12" in checks["data"]["detail"]
    assert checks["tensorflow"]["detail"].startswith("2.17")


def test_missing_data_fails_with_what_to_do(tmp_path):
    r = run_doctor("--data-dir", str(tmp_path / "empty"), "--run-dir", str(tmp_path / "run"))
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    (fail,) = [line for line in lines if line.startswith("FAIL")]
    assert "data" in fail and "train_signs.h5: not found" in fail
    assert any("-> tf1-course data build" in line for line in lines)
    assert lines[-1].startswith("`train` cannot run here yet")


@pytest.fixture
def unwritable(tmp_path, monkeypatch):
    """A folder nobody can create files in: immutable (chattr +i, which stops root too), else
    mode 0555 (enough for other users); where neither holds, file creation there is refused."""
    folder = tmp_path / "locked"
    folder.mkdir()
    immutable = subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0
    if not immutable:
        folder.chmod(0o555)
    try:
        (folder / "probe").write_text("x")
        (folder / "probe").unlink()
        import tempfile

        real = tempfile.TemporaryFile

        def refuse(*args, dir=None, **kwargs):
            if dir is not None and str(dir).startswith(str(folder)):
                raise PermissionError(13, "Permission denied", str(dir))
            return real(*args, dir=dir, **kwargs)

        monkeypatch.setattr(tempfile, "TemporaryFile", refuse)
    except OSError:
        pass  # really unwritable
    yield folder
    if immutable:
        subprocess.run(["chattr", "-i", str(folder)], check=True)
    folder.chmod(0o755)


def test_a_run_folder_that_cannot_be_written_fails(tiny_data, tmp_path, unwritable, capsys):
    assert doctor.main(["--data-dir", str(tiny_data), "--run-dir", str(unwritable / "signs"), "--json",
                        "--no-pip-check"]) == 1
    checks = {c["name"]: c for c in json.loads(capsys.readouterr().out)["checks"]}
    assert checks["run folder"]["status"] == "FAIL" and "is not writable" in checks["run folder"]["detail"]
    assert checks["data"]["status"] == "ok"
    (tmp_path / "file").write_text("x")
    check = doctor.run_folder(tmp_path / "file" / "signs")
    assert check.status == "FAIL" and "is a file where a folder is needed" in check.detail


@pytest.mark.parametrize("cuda, environ, libcuda, expected", [
    (False, {}, "libcuda.so.1", "CPU-only build"),
    (True, {"CUDA_VISIBLE_DEVICES": ""}, "libcuda.so.1", "CUDA_VISIBLE_DEVICES='' hides every GPU"),
    (True, {"CUDA_VISIBLE_DEVICES": "-1"}, "libcuda.so.1", "hides every GPU"),
    (True, {}, None, "libcuda is not found"),
    (True, {"CUDA_VISIBLE_DEVICES": "0"}, "libcuda.so.1", "the driver is there"),
])
def test_the_likely_reason_for_no_gpu(cuda, environ, libcuda, expected):
    assert expected in doctor.why_no_gpu(cuda, environ, lambda name: libcuda)


def test_container_detection(tmp_path):
    assert doctor.container(tmp_path).detail == "no"
    (tmp_path / "proc" / "1").mkdir(parents=True)
    (tmp_path / "proc" / "1" / "cgroup").write_text("0::/kubepods/burstable/pod1234\n")
    assert doctor.container(tmp_path).detail == "yes (Kubernetes)"
    (tmp_path / ".dockerenv").write_text("")
    assert doctor.container(tmp_path).detail == "yes (Docker)"
