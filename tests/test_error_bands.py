"""Expected errors from backtests, and intervals widened to them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.drawstore import DrawStore, MemoryBudget, quantiles_first_axis
from forecast.population.draws import (
    QUANTILES,
    RESULT_AGE_GROUPS,
    StochasticProjection,
)
from forecast.population.error_bands import (
    HALF_WIDTH_80,
    expected_errors,
    widen_draws,
    widening,
)
from forecast.population.stochastic import StochasticSettings


def _errors() -> pd.DataFrame:
    """Two districts (small 1,000 and large 20,000), group 0, horizons 1 and 2, two origins."""
    rows = []
    for origin in (2010, 2011):
        for h, small, large in ((1, 0.02, 0.01), (2, 0.04, 0.02)):
            rows.append((origin, h, 0, 0, 1000 * (1 + small), 1000))
            rows.append((origin, h, 0, 1, 20000 * (1 - large), 20000))
    return pd.DataFrame(
        rows, columns=["origin", "horizon", "group", "district", "projected", "observed"]
    )


def test_expected_error_by_size_and_horizon_grows_linearly_beyond_the_data():
    sizes = {2010: np.array([1000.0, 20000.0]), 2011: np.array([1000.0, 20000.0])}
    expected = expected_errors(_errors(), sizes, ["0-5"])
    ape = expected.lookup("0-5", np.array([1000.0, 20000.0]), np.array([1, 2, 4]))
    np.testing.assert_allclose(ape[:, 0], [2.0, 4.0, 8.0])  # small district; h=4 is 2 x h=2
    np.testing.assert_allclose(ape[:, 1], [1.0, 2.0, 4.0])
    # A size class without errors of its own gets the mean over the classes.
    mid = expected.lookup("0-5", np.array([5000.0]), np.array([1]))
    np.testing.assert_allclose(mid[0, 0], 1.5)
    total = expected.lookup("Total", np.array([1000.0]), np.array([2]))
    np.testing.assert_allclose(total[0, 0], 4.0)


def test_narrow_intervals_are_stretched_to_the_backtest_width_and_wide_ones_kept():
    rng = np.random.default_rng(0)
    draws = 100.0 + rng.normal(0, 1.0, (4000, 3, 2))  # (N, Y, D): sd 1 around 100
    q = np.stack([quantiles_first_axis(draws[:, y], QUANTILES) for y in range(3)])  # (Y, Q, D)
    expected = np.array([[5.0, 0.1], [5.0, 0.1]])  # % per projected year x district
    f = widening(q, expected, QUANTILES)
    assert (f[0] == 1).all()  # the base year is never widened
    # District 0: target half-width 1.606 x 5 % of 100 = 8.03 over an actual 1.28.
    np.testing.assert_allclose(f[1:, 0], HALF_WIDTH_80 * 5.0 / 1.2816, rtol=0.05)
    np.testing.assert_allclose(f[1:, 1], 1.0)


def test_widened_draws_keep_their_median_order_and_city():
    rng = np.random.default_rng(1)
    n, y, d, g = 200, 3, 2, len(RESULT_AGE_GROUPS)
    samples = rng.uniform(50, 150, (n, y, d + 1, 2, g))
    samples[:, :, -1] = samples[:, :, :-1].sum(axis=2)
    quant = np.stack([quantiles_first_axis(samples[:, k], QUANTILES) for k in range(y)])
    totals = np.stack(
        [quantiles_first_axis(samples[:, k].sum(axis=(-1, -2)), QUANTILES) for k in range(y)]
    )

    store = DrawStore("population_draws", y, n, (d + 1) * 2 * g, MemoryBudget.mib(16), np.float32)
    store.write_block(0, samples.reshape(n, y, -1))
    sim = StochasticProjection(
        years=np.arange(2024, 2024 + y),
        districts=("a", "b"),
        draws=n,
        quantiles=quant,
        total_quantiles=totals,
        mean=samples.mean(axis=0),
        reduced=store,
        young=None,
        settings=StochasticSettings(),
        spilled=False,
    )
    factor = np.full((y, d + 1), 2.0)
    out = widen_draws(sim, factor, QUANTILES)
    med = QUANTILES.index(0.5)
    np.testing.assert_allclose(out.quantiles[:, med], quant[:, med])
    assert (np.diff(out.quantiles, axis=1) >= -1e-9).all()
    np.testing.assert_allclose(out.quantiles[:, :, -1], quant[:, :, -1])  # city unchanged
    lo, hi = QUANTILES.index(0.1), QUANTILES.index(0.9)
    width = out.quantiles[:, hi, 0] - out.quantiles[:, lo, 0]
    np.testing.assert_allclose(width, 2 * (quant[:, hi, 0] - quant[:, lo, 0]), rtol=1e-9)
    # The stored draws were stretched in place: their quantiles are the widened ones.
    stored = quantiles_first_axis(out.samples[:, 1].astype(float), QUANTILES)
    np.testing.assert_allclose(stored[:, 0], out.quantiles[1, :, 0], rtol=1e-5)
