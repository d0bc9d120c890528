"""Primary-school cohorts per school year, from 31.12. counts, the Land cut-off and school careers.

A school year t runs from 1 August t to 31 July t+1 (``year = t``) and its children are counted
from the population at 31.12. of t, as the Kita year is (``forecast.kita.cohorts``, whose cut-off
rule and birth-month shares are used here). With ``c`` the share of a year's births up to the
Land's cut-off and P(x) the population aged x at 31.12.t, the children who would be in grade j
in school year t if every child entered school on time and never repeated are

    C_j = (1 - c) * P(6 + j) + c * P(5 + j)

(j = 1: born after the cut-off of t-7 and up to the cut-off of t-6; ``C_0`` is the Kita's
school-entry cohort, still in Kita). Careers shift children between these regular cohorts:

* early entry (Kann-Kinder, share ``e`` of a birth cohort) puts them one grade ahead (lag -1),
* deferral (Rückstellung, share ``d``) one grade behind (lag +1),
* each repetition (probability ``r`` per grade) one grade behind from the next grade on, and the
  repeated grade holds the child twice.

So grade g holds sum over lags L of w_g(L) * C_(g+L), with w_g the distribution of the lag on
entering grade g (the entry lag convolved with Binomial(g - 1, r) repetitions), plus the second
year of its repeaters (r * w_g shifted by one). The weights of a grade sum to 1 + r: repeaters
make a grade larger than a birth cohort. With e = d = r = 0, grade g is exactly C_g.

References:
    Statistisches Bundesamt, Schulstatistik (Einschulungen, Wiederholer); Land school laws for
    the cut-off dates (``forecast/parameters/ganztag.yaml``, ``school_cutoff``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forecast.kita.cohorts import SCHOOL_ENTRY_BY_STATE, SchoolEntryRule, share_born_by

GRADES = 4
"""Grades of the Grundschule (1-4; Berlin and Brandenburg have 6, of which 1-4 are counted)."""


def cutoff_rules() -> dict[str, SchoolEntryRule]:
    """The school-entry cut-off of every Land (``ganztag.school_cutoff``, with its source); the
    same table the Kita cohorts use."""
    return dict(SCHOOL_ENTRY_BY_STATE)


@dataclass(frozen=True)
class Careers:
    """How children move through primary school relative to their birth cohort.

    Attributes:
        early_entry: share of a birth cohort entering school one year early (Kann-Kinder).
        deferral: share entering one year late (Rückstellungen).
        repeat_rate: share of a grade's children who repeat the grade.
    """

    early_entry: float = 0.0
    deferral: float = 0.0
    repeat_rate: float = 0.0

    def __post_init__(self) -> None:
        for name in ("early_entry", "deferral", "repeat_rate"):
            value = getattr(self, name)
            if not 0.0 <= value < 0.5:
                raise ValueError(f"{name} = {value:g}: expected a share in [0, 0.5)")

    def lag_weights(self) -> np.ndarray:
        """Weights w[g-1, L + 1] of the regular cohort C_(g+L) in grade g, L = -1 .. GRADES + 1.

        Shape (GRADES, GRADES + 3). Row g sums to 1 + repeat_rate.
        """
        e, d, r = self.early_entry, self.deferral, self.repeat_rate
        entry = np.array([e, 1.0 - e - d, d])  # lags -1, 0, +1
        out = np.zeros((GRADES, GRADES + 3))
        repeats = np.array([1.0])  # number of repetitions before grade 1: none
        for g in range(GRADES):
            first_year = np.convolve(entry, repeats)  # lag on entering grade g+1
            out[g, : first_year.size] += first_year
            out[g, 1 : first_year.size + 1] += r * first_year  # their repeaters' second year
            repeats = np.convolve(repeats, [1.0 - r, r])
        return out


def regular_cohorts(pop: np.ndarray, c: float, last: int) -> np.ndarray:
    """C_j for j = 0..last from ages at 31.12. (..., A): shape (..., last + 1)."""
    return (1.0 - c) * pop[..., 6 : 7 + last] + c * pop[..., 5 : 6 + last]


@dataclass(frozen=True)
class SchoolCohorts:
    """Primary-school children of each school year by draw, district and grade.

    Attributes:
        years: school years t (1 August t to 31 July t+1), shape (Y,).
        districts: district codes, length D.
        by_grade: children in grades 1..4, shape (N, Y, D, 4), persons.
        school_entry: children of the Kita's school-entry cohort (C_0: regular entry on 1 August
            t+1), shape (N, Y, D), persons.
        share_by_cutoff: share of a year's births up to the cut-off (``c``).
    """

    years: np.ndarray
    districts: tuple[str, ...]
    by_grade: np.ndarray
    school_entry: np.ndarray
    share_by_cutoff: float

    @property
    def total(self) -> np.ndarray:
        """Children in grades 1-4, shape (N, Y, D)."""
        return self.by_grade.sum(axis=-1)


def school_cohorts(
    population: np.ndarray,
    years: np.ndarray,
    districts: tuple[str, ...],
    month_shares: np.ndarray,
    rule: SchoolEntryRule,
    careers: Careers = Careers(),
) -> SchoolCohorts:
    """Children in grades 1-4 of school year t from the population at 31.12. of t.

    Args:
        population: persons at 31.12., shape (N, Y, D, 2, A) or (N, Y, D, A); A >= 16.
        years: the Stichtage 31.12. = school years, shape (Y,).
        districts: district codes, length D.
        month_shares: share of a year's births per month, shape (12,).
        rule: the Land's school-entry cut-off.
        careers: early entry, deferral and repetition.

    Returns:
        The school cohorts (see the module docstring).

    References:
        Land school laws (cut-off); Destatis Schulstatistik (careers).
    """
    pop = np.asarray(population, dtype=float)
    if pop.ndim == 5:
        pop = pop.sum(axis=3)
    last = 2 * GRADES + 1  # the largest lag of grade GRADES is GRADES + 1
    need = 6 + last + 1  # C_last uses age 6 + last
    if pop.ndim != 4 or pop.shape[-1] < need:
        raise ValueError(f"population must be (N, Y, D[, 2], A) with A >= {need}: {pop.shape}")
    if pop.shape[1] != len(years) or pop.shape[2] != len(districts):
        raise ValueError(
            f"population shape {pop.shape} does not match {len(years)} years and "
            f"{len(districts)} districts"
        )
    c = share_born_by(rule, month_shares)
    cohorts = regular_cohorts(pop, c, last)  # C_0 .. C_last
    weights = careers.lag_weights()  # (G, GRADES + 3) over lags -1 .. GRADES + 1
    by_grade = np.zeros((*pop.shape[:3], GRADES))
    for g in range(1, GRADES + 1):
        for k, w in enumerate(weights[g - 1]):
            j = g + k - 1  # regular cohort index of lag k - 1
            if w:
                by_grade[..., g - 1] += w * cohorts[..., j]
    return SchoolCohorts(
        years=np.asarray(years),
        districts=tuple(districts),
        by_grade=by_grade,
        school_entry=cohorts[..., 0],
        share_by_cutoff=c,
    )
