"""Rolling-origin backtests of district projections: which method to use for districts.

For every origin the register allows, each method projects the districts from the data up to the
origin only and is compared with the register 3, 5 and 10 years later (years listed in
``exclude_years`` are not evaluated). Methods: the cohort-component projection with district
migration ``levelled`` (the method before December 2026) and ``damped`` (several persistences,
with and without empirical-Bayes shrinkage), constant population, linear trend of the district
totals, constant share of the city, Hamilton-Perry shares, combinations of shares with equal
weights, and ``comb_selected``: the combination whose weights per age group are chosen at each origin
on the earlier origins only (``forecast.population.combination.choose_weights``), as a city would
choose them on its own history.

Printed: mean absolute percentage error (MAPE) of the district totals and the mean APE over
district x age group (0-5, 6-17, 18-26, 27-44, 45-64, 65+) by method and horizon.

Usage:
    python validation/validate_population_districts.py [CITY_DIR ...] [--horizons 3 5 10]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from forecast.citydata import load_city  # noqa: E402
from forecast.population.baselines import constant_population, hamilton_perry  # noqa: E402
from forecast.population.combination import (  # noqa: E402
    COMBINATION_GROUPS,
    CombinationSettings,
    choose_weights,
    combine_paths,
)
from forecast.population.district_methods import (  # noqa: E402
    constant_share,
    hamilton_perry_shares,
    linear_trend,
)
from forecast.population.estimate import (  # noqa: E402
    EstimationSettings,
    estimate_base_rates,
    population_array,
    usable_transitions,
)
from forecast.population.migration import DistrictMigrationSettings  # noqa: E402
from forecast.population.projection import PopulationAssumptions, project_population  # noqa: E402

EVAL_GROUPS = COMBINATION_GROUPS  # the groups the combination weighs by
CC_VARIANTS = {
    "cc_levelled": DistrictMigrationSettings(model="levelled"),
    "cc_p0": DistrictMigrationSettings(persistence=0.0),
    "cc_p50": DistrictMigrationSettings(persistence=0.5),
    "cc_p70": DistrictMigrationSettings(persistence=0.7),
    "cc_p85": DistrictMigrationSettings(persistence=0.85),
    "cc_p100": DistrictMigrationSettings(persistence=1.0),
    "cc_p70_noshrink": DistrictMigrationSettings(persistence=0.7, shrink=False),
    "cc_p100_noshrink": DistrictMigrationSettings(persistence=1.0, shrink=False),
}


def forecasts_at(
    city, origin: int, horizon: int, base_period: int, hp_span: int
) -> dict[str, np.ndarray]:
    """Every method's districts (H+1, D, 2, A) from ``origin``."""
    pop, years = population_array(city)
    ix = {int(y): i for i, y in enumerate(years)}
    past = city.restrict_to(origin)
    out = {}
    for name, dm in CC_VARIANTS.items():
        settings = EstimationSettings(
            base_year=origin, base_period=base_period, district_migration=dm
        )
        out[name] = project_population(
            estimate_base_rates(past, settings), PopulationAssumptions(), horizon
        ).population
    base = pop[ix[origin]]
    city_path = out["cc_p85"].sum(axis=1)
    out["constant"] = constant_population(base, horizon)
    first = origin - base_period
    hist = [y for y in range(first, origin + 1) if y in ix and y not in city.exclude_years]
    out["linear_trend"] = (
        linear_trend(np.stack([pop[ix[y]] for y in hist]), np.array(hist), horizon)
        if len(hist) >= 2
        else out["constant"]
    )

    out["constant_share"] = constant_share(base, city_path)
    span = next(
        (
            s
            for s in range(hp_span, 0, -1)
            if origin - s in ix and origin - s not in city.exclude_years
        ),
        None,
    )
    if span is not None:
        out["hp_share"] = hamilton_perry_shares(pop[ix[origin - span]], base, span, city_path)
        out["hamilton_perry"] = hamilton_perry(pop[ix[origin - span]], base, span, horizon)
    # Equal weights in every age group; "cohort_component" keeps the city of every cell.
    named = {
        "cc_p85": "cohort_component",
        "constant_share": "constant_share",
        "hp_share": "hamilton_perry",
    }
    for name, members in {
        "comb_cc_cs": ("cc_p85", "constant_share"),
        "comb_cc_hp": ("cc_p85", "hp_share"),
        "comb_cc_hp_cs": ("cc_p85", "hp_share", "constant_share"),
    }.items():
        if all(m in out for m in members):
            w = {named[m]: np.full(len(COMBINATION_GROUPS), 1.0 / len(members)) for m in members}
            out[name] = combine_paths({named[m]: out[m] for m in members}, w)
    return out


