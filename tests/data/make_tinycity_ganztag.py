"""Generate the Ganztag files of ``tests/data/tinycity``: ``school_districts.csv`` and
``ganztag_places.csv`` (hand-made, no randomness; synthetic, CC0-1.0).

Two Grundschulen: ``gs_nord`` takes all of district ``a`` and 40 % of ``b``, ``gs_sued`` the
other 60 % of ``b`` and all of ``c`` (a district split between schools, a school serving two
districts). Places (school year 2022/23 on; ``planned = 1`` from 2027/28):

=========  ==========================  =========================================
school     2022 (open)                 2027 (planned)
=========  ==========================  =========================================
gs_nord    60 OGS, 20 Hort             80 OGS
gs_sued    30 OGS, 8 Tagespflege
=========  ==========================  =========================================

With about 80 children a year the city has about 320 primary-school children and 118 places
(about 37 %): under a 64 % take-up the entitlement opens a gap by 2029/30 that the planned
places narrow but do not close. Called by ``make_tinycity_kita.py`` (so that
``tests/test_validate.py::test_tinycity_files_match_generator`` rebuilds these files too).

Usage: ``python tests/data/make_tinycity_ganztag.py [DIR]`` (default: ``tests/data/tinycity``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

CATCHMENTS = [
    ("gs_nord", "a", 1.0),
    ("gs_nord", "b", 0.4),
    ("gs_sued", "b", 0.6),
    ("gs_sued", "c", 1.0),
]
PLACES = [
    (2022, "gs_nord", "ogs", 60, 0),
    (2022, "gs_nord", "hort", 20, 0),
    (2022, "gs_sued", "ogs", 30, 0),
    (2022, "gs_sued", "tagespflege", 8, 0),
    (2027, "gs_nord", "ogs", 80, 1),
]


def make(out_dir: Path) -> None:
    """Write school_districts.csv and ganztag_places.csv into ``out_dir``."""
    pd.DataFrame(CATCHMENTS, columns=["school", "district", "share"]).to_csv(
        out_dir / "school_districts.csv", index=False, lineterminator="\n"
    )
    pd.DataFrame(PLACES, columns=["year", "school", "form", "places", "planned"]).to_csv(
        out_dir / "ganztag_places.csv", index=False, lineterminator="\n"
    )


if __name__ == "__main__":
    make(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "tinycity")
