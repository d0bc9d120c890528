"""Synthetic HzE histories from known rates and durations (for test cities and validation).

Begun cases follow the structure the rate models assume (``forecast.hze.rate_models``): a rate per
weighted person-year times the exposure, district multipliers, a trend, a common year shock and
negative-binomial noise per district; each case then runs for a duration drawn from its
Hilfeart's distribution (``forecast.hze.durations.simulate_flows``). The simulation starts
``burn_in`` years early from a steady-state stock, so the first reported stock is not empty.
A history made here is SYNTHETIC and must be labelled as such wherever it is stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecast.hze.durations import MonthlyDuration, simulate_flows


@dataclass(frozen=True)
class SyntheticRates:
    """The truth a synthetic history is drawn from.

    Attributes:
        begun_rate: Hilfeart -> begun cases per weighted person-year in ``ref_year``.
        multipliers: district multipliers, shape (D,) or (D, H) in ``begun_rate`` order.
        trend: change of the rates per year, log scale (0.02 = +2 %/yr).
        ref_year: year in which the rates hold exactly.
        year_shock_sd: sd of the common log year shock per Hilfeart.
        nb_alpha: negative-binomial dispersion per district and year (0 = Poisson).
        year_factors: extra factor on all rates in given years (e.g. {2020: 0.92}).
    """

    begun_rate: Mapping[str, float]
    multipliers: np.ndarray
    trend: float = 0.0
    ref_year: int = 2023
    year_shock_sd: float = 0.0
    nb_alpha: float = 0.0
    year_factors: Mapping[int, float] = field(default_factory=dict)


def simulate_history(
    years: np.ndarray,
    districts: tuple[str, ...],
    exposure: np.ndarray,
    truth: SyntheticRates,
    durations: Mapping[str, MonthlyDuration],
    rng: np.random.Generator,
    burn_in: int = 10,
) -> pd.DataFrame:
    """Simulate ``hze_cases`` rows (year, district, hilfeart, begun, ended, running).

    Args:
        years: consecutive calendar years to report, shape (T,).
        districts: district codes, length D.
        exposure: weighted person-years, shape (T, D, H) in ``truth.begun_rate`` order; the burn-in
            years use the first year's exposure.
        truth: rates, multipliers, trend and noise.
        durations: duration distribution per Hilfeart.
        rng: random generator.
        burn_in: years simulated before ``years[0]`` and not reported.

    Returns:
        One row per year x district x Hilfeart, counts as int64.
    """
    codes = tuple(truth.begun_rate)
    all_years = np.arange(years[0] - burn_in, years[-1] + 1)
    expo = np.concatenate([np.repeat(exposure[:1], burn_in, axis=0), exposure], axis=0)
    mult = np.asarray(truth.multipliers, float)
    mult = np.broadcast_to(mult[:, None] if mult.ndim == 1 else mult, expo.shape[1:])
    factor = np.exp(truth.trend * (all_years - truth.ref_year))
    factor *= np.array([truth.year_factors.get(int(y), 1.0) for y in all_years])
    frames = []
    for h, code in enumerate(codes):
        shock = np.exp(truth.year_shock_sd * rng.standard_normal(all_years.size))
        mu = truth.begun_rate[code] * expo[:, :, h] * mult[:, h] * (factor * shock)[:, None]
        if truth.nb_alpha > 0:
            mu = rng.gamma(1.0 / truth.nb_alpha, truth.nb_alpha * mu)
        begun = rng.poisson(mu).T  # (D, Y)
        dur = durations[code]
        stock = rng.poisson(
            truth.begun_rate[code] * expo[0, :, h] * mult[:, h] * factor[0] * (dur.mean - 1) / 12
        )
        flows = simulate_flows(begun, stock, dur, rng)
        keep = slice(burn_in, None)
        frames.append(
            pd.DataFrame(
                {
                    "year": np.repeat(years, len(districts)),
                    "district": np.tile(np.array(districts), len(years)),
                    "hilfeart": code,
                    "begun": flows.begun[:, keep].T.ravel(),
                    "ended": flows.ended[:, keep].T.ravel(),
                    "running": flows.running[:, keep].T.ravel(),
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    for col in ("begun", "ended", "running"):
        out[col] = np.rint(out[col]).astype(np.int64)
    return out.sort_values(["year", "district", "hilfeart"], kind="stable").reset_index(drop=True)
