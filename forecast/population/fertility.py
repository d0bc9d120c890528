"""Fertility of the base period: the age pattern, the city's level and each district's level.

The shape comes from the city's ``fertility`` file or the national ASFR (Destatis); the level from
the city's observed births over the base period; districts with their own births are shrunk toward
the city level (Gamma-Poisson), so a small district's few births do not set its rate alone.

References:
    Preston, Heuveline, Guillot (2001), Demography, sec. 6.3 (births in a projection step).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forecast.citydata import CityData
from forecast.contract import CITY_DISTRICT, FERTILE_AGES
from forecast.params import default_value
from forecast.population.register import BasePeriod, yearly_total
from forecast.reference import national_asfr, national_male_share_at_birth

# Prior strength (in births) when a district's fertility level is shrunk toward the city's;
# value and source in forecast/parameters/population.yaml.
DISTRICT_FERTILITY_PRIOR_BIRTHS: float = default_value(
    "population.estimation.district_fertility_prior"
)


@dataclass(frozen=True)
class FertilityEstimate:
    """Fertility rates of the base period.

    Attributes:
        asfr: births per woman and year by district and age 15..49, shape (D, 35).
        reference: the reference age pattern (before the city's level), shape (35,).
        city_scale: the city's level relative to the reference (observed / expected births).
        male_share_at_birth: share of boys among births.
        births_by_year: city births per base-period year, shape (T,), persons.
    """

    asfr: np.ndarray
    reference: np.ndarray
    city_scale: float
    male_share_at_birth: float
    births_by_year: np.ndarray

    def district_births(self, period: BasePeriod) -> np.ndarray:
        """Births per base-period year and district at the estimated rates, (T, D), persons."""
        return (self.asfr * period.women()).sum(axis=-1)


def estimate_fertility(
    city: CityData, period: BasePeriod, base_year: int, prior: float, notes: list[str]
) -> FertilityEstimate:
    """Age pattern, city level and district levels of fertility over the base period.

    Args:
        city: a validated city folder.
        period: the base period's registers.
        base_year: the base year (picks the national reference pattern).
        prior: prior weight, in births, toward the city level for district levels.
        notes: sources and fallbacks used, appended to.
    """
    ages = range(FERTILE_AGES[0], FERTILE_AGES[1] + 1)
    if city.has("fertility"):
        reference = (
            city.table("fertility")
            .set_index("mother_age")["asfr"]
            .reindex(ages, fill_value=0.0)
            .to_numpy(float)
        )
        notes.append("Fertility age pattern: the city's fertility file")
    else:
        ref = national_asfr(min(base_year, 2021))
        reference = ref.values
        notes.append(f"Fallback: no fertility file; age pattern of fertility from {ref.label}")
    flow_years = period.flow_years
    expected = (reference * period.women()).sum(axis=-1)  # (T, D) at the reference level
    male_share = float(national_male_share_at_birth().values)
    n_d = len(city.district_codes)
    observed = yearly_total(city, "births").reindex(flow_years) if city.has("births") else None
    if observed is None or observed.isna().any():
        if observed is None:
            notes.append("Fallback: no births file; national fertility level")
        else:
            missing = [int(y) for y in flow_years[observed.isna().to_numpy()]]
            notes.append(
                f"Fallback: births file lacks the base-period years {missing}; national fertility level"
            )
        return FertilityEstimate(
            asfr=np.broadcast_to(reference, (n_d, len(reference))).copy(),
            reference=reference,
            city_scale=1.0,
            male_share_at_birth=male_share,
            births_by_year=expected.sum(axis=1),
        )
    city_scale = float(observed.sum() / expected.sum())
    table = city.table("births")
    with_sex = table[table["sex"].notna() & table["year"].isin(flow_years)]
    if len(with_sex) and with_sex["count"].sum() > 0:
        male_share = float(
            with_sex.loc[with_sex["sex"] == "m", "count"].sum() / with_sex["count"].sum()
        )
        notes.append("Sex ratio at birth: the city's births by sex")
    else:
        notes.append("Fallback: births without sex; national share of boys at birth")
    district_scale = _district_level(city, flow_years, expected * city_scale, prior, notes)
    return FertilityEstimate(
        asfr=reference[None, :] * city_scale * district_scale[:, None],
        reference=reference,
        city_scale=city_scale,
        male_share_at_birth=male_share,
        births_by_year=observed.to_numpy(float),
    )


def _district_level(
    city: CityData, flow_years: np.ndarray, expected: np.ndarray, prior: float, notes: list[str]
) -> np.ndarray:
    """Relative fertility level per district, shrunk toward the city level (Gamma-Poisson)."""
    table = city.table("births")
    detail = table[(table["district"] != CITY_DISTRICT) & table["year"].isin(flow_years)]
    if detail.empty:
        notes.append(
            "Fallback: births known for the whole city only; every district at the city level"
        )
        return np.ones(len(city.district_codes))
    observed = (
        detail.groupby("district")["count"].sum().reindex(list(city.district_codes), fill_value=0)
    ).to_numpy(float)
    notes.append(
        f"District fertility: observed births, shrunk toward the city level ({prior:g} births prior)"
    )
    return (observed + prior) / (expected.sum(axis=0) + prior)
