"""Build the real-data validation beds ``validation/data/<bed>/`` for district projections.

Three city folders in the input contract, for rolling-origin backtests of small-area methods:

* ``konstanz_stadtteile``: Konstanz, 14 Stadtteile (Petershausen-West and -Ost merged),
  1987-2025. District totals exact (register), city pyramid exact or corrected for secondary
  residences, district age structure by IPF (``scripts/build_konstanz.py``).
* ``konstanz_stadtteile15``: the same for the 15 Stadtteile of today, 1994-2025.
* ``laender``: Germany with the 16 Länder as districts, 1990-2022, real single-age structure per
  Land (Destatis 12411-0012); the sex split and the ages 90..100 are estimates.

Reads only ``validation/data/raw/`` (copies of the public files, see ``raw/SOURCES.md``);
``--refresh-raw PATH`` copies them again from a folder laid out like ``/work/shared/data``.
Running the script twice gives byte-identical files. Every choice is explained in the README of
each bed, which this script writes together with the data.

Usage:
    python scripts/build_validation_beds.py [--refresh-raw PATH]
"""

from __future__ import annotations

import argparse
import hashlib
import re
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))
import build_konstanz as bk  # noqa: E402
from build_konstanz import integerise, ipf, scale_to_total  # noqa: E402

from forecast.contract import CITY_DISTRICT, CITY_YAML_KEYS, CONTRACT, MAX_AGE, SEXES  # noqa: E402

OUT = REPO / "validation" / "data"
RAW = OUT / "raw"
N_AGE = MAX_AGE + 1
F, M = SEXES.index("f"), SEXES.index("m")

RAW_FILES = {  # path under raw/ (= path under the shared data folder) -> sha256 of its bytes
    "konstanz/bev_historisch_nach_stadtteilen.csv": "e33dde5491bdc97ac3ff9d01ae0044b3e98241da6557338a1d5fa00492f8b6af",
    "konstanz/bev_historisch_nach_stadtteilen.md": "1e7be91005938e438dc63c3fb714593072b960f2598a24ad1b14fd19954b29cd",
    "konstanz/konstanz_bevoelkerung_einzelalter_long_1983-2025.csv": "90e3ec63edbc78049f9285fb8398d296d50f92920d7372199900b21dae6cf3ba",
    "konstanz/bev_natuerliche_entwicklung.csv": "1cdc99d0635748816ebffcb51c5765ce83447f1ad94e20d99fa99c502eb99166",
    "konstanz/bev_zu_und_wegzug.csv": "1434bd442c8bff2af4ddd6c9a502d3867f80575fba4194b4555c85c9298e4560",
    "konstanz/bev_meldestatus.csv": "f978f1e7ba14de8b8e4a3cd7a3485d024dac0a593b5ed66c224a8df7d4052f96",
    "destatis/destatis_12411-0012_bev_laender_alter_1967-2022.csv": "38f924db7e0695cf419ff2acc9eefa08f17abbda8ac2515e790e6e9e13718f98",
    "destatis/destatis_12411-0013_bev_laender_alter_geschlecht_2015-2021.csv": "834dd1f07e06a1a6f850c2e8d1b9a1edbe36b997356aa9afdb9b95a47508f469",
    "destatis/destatis_12411-0006_bev_de_alter_geschlecht_1970-2021.csv": "a6898a3b3d1631ab2e5b63e0976d871c4b95d2f6c0548f033e43c58ec4919f15",
    "destatis/destatis_12612-0002_lebendgeborene_de_monate_geschlecht.csv": "6b158836b87e40ae90b24eb6369bb7808d89c1e305ddf2a6b846c8ee9e0e6479",
    "destatis/destatis_12612-0007_lebendgeborene_alter_mutter_1992-2023.csv": "4d38cb31a2c4082f29b875f4343b68413de66efeb5a79f64233277e3718abb39",
    "destatis/destatis_12613-0003_gestorbene_de_alter_geschlecht_1956-2021.csv": "466d9e116cafde43e0127188c206930f092a51ac7ffed510a9e9304b624498a7",
}  # fmt: skip
WPP_SHARED = "wpp/wpp2022_DE_pop_single_age_sex_and_asfr_2000-2030_via_deficit65.csv"
WPP_RAW = "wpp/wpp2022_DE_pop_jan1_ages90plus_2000-2023.csv"  # derived: the rows ages 90..100


# --- raw inputs ---------------------------------------------------------------------------------


