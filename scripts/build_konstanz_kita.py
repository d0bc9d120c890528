"""Build ``data/konstanz/kita_children.csv`` from Stadt Konstanz open data (CC0).

Source: ``kiju_kinderbetreuung.csv`` ("Kinderbetreuung", Stadt Konstanz, Sozial- und Jugendamt):
children in care at 1 March by kind of care, whole city, 1 March 2012..2026. The city publishes
no single ages and no Stadtteile, so every row is a whole-city row (``_city``) by age group and
setting:

=========================  ==========  ===============  ============================================
kita_children row          age_group   setting          columns of kiju_kinderbetreuung.csv
=========================  ==========  ===============  ============================================
under 3 in Kitas           u3          kita             unter_3_kita + gruppen (Elterninitiativen
                                                        und Spielgruppen, counted with the U3 as
                                                        in the city's own Betreuungsquote)
under 3 in Tagespflege     u3          tagespflege      unter_3_tagespflege
3 to school entry, Kitas   ue3         kita             ab_3_kita (Sondereinrichtungen included)
3 to school entry, TPfl.   ue3         tagespflege      ab_3_tagespflege
=========================  ==========  ===============  ============================================

School children (Hort, Tagespflege) are not Kita children and are left out. No ``kita_places``
file is built: the city publishes no places per Stadtteil or Kita year (the stage says so and
reports demand without a gap).

The script also derives the birth-month shares of ``forecast/parameters/kita.yaml`` (Germany 2012-2021,
Destatis 12612-0002) and checks that the configuration holds them, and it (re)writes the
``kita_children.csv`` section of ``data/konstanz/SOURCES.md`` (``build_konstanz.py`` rewrites
that file; run this script after it). Running it twice gives byte-identical files.

Usage:
    python scripts/build_konstanz_kita.py [--shared PATH]
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from buildlib import REPO, shared_data_folder  # first: puts the repository on sys.path

from forecast.contract import CITY_DISTRICT, CONTRACT

OUT = REPO / "data" / "konstanz"
CONF = REPO / "forecast" / "parameters" / "kita.yaml"
COMMIT = "ab92e66b0e20778f31ae2d15fd391b7e225b7f4c"
REPO_URL = "https://github.com/sgc-kn/konstanz-in-zahlen"
BIRTH_YEARS = (2012, 2021)
MONTHS = (
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
)
ROWS = {  # (age_group, setting) -> columns of kiju_kinderbetreuung.csv summed
    ("u3", "kita"): ("unter_3_kita", "gruppen"),
    ("u3", "tagespflege"): ("unter_3_tagespflege",),
    ("ue3", "kita"): ("ab_3_kita",),
    ("ue3", "tagespflege"): ("ab_3_tagespflege",),
}
SECTION_START = "<!-- kita_children: written by scripts/build_konstanz_kita.py -->"
SECTION_END = "<!-- end kita_children -->"
SECTION = """\
{start}
## kita_children.csv (`_city`, by `age_group` and `setting`; `year` = 1 March)

Built by `scripts/build_konstanz_kita.py` from `kiju_kinderbetreuung.csv` (Stadt Konstanz, Sozial-
und Jugendamt; repository `sgc-kn/konstanz-in-zahlen` @ `{commit}`, folder
`data/kinder_und_jugend/`, CC0-1.0): children in care at 1 March {first}..{last}, whole city.

| row | age_group | setting | columns summed |
|---|---|---|---|
| under 3 in Kitas | u3 | kita | `unter_3_kita` + `gruppen` (Elterninitiativen und Spielgruppen) |
| under 3 in Kindertagespflege | u3 | tagespflege | `unter_3_tagespflege` |
| 3 to school entry in Kitas | ue3 | kita | `ab_3_kita` (Sondereinrichtungen included) |
| 3 to school entry in Kindertagespflege | ue3 | tagespflege | `ab_3_tagespflege` |

