"""School catchment areas: which part of a district's primary-school children goes to which school.

``school_districts`` (school, district, share) says, for every district, how its children are
divided among the Grundschulen; a district's shares sum to 1. Without the file every district is
one catchment area (its code is the school code). Demand is carried from districts to schools with
the shares; places are given per school; a school's places and gap are carried back to districts
in proportion to the school's demand from each district, so that districts and schools add up
to the same city total and a district's gap is its demand minus its places:

    demand(s)   = sum_d share(d, s) * demand(d)
    weight(d,s) = share(d, s) * demand(d) / sum_d' share(d', s) * demand(d')
    places(d)   = sum_s weight(d, s) * places(s),  gap(d) = sum_s weight(d, s) * gap(s)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

SHARE_TOLERANCE = 0.005
"""A district's shares may miss 1 by this much (rounded percentages); they are rescaled to 1."""


@dataclass(frozen=True)
class Catchments:
    """Districts x schools.

    Attributes:
        districts: district codes, length D.
        schools: school codes, length S.
        share: share of district d's children at school s, shape (D, S); rows sum to 1.
        given: whether the city gave the areas (False: one area per district).
    """

    districts: tuple[str, ...]
    schools: tuple[str, ...]
    share: np.ndarray
    given: bool = True

    @classmethod
    def one_per_district(cls, districts) -> Catchments:
        districts = tuple(districts)
        return cls(districts, districts, np.eye(len(districts)), given=False)

    @classmethod
    def from_table(cls, table: pd.DataFrame, districts) -> Catchments:
        """From ``school_districts`` rows; a district without rows is its own area.

        Raises:
            ValueError: a district whose shares do not sum to 1 (within ``SHARE_TOLERANCE``).
        """
        districts = tuple(districts)
        table = table.assign(school=table["school"].astype(str))
        schools = list(dict.fromkeys(table["school"]))
        missing = [d for d in districts if d not in set(table["district"])]
        schools += [d for d in missing if d not in schools]
        share = np.zeros((len(districts), len(schools)))
        col = {s: i for i, s in enumerate(schools)}
        row = {d: i for i, d in enumerate(districts)}
        for r in table.itertuples(index=False):
            share[row[r.district], col[r.school]] += float(r.share)
        for d in missing:
            share[row[d], col[d]] = 1.0
        sums = share.sum(axis=1)
        bad = [districts[i] for i in np.flatnonzero(np.abs(sums - 1.0) > SHARE_TOLERANCE)]
        if bad:
            raise ValueError(f"school_districts: the shares of district(s) {bad} do not sum to 1")
        return cls(districts, tuple(schools), share / sums[:, None])

    def to_schools(self, x: np.ndarray) -> np.ndarray:
        """A district quantity (..., D) at the schools (..., S)."""
        return x @ self.share

    def weights(self, demand: np.ndarray) -> np.ndarray:
        """weight(d, s) of the module docstring from demand (..., D): shape (..., D, S).

        A school without demand gives its places to its districts by the shares alone.
        """
        part = demand[..., :, None] * self.share
        total = part.sum(axis=-2, keepdims=True)
        even = self.share / np.maximum(self.share.sum(axis=0), 1e-12)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total > 0, part / total, even)

    def to_districts(self, x: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """A school quantity (..., S) carried back to districts (..., D) with ``weights``."""
        return np.einsum("...ds,...s->...d", weights, x)
