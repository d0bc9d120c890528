"""A combination of district methods with weights per age group, chosen on the city's own past.

The cohort-component projection gives the city in every sex-age cell. The districts' shares of
each cell are averaged over methods (cohort component, constant share, Hamilton-Perry shares;
``district_methods``) with weights per age group chosen by rolling-origin backtests over the
city's own history: for every origin with a full base period, each method projects from the data
up to the origin and is compared with the register; the weights minimise the mean absolute
percentage error of district x age-group populations. A city whose history holds no such origin
keeps the default weights, which were chosen the same way on real data (README).

The published districts differ from the cohort-component districts by a reallocation that sums to
zero over districts in every cell; it is booked as its own component (``method_adjustment``), so
P(t+1) = P(t) + births - deaths + net migration + internal moves + control and method adjustments
holds cell by cell.

References:
    Wilson, T. (2015). New evaluations of simple models for small area population forecasts.
    Population, Space and Place 21, 335-353.
    Bates, J. M., Granger, C. W. J. (1969). The combination of forecasts. Operational Research
    Quarterly 20, 451-468.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.citydata import CityData
from forecast.population.district_methods import cell_shares, constant_share, hamilton_perry_shares
from forecast.population.kernel import age_cohorts
from forecast.population.register import population_array, usable_transitions

COMBINATION_GROUPS: dict[str, tuple[int, int]] = {
    "0-5": (0, 5),
    "6-17": (6, 17),
    "18-26": (18, 26),
    "27-44": (27, 44),
    "45-64": (45, 64),
    "65+": (65, 100),
}
"""Age groups with their own weights (Kita, school, young adults, parents, older adults, old)."""

METHODS = ("cohort_component", "constant_share", "hamilton_perry")

DEFAULT_WEIGHTS = {"cohort_component": 1.0, "constant_share": 0.0, "hamilton_perry": 0.0}
"""Weights where the city's own history cannot choose (estimate, README: district backtests)."""


MIN_GAIN = 0.02
"""A group leaves the cohort component only if its backtest error falls by 2 % or more (estimate:
guards the in-sample choice over the weight grid against noise)."""


def group_of_age(n_ages: int = 101) -> np.ndarray:
    """Combination age group index of each single age."""
    out = np.zeros(n_ages, dtype=int)
    for g, (lo, hi) in enumerate(COMBINATION_GROUPS.values()):
        out[lo : hi + 1] = g
    return out


@dataclass(frozen=True)
class CombinationWeights:
    """Weights per method and age group, and how they were chosen.

    Attributes:
        weights: method -> weight per ``COMBINATION_GROUPS`` group, shape (G,); sum 1 per group.
        source: ``default`` or ``backtest over origins ...``.
        errors: backtest errors (method, origin, horizon, group, district, ape), or empty.
    """

    weights: dict[str, np.ndarray]
    source: str
    errors: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)

    @classmethod
    def default(cls) -> CombinationWeights:
        n_g = len(COMBINATION_GROUPS)
        return cls({m: np.full(n_g, w) for m, w in DEFAULT_WEIGHTS.items()}, "default")

    def to_manifest(self) -> dict:
        return {
            "source": self.source,
            "weights": {
                m: dict(zip(COMBINATION_GROUPS, np.round(w, 3).tolist(), strict=True))
                for m, w in self.weights.items()
            },
        }


def method_paths(
    cohort_component: np.ndarray, register: dict[int, np.ndarray], base_year: int, hp_span: int
) -> dict[str, np.ndarray]:
    """The methods' districts (H+1, D, 2, A) for a cohort-component path from ``base_year``.

    Hamilton-Perry uses the longest span up to ``hp_span`` years with a register year.
    """
    base = register[base_year]
    city = cohort_component.sum(axis=1)
    paths = {"cohort_component": cohort_component, "constant_share": constant_share(base, city)}
    span = next((s for s in range(hp_span, 0, -1) if base_year - s in register), None)
    if span is not None:
        paths["hamilton_perry"] = hamilton_perry_shares(
            register[base_year - span], base, span, city
        )
    return paths


