"""``tf1-course reproduce``: run the course end to end and write the report of every number it prints.

Runs the TF basics, every lab on both engines (with the gradient check), and the SIGNS model over
several data orders and initial seeds (the course's run among them, in parallel on Ray through the
same runner as ``tune``), then writes ``reports/NAME/REPORT.md``, ``report.json`` and the PNGs:
for every number the course prints, the course's value, ours, the difference and a verdict
(:mod:`tf1_course.reproduce.report`). ``--quick`` runs a reduced version (a smoke test).
"""

import datetime
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from tf1_course import __version__
from tf1_course.core import course_numbers, device as devices
from tf1_course.reproduce import report
from tf1_course.core.command import Parser, run_main
from tf1_course.data import paths
from tf1_course.core.errors import DataError, UsageError
from tf1_course.core.fileio import folder_lock, jsonable, replace_dir, write_json, write_text

DEFAULT_OUT = "reports"
NAME_RE = re.compile(r"[A-Za-z0-9._-]+")
ORDERS, SEEDS = 5, 2  # the SIGNS spread: data orders (build seeds) x initial-weight seeds
QUICK = {"iterations": 200, "epochs": 20, "signs_epochs": 3, "orders": 2, "seeds": 1}


def build_parser():
    p = Parser(prog="tf1-course reproduce", description=__doc__.split("\n\n")[0])
    p.add_argument("--name", help="report name (default: today's date); the report goes to OUT/NAME")
    p.add_argument("--out", default=DEFAULT_OUT, help=f"folder for reports (default {DEFAULT_OUT})")
    p.add_argument("--quick", action="store_true", help="a reduced run: short labs, 3 SIGNS epochs, 2 SIGNS runs")
    p.add_argument("--overwrite", action="store_true", help="replace a report of the same name")
    p.add_argument("--data-dir", help="SIGNS data folder (default datasets/)")
    p.add_argument("--from", dest="src", help="SIGNS JPEG tree to build the other data orders from "
                                              "(default: searched as `data build` does)")
    p.add_argument("--address", metavar="HOST:PORT", help="run the SIGNS runs on this Ray cluster (default: local)")
    return p


class Phases:
    """Wall seconds per phase, for the report's 'where the time went'."""

    def __init__(self):
        self.seconds, self.start = {}, time.perf_counter()

    def run(self, name, fn, *args):
        print(f"\n######## {name} ########", flush=True)
        t0 = time.perf_counter()
        try:
            return fn(*args)
        finally:
            self.seconds[name] = round(time.perf_counter() - t0, 1)

    def total(self):
        return time.perf_counter() - self.start


# --- TF basics --------------------------------------------------------------------------------

def basics_rows():
    from tf1_course.labs import basics

    config = devices.session_config("cpu")
    c = course_numbers.BASICS
    s = "TF basics"
    constants = basics.constants(config=config)
    logits, labels = np.array(basics.LOGITS), np.array(basics.LABELS)
    rows = [
        report.row(s, "loss", c["loss"], int(basics.loss_variable(config=config)), "{}"),
        report.row(s, "print(c) before a Session", c["constants.tensor"], constants.tensor),
        report.row(s, "sess.run(c)", c["constants.value"], int(constants.value), "{}"),
        report.row(s, "2 * x with x = 3", c["placeholders.twice_x"], int(basics.placeholders(config=config).twice_x), "{}"),
        *report.vector_rows(s, "linear_function", c["linear_function"], basics.linear_function(config=config), "{:.8f}"),
        report.row(s, "sigmoid(0)", c["sigmoid(0)"], float(basics.sigmoid(0, config=config)), "{:g}"),
        report.row(s, "sigmoid(12)", c["sigmoid(12)"], float(basics.sigmoid(12, config=config)), "{:.6f}"),
        *report.vector_rows(s, "cost(sigmoid(logits), labels)", c["cost(sigmoid(logits))"],
                            basics.cost(basics.sigmoid(logits, config=config), labels, config=config), "{}"),
        *report.vector_rows(s, "one_hot_matrix([1, 2, 3, 0, 2, 1], 4)", c["one_hot"],
                            basics.one_hot_matrix(np.array([1, 2, 3, 0, 2, 1]), 4, config=config), "{:g}"),
        *report.vector_rows(s, "ones([3])", c["ones"], basics.ones([3], config=config), "{:g}"),
        report.row(s, "w after 1000 steps", c["minimize.w"], float(basics.minimize_quadratic(config=config).w),
                   "{:.3f}", "course-rounding"),
        *report.vector_rows(s, "training results", c["training"], basics.train_network(config=config), "{}"),
    ]
    return rows


