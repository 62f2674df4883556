import h5py
import numpy as np
import pytest

from tf1_course.data import h5
from tf1_course.core.errors import DataError


def _write_raw(path, **datasets):
    with h5py.File(path, "w") as f:
        for k, v in datasets.items():
            f.create_dataset(k, data=v)


def good(m=6):
    return dict(train_set_x=np.zeros((m, 64, 64, 3), np.uint8), train_set_y=np.arange(m) % 6,
                list_classes=np.arange(6))


def test_roundtrip_keeps_schema(tmp_path):
    x = np.random.RandomState(0).randint(0, 256, (7, 64, 64, 3)).astype(np.uint8)
    y = np.array([0, 1, 2, 3, 4, 5, 5])
    h5.write_split(tmp_path / "t.h5", "train", x, y)
    s = h5.load_split(tmp_path / "t.h5", "train")
    assert s.x.dtype == np.uint8 and s.y.dtype == np.int64 and s.classes.tolist() == list(range(6))
    np.testing.assert_array_equal(s.x, x)
    np.testing.assert_array_equal(s.y, y)
    with h5py.File(tmp_path / "t.h5") as f:
        assert sorted(f.keys()) == ["list_classes", "train_set_x", "train_set_y"]
        assert f["train_set_y"].dtype == np.int64


@pytest.mark.parametrize("change, needle", [
    (dict(train_set_x=np.zeros((6, 64, 64, 3), np.float32)), "dtype float32, expected uint8"),
    (dict(train_set_x=np.zeros((6, 32, 32, 3), np.uint8)), "expected (m, 64, 64, 3)"),
    (dict(train_set_y=np.arange(5)), "expected (6,)"),
    (dict(train_set_y=np.array([0, 1, 2, 3, 4, 6])), "labels 0..6, outside 0..5"),
    (dict(train_set_y=np.array([0, 1, 2, 3, 4, -1])), "outside 0..5"),
    (dict(list_classes=np.array([1, 2, 3, 4, 5, 6])), "list_classes is [1, 2, 3, 4, 5, 6]"),
    (dict(train_set_y=np.zeros(6, np.float64)), "expected int64"),
])
def test_schema_errors_name_file_and_problem(tmp_path, change, needle):
    path = tmp_path / "bad.h5"
    _write_raw(path, **{**good(), **change})
    with pytest.raises(DataError) as e:
        h5.load_split(path, "train")
    assert str(path) in str(e.value) and needle in str(e.value)


def test_missing_key_and_wrong_split(tmp_path):
    path = tmp_path / "t.h5"
    d = good()
    del d["list_classes"]
    _write_raw(path, **d)
    with pytest.raises(DataError, match="missing dataset.*list_classes"):
        h5.load_split(path, "train")
    with pytest.raises(DataError, match="test_set_x"):
        h5.load_split(path, "test")


def test_not_hdf5_and_missing_file(tmp_path):
    (tmp_path / "x.h5").write_text("hello")
    with pytest.raises(DataError, match="not a readable HDF5 file"):
        h5.load_split(tmp_path / "x.h5", "train")
    with pytest.raises(DataError, match="not found; build it with `tf1-course data build`"):
        h5.load_split(tmp_path / "nope.h5", "train")


def test_write_refuses_bad_data_and_leaves_nothing(tmp_path):
    with pytest.raises(DataError):
        h5.write_split(tmp_path / "t.h5", "train", np.zeros((2, 64, 64, 3)), np.array([0, 9]))
    assert list(tmp_path.iterdir()) == []
