"""The SIGNS data: the files shipped with the package, the course's h5 schema, building it from the
JPEGs, fetching it, preparing it, and any photo made into the 64x64 the model sees.

- :mod:`.bundle`   the data bundled in the package (bundled/: the photos, test_signs.h5, data.mat), sha256-pinned
- :mod:`.paths`    where the data is, the SIGNS tree layout, where a course file is found
- :mod:`.h5`       read, validate and write the course's h5 schema; load the data set or the dev split
- :mod:`.build`    ``tf1-course data build``: JPEG tree -> datasets/{train,test}_signs.h5 + a dev split
- :mod:`.fetch`    ``tf1-course data fetch``: download the course's files, size- and sha256-verified
- :mod:`.manifest` ``manifest.json``: sha256, origin and provenance of every file
- :mod:`.prepare`  the course's utilities: flatten + scale, one-hot (NumPy; the TF one-hot is in basics)
- :mod:`.images`   a photo (a file or bytes) -> uint8 64x64x3: EXIF, any Pillow mode to RGB, square, resize
- :mod:`.cli`      the command ``tf1-course data build|fetch|info``

May import :mod:`tf1_course.core` only.

``provenance(data_dir)`` says, for reports, whether each file is the course's own, rebuilt from
the JPEGs, or unverified (see :func:`.manifest.provenance`).
"""

from tf1_course.data.manifest import provenance  # noqa: F401  (light: no NumPy, no h5py)
