#!/usr/bin/env python3
"""Print (or write into README.md) the README's results block, made from a reproduction report.

    .venv/bin/python scripts/readme_summary.py                 # print it, from docs/report/report.json
    .venv/bin/python scripts/readme_summary.py --write         # replace the block in README.md
    .venv/bin/python scripts/readme_summary.py --report reports/full/report.json

The block sits between two HTML comments in README.md; ``tests/test_report.py`` checks that it
matches the committed report, so the README's numbers cannot drift from it.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from tf1_course.core.command import Parser, run_main  # noqa: E402
from tf1_course.core.errors import UsageError  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def build_parser():
    p = Parser(prog="readme_summary.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--report", default=str(ROOT / "docs" / "report" / "report.json"), help="the report.json to read")
    p.add_argument("--readme", default=str(ROOT / "README.md"), help="the README to write into (with --write)")
    p.add_argument("--write", action="store_true", help="replace the block in the README instead of printing it")
    return p


def replace_block(text, block):
    """``text`` with the block between the markers replaced by ``block``."""
    from tf1_course.reproduce.report import README_BEGIN, README_END

    start, end = text.find(README_BEGIN), text.find(README_END)
    if start < 0 or end < start:
        raise UsageError(f"the README has no block between {README_BEGIN!r} and {README_END!r}")
    return text[:start] + block + text[end + len(README_END):]


def run(args):
    from tf1_course.reproduce import report
    from tf1_course.core.fileio import read_json, write_text

    block = report.readme_summary(read_json(Path(args.report)))
    if not args.write:
        print(block)
        return 0
    readme = Path(args.readme)
    write_text(readme, replace_block(readme.read_text(encoding="utf-8"), block))
    print(f"wrote the results block into {readme}")
    return 0


def main(argv=None):
    return run_main(build_parser(), run, argv)


if __name__ == "__main__":
    sys.exit(main())
