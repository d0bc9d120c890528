"""Plant a fault in a copy of a city, run ``jhplan check-data`` on it and sort out what it said.

``check`` calls the command's own function (``simulation.cli.check_data``) in-process: the same
code as ``jhplan check-data DIR`` without a Python start-up per case. It captures what the command
prints, any exception that escaped it (a traceback for the user), and every file under the
folder's parent before and after (check-data must write nothing anywhere).
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import traceback
from dataclasses import dataclass
from pathlib import Path

from tests.faults.fault import Fault

ROOT = Path(__file__).resolve().parents[2]
CITIES = {"tiny": ROOT / "tests" / "data" / "tinycity", "konstanz": ROOT / "data" / "konstanz"}


@dataclass
class Outcome:
    """What check-data did with one planted fault."""

    exit: int | None
    errors: list[str]
    warnings: list[str]
    traceback: str
    written: list[str]

    @property
    def kind(self) -> str:
        """'traceback', 'error', 'warning' or 'silent' (exit 0, nothing said)."""
        if self.traceback:
            return "traceback"
        if self.exit != 0 or self.errors:
            return "error"
        return "warning" if self.warnings else "silent"


def tree(root: Path) -> dict[str, tuple[int, int]]:
    """Every entry under ``root`` (links not followed) -> (size, mtime in ns)."""
    out = {}
    for folder, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            path = Path(folder) / name
            st = path.lstat()
            out[str(path.relative_to(root))] = (st.st_size, st.st_mtime_ns)
    return out


def plant(fault: Fault, where: Path) -> Path:
    """A copy of the fault's city under ``where`` with the fault planted; returns the folder."""
    city = where / "city"
    shutil.copytree(CITIES[fault.city], city, ignore=shutil.ignore_patterns("*.md"))
    fault.plant(city)
    return city


def check(city: Path) -> Outcome:
    """Run check-data on ``city`` in-process."""
    from simulation.cli import check_data

    before = tree(city.parent)
    out, tb, code = io.StringIO(), "", None
    try:
        with contextlib.redirect_stdout(out):
            code = check_data([str(city)])
    except BaseException:  # anything that escapes is what a user would see as a traceback
        tb = traceback.format_exc()
    after = tree(city.parent)
    written = sorted(k for k in after if before.get(k) != after[k])
    lines = [line.strip() for line in out.getvalue().splitlines()[1:]]
    warnings = [line.removeprefix("warning: ") for line in lines if line.startswith("warning: ")]
    errors = [line for line in lines if line and not line.startswith("warning: ")]
    return Outcome(code, errors, warnings, tb, written)


def names_place(line: str, fault: Fault) -> bool:
    """Whether a message names the fault's file and, where given, its row and column."""
    if not line.startswith(fault.file):
        return False
    if fault.row is not None and f"row {fault.row}" not in line:
        return False
    if fault.column is not None:
        noun = "key" if fault.file.endswith(".yaml") else "column"
        return f"{noun} '{fault.column}'" in line
    return True


def verdict(fault: Fault, outcome: Outcome) -> str:
    """'caught', 'warned', 'read' (a variant read correctly) or what went wrong."""
    if outcome.kind == "traceback":
        return "traceback"
    if outcome.written:
        return f"wrote {outcome.written}"
    if fault.expect == "ok":
        ok = outcome.exit == 0 and not outcome.errors and not outcome.warnings
        return "read" if ok else f"not read: {outcome.errors or outcome.warnings}"
    if fault.expect == "error":
        if outcome.exit != 1:
            return "silent" if outcome.kind == "silent" else f"only warned: {outcome.warnings}"
        hit = any(names_place(line, fault) for line in outcome.errors)
        return "caught" if hit else f"caught elsewhere: {outcome.errors[:3]}"
    name = fault.expect.removeprefix("warning:")
    if outcome.exit != 0:
        return f"error instead of warning: {outcome.errors[:3]}"
    tag = f"accept_warnings: [{name}]"
    hit = [w for w in outcome.warnings if tag in w and names_place(w, fault)]
    return "warned" if hit else ("silent" if outcome.kind == "silent" else "wrong warning")
