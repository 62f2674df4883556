"""``tf1-course serve``: the API of a real server (a subprocess) and its answers to bad input.

The server is ``live_server`` (conftest.py): the trained run served with a 1 MB upload limit.
"""

import base64
import io
import json
import re
import signal
import socket
import struct
import subprocess
import sys
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import REPO, bundled_path
from servers import multipart, running_server
from tf1_course.data.images import load_image

TEST_SIGNS = "signs/64x64_SIGNS/test_signs"


def signs_photos():
    """One SIGNS test photo of each sign, 0 to 5 (the first of each in name order)."""
    folder = bundled_path(TEST_SIGNS)
    first = {}
    for path in sorted(folder.glob("*.jpg")):
        first.setdefault(path.name.split("_")[0], path)
    return [first[str(k)] for k in range(6)]


def predict_json(run_dir, paths, capsys):
    """What ``tf1-course predict --json`` says of ``paths`` with the run: [{"prediction", "probabilities"}]."""
    from tf1_course.signs import predict

    capsys.readouterr()
    assert predict.main(["--json", "--device", "cpu", "--run-dir", str(run_dir), *map(str, paths)]) == 0
    return json.loads(capsys.readouterr().out)["predictions"]


def decode_data_url(url):
    """"data:image/png;base64,..." -> uint8 [h, w, 3]."""
    head, data = url.split(",", 1)
    assert head == "data:image/png;base64"
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data))))


def one_line_error(status, body, expected_status):
    assert status == expected_status, body
    assert set(body) == {"error"} and body["error"] and "\n" not in body["error"], body
    return body["error"]


def test_healthz_says_which_model_and_tensorflow(live_server, trained_run):
    from tf1_course.core.compat import TF_VERSION

    status, info = live_server.json("GET", "/healthz")
    assert status == 200
    assert info["status"] == "ok" and info["kind"] == "run"
    assert Path(info["run"]) == Path(trained_run).resolve()
    assert info["epoch"] == 8 and info["tensorflow"] == TF_VERSION
    assert info["classes"][3] == "3 fingers"


def test_predict_gives_what_predict_gives(live_server, trained_run, capsys):
    photos = signs_photos()
    expected = predict_json(trained_run, photos, capsys)
    for path, want in zip(photos, expected):
        status, got = live_server.upload(path.read_bytes(), path.name, content_type="image/jpeg")
        assert status == 200, got
        assert got["sign"] == want["prediction"]
        assert got["label"] == ["0 fingers", "1 finger", "2 fingers", "3 fingers", "4 fingers", "5 fingers"][got["sign"]]
        assert np.abs(np.array(got["probabilities"]) - np.array(want["probabilities"])).max() <= 1e-6
        np.testing.assert_array_equal(decode_data_url(got["image"]), load_image(path))  # the 64x64 it saw


def test_a_phone_photo_with_exif_rotation_is_seen_as_predict_sees_it(live_server, tmp_path):
    """The same EXIF orientation and RGB conversion as predict: one preprocessing function."""
    rng = np.random.RandomState(0)
    pixels = rng.randint(0, 256, (90, 160, 3)).astype(np.uint8)
    pixels[:, :40] = 255  # not symmetric: a rotation shows
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees clockwise to display
    path = tmp_path / "rotated.jpg"
    Image.fromarray(pixels).save(path, quality=95, exif=exif.tobytes())
    rgba = tmp_path / "transparent.png"
    Image.fromarray(np.dstack([pixels, np.full(pixels.shape[:2], 128, np.uint8)]), "RGBA").save(rgba)
    for p in (path, rgba):
        status, got = live_server.upload(p.read_bytes(), p.name)
        assert status == 200, got
        np.testing.assert_array_equal(decode_data_url(got["image"]), load_image(p))
    rotated = np.asarray(Image.open(path).convert("RGB").resize((64, 64)))  # without the rotation
    assert not np.array_equal(load_image(path), rotated)


def bomb_png(width=30_000, height=30_000):
    """A 1x1 PNG whose header claims width x height pixels: what a decompression bomb declares."""
    buffer = io.BytesIO()
    Image.new("RGB", (1, 1)).save(buffer, "PNG")
    png = bytearray(buffer.getvalue())
    png[16:24] = struct.pack(">II", width, height)  # IHDR's width and height
    png[29:33] = struct.pack(">I", zlib.crc32(bytes(png[12:29])))  # and its CRC
    return bytes(png)