# --- labs -------------------------------------------------------------------------------------

def labs_rows(out, quick):
    """Every lab on both engines. Returns (rows, {section: [png paths relative to the report]})."""
    from tf1_course.labs import lab_gradcheck, lab_init, lab_optimization, lab_regularization
    from tf1_course.labs.runner import ENGINES, Options, run_training_lab

    rows, pngs = [], {}
    # (lab, folder, variants (None: all), steps (None: the course's))
    plan = [(lab_init, "init", None, QUICK["iterations"] if quick else None),
            (lab_regularization, "regularization", None, QUICK["iterations"] if quick else None),
            (lab_optimization, "optimization", None, QUICK["epochs"] if quick else None)]
    if not quick:  # the 2021 notebook's length, for its printed accuracies
        plan.append((lab_optimization, "optimization-5000", ["gd", "momentum", "adam"], 5000))
    for lab, folder, names, steps in plan:
        print(f"-- lab {lab.NAME} ({folder})", flush=True)
        options = Options(engines=ENGINES, run_dir=out / folder, device="cpu", variants=names, steps=steps,
                          progress=True)
        options.run_dir.mkdir(parents=True, exist_ok=True)
        metrics = run_training_lab(lab, options)
        section = f"lab {lab.NAME}"
        rows += lab_rows(section, lab, metrics)
        pngs.setdefault(section, []).extend(f"labs/{folder}/{p}" for p in metrics.get("comparison_pngs", []))
    print("-- lab gradcheck", flush=True)
    options = Options(engines=ENGINES, run_dir=out / "gradcheck", device="cpu", progress=False)
    options.run_dir.mkdir(parents=True, exist_ok=True)
    checks = lab_gradcheck.run(options)["checks"]
    for engine, found in checks.items():
        for key, course in course_numbers.GRADCHECK.items():
            if key in found:
                rows.append(report.row("lab gradcheck", f"{key} difference ({engine})", course,
                                       float(found[key]["difference"]), "{:.12g}", "gradcheck-cancellation"))
    return rows, pngs


def lab_rows(section, lab, metrics):
    """Rows for each printed cost and accuracy of a training lab's metrics.json that the course prints."""
    rows = []
    for name, entry in metrics["variants"].items():
        course = lab.COURSE.get(name, {})
        steps = entry["config"]["num_steps"]
        full_batch = entry["config"]["minibatch_size"] is None
        fmt = "{!r}" if full_batch else "{:.6f}"
        for engine, result in entry["engines"].items():
            reason = "chaotic" if name == "random" else ("float-order" if engine == "numpy" else "tf-engine")
            for key, ours_key, unit in (("costs", "printed_costs", "iteration" if full_batch else "epoch"),
                                        ("last_minibatch_costs", "printed_last_minibatch_costs", "epoch")):
                ours = dict((int(step), cost) for step, cost in result.get(ours_key, []))
                label = "cost" if key == "costs" else "last mini-batch cost (2017)"
                for step, value in sorted(course.get(key, {}).items()):
                    if step in ours:
                        rows.append(report.row(section, f"{name}: {label} after {unit} {step} ({engine})",
                                               value, float(ours[step]), fmt, reason))
            for key, value in course.get("accuracy_at", {}).get(steps, {}).items():
                if result.get(key) is not None:
                    rows.append(report.row(section, f"{name}: {key.replace('_', ' ')} ({engine})", value,
                                           result[key], "{:.12g}", reason))
    return rows


# --- SIGNS ------------------------------------------------------------------------------------

def signs_data(out, data_dir, src, orders, origin):
    """[(order name, data folder)]: the user's data set first (``origin``: its provenance, e.g.
    "course"), then training files rebuilt from the JPEGs in other seeded orders (build seeds 2,
    3, ...), each beside the same test file."""
    from tf1_course.data import build

    folder = paths.data_dir(data_dir)
    found = [(f"order 1 ({origin.get('train', 'unknown')})", folder)]
    if orders > 1:
        try:
            source = Path(src) if src else paths.find_source()
        except DataError:
            print("no SIGNS JPEG tree: the spread varies the initial weights only", flush=True)
            return found
        for k in range(2, orders + 1):
            target = out / "data" / f"order-{k}"
            build.build(source, target, seed=k, log=lambda *_: None)
            found.append((f"order {k}", target))
    return found


