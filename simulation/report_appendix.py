"""The report's Annahmen section, its source list and its technical appendix, all in German.

The body of the report speaks to a council committee: what was assumed, in German words with
units, rounded values and numbered sources. Identifiers that only a technician needs (run id,
changed settings, program version, input file checksums) are in the technical appendix; English
notes of the manifest are summarised in German (``simulation.report_notes``); file system paths
of the machine appear nowhere.
"""

from __future__ import annotations

import re

from forecast.sources import source_list
from simulation.report_html import esc, note, table
from simulation.report_notes import fallbacks_de
from simulation.report_params import parameter_rows

STAGES_DE = {
    "population": "Bevölkerung",
    "kita": "Kindertagesbetreuung",
    "hze": "Hilfen zur Erziehung",
    "abm": "Systemmodell (klassische Steuerung und Sozialraumorientierung)",
    "report": "Bericht",
}
VARIANTS_DE = {"main": "mittel", "low": "niedrig", "high": "hoch"}
KITA_DE = {
    "default": "konstante Bedarfsquoten",
    "trend": "steigende Bedarfsquoten (Trend)",
    "saturation": "Annäherung an ein Sättigungsniveau",
    "history": "Fortschreibung der beobachteten Betreuungsquoten",
}
HZE_DE = {
    "default": "Modell der Stadt, nach Rückrechnung gewählt",
    "national": "bundesweite Quoten",
    "rising": "steigende Inanspruchnahme",
    "social": "mit Sozialindikatoren",
}
GROUP_TITLES = {
    "population": "Bevölkerung",
    "kita": "Kindertagesbetreuung",
    "hze": "Hilfen zur Erziehung",
    "abm": "Systemmodell und Sozialraumorientierung",
    "ganztag": "Ganztag an Grundschulen",
}
TECHNICAL = (
    "city.data_dir=",
    "run_root=",
    "seed=",
    "draws=",
    "horizon=",
    "experiment=",
    "hze.draws=",
    "abm.replicates=",
    "abm.sensitivity.replicates=",
    "abm.n_jobs=",
)
"""Overrides that choose the city, the folder, the seed or the size of a run, not assumptions."""


def stages(manifest: dict) -> list[str]:
    return list(manifest.get("config", {}).get("pipeline", {}).get("stages", []))


def assumption_groups(manifest: dict) -> list[tuple[str, list]]:
    """(German title, parameter rows) of the population and every other stage that ran and
    has parameters: what the report's appendix and the workbook's Annahmen sheet list."""
    config, ran = manifest.get("config", {}), stages(manifest)
    groups = []
    for group, title in GROUP_TITLES.items():
        if group not in ran and group != "population":
            continue
        rows = parameter_rows(config, group)
        if rows:
            groups.append((title, rows))
    return groups


def draws_text(manifest: dict) -> str:
    """How many simulation runs each part used, as the bands above them need to be read."""
    parts = []
    ran = stages(manifest)
    if "population" in ran:
        n = int(manifest.get("draws") or 0)
        parts.append(
            f"Bevölkerung: {n} Simulationsläufe"
            if n
            else "Bevölkerung: eine Variante ohne Zufallsläufe"
        )
    if "hze" in ran and manifest.get("hze", {}).get("draws"):
        parts.append(f"Hilfen zur Erziehung: {int(manifest['hze']['draws'])} Simulationsläufe")
    if "abm" in ran and manifest.get("abm", {}).get("replicates"):
        parts.append(f"Systemmodell: {int(manifest['abm']['replicates'])} Replikationen")
    return "; ".join(parts) or "keine Vorausberechnung"


def changed_settings(manifest: dict) -> list[str]:
    """Overrides that change assumptions (not the city, folder, seed or size of the run)."""
    return [o for o in manifest.get("overrides", []) if not o.startswith(TECHNICAL)]


def data_warnings(manifest: dict) -> dict[str, int]:
    """Warnings of the data check (English, in the manifest) counted by the file they concern."""
    counts: dict[str, int] = {}
    for text in [*manifest.get("warnings", []), *manifest.get("accepted_warnings", [])]:
        head = re.split(r"[,:]", str(text), maxsplit=1)[0].strip()
        name = head if re.fullmatch(r"[\w.-]+\.(csv|yaml|yml)", head) else "weitere Dateien"
        counts[name] = counts.get(name, 0) + 1
    return counts


def scenario_label(manifest: dict) -> str:
    """The scenario as a reader knows it: the head of its German description ("Basisszenario",
    "Sozialraumorientierung"), or its short name when settings were changed beyond it (the
    description would then not describe the run)."""
    description = str(manifest.get("config", {}).get("scenario_description") or "")
    head = description.split(":")[0].strip()
    if head and len(head) <= 60 and not changed_settings(manifest):
        return head
    name = str(manifest.get("scenario", ""))
    return f"{name} (eigene Einstellungen)" if changed_settings(manifest) else name


