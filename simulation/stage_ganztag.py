"""The Ganztag stage of a run: primary-school children, entitlement, demand, places, gap, cost.

**Year convention.** Every Ganztag row carries ``year`` = the calendar year in which the school
year starts on 1 August (2026 = school year 2026/27); its children are counted from the
population at 31.12. of that year (``forecast.ganztag``). ``district`` is a district code, a
school ``school:<code>`` (only when the city gave ``school_districts``) or ``_city``.

Variables (``model = ganztag``): ``Ganztag|Children|Grade 1`` .. ``Grade 4`` and ``|Total``,
``Ganztag|Entitled`` (children of the entitled grades), ``Ganztag|Demand|Total``, ``|Full day``,
``|Lunchtime``, ``|Holiday``, ``Ganztag|Demand quota``, ``Ganztag|Staff``,
``Ganztag|Cost|Running``; with ``ganztag_places`` also ``Ganztag|Places|<form>``, ``|Total``,
``Ganztag|Gap`` (demand - places; positive = places missing), ``Ganztag|New places`` and
``Ganztag|Cost|Investment``; ``Ganztag|Participation`` (places open / children) for past school
years. With N population draws (N > 1) the projected variables are P10/P50/P90 over the draws,
draw d of the population giving draw d of the Ganztag results.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.contract import CITY_DISTRICT
from forecast.drawstore import DrawReducer
from forecast.ganztag.catchments import Catchments
from forecast.ganztag.cohorts import school_cohorts
from forecast.ganztag.demand import TakeUp
from forecast.ganztag.places import observed_participation, places_by_school_year
from forecast.ganztag.project import GanztagSetup, project_block
from forecast.kita.quota_selection import select_quota_model
from forecast.population.register import population_array
from forecast.variables import BAND
from simulation.blockjobs import keep_part_draws, part_of
from simulation.config_ganztag import ganztag_settings
from simulation.config_kita import kita_settings
from simulation.results import band_rows, to_results, write_results

QUANTILES = BAND  # P10, P50, P90 (forecast.variables)


def ganztag_stage(ctx) -> str:
    """Ganztag demand, places, gap and cost for every population draw; results and manifest."""
    cfg, city, folder, paths = ctx.cfg, ctx.city, ctx.folder, ctx.population
    if paths is None:
        raise ValueError("the ganztag stage needs the population stage's trajectories")
    state = city.meta.get("state")
    settings = ganztag_settings(cfg.ganztag, state)
    month_shares = kita_settings(cfg.kita, state).month_shares
    notes: list[str] = []
    if not settings.state_known:
        notes.append(
            f"Fallback: no school-entry cut-off for state {state!r}; NRW 30 September "
            "(set state in city.yaml)"
        )
    inputs = ganztag_inputs(city, paths, settings, month_shares, notes)
    areas, observed = inputs.areas, inputs.observed
    setup, takeup = ganztag_setup(settings, inputs, paths, notes)
    stats, rows = ganztag_rows(ctx, paths, setup)
    years = np.asarray(paths.years, dtype=int)
    long = pd.concat([rows, _participation_rows(observed)])
    write_results(
        to_results(long, "ganztag", cfg.scenario, folder.run_id).astype({"replicate": "int32"}),
        folder.work,
        part="ganztag",
    )
    folder.manifest["fallbacks"].extend(n for n in notes if n.startswith("Fallback"))
    folder.manifest["ganztag"] = _manifest(settings, takeup, areas, observed, notes)
    return _summary(stats, years, settings.takeup)


@dataclass(frozen=True)
class GanztagInputs:
    """What the stage reads once from the city, whatever the take-up path: school areas,
    places by school year (None without ``ganztag_places``), observed participation."""

    areas: Catchments
    places: np.ndarray | None
    observed: pd.Series
    month_shares: np.ndarray


def ganztag_inputs(city, paths, settings, month_shares, notes: list[str]) -> GanztagInputs:
    """School areas, places and past participation of ``city`` (notes: fallbacks taken)."""
    if city.has("school_districts"):
        areas = Catchments.from_table(city.table("school_districts"), paths.districts)
    else:
        areas = Catchments.one_per_district(paths.districts)
        notes.append("Fallback: no school_districts file; every district is one school area")
    years = np.asarray(paths.years, dtype=int)
    places, observed = None, pd.Series(dtype=float)
    if city.has("ganztag_places"):
        table = city.table("ganztag_places")
        places = places_by_school_year(table, years, areas.schools, settings.count_planned)
        observed = _observed(city, table, areas, settings, month_shares)
    else:
        notes.append(
            "Fallback: no ganztag_places file; Ganztag demand without places, no gap "
            "(Ganztag|Places, Ganztag|Gap and investment not written)"
        )
    return GanztagInputs(areas, places, observed, month_shares)


def ganztag_setup(settings, inputs: GanztagInputs, paths, notes: list[str]):
    """The projection setup of ``settings`` (its take-up path) on ``inputs``: (setup, take-up).
    ``jhplan explore`` calls it with a changed take-up path or target."""
    years = np.asarray(paths.years, dtype=int)
    areas, places, month_shares = inputs.areas, inputs.places, inputs.month_shares
    takeup = _takeup(settings, inputs.observed, places, years, paths, areas, month_shares, notes)
    setup = GanztagSetup(
        rule=settings.school_entry,
        month_shares=month_shares,
        careers=settings.careers,
        rollout=settings.rollout,
        takeup=takeup,
        lunchtime_share=settings.lunchtime_share,
        holiday_share=settings.holiday_share,
        areas=areas,
        places=places,
        costs=settings.costs,
    )
    return setup, takeup


def ganztag_rows(ctx, paths, setup: GanztagSetup) -> tuple[dict, pd.DataFrame]:
    """The projected statistics of every draw and their long rows (as in the results)."""
    stats, units = _block_statistics(ctx, paths, setup)
    years = np.asarray(paths.years, dtype=int)
    return stats, band_rows(stats, units, setup.codes, years, QUANTILES)


def _observed(city, table, areas, settings, month_shares) -> pd.Series:
    """Past participation: open places / children of grades 1-4 in the register years."""
    pop, reg_years = population_array(city)
    cohorts = school_cohorts(
        pop[None],
        reg_years,
        city.district_codes,
        month_shares,
        settings.school_entry,
        settings.careers,
    )
    children = pd.Series(cohorts.total[0].sum(axis=-1), index=reg_years.astype(int))
    return observed_participation(table, areas.schools, children)


def _takeup(settings, observed, places, years, paths, areas, month_shares, notes) -> TakeUp:
    """The take-up path with the city's status quo (and history) where it has place data."""
    if len(observed):
        status_quo = float(observed.iloc[-1])
        source = f"observed participation {int(observed.index[-1])}/{int(observed.index[-1]) + 1 - 2000:02d}"
    elif places is not None:
        # Places but no register year with them: open places of the first projected school
        # year over its children (the mean trajectory's first year is the register base).
        first = paths.select(0, 1).population[:, :1]
        kids = school_cohorts(
            first,
            years[:1],
            areas.districts,
            month_shares,
            settings.school_entry,
            settings.careers,
        ).total.sum()
        status_quo = float(min(places[0].sum() / max(kids, 1.0), 1.0))
        source = f"places of {years[0]} over its children"
    else:
        status_quo = settings.status_quo_fallback
        half = "East" if settings.east else "West"
        source = f"national participation 2023/24 ({half})"
        notes.append(
            f"Fallback: no ganztag_places; status quo participation {status_quo:.0%} = "
            f"national 2023/24 figure of the {half} (3rd GaFöG report)"
        )
    notes.append(f"Status quo participation {status_quo:.3f} ({source})")
    path, history = settings.takeup, None
    if path == "history":
        if len(observed) >= 2:
            selection = select_quota_model(observed.to_numpy(float), ceiling=1.0)
            last = int(observed.index[-1])
            ahead = max(int(years[-1]) - last, 1)
            forecast = pd.Series(
                selection.forecast(ahead).mean, index=range(last + 1, last + 1 + ahead)
            )
            series = pd.concat([observed, forecast])
            history = series.reindex(years).ffill().bfill().to_numpy(float)
            notes.append(f"History path: {selection.summary()}")
        else:
            notes.append(
                "Fallback: take-up path 'history' needs participation in two or more past school "
                "years (ganztag_places); the status quo is held"
            )
            path = "status_quo"
    return TakeUp(path, status_quo, settings.target, settings.ramp_years, history)


