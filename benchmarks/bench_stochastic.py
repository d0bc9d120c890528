"""Benchmark: stochastic projection at Berlin scale, with moves between districts and new housing.

Issue 3 targets on the 2-core machine: 550 districts x 2 sexes x 101 ages x 30 years x 1,000
draws in under 60 s, under 2 GiB peak memory, and within 3x of a bare-numpy floor that does only
the essential arithmetic of a step (shift ages, multiply by survival, add births and migration)
for the same number of cells. Prints the figures; it is not a test. Run:

    .venv/bin/python benchmarks/bench_stochastic.py [--districts 550] [--draws 1000] [--horizon 30]

The synthetic city spreads the Konstanz base rates over N districts (see bench_projection.py),
adds moves between districts (pool model, 8 % of residents a year, more at 18-34) and 40,000
planned dwellings in 10 % of the districts. Draws use calibrated-size processes with an age
pattern, and are summarised by age group with quantiles exactly as a run does.
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import time

import numpy as np
from bench_projection import synthetic_rates

from forecast.drawstore import MemoryBudget
from forecast.population.draws import simulate_population
from forecast.population.engine import make_plan
from forecast.population.housing import HousingSettings
from forecast.population.kernel import age_cohorts
from forecast.population.moves import InternalMoves
from forecast.population.projection import PopulationAssumptions
from forecast.population.stochastic import StochasticSettings


def berlin_rates(n_districts: int, horizon: int, seed: int = 2):
    rates = synthetic_rates(n_districts, seed)
    rng = np.random.default_rng(seed)
    ages = np.arange(101)
    rate = np.where((ages >= 18) & (ages <= 34), 0.15, 0.06)
    out_rate = np.broadcast_to(rate, rates.population.shape) * rng.uniform(
        0.8, 1.2, (n_districts, 1, 1)
    )
    at_risk = age_cohorts(rates.population)
    at_risk[..., 0] = rates.population[..., 0]  # births go where the infants are
    inflow = out_rate * at_risk
    destination = inflow / inflow.sum(axis=0, keepdims=True)  # pool shares (D, 2, A)
    internal = InternalMoves(out_rate=out_rate, destination=destination, model="pool")
    building = rng.choice(n_districts, n_districts // 10, replace=False)
    completions = np.zeros((horizon, n_districts))
    completions[:, building] = 40_000 / len(building) / horizon
    return dataclasses.replace(
        rates,
        internal=internal,
        housing=HousingSettings(),
        housing_years=rates.base_year + 1 + np.arange(horizon),
        housing_completions=completions,
    )


def floor_time(population: np.ndarray, draws: int, chunk: int, horizon: int) -> float:
    """Bare numpy: shift ages, multiply by survival, add births and migration, per block."""
    rng = np.random.default_rng(0)
    survival = rng.uniform(0.95, 1.0, population.shape[-2:])
    migration = rng.uniform(0, 5, population.shape)
    t0 = time.perf_counter()
    for a in range(0, draws, chunk):
        n = min(chunk, draws - a)
        pop = np.broadcast_to(population, (n,) + population.shape).copy()
        nxt = np.empty_like(pop)
        for _ in range(horizon):
            nxt[..., 1:] = pop[..., :-1]
            nxt[..., -1] += pop[..., -1]
            nxt *= survival
            nxt += migration
            nxt[..., 0] = pop[..., 0, 15:50].sum(axis=-1)[..., None] * 0.05
            pop, nxt = nxt, pop
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--districts", type=int, default=550)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--horizon", type=int, default=30)
    parser.add_argument("--chunk", type=int, default=25)
    parser.add_argument("--memory-budget-mb", type=int, default=512)
    args = parser.parse_args()
    rates = berlin_rates(args.districts, args.horizon)
    plan = make_plan(rates, PopulationAssumptions(), args.horizon)
    settings = StochasticSettings(
        age_groups=((0, 17), (18, 34), (35, 64), (65, 100)), age_group_sigma=(0.05, 0.1, 0.05, 0.05)
    )
    # Compile the fused step once (numba caches it on disk; a fresh clone compiles on first use).
    simulate_population(plan, rates.districts, settings, 2, np.random.SeedSequence(0), chunk=2)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    sim = simulate_population(
        plan,
        rates.districts,
        settings,
        args.draws,
        np.random.SeedSequence(1),
        chunk=args.chunk,
        budget=MemoryBudget.mib(args.memory_budget_mb),
        keep_samples=False,
    )
    wall = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    floor = floor_time(rates.population, args.draws, args.chunk, args.horizon)
    cells = args.districts * 2 * 101 * args.horizon * args.draws
    print(
        f"stochastic projection: {args.districts} districts x 2 x 101 ages x {args.horizon} years "
        f"x {args.draws} draws = {cells / 1e9:.2f} G cell-years; moves (pool) and housing on"
    )
    print(f"wall time: {wall:.1f} s (target < 60 s); {wall / cells * 1e9:.2f} ns per cell-year")
    print(
        f"peak memory: {rss:.0f} MiB peak RSS of the process (target < 2048 MiB; {rss_before:.0f} "
        f"MiB before the draws); reduced draws {'spilled to a scratch file' if sim.spilled else 'kept in memory'}"
    )
    print(f"bare-numpy floor: {floor:.1f} s; ratio {wall / floor:.2f} (target <= 3)")
    city = sim.total_quantiles[-1, :, -1]
    print(
        f"city {int(sim.years[-1])}: P5 {city[0]:,.0f}  P50 {city[3]:,.0f}  P95 {city[-1]:,.0f} "
        f"(base {rates.population.sum():,.0f})"
    )


if __name__ == "__main__":
    main()
