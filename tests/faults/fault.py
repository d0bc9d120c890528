"""One planted fault (``Fault``) and the names the catalogue uses to write faults down briefly."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Fault:
    """One planted fault and the outcome it must have."""

    id: str
    city: str
    plant: Callable[[Path], None]
    expect: str
    file: str
    row: int | None = None
    column: str | None = None


def tiny(id, plant, expect, file, row=None, column=None) -> Fault:
    return Fault(id, "tiny", plant, expect, file, row, column)


def konstanz(id, plant, expect, file, row=None, column=None) -> Fault:
    return Fault(id, "konstanz", plant, expect, file, row, column)


POP, BIR, DEA, MIG = "population.csv", "births.csv", "deaths.csv", "migration.csv"
HZE, KIC, KIP, SOC = "hze_cases.csv", "kita_children.csv", "kita_places.csv", "social.csv"
YML = "city.yaml"
GERMAN = "csv: {sep: ';', decimal: ','}\n"  # what ``plant.german`` appends to city.yaml
