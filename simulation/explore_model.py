"""What ``jhplan explore`` computes: Kita and HzE of a finished run under changed assumptions.

The explorer opens a run folder, reads its configuration (manifest), its city folder and the
population draws the run kept (``simulation.explore_store``), and recomputes the cheap stages with
the pipeline's own code: the Kita stage's ``_block_statistics`` and ``_projected_rows`` (cohorts,
``forecast.kita.demand.project_demand``, places and gap, P10/P50/P90 over the draws), and for HzE
``forecast.hze.forecast.forecast_hze`` on the same fitted model, seeds and draw store as the hze
stage. With the run's own assumptions the rows equal the run's results; with changed ones they
equal those of ``jhplan run`` with the saved experiment bundle (``simulation.explore_bundle``).
Population and ABM are read from the results, never recomputed.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
from omegaconf import OmegaConf

from forecast.citydata import load_city
from forecast.contract import CITY_DISTRICT
from forecast.drawstore import MemoryBudget, quantiles_first_axis
from forecast.hze.forecast import forecast_hze, future_exposure
from forecast.hze.streamed import HzeDraws
from forecast.kita.model_choice import history_shifts, select_quota_models
from forecast.kita.supply import places_by_kita_year
from forecast.population.estimate import population_array
from forecast.variables import BAND
from simulation.config import JhplanConfig, resolve_data_dir
from simulation.config_hze import cost_assumptions
from simulation.config_kita import kita_settings
from simulation.explore_store import load_young_draws
from simulation.stage_hze import fitted_hze
from simulation.stage_kita import _block_statistics, _participation, _projected_rows

PATHS = ("constant", "trend", "saturation")
"""Quota paths the explorer offers (``history`` too when the run used it)."""


@dataclass(frozen=True)
class Assumptions:
    """The cheap assumptions a workshop moves (all shares 0..1 unless said).

    Attributes:
        quota_path: Kita demand quota path (``kita.quota_path``).
        quota_under1, quota_age1, quota_age2, quota_ue3: demand quotas of the base year
            (``kita.demand_quota``).
        trend_u3, trend_ue3: change of every age's quota per year on the ``trend`` path
            (share points per year, ``kita.trend_per_year``).
        tagespflege_share_u3: share of the U3 demand met by Kindertagespflege.
        hours_25, hours_45: shares of Kita children booked for 25 and 45 hours a week (the rest
            35 hours; ``kita.booking_hours_mix``).
        rate_change: change of all HzE begun rates per year (log scale, ``hze.rate_change``).
        cost_growth: nominal growth of HzE unit costs per year (``hze.costs.growth``).
    """

    quota_path: str
    quota_under1: float
    quota_age1: float
    quota_age2: float
    quota_ue3: float
    trend_u3: float
    trend_ue3: float
    tagespflege_share_u3: float
    hours_25: float
    hours_45: float
    rate_change: float
    cost_growth: float

    @classmethod
    def of(cls, cfg: JhplanConfig) -> Assumptions:
        k, quota = cfg.kita, dict(cfg.kita.demand_quota.value)
        trend, hours = dict(k.trend_per_year.value), dict(k.booking_hours_mix.value)
        return cls(
            quota_path=str(k.quota_path),
            quota_under1=float(quota["under1"]),
            quota_age1=float(quota["age1"]),
            quota_age2=float(quota["age2"]),
            quota_ue3=float(quota["ue3"]),
            trend_u3=float(trend["u3"]),
            trend_ue3=float(trend["ue3"]),
            tagespflege_share_u3=float(k.tagespflege_share_u3.value),
            hours_25=float(hours.get("h25", 0.0)),
            hours_45=float(hours.get("h45", 0.0)),
            rate_change=float(cfg.hze.rate_change.value),
            cost_growth=float(cfg.hze.costs.growth.value),
        )

    def values(self) -> dict[str, dict]:
        """The configuration values these assumptions set, nested by config key (every value
        a plain number or text, as a bundle writes them)."""
        hours = {"h25": self.hours_25, "h35": 1.0 - self.hours_25 - self.hours_45}
        hours["h45"] = self.hours_45
        return {
            "kita": {
                "quota_path": self.quota_path,
                "demand_quota": {
                    "value": {
                        "under1": self.quota_under1,
                        "age1": self.quota_age1,
                        "age2": self.quota_age2,
                        "ue3": self.quota_ue3,
                    }
                },
                "trend_per_year": {"value": {"u3": self.trend_u3, "ue3": self.trend_ue3}},
                "tagespflege_share_u3": {"value": self.tagespflege_share_u3},
                "booking_hours_mix": {"value": {k: round(v, 10) for k, v in hours.items()}},
            },
            "hze": {
                "rate_change": {"value": self.rate_change},
                "costs": {"growth": {"value": self.cost_growth}},
            },
        }

    def changed(self, base: Assumptions) -> dict[str, dict]:
        """The nested values of ``values()`` that differ from ``base`` (for the bundle)."""
        return _diff(self.values(), base.values())

    def apply(self, cfg: JhplanConfig) -> JhplanConfig:
        """``cfg`` with these assumptions (a new object; ``cfg`` is unchanged). The values are
        the ones ``values()`` lists, set on copies of the Param records (no OmegaConf merge:
        that takes seconds, and a workshop moves a slider many times)."""
        v, k, h = self.values(), cfg.kita, cfg.hze

        def param(p, value):
            return replace(p, value=dict(value) if isinstance(value, dict) else value)

        kv, hv = v["kita"], v["hze"]
        kita = replace(
            k,
            quota_path=kv["quota_path"],
            demand_quota=param(k.demand_quota, kv["demand_quota"]["value"]),
            trend_per_year=param(k.trend_per_year, kv["trend_per_year"]["value"]),
            tagespflege_share_u3=param(k.tagespflege_share_u3, kv["tagespflege_share_u3"]["value"]),
            booking_hours_mix=param(k.booking_hours_mix, kv["booking_hours_mix"]["value"]),
        )
        costs = replace(h.costs, growth=param(h.costs.growth, hv["costs"]["growth"]["value"]))
        hze = replace(h, rate_change=param(h.rate_change, hv["rate_change"]["value"]), costs=costs)
        return replace(cfg, kita=kita, hze=hze)


def _diff(new: dict, old: dict) -> dict:
    out = {}
    for key, value in new.items():
        if isinstance(value, dict) and key != "value":
            sub = _diff(value, old.get(key, {}))
            if sub:
                out[key] = sub
        elif value != old.get(key):
            out[key] = value
    return out


def run_config(manifest: dict) -> JhplanConfig:
    """The typed configuration of a run from its manifest (the resolved config it ran with)."""
    merged = OmegaConf.merge(OmegaConf.structured(JhplanConfig), manifest["config"])
    return OmegaConf.to_object(merged)  # type: ignore[return-value]


HZE_SHOWN = ("Cases", "Cost", "Rate")
"""HzE measures the explorer shows (all Hilfearten together: ``HzE|<measure>|Total``)."""


def _hze_totals(fc) -> pd.DataFrame:
    """``HzeForecast.to_long``'s rows of the shown measures, Total only: the same means and
    quantiles (``quantiles_first_axis``), without the table of every Hilfeart (three quarters
    of the time of a slider move on Konstanz)."""
    districts = [*fc.districts, CITY_DISTRICT]
    frames = []
    for measure in HZE_SHOWN:
        arr = fc.full(measure)[..., -1]  # (N, F, D+1): Total over Hilfearten
        qs = quantiles_first_axis(arr, BAND)
        stats = [("mean", np.nan, arr.mean(0))] + [
            ("quantile", q, qs[i]) for i, q in enumerate(BAND)
        ]
        for statistic, q, values in stats:
            frames.append(
                pd.DataFrame(
                    {
                        "district": np.tile(districts, fc.years.size),
                        "year": np.repeat(fc.years, len(districts)),
                        "variable": f"HzE|{measure}|Total",
                        "statistic": statistic,
                        "quantile": q,
                        "value": values.ravel(),
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


class Explorer:
    """One run, opened for recomputation under changed assumptions.

    Args:
        run_dir: a folder written by ``jhplan run`` with the kita and/or hze stage.

    Raises:
        ValueError: not a run folder, or a run without kept population draws.
    """

    def __init__(self, run_dir: str | Path):
        self.run_dir = Path(run_dir).resolve()
        file = self.run_dir / "manifest.json"
        if not file.is_file():
            raise ValueError(f"{self.run_dir}: not a run folder (no manifest.json)")
        self.manifest = json.loads(file.read_text(encoding="utf-8"))
        self.cfg = run_config(self.manifest)
        self.stages = set(self.cfg.pipeline.stages)
        self.paths = load_young_draws(self.run_dir)
        data_dir = self.manifest.get("city", {}).get("data_dir") or self.cfg.city.data_dir
        self.cfg.city.data_dir = str(resolve_data_dir(str(data_dir)))
        self.city = load_city(self.cfg.city.data_dir)
        self.base = Assumptions.of(self.cfg)
        self.names = {d.code: d.name for d in self.city.districts} | {CITY_DISTRICT: self.city.name}
        self.ctx = SimpleNamespace(
            cfg=self.cfg,
            city=self.city,
            population=self.paths,
            hze_model=None,
            folder=SimpleNamespace(manifest={"fallbacks": []}),
            block=max(int(self.cfg.population.stochastic.chunk), 1),
            budget=MemoryBudget.mib(self.cfg.memory_budget_mb),
            seed=self._seed,
        )
        self._kita_inputs()
        if "hze" in self.stages:
            self.hze_model = fitted_hze(self.ctx)  # as the run fitted it: same data and seed

    def _seed(self, stage: str) -> np.random.SeedSequence:
        from simulation.pipeline import SEED_KEYS

        return np.random.SeedSequence(self.cfg.seed, spawn_key=(SEED_KEYS[stage],))

    def _kita_inputs(self) -> None:
        """What the Kita stage prepares once: places, and the history path's quota shifts."""
        paths, city = self.paths, self.city
        self.places = None
        if city.has("kita_places"):
            self.places = places_by_kita_year(city.table("kita_places"), paths.years,
                                              paths.districts)  # fmt: skip
        self.shifts = {"U3": None, "Ue3": None}
        self.history = False
        if self.base.quota_path == "history":
            settings = kita_settings(self.cfg.kita, city.meta.get("state"))
            participation = _participation(city, settings, [])
            selections = select_quota_models(participation, paths.districts, settings)
            if selections:
                rngs = None
                if paths.draws > 1:
                    rngs = [np.random.default_rng(s) for s in self._seed("kita").spawn(paths.draws)]
                self.shifts = history_shifts(selections, paths.years, paths.districts, rngs,
                                             paths.draws)  # fmt: skip
                self.history = True

    @property
    def paths_offered(self) -> tuple[str, ...]:
        return PATHS + (("history",) if self.history else ())

    def kita(self, assumptions: Assumptions) -> pd.DataFrame:
        """The Kita stage's projected rows under ``assumptions`` (as in the run's results)."""
        if "kita" not in self.stages:
            return pd.DataFrame()
        cfg = assumptions.apply(self.cfg)
        settings = kita_settings(cfg.kita, self.city.meta.get("state"))
        demand = settings.demand
        if demand.path == "history" and not self.history:
            demand = replace(demand, path="constant")  # as the stage falls back
        stats, units, _ = _block_statistics(self.ctx, self.paths, settings, demand, self.shifts,
                                            self.places)  # fmt: skip
        return _projected_rows(stats, units, self.paths)

    def hze(self, assumptions: Assumptions) -> pd.DataFrame:
        """The hze stage's rows (means and quantiles) under ``assumptions``."""
        if "hze" not in self.stages:
            return pd.DataFrame()
        cfg = assumptions.apply(self.cfg)
        costs, paths, model = cost_assumptions(cfg.hze), self.paths, self.hze_model
        register, reg_years = population_array(self.city)
        root = self._seed("hze")
        draw_seq = np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, 1))
        years = np.arange(model.last_year + 1, int(paths.years[-1]) + 1)
        n = paths.draws if paths.stochastic else int(cfg.hze.draws)
        seeds = draw_seq.spawn(n)
        change = float(cfg.hze.rate_change.value)
        fixed = None if paths.stochastic else future_exposure(paths, register, reg_years, years)
        with HzeDraws(years, model.districts, model.codes, n, costs.price_year,
                      self.ctx.budget) as kept:  # fmt: skip
            for first in range(0, n, self.ctx.block):
                last = min(first + self.ctx.block, n)
                exposure, u21 = fixed or future_exposure(
                    paths.select(first, last), register, reg_years, years
                )
                fc = forecast_hze(model, exposure, u21, years, last - first, seeds[first:last],
                                  costs, change)  # fmt: skip
                kept.write(first, fc)
            kept.reducer.added = n
            return pd.concat(
                [_hze_totals(kept._year(k, year)) for k, year in kept.reducer.by_year()],
                ignore_index=True,
            )

    def describe(self) -> dict:
        return {"run": str(self.run_dir), "assumptions": asdict(self.base)}