def _block_statistics(ctx, paths, setup: GanztagSetup) -> tuple[dict, dict]:
    """Variable -> statistics (S, Y, areas): one ``value`` row (S = 1) for one trajectory, else
    P10/P50/P90 over the draws, computed block by block of draws."""
    years = np.asarray(paths.years, dtype=int)
    if paths.draws == 1 and part_of(ctx) is None:
        arrays = project_block(paths.select(0, 1).population, years, setup)
        return {k: x for k, (x, _) in arrays.items()}, {k: u for k, (_, u) in arrays.items()}
    reducer, units = None, {}
    try:
        for first, _last, block in paths.blocks(ctx.block):
            arrays = project_block(block.population, years, setup)
            if reducer is None:
                units = {k: u for k, (_, u) in arrays.items()}
                shapes = {k: x.shape[2:] for k, (x, _) in arrays.items()}
                reducer = DrawReducer("ganztag", shapes, len(years), paths.draws, ctx.budget)
            reducer.add(first, {k: x for k, (x, _) in arrays.items()})
        keep_part_draws(
            ctx,  # a part run: the draws for jhplan merge (simulation.merge)
            "ganztag",
            reducer.store,
            shapes={k: list(v) for k, v in reducer.shapes.items()},
            units=units,
            codes=list(setup.codes),
            years=[int(y) for y in years],
        )
        stats = reducer.quantiles(QUANTILES)
    finally:
        if reducer is not None:
            reducer.store.close()
    return stats, units


