"""A hyperparameter study's folder: what was asked, every trial's run, results, plots, the best run.

    runs/study/
      study.json        the search space, seed, number of trials, epochs, data (what was asked)
      trials/0007/      trial 7: a normal run directory, trained on train_minus_dev_signs.h5 and
                        scored on dev_signs.h5 (never on the test set)
      results.json      per trial: values, status, dev/train accuracy, final cost, seconds, curves, node
      checkpoints.json  per unfinished trial, the storage URI of its last checkpoint (where it resumes)
      ray/              Ray Tune's storage for a local Ray (--storage elsewhere on a cluster)
      results.csv       the same without the curves, a row per trial
      plots/            dev accuracy against each searched hyperparameter, best trials' curves
      tensorboard/      TensorBoard's HParams view: every trial's values against its dev accuracy
      best/             the best finished trial's run, scored once on the test set (evaluation.json);
                        `tf1-course evaluate --run-dir STUDY/best` and `predict` accept it

A trial's status: finished; stopped (early, by the ASHA scheduler); diverged (its cost became
nan or inf); collapsed (it finished predicting one class for 95% or more of the training photos:
accuracy near chance, 1/6); error.
"""

import csv
import io
import math
import shutil
import sys
from pathlib import Path

import numpy as np

from tf1_course.data.paths import DEV_FILE, TEST_FILE, TRAIN_MINUS_DEV_FILE
from tf1_course.core.errors import UsageError
from tf1_course.core.fileio import LOCK_NAME, folder_lock, read_json, staged_dir, write_json, write_text
from tf1_course.signs.rundir import RunDir, data_record, disk_bytes
from tf1_course.signs.settings import TrainConfig
from tf1_course.signs.training import collapsed

# A trial trains on the 864 training photos and is judged on the 216 dev photos.
TUNING_FILES = {"train": (TRAIN_MINUS_DEV_FILE, "train"), "dev": (DEV_FILE, "dev")}
CHANCE = 1 / 6
FINAL = ("finished", "stopped", "diverged", "collapsed")  # a second `tune` does not run these again
COLUMNS = ("trial", "status", "dev_accuracy", "train_accuracy", "final_cost", "epochs", "seconds")


class Study:
    """A study folder and the names in it."""

    def __init__(self, path):
        self.path = Path(path)
        self.spec = self.path / "study.json"
        self.trials = self.path / "trials"
        self.results_json = self.path / "results.json"
        self.results_csv = self.path / "results.csv"
        self.checkpoints = self.path / "checkpoints.json"
        self.plots = self.path / "plots"
        self.tensorboard = self.path / "tensorboard"
        self.best = self.path / "best"

    def trial_dir(self, k):
        return self.trials / f"{k:04d}"

    def lock(self):
        """One `tune` at a time on a study; a second is refused in one line."""
        return folder_lock(self.path, "tune", "--study")

    def check_folder(self):
        if self.path.exists() and not self.path.is_dir():
            raise UsageError(f"--study {self.path}: is a file, not a folder")

    def load_spec(self):
        """study.json, checked; a damaged one is one UsageError."""
        try:
            spec = read_json(self.spec)
        except (OSError, ValueError) as e:
            raise UsageError(f"{self.spec} is damaged or unreadable ({e}); use another study folder") from None
        fields = {"space": dict, "seed": int, "trials": int, "epochs": int}
        if not isinstance(spec, dict) or spec.get("kind") != "tf1-course study" or any(
                not isinstance(spec.get(k), t) for k, t in fields.items()):
            raise UsageError(f"{self.spec} is damaged (not a tf1-course study); use another study folder")
        return spec

    def open(self, asked):
        """Create the study, or check that the folder holds this same study (a resumed one).

        ``asked``: what study.json records. The number of trials may grow (more trials from the
        same seed); anything else differing is one UsageError, and the folder is left as it is.
        """
        self.check_folder()
        if self.spec.is_file():
            saved = self.load_spec()
            differs = sorted(k for k in set(asked) | set(saved) if k not in ("trials", "created", "tf1_course")
                             and asked.get(k) != saved.get(k))
            if differs:
                raise UsageError(f"{self.path} holds a different study ({', '.join(differs)} differ); "
                                 f"run the same flags to resume it, or choose another study folder")
            if asked["trials"] > saved["trials"]:
                write_json(self.spec, {**saved, "trials": asked["trials"]})
            return {**saved, "trials": max(asked["trials"], saved["trials"])}
        if self.path.exists() and any(p.name != LOCK_NAME for p in self.path.iterdir()):
            raise UsageError(f"{self.path} is not empty and holds no study (no study.json); "
                             f"choose another study folder")
        self.path.mkdir(parents=True, exist_ok=True)
        write_json(self.spec, asked)
        return asked

    def load_checkpoints(self):
        """{trial: checkpoint URI} of the trials interrupted after a checkpoint ({} when none)."""
        if not self.checkpoints.is_file():
            return {}
        try:
            return {int(k): str(v) for k, v in read_json(self.checkpoints).items()}
        except (OSError, ValueError, AttributeError) as e:
            raise UsageError(f"{self.checkpoints} is damaged ({e}); move it away to run those trials from the "
                             f"start") from None

    def save_checkpoints(self, checkpoints):
        write_json(self.checkpoints, {str(k): v for k, v in sorted(checkpoints.items())})

    def fetch_trial(self, k, download):
        """Put trial ``k``'s finished run folder into trials/NNNN: ``download(folder)`` writes it into a
        new folder (from Ray Tune's storage), then it replaces what was there. Returns its metrics.json."""
        with staged_dir(self.trial_dir(k)) as work:
            download(work)
        metrics = RunDir(self.trial_dir(k)).metrics
        return read_json(metrics) if metrics.is_file() else None  # a diverged run has none

    def load_results(self, trials=None):
        """{trial: result dict} saved so far ({} for a new study), trials below ``trials`` only.

        A finished trial whose run directory lost its metrics.json counts as not run.
        """
        if not self.results_json.is_file():
            return {}
        try:
            rows = read_json(self.results_json)["trials"]
            results = {}
            for r in rows:
                if not (isinstance(r["trial"], int) and isinstance(r["status"], str) and isinstance(r["values"], dict)
                        and (r.get("dev_accuracy") is None or isinstance(r["dev_accuracy"], (int, float)))):
                    raise TypeError(f"trial entry {r.get('trial')!r} is malformed")
                results[r["trial"]] = r
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise UsageError(f"{self.results_json} is damaged ({e}); move it away to run every trial again") from None
        return {k: r for k, r in results.items()
                if (trials is None or 0 <= k < trials)
                and (r["status"] not in ("finished", "collapsed") or RunDir(self.trial_dir(k)).metrics.is_file())}

    def save_results(self, results):
        """results.json (with curves) and results.csv (without), both atomically, trials in order."""
        rows = [results[k] for k in sorted(results)]
        write_json(self.results_json, {"trials": rows})
        names = sorted({name for r in rows for name in r.get("values", {})})
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([*COLUMNS, *names])
        for r in rows:
            writer.writerow([_cell(r.get(c)) for c in COLUMNS] + [_cell(r["values"].get(n)) for n in names])
        write_text(self.results_csv, out.getvalue())


