"""Build the embedded default city ``data/konstanz/`` from Stadt Konstanz open data (CC0).

Population by Stadtteil x sex x single age is not published: the city gives the age pyramid for the
whole city and totals per Stadtteil. We estimate the district age structure by iterative
proportional fitting (IPF) with a cohort-propagated seed and round it so that both published
margins stay exact. Flows (births, deaths, migration) are city totals (district ``_city``).
Running the script twice gives byte-identical files.

Usage:
    python scripts/build_konstanz.py [--shared PATH]
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from buildlib import REPO, shared_data_folder, write_table  # first: puts the repository on sys.path

from forecast.contract import CITY_DISTRICT, CITY_YAML_KEYS, MAX_AGE, SEXES

OUT = REPO / "data" / "konstanz"
YEARS = list(range(2009, 2026))  # main-residence pyramids (basis hauptwohnsitz or |diff| <= 4)
EXCLUDE_YEARS = (2020,)  # pyramid 658 below the Stadtteil sum and out of line with its cohorts
SOZIALRAUM = {  # source: estimate -- a geographic grouping by the project, not the city's
    "mitte": ("altstadt", "paradies"),
    "petershausen": ("petershausenwest", "petershausenost", "koenigsbau"),
    "west": ("fuerstenberg", "wollmatingen", "industriegebiet"),
    "ost": (
        "allmannsdorf",
        "staad",
        "egg",
        "litzelstetten",
        "dingelsdorf",
        "dettingen",
        "wallhausen",
    ),
}
IPF_TOL = 1e-9  # persons; far below the 0.5 that rounding needs
IPF_MAX_ITER = 10_000
REPO_URL = "https://github.com/sgc-kn/konstanz-in-zahlen"
COMMIT = "ab92e66b0e20778f31ae2d15fd391b7e225b7f4c"
N_AGE = MAX_AGE + 1


def load_pyramid(src: Path) -> dict[int, np.ndarray]:
    """City population at 31.12. per year as an int array (sex f/m, age 0..100; 100 = 100+)."""
    df = pd.read_csv(src / "konstanz_bevoelkerung_einzelalter_long_1983-2025.csv")
    df = df[df["jahr"].isin(YEARS)]
    # 'unklar(diff_hws=d)': total differs from the main-residence count by d persons; a few
    # persons is main residence with a slip, more is only accepted for an excluded year.
    diff = df["basis"].str.extract(r"^unklar\(diff_hws=(-?\d+)\)$")[0].astype(float)
    ok = (df["basis"] == "hauptwohnsitz") | (diff.abs() <= 4) | df["jahr"].isin(EXCLUDE_YEARS)
    assert ok.all(), f"years without main-residence basis: {sorted(set(df.loc[~ok, 'jahr']))}"
    df = df.assign(
        sex=df["geschlecht"].map({"w": "f", "m": "m"}), age=df["alter"].clip(upper=MAX_AGE)
    )
    assert df["sex"].notna().all(), "geschlecht other than m/w"
    grid = pd.MultiIndex.from_product([YEARS, SEXES, range(N_AGE)], names=["jahr", "sex", "age"])
    counts = df.groupby(["jahr", "sex", "age"])["anzahl"].sum().reindex(grid, fill_value=0)
    return {y: counts.loc[y].to_numpy().reshape(len(SEXES), N_AGE) for y in YEARS}


def load_districts(src: Path) -> tuple[list[str], dict[str, str], pd.DataFrame]:
    """Stadtteil codes (column order), German names (from the .md schema) and totals by year."""
    totals = pd.read_csv(src / "bev_nach_stadtteilen.csv").set_index("jahr").loc[YEARS]
    meta = yaml.safe_load((src / "bev_nach_stadtteilen.md").read_text("utf-8").split("---")[1])
    names = {c["name"]: c["description"] for c in meta["columns"] if c["name"] != "jahr"}
    codes = list(totals.columns)
    assert set(codes) == set(names), "CSV columns and .md schema disagree"
    assert sorted(codes) == sorted(c for g in SOZIALRAUM.values() for c in g), "Sozialraum map"
    return codes, names, totals


def scale_to_total(parts: np.ndarray, total: int) -> np.ndarray:
    """Scale integer parts to sum to ``total`` with largest-remainder rounding (ties: first)."""
    quota = parts * total / parts.sum()
    out = np.floor(quota).astype(np.int64)
    order = np.argsort(-(quota - out), kind="stable")
    out[order[: total - out.sum()]] += 1
    return out


def age_one_year(m: np.ndarray) -> np.ndarray:
    """Age a district x sex x age matrix by one year; newborns follow women aged 20-39.

    The open group keeps 99 + 100. The age-0 seed only needs the right shape across districts
    (IPF scales each column to the city count), so it is the district's women 20-39.
    """
    out = np.zeros_like(m)
    out[:, :, 1:] = m[:, :, :-1]
    out[:, :, MAX_AGE] += m[:, :, MAX_AGE]
    out[:, :, 0] = m[:, SEXES.index("f"), 20:40].sum(axis=1)[:, None]
    return out


def ipf(seed: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, int, float]:
    """Fit ``seed`` (districts x cells) to row and column totals by iterative proportional fitting.

    Returns:
        The fitted matrix, the number of iterations and the max absolute margin error (persons).
    """
    x = seed.astype(float).copy()
    for it in range(1, IPF_MAX_ITER + 1):
        x *= (rows / x.sum(axis=1))[:, None]
        cs = x.sum(axis=0)
        x *= np.divide(cols, cs, out=np.zeros_like(cs), where=cs > 0)[None, :]
        err = max(np.abs(x.sum(axis=1) - rows).max(), np.abs(x.sum(axis=0) - cols).max())
        if err < IPF_TOL:
            return x, it, err
    raise RuntimeError(f"IPF did not converge in {IPF_MAX_ITER} iterations (error {err:.3g})")


def integerise(x: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, int]:
    """Controlled rounding of a fitted matrix that keeps both integer margins exact.

    Floor every cell, then give the missing units to the largest remainders while both the row and
    the column still lack units. Units still missing are placed by an exchange (+1 at (i,k), -1 at
    (m,k), +1 at (m,j)) that keeps every cell within floor..floor+1, or directly at (i,j) if none.

    Returns:
        The integer matrix and the number of repair steps needed.
    """
    floor = np.floor(x + 1e-9).astype(np.int64)  # IPF round-off: 2.9999999999 is 3
    rem = np.clip(x - floor, 0.0, None)
    dr, dc = rows - floor.sum(axis=1), cols - floor.sum(axis=0)
    assert (dr >= 0).all() and (dc >= 0).all(), "floor exceeds a margin"
    z = np.zeros_like(floor)
    for k in np.argsort(-rem, axis=None, kind="stable"):
        i, j = divmod(int(k), x.shape[1])
        if dr[i] and dc[j]:
            z[i, j], dr[i], dc[j] = 1, dr[i] - 1, dc[j] - 1
    repairs = 0
    while dr.any():
        i, j = int(np.flatnonzero(dr)[0]), int(np.flatnonzero(dc)[0])
        valid = (z[i] == 0)[None, :] & (z[:, j] == 0)[:, None] & (z == 1)
        if valid.any():
            score = np.where(valid, rem[i][None, :] + rem[:, j][:, None] - rem, -np.inf)
            m, k = np.unravel_index(np.argmax(score), score.shape)
            z[i, k], z[m, k], z[m, j] = z[i, k] + 1, z[m, k] - 1, z[m, j] + 1
        else:
            z[i, j] += 1
        dr[i], dc[j], repairs = dr[i] - 1, dc[j] - 1, repairs + 1
    out = floor + z
    assert (out >= 0).all(), "negative count after rounding"
    assert (out.sum(axis=1) == rows).all(), "district totals not exact after rounding"
    assert (out.sum(axis=0) == cols).all(), "city sex x age counts not exact after rounding"
    return out, repairs


def build_population(
    pyr: dict[int, np.ndarray],
    codes: list[str],
    totals: pd.DataFrame,
    years: list[int] = YEARS,
    exclude_years: tuple[int, ...] = EXCLUDE_YEARS,
) -> tuple[pd.DataFrame, list[dict]]:
    """Estimate district x sex x age for every year with both margins exact.

    ``years`` (consecutive) and ``exclude_years`` (years not used as the seed of later years)
    default to the Konstanz city folder's; ``scripts/build_validation_beds.py`` passes others.

    Returns:
        The long population table and per-year fitting statistics.
    """
    n_d, frames, stats, fits, base = len(codes), [], [], {}, None
    for year in years:
        cols = pyr[year].reshape(-1)
        rows = scale_to_total(totals.loc[year, codes].to_numpy(), int(cols.sum()))
        if base is None:  # first year: every district gets the city structure
            seed = np.tile(cols, (n_d, 1)).astype(float)
        else:  # cohort seed: the last trusted fit aged to this year (skips excluded years)
            m = fits[base]
            for _ in range(year - base):
                m = age_one_year(m)
            seed = m.reshape(n_d, -1)
        empty = (seed.sum(axis=0) == 0) & (cols > 0)
        seed[:, empty] = rows[:, None]  # cells the seed cannot reach (e.g. new arrivals)
        x, iters, err = ipf(seed, rows, cols)
        counts, repairs = integerise(x, rows, cols)
        fits[year] = x.reshape(n_d, len(SEXES), N_AGE)
        base = base if year in exclude_years else year
        stats.append(
            {
                "year": year,
                "iterations": iters,
                "max_margin_error": err,
                "scaled_by": int(rows.sum() - totals.loc[year].sum()),
                "repairs": repairs,
                "max_round_dev": float(np.abs(counts - x).max()),
            }
        )
        idx = pd.MultiIndex.from_product(
            [[year], codes, SEXES, range(N_AGE)], names=["year", "district", "sex", "age"]
        )
        frames.append(pd.DataFrame({"count": counts.reshape(-1)}, index=idx))
    return pd.concat(frames).reset_index(), stats


def city_flows(
    src: Path, years: list[int] = YEARS
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Births, deaths and migration as whole-city rows (district ``_city``, sex/age empty)."""
    nat = pd.read_csv(src / "bev_natuerliche_entwicklung.csv").set_index("jahr").loc[years]
    mig = pd.read_csv(src / "bev_zu_und_wegzug.csv").set_index("jahr").loc[years]
    assert not nat.isna().any().any() and not mig.isna().any().any(), "missing flow values"
    base = pd.DataFrame({"year": years, "district": CITY_DISTRICT, "sex": None, "age": None})
    births = base.drop(columns="age").assign(mother_age=None, count=nat["geburten"].to_numpy())
    deaths = base.assign(count=nat["sterbefaelle"].to_numpy())
    migration = pd.concat(
        [
            base.assign(direction="in", count=mig["zuzug"].to_numpy()),
            base.assign(direction="out", count=mig["wegzug"].to_numpy()),
        ]
    )
    migration = migration.sort_values(["year", "direction"], kind="stable")
    return births, deaths, migration


