"""What ``reproduce`` runs, as tasks for the pool (:mod:`.schedule`), and how their results become
the report's rows and sections.

    basics                1 task     the course's first TensorFlow examples
    labs                  1 task per lab variant and engine (init, regularization, optimization
                          at the course's lengths, optimization again at the 2021 notebook's 5000
                          epochs), and 1 for the gradient checks
    SIGNS                 1 task per (data order, initial seed): ORDERS x SEEDS runs of 1500 epochs

Each task's estimate (seconds) only decides the order they start in: the longest first.
"""

import math

from tf1_course.core import course_numbers
from tf1_course.reproduce import report, work

ORDERS, SEEDS = 5, 2  # the SIGNS spread: data orders (build seeds) x initial-weight seeds
QUICK = {"iterations": 200, "epochs": 20, "signs_epochs": 3, "orders": 2, "seeds": 1}
# Seconds per step, for the estimates only (measured here, rounded): a full-batch iteration or a
# mini-batch step of the labs' networks, on each engine; an epoch of the SIGNS model (fast loop).
STEP_SECONDS = {"numpy": 3e-5, "tf": 4e-5}
SIGNS_EPOCH_SECONDS = 0.04
START_SECONDS = 3.0  # a task's fixed cost (a worker's first TensorFlow import, data)


def lab_plan(quick):
    """[(lab name, report folder, variant names or None for all, steps or None for the course's)]."""
    plan = [("init", "init", None, QUICK["iterations"] if quick else None),
            ("regularization", "regularization", None, QUICK["iterations"] if quick else None),
            ("optimization", "optimization", None, QUICK["epochs"] if quick else None)]
    if not quick:  # the 2021 notebook's length, for its printed accuracies
        plan.append(("optimization", "optimization-5000", ["gd", "momentum", "adam"], 5000))
    return plan


def estimate(variant, engine, m):
    """Seconds one engine's run of ``variant`` should take on ``m`` examples (for the order only)."""
    size = variant.hyper.minibatch_size
    steps = variant.hyper.num_steps * (1 if size is None else math.ceil(m / size))
    return START_SECONDS + steps * STEP_SECONDS[engine]


def lab_tasks(quick):
    """Every lab variant on each engine it has, and the gradient checks, as Tasks."""
    from tf1_course.labs.runner import ENGINES
    from tf1_course.reproduce.schedule import Task

    tasks = [Task("basics", "TF basics", START_SECONDS + 2, work.basics_rows, ()),
             Task("gradcheck", "lab gradcheck (both engines)", START_SECONDS + 2, work.gradcheck, ())]
    for lab, folder, names, steps in lab_plan(quick):
        m = work.lab_module(lab).load_data().X_train.shape[1]
        for v in work.lab_variants(lab, names, steps):
            for engine in (e for e in ENGINES if e in v.engines):
                tasks.append(Task(("lab", folder, v.name, engine), f"lab {folder} {v.name} ({engine})",
                                  estimate(v, engine, m), work.lab_job, (lab, v.name, engine, steps)))
    return tasks


def signs_design(quick):
    """(data orders, initial seeds, epochs) of the SIGNS spread."""
    if quick:
        return QUICK["orders"], QUICK["seeds"], QUICK["signs_epochs"]
    return ORDERS, SEEDS, 1500


def signs_tasks(order, data_ref, seeds, epochs, first_key):
    """The runs of one data order (``data_ref``: its Preloaded in the object store), one per seed."""
    from tf1_course.reproduce.schedule import Task

    flags = {"num_epochs": epochs, "print_every": 100, "save_every": epochs}  # one checkpoint, at the end
    return [Task(("signs", first_key + s - 1), f"SIGNS {order}, seed {s}", START_SECONDS + epochs * SIGNS_EPOCH_SECONDS,
                 work.signs_run, ({**flags, "seed": s}, data_ref), ) for s in range(1, seeds + 1)]


# --- results -> the report ---------------------------------------------------------------------

