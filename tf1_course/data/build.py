"""``tf1-course data build``: the SIGNS JPEG tree -> the course's h5 files and a dev split.

The course ships train_signs.h5 (1080 images) and test_signs.h5 (120). Here the training file is
rebuilt from the 64x64 JPEGs: ``train_signs/`` + ``val_signs/`` (864 + 216 = the course's 1080),
read with :func:`tf1_course.data.images.load_image` (the same function predict uses), in a fixed seeded
shuffle. The test set is the course's own ``test_signs.h5``, copied unchanged, when it is given
(``--test-h5``) or found beside the tree; otherwise it is built from ``test_signs/`` the same way.

With ``val_signs/`` the build also writes a split for tuning: ``dev_signs.h5`` (its 216 photos,
split ``dev``) and ``train_minus_dev_signs.h5`` (the 864 of ``train_signs/``), each in its own
seeded shuffle; ``train_signs.h5`` is the same file with or without them.

Every file must hold all 6 classes. All files and ``manifest.json`` (sha256, class counts,
provenance) are written to temporary files first and renamed into place only when every one of
them is complete: a failure (a bad photo, a full disk, Ctrl-C) leaves the folder as it was.
"""

import datetime
import hashlib
import re
import shutil
from collections import namedtuple
from pathlib import Path

import numpy as np

from tf1_course.data import h5, manifest
from tf1_course.data.paths import (DEV_FILE, MANIFEST_FILE, TEST_FILE, TRAIN_FILE, TRAIN_MINUS_DEV_FILE,
                                   find_tree)
from tf1_course.core.errors import DataError
from tf1_course.core.fileio import atomic_paths, check_writable, json_text, not_an_input_file, sha256, write_failure
from tf1_course.data.images import load_image

NAME_RE = re.compile(r"^(\d+)_IMG_.+\.jpe?g$", re.IGNORECASE)  # {label}_IMG_{id}.jpg, spaces allowed
IMAGE_SUFFIXES = (".jpg", ".jpeg")
SHUFFLE_SEED = 1
SIGNS_FILES = (TRAIN_FILE, TEST_FILE, TRAIN_MINUS_DEV_FILE, DEV_FILE)  # what a build owns
# One file to write: x, y for an h5 split, or copy_from (the course's test file, copied unchanged);
# origin: the folder(s) or file it comes from
Output = namedtuple("Output", ["name", "split", "x", "y", "origin", "copy_from"])


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


def read_images(items):
    """Load [(path, label)] in that order. Returns (x uint8 [m,64,64,3], y int64 [m])."""
    x = np.stack([load_image(path) for path, _ in items])
    y = np.array([label for _, label in items], dtype=np.int64)
    return x, y


def shuffled(x, y, seed=SHUFFLE_SEED):
    """(x, y) in the fixed order of ``RandomState(seed).permutation(m)``."""
    order = np.random.RandomState(seed).permutation(len(y))
    return x[order], y[order]


