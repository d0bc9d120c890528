"""The report chapter "Ganztag an Grundschulen": rollout, gap per school, cost, Kita to school.

Reads the run's ``ganztag`` results (``simulation.stage_ganztag``) and, where the Kita stage ran,
its school-entry cohort, and returns the chapter's HTML body in German. A run without the stage
gets a one-line note, as every chapter does.
"""

from __future__ import annotations

import numpy as np

from forecast.contract import CITY_DISTRICT
from forecast.ganztag.project import SCHOOL_PREFIX
from simulation import report_charts
from simulation.report_data import RunData
from simulation.report_html import band, empty, figure, note, table

PATHS_DE = {
    "status_quo": "die heutige Ganztagsquote der Stadt bleibt",
    "q64": "64 % der anspruchsberechtigten Kinder (Elternbedarf laut GaFöG-Bericht)",
    "q73": "73 % der anspruchsberechtigten Kinder (Elternwunsch laut IW 2022)",
    "q80": "80 % der anspruchsberechtigten Kinder (über der DJI-Kostenstudie 2019)",
    "history": "die Ganztagsquote der Stadt wird aus ihren beobachteten Jahren fortgeschrieben",
}
FULL_ROLLOUT = 2029
"""School year 2029/30: the entitlement covers grades 1-4 (the report's key year)."""


def school_year(year: int) -> str:
    return f"{year}/{(year + 1) % 100:02d}"


def ganztag(data: RunData) -> str:
    if "ganztag" not in data.models:
        return empty("Der Ganztag an Grundschulen wurde in diesem Lauf nicht berechnet.")
    years = data.years("ganztag", "Ganztag|Demand|Total")
    info = data.manifest.get("ganztag", {})
    key = FULL_ROLLOUT if FULL_ROLLOUT in years else years[-1]
    city = data.district_names[CITY_DISTRICT]
    has_places = not data.bands("Ganztag|Places|Total", model="ganztag").empty
    series = {
        "Grundschulkinder (Klassen 1–4)": data.bands("Ganztag|Children|Total", model="ganztag"),
        "mit Rechtsanspruch": data.bands("Ganztag|Entitled", model="ganztag"),
        "Bedarf": data.bands("Ganztag|Demand|Total", model="ganztag"),
    }
    if has_places:
        series["Plätze"] = data.bands("Ganztag|Places|Total", model="ganztag")
    rollout = info.get("rollout", {})
    first = int(rollout.get("first_school_year", 2026))
    parts = [
        "<p>"
        + (
            f"Seit dem Schuljahr {school_year(first)} haben Kinder der ersten Klasse einen "
            "Rechtsanspruch auf Ganztagsbetreuung (8 Stunden an 5 Werktagen, Unterricht "
            "eingerechnet; bis zu 4 Wochen Schließzeit in den Ferien); er wächst jedes Jahr um "
            f"eine Klassenstufe und umfasst ab {school_year(first + 3)} die Klassen 1 bis 4. "
            f"Annahme zur Inanspruchnahme: {PATHS_DE.get(info.get('takeup_path'), '–')}; "
            f"heutige Ganztagsquote {100 * float(info.get('status_quo', np.nan)):.0f} %."
        )
        + "</p>",
        figure(
            report_charts.fan_chart(
                series,
                f"{city}: Grundschulkinder, Rechtsanspruch, Bedarf",
                "Kinder bzw. Plätze",
                "Schuljahr (Beginn 1. August)",
            ),
            "Stufenweiser Rechtsanspruch: Kinder mit Anspruch, Ganztagsbedarf und Plätze je "
            "Schuljahr (Median und 80 %-Band, wo Simulationsläufe vorliegen)",
            "ganztag_ausbau",
        ),
    ]
    parts += _areas(data, key, has_places)
    parts += _cost(data, years, info)
    parts += _transition(data, years)
    text = (
        "Bedarf = Grundschulkinder × Inanspruchnahme; davon ganztags (8 Stunden) und nur "
        "Übermittag (bis etwa 14 Uhr); Ferienbetreuung ist ein Teil des Ganztagsbedarfs. "
        "Schulanfänger nach dem Einschulungsstichtag des Landes, mit vorzeitigen Einschulungen, "
        "Zurückstellungen und Wiederholern (Annahmen)."
    )
    if has_places:
        text += (
            " Lücke = Bedarf minus Plätze (positiv: Plätze fehlen); die Plätze einer Schule "
            "zählen für ihre Stadtteile im Verhältnis ihres Bedarfs."
        )
    else:
        text += (
            " Für diese Stadt liegen keine Ganztagsplätze vor: der Bericht zeigt nur den Bedarf."
        )
    parts.append(note(text))
    return "\n".join(parts)


def _area_name(data: RunData, code: str) -> str:
    if code.startswith(SCHOOL_PREFIX):  # a school code: its words, without - and _
        return code.removeprefix(SCHOOL_PREFIX).replace("_", " ").replace("-", " ")
    return data.district_names.get(code, code)


