"""check-data rules of the Ganztag files (``school_districts``, ``ganztag_places``).

Cell types, codes (``form``), districts and duplicate keys are checked like in every file
(``forecast.contract``). Beyond them:

* ``school_districts``: a district's shares sum to 1 (the children of a district are all
  somewhere; a rounding of 0.5 percentage points is accepted); a district listed in no row is its
  own catchment area.
* ``ganztag_places`` with ``school_districts``: every school of the places is a school of the
  catchment areas (else its places would belong to no children); without ``school_districts`` a
  school is a district code (one area per district).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.ganztag.catchments import SHARE_TOLERANCE
from forecast.problems import ProblemReport
from forecast.validate_table import LINE, TableCheck


def check_school_districts(t: TableCheck) -> None:
    """A district's shares sum to 1."""
    valid = t.valid("share")
    if valid is None or valid.empty or "district" not in t.frame.columns:
        return
    districts = t.frame["district"].astype(str)
    frame = valid.assign(district=districts.iloc[valid.index].to_numpy())
    # A district with an invalid share cell (reported by the cell check) is not summed.
    broken = set(districts.drop(index=districts.index[valid.index]))
    sums = frame.groupby("district")["share"].sum()
    for district, total in sums.items():
        if district in broken:
            continue
        if abs(total - 1.0) > SHARE_TOLERANCE:
            first = int(frame.index[frame["district"] == district][0])
            t.note(
                "share",
                f"district '{district}': the shares of its schools sum to {total:.3g}: expected "
                "1 (every child of the district belongs to one school's catchment area; "
                "shares as fractions, e.g. 0.4, not percent)",
                "share_sum",
                row=t.line(first),
            )


def check_ganztag_schools(
    tables: dict[str, pd.DataFrame], names: dict[str, str], report: ProblemReport
) -> None:
    """Every school of ``ganztag_places`` is in the catchment areas (or a district code)."""
    places = tables.get("ganztag_places")
    if places is None or places.empty or "school" not in places.columns:
        return
    areas = tables.get("school_districts")
    if areas is not None and not areas.empty and "school" in areas.columns:
        known = set(areas["school"].astype(str)) | _unlisted_districts(tables, areas)
        what = "a school of school_districts (or a district listed there in no row)"
    else:
        pop = tables.get("population")
        if pop is None or "district" not in pop.columns:
            return
        known = set(pop["district"].astype(str))
        what = "a district code (without school_districts every district is one school area)"
    schools = places["school"].astype(str).to_numpy()
    bad = ~np.isin(schools, sorted(known))
    for pos in np.flatnonzero(bad):
        report.add(
            names.get("ganztag_places", "ganztag_places.csv"),
            int(places[LINE].iat[pos]),
            "school",
            f"school '{schools[pos]}': expected {what}",
            "unknown_school",
        )


def _unlisted_districts(tables: dict[str, pd.DataFrame], areas: pd.DataFrame) -> set[str]:
    pop = tables.get("population")
    if pop is None or "district" not in pop.columns:
        return set()
    return set(pop["district"].astype(str)) - set(areas["district"].astype(str))