def fingerprint(paths):
    """sha256 over the names and bytes of the source files: a rebuild is skipped when it matches."""
    h = hashlib.sha256()
    for p in sorted(paths, key=lambda p: (p.parent.name, p.name)):
        h.update(f"{p.parent.name}/{p.name}\0".encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def is_up_to_date(out_dir, source_fp, names):
    """True when out_dir holds the files ``names`` this exact source built, all unchanged."""
    out_dir = Path(out_dir)
    try:
        doc = manifest.read(out_dir) or {}
        return doc.get("source_fingerprint") == source_fp and set(names) <= set(doc["files"]) and all(
            sha256(out_dir / name) == e["sha256"] for name, e in doc["files"].items())
    except (OSError, KeyError, TypeError):
        return False


def has_dev_split(train_dirs):
    """A dev split is made when the training photos come as train_signs/ + val_signs/."""
    return [d.name for d in train_dirs] == ["train_signs", "val_signs"]


def training_outputs(train_dirs, items_per_dir, x, y, seed):
    """The Outputs of train_signs.h5 and, with a dev split (:func:`has_dev_split`), of
    train_minus_dev_signs.h5 and dev_signs.h5, from the training photos read once (x, y)."""
    out = [Output(TRAIN_FILE, "train", *shuffled(x, y, seed), " + ".join(map(str, train_dirs)), None)]
    if has_dev_split(train_dirs):
        n = len(items_per_dir[0])
        out.append(Output(TRAIN_MINUS_DEV_FILE, "train", *shuffled(x[:n], y[:n], seed),
                          str(train_dirs[0]), None))
        out.append(Output(DEV_FILE, "dev", *shuffled(x[n:], y[n:], seed),
                          str(train_dirs[1]), None))
    return out


def output_of_test_set(test_h5, test_dir, test_items, seed):
    """The Output of test_signs.h5: the course's file copied unchanged, or built from test_signs/."""
    if test_h5:
        y = h5.load_split(test_h5, "test").y  # validated before it is copied
        return Output(TEST_FILE, "test", None, y, str(test_h5), test_h5)
    x, y = shuffled(*read_images(test_items), seed)
    return Output(TEST_FILE, "test", x, y, str(test_dir), None)


def _named(items, x):
    """([folder/name of each photo], x) for duplicate_warnings."""
    return [f"{p.parent.name}/{p.name}" for p, _ in items], x


def _by_pixels(names, x):
    """{sha256 of the pixels: [names]} of uint8 images x [m, 64, 64, 3]."""
    groups = {}
    for name, image in zip(names, x):
        groups.setdefault(hashlib.sha256(image.tobytes()).hexdigest(), []).append(name)
    return groups


def duplicate_warnings(named):
    """Lines on photos with the same pixels: repeated inside one file (they count twice), and
    shared between the files a model is scored on and the one it trains on (scored on seen photos).

    ``named``: {"train": (names, x), "test": (names, x)} and, with a dev split, "train_minus_dev"
    and "dev".
    """
    lines, groups = [], {role: _by_pixels(*value) for role, value in named.items()}
    files = {"train": TRAIN_FILE, "train_minus_dev": TRAIN_MINUS_DEV_FILE, "dev": DEV_FILE, "test": TEST_FILE}
    for role, found in groups.items():
        repeated = [g for g in found.values() if len(g) > 1]
        if repeated:
            extra = sum(len(g) - 1 for g in repeated)
            lines.append(f"{files[role]}: {extra} photo(s) with the same pixels as another in it, e.g. "
                         f"{' = '.join(repeated[0][:2])} (each counts as a separate example)")
    for scored, trained in (("test", "train"), ("dev", "train_minus_dev")):
        if scored in groups and trained in groups:
            shared = [(groups[scored][h][0], groups[trained][h][0]) for h in groups[scored] if h in groups[trained]]
            if shared:
                lines.append(f"{len(shared)} photo(s) of {files[scored]} have the same pixels as one of "
                             f"{files[trained]}, e.g. {shared[0][0]} = {shared[0][1]} (its accuracy is then "
                             f"partly on photos the model trained on)")
    return lines


def check_classes(outputs):
    """A DataError naming the first file that would lack a class, and which classes."""
    for o in outputs:
        missing = h5.missing_classes(o.y)
        if missing:
            raise DataError(f"{o.name} would have no images of class {', '.join(map(str, missing))} "
                            f"(source: {o.origin}): every split needs all {h5.NUM_CLASSES} classes; "
                            f"nothing was written")


def write_outputs(out_dir, outputs, info):
    """Write every Output and the manifest (``info`` + the files) together. Returns the manifest."""
    names = [o.name for o in outputs]
    kept = manifest.kept_entries(out_dir, owned=SIGNS_FILES)
    try:
        with atomic_paths([out_dir / n for n in names] + [out_dir / MANIFEST_FILE]) as tmps:
            files = {}
            for o, tmp in zip(outputs, tmps):
                if o.copy_from:
                    shutil.copyfile(o.copy_from, tmp)
                else:
                    h5.write_split_at(tmp, o.split, o.x, o.y, name=out_dir / o.name)
                how = "the course's file, copied unchanged" if o.copy_from else "built from JPEGs"
                files[o.name] = manifest.entry(tmp, f"{o.origin} ({how})", built=o.copy_from is None,
                                               counts=h5.class_counts(o.y), name=o.name)
            doc = {**info, "files": {**kept, **files}}
            tmps[-1].write_text(json_text(doc))
    except OSError as e:
        raise DataError(write_failure(e, out_dir)) from None
    return doc


def build(src, out_dir, test_h5=None, seed=SHUFFLE_SEED, force=False, log=print):
    """Build ``out_dir``/train_signs.h5, test_signs.h5 (and the dev split) from the SIGNS tree ``src``.

    Returns the manifest dict. Skips the work (and says so) when the manifest shows the same
    source already built, unless ``force``.
    """
    out_dir = Path(out_dir)
    train_dirs, test_dir, found_h5 = find_tree(src)
    why = test_h5 and not_an_input_file(test_h5)
    if why:
        raise DataError(f"--test-h5 {test_h5}: {why}")
    if not 0 <= seed < 2 ** 32:
        raise DataError(f"--seed must be 0 to {2 ** 32 - 1} (a NumPy seed), not {seed}")
    test_h5 = Path(test_h5) if test_h5 else found_h5
    if test_h5 is None and test_dir is None:
        raise DataError(f"{src}: no test set (neither test_signs.h5 nor test_signs/); pass --test-h5")
    check_writable(out_dir)  # before the slow part
    items_per_dir = [list_images(d) for d in train_dirs]
    test_items = [] if test_h5 else list_images(test_dir)
    sources = [p for items in items_per_dir + [test_items] for p, _ in items] + ([test_h5] if test_h5 else [])
    source_fp = fingerprint(sources) + f"-seed{seed}"
    names = SIGNS_FILES if has_dev_split(train_dirs) else (TRAIN_FILE, TEST_FILE)
    if not force and is_up_to_date(out_dir, source_fp, names):
        log(f"{out_dir}: up to date with {src} (use --force to rebuild)")
        return manifest.read(out_dir)

    log(f"reading {sum(map(len, items_per_dir))} training images from "
        f"{', '.join(d.name for d in train_dirs)} ...")
    train_items = [item for items in items_per_dir for item in items]
    x, y = read_images(train_items)
    outputs = training_outputs(train_dirs, items_per_dir, x, y, seed)
    if test_items:
        log(f"reading {len(test_items)} test images from {test_dir.name} ...")
    outputs.append(output_of_test_set(test_h5, test_dir, test_items, seed))
    check_classes(outputs)
    named = {"train": _named(train_items, x)}
    if has_dev_split(train_dirs):
        n = len(items_per_dir[0])
        named.update(train_minus_dev=_named(train_items[:n], x[:n]), dev=_named(train_items[n:], x[n:]))
    named["test"] = (_named(test_items, read_images(test_items)[0]) if test_items else
                     ([f"{test_h5.name}[{k}]" for k in range(len(outputs[-1].y))], h5.load_split(test_h5, "test").x))
    for line in duplicate_warnings(named):
        log(f"warning: {line}")
    info = {"source": str(src), "source_fingerprint": source_fp, "shuffle_seed": seed,
            "built": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
    doc = write_outputs(out_dir, outputs, info)
    for o in outputs:
        e = doc["files"][o.name]
        log(f"wrote {out_dir / o.name}: {e['examples']} examples, per class "
            f"{list(e['class_counts'].values())}, sha256 {e['sha256'][:12]}... ({e['provenance']})")
    if not has_dev_split(train_dirs):
        remove_stale_dev_split(out_dir, log)
    return doc


def remove_stale_dev_split(out_dir, log):
    """A source without val_signs/ has no dev split: remove one an earlier build left (it came
    from other photos than the train_signs.h5 just written)."""
    for name in (TRAIN_MINUS_DEV_FILE, DEV_FILE):
        if (out_dir / name).is_file():
            (out_dir / name).unlink()
            log(f"removed {out_dir / name}: this source has no val_signs/, so no dev split")
