"""Where course files and SIGNS sources are found, and what importing the data code costs."""

import shutil
import subprocess
import sys

from conftest import bundled_path
from tf1_course.data import paths


def test_course_file_is_found_in_the_data_dir_before_the_bundled_copy(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(paths.DATA_DIR_ENV, raising=False)
    assert paths.find_course_file("data.mat") == bundled_path("football/data.mat")
    assert paths.find_course_file("test_signs.h5") == bundled_path("signs/test_signs.h5")
    assert paths.find_course_file("train_signs.h5") is None  # not bundled: built, or fetched
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "data.mat").write_bytes(b"fetched")  # where `data fetch` puts it
    assert paths.find_course_file("data.mat") == paths.data_dir() / "data.mat"
    monkeypatch.setenv("SOME_ENV", str(tmp_path / "mine.mat"))
    (tmp_path / "mine.mat").write_bytes(b"mine")
    assert paths.find_course_file("data.mat", env="SOME_ENV") == tmp_path / "mine.mat"


def test_the_bundled_signs_tree_is_the_last_source(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(paths.DATA_DIR_ENV, raising=False)
    monkeypatch.delenv(paths.SIGNS_SRC_ENV, raising=False)
    assert paths.find_source() == bundled_path("signs")
    train_dirs, test_dir, test_h5 = paths.find_tree(paths.find_source())
    assert [d.name for d in train_dirs] == ["train_signs", "val_signs"] and test_dir.name == "test_signs"
    assert test_h5 == bundled_path("signs/test_signs.h5")


def test_data2d_uses_the_same_search(tmp_path, monkeypatch):
    from tf1_course.labs import data2d

    monkeypatch.setenv(paths.DATA_DIR_ENV, str(tmp_path))
    monkeypatch.delenv(data2d.FOOTBALL_ENV, raising=False)
    shutil.copy(bundled_path("football/data.mat"), tmp_path / "data.mat")
    assert data2d.find_football() == tmp_path / "data.mat"
    assert data2d.load_football().X_train.shape == (2, 211)


def _imports_after(code):
    r = subprocess.run([sys.executable, "-c", code + "\nimport sys; print(' '.join(sys.modules))"],
                       capture_output=True, text=True, check=True)
    return set(r.stdout.split())


def test_paths_does_not_import_build_and_the_data_cli_stays_light():
    loaded = _imports_after("from tf1_course.data import paths\n"
                            "try: paths.find_source()\nexcept Exception: pass")
    assert "tf1_course.data.build" not in loaded  # no paths -> build -> paths cycle
    loaded = _imports_after("import tf1_course.data.cli")
    assert not {"numpy", "h5py", "tensorflow"} & loaded  # `tf1-course data --help` stays fast
