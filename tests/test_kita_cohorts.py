"""Kita-year cohorts from 31.12. counts: birth spread, school-entry cut-off, accounting identities."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from forecast.kita.cohorts import (
    SCHOOL_ENTRY_BY_STATE,
    SchoolEntryRule,
    kita_cohorts,
    share_born_before,
    share_born_by,
)
from forecast.params import default_value
from simulation.config_kita import DEFAULT_CUTOFF

UNIFORM = np.full(12, 1 / 12)
NRW = SCHOOL_ENTRY_BY_STATE["NW"]
BW = SCHOOL_ENTRY_BY_STATE["BW"]
CONF_SHARES = np.asarray(default_value("kita.birth_month_shares"))


def cohorts(pop: np.ndarray, rule: SchoolEntryRule = NRW, shares: np.ndarray = UNIFORM):
    """Kita cohorts of a (Y, D, A) or (N, Y, D, A) population."""
    pop = pop if pop.ndim == 4 else pop[None]
    years = np.arange(2030, 2030 + pop.shape[1])
    return kita_cohorts(pop, years, tuple(f"d{i}" for i in range(pop.shape[2])), shares, rule)


def test_uniform_births_give_calendar_fractions() -> None:
    # Born before 1 August: January..July, 7 of 12 months; by 30 September: 9 of 12.
    assert share_born_before(8, 1, UNIFORM) == pytest.approx(7 / 12, abs=1e-12)
    assert share_born_by(NRW, UNIFORM) == pytest.approx(9 / 12, abs=1e-12)
    assert share_born_by(BW, UNIFORM) == pytest.approx(6 / 12, abs=1e-12)
    # Half of June: the 15th of 30 days.
    assert share_born_by(SchoolEntryRule(6, 15), UNIFORM) == pytest.approx(5.5 / 12, abs=1e-12)


def test_configured_birth_spread_is_destatis() -> None:
    # Golden: Germany 2012-2021 pooled (Destatis 12612-0002), summer births above average.
    assert CONF_SHARES.sum() == pytest.approx(1.0, abs=1e-4)
    assert share_born_before(8, 1, CONF_SHARES / CONF_SHARES.sum()) == pytest.approx(
        0.57554, abs=1e-4
    )
    assert CONF_SHARES[6] == max(CONF_SHARES)  # July


def test_stationary_population_gives_whole_cohorts() -> None:
    """With K children in every single age, U3 spans 3 birth years and school entry exactly 1."""
    k = 100.0
    c = cohorts(np.full((2, 1, 27), k), shares=CONF_SHARES / CONF_SHARES.sum())
    np.testing.assert_allclose(c.u3, 3 * k)
    np.testing.assert_allclose(c.u3_by_age, k)
    np.testing.assert_allclose(c.school_entry, k)
    e, cut = c.share_before_start, c.share_by_cutoff
    np.testing.assert_allclose(c.ue3, (3 - cut + e) * k)  # 30 Sep, NRW: 2.82 birth years


def test_one_birth_cohort_lands_on_its_ages_at_1_august() -> None:
    """A single calendar cohort aged 4 at 31.12.: the early-born are 4 at 1 August, the rest 3."""
    pop = np.zeros((1, 1, 27))
    pop[..., 4] = 120.0
    c = cohorts(pop)
    assert c.u3.sum() == 0  # none is under 3 at 1 August
    np.testing.assert_allclose(c.ue3, 120.0)  # all are between 3 and school entry
    assert c.school_entry.sum() == 0
    pop[..., 4], pop[..., 3] = 0.0, 120.0  # aged 3 at 31.12.: the late-born are 2 at 1 August
    c = cohorts(pop)
    np.testing.assert_allclose(c.u3_by_age[..., 2], 120.0 * 5 / 12)
    np.testing.assert_allclose(c.ue3, 120.0 * 7 / 12)


def test_earlier_cut_off_keeps_more_children_in_kita() -> None:
    """BW's 30 June cut-off (was 30 September) keeps a quarter cohort longer in Kita."""
    pop = np.full((1, 1, 27), 100.0)
    nrw, bw = cohorts(pop, NRW), cohorts(pop, BW)
    np.testing.assert_allclose(bw.ue3 - nrw.ue3, 100.0 * 3 / 12)
    np.testing.assert_allclose(bw.school_entry, nrw.school_entry)  # still one cohort a year
    assert DEFAULT_CUTOFF == NRW


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, (2, 3, 2, 10), elements=st.floats(0, 500)))
def test_identities_hold_for_any_population(pop: np.ndarray) -> None:
    """U3 + Ü3 + the school leavers of last year = the children born in the covered span."""
    c = kita_cohorts(pop[None], np.array([2030, 2031]), ("a", "b", "c"), UNIFORM, NRW)
    p = pop.sum(axis=2)  # (Y, D, A)
    e, cut = 7 / 12, 9 / 12
    np.testing.assert_allclose(
        c.u3[0], e * p[..., 0] + p[..., 1] + p[..., 2] + (1 - e) * p[..., 3], atol=1e-9
    )
    np.testing.assert_allclose(
        c.u3[0] + c.ue3[0], e * p[..., 0] + p[..., 1:6].sum(-1) + (1 - cut) * p[..., 6], atol=1e-9
    )
    assert np.all(c.school_entry <= c.ue3 + 1e-9)
    assert np.all(c.u3_by_age >= 0) and np.all(c.ue3 >= 0)


def test_bad_rules_and_shapes_are_refused() -> None:
    with pytest.raises(ValueError, match="month 13"):
        SchoolEntryRule(13, 1)
    with pytest.raises(ValueError, match="day 31"):
        SchoolEntryRule(6, 31)
    with pytest.raises(ValueError, match="12 non-negative"):
        share_born_before(8, 1, np.ones(11) / 11)
    with pytest.raises(ValueError, match="A >= 7"):
        cohorts(np.ones((1, 1, 5)))