def lab_sections(out, quick, results):
    """The labs' rows and comparison PNGs from the tasks' results ({("lab", folder, variant, engine):
    (Result, PNG bytes)}),
    each lab's metrics.json, variant PNGs and report lines written into out/labs/FOLDER as
    ``tf1-course lab`` writes them. Returns (rows, {section: [png paths relative to the report]})."""
    from tf1_course.labs.runner import ENGINES, LabReport, Options

    rows, pngs = [], {}
    for lab, folder, names, steps in lab_plan(quick):
        print(f"-- lab {lab} ({folder})", flush=True)
        chosen = work.lab_variants(lab, names, steps)
        options = Options(engines=ENGINES, run_dir=out / "labs" / folder, device="cpu", variants=names, steps=steps)
        options.run_dir.mkdir(parents=True, exist_ok=True)
        lab_report = LabReport(work.lab_module(lab), options, chosen)
        for v in chosen:
            done = {e: results[("lab", folder, v.name, e)] for e in ENGINES if ("lab", folder, v.name, e) in results}
            lab_report.add(v, {e: result for e, (result, _) in done.items()}, {e: png for e, (_, png) in done.items()})
        metrics = lab_report.finish()
        section = f"lab {lab}"
        run = None if folder == lab else f"{steps}-epoch run"  # the same printed numbers, a second run
        rows += lab_rows(section, work.lab_module(lab), metrics, run)
        pngs.setdefault(section, []).extend(f"labs/{folder}/{p}" for p in metrics.get("comparison_pngs", []))
    return rows, pngs


def lab_rows(section, lab, metrics, run=None):
    """Rows for each printed cost and accuracy of a training lab's metrics.json that the course prints.

    ``run`` names a second run of the same lab (the 2021 notebook's 5000 epochs): its rows say so,
    ``"gd (5000-epoch run): ..."``, so that no two rows of a report have the same name."""
    rows = []
    for name, entry in metrics["variants"].items():
        course = lab.COURSE.get(name, {})
        shown = name if run is None else f"{name} ({run})"
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
                        rows.append(report.row(section, f"{shown}: {label} after {unit} {step} ({engine})",
                                               value, float(ours[step]), fmt, reason))
            for key, value in course.get("accuracy_at", {}).get(steps, {}).items():
                if result.get(key) is not None:
                    rows.append(report.row(section, f"{shown}: {key.replace('_', ' ')} ({engine})", value,
                                           result[key], "{:.12g}", reason))
    return rows


def gradcheck_rows(checks):
    rows = []
    for engine, found in checks.items():
        for key, course in course_numbers.GRADCHECK.items():
            if key in found:
                rows.append(report.row("lab gradcheck", f"{key} difference ({engine})", course,
                                       float(found[key]["difference"]), "{:.12g}", "gradcheck-cancellation"))
    return rows


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
    labels = [f"{r['order'].split(' (')[0].replace('order ', 'o')}s{r['seed']}" for r in finished]
    plots.spread(values, result["course"], out / "spread.png",
                 f"the course's SIGNS model: {len(finished)} runs of {epochs} epochs",
                 labels=labels, collapsed=[r["collapsed"] for r in finished],
                 titles={"final_cost": f"cost after epoch {last}"})
    return result


def signs_section(out, runs, epochs, orders, seeds, origin):
    """The SIGNS rows and the report's "signs" dict from {key: run summary}; signs_cost.png, spread.png."""
    from tf1_course.core import plots
    from tf1_course.core.errors import UsageError

    main = runs.get(0)
    if not main or main["status"] != "finished":
        raise UsageError(f"the course's SIGNS run did not finish ({main and main['status']}); see {out / 'signs'}")
    course_data = origin.get("train") == "course"
    plots.cost_curve(main["costs"], out / "signs_cost.png", "SIGNS, course defaults: ours and the course's",
                     points={f"course ({e})": n["costs"] for e, n in course_numbers.SIGNS.items()})
    design = (f"{orders} data order(s) x {seeds} initial-weight seed(s); order 1 is "
              f"{'the course' if course_data else 'the JPEG rebuild'}'s training file")
    return signs_rows(main, course_data), {"epochs": epochs, "cost_png": "signs_cost.png",
                                           "spread": {**spread(runs, out, epochs), "design": design},
                                           "main_run": "signs/run-00"}
