"""The rollout of the legal entitlement to all-day care (§ 24 Abs. 4 SGB VIII, GaFöG).

From 1 August 2026 children entering grade 1 are entitled to 8 hours of care on each of the 5
working days (lessons counted; Land law may allow up to 4 weeks' holiday closure); the
entitlement grows by one grade a year: grades 1-2 from August 2027, 1-3 from 2028, 1-4 from
August 2029. The entitled children of a school year are the children of its entitled grades
(the rollout identity, tested in ``tests/test_ganztag.py``).

References:
    Ganztagsförderungsgesetz (GaFöG) of 2 October 2021, BGBl. I S. 4602; § 24 Abs. 4 SGB VIII.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forecast.ganztag.cohorts import GRADES
from forecast.params import default_value


@dataclass(frozen=True)
class Rollout:
    """Which grades are entitled in which school year.

    Attributes:
        first_school_year: the first school year with an entitlement (grade 1 only).
        grades: the number of grades it grows to (one more each school year).
    """

    first_school_year: int = 2026
    grades: int = GRADES

    @classmethod
    def default(cls) -> Rollout:
        value = default_value("ganztag.rollout")
        return cls(int(value["first_school_year"]), int(value["grades"]))

    def entitled_grades(self, years) -> np.ndarray:
        """Number of entitled grades per school year (0 before the first), shape (Y,)."""
        years = np.asarray(years, dtype=int)
        return np.clip(years - self.first_school_year + 1, 0, self.grades)

    def mask(self, years) -> np.ndarray:
        """Whether grade g (column g - 1) is entitled in each school year, shape (Y, GRADES)."""
        n = self.entitled_grades(years)
        return np.arange(1, GRADES + 1)[None, :] <= n[:, None]

    def entitled(self, by_grade: np.ndarray, years) -> np.ndarray:
        """Entitled children: the children of the entitled grades, by_grade (N, Y, D, G) ->
        (N, Y, D)."""
        return (by_grade * self.mask(years)[None, :, None, :]).sum(axis=-1)
