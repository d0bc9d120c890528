"""Forecasting a short annual quota series: naive, drift, damped trend, logistic saturation.

Betreuungsquoten are short (5-15 annual values), bounded and prone to breaks (the U3 expansion up
to the 2013 entitlement, then a plateau). The family is small on purpose; every model obeys one
contract (statsforecast style):

* the constructor stores hyper-parameters only; ``fit(y)`` validates, estimates and returns
  ``self`` with fitted state ending in ``_``;
* ``predict(h, level)`` returns a ``Forecast`` (``forecast.forecaster``: mean and central
  prediction intervals for 1..h years ahead, sample paths with ``n_samples`` and ``rng``);
  ``forecast(y, h, level)`` is ``fit(y).predict(h, level)``;
* ``simulate(h, n, rng)`` draws n sample paths whose marginal quantiles match the intervals;
* forecasts and intervals are never negative.

Missing values inside the series (NaN) are filled by linear interpolation before fitting (one
missing register year should not cut the series in two); leading and trailing NaN are dropped.
Intervals use Student-t quantiles with the residual degrees of freedom: with five to ten points
the normal quantile would understate the uncertainty of the estimated scale.

References:
    Hyndman, R.J. & Athanasopoulos, G. (2021). Forecasting: Principles and Practice, 3rd ed.,
    ch. 5.2 (naive, drift and their intervals), 8.2 (damped trend), 8.7 (ETS intervals).
    Hyndman, R.J., Koehler, A.B., Ord, J.K. & Snyder, R.D. (2008). Forecasting with Exponential
    Smoothing, ch. 6 (variance of ETS(A,Ad,N) forecasts).
    Gardner, E.S. & McKenzie, E. (1985). Forecasting trends in time series. Management Science
    31(10), 1237-1246 (damped trend).
"""

from __future__ import annotations

import inspect
from typing import ClassVar

import numpy as np
from scipy import stats

from forecast.forecaster import Forecast, Forecaster, Levels, Rng, Split


def prepare_series(y: np.ndarray) -> np.ndarray:
    """Drop leading/trailing NaN and interpolate inner gaps linearly; checks the values."""
    y = np.asarray(y, dtype=float).ravel()
    ok = np.flatnonzero(np.isfinite(y))
    if ok.size == 0:
        raise ValueError("the quota series holds no value")
    y = y[ok[0] : ok[-1] + 1]
    gaps = ~np.isfinite(y)
    if gaps.any():
        idx = np.arange(y.size)
        y = y.copy()
        y[gaps] = np.interp(idx[gaps], idx[~gaps], y[~gaps])
    if np.any(y < 0):
        raise ValueError(f"a quota cannot be negative: {y}")
    return y


