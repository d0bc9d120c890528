"""The report chapters "Sozialraumanalyse" (stage ``social``) and "Wirkungsmonitor" (what the
monitor will be able to detect, for a baseline run made with the reform's start), in German."""

from __future__ import annotations

import pandas as pd

from forecast.contract import CITY_DISTRICT
from forecast.social.index import DYNAMICS_CLASSES, STATUS_CLASSES
from forecast.social.kennzahlen import KENNZAHLEN
from forecast.social.monitor import minimum_detectable_effect
from simulation.report_data import RunData
from simulation.report_html import band, empty, esc, note, num, table
from simulation.report_monitor import mde_html
from simulation.report_sections import planning_year

INDICATORS_DE = {
    "sgb2_rate_u15": "Kinder unter 15 Jahren im SGB-II-Bezug",
    "unemployment_rate": "Arbeitslosenanteil",
    "single_parent_share": "Haushalte Alleinerziehender",
    "migration_share_u18": "unter 18-Jährige mit Migrationshintergrund",
    "school_entry_findings": "Befunde der Schuleingangsuntersuchung",
}
FORMULAS_DE = {
    "population": "nach der Zahl der Einwohner unter 21 Jahren",
    "index": "nach Einwohnern unter 21 Jahren, gewichtet mit dem Statusindex",
    "jugendeinwohnerwert": "nach dem Jugendeinwohnerwert (Einwohner unter 21 Jahren, "
    "gewichtet mit Rangpunkten der Sozialindikatoren)",
}
SHOWN = ("Eckwert|HzE", "Eckwert|Stationary", "Stationary share", "Ambulant per stationary")


def _indicator(name: str) -> str:
    return INDICATORS_DE.get(name, f"Indikator {name.replace('_', ' ')}")


def _unit_name(data: RunData, code: str) -> str:
    return data.district_names.get(code, code)


def social_chapter(data: RunData) -> str:
    """The chapter "Sozialraumanalyse": index and classes, Kennzahlen, Sozialraumbudget."""
    social = data.manifest.get("social")
    if "social" not in data.models or not social:
        return empty("Die Sozialraumanalyse wurde in diesem Lauf nicht berechnet.")
    parts = [_index_part(data, social), "<h3>Kennzahlen der Hilfen zur Erziehung</h3>"]
    parts.append(_kennzahlen_part(data, social))
    parts += ["<h3>Sozialraumbudget</h3>", _budget_part(data, social)]
    return "\n".join(parts)


def _index_part(data: RunData, social: dict) -> str:
    index = social.get("index")
    if not index:
        return empty(
            "Für diese Stadt liegen keine Sozialindikatoren je Stadtteil vor: kein Sozialindex "
            "und keine Klassen. Das Sozialraumbudget wird nur nach den Einwohnern unter 21 "
            "Jahren verteilt."
        )
    weights = ", ".join(
        f"{_indicator(n)} ({num(100 * w, 0)} %)"
        for n, w in zip(index["indicators"], index["weights"], strict=True)
    )
    text = (
        f"Statusindex {index['year']}: jeder Indikator wird über die Stadtteile standardisiert "
        f"(z-Wert), gewichtet gemittelt und erneut standardisiert; ein positiver Wert bedeutet "
        f"mehr Bedarf als im mittleren Stadtteil. Indikatoren und Gewichte: {weights}. Klassen "
        f"wie im Berliner Monitoring Soziale Stadtentwicklung und im Hamburger RISE-"
        f"Sozialmonitoring: Status in vier Stufen ({', '.join(STATUS_CLASSES)}), Dynamik in drei "
        f"({', '.join(DYNAMICS_CLASSES)}). Die letzte Spalte zeigt, wie oft ein Stadtteil die "
        f"Statusklasse wechselt, wenn jedes Gewicht bis zum Doppelten oder zur Hälfte variiert."
    )
    rows = []
    for r in sorted(index["classes"], key=lambda r: -r["status"]):
        rows.append(
            (
                _unit_name(data, r["district"]),
                num(r["status"], 2),
                r["status_class"],
                num(r["dynamics"], 2) if "dynamics" in r else "–",
                r.get("dynamics_class", "–"),
                f"{num(100 * r['class_change'], 0)} %" if "class_change" in r else "–",
            )
        )
    header = ["Stadtteil", "Statusindex", "Status", "Dynamikindex", "Dynamik", "Klassenwechsel"]
    return f"<p>{esc(text)}</p>" + table(header, rows)


