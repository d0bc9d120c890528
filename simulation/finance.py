"""``finance.xlsx``: projected HzE cost ranges for the Kämmerei (openpyxl).

Sheets:

* **Hinweise**: what the numbers are (EUR per budget year, nominal and real, P10/P50/P90), the run.
* **Kosten <Szenario>** (one per scenario): rows Hilfeart and Insgesamt, per budget year the three
  columns P10, P50, P90, nominal. Insgesamt is the distribution of the total, not the sum of the
  medians.
* **Kosten real <Szenario>**: the same in prices of ``hze.costs.price_year``
  (``simulation.finance_prices``).
* **Kosten (Liste)**: both as one long table with a filter (for pivot tables).
* **Systemmodell**: the ABM's city cost per budget year and service model, nominal and real.
* **SRO-Differenz**: SRO minus classic per budget year with P10/P50/P90 of the per-replicate
  difference: cost nominal and real, Fallzahl, stationary share (``simulation.finance_sro``).
* **Szenariendifferenzen**: SRO minus classic and, with ``--compare``, other scenarios minus the
  reference; pairs that differ only by seed named (``simulation.finance_differences``).
* **Fälle nach Stadtteil**: district x Hilfeart Fallzahl (median) with statistical confidentiality.
* **Annahmen**, **Quellen**, **Technische Angaben**: the parameters in German with their sources'
  numbers, the numbered source list, the run and its configuration by key
  (``simulation.finance_assumptions``).

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
from simulation.finance_assumptions import assumptions_sheet, sources_sheet, technical_sheet
from simulation.finance_differences import difference_sheet
from simulation.finance_ganztag import ganztag_sheet
from simulation.finance_prices import PriceBasis
from simulation.finance_sheets import QS, abm_sheet, as_text, cases_sheet, cost_sheet, long_sheet
from simulation.finance_social import social_budget_sheet
from simulation.finance_sro import sro_sheet
from simulation.report_data import RunData


def notes_sheet(
    ws, manifest: dict, scenarios: list[str], cfg: ReportConfig, prices: PriceBasis
) -> None:
    ws.title = "Hinweise"
    lines = [
        ("Projizierte Kosten der Hilfen zur Erziehung für die Haushaltsplanung", True),
        (
            f"Stadt: {manifest.get('city', {}).get('name', '')}; Lauf {manifest.get('run_id', '')}, erstellt {manifest.get('created_at', '')}",
            False,
        ),
        (f"Szenarien: {', '.join(scenarios) or 'keine HzE-Kosten in diesem Lauf'}", False),
        (
            "Euro je Haushaltsjahr (Kalenderjahr). Nominal (Blätter Kosten …): in Preisen des "
            "jeweiligen Jahres, für den Haushaltsansatz. Real (Blätter Kosten real …): "
            f"{prices.label()}, um Mengen- und Preiswirkungen zu trennen.",
            False,
        ),
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
        (
            "Erstellt mit jhplan; Annahmen in den Blättern Annahmen und Quellen, der Lauf im "
            "Blatt Technische Angaben.",
            False,
        ),
    ]
    for i, (text, bold) in enumerate(lines, start=1):
        ws.cell(row=i, column=1, value=text).font = Font(bold=bold, size=12 if bold else 11)
    ws.column_dimensions["A"].width = 120


def write_workbook(
    path: Path, data: RunData, cfg: ReportConfig, comparison: Comparison | None = None
) -> Path:
    """Write ``finance.xlsx`` for the run in ``data`` (and the runs it is compared with)."""
    prices = PriceBasis.of(data.manifest)
    costs: dict[str, pd.DataFrame] = {}
    own = data.hze_cost_by_hilfeart()
    if not own.empty:
        costs[data.run.scenario or data.run.label] = own
    if comparison is not None:
        for run in comparison.runs:
            if run.path == data.run.path:
                continue
            other = RunData(run)
            cost = other.hze_cost_by_hilfeart()
            other.close()
            if not cost.empty:
                costs[run.label] = cost
    wb = Workbook()
    notes_sheet(wb.active, data.manifest, list(costs), cfg, prices)
    for scenario, cost in costs.items():
        cost_sheet(wb, scenario, cost, cfg)
    real = {scenario: prices.real(cost, list(QS)) for scenario, cost in costs.items()}
    for scenario, cost in real.items():
        cost_sheet(wb, scenario, cost, cfg, prices.label(), prefix="Kosten real")
    if costs:
        listed = {(s, "nominal"): c for s, c in costs.items()}
        listed |= {(s, f"real, Preise {prices.price_year}"): c for s, c in real.items()}
        long_sheet(wb, listed, cfg)
    abm_sheet(wb, data, cfg, prices)
    sro_sheet(wb, data, cfg, prices)
    social_budget_sheet(wb, data, cfg)
    difference_sheet(wb, data, comparison, cfg)
    cases_sheet(wb, data, cfg)
    ganztag_sheet(wb, data, cfg)
    assumptions_sheet(wb, data.manifest)
    sources_sheet(wb)
    technical_sheet(wb, data.manifest)
    as_text(wb)
    wb.save(path)
    return path
