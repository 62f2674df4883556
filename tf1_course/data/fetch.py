"""``tf1-course data fetch``: download the course's own files, for users without the JPEG tree.

The files are ``train_signs.h5``, ``test_signs.h5`` (the SIGNS data set) and ``data.mat`` (the
regularization lab's football data), all into the data directory. Each is streamed into a
temporary file and checked, in this order:

1. not a Git LFS pointer (what a plain raw URL of an LFS-tracked file serves: ~130 bytes of text);
2. its size and sha256 against the expected ones;
3. its content (the h5 schema, the football arrays).

Only when all three files pass are they renamed into place, with ``manifest.json``: a failed,
interrupted or corrupt download, or a full disk, leaves the folder as it was.

A file is accepted only on its sha256: the course's published digest and size
(:data:`tf1_course.data.manifest.COURSE_FILES`), or ``--sha256 NAME=HEX`` for a file of your own.
No server can vouch for its own files. The manifest's ``provenance`` says ``course`` only for a
file whose sha256 is the course's.

Where from: an ordered list of sources, tried file by file until one serves the file with its
sha256. The default list is ``pinned``, a public copy of the course pinned to a commit
(:data:`DEFAULT_URLS`; the LFS-tracked files through GitHub's media URLs, which serve the real
bytes). ``--url`` (repeatable) or ``$TF1_COURSE_DATA_URL`` (several, separated by spaces) set the
list: base URLs that hold the three files, and the word ``pinned`` for the pinned copy. A Git LFS
pointer, an over-quota answer, an HTTP error, a timeout or a wrong digest moves on to the next
source, one line per try; the fetch fails, in one line, only when every source failed a file.
"""

import datetime
import hashlib
import http.client
import os
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from tqdm import tqdm

from tf1_course.data import h5, manifest
from tf1_course.data.paths import FOOTBALL_FILE, MANIFEST_FILE, TEST_FILE, TRAIN_FILE
from tf1_course.core.errors import DataError
from tf1_course.core.fileio import atomic_paths, check_writable, json_text, write_failure

URL_ENV = "TF1_COURSE_DATA_URL"
PINNED = "pinned"  # the name of the pinned public copy in a list of sources
_REPO = "amanchadha/coursera-deep-learning-specialization"
_COMMIT = "3f055e4a8db0d76efbfb6f5a0e7e854535a3e2ec"
_MEDIA = f"https://media.githubusercontent.com/media/{_REPO}/{_COMMIT}/"  # LFS-tracked files
_RAW = f"https://raw.githubusercontent.com/{_REPO}/{_COMMIT}/"  # files stored in git itself
_C2 = "C2 - Improving Deep Neural Networks Hyperparameter tuning, Regularization and Optimization/"
DEFAULT_URLS = {
    # the course's SIGNS training file; Course 4 Week 1 ships the same file (same sha256)
    TRAIN_FILE: _MEDIA + urllib.parse.quote("C4 - Convolutional Neural Networks/Week 1/datasets/train_signs.h5"),
    TEST_FILE: _RAW + urllib.parse.quote(_C2 + "Week 3/datasets/test_signs.h5"),
    FOOTBALL_FILE: _MEDIA + urllib.parse.quote(_C2 + "Week 1/Regularization/datasets/data.mat"),
}
FILES = (TRAIN_FILE, TEST_FILE, FOOTBALL_FILE)
SPLITS = {TRAIN_FILE: "train", TEST_FILE: "test"}
LFS_POINTER = b"version https://git-lfs.github.com/spec/v1"
OVER_QUOTA = b"over its data quota"  # GitHub's answer for an LFS file of a repository over its quota
CHUNK = 1 << 16


def file_urls(base):
    """{name: URL} of the three files: :data:`DEFAULT_URLS` for ``pinned``, else ``base`` + name."""
    if base == PINNED:
        return dict(DEFAULT_URLS)
    base = base if base.endswith("/") else base + "/"
    return {name: urllib.parse.urljoin(base, name) for name in FILES}


def sources(urls=None):
    """The ordered list of sources: ``urls`` (--url, repeatable), else ``$TF1_COURSE_DATA_URL``
    split on spaces, else just the pinned copy."""
    listed = list(urls or []) or os.environ.get(URL_ENV, "").split()
    return listed or [PINNED]


def expected_files(overrides=None):
    """{name: (sha256, size or None, where the hash comes from)} for every file to fetch."""
    out = {name: (c.sha256, c.size, "the course's published digest")
           for name, c in manifest.COURSE_FILES.items() if name in FILES}
    out.update({name: (digest, None, "--sha256") for name, digest in (overrides or {}).items() if name in FILES})
    return out


def _open(url, timeout):
    try:
        return urllib.request.urlopen(url, timeout=timeout)
    except urllib.error.HTTPError as e:
        raise DataError(f"{url}: HTTP {e.code} {e.reason}") from None
    except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as e:
        reason = getattr(e, "reason", e)
        raise DataError(f"{url}: cannot download ({reason})") from None


