"""Plausibility of well-formed input: values that cannot be right, and values that are suspicious.

The contract checks (``forecast.validate``) look at each cell and file on its own. A folder can
meet them and still describe an impossible city: more births than women, more deaths than people.
These checks compare files with the population register and run only on files whose contract
checks passed (``BetweenFiles``, fed by ``check_city`` file by file). Every check is vectorised over rows,
districts and ages; a loop runs at most over years (reference schedules).

Errors (the value cannot be right): the flows against the register, in
``forecast.validate_flows`` (more births than women, more deaths or departures than people).

Warnings (possible, but more often a mistake) are named in ``forecast.problems.ACCEPTABLE``;
``accept_warnings: [name, ...]`` in city.yaml accepts them (``check_city`` keeps them apart):

* ``jump``: a district's population grows tenfold or falls to a tenth from one 31.12. to the next
  (districts of at least ``JUMP_MIN`` persons in one of the two years);
* ``thousands``: a count at least ``THOUSANDS_FACTOR`` times smaller than its neighbours in the
  same series, which hold at least ``THOUSANDS_MIN`` (``75.000`` read as 75);
* ``control_total``: a control total below 10 % or above 10 times the register population of the
  same or nearest year in the same ages, or a whole-city total below 1,000;
* ``tfr``, ``e0``: the fertility and mortality levels births and deaths imply
  (``forecast.validate_flows``);
* ``percent``: a social indicator that looks like percent (``forecast.validate_rules``).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecast.contract import CONTRACT, MAX_AGE
from forecast.problems import (
    CONTROL,
    JUMP,
    THOUSANDS,
    WARNING,
    Problem,
    ProblemReport,
    accept_hint,
)
from forecast.validate_city_yaml import check_excluded_years
from forecast.validate_flows import FLOWS, check_flows
from forecast.validate_kita import (
    CITY_RULE_TABLES,
    CITY_RULES,
    check_kita_quota,
    population_bands,
)
from forecast.validate_register import Register
from forecast.validate_table import (
    LINE,
    NUMERIC_KINDS,
    TableCheck,
    cell_codes,
    combined_codes,
    dense_codes,
)

JUMP_FACTOR, JUMP_MIN = 10.0, 100
THOUSANDS_FACTOR, THOUSANDS_MIN = 300.0, 1000.0
CONTROL_SHARE, CONTROL_MIN = 0.1, 1000


@dataclass
class BetweenFiles:
    """The rules between files, run file by file as ``check_city`` reads them.

    Files come in contract order, the population first, so that every later file is checked
    against what is kept of it: its years, the Kita age bands and the ``Register`` (arrays by
    year, district, sex and age), never the whole table. Each file's values are dropped once its
    rules ran; memory stays that of the largest file, not of the city. Problems go to three
    reports, listed in this order after the contract checks: ``between`` (``exclude_years``
    against the register years, Kita children against the population), ``thousands``
    (``_thousands``, every file), ``plausible`` (jumps, flows against the register, control
    totals).

    Attributes:
        meta: the parsed city.yaml (None if unreadable).
        codes: district codes from city.yaml (None: those of the population file).
    """

    meta: dict | None
    codes: list[str] | None
    between: ProblemReport = field(default_factory=ProblemReport)
    thousands: ProblemReport = field(default_factory=ProblemReport)
    plausible: ProblemReport = field(default_factory=ProblemReport)
    register: Register | None = None
    bands: pd.DataFrame | None = None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)

    def add(self, stem: str, name: str, t: TableCheck, clean: bool) -> None:
        """Run the rules between files that ``stem`` takes part in.

        Args:
            stem: the contract file.
            name: its file name in the folder.
            t: the file as checked (cells as text, values parsed).
            clean: the file met the contract (no error) and has rows: plausibility checks run
                only on such files, whose values all parsed.
        """
        values = _clean_values(t) if clean else None
        self.names[stem] = name
        if stem in CITY_RULE_TABLES:
            self.tables[stem] = t.frame
        elif stem == "population" and "district" in t.frame.columns:
            self.tables[stem] = t.frame[["district"]]  # what the rules between files ask of it
        if stem == "population":
            year = t.values.get("year")
            years = set(pd.unique(year.dropna()).astype(int).tolist()) if year is not None else None
            check_excluded_years(self.meta, years, self.between)
            self.bands = population_bands(t.values)
        elif stem == "kita_children":
            check_kita_quota(t.frame, self.bands, name, self.between)
        if values is None:
            return
        _thousands(stem, values, t.frame, name, self.thousands)
        if stem == "population":
            self.register = Register.build(values, self.codes)
            _jumps(self.register, values, name, self.plausible)
        elif self.register is None:
            return
        elif stem in FLOWS:
            check_flows(self.register, stem, values, name, self.plausible)
        elif stem == "control_totals":
            _control_totals(self.register, values, name, self.plausible)

    def finish(self) -> None:
        """The rules between small files (``CITY_RULES``), once every file was read."""
        for rule in CITY_RULES:
            rule(self.tables, self.names, self.between)

    def problems(self) -> list[Problem]:
        """The problems found, in the order of the three reports (class docstring)."""
        return [*self.between.problems(), *self.thousands.problems(), *self.plausible.problems()]


def _clean_values(t: TableCheck) -> pd.DataFrame:
    """A file that met the contract as the checks here read it: numbers parsed, text as the
    cells' categories ('' where empty: every text cell is valid), and ``LINE``."""
    kinds = {c.name: c.kind for c in t.spec.columns}
    columns = {
        name: t.frame[name] if kinds[name] not in NUMERIC_KINDS else values
        for name, values in t.values.items()
    }
    return pd.DataFrame({**columns, LINE: t.frame[LINE]}, copy=False)


