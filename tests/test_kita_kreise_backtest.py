"""A light Kreis backtest (100 sampled Kreise): the procedure's rules and the figures' shape.

The full backtest prints its figures: ``python validation/validate_kita_kreise.py`` (about 400
Kreise, origins 2014-2016, 3 years ahead, about 15 seconds).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from forecast.kita.quota_backtest import panel_backtest  # noqa: E402
from forecast.kita.quota_panel import PanelQuotaModel  # noqa: E402
from validation.validate_kita_kreise import land_of, load_panel, run  # noqa: E402


@pytest.fixture(scope="module")
def backtests():
    return {
        col: run(col, horizon=3, min_train=4, level=0.8, sample=100)
        for col in ("betreuungsquote_u3_pct", "betreuungsquote_3_5_pct")
    }


def test_panel_reads_zero_as_missing() -> None:
    panel = load_panel("betreuungsquote_u3_pct")
    assert panel.shape[1] == 9 and list(panel.columns) == list(range(2011, 2020))
    assert panel.notna().all(axis=1).sum() >= 320  # Kreise with every year
    assert (panel.isna().sum() > 0).loc[[2012, 2013, 2014]].all()  # the 71 gaps of 2012-2014
    assert float(np.nanmax(panel.to_numpy())) < 0.7  # the logistic ceiling of the config


def test_selection_uses_naive_until_three_forecasts_can_be_compared(backtests) -> None:
    """Origins 2014 (4 values, no inner forecast) and 2015 (5 values, one): naive by rule."""
    for bt in backtests.values():
        t = bt.table
        early = t[(t["model"] == "selected") & (t["origin"] <= 2015)]
        assert len(early) > 100 and (early["chosen"] == "naive").all()
        naive = t[(t["model"] == "naive") & (t["origin"] <= 2015)]
        np.testing.assert_array_equal(early["forecast"].to_numpy(), naive["forecast"].to_numpy())


def test_mase_scale_is_the_mean_yearly_change_of_the_training_values(backtests) -> None:
    bt = backtests["betreuungsquote_u3_pct"]
    row = bt.table[(bt.table["model"] == "naive") & (bt.table["origin"] == 2016)].iloc[0]
    y = load_panel("betreuungsquote_u3_pct").loc[row["series"]].loc[2011:2016].to_numpy()
    assert row["scale"] == pytest.approx(np.mean(np.abs(np.diff(y))), rel=1e-12)
    assert row["abs_error"] == pytest.approx(abs(row["actual"] - y[-1]), rel=1e-12)


def test_figures_on_the_sample(backtests) -> None:
    """The sample shows what the full panel shows: trend extrapolation from the 2011-2014
    expansion overshoots, the selection stays close to naive, Ü3 intervals cover about 80 %."""
    u3 = backtests["betreuungsquote_u3_pct"].summary().set_index("model")
    ue3 = backtests["betreuungsquote_3_5_pct"].summary().set_index("model")
    assert u3.loc["naive", "relative_mae"] == 1.0
    assert u3.loc["drift", "relative_mae"] > 1.5  # the expansion years' slope does not continue
    assert u3.loc["selected", "relative_mae"] < 1.2 and ue3.loc["selected", "relative_mae"] < 1.2
    # 80 % intervals: 100 Kreise x 3 origins, binomial standard error about 2.5 points.
    assert 0.70 <= ue3.loc["selected", "coverage"] <= 0.90
    assert 0.70 <= u3.loc["selected", "coverage"] <= 0.97  # naive's width from the expansion


def test_panel_model_on_the_sample(backtests) -> None:
    """The panel model beats naive for Ü3 and its 80 % intervals cover 70-90 % for both groups;
    the pooled selection has nothing to score at the first origin and takes naive there."""
    for col, bt in backtests.items():
        s = bt.summary().set_index("model")
        assert 0.70 <= s.loc["panel", "coverage"] <= 0.90, col
        assert 0.70 <= s.loc["pooled", "coverage"] <= 0.90, col
        first = bt.table[(bt.table["model"] == "pooled") & (bt.table["origin"] == 2014)]
        assert (first["chosen"] == "naive").all()
    ue3 = backtests["betreuungsquote_3_5_pct"].summary().set_index("model")
    assert ue3.loc["panel", "relative_mae"] < 1.0


def test_panel_forecasts_do_not_look_ahead() -> None:
    """Changing the values after 2015 leaves every forecast from origins up to 2015 as it was
    (the panel fit and the pooled choice see only the years up to the origin)."""
    panel = load_panel("betreuungsquote_3_5_pct").sample(n=80, random_state=1).sort_index()
    changed = panel.copy()
    changed.loc[:, 2016:] = changed.loc[:, 2016:] * 1.1
    runs = [
        panel_backtest(
            p,
            horizon=3,
            min_train=3,
            level=0.8,
            ceiling=1.05,
            select=False,
            panel_model=PanelQuotaModel(),
            groups=land_of(p.index),
        ).table
        for p in (panel, changed)
    ]
    early = [t[(t["origin"] <= 2015) & t["model"].isin(["panel", "pooled"])] for t in runs]
    assert len(early[0]) > 100
    for column in ("forecast", "lo", "hi", "chosen"):
        np.testing.assert_array_equal(early[0][column].to_numpy(), early[1][column].to_numpy())
    assert not np.array_equal(early[0]["actual"].to_numpy(), early[1]["actual"].to_numpy())
