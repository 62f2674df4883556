import numpy as np

from tf1_course.signs import evaluate
from tf1_course.core.fileio import read_json


def test_confusion_and_per_class_accuracy():
    m = evaluate.confusion(np.array([0, 0, 1, 2, 2, 2]), np.array([0, 1, 1, 2, 0, 2]), 4)
    assert m.tolist() == [[1, 1, 0, 0], [0, 1, 0, 0], [1, 0, 2, 0], [0, 0, 0, 0]]
    acc = evaluate.per_class_accuracy(m)
    np.testing.assert_allclose(acc[:3], [0.5, 1.0, 2 / 3])
    assert np.isnan(acc[3])


def test_evaluate_agrees_with_training_metrics(trained_run, capsys):
    assert evaluate.main(["--run-dir", str(trained_run), "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "Test confusion matrix" in out
    report = read_json(trained_run / "evaluation.json")
    metrics = read_json(trained_run / "metrics.json")
    assert abs(report["train_accuracy"] - metrics["train_accuracy"]) < 1e-6
    assert abs(report["test_accuracy"] - metrics["test_accuracy"]) < 1e-6
    cm = np.array(report["test_confusion_matrix"])
    assert cm.shape == (6, 6) and cm.sum() == 12
    assert abs(np.trace(cm) / cm.sum() - report["test_accuracy"]) < 1e-9
    assert (trained_run / "confusion_matrix.png").read_bytes()[:4] == b"\x89PNG"


def test_evaluate_without_a_run(tmp_path, capsys):
    assert evaluate.main(["--run-dir", str(tmp_path / "none")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "tf1-course train" in err[0]