def sha256(path: Path) -> str:
    """sha256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def refresh_raw(shared: Path) -> None:
    """Copy the raw inputs byte for byte from ``shared``; extract the WPP rows of ages 90+."""
    for rel, digest in RAW_FILES.items():
        src, dst = shared / rel, RAW / rel
        assert sha256(src) == digest, f"{src}: not the file this script was written for"
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
    wpp = pd.read_csv(shared / WPP_SHARED)
    wpp = wpp[wpp["population_source"].str.startswith("wpp_popjan1st") & (wpp["AgeGrpStart"] >= 90)]
    wpp = wpp.assign(year=wpp["Time"].astype(int), age=wpp["AgeGrpStart"].astype(int))
    wpp = wpp[wpp["year"] <= 2023][["year", "age", "population_source", "Female", "Male"]]
    (RAW / WPP_RAW).parent.mkdir(parents=True, exist_ok=True)
    wpp.to_csv(RAW / WPP_RAW, index=False, lineterminator="\n")
    print(f"copied {len(RAW_FILES)} files and {WPP_RAW} into {RAW.relative_to(REPO)}")


def check_raw() -> None:
    """Stop if a raw input is missing or differs from the file the script was written for."""
    for rel, digest in RAW_FILES.items():
        assert (RAW / rel).is_file(), f"missing {RAW / rel}: run with --refresh-raw PATH"
        assert sha256(RAW / rel) == digest, f"{RAW / rel} differs from the documented file"
    assert (RAW / WPP_RAW).is_file(), f"missing {RAW / WPP_RAW}: run with --refresh-raw PATH"


def write_table(df: pd.DataFrame, folder: Path, stem: str, parquet: bool = False) -> str:
    """Write one contract file (contract column order); returns a line for the log."""
    cols = list(CONTRACT[stem].column_names)
    if parquet:
        path = folder / f"{stem}.parquet"
        df[cols].to_parquet(path, index=False, compression="zstd")
    else:
        path = folder / f"{stem}.csv"
        df[cols].to_csv(path, index=False, na_rep="", lineterminator="\n")
    return f"{path.relative_to(REPO)} ({path.stat().st_size:,} bytes, {len(df):,} rows)"


def population_frame(year: int, codes: list[str], counts: np.ndarray) -> pd.DataFrame:
    """Long population rows of one year from a (district, sex, age) count array."""
    idx = pd.MultiIndex.from_product(
        [[year], codes, SEXES, range(N_AGE)], names=["year", "district", "sex", "age"]
    )
    return pd.DataFrame({"count": counts.reshape(-1).astype(np.int64)}, index=idx).reset_index()


def write_city_yaml(folder: Path, text: str) -> None:
    """Write city.yaml after checking it parses and has the required keys."""
    assert set(CITY_YAML_KEYS) <= set(yaml.safe_load(text)), "city.yaml lacks a required key"
    (folder / "city.yaml").write_text(text, encoding="utf-8", newline="\n")


# --- Konstanz -----------------------------------------------------------------------------------

K_SRC = RAW / "konstanz"
K_LAST = 2025
K_FLOW_YEARS = list(range(1995, K_LAST + 1))  # births, deaths, migration are published from 1995
SECONDARY_MIN = 100  # pyramid - district sum above this: pyramid counts secondary residences
SECONDARY_PROFILE_YEARS = (1995, 2000)  # main-residence pyramids between main+secondary ones
MERGED = "petershausen"
K_BEDS = {
    "konstanz_stadtteile": {
        "merged": True,
        "first": 1987,
        "exclude": {
            1987: "first year after the gap 1986; Wallhausen 1000 (a round number; 1985: 1274, "
            "1988: 1241), Petershausen +707 on 1985",
            1993: "published Stadtteil totals count main + secondary residences (sum 78,126 = "
            "pyramid 78,151, every Stadtteil +5..22 %); replaced by the mean of 1992 and 1994",
            2020: "register pyramid 658 below the Stadtteil sum and out of line with its cohorts "
            "(as in data/konstanz)",
        },
    },
    "konstanz_stadtteile15": {
        "merged": False,
        "first": 1994,
        "exclude": {
            2020: "register pyramid 658 below the Stadtteil sum and out of line with its cohorts "
            "(as in data/konstanz)",
        },
    },
}


def k_pyramids() -> tuple[dict[int, np.ndarray], dict[int, str]]:
    """City pyramid per year 1983-2025 (sex f/m x age 0..100, 100 = 100+) and its ``basis``."""
    df = pd.read_csv(K_SRC / "konstanz_bevoelkerung_einzelalter_long_1983-2025.csv")
    df = df.assign(
        sex=df["geschlecht"].map({"w": "f", "m": "m"}), age=df["alter"].clip(upper=MAX_AGE)
    )
    assert df["sex"].notna().all(), "geschlecht other than m/w"
    years = sorted(df["jahr"].unique())
    grid = pd.MultiIndex.from_product([years, SEXES, range(N_AGE)], names=["jahr", "sex", "age"])
    counts = df.groupby(["jahr", "sex", "age"])["anzahl"].sum().reindex(grid, fill_value=0)
    basis = df.groupby("jahr")["basis"].first().to_dict()
    pyr = {int(y): counts.loc[y].to_numpy().reshape(len(SEXES), N_AGE) for y in years}
    return pyr, basis


def k_districts(merged: bool, first: int) -> tuple[pd.DataFrame, list[str], dict, pd.Series]:
    """Stadtteil totals ``first``..2025 (int), codes, names and the published 1993 row."""
    hist = pd.read_csv(K_SRC / "bev_historisch_nach_stadtteilen.csv").set_index("jahr")
    meta = yaml.safe_load(
        (K_SRC / "bev_historisch_nach_stadtteilen.md").read_text("utf-8").split("---")[1]
    )
    names = {c["name"]: c["description"] for c in meta["columns"] if c["name"] != "jahr"}
    # 1927-1993 the file repeats combined Petershausen in both columns; split from 1994.
    before = hist.index < 1994
    assert (hist.loc[before, "petershausenwest"].dropna() == hist.loc[before, "petershausenost"]
            .dropna()).all(), "Petershausen-West and -Ost differ before 1994"  # fmt: skip
    if merged:
        combined = hist["petershausenwest"].where(
            before, hist["petershausenwest"] + hist["petershausenost"]
        )
        hist = hist.assign(petershausenwest=combined).drop(columns="petershausenost")
        hist = hist.rename(columns={"petershausenwest": MERGED})
        names[MERGED] = "Petershausen (West und Ost)"
    years = list(range(first, K_LAST + 1))
    totals = hist.loc[years]
    assert not totals.isna().any().any(), "a Stadtteil total is missing"
    totals = totals.astype(np.int64)
    published_1993 = totals.loc[1993].copy() if 1993 in years else pd.Series(dtype=np.int64)
    if 1993 in years:  # main + secondary residences: mean of 1992 and 1994, rounded half up
        totals.loc[1993] = (totals.loc[1992] + totals.loc[1994] + 1) // 2
    codes = list(totals.columns)
    return totals, codes, {c: names[c] for c in codes}, published_1993


def secondary_profile(pyr: dict[int, np.ndarray]) -> np.ndarray:
    """Sex x age distribution (sums to 1) of the residents with a secondary residence only.

    In 1995 and 2000 the pyramid counts main residences while 1994/1996 and 1999/2001 count main +
    secondary ones. The same cohorts' mean one year before and after, minus the main-residence
    count, estimates the secondary residents of that year (1995: 6,519 vs 6,347 in
    bev_meldestatus; 2000: 5,685 vs 5,495). Mean of the two years, negatives set to 0, ages 90+ set
    to 0, smoothed with a centred 5-year moving average per sex.
    """
    diffs = []
    for y in SECONDARY_PROFILE_YEARS:
        before, now, after = (pyr[t].astype(float) for t in (y - 1, y, y + 1))
        est = now.copy()
        est[:, 1:90] = 0.5 * (before[:, 0:89] + after[:, 2:91])
        est[:, 0] = 0.5 * (before[:, 0] + after[:, 0])
        diffs.append(est - now)
    d = np.clip(np.mean(diffs, axis=0), 0.0, None)
    kernel = np.ones(5) / 5
    smooth = np.stack([np.convolve(row, kernel, mode="same") for row in d])
    return smooth / smooth.sum()


def main_residence(pyr: np.ndarray, total: int, profile: np.ndarray) -> tuple[np.ndarray, int]:
    """The city pyramid on the main-residence basis, summing exactly to ``total``.

    If the pyramid exceeds the district sum by more than SECONDARY_MIN, the excess is taken out
    with the secondary-residence profile (cells not below 0); then the pyramid is scaled to the
    district sum with largest-remainder rounding. Returns the pyramid and the persons removed.
    """
    parts, excess = pyr.astype(float), int(pyr.sum()) - total
    removed = 0
    if excess > SECONDARY_MIN:
        parts = np.clip(parts - excess * profile, 0.0, None)
        removed = int(round(pyr.sum() - parts.sum()))
    out = scale_to_total(parts.reshape(-1), total).reshape(len(SEXES), N_AGE)
    return out, removed


def build_konstanz_bed(bed: str, spec: dict) -> list[dict]:
    """Write one Konstanz bed; returns the per-year table for its README."""
    folder = OUT / bed
    folder.mkdir(parents=True, exist_ok=True)
    pyr, basis = k_pyramids()
    totals, codes, names, published_1993 = k_districts(spec["merged"], spec["first"])
    years = list(totals.index)
    profile = secondary_profile(pyr)
    pyr_main, rows = {}, []
    for y in years:
        total = int(totals.loc[y].sum())
        pyr_main[y], removed = main_residence(pyr[y], total, profile)
        rows.append(
            {
                "year": y,
                "pyramid": int(pyr[y].sum()),
                "basis": basis[y],
                "districts": total,
                "removed": removed,
                "scaled": total - int(pyr[y].sum()) + removed,
                "note": spec["exclude"].get(y, ""),
            }
        )
    exclude = tuple(sorted(spec["exclude"]))
    population, stats = bk.build_population(pyr_main, codes, totals, years, exclude)
    assert all(s["scaled_by"] == 0 for s in stats), "district totals were changed"
    log = [write_table(population, folder, "population", parquet=True)]
    flows = bk.city_flows(K_SRC, [y for y in K_FLOW_YEARS if y in years])
    for stem, df in zip(("births", "deaths", "migration"), flows, strict=True):
        log.append(write_table(df, folder, stem))
    write_city_yaml(folder, k_city_yaml(bed, spec, codes, names))
    readme = k_readme(bed, spec, codes, names, rows, stats, profile, published_1993, totals)
    (folder / "README.md").write_text(readme, encoding="utf-8", newline="\n")
    print("\n".join(log))
    return rows


def k_city_yaml(bed: str, spec: dict, codes: list[str], names: dict[str, str]) -> str:
    """city.yaml of a Konstanz bed (written by hand to keep the comments)."""
    group = {c: g for g, members in bk.SOZIALRAUM.items() for c in members}
    group[MERGED] = "petershausen"
    districts = "\n".join(
        f'  - {{code: {c}, name: "{names[c]}", sozialraum: {group[c]}}}' for c in codes
    )
    excl = "\n".join(f"#   {y}: {why}" for y, why in spec["exclude"].items())
    first = spec["first"]
    return f"""\
