"""The Ganztag library: cut-off dates, school cohorts, the rollout identity, demand, places, cost."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast.ganztag.catchments import Catchments
from forecast.ganztag.cohorts import GRADES, Careers, cutoff_rules, school_cohorts
from forecast.ganztag.costs import GanztagCosts, project_costs
from forecast.ganztag.demand import TakeUp, project_demand
from forecast.ganztag.entitlement import Rollout
from forecast.ganztag.places import FORMS, observed_participation, places_by_school_year
from forecast.kita.cohorts import SCHOOL_ENTRY_BY_STATE, share_born_by
from forecast.params import default_value

MONTHS = np.asarray(default_value("kita.birth_month_shares"))
MONTHS = MONTHS / MONTHS.sum()  # the published shares are rounded to 5 decimals
EVEN = np.full(12, 1 / 12)

# The cut-off dates as the sources state them (DOMAIN.md § 7: superprof.de 2025,
# fachportal-paedagogik.de 2024; BW § 73 SchulG since 2022/23, NW § 35 SchulG NRW): every Land.
PUBLISHED_CUTOFFS = {
    (6, 30): ("BW", "HB", "MV", "SL", "SN", "ST", "SH"),
    (7, 1): ("HH", "HE"),
    (8, 1): ("TH",),
    (8, 31): ("RP",),
    (9, 30): ("BY", "BE", "BB", "NI", "NW"),
}


def test_cutoff_of_every_land_as_published() -> None:
    rules = cutoff_rules()
    expected = {s: date for date, states in PUBLISHED_CUTOFFS.items() for s in states}
    assert sorted(rules) == sorted(expected) and len(rules) == 16
    for state, (month, day) in expected.items():
        assert (rules[state].month, rules[state].day) == (month, day), state
    # One fact, two tables: the Kita stage's rules agree where it has them.
    for state, rule in SCHOOL_ENTRY_BY_STATE.items():
        assert (rules[state].month, rules[state].day) == (rule.month, rule.day)


def one_cohort(age: int, ages: int = 27, persons: float = 100.0) -> np.ndarray:
    """Population (N=1, Y=1, D=1, A): ``persons`` aged ``age`` at 31.12., nobody else."""
    pop = np.zeros((1, 1, 1, ages))
    pop[..., age] = persons
    return pop


def test_a_birth_cohort_splits_between_two_grades_at_the_cutoff() -> None:
    # Children aged 7 at 31.12.t were born in t-7: those born after the cut-off are in grade 1,
    # those up to it in grade 2 (on time, no repetition). BW (30 June) and NW (30 September)
    # split the same cohort differently, by the births up to each date.
    rules = cutoff_rules()
    for state in ("BW", "NW", "TH"):
        c = share_born_by(rules[state], MONTHS)
        grades = school_cohorts(one_cohort(7), [2026], ("a",), MONTHS, rules[state]).by_grade
        np.testing.assert_allclose(grades[0, 0, 0], [100 * (1 - c), 100 * c, 0, 0])
    bw = school_cohorts(one_cohort(7), [2026], ("a",), MONTHS, rules["BW"]).by_grade
    nw = school_cohorts(one_cohort(7), [2026], ("a",), MONTHS, rules["NW"]).by_grade
    # July-September births (about a quarter of a year's births) are in grade 1 in BW only.
    assert bw[..., 0].item() - nw[..., 0].item() == pytest.approx(100 * MONTHS[6:9].sum())


def test_careers_keep_the_children_and_repeaters_add_a_year() -> None:
    # Every age the same size: each grade holds one cohort, whatever the entry shifts, plus the
    # repeaters' second year.
    pop = np.full((1, 1, 1, 27), 50.0)
    rule = cutoff_rules()["NW"]
    for careers in (Careers(), Careers(0.05, 0.08, 0.0), Careers(0.03, 0.06, 0.02)):
        grades = school_cohorts(pop, [2030], ("a",), MONTHS, rule, careers).by_grade
        np.testing.assert_allclose(grades[0, 0, 0], 50 * (1 + careers.repeat_rate))
        np.testing.assert_allclose(careers.lag_weights().sum(axis=1), 1 + careers.repeat_rate)


def test_deferral_moves_children_one_grade_later() -> None:
    rule = cutoff_rules()["BW"]
    on_time = school_cohorts(one_cohort(7), [2026], ("a",), EVEN, rule).by_grade[0, 0, 0]
    late = school_cohorts(one_cohort(7), [2026], ("a",), EVEN, rule, Careers(0, 0.1, 0))
    late = late.by_grade[0, 0, 0]
    # 10 % of those on time in grade 1 (born after the cut-off) now sit in grade 1 one year
    # later: at age 7 they are in grade 1 only if born up to the cut-off (on time in grade 2).
    np.testing.assert_allclose(late[1], 0.9 * on_time[1])
    np.testing.assert_allclose(late[0], 0.9 * on_time[0] + 0.1 * on_time[1])
    # The deferred of the younger half (born after the cut-off) are still in Kita.
    assert late.sum() == pytest.approx(on_time.sum() - 0.1 * on_time[0])


def test_rollout_identity_and_dates() -> None:
    rollout = Rollout.default()
    years = np.arange(2024, 2033)
    np.testing.assert_array_equal(rollout.entitled_grades(years), [0, 0, 1, 2, 3, 4, 4, 4, 4])
    rng = np.random.default_rng(1)
    by_grade = rng.uniform(10, 100, size=(3, len(years), 2, GRADES))
    entitled = rollout.entitled(by_grade, years)
    for t, n in enumerate(rollout.entitled_grades(years)):
        np.testing.assert_allclose(entitled[:, t], by_grade[:, t, :, :n].sum(axis=-1))


def test_takeup_paths() -> None:
    rollout = Rollout.default()
    years = np.arange(2025, 2032)
    q = TakeUp("q80", status_quo=0.5, target=0.8, ramp_years=4).quotas(years, rollout)
    assert (q[0] == 0.5).all()  # 2025/26: nobody entitled
    np.testing.assert_allclose(q[1], [0.575, 0.5, 0.5, 0.5])  # 2026/27: grade 1, a quarter way
    np.testing.assert_allclose(q[4:], 0.8)  # from 2029/30 all grades at the target
    east = TakeUp("q64", status_quo=0.81, target=0.64).quotas(years, rollout)
    np.testing.assert_allclose(east, 0.81)  # the entitlement never lowers take-up
    by_grade = np.full((1, len(years), 1, GRADES), 100.0)
    d = project_demand(by_grade, years, TakeUp("status_quo", 0.5), rollout, 0.13, 0.6)
    np.testing.assert_allclose(d.total, 200.0)
    np.testing.assert_allclose(d.lunchtime + d.full_day, d.total)
    np.testing.assert_allclose(d.holiday, 0.6 * d.full_day)
    with pytest.raises(ValueError, match="target"):
        TakeUp("q73", 0.5)


def test_catchments_add_up_over_districts_and_schools() -> None:
    table = pd.DataFrame(
        {"school": ["s1", "s1", "s2"], "district": ["a", "b", "b"], "share": [1.0, 0.4, 0.6]}
    )
    areas = Catchments.from_table(table, ("a", "b", "c"))
    assert areas.schools == ("s1", "s2", "c")  # c is its own area
    demand = np.array([[30.0, 50.0, 20.0]])
    at_schools = areas.to_schools(demand)
    np.testing.assert_allclose(at_schools, [[50.0, 30.0, 20.0]])
    gap = np.array([[10.0, -5.0, 2.0]])
    w = areas.weights(demand)
    per_district = areas.to_districts(gap, w)
    assert per_district.sum() == pytest.approx(gap.sum())
    np.testing.assert_allclose(per_district[0, 0], 10.0 * 30 / 50)
    bad = table.assign(share=[1.0, 0.5, 0.6])
    with pytest.raises(ValueError, match="'b'"):
        Catchments.from_table(bad, ("a", "b"))


def test_places_carry_forward_and_planned_places() -> None:
    table = pd.DataFrame(
        {
            "year": [2025, 2028, 2025],
            "school": ["s1", "s1", "s2"],
            "form": ["ogs", "ogs", "hort"],
            "places": [40, 60, 20],
            "planned": [0, 1, 0],
        }
    )
    years = np.arange(2024, 2031)
    p = places_by_school_year(table, years, ("s1", "s2"))
    np.testing.assert_array_equal(p[:, 0, FORMS.index("ogs")], [40, 40, 40, 40, 60, 60, 60])
    np.testing.assert_array_equal(p[:, 1, FORMS.index("hort")], 20)
    now = places_by_school_year(table, years, ("s1", "s2"), count_planned=False)
    np.testing.assert_array_equal(now[:, 0, 0], 40)
    children = pd.Series([200.0, 210.0], index=[2025, 2026])
    np.testing.assert_allclose(observed_participation(table, ("s1", "s2"), children), [0.3])
    with pytest.raises(ValueError, match="s9"):
        places_by_school_year(table.assign(school="s9"), years, ("s1",))


def test_costs_build_the_largest_gap_once() -> None:
    costs = GanztagCosts(
        children_per_staff={"ogs": 10, "hort": 10, "gebunden": 10, "tagespflege": 5},
        running_cost={"ogs": 1000, "hort": 2000, "gebunden": 500, "tagespflege": 3000},
        investment_cost=5000,
        price_year=2026,
        price_growth=0.0,
    )
    years = np.arange(2026, 2030)
    places = np.zeros((4, 1, len(FORMS)))
    places[..., FORMS.index("hort")] = 100
    demand = np.array([120.0, 150.0, 130.0, 160.0])[None, :, None]
    r = project_costs(demand, places, years, costs)
    # Gaps 20, 50, 30, 60: the first is the starting point; then 30 more, none, 10 more.
    np.testing.assert_allclose(r.new_places[0, :, 0], [0, 30, 0, 10])
    assert r.investment.sum() == pytest.approx(40 * 5000)
    np.testing.assert_allclose(r.running[0, :, 0], 100 * 2000 + (demand[0, :, 0] - 100) * 1000)
    np.testing.assert_allclose(r.staff[0, :, 0], demand[0, :, 0] / 10)
    grown = GanztagCosts(**{**costs.__dict__, "price_growth": 0.1})
    assert project_costs(demand, places, years, grown).running[0, 1, 0] == pytest.approx(
        1.1 * r.running[0, 1, 0]
    )


def test_check_data_names_file_row_and_column_of_ganztag_faults(tinycity_copy) -> None:
    from forecast.validate import validate_city

    assert validate_city(tinycity_copy) == []
    areas = tinycity_copy / "school_districts.csv"
    areas.write_text(areas.read_text().replace("gs_sued,b,0.6", "gs_sued,b,0.5"))
    places = tinycity_copy / "ganztag_places.csv"
    text = places.read_text().replace("2022,gs_nord,hort", "2022,gs_nord,Hort")
    places.write_text(text.replace("2022,gs_sued,ogs", "2022,gs_west,ogs"))
    found = {(p.file, p.row, p.column) for p in validate_city(tinycity_copy)}
    assert found == {
        ("school_districts.csv", 3, "share"),  # district b: 0.4 + 0.5
        ("ganztag_places.csv", 3, "form"),  # 'Hort': did you mean 'hort'
        ("ganztag_places.csv", 4, "school"),  # no catchment area holds gs_west
    }
