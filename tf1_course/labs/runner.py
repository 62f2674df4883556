"""Run a training lab's variants on the engines: course-style lines, one PNG per variant, metrics.json.

A training lab module (lab_init, lab_regularization, lab_optimization) has NAME, LIMITS (plot
window), COURSE (the course's printed numbers), ``load_data()`` and ``variants()``. For each
variant both engines start from the same NumPy initial weights; the report says how closely they
agree with each other and with the course.
"""

import dataclasses
import math
from pathlib import Path
from typing import Callable, Optional

from tf1_course.core.errors import UsageError
from tf1_course.core.fileio import jsonable, write_bytes, write_json
from tf1_course.labs import plots
from tf1_course.labs.course import learning_rate_after
from tf1_course.labs.np_engine import train as np_train
from tf1_course.labs.np_engine.init import initialize_parameters
from tf1_course.labs.results import AGREEMENT, agreement, agreement_verdict, relative_difference

ENGINES = ("numpy", "tf")


@dataclasses.dataclass
class Options:
    engines: tuple                      # subset of ENGINES, in order
    run_dir: Path
    device: str = "cpu"                 # resolved device for TF Sessions
    variants: Optional[list] = None     # variant names to run (None: all)
    steps: Optional[int] = None         # override every variant's iterations / epochs
    print_every: Optional[int] = None   # override the cost-line cadence
    progress: bool = True               # tqdm bars (they hide themselves when not on a terminal)
    tf_loop: Optional[str] = None       # the TF engine's loop for every variant, fused or step (None: each
                                        # variant's own, fused)
    out: Callable = print               # where report lines go


def select_variants(all_variants, names, steps=None, print_every=None, tf_loop=None):
    """The variants named (all when ``names`` is None), with run-length and TF-loop overrides applied."""
    by_name = {v.name: v for v in all_variants}
    unknown = [n for n in names or [] if n not in by_name]
    if unknown:
        raise UsageError(f"unknown variant {', '.join(unknown)} (choose from {', '.join(by_name)})")
    chosen = [by_name[n] for n in names] if names else list(all_variants)
    changes = {}
    if steps is not None:
        changes["num_steps"] = steps
    if print_every is not None:
        changes["print_every"] = print_every
    if tf_loop is not None:
        changes["loop"] = tf_loop
    return [v.replace(**changes) for v in chosen]


def train(engine, variant, initial, data, grid, device, progress):
    """One engine's Result for ``variant`` (TensorFlow is imported only when asked for)."""
    if engine == "numpy":
        return np_train.model(variant.hyper, initial, data, grid, progress=progress, name=variant.name)
    from tf1_course.labs.tf_engine import train as tf_train  # loads TensorFlow

    return tf_train.model(variant.hyper, initial, data, grid, device=device, progress=progress,
                          options=variant.tf_options, name=variant.name)


def format_cost(variant, cost):
    """As the course prints it: full precision per iteration, %f per epoch."""
    return repr(float(cost)) if variant.hyper.minibatch_size is None else f"{cost:f}"


def printed_steps(variant, n):
    return list(range(0, n, variant.print_every))


def compare_with_course(variant, result, course):
    """How many of the course's printed numbers this run reproduces, digit for digit as printed."""
    checks = {"costs": result.costs, "last_minibatch_costs": result.last_minibatch_costs}
    if "learning_rates_after" in course:
        checks["learning_rates_after"] = [learning_rate_after(variant.hyper, i)
                                          for i in range(len(result.costs))]
    report = {}
    for key, ours in checks.items():
        pairs = [(theirs, ours[s]) for s, theirs in course.get(key, {}).items() if ours and s < len(ours)]
        if pairs:
            fmt = (lambda x: f"{x:f}") if key != "costs" else (lambda x: format_cost(variant, x))
            report[key] = {"compared": len(pairs),
                           "identical": sum(fmt(c) == fmt(o) for c, o in pairs),
                           "max_rel_diff": max(relative_difference(c, o) for c, o in pairs)}
    for key, value in course.get("accuracy_at", {}).get(variant.hyper.num_steps, {}).items():
        ours = getattr(result, key)
        report[key] = {"course": value, "ours": ours, "equal": math.isclose(value, ours, rel_tol=1e-9)}
    return report


def _row(label, values):
    if len(values) == 1:
        return f"{label} {values[0]}"
    return (f"{label:<33}" + "".join(f"{v:<24}" for v in values)).rstrip()


