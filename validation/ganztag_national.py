"""Ganztag for Germany: the stage's chain on the 16 Länder against the 3rd GaFöG report.

The Länder validation bed (``validation/data/laender``: Destatis population by Land and single
age, base 31.12.2022) is projected with jhplan's default population settings (deterministic, no
migration file: residual method), and every Land goes through the Ganztag library the stage uses
(``forecast.ganztag``: its own school-entry cut-off, default careers, the entitlement rollout,
the take-up paths of ``forecast/parameters/ganztag.yaml``). Places of 2023/24 are the report's
participation of the Land's half of Germany (West 51 %, East 81 %; Berlin counted East) times
the Land's primary-school children; the places needed are the sum over the Länder of demand
minus these places where positive (a surplus in one Land does not serve another).

Published (3rd GaFöG report, Prognos/ITES, 3 Dec 2025): 1.9 million children in all-day care in
2023/24 (57 % of the 6.5-10.5-year-olds); about 264,000 additional places needed by 2029/30;
for 2026/27 166,000 (constant demand) to 284,000 (rising demand).

Prints the children, the places of 2023/24 and the places needed in 2026/27 and 2029/30 for the
take-up paths ``status_quo`` (participation held: demography only) and ``q64``/``q73``/``q80``.

Usage:
    python validation/ganztag_national.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from hydra import compose, initialize_config_dir

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from forecast.citydata import load_city  # noqa: E402
from forecast.ganztag.cohorts import Careers, cutoff_rules, school_cohorts  # noqa: E402
from forecast.ganztag.demand import TakeUp, project_demand  # noqa: E402
from forecast.ganztag.entitlement import Rollout  # noqa: E402
from forecast.params import default_value  # noqa: E402
from forecast.population.estimate import estimate_base_rates  # noqa: E402
from forecast.population.projection import project_population  # noqa: E402
from simulation.config import (  # noqa: E402
    estimation_settings,
    population_assumptions,
    register_configs,
)

DATA = ROOT / "validation" / "data" / "laender"
PUBLISHED = {
    "children_2023": 1_900_000 / 0.57,
    "places_2023": 1_900_000,
    "needed_2029": 264_000,
    "needed_2026": (166_000, 284_000),
}
LAST = 2030


def projected_laender():
    """Population of the 16 Länder at 31.12. 2022..2030, (Y, D, 2, A), and the years."""
    register_configs()
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        cfg = compose("config", overrides=[f"city.data_dir={DATA}"])
    city = load_city(DATA)
    rates = estimate_base_rates(city, estimation_settings(cfg.population))
    proj = project_population(rates, population_assumptions(cfg.population), LAST - rates.base_year)
    return proj.population, np.asarray(proj.years), city


def main() -> None:
    started = time.perf_counter()
    pop, years, city = projected_laender()
    codes = list(city.district_codes)
    shares = np.asarray(default_value("kita.birth_month_shares"), dtype=float)
    shares /= shares.sum()
    careers = Careers(
        default_value("ganztag.early_entry"),
        default_value("ganztag.deferral"),
        default_value("ganztag.repeat_rate"),
    )
    rules = cutoff_rules()
    east = {s.lower() for s in default_value("ganztag.east_states")}
    quota_now = default_value("ganztag.status_quo_fallback")
    targets = default_value("ganztag.quota_targets")
    rollout = Rollout.default()
    ramp = float(default_value("ganztag.ramp_years"))
    by_grade = np.zeros((len(years), len(codes), 4))
    for d, code in enumerate(codes):
        one = pop[None, :, d : d + 1]  # (1, Y, 1, 2, A)
        cohorts = school_cohorts(one, years, (code,), shares, rules[code.upper()], careers)
        by_grade[:, d] = cohorts.by_grade[0, :, 0]
    children = by_grade.sum(axis=-1)  # (Y, D)
    t23, t26, t29 = (int(np.flatnonzero(years == y)[0]) for y in (2023, 2026, 2029))
    now = np.array([quota_now["east" if c in east else "west"] for c in codes])
    places = now * children[t23]
    print(f"Germany by Land, base {int(years[0])} ({time.perf_counter() - started:.1f} s)")
    print(
        f"  primary-school children (grades 1-4) 2023/24: {children[t23].sum():,.0f} "
        f"(published: {PUBLISHED['children_2023']:,.0f} aged 6.5-10.5 = 1.9 M / 57 %)"
    )
    print(
        f"  places 2023/24 (West 51 %, East 81 % of the children): {places.sum():,.0f} "
        f"({100 * places.sum() / children[t23].sum():.1f} %; published 1.9 M, 57 %)"
    )
    print(f"  children 2026/27 {children[t26].sum():,.0f}, 2029/30 {children[t29].sum():,.0f}")
    # The report's 64 % is Germany's: with the East at its 81 %, the West's stated demand is
    # lower. The West quota that gives 64 % for Germany's children of 2029/30:
    is_east = np.array([c in east for c in codes])
    c29 = children[t29]
    west64 = (targets["q64"] * c29.sum() - quota_now["east"] * c29[is_east].sum()) / c29[
        ~is_east
    ].sum()
    print(f"  West quota giving 64 % for Germany with the East at 81 %: {100 * west64:.1f} %")
    print("\nAdditional places needed (sum over the Länder of demand - places 2023/24, if > 0)")
    print(f"  {'take-up path':<24} {'2026/27':>10} {'2029/30':>10}")
    paths = {p: (p, targets.get(p)) for p in ("status_quo", "q64", "q73", "q80")}
    paths["q64, national 64 %"] = ("q64", west64)
    for label, (path, target) in paths.items():
        need = []
        for t in (t26, t29):
            total = 0.0
            for d in range(len(codes)):
                takeup = TakeUp(path, float(now[d]), target, ramp)
                demand = project_demand(
                    by_grade[None, :, d : d + 1], years, takeup, rollout, 0.0, 0.0
                ).total[0, t, 0]
                total += max(demand - places[d], 0.0)
            need.append(total)
        print(f"  {label:<24} {need[0]:>10,.0f} {need[1]:>10,.0f}")
    # The part of the projection: the same national 64 % on the children of 2023/24.
    held = np.repeat(by_grade[t23 : t23 + 1], len(years), axis=0)
    need29 = sum(
        max(
            project_demand(
                held[None, :, d : d + 1],
                years,
                TakeUp("q64", float(now[d]), west64, ramp),
                rollout,
                0.0,
                0.0,
            ).total[0, t29, 0]
            - places[d],
            0.0,
        )
        for d in range(len(codes))
    )
    print(f"  {'q64, national, children 2023':<24} {'':>10} {need29:>10,.0f}")
    low, high = PUBLISHED["needed_2026"]
    print(
        f"\n  published: about {PUBLISHED['needed_2029']:,} by 2029/30; 2026/27 {low:,} (constant "
        f"demand) to {high:,} (rising demand) [3rd GaFöG report, Prognos/ITES 2025]"
    )


if __name__ == "__main__":
    main()
