"""A contract table under check: its cells as text, the kinds they may hold, the values parsed.

``forecast.validate`` runs the checks every file gets (columns, cells, keys, years) and
``forecast.validate_rules`` the rules of single files; both see the file as a ``TableCheck`` and
report through it, so that every problem points at the line a text editor shows.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from forecast.contract import (
    ASSUMPTION_QUANTITIES,
    FERTILE_AGES,
    GANZTAG_FORMS,
    HILFEARTEN,
    MAX_AGE,
    SEXES,
    Column,
    FileSpec,
)
from forecast.problems import ERROR, ProblemReport

# kind -> (whole number, lower bound, upper bound); a column's own minimum/maximum narrow these.
# Years outside 1900..2100 are typing errors, not history or planning horizons.
NUMERIC_KINDS: dict[str, tuple[bool, float | None, float | None]] = {
    "year": (True, 1900, 2100),
    "int": (True, None, None),
    "count": (True, 0, None),
    "float": (False, None, None),
    "rate": (False, 0, 1),
    "age": (True, 0, MAX_AGE),
    "mother_age": (True, *FERTILE_AGES),
}
CATEGORY_KINDS: dict[str, tuple[str, ...]] = {
    "sex": SEXES,
    "direction": ("in", "out"),
    "hilfeart": HILFEARTEN,
    "quantity": ASSUMPTION_QUANTITIES,
    "ganztag_form": GANZTAG_FORMS,
}
MAX_CELL = 100_000_000
"""The largest whole number a cell of a city's data may hold (persons, births, dwellings, cases):
more than Germany's population. Larger values are typing or export errors; beyond 2**63 - 1 they
cannot even be stored as whole numbers (the run would wrap them round to negative counts)."""
LINE = "_line"
"""Column added to a table as read: the row's line number in the file (header = 1)."""


@dataclass
class TableCheck:
    """One contract file under check: its cells as text and the values parsed so far."""

    spec: FileSpec
    name: str
    frame: pd.DataFrame
    codes: list[str] | None
    report: ProblemReport
    values: dict[str, pd.Series] = field(default_factory=dict)
    distinct: dict[str, np.ndarray] = field(default_factory=dict)
    """Numeric columns: the value of each distinct cell (category), NaN where invalid."""

    def flag(
        self,
        column: str | None,
        kind: str,
        rows: np.ndarray,
        message: Callable[[int], str],
        severity: str = ERROR,
    ) -> None:
        """Report rows (a boolean mask or positions); ``message(pos)`` gets the row's position."""
        rows = np.asarray(rows)
        pos = np.flatnonzero(rows) if rows.dtype == bool else np.sort(rows)
        lines = self.frame[LINE].to_numpy()[pos]
        self.report.rows(self.name, column, kind, lines, lambda k: message(int(pos[k])), severity)

    def note(
        self, column: str | None, message: str, kind: str = "", row: int | None = None
    ) -> None:
        """Report a problem that is not about one cell."""
        self.report.add(self.name, row, column, message, kind)

    def valid(self, *columns: str) -> pd.DataFrame | None:
        """Parsed values of the rows whose ``columns`` are all valid (index = row position)."""
        if not all(c in self.values for c in columns):
            return None
        return pd.DataFrame({c: self.values[c] for c in columns}, copy=False).dropna()

    def line(self, pos: int) -> int:
        return int(self.frame[LINE].iat[pos])


def column_bounds(col: Column) -> tuple[bool, float | None, float | None]:
    """(whole numbers only, lower bound, upper bound) of a numeric column.

    The bounds of the column's kind (``NUMERIC_KINDS``), narrowed by its own minimum and maximum.
    """
    whole, lo, hi = NUMERIC_KINDS[col.kind]
    if col.minimum is not None:
        lo = col.minimum if lo is None else max(lo, col.minimum)
    if col.maximum is not None:
        hi = col.maximum if hi is None else min(hi, col.maximum)
    return whole, lo, hi


def huge_message(raw: str, value: float) -> str:
    """Why a whole number beyond ``MAX_CELL`` cannot be right."""
    why = f"value {raw}: larger than {MAX_CELL:,}, the most one cell may hold (no city has more "
    why += "inhabitants, births, moves, dwellings or cases in one cell)"
    if abs(value) >= 2.0**63:
        why += "; it cannot even be stored as a whole number and would turn into a negative count"
    return why + ": expected a count of this city (a typing or export error?)"