def test_bad_uploads_are_one_line_4xx_and_the_server_stays_up(live_server):
    photo = signs_photos()[0].read_bytes()
    assert "not an image" in one_line_error(*live_server.upload(b"just some text\n", "notes.txt"), 400)
    assert "empty" in one_line_error(*live_server.upload(b"", "empty.jpg"), 400)
    assert "truncated" in one_line_error(*live_server.upload(photo[:len(photo) // 2], "cut.jpg"), 400)
    assert "too large" in one_line_error(*live_server.upload(bomb_png(), "bomb.png"), 400)
    # a bomb under Pillow's own limit but over ours (100 million pixels) is refused before decoding
    assert "over the limit" in one_line_error(*live_server.upload(bomb_png(11_000, 11_000), "big.png"), 400)
    multi = "multipart/form-data; boundary=x"
    assert "multipart" in one_line_error(*live_server.json("POST", "/api/predict", b"garbage", {"Content-Type": multi}), 400)
    assert "multipart" in one_line_error(*live_server.json("POST", "/api/predict", b"a=b", {
        "Content-Type": "application/x-www-form-urlencoded"}), 400)
    body, ctype = multipart("other", "x.jpg", photo)
    assert "photo" in one_line_error(*live_server.json("POST", "/api/predict", body, {"Content-Type": ctype}), 400)
    name = "bad\tname\u2028.txt"  # a file name with a tab and a Unicode line separator: still one line
    assert one_line_error(*live_server.upload(b"text", name), 400).startswith("badname")
    assert live_server.json("GET", "/healthz")[0] == 200


def test_over_the_size_limit_is_413_with_or_without_a_length(live_server):
    big = np.random.RandomState(0).bytes(1_200_000)  # the live server's limit is 1 MB
    assert "over the limit of 1 MB" in one_line_error(*live_server.upload(big, "big.jpg"), 413)

    body, ctype = multipart("photo", "big.jpg", big)
    chunks = (body[k:k + 65536] for k in range(0, len(body), 65536))  # sent chunked: no Content-Length
    status, _, data = live_server.request("POST", "/api/predict", chunks, {"Content-Type": ctype})
    one_line_error(status, json.loads(data), 413)
    assert live_server.json("GET", "/healthz")[0] == 200


def test_wrong_path_or_method_is_json_404_405(live_server):
    assert "no such page" in one_line_error(*live_server.json("GET", "/nope"), 404)
    assert "POST" in one_line_error(*live_server.json("GET", "/api/predict"), 405)
    one_line_error(*live_server.json("DELETE", "/"), 405)
    one_line_error(*live_server.json("POST", "/healthz"), 405)


def test_concurrent_requests_get_their_own_answers(live_server):
    photos = [p.read_bytes() for p in signs_photos()]
    serial = [live_server.upload(p)[1]["probabilities"] for p in photos]
    jobs = [k % 6 for k in range(48)]
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda k: live_server.upload(photos[k], f"{k}.jpg"), jobs))
    for k, (status, got) in zip(jobs, answers):
        assert status == 200 and got["probabilities"] == serial[k]


EXTERNAL = re.compile(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}", re.I)


def test_the_page_loads_nothing_from_elsewhere(live_server):
    status, headers, page = live_server.request("GET", "/")
    assert status == 200 and headers["content-type"].startswith("text/html")
    html = page.decode()
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "default-src 'none'" in headers["content-security-policy"]
    links = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert {"/app.js", "/style.css", "/favicon.svg", "/healthz"} <= set(links)
    for link in links:
        assert link.startswith("/"), link
        status, headers, body = live_server.request("GET", link)
        assert status == 200, link
        text = body.decode()
        # the SVG's namespace is a name, not something loaded
        found = [u for u in EXTERNAL.findall(text.replace('xmlns="http://www.w3.org/2000/svg"', ""))]
        assert found == [], (link, found)
    assert EXTERNAL.findall(html) == []
    for needle in ("getUserMedia", "No camera found", "/api/predict"):
        assert needle in live_server.request("GET", "/app.js")[2].decode()
    assert "Any photo gets one of the six signs" in html


def test_the_check_for_external_urls_can_fail():
    assert EXTERNAL.findall('<script src="https://cdn.example.com/x.js">') != []
    assert EXTERNAL.findall("@import url(//fonts.googleapis.com/css)") != []


def test_serve_a_savedmodel_gives_the_same_answers_and_ctrl_c_is_130(trained_run, tmp_path, live_server):
    from tf1_course.serving import export

    assert export.main(["--run-dir", str(trained_run), "--out", str(tmp_path / "exports")]) == 0
    photos = signs_photos()
    with running_server(["--model", str(tmp_path / "exports")], signum=signal.SIGINT) as server:
        status, info = server.json("GET", "/healthz")
        assert status == 200 and info["kind"] == "savedmodel" and info["path"].endswith("/1")
        assert Path(info["run"]) == Path(trained_run).resolve()
        for path in photos:
            _, from_export = server.upload(path.read_bytes(), path.name)
            _, from_run = live_server.upload(path.read_bytes(), path.name)
            assert from_export["sign"] == from_run["sign"]
            assert np.abs(np.array(from_export["probabilities"]) - np.array(from_run["probabilities"])).max() <= 1e-6
        assert server.upload(b"", "x.jpg")[0] == 400
    assert server.proc.returncode == 130, server.output()
    assert "interrupted" in server.output()


def test_serve_refuses_bad_options_in_one_line(trained_run, tmp_path, capsys):
    from tf1_course.serving import serve

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        assert serve.main(["--run-dir", str(trained_run), "--port", str(port), "--device", "cpu"]) == 2
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}" in err and len(err.strip().splitlines()) == 1
    assert serve.main(["--model", str(tmp_path / "nothing")]) == 2
    assert "does not exist" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert serve.main(["--model", str(tmp_path / "empty")]) == 2
    assert "no SavedModel" in capsys.readouterr().err
    assert serve.main(["--run-dir", str(tmp_path / "empty")]) == 2
    assert "no trained model" in capsys.readouterr().err
    for bad in (["--port", "70000"], ["--max-mb", "0"], ["--model", "a", "--run-dir", "b"]):
        with pytest.raises(SystemExit) as e:
            serve.build_parser().parse_args(bad)
        assert e.value.code == 2


def test_server_requirements_are_pinned_and_pip_check_is_clean():
    pins = {}
    for line in (REPO / "requirements.txt").read_text().splitlines():
        match = re.match(r"^([a-zA-Z0-9_.-]+)(\[[^\]]+\])?(.*)$", line.strip())
        if match and not line.startswith("#"):
            pins[match.group(1).lower()] = match.group(3)
    for name in ("fastapi", "uvicorn", "python-multipart"):
        assert ">=" in pins[name] and "<" in pins[name].replace("<=", ""), (name, pins.get(name))
    result = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
