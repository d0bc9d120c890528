"""Default parameters: read from the YAML files of ``forecast/parameters/`` (one place per fact).

Every default of the library and of the run configuration lives once, in YAML that domain staff
can read and audit (OpenFisca style): a parameter is a mapping with ``value``, ``unit``,
``source`` (a DOMAIN.md tag ``[Sxx]``, ``D:`` for a derivation, or ``estimate``) and ``range``
(plausible low and high for sensitivity analysis, or null), plus optional keys of its own
(``bounds``, ``neutral``, ``label``, ``shape``, ``per_case``). The Hilfearten, with all their
attributes, are in ``forecast/hze/hilfearten.yaml`` (read by ``forecast.hze.catalogue``).

Python dataclasses take their defaults from here, e.g.
``damping: float = field(default_factory=lambda: default_value("hze.damping"))``. The loader is
plain pyyaml: the library (``forecast``) imports neither Hydra nor omegaconf.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import yaml

PARAMETERS_DIR = Path(__file__).resolve().parent / "parameters"
"""One YAML file per group: ``hze``, ``service_model``, ``kita``, ``population``."""

HILFEARTEN_FILE = Path(__file__).resolve().parent / "hze" / "hilfearten.yaml"
"""The Hilfeart catalogue: every attribute of every Hilfeart, with sources."""


@cache
def _read(path: Path) -> dict:
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f) or {}


def read_yaml(path: Path | str) -> dict:
    """A YAML file as plain Python objects (a fresh copy: callers may change it)."""
    return copy.deepcopy(_read(Path(path).resolve()))


def default_param(key: str) -> dict[str, Any]:
    """One documented parameter by dotted key, ``<group>.<name>[.<name>...]``.

    Args:
        key: e.g. ``hze.damping`` (file ``hze.yaml``, key ``damping``) or
            ``service_model.sro.ramp_years``.

    Returns:
        A copy of its mapping (``value``, ``unit``, ``source``, ``range`` and any own keys).

    Raises:
        KeyError: no such parameter.
    """
    group, *names = key.split(".")
    node: Any = _read(PARAMETERS_DIR / f"{group}.yaml")
    for name in names:
        if not isinstance(node, dict) or name not in node:
            raise KeyError(f"no default parameter {key!r} in {PARAMETERS_DIR / group}.yaml")
        node = node[name]
    if not is_parameter(node):
        raise KeyError(f"{key!r} is not a parameter (value, unit, source, range)")
    return copy.deepcopy(node)


def default_value(key: str) -> Any:
    """The default value of one parameter (see ``default_param``)."""
    return default_param(key)["value"]


def group_parameters(group: str) -> dict[str, dict[str, Any]]:
    """Every parameter of one group file, by dotted name within the group."""
    return dict(iter_parameters(read_yaml(PARAMETERS_DIR / f"{group}.yaml")))


def is_parameter(node: Any) -> bool:
    """A mapping with ``value``, ``unit`` and ``source`` is a documented parameter."""
    return isinstance(node, dict) and {"value", "unit", "source"} <= set(node)


def iter_parameters(tree: Any, prefix: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """(dotted name, parameter) of every parameter in a nested mapping, depth first."""
    if is_parameter(tree):
        yield prefix, tree
        return
    if isinstance(tree, dict):
        for name, node in tree.items():
            yield from iter_parameters(node, f"{prefix}.{name}" if prefix else str(name))
