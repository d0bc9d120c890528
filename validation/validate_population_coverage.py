"""Coverage of the stochastic population projection on the Konstanz register (issue 3).

Projects Konstanz from a base year (default 2014) with the processes calibrated on the history up
to that year only, and counts how often the register of the target year (default 2019) falls
inside the 80 % interval: city-wide by sex x age group, and per Stadtteil for the totals (the
Stadtteil totals are real register figures; their age structure is not, see data/konstanz).

Usage:
    python validation/validate_population_coverage.py [--base-year 2014] [--target 2019] [--draws 1000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from forecast.citydata import load_city  # noqa: E402
from forecast.population.coverage import interval_coverage  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--city", default=str(REPO / "data" / "konstanz"))
    parser.add_argument("--base-year", type=int, default=2014)
    parser.add_argument("--target", type=int, default=2019)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=20261121)
    args = parser.parse_args()
    t0 = time.perf_counter()
    city = load_city(Path(args.city))
    result = interval_coverage(city, args.base_year, args.target, args.draws, args.seed)
    print(
        f"Konstanz {args.base_year} -> {args.target}, {args.draws} draws "
        f"({time.perf_counter() - t0:.1f} s)"
    )
    print(f"  migration scale from backtests: {result['migration_scale']:.3f}")
    print(
        f"  80 % interval covers {result['cells_covered']} of {result['cells']} city sex x age-group "
        f"cells = {100 * result['coverage']:.1f} % (target 70-90 %)"
    )
    print(
        f"  Stadtteil totals: {result['district_covered']} of {result['districts']} covered = "
        f"{100 * result['district_coverage']:.1f} %"
    )
    print("  cell, register, P10, P50, P90:")
    for row in result["table"]:
        print("   ", row)


if __name__ == "__main__":
    main()
