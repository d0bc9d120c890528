"""The sheets of ``finance.xlsx`` that hold numbers: costs per scenario, the ABM's costs,
scenario differences and cases per Stadtteil (see ``simulation.finance`` for the workbook).

Every number is written as a number with a number format (``report.formats``); only cells kept
secret (statistical confidentiality) hold the text "•".
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from forecast.contract import CITY_DISTRICT
from forecast.hze.catalogue import CATALOGUE
from simulation.confidentiality import FOOTNOTE, suppress_frame, with_margins
from simulation.config_report import ReportConfig
from simulation.finance_prices import PriceBasis
from simulation.report_data import RunData

BOLD = Font(bold=True)
HEAD = PatternFill("solid", fgColor="DCE6F1")
QS = ("P10", "P50", "P90")


def hilfeart_label(code: str) -> str:
    return "Insgesamt" if code == "Total" else CATALOGUE[code].label if code in CATALOGUE else code


def sheet_title(wb: Workbook, text: str) -> str:
    """A valid, unique sheet name (31 characters, no []:*?/\\)."""
    base = re.sub(r"[\[\]:*?/\\]", "_", text)[:31]
    name, k = base, 2
    while name in wb.sheetnames:
        name = f"{base[: 31 - len(str(k)) - 1]}~{k}"
        k += 1
    return name


def header_row(ws, row: int, values: list, fill: bool = True) -> None:
    for j, v in enumerate(values, start=1):
        cell = ws.cell(row=row, column=j, value=v)
        cell.font = BOLD
        if fill:
            cell.fill = HEAD


def as_text(wb: Workbook) -> None:
    """Every cell that openpyxl would store as a formula becomes text.

    The workbook writes no formulas; a text starting with ``=`` comes from input data (a district
    or scenario name such as ``=HYPERLINK(...)``) and must not be run by Excel (formula injection).
    """
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"


def column_widths(ws, first: int = 34, rest: int = 14) -> None:
    for j in range(1, ws.max_column + 1):
        ws.column_dimensions[get_column_letter(j)].width = first if j == 1 else rest


def cost_sheet(
    wb: Workbook,
    scenario: str,
    cost: pd.DataFrame,
    cfg: ReportConfig,
    prices: str = "Euro nominal (Preise des jeweiligen Jahres)",
    prefix: str = "Kosten",
) -> None:
    """Rows Hilfeart (+ Insgesamt), per budget year P10/P50/P90 columns; ``prices`` says which
    prices the euros are in, ``prefix`` starts the sheet's name."""
    ws = wb.create_sheet(sheet_title(wb, f"{prefix} {scenario}"))
    years = sorted(cost["year"].unique())
    ws.cell(
        row=1, column=1, value=f"HzE-Kosten je Haushaltsjahr, {prices}: Szenario {scenario}"
    ).font = Font(bold=True, size=12)
    ws.cell(row=3, column=1, value="Haushaltsjahr").font = BOLD
    for k, year in enumerate(years):
        col = 2 + 3 * k
        ws.cell(row=3, column=col, value=int(year)).number_format = cfg.formats.year
        ws.cell(row=3, column=col).font = BOLD
        ws.cell(row=3, column=col).alignment = Alignment(horizontal="center")
        ws.merge_cells(start_row=3, start_column=col, end_row=3, end_column=col + 2)
    header_row(ws, 4, ["Hilfeart"] + list(QS) * len(years))
    codes = [c for c in CATALOGUE if c in set(cost["code"])] + ["Total"]
    wide = cost.set_index(["code", "year"])
    row = 5
    for code in codes:
        if code not in wide.index.get_level_values(0):
            continue
        ws.cell(row=row, column=1, value=hilfeart_label(code)).font = (
            BOLD if code == "Total" else Font()
        )
        for k, year in enumerate(years):
            for q, name in enumerate(QS):
                value = wide.loc[(code, year), name] if (code, year) in wide.index else None
                if value is not None and np.isfinite(value):
                    cell = ws.cell(row=row, column=2 + 3 * k + q, value=float(value))
                    cell.number_format = cfg.formats.eur
        row += 1
    ws.cell(
        row=row + 1,
        column=1,
        value="Insgesamt = Verteilung der Summe aller Hilfearten (nicht die Summe der Mediane).",
    )
    ws.freeze_panes = "B5"
    column_widths(ws)


