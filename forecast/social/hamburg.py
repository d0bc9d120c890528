"""The Hamburg Stadtteilprofile 2014 (Statistik Nord) as a long ``social`` table.

The real-data check of the social index (``data/hamburg/SOURCES.md``): 99 Stadtteile with the
indicators a Sozialraumanalyse uses, and a few that the index leaves out and that serve as an
independent check (mean income per taxpayer, share of pupils in Gymnasien).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

PROFILE_FILE = (
    Path(__file__).resolve().parents[2]
    / "data"
    / "hamburg"
    / "statistik_nord_stadtteilprofile_2014.csv"
)
YEAR = 2013
"""Reference year of the indicators (December 2013)."""
BEZIRKE_ROWS = 8
"""The last rows: the 7 Bezirke and Hamburg as a whole."""

COLUMNS = {
    "sgb2_rate_u15": "Anteil der unter 15-Jährigen in Mindestsicherung in % (Dez 2013)",
    "sgb2_rate": "Anteil der Leistungs-empfänger/-innen nach SGB II in % (Dez 2013)",
    "unemployment_rate": "Arbeitslosenanteil in % (Dez 2013)",
    "single_parent_share": "Anteil der Haushalte von Alleinerziehenden in %",
    "migration_share_u18": "Anteil der unter 18-Jährigen mit Migrations-hintergrund in %",
    "income_per_taxpayer": "Durchschnitt-liches Einkommen je Steuerpflichtigen in EUR (2010)",
    "gymnasium_share": "Anteil der Schülerinnen und Schüler in Gymnasien in % (2013/2014)",
    "under18": "Unter 18-Jährige",
}
"""Indicator name of the ``social`` contract -> column of the profile file."""


def _number(text: object) -> float:
    s = str(text).strip().replace(" ", "").replace(",", ".")
    return float(s) if s not in ("", ".", "-", "nan") else np.nan


def read_stadtteilprofile(path: Path | str = PROFILE_FILE) -> pd.DataFrame:
    """The 99 Stadtteile as a long table: year, district, indicator, value (percentages as
    shares; ``income_per_taxpayer`` EUR; ``under18`` persons)."""
    raw = pd.read_csv(path, sep=";", dtype=str, encoding="utf-8")
    raw.columns = [c.strip() for c in raw.columns]
    raw = raw.iloc[:-BEZIRKE_ROWS]
    frames = []
    for name, column in COLUMNS.items():
        values = raw[column].map(_number)
        if "%" in column:
            values = values / 100.0
        frames.append(
            pd.DataFrame(
                {
                    "year": YEAR,
                    "district": raw["Stadtgebiet"].str.strip(),
                    "indicator": name,
                    "value": values,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)
