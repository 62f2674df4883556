"""Which device a Session runs on: ``--device cpu|gpu|auto``, and the Session's configuration.

``auto`` (every command's default) runs on the GPU when TensorFlow sees one, else on the CPU;
``gpu`` where TensorFlow sees none is a UsageError (one line, exit 2) that says why and what to do.
Sessions use soft placement (an op with no GPU kernel falls back to the CPU) and, on GPUs,
``allow_growth`` (take GPU memory as needed instead of all of it at start-up). The CPU session
hides the GPUs, so ``--device cpu`` runs on the CPU even on a GPU machine: the course's numbers
are reproduced on the CPU; a GPU may differ from them in the last digits (other kernels, other
summation order).
"""

import os
import platform

from tf1_course.core.errors import UsageError

DEVICES = ("auto", "cpu", "gpu")


def gpus():
    """Names of the GPUs TensorFlow sees, e.g. ['/physical_device:GPU:0']."""
    from tf1_course.core.compat import tf

    return [d.name for d in tf.config.list_physical_devices("GPU")]


def resolve(device="auto"):
    """'auto' -> 'gpu' if TensorFlow sees one else 'cpu'; 'gpu' with none is a UsageError."""
    if device not in DEVICES:
        raise UsageError(f"--device must be one of {', '.join(DEVICES)}, not {device!r}")
    found = gpus() if device != "cpu" else []
    if device == "gpu" and not found:
        from tf1_course.core.compat import tf

        if not tf.test.is_built_with_cuda():
            raise UsageError("--device gpu: this TensorFlow is a CPU-only build (in Docker: use the "
                             "GPU image); use --device cpu or auto")
        raise UsageError("--device gpu: TensorFlow sees no GPU; check nvidia-smi, the CUDA libraries "
                         "(pip install 'tensorflow[and-cuda]'), CUDA_VISIBLE_DEVICES and "
                         "`docker run --gpus all`, or use --device cpu or auto")
    if device == "auto":
        return "gpu" if found else "cpu"
    return device


def session_config(device="cpu", intra_op_threads=1, inter_op_threads=1, batch_norm=False):
    """A ConfigProto for ``resolve(...)``'s answer ('cpu' or 'gpu').

    Threads: 0 = TensorFlow's default (the number of cores, so the bits then depend on the
    machine); the default 1/1 gives the same bits on every machine of one CPU kind. The Session
    gets thread pools of exactly these sizes, its own (``use_per_session_threads`` here for the
    inter-op pool, ``TF_OVERRIDE_GLOBAL_THREADPOOL`` in compat.py for the intra-op pool), never
    a pool an earlier Session in the process sized.

    ``batch_norm``: for graphs with batch norm, TensorFlow's graph remapper is switched off. Its
    oneDNN build (the default on x86 Linux) rewrites a batch-norm forward pass whose intermediates
    nothing else reads (the training-mode cost fetched without the gradients) into _MklLayerNorm,
    a layer norm over the last axis, which rejects gamma [n_l, 1] ("scale must be 1D tensor").
    Training (gradients in the same run) and test time (moving averages) never meet it; anything
    else would. Graphs without batch norm keep the remapper (and so the course's numbers).
    """
    from tf1_course.core.compat import tf

    if device not in ("cpu", "gpu"):
        raise ValueError(f"session_config needs resolve()'s answer, 'cpu' or 'gpu', not {device!r}")

    config = tf.ConfigProto(allow_soft_placement=True,
                            intra_op_parallelism_threads=intra_op_threads,
                            inter_op_parallelism_threads=inter_op_threads,
                            use_per_session_threads=True)
    if batch_norm:
        rewrite = config.graph_options.rewrite_options
        rewrite.remapping = type(rewrite).OFF
    if device == "cpu":
        config.device_count["GPU"] = 0
    else:
        config.gpu_options.allow_growth = True
    return config


def describe(device):
    """One log line: what TensorFlow sees and where the model runs."""
    from tf1_course.core.compat import TF_VERSION

    found = gpus()
    seen = ", ".join(["CPU"] + [g.replace("/physical_device:", "") for g in found])
    return f"TensorFlow {TF_VERSION} sees: {seen}; running on {device.upper()}"


def cpu_name():
    """The CPU's model name, e.g. 'AMD EPYC' (the bits of a run are guaranteed per CPU kind)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def determinism_record(device, intra_op_threads, inter_op_threads):
    """What, besides the flags, decides a run's bits: recorded in metrics.json (README, Determinism)."""
    from tf1_course.core.compat import TF_VERSION

    return {"device": device, "cpu": cpu_name(), "tensorflow": TF_VERSION,
            "intra_op_threads": intra_op_threads, "inter_op_threads": inter_op_threads,
            "TF_ENABLE_ONEDNN_OPTS": os.environ.get("TF_ENABLE_ONEDNN_OPTS")}