def _participation_rows(observed: pd.Series) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "district": CITY_DISTRICT,
            "year": np.asarray(observed.index, dtype=int),
            "variable": "Ganztag|Participation",
            "unit": "share",
            "value": observed.to_numpy(float),
            "statistic": "value",
            "quantile": np.nan,
        }
    )


def _manifest(settings, takeup: TakeUp, areas: Catchments, observed, notes) -> dict:
    rule = settings.school_entry
    return {
        "year_convention": "year = school year starting 1 August; children from the 31.12. "
        "population of that year; district = district code, school:<code> or _city",
        "takeup_path": takeup.path,
        "status_quo": round(takeup.status_quo, 4),
        "target": takeup.target,
        "school_entry": {"month": rule.month, "day": rule.day, "source": rule.source},
        "rollout": {
            "first_school_year": settings.rollout.first_school_year,
            "grades": settings.rollout.grades,
        },
        "schools": list(areas.schools) if areas.given else [],
        "participation_observed": {int(k): round(float(v), 4) for k, v in observed.items()},
        "funding": settings.costs.funding,
        "price_year": settings.costs.price_year,
        "notes": notes,
    }


def _summary(stats: dict, years: np.ndarray, path: str) -> str:
    def city(variable: str, t: int) -> float:
        x = stats[variable]
        return float(x[min(1, x.shape[0] - 1), t, -1])  # P50 (or the one value)

    t = int(np.searchsorted(years, 2029)) if years[-1] >= 2029 else len(years) - 1
    y = int(years[t])
    text = (
        f"Ganztag ({path}) {y}/{(y + 1) % 100:02d}: {city('Ganztag|Entitled', t):,.0f} entitled, "
        f"demand {city('Ganztag|Demand|Total', t):,.0f}"
    )
    if "Ganztag|Gap" in stats:
        text += f", gap {city('Ganztag|Gap', t):+,.0f} places"
    return text
