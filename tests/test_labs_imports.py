"""The labs' import structure: the engines mirror each other without importing each other."""

from pathlib import Path

import pytest

import tf1_course
from conftest import imported_modules

PACKAGE = Path(tf1_course.__file__).resolve().parent
ENGINES = ("np_engine", "tf_engine")


def engine_modules(engine):
    folder = PACKAGE / "labs" / engine
    return {f"tf1_course.labs.{engine}.{p.stem}": p.read_text() for p in sorted(folder.glob("*.py"))}


def crossings(engine, modules):
    """[(module, imported)] where a module of ``engine`` imports the other engine."""
    other = f"tf1_course.labs.{ENGINES[1 - ENGINES.index(engine)]}"
    return [(name, imported) for name, source in modules.items()
            for imported in imported_modules(source, name)
            if imported == other or imported.startswith(other + ".")]


@pytest.mark.parametrize("engine", ENGINES)
def test_no_engine_imports_the_other(engine):
    modules = engine_modules(engine)
    assert len(modules) >= 8  # the mirror: __init__, gradcheck, init, network, ..., train
    assert crossings(engine, modules) == []


@pytest.mark.parametrize("source", [
    "from tf1_course.labs.np_engine.regularization import dropout_masks",
    "from tf1_course.labs.np_engine import network",
    "from tf1_course.labs import np_engine",
    "import tf1_course.labs.np_engine.schedules as s",
    "from ..np_engine import init",
    "def f():\n    from tf1_course.labs.np_engine import train\n",
])
def test_the_check_catches_a_crossing(source):
    modules = {"tf1_course.labs.tf_engine.train": source}
    assert crossings("tf_engine", modules) != []


def test_the_engines_have_the_same_module_names():
    assert set(engine_modules("np_engine")) == {m.replace("tf_engine", "np_engine")
                                               for m in engine_modules("tf_engine")}



def test_the_package_level_batch_norm_imports_no_lab():
    """tf1_course/core/batch_norm.py is for the SIGNS model too: it must not pull in a labs engine."""
    path = PACKAGE / "core" / "batch_norm.py"
    imported = imported_modules(path.read_text(), "tf1_course.core.batch_norm")
    assert "tf1_course.core.compat" in imported
    assert [m for m in imported if m.startswith("tf1_course.labs")] == []
