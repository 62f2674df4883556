"""Errors a user can cause. The CLI turns each into one line on stderr and exit code 2."""


class UsageError(Exception):
    """Bad input or a missing prerequisite: shown as one line, exit code 2, no traceback."""

    exit_code = 2


class DataError(UsageError):
    """A data file is missing, corrupt or not in the course's schema; the message names the file."""
