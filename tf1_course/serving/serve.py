"""``tf1-course serve``: a local web page where you show your hand to the model (upload or webcam).

    tf1-course serve                          # the run in runs/signs, on http://127.0.0.1:8000/
    tf1-course serve --model exports/signs    # the newest exported version, loaded in TF1 graph mode

The model is loaded once and shared by every request. The page is at /, the API at
POST /api/predict (a multipart photo in the field "photo") and GET /healthz (docs/serving.md).
It listens on 127.0.0.1 only unless --host says otherwise. Ctrl-C stops it (exit 130).
"""

import socket
import sys

from tf1_course.core.command import Parser, megabytes, port_number, run_main
from tf1_course.core.device import DEVICES
from tf1_course.core.errors import UsageError
from tf1_course.signs.rundir import CHECKPOINT_KINDS, DEFAULT_RUN_DIR

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def build_parser():
    from tf1_course.serving.app import MAX_MB

    p = Parser(prog="tf1-course serve", description=__doc__.split("\n\n")[0])
    which = p.add_mutually_exclusive_group()
    which.add_argument("--run-dir", help=f"serve this trained run (default {DEFAULT_RUN_DIR})")
    which.add_argument("--model", metavar="DIR",
                       help="serve a SavedModel: a folder of versions (the highest is served) or one version")
    p.add_argument("--host", default=DEFAULT_HOST,
                   help=f"address to listen on (default {DEFAULT_HOST}: this machine only; 0.0.0.0: the network)")
    p.add_argument("--port", type=port_number, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0: any free one)")
    p.add_argument("--max-mb", type=megabytes, default=MAX_MB, help=f"largest upload in MB (default {MAX_MB})")
    p.add_argument("--device", choices=DEVICES, default="auto", help="where a run's model runs (default auto)")
    p.add_argument("--checkpoint", choices=CHECKPOINT_KINDS,
                   help="a run's best (highest dev accuracy, runs trained with --dev) or last checkpoint "
                        "(default: best if there is one)")
    return p


def listen(host, port):
    """A socket bound and listening on (host, port): the port is ours before the startup line is
    printed (port 0: the one the system chose). A port in use is one UsageError."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as e:
        raise UsageError(f"--host {host}: not an address of this machine ({e.strerror})") from None
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(128)
    except OSError as e:
        sock.close()
        raise UsageError(f"cannot listen on {host}:{port} ({e.strerror}); choose another --port "
                         f"(0: any free one)") from None
    return sock


def page_url(sock, host):
    """The address a browser on this machine opens."""
    port = sock.getsockname()[1]
    shown = {"0.0.0.0": "127.0.0.1", "::": "[::1]", "": "127.0.0.1"}.get(host, host)
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def run(args):
    import uvicorn

    from tf1_course.serving.app import create_app
    from tf1_course.serving.models import open_served

    if args.model and args.checkpoint:
        raise UsageError("--checkpoint picks a run's checkpoint: it goes with --run-dir, not --model")
    served = open_served(model=args.model, run_dir=args.run_dir or DEFAULT_RUN_DIR, device=args.device,
                         checkpoint=args.checkpoint)
    try:
        app = create_app(served, max_bytes=int(args.max_mb * 1_000_000))
        sock = listen(args.host, args.port)
        url = page_url(sock, args.host)
        if args.host not in ("127.0.0.1", "localhost", "::1"):
            print(f"note: listening on {args.host}: other machines can reach this page too; their browsers "
                  f"allow the camera only over https (uploads work)", flush=True)
        print(f"serving {served.info['model']}: open {url} in a browser (Ctrl-C stops)", flush=True)
        config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=5)
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        served.close()
    return 0


def main(argv=None):
    return run_main(build_parser(), run, argv)


if __name__ == "__main__":
    sys.exit(main())
