import errno
import json
import os
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np
import pytest

from conftest import bundled_path, make_signs_tree, sign_image
from tf1_course.data import build, h5
from tf1_course.data.cli import main as data_main
from tf1_course.core.errors import DataError
from tf1_course.core.fileio import read_json, sha256
from tf1_course.data.images import load_image


def test_build_merges_val_into_train_and_builds_test(signs_tree, tmp_path):
    out = tmp_path / "out"
    manifest = build.build(signs_tree, out, log=lambda *_: None)
    train = h5.load_split(out / "train_signs.h5", "train")
    test = h5.load_split(out / "test_signs.h5", "test")
    assert train.x.shape == (6 * 4, 64, 64, 3) and test.x.shape == (12, 64, 64, 3)
    assert np.bincount(train.y).tolist() == [4] * 6
    files = manifest["files"]
    assert files["train_signs.h5"]["class_counts"] == {str(c): 4 for c in range(6)}
    assert files["train_signs.h5"]["sha256"] == sha256(out / "train_signs.h5")
    assert read_json(out / "manifest.json") == manifest
    # every stored image is the JPEG it came from, with the label its name gives
    decoded = {(int(l), tuple(x[30, 30])) for x, l in zip(train.x, train.y)}
    assert len(decoded) > 1


def test_shuffle_is_seeded(signs_tree, tmp_path):
    build.build(signs_tree, tmp_path / "a", log=lambda *_: None)
    build.build(signs_tree, tmp_path / "b", log=lambda *_: None)
    build.build(signs_tree, tmp_path / "c", seed=2, log=lambda *_: None)
    a, b, c = (h5.load_split(tmp_path / d / "train_signs.h5", "train").y for d in "abc")
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert sha256(tmp_path / "a" / "train_signs.h5") != ""
    assert not np.array_equal(a, np.sort(a))  # actually shuffled, not in file-name order


def test_course_test_h5_beside_the_tree_is_copied_unchanged(signs_tree, tmp_path):
    x = np.stack([sign_image(k % 6, k) for k in range(6)])
    h5.write_split(signs_tree / "test_signs.h5", "test", x, np.arange(6))
    out = tmp_path / "out"
    manifest = build.build(signs_tree, out, log=lambda *_: None)
    assert sha256(out / "test_signs.h5") == sha256(signs_tree / "test_signs.h5")
    assert "unchanged" in manifest["files"]["test_signs.h5"]["origin"]


def test_64x64_signs_layout_and_names_with_spaces(tmp_path):
    tree = make_signs_tree(tmp_path / "src" / "64x64_SIGNS", per_class=(2, 0, 1),
                           name_fmt="{label}_IMG_{k} (1).jpg")
    shutil.rmtree(tree / "val_signs")
    out = tmp_path / "out"
    build.build(tmp_path / "src", out, log=lambda *_: None)
    assert h5.load_split(out / "train_signs.h5", "train").x.shape[0] == 12


def test_up_to_date_build_is_skipped_and_force_rebuilds(signs_tree, tmp_path):
    out = tmp_path / "out"
    build.build(signs_tree, out, log=lambda *_: None)
    stamp = os.stat(out / "train_signs.h5").st_mtime_ns
    said = []
    build.build(signs_tree, out, log=said.append)
    assert "up to date" in said[0] and os.stat(out / "train_signs.h5").st_mtime_ns == stamp
    (signs_tree / "train_signs" / "0_IMG_tr0.jpg").unlink()  # the source changed: rebuild
    build.build(signs_tree, out, log=lambda *_: None)
    assert h5.load_split(out / "train_signs.h5", "train").x.shape[0] == 23


@pytest.mark.parametrize("name, needle", [("7_IMG_1.jpg", "label 7 is outside 0..5"),
                                          ("hand.jpg", "name is not {label}_IMG_{id}.jpg")])
def test_bad_names_are_reported(signs_tree, tmp_path, name, needle):
    shutil.copy(signs_tree / "train_signs" / "0_IMG_tr0.jpg", signs_tree / "train_signs" / name)
    with pytest.raises(DataError, match=needle.replace("{", r"\{").replace("}", r"\}")):
        build.build(signs_tree, tmp_path / "out", log=lambda *_: None)


