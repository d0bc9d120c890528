"""A city's input data, checked and typed: the one object every model reads its inputs from.

``load_city`` validates the folder (``forecast.validate``) and refuses to return anything if a
single problem was found; otherwise each contract file present becomes a typed DataFrame:

* ``year`` and counts: int64; ``age`` and ``mother_age``: pandas nullable Int64 (empty = all ages);
* rates and other numbers: float64 (NaN where a nullable cell was empty);
* text (district codes, sex, direction, hilfeart, indicator): object columns of ``str``, None where
  a nullable cell was empty (``sex`` empty = both sexes).

Rows keep the file's order except ``population``, which is sorted by year, district, sex, age.
A file holding only its header row (an unfilled template) counts as absent.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

from forecast.contract import CONTRACT, FileSpec
from forecast.problems import Problem
from forecast.validate import InputDataError, check_city, check_table_file, check_table_rows
from forecast.validate_city_keys import csv_dialect
from forecast.validate_table import parse_numbers, text_values

# Kinds stored as whole numbers; with empty cells allowed they become nullable Int64.
_WHOLE_KINDS = {"year", "int", "count", "age", "mother_age"}
_FLOAT_KINDS = {"float", "rate"}
_NULLABLE_INT_KINDS = {"age", "mother_age"}


@dataclass(frozen=True)
class District:
    """A district (Stadtteil, Bezirk) of the city.

    Attributes:
        code: the code used in the data files.
        name: display name.
        sozialraum: the Sozialraum the district belongs to.
    """

    code: str
    name: str
    sozialraum: str


@dataclass(frozen=True)
class CityData:
    """A validated city folder with typed tables.

    Attributes:
        path: the city folder.
        name: city name from city.yaml.
        ags: Amtlicher Gemeindeschlüssel, 8 digits.
        districts: the districts in city.yaml order.
        exclude_years: register years not to use for estimating rates.
        meta: the parsed city.yaml.
        tables: contract stem -> typed frame, only for the files present.
        files: file name -> path of every file read, city.yaml included (for checksums).
        warnings: plausibility warnings the city has not accepted (suspicious, maybe right).
        accepted: warnings the city accepts by name in city.yaml (``accept_warnings``).
    """

    path: Path
    name: str
    ags: str
    districts: tuple[District, ...]
    exclude_years: tuple[int, ...]
    meta: dict
    tables: Mapping[str, pd.DataFrame]
    files: Mapping[str, Path]
    warnings: tuple[Problem, ...] = ()
    accepted: tuple[Problem, ...] = ()

    @property
    def district_codes(self) -> tuple[str, ...]:
        """District codes in city.yaml order."""
        return tuple(d.code for d in self.districts)

    def has(self, stem: str) -> bool:
        """Whether the city folder holds the contract file ``stem`` (with data rows)."""
        return stem in self.tables

    def table(self, stem: str) -> pd.DataFrame:
        """The typed frame of contract file ``stem``.

        Raises:
            KeyError: the file is not in the city folder (check ``has`` first and fall back).
        """
        if stem not in self.tables:
            known = ", ".join(sorted(self.tables)) or "none"
            hint = "" if stem in CONTRACT else f" ('{stem}' is not a contract file)"
            raise KeyError(f"{self.name}: no '{stem}' data in {self.path}{hint}; present: {known}")
        return self.tables[stem]

    def restrict_to(self, last_year: int) -> CityData:
        """A copy holding only years up to ``last_year`` in every table with a ``year`` column.

        Used for backtests: the model sees the data as they were known at ``last_year``.

        Raises:
            ValueError: no population year would remain.
        """
        tables = {}
        for stem, frame in self.tables.items():
            if "year" in frame.columns:
                frame = frame[frame["year"] <= last_year].reset_index(drop=True)
                if frame.empty:
                    if CONTRACT[stem].required:
                        first = int(self.tables[stem]["year"].min())
                        raise ValueError(
                            f"no {stem} data up to {last_year}: the first year is {first}"
                        )
                    continue
            tables[stem] = frame
        return dataclasses.replace(self, tables=MappingProxyType(tables))


def load_city(path: str | Path, tables: tuple[str, ...] | None = None) -> CityData:
    """Validate a city folder and load it as typed tables.

    Args:
        path: the city folder (city.yaml plus contract files as CSV or Parquet).
        tables: the contract files to load (None: all present). Every file is validated
            either way; ``jhplan check-data`` loads only the population (for the readiness
            check) and so stays within the memory of the largest file.

    Returns:
        The city's data, every table typed as described in the module docstring.

    Raises:
        InputDataError: the folder breaks the input contract; lists every problem found.
    """
    check = check_city(path, keep=tables)
    if check.problems:
        raise InputDataError(check.problems)
    meta = check.meta or {}
    tables = {}
    for stem in list(check.tables):  # each text table goes once typed (memory: millions of rows)
        frame = check.tables.pop(stem)
        if not frame.empty:
            tables[stem] = _typed(CONTRACT[stem], frame)
    districts = tuple(
        District(str(d["code"]).strip(), str(d["name"]), str(d["sozialraum"]))
        for d in meta["districts"]
    )
    return CityData(
        path=Path(path),
        name=str(meta["name"]),
        ags=str(meta["ags"]),
        districts=districts,
        exclude_years=tuple(int(y) for y in meta.get("exclude_years") or ()),
        meta=meta,
        tables=MappingProxyType(tables),
        files=MappingProxyType(dict(check.files)),
        warnings=tuple(check.warnings),
        accepted=tuple(check.accepted),
    )


def load_table_file(
    path: str | Path,
    stem: str,
    codes: tuple[str, ...],
    dialect: tuple[str, str] | None = None,
) -> pd.DataFrame:
    """Validate and type one contract file from outside the city folder.

    Args:
        path: CSV or Parquet file, e.g. ``population.assumptions_file``.
        stem: the contract file it follows, e.g. ``assumptions``.
        codes: the city's district codes.
        dialect: the city's CSV declaration (``city_dialect(city)``), which holds for files
            given by path too; None: that of a city.yaml beside the file, else comma and point.

    Raises:
        InputDataError: every problem found, naming the file, row and column.
    """
    problems, frame = check_table_file(path, stem, list(codes), dialect)
    if problems:
        raise InputDataError(problems)
    return _typed(CONTRACT[stem], frame)


def city_dialect(city: CityData) -> tuple[str, str]:
    """(separator, decimal mark) the city declares for its CSV files (city.yaml ``csv``): it holds
    for every CSV file of the city, those given by path (a housing plan, an assumptions file)
    too, so that a German Excel export is read as declared or refused, never half-read."""
    return csv_dialect(city.meta)


def typed_rows(frame: pd.DataFrame, stem: str, name: str, codes: tuple[str, ...]) -> pd.DataFrame:
    """Validate and type rows given as text cells (e.g. from a configuration preset).

    Raises:
        InputDataError: every problem found; ``name`` stands for the file name.
    """
    problems = check_table_rows(frame, stem, name, list(codes))
    if problems:
        raise InputDataError(problems)
    return _typed(CONTRACT[stem], frame)


def _typed(spec: FileSpec, text: pd.DataFrame) -> pd.DataFrame:
    """Turn a validated text frame into typed columns (contract columns only, in contract order)."""
    out = {}
    for col in spec.columns:
        cells = text[col.name]
        if col.kind in _WHOLE_KINDS or col.kind in _FLOAT_KINDS:
            num = pd.Series(
                parse_numbers(cells), copy=False
            )  # validated: NaN only where a cell is empty
            if col.kind in _FLOAT_KINDS:
                out[col.name] = num.astype(np.float64)
            elif col.nullable or col.kind in _NULLABLE_INT_KINDS:
                out[col.name] = num.astype("Int64")
            else:
                out[col.name] = num.astype(np.int64)
        else:
            empty = (cells == "").to_numpy()
            out[col.name] = pd.Series(
                np.where(empty, None, text_values(cells)), dtype=object, copy=False
            )
    frame = pd.DataFrame(out, copy=False)
    if spec.stem == "population":
        frame = frame.take(_sort_order(frame, text, ["year", "district", "sex", "age"]))
    return frame.reset_index(drop=True)


def _sort_order(frame: pd.DataFrame, text: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """Row order sorting ``frame`` by ``keys`` (stable): text keys by their categories' codes,
    which are in sorted order, so that no string is compared (millions of rows)."""
    columns = []
    for key in keys:
        cells = text[key]
        if frame[key].dtype == object and isinstance(cells.dtype, pd.CategoricalDtype):
            if cells.cat.categories.is_monotonic_increasing:
                columns.append(cells.cat.codes.to_numpy())
                continue
            return frame.sort_values(keys, kind="stable").index.to_numpy()
        columns.append(frame[key].to_numpy(dtype=float, na_value=np.nan))
    return np.lexsort(columns[::-1])
