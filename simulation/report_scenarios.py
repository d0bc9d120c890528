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
from simulation.compare import HEADLINES, KINDS_DE, METHODS_DE, SEEDS_ONLY, Comparison
from simulation.compare_sro import EFFECT_PREFIX, MEASURE_TITLES, service_model_de
from simulation.compare_summary import headline_rows, zero_titles
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
                        "Jahr (Monatswerte)",
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
        scale, unit = money_scale(annual[["P10", "P90"]].to_numpy())
        rows = []
        for r in difference.itertuples():
            s, c = annual.loc[(r.variant, r.year)], annual.loc[("classic", r.year)]
            rows.append(
                (
                    r.year,
                    r.variant,
                    band(c["P50"], c["P10"], c["P90"], 1, scale),
                    band(s["P50"], s["P10"], s["P90"], 1, scale),
                    band(r.P50, r.P10, r.P90, 1, scale),
                )
            )
        parts.append(f"<h3>Systemmodell: Kosten je Haushaltsjahr ({unit})</h3>")
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
            "Dieser Lauf enthält nur ein Szenario und kein Systemmodell mit "
            "Sozialraumorientierung; ein Vergleich erscheint hier, wenn der Bericht zusammen "
            "mit anderen Läufen erstellt wird."
        )
    return "\n".join(parts)


def money_scale(values) -> tuple[float, str]:
    """Tsd. € or Mio. € for amounts of the size of ``values`` (shown with one decimal)."""
    top = float(np.nanmax(np.abs(np.asarray(values, dtype=float)))) if np.size(values) else 0.0
    return (1e6, "Mio. €") if top >= 1e6 else (1e3, "Tsd. €")


def _is_money(r) -> bool:
    return r.variable == EFFECT_PREFIX + "cost" or "Euro" in HEADLINES.get(r.variable, "")


def _shown(value: float, lo: float, hi: float, r, scale: float, unit: str) -> str:
    """A value with its band: money in ``unit`` with one decimal, the stationary share in %
    (its difference in percentage points), cases with one decimal for effects."""
    if _is_money(r):
        return f"{band(value, lo, hi, decimals=1, scale=scale)} {unit}"
    decimals = 1 if r.effect else 0
    return band(value, lo, hi, decimals=decimals)


def effects_html(c: Comparison) -> str:
    """The service-model effect pooled over the seeds of two scenarios, per budget year."""
    pooled = c.pooled
    if pooled.empty:
        return ""
    yearly = pooled[pooled["year"] > 0]
    cost = yearly[yearly["measure"] == "cost"]
    scale, unit = money_scale(cost[["value", "reference_value"]].to_numpy())
    dscale, dunit = money_scale(cost[["p10", "p90"]].to_numpy())
    rows = []
    for r in yearly.sort_values(["scenario", "year"]).itertuples():
        money = r.measure == "cost"
        sc, dsc = (scale, dscale) if money else (1.0, 1.0)
        suffix = f" {unit}" if money else (" %" if r.measure == "stationary" else "")
        diff_suffix = f" {dunit}" if money else (" Pp." if r.measure == "stationary" else "")
        rows.append(
            (
                str(r.year),
                MEASURE_TITLES[r.measure].split(" (")[0],
                band(r.reference_value, r.reference_lo, r.reference_hi, 1, sc) + suffix,
                band(r.value, r.value_lo, r.value_hi, 1, sc) + suffix,
                band(r.p50, r.p10, r.p90, 1, dsc) + diff_suffix,
                f"{int(r.replicates)}",
            )
        )
    first = pooled.iloc[0]
    parts = [
        f"<h3>Wirkung: {esc(service_model_de(first.a_variant))} – "
        f"{esc(service_model_de(first.b_variant))} ({esc(first.scenario)} gegenüber "
        f"{esc(first.reference_scenario)})</h3>",
        table(
            ["Jahr", "Größe", "klassisch", "Sozialraum", "Differenz", "Replikationen"],
            rows,
            [False, False, True, True, True, True],
        ),
    ]
    total = pooled[pooled["year"] == 0]
    for t in total.itertuples():
        tscale, tunit = money_scale([t.p10, t.p50, t.p90])
        parts.append(
            note(
                f"Kostendifferenz {int(t.first_year)}–{int(t.last_year)} zusammen: "
                f"{band(t.p50, t.p10, t.p90, 1, tscale)} {tunit} (Median, P10–P90)."
            )
        )
    parts.append(
        note(
            "Differenz Lauf für Lauf gebildet (Replikation r des einen Modells mit Replikation r "
            "des anderen, gleiche Zufallszahlen), über die Startwerte zusammengefasst: P10–P90 "
            "ist ein Intervall der Wirkung selbst. Werte: Median (P10–P90)."
        )
    )
    return "\n".join(parts)


