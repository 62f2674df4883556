"""The data that ships with the package: every file pinned by sha256 in SHA256SUMS, the course's
own files by the digests the course published, and the SIGNS photos in their three folders."""

import shutil
from collections import Counter

import pytest

from tf1_course.data import bundle, manifest, paths


def test_every_bundled_file_has_its_pinned_sha256_and_nothing_else_is_there():
    assert bundle.verify() == []
    assert len(bundle.sums()) == 1203  # 1,200 photos, test_signs.h5, data.mat, the phone photo


def test_the_course_files_are_the_ones_the_course_published():
    pinned = bundle.sums()
    for name, relative in bundle.COURSE_FILES.items():
        assert pinned[relative] == manifest.COURSE_FILES[name].sha256
        assert bundle.path(relative).stat().st_size == manifest.COURSE_FILES[name].size
    assert paths.TEST_FILE in bundle.COURSE_FILES and paths.FOOTBALL_FILE in bundle.COURSE_FILES


def test_the_signs_photos_are_the_courses_1200_in_three_folders():
    photos = [name.split("/") for name in bundle.sums() if name.endswith(".jpg") and name.startswith("signs/")]
    folders = Counter(parts[2] for parts in photos)
    assert folders == {"train_signs": 864, "val_signs": 216, "test_signs": 120}
    labels = Counter((parts[2] == "test_signs", parts[3].split("_")[0]) for parts in photos)
    assert all(labels[(False, str(c))] == 180 and labels[(True, str(c))] == 20 for c in range(6))
    assert bundle.photo().is_file() and bundle.photo().stat().st_size > 500_000


@pytest.mark.parametrize("damage", ["change", "remove", "add"])
def test_verify_names_a_changed_missing_or_unlisted_file(tmp_path, damage):
    copy = tmp_path / "bundled"
    shutil.copytree(bundle.root() / "football", copy / "football")
    (copy / bundle.SUMS_FILE).write_text(
        "".join(f"{h}  {n}\n" for n, h in bundle.sums().items() if n.startswith("football/")))
    assert bundle.verify(copy) == []
    target = copy / "football" / "data.mat"
    if damage == "change":
        target.write_bytes(target.read_bytes()[:-1] + b"\0")
    elif damage == "remove":
        target.unlink()
    else:
        (copy / "football" / "notes.txt").write_text("x")
    expected = {"change": ("football/data.mat", "changed"), "remove": ("football/data.mat", "missing"),
                "add": ("football/notes.txt", "not listed")}[damage]
    assert bundle.verify(copy) == [expected]