def report_lines(variant, results, course_report, reference_report, threshold=AGREEMENT):
    """The course-style lines for one variant, the engines side by side (agreement to ``threshold``)."""
    engines = list(results)
    lines = [f"== {variant.name}: {variant.title} [{', '.join(engines)}] =="]
    if len(engines) > 1:
        lines.append(_row("", engines))
    n = min(len(r.costs) for r in results.values())
    for i in printed_steps(variant, n):
        lines.append(_row(f"Cost after {variant.unit} {i}:",
                          [format_cost(variant, r.costs[i]) for r in results.values()]))
        if variant.hyper.decay:
            lines.append(_row(f"learning rate after epoch {i}:",
                              [f"{learning_rate_after(variant.hyper, i):f}"] * len(engines)))
    if variant.hyper.minibatch_size is None:
        lines.append(_row("On the train set: Accuracy:", [repr(r.train_accuracy) for r in results.values()]))
        lines.append(_row("On the test set: Accuracy:", [repr(r.test_accuracy) for r in results.values()]))
    else:
        lines.append(_row("Accuracy:", [repr(r.train_accuracy) for r in results.values()]))
    if len(engines) == 2:
        a = agreement(*results.values(), threshold=threshold)
        same = a["same_train_accuracy"] and a["same_test_accuracy"]
        lines.append(f"numpy vs tf: {agreement_verdict(a, variant.unit)}; accuracies {'equal' if same else 'DIFFER'}")
    for engine, rep in course_report.items():
        parts = []
        for key, what in (("costs", "printed costs"), ("last_minibatch_costs", "2017 last-mini-batch costs"),
                          ("learning_rates_after", "learning rates")):
            if key in rep:
                parts.append(f"{what} {rep[key]['identical']}/{rep[key]['compared']} identical "
                             f"(max relative difference {rep[key]['max_rel_diff']:.1e})")
        for key in ("train_accuracy", "test_accuracy"):
            if key in rep:
                parts.append(f"{key.split('_')[0]} accuracy {rep[key]['course']!r} "
                             f"{'same' if rep[key]['equal'] else 'DIFFERENT'}")
        if parts:
            lines.append(f"course vs {engine}: " + "; ".join(parts))
    if reference_report:
        r = reference_report
        lines.append(f"vs {r['reference']} (course rule, tf engine): max relative cost difference "
                     f"{r['max_rel_cost_diff']:.2g} ({variant.unit} {r['at_step']}); final cost "
                     f"{r['final_cost']:.6f} vs {r['reference_final_cost']:.6f}; accuracy "
                     f"{r['train_accuracy']!r} vs {r['reference_train_accuracy']!r}")
    return lines


def result_metrics(variant, result, course_report):
    n = len(result.costs)
    metrics = {
        "printed_costs": [[i, result.costs[i]] for i in printed_steps(variant, n)],  # [step, cost]
        "curve": result.costs[::variant.record_every],
        "final_cost": result.costs[-1] if n else None,
        "train_accuracy": result.train_accuracy,
        "test_accuracy": result.test_accuracy,
        "seconds": round(result.seconds, 3),
        "course": course_report,
    }
    if result.last_minibatch_costs is not None:
        metrics["printed_last_minibatch_costs"] = [[i, result.last_minibatch_costs[i]]
                                                   for i in printed_steps(variant, n)]
        metrics["learning_rates_after"] = [[i, learning_rate_after(variant.hyper, i)]
                                           for i in printed_steps(variant, n)]
    return metrics


def reference_metrics(variant, result, reference_result):
    a = agreement(result, reference_result)
    return {"reference": variant.reference, "max_rel_cost_diff": a["max_rel_cost_diff"],
            "at_step": a["at_step"], "rel_cost_diff_first_step": relative_difference(
                result.costs[0], reference_result.costs[0]) if result.costs else None,
            "final_cost": result.costs[-1], "reference_final_cost": reference_result.costs[-1],
            "train_accuracy": result.train_accuracy,
            "reference_train_accuracy": reference_result.train_accuracy,
            "max_abs_parameter_diff": a["max_abs_parameter_diff"]}


def run_job(lab, variant, engine, device="cpu", progress=False):
    """One engine's run of one variant, from the course's initial weights: a Result.

    Self-contained (the lab's data, initial weights and plot grid are made here, all cheap and
    seeded), so reproduce can run the jobs of every lab at once on Ray and assemble them later.
    """
    data = lab.load_data()
    _, _, grid = plots.grid(lab.LIMITS)
    initial = initialize_parameters(variant.hyper.layers_dims, variant.hyper.init)
    return train(engine, variant, initial, data, grid, device, progress)


