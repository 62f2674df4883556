"""The labs' 2-D data sets, as the course loads them: X float64 [2, m], Y float64 [1, m] (0 or 1).

The course seeds NumPy's global generator and lets scikit-learn draw from it; passing
``np.random.RandomState(seed)`` as ``random_state`` draws the same numbers without touching the
global state.
"""

from collections import namedtuple
from pathlib import Path

import numpy as np

from tf1_course.data import paths
from tf1_course.core.errors import DataError

Data2D = namedtuple("Data2D", ["X_train", "Y_train", "X_test", "Y_test"])  # test may be None

FOOTBALL_ENV = "TF1_COURSE_FOOTBALL"  # a path to the course's data.mat, if it is somewhere else


def football_candidates():
    """Where data.mat is looked for: $TF1_COURSE_FOOTBALL, the data directory, the bundled copy."""
    return paths.course_file_candidates(paths.FOOTBALL_FILE, env=FOOTBALL_ENV)


def find_football():
    """The first candidate that exists, or None."""
    return paths.find_course_file(paths.FOOTBALL_FILE, env=FOOTBALL_ENV)


def _columns(X, y):
    """sklearn's X [m, 2], y [m] -> X [2, m], Y [1, m], both float64."""
    return np.asarray(X, dtype=np.float64).T, np.asarray(y, dtype=np.float64).reshape(1, -1)


def load_circles():
    """Initialization lab: train make_circles(300, noise .05) with seed 1, test (100) with seed 2."""
    from sklearn.datasets import make_circles

    X, y = make_circles(n_samples=300, noise=.05, random_state=np.random.RandomState(1))
    Xt, yt = make_circles(n_samples=100, noise=.05, random_state=np.random.RandomState(2))
    return Data2D(*_columns(X, y), *_columns(Xt, yt))


def load_moons():
    """Optimization lab: make_moons(300, noise .2) with seed 3; train only, as in the course."""
    from sklearn.datasets import make_moons

    X, y = make_moons(n_samples=300, noise=.2, random_state=np.random.RandomState(3))
    return Data2D(*_columns(X, y), None, None)


def load_football(path=None):
    """Regularization lab: the French football data (train X [211, 2], y; test Xval [200, 2], yval)."""
    import scipy.io

    path = Path(path) if path else find_football()
    if path is None or not path.is_file():
        looked = path or ", ".join(str(p) for p in football_candidates())
        raise DataError(f"the football data set (the course's data.mat) is missing: looked in {looked}; "
                        f"set {FOOTBALL_ENV} to its path")
    try:
        data = scipy.io.loadmat(str(path))
        return Data2D(*_columns(data["X"], data["y"]), *_columns(data["Xval"], data["yval"]))
    except (KeyError, ValueError, OSError) as e:
        raise DataError(f"{path}: not the course's football data.mat ({e})") from None