# Validation bed {bed}: Konstanz Stadtteile {first}-{K_LAST}. Built by
# scripts/build_validation_beds.py; read README.md in this folder. District totals are register
# figures; their age structure is an IPF estimate (every Stadtteil has the city's structure).
name: "Konstanz (Stadtteile {first}-{K_LAST})"
ags: "08335043"
state: BW
# Suspect register years (kept in the data, not used for estimating rates):
{excl}
exclude_years: [{", ".join(str(y) for y in sorted(spec["exclude"]))}]
# sozialraum (source: estimate): the project's geographic groups of data/konstanz.
districts:
{districts}
sources:
  - name: "Stadt Konstanz, Konstanz in Zahlen (Einwohnerfortschreibung)"
    repo: sgc-kn/konstanz-in-zahlen
    url: {bk.REPO_URL}/tree/{bk.COMMIT}
    licence: CC0-1.0
licence: CC0-1.0
"""


def k_readme(
    bed: str,
    spec: dict,
    codes: list[str],
    names: dict[str, str],
    rows: list[dict],
    stats: list[dict],
    profile: np.ndarray,
    published_1993: pd.Series,
    totals: pd.DataFrame,
) -> str:
    """README of a Konstanz bed: what is exact, what is estimated, suspect years."""
    first = spec["first"]
    table = ["| year | pyramid total | pyramid basis | Stadtteil sum | secondary residents removed "
             "| further scaling | suspect |", "|---:|---:|---|---:|---:|---:|---|"]  # fmt: skip
    for r in rows:
        table.append(
            f"| {r['year']} | {r['pyramid']:,} | {r['basis']} | {r['districts']:,} | "
            f"{r['removed']:,} | {r['scaled']:+d} | {r['note']} |"
        )
    groups = [(0, 17), (18, 19), (20, 24), (25, 29), (30, 39), (40, 64), (65, 100)]
    prof = ", ".join(f"{a}-{b}: {100 * profile[:, a : b + 1].sum():.0f} %" for a, b in groups)
    male = 100 * profile[M].sum()
    iters = max(s["iterations"] for s in stats)
    if len(published_1993):
        t93 = ["| Stadtteil | published 1993 | used 1993 (mean of 1992, 1994) |", "|---|---:|---:|"]
        for c in codes:
            t93.append(
                f"| {names[c]} | {int(published_1993[c]):,} | {int(totals.loc[1993, c]):,} |"
            )
        t93.append(f"| sum | {int(published_1993.sum()):,} | {int(totals.loc[1993].sum()):,} |")
        part_1993 = "\n### 1993\n\n" + "\n".join(t93) + "\n"
    else:
        part_1993 = ""
    district_list = ", ".join(f"`{c}` {names[c]}" for c in codes)
    merged_text = (
        "Petershausen-West and -Ost are merged into one district `petershausen` for the whole "
        "span: the city split Petershausen in 1993 and the file repeats the combined figure in "
        "both columns up to 1993, so a split is available from 1994 only (bed "
        "`konstanz_stadtteile15`)."
        if spec["merged"]
        else "The 15 Stadtteile of today; Petershausen-West and -Ost exist separately from 1994 "
        "(bed `konstanz_stadtteile` merges them to reach back to 1987)."
    )
    return f"""\