def test_a_corrupt_jpeg_fails_without_touching_existing_output(signs_tree, tmp_path):
    out = tmp_path / "out"
    build.build(signs_tree, out, log=lambda *_: None)
    before = sha256(out / "train_signs.h5")
    (signs_tree / "train_signs" / "3_IMG_bad.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really")
    with pytest.raises(DataError, match="3_IMG_bad.jpg"):
        build.build(signs_tree, out, log=lambda *_: None)
    assert sha256(out / "train_signs.h5") == before
    assert not [p for p in out.iterdir() if p.name.endswith(".part")]


def test_cli_build_and_errors(signs_tree, tmp_path, capsys):
    assert data_main(["build", "--from", str(signs_tree), "--out", str(tmp_path / "o")]) == 0
    assert (tmp_path / "o" / "train_signs.h5").is_file()
    assert data_main(["info", "--out", str(tmp_path / "o")]) == 0
    assert "per class [4, 4, 4, 4, 4, 4]" in capsys.readouterr().out
    assert data_main(["build", "--from", str(tmp_path / "missing"), "--out", str(tmp_path / "p")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a directory" in err[0]


def test_source_search_order(monkeypatch, tmp_path, signs_tree):
    from tf1_course.data import paths

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(paths.SIGNS_SRC_ENV, str(signs_tree))
    assert paths.find_source() == signs_tree
    monkeypatch.setenv(paths.SIGNS_SRC_ENV, str(tmp_path / "nowhere"))
    (tmp_path / "datasets").mkdir()
    shutil.copytree(signs_tree, tmp_path / "datasets" / "signs")
    assert paths.find_source() == paths.data_dir() / "signs"
    cands = paths.source_candidates()
    assert cands[0] == tmp_path / "nowhere" and cands[1] == paths.data_dir() / "signs"
    assert cands[2:] == [bundled_path("signs")]  # the photos bundled with the package come last


def test_build_without_from_keeps_the_courses_own_training_file(monkeypatch, tmp_path, capsys, signs_tree):
    from conftest import make_h5_pair
    from tf1_course.data import manifest, paths

    monkeypatch.setattr(paths, "source_candidates", lambda: [tmp_path / "nowhere"])
    assert data_main(["build", "--out", str(tmp_path / "empty")]) == 2
    assert "no SIGNS source found" in capsys.readouterr().err
    monkeypatch.undo()
    fetched = make_h5_pair(tmp_path / "fetched")
    before = sha256(fetched / "train_signs.h5")
    # as if `data fetch` had put the course's own train_signs.h5 there
    monkeypatch.setitem(manifest.COURSE_FILES, "train_signs.h5", manifest.CourseFile(before, None))
    assert data_main(["build", "--out", str(fetched)]) == 0
    assert "holds the course's own train_signs.h5 (fetched): keeping it" in capsys.readouterr().out
    assert sha256(fetched / "train_signs.h5") == before
    assert data_main(["build", "--out", str(fetched), "--from", str(signs_tree)]) == 0  # asked for
    assert sha256(fetched / "train_signs.h5") != before


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def _rows(split):
    """The examples of a split as a sorted list of (label, image bytes): order-free comparison."""
    return sorted((int(label), x.tobytes()) for x, label in zip(split.x, split.y))


def test_dev_split_is_val_signs_and_train_is_unchanged(signs_tree, tmp_path):
    out = tmp_path / "out"
    doc = build.build(signs_tree, out, log=lambda *_: None)
    train, test = h5.load_dataset(out)
    rest, dev = h5.load_tuning_split(out)
    assert (len(rest.y), len(dev.y)) == (18, 6)  # train_signs/ 3 per class, val_signs/ 1
    assert sorted(_rows(rest) + _rows(dev)) == _rows(train)  # the same photos, split in two
    val = build.read_images(build.list_images(signs_tree / "val_signs"))
    assert sorted(zip(val[1].tolist(), (x.tobytes() for x in val[0]))) == _rows(dev)
    with h5py.File(out / "dev_signs.h5") as f:
        assert sorted(f.keys()) == ["dev_set_x", "dev_set_y", "list_classes"]
    assert set(doc["files"]) == {"train_signs.h5", "test_signs.h5", "train_minus_dev_signs.h5", "dev_signs.h5"}
    assert doc["files"]["dev_signs.h5"]["provenance"] == "rebuilt-from-jpegs"
    # train_signs.h5 is what it always was: all photos, train_signs/ then val_signs/, one seeded shuffle
    items = build.list_images(signs_tree / "train_signs") + build.list_images(signs_tree / "val_signs")
    order = np.random.RandomState(build.SHUFFLE_SEED).permutation(len(items))
    np.testing.assert_array_equal(train.x, np.stack([load_image(items[i][0]) for i in order]))
    np.testing.assert_array_equal(train.y, [items[i][1] for i in order])


def test_an_older_build_without_the_dev_split_is_not_up_to_date(signs_tree, tmp_path):
    out = tmp_path / "out"
    build.build(signs_tree, out, log=lambda *_: None)
    doc = read_json(out / "manifest.json")
    for name in ("dev_signs.h5", "train_minus_dev_signs.h5"):
        (out / name).unlink()
        del doc["files"][name]
    (out / "manifest.json").write_text(json.dumps(doc))
    said = []
    build.build(signs_tree, out, log=said.append)
    assert not any("up to date" in s for s in said)
    assert len(h5.load_tuning_split(out)[1].y) == 6


def test_without_val_signs_there_is_no_dev_split(signs_tree, tmp_path, capsys):
    out = tmp_path / "out"
    build.build(signs_tree, out, log=lambda *_: None)
    shutil.rmtree(signs_tree / "val_signs")
    said = []
    doc = build.build(signs_tree, out, log=said.append)
    assert set(doc["files"]) == {"train_signs.h5", "test_signs.h5"}
    assert not (out / "dev_signs.h5").exists() and any("no val_signs/" in s for s in said)
    with pytest.raises(DataError, match=r"no dev split .*`tf1-course data build`.*fetched course data set has none"):
        h5.load_tuning_split(out)
    assert data_main(["info", "--out", str(out)]) == 0
    assert "dev split: none" in capsys.readouterr().out


@pytest.mark.parametrize("keep_test", [False, True])
def test_a_set_missing_classes_is_refused_in_one_line(tmp_path, capsys, keep_test):
    tree = make_signs_tree(tmp_path / "src", per_class=(2, 1, 1))
    for folder in ("train_signs", "val_signs") + (() if keep_test else ("test_signs",)):
        for p in (tree / folder).iterdir():
            if not p.name.startswith("0_"):
                p.unlink()
    if keep_test:  # only the test set lacks class 4
        for p in (tree / "test_signs").glob("4_*"):
            p.unlink()
        for folder in ("train_signs", "val_signs"):
            shutil.copytree(make_signs_tree(tmp_path / f"full{folder}") / folder, tree / folder,
                            dirs_exist_ok=True)
    assert data_main(["build", "--from", str(tree), "--out", str(tmp_path / "out")]) == 2
    line = capsys.readouterr().err.strip().splitlines()
    assert len(line) == 1
    expected = "test_signs.h5 would have no images of class 4" if keep_test else \
        "train_signs.h5 would have no images of class 1, 2, 3, 4, 5"
    assert expected in line[0] and "nothing was written" in line[0]
    assert not (tmp_path / "out").exists()


def test_full_disk_is_one_line_and_leaves_the_previous_build(signs_tree, tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    build.build(signs_tree, out, log=lambda *_: None)
    before = _snapshot(out)
    write = h5.write_split_at

    def fill_the_disk(tmp, split, *args, **kwargs):  # the last file does not fit
        write(tmp, split, *args, **kwargs)
        if kwargs["name"].name == "test_signs.h5":
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(h5, "write_split_at", fill_the_disk)
    assert data_main(["build", "--from", str(signs_tree), "--out", str(out), "--force"]) == 2
    line = capsys.readouterr().err.strip().splitlines()
    assert len(line) == 1 and f"{out}: the disk is full" in line[0] and "nothing was written" in line[0]
    assert _snapshot(out) == before  # train_signs.h5 not replaced, manifest not updated, no .part


@pytest.fixture
def small_tmpfs(tmp_path):
    """A 256 kB tmpfs (needs root and CAP_SYS_ADMIN; skipped otherwise)."""
    mnt = tmp_path / "tmpfs"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mnt)], capture_output=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.decode().strip()}")
    yield mnt
    subprocess.run(["umount", str(mnt)], check=True)


