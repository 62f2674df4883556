"""TensorBoard, read back with tensorboard's own EventAccumulator: a run's scalars and misclassified
photos, a resumed run's single curve, a study's HParams view; and `evaluate --gallery`."""

import io
import shutil

import numpy as np
import pytest
from conftest import make_tuning_data
from PIL import Image

from tf1_course.core.fileio import read_json
from tf1_course.signs import evaluate, gallery, training

SETTINGS = {"learning_rate": 0.003, "minibatch_size": 8, "print_every": 100, "save_every": 4, "eval_every": 2}


def events(folder):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    accumulator = EventAccumulator(str(folder), size_guidance={"images": 0, "scalars": 0, "tensors": 0})
    accumulator.Reload()
    return accumulator


def scalars(accumulator, tag):
    return {e.step: e.value for e in accumulator.Scalars(tag)}


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = make_tuning_data(tmp_path_factory.mktemp("tb") / "data", m_train=48, m_dev=24, m_test=18)
    shutil.copy(folder / "train_minus_dev_signs.h5", folder / "train_signs.h5")  # a course-like run too
    return folder


@pytest.fixture(scope="module")
def dev_run(data, tmp_path_factory):
    run = tmp_path_factory.mktemp("tb") / "run"
    flags = {**SETTINGS, "num_epochs": 7, "lr_decay": "exponential", "decay_rate": 0.9}
    assert training.train(run, flags, data, "cpu", dev=True, echo=False, show_progress=False).outcome == "finished"
    return run


def test_a_dev_run_writes_every_tag_with_the_runs_numbers(dev_run):
    from tf1_course.core import schedules

    metrics = read_json(dev_run / "metrics.json")
    tb = events(dev_run / "tensorboard")
    tags = tb.Tags()
    assert set(tags["scalars"]) == {"cost", "learning_rate", "accuracy/train", "accuracy/dev", "accuracy/test"}
    assert tags["graph"] and tags["images"] == ["misclassified/test"]
    np.testing.assert_allclose(list(scalars(tb, "cost").values()), metrics["costs"], rtol=1e-6)
    assert list(scalars(tb, "cost")) == list(range(7))
    rates = [schedules.rate("exponential", 0.003, schedules.epoch_num_of(e), 0.9) for e in range(7)]
    np.testing.assert_allclose(list(scalars(tb, "learning_rate").values()), rates, rtol=1e-6)
    for role in ("train", "dev"):  # after 2, 4, 6 and 7 epochs: steps 1, 3, 5, 6
        want = {e["epoch"] - 1: e[role] for e in metrics["evaluations"]}
        assert list(want) == [1, 3, 5, 6]
        np.testing.assert_allclose(list(scalars(tb, f"accuracy/{role}").values()), list(want.values()), rtol=1e-6)
        assert list(scalars(tb, f"accuracy/{role}")) == list(want)
    test = scalars(tb, "accuracy/test")  # at the end (the last weights), and the best checkpoint's at its epoch
    assert test[6] == pytest.approx(metrics["test_accuracy"], abs=1e-6)
    best = metrics.get("best")
    if best and best["epoch"] != 7:
        assert test[best["epoch"] - 1] == pytest.approx(best["test_accuracy"], abs=1e-6)
    image = tb.Images("misclassified/test")[0]
    assert Image.open(io.BytesIO(image.encoded_image_string)).size == (image.width, image.height)
    assert image.step == (best["epoch"] if best else 7) - 1


def test_a_course_run_has_no_dev_tag_and_eval_test_puts_test_at_every_evaluation(data, tmp_path):
    flags = {**SETTINGS, "num_epochs": 4}
    assert training.train(tmp_path / "a", flags, data, "cpu", echo=False, show_progress=False).outcome == "finished"
    tb = events(tmp_path / "a" / "tensorboard")
    assert set(tb.Tags()["scalars"]) == {"cost", "learning_rate", "accuracy/train", "accuracy/test"}
    assert list(scalars(tb, "learning_rate").values()) == [pytest.approx(0.003)] * 4
    assert list(scalars(tb, "accuracy/test")) == [3]  # at the end only
    training.train(tmp_path / "b", {**flags, "eval_test": True}, data, "cpu", echo=False, show_progress=False)
    assert list(scalars(events(tmp_path / "b" / "tensorboard"), "accuracy/test")) == [1, 3]


def test_a_run_resumed_after_a_crash_shows_one_curve(data, tmp_path):
    """Killed after epoch 6 (its last checkpoint: 4; a best checkpoint saved at 6), then resumed:
    TensorBoard drops what came after the checkpoint, and the resumed run ends as an uninterrupted one."""
    flags = {**SETTINGS, "num_epochs": 10}

    def crash(epoch, cost, scores):
        if epoch == 5:
            raise RuntimeError("the machine went down")

    whole = training.train(tmp_path / "whole", flags, data, "cpu", dev=True, echo=False, show_progress=False)
    with pytest.raises(RuntimeError):
        training.train(tmp_path / "run", flags, data, "cpu", dev=True, on_epoch=crash, echo=False,
                       show_progress=False)
    resumed = training.train(tmp_path / "run", {}, data, "cpu", resume=True, echo=False, show_progress=False)
    assert resumed.metrics["costs"] == whole.metrics["costs"]
    assert resumed.metrics["evaluations"] == whole.metrics["evaluations"]
    assert resumed.metrics.get("best") == whole.metrics.get("best")
    tb = events(tmp_path / "run" / "tensorboard")
    assert list(scalars(tb, "cost")) == list(range(10))
    np.testing.assert_allclose(list(scalars(tb, "cost").values()), whole.metrics["costs"], rtol=1e-6)
    # the crashed run scored dev every epoch (its on_epoch); what it wrote from step 4 on is gone
    assert [step for step in scalars(tb, "accuracy/dev") if step >= 4] == [5, 7, 9]


