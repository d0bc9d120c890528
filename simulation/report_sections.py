"""The content sections of the report: Bevölkerung, Kita, HzE, Szenarienvergleich, Sensitivität.

Each function takes the run's data (``simulation.report_data.RunData``) and returns the body of
its section as HTML. A section whose stage did not run says so instead of failing: the report
stage must work whichever stages ran before it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.contract import CITY_DISTRICT
from forecast.hze.catalogue import CATALOGUE
from simulation import figures, report_charts
from simulation.confidentiality import FOOTNOTE, suppress_frame, with_margins
from simulation.report_data import RunData
from simulation.report_html import band, empty, figure, note, num, table


def paragraph(code: str) -> str:
    """Hilfeart code -> paragraph label: ``p27_2`` -> "§ 27.2", ``p35a`` -> "§ 35a"."""
    return "§ " + code[1:].replace("_", ".")


def planning_year(years: list[int], ahead: int = 5) -> int:
    """The year ``ahead`` years after the first projected one (or the last year)."""
    return min(years[0] + ahead, years[-1])


def population(data: RunData) -> str:
    if "population" not in data.models:
        return empty("Die Bevölkerung wurde in diesem Lauf nicht berechnet.")
    total = data.bands("Population|Total")
    years = [int(y) for y in total.index]
    y0, y1 = years[0], years[-1]
    parts = []
    base, later = data.pyramid(y0), data.pyramid(y1)
    if base is not None and later is not None:
        import io

        buffer = io.BytesIO()
        city = data.district_names[CITY_DISTRICT]
        figures.pyramid(buffer, f"{city}: Altersaufbau {y0} und {y1}", base, later, y0, y1)
        parts.append(
            figure(
                buffer.getvalue(),
                f"Altersaufbau {y0} (Linie) und {y1} (Balken, Variante)",
                "pyramide",
            )
        )
    change = 100 * (total / float(total.loc[y0, "P50"]) - 1)
    parts.append(
        figure(
            report_charts.fan_chart(
                {"Einwohner": change},
                f"{data.district_names[CITY_DISTRICT]}: Veränderung der Einwohnerzahl seit {y0}",
                f"Veränderung gegenüber {y0} in %",
                "Jahr (Stichtag 31.12.)",
                decimals=1,
                zero_line=True,
            ),
            f"Einwohner der Stadt: Veränderung gegenüber {y0} in Prozent (Median und 80 %-Band, "
            "wo Simulationsläufe vorliegen); die Zahlen je Stadtteil stehen in der Tabelle",
            "einwohner",
        )
    )
    first = data.bands_by_district("Population|Total", y0)
    last = data.bands_by_district("Population|Total", y1)
    young = data.query(
        f"""
        SELECT district, year, sum(value) AS value FROM results
        WHERE model = 'population' AND statistic = 'value' AND year IN ({y0}, {y1})
              AND regexp_matches(variable, '^Population\\|[fm]\\|([0-9]|1[0-7])$')
        GROUP BY ALL
        """
    ).pivot_table(index="district", columns="year", values="value")
    expected = data.expected_error("Total", y1)
    rows, totals = [], []
    for code in [*[c for c in data.district_names if c != CITY_DISTRICT], CITY_DISTRICT]:
        if code not in first.index or code not in last.index:
            continue
        a, b = first.loc[code], last.loc[code]
        change = 100 * (b["P50"] / a["P50"] - 1) if a["P50"] else np.nan
        kids = young.loc[code] if code in young.index else pd.Series(dtype=float)
        if code == CITY_DISTRICT:
            totals.append(len(rows))
        rows.append(
            (
                data.district_names.get(code, code),
                num(a["P50"]),
                band(b["P50"], b["P10"], b["P90"]),
                f"{num(change, 1)} %",
                num(kids.get(y0, np.nan)),
                num(kids.get(y1, np.nan)),
                f"± {num(expected[code], 1)} %" if code in expected.index else "–",
            )
        )
    parts.append(f"<h3>Stadtteile: Einwohner {y0} und {y1}</h3>")
    parts.append(
        table(
            [
                "Stadtteil",
                f"{y0}",
                f"{y1} Median (P10–P90)",
                "Veränderung",
                f"unter 18 {y0}",
                f"unter 18 {y1} (Variante)",
                f"erwarteter Fehler {y1}",
            ],
            rows,
            [False, True, True, True, True, True, True],
            totals,
        )
    )
    text = f"Stichtag 31.12.; {y0} = Basisjahr (Melderegister)."
    if len(expected):
        text += (
            " Erwarteter Fehler: mittlere absolute Abweichung der Einwohnerzahl eines Stadtteils "
            "dieser Größe in Rückrechnungen der Stadt (Prognosen aus früheren Jahren mit dem "
            "Melderegister verglichen); jenseits der geprüften Jahre linear fortgeschrieben."
        )
    parts.append(note(text))
    return "\n".join(parts)


KITA_DEMAND = {
    "Kita|Demand|U3": "Kita-Bedarf U3 (Kita + Tagespflege)",
    "Kita|Demand|Ue3": "Kita-Bedarf Ü3",
}
"""The one definition of each Kita Kennzahl the report names (variable -> German label)."""
U3_IN_KITAS = "davon in Kitas"
"""The part of the U3 demand met in Kitas (without Kindertagespflege): what places serve."""


def kita_year(year: int) -> str:
    """Kita year starting 1 August of ``year``: 2025 -> "2025/26"."""
    return f"{year}/{(year + 1) % 100:02d}"


def kita(data: RunData) -> str:
    if "kita" not in data.models:
        return empty("Die Kindertagesbetreuung wurde in diesem Lauf nicht berechnet.")
    years = data.years("kita", "Kita|Demand|")
    target = planning_year(years)
    city_name = data.district_names[CITY_DISTRICT]
    series = {label: data.bands(v) for v, label in KITA_DEMAND.items()}
    series["Kita-Bedarf U3, davon in Kitas"] = data.bands("Kita|Demand|U3|Kita")
    parts = [
        figure(
            report_charts.fan_chart(
                series, f"{city_name}: Kita-Bedarf", "Kinder", "Kita-Jahr (Beginn 1. August)"
            ),
            "Kita-Bedarf der Stadt je Kita-Jahr; U3 mit Kindertagespflege und der Teil in Kitas",
            "kita_bedarf",
        )
    ]
    has_places = not data.bands("Kita|Places|U3").empty
    for group, label in (("U3", "unter 3 Jahre"), ("Ue3", "3 Jahre bis Schuleintritt")):
        variable = "Kita|Demand|U3|Kita" if group == "U3" else "Kita|Demand|Ue3"
        demand = data.bands_by_district(variable, target)
        demand = demand.reindex(
            [c for c in data.district_names if c in demand.index and c != CITY_DISTRICT]
        )
        places = data.bands_by_district(f"Kita|Places|{group}", target)
        seats = places["P50"].reindex(demand.index) if has_places and not places.empty else None
        names = [data.district_names.get(c, c) for c in demand.index]
        what = "Bedarf in Kitas" if group == "U3" else "Bedarf"
        title = f"{what} {'und Plätze ' if seats is not None else ''}{label}"
        parts.append(
            figure(
                report_charts.district_bars(
                    names, demand, seats, f"{title}, Kita-Jahr {kita_year(target)}"
                ),
                f"{title} je Stadtteil" + (" (ohne Kindertagespflege)" if group == "U3" else ""),
                f"kita_stadtteile_{group.lower()}",
            )
        )
    columns = [("Kita|Demand|U3", "U3-Bedarf (Kita + Tagespflege)")]
    columns.append(("Kita|Demand|U3|Kita", f"U3 {U3_IN_KITAS}"))
    if has_places:
        columns += [("Kita|Places|U3", "U3-Plätze"), ("Kita|Gap|U3", "U3-Lücke")]
    columns.append(("Kita|Demand|Ue3", "Ü3-Bedarf"))
    if has_places:
        columns += [("Kita|Places|Ue3", "Ü3-Plätze"), ("Kita|Gap|Ue3", "Ü3-Lücke")]
    first = years[0]
    frames = {
        (year, v): data.bands_by_district(v, year) for year in (first, target) for v, _ in columns
    }
    codes = [c for c in data.district_names if c in frames[(first, "Kita|Demand|U3")].index]
    codes = [c for c in codes if c != CITY_DISTRICT] + [CITY_DISTRICT]
    header = ["Stadtteil"] + [
        f"{label} {kita_year(year)}" for year in (first, target) for _, label in columns
    ]
    rows, totals = [], []
    for code in codes:
        row = [data.district_names.get(code, code)]
        for year in (first, target):
            for v, _ in columns:
                frame = frames[(year, v)]
                row.append(
                    band(*frame.loc[code, ["P50", "P10", "P90"]]) if code in frame.index else "–"
                )
        if code == CITY_DISTRICT:
            totals.append(len(rows))
        rows.append(row)
    expected = data.expected_error("0-5", target)
    if len(expected):
        header.append(f"erwarteter Fehler Kinder 0–5, {target}")
        for code, row in zip(codes, rows, strict=True):
            row.append(f"± {num(expected[code], 1)} %" if code in expected.index else "–")
    what = "Bedarf, Plätze und Lücke" if has_places else "Bedarf"
    parts.append(
        f"<h3>{what} je Stadtteil, Kita-Jahre {kita_year(first)} und {kita_year(target)}</h3>"
    )
    parts.append(table(header, rows, [False] + [True] * (len(header) - 1), totals))
    text = (
        "Kita-Bedarf U3 = Kinder unter 3 Jahren, deren Eltern einen Platz in Kita oder "
        "Kindertagespflege wünschen; davon in Kitas = der Teil, den Kitas decken (ohne "
        "Kindertagespflege). Median (P10–P90)."
    )
    if has_places:
        text += " Lücke = Bedarf in Kitas minus Plätze (positiv: Plätze fehlen)."
    else:
        text += " Für diese Stadt liegen keine Platzzahlen vor: der Bericht zeigt nur den Bedarf."
    parts.append(note(text))
    return "\n".join(parts)


def hze(data: RunData, suppress_below: int, secondary: bool) -> str:
    if "hze" not in data.models:
        return empty("Die Hilfen zur Erziehung wurden in diesem Lauf nicht berechnet.")
    years = data.years("hze", "HzE|Cases|")
    target = planning_year(years)
    cost_total = data.bands("HzE|Cost|Total", model="hze")
    scale, unit, decimals = report_charts.money(cost_total.to_numpy())
    parts = [
        figure(
            report_charts.fan_chart(
                {"Kosten (nominal)": cost_total},
                f"{data.district_names[CITY_DISTRICT]}: Kosten der Hilfen zur Erziehung",
                unit,
                "Haushaltsjahr",
                scale=scale,
                decimals=decimals,
            ),
            "Kosten je Haushaltsjahr, nominal (Median, P10–P90)",
            "hze_kosten",
        ),
        figure(
            report_charts.fan_chart(
                {"Fallzahl": data.bands("HzE|Cases|Total", model="hze")},
                f"{data.district_names[CITY_DISTRICT]}: Fallzahl der Hilfen zur Erziehung",
                "Fälle",
                "Jahr",
            ),
            "Fallzahl (laufend am 31.12. + beendet), alle Hilfearten (Median, P10–P90)",
            "hze_faelle",
        ),
    ]
    cost = data.hze_cost_by_hilfeart()
    shown = sorted({years[0], target, years[-1]})
    rows, totals = [], []
    for code in [*[c for c in CATALOGUE if c in set(cost["code"])], "Total"]:
        c = cost[cost["code"] == code].set_index("year")
        if c.empty:
            continue
        if code == "Total":
            totals.append(len(rows))
        label = "Insgesamt" if code == "Total" else CATALOGUE[code].label
        rows.append(
            [label]
            + [
                band(*c.loc[y, ["P50", "P10", "P90"]], decimals=1, scale=1e3)
                for y in shown
                if y in c.index
            ]
        )
    parts.append("<h3>Kosten je Hilfeart (Tsd. €, nominal)</h3>")
    parts.append(table(["Hilfeart", *map(str, shown)], rows, [False] + [True] * len(shown), totals))
    parts.append(
        note(
            "Median (P10–P90). Die Zeile Insgesamt ist die Verteilung der Summe, nicht "
            "die Summe der Mediane."
        )
    )
    cases = data.hze_cases_by_district(years[0])
    if not cases.empty:
        parts.append(f"<h3>Fallzahl je Stadtteil und Hilfeart, {years[0]} (Median)</h3>")
        parts.append(district_hilfeart_table(data, cases, suppress_below, secondary))
    return "\n".join(parts)


def district_hilfeart_table(
    data: RunData, cases: pd.DataFrame, threshold: int, secondary: bool
) -> str:
    """District x Hilfeart case table with statistical confidentiality."""
    codes = [c for c in cases.columns if c != "Total"]
    districts = [c for c in data.district_names if c in cases.index and c != CITY_DISTRICT]
    full = with_margins(cases, districts, codes)
    shown, mask = suppress_frame(full, threshold, secondary)
    names = {**data.district_names, CITY_DISTRICT: "Stadt"}
    rows = [[names.get(code, code), *shown.loc[code].tolist()] for code in full.index]
    header = ["Stadtteil", *[paragraph(c) for c in codes], "Insgesamt"]
    body = table(
        header,
        rows,
        [False] + [True] * (len(codes) + 1),
        [len(rows) - 1] if CITY_DISTRICT in cases.index else [],
    )
    text = FOOTNOTE.format(threshold=threshold) if threshold > 0 else "Keine Geheimhaltung."
    return body + note(f"{text} {int(mask.sum())} Zelle(n) betroffen.")