def _areas(data: RunData, key: int, has_places: bool) -> list[str]:
    demand = data.bands_by_district("Ganztag|Demand|Total", key)
    schools = [c for c in demand.index if c.startswith(SCHOOL_PREFIX)]
    districts = [c for c in data.district_names if c in demand.index and c != CITY_DISTRICT]
    shown = sorted(schools) or districts
    what = "Grundschule" if schools else "Stadtteil"
    out = []
    places = data.bands_by_district("Ganztag|Places|Total", key) if has_places else None
    seats = places["P50"].reindex(shown) if places is not None else None
    title = f"Ganztagsbedarf{' und Plätze' if has_places else ''} je {what}, {school_year(key)}"
    out.append(
        figure(
            report_charts.district_bars(
                [_area_name(data, c) for c in shown], demand.reindex(shown), seats, title
            ),
            title,
            "ganztag_schulen",
        )
    )
    columns = [
        ("Ganztag|Children|Total", "Kinder 1–4"),
        ("Ganztag|Entitled", "mit Anspruch"),
        ("Ganztag|Demand|Full day", "Bedarf ganztags"),
        ("Ganztag|Demand|Lunchtime", "Bedarf Übermittag"),
    ]
    if has_places:
        columns += [("Ganztag|Places|Total", "Plätze"), ("Ganztag|Gap", "Lücke")]
    frames = {v: data.bands_by_district(v, key) for v, _ in columns}
    rows, totals = [], []
    for code in [*shown, *([c for c in districts] if schools else []), CITY_DISTRICT]:
        if code == CITY_DISTRICT:
            totals.append(len(rows))
        row = [_area_name(data, code)]
        for v, _ in columns:
            f = frames[v]
            row.append(band(*f.loc[code, ["P50", "P10", "P90"]]) if code in f.index else "–")
        rows.append(row)
    header = ["Grundschule bzw. Stadtteil" if schools else "Stadtteil"]
    header += [label for _, label in columns]
    out.append(
        f"<h3>Bedarf{', Plätze und Lücke' if has_places else ''} im Schuljahr {school_year(key)}</h3>"
    )
    out.append(table(header, rows, [False] + [True] * len(columns), totals))
    return out


def _cost(data: RunData, years: list[int], info: dict) -> list[str]:
    running = data.bands("Ganztag|Cost|Running", model="ganztag")
    invest = data.bands("Ganztag|Cost|Investment", model="ganztag")
    series = {"Laufende Kosten": running}
    if not invest.empty:
        series["Investitionen"] = invest
    values = np.concatenate([s.to_numpy().ravel() for s in series.values()])
    scale, unit, decimals = report_charts.money(values)
    out = [
        figure(
            report_charts.fan_chart(
                series,
                "Kosten des Ganztags (nominal)",
                unit,
                "Schuljahr (Beginn 1. August)",
                scale=scale,
                decimals=decimals,
            ),
            f"Laufende Kosten und Investitionen der Stadt je Schuljahr in {unit}, nominal",
            "ganztag_kosten",
        )
    ]
    funding = info.get("funding", {})
    shown = [y for y in years if y >= 2026][:6] or years[:6]
    rows = []
    for y in shown:
        run = running.loc[y] if y in running.index else None
        inv = invest.loc[y] if y in invest.index else None
        row = [school_year(y)]
        row.append(
            band(run["P50"], run["P10"], run["P90"], decimals, scale) if run is not None else "–"
        )
        row.append(
            band(inv["P50"], inv["P10"], inv["P90"], decimals, scale) if inv is not None else "–"
        )
        total = (run["P50"] if run is not None else 0.0), (inv["P50"] if inv is not None else 0.0)
        municipal = total[0] * (
            1 - funding.get("running_federal", 0) - funding.get("running_land", 0)
        ) + total[1] * (
            1 - funding.get("investment_federal", 0) - funding.get("investment_land", 0)
        )
        row.append(band(municipal, np.nan, np.nan, decimals, scale))
        rows.append(row)
    out.append(f"<h3>Kosten je Schuljahr ({unit}, nominal)</h3>")
    out.append(
        table(
            ["Schuljahr", "Laufende Kosten", "Investitionen", "davon Stadt (Median)"],
            rows,
            [False, True, True, True],
        )
    )
    out.append(
        note(
            "Laufende Kosten aller genutzten Plätze nach Angebotsform, Investitionen für Plätze, "
            "die über die Lücke des Basisjahres hinaus fehlen; Anteil der Stadt nach den "
            "Finanzierungsanteilen von Bund und Land (Annahmen). Die Mappe finance.xlsx enthält "
            "alle Schuljahre im Blatt Ganztag."
        )
    )
    return out


def _transition(data: RunData, years: list[int]) -> list[str]:
    out = ["<h3>Von der Kita in die Schule</h3>"]
    if "kita" not in data.models:
        out.append(empty("Die Kindertagesbetreuung wurde in diesem Lauf nicht berechnet."))
        return out
    entry = data.bands("Kita|Children|School entry", model="kita")
    grade1 = data.bands("Ganztag|Children|Grade 1", model="ganztag")
    demand1 = data.bands("Ganztag|Demand|Total", model="ganztag")
    rows = []
    for y in years[1:7]:
        if y - 1 not in entry.index or y not in grade1.index:
            continue
        e, g = entry.loc[y - 1], grade1.loc[y]
        rows.append(
            [school_year(y), band(e["P50"], e["P10"], e["P90"]), band(g["P50"], g["P10"], g["P90"])]
        )
    out.append(
        table(
            ["Schuljahr", "Einschulungsjahrgang im letzten Kita-Jahr", "Kinder in Klasse 1"],
            rows,
            [False, True, True],
        )
    )
    out.append(
        note(
            "Der Einschulungsjahrgang des letzten Kita-Jahres ist die erste Klasse des folgenden "
            "Schuljahres; Unterschiede entstehen durch vorzeitige Einschulungen, Zurückstellungen, "
            "Wiederholer und Zu- und Fortzüge. Die Ü3-Plätze dieser Kinder werden frei, ihr "
            "Ganztagsbedarf entsteht in der Schule."
        )
        if len(demand1)
        else ""
    )
    return out