def download(url, dest, timeout=60, progress=True):
    """Stream ``url`` into the file ``dest`` (a temporary file: no checks yet). Returns its sha256.

    A network failure, or fewer bytes than the server announced, is a DataError; an OSError
    from writing ``dest`` (a full disk) is left to the caller.
    """
    with _open(url, timeout) as r:
        total = int(r.headers.get("Content-Length") or 0) or None
        digest, size = hashlib.sha256(), 0
        with open(dest, "wb") as f, tqdm(total=total, unit="B", unit_scale=True, desc=Path(url).name,
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
                size += len(block)
                bar.update(len(block))
    if total is not None and size != total:
        raise DataError(f"{url}: got {size} bytes, the server announced {total}")
    return digest.hexdigest()


def verify(url, path, name, got_sha256, expected):
    """Check a downloaded file: not an LFS pointer, then size and sha256, then content.

    ``expected``: (sha256, size or None, where the hash comes from). Returns the class counts
    of an h5 split (None for data.mat); a DataError names the URL and the problem.
    """
    digest, size, source = expected
    got_size = Path(path).stat().st_size
    with open(path, "rb") as f:
        head = f.read(512)
    if head.startswith(LFS_POINTER):
        raise DataError(f"{url}: the server sent a Git LFS pointer, not the file: use a media URL "
                        f"(https://media.githubusercontent.com/media/OWNER/REPO/COMMIT/PATH) "
                        f"or another --url")
    if OVER_QUOTA in head:
        raise DataError(f"{url}: the server says the repository is over its Git LFS data quota "
                        f"(it sent that text, not the file)")
    if size is not None and got_size != size:
        raise DataError(f"{url}: got {got_size} bytes, but the course's {name} has {size}")
    if got_sha256 != digest:
        raise DataError(f"{url}: sha256 {got_sha256} does not match {source} ({digest})")
    if name in SPLITS:
        return h5.class_counts(h5.load_split(path, SPLITS[name], shown=url).y)
    check_football(path, shown=url)
    return None


def check_football(path, shown=None):
    """A DataError (naming ``shown``, else ``path``) unless ``path`` is a MATLAB file with the
    course's X, y, Xval, yval."""
    import scipy.io  # 0.2 s to import; only this file needs it

    try:
        keys = set(scipy.io.loadmat(str(path)))
    except (ValueError, OSError, TypeError) as e:
        raise DataError(f"{shown or path}: not a readable MATLAB file ({e})") from None
    missing = sorted({"X", "y", "Xval", "yval"} - keys)
    if missing:
        raise DataError(f"{shown or path}: not the course's football data.mat (no {', '.join(missing)})")


def fetch(out_dir, url=None, sha256=None, timeout=60, log=print, progress=True, force=False):
    """Download the course's files into ``out_dir``; all or nothing. Returns the manifest dict.

    ``url``: a base URL, or a list of them (``pinned`` for the pinned copy), tried in order for
    each file (default :func:`sources`). A training set rebuilt from the JPEGs already there (runs
    may have been trained on it) is replaced only with ``force``.
    """
    out_dir = Path(out_dir)
    check_writable(out_dir)
    tried = sources([url] if isinstance(url, str) else url)
    expected = expected_files(sha256)
    if not force and manifest.provenance(out_dir, keys=("train",)).get("train") == "rebuilt-from-jpegs":
        raise DataError(f"{out_dir} already holds a training set rebuilt from the JPEGs (runs trained on it "
                        f"need it): pass --force to replace it with the course's, or --out another folder")
    kept = manifest.kept_entries(out_dir, owned=FILES)
    try:
        with atomic_paths([out_dir / n for n in FILES] + [out_dir / MANIFEST_FILE]) as tmps:
            files = {}
            for name, tmp in zip(FILES, tmps):
                got, source, counts = fetch_one(name, tmp, tried, expected[name], timeout, log, progress)
                files[name] = manifest.entry(tmp, source, counts=counts, name=name, digest=got)
                files[name]["sha256_from"] = expected[name][2]
            doc = {"source": " ".join(tried),
                   "fetched": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                   "files": {**kept, **files}}
            tmps[-1].write_text(json_text(doc))
    except OSError as e:
        raise DataError(write_failure(e, out_dir)) from None
    log(f"wrote {', '.join(str(out_dir / n) for n in FILES)}")
    return doc


def fetch_one(name, tmp, tried, expected, timeout, log, progress):
    """Download file ``name`` into ``tmp`` from the first of ``tried`` that serves it with its
    sha256. Returns (sha256, URL, class counts or None); every source failing is one DataError."""
    failures = []
    for base in tried:
        url = file_urls(base)[name]
        try:
            got = download(url, tmp, timeout, progress)
            counts = verify(url, tmp, name, got, expected)
        except DataError as e:
            failures.append(str(e))
            log(f"  {name}: {e}" + ("; trying the next source" if base != tried[-1] else ""))
            continue
        log(f"  {name}: sha256 {got} from {url} ({manifest.judge(name, got)}, checked against {expected[2]})")
        return got, url, counts
    if len(failures) == 1:
        raise DataError(failures[0])
    raise DataError(f"{name}: every source failed ({len(failures)} tried; the last: {failures[-1]})")


def parse_sha_args(values):
    """['NAME=HEX', ...] -> {NAME: hex}; a malformed value is a usage error."""
    out = {}
    for v in values or []:
        name, sep, hexdigest = v.partition("=")
        if not sep or len(hexdigest) != 64 or any(c not in "0123456789abcdefABCDEF" for c in hexdigest):
            raise DataError(f"--sha256 {v!r}: expected NAME=<64 hex digits>")
        if name not in FILES:
            raise DataError(f"--sha256 {v!r}: NAME is one of {', '.join(FILES)}")
        out[name] = hexdigest.lower()
    return out
