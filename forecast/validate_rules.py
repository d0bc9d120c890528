"""Rules of single contract files, beyond the columns, cells, keys and years every file gets.

A schedule without a year column (life table, fertility) must cover every sex and age; the
population must cover every year x district x sex x age; ``life_table``, ``hze_cases`` and
``social`` have rules of their own (``FILE_RULES``). Each rule sees the file as a
``TableCheck`` and looks only at the values that parsed (``TableCheck.valid``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from forecast.contract import MAX_AGE, SEXES
from forecast.ganztag.checks import check_school_districts
from forecast.problems import PERCENT, WARNING, accept_hint
from forecast.validate_assumptions import check_assumptions
from forecast.validate_kita import check_kita_children
from forecast.validate_table import TableCheck, column_bounds, lookup

SHARE_WORDS = {"rate", "share"}
"""Indicators in ``social`` with one of these words in their name (``sgb2_rate_u15``) are shares."""


def check_schedule_complete(t: TableCheck) -> None:
    """A schedule without years (life table, fertility) must cover every sex and age."""
    key = list(t.spec.key)
    cols = {c.name: c for c in t.spec.columns}
    ranges = {}
    for k in key:
        if cols[k].kind == "sex":
            ranges[k] = list(SEXES)
        elif cols[k].kind in ("age", "mother_age"):
            _, lo, hi = column_bounds(cols[k])
            ranges[k] = list(np.arange(lo, hi + 1, dtype=float))
        else:
            return
    valid = t.valid(*key)
    if valid is None:
        return
    grid = pd.MultiIndex.from_product(list(ranges.values()), names=key)
    missing = grid.difference(pd.MultiIndex.from_frame(valid[key]))
    if len(missing):
        examples = ", ".join("/".join(_fmt(v) for v in _as_tuple(m)) for m in missing[:6])
        t.note(
            None,
            f"{len(missing)} of {len(grid)} rows missing (e.g. {examples}): "
            f"expected one row per {'×'.join(key)}",
        )


def _check_population(t: TableCheck) -> None:
    """Every year has every district x sex x age 0..100, and no district is empty in a year.

    One flag per cell of the grid year x district x sex x age (a few million at most), set by the
    rows present: no index of millions of tuples is built.
    """
    if not all(c in t.values for c in ("year", "district", "sex", "age")):
        return
    # The parsed values as arrays: NaN (numbers) or code -1 (text) where a cell is invalid.
    year, age = t.values["year"].to_numpy(), t.values["age"].to_numpy()
    district, sex = t.values["district"], t.values["sex"]
    code = district.cat.codes.to_numpy()
    ok = ~np.isnan(year) & ~np.isnan(age) & (code >= 0) & (sex.cat.codes.to_numpy() >= 0)
    if not ok.any():
        return
    seen = np.asarray(district.cat.categories)[np.unique(code[ok])]
    districts = sorted(set(t.codes or seen))  # reported in this order
    years = np.sort(pd.unique(year[ok]))
    y = np.searchsorted(years, year[ok])
    d = lookup(district, lambda c: pd.Index(districts).get_indexer(c), -1)[ok]
    s = lookup(sex, lambda c: pd.Index(SEXES).get_indexer(c), -1)[ok]
    a = age[ok].astype(int)
    per_district = len(SEXES) * (MAX_AGE + 1)
    present = np.zeros((len(years), len(districts), len(SEXES), MAX_AGE + 1), dtype=bool)
    known = d >= 0  # (a code outside city.yaml is a cell error of its own)
    present[y[known], d[known], s[known], a[known]] = True
    n_missing = per_district - present.sum(axis=(2, 3))
    for i, j in zip(*np.nonzero(n_missing), strict=True):
        where = f"year {years[i]:g}, district '{districts[j]}'"
        if n_missing[i, j] == per_district:
            t.note(None, f"{where}: no rows; expected one row per sex f, m × age 0..100", "grid")
            continue
        sex, age = np.nonzero(~present[i, j])
        examples = ", ".join(f"{SEXES[k]}/{v}" for k, v in zip(sex[:5], age[:5], strict=True))
        more = ", …" if len(sex) > 5 else ""
        msg = (
            f"{where}: {len(sex)} of {per_district} sex×age rows missing (e.g. {examples}{more}); "
        )
        msg += "expected one row per sex f, m × age 0..100"
        t.note(None, msg, "grid")
    if "count" in t.values:
        count = t.values["count"].to_numpy()
        ok = ~np.isnan(year) & (code >= 0) & ~np.isnan(count)
        years, y = np.unique(year[ok], return_inverse=True)
        n_d = len(district.cat.categories)
        group = y * n_d + code[ok]
        total = np.bincount(group, weights=count[ok], minlength=len(years) * n_d)
        present = np.bincount(group, minlength=len(years) * n_d) > 0
        names = np.asarray(district.cat.categories)  # sorted: years, then districts in order
        for k in np.flatnonzero(present & (total == 0)):
            t.note(
                "count",
                f"year {years[k // n_d]:g}, district '{names[k % n_d]}': total population is 0; "
                "expected inhabitants in every district of city.yaml",
                "zero",
            )


def _check_life_table(t: TableCheck) -> None:
    """lx never rises with age, qx at the open age is 1, Lx <= lx below the open age."""
    valid = t.valid("sex", "age", "lx")
    if valid is not None:
        valid = valid.sort_values(["sex", "age"], kind="stable")
        rises = valid.groupby("sex")["lx"].diff() > 0
        before = valid.shift()
        for pos in rises[rises].index.to_series().groupby(valid["sex"]).first():
            t.note(
                "lx",
                f"lx {valid.at[pos, 'lx']:g} at age {valid.at[pos, 'age']:g} is larger than "
                f"lx {before.at[pos, 'lx']:g} at age {before.at[pos, 'age']:g}: "
                "expected lx not to increase with age",
                row=t.line(pos),
            )
    valid = t.valid("age", "qx")
    if valid is not None:
        bad = (valid["age"] == MAX_AGE) & ((valid["qx"] - 1.0).abs() > 1e-9)
        for pos in bad[bad].index:
            t.note(
                "qx",
                f"qx {valid.at[pos, 'qx']:g} at the open age {MAX_AGE}: expected 1",
                row=t.line(pos),
            )
    valid = t.valid("age", "lx", "Lx")
    if valid is not None:
        # The open group's Lx is T(100), person-years of all remaining life, so it may exceed lx.
        bad = (valid["age"] < MAX_AGE) & (valid["Lx"] > valid["lx"] * (1 + 1e-9))
        lx, big_lx = t.values["lx"], t.values["Lx"]
        t.flag(
            "Lx",
            "Lx>lx",
            bad[bad].index,
            lambda p: f"Lx {big_lx[p]:g} > lx {lx[p]:g}: expected Lx <= lx",
        )


def _check_hze(t: TableCheck) -> None:
    """HzE cases: complete series, and no case ends or runs that did not run or begin before.

    Negative counts and unknown Hilfeart codes are cell errors (column kinds ``count`` and
    ``hilfeart``). Beyond them, with t-1 the year before t:

    * per district and Hilfeart: ended(t) <= begun(t) + running(t-1), where t-1 has a row;
    * per Hilfeart for the whole city (moves between districts carry running cases from one
      district to another, so this holds only in total): running(t) <= running(t-1) + begun(t),
      reported at the row of the district whose stock grew most beyond its begun cases;
    * a Hilfeart with rows has one row per district of city.yaml for every year from its first
      year to the file's last year (0 where there were no cases): the rates need whole series.
    """
    valid = t.valid("year", "district", "hilfeart", "begun", "ended", "running")
    if valid is None or valid.empty:
        return
    key = ["year", "district", "hilfeart"]
    prev = (
        valid[key + ["running"]].assign(year=valid["year"] + 1).rename(columns={"running": "prev"})
    )
    both = valid.reset_index(names="pos").merge(prev.drop_duplicates(key), on=key, how="inner")
    info = both[both["ended"] > both["begun"] + both["prev"]].set_index("pos")
    t.flag(
        "ended",
        "ended",
        info.index,
        lambda p: (
            f"ended {info.at[p, 'ended']:g} > begun {info.at[p, 'begun']:g} + running at "
            f"31.12.{info.at[p, 'year'] - 1:g} ({info.at[p, 'prev']:g}): "
            "expected ended <= begun + the previous year's running"
        ),
    )
    keys = t.valid("year", "district", "hilfeart")
    if keys is None or len(keys) < len(t.frame):
        return  # a row with a bad key would show up as a gap too; its own problem comes first
    districts = t.codes or sorted(keys["district"].unique())
    last = keys["year"].max()
    complete = []
    for code, rows in keys.groupby("hilfeart", sort=True):
        first = rows["year"].min()
        grid = pd.MultiIndex.from_product([np.arange(first, last + 1), districts])
        missing = grid.difference(pd.MultiIndex.from_frame(rows[["year", "district"]]))
        gaps = pd.Series(missing.get_level_values(1), index=missing.get_level_values(0))
        for year, where in gaps.groupby(level=0):
            t.note(
                "district",
                f"hilfeart '{code}', year {year:g}: no row for district(s) "
                f"{', '.join(repr(d) for d in where)}; expected one row per district of city.yaml "
                f"for every year from its first year {first:g} to the file's last year {last:g} "
                "(write 0 where there were no cases)",
                "hze_grid",
            )
        complete.extend((code, y) for y in set(rows["year"]) - set(gaps.index))
    # Reported at the district whose own stock grew most beyond its begun cases.
    rows = valid.reset_index(names="pos").merge(prev.drop_duplicates(key), on=key, how="left")
    rows["excess"] = (rows["running"] - rows["prev"] - rows["begun"]).fillna(-np.inf)
    group = ["hilfeart", "year"]
    worst = rows.loc[rows.groupby(group)["excess"].idxmax(), [*group, "pos"]].set_index(group)
    city = rows.groupby(group)[["begun", "running"]].sum().join(worst)
    city = city[city.index.isin(complete)]
    before = city["running"].rename(lambda y: y + 1, level="year").rename("prev")
    city = city.join(before, how="inner")
    bad = city[city["running"] > city["prev"] + city["begun"]].reset_index().set_index("pos")
    t.flag(
        "running",
        "hze_inflow",
        bad.index,
        lambda p: (
            f"hilfeart '{bad.at[p, 'hilfeart']}', whole city: running at "
            f"31.12.{bad.at[p, 'year']:g} ({bad.at[p, 'running']:g}) > running at "
            f"31.12.{bad.at[p, 'year'] - 1:g} "
            f"({bad.at[p, 'prev']:g}) + begun in {bad.at[p, 'year']:g} ({bad.at[p, 'begun']:g}): "
            "expected running <= the previous year's running + begun (summed over districts)"
        ),
    )


def _check_control_totals(t: TableCheck) -> None:
    """Age ranges run upward and do not overlap within a year; empty bounds mean 0 and 100+."""
    if not all(c in t.values for c in ("year", "age_from", "age_to")):
        return
    lo = t.values["age_from"].fillna(0)
    hi = t.values["age_to"].fillna(MAX_AGE)
    year = t.values["year"]
    bad = (lo > hi).to_numpy()
    t.flag(
        "age_to",
        "age range",
        bad,
        lambda p: f"age_to {hi.iat[p]:g} < age_from {lo.iat[p]:g}: expected age_to >= age_from",
    )
    frame = pd.DataFrame({"year": year, "lo": lo, "hi": hi}).dropna()
    frame = frame[~bad[frame.index]] if len(frame) else frame
    overlaps = []
    for _, rows in frame.groupby("year"):
        ordered = rows.sort_values("lo")
        hit = ordered["lo"].to_numpy()[1:] <= ordered["hi"].to_numpy()[:-1]
        overlaps.extend(ordered.index[1:][hit])
    t.flag(
        "age_from",
        "overlap",
        np.array(sorted(overlaps), dtype=int),
        lambda p: (
            f"age range {lo.iat[p]:g}-{hi.iat[p]:g} overlaps another range of {year.iat[p]:g}: "
            "expected disjoint age ranges per year"
        ),
    )


def _check_social(t: TableCheck) -> None:
    """Share indicators lie between 0 and 1; an indicator that looks like percent is reported.

    A share is an indicator whose name has ``rate`` or ``share`` as one of its ``_``-separated
    words (``sgb2_rate_u15``, ``single_parent_share``): a value outside 0..1 is an error. Any
    other indicator whose values all lie in (1, 100] is a warning (percent written as a number
    where the other districts' indicators are shares, or a real index such as persons per
    household: only the city knows).
    """
    valid = t.valid("indicator", "value")
    if valid is None:
        return
    share = valid["indicator"].astype(str).map(is_share_indicator).astype(bool)
    value = valid["value"]
    bad = share & ((value < 0) | (value > 1))
    raw, names = t.frame["value"].to_numpy(), t.frame["indicator"].to_numpy()
    t.flag(
        "value",
        "share",
        bad[bad].index,
        lambda p: (
            f"value {raw[p]} for '{names[p]}': expected a share between 0 and 1 (the indicator's "
            "name holds _rate or _share)"
            + (" (looks like percent: write 0.16 for 16 %)" if 1 < float(raw[p]) <= 100 else "")
        ),
    )
    in_percent = (value > 1) & (value <= 100)
    percent = in_percent.groupby(valid["indicator"]).transform("all") & ~share
    first = valid.index.to_series()[percent].groupby(valid["indicator"][percent]).min()
    t.flag(
        "value",
        PERCENT,
        first.to_numpy(),
        lambda p: (
            f"every value of indicator '{names[p]}' lies between 1 and 100 (here {raw[p]}): "
            "looks like percent; a share is written 0.16 for 16 % (rename it *_rate or *_share "
            f"so that it is checked as one){accept_hint(PERCENT)}"
        ),
        WARNING,
    )


def is_share_indicator(name: str) -> bool:
    """Whether a ``social`` indicator is a share by its name (``rate`` or ``share`` as a word)."""
    return bool(SHARE_WORDS & set(str(name).lower().split("_")))


def _check_migration(t: TableCheck) -> None:
    """Both directions every year: a year with only arrivals would be read as nobody leaving (an
    export filtered to one direction), and the city would grow by all its in-migration."""
    if not all(c in t.values for c in ("year", "direction")):
        return
    year, direction = t.values["year"].to_numpy(), t.values["direction"]
    ok = ~np.isnan(year) & direction.notna().to_numpy()
    y, years = pd.factorize(year[ok], sort=True)
    names = np.asarray(direction.cat.categories)
    seen = np.zeros((len(years), len(names)), dtype=bool)  # year x direction
    seen[y, direction.cat.codes.to_numpy()[ok]] = True
    for year, directions in zip(years, seen, strict=True):
        if directions.sum() < 2:
            only = names[directions.argmax()]
            t.note(
                "direction",
                f"year {year:g}: only rows with direction '{only}': expected rows for both 'in' "
                "and 'out' every year (write 0 where nobody moved)",
                "one_direction",
            )


FILE_RULES: dict[str, Callable[[TableCheck], None]] = {
    "migration": _check_migration,
    "population": _check_population,
    "life_table": _check_life_table,
    "hze_cases": _check_hze,
    "social": _check_social,
    "control_totals": _check_control_totals,
    "kita_children": check_kita_children,
    "assumptions": check_assumptions,
    "school_districts": check_school_districts,
}


def _fmt(v: object) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def _as_tuple(v: object) -> tuple:
    return v if isinstance(v, tuple) else (v,)
