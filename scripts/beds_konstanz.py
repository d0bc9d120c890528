"""Validation beds of Konstanz Stadtteile (part of ``scripts/build_validation_beds.py``)."""

from __future__ import annotations

import build_konstanz as bk
import numpy as np
import pandas as pd
import yaml
from beds_common import N_AGE, OUT, RAW, M, write_city_yaml
from build_konstanz import scale_to_total
from buildlib import write_table

from forecast.contract import MAX_AGE, SEXES

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
