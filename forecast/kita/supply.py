"""Kita places, the gap between demand and places, and the gap in groups (NRW KiBiz group forms).

**Places** come from ``kita_places`` (year = the Kita year the places are there, planned openings
included). A district keeps its places until a later row changes them, so a file needs a row only
when places change; before a district's first row its places are unknown. Unknown places give no
gap (NaN), never a gap as large as the demand.

**Gap** = Kita demand - places (children; positive = places missing, negative = places to spare).
For U3 the Kita demand is the U3 demand less the share met by Kindertagespflege.

**Groups**: the places missing, in groups of a KiBiz group form (DOMAIN.md § 2.5 [S61]):

=====  =====================================  ============================================
form   children per group                     used here for
=====  =====================================  ============================================
I      20, of them 4-6 under 3 (ages 2-6)     U3 gap / U3 places per group; Ü3 gap / the rest
II     10 (ages 0-3)                          U3 gap
III    20 at 45 h, 25 at 25/35 h (ages 3-6)   Ü3 gap; groups by booking hours
=====  =====================================  ============================================

Groups needed = ceil(max(gap, 0) / children per group), per district (a group is built in one
place); for form III the gap is split by the share of 45-hour bookings. The whole city needs the
sum of its districts' groups.

References:
    KiBiz NRW, Anlage zu § 33 (group forms), via Kreis Borken [S61]; Bottrop plan [S62].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

FORMS = ("I", "II", "III")


@dataclass(frozen=True)
class GroupForms:
    """Children per group of the KiBiz group forms, and the form used to close each gap.

    Attributes:
        size_I: children per group of form I.
        u3_in_I: children under 3 per group of form I.
        size_II: children per group of form II.
        size_III: children per group of form III with 25/35 booked hours.
        size_III_45h: children per group of form III with 45 booked hours.
        u3_form: form for the U3 gap, ``I`` or ``II``.
        ue3_form: form for the Ü3 gap, ``I`` or ``III``.
    """

    size_I: float = 20
    u3_in_I: float = 6
    size_II: float = 10
    size_III: float = 25
    size_III_45h: float = 20
    u3_form: str = "II"
    ue3_form: str = "III"

    def __post_init__(self) -> None:
        sizes = (self.size_I, self.size_II, self.size_III, self.size_III_45h)
        if min(sizes) <= 0 or not 0 < self.u3_in_I < self.size_I:
            raise ValueError(f"group sizes must be > 0 and 0 < u3_in_I < size_I: {self}")
        if self.u3_form not in ("I", "II"):
            raise ValueError(f"U3 group form {self.u3_form!r}: expected 'I' or 'II'")
        if self.ue3_form not in ("I", "III"):
            raise ValueError(f"Ü3 group form {self.ue3_form!r}: expected 'I' or 'III'")

    def groups(self, gap: np.ndarray, group: str, share_45h: float = 0.0) -> np.ndarray:
        """Whole groups needed to close a gap (children), per cell; NaN stays NaN.

        Args:
            gap: demand - places, children, any shape.
            group: ``u3`` or ``ue3``.
            share_45h: share of Kita children booked for 45 hours (form III group size).
        """
        missing = np.maximum(gap, 0.0)
        if group == "u3":
            per_group = self.u3_in_I if self.u3_form == "I" else self.size_II
            return np.ceil(missing / per_group)
        if group != "ue3":
            raise ValueError(f"group {group!r}: expected 'u3' or 'ue3'")
        if self.ue3_form == "I":
            return np.ceil(missing / (self.size_I - self.u3_in_I))
        # Groups are formed by booking hours: 45-hour children in groups of 20, the rest of 25.
        return np.ceil(
            missing * share_45h / self.size_III_45h + missing * (1 - share_45h) / self.size_III
        )

    def unit(self, group: str) -> str:
        """The results unit of the groups of ``group``, naming the form."""
        form = self.u3_form if group == "u3" else self.ue3_form
        return f"groups (KiBiz group form {form})"


def places_by_kita_year(
    places: pd.DataFrame, years: np.ndarray, districts: tuple[str, ...]
) -> np.ndarray:
    """Places per Kita year and district, shape (Y, D, 2) for (U3, Ü3); NaN where unknown.

    Args:
        places: the typed ``kita_places`` table (year, district, places_u3, places_ue3).
        years: the Kita years wanted.
        districts: district codes.

    Returns:
        Places; a year without a row takes the district's latest earlier row.
    """
    out = np.full((len(years), len(districts), 2), np.nan)
    if places is None or places.empty:
        return out
    table = places.set_index(["district", "year"])[["places_u3", "places_ue3"]].sort_index()
    for d, code in enumerate(districts):  # a loop over districts: a few dozen at most
        if code not in table.index.get_level_values(0):
            continue
        rows = table.loc[code]
        known = rows.index.to_numpy(int)
        pos = np.searchsorted(known, np.asarray(years, dtype=int), side="right") - 1
        ok = pos >= 0
        out[ok, d] = rows.to_numpy(float)[pos[ok]]
    return out


def kita_gap(demand: np.ndarray, places: np.ndarray) -> np.ndarray:
    """Demand - places (children); NaN where places are unknown.

    Args:
        demand: Kita demand, shape (N, Y, D).
        places: places, shape (Y, D).
    """
    return demand - places[None, ...]
