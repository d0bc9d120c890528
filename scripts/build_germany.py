"""Build ``validation/data/germany/``: Germany as a one-district city folder (base 31.12.2021).

Used by ``validation/validate_germany.py`` to check the absolute assumption paths against the
Destatis 15th coordinated population projection. Everything comes from Destatis GENESIS exports
in the shared data folder, so the project works without it afterwards:

* ``population.csv``: 12411-0006, population at 31.12.2017-2021 by sex and single age. The table
  ends with an open group 85+; it is opened to single ages 85..99 and 100+ in proportion to the
  person-years L(x) (and T(100)) of the Destatis life table 2016/18 of the same sex, i.e. the
  age structure of a stationary population above 85 (an estimate: real cohorts above 85 also
  reflect past births and war losses).
* ``births.csv``: 12612-0002, live births by sex, summed over the months, 2018-2021.
* ``deaths.csv``: 12613-0003, deaths by sex (all ages, unknown ages included), 2018-2021.

Licence: dl-de/by-2-0; attribution "© Statistisches Bundesamt (Destatis)" with the year of each
export (see the folder's SOURCES.md). Running the script twice gives byte-identical files.

Usage:
    python scripts/build_germany.py [--shared PATH]
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from buildlib import REPO, shared_data_folder  # first: puts the repository on sys.path

from forecast.reference import national_life_table

OUT = REPO / "validation" / "data" / "germany"
POPULATION = "destatis_12411-0006_bev_de_alter_geschlecht_1970-2021.csv"
BIRTHS = "destatis_12612-0002_lebendgeborene_de_monate_geschlecht.csv"
DEATHS = "destatis_12613-0003_gestorbene_de_alter_geschlecht_1956-2021.csv"
YEARS = range(2017, 2022)
OPEN, MAX_AGE = 85, 100

CITY_YAML = """\
# Germany as a one-district "city" for validation/validate_germany.py (built by
# scripts/build_germany.py from Destatis GENESIS exports; see SOURCES.md).
name: Deutschland
ags: "00000000"
districts:
  - {code: de, name: Deutschland, sozialraum: de}
sources:
  - name: "Statistisches Bundesamt (Destatis), GENESIS 12411-0006, 12612-0002, 12613-0003"
    url: "https://www-genesis.destatis.de"
    licence: "dl-de/by-2-0"
licence: "dl-de/by-2-0"
"""


def _age(label: str) -> int | None:
    if label.startswith("unter"):
        return 0
    match = re.match(r"\d+", label)
    return int(match.group()) if match else None


def population(src: Path) -> pd.DataFrame:
    """31.12. population by sex and age 0..100 (85+ opened with the life table)."""
    rows = []
    for line in (src / POPULATION).read_text("utf-8", errors="replace").splitlines():
        cells = line.split(";")
        if len(cells) < 5 or not re.fullmatch(r"31\.12\.\d{4}", cells[0]):
            continue
        year, age = int(cells[0][-4:]), _age(cells[1])
        if year in YEARS and age is not None:
            rows += [(year, "m", age, int(cells[2])), (year, "f", age, int(cells[3]))]
    frame = pd.DataFrame(rows, columns=["year", "sex", "age", "count"])
    table = national_life_table(2018).values  # the 2016/18 table: Lx (2, 101), T(100) at 100
    out = [frame[frame["age"] < OPEN]]
    for s, sex in enumerate(("f", "m")):
        share = table["Lx"][s, OPEN:] / table["Lx"][s, OPEN:].sum()
        for year in YEARS:
            total = int(
                frame.query("year == @year and sex == @sex and age == @OPEN")["count"].iloc[0]
            )
            # Largest-remainder rounding keeps whole persons and the published 85+ total.
            raw = total * share
            whole = np.floor(raw).astype(int)
            whole[np.argsort(raw - whole)[::-1][: total - whole.sum()]] += 1
            ages = np.arange(OPEN, MAX_AGE + 1)
            out.append(pd.DataFrame({"year": year, "sex": sex, "age": ages, "count": whole}))
    pop = pd.concat(out).assign(district="de")
    pop = pop.sort_values(["year", "sex", "age"])[["year", "district", "sex", "age", "count"]]
    return pop.reset_index(drop=True)


def births(src: Path) -> pd.DataFrame:
    rows = []
    for line in (src / BIRTHS).read_text("utf-8").splitlines():
        cells = line.split(";")
        if len(cells) >= 5 and re.fullmatch(r"\d{4}", cells[0]) and int(cells[0]) in YEARS:
            if cells[2].strip().isdigit():
                rows += [(int(cells[0]), "m", int(cells[2])), (int(cells[0]), "f", int(cells[3]))]
    frame = pd.DataFrame(rows, columns=["year", "sex", "count"])
    frame = frame[frame["year"] > min(YEARS)].groupby(["year", "sex"], as_index=False).sum()
    return frame.assign(district="de", mother_age="")[
        ["year", "district", "mother_age", "sex", "count"]
    ]


def deaths(src: Path) -> pd.DataFrame:
    lines = (src / DEATHS).read_text("utf-8", errors="replace").splitlines()
    header = next(line for line in lines if line.startswith(";;1956")).split(";")
    col = {int(y): i for i, y in enumerate(header) if y.strip().isdigit()}
    rows = []
    for line in lines:
        cells = line.split(";")
        if (
            len(cells) < len(header)
            or cells[1] in ("Insgesamt",)
            or _age(cells[1]) is None
            and not cells[1].startswith("Alter")
        ):
            continue
        sex = "f" if cells[0].startswith("weibl") else "m" if cells[0].endswith("nnlich") else None
        if sex is None:
            continue
        for year in YEARS:
            if year > min(YEARS):
                cell = cells[col[year]].strip()
                rows.append((year, sex, 0 if cell in ("-", "") else int(cell)))
    frame = (
        pd.DataFrame(rows, columns=["year", "sex", "count"])
        .groupby(["year", "sex"], as_index=False)
        .sum()
    )
    return frame.assign(district="de", age="")[["year", "district", "sex", "age", "count"]]


def main() -> None:
    src = shared_data_folder(__doc__.splitlines()[0], "destatis/") / "destatis"
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "city.yaml").write_text(CITY_YAML, encoding="utf-8", newline="\n")
    for name, frame in (
        ("population", population(src)),
        ("births", births(src)),
        ("deaths", deaths(src)),
    ):
        frame.to_csv(OUT / f"{name}.csv", index=False, lineterminator="\n")
        print(f"wrote {name}.csv: {len(frame)} rows")
    pop = population(src)
    print(pop.groupby("year")["count"].sum())


if __name__ == "__main__":
    main()