# Validation bed `{bed}`: Konstanz, {len(codes)} Stadtteile, {first}-{K_LAST}

Built by `scripts/build_validation_beds.py` from Stadt Konstanz, "Konstanz in Zahlen"
(`sgc-kn/konstanz-in-zahlen` @ `{bk.COMMIT}`, CC0-1.0; copies in `../raw/konstanz/`).

Districts ({len(codes)}): {district_list}. {merged_text}

## Span

{first}-{K_LAST}, every year present (the contract wants consecutive years). The historical
Stadtteil file starts in 1927, but the city pyramid by single age starts in 1983 and the Stadtteil
totals are missing for 1983, 1984 and 1986; so 1987 is the first year of an unbroken series with
both margins. Births, deaths and migration (whole-city totals, `_city`, no age or sex) exist from
1995 only: `births.csv`, `deaths.csv`, `migration.csv` cover 1995-{K_LAST}.

**Consequence for backtests**: the current estimator needs births for every flow year of its base
period (`estimate_base_rates` raises "births file lacks years"), and `jhplan backtest` also runs
Hamilton-Perry with 5-year ratios (register 5 years before the base year needed). With the
default base period of 3 transitions the earliest base year of `jhplan backtest` is **1997** in
`konstanz_stadtteile` (base 1995 and 1996 reach back to the flow years 1991/1992 because the
transitions into and out of 1993 are skipped) and **1999** in `konstanz_stadtteile15`. Years
before 1995 are usable as history for methods that need only stocks (district shares and their
trends, Hamilton-Perry).

## What is exact and what is estimated

* **Exact** (register, main residence, 31.12.): the Stadtteil totals of every year except 1993
  (see below).
* **Estimate**: the city pyramid in years whose published pyramid counts main **and secondary**
  residences (`basis` in the long file; 1987-1994 are `unbekannt(vor_1995)` but exceed the
  Stadtteil sum by 3,665-6,161 persons, the size of the secondary-residence population of 1995,
  6,347; in 1993 the published Stadtteil totals themselves are on that basis, see below). In
  those years the excess over the Stadtteil sum was removed with an age-sex profile of secondary
  residents (column "secondary residents removed"), estimated from 1995 and 2000, the two
  main-residence pyramids between main+secondary ones: the same cohorts' mean of the year before
  and after minus the main-residence pyramid (totals 6,519 and 5,685, against 6,347 and 5,495
  secondary residents in `bev_meldestatus.csv`: the basis reading is right). The profile is
  {male:.0f} % male; by age {prof}: students. Every pyramid was then scaled to the Stadtteil sum
  with largest-remainder rounding ("further scaling": small register slips, and 2020).
* **Estimate**: the age-sex structure of each Stadtteil: not published. As in
  `data/konstanz` (`scripts/build_konstanz.py`, functions imported, not copied): iterative
  proportional fitting of Stadtteil x (sex, age) to the Stadtteil totals and the city pyramid
  (scaled to the Stadtteil sum), seed {first} uniform, later years the previous trusted fit aged
  one year (excluded years are skipped as seeds); converged below 1e-9 persons in at most {iters}
  iterations; controlled rounding keeps both margins exact as integers. As documented for
  `data/konstanz`, a uniform start stays uniform: **every Stadtteil carries the city's sex x age
  structure** scaled to its total. District age results test nothing beyond the city structure;
  district **totals** are the real test.
* **Exact**: births, deaths, in- and out-migration 1995-{K_LAST} (city totals, as published).

## Suspect years (`exclude_years` in city.yaml)

{chr(10).join(f"* **{y}**: {why}." for y, why in spec["exclude"].items())}

Other features seen in the Stadtteil series (kept, not excluded; real or unexplained):
Allmannsdorf +10 % from 1992 to 1994 while its neighbours fell (perhaps a boundary change at the
1993 reorganisation), Egg +20 % in 1995 and +9 % in 1996 (new housing), Wollmatingen +5..9 % a
year 1996-2000 (new housing), Industriegebiet +10 % in 2022 and 2023 and -10 % in 2025
(accommodation of refugees), Paradies -3.5 % and Königsbau +6 % in 2011.
Backtests with a base year before 2009 meet pyramids whose age structure is estimated in most
years (main+secondary basis); the district totals are exact throughout.
{part_1993}
## Per year

