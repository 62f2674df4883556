"""Ray for this project: a local instance started for one command, or a cluster at ``--address``.

    with session(address) as cpus:            # Ray for a block: started (or joined) and stopped
        ...                                   # whatever fails inside, a Ray started here is stopped
    address = prepare_environment(address)   # before ``import ray``: workers' environment, auth
    connect(address)                          # start a local Ray (own temporary folder) or join
    disconnect()                              # stop it; a local instance's session folder goes too
    probe(address)                            # one line, in seconds, unless a Ray GCS answers there

Used by ``tune`` (trials on Ray Tune) and ``reproduce`` (tasks on Ray).
"""

import contextlib
import logging
import os
import shutil
import signal
import tempfile
import threading

from tf1_course.core.errors import UsageError
from tf1_course.core.interrupt import NAMES, raised_by

# Ray 2.60 turns token authentication on for a cluster (`ray start`: the token is in ~/.ray/auth_token)
# and for a local instance alike; a driver must say so before `import ray` runs anywhere in its
# process (Ray reads it then), or a cluster refuses it ("Authentication token is missing"). So it
# is set when this module loads, before any code of ours imports ray. RAY_AUTH_MODE=disabled opts
# out (for a cluster started with it).
os.environ.setdefault("RAY_AUTH_MODE", "token")

ADDRESS_ENV = "RAY_ADDRESS"
CONNECT_TIMEOUT_S = 5  # how long to wait for a cluster at --address (connect, then one GCS call)
# Set in the driver before a local Ray starts, so its workers inherit them (through runtime_env
# they would cost Ray its pre-started workers): workers at normal priority (Ray's default nice 15
# starves them when anything else runs), TensorFlow's per-Session thread pools (tf1_course.core.compat
# sets it too), quiet TensorFlow. A cluster's nodes get them from the shell that runs `ray start`.
WORKER_ENV = {"TF_OVERRIDE_GLOBAL_THREADPOOL": "1", "TF_CPP_MIN_LOG_LEVEL": "3",
              "RAY_worker_niceness": "0", "PYTHONUNBUFFERED": "1"}


def prepare_environment(address=None):
    """The environment Ray reads when it is imported and started: call before ``import ray``.

    Returns the address to use (``address``, else $RAY_ADDRESS, else None for a local instance).
    """
    address = address or os.environ.get(ADDRESS_ENV)
    os.environ.update(WORKER_ENV)  # inherited by a local instance's workers
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")  # with verbose=0: no tables, our own progress lines
    os.environ["TUNE_DISABLE_SIGINT_HANDLER"] = "1"  # Ctrl-C is ours: run_trials stops the trials cleanly
    return address


_LOCAL_TEMP = []  # the temporary folders of the local instance this process started (see disconnect)


def connect(address=None, num_cpus=None):
    """Start a local Ray instance, or connect to ``address``; one UsageError if it is not there.

    A local instance keeps its session (logs, sockets, 0.3-7 MB) in a temporary folder of its own,
    not in /tmp/ray beside every other session: :func:`disconnect` removes it, and only it.
    """
    address = prepare_environment(address)
    import ray

    kwargs = dict(log_to_driver=False, logging_level=logging.ERROR, configure_logging=True)
    # a failed trial is one line from run_trials (its error file's last line), not Tune's traceback
    logging.getLogger("ray.tune").setLevel(logging.CRITICAL)
    if address:
        probe(address)
        try:
            with _own_handlers(hold=False):  # joining starts nothing here: a signal acts at once
                ray.init(address=address, **kwargs)
        except (ConnectionError, RuntimeError, ValueError, TimeoutError) as e:
            first = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
            raise UsageError(f"no Ray cluster reachable at {address} ({first}); start one with "
                             f"`ray start --head --port=PORT`, or drop --address to run locally") from None
        return address
    # "local": a new instance for this run, even if `ray start` left one running on this machine;
    # short path: Ray's Unix sockets live below it (at most 107 bytes)
    temp = tempfile.mkdtemp(prefix="tf1-ray-", dir="/tmp" if os.path.isdir("/tmp") else None)
    _LOCAL_TEMP.append(temp)
    # the workers' temporary files (a task's scratch folders) in a folder of this instance's, in the
    # user's temporary folder: a task stopped by Ctrl-C or SIGTERM leaves nothing once disconnect()
    # removes it (this process keeps its own temporary folder: tempfile computes it once, here)
    work = tempfile.mkdtemp(prefix="tf1-ray-work-")
    _LOCAL_TEMP.append(work)
    held = []
    try:
        with _own_handlers(hold=True) as held, _environ(TMPDIR=work):
            ray.init(address="local", num_cpus=num_cpus or os.cpu_count(), include_dashboard=False,
                     _temp_dir=temp, **kwargs)
        if held:  # Ctrl-C or SIGTERM while Ray started: stop it whole (below), then act on the signal
            raise raised_by(held[0])
    except BaseException:
        disconnect()  # whatever Ray started is stopped, its folders removed
        if held:
            raise raised_by(held[0]) from None
        raise
    return address


