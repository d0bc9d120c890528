"""The social index, its classes and the need-based budget split (forecast.social)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from forecast.social.budget import budget_shares, need_weights
from forecast.social.hamburg import read_stadtteilprofile
from forecast.social.index import IndexSpec, social_index

HAMBURG = ("sgb2_rate_u15", "unemployment_rate", "single_parent_share", "migration_share_u18")


def _spec(names, method="zscore", **kw) -> IndexSpec:
    return IndexSpec(dict.fromkeys(names, 1), dict.fromkeys(names, 1.0), method=method, **kw)


def _long(values: dict[int, dict[str, list[float]]], districts) -> pd.DataFrame:
    rows = [
        (year, d, name, v)
        for year, table in values.items()
        for name, column in table.items()
        for d, v in zip(districts, column, strict=True)
    ]
    return pd.DataFrame(rows, columns=["year", "district", "indicator", "value"])


def test_hamburg_status_index_follows_what_the_profile_shows_outside_the_index():
    # Real data: 99 Stadtteile. Income and Gymnasium share are not in the index; a need index
    # with a wrong sign or a broken standardisation would not fall with them.
    social = read_stadtteilprofile()
    districts = social["district"].unique().tolist()
    z = social_index(social, districts, _spec(HAMBURG))
    pca = social_index(social, districts, _spec(HAMBURG, method="pca"))
    wide = social.pivot_table(index="district", columns="indicator", values="value")
    wide = wide.reindex(districts)
    assert len(districts) == 99
    assert spearmanr(z.status, wide["income_per_taxpayer"])[0] < -0.8
    assert spearmanr(z.status, wide["gymnasium_share"])[0] < -0.6
    assert spearmanr(z.status, pca.status)[0] > 0.99
    assert z.status.mean() == pytest.approx(0.0, abs=1e-12)
    assert z.status.std() == pytest.approx(1.0)
    # every class is used, the most need in the smallest groups at the top
    counts = np.bincount(z.status_class, minlength=4)
    assert (counts > 0).all() and counts[1] > counts[3]


def test_a_sign_turns_an_indicator_around_and_a_zero_weight_drops_it():
    d = ["a", "b", "c", "d"]
    poor = [0.30, 0.10, 0.20, 0.05]
    social = _long({2020: {"poor": poor, "income": [-p for p in poor], "noise": [5, 1, 9, 2]}}, d)
    one = social_index(social, d, _spec(["poor"]))
    turned = IndexSpec({"income": -1, "noise": 1}, {"income": 1.0, "noise": 0.0})
    other = social_index(social, d, turned)
    np.testing.assert_allclose(one.status, other.status)
    assert other.indicators == ("income",)
    assert np.argmax(one.status) == 0 and np.argmin(one.status) == 3


def test_dynamics_marks_the_district_whose_need_rises_fastest():
    d = list("abcdefgh")
    before = [0.10, 0.12, 0.14, 0.16, 0.18, 0.20, 0.22, 0.24]
    now = [b + 0.002 for b in before]
    now[2] += 0.10  # c: need rising fast
    now[5] -= 0.10  # f: need falling fast
    social = _long({2018: {"x": before}, 2020: {"x": now}}, d)
    si = social_index(social, d, _spec(["x"], dynamics_years=2))
    assert si.dynamics_class[2] == 2 and si.dynamics_class[5] == 0
    assert (si.dynamics_class[[0, 1, 3, 4, 6, 7]] == 1).all()
    assert "dynamics" not in social_index(social[social.year == 2020], d, _spec(["x"])).table()


def test_class_sensitivity_is_zero_far_from_a_cut_and_positive_at_one():
    d = list("abcdef")
    # two indicators that disagree about e: its status depends on the weighting
    x = [0.0, 0.1, 0.2, 0.3, 0.9, 1.0]
    y = [0.0, 0.1, 0.2, 0.3, 0.0, 1.0]
    social = _long({2020: {"x": x, "y": y}}, d)
    spec = IndexSpec({"x": 1, "y": 1}, {"x": 1.0, "y": 1.0}, status_cuts=(-1.5, 0.5, 1.5))
    si = social_index(social, d, spec, alternatives=400, rng=np.random.default_rng(3))
    # a (about -1, cut at -1.5) and f (about 2, cut at 1.5) keep their class; e (0.26 with equal
    # weights, -0.40 .. 0.90 at the extremes) crosses the cut at 0.5
    assert si.class_change[0] == 0.0 and si.class_change[5] == 0.0
    assert si.class_change[4] > 0.05


def test_need_weights_move_budget_towards_need_and_shares_sum_to_one():
    d = ["a", "b", "c", "d"]
    social = _long({2020: {"x": [0.30, 0.05, 0.10, 0.20], "y": [0.4, 0.1, 0.1, 0.3]}}, d)
    si = social_index(social, d, _spec(["x", "y"]))
    u21 = np.array([1000.0, 1000.0, 1000.0, 1000.0])
    groups = {"w1": [0, 1], "w2": [2, 3]}
    assert budget_shares(u21, None, groups) == pytest.approx([0.5, 0.5])
    for formula in ("index", "jugendeinwohnerwert"):
        w = need_weights(si, formula)
        assert w.mean() == pytest.approx(1.0)
        assert np.argmax(w) == 0 and np.argmin(w) == 1
        shares = budget_shares(u21, w, groups)
        assert shares.sum() == pytest.approx(1.0)
    # population only: the split follows the young inhabitants exactly
    assert budget_shares(np.array([300.0, 100, 400, 200]), None, groups) == pytest.approx(
        [0.4, 0.6]
    )
    with pytest.raises(ValueError, match="needs the social index"):
        need_weights(None, "index")
