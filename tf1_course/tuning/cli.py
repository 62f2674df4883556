"""``tf1-course tune``: hyperparameter search the way Week 3 teaches it, trials in parallel on Ray.

Random search (not a grid) over a space of learning rate (log scale), Adam's beta1 (1 - beta1 on
a log scale), mini-batch size (powers of two), hidden layer sizes, L2 and dropout
(:mod:`tf1_course.tuning.search_space`); coarse to fine with ``--refine STUDY``. Every trial trains the
SIGNS model exactly as ``tf1-course train`` does, on the 864 training photos, and is judged on the
216 dev photos; the test set is used once, for the best configuration. Trials run on Ray
(:mod:`tf1_course.tuning.trials`): a local instance by default, one trial per core; ``--address`` for a
cluster. Everything goes to a study folder (:mod:`tf1_course.tuning.study`); Ctrl-C keeps the finished
trials and the same command resumes the study.
"""

import argparse
import datetime
import os
import shutil
import sys
from pathlib import Path

from tf1_course import __version__
from tf1_course.core import cluster
from tf1_course.tuning import hparams, search_space, study as studies
from tf1_course.core.command import Parser, non_negative_int, positive_int, run_main
from tf1_course.data import h5, paths
from tf1_course.core.errors import UsageError
from tf1_course.core.interrupt import NAMES, exit_code, signal_of
from tf1_course.core.fileio import check_writable, sha256

DEFAULT_STUDY = "runs/tune"
DEFAULT_TRIALS = 16
DEFAULT_EPOCHS = 100
DEFAULT_GRACE = 10
MAX_TRIALS = 10_000


def build_parser():
    p = Parser(prog="tf1-course tune", description=__doc__.split("\n\n")[0],
               formatter_class=argparse.RawDescriptionHelpFormatter, epilog=_space_help())
    p.add_argument("--study", default=DEFAULT_STUDY, help=f"study folder (default {DEFAULT_STUDY})")
    p.add_argument("--trials", type=positive_int, default=DEFAULT_TRIALS,
                   help=f"number of random configurations (default {DEFAULT_TRIALS})")
    p.add_argument("--seed", type=non_negative_int, default=0, help="seed of the random search (default 0)")
    p.add_argument("--epochs", type=positive_int, default=DEFAULT_EPOCHS,
                   help=f"epochs per trial: the budget (default {DEFAULT_EPOCHS})")
    p.add_argument("--space", metavar="FILE", help="search space as JSON or TOML: {name: \"kind:...\"}")
    p.add_argument("--param", action="append", default=[], metavar="NAME=SPEC",
                   help="set one hyperparameter's range, e.g. learning_rate=log:1e-5:1e-2 (repeatable)")
    p.add_argument("--refine", metavar="STUDY",
                   help="coarse to fine: ranges narrowed around the best trials of an earlier study")
    p.add_argument("--top", type=positive_int, help="--refine around this many best trials (default a fifth, >= 3)")
    p.add_argument("--asha", action="store_true",
                   help="stop bad trials early (Ray Tune's ASHA scheduler, on the dev accuracy per epoch)")
    p.add_argument("--grace-epochs", type=positive_int,
                   help=f"with --asha: epochs every trial gets before it can be stopped (default {DEFAULT_GRACE})")
    p.add_argument("--address", metavar="HOST:PORT",
                   help="run the trials on this Ray cluster (default: $RAY_ADDRESS, else a local Ray); needs --storage")
    p.add_argument("--storage", metavar="URI",
                   help="where Ray Tune keeps the trials' checkpoints: a folder every node sees (NFS) or a URI such "
                        "as s3://bucket/studies (default for a local Ray: STUDY/ray)")
    p.add_argument("--max-concurrent", type=positive_int, help="trials at once (default: the CPUs Ray has)")
    p.add_argument("--data-dir", help="folder with train_minus_dev_signs.h5 and dev_signs.h5 (default datasets/)")
    return p


def _space_help():
    lines = ["search space (default; change with --param NAME=SPEC or --space FILE):"]
    lines += [f"  {name:<15} {spec:<24} {search_space.NAMES[name]}" for name, spec in search_space.DEFAULT_SPACE.items()]
    lines += ["also searchable (not by default): " + ", ".join(n for n in search_space.NAMES
                                                                 if n not in search_space.DEFAULT_SPACE),
              "kinds: " + ", ".join(search_space.KINDS) + " (see docs/tuning.md)"]
    return "\n".join(lines)


def overrides(args):
    """{name: spec text} from --space FILE and --param NAME=SPEC (in that order)."""
    specs = dict(search_space.load_space_file(args.space)) if args.space else {}
    for item in args.param:
        name, sep, spec = item.partition("=")
        if not sep:
            raise UsageError(f"--param {item!r}: expected NAME=SPEC, e.g. learning_rate=log:1e-5:1e-2")
        specs[name.strip()] = spec.strip()
    return specs


