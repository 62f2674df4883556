"""The SIGNS model as a TF1 SavedModel: what TF Serving, ``saved_model_cli`` and ``tf.saved_model.load`` read.

    exports/signs/
      1/                           one version; TF Serving serves the highest number
        saved_model.pb             the graph, tag "serve": uint8 images -> probabilities, classes
        variables/                 the weights (with batch norm: gamma, beta, the moving averages)
        assets.extra/tf1_course.json   where it came from: the run, its checkpoint, the options
      2/ ...

One signature, ``serving_default``:

    images          uint8   [None, 64, 64, 3]   load_image's pixels, as stored in the h5 files
    probabilities   float32 [None, 6]           softmax over the six signs
    classes         int64   [None]              the most probable sign

The graph scales the pixels as :func:`tf1_course.data.prepare.flatten_and_scale` does (float64
quotient by 255, rounded to float32), then runs the model's own forward pass at test time: no
dropout, batch norm with its moving averages, and no training flag anywhere for a client to feed.
There is no encoded-bytes (JPEG/PNG) signature on purpose: TensorFlow's decoder ignores EXIF
orientation and its resize is not Pillow's, so it would see other pixels than the training set
did, the very mismatch behind "predict from camera gives random outputs". Clients send
:func:`tf1_course.data.images.load_image`'s pixels.
"""

import os
import re
import shutil
from collections import namedtuple
from pathlib import Path

from tf1_course.core.errors import UsageError, reason
from tf1_course.core.fileio import check_writable, folder_lock, read_json, write_json
from tf1_course.data.images import IMAGE_SIZE

TAG = "serve"
SIGNATURE = "serving_default"
INPUT = "images"
OUTPUTS = ("probabilities", "classes")
METADATA = Path("assets.extra") / "tf1_course.json"  # TF Serving ignores assets.extra/
VERSION_RE = re.compile(r"^[0-9]+$")
TEMP_RE = re.compile(r"^\.export-[0-9]+-[0-9]+\.tmp$")  # a version being written (or left by kill -9)

ExportGraph = namedtuple("ExportGraph", [
    "images",         # uint8 placeholder [None, 64, 64, 3]
    "X",              # float32 [12288, None]: flatten_and_scale(images), the model's input
    "probabilities",  # float32 [None, 6]
    "classes",        # int64 [None]
    "variables",      # {"W1": Variable, ..., "moving_mean1": ...}: the names of the run's checkpoint
])


def build_export_graph(options):
    """The serving graph in the current default graph (runs nothing). ``options``: model.Options."""
    from tf1_course.core.compat import tf
    from tf1_course.signs import model

    images = tf.placeholder(tf.uint8, [None, IMAGE_SIZE, IMAGE_SIZE, 3], name=INPUT)
    flat = tf.reshape(images, [-1, model.N_X])  # [m, 12288], the h5 files' (row, column, channel) order
    # flatten_and_scale's float32: each float64 quotient rounded to float32, so this graph's X is
    # predict's X bit for bit (a float32 division would differ in the last bit for some pixels)
    X = tf.cast(tf.transpose(tf.cast(flat, tf.float64) / 255.0), tf.float32, name="X")  # [12288, m]
    # resource variables (TF2's kind) under the checkpoint's names: tf.saved_model.load then sees
    # each of them as a variable, not as a reference variable it cannot wrap
    with tf.variable_scope(tf.get_variable_scope(), use_resource=True):
        parameters = model.initialize_parameters(hidden=options.hidden, batch_norm=options.batch_norm)
        moving = model.create_moving_averages(options.hidden) if options.batch_norm else {}
    Z3, _ = model.forward_pass(X, parameters, moving=moving or None)  # test time: no dropout, moving averages
    probabilities = tf.transpose(tf.nn.softmax(Z3, axis=0), name="probabilities")  # [m, 6]
    classes = tf.argmax(probabilities, axis=1, output_type=tf.int64, name="classes")  # [m]
    return ExportGraph(images, X, probabilities, classes, {**parameters, **moving})


