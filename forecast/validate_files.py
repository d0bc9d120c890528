"""The files of a city folder: which contract file each is, which are misnamed, and what a run
reads (city.yaml and the contract files), with the CSV dialect city.yaml declares.

A file whose name is no contract file's would be skipped and replaced by a fallback without a
word: a look-alike (``geburten.csv``, ``births.xlsx``) is an error with a "did you mean" hint, any
other table file a warning.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from forecast.contract import CONTRACT
from forecast.problems import UNKNOWN_FILE, WARNING, ProblemReport, accept_hint
from forecast.validate_city_keys import csv_dialect
from forecast.validate_names import contract_stem_like

TABLE_SUFFIXES = (".csv", ".parquet")
_LOOKALIKE_SUFFIXES = (*TABLE_SUFFIXES, ".xlsx", ".xls", ".ods", ".tsv", ".txt", ".pq")


def folder_dialect(path: Path) -> tuple[str, str]:
    """The CSV dialect city.yaml in ``path`` declares; comma and point without a valid one."""
    try:
        meta = yaml.safe_load((path / "city.yaml").read_text(encoding="utf-8-sig"))
    except (OSError, ValueError, yaml.YAMLError):
        meta = None
    return csv_dialect(meta if isinstance(meta, dict) else None)


def input_files(path: str | Path) -> dict[str, Path]:
    """File name -> path of every file a run reads from a city folder: city.yaml and the
    contract files present (what ``check_city`` would read; for a sweep job's identity)."""
    path = Path(path)
    if not path.is_dir():
        return {}
    files = {"city.yaml": path / "city.yaml"} if (path / "city.yaml").is_file() else {}
    files.update({f.name: f for f in find_tables(path, ProblemReport()).values()})
    return files


def find_tables(path: Path, report: ProblemReport) -> dict[str, Path]:
    """Contract stem -> file; reports missing required files, duplicates and look-alike names."""
    found: dict[str, list[Path]] = {}
    for file in sorted(p for p in path.iterdir() if p.is_file() and p.name[0] not in ".~"):
        stem, suffix = file.stem, file.suffix.lower()
        if stem in CONTRACT and suffix in TABLE_SUFFIXES:
            found.setdefault(stem, []).append(file)
        elif suffix in _LOOKALIKE_SUFFIXES and (guess := contract_stem_like(stem)) is not None:
            # A misnamed input would otherwise be skipped silently and replaced by a fallback.
            if guess == stem:
                msg = f"{suffix} files are not read: save '{stem}' as CSV (UTF-8) or Parquet"
            else:
                msg = (
                    f"not a contract file name, so it would be ignored: did you mean '{guess}.csv'?"
                )
            report.add(file.name, None, None, msg)
        elif suffix in _LOOKALIKE_SUFFIXES:
            msg = (
                "unknown file, not read: the contract's files are "
                f"{', '.join(CONTRACT)} (.csv or .parquet); rename it if it is one of them"
            )
            report.add(
                file.name, None, None, msg + accept_hint(UNKNOWN_FILE), UNKNOWN_FILE, WARNING
            )
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
