"""Typed configuration schema (Hydra structured configs) and its conversion to library objects.

The YAML files under ``conf/`` set values; these dataclasses say which keys exist and their types,
so a typo in an override fails at composition with a clear message. Every model parameter is a
``Param`` with value, unit, source and plausible range, readable by domain staff (OpenFisca style).
Only the entry points import Hydra; the library (``forecast``) receives plain dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING

from forecast.population.estimate import EstimationSettings
from forecast.population.projection import PopulationAssumptions

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Param:
    """A documented model parameter.

    Attributes:
        value: the number (or a mapping by sex, e.g. ``{f: 0.1, m: 0.1}``).
        unit: unit of ``value``.
        source: citation (see DOMAIN.md sources) or ``estimate`` with a reason.
        range: plausible range for sensitivity analysis, ``[low, high]``.
    """

    value: Any = MISSING
    unit: str = MISSING
    source: str = MISSING
    range: list[Any] | None = None


@dataclass
class CityConfig:
    name: str = MISSING
    data_dir: str = MISSING


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
class EstimationConfig:
    base_year: int | None = None
    base_period: int = 3
    district_fertility_prior: Param = field(default_factory=Param)
    migration_schedule: Param = field(default_factory=Param)


@dataclass
class PopulationConfig:
    fertility: FertilityConfig = field(default_factory=FertilityConfig)
    mortality: MortalityConfig = field(default_factory=MortalityConfig)
    migration: MigrationConfig = field(default_factory=MigrationConfig)
    estimation: EstimationConfig = field(default_factory=EstimationConfig)
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
    scenario: str = "baseline"
    seed: int = 20261121
    draws: int = 0
    horizon: int = 20
    run_root: str = "experiments"


def register_configs() -> None:
    """Register the schema so that ``conf/config.yaml`` can extend it (``- base_config``)."""
    cs = ConfigStore.instance()
    cs.store(name="base_config", node=JhplanConfig)


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
    )
