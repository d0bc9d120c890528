"""The Wirkungsmonitor in German: the chapter of ``monitor.html``, of a run's report, and the
workbook sheet (``jhplan monitor``, ``simulation.monitor``).

The monitor's own page shows every comparison; a run's report shows in advance how large an
effect its bands let the monitor detect after 1, 2, 3 and 5 years (a baseline run made with the
reform's start), otherwise it says what the chapter needs.
"""

from __future__ import annotations

import string
from importlib import metadata
from pathlib import Path

import pandas as pd
from openpyxl import Workbook

from forecast.contract import CITY_DISTRICT
from forecast.social.kennzahlen import KENNZAHLEN
from simulation.finance_sheets import as_text, column_widths, header_row, sheet_title
from simulation.report_html import empty, esc, note, num, section, table

TEMPLATE = Path(__file__).with_name("report_template.html")

INTRO = (
    "Der Wirkungsmonitor vergleicht die beobachteten Kennzahlen seit dem Start der Reform mit dem, "
    "was das klassische System nach der Vorausberechnung ohne Reform erwarten ließ. Diese "
    "Vorausberechnung wurde nur mit Daten bis zum Jahr vor dem Start erstellt; ihr Band enthält "
    "die Unsicherheit der Bevölkerung, der Hilfequoten und den Zufall der Fallzahlen. Ein "
    "einfacher Vorher-nachher-Vergleich führt in die Irre (Berlin: HzE-Ausgaben 451 Mio. Euro "
    "2003, 318 Mio. Euro 2006, wieder 441 Mio. Euro 2013)."
)


def _label(key: str) -> str:
    return KENNZAHLEN[key].label


def _decimals(key: str) -> int:
    return 2 if key in ("Stationary share", "Ambulant per stationary") else 1


def _pct(x: float) -> str:
    return f"{num(round(100 * x) + 0.0, 0)} %"  # + 0.0: no "-0 %" for a small negative value


def _effect(row) -> str:
    return f"{_pct(row.effect)} ({_pct(row.effect_low)} bis {_pct(row.effect_high)})"


def monitor_html(result) -> str:
    """The chapter "Wirkungsmonitor" of ``monitor.html`` as a complete German page."""
    level = round(100 * (1 - result.alpha))
    t = result.table.sort_values(["unit", "kennzahl", "year"])
    rows = [
        (
            result.units.get(r.unit, r.unit),
            _label(r.kennzahl),
            int(r.year),
            num(r.observed, _decimals(r.kennzahl)),
            f"{num(r.median, _decimals(r.kennzahl))} ({num(r.low, _decimals(r.kennzahl))}–"
            f"{num(r.high, _decimals(r.kennzahl))})",
            _pct(r.p_below),
            _effect(r),
            "ja" if r.flagged else "nein",
        )
        for r in t.itertuples()
    ]
    parts = [
        f"<p>{esc(INTRO)}</p>",
        f"<p>{esc(f'Reformbeginn: {result.start[5:]}/{result.start[:4]}. Ein Wert ist auffällig, wenn er außerhalb des {level}-%-Bandes liegt; bei vielen Vergleichen ist das auch ohne Wirkung in etwa {100 - level} % der Fälle so.')}</p>",
        table(
            [
                "Gebiet",
                "Kennzahl",
                "Jahr",
                "beobachtet",
                f"ohne Reform: Median ({level}-%-Band)",
                "Wahrscheinlichkeit ohne Reform (so niedrig oder niedriger)",
                f"geschätzter Effekt ({level}-%-Intervall)",
                "auffällig",
            ],
            rows,
        ),
        "<h3>Vergleich mit anderen Jugendämtern (Differenz der Differenzen)</h3>",
        did_html(result),
        "<h3>Wann ist eine Wirkung erkennbar?</h3>",
        mde_html(result.mde, result.units, result.alpha, result.power),
    ]
    body = "\n".join(parts)
    title = f"Wirkungsmonitor {result.city}"
    # The report's page (styles, header, print layout), with this one chapter.
    return string.Template(TEMPLATE.read_text(encoding="utf-8")).substitute(
        title=esc(title),
        version=esc(_version()),
        header="",
        nav="",
        sections=section("wirkungsmonitor", "Beobachtet und ohne Reform erwartet", body),
        scripts="",
    )


def _version() -> str:
    try:
        return metadata.version("jhplan")
    except metadata.PackageNotFoundError:
        return "unknown"


