"""The sheets of ``finance.xlsx`` that say what the numbers rest on.

* **Annahmen**: every parameter of the parts that ran, in German: name, rounded value, unit,
  plausible range and source as a number of the source list (``simulation.report_params``, the
  same rows as the report's Annahmen), and the fallbacks for missing data in German.
* **Quellen**: the numbered source list (``forecast.sources``), the same numbers as the report's
  "Literatur und Quellen".
* **Technische Angaben**: the run (id, seed, settings, program version), every parameter by its
  configuration key with the value as configured, and the SHA-256 of every input file: for the
  people who rerun or audit it.

Text from configuration or input data is written as text; ``finance_sheets.as_text`` turns any
cell that would be a formula into text before the workbook is saved.
"""

from __future__ import annotations

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from forecast.sources import source_list
from simulation.finance_sheets import BOLD, header_row
from simulation.report_appendix import assumption_groups
from simulation.report_html import parameters, show_value
from simulation.report_notes import fallbacks_de


def assumptions_sheet(wb: Workbook, manifest: dict) -> None:
    """The sheet "Annahmen" (module docstring)."""
    ws = wb.create_sheet("Annahmen")
    ws.cell(row=1, column=1, value="Annahmen des Laufs").font = Font(bold=True, size=12)
    ws.cell(
        row=2,
        column=1,
        value="Quelle [n]: Nummer im Blatt Quellen; Schätzung: begründete Annahme ohne eigene "
        "Quelle; eigene Ableitung: aus den genannten Quellen errechnet.",
    )
    row = 4
    for title, rows in assumption_groups(manifest):
        ws.cell(row=row, column=1, value=title).font = Font(bold=True, size=12)
        header_row(ws, row + 1, ["Annahme", "Wert", "Einheit", "Bereich", "Quelle"])
        row += 1
        for r in rows:
            row += 1
            for j, v in enumerate((r.name, r.value, r.unit, r.range, r.source), start=1):
                ws.cell(row=row, column=j, value=v).alignment = Alignment(wrap_text=j in (2, 4))
        row += 2
    ws.cell(row=row, column=1, value="Ersatzannahmen für fehlende Daten").font = BOLD
    for text in fallbacks_de(manifest.get("fallbacks", [])) or ["Keine: alle Daten lagen vor."]:
        row += 1
        ws.cell(row=row, column=1, value=text)
    for letter, width in zip("ABCDE", (60, 40, 30, 30, 34), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A4"


def sources_sheet(wb: Workbook) -> None:
    """The sheet "Quellen": the numbered source list."""
    ws = wb.create_sheet("Quellen")
    ws.cell(row=1, column=1, value="Quellen der Annahmen").font = Font(bold=True, size=12)
    header_row(ws, 3, ["Nr.", "Quelle", "Adresse"])
    for s in source_list():
        ws.append([s.number, s.title, s.url or ""])
    ws.column_dimensions["A"].width = 6
    ws.column_dimensions["B"].width = 110
    ws.column_dimensions["C"].width = 60


def technical_sheet(wb: Workbook, manifest: dict) -> None:
    """The sheet "Technische Angaben" (module docstring)."""
    ws = wb.create_sheet("Technische Angaben")
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
    start = ws.max_row + 1
    header_row(ws, start, ["Parameter", "Wert", "Einheit", "Quelle", "Bereich"])
    for key, p in parameters(manifest.get("config", {})):
        value = p["value"]
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        ws.append(
            [
                key,
                float(value) if numeric else show_value(value),
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
    for letter, width in zip("ABCDE", (44, 24, 40, 80, 20), strict=True):
        ws.column_dimensions[letter].width = width
