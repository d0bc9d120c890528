"""Flows against the register: births, deaths and departures the population could not produce.

With ``t`` the calendar year of a flow and ``P(t)`` the register at 31.12. of ``t``:

* ``births`` (error): the births of a district (or ``_city``) in ``t``, summed over the mother's
  age and the child's sex, exceed the district's women aged 15-49 (the larger of ``P(t-1)`` and
  ``P(t)``) plus ``MARGIN``: more than one birth per woman.
* ``deaths``, ``migration`` rows with ``direction = out``, ``moves`` summed over destinations
  (error): a row exceeds the persons who could die or leave. Those are the persons living in the
  cell at 31.12. of ``t-1`` (aged ``x-1`` or ``x``: age at death, or age at 31.12. of ``t``,
  was one of the two) plus, as the margin for arrivals during the year, those living in the cell
  at 31.12. of ``t`` (aged ``x``), plus ``MARGIN``. A cell is the row's district (or the city),
  sex (or both sexes) and age (or all ages). Where ``P(t-1)`` or ``P(t)`` is not in the register,
  the other year stands in for it; with neither, the row is not checked.
* ``tfr`` (warning): the TFR births imply (``implied_tfr``) outside 0.5..4, per district (or
  ``_city``) and year, where the reference schedule expects at least ``MIN_EXPECTED`` births.
* ``e0`` (warning): the life expectancy deaths imply (``implied_e0``) outside 60..95 years,
  likewise.

Each problem is reported at the row of the group with the largest count (for one-row groups, the
row itself), column ``count``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.contract import CITY_DISTRICT, FERTILE_AGES, MAX_AGE
from forecast.problems import E0, ERROR, TFR, WARNING, ProblemReport, accept_hint
from forecast.validate_register import Register, implied_e0, implied_tfr
from forecast.validate_table import LINE, cell_codes, combined_codes

MARGIN = 10
"""Persons added to every bound, so that a tiny cell (a family moving in and out) never errs."""
TFR_RANGE, E0_RANGE = (0.5, 4.0), (60.0, 95.0)
MIN_EXPECTED = 50.0
"""Implied TFR and e0 are checked where the reference schedule expects at least this many births
or deaths: below it chance alone moves them far (Poisson sd above 14 %)."""


FLOWS = ("births", "deaths", "migration", "moves")
"""The flow files checked against the register."""


def check_flows(
    reg: Register, stem: str, values: pd.DataFrame, name: str, report: ProblemReport
) -> None:
    """One flow file against the register (see the module docstring).

    Args:
        reg: the population register.
        stem: one of ``FLOWS``.
        values: the file's parsed values (it met the contract) and ``LINE``.
        name: the file's name in the folder.
        report: where problems go.
    """
    if stem == "births":
        _births(reg, values, name, report)
    elif stem == "deaths":
        deaths = _groups(values, ["year", "district", "sex", "age"], unique=True)
        hit = _leavers(reg, deaths, "district", "deaths", name, report)
        _implied(reg, deaths[~hit], "e0", name, report)
    elif stem == "migration":
        out = values[values["direction"] == "out"]
        out = _groups(out, ["year", "district", "sex", "age"], unique=True)
        _leavers(reg, out, "district", "departures (direction out)", name, report)
    elif stem == "moves":
        moves = _groups(values, ["year", "from_district", "sex", "age"])
        what = "moves out of the district (summed over to_district)"
        _leavers(reg, moves, "from_district", what, name, report)


def _groups(frame: pd.DataFrame, keys: list[str], unique: bool = False) -> pd.DataFrame:
    """Counts summed per key (empty sex = '', empty age = -1) with the line of the largest row.

    ``unique``: the keys identify rows already (the file's key was checked), so each row is its
    own group and nothing needs sorting.
    """
    if "age" in keys:
        frame = frame.assign(age=frame["age"].fillna(-1))
    if "sex" in keys and not isinstance(frame["sex"].dtype, pd.CategoricalDtype):
        frame = frame.assign(sex=frame["sex"].fillna(""))  # text cells hold '' already
    if unique:
        return frame.assign(total=frame["count"])[[*keys, "total", "count", LINE]].reset_index(
            drop=True
        )
    group = pd.factorize(combined_codes(cell_codes(frame[k]) for k in keys))[0]
    count = frame["count"].to_numpy(float)
    order = np.lexsort((-count, group))  # by group, the largest count first (stable: ties in
    # file order)
    ordered = group[order]
    first = order[np.r_[True, ordered[1:] != ordered[:-1]]] if len(order) else order
    total = np.bincount(group, weights=count)[group[first]]
    out = frame.iloc[first][[*keys, "count", LINE]].assign(total=total)
    return out[[*keys, "total", "count", LINE]].sort_values(LINE).reset_index(drop=True)


def _place(district: str) -> str:
    return "the city" if district == CITY_DISTRICT else f"district '{district}'"


def _where(district: str, sex: str, age: float) -> str:
    sexes = {"f": "women", "m": "men"}.get(sex, "both sexes")
    return f"{_place(district)}, {sexes}, " + (f"age {age:.0f}" if age >= 0 else "all ages")


def _births(reg: Register, births: pd.DataFrame, name: str, report: ProblemReport) -> None:
    """More births than women aged 15-49 (error); an implied TFR outside 0.5..4 (warning)."""
    groups = _groups(births, ["year", "district"])
    t, d = groups["year"].to_numpy(int), reg.district(groups["district"])
    prev, cur = reg.both_years(t)
    lo, hi = FERTILE_AGES
    women = np.fmax(reg.total(prev, d, 0, lo, hi), reg.total(cur, d, 0, lo, hi))
    total = groups["total"].to_numpy(float)
    with np.errstate(invalid="ignore"):
        hit = total > women + MARGIN

    def message(i: int) -> str:
        return (
            f"{total[i]:,.0f} births in {t[i]} in {_place(groups['district'][i])} (this row "
            f"{groups['count'][i]:,.0f}): more than the {women[i]:,.0f} women aged 15-49 living "
            f"there at 31.12.{reg.years[prev[i]]} or {reg.years[cur[i]]}: expected at most one "
            "birth per woman"
        )

    report.rows(name, "count", "births>women", groups[LINE].to_numpy(), message, ERROR, hit)
    _implied(reg, groups[~hit], "tfr", name, report)


CHUNK = 1 << 20
"""Rows looked up in the register at once (a dozen arrays of this length: memory stays small)."""


def _leavers(
    reg: Register, groups: pd.DataFrame, column: str, what: str, name: str, report: ProblemReport
) -> np.ndarray:
    """Rows (groups) above the persons who could die or leave; returns the mask of those reported."""
    hits = [
        _leavers_chunk(
            reg, groups.iloc[a : a + CHUNK].reset_index(drop=True), column, what, name, report
        )
        for a in range(0, len(groups), CHUNK)
    ]
    return np.concatenate(hits) if hits else np.zeros(0, dtype=bool)


def _leavers_chunk(
    reg: Register, groups: pd.DataFrame, column: str, what: str, name: str, report: ProblemReport
) -> np.ndarray:
    t, d = groups["year"].to_numpy(int), reg.district(groups[column])
    sex = groups["sex"].to_numpy()
    s = np.where(sex == "f", 0, np.where(sex == "m", 1, 2))
    age = groups["age"].to_numpy(float)
    lo = np.where(age >= 0, age, 0).astype(int)
    hi = np.where(age >= 0, age, MAX_AGE).astype(int)
    prev, cur = reg.both_years(t)
    start = reg.total(prev, d, s, np.maximum(lo - 1, 0), hi)
    end = reg.total(cur, d, s, lo, hi)
    total = groups["total"].to_numpy(float)
    with np.errstate(invalid="ignore"):
        hit = total > start + end + MARGIN

    def message(i: int) -> str:
        ages = f"aged {max(lo[i] - 1, 0)}-{hi[i]}" if age[i] >= 0 else "all ages"
        row = "" if total[i] == groups["count"][i] else f" (this row {groups['count'][i]:,.0f})"
        return (
            f"{total[i]:,.0f} {what} in {t[i]}, {_where(groups[column][i], sex[i], age[i])}"
            f"{row}: more than could die or leave, the {start[i]:,.0f} persons ({ages}) living "
            f"there at 31.12.{reg.years[prev[i]]} + {end[i]:,.0f} at 31.12.{reg.years[cur[i]]} "
            f"(margin for arrivals) + {MARGIN}: expected at most {start[i] + end[i] + MARGIN:,.0f}"
        )

    report.rows(name, "count", f"{what}>population", groups[LINE].to_numpy(), message, ERROR, hit)
    return hit


def _implied(
    reg: Register, groups: pd.DataFrame, measure: str, name: str, report: ProblemReport
) -> None:
    """Warn where the TFR or e0 a district's (or the city's) births or deaths imply is implausible.

    Rows are summed per year and district first (sex and age detail, where given, added up).
    """
    if groups.empty:
        return
    frame = groups.groupby(["year", "district"], sort=False).agg(
        total=("total", "sum"), count=("count", "max"), line=(LINE, "min")
    )
    frame = frame.reset_index()
    t, d = frame["year"].to_numpy(int), reg.district(frame["district"])
    total = frame["total"].to_numpy(float)
    compute = implied_tfr if measure == "tfr" else implied_e0
    level, expected = compute(reg, t, d, total)
    lo, hi = TFR_RANGE if measure == "tfr" else E0_RANGE
    with np.errstate(invalid="ignore"):
        hit = (expected >= MIN_EXPECTED) & ((level < lo) | (level > hi))
    flow, unit = ("births", "children per woman") if measure == "tfr" else ("deaths", "years")
    label = "a TFR" if measure == "tfr" else "a life expectancy at birth"

    def message(i: int) -> str:
        return (
            f"{total[i]:,.0f} {flow} in {t[i]} in {_place(frame['district'][i])} imply {label} of {level[i]:.2f} {unit} "
            f"(the Destatis schedule of the year gives {expected[i]:,.0f} {flow} for its "
            f"population): expected {lo:g}..{hi:g}; {flow} of a different area, or in thousands?"
            + accept_hint(TFR if measure == "tfr" else E0)
        )

    check = TFR if measure == "tfr" else E0
    report.rows(name, "count", check, frame["line"].to_numpy(), message, WARNING, hit)
