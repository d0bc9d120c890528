"""Check a city data folder against the input contract and report every problem at once.

Everything here is driven by ``forecast.contract``: which files exist, their columns, each column's
kind, the key, whether ``_city`` rows or gaps in years are allowed. A problem names the file, the
line as a text editor shows it (header = line 1), the column and what was expected. Validation
never stops at the first problem and never raises on bad input; ``forecast.citydata.load_city``
turns a non-empty list into an ``InputDataError``.

Cells are read as text (CSV with ``dtype=str``; Parquet values turned into text) so that a problem
quotes exactly what the cell held. The checks are vectorised over rows; messages are only built
for the rows that are listed (at most ``MAX_REPORTS`` per file, column and kind of problem).

This module finds and reads the files and runs the checks every table gets (columns, cells, keys,
years). city.yaml is checked in ``forecast.validate_city_yaml``, the rules of single files in
``forecast.validate_rules``; ``Problem``, ``InputDataError`` and the capped list of problems live
in ``forecast.problems`` and are re-exported here.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.contract import CITY_DISTRICT, CONTRACT, MAX_AGE, Column
from forecast.problems import (
    MAX_REPORTS,
    WARNING,
    InputDataError,
    Problem,
    ProblemReport,
)
from forecast.validate_city_keys import csv_dialect
from forecast.validate_city_yaml import accepted_warnings, check_city_yaml
from forecast.validate_files import TABLE_SUFFIXES, find_tables, folder_dialect, input_files
from forecast.validate_geometry import check_geometry, check_map_layout
from forecast.validate_plausible import BetweenFiles
from forecast.validate_read import read_table, unreadable_entries
from forecast.validate_rules import FILE_RULES, check_schedule_complete
from forecast.validate_table import (
    CATEGORY_KINDS,
    LINE,
    MAX_CELL,
    MAX_KEY_SPACE,
    NUMERIC_KINDS,
    TableCheck,
    code_dtype,
    column_bounds,
    compact_text,
    fix_hint,
    fold_codes,
    huge_message,
    parse_numbers,
    point_message,
    show_cell,
    thousands_point,
)

__all__ = [
    "MAX_REPORTS",
    "CityCheck",
    "InputDataError",
    "Problem",
    "check_city",
    "check_table_file",
    "check_table_rows",
    "folder_dialect",
    "input_files",
    "validate_city",
]

_read_table = read_table  # one file read as check_city reads it (``simulation.housing_plan``)


@dataclass
class CityCheck:
    """What validation saw: the problems and, for the loader, what was read.

    Attributes:
        problems: every error, in the order found (a run refuses the folder if there is one).
        warnings: plausibility warnings (``forecast.validate_plausible``) the city has not
            accepted: suspicious values that may be right; a run goes on.
        accepted: the warnings city.yaml accepts (``accept_warnings``), kept for the manifest.
        meta: the parsed city.yaml (None if missing or unreadable).
        tables: contract stem -> the file's cells as text ('' when empty) plus the ``LINE``
            of each row, for the files that could be read.
        files: file name -> path of every file read, city.yaml included.
    """

    problems: list[Problem]
    warnings: list[Problem] = field(default_factory=list)
    accepted: list[Problem] = field(default_factory=list)
    meta: dict | None = None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)


def validate_city(path: str | Path) -> list[Problem]:
    """Check a city folder against the input contract (``forecast.contract``).

    Args:
        path: the city folder: city.yaml plus CSV or Parquet files named as in the contract.

    Returns:
        Every error found, in the order found; empty if the folder is valid. Plausibility
        warnings are in ``check_city(path).warnings``.
    """
    return check_city(path).problems


def check_city(path: str | Path, keep: tuple[str, ...] | None = None) -> CityCheck:
    """Validate a city folder and keep what was read, so that the loader reads each file once.

    Files are checked one by one (the population first): read, checked, the rules between files
    fed with it (``BetweenFiles`` keeps small aggregates only), then dropped unless kept.

    Args:
        path: the city folder.
        keep: the contract files whose cells ``CityCheck.tables`` keeps for the loader
            (None: all; ``jhplan check-data`` keeps only what it checks beyond the contract).
    """
    path = Path(path)
    if not path.is_dir():
        return CityCheck([Problem(str(path), None, None, "city folder not found")])
    report = ProblemReport()
    check = CityCheck([])
    check.meta, codes = check_city_yaml(path, report)
    if check.meta is not None:
        check.files["city.yaml"] = path / "city.yaml"
    dialect = csv_dialect(check.meta)
    unreadable_entries(path, report)
    check_map_layout(check.meta, codes, report)
    check_geometry(path, codes, report)
    between = BetweenFiles(check.meta, codes)
    for stem, file in find_tables(path, report).items():  # contract order: population first
        frame = read_table(file, report, CONTRACT[stem], dialect)
        if frame is None:
            continue
        t = TableCheck(CONTRACT[stem], file.name, frame, codes, report)
        _check_table(t)
        check.files[file.name] = file
        between.add(stem, file.name, t, not report.has_errors(file.name) and not frame.empty)
        if keep is None or stem in keep:
            check.tables[stem] = compact_text(frame)
        del t, frame  # before the next file is read
    between.finish()
    accept = set(accepted_warnings(check.meta))
    for problem in [*report.problems(), *between.problems()]:
        if problem.severity != WARNING:
            check.problems.append(problem)
        else:
            (check.accepted if problem.check in accept else check.warnings).append(problem)
    return check


def check_table_file(
    file: str | Path,
    stem: str,
    codes: list[str] | None,
    dialect: tuple[str, str] | None = None,
) -> tuple[list[Problem], pd.DataFrame | None]:
    """Check one contract file that lives outside a city folder (e.g. an assumptions file).

    Args:
        file: a CSV or Parquet file.
        stem: the contract file it must follow (``forecast.contract.CONTRACT``).
        codes: the city's district codes (from its city.yaml).
        dialect: (separator, decimal mark) of a CSV file: the city's declaration
            (``csv_dialect(city.meta)``), which holds for the files given by path too. None: the
            declaration in the city.yaml beside the file, if there is one, else comma and point.

    Returns:
        Every problem found (file named as given) and the cells as text, as ``check_city`` keeps
        them (None if the file could not be read).
    """
    file = Path(file)
    report = ProblemReport()
    if not file.is_file():
        report.add(str(file), None, None, "file not found")
        return report.problems(), None
    if file.suffix.lower() not in TABLE_SUFFIXES:
        report.add(str(file), None, None, f"expected a .csv or .parquet file for '{stem}'")
        return report.problems(), None
    if dialect is None:
        dialect = folder_dialect(file.parent)
    frame = read_table(file, report, CONTRACT[stem], dialect)
    if frame is not None:
        _check_table(TableCheck(CONTRACT[stem], str(file), frame, codes, report))
    return report.problems(), frame


def check_table_rows(
    frame: pd.DataFrame, stem: str, name: str, codes: list[str] | None
) -> list[Problem]:
    """Check rows given as text cells (e.g. assumptions from a configuration preset).

    Args:
        frame: one column per contract column, cells as text ('' when empty); a ``LINE`` column
            is added (row 2 = first row) if absent.
        stem: the contract file the rows must follow.
        name: what to call the rows in problems (stands for the file name).
        codes: the city's district codes.
    """
    report = ProblemReport()
    if LINE not in frame.columns:
        frame = frame.assign(**{LINE: np.arange(len(frame)) + 2})
    frame = compact_text(frame)  # the cells as categories, as files are read
    _check_table(TableCheck(CONTRACT[stem], name, frame.reset_index(drop=True), codes, report))
    return report.problems()


def _check_table(t: TableCheck) -> None:
    """Every check of one contract file: columns, cells, keys, years and the file's own rules."""
    found = [c for c in t.frame.columns if c != LINE]
    for column in t.spec.column_names:
        if column not in found:
            close = difflib.get_close_matches(column, found, n=1)
            hint = f" (is '{close[0]}' meant?)" if close else ""
            t.note(
                column, f"column missing: expected columns {', '.join(t.spec.column_names)}{hint}"
            )
    if t.frame.empty:
        if t.spec.required:
            t.note(None, "no data rows: expected at least one year of data")
        return
    for col in t.spec.columns:
        if col.name in found:
            t.values[col.name] = _check_column(t, col)
    _check_keys(t)
    if "year" in t.values and not t.spec.year_gaps_allowed:
        year = t.values["year"].to_numpy()
        years = set(pd.unique(year[~np.isnan(year)]).astype(int).tolist())
        gaps = sorted(set(range(min(years), max(years) + 1)) - years) if years else []
        if gaps:
            listed = ", ".join(map(str, gaps))
            t.note(
                "year",
                f"no rows for {listed}: expected every year from {min(years)} to {max(years)}",
            )
    if "year" not in t.spec.column_names:
        check_schedule_complete(t)
    rule = FILE_RULES.get(t.spec.stem)
    if rule is not None:
        rule(t)


