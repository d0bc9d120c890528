"""Check a city data folder against the input contract and report every problem at once.

Everything here is driven by ``forecast.contract``: which files exist, their columns, each column's
kind, the key, whether ``_city`` rows or gaps in years are allowed. A problem names the file, the
line as a text editor shows it (header = line 1), the column and what was expected. Validation
never stops at the first problem and never raises on bad input; ``forecast.citydata.load_city``
turns a non-empty list into an ``InputDataError``.

Cells are read as text (CSV with ``dtype=str``; Parquet values turned into text) so that a problem
quotes exactly what the cell held. The checks are vectorised over rows; messages are only built
for the rows that are listed (at most ``MAX_REPORTS`` per file, column and kind of problem).
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from forecast.contract import (
    CITY_DISTRICT,
    CITY_YAML_KEYS,
    CONTRACT,
    FERTILE_AGES,
    HILFEARTEN,
    MAX_AGE,
    SEXES,
    Column,
    FileSpec,
)

MAX_REPORTS = 20
"""Problems listed per (file, column, kind of problem); one more line counts the rest."""

TABLE_SUFFIXES = (".csv", ".parquet")
_LOOKALIKE_SUFFIXES = (*TABLE_SUFFIXES, ".xlsx", ".xls", ".ods", ".tsv", ".txt", ".pq")

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
}
LINE = "_line"
"""Column added to a table as read: the row's line number in the file (header = 1)."""
SHARE_SUFFIXES = ("_rate", "_share")
"""Indicators in ``social`` whose names end like this are shares in 0..1."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input data.

    Attributes:
        file: file name relative to the city folder, e.g. ``population.csv`` or ``city.yaml``.
        row: line number as a text editor shows it (header = line 1; for Parquet, data row
            index + 2 likewise); None if the problem is not about one row.
        column: the column (or city.yaml key) concerned, if any.
        message: what is wrong and what was expected.
    """

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            noun = "key" if self.file.endswith((".yaml", ".yml")) else "column"
            where.append(f"{noun} '{self.column}'")
        return f"{', '.join(where)}: {self.message}"


class InputDataError(ValueError):
    """The city data break the input contract; ``problems`` lists every problem found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(self.problems)

    def __str__(self) -> str:
        n = len(self.problems)
        head = f"{n} problem{'' if n == 1 else 's'} in the city data:"
        return "\n".join([head, *(f"  {p}" for p in self.problems)])


@dataclass
class CityCheck:
    """What validation saw: the problems and, for the loader, what was read.

    Attributes:
        problems: every problem, in the order found.
        meta: the parsed city.yaml (None if missing or unreadable).
        tables: contract stem -> the file's cells as text ('' when empty) plus the ``LINE``
            of each row, for the files that could be read.
        files: file name -> path of every file read, city.yaml included.
    """

    problems: list[Problem]
    meta: dict | None = None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)


class _Report:
    """Collects problems, listing at most ``cap`` per (file, column, kind) and counting the rest."""

    def __init__(self, cap: int = MAX_REPORTS) -> None:
        self.cap = cap
        self._problems: list[Problem] = []
        self._seen: Counter[tuple] = Counter()
        self._last: dict[tuple, int] = {}

    def add(
        self, file: str, row: int | None, column: str | None, message: str, kind: str = ""
    ) -> None:
        """Add one problem; ``kind`` groups problems for the cap (default: the message itself)."""
        key = (file, column, kind or message)
        self._seen[key] += 1
        if self._seen[key] <= self.cap:
            self._problems.append(Problem(file, row, column, message))
            self._last[key] = len(self._problems)

    def rows(
        self,
        file: str,
        column: str | None,
        kind: str,
        lines: np.ndarray,
        message: Callable[[int], str],
    ) -> None:
        """Add one problem per entry of ``lines``; ``message(k)`` describes the k-th."""
        key = (file, column, kind)
        for k, line in enumerate(lines):
            if self._seen[key] >= self.cap:  # past the cap: count, do not build messages
                self._seen[key] += len(lines) - k
                return
            self.add(file, int(line), column, message(k), kind)

    def problems(self) -> list[Problem]:
        """The listed problems; each capped group is followed by a line saying how many more."""
        more = {
            self._last[key]: (key, n - self.cap) for key, n in self._seen.items() if n > self.cap
        }
        out: list[Problem] = []
        for i, problem in enumerate(self._problems, start=1):
            out.append(problem)
            if i in more:
                (file, column, _), n = more[i]
                what = f"{n} more rows" if problem.row is not None else f"{n} more"
                out.append(Problem(file, None, column, f"... and {what} with the same problem"))
        return out


@dataclass
class _Table:
    """One contract file under check: its cells as text and the values parsed so far."""

    spec: FileSpec
    name: str
    frame: pd.DataFrame
    codes: list[str] | None
    report: _Report
    values: dict[str, pd.Series] = field(default_factory=dict)

    def flag(
        self, column: str | None, kind: str, rows: np.ndarray, message: Callable[[int], str]
    ) -> None:
        """Report rows (a boolean mask or positions); ``message(pos)`` gets the row's position."""
        rows = np.asarray(rows)
        pos = np.flatnonzero(rows) if rows.dtype == bool else np.sort(rows)
        lines = self.frame[LINE].to_numpy()[pos]
        self.report.rows(self.name, column, kind, lines, lambda k: message(int(pos[k])))

    def note(
        self, column: str | None, message: str, kind: str = "", row: int | None = None
    ) -> None:
        """Report a problem that is not about one cell."""
        self.report.add(self.name, row, column, message, kind)

    def valid(self, *columns: str) -> pd.DataFrame | None:
        """Parsed values of the rows whose ``columns`` are all valid (index = row position)."""
        if not all(c in self.values for c in columns):
            return None
        return pd.DataFrame({c: self.values[c] for c in columns}).dropna()

    def line(self, pos: int) -> int:
        return int(self.frame[LINE].iat[pos])