def versions(base):
    """The version numbers under ``base`` that hold a SavedModel, ascending."""
    base = Path(base)
    if not base.is_dir():
        return []
    return sorted(int(p.name) for p in base.iterdir()
                  if VERSION_RE.match(p.name) and (p / "saved_model.pb").is_file())


def next_version(base):
    """One more than the highest numbered folder under ``base`` (complete or not), or 1."""
    base = Path(base)
    taken = [int(p.name) for p in base.iterdir() if VERSION_RE.match(p.name)] if base.is_dir() else []
    return max(taken, default=0) + 1


def newest_export(path):
    """The SavedModel folder to serve: ``path`` itself if it holds saved_model.pb, else its highest
    numbered version. None there is one UsageError."""
    path = Path(path)
    if (path / "saved_model.pb").is_file():
        return path
    found = versions(path)
    if not found:
        what = "does not exist" if not path.exists() else "holds no SavedModel (no saved_model.pb in it or in a numbered version folder)"
        raise UsageError(f"{path} {what}; make one with `tf1-course export --out {path}`")
    return path / str(found[-1])


def exportable_checkpoint(run_dir, checkpoint=None):
    """The checkpoint ``export_run`` writes: ``checkpoint`` "best", "last", None (the best when the run
    has one, else the last) or a Checkpoint of the run. A folder that is not a run, a run still
    training, or one stopped before its last epoch is one UsageError."""
    from tf1_course.signs.rundir import RunDir

    run = RunDir(run_dir)
    newest = run.require_checkpoint()  # not a run: one line naming `train`
    if run.is_training():
        raise UsageError(f"{run} is still training (epoch {newest.epoch} saved so far): export it "
                         f"when its training has finished")
    if run.state(newest):  # judged on the run's newest checkpoint: an earlier one (the best) is fine
        epochs = run.load_config()["train"].get("num_epochs")
        raise UsageError(f"{run} is unfinished (its newest checkpoint is of epoch {newest.epoch} of {epochs}): "
                         f"finish it with `tf1-course train --run-dir {run} --resume`, then export")
    if checkpoint is None or isinstance(checkpoint, str):
        return run.checkpoint(checkpoint)
    return checkpoint


def export_run(run_dir, out, version=None, checkpoint=None, log=print):
    """A finished run's checkpoint (``checkpoint``: see :func:`exportable_checkpoint`) exported as
    version ``version`` (default: the next) of ``out``. Returns the version's folder."""
    from tf1_course.signs.inference import describe, open_model

    checkpoint = exportable_checkpoint(run_dir, checkpoint)
    log(describe(checkpoint))
    with open_model(run_dir, "cpu", log=lambda message: None, checkpoint=checkpoint) as trained:
        return export_model(trained, out, version, log)


