"""Read a contract file as text cells, in the CSV dialect the city declares, and find the unreadable.

Cells are read as text so that a problem quotes what the cell held. CSV files use a comma and a
decimal point unless city.yaml declares otherwise (``csv: {sep: ';', decimal: ','}``, what a German
Excel writes as 'CSV (Trennzeichen-getrennt)'). With a decimal comma declared, the number cells are
rewritten to the decimal point here (``0,16`` -> ``0.16``, ``75.000`` -> ``75000``: the point
only groups thousands), so every later check and the loader see one notation; a cell that mixes
the notations (``0.16`` in a file declared with a decimal comma) is an error, never half-read.
A file written in another dialect than declared is refused with a message saying how to fix it.
"""

from __future__ import annotations

import codecs
import mmap
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from forecast.contract import FileSpec
from forecast.problems import ProblemReport
from forecast.validate_city_keys import CSV_SEPARATORS, GERMAN_CSV_HINT
from forecast.validate_table import LINE, NUMERIC_KINDS, categorical, map_categories, per_cell

LONE_CR = re.compile(rb"\r(?!\n)")
"""A carriage return that does not end a Windows line (old Mac line ends): pandas' reader."""
GERMAN_NUMBER = r"[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?"
"""A number as a German Excel writes it: decimal comma, points grouping thousands (75.000,5)."""