def _kennzahlen_part(data: RunData, social: dict) -> str:
    areas = [*social.get("wirkungsraeume", {}), CITY_DISTRICT]
    names = ", ".join(f"'{k}'" for k in (f"Kennzahl|{s}" for s in SHOWN))
    frame = data.query(
        f"""SELECT district, year, variable, statistic, quantile, value FROM results
        WHERE model = 'social' AND variable IN ({names})"""
    )
    if frame.empty:
        return empty("Keine Kennzahlen berechnet.")
    observed = frame[frame["statistic"] == "value"]
    projected = frame[frame["statistic"] == "quantile"]
    last = int(observed["year"].max()) if not observed.empty else None
    ahead = planning_year(sorted(projected["year"].unique().tolist()))
    rows = []
    for area in areas:
        for key in SHOWN:
            var = f"Kennzahl|{key}"
            decimals = 2 if key in ("Stationary share", "Ambulant per stationary") else 0
            past = observed[(observed["district"] == area) & (observed["variable"] == var)]
            past = past[past["year"] == last]["value"]
            q = projected[
                (projected["district"] == area)
                & (projected["variable"] == var)
                & (projected["year"] == ahead)
            ].set_index("quantile")["value"]
            future = (
                band(
                    q.get(0.5, float("nan")),
                    q.get(0.1, float("nan")),
                    q.get(0.9, float("nan")),
                    decimals,
                )
                if not q.empty
                else "–"
            )
            rows.append(
                (
                    _unit_name(data, area),
                    KENNZAHLEN[key].label,
                    num(float(past.iloc[0]), decimals) if len(past) else "–",
                    future,
                )
            )
    text = (
        "Kennzahlen im Stil der Vergleichsringe: Fälle (Bestand am 31.12. und beendete Hilfen) je "
        "10.000 Einwohner unter 21 Jahren ohne Erziehungsberatung, Anteil der stationären Hilfen "
        "(Vollzeitpflege und Heimerziehung) und ambulante je stationäre Hilfe; je Wirkungsraum und "
        "für die ganze Stadt. Vorausberechnung: Median mit 80-%-Band."
    )
    header = [
        "Gebiet",
        "Kennzahl",
        f"beobachtet {last}" if last else "beobachtet",
        f"vorausberechnet {ahead}",
    ]
    return note(text) + table(header, rows)


def budget_frame(data: RunData) -> pd.DataFrame:
    """Budget share and Planbudget per Wirkungsraum and year (columns area, year, share, eur)."""
    frame = data.query(
        """SELECT district AS area, year, variable, value FROM results
        WHERE model = 'social' AND variable IN ('Social|Budget share', 'Social|Planbudget')"""
    )
    if frame.empty:
        return frame
    wide = frame.pivot_table(index=["area", "year"], columns="variable", values="value")
    wide = wide.rename(columns={"Social|Budget share": "share", "Social|Planbudget": "eur"})
    return wide.reset_index()


def _budget_part(data: RunData, social: dict) -> str:
    wide = budget_frame(data)
    if wide.empty:
        return empty("Kein Sozialraumbudget berechnet.")
    years = sorted(wide["year"].unique().tolist())
    shown = sorted({years[0], planning_year(years)})
    rows = []
    for area in [*social.get("wirkungsraeume", {}), CITY_DISTRICT]:
        cells = [_unit_name(data, area)]
        for year in shown:
            r = wide[(wide["area"] == area) & (wide["year"] == year)]
            share = r["share"].iloc[0] if len(r) and "share" in r else float("nan")
            cells += [
                f"{num(100 * share, 1)} %" if pd.notna(share) else "100 %",
                num(r["eur"].iloc[0] / 1e6, 2) if len(r) else "–",
            ]
        rows.append(cells)
    header = ["Wirkungsraum"]
    for year in shown:
        header += [f"Anteil {year}", f"Planbudget {year} (Mio. Euro)"]
    text = (
        f"Das Planbudget der Stadt (erwartete Kosten der Hilfen im Sozialraumbudget nach der "
        f"Vorausberechnung) wird {FORMULAS_DE.get(social.get('formula'), '')} auf die "
        "Wirkungsräume verteilt. Das Systemmodell verwendet diese Aufteilung, wenn die "
        "Sozialraumorientierung gerechnet wird."
    )
    return note(text) + table(header, rows, total_rows=[len(rows) - 1])


def monitor_chapter(data: RunData) -> str:
    """The chapter "Wirkungsmonitor" of a run's report: the detectable effects in advance."""
    start = data.manifest.get("config", {}).get("hze", {}).get("reform_start")
    if not start or "social" not in data.models:
        return empty(
            "Dieser Lauf ist kein Basislauf eines Wirkungsmonitors. Dafür wird die Vorausberechnung "
            "mit dem Reformbeginn (Monat und Jahr) und mit der Sozialraumanalyse erstellt; sie "
            "nutzt dann nur die Daten bis zum Jahr vor dem Start und zeigt, was ohne Reform zu "
            "erwarten wäre."
        )
    frame = data.query(
        """SELECT district AS unit, substr(variable, 10) AS kennzahl, year, quantile, value
        FROM results WHERE model = 'social' AND statistic = 'quantile'
        AND variable LIKE 'Kennzahl|%'"""
    )
    social = data.manifest.get("social", {})
    shown = [*social.get("wirkungsraeume", {}), CITY_DISTRICT]
    frame = frame[frame["unit"].isin(shown) & frame["kennzahl"].isin(SHOWN)]
    year = int(str(start)[:4])
    mde = minimum_detectable_effect(frame, year)
    names = {u: _unit_name(data, u) for u in shown}
    text = (
        f"Basislauf für den Wirkungsmonitor: Reformbeginn {str(start)[5:]}/{str(start)[:4]}, "
        "Vorausberechnung nur mit den Daten bis zum Vorjahr. Sobald die Daten der Jahre seit dem "
        "Start vorliegen, vergleicht der Wirkungsmonitor die beobachteten Kennzahlen mit dem Band "
        "dieses Laufs. Schon jetzt lässt sich sagen, wie groß eine Wirkung sein muss, um erkannt "
        "zu werden:"
    )
    return f"<p>{esc(text)}</p>" + mde_html(mde, names, 0.1, 0.8)