def signs_runs(out, data, seeds, epochs, address):
    """Train the course's model on each data order x initial seed, on Ray. Returns {key: metrics}."""
    from tf1_course.signs.training import COURSE_FILES
    from tf1_course.tuning.trials import Trial, run_trials

    trials, labels = [], {}
    for o, (order, folder) in enumerate(data):
        for seed in range(1, seeds + 1):
            key = o * seeds + seed - 1
            labels[key] = {"order": order, "seed": seed}
            trials.append(Trial(key, str((out / f"run-{key:02d}").resolve()),
                                {"seed": seed, "num_epochs": epochs, "print_every": 100},
                                str(Path(folder).resolve()), COURSE_FILES))

    def done(outcome):
        m = outcome.metrics or {}
        print(f"SIGNS run {outcome.key} ({labels[outcome.key]['order']}, seed {labels[outcome.key]['seed']}): "
              f"{outcome.status}, train {m.get('train_accuracy', float('nan')):.4f}, "
              f"test {m.get('test_accuracy', float('nan')):.4f}, final cost {m.get('final_cost', float('nan')):.6f}",
              flush=True)

    outcomes = run_trials(trials, address=address, on_done=done, storage=out / "ray", name="signs",
                          score_epochs=False)  # train's own numbers: the test set only at the end
    return {k: run_summary(labels[k], o.status, o.metrics or {}) for k, o in sorted(outcomes.items())}


def run_summary(label, status, metrics):
    """What the report keeps of one SIGNS run (its run directory has the rest)."""
    from tf1_course.signs.training import collapsed

    costs = metrics.get("costs", [])
    return {**label, "status": status, "collapsed": bool(metrics) and collapsed(metrics),
            **{k: metrics.get(k) for k in ("train_accuracy", "test_accuracy", "final_cost", "predicted_class_counts")},
            "costs_printed": {str(e): costs[e] for e in course_numbers.SIGNS_EPOCHS if e < len(costs)},
            "costs": costs if label["order"].startswith("order 1") and label["seed"] == 1 else None}


def signs_rows(main, course_data):
    reason = "signs-course-data" if course_data else "signs-data"
    rows = []
    costs = main["costs"]
    for edition, numbers in course_numbers.SIGNS.items():
        for epoch, value in numbers["costs"].items():
            if epoch < len(costs):
                rows.append(report.row("SIGNS model", f"{edition}: cost after epoch {epoch}", value, costs[epoch],
                                       "{:.6f}", reason))
        if len(costs) >= 1500:
            for key in ("train_accuracy", "test_accuracy"):
                rows.append(report.row("SIGNS model", f"{edition}: {key.replace('_', ' ')}", numbers[key],
                                       main[key], "{:.6f}", reason))
    return rows


def spread(runs, out, epochs):
    """The distribution of the runs and where the course's numbers fall. PNG: spread.png."""
    from tf1_course.core import plots

    finished = [r for r in runs.values() if r["status"] == "finished"]
    learned = [r for r in finished if not r["collapsed"]]
    result = {"runs": list(runs.values()), "summary": {}, "summary_learned": {}, "course": {},
              "course_position": {}, "png": "spread.png", "collapsed": len(finished) - len(learned)}
    if not finished:
        return result
    last = max(course_numbers.SIGNS_EPOCHS)
    values = {"train_accuracy": [r["train_accuracy"] for r in finished],
              "test_accuracy": [r["test_accuracy"] for r in finished],
              # the course prints the cost after epoch 1400: compare like with like where we have it
              "final_cost": [r["costs_printed"].get(str(last), r["final_cost"]) for r in finished]}
    for key, vals in values.items():
        result["summary"][key] = report.spread_summary(vals)
        kept = [v for v, r in zip(vals, finished) if not r["collapsed"]]
        if kept:
            result["summary_learned"][key] = report.spread_summary(kept)
        course = ({e: n["costs"][last] for e, n in course_numbers.SIGNS.items()} if key == "final_cost"
                  else {e: n[key] for e, n in course_numbers.SIGNS.items()})
        result["course"][key] = course
        result["course_position"][key] = {e: report.where_it_falls(v, vals) for e, v in course.items()}
    plots.spread(values, result["course"], out / "spread.png",
                 f"the course's SIGNS model: {len(finished)} runs of {epochs} epochs")
    return result


