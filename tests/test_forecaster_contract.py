"""One contract for every forecaster (statsforecast's ``assert_class``, sklearn's
``check_estimator``): Kita quota models, the Kita panel model and the HzE rate models.

A new quota model in ``forecast.kita.quota_models.MODELS`` is checked here without touching this
file; a new family adds one ``pytest.param`` to ``CASES``.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd
import pytest

from forecast.forecaster import Forecaster, NotFittedError, TrainXY, cross_validate
from forecast.hze import rate_models
from forecast.hze.series import CountSeries
from forecast.kita import quota_models
from forecast.kita.quota_panel import PanelMember, PanelQuotaModel
from forecast.kita.quota_selection import select_quota_model
from simulation.config_kita import KitaConfig, kita_settings

LEVELS = (0.8, 0.95)
H = 3
RATE = 0.003  # HzE begun cases per weighted person-year (about 30 per 10,000)


def _quota_series() -> np.ndarray:
    return np.array([0.21, 0.24, 0.26, 0.29, 0.30, 0.32, 0.31, 0.33, 0.34, 0.34])


def _quota_panel() -> TrainXY:
    """40 series in 4 groups, 8 years: a random walk per group plus reverting deviations."""
    rng = np.random.default_rng(3)
    groups = np.repeat(np.arange(4), 10)
    common = 0.4 + np.cumsum(rng.normal(0, 0.01, (4, 8)), axis=1)
    u = np.cumsum(rng.normal(0, 0.01, (40, 8)), axis=1) * 0.5 + rng.normal(0, 0.03, (40, 1))
    return TrainXY(pd.DataFrame(common[groups] + u, columns=range(2012, 2020)), groups)


def _counts() -> tuple[CountSeries, CountSeries]:
    """Ten years of four districts with a covariate, and the H years after them."""
    rng = np.random.default_rng(11)
    years = np.arange(2015, 2025 + H)
    expo = np.broadcast_to(rng.uniform(4000, 12000, 4), (years.size, 4)).copy()
    cov = np.broadcast_to(rng.uniform(0.05, 0.2, (1, 4, 1)), (years.size, 4, 1)).copy()
    mu = RATE * expo * np.exp(3.0 * (cov[..., 0] - 0.1))
    full = CountSeries(years, expo, rng.poisson(mu).astype(float), cov)
    return full.until(2024), full.after(2024)


def _cases() -> list:
    series, (counts, future) = _quota_series(), _counts()
    cases = [
        pytest.param(quota_models.make_model(n, ceiling=0.7), series, None, id=f"quota-{n}")
        for n in quota_models.MODELS
    ]
    cases.append(pytest.param(PanelQuotaModel(regime_start=2014), _quota_panel(), None, id="panel"))
    cases.append(pytest.param(PanelQuotaModel(terms=()), _quota_panel(), None, id="panel-naive"))
    rates = {
        "national": partial(rate_models.NationalRate, RATE),
        "gamma_poisson": partial(rate_models.GammaPoissonRate, RATE),
        "poisson": partial(rate_models.PoissonRate, trend=True, covariates=True),
        "negbin": rate_models.NegBinRate,
    }
    assert set(rates) == set(rate_models.MODELS)  # a new rate model needs a case here
    cases += [pytest.param(f(), counts, future, id=f"rate-{k}") for k, f in rates.items()]
    return cases


def _fit(model: Forecaster, data) -> Forecaster:
    return model.fit(*data) if isinstance(data, TrainXY) else model.fit(data)


def check_forecaster(model: Forecaster, data, X_future=None, h: int = H) -> None:
    """The forecaster contract on one model and its data (``X_future`` where the family needs
    the future's exogenous data)."""
    fresh = model.clone()
    with pytest.raises(NotFittedError, match="fit"):
        fresh.predict(h, 0.8, X_future)
    assert not fresh.is_fitted

    fitted = _fit(model.clone(), data)
    assert fitted.is_fitted and isinstance(fitted, type(model))
    fc = fitted.predict(h, LEVELS, X_future, rng=np.random.default_rng(7), n_samples=200)
    assert h in fc.mean.shape and fc.mean.ndim in (1, 2)
    assert tuple(fc.intervals) == LEVELS and fc.level == LEVELS[0]
    ok = np.isfinite(fc.mean)
    assert ok.any()
    (lo80, hi80), (lo95, hi95) = fc.interval(0.8), fc.interval(0.95)
    for bound in (lo80, hi80, lo95, hi95):
        assert bound.shape == fc.mean.shape
    assert np.all(fc.mean[ok] >= 0) and np.all(lo95[ok] >= 0)  # shares and counts
    # The 80 % interval lies inside the 95 % one, and the point forecast inside both.
    assert np.all(lo95[ok] <= lo80[ok]) and np.all(hi80[ok] <= hi95[ok])
    assert np.all(lo80[ok] <= fc.mean[ok]) and np.all(fc.mean[ok] <= hi80[ok])
    assert np.any(lo95[ok] < hi95[ok])
    if fc.samples is not None:
        assert fc.samples.shape == (200, *fc.mean.shape) and np.all(fc.samples >= 0)

    # fit().predict() == forecast(); the same seed gives the same samples.
    again = model.clone().forecast(
        data.y if isinstance(data, TrainXY) else data,
        h,
        LEVELS,
        data.X if isinstance(data, TrainXY) else None,
        X_future=X_future,
        rng=np.random.default_rng(7),
        n_samples=200,
    )
    np.testing.assert_array_equal(again.mean, fc.mean)
    for lv in LEVELS:
        np.testing.assert_array_equal(again.interval(lv)[0], fc.interval(lv)[0])
        np.testing.assert_array_equal(again.interval(lv)[1], fc.interval(lv)[1])
    if fc.samples is not None:
        np.testing.assert_array_equal(again.samples, fc.samples)

    # clone: an unfitted copy with equal hyper-parameters; the fitted model is not changed.
    copy = fitted.clone()
    assert copy is not fitted and not copy.is_fitted
    assert type(copy) is type(fitted) and copy.get_params() == fitted.get_params()
    assert fitted.is_fitted

    # The one rolling-origin loop works for the family: forecasts shaped as the actual values.
    folds = cross_validate(model, data, h, min_train=4, level=LEVELS)
    assert folds and [f.origin for f in folds] == sorted(f.origin for f in folds)
    for f in folds:
        assert f.forecast.mean.shape == f.actual.shape
    assert not model.is_fitted  # cross_validate fits clones


@pytest.mark.parametrize(("model", "data", "x_future"), _cases())
def test_forecaster_contract(model, data, x_future) -> None:
    check_forecaster(model, data, x_future)


def test_levels_must_be_shares() -> None:
    model = quota_models.Naive().fit(_quota_series())
    with pytest.raises(ValueError, match="level"):
        model.predict(3, 1.2)
    with pytest.raises(ValueError, match="horizon"):
        model.predict(0)


def test_predict_is_written_once() -> None:
    """Families implement the ``_predict`` hook; the public ``predict`` (its signature and the
    fitted, horizon and level checks) is the base class's for all of them."""
    families = {type(p.values[0]) for p in _cases()} | {PanelMember}
    for cls in families:
        assert cls.predict is Forecaster.predict, cls.__name__
        assert cls._predict is not Forecaster._predict, cls.__name__


class LongRunMean(quota_models.QuotaModel):
    """The recipe of CONTRIBUTING.md followed: the series' mean persists (no trend)."""

    name = "long_run_mean"
    min_points = 3

    def _fit(self, y: np.ndarray) -> None:
        self.level_ = float(y.mean())
        self.sigma_ = float(y.std(ddof=1))
        self.df_ = y.size - 1

    def _mean(self, h: int) -> np.ndarray:
        return np.full(h, self.level_)

    def _scale(self, h: int) -> np.ndarray:
        return np.full(h, self.sigma_ * np.sqrt(1.0 + 1.0 / self.y_.size))


def test_a_new_quota_model_is_one_class_and_one_entry(monkeypatch) -> None:
    monkeypatch.setitem(quota_models.MODELS, LongRunMean.name, LongRunMean)
    check_forecaster(quota_models.make_model("long_run_mean", ceiling=0.7), _quota_series())
    # The rolling-origin selection scores it with the others and prefers it on a series without
    # trend: noise around a constant level, where the last value (naive) is a worse forecast.
    flat = 0.35 + np.random.default_rng(5).normal(0.0, 0.02, 14)
    chosen = select_quota_model(flat, candidates=("naive", "drift", "long_run_mean"))
    assert set(chosen.scores) == {"naive", "drift", "long_run_mean"}
    assert chosen.chosen == "long_run_mean"
    assert chosen.model.predict(2).mean == pytest.approx([flat.mean()] * 2)
    # ... and the run configuration accepts its name.
    cfg = KitaConfig(quota_models=["naive", "long_run_mean"])
    assert kita_settings(cfg).models == ("naive", "long_run_mean")
