"""What every command shares: a one-line-error argument parser and the body of ``main()``.

A command module (train, evaluate, predict, ...) builds a :class:`Parser` and has
``main(argv=None) -> int: return run_main(build_parser(), run, argv)``.
"""

import argparse
import errno
import re
import signal
import sys
from pathlib import Path

from tf1_course.core.errors import UsageError
from tf1_course.core.fileio import permission_denied, write_failure
from tf1_course.core.interrupt import exit_code, signal_of, terminate_like_ctrl_c

# What the machine refuses, not a bug: a full disk, a folder the user cannot write.
ENVIRONMENT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM,
                      errno.EEXIST, errno.ENOTDIR, errno.EISDIR}  # ... or a file where a folder goes


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (exit 2) instead of usage + error."""

    def __init__(self, *args, description=None, **kwargs):
        # descriptions come from module docstrings: drop their reStructuredText ``quotes``
        super().__init__(*args, description=description and description.replace("``", ""), **kwargs)
        # "-1e-3" is a (negative) number, not an option: argparse only knows "-1" and "-0.5"
        self._negative_number_matcher = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def run_main(parser, run, argv=None):
    """Parse ``argv`` with ``parser`` and call ``run(args)``; the body of every command's main().

    A UsageError becomes one line on stderr and exit code 2, and so does an OSError the machine
    raised (a full disk, a folder not writable: ENVIRONMENT_ERRNOS); the files are written
    atomically, so nothing half-written is left. Ctrl-C or SIGTERM outside a training loop (which
    handles them itself) becomes one line and exit code 130 or 143. Anything else is a bug and
    keeps its traceback.
    """
    args = parser.parse_args(argv)
    try:
        with terminate_like_ctrl_c():
            return run(args) or 0
    except UsageError as e:
        print(f"{parser.prog}: error: {e}", file=sys.stderr)
        return e.exit_code
    except OSError as e:
        if e.errno not in ENVIRONMENT_ERRNOS:
            raise
        where = Path(e.filename) if e.filename else Path(".")
        if where.name.startswith(".") and where.name.endswith(".part"):  # our temporary file: its folder
            where = where.parent
        elif e.errno in (errno.EACCES, errno.EPERM) and where.is_file():  # a file we were reading
            print(f"{parser.prog}: error: {permission_denied(where)}", file=sys.stderr)
            return 2
        print(f"{parser.prog}: error: {write_failure(e, where, 'folder')}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as e:  # Terminated included
        if signal_of(e) == signal.SIGTERM:
            print(f"{parser.prog}: terminated (SIGTERM)", file=sys.stderr)
            return exit_code(signal.SIGTERM)
        print(f"{parser.prog}: interrupted", file=sys.stderr)
        return exit_code(signal.SIGINT)


# --- argument types shared by the commands (a bad value is argparse's one line) ---

def _whole(text):
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def positive_int(text):
    value = _whole(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def non_negative_int(text):
    value = _whole(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be 0 or more")
    return value


def probability(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be a probability, 0 to 1")
    return value


def port_number(text):
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (0 to 65535; 0 = any free port)")
    return int(text)


def megabytes(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value <= 10_000:
        raise argparse.ArgumentTypeError(f"{text!r} must be more than 0 and at most 10000 (MB)")
    return value
