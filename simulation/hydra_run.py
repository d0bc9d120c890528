"""Hydra's side of a run folder: scenario names checked before any folder is made, and no empty
run folder made by Hydra.

Hydra creates a job's output folder (``hydra.run.dir``) before the job starts. For jhplan that
folder is the final run folder, which must appear only whole, by the rename at the end of the run
(``simulation.rundir``). ``RunDirectory`` (registered by ``simulation.cli`` for ``run`` and
``backtest``) therefore resolves ``hydra.run.dir`` once, when the run starts, keeps the result in
``hydra.run.final`` and points ``hydra.run.dir`` at its parent, which the run needs anyway.
Jobs of a sweep (``-m``) get their folder from the launcher, possibly in another process; the job
removes it at once while it is still empty.

The scenario name becomes part of paths (the run folder's name, the results partition
``scenario=<name>``), so it is checked first: on the command line before Hydra starts, and in the
composed configuration before Hydra makes a folder.

A run without ``scenario=`` is named after what it changes (``derived_scenario``): ``jhplan run
kita=saturation hze=rising`` is ``kita-saturation_hze-rising``, not ``baseline``; with
``experiment=X`` the bundle's name comes first (``sozialraum_kita-saturation``). What changes a
scenario: the choice of a scenario group (population variants, kita, hze, service_model), a
parameter value (``<group>....value=``) and ``city.housing_plan``; seeds, draws, horizon, model
and output settings do not rename a run.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, open_dict, read_write

SCENARIO_NAME = re.compile(r"[^\W_](?:[\w.-]*[\w-])?")
MAX_SCENARIO_LENGTH = 100
CALLBACK = "+hydra.callbacks.jhplan_run_directory._target_=simulation.hydra_run.RunDirectory"
"""The override ``simulation.cli`` adds to register ``RunDirectory``."""


def scenario_problem(name: object) -> str | None:
    """Why ``name`` cannot be a scenario name, or None when it can.

    Allowed: letters (umlauts and other accented letters too), digits, ``-``, ``_`` and ``.``,
    starting with a letter or digit and not ending with ``.``; no ``..``, at most 100 characters.
    """
    text = str(name)
    if (
        SCENARIO_NAME.fullmatch(text)
        and ".." not in text
        and len(text) <= MAX_SCENARIO_LENGTH
        and text.isprintable()
    ):
        return None
    return (
        f"scenario name {text!r} is not allowed: it names folders, so use letters, digits, "
        f"'-', '_' and '.' (not first or last, no '..'), at most {MAX_SCENARIO_LENGTH} characters"
    )


SCENARIO_GROUPS = (
    "population/fertility",
    "population/mortality",
    "population/migration",
    "population/housing",
    "population/assumptions",
    "kita",
    "hze",
    "service_model",
)
"""Config groups whose choice makes another scenario (the name part is ``<last part>-<option>``)."""
PARAMETER_ROOTS = ("population.", "kita.", "hze.", "abm.")
"""Where a changed parameter value (``<key>.value=``) makes another scenario."""
SCENARIO_KEYS = ("city.housing_plan",)


def _slug(text: str) -> str:
    """``text`` with every character a scenario name may not hold replaced by '-'."""
    text = re.sub(r"[^\w.-]+", "-", text).replace("..", ".")
    return re.sub(r"-{2,}", "-", text).strip("-._")


def _parse(overrides: list[str]) -> list:
    parser = OverridesParser.create()
    parsed = []
    for arg in overrides:  # one by one: flags such as -m and their values are no overrides
        try:
            parsed += parser.parse_overrides([arg])
        except Exception:  # not an override, or a bad one that Hydra reports itself
            continue
    return parsed


def derived_scenario(overrides: list[str], bundle: str) -> str | None:
    """The scenario name of a run from its overrides (module docstring), or None to keep
    ``bundle`` (the configured name): when ``scenario=`` is given, or nothing that makes another
    scenario is changed.

    Args:
        overrides: the run's (job's) overrides, concrete values (no sweeps).
        bundle: the scenario name of the composed configuration (``baseline`` or the
            experiment's).
    """
    parts, experiment = [], False
    for o in _parse(overrides):
        key = o.key_or_group
        if key == "scenario" or o.is_sweep_override() or o.is_delete():
            if key == "scenario":
                return None
            continue
        value = str(o.value())
        if key == "experiment":
            experiment = True
        elif key in SCENARIO_GROUPS:
            parts.append(f"{key.rsplit('/', 1)[-1]}-{value}")
        elif key.endswith(".value") and key.startswith(PARAMETER_ROOTS):
            parts.append(f"{key.removesuffix('.value').split('.', 1)[1]}-{value}")
        elif key in SCENARIO_KEYS:
            parts.append(f"{key.rsplit('.', 1)[-1]}-{Path(value).stem}")
    if not parts:
        return None
    name = _slug("_".join([bundle] * experiment + parts))[:MAX_SCENARIO_LENGTH].strip("-._")
    return name if name and scenario_problem(name) is None else None


def scenario_override_problems(overrides: list[str]) -> list[str]:
    """Problems with the ``scenario`` values given on the command line (sweeps too).

    Overrides that do not parse are left to Hydra, which reports them itself.
    """
    problems = []
    for override in _parse(overrides):
        if override.key_or_group != "scenario" or override.is_delete():
            continue
        values = (
            list(override.sweep_iterator()) if override.is_sweep_override() else [override.value()]
        )
        problems += [p for p in map(scenario_problem, values) if p]
    return problems


def refuse(command: str, problem: str) -> None:
    """Print a one-line refusal and exit 1 (nothing was written)."""
    print(f"{command}: {problem}", file=sys.stderr)
    print("nothing was written.", file=sys.stderr)
    sys.exit(1)


class RunDirectory(Callback):
    """Check the scenario name and keep Hydra from creating the run folder (module docstring)."""

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        problem = scenario_problem(config.get("scenario"))
        if problem:
            refuse("jhplan", problem)
        overrides = list(config.hydra.overrides.task)
        name = derived_scenario(overrides, str(config.get("scenario")))
        if name:  # before the run folder's name is resolved from it
            with read_write(config), open_dict(config):
                config.scenario = name
        final = Path(str(config.hydra.run.dir)).absolute()  # resolves ${now:...} once
        with read_write(config.hydra.run), open_dict(config.hydra.run):
            config.hydra.run.final = str(final)
            config.hydra.run.dir = str(final.parent)


def final_run_dir(hydra_cfg: DictConfig, scenario: str | None = None) -> Path:
    """The run folder of this job: ``hydra.run.final`` in a single run, the job folder in a sweep
    (``<job number>_<scenario>`` when the job's scenario name is derived from its overrides)."""
    final = hydra_cfg.run.get("final") if hydra_cfg.get("run") else None
    if final and hydra_cfg.mode.name == "RUN":
        return Path(str(final))
    launched = Path(hydra_cfg.runtime.output_dir)
    if launched.is_dir() and not any(launched.iterdir()):
        launched.rmdir()  # made by the launcher; the run's rename makes it again, whole
    return job_run_dir(hydra_cfg, scenario)


def job_run_dir(hydra_cfg: DictConfig, scenario: str | None) -> Path:
    """A sweep job's run folder: the launcher's, renamed after a derived scenario name."""
    launched = Path(hydra_cfg.runtime.output_dir)
    name = derived_scenario(list(hydra_cfg.overrides.task), scenario or "")
    return launched.with_name(f"{hydra_cfg.job.num}_{name}") if name and scenario else launched
