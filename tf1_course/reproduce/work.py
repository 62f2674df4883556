"""The work of ``reproduce``, as functions that run anywhere: in this process, in a local Ray worker,
or on a cluster node that shares no disk with the driver. Each takes what it needs as arguments
(the SIGNS arrays through Ray's object store) and returns its results as values, never paths: a
node may write only into a temporary folder of its own, removed before the function returns.

    basics_rows()                       the TF basics' rows of the report
    lab_job(lab, variant, engine, steps)   one engine's run of one lab variant: (a labs Result, its PNG)
    gradcheck()                         the gradient checks on both engines: (metrics, {png name: bytes})
    signs_run(flags, preloaded)         one SIGNS training: (outcome, metrics, the run folder as tar bytes)
"""

import io
import shutil
import tarfile
import tempfile
from pathlib import Path

import numpy as np

from tf1_course.core import course_numbers, device as devices
from tf1_course.reproduce import report

def lab_module(name):
    from tf1_course.labs import lab

    return lab(name)


def basics_rows():
    """The course's TF basics, run here, as report rows."""
    from tf1_course.labs import basics

    config = devices.session_config("cpu")
    c = course_numbers.BASICS
    s = "TF basics"
    constants = basics.constants(config=config)
    logits, labels = np.array(basics.LOGITS), np.array(basics.LABELS)
    return [
        report.row(s, "loss", c["loss"], int(basics.loss_variable(config=config)), "{}"),
        report.row(s, "print(c) before a Session", c["constants.tensor"], constants.tensor),
        report.row(s, "sess.run(c)", c["constants.value"], int(constants.value), "{}"),
        report.row(s, "2 * x with x = 3", c["placeholders.twice_x"], int(basics.placeholders(config=config).twice_x), "{}"),
        *report.vector_rows(s, "linear_function", c["linear_function"], basics.linear_function(config=config), "{:.8f}"),
        report.row(s, "sigmoid(0)", c["sigmoid(0)"], float(basics.sigmoid(0, config=config)), "{:g}"),
        report.row(s, "sigmoid(12)", c["sigmoid(12)"], float(basics.sigmoid(12, config=config)), "{:.6f}"),
        *report.vector_rows(s, "cost(sigmoid(logits), labels)", c["cost(sigmoid(logits))"],
                            basics.cost(basics.sigmoid(logits, config=config), labels, config=config), "{}"),
        *report.vector_rows(s, "one_hot_matrix([1, 2, 3, 0, 2, 1], 4)", c["one_hot"],
                            basics.one_hot_matrix(np.array([1, 2, 3, 0, 2, 1]), 4, config=config), "{:g}"),
        *report.vector_rows(s, "ones([3])", c["ones"], basics.ones([3], config=config), "{:g}"),
        report.row(s, "w after 1000 steps", c["minimize.w"], float(basics.minimize_quadratic(config=config).w),
                   "{:.3f}", "course-rounding"),
        *report.vector_rows(s, "training results", c["training"], basics.train_network(config=config), "{}"),
    ]


def lab_variants(lab, names=None, steps=None):
    """Lab ``lab``'s variants ``names`` (None: all) at ``steps`` iterations/epochs (None: the course's)."""
    from tf1_course.labs.runner import select_variants

    return select_variants(lab_module(lab).variants(), names, steps)


def lab_job(lab, name, engine, steps=None):
    """One engine's run of variant ``name`` of lab ``lab``: (labs.results.Result, its PNG as bytes)."""
    from tf1_course.labs import plots
    from tf1_course.labs.runner import draw_variant, run_job

    module, (chosen,) = lab_module(lab), lab_variants(lab, [name], steps)
    result = run_job(module, chosen, engine, device="cpu", progress=False)
    work = Path(tempfile.mkdtemp(prefix="tf1-lab-"))
    try:
        xx, yy, _ = plots.grid(module.LIMITS)
        draw_variant(chosen, engine, result, work / "variant.png", module.load_data(), xx, yy)
        return result, (work / "variant.png").read_bytes()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def gradcheck():
    """The gradient checks on both engines: (metrics with "checks" {engine: {...}}, {png name: bytes})."""
    from tf1_course.labs import lab_gradcheck
    from tf1_course.labs.runner import ENGINES, Options

    work = Path(tempfile.mkdtemp(prefix="tf1-gradcheck-"))
    try:
        metrics = lab_gradcheck.run(Options(engines=ENGINES, run_dir=work, device="cpu", progress=False,
                                            out=lambda *_: None))
        return metrics, {p.name: p.read_bytes() for p in work.glob("*.png")}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def signs_run(flags, preloaded):
    """Train the SIGNS model with ``flags`` on ``preloaded`` (a signs.training.Preloaded) in a
    temporary folder. Returns (outcome, metrics or None, the run folder as tar.gz bytes (:func:`pack`),
    message)."""
    from tf1_course.signs.rundir import RunDir
    from tf1_course.signs.training import train

    work = Path(tempfile.mkdtemp(prefix="tf1-signs-"))
    try:
        run = RunDir(work / "run")
        result = train(run.path, flags, device="cpu", echo=False, show_progress=False, preloaded=preloaded)
        return result.outcome, result.metrics, pack(run.path), result.message
    finally:
        shutil.rmtree(work, ignore_errors=True)


def pack(run_dir):
    """tar.gz bytes of a run's transfer files (``RunDir.transfer_files``: no older checkpoints)."""
    from tf1_course.signs.rundir import RunDir

    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for p, relative in RunDir(run_dir).transfer_files():
            tar.add(p, arcname=str(relative))
    return out.getvalue()


def unpack(data, folder):
    """Write what :func:`pack` made into ``folder`` (created)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            target = (folder / member.name).resolve()
            if not member.isfile() or folder.resolve() not in target.parents:
                continue  # only plain files, only inside the folder
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(tar.extractfile(member).read())
