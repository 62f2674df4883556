"""The SIGNS data: the course's h5 schema, building it from the JPEGs, fetching it, preparing it.

- :mod:`.paths`   where the data is (and where a source tree is searched for)
- :mod:`.h5`      read, validate and write the course's h5 schema
- :mod:`.build`   ``tf1-course data build``: JPEG tree -> datasets/{train,test}_signs.h5
- :mod:`.fetch`   ``tf1-course data fetch``: download the course's h5 files, sha256-verified
- :mod:`.prepare` the course's utilities: flatten + scale, one-hot (NumPy; the TF one-hot is in basics)
"""
