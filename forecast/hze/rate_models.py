"""Rate models for begun HzE cases: count regressions with the population as exposure.

Every model describes the begun cases of one Hilfeart in year t and district d as

    mu[t, d] = E[t, d] * exp(x[t, d] @ beta) * m[d] * s[t],        y[t, d] ~ Poisson or NB(mu)

with E the age-weighted exposure (``forecast.hze.history``); the shared machinery is
``forecast.hze.rate_base.RateModel``, x = (1, trend, covariates), m a
district multiplier shrunk toward 1 (Gamma-Poisson, empirical Bayes) and s a common year shock
with mean 1 and variance ``phi``. The models differ in how they get beta and the noise:

* ``NationalRate``: no fit; the national rate with its spread between Jugendämter (CV 0.4).
* ``GammaPoissonRate``: a constant rate, the national rate as a Gamma prior updated by the city's
  cases (conjugate); the fallback for short series.
* ``PoissonRate``: Poisson GLM (statsmodels) with Poisson noise in each district.
* ``NegBinRate``: negative binomial (NB2) regression, extra noise in each district.

Both regressions estimate the year-shock variance from the city totals (shrunk toward the national
value) and inflate the coefficients' covariance by the city totals' over-dispersion.

All follow the forecaster contract (``forecast.forecaster``, tested once for all families):
``fit(series)`` returns the model; ``predict(h, level, X_future=future, rng=, n_samples=)`` a
``Forecast`` with the expected counts as mean and intervals and samples from ``simulate``, which
returns non-negative whole counts; ``expected(future)`` is the mean alone. The future's exposure
(and covariates) come in ``X_future``, a ``CountSeries`` of h years. A trend is damped in the
forecast years (contribution ``rho + rho**2 + ... + rho**h`` after h years).

References:
    Cameron, A. C., Trivedi, P. K. (2013). Regression Analysis of Count Data, 2nd ed., ch. 3-4.
    Clayton, D., Kaldor, J. (1987). Empirical Bayes estimates of age-standardized relative risks.
        Biometrics 43, 671-681 (Gamma-Poisson shrinkage of area rates).
    Gardner, E. S., McKenzie, E. (1985). Forecasting trends in time series. Management Science 31.
"""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
from statsmodels.discrete.discrete_model import NegativeBinomial
from statsmodels.genmod import families
from statsmodels.genmod.generalized_linear_model import GLM

from forecast.hze.catalogue import NATIONAL_YEAR_SHOCK_VAR
from forecast.hze.rate_base import (
    N_SAMPLES,
    NATIONAL_CV,
    SHOCK_PRIOR_YEARS,
    TAU2_BOUNDS,
    RateModel,
)
from forecast.hze.series import CountSeries

__all__ = [
    "MODELS",
    "N_SAMPLES",
    "NATIONAL_CV",
    "SHOCK_PRIOR_YEARS",
    "TAU2_BOUNDS",
    "GammaPoissonRate",
    "NationalRate",
    "NegBinRate",
    "PoissonRate",
    "RateModel",
]


class NationalRate(RateModel):
    """The national rate, uncertain by its spread between Jugendämter; ignores the city's counts."""

    name = "national"

    def __init__(self, national_rate: float | None = None, cv: float = NATIONAL_CV) -> None:
        super().__init__(trend=False, national_rate=national_rate, district_effects=False)
        self.cv = cv

    def fit(self, series: CountSeries, X: None = None) -> NationalRate:
        """Nothing to estimate; the series only fixes the district count and reference year."""
        if self.national_rate is None:
            raise ValueError("national: no national rate given for this Hilfeart")
        begun = series.begun if series.begun is not None else np.full(series.exposure.shape, np.nan)
        return super().fit(replace(series, begun=begun, covariates=None), X)

    def _fit_beta(self, series: CountSeries) -> None:
        self.sigma_ = float(np.sqrt(np.log1p(self.cv**2)))
        self.beta_ = np.array([np.log(self.national_rate)])
        self.cov_ = np.array([[self.sigma_**2]])
        self.phi_ = NATIONAL_YEAR_SHOCK_VAR

    def _draw_beta(self, n: int, rng: np.random.Generator) -> np.ndarray:
        # Lognormal with mean equal to the national rate.
        return (self.beta_[0] - 0.5 * self.sigma_**2 + self.sigma_ * rng.standard_normal(n))[
            :, None
        ]

    def _design(self, s: CountSeries) -> np.ndarray:
        return np.ones((*s.exposure.shape, 1))