def _jumps(reg: Register, pop: pd.DataFrame, name: str, report: ProblemReport) -> None:
    """Warn where a district's total grows tenfold or falls to a tenth from one year to the next."""
    total = reg.cum[:, :-1, 2, -1]  # (year, district)
    before, after = total[:-1], total[1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        jump = (np.maximum(before, after) >= JUMP_MIN) & (
            (after >= JUMP_FACTOR * before) | (after * JUMP_FACTOR <= before)
        )
    y, d = np.nonzero(jump)
    if not len(y):
        return
    flagged = pd.DataFrame({"year": reg.years[y + 1], "district": np.array(reg.codes)[d]})
    rows = pop.merge(flagged, on=["year", "district"])
    # Point at the largest cell of the year that jumped: the likeliest place of the mistake.
    rows = rows.sort_values("count", ascending=False, kind="stable")
    rows = rows.drop_duplicates(["year", "district"]).sort_values(["year", "district"])
    index = {
        (reg.years[a + 1], reg.codes[b]): (before[a, b], after[a, b])
        for a, b in zip(y, d, strict=True)
    }

    def message(k: int) -> str:
        row = rows.iloc[k]
        was, now = index[(row["year"], row["district"])]
        return (
            f"district '{row['district']}' has {now:,.0f} inhabitants at 31.12.{row['year']:.0f} "
            f"against {was:,.0f} a year before: a district rarely grows tenfold or shrinks to a "
            f"tenth in one year (this row is its largest cell, {row['count']:,.0f})"
            + accept_hint(JUMP)
        )

    report.rows(name, "count", JUMP, rows[LINE].to_numpy(), message, WARNING)


def _thousands(
    stem: str, frame: pd.DataFrame, text: pd.DataFrame, name: str, report: ProblemReport
) -> None:
    """Warn at a count about 1000 times smaller than its neighbours in the same series.

    A series is one key without its year (a district's women aged 30, one Hilfeart in one
    district); neighbours are the rows of the years before and after. A thousands separator
    lost before the file was written (``75.000`` read as 75 by a spreadsheet) is the hazard this
    check is for; written as ``75.000`` in the file, the cell is refused as it stands.
    """
    spec = CONTRACT[stem]
    counts = [c.name for c in spec.columns if c.kind == "count" and c.name in frame]
    series = [k for k in spec.key if k != "year" and k in frame]
    if not counts or "year" not in frame or len(frame) < 3:
        return
    # A series is told apart by its cells as read (categories: a number each, no hashing; the
    # file met the contract, so equal keys are written alike); rows ordered by series, then year.
    year, ny = dense_codes(frame["year"])  # years in order: offsets from the first one
    if not np.isfinite(frame["year"].to_numpy(float)).all():
        year, years = pd.factorize(frame["year"], sort=True)
        ny = len(years)
    ny = max(ny, 1)
    group = combined_codes(itertools.chain((cell_codes(text[c]) for c in series), [(year, ny)]))
    del year
    order = np.argsort(group, kind="stable")
    group = group[order] // ny
    same = group[1:] == group[:-1]  # row i+1 continues the series of row i
    del group
    n = len(order)
    for column in counts:
        value = frame[column].to_numpy(float)[order]
        with np.errstate(invalid="ignore"):
            # Every neighbour that exists holds at least THOUSANDS_MIN and about 1000 times
            # the value; at least one exists. Boolean masks only: millions of rows.
            hit = value >= 1
            hit[1:] &= ~same | (
                (value[:-1] >= THOUSANDS_MIN) & (value[:-1] >= THOUSANDS_FACTOR * value[1:])
            )
            hit[:-1] &= ~same | (
                (value[1:] >= THOUSANDS_MIN) & (value[1:] >= THOUSANDS_FACTOR * value[:-1])
            )
            hit &= np.r_[False, same] | np.r_[same, False]
        pos = np.flatnonzero(hit)
        del hit
        before = np.full(len(pos), np.nan)
        has = (pos > 0) & same[np.maximum(pos - 1, 0)]
        before[has] = value[pos[has] - 1]
        after = np.full(len(pos), np.nan)
        has = (pos < n - 1) & np.r_[same, False][pos]
        after[has] = value[pos[has] + 1]
        near = np.fmin(before, after)  # the smaller neighbour
        rows = order[pos]
        cells = text[column]  # quoted only for the rows listed (millions of rows: no copy)
        years = frame["year"].to_numpy()[rows]
        small = value[pos]

        def message(k: int, rows=rows, cells=cells, years=years, small=small, near=near) -> str:
            return (
                f"value {cells.iat[rows[k]]} in {years[k]:.0f} is about "
                f"{near[k] / small[k]:,.0f} times smaller than the same series in the year before or after (at least {near[k]:,.0f}): a "
                "thousands separator lost on the way ('75.000' read as 75 by a spreadsheet or a "
                "conversion)? Write counts without separators" + accept_hint(THOUSANDS)
            )

        report.rows(name, column, THOUSANDS, frame[LINE].to_numpy()[rows], message, WARNING)
        del value


def _control_totals(reg: Register, ct: pd.DataFrame, name: str, report: ProblemReport) -> None:
    """Warn where a control total is below 10 % or above 10 times the register's population.

    Compared with the register of the same year or the nearest one; a whole-city total (ages
    0..100) below 1,000 persons is reported too (a total in thousands, or a district's figure).
    """
    t = ct["year"].to_numpy(int)
    nearest = np.abs(reg.years[None, :] - t[:, None]).argmin(axis=1)
    lo = ct["age_from"].fillna(0).to_numpy(int)
    hi = ct["age_to"].fillna(MAX_AGE).to_numpy(int)
    ok = lo <= hi
    lo, hi = np.where(ok, lo, 0), np.where(ok, hi, MAX_AGE)
    city = np.full(len(ct), len(reg.codes))
    register = reg.total(nearest, city, np.full(len(ct), 2), lo, hi)
    count = ct["count"].to_numpy(float)
    whole = (lo == 0) & (hi == MAX_AGE)
    bad = ok & (
        (count < CONTROL_SHARE * register)
        | (count * CONTROL_SHARE > register)
        | (whole & (count < CONTROL_MIN))
    )
    pos = np.flatnonzero(bad)

    def message(k: int) -> str:
        i = pos[k]
        ages = "all ages" if whole[i] else f"ages {lo[i]}-{hi[i]}"
        return (
            f"control total {count[i]:,.0f} for {t[i]} ({ages}) against {register[i]:,.0f} in the "
            f"register at 31.12.{reg.years[nearest[i]]}: expected the city's population, between "
            f"a tenth and ten times the register (and at least {CONTROL_MIN:,} for the whole city; "
            "a total in thousands?)" + accept_hint(CONTROL)
        )

    report.rows(name, "count", CONTROL, ct[LINE].to_numpy()[pos], message, WARNING)
