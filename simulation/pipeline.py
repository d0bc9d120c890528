"""Run a scenario end to end into a run folder; run a backtest into a run folder.

Takes a composed configuration (``JhplanConfig``, already converted from Hydra's DictConfig), reads
and validates the city folder, runs the requested stages and writes results, figures and the
manifest. Knows nothing of the command line.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from omegaconf import OmegaConf

from forecast.backtest import backtest_population
from forecast.citydata import CityData, load_city
from forecast.drawstore import MemoryBudget
from forecast.hze.model import HzeModel
from forecast.hze.streamed import HzeDraws
from forecast.population.paths import PopulationPaths
from forecast.population.readiness import projection_problems
from forecast.problems import WARNING, InputDataError
from simulation.blockjobs import DrawPart
from simulation.config import (
    PROJECT_ROOT,
    JhplanConfig,
    estimation_settings,
    population_assumptions,
    resolve_data_dir,
    worker_count,
)
from simulation.district_figures import figure_districts
from simulation.figure_pool import FigurePool
from simulation.housing_plan import add_housing_plan
from simulation.progress import RunProgress
from simulation.rundir import RunFolder, git_revision, now_iso, package_versions, sha256_files
from simulation.stages import STAGE_BY_NAME, STAGES, check_stages

log = logging.getLogger(__name__)


@dataclass
class StageContext:
    """What the stages of one run share.

    Attributes:
        cfg: the composed configuration.
        city: the validated city data.
        folder: the run folder being written (results go to ``folder.work``).
        population: set by the population stage; the trajectories every demand model uses.
        hze_model: the fitted HzE model, fitted once per run by ``simulation.stage_hze.fitted_hze``
            (the hze and abm stages share it).
        progress: the run's status line (None outside ``run_scenario``).
        summary: one line per finished stage.
        budget: the memory the stages' draw stores may hold together (``memory_budget_mb``);
            what does not fit goes to scratch files in the run's temporary folder.
        closing: what to close when the run ends (the population's draw stores).
        hze_draws: set by the hze stage: its draws (``forecast.hze.streamed.HzeDraws``), kept
            until the run ends so that the social stage reads them instead of drawing again.
        figures: draws the stages' figures, in worker processes when ``n_jobs`` > 1; the
            pipeline waits for them before the report stage and at the end of the run.
        budget_shares: set by the social stage: each Wirkungsraum's share of the Planbudget per
            forecast year, (F, W); the abm stage's SRO Planbudget follows it.
        part: the part of the draws this run computes (``draws_part=K/N``), None for all.
    """

    cfg: JhplanConfig
    city: CityData
    folder: RunFolder
    population: PopulationPaths | None = None
    hze_model: HzeModel | None = None
    progress: RunProgress | None = None
    summary: dict[str, str] = field(default_factory=dict)
    budget: MemoryBudget = field(default_factory=lambda: MemoryBudget.mib(1024))
    closing: list[Callable[[], None]] = field(default_factory=list)
    budget_shares: np.ndarray | None = None
    hze_draws: HzeDraws | None = None
    part: DrawPart | None = None
    figures: FigurePool = field(default_factory=FigurePool)

    @property
    def n_jobs(self) -> int:
        """Worker processes of the run (``n_jobs``; 0 = one per core)."""
        return worker_count(self.cfg.n_jobs)

    @property
    def block(self) -> int:
        """Draws per block in every stage (``population.stochastic.chunk``)."""
        return max(int(self.cfg.population.stochastic.chunk), 1)

    def seed(self, stage: str) -> np.random.SeedSequence:
        """The stage's own seed sequence, derived from the root seed by the stage's fixed key.

        A stage's randomness does not depend on which other stages run. Within a stage, draw d
        uses ``seed(stage).spawn(N)[d]`` so that results do not depend on chunking or workers.
        """
        key = STAGE_BY_NAME[stage].seed_key
        if key is None:
            raise ValueError(f"stage {stage!r} has no seed key")
        return np.random.SeedSequence(self.cfg.seed, spawn_key=(key,))


SPLIT_STAGES = {
    "population": "",
    "kita": "",
    "ganztag": "",
    "hze": "",
    "social": "its Wirkungsraum reductions are not yet joined by jhplan merge",
    "abm": "its replicates are the first R draws of the whole run and are reduced inside the "
    "ABM's own experiment; run it on one machine",
    "report": "a part's report would show a part; build it from the merged run "
    "(jhplan merge --report, or jhplan report MERGED_RUN)",
}
"""Stages a part run (``draws_part``) may run: "" = yes, else why not."""

EXECUTION_KEYS = ("draws_part", "run_root", "n_jobs", "memory_budget_mb")
"""Settings that do not change a run's results (``simulation.merge``: parts may differ in them)."""


def draws_part(cfg: JhplanConfig) -> DrawPart | None:
    """The part of the draws a run computes (``draws_part``), checked before anything runs.

    Raises:
        ValueError: a bad ``K/N``, no draws, or a stage that cannot run on a part of the draws.
    """
    if cfg.draws_part is None or str(cfg.draws_part).strip() in ("", "null", "None"):
        return None
    if cfg.draws <= 0:
        raise ValueError(f"draws_part={cfg.draws_part}: needs stochastic draws (draws > 1)")
    part = DrawPart.parse(str(cfg.draws_part), cfg.draws)
    refused = [f"{s} ({SPLIT_STAGES[s]})" for s in cfg.pipeline.stages if SPLIT_STAGES.get(s)]
    if refused:
        keep = [s for s in cfg.pipeline.stages if not SPLIT_STAGES.get(s)]
        raise ValueError(
            f"draws_part={part.label}: stage(s) {'; '.join(refused)} cannot run on a part of the "
            f"draws; leave them out, e.g. 'pipeline.stages=[{','.join(keep)}]'"
        )
    return part


SEED_KEYS = {s.name: s.seed_key for s in STAGES if s.seed_key is not None}
"""Stage -> fixed spawn key of its seed sequence (from the registry; for scripts)."""


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
    stages = check_stages(cfg.pipeline.stages)  # in pipeline order
    part = draws_part(cfg)
    city = load_city(resolve_data_dir(cfg.city.data_dir))
    if cfg.city.housing_plan:  # a scenario's planned dwellings (e.g. experiment=neubau_plus)
        city = add_housing_plan(city, resolve_data_dir(cfg.city.housing_plan))
    warnings = _check_projectable(cfg, city)
    figure_districts(cfg.district_figures, city.district_codes)  # a bad list stops here
    start_manifest(folder, cfg, city, overrides, task="run")
    for warning in city.warnings:  # plausibility: suspicious values the city has not accepted
        log.warning("warning: %s", warning)
    folder.manifest["warnings"] = [str(w) for w in city.warnings] + warnings
    folder.manifest["accepted_warnings"] = [str(w) for w in city.accepted]
    budget = MemoryBudget.mib(cfg.memory_budget_mb, scratch=folder.work)
    ctx = StageContext(cfg=cfg, city=city, folder=folder, budget=budget, part=part)
    ctx.figures = FigurePool(ctx.n_jobs)
    if part is not None:
        folder.manifest["draws_part"] = part_manifest(folder.manifest, part)
    # a status line in a terminal, silent otherwise
    try:
        with RunProgress([s.name for s in stages]) as ctx.progress:
            for stage in stages:
                if stage.name == "report":  # it embeds the figures the stages before drew
                    ctx.figures.wait()
                with folder.stage(stage.name), ctx.progress.stage(stage.name):
                    ctx.summary[stage.name] = stage.run(ctx)
            ctx.figures.wait()
    finally:
        ctx.figures.close()
        for close in ctx.closing:
            close()
    folder.manifest["summary"] = ctx.summary
    folder.manifest["memory"] = budget.to_manifest()
    return ctx.summary


def config_sha256(config: dict) -> str:
    """sha256 of a run's resolved configuration without ``EXECUTION_KEYS``."""
    kept = {k: v for k, v in config.items() if k not in EXECUTION_KEYS}
    return hashlib.sha256(json.dumps(kept, sort_keys=True, default=str).encode()).hexdigest()


def part_manifest(manifest: dict, part: DrawPart) -> dict:
    """The manifest entry of a part run: which draws, of how many, of which configuration."""
    return {
        "part": part.label,
        "index": part.index,
        "parts": part.parts,
        "first": part.first,
        "last": part.last,
        "draws": part.draws,
        "config_sha256": config_sha256(manifest["config"]),
        "stores": {},
    }


def _check_projectable(cfg: JhplanConfig, city: CityData) -> list[str]:
    """Stop before anything is computed if the population stage cannot run on this folder.

    The same check as ``jhplan check-data`` (``forecast.population.readiness``), so a run fails
    with the message check-data gives, listing the file. Returns the warnings (for the manifest).

    Raises:
        InputDataError: no usable pair of consecutive register years up to the base year.
    """
    if "population" not in cfg.pipeline.stages:
        return []
    found = projection_problems(city, cfg.population.estimation.base_year)
    errors = [p for p in found if p.severity != WARNING]
    if errors:
        raise InputDataError(errors)
    for warning in found:
        log.warning("warning: %s", warning)
    return [str(w) for w in found]


def run_backtest(cfg: JhplanConfig, folder: RunFolder, overrides: list[str]) -> str:
    """Backtest the configured target; writes ``backtest_<target>.parquet`` and returns a summary."""
    bt = cfg.backtest
    if bt.target not in ("population", "hze"):
        raise ValueError(
            f"backtest.target={bt.target!r} is not available; available: population, hze "
            "(the Kita quota models are validated by validation/validate_kita_kreise.py)"
        )
    city = load_city(resolve_data_dir(cfg.city.data_dir))
    start_manifest(folder, cfg, city, overrides, task="backtest")
    if bt.target == "hze":
        return _backtest_hze(cfg, city, folder)
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


def _backtest_hze(cfg: JhplanConfig, city: CityData, folder: RunFolder) -> str:
    """HzE forecast from ``backtest.base_year`` against the city's later ``hze_cases``."""
    from forecast.hze.backtest import backtest_hze
    from simulation.config_hze import hze_settings

    bt = cfg.backtest
    if not city.has("hze_cases"):
        raise ValueError("backtest.target=hze needs an hze_cases file in the city folder")
    with folder.stage("backtest"):
        table = backtest_hze(city, bt.base_year, bt.horizon, hze_settings(cfg.hze), seed=cfg.seed)
        table.to_parquet(folder.path("backtest_hze.parquet"), index=False)
    if table.empty:
        raise ValueError(f"no observed HzE year after backtest.base_year={bt.base_year}")
    city_rows = table[(table["district"] == "_city") & (table["hilfeart"] == "Total")]
    by_var = table.groupby("variable")["in80"].mean()
    folder.manifest["backtest"] = {
        "target": "hze",
        "base_year": bt.base_year,
        "horizon": bt.horizon,
        "coverage_80_by_variable": {k: round(float(v), 3) for k, v in by_var.items()},
        "city_total": city_rows[["year", "variable", "observed", "p10", "p50", "p90"]].to_dict(
            orient="records"
        ),
    }
    cases = city_rows[city_rows["variable"] == city_rows["variable"].iloc[0]]
    return (
        f"HzE backtest from {bt.base_year}: {len(table):,} cells; 80 % intervals cover "
        + ", ".join(f"{k} {100 * v:.0f} %" for k, v in by_var.items())
        + f"; city {cases['variable'].iloc[0]} {int(cases['year'].iloc[-1])}: observed "
        f"{cases['observed'].iloc[-1]:,.0f}, P50 {cases['p50'].iloc[-1]:,.0f}"
    )
