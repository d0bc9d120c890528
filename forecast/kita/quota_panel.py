"""A panel model for many short quota series: a common path per group plus pooled local dynamics.

One Kreis (or one district) has five to ten annual Betreuungsquoten: too few to estimate a trend
or a smoothing weight of its own, and every series of the 2011-2019 Kreis panel starts inside the
U3 expansion before the 2013 entitlement, so a trend fitted to it overshoots the plateau that
followed. What the panel does show (``validation/validate_kita_kreise.py``):

* most of the year-to-year movement is common to all Kreise of a Land (Kita law and funding are
  Land matters) and is not predictable from its own past (a regime break in 2013/14);
* a Kreis's deviation from its Land's path partly reverts: a jump against the Land is followed
  by a change the other way (lag-1 autocorrelation of the deviations' changes -0.1 for U3, -0.3
  for Ü3), and far-off Kreise drift back a little (convergence).

So the model splits y_it = c_gt + u_it, with c_g the path of the group g (the Land; for districts,
the city) formed from the mean year-on-year change of the group's series observed in both years
(so a series entering or leaving does not move the path), and u_it the series' deviation. Then:

* the common path is a random walk without drift: its forecast is its last value (naive), its
  variance grows by sigma_c^2 a year, sigma_c^2 = mean squared common change (pooled over the
  groups; only the changes since ``regime_start`` once there are any, e.g. 2014 for U3: the first
  count after the U3 entitlement of 1 August 2013, DOMAIN.md § 2.1);
* the deviation follows one pooled regression, fitted by least squares over all series and years
  up to the origin: u_{t+1} - u_t = b_level u_t + b_lag (u_t - u_{t-1}) + e, Var e = sigma_e^2;
* h years ahead: mean y_T + (u_{T+h} - u_T) with u iterated, variance
  h sigma_c^2 + sigma_e^2 sum_{j<h} psi_j^2 (psi: impulse responses of the AR(2) in u); normal
  quantiles (hundreds of pooled residuals).

With b = 0 the forecast is the naive one, so the model can only gain from what the panel says
about deviations; it cannot forecast a change of the common path. Everything is estimated from
the values up to the origin only.

References:
    Baltagi, B.H. (2013). Forecasting with panel data. Handbook of Economic Forecasting 2B,
    995-1024 (pooled dynamic panel forecasts beat single-series ones for short series).
    Montero-Manso, P. & Hyndman, R.J. (2021). Principles and algorithms for forecasting groups
    of time series: locality and globality. International Journal of Forecasting 37(4),
    1632-1653.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from forecast.forecaster import Forecast, Forecaster, Levels, Rng, Split, TrainXY
from forecast.kita.quota_models import QuotaModel, prepare_series

TERMS = ("level", "lag")


def _fill_inner_gaps(values: np.ndarray) -> np.ndarray:
    """Each row's inner NaN interpolated (``prepare_series``, which also rejects negative
    quotas); leading and trailing NaN stay."""
    out = values.copy()
    for row in out:
        ok = np.flatnonzero(np.isfinite(row))
        if ok.size:
            row[ok[0] : ok[-1] + 1] = prepare_series(row)
    return out


def common_paths(values: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The group paths c (G, T) and the deviations u = y - c[group] (N, T).

    c_g moves by the mean change of the group's series observed in both years (0 when none
    is) and is centred so that the deviations of the group average 0 over all observed values.

    Returns:
        (c, u): the paths, one row per group label in sorted order, and the deviations.
    """
    labels, index = np.unique(groups, return_inverse=True)
    c = np.zeros((labels.size, values.shape[1]))
    for g in range(labels.size):
        y = values[index == g]
        both = np.isfinite(y[:, 1:]) & np.isfinite(y[:, :-1])
        step = np.where(both, np.diff(y, axis=1), 0.0).sum(axis=0)
        counts = both.sum(axis=0)
        c[g, 1:] = np.cumsum(np.divide(step, counts, out=np.zeros_like(step), where=counts > 0))
        dev = y - c[g]
        if np.isfinite(dev).any():  # a group with no value at all keeps c = 0
            c[g] += np.nanmean(dev)
    return c, values - c[index]


