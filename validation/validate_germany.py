"""Germany from the Destatis 15th coordinated projection's assumptions, against its results.

Germany is projected as a one-district city (``validation/data/germany``, base 31.12.2021, built
by ``scripts/build_germany.py``) with the ``population/assumptions`` presets of a Destatis variant
(default: the main variant G2L2W2): absolute TFR, e0 by sex and net-migration paths. Everything
else is jhplan's own estimation: the fertility age pattern (Destatis ASFR 2021, level of the
observed births), mortality (Destatis life table 2016/18 at the level of the deaths 2019-2021,
improved along the Lee-Carter pattern), the age-sex profile of net migration (residual method
over 2018-2021).

Prints the totals 2030, 2040, 2050, 2070 and the age groups 0-2, 3-5, 6-9, 10-17, 18-20, 21-64,
65-79, 80+ by sex in 2040, with the published figures we could source.

Usage:
    python validation/validate_germany.py [--variant destatis15_main]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

from hydra import compose, initialize_config_dir

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from forecast.citydata import load_city  # noqa: E402
from forecast.population.estimate import estimate_base_rates  # noqa: E402
from forecast.population.projection import project_population  # noqa: E402
from simulation.config import (  # noqa: E402
    estimation_settings,
    population_assumptions,
    register_configs,
)
from simulation.config_assumptions import assumption_paths  # noqa: E402

DATA = ROOT / "validation" / "data" / "germany"
GROUPS = {
    "0-2": (0, 2),
    "3-5": (3, 5),
    "6-9": (6, 9),
    "10-17": (10, 17),
    "18-20": (18, 20),
    "21-64": (21, 64),
    "65-79": (65, 79),
    "80+": (80, 100),
}
# Published results of the 15th coordinated projection we could source (persons).
PUBLISHED_TOTALS = {
    "destatis15_main": {
        2070: (
            82_600_000,
            "demografie-portal.de, Bevölkerungszahl (BiB/Destatis 15. kBV, Variante 2): 82.6 million "
            "in 2070, https://demografie-portal.de/DE/Fakten/bevoelkerungszahl.html",
        )
    },
    "destatis15_old": {
        2070: (73_500_000, "demografie-portal.de (Variante 4, G1L3W1): 73.5 million in 2070")
    },
    "destatis15_young": {
        2070: (91_000_000, "demografie-portal.de (Variante 5, G3L1W3): 'fast 91 Millionen' 2070")
    },
}


def project(variant: str):
    """Projection of Germany to 2070 under a ``population/assumptions`` preset."""
    register_configs()
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        cfg = compose(
            "config",
            overrides=[f"population/assumptions={variant}", f"city.data_dir={DATA}"],
        )
    city = load_city(DATA)
    rates = estimate_base_rates(city, estimation_settings(cfg.population))
    absolute = assumption_paths(cfg.population.assumptions, None, city)
    assumptions = dataclasses.replace(population_assumptions(cfg.population), absolute=absolute)
    return project_population(rates, assumptions, 2070 - rates.base_year), rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", default="destatis15_main")
    args = parser.parse_args()
    started = time.perf_counter()
    proj, rates = project(args.variant)
    years = list(proj.years)
    total = proj.population.sum(axis=(1, 2, 3))
    print(
        f"Germany, {args.variant}, base {rates.base_year} ({time.perf_counter() - started:.1f} s)"
    )
    print(f"  base TFR {rates.diagnostics['tfr_city']:.3f}, e0 f/m {rates.life_table.e0.round(2)}")
    k = years.index(2070)
    print(
        f"  2070: TFR {proj.tfr[k - 1]:.3f}, e0 f/m {proj.e0[k - 1].round(2)}, net migration "
        f"{proj.net_migration[k - 1].sum():,.0f}"
    )
    published = PUBLISHED_TOTALS.get(args.variant, {})
    print("\nTotal population (31.12.), persons")
    for year in (2021, 2022, 2030, 2040, 2050, 2060, 2070):
        line = f"  {year}: {total[years.index(year)]:>12,.0f}"
        if year in published:
            value, source = published[year]
            diff = 100 * (total[years.index(year)] / value - 1)
            line += f"   published {value:>12,.0f} ({diff:+.1f} %)  [{source}]"
        print(line)
    pop = proj.population[years.index(2040), 0]  # (2, 101)
    print("\nAge groups 2040 by sex, persons (no published figures sourced for these)")
    print(f"  {'group':>6} {'female':>12} {'male':>12} {'total':>12}")
    for label, (lo, hi) in GROUPS.items():
        f, m = pop[0, lo : hi + 1].sum(), pop[1, lo : hi + 1].sum()
        print(f"  {label:>6} {f:>12,.0f} {m:>12,.0f} {f + m:>12,.0f}")
    older = proj.population[:, 0, :, 80:].sum(axis=(-1, -2))
    old67 = proj.population[:, 0, :, 67:].sum(axis=(-1, -2))
    print(
        f"\n  67+ in 2035: {old67[years.index(2035)]:,.0f} (published: at least 20.0 million by "
        "the mid-2030s in every variant); 80+ in 2035: "
        f"{older[years.index(2035)]:,.0f} (published: 5.8-6.7 million over the variants) "
        "[Destatis press release of 2 Dec 2022, via aktiencheck.de / bz-duisburg.de]"
    )
    print(
        f"  births 2022 {proj.births[0].sum():,.0f}, 2040 {proj.births[years.index(2040) - 1].sum():,.0f}"
    )
    print(
        f"  deaths 2022 {proj.deaths[0].sum():,.0f}, 2040 {proj.deaths[years.index(2040) - 1].sum():,.0f}"
    )
    print(f"  share 100+ in 2070: {proj.population[-1, 0, :, 100].sum():,.0f} persons")


if __name__ == "__main__":
    main()
