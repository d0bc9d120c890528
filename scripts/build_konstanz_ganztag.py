"""Build the Ganztag files of ``data/konstanz``: ``school_districts.csv`` and ``ganztag_places.csv``.

**An estimate, clearly marked.** Konstanz publishes neither its Grundschulbezirke nor Ganztag
places per school. What it publishes (Stadt Konstanz open data, CC0) are the school children in
care in Kitas (Hort) and in Kindertagespflege at 1 March, whole city (``kiju_kinderbetreuung.csv``,
columns ``schulkinder`` and ``schulkinder_tagespflege``). From these and the register:

* ``school_districts``: four catchment areas, one per planning group (``sozialraum`` of
  city.yaml, itself a project estimate), each Stadtteil wholly in its group's area. Not the real
  Schulbezirke (estimate).
* ``ganztag_places`` for school year 2025/26 (the register's base year; 1 March 2026 falls in it):
  ``hort`` = the published ``schulkinder`` of 1 March 2026 (exact for the city),
  ``tagespflege`` = ``schulkinder_tagespflege`` (exact for the city); ``ogs`` and ``gebunden`` =
  30 % of the children aged 6-9 at 31.12.2025 (estimate: Baden-Württemberg had 22 % of grade 1-4
  pupils in school-based Ganztag in 2019, Bildung in Deutschland 2020; growth to 2025 assumed),
  two thirds in the Wahlform (counted as ``ogs``) and one third in the verbindliche Form
  (``gebunden``) (estimate). City totals are split among the areas in proportion to their
  children aged 6-9 (estimate), by largest remainders so that the city totals stay exact.

Running it twice gives byte-identical files. Usage:
    python scripts/build_konstanz_ganztag.py [--shared PATH]
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import yaml
from buildlib import REPO, shared_data_folder  # first: puts the repository on sys.path

OUT = REPO / "data" / "konstanz"
BASE_YEAR = 2025  # school year 2025/26; the count of 1 March 2026
SCHOOL_BASED_SHARE = 0.30  # estimate (see the module docstring)
OGS_PART = 2 / 3  # estimate: Wahlform share of the school-based places
AREA = "Planungsbezirk-{}"  # code of a planning group's estimated catchment area


def split(total: int, weights: np.ndarray) -> np.ndarray:
    """Whole numbers proportional to ``weights`` summing to ``total`` (largest remainders)."""
    raw = total * weights / weights.sum()
    out = np.floor(raw).astype(int)
    order = np.argsort(-(raw - out), kind="stable")
    out[order[: total - out.sum()]] += 1
    return out


def main() -> None:
    shared = shared_data_folder(__doc__.splitlines()[0], "konstanz/")
    city = yaml.safe_load((OUT / "city.yaml").read_text(encoding="utf-8"))
    group = {d["code"]: d["sozialraum"] for d in city["districts"]}
    areas = list(dict.fromkeys(group.values()))
    catchments = pd.DataFrame(
        {
            "school": [AREA.format(group[d].capitalize()) for d in group],
            "district": list(group),
            "share": 1.0,
        }
    )
    catchments.to_csv(OUT / "school_districts.csv", index=False, lineterminator="\n")
    pop = pd.read_csv(OUT / "population.csv", dtype={"district": str})
    young = pop[(pop["year"] == BASE_YEAR) & pop["age"].between(6, 9)]
    by_area = young.assign(area=young["district"].map(group)).groupby("area")["count"].sum()
    weights = by_area.reindex(areas).to_numpy(float)
    care = pd.read_csv(shared / "konstanz" / "kiju_kinderbetreuung.csv").set_index("jahr")
    march = care.loc[BASE_YEAR + 1]
    school_based = round(SCHOOL_BASED_SHARE * weights.sum())
    totals = {
        "ogs": round(OGS_PART * school_based),
        "gebunden": school_based - round(OGS_PART * school_based),
        "hort": int(march["schulkinder"]),
        "tagespflege": int(march["schulkinder_tagespflege"]),
    }
    rows = []
    for form, total in totals.items():
        for area, places in zip(areas, split(total, weights), strict=True):
            rows.append((BASE_YEAR, AREA.format(area.capitalize()), form, int(places), 0))
    places = pd.DataFrame(rows, columns=["year", "school", "form", "places", "planned"])
    places.sort_values(["school", "form"], kind="stable").to_csv(
        OUT / "ganztag_places.csv", index=False, lineterminator="\n"
    )
    print(f"school_districts: {len(catchments)} rows; ganztag_places: {totals}")


if __name__ == "__main__":
    main()
