"""A scenario's planned dwellings (``city.housing_plan``): added to the city's housing table.

A Neubau scenario is an assumption about the future, not data of the city: it lives outside the
city folder (e.g. ``data/scenarios/konstanz_neubau_plus.csv``) and is named in the experiment
bundle. Its rows (``year, district, dwellings``, the contract of the ``housing`` file) are checked
like a city file (every problem with file, line, column and what was expected; nothing runs on a
bad file) and added to the city's own ``housing`` rows of the same year and district. Every year
must lie after the last register year: completions of past years are already in the register
and in the migration the projection starts from.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

from forecast.citydata import CityData, city_dialect
from forecast.contract import CONTRACT
from forecast.problems import InputDataError, ProblemReport
from forecast.validate import _check_table, _read_table  # one file checked as in check_city
from forecast.validate_table import TableCheck


def add_housing_plan(city: CityData, plan: Path) -> CityData:
    """The city with the plan's dwellings added to its ``housing`` table.

    Args:
        city: the validated city.
        plan: CSV or Parquet file with columns year, district, dwellings.

    Returns:
        A copy of ``city`` whose ``housing`` table holds the city's rows plus the plan's (summed
        per year and district) and whose ``files`` include the plan (checksummed in the manifest).

    Raises:
        InputDataError: the plan breaks the housing contract, names an unknown district or a
            year not after the last register year.
    """
    plan = Path(plan)
    report = ProblemReport()
    if not plan.is_file():
        report.add(str(plan), None, None, "housing plan not found (city.housing_plan)")
        raise InputDataError(report.problems())
    frame = _read_table(plan, report, CONTRACT["housing"], city_dialect(city))  # as declared
    check = None
    if frame is not None:
        check = TableCheck(CONTRACT["housing"], plan.name, frame, list(city.district_codes), report)
        _check_table(check)
        last = int(city.table("population")["year"].max())
        years = check.values.get("year")
        if years is not None:
            early = (years.to_numpy(dtype=float) <= last) & np.isfinite(years.to_numpy(dtype=float))
            check.flag(
                "year",
                "plan_year",
                early,
                lambda pos: (
                    f"{int(years.iat[pos])}: expected a year after the last register "
                    f"year {last} (a plan adds future dwellings)"
                ),
            )
    if report.problems():
        raise InputDataError(report.problems())
    rows = pd.DataFrame(
        {
            "year": check.values["year"].astype(np.int64),
            "district": check.values["district"].astype(object),
            "dwellings": check.values["dwellings"].astype(np.int64),
        }
    )
    if city.has("housing"):
        rows = pd.concat([city.table("housing"), rows], ignore_index=True)
    # Past years without listed completions are zero rows, not missing ones: the plan adds to the
    # trend migration, which keeps the past completions (and forecast.population.housing
    # .completions fails on a housing table without any row in the base period).
    register = np.sort(city.table("population")["year"].unique())
    known = set(rows.loc[rows["year"] <= register[-1], "year"])
    past = [int(y) for y in register if y not in known]
    zeros = pd.DataFrame({"year": past, "district": city.district_codes[0], "dwellings": 0})
    rows = pd.concat([rows, zeros], ignore_index=True)
    housing = (
        rows.groupby(["year", "district"], as_index=False, sort=True)["dwellings"]
        .sum()
        .astype({"year": np.int64, "dwellings": np.int64})
    )
    return dataclasses.replace(
        city,
        tables=MappingProxyType({**city.tables, "housing": housing}),
        files=MappingProxyType({**city.files, plan.name: plan}),
    )
