"""Empirical coverage of the stochastic projection's intervals against a later register year."""

from __future__ import annotations

import numpy as np

from forecast.citydata import CityData
from forecast.population.calibrate import calibrate
from forecast.population.draws import QUANTILES, RESULT_AGE_GROUPS, group_label, simulate_population
from forecast.population.engine import make_plan
from forecast.population.estimate import EstimationSettings, estimate_base_rates, population_array
from forecast.population.projection import PopulationAssumptions


def interval_coverage(
    city: CityData,
    base_year: int,
    target_year: int,
    draws: int,
    seed: int,
    settings: EstimationSettings | None = None,
    assumptions: PopulationAssumptions | None = None,
    level: tuple[float, float] = (0.10, 0.90),
) -> dict:
    """Share of city sex x age-group cells (and district totals) of ``target_year`` inside the
    ``level`` interval of a projection from ``base_year`` calibrated on data up to ``base_year``.
    """
    settings = settings or EstimationSettings(base_year=base_year)
    assumptions = assumptions or PopulationAssumptions()
    history = city.restrict_to(base_year)
    rates = estimate_base_rates(history, settings)
    processes, report = calibrate(history, rates, settings, assumptions)
    plan = make_plan(rates, assumptions, target_year - base_year)
    sim = simulate_population(
        plan, rates.districts, processes, draws, np.random.SeedSequence(seed), keep_samples=False
    )
    pop, years = population_array(city)
    observed = pop[list(years).index(target_year)]  # (D, 2, A)
    starts = np.array([lo for lo, _ in RESULT_AGE_GROUPS])
    obs_city = np.add.reduceat(observed.sum(axis=0), starts, axis=-1)  # (2, G)
    lo_q, hi_q = QUANTILES.index(level[0]), QUANTILES.index(level[1])
    mid = QUANTILES.index(0.5)
    q = sim.quantiles[-1, :, -1]  # (Q, 2, G) city
    inside = (obs_city >= q[lo_q]) & (obs_city <= q[hi_q])
    obs_d = observed.sum(axis=(-1, -2))
    tq = sim.total_quantiles[-1, :, :-1]  # (Q, D)
    d_inside = (obs_d >= tq[lo_q]) & (obs_d <= tq[hi_q])
    table = [
        (
            f"{'fm'[s]} {group_label(*RESULT_AGE_GROUPS[g])}",
            int(obs_city[s, g]),
            int(q[lo_q, s, g]),
            int(q[mid, s, g]),
            int(q[hi_q, s, g]),
        )
        for s in range(2)
        for g in range(len(RESULT_AGE_GROUPS))
    ]
    return {
        "cells": int(inside.size),
        "cells_covered": int(inside.sum()),
        "coverage": float(inside.mean()),
        "districts": int(d_inside.size),
        "district_covered": int(d_inside.sum()),
        "district_coverage": float(d_inside.mean()),
        "migration_scale": float(report.get("backtest", {}).get("migration_scale", 1.0)),
        "calibration": report,
        "table": table,
    }
