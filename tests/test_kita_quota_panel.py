"""The panel quota model: its decomposition, recovery of known dynamics, calibrated intervals,
the naive special case and clear errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast.kita.quota_panel import PanelQuotaModel, common_paths

SEED = 20240301


def simulate_panel(
    rng: np.random.Generator,
    groups: int = 30,
    per_group: int = 20,
    years: int = 10,
    b_level: float = -0.12,
    b_lag: float = -0.25,
    sigma_e: float = 0.012,
    sigma_c: float = 0.008,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Quota series: a random-walk path per group plus AR(2) deviations of the model's form."""
    n = groups * per_group
    label = np.repeat(np.arange(groups), per_group)
    common = 0.9 + np.cumsum(rng.normal(0, sigma_c, (groups, years)), axis=1)
    u = np.zeros((n, years))
    u[:, 0] = rng.normal(0, 0.03, n)
    u[:, 1] = u[:, 0] * (1 + b_level) + rng.normal(0, sigma_e, n)
    for t in range(1, years - 1):
        u[:, t + 1] = (
            u[:, t]
            + b_level * u[:, t]
            + b_lag * (u[:, t] - u[:, t - 1])
            + rng.normal(0, sigma_e, n)
        )
    values = common[label] + u
    return pd.DataFrame(values, columns=range(2010, 2010 + years)), label


def test_decomposition_is_exact_and_uses_balanced_changes() -> None:
    """y = c[group] + u; c moves by the mean change of the series seen in both years, so a
    series that enters late at another level does not move the path."""
    y = np.array(
        [
            [0.30, 0.32, 0.33, 0.35],
            [0.40, 0.40, 0.43, 0.43],
            [np.nan, np.nan, 0.60, 0.62],  # enters in year 3, far above
            [0.50, 0.52, 0.51, np.nan],  # another group, leaves
        ]
    )
    groups = np.array(["a", "a", "a", "b"])
    c, u = common_paths(y, groups)
    np.testing.assert_allclose(np.diff(c[0]), [0.01, 0.02, (0.02 + 0.0 + 0.02) / 3], atol=1e-12)
    np.testing.assert_allclose(np.diff(c[1]), [0.02, -0.01, 0.0], atol=1e-12)
    observed = np.isfinite(y)
    np.testing.assert_allclose((c[[0, 0, 0, 1]] + u)[observed], y[observed], atol=1e-12)
    assert abs(np.nanmean(u[:3])) < 1e-12 and abs(np.nanmean(u[3])) < 1e-12


def test_recovers_the_dynamics_and_covers_80_percent() -> None:
    """On panels simulated from the model, the pooled coefficients come back and the 80 %
    intervals of 3-year forecasts cover about 80 % (6 panels x 600 series)."""
    rng = np.random.default_rng(SEED)
    covered, coefs = [], []
    for _ in range(6):
        panel, groups = simulate_panel(rng, years=11)
        model = PanelQuotaModel().fit(panel.iloc[:, :8], groups)
        coefs.append([model.coef_["level"], model.coef_["lag"]])
        fc = model.predict(3, 0.8)
        actual = panel.iloc[:, 10].to_numpy()
        covered.append((fc.lo[:, -1] <= actual) & (actual <= fc.hi[:, -1]))
        assert model.sigma_e_ == pytest.approx(0.012, rel=0.1)
        assert model.sigma_c_ == pytest.approx(0.008, rel=0.25)
    np.testing.assert_allclose(np.mean(coefs, axis=0), [-0.12, -0.25], atol=0.03)
    # The common shocks make series of a group miss together: 30 groups x 6 panels.
    assert 0.72 <= np.mean(covered) <= 0.88


def test_the_panel_beats_naive_where_deviations_revert() -> None:
    rng = np.random.default_rng(SEED + 1)
    panel, groups = simulate_panel(rng, years=11, b_level=-0.2, b_lag=-0.3, sigma_c=0.002)
    fc = PanelQuotaModel().fit(panel.iloc[:, :8], groups).predict(3)
    actual, last = panel.iloc[:, 10].to_numpy(), panel.iloc[:, 7].to_numpy()
    assert np.abs(actual - fc.mean[:, -1]).sum() < 0.95 * np.abs(actual - last).sum()


