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
from forecast.validate_table import LINE, dense_codes, group_ids, lookup

MARGIN = 10
"""Persons added to every bound, so that a tiny cell (a family moving in and out) never errs."""
TFR_RANGE, E0_RANGE = (0.5, 4.0), (60.0, 95.0)
MIN_EXPECTED = 50.0
"""Implied TFR and e0 are checked where the reference schedule expects at least this many births
or deaths: below it chance alone moves them far (Poisson sd above 14 %)."""


FLOWS = ("births", "deaths", "migration", "moves")
"""The flow files checked against the register."""

SEX_AXIS = {"f": 0, "m": 1}
"""Position on the register's sex axis; anything else (an empty cell) is both sexes, 2."""


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
        deaths = _Groups.rows(values, "district", np.arange(len(values)))
        hit = _leavers(reg, deaths, "deaths", name, report)
        _implied(reg, deaths.subset(~hit), "e0", name, report)
    elif stem == "migration":
        out = lookup(values["direction"], lambda cells: (cells == "out").to_numpy(), False)
        _leavers(reg, _Groups.rows(values, "district", np.flatnonzero(out)), _OUT, name, report)
    elif stem == "moves":
        moves = _Groups.summed(values, "from_district", ["year", "from_district", "sex", "age"])
        _leavers(reg, moves, "moves out of the district (summed over to_district)", name, report)


_OUT = "departures (direction out)"


class _Groups:
    """Flow rows, or groups of rows summed, as arrays: one entry per group, in file order.

    ``pos`` is the row (position in ``values``) that stands for the group: the row itself, or
    the group's largest row (the first of equal ones); its line is where a problem is reported
    and its cells are what a message quotes. ``total`` is the group's summed count.
    """

    def __init__(self, values: pd.DataFrame, column: str, pos: np.ndarray, total: np.ndarray):
        self.values, self.column, self.pos, self.total = values, column, pos, total

    @classmethod
    def rows(cls, values: pd.DataFrame, column: str, pos: np.ndarray) -> _Groups:
        """Each row its own group (the file's key identifies rows: it was checked)."""
        return cls(values, column, pos, values["count"].to_numpy(float)[pos])

    @classmethod
    def summed(cls, values: pd.DataFrame, column: str, keys: list[str]) -> _Groups:
        """Counts summed per key (empty cells a key value of their own), ordered by the line of
        each group's largest row."""
        parts = (  # one column's codes at a time
            dense_codes(values[key].fillna(-1) if key == "age" else values[key]) for key in keys
        )
        group, n_groups = group_ids(parts)
        count = values["count"].to_numpy(float)
        total = np.bincount(group, weights=count, minlength=n_groups)
        largest = np.full(n_groups, -np.inf)
        np.maximum.at(largest, group, count)
        candidate = np.flatnonzero(count == largest[group])  # ties: the first row in the file
        first = np.full(n_groups, len(count))
        np.minimum.at(first, group[candidate], candidate)
        pos = np.sort(first[first < len(count)])
        return cls(values, column, pos, total[group[pos]])

    def __len__(self) -> int:
        return len(self.pos)

    def subset(self, keep: np.ndarray) -> _Groups:
        return _Groups(self.values, self.column, self.pos[keep], self.total[keep])

    def chunk(self, a: int, b: int) -> _Groups:
        return _Groups(self.values, self.column, self.pos[a:b], self.total[a:b])

    def number(self, column: str) -> np.ndarray:
        return self.values[column].to_numpy(float)[self.pos]

    def lines(self) -> np.ndarray:
        return self.values[LINE].to_numpy()[self.pos]

    def cell(self, column: str, k: int) -> str:
        """The text of ``column`` in group k's row (as read; '' when empty)."""
        return self.values[column].iat[int(self.pos[k])]

    def district(self, reg: Register) -> np.ndarray:
        """Index of each group's district on the register's district axis (-1 if unknown)."""
        labels = pd.Index([*reg.codes, CITY_DISTRICT])
        return lookup(self.values[self.column], lambda c: labels.get_indexer(c), -1, self.pos)

    def sex(self) -> np.ndarray:
        """Position of each group's sex on the register's sex axis (2: both sexes)."""
        axis = lambda c: np.array([SEX_AXIS.get(v, 2) for v in c], dtype=np.int64)  # noqa: E731
        return lookup(self.values["sex"], axis, 2, self.pos)


def _place(district: str) -> str:
    return "the city" if district == CITY_DISTRICT else f"district '{district}'"


def _where(district: str, sex: str, age: float) -> str:
    sexes = {"f": "women", "m": "men"}.get(sex, "both sexes")
    return f"{_place(district)}, {sexes}, " + (f"age {age:.0f}" if age >= 0 else "all ages")


def _births(reg: Register, births: pd.DataFrame, name: str, report: ProblemReport) -> None:
    """More births than women aged 15-49 (error); an implied TFR outside 0.5..4 (warning)."""
    groups = _Groups.summed(births, "district", ["year", "district"])
    t, d = groups.number("year").astype(int), groups.district(reg)
    prev, cur = reg.both_years(t)
    lo, hi = FERTILE_AGES
    women = np.fmax(reg.total(prev, d, 0, lo, hi), reg.total(cur, d, 0, lo, hi))
    total, count = groups.total, groups.number("count")
    with np.errstate(invalid="ignore"):
        hit = total > women + MARGIN

    def message(i: int) -> str:
        return (
            f"{total[i]:,.0f} births in {t[i]} in {_place(groups.cell('district', i))} (this row "
            f"{count[i]:,.0f}): more than the {women[i]:,.0f} women aged 15-49 living "
            f"there at 31.12.{reg.years[prev[i]]} or {reg.years[cur[i]]}: expected at most one "
            "birth per woman"
        )

    report.rows(name, "count", "births>women", groups.lines(), message, ERROR, hit)
    _implied(reg, groups.subset(~hit), "tfr", name, report)


