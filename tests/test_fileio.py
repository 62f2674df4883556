"""Atomic writes of one file or of several together, and one-line messages for write failures."""

import errno
import os

import pytest

from tf1_course.core.errors import DataError
from tf1_course.core.fileio import atomic_paths, check_writable, write_failure


def test_files_written_together_appear_together_or_not_at_all(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_text("old a")
    with pytest.raises(OSError):
        with atomic_paths([a, b]) as (ta, tb):
            ta.write_text("new a")  # complete, but b fails: a must not change
            raise OSError(errno.ENOSPC, "No space left on device")
    assert a.read_text() == "old a" and not b.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a"]  # no temporary file left
    with atomic_paths([a, b]) as (ta, tb):
        ta.write_text("new a")
        tb.write_text("new b")
    assert (a.read_text(), b.read_text()) == ("new a", "new b")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]
    assert oct(a.stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


@pytest.mark.parametrize("code, needle", [
    (errno.ENOSPC, "the disk is full ("),
    (errno.EACCES, f"is not writable by uid {os.getuid()}: fix its permissions, run the container with "
                   "--user $(id -u):$(id -g), or choose a writable --out"),
    (errno.EROFS, "is on a read-only file system: choose a writable --out"),
    (errno.EIO, "cannot write (Input/output error)"),
])
def test_write_failures_are_one_line(tmp_path, code, needle):
    message = write_failure(OSError(code, "a long\nmultiline message from h5py"), tmp_path)
    assert needle in message and "\n" not in message and str(tmp_path) in message


def test_check_writable_does_not_create_the_folder(tmp_path, monkeypatch):
    check_writable(tmp_path / "new" / "deeper")
    assert list(tmp_path.iterdir()) == []

    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr("tempfile.TemporaryFile", refuse)
    with pytest.raises(DataError, match="is not writable by uid"):
        check_writable(tmp_path / "new")


def test_replace_dir_swaps_in_a_finished_folder_even_after_an_interrupted_swap(tmp_path):
    from tf1_course.core.fileio import replace_dir

    final, work = tmp_path / "best", tmp_path / ".best.partial"
    final.mkdir()
    (final / "old.txt").write_text("old")
    leftover = tmp_path / ".best.old"  # an earlier swap died while removing it
    leftover.mkdir()
    (leftover / "older.txt").write_text("older")
    work.mkdir()
    (work / "new.txt").write_text("new")
    replace_dir(work, final)
    assert [p.name for p in final.iterdir()] == ["new.txt"]
    assert not work.exists() and not leftover.exists()


def test_jsonable_turns_numpy_arrays_and_scalars_into_json():
    import numpy as np

    import json

    from tf1_course.core.fileio import jsonable

    value = jsonable({"a": np.array([[1.5, np.inf]], dtype=np.float32), 2: np.int64(3), "n": np.float64("nan")})
    assert value == {"a": [[1.5, "inf"]], "2": 3, "n": "nan"}
    json.dumps(value, allow_nan=False)  # strict JSON: raises on anything left over


def test_temporary_files_of_a_killed_writer_are_removed_by_the_next_write(tmp_path):
    """kill -9 during a write (evaluate's confusion_matrix.png) leaves its .part file; the next
    atomic write into that folder removes it, and only files of dead processes of this host."""
    import os
    import subprocess
    import sys

    from tf1_course.core import fileio

    code = ("import os, signal; from tf1_course.core.fileio import atomic_path\n"
            f"with atomic_path({str(tmp_path / 'confusion_matrix.png')!r}) as tmp:\n"
            "    tmp.write_bytes(b'half a png')\n"
            "    os.kill(os.getpid(), signal.SIGKILL)\n")
    killed = subprocess.run([sys.executable, "-c", code], capture_output=True)
    assert killed.returncode == -9
    (left,) = [p.name for p in tmp_path.iterdir()]
    assert left.startswith(".confusion_matrix.png.") and left.endswith(".part")
    mine = tmp_path / f".metrics.json.{fileio.HOST}-{os.getpid()}.abc123.part"  # a live writer's
    other_host = tmp_path / ".metrics.json.0badc0de-4242.abc123.part"  # another host's (a container's)
    mine.write_text("in progress")
    other_host.write_text("theirs")
    fileio.write_json(tmp_path / "evaluation.json", {"ok": True})
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["evaluation.json", mine.name, other_host.name])