def resolve_space(args, study):
    """(space, lines saying what --refine changed).

    The default space with --space/--param on top; with --refine, the earlier study's space
    narrowed around its best trials, then --space/--param on top. A study being resumed keeps the
    space it was created with (its earlier study may have grown since).
    """
    if not args.refine:
        return search_space.parse_space({**search_space.DEFAULT_SPACE, **overrides(args)}), []
    earlier = studies.Study(args.refine)
    if not earlier.spec.is_file():
        raise UsageError(f"--refine {args.refine}: no study there (no study.json)")
    if study.spec.is_file():
        saved = study.load_spec()
        if saved.get("refine_from") == str(earlier.path.resolve()):
            return search_space.parse_space(saved["space"]), ["resuming the refined study: its ranges as saved"]
    spec = earlier.load_spec()
    try:
        old_space = search_space.parse_space(spec["space"])
    except UsageError as e:
        raise UsageError(f"--refine {args.refine}: its study.json has a bad space ({e})") from None
    scored = [(r["dev_accuracy"], r["values"]) for r in earlier.load_results(spec["trials"]).values()
              if r["status"] == "finished" and r.get("dev_accuracy") is not None]
    space, lines = search_space.refine(old_space, scored, top=args.top)
    # sample from the ranges exactly as study.json will hold them (printed to 6 digits), so that a
    # resumed study draws the same values and its interrupted trials can resume
    space = search_space.parse_space({name: search_space.format_spec(s) for name, s in space.items()})
    return {**space, **search_space.parse_space(overrides(args))}, lines


def _data_fingerprint(folder):
    """sha256 of the two tuning files (a resumed study must use the same data); the test file must
    be there too (it scores the best trial at the end)."""
    h5.load_tuning_split(folder)  # one clear line when the dev split is missing
    h5.load_split(folder / paths.TEST_FILE, "test")
    return {name: sha256(folder / name) for name, _ in studies.TUNING_FILES.values()}


def check_flags(args):
    if args.trials > MAX_TRIALS:
        raise UsageError(f"--trials {args.trials}: at most {MAX_TRIALS} (refine a study instead)")
    if args.top is not None and not args.refine:
        raise UsageError("--top only applies with --refine STUDY")
    if args.grace_epochs is not None and not args.asha:
        raise UsageError("--grace-epochs only applies with --asha")
    if args.storage and "://" not in args.storage:  # a folder: absolute (every node reads the same path), writable
        args.storage = str(Path(args.storage).resolve())
        check_writable(args.storage, "--storage")
    address = args.address or os.environ.get(cluster.ADDRESS_ENV)
    if address:  # before anything is written
        if not address.startswith("ray://"):
            cluster.parse_address(address)
        if not args.storage:
            raise UsageError(f"--address {address}: the trials run on other machines, which cannot see this "
                             f"machine's folders: give --storage a folder every node sees (an NFS mount) or a "
                             f"URI such as s3://bucket/studies")
        cluster.probe(address)


def plan(args):
    """(Study, what study.json records, space, refine lines, data folder); nothing written yet."""
    check_flags(args)
    study = studies.Study(args.study)
    study.check_folder()
    if args.refine and Path(args.refine).resolve() == study.path.resolve():
        raise UsageError("--refine needs another --study folder for the new, narrower study")
    space, refined = resolve_space(args, study)
    configurations = search_space.sample(space, args.trials, args.seed)
    check_trials(configurations, args.epochs)  # before anything is written
    studies.check_disk(study, [trial_flags(v, args.epochs) for v in configurations])
    folder = paths.data_dir(args.data_dir)
    asked = {"kind": "tf1-course study", "space": {n: search_space.format_spec(s) for n, s in sorted(space.items())},
             "seed": args.seed, "trials": args.trials, "epochs": args.epochs,
             "data_sha256": _data_fingerprint(folder),
             "asha": {"grace_epochs": args.grace_epochs or DEFAULT_GRACE} if args.asha else None,
             "refine_from": str(Path(args.refine).resolve()) if args.refine else None,
             "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
             "tf1_course": __version__}
    return study, asked, space, refined, folder


