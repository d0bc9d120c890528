"""Benchmark: deterministic projection of a synthetic city of 500 districts, 30 years ahead.

Target (issue 2): under 2 s wall time and under 500 MB peak memory on the 2-core machine.
Prints the figures; it is not a test. Run:

    .venv/bin/python benchmarks/bench_projection.py [--districts 500] [--horizon 30] [--repeat 3]

The synthetic city takes the Konstanz base rates (real schedules) and spreads them over N
districts of random size (lognormal, median 2,000 inhabitants) with random fertility and
migration levels per district, so every array has the full (districts, sex, age) shape.
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import time
import tracemalloc
from pathlib import Path

import numpy as np

from forecast.citydata import load_city
from forecast.population.estimate import EstimationSettings, estimate_base_rates
from forecast.population.projection import PopulationAssumptions, project_population

ROOT = Path(__file__).resolve().parent.parent


def synthetic_rates(n_districts: int, seed: int = 1):
    base = estimate_base_rates(load_city(ROOT / "data" / "konstanz"), EstimationSettings())
    rng = np.random.default_rng(seed)
    city_pop = base.population.sum(axis=0)
    structure = city_pop / city_pop.sum()
    sizes = rng.lognormal(np.log(2000), 0.6, n_districts)
    pop = np.round(
        sizes[:, None, None]
        * structure[None]
        * rng.uniform(0.8, 1.2, (n_districts,) + structure.shape)
    )
    share = pop / pop.sum()
    return dataclasses.replace(
        base,
        districts=tuple(f"d{i:03d}" for i in range(n_districts)),
        population=pop,
        asfr=base.asfr[:1] * rng.uniform(0.8, 1.2, (n_districts, 1)),
        out_rate=base.out_rate[:1] * rng.uniform(0.8, 1.2, (n_districts, 1, 1)),
        in_count=base.in_count.sum(axis=0)[None]
        * share.sum(axis=(1, 2))[:, None, None]
        * pop.sum()
        / base.population.sum(),
        # District deviations of the synthetic city: 10 % of in-migration beyond the city share,
        # decaying as a run's damped district migration does.
        in_count_long=0.9
        * base.in_count.sum(axis=0)[None]
        * share.sum(axis=(1, 2))[:, None, None]
        * pop.sum()
        / base.population.sum(),
        out_rate_long=base.out_rate[:1] * np.ones((n_districts, 1, 1)),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--districts", type=int, default=500)
    parser.add_argument("--horizon", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rates = synthetic_rates(args.districts)
    assumptions = PopulationAssumptions()
    project_population(rates, assumptions, 2)  # warm-up (imports, caches)
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        proj = project_population(rates, assumptions, args.horizon)
        times.append(time.perf_counter() - t0)
    tracemalloc.start()
    project_population(rates, assumptions, args.horizon)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cells = args.districts * 2 * 101 * args.horizon
    print(
        f"projection: {args.districts} districts x 2 sexes x 101 ages x {args.horizon} years = {cells:,} cell-years"
    )
    print(
        f"wall time: best {min(times):.3f} s, median {np.median(times):.3f} s over {args.repeat} runs (target < 2 s)"
    )
    print(
        f"peak memory: {traced_peak / 2**20:.1f} MiB allocated by the projection (tracemalloc); "
        f"{rss_mb:.0f} MiB peak RSS of the whole process incl. Python, numpy, pandas (target < 500 MB)"
    )
    print(
        f"population {int(proj.years[0])}: {proj.population[0].sum():,.0f} -> {int(proj.years[-1])}: {proj.population[-1].sum():,.0f}"
    )


if __name__ == "__main__":
    main()
