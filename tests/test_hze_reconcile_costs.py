"""Reconciliation (bottom-up, non-negative MinT) and the cost model (price paths, nominal/real)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize

from forecast.hze.costs import CostAssumptions
from forecast.hze.reconcile import mint_nonnegative, reconcile

positive = st.floats(0.05, 5.0)


@given(
    bottom=st.lists(st.floats(0.0, 50.0), min_size=1, max_size=6),
    top=st.floats(0.0, 200.0),
    w=st.lists(positive, min_size=6, max_size=6),
    w_top=positive,
)
@settings(max_examples=60, deadline=None)
def test_mint_is_the_constrained_least_squares_solution(bottom, top, w, w_top):
    b = np.array(bottom)
    wb = np.array(w[: b.size])
    rec = mint_nonnegative(b, top, wb, w_top)
    assert np.all(rec >= 0)

    def loss(x: np.ndarray) -> float:
        return float(((x - b) ** 2 / wb).sum() + (x.sum() - top) ** 2 / w_top)

    # No feasible point does better (checked against a general bounded optimiser).
    best = minimize(
        loss,
        np.maximum(b, 0.1),
        bounds=[(0, None)] * b.size,
        method="L-BFGS-B",
        options={"ftol": 1e-15, "gtol": 1e-12},
    )
    assert loss(rec) <= best.fun + 1e-6 * max(1.0, best.fun)


def test_mint_without_binding_constraints_is_the_closed_form_and_vectorises():
    rng = np.random.default_rng(0)
    b = rng.uniform(5, 10, (7, 3, 4))
    top = b.sum(-1) * rng.uniform(0.9, 1.1, (7, 3))
    w = np.array([1.0, 2.0, 3.0, 4.0])
    rec = mint_nonnegative(b, top, w, 2.5)
    closed = b + w * ((top - b.sum(-1)) / (2.5 + w.sum()))[..., None]
    np.testing.assert_allclose(rec, closed, rtol=1e-12)
    # The city forecast pulls the districts part of the way, in proportion to their variances.
    gap_before = top - b.sum(-1)
    gap_after = top - rec.sum(-1)
    np.testing.assert_allclose(gap_after, gap_before * 2.5 / (2.5 + w.sum()), rtol=1e-12)


def test_bottom_up_keeps_districts_and_unknown_method_fails():
    b = np.array([[1.0, 2.0]])
    np.testing.assert_array_equal(reconcile("bottom_up", b, None, np.ones(2), 1.0), b)
    with pytest.raises(ValueError, match="unknown reconciliation"):
        reconcile("top_down", b, b.sum(-1), np.ones(2), 1.0)


def test_price_index_and_real_values():
    a = CostAssumptions.defaults()
    years = np.arange(2023, 2031)
    index = a.price_index(years, None)
    np.testing.assert_allclose(index, 1.05 ** (years - 2025), rtol=1e-12)  # 1 in the price year
    rng = np.random.default_rng(1)
    paths = np.array([a.price_index(years, rng) for _ in range(4000)])
    assert np.allclose(paths[:, years == 2025], 1.0)
    growth = paths[:, -1] / paths[:, -2] - 1
    q05, q50, q95 = np.quantile(growth, [0.05, 0.5, 0.95])
    # Median 5 %/yr, 5 %..95 % about 3-10 %/yr (plus a 1 pp year-to-year deviation) [S1][S25].
    assert abs(q50 - 0.05) < 0.004 and 0.015 < q05 < 0.035 and 0.085 < q95 < 0.12
    cm = np.full((years.size, 2, 2), 10.0)
    begun = np.full((years.size, 2, 2), 3.0)
    nominal, real = a.costs(("p28", "p34"), years, cm, begun, None)
    np.testing.assert_allclose(nominal[:, 0, 0], 3.0 * 1200 * index)  # EB: per begun case
    np.testing.assert_allclose(nominal[:, 0, 1], 10.0 * 5500 * index)  # Heim: per case-month
    np.testing.assert_allclose(real, nominal / 1.02 ** (years - 2025)[:, None, None])


def test_unit_cost_levels_follow_their_ranges():
    a = CostAssumptions.defaults()
    rng = np.random.default_rng(2)
    levels = np.array([a.level(("p34", "p35a"), rng) for _ in range(20000)])
    for i, code in enumerate(("p34", "p35a")):
        lo, hi = a.unit_cost_range[code]
        q05, q50, q95 = np.quantile(levels[:, i], [0.05, 0.5, 0.95])
        assert abs(q50 / a.unit_cost[code] - 1) < 0.02
        # The range's ratio is the lognormal 5 %..95 % ratio (DOMAIN.md § 6.4, estimate).
        assert abs(np.log(q95 / q05) / np.log(hi / lo) - 1) < 0.05