def _cell(value):
    if isinstance(value, float):
        return f"{value:.6g}"
    return "" if value is None else value


def trial_result(k, values, status, history, metrics=None, seconds=None, error=None, node=None, epochs=None):
    """One trial's entry in results.json.

    ``history``: [{"epoch", "cost", "dev_accuracy"}] as the trial reported it, epoch by epoch (with
    --asha); ``metrics``: the run's metrics.json when it finished; ``epochs``: how many it trained
    (its final report), for a trial without either (one that diverged).
    """
    costs = [h["cost"] for h in history]
    dev = [h["dev_accuracy"] for h in history]
    result = {"trial": k, "values": values, "status": status, "epochs": max(len(history), epochs or 0),
              "dev_accuracy": dev[-1] if dev else None, "best_dev_accuracy": max(dev) if dev else None,
              "train_accuracy": None, "final_cost": costs[-1] if costs else None,
              "seconds": seconds, "costs": costs, "dev_accuracies": dev}
    if metrics:  # the run's own record: complete even when it resumed from a checkpoint
        result.update(dev_accuracy=metrics["dev_accuracy"], train_accuracy=metrics["train_accuracy"],
                      final_cost=metrics["final_cost"], seconds=metrics["seconds"], epochs=metrics["epochs"],
                      costs=metrics["costs"])
        if metrics.get("scores"):
            result["dev_accuracies"] = [s.get("dev") for s in metrics["scores"]]
            result["best_dev_accuracy"] = max(result["dev_accuracies"])
        if collapsed(metrics):
            result["status"] = "collapsed"
    if error:
        result["error"] = error
    if node:
        result["node"] = node  # the Ray node it ran on
    return result


def ranked(results):
    """Trials best first: finished before the rest, then higher dev accuracy, then lower cost."""
    def key(r):
        dev = r.get("dev_accuracy")
        cost = r.get("final_cost")
        return (r["status"] != "finished", -(dev if dev is not None else -1),
                cost if cost is not None and math.isfinite(cost) else math.inf, r["trial"])
    return sorted(results.values(), key=key)


