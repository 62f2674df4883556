"""A study in TensorBoard's HParams view: every trial's hyperparameters against its dev accuracy.

    write(folder, space, results)   folder (STUDY/tensorboard/) replaced whole, atomically

The folder holds the experiment (the searched hyperparameters with their ranges or choices, and
the metrics) and one run per trial, ``trial-0007/``: its values (a session start), its results as
scalars (dev_accuracy, train_accuracy, final_cost, at its last epoch) and how it ended (a session
end: finished is a success; diverged, collapsed and error failures; stopped unknown).
``tensorboard --logdir runs/tune`` shows them in the HPARAMS tab, beside each trial's own curves
(``trials/0007/tensorboard/``).

The study's driver calls :func:`write` with the results it gathered (``tune``, after its trials):
nothing here runs inside a Ray trial. Written with tensorboard's v1 HParams summaries (protocol
buffers) through tf.compat.v1's FileWriter.
"""


from tf1_course.core.fileio import staged_dir

METRICS = {"dev_accuracy": "dev accuracy", "train_accuracy": "train accuracy", "final_cost": "final cost"}
RANGES = ("log", "one-minus-log", "uniform")  # the spec kinds that are an interval (the rest: discrete values)


def hparam_infos(space):
    """[HParamInfo] of every hyperparameter of ``space`` ({name: Spec}): an interval or its values."""
    from tensorboard.plugins.hparams import api_pb2
    from google.protobuf import struct_pb2

    infos = []
    for name, spec in sorted(space.items()):
        if spec.kind in RANGES:
            infos.append(api_pb2.HParamInfo(name=name, type=api_pb2.DATA_TYPE_FLOAT64,
                                            domain_interval=api_pb2.Interval(min_value=spec.low, max_value=spec.high)))
            continue
        values = spec.values if spec.values else tuple(2 ** k for k in range(31) if spec.low <= 2 ** k <= spec.high)
        named = isinstance(values[0], str)
        listed = struct_pb2.ListValue()
        listed.extend([v if named else float(v) for v in values])
        infos.append(api_pb2.HParamInfo(name=name, domain_discrete=listed,
                                        type=api_pb2.DATA_TYPE_STRING if named else api_pb2.DATA_TYPE_FLOAT64))
    return infos


def status_of(result):
    from tensorboard.plugins.hparams import api_pb2

    return {"finished": api_pb2.STATUS_SUCCESS, "diverged": api_pb2.STATUS_FAILURE,
            "collapsed": api_pb2.STATUS_FAILURE, "error": api_pb2.STATUS_FAILURE}.get(result["status"],
                                                                                       api_pb2.STATUS_UNKNOWN)


def write(folder, space, results):
    """The experiment and one run per trial of ``results`` ({trial: results.json entry}) into ``folder``."""
    from tf1_course.core.compat import tf  # first: TensorFlow as the project sets it up (and not for --help)
    from tensorboard.plugins.hparams import api_pb2, summary

    with staged_dir(folder) as work:
        _write_into(work, space, results, tf, api_pb2, summary)


def _write_into(work, space, results, tf, api_pb2, summary):
    metrics = [api_pb2.MetricInfo(name=api_pb2.MetricName(tag=tag), display_name=shown)
               for tag, shown in METRICS.items()]
    experiment = summary.experiment_pb(hparam_infos(space), metrics)
    writer = tf.summary.FileWriter(str(work))
    writer.add_summary(experiment)
    writer.close()
    for k, r in sorted(results.items()):
        run = f"trial-{k:04d}"
        writer = tf.summary.FileWriter(str(work / run))
        values = {name: r["values"][name] for name in space if name in r["values"]}
        writer.add_summary(summary.session_start_pb(values, group_name=run))
        step = r.get("epochs") or 0
        scalars = [tf.Summary.Value(tag=tag, simple_value=float(r[tag])) for tag in METRICS if r.get(tag) is not None]
        if scalars:
            writer.add_summary(tf.Summary(value=scalars), step)
        writer.add_summary(summary.session_end_pb(status_of(r)))
        writer.close()