def long_sheet(wb: Workbook, costs: dict[tuple[str, str], pd.DataFrame], cfg: ReportConfig) -> None:
    """All cost sheets as one list; ``costs`` by (scenario, prices)."""
    ws = wb.create_sheet("Kosten (Liste)")
    header_row(ws, 1, ["Szenario", "Haushaltsjahr", "Hilfeart-Code", "Hilfeart", *QS, "Preise"])
    row = 2
    for (scenario, prices), cost in costs.items():
        order = {code: k for k, code in enumerate([*CATALOGUE, "Total"])}
        ranked = cost.assign(_order=cost["code"].map(order).fillna(len(order)))
        for r in ranked.sort_values(["year", "_order"]).itertuples():
            ws.append(
                [
                    scenario,
                    int(r.year),
                    r.code,
                    hilfeart_label(r.code),
                    *(float(getattr(r, q)) for q in QS),
                    prices,
                ]
            )
            ws.cell(row=row, column=2).number_format = cfg.formats.year
            for j in range(5, 8):
                ws.cell(row=row, column=j).number_format = cfg.formats.eur
            row += 1
    ws.auto_filter.ref = f"A1:H{max(row - 1, 1)}"
    ws.freeze_panes = "A2"
    column_widths(ws, 22, 16)


def abm_sheet(wb: Workbook, data: RunData, cfg: ReportConfig, prices: PriceBasis) -> None:
    """The ABM's city cost per budget year and service model, nominal and real."""
    annual = data.abm_annual_cost()
    if annual.empty:
        return
    real = prices.real(annual, list(QS))
    ws = wb.create_sheet("Systemmodell")
    ws.cell(
        row=1,
        column=1,
        value="Systemmodell (ABM): HzE-Kosten der Stadt je Haushaltsjahr, Euro nominal und real",
    ).font = Font(bold=True, size=12)
    real_qs = [f"{q} real" for q in QS]
    header_row(ws, 3, ["Leistungsmodell", "Haushaltsjahr", *QS, "Replikationen", *real_qs])
    for i, (r, d) in enumerate(zip(annual.itertuples(), real.itertuples(), strict=True), start=4):
        ws.append(
            [r.variant, int(r.year), float(r.P10), float(r.P50), float(r.P90), int(r.replicates)]
            + [float(d.P10), float(d.P50), float(d.P90)]
        )
        ws.cell(row=i, column=2).number_format = cfg.formats.year
        for j in (3, 4, 5, 7, 8, 9):
            ws.cell(row=i, column=j).number_format = cfg.formats.eur
    column_widths(ws, 22, 16)


def cases_sheet(wb: Workbook, data: RunData, cfg: ReportConfig) -> None:
    if "hze" not in data.models:
        return
    ws = wb.create_sheet("Fälle nach Stadtteil")
    years = data.years("hze", "HzE|Cases|")
    row = 1
    for year in sorted({years[0], min(years[0] + 5, years[-1])}):
        cases = data.hze_cases_by_district(year)
        codes = [c for c in cases.columns if c != "Total"]
        districts = [c for c in data.district_names if c in cases.index and c != CITY_DISTRICT]
        full = with_margins(cases, districts, codes)
        shown, _ = suppress_frame(full, cfg.suppress_below, cfg.secondary_suppression)
        ws.cell(
            row=row, column=1, value=f"Fallzahl je Stadtteil und Hilfeart {year} (Median)"
        ).font = Font(bold=True, size=12)
        row += 1
        header_row(ws, row, ["Stadtteil", *[hilfeart_label(c) for c in codes], "Insgesamt"])
        names = {**data.district_names, CITY_DISTRICT: "Stadt"}
        for code in full.index:
            row += 1
            values = [v if isinstance(v, str) else float(v) for v in shown.loc[code]]
            ws.append([names.get(code, code), *values])
            for j in range(1, len(codes) + 3):
                cell = ws.cell(row=row, column=j)
                if j > 1:
                    cell.number_format = cfg.formats.cases
                if isinstance(cell.value, str) and j > 1:
                    cell.alignment = Alignment(horizontal="right")
                if code == CITY_DISTRICT:
                    cell.font = BOLD
        row += 1
        ws.cell(
            row=row,
            column=1,
            value=FOOTNOTE.format(threshold=cfg.suppress_below)
            if cfg.suppress_below
            else "Keine Geheimhaltung.",
        )
        row += 2
    column_widths(ws, 24, 12)
