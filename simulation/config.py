"""Typed configuration schema (Hydra structured configs) and its conversion to library objects.

The YAML files under ``conf/`` set values; these dataclasses say which keys exist and their types,
so a typo in an override fails at composition with a clear message. Every model parameter is a
``Param`` with value, unit, source and plausible range, readable by domain staff (OpenFisca style).
Only the entry points import Hydra; the library (``forecast``) receives plain dataclasses.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, make_dataclass
from pathlib import Path
from typing import Any, get_type_hints

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING

from forecast.contract import MAX_AGE
from forecast.population.combination import CombinationSettings
from forecast.population.estimate import EstimationSettings
from forecast.population.housing import HousingSettings
from forecast.population.migration import DistrictMigrationSettings
from forecast.population.projection import PopulationAssumptions
from forecast.population.stochastic import AR1, StochasticSettings
from simulation.config_abm import AbmConfig
from simulation.config_assumptions import AssumptionsConfig
from simulation.config_ganztag import GanztagConfig
from simulation.config_hze import HzeConfig
from simulation.config_kita import KitaConfig
from simulation.config_report import ReportConfig
from simulation.config_social import SocialConfig
from simulation.params import Param, default

__all__ = ["KitaConfig", "Param"]  # Param lives in simulation.params (no import cycle)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONF_DIR = str(PROJECT_ROOT / "conf")
"""The Hydra configuration folder (``conf/``)."""


@dataclass
class CityConfig:
    name: str = MISSING
    data_dir: str = MISSING
    housing_plan: str | None = None  # a scenario's planned dwellings (simulation.housing_plan)


@dataclass
class FertilityConfig:
    variant: str = MISSING
    tfr_change: Param = field(default_factory=Param)
    years_to_target: Param = field(default_factory=Param)


@dataclass
class MortalityConfig:
    variant: str = MISSING
    e0_gain_per_year: Param = field(default_factory=Param)


@dataclass
class MigrationConfig:
    variant: str = MISSING
    net_change_per_1000: Param = field(default_factory=Param)


@dataclass
class DistrictMigrationConfig:
    """How each district's own migration is projected (forecast.population.migration)."""

    model: str = "damped"  # damped | levelled (the method before December 2026)
    persistence: Param = default("population.estimation.district_migration.persistence")
    shrink: bool = True


@dataclass
class EstimationConfig:
    base_year: int | None = None
    base_period: int = 3
    district_fertility_prior: Param = default("population.estimation.district_fertility_prior")
    migration_schedule: Param = default("population.estimation.migration_schedule")
    internal_model: str = "auto"
    district_migration: DistrictMigrationConfig = field(
        default_factory=lambda: DistrictMigrationConfig()
    )


@dataclass
class HousingConfig:
    """New housing (Neubau): used when the city folder has a ``housing`` file."""

    enabled: bool = True
    occupants_per_dwelling: Param = field(default_factory=Param)
    from_outside_share: Param = field(default_factory=Param)
    first_occupant_profile: Param = field(default_factory=Param)
    male_share: Param = field(default_factory=Param)


@dataclass
class StochasticConfig:
    """Stochastic projection (``draws`` > 0): processes, calibration and memory."""

    calibrate: bool = True
    use_backtests: bool = True
    variance_scale: Param = field(default_factory=Param)
    default_processes: Param = field(default_factory=Param)
    chunk: int = 50
    write_samples: bool = True
    widen_to_backtests: bool = True


CombinationConfig = make_dataclass(
    "CombinationConfig",
    [
        (f.name, get_type_hints(CombinationSettings)[f.name], f.default)
        for f in fields(CombinationSettings)
    ],
)
"""Combination of district methods: the schema of ``CombinationSettings`` (a frozen dataclass
cannot be a Hydra schema), with its fields, types and defaults, written once there."""
CombinationConfig.__module__ = __name__  # pickled by reference (submitit, joblib launchers)


@dataclass
class PopulationConfig:
    fertility: FertilityConfig = field(default_factory=FertilityConfig)
    mortality: MortalityConfig = field(default_factory=MortalityConfig)
    migration: MigrationConfig = field(default_factory=MigrationConfig)
    estimation: EstimationConfig = field(default_factory=EstimationConfig)
    housing: HousingConfig = field(default_factory=HousingConfig)
    stochastic: StochasticConfig = field(default_factory=StochasticConfig)
    combination: CombinationConfig = field(default_factory=CombinationConfig)
    assumptions: AssumptionsConfig = field(default_factory=AssumptionsConfig)
    assumptions_file: str | None = (
        None  # absolute paths outside the city folder (replaces its file)
    )
    control_totals: bool = True
    figures: bool = True


@dataclass
class PipelineConfig:
    stages: list[str] = field(default_factory=lambda: ["population"])


