"""Choose a rate model and a reconciliation by rolling-origin backtests.

For each origin (a past year), a candidate is fitted to the years up to the origin and simulates
the next ``horizon`` years; its predictive samples are scored against what was observed with the
continuous ranked probability score (CRPS, lower is better), relative to the observed totals of
each level (districts, city) with both levels weighted equally, and averaged over origins and
horizons (``total_score``). The same runs give the share of observed
values inside the central 80 % and 90 % intervals (coverage).

References:
    Tashman, L. J. (2000). Out-of-sample tests of forecasting accuracy: an analysis and review.
        International Journal of Forecasting 16, 437-450 (rolling origin).
    Gneiting, T., Raftery, A. E. (2007). Strictly proper scoring rules, prediction, and
        estimation. JASA 102, 359-378 (CRPS).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from forecast.contract import CITY_DISTRICT
from forecast.forecaster import cross_validate
from forecast.hze.rate_models import RateModel
from forecast.hze.reconcile import METHODS, reconcile
from forecast.hze.series import CountSeries

LEVELS = (0.8, 0.9)
"""Central interval levels whose coverage is reported."""


def crps_samples(samples: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """CRPS of an ensemble, ``E|X - y| - E|X - X'| / 2``, for each cell.

    Args:
        samples: draws, shape (S, ...).
        observed: observed values, shape (...).

    Returns:
        CRPS per cell, shape (...), in the unit of the data.
    """
    s = np.sort(samples, axis=0)
    n = s.shape[0]
    weights = (2 * np.arange(1, n + 1) - n - 1).reshape((n,) + (1,) * (s.ndim - 1))
    spread = 2.0 * (weights * s).sum(0) / n**2
    return np.abs(s - observed).mean(0) - 0.5 * spread


def origins_for(years: np.ndarray, n_origins: int, min_train: int) -> list[int]:
    """The last ``n_origins`` years that leave ``min_train`` years to fit and one to test."""
    usable = years[min_train - 1 : -1]
    return [int(y) for y in usable[-n_origins:]] if n_origins > 0 else []


def score_table(
    samples: np.ndarray,
    observed: np.ndarray,
    years: np.ndarray,
    districts: tuple[str, ...],
    origin: int,
) -> pd.DataFrame:
    """Scores of district and city samples (S, h, D) against observed (h, D), long format."""
    samples = np.concatenate([samples, samples.sum(-1, keepdims=True)], -1)
    observed = np.concatenate([observed, np.nansum(observed, -1, keepdims=True)], -1)
    cols = {
        "crps": crps_samples(samples, observed),
        "mean": samples.mean(0),
        "observed": observed,
    }
    for level in LEVELS:
        lo, hi = np.quantile(samples, [(1 - level) / 2, (1 + level) / 2], axis=0)
        cols[f"in{round(level * 100)}"] = ((observed >= lo) & (observed <= hi)).astype(float)
    h, d = observed.shape
    frame = pd.DataFrame({k: v.ravel() for k, v in cols.items()})
    frame.insert(0, "district", np.tile(np.array([*districts, CITY_DISTRICT]), h))
    frame.insert(0, "year", np.repeat(years, d))
    frame.insert(0, "horizon", np.repeat(years - origin, d))
    frame.insert(0, "origin", origin)
    ok = np.isfinite(observed.ravel())
    return frame[ok].reset_index(drop=True)


def rolling_origin(
    factory: Callable[[], RateModel],
    series: CountSeries,
    origins: list[int],
    horizon: int,
    n_sims: int,
    rng: np.random.Generator,
    districts: tuple[str, ...],
) -> pd.DataFrame:
    """Backtest one model: fit up to each origin, score the next ``horizon`` years.

    The folds come from ``cross_validate`` (one ``rng`` stream through the origins, in order);
    the scores use the folds' predictive samples.
    """
    folds = cross_validate(
        factory(), series, horizon, origins, level=LEVELS, rng=rng, n_samples=n_sims
    )
    frames = [
        score_table(f.forecast.samples, f.actual, f.forecast.years, districts, f.origin)
        for f in folds
    ]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def total_score(table: pd.DataFrame) -> float:
    """Relative CRPS with the two levels weighted equally, averaged over origins and horizons.

    Per origin and year: (sum of the districts' CRPS / their observed total + the city's CRPS /
    the city's observed total) / 2. Summing raw CRPS would let the districts outweigh the city
    (the city total is what the budget needs); dividing by the observed totals makes the two
    levels comparable.
    """
    city = table["district"] == CITY_DISTRICT
    parts = []
    for level in (~city, city):
        g = table[level].groupby(["origin", "year"])
        parts.append(g["crps"].sum() / np.maximum(g["observed"].sum(), 1.0))
    return float(((parts[0] + parts[1]) / 2).mean())


def select_model(
    candidates: dict[str, Callable[[], RateModel]],
    series: CountSeries,
    origins: list[int],
    horizon: int,
    n_sims: int,
    rng: np.random.Generator,
    districts: tuple[str, ...],
) -> tuple[str, pd.DataFrame, pd.DataFrame]:
    """Backtest every candidate; the one with the lowest total CRPS wins (first on ties).

    Returns:
        (winner, one row per candidate with score and coverage, the winner's scored cells).
    """
    rows, tables = [], {}
    for name, factory in candidates.items():
        try:
            table = rolling_origin(factory, series, origins, horizon, n_sims, rng, districts)
        except (ValueError, np.linalg.LinAlgError) as err:  # e.g. no cases before an origin
            rows.append({"candidate": name, "score": np.inf, "error": str(err)})
            continue
        tables[name] = table
        rows.append({"candidate": name, "score": total_score(table), **coverage(table)})
    summary = pd.DataFrame(rows)
    best = str(summary.loc[summary["score"].idxmin(), "candidate"])
    return best, summary, tables[best]


def coverage(table: pd.DataFrame) -> dict[str, float]:
    """Share of observed values inside the 80 % / 90 % intervals, districts and city apart."""
    city = table["district"] == CITY_DISTRICT
    out = {}
    for level in LEVELS:
        col = f"in{round(level * 100)}"
        out[f"coverage{round(level * 100)}_district"] = float(table.loc[~city, col].mean())
        out[f"coverage{round(level * 100)}_city"] = float(table.loc[city, col].mean())
    return out


def select_reconciliation(
    factory: Callable[[], RateModel],
    series: CountSeries,
    origins: list[int],
    horizon: int,
    n_sims: int,
    seed: int,
    districts: tuple[str, ...],
) -> tuple[str, dict[str, float]]:
    """Bottom-up or MinT (non-negative) by backtest, with common random numbers for both.

    Returns:
        (winner, total CRPS per method).
    """
    scores: dict[str, list[pd.DataFrame]] = {m: [] for m in METHODS}
    for k, origin in enumerate(origins):
        train, test = series.until(origin), series.after(origin, horizon)
        observed = series.begun[np.isin(series.years, test.years)]
        model, city = factory().fit(train), factory().fit(train.city())
        rng = np.random.default_rng([seed, k])
        mu = model.expected_draws(test, n_sims, rng)
        mu_city = city.expected_draws(test.city(), n_sims, rng)[..., 0]
        for method in METHODS:
            rec = reconcile(method, mu, mu_city, model.residual_var_, float(city.residual_var_[0]))
            counts = model.count_draws(rec, np.random.default_rng([seed, k, 1]))
            scores[method].append(score_table(counts, observed, test.years, districts, origin))
    totals = {m: total_score(pd.concat(t, ignore_index=True)) for m, t in scores.items()}
    return min(METHODS, key=lambda m: (totals[m], METHODS.index(m))), totals
