"""Ctrl-C and SIGTERM: stop long work cleanly, the same way for both.

``docker stop`` sends the image's STOPSIGNAL (SIGINT, Ctrl-C); Kubernetes, ``ray job stop``,
systemd and most schedulers send SIGTERM. Both mean "stop", so both are handled alike:

- inside :class:`Interrupt` (a training loop, a study's trials): the first signal sets
  ``requested`` and says what happens (the loop finishes its epoch and saves a checkpoint); a
  second aborts (KeyboardInterrupt, or :class:`Terminated` for SIGTERM);
- anywhere else in a command, :func:`terminate_like_ctrl_c` makes SIGTERM raise
  :class:`Terminated`, a KeyboardInterrupt, so every Ctrl-C path (files written atomically, locks
  released) runs for it too.

The exit code is the shell's for the signal: 130 for Ctrl-C (SIGINT), 143 for SIGTERM.
"""

import contextlib
import signal
import sys

NAMES = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM"}


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where a Ctrl-C raises KeyboardInterrupt."""


def exit_code(signum):
    """128 + the signal's number: 130 for SIGINT, 143 for SIGTERM."""
    return 128 + int(signum)


def raised_by(signum):
    """The exception a second signal (or one outside :class:`Interrupt`) raises."""
    _LAST[0] = signum
    return Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


_LAST = [None]  # the signal behind the last interrupt raised here


def signal_of(error):
    """SIGTERM or SIGINT: which signal a KeyboardInterrupt stands for. Ray re-raises a plain
    KeyboardInterrupt for the :class:`Terminated` it catches in ``ray.wait``/``ray.get``, so the
    signal is also remembered where it was raised."""
    return signal.SIGTERM if isinstance(error, Terminated) or _LAST[0] == signal.SIGTERM else signal.SIGINT


class Interrupt:
    """First Ctrl-C or SIGTERM sets ``requested`` and ``signum`` and prints ``message``; a second
    aborts. ``flag``: another object whose ``requested``/``signum`` the handler sets instead
    (tuning's Ray stopper). Outside the main thread (a Ray worker) it installs nothing."""

    def __init__(self, message="finishing this epoch and saving a checkpoint", flag=None):
        self.requested, self.signum = False, None
        self.previous = {}
        self.message, self.flag = message, flag if flag is not None else self

    def _handler(self, signum, frame):
        if self.flag.requested:
            raise raised_by(signum)
        self.flag.requested, self.flag.signum = True, signum
        _LAST[0] = signum
        name = NAMES.get(signum, f"signal {signum}")
        print(f"\n{name}: {self.message} (Ctrl-C again to abort)", file=sys.stderr, flush=True)

    def __enter__(self):
        for signum in NAMES:
            try:
                self.previous[signum] = signal.signal(signum, self._handler)
            except ValueError:  # not the main thread: signals behave as usual
                pass
        return self

    def __exit__(self, *exc):
        for signum, previous in self.previous.items():
            signal.signal(signum, previous)
        self.previous = {}
        return False


@contextlib.contextmanager
def terminate_like_ctrl_c():
    """While inside, SIGTERM raises :class:`Terminated` (a KeyboardInterrupt) in the main thread."""
    def handler(signum, frame):
        raise raised_by(signum)

    _LAST[0] = None
    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