def validate_city(path: str | Path) -> list[Problem]:
    """Check a city folder against the input contract (``forecast.contract``).

    Args:
        path: the city folder: city.yaml plus CSV or Parquet files named as in the contract.

    Returns:
        Every problem found, in the order found; empty if the folder is valid.
    """
    return check_city(path).problems


def check_city(path: str | Path) -> CityCheck:
    """Validate a city folder and keep what was read, so that the loader reads each file once."""
    path = Path(path)
    if not path.is_dir():
        return CityCheck([Problem(str(path), None, None, "city folder not found")])
    report = _Report()
    check = CityCheck([])
    check.meta, codes = _check_city_yaml(path, report)
    if check.meta is not None:
        check.files["city.yaml"] = path / "city.yaml"
    for stem, file in _find_tables(path, report).items():
        frame = _read_table(file, report)
        if frame is not None:
            _check_table(_Table(CONTRACT[stem], file.name, frame, codes, report))
            check.files[file.name] = file
            check.tables[stem] = frame
    check.problems = report.problems()
    return check


def _read_table(file: Path, report: _Report) -> pd.DataFrame | None:
    """Read a CSV or Parquet file as stripped text cells ('' when empty) plus a ``LINE`` column.

    Blank lines are dropped but counted, so ``LINE`` is what a text editor shows (a quoted cell
    spanning several lines would shift it; register exports do not have those). Returns None,
    and reports why, if the file cannot be read as a table.
    """
    try:
        if file.suffix == ".parquet":
            frame = pd.read_parquet(file)
        else:
            frame = pd.read_csv(
                file, dtype=str, keep_default_na=False, encoding="utf-8-sig", skip_blank_lines=False
            )
    except UnicodeDecodeError:
        report.add(file.name, None, None, "cannot read the file: expected UTF-8 text ('CSV UTF-8')")
        return None
    except pd.errors.EmptyDataError:
        report.add(file.name, None, None, "the file is empty: expected a header row and data rows")
        return None
    except (pd.errors.ParserError, OSError, ValueError) as err:
        report.add(file.name, None, None, f"cannot read the file as a table: {err}")
        return None
    frame.columns = [str(c).strip() for c in frame.columns]
    if len(frame.columns) == 1 and any(sep in frame.columns[0] for sep in ";\t"):
        report.add(file.name, 1, None, "the header has one column: expected comma-separated values")
        return None
    for column in frame.columns:
        cells = frame[column]
        if file.suffix == ".parquet":  # typed values: show them as text, missing as empty
            cells = cells.astype(object).where(cells.notna(), "").map(str)
        frame[column] = cells.str.strip().astype(object)
    blank = (frame == "").all(axis=1).to_numpy()
    frame[LINE] = np.arange(len(frame)) + 2
    return frame[~blank].reset_index(drop=True)


