"""tf1-course data fetch against a real HTTP server on 127.0.0.1 serving files the test makes."""

import functools
import hashlib
import http.server
import threading

import numpy as np
import pytest

from conftest import sign_image
from tf1_course.data import fetch, h5
from tf1_course.data.cli import main as data_main
from tf1_course.errors import DataError
from tf1_course.fileio import sha256


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


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    for split, m in (("train", 12), ("test", 6)):
        x = np.stack([sign_image(k % 6, k) for k in range(m)])
        h5.write_split(root / f"{split}_signs.h5", split, x, np.arange(m) % 6)
    handler = type("H", (Handler,), {"directory_path": root, "truncate": set()})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                            functools.partial(handler, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/", root, handler
    httpd.shutdown()
    httpd.server_close()


def sums(root):
    return {n: sha256(root / n) for n in ("train_signs.h5", "test_signs.h5")}


def test_fetch_verifies_and_writes(server, tmp_path, monkeypatch):
    url, root, _ = server
    monkeypatch.setattr(fetch, "KNOWN_SHA256", {})
    out = tmp_path / "out"
    manifest = fetch.fetch(out, url=url, sha256=sums(root), log=lambda *_: None)
    assert sums(out) == sums(root)
    assert manifest["files"]["train_signs.h5"]["verified"] is True
    assert manifest["files"]["test_signs.h5"]["class_counts"] == {str(c): 1 for c in range(6)}


def test_sha256sums_file_on_the_server_is_used(server, tmp_path, monkeypatch):
    url, root, _ = server
    monkeypatch.setattr(fetch, "KNOWN_SHA256", {})
    (root / "SHA256SUMS").write_text("".join(f"{h}  {n}\n" for n, h in sums(root).items()))
    fetch.fetch(tmp_path / "out", url=url, log=lambda *_: None)
    assert sums(tmp_path / "out") == sums(root)


def test_wrong_sha_leaves_no_file_and_keeps_the_old_one(server, tmp_path, monkeypatch):
    url, root, _ = server
    monkeypatch.setattr(fetch, "KNOWN_SHA256", {})
    out = tmp_path / "out"
    out.mkdir()
    (out / "train_signs.h5").write_bytes(b"the user's file")
    bad = dict(sums(root), **{"train_signs.h5": "0" * 64})
    with pytest.raises(DataError, match="does not match the expected"):
        fetch.fetch(out, url=url, sha256=bad, log=lambda *_: None)
    assert (out / "train_signs.h5").read_bytes() == b"the user's file"
    assert [p.name for p in out.iterdir()] == ["train_signs.h5"]


def test_truncated_download_and_404(server, tmp_path, monkeypatch):
    url, root, handler = server
    handler.truncate.add("train_signs.h5")
    out = tmp_path / "out"
    with pytest.raises(DataError, match="train_signs.h5"):
        fetch.download(url + "train_signs.h5", out / "train_signs.h5")
    assert not out.exists() or list(out.iterdir()) == []
    with pytest.raises(DataError, match="HTTP 404"):
        fetch.download(url + "nope.h5", out / "nope.h5")


def test_unknown_hash_is_refused_unless_allowed(server, tmp_path, monkeypatch, capsys):
    url, root, _ = server
    monkeypatch.setattr(fetch, "KNOWN_SHA256", {})
    assert data_main(["fetch", "--url", url, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no sha256 known" in err[0]
    assert data_main(["fetch", "--url", url, "--out", str(tmp_path / "o"), "--allow-unverified"]) == 0
    assert "NOT verified" in capsys.readouterr().out


def test_server_sending_a_non_h5_file_is_rejected(server, tmp_path, monkeypatch):
    url, root, _ = server
    (root / "train_signs.h5").write_bytes(b"<html>not found</html>")
    good = hashlib.sha256(b"<html>not found</html>").hexdigest()
    with pytest.raises(DataError, match="not a readable HDF5 file"):
        fetch.download(url + "train_signs.h5", tmp_path / "train_signs.h5", good)
    assert not (tmp_path / "train_signs.h5").exists()


def test_unreachable_server_is_one_line(tmp_path, capsys):
    code = data_main(["fetch", "--url", "http://127.0.0.1:9/", "--out", str(tmp_path / "o"),
                      "--allow-unverified", "--timeout", "5"])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot download" in err[0]


def test_bad_sha_argument():
    with pytest.raises(DataError, match="expected NAME=<64 hex digits>"):
        fetch.parse_sha_args(["train_signs.h5=abc"])