class PanelQuotaModel(Forecaster):
    """Common group path (naive) plus pooled dynamics of each series' deviation from it.

    Args:
        terms: regressors of the deviation's change: ``level`` (u_t, convergence) and/or
            ``lag`` (u_t - u_{t-1}, reversal of the last change); () gives the naive forecast
            with panel-based intervals.
        regime_start: first year of the current regime (e.g. 2014 for U3); the common paths'
            variance uses only changes between years from it on, once there are any. None: all.

    After ``fit``: ``coef_`` (dict term -> coefficient), ``sigma_e_``, ``sigma_c_``,
    ``n_obs_`` (pooled regression rows), ``groups_`` (number of groups).
    """

    name = "panel"

    def __init__(self, terms: tuple[str, ...] = TERMS, regime_start: int | None = None) -> None:
        unknown = [t for t in terms if t not in TERMS]
        if unknown:
            raise ValueError(f"unknown panel term(s) {unknown}; known: {list(TERMS)}")
        self.terms = tuple(terms)
        self.regime_start = regime_start

    # --- how a panel is cut for cross_validate ------------------------------------------------

    def split(self, data: TrainXY, origin: int, h: int) -> Split:
        """Columns up to position ``origin`` (all series) to fit; the next ``h`` to compare.

        Args:
            data: ``TrainXY(panel, groups)``, groups None for one group.
        """
        panel, groups = data
        actual = panel.to_numpy(dtype=float)[:, origin + 1 : origin + 1 + h]
        return Split(TrainXY(panel.iloc[:, : origin + 1], groups), None, actual, actual.shape[1])

    def origins(self, data: TrainXY, min_train: int) -> list[int]:
        """Column positions with max(min_train, 3) years up to them and one after."""
        return list(range(max(min_train, 3) - 1, data[0].shape[1] - 1))

    # --- estimation ---------------------------------------------------------------------------

    def fit(self, panel: pd.DataFrame, groups: pd.Series | np.ndarray | None = None):
        """Estimate from a panel: one row per series, one column per consecutive year, shares.

        Args:
            panel: NaN = missing; inner gaps of a series are interpolated.
            groups: group label per row (e.g. the Land); None puts all series in one group.
        """
        years = np.asarray(panel.columns, dtype=int)
        if years.size < 3 or np.any(np.diff(years) != 1):
            raise ValueError(
                f"panel years must be 3 or more consecutive years, got {years.tolist()}"
            )
        values = _fill_inner_gaps(panel.to_numpy(dtype=float))
        group = np.zeros(len(panel), dtype=int) if groups is None else np.asarray(groups)
        if group.shape != (len(panel),):
            raise ValueError(
                f"groups: expected one label per series ({len(panel)}), got {group.shape}"
            )
        c, u = common_paths(values, group)
        self.series_, self.years_, self.values_, self.u_ = panel.index, years, values, u
        self.groups_ = c.shape[0]
        self._fit_deviations(u)
        self._fit_common(c, years)
        return self

    def _features(self, u: np.ndarray, t: int) -> np.ndarray:
        lag = u[:, t] - u[:, t - 1] if t >= 1 else np.full(u.shape[0], np.nan)
        cols = {"level": u[:, t], "lag": lag}
        return (
            np.column_stack([cols[k] for k in self.terms])
            if self.terms
            else np.empty((u.shape[0], 0))
        )

    def _fit_deviations(self, u: np.ndarray) -> None:
        xs, ys = [], []
        for t in range(1, u.shape[1] - 1):
            x, y = self._features(u, t), u[:, t + 1] - u[:, t]
            ok = np.isfinite(y) & np.all(np.isfinite(x), axis=1)
            xs.append(x[ok])
            ys.append(y[ok])
        x, y = np.vstack(xs), np.concatenate(ys)
        if y.size <= x.shape[1]:
            raise ValueError(f"the panel gives {y.size} usable changes, too few for {self.terms}")
        beta = np.linalg.lstsq(x, y, rcond=None)[0] if x.shape[1] else np.empty(0)
        resid = y - x @ beta
        self.coef_ = dict(zip(self.terms, beta.tolist(), strict=True))
        self.sigma_e_ = float(np.sqrt(resid @ resid / (y.size - x.shape[1])))
        self.n_obs_ = int(y.size)

    def _fit_common(self, c: np.ndarray, years: np.ndarray) -> None:
        changes = np.diff(c, axis=1)  # (G, T - 1), change into years[1:]
        recent = (
            years[:-1] >= self.regime_start
            if self.regime_start is not None
            else np.ones(years.size - 1, dtype=bool)
        )
        use = recent if recent.any() else np.ones_like(recent)
        self.sigma_c_ = float(np.sqrt(np.mean(changes[:, use] ** 2)))

    # --- forecasting --------------------------------------------------------------------------

    def _impulse(self, h: int) -> np.ndarray:
        """psi_0..psi_{h-1} of u_{t+1} = (1 + b_level + b_lag) u_t - b_lag u_{t-1} + e."""
        b_level, b_lag = self.coef_.get("level", 0.0), self.coef_.get("lag", 0.0)
        phi1, phi2 = 1 + b_level + b_lag, -b_lag
        psi = np.ones(h)
        for j in range(1, h):
            psi[j] = phi1 * psi[j - 1] + (phi2 * psi[j - 2] if j >= 2 else 0.0)
        return psi

    def _predict(
        self, h: int, levels: Levels, X_future: None, rng: Rng, n_samples: int
    ) -> Forecast:
        """Forecasts of every series 1..h years after the panel's last year, shape (N, h).

        ``mean`` is NaN where a series has no value in the last year; intervals use normal
        quantiles (hundreds of pooled residuals); ``sd``, ``index`` (the series) and ``years``
        are set. The panel draws no sample paths (``rng`` and ``n_samples`` are ignored).
        """
        u = self.u_
        prev, last = u[:, -2].copy(), u[:, -1].copy()
        prev = np.where(np.isfinite(prev), prev, last)  # one value only: no last change
        path = np.empty((u.shape[0], h))
        cur = last
        for k in range(h):
            step = np.zeros_like(cur)
            if "level" in self.coef_:
                step += self.coef_["level"] * cur
            if "lag" in self.coef_:
                step += self.coef_["lag"] * (cur - prev)
            prev, cur = cur, cur + step
            path[:, k] = cur
        mean = self.values_[:, -1:] + (path - last[:, None])
        steps = np.arange(1, h + 1)
        var = steps * self.sigma_c_**2 + self.sigma_e_**2 * np.cumsum(self._impulse(h) ** 2)
        sd = np.broadcast_to(np.sqrt(var), mean.shape)
        intervals = {}
        for lv in levels:
            half = stats.norm.ppf(0.5 + lv / 2) * sd
            intervals[lv] = (np.maximum(mean - half, 0.0), np.maximum(mean + half, 0.0))
        return Forecast(
            self.name if self.terms else "naive",
            np.maximum(mean, 0.0),
            intervals,
            sd=np.array(sd),
            index=self.series_,
            years=self.years_[-1] + steps,
        )


