"""Ganztag places per school, form and school year from ``ganztag_places``.

Rows give the places of a school and form (``ogs`` offene Ganztagsschule, ``hort`` Hort in a
Kindertageseinrichtung, ``gebunden`` gebundene Ganztagsschule, ``tagespflege`` Kindertagespflege
for school children) from a school year on; a later row of the same school and form replaces
them. ``planned = 1`` marks places decided but not yet open; they count from their year when
planned places are counted (the default), else they are left out. Before a school's first row
its first non-planned places hold (the file gives today's places and plans, rarely history).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.contract import GANZTAG_FORMS as FORMS  # the contract's forms, in its order


def places_by_school_year(
    table: pd.DataFrame,
    years,
    schools: tuple[str, ...],
    count_planned: bool = True,
) -> np.ndarray:
    """Places per school year, school and form, shape (Y, S, F); 0 where none are given.

    Args:
        table: ``ganztag_places`` rows (year, school, form, places, planned).
        years: school years, shape (Y,).
        schools: the school codes of the catchment areas.
        count_planned: count rows with ``planned = 1``.

    Raises:
        ValueError: a school that is in no catchment area.
    """
    years = np.asarray(years, dtype=int)
    t = table.assign(school=table["school"].astype(str))
    planned = pd.to_numeric(t.get("planned"), errors="coerce").fillna(0).astype(int)
    t = t.assign(planned=planned)
    unknown = sorted(set(t["school"]) - set(schools))
    if unknown:
        raise ValueError(f"ganztag_places: school(s) {unknown} are in no catchment area")
    if not count_planned:
        t = t[t["planned"] == 0]
    out = np.zeros((len(years), len(schools), len(FORMS)))
    index = {s: i for i, s in enumerate(schools)}
    for (school, form), rows in t.groupby(["school", "form"], sort=False):
        rows = rows.sort_values("year")
        given = rows["year"].to_numpy(int)
        values = rows["places"].to_numpy(float)
        pos = np.searchsorted(given, years, side="right") - 1
        series = np.where(pos >= 0, values[np.maximum(pos, 0)], np.nan)
        existing = rows[rows["planned"] == 0]
        before = float(existing["places"].iloc[0]) if len(existing) else 0.0
        series = np.where(np.isnan(series), before, series)
        out[:, index[school], FORMS.index(form)] = series
    return out


def observed_participation(
    table: pd.DataFrame, schools: tuple[str, ...], children: pd.Series
) -> pd.Series:
    """Past participation of the whole city: places open (not planned) / children of grades 1-4.

    Args:
        table: ``ganztag_places`` rows.
        schools: the school codes of the catchment areas.
        children: children of grades 1-4 of the whole city by school year (register years).

    Returns:
        Participation (share) for the school years from the first to the last year with open
        places that have children; empty when there are none.
    """
    planned = pd.to_numeric(table["planned"], errors="coerce").fillna(0)
    open_rows = table[planned == 0]
    if open_rows.empty:
        return pd.Series(dtype=float, name="participation")
    span = range(int(open_rows["year"].min()), int(open_rows["year"].max()) + 1)
    years = [y for y in span if y in children.index and children.loc[y] > 0]
    places = places_by_school_year(open_rows, years, schools, False).sum(axis=(1, 2))
    return pd.Series(
        places / children.loc[years].to_numpy(float), index=years, name="participation"
    )
