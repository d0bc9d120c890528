"""Absolute migration paths: per-year factors on in-migrants and out-rates, from one pre-run.

A net-migration target (persons across the city boundary in year t) cannot be met by scaling the
base period's flows once: out-migrants are rates times the projected population, so they drift
with it. The factors are therefore found along the deterministic path itself, year by year:

* in-migrants ``in_count * f`` and out-migrants ``out_rate * g * population`` of a district are
  affine in f and in g (the only feedback inside a year, the births of in-migrant women who
  leave again before 31.12., is linear too), so two evaluations of the year give the exact
  factor;
* the year is then projected with the factors and the next year starts from that population.

Draws deviate around this path (their shocks multiply the same per-year arrays). The age-sex
profile of in-migrants and the age pattern of out-rates of the base period are kept; only their
level changes. ``in_migration`` scales in-migrants, ``out_migration`` the out-rates, and
``net_migration`` the in-migrants (the out-rates when in-migrants would have to fall below zero).
A ``_city`` target is met by one common factor over the districts without a target of their own,
which keeps the district profile.

References:
    Statistisches Bundesamt (2022), 15. koordinierte Bevölkerungsvorausberechnung: assumptions
    stated as net migration by year with an age-sex profile of the flows.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from forecast.contract import CITY_DISTRICT
from forecast.lifetable import LifeTable
from forecast.population.assumption_paths import AssumptionPaths
from forecast.population.engine import ProjectionPlan, run_steps
from forecast.population.estimate import BaseRates
from forecast.population.kernel import age_cohorts

QUANTITIES = ("in_migration", "out_migration", "net_migration")


def meet_rates_targets(
    plan: ProjectionPlan, rates: BaseRates, paths: AssumptionPaths
) -> ProjectionPlan:
    """``make_plan``'s hook: the plan meeting the migration paths in ``paths``.

    Paths whose first year lies after the base year start from the base period's flows (in
    counts, out-rates times the base population), per district and for the city.
    """
    ins = rates.in_count.sum(axis=(-1, -2))
    outs = (rates.out_rate * age_cohorts(rates.population)).sum(axis=(-1, -2))
    levels = {
        "in_migration": np.append(ins, ins.sum()),
        "out_migration": np.append(outs, outs.sum()),
        "net_migration": np.append(ins - outs, ins.sum() - outs.sum()),
    }
    years = plan.base_year + 1 + np.arange(plan.horizon)
    targets = migration_targets(paths, rates.districts, years, plan.base_year, levels)
    new, report = meet_migration_targets(plan, targets)
    return dataclasses.replace(new, notes=plan.notes + tuple(report["unmet"]))


def migration_targets(
    paths: AssumptionPaths,
    districts: tuple[str, ...],
    years: np.ndarray,
    base_year: int,
    base_levels: dict[str, np.ndarray],
) -> dict[str, np.ndarray]:
    """Target paths per quantity: (H, D+1), column D = ``_city``; NaN where none is given.

    Args:
        base_levels: quantity -> level in the base period per district plus city, (D+1,), the
            start of a path whose first year lies after the base year.
    """
    out = {}
    for q in QUANTITIES:
        arr = np.full((len(years), len(districts) + 1), np.nan)
        for j, code in enumerate((*districts, CITY_DISTRICT)):
            path = paths.path(q, code, years, base_year, float(base_levels[q][j]))
            if path is not None:
                arr[:, j] = path
        out[q] = arr
    return out


def meet_migration_targets(
    plan: ProjectionPlan, targets: dict[str, np.ndarray]
) -> tuple[ProjectionPlan, dict]:
    """The plan with per-year in counts and out rates scaled so that the targets hold.

    Args:
        plan: the variant path, ``in_count`` and ``out_rate`` of shape (H, D, 2, A).
        targets: from ``migration_targets``.

    Returns:
        The new plan and a report (factors per year; targets that could not be met).
    """
    horizon, n_d = plan.horizon, plan.population.shape[0]
    in_count = np.array(plan.in_count, dtype=float)  # writable copies, (H, D, 2, A)
    out_rate = np.array(plan.out_rate, dtype=float)
    f_all, g_all = np.ones((horizon, n_d)), np.ones((horizon, n_d))
    unmet: list[str] = []
    population = plan.population
    for k in range(horizon):
        year = plan.base_year + k + 1

        def flows(f: np.ndarray, g: np.ndarray, k=k, population=population) -> np.ndarray:
            """(D, 2): in and out per district of year k with factors f on in, g on out."""
            sub = _one_year(plan, k, population, in_count, out_rate, f, g)
            c = next(run_steps(sub)).components
            return np.stack(
                [c.in_migrants.sum(axis=(-1, -2)), c.out_migrants.sum(axis=(-1, -2))], axis=-1
            )

        f, g = np.ones(n_d), np.ones(n_d)
        t_in, t_out, net = (targets[q][k] for q in QUANTITIES)
        fixed_f = _solve(flows, f, g, "f", t_in, _in)
        fixed_g = _solve(flows, f, g, "g", t_out, _out)
        # A district's own net target moves its in-migrants, or its out-rates when its
        # in-migrants are fixed by an in_migration target.
        own = ~np.isnan(net[:n_d])
        blank = np.full(n_d, np.nan)
        by_f, by_g = own & ~fixed_f, own & fixed_f & ~fixed_g
        for which, sel in (("f", by_f), ("g", by_g)):
            if sel.any():
                _solve(flows, f, g, which, np.where(sel, net[:n_d], np.nan), _net, city=False)
        unmet += [
            f"{year}: net migration of district {j}"
            for j in np.flatnonzero(own & fixed_f & fixed_g)
        ]
        # The city's net target: one common factor over the districts without their own.
        group, which = ~own & ~fixed_f, "f"
        if not np.isnan(net[n_d]):
            if not group.any():
                group, which = ~own & ~fixed_g, "g"
            if group.any():
                _solve(flows, f, g, which, np.append(blank, net[n_d]), _net, members=group)
            else:
                unmet.append(f"{year}: city net migration (every district's flows are fixed)")
        # In-migrants cannot fall below zero: a larger net loss is carried by the out-rates.
        low = f < 0
        if low.any():
            f[low] = 0.0
            if (sel := low & own).any():
                _solve(flows, f, g, "g", np.where(sel, net[:n_d], np.nan), _net, city=False)
            if (sel := low & ~own).any() and not np.isnan(net[n_d]):
                _solve(flows, f, g, "g", np.append(blank, net[n_d]), _net, members=sel)
        f_all[k], g_all[k] = f, g
        in_count[k] *= f[:, None, None]
        out_rate[k] *= g[:, None, None]
        sub = _one_year(plan, k, population, in_count, out_rate, np.ones(n_d), np.ones(n_d))
        step = next(run_steps(dataclasses.replace(sub, control=plan.control)))
        population = step.population
    new = dataclasses.replace(plan, in_count=in_count, out_rate=out_rate)
    return new, {"in_factor": f_all, "out_factor": g_all, "unmet": unmet}


def _in(x: np.ndarray) -> np.ndarray:
    return x[:, 0]


def _out(x: np.ndarray) -> np.ndarray:
    return x[:, 1]


def _net(x: np.ndarray) -> np.ndarray:
    return x[:, 0] - x[:, 1]


def _solve(flows, f, g, which, target, measure, members=None, city=True) -> np.ndarray:
    """Set factor ``which`` (f or g, in place) so that ``measure`` meets ``target``.

    ``target`` has D+1 entries (districts, then the city) or D when ``city`` is False. District
    entries are met district by district; the city entry by one common factor over ``members``
    (default: districts without a target of their own). The measure is affine in the factor, so
    the line through factor 0 and 1 gives it; a few secant steps follow because capped out-rates
    (no cohort may turn negative) bend the line. Returns the districts now fixed.
    """
    n_d = f.shape[0]
    factor = f if which == "f" else g
    fixed = np.zeros(n_d, dtype=bool)
    own = ~np.isnan(target[:n_d])
    if own.any():
        fixed |= _secant(flows, f, g, which, own, target[:n_d], lambda x: measure(x))
    if city and len(target) > n_d and not np.isnan(target[n_d]):
        group = ~own if members is None else members
        if group.any():
            total = np.full(n_d, target[n_d])
            fixed |= _secant(
                flows, f, g, which, group, total, lambda x: np.full(n_d, measure(x).sum()), True
            )
    del factor
    return fixed


def _secant(flows, f, g, which, sel, target, measure, common=False, steps=6) -> np.ndarray:
    """Secant iteration on the factor of ``sel`` (per district, or one ``common`` value)."""
    factor = f if which == "f" else g
    x0, x1 = np.zeros(len(f)), np.ones(len(f))
    y0 = measure(_at(flows, f, g, which, sel, x0))
    y1 = measure(_at(flows, f, g, which, sel, x1))
    ok = sel & (np.abs(y1 - y0) > 1e-12)  # a factor that changes nothing cannot meet a target
    goal = np.where(ok, target, 0.0)
    for _ in range(steps):
        moving = ok & (np.abs(y1 - goal) > 1e-9 * (1.0 + np.abs(goal))) & (np.abs(y1 - y0) > 0)
        if not moving.any():
            break
        slope = np.where(moving, y1 - y0, 1.0) / np.where(moving, x1 - x0, 1.0)
        x2 = np.where(moving, x1 + (goal - y1) / slope, x1)
        x0, y0, x1 = x1, y1, x2
        y1 = measure(_at(flows, f, g, which, sel, x1))
    factor[sel & ok] = x1[sel & ok]
    return sel & ok


def _at(flows, f, g, which, members, value):
    """Flows with factor ``which`` set to ``value`` (scalar or per district) for ``members``."""
    f2, g2 = f.copy(), g.copy()
    (f2 if which == "f" else g2)[members] = np.broadcast_to(value, f.shape)[members]
    return flows(f2, g2)


def _one_year(plan, k, population, in_count, out_rate, f, g) -> ProjectionPlan:
    """A one-year plan for year k from ``population``, flows scaled per district."""

    def year_k(arr):
        return None if arr is None else arr[k : k + 1]

    return dataclasses.replace(
        plan,
        base_year=plan.base_year + k,
        population=population,
        tables=LifeTable(
            mx=plan.tables.mx[k : k + 1],
            ax=np.broadcast_to(plan.tables.ax, plan.tables.mx.shape)[k : k + 1],
        ),
        asfr=plan.asfr[k : k + 1],
        in_count=in_count[k : k + 1] * f[None, :, None, None],
        out_rate=out_rate[k : k + 1] * g[None, :, None, None],
        housing_outside=year_k(plan.housing_outside),
        housing_inside=year_k(plan.housing_inside),
        control=None,
        e0=plan.e0[k : k + 1],
    )