def parse_numbers(text: pd.Series) -> np.ndarray:
    """The number in each text cell as float64; NaN where the cell is empty or not a number.

    The same values as ``pd.to_numeric(errors="coerce")``; arrow's parser reads a column of valid
    numbers (the usual case) at C speed and pandas' is asked only when some cell is not one.
    """
    if isinstance(text.dtype, pd.CategoricalDtype):  # each distinct cell parsed once
        distinct = parse_numbers(pd.Series(text.cat.categories, dtype="str"))
        codes = text.cat.codes.to_numpy()
        return np.r_[distinct, np.nan][codes]  # code -1 (missing) takes the NaN at the end
    cells = pa.array(text, type=pa.string(), from_pandas=True)
    cells = pc.if_else(pc.equal(cells, ""), pa.scalar(None, pa.string()), cells)
    try:
        return pc.cast(cells, pa.float64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        coerced = pd.to_numeric(text.where(text != "", None), errors="coerce")
        return coerced.astype(float).to_numpy()


def categorical(codes: np.ndarray | list[np.ndarray], categories) -> pd.Series:
    """Text cells as a categorical Series: ``categories[codes]``, equal categories merged and
    sorted (categories may repeat after blanks were trimmed or numbers rewritten).

    ``codes`` may come in blocks (a list of arrays, as arrow reads a file): they are written
    into one array of one or two bytes a cell, with no wider copy of millions of rows.
    """
    uniques, inverse = np.unique(
        np.asarray(categories, dtype=object).astype(str), return_inverse=True
    )
    blocks = codes if isinstance(codes, list) else [np.asarray(codes)]
    small = code_dtype(len(uniques))  # what pandas would store: one or two bytes a cell
    mapped = np.empty(sum(len(b) for b in blocks), dtype=small)
    start = 0
    for block in blocks:
        if not len(uniques):
            mapped[start : start + len(block)] = -1
        else:
            mapped[start : start + len(block)] = inverse.astype(small)[block]
        start += len(block)
    dtype = pd.CategoricalDtype(pd.Index(uniques, dtype="str"))
    return pd.Series(pd.Categorical.from_codes(mapped, dtype=dtype, validate=False), copy=False)


def code_dtype(n: int) -> type:
    """The smallest signed integer type holding codes 0..n-1 and -1 (what pandas uses)."""
    return np.int8 if n < 127 else np.int16 if n < 32_767 else np.int32


def map_categories(text: pd.Series, rewrite: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """A categorical Series with ``rewrite`` (text cells -> text cells) applied to its distinct
    cells only; cells that become equal are merged."""
    cats = pd.Series(text.cat.categories, dtype="str")
    out = categorical(text.cat.codes.to_numpy(), rewrite(cats).to_numpy())
    out.index = text.index
    return out


def per_cell(text: pd.Series, test: Callable[[pd.Series], np.ndarray]) -> np.ndarray:
    """``test`` (text cells -> booleans) for every cell; on the distinct cells of a categorical."""
    if not isinstance(text.dtype, pd.CategoricalDtype):
        return np.asarray(test(text), dtype=bool)
    hit = np.asarray(test(pd.Series(text.cat.categories, dtype="str")), dtype=bool)
    codes = text.cat.codes.to_numpy()
    if not hit.any():  # the usual case: no cell to look at, no pass over millions of rows
        return np.zeros(len(codes), dtype=bool)
    return np.r_[hit, False][codes] if len(codes) else np.zeros(0, dtype=bool)


def cell_codes(cells: pd.Series) -> tuple[np.ndarray, int]:
    """(an integer 0..n-1 per cell, n): equal cells, equal integers; empty cells included.

    Categories give their codes (no hashing of millions of rows); anything else is factorised.
    """
    if isinstance(cells.dtype, pd.CategoricalDtype):
        codes = cells.cat.codes.to_numpy()
        n = len(cells.cat.categories)
        if (codes < 0).any():  # a missing cell is a value of its own
            codes = np.where(codes < 0, n, codes)
        return codes, n + 1
    codes, uniques = pd.factorize(cells, use_na_sentinel=False)
    return codes, len(uniques)


def lookup(
    cells: pd.Series,
    table: Callable[[pd.Series], np.ndarray],
    missing,
    rows: np.ndarray | None = None,
) -> np.ndarray:
    """``table`` (distinct text cells -> one value each) looked up for every cell, or for the
    cells at positions ``rows``; ``missing`` where a cell is missing. For categories each
    distinct cell is looked at once and rows take its value by their code."""
    if not isinstance(cells.dtype, pd.CategoricalDtype):
        cells = cells.astype("category")
    values = np.asarray(table(pd.Series(cells.cat.categories, dtype="str")))
    values = np.r_[values, np.asarray([missing], dtype=values.dtype)]
    codes = cells.cat.codes.to_numpy()
    return values[codes if rows is None else codes[rows]]


def dense_codes(cells: pd.Series) -> tuple[np.ndarray, int]:
    """``cell_codes`` for text or numbers: (an integer 0..n-1 per cell, n), equal cells equal.

    Whole numbers in a narrow range (years, ages) are their offset from the smallest, with no
    hashing of millions of rows; other numbers are factorised (NaN a value of its own).
    """
    if isinstance(cells.dtype, pd.CategoricalDtype):
        return cell_codes(cells)
    value = cells.to_numpy(float)
    if len(value) and np.isfinite(value).all():
        lo, hi = value.min(), value.max()
        if hi - lo < 1 << 20 and (np.floor(value) == value).all():
            return (value - lo).astype(np.int64), int(hi - lo) + 1
    codes, uniques = pd.factorize(value, use_na_sentinel=False)
    return codes, len(uniques)


def positions(cells: pd.Series, labels) -> np.ndarray:
    """Position of each cell's text in ``labels`` (unique; -1 where absent or missing); for
    categories, each distinct cell is looked up once."""
    index = pd.Index(list(labels))
    if isinstance(cells.dtype, pd.CategoricalDtype):
        found = index.get_indexer(cells.cat.categories.astype(str))
        return np.r_[found, -1][cells.cat.codes.to_numpy()]
    return index.get_indexer(cells.astype(str))


def combined_codes(parts: Iterable[tuple[np.ndarray, int]]) -> np.ndarray:
    """One integer per row for the combination of several columns' ``(codes, n)``: equal rows,
    equal integers; ordered by the first column, then the next (mixed radix; renumbered densely
    when the combinations would not fit into int64, which keeps the order)."""
    row, space, most = None, 1, np.iinfo(np.int64).max
    for codes, width in parts:
        if row is None:
            row, space = codes.astype(np.int64, copy=True), max(width, 1)
            continue
        if space > most // max(width, 1):
            row = np.unique(row, return_inverse=True)[1].astype(np.int64)
            space = int(row.max(initial=0)) + 1
        row *= max(width, 1)
        row += codes
        space *= max(width, 1)
    return row if row is not None else np.zeros(0, dtype=np.int64)


MAX_KEY_SPACE = 1 << 27
"""Largest number of possible keys whose duplicates are found with one flag per key (128 MiB)."""


def fold_codes(parts: Iterable[tuple[np.ndarray, int]]) -> tuple[np.ndarray, int]:
    """(one integer per row for the combination of several columns' ``(codes, n)``, the number
    of possible integers): equal rows, equal integers, ordered by the first column, then the next.

    Mixed radix; when the next column would take the possible combinations past
    ``MAX_KEY_SPACE``, those seen so far are renumbered densely first (few are seen: a city's
    moves go to a few neighbours, not to every district).
    """
    row, space = None, 1
    for codes, width in parts:
        width = max(width, 1)
        if row is None:
            row, space = codes.astype(np.int64, copy=True), width
            continue
        if space * width > MAX_KEY_SPACE:
            row, space = renumber(row, space)
        row *= width
        row += codes
        space *= width
    if row is None:
        return np.zeros(0, dtype=np.int64), 0
    return row, space


def renumber(row: np.ndarray, space: int) -> tuple[np.ndarray, int]:
    """Codes 0..space-1 renumbered 0..n-1 for the n codes present (order kept): one flag per
    possible code when that is cheaper than sorting the rows, else ``np.unique``."""
    if space > max(MAX_KEY_SPACE, 4 * len(row)):
        present, row = np.unique(row, return_inverse=True)
        return row.astype(np.int64), len(present)
    seen = np.zeros(space, dtype=bool)
    seen[row] = True
    if space <= 1 << 24:  # a table of 64 MiB at most
        table = np.cumsum(seen, dtype=np.int32)
        return (table[row] - 1).astype(np.int64), int(table[-1]) if space else 0
    present = np.flatnonzero(seen)
    del seen
    return np.searchsorted(present, row), len(present)


def group_ids(parts: Iterable[tuple[np.ndarray, int]]) -> tuple[np.ndarray, int]:
    """A dense group id 0..n-1 per row for the combination of several columns' ``(codes, n)``,
    ordered as ``fold_codes``; n groups."""
    return renumber(*fold_codes(parts))


def thousands_point(text: pd.Series, ok: np.ndarray) -> np.ndarray:
    """Whole numbers written with a point before groups of three digits (``75.000``, ``1.250.000``):
    a German thousands point, or three decimals? The reader cannot know (a file declared with a
    decimal comma has had its points removed by then)."""
    if isinstance(text.dtype, pd.CategoricalDtype):
        return ok & per_cell(text, lambda cells: thousands_point(cells, np.ones(len(cells), bool)))
    cells = pa.array(text, type=pa.string(), from_pandas=True)
    dotted = pc.fill_null(pc.match_substring(cells, "."), False).to_numpy(zero_copy_only=False)
    if not (dotted & ok).any():
        return np.zeros(len(text), dtype=bool)
    grouped = pc.fill_null(pc.match_substring_regex(cells, r"^[+-]?\d{1,3}(\.\d{3})+$"), False)
    return ok & dotted & grouped.to_numpy(zero_copy_only=False)


def point_message(raw: str) -> str:
    """Why a whole number written as ``75.000`` is refused, and how to write it."""
    return (
        f"value {raw}: a whole number with a point before three digits: {raw.replace('.', '')} "
        f"(a German thousands point) or {float(raw):g}? Write whole numbers without separators "
        "(e.g. 75000), or declare German CSV files in city.yaml: csv: {sep: ';', decimal: ','}"
    )


def compact_text(frame: pd.DataFrame) -> pd.DataFrame:
    """A checked table's cells kept as categories: the distinct texts once, a small code a cell.

    Register files repeat few distinct cells (years, codes, ages, small counts) over millions of
    rows; kept for the rules between files and for the loader, categories take a few bytes a
    cell instead of a string each.
    """
    out = {}
    for column in frame.columns:
        cells = frame[column]
        if column == LINE:
            out[column] = cells.astype(np.int32)
        elif isinstance(cells.dtype, pd.CategoricalDtype):
            out[column] = cells  # read as categories already (``validate_read``)
        else:
            out[column] = cells.astype("category")
    return pd.DataFrame(out, index=frame.index, copy=False)


def text_values(text: pd.Series) -> np.ndarray:
    """Text cells as an object array whose equal cells share one ``str`` (memory: one pointer a
    cell, not one string object a cell, which matters at millions of rows)."""
    if isinstance(text.dtype, pd.CategoricalDtype):  # the categories are the distinct cells
        codes, table = text.cat.codes.to_numpy(), np.asarray(text.cat.categories, dtype=object)
    else:
        codes, uniques = pd.factorize(text, use_na_sentinel=True)
        table = np.asarray(uniques, dtype=object)
    return np.where(codes >= 0, table[np.maximum(codes, 0)] if len(table) else None, None)


def looks_like_percent(raw: str, col: Column) -> bool:
    """A share written in percent (16 for 0.16)."""
    try:
        return col.kind == "rate" and 1 < float(raw) <= 100
    except ValueError:
        return False


def show_cell(raw: str) -> str:
    """A cell as quoted in a message: numbers bare, text in quotes."""
    try:
        float(raw)
        return raw
    except ValueError:
        return repr(raw)


def fix_hint(raw: str, col: Column, allowed: tuple[str, ...] | None) -> str:
    """A likely fix for a bad cell, if one is obvious."""
    if col.kind in NUMERIC_KINDS:
        if "," in raw:
            if NUMERIC_KINDS[col.kind][0] and re.fullmatch(r"\d{1,3}(,\d{3})+", raw):
                return " (write whole numbers without thousands separators, e.g. 75000)"
            return (
                " (use '.' as the decimal point, or declare a decimal comma for all CSV files "
                "in city.yaml: csv: {sep: ';', decimal: ','})"
            )
        return " (looks like percent: write 0.16 for 16 %)" if looks_like_percent(raw, col) else ""
    if not allowed:
        return ""
    guess = next((a for a in allowed if a.lower() in (raw.lower(), "p" + raw.lower())), None)
    close = difflib.get_close_matches(raw, allowed, n=1)
    guess = guess or (close[0] if close else None)
    return f" (did you mean '{guess}'?)" if guess else ""
