"""Independent tasks on Ray, the longest first, never more at once than the cluster has CPUs, so
no core idles while work is left; and what ran where and when (``reproduce --profile``).

    with open_pool(address=None) as pool:            # a local Ray (or the cluster at --address)
        pool.add(Task("lab-init-he-tf", "lab init he (tf)", 12.0, work.lab_job, ("init", "he", "tf")))
        pool.submit()                                # the CPUs get work; the driver may go on
        for task, value in pool.results():           # as each task ends
            ...

Ray runs the tasks (``ray.remote``, one CPU each); the pool only decides which waiting task goes
next: the one with the largest ``estimate`` (seconds). Tasks may be added while others run. A
task's arguments may be Ray object refs (``pool.put(value)``: large arrays sent once).
"""

import contextlib
import os
import time
from collections import namedtuple

from tf1_course.core import cluster  # before any `import ray` here: it sets Ray's environment

Task = namedtuple("Task", ["key", "label", "estimate", "function", "args"])
# start/end: seconds from the pool's start, by the clock of the task's node (nodes' clocks may differ a little)
Timing = namedtuple("Timing", ["key", "label", "start", "end", "worker"])


def _execute(function, *args):
    """In a Ray worker: run the task; its value, and when and where it ran. (Object refs among
    ``args`` arrive as their values: Ray resolves top-level arguments.)"""
    import ray

    start = time.time()
    value = function(*args)
    worker = f"{ray.get_runtime_context().get_node_id()[:8]}/{os.getpid()}"
    return value, start, time.time(), worker


@contextlib.contextmanager
def open_pool(address=None):
    """A Pool on a local Ray instance started for the block (or on the cluster at ``address``);
    whatever happens inside, tasks still running end with the Ray session: leaving Ray ends this
    job's tasks, locally and on a cluster (a Ray started here is stopped). They are not cancelled
    with ``ray.cancel(ref, force=True)``: it can race a task that is ending, and Ray 2.60's core
    then aborts the whole process ("Tried to complete task that was not pending", seen on SIGTERM)."""
    with cluster.session(address) as cpus:
        yield Pool(cpus)


class Pool:
    """Tasks on the Ray this process is connected to, at most ``cpus`` at once."""

    def __init__(self, cpus):
        import ray

        self.cpus = cpus
        self.remote = ray.remote(num_cpus=1, max_retries=0)(_execute)
        self.waiting, self.running, self.timings = [], {}, []
        self.t0 = time.time()

    def put(self, value):
        """An object ref for ``value`` (sent to the object store once, whatever the tasks using it)."""
        import ray

        return ray.put(value)

    def add(self, task):
        self.waiting.append(task)

    def submit(self):
        """Start the longest waiting tasks on the free CPUs (results() does it as tasks end)."""
        self.waiting.sort(key=lambda t: -t.estimate)  # the longest first
        while self.waiting and len(self.running) < self.cpus:
            task = self.waiting.pop(0)
            self.running[self.remote.remote(task.function, *task.args)] = task

    def results(self):
        """Yield (task, value) as tasks end, submitting waiting ones as CPUs free up; a task that
        fails is one UsageError here (the others are cancelled when the pool closes)."""
        import ray

        self.submit()
        while self.running:
            (ref,), _ = ray.wait(list(self.running), num_returns=1)
            task = self.running.pop(ref)
            try:
                value, start, end, worker = ray.get(ref)
            except ray.exceptions.RayError as e:  # its remote traceback is not for the user
                raise cluster.task_error(e, task.label) from None
            self.timings.append(Timing(task.key, task.label, start - self.t0, end - self.t0, worker))
            yield task, value  # the caller may add tasks here
            self.submit()


def profile_lines(timings, wall):
    """What ran where and when, per worker, and the critical path: the tasks of the worker that
    finished last, in order, with its idle time (``wall``: the tasks' wall seconds)."""
    lines = [f"{len(timings)} tasks in {wall:.1f} s wall:"]
    by_worker = {}
    for t in sorted(timings, key=lambda t: t.start):
        by_worker.setdefault(t.worker, []).append(t)
    for worker, tasks in by_worker.items():
        busy = sum(t.end - t.start for t in tasks)
        lines.append(f"  worker {worker}: {len(tasks)} tasks, busy {busy:.1f} s ({100 * busy / max(wall, 1e-9):.0f}%)")
    lines.append("  task                                             start      end  seconds  worker")
    for t in sorted(timings, key=lambda t: t.start):
        lines.append(f"  {t.label[:46]:<46} {t.start:8.1f} {t.end:8.1f} {t.end - t.start:8.1f}  {t.worker}")
    if timings:
        last = max(timings, key=lambda t: t.end)
        chain = by_worker[last.worker]
        idle = last.end - sum(t.end - t.start for t in chain)
        lines.append(f"critical path (worker {last.worker}, last to finish at {last.end:.1f} s; idle {idle:.1f} s): "
                     + " -> ".join(f"{t.label} {t.end - t.start:.1f} s" for t in chain))
    return lines
