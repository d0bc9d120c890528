"""Observed participation (Betreuungsquote): children in care at 1 March over the population.

Destatis convention: children in care at **1 March of year m** divided by the population of the
same ages at **31.12. of m-1**. In jhplan the quota of 1 March m belongs to **Kita year m-1**
(1 August m-1 to 31 July m): its children are counted from the same 31.12. population (see
``forecast.kita.cohorts``), so ``kita_year = m - 1`` throughout.

Age groups:

* **U3**: children under 3 at 1 March over the population aged 0-2. Single-age rows give the
  quota by age too (``U3|0`` etc.).
* **Ü3** from single ages: children aged 3-5 over the population aged 3-5 (Destatis "3 bis
  unter 6"); children of 6 and 7 in care are not counted.
* **Ü3** from ``age_group = ue3`` ("3 to school entry"): the numerator includes the 6-year-olds
  not yet at school, so the denominator is the population aged 3-5 plus ``age6_weight`` times the
  population aged 6. Stadt Konstanz uses 3 to 6.5 years (weight 0.5); with it, its published Ü3
  quotas 2012-2024 are reproduced exactly.

Settings: where ``kita_children`` gives the setting, quotas are reported per setting (``kita``,
``tagespflege``) and for both together (``all``, the Destatis quota); otherwise only ``all``.
Whole-city rows (``_city``) are compared with the whole city's population. District rows give
district quotas and, when every district has rows in a year, the city quota too. A year whose
31.12. population is listed in ``exclude_years`` gives no quota.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.contract import CITY_DISTRICT

GROUPS = ("U3", "Ue3", "U3|0", "U3|1", "U3|2")
SETTING_ALL = "all"
COLUMNS = ("kita_year", "district", "group", "setting", "children", "population", "quota")


def observed_participation(
    children: pd.DataFrame,
    population: np.ndarray,
    years: np.ndarray,
    districts: tuple[str, ...],
    age6_weight: float = 0.5,
    exclude_years: tuple[int, ...] = (),
) -> pd.DataFrame:
    """Betreuungsquoten of the past, by Kita year, district, age group and setting.

    Args:
        children: the typed ``kita_children`` table (year of 1 March, district, age, age_group,
            setting, count).
        population: register population at 31.12., shape (Y, D, 2, A) or (Y, D, A), persons.
        years: the register years, shape (Y,).
        districts: district codes in the population's order.
        age6_weight: share of the 6-year-olds in the Ü3 denominator for ``ue3`` group rows.
        exclude_years: register years not to use (their quotas are left out).

    Returns:
        Long frame with columns ``kita_year, district, group, setting, children, population,
        quota`` (quota = children / population, a share); groups from ``GROUPS``, settings
        ``all``, ``kita``, ``tagespflege``.

    References:
        Statistisches Bundesamt, Kindertagesbetreuung: Betreuungsquote (Stichtag 1 March,
        population at 31.12. of the previous year).
    """
    if not 0.0 <= age6_weight <= 1.0:
        raise ValueError(f"age6_weight {age6_weight}: expected a share between 0 and 1")
    pop = np.asarray(population, dtype=float)
    pop = pop.sum(axis=2) if pop.ndim == 4 else pop
    kids = _numerators(children, districts)
    if kids.empty:
        return pd.DataFrame(columns=list(COLUMNS))
    kids = kids[~kids["kita_year"].isin(exclude_years)]
    kids = kids[kids["kita_year"].isin(years)]
    denominators = _denominators(pop, years, districts, age6_weight)
    out = kids.merge(denominators, on=["kita_year", "district", "group", "ue3_from_groups"])
    out = out[out["population"] > 0]
    out["quota"] = out["children"] / out["population"]
    out = out.sort_values(["district", "group", "setting", "kita_year"], kind="stable")
    return out[list(COLUMNS)].reset_index(drop=True)


def _numerators(children: pd.DataFrame, districts: tuple[str, ...]) -> pd.DataFrame:
    """Children in care by (kita_year, district, group, setting), with city totals."""
    frame = children.copy()
    age = frame["age"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    group = frame["age_group"].fillna("").astype(str).to_numpy()
    frame["setting"] = frame["setting"].fillna(SETTING_ALL).astype(str)
    frame["kita_year"] = frame["year"].astype(int) - 1
    frame["ue3_from_groups"] = False
    pieces = []
    u3 = (group == "u3") | (age <= 2)
    pieces.append(frame[u3].assign(group="U3"))
    ue3 = (group == "ue3") | ((age >= 3) & (age <= 5))
    pieces.append(frame[ue3].assign(group="Ue3", ue3_from_groups=group[ue3] == "ue3"))
    for a in (0, 1, 2):
        pieces.append(frame[age == a].assign(group=f"U3|{a}"))
    long = pd.concat(pieces, ignore_index=True)
    keys = ["kita_year", "district", "group", "setting"]
    long = long.groupby(keys, as_index=False).agg(
        children=("count", "sum"), ue3_from_groups=("ue3_from_groups", "max")
    )
    # Where settings are given, add both together (the Destatis quota counts both).
    by_setting = long[long["setting"] != SETTING_ALL]
    if not by_setting.empty:
        total = by_setting.groupby(["kita_year", "district", "group"], as_index=False).agg(
            children=("children", "sum"), ue3_from_groups=("ue3_from_groups", "max")
        )
        long = pd.concat([long, total.assign(setting=SETTING_ALL)], ignore_index=True)
    # District rows win over _city rows of the same year; complete years also give the city.
    district_rows = long[long["district"] != CITY_DISTRICT]
    city_rows = long[long["district"] == CITY_DISTRICT]
    complete = district_rows.groupby(["kita_year", "group", "setting"])["district"].nunique()
    complete = complete[complete == len(districts)].index
    summed = (
        district_rows.set_index(["kita_year", "group", "setting"])
        .loc[lambda f: f.index.isin(complete)]
        .groupby(level=[0, 1, 2])
        .agg(children=("children", "sum"), ue3_from_groups=("ue3_from_groups", "max"))
        .reset_index()
        .assign(district=CITY_DISTRICT)
    )
    years_with_districts = set(district_rows["kita_year"])
    city_rows = city_rows[~city_rows["kita_year"].isin(years_with_districts)]
    return pd.concat([district_rows, city_rows, summed], ignore_index=True)


def _denominators(
    pop: np.ndarray, years: np.ndarray, districts: tuple[str, ...], age6_weight: float
) -> pd.DataFrame:
    """Population at 31.12. of the Kita year for every group, district and ``_city``."""
    city = pop.sum(axis=1, keepdims=True)
    both = np.concatenate([pop, city], axis=1)  # (Y, D+1, A)
    codes = [*districts, CITY_DISTRICT]
    bands = {
        ("U3", False): both[..., 0:3].sum(axis=-1),
        ("Ue3", False): both[..., 3:6].sum(axis=-1),
        ("Ue3", True): both[..., 3:6].sum(axis=-1) + age6_weight * both[..., 6],
        ("U3|0", False): both[..., 0],
        ("U3|1", False): both[..., 1],
        ("U3|2", False): both[..., 2],
    }
    frames = []
    for (group, from_groups), values in bands.items():
        grid = pd.MultiIndex.from_product([years, codes], names=["kita_year", "district"])
        frames.append(
            grid.to_frame(index=False).assign(
                group=group, ue3_from_groups=from_groups, population=values.ravel()
            )
        )
    out = pd.concat(frames, ignore_index=True)
    out["kita_year"] = out["kita_year"].astype(int)
    return out


def participation_series(
    table: pd.DataFrame, group: str, district: str, setting: str = SETTING_ALL
) -> pd.Series:
    """One quota series (index: Kita year) from ``observed_participation``; empty if none."""
    rows = table[
        (table["group"] == group) & (table["district"] == district) & (table["setting"] == setting)
    ]
    return rows.set_index("kita_year")["quota"].sort_index().astype(float)
