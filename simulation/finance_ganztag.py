"""The ``Ganztag`` sheet of ``finance.xlsx``: cost of all-day care in primary schools.

Per school year (1 August to 31 July; the Haushalt books it to two budget years, 5/12 and 7/12)
the city's running cost and investment, nominal, P10/P50/P90 over the population draws, and the
median split into federal, Land and municipal parts by the run's funding shares
(``ganztag.funding``); places to build and staff needed beside them. The shares are constants, so
the quantiles of a part are the part of the quantiles.
"""

from __future__ import annotations

import numpy as np
from openpyxl import Workbook
from openpyxl.styles import Font

from forecast.contract import CITY_DISTRICT
from simulation.config_report import ReportConfig
from simulation.finance_sheets import QS, column_widths, header_row
from simulation.report_data import RunData

PARTS = (("federal", "Bund"), ("land", "Land"), ("municipal", "Kommune"))


def ganztag_sheet(wb: Workbook, data: RunData, cfg: ReportConfig) -> None:
    """Add the sheet when the run has Ganztag results."""
    if "ganztag" not in data.models:
        return
    running = data.bands("Ganztag|Cost|Running", CITY_DISTRICT, "ganztag")
    if running.empty:
        return
    invest = data.bands("Ganztag|Cost|Investment", CITY_DISTRICT, "ganztag")
    new = data.bands("Ganztag|New places", CITY_DISTRICT, "ganztag")
    staff = data.bands("Ganztag|Staff", CITY_DISTRICT, "ganztag")
    funding = data.manifest.get("ganztag", {}).get("funding", {})
    ws = wb.create_sheet("Ganztag")
    ws.cell(
        row=1,
        column=1,
        value="Ganztag an Grundschulen: Kosten der Stadt je Schuljahr, Euro nominal",
    ).font = Font(bold=True, size=12)
    header = ["Schuljahr"] + [f"Betrieb {q}" for q in QS] + [f"Investition {q}" for q in QS]
    header += [f"Betrieb {de} (Median)" for _, de in PARTS]
    header += [f"Investition {de} (Median)" for _, de in PARTS]
    header += ["Neue Plätze (Median)", "Vollzeitkräfte (Median)"]
    header_row(ws, 3, header)
    for i, year in enumerate(running.index, start=4):
        ws.cell(row=i, column=1, value=f"{int(year)}/{(int(year) + 1) % 100:02d}")
        values = [float(running.loc[year, q]) for q in QS]
        values += [_get(invest, year, q) for q in QS]
        for kind, p50 in (("running", values[1]), ("investment", values[4])):
            federal = float(funding.get(f"{kind}_federal", 0.0))
            land = float(funding.get(f"{kind}_land", 0.0))
            values += [p50 * s for s in (federal, land, 1.0 - federal - land)]
        for j, v in enumerate(values, start=2):
            if np.isfinite(v):
                ws.cell(row=i, column=j, value=v).number_format = cfg.formats.eur
        for j, frame in ((len(values) + 2, new), (len(values) + 3, staff)):
            v = _get(frame, year, "P50")
            if np.isfinite(v):
                ws.cell(row=i, column=j, value=v).number_format = cfg.formats.cases
    last = 4 + len(running.index)
    lines = [
        "Schuljahr 2026/27 = 1. August 2026 bis 31. Juli 2027; der Haushalt verbucht ein "
        "Schuljahr zu 5/12 im ersten und 7/12 im zweiten Kalenderjahr.",
        "Betrieb: Kosten aller genutzten Plätze (vorhandene Plätze in ihrer Angebotsform, fehlende "
        "als neue Plätze); Investition: Plätze, die über die Lücke des Basisjahres hinaus fehlen.",
        "Anteile von Bund, Land und Kommune nach den Finanzierungsannahmen des Laufs (Annahmen).",
    ]
    if invest.empty:
        lines.append("Ohne Platzdaten der Stadt: keine Lücke und keine Investitionen berechnet.")
    for k, text in enumerate(lines):
        ws.cell(row=last + 1 + k, column=1, value=text)
    ws.freeze_panes = "B4"
    column_widths(ws, 12, 16)


def _get(frame, year, column: str) -> float:
    if frame.empty or year not in frame.index:
        return float("nan")
    return float(frame.loc[year, column])
