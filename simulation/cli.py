"""The ``jhplan`` command: run, backtest, compare, report, check-data.

``run`` and ``backtest`` are Hydra apps (every config value can be overridden, ``-m`` sweeps);
the other commands take plain arguments. This is the only module that imports Hydra's app runner.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from forecast.validate import InputDataError, validate_city
from simulation.config import JhplanConfig, register_configs
from simulation.rundir import RunFolderExists, open_run_folder
from simulation.sweep import JobFailed

CONF_DIR = str(Path(__file__).resolve().parent.parent / "conf")
USAGE = """usage: jhplan COMMAND [ARGS]

commands:
  run [OVERRIDES] [-m]          main job (Hydra overrides, e.g. horizon=30 population/fertility=high)
  backtest [OVERRIDES]          ex-post evaluation: backtest.base_year=2014 backtest.horizon=5
  check-data DIR                validate a city data folder; list every problem, exit 1 if any
  compare RUN_DIR... [--out DIR] [--reference NAME]
                                compare runs or sweeps (DuckDB): differences with intervals, charts
  report RUN_DIR [--compare DIR...]
                                (re)build report.html and finance.xlsx of a run

`jhplan run --help` shows the configuration groups and every key."""

log = logging.getLogger("jhplan")
register_configs()


def _typed(cfg: DictConfig) -> JhplanConfig:
    return OmegaConf.to_object(cfg)  # type: ignore[return-value]


def _task(cfg: DictConfig, task: str) -> None:
    from simulation.pipeline import run_backtest, run_scenario  # heavy imports after arg parsing

    hc = HydraConfig.get()
    run_dir = Path(hc.runtime.output_dir)
    overrides = list(hc.overrides.task)
    try:
        typed = _typed(cfg)
        with open_run_folder(run_dir) as folder:
            if task == "run":
                summary = run_scenario(typed, folder, overrides)
                text = "\n".join(f"{stage}: {line}" for stage, line in summary.items())
            else:
                text = run_backtest(typed, folder, overrides)
        print(text)
        print(f"run folder: {run_dir}")
    except (InputDataError, RunFolderExists, ValueError) as err:
        print(f"jhplan {task}: {err}", file=sys.stderr)
        print("nothing was written.", file=sys.stderr)
        if hc.mode == RunMode.MULTIRUN:  # this job failed; the sweep goes on with the others
            raise JobFailed(f"jhplan {task}: {err}") from err
        sys.exit(1)
    except KeyboardInterrupt:
        print(f"jhplan {task}: interrupted; the partial run folder was removed.", file=sys.stderr)
        sys.exit(130)


@hydra.main(version_base="1.3", config_path=CONF_DIR, config_name="config")
def _run_app(cfg: DictConfig) -> None:
    _task(cfg, "run")


@hydra.main(version_base="1.3", config_path=CONF_DIR, config_name="config")
def _backtest_app(cfg: DictConfig) -> None:
    _task(cfg, "backtest")


def check_data(argv: list[str]) -> int:
    """``jhplan check-data DIR``: print every problem; 0 if clean, 1 otherwise."""
    parser = argparse.ArgumentParser(
        prog="jhplan check-data", description="Validate a city data folder."
    )
    parser.add_argument("directory", type=Path)
    args = parser.parse_args(argv)
    problems = validate_city(args.directory)
    if not problems:
        print(f"{args.directory}: no problems found")
        return 0
    print(f"{args.directory}: {len(problems)} problem(s)")
    for problem in problems:
        print(f"  {problem}")
    return 1


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0
    command, rest = argv[0], argv[1:]
    if command in ("run", "backtest"):
        if command == "backtest" and not any(a.startswith("hydra.run.dir=") for a in rest):
            # Name backtest folders after what they hold, not after the scenario.
            name = "${now:%Y%m%d-%H%M%S-%f}_backtest-${backtest.target}-${backtest.base_year}"
            rest = [f"hydra.run.dir=${{run_root}}/{name}", *rest]
        sys.argv = [f"jhplan {command}", *rest]
        (_run_app if command == "run" else _backtest_app)()
        return 0
    if command == "check-data":
        return check_data(rest)
    if command == "compare":
        from simulation.compare_output import compare_command  # DuckDB only when needed

        return compare_command(rest)
    if command == "report":
        from simulation.report import report_command

        return report_command(rest)
    print(f"jhplan: unknown command {command!r}\n\n{USAGE}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
