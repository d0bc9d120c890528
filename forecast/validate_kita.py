"""Rules of the Kita files: the shape of ``kita_children`` and Betreuungsquoten that cannot be.

``kita_children`` rows hold either a single age or an age group (``u3``, ``ue3``), and a setting
(``kita``, ``tagespflege``) or an empty cell for both together. Within one year and district a file
uses one way or the other, because rows of both kinds would be added. ``kita_places`` needs no rule
of its own: places are counts (negative values are reported by the cell check) and districts are
checked against city.yaml like in every file.

One rule needs two files: children in care at 1 March cannot outnumber the children of the same
ages living in the district at the 31.12. before (a Betreuungsquote above 1). It runs when
``kita_children`` is read, against the population's ``population_bands`` (a small aggregate kept
from the population file, read first), and uses only population cells that passed their checks.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from forecast.contract import CITY_DISTRICT, KITA_AGE_GROUPS, KITA_SETTINGS
from forecast.ganztag.checks import check_ganztag_schools
from forecast.problems import ProblemReport
from forecast.validate_table import LINE, TableCheck, parse_numbers

U3_AGES = (0, 1, 2)
UE3_CHECK_AGES = (3, 4, 5, 6, 7)
"""Ages at 31.12. that bound the Ü3 count: generous on purpose (school entry varies by Land and
child), so that only impossible counts are reported."""


def check_kita_children(t: TableCheck) -> None:
    """Each row has an age or an age group, valid codes, and no year mixes the two ways."""
    if not {"year", "district", "age", "age_group", "setting"} <= set(t.frame.columns):
        return  # a missing column is reported by the column check
    age, group, setting = (t.frame[c].to_numpy() for c in ("age", "age_group", "setting"))
    has_age, has_group = age != "", group != ""
    t.flag(
        "age_group",
        "age+group",
        has_age & has_group,
        lambda p: f"age {age[p]} and age_group {group[p]!r} both given: expected one of them",
    )
    t.flag(
        "age",
        "no age",
        ~has_age & ~has_group,
        lambda _: (
            "age and age_group both empty: expected a single age 0..7 or an age group "
            "('u3' = under 3, 'ue3' = 3 to school entry)"
        ),
    )
    codes = {"age_group": (group, KITA_AGE_GROUPS), "setting": (setting, KITA_SETTINGS)}
    for column, (cells, allowed) in codes.items():
        bad = (cells != "") & ~np.isin(cells, allowed)
        listed = ", ".join(f"'{a}'" for a in allowed)
        t.flag(
            column,
            "code",
            bad,
            lambda p, c=cells, s=listed: f"value {c[p]!r}: expected one of {s} or an empty cell",
        )
    _flag_mixed(t, has_age, "single ages", "age groups")
    _flag_mixed(t, setting != "", "rows by setting", "rows for both settings together")


def _flag_mixed(t: TableCheck, kind: np.ndarray, first: str, second: str) -> None:
    """Report the rows of a (year, district) that uses both kinds of row; they would be added."""
    keys = t.frame["year"].astype(str) + "\x00" + t.frame["district"].astype(str)
    mixed = pd.Series(kind).groupby(keys.to_numpy()).transform("nunique").to_numpy() > 1
    # Report the rows of the less frequent kind, where the fix most likely belongs.
    minority = mixed & (kind if kind.sum() <= (~kind).sum() else ~kind)
    year, district = t.frame["year"].to_numpy(), t.frame["district"].to_numpy()
    t.flag(
        None,
        f"mixed {first}",
        minority,
        lambda p: (
            f"year {year[p]}, district '{district[p]}' has both {first} and {second}: "
            "expected one or the other (they would be added)"
        ),
    )


def check_kita_quota(
    kids: pd.DataFrame, population: pd.DataFrame | None, name: str, report: ProblemReport
) -> None:
    """Children in care at 1 March of t must not outnumber the population at 31.12. of t-1.

    Checked for the under-3s (ages 0-2) and, generously, for 3 to school entry (ages 3-7), per
    district and for ``_city`` rows against the whole city. Years without the previous year's
    population, and groups with an invalid population cell, are not checked.

    Args:
        kids: the ``kita_children`` file's cells as text, with ``LINE``.
        population: ``population_bands`` of the population file (None: no population read).
        name: the ``kita_children`` file's name.
        report: where problems go.
    """
    if population is None or population.empty or kids.empty:
        return
    if not {"year", "district", "age", "age_group", "count"} <= set(kids.columns):
        return  # a missing column is reported by the column check
    children = _children_bands(kids)
    if children.empty:
        return
    both = children.merge(population, on=["year", "district", "band"], how="inner")
    bad = both[both["children"] > both["population"]]
    for row in bad.itertuples(index=False):  # at most a few rows per district and year
        if row.band == "u3":
            what, ages = "children under 3", "0-2"
        else:
            what, ages = "children from 3 to school entry", "3-7"
        place = "the city" if row.district == CITY_DISTRICT else f"district '{row.district}'"
        report.add(
            name,
            int(row.line),
            "count",
            f"{row.children:g} {what} in care at 1 March {row.year + 1:g} in {place}, but "
            f"{row.population:g} children aged {ages} lived there at 31.12.{row.year:g} "
            f"(a Betreuungsquote of {row.children / max(row.population, 1):.2f}): expected at "
            "most as many children in care as children living there",
            "quota",
        )


def _numbers(text: pd.Series) -> pd.Series:
    return pd.Series(parse_numbers(text), index=text.index, copy=False)


def population_bands(values: dict[str, pd.Series]) -> pd.DataFrame | None:
    """Population at 31.12. by (year, district, band); ``_city`` = all districts together.

    ``values`` are the population file's parsed columns (NaN/None where a cell is invalid). A
    band is dropped when any of its cells did not parse, so that a bad cell reported elsewhere
    does not also look like a too small population. None if a column is missing.
    """
    if not all(c in values for c in ("year", "district", "age", "count")):
        return None
    age, year = values["age"].to_numpy(float), values["year"].to_numpy(float)
    district = values["district"]
    if not isinstance(district.dtype, pd.CategoricalDtype):
        district = district.astype("category")
    code = district.cat.codes.to_numpy()
    with np.errstate(invalid="ignore"):  # NaN (a cell that did not parse) compares False
        rows = np.flatnonzero((age >= 0) & (age <= max(UE3_CHECK_AGES)) & (np.floor(age) == age))
    rows = rows[~np.isnan(year[rows]) & (code[rows] >= 0)]
    # Groups year x district (the city last) x band, summed with one pass over the rows.
    years, y = np.unique(year[rows], return_inverse=True)
    n_d = len(district.cat.categories) + 1
    band = (age[rows] > max(U3_AGES)).astype(np.int64)  # 0 = u3, 1 = ue3
    count = values["count"].to_numpy(float)[rows]
    size = len(years) * n_d * 2
    population, missing = np.zeros(size), np.zeros(size)
    present = np.zeros(size, dtype=bool)
    for d in (code[rows], n_d - 1):  # each district, then the whole city
        group = (y * n_d + d) * 2 + band
        population += np.bincount(group, weights=np.nan_to_num(count), minlength=size)
        missing += np.bincount(group, weights=np.isnan(count), minlength=size)
        present[group] = True
    # A band with a cell that did not parse is dropped (complete bands only).
    keep = np.flatnonzero(present & (missing == 0))
    names = np.array([*district.cat.categories, CITY_DISTRICT], dtype=object)
    out = pd.DataFrame(
        {
            "year": years[keep // (n_d * 2)],
            "district": names[keep // 2 % n_d],
            "band": np.array(["u3", "ue3"], dtype=object)[keep % 2],
            "population": population[keep],
        }
    )
    return out.sort_values(["year", "district", "band"], ignore_index=True)


def _children_bands(kids: pd.DataFrame) -> pd.DataFrame:
    """Children in care by (year of the 31.12. before, district, band) and the first line."""
    age = _numbers(kids["age"])
    group = kids["age_group"].astype(str)
    band = np.where(
        (group == "u3") | (age <= max(U3_AGES)),
        "u3",
        np.where((group == "ue3") | (age >= min(UE3_CHECK_AGES)), "ue3", ""),
    )
    frame = pd.DataFrame(
        {
            "year": _numbers(kids["year"]) - 1,
            "district": kids["district"].astype(str),
            "band": band,
            "children": _numbers(kids["count"]),
            "line": kids[LINE],
        }
    )
    frame = frame[(frame["band"] != "") & frame["year"].notna() & (frame["children"] >= 0)]
    return (
        frame.groupby(["year", "district", "band"], as_index=False)
        .agg(children=("children", "sum"), line=("line", "min"))
        .astype({"line": int})
    )


CITY_RULES: tuple[Callable[[dict[str, pd.DataFrame], dict[str, str], ProblemReport], None], ...] = (
    check_ganztag_schools,
)
"""Rules between small files, run once every file was read: ``rule(tables by stem, file name by
stem, report)``. ``tables`` holds the cells as text of the files in ``CITY_RULE_TABLES`` and, of
the population, only its district column: the register files are never kept whole (the Kita quota
runs file by file, ``forecast.validate_plausible.BetweenFiles``)."""
CITY_RULE_TABLES = ("ganztag_places", "school_districts")
