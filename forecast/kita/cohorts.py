"""Kita-year cohorts: children by age at 1 August and the school-entry cohort, from 31.12. counts.

Conventions (DESIGN.md, "Domain conventions"):

* **Kita year t** runs from 1 August of t to 31 July of t+1; every Kita result carries
  ``year = t`` (2025 = Kita year 2025/26).
* Its children are counted from the population at **31.12. of t**: the register Stichtag inside
  the Kita year (five months after it starts). The Betreuungsquote of 1 March t+1, which falls in
  the same Kita year, uses the same population as its denominator (Destatis convention), so
  observed participation and projected children refer to one and the same count.
* **Births are spread over the calendar year** by monthly shares (default: Germany 2012-2021,
  Destatis 12612-0002). The calendar cohort born in year c is aged t-c at 31.12.t; the share
  ``e`` of it born before 1 August is one year older at 1 August t than the rest. Hence, with
  P(x) the population aged x at 31.12.t:

      aged x at 1 August t         = e * P(x) + (1 - e) * P(x + 1)
      U3 (aged 0, 1, 2 at 1 August) = e * P(0) + P(1) + P(2) + (1 - e) * P(3)

* **School entry** (start of compulsory schooling on 1 August) takes the children who turn 6 by
  the Land's cut-off date (NRW: 30 September, § 35 SchulG NRW). With ``c`` the share of a year's
  births up to the cut-off, the children who start school at the end of Kita year t (1 August t+1)
  are born after the cut-off of year t-6 and up to the cut-off of year t-5:

      school entry at the end of Kita year t = (1 - c) * P(6) + c * P(5)
      Ü3 (3 at 1 August t to school entry)   = (1 - c) * P(6) + P(5) + P(4) + e * P(3)

  For NRW (e = 0.576, c = 0.757) Ü3 spans 2.82 birth years, U3 exactly 3.

Early or deferred school entry (Kann-Kinder, Rückstellungen) is not modelled: the cut-off rule
decides. Migration between 31.12. and the Kita year's other days is not modelled either: the
31.12. count stands for the whole Kita year.

References:
    Statistisches Bundesamt (Destatis), GENESIS 12612-0002, Lebendgeborene nach Monaten.
    § 24 SGB VIII (entitlement from age 1 and from age 3); § 35 Abs. 1 SchulG NRW (cut-off).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass

import numpy as np

from forecast.params import default_param

KITA_YEAR_START = (8, 1)
"""The Kita year starts on 1 August (month, day)."""

U3_AGES = (0, 1, 2)
"""Ages at 1 August that count as U3: under 1, 1-year-olds (entitlement since 2013), 2-year-olds."""

MIN_AGES = 7
"""Single ages 0..6 at 31.12. are needed (the school-entry cohort is aged 5 and 6)."""


@dataclass(frozen=True)
class SchoolEntryRule:
    """The school-entry cut-off: children who turn 6 by this day start school on 1 August.

    Attributes:
        month: month of the cut-off date (1..12).
        day: day of the cut-off date.
        source: where the rule comes from (Land law or configuration).
    """

    month: int
    day: int
    source: str = ""

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"school-entry cut-off month {self.month}: expected 1..12")
        last = calendar.monthrange(2001, self.month)[1]  # a non-leap year: 29 February is not valid
        if not 1 <= self.day <= last:
            raise ValueError(f"school-entry cut-off day {self.day}: expected 1..{last}")


def _rules_by_state() -> dict[str, SchoolEntryRule]:
    param = default_param("ganztag.school_cutoff")  # one table for Kita and Ganztag
    return {
        state: SchoolEntryRule(int(m), int(d), f"{state}: {param['source']}")
        for state, (m, d) in param["value"].items()
    }


SCHOOL_ENTRY_BY_STATE: dict[str, SchoolEntryRule] = _rules_by_state()
"""Cut-off by Land (``state`` in city.yaml), all 16 Länder, from the parameter
``ganztag.school_cutoff`` (its source names the school laws); ``kita.school_cutoff`` overrides it."""


def share_born_before(month: int, day: int, month_shares: np.ndarray) -> float:
    """Share of a calendar year's births born before ``day``.``month``. (day not included).

    Within a month births are spread evenly over its days.

    Args:
        month: 1..12.
        day: 1..days of the month; ``day = 1`` gives the months before ``month``.
        month_shares: share of the year's births in each month, shape (12,), summing to 1.

    Returns:
        The share, between 0 and 1.
    """
    shares = _checked_shares(month_shares)
    days = calendar.monthrange(2001, month)[1]
    return float(shares[: month - 1].sum() + shares[month - 1] * (day - 1) / days)


def share_born_by(rule: SchoolEntryRule, month_shares: np.ndarray) -> float:
    """Share of a calendar year's births on or before the cut-off day (the cut-off included)."""
    shares = _checked_shares(month_shares)
    days = calendar.monthrange(2001, rule.month)[1]
    return float(shares[: rule.month - 1].sum() + shares[rule.month - 1] * rule.day / days)