def signs_phase(out, args, quick, origin):
    from tf1_course.core import plots

    orders, seeds = (QUICK["orders"], QUICK["seeds"]) if quick else (ORDERS, SEEDS)
    epochs = QUICK["signs_epochs"] if quick else 1500
    data = signs_data(out, args.data_dir, args.src, orders, origin)
    runs = signs_runs(out / "signs", data, seeds, epochs, args.address)
    main = runs.get(0)
    if not main or main["status"] != "finished":
        raise UsageError(f"the course's SIGNS run did not finish ({main and main['status']}); see {out / 'signs'}")
    course_data = origin.get("train") == "course"
    plots.cost_curve(main["costs"], out / "signs_cost.png", "SIGNS, course defaults: ours and the course's",
                     points={f"course ({e})": n["costs"] for e, n in course_numbers.SIGNS.items()})
    design = (f"{len(data)} data order(s) x {seeds} initial-weight seed(s); order 1 is "
              f"{'the course' if course_data else 'the JPEG rebuild'}'s training file")
    return signs_rows(main, course_data), {"epochs": epochs, "cost_png": "signs_cost.png",
                                           "spread": {**spread(runs, out, epochs), "design": design},
                                           "main_run": "signs/run-00"}


# --- the command ------------------------------------------------------------------------------

def meta(args, name, phases, quick, origin):
    from tf1_course.core.compat import TF_VERSION

    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=Path(__file__).resolve().parents[2], timeout=10).stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        commit = "unknown"
    labels = {"course": "the course's own file (sha256 verified)", "rebuilt-from-jpegs": "rebuilt from the JPEGs",
              "unverified": "of unknown origin", "missing": "missing"}
    return {"name": name, "command": "tf1-course reproduce" + (" --quick" if quick else ""),
            "date": datetime.date.today().isoformat(), "version": __version__, "commit": commit,
            "tensorflow": TF_VERSION, "numpy": np.__version__, "python": platform.python_version(),
            "cpu": devices.cpu_name(), "cpus": os.cpu_count(), "quick": quick,
            "seconds": phases.total(), "timings": list(phases.seconds.items()),  # [phase, s], in order
            "data": {f"{k}_signs.h5": labels.get(v, v) for k, v in origin.items() if k in ("train", "test")}}


def check_inputs(args):
    """Everything that can be checked before minutes of work: the name, the folders, the data, the
    JPEG tree, the Ray address. Returns (final folder, work folder)."""
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
        from tf1_course.tuning.trials import probe

        probe(args.address)
    return final, root / f".{name}.partial"


def run(args):
    final, out = check_inputs(args)
    with folder_lock(final.parent, "reproduce", "--out"):  # two runs must not share a partial report
        return _run(args, final, out)


def _run(args, final, out):
    from tf1_course.data import provenance

    name = final.name
    origin = provenance(paths.data_dir(args.data_dir))  # where the data came from, hashed once
    if out.exists():
        shutil.rmtree(out)  # a partial report of ours, left by an interrupted run
    out.mkdir(parents=True)
    phases = Phases()
    rows = phases.run("TF basics", basics_rows)
    lab_rows_, pngs = phases.run("labs, both engines", labs_rows, out / "labs", args.quick)
    signs_rows_, signs = phases.run("SIGNS model and its spread", signs_phase, out, args, args.quick, origin)
    rows = signs_rows_ + rows + lab_rows_
    result = {"meta": meta(args, name, phases, args.quick, origin), "rows": rows, "signs": signs, "pngs": pngs}
    write_json(out / "report.json", jsonable(result))
    write_text(out / "REPORT.md", report.markdown(result))
    replace_dir(out, final)  # an old report (--overwrite) is removed only now
    c = report.counts(rows)
    print(f"\n{len(rows)} numbers: {c[report.EXACT]} exact, {c[report.ROUNDING]} within float rounding, "
          f"{c[report.DIFFERS]} differ; took {phases.total():.0f} s "
          f"({', '.join(f'{k} {v:.0f} s' for k, v in phases.seconds.items())})")
    print(f"wrote {final / 'REPORT.md'} and report.json")
    return 0


def main(argv=None):
    return run_main(build_parser(), run, argv)


if __name__ == "__main__":
    sys.exit(main())