def _find_tables(path: Path, report: _Report) -> dict[str, Path]:
    """Contract stem -> file; reports missing required files, duplicates and look-alike names."""
    found: dict[str, list[Path]] = {}
    for file in sorted(p for p in path.iterdir() if p.is_file() and p.name[0] not in ".~"):
        stem, suffix = file.stem, file.suffix.lower()
        if stem in CONTRACT and file.suffix in TABLE_SUFFIXES:
            found.setdefault(stem, []).append(file)
        elif suffix in _LOOKALIKE_SUFFIXES and (guess := _contract_stem_like(stem)) is not None:
            # A misnamed input would otherwise be skipped silently and replaced by a fallback.
            if guess == stem:
                msg = f"{suffix} files are not read: save '{stem}' as CSV (UTF-8) or Parquet"
            else:
                msg = (
                    f"not a contract file name, so it would be ignored: did you mean '{guess}.csv'?"
                )
            report.add(file.name, None, None, msg)
    tables = {}
    for stem, spec in CONTRACT.items():
        files = found.get(stem, [])
        if len(files) > 1:
            names = " and ".join(f.name for f in files)
            report.add(
                files[0].name, None, None, f"both {names} present: expected only one of them"
            )
        elif files:
            tables[stem] = files[0]
        elif spec.required:
            msg = f"required file missing: expected {stem}.csv or {stem}.parquet"
            report.add(f"{stem}.csv", None, None, msg)
    return tables


def _contract_stem_like(stem: str) -> str | None:
    low = stem.lower()
    for known in CONTRACT:
        if low == known or low.startswith((known + "_", known + "-", known + " ")):
            return known
    close = difflib.get_close_matches(low, list(CONTRACT), n=1, cutoff=0.8)
    return close[0] if close else None