def comparison_html(c: Comparison) -> str:
    """The comparison with other runs: the service-model effect first, runs that differ only by
    seed named as such (never shown as an effect), then the headline differences that are not
    zero, the quantities without difference in one sentence, and fan charts of the levels."""
    parts = [f"<h3>Vergleich mit anderen Läufen (Referenz: {esc(c.reference)})</h3>"]
    effects = effects_html(c)
    if effects:
        parts.append(effects)
    seeds = c.pairs[c.pairs["kind"] == SEEDS_ONLY]
    if not seeds.empty:
        names = "; ".join(f"{p.label} und {p.reference_label}" for p in seeds.itertuples())
        parts.append(
            note(
                f"{KINDS_DE[SEEDS_ONLY]}: {esc(names)}. Diese Läufe unterscheiden sich nur im "
                "Startwert der Zufallszahlen; ihre Unterschiede sind Zufallsschwankung, keine "
                "Wirkung eines Szenarios, und werden deshalb nicht als Differenz gezeigt."
            )
        )
    year, rows = headline_rows(c.summary)
    if year is None:
        return "\n".join(parts)
    money = rows.loc[np.array([_is_money(r) for r in rows.itertuples()], dtype=bool)]
    scale, unit = money_scale(money[["value", "reference_value"]].to_numpy())
    dscale, dunit = money_scale(money[["difference_lo", "difference", "difference_hi"]].to_numpy())
    if not rows.empty:
        parts.append(f"<h4>Unterschiede {year}</h4>")
        parts.append(
            table(
                [
                    "Größe",
                    "Szenario",
                    "Referenz",
                    "Szenario-Wert",
                    "Referenz-Wert",
                    "Differenz (Intervall)",
                    "Differenz %",
                ],
                [
                    (
                        r.title,
                        r.label,
                        r.reference_label,
                        _shown(r.value, r.value_lo, r.value_hi, r, scale, unit),
                        _shown(r.reference_value, r.reference_lo, r.reference_hi, r, scale, unit),
                        _shown(r.difference, r.difference_lo, r.difference_hi, r, dscale, dunit),
                        f"{num(r.difference_pct, 1)} %" if np.isfinite(r.difference_pct) else "–",
                    )
                    for r in rows.itertuples()
                ],
                [False, False, False, True, True, True, True],
            )
        )
        bars = rows[rows["difference_pct"].notna()]
        if not bars.empty:
            parts.append(
                figure(
                    report_charts.difference_bars(bars, f"Unterschiede zur Referenz {year}"),
                    f"Unterschied zur Referenz in %, {year}",
                    "vergleich_differenzen",
                )
            )
    zero = zero_titles(c.summary, year)
    if zero:
        parts.append(
            note(f"Ohne Unterschied zwischen den Szenarien ({year}): {esc(', '.join(zero))}.")
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
        cost = "Cost" in variable
        scale_, unit_ = money_scale(lv["value"]) if cost else (1.0, "Personen")
        parts.append(
            figure(
                report_charts.fan_chart(
                    series, HEADLINES[variable], unit_, "Jahr", scale=scale_, decimals=int(cost)
                ),
                f"{HEADLINES[variable]} je Lauf",
                f"vergleich_{variable.split('|')[0].lower()}",
            )
        )
    methods = sorted({METHODS_DE.get(m, m) for m in rows["method"]})
    if methods:
        parts.append(note("Methode: " + "; ".join(methods) + "."))
    return "\n".join(parts)


def sensitivity(data: RunData) -> str:
    table_ = data.sensitivity()
    if table_.empty:
        return empty(
            "Keine Sensitivitätsanalyse in diesem Lauf: sie gehört zum Systemmodell mit "
            "Sozialraumorientierung."
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
    outcomes = table_[["outcome_low", "outcome_base", "outcome_high"]].to_numpy()
    scale, unit = money_scale(outcomes)
    rows = [
        (
            r.label,
            num(r.low, 2),
            num(r.base, 2),
            num(r.high, 2),
            num(r.outcome_low / scale, 1),
            num(r.outcome_base / scale, 1),
            num(r.outcome_high / scale, 1),
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
            f"Ergebnis: kumulierte Kostendifferenz Sozialraum – klassisch in {unit} "
            "(Mittel über die Replikationen)."
        )
    )
    return "\n".join(parts)