def trial_flags(values, epochs):
    flags = search_space.train_flags(values)
    flags.update(num_epochs=epochs, print_every=epochs + 1, save_every=max(10, epochs // 5))
    return flags


def check_trials(configurations, epochs):
    """Every sampled configuration must be one `tf1-course train` accepts (the same checks)."""
    from tf1_course.signs.settings import resolve_config

    for k, values in enumerate(configurations):
        try:
            resolve_config(trial_flags(values, epochs))
        except UsageError as e:
            raise UsageError(f"trial {k} ({_short(values)}) would be refused by training: {e}") from None


def run(args):
    study, asked, space, refined, folder = plan(args)
    for line in refined:
        print(f"refined: {line}")
    with study.lock():
        return run_study(args, study, asked, space, folder)


def run_study(args, study, asked, space, folder):
    from tf1_course.signs.training import preload
    from tf1_course.tuning import trials as engine

    saved = study.open(asked)
    if args.trials < saved["trials"]:
        print(f"note: the study has {saved['trials']} trials; --trials only adds trials, it runs them all")
    configurations = search_space.sample(space, saved["trials"], saved["seed"])
    results = study.load_results(len(configurations))
    pending = [k for k in range(len(configurations))
               if k not in results or results[k]["status"] not in studies.FINAL]
    print(f"study {study.path}: {len(configurations)} trials of {saved['epochs']} epochs, "
          f"{len(configurations) - len(pending)} already done, {len(pending)} to run")
    checkpoints = study.load_checkpoints()  # {trial: URI of its last checkpoint}: an interrupted trial resumes there
    todo = [engine.Trial(k, trial_flags(configurations[k], saved["epochs"]), checkpoints.get(k)) for k in pending]
    counts = {"done": len(configurations) - len(pending), "total": len(configurations)}

    def on_checkpoint(key, uri):
        checkpoints[key] = uri
        study.save_checkpoints(checkpoints)

    def on_done(outcome):
        values = configurations[outcome.key]
        metrics = None
        if outcome.checkpoint is not None:  # the run folder, from the storage into the study
            metrics = study.fetch_trial(outcome.key, lambda into: engine.fetch(outcome.checkpoint, into))
            engine.forget(outcome.checkpoint)  # fetched: the storage need not keep it
        results[outcome.key] = studies.trial_result(outcome.key, values, outcome.status, outcome.history,
                                                    metrics, outcome.seconds, outcome.error, outcome.node,
                                                    outcome.epochs)
        study.save_results(results)
        if checkpoints.pop(outcome.key, None) is not None:
            study.save_checkpoints(checkpoints)
        r = results[outcome.key]
        if r["status"] == "error":
            print(f"trial {outcome.key} failed: {outcome.error}", file=sys.stderr, flush=True)
            return
        counts["done"] += 1
        dev = "-" if r["dev_accuracy"] is None else f"{r['dev_accuracy']:.4f}"
        print(f"trial {outcome.key} {r['status']}: dev accuracy {dev} ({_short(values)}); "
              f"{counts['done']}/{counts['total']} done, {counts['total'] - counts['done']} left", flush=True)

    asha = {"max_epochs": saved["epochs"], **saved["asha"]} if saved.get("asha") else None
    interrupted = None  # the exit code of Ctrl-C (130) or SIGTERM (143) that stopped the trials
    storage = args.storage or str((study.path / "ray").resolve())
    data = preload(folder, studies.TUNING_FILES)  # once, here: Ray hands it to every trial
    try:
        engine.run_trials(todo, data, storage, address=args.address, max_concurrent=args.max_concurrent, asha=asha,
                          on_checkpoint=on_checkpoint, on_done=on_done, name=_experiment_name())
    except KeyboardInterrupt as e:
        interrupted = exit_code(signal_of(e))
    names = [n for n, s in sorted(space.items()) if s.kind != "fixed"]
    if results:
        for line in studies.table(results, names):
            print(line)
        studies.plot(study, results, space)
        hparams.write(study.tensorboard, space, results)  # TensorBoard's HParams view of the trials so far
    failed = sorted(k for k in pending if k in results and results[k]["status"] == "error")
    unfinished = [k for k in pending if k not in results]
    if interrupted:
        print(f"{NAMES[interrupted - 128]}: stopped with {len(unfinished) + len(failed)} trial(s) unfinished "
              f"(each resumes from its last checkpoint); run the same command to resume the study", file=sys.stderr)
        return interrupted
    if unfinished:  # Ray gave no outcome for them, and nobody pressed Ctrl-C
        raise UsageError(f"trial(s) {', '.join(map(str, unfinished))} ended without an outcome (Ray stopped them); "
                         f"run the same command to run them again")
    if failed:
        raise UsageError(f"trial(s) {', '.join(map(str, failed))} failed (see above); fix the cause and run "
                         f"the same command to run them again")
    if not args.storage:  # the study's own storage: every trial is in the study folder now
        shutil.rmtree(study.path / "ray", ignore_errors=True)
    best = studies.finalize(study, results, folder)
    if best:
        print(f"best: trial {best['trial']}, dev accuracy {best['dev_accuracy']:.4f}, test accuracy "
              f"{best['test_accuracy']:.4f} (the test set, used once) -> {study.best}")
    print(f"wrote {study.results_csv}, {study.results_json}, {study.plots}/, {study.tensorboard}/ "
          f"(tensorboard --logdir {study.path})")
    return 0


def _experiment_name():
    """A new Tune experiment per run of the command (its trials resume from the study's checkpoints)."""
    return "trials-" + datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d-%H%M%S-%f")


def _short(values):
    return ", ".join(f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}" for k, v in sorted(values.items()))


def main(argv=None):
    return run_main(build_parser(), run, argv)


if __name__ == "__main__":
    sys.exit(main())
