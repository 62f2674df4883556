#!/usr/bin/env python3
"""Benchmark the tuning engine: the same trials sequentially, as two plain processes, and on Ray.

Eight short trials (the course's SIGNS model on the tuning split, learning rates 1e-4 .. 8e-4,
``--epochs`` each) run three ways, each in its own fresh process tree, one after the other:

    sequential   one process trains them one by one (``training.train``, the code ``train`` runs)
    two          two plain processes at once, four trials each: what 2 cores can do at best
    ray          ``trials.run_trials`` on a local Ray started for the run (what ``tune`` does)
    ray-started  the same on a Ray started beforehand (``ray start``), as a cluster user would

Prints wall seconds of each, the ratios ray/sequential and ray/two, Ray's three phases (start or
join, the trials, stop), the peak memory of each whole process tree and the CPU seconds of each
kind of process in it (Ray's GCS, raylet, agents, log monitor, the driver, the trial workers;
sampled every 0.2 s), the trials' epoch loops added up (their metrics.json ``seconds``), and checks
that every way gave the same final costs. The Ray trials do the plain trainers' work (no dev
accuracy after every epoch) unless ``--score-epochs``.
A benchmark, not a test: timings depend on the machine and on what else runs on it.

    .venv/bin/python scripts/bench_tune.py                 # 8 trials x 100 epochs
    .venv/bin/python scripts/bench_tune.py --epochs 300 --json runs/bench_tune.json
"""

import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from tf1_course.core.command import Parser, run_main  # noqa: E402
from tf1_course.core.errors import UsageError  # noqa: E402

LEARNING_RATES = [1e-4 * k for k in range(1, 9)]
WAYS = ("sequential", "two", "ray", "ray-started")


