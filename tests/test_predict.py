import json

import numpy as np
from PIL import Image

from conftest import sign_image
from tf1_course.signs import predict
from tf1_course.data import h5


def _errors(capsys):
    captured = capsys.readouterr()
    return captured.out, [line for line in captured.err.splitlines() if "error" in line]


def test_predicts_good_images_and_reports_bad_ones(trained_run, tmp_path, capsys):
    Image.fromarray(sign_image(2, 0, size=300)).save(tmp_path / "good.jpg")
    Image.fromarray(sign_image(4, 1, size=90)).convert("RGBA").save(tmp_path / "alpha.png")
    (tmp_path / "text.jpg").write_text("no pixels here")
    Image.fromarray(sign_image(1, 0, 200)).save(tmp_path / "full.jpg")
    data = (tmp_path / "full.jpg").read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 3])
    args = [str(tmp_path / n) for n in ("good.jpg", "missing.jpg", "text.jpg", "alpha.png", "cut.jpg")]
    code = predict.main([*args, "--run-dir", str(trained_run), "--device", "cpu"])
    out, errors = _errors(capsys)
    assert code == 2
    assert len(errors) == 3 and "Traceback" not in "".join(errors)
    assert "missing.jpg: no such file" in errors[0] and "text.jpg: not an image" in errors[1]
    assert "cut.jpg: truncated or corrupt" in errors[2]
    assert out.count(": sign ") == 2 and "good.jpg: sign" in out and "alpha.png: sign" in out


def test_json_output_has_six_probabilities(trained_run, tmp_path, capsys):
    Image.fromarray(sign_image(0, 3, 64)).save(tmp_path / "a.png")
    code = predict.main([str(tmp_path / "a.png"), "--run-dir", str(trained_run), "--json",
                         "--min-confidence", "1"])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    (p,) = doc["predictions"]
    assert len(p["probabilities"]) == 6 and abs(sum(p["probabilities"]) - 1) < 1e-5
    assert p["prediction"] == int(np.argmax(p["probabilities"]))
    assert p["low_confidence"] is True and doc["errors"] == []


def test_low_confidence_is_said(trained_run, tmp_path, capsys):
    Image.fromarray(sign_image(3, 0, 64)).save(tmp_path / "a.png")
    assert predict.main([str(tmp_path / "a.png"), "--run-dir", str(trained_run), "--min-confidence", "1"]) == 0
    out = capsys.readouterr().out
    assert "low confidence" in out and "knows only the six SIGNS hand signs" in out
    assert predict.main([str(tmp_path / "a.png"), "--run-dir", str(trained_run), "--min-confidence", "0"]) == 0
    assert "low confidence" not in capsys.readouterr().out


def test_prediction_equals_the_graph_on_the_training_pixels(trained_run, tmp_path):
    """A PNG of a training image, through predict's path, gives exactly the graph's output on the h5."""
    from tf1_course.data.prepare import flatten_and_scale
    from tf1_course.signs.inference import open_model
    from tf1_course.signs.rundir import RunDir

    data_dir = RunDir(trained_run).load_config()["data"]["dir"]
    train = h5.load_split(f"{data_dir}/train_signs.h5", "train")
    Image.fromarray(train.x[5]).save(tmp_path / "x5.png")
    with open_model(trained_run, "cpu", log=lambda *_: None) as model:
        (p,) = predict.predict_images(model, [tmp_path / "x5.png"])
        direct = model.probabilities(flatten_and_scale(train.x[5:6]))[:, 0]
    np.testing.assert_allclose(p.probabilities, direct, rtol=1e-6)


def test_save_preprocessed_writes_what_the_model_saw(trained_run, tmp_path, capsys):
    wide = np.zeros((100, 300, 3), np.uint8)
    wide[:, 100:200] = 255  # a white centre square: centre-crop keeps only white
    Image.fromarray(wide).save(tmp_path / "wide.jpg", quality=100)
    Image.fromarray(wide).save(tmp_path / "dup.jpg", quality=100)
    (tmp_path / "sub").mkdir()
    Image.fromarray(wide).save(tmp_path / "sub" / "wide.jpg", quality=100)
    out_dir = tmp_path / "seen"
    assert predict.main([str(tmp_path / "wide.jpg"), str(tmp_path / "sub" / "wide.jpg"),
                         "--run-dir", str(trained_run), "--save-preprocessed", str(out_dir)]) == 0
    names = sorted(p.name for p in out_dir.iterdir())
    assert names == ["wide-2.png", "wide.png"]
    seen = np.asarray(Image.open(out_dir / "wide.png"))
    assert seen.shape == (64, 64, 3) and seen.min() > 240
    assert predict.main([str(tmp_path / "wide.jpg"), "--run-dir", str(trained_run),
                         "--resize", "pad", "--save-preprocessed", str(tmp_path / "pad")]) == 0
    padded = np.asarray(Image.open(tmp_path / "pad" / "wide.png"))
    assert padded[32, 32].min() > 240 and padded[32, 2].max() < 20


def test_no_model_says_which_command_trains_one(tmp_path, capsys):
    Image.fromarray(sign_image(0, 0)).save(tmp_path / "a.png")
    code = predict.main([str(tmp_path / "a.png"), "--run-dir", str(tmp_path / "none")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert "no trained model" in err[0] and "tf1-course train" in err[0]


def test_oversized_image_is_refused(trained_run, tmp_path, capsys):
    Image.fromarray(sign_image(0, 0, 300)).save(tmp_path / "big.png")
    code = predict.main([str(tmp_path / "big.png"), "--run-dir", str(trained_run), "--max-pixels", "1000"])
    out, errors = _errors(capsys)
    assert code == 2 and len(errors) == 1 and "over the limit of 1,000" in errors[0]


def test_without_a_photo_it_predicts_the_bundled_one(trained_run, capsys):
    from tf1_course.data import bundle

    assert predict.main(["--run-dir", str(trained_run), "--device", "cpu", "--json"]) == 0
    captured = capsys.readouterr()
    (p,) = json.loads(captured.out)["predictions"]
    assert p["image"] == str(bundle.photo()) and "no IMAGE given" in captured.err
