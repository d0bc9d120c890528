"""The report chapter "Sozialraumorientierung": what the Fachkonzept does to HzE cases and costs,
and when.

For a run with the ABM stage: the question; the mechanisms with their (sourced) parameters in
plain German; classic system and SRO per budget year (helps running at year end, stationary share,
cost) with P10-P90 bands; the cumulative difference with the year it turns into a saving; the
one-at-a-time sensitivity with its horizon stated; what the evaluations found and what they cannot
show (``simulation.report_evidence``). Both systems see the same families and random numbers
(paired replicates), so the band of a difference is the band of the difference itself.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation import report_charts
from simulation.report_data import RunData
from simulation.report_evidence import evidence_html
from simulation.report_html import band, empty, esc, figure, note, num, parameters, table
from simulation.report_params import parameter_row

MECHANISMS = {
    "ramp_years": "Die Wirkungen setzen nicht sofort ein: sie wachsen über die Anlaufzeit "
    "(S-förmig) auf ihr volles Maß.",
    "stationary_entry": "Ein Teil der neuen Unterbringungen in Pflegefamilie oder Heim (§§ 33, "
    "34) wird durch eine passgenaue ambulante Hilfe („Maßanzug“) ersetzt; Faktor auf die neuen "
    "Unterbringungen bei voller Wirkung.",
    "escalation": "Ambulante Hilfen münden seltener in eine Unterbringung; Faktor auf diese "
    "Übergänge.",
    "ambulant_duration": "Ambulante und teilstationäre Hilfen dauern kürzer; Faktor auf ihre "
    "Dauer.",
    "ambulant_contacts": "Niedrigschwellige Zugänge im Sozialraum bringen mehr ambulante Hilfen; "
    "Faktor auf deren Beginn.",
    "prevention_share": "Anteil des Planbudgets für fallunspezifische und fallübergreifende "
    "Arbeit im Sozialraum.",
    "prevention_yield": "Wie stark diese Arbeit neue Hilfen verringert: 2 bedeutet, dass 5 % "
    "des Budgets 10 % weniger neue Hilfen bewirken.",
    "prevention_lag": "Zeit, bis fallunspezifische Arbeit zu weniger neuen Hilfen führt.",
    "transition_cost": "Zusatzkosten der ersten beiden Jahre (Doppelstrukturen, Schulung), "
    "Anteil des Planbudgets.",
    "diverted_cost_factor": "Kosten eines Maßanzugs im Verhältnis zu einer flexiblen Hilfe "
    "(§ 27 Abs. 2).",
    "diversion_failure": "Wahrscheinlichkeit, dass ein Maßanzug scheitert und die Unterbringung "
    "doch folgt.",
    "pressure_cut": "Wird das Budget überschritten, wird die fallunspezifische Arbeit gekürzt "
    "(Stärke der Kürzung).",
    "pressure_diversion": "Wird das Budget überschritten, werden mehr Unterbringungen in "
    "Maßanzüge umgesteuert.",
    "scope": "Hilfearten, die das Sozialraumbudget finanziert; die übrigen laufen wie bisher.",
}
"""SRO parameter -> what it does, in plain German (the parameter's name is its ``label``)."""


def abm_period(data: RunData) -> tuple[int, int, int]:
    """(first year, last year, months) simulated by the ABM."""
    abm = data.manifest.get("abm", {})
    start, months = int(abm.get("start_year", 0)), int(abm.get("months", 0))
    return start, start + max(months, 12) // 12 - 1, months


def sensitivity_months(data: RunData) -> int:
    """The horizon of the sensitivity analysis: ``abm.sensitivity.months``, at most the ABM's."""
    cfg = data.manifest.get("config", {}).get("abm", {}).get("sensitivity", {})
    return min(int(cfg.get("months", 120)), abm_period(data)[2])


def year_end(data: RunData, variable: str) -> pd.DataFrame:
    """December P10/P50/P90 of a monthly ABM city variable per service model and year."""
    monthly = data.abm_monthly(variable)
    return monthly[monthly["month"] == 12].set_index(["variant", "year"])


def break_even(cumulative: pd.Series) -> int | None:
    """The first year from whose end on the cumulative difference stays below zero (None: never
    within the horizon)."""
    below = cumulative.to_numpy() < 0
    for i, year in enumerate(cumulative.index):
        if below[i:].all():
            return int(year)
    return None


def sro_chapter(data: RunData) -> str:
    """The chapter body (a note when the run has no ABM)."""
    cost = data.abm_annual_cost()
    if cost.empty or set(cost["variant"]) <= {"classic"}:
        return empty(
            "In diesem Lauf wurde das Systemmodell nicht mit Sozialraumorientierung gerechnet: "
            "dieses Kapitel erscheint in Läufen, die die klassische Steuerung und die "
            "Sozialraumorientierung vergleichen."
        )
    variant = sorted(set(cost["variant"]) - {"classic"})[0]
    parts = [question(data), headline(data, variant), "<h3>Wirkmechanismen und Annahmen</h3>"]
    parts.append(mechanisms(data))
    parts.append("<h3>Klassische Steuerung und Sozialraumorientierung je Haushaltsjahr</h3>")
    parts.append(per_year(data, variant))
    parts.append("<h3>Kumulierte Kostendifferenz und Zeitpunkt der Einsparung</h3>")
    parts.append(cumulative(data, variant))
    parts.append("<h3>Welche Annahme treibt das Ergebnis? (Sensitivität)</h3>")
    parts.append(sensitivity(data))
    parts.append("<h3>Was die Evaluationen sagen</h3>")
    parts.append(evidence_html())
    return "\n".join(parts)


def question(data: RunData) -> str:
    first, last, _ = abm_period(data)
    abm = data.manifest.get("abm", {})
    areas = ", ".join(str(a).capitalize() for a in abm.get("wirkungsraeume", {}))
    replicates = int(abm.get("replicates", 0))
    return (
        "<p><strong>Die Frage:</strong> Was bewirkt die Einführung der Sozialraumorientierung "
        "(Fachkonzept mit Leitträger und Planbudget je Sozialraum und fallunspezifischer Arbeit) "
        "bei Fallzahlen und Kosten der Hilfen zur Erziehung, und ab wann?</p>"
        f"<p>Das Systemmodell bildet die Hilfen Monat für Monat von {first} bis {last} nach: "
        "Jugendamt (ASD), Träger und Familien, in den Wirkungsräumen "
        f"{esc(areas or '–')}. Es rechnet jede von {replicates} Replikationen zweimal mit "
        "denselben Familien und Zufallszahlen: einmal mit der klassischen Einzelfallsteuerung, "
        "einmal mit Sozialraumorientierung. Der Unterschied zwischen beiden ist deshalb die "
        "Wirkung der Annahmen unten und kein Zufall; seine Bänder (P10–P90) zeigen, wie stark "
        "er von Replikation zu Replikation schwankt.</p>"
    )


def headline(data: RunData, variant: str) -> str:
    monthly = data.abm_monthly("ABM|Cost difference|Total")
    monthly = monthly[monthly["variant"] == variant]
    if monthly.empty:
        return ""
    last = monthly.iloc[-1]
    total = data.abm_annual_cost()
    classic = total[total["variant"] == "classic"]["P50"].sum()
    share = 100 * last["P50"] / classic if classic else np.nan
    ends = monthly[monthly["month"] == 12].set_index("year")["P50"]
    even = break_even(ends)
    text = (
        f"Ergebnis bis Ende {int(last['year'])}: Mit Sozialraumorientierung kosten die Hilfen "
        f"kumuliert {more_less(last['P50'], last['P10'], last['P90'])} als mit klassischer "
        f"Steuerung ({num(abs(share), 1)} % der Kosten der klassischen Steuerung). "
    )
    text += (
        f"Die Mehrkosten der Umstellung sind ab Ende {even} ausgeglichen (Median)."
        if even is not None
        else "Die Mehrkosten der Umstellung sind bis zum Ende des Zeitraums nicht ausgeglichen."
    )
    return f"<p class='headline'><strong>{esc(text)}</strong></p>"


def more_less(p50: float, p10: float, p90: float) -> str:
    """A difference SRO - classic in words: "29,0 Mio. € weniger (80 %-Band: 19,0 bis 36,2 Mio. €
    weniger)"; a band that crosses zero says so."""

    def words(x: float) -> str:
        return f"{num(abs(x) / 1e6, 1)} Mio. € {'weniger' if x < 0 else 'mehr'}"

    if p10 < 0 < p90:
        return f"{words(p50)} (80 %-Band: von {words(p10)} bis {words(p90)})"
    low, high = sorted([abs(p10), abs(p90)])
    side = "weniger" if p50 < 0 else "mehr"
    return f"{words(p50)} (80 %-Band: {num(low / 1e6, 1)} bis {num(high / 1e6, 1)} Mio. € {side})"


def mechanisms(data: RunData) -> str:
    sro = data.manifest.get("config", {}).get("abm", {}).get("sro", {})
    rows = []
    for key, param in parameters(sro, "abm.sro"):
        row = parameter_row(key, param)
        what = MECHANISMS.get(key.rpartition(".")[2], "")
        unit = "" if row.unit in ("Prozent", "Faktor", "Hilfearten") else f" {row.unit}"
        rows.append((row.name, what, row.value + unit, row.range, row.source))
    return table(["Annahme", "Was sie bewirkt", "Wert", "Bereich", "Quelle"], rows) + note(
        "Werte bei voller Wirkung nach der Anlaufzeit; Faktor 0,85 heißt 15 % weniger. Bereich: "
        "plausible Spannweite, in der Sensitivitätsanalyse unten einzeln durchgespielt. Quellen: "
        "Nummern des Quellenverzeichnisses am Ende des Berichts."
    )


def per_year(data: RunData, variant: str) -> str:
    cost = data.abm_annual_cost().set_index(["variant", "year"])
    diff = data.abm_annual_difference()
    diff = diff[diff["variant"] == variant].set_index("year")
    running = year_end(data, "ABM|Running|Total")
    stationary = year_end(data, "ABM|Stationary share")
    series = {}
    for name, label in (("classic", "klassische Steuerung"), (variant, "Sozialraumorientierung")):
        if name in cost.index.get_level_values(0):
            series[label] = cost.loc[name][["P10", "P50", "P90"]]
    parts = [
        figure(
            report_charts.fan_chart(
                series,
                "Kosten der Hilfen im Systemmodell je Haushaltsjahr",
                "Mio. €",
                "Haushaltsjahr",
                scale=1e6,
                decimals=1,
            ),
            "Kosten je Haushaltsjahr, nominal: klassische Steuerung und Sozialraumorientierung "
            "(Median und 80 %-Band der Replikationen)",
            "sro_kosten",
        )
    ]
    cases = {}
    for name, label in (("classic", "klassische Steuerung"), (variant, "Sozialraumorientierung")):
        if name in running.index.get_level_values(0):
            cases[label] = running.loc[name][["P10", "P50", "P90"]]
    if cases:
        parts.append(
            figure(
                report_charts.fan_chart(
                    cases, "Laufende Hilfen am Jahresende (31.12.)", "Hilfen", "Jahr"
                ),
                "Laufende Hilfen am 31.12. im Systemmodell (Median und 80 %-Band)",
                "sro_faelle",
            )
        )
    rows = []
    for year in diff.index:
        d = diff.loc[year]
        rows.append(
            (
                str(year),
                cell(running, ("classic", year)),
                cell(running, (variant, year)),
                cell(stationary, ("classic", year), 0.01, 1),
                cell(stationary, (variant, year), 0.01, 1),
                cell(cost, ("classic", year), 1e6, 1),
                cell(cost, (variant, year), 1e6, 1),
                band(d["P50"], d["P10"], d["P90"], decimals=1, scale=1e6),
            )
        )
    header = [
        "Jahr",
        "laufende Hilfen 31.12., klassisch",
        "laufende Hilfen 31.12., Sozialraum",
        "stationärer Anteil %, klassisch",
        "stationärer Anteil %, Sozialraum",
        "Kosten Mio. €, klassisch",
        "Kosten Mio. €, Sozialraum",
        "Differenz Mio. €",
    ]
    parts.append(table(header, rows, [False] + [True] * 7))
    parts.append(
        note(
            "Median (P10–P90) über die Replikationen. Stationärer Anteil: Anteil der Hilfen in "
            "Vollzeitpflege und Heimerziehung (§§ 33, 34) an allen laufenden Hilfen außer der "
            "Erziehungsberatung. Differenz = Sozialraumorientierung minus klassische Steuerung, "
            "Replikation für Replikation gebildet; negativ heißt Einsparung. Kosten nominal."
        )
    )
    return "\n".join(parts)


def cell(frame: pd.DataFrame, key: tuple, scale: float = 1.0, decimals: int = 0) -> str:
    """'P50 (P10–P90)' of one row of a banded frame; '–' where the row is missing."""
    if key not in frame.index:
        return "–"
    r = frame.loc[key]
    return band(r["P50"], r["P10"], r["P90"], decimals=decimals, scale=scale)


def cumulative(data: RunData, variant: str) -> str:
    monthly = data.abm_monthly("ABM|Cost difference|Total")
    monthly = monthly[monthly["variant"] == variant]
    if monthly.empty:
        return empty("Keine kumulierte Differenz in diesem Lauf.")
    ends = monthly[monthly["month"] == 12].set_index("year")
    even = break_even(ends["P50"])
    sure = break_even(ends["P90"])
    index = pd.to_datetime(dict(year=monthly["year"], month=monthly["month"], day=1))
    frame = monthly.set_index(index)[["P10", "P50", "P90"]]
    png = report_charts.fan_chart(
        {"Sozialraumorientierung minus klassische Steuerung": frame},
        "Kumulierte Kostendifferenz seit Beginn",
        "Mio. €",
        "Jahr (Monatswerte)",
        scale=1e6,
        decimals=1,
        zero_line=True,
        marker=None
        if even is None
        else (pd.Timestamp(year=even, month=12, day=31), f"ausgeglichen Ende {even}"),
    )
    parts = [
        figure(
            png,
            "Kumulierte Kostendifferenz je Monat (Median und 80 %-Band der Differenz); unter null: "
            "Einsparung",
            "sro_kumuliert",
        )
    ]
    rows = [(str(y), band(r.P50, r.P10, r.P90, decimals=1, scale=1e6)) for y, r in ends.iterrows()]
    parts.append(
        table(["Ende des Jahres", "kumulierte Differenz Mio. € (P10–P90)"], rows, [False, True])
    )
    text = (
        f"Im Median sind die Mehrkosten der Umstellung ab Ende {even} ausgeglichen"
        if even is not None
        else "Im Median sind die Mehrkosten bis zum Ende des Zeitraums nicht ausgeglichen"
    )
    text += (
        f"; in 9 von 10 Replikationen ab Ende {sure}."
        if sure is not None
        else "; dass sie in 9 von 10 Replikationen ausgeglichen sind, zeigt der Zeitraum nicht."
    )
    parts.append(note(text))
    return "\n".join(parts)


def sensitivity(data: RunData) -> str:
    tornado = data.sensitivity()
    if tornado.empty:
        return empty("In diesem Lauf wurde keine Sensitivitätsanalyse gerechnet.")
    first, last, months = abm_period(data)
    horizon = sensitivity_months(data)
    end = first + horizon // 12 - 1
    cfg = data.manifest.get("config", {}).get("abm", {}).get("sensitivity", {})
    parts = [
        note(
            f"Zeitraum: Die Sensitivitätsanalyse misst die kumulierte Kostendifferenz nach "
            f"{horizon} Monaten (bis Ende {end}), das Ergebnis oben reicht bis Ende {last} "
            f"({months} Monate). Jede Annahme wird einzeln auf das untere und das obere Ende "
            f"ihres Bereichs gesetzt, die anderen bleiben; Mittelwert über "
            f"{int(cfg.get('replicates', 0))} Replikationen je Einstellung."
        ),
        figure(
            report_charts.tornado(
                tornado,
                f"Kumulierte Kostendifferenz bis Ende {end}: Wirkung jeder Annahme",
                "Abweichung vom Ergebnis mit den Grundannahmen",
            ),
            f"Sensitivität der kumulierten Kostendifferenz bis Ende {end} ({horizon} Monate)",
            "tornado",
        ),
    ]
    rows = [
        (
            r.label,
            f"{num(r.low, 2)} / {num(r.base, 2)} / {num(r.high, 2)}",
            num(r.outcome_low / 1e6, 1),
            num(r.outcome_base / 1e6, 1),
            num(r.outcome_high / 1e6, 1),
        )
        for r in tornado.itertuples()
    ]
    header = [
        "Annahme",
        "unten / Grundannahme / oben",
        "Differenz unten, Mio. €",
        "Differenz Grundannahme, Mio. €",
        "Differenz oben, Mio. €",
    ]
    parts.append(table(header, rows, [False, True, True, True, True]))
    return "\n".join(parts)