def table(results, names):
    """The ranked table printed at the end of a study."""
    head = f"{'rank':>4} {'trial':>5} {'status':<9} {'dev acc':>7} {'train acc':>9} {'cost':>8} {'s':>6}  "
    head += "  ".join(f"{n:>12}" for n in names)
    lines = [head]
    for rank, r in enumerate(ranked(results), 1):
        dev, train, cost = r.get("dev_accuracy"), r.get("train_accuracy"), r.get("final_cost")
        line = (f"{rank:>4} {r['trial']:>5} {r['status']:<9} {_fmt(dev, '.4f'):>7} {_fmt(train, '.4f'):>9} "
                f"{_fmt(cost, '.4f'):>8} {_fmt(r.get('seconds'), '.1f'):>6}  ")
        line += "  ".join(f"{_fmt(r['values'].get(n), '.4g'):>12}" for n in names)
        lines.append(line)
    return lines


def _fmt(value, spec):
    if value is None:
        return "-"
    if isinstance(value, str):  # a named choice (lr_decay)
        return value
    if isinstance(value, (int, np.integer)) and spec != ".1f":
        return str(value)
    return format(value, spec)


def plot(study, results, space):
    """plots/dev_accuracy_vs_NAME.png for each searched hyperparameter, plots/best_curves.png."""
    from tf1_course.core import plots

    marks = {}
    for name, spec in space.items():
        if spec.kind == "fixed":
            continue
        points = [(r["values"][name], r.get("dev_accuracy"), r["status"]) for r in results.values()
                  if name in r["values"]]
        if spec.kind == "one-minus-log":
            points = [(1 - x, y, s) for x, y, s in points]
            label = f"1 - {name} (log scale)"
        else:
            label = name + (" (log scale)" if spec.kind in ("log", "pow2") else "")
        path = study.plots / f"dev_accuracy_vs_{name}.png"
        plots.scatter_by_status(points, path, f"dev accuracy against {name}", label, "dev accuracy",
                                log_x=spec.kind in ("log", "one-minus-log", "pow2"), chance=CHANCE)
        marks[name] = path
    best = [r for r in ranked(results) if r["costs"]][:5]
    if best:
        plots.curves({f"trial {r['trial']} (dev {_fmt(r.get('dev_accuracy'), '.3f')})": r["costs"] for r in best},
                     {f"trial {r['trial']}": r["dev_accuracies"] for r in best},
                     study.plots / "best_curves.png", "the best trials: cost and dev accuracy per epoch")
        marks["best_curves"] = study.plots / "best_curves.png"
    return marks


def check_disk(study, flags):
    """Print the disk the study's trials still to run will need (``flags``: each trial's training
    flags); refuse in one line when the study folder's disk has less free."""
    done = {k for k, r in (study.load_results(len(flags)) if study.spec.is_file() else {}).items()
            if r["status"] in FINAL}
    sizes = [disk_bytes(f.get("hidden", TrainConfig.hidden)) for k, f in enumerate(flags) if k not in done]
    need = sum(sizes)
    where = next(p for p in (study.path, *study.path.resolve().parents) if p.exists())
    free = shutil.disk_usage(where).free
    if need > free:
        raise UsageError(f"--trials {len(flags)}: the study would need about {_size(need)} on disk "
                         f"({len(sizes)} trial(s), up to {_size(max(sizes))} each), and {where} has {_size(free)} "
                         f"free; run fewer trials or give --study a folder on a larger disk")
    if sizes:
        print(f"disk: about {_size(need)} for {len(sizes)} trial(s) (up to {_size(max(sizes))} each, checkpoints "
              f"included); {_size(free)} free")


def _size(n):
    return f"{n / 1e9:.1f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB"


def finalize(study, results, data_dir):
    """The best finished trial, copied to STUDY/best and scored once on the test set (in
    ``data_dir``). Returns its summary (best.json). Done once per best trial: a resumed study with
    the same best keeps it."""
    from tf1_course.signs.evaluation import evaluate

    finished = [r for r in ranked(results) if r["status"] == "finished"]
    if not finished:
        print("no trial finished: nothing to evaluate on the test set", file=sys.stderr)
        return None
    top = finished[0]
    best_json = study.path / "best.json"
    if best_json.is_file() and RunDir(study.best).evaluation.is_file():
        previous = read_json(best_json)
        if isinstance(previous, dict) and previous.get("trial") == top["trial"]:
            return previous
    with staged_dir(study.best) as work:
        shutil.copytree(study.trial_dir(top["trial"]), work, ignore=shutil.ignore_patterns(".lock"), dirs_exist_ok=True)
        run = RunDir(work)
        config = run.load_config()
        record = data_record(data_dir, {**{r: (e["file"], e["split"]) for r, e in config["data"]["files"].items()},
                                        "test": (TEST_FILE, "test")})
        run.save_config({**config, "data": record})
        report = evaluate(work, device="cpu", log=lambda *_: None)
    write_json(RunDir(study.best).evaluation, {**report, "run_dir": str(study.best)})
    best = {"trial": top["trial"], "values": top["values"], "dev_accuracy": report["dev_accuracy"],
            "train_accuracy": report["train_accuracy"], "test_accuracy": report["test_accuracy"]}
    write_json(best_json, best)
    return best
