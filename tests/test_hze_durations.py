"""Duration distributions and the stock-flow bookkeeping of begun, ended, running cases."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecast.hze.duration_fit import fit_duration, prior_estimate
from forecast.hze.durations import expected_flows, simulate_flows, weibull_duration


@given(mean=st.floats(1.5, 90.0), shape=st.floats(0.6, 2.0))
@settings(max_examples=40, deadline=None)
def test_duration_accounting(mean, shape):
    """pmf sums to 1 with the requested mean; every case-month lands in some year."""
    d = weibull_duration(mean, shape)
    assert d.pmf.min() >= 0 and abs(d.pmf.sum() - 1) < 1e-12
    assert abs(d.mean - mean) < 1e-6
    c = d.cohorts
    assert abs(c.end_prob.sum() - 1) < 1e-9 and abs(c.stock_end_prob.sum() - 1) < 1e-9
    # A begun case runs `mean` months in total, spread over the years until it ends.
    assert abs(c.end_prob @ c.case_months.sum(1) - mean) < 1e-6
    # A case running at 31.12. has, in a steady state, E[remaining] = sum_r r S(r+1) / (mean-1).
    q = d.residual_pmf()
    expected_rest = (np.arange(1, q.size + 1) * q).sum()
    assert abs(c.stock_end_prob @ c.stock_case_months.sum(1) - expected_rest) < 1e-6
    # A case ends no earlier than it begins, and within a year of begin it runs at most 12 months.
    assert np.all(np.triu(c.case_months, 1) == 0) and c.case_months.max() <= 12 + 1e-9


def test_geometric_is_memoryless():
    d = weibull_duration(10.0, 1.0)
    ratios = d.pmf[1:50] / d.pmf[:49]
    np.testing.assert_allclose(ratios, ratios[0], rtol=1e-9)
    # A running case has the same geometric law of remaining months (no memory of its age).
    np.testing.assert_allclose(d.residual_pmf()[:49], d.pmf[:49], rtol=1e-9)


def test_eb_profile_matches_domain_share_ended_within_six_months():
    """Erziehungsberatung: mean 6 months, shape 0.8 -> > 2/3 ended within 6 months [S13]."""
    d = weibull_duration(6.0, 0.8)
    assert 2 / 3 < d.pmf[:6].sum() < 0.75


@pytest.mark.parametrize(("mean", "shape"), [(6.0, 0.8), (24.0, 1.0), (45.0, 1.2)])
def test_steady_state(mean, shape):
    """Constant begun B/yr from a steady-state stock: running B(mean-1)/12, ended B, months B*mean."""
    d = weibull_duration(mean, shape)
    begun = np.full(40, 120.0)
    stock = 120.0 * (mean - 1) / 12
    f = expected_flows(begun, d, stock)
    np.testing.assert_allclose(f.running, stock, rtol=1e-9)
    np.testing.assert_allclose(f.ended, 120.0, rtol=1e-9)
    np.testing.assert_allclose(f.case_months, 120.0 * mean, rtol=1e-9)
    np.testing.assert_allclose(f.fallzahl, 120.0 * d.fallzahl_per_begun(), rtol=1e-9)


def test_simulated_flows_balance_exactly_and_average_to_the_expectation():
    d = weibull_duration(20.0, 1.0)
    rng = np.random.default_rng(3)
    begun = rng.poisson(25, (4, 15)).astype(float)
    stock = rng.poisson(40, 4).astype(float)
    sums = np.zeros((3, 4, 15))
    n = 800
    for _ in range(n):
        f = simulate_flows(begun, stock, d, rng)
        prev = np.concatenate([stock[:, None], f.running[:, :-1]], axis=1)
        np.testing.assert_array_equal(f.running, prev + begun - f.ended)  # stock-flow identity
        assert np.all(f.running >= 0) and np.all(f.ended == np.round(f.ended))
        sums += [f.ended, f.running, f.case_months]
    e = expected_flows(begun, d, stock)
    for got, want in zip(sums / n, (e.ended, e.running, e.case_months), strict=True):
        # Monte Carlo: sd of a mean of 800 counts near 25-400 is below 3 % of the level.
        np.testing.assert_allclose(got, want, rtol=0.05, atol=1.0)


def test_duration_fit_recovers_the_mean_and_respects_the_prior():
    rng = np.random.default_rng(8)
    truth = weibull_duration(30.0, 1.0)
    begun = rng.poisson(150, (1, 13)).astype(float)
    stock = np.array([150.0 * 29 / 12])
    f = simulate_flows(begun[:, 1:], stock, truth, rng)
    b = np.concatenate([[150.0], begun[0, 1:]])
    ended = np.concatenate([[0.0], f.ended[0]])
    running = np.concatenate([stock, f.running[0]])
    prior = prior_estimate(20.0, 14.0, 28.0, 1.0)  # prior centred too low
    est = fit_duration(b, ended, running, prior)
    assert est.source == "city history"
    lo, hi = est.interval90
    assert lo < 30.0 < hi and abs(est.mean / 30.0 - 1) < 0.15
    assert est.log_se < prior.log_se
    few = fit_duration(b[:2], np.array([0.0, 2.0]), running[:2], prior)
    assert few is prior  # two ended cases: the catalogue's duration stays
