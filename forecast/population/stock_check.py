"""A projection that publishes no impossible stocks: NaN, infinite or negative persons.

An impossible input (one deaths cell of 5,000 for a cell of a few persons, out-moves above the
cell's population) can turn a life table or an out-rate into nonsense; the arithmetic then goes on
quietly and every later number is NaN or negative. ``check_stocks`` stops at the first such cell
and names it, together with the input cell most likely responsible (``likely_cause``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from forecast.citydata import CityData
from forecast.contract import CITY_DISTRICT, SEXES

NEGATIVE_TOLERANCE = 0.5
"""Persons. Below this a stock is negative beyond rounding: it would be published as -1 or less.
Smaller negative values are what floating-point differences of large numbers leave."""


class ImpossiblePopulation(ValueError):
    """The projection produced NaN, infinite or negative population stocks."""


def check_stocks(
    population: np.ndarray,
    years: Sequence[int],
    districts: Sequence[str],
    ages: Sequence[str],
    what: str,
    cause: Callable[[], str],
) -> None:
    """Raise at the first impossible cell of ``population``.

    Args:
        population: persons, (..., Y, D, 2, A); leading axes (draws, quantiles) are searched too.
        years, districts, ages: labels of the last four axes but sex.
        what: which path this is (``deterministic projection``, ``draws``), for the message.
        cause: gives the sentence naming the likely input (``likely_cause``); called on failure.

    Raises:
        ImpossiblePopulation: at least one cell is NaN, infinite or below -0.5 persons.
    """
    values = np.asarray(population, dtype=float)
    bad = ~np.isfinite(values) | (values < -NEGATIVE_TOLERANCE)
    if not bad.any():
        return
    cells = bad.reshape(-1, *bad.shape[-4:]).any(axis=0)  # (Y, D, 2, A)
    year, district, sex, age = (int(i) for i in np.argwhere(cells)[0])  # earliest year first
    at = (..., year, district, sex, age)
    value = values[at].reshape(-1)
    shown = value[~np.isfinite(value) | (value < -NEGATIVE_TOLERANCE)][0]
    raise ImpossiblePopulation(
        f"the {what} gives {'NaN' if np.isnan(shown) else f'{shown:,.1f}'} persons "
        f"(first in district {districts[district]}, sex {SEXES[sex]}, age {ages[age]}, "
        f"year {years[year]}; {int(cells.sum()):,} cells in all); {cause()}"
    )


def likely_cause(
    city: CityData,
    flow_years: Sequence[int],
    out_rate: np.ndarray,
    internal_out_rate: np.ndarray | None = None,
) -> str:
    """The input cell most likely behind impossible stocks, as a sentence.

    Deaths (age at 1.1.) are compared with the population of the cell at the start of the year,
    out-moves across the city boundary and moves to other districts (age at 31.12.) with the
    cohort's start population; the cell with the largest excess over its population is named.
    Without one, an estimated out-rate of 1 or more per person is named.

    Args:
        city: the city folder.
        flow_years: calendar years of the base period's flows.
        out_rate: estimated out-migration rates per start-of-year person, (D, 2, A).
        internal_out_rate: the same for moves to other districts, if the city has them.
    """
    worst = _flows_above_population(city, [int(y) for y in flow_years])
    if worst is not None:
        return (
            f"likely cause: {worst['label']} in {worst['file']} for district {worst['district']}, "
            f"sex {worst['sex']}, age {int(worst['age'])}, year {int(worst['year'])}: "
            f"{worst['count']:,.0f} for a cell of {worst['start']:,.0f} persons at the start "
            "of the year (base period); correct the input and run again"
        )
    for name, rates, stem in (
        ("out-migration", out_rate, "migration"),
        ("internal move", internal_out_rate, "moves"),
    ):
        if rates is None:
            continue
        rates = np.asarray(rates, dtype=float)
        over = ~np.isfinite(rates) | (rates >= 1)
        if over.any():
            d, s, a = (int(i) for i in np.argwhere(over)[0])
            return (
                f"likely cause: an {name} rate of {rates[d, s, a]:.2f} per person and year "
                f"(1 or more) for district {city.district_codes[d]}, sex {SEXES[s]}, age {a}, "
                f"estimated from {stem}.csv of the base period; check its counts"
            )
    return (
        "no single input cell explains it; check deaths, migration and moves of the base period "
        "against the population (jhplan check-data lists what the contract checks)"
    )


def _flows_above_population(city: CityData, flow_years: list[int]) -> dict | None:
    pop = city.table("population")
    pop = pop.assign(age=pop["age"].astype(int))
    city_rows = pop.groupby(["year", "sex", "age"], as_index=False)["count"].sum()
    start = pd.concat([pop, city_rows.assign(district=CITY_DISTRICT)], ignore_index=True)
    start = start.set_index(["year", "district", "sex", "age"])["count"]
    found = []
    # Deaths are counted by age at 1.1. (the cell's own start population); out-moves by age at
    # 31.12., so the persons were one year younger at the start of the year.
    for stem, label, direction, shift in (
        ("deaths", "deaths", None, 0),
        ("migration", "out-moves", "out", 1),
        ("moves", "moves to other districts", None, 1),
    ):
        if not city.has(stem):
            continue
        flows = city.table(stem).rename(columns={"from_district": "district"})
        if direction is not None:
            flows = flows[flows["direction"] == direction]
        flows = flows[flows["year"].isin(flow_years) & (flows["age"].astype(str) != "_all")]
        if "to_district" in flows:
            flows = flows[flows["district"] != flows["to_district"]]
        flows = flows.assign(age=flows["age"].astype(int))
        flows = flows[flows["age"] >= shift]
        flows = flows.groupby(["year", "district", "sex", "age"], as_index=False)["count"].sum()
        if flows.empty:
            continue
        key = pd.MultiIndex.from_arrays(
            [flows["year"] - 1, flows["district"], flows["sex"], flows["age"] - shift]
        )
        have = start.reindex(key).to_numpy(float)
        excess = flows["count"].to_numpy(float) - np.nan_to_num(have, nan=0.0)
        over = np.flatnonzero((excess > 0) & ~np.isnan(have))
        found += [
            {
                "file": f"{stem}.csv",
                "label": label,
                "excess": excess[i],
                "start": have[i],
                **flows.iloc[i][["district", "sex", "age", "year", "count"]].to_dict(),
            }
            for i in over
        ]
    return max(found, key=lambda f: f["excess"]) if found else None
