"""What a rate model sees: count series of begun cases with their exposure (and covariates).

A ``CountSeries`` holds the begun cases of one Hilfeart by year and district together with the
exposure they relate to and, optionally, covariates; the same class describes future years
(without counts). Forecasts are ``forecast.forecaster.Forecast``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np


@dataclass(frozen=True)
class CountSeries:
    """Begun cases of one Hilfeart by year and district, with exposure and covariates.

    Attributes:
        years: calendar years, shape (T,).
        exposure: age-weighted person-years, shape (T, D).
        begun: cases begun, shape (T, D); NaN = not observed; None for future years.
        covariates: indicator values, shape (T, D, K), or None.
    """

    years: np.ndarray
    exposure: np.ndarray
    begun: np.ndarray | None = None
    covariates: np.ndarray | None = None

    def city(self) -> CountSeries:
        """The whole city as one district (covariates exposure-weighted)."""
        e = self.exposure.sum(axis=1, keepdims=True)
        cov = None
        if self.covariates is not None:
            cov = (self.covariates * self.exposure[..., None]).sum(
                axis=1, keepdims=True
            ) / np.maximum(e, 1e-12)[..., None]
        begun = None if self.begun is None else np.nansum(self.begun, axis=1, keepdims=True)
        return CountSeries(self.years, e, begun, cov)

    def until(self, year: int) -> CountSeries:
        """Years up to ``year``."""
        keep = self.years <= year
        return self._take(keep)

    def after(self, year: int, count: int | None = None) -> CountSeries:
        """Years after ``year`` (the first ``count`` of them), without the observed counts."""
        keep = self.years > year
        if count is not None:
            keep &= np.cumsum(keep) <= count
        return replace(self._take(keep), begun=None)

    def _take(self, keep: np.ndarray) -> CountSeries:
        cov = None if self.covariates is None else self.covariates[keep]
        begun = None if self.begun is None else self.begun[keep]
        return CountSeries(self.years[keep], self.exposure[keep], begun, cov)
