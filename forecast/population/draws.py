"""Stochastic projection: N draws in blocks, summarised by age group without holding them all.

Draws are computed in blocks of ``chunk`` draws; every block is reduced at once to persons by
district (plus the city) x sex x age group, and these reduced draws are kept in memory when they
fit in ``memory_budget`` bytes, otherwise spilled year by year to a scratch file. Quantiles are then
taken one year at a time, so memory stays bounded by one block plus one year of reduced draws.
Draw d uses ``seed.spawn(N)[d]`` whichever block computes it, so blocks (or parallel jobs that
each compute a range of draws) give the same draws as one serial run.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.contract import CITY_DISTRICT, MAX_AGE, SEXES
from forecast.population.combination import reallocate
from forecast.population.engine import ProjectionPlan, Shocks, run_steps
from forecast.population.fastpath import group_ages
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


def quantiles_along_first(x: np.ndarray, qs: tuple[float, ...] = QUANTILES) -> np.ndarray:
    """Quantiles over axis 0 with numpy's default (linear) rule, by one sort per cell.

    Sorting each cell's draws once and interpolating the order statistics is several times faster
    than ``np.quantile`` with many quantiles on a strided axis; the values are identical.
    """
    n = x.shape[0]
    flat = np.sort(x.reshape(n, -1).T, axis=1)  # (cells, n), contiguous per cell
    out = np.empty((len(qs), flat.shape[0]))
    for j, q in enumerate(qs):
        h = (n - 1) * q
        lo = int(np.floor(h))
        hi = min(lo + 1, n - 1)
        out[j] = flat[:, lo] + (h - lo) * (flat[:, hi] - flat[:, lo])
    return out.reshape((len(qs),) + x.shape[1:])


class _DrawStore:
    """Reduced draws (Y, N, cells) float32, in memory or in a scratch file written year-block-wise."""

    def __init__(self, years: int, draws: int, cells: int, budget: int, scratch: Path | None):
        self.shape = (years, draws, cells)
        size = years * draws * cells * 4
        self._tmp = None
        if size <= budget:
            self.array: np.ndarray | None = np.zeros(self.shape, dtype=np.float32)
            self.path = None
        else:
            self.array = None
            self._tmp = tempfile.TemporaryDirectory(dir=scratch, prefix="jhplan-draws-")
            self.path = Path(self._tmp.name) / "draws.f32"
            self._file = open(self.path, "w+b")  # noqa: SIM115 - closed in close()
            self._file.truncate(size)

    @property
    def spilled(self) -> bool:
        return self.array is None

    def write(self, year: int, first: int, block: np.ndarray) -> None:
        data = np.ascontiguousarray(block, dtype=np.float32).reshape(block.shape[0], -1)
        if self.array is not None:
            self.array[year, first : first + data.shape[0]] = data
            return
        self._file.seek((year * self.shape[1] + first) * self.shape[2] * 4)
        self._file.write(memoryview(data))

    def read_year(self, year: int) -> np.ndarray:
        if self.array is not None:
            return self.array[year]
        count = self.shape[1] * self.shape[2]
        self._file.flush()
        data = np.fromfile(self.path, dtype=np.float32, count=count, offset=year * count * 4)
        return data.reshape(self.shape[1], self.shape[2])

    def close(self) -> None:
        if self._tmp is not None:
            self._file.close()
            self._tmp.cleanup()


@dataclass(frozen=True)
class StochasticProjection:
    """Summary of N draws (immutable).

    Attributes:
        years: base year and projected years, (Y,).
        districts: district codes; the summaries carry ``_city`` as an extra last district.
        draws: N.
        quantiles: persons, (Y, Q, D+1, 2, G) for ``QUANTILES`` and ``RESULT_AGE_GROUPS``.
        total_quantiles: quantiles of each district's total population, (Y, Q, D+1); taken over
            the draws' totals (a sum of quantiles is not a quantile of the sum).
        mean: persons, (Y, D+1, 2, G).
        samples: reduced draws (N, Y, D+1, 2, G) float32 when kept, else None.
        young: draws of ages 0..young_ages-1, (N, Y, D, 2, young_ages), for the demand models.
        settings: the processes used.
        spilled: whether the reduced draws went through a scratch file.
    """

    years: np.ndarray
    districts: tuple[str, ...]
    draws: int
    quantiles: np.ndarray
    total_quantiles: np.ndarray
    mean: np.ndarray
    samples: np.ndarray | None
    young: np.ndarray | None
    settings: StochasticSettings
    spilled: bool

    def to_long(self, samples: bool = False) -> pd.DataFrame:
        """Long table: district, year, variable, unit, statistic, quantile, replicate, value.

        Variables ``Population|<sex>|<age group>`` and ``Population|Total``; quantile rows for
        ``QUANTILES``, mean rows, and with ``samples`` one row per draw (replicate = draw index).
        """
        codes = list(self.districts) + [CITY_DISTRICT]
        labels = [
            f"Population|{s}|{group_label(lo, hi)}" for s in SEXES for lo, hi in RESULT_AGE_GROUPS
        ]
        frames = []

        def cells(values: np.ndarray, totals: np.ndarray, **cols) -> pd.DataFrame:
            # values (Y, D+1, 2, G) -> rows; totals (Y, D+1)
            n_y, n_d = values.shape[:2]
            v = values.reshape(n_y, n_d, -1)
            a = pd.DataFrame(
                {
                    "year": np.repeat(self.years, n_d * len(labels)),
                    "district": np.tile(np.repeat(codes, len(labels)), n_y),
                    "variable": np.tile(labels, n_y * n_d),
                    "value": v.reshape(-1).astype(float),
                }
            )
            b = pd.DataFrame(
                {
                    "year": np.repeat(self.years, n_d),
                    "district": np.tile(codes, n_y),
                    "variable": "Population|Total",
                    "value": totals.reshape(-1).astype(float),
                }
            )
            out = pd.concat([a, b], ignore_index=True)
            for k, v_ in cols.items():
                out[k] = v_
            return out

        for j, q in enumerate(QUANTILES):
            # Quantiles of the total are taken over the draws' totals, not summed from groups.
            frames.append(
                cells(
                    self.quantiles[:, j],
                    self.total_quantiles[:, j],
                    statistic="quantile",
                    quantile=q,
                    replicate=-1,
                )
            )
        frames.append(
            cells(
                self.mean,
                self.mean.sum(axis=(-1, -2)),
                statistic="mean",
                quantile=np.nan,
                replicate=-1,
            )
        )
        if samples and self.samples is not None:
            for d in range(self.draws):
                s = self.samples[d].astype(float)
                frames.append(
                    cells(s, s.sum(axis=(-1, -2)), statistic="sample", quantile=np.nan, replicate=d)
                )
        out = pd.concat(frames, ignore_index=True)
        out["unit"] = PERSONS
        return out[
            ["district", "year", "variable", "unit", "statistic", "quantile", "replicate", "value"]
        ]


def simulate_population(
    plan: ProjectionPlan,
    districts: tuple[str, ...],
    settings: StochasticSettings,
    draws: int,
    seed: np.random.SeedSequence,
    chunk: int = 50,
    memory_budget: int = 512 * 2**20,
    young_ages: int = 0,
    keep_samples: bool = True,
    scratch: Path | None = None,
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
        memory_budget: bytes the reduced draws may take in memory before they are spilled.
        young_ages: keep single ages 0..young_ages-1 of every draw for the demand models.
        keep_samples: keep the reduced draws (else only quantiles and means are returned); not
            when they had to be spilled, which means they do not fit in memory.
        scratch: folder for the spill file (default: the system's temporary folder).
        draw_range: compute only draws ``[a, b)`` of the N (what one parallel job does).
        reallocation: factors (H, D, 2, A) that move each draw's districts to the combination of
            district methods of the variant path (``combination.reallocation_ratio``); every
            draw keeps its own city. None = the cohort-component districts.

    Returns:
        The summary of the computed draws.
    """
    if draws < 1:
        raise ValueError(f"draws must be >= 1, got {draws}")
    first, last = draw_range or (0, draws)
    if not 0 <= first < last <= draws:
        raise ValueError(f"draw_range {draw_range} outside 0..{draws}")
    seeds = seed.spawn(draws)[first:last]
    n = last - first
    n_d = len(plan.population)
    n_y = plan.horizon + 1
    starts = np.array([lo for lo, _ in RESULT_AGE_GROUPS])
    n_g = len(starts)
    cells = (n_d + 1) * 2 * n_g
    store = _DrawStore(n_y, n, cells, memory_budget, scratch)
    young = np.empty((n, n_y, n_d, 2, young_ages)) if young_ages else None

    group_of_age = np.searchsorted(starts, np.arange(plan.population.shape[-1]), side="right") - 1

    def reduce(pop: np.ndarray) -> np.ndarray:
        return group_ages(np.ascontiguousarray(pop), group_of_age, n_g)  # (n, D+1, 2, G)

    try:
        base = np.broadcast_to(plan.population, (1,) + plan.population.shape)
        base_reduced = reduce(base)
        for a in range(0, n, chunk):
            b = min(a + chunk, n)
            shocks: Shocks = draw_shocks(settings, seeds[a:b], plan.horizon, n_d)
            store.write(0, a, np.broadcast_to(base_reduced, (b - a,) + base_reduced.shape[1:]))
            if young is not None:
                young[a:b, 0] = plan.population[..., :young_ages]
            steps = run_steps(
                plan,
                shocks,
                components=False,
                result_group=group_of_age if reallocation is None else None,
            )
            for k, step in enumerate(steps, start=1):
                population = step.population
                if reallocation is not None:
                    population = reallocate(population, reallocation[k - 1])
                grouped = step.grouped if step.grouped is not None else reduce(population)
                store.write(k, a, grouped)
                if young is not None:
                    young[a:b, k] = population[..., :young_ages]
        shape = (n_d + 1, 2, n_g)
        quantiles = np.empty((n_y, len(QUANTILES)) + shape)
        totals = np.empty((n_y, len(QUANTILES), n_d + 1))
        mean = np.empty((n_y,) + shape)
        keep = keep_samples and not store.spilled
        samples = np.empty((n, n_y) + shape, dtype=np.float32) if keep else None
        for k in range(n_y):
            year = store.read_year(k).astype(np.float64).reshape((n,) + shape)
            quantiles[k] = quantiles_along_first(year)
            totals[k] = quantiles_along_first(year.sum(axis=(-1, -2)))
            mean[k] = year.mean(axis=0)
            if samples is not None:
                samples[:, k] = year
        spilled = store.spilled
    finally:
        store.close()
    result = StochasticProjection(
        years=np.arange(plan.base_year, plan.base_year + n_y),
        districts=tuple(districts),
        draws=n,
        quantiles=quantiles,
        total_quantiles=totals,
        mean=mean,
        samples=samples,
        young=young,
        settings=settings,
        spilled=spilled,
    )
    return result
