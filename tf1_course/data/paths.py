"""Where the data lives, what a SIGNS source tree looks like, and where a course file is found.

Built and fetched files go to the data directory: ``$TF1_COURSE_DATA_DIR`` if set, else
``datasets/`` in the current directory (the project root when you use the Makefile).

When ``tf1-course data build`` is given no ``--from``, the SIGNS source is searched in this order:

1. ``$TF1_COURSE_SIGNS_DIR``
2. ``datasets/signs`` (a copy you put in the data directory)
3. the SIGNS photos bundled with the package (:mod:`tf1_course.data.bundle`)

A source is a folder holding ``train_signs/`` (and optionally ``val_signs/``, ``test_signs/``), or
one holding ``64x64_SIGNS/`` with those inside, optionally with the course's ``test_signs.h5``.

A course file (the football ``data.mat``, ``test_signs.h5``) is looked for in the data directory
first, where ``tf1-course data fetch`` puts it, then among the bundled files (:func:`find_course_file`).
"""

import os
from pathlib import Path

from tf1_course.core.errors import DataError

DATA_DIR_ENV = "TF1_COURSE_DATA_DIR"
SIGNS_SRC_ENV = "TF1_COURSE_SIGNS_DIR"
TRAIN_FILE = "train_signs.h5"
TEST_FILE = "test_signs.h5"
DEV_FILE = "dev_signs.h5"  # the 216 photos of val_signs/ (split name "dev")
TRAIN_MINUS_DEV_FILE = "train_minus_dev_signs.h5"  # the other 864 (split name "train")
FOOTBALL_FILE = "data.mat"  # the regularization lab's 2-D data set
MANIFEST_FILE = "manifest.json"
SUBDIR = {TRAIN_FILE: "signs", TEST_FILE: "signs", FOOTBALL_FILE: "football"}  # the bundle's layout


def data_dir(override=None):
    """The directory holding train_signs.h5 / test_signs.h5."""
    return Path(override or os.environ.get(DATA_DIR_ENV) or "datasets")


def _unique(paths):
    seen, out = set(), []
    for p in paths:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def course_file_candidates(name, env=None):
    """Where the course file ``name`` is looked for: ``$env``, the data directory (also its
    ``football/`` or ``signs/`` subfolder, the bundle's layout), then the bundled copy."""
    from tf1_course.data import bundle

    sub = Path(SUBDIR.get(name, "")) / name
    out = [Path(os.environ[env])] if env and os.environ.get(env) else []
    out += [data_dir() / name, data_dir() / sub]
    return out + ([bundle.path(bundle.COURSE_FILES[name])] if name in bundle.COURSE_FILES else [])


def find_course_file(name, env=None):
    """The first of :func:`course_file_candidates` that is a file, or None."""
    return next((p for p in course_file_candidates(name, env) if p.is_file()), None)


def find_tree(src):
    """Locate the parts of a SIGNS source. Returns (train_dirs, test_dir or None, test_h5 or None).

    ``src`` holds ``train_signs/`` (``val_signs/`` and ``test_signs/`` optional), or holds
    ``64x64_SIGNS/`` with them inside; a ``test_signs.h5`` in either folder is the course's test set.
    """
    src = Path(src)
    if not src.is_dir():
        raise DataError(f"{src}: not a directory")
    root = src / "64x64_SIGNS" if (src / "64x64_SIGNS").is_dir() else src
    if not (root / "train_signs").is_dir():
        raise DataError(f"{src}: no train_signs/ folder (nor 64x64_SIGNS/train_signs/)")
    train_dirs = [root / d for d in ("train_signs", "val_signs") if (root / d).is_dir()]
    test_dir = root / "test_signs" if (root / "test_signs").is_dir() else None
    test_h5 = next((p for p in (src / TEST_FILE, root / TEST_FILE) if p.is_file()), None)
    return train_dirs, test_dir, test_h5


def source_candidates():
    """The places searched for a SIGNS source tree, in order (see the module docstring)."""
    from tf1_course.data import bundle

    out = [Path(os.environ[SIGNS_SRC_ENV])] if os.environ.get(SIGNS_SRC_ENV) else []
    out.append(data_dir() / "signs")
    return _unique(out + [bundle.path(bundle.SIGNS)])


def find_source():
    """The first candidate that is a SIGNS tree, else a DataError listing where we looked."""
    for cand in source_candidates():
        if cand.is_dir():
            try:
                find_tree(cand)
                return cand
            except DataError:
                continue
    looked = ", ".join(str(p) for p in source_candidates())
    raise DataError(f"no SIGNS source found (looked in {looked}); pass --from DIR, "
                    f"set {SIGNS_SRC_ENV}, or download the course's files with `tf1-course data fetch`")