def export_model(trained, out, version=None, log=print):
    """Write ``trained`` (an open inference.TrainedModel) as version ``version`` (default: the next)
    of ``out``. Returns the version's folder.

    Written into a hidden temporary folder beside the versions and renamed into place when whole,
    under ``out``'s lock: an existing version is never overwritten, a failed or interrupted export
    leaves nothing a server would load.
    """
    from tf1_course.core.compat import TF_VERSION, tf

    out = Path(out)
    check_writable(out, "--out")
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} is a file; --out must be a folder of versions (e.g. exports/signs)")
    with folder_lock(out, "export", "--out"):
        for p in out.iterdir():  # under the lock no other export is writing: these are leftovers
            if TEMP_RE.match(p.name):
                shutil.rmtree(p, ignore_errors=True)
        version = next_version(out) if version is None else version
        final = out / str(version)
        if final.exists():
            raise UsageError(f"{final} exists: a version is never overwritten; leave --version out "
                             f"(the next is {next_version(out)}) or remove that folder yourself")
        values = trained.sess.run({**trained.g.parameters, **trained.g.moving})
        options = trained.g.options
        tmp = out / f".export-{version}-{os.getpid()}.tmp"
        try:
            graph = tf.Graph()
            with graph.as_default():
                g = build_export_graph(options)
                signature = tf.saved_model.predict_signature_def(
                    inputs={INPUT: g.images}, outputs={"probabilities": g.probabilities, "classes": g.classes})
            with tf.Session(graph=graph) as sess:
                # the trained values, fed to each variable's initializer (no ops added to the graph)
                sess.run([v.initializer for v in g.variables.values()],
                         {v.initial_value: values[k] for k, v in g.variables.items()})
                builder = tf.saved_model.Builder(str(tmp))
                builder.add_meta_graph_and_variables(sess, [TAG], signature_def_map={SIGNATURE: signature},
                                                     strip_default_attrs=True)
                builder.save()
            write_json(tmp / METADATA, {
                "run_dir": str(trained.run.path.resolve()),
                "checkpoint": Path(trained.checkpoint.prefix).name,
                "epoch": trained.checkpoint.epoch,
                "options": options._asdict(),
                "class_names": class_names(),
                "tensorflow": TF_VERSION,
                "signature": {"name": SIGNATURE, "tag": TAG, "input": INPUT, "outputs": list(OUTPUTS)},
            })
            os.rename(tmp, final)  # final does not exist (checked under the lock): never replaces one
        except tf.errors.OpError as e:
            raise UsageError(f"cannot write the SavedModel into {out} ({reason(e)}); nothing was exported") from None
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    log(f"exported {trained.run} (checkpoint of epoch {trained.checkpoint.epoch}) to {final}")
    return final


def class_names():
    from tf1_course.signs.inference import CLASS_NAMES

    return list(CLASS_NAMES)


def read_metadata(path):
    """The export's assets.extra/tf1_course.json as a dict ({} for a SavedModel made elsewhere)."""
    try:
        data = read_json(Path(path) / METADATA)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


Loaded = namedtuple("Loaded", ["graph", "sess", "images", "probabilities", "metadata"])


def load_session(path, batch_norm=None):
    """A SavedModel folder loaded in TF1 graph mode into its own Session (CPU, 1/1 threads as
    every Session here). Returns Loaded. Not a SIGNS export (another signature) is one UsageError."""
    from tf1_course.core import device
    from tf1_course.core.compat import tf

    path = Path(path)
    metadata = read_metadata(path)
    if batch_norm is None:
        batch_norm = bool(metadata.get("options", {}).get("batch_norm"))
    graph = tf.Graph()
    sess = tf.Session(graph=graph, config=device.session_config("cpu", batch_norm=batch_norm))
    try:
        meta = tf.saved_model.loader.load(sess, [TAG], str(path))
    except (tf.errors.OpError, RuntimeError, ValueError, OSError) as e:
        sess.close()
        raise UsageError(f"{path}: cannot load the SavedModel ({reason(e)})") from None
    signature = meta.signature_def.get(SIGNATURE)
    image_shape = [d.size for d in signature.inputs[INPUT].tensor_shape.dim] if signature and INPUT in signature.inputs else None
    if (image_shape != [-1, IMAGE_SIZE, IMAGE_SIZE, 3] or "probabilities" not in signature.outputs
            or signature.inputs[INPUT].dtype != tf.uint8.as_datatype_enum):
        sess.close()
        raise UsageError(f"{path}: not a tf1-course export (no {SIGNATURE} signature taking uint8 {INPUT} "
                         f"[None, 64, 64, 3] and giving probabilities); make one with `tf1-course export`")
    images = graph.get_tensor_by_name(signature.inputs[INPUT].name)
    probabilities = graph.get_tensor_by_name(signature.outputs["probabilities"].name)
    graph.finalize()
    return Loaded(graph, sess, images, probabilities, metadata)
