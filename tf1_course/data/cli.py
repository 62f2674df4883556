"""``tf1-course data build|fetch|info``.

build, fetch and h5 are imported by the action that needs them: they load NumPy and h5py
(about 0.1 s), which ``tf1-course data --help`` does not need.
"""

import sys

from tf1_course.core.command import Parser, run_main
from tf1_course.data import manifest, paths
from tf1_course.core.errors import DataError


def build_parser():
    p = Parser(prog="tf1-course data", description="Build or fetch the SIGNS h5 files.")
    sub = p.add_subparsers(dest="action", required=True, metavar="{build,fetch,info}")
    b = sub.add_parser("build", help="build datasets/*.h5 (and the dev split) from a SIGNS JPEG tree")
    b.add_argument("--from", dest="src", help="SIGNS source folder (default: the photos bundled with the package; see docs/data.md)")
    b.add_argument("--test-h5", help="the course's test_signs.h5 to use unchanged as the test set")
    b.add_argument("--out", help="output folder (default: $TF1_COURSE_DATA_DIR or datasets/)")
    b.add_argument("--seed", type=int, default=1, help="seed of the fixed shuffle (default 1)")
    b.add_argument("--force", action="store_true", help="rebuild even when up to date")
    f = sub.add_parser("fetch", help="download the course's train/test h5 files and data.mat")
    f.add_argument("--url", action="append", metavar="URL",
                   help="a base URL holding train_signs.h5, test_signs.h5 and data.mat, or 'pinned' (the "
                        "pinned public copy); repeat it for fallbacks, tried in order (default: "
                        "$TF1_COURSE_DATA_URL, several separated by spaces, else 'pinned')")
    f.add_argument("--out", help="output folder (default: $TF1_COURSE_DATA_DIR or datasets/)")
    f.add_argument("--sha256", action="append", metavar="NAME=HEX",
                   help="expected sha256 of a file instead of the course's (repeatable)")
    f.add_argument("--timeout", type=float, default=60, help="seconds per request (default 60)")
    f.add_argument("--force", action="store_true", help="replace files already there that differ")
    i = sub.add_parser("info", help="show the data set, its dev split, provenance and manifest")
    i.add_argument("--out", help="data folder (default: $TF1_COURSE_DATA_DIR or datasets/)")
    return p


def run(args):
    out = paths.data_dir(args.out)
    if args.action == "build":
        from tf1_course.data.build import build

        src = args.src or _default_source(out, args.force)
        if src is None:
            return 0
        print(f"SIGNS source: {src}")
        build(src, out, test_h5=args.test_h5, seed=args.seed, force=args.force)
    elif args.action == "fetch":
        from tf1_course.data.fetch import fetch, parse_sha_args

        fetch(out, url=args.url, sha256=parse_sha_args(args.sha256), timeout=args.timeout, force=args.force)
    else:
        show_info(out)
    return 0


def show_info(out):
    """Print the splits of ``out`` (shapes, per-class counts), the dev split and the provenance."""
    from tf1_course.data import h5

    train, test = h5.load_dataset(out)
    print(f"{out}: train {train.x.shape} test {test.x.shape} classes {train.classes.tolist()}")
    splits = [("train", train), ("test", test)]
    has_dev = all((out / n).is_file() for n in (paths.TRAIN_MINUS_DEV_FILE, paths.DEV_FILE))
    if has_dev:
        splits += zip(("train_minus_dev", "dev"), h5.load_tuning_split(out))
    for name, s in splits:
        print(f"  {name}: {len(s.y)} examples, per class {h5.class_counts(s.y, len(s.classes))}")
    if not has_dev:
        print("  dev split: none (`tf1-course data build` makes one from the SIGNS photos; "
              "a fetched course data set has none)")
    print("  provenance: " + ", ".join(f"{k} {v}" for k, v in manifest.provenance(out).items()))
    from tf1_course.data import bundle

    problems = bundle.verify()
    print(f"  bundled with the package: {len(bundle.sums())} files in {bundle.root()}, "
          + ("sha256 verified" if not problems else f"{len(problems)} problem(s): {problems[:3]}"))
    for name, e in (manifest.read(out) or {}).get("files", {}).items():
        print(f"  {name}: sha256 {e['sha256']}  from {e['origin']}")


def _default_source(out, force=False):
    """The searched-for SIGNS source (the bundled photos unless another is found first); None
    (after saying so) when ``out`` already holds the course's own training file, which `data fetch`
    downloaded: a rebuild from the photos would replace it (``--from`` or ``--force`` do)."""
    source = paths.find_source()
    if not force and manifest.provenance(out, keys=("train",)).get("train") == manifest.COURSE:
        from tf1_course.data import h5

        try:
            h5.load_dataset(out)
        except DataError:
            return source
        print(f"{out} holds the course's own {paths.TRAIN_FILE} (fetched): keeping it (pass --from DIR or "
              f"--force to build from the SIGNS photos instead)")
        return None
    return source


def main(argv=None):
    return run_main(build_parser(), run, argv)


if __name__ == "__main__":
    sys.exit(main())
