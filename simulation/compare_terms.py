"""Names shared by ``jhplan compare``, the report and the workbook: the headline variables, the
methods of a difference and the kinds of pair, with their German wording."""

from __future__ import annotations

from simulation.compare_sro import SAME_RUN

HEADLINES: dict[str, str] = {
    "Population|Total": "Einwohner",
    "Kita|Demand|U3": "Kita-Bedarf U3",
    "Kita|Demand|Ue3": "Kita-Bedarf Ü3",
    "Kita|Gap|U3": "Fehlende Kita-Plätze U3",
    "Kita|Gap|Ue3": "Fehlende Kita-Plätze Ü3",
    "HzE|Cases|Total": "HzE-Fallzahl",
    "HzE|Cost|Total": "HzE-Kosten (Euro, nominal)",
    "ABM|Cost|Total": "HzE-Kosten im Systemmodell (Euro je Jahr)",
}
"""City variables of the summary table and charts, with German labels."""

PAIRED = "per-replicate differences, paired (same seed and draws)"
INDEPENDENT = "per-replicate differences, independent replicates (different seed or draws)"
MEDIANS = "difference of medians (no interval of the difference: no per-draw samples)"
VALUES = "difference of values (deterministic runs)"
MIXED = "difference of a median and a value (one run without draws)"

SCENARIO, SEEDS_ONLY, IDENTICAL = "scenario", "seeds only", "identical"
KINDS_DE = {
    SCENARIO: "Szenariodifferenz",
    SEEDS_ONLY: "keine Szenariodifferenz: nur Seeds",
    IDENTICAL: "gleiche Einstellungen und Startwerte (Differenz muss 0 sein)",
}
"""German wording of the kinds of pair."""

METHODS_DE = {
    SAME_RUN: "Differenz je Simulationslauf zweier Leistungsmodelle im selben Lauf "
    "(gleiche Zufallszahlen)",
    PAIRED: "Differenz je Simulationslauf, gepaart (gleicher Startwert, gleiche Zahl der Läufe)",
    INDEPENDENT: "Differenz je Simulationslauf, unabhängige Läufe (anderer Startwert)",
    MEDIANS: "Differenz der Mediane (kein Intervall der Differenz)",
    VALUES: "Differenz der Werte (ohne Simulationsläufe)",
    MIXED: "Differenz eines Medians und eines Werts (ein Lauf ohne Simulationsläufe)",
}
"""German wording of the methods, for the report and the workbook."""