def _check_column(t: TableCheck, col: Column) -> pd.Series:
    """Check every cell of a column; return the parsed values, NaN/None where empty or invalid.

    Cells are categories (``validate_read``): each distinct cell is parsed, bounded and matched
    once, and a row takes its cell's verdict by its code; rows are only listed where a cell
    failed (millions of rows, a few dozen distinct cells).
    """
    text = t.frame[col.name]
    if not isinstance(text.dtype, pd.CategoricalDtype):
        text = text.astype("category")
    cells = pd.Series(text.cat.categories, dtype="str")  # the distinct cells
    code = text.cat.codes.to_numpy()  # -1 (missing) takes the entry appended to each verdict

    def rows(verdict: np.ndarray) -> np.ndarray:
        """Positions of the rows whose cell has ``verdict`` (one flag per distinct cell)."""
        if not verdict.any():
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero(np.r_[verdict, False][code])

    empty = (cells == "").to_numpy()
    expected = _expected(t, col)
    allowed = None
    huge = np.zeros(len(cells), dtype=bool)
    if not col.nullable:
        t.flag(col.name, "empty", rows(empty), lambda _: f"empty cell: expected {expected}")
    if col.kind in NUMERIC_KINDS:
        whole, lo, hi = column_bounds(col)
        num = parse_numbers(cells)
        with np.errstate(invalid="ignore"):  # NaN compares False, which is what we want
            ok = np.isfinite(num)
            if whole:
                ok &= np.floor(num) == num
            if lo is not None:
                ok &= num >= lo
            if hi is not None:
                ok &= num <= hi
        if whole and hi is None:  # counts and other whole numbers without a bound of their own
            huge = ok & (np.abs(np.where(ok, num, 0.0)) > MAX_CELL)
            t.flag(col.name, "huge", rows(huge), lambda i: huge_message(text.iat[i], num[code[i]]))
        if whole:  # '75.000' is 75 to a parser but 75,000 to whoever typed it: never guess
            point = thousands_point(cells, np.isfinite(num))  # '1.200' too, though not whole
            t.flag(col.name, "point", rows(point), lambda i: point_message(text.iat[i]))
            huge |= point
        value = np.where(ok & ~huge, num, np.nan)
        t.distinct[col.name] = value  # per distinct cell, for the keys
        parsed = pd.Series(np.r_[value, np.nan][code], index=text.index, copy=False)  # 8 B a row
    else:
        allowed = _allowed(t, col)
        ok = cells.isin(allowed).to_numpy() if allowed is not None else ~empty
        if ok.all():  # the usual case: the cells as read
            parsed = pd.Series(text.array, index=text.index, copy=False)
        else:  # categories as read, missing where a cell is empty or invalid
            keep = np.r_[np.where(ok, np.arange(len(cells)), -1), -1].astype(code.dtype)
            cats = pd.Categorical.from_codes(keep[code], dtype=text.dtype, validate=False)
            parsed = pd.Series(cats, index=text.index, copy=False)
    t.flag(
        col.name,
        "value",
        rows(~ok & ~empty & ~huge),  # a thousands point has its own message
        lambda i: (
            f"value {show_cell(text.iat[i])}: expected {expected}"
            f"{fix_hint(text.iat[i], col, allowed)}"
        ),
    )
    return parsed