def test_without_terms_the_forecast_is_naive_with_panel_intervals() -> None:
    rng = np.random.default_rng(SEED + 2)
    panel, groups = simulate_panel(rng)
    model = PanelQuotaModel(terms=()).fit(panel, groups)
    fc = model.predict(4, 0.8)
    last = panel.iloc[:, -1].to_numpy()
    np.testing.assert_allclose(fc.mean, np.repeat(last[:, None], 4, axis=1), atol=1e-12)
    var = np.arange(1, 5) * (model.sigma_c_**2 + model.sigma_e_**2)
    np.testing.assert_allclose(fc.sd[0], np.sqrt(var), rtol=1e-12)
    assert np.all(fc.lo <= fc.mean) and np.all(fc.mean <= fc.hi) and np.all(fc.lo >= 0)
    assert list(fc.years) == [2020, 2021, 2022, 2023]
    assert len(fc.frame()) == 4 * len(panel)


def test_regime_start_keeps_only_the_later_common_changes() -> None:
    """Two series moving together by +5, +5, +1, -1 points: with regime_start 2013 only the
    changes 2013->2014 and 2014->2015 count."""
    y = np.array([[0.20, 0.25, 0.30, 0.31, 0.30], [0.40, 0.45, 0.50, 0.51, 0.50]])
    panel = pd.DataFrame(y, columns=range(2011, 2016))
    all_years = PanelQuotaModel(terms=()).fit(panel)
    later = PanelQuotaModel(terms=(), regime_start=2013).fit(panel)
    assert all_years.sigma_c_ == pytest.approx(np.sqrt((0.05**2 * 2 + 0.01**2 * 2) / 4))
    assert later.sigma_c_ == pytest.approx(0.01)
    # No change since the regime started yet: all changes are used.
    early = PanelQuotaModel(terms=(), regime_start=2015).fit(panel)
    assert early.sigma_c_ == pytest.approx(all_years.sigma_c_)


@pytest.mark.parametrize(
    ("values", "columns", "message"),
    [
        ([[0.3, -0.1, 0.3]], [2011, 2012, 2013], "negative"),
        ([[0.3, 0.3, 0.3]], [2011, 2013, 2014], "consecutive"),
        ([[0.3, 0.31, 0.32]], [2011, 2012, 2013], "too few"),
    ],
)
def test_bad_panels_give_clear_errors(values, columns, message) -> None:
    with pytest.raises(ValueError, match=message):
        PanelQuotaModel().fit(pd.DataFrame(values, columns=columns))


def test_unknown_term_and_unfitted_predict() -> None:
    with pytest.raises(ValueError, match="unknown panel term"):
        PanelQuotaModel(terms=("trend",))
    with pytest.raises(RuntimeError, match="fit"):
        PanelQuotaModel().predict(3)


def test_a_panel_member_keeps_the_single_series_contract() -> None:
    """What the Kita stage uses per district: the panel's forecast of that row, and simulated
    paths whose 10th/90th percentiles are the 80 % interval."""
    from forecast.kita.quota_panel import PanelMember

    rng = np.random.default_rng(SEED + 3)
    panel, groups = simulate_panel(rng, groups=4, per_group=5)
    fitted = PanelQuotaModel().fit(panel, groups)
    member = PanelMember(fitted, 7)
    fc, whole = member.predict(3, 0.8), fitted.predict(3, 0.8)
    np.testing.assert_allclose(fc.mean, whole.mean[7], rtol=1e-9)
    np.testing.assert_allclose(fc.hi, whole.hi[7], rtol=1e-6)
    paths = member.simulate(3, 20_000, np.random.default_rng(SEED))
    q10, q90 = np.quantile(paths, [0.1, 0.9], axis=0)
    width = (fc.hi - fc.lo).max()
    np.testing.assert_allclose(q10, fc.lo, atol=0.03 * width)
    np.testing.assert_allclose(q90, fc.hi, atol=0.03 * width)
    gap = panel.copy()
    gap.iloc[2, -1] = np.nan
    with pytest.raises(ValueError, match="no value in 2019"):
        PanelMember(PanelQuotaModel().fit(gap, groups), 2)
