"""Ex-post evaluation: project from an earlier base year and compare with the register.

The projection sees only data up to the base year (``CityData.restrict_to``); the register of the
following years is the truth. Simple methods are projected from the same data: constant population,
Hamilton-Perry cohort-change ratios, the linear trend of the district totals over the base period
and the districts' constant share of the cohort-component city.

References:
    Smith, S. K., Tayman, J., Swanson, D. A. (2013). A Practitioner's Guide to State and Local
    Population Projections, ch. 13 (evaluating projections: APE, MAPE by horizon).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.citydata import CityData
from forecast.contract import CITY_DISTRICT
from forecast.population.baselines import constant_population, hamilton_perry
from forecast.population.combination import CombinationSettings
from forecast.population.district_methods import constant_share, linear_trend
from forecast.population.district_projection import project_city
from forecast.population.estimate import EstimationSettings, estimate_base_rates, population_array
from forecast.population.projection import PopulationAssumptions

AGE_GROUPS: dict[str, tuple[int, int]] = {
    "0-2": (0, 2),
    "3-5": (3, 5),
    "6-9": (6, 9),
    "10-15": (10, 15),
    "16-20": (16, 20),
    "21-64": (21, 64),
    "65+": (65, 100),
}
"""Age groups of the evaluation (Kita U3 and Ü3, primary school, secondary, youth, adults, old)."""

METHODS = (
    "cohort_component",
    "combination",
    "constant",
    "hamilton_perry",
    "linear_trend",
    "constant_share",
)


@dataclass(frozen=True)
class PopulationBacktest:
    """Errors of a backtest, long format.

    Attributes:
        table: one row per method x year x district x sex x age group with columns
            ``method, base_year, horizon, year, district, sex, age_group, projected, observed,
            error (projected - observed, persons), ape (absolute percentage error, %)``;
            ``sex`` and ``age_group`` are ``all`` for totals; ``suspect`` marks register years the
            city folder lists in ``exclude_years`` (kept in the table, left out of the headline).
        notes: the estimation notes of the cohort-component run.
    """

    table: pd.DataFrame
    notes: tuple[str, ...]

    def headline(self, horizon: int | None = None) -> pd.DataFrame:
        """City-level total APE and MAPE over the age groups (both sexes) per method and horizon."""
        t = self.table[(self.table["district"] == CITY_DISTRICT) & ~self.table["suspect"]]
        if horizon is not None:
            t = t[t["horizon"] == horizon]
        total = t[(t["sex"] == "all") & (t["age_group"] == "all")].set_index(["horizon", "method"])
        groups = t[(t["sex"] == "all") & (t["age_group"] != "all")]
        mape = groups.groupby(["horizon", "method"])["ape"].mean()
        return pd.DataFrame(
            {
                "total_error_pct": 100 * total["error"] / total["observed"],
                "mape_age_groups_pct": mape,
            }
        ).reset_index()

    def district_mape(self) -> pd.DataFrame:
        """MAPE of district totals (both sexes, all ages) per method and horizon, %."""
        t = self.table[
            (self.table["district"] != CITY_DISTRICT)
            & ~self.table["suspect"]
            & (self.table["sex"] == "all")
            & (self.table["age_group"] == "all")
        ]
        return (
            t.groupby(["horizon", "method"])["ape"]
            .mean()
            .rename("mape_district_totals_pct")
            .reset_index()
        )

    def summary(self) -> str:
        """A table for the terminal: city-level errors and district-total MAPE by year and method."""
        head = self.headline().merge(self.district_mape(), on=["horizon", "method"])
        values = ["total_error_pct", "mape_age_groups_pct", "mape_district_totals_pct"]
        wide = head.pivot(index="horizon", columns="method", values=values)
        base_year = int(self.table["base_year"].iloc[0])
        wide.index = [base_year + h for h in wide.index]
        wide.index.name = "year"
        return (
            f"Population backtest from {base_year}, city level (%):\n"
            "total_error_pct = (projected - register) / register; "
            "mape_age_groups_pct = mean APE over 0-2, 3-5, 6-9, 10-15, 16-20, 21-64, 65+; "
            "mape_district_totals_pct = mean APE of the district totals\n"
            + wide.round(2).to_string()
        )


def backtest_population(
    city: CityData,
    base_year: int,
    horizon: int,
    settings: EstimationSettings | None = None,
    assumptions: PopulationAssumptions | None = None,
    hp_span: int = 5,
    combination: CombinationSettings | None = None,
) -> PopulationBacktest:
    """Project from ``base_year`` with data up to it only and compare with the register.

    Args:
        city: the full city data (the register after ``base_year`` is the truth).
        base_year: last year the projection may see.
        horizon: years ahead; only years present in the register are evaluated.
        settings: estimation settings (the base year is overridden).
        assumptions: variant assumptions; the default is the main variant.
        hp_span: longest span of the Hamilton-Perry cohort-change ratios, years (shorter when
            the register does not reach back so far; left out without an earlier year).
        combination: the combination of district methods (weights chosen on the register up to
            ``base_year`` only); default: on, as in a run.

    Returns:
        The error table and the estimation notes.
    """
    settings = settings or EstimationSettings()
    combination = combination or CombinationSettings()
    assumptions = assumptions or PopulationAssumptions()
    past = city.restrict_to(base_year)
    estimation = dataclasses.replace(settings, base_year=base_year)
    rates = estimate_base_rates(past, estimation)
    published = project_city(past, rates, estimation, assumptions, horizon, combination=combination)
    cohort_component = published.cohort_component

    pop, years = population_array(city)
    year_ix = {int(y): i for i, y in enumerate(years)}
    base = pop[year_ix[base_year]]
    first = int(rates.diagnostics["transitions"][0])  # the base period's first register year
    forecasts = {
        "cohort_component": cohort_component,
        "combination": published.projection.population,
        "constant": constant_population(base, horizon),
        "linear_trend": linear_trend(
            np.stack([pop[year_ix[first]], base]), np.array([first, base_year]), horizon
        ),
        "constant_share": constant_share(base, cohort_component.sum(axis=1)),
    }
    # Hamilton-Perry over the longest span up to hp_span years that the register allows.
    span = next(
        (
            s
            for s in range(hp_span, 0, -1)
            if base_year - s in year_ix and base_year - s not in city.exclude_years
        ),
        None,
    )
    if span is not None:
        forecasts["hamilton_perry"] = hamilton_perry(
            pop[year_ix[base_year - span]], base, span, horizon
        )
    rows = []
    for h in range(1, horizon + 1):
        year = base_year + h
        if year not in year_ix:
            continue
        observed = pop[year_ix[year]]
        for method, arr in forecasts.items():
            rows.append(
                _compare(arr[h], observed, list(city.district_codes), method, base_year, h, year)
            )
    table = pd.concat(rows, ignore_index=True)
    table["suspect"] = table["year"].isin(city.exclude_years)
    return PopulationBacktest(table=table, notes=rates.notes)


def _compare(projected, observed, districts, method, base_year, horizon, year) -> pd.DataFrame:
    """Aggregate both arrays by district (incl. city) x sex (incl. all) x age group (incl. all)."""
    proj = np.concatenate([projected, projected.sum(axis=0, keepdims=True)])
    obs = np.concatenate([observed, observed.sum(axis=0, keepdims=True)])
    names = districts + [CITY_DISTRICT]
    groups = {"all": (0, 100), **AGE_GROUPS}
    records = []
    for sex_label, sex_sel in (("all", slice(None)), ("f", 0), ("m", 1)):
        for group, (lo, hi) in groups.items():
            p = proj[:, sex_sel, lo : hi + 1].reshape(len(names), -1).sum(axis=1)
            o = obs[:, sex_sel, lo : hi + 1].reshape(len(names), -1).sum(axis=1)
            records.append(
                pd.DataFrame(
                    {
                        "district": names,
                        "sex": sex_label,
                        "age_group": group,
                        "projected": p,
                        "observed": o,
                    }
                )
            )
    out = pd.concat(records, ignore_index=True)
    out["error"] = out["projected"] - out["observed"]
    out["ape"] = np.where(
        out["observed"] > 0,
        100 * np.abs(out["error"]) / out["observed"].where(out["observed"] > 0, 1),
        np.nan,
    )
    out.insert(0, "method", method)
    out.insert(1, "base_year", base_year)
    out.insert(2, "horizon", horizon)
    out.insert(3, "year", year)
    return out
