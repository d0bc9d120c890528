"""Deterministic district cohort-component projection with Destatis-style variant assumptions.

Assumptions are set the way official projections set them (Destatis koordinierte
Bevölkerungsvorausberechnung, IT.NRW Gemeindemodellrechnung): a path of the total fertility rate,
a path of life expectancy at birth by sex, and a level of net migration with its age-sex profile.
Each is applied on top of the rates estimated from the city's own history.

References:
    Preston, Heuveline, Guillot (2001), Demography, ch. 6.
    Statistisches Bundesamt (2022), 15. koordinierte Bevölkerungsvorausberechnung, Annahmen.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.contract import CITY_DISTRICT, MAX_AGE, SEXES
from forecast.population.assumption_paths import AssumptionPaths
from forecast.population.combination import method_adjustment
from forecast.population.engine import ControlTotals, make_plan, run_steps
from forecast.population.estimate import BaseRates
from forecast.variables import PERSONS, POPULATION_CELL


@dataclass(frozen=True)
class PopulationAssumptions:
    """Variant assumptions relative to the estimated base rates.

    Attributes:
        tfr_change: change of every district's total fertility rate reached after
            ``tfr_years_to_target`` years and held thereafter, children per woman.
        tfr_years_to_target: years over which the TFR change is phased in linearly.
        e0_gain_per_year: gain in life expectancy at birth per calendar year, years per year,
            for (female, male).
        net_migration_change_per_1000: shift of net migration across the city boundary, persons
            per 1,000 base-year inhabitants per year; applied to in-migrants, keeping their
            age-sex-district profile.
        absolute: absolute paths by year (``assumptions`` file or preset); every quantity given
            there replaces the relative knob above (``assumption_paths``).
    """

    tfr_change: float = 0.0
    tfr_years_to_target: int = 10
    e0_gain_per_year: tuple[float, float] = (0.1, 0.1)
    net_migration_change_per_1000: float = 0.0
    absolute: AssumptionPaths | None = None


@dataclass(frozen=True)
class PopulationProjection:
    """Results of a projection (immutable). Years are Stichtage 31.12.

    Attributes:
        years: base year and projected years, shape (H+1,).
        districts: district codes.
        population: persons, shape (H+1, D, 2, 101); index 0 is the base population.
        births: live births by sex during each projected year, shape (H, D, 2).
        deaths: deaths during each projected year by cohort, shape (H, D, 2, 101).
        in_migrants: arrivals across the city boundary, shape (H, D, 2, 101).
        out_migrants: departures across the city boundary, shape (H, D, 2, 101).
        e0: life expectancy at birth used per projected year, shape (H, 2).
        tfr: mean TFR over districts per projected year, shape (H,).
        internal_in: arrivals from other districts (moves and new housing), (H, D, 2, 101).
        internal_out: departures to other districts, (H, D, 2, 101).
        adjustment: change made to meet control totals, (H, D, 2, 101), persons.
        method_adjustment: reallocation between districts that turns the cohort-component
            districts into the combination of district methods (``combination``), (H, D, 2, 101),
            persons; sums to zero over districts in every cell.
        combination: the weights and their source, when districts were combined.

    The accounting identity holds cell by cell: population[k+1] = cohorts of population[k] +
    births - deaths + in - out + internal_in - internal_out + adjustment + method_adjustment.
    """

    years: np.ndarray
    districts: tuple[str, ...]
    population: np.ndarray
    births: np.ndarray
    deaths: np.ndarray
    in_migrants: np.ndarray
    out_migrants: np.ndarray
    e0: np.ndarray
    tfr: np.ndarray
    internal_in: np.ndarray | None = None
    internal_out: np.ndarray | None = None
    adjustment: np.ndarray | None = None
    method_adjustment: np.ndarray | None = None
    combination: dict | None = None

    def combined(self, population: np.ndarray, combination: dict) -> PopulationProjection:
        """The same projection with the districts of a combination of methods.

        Args:
            population: districts (H+1, D, 2, A) with the same city in every cell.
            combination: weights and their source, for the manifest.
        """
        return dataclasses.replace(
            self,
            population=population,
            method_adjustment=method_adjustment(self.population, population),
            combination=combination,
        )

    @property
    def net_migration(self) -> np.ndarray:
        """In minus out across the city boundary per year, district, sex and cohort, persons."""
        return self.in_migrants - self.out_migrants

    @property
    def internal_net(self) -> np.ndarray:
        """Arrivals minus departures between districts, persons; sums to zero over districts."""
        if self.internal_in is None or self.internal_out is None:
            return np.zeros_like(self.in_migrants)
        return self.internal_in - self.internal_out

    def to_long(self) -> pd.DataFrame:
        """Tidy long table: district (incl. ``_city``), year, variable, unit, value.

        Variables: ``Population|<sex>|<age>`` (single ages, 100 = 100+), ``Population|Total``,
        and for projected years ``Population|Births``, ``Population|Deaths``,
        ``Population|Net migration``. Base-year rows carry the register population.
        """
        districts = list(self.districts) + [CITY_DISTRICT]
        pop = np.concatenate([self.population, self.population.sum(axis=1, keepdims=True)], axis=1)
        n_y, n_d = pop.shape[:2]
        labels = np.array(
            [POPULATION_CELL.name(sex=s, age=a) for s in SEXES for a in range(MAX_AGE + 1)]
        )
        cells = pd.DataFrame(
            {
                "district": np.repeat(np.array(districts), len(labels))[None, :]
                .repeat(n_y, 0)
                .ravel(),
                "year": np.repeat(self.years, n_d * len(labels)),
                "variable": np.tile(labels, n_y * n_d),
                "value": pop.reshape(-1),
            }
        )
        flows = {
            "Population|Total": pop.sum(axis=(-1, -2)),
            "Population|Births": _pad(self.births.sum(axis=-1)),
            "Population|Deaths": _pad(self.deaths.sum(axis=(-1, -2))),
            "Population|Net migration": _pad(self.net_migration.sum(axis=(-1, -2))),
        }
        if self.internal_in is not None:
            flows["Population|Internal net moves"] = _pad(self.internal_net.sum(axis=(-1, -2)))
        if self.adjustment is not None:
            flows["Population|Control adjustment"] = _pad(self.adjustment.sum(axis=(-1, -2)))
        if self.method_adjustment is not None:
            flows["Population|Method adjustment"] = _pad(self.method_adjustment.sum(axis=(-1, -2)))
        frames = [cells]
        for variable, arr in flows.items():
            if variable != "Population|Total":
                arr = np.concatenate([arr, arr.sum(axis=1, keepdims=True)], axis=1)
            frame = pd.DataFrame(
                {
                    "district": np.tile(np.array(districts), n_y),
                    "year": np.repeat(self.years, n_d),
                    "variable": variable,
                    "value": arr.reshape(-1),
                }
            )
            frames.append(
                frame if variable == "Population|Total" else frame[frame["year"] > self.years[0]]
            )
        out = pd.concat(frames, ignore_index=True)
        out["unit"] = PERSONS
        return out[["district", "year", "variable", "unit", "value"]]

    def totals(self) -> pd.DataFrame:
        """Total population by year (rows) and district (columns, plus ``_city``)."""
        tot = self.population.sum(axis=(-1, -2))
        frame = pd.DataFrame(tot, index=self.years, columns=list(self.districts))
        frame[CITY_DISTRICT] = frame.sum(axis=1)
        return frame

    def summary(self) -> str:
        """A few lines for a terminal."""
        tot = self.totals()[CITY_DISTRICT]
        y0, y1 = self.years[0], self.years[-1]
        return (
            f"Population {y0}: {tot.iloc[0]:,.0f} -> {y1}: {tot.iloc[-1]:,.0f} "
            f"({100 * (tot.iloc[-1] / tot.iloc[0] - 1):+.1f} %); "
            f"births/yr {self.births.sum(axis=(1, 2)).mean():,.0f}, "
            f"deaths/yr {self.deaths.sum(axis=(1, 2, 3)).mean():,.0f}, "
            f"net migration/yr {self.net_migration.sum(axis=(1, 2, 3)).mean():+,.0f}; "
            f"e0 f/m {self.e0[-1, 0]:.1f}/{self.e0[-1, 1]:.1f} in {y1}"
        )


def _pad(arr: np.ndarray) -> np.ndarray:
    """Prepend a zero row for the base year so flows align with ``years`` (dropped later)."""
    return np.concatenate([np.zeros_like(arr[:1]), arr], axis=0)


def project_population(
    rates: BaseRates,
    assumptions: PopulationAssumptions,
    horizon: int,
    control: ControlTotals | None = None,
) -> PopulationProjection:
    """Project the population of every district ``horizon`` years ahead in annual steps.

    Args:
        rates: base rates estimated from the city's history.
        assumptions: variant assumptions (TFR path, e0 path, net-migration level).
        horizon: number of years to project, >= 1.
        control: optional control totals (Eckwerte) the city must meet.

    Returns:
        The projection with all components, cohort-indexed.

    References:
        Preston, Heuveline, Guillot (2001), Demography, ch. 6.
    """
    plan = make_plan(rates, assumptions, horizon, control)
    shape = rates.population.shape
    population = np.empty((horizon + 1,) + shape)
    population[0] = rates.population
    births = np.empty((horizon, shape[0], 2))
    arrays = {
        name: np.zeros((horizon,) + shape)
        for name in ("deaths", "ins", "outs", "iin", "iout", "adj")
    }
    for k, step in enumerate(run_steps(plan)):
        c = step.components
        population[k + 1] = step.population
        births[k] = c.births
        arrays["deaths"][k], arrays["ins"][k], arrays["outs"][k] = (
            c.deaths,
            c.in_migrants,
            c.out_migrants,
        )
        arrays["iin"][k] += c.internal_in
        arrays["iout"][k] += c.internal_out
        arrays["adj"][k] += step.adjustment
    moved = rates.internal is not None or plan.housing_inside is not None
    return PopulationProjection(
        years=np.arange(rates.base_year, rates.base_year + horizon + 1),
        districts=rates.districts,
        population=population,
        births=births,
        deaths=arrays["deaths"],
        in_migrants=arrays["ins"],
        out_migrants=arrays["outs"],
        e0=plan.e0,
        tfr=plan.asfr.sum(axis=-1).mean(axis=1),
        internal_in=arrays["iin"] if moved else None,
        internal_out=arrays["iout"] if moved else None,
        adjustment=arrays["adj"] if control is not None else None,
    )
