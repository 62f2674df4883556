"""Keep the base image's TensorFlow while pip installs the project's other requirements.

The Dockerfile runs this with the image's Python, before and after ``pip install``::

    python3 keep_base_tf.py pin requirements.txt OUT   # writes OUT/requirements.txt, OUT/constraints.txt
    python3 keep_base_tf.py check OUT/constraints.txt [VERSION]   # after pip: TensorFlow unchanged

Why: the official images hold TensorFlow as the ``tensorflow`` distribution (``-gpu`` tags) or,
for CPU tags, possibly as ``tensorflow-cpu`` (tensorflow/build's release script builds them so).
Handed requirements.txt as it is, pip would install a second, full ``tensorflow`` over
``tensorflow-cpu``, or move the version. ``pin`` checks that the installed
version satisfies requirements.txt's tensorflow line, rewrites that line to the installed
distribution at its installed version (so pip sees it as already satisfied and still checks that
the other packages fit it), and writes the same pin as a constraint so no dependency can move it.
``check`` fails the build if TensorFlow changed or is not the version the image tag promises.

Standard library and ``packaging`` only (a TensorFlow dependency, so every TensorFlow image has it).
"""

import importlib.metadata
import os
import sys
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

IMPORT_NAME = "tensorflow"


def installed_tensorflow():
    """Sorted (distribution, version) pairs that provide ``import tensorflow``."""
    dists = importlib.metadata.packages_distributions().get(IMPORT_NAME, [])
    return sorted({(canonicalize_name(d), importlib.metadata.version(d)) for d in dists})


def _requirement(line):
    """The Requirement on a requirements.txt line, or None for blanks, comments and pip options."""
    text = line.split("#", 1)[0].strip()
    if not text or text.startswith("-"):
        return None
    return Requirement(text)


def pin(requirement_lines, installed):
    """(requirements lines, constraint lines) that keep ``installed`` TensorFlow; ValueError if not possible.

    ``installed``: [(distribution, version)] as from :func:`installed_tensorflow`.
    """
    if len(installed) != 1:
        found = ", ".join(f"{d}=={v}" for d, v in installed) or "none"
        raise ValueError(f"expected exactly one installed TensorFlow distribution, found {found}")
    dist, version = installed[0]
    out, pinned = [], False
    for line in requirement_lines:
        req = _requirement(line)
        if req is None or canonicalize_name(req.name) != IMPORT_NAME:
            out.append(line)
            continue
        if not req.specifier.contains(version, prereleases=True):
            raise ValueError(f"the base image has {dist} {version}, but requirements.txt asks for "
                             f"{req}; use a base image tag that satisfies it")
        out.append(f"{dist}=={version}")
        pinned = True
    if not pinned:
        raise ValueError("requirements.txt has no tensorflow line")
    return out, [f"{dist}=={version}"]


def check(constraint_lines, installed, tf_version, expected=None):
    """ValueError unless TensorFlow is still what ``pin`` saw (and the ``expected`` version)."""
    before = sorted((canonicalize_name(r.name), str(r.specifier).lstrip("="))
                    for r in map(_requirement, constraint_lines) if r is not None)
    if installed != before:
        raise ValueError(f"pip changed TensorFlow: before {before}, now {installed}")
    if tf_version != before[0][1]:
        raise ValueError(f"tf.__version__ is {tf_version}, the installed distribution {before[0][1]}")
    if expected and tf_version != expected:
        raise ValueError(f"tf.__version__ is {tf_version}, but the image tag promises {expected}")


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    try:
        if len(argv) == 3 and argv[0] == "pin":
            reqs, constraints = pin(Path(argv[1]).read_text().splitlines(), installed_tensorflow())
            out = Path(argv[2])
            out.mkdir(parents=True, exist_ok=True)
            (out / "requirements.txt").write_text("\n".join(reqs) + "\n")
            (out / "constraints.txt").write_text("\n".join(constraints) + "\n")
            print(f"keeping the base image's {constraints[0]}")
        elif len(argv) in (2, 3) and argv[0] == "check":
            os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow's C++ start-up chatter
            import tensorflow as tf

            expected = argv[2] if len(argv) == 3 else None
            check(Path(argv[1]).read_text().splitlines(), installed_tensorflow(), tf.__version__, expected)
            print(f"TensorFlow {tf.__version__} unchanged")
        else:
            print(__doc__.split("\n\n")[1], file=sys.stderr)
            return 2
    except ValueError as e:
        print(f"keep_base_tf: error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
