"""The ``jhplan`` command: run, backtest, compare, report, check-data.

``run`` and ``backtest`` are Hydra apps (every config value can be overridden, ``-m`` sweeps);
the other commands take plain arguments. The Hydra apps live in ``simulation.cli_hydra``, imported
only for ``run`` and ``backtest``.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from forecast.citydata import load_city
from forecast.problems import WARNING
from forecast.validate import InputDataError
from simulation.hydra_run import CALLBACK, refuse, scenario_override_problems

USAGE = """usage: jhplan COMMAND [ARGS]

commands:
  run [OVERRIDES] [-m]          main job (Hydra overrides, e.g. horizon=30 population/fertility=high)
  backtest [OVERRIDES]          ex-post evaluation: backtest.base_year=2014 backtest.horizon=5
  check-data DIR                validate a city data folder and what a run needs; list every
                                problem (exit 1 if any) and warning
  merge PART_RUN... [--name NAME] [--report]
                                join the part runs of one scenario (draws_part=K/N) into one run
                                folder with the results of a single job
  compare RUN_DIR... [--out DIR] [--reference NAME]
                                compare runs or sweeps (DuckDB): differences with intervals, charts
  report RUN_DIR [--compare DIR...]
                                (re)build report.html and finance.xlsx of a run
  report RUN_DIR --district CODE [--district CODE...]
                                draw a district's figures (pyramid, total, Kita) into
                                RUN_DIR/figures; --district all: every district
  monitor BASELINE_RUN --data DIR [--out DIR] [--alpha A]
                                Wirkungsmonitor: observed Kennzahlen since the reform's start
                                (run made with hze.reform_start=YYYY-MM) against its band
  explore RUN_DIR [--port N] [--bundles DIR]
                                local web page: change Kita and HzE assumptions, see demand,
                                gaps and cost with bands; save them as an experiment bundle

`jhplan run --help` shows the configuration groups and every key."""

log = logging.getLogger("jhplan")


def check_data(argv: list[str]) -> int:
    """``jhplan check-data DIR``: print every problem and warning; 1 if any problem, else 0.

    Once the files meet the input contract, the folder is also checked for what a run will need
    (``forecast.population.readiness``, the estimation's own rule): a problem when no pair of
    consecutive register years can be used, a warning when only one can.
    """
    parser = argparse.ArgumentParser(
        prog="jhplan check-data", description="Validate a city data folder."
    )
    parser.add_argument("directory", type=Path)
    args = parser.parse_args(argv)
    from forecast.population.readiness import projection_problems  # numpy-heavy: after parsing

    try:
        city = load_city(args.directory, tables=("population",))  # the readiness check's
    except InputDataError as err:
        found = err.problems
    else:
        found = [*city.warnings, *projection_problems(city)]
    problems = [p for p in found if p.severity != WARNING]
    warnings = [p for p in found if p.severity == WARNING]
    counts = f"{len(problems)} problem(s)" if problems else "no problems found"
    if warnings:
        counts += f", {len(warnings)} warning(s)"
    print(f"{args.directory}: {counts}")
    for problem in problems:
        print(f"  {problem}")
    for warning in warnings:
        print(f"  warning: {warning}")
    return 1 if problems else 0


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
        for problem in scenario_override_problems(rest):
            refuse(f"jhplan {command}", problem)  # before Hydra makes any folder from it
        from simulation.cli_hydra import backtest_app, run_app  # Hydra only for these two

        sys.argv = [f"jhplan {command}", *rest, CALLBACK]
        (run_app if command == "run" else backtest_app)()
        return 0
    if command == "check-data":
        return check_data(rest)
    if command == "merge":
        from simulation.merge import merge_command

        return merge_command(rest)
    if command == "compare":
        from simulation.compare_output import compare_command  # DuckDB only when needed

        return compare_command(rest)
    if command == "report":
        from simulation.report import report_command

        return report_command(rest)
    if command == "monitor":
        from simulation.monitor import monitor_command

        return monitor_command(rest)
    if command == "explore":
        from simulation.explore import explore_command

        return explore_command(rest)
    print(f"jhplan: unknown command {command!r}\n\n{USAGE}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