class QuotaModel(Forecaster):
    """Base class: the shared contract. Subclasses implement ``_fit``, ``_mean`` and ``_scale``."""

    name: ClassVar[str] = "model"
    min_points: ClassVar[int] = 2

    def fit(self, y: np.ndarray, X: None = None) -> QuotaModel:
        """Estimate the model from an annual series (share), oldest first; returns ``self``."""
        if X is not None:
            raise ValueError(f"{self.name}: a quota model takes no exogenous data")
        y = prepare_series(y)
        if y.size < self.min_points:
            raise ValueError(f"{self.name} needs at least {self.min_points} values, got {y.size}")
        self.y_ = y
        self._fit(y)
        return self

    def _predict(
        self, h: int, levels: Levels, X_future: None, rng: Rng, n_samples: int
    ) -> Forecast:
        """Forecasts 1..h years after the last value, with a central interval per level;
        ``n_samples`` paths from ``simulate`` with ``rng`` (default seed 0)."""
        intervals = {lv: self._interval(h, lv) for lv in levels}
        samples = self._samples(h, rng, n_samples)
        return Forecast(self.name, np.maximum(self._mean(h), 0.0), intervals, samples)

    def _samples(self, h: int, rng: Rng, n_samples: int) -> np.ndarray | None:
        """``n_samples`` paths of ``simulate`` (seed 0 without ``rng``), or None for none."""
        if not n_samples:
            return None
        return self.simulate(h, n_samples, np.random.default_rng(0) if rng is None else rng)

    def simulate(self, h: int, n: int, rng: np.random.Generator) -> np.ndarray:
        """Sample paths, shape (n, h): mean + scale x t-distributed deviates (never negative).

        One scale factor per path, drawn as sqrt(df / chi2(df)), makes each year's marginal a
        Student t with the model's degrees of freedom, as in the intervals, and keeps a path
        consistently high or low, as a persistent error would.
        """
        self._check_fitted()
        self._check_horizon(h)
        # One deviate per year plus one spare (the drift model's slope error).
        z = rng.standard_normal((n, h + 1))
        widen = np.sqrt(self.df_ / rng.chisquare(self.df_, size=(n, 1)))
        paths = self._paths(h, z * widen)
        return np.maximum(paths, 0.0)

    # --- how a series is cut for cross_validate ----------------------------------------------

    def split(self, data: np.ndarray, origin: int, h: int) -> Split:
        """Values up to position ``origin`` to fit; the next ``h`` (fewer at the end) to compare."""
        data = np.asarray(data, dtype=float)
        actual = data[origin + 1 : origin + 1 + h]
        return Split(data[: origin + 1], None, actual, actual.size)

    def origins(self, data: np.ndarray, min_train: int) -> list[int]:
        """Positions that leave max(min_train, min_points) values to fit and one to compare."""
        first = max(min_train, self.min_points)
        return list(range(first - 1, len(data) - 1))

    # --- to be provided by the models -------------------------------------------------------

    def _fit(self, y: np.ndarray) -> None:
        raise NotImplementedError

    def _mean(self, h: int) -> np.ndarray:
        raise NotImplementedError

    def _scale(self, h: int) -> np.ndarray:
        raise NotImplementedError

    def _interval(self, h: int, level: float) -> tuple[np.ndarray, np.ndarray]:
        """Central ``level`` interval: mean +- Student t quantile x scale, cut at 0."""
        mean = self._mean(h)
        half = stats.t.ppf(0.5 + level / 2, self.df_) * self._scale(h)
        return np.maximum(mean - half, 0.0), np.maximum(mean + half, 0.0)

    def _paths(self, h: int, deviates: np.ndarray) -> np.ndarray:
        """Paths from standardised deviates (n, h + 1); default: mean + scale x deviate."""
        return self._mean(h) + self._scale(h) * deviates[:, :h]


class Naive(QuotaModel):
    """The last value persists (random walk); the benchmark every other model must beat.

    sigma^2 = mean of squared year-on-year changes; the h-step standard deviation is
    sigma * sqrt(h) (FPP3 5.5).
    """

    name = "naive"

    def _fit(self, y: np.ndarray) -> None:
        diffs = np.diff(y)
        self.sigma_ = float(np.sqrt(np.mean(diffs**2)))
        self.df_ = max(diffs.size, 1)

    def _mean(self, h: int) -> np.ndarray:
        return np.full(h, self.y_[-1])

    def _scale(self, h: int) -> np.ndarray:
        return self.sigma_ * np.sqrt(np.arange(1, h + 1))

    def _paths(self, h: int, deviates: np.ndarray) -> np.ndarray:
        # A random walk: the path is the running sum of yearly steps.
        return self.y_[-1] + self.sigma_ * np.cumsum(deviates[:, :h], axis=1)


