"""Rate models for begun HzE cases: count regressions with the population as exposure.

Every model describes the begun cases of one Hilfeart in year t and district d as

    mu[t, d] = E[t, d] * exp(x[t, d] @ beta) * m[d] * s[t],        y[t, d] ~ Poisson or NB(mu)

with E the age-weighted exposure (``forecast.hze.history``), x = (1, trend, covariates), m a
district multiplier shrunk toward 1 (Gamma-Poisson, empirical Bayes) and s a common year shock
with mean 1 and variance ``phi``. The models differ in how they get beta and the noise:

* ``NationalRate``: no fit; the national rate with its spread between Jugendämter (CV 0.4).
* ``GammaPoissonRate``: a constant rate, the national rate as a Gamma prior updated by the city's
  cases (conjugate); the fallback for short series.
* ``PoissonRate``: Poisson GLM (statsmodels) with Poisson noise in each district.
* ``NegBinRate``: negative binomial (NB2) regression, extra noise in each district.

Both regressions estimate the year-shock variance from the city totals (shrunk toward the national
value) and inflate the coefficients' covariance by the city totals' over-dispersion.

All follow one contract (tested once for all, see STYLE.md): ``fit(series)`` returns the model,
``predict(future)`` the expected counts, ``forecast(series, future)`` equals fit + predict and adds
an interval, ``simulate(future, n, rng)`` returns non-negative whole counts. A trend is damped in
the forecast years (contribution ``rho + rho**2 + ... + rho**h`` after h years).

References:
    Cameron, A. C., Trivedi, P. K. (2013). Regression Analysis of Count Data, 2nd ed., ch. 3-4.
    Clayton, D., Kaldor, J. (1987). Empirical Bayes estimates of age-standardized relative risks.
        Biometrics 43, 671-681 (Gamma-Poisson shrinkage of area rates).
    Gardner, E. S., McKenzie, E. (1985). Forecasting trends in time series. Management Science 31.
"""

from __future__ import annotations

import inspect
import warnings
from dataclasses import replace

import numpy as np
import statsmodels.api as sm

from forecast.hze.catalogue import NATIONAL_YEAR_SHOCK_VAR
from forecast.hze.series import CountSeries, RateForecast

NATIONAL_CV = 0.4
"""Coefficient of variation of HzE rates between Jugendämter [S10] (0.43 in 2022)."""

TAU2_BOUNDS = (0.01, 2.0)
"""Bounds of the between-district variance of multipliers (prior weight 100 .. 0.5 cases)."""

SHOCK_PRIOR_YEARS = 5.0
"""Weight, in years, of the national year-shock variance when a city's own is estimated (E)."""