def test_evaluate_gallery_shows_every_wrong_test_photo(dev_run, tmp_path, capsys):
    assert evaluate.main(["--run-dir", str(dev_run), "--device", "cpu", "--checkpoint", "last", "--gallery"]) == 0
    report = read_json(dev_run / "evaluation.json")
    matrix = np.array(report["test_confusion_matrix"])
    wrong = report["test_misclassified"]
    assert len(wrong) == matrix.sum() - np.trace(matrix)
    for miss in wrong:
        assert miss["true"] != miss["predicted"] and 0 < miss["probability"] <= 1
    assert [m["true"] for m in wrong] == sorted(m["true"] for m in wrong)  # grouped by true sign
    assert Image.open(dev_run / "misclassified.png").format == "PNG"
    assert "misclassified.png" in capsys.readouterr().out


def test_misclassified_lists_the_wrong_columns_by_true_sign():
    probabilities = np.array([[0.7, 0.1, 0.2, 0.5], [0.2, 0.8, 0.5, 0.1], [0.1, 0.1, 0.3, 0.4]])
    misses = gallery.misclassified(probabilities, np.array([1, 1, 0, 2]))
    assert misses == [gallery.Miss(2, 0, 1, 0.5), gallery.Miss(0, 1, 0, 0.7), gallery.Miss(3, 2, 0, 0.5)]
    png = gallery.render(np.zeros((4, 64, 64, 3)), misses, "test")
    many = gallery.render(np.zeros((40, 64, 64, 3)), [gallery.Miss(k, k % 6, (k + 1) % 6, 0.5) for k in range(40)], "t")
    small, large = Image.open(io.BytesIO(png)).size, Image.open(io.BytesIO(many)).size
    assert large[1] > small[1]  # more rows for more mistakes (wrapped at ten a row)


def test_a_studys_hparams_view(tmp_path):
    from tensorboard.plugins.hparams import metadata, plugin_data_pb2

    from tf1_course.tuning import hparams, search_space

    space = search_space.parse_space({"learning_rate": "log:1e-4:1e-2", "minibatch_size": "pow2:16:64",
                                      "lr_decay": "choice:none,exponential"})
    values = search_space.sample(space, 3, 0)
    results = {k: {"trial": k, "values": v, "status": status, "dev_accuracy": dev, "train_accuracy": 0.9,
                   "final_cost": 0.5, "epochs": 4}
               for k, (v, status, dev) in enumerate(zip(values, ["finished", "diverged", "finished"],
                                                        [0.75, None, 0.5]))}
    hparams.write(tmp_path / "tensorboard", space, results)

    def plugin_data(accumulator, tag):
        content = accumulator.SummaryMetadata(tag).plugin_data.content
        return plugin_data_pb2.HParamsPluginData.FromString(content)

    experiment = plugin_data(events(tmp_path / "tensorboard"), metadata.EXPERIMENT_TAG).experiment
    assert sorted(h.name for h in experiment.hparam_infos) == sorted(space)
    assert [m.name.tag for m in experiment.metric_infos][0] == "dev_accuracy"
    lr = next(h for h in experiment.hparam_infos if h.name == "learning_rate")
    assert (lr.domain_interval.min_value, lr.domain_interval.max_value) == (1e-4, 1e-2)
    for k, r in results.items():
        trial = events(tmp_path / "tensorboard" / f"trial-{k:04d}")
        start = plugin_data(trial, metadata.SESSION_START_INFO_TAG).session_start_info
        assert start.hparams["learning_rate"].number_value == r["values"]["learning_rate"]
        assert start.hparams["lr_decay"].string_value == r["values"]["lr_decay"]
        assert start.hparams["minibatch_size"].number_value == r["values"]["minibatch_size"]
        end = plugin_data(trial, metadata.SESSION_END_INFO_TAG).session_end_info
        assert end.status == (1 if r["status"] == "finished" else 2)  # STATUS_SUCCESS, STATUS_FAILURE
        if r["dev_accuracy"] is None:
            assert "dev_accuracy" not in trial.Tags()["scalars"]
        else:
            assert scalars(trial, "dev_accuracy") == {4: pytest.approx(r["dev_accuracy"])}
    hparams.write(tmp_path / "tensorboard", space, {0: results[0]})  # written again whole: one trial left
    assert sorted(p.name for p in (tmp_path / "tensorboard").iterdir() if p.is_dir()) == ["trial-0000"]