def build_parser():
    p = Parser(prog="bench_tune.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=100, help="epochs per trial (default 100)")
    p.add_argument("--data-dir", help="folder with the tuning split (default datasets/)")
    p.add_argument("--ways", default=",".join(WAYS), help=f"which ways to run (default {','.join(WAYS)})")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    p.add_argument("--score-epochs", action="store_true",
                   help="Ray trials also score the dev set after every epoch, as `tune` does for its curves "
                        "(default: off, the same work as the plain trainers)")
    p.add_argument("--worker", help=argparse_hidden())  # internal: run trials KEYS in this process
    p.add_argument("--out", help=argparse_hidden())
    return p


def argparse_hidden():
    import argparse

    return argparse.SUPPRESS


def trials(epochs):
    """[(key, flags)] of the eight trials."""
    flags = {"num_epochs": epochs, "print_every": epochs + 1, "save_every": epochs}
    return [(k, {**flags, "learning_rate": lr}) for k, lr in enumerate(LEARNING_RATES)]


def run_worker(args):
    """Inside a child process: train the trials named in --worker (comma-separated keys)."""
    from tf1_course.signs.training import train
    from tf1_course.tuning.study import TUNING_FILES

    keys = [int(k) for k in args.worker.split(",")]
    for k, flags in trials(args.epochs):
        if k in keys:
            train(Path(args.out) / f"t{k}", flags, args.data_dir, "cpu", files=TUNING_FILES, echo=False,
                  show_progress=False)
    return 0


# what a process of the tree is, by its command line: Ray's own processes and the rest
KINDS = (("gcs_server", "Ray GCS"), ("raylet", "Ray raylet"), ("dashboard/agent.py", "Ray dashboard agent"),
         ("runtime_env/agent", "Ray runtime-env agent"), ("log_monitor", "Ray log monitor"),
         ("autoscaler/_private/monitor", "Ray monitor"), ("dashboard/dashboard.py", "Ray dashboard"),
         ("ray::", "trial workers"), ("default_worker", "trial workers"), ("--worker ray", "the driver"),
         ("--worker", "plain trainers"))


def kind(cmdline):
    return next((name for key, name in KINDS if key in cmdline), "other")


class TreeMemory:
    """Peak resident memory of this process's descendants (summed), and the CPU seconds of each
    (utime + stime, the last value seen of every process), sampled every 0.2 s."""

    def __init__(self):
        self.peak, self.stop = 0, threading.Event()
        self.page = os.sysconf("SC_PAGE_SIZE")
        self.tick = os.sysconf("SC_CLK_TCK")
        self.cpu = {}  # pid -> (kind, CPU seconds)
        self.thread = threading.Thread(target=self._sample, daemon=True)

    def _descendants(self):
        parents = {}
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/stat") as f:
                    parents[int(pid)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
        found, frontier = set(), {os.getpid()}
        while frontier:
            frontier = {p for p, parent in parents.items() if parent in frontier} - found
            found |= frontier
        return found

    def _sample(self):
        while not self.stop.wait(0.2):
            total = 0
            for pid in self._descendants():
                try:
                    with open(f"/proc/{pid}/statm") as f:
                        total += int(f.read().split()[1]) * self.page
                    with open(f"/proc/{pid}/stat") as f:
                        fields = f.read().rsplit(")", 1)[1].split()
                    with open(f"/proc/{pid}/cmdline") as f:
                        cmdline = f.read().replace("\0", " ")
                except (OSError, IndexError, ValueError):
                    continue
                name = kind(cmdline) if cmdline else self.cpu.get(pid, ("other",))[0]  # a zombie has no cmdline
                self.cpu[pid] = (name, (int(fields[11]) + int(fields[12])) / self.tick)
            self.peak = max(self.peak, total)

    def cpu_by_kind(self):
        out = {}
        for name, seconds in self.cpu.values():
            out[name] = round(out.get(name, 0.0) + seconds, 2)
        return dict(sorted(out.items(), key=lambda kv: -kv[1]))

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def child(argv):
    return subprocess.Popen([sys.executable, *argv], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def run_way(way, args, out, data_dir, address=None):
    """Wall seconds, peak tree memory (MiB) and CPU seconds by kind of process of one way."""
    me = [str(Path(__file__).resolve()), "--epochs", str(args.epochs), "--data-dir", str(data_dir), "--out", out]
    me += ["--score-epochs"] if args.score_epochs else []
    with TreeMemory() as memory:
        start = time.perf_counter()
        if way == "sequential":
            procs = [child([*me, "--worker", ",".join(str(k) for k in range(8))])]
        elif way == "two":
            procs = [child([*me, "--worker", "0,2,4,6"]), child([*me, "--worker", "1,3,5,7"])]
        else:
            procs = [child([*me, "--worker", "ray" if address is None else f"ray@{address}"])]
        errors = [p.communicate()[1] for p in procs]
        wall = time.perf_counter() - start
    if any(p.returncode for p in procs):
        raise UsageError(f"{way}: a child failed: {[e.strip().splitlines()[-1:] for e in errors]}")
    return wall, memory.peak / (1 << 20), memory.cpu_by_kind()


def run_ray_driver(args):
    """Inside a child process: the 8 trials through trials.run_trials (local Ray or an address).

    Ray is started (or joined) and stopped here rather than inside run_trials, the same calls it
    makes, so that the three phases can be timed; they go to ``OUT/ray_phases.json``.
    """
    from tf1_course.core.fileio import write_json
    from tf1_course.signs.training import preload
    from tf1_course.core.cluster import connect, disconnect, prepare_environment
    from tf1_course.tuning.study import TUNING_FILES
    from tf1_course.tuning.trials import Trial, fetch, run_trials

    address = prepare_environment(args.worker.partition("@")[2] or None)
    t0 = time.perf_counter()
    connect(address, num_cpus=2)  # two trials at a time, as the two plain processes (a started Ray: --num-cpus 2)
    t1 = time.perf_counter()

    def on_done(outcome):  # the finished run folder from Tune's storage, as `tune` does
        fetch(outcome.checkpoint, Path(args.out) / f"t{outcome.key}")

    # the plain trainers' work: no dev accuracy after every epoch (a study's curves; --score-epochs adds it)
    run_trials([Trial(k, flags, None) for k, flags in trials(args.epochs)], preload(args.data_dir, TUNING_FILES),
               str(Path(args.out).resolve() / "ray"), address=address, on_done=on_done,
               score_epochs=args.score_epochs)
    t2 = time.perf_counter()
    disconnect()
    t3 = time.perf_counter()
    write_json(Path(args.out) / "ray_phases.json", {"start": round(t1 - t0, 2), "trials": round(t2 - t1, 2),
                                                   "stop": round(t3 - t2, 2)})
    return 0


def final_costs(out):
    from tf1_course.core.fileio import read_json

    return [read_json(Path(out) / f"t{k}" / "metrics.json")["costs"][-1] for k in range(8)]


def loop_seconds(out):
    """The 8 trials' training-loop seconds added up (metrics.json's ``seconds``: the epochs only, no
    start-up, no scoring): where a way's time goes beyond the epochs themselves."""
    from tf1_course.core.fileio import read_json

    return sum(read_json(Path(out) / f"t{k}" / "metrics.json")["seconds"] for k in range(8))


def start_ray():
    """A local Ray started once with `ray start` (its own temp dir and port). Returns (address, stop)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_worker_niceness": "0", "TF_OVERRIDE_GLOBAL_THREADPOOL": "1",
           "RAY_USAGE_STATS_ENABLED": "0"}
    ray_cli = str(Path(sys.executable).parent / "ray")
    head = subprocess.Popen([ray_cli, "start", "--head", "--port", str(port), "--num-cpus", "2",
                             "--node-ip-address", "127.0.0.1", "--include-dashboard", "false",
                             "--disable-usage-stats", "--temp-dir", f"/tmp/tf1ray-{port}", "--block"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    address = f"127.0.0.1:{port}"
    deadline = time.time() + 90
    while subprocess.run([ray_cli, "status", "--address", address], env=env, capture_output=True).returncode:
        if time.time() > deadline:
            head.kill()
            raise UsageError("ray start did not come up in 90 s")
        time.sleep(0.5)

    def stop():
        os.killpg(head.pid, 15)
        try:
            head.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, 9)

    return address, stop


def run(args):
    if args.worker:
        if args.worker.startswith("ray"):
            return run_ray_driver(args)
        return run_worker(args)
    from tf1_course.data import h5, paths

    data_dir = paths.data_dir(args.data_dir).resolve()
    h5.load_tuning_split(data_dir)  # one line if the dev split is missing
    ways = [w.strip() for w in args.ways.split(",") if w.strip()]
    unknown = [w for w in ways if w not in WAYS]
    if unknown or args.epochs < 1:
        raise UsageError(f"--ways takes {', '.join(WAYS)}; --epochs must be positive")
    print(f"8 trials x {args.epochs} epochs (tuning split, learning rates 1e-4..8e-4), each way in a fresh "
          f"process tree; {os.cpu_count()} CPUs", flush=True)
    results, costs = {"epochs": args.epochs, "cpus": os.cpu_count()}, {}
    with tempfile.TemporaryDirectory(prefix="bench_tune.") as tmp:
        for way in ways:
            out = str(Path(tmp) / way)
            address = stop = None
            if way == "ray-started":
                address, stop = start_ray()
            try:
                wall, peak, cpu = run_way(way, args, out, data_dir, address)
            finally:
                if stop:
                    stop()
            costs[way] = final_costs(out)
            results[way] = {"wall_seconds": round(wall, 2), "peak_tree_mib": round(peak, 1), "cpu_seconds": cpu,
                            "epoch_loop_seconds": round(loop_seconds(out), 1)}
            phases = ""
            if way.startswith("ray"):
                from tf1_course.core.fileio import read_json

                results[way]["phases"] = read_json(Path(out) / "ray_phases.json")
                phases = "   " + ", ".join(f"{k} {results[way]['phases'][k]:.1f} s" for k in ("start", "trials", "stop"))
            print(f"{way:<12} {wall:8.1f} s   peak memory of the whole tree {peak:7.0f} MiB{phases}", flush=True)
            print(f"{'':<12} CPU seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in cpu.items()), flush=True)
            print(f"{'':<12} the 8 trials' epoch loops: {results[way]['epoch_loop_seconds']:.1f} s in all", flush=True)
    base = ways[0]
    results["same_final_costs"] = all(costs[w] == costs[base] for w in ways)
    for ray_way in ("ray", "ray-started"):
        for other in ("sequential", "two"):
            if ray_way in results and other in results:
                ratio = results[ray_way]["wall_seconds"] / results[other]["wall_seconds"]
                results[f"{ray_way}/{other}"] = round(ratio, 3)
                print(f"{ray_way}/{other}: {ratio:.3f}")
        if ray_way in results and "two" in results:
            # the trials alone, without starting and stopping Ray: what a study pays beyond the fixed cost
            ratio = results[ray_way]["phases"]["trials"] / results["two"]["wall_seconds"]
            results[f"{ray_way} trials only/two"] = round(ratio, 3)
            print(f"{ray_way} trials only (no start/stop)/two: {ratio:.3f}")
            # The epochs are the same work in both, yet their speed drifts with the machine (other VMs on
            # the host): take them out. What is left is each way's own cost (imports, graphs, data, saving;
            # for Ray its scheduling and reports), in wall seconds with two at a time. It cannot tell a
            # drift from Ray's daemons slowing the epochs: their CPU seconds are printed above.
            own = {w: (results[w]["phases"]["trials"] if w == ray_way else results[w]["wall_seconds"])
                   - results[w]["epoch_loop_seconds"] / 2 for w in (ray_way, "two")}
            extra = (own[ray_way] - own["two"]) / results["two"]["wall_seconds"]
            results[f"{ray_way} trials beyond the epoch loops"] = {k: round(v, 2) for k, v in own.items()}
            print(f"{ray_way} trials, beyond the epoch loops (wall - loops / 2): {own[ray_way]:.1f} s against two's "
                  f"{own['two']:.1f} s: {100 * extra:+.1f}% of two's wall time")
    if "two" in results and "sequential" in results:
        results["two/sequential"] = round(results["two"]["wall_seconds"] / results["sequential"]["wall_seconds"], 3)
        print(f"two/sequential (what 2 cores allow): {results['two/sequential']:.3f}")
    print(f"final costs identical in every way: {results['same_final_costs']}")
    if args.json:
        from tf1_course.core.fileio import write_json

        write_json(args.json, {**results, "final_costs": costs})
    return 0


def main(argv=None):
    return run_main(build_parser(), run, argv)


if __name__ == "__main__":
    sys.exit(main())