{chr(10).join(table)}
"""


# --- Germany and the Länder ---------------------------------------------------------------------

D_SRC = RAW / "destatis"
L_YEARS = list(range(1990, 2023))  # the new Länder and all of Berlin are in 12411-0012 from 1990
L_EXCLUDE = {
    2011: "first year on the basis of the Zensus 2011: Germany -1.42 M (-1.7 %) on 2010, Berlin "
    "-135 k (-3.9 %), Hamburg -68 k; the 2010->2011 change is a statistical break",
}
LAENDER = (  # code, name as in the GENESIS header, sozialraum (group)
    ("bw", "Baden-Württemberg", "west"),
    ("by", "Bayern", "west"),
    ("be", "Berlin", "berlin"),
    ("bb", "Brandenburg", "ost"),
    ("hb", "Bremen", "west"),
    ("hh", "Hamburg", "west"),
    ("he", "Hessen", "west"),
    ("mv", "Mecklenburg-Vorpommern", "ost"),
    ("ni", "Niedersachsen", "west"),
    ("nw", "Nordrhein-Westfalen", "west"),
    ("rp", "Rheinland-Pfalz", "west"),
    ("sl", "Saarland", "west"),
    ("sn", "Sachsen", "ost"),
    ("st", "Sachsen-Anhalt", "ost"),
    ("sh", "Schleswig-Holstein", "west"),
    ("th", "Thüringen", "ost"),
)
N_L = len(LAENDER)
OPEN_L = 90  # 12411-0012 and -0013 end at "90 Jahre und mehr"
OPEN_DE = 85  # 12411-0006 ends at "85 Jahre und mehr"


def genesis_lines(file: Path, encoding: str, first: str) -> list[list[str]]:
    """Data lines of a GENESIS CSV export (those whose first cell matches ``first``), split."""
    text = file.read_text(encoding=encoding, errors="replace")
    return [line.split(";") for line in text.splitlines() if re.match(first, line)]


def genesis_age(label: str) -> int | None:
    """Age from a GENESIS label: 'unter 1 Jahr' 0, '7-Jährige' 7, '90 Jahre und mehr' 90;
    None for 'Insgesamt'. Parsed from the leading number (one file has lost its umlauts)."""
    if label.startswith("unter 1"):
        return 0
    if label.startswith("Insgesamt"):
        return None
    return int(re.match(r"(\d+)", label).group(1))


def genesis_int(cell: str) -> int:
    """A GENESIS count; '-' is exactly zero."""
    return 0 if cell.strip() == "-" else int(cell)


def read_laender_ages() -> dict[int, np.ndarray]:
    """12411-0012: year -> (Land, age 0..90) both sexes, 90 = 90+; checked against Insgesamt."""
    file = D_SRC / "destatis_12411-0012_bev_laender_alter_1967-2022.csv"
    header = next(line for line in genesis_lines(file, "latin1", r"^;;") if "Bayern" in line)
    assert header[2:] == [name for _, name, _ in LAENDER], "Länder columns"
    out: dict[int, np.ndarray] = {}
    totals: dict[int, np.ndarray] = {}
    for cells in genesis_lines(file, "latin1", r"^31\.12\.\d{4};"):
        year, age = int(cells[0][-4:]), genesis_age(cells[1])
        if year not in L_YEARS:
            continue
        values = np.array([genesis_int(c) for c in cells[2:18]], dtype=np.int64)
        if age is None:
            totals[year] = values
        else:
            out.setdefault(year, np.zeros((N_L, OPEN_L + 1), np.int64))[:, age] = values
    for y in L_YEARS:
        assert (out[y].sum(axis=1) == totals[y]).all(), f"12411-0012 {y}: ages do not sum"
        assert (out[y] > 0).all(), f"12411-0012 {y}: an empty Land x age cell"
    return out


def read_laender_sex() -> dict[int, np.ndarray]:
    """12411-0013: year -> (Land, sex f/m, age 0..90)."""
    file = D_SRC / "destatis_12411-0013_bev_laender_alter_geschlecht_2015-2021.csv"
    out: dict[int, np.ndarray] = {}
    for cells in genesis_lines(file, "utf-8", r"^31\.12\.\d{4};"):
        year, age = int(cells[0][-4:]), genesis_age(cells[1])
        if age is None:
            continue
        v = np.array([genesis_int(c) for c in cells[2 : 2 + 3 * N_L]]).reshape(N_L, 3)
        assert (v[:, 0] + v[:, 1] == v[:, 2]).all(), f"12411-0013 {year} {age}: m + w != total"
        arr = out.setdefault(year, np.zeros((N_L, 2, OPEN_L + 1), np.int64))
        arr[:, M, age], arr[:, F, age] = v[:, 0], v[:, 1]
    return out


def read_germany_sex() -> dict[int, np.ndarray]:
    """12411-0006: year -> (sex f/m, age 0..85), 85 = 85+ (before 1990 West Germany only)."""
    file = D_SRC / "destatis_12411-0006_bev_de_alter_geschlecht_1970-2021.csv"
    out: dict[int, np.ndarray] = {}
    totals: dict[int, np.ndarray] = {}
    for cells in genesis_lines(file, "utf-8", r"^31\.12\.\d{4};"):
        year, age = int(cells[0][-4:]), genesis_age(cells[1])
        m, f = int(cells[2]), int(cells[3])
        if age is None:
            totals[year] = np.array([f, m])
        else:
            out.setdefault(year, np.zeros((2, OPEN_DE + 1), np.int64))[:, age] = (f, m)
    for y in out:
        assert (out[y].sum(axis=1) == totals[y]).all(), f"12411-0006 {y}: ages do not sum"
    return out


def logit(p: np.ndarray) -> np.ndarray:
    """log(p / (1 - p))."""
    return np.log(p / (1.0 - p))


def expit(x: np.ndarray) -> np.ndarray:
    """Inverse of logit."""
    return 1.0 / (1.0 + np.exp(-x))


def split_national(total: np.ndarray, de: np.ndarray, grad85: np.ndarray) -> np.ndarray:
    """Land x age (0..90) -> Land x sex x age with the national male share by age.

    Ages 0..84: the national share of the same age; the national f/m counts (12411-0006, scaled
    to the Länder sum of that age, which differs by at most 3 persons) are kept exact by
    controlled rounding. Ages 85..90+: the national 85+ share shifted on the logit scale by the
    2015 age gradient inside 85+ (``grad85``, from 12411-0013), fitted by IPF so that the
    Länder's 85+ f/m counts equal the national ones.
    """
    out = np.zeros((N_L, 2, OPEN_L + 1), np.int64)
    for a in range(OPEN_DE):
        rows = total[:, a]
        cols = scale_to_total(de[:, a].astype(float), int(rows.sum()))
        x = rows[:, None] * (cols / cols.sum())[None, :]
        out[:, :, a], _ = integerise(x, rows, cols)
    rows = total[:, OPEN_DE:].reshape(-1)  # Land-major, ages 85..90
    cols = scale_to_total(de[:, OPEN_DE].astype(float), int(rows.sum()))
    p = np.tile(expit(logit(de[M, OPEN_DE] / de[:, OPEN_DE].sum()) + grad85), N_L)
    x, _, _ = ipf(np.stack([rows * (1 - p), rows * p], axis=1), rows, cols)
    counts, _ = integerise(x, rows, cols)
    out[:, :, OPEN_DE:] = counts.reshape(N_L, OPEN_L + 1 - OPEN_DE, 2).transpose(0, 2, 1)
    return out


def spread_open(counts: np.ndarray, year: int, wpp: pd.DataFrame) -> tuple[np.ndarray, int]:
    """Land x sex x (0..90+) -> Land x sex x (0..100+): spread 90+ over 90..100 by sex.

    Shares of ages 90..100+ within 90+ from WPP2022 for Germany at 1 January of ``year`` + 1
    (= 31.12. of ``year``); before 1999 the earliest, 1 January 2000. Largest-remainder rounding
    per Land and sex keeps each Land's 90+ count exact. Returns the array and the WPP year used.
    """
    use = max(year + 1, int(wpp["year"].min()))
    sel = wpp[wpp["year"] == use].set_index("age").reindex(range(OPEN_L, N_AGE))
    shares = {F: sel["Female"].to_numpy(float), M: sel["Male"].to_numpy(float)}
    out = np.zeros((N_L, 2, N_AGE), np.int64)
    out[:, :, :OPEN_L] = counts[:, :, :OPEN_L]
    for i in range(N_L):
        for s in (F, M):
            out[i, s, OPEN_L:] = scale_to_total(shares[s], int(counts[i, s, OPEN_L]))
    return out, use


def germany_births() -> pd.DataFrame:
    """Live births of Germany as ``_city`` rows: by sex 1990-1991 (12612-0002), by age of mother
    x sex 1992-2022 (12612-0007), unknown ages spread in proportion."""
    monthly = genesis_lines(
        D_SRC / "destatis_12612-0002_lebendgeborene_de_monate_geschlecht.csv", "utf-8", r"^\d{4};"
    )
    by_sex: dict[int, np.ndarray] = {}
    for cells in monthly:
        if cells[2] in ("...", "."):
            continue
        y = int(cells[0])
        by_sex.setdefault(y, np.zeros(2, np.int64))
        by_sex[y] += (int(cells[3]), int(cells[2]))  # f, m
    months = pd.Series([int(c[0]) for c in monthly if c[2] not in ("...", ".")]).value_counts()
    complete = {int(y) for y, n in months.items() if n == 12}
    ages = range(15, 50)
    detail: dict[int, np.ndarray] = {}
    unknown: dict[int, np.ndarray] = {}
    for cells in genesis_lines(
        D_SRC / "destatis_12612-0007_lebendgeborene_alter_mutter_1992-2023.csv",
        "latin1",
        r"^\d{4};",
    ):
        y = int(cells[0])
        v = [0 if c.strip() in ("-", ".") else int(c) for c in cells[2:6]]
        m, f = v[0] + v[1], v[2] + v[3]  # married + not married
        if cells[1].startswith("Alter unbekannt"):
            unknown[y] = np.array([f, m])
            continue
        a = 15 if cells[1].startswith("unter 15") else min(genesis_age(cells[1]), 49)
        detail.setdefault(y, np.zeros((2, len(ages)), np.int64))[:, a - 15] += (f, m)
    rows = []
    for y in L_YEARS:
        if y < 1992:
            for s in (F, M):
                rows.append((y, None, SEXES[s], int(by_sex[y][s])))
            continue
        known = detail[y]
        total = by_sex[y] if y in complete else known.sum(axis=1) + unknown.get(y, 0)
        for s in (F, M):
            counts = scale_to_total(known[s].astype(float), int(total[s]))
            rows += [(y, a, SEXES[s], int(c)) for a, c in zip(ages, counts, strict=True)]
    df = pd.DataFrame(rows, columns=["year", "mother_age", "sex", "count"])
    return df.assign(district=CITY_DISTRICT, mother_age=df["mother_age"].astype("Int64"))


def germany_deaths() -> pd.DataFrame:
    """Deaths of Germany as ``_city`` rows by sex x age 0..100+ (12613-0003), 1990-2021; deaths
    of unknown age spread in proportion within the sex."""
    file = D_SRC / "destatis_12613-0003_gestorbene_de_alter_geschlecht_1956-2021.csv"
    header = next(c for c in genesis_lines(file, "utf-8", r"^;;\d{4}"))
    years = [int(c) for c in header[2:] if c.strip()]
    known = {s: np.zeros((len(years), N_AGE), np.int64) for s in (F, M)}
    total = {s: np.zeros(len(years), np.int64) for s in (F, M)}
    for cells in genesis_lines(file, "utf-8", r"^(m|w)\S*;"):
        s = M if cells[0].startswith("m") else F
        values = np.array([genesis_int(c) for c in cells[2 : 2 + len(years)]])
        if cells[1].startswith("Insgesamt"):
            total[s] = values
        elif not cells[1].startswith("Alter unbekannt"):
            known[s][:, min(genesis_age(cells[1]), MAX_AGE)] += values
    rows = []
    for j, y in enumerate(years):
        if y not in L_YEARS:
            continue
        for s in (F, M):
            counts = scale_to_total(known[s][j].astype(float), int(total[s][j]))
            rows += [(y, SEXES[s], a, int(c)) for a, c in enumerate(counts)]
    df = pd.DataFrame(rows, columns=["year", "sex", "age", "count"])
    return df.assign(district=CITY_DISTRICT)


def sex_split_check(total: dict, sex13: dict, de: dict, grad85: np.ndarray) -> list[str]:
    """How far the national-ratio split is from the published Land x sex counts, 2015-2021."""
    groups = [(0, 17), (18, 29), (30, 49), (50, 64), (65, 90)]
    lines = ["| year | " + " | ".join(f"{a}-{b}" if b < 90 else f"{a}+" for a, b in groups)
             + " | worst Land x group |", "|---:|" + "---:|" * (len(groups) + 1)]  # fmt: skip
    for y in sorted(sex13):
        est = split_national(total[y], de[y], grad85)
        errs, worst = [], (0.0, "")
        for a, b in groups:
            e = est[:, M, a : b + 1].sum(1) - sex13[y][:, M, a : b + 1].sum(1)
            rel = 100 * e / sex13[y][:, M, a : b + 1].sum(1)
            errs.append(np.abs(rel).mean())
            i = int(np.argmax(np.abs(rel)))
            if abs(rel[i]) > abs(worst[0]):
                worst = (rel[i], f"{LAENDER[i][0]} {a}-{b}")
        lines.append(f"| {y} | " + " | ".join(f"{e:.2f}" for e in errs)
                     + f" | {worst[1]} {worst[0]:+.1f} % |")  # fmt: skip
    return lines


def build_laender() -> None:
    """Write the ``laender`` bed."""
    folder = OUT / "laender"
    folder.mkdir(parents=True, exist_ok=True)
    total, sex13, de = read_laender_ages(), read_laender_sex(), read_germany_sex()
    wpp = pd.read_csv(RAW / WPP_RAW)
    for y in L_YEARS:  # the Länder sum equals the national figure
        if y in de:
            assert total[y].sum() == de[y].sum(), f"{y}: Länder sum != Germany (12411-0006)"
            assert np.abs(total[y][:, :OPEN_DE].sum(0) - de[y][:, :OPEN_DE].sum(0)).max() <= 3
    for y in sex13:
        assert (sex13[y].sum(axis=1) == total[y]).all(), f"{y}: 12411-0013 != 12411-0012"
    nat15 = sex13[2015].sum(axis=0)  # (sex, age 0..90)
    share15 = nat15[M] / nat15.sum(axis=0)
    share15_85 = nat15[M, OPEN_DE:].sum() / nat15[:, OPEN_DE:].sum()
    grad85 = logit(share15[OPEN_DE:]) - logit(np.array(share15_85))
    frames, methods = [], []
    for y in L_YEARS:
        if y in sex13:
            counts, how = sex13[y], "exact (12411-0013)"
        elif y in de:
            counts, how = (
                split_national(total[y], de[y], grad85),
                "national share by age (12411-0006)",
            )
        else:  # 2022: the 2021 shares of each Land, one year older
            p21 = sex13[2021][:, M] / sex13[2021].sum(axis=1)
            p = np.concatenate([p21[:, :1], p21[:, : OPEN_L - 1], p21[:, OPEN_L:]], axis=1)
            m = np.rint(total[y] * p).astype(np.int64)
            counts = np.stack([total[y] - m, m], axis=1)
            how = "2021 share of the Land, cohort aged one year (12411-0013)"
        assert (counts.sum(axis=1) == total[y]).all() and (counts >= 0).all()
        full, wpp_year = spread_open(counts, y, wpp)
        frames.append(population_frame(y, [c for c, _, _ in LAENDER], full))
        methods.append((y, how, wpp_year))
    population = pd.concat(frames, ignore_index=True)
    log = [write_table(population, folder, "population", parquet=True)]
    log.append(write_table(germany_births(), folder, "births"))
    log.append(write_table(germany_deaths(), folder, "deaths"))
    write_city_yaml(folder, laender_city_yaml())
    check = sex_split_check(total, sex13, de, grad85)
    (folder / "README.md").write_text(laender_readme(methods, check, total), "utf-8", newline="\n")
    print("\n".join(log))


def laender_city_yaml() -> str:
    """city.yaml of the Länder bed."""
    districts = "\n".join(f'  - {{code: {c}, name: "{n}", sozialraum: {g}}}' for c, n, g in LAENDER)
    excl = "\n".join(f"#   {y}: {why}" for y, why in L_EXCLUDE.items())
    return f"""\
