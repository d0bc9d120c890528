"""Build the national reference schedules in ``forecast/reference/`` from Destatis GENESIS exports.

The engine falls back to these schedules when a city folder has no ``life_table`` or ``fertility``
file. Everything is derived from the read-only exports in ``<shared>/destatis`` so that the package
works without the shared folder later. Running the script twice gives byte-identical files.

Usage:
    python scripts/build_reference.py [--shared PATH]

Outputs (``forecast/reference/``):
    life_tables_de.csv          period,sex,age,qx,lx,Lx   (Sterbetafeln 2016/18, 2020/22, 2022/24)
    asfr_de.csv                 year,mother_age,asfr      (1993..2021, mother_age 15..49)
    sex_ratio_at_birth_de.csv   year,male,female,ratio    (1950..2021)
    SOURCES.md                  tables, derivations, licence and attribution
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from buildlib import REPO, shared_data_folder  # first: puts the repository on sys.path

OUT = REPO / "forecast" / "reference"

LIFE_TABLES = {
    "2016/18": "destatis_12621-0001_sterbetafel_2016-2018.csv",
    "2020/22": "destatis_12621-0001_sterbetafel_2020-2022.csv",
    "2022/24": "destatis_12621-0001_sterbetafel_2022-2024.csv",
}
BIRTHS_BY_MOTHER_AGE = "destatis_12612-0007_lebendgeborene_alter_mutter_1992-2023.csv"
POP_BY_AGE_SEX = "destatis_12411-0006_bev_de_alter_geschlecht_1970-2021.csv"
BIRTHS_BY_MONTH_SEX = "destatis_12612-0002_lebendgeborene_de_monate_geschlecht.csv"

ASFR_YEARS = (1993, 2021)  # project range; the female population series ends 31.12.2021
AGE_MIN, AGE_MAX = 15, 49
MAX_AGE = 100
RADIX = 100_000
# Published total fertility rates (Destatis) used as a check on the derivation.
TFR_PUBLISHED = {2011: 1.39, 2015: 1.50, 2019: 1.54, 2021: 1.58}
TFR_TOLERANCE = 0.02  # denominators are our own mid-year estimates, not Destatis' exact ones


def _genesis_rows(path: Path, encoding: str, first: str, n_fields: int) -> list[list[str]]:
    """Return the data rows of a GENESIS CSV export (header and footer lines dropped).

    Args:
        path: the ``;``-separated export.
        encoding: ``latin1``, ``utf-8`` or ``utf-8-sig``.
        first: regex the first field of a data row must match in full.
        n_fields: number of fields of a data row (footer lines have fewer).
    """
    rows = []
    for line in path.read_text(encoding=encoding).splitlines():
        fields = line.split(";")
        if len(fields) >= n_fields and re.fullmatch(first, fields[0]):
            rows.append(fields[:n_fields])
    if not rows:
        raise ValueError(f"{path.name}: no data rows matching {first!r}")
    return rows


def _number(cell: str) -> float:
    """Parse a GENESIS cell: ``-`` is exactly zero, ``.``/``...`` withheld (NaN), decimal comma."""
    cell = cell.strip()
    if cell == "-":
        return 0.0
    if cell in (".", "...", "x", ""):
        return np.nan
    return float(cell.replace(",", "."))


def build_life_tables(src: Path) -> pd.DataFrame:
    """Parse the three Sterbetafeln; make age 100 the open group (Lx = T(100), qx = 1).

    The Destatis rows end with ``100 Jahre`` (the single age, not ``100 und mehr``), so its L(x)
    covers only 100..101. The open group's person-years are T(100), taken from the T(x) column.
    """
    frames = []
    for period, name in LIFE_TABLES.items():
        rows = _genesis_rows(src / name, "utf-8-sig", r"\d+ Jahre?", 29)
        # Values alternate with their 'e' (final) flag: male block fields 1..13, female 15..27.
        for sex, off in (("m", 1), ("f", 15)):
            t = pd.DataFrame(
                {
                    "age": [int(r[0].split()[0]) for r in rows],
                    "qx": [_number(r[off]) for r in rows],
                    "lx": [_number(r[off + 4]) for r in rows],
                    "Lx": [_number(r[off + 8]) for r in rows],
                    "Tx": [_number(r[off + 10]) for r in rows],
                    "ex": [_number(r[off + 12]) for r in rows],
                }
            )
            assert t["age"].tolist() == list(range(MAX_AGE + 1)), f"{name}: ages are not 0..100"
            assert not t.isna().any().any(), f"{name} {sex}: missing values"
            assert t["lx"].iloc[0] == RADIX, f"{name} {sex}: radix {t['lx'].iloc[0]} != {RADIX}"
            assert (t["lx"].diff().dropna() <= 0).all(), f"{name} {sex}: lx increases"
            assert t["qx"].between(0, 1).all(), f"{name} {sex}: qx outside 0..1"
            t.loc[t["age"] == MAX_AGE, ["qx", "Lx"]] = [1.0, t["Tx"].iloc[-1]]
            e0 = t["Lx"].sum() / RADIX
            assert abs(e0 - t["ex"].iloc[0]) < 0.01, (
                f"{period} {sex}: sum(Lx)/l0 = {e0:.4f} but published e0 = {t['ex'].iloc[0]}"
            )
            print(f"life table {period} {sex}: e0 = {e0:.3f} (published {t['ex'].iloc[0]:.2f})")
            frames.append(t.assign(period=period, sex=sex))
    out = pd.concat(frames)[["period", "sex", "age", "qx", "lx", "Lx"]]
    out[["lx", "Lx"]] = out[["lx", "Lx"]].astype("int64")  # published as whole persons/years
    return out.sort_values(["period", "sex", "age"], kind="stable").reset_index(drop=True)


def _mother_age(label: str) -> int | None:
    """Map a 12612-0007 age label to 15..49 (``unter 15`` -> 15, ``50 und mehr`` -> 49)."""
    if label.startswith("unter"):
        return AGE_MIN
    if label.startswith("Alter unbekannt"):
        return None
    return min(int(re.match(r"\d+", label).group()), AGE_MAX)


def births_by_mother_age(src: Path, totals: pd.Series) -> pd.DataFrame:
    """Live births by year x mother's age 15..49, summed over sex of child and marital status.

    Each year is scaled to the total live births of 12612-0002 (``totals``). This spreads births
    with unknown age of mother (1992-1998: 3..46 a year missing from the export; 2016-2020: up to
    ~150 a year) proportionally over ages. In 2021 the rows "unter 15" and "16-Jährige" (and the
    unknown row) are withheld ('.'); their sum is the gap to the total (688 births), which we share
    out in proportion to the same rows' counts in the year before.

    Args:
        src: the ``destatis`` folder.
        totals: live births per year (Germany), indexed by year.
    """
    rows = _genesis_rows(src / BIRTHS_BY_MOTHER_AGE, "latin1", r"\d{4}", 6)
    df = pd.DataFrame(
        {
            "year": [int(r[0]) for r in rows],
            "label": [r[1] for r in rows],
            "births": [sum(_number(c) for c in r[2:6]) for r in rows],
        }
    )
    for year in sorted(df.loc[df["births"].isna(), "year"].unique()):
        if year not in totals.index:
            continue  # no control total: those years are left out of the ASFR range
        this, prev = df["year"] == year, df["year"] == year - 1
        gap = totals[year] - df.loc[this, "births"].sum()
        withheld = df.loc[this & df["births"].isna(), "label"]
        weight = df[prev].set_index("label")["births"].reindex(withheld).to_numpy()
        df.loc[withheld.index, "births"] = gap * weight / weight.sum()
        print(f"{year}: imputed {gap:.0f} withheld births to {list(withheld)}")
    df["mother_age"] = df["label"].map(_mother_age)
    wide = (
        df.dropna(subset=["mother_age"]).groupby(["year", "mother_age"])["births"].sum().unstack()
    )
    wide.columns = wide.columns.astype(int)
    years = wide.index.intersection(totals.index)
    assert not wide.loc[years].isna().any().any(), "withheld births left after imputation"
    return wide.loc[years].mul(totals[years] / wide.loc[years].sum(axis=1), axis=0)


def women_by_age(src: Path) -> pd.DataFrame:
    """Female population at 31.12. by year x age 0..85 (85 = 85+) from 12411-0006.

    The export lost its umlauts (U+FFFD), so ages are read from the leading number of the label.
    """
    rows = _genesis_rows(src / POP_BY_AGE_SEX, "utf-8", r"31\.12\.\d{4}", 5)
    df = pd.DataFrame(rows, columns=["date", "label", "m", "f", "total"])
    df["year"] = df["date"].str[-4:].astype(int)
    df["f"] = df["f"].map(_number)
    total = df[df["label"] == "Insgesamt"].set_index("year")["f"]
    df = df[df["label"] != "Insgesamt"].copy()
    df["age"] = [
        0 if s.startswith("unter") else int(re.match(r"\d+", s).group()) for s in df["label"]
    ]
    wide = df.pivot(index="year", columns="age", values="f")
    assert (wide.sum(axis=1) == total).all(), "12411-0006: female ages do not sum to Insgesamt"
    return wide


def build_asfr(src: Path, totals: pd.Series) -> pd.DataFrame:
    """ASFR by single age of mother, births / mean women of the same birth cohort.

    12612-0007 counts age by the Geburtsjahrmethode (calendar year minus mother's birth year), so
    mothers "aged a" in year t were born in t-a: they are a-1 at 31.12.t-1 and a at 31.12.t. The
    denominator is the mean of those two stocks (cohort-consistent exposure).
    """
    births = births_by_mother_age(src, totals)
    women = women_by_age(src)
    ages = np.arange(AGE_MIN, AGE_MAX + 1)
    years = range(ASFR_YEARS[0], ASFR_YEARS[1] + 1)
    records = []
    for year in years:
        exposure = (women.loc[year - 1, ages - 1].to_numpy() + women.loc[year, ages].to_numpy()) / 2
        rate = births.loc[year, ages].to_numpy() / exposure
        records += [(year, int(a), r) for a, r in zip(ages, rate, strict=True)]
    out = pd.DataFrame(records, columns=["year", "mother_age", "asfr"])
    tfr = out.groupby("year")["asfr"].sum()
    for year, published in TFR_PUBLISHED.items():
        print(f"TFR {year}: {tfr[year]:.3f} (published {published:.2f})")
        assert abs(tfr[year] - published) <= TFR_TOLERANCE, (
            f"TFR {year} = {tfr[year]:.3f}, published {published}: derivation is off"
        )
    return out


def births_by_sex(src: Path) -> pd.DataFrame:
    """Live births per year by sex (sum of months, 12612-0002); incomplete years dropped."""
    rows = _genesis_rows(src / BIRTHS_BY_MONTH_SEX, "utf-8", r"\d{4}", 5)
    df = pd.DataFrame(rows, columns=["year", "month", "male", "female", "total"])
    df["year"] = df["year"].astype(int)
    for c in ("male", "female", "total"):
        df[c] = df[c].map(_number)
    # 2022 has withheld months ('...'): a partial year would understate births.
    complete = df.groupby("year").filter(lambda g: len(g) == 12 and not g.isna().any().any())
    assert (complete["male"] + complete["female"] == complete["total"]).all(), "m + f != total"
    dropped = sorted(set(df["year"]) - set(complete["year"]))
    print(f"12612-0002: years {complete.year.min()}..{complete.year.max()}, dropped {dropped}")
    return complete.groupby("year")[["male", "female"]].sum().astype("int64")


def build_sex_ratio(by_sex: pd.DataFrame) -> pd.DataFrame:
    """Sex ratio at birth (boys per girl) per year."""
    out = by_sex.reset_index()
    out["ratio"] = (out["male"] / out["female"]).round(6)
    print(
        f"sex ratio at birth: mean {out.ratio.mean():.4f}, "
        f"range {out.ratio.min():.4f}..{out.ratio.max():.4f}"
    )
    return out


SOURCES = """\
# National reference schedules (Germany)

Built by `scripts/build_reference.py` from Destatis GENESIS exports (copies in the project's shared
data folder, `destatis/`). Used when a city folder has no `life_table` / `fertility` file; the run
manifest names every fallback.

Licence: Datenlizenz Deutschland – Namensnennung 2.0 (dl-de/by-2-0),
<https://www.govdata.de/dl-de/by-2-0>. Attribution: "© Statistisches Bundesamt (Destatis), 2025"
(life tables), "© Statistisches Bundesamt (Destatis), 2024" (12612-0007),
"© Statistisches Bundesamt (Destatis), 2022" (12411-0006, 12612-0002). Values were reshaped and,
where stated, derived (rates computed) by the jhplan project.

## life_tables_de.csv — `period,sex,age,qx,lx,Lx`

Table 12621-0001, Sterbetafel (Periodensterbetafel) Deutschland, periods 2016/18, 2020/22, 2022/24,
sex f/m, single ages 0..100, radix l0 = 100000. qx, lx, Lx are the published values except at
age 100: Destatis' last row is the single age "100 Jahre", so we make 100 the **open group**
(100 and over) with qx = 1 and Lx = T(100), the published person-years lived above age 100.
Checked: lx non-increasing; sum(Lx)/l0 equals the published e(0) within 0.01.

## asfr_de.csv — `year,mother_age,asfr`

Age-specific fertility rates (live births per woman per year), years 1993..2021, mother_age 15..49.
Numerator: table 12612-0007 (live births by age of mother, Geburtsjahrmethode), summed over sex of
the child and marital status of the parents; births to mothers under 15 are counted at 15, to
mothers 50+ at 49. Each year is scaled to the total live births of table 12612-0002, which spreads
births with unknown age of mother (1992-1998: 3..46 a year; 2016-2020: up to ~150) proportionally
over ages. In 2021 the export withholds ('.') the rows "unter 15", "16-Jährige" and "Alter
unbekannt"; their sum is the gap to the 12612-0002 total (688 births), shared out in proportion to
the same rows in 2020 (an estimate; any plausible split changes TFR 2021 by less than 0.001).
Denominator: table 12411-0006 (population at 31.12. by single age, females). Because the age of
mother is "calendar year minus the mother's year of birth", the women at risk are one birth
cohort: aged a-1 at 31.12. of the previous year and a at 31.12. of the year; the denominator is
the mean of these two stocks. (Averaging the same age a at both dates instead gives a TFR
0.002-0.008 lower in the checked years.) 2011 mixes a pre-census (31.12.2010) and a
Zensus-2011-based (31.12.2011) stock. Checked: TFR 2011, 2015, 2019, 2021 within 0.02 of the
published 1.39, 1.50, 1.54, 1.58.

## sex_ratio_at_birth_de.csv — `year,male,female,ratio`

Table 12612-0002, live births by month and sex, Germany, summed over the 12 months, years
1950..2021 (2022 is incomplete in the export and dropped; years before 1990 cover today's
territory: 1950 = 1,116,701 = former FRG + GDR). ratio = male / female (boys per girl).
"""


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """Write UTF-8 CSV with ``\\n`` line endings and empty cells for missing values."""
    df.to_csv(path, index=False, na_rep="", lineterminator="\n", float_format="%.10g")
    print(f"wrote {path.relative_to(REPO)} ({path.stat().st_size:,} bytes, {len(df)} rows)")


def main() -> None:
    """Parse arguments, build the three schedules, write them and SOURCES.md."""
    src = shared_data_folder(__doc__.splitlines()[0], "destatis/") / "destatis"
    OUT.mkdir(parents=True, exist_ok=True)
    write_csv(build_life_tables(src), OUT / "life_tables_de.csv")
    by_sex = births_by_sex(src)
    write_csv(build_asfr(src, by_sex.sum(axis=1)), OUT / "asfr_de.csv")
    write_csv(build_sex_ratio(by_sex), OUT / "sex_ratio_at_birth_de.csv")
    (OUT / "SOURCES.md").write_text(SOURCES, encoding="utf-8", newline="\n")
    print(f"wrote {(OUT / 'SOURCES.md').relative_to(REPO)}")


if __name__ == "__main__":
    main()
