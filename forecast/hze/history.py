"""A city's HzE history as arrays, and the population exposure the rates refer to.

Exposure: begun cases of a Hilfeart in year t are related to the persons of the ages it serves,
weighted by its age profile (``catalogue.age_weights``) and averaged over the year (mean of the
populations at 31.12. of t-1 and t; the first year of a series uses 31.12. of t alone). A rate is
then "begun cases per weighted person-year", i.e. per person under 21 in a population with an even
age structure, the unit of the national statistics.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecast.citydata import CityData
from forecast.contract import HILFEARTEN
from forecast.hze.catalogue import EXPOSURE_AGES, UNDER_21, age_weights
from forecast.population.estimate import population_array


def hilfeart_weights(codes: tuple[str, ...]) -> np.ndarray:
    """Age weights of several Hilfearten, shape (H, 27)."""
    return np.stack([age_weights(code) for code in codes])


def weighted_exposure(pop: np.ndarray, codes: tuple[str, ...]) -> np.ndarray:
    """Age-weighted mid-year exposure per Hilfeart.

    Args:
        pop: persons at 31.12. of consecutive years, shape (..., Y, D, 2, A) with A >= 27.
        codes: Hilfeart codes.

    Returns:
        Weighted person-years, shape (..., Y, D, H); year 0 uses its own 31.12. population.
    """
    young = pop[..., :EXPOSURE_AGES].sum(axis=-2)  # (..., Y, D, 27), both sexes
    mid = young.copy()
    mid[..., 1:, :, :] = 0.5 * (young[..., 1:, :, :] + young[..., :-1, :, :])
    return mid @ hilfeart_weights(codes).T


def under_21(pop: np.ndarray) -> np.ndarray:
    """Persons aged 0..20 at 31.12., shape (..., Y, D) from (..., Y, D, 2, A)."""
    return pop[..., :UNDER_21].sum(axis=(-1, -2))


@dataclass(frozen=True)
class HzeHistory:
    """Observed HzE cases of a city by year, district and Hilfeart, with exposure.

    Attributes:
        years: calendar years (flows) / Stichtage 31.12. (stocks), shape (T,).
        districts: district codes, length D.
        hilfearten: the Hilfearten with rows in ``hze_cases``, length H.
        begun: cases begun during the year, shape (T, D, H); NaN before a Hilfeart's first year.
        ended: cases ended during the year, same shape.
        running: cases running at 31.12., same shape.
        exposure: age-weighted person-years from the register, shape (T, D, H).
        under21: persons under 21 at 31.12., shape (T, D).
        covariates: social indicator -> values, shape (T, D) each (gaps filled within a district).
        notes: what was dropped or filled, one sentence each.
    """

    years: np.ndarray
    districts: tuple[str, ...]
    hilfearten: tuple[str, ...]
    begun: np.ndarray
    ended: np.ndarray
    running: np.ndarray
    exposure: np.ndarray
    under21: np.ndarray
    covariates: dict[str, np.ndarray] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def index(self, code: str) -> int:
        return self.hilfearten.index(code)

    def first_year(self, code: str) -> int:
        """First year with rows for a Hilfeart."""
        ok = np.isfinite(self.begun[:, 0, self.index(code)])
        return int(self.years[np.flatnonzero(ok)[0]])

    def until(self, year: int) -> HzeHistory:
        """The history as known at the end of ``year`` (for backtests)."""
        keep = self.years <= year
        if not keep.any():
            raise ValueError(f"no hze_cases up to {year}: the first year is {self.years[0]}")
        arrays = {
            name: getattr(self, name)[keep]
            for name in ("years", "begun", "ended", "running", "exposure", "under21")
        }
        covariates = {k: v[keep] for k, v in self.covariates.items()}
        return dataclasses.replace(self, covariates=covariates, **arrays)

    def fallzahl_rate(self, year: int) -> dict[str, float]:
        """City Fallzahl (running 31.12. + ended) per 10,000 under 21 in ``year``, per Hilfeart."""
        t = int(np.flatnonzero(self.years == year)[0])
        cases = (self.running[t] + self.ended[t]).sum(axis=0)
        return {
            h: float(1e4 * cases[i] / self.under21[t].sum()) for i, h in enumerate(self.hilfearten)
        }


def load_history(city: CityData, up_to: int | None = None) -> HzeHistory | None:
    """The city's ``hze_cases`` as arrays, or None if the city has none.

    Years without a register population (needed for the exposure) are dropped, as are years
    after ``up_to``; a register year the city excludes from rate estimation is replaced by the
    mean of its neighbours for the exposure.

    Args:
        city: validated city data.
        up_to: last year to use (e.g. the population base year); None = all.

    Returns:
        The history, or None when the city folder has no ``hze_cases``.
    """
    if not city.has("hze_cases"):
        return None
    cases = city.table("hze_cases")
    pop, pop_years = population_array(city)
    pop = _smooth_excluded(pop, pop_years, city.exclude_years)
    notes = []
    years = np.sort(cases["year"].unique())
    keep = np.isin(years, pop_years) & (years <= (up_to if up_to is not None else years.max()))
    if not keep.all():
        dropped = ", ".join(str(y) for y in years[~keep])
        notes.append(f"hze_cases years {dropped} dropped: no register population or after {up_to}")
    years = years[keep]
    if years.size == 0:
        return None
    districts = city.district_codes
    codes = tuple(h for h in HILFEARTEN if h in set(cases["hilfeart"]))
    index = pd.MultiIndex.from_product(
        [years, districts, codes], names=["year", "district", "hilfeart"]
    )
    frame = cases.set_index(["year", "district", "hilfeart"]).reindex(index)
    shape = (len(years), len(districts), len(codes))
    arrays = {c: frame[c].to_numpy(float).reshape(shape) for c in ("begun", "ended", "running")}
    # Exposure uses the population of t-1 where the register has it (mid-year average).
    at = np.searchsorted(pop_years, years)
    prev_ok = (at > 0) & (pop_years[np.maximum(at - 1, 0)] == years - 1)
    both = np.stack([pop[np.where(prev_ok, at - 1, at)], pop[at]], axis=1)  # (T, 2, D, 2, A)
    exposure = weighted_exposure(both, codes)[:, 1]
    return HzeHistory(
        years=years,
        districts=districts,
        hilfearten=codes,
        exposure=exposure,
        under21=under_21(pop[at]),
        covariates=_covariates(city, years, districts, notes),
        notes=tuple(notes),
        **arrays,
    )


def _smooth_excluded(pop: np.ndarray, years: np.ndarray, excluded: tuple[int, ...]) -> np.ndarray:
    """Replace excluded register years by the mean of both neighbours (when both exist)."""
    pop = pop.copy()
    for year in excluded:
        i = np.flatnonzero(years == year)
        if i.size and 0 < i[0] < years.size - 1:
            pop[i[0]] = 0.5 * (pop[i[0] - 1] + pop[i[0] + 1])
    return pop


def _covariates(
    city: CityData, years: np.ndarray, districts: tuple[str, ...], notes: list[str]
) -> dict[str, np.ndarray]:
    """Social indicators by (year, district); gaps filled from the nearest year of the district."""
    if not city.has("social"):
        return {}
    social = city.table("social")
    out = {}
    for name, rows in social.groupby("indicator", sort=True):
        wide = rows.pivot_table(index="year", columns="district", values="value", aggfunc="mean")
        wide = wide.reindex(columns=list(districts))
        if wide.isna().all(axis=0).any():
            missing = [d for d in districts if wide[d].isna().all()]
            notes.append(f"social indicator '{name}' not used: no values for district(s) {missing}")
            continue
        span = sorted(set(wide.index) | set(years.tolist()))
        filled = wide.reindex(span).interpolate(limit_direction="both").ffill().bfill()
        out[str(name)] = filled.loc[years.tolist()].to_numpy(float)
    return out
