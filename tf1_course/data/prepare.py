"""The course's data utilities, with the course's semantics.

Examples are columns: X is [n_x, m] with n_x = 64 * 64 * 3 = 12288, Y one-hot is [6, m].
"""

import numpy as np


def flatten_and_scale(x, dtype=np.float64, chunk=256):
    """uint8 [m, 64, 64, 3] -> dtype [12288, m] in [0, 1].

    float64 (the default) is the course's ``X.reshape(X.shape[0], -1).T / 255.``. float32 gives
    each of those float64 values rounded to float32, bit for bit what TensorFlow makes of the
    float64 matrix when it is fed to a float32 placeholder, but built ``chunk`` examples at a time
    into a 64-byte-aligned array: no float64 copy of the whole set is made, and TensorFlow feeds
    an aligned C-ordered array without copying it (53 MB less each, for the SIGNS training set).
    """
    m = x.shape[0]
    flat = x.reshape(m, -1)
    if np.dtype(dtype) == np.float64:
        return flat.T / 255.0
    out = aligned_empty((flat.shape[1], m), dtype)
    for a in range(0, m, chunk):
        out[:, a:a + chunk] = flat[a:a + chunk].T / 255.0  # float64, then rounded to dtype
    return out


def aligned_empty(shape, dtype, align=64):
    """An uninitialized C-ordered array whose data starts on an ``align``-byte boundary."""
    dtype = np.dtype(dtype)
    size = int(np.prod(shape))
    buffer = np.empty(size + align // dtype.itemsize, dtype=dtype)
    offset = (-buffer.ctypes.data % align) // dtype.itemsize
    return buffer[offset:offset + size].reshape(shape)


def convert_to_one_hot(y, C):
    """int labels (any shape, m values) -> float64 [C, m], the course's ``np.eye(C)[Y.reshape(-1)].T``."""
    return np.eye(C)[np.asarray(y).reshape(-1)].T


def prepare(split, dtype=np.float64):
    """A Split -> (X [12288, m] of ``dtype``, Y one-hot float64 [C, m]), ready for the course's model."""
    return flatten_and_scale(split.x, dtype), convert_to_one_hot(split.y, len(split.classes))
