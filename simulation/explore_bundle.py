"""Experiment bundles saved by ``jhplan explore``: the run's settings plus the changed assumptions.

A bundle is a Hydra experiment file (``# @package _global_``) in ``<folder>/experiment/<name>.yaml``.
It repeats what made the explored run (its command-line overrides: config-group choices become
``override /group: choice`` entries of the defaults list, an ``experiment=`` its base bundle, every
other key its value; the city folder as an absolute path; ``run_root`` and Hydra's own keys left
out) and adds the assumptions changed in the explorer. With the same seed and draws the run
reproduces the explorer's figures exactly:

    jhplan run 'hydra.searchpath=[file:///abs/folder]' experiment=<name>

A bundle saved into the project's ``conf/experiment`` runs with ``experiment=<name>`` alone.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import yaml
from hydra.core.override_parser.overrides_parser import OverridesParser

from simulation.config import CONF_DIR

SKIPPED = ("run_root", "scenario", "scenario_description")
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def bundle(manifest: dict, changed: dict, name: str, description: str = "") -> str:
    """The text of the bundle ``name`` for the run of ``manifest`` with ``changed`` values.

    Args:
        manifest: the explored run's manifest (its ``overrides`` and ``city.data_dir``).
        changed: nested configuration values changed in the explorer.
        name: the bundle's (and scenario's) name: letters, digits, ``_ . -``.
        description: German one-line description for the report.
    """
    if not NAME.fullmatch(name):
        raise ValueError(f"bundle name {name!r}: expected letters, digits, '_', '.' or '-'")
    defaults: list = []
    values: dict = {}
    parser = OverridesParser.create()
    for text in manifest.get("overrides", []):
        (o,) = parser.parse_overrides([text])
        key = o.key_or_group
        if key in SKIPPED or key.startswith("hydra") or o.is_delete():
            continue
        value = o.value()
        if key == "experiment":
            defaults.insert(0, str(value))
        elif (Path(CONF_DIR) / key).is_dir():  # a config group: choose the same variant
            defaults.append({f"override /{key}": value})
        else:
            _set(values, key.split("."), value)
    data_dir = manifest.get("city", {}).get("data_dir")
    if data_dir:
        _set(values, ["city", "data_dir"], str(data_dir))
    body = {"defaults": [*defaults, "_self_"], "scenario": name}
    body["scenario_description"] = description or (
        f"Annahmen aus der interaktiven Ansicht, auf Grundlage des Laufs "
        f"{manifest.get('run_id', '')} ({manifest.get('scenario', '')})"
    )
    body |= _merge(values, changed)
    head = (
        "# @package _global_\n"
        f"# Saved by jhplan explore on {date.today().isoformat()} from run "
        f"{manifest.get('run_id', '')}: the run's overrides and the assumptions changed there.\n"
    )
    return head + yaml.safe_dump(body, sort_keys=False, allow_unicode=True)


def save_bundle(text: str, name: str, folder: str | Path) -> Path:
    """Write a bundle to ``<folder>/experiment/<name>.yaml`` (a Hydra search-path folder);
    ``folder`` may also be a ``conf/experiment`` folder itself."""
    folder = Path(folder).resolve()
    target = folder if folder.name == "experiment" else folder / "experiment"
    target.mkdir(parents=True, exist_ok=True)
    file = target / f"{name}.yaml"
    file.write_text(text, encoding="utf-8")
    return file


def run_arguments(file: Path) -> list[str]:
    """The ``jhplan run`` arguments that run the bundle in ``file``."""
    name = file.stem
    if file.parent.resolve() == (Path(CONF_DIR) / "experiment").resolve():
        return [f"experiment={name}"]
    return [f"hydra.searchpath=[file://{file.parent.parent.resolve()}]", f"experiment={name}"]


def _set(tree: dict, keys: list[str], value: object) -> None:
    for key in keys[:-1]:
        tree = tree.setdefault(key, {})
    tree[keys[-1]] = value


def _merge(a: dict, b: dict) -> dict:
    out = dict(a)
    for key, value in b.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and key != "value":
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out
