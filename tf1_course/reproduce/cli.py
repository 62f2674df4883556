"""``tf1-course reproduce``: run the course end to end and write the report of every number it prints.

Runs the TF basics, every lab on both engines (with the gradient check), and the SIGNS model over
several data orders and initial seeds (the course's run among them), all as one set of tasks on
Ray, the longest first, so both cores work until the end (:mod:`.plan`, :mod:`.schedule`); then
writes ``reports/NAME/REPORT.md``, ``report.json`` and the PNGs: for every number the course
prints, the course's value, ours, the difference and a verdict (:mod:`.report`). ``--quick`` runs
a reduced version (a smoke test); ``--profile`` prints what ran where and when.
"""

import datetime
import os
import platform
import re
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

import numpy as np

from tf1_course import __version__
from tf1_course.core import device as devices
from tf1_course.core.command import Parser, run_main
from tf1_course.core.errors import DataError, UsageError
from tf1_course.core.fileio import folder_lock, jsonable, read_json, staged_dir, write_json, write_text
from tf1_course.data import paths
from tf1_course.reproduce import plan, report, work

DEFAULT_OUT = "reports"
NAME_RE = re.compile(r"[A-Za-z0-9._-]+")


def build_parser():
    p = Parser(prog="tf1-course reproduce", description=__doc__.split("\n\n")[0])
    p.add_argument("--name", help="report name (default: today's date); the report goes to OUT/NAME")
    p.add_argument("--out", default=DEFAULT_OUT, help=f"folder for reports (default {DEFAULT_OUT})")
    p.add_argument("--quick", action="store_true", help="a reduced run: short labs, 3 SIGNS epochs, 2 SIGNS runs")
    p.add_argument("--overwrite", action="store_true", help="replace a report of the same name")
    p.add_argument("--data-dir", help="SIGNS data folder (default datasets/)")
    p.add_argument("--from", dest="src", help="SIGNS JPEG tree to build the other data orders from "
                                              "(default: searched as `data build` does: the bundled photos)")
    p.add_argument("--address", metavar="HOST:PORT", help="run the tasks on this Ray cluster (default: a local Ray)")
    p.add_argument("--profile", action="store_true", help="print each phase's and each task's seconds, and the "
                                                          "critical path (also in report.json)")
    return p


class Phases:
    """Wall seconds per phase, for the report's 'where the time went'."""

    def __init__(self):
        self.seconds, self.start = {}, time.perf_counter()

    def run(self, name, fn, *args):
        t0 = time.perf_counter()
        try:
            return fn(*args)
        finally:
            self.seconds[name] = round(time.perf_counter() - t0, 1)

    def total(self):
        return time.perf_counter() - self.start


def other_orders(out, args, orders, pool, seeds, epochs):
    """Build data orders 2, 3, ... from the JPEGs (build seeds 2, 3, ...) into out/data/order-K, each
    beside the same test file, and add their SIGNS runs to the pool. Returns [(order label, folder)]."""
    from tf1_course.data import build
    from tf1_course.signs.training import preload

    try:
        source = Path(args.src) if args.src else paths.find_source()
    except DataError:
        print("no SIGNS JPEG tree: the spread varies the initial weights only", flush=True)
        return []
    added = []
    for k in range(2, orders + 1):
        target = out / "data" / f"order-{k}"
        build.build(source, target, seed=k, log=lambda *_: None)
        label = f"order {k}"
        for task in plan.signs_tasks(label, pool.put(preload(target)), seeds, epochs, (k - 1) * seeds):
            pool.add(task)
        added.append((label, target))
    return added


def run_all(args, out, origin, phases):
    """Every task on the pool; the results as (basics rows, lab results, gradcheck, SIGNS summaries)."""
    from tf1_course.reproduce.schedule import open_pool, profile_lines
    from tf1_course.signs.training import preload

    orders, seeds, epochs = plan.signs_design(args.quick)
    labels = {}
    start = time.perf_counter()
    with open_pool(args.address) as pool:
        t0 = time.perf_counter()
        phases.seconds["Ray start"] = round(t0 - start, 1)
        first = f"order 1 ({origin.get('train', 'unknown')})"
        for task in plan.signs_tasks(first, pool.put(preload(args.data_dir)), seeds, epochs, 0):
            pool.add(task)
        for task in plan.lab_tasks(args.quick):
            pool.add(task)
        pool.submit()  # the cores start on the longest tasks while the other data orders are built
        for label, _ in [(first, None)] + other_orders(out, args, orders, pool, seeds, epochs):
            for s in range(1, seeds + 1):
                labels[len(labels)] = {"order": label, "seed": s}
        total = len(pool.waiting) + len(pool.running)
        rows, labs, checks, runs = [], {}, {}, {}
        for n, (task, value) in enumerate(pool.results(), 1):
            if task.key == "basics":
                rows = value
            elif task.key == "gradcheck":
                checks = save_gradcheck(out, *value)["checks"]
            elif task.key[0] == "lab":
                labs[task.key] = value
            else:
                runs[task.key[1]] = save_signs_run(out, task.key[1], labels[task.key[1]], *value)
            print(f"[{n}/{total}] {task.label}: {pool.timings[-1].end - pool.timings[-1].start:.1f} s", flush=True)
        t1 = time.perf_counter()
        phases.seconds["tasks"] = round(t1 - t0, 1)
    phases.seconds["Ray stop"] = round(time.perf_counter() - t1, 1)
    profile = {"timings": [t._asdict() for t in pool.timings], "cpus": pool.cpus,
               "lines": profile_lines(pool.timings, phases.seconds.get("tasks", 0))}
    return rows, labs, checks, dict(sorted(runs.items())), profile, (orders, seeds, epochs)


