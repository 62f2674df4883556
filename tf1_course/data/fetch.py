"""``tf1-course data fetch``: download the course's h5 files, for users without the JPEG tree.

Each file is streamed into a temporary file beside its destination, its sha256 checked against the
expected value, its schema validated, and only then renamed into place: a failed, interrupted or
corrupt download never leaves a partial file behind, and never replaces a good one.

The expected sha256 of a file comes from, in order: ``--sha256 NAME=HEX``; ``SHA256SUMS`` at the
base URL (the ``sha256sum`` format); the table below (the course's published test file). A file
with no expected hash is refused unless ``--allow-unverified`` is given, and then its hash is
printed and recorded in the manifest.
"""

import hashlib
import http.client
import os
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from tqdm import tqdm

from tf1_course.data import h5
from tf1_course.data.paths import MANIFEST_FILE, TEST_FILE, TRAIN_FILE
from tf1_course.errors import DataError
from tf1_course.fileio import atomic_path, read_json, write_json

URL_ENV = "TF1_COURSE_DATA_URL"
# A public copy of the course's two SIGNS files, pinned to a commit so the bytes cannot change.
DEFAULT_BASE_URL = ("https://github.com/itsayushthada/Residual-Networks/raw/"
                    "e7f3097c4126cc2ab670e057ed24c284cb664e15/datasets/")
KNOWN_SHA256 = {
    TEST_FILE: "539fb746ed9e947eb244cfca73f4d1b03f9bf5524d609eeed2cd76ddb1b179be",
}
FILES = {TRAIN_FILE: "train", TEST_FILE: "test"}
CHUNK = 1 << 16


def base_url(override=None):
    url = override or os.environ.get(URL_ENV) or DEFAULT_BASE_URL
    return url if url.endswith("/") else url + "/"


def _open(url, timeout):
    try:
        return urllib.request.urlopen(url, timeout=timeout)
    except urllib.error.HTTPError as e:
        raise DataError(f"{url}: HTTP {e.code} {e.reason}") from None
    except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as e:
        reason = getattr(e, "reason", e)
        raise DataError(f"{url}: cannot download ({reason})") from None


def published_sums(base, timeout):
    """{name: sha256} from BASE/SHA256SUMS, or {} when the server has none."""
    try:
        with urllib.request.urlopen(base + "SHA256SUMS", timeout=timeout) as r:
            text = r.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException):
        return {}
    sums = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and len(parts[0]) == 64:
            sums[parts[1].lstrip("*")] = parts[0].lower()
    return sums


def download(url, dest, expected_sha256=None, timeout=60, progress=True):
    """Stream ``url`` to ``dest`` atomically; verify sha256 (when given). Returns the sha256."""
    with _open(url, timeout) as r, atomic_path(dest) as tmp:
        total = int(r.headers.get("Content-Length") or 0) or None
        digest = hashlib.sha256()
        with open(tmp, "wb") as f, tqdm(total=total, unit="B", unit_scale=True, desc=Path(dest).name,
                                        disable=None if progress else True, leave=False) as bar:
            while True:
                try:
                    block = r.read(CHUNK)
                except (OSError, ValueError, http.client.HTTPException) as e:
                    raise DataError(f"{url}: download interrupted ({type(e).__name__})") from None
                if not block:
                    break
                f.write(block)
                digest.update(block)
                bar.update(len(block))
        if total is not None and os.path.getsize(tmp) != total:
            raise DataError(f"{url}: got {os.path.getsize(tmp)} bytes, expected {total}")
        got = digest.hexdigest()
        if expected_sha256 and got != expected_sha256.lower():
            raise DataError(f"{url}: sha256 {got} does not match the expected {expected_sha256}")
        split = FILES.get(Path(dest).name)
        if split:
            h5.load_split(tmp, split)  # schema check before the file takes its place
    return got


def fetch(out_dir, url=None, sha256=None, allow_unverified=False, timeout=60, log=print):
    """Download train_signs.h5 and test_signs.h5 into ``out_dir``. Returns the manifest dict."""
    out_dir = Path(out_dir)
    base = base_url(url)
    expected = dict(KNOWN_SHA256)
    expected.update(published_sums(base, timeout))
    expected.update(sha256 or {})
    unknown = [n for n in FILES if n not in expected]
    if unknown and not allow_unverified:
        raise DataError(f"no sha256 known for {', '.join(unknown)}: pass --sha256 NAME=HEX "
                        f"(or --allow-unverified to accept what the server sends)")
    files = {}
    for name, split in FILES.items():
        url_i = urllib.parse.urljoin(base, name)
        log(f"downloading {url_i}")
        got = download(url_i, out_dir / name, expected.get(name), timeout)
        verified = name in expected
        log(f"wrote {out_dir / name} (sha256 {got}{'' if verified else ', NOT verified'})")
        files[name] = h5.manifest_entry(out_dir / name, h5.load_split(out_dir / name, split).y, url_i,
                                        verified=verified)
    manifest = {"source": base, "files": files}
    write_json(out_dir / MANIFEST_FILE, manifest)
    return manifest


def parse_sha_args(values):
    """['NAME=HEX', ...] -> {NAME: hex}; a malformed value is a usage error."""
    out = {}
    for v in values or []:
        name, sep, hexdigest = v.partition("=")
        if not sep or len(hexdigest) != 64 or any(c not in "0123456789abcdefABCDEF" for c in hexdigest):
            raise DataError(f"--sha256 {v!r}: expected NAME=<64 hex digits>")
        out[name] = hexdigest.lower()
    return out


def read_manifest(out_dir):
    try:
        return read_json(Path(out_dir) / MANIFEST_FILE)
    except (OSError, ValueError):
        return None
