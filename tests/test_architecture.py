"""The package's architecture: a few entries at the top, one subpackage per concept, imports that
only go down (docs/architecture.md draws the layers).

    core                           imports nothing else of tf1_course
    data                           core
    signs                          core, data
    labs                           core, data (the batch-norm lab trains the SIGNS model: see LAB_USES_SIGNS)
    tuning, serving                core, data, signs
    reproduce                      core, data, signs, labs, tuning

and no library module imports a command module (the modules ``cli.COMMANDS`` names).
"""

from pathlib import Path

import pytest

import tf1_course
from conftest import imported_modules
from tf1_course.cli import COMMANDS

PACKAGE = Path(tf1_course.__file__).resolve().parent
ALLOWED = {
    "core": {"core"},
    "data": {"core", "data"},
    "signs": {"core", "data", "signs"},
    "labs": {"core", "data", "labs"},
    "tuning": {"core", "data", "signs", "tuning"},
    "serving": {"core", "data", "signs", "serving"},
    "reproduce": {"core", "data", "signs", "labs", "tuning", "reproduce"},
}
# The batch-norm lab measures batch norm on the SIGNS model itself (the TF engine is the package's
# own model and training, not a copy): the only lab modules that may use the SIGNS model.
LAB_USES_SIGNS = {"tf1_course.labs.lab_batchnorm", "tf1_course.labs.tf_engine.signs"}
COMMAND_MODULES = {entry.partition(":")[0] for entry, _ in COMMANDS.values()}  # "module" or "module:function"


def package_modules():
    """{dotted name: source} of every module in the package."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path.read_text()
    return out


def concept(module):
    """'tf1_course.signs.model' -> 'signs'; top-level modules (cli, __main__) -> None."""
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in ALLOWED) else None


def violations(modules):
    """[(module, imported, why)] for every import that goes the wrong way."""
    found = []
    for name, source in modules.items():
        own = concept(name)
        for imported in imported_modules(source, name):
            if not imported.startswith("tf1_course.") or imported == "tf1_course.__version__":
                continue
            target = concept(imported)
            if own is not None and target is not None and target not in ALLOWED[own]:
                if not (name in LAB_USES_SIGNS and target == "signs"):
                    found.append((name, imported, f"{own} may not import {target}"))
            if imported in COMMAND_MODULES and name not in COMMAND_MODULES and name != "tf1_course.cli":
                found.append((name, imported, "library code imports a command module"))
    return found


def test_at_most_ten_entries_at_the_top():
    entries = sorted(p.name for p in PACKAGE.iterdir() if p.name != "__pycache__")
    assert len(entries) <= 10, entries
    assert {"__init__.py", "__main__.py", "cli.py"} <= set(entries)


def test_every_subpackage_says_what_it_holds_and_may_import():
    for folder in (p for p in PACKAGE.iterdir() if p.is_dir() and p.name in ALLOWED):
        text = (folder / "__init__.py").read_text()
        assert text.startswith('"""') and len(text.splitlines()) >= 4, folder.name
        assert "import" in text, f"{folder.name}/__init__.py does not say what it may import"


def test_every_concept_is_a_subpackage():
    assert {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"} <= set(ALLOWED)


def test_imports_only_go_down():
    assert violations(package_modules()) == []


def test_every_command_lives_in_its_concepts_package():
    for module in COMMAND_MODULES:
        assert concept(module) in ALLOWED, module


@pytest.mark.parametrize("module, source", [
    ("tf1_course.core.fileio", "from tf1_course.data import paths"),
    ("tf1_course.data.h5", "from tf1_course.signs.rundir import RunDir"),
    ("tf1_course.signs.model", "from tf1_course.labs import course"),
    ("tf1_course.labs.lab_init", "from tf1_course.signs import training"),
    ("tf1_course.signs.inference", "import tf1_course.tuning.study"),
    ("tf1_course.tuning.study", "from tf1_course.signs import evaluate"),
    ("tf1_course.serving.app", "from tf1_course.signs.predict import format_prediction"),
])
def test_the_check_catches_a_wrong_import(module, source):
    assert violations({module: source}) != []
