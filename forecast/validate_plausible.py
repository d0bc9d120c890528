"""Plausibility of well-formed input: values that cannot be right, and values that are suspicious.

The contract checks (``forecast.validate``) look at each cell and file on its own. A folder can
meet them and still describe an impossible city: more births than women, more deaths than people.
These checks compare files with the population register and run only on files whose contract
checks passed (``check_city`` passes their parsed values). Every check is vectorised over rows,
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

import numpy as np
import pandas as pd

from forecast.contract import CONTRACT, MAX_AGE
from forecast.problems import CONTROL, JUMP, THOUSANDS, WARNING, ProblemReport, accept_hint
from forecast.validate_flows import check_flows
from forecast.validate_register import Register
from forecast.validate_table import LINE

JUMP_FACTOR, JUMP_MIN = 10.0, 100
THOUSANDS_FACTOR, THOUSANDS_MIN = 300.0, 1000.0
CONTROL_SHARE, CONTROL_MIN = 0.1, 1000


def check_plausible(
    values: dict[str, pd.DataFrame],
    text: dict[str, pd.DataFrame],
    names: dict[str, str],
    codes: list[str] | None,
    report: ProblemReport,
) -> None:
    """Run every plausibility check on the files whose contract checks passed.

    Args:
        values: stem -> parsed values (NaN/None where a nullable cell was empty) and ``LINE``.
        text: stem -> the cells as read (quoted in messages).
        names: stem -> file name as found in the folder.
        codes: district codes from city.yaml (None: those of the population file).
        report: where problems go.
    """
    for stem, frame in values.items():
        _thousands(stem, frame, text[stem], names[stem], report)
    if "population" not in values:
        return
    reg = Register.build(values["population"], codes)
    _jumps(reg, values["population"], names["population"], report)
    check_flows(reg, values, names, report)
    if "control_totals" in values:
        _control_totals(reg, values["control_totals"], names["control_totals"], report)


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
    group = np.zeros(len(frame), dtype=np.int64)
    for column in series:  # one number per series; empty cells form a value of their own
        codes, uniques = pd.factorize(frame[column], use_na_sentinel=False)
        group = group * (len(uniques) + 1) + codes
    order = np.lexsort((frame["year"].to_numpy(), group))
    same = group[order]
    lines = frame[LINE].to_numpy()[order]
    for column in counts:
        value = frame[column].to_numpy(float)[order]
        prev = np.r_[np.nan, np.where(same[1:] == same[:-1], value[:-1], np.nan)]
        after = np.r_[np.where(same[1:] == same[:-1], value[1:], np.nan), np.nan]
        near = np.fmin(prev, after)  # the smaller neighbour; NaN only where there is none
        with np.errstate(invalid="ignore"):
            # Both neighbours (where they exist) must be about 1000 times larger.
            big_prev = np.isnan(prev) | (prev >= THOUSANDS_FACTOR * value)
            big_after = np.isnan(after) | (after >= THOUSANDS_FACTOR * value)
            hit = (value >= 1) & (near >= THOUSANDS_MIN) & big_prev & big_after
        pos = np.flatnonzero(hit)
        cells = text[column]  # quoted only for the rows listed (millions of rows: no copy)
        years = frame["year"].to_numpy()[order]

        def message(k: int, pos=pos, cells=cells, years=years, value=value, near=near) -> str:
            i = pos[k]
            return (
                f"value {cells.iat[order[i]]} in {years[i]:.0f} is about "
                f"{near[i] / value[i]:,.0f} times smaller than the same series in the year before or after (at least {near[i]:,.0f}): a "
                "thousands separator lost on the way ('75.000' read as 75 by a spreadsheet or a "
                "conversion)? Write counts without separators" + accept_hint(THOUSANDS)
            )

        report.rows(name, column, THOUSANDS, lines[pos], message, WARNING)


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