def test_a_real_full_disk(signs_tree, small_tmpfs, capsys):
    out = small_tmpfs / "out"
    assert data_main(["build", "--from", str(signs_tree), "--out", str(out)]) == 2
    line = capsys.readouterr().err.strip().splitlines()
    assert len(line) == 1 and "the disk is full" in line[0]
    assert list(out.iterdir()) == []


def test_unwritable_folder_is_one_line_saying_what_to_do(signs_tree, tmp_path, monkeypatch, capsys):
    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "TemporaryFile", refuse)
    assert data_main(["build", "--from", str(signs_tree), "--out", str(tmp_path / "out")]) == 2
    line = capsys.readouterr().err.strip().splitlines()
    assert len(line) == 1
    assert f"is not writable by uid {os.getuid()}" in line[0]
    assert "--user $(id -u):$(id -g), or choose a writable --out" in line[0]


def test_a_really_read_only_folder(signs_tree, tmp_path):
    """chmod 555; as root (which writes anywhere) the command runs without CAP_DAC_OVERRIDE."""
    folder = tmp_path / "host"
    folder.mkdir()
    folder.chmod(0o555)
    cmd = [sys.executable, "-m", "tf1_course", "data", "build", "--from", str(signs_tree), "--out", str(folder)]
    if os.geteuid() == 0:
        if not shutil.which("setpriv"):
            pytest.skip("root without setpriv: cannot drop the right to write anywhere")
        cmd = ["setpriv", "--inh-caps=-dac_override,-dac_read_search",
               "--bounding-set=-dac_override,-dac_read_search"] + cmd
    r = subprocess.run(cmd, capture_output=True, text=True)
    folder.chmod(0o755)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{folder} is not writable by uid {os.getuid()}" in lines[0]
    assert list(folder.iterdir()) == []


