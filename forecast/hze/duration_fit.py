"""Estimate a Hilfeart's mean duration from a city's begun, ended and running cases.

Given the stock running at 31.12. of the first year and the cases begun in later years, a
duration distribution predicts the cases ended in each later year (``durations.expected_flows``).
The mean (Weibull shape held fixed) is estimated by maximising a Poisson likelihood of the ended
cases times a lognormal prior centred on the catalogue's mean duration, whose 5 %..95 % interval
is the catalogue range. Its standard error comes from the curvature of the log posterior; the
forecast draws durations from an evenly weighted grid of posterior quantiles.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.stats import norm

from forecast.hze.catalogue import Z95
from forecast.hze.durations import MAX_MONTHS, MonthlyDuration, expected_flows, weibull_duration

MIN_ENDED = 5
"""Fewer ended cases than this (after the first year): the prior alone is used."""


@dataclass(frozen=True)
class DurationEstimate:
    """Posterior of a Hilfeart's mean duration (lognormal).

    Attributes:
        mean: posterior mode of the mean duration, months.
        log_se: standard error of its logarithm.
        shape: Weibull shape held fixed.
        source: ``city history`` or ``catalogue`` (prior only).
    """

    mean: float
    log_se: float
    shape: float
    source: str

    def grid(self, points: int) -> tuple[MonthlyDuration, ...]:
        """Equally likely durations at the posterior's quantiles (i + 0.5) / points."""
        z = norm.ppf((np.arange(points) + 0.5) / points)
        means = np.clip(self.mean * np.exp(self.log_se * z), 1.05, MAX_MONTHS / 2 - 1)
        return tuple(weibull_duration(float(m), self.shape) for m in means)

    @property
    def interval90(self) -> tuple[float, float]:
        """5 %..95 % interval of the mean duration, months."""
        return (self.mean * np.exp(-Z95 * self.log_se), self.mean * np.exp(Z95 * self.log_se))


def prior_estimate(mean: float, lo: float, hi: float, shape: float) -> DurationEstimate:
    """The catalogue's mean duration with its range as 5 %..95 % interval."""
    return DurationEstimate(mean, float(np.log(hi / lo) / (2 * Z95)), shape, "catalogue")


def fit_duration(
    begun: np.ndarray,
    ended: np.ndarray,
    running: np.ndarray,
    prior: DurationEstimate,
) -> DurationEstimate:
    """Posterior mode and standard error of the mean duration from city totals.

    Args:
        begun: cases begun per year, shape (T,).
        ended: cases ended per year, shape (T,).
        running: cases running at 31.12., shape (T,); only the first year's is used (the stock).
        prior: prior mean, spread and shape (``prior_estimate``).

    Returns:
        The posterior; the prior itself when the history holds fewer than ``MIN_ENDED`` ended
        cases after its first year.
    """
    begun, ended = np.asarray(begun, float), np.asarray(ended, float)
    if begun.size < 2 or ended[1:].sum() < MIN_ENDED:
        return prior
    stock, b, y = float(running[0]), begun[1:], ended[1:]
    mu0, s0 = np.log(prior.mean), prior.log_se

    def neg_log_post(log_mean: float) -> float:
        dur = weibull_duration(float(np.exp(log_mean)), prior.shape)
        pred = np.maximum(expected_flows(b, dur, stock).ended, 1e-9)
        return float((pred - y * np.log(pred)).sum() + 0.5 * ((log_mean - mu0) / s0) ** 2)

    bounds = (np.log(1.1), np.log(MAX_MONTHS / 2 - 1))
    res = minimize_scalar(neg_log_post, bounds=bounds, method="bounded", options={"xatol": 1e-4})
    x, h = float(res.x), 1e-3
    curv = (neg_log_post(x + h) - 2 * neg_log_post(x) + neg_log_post(x - h)) / h**2
    se = 1.0 / np.sqrt(curv) if curv > 0 else s0
    return DurationEstimate(float(np.exp(x)), float(min(se, s0)), prior.shape, "city history")
