"""Ways to plant a fault in a copy of a city folder, as a planner's export or a typo would.

Each function returns a planter: a callable that changes a city folder in place. Cells are edited
as text (the ``csv`` module), so a planted value reaches the reader exactly as written; rows are
counted as the data rows of the file (0 = the first row under the header = line 2).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable
from pathlib import Path

Planter = Callable[[Path], None]


def _rows(file: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(file.read_text(encoding="utf-8"))))


def _write(file: Path, rows: list[list[str]], encoding: str = "utf-8") -> None:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    file.write_text(out.getvalue(), encoding=encoding)


def cell(name: str, row: int, column: str, value: str) -> Planter:
    """Set one cell (data row ``row``, 0-based) to ``value``."""

    def plant(city: Path) -> None:
        rows = _rows(city / name)
        rows[row + 1][rows[0].index(column)] = value
        _write(city / name, rows)

    return plant


def cells(name: str, column: str, change: Callable[[str], str]) -> Planter:
    """Change every cell of a column."""

    def plant(city: Path) -> None:
        rows = _rows(city / name)
        i = rows[0].index(column)
        for r in rows[1:]:
            r[i] = change(r[i])
        _write(city / name, rows)

    return plant


def where(name: str, match: dict[str, str], column: str, value: str) -> Planter:
    """Set ``column`` to ``value`` in the first data row whose cells equal ``match``."""

    def plant(city: Path) -> None:
        rows = _rows(city / name)
        head = rows[0]
        for r in rows[1:]:
            if all(r[head.index(k)] == v for k, v in match.items()):
                r[head.index(column)] = value
                break
        else:
            raise AssertionError(f"{name}: no row with {match}")
        _write(city / name, rows)

    return plant


def keep_rows(name: str, keep: Callable[[dict[str, str]], bool]) -> Planter:
    """Keep only the data rows for which ``keep(row as dict)`` holds."""

    def plant(city: Path) -> None:
        rows = _rows(city / name)
        head = rows[0]
        _write(city / name, [head, *(r for r in rows[1:] if keep(dict(zip(head, r, strict=True))))])

    return plant


def duplicate_row(name: str, row: int) -> Planter:
    """Append a copy of data row ``row`` at the end of the file."""

    def plant(city: Path) -> None:
        rows = _rows(city / name)
        _write(city / name, [*rows, rows[row + 1]])

    return plant


def drop_column(name: str, column: str) -> Planter:
    def plant(city: Path) -> None:
        rows = _rows(city / name)
        i = rows[0].index(column)
        _write(city / name, [r[:i] + r[i + 1 :] for r in rows])

    return plant


def rename_column(name: str, old: str, new: str) -> Planter:
    def plant(city: Path) -> None:
        rows = _rows(city / name)
        rows[0][rows[0].index(old)] = new
        _write(city / name, rows)

    return plant


def add_column(name: str, column: str, value: str) -> Planter:
    def plant(city: Path) -> None:
        rows = _rows(city / name)
        _write(city / name, [rows[0] + [column], *(r + [value] for r in rows[1:])])

    return plant


def reverse_columns(name: str) -> Planter:
    def plant(city: Path) -> None:
        _write(city / name, [r[::-1] for r in _rows(city / name)])

    return plant


def header_only(name: str) -> Planter:
    def plant(city: Path) -> None:
        _write(city / name, _rows(city / name)[:1])

    return plant


def empty_file(name: str) -> Planter:
    def plant(city: Path) -> None:
        (city / name).write_bytes(b"")

    return plant


def text(name: str, old: str, new: str, count: int = 1) -> Planter:
    """Replace text in a file (city.yaml, or a CSV as raw text)."""

    def plant(city: Path) -> None:
        content = (city / name).read_text(encoding="utf-8")
        assert old in content, f"{name}: {old!r} not found"
        (city / name).write_text(content.replace(old, new, count), encoding="utf-8")

    return plant


def append(name: str, extra: str) -> Planter:
    def plant(city: Path) -> None:
        with open(city / name, "a", encoding="utf-8") as out:
            out.write(extra)

    return plant


def raw(name: str, change: Callable[[bytes], bytes]) -> Planter:
    """Change a file's bytes (BOM, line ends, encodings)."""

    def plant(city: Path) -> None:
        (city / name).write_bytes(change((city / name).read_bytes()))

    return plant


def separators(name: str, sep: str, decimal: str = ".") -> Planter:
    """Rewrite a CSV with another separator and decimal mark (a German Excel export)."""

    def plant(city: Path) -> None:
        rows = _rows(city / name)
        rows = [[c.replace(".", decimal) for c in r] for r in rows]
        (city / name).write_text("\n".join(sep.join(r) for r in rows) + "\n", encoding="utf-8")

    return plant


def german(city: Path) -> None:
    """Every CSV file as a German Excel writes it (';' and decimal comma), declared in city.yaml."""
    for file in sorted(city.glob("*.csv")):
        separators(file.name, ";", ",")(city)
    append("city.yaml", "csv: {sep: ';', decimal: ','}\n")(city)


def rename(old: str, new: str) -> Planter:
    def plant(city: Path) -> None:
        (city / old).rename(city / new)

    return plant


def remove(name: str) -> Planter:
    def plant(city: Path) -> None:
        (city / name).unlink()

    return plant


def write(name: str, content: str | bytes) -> Planter:
    def plant(city: Path) -> None:
        data = content.encode("utf-8") if isinstance(content, str) else content
        (city / name).write_bytes(data)

    return plant


def symlink(name: str, target: str) -> Planter:
    """A symbolic link ``name`` -> ``target`` (relative to the city folder; may not exist)."""

    def plant(city: Path) -> None:
        if (city / name).exists():
            (city / name).unlink()
        os.symlink(target, city / name)

    return plant


def folder(name: str) -> Planter:
    """Replace a file by a folder of the same name."""

    def plant(city: Path) -> None:
        if (city / name).exists():
            (city / name).unlink()
        (city / name).mkdir()

    return plant


def to_parquet(name: str, change: Callable | None = None) -> Planter:
    """Replace ``X.csv`` by ``X.parquet`` with typed columns (``change(frame)`` may alter it)."""

    def plant(city: Path) -> None:
        import pandas as pd

        frame = pd.read_csv(city / name, keep_default_na=False, dtype=str)
        for column in frame.columns:
            number = pd.to_numeric(frame[column], errors="coerce")
            if number.notna().all():
                frame[column] = number
        if change is not None:
            frame = change(frame)
        frame.to_parquet(city / (Path(name).stem + ".parquet"), index=False)
        (city / name).unlink()

    return plant


def both(*planters: Planter) -> Planter:
    def plant(city: Path) -> None:
        for p in planters:
            p(city)

    return plant
