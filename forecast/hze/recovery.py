"""Parameter recovery and interval coverage of the rate models on data with a known truth.

*Recovery*: begun cases are simulated from known rates (a city rate in the reference year,
district multipliers, a trend, optionally negative-binomial noise and common year shocks); a
model is fitted and its central 90 % interval of each known quantity is checked. A calibrated
model covers the truth in about 90 % of repetitions.

*Coverage*: the share of observed values inside the central 80 % / 90 % predictive intervals of a
rolling-origin backtest (``forecast.hze.selection``).

The full study runs in ``validation/validate_hze_recovery.py``; the test suite runs a few
repetitions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.hze.rate_models import RateModel
from forecast.hze.selection import origins_for, rolling_origin
from forecast.hze.series import CountSeries


@dataclass(frozen=True)
class RecoveryDesign:
    """The known truth of a recovery experiment.

    Attributes:
        years: number of years T.
        districts: number of districts D.
        exposure: range of the districts' weighted exposure, persons.
        rate: city begun rate in the last year, cases per weighted person-year.
        trend: log change of the rate per year.
        district_sd: sd of the log district multipliers.
        nb_alpha: negative-binomial dispersion (0 = Poisson).
        shock_sd: sd of the common log year shock.
    """

    years: int = 12
    districts: int = 10
    exposure: tuple[float, float] = (500.0, 3000.0)
    rate: float = 0.003
    trend: float = 0.02
    district_sd: float = 0.3
    nb_alpha: float = 0.0
    shock_sd: float = 0.0

    def draw(self, rng: np.random.Generator) -> tuple[CountSeries, float, np.ndarray]:
        """A synthetic series and its truth: (series, city rate in the last year, district rates)."""
        years = np.arange(2026 - self.years, 2026)
        e = rng.uniform(*self.exposure, self.districts)
        mult = np.exp(self.district_sd * rng.standard_normal(self.districts))
        district_rate = self.rate * mult
        city_rate = float((district_rate * e).sum() / e.sum())
        trend = np.exp(self.trend * (years - years[-1]))
        shock = np.exp(self.shock_sd * rng.standard_normal(self.years))
        mu = e * district_rate * (trend * shock)[:, None]
        if self.nb_alpha > 0:
            mu = rng.gamma(1.0 / self.nb_alpha, self.nb_alpha * mu)
        begun = rng.poisson(mu).astype(float)
        return (
            CountSeries(years, np.broadcast_to(e, mu.shape).copy(), begun),
            city_rate,
            district_rate,
        )


def recovery(
    factory: Callable[[], RateModel],
    design: RecoveryDesign,
    repetitions: int,
    rng: np.random.Generator,
    level: float = 0.9,
    n_draws: int = 2000,
) -> dict[str, float]:
    """Share of repetitions whose central ``level`` interval covers each known quantity.

    Returns:
        ``city_rate`` (rate of the whole city in the last year), ``district_rate`` (share over
        all districts and repetitions) and, for models with a trend, ``trend``.
    """
    q = ((1 - level) / 2, (1 + level) / 2)
    hits: dict[str, list[float]] = {"city_rate": [], "district_rate": []}
    for _ in range(repetitions):
        series, city_rate, district_rate = design.draw(rng)
        model = factory().fit(series)
        last = CountSeries(series.years[-1:], series.exposure[-1:])
        mu = model.expected_draws(last, n_draws, rng, shocks=False)[:, 0, :]  # (n, D)
        rates = mu / last.exposure[0]
        lo, hi = np.quantile(rates, q, axis=0)
        hits["district_rate"].extend((lo <= district_rate) & (district_rate <= hi))
        city = mu.sum(1) / last.exposure[0].sum()
        lo, hi = np.quantile(city, q)
        hits["city_rate"].append(lo <= city_rate <= hi)
        if model.trend:
            se = np.sqrt(model.cov_[1, 1])
            z = abs(model.beta_[1] - design.trend) / se
            hits.setdefault("trend", []).append(z <= _z(level))
    return {k: float(np.mean(v)) for k, v in hits.items()}


def backtest_coverage(
    factory: Callable[[], RateModel],
    series: CountSeries,
    n_origins: int,
    horizon: int,
    rng: np.random.Generator,
    min_train: int = 4,
    n_sims: int = 400,
) -> pd.DataFrame:
    """Scored cells of a rolling-origin backtest (columns ``in80``, ``in90`` per cell)."""
    districts = tuple(f"d{i}" for i in range(series.exposure.shape[1]))
    origins = origins_for(series.years, n_origins, min_train)
    return rolling_origin(factory, series, origins, horizon, n_sims, rng, districts)


def _z(level: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf((1 + level) / 2))