class GammaPoissonRate(RateModel):
    """Constant rate: the national rate as a Gamma prior (CV 0.4) updated by the city's cases.

    The posterior of the city rate is Gamma(a0 + cases, b0 + expected/rate); districts are shrunk
    toward the city. Used when a series is too short for a regression.
    """

    name = "gamma_poisson"

    def __init__(self, national_rate: float | None = None, cv: float = NATIONAL_CV) -> None:
        super().__init__(trend=False, national_rate=national_rate)
        self.cv = cv

    def fit(self, series: CountSeries, X: None = None) -> GammaPoissonRate:
        return super().fit(replace(series, covariates=None), X)

    def _fit_beta(self, series: CountSeries) -> None:
        y, e = series.begun, series.exposure
        ok = np.isfinite(y)
        cases, expo = np.where(ok, y, 0.0).sum(), np.where(ok, e, 0.0).sum()
        if self.national_rate is not None:
            a0 = 1.0 / self.cv**2
            b0 = a0 / self.national_rate
        else:  # no prior: a vague one at the city's own level (half a case)
            a0, b0 = 0.5, 0.5 * expo / max(cases, 0.5)
        self._fit_shape_rate(a0 + cases, b0 + expo)
        self._shrink_districts(series, e * np.exp(self.beta_[0]))
        mult = self.multipliers_
        self._fit_shape_rate(a0 + cases, b0 + (np.where(ok, e, 0.0) * mult).sum())
        self.phi_ = NATIONAL_YEAR_SHOCK_VAR

    def _fit_shape_rate(self, shape: float, rate: float) -> None:
        self.post_shape_, self.post_rate_ = float(shape), float(rate)
        self.beta_ = np.array([np.log(shape / rate)])
        self.cov_ = np.array([[1.0 / shape]])  # variance of the log of a Gamma, approximately

    def _draw_beta(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return np.log(rng.gamma(self.post_shape_, 1.0 / self.post_rate_, size=n))[:, None]


class PoissonRate(RateModel):
    """Poisson GLM with log link and the exposure as offset; Poisson noise around rates that move
    together by year (year-shock variance from the city totals, shrunk toward the national one).

    Args:
        covariates: use the series' covariates (centred) as regressors.
        (others as ``RateModel``)
    """

    name = "poisson"

    def __init__(
        self,
        trend: bool = False,
        covariates: bool = False,
        damping: float = 0.8,
        national_rate: float | None = None,
        district_effects: bool = True,
    ) -> None:
        super().__init__(trend, damping, national_rate, district_effects)
        self.covariates = covariates

    def fit(self, series: CountSeries, X: None = None) -> RateModel:
        if series.begun is not None and np.nansum(series.begun) <= 0:
            raise ValueError(f"{self.name}: no begun cases to fit a regression to")
        if not self.covariates:
            series = replace(series, covariates=None)
        elif series.covariates is None:
            raise ValueError(f"{self.name}: covariates requested but the series has none")
        return super().fit(series, X)

    def _fit_beta(self, series: CountSeries) -> None:
        y, e = series.begun, series.exposure
        ok = np.isfinite(y) & (e > 0)
        x = self._design(series)
        mult = np.ones(y.shape[1])
        for _ in range(4):  # backfit: coefficients given multipliers, multipliers given them
            offset = np.log(e * mult)[ok]
            res = self._glm(y[ok], x[ok], offset)
            self.beta_ = np.asarray(res.params[: x.shape[-1]], float)
            self._shrink_districts(series, e * np.exp(x @ self.beta_))
            if np.allclose(self.multipliers_, mult, rtol=1e-4):
                break
            mult = self.multipliers_
        self.cov_ = np.asarray(res.cov_params(), float)[: x.shape[-1], : x.shape[-1]]
        self._after_glm(series, res)

    def _glm(self, y: np.ndarray, x: np.ndarray, offset: np.ndarray):
        return GLM(y, x, family=families.Poisson(), offset=offset).fit()

    def _after_glm(self, series: CountSeries, res) -> None:
        """Year shocks and parameter covariance from the over-dispersion of the city totals.

        The year-shock variance is the moment estimate from the city totals beyond the count
        noise, shrunk toward the national value with ``SHOCK_PRIOR_YEARS`` of weight; the
        coefficients' covariance is inflated by the Pearson ratio of the city totals when above 1
        (quasi-likelihood: years that move together carry less information than the cells).
        """
        ratio, phi = self._city_dispersion(series)
        years = int(np.isfinite(series.begun).any(axis=1).sum())
        self.phi_ = (years * phi + SHOCK_PRIOR_YEARS * NATIONAL_YEAR_SHOCK_VAR) / (
            years + SHOCK_PRIOR_YEARS
        )
        self.cov_ = self.cov_ * max(1.0, ratio)


class NegBinRate(PoissonRate):
    """Negative binomial (NB2) regression: count noise beyond Poisson in each district and year.

    Year shocks and covariance as ``PoissonRate``, with the NB variance of the city totals; when
    the dispersion tends to 0 (no over-dispersion between districts) the Poisson fit is kept.
    """

    name = "negbin"
    count_noise = "negbin"

    def _glm(self, y: np.ndarray, x: np.ndarray, offset: np.ndarray):
        poisson = GLM(y, x, family=families.Poisson(), offset=offset).fit()
        model = NegativeBinomial(y, x, offset=offset, loglike_method="nb2")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence chatter when alpha tends to 0
            res = model.fit(
                start_params=np.append(poisson.params, 0.1), disp=0, method="bfgs", maxiter=400
            )
            try:
                cov = np.asarray(res.cov_params(), float)
            except ValueError:  # singular Hessian: alpha at its boundary 0
                cov = None
        alpha = float(res.params[-1])
        if cov is None or not np.all(np.isfinite(cov)) or alpha < 1e-6:
            self.alpha_ = 0.0  # no over-dispersion between districts: the Poisson fit
            return poisson
        self.alpha_ = float(min(alpha, 10.0))
        return res


MODELS: dict[str, type[RateModel]] = {
    m.name: m for m in (NationalRate, GammaPoissonRate, PoissonRate, NegBinRate)
}
"""Rate model classes by name (the values of ``hze.model`` besides ``auto``)."""
