"""Generate the Kita files of ``tests/data/tinycity``: ``kita_children.csv`` and ``kita_places.csv``.

Run after ``make_tinycity.py`` (it reads ``population.csv``); deterministic
(``numpy.random.default_rng(20240301)``). Synthetic, CC0-1.0.

``kita_children``: children in care at 1 March m = 2016..2023 by district, single age 0..6 and
setting. For the population aged a at 31.12. of m-1 (the Destatis denominator) the count is
Binomial(P(a), quota(a, m)) with the quotas below, district ``c`` (rural) at 80 % of them; of the
under-3s a fifth are in Kindertagespflege, the older ones are all in Kitas (setting ``kita``).

=====  ===============================================
age    quota at 1 March m
=====  ===============================================
0      0.02
1      0.30 + 0.01 (m - 2016)   (rising take-up)
2      0.55 + 0.01 (m - 2016)
3-5    0.92
6      0.15 (6-year-olds not yet at school)
=====  ===============================================

``kita_places``: places per Kita year, only in the years they change (a district keeps its places
until its next row). District ``b`` has a **planned opening** in Kita year 2024 (+10 U3, +20 Ü3).

=========  ==================  ==================  =================================
district   2016                2020                2024 (planned)
=========  ==================  ==================  =================================
a          36 U3, 100 Ü3       40 U3, 105 Ü3
b          20 U3, 60 Ü3                            30 U3, 80 Ü3
c          12 U3, 40 Ü3
=========  ==================  ==================  =================================

Usage: ``python tests/data/make_tinycity_kita.py [DIR]`` (default: ``tests/data/tinycity``).
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20240301
MARCH_YEARS = range(2016, 2024)
AGES = range(0, 7)
RURAL_FACTOR = {"c": 0.8}
TAGESPFLEGE_SHARE_U3 = 0.2
PLACES = [  # (Kita year, district, places_u3, places_ue3)
    (2016, "a", 36, 100),
    (2016, "b", 20, 60),
    (2016, "c", 12, 40),
    (2020, "a", 40, 105),
    (2024, "b", 30, 80),
]


def quota(age: int, march_year: int) -> float:
    """Share of the children aged ``age`` (31.12. before) in care at 1 March ``march_year``."""
    trend = 0.01 * (march_year - 2016)
    return {0: 0.02, 1: 0.30 + trend, 2: 0.55 + trend, 6: 0.15}.get(age, 0.92)


def make_children(population: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The kita_children rows (contract columns, file order)."""
    pop = population.groupby(["year", "district", "age"])["count"].sum()
    rows = []
    for m in MARCH_YEARS:
        for district in sorted(population["district"].unique()):
            for age in AGES:
                n = int(pop.loc[(m - 1, district, age)])
                p = quota(age, m) * RURAL_FACTOR.get(district, 1.0)
                in_care = int(rng.binomial(n, p))
                if age <= 2:
                    tp = int(rng.binomial(in_care, TAGESPFLEGE_SHARE_U3))
                    rows.append((m, district, age, "", "kita", in_care - tp))
                    rows.append((m, district, age, "", "tagespflege", tp))
                else:
                    rows.append((m, district, age, "", "kita", in_care))
    columns = ["year", "district", "age", "age_group", "setting", "count"]
    return pd.DataFrame(rows, columns=columns)


def make_places() -> pd.DataFrame:
    frame = pd.DataFrame(PLACES, columns=["year", "district", "places_u3", "places_ue3"])
    return frame.sort_values(["year", "district"], kind="stable").reset_index(drop=True)


def make_tinycity_kita(out_dir: Path, seed: int = SEED) -> None:
    """Write kita_children.csv and kita_places.csv next to Tinycity's population.csv."""
    population = pd.read_csv(out_dir / "population.csv", dtype={"district": str})
    children = make_children(population, np.random.default_rng(seed))
    children.to_csv(out_dir / "kita_children.csv", index=False, lineterminator="\n")
    make_places().to_csv(out_dir / "kita_places.csv", index=False, lineterminator="\n")
    # The Ganztag files (school catchments, places) come from their own generator.
    runpy.run_path(str(Path(__file__).with_name("make_tinycity_ganztag.py")))["make"](out_dir)


if __name__ == "__main__":
    make_tinycity_kita(
        Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "tinycity"
    )
