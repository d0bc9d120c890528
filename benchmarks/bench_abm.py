"""Benchmark: the HzE system model (ABM) at Berlin scale, classic vs Sozialraumorientierung.

Issue 6 target on the 2-core machine: about 50,000 cases touched per year (Fallzahl = running at
31.12. + ended during the year), 240 months, 2 scenarios x 100 replicates in under 120 s, with no
per-case Python loop in the hot path. Prints the figures; it is not a test. Run:

    .venv/bin/python benchmarks/bench_abm.py [--replicates 100] [--months 240] [--jobs 2]

The synthetic city has 12 Wirkungsräume (Berlin's 12 Bezirke) of 60,000 persons under 21 each and
the national rates and durations of DOMAIN.md § 6.3 (``AbmInputs.synthetic``): about 26,000 helps
begin per year and 51,000 are touched. Replicates are split into ``--jobs`` blocks run by joblib
worker processes (loky); results do not depend on the split.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from simulation.abm.experiment import run_experiment
from simulation.abm.inputs import AbmInputs
from simulation.abm.params import ClassicParams, SroParams


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=100)
    parser.add_argument("--months", type=int, default=240)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--areas", type=int, default=12)
    parser.add_argument("--under21", type=float, default=60_000.0, help="per Wirkungsraum")
    args = parser.parse_args()

    years = -(-args.months // 12)
    inputs = AbmInputs.synthetic(under21=args.under21, areas=args.areas, years=years)
    seed = np.random.SeedSequence(20261121)
    start = time.perf_counter()
    ex = run_experiment(
        inputs,
        ClassicParams(),
        {"sozialraum": SroParams()},
        args.replicates,
        seed,
        args.months,
        n_jobs=args.jobs,
    )
    wall = time.perf_counter() - start
    steps = 2 * args.replicates * args.months
    a = ex.classic.arrays
    m = 12 * (args.months // 12)
    fallzahl = a["running"][:, 11:m:12].sum((2, 3)) + a["ended"][:, :m].reshape(
        args.replicates, -1, 12, args.areas, len(inputs.codes)
    ).sum((2, 3, 4))
    begun = a["begun"][:, :m].sum((2, 3)).reshape(args.replicates, -1, 12).sum(-1)
    print(
        f"scale: {args.areas} Wirkungsräume, {len(inputs.codes)} Hilfearten; per year "
        f"{begun.mean():,.0f} helps begun, {fallzahl.mean():,.0f} touched (Fallzahl)"
    )
    print(
        f"runs: 2 scenarios x {args.replicates} replicates x {args.months} months = "
        f"{steps:,} model steps on {args.jobs} worker(s)"
    )
    print(
        f"wall time {wall:.1f} s (target < 120 s); per step {1e3 * wall / steps:.2f} ms wall, "
        f"{1e3 * wall * args.jobs / steps:.2f} ms per worker"
    )
    for months, q in ex.difference_quantiles("sozialraum", (60, 120, 240)).items():
        print(
            f"cost difference sozialraum - classic after {months // 12:2d} years: "
            f"P10 {q['P10 %']:+.1f} %, P50 {q['P50 %']:+.1f} %, P90 {q['P90 %']:+.1f} % "
            f"(P50 EUR {q['P50'] / 1e6:+,.0f} M)"
        )


if __name__ == "__main__":
    main()