@dataclass
class BacktestConfig:
    target: str = "population"
    base_year: int = 2019
    horizon: int = 5
    hp_span: int = 5


@dataclass
class JhplanConfig:
    city: CityConfig = field(default_factory=CityConfig)
    population: PopulationConfig = field(default_factory=PopulationConfig)
    pipeline: PipelineConfig = field(default_factory=PipelineConfig)
    backtest: BacktestConfig = field(default_factory=BacktestConfig)
    kita: KitaConfig = field(default_factory=KitaConfig)
    hze: HzeConfig = field(default_factory=HzeConfig)
    abm: AbmConfig = field(default_factory=AbmConfig)
    report: ReportConfig = field(default_factory=ReportConfig)
    ganztag: GanztagConfig = field(default_factory=GanztagConfig)
    social: SocialConfig = field(default_factory=SocialConfig)
    scenario: str = "baseline"
    scenario_description: str = ""
    seed: int = 20261121
    draws: int = 0
    draws_part: str | None = None  # "K/N": only part K of N of the draws (jhplan merge joins them)
    memory_budget_mb: int = 1024
    n_jobs: int = 0
    district_figures: Any = "auto"
    horizon: int = 20
    run_root: str = "experiments"
    explore_draws_mb: int = 256


def register_configs() -> None:
    """Register the schema so that ``conf/config.yaml`` can extend it (``- base_config``)."""
    cs = ConfigStore.instance()
    cs.store(name="base_config", node=JhplanConfig)


def worker_count(n_jobs: int) -> int:
    """Processes for ``n_jobs``: the number itself, or one per core this process may use for 0."""
    if n_jobs < 0:
        raise ValueError(f"n_jobs={n_jobs}: expected 0 (one per core) or a positive number")
    if n_jobs == 0:
        cores = (
            os.sched_getaffinity(0)
            if hasattr(os, "sched_getaffinity")
            else range(os.cpu_count() or 1)
        )
        return max(len(cores), 1)
    return int(n_jobs)


def resolve_data_dir(data_dir: str) -> Path:
    """A city folder path: absolute, relative to the working directory, or to the project root."""
    path = Path(data_dir).expanduser()
    if path.is_absolute() or path.exists():
        return path.resolve()
    return (PROJECT_ROOT / path).resolve()


def population_assumptions(cfg: PopulationConfig) -> PopulationAssumptions:
    """Library assumptions from the population config group."""
    gain = cfg.mortality.e0_gain_per_year.value
    return PopulationAssumptions(
        tfr_change=float(cfg.fertility.tfr_change.value),
        tfr_years_to_target=int(cfg.fertility.years_to_target.value),
        e0_gain_per_year=(float(gain["f"]), float(gain["m"])),
        net_migration_change_per_1000=float(cfg.migration.net_change_per_1000.value),
    )


def estimation_settings(cfg: PopulationConfig) -> EstimationSettings:
    """Library estimation settings from the population config group."""
    est = cfg.estimation
    return EstimationSettings(
        base_year=est.base_year,
        base_period=est.base_period,
        district_fertility_prior=float(est.district_fertility_prior.value),
        migration_schedule={k: float(v) for k, v in dict(est.migration_schedule.value).items()},
        internal_model=est.internal_model,
        housing=housing_settings(cfg.housing),
        district_migration=DistrictMigrationSettings(
            model=est.district_migration.model,
            persistence=float(est.district_migration.persistence.value),
            shrink=bool(est.district_migration.shrink),
        ),
    )


def combination_settings(cfg: PopulationConfig) -> CombinationSettings:
    """Library settings of the combination of district methods."""
    c = cfg.combination
    return CombinationSettings(**{f.name: getattr(c, f.name) for f in fields(CombinationSettings)})


def housing_settings(cfg: HousingConfig) -> HousingSettings | None:
    """Library housing settings, ``None`` when the housing component is switched off."""
    if not cfg.enabled:
        return None
    profile = {}
    for label, share in dict(cfg.first_occupant_profile.value).items():
        lo, _, hi = str(label).partition("-")
        profile[(int(lo), int(hi) if hi else MAX_AGE)] = float(share)
    return HousingSettings(
        occupants_per_dwelling=float(cfg.occupants_per_dwelling.value),
        from_outside_share=float(cfg.from_outside_share.value),
        profile=profile,
        male_share=float(cfg.male_share.value),
    )


def stochastic_defaults(cfg: StochasticConfig) -> StochasticSettings:
    """Default processes (used where the city's history cannot calibrate them)."""
    values = dict(cfg.default_processes.value)
    return StochasticSettings(
        **{name: AR1(float(p["phi"]), float(p["sigma"])) for name, p in values.items()}
    )