def read_table(
    file: Path,
    report: ProblemReport,
    spec: FileSpec | None = None,
    dialect: tuple[str, str] = (",", "."),
) -> pd.DataFrame | None:
    """Read a CSV or Parquet file as stripped text cells ('' when empty) plus a ``LINE`` column.

    Args:
        file: the file.
        report: where problems go.
        spec: the contract file it follows (needed to rewrite numbers in a decimal-comma file).
        dialect: (separator, decimal mark) of CSV files (``validate_city_keys.csv_dialect``).

    Blank lines are dropped but counted, so ``LINE`` is what a text editor shows (a quoted cell
    spanning several lines would shift it; register exports do not have those). Returns None,
    and reports why, if the file cannot be read as a table.
    """
    sep, decimal = dialect
    trimmed = False  # cells already stripped of surrounding blanks
    try:
        if file.suffix.lower() == ".parquet":
            frame = pd.read_parquet(file)
        else:
            frame = _read_csv_fast(file, sep)
            trimmed = frame is not None
        if frame is None:
            frame = pd.read_csv(
                file,
                sep=sep,
                dtype=str,
                keep_default_na=False,
                encoding="utf-8-sig",
                skip_blank_lines=False,
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
    if file.suffix.lower() != ".parquet" and (twice := _repeated_columns(file, sep)):
        report.add(
            file.name,
            1,
            twice[0],
            f"column '{twice[0]}' appears {twice[1]} times in the header: expected each column "
            "once (which one holds the data?)",
        )
        return None
    frame.columns = [str(c).strip() for c in frame.columns]
    if file.suffix.lower() != ".parquet" and len(frame.columns) == 1:
        other = next((s for s in CSV_SEPARATORS if s != sep and s in frame.columns[0]), None)
        if other is not None:
            report.add(file.name, 1, None, _dialect_message(sep, other))
            return None
    for column in frame.columns:
        if file.suffix.lower() == ".parquet":  # typed values: show them as text, missing as empty
            frame[column] = _parquet_text(frame[column])
        elif not trimmed:
            frame[column] = frame[column].str.strip().astype("category")
    blank = np.ones(len(frame), dtype=bool)
    for column in frame.columns:  # each column's empty cells, found on its distinct cells
        empty = per_cell(frame[column], lambda text: (text == "").to_numpy())
        if not empty.any():
            blank = np.zeros(len(frame), dtype=bool)  # a column without empty cells: no blank row
            break
        blank &= empty
    frame[LINE] = np.arange(
        2, len(frame) + 2, dtype=np.int32 if len(frame) < 2**31 - 2 else np.int64
    )
    if blank.any():  # a copy of every column: only when there is something to drop
        frame = frame[~blank].reset_index(drop=True)
    if decimal == "," and spec is not None and file.suffix.lower() != ".parquet":
        _decimal_comma(frame, spec, file.name, report)
    return frame


def _read_csv_fast(file: Path, sep: str) -> pd.DataFrame | None:
    """Read a plain CSV file with pyarrow's multi-threaded reader (every cell as text).

    Plain: no quotes, no empty lines, one kind of line end, unique header names, the same number
    of cells in every row. Anything else returns None and goes to pandas' reader, whose messages
    and line count the checks rely on (pyarrow drops empty lines, which would shift ``LINE``).
    """
    with open(file, "rb") as handle:
        try:
            data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError:  # an empty file cannot be mapped
            return None
    with data:
        start = len(codecs.BOM_UTF8) if data[:3] == codecs.BOM_UTF8 else 0
        crlf = data.find(b"\r", start) >= 0  # one-byte searches are memchr: cheap
        if (
            len(data) <= start
            or data.find(b'"', start) >= 0
            or data[start : start + 1] in (b"\n", b"\r")
            or data.find(b"\n\n", start) >= 0
            or (crlf and (data.find(b"\n\r\n", start) >= 0 or LONE_CR.search(data) is not None))
        ):
            return None
        end = data.find(b"\n", start)
        header = data[start : end if end >= 0 else len(data)]
    try:
        names = header.rstrip(b"\r").decode("utf-8").split(sep)
    except UnicodeDecodeError:
        return None
    if len(set(names)) != len(names):
        return None
    convert = pacsv.ConvertOptions(  # as categories: few distinct cells over millions of rows
        column_types={name: pa.dictionary(pa.int32(), pa.string()) for name in names},
        null_values=[],
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    try:
        table = pacsv.read_csv(
            file,
            # One thread: on a machine whose cores are busy, arrow's threads cost CPU time
            # without saving wall time (measured: 1.6 against 2.6 CPU s for a 121 MB file).
            read_options=pacsv.ReadOptions(use_threads=False, block_size=16 << 20),
            parse_options=pacsv.ParseOptions(delimiter=sep),
            convert_options=convert,
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    table = table.unify_dictionaries()  # one dictionary per column for all blocks
    columns = {}
    for name in table.column_names:
        chunks = table.column(name).chunks
        table = table.drop_columns([name])  # each column's arrow buffers go once converted
        words = chunks[0].dictionary.to_numpy(zero_copy_only=False) if chunks else []
        words = pd.Series(words, dtype="str").str.strip().to_numpy()
        columns[name] = categorical(
            [c.indices.to_numpy(zero_copy_only=False) for c in chunks], words
        )
        del chunks
    del table
    pa.default_memory_pool().release_unused()  # arrow keeps freed blocks for itself otherwise
    return pd.DataFrame(columns, copy=False)


def _parquet_text(cells: pd.Series) -> pd.Series:
    """Typed Parquet values as categorical text cells (``str`` of each value, '' when missing)."""
    codes, uniques = pd.factorize(cells, use_na_sentinel=True)
    text = np.array([str(u).strip() for u in uniques] + [""], dtype=object)
    return categorical(np.where(codes >= 0, codes, len(uniques)), text)


def _repeated_columns(file: Path, sep: str) -> tuple[str, int] | None:
    """(name, count) of a column named more than once in a CSV header (pandas would rename the
    second ``count.1`` and leave it unread)."""
    with open(file, encoding="utf-8-sig", errors="replace") as handle:
        names = [n.strip().strip('"') for n in handle.readline().rstrip("\r\n").split(sep)]
    repeated = [(n, names.count(n)) for n in dict.fromkeys(names) if n and names.count(n) > 1]
    return repeated[0] if repeated else None


def _dialect_message(sep: str, found: str) -> str:
    """Why a file whose header is one column holding another separator cannot be read."""
    names = CSV_SEPARATORS
    head = f"the header has one column holding {found!r} ({names[found]}): the file is "
    head += f"{names[found]}-separated, but {names[sep]}s are expected"
    if found == ";":
        return (
            f"{head}. A German Excel 'CSV (Trennzeichen-getrennt)' export: declare it for all "
            f"CSV files in city.yaml with {GERMAN_CSV_HINT} (it holds for files given by path, "
            "e.g. a housing plan or an assumptions file, too), or save as 'CSV UTF-8 "
            "(durch Trennzeichen getrennt)' with commas between cells and decimal points"
        )
    return f"{head} (city.yaml's csv: sep); save all CSV files with the same separator"


def _decimal_comma(frame: pd.DataFrame, spec: FileSpec, name: str, report: ProblemReport) -> None:
    """Rewrite the number cells of a file declared with a decimal comma to the decimal point."""
    for col in spec.columns:
        if col.kind not in NUMERIC_KINDS or col.name not in frame.columns:
            continue
        cells = frame[col.name]
        german = per_cell(cells, lambda text: text.str.fullmatch(GERMAN_NUMBER).to_numpy())
        # A decimal point where a comma is declared: 0.16 would be read as 16 or as 0.16 by
        # chance of its digits; neither is safe, so it is an error.
        mixed = ~german & per_cell(cells, lambda text: text.str.contains(".", regex=False))
        report.rows(
            name,
            col.name,
            "decimal",
            frame[LINE].to_numpy(),
            lambda i, cells=cells: (
                f"value {cells.iat[i]!r}: expected a number with a decimal comma, as "
                f"city.yaml declares ({GERMAN_CSV_HINT}), e.g. 0,16 or 75.000 (the point only "
                "groups thousands)"
            ),
            where=mixed,
        )

        def plain(text: pd.Series) -> pd.Series:
            rewritten = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
            return text.where(~text.str.fullmatch(GERMAN_NUMBER), rewritten)

        frame[col.name] = map_categories(cells, plain)


def unreadable_entries(path: Path, report: ProblemReport) -> None:
    """Report entries of a city folder that cannot be read: broken or looping symbolic links,
    folders named like table files, files without read permission. Skipping them would replace
    the data by fallbacks without a word."""
    for entry in sorted(path.iterdir()):
        if entry.name[0] in ".~":
            continue
        if entry.is_symlink() and not entry.exists():
            try:
                target = f"points to {os.readlink(entry)}"
            except OSError:
                target = "target unknown"
            report.add(
                entry.name,
                None,
                None,
                f"cannot read the file: broken or looping symbolic link ({target}); "
                "expected a file or a link to one",
            )
        elif entry.is_dir() and entry.suffix.lower() in (".csv", ".parquet", ".yaml"):
            report.add(entry.name, None, None, "a folder named like a data file: expected a file")
        elif entry.is_file() and not os.access(entry, os.R_OK):
            report.add(entry.name, None, None, "cannot read the file: no read permission")
