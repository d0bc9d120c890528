"""Kita demand and supply: quota paths, accounting identities, new housing, places and groups."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast.kita.cohorts import SCHOOL_ENTRY_BY_STATE, kita_cohorts
from forecast.kita.demand import DemandAssumptions, participation_shift, project_demand, quota_paths
from forecast.kita.quota_selection import select_quota_model
from forecast.kita.supply import GroupForms, kita_gap, places_by_kita_year
from forecast.population.paths import PopulationPaths

UNIFORM = np.full(12, 1 / 12)
YEARS = np.arange(2025, 2036)
BASE = DemandAssumptions(quota_u3_by_age=(0.03, 0.6, 0.8), quota_ue3=0.96)


def stationary_paths(children_per_age: float = 60.0, districts=("a", "b", "c")) -> PopulationPaths:
    """A population with the same number of children in every age, year and district."""
    pop = np.full((1, YEARS.size, len(districts), 2, 27), children_per_age / 2)
    return PopulationPaths(years=YEARS, districts=tuple(districts), population=pop)


def demand_of(paths: PopulationPaths, assumptions: DemandAssumptions = BASE, **shifts):
    cohorts = kita_cohorts(
        paths.population, paths.years, paths.districts, UNIFORM, SCHOOL_ENTRY_BY_STATE["NW"]
    )
    return project_demand(cohorts, assumptions, **shifts)


def test_demand_accounting() -> None:
    d = demand_of(stationary_paths())
    # U3: 60 children in each of the ages 0, 1, 2 at 1 August; quotas 3 / 60 / 80 %.
    np.testing.assert_allclose(d.demand_u3, 60 * (0.03 + 0.6 + 0.8))
    np.testing.assert_allclose(d.demand_u3, d.demand_u3_kita + d.demand_u3_tagespflege)
    np.testing.assert_allclose(d.demand_u3_tagespflege, 0.25 * d.demand_u3)
    np.testing.assert_allclose(d.demand_ue3, 0.96 * d.children_ue3)
    mean_hours = 0.08 * 25 + 0.42 * 35 + 0.5 * 45  # 39.2 h
    np.testing.assert_allclose(d.fte_ue3, d.demand_ue3 * mean_hours / 45)
    np.testing.assert_allclose(d.fte_u3, d.demand_u3_kita * mean_hours / 45)


def test_quota_paths() -> None:
    def paths(**kw):
        return quota_paths(DemandAssumptions((0.03, 0.6, 0.8), 0.96, **kw), YEARS)

    u3, ue3 = paths(path="constant")
    assert np.all(u3 == [0.03, 0.6, 0.8]) and np.all(ue3 == 0.96)
    u3, ue3 = paths(path="trend", trend_per_year=(0.01, 0.01))
    np.testing.assert_allclose(u3[0, 3, 0], [0.06, 0.63, 0.83])  # three years later
    assert ue3.max() == 1.0  # capped: nobody can want more than one place
    u3, ue3 = paths(path="saturation", saturation_target=(0.6, 0.98), saturation_rate=0.3)
    mean = u3.mean(axis=-1)[0, :, 0]
    assert mean[0] == pytest.approx(np.mean([0.03, 0.6, 0.8]))
    assert np.all(np.diff(mean) > 0) and mean[-1] < 0.6  # rises toward, never past, the target
    assert np.all(np.diff(ue3[0, :, 0]) > 0) and ue3.max() < 0.98
    with pytest.raises(ValueError, match="shares between 0 and 1"):
        DemandAssumptions((0.03, 1.2, 0.8), 0.96)
    with pytest.raises(ValueError, match="quota path"):
        DemandAssumptions((0.03, 0.6, 0.8), 0.96, path="wishful")


def test_new_housing_area_raises_demand_in_the_following_kita_years() -> None:
    """Young families move into district b in 2027: U3 demand rises there from Kita year 2027,
    Ü3 demand as the children grow older; districts a and c do not change."""
    before = stationary_paths()
    pop = before.population.copy()
    arrivals = np.zeros((YEARS.size, 27))
    for k, year in enumerate(YEARS):
        if year >= 2027:
            # 30 children aged 0 and 1 at 31.12.2027 (and their births later), then ageing.
            for age0 in (0, 1):
                age = age0 + (year - 2027)
                if age < 27:
                    arrivals[k, age] += 30
            arrivals[k, 0] += 10 if year > 2027 else 0  # the new families' babies
    pop[0, :, 1] += arrivals[:, None, :] / 2
    after = PopulationPaths(years=YEARS, districts=before.districts, population=pop)
    d0, d1 = demand_of(before), demand_of(after)
    rise_u3 = (d1.demand_u3 - d0.demand_u3)[0]
    rise_ue3 = (d1.demand_ue3 - d0.demand_ue3)[0]
    k27 = list(YEARS).index(2027)
    assert np.all(rise_u3[:k27] == 0) and np.all(rise_ue3[:k27] == 0)  # before the move
    # Kita year 2027: of the 30 aged 0 and 30 aged 1 at 31.12., 17.5 + 12.5 are 0 and 17.5 are 1
    # at 1 August (births spread evenly here): 0.03 x 30 + 0.6 x 17.5 = 11.4 more children.
    assert rise_u3[k27, 1] == pytest.approx(0.03 * 30 + 0.6 * 17.5)
    assert rise_u3[k27 + 1, 1] > rise_u3[k27, 1]  # a full year of the new families
    assert rise_ue3[k27 + 2, 1] > rise_ue3[k27, 1]  # Ü3 demand follows two years later
    assert rise_ue3[k27 + 3, 1] > 40
    np.testing.assert_array_equal(rise_u3[:, [0, 2]], 0)  # other districts unchanged
    np.testing.assert_array_equal(rise_ue3[:, [0, 2]], 0)


def test_draw_d_of_the_population_gives_draw_d_of_the_demand() -> None:
    base = stationary_paths().population
    scale = np.array([0.9, 1.0, 1.1])[:, None, None, None, None]
    paths = PopulationPaths(YEARS, ("a", "b", "c"), base * scale, stochastic=True)
    d = demand_of(paths)
    assert d.demand_u3.shape == (3, YEARS.size, 3)
    ratio = d.demand_u3 / d.demand_u3[1]
    np.testing.assert_allclose(
        ratio, np.broadcast_to(scale.reshape(3, 1, 1), ratio.shape), rtol=1e-12
    )


def test_history_shift_starts_at_zero_and_follows_the_forecast() -> None:
    observed = pd.Series([0.30, 0.32, 0.34, 0.36, 0.38, 0.40], index=range(2019, 2025))
    selection = select_quota_model(observed.to_numpy(), ("naive", "drift"))
    assert selection.chosen == "drift"
    shift = participation_shift(observed, selection, YEARS)
    assert shift.shape == (1, YEARS.size) and shift[0, 0] == 0
    np.testing.assert_allclose(np.diff(shift[0]), 0.02, atol=1e-12)  # the slope continues
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(1).spawn(4)]
    draws = participation_shift(observed, selection, YEARS, rngs)
    assert draws.shape == (4, YEARS.size) and np.all(draws[:, 0] == 0)
    assert np.ptp(draws[:, -1]) > 0  # each draw its own quota path
    d = demand_of(
        stationary_paths(),
        DemandAssumptions((0.03, 0.6, 0.8), 0.96, path="history"),
        shift_u3=shift[:, :, None],
        shift_ue3=np.zeros((1, YEARS.size, 1)),
    )
    assert d.demand_u3[0, 1, 0] == pytest.approx(60 * (0.05 + 0.62 + 0.82))


def test_places_carry_forward_and_planned_openings_count() -> None:
    places = pd.DataFrame(
        {
            "year": [2016, 2016, 2020, 2024],
            "district": ["a", "b", "a", "b"],
            "places_u3": [36, 20, 40, 30],
            "places_ue3": [100, 60, 105, 80],
        }
    )
    years = np.arange(2015, 2028)
    seats = places_by_kita_year(places, years, ("a", "b", "c"))
    assert np.isnan(seats[0]).all()  # 2015: before any row
    assert np.isnan(seats[:, 2]).all()  # c: no rows at all
    np.testing.assert_array_equal(seats[years == 2019, 0], [[36, 100]])
    np.testing.assert_array_equal(seats[years == 2027, 0], [[40, 105]])
    np.testing.assert_array_equal(seats[years == 2023, 1], [[20, 60]])
    np.testing.assert_array_equal(seats[years == 2024, 1], [[30, 80]])  # the planned opening
    demand = np.full((1, years.size, 3), 35.0)
    gap = kita_gap(demand, seats[..., 0])
    assert gap[0, years == 2019, 0] == -1 and np.isnan(gap[0, :, 2]).all()


def test_gap_in_groups() -> None:
    forms = GroupForms()
    gap = np.array([-5.0, 0.0, 0.5, 10.0, 10.5, np.nan])
    np.testing.assert_array_equal(forms.groups(gap, "u3"), [0, 0, 1, 1, 2, np.nan])
    # Form III by booking hours: half at 45 h in groups of 20, half in groups of 25.
    assert forms.groups(np.array([45.0]), "ue3", share_45h=0.5)[0] == np.ceil(
        45 / 2 / 20 + 45 / 2 / 25
    )
    form_one = GroupForms(u3_form="I", ue3_form="I")
    assert form_one.groups(np.array([13.0]), "u3")[0] == 3  # 6 under-3s per group
    assert form_one.groups(np.array([15.0]), "ue3")[0] == 2  # 14 older children per group
    with pytest.raises(ValueError, match="U3 group form"):
        GroupForms(u3_form="III")
