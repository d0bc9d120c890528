"""The Hydra apps behind ``jhplan run`` and ``jhplan backtest``.

Imported by ``simulation.cli`` only for those two commands: Hydra, OmegaConf and the config
schemas cost seconds of import that ``check-data``, ``report`` and the other commands never need.
This is the only module that imports Hydra's app runner.
"""

from __future__ import annotations

import sys

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from forecast.validate import InputDataError
from simulation.config import CONF_DIR, JhplanConfig, register_configs
from simulation.hydra_run import derived_scenario, final_run_dir, scenario_problem
from simulation.ownership import RunFolderBusy
from simulation.rundir import RunFolderExists, open_run_folder
from simulation.sweep import JobFailed, finished_job, job_identity

register_configs()


def _typed(cfg: DictConfig) -> JhplanConfig:
    return OmegaConf.to_object(cfg)  # type: ignore[return-value]


def _task(cfg: DictConfig, task: str) -> None:
    from simulation.pipeline import run_backtest, run_scenario  # heavy imports after arg parsing

    hc = HydraConfig.get()
    run_dir = final_run_dir(hc, str(cfg.get("scenario")))
    overrides = list(hc.overrides.task)
    name = derived_scenario(overrides, str(cfg.get("scenario")))
    if name and hc.mode == RunMode.MULTIRUN:  # a single run is named in RunDirectory already
        cfg.scenario = name
    try:
        problem = scenario_problem(cfg.get("scenario"))
        if problem:  # a sweep's job, whose folder the launcher made: only the job can say so
            raise ValueError(problem)
        typed = _typed(cfg)
        identity = job_identity(typed, task) if hc.mode == RunMode.MULTIRUN else None
        if identity and (done := finished_job(run_dir, identity)):  # a resumed sweep
            print(done)
            return
        with open_run_folder(run_dir) as folder:
            if identity:  # what a resumed sweep compares (simulation.sweep.finished_job)
                folder.manifest["job_identity"] = identity
            if task == "run":
                summary = run_scenario(typed, folder, overrides)
                text = "\n".join(f"{stage}: {line}" for stage, line in summary.items())
            else:
                text = run_backtest(typed, folder, overrides)
        print(text)
        print(f"run folder: {run_dir}")
    except (InputDataError, RunFolderExists, RunFolderBusy, ValueError) as err:
        print(f"jhplan {task}: {err}", file=sys.stderr)
        print("nothing was written.", file=sys.stderr)
        if hc.mode == RunMode.MULTIRUN:  # this job failed; the sweep goes on with the others
            raise JobFailed(f"jhplan {task}: {err}") from err
        sys.exit(1)
    except KeyboardInterrupt:
        print(f"jhplan {task}: interrupted; the partial run folder was removed.", file=sys.stderr)
        sys.exit(130)


@hydra.main(version_base="1.3", config_path=CONF_DIR, config_name="config")
def run_app(cfg: DictConfig) -> None:
    _task(cfg, "run")


@hydra.main(version_base="1.3", config_path=CONF_DIR, config_name="config")
def backtest_app(cfg: DictConfig) -> None:
    _task(cfg, "backtest")