def _allowed(t: TableCheck, col: Column) -> tuple[str, ...] | None:
    """The values a text column may take, None if any non-empty text will do."""
    if col.kind in CATEGORY_KINDS:
        return CATEGORY_KINDS[col.kind]
    if col.kind == "district" and t.codes:
        return (*t.codes, CITY_DISTRICT) if t.spec.allow_city_rows else tuple(t.codes)
    if col.kind in ("district", "str"):
        return None
    raise ValueError(f"contract column {col.name!r} has unknown kind {col.kind!r}")


def _expected(t: TableCheck, col: Column) -> str:
    """What a cell of this column should hold, in words."""
    if col.kind in NUMERIC_KINDS:
        whole, lo, hi = column_bounds(col)
        noun = "a whole number" if whole else "a number"
        if col.kind == "year":
            text = f"a year ({lo:g}..{hi:g})"
        elif lo is not None and hi is not None:
            text = f"{noun} {lo:g}..{hi:g}" if whole else f"{noun} between {lo:g} and {hi:g}"
        elif lo is not None:
            text = f"{noun} >= {lo:g}"
        else:
            text = noun
        text += " (100 = 100 and over)" if col.kind == "age" and hi == MAX_AGE else ""
    elif col.kind == "district" and t.codes:
        codes = ", ".join(f"'{c}'" for c in t.codes[:12]) + (", ..." if len(t.codes) > 12 else "")
        text = f"a district code from city.yaml ({codes})"
        text += f" or '{CITY_DISTRICT}' for the whole city" if t.spec.allow_city_rows else ""
    elif col.kind in CATEGORY_KINDS:
        text = "one of " + ", ".join(f"'{v}'" for v in CATEGORY_KINDS[col.kind])
    else:
        text = "some text"
    return text + (" or an empty cell" if col.nullable else "")


