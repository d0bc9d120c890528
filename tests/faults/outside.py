"""Faults in the CSV files a run reads from outside the city folder: the housing plan
(``city.housing_plan``) and the assumptions file (``population.assumptions_file``).

City.yaml's declaration ``csv: {sep: ';', decimal: ','}`` holds for these files too: a German
Excel export is read exactly as its comma-and-point twin when the city declares it, and refused
with a message saying how to declare or export it when not; a number written in the other
notation is an error, never half-read. Each case runs the functions a run calls
(``simulation.housing_plan.add_housing_plan``, ``simulation.config_assumptions.assumption_paths``)
on a copy of the tiny city.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from forecast.citydata import load_city
from forecast.problems import InputDataError
from tests.faults.harness import CITIES
from tests.faults.plant import german as plant_german

PLAN = "year,district,dwellings\n2024,a,1200\n2025,b,300\n"
ASSUMPTIONS = "year,district,sex,quantity,value\n2030,_city,,tfr,1.45\n2030,_city,,e0,83.5\n"
HINT = "csv: {sep: ';', decimal: ','}"


def german(text: str) -> str:
    """``text`` as a German Excel writes it: semicolons, decimal comma, thousands point."""
    out = []
    for line in text.splitlines():
        cells = [c.replace(".", ",") for c in line.split(",")]
        out.append(";".join("1.200" if c == "1200" else c for c in cells))
    return "\n".join(out) + "\n"


@dataclass(frozen=True)
class OutsideFault:
    """A file given by path, the city's declaration, and the outcome it must have.

    ``expect``: ``ok`` (read exactly as ``twin``, the same file with commas and points) or
    ``error`` (refused, naming the file and, where given, the row and column; ``says`` in the
    message).
    """

    id: str
    kind: str  # housing_plan or assumptions_file
    declared: bool  # city.yaml declares the German dialect
    text: str
    expect: str
    twin: str = ""
    row: int | None = None
    column: str | None = None
    says: str = ""

    @property
    def file(self) -> str:
        return "neubau.csv" if self.kind == "housing_plan" else "annahmen.csv"


OUTSIDE = [
    OutsideFault("plan-german-declared", "housing_plan", True, german(PLAN), "ok", PLAN),
    OutsideFault(
        "plan-comma-declared-german", "housing_plan", True, PLAN, "error", row=1,
        says="semicolons are expected (city.yaml's csv: sep)",
    ),
    OutsideFault("plan-german-undeclared", "housing_plan", False, german(PLAN), "error", row=1, says=HINT),
    OutsideFault(
        "plan-thousands-point", "housing_plan", False, PLAN.replace("1200", "1.200"), "error",
        row=2, column="dwellings", says="German thousands point",
    ),
    OutsideFault(
        "plan-point-in-german", "housing_plan", True, german(PLAN).replace("300", "300.5"),
        "error", row=3, column="dwellings", says="decimal comma",
    ),
    OutsideFault(
        "assumptions-german-declared", "assumptions_file", True, german(ASSUMPTIONS), "ok",
        ASSUMPTIONS,
    ),
    OutsideFault(
        "assumptions-german-undeclared", "assumptions_file", False, german(ASSUMPTIONS), "error",
        row=1, says=HINT,
    ),
    OutsideFault(
        "assumptions-decimal-comma", "assumptions_file", False,
        ASSUMPTIONS.replace("1.45", '"1,45"'), "error", row=2, column="value",
        says="declare a decimal comma",
    ),
    OutsideFault(
        "assumptions-point-in-german", "assumptions_file", True,
        german(ASSUMPTIONS).replace("83,5", "83.5"), "error", row=3, column="value",
        says="decimal comma",
    ),
]  # fmt: skip
"""The planted cases (README "Fault injection")."""


def read_outside(kind: str, declared: bool, text: str, where: Path) -> pd.DataFrame:
    """What a run reads from a file given by path, written with ``text``, on a copy of the tiny
    city (its city.yaml declaring the German dialect if ``declared``).

    Raises:
        InputDataError: the file was refused.
    """
    from simulation.config_assumptions import AssumptionsConfig, assumption_paths
    from simulation.housing_plan import add_housing_plan

    city_dir = where / "city"
    shutil.copytree(CITIES["tiny"], city_dir, ignore=shutil.ignore_patterns("*.md"))
    if declared:  # the city's own files as a German Excel writes them, declared in city.yaml
        plant_german(city_dir)
    file = where / ("neubau.csv" if kind == "housing_plan" else "annahmen.csv")
    file.write_text(text, encoding="utf-8")
    city = load_city(city_dir)
    if kind == "housing_plan":
        return add_housing_plan(city, file).table("housing")
    return assumption_paths(AssumptionsConfig(), str(file), city).table


def outside_verdict(fault: OutsideFault, where: Path) -> str:
    """'read' or 'caught' when the fault has its outcome, else what went wrong."""
    try:
        got = read_outside(fault.kind, fault.declared, fault.text, where / "planted")
    except InputDataError as err:
        if fault.expect != "error":
            return f"refused: {err}"
        lines = [str(p) for p in err.problems]
        for line in lines:
            if (
                fault.file in line.split(":")[0]
                and (fault.row is None or f"row {fault.row}" in line)
                and (fault.column is None or f"column '{fault.column}'" in line)
                and fault.says in line
            ):
                return "caught"
        return f"caught elsewhere: {lines[:2]}"
    if fault.expect == "error":
        return "silent"
    twin = read_outside(fault.kind, False, fault.twin, where / "twin")
    return "read" if got.equals(twin) else "read differently"
