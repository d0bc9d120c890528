"""Run a scenario end to end into a run folder; run a backtest into a run folder.

Takes a composed configuration (``JhplanConfig``, already converted from Hydra's DictConfig), reads
and validates the city folder, runs the requested stages and writes results, figures and the
manifest. Knows nothing of the command line.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from omegaconf import OmegaConf

from forecast.backtest import backtest_population
from forecast.citydata import CityData, load_city
from forecast.contract import CITY_DISTRICT
from forecast.population.estimate import estimate_base_rates, population_array
from forecast.population.paths import YOUNG_AGES, PopulationPaths
from forecast.population.projection import PopulationProjection, project_population
from simulation import figures
from simulation.config import (
    PROJECT_ROOT,
    JhplanConfig,
    estimation_settings,
    population_assumptions,
    resolve_data_dir,
)
from simulation.results import to_results, write_results
from simulation.rundir import RunFolder, git_revision, now_iso, package_versions, sha256_files

log = logging.getLogger(__name__)

@dataclass
class StageContext:
    """What the stages of one run share.

    Attributes:
        cfg: the composed configuration.
        city: the validated city data.
        folder: the run folder being written (results go to ``folder.work``).
        population: set by the population stage; the trajectories every demand model uses.
        summary: one line per finished stage.
    """

    cfg: JhplanConfig
    city: CityData
    folder: RunFolder
    population: PopulationPaths | None = None
    summary: dict[str, str] = field(default_factory=dict)

    def seed(self, stage: str) -> np.random.SeedSequence:
        """The stage's own seed sequence, derived from the root seed by the stage's fixed key.

        A stage's randomness does not depend on which other stages run. Within a stage, draw d
        uses ``seed(stage).spawn(N)[d]`` so that results do not depend on chunking or workers.
        """
        return np.random.SeedSequence(self.cfg.seed, spawn_key=(SEED_KEYS[stage],))


STAGE_FUNCTIONS: dict[str, str] = {
    "population": "simulation.pipeline:population_stage",
}
"""Stage name -> ``module:function(ctx: StageContext) -> str``, in pipeline order."""

STAGE_REQUIRES: dict[str, tuple[str, ...]] = {}
"""Stages that must run before a stage (e.g. kita needs population)."""

SEED_KEYS = {"population": 0, "kita": 1, "hze": 2, "abm": 3}
"""Fixed spawn keys of the stages' seed sequences; never renumber (results would change)."""

STAGES = tuple(STAGE_FUNCTIONS)
"""Stages available in this version, in pipeline order."""


def check_stages(stages: list[str]) -> None:
    unknown = [s for s in stages if s not in STAGE_FUNCTIONS]
    if unknown:
        raise ValueError(
            f"unknown or not yet available pipeline stage(s) {unknown}; "
            f"available: {list(STAGE_FUNCTIONS)}"
        )
    if not stages:
        raise ValueError("pipeline.stages is empty")
    for stage in stages:
        missing = [r for r in STAGE_REQUIRES.get(stage, ()) if r not in stages]
        if missing:
            raise ValueError(f"pipeline stage {stage!r} needs stage(s) {missing} in pipeline.stages")


def _stage_function(stage: str) -> Callable[[StageContext], str]:
    module, _, name = STAGE_FUNCTIONS[stage].partition(":")
    return getattr(importlib.import_module(module), name)


def start_manifest(
    folder: RunFolder, cfg: JhplanConfig, city: CityData, overrides: list[str], task: str
) -> None:
    """The manifest fields known before any stage runs."""
    folder.manifest.update(
        {
            "run_id": folder.run_id,
            "task": task,
            "created_at": now_iso(),
            "git_revision": git_revision(PROJECT_ROOT),
            "package_versions": package_versions(),
            "scenario": cfg.scenario,
            "root_seed": cfg.seed,
            "draws": cfg.draws,
            "overrides": list(overrides),
            "config": OmegaConf.to_container(OmegaConf.structured(cfg), resolve=True),
            "city": {
                "name": city.name,
                "ags": city.ags,
                "data_dir": str(city.path),
                "districts": list(city.district_codes),
            },
            "input_sha256": sha256_files(dict(city.files)),
            "fallbacks": [],
        }
    )


