"""The published district projection: cohort component, then the combination of district methods.

``project_city`` runs the cohort-component projection and, when the city's own history allows
rolling-origin backtests, combines the districts with constant share and Hamilton-Perry shares by
the weights those backtests choose (``combination``). The result keeps the cohort-component city
in every cell and books the reallocation between districts as ``method_adjustment``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from forecast.citydata import CityData
from forecast.population.combination import (
    COMBINATION_GROUPS,
    CombinationSettings,
    CombinationWeights,
    combine_paths,
    fit_combination,
    method_paths,
    published_errors,
    reallocation_ratio,
)
from forecast.population.engine import ControlTotals
from forecast.population.error_bands import ExpectedError, expected_errors
from forecast.population.estimate import BaseRates, EstimationSettings, estimate_base_rates
from forecast.population.projection import (
    PopulationAssumptions,
    PopulationProjection,
    project_population,
)
from forecast.population.register import population_array


@dataclass(frozen=True)
class CityProjection:
    """The published projection and what the draws need to follow it.

    Attributes:
        projection: the districts as published (combined where the weights say so).
        weights: the combination's weights and their source.
        reallocation: factors (H, D, 2, A) that move a draw's districts to the combination, or
            None when the cohort-component districts are published.
        cohort_component: the cohort-component districts before any combination, (H+1, D, 2, A).
        expected: expected error of the published districts from the city's own backtests, or
            None when its history allows none.
    """

    projection: PopulationProjection
    weights: CombinationWeights
    reallocation: np.ndarray | None
    cohort_component: np.ndarray
    expected: ExpectedError | None = None

    def expected_ape(self, group: str = "Total") -> np.ndarray | None:
        """Expected APE (%) per projected year x district for ``group``, (H, D), or None."""
        if self.expected is None:
            return None
        sizes = self.projection.population[0].sum(axis=(-1, -2))
        horizons = np.arange(1, len(self.projection.years))
        return self.expected.lookup(group, sizes, horizons)


def project_city(
    city: CityData,
    rates: BaseRates,
    estimation: EstimationSettings,
    assumptions: PopulationAssumptions,
    horizon: int,
    control: ControlTotals | None = None,
    combination: CombinationSettings | None = None,
) -> CityProjection:
    """Project every district; combine district methods by weights from the city's backtests.

    Args:
        city: the city (its register up to the base year chooses the weights).
        rates: base rates of the base year.
        estimation: the estimation settings ``rates`` were made with (used at every origin).
        assumptions: the variant (the backtests use the main variant: they test the method).
        horizon: years to project.
        control: control totals, or None.
        combination: how to combine; None or ``enabled=False`` publishes the cohort component.
    """
    projection = project_population(rates, assumptions, horizon, control)
    combination = combination or CombinationSettings(enabled=False)
    if not combination.enabled or len(rates.districts) < 2:
        return CityProjection(projection, CombinationWeights.default(), None, projection.population)

    def backtest_path(past: CityData, origin: int, h: int) -> np.ndarray:
        settings = dataclasses.replace(estimation, base_year=origin)
        return project_population(
            estimate_base_rates(past, settings), PopulationAssumptions(), h
        ).population

    weights = fit_combination(city, rates.base_year, backtest_path, combination)
    pop, years = population_array(city)
    register = {int(y): pop[i] for i, y in enumerate(years) if y <= rates.base_year}
    expected = expected_errors(
        published_errors(weights),
        {y: p.sum(axis=(-1, -2)) for y, p in register.items()},
        list(COMBINATION_GROUPS),
    )
    if np.allclose(weights.weights["cohort_component"], 1.0):
        return CityProjection(
            dataclasses.replace(projection, combination=weights.to_manifest()),
            weights,
            None,
            projection.population,
            expected,
        )
    combined = _combine_keeping_housing(
        rates, assumptions, horizon, control, projection, register, combination, weights
    )
    return CityProjection(
        projection.combined(combined, weights.to_manifest()),
        weights,
        reallocation_ratio(projection.population, combined),
        projection.population,
        expected,
    )


def _combine_keeping_housing(
    rates: BaseRates,
    assumptions: PopulationAssumptions,
    horizon: int,
    control: ControlTotals | None,
    projection: PopulationProjection,
    register: dict[int, np.ndarray],
    combination: CombinationSettings,
    weights: CombinationWeights,
) -> np.ndarray:
    """The combined districts; planned new housing keeps its full effect.

    Constant share and Hamilton-Perry know nothing of the dwellings a city plans, so the methods
    are combined on the projection without planned completions and the housing effect (with minus
    without) is added back: the planned dwellings move people exactly as in the cohort component.
    """
    base = projection.population
    if rates.housing is not None and rates.housing_years.size:
        without = dataclasses.replace(
            rates, housing_completions=np.zeros_like(rates.housing_completions)
        )
        base = project_population(without, assumptions, horizon, control).population
    paths = method_paths(base, register, rates.base_year, combination.hp_span)
    combined = combine_paths(paths, weights.weights) + (projection.population - base)
    # A district the housing empties faster than the combination expects stays at zero; the city
    # cell is kept by spreading the difference over the other districts.
    combined = np.maximum(combined, 0.0)
    city, now = (
        projection.population.sum(axis=1, keepdims=True),
        combined.sum(axis=1, keepdims=True),
    )
    return combined * np.divide(city, now, out=np.ones_like(now), where=now > 0)
