"""The annual projection loop shared by the deterministic variant path and the stochastic draws.

``ProjectionPlan`` holds what is fixed across draws: the variant paths of mortality and fertility,
migration, moves between districts, the first occupants of planned housing and the control totals.
``run_steps`` moves a block of n draws (or one path without a draw axis) forward year by year.
Random deviations (``Shocks``) multiply the plan's rates; with all shocks equal to one, every draw
is the variant path, exactly.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.contract import MAX_AGE
from forecast.lifetable import LifeTable
from forecast.population.assumption_paths import fertility_path, mortality_path
from forecast.population.estimate import FERTILE, BaseRates
from forecast.population.fastpath import advance
from forecast.population.housing import housing_arrivals_from_completions
from forecast.population.kernel import StepComponents, project_step
from forecast.population.moves import InternalMoves
from forecast.reference import mortality_improvement_pattern


@dataclass(frozen=True)
class ControlTotals:
    """External total population per year and age group (Eckwerte), e.g. an official projection.

    Attributes:
        years: calendar years with a control total (Stichtag 31.12.).
        groups: inclusive age ranges (first, last); ``(0, 100)`` = all ages.
        totals: persons, shape (len(years), len(groups)); NaN = no control for that cell.
    """

    years: np.ndarray
    groups: tuple[tuple[int, int], ...]
    totals: np.ndarray

    @classmethod
    def from_table(cls, table: pd.DataFrame) -> ControlTotals:
        """From a validated ``control_totals`` table (empty age bounds: 0 and 100+)."""
        lo = table["age_from"].fillna(0).astype(int)
        hi = table["age_to"].fillna(MAX_AGE).astype(int)
        groups = tuple(sorted(set(zip(lo, hi, strict=True))))
        years = np.sort(table["year"].unique()).astype(int)
        totals = np.full((len(years), len(groups)), np.nan)
        y_ix = {int(y): i for i, y in enumerate(years)}
        g_ix = {g: i for i, g in enumerate(groups)}
        for y, a, b, c in zip(table["year"], lo, hi, table["count"], strict=True):
            totals[y_ix[int(y)], g_ix[(int(a), int(b))]] = float(c)
        return cls(years=years, groups=groups, totals=totals)

    def apply(self, year: int, population: np.ndarray) -> np.ndarray:
        """Scale districts so that the city meets the totals of ``year``, keeping district shares.

        Args:
            year: the Stichtag.
            population: (..., D, 2, A), persons.

        Returns:
            The adjustment to add (zero where no control applies), same shape.
        """
        hits = np.flatnonzero(self.years == year)
        adjustment = np.zeros_like(population)
        if hits.size == 0:
            return adjustment
        row = self.totals[hits[0]]
        for (lo, hi), target in zip(self.groups, row, strict=True):
            if np.isnan(target):
                continue
            cells = population[..., lo : hi + 1]
            current = cells.sum(axis=(-1, -2, -3), keepdims=True)
            factor = np.divide(target, current, out=np.ones_like(current), where=current > 0)
            adjustment[..., lo : hi + 1] = cells * (factor - 1.0)
        return adjustment


@dataclass(frozen=True)
class Shocks:
    """Multiplicative deviations from the plan for a block of n draws over H years.

    Attributes:
        fertility: factor on every district's fertility rates, shape (n, H, D).
        mortality: factor on the death rates of both sexes, shape (n, H).
        immigration: factor on in-migrants across the city boundary, shape (n, H, D).
        emigration: factor on out-migration rates across the city boundary, shape (n, H, D).
        internal: factor on the rates of moves between districts, shape (n, H, D).
        age_migration: age-pattern deviation of migration, shape (n, H, A): in-migrants of each
            age times the factor (None = no deviation).
        age_migration_out: the same deviation's factor on out-migration rates, (n, H, A);
            None = the inverse of ``age_migration`` (a factor of its own lets each direction be
            centred on its own, see ``stochastic.draw_shocks``).
    """

    fertility: np.ndarray
    mortality: np.ndarray
    immigration: np.ndarray
    emigration: np.ndarray
    internal: np.ndarray
    age_migration: np.ndarray | None = None
    age_migration_out: np.ndarray | None = None

    def age_out(self) -> np.ndarray | None:
        """Factor of the age pattern on out-migration rates, (n, H, A), or None."""
        if self.age_migration is None or self.age_migration_out is not None:
            return self.age_migration_out
        return 1.0 / self.age_migration


@dataclass(frozen=True)
class ProjectionPlan:
    """Everything the annual loop needs, fixed across draws.

    Attributes:
        base_year: Stichtag of the starting population.
        population: starting population (D, 2, A), persons.
        tables: life tables along the e0 path, mx of shape (H, 2, A).
        asfr: fertility rates along the TFR path, (H, D, 35).
        male_share_at_birth: share of boys among births.
        out_rate: out-migration across the boundary per start-of-year person in each projected
            year, (H, D, 2, A).
        in_count: in-migrants across the boundary per projected year, (H, D, 2, A), persons.
        internal: moves between districts, or None.
        housing_outside: first occupants of new housing from outside the city, (H, D, 2, A).
        housing_inside: first occupants of new housing from other districts, (H, D, 2, A).
        control: control totals, or None.
        e0: life expectancy at birth along the path, (H, 2).
        notes: what the plan could not do as asked (e.g. a migration target out of reach).
    """

    base_year: int
    population: np.ndarray
    tables: LifeTable
    asfr: np.ndarray
    male_share_at_birth: float
    out_rate: np.ndarray
    in_count: np.ndarray
    internal: InternalMoves | None
    housing_outside: np.ndarray | None
    housing_inside: np.ndarray | None
    control: ControlTotals | None
    e0: np.ndarray
    notes: tuple[str, ...] = ()

    @property
    def horizon(self) -> int:
        return int(self.asfr.shape[0])


def make_plan(
    rates: BaseRates,
    assumptions,  # PopulationAssumptions; untyped here to keep the import one-way
    horizon: int,
    control: ControlTotals | None = None,
) -> ProjectionPlan:
    """The variant path of every rate over ``horizon`` years."""
    if horizon < 1:
        raise ValueError(f"horizon must be >= 1, got {horizon}")
    steps = np.arange(1, horizon + 1)
    years = rates.base_year + steps
    absolute = getattr(assumptions, "absolute", None)  # AssumptionPaths or None
    # Life expectancy path by sex (relative knob, replaced by an absolute path where given);
    # mortality moves along the Lee-Carter age pattern to meet it each year.
    e0_relative = rates.life_table.e0[None, :] + np.outer(
        steps, np.asarray(assumptions.e0_gain_per_year)
    )
    tables, e0_path = mortality_path(
        rates.life_table,
        mortality_improvement_pattern().values,
        e0_relative,
        years,
        rates.base_year,
        absolute,
    )

    # TFR path: every district's schedule shifted by the same absolute change, phased in; an
    # absolute TFR or mean-age path replaces it.
    tfr0 = rates.asfr.sum(axis=1)  # (D,)
    phase = np.minimum(steps / max(assumptions.tfr_years_to_target, 1), 1.0)
    tfr_path = np.maximum(tfr0[None, :] + assumptions.tfr_change * phase[:, None], 0.0)  # (H, D)
    asfr_path = fertility_path(
        rates.asfr,
        tfr_path,
        float(rates.diagnostics.get("tfr_city", tfr0.mean())),
        rates.districts,
        years,
        rates.base_year,
        absolute,
    )

    out_path, in_path = rates.migration_path(horizon)
    # Net migration shifted by a level per 1,000 base-year inhabitants: added to each year's
    # in-migrants, keeping their age-sex-district profile.
    shift = assumptions.net_migration_change_per_1000 / 1000.0 * rates.population.sum()
    in_total = in_path.sum(axis=(1, 2, 3))
    in_factor = np.divide(
        np.maximum(in_total + shift, 0.0), in_total, out=np.ones_like(in_total), where=in_total > 0
    )

    outside = inside = None
    if rates.housing is not None and rates.housing_years.size:
        outside, inside = housing_arrivals_from_completions(
            rates.housing_years, rates.housing_completions, years, rates.housing
        )
        if len(rates.districts) == 1:  # nobody to move from: all first occupants come from outside
            outside, inside = outside + inside, None
    plan = ProjectionPlan(
        base_year=rates.base_year,
        population=rates.population,
        tables=tables,
        asfr=asfr_path,
        male_share_at_birth=rates.male_share_at_birth,
        out_rate=out_path,
        in_count=in_path * in_factor[:, None, None, None],
        internal=rates.internal,
        housing_outside=outside,
        housing_inside=inside,
        control=control,
        e0=e0_path,
    )
    if absolute is not None and absolute.has_migration():
        # Absolute migration paths: per-year factors from one deterministic pre-run (imported here
        # because the pre-run itself uses ``run_steps``).
        from forecast.population.migration_targets import meet_rates_targets

        plan = meet_rates_targets(plan, rates, absolute)
    return plan


@dataclass(frozen=True)
class Step:
    """One projected year: the kernel's components plus the control-total adjustment.

    ``population`` = ``components.population + adjustment`` is the end-of-year population.
    ``grouped`` (population-only path without control totals): persons by the requested result
    age groups, districts plus the city, (n, D+1, 2, G).
    """

    year: int
    components: StepComponents | None
    adjustment: np.ndarray | float
    population: np.ndarray
    grouped: np.ndarray | None = None


def run_steps(
    plan: ProjectionPlan,
    shocks: Shocks | None = None,
    components: bool = True,
    result_group: np.ndarray | None = None,
) -> Iterator[Step]:
    """Project year by year; with ``shocks`` every array gets a leading draw axis of size n.

    Args:
        plan: the variant path.
        shocks: deviations for a block of draws, or None for the variant path itself.
        components: keep births, deaths and flows (``kernel.project_step``); False computes only
            the population (``fastpath.advance``, same arithmetic; needs ``shocks``).
        result_group: age group index of each age; the population-only path then also sums
            persons by these groups (``Step.grouped``).

    Yields:
        One ``Step`` per projected year, ``population`` of shape (D, 2, A) without shocks, else
        (n, D, 2, A); ``components`` is None when not kept.
    """
    if not components and shocks is None:
        raise ValueError("the population-only path needs shocks (a block of draws)")
    population = (
        plan.population
        if shocks is None
        else np.broadcast_to(plan.population, (shocks.fertility.shape[0],) + plan.population.shape)
    )
    for k in range(plan.horizon):
        if shocks is None:
            mx = plan.tables.mx[k]
            asfr = plan.asfr[k]
        else:
            mx = plan.tables.mx[k] * shocks.mortality[:, k, None, None]
            asfr = plan.asfr[k] * shocks.fertility[:, k, :, None]
        survival, _ = LifeTable(
            mx=mx, ax=np.broadcast_to(plan.tables.ax[k], mx.shape)
        ).survival_ratios()
        if survival.ndim == 3:  # (n, 2, A) -> (n, 1, 2, A): the same for every district
            survival = survival[:, None]
        # No cohort may end negative: s*C - (1+s)/2*o*C >= 0.
        cap = 2.0 * survival / (1.0 + survival)
        grouped = None
        if not components:
            end, _, grouped = _advance_block(
                plan, shocks, k, population, survival, asfr, cap, result_group
            )
            step = None
        else:
            out_rate, in_count, internal = plan.out_rate[k], plan.in_count[k], plan.internal
            if shocks is not None:
                f_out, f_in = _migration_factors(shocks, k)
                out_rate, in_count = out_rate * f_out, in_count * f_in
                if internal is not None:
                    internal = internal.scaled(shocks.internal[:, k, :, None, None])
            out_rate = np.minimum(out_rate, cap)
            if plan.housing_outside is not None:
                in_count = in_count + plan.housing_outside[k]
            step = project_step(
                population,
                survival,
                asfr,
                FERTILE,
                plan.male_share_at_birth,
                out_rate,
                in_count,
                internal=internal,
                housing_inside=None if plan.housing_inside is None else plan.housing_inside[k],
            )
            end = step.population
        year = plan.base_year + k + 1
        adjustment: np.ndarray | float = 0.0
        population = end
        if plan.control is not None:
            adjustment = plan.control.apply(year, population)
            population = population + adjustment
            grouped = None  # the sums no longer hold after the adjustment
        yield Step(
            year=year,
            components=step,
            adjustment=adjustment,
            population=population,
            grouped=grouped if result_group is not None else None,
        )


def _migration_factors(shocks: Shocks, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Factors on out rates and in counts of year k, (n, D, 1, 1) or (n, D, 1, A) by age."""
    f_out = shocks.emigration[:, k, :, None, None]
    f_in = shocks.immigration[:, k, :, None, None]
    if shocks.age_migration is not None:
        f_in = f_in * shocks.age_migration[:, k, None, None, :]
        f_out = f_out * shocks.age_out()[:, k, None, None, :]
    return f_out, f_in


def _advance_block(
    plan: ProjectionPlan,
    shocks: Shocks,
    k: int,
    population: np.ndarray,
    survival: np.ndarray,
    asfr: np.ndarray,
    cap: np.ndarray,
    result_group: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One year of a block of draws on the population-only path (``fastpath.advance``)."""
    n, n_d = shocks.fertility.shape[0], len(plan.population)
    n_a = plan.population.shape[-1]
    no_age = shocks.age_migration is None
    age_in = np.ones((n, n_a)) if no_age else shocks.age_migration[:, k]
    age_out = np.ones((n, n_a)) if no_age else shocks.age_out()[:, k]
    return advance(
        population,
        survival[:, 0],
        cap[:, 0],
        plan.out_rate[k],
        shocks.emigration[:, k],
        age_in,
        age_out,
        plan.in_count[k],
        shocks.immigration[:, k],
        np.zeros((n_d, 2, n_a)) if plan.housing_outside is None else plan.housing_outside[k],
        plan.internal,
        shocks.internal[:, k],
        None if plan.housing_inside is None else plan.housing_inside[k],
        asfr,
        FERTILE,
        plan.male_share_at_birth,
        result_group,
    )
