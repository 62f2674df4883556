"""``tf1-course data build``: the SIGNS JPEG tree -> datasets/train_signs.h5 and test_signs.h5.

The course ships train_signs.h5 (1080 images) and test_signs.h5 (120). Here the training file is
rebuilt from the 64x64 JPEGs: ``train_signs/`` + ``val_signs/`` (864 + 216 = the course's 1080),
read with :func:`tf1_course.images.load_image` (the same function predict uses), in a fixed seeded
shuffle. The test set is the course's own ``test_signs.h5``, copied unchanged, when it is given
(``--test-h5``) or found beside the tree; otherwise it is built from ``test_signs/`` the same way.
Files are written atomically, then ``manifest.json`` records sha256 and class counts.
"""

import datetime
import hashlib
import re
import shutil
from pathlib import Path

import numpy as np

from tf1_course.data import h5, manifest
from tf1_course.data.paths import MANIFEST_FILE, TEST_FILE, TRAIN_FILE, find_tree
from tf1_course.errors import DataError
from tf1_course.fileio import atomic_path, read_json, sha256, write_json
from tf1_course.images import load_image

NAME_RE = re.compile(r"^(\d+)_IMG_.+\.jpe?g$", re.IGNORECASE)  # {label}_IMG_{id}.jpg, spaces allowed
IMAGE_SUFFIXES = (".jpg", ".jpeg")
SHUFFLE_SEED = 1


def list_images(folder):
    """Sorted [(path, label)] of the SIGNS JPEGs in ``folder``; other files are ignored."""
    out = []
    for p in sorted(Path(folder).iterdir()):
        if not p.is_file() or p.suffix.lower() not in IMAGE_SUFFIXES:
            continue
        match = NAME_RE.match(p.name)
        if not match:
            raise DataError(f"{p}: name is not {{label}}_IMG_{{id}}.jpg")
        label = int(match.group(1))
        if not 0 <= label < h5.NUM_CLASSES:
            raise DataError(f"{p}: label {label} is outside 0..{h5.NUM_CLASSES - 1}")
        out.append((p, label))
    if not out:
        raise DataError(f"{folder}: no {{label}}_IMG_{{id}}.jpg images")
    return out


def read_images(items, seed=SHUFFLE_SEED):
    """Load [(path, label)] in a seeded shuffle. Returns (x uint8 [m,64,64,3], y int64 [m])."""
    order = np.random.RandomState(seed).permutation(len(items))
    x = np.stack([load_image(items[i][0]) for i in order])
    y = np.array([items[i][1] for i in order], dtype=np.int64)
    return x, y


def fingerprint(paths):
    """sha256 over the names and bytes of the source files: a rebuild is skipped when it matches."""
    h = hashlib.sha256()
    for p in sorted(paths, key=lambda p: (p.parent.name, p.name)):
        h.update(f"{p.parent.name}/{p.name}\0".encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def is_up_to_date(out_dir, source_fp):
    """True when out_dir holds files this exact source built and they are unchanged."""
    out_dir = Path(out_dir)
    try:
        manifest = read_json(out_dir / MANIFEST_FILE)
        return manifest.get("source_fingerprint") == source_fp and all(
            sha256(out_dir / name) == entry["sha256"] for name, entry in manifest["files"].items())
    except (OSError, ValueError, KeyError, TypeError):
        return False


def build(src, out_dir, test_h5=None, seed=SHUFFLE_SEED, force=False, log=print):
    """Build ``out_dir``/train_signs.h5 and test_signs.h5 from the SIGNS tree ``src``.

    Returns the manifest dict. Skips the work (and says so) when the manifest shows the same
    source already built, unless ``force``.
    """
    out_dir = Path(out_dir)
    train_dirs, test_dir, found_h5 = find_tree(src)
    test_h5 = Path(test_h5) if test_h5 else found_h5
    if test_h5 is None and test_dir is None:
        raise DataError(f"{src}: no test set (neither test_signs.h5 nor test_signs/); pass --test-h5")
    train_items = [item for d in train_dirs for item in list_images(d)]
    test_items = [] if test_h5 else list_images(test_dir)
    source_files = [p for p, _ in train_items + test_items] + ([test_h5] if test_h5 else [])
    source_fp = fingerprint(source_files) + f"-seed{seed}"
    if not force and is_up_to_date(out_dir, source_fp):
        log(f"{out_dir}: up to date with {src} (use --force to rebuild)")
        return read_json(out_dir / MANIFEST_FILE)

    log(f"reading {len(train_items)} training images from {', '.join(d.name for d in train_dirs)} ...")
    x_train, y_train = read_images(train_items, seed)
    if test_h5:
        test = h5.load_split(test_h5, "test")  # validated before it is copied
        y_test, test_origin = test.y, f"{test_h5} (the course's file, copied unchanged)"
    else:
        log(f"reading {len(test_items)} test images from {test_dir.name} ...")
        x_test, y_test = read_images(test_items, seed)
        test_origin = f"{test_dir} (built from JPEGs)"

    out_dir.mkdir(parents=True, exist_ok=True)
    h5.write_split(out_dir / TRAIN_FILE, "train", x_train, y_train)
    if test_h5:
        with atomic_path(out_dir / TEST_FILE) as tmp:
            shutil.copyfile(test_h5, tmp)
    else:
        h5.write_split(out_dir / TEST_FILE, "test", x_test, y_test)

    doc = {
        "source": str(src),
        "source_fingerprint": source_fp,
        "shuffle_seed": seed,
        "built": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "files": {
            TRAIN_FILE: manifest.entry(out_dir / TRAIN_FILE,
                                       " + ".join(str(d) for d in train_dirs) + " (built from JPEGs)",
                                       built=True, counts=h5.class_counts(y_train)),
            TEST_FILE: manifest.entry(out_dir / TEST_FILE, test_origin, built=test_h5 is None,
                                      counts=h5.class_counts(y_test)),
        },
    }
    write_json(out_dir / MANIFEST_FILE, doc)
    for name, entry in doc["files"].items():
        log(f"wrote {out_dir / name}: {entry['examples']} examples, "
            f"per class {list(entry['class_counts'].values())}, sha256 {entry['sha256'][:12]}...")
    return doc
