"""Typed configuration of the HzE stage (config group ``hze``) and its conversion to library objects.

The defaults live once, in ``forecast/parameters/hze.yaml`` and the Hilfeart catalogue
``forecast/hze/hilfearten.yaml`` (national rates, durations, unit costs); ``conf/hze/*.yaml``
select a variant: ``default`` (national defaults of DOMAIN.md, model chosen by backtest),
``rising`` (rates rise 2 %/yr beyond the fitted model), ``national`` (ignore the
city's history: national rates only) and ``social`` (try social indicators as regressors).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from forecast.hze.catalogue import CATALOGUE
from forecast.hze.costs import CostAssumptions
from forecast.hze.settings import HzeSettings
from simulation.params import Param, as_param, default, default_of


@dataclass
class HzeBacktestConfig:
    """Rolling-origin backtests that choose the rate model and the reconciliation."""

    origins: int = 4
    horizon: int = 3
    min_train: int = 4
    sims: int = 200


def _per_hilfeart(name: str) -> dict[str, Param]:
    """One catalogue number per Hilfeart (``national_rate``, ``duration``, ``unit_cost``)."""
    return {h: as_param(c.params[name]) for h, c in CATALOGUE.items()}


@dataclass
class HzeCostConfig:
    """Unit costs (EUR per case-month; ``p28`` per begun case) and their price development."""

    price_year: int = default_of("hze.costs.price_year")
    unit_cost: dict[str, Param] = field(default_factory=lambda: _per_hilfeart("unit_cost"))
    growth: Param = default("hze.costs.growth")
    growth_noise: Param = default("hze.costs.growth_noise")
    inflation: Param = default("hze.costs.inflation")


@dataclass
class HzeConfig:
    """Settings of the HzE forecast (see ``forecast.hze.model.HzeSettings`` for their meaning).

    Attributes:
        variant: name of the YAML file.
        model: ``auto`` (rolling-origin backtest), ``national``, ``gamma_poisson``, ``poisson``,
            ``negbin``.
        trend: ``auto`` (backtest with and without), ``on``, ``off``.
        covariates: social indicators tried as regressors (``social`` file), e.g.
            ``[sgb2_rate_u15]``.
        reconciliation: ``auto``, ``bottom_up``, ``mint`` (non-negative MinT).
        draws: draws when the population is deterministic (else one per population draw).
        min_years_regression: shorter series use ``gamma_poisson`` (national rate updated by the
            city's cases).
        min_cases_regression: fewer begun cases over the series: ``gamma_poisson``.
        fit_durations: estimate mean durations from begun/ended/running (catalogue as prior).
        duration_grid: equally likely duration points carried into the forecast.
        backtest: rolling origins, years forecast from each, years before an origin, samples.
        costs: unit costs per Hilfeart and their price development.
        rate_change: scenario change of all begun rates per year beyond the fitted model.
        damping: damping of a fitted trend per forecast year.
        national_cv: spread of HzE rates between Jugendämter.
        national_rates: Fallzahl per 10,000 under 21 per Hilfeart (``null``: none of its own).
        durations: mean completed duration per Hilfeart, months; range = 5 %..95 %.
        figures: write the fan charts of cost and cases (German labels).
        reform_start: ``YYYY-MM`` when a reform (e.g. Sozialraumorientierung) started: the HzE
            model then uses the history up to the year before, so the run is the counterfactual
            of ``jhplan monitor``; None = the whole history up to the base year.
    """

    variant: str = "default"
    model: str = "auto"
    trend: str = "auto"
    covariates: list[str] = field(default_factory=list)
    reconciliation: str = "auto"
    draws: int = 500
    rate_change: Param = default("hze.rate_change")
    damping: Param = default("hze.damping")
    national_cv: Param = default("hze.national_cv")
    national_rates: dict[str, Param] = field(default_factory=lambda: _per_hilfeart("national_rate"))
    durations: dict[str, Param] = field(default_factory=lambda: _per_hilfeart("duration"))
    min_years_regression: int = 5
    min_cases_regression: int = 10
    fit_durations: bool = True
    duration_grid: int = 16
    backtest: HzeBacktestConfig = field(default_factory=HzeBacktestConfig)
    costs: HzeCostConfig = field(default_factory=HzeCostConfig)
    figures: bool = True
    reform_start: str | None = None


def reform_year(text: str) -> int:
    """The year of a ``YYYY-MM`` reform start (``hze.reform_start``).

    Raises:
        ValueError: not of the form ``YYYY-MM`` with a month 1..12.
    """
    m = re.fullmatch(r"(\d{4})-(\d{1,2})", str(text).strip())
    if m is None or not 1 <= int(m[2]) <= 12:
        raise ValueError(f"hze.reform_start={text!r}: expected YYYY-MM, e.g. 2025-10")
    return int(m[1])


def history_end(cfg: HzeConfig, base: int) -> int:
    """Last history year of the HzE model: the base year, or the year before ``reform_start``."""
    if cfg.reform_start is None:
        return base
    return min(base, reform_year(cfg.reform_start) - 1)


def hze_settings(cfg: HzeConfig) -> HzeSettings:
    """Library settings from the ``hze`` config group; Hilfearten not listed keep the catalogue."""
    rates = {h: c.national_rate for h, c in CATALOGUE.items()}
    rates.update(
        {h: (None if p.value is None else float(p.value)) for h, p in cfg.national_rates.items()}
    )
    durations = {
        h: (c.duration_months, c.duration_range, c.duration_shape) for h, c in CATALOGUE.items()
    }
    for h, p in cfg.durations.items():
        lo, hi = p.range if p.range else durations[h][1]
        durations[h] = (float(p.value), (float(lo), float(hi)), CATALOGUE[h].duration_shape)
    bt = cfg.backtest
    return HzeSettings(
        model=cfg.model,
        trend=cfg.trend,
        covariates=tuple(cfg.covariates),
        reconciliation=cfg.reconciliation,
        damping=float(cfg.damping.value),
        min_years_regression=cfg.min_years_regression,
        min_cases_regression=cfg.min_cases_regression,
        backtest_origins=bt.origins,
        backtest_horizon=bt.horizon,
        backtest_min_train=bt.min_train,
        backtest_sims=bt.sims,
        national_rates=rates,
        national_cv=float(cfg.national_cv.value),
        durations=durations,
        fit_durations=cfg.fit_durations,
        duration_grid=cfg.duration_grid,
    )


def cost_assumptions(cfg: HzeConfig) -> CostAssumptions:
    """Library cost assumptions from ``hze.costs``; Hilfearten not listed keep the catalogue."""
    base = CostAssumptions.defaults()
    unit = dict(base.unit_cost)
    ranges = dict(base.unit_cost_range)
    for h, p in cfg.costs.unit_cost.items():
        unit[h] = float(p.value)
        if p.range:
            ranges[h] = (float(p.range[0]), float(p.range[1]))
    c = cfg.costs
    growth_range = tuple(float(v) for v in c.growth.range) if c.growth.range else base.growth_range
    return CostAssumptions(
        unit_cost=unit,
        unit_cost_range=ranges,
        per_case=base.per_case,
        price_year=c.price_year,
        growth=float(c.growth.value),
        growth_range=growth_range,
        growth_noise=float(c.growth_noise.value),
        inflation=float(c.inflation.value),
    )
