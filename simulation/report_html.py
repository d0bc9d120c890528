"""HTML building blocks of the report: escaped tables, embedded figures and the glossary. No external CSS, script or image: a figure is a ``data:`` URI, so the file works offline."""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Iterator, Sequence

import numpy as np

from forecast.hze.catalogue import CATALOGUE
from forecast.params import is_parameter
from simulation.confidentiality import SUPPRESSED
from simulation.report_charts import german

Cell = str | float | int | None


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def num(value: Cell, decimals: int = 0) -> str:
    """A number in German notation; '–' for missing; text (e.g. "•") unchanged."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    if isinstance(value, str):
        return value
    return german(float(value), decimals)


def band(p50: float, p10: float, p90: float, decimals: int = 0, scale: float = 1.0) -> str:
    """'P50 (P10–P90)', or just the value when the band has no width."""
    mid = num(p50 / scale, decimals)
    if not (np.isfinite(p10) and np.isfinite(p90)) or np.isclose(p10, p90):
        return mid
    sep = "–" if p10 >= 0 else " bis "  # "-1.891–-579" would be hard to read
    return f"{mid} ({num(p10 / scale, decimals)}{sep}{num(p90 / scale, decimals)})"


def table(
    header: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    numeric: Sequence[bool] | None = None,
    total_rows: Sequence[int] = (),
    decimals: int = 0,
) -> str:
    """An HTML table; numbers formatted German, right-aligned; ``total_rows`` in bold."""
    numeric = numeric or [False] * len(header)
    out = ["<table>", "<tr>" + "".join(f"<th>{esc(h)}</th>" for h in header) + "</tr>"]
    for i, row in enumerate(rows):
        cls = ' class="total"' if i in total_rows else ""
        cells = []
        for value, is_num in zip(row, numeric, strict=True):
            if is_num:
                cells.append(f'<td class="num">{esc(num(value, decimals))}</td>')
            else:
                cells.append(f"<td>{esc('' if value is None else value)}</td>")
        out.append(f"<tr{cls}>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def figure(png: bytes, caption: str, name: str) -> str:
    """An embedded PNG with caption; ``name`` identifies it (``data-name``) for tests."""
    data = base64.b64encode(png).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{esc(caption)}" '
        f'data-name="{esc(name)}"><figcaption>{esc(caption)}</figcaption></figure>'
    )


def empty(text: str) -> str:
    return f'<p class="empty">{esc(text)}</p>'


def note(text: str) -> str:
    return f'<p class="note">{esc(text)}</p>'


def section(ident: str, title: str, body: str) -> str:
    return f'<section id="{ident}">\n<h2>{esc(title)}</h2>\n{body}\n</section>'


def parameters(config: dict, prefix: str = "") -> Iterator[tuple[str, dict]]:
    """Every documented parameter (value, unit, source, range) of a resolved config, by key."""
    for key, node in config.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if is_parameter(node):
            yield path, node
        elif isinstance(node, dict):
            yield from parameters(node, path)


def show_value(value: object) -> str:
    if isinstance(value, float):
        return num(value, 4).rstrip("0").rstrip(",")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def glossary(suppress_below: int) -> str:
    """The Glossar section body (German terms of art, once explained)."""
    terms = [
        (
            "Betreuungsquote",
            "Kinder in Kindertagesbetreuung am 1. März je Kind derselben Altersgruppe "
            "am 31.12. des Vorjahres (Konvention des Statistischen Bundesamts).",
        ),
        ("U3 / Ü3", "Kinder unter 3 Jahren / von 3 Jahren bis zum Schuleintritt."),
        (
            "Kita-Bedarf U3",
            "Kinder unter 3 Jahren, deren Eltern einen Platz in Kita oder Kindertagespflege "
            "wünschen; „davon in Kitas“ ist der Teil ohne Kindertagespflege.",
        ),
        ("Kita-Jahr", "1. August bis 31. Juli; 2025 steht für das Kita-Jahr 2025/26."),
        (
            "Bedarf, Plätze, Lücke",
            "Bedarf = Kinder, deren Eltern einen Platz wünschen (Bedarfsquote); "
            "Lücke = Bedarf in Kitas minus vorhandene Plätze (positiv: Plätze fehlen).",
        ),
        (
            "Hilfen zur Erziehung (HzE)",
            "Leistungen nach §§ 27-35 SGB VIII, hier mit § 35a "
            "(Eingliederungshilfe) und § 41 (junge Volljährige).",
        ),
        ("Hilfeart", "; ".join(h.label for h in CATALOGUE.values()) + "."),
        (
            "Fallzahl",
            "Am 31.12. laufende plus im Jahr beendete Hilfen (Konvention der Kinder- und "
            "Jugendhilfestatistik).",
        ),
        ("Haushaltsjahr", "Kalenderjahr; Kosten nominal (in Preisen des jeweiligen Jahres)."),
        (
            "P10 / P50 / P90",
            "Aus den Simulationsläufen: in 10 % der Läufe liegt der Wert unter P10, "
            "in 10 % über P90; P50 ist der Median. Das Band P10-P90 enthält 80 % der Läufe.",
        ),
        (
            "Unterschied von Medianen",
            "Die Differenz zweier Mediane ist nicht der Median der Differenz; "
            "ein Intervall der Differenz gibt es nur, wo sie Lauf für Lauf gebildet wurde.",
        ),
        (
            "Sozialraum / Wirkungsraum",
            "Planungsgebiet aus mehreren Stadtteilen; im Systemmodell das "
            "Gebiet eines Leistungsträgers mit eigenem Budget.",
        ),
        (
            "Sozialraumorientierung (SRO)",
            "Fachkonzept: Leitträger je Sozialraum, Planbudget, "
            "fallunspezifische Arbeit; im Modell mit der klassischen Einzelfallsteuerung verglichen.",
        ),
        (
            "Systemmodell",
            "Agentenbasiertes Modell der Hilfen zur Erziehung: Jugendamt (ASD), Träger und "
            "Familien Monat für Monat; vergleicht klassische Steuerung und Sozialraumorientierung.",
        ),
        (
            "Replikation",
            "Ein Durchlauf des Systemmodells mit eigenen Zufallszahlen; beide Steuerungen sehen "
            "in derselben Replikation dieselben Familien.",
        ),
        (
            "Maßanzug",
            "Passgenaue, meist ambulante Hilfe, die unter Sozialraumorientierung an die Stelle "
            "einer Unterbringung in Pflegefamilie oder Heim treten kann.",
        ),
        (
            "Planbudget",
            "Budget je Wirkungsraum aus den bisherigen Kosten der Hilfen, aus dem der Leitträger "
            "Hilfen und fallunspezifische Arbeit finanziert.",
        ),
        (
            "Sensitivität (Tornado)",
            "Jede Annahme einzeln auf das untere und obere Ende ihres "
            "Bereichs gesetzt, die anderen unverändert (One-at-a-time-Analyse).",
        ),
        (
            "Statistische Geheimhaltung",
            f"Fallzahlen eines Stadtteils und einer Hilfeart unter "
            f"{suppress_below} werden mit {SUPPRESSED} ausgewiesen, ebenso ein weiterer Wert, aus dem "
            "sie sich errechnen ließen.",
        ),
    ]
    return "<dl>" + "".join(f"<dt>{esc(t)}</dt><dd>{esc(d)}</dd>" for t, d in terms) + "</dl>"
