"""The course's h5 schema for SIGNS, read and written exactly, and checked on every load.

A file for split ``train`` (resp. ``test``, ``dev``) holds:

- ``train_set_x``  uint8 - [m, 64, 64, 3]  RGB images
- ``train_set_y``  int64 - [m]             labels 0..5 (the number of fingers shown)
- ``list_classes`` int64 - [6]             0, 1, ..., 5

The data directory holds the course's two files and, after ``tf1-course data build``, a split of
the training photos for tuning hyperparameters without looking at the test set:

- ``train_signs.h5`` (split ``train``, 1080) and ``test_signs.h5`` (``test``, 120):
  :func:`load_dataset`, the course's ``load_dataset()``
- ``train_minus_dev_signs.h5`` (split ``train``, the 864 photos of ``train_signs/``) and
  ``dev_signs.h5`` (split ``dev``, the 216 of ``val_signs/``): :func:`load_tuning_split`.
  Together they are exactly the photos of ``train_signs.h5``. A fetched course data set has no
  dev split (the course's train file does not say which photos came from where).
"""

from collections import namedtuple
from pathlib import Path

import h5py
import numpy as np

from tf1_course.data.paths import DEV_FILE, TEST_FILE, TRAIN_FILE, TRAIN_MINUS_DEV_FILE
from tf1_course.core.errors import DataError
from tf1_course.core.fileio import atomic_path, not_a_regular_file

Split = namedtuple("Split", ["x", "y", "classes"])  # uint8 [m,64,64,3], int64 [m], int64 [C]
NUM_CLASSES = 6
IMAGE_SHAPE = (64, 64, 3)


def validate(path, split, x, y, classes):
    """Raise DataError naming ``path`` and the first thing that is not the course's schema."""
    def bad(what):
        raise DataError(f"{path}: {what}")

    if x.dtype != np.uint8:
        bad(f"{split}_set_x has dtype {x.dtype}, expected uint8")
    if x.ndim != 4 or x.shape[1:] != IMAGE_SHAPE:
        bad(f"{split}_set_x has shape {x.shape}, expected (m, 64, 64, 3)")
    if x.shape[0] == 0:
        bad(f"{split}_set_x holds no examples")
    if not np.issubdtype(y.dtype, np.integer):
        bad(f"{split}_set_y has dtype {y.dtype}, expected int64")
    if y.shape != (x.shape[0],):
        bad(f"{split}_set_y has shape {y.shape}, expected ({x.shape[0]},) to match {split}_set_x")
    if not np.issubdtype(classes.dtype, np.integer) or classes.ndim != 1 or len(classes) < 2:
        bad(f"list_classes is {classes.dtype} {classes.shape}, expected int64 (C,) with C >= 2")
    if not np.array_equal(classes, np.arange(len(classes))):
        bad(f"list_classes is {classes.tolist()}, expected 0..{len(classes) - 1}")
    lo, hi = int(y.min()), int(y.max())
    if lo < 0 or hi >= len(classes):
        bad(f"{split}_set_y has labels {lo}..{hi}, outside 0..{len(classes) - 1}")


def load_split(path, split, shown=None):
    """Read and validate one course h5 file. Returns Split(x, y, classes).

    Errors name ``shown`` (e.g. the URL a temporary file came from), else ``path``.
    """
    path = Path(path)
    shown = shown or path
    if not path.exists():
        raise DataError(f"{shown}: not found; build it with `tf1-course data build` "
                        f"(or `tf1-course data fetch`)")
    special = not_a_regular_file(path)
    if special:
        raise DataError(f"{shown}: is {special}, not an h5 file")
    try:
        with h5py.File(path, "r") as f:
            keys = [f"{split}_set_x", f"{split}_set_y", "list_classes"]
            missing = [k for k in keys if k not in f]
            if missing:
                raise DataError(f"{shown}: missing dataset(s) {', '.join(missing)} "
                                f"(has {', '.join(sorted(f.keys())) or 'nothing'})")
            x, y, classes = (np.asarray(f[k][()]) for k in keys)
    except DataError:
        raise
    except OSError as e:
        raise DataError(f"{shown}: not a readable HDF5 file ({str(e).splitlines()[0]})") from None
    validate(shown, split, x, y, classes)
    return Split(x, y.astype(np.int64), classes.astype(np.int64))


