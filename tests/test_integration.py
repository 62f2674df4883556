"""The real data bundled with the package: build the data set, train a few epochs, predict on a real photo."""

import numpy as np
import pytest

from conftest import bundled_path
from tf1_course.signs import predict, train
from tf1_course import data
from tf1_course.data import build, h5
from tf1_course.core.fileio import read_json, sha256

pytestmark = pytest.mark.integration
COURSE_TEST_SHA256 = "539fb746ed9e947eb244cfca73f4d1b03f9bf5524d609eeed2cd76ddb1b179be"


@pytest.fixture(scope="module")
def real_data(tmp_path_factory):
    src = bundled_path("signs")
    out = tmp_path_factory.mktemp("signs")
    build.build(src, out, log=lambda *_: None)
    return out


def test_build_from_the_real_tree(real_data):
    train_set = h5.load_split(real_data / "train_signs.h5", "train")
    test_set = h5.load_split(real_data / "test_signs.h5", "test")
    assert train_set.x.shape == (1080, 64, 64, 3) and test_set.x.shape == (120, 64, 64, 3)
    assert np.bincount(train_set.y).tolist() == [180] * 6
    assert np.bincount(test_set.y).tolist() == [20] * 6
    assert sha256(real_data / "test_signs.h5") == COURSE_TEST_SHA256


def test_the_dev_split_of_the_real_tree(real_data):
    train_set, _ = h5.load_dataset(real_data)
    rest, dev = h5.load_tuning_split(real_data)
    assert rest.x.shape == (864, 64, 64, 3) and dev.x.shape == (216, 64, 64, 3)
    assert min(h5.class_counts(dev.y)) > 0 and min(h5.class_counts(rest.y)) > 0

    def rows(s):
        return sorted((int(label), x.tobytes()) for x, label in zip(s.x, s.y))

    assert sorted(rows(rest) + rows(dev)) == rows(train_set)  # the same 1080 photos, in two parts
    assert data.provenance(real_data) == {"train": "rebuilt-from-jpegs", "test": "course",
                                          "train_minus_dev": "rebuilt-from-jpegs",
                                          "dev": "rebuilt-from-jpegs", "football": "missing"}


def test_train_a_few_epochs_cost_falls_and_predict_a_real_photo(real_data, tmp_path, capsys):
    run = tmp_path / "run"
    assert train.main(["--run-dir", str(run), "--data-dir", str(real_data), "--epochs", "4",
                       "--print-every", "1", "--device", "cpu"]) == 0
    costs = read_json(run / "metrics.json")["costs"]
    assert costs[-1] < costs[0]
    # the course's first printed cost is 1.855702 on its h5; ours is the JPEG rebuild of the same photos
    assert abs(costs[0] - 1.855702) < 0.05
    photo = bundled_path("images/thumbs_up.jpg")
    assert predict.main([str(photo), "--run-dir", str(run), "--json"]) == 0
    assert '"prediction"' in capsys.readouterr().out
