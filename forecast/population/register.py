"""The register history as arrays: populations by year, usable transitions, yearly flow totals.

Shared by the estimation modules (fertility, mortality, migration) and by check-data, so that
what check-data calls a usable base period is exactly what the estimation uses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.citydata import CityData
from forecast.contract import CITY_DISTRICT, FERTILE_AGES, MAX_AGE, SEXES
from forecast.population.kernel import FEMALE, age_cohorts

AGES = np.arange(MAX_AGE + 1)
FERTILE = slice(FERTILE_AGES[0], FERTILE_AGES[1] + 1)


def population_array(city: CityData) -> tuple[np.ndarray, np.ndarray]:
    """Register population as an array (years, districts, sex, age) and the years."""
    pop = city.table("population")
    years = np.sort(pop["year"].unique())
    index = pd.MultiIndex.from_product(
        [years, list(city.district_codes), list(SEXES), AGES],
        names=["year", "district", "sex", "age"],
    )
    counts = (
        pop.assign(age=pop["age"].astype(int))
        .set_index(["year", "district", "sex", "age"])["count"]
        .reindex(index, fill_value=0)
        .to_numpy(float)
    )
    return counts.reshape(len(years), len(city.district_codes), len(SEXES), len(AGES)), years


def yearly_total(city: CityData, stem: str, **filters: str) -> pd.Series:
    """Sum of ``count`` per year over all rows of a flow file (district or ``_city`` rows)."""
    table = city.table(stem)
    for col, value in filters.items():
        table = table[table[col] == value]
    districts = table["district"].unique()
    if CITY_DISTRICT in districts and len(districts) > 1:
        # City rows and district rows may coexist for different years: per year, prefer the
        # district detail and fall back to the city row.
        detail = table[table["district"] != CITY_DISTRICT].groupby("year")["count"].sum()
        city_rows = table[table["district"] == CITY_DISTRICT].groupby("year")["count"].sum()
        return detail.combine_first(city_rows)
    return table.groupby("year")["count"].sum()


def usable_transitions(city: CityData, years: np.ndarray, base_year: int) -> list[int]:
    """Years t < base_year with registers at t and t+1, neither listed in ``exclude_years``."""
    have = {int(y) for y in years}
    bad = set(city.exclude_years)
    return [
        t
        for t in range(int(years[0]), base_year)
        if t in have and t + 1 in have and t not in bad and t + 1 not in bad
    ]


@dataclass(frozen=True)
class BasePeriod:
    """The register populations of the base period's transitions t -> t+1.

    Attributes:
        transitions: first years t of the transitions used.
        start: population at 31.12. of t, shape (T, D, 2, A), persons.
        end: population at 31.12. of t+1, same shape.
        base: population of the base year, (D, 2, A).
    """

    transitions: tuple[int, ...]
    start: np.ndarray
    end: np.ndarray
    base: np.ndarray

    @property
    def flow_years(self) -> np.ndarray:
        """Calendar years of the flows (t+1)."""
        return np.array(self.transitions, dtype=int) + 1

    def women(self) -> np.ndarray:
        """Women of fertile age, mean of start and end, shape (T, D, 35), persons."""
        return 0.5 * (self.start[..., FEMALE, FERTILE] + self.end[..., FEMALE, FERTILE])

    def cohorts(self, births: np.ndarray, male_share: float) -> np.ndarray:
        """Start populations aged on (cohort-indexed) with ``births`` (T, D) at age 0."""
        out = age_cohorts(self.start)
        out[..., 0] = births[..., None] * np.array([1.0 - male_share, male_share])
        return out