def combine_paths(paths: dict[str, np.ndarray], weights: dict[str, np.ndarray]) -> np.ndarray:
    """Weighted average of the methods' shares of each city cell times the cohort-component city.

    Methods without a path (e.g. Hamilton-Perry without an earlier register) give their weight
    to the cohort-component projection.
    """
    groups = group_of_age(paths["cohort_component"].shape[-1])
    city = paths["cohort_component"].sum(axis=1, keepdims=True)
    share = np.zeros_like(paths["cohort_component"])
    for name, w in weights.items():
        target = paths.get(name, paths["cohort_component"])
        share = share + cell_shares(target) * np.asarray(w)[groups]
    return share * city


def method_adjustment(cohort_component: np.ndarray, combined: np.ndarray) -> np.ndarray:
    """Yearly adjustment (H, D, 2, A) that turns the cohort-component flows into ``combined``.

    With A(k) = combined(k) - cohort_component(k) (A(0) = 0), the adjustment of year k+1 is
    A(k+1) minus A(k) aged on by a year, so the cohort-indexed accounting identity holds.
    """
    diff = combined - cohort_component
    return diff[1:] - age_cohorts(diff[:-1])


def choose_weights(
    city: CityData,
    forecasts: dict[int, dict[str, np.ndarray]],
    register: dict[int, np.ndarray],
    step: float = 0.25,
    min_gain: float = MIN_GAIN,
) -> CombinationWeights:
    """Weights per age group minimising the mean APE of district x group populations.

    Args:
        city: the city (for ``exclude_years``).
        forecasts: origin -> method paths from that origin (``method_paths``).
        register: year -> register population (D, 2, A) up to the base year.
        step: grid step of the weights on the simplex.
        min_gain: relative error reduction below which a group keeps the cohort component.

    Returns:
        The chosen weights with the backtest errors; default weights when no origin has a
        register year to compare with.
    """
    rows = []
    for origin, paths in forecasts.items():
        for h in range(1, next(iter(paths.values())).shape[0]):
            target = origin + h
            if target not in register or target in city.exclude_years:
                continue
            obs = register[target]
            for name, arr in paths.items():
                for g, (lo, hi) in enumerate(COMBINATION_GROUPS.values()):
                    p = arr[h][..., lo : hi + 1].sum(axis=(-1, -2))
                    o = obs[..., lo : hi + 1].sum(axis=(-1, -2))
                    rows.append(
                        pd.DataFrame(
                            {
                                "method": name,
                                "origin": origin,
                                "horizon": h,
                                "group": g,
                                "district": np.arange(len(o)),
                                "projected": p,
                                "observed": o,
                            }
                        )
                    )
    if not rows:
        return CombinationWeights.default()
    errors = pd.concat(rows, ignore_index=True)
    errors = errors[errors["observed"] > 0]
    errors["ape"] = 100 * (errors["projected"] - errors["observed"]).abs() / errors["observed"]
    wide = errors.pivot_table(
        index=["origin", "horizon", "group", "district"], columns="method", values="projected"
    ).dropna()
    observed = errors.groupby(["origin", "horizon", "group", "district"])["observed"].first()
    observed = observed.reindex(wide.index)
    names = [m for m in METHODS if m in wide.columns]
    grid = [
        w
        for w in itertools.product(np.arange(0, 1 + 1e-9, step), repeat=len(names))
        if abs(sum(w) - 1) < 1e-9
    ]
    n_g = len(COMBINATION_GROUPS)
    best = {m: np.zeros(n_g) for m in METHODS}
    group_ix = wide.index.get_level_values("group").to_numpy()
    values = wide[names].to_numpy()
    obs = observed.to_numpy()
    for g in range(n_g):
        sel = group_ix == g
        if not sel.any():
            best["cohort_component"][g] = 1.0
            continue
        scores = np.array(
            [np.mean(np.abs(values[sel] @ np.array(w) - obs[sel]) / obs[sel]) for w in grid]
        )
        chosen = grid[int(np.argmin(scores))]
        # Leave the cohort component only for a clear gain: a grid point that wins by a hair in
        # the past is as likely noise (an in-sample choice over many grid points).
        alone = tuple(float(n == "cohort_component") for n in names)
        if scores.min() > (1.0 - min_gain) * scores[grid.index(alone)]:
            chosen = alone
        for m, w in zip(names, chosen, strict=True):
            best[m][g] = w
    origins = sorted(forecasts)
    return CombinationWeights(
        best, f"backtest over origins {origins[0]}..{origins[-1]} ({len(origins)})", errors
    )


