"""Which contract file a file name means: look-alike and German names of the contract files.

A city folder exported from a register or Excel often names its files in German or with a suffix
(``geburten.csv``, ``population_2024.csv``). Such a file would be skipped and replaced by a fallback
(reference fertility instead of the city's births), so validation names the file it probably is.
"""

from __future__ import annotations

import difflib
import re

from forecast.contract import CONTRACT

GERMAN_NAMES: dict[str, str] = {
    "bevoelkerung": "population",
    "bestand": "population",
    "einwohner": "population",
    "geburten": "births",
    "lebendgeborene": "births",
    "sterbefaelle": "deaths",
    "gestorbene": "deaths",
    "todesfaelle": "deaths",
    "wanderungen": "migration",
    "zuzuege": "migration",
    "fortzuege": "migration",
    "umzuege": "moves",
    "binnenwanderung": "moves",
    "wohnungen": "housing",
    "neubau": "housing",
    "baufertigstellungen": "housing",
    "eckwerte": "control_totals",
    "annahmen": "assumptions",
    "kinderbetreuung": "kita_children",
    "kitakinder": "kita_children",
    "kitaplaetze": "kita_places",
    "plaetze": "kita_places",
    "hilfen": "hze_cases",
    "hze": "hze_cases",
    "hzefaelle": "hze_cases",
    "sterbetafel": "life_table",
    "fruchtbarkeit": "fertility",
    "geburtenziffern": "fertility",
    "sozialindikatoren": "social",
    "sozialdaten": "social",
}
"""German file names (lower case, umlauts as ae/oe/ue/ss, without ``_``/``-``) -> contract file."""


def _plain(stem: str) -> str:
    low = stem.lower()
    for umlaut, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        low = low.replace(umlaut, plain)
    return re.sub(r"[^a-z0-9]", "", low)


def contract_stem_like(stem: str) -> str | None:
    """The contract file a file named ``stem`` probably is (None: no idea)."""
    low = stem.lower()
    for known in CONTRACT:
        if low == known or low.startswith((known + "_", known + "-", known + " ")):
            return known
    plain = _plain(stem)
    for german, known in GERMAN_NAMES.items():
        if plain == german or plain.startswith(german):
            return known
    close = difflib.get_close_matches(low, list(CONTRACT), n=1, cutoff=0.8)
    return close[0] if close else None