class Drift(QuotaModel):
    """The average change of the whole series continues (random walk with drift).

    slope = (y_n - y_1) / (n - 1); h-step standard deviation sigma * sqrt(h (1 + h / (n - 1)))
    with sigma the standard deviation of the changes around the slope (FPP3 5.5).
    """

    name = "drift"
    min_points = 3

    def _fit(self, y: np.ndarray) -> None:
        diffs = np.diff(y)
        self.slope_ = float(diffs.mean())
        self.sigma_ = float(diffs.std(ddof=1))
        self.df_ = max(diffs.size - 1, 1)

    def _mean(self, h: int) -> np.ndarray:
        return self.y_[-1] + self.slope_ * np.arange(1, h + 1)

    def _scale(self, h: int) -> np.ndarray:
        steps = np.arange(1, h + 1)
        return self.sigma_ * np.sqrt(steps * (1 + steps / (self.y_.size - 1)))

    def _paths(self, h: int, deviates: np.ndarray) -> np.ndarray:
        # Future steps are a random walk around the slope; the estimated slope itself is off by
        # a normal error with variance sigma^2 / (n - 1), the same for every year of a path.
        steps = np.arange(1, h + 1)
        walk = self.sigma_ * np.cumsum(deviates[:, :h], axis=1)
        slope_error = self.sigma_ / np.sqrt(self.y_.size - 1) * deviates[:, h:] * steps
        return self._mean(h) + walk + slope_error


class DampedTrend(QuotaModel):
    """Holt's linear trend with a damped slope, ETS(A,Ad,N), fitted by a grid over its parameters.

    l_t = alpha y_t + (1 - alpha)(l_{t-1} + phi b_{t-1});
    b_t = beta (l_t - l_{t-1}) + (1 - beta) phi b_{t-1};
    forecast l_n + (phi + ... + phi^h) b_n. Starting values l_0 = y_1 and b_0 = 0 or y_2 - y_1;
    alpha, beta (0 = the slope stays at its start), phi and b_0 minimise the squared one-step
    errors on a grid (short series do not support a finer optimisation). beta = 0 with b_0 = 0 is
    simple exponential smoothing. Forecast variance of Hyndman et al. (2008), class 1:
    sigma^2 (1 + sum_{j<h} c_j^2), c_j = alpha (1 + beta phi (1 - phi^j) / (1 - phi)).
    """

    name = "damped"
    min_points = 4
    ALPHAS = np.linspace(0.1, 1.0, 10)
    BETAS = np.array([0.0, 0.1, 0.2, 0.4])
    PHIS = np.array([0.8, 0.9, 0.98])

    def _fit(self, y: np.ndarray) -> None:
        a, b, p, s = np.meshgrid(self.ALPHAS, self.BETAS, self.PHIS, (0.0, 1.0), indexing="ij")
        a, b, p, s = a.ravel(), b.ravel(), p.ravel(), s.ravel()
        level = np.full(a.size, y[0])
        slope = s * (y[1] - y[0])
        sse = np.zeros(a.size)
        for value in y[1:]:  # a loop over years, vectorised over the parameter grid
            error = value - (level + p * slope)
            sse += error**2
            new_level = level + p * slope + a * error
            slope = p * slope + a * b * error
            level = new_level
        best = int(np.argmin(sse))
        self.alpha_, self.beta_, self.phi_ = float(a[best]), float(b[best]), float(p[best])
        self.level_, self.slope_ = float(level[best]), float(slope[best])
        n_errors = y.size - 1
        self.df_ = max(n_errors - 2, 1)
        self.sigma_ = float(np.sqrt(sse[best] / self.df_))

    def _damped_sum(self, h: int) -> np.ndarray:
        return np.cumsum(self.phi_ ** np.arange(1, h + 1))

    def _mean(self, h: int) -> np.ndarray:
        return self.level_ + self._damped_sum(h) * self.slope_

    def _c(self, h: int) -> np.ndarray:
        j = np.arange(1, h)
        return self.alpha_ * (1 + self.beta_ * self.phi_ * (1 - self.phi_**j) / (1 - self.phi_))

    def _scale(self, h: int) -> np.ndarray:
        c2 = np.concatenate([[0.0], np.cumsum(self._c(h) ** 2)])
        return self.sigma_ * np.sqrt(1 + c2)

    def _paths(self, h: int, deviates: np.ndarray) -> np.ndarray:
        # Run the state equations forward with the deviates as innovations.
        n = deviates.shape[0]
        level = np.full(n, self.level_)
        slope = np.full(n, self.slope_)
        out = np.empty((n, h))
        for k in range(h):
            error = self.sigma_ * deviates[:, k]
            out[:, k] = level + self.phi_ * slope + error
            new_level = level + self.phi_ * slope + self.alpha_ * error
            slope = self.phi_ * slope + self.alpha_ * self.beta_ * error
            level = new_level
        return out


