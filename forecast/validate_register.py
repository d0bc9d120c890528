"""The population register as an array, and the fertility and mortality levels flows imply.

``Register`` holds the population at 31.12. by year, district, sex and age, with the city and both
sexes appended, so that the plausibility checks (``forecast.validate_plausible``,
``forecast.validate_flows``) find the population of any cell, age range or the whole city by
indexing, for all rows at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from forecast.contract import CITY_DISTRICT, FERTILE_AGES, MAX_AGE
from forecast.lifetable import LifeTable
from forecast.reference import national_asfr, national_life_table
from forecast.validate_table import lookup, positions


@dataclass
class Register:
    """The register at 31.12. as an array ``pop[year, district, sex, age]``.

    The district axis ends with the city (``_city``), the sex axis with both sexes (f, m, both);
    ``cum`` sums ages cumulatively (leading zero) so that any age range is one subtraction.
    """

    years: np.ndarray
    codes: list[str]
    pop: np.ndarray
    cum: np.ndarray

    @classmethod
    def build(cls, frame: pd.DataFrame, codes: list[str] | None) -> Register:
        years = np.sort(pd.unique(frame["year"].to_numpy(int)))
        codes = list(dict.fromkeys(codes or sorted(frame["district"].unique())))  # unique
        pop = np.zeros((len(years), len(codes) + 1, 3, MAX_AGE + 1))
        d = positions(frame["district"], codes)
        s = lookup(frame["sex"], lambda cells: (cells == "m").to_numpy(int), 0)
        y = np.searchsorted(years, frame["year"].to_numpy(int))
        pop[y, d, s, frame["age"].to_numpy(int)] = frame["count"].to_numpy(float)
        pop[:, -1] = pop[:, :-1].sum(axis=1)
        pop[:, :, 2] = pop[:, :, 0] + pop[:, :, 1]
        cum = np.concatenate([np.zeros(pop.shape[:3] + (1,)), np.cumsum(pop, axis=3)], axis=3)
        return cls(years, codes, pop, cum)

    def year(self, years: np.ndarray) -> np.ndarray:
        """Index of each year in the register, -1 where it is not a register year."""
        years = np.asarray(years)
        first = int(self.years[0]) - 1 if len(self.years) else 0
        span = int(self.years[-1]) - first + 2 if len(self.years) else 1
        index = np.full(span, -1)  # register years are few and close: a table, no search
        index[self.years - first] = np.arange(len(self.years))
        return index[np.clip(years - first, 0, span - 1)]

    def district(self, codes: pd.Series) -> np.ndarray:
        """Index of each district code on the district axis (-1 if unknown)."""
        return positions(codes, [*self.codes, CITY_DISTRICT])

    def total(self, y: np.ndarray, d: np.ndarray, s: np.ndarray, lo, hi) -> np.ndarray:
        """Persons of ages lo..hi; NaN where the year index is -1."""
        n_d, n_s, n_a = self.cum.shape[1:]
        # One flat index per row (negative district = the city, as numpy would wrap it).
        cell = ((np.maximum(y, 0) * n_d + np.mod(d, n_d)) * n_s + s) * n_a
        flat = self.cum.reshape(-1)
        out = flat[cell + (np.asarray(hi) + 1)] - flat[cell + np.asarray(lo)]
        return np.where(y >= 0, out, np.nan)

    def both_years(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Indices of 31.12. of t-1 and of t, each standing in for the other when missing."""
        prev, cur = self.year(t - 1), self.year(t)
        return np.where(prev >= 0, prev, cur), np.where(cur >= 0, cur, prev)


def implied_tfr(reg: Register, t: np.ndarray, d: np.ndarray, births: np.ndarray) -> tuple:
    """TFR implied by births and women (indirect standardisation on the Destatis ASFR).

    TFR = TFR_ref(t) * births / sum_a W(a) * asfr_ref(t, a), W = women at mid-year (mean of
    31.12. of t-1 and t), so that a district of students is not mistaken for a childless one.

    Returns:
        (implied TFR, expected births under the reference schedule), one per row.
    """
    prev, cur = reg.both_years(t)
    ages = np.arange(FERTILE_AGES[0], FERTILE_AGES[1] + 1)
    women = reg.pop[np.maximum(prev, 0), d, 0][:, ages] + reg.pop[np.maximum(cur, 0), d, 0][:, ages]
    women = np.where((prev >= 0)[:, None], women / 2, np.nan)
    years, which = np.unique(t, return_inverse=True)  # one reference schedule per year
    asfr = np.stack([national_asfr(int(y)).values for y in years] or [np.zeros(35)])[which]
    expected = (women * asfr).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return asfr.sum(axis=1) * births / expected, expected


def implied_e0(reg: Register, t: np.ndarray, d: np.ndarray, deaths: np.ndarray) -> tuple:
    """Life expectancy implied by deaths and population (indirect standardisation).

    The Destatis life table of the year (``national_life_table``) is scaled by the ratio of
    observed to expected deaths (SMR) at every age; e0 is the mean of both sexes' e0.

    Returns:
        (implied e0 in years, expected deaths under the reference table), one per row.
    """
    prev, cur = reg.both_years(t)
    pop = (reg.pop[np.maximum(prev, 0), d, :2] + reg.pop[np.maximum(cur, 0), d, :2]) / 2
    pop = np.where((prev >= 0)[:, None, None], pop, np.nan)
    years, which = np.unique(t, return_inverse=True)  # one reference table per year
    tables = [_reference_mortality(int(y)) for y in years]
    empty = np.zeros((1, 2, MAX_AGE + 1))
    mx = np.stack([lt.mx for lt in tables])[which] if tables else empty[:0]
    ax = np.stack([lt.ax for lt in tables])[which] if tables else empty[:0]
    expected = (pop * mx).sum(axis=(1, 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        smr = deaths / expected
    scaled = LifeTable(mx=mx * np.nan_to_num(smr)[:, None, None], ax=ax)
    return np.where(np.isfinite(smr), scaled.e0.mean(axis=1), np.nan), expected


@lru_cache(maxsize=256)
def _reference_mortality(year: int) -> LifeTable:
    """The Destatis life table for ``year`` (``national_life_table``) as death rates."""
    ref = national_life_table(year).values
    return LifeTable.from_lx_Lx(ref["lx"], ref["Lx"])
