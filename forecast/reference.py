"""National reference schedules shipped with the package (Destatis; see reference/SOURCES.md).

A city that lacks a life table or age-specific fertility of its own is projected with these
schedules, scaled to the city's observed level of deaths and births. Which period was picked is
returned with the schedule so that the run manifest can name it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.contract import FERTILE_AGES, MAX_AGE, SEXES

REFERENCE_DIR = Path(__file__).parent / "reference"


@dataclass(frozen=True)
class Schedule:
    """A reference schedule and where it came from.

    Attributes:
        values: the numbers (see the function that returned it for shape and unit).
        label: human-readable origin, e.g. "Destatis Sterbetafel 2022/24".
    """

    values: np.ndarray | dict[str, np.ndarray]
    label: str


@lru_cache(maxsize=1)
def _life_tables() -> pd.DataFrame:
    return pd.read_csv(REFERENCE_DIR / "life_tables_de.csv", dtype={"period": str})


@lru_cache(maxsize=1)
def _asfr() -> pd.DataFrame:
    return pd.read_csv(REFERENCE_DIR / "asfr_de.csv")


def _period_end(period: str) -> int:
    start, end = period.split("/")
    return int(start[:2] + end) if len(end) == 2 else int(end)


def life_table_columns(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """lx and Lx arrays of shape (2, 101) (sex f, m; ages 0..100) from a contract life table."""
    out = {}
    for col in ("lx", "Lx"):
        wide = frame.pivot(index="sex", columns="age", values=col).reindex(
            index=list(SEXES), columns=range(MAX_AGE + 1)
        )
        if wide.isna().any().any():
            raise ValueError("life table must cover sex f, m and every age 0..100")
        out[col] = wide.to_numpy(float)
    return out


def national_life_table(up_to_year: int) -> Schedule:
    """The latest Destatis period life table ending no later than ``up_to_year``.

    If every table ends later (backtests from early years), the earliest one is used and the label
    says so, because a slightly later table is a smaller error than no table.

    Returns:
        ``values`` = {"lx": (2, 101), "Lx": (2, 101)}, radix 100000, Lx of age 100 = T(100).
    """
    tables = _life_tables()
    periods = sorted(tables["period"].unique(), key=_period_end)
    usable = [p for p in periods if _period_end(p) <= up_to_year]
    period = usable[-1] if usable else periods[0]
    label = f"Destatis Sterbetafel {period}"
    if not usable:
        label += f" (earliest available; ends after {up_to_year})"
    return Schedule(life_table_columns(tables[tables["period"] == period]), label)


def national_asfr(year: int) -> Schedule:
    """Destatis age-specific fertility rates for ``year`` (or the nearest year available).

    Returns:
        ``values`` of shape (35,): births per woman per year at mother's age 15..49.
    """
    table = _asfr()
    years = table["year"].unique()
    pick = int(years[np.argmin(np.abs(years - year))])
    sel = table[table["year"] == pick].set_index("mother_age")["asfr"]
    ages = range(FERTILE_AGES[0], FERTILE_AGES[1] + 1)
    label = f"Destatis ASFR {pick} (births 12612-0007 / women 12411-0006)"
    if pick != year:
        label += f", nearest to {year}"
    return Schedule(sel.reindex(ages).to_numpy(float), label)


def national_male_share_at_birth() -> Schedule:
    """Share of boys among live births in Germany over all years in the reference file."""
    srb = pd.read_csv(REFERENCE_DIR / "sex_ratio_at_birth_de.csv")
    share = srb["male"].sum() / (srb["male"].sum() + srb["female"].sum())
    span = f"{srb['year'].min()}-{srb['year'].max()}"
    return Schedule(np.array(share), f"Destatis live births by sex 12612-0002, {span}")


@lru_cache(maxsize=1)
def mortality_improvement_pattern() -> Schedule:
    """Lee-Carter age pattern of mortality improvement b(x) for Germany, by sex.

    Estimated by ``scripts/build_lee_carter.py`` from deaths (12613-0003) and population
    (12411-0006), 1991-2019; see reference/SOURCES.md.

    Returns:
        ``values`` of shape (2, 101) (sex f, m; ages 0..100), each row summing to 1.
    """
    table = pd.read_csv(REFERENCE_DIR / "lee_carter_bx_de.csv")
    wide = table.pivot(index="sex", columns="age", values="bx").reindex(
        index=list(SEXES), columns=range(MAX_AGE + 1)
    )
    return Schedule(
        wide.to_numpy(float), "Lee-Carter b(x), Germany 1991-2019 (Destatis 12613-0003, 12411-0006)"
    )
