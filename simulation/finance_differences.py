"""The sheet "Szenariendifferenzen" of ``finance.xlsx``: what differs between scenarios.

* the run's own ABM: Sozialraumorientierung minus classic cost per budget year, replicate by
  replicate (the details, with Fallzahl and real euros, are on the sheet "SRO-Differenz");
* with ``--compare``: the service-model effect pooled over the seeds of two scenarios, the
  other scenarios' HzE cost minus the reference's (differences of medians) and the headline
  differences. Pairs of runs that differ only by seed are named as such and their differences are
  not listed: seed noise is not an effect.
"""

from __future__ import annotations

import numpy as np
from openpyxl import Workbook
from openpyxl.styles import Font

from forecast.contract import CITY_DISTRICT
from simulation.compare import KINDS_DE, METHODS_DE, SCENARIO, SEEDS_ONLY, Comparison
from simulation.compare_sro import MEASURE_TITLES, service_model_de
from simulation.config_report import ReportConfig
from simulation.finance_sheets import BOLD, column_widths, header_row, hilfeart_label
from simulation.report_data import RunData


def difference_sheet(
    wb: Workbook, data: RunData, comparison: Comparison | None, cfg: ReportConfig
) -> None:
    """The sheet (module docstring)."""
    ws = wb.create_sheet("Szenariendifferenzen")
    ws.cell(
        row=1, column=1, value="Unterschiede zwischen Szenarien, Euro je Haushaltsjahr (nominal)"
    ).font = Font(bold=True, size=12)
    row = 3
    diff = data.abm_annual_difference()
    if not diff.empty:
        row = _block(
            ws,
            row,
            "Systemmodell: Sozialraumorientierung minus klassisch, Lauf für Lauf (Intervall der Differenz)",
            ["Haushaltsjahr", "Größe", "Differenz P10", "Differenz P50", "Differenz P90"],
            [
                (
                    [r.variant, "classic", int(r.year), "Kosten insgesamt"]
                    + [float(r.P10), float(r.P50), float(r.P90)]
                    + ["Differenz je Replikation (gleiche Zufallszahlen)"],
                    cfg.formats.eur,
                )
                for r in diff.itertuples()
            ],
            cfg,
        )
    if comparison is not None:
        row = _effects_block(ws, row, comparison, cfg)
        kinds = dict(
            zip(
                zip(comparison.pairs["run"], comparison.pairs["ref"], strict=True),
                comparison.pairs["kind"],
                strict=True,
            )
        )
        for p in comparison.pairs[comparison.pairs["kind"] == SEEDS_ONLY].itertuples():
            ws.cell(
                row=row,
                column=1,
                value=f"{p.label} und {p.reference_label}: {KINDS_DE[SEEDS_ONLY]} (nur der "
                "Startwert der Zufallszahlen unterscheidet sich; keine Differenz ausgewiesen)",
            )
            row += 2
    if comparison is not None and not comparison.differences.empty:
        d = comparison.differences
        scenario = [kinds[k] == SCENARIO for k in zip(d["run"], d["ref"], strict=True)]
        d = d[
            np.array(scenario, dtype=bool)
            & (d["model"] == "hze")
            & d["variable"].str.startswith("HzE|Cost|")
            & (d["district"] == CITY_DISTRICT)
            & (d["quantile"] == 0.5)
        ]
        row = _block(
            ws,
            row,
            f"Andere Szenarien minus Referenz ({comparison.reference}): Differenz der Mediane",
            ["Haushaltsjahr", "Hilfeart", "Szenario P50", "Referenz P50", "Differenz der Mediane"],
            [
                (
                    [
                        r.label,
                        r.reference_label,
                        int(r.year),
                        hilfeart_label(r.variable.split("|")[2]),
                    ]
                    + [float(r.value), float(r.reference_value), float(r.difference)]
                    + ["Differenz der Mediane (kein Intervall der Differenz)"],
                    cfg.formats.eur,
                )
                for r in d.sort_values(["label", "year", "variable"]).itertuples()
            ],
            cfg,
        )
        s = comparison.summary
        if not s.empty:
            s = s[(s["kind"] == SCENARIO) & ~s["effect"]]
            row = _block(
                ws,
                row,
                "Kerngrößen (Median; Intervall der Differenz, wo Lauf für Lauf gebildet)",
                ["Jahr", "Größe", "Differenz", "Differenz P10", "Differenz P90"],
                [
                    (
                        [r.label, r.reference_label, int(r.year), r.title, float(r.difference)]
                        + [_finite(r.difference_lo), _finite(r.difference_hi)]
                        + [METHODS_DE.get(r.method, r.method)],
                        cfg.formats.eur if "Euro" in r.title else cfg.formats.cases,
                    )
                    for r in s.itertuples()
                ],
                cfg,
            )
    if row == 3:
        ws.cell(
            row=row,
            column=1,
            value="Keine Szenarien zum Vergleich in diesem Lauf.",
        )
    column_widths(ws, 22, 16)


def _effects_block(ws, row: int, c: Comparison, cfg: ReportConfig) -> int:
    """The service-model effect pooled over the seeds of two scenarios, per budget year."""
    pooled = c.pooled
    if pooled.empty:
        return row
    yearly = pooled[pooled["year"] > 0].sort_values(["scenario", "measure", "year"])
    formats = {"cost": cfg.formats.eur, "cases": "#,##0.0", "stationary": "0.0"}
    return _block(
        ws,
        row,
        "Wirkung des Leistungsmodells im Systemmodell, über die Startwerte zusammengefasst "
        "(Differenz Lauf für Lauf; Anteil stationär in Prozentpunkten)",
        ["Haushaltsjahr", "Größe", "Differenz P10", "Differenz P50", "Differenz P90"],
        [
            (
                [r.scenario, r.reference_scenario, int(r.year)]
                + [
                    f"{MEASURE_TITLES[r.measure]}: {service_model_de(r.a_variant)} – "
                    f"{service_model_de(r.b_variant)}"
                ]
                + [float(r.p10), float(r.p50), float(r.p90)]
                + [f"{int(r.replicates)} Replikationen aus {int(r.pairs)} Lauf-Paar(en)"],
                formats[r.measure],
            )
            for r in yearly.itertuples()
        ],
        cfg,
    )


def _block(ws, row: int, title: str, columns: list[str], records: list, cfg: ReportConfig) -> int:
    """One table of the differences sheet at ``row``: a bold title, a header row (Szenario,
    Referenz, ``columns``, Methode) and one row per ``(values, number format of columns 5-7)``.
    Returns the row where the next table starts (one blank row between)."""
    ws.cell(row=row, column=1, value=title).font = BOLD
    header_row(ws, row + 1, ["Szenario", "Referenz", *columns, "Methode"])
    row += 1
    for values, number_format in records:
        row += 1
        ws.append(values)
        ws.cell(row=row, column=3).number_format = cfg.formats.year
        for j in (5, 6, 7):
            ws.cell(row=row, column=j).number_format = number_format
    return row + 2


def _finite(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None
