"""The quota model family: one contract test for all models, golden cases, the selection."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from forecast.kita.quota_models import MODELS, Drift, Logistic, Naive, make_model, prepare_series
from forecast.kita.quota_selection import rolling_origin_errors, select_quota_model

RNG_SEED = 20240301
SERIES = np.array([0.21, 0.24, 0.26, 0.29, 0.30, 0.32, 0.31, 0.33, 0.34, 0.34])


@pytest.mark.parametrize("name", list(MODELS))
def test_contract(name: str) -> None:
    """fit().predict() == forecast(); lo <= mean <= hi; never negative; simulate matches."""
    model = make_model(name, ceiling=0.7)
    a = model.fit(SERIES).predict(5, 0.8)
    b = make_model(name, ceiling=0.7).forecast(SERIES, 5, 0.8)
    for field in ("mean", "lo", "hi"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert a.mean.shape == (5,) and a.model == name
    assert np.all(a.lo <= a.mean + 1e-12) and np.all(a.mean <= a.hi + 1e-12)
    assert np.all(a.lo >= 0)
    width = a.hi - a.lo
    assert np.all(np.diff(width) > 0), "uncertainty grows with the horizon"
    wider = model.predict(5, 0.95)
    assert np.all(wider.hi - wider.lo > width)
    # Simulated paths: the 10th and 90th percentiles are the 80 % interval (Monte Carlo error
    # of 20,000 paths is about 0.01 of the interval width).
    paths = model.simulate(5, 20_000, np.random.default_rng(RNG_SEED))
    assert paths.shape == (20_000, 5) and np.all(paths >= 0)
    q10, q90 = np.quantile(paths, [0.1, 0.9], axis=0)
    np.testing.assert_allclose(q10, a.lo, atol=0.04 * width.max())
    np.testing.assert_allclose(q90, a.hi, atol=0.04 * width.max())


def test_naive_golden() -> None:
    """Last value; sigma^2 = mean squared change; h-step sd sigma sqrt(h); t quantiles."""
    fc = Naive().forecast(SERIES, 3, 0.8)
    np.testing.assert_array_equal(fc.mean, [0.34, 0.34, 0.34])
    diffs = np.diff(SERIES)
    sigma = np.sqrt(np.mean(diffs**2))
    t = stats.t.ppf(0.9, diffs.size)
    np.testing.assert_allclose(fc.hi - fc.mean, t * sigma * np.sqrt([1, 2, 3]), rtol=1e-12)


def test_drift_continues_an_exact_line() -> None:
    line = 0.1 + 0.02 * np.arange(8)
    fc = Drift().forecast(line, 3)
    np.testing.assert_allclose(fc.mean, 0.1 + 0.02 * np.arange(8, 11), rtol=1e-12)
    np.testing.assert_allclose(fc.hi, fc.lo, atol=1e-12)  # no noise, no uncertainty


def test_damped_trend_follows_a_line_with_a_damped_slope() -> None:
    line = 0.1 + 0.02 * np.arange(10)
    model = make_model("damped").fit(line)
    fc = model.predict(5)
    steps = np.diff(np.concatenate([[line[-1]], fc.mean]))
    assert np.all(steps > 0) and np.all(np.diff(steps) <= 1e-12)  # rising, ever more slowly
    assert fc.mean[0] == pytest.approx(0.30, abs=0.005)


def test_logistic_recovers_an_exact_curve_and_respects_its_ceiling() -> None:
    t = np.arange(10)
    curve = 0.6 / (1 + np.exp(-(-1.5 + 0.4 * t)))
    fc = Logistic(ceiling=0.6).forecast(curve, 5)
    expected = 0.6 / (1 + np.exp(-(-1.5 + 0.4 * np.arange(10, 15))))
    np.testing.assert_allclose(fc.mean, expected, rtol=1e-9)
    noisy = curve + np.random.default_rng(RNG_SEED).normal(0, 0.01, 10)
    far = Logistic(ceiling=0.6).forecast(noisy, 30, 0.95)
    assert np.all(far.hi <= 0.6) and far.mean[-1] == pytest.approx(0.6, abs=0.01)


def test_inner_gap_is_interpolated_and_edges_dropped() -> None:
    y = np.array([np.nan, 0.2, 0.3, np.nan, 0.5, np.nan])
    np.testing.assert_allclose(prepare_series(y), [0.2, 0.3, 0.4, 0.5])
    with pytest.raises(ValueError, match="negative"):
        prepare_series(np.array([0.2, -0.1]))
    with pytest.raises(ValueError, match="at least 4"):
        make_model("damped").fit([0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="unknown quota model"):
        make_model("prophet")


def test_selection_prefers_the_trend_on_a_trending_series() -> None:
    rng = np.random.default_rng(RNG_SEED)
    trend = 0.15 + 0.02 * np.arange(12) + rng.normal(0, 0.002, 12)
    sel = select_quota_model(trend, horizon=3, min_train=4)
    # Origins 4..11: six with 3 steps ahead, then 2 and 1 = 21 scored forecasts.
    assert sel.chosen in ("drift", "damped") and sel.evaluations == 21
    assert sel.scores["naive"] > sel.scores[sel.chosen]
    # The chosen model is refitted to the whole series.
    np.testing.assert_array_equal(sel.model.y_, prepare_series(trend))


def test_all_candidates_are_scored_on_the_same_forecasts_and_short_series_get_naive() -> None:
    rng = np.random.default_rng(RNG_SEED)
    walk = 0.4 + np.cumsum(rng.normal(0, 0.01, 12))
    errors = rolling_origin_errors(walk, ("naive", "drift", "damped"), 3, 4)
    assert errors["naive"].size == errors["drift"].size == errors["damped"].size == 21
    short = select_quota_model([0.30, 0.31, 0.33, 0.32, 0.35], min_evaluations=3)
    assert short.chosen == "naive" and short.evaluations == 1 and "fewer than 3" in short.note


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(0.0, 1.0), min_size=6, max_size=14),
    st.sampled_from(list(MODELS)),
)
def test_any_series_gives_ordered_non_negative_intervals(values, name) -> None:
    fc = make_model(name, ceiling=1.05).forecast(np.array(values), 4, 0.8)
    assert np.all(np.isfinite(fc.mean)) and np.all(fc.lo >= 0)
    assert np.all(fc.lo <= fc.mean + 1e-9) and np.all(fc.mean <= fc.hi + 1e-9)
