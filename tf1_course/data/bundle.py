"""The data that ships inside the package: found with ``importlib.resources``, checked by sha256.

    tf1_course/data/bundled/
      SHA256SUMS                         every file below, in ``sha256sum`` format (sha256sum -c works)
      signs/64x64_SIGNS/{train_signs,val_signs,test_signs}/*.jpg   the 1,200 SIGNS photos at 64x64
      signs/test_signs.h5                the course's own test file (its published sha256)
      football/data.mat                  the regularization lab's 2-D data (its published sha256)
      images/thumbs_up.jpg               a real 3024x3024 phone photo, for predict

A checkout, a wheel and the Docker image carry the same files (datasets/README.md says where each
comes from). ``tf1-course data build`` builds the h5 files from them by default; ``tf1-course
doctor`` verifies them.
"""

from importlib import resources
from pathlib import Path

from tf1_course.core.errors import DataError
from tf1_course.core.fileio import sha256

FOLDER = "bundled"
SUMS_FILE = "SHA256SUMS"
SIGNS = "signs"                      # a SIGNS source tree (64x64_SIGNS/ + test_signs.h5)
COURSE_FILES = {"test_signs.h5": "signs/test_signs.h5", "data.mat": "football/data.mat"}
PHOTO = "images/thumbs_up.jpg"


def root():
    """The bundled folder (a real folder: the package is installed from a wheel or a checkout)."""
    folder = Path(str(resources.files("tf1_course.data") / FOLDER))
    if not (folder / SUMS_FILE).is_file():
        raise DataError(f"{folder}: the bundled data is missing from this installation "
                        f"(reinstall tf1-course, or pass the data's folder explicitly)")
    return folder


def path(relative):
    """A bundled file or folder, e.g. path("signs") or path(PHOTO)."""
    return root() / relative


def photo():
    """The bundled phone photo (the course's "test with your own image" example)."""
    return path(PHOTO)


def sums(folder=None):
    """{relative path: sha256} as SHA256SUMS lists them."""
    folder = Path(folder) if folder else root()
    out = {}
    for line in (folder / SUMS_FILE).read_text(encoding="utf-8").splitlines():
        digest, sep, name = line.partition("  ")
        if sep and len(digest) == 64:
            out[name] = digest
    return out


def verify(folder=None):
    """Problems with the bundled files: [(relative path, 'missing' | 'changed' | 'not listed')].

    An empty list means every file is present with its pinned sha256 and nothing else is there.
    """
    folder = Path(folder) if folder else root()
    pinned = sums(folder)
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {SUMS_FILE}
    problems = [(name, "missing") for name in sorted(set(pinned) - present)]
    problems += [(name, "changed") for name in sorted(set(pinned) & present) if sha256(folder / name) != pinned[name]]
    problems += [(name, "not listed") for name in sorted(present - set(pinned))]
    return problems
