"""Stochastic projection: N draws in blocks, summarised by age group without holding them all.

Draws are computed in blocks of ``chunk`` draws; every block is reduced at once to persons by
district (plus the city) x sex x age group. The reduced draws, and the single ages 0..26 the demand
models need, go into ``DrawStore``s that the run's ``MemoryBudget`` keeps in memory or spills to a
scratch file (``forecast.drawstore``). Quantiles are then taken one year at a time, so memory stays
bounded by one block plus one year of draws.
Draw d uses ``seed.spawn(N)[d]`` whichever block computes it, so blocks (or parallel jobs that
each compute a range of draws) give the same draws as one serial run.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.contract import CITY_DISTRICT, MAX_AGE, SEXES
from forecast.drawstore import DrawStore, MemoryBudget, quantiles_first_axis
from forecast.population.engine import ProjectionPlan, Shocks, run_steps
from forecast.population.fastpath import group_ages, reallocate_draws
from forecast.population.stochastic import StochasticSettings, draw_shocks
from forecast.variables import PERSONS, QUANTILES

RESULT_AGE_GROUPS = (
    (0, 2),
    (3, 5),
    (6, 9),
    (10, 14),
    (15, 17),
    (18, 20),
    (21, 26),
    (27, 44),
    (45, 64),
    (65, 79),
    (80, MAX_AGE),
)
"""Age groups of the stochastic results: Kita (U3, Ü3), school, youth-welfare ages, adults."""


def group_label(lo: int, hi: int) -> str:
    return f"{lo}+" if hi >= MAX_AGE else f"{lo}-{hi}"


@dataclass(frozen=True)
class StochasticProjection:
    """Summary of N draws; the draws themselves stay in their stores until ``close``.

    Attributes:
        years: base year and projected years, (Y,).
        districts: district codes; the summaries carry ``_city`` as an extra last district.
        draws: N.
        quantiles: persons, (Y, Q, D+1, 2, G) for ``QUANTILES`` and ``RESULT_AGE_GROUPS``.
        total_quantiles: quantiles of each district's total population, (Y, Q, D+1); taken over
            the draws' totals (a sum of quantiles is not a quantile of the sum).
        mean: persons, (Y, D+1, 2, G).
        reduced: the reduced draws (Y, N, (D+1) x 2 x G) float32 when kept, else None.
        young: draws of ages 0..young_ages-1, (Y, N, D x 2 x young_ages) float32, for the demand
            models (``young_draws``); None when not asked for.
        settings: the processes used.
        spilled: whether any of the draws went through a scratch file.
    """

    years: np.ndarray
    districts: tuple[str, ...]
    draws: int
    quantiles: np.ndarray
    total_quantiles: np.ndarray
    mean: np.ndarray
    reduced: DrawStore | None
    young: DrawStore | None
    settings: StochasticSettings
    spilled: bool

    @property
    def cell_shape(self) -> tuple[int, int, int]:
        return (len(self.districts) + 1, 2, len(RESULT_AGE_GROUPS))

    @property
    def samples(self) -> np.ndarray | None:
        """All reduced draws at once, (N, Y, D+1, 2, G) float32 (tests and small runs)."""
        if self.reduced is None:
            return None
        return self.reduced.read_draws(0, self.draws).reshape(
            (self.draws, len(self.years), *self.cell_shape)
        )

    def young_draws(self, first: int, last: int) -> np.ndarray:
        """Single ages of draws ``first .. last - 1``, (n, Y, D, 2, A) float64."""
        if self.young is None:
            raise ValueError("the single ages of the draws were not kept (young_ages=0)")
        block = self.young.read_draws(first, last).astype(np.float64)
        return block.reshape((last - first, len(self.years), len(self.districts), 2, -1))

    def close(self) -> None:
        """Remove the stores' scratch files (the summary stays usable)."""
        for store in (self.reduced, self.young):
            if store is not None:
                store.close()

    def _labels(self) -> list[str]:
        return [
            f"Population|{s}|{group_label(lo, hi)}" for s in SEXES for lo, hi in RESULT_AGE_GROUPS
        ]

    def _cells(self, values: np.ndarray, totals: np.ndarray, years, **cols) -> pd.DataFrame:
        """Rows of ``values`` (Y', D+1, 2, G) and ``totals`` (Y', D+1) for ``years`` (Y',)."""
        codes = list(self.districts) + [CITY_DISTRICT]
        labels = self._labels()
        n_y, n_d = values.shape[:2]
        a = pd.DataFrame(
            {
                "year": np.repeat(years, n_d * len(labels)),
                "district": np.tile(np.repeat(codes, len(labels)), n_y),
                "variable": np.tile(labels, n_y * n_d),
                "value": values.reshape(-1).astype(float),
            }
        )
        b = pd.DataFrame(
            {
                "year": np.repeat(years, n_d),
                "district": np.tile(codes, n_y),
                "variable": "Population|Total",
                "value": totals.reshape(-1).astype(float),
            }
        )
        out = pd.concat([a, b], ignore_index=True)
        for k, v_ in cols.items():
            out[k] = v_
        out["unit"] = PERSONS
        return out[
            ["district", "year", "variable", "unit", "statistic", "quantile", "replicate", "value"]
        ]

    def to_long(self) -> pd.DataFrame:
        """Long table of the summaries: district, year, variable, unit, statistic, quantile,
        replicate, value.

        Variables ``Population|<sex>|<age group>`` and ``Population|Total``; quantile rows for
        ``QUANTILES`` and mean rows (the draws themselves: ``sample_frames``).
        """
        frames = [
            # Quantiles of the total are taken over the draws' totals, not summed from groups.
            self._cells(
                self.quantiles[:, j],
                self.total_quantiles[:, j],
                self.years,
                statistic="quantile",
                quantile=q,
                replicate=-1,
            )
            for j, q in enumerate(QUANTILES)
        ]
        frames.append(
            self._cells(
                self.mean,
                self.mean.sum(axis=(-1, -2)),
                self.years,
                statistic="mean",
                quantile=np.nan,
                replicate=-1,
            )
        )
        return pd.concat(frames, ignore_index=True)

    def sample_columns(self, rows_per_block: int = 2_000_000) -> Iterator[dict]:
        """The draws as result columns (``statistic = sample``, replicate = draw index), one year
        and a block of draws at a time so that memory stays bounded; nothing when the draws were
        not kept.

        Yields:
            Columns ``year`` (int), ``replicate`` (int array), ``district`` and ``variable`` as
            (int codes, labels) pairs and ``value`` (float array), all of the same length: per
            draw the district x sex x age-group cells, then each district's total.
        """
        if self.reduced is None:
            return
        codes = [*self.districts, CITY_DISTRICT]
        labels = [*self._labels(), "Population|Total"]
        n_d, n_l = len(codes), len(labels) - 1
        per_draw = n_d * (n_l + 1)
        district = np.concatenate([np.repeat(np.arange(n_d), n_l), np.arange(n_d)])
        variable = np.concatenate([np.tile(np.arange(n_l), n_d), np.full(n_d, n_l)])
        step = max(1, rows_per_block // per_draw)
        for k, year in enumerate(self.years):
            values = self.reduced.read_year(k).reshape((self.draws, *self.cell_shape))
            for first in range(0, self.draws, step):
                block = values[first : first + step].astype(float)
                n = block.shape[0]
                cells = np.concatenate(
                    [block.reshape(n, -1), block.sum(axis=(-1, -2))], axis=1
                )  # (n, per_draw)
                yield {
                    "year": int(year),
                    "replicate": np.repeat(np.arange(first, first + n), per_draw),
                    "district": (np.tile(district, n), codes),
                    "variable": (np.tile(variable, n), labels),
                    "value": cells.reshape(-1),
                }

    def sample_frames(self, rows_per_frame: int = 2_000_000) -> Iterator[pd.DataFrame]:
        """``sample_columns`` as long tables (the columns of ``to_long``)."""
        for c in self.sample_columns(rows_per_frame):
            yield pd.DataFrame(
                {
                    "district": np.asarray(c["district"][1])[c["district"][0]],
                    "year": c["year"],
                    "variable": np.asarray(c["variable"][1])[c["variable"][0]],
                    "unit": PERSONS,
                    "statistic": "sample",
                    "quantile": np.nan,
                    "replicate": c["replicate"],
                    "value": c["value"],
                }
            )


def summarise_draws(store: DrawStore, n_districts: int) -> tuple[np.ndarray, ...]:
    """Quantiles, quantiles of the totals and means of the reduced draws in ``store``, one year
    at a time (what ``StochasticProjection`` holds; also for the draws of joined part runs).

    Args:
        store: reduced draws (Y, N, (D+1) x 2 x G).
        n_districts: D.

    Returns:
        ``quantiles`` (Y, Q, D+1, 2, G), ``total_quantiles`` (Y, Q, D+1), ``mean`` (Y, D+1, 2, G).
    """
    n_y, n = store.shape[:2]
    shape = (n_districts + 1, 2, len(RESULT_AGE_GROUPS))
    quantiles = np.empty((n_y, len(QUANTILES)) + shape)
    totals = np.empty((n_y, len(QUANTILES), n_districts + 1))
    mean = np.empty((n_y,) + shape)
    for k in range(n_y):
        year = store.read_year(k).astype(np.float64).reshape((n,) + shape)
        quantiles[k] = quantiles_first_axis(year, QUANTILES)
        totals[k] = quantiles_first_axis(year.sum(axis=(-1, -2)), QUANTILES)
        mean[k] = year.mean(axis=0)
    return quantiles, totals, mean


def simulate_population(
    plan: ProjectionPlan,
    districts: tuple[str, ...],
    settings: StochasticSettings,
    draws: int,
    seed: np.random.SeedSequence,
    chunk: int = 50,
    budget: MemoryBudget | None = None,
    young_ages: int = 0,
    keep_samples: bool = True,
    draw_range: tuple[int, int] | None = None,
    reallocation: np.ndarray | None = None,
) -> StochasticProjection:
    """Project ``draws`` trajectories and summarise them.

    Args:
        plan: the variant path (``engine.make_plan``).
        districts: the district codes of the plan's district axis.
        settings: the stochastic processes.
        draws: N, the total number of draws of the run (fixes every draw's seed).
        seed: the population stage's seed sequence; draw d uses ``seed.spawn(N)[d]``.
        chunk: draws per block.
        budget: the run's memory budget for the stores (default 512 MiB, spill to the system's
            temporary folder).
        young_ages: keep single ages 0..young_ages-1 of every draw for the demand models.
        keep_samples: keep the reduced draws (``reduced``, ``sample_frames``); else only
            quantiles and means are returned.
        draw_range: compute only draws ``[a, b)`` of the N (what one parallel job does).
        reallocation: factors (H, D, 2, A) that move each draw's districts to the combination of
            district methods of the variant path (``combination.reallocation_ratio``); every
            draw keeps its own city. None = the cohort-component districts.

    Returns:
        The summary of the computed draws; call its ``close`` when the stores are no longer
        needed.
    """
    if draws < 1:
        raise ValueError(f"draws must be >= 1, got {draws}")
    first, last = draw_range or (0, draws)
    if not 0 <= first < last <= draws:
        raise ValueError(f"draw_range {draw_range} outside 0..{draws}")
    budget = budget or MemoryBudget.mib(512)
    seeds = seed.spawn(draws)[first:last]
    n = last - first
    n_d = len(plan.population)
    n_y = plan.horizon + 1
    starts = np.array([lo for lo, _ in RESULT_AGE_GROUPS])
    n_g = len(starts)
    cells = (n_d + 1) * 2 * n_g
    group_of_age = np.searchsorted(starts, np.arange(plan.population.shape[-1]), side="right") - 1

    def reduce(pop: np.ndarray) -> np.ndarray:
        return group_ages(np.ascontiguousarray(pop), group_of_age, n_g)  # (n, D+1, 2, G)

    store = DrawStore("population_draws", n_y, n, cells, budget, np.float32)
    young = None
    try:
        if young_ages:
            young = DrawStore("population_young", n_y, n, n_d * 2 * young_ages, budget, np.float32)
        base = np.broadcast_to(plan.population, (1,) + plan.population.shape)
        base_reduced = reduce(base)
        for a in range(0, n, chunk):
            b = min(a + chunk, n)
            shocks: Shocks = draw_shocks(settings, seeds[a:b], plan.horizon, n_d)
            store.write(0, a, np.broadcast_to(base_reduced, (b - a,) + base_reduced.shape[1:]))
            if young is not None:
                start = plan.population[..., :young_ages]
                young.write(0, a, np.broadcast_to(start, (b - a, *start.shape)))
            steps = run_steps(
                plan,
                shocks,
                components=False,
                result_group=group_of_age if reallocation is None else None,
            )
            for k, step in enumerate(steps, start=1):
                population = step.population
                if reallocation is not None:
                    population = reallocate_draws(
                        np.ascontiguousarray(population), reallocation[k - 1]
                    )
                grouped = step.grouped if step.grouped is not None else reduce(population)
                store.write(k, a, grouped)
                if young is not None:
                    young.write(k, a, population[..., :young_ages])
        quantiles, totals, mean = summarise_draws(store, n_d)
    except BaseException:
        store.close()
        if young is not None:
            young.close()
        raise
    spilled = store.spilled or (young is not None and young.spilled)
    if not keep_samples:
        store.close()
    return StochasticProjection(
        years=np.arange(plan.base_year, plan.base_year + n_y),
        districts=tuple(districts),
        draws=n,
        quantiles=quantiles,
        total_quantiles=totals,
        mean=mean,
        reduced=store if keep_samples else None,
        young=young,
        settings=settings,
        spilled=spilled,
    )
