#!/usr/bin/env python3
"""Thin entry point: predict on your own photos. Same as `tf1-course predict`; see --help."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from tf1_course.predict import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