@contextlib.contextmanager
def _own_handlers(hold):
    """The command's Ctrl-C and SIGTERM handlers kept through ``ray.init``: it replaces SIGTERM's with
    its own ``sys.exit`` (and Ray's C++ core adds a crash dump for it); afterwards the command's
    are back. ``hold``: record the signals instead of acting on them (yields their list): while a
    local Ray starts, an interrupt half-way would leave its agents running without a parent and its
    session folder behind, and a KeyboardInterrupt inside Ray's C++ start-up can crash the process."""
    if threading.current_thread() is not threading.main_thread():
        yield []
        return
    import ray._private.utils as ray_utils

    held = []
    previous = {s: signal.getsignal(s) for s in NAMES}
    if hold:
        for s in NAMES:
            signal.signal(s, lambda signum, frame: held.append(signum))
    set_sigterm_handler = getattr(ray_utils, "set_sigterm_handler", None)
    if set_sigterm_handler is not None:
        ray_utils.set_sigterm_handler = lambda handler: None
    try:
        yield held
    finally:
        if set_sigterm_handler is not None:
            ray_utils.set_sigterm_handler = set_sigterm_handler
        for signum, handler in previous.items():
            if handler is not None:  # None: set outside Python, cannot be put back
                signal.signal(signum, handler)


@contextlib.contextmanager
def _environ(**values):
    """``os.environ`` with ``values`` for the block (what processes started inside inherit)."""
    before = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def disconnect():
    """Stop (or leave) Ray; a local instance's session folder goes with it."""
    import ray

    ray.shutdown()
    while _LOCAL_TEMP:
        shutil.rmtree(_LOCAL_TEMP.pop(), ignore_errors=True)


@contextlib.contextmanager
def session(address=None):
    """Ray for the block: a local instance (or ``address``) unless this process has Ray already.
    Yields the cluster's CPUs; a Ray started here is stopped at the end, whatever happens inside."""
    address = prepare_environment(address)
    import ray

    started_here = not ray.is_initialized()
    try:
        if started_here:
            connect(address)
        yield max(1, int(ray.cluster_resources().get("CPU", 1)))
    finally:
        if started_here:
            disconnect()


def task_error(error, label):
    """A UsageError for a Ray task's or trial's failure: the cause's own when it was one (a worker's
    one-line error), else one line naming ``label`` and the reason (never Ray's remote traceback)."""
    from tf1_course.core.errors import reason

    cause = getattr(error, "cause", None) or error
    if isinstance(cause, UsageError):
        return cause
    return UsageError(f"{label} failed: {type(cause).__name__}: {reason(cause)}")


def parse_address(address):
    """(host, port) of HOST:PORT; anything else is one UsageError."""
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"--address {address!r}: expected HOST:PORT with a port 1-65535, e.g. 127.0.0.1:6379")
    return host, int(port)


def probe(address, timeout=CONNECT_TIMEOUT_S):
    """One UsageError, within ``timeout`` seconds or so, unless a Ray cluster answers at HOST:PORT.

    Ray itself would retry for minutes: 820 s measured here for an address that does not answer,
    and more than 300 s for a port that answers but is not Ray's (a dashboard, any other service).
    So first a TCP connection, then one call of the GCS's own gRPC service (GetClusterId), which
    only a Ray GCS answers (a cluster with token authentication answers "unauthenticated": Ray).
    """
    import socket

    if address.startswith("ray://"):
        return
    host, port = parse_address(address)
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as e:
        raise UsageError(f"no Ray cluster reachable at {address} ({e.strerror or 'timed out'}); start one with "
                         f"`ray start --head --port={port}`, or drop --address to run locally") from None
    why = _not_a_ray_gcs(address, timeout)
    if why:
        raise UsageError(f"{address} answers but is not a Ray cluster ({why}); give the address of a Ray head "
                         f"(`ray start --head` prints it), or drop --address to run locally")


GCS_METHOD = "/ray.rpc.NodeInfoGcsService/GetClusterId"  # answered by every Ray GCS; an empty request


def _not_a_ray_gcs(address, timeout):
    """None when a Ray GCS answers at ``address``, else a few words on what answered instead."""
    import grpc

    with grpc.insecure_channel(address) as channel:
        call = channel.unary_unary(GCS_METHOD, request_serializer=bytes, response_deserializer=bytes)
        try:
            call(b"", timeout=timeout)
        except grpc.RpcError as e:
            code = e.code()
            if code in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED):
                return None  # Ray's GCS, asking for its token
            if code == grpc.StatusCode.DEADLINE_EXCEEDED:
                return f"no gRPC answer within {timeout:g} s"
            if code == grpc.StatusCode.UNIMPLEMENTED:
                return "a gRPC server without Ray's GCS service"
            return f"not a gRPC server: {code.name.lower()}"
    return None
