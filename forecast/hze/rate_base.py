"""The base of the HzE rate models: one count regression with the population as exposure.

Every model describes the begun cases of one Hilfeart in year t and district d as

    mu[t, d] = E[t, d] * exp(x[t, d] @ beta) * m[d] * s[t],        y[t, d] ~ Poisson or NB(mu)

with E the age-weighted exposure (``forecast.hze.history``), x = (1, trend, covariates), m a
district multiplier shrunk toward 1 (Gamma-Poisson, empirical Bayes) and s a common year shock
with mean 1 and variance ``phi``. ``RateModel`` holds what all models share: the forecaster
contract (``forecast.forecaster``), the design, the draws and the district shrinkage; the models
themselves (how beta and the noise are estimated) are in ``forecast.hze.rate_models``.

All follow the forecaster contract (tested once for all families): ``fit(series)`` returns the
model; ``predict(h, level, X_future=future, rng=, n_samples=)`` a ``Forecast`` with the expected
counts as mean and intervals and samples from ``simulate``, which returns non-negative whole
counts; ``expected(future)`` is the mean alone. The future's exposure (and covariates) come in
``X_future``, a ``CountSeries`` of h years. A trend is damped in the forecast years
(contribution ``rho + rho**2 + ... + rho**h`` after h years).

References:
    Cameron, A. C., Trivedi, P. K. (2013). Regression Analysis of Count Data, 2nd ed., ch. 3-4.
    Clayton, D., Kaldor, J. (1987). Empirical Bayes estimates of age-standardized relative risks.
        Biometrics 43, 671-681 (Gamma-Poisson shrinkage of area rates).
    Gardner, E. S., McKenzie, E. (1985). Forecasting trends in time series. Management Science 31.
"""

from __future__ import annotations

import numpy as np

from forecast.forecaster import Forecast, Forecaster, Levels, Rng, Split
from forecast.hze.series import CountSeries
from forecast.params import default_value

NATIONAL_CV = default_value("hze.national_cv")
"""Coefficient of variation of HzE rates between Jugendämter [S10] (0.43 in 2022)."""

TAU2_BOUNDS = (0.01, 2.0)
"""Bounds of the between-district variance of multipliers (prior weight 100 .. 0.5 cases)."""

SHOCK_PRIOR_YEARS = 5.0
"""Weight, in years, of the national year-shock variance when a city's own is estimated (E)."""


N_SAMPLES = 1000
"""Sample paths behind the intervals of ``predict`` when ``n_samples`` is not given."""


class RateModel(Forecaster):
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

    # --- the contract ----------------------------------------------------------------------
    def fit(self, series: CountSeries, X: None = None) -> RateModel:
        """Estimate the model from observed begun cases; returns self."""
        if X is not None:
            raise ValueError(f"{self.name}: exposure and covariates come inside the series")
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

    def _predict(
        self, h: int, levels: Levels, X_future: CountSeries | None, rng: Rng, n_samples: int
    ) -> Forecast:
        """Begun cases in the h years of ``X_future``: mean (h, D), intervals and samples.

        The intervals are quantiles of ``n_samples`` (default ``N_SAMPLES``) paths of
        ``simulate`` drawn with ``rng`` (default seed 0); the samples are returned too.
        """
        if X_future is None or len(X_future.years) != h:
            raise ValueError(f"{self.name}: X_future must be a CountSeries of the {h} years")
        rng = np.random.default_rng(0) if rng is None else rng
        sims = self.simulate(X_future, n_samples or N_SAMPLES, rng)
        intervals = {}
        for lv in levels:
            lo, hi = np.quantile(sims, [(1 - lv) / 2, (1 + lv) / 2], axis=0)
            intervals[lv] = (lo, hi)
        mean = self.expected(X_future)
        return Forecast(self.name, mean, intervals, sims, years=np.asarray(X_future.years))

    def expected(self, future: CountSeries) -> np.ndarray:
        """Expected begun cases at the estimated parameters, shape (F, D)."""
        self._check_fitted()
        return self._mean(future)

    def split(self, data: CountSeries, origin: int, h: int) -> Split:
        """Years up to ``origin`` to fit; the next ``h`` (exposure only) to forecast."""
        future = data.after(origin, h)
        actual = data.begun[np.isin(data.years, future.years)]
        return Split(data.until(origin), future, actual, len(future.years))

    def origins(self, data: CountSeries, min_train: int) -> list[int]:
        """Years that leave ``min_train`` years to fit and one to compare."""
        return [int(y) for y in data.years[min_train - 1 : -1]]

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
        # At most one begun help per person and year: a regression fitted to a few years can
        # draw coefficients whose rates explode far from the data (e.g. a covariate's
        # backtest origin on a small city); such a draw is impossible, not just unlikely.
        return np.minimum(mu, future.exposure)

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
