"""Is the main variant the middle of the band? Median of the draws vs the deterministic path (issue 13).

Projects the city (default: Konstanz, ``data/konstanz``) as ``jhplan run draws=N`` does: the
run's configuration (Hydra defaults plus any overrides given), processes calibrated on the city's
history and backtests, the population stage's seed. Prints, for every projected year, the city
total of the deterministic variant, the P10, P50 and P90 of the draws, the median minus the
variant in persons and in standard errors of the median, and the share of draws below the
variant (0.5 when the variant is the middle of the band; binomial standard error 0.5 / sqrt(N)).

Usage:
    python validation/validate_draws_median.py [--draws 500] [--city DIR] [OVERRIDE ...]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from hydra import compose, initialize_config_dir  # noqa: E402
from omegaconf import OmegaConf  # noqa: E402

from forecast.citydata import load_city  # noqa: E402
from forecast.population.calibrate import calibrate  # noqa: E402
from forecast.population.draws import simulate_population  # noqa: E402
from forecast.population.engine import make_plan, run_steps  # noqa: E402
from forecast.population.estimate import estimate_base_rates  # noqa: E402
from simulation.config import (  # noqa: E402
    estimation_settings,
    population_assumptions,
    register_configs,
    stochastic_defaults,
)
from simulation.pipeline import SEED_KEYS  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--city", default=str(REPO / "data" / "konstanz"))
    parser.add_argument("--draws", type=int, default=500)
    parser.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. horizon=30 seed=7")
    args = parser.parse_args()
    t0 = time.perf_counter()
    register_configs()
    with initialize_config_dir(config_dir=str(REPO / "conf"), version_base="1.3"):
        cfg = OmegaConf.to_object(compose(config_name="config", overrides=args.overrides))
    city = load_city(Path(args.city))
    settings = estimation_settings(cfg.population)
    assumptions = population_assumptions(cfg.population)
    rates = estimate_base_rates(city, settings)
    sc = cfg.population.stochastic
    processes, _ = calibrate(
        city, rates, settings, assumptions, stochastic_defaults(sc), use_backtests=sc.use_backtests
    )
    processes = processes.scaled(float(sc.variance_scale.value))
    plan = make_plan(rates, assumptions, cfg.horizon)
    variant = np.array([step.population.sum() for step in run_steps(plan)])
    seed = np.random.SeedSequence(cfg.seed, spawn_key=(SEED_KEYS["population"],))
    sim = simulate_population(plan, rates.districts, processes, args.draws, seed)
    totals = sim.samples[:, 1:, -1].astype(float).sum(axis=(-1, -2))  # (N, H) city, persons
    p10, p50, p90 = np.quantile(totals, [0.10, 0.50, 0.90], axis=0)
    # Standard error of a sample median: sqrt(pi / 2) sd / sqrt(N) for a near-normal spread.
    se = np.sqrt(np.pi / 2) * totals.std(axis=0) / np.sqrt(args.draws)
    below = (totals < variant).mean(axis=0)
    n = args.draws
    print(
        f"{city.name}: city total, {n} draws, seed {cfg.seed}, base year {rates.base_year} "
        f"({time.perf_counter() - t0:.0f} s)"
    )
    print(
        f"{'year':>6} {'variant':>9} {'P10':>9} {'P50':>9} {'P90':>9} {'P50-var':>8} "
        f"{'in SE':>6} {'share<var':>9}"
    )
    for k, year in enumerate(sim.years[1:]):
        print(
            f"{year:>6} {variant[k]:>9,.0f} {p10[k]:>9,.0f} {p50[k]:>9,.0f} {p90[k]:>9,.0f} "
            f"{p50[k] - variant[k]:>+8,.0f} {(p50[k] - variant[k]) / se[k]:>+6.1f} {below[k]:>9.3f}"
        )
    print(f"share of draws below the variant: binomial standard error {0.5 / np.sqrt(n):.3f}")


if __name__ == "__main__":
    main()
