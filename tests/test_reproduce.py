"""`tf1-course reproduce`: the report of every number the course prints, ours beside."""

from pathlib import Path

import numpy as np
import pytest

from tf1_course.reproduce import report, cli as reproduce
from tf1_course.core.fileio import read_json



def test_verdicts_compare_numbers_as_the_course_prints_them():
    assert report.verdict(0.702405, 0.702405, "{:.6f}")[0] == report.EXACT
    assert report.verdict(0.702405, 0.702406, "{:.6f}")[0] == report.ROUNDING  # one unit of the last digit
    assert report.verdict(0.702405, 0.702407, "{:.6f}")[0] == report.DIFFERS
    assert report.verdict(0.6931471805599453, 0.6931471805599455)[0] == report.ROUNDING  # 3e-16 relative
    assert report.verdict(0.9, np.float32(0.9), "{}")[0] == report.EXACT  # a float32 prints as 0.9
    assert report.verdict('Tensor("Mul:0")', 'Tensor("Mul_1:0")')[0] == report.DIFFERS
    rows = report.vector_rows("s", "v", [[1.0], [2.0]], np.array([[1.0], [2.5]]), "{:g}", "float-order")
    assert [(r["item"], r["verdict"], r["reason"]) for r in rows] == [("v[0]", "exact", None),
                                                                       ("v[1]", "differs", "float-order")]
    assert report.where_it_falls(0.7, [0.75, 0.8]) == "below all 2 runs"
    assert report.where_it_falls(0.77, [0.75, 0.8, 0.9]) == "inside the range: 1 of 3 runs lower"


def test_a_long_section_lists_every_number_that_is_not_exact():
    rows = ([report.row("lab", f"exact {k}", 1.0, 1.0, "{:g}") for k in range(50)]
            + [report.row("lab", f"off {k}", 1.0, 2.0, "{:g}", "chaos") for k in range(45)])
    meta = {"name": "t", "command": "c", "date": "d", "version": "v", "commit": "x", "tensorflow": "t", "numpy": "n",
            "python": "p", "cpu": "cpu", "cpus": 2, "quick": False, "seconds": 1.0, "timings": [["lab", 1.0]],
            "data": {}}
    text = report.markdown({"meta": meta, "rows": rows})
    assert all(f"| off {k} |" in text for k in range(45)) and "| exact 0 |" not in text
    assert "95 numbers; the 50 exact ones are not listed here" in text


def test_a_default_run_overlays_the_courses_points_and_others_do_not():
    from tf1_course.signs.training import course_points
    from tf1_course.signs.settings import TrainConfig

    points = course_points(TrainConfig(num_epochs=3))
    assert sorted(points) == ["course (notebook)", "course (published run)"]
    assert points["course (notebook)"][0] == 1.855702
    assert course_points(TrainConfig(learning_rate=3e-4)) is None


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory):
    from conftest import make_signs_tree
    from tf1_course.data import build

    root = tmp_path_factory.mktemp("reproduce")
    tree = make_signs_tree(root / "signs", per_class=(3, 1, 2))
    build.build(tree, root / "data", log=lambda *_: None)
    code = reproduce.main(["--quick", "--name", "q", "--out", str(root / "reports"), "--data-dir", str(root / "data"),
                           "--from", str(tree)])
    assert code == 0
    return root / "reports" / "q", root


def test_quick_report_holds_every_section_with_verdicts_and_pngs(quick_report):
    out, _ = quick_report
    data = read_json(out / "report.json")
    sections = {r["section"] for r in data["rows"]}
    assert {"TF basics", "SIGNS model", "lab init", "lab regularization", "lab optimization",
            "lab gradcheck"} <= sections
    basics = [r for r in data["rows"] if r["section"] == "TF basics"]
    assert len(basics) >= 40 and all(r["verdict"] != report.DIFFERS for r in basics)  # the basics reproduce
    assert all(r["verdict"] in report.VERDICTS for r in data["rows"])
    assert all(r["reason"] for r in data["rows"] if r["verdict"] == report.DIFFERS)
    text = (out / "REPORT.md").read_text()
    for heading in ("## Summary", "## SIGNS: the spread", "## TF basics", "## lab gradcheck", "## Why ours differ"):
        assert heading in text
    assert "quick run" in text and "rebuilt from the JPEGs" in text
    for png in ("spread.png", "signs_cost.png", "labs/init/comparison-tf.png"):
        assert (out / png).read_bytes()[:4] == b"\x89PNG"


