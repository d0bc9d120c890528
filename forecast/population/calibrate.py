"""Calibrate the stochastic processes on a city's own history and on its backtest errors.

Step 1 (``calibrate_processes``): annual log levels of the city's births, deaths, migration
totals, moves between districts and district growth, relative to what the base rates expect, give
an AR(1) per component (``stochastic.fit_ar1``); Poisson noise of the counts is taken out.

Step 2 (``backtest_scale``): rolling-origin projections from every usable register year up to the
base year are compared with the register 1..5 years later, city-wide by sex and age group. The
ratio of the observed squared log errors to the model's predictive variance at the same origins
and horizons scales the migration processes, so that intervals are as wide as the city's own
forecast errors have been (they include what annual variation misses: changes of trend, a new
university building, refugee arrivals).

References:
    Keilman, N., Pham, D. Q., Hetland, A. (2002). Why population forecasts should be
    probabilistic: illustrated by the case of Norway. Demographic Research 6(15) (empirical
    errors of past forecasts as a basis for predictive intervals).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from forecast.citydata import CityData
from forecast.population.engine import ProjectionPlan, make_plan, run_steps
from forecast.population.estimate import (
    FERTILE,
    BaseRates,
    EstimationSettings,
    estimate_base_rates,
    population_array,
    usable_transitions,
)
from forecast.population.kernel import FEMALE, age_cohorts
from forecast.population.register import yearly_total
from forecast.population.stochastic import AR1, StochasticSettings, draw_shocks, fit_ar1

BACKTEST_GROUPS = ((0, 5), (6, 17), (18, 24), (25, 34), (35, 49), (50, 64), (65, 79), (80, 100))
"""Age groups of the backtest comparison (city-wide, by sex)."""


def calibrate_processes(
    city: CityData, rates: BaseRates, defaults: StochasticSettings
) -> tuple[StochasticSettings, dict]:
    """Fit every process the history allows; keep the default (and say so) where it does not."""
    pop, years = population_array(city)
    y_ix = {int(y): i for i, y in enumerate(years)}
    trans = usable_transitions(city, years, rates.base_year)
    report: dict[str, object] = {"transitions": [f"{t}->{t + 1}" for t in trans]}
    fitted = dict(defaults.processes())
    if len(trans) < 4:
        report["note"] = "fewer than 4 usable register transitions: default processes kept"
        return defaults, report
    flow_years = np.array(trans) + 1
    start = np.stack([pop[y_ix[t]] for t in trans])  # (T, D, 2, A)
    end = np.stack([pop[y_ix[t + 1]] for t in trans])
    women = 0.5 * (start[..., FEMALE, FERTILE] + end[..., FEMALE, FERTILE])
    expected_births = (rates.asfr * women).sum(axis=-1)  # (T, D)

    def use(name: str, series: np.ndarray, noise: np.ndarray | float) -> None:
        process, figures = fit_ar1(series, noise)
        if process.sigma > 0:
            fitted[name] = process
        else:
            # No variation beyond sampling noise in a short history is no evidence of none.
            figures["note"] = "no variation beyond sampling noise; default process kept"
        report[name] = figures

    if city.has("births"):
        observed = yearly_total(city, "births").reindex(flow_years).to_numpy(float)
        if not np.isnan(observed).any():
            use("fertility", np.log(observed / expected_births.sum(axis=1)), 1.0 / observed)
        births = city.table("births")
        detail = births[births["district"] != "_city"]
        if not detail.empty and len(city.district_codes) > 1:
            by_d = (
                detail.groupby(["year", "district"])["count"]
                .sum()
                .unstack()
                .reindex(index=flow_years, columns=list(city.district_codes))
                .to_numpy(float)
            )
            ratio = np.log(np.maximum(by_d, 0.5) / expected_births)
            city_part = np.log(by_d.sum(axis=1) / expected_births.sum(axis=1))[:, None]
            use("fertility_district", ratio - city_part, 1.0 / np.maximum(by_d, 1.0))
    if city.has("deaths"):
        observed = yearly_total(city, "deaths").reindex(flow_years).to_numpy(float)
        s, _ = rates.life_table.survival_ratios()
        cohorts = age_cohorts(start.sum(axis=1))
        expected = ((1.0 - s) * cohorts).sum(axis=(-1, -2))
        if not np.isnan(observed).any():
            use("mortality", np.log(observed / expected), 1.0 / observed)
    city_pop = start.sum(axis=(1, 2, 3))
    if city.has("migration"):
        for direction, name in (("in", "immigration"), ("out", "emigration")):
            flows = yearly_total(city, "migration", direction=direction).reindex(flow_years)
            flows = flows.to_numpy(float)
            if not np.isnan(flows).any() and (flows > 0).all():
                use(name, np.log(flows / city_pop), 1.0 / flows)
    else:
        # Only net migration is known (residual): carry its variation on immigration. Growth
        # includes the natural balance, which varies little and is demeaned with the rest.
        net = (end.sum(axis=(1, 2, 3)) - city_pop) / city_pop
        in_rate = rates.in_count.sum() / rates.population.sum()
        use("immigration", net / max(in_rate, 1e-6), 0.0)
        fitted["emigration"] = AR1(0.0, 0.0)
        report["emigration"] = "variation carried by immigration (only net migration known)"
    if len(city.district_codes) > 1:
        # District growth beyond the city's, in units of the district's in-migration level.
        d_start, d_end = start.sum(axis=(2, 3)), end.sum(axis=(2, 3))  # (T, D)
        growth = (d_end - d_start) / np.maximum(d_start, 1.0)
        excess = growth - ((d_end.sum(1) - d_start.sum(1)) / d_start.sum(1))[:, None]
        in_rate = rates.in_count.sum(axis=(1, 2)) / np.maximum(
            rates.population.sum(axis=(1, 2)), 1.0
        )
        turnover = 2.0 * rates.in_count.sum(axis=(1, 2))[None, :]  # in + out, persons per year
        noise = turnover / np.maximum(d_start, 1.0) ** 2 / np.maximum(in_rate, 1e-6) ** 2
        use("immigration_district", excess / np.maximum(in_rate, 1e-6)[None, :], noise)
        fitted["emigration_district"] = AR1(0.0, 0.0)
        report["emigration_district"] = "district variation carried by in-migration"
    if city.has("moves") and rates.internal is not None:
        table = city.table("moves")
        totals = (
            table[table["from_district"] != table["to_district"]].groupby("year")["count"].sum()
        )
        totals = totals.reindex(flow_years).to_numpy(float)
        if not np.isnan(totals).any() and (totals > 0).all():
            use("internal", np.log(totals / city_pop), 1.0 / totals)
    return StochasticSettings(**fitted), report


def _group_sums(population: np.ndarray) -> np.ndarray:
    """City-wide persons by sex and backtest age group: (..., D, 2, A) -> (..., 2, G)."""
    city = population.sum(axis=-3)
    return np.stack([city[..., lo : hi + 1].sum(axis=-1) for lo, hi in BACKTEST_GROUPS], axis=-1)


@dataclass(frozen=True)
class BacktestOrigin:
    """One rolling origin of the calibration backtests: what does not depend on the processes.

    Attributes:
        origin: register year the backtest projects from.
        plan: the variant path from that origin.
        targets: horizons with a register year to compare with.
        observed, projected: city persons by sex x backtest age group per target, (T, 2, G).
        turnover: yearly migration turnover per person of each age group at the origin, (G,).
    """

    origin: int
    plan: ProjectionPlan
    targets: tuple[int, ...]
    observed: np.ndarray
    projected: np.ndarray
    turnover: np.ndarray


def backtest_origins(
    city: CityData,
    estimation: EstimationSettings,
    assumptions,
    base_year: int,
    max_horizon: int = 5,
) -> list[BacktestOrigin]:
    """The usable rolling origins up to ``base_year`` with their plans and observations."""
    pop, years = population_array(city)
    y_ix = {int(y): i for i, y in enumerate(years)}
    bad = set(city.exclude_years)
    out = []
    for origin in usable_transitions(city, years, base_year):
        if origin + 1 > base_year or origin in bad:
            continue
        if len(usable_transitions(city, years, origin)) < estimation.base_period:
            continue
        horizon = min(max_horizon, base_year - origin)
        targets = [h for h in range(1, horizon + 1) if origin + h in y_ix and origin + h not in bad]
        if not targets:
            continue
        rates = estimate_base_rates(city, _with_base_year(estimation, origin))
        plan = make_plan(rates, assumptions, max(targets))
        point = [step.population for step in run_steps(plan)]
        # Yearly migration turnover (in + out) per person of each age group, for the age pattern.
        cohorts = age_cohorts(rates.population)
        flows = rates.in_count + rates.out_rate * cohorts
        turnover = _group_sums(flows).sum(axis=0) / np.maximum(_group_sums(cohorts).sum(axis=0), 1)
        out.append(
            BacktestOrigin(
                origin,
                plan,
                tuple(targets),
                np.stack([_group_sums(pop[y_ix[origin + h]]) for h in targets]),
                np.stack([_group_sums(point[h - 1]) for h in targets]),
                turnover,
            )
        )
    return out


def _simulated_sums(
    plan: ProjectionPlan, settings: StochasticSettings, seeds: list, chunk: int
) -> np.ndarray:
    """City persons by sex x backtest age group of every draw and year, (N, H, 2, G).

    Draws in blocks of ``chunk`` on the population-only (fused) path, so memory stays that of
    one block whatever the number of districts.
    """
    starts = np.array([lo for lo, _ in BACKTEST_GROUPS])
    group_of_age = np.searchsorted(starts, np.arange(plan.population.shape[-1]), "right") - 1
    out = np.empty((len(seeds), plan.horizon, 2, len(BACKTEST_GROUPS)))
    n_d = len(plan.population)
    for a in range(0, len(seeds), chunk):
        b = min(a + chunk, len(seeds))
        shocks = draw_shocks(settings, seeds[a:b], plan.horizon, n_d)
        for k, step in enumerate(run_steps(plan, shocks, False, group_of_age)):
            if step.grouped is not None:
                out[a:b, k] = step.grouped[:, -1]
            else:  # control totals: the sums are taken after the adjustment
                out[a:b, k] = _group_sums(step.population)
    return out


def backtest_scale(
    origins: list[BacktestOrigin],
    settings: StochasticSettings,
    draws: int = 200,
    seed: int = 0,
    chunk: int = 50,
) -> tuple[float, dict]:
    """Factor on the migration processes that matches predictive spread to backtest errors.

    Returns:
        The factor (1 when no backtest is possible; clipped to 0.5..4) and the figures.
    """
    n_g = len(BACKTEST_GROUPS)
    sq_err_g, pred_var_g, cells_g, horizon_g = np.zeros(n_g), np.zeros(n_g), np.zeros(n_g), 0.0
    turnover = np.zeros(n_g)
    for o in origins:
        seeds = np.random.SeedSequence([seed, o.origin]).spawn(draws)
        sims = _simulated_sums(o.plan, settings, seeds, chunk)
        for t, h in enumerate(o.targets):
            observed, projected = o.observed[t], o.projected[t]
            simulated = np.log(np.maximum(sims[:, h - 1], 1e-9))
            ok = (observed > 0) & (projected > 0)
            err = np.where(ok, np.log(np.where(ok, observed, 1) / np.where(ok, projected, 1)), 0)
            sq_err_g += (err**2).sum(axis=0)
            pred_var_g += np.where(ok, simulated.var(axis=0), 0).sum(axis=0)
            cells_g += ok.sum(axis=0)
            horizon_g += h * 2
        turnover = o.turnover
    origin_years = [o.origin for o in origins]
    cells = int(cells_g.sum())
    sq_err, pred_var = float(sq_err_g.sum()), float(pred_var_g.sum())
    if cells == 0 or pred_var <= 0:
        return 1.0, {"origins": origin_years, "note": "no backtest possible; scale 1"}
    raw = float(np.sqrt(sq_err / pred_var))
    factor = float(np.clip(raw, 0.5, 4.0))
    return factor, {
        "origins": origin_years,
        "cells": cells,
        "rms_log_error": round(float(np.sqrt(sq_err / cells)), 5),
        "model_sd_before": round(float(np.sqrt(pred_var / cells)), 5),
        "raw_ratio": round(raw, 4),
        "migration_scale": round(factor, 4),
        "_by_group": (sq_err_g, pred_var_g, cells_g, horizon_g / max(cells, 1), turnover),
    }


def _with_base_year(settings: EstimationSettings, base_year: int) -> EstimationSettings:
    return replace(settings, base_year=base_year)


def calibrate(
    city: CityData,
    rates: BaseRates,
    estimation: EstimationSettings,
    assumptions,
    defaults: StochasticSettings | None = None,
    use_backtests: bool = True,
) -> tuple[StochasticSettings, dict]:
    """Processes fitted to the history, then scaled to the city's backtest errors; with a report.

    The backtest step (1) scales the migration processes so that the pooled predictive variance
    of the city's sex x age-group cells equals the pooled squared backtest errors, then (2) gives
    each age group whose errors are still larger an age-pattern deviation of migration (an AR(1)
    factor on its in-migrants, its inverse on its out-rates) that closes the gap. One refinement
    pass re-measures each step, since the spread is not exactly linear in the sds.
    """
    settings, report = calibrate_processes(city, rates, defaults or StochasticSettings())
    if not use_backtests:
        report["processes"] = settings.as_dict()
        return settings, report

    origins = backtest_origins(city, estimation, assumptions, rates.base_year)

    def measure(candidate: StochasticSettings) -> tuple[float, dict]:
        return backtest_scale(origins, candidate)

    factor, bt = measure(settings)
    if bt.get("cells"):
        factor2, bt2 = measure(settings.migration_scaled(factor))
        factor = float(np.clip(factor * factor2, 0.5, 4.0))
        bt["refined_ratio"] = bt2.get("raw_ratio")
        settings = settings.migration_scaled(factor)
        sq, var, n, mean_h, turnover = bt2["_by_group"]
        n = np.maximum(n, 1)
        extra = np.maximum(sq / n - var / n * factor2**2, 0.0)
        # Start: an AR(1) factor z with sd sigma moves a group's log size by about
        # sigma * turnover per year, accumulating over the mean horizon (phi = 0.5: x 3).
        sigma = np.sqrt(extra / (3.0 * max(mean_h, 1.0))) / np.maximum(turnover, 1e-3)
        sigma = np.minimum(sigma, 1.0)
        if np.any(sigma > 0):
            trial = replace(settings, age_groups=BACKTEST_GROUPS, age_group_sigma=tuple(sigma))
            _, bt3 = measure(trial)
            sq3, var3, n3, _, _ = bt3["_by_group"]
            ratio = np.divide(sq3, var3, out=np.ones_like(sq3), where=var3 > 0)
            sigma = np.minimum(np.where(sigma > 0, sigma * np.sqrt(ratio), 0.0), 1.0)
            settings = replace(trial, age_group_sigma=tuple(float(x) for x in sigma))
        bt["migration_scale"] = round(factor, 4)
        bt["age_group_sigma"] = {
            f"{lo}-{hi}": round(float(x), 4)
            for (lo, hi), x in zip(BACKTEST_GROUPS, sigma, strict=True)
        }
    bt.pop("_by_group", None)
    report["backtest"] = bt
    report["processes"] = settings.as_dict()
    return settings, report