def errors(
    city, forecasts: dict[str, np.ndarray], origin: int, horizons: list[int]
) -> pd.DataFrame:
    pop, years = population_array(city)
    ix = {int(y): i for i, y in enumerate(years)}
    rows = []
    for h in horizons:
        target = origin + h
        if target not in ix or target in city.exclude_years:
            continue
        obs = pop[ix[target]]
        for name, arr in forecasts.items():
            if arr.shape[0] <= h:
                continue
            proj = arr[h]
            tot_p, tot_o = proj.sum(axis=(-1, -2)), obs.sum(axis=(-1, -2))
            ape_tot = 100 * np.abs(tot_p - tot_o) / tot_o
            ape_groups = []
            for lo, hi in EVAL_GROUPS.values():
                p = proj[..., lo : hi + 1].sum(axis=(-1, -2))
                o = obs[..., lo : hi + 1].sum(axis=(-1, -2))
                ape_groups.append(np.where(o > 0, 100 * np.abs(p - o) / np.maximum(o, 1), np.nan))
            ape_groups = np.array(ape_groups)  # (G, D)
            rows.append(
                {
                    "method": name,
                    "origin": origin,
                    "horizon": h,
                    "mape_total": float(np.mean(ape_tot)),
                    "mape_age": float(np.nanmean(ape_groups)),
                    **{
                        f"mape_{g}": float(np.nanmean(ape_groups[i]))
                        for i, g in enumerate(EVAL_GROUPS)
                    },
                }
            )
    return pd.DataFrame(rows)


def selected_combination(
    city, origin: int, history: dict[int, dict[str, np.ndarray]]
) -> np.ndarray | None:
    """The combination with weights chosen on the origins before ``origin`` (targets <= origin)."""
    pop, years = population_array(city)
    register = {int(y): pop[i] for i, y in enumerate(years) if y <= origin}
    earlier = {o: p for o, p in history.items() if o < origin}
    if origin not in history:
        return None
    if len(earlier) < CombinationSettings().min_origins:  # as a run: too few origins to choose
        return history[origin]["cohort_component"]
    weights = choose_weights(city, earlier, register)
    return combine_paths(history[origin], weights.weights)


def run(city_dir: Path, horizons: list[int], base_period: int, hp_span: int) -> pd.DataFrame:
    city = load_city(city_dir)
    _, years = population_array(city)
    last = int(years[-1])
    frames = []
    history: dict[int, dict[str, np.ndarray]] = {}
    for origin in [int(y) for y in years]:
        if (
            len(usable_transitions(city, years, origin)) < base_period
            or origin in city.exclude_years
        ):
            continue
        horizon = min(max(horizons), last - origin)
        if horizon < min(horizons):
            continue
        try:
            fc = forecasts_at(city, origin, horizon, base_period, hp_span)
        except ValueError as err:  # e.g. no births for the base period of an early origin
            print(f"  origin {origin}: skipped ({err})", file=sys.stderr)
            continue
        history[origin] = {
            "cohort_component": fc["cc_p85"],
            "constant_share": fc["constant_share"],
            **({"hamilton_perry": fc["hp_share"]} if "hp_share" in fc else {}),
        }
        chosen = selected_combination(city, origin, history)
        if chosen is not None:
            fc["comb_selected"] = chosen
        frames.append(errors(city, fc, origin, horizons))
        print(f"  origin {origin}: {len(fc)} methods", file=sys.stderr)
    return pd.concat(frames, ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cities", nargs="*", type=Path, default=[ROOT / "data" / "konstanz"])
    parser.add_argument("--horizons", nargs="+", type=int, default=[3, 5, 10])
    parser.add_argument("--base-period", type=int, default=3)
    parser.add_argument("--hp-span", type=int, default=5)
    parser.add_argument("--out", type=Path, default=None, help="write all errors to this CSV")
    args = parser.parse_args()
    pd.set_option("display.width", 200)
    for city_dir in args.cities:
        table = run(city_dir, args.horizons, args.base_period, args.hp_span)
        if args.out:
            table.assign(city=city_dir.name).to_csv(
                args.out, mode="a", index=False, header=not args.out.exists()
            )
        summary = table.groupby(["horizon", "method"]).agg(
            origins=("origin", "nunique"),
            mape_total=("mape_total", "mean"),
            mape_age=("mape_age", "mean"),
            **{f"mape_{g}": (f"mape_{g}", "mean") for g in EVAL_GROUPS},
        )
        print(f"\n{city_dir.name}: MAPE over districts (%), mean over origins")
        print(summary.round(2).to_string())


if __name__ == "__main__":
    main()
