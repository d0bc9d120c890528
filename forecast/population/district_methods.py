"""Simple district methods beside the cohort-component projection, and their combination.

Small-area evaluations find that simple methods often do as well as a full cohort-component model
for small areas, and that averages of methods beat single ones (Wilson 2015; Smith, Tayman and
Swanson 2013, ch. 13). Every method here returns districts by sex and age, (H+1, D, 2, A):

* ``constant_share``: each district keeps its base-year share of the city's population in every
  sex-age cell; the city comes from the cohort-component projection;
* ``hamilton_perry``: cohort-change ratios of each district (``baselines.hamilton_perry``),
  rescaled to the cohort-component city in every cell (Hamilton-Perry shares);
* ``linear_trend``: the district total continues its average change over the base period, with
  the base year's age structure (a baseline for district totals, not for ages).

``combination.combine_paths`` averages the districts' shares of the city cell over these methods
with weights per age group, so the city in every cell stays the cohort-component city.

References:
    Wilson, T. (2015). New evaluations of simple models for small area population forecasts.
    Population, Space and Place 21, 335-353.
    Smith, S. K., Tayman, J., Swanson, D. A. (2013). A Practitioner's Guide to State and Local
    Population Projections, ch. 8 (trend extrapolation) and 13 (evaluation).
"""

from __future__ import annotations

import numpy as np

from forecast.population.baselines import hamilton_perry


def cell_shares(population: np.ndarray) -> np.ndarray:
    """Each district's share of the city in every sex-age cell, (..., D, 2, A); equal if empty."""
    city = population.sum(axis=-3, keepdims=True)
    n_d = population.shape[-3]
    return np.divide(
        population, city, out=np.full_like(population, 1.0 / n_d, dtype=float), where=city > 0
    )


def constant_share(base: np.ndarray, city_path: np.ndarray) -> np.ndarray:
    """Districts at their base-year share of the city path ``city_path`` (H+1, 2, A)."""
    return cell_shares(base)[None] * city_path[:, None]


def hamilton_perry_shares(
    earlier: np.ndarray, base: np.ndarray, span: int, city_path: np.ndarray
) -> np.ndarray:
    """Hamilton-Perry districts rescaled to ``city_path`` cell by cell, (H+1, D, 2, A)."""
    horizon = city_path.shape[0] - 1
    raw = hamilton_perry(earlier, base, span, horizon)
    return cell_shares(raw) * city_path[:, None]


def linear_trend(history: np.ndarray, years: np.ndarray, horizon: int) -> np.ndarray:
    """District totals continue their mean yearly change over ``history`` (K, D, 2, A), K >= 2.

    Args:
        history: register populations of ``years`` (ascending, the base year last).
        years: the calendar years of ``history``; gaps are allowed (the change is per year).
        horizon: years to project.

    The base year keeps its age-sex structure; a total that would turn negative stops at zero.
    """
    totals = history.sum(axis=(-1, -2))  # (K, D)
    span = float(years[-1] - years[0])
    if span <= 0:
        raise ValueError(f"linear trend needs two different years, got {list(years)}")
    slope = (totals[-1] - totals[0]) / span
    steps = np.arange(horizon + 1)[:, None]
    path = np.maximum(totals[-1][None] + steps * slope[None], 0.0)
    structure = np.divide(
        history[-1],
        totals[-1][:, None, None],
        out=np.zeros_like(history[-1]),
        where=totals[-1][:, None, None] > 0,
    )
    return path[..., None, None] * structure[None]