def _checked_shares(month_shares: np.ndarray) -> np.ndarray:
    shares = np.asarray(month_shares, dtype=float)
    if shares.shape != (12,) or np.any(shares < 0) or abs(shares.sum() - 1.0) > 1e-6:
        raise ValueError(
            f"birth month shares must be 12 non-negative numbers summing to 1, got {shares}"
        )
    return shares


@dataclass(frozen=True)
class KitaCohorts:
    """Children of each Kita year by draw and district.

    Attributes:
        years: Kita years t (1 August t to 31 July t+1), shape (Y,).
        districts: district codes, length D.
        u3_by_age: children aged 0, 1, 2 at 1 August, shape (N, Y, D, 3), persons.
        ue3: children from 3 at 1 August to school entry, shape (N, Y, D), persons.
        school_entry: children who start school at the end of the Kita year (1 August t+1),
            shape (N, Y, D), persons; they are part of ``ue3``.
        share_before_start: share of a year's births before 1 August (``e``).
        share_by_cutoff: share of a year's births up to the school-entry cut-off (``c``).
    """

    years: np.ndarray
    districts: tuple[str, ...]
    u3_by_age: np.ndarray
    ue3: np.ndarray
    school_entry: np.ndarray
    share_before_start: float
    share_by_cutoff: float

    @property
    def u3(self) -> np.ndarray:
        """Children under 3 at 1 August, shape (N, Y, D), persons."""
        return self.u3_by_age.sum(axis=-1)


def kita_cohorts(
    population: np.ndarray,
    years: np.ndarray,
    districts: tuple[str, ...],
    month_shares: np.ndarray,
    rule: SchoolEntryRule,
) -> KitaCohorts:
    """Children of Kita year t from the population at 31.12. of t (see the module docstring).

    Args:
        population: persons at 31.12., shape (N, Y, D, 2, A) with sexes on axis 3 (or
            (N, Y, D, A) already summed over sex); A >= 7.
        years: the Stichtage 31.12., shape (Y,); Kita year t uses ``years == t``.
        districts: district codes, length D.
        month_shares: share of a year's births per month, shape (12,).
        rule: the school-entry cut-off.

    Returns:
        The Kita-year cohorts for Kita years ``years``.

    References:
        Destatis 12612-0002 (monthly births); § 35 SchulG NRW (cut-off).
    """
    pop = np.asarray(population, dtype=float)
    if pop.ndim == 5:
        pop = pop.sum(axis=3)
    if pop.ndim != 4 or pop.shape[-1] < MIN_AGES:
        raise ValueError(f"population must be (N, Y, D[, 2], A) with A >= {MIN_AGES}: {pop.shape}")
    if pop.shape[1] != len(years) or pop.shape[2] != len(districts):
        raise ValueError(
            f"population shape {pop.shape} does not match {len(years)} years and "
            f"{len(districts)} districts"
        )
    e = share_born_before(*KITA_YEAR_START, month_shares)
    c = share_born_by(rule, month_shares)
    p = pop[..., :MIN_AGES]
    # Aged x at 1 August: the early-born part of the cohort aged x at 31.12. and the late-born
    # part of the cohort aged x+1 (born before 1 August of the year before).
    u3_by_age = e * p[..., 0:3] + (1.0 - e) * p[..., 1:4]
    ue3 = (1.0 - c) * p[..., 6] + p[..., 5] + p[..., 4] + e * p[..., 3]
    school = (1.0 - c) * p[..., 6] + c * p[..., 5]
    return KitaCohorts(
        years=np.asarray(years),
        districts=tuple(districts),
        u3_by_age=u3_by_age,
        ue3=ue3,
        school_entry=school,
        share_before_start=e,
        share_by_cutoff=c,
    )