# Validation bed laender: Germany as a "city" whose districts are the 16 Länder, 1990-2022.
# Built by scripts/build_validation_beds.py; read README.md in this folder. Ages 0..89 by Land
# exact (Destatis 12411-0012); sex before 2015 and in 2022, and ages 90..100, are estimates.
name: "Deutschland (Bundesländer 1990-2022)"
# Not a municipality: 8 zeros stand for Germany (the contract asks for an 8-digit AGS).
ags: "00000000"
# Suspect register years (kept in the data, not used for estimating rates):
{excl}
exclude_years: [{", ".join(str(y) for y in sorted(L_EXCLUDE))}]
# sozialraum (source: estimate): west = the old Länder, ost = the new Länder, berlin = Berlin.
districts:
{districts}
sources:
  - name: "Statistisches Bundesamt (Destatis), GENESIS 12411-0012, 12411-0013, 12411-0006,
      12612-0002, 12612-0007, 12613-0003"
    url: https://www-genesis.destatis.de
    licence: dl-de/by-2-0
  - name: "United Nations, World Population Prospects 2022 (ages 90..100 within 90+ only)"
    url: https://population.un.org/wpp/
    licence: CC-BY-3.0-IGO
licence: "dl-de/by-2-0 (© Statistisches Bundesamt (Destatis)); WPP 2022 CC BY 3.0 IGO"
"""


def laender_readme(methods: list[tuple], check: list[str], total: dict) -> str:
    """README of the Länder bed."""
    spans: list[list] = []
    for y, how, _ in methods:
        if spans and spans[-1][2] == how:
            spans[-1][1] = y
        else:
            spans.append([y, y, how])
    sex_lines = "\n".join(f"| {a}-{b} | {how} |" if a != b else f"| {a} | {how} |"
                          for a, b, how in spans)  # fmt: skip
    wpp_years = sorted({w for _, _, w in methods})
    de = {y: int(total[y].sum()) for y in (2010, 2011)}
    return f"""\