def _check_city_yaml(path: Path, report: _Report) -> tuple[dict | None, list[str] | None]:
    """Check city.yaml; return it parsed and its district codes (None where unusable)."""
    name, file = "city.yaml", path / "city.yaml"
    if not file.is_file():
        report.add(
            name, None, None, f"file missing: expected {name} with {', '.join(CITY_YAML_KEYS)}"
        )
        return None, None
    try:
        text = file.read_text(encoding="utf-8-sig")
        meta, node = yaml.safe_load(text), yaml.compose(text)
    except (UnicodeDecodeError, yaml.YAMLError) as err:
        mark = getattr(err, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        report.add(name, row, None, f"cannot parse YAML: {getattr(err, 'problem', None) or err}")
        return None, None
    if not isinstance(meta, dict):
        report.add(
            name, None, None, "expected a mapping of keys (name: ..., ags: ..., districts: ...)"
        )
        return None, None
    for key in CITY_YAML_KEYS:
        if meta.get(key) in (None, "", [], {}):
            report.add(name, None, key, f"required key missing or empty: expected '{key}: ...'")
    ags = meta.get("ags")
    # Unquoted, YAML reads 05315000 as an octal number: the leading zero of the Land is lost.
    if ags not in (None, "") and not (isinstance(ags, str) and len(ags) == 8 and ags.isdigit()):
        report.add(
            name, None, "ags", f'value {ags!r}: expected 8 digits in quotes, e.g. ags: "05315000"'
        )
    if not isinstance(meta.get("sources", []), list):
        report.add(name, None, "sources", "expected a list of sources, each with name and licence")
    excluded = meta.get("exclude_years", [])
    if not isinstance(excluded, list) or not all(isinstance(y, int) for y in excluded):
        report.add(name, None, "exclude_years", "expected a list of years, e.g. [2011, 2012]")
    districts = meta.get("districts")
    if not districts:
        return meta, None
    if not isinstance(districts, list):
        report.add(
            name, None, "districts", "expected a list of entries with code, name, sozialraum"
        )
        return meta, None
    codes: list[str] = []
    for entry, line in zip(districts, _district_lines(node, len(districts)), strict=True):
        if not isinstance(entry, dict):
            report.add(name, line, "districts", "expected an entry with code, name, sozialraum")
            continue
        for key in ("code", "name", "sozialraum"):
            if entry.get(key) in (None, ""):
                report.add(
                    name,
                    line,
                    "districts",
                    f"entry without '{key}': expected code, name, sozialraum",
                )
        if entry.get("code") in (None, ""):
            continue
        code = str(entry["code"]).strip()
        if code == CITY_DISTRICT:
            report.add(name, line, "districts", f"code '{code}' is reserved for whole-city rows")
        elif code in codes:
            report.add(
                name, line, "districts", f"duplicate district code '{code}': expected unique codes"
            )
        codes.append(code)
    return meta, codes


def _district_lines(node: yaml.Node | None, n: int) -> list[int | None]:
    """Line of each entry of ``districts`` in city.yaml, to point at a bad entry."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == "districts" and isinstance(value, yaml.SequenceNode):
                return [item.start_mark.line + 1 for item in value.value]
    return [None] * n


def _check_table(t: _Table) -> None:
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
        years = set(t.values["year"].dropna().astype(int))
        gaps = sorted(set(range(min(years), max(years) + 1)) - years) if years else []
        if gaps:
            listed = ", ".join(map(str, gaps))
            t.note(
                "year",
                f"no rows for {listed}: expected every year from {min(years)} to {max(years)}",
            )
    if "year" not in t.spec.column_names:
        _check_schedule_complete(t)
    rule = _FILE_RULES.get(t.spec.stem)
    if rule is not None:
        rule(t)


def _check_column(t: _Table, col: Column) -> pd.Series:
    """Check every cell of a column; return the parsed values, NaN/None where empty or invalid."""
    text = t.frame[col.name]
    raw = text.to_numpy()
    empty = raw == ""
    expected = _expected(t, col)
    allowed = None
    if not col.nullable:
        t.flag(col.name, "empty", empty, lambda _: f"empty cell: expected {expected}")
    if col.kind in NUMERIC_KINDS:
        whole, lo, hi = _bounds(col)
        num = pd.to_numeric(text.where(~empty, None), errors="coerce").astype(float).to_numpy()
        with np.errstate(invalid="ignore"):  # NaN compares False, which is what we want
            ok = np.isfinite(num)
            if whole:
                ok &= np.floor(num) == num
            if lo is not None:
                ok &= num >= lo
            if hi is not None:
                ok &= num <= hi
        parsed = pd.Series(np.where(ok, num, np.nan), index=text.index)
    else:
        allowed = _allowed(t, col)
        ok = text.isin(allowed).to_numpy() if allowed is not None else ~empty
        parsed = text.where(ok, None)
    t.flag(
        col.name,
        "value",
        ~ok & ~empty,
        lambda i: f"value {_show(raw[i])}: expected {expected}{_hint(raw[i], col, allowed)}",
    )
    return parsed


def _bounds(col: Column) -> tuple[bool, float | None, float | None]:
    whole, lo, hi = NUMERIC_KINDS[col.kind]
    if col.minimum is not None:
        lo = col.minimum if lo is None else max(lo, col.minimum)
    if col.maximum is not None:
        hi = col.maximum if hi is None else min(hi, col.maximum)
    return whole, lo, hi


def _allowed(t: _Table, col: Column) -> tuple[str, ...] | None:
    """The values a text column may take, None if any non-empty text will do."""
    if col.kind in CATEGORY_KINDS:
        return CATEGORY_KINDS[col.kind]
    if col.kind == "district" and t.codes:
        return (*t.codes, CITY_DISTRICT) if t.spec.allow_city_rows else tuple(t.codes)
    if col.kind in ("district", "str"):
        return None
    raise ValueError(f"contract column {col.name!r} has unknown kind {col.kind!r}")


def _expected(t: _Table, col: Column) -> str:
    """What a cell of this column should hold, in words."""
    if col.kind in NUMERIC_KINDS:
        whole, lo, hi = _bounds(col)
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


def _show(raw: str) -> str:
    """A cell as quoted in a message: numbers bare, text in quotes."""
    try:
        float(raw)
        return raw
    except ValueError:
        return repr(raw)


def _hint(raw: str, col: Column, allowed: tuple[str, ...] | None) -> str:
    """A likely fix for a bad cell, if one is obvious."""
    if col.kind in NUMERIC_KINDS:
        return " (use '.' as the decimal point)" if "," in raw else ""
    if not allowed:
        return ""
    guess = next((a for a in allowed if a.lower() in (raw.lower(), "p" + raw.lower())), None)
    close = difflib.get_close_matches(raw, allowed, n=1)
    guess = guess or (close[0] if close else None)
    return f" (did you mean '{guess}'?)" if guess else ""


def _check_keys(t: _Table) -> None:
    """No two rows may share a key; empty cells count as key values."""
    key = list(t.spec.key)
    if not all(k in t.values for k in key):
        return
    canon = {}
    for k in key:
        value, raw = t.values[k], t.frame[k]
        # Valid numbers compare by value ('3' and '3.0' are the same age), anything else as typed.
        canon[k] = value.astype(str).where(value.notna(), raw) if value.dtype == float else raw
    frame = pd.DataFrame(canon)
    dup = frame.duplicated(keep="first").to_numpy()
    if not dup.any():
        return
    first = t.frame[LINE].groupby([frame[k] for k in key], sort=False).transform("first").to_numpy()

    def message(pos: int) -> str:
        cells = ", ".join(f"{k}={_show(t.frame[k].iat[pos])}" for k in key)
        return f"duplicate of row {first[pos]}: key {cells}; expected one row per {', '.join(key)}"

    t.flag(None, "duplicate", dup, message)


def _check_schedule_complete(t: _Table) -> None:
    """A schedule without years (life table, fertility) must cover every sex and age."""
    key = list(t.spec.key)
    cols = {c.name: c for c in t.spec.columns}
    ranges = {}
    for k in key:
        if cols[k].kind == "sex":
            ranges[k] = list(SEXES)
        elif cols[k].kind in ("age", "mother_age"):
            _, lo, hi = _bounds(cols[k])
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


def _check_population(t: _Table) -> None:
    """Every year has every district x sex x age 0..100, and no district is empty in a year."""
    valid = t.valid("year", "district", "sex", "age")
    if valid is None or valid.empty:
        return
    districts = t.codes or sorted(valid["district"].unique())
    ages = np.arange(MAX_AGE + 1, dtype=float)
    per_district = len(SEXES) * len(ages)
    grid = pd.MultiIndex.from_product([sorted(valid["year"].unique()), districts, SEXES, ages])
    missing = grid.difference(pd.MultiIndex.from_frame(valid)).to_frame(index=False)
    missing.columns = ["year", "district", "sex", "age"]
    for (year, district), rows in missing.groupby(["year", "district"], sort=True):
        where = f"year {year:g}, district '{district}'"
        if len(rows) == per_district:
            t.note(
                None,
                f"{where}: no rows; expected one row per sex f, m × age 0..100",
                "grid",
            )
            continue
        examples = ", ".join(
            f"{s}/{a:g}" for s, a in zip(rows["sex"][:5], rows["age"][:5], strict=True)
        )
        more = ", …" if len(rows) > 5 else ""
        msg = (
            f"{where}: {len(rows)} of {per_district} sex×age rows missing (e.g. {examples}{more}); "
        )
        msg += "expected one row per sex f, m × age 0..100"
        t.note(None, msg, "grid")
    counted = t.valid("year", "district", "count")
    if counted is not None:
        totals = counted.groupby(["year", "district"])["count"].sum()
        for (year, district), _ in totals[totals == 0].items():
            t.note(
                "count",
                f"year {year:g}, district '{district}': total population is 0; "
                "expected inhabitants in every district of city.yaml",
                "zero",
            )


def _check_life_table(t: _Table) -> None:
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


def _check_hze(t: _Table) -> None:
    """Cases cannot end that neither ran at the end of the previous year nor began this year."""
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


def _check_social(t: _Table) -> None:
    """Indicators named ``*_rate`` or ``*_share`` are shares between 0 and 1."""
    valid = t.valid("indicator", "value")
    if valid is None:
        return
    share = valid["indicator"].str.endswith(SHARE_SUFFIXES)
    bad = share & ((valid["value"] < 0) | (valid["value"] > 1))
    raw, names = t.frame["value"].to_numpy(), t.frame["indicator"].to_numpy()
    t.flag(
        "value",
        "share",
        bad[bad].index,
        lambda p: (
            f"value {raw[p]} for '{names[p]}': expected a share between 0 and 1 "
            "(the indicator's name ends in _rate or _share)"
        ),
    )


_FILE_RULES: dict[str, Callable[[_Table], None]] = {
    "population": _check_population,
    "life_table": _check_life_table,
    "hze_cases": _check_hze,
    "social": _check_social,
}


def _fmt(v: object) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def _as_tuple(v: object) -> tuple:
    return v if isinstance(v, tuple) else (v,)