def test_provenance_follows_the_files_on_disk(signs_tree, tmp_path):
    from tf1_course import data

    out = tmp_path / "out"
    build.build(signs_tree, out, log=lambda *_: None)
    assert data.provenance(out) == {"train": "rebuilt-from-jpegs", "test": "rebuilt-from-jpegs",
                                    "train_minus_dev": "rebuilt-from-jpegs", "dev": "rebuilt-from-jpegs",
                                    "football": "missing"}
    h5.write_split(out / "train_signs.h5", "train", np.stack([sign_image(c, 0) for c in range(6)]), np.arange(6))
    assert data.provenance(out)["train"] == "unverified"  # changed since the build wrote it


def test_a_build_keeps_what_a_fetch_recorded_of_other_files(signs_tree, tmp_path):
    out = tmp_path / "out"
    build.build(signs_tree, out, log=lambda *_: None)
    (out / "data.mat").write_bytes(b"football")
    doc = read_json(out / "manifest.json")
    doc["files"]["data.mat"] = {"sha256": sha256(out / "data.mat"), "origin": "http://x/data.mat"}
    (out / "manifest.json").write_text(json.dumps(doc))
    assert "data.mat" in build.build(signs_tree, out, force=True, log=lambda *_: None)["files"]
    (out / "data.mat").write_bytes(b"changed")  # no longer what was recorded: dropped
    assert "data.mat" not in build.build(signs_tree, out, force=True, log=lambda *_: None)["files"]


def test_photos_with_the_same_pixels_are_warned_about(signs_tree, tmp_path):
    """A copy inside one split counts twice; a test or dev photo equal to a training one is scored
    as if unseen. The bundled SIGNS photos have both (docs/data.md has the counts)."""
    train, val, test = (signs_tree / d for d in ("train_signs", "val_signs", "test_signs"))
    shutil.copy(train / "2_IMG_tr0.jpg", train / "2_IMG_tr0 (1).jpg")  # a copy in train
    shutil.copy(train / "4_IMG_tr1.jpg", val / "4_IMG_copy.jpg")  # train photo also in dev
    shutil.copy(train / "5_IMG_tr2.jpg", test / "5_IMG_copy.jpg")  # train photo also in test
    lines = []
    build.build(signs_tree, tmp_path / "out", log=lines.append)
    warnings = [line for line in lines if line.startswith("warning: ")]
    assert any("train_signs.h5: 2 photo(s) with the same pixels as another in it" in w for w in warnings)
    assert any("1 photo(s) of test_signs.h5 have the same pixels as one of train_signs.h5, e.g. "
               "test_signs/5_IMG_copy.jpg = train_signs/5_IMG_tr2.jpg" in w for w in warnings)
    assert any("1 photo(s) of dev_signs.h5 have the same pixels as one of train_minus_dev_signs.h5" in w
               for w in warnings)
    clean = make_signs_tree(tmp_path / "clean")
    lines = []
    build.build(clean, tmp_path / "out2", log=lines.append)
    assert not [line for line in lines if line.startswith("warning")]