# Validation bed `laender`: Germany with the 16 Länder as districts, 1990-2022

Built by `scripts/build_validation_beds.py` from Destatis GENESIS exports (dl-de/by-2-0,
"© Statistisches Bundesamt (Destatis)"; copies in `../raw/destatis/`) and, for the ages above 90
only, UN WPP 2022 (CC BY 3.0 IGO; `../raw/wpp/`). It tests the **population stocks only** path:
there is no migration file (the engine's residual method estimates migration from consecutive
registers and the natural balance); births and deaths are whole-Germany `_city` rows.

Districts: {", ".join(f"`{c}` {n}" for c, n, _ in LAENDER)}; `sozialraum` = west / ost /
berlin (a grouping for reading results, not an official one).

## Span and breaks

* **1990-2022.** 12411-0012 starts in 1967 but holds the new Länder (and all of Berlin; before
  1990 "nur Berlin-West") from 31.12.1990 only. A West-only bed 1967-1989 would need its own
  Berlin (West); not built.
* **1990**: the first year, the new Länder's first count (from the GDR's central register). The
  1990-1992 changes carry the large East-West migration after unification (Sachsen -85,000 in
  1991, the East Länder -1..-2 % a year); real, and a hard test, not a data error.
* **2011** (in `exclude_years`): from 31.12.2011 the figures rest on the Zensus 2011 instead of
  the 1987 census (West) / GDR register (East). Germany {de[2010]:,} (2010) -> {de[2011]:,} (2011);
  Berlin -3.9 %, Hamburg -3.8 %, Baden-Württemberg -2.2 %, others less. The 2010->2011 change is
  not demographic. Excluding 2011 keeps both transitions touching it out of rate estimation; a
  backtest from a base year up to 2010 evaluated after 2010 also carries the level break in its
  errors (Destatis publishes no back-cast series here).