class Logistic(QuotaModel):
    """Saturation toward a ceiling: a straight line in logit(y / ceiling) over the years.

    logit(y_t / L) = a + b t by least squares; forecasts L / (1 + exp(-(a + b t))). Intervals
    are those of the regression line on the logit scale (prediction standard error with the
    estimated coefficients' uncertainty), mapped back; so they are asymmetric and stay between
    0 and L. Values at or above the ceiling are clipped to 0.99 L before the transform.

    Args:
        ceiling: the saturation level L (share), e.g. the parental demand quota.
    """

    name = "logistic"
    min_points = 3
    CLIP = 0.99

    def __init__(self, ceiling: float = 1.0) -> None:
        self.ceiling = ceiling

    def _fit(self, y: np.ndarray) -> None:
        if not self.ceiling > 0:
            raise ValueError(f"logistic ceiling {self.ceiling}: expected a share > 0")
        ratio = np.clip(y / self.ceiling, 1 - self.CLIP, self.CLIP)
        z = np.log(ratio / (1 - ratio))
        t = np.arange(y.size, dtype=float)
        design = np.column_stack([np.ones_like(t), t])
        coef, *_ = np.linalg.lstsq(design, z, rcond=None)
        resid = z - design @ coef
        self.df_ = max(y.size - 2, 1)
        self.sigma_ = float(np.sqrt(resid @ resid / self.df_))
        self.coef_ = coef
        self.xtx_inv_ = np.linalg.inv(design.T @ design)

    def _z(self, h: int) -> tuple[np.ndarray, np.ndarray]:
        t = self.y_.size - 1 + np.arange(1, h + 1, dtype=float)
        x = np.column_stack([np.ones_like(t), t])
        se = self.sigma_ * np.sqrt(1 + np.einsum("ij,jk,ik->i", x, self.xtx_inv_, x))
        return x @ self.coef_, se

    def _expit(self, z: np.ndarray) -> np.ndarray:
        return self.ceiling / (1 + np.exp(-z))

    def _mean(self, h: int) -> np.ndarray:
        return self._expit(self._z(h)[0])

    def _scale(self, h: int) -> np.ndarray:
        return self._z(h)[1]  # on the logit scale; predict() maps the bounds back

    def _interval(self, h: int, level: float) -> tuple[np.ndarray, np.ndarray]:
        # The bounds of the regression line on the logit scale, mapped back (asymmetric).
        z, se = self._z(h)
        half = stats.t.ppf(0.5 + level / 2, self.df_) * se
        return self._expit(z - half), self._expit(z + half)

    def _paths(self, h: int, deviates: np.ndarray) -> np.ndarray:
        # Most of the error is in the estimated line, which stays wrong in the same direction:
        # one deviate per path (the yearly marginals still match the intervals).
        z, se = self._z(h)
        return self._expit(z + se * deviates[:, :1])


MODELS: dict[str, type[QuotaModel]] = {m.name: m for m in (Naive, Drift, DampedTrend, Logistic)}
"""The registry: the family by name, in order of complexity (ties in selection go to the simpler
model). A model added here is selectable (``kita.quota_models``) and contract-tested."""


def make_model(name: str, ceiling: float = 1.0) -> QuotaModel:
    """A fresh, unfitted model of the family; ``ceiling`` goes to models that take one."""
    if name not in MODELS:
        raise ValueError(f"unknown quota model {name!r}; known: {', '.join(MODELS)}")
    cls = MODELS[name]
    takes_ceiling = "ceiling" in inspect.signature(cls.__init__).parameters
    return cls(ceiling=ceiling) if takes_ceiling else cls()
