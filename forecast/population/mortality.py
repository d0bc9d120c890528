"""Mortality of the base period: the shape of a life table and the city's level.

The shape comes from the city's ``life_table`` file or the national period life table (Destatis
Sterbetafel); the level is the ratio of the city's observed deaths over the base period to the
deaths the table would give its population, applied to every age (a standardised mortality ratio).

References:
    Preston, Heuveline, Guillot (2001), Demography, ch. 3 (life tables), sec. 2.4 (standardisation).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forecast.citydata import CityData
from forecast.lifetable import LifeTable
from forecast.population.register import yearly_total
from forecast.reference import life_table_columns, national_life_table


@dataclass(frozen=True)
class MortalityEstimate:
    """Mortality of the base period.

    Attributes:
        life_table: the city's life table (shape times level), mx of shape (2, 101).
        ratio: the city's level relative to the reference table (observed / expected deaths).
    """

    life_table: LifeTable
    ratio: float


def reference_life_table(city: CityData, base_year: int, notes: list[str]) -> LifeTable:
    """The city's own life table, or the national one of the base year's period."""
    if city.has("life_table"):
        cols = life_table_columns(city.table("life_table"))
        notes.append("Mortality: the city's own life table (life_table file)")
    else:
        ref = national_life_table(base_year)
        cols = ref.values
        notes.append(f"Fallback: no life_table file; mortality shape from {ref.label}")
    return LifeTable.from_lx_Lx(cols["lx"], cols["Lx"])


def estimate_mortality(
    city: CityData,
    reference: LifeTable,
    city_cohorts: np.ndarray,
    flow_years: np.ndarray,
    notes: list[str],
) -> MortalityEstimate:
    """Scale the reference table to the city's observed deaths over the base period.

    Args:
        city: a validated city folder.
        reference: the life table giving the age shape.
        city_cohorts: the city's start populations aged on, births at age 0, (T, 2, A), persons.
        flow_years: the base period's calendar years.
        notes: sources and fallbacks used, appended to.
    """
    ratio = 1.0
    if not city.has("deaths"):
        notes.append("Fallback: no deaths file; reference mortality level")
        return MortalityEstimate(reference, ratio)
    observed = yearly_total(city, "deaths").reindex(flow_years)
    if observed.isna().any():
        notes.append(
            "Fallback: deaths file incomplete for the base period; reference mortality level"
        )
        return MortalityEstimate(reference, ratio)
    s, _ = reference.survival_ratios()
    expected = ((1.0 - s) * city_cohorts).sum(axis=(-1, -2))
    ratio = float(observed.sum() / expected.sum())
    notes.append(f"Mortality level: the city's deaths = {ratio:.3f} x reference table")
    return MortalityEstimate(reference.scaled(ratio), ratio)
