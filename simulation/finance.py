"""``finance.xlsx``: projected HzE cost ranges for the Kämmerei (openpyxl).

Sheets:

* **Hinweise**: what the numbers are (nominal EUR per budget year, P10/P50/P90), the run.
* **Kosten <Szenario>** (one per scenario): rows Hilfeart and Insgesamt, per budget year the three
  columns P10, P50, P90. Insgesamt is the distribution of the total, not the sum of the medians.
* **Kosten (Liste)**: the same as one long table with a filter (for pivot tables).
* **Systemmodell**: the ABM's city cost per budget year and service model (when it ran).
* **Szenariendifferenzen**: SRO minus classic (per replicate) and other scenarios minus the
  reference (differences of medians; per-replicate intervals where samples exist).
* **Fälle nach Stadtteil**: district x Hilfeart Fallzahl (median) with statistical confidentiality.
* **Annahmen und Quellen**: every parameter with value, unit, source and range; fallbacks; inputs.

Numbers are stored as numbers with number formats (``report.formats``), never as text; only
suppressed cells hold the text "•".
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font

from simulation.compare import Comparison
from simulation.confidentiality import FOOTNOTE
from simulation.config_report import ReportConfig
from simulation.finance_sheets import (
    BOLD,
    abm_sheet,
    as_text,
    cases_sheet,
    cost_sheet,
    difference_sheet,
    header_row,
    long_sheet,
)
from simulation.report_data import RunData
from simulation.report_html import parameters, show_value


def assumptions_sheet(wb: Workbook, manifest: dict) -> None:
    ws = wb.create_sheet("Annahmen und Quellen")
    ws.cell(row=1, column=1, value="Lauf").font = Font(bold=True, size=12)
    info = [
        ("Lauf", manifest.get("run_id", "")),
        ("Erstellt", manifest.get("created_at", "")),
        ("Szenario", manifest.get("scenario", "")),
        ("Stadt", manifest.get("city", {}).get("name", "")),
        ("Startwert (seed)", manifest.get("root_seed")),
        ("Simulationsläufe (draws)", manifest.get("draws")),
        ("Geänderte Einstellungen", " ".join(manifest.get("overrides", []))),
        ("Programmstand (git)", manifest.get("git_revision", "")),
    ]
    for k, v in info:
        ws.append([k, v])
    ws.append([])
    ws.append(["Ersatzannahmen (fehlende Daten)"])
    ws.cell(row=ws.max_row, column=1).font = BOLD
    for f in manifest.get("fallbacks", []) or ["keine"]:
        ws.append(["", f])
    ws.append([])
    start = ws.max_row + 1
    header_row(ws, start, ["Parameter", "Wert", "Einheit", "Quelle", "Bereich"])
    for key, p in parameters(manifest.get("config", {})):
        value = p["value"]
        cell_value = (
            float(value)
            if isinstance(value, int | float) and not isinstance(value, bool)
            else show_value(value)
        )
        ws.append(
            [
                key,
                cell_value,
                p.get("unit", ""),
                p.get("source", ""),
                show_value(p["range"]) if p.get("range") is not None else "",
            ]
        )
    ws.append([])
    ws.append(["Eingabedateien (SHA-256)"])
    ws.cell(row=ws.max_row, column=1).font = BOLD
    for name, digest in sorted(manifest.get("input_sha256", {}).items()):
        ws.append([name, digest])
    ws.column_dimensions["A"].width = 44
    ws.column_dimensions["B"].width = 24
    ws.column_dimensions["C"].width = 40
    ws.column_dimensions["D"].width = 80
    ws.column_dimensions["E"].width = 20


def notes_sheet(ws, manifest: dict, scenarios: list[str], cfg: ReportConfig) -> None:
    ws.title = "Hinweise"
    lines = [
        ("Projizierte Kosten der Hilfen zur Erziehung für die Haushaltsplanung", True),
        (
            f"Stadt: {manifest.get('city', {}).get('name', '')}; Lauf {manifest.get('run_id', '')}, erstellt {manifest.get('created_at', '')}",
            False,
        ),
        (f"Szenarien: {', '.join(scenarios) or 'keine HzE-Kosten in diesem Lauf'}", False),
        ("Euro je Haushaltsjahr (Kalenderjahr), nominal: in Preisen des jeweiligen Jahres.", False),
        (
            "P10 / P50 / P90: in 10 % der Simulationsläufe liegen die Kosten unter P10, in 10 % über P90; P50 = Median.",
            False,
        ),
        (
            "Für einen vorsichtigen Haushaltsansatz eignet sich P50 mit P90 als Risikovorsorge.",
            False,
        ),
        (
            "Differenzen von Medianen sind keine Mediane von Differenzen; ein Intervall der Differenz steht nur dort, wo sie Lauf für Lauf gebildet wurde.",
            False,
        ),
        (
            FOOTNOTE.format(threshold=cfg.suppress_below)
            if cfg.suppress_below
            else "Keine Geheimhaltung.",
            False,
        ),
        ("Erstellt mit jhplan; Annahmen und Quellen im gleichnamigen Blatt.", False),
    ]
    for i, (text, bold) in enumerate(lines, start=1):
        ws.cell(row=i, column=1, value=text).font = Font(bold=bold, size=12 if bold else 11)
    ws.column_dimensions["A"].width = 120


def write_workbook(
    path: Path, data: RunData, cfg: ReportConfig, comparison: Comparison | None = None
) -> Path:
    """Write ``finance.xlsx`` for the run in ``data`` (and the runs it is compared with)."""
    costs: dict[str, pd.DataFrame] = {}
    own = data.hze_cost_by_hilfeart()
    if not own.empty:
        costs[data.run.scenario or data.run.label] = own
    others = []
    if comparison is not None:
        for run in comparison.runs:
            if run.path == data.run.path:
                continue
            other = RunData(run)
            cost = other.hze_cost_by_hilfeart()
            other.close()
            if not cost.empty:
                costs[run.label] = cost
            others.append(run.label)
    wb = Workbook()
    notes_sheet(wb.active, data.manifest, list(costs), cfg)
    for scenario, cost in costs.items():
        cost_sheet(wb, scenario, cost, cfg)
    if costs:
        long_sheet(wb, costs, cfg)
    abm_sheet(wb, data, cfg)
    difference_sheet(wb, data, comparison, cfg)
    cases_sheet(wb, data, cfg)
    assumptions_sheet(wb, data.manifest)
    as_text(wb)
    wb.save(path)
    return path
