"""``tf1-course export``: the SavedModel a fresh TF2 process loads, agreeing with ``predict``."""

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from conftest import make_h5_pair
from test_serve_api import predict_json, signs_photos
from tf1_course.data import bundle
from tf1_course.data.images import load_image
from tf1_course.data.prepare import flatten_and_scale
from tf1_course.serving import export, savedmodel


@pytest.fixture(scope="module")
def bn_run(tmp_path_factory):
    """A tiny run trained with batch norm (its moving averages moved off 0 and 1); checkpoints of
    epochs 4 and 8."""
    from tf1_course.signs import train

    root = tmp_path_factory.mktemp("bn")
    data = make_h5_pair(root / "data", m_train=48, m_test=12)
    run_dir = root / "run"
    assert train.main(["--run-dir", str(run_dir), "--data-dir", str(data), "--epochs", "8", "--batch-norm", "--save-every", "4",
                       "--learning-rate", "0.003", "--print-every", "4", "--device", "cpu"]) == 0
    return run_dir


@pytest.fixture(params=["plain", "batch norm"])
def run_dir(request, trained_run, bn_run):
    return trained_run if request.param == "plain" else bn_run


# run in a fresh process with TensorFlow as it comes (TF2: eager), not the package's tf.compat.v1
LOAD_IN_TF2 = textwrap.dedent("""
    import sys
    import numpy as np
    import tensorflow as tf

    assert tf.executing_eagerly()
    serve = tf.saved_model.load(sys.argv[1]).signatures["serving_default"]
    out = serve(images=tf.constant(np.load(sys.argv[2])))
    np.save(sys.argv[3], out["probabilities"].numpy())
    np.save(sys.argv[4], out["classes"].numpy())
    print(sorted(serve.structured_input_signature[1]), sorted(out))
""")


