"""What the evaluations of Sozialraumorientierung found, in German, with their limits.

The findings of the domain notes' § 3.2 (measured effects of the Fachkonzept), each with the
numbers of its sources in the report's source list, and the plain statement of what they cannot
show: mostly before/after comparisons, often commissioned by those involved, no controlled study.
The model's SRO parameters take the most favourable findings as upper ends of their ranges and
allow a null result (Berlin) within them; the chapter says so next to this list.
"""

from __future__ import annotations

from forecast.sources import load_sources
from simulation.report_html import esc

FINDINGS: list[tuple[str, str, tuple[str, ...]]] = [
    (
        "Graz (Österreich), seit 2004",
        "Evaluation: Hilfen „sprunghaft besser“ und 18,7 % günstiger; Anteil der jungen Menschen, "
        "die am Ende der Hilfe selbstständig sind, von 39 % auf 84 %. Der Stadtrechnungshof sah "
        "einen Anreiz, „tendenziell kostengünstigere Unterstützungsmaßnahmen zu verordnen“; nach "
        "Übergriffen in einer Wohngruppe wurde das Modell überprüft.",
        ("S81", "S82"),
    ),
    (
        "Graz, fallunspezifische Projekte",
        "60 Projekte evaluiert; Wirkung auf geschätzt rund 350 Fälle (140 laufende, 210 mögliche).",
        ("S83",),
    ),
    (
        "Kreis Ostholstein",
        "Stationäre Hilfen seit 2010 um 40 % gesunken (bis 2014); die Dichte der Hilfen sank, "
        "während sie im Land stieg; Ausgaben je Einwohner rund 10 % unter dem Kreisdurchschnitt.",
        ("S85",),
    ),
    (
        "Hamburg, sozialräumliche Angebote",
        "Fälle der Sozialpädagogischen Familienhilfe 2.679 (Dezember 2010) → 2.326 (April 2012); "
        "2017 endeten über zwei Drittel der Unterstützungen ohne anschließende Hilfe; die Behörde "
        "nennt das ausdrücklich nur „Hinweise“.",
        ("S31", "S86", "S87"),
    ),
    (
        "Berlin",
        "HzE-Ausgaben 451 Mio. € (2002/03) → 318 Mio. € (2006, −30 %), getrieben von "
        "Budgetobergrenzen, danach wieder 441 Mio. € (2013) und mehr laufende Hilfen als 2002: "
        "langfristig kein messbarer Spareffekt.",
        ("S88",),
    ),
    (
        "Stuttgart",
        "Umbau der Erziehungshilfen von den Pilotprojekten 1998 bis zum Regelbetrieb 2006 "
        "(rund acht Jahre); 2011–2017 ambulante und teilstationäre Fälle +19 % (Land +10 %), "
        "stationäre Hilfen verringert.",
        ("S80", "S89", "S90"),
    ),
    (
        "Fachdiskussion",
        "„Erhebliche Erfolge, aber auch Risiken“, besonders beim Kinderschutz; Expertise zu den "
        "Wirkungen für den Kinder- und Jugendbericht NRW.",
        ("S91", "S92"),
    ),
]
"""(site, finding in German, source tags) from the domain notes' § 3.2."""

LIMITS = (
    "Grenzen dieser Befunde: Es sind überwiegend Vorher-nachher-Vergleiche ohne Vergleichsgruppe, "
    "oft von beteiligten Institutionen selbst in Auftrag gegeben oder ausgewertet; eine "
    "kontrollierte Studie zur Wirkung der Sozialraumorientierung wurde nicht gefunden. Die "
    "Annahmen des Modells nehmen deshalb die günstigsten Befunde (Ostholstein, Graz) als obere "
    "Grenze ihres Bereichs und lassen ein Nullergebnis wie in Berlin zu; die Wirkungsgrößen "
    "sind sehr unsicher."
)


def cite(keys: tuple[str, ...]) -> str:
    """Source tags -> "[31], [52]" (numbers of the report's source list)."""
    sources = load_sources()
    return ", ".join(f"[{n}]" for n in sorted(sources[k].number for k in keys))


def evidence_html() -> str:
    """The findings as a table (site, finding, sources) followed by their limits."""
    rows = "".join(
        f"<tr><td>{esc(site)}</td><td>{esc(text)}</td><td>{esc(cite(keys))}</td></tr>"
        for site, text, keys in FINDINGS
    )
    return (
        "<table><tr><th>Ort</th><th>Befund</th><th>Quelle</th></tr>"
        f"{rows}</table><p class='note'>{esc(LIMITS)}</p>"
    )
