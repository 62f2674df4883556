"""What every command shares: a one-line-error argument parser and the body of ``main()``.

A command module (train, evaluate, predict, ...) builds a :class:`Parser` and has
``main(argv=None) -> int: return run_main(build_parser(), run, argv)``.
"""

import argparse
import errno
import sys
from pathlib import Path

from tf1_course.errors import UsageError
from tf1_course.fileio import write_failure

# What the machine refuses, not a bug: a full disk, a folder the user cannot write.
ENVIRONMENT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM}


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (exit 2) instead of usage + error."""

    def __init__(self, *args, description=None, **kwargs):
        # descriptions come from module docstrings: drop their reStructuredText ``quotes``
        super().__init__(*args, description=description and description.replace("``", ""), **kwargs)

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def run_main(parser, run, argv=None):
    """Parse ``argv`` with ``parser`` and call ``run(args)``; the body of every command's main().

    A UsageError becomes one line on stderr and exit code 2, and so does an OSError the machine
    raised (a full disk, a folder not writable: ENVIRONMENT_ERRNOS); the files are written
    atomically, so nothing half-written is left. Ctrl-C outside a training loop (which handles it
    itself) becomes one line and exit code 130. Anything else is a bug and keeps its traceback.
    """
    args = parser.parse_args(argv)
    try:
        return run(args) or 0
    except UsageError as e:
        print(f"{parser.prog}: error: {e}", file=sys.stderr)
        return e.exit_code
    except OSError as e:
        if e.errno not in ENVIRONMENT_ERRNOS:
            raise
        where = Path(e.filename) if e.filename else Path(".")
        print(f"{parser.prog}: error: {write_failure(e, where, 'folder')}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{parser.prog}: interrupted", file=sys.stderr)
        return 130
