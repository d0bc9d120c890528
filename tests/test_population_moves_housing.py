"""Moves between districts, new housing and control totals (issue 3)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast.citydata import load_city
from forecast.population.engine import ControlTotals
from forecast.population.estimate import EstimationSettings, estimate_base_rates
from forecast.population.kernel import age_cohorts
from forecast.population.moves import DESTINATION_AGE_GROUPS, InternalMoves, age_group_index
from forecast.population.projection import PopulationAssumptions, project_population
from forecast.validate import InputDataError


def write_moves(folder: Path, rate: float = 0.04) -> None:
    """Moves between Tinycity's districts: a share of each cohort moves, mostly young adults,
    with destinations that differ by origin (a -> b/c 70/30, b -> a/c 50/50, c -> a/b 80/20)."""
    pop = pd.read_csv(folder / "population.csv")
    dest = {"a": {"b": 0.7, "c": 0.3}, "b": {"a": 0.5, "c": 0.5}, "c": {"a": 0.8, "b": 0.2}}
    rows = []
    for year in range(2016, 2023):
        start = pop[pop["year"] == year - 1]
        for r in start.itertuples():
            age_end = min(r.age + 1, 100)
            boost = 3.0 if 18 <= age_end <= 30 else 1.0
            for to, share in dest[r.district].items():
                rows.append(
                    (year, r.district, to, r.sex, age_end, round(r.count * rate * boost * share))
                )
    frame = pd.DataFrame(
        rows, columns=["year", "from_district", "to_district", "sex", "age", "count"]
    )
    frame.groupby(["year", "from_district", "to_district", "sex", "age"], as_index=False)[
        "count"
    ].sum().to_csv(folder / "moves.csv", index=False)


def identity_residual(proj) -> float:
    """Largest |P(t+1) - (cohorts + births - deaths + in - out + internal + adjustments)|."""
    worst = 0.0
    for k in range(len(proj.years) - 1):
        expected = age_cohorts(proj.population[k])
        expected[..., 0] = proj.births[k]
        expected = expected - proj.deaths[k] + proj.net_migration[k] + proj.internal_net[k]
        if proj.adjustment is not None:
            expected = expected + proj.adjustment[k]
        if proj.method_adjustment is not None:
            expected = expected + proj.method_adjustment[k]
        worst = max(worst, float(np.abs(proj.population[k + 1] - expected).max()))
    return worst


@pytest.fixture
def tiny_with_moves(tinycity_copy: Path) -> Path:
    write_moves(tinycity_copy)
    return tinycity_copy


@pytest.mark.parametrize("model", ["od", "pool"])
def test_internal_moves_sum_to_zero_and_identity_holds(tiny_with_moves: Path, model: str) -> None:
    rates = estimate_base_rates(
        load_city(tiny_with_moves), EstimationSettings(internal_model=model)
    )
    assert rates.internal is not None and rates.internal.model == model
    proj = project_population(rates, PopulationAssumptions(), 15)
    # Every year, sex and age: what leaves districts arrives in others (to rounding of float64).
    assert np.abs(proj.internal_net.sum(axis=1)).max() < 1e-9
    assert proj.internal_out.sum() > 1000  # moves really happen
    assert identity_residual(proj) < 1e-8
    assert (proj.population >= 0).all()


def test_od_destinations_follow_the_moves_file(tiny_with_moves: Path) -> None:
    rates = estimate_base_rates(load_city(tiny_with_moves), EstimationSettings(internal_model="od"))
    p = rates.internal.destination  # (D, D, G)
    assert np.allclose(p.sum(axis=1), 1.0)
    assert np.allclose(np.diagonal(p, axis1=0, axis2=1), 0.0)
    # Each age group's destination shares are those of the file's base-period moves.
    moves = pd.read_csv(tiny_with_moves / "moves.csv")
    used = moves[moves["year"].isin([2020, 2021, 2022])]
    groups = age_group_index()[used["age"].to_numpy()]
    for g in range(len(DESTINATION_AGE_GROUPS)):
        in_g = used[groups == g]
        for o, origin in enumerate("abc"):
            out = in_g[in_g["from_district"] == origin]
            for d, dest in enumerate("abc"):
                if dest != origin and out["count"].sum() > 0:
                    share = out.loc[out["to_district"] == dest, "count"].sum() / out["count"].sum()
                    assert p[o, d, g] == pytest.approx(share)
    # Young adults move in large numbers, so their shares are near the written 70 % (a -> b).
    assert p[0, 1, 2] == pytest.approx(0.7, abs=0.04)


def test_redistribution_preserves_movers_for_any_leading_axes() -> None:
    rng = np.random.default_rng(1)
    d, a = 4, 101
    dest = rng.random((d, d, 7))
    dest[np.arange(d), np.arange(d)] = 0
    dest /= dest.sum(axis=1, keepdims=True)
    moves = InternalMoves(out_rate=np.full((d, 2, a), 0.05), destination=dest, model="od")
    movers = rng.random((3, d, 2, a)) * 10
    arrivals = moves.redistribute(movers)
    assert np.allclose(arrivals.sum(axis=-3), movers.sum(axis=-3))
    part = moves.redistribute(movers[..., 20:30], first_age=20)
    assert np.allclose(part, arrivals[..., 20:30])


def test_new_housing_raises_young_children_and_the_effect_fades(tinycity_copy: Path) -> None:
    without = load_city(tinycity_copy)
    base_year = 2022
    pd.DataFrame({"year": [2023], "district": ["c"], "dwellings": [300]}).to_csv(
        tinycity_copy / "housing.csv", index=False
    )
    with_housing = load_city(tinycity_copy)
    settings = EstimationSettings()
    a = project_population(estimate_base_rates(without, settings), PopulationAssumptions(), 20)
    b = project_population(estimate_base_rates(with_housing, settings), PopulationAssumptions(), 20)
    assert int(a.years[0]) == base_year
    c = list(a.districts).index("c")
    kids = lambda p: p.population[:, c, :, 0:6].sum(axis=(-1, -2))  # noqa: E731
    gain = kids(b) - kids(a)
    # 300 dwellings x 2.2 persons x 16 % aged 0-5 = about 106 children in 2023 ...
    assert gain[1] == pytest.approx(300 * 2.2 * 0.16, rel=0.1)
    assert (gain[1:4] > 50).all()
    # ... and the effect fades as the households age (children born to them keep some of it).
    assert gain[15] < 0.5 * gain[1]
    # The occupants who came from the other districts are missing there; the city gains only
    # those from outside (35 %).
    city_gain = b.population[1].sum() - a.population[1].sum()
    assert city_gain == pytest.approx(0.35 * 300 * 2.2, rel=0.05)
    assert np.abs(b.internal_net.sum(axis=1)).max() < 1e-9
    assert identity_residual(b) < 1e-8


def test_control_totals_met_with_district_shares_kept(tinycity_copy: Path) -> None:
    pd.DataFrame(
        {
            "year": [2025, 2030, 2030],
            "age_from": [None, 0, 6],
            "age_to": [None, 5, 100],
            "count": [9000, 700, 8000],
        }
    ).to_csv(tinycity_copy / "control_totals.csv", index=False)
    city = load_city(tinycity_copy)
    rates = estimate_base_rates(city, EstimationSettings())
    control = ControlTotals.from_table(city.table("control_totals"))
    free = project_population(rates, PopulationAssumptions(), 10)
    held = project_population(rates, PopulationAssumptions(), 10, control)
    y = list(held.years)
    assert held.population[y.index(2025)].sum() == pytest.approx(9000)
    assert held.population[y.index(2030)][..., 0:6].sum() == pytest.approx(700)
    assert held.population[y.index(2030)][..., 6:].sum() == pytest.approx(8000)
    k = y.index(2025)
    shares = lambda p: p.sum(axis=(-1, -2)) / p.sum()  # noqa: E731
    # Within the year of control the districts keep their shares of each age ...
    ratio = held.population[k] / np.where(free.population[k] > 0, free.population[k], 1)
    assert np.allclose(ratio[free.population[k] > 0], 9000 / free.population[k].sum())
    assert np.allclose(shares(held.population[k]), shares(free.population[k]))
    # ... and the adjustment is booked, so the accounting identity still holds.
    assert identity_residual(held) < 1e-8


def test_bad_control_totals_name_file_row_and_column(tinycity_copy: Path) -> None:
    pd.DataFrame(
        {"year": [2025, 2025], "age_from": [10, 3], "age_to": [5, 20], "count": [100, 200]}
    ).to_csv(tinycity_copy / "control_totals.csv", index=False)
    with pytest.raises(InputDataError) as err:
        load_city(tinycity_copy)
    assert "control_totals.csv, row 2, column 'age_to'" in str(err.value)
    pd.DataFrame(
        {"year": [2025, 2025], "age_from": [0, 5], "age_to": [10, 20], "count": [100, 200]}
    ).to_csv(tinycity_copy / "control_totals.csv", index=False)
    with pytest.raises(InputDataError) as err:
        load_city(tinycity_copy)
    assert "control_totals.csv, row 3, column 'age_from'" in str(err.value)
    assert "overlaps" in str(err.value)


def test_housing_file_with_planned_years_only(tinycity_copy: Path) -> None:
    """No completions in the base period: nothing is taken out, the plan still enters."""
    pd.DataFrame({"year": [2025, 2026], "district": ["a", "a"], "dwellings": [50, 50]}).to_csv(
        tinycity_copy / "housing.csv", index=False
    )
    rates = estimate_base_rates(load_city(tinycity_copy), EstimationSettings())
    assert list(rates.housing_years) == [2025, 2026]
    proj = project_population(rates, PopulationAssumptions(), 5)
    assert proj.internal_in[2].sum() > 0  # 2025: first occupants from other districts