def balance_table(src: Path, pyr: dict[int, np.ndarray]) -> str:
    """Markdown table: register change vs births - deaths + in - out, per year."""
    reg = pd.read_csv(src / "bev_meldestatus.csv").set_index("jahr")[
        "wohnbevoelkerung_hauptwohnsitz"
    ]
    nat = pd.read_csv(src / "bev_natuerliche_entwicklung.csv").set_index("jahr")
    mig = pd.read_csv(src / "bev_zu_und_wegzug.csv").set_index("jahr")
    lines = [
        "| year | register 31.12. | pyramid total | change | births | deaths | in | out "
        "| balance | change − balance |",
        "|" + "---:|" * 10,
    ]
    for y in YEARS:
        change = reg[y] - reg[y - 1]
        bal = (
            nat.loc[y, "geburten"]
            - nat.loc[y, "sterbefaelle"]
            + mig.loc[y, "zuzug"]
            - mig.loc[y, "wegzug"]
        )
        lines.append(
            f"| {y} | {reg[y]} | {pyr[y].sum()} | {change:+d} | {nat.loc[y, 'geburten']} | "
            f"{nat.loc[y, 'sterbefaelle']} | {mig.loc[y, 'zuzug']} | {mig.loc[y, 'wegzug']} | "
            f"{bal:+d} | {change - bal:+d} |"
        )
    return "\n".join(lines)


