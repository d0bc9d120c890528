"""Declare what is imported and import what is declared (pyproject.toml against the code)."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNTIME_CODE = ("forecast", "simulation")
ALL_CODE = (*RUNTIME_CODE, "scripts", "validation", "benchmarks", "tests")

LOADED_BY_PLUGIN = {"hydra-joblib-launcher", "hydra-submitit-launcher"}
"""Hydra finds launchers as ``hydra_plugins`` namespace packages; nothing imports them by name."""

USED_AS_COMMAND = {"ruff", "pytest-xdist"}
"""Declared for CI's lint step and its two test workers (``.ci/run``: ``pytest -n 2``), not
imported."""


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> tuple[set[str], set[str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    def names(specs: list[str]) -> set[str]:
        return {_normalise(re.split(r"[<>=!~;\[ ]", spec, maxsplit=1)[0]) for spec in specs}

    return names(project["dependencies"]), names(project["optional-dependencies"]["test"])


def _imported_modules(folders: tuple[str, ...]) -> set[str]:
    local = {p.stem for folder in ALL_CODE for p in (ROOT / folder).rglob("*.py")}
    local |= set(ALL_CODE)
    modules = set()
    for folder in folders:
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                if isinstance(node, ast.Import):
                    modules |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules.add(node.module.split(".")[0])
    return {m for m in modules if m not in sys.stdlib_module_names and m not in local}


def _distributions(modules: set[str]) -> dict[str, set[str]]:
    by_module = importlib.metadata.packages_distributions()
    return {m: {_normalise(d) for d in by_module.get(m, [])} for m in modules}


def test_every_runtime_import_is_a_declared_dependency():
    runtime, _ = _declared()
    undeclared = {
        module: dists
        for module, dists in _distributions(_imported_modules(RUNTIME_CODE)).items()
        if not dists & runtime
    }
    assert not undeclared, (
        f"imported by forecast/ or simulation/ but not in dependencies: {undeclared}"
    )


def test_every_import_of_scripts_and_tests_is_declared():
    runtime, test = _declared()
    undeclared = {
        module: dists
        for module, dists in _distributions(_imported_modules(ALL_CODE)).items()
        if not dists & (runtime | test)
    }
    assert not undeclared, f"imported but not declared in pyproject.toml: {undeclared}"


def test_every_declared_dependency_is_used():
    runtime, test = _declared()
    used = set().union(*_distributions(_imported_modules(ALL_CODE)).values())
    unused = (runtime | test) - used - LOADED_BY_PLUGIN - USED_AS_COMMAND
    assert not unused, f"declared in pyproject.toml but never imported: {sorted(unused)}"
