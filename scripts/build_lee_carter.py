"""Build ``forecast/reference/lee_carter_bx_de.csv``: the age pattern of mortality improvement.

The Lee-Carter model writes log death rates as ``log m(x, t) = a(x) + b(x) k(t)``; ``b(x)`` says
how fast mortality at age x falls when the general level ``k(t)`` falls (sum over ages = 1). It is
estimated here from Germany's deaths and population by sex and single age, 1991-2019: unified
Germany on both sides (the population series before 1990 covers the former FRG only) and before
the COVID-19 years 2020-2021, whose excess deaths would tilt the pattern toward the old.

Rates: deaths of year t at age x (12613-0003) over the mean of the population aged x at 31.12. of
t-1 and t (12411-0006); the population table ends with an open group 85+, so ages 85..100 use the
rate of the 85+ group as a whole. ``b(x)`` is the first left singular vector of the centred log
rates (Lee & Carter 1992); above 84 it moves linearly from b(84) to the 85+ group's value, reached
at age 90 and held to 100 (an estimate: the data hold no single ages above 84, and the 85+ rate
also rises with the group's own ageing), and ages 3..82 are smoothed
with a centred 5-age moving average because deaths at ages 5-14 are small counts. The script
prints ``b(x)`` by age group and the fitted drift of ``k(t)`` per year.

Usage:
    python scripts/build_lee_carter.py [--shared PATH]

References:
    Lee, R. D., Carter, L. R. (1992). Modeling and forecasting U.S. mortality. Journal of the
    American Statistical Association 87(419), 659-671.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from buildlib import REPO, shared_data_folder  # first: puts the repository on sys.path

OUT = REPO / "forecast" / "reference" / "lee_carter_bx_de.csv"
DEATHS = "destatis_12613-0003_gestorbene_de_alter_geschlecht_1956-2021.csv"
POPULATION = "destatis_12411-0006_bev_de_alter_geschlecht_1970-2021.csv"
YEARS = (1991, 2019)  # unified Germany in both tables; before the COVID-19 years
OPEN = 85  # the population table's open age group
OLD_PIVOT = 90  # age from which b(x) equals the 85+ group's value (estimate, see main docstring)
MAX_AGE = 100
SEXES = {"weiblich": "f", "männlich": "m"}


def _age(label: str) -> int | None:
    """GENESIS age label -> completed years ('unter 1 Jahr' -> 0; 'Alter unbekannt' -> None)."""
    if label.startswith("unter"):
        return 0
    match = re.match(r"\d+", label)
    return int(match.group()) if match else None


def _sex(label: str) -> str | None:
    """'weiblich'/'männlich' even where the umlaut was lost in the export."""
    if label.startswith("weibl"):
        return "f"
    if label.startswith("m") and label.endswith("nnlich"):
        return "m"
    return None


def read_deaths(path: Path) -> pd.DataFrame:
    """Deaths by year, sex, age (100 = 100+); unknown ages dropped (at most a few dozen a year)."""
    lines = path.read_text("utf-8", errors="replace").splitlines()
    header = next(line for line in lines if line.startswith(";;1956"))
    years = [int(y) for y in header.split(";")[2:] if y.strip()]
    rows = []
    for line in lines:
        cells = line.split(";")
        if len(cells) < 2 + len(years) or (sex := _sex(cells[0])) is None:
            continue
        age = _age(cells[1])
        if age is None:
            continue
        for year, cell in zip(years, cells[2 : 2 + len(years)], strict=True):
            value = 0.0 if cell.strip() in ("-", "") else float(cell)
            rows.append((year, sex, min(age, MAX_AGE), value))
    return pd.DataFrame(rows, columns=["year", "sex", "age", "deaths"])


def read_population(path: Path) -> pd.DataFrame:
    """Population at 31.12. by year, sex and age 0..84, 85 = 85+."""
    rows = []
    for line in path.read_text("utf-8", errors="replace").splitlines():
        cells = line.split(";")
        if len(cells) < 5 or not re.fullmatch(r"31\.12\.\d{4}", cells[0]):
            continue
        age = _age(cells[1])
        if age is None:
            continue
        year = int(cells[0][-4:])
        rows.append((year, "m", age, float(cells[2])))
        rows.append((year, "f", age, float(cells[3])))
    return pd.DataFrame(rows, columns=["year", "sex", "age", "population"])


def estimate_bx(deaths: pd.DataFrame, population: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """b(x) by sex on ages 0..100 and the drift of k(t) per year."""
    out, drift = [], {}
    years = np.arange(YEARS[0], YEARS[1] + 1)
    for sex in ("f", "m"):
        d = deaths[deaths["sex"] == sex].assign(age=lambda f: f["age"].clip(upper=OPEN))
        d = d.groupby(["age", "year"])["deaths"].sum().unstack().loc[:, years]
        p = population[population["sex"] == sex].pivot(
            index="age", columns="year", values="population"
        )
        exposure = 0.5 * (p.loc[:, years - 1].to_numpy() + p.loc[:, years].to_numpy())
        log_m = np.log(d.to_numpy() / exposure)  # (86 ages, T)
        centred = log_m - log_m.mean(axis=1, keepdims=True)
        u, s, vt = np.linalg.svd(centred, full_matrices=False)
        b = u[:, 0] / u[:, 0].sum()
        k = s[0] * vt[0] * u[:, 0].sum()
        smooth = b.copy()
        smooth[3:-3] = np.convolve(b, np.ones(5) / 5, mode="same")[3:-3]
        # Above 84 only the 85+ group is known: move linearly from b(84) to its value, reached at
        # 90 (about the mean age of the group's deaths, an estimate), and hold it above.
        old = np.arange(OPEN, MAX_AGE + 1)
        w = np.clip((old - (OPEN - 1)) / (OLD_PIVOT - (OPEN - 1)), 0.0, 1.0)
        bx = np.concatenate([smooth[:OPEN], (1 - w) * smooth[OPEN - 1] + w * smooth[OPEN]])
        bx = bx / bx.sum()
        drift[sex] = float((k[-1] - k[0]) / (len(k) - 1))
        explained = float(s[0] ** 2 / (s**2).sum())
        print(
            f"{sex}: first component explains {100 * explained:.1f} %; drift of k {drift[sex]:.3f}/yr"
        )
        out.append(pd.DataFrame({"sex": sex, "age": np.arange(MAX_AGE + 1), "bx": bx}))
    return pd.concat(out, ignore_index=True), drift


def main() -> None:
    src = shared_data_folder(__doc__.splitlines()[0], "destatis/") / "destatis"
    table, _ = estimate_bx(read_deaths(src / DEATHS), read_population(src / POPULATION))
    table["bx"] = table["bx"].round(6)
    table.to_csv(OUT, index=False, lineterminator="\n")
    groups = pd.cut(
        table["age"],
        [-1, 0, 14, 44, 64, 84, 100],
        labels=["0", "1-14", "15-44", "45-64", "65-84", "85+"],
    )
    print(table.groupby(["sex", groups], observed=True)["bx"].mean().unstack().round(4))
    print(f"wrote {OUT.relative_to(REPO)}")


if __name__ == "__main__":
    main()
