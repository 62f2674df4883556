"""Progress on long work, on a terminal and in a log: a tqdm bar on a terminal, and where stderr is
not a terminal (CI, ``docker logs``, a pipe) a plain line on stdout every tenth of the way, so a log shows
the work moving too.

    with progress.bar(total=1500, desc="train", unit="epoch") as bar:
        for epoch in ...:
            bar.set_postfix(cost=f"{cost:.4f}")
            bar.update()
"""

import sys
import time

from tqdm import tqdm

LINES = 10  # plain lines per run of the bar when stderr is not a terminal


def bar(total, desc="", unit="it", initial=0, enabled=True, leave=True):
    """A tqdm bar on a terminal, a LineProgress elsewhere, nothing when not ``enabled``."""
    if not enabled:
        return tqdm(total=total, initial=initial, disable=True)
    if sys.stderr.isatty():
        return tqdm(total=total, initial=initial, desc=desc, unit=unit, leave=leave, dynamic_ncols=True)
    return LineProgress(total, desc, unit, initial)


class LineProgress:
    """tqdm's update/set_postfix/close, printed as a line at each tenth of ``total`` (and at the end)."""

    def __init__(self, total, desc, unit, initial=0, stream=None):
        self.total, self.desc, self.unit, self.n = total, desc, unit, initial
        self.stream = stream or sys.stdout  # a log line, beside the cost lines
        self.postfix = ""
        self.start = time.perf_counter()
        self.next_line = self._next_mark(initial)

    def _next_mark(self, n):
        step = max(1, -(-self.total // LINES))  # ceil(total / LINES)
        return (n // step + 1) * step

    def set_postfix(self, **values):
        self.postfix = ", ".join(f"{k} {v}" for k, v in values.items())

    def update(self, n=1):
        self.n += n
        if self.n >= self.next_line or self.n >= self.total:
            self._line()
            self.next_line = self._next_mark(self.n)

    def _line(self):
        seconds = time.perf_counter() - self.start
        extra = f", {self.postfix}" if self.postfix else ""
        name = f"{self.desc}: " if self.desc else ""
        print(f"{name}{self.n}/{self.total} {self.unit}s ({100 * self.n / max(self.total, 1):.0f}%), "
              f"{seconds:.0f} s{extra}", file=self.stream, flush=True)

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