CHUNK = 1 << 18
"""Rows looked up in the register at once (a dozen arrays of this length: memory stays small)."""
IMPLIED_BLOCK = 2048
"""Districts x years whose implied TFR or e0 are computed at once (a life table each)."""


def _leavers(
    reg: Register, groups: _Groups, what: str, name: str, report: ProblemReport
) -> np.ndarray:
    """Rows (groups) above the persons who could die or leave; returns the mask of those reported."""
    hits = [
        _leavers_chunk(reg, groups.chunk(a, a + CHUNK), what, name, report)
        for a in range(0, len(groups), CHUNK)
    ]
    return np.concatenate(hits) if hits else np.zeros(0, dtype=bool)


def _leavers_chunk(
    reg: Register, groups: _Groups, what: str, name: str, report: ProblemReport
) -> np.ndarray:
    t, d, s = groups.number("year").astype(int), groups.district(reg), groups.sex()
    age = groups.number("age")
    whole = age >= 0  # NaN (all ages) compares False
    lo = np.where(whole, age, 0).astype(int)
    hi = np.where(whole, age, MAX_AGE).astype(int)
    prev, cur = reg.both_years(t)
    start = reg.total(prev, d, s, np.maximum(lo - 1, 0), hi)
    end = reg.total(cur, d, s, lo, hi)
    total = groups.total
    with np.errstate(invalid="ignore"):
        hit = total > start + end + MARGIN
    if not hit.any():
        return hit
    count = groups.number("count")

    def message(i: int) -> str:
        ages = f"aged {max(lo[i] - 1, 0)}-{hi[i]}" if age[i] >= 0 else "all ages"
        row = "" if total[i] == count[i] else f" (this row {count[i]:,.0f})"
        where = _where(groups.cell(groups.column, i), groups.cell("sex", i), age[i])
        return (
            f"{total[i]:,.0f} {what} in {t[i]}, {where}"
            f"{row}: more than could die or leave, the {start[i]:,.0f} persons ({ages}) living "
            f"there at 31.12.{reg.years[prev[i]]} + {end[i]:,.0f} at 31.12.{reg.years[cur[i]]} "
            f"(margin for arrivals) + {MARGIN}: expected at most {start[i] + end[i] + MARGIN:,.0f}"
        )

    report.rows(name, "count", f"{what}>population", groups.lines(), message, ERROR, hit)
    return hit


def _implied(
    reg: Register, groups: _Groups, measure: str, name: str, report: ProblemReport
) -> None:
    """Warn where the TFR or e0 a district's (or the city's) births or deaths imply is implausible.

    Rows are summed per year and district first (sex and age detail, where given, added up);
    the sums are listed in the order their first row comes in the file.
    """
    if not len(groups):
        return
    year, d = groups.number("year"), groups.district(reg)
    place = groups.values[groups.column]  # the cells as typed, as a key
    parts = (
        dense_codes(pd.Series(year, copy=False)),
        (
            lookup(place, lambda c: np.arange(len(c)), -1, groups.pos) + 1,
            len(place.cat.categories) + 1,
        ),
    )
    ids, n_ids = group_ids(parts)
    first = np.full(n_ids, len(ids))
    np.minimum.at(first, ids, np.arange(len(ids)))
    order = np.argsort(first, kind="stable")  # groups by their first row
    rank = np.empty(n_ids, dtype=np.int64)
    rank[order] = np.arange(n_ids)
    ids = rank[ids]
    first = first[order]
    total = np.bincount(ids, weights=groups.total, minlength=n_ids)
    line = np.full(n_ids, np.iinfo(np.int64).max)
    np.minimum.at(line, ids, groups.lines().astype(np.int64))
    t, d = year[first].astype(int), d[first]
    compute = implied_tfr if measure == "tfr" else implied_e0
    # In blocks: a life table per district and year is a few arrays of 2 x 101 ages each.
    blocks = [
        compute(
            reg, t[a : a + IMPLIED_BLOCK], d[a : a + IMPLIED_BLOCK], total[a : a + IMPLIED_BLOCK]
        )
        for a in range(0, len(t), IMPLIED_BLOCK)
    ]
    level = np.concatenate([b[0] for b in blocks]) if blocks else np.zeros(0)
    expected = np.concatenate([b[1] for b in blocks]) if blocks else np.zeros(0)
    lo, hi = TFR_RANGE if measure == "tfr" else E0_RANGE
    with np.errstate(invalid="ignore"):
        hit = (expected >= MIN_EXPECTED) & ((level < lo) | (level > hi))
    flow, unit = ("births", "children per woman") if measure == "tfr" else ("deaths", "years")
    label = "a TFR" if measure == "tfr" else "a life expectancy at birth"

    def message(i: int) -> str:
        place = _place(groups.cell(groups.column, int(first[i])))
        return (
            f"{total[i]:,.0f} {flow} in {t[i]} in {place} imply {label} of {level[i]:.2f} {unit} "
            f"(the Destatis schedule of the year gives {expected[i]:,.0f} {flow} for its "
            f"population): expected {lo:g}..{hi:g}; {flow} of a different area, or in thousands?"
            + accept_hint(TFR if measure == "tfr" else E0)
        )

    check = TFR if measure == "tfr" else E0
    report.rows(name, "count", check, line, message, WARNING, hit)