def test_a_fresh_tf2_process_loads_it_and_agrees_with_predict(run_dir, tmp_path, capsys):
    photos = signs_photos() + [bundle.photo()]  # the six signs and the 3024x3024 phone photo
    assert export.main(["--run-dir", str(run_dir), "--out", str(tmp_path / "exports")]) == 0
    images = np.stack([load_image(p) for p in photos])
    np.save(tmp_path / "images.npy", images)
    outputs = [tmp_path / "probabilities.npy", tmp_path / "classes.npy"]
    env = {k: v for k, v in os.environ.items() if k != "TF_OVERRIDE_GLOBAL_THREADPOOL"}
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    result = subprocess.run([sys.executable, "-c", LOAD_IN_TF2, str(tmp_path / "exports" / "1"),
                             str(tmp_path / "images.npy"), *map(str, outputs)],
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "['images'] ['classes', 'probabilities']"
    probabilities, classes = np.load(outputs[0]), np.load(outputs[1])
    assert probabilities.dtype == np.float32 and probabilities.shape == (7, 6)
    assert classes.dtype == np.int64 and classes.shape == (7,)

    expected = predict_json(run_dir, photos, capsys)
    want = np.array([p["probabilities"] for p in expected])
    assert np.abs(probabilities - want).max() <= 1e-6
    assert classes.tolist() == [p["prediction"] for p in expected]


def test_the_graph_scales_pixels_as_training_did_and_feeds_nothing_else(bn_run, tmp_path):
    from tf1_course.core.compat import tf

    final = savedmodel.export_run(bn_run, tmp_path / "exports", log=lambda m: None)
    loaded = savedmodel.load_session(final)
    images = np.random.RandomState(0).randint(0, 256, (5, 64, 64, 3)).astype(np.uint8)
    X = loaded.sess.run(loaded.graph.get_tensor_by_name("X:0"), {loaded.images: images})
    assert X.dtype == np.float32
    assert np.array_equal(X, flatten_and_scale(images, np.float32))  # bit for bit
    meta = tf.saved_model.loader.load(tf.Session(graph=tf.Graph()), ["serve"], str(final))
    assert list(meta.signature_def) == ["serving_default"]
    assert list(meta.signature_def["serving_default"].inputs) == ["images"]  # no training flag to feed
    placeholders = [op.name for op in loaded.graph.get_operations() if op.type.startswith("Placeholder")]
    assert [p for p in placeholders if not p.startswith("save/")] == ["images"], placeholders
    # batch norm at test time: the moving averages are in the export, not the mini-batch statistics
    assert "moving_mean1" in {v.op.name for v in loaded.graph.get_collection("variables")}
    assert not any(op.type == "Mean" for op in loaded.graph.get_operations())  # no tf.nn.moments
    metadata = savedmodel.read_metadata(final)
    assert metadata["options"]["batch_norm"] is True and metadata["epoch"] == 8
    loaded.sess.close()


def test_saved_model_cli_lists_the_signature(trained_run, tmp_path):
    assert export.main(["--run-dir", str(trained_run), "--out", str(tmp_path / "exports")]) == 0
    cli = Path(sys.executable).with_name("saved_model_cli")
    result = subprocess.run([str(cli), "show", "--dir", str(tmp_path / "exports" / "1"), "--all"],
                            capture_output=True, text=True, timeout=300,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert result.returncode == 0, result.stderr
    out = " ".join(result.stdout.split())
    assert "signature_def['serving_default']" in out
    assert "inputs['images'] tensor_info: dtype: DT_UINT8 shape: (-1, 64, 64, 3) name: images:0" in out
    assert "outputs['probabilities'] tensor_info: dtype: DT_FLOAT shape: (-1, 6)" in out
    assert "outputs['classes'] tensor_info: dtype: DT_INT64 shape: (-1)" in out
    assert out.count("inputs['") == 1


def tree(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(Path(folder).rglob("*")) if p.is_file()}


def test_versions_count_up_and_an_existing_one_is_never_overwritten(trained_run, tmp_path, capsys):
    out = tmp_path / "exports"
    assert export.main(["--run-dir", str(trained_run), "--out", str(out)]) == 0
    before = tree(out / "1")
    assert export.main(["--run-dir", str(trained_run), "--out", str(out)]) == 0
    assert savedmodel.versions(out) == [1, 2]
    capsys.readouterr()
    assert export.main(["--run-dir", str(trained_run), "--out", str(out), "--version", "1"]) == 2
    err = capsys.readouterr().err
    assert "exists: a version is never overwritten" in err and "the next is 3" in err
    assert len(err.strip().splitlines()) == 1
    assert tree(out / "1") == before
    assert export.main(["--run-dir", str(trained_run), "--out", str(out), "--version", "7"]) == 0
    assert savedmodel.versions(out) == [1, 2, 7] and savedmodel.next_version(out) == 8
    assert savedmodel.newest_export(out) == out / "7"
    assert not [p for p in out.iterdir() if p.name.startswith(".export-")]


def test_a_failed_export_leaves_no_version(trained_run, tmp_path, monkeypatch, capsys):
    import errno

    def full_disk(path, obj):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    out = tmp_path / "exports"
    assert export.main(["--run-dir", str(trained_run), "--out", str(out)]) == 0
    before = tree(out)
    monkeypatch.setattr(savedmodel, "write_json", full_disk)  # after the SavedModel, before the rename
    assert export.main(["--run-dir", str(trained_run), "--out", str(out)]) == 2
    assert "disk is full" in capsys.readouterr().err
    assert tree(out) == before and savedmodel.versions(out) == [1]  # nothing half-written, 1 untouched
    assert export.main(["--run-dir", str(trained_run), "--out", str(tmp_path / "new")]) == 2
    assert not (tmp_path / "new").exists()


def copy_run(run_dir, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy, ignore=shutil.ignore_patterns(".lock"))
    return copy


def test_refused_in_one_line_a_run_still_training_unfinished_or_not_a_run(trained_run, tmp_path, capsys):
    from tf1_course.signs.rundir import RunDir

    out = tmp_path / "exports"
    run = copy_run(trained_run, tmp_path)
    with RunDir(run).lock():  # a training holds the run
        assert export.main(["--run-dir", str(run), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "is still training" in err and len(err.strip().splitlines()) == 1
    (run / "metrics.json").unlink()  # stopped before its last epoch
    assert export.main(["--run-dir", str(run), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "is unfinished" in err and "--resume" in err and len(err.strip().splitlines()) == 1
    (tmp_path / "photos").mkdir()
    assert export.main(["--run-dir", str(tmp_path / "photos"), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "no trained model in" in err and len(err.strip().splitlines()) == 1
    (tmp_path / "file").write_text("x")
    assert export.main(["--run-dir", str(trained_run), "--out", str(tmp_path / "file")]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert not out.exists()


def test_a_given_checkpoint_is_the_one_exported(bn_run, tmp_path):
    """The seam for ``--checkpoint``: export_run takes any complete rundir.Checkpoint of a finished run."""
    from tf1_course.core.fileio import read_json
    from tf1_course.signs.inference import open_model
    from tf1_course.signs.rundir import Checkpoint, RunDir

    prefix = RunDir(bn_run).checkpoints / "model-4"
    older = Checkpoint(4, str(prefix), read_json(f"{prefix}.json"))
    images = np.stack([load_image(p) for p in signs_photos()])
    answers = {}
    for name, checkpoint in (("older", older), ("newest", None)):
        final = savedmodel.export_run(bn_run, tmp_path / "exports", checkpoint=checkpoint, log=lambda m: None)
        loaded = savedmodel.load_session(final)
        answers[name] = loaded.sess.run(loaded.probabilities, {loaded.images: images})
        loaded.sess.close()
        assert savedmodel.read_metadata(final)["epoch"] == (4 if checkpoint else 8)
    with open_model(bn_run, "cpu", log=lambda m: None, checkpoint=older) as trained:
        assert np.abs(answers["older"] - trained.classify(images).T).max() <= 1e-6
    assert np.abs(answers["older"] - answers["newest"]).max() > 1e-4
