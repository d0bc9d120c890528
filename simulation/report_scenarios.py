"""The comparing sections of the report: Szenarienvergleich and Sensitivität.

Szenarienvergleich shows the comparisons a run holds itself (the ABM's Sozialraumorientierung
against the classic system on the same replicates: intervals of the difference) and, when the
report is built with ``--compare`` / ``report.compare``, the headline differences to other runs
(``simulation.compare``). Sensitivität shows the ABM's one-at-a-time analysis as a tornado chart.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation import report_charts
from simulation.compare import HEADLINES, METHODS_DE, Comparison
from simulation.report_data import RunData
from simulation.report_html import band, empty, esc, figure, note, num, table


def scenarios(data: RunData, comparison: Comparison | None) -> str:
    parts = []
    difference = data.abm_annual_difference()
    monthly = data.abm_monthly("ABM|Cost difference|Total")
    if not monthly.empty:
        sro = monthly[monthly["variant"] != "classic"]
        for variant, g in sro.groupby("variant"):
            idx = pd.to_datetime(dict(year=g["year"], month=g["month"], day=1))
            b = g.set_index(idx)[["P10", "P50", "P90"]]
            scale, unit, decimals = report_charts.money(b.to_numpy())
            parts.append(
                figure(
                    report_charts.fan_chart(
                        {f"{variant} – klassisch": b},
                        "Kumulierte Kostendifferenz Sozialraumorientierung – klassisch",
                        unit,
                        "Monat",
                        scale=scale,
                        decimals=decimals,
                        zero_line=True,
                    ),
                    "Kumulierte Kostendifferenz im Systemmodell (gleiche Zufallszahlen in beiden "
                    "Modellen; Median, P10–P90 der Differenz)",
                    f"abm_differenz_{variant}",
                )
            )
    if not difference.empty:
        annual = data.abm_annual_cost().set_index(["variant", "year"])
        rows = []
        for r in difference.itertuples():
            s, c = annual.loc[(r.variant, r.year)], annual.loc[("classic", r.year)]
            rows.append(
                (
                    r.year,
                    r.variant,
                    band(c["P50"], c["P10"], c["P90"], scale=1e3),
                    band(s["P50"], s["P10"], s["P90"], scale=1e3),
                    band(r.P50, r.P10, r.P90, scale=1e3),
                )
            )
        parts.append("<h3>Systemmodell: Kosten je Haushaltsjahr (Tsd. Euro)</h3>")
        parts.append(
            table(
                ["Jahr", "Modell", "klassisch", "Sozialraum", "Differenz"],
                rows,
                [False, False, True, True, True],
            )
        )
        parts.append(
            note(
                "Differenz Lauf für Lauf gebildet (gleiche Replikationen): ihr P10–P90 "
                "ist ein Intervall der Differenz selbst."
            )
        )
    if comparison is not None and not comparison.summary.empty:
        parts.append(comparison_html(comparison))
    if not parts:
        return empty(
            "Dieser Lauf enthält nur ein Szenario. Einen Vergleich zeigt der Bericht mit "
            "`jhplan report LAUF --compare ANDERER_LAUF` (oder report.compare=[...]); "
            "das Systemmodell vergleicht mit service_model=sozialraum und der Stufe abm."
        )
    return "\n".join(parts)


def comparison_html(c: Comparison) -> str:
    """Headline differences of compared runs and their fan charts."""
    s = c.summary
    year = int(s.groupby("variable")["year"].max().min())
    rows = s[s["year"] == year]
    parts = [f"<h3>Vergleich mit anderen Läufen (Referenz: {esc(c.reference)}), {year}</h3>"]
    parts.append(
        table(
            [
                "Größe",
                "Szenario",
                "Referenz",
                "Szenario-Wert",
                "Referenz-Wert",
                "Differenz",
                "Differenz %",
                "Intervall der Differenz",
            ],
            [
                (
                    r.title,
                    r.label,
                    r.reference_label,
                    band(r.value, r.value_lo, r.value_hi),
                    band(r.reference_value, r.reference_lo, r.reference_hi),
                    num(r.difference),
                    f"{num(r.difference_pct, 1)} %",
                    band(r.difference, r.difference_lo, r.difference_hi)
                    if np.isfinite(r.difference_lo)
                    else "–",
                )
                for r in rows.itertuples()
            ],
            [False, False, False, True, True, True, True, True],
        )
    )
    parts.append(
        figure(
            report_charts.difference_bars(rows, f"Unterschiede zur Referenz {year}"),
            f"Unterschied zur Referenz in %, {year}",
            "vergleich_differenzen",
        )
    )
    for variable in ("HzE|Cost|Total", "Population|Total"):
        lv = c.levels[(c.levels["variable"] == variable) & (c.levels["variant"] == "")]
        if lv.empty:
            continue
        series = {
            label: g.set_index("year")[["lo", "value", "hi"]].set_axis(
                ["P10", "P50", "P90"], axis=1
            )
            for label, g in lv.groupby("label", sort=False)
        }
        scale, unit, decimals = (
            report_charts.money(lv["value"]) if "Cost" in variable else (1.0, "Personen", 0)
        )
        parts.append(
            figure(
                report_charts.fan_chart(
                    series, HEADLINES[variable], unit, "Jahr", scale=scale, decimals=decimals
                ),
                f"{HEADLINES[variable]} je Szenario",
                f"vergleich_{variable.split('|')[0].lower()}",
            )
        )
    methods = sorted({METHODS_DE.get(m, m) for m in rows["method"]})
    parts.append(note("Methode: " + "; ".join(methods) + "."))
    return "\n".join(parts)


def sensitivity(data: RunData) -> str:
    table_ = data.sensitivity()
    if table_.empty:
        return empty(
            "Keine Sensitivitätsanalyse in diesem Lauf: sie läuft in der Stufe abm mit einem "
            "Sozialraum-Szenario (service_model=sozialraum, abm.sensitivity.enabled=true)."
        )
    abm = data.manifest.get("abm", {})
    months = min(
        int(
            data.manifest.get("config", {}).get("abm", {}).get("sensitivity", {}).get("months", 120)
        ),
        int(abm.get("months", 120)),
    )
    parts = [
        figure(
            report_charts.tornado(
                table_,
                f"Welche Annahme treibt die Kostendifferenz? (nach {months} Monaten)",
                "Abweichung vom Basiswert",
            ),
            "Tornado: Kostendifferenz Sozialraum – klassisch, jede Annahme an den Enden ihres Bereichs",
            "tornado",
        )
    ]
    rows = [
        (
            r.label,
            num(r.low, 2),
            num(r.base, 2),
            num(r.high, 2),
            num(r.outcome_low / 1e3),
            num(r.outcome_base / 1e3),
            num(r.outcome_high / 1e3),
        )
        for r in table_.itertuples()
    ]
    parts.append(
        table(
            [
                "Annahme",
                "unten",
                "Basis",
                "oben",
                "Ergebnis unten",
                "Ergebnis Basis",
                "Ergebnis oben",
            ],
            rows,
            [False] + [True] * 6,
        )
    )
    parts.append(
        note(
            "Ergebnis: kumulierte Kostendifferenz Sozialraum – klassisch in Tsd. Euro "
            "(Mittel über die Replikationen)."
        )
    )
    return "\n".join(parts)
