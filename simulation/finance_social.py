"""The workbook sheet "Sozialraumbudget": each Wirkungsraum's share and Planbudget per year."""

from __future__ import annotations

from openpyxl import Workbook
from openpyxl.styles import Font

from forecast.contract import CITY_DISTRICT
from simulation.config_report import ReportConfig
from simulation.finance_sheets import column_widths, header_row
from simulation.report_data import RunData
from simulation.report_social import budget_frame


def social_budget_sheet(wb: Workbook, data: RunData, cfg: ReportConfig) -> None:
    """Share and Planbudget (EUR nominal) per Wirkungsraum and budget year; none without the
    social stage."""
    if "social" not in data.models:
        return
    wide = budget_frame(data)
    if wide.empty:
        return
    ws = wb.create_sheet("Sozialraumbudget")
    ws.cell(
        row=1,
        column=1,
        value="Sozialraumbudget: Planbudget je Wirkungsraum und Haushaltsjahr, Euro nominal",
    ).font = Font(bold=True, size=12)
    header_row(ws, 3, ["Wirkungsraum", "Haushaltsjahr", "Anteil", "Planbudget"])
    row = 4
    for r in wide.sort_values(["year", "area"]).itertuples():
        name = data.district_names.get(r.area, r.area) if r.area == CITY_DISTRICT else r.area
        share = 1.0 if r.area == CITY_DISTRICT else float(r.share)
        ws.append([name, int(r.year), share, float(r.eur)])
        ws.cell(row=row, column=2).number_format = cfg.formats.year
        ws.cell(row=row, column=3).number_format = "0.0%"
        ws.cell(row=row, column=4).number_format = cfg.formats.eur
        row += 1
    column_widths(ws, 22, 16)
