"""German texts for the manifest's fallback notes.

The stages record in English, for researchers, where missing data made them fall back to a
default ("Fallback: no life_table file; ..."): ``manifest.json`` keeps these. The report says the
same in German, one sentence per kind of note; a note of an unknown kind gets a general sentence
(a test checks that every fallback the code can write has its own German text).
"""

from __future__ import annotations

import re

from forecast.hze.catalogue import CATALOGUE

FALLBACKS_DE: list[tuple[str, str]] = [
    (
        r"no life_table file",
        "Keine Sterbetafel der Stadt: der Altersverlauf der Sterblichkeit folgt der amtlichen "
        "Sterbetafel des Statistischen Bundesamts.",
    ),
    (
        r"no deaths file",
        "Keine Sterbefälle der Stadt: Sterblichkeit auf dem Niveau der amtlichen Sterbetafel.",
    ),
    (
        r"deaths file incomplete",
        "Sterbefälle im Basiszeitraum unvollständig: Sterblichkeit auf dem Niveau der amtlichen "
        "Sterbetafel.",
    ),
    (
        r"no fertility file",
        "Keine altersspezifischen Geburtenziffern der Stadt: Altersmuster der Geburten aus der "
        "amtlichen Statistik für Deutschland.",
    ),
    (r"no births file", "Keine Geburten der Stadt: bundesweites Geburtenniveau."),
    (
        r"births file lacks",
        "Geburten im Basiszeitraum unvollständig: bundesweites Geburtenniveau.",
    ),
    (r"births without sex", "Geburten ohne Geschlecht: bundesweiter Jungenanteil bei Geburt."),
    (
        r"births known for the whole city only",
        "Geburten nur für die Gesamtstadt bekannt: jeder Stadtteil mit dem Geburtenniveau der "
        "Stadt.",
    ),
    (
        r"no moves file",
        "Keine Umzüge zwischen den Stadtteilen: sie sind in der Wanderung jedes Stadtteils "
        "enthalten, die aus dem Melderegister errechnet wird.",
    ),
    (
        r"migration file without age detail",
        "Wanderungen ohne Altersgliederung: Wanderungssaldo nach Alter aus dem Melderegister "
        "errechnet, Zu- und Fortzüge mit einer Modellwanderungskurve nach Alter aufgeteilt.",
    ),
    (
        r"no migration file",
        "Keine Wanderungsdaten: Wanderungssaldo nach Geschlecht und Alter aus dem Melderegister "
        "errechnet.",
    ),
    (
        r"(?P<code>\w+) uses the national rate",
        "{hilfeart}: keine Fallzahlen der Stadt, die bundesweite Fallzahlquote ist der "
        "Ausgangswert.",
    ),
    (
        r"covariate\(s\) .* not in social",
        "Einzelne Sozialindikatoren fehlen: die Regressionen nutzen die übrigen.",
    ),
    (
        r"(?P<code>\w+) has \S+ years and .* too few",
        "{hilfeart}: zu wenige Jahre oder Fälle für eine Regression; die bundesweite "
        "Fallzahlquote wird mit den Fällen der Stadt angepasst.",
    ),
    (
        r"(?P<code>\w+): .* could not be fitted",
        "{hilfeart}: das gewählte Modell ließ sich nicht schätzen; die bundesweite Fallzahlquote "
        "wird mit den Fällen der Stadt angepasst.",
    ),
    (
        r"stochastic processes not calibrated",
        "Die Zufallsschwankungen der Bevölkerung wurden nicht an der Stadt geschätzt: "
        "Standardwerte.",
    ),
    (
        r"draws did not fit",
        "Die Simulationsläufe passten nicht in den vorgesehenen Arbeitsspeicher: einzelne Läufe "
        "sind nicht gespeichert, Quantile und Mittelwerte schon.",
    ),
    (
        r"no school-entry rule",
        "Kein Einschulungsstichtag für das Bundesland hinterlegt: Stichtag 30. September "
        "(Nordrhein-Westfalen).",
    ),
    (
        r"quota path 'history' without",
        "Keine beobachteten Betreuungsquoten: die Bedarfsquoten bleiben konstant.",
    ),
    (
        r"no kita_places file",
        "Keine Platzdaten: der Bericht zeigt den Bedarf, aber weder Plätze noch Lücke.",
    ),
    (
        r"no kita_children file",
        "Keine Zahl betreuter Kinder: keine beobachtete Betreuungsquote.",
    ),
    (
        r"no school-entry cut-off for state",
        "Kein Einschulungsstichtag für das Bundesland hinterlegt: Ganztag mit dem Stichtag "
        "30. September (Nordrhein-Westfalen).",
    ),
    (
        r"no school_districts file",
        "Keine Schulbezirke: jeder Stadtteil gilt als ein Grundschulbezirk.",
    ),
    (
        r"no ganztag_places file",
        "Keine Ganztagsplätze der Stadt: der Bericht zeigt den Ganztagsbedarf, aber weder Plätze "
        "noch Lücke noch Investitionen.",
    ),
    (
        r"no ganztag_places; status quo participation",
        "Ohne eigene Platzdaten gilt als heutige Ganztagsquote der Bundeswert der eigenen "
        "Landeshälfte (3. GaFöG-Bericht).",
    ),
    (
        r"take-up path 'history' needs participation",
        "Zu wenige beobachtete Schuljahre für eine Fortschreibung der Ganztagsquote: die heutige "
        "Quote wird gehalten.",
    ),
    (
        r"has no social file",
        "Keine Sozialindikatoren je Stadtteil: kein Sozialindex, keine Klassen; das "
        "Sozialraumbudget wird nur nach den Einwohnern unter 21 Jahren verteilt.",
    ),
    (
        r"no social index \(",
        "Die Sozialindikatoren reichen für keinen Sozialindex: das Sozialraumbudget wird nur nach "
        "den Einwohnern unter 21 Jahren verteilt.",
    ),
]
"""(pattern of the English note after "Fallback: ", German sentence); ``{hilfeart}`` is the
Hilfeart named by the group ``code``."""

UNKNOWN = "Eine weitere Ersatzannahme wegen fehlender Daten (Einzelheiten im Protokoll des Laufs)."


def fallback_de(note: str) -> str:
    """The German sentence for one fallback note of the manifest."""
    text = note.removeprefix("Fallback:").strip()
    for pattern, german in FALLBACKS_DE:
        match = re.search(pattern, text)
        if match:
            code = match.groupdict().get("code")
            label = CATALOGUE[code].label if code in CATALOGUE else "Eine Hilfeart"
            return german.format(hilfeart=label)
    return UNKNOWN


def fallbacks_de(notes: list[str]) -> list[str]:
    """German sentences for the manifest's fallback notes, each once, in order."""
    return list(dict.fromkeys(fallback_de(n) for n in notes))
