"""Rate models of begun HzE cases: one contract for all, parameter recovery, shrinkage, fallbacks."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest

from forecast.hze.rate_models import (
    GammaPoissonRate,
    NationalRate,
    NegBinRate,
    PoissonRate,
)
from forecast.hze.recovery import RecoveryDesign, recovery
from forecast.hze.series import CountSeries

RATE = 0.003  # begun cases per weighted person-year (about 30 per 10,000)

MODELS = {
    "national": partial(NationalRate, RATE),
    "gamma_poisson": partial(GammaPoissonRate, RATE),
    "poisson": PoissonRate,
    "poisson+trend": partial(PoissonRate, trend=True),
    "poisson+social": partial(PoissonRate, covariates=True),
    "negbin": NegBinRate,
    "negbin+trend+social": partial(NegBinRate, trend=True, covariates=True),
}


@pytest.fixture(scope="module")
def data() -> tuple[CountSeries, CountSeries]:
    """Ten years of six districts with a covariate, and five future years."""
    rng = np.random.default_rng(11)
    years = np.arange(2015, 2025)
    expo = np.broadcast_to(rng.uniform(4000, 12000, 6), (10, 6)).copy()
    cov = np.broadcast_to(rng.uniform(0.05, 0.2, (1, 6, 1)), (10, 6, 1)).copy()
    mu = RATE * expo * np.exp(3.0 * (cov[..., 0] - 0.1) + 0.02 * (years - 2024)[:, None])
    series = CountSeries(years, expo, rng.poisson(mu).astype(float), cov)
    future = CountSeries(np.arange(2025, 2030), expo[:5] * 1.1, None, cov[:5])
    return series, future


@pytest.mark.parametrize("name", list(MODELS))
def test_rate_model_contract(name, data):
    """STYLE.md contract: fit().predict() == forecast(), lo <= mean <= hi, no negative counts."""
    series, future = data
    model = MODELS[name]()
    assert model.fit(series) is model  # fit returns the estimator
    assert model.clone().get_params() == model.get_params()
    mean = model.expected(future)
    fc = MODELS[name]().forecast(series, 5, 0.8, X_future=future, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(fc.mean, mean)
    assert mean.shape == (5, 6) and np.all(mean > 0)
    # Every cell expects at least ~8 cases, so the 10 % and 90 % count quantiles bracket the mean.
    assert mean.min() > 8
    assert np.all(fc.lo <= fc.mean) and np.all(fc.mean <= fc.hi) and np.all(fc.lo < fc.hi)
    sims = model.simulate(future, 300, np.random.default_rng(2))
    assert sims.shape == (300, 5, 6)
    assert np.all(sims >= 0) and np.all(sims == np.round(sims))
    # The simulated mean agrees with predict up to Monte Carlo and Jensen (lognormal) error.
    np.testing.assert_allclose(sims.mean(0).sum(1), mean.sum(1), rtol=0.12)
    assert np.all(model.residual_var_ > 0)


def test_models_find_the_covariate_and_the_level(data):
    series, _ = data
    plain = PoissonRate().fit(series)
    social = PoissonRate(covariates=True).fit(series)
    assert abs(social.beta_[1] - 3.0) < 3 * np.sqrt(social.cov_[1, 1])
    # City level in the last year: expected cases equal observed cases up to Poisson noise.
    last = series.after(2023)
    last = CountSeries(series.years[-1:], series.exposure[-1:], None, series.covariates[-1:])
    obs = series.begun[-1].sum()
    for model in (plain, social):
        assert abs(model.expected(last).sum() - obs) < 4 * np.sqrt(obs)


def test_district_multipliers_shrink_toward_the_city():
    """A district with few cases keeps little of its own excess; one with many keeps most."""
    years = np.arange(2016, 2024)
    expo = np.tile([100.0, 20000.0, 20000.0], (8, 1))
    begun = np.tile([2.0, 120.0, 60.0], (8, 1))  # small district: 2/yr where 0.45 are expected
    model = PoissonRate().fit(CountSeries(years, expo, begun))
    raw = begun.sum(0) / (expo.sum(0) * np.exp(model.beta_[0]))
    m = model.multipliers_
    assert 1.0 < m[0] < raw[0]  # pulled toward 1
    assert abs(m[1] - raw[1]) / raw[1] < 0.02  # big districts keep their own level


def test_national_rate_ignores_counts_and_spreads_like_jugendaemter():
    years = np.arange(2020, 2024)
    expo = np.full((4, 2), 10000.0)
    model = NationalRate(RATE).fit(CountSeries(years, expo, np.full((4, 2), 500.0)))
    fut = CountSeries(np.array([2024]), expo[:1])
    np.testing.assert_allclose(model.expected(fut), RATE * expo[:1])
    rates = model.expected_draws(fut, 20000, np.random.default_rng(0), shocks=False)[:, 0, 0]
    rates /= expo[0, 0]
    assert abs(rates.mean() / RATE - 1) < 0.02  # the national rate is the mean
    assert abs(rates.std() / rates.mean() - 0.4) < 0.03  # CV 0.4 between Jugendämter [S10]


def test_gamma_poisson_moves_from_the_prior_to_the_data():
    years = np.arange(2021, 2024)
    few = CountSeries(years, np.full((3, 1), 100.0), np.zeros((3, 1)))
    many = CountSeries(years, np.full((3, 1), 1e6), np.full((3, 1), 6000.0))
    prior_like = GammaPoissonRate(RATE).fit(few)
    data_like = GammaPoissonRate(RATE).fit(many)
    assert abs(np.exp(prior_like.beta_[0]) / RATE - 1) < 0.2  # 0.9 expected cases: mostly prior
    assert abs(np.exp(data_like.beta_[0]) / 0.006 - 1) < 0.01  # 18,000 cases: the data


def test_regressions_refuse_series_without_cases():
    series = CountSeries(np.arange(2018, 2024), np.full((6, 2), 500.0), np.zeros((6, 2)))
    with pytest.raises(ValueError, match="no begun cases"):
        PoissonRate().fit(series)
    assert GammaPoissonRate(RATE).fit(series).expected(series).sum() > 0


@pytest.mark.parametrize(
    ("factory", "design"),
    [
        (partial(PoissonRate, trend=True), RecoveryDesign()),
        (partial(NegBinRate, trend=True), RecoveryDesign(nb_alpha=0.05, shock_sd=0.06)),
    ],
    ids=["poisson", "negbin"],
)
def test_parameter_recovery_light(factory, design):
    """Known rates fall in the 90 % intervals in about 90 % of repetitions (30 here; the full
    study with 300 is validation/validate_hze_recovery.py). With 30 repetitions the share has a
    standard error of 0.055, so 0.7 is more than 3 standard errors below 0.9."""
    shares = recovery(factory, design, 30, np.random.default_rng(5), n_draws=1000)
    assert shares["city_rate"] >= 0.7 and shares["trend"] >= 0.7
    assert shares["district_rate"] >= 0.75  # 300 district intervals: a tighter bound
    # Not too wide either: intervals that cover (nearly) every one of the 300 district rates are
    # useless for planning. 0.97 is about 4 binomial standard errors (0.017) above the nominal 0.9.
    assert shares["district_rate"] <= 0.97
