"""The Wirkungsmonitor's statistics (forecast.social.monitor) and the Kennzahlen it monitors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from forecast.social.kennzahlen import by_unit, kennzahlen
from forecast.social.monitor import (
    band_cdf,
    compare_to_band,
    difference_in_differences,
    minimum_detectable_effect,
)
from forecast.variables import QUANTILES

LEVELS = np.array(QUANTILES)


def _band(medians: dict[int, float], sigma: float) -> pd.DataFrame:
    """Lognormal bands (quantiles of log(1 + x) normal) per year for one unit and Kennzahl."""
    rows = []
    for year, med in medians.items():
        for q in LEVELS:
            value = np.expm1(np.log1p(med) + sigma * stats.norm.ppf(q))
            rows.append(("_city", "Eckwert|Stationary", year, q, value))
    return pd.DataFrame(rows, columns=["unit", "kennzahl", "year", "quantile", "value"])


def test_band_cdf_is_exact_for_a_lognormal_inside_and_beyond_the_band():
    med, s = 150.0, 0.2
    qs = np.expm1(np.log1p(med) + s * stats.norm.ppf(LEVELS))
    x = np.array([90.0, 120.0, 150.0, 170.0, 260.0])
    expected = stats.norm.cdf((np.log1p(x) - np.log1p(med)) / s)
    got = band_cdf(x, LEVELS, np.tile(qs, (x.size, 1)))
    np.testing.assert_allclose(got, expected, atol=2e-3)  # piecewise linear between quantiles


def test_flags_at_the_error_rate_without_effect_and_recovers_a_planted_one():
    rng = np.random.default_rng(7)
    sigma, years = 0.08, {2026: 150.0, 2027: 152.0, 2028: 155.0}
    band = _band(years, sigma)
    reps = 2000
    draws = {y: np.expm1(np.log1p(m) + sigma * rng.standard_normal(reps)) for y, m in years.items()}
    for effect, check in ((0.0, "null"), (-0.15, "planted")):
        obs = pd.DataFrame(
            [
                ("_city", "Eckwert|Stationary", y, v * (1 + effect), r)
                for y, values in draws.items()
                for r, v in enumerate(values)
            ],
            columns=["unit", "kennzahl", "year", "observed", "rep"],
        )
        table = compare_to_band(band, obs.drop(columns="rep"), alpha=0.1)
        if check == "null":  # 2 x 5 % outside the 5 %..95 % band; 3 sd of a binomial
            assert abs(table["flagged"].mean() - 0.10) < 3 * np.sqrt(0.09 / len(table))
            assert abs(table["p_below"].mean() - 0.5) < 0.02
        else:
            covered = (table["effect_low"] <= effect) & (effect <= table["effect_high"])
            assert abs(covered.mean() - 0.90) < 0.03
            assert table["effect"].median() == pytest.approx(effect, abs=0.01)
            # power of the one-sided lower flag: Phi(-log(1 + effect) / sigma - z_0.95)
            power = stats.norm.cdf(-np.log1p(effect) / sigma - stats.norm.ppf(0.95))
            assert table["flagged"].mean() == pytest.approx(power, abs=0.03)


def test_minimum_detectable_effect_matches_the_normal_formula():
    sigma = 0.1
    band = _band({2025: 300.0, 2026: 300.0, 2028: 300.0}, sigma)
    mde = minimum_detectable_effect(band, 2025, alpha=0.1, power=0.8, after=(1, 2, 3, 4))
    z = stats.norm.ppf(0.95) + stats.norm.ppf(0.8)
    expected = 1 - np.expm1(np.log1p(300.0) - z * sigma) / 300.0
    assert mde["years_after"].tolist() == [1, 2, 4]  # 2027 has no band
    np.testing.assert_allclose(mde["mde"], expected, rtol=1e-3)


def test_difference_in_differences_recovers_a_planted_effect_against_peers():
    rng = np.random.default_rng(3)
    years = np.arange(2020, 2029)
    trend = np.exp(0.03 * (years - 2020))  # common trend of every Jugendamt
    peers = pd.DataFrame(
        [
            (int(y), f"ja{j}", "Eckwert|Stationary", 140 * t * np.exp(0.03 * rng.standard_normal()))
            for j in range(12)
            for y, t in zip(years, trend, strict=True)
        ],
        columns=["year", "jugendamt", "kennzahl", "value"],
    )
    own_values = 160 * trend * np.where(years >= 2025, 0.85, 1.0)
    own = pd.DataFrame({"kennzahl": "Eckwert|Stationary", "year": years, "observed": own_values})
    did = difference_in_differences(own, peers, 2025)
    assert did["year"].tolist() == [2025, 2026, 2027, 2028]
    assert (did["effect_low"] < -0.15).all() and (did["effect_high"] > -0.15).all()
    assert did["effect"].mean() == pytest.approx(-0.15, abs=0.03)
    assert did["flagged"].all()
    none = difference_in_differences(own, peers[peers["jugendamt"] == "ja0"], 2025)
    assert none.empty  # one peer gives no interval


def test_kennzahlen_add_up_and_follow_littles_law():
    codes = ("p28", "p30", "p33", "p34")
    # (unit, H): one district steady: 120 running in § 30, 60 ended a year -> 24 months
    running = np.array([[50.0, 120.0, 30.0, 20.0], [10.0, 40.0, 10.0, 10.0]])
    ended = np.array([[200.0, 60.0, 10.0, 10.0], [30.0, 20.0, 5.0, 5.0]])
    begun = ended.copy()
    u21 = np.array([5000.0, 2000.0])
    k = kennzahlen(codes, running, ended, begun, running, u21)
    np.testing.assert_allclose(k["Eckwert|HzE"], k["Eckwert|Ambulant"] + k["Eckwert|Stationary"])
    assert k["Eckwert|HzE"][0] == pytest.approx(1e4 * (180 + 40 + 30) / 5000)  # no § 28
    share = k["Stationary share"]
    np.testing.assert_allclose(k["Ambulant per stationary"], (1 - share) / share)
    assert k["Mean duration"][0] == pytest.approx(12 * 170 / 80)
    # a Wirkungsraum of both districts is the sum before the ratio, not the mean of ratios
    both = by_unit(running, {"w": [0, 1]}, axis=0)
    assert both.shape == (4, 4) and both[2].tolist() == (running[0] + running[1]).tolist()
    pooled = kennzahlen(
        codes,
        both,
        by_unit(ended, {"w": [0, 1]}, axis=0),
        by_unit(begun, {"w": [0, 1]}, axis=0),
        both,
        by_unit(u21, {"w": [0, 1]}, axis=0),
    )
    assert pooled["Eckwert|HzE"][2] == pooled["Eckwert|HzE"][3]
    assert pooled["Eckwert|HzE"][2] == pytest.approx(1e4 * (250 + 90) / 7000)