def _key_codes(t: TableCheck, column: str) -> tuple[np.ndarray, int]:
    """(one integer per cell of a key column, their number): equal for equal valid numbers
    ('3' and '3.0' are the same age) or equal other text.

    For cells read as categories each distinct cell is looked at once (the values
    ``_check_column`` parsed per distinct cell); otherwise by hashing.
    """
    value, raw = t.values[column], t.frame[column]
    if not isinstance(raw.dtype, pd.CategoricalDtype):
        codes = _key_codes_hashed(value, raw)
        return codes, int(codes.max(initial=0)) + 1
    cell = raw.cat.codes.to_numpy()
    n = len(raw.cat.categories)
    if value.dtype != float:  # text: as typed; a missing cell (-1) a value of its own
        return cell + np.array(1, dtype=code_dtype(n + 1)), n + 1  # one or two bytes a row
    per_cat = t.distinct.get(column)
    if per_cat is None:  # each category holds one text: valid (with one value) or not
        valid = ~np.isnan(value.to_numpy())
        per_cat = np.full(n, np.nan)
        per_cat[cell[valid]] = value.to_numpy()[valid]
    ok = ~np.isnan(per_cat)
    code, uniques = pd.factorize(per_cat[ok])
    n_bad = int((~ok).sum())
    width = len(uniques) + n_bad + 1
    cat_code = np.empty(n + 1, dtype=code_dtype(width))  # one or two bytes a row
    cat_code[:n][ok] = code
    cat_code[:n][~ok] = len(uniques) + np.arange(n_bad)
    cat_code[n] = len(uniques) + n_bad  # a missing cell (code -1)
    return cat_code[cell], width


def _key_codes_hashed(value: pd.Series, raw: pd.Series) -> np.ndarray:
    if value.dtype != float:
        return pd.factorize(raw)[0].astype(np.int64)
    valid = ~np.isnan(value.to_numpy())
    code, uniques = pd.factorize(value.to_numpy()[valid])
    codes = np.empty(len(raw), dtype=np.int64)
    codes[valid] = code
    codes[~valid] = len(uniques) + pd.factorize(raw[~valid])[0]
    return codes


def _check_keys(t: TableCheck) -> None:
    """No two rows may share a key; empty cells count as key values."""
    key = list(t.spec.key)
    if not all(k in t.values for k in key):
        return
    # One integer code per key cell, then one code per row (mixed radix; the combinations seen
    # so far renumbered when the next column would not fit).
    row, space = fold_codes(_key_codes(t, k) for k in key)  # one column's codes at a time
    if space <= MAX_KEY_SPACE:  # one flag a possible key: no hashing of millions of rows
        seen = np.zeros(space, dtype=bool)
        seen[row] = True
        if seen.sum() == len(row):
            return
    dup = pd.Series(row, copy=False).duplicated(keep="first").to_numpy()
    if not dup.any():
        return
    first = t.frame[LINE].groupby(row, sort=False).transform("first").to_numpy()

    def message(pos: int) -> str:
        cells = ", ".join(f"{k}={show_cell(t.frame[k].iat[pos])}" for k in key)
        return f"duplicate of row {first[pos]}: key {cells}; expected one row per {', '.join(key)}"

    t.flag(None, "duplicate", dup, message)
