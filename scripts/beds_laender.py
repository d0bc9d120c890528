"""The Länder validation bed (part of ``scripts/build_validation_beds.py``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from beds_common import OUT, RAW, WPP_RAW, M, population_frame, write_city_yaml
from beds_genesis import (
    L_EXCLUDE,
    L_YEARS,
    LAENDER,
    OPEN_DE,
    OPEN_L,
    germany_births,
    germany_deaths,
    logit,
    read_germany_sex,
    read_laender_ages,
    read_laender_sex,
    sex_split_check,
    split_national,
    spread_open,
)
from buildlib import write_table


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
