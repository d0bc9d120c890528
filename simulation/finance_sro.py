"""The sheet "SRO-Differenz" of ``finance.xlsx``: Sozialraumorientierung minus classic per budget
year, for the Kämmerei.

From the run's own ABM results (``simulation.rundb.ABM_ANNUAL_MEASURES``): the SRO run and the
classic run of each replicate share their random numbers, so the difference is taken replicate by
replicate and its P10/P50/P90 is an interval of the difference itself
(``simulation.compare_sro``). Cost nominal and real (``simulation.finance_prices``), Fallzahl and
the stationary share (percentage points), and the cost summed over the budget years.
"""

from __future__ import annotations

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font

from simulation.compare_sro import cumulative, side_differences, summarise
from simulation.config_report import ReportConfig
from simulation.finance_prices import PriceBasis
from simulation.finance_sheets import BOLD, column_widths, header_row
from simulation.report_data import RunData
from simulation.rundb import ABM_ANNUAL_MEASURES

SHEET = "SRO-Differenz"
CLASSIC = "classic"
COLUMNS = {
    "cost": "Kosten nominal",
    "real cost": "Kosten real",
    "cases": "Fallzahl",
    "stationary": "Anteil stationär (Pp.)",
}
"""Measure -> German column head (followed by P10, P50, P90)."""


def sro_differences(data: RunData, prices: PriceBasis) -> tuple[pd.DataFrame, pd.DataFrame]:
    """SRO minus classic per budget year and replicate in the run's ABM.

    Returns:
        The yearly summary (``compare_sro.summarise`` by a_variant, measure, year; measures of
        ``COLUMNS``) and the cost summed over the years (by a_variant, measure ``cost`` and
        ``real cost``); both empty when the run has no ABM with an SRO model.
    """
    found = data.query(f"SELECT DISTINCT variant FROM ({ABM_ANNUAL_MEASURES})")["variant"]
    variants = [v for v in found if v != CLASSIC]
    if CLASSIC not in set(found) or not variants:
        return pd.DataFrame(), pd.DataFrame()
    sides = pd.DataFrame(
        [(0, 0, 0, v, 0, CLASSIC, True) for v in variants],
        columns=["run", "ref", "a_run", "a_variant", "b_run", "b_variant", "same_run"],
    )
    diffs = side_differences(data.query, sides)
    real = prices.real(diffs[diffs["measure"] == "cost"], ["a", "b", "d"])
    diffs = pd.concat([diffs, real.assign(measure="real cost")], ignore_index=True)
    yearly = summarise(diffs, ["a_variant", "measure", "year"])
    totals = [cumulative(diffs, m).assign(measure=m) for m in ("cost", "real cost")]
    total = pd.concat(totals, ignore_index=True)
    span = total.groupby("a_variant").agg(
        first_year=("first_year", "max"), last_year=("last_year", "min")
    )
    summed = summarise(total, ["a_variant", "measure"]).merge(span.reset_index(), on="a_variant")
    return yearly, summed


def sro_sheet(wb: Workbook, data: RunData, cfg: ReportConfig, prices: PriceBasis) -> None:
    """The sheet (module docstring); nothing when the run has no ABM with an SRO model."""
    yearly, summed = sro_differences(data, prices)
    if yearly.empty:
        return
    ws = wb.create_sheet(SHEET)
    ws.cell(
        row=1,
        column=1,
        value="Sozialraumorientierung minus klassische Steuerung im Systemmodell, je Haushaltsjahr",
    ).font = Font(bold=True, size=12)
    ws.cell(
        row=2,
        column=1,
        value="Differenz Lauf für Lauf (beide Leistungsmodelle mit denselben Zufallszahlen); "
        "P10/P50/P90 der Differenz. Negative Werte: weniger Kosten oder Fälle mit "
        "Sozialraumorientierung.",
    )
    ws.cell(
        row=3,
        column=1,
        value=f"Kosten nominal: Euro in Preisen des jeweiligen Jahres. "
        f"Kosten real: {prices.label()}.",
    )
    head = ["Leistungsmodell", "Haushaltsjahr"]
    for name in COLUMNS.values():
        head += [f"{name} P10", f"{name} P50", f"{name} P90"]
    header_row(ws, 5, [*head, "Replikationen"])
    wide = yearly.set_index(["a_variant", "year", "measure"])
    row = 5
    for (variant, year), _ in yearly.groupby(["a_variant", "year"]):
        row += 1
        values: list = [variant, int(year)]
        for m in COLUMNS:
            values += (
                [float(wide.loc[(variant, year, m), q]) for q in ("p10", "p50", "p90")]
                if (variant, year, m) in wide.index
                else [None] * 3
            )
        values.append(int(wide.loc[(variant, year, "cost"), "replicates"]))
        ws.append(values)
        _formats(ws, row, cfg)
    for r in summed.groupby("a_variant"):
        variant, g = r
        row += 1
        cost = g.set_index("measure")
        first, last = int(g["first_year"].iloc[0]), int(g["last_year"].iloc[0])
        values = [variant, f"Summe {first}–{last}"]
        for m in ("cost", "real cost"):
            values += [float(cost.loc[m, q]) for q in ("p10", "p50", "p90")]
        ws.append(values)
        _formats(ws, row, cfg)
        for c in ws[row]:
            c.font = BOLD
    column_widths(ws, 18, 16)
    ws.freeze_panes = "C6"


def _formats(ws, row: int, cfg: ReportConfig) -> None:
    ws.cell(row=row, column=2).number_format = cfg.formats.year
    for j in range(3, 9):
        ws.cell(row=row, column=j).number_format = cfg.formats.eur
    for j in range(9, 12):
        ws.cell(row=row, column=j).number_format = "#,##0.0"
    for j in range(12, 15):
        ws.cell(row=row, column=j).number_format = "0.0"
