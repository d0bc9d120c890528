"""The report's Annahmen section, its source list and its technical appendix, all in German.

The body of the report speaks to a council committee: what was assumed, in German words with
units, rounded values and numbered sources. Identifiers that only a technician needs (run id,
changed settings, program version, input file checksums) are in the technical appendix; English
notes of the manifest are summarised in German (``simulation.report_notes``); file system paths
of the machine appear nowhere.
"""

from __future__ import annotations

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
}
TECHNICAL = ("city.data_dir=", "run_root=", "seed=", "draws=", "horizon=", "experiment=")
"""Overrides that choose the city, the folder, the seed or the size of a run, not assumptions."""


def stages(manifest: dict) -> list[str]:
    return list(manifest.get("config", {}).get("pipeline", {}).get("stages", []))


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


def assumptions(manifest: dict) -> str:
    """The Annahmen section body."""
    cfg = manifest.get("config", {})
    ran = stages(manifest)
    pop = cfg.get("population", {})
    rows = [
        ("Szenario", cfg.get("scenario_description") or manifest.get("scenario", "–")),
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
                f"{len(changed)} (einzeln im technischen Anhang)",
            )
        )
    parts = [table(["Angabe", "Wert"], rows)]
    parts.append("<h3>Ersatzannahmen wegen fehlender Daten</h3>")
    fallbacks = fallbacks_de(manifest.get("fallbacks", []))
    if fallbacks:
        parts.append("<ul>" + "".join(f"<li>{esc(f)}</li>" for f in fallbacks) + "</ul>")
    else:
        parts.append(note("Keine: alle benötigten Daten lagen vor."))
    warned = len(manifest.get("warnings", [])) + len(manifest.get("accepted_warnings", []))
    if warned:
        parts.append(
            note(
                f"Die Prüfung der Eingangsdaten meldete {warned} auffällige, aber mögliche "
                "Werte; die Meldungen stehen im Protokoll des Laufs (technischer Anhang)."
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
    for group, title in GROUP_TITLES.items():
        if group not in ran and group != "population":
            continue
        rows_ = parameter_rows(cfg, group)
        if not rows_:
            continue
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