* **Exact**: every count as published; no estimate. School children are left out.
* **Spielgruppen with the U3**: the city's own Betreuungsquote (`betreuungsquote.csv` in the same
  repository, "0 bis unter 3 Jahre (inkl. Spielgruppen)") counts them there; with the register
  population at 31.12. of the year before, (`unter_3_kita` + `gruppen`) / population aged 0-2
  reproduces the published U3 quota to its three decimals for 1 March 2015, 2017, 2019, 2020, 2022,
  2023 and 2024. It does not for 2016 (computed 0.382, published 0.370) and 2018 (0.357 vs 0.361),
  where the published counts and quota disagree, and 2021 (0.346 vs 0.311), whose denominator is
  the suspect 2020 pyramid (`exclude_years`). The published Ü3 quota ("3 Jahre bis zum
  Schuleintritt") is `ab_3_kita` / (population aged 3-5 + half the population aged 6), i.e. 3 to 6.5
  years, exactly for 1 March 2012-2024 except 2021; jhplan's `kita.participation_ue3_age6_weight`
  is 0.5 for this reason. Tests: `tests/test_kita_participation.py`.
* **No `kita_places`**: Konstanz publishes no places per Stadtteil and Kita year; Kita runs show
  demand without a gap.
{end}
"""


def build_children(src: Path) -> pd.DataFrame:
    """The kita_children rows (contract columns) from kiju_kinderbetreuung.csv."""
    raw = pd.read_csv(src / "kiju_kinderbetreuung.csv").sort_values("jahr")
    needed = {c for cols in ROWS.values() for c in cols}
    assert needed <= set(raw.columns), f"columns missing: {needed - set(raw.columns)}"
    assert raw[sorted(needed)].notna().all().all(), "empty cells in kiju_kinderbetreuung.csv"
    rows = []
    for year in raw["jahr"]:
        line = raw[raw["jahr"] == year].iloc[0]
        for (group, setting), cols in ROWS.items():
            count = int(sum(int(line[c]) for c in cols))
            rows.append((int(year), CITY_DISTRICT, "", group, setting, count))
    frame = pd.DataFrame(rows, columns=list(CONTRACT["kita_children"].column_names))
    assert (frame["count"] >= 0).all()
    return frame


def birth_month_shares(shared: Path) -> np.ndarray:
    """Share of births per month, Germany, the years ``BIRTH_YEARS`` pooled (Destatis 12612-0002)."""
    path = shared / "destatis" / "destatis_12612-0002_lebendgeborene_de_monate_geschlecht.csv"
    raw = pd.read_csv(
        path,
        sep=";",
        skiprows=6,
        header=None,
        names=["year", "month", "m", "f", "total"],
        dtype=str,
    )
    raw = raw[raw["year"].str.fullmatch(r"\d{4}", na=False)]
    raw = raw[raw["total"].str.fullmatch(r"\d+", na=False)]
    raw = raw.assign(year=raw["year"].astype(int), total=raw["total"].astype(int))
    raw = raw[raw["year"].between(*BIRTH_YEARS)]
    table = raw.pivot(index="year", columns="month", values="total")[list(MONTHS)]
    assert len(table) == BIRTH_YEARS[1] - BIRTH_YEARS[0] + 1, "a year of births is missing"
    totals = table.sum(axis=0).to_numpy(float)
    return totals / totals.sum()


def check_config(shares: np.ndarray) -> None:
    """The shares in forecast/parameters/kita.yaml are the ones derived here (5 decimals)."""
    conf = yaml.safe_load(CONF.read_text("utf-8"))
    configured = np.asarray(conf["birth_month_shares"]["value"], dtype=float)
    assert np.allclose(configured, np.round(shares, 5), atol=1e-9), (
        f"forecast/parameters/kita.yaml birth_month_shares {configured.tolist()} differ from the "
        f"derived {np.round(shares, 5).tolist()}"
    )


def write_sources(first: int, last: int) -> None:
    """Replace (or append) the kita_children section of data/konstanz/SOURCES.md."""
    path = OUT / "SOURCES.md"
    text = path.read_text("utf-8")
    section = SECTION.format(
        start=SECTION_START, end=SECTION_END, commit=COMMIT, first=first, last=last
    )
    pattern = re.compile(re.escape(SECTION_START) + r".*?" + re.escape(SECTION_END) + r"\n?", re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: section, text)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text, encoding="utf-8", newline="\n")


def main() -> None:
    """Write data/konstanz/kita_children.csv, check the config's shares, update SOURCES.md."""
    shared = shared_data_folder(__doc__.splitlines()[0], "konstanz/ and destatis/")
    children = build_children(shared / "konstanz")
    path = OUT / "kita_children.csv"
    children.to_csv(path, index=False, na_rep="", lineterminator="\n")
    print(f"wrote {path.relative_to(REPO)} ({len(children)} rows, {REPO_URL} @ {COMMIT})")
    shares = birth_month_shares(shared)
    print("birth month shares", BIRTH_YEARS, np.round(shares, 5).tolist())
    check_config(shares)
    print("forecast/parameters/kita.yaml holds these shares")
    write_sources(int(children["year"].min()), int(children["year"].max()))
    print("wrote the kita_children section of data/konstanz/SOURCES.md")


if __name__ == "__main__":
    main()