def test_quick_report_spreads_the_signs_runs_over_data_orders(quick_report):
    out, root = quick_report
    spread = read_json(out / "report.json")["signs"]["spread"]
    assert [r["order"][:7] for r in spread["runs"]] == ["order 1", "order 2"]
    assert all(r["status"] == "finished" for r in spread["runs"]) and len(spread["runs"][0]["costs"]) == 3
    first = [read_json(out / "signs" / f"run-0{k}" / "metrics.json")["costs"] for k in (0, 1)]
    assert first[0] == spread["runs"][0]["costs"] and first[0] != first[1]  # another order: other mini-batches
    run = read_json(out / "signs" / "run-00" / "metrics.json")
    assert "scores" not in run and run["test_accuracy"] is not None  # the test set scored once, at the end
    assert set(spread["summary"]) == {"train_accuracy", "test_accuracy", "final_cost"}
    assert (out / "data" / "order-2" / "train_signs.h5").is_file()


def test_a_second_reproduce_into_the_same_out_is_refused(quick_report, capsys):
    from tf1_course.core.fileio import folder_lock

    _, root = quick_report
    out = root / "busy"
    with folder_lock(out, "reproduce", "--out"):  # another reproduce holds it
        code = reproduce.main(["--quick", "--name", "b", "--out", str(out), "--data-dir", str(root / "data"),
                               "--from", str(root / "signs")])
    assert code == 2
    assert "in use by another reproduce" in capsys.readouterr().err
    assert not (out / "b").exists() and not (out / ".b.partial").exists()


def test_an_existing_report_is_kept_unless_overwrite(quick_report, capsys):
    out, root = quick_report
    before = (out / "REPORT.md").read_text()
    assert reproduce.main(["--quick", "--name", "q", "--out", str(root / "reports")]) == 2
    assert "already holds a report" in capsys.readouterr().err
    assert (out / "REPORT.md").read_text() == before


@pytest.mark.parametrize("name", ["..", "../escape", "/tmp/abs", "a/b", ""])
def test_a_report_name_stays_inside_out(name, tmp_path, capsys):
    (tmp_path / "precious.txt").write_text("mine")
    assert reproduce.main(["--quick", "--name", name, "--out", str(tmp_path / "reports"), "--overwrite"]) == 2
    assert "--name" in capsys.readouterr().err
    assert (tmp_path / "precious.txt").read_text() == "mine"


def test_overwrite_replaces_a_report_only_when_the_new_one_is_complete(tmp_path, monkeypatch, capsys):
    from conftest import make_h5_pair

    data = make_h5_pair(tmp_path / "data")
    old = tmp_path / "reports" / "r"
    old.mkdir(parents=True)
    (old / "REPORT.md").write_text("the old report")

    def interrupted():
        raise KeyboardInterrupt

    monkeypatch.setattr(reproduce, "run_all", lambda *a: interrupted())
    assert reproduce.main(["--quick", "--name", "r", "--out", str(tmp_path / "reports"), "--data-dir", str(data),
                           "--overwrite"]) == 130
    assert (old / "REPORT.md").read_text() == "the old report"
    assert reproduce.main(["--quick", "--name", "r", "--out", str(tmp_path / "reports"),
                           "--data-dir", str(tmp_path / "none"), "--overwrite"]) == 2
    assert "not found" in capsys.readouterr().err and (old / "REPORT.md").read_text() == "the old report"


ROOT = Path(__file__).resolve().parents[1]