class RateModel:
    """Base of all rate models; subclasses set ``name`` and implement ``_fit_beta``.

    Args:
        trend: include a linear trend in years (damped in the forecast).
        damping: damping factor of the trend per forecast year (1 = undamped).
        national_rate: national begun rate, cases per weighted person-year (prior / fallback).
        district_effects: shrink district multipliers toward 1 (False: all districts alike).
    """

    name = "base"
    count_noise = "poisson"

    def __init__(
        self,
        trend: bool = False,
        damping: float = 0.8,
        national_rate: float | None = None,
        district_effects: bool = True,
    ) -> None:
        self.trend = trend
        self.damping = damping
        self.national_rate = national_rate
        self.district_effects = district_effects

    # --- sklearn-style plumbing -------------------------------------------------------------
    def get_params(self) -> dict:
        """Constructor arguments (hyper-parameters)."""
        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {n: getattr(self, n) for n in names}

    def clone(self) -> RateModel:
        """An unfitted copy with the same hyper-parameters."""
        return type(self)(**self.get_params())

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    # --- the contract ----------------------------------------------------------------------
    def fit(self, series: CountSeries) -> RateModel:
        """Estimate the model from observed begun cases; returns self."""
        if series.begun is None:
            raise ValueError(f"{self.name}: the series to fit has no begun cases")
        seen = np.isfinite(series.begun).any(axis=1)
        self.ref_year_ = int(series.years[seen].max() if seen.any() else series.years.max())
        cov = series.covariates
        self.cov_center_ = None if cov is None else np.nanmean(cov, axis=(0, 1))
        n_d = series.exposure.shape[1]
        self.district_shape_ = np.full(n_d, 1e9)
        self.district_rate_ = np.full(n_d, 1e9)
        self.district_weight_ = np.ones(n_d)
        self.alpha_ = 0.0
        self.phi_ = 0.0
        self._fit_beta(series)
        mu = self._mean(series)
        y = series.begun
        ok = np.isfinite(y)
        resid = np.where(ok, y - mu, 0.0)
        self.residual_var_ = np.maximum((resid**2).sum(0) / np.maximum(ok.sum(0), 1), 1e-6)
        self.n_obs_ = int(ok.sum())
        return self

    def predict(self, future: CountSeries) -> np.ndarray:
        """Expected begun cases at the estimated parameters, shape (F, D)."""
        return self._mean(future)

    def forecast(
        self,
        series: CountSeries,
        future: CountSeries,
        level: float = 0.8,
        n: int = 1000,
        rng: np.random.Generator | None = None,
    ) -> RateForecast:
        """Fit on ``series`` and forecast ``future`` in one call: mean = fit(series).predict(future)."""
        model = self.clone().fit(series)
        rng = np.random.default_rng(0) if rng is None else rng
        sims = model.simulate(future, n, rng)
        q = (1 - level) / 2
        lo, hi = np.quantile(sims, [q, 1 - q], axis=0)
        return RateForecast(model.predict(future), lo, hi, level)

    def simulate(self, future: CountSeries, n: int, rng: np.random.Generator) -> np.ndarray:
        """Random begun cases: parameter uncertainty, year shocks and count noise, (n, F, D)."""
        return self.count_draws(self.expected_draws(future, n, rng), rng)

    def expected_draws(
        self, future: CountSeries, n: int, rng: np.random.Generator, shocks: bool = True
    ) -> np.ndarray:
        """Draws of the expected cases (parameters and year shocks, no count noise), (n, F, D).

        With ``shocks=False`` only the parameters vary: draws of the rates themselves.
        """
        beta = self._draw_beta(n, rng)  # (n, p)
        x = self._design(future)  # (F, D, p)
        mult = rng.gamma(self.district_shape_, 1.0 / self.district_rate_, size=(n, x.shape[1]))
        # The multipliers only share the city's level out between districts: the level's own
        # uncertainty is in beta, and counting the total's noise twice would overstate it.
        w = self.district_weight_
        mult *= (w @ self.multipliers_) / (mult @ w)[:, None]
        mu = future.exposure * np.exp(np.einsum("fdp,np->nfd", x, beta)) * mult[:, None, :]
        if shocks and self.phi_ > 0:
            shape = 1.0 / self.phi_
            mu = mu * rng.gamma(shape, 1.0 / shape, size=(n, x.shape[0], 1))
        return mu

    def count_draws(self, mu: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Counts around expected values ``mu`` (Poisson, or NB2 with ``alpha_``)."""
        if self.alpha_ > 0:
            mu = rng.gamma(1.0 / self.alpha_, self.alpha_ * mu)
        return rng.poisson(mu).astype(float)

    # --- shared internals ------------------------------------------------------------------
    @property
    def multipliers_(self) -> np.ndarray:
        """Posterior mean district multipliers, shape (D,)."""
        return self.district_shape_ / self.district_rate_

    def _design(self, s: CountSeries) -> np.ndarray:
        """Design x[t, d] = (1, trend, centred covariates), shape (T, D, p)."""
        t, d = s.exposure.shape
        cols = [np.ones((t, d))]
        if self.trend:
            h = s.years - self.ref_year_
            rho, k = self.damping, np.maximum(h, 0)
            # rho + rho**2 + ... + rho**k, the damped trend k years ahead
            ahead = k.astype(float) if rho == 1 else rho * (1 - rho**k) / (1 - rho)
            cols.append(np.broadcast_to(np.where(h <= 0, h, ahead)[:, None], (t, d)))
        if self.cov_center_ is not None:
            if s.covariates is None:
                raise ValueError(f"{self.name}: fitted with covariates; the future has none")
            cols.extend(np.moveaxis(s.covariates - self.cov_center_, -1, 0))
        return np.stack(cols, axis=-1).astype(float)

    def _mean(self, s: CountSeries) -> np.ndarray:
        return s.exposure * np.exp(self._design(s) @ self.beta_) * self.multipliers_

    def _draw_beta(self, n: int, rng: np.random.Generator) -> np.ndarray:
        if getattr(self, "_cov_root", None) is None or self._cov_root.shape != self.cov_.shape:
            # A symmetric square root (eigh) tolerates a singular covariance, unlike Cholesky.
            val, vec = np.linalg.eigh(self.cov_)
            self._cov_root = vec * np.sqrt(np.clip(val, 0.0, None))
        return self.beta_ + rng.standard_normal((n, self.beta_.size)) @ self._cov_root.T

    def _shrink_districts(self, series: CountSeries, base: np.ndarray) -> None:
        """Gamma-Poisson district multipliers given expected counts ``base`` without them."""
        y = series.begun
        ok = np.isfinite(y)
        obs = np.where(ok, y, 0.0).sum(0)
        exp_ = np.where(ok, base, 0.0).sum(0)
        if not self.district_effects or y.shape[1] < 2 or obs.sum() <= 0:
            return
        exp_ = exp_ * obs.sum() / exp_.sum()  # the level is the intercept's job
        tau2 = (((obs - exp_) ** 2).sum() - obs.sum()) / (exp_**2).sum()
        tau2 = float(np.clip(tau2, *TAU2_BOUNDS))
        self.tau2_ = tau2
        self.district_shape_ = 1.0 / tau2 + obs
        self.district_rate_ = 1.0 / tau2 + exp_
        self.district_weight_ = exp_

    def _city_dispersion(self, series: CountSeries) -> tuple[float, float]:
        """Pearson ratio and moment estimate of the year-shock variance from the city totals."""
        y, ok = series.begun, np.isfinite(series.begun)
        mu = np.where(ok, self._mean(series), 0.0)
        years = ok.any(axis=1)
        big_y = np.where(ok, y, 0.0).sum(1)[years]
        big_mu = mu.sum(1)[years]
        var = big_mu + self.alpha_ * (mu**2).sum(1)[years]
        dof = max(int(years.sum()) - len(self.beta_), 1)
        ratio = float(((big_y - big_mu) ** 2 / np.maximum(var, 1e-9)).sum() / dof)
        phi = float(max(0.0, ((big_y - big_mu) ** 2 - var).sum()) / max((big_mu**2).sum(), 1e-9))
        return ratio, phi * years.sum() / dof

    def _fit_beta(self, series: CountSeries) -> None:
        raise NotImplementedError


class NationalRate(RateModel):
    """The national rate, uncertain by its spread between Jugendämter; ignores the city's counts."""

    name = "national"

    def __init__(self, national_rate: float | None = None, cv: float = NATIONAL_CV) -> None:
        super().__init__(trend=False, national_rate=national_rate, district_effects=False)
        self.cv = cv

    def fit(self, series: CountSeries) -> NationalRate:
        """Nothing to estimate; the series only fixes the district count and reference year."""
        if self.national_rate is None:
            raise ValueError("national: no national rate given for this Hilfeart")
        begun = series.begun if series.begun is not None else np.full(series.exposure.shape, np.nan)
        return super().fit(replace(series, begun=begun, covariates=None))

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

    def fit(self, series: CountSeries) -> GammaPoissonRate:
        return super().fit(replace(series, covariates=None))

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

    def fit(self, series: CountSeries) -> RateModel:
        if series.begun is not None and np.nansum(series.begun) <= 0:
            raise ValueError(f"{self.name}: no begun cases to fit a regression to")
        if not self.covariates:
            series = replace(series, covariates=None)
        elif series.covariates is None:
            raise ValueError(f"{self.name}: covariates requested but the series has none")
        return super().fit(series)

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
        return sm.GLM(y, x, family=sm.families.Poisson(), offset=offset).fit()

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
        poisson = sm.GLM(y, x, family=sm.families.Poisson(), offset=offset).fit()
        model = sm.NegativeBinomial(y, x, offset=offset, loglike_method="nb2")
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
