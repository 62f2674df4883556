"""Errors a user can cause. The CLI turns each into one line on stderr and exit code 2."""

import os


class UsageError(Exception):
    """Bad input or a missing prerequisite: shown as one line, exit code 2, no traceback."""

    exit_code = 2


class DataError(UsageError):
    """A data file is missing, corrupt or not in the course's schema; the message names the file."""


def reason(error):
    """One short line for a TensorFlow or OS error, e.g. 'No space left on device'.

    TensorFlow's messages start with 'Graph execution error:' and a stack of where the node was
    defined; the cause is the line after 'Node: ...', often 'path; cause'.
    """
    if isinstance(error, OSError) and error.errno is not None:
        return os.strerror(error.errno)
    message = getattr(error, "message", None) or str(error)
    skip = ("Graph execution error", "Detected at node", "File ", "Node:", "Hint:", "[[")
    lines = [line.strip() for line in message.splitlines()
             if line.strip() and not line.startswith((" ", "\t")) and not line.strip().startswith(skip)]
    if not lines:
        return type(error).__name__
    return lines[0].rsplit("; ", 1)[-1]