def test_the_readme_results_block_is_made_from_the_committed_report():
    committed = read_json(ROOT / "docs" / "report" / "report.json")
    block = report.readme_summary(committed)
    assert block in (ROOT / "README.md").read_text(encoding="utf-8"), \
        "README.md's results block is stale: run scripts/readme_summary.py --write"
    # the block says what the report says: its totals row and the spread's median
    total = report.counts(committed["rows"])
    assert f"| **all** | {len(committed['rows'])} | {total[report.EXACT]} |" in block
    assert f"{committed['signs']['spread']['summary']['test_accuracy']['median']:.3f}" in block


def test_no_two_rows_of_a_report_have_the_same_name(quick_report):
    from tf1_course.labs import lab
    from tf1_course.reproduce import plan

    for data in (read_json(quick_report[0] / "report.json"), read_json(ROOT / "docs" / "report" / "report.json")):
        names = [(r["section"], r["item"]) for r in data["rows"]]
        assert len(set(names)) == len(names), sorted(n for n in names if names.count(n) > 1)[:4]
    # a second run of the same lab (the 2021 notebook's 5000 epochs) names its rows apart
    metrics = {"variants": {"gd": {"config": {"num_steps": 5000, "minibatch_size": 64},
                                   "engines": {"numpy": {"printed_costs": [[1000, 0.668], [2000, 0.635]],
                                                         "train_accuracy": 0.7}}}}}
    first = plan.lab_rows("lab optimization", lab("optimization"), metrics)
    second = plan.lab_rows("lab optimization", lab("optimization"), metrics, "5000-epoch run")
    assert [r["item"] for r in first] == ["gd: cost after epoch 1000 (numpy)", "gd: cost after epoch 2000 (numpy)",
                                          "gd: train accuracy (numpy)"]
    assert [r["item"] for r in second] == [i.replace("gd:", "gd (5000-epoch run):") for i in
                                           [r["item"] for r in first]]
    assert [r["ours"] for r in first] == [r["ours"] for r in second]


def test_readme_summary_replaces_only_its_block(tmp_path, quick_report):
    import importlib.util

    spec = importlib.util.spec_from_file_location("readme_summary", ROOT / "scripts" / "readme_summary.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    out, _ = quick_report
    readme = tmp_path / "README.md"
    readme.write_text(f"before\n{report.README_BEGIN}\nold numbers\n{report.README_END}\nafter\n")
    assert script.main(["--report", str(out / "report.json"), "--readme", str(readme), "--write"]) == 0
    text = readme.read_text()
    assert text.startswith("before\n") and text.endswith("\nafter\n") and "old numbers" not in text
    assert report.readme_summary(read_json(out / "report.json")) in text
    readme.write_text("no block here\n")
    assert script.main(["--report", str(out / "report.json"), "--readme", str(readme), "--write"]) == 2
    assert readme.read_text() == "no block here\n"


def test_sigterm_while_the_tasks_run_is_one_line_143_and_leaves_nothing_in_tmp(quick_report, tmp_path):
    """SIGTERM once Ray runs the tasks (Kubernetes, systemd): the Ctrl-C path, not Ray's crash dump."""
    import glob
    import os
    import signal
    import subprocess
    import sys

    _, root = quick_report
    scratch = tmp_path / "tmp"  # the command's temporary folder: the tasks' scratch folders go below it
    scratch.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "tf1_course", "reproduce", "--quick", "--name", "t", "--out",
                             str(tmp_path / "reports"), "--data-dir", str(root / "data"), "--from", str(root / "signs")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "TMPDIR": str(scratch)})
    try:
        for line in proc.stdout:  # the first task has ended: Ray is up, the others are running
            if line.startswith("[1/"):
                break
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143, err
    assert err.strip().splitlines()[-1] == "tf1-course reproduce: terminated (SIGTERM)", err
    assert "SIGTERM received" not in err and "Traceback" not in err, err
    assert list(scratch.iterdir()) == []  # the tasks' scratch folders
    # Ray's session folder (in /tmp, for its sockets' short paths): a session's name ends with its driver's pid
    assert [s for s in glob.glob("/tmp/tf1-ray-*/session_*") if s.endswith(f"_{proc.pid}")] == []
    assert not (tmp_path / "reports" / "t" / "report.json").exists()