def city_yaml(codes: list[str], names: dict[str, str]) -> str:
    """The city.yaml text (written by hand to keep the comments)."""
    group = {c: g for g, members in SOZIALRAUM.items() for c in members}
    districts = "\n".join(
        f"  - {{code: {c}, name: {json.dumps(names[c], ensure_ascii=False)}, "
        f"sozialraum: {group[c]}}}"
        for c in codes
    )
    return f"""\
# Konstanz: embedded default city of jhplan. Built by scripts/build_konstanz.py; see SOURCES.md.
name: Konstanz
ags: "08335043"
state: BW
# The 2020 register pyramid totals 85,179: 658 below the sum of the Stadtteile (85,837, equal to
# the main-residence count in bev_meldestatus); its age structure also disagrees with the city's own
# age-group table and with the 2019/2021 cohorts. Not used for estimating rates (see SOURCES.md).
exclude_years: [2020]
# The 15 Stadtteile (code = column of bev_nach_stadtteilen.csv). sozialraum (source: estimate): four
# planning groups formed by the project on geographic grounds, not an official city grouping.
districts:
{districts}
sources:
  - name: "Stadt Konstanz, Konstanz in Zahlen"
    repo: sgc-kn/konstanz-in-zahlen
    url: {REPO_URL}/tree/{COMMIT}
    licence: CC0-1.0
  - name: "Statistisches Bundesamt (Destatis), GENESIS 12621-0001, 12612-0007, 12411-0006,
      12612-0002 (national reference schedules in forecast/reference/)"
    url: https://www-genesis.destatis.de
    licence: dl-de/by-2-0
licence: "CC0-1.0 (Stadt Konstanz); reference schedules dl-de/by-2-0 (Destatis)"
"""