def save_gradcheck(out, metrics, pngs):
    """The gradient checks' metrics.json and PNGs into out/labs/gradcheck. Returns the metrics."""
    folder = out / "labs" / "gradcheck"
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in pngs.items():
        (folder / name).write_bytes(data)
    write_json(folder / "metrics.json", jsonable(metrics))
    return metrics


def save_signs_run(out, key, label, outcome, metrics, packed, message):
    """The run folder into out/signs/run-KK, its summary for the report; one line."""
    work.unpack(packed, out / "signs" / f"run-{key:02d}")
    m = metrics or {}
    status = outcome
    print(f"SIGNS run {key} ({label['order']}, seed {label['seed']}): {status}, train "
          f"{m.get('train_accuracy', float('nan')):.4f}, test {m.get('test_accuracy', float('nan')):.4f}, final cost "
          f"{m.get('final_cost', float('nan')):.6f}" + (f" ({message})" if message else ""), flush=True)
    return plan.run_summary(label, status, m)


def meta(args, name, phases, quick, origin):
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=Path(__file__).resolve().parents[2], timeout=10).stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        commit = "unknown"
    labels = {"course": "the course's own file (sha256 verified)", "rebuilt-from-jpegs": "rebuilt from the JPEGs",
              "unverified": "of unknown origin", "missing": "missing"}
    return {"name": name, "command": "tf1-course reproduce" + (" --quick" if quick else ""),
            "date": datetime.date.today().isoformat(), "version": __version__, "commit": commit,
            "tensorflow": metadata.version("tensorflow"), "numpy": np.__version__, "python": platform.python_version(),
            "cpu": devices.cpu_name(), "cpus": os.cpu_count(), "quick": quick,
            "seconds": phases.total(), "timings": list(phases.seconds.items()),  # [phase, s], in order
            "data": {f"{k}_signs.h5": labels.get(v, v) for k, v in origin.items() if k in ("train", "test")}}


def check_inputs(args):
    """Everything that can be checked before minutes of work: the name, the folders, the data, the
    JPEG tree, the Ray address. Returns the report's folder."""
    from tf1_course.data import h5

    name = datetime.date.today().isoformat() if args.name is None else args.name
    if not NAME_RE.fullmatch(name) or name in (".", ".."):
        raise UsageError(f"--name {name!r}: use letters, digits, '.', '_' and '-' (one folder name, "
                         f"inside --out)")
    root = Path(args.out)
    if root.exists() and not root.is_dir():
        raise UsageError(f"--out {root}: is a file, not a folder")
    final = root / name
    if final.exists() and not final.is_dir():
        raise UsageError(f"{final} is a file, not a report folder; choose another --name")
    if final.exists() and any(final.iterdir()) and not args.overwrite:
        raise UsageError(f"{final} already holds a report: pass --overwrite to replace it, or --name another")
    h5.load_dataset(paths.data_dir(args.data_dir))
    if args.src:
        paths.find_tree(args.src)
    if args.address:
        from tf1_course.core.cluster import probe

        probe(args.address)
    return final


def run(args):
    final = check_inputs(args)
    # two runs must not share a partial report; an old report (--overwrite) is replaced only at the end
    with folder_lock(final.parent, "reproduce", "--out"), staged_dir(final) as out:
        _run(args, final, out)
    c = report.counts(read_json(final / "report.json")["rows"])
    print(f"\n{sum(c.values())} numbers: {c[report.EXACT]} exact, {c[report.ROUNDING]} within float rounding, "
          f"{c[report.DIFFERS]} differ")
    print(f"wrote {final / 'REPORT.md'} and report.json")
    return 0


def _run(args, final, out):
    from tf1_course.data import provenance

    name = final.name
    origin = provenance(paths.data_dir(args.data_dir))  # where the data came from, hashed once
    phases = Phases()
    basics, labs, checks, runs, profile, (orders, seeds, epochs) = run_all(args, out, origin, phases)
    t0 = time.perf_counter()
    lab_rows_, pngs = plan.lab_sections(out, args.quick, labs)
    signs_rows_, signs = plan.signs_section(out, runs, epochs, orders, seeds, origin)
    rows = signs_rows_ + basics + lab_rows_ + plan.gradcheck_rows(checks)
    phases.seconds["report"] = round(time.perf_counter() - t0, 1)
    if args.profile:
        print("\n".join(["", *profile["lines"], "phases: " + ", ".join(f"{k} {v} s" for k, v in phases.seconds.items())]))
    result = {"meta": meta(args, name, phases, args.quick, origin), "rows": rows, "signs": signs, "pngs": pngs,
              "profile": {k: v for k, v in profile.items() if k != "lines"}}
    write_json(out / "report.json", jsonable(result))
    write_text(out / "REPORT.md", report.markdown(result))
    print(f"took {phases.total():.0f} s ({', '.join(f'{k} {v:.0f} s' for k, v in phases.seconds.items())})")


def main(argv=None):
    return run_main(build_parser(), run, argv)


if __name__ == "__main__":
    sys.exit(main())