* **Backtests**: `jhplan backtest` needs the register 5 years before the base year
  (Hamilton-Perry): base years 1995-2017 for a 5-year horizon.
* **2022** is still on the Zensus 2011 basis (the file's Stand is 03.12.2023, before the Zensus
  2022 results).

## What is exact and what is estimated

* **Exact**: population by Land x single age 0..89 and 90+ (both sexes), 31.12., every year
  (12411-0012; ages sum to the published totals, checked). The Länder sum equals the Germany
  total of 12411-0006 exactly in every year 1990-2021 (tested); per single age 0..84 they differ
  by at most 3 persons (different revision states).
* **Sex split** (Land x age x sex):

  | years | method |
  |---|---|
{chr(10).join("  " + line for line in sex_lines.splitlines())}

  "National share by age": every Land gets Germany's male share at that age (12411-0006, ages
  0..84); the national female/male counts are kept exact by controlled rounding (functions of
  `scripts/build_konstanz.py`). For 85..89 and 90+, 12411-0006 has only 85+: its male share is
  shifted on the logit scale by the 2015 age gradient inside 85+ (12411-0013), then fitted by IPF
  so that the Länder's 85+ counts by sex equal the national ones. This ignores Land differences
  in the sex ratio (young men in the city-states, the East's male surplus at 20-50 after the
  out-migration of young women), so 2014 -> 2015 has a **break in the sex structure** of each Land (totals by age are
  unaffected); sex-specific rates estimated across 2014 -> 2015 (base years 2015-2017 with 3
  transitions) carry it. Size of that error, measured on 2015-2021 where the true split is known
  (mean over Länder of |estimated - published males| / published males, %, by age group):

{chr(10).join(check)}

* **Ages 90..100** (100 = 100+): the files end at 90+. The 90+ count of each Land and sex is
  spread over 90..100 with the age distribution inside 90+ of Germany's population by sex in
  WPP 2022 at 1 January of the next year (years used: {wpp_years[0]}-{wpp_years[-1]}; before
  31.12.1999 the 1 January 2000 distribution), largest-remainder rounding. WPP's single ages
  carry the cohorts (e.g. the small 1915-1919 birth cohorts) that a stationary life-table
  distribution would miss; a stationary distribution (Sterbetafel 2016/18) puts about 5 % of
  women 90+ at 100+ where WPP has 1-3 %. The same shares for every Land: Land differences inside
  90+ are not known. Putting all of 90+ at age 100 was rejected: the projection would apply the
  survival of centenarians to 90-year-olds.
* **Births** (`_city`): 1990-1991 by sex (12612-0002, months summed); 1992-2022 by single age of
  mother x sex (12612-0007, "Geburtsjahrmethode"; under 15 counted at 15, 50 and over at 49),
  scaled to the 12612-0002 totals by sex where those are complete (1992-2021: 1992-1998 and 2021
  have up to 688 births with unknown or withheld age of mother, spread in proportion).
* **Deaths** (`_city`): by sex x single age 0..100+ (12613-0003), 1990-2021; deaths of unknown
  age spread in proportion within the sex. No deaths for 2022 in the file: the engine falls back
  to reference mortality if a base period needs 2022.
* **No migration file**: international and inter-Land migration are both left to the residual
  method (Germany's net migration is large: +1.1 M in 2015).
"""


# --- top level ----------------------------------------------------------------------------------


def main() -> None:
    """Build every bed (and optionally refresh the raw copies first)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--refresh-raw",
        type=Path,
        metavar="PATH",
        help="copy the raw inputs from PATH (laid out like /work/shared/data) before building",
    )
    args = parser.parse_args()
    if args.refresh_raw is not None:
        refresh_raw(args.refresh_raw)
    check_raw()
    for bed, spec in K_BEDS.items():
        build_konstanz_bed(bed, spec)
    build_laender()


if __name__ == "__main__":
    main()