def run_scenario(cfg: JhplanConfig, folder: RunFolder, overrides: list[str]) -> dict:
    """Run ``cfg.pipeline.stages`` on the configured city into ``folder``.

    Returns:
        A short summary per stage (also in the manifest).
    """
    check_stages(cfg.pipeline.stages)
    city = load_city(resolve_data_dir(cfg.city.data_dir))
    start_manifest(folder, cfg, city, overrides, task="run")
    ctx = StageContext(cfg=cfg, city=city, folder=folder)
    for stage in STAGE_FUNCTIONS:  # pipeline order, whatever order the config lists
        if stage in cfg.pipeline.stages:
            with folder.stage(stage):
                ctx.summary[stage] = _stage_function(stage)(ctx)
    folder.manifest["summary"] = ctx.summary
    return ctx.summary


def population_stage(ctx: StageContext) -> str:
    """Project the population; results, figures and the trajectories for the demand models."""
    cfg, city, folder = ctx.cfg, ctx.city, ctx.folder
    rates = estimate_base_rates(city, estimation_settings(cfg.population))
    projection = project_population(rates, population_assumptions(cfg.population), cfg.horizon)
    folder.manifest["fallbacks"].extend(n for n in rates.notes if n.startswith("Fallback"))
    folder.manifest["population"] = {
        "base_year": rates.base_year,
        "horizon": cfg.horizon,
        "notes": list(rates.notes),
        "diagnostics": rates.diagnostics,
        "variants": {
            "fertility": cfg.population.fertility.variant,
            "mortality": cfg.population.mortality.variant,
            "migration": cfg.population.migration.variant,
        },
    }
    results = to_results(projection.to_long(), "population", cfg.scenario, folder.run_id)
    write_results(results, folder.work, part="population")
    ctx.population = PopulationPaths(
        years=projection.years,
        districts=projection.districts,
        population=projection.population[None, ..., :YOUNG_AGES].copy(),
    )
    if cfg.population.figures:
        _population_figures(city, projection, folder)
    return projection.summary()


def _population_figures(
    city: CityData, projection: PopulationProjection, folder: RunFolder
) -> None:
    pop, years = population_array(city)
    names = {d.code: d.name for d in city.districts} | {CITY_DISTRICT: city.name}
    codes = list(projection.districts) + [CITY_DISTRICT]
    history = np.concatenate([pop, pop.sum(axis=1, keepdims=True)], axis=1).sum(axis=(-1, -2))
    proj = projection.population
    proj = np.concatenate([proj, proj.sum(axis=1, keepdims=True)], axis=1)
    y0, y1 = int(projection.years[0]), int(projection.years[-1])
    for i, code in enumerate(codes):
        figures.pyramid(
            folder.path("figures", f"pyramid_{code}.png"),
            f"{names[code]}: Altersaufbau {y0} und {y1}",
            proj[0, i],
            proj[-1, i],
            y0,
            y1,
        )
        figures.total_chart(
            folder.path("figures", f"total_{code}.png"),
            f"{names[code]}: Einwohner",
            {int(y): float(v) for y, v in zip(years, history[:, i], strict=True)},
            {int(y): float(v) for y, v in zip(projection.years, proj[:, i].sum(axis=(-1, -2)), strict=True)},
        )


def run_backtest(cfg: JhplanConfig, folder: RunFolder, overrides: list[str]) -> str:
    """Backtest the configured target; writes ``backtest_<target>.parquet`` and returns a summary."""
    bt = cfg.backtest
    if bt.target != "population":
        raise ValueError(
            f"backtest.target={bt.target!r} is not available yet; available: population"
        )
    city = load_city(resolve_data_dir(cfg.city.data_dir))
    start_manifest(folder, cfg, city, overrides, task="backtest")
    with folder.stage("backtest"):
        result = backtest_population(
            city,
            bt.base_year,
            bt.horizon,
            estimation_settings(cfg.population),
            population_assumptions(cfg.population),
            hp_span=bt.hp_span,
        )
        result.table.to_parquet(folder.path("backtest_population.parquet"), index=False)
    headline = result.headline()
    folder.manifest["backtest"] = {
        "target": bt.target,
        "base_year": bt.base_year,
        "horizon": bt.horizon,
        "notes": list(result.notes),
        "city_errors": headline.to_dict(orient="records"),
    }
    districts = result.district_mape()
    folder.manifest["backtest"]["district_errors"] = districts.to_dict(orient="records")
    return result.summary()