class PanelMember(QuotaModel):
    """One series of a fitted panel model under the single-series contract (``predict``,
    ``simulate``), so the Kita stage can use it where it uses a ``QuotaModel``.

    Simulated paths draw each year's deviate on its own (the marginals match the intervals);
    the panel's common shock is not shared between the members' paths.

    Args:
        fitted: a fitted ``PanelQuotaModel``.
        row: the series' row in the panel; it must have a value in the panel's last year.
    """

    def __init__(self, fitted: PanelQuotaModel, row: int) -> None:
        if not np.isfinite(fitted.values_[row, -1]):
            raise ValueError(
                f"series {fitted.series_[row]!r} has no value in {fitted.years_[-1]}: "
                "the panel model forecasts from the last year"
            )
        self.fitted, self.row = fitted, row
        self.name = "panel" if fitted.terms else "naive"
        self.y_ = prepare_series(fitted.values_[row])
        self.df_ = fitted.n_obs_

    def _predict(
        self, h: int, levels: Levels, X_future: None, rng: Rng, n_samples: int
    ) -> Forecast:
        """The panel's forecast of this series (normal quantiles, as the panel's); ``n_samples``
        paths from ``simulate`` with ``rng`` (default seed 0)."""
        f = self.fitted.predict(h, levels)
        intervals = {lv: (lo[self.row], hi[self.row]) for lv, (lo, hi) in f.intervals.items()}
        samples = self._samples(h, rng, n_samples)
        return Forecast(self.name, f.mean[self.row], intervals, samples, sd=f.sd[self.row])

    def fit(self, y: np.ndarray, X: None = None) -> PanelMember:
        raise TypeError("a PanelMember is fitted with its panel (PanelQuotaModel.fit)")

    def _mean(self, h: int) -> np.ndarray:
        return self.fitted.predict(h).mean[self.row]

    def _scale(self, h: int) -> np.ndarray:
        return self.fitted.predict(h).sd[self.row]
