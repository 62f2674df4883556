"""Fixtures: small data the tests make themselves, and the real data bundled with the package."""

import ast
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[1]


def bundled_path(relative):
    """A file or folder of the data bundled with the package, e.g. "signs" or "football/data.mat"."""
    from tf1_course.data import bundle

    return bundle.path(relative)


def sign_image(label, k, size=64):
    """A deterministic 'photo' of class ``label``: a bright square whose position depends on the label."""
    rng = np.random.RandomState(100 * label + k)
    a = rng.randint(0, 60, size=(size, size, 3)).astype(np.uint8)
    s = size // 4
    r, c = divmod(label, 3)
    a[r * s + 8:r * s + 8 + s, c * s + 8:c * s + 8 + s] = 230
    return a


def make_signs_tree(root, per_class=(3, 1, 2), name_fmt="{label}_IMG_{k}.jpg"):
    """A tiny SIGNS tree: train_signs/, val_signs/, test_signs/ with ``per_class`` images each."""
    for folder, n in zip(("train_signs", "val_signs", "test_signs"), per_class):
        d = Path(root) / folder
        d.mkdir(parents=True)
        for label in range(6):
            for k in range(n):
                uid = f"{folder[:2]}{k}"
                Image.fromarray(sign_image(label, k + 10 * len(folder))).save(
                    d / name_fmt.format(label=label, k=uid), quality=95)
    return Path(root)


def make_h5_pair(data_dir, m_train=24, m_test=12, seed=0):
    """datasets-like folder with tiny train/test h5 files in the course's schema."""
    from tf1_course.data import h5

    rng = np.random.RandomState(seed)
    for split, m in (("train", m_train), ("test", m_test)):
        y = np.arange(m) % 6
        rng.shuffle(y)
        x = np.stack([sign_image(int(label), i) for i, label in enumerate(y)])
        h5.write_split(Path(data_dir) / f"{split}_signs.h5", split, x, y)
    return Path(data_dir)


@pytest.fixture
def signs_tree(tmp_path):
    return make_signs_tree(tmp_path / "signs")


@pytest.fixture
def tiny_data(tmp_path):
    return make_h5_pair(tmp_path / "data")


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory):
    """A run directory trained for a few epochs on tiny data (shared by predict/evaluate tests)."""
    from tf1_course.signs import train

    root = tmp_path_factory.mktemp("trained")
    data = make_h5_pair(root / "data", m_train=48, m_test=12)
    run_dir = root / "run"
    code = train.main(["--run-dir", str(run_dir), "--data-dir", str(data), "--epochs", "8",
                       "--learning-rate", "0.003", "--print-every", "4", "--device", "cpu"])
    assert code == 0
    return run_dir


def pytest_terminal_summary(terminalreporter, config):
    """The test order's seed, so a failure that depends on the order can be replayed."""
    seed = config.getoption("randomly_seed", default=None)
    if config.pluginmanager.has_plugin("randomly") and isinstance(seed, int):
        terminalreporter.write_line(f"test order: random, seed {seed} (replay: make test SEED={seed})")


def make_tuning_data(data_dir, m_train=36, m_dev=12, m_test=12, seed=0):
    """A data folder with the tuning split (train_minus_dev, dev) and a test set, tiny."""
    from tf1_course.data import h5

    rng = np.random.RandomState(seed)
    for name, split, m in (("train_minus_dev_signs.h5", "train", m_train), ("dev_signs.h5", "dev", m_dev),
                           ("test_signs.h5", "test", m_test)):
        y = np.arange(m) % 6
        rng.shuffle(y)
        x = np.stack([sign_image(int(label), i + 1000 * len(split)) for i, label in enumerate(y)])
        h5.write_split(Path(data_dir) / name, split, x, y)
    return Path(data_dir)


def imported_modules(source, module):
    """Every module ``source`` (the text of ``module``, a dotted name) imports, as dotted names.

    ``from a.b import c`` counts as a.b and a.b.c (c may be a module); relative imports are
    resolved against ``module``.
    """
    names = []
    package = module.split(".")[:-1]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package[:len(package) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            names += [base] + [f"{base}.{alias.name}" for alias in node.names]
    return names


@pytest.fixture(scope="session")
def live_server(trained_run):
    """``tf1-course serve --run-dir`` the trained run, in a subprocess, for the API and browser tests
    (an upload limit of 1 MB, so the 413 test sends little). Stopped with SIGTERM: exit 143."""
    from servers import Server

    server = Server(["--run-dir", str(trained_run), "--max-mb", "1", "--device", "cpu"])
    yield server
    code = server.stop()
    assert code == 143, f"serve exited {code} on SIGTERM, not 143:\n{server.output()}"