def did_html(result) -> str:
    if result.did is None:
        return empty(
            "Keine Vergleichsdaten anderer Jugendämter im Datenordner: keine zweite Schätzung."
        )
    if result.did.empty:
        return empty(
            "Die Vergleichsdaten reichen nicht (mindestens zwei Jugendämter und ein Jahr vor "
            "dem Start je Kennzahl)."
        )
    rows = [
        (_label(r.kennzahl), int(r.year), int(r.peers), _effect(r), "ja" if r.flagged else "nein")
        for r in result.did.itertuples()
    ]
    return note(
        "Veränderung der eigenen Kennzahl seit den Jahren vor dem Start, abzüglich der mittleren "
        "Veränderung bei den Vergleichs-Jugendämtern (logarithmisch); das Intervall folgt aus der "
        "Streuung der Veränderungen zwischen den Vergleichs-Jugendämtern."
    ) + table(
        ["Kennzahl", "Jahr", "Vergleichs-Jugendämter", "Effekt (Intervall)", "auffällig"], rows
    )


def mde_html(mde: pd.DataFrame, units: dict[str, str], alpha: float, power: float) -> str:
    """The minimum detectable effects as a German table (years after the start as columns)."""
    if mde.empty:
        return empty("Die Vorausberechnung reicht nicht bis ins erste Jahr nach dem Start.")
    wide = mde.pivot_table(index=["unit", "kennzahl"], columns="years_after", values="mde")
    after = list(wide.columns)
    rows = [
        (units.get(u, u), _label(k), *[_pct(v) if pd.notna(v) else "–" for v in wide.loc[(u, k)]])
        for u, k in wide.index
    ]
    text = (
        f"Kleinste Senkung gegenüber dem Erwartungswert ohne Reform, die der Monitor mit "
        f"{round(100 * power)} % Wahrscheinlichkeit als auffällig erkennt (Fehlerrate "
        f"{round(100 * alpha)} %), im jeweiligen Jahr nach dem Start. Die Bänder werden mit jedem "
        "Jahr breiter; Wirkungen der Sozialraumorientierung brauchen nach den Erfahrungen anderer "
        "Städte drei bis fünf Jahre."
    )
    return note(text) + table(
        ["Gebiet", "Kennzahl", *[f"nach {a} Jahr{'en' if a > 1 else ''}" for a in after]], rows
    )


def monitor_workbook(result) -> Workbook:
    """``monitor.xlsx``: the sheet "Wirkungsmonitor" (and the MDE), German headers."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet_title(wb, "Wirkungsmonitor")
    monitor_sheet(ws, result.table, result.units)
    mde = wb.create_sheet(sheet_title(wb, "Erkennbare Wirkung"))
    header_row(
        mde, 1, ["Gebiet", "Kennzahl", "Jahre nach Start", "Jahr", "Min. erkennbare Senkung"]
    )
    for r in result.mde.itertuples():
        mde.append(
            [
                result.units.get(r.unit, r.unit),
                _label(r.kennzahl),
                int(r.years_after),
                int(r.year),
                float(r.mde),
            ]
        )
    column_widths(mde)
    if result.did is not None and not result.did.empty:
        did = wb.create_sheet(sheet_title(wb, "Vergleichsring"))
        header_row(did, 1, ["Kennzahl", "Jahr", "Vergleichs-Jugendämter", "Effekt", "von", "bis"])
        for r in result.did.itertuples():
            did.append(
                [
                    _label(r.kennzahl),
                    int(r.year),
                    int(r.peers),
                    r.effect,
                    r.effect_low,
                    r.effect_high,
                ]
            )
        column_widths(did)
    as_text(wb)
    return wb


def monitor_sheet(ws, t: pd.DataFrame, units: dict[str, str]) -> None:
    """The comparisons, one row each, into a worksheet."""
    header_row(
        ws,
        1,
        [
            "Gebiet",
            "Kennzahl",
            "Jahr",
            "beobachtet",
            "ohne Reform P5",
            "ohne Reform Median",
            "ohne Reform P95",
            "Wahrscheinlichkeit ohne Reform",
            "Effekt",
            "Effekt von",
            "Effekt bis",
            "auffällig",
        ],
    )
    for r in t.sort_values(["unit", "kennzahl", "year"]).itertuples():
        ws.append(
            [
                units.get(r.unit, r.unit if r.unit != CITY_DISTRICT else "Stadt"),
                _label(r.kennzahl),
                int(r.year),
                float(r.observed),
                float(r.low),
                float(r.median),
                float(r.high),
                float(r.p_below),
                float(r.effect),
                float(r.effect_low),
                float(r.effect_high),
                "ja" if r.flagged else "nein",
            ]
        )
    column_widths(ws)
