"""The validation beds in validation/data/ load and keep the margins they were built from.

Konstanz: the Stadtteile sum to the city every year and are the published register totals (1993
excepted: it is the documented mean of 1992 and 1994). Länder: their sum equals the Germany total
of Destatis 12411-0006 (tolerance 0 persons: the two tables agree exactly 1990-2021) and every
Land x age 0..89 equals 12411-0012 (both sexes).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast.citydata import load_city

BEDS = Path(__file__).resolve().parents[1] / "validation" / "data"
RAW = BEDS / "raw"
GERMANY_TOLERANCE = 0  # persons; Länder sum vs 12411-0006 "Insgesamt"


@pytest.fixture(scope="module")
def beds() -> dict:
    return {
        b: load_city(BEDS / b) for b in ("konstanz_stadtteile", "konstanz_stadtteile15", "laender")
    }


def _totals(city) -> pd.DataFrame:
    return city.table("population").groupby(["year", "district"])["count"].sum().unstack()


@pytest.mark.parametrize("bed", ["konstanz_stadtteile", "konstanz_stadtteile15"])
def test_konstanz_districts_are_the_register(beds: dict, bed: str) -> None:
    city = beds[bed]
    got = _totals(city)
    hist = pd.read_csv(RAW / "konstanz" / "bev_historisch_nach_stadtteilen.csv").set_index("jahr")
    years = list(got.index)
    assert years == list(range(years[0], 2026)), "years not consecutive up to 2025"
    if "petershausen" in got.columns:  # 1994 on: West + Ost; before: the combined figure
        west, east = hist["petershausenwest"], hist["petershausenost"]
        hist["petershausen"] = west.where(hist.index < 1994, west + east)
    expected = hist.loc[years, list(got.columns)].astype(np.int64)
    if 1993 in years:
        expected.loc[1993] = (expected.loc[1992] + expected.loc[1994] + 1) // 2
        assert 1993 in city.exclude_years
    pd.testing.assert_frame_equal(got, expected, check_names=False, check_dtype=False)
    # The city pyramid (sum over districts by sex x age) totals the district sum every year, and
    # in main-residence years equals the published register pyramid cell by cell.
    pop = city.table("population")
    city_total = pop.groupby("year")["count"].sum()
    assert (city_total == got.sum(axis=1)).all()
    pyr = pd.read_csv(RAW / "konstanz" / "konstanz_bevoelkerung_einzelalter_long_1983-2025.csv")
    main = pyr[pyr["basis"] == "hauptwohnsitz"].assign(
        sex=lambda d: d["geschlecht"].map({"w": "f", "m": "m"}),
        age=lambda d: d["alter"].clip(upper=100),
    )
    main = main[main["jahr"].isin(years)].groupby(["jahr", "sex", "age"])["anzahl"].sum()
    ours = pop.groupby(["year", "sex", "age"])["count"].sum()
    ours = ours.reindex(main.index.rename(["year", "sex", "age"]), fill_value=0)
    assert (ours.to_numpy() == main.to_numpy()).all()


def _genesis(path: Path, encoding: str) -> list[list[str]]:
    text = path.read_text(encoding=encoding, errors="replace")
    return [line.split(";") for line in text.splitlines() if re.match(r"^31\.12\.\d{4};", line)]


def test_laender_sum_to_germany_and_keep_land_ages(beds: dict) -> None:
    city = beds["laender"]
    assert len(city.district_codes) == 16 and 2011 in city.exclude_years
    pop = city.table("population")
    land_sum = pop.groupby("year")["count"].sum()
    germany = {
        int(c[0][-4:]): int(c[4])
        for c in _genesis(
            RAW / "destatis" / "destatis_12411-0006_bev_de_alter_geschlecht_1970-2021.csv", "utf-8"
        )
        if c[1].startswith("Insgesamt")
    }
    years = [y for y in land_sum.index if y in germany]
    assert years == list(range(1990, 2022))
    for y in years:
        assert abs(int(land_sum[y]) - germany[y]) <= GERMANY_TOLERANCE, y
    # Land x age 0..89 (both sexes) is 12411-0012 exactly; ages 90..100 sum to its 90+.
    codes = list(city.district_codes)
    both = (
        pop.assign(age=pop["age"].clip(upper=90))
        .groupby(["year", "district", "age"])["count"]
        .sum()
    )
    lines = _genesis(
        RAW / "destatis" / "destatis_12411-0012_bev_laender_alter_1967-2022.csv", "latin1"
    )
    for y in (1990, 2010, 2011, 2022):
        for c in (c for c in lines if int(c[0][-4:]) == y and not c[1].startswith("Insgesamt")):
            age = 0 if c[1].startswith("unter 1") else int(re.match(r"(\d+)", c[1]).group(1))
            got = [int(both[(y, d, age)]) for d in codes]
            assert got == [int(v) for v in c[2:18]], (y, age)
