#!/usr/bin/env python3
"""Thin entry point: train the SIGNS model. Same as `tf1-course train`; see --help."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from tf1_course.train import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
