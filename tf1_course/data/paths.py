"""Where the data lives, and where a SIGNS source tree is looked for.

Built files go to the data directory: ``$TF1_COURSE_DATA_DIR`` if set, else ``datasets/`` in the
current directory (the project root when you use the Makefile).

When ``tf1-course data build`` is given no ``--from``, the SIGNS source is searched in this order:

1. ``$TF1_COURSE_SIGNS_DIR``
2. ``datasets/signs`` (a copy you put in the data directory)
3. ``../shared/datasets/signs`` beside the checkout (this project's shared data folder)

A source is a folder holding ``train_signs/`` (and optionally ``val_signs/``, ``test_signs/``), or
one holding ``64x64_SIGNS/`` with those inside, optionally with the course's ``test_signs.h5``.
"""

import os
from pathlib import Path

from tf1_course.errors import DataError

DATA_DIR_ENV = "TF1_COURSE_DATA_DIR"
SIGNS_SRC_ENV = "TF1_COURSE_SIGNS_DIR"
TRAIN_FILE = "train_signs.h5"
TEST_FILE = "test_signs.h5"
MANIFEST_FILE = "manifest.json"

CHECKOUT = Path(__file__).resolve().parents[2]  # the repository root, when run from a checkout


def data_dir(override=None):
    """The directory holding train_signs.h5 / test_signs.h5."""
    return Path(override or os.environ.get(DATA_DIR_ENV) or "datasets")


def source_candidates():
    """The places searched for a SIGNS source tree, in order (see the module docstring)."""
    out = []
    if os.environ.get(SIGNS_SRC_ENV):
        out.append(Path(os.environ[SIGNS_SRC_ENV]))
    out.append(data_dir() / "signs")
    out.append(Path("..") / "shared" / "datasets" / "signs")
    out.append(CHECKOUT.parent / "shared" / "datasets" / "signs")
    seen, unique = set(), []
    for p in out:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return unique


def find_source():
    """The first candidate that is a SIGNS tree, else a DataError listing where we looked."""
    from tf1_course.data.build import find_tree

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