def split_name(path):
    """The split a course h5 file holds ("train", "dev", "test", ...): the one NAME with NAME_set_x
    and NAME_set_y. None or several is one DataError."""
    path = Path(path)
    try:
        with h5py.File(path, "r") as f:
            names = sorted(k[:-len("_set_x")] for k in f.keys() if k.endswith("_set_x") and
                           f"{k[:-len('_set_x')]}_set_y" in f)
    except OSError as e:
        raise DataError(f"{path}: not a readable HDF5 file ({str(e).splitlines()[0]})") from None
    if len(names) != 1:
        found = f"it has {', '.join(names)}" if names else "it has none"
        raise DataError(f"{path}: expected one split (NAME_set_x and NAME_set_y, the course's schema); {found}")
    return names[0]


def write_split(path, split, x, y, classes=None):
    """Write one split in the course's schema, atomically; validates first."""
    with atomic_path(path) as tmp:
        write_split_at(tmp, split, x, y, classes, name=path)


def write_split_at(tmp, split, x, y, classes=None, name=None):
    """Write one split to ``tmp`` as it is (a temporary file of :func:`fileio.atomic_paths`),
    after validating it; errors name ``name``, the file it will become."""
    x = np.asarray(x, dtype=np.uint8)
    y = np.asarray(y, dtype=np.int64)
    classes = np.arange(NUM_CLASSES, dtype=np.int64) if classes is None else np.asarray(classes, np.int64)
    validate(name or tmp, split, x, y, classes)
    with h5py.File(tmp, "w") as f:
        f.create_dataset(f"{split}_set_x", data=x)
        f.create_dataset(f"{split}_set_y", data=y)
        f.create_dataset("list_classes", data=classes)


def class_counts(y, num_classes=NUM_CLASSES):
    """Examples per class: [count of 0, count of 1, ...] (ints)."""
    return [int(n) for n in np.bincount(y, minlength=num_classes)]


def missing_classes(y, num_classes=NUM_CLASSES):
    """The classes 0..num_classes-1 with no example in ``y``."""
    return [c for c, n in enumerate(class_counts(y, num_classes)) if n == 0]


def load_dataset(data_dir):
    """The course's ``load_dataset()``: both splits from ``data_dir``. Returns (train, test) Splits."""
    data_dir = Path(data_dir)
    train = load_split(data_dir / TRAIN_FILE, "train")
    test = load_split(data_dir / TEST_FILE, "test")
    if len(train.classes) != len(test.classes):
        raise DataError(f"{data_dir}: train has {len(train.classes)} classes, test {len(test.classes)}")
    return train, test


def load_tuning_split(data_dir):
    """The dev split of the training photos. Returns (train_minus_dev, dev) Splits."""
    data_dir = Path(data_dir)
    absent = [n for n in (TRAIN_MINUS_DEV_FILE, DEV_FILE) if not (data_dir / n).is_file()]
    if absent:
        raise DataError(f"{data_dir}: no dev split ({', '.join(absent)} absent): build it from the "
                        f"SIGNS photos with `tf1-course data build` (a fetched course data set has none)")
    train = load_split(data_dir / TRAIN_MINUS_DEV_FILE, "train")
    dev = load_split(data_dir / DEV_FILE, "dev")
    if len(train.classes) != len(dev.classes):
        raise DataError(f"{data_dir}: train_minus_dev has {len(train.classes)} classes, dev {len(dev.classes)}")
    return train, dev