def assumptions(manifest: dict) -> str:
    """The Annahmen section body."""
    cfg = manifest.get("config", {})
    ran = stages(manifest)
    pop = cfg.get("population", {})
    rows = [
        ("Szenario", scenario_label(manifest)),
        ("Beschreibung", cfg.get("scenario_description") or "–"),
        ("Stadt", manifest.get("city", {}).get("name", "–")),
        ("Berechnete Teile", ", ".join(STAGES_DE.get(s, s) for s in ran if s != "report") or "–"),
        ("Simulationsläufe", draws_text(manifest)),
        ("Vorausberechnungszeitraum", f"{cfg.get('horizon', '–')} Jahre"),
    ]
    if "population" in ran:
        rows.append(
            (
                "Bevölkerungsvarianten",
                "; ".join(
                    f"{label}: {VARIANTS_DE.get(pop.get(k, {}).get('variant', ''), '–')}"
                    for k, label in (
                        ("fertility", "Geburten"),
                        ("mortality", "Sterblichkeit"),
                        ("migration", "Wanderung"),
                    )
                ),
            )
        )
        rows.append(
            (
                "Zusätzlicher Wohnungsbau",
                "ja" if cfg.get("city", {}).get("housing_plan") else "nein",
            )
        )
    if "kita" in ran:
        variant = cfg.get("kita", {}).get("variant", "")
        rows.append(("Kita-Bedarfsquoten", KITA_DE.get(variant, variant or "–")))
    if "hze" in ran:
        variant = cfg.get("hze", {}).get("variant", "")
        rows.append(("Hilfen zur Erziehung", HZE_DE.get(variant, variant or "–")))
    if "abm" in ran:
        rows.append(
            ("Systemmodell", "klassische Steuerung und Sozialraumorientierung im Vergleich")
        )
    changed = changed_settings(manifest)
    if changed:
        rows.append(
            (
                "Abweichende Einstellungen",
                f"{len(changed)} gegenüber der Beschreibung (einzeln im technischen Anhang)",
            )
        )
    parts = [table(["Angabe", "Wert"], rows)]
    parts.append("<h3>Ersatzannahmen wegen fehlender Daten</h3>")
    fallbacks = fallbacks_de(manifest.get("fallbacks", []))
    if fallbacks:
        parts.append("<ul>" + "".join(f"<li>{esc(f)}</li>" for f in fallbacks) + "</ul>")
    else:
        parts.append(note("Keine: alle benötigten Daten lagen vor."))
    warnings = data_warnings(manifest)
    if warnings:
        parts.append("<h3>Hinweise zu den Eingangsdaten</h3>")
        parts.append(
            "<ul>"
            + "".join(
                f"<li>{esc(name)}: {n} auffällige, aber mögliche "
                f"{'Angabe' if n == 1 else 'Angaben'}</li>"
                for name, n in warnings.items()
            )
            + "</ul>"
        )
        parts.append(
            note(
                "Die Datenprüfung hat diese Werte gemeldet, aber nicht abgelehnt; die einzelnen "
                "Meldungen stehen im Protokoll des Laufs (technischer Anhang)."
            )
        )
    parts.append("<h3>Annahmen mit Einheit und Quelle</h3>")
    parts.append(
        note(
            "Jede Modellannahme mit Wert, Einheit, plausiblem Bereich und Quelle. Quelle [n]: "
            "Nummer im Quellenverzeichnis am Ende des Berichts; Schätzung: begründete Annahme "
            "ohne eigene Quelle; eigene Ableitung: aus den genannten Quellen errechnet."
        )
    )
    for title, rows_ in assumption_groups(manifest):
        body = table(
            ["Annahme", "Wert", "Einheit", "Bereich", "Quelle"],
            [(r.name, r.value, r.unit, r.range, r.source) for r in rows_],
        )
        parts.append(
            f"<details><summary>{esc(title)} ({len(rows_)} Annahmen)</summary>{body}</details>"
        )
    return "\n".join(parts)


def literature() -> str:
    """The numbered source list (the same numbers as in the workbook's Annahmen sheet)."""
    items = "".join(
        f"<li value='{s.number}'>{esc(s.title)}"
        + (f". <span class='url'>{esc(s.url)}</span>" if s.url else "")
        + "</li>"
        for s in source_list()
    )
    return (
        note(
            "Quellen der Annahmen des Modells; die Nummern [n] in den Tabellen verweisen hierher. "
            "Zusammengestellt aus öffentlich zugänglichen Veröffentlichungen."
        )
        + f"<ol class='sources'>{items}</ol>"
    )


def appendix(manifest: dict) -> str:
    """The technical appendix: identifiers for technicians, no paths of the machine."""
    rows = [
        ("Lauf", manifest.get("run_id", "–")),
        ("Erstellt", manifest.get("created_at", "–")),
        ("Kurzname des Szenarios", manifest.get("scenario", "–")),
        ("Startwert des Zufallsgenerators", manifest.get("root_seed", "–")),
        ("Programmstand", manifest.get("git_revision", "–") or "–"),
    ]
    parts = [table(["Angabe", "Wert"], [(k, str(v)) for k, v in rows])]
    changed = manifest.get("overrides", [])
    settings = [o for o in changed if not o.startswith(("city.data_dir=", "run_root="))]
    if settings:
        parts.append("<h3>Einstellungen dieses Laufs (wie angegeben)</h3>")
        parts.append(
            "<ul>" + "".join(f"<li><code>{esc(o)}</code></li>" for o in settings) + "</ul>"
        )
    files = manifest.get("input_sha256", {})
    if files:
        body = table(["Datei", "Prüfsumme (SHA-256)"], sorted(files.items()))
        parts.append(f"<details><summary>Eingabedateien ({len(files)})</summary>{body}</details>")
    parts.append(
        note(
            "Das vollständige Protokoll des Laufs (alle Einstellungen, Hinweise und Diagnosen) "
            "liegt als manifest.json im Ordner des Laufs."
        )
    )
    return "\n".join(parts)