@dataclass(frozen=True)
class CombinationSettings:
    """How the district methods are combined.

    Attributes:
        enabled: combine at all (False publishes the cohort-component districts).
        hp_span: longest span of the Hamilton-Perry cohort-change ratios, years.
        min_origins: fewest backtest origins for weights chosen on the city's own history;
            with fewer the default weights are used.
        max_origins: most recent origins used (bounds the cost for long histories).
        max_horizon: longest horizon evaluated, years.
        step: grid step of the weights.
    """

    enabled: bool = True
    hp_span: int = 5
    min_origins: int = 3
    max_origins: int = 10
    max_horizon: int = 10
    step: float = 0.25


def fit_combination(
    city: CityData,
    base_year: int,
    project: Callable[[CityData, int, int], np.ndarray],
    settings: CombinationSettings,
) -> CombinationWeights:
    """Weights chosen on rolling-origin backtests over the city's history up to ``base_year``.

    Args:
        city: the city (its register up to ``base_year`` is used, nothing later).
        base_year: the projection's base year.
        project: ``(city up to origin, origin, horizon) -> cohort-component districts`` (H+1, D,
            2, A), with the run's estimation settings and the main variant.
        settings: origins, horizon and grid.
    """
    pop, years = population_array(city)
    register = {int(y): pop[i] for i, y in enumerate(years) if y <= base_year}
    origins = [
        int(y)
        for y in years
        if y < base_year
        and int(y) not in city.exclude_years
        and usable_transitions(city, years, int(y))
    ][-settings.max_origins :]
    if not origins:
        return CombinationWeights.default()
    forecasts = {}
    for origin in origins:
        horizon = min(settings.max_horizon, base_year - origin)
        earlier = {y: p for y, p in register.items() if y <= origin}
        cc = project(city.restrict_to(origin), origin, horizon)
        forecasts[origin] = method_paths(cc, earlier, origin, settings.hp_span)
    chosen = choose_weights(city, forecasts, register, settings.step)
    if len(origins) < settings.min_origins:  # too few to choose by: errors only, for the bands
        default = CombinationWeights.default()
        return CombinationWeights(
            default.weights, f"default (only {len(origins)} backtest origin(s))", chosen.errors
        )
    return chosen


def published_errors(weights: CombinationWeights) -> pd.DataFrame:
    """Backtest errors of the combination with ``weights`` (rows as ``choose_weights``'s)."""
    if weights.errors.empty:
        return weights.errors
    keys = ["origin", "horizon", "group", "district"]
    wide = weights.errors.pivot_table(index=keys, columns="method", values="projected")
    wide = wide.fillna(
        {"hamilton_perry": wide["cohort_component"]} if "hamilton_perry" in wide else {}
    )
    groups = wide.index.get_level_values("group").to_numpy()
    projected = np.zeros(len(wide))
    for name, w in weights.weights.items():
        column = wide[name] if name in wide else wide["cohort_component"]
        projected += column.to_numpy() * np.asarray(w)[groups]
    observed = weights.errors.groupby(keys)["observed"].first().reindex(wide.index)
    return pd.DataFrame(
        {"projected": projected, "observed": observed.to_numpy()}, index=wide.index
    ).reset_index()


def reallocation_ratio(cohort_component: np.ndarray, combined: np.ndarray) -> np.ndarray:
    """Per projected year, the factor on each district cell that moves its share of the city to
    the combination's, (H, D, 2, A); used on the draws, which are then renormalised to their city.
    """
    cc = cell_shares(cohort_component[1:])
    target = cell_shares(combined[1:])
    return np.divide(target, cc, out=np.ones_like(cc), where=cc > 0)


def reallocate(population: np.ndarray, ratio: np.ndarray) -> np.ndarray:
    """Districts (..., D, 2, A) times ``ratio``, rescaled so each city cell keeps its total."""
    moved = population * ratio
    city = population.sum(axis=-3, keepdims=True)
    now = moved.sum(axis=-3, keepdims=True)
    return moved * np.divide(city, now, out=np.ones_like(now), where=now > 0)