def lab_jobs(lab, options):
    """[(variant, engine)] of ``lab`` for ``options`` (variants, steps, engines), in run order."""
    chosen = select_variants(lab.variants(), options.variants, options.steps, options.print_every,
                             options.tf_loop)
    return [(v, e) for v in chosen for e in options.engines if e in v.engines], chosen


def run_training_lab(lab, options):
    """Run the chosen variants of ``lab`` on ``options.engines``, one after the other, printing each
    variant's lines as it ends. Returns the metrics dict."""
    jobs, chosen = lab_jobs(lab, options)
    results = {}
    report = LabReport(lab, options, chosen)
    for variant in chosen:
        for v, engine in jobs:
            if v.name == variant.name:
                results[(v.name, engine)] = run_job(lab, v, engine, options.device, options.progress)
        report.add(variant, {e: r for (name, e), r in results.items() if name == variant.name})
    return report.finish()


def draw_variant(variant, engine, result, path, data, xx, yy):
    """The variant's PNG: its cost curve and decision boundary on the training set."""
    plots.variant_figure(path, f"{variant.title} ({engine})", result.costs, variant.unit,
                         variant.hyper.learning_rate, data.X_train, data.Y_train, xx, yy, result.grid_predictions)


class LabReport:
    """A lab's report lines, PNGs and metrics.json, assembled from its jobs' Results variant by
    variant (in the order of the lab), however and wherever the jobs ran."""

    def __init__(self, lab, options, chosen):
        self.lab, self.options, self.chosen = lab, options, chosen
        self.data = lab.load_data()
        self.xx, self.yy, _ = plots.grid(lab.LIMITS)
        self.run_dir = Path(options.run_dir)
        self.metrics = {"lab": lab.NAME, "engines": list(options.engines), "device": options.device,
                        "agreement_threshold": AGREEMENT, "variants": {}}
        self.done = {}  # (variant name, engine) -> Result, for reference comparisons and the comparison plot

    def add(self, variant, results, pngs=None):
        """Print and record one variant: ``results`` {engine: Result} (empty: not run on these engines);
        ``pngs`` {engine: PNG bytes} already drawn where the job ran (else drawn here)."""
        options = self.options
        if not results:
            options.out(f"== {variant.name}: {variant.title}: TF engine only, skipped ==")
            return
        course = self.lab.COURSE.get(variant.name, {})
        course_report = {e: compare_with_course(variant, r, course) for e, r in results.items()}
        course_report = {e: rep for e, rep in course_report.items() if rep}
        reference_result = self.done.get((variant.reference, "tf"))
        reference_report = (reference_metrics(variant, results["tf"], reference_result)
                            if reference_result is not None and "tf" in results else None)
        for line in report_lines(variant, results, course_report, reference_report, AGREEMENT):
            options.out(line)
        entry = {"config": variant.asdict(), "engines": {}}
        for engine, result in results.items():
            self.done[(variant.name, engine)] = result
            png = self.run_dir / f"{variant.name}-{engine}.png"
            if pngs and engine in pngs:
                write_bytes(png, pngs[engine])
            else:
                draw_variant(variant, engine, result, png, self.data, self.xx, self.yy)
            entry["engines"][engine] = {**result_metrics(variant, result, course_report.get(engine, {})),
                                        "png": png.name}
        if len(results) == 2:
            entry["agreement"] = agreement(*results.values(), threshold=AGREEMENT)
        if reference_report:
            entry["vs_reference"] = reference_report
        self.metrics["variants"][variant.name] = entry
        self.metrics["seconds"] = round(sum(r.seconds for r in self.done.values()), 3)  # training time
        write_json(self.run_dir / "metrics.json", jsonable(self.metrics))

    def finish(self):
        """The comparison plots and the final metrics.json. Returns the metrics dict."""
        for engine in self.options.engines:
            curves = {name: (list(range(len(r.costs))), r.costs)
                      for v in self.chosen for (name, e), r in self.done.items() if name == v.name and e == engine}
            if curves:
                unit = self.chosen[0].unit
                png = self.run_dir / f"comparison-{engine}.png"
                plots.comparison(png, curves, f"lab {self.lab.NAME}: cost per {unit} ({engine} engine)", f"{unit}s")
                self.metrics.setdefault("comparison_pngs", []).append(png.name)
        write_json(self.run_dir / "metrics.json", jsonable(self.metrics))
        return self.metrics
