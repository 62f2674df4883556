"""Which device a Session runs on: ``--device cpu|gpu|auto``, and the Session's configuration.

Sessions use soft placement (an op with no GPU kernel falls back to the CPU) and, on GPUs,
``allow_growth`` (take GPU memory as needed instead of all of it at start-up).
"""

from tf1_course.errors import UsageError

DEVICES = ("auto", "cpu", "gpu")


def gpus():
    """Names of the GPUs TensorFlow sees, e.g. ['/physical_device:GPU:0']."""
    from tf1_course.compat import tf

    return [d.name for d in tf.config.list_physical_devices("GPU")]


def resolve(device="auto"):
    """'auto' -> 'gpu' if TensorFlow sees one else 'cpu'; 'gpu' with none is a UsageError."""
    if device not in DEVICES:
        raise UsageError(f"--device must be one of {', '.join(DEVICES)}, not {device!r}")
    found = gpus() if device != "cpu" else []
    if device == "gpu" and not found:
        from tf1_course.compat import tf

        why = ("this TensorFlow build has no CUDA support" if not tf.test.is_built_with_cuda()
               else "no GPU is visible (driver, CUDA_VISIBLE_DEVICES, or docker run --gpus all?)")
        raise UsageError(f"--device gpu: TensorFlow sees no GPU ({why}); use --device cpu or auto")
    if device == "auto":
        return "gpu" if found else "cpu"
    return device


def session_config(device="cpu", intra_op_threads=0, inter_op_threads=0):
    """A ConfigProto for ``resolve(...)``'s answer; 0 threads = TensorFlow's default."""
    from tf1_course.compat import tf

    config = tf.ConfigProto(allow_soft_placement=True,
                            intra_op_parallelism_threads=intra_op_threads,
                            inter_op_parallelism_threads=inter_op_threads)
    if device == "cpu":
        config.device_count["GPU"] = 0
    else:
        config.gpu_options.allow_growth = True
    return config


def describe(device):
    """One log line: what TensorFlow sees and where the model runs."""
    from tf1_course.compat import TF_VERSION

    found = gpus()
    seen = ", ".join(["CPU"] + [g.replace("/physical_device:", "") for g in found])
    return f"TensorFlow {TF_VERSION} sees: {seen}; running on {device.upper()}"
