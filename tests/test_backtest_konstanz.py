"""Konstanz backtests against the real register (the issue's acceptance figures).

Total error below 1.5 %, mean absolute percentage error over the age groups below 5 %, and better
than both baselines (constant population, Hamilton-Perry) on that error, 5 years ahead from 2014
and from 2019. 2020 is a suspect register year and is not evaluated.
"""

from pathlib import Path

import pytest

from forecast.backtest import backtest_population
from forecast.citydata import load_city

KONSTANZ = Path(__file__).resolve().parent.parent / "data" / "konstanz"


@pytest.fixture(scope="module")
def konstanz():
    return load_city(KONSTANZ)


@pytest.mark.parametrize("base_year", [2014, 2019])
def test_city_backtest_five_years(konstanz, base_year):
    bt = backtest_population(konstanz, base_year, 5)
    head = bt.headline(5).set_index("method")
    ccm = head.loc["cohort_component"]
    assert abs(ccm["total_error_pct"]) < 1.5
    assert ccm["mape_age_groups_pct"] < 5.0
    for baseline in ("constant", "hamilton_perry"):
        assert ccm["mape_age_groups_pct"] < head.loc[baseline, "mape_age_groups_pct"]


def test_backtest_sees_no_future(konstanz):
    """The projection from 2014 must not change when later register years are altered."""
    import dataclasses

    import pandas as pd

    bt = backtest_population(konstanz, 2014, 2)
    pop = konstanz.table("population").copy()
    pop.loc[pop["year"] > 2014, "count"] *= 2  # a wildly different future
    tables = dict(konstanz.tables) | {"population": pop}
    doubled = dataclasses.replace(konstanz, tables=tables)
    bt2 = backtest_population(doubled, 2014, 2)
    a = bt.table[bt.table["method"] == "cohort_component"]["projected"].to_numpy()
    b = bt2.table[bt2.table["method"] == "cohort_component"]["projected"].to_numpy()
    pd.testing.assert_series_equal(pd.Series(a), pd.Series(b))


def test_suspect_year_not_in_headline(konstanz):
    bt = backtest_population(konstanz, 2019, 2)
    assert bt.table.loc[bt.table["year"] == 2020, "suspect"].all()
    assert set(bt.headline()["horizon"]) == {2}
