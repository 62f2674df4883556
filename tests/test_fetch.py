"""tf1-course data fetch against real HTTP servers on 127.0.0.1 serving files the test makes (or the
course's own test_signs.h5 and data.mat, bundled with the package), one or several in order."""

import errno
import functools
import re
import http.server
import shutil
import threading
import time

import numpy as np
import pytest
import scipy.io

from conftest import bundled_path, sign_image
from tf1_course.data import fetch, h5, manifest
from tf1_course.data.cli import main as data_main
from tf1_course.core.errors import DataError
from tf1_course.core.fileio import sha256

NAMES = ("train_signs.h5", "test_signs.h5", "data.mat")
POINTER = ("version https://git-lfs.github.com/spec/v1\n"
           "oid sha256:47480709d99f2ea6ae428ecc491fc6f65ff1d05336736dd859d5565e0ad3cf74\nsize 13281872\n")


class Handler(http.server.SimpleHTTPRequestHandler):
    truncate = set()  # names served with a Content-Length larger than what is sent

    def log_message(self, *args):
        pass

    def do_GET(self):
        name = self.path.lstrip("/").split("/")[-1]
        if name in self.truncate:
            data = (self.directory_path / name).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            return
        super().do_GET()


def make_football(path, m=8):
    rng = np.random.RandomState(0)
    scipy.io.savemat(str(path), {"X": rng.randn(m, 2), "y": rng.randint(0, 2, (m, 1)),
                                 "Xval": rng.randn(m, 2), "yval": rng.randint(0, 2, (m, 1))})


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    for split, m in (("train", 12), ("test", 6)):
        x = np.stack([sign_image(k % 6, k) for k in range(m)])
        h5.write_split(root / f"{split}_signs.h5", split, x, np.arange(m) % 6)
    make_football(root / "data.mat")
    handler = type("H", (Handler,), {"directory_path": root, "truncate": set()})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                            functools.partial(handler, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/", root, handler
    httpd.shutdown()
    httpd.server_close()


def sums(root, names=NAMES):
    return {n: sha256(root / n) for n in names}


def quiet(*_):
    pass


def one_error_line(capsys):
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def user_files(out):
    """A data folder holding the user's files, and a snapshot of it."""
    out.mkdir()
    for n in NAMES + ("manifest.json",):
        (out / n).write_bytes(f"the user's {n}".encode())
    return {p.name: p.read_bytes() for p in out.iterdir()}


def snapshot(out):
    return {p.name: p.read_bytes() for p in out.iterdir()}


def test_fetch_checks_and_writes_all_three_files_and_the_manifest(server, tmp_path):
    url, root, _ = server
    out = tmp_path / "out"
    doc = fetch.fetch(out, url=url, sha256=sums(root), log=quiet)
    assert sums(out) == sums(root)
    files = doc["files"]
    assert files["train_signs.h5"]["class_counts"] == {str(c): 2 for c in range(6)}
    assert files["data.mat"]["bytes"] == (root / "data.mat").stat().st_size
    assert {e["sha256_from"] for e in files.values()} == {"--sha256"}
    # hash-checked, but not the course's files: the manifest and provenance() say so
    assert {e["provenance"] for e in files.values()} == {"unverified"}
    assert manifest.provenance(out) == {"train": "unverified", "test": "unverified", "football": "unverified",
                                        "train_minus_dev": "missing", "dev": "missing"}
    assert manifest.read(out) == doc


def test_the_course_files_are_accepted_by_their_pinned_digests(server, tmp_path, monkeypatch):
    url, root, _ = server
    for name, sub in (("test_signs.h5", "signs"), ("data.mat", "football")):
        shutil.copy(bundled_path(f"{sub}/{name}"), root / name)
        pinned = manifest.COURSE_FILES[name]
        assert (sha256(root / name), (root / name).stat().st_size) == (pinned.sha256, pinned.size)
    out = tmp_path / "out"
    # the real train file is not here: a tiny one, accepted only through an explicit --sha256
    assert data_main(["fetch", "--url", url, "--out", str(out),
                      "--sha256", f"train_signs.h5={sha256(root / 'train_signs.h5')}"]) == 0
    assert sums(out) == sums(root)
    prov = manifest.provenance(out)
    assert (prov["train"], prov["test"], prov["football"]) == ("unverified", "course", "course")
    assert manifest.read(out)["files"]["test_signs.h5"]["sha256_from"] == "the course's published digest"
    # the regularization lab finds the fetched data.mat in the data directory
    from tf1_course.labs import data2d

    monkeypatch.setenv("TF1_COURSE_DATA_DIR", str(out))
    monkeypatch.delenv(data2d.FOOTBALL_ENV, raising=False)
    assert data2d.find_football() == out / "data.mat"
    assert data2d.load_football().X_train.shape == (2, 211)


def test_a_train_file_that_is_not_the_courses_is_refused(server, tmp_path, capsys):
    url, root, _ = server
    out = tmp_path / "out"
    before = user_files(out)
    assert data_main(["fetch", "--url", url, "--out", str(out)]) == 2
    line = one_error_line(capsys)
    assert "train_signs.h5: got" in line and "but the course's train_signs.h5 has 13281872" in line
    assert snapshot(out) == before  # nothing replaced, no temporary file left


def test_wrong_hash_with_the_right_size_and_with_an_override(server, tmp_path, monkeypatch):
    url, root, _ = server
    size = (root / "train_signs.h5").stat().st_size
    monkeypatch.setitem(manifest.COURSE_FILES, "train_signs.h5", manifest.CourseFile("0" * 64, size))
    out = tmp_path / "out"
    before = user_files(out)
    with pytest.raises(DataError, match=r"does not match the course's published digest \(0{64}\)"):
        fetch.fetch(out, url=url, log=quiet)
    bad = dict(sums(root), **{"test_signs.h5": "1" * 64})
    with pytest.raises(DataError, match=r"test_signs.h5: sha256 [0-9a-f]{64} does not match --sha256"):
        fetch.fetch(out, url=url, sha256=bad, log=quiet)
    assert snapshot(out) == before


def test_a_git_lfs_pointer_is_named_in_one_line(server, tmp_path, capsys):
    url, root, _ = server
    for name in NAMES:
        (root / name).write_text(POINTER)
    assert data_main(["fetch", "--url", url, "--out", str(tmp_path / "out")]) == 2
    line = one_error_line(capsys)
    assert "train_signs.h5: the server sent a Git LFS pointer, not the file: use a media URL" in line
    assert list((tmp_path / "out").iterdir()) == []


def test_default_urls_are_pinned_to_one_commit_and_lfs_files_use_media_urls(monkeypatch):
    monkeypatch.delenv(fetch.URL_ENV, raising=False)
    assert fetch.sources() == [fetch.PINNED]
    urls = fetch.file_urls(fetch.PINNED)
    assert set(urls) == set(NAMES)
    commits = {re.search(r"/([0-9a-f]{40})/", u).group(1) for u in urls.values()}
    assert len(commits) == 1  # one commit, not a branch that can move
    # that repository's .gitattributes tracks *.h5 and *.mat with Git LFS: raw URLs of LFS-stored
    # files serve pointers, so those two go through media URLs
    assert urls["train_signs.h5"].startswith("https://media.githubusercontent.com/media/")
    assert urls["data.mat"].startswith("https://media.githubusercontent.com/media/")
    monkeypatch.setenv(fetch.URL_ENV, "http://mirror.example/course  pinned http://b.example/x/")
    assert fetch.sources() == ["http://mirror.example/course", "pinned", "http://b.example/x/"]
    assert fetch.file_urls(fetch.sources()[0])["data.mat"] == "http://mirror.example/course/data.mat"
    assert fetch.sources(["http://c.example/"]) == ["http://c.example/"]  # --url wins over the variable


def test_one_failing_file_leaves_every_file_as_it_was(server, tmp_path):
    url, root, _ = server
    (root / "data.mat").unlink()  # the last file: train and test were already downloaded
    out = tmp_path / "out"
    before = user_files(out)
    with pytest.raises(DataError, match="data.mat: HTTP 404"):
        fetch.fetch(out, url=url, sha256=sums(root, NAMES[:2]), log=quiet)
    assert snapshot(out) == before


def test_truncated_download(server, tmp_path):
    url, root, handler = server
    handler.truncate.add("train_signs.h5")
    with pytest.raises(DataError, match="train_signs.h5: got .* bytes, the server announced"):
        fetch.fetch(tmp_path / "out", url=url, sha256=sums(root), log=quiet)
    assert list((tmp_path / "out").iterdir()) == []


def test_a_server_cannot_vouch_for_its_own_files(server, tmp_path):
    url, root, _ = server
    (root / "SHA256SUMS").write_text("".join(f"{h}  {n}\n" for n, h in sums(root).items()))
    with pytest.raises(DataError, match="train_signs.h5: got .* bytes, but the course's train_signs.h5 has"):
        fetch.fetch(tmp_path / "out", url=url, log=quiet)
    assert list((tmp_path / "out").iterdir()) == []


def test_server_sending_a_non_h5_or_non_mat_file_is_rejected(server, tmp_path):
    url, root, _ = server
    (root / "train_signs.h5").write_bytes(b"<html>not found</html>")
    with pytest.raises(DataError, match=f"{url}train_signs.h5: not a readable HDF5 file"):
        fetch.fetch(tmp_path / "out", url=url, sha256=sums(root), log=quiet)
    (root / "train_signs.h5").unlink()
    h5.write_split(root / "train_signs.h5", "train", np.stack([sign_image(0, 0)] * 6), np.arange(6))
    scipy.io.savemat(str(root / "data.mat"), {"X": np.zeros((2, 2))})
    with pytest.raises(DataError, match="data.mat: not the course's football data.mat"):
        fetch.fetch(tmp_path / "out", url=url, sha256=sums(root), log=quiet)
    assert list((tmp_path / "out").iterdir()) == []


def test_full_disk_is_one_line_and_leaves_everything_as_it_was(server, tmp_path, monkeypatch, capsys):
    url, root, _ = server
    out = tmp_path / "out"
    before = user_files(out)

    class FullDisk:  # a file whose writes fail after 100 kB, as on a full disk
        def __init__(self, path, mode):
            self.f, self.n = open(path, mode), 0

        def write(self, block):
            self.n += len(block)
            if self.n > 100_000:
                raise OSError(errno.ENOSPC, "No space left on device")
            return self.f.write(block)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

    monkeypatch.setattr(fetch, "open", FullDisk, raising=False)
    args = ["fetch", "--url", url, "--out", str(out)]
    for name, digest in sums(root).items():
        args += ["--sha256", f"{name}={digest}"]
    assert data_main(args) == 2
    line = one_error_line(capsys)
    assert f"{out}: the disk is full" in line and "nothing was written" in line
    assert snapshot(out) == before


def test_unreachable_server_is_one_line(tmp_path, capsys):
    code = data_main(["fetch", "--url", "http://127.0.0.1:9/", "--out", str(tmp_path / "o"),
                      "--timeout", "5"])
    assert code == 2
    assert "cannot download" in one_error_line(capsys)


def test_bad_sha_argument():
    with pytest.raises(DataError, match="expected NAME=<64 hex digits>"):
        fetch.parse_sha_args(["train_signs.h5=abc"])
    with pytest.raises(DataError, match="NAME is one of train_signs.h5, test_signs.h5, data.mat"):
        fetch.parse_sha_args(["train.h5=" + "0" * 64])


def test_a_fetch_keeps_the_dev_split_a_build_made(server, signs_tree, tmp_path):
    from tf1_course.data import build

    url, root, _ = server
    out = tmp_path / "out"
    build.build(signs_tree, out, log=quiet)
    doc = fetch.fetch(out, url=url, sha256=sums(root), log=quiet, force=True)  # replaces the rebuilt train set
    assert {"dev_signs.h5", "train_minus_dev_signs.h5"} <= set(doc["files"])
    assert manifest.provenance(out)["dev"] == "rebuilt-from-jpegs"
    assert manifest.provenance(out)["train"] == "unverified"


def test_a_fetch_does_not_replace_a_rebuilt_training_set_unless_forced(signs_tree, tmp_path, capsys):
    from tf1_course.data import build, cli

    out = tmp_path / "out"
    build.build(signs_tree, out, log=lambda *_: None)
    before = (out / "train_signs.h5").read_bytes()
    assert cli.main(["fetch", "--out", str(out), "--url", "http://127.0.0.1:9/"]) == 2
    err = capsys.readouterr().err
    assert "rebuilt from the JPEGs" in err and "--force" in err
    assert (out / "train_signs.h5").read_bytes() == before


# --- falling through a list of sources --------------------------------------------------------

class Mirror(http.server.BaseHTTPRequestHandler):
    """A server that answers every request one way: "pointer" (a Git LFS pointer), "quota"
    (GitHub's over-quota text), "error" (HTTP 503), "slow" (no answer before the client's timeout)
    or "good" (the files of ``root``)."""

    way, root = "good", None

    def log_message(self, *args):
        pass

    def do_GET(self):
        name = self.path.rsplit("/", 1)[-1]
        if self.way == "error":
            self.send_error(503, "Service Unavailable")
            return
        if self.way == "slow":
            time.sleep(3)
        body = {"pointer": POINTER.encode(),
                "quota": b"This repository is over its data quota. Account responsible for LFS bandwidth "
                         b"should purchase more data packs to restore access."}.get(self.way)
        if body is None:
            path = self.root / name
            if not path.is_file():
                self.send_error(404)
                return
            body = path.read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:  # the client gave up (a timeout)
            pass


@pytest.fixture
def mirrors(server):
    """start(way, files=None) -> the base URL of a new server on 127.0.0.1 answering that way
    (a good one serves ``files``, default the ``server`` fixture's folder)."""
    _, root, _ = server
    started = []

    def start(way, files=None):
        handler = type("M", (Mirror,), {"way": way, "root": files or root})
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        started.append(httpd)
        return f"http://127.0.0.1:{httpd.server_address[1]}/{way}/"

    yield start
    for httpd in started:
        httpd.shutdown()
        httpd.server_close()


def test_every_kind_of_failure_moves_on_to_the_next_source(server, mirrors, tmp_path, capsys):
    _, root, _ = server
    bad = [mirrors(way) for way in ("pointer", "quota", "error", "slow")]
    refused = "http://127.0.0.1:9/"  # nothing listens there
    good = mirrors("good")
    args = ["fetch", "--out", str(tmp_path / "out"), "--timeout", "1"]
    for url in (*bad, refused, good):
        args += ["--url", url]
    for name, digest in sums(root).items():
        args += ["--sha256", f"{name}={digest}"]
    assert data_main(args) == 0
    assert sums(tmp_path / "out") == sums(root)
    out = capsys.readouterr().out
    for name in NAMES:  # one line per source tried, for each file
        lines = [line for line in out.splitlines() if line.startswith(f"  {name}: ")]
        assert len(lines) == 6, lines
        assert "Git LFS pointer" in lines[0] and "over its Git LFS data quota" in lines[1]
        assert "HTTP 503" in lines[2] and "timed out" in lines[3] and "cannot download" in lines[4]
        assert all(line.endswith("trying the next source") for line in lines[:5])
        assert f"from {good}{name}" in lines[5]
    files = manifest.read(tmp_path / "out")["files"]
    assert {e["origin"] for e in files.values()} == {good + n for n in NAMES}


def test_a_wrong_file_from_one_source_is_replaced_by_the_right_one_from_the_next(server, mirrors, tmp_path):
    url, root, _ = server
    other = tmp_path / "other"
    other.mkdir()
    for name in NAMES:
        shutil.copy(root / name, other / name)
    h5.write_split(other / "test_signs.h5", "test", np.stack([sign_image(k % 6, k + 50) for k in range(6)]),
                   np.arange(6))
    wrong = mirrors("good", files=other)  # the same files but another test_signs.h5
    doc = fetch.fetch(tmp_path / "out", url=[wrong, url], sha256=sums(root), log=quiet)
    assert sums(tmp_path / "out") == sums(root)
    assert doc["files"]["test_signs.h5"]["origin"] == url + "test_signs.h5"
    assert doc["files"]["train_signs.h5"]["origin"] == wrong + "train_signs.h5"


def test_every_source_failing_is_one_line_and_nothing_changes(server, mirrors, tmp_path, capsys):
    _, root, _ = server
    out = tmp_path / "out"
    before = user_files(out)
    args = ["fetch", "--out", str(out), "--timeout", "1", "--url", mirrors("pointer"), "--url", mirrors("error")]
    for name, digest in sums(root).items():
        args += ["--sha256", f"{name}={digest}"]
    assert data_main(args) == 2
    line = one_error_line(capsys)
    assert "train_signs.h5: every source failed (2 tried; the last:" in line and "HTTP 503" in line
    assert snapshot(out) == before


def test_the_variable_may_hold_several_sources(server, mirrors, tmp_path, monkeypatch):
    _, root, _ = server
    monkeypatch.setenv(fetch.URL_ENV, f"{mirrors('quota')} {mirrors('good')}")
    fetch.fetch(tmp_path / "out", sha256=sums(root), log=quiet)
    assert sums(tmp_path / "out") == sums(root)