SOURCES_MD = """\
# Konstanz: sources and derivations

Built by `scripts/build_konstanz.py` from Stadt Konstanz, "Konstanz in Zahlen" (Amt für
Digitalisierung und IT, eigene Einwohnerfortschreibung), repository
`sgc-kn/konstanz-in-zahlen` @ `{commit}`, folder `data/bevoelkerung/` ({url}).
Licence: **CC0-1.0** (public domain dedication in the repository README); attribution given as a
courtesy: "Stadt Konstanz, Konstanz in Zahlen".
Years: 2009..2025, the years whose register pyramid counts main residences (Hauptwohnsitz).
Stichtag 31.12. for stocks, calendar year for flows.

## population.csv (`year,district,sex,age,count`)

Sources: `pyramiden/pyramide_YYYY.csv` (city population by single age x sex x German/non-German;
read via the long-format copy `konstanz_bevoelkerung_einzelalter_long_1983-2025.csv`) and
`nach_stadtteilen.csv` (population of the 15 Stadtteile).

* **Exact**: the city count per (year, sex, age) is the register pyramid: German + non-German
  summed, `w`/`m` -> `f`/`m`, ages 100 and over summed into the open group 100. The Stadtteil
  total per year is exact too, except where the Stadtteil sum differs from the pyramid total; there
  the Stadtteil totals were scaled to the pyramid total with largest-remainder rounding
  (pyramid minus Stadtteil sum: {scaled}).
* **`estimate`**: the split of each Stadtteil by sex x age. The city publishes no age structure per
  Stadtteil. Per year we ran iterative proportional fitting over the matrix Stadtteil x (sex, age)
  with the two margins above. Seed: 2009 uniform (every Stadtteil gets the city structure); later
  years the previous fitted matrix aged by one year (age a+1 <- a, 100 keeps 99 + 100), with the
  age-0 row proportional to the Stadtteil's women aged 20-39 (an excluded year is skipped: the 2021
  seed is the 2019 fit aged two years). IPF converged to a margin error below 1e-9 persons in at
  most {iters} iteration(s) per year. The fitted values were rounded by controlled rounding (floor,
  largest remainders subject to both row and column deficits, then an exchange repair), so both
  margins hold exactly as integers and no count is negative (asserted in the script).
* **What this means**: the published data hold no information on age differences between
  Stadtteile, and a uniform start stays uniform under ageing and IPF (a product structure
  Stadtteil x age is preserved). So every Stadtteil has, up to rounding (less than 1 person per
  cell), the city's sex x age structure scaled to its total. Use district-level age results
  (e.g. children per Stadtteil) as proportional allocations, not as observed differences. A city
  with real district pyramids should supply them in this file.

### Caveats

* **2020**: the pyramid totals 85,179, 658 below the Stadtteil sum and the main-residence count in
  `meldestatus.csv` (85,837). Its age structure also disagrees with the city's own age-group table
  (`nach_altersgruppe.csv`, 2020: under 18 -242, 18-29 -857, 30-39 +214, 40-49 +417, 50-59 -2002,
  60+ +1812) and with the 2019 and 2021 cohorts; it resembles the 2025 pyramid. It is kept (scaled
  Stadtteile, as above) so that every year is present, and `city.yaml` lists it in `exclude_years`.
* **2013, 2016, 2019, 2022**: the pyramid differs from the Stadtteil sum by +1, -1, +4, +1; in the
  age-group table the difference is in the 60+ group. Absorbed by the scaling above.

## births.csv, deaths.csv (`_city`, sex/age/mother_age empty)

Source: `natuerliche_entwicklung.csv` (live births and deaths of the main-residence population
during the year), unchanged, years 2009..2025.

## migration.csv (`_city`, sex and age empty, direction in/out)

Source: `zu_und_wegzug.csv` (moves of main residents across the city boundary: Zuzüge = `in`,
Wegzüge = `out`), unchanged, years 2009..2025. No age or sex detail is published.

## city.yaml

Stadtteil codes are the column names of `nach_stadtteilen.csv`, display names its schema
(`nach_stadtteilen.md`). `sozialraum` is `source: estimate`: four geographic planning groups set
by the project (mitte, petershausen, west, ost), not an official grouping of the city. AGS
08335043 (Konstanz, Landkreis Konstanz, BW).

## Consistency of the sources: register change vs demographic balance

register = main-residence population (`meldestatus.csv`, equal to the Stadtteil sum); change =
register(t) - register(t-1); balance = births - deaths + in - out. The 2009 change uses the 2008
main-residence count (77,677). A residual of a few persons is normal (late registrations);
larger ones (2009, 2015, 2016, 2024) are not explained by the published flows, presumably
register corrections that are not counted as moves.

{table}
"""


