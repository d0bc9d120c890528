"""Ex-post evaluation of the HzE forecast from a past base year (``backtest.target=hze``).

The model is fitted to the history up to ``base_year`` and forecasts the following ``horizon``
years with the population the register later observed (perfect foresight of the population, so
that only the HzE part is judged). Observed begun cases, running stocks and Fallzahlen are then
compared with the forecast's median and 80 % interval, per Hilfeart, district and the city.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.citydata import CityData
from forecast.contract import CITY_DISTRICT
from forecast.hze.catalogue import CATALOGUE
from forecast.hze.costs import CostAssumptions
from forecast.hze.forecast import forecast_hze, future_exposure
from forecast.hze.history import HzeHistory, load_history, weighted_exposure
from forecast.hze.model import fit_hze
from forecast.hze.settings import HzeSettings
from forecast.population.estimate import population_array
from forecast.population.paths import YOUNG_AGES, PopulationPaths


def backtest_hze(
    city: CityData,
    base_year: int,
    horizon: int,
    settings: HzeSettings,
    n_draws: int = 300,
    seed: int = 0,
) -> pd.DataFrame:
    """Forecast from ``base_year`` and compare with what the city's ``hze_cases`` observed.

    Args:
        city: validated city data with ``hze_cases`` beyond ``base_year``.
        base_year: last year the model may see.
        horizon: years forecast (cut at the last observed year).
        settings: model settings.
        n_draws: draws of the forecast.
        seed: root seed.

    Returns:
        One row per Hilfeart (and ``Total``) x district (and ``_city``) x year x variable
        (``Begun``, ``Running``, ``Cases``): observed, mean, p10, p50, p90, error (p50 - observed)
        and ``in80`` (observed inside P10..P90).

    Raises:
        ValueError: the city has no hze_cases after ``base_year``.
    """
    history = load_history(city)
    if history is None:
        raise ValueError(f"backtest from {base_year}: the city has no hze_cases")
    reg, reg_years = population_array(city)
    return backtest_history(history, reg, reg_years, base_year, horizon, settings, n_draws, seed)


def backtest_history(
    history: HzeHistory,
    register: np.ndarray,
    register_years: np.ndarray,
    base_year: int,
    horizon: int,
    settings: HzeSettings,
    n_draws: int = 300,
    seed: int = 0,
) -> pd.DataFrame:
    """``backtest_hze`` on a history and register population (Y, D, 2, 101) given as arrays."""
    if history.years[-1] <= base_year:
        raise ValueError(
            f"backtest from {base_year}: no hze_cases after {base_year} to compare with"
        )
    years = np.arange(base_year + 1, min(base_year + horizon, int(history.years[-1])) + 1)
    at = int(np.searchsorted(register_years, base_year))
    root = np.random.SeedSequence(seed)
    model = fit_hze(
        history.until(base_year),
        history.districts,
        base_year,
        weighted_exposure(register[max(at - 1, 0) : at + 1], tuple(CATALOGUE))[-1],
        settings,
        seed=int(root.generate_state(1)[0]),
    )
    keep = (register_years >= base_year) & (register_years <= years[-1])
    paths = PopulationPaths(
        register_years[keep], history.districts, register[keep][None, ..., :YOUNG_AGES]
    )
    exposure, u21 = future_exposure(paths, register, register_years, years)
    fc = forecast_hze(
        model, exposure, u21, years, n_draws, root.spawn(n_draws), CostAssumptions.defaults()
    )
    t = np.isin(history.years, years)
    cols = [history.hilfearten.index(h) for h in fc.codes]
    observed = {
        "Begun": history.begun[t][..., cols],
        "Running": history.running[t][..., cols],
        "Cases": (history.running + history.ended)[t][..., cols],
    }
    grid = np.meshgrid(years, [*fc.districts, CITY_DISTRICT], [*fc.codes, "Total"], indexing="ij")
    rows = []
    for variable, obs in observed.items():
        obs = np.concatenate([obs, obs.sum(1, keepdims=True)], 1)
        obs = np.concatenate([obs, obs.sum(2, keepdims=True)], 2)  # (F, D+1, H+1)
        draws = fc.full(variable)
        q10, q50, q90 = np.quantile(draws, [0.1, 0.5, 0.9], axis=0)
        rows.append(
            pd.DataFrame(
                {
                    "year": grid[0].ravel(),
                    "district": grid[1].ravel(),
                    "hilfeart": grid[2].ravel(),
                    "variable": variable,
                    "observed": obs.ravel(),
                    "mean": draws.mean(0).ravel(),
                    "p10": q10.ravel(),
                    "p50": q50.ravel(),
                    "p90": q90.ravel(),
                }
            )
        )
    out = pd.concat(rows, ignore_index=True)
    out["error"] = out["p50"] - out["observed"]
    out["in80"] = (out["observed"] >= out["p10"]) & (out["observed"] <= out["p90"])
    return out.dropna(subset=["observed"]).reset_index(drop=True)
