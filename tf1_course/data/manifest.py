"""``manifest.json`` in the data directory: what each file is, where it came from, its sha256.

Each entry records ``provenance``, one of:

- ``course``              the course's own file: its sha256 is the one the course published
- ``rebuilt-from-jpegs``  written by ``tf1-course data build`` from the SIGNS photos
- ``unverified``          anything else (a file from another server, a hand-made one, a changed one)

:func:`provenance` gives the same verdict for the files on disk now (plus ``missing``), for
reports: it re-hashes them, so a file changed since it was written is not taken for what it was.
"""

from collections import namedtuple
from pathlib import Path

from tf1_course.data.paths import (DEV_FILE, FOOTBALL_FILE, MANIFEST_FILE, TEST_FILE, TRAIN_FILE,
                                   TRAIN_MINUS_DEV_FILE)
from tf1_course.core.fileio import read_json, sha256

CourseFile = namedtuple("CourseFile", ["sha256", "size"])
# The digests and sizes of the files the course ships (the same bytes in every copy of the course).
COURSE_FILES = {
    TRAIN_FILE: CourseFile("47480709d99f2ea6ae428ecc491fc6f65ff1d05336736dd859d5565e0ad3cf74", 13281872),
    TEST_FILE: CourseFile("539fb746ed9e947eb244cfca73f4d1b03f9bf5524d609eeed2cd76ddb1b179be", 1477712),
    FOOTBALL_FILE: CourseFile("1218828095bf91d215622d00b2a5b8784c359e29d9d9c5734949b8e60c5bc231", 6038),
}
COURSE, REBUILT, UNVERIFIED, MISSING = "course", "rebuilt-from-jpegs", "unverified", "missing"
# provenance() keys -> file names
FILES = {"train": TRAIN_FILE, "test": TEST_FILE, "train_minus_dev": TRAIN_MINUS_DEV_FILE,
         "dev": DEV_FILE, "football": FOOTBALL_FILE}


def judge(name, digest, built=False):
    """The provenance of file ``name`` with sha256 ``digest``; ``built``: data build wrote it."""
    if name in COURSE_FILES and digest == COURSE_FILES[name].sha256:
        return COURSE
    return REBUILT if built else UNVERIFIED


def entry(path, origin, built=False, counts=None, name=None, digest=None):
    """What manifest.json records of one file (``path`` may be the temporary file of ``name``).

    ``counts``: examples per class of an h5 split (:func:`tf1_course.data.h5.class_counts`);
    ``digest``: its sha256 when the caller already has it.
    """
    digest = digest or sha256(path)
    out = {"sha256": digest, "bytes": Path(path).stat().st_size, "origin": origin,
           "provenance": judge(name or Path(path).name, digest, built)}
    if counts is not None:
        out["examples"] = sum(counts)
        out["class_counts"] = {str(c): n for c, n in enumerate(counts)}
    return out


def read(data_dir):
    """The manifest dict of ``data_dir``, or None when there is none (or it is unreadable)."""
    try:
        doc = read_json(Path(data_dir) / MANIFEST_FILE)
    except (OSError, ValueError):
        return None
    files = doc.get("files") if isinstance(doc, dict) else None
    if not isinstance(files, dict) or not all(isinstance(e, dict) for e in files.values()):
        return None  # damaged: as if there were none (a build writes a new one)
    return doc


def kept_entries(data_dir, owned):
    """The entries of the current manifest for files not in ``owned`` that are still unchanged:
    a fetch keeps what a build recorded of the dev split, a build what a fetch recorded of data.mat."""
    files = (read(data_dir) or {}).get("files", {})
    return {name: e for name, e in files.items()
            if name not in owned and _unchanged(Path(data_dir) / name, e)}


def _unchanged(path, e):
    try:
        return path.is_file() and sha256(path) == e["sha256"]
    except (OSError, KeyError, TypeError):
        return False


def provenance(data_dir, keys=None):
    """{"train": v, "test": v, "train_minus_dev": v, "dev": v, "football": v} (or only ``keys``)
    for the files in ``data_dir`` now, each v one of "course", "rebuilt-from-jpegs", "unverified",
    "missing"."""
    data_dir = Path(data_dir)
    files = (read(data_dir) or {}).get("files", {})
    out = {}
    for key, name in FILES.items():
        if keys is not None and key not in keys:
            continue
        path, e = data_dir / name, files.get(name) or {}
        if not path.is_file():
            out[key] = MISSING
            continue
        digest = sha256(path)
        out[key] = judge(name, digest, built=e.get("sha256") == digest and e.get("provenance") == REBUILT)
    return out
