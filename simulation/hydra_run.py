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


def scenario_override_problems(overrides: list[str]) -> list[str]:
    """Problems with the ``scenario`` values given on the command line (sweeps too).

    Overrides that do not parse are left to Hydra, which reports them itself.
    """
    parser = OverridesParser.create()
    parsed = []
    for arg in overrides:  # one by one: flags such as -m and their values are no overrides
        try:
            parsed += parser.parse_overrides([arg])
        except Exception:  # not an override, or a bad one that Hydra reports itself
            continue
    problems = []
    for override in parsed:
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
        final = Path(str(config.hydra.run.dir)).absolute()  # resolves ${now:...} once
        with read_write(config.hydra.run), open_dict(config.hydra.run):
            config.hydra.run.final = str(final)
            config.hydra.run.dir = str(final.parent)


def final_run_dir(hydra_cfg: DictConfig) -> Path:
    """The run folder of this job: ``hydra.run.final`` in a single run, the job folder in a sweep."""
    final = hydra_cfg.run.get("final") if hydra_cfg.get("run") else None
    if final and hydra_cfg.mode.name == "RUN":
        return Path(str(final))
    run_dir = Path(hydra_cfg.runtime.output_dir)
    if run_dir.is_dir() and not any(run_dir.iterdir()):
        run_dir.rmdir()  # made by the launcher; the run's rename makes it again, whole
    return run_dir