def write_csv(df: pd.DataFrame, stem: str) -> None:
    """Write one contract file: contract column order, empty cells for missing, ``\\n`` endings."""
    print(f"wrote {write_table(df, OUT, stem)}")


def main() -> None:
    """Build every file of data/konstanz/ and print the checks."""
    src = shared_data_folder(__doc__.splitlines()[0], "konstanz/") / "konstanz"
    OUT.mkdir(parents=True, exist_ok=True)
    pyr = load_pyramid(src)
    codes, names, totals = load_districts(src)
    population, stats = build_population(pyr, codes, totals)
    for s in stats:
        print(
            "IPF {year}: {iterations:4d} iterations, max margin error {max_margin_error:.1e}, "
            "Stadtteile scaled by {scaled_by:+d}, repairs {repairs}, max |int - fit| "
            "{max_round_dev:.2f}".format(**s)
        )
    write_csv(population, "population")
    for stem, df in zip(("births", "deaths", "migration"), city_flows(src), strict=True):
        write_csv(df, stem)
    text = city_yaml(codes, names)
    assert set(CITY_YAML_KEYS) <= set(yaml.safe_load(text)), "city.yaml lacks a required key"
    (OUT / "city.yaml").write_text(text, encoding="utf-8", newline="\n")
    table = balance_table(src, pyr)
    print(table)
    scaled = ", ".join(f"{s['year']} {s['scaled_by']:+d}" for s in stats if s["scaled_by"])
    iters = max(s["iterations"] for s in stats)
    sources = SOURCES_MD.format(
        commit=COMMIT, url=REPO_URL, scaled=scaled, iters=iters, table=table
    )
    (OUT / "SOURCES.md").write_text(sources, encoding="utf-8", newline="\n")
    print("wrote data/konstanz/city.yaml, data/konstanz/SOURCES.md")


if __name__ == "__main__":
    main()
