"""The Kita stage of a run: children, demand, places and gap per district and Kita year.

**Year convention.** Every Kita row carries ``year`` = the calendar year in which the Kita year
starts on 1 August (2025 = Kita year 2025/26). Its children are counted from the population at
31.12. of that year (``forecast.kita.cohorts``). The observed Betreuungsquote of 1 March m is
written for Kita year m - 1 (the Kita year that 1 March falls in; Destatis denominator 31.12. of
m - 1).

Variables (``model = kita``; districts and ``_city``):

* ``Kita|Children|U3`` (and ``|U3|Age 0``, ``|Age 1``, ``|Age 2``), ``Kita|Children|Ue3``,
  ``Kita|Children|School entry``: children at 1 August (persons).
* ``Kita|Demand quota|U3``, ``|Ue3``: demand / children (share).
* ``Kita|Demand|U3`` (Kita and Tagespflege), ``|U3|Kita``, ``|U3|Tagespflege``, ``|Ue3``
  (children); ``Kita|Demand FTE|U3``, ``|Ue3``: Kita demand in full-time place equivalents.
* With ``kita_places``: ``Kita|Places|U3``, ``|Ue3`` (places), ``Kita|Gap|U3``, ``|Ue3`` (Kita
  demand - places; positive = places missing), ``Kita|Gap groups|U3``, ``|Ue3`` (groups to
  build). The city's places and gap need every district's places.
* With ``kita_children``: ``Kita|Participation|U3``, ``|Ue3`` for past Kita years, by setting
  (``|Kita``, ``|Tagespflege``) and single age (``|U3|Age 0`` ...) where the data allow.

With N population draws (N > 1) the projected variables are P10/P50/P90 over the draws
(``statistic = quantile``), draw d of the population giving draw d of the demand; with one
trajectory they are ``statistic = value`` rows. Figures: ``figures/kita_<district>.png``.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from forecast.citydata import CityData
from forecast.contract import CITY_DISTRICT
from forecast.drawstore import DrawReducer
from forecast.kita.cohorts import SCHOOL_ENTRY_BY_STATE, kita_cohorts
from forecast.kita.demand import KitaDemand, project_demand
from forecast.kita.model_choice import history_shifts, select_quota_models
from forecast.kita.participation import observed_participation
from forecast.kita.supply import kita_gap, places_by_kita_year
from forecast.population.estimate import population_array
from forecast.variables import BAND
from simulation.blockjobs import draw_seeds, keep_part_draws, part_of
from simulation.config_kita import KitaSettings, kita_settings
from simulation.district_figures import figure_districts
from simulation.figure_pool import FigurePool
from simulation.figures_kita import demand_vs_places
from simulation.results import band_rows, to_results, write_results

QUANTILES = BAND  # P10, P50, P90 (forecast.variables)
GROUP_VARIABLE = {
    "U3": "U3",
    "Ue3": "Ue3",
    "U3|0": "U3|Age 0",
    "U3|1": "U3|Age 1",
    "U3|2": "U3|Age 2",
}
SETTING_SUFFIX = {"all": "", "kita": "|Kita", "tagespflege": "|Tagespflege"}


def kita_stage(ctx) -> str:
    """Kita demand, places and gap for every population draw; results, manifest, figures."""
    cfg, city, folder = ctx.cfg, ctx.city, ctx.folder
    if ctx.population is None:
        raise ValueError("the kita stage needs the population stage's trajectories")
    state = city.meta.get("state")
    settings = kita_settings(cfg.kita, state)
    paths = ctx.population
    notes: list[str] = []
    if (
        cfg.kita.school_cutoff.value is None
        and str(state or "").upper() not in SCHOOL_ENTRY_BY_STATE
    ):
        notes.append(
            f"Fallback: no school-entry rule for state {state!r}; NRW cut-off 30 September "
            "(set kita.school_cutoff)"
        )
    participation = _participation(city, settings, notes)
    selections = select_quota_models(participation, paths.districts, settings)
    shifts = {"U3": None, "Ue3": None}
    demand_settings = settings.demand
    if demand_settings.path == "history":
        if selections:
            rngs = None
            if paths.draws > 1 or part_of(ctx) is not None:  # a part: draws of the whole run
                seeds = draw_seeds(ctx, ctx.seed("kita"), paths.draws)
                rngs = [np.random.default_rng(s) for s in seeds]
            shifts = history_shifts(selections, paths.years, paths.districts, rngs, paths.draws)
        else:
            notes.append(
                "Fallback: quota path 'history' without an observed Betreuungsquote "
                "(no kita_children); the constant demand quotas are used"
            )
            demand_settings = replace(demand_settings, path="constant")
    places = None
    if city.has("kita_places"):
        places = places_by_kita_year(city.table("kita_places"), paths.years, paths.districts)
    else:
        notes.append(
            "Fallback: no kita_places file; Kita demand without places, no gap "
            "(Kita|Places and Kita|Gap not written)"
        )
    stats, units, cohorts = _block_statistics(ctx, paths, settings, demand_settings, shifts, places)
    long = pd.concat([_projected_rows(stats, units, paths), _participation_rows(participation)])
    write_results(
        to_results(long, "kita", cfg.scenario, folder.run_id).astype({"replicate": "int32"}),
        folder.work,
        part="kita",
    )
    folder.manifest["fallbacks"].extend(n for n in notes if n.startswith("Fallback"))
    folder.manifest["kita"] = _manifest(settings, cohorts, participation, selections, notes)
    if cfg.kita.figures:
        _figures(city, paths, stats, folder, cfg.district_figures, ctx.figures)
    return _summary(stats, paths, demand_settings.path)


def _block_statistics(ctx, paths, settings: KitaSettings, demand_settings, shifts, places):
    """The Kita variables of every draw, block by block of draws, reduced over the draws.

    Returns:
        (variable -> statistics (S, Y, D+1): one ``value`` row (S = 1) for one trajectory and
        for places (inputs), else P10/P50/P90; variable -> unit; the cohorts of the last block,
        whose month shares the manifest reports).
    """

    def block_shift(shift: np.ndarray | None, first: int, last: int) -> np.ndarray | None:
        return shift if shift is None or shift.shape[0] == 1 else shift[first:last]

    stats, units, fixed, reducer, cohorts = {}, {}, {}, None, None
    try:
        for first, last, block in paths.blocks(ctx.block):
            cohorts = kita_cohorts(
                block.population,
                block.years,
                block.districts,
                settings.month_shares,
                settings.school_entry,
            )
            demand = project_demand(
                cohorts,
                demand_settings,
                block_shift(shifts["U3"], first, last),
                block_shift(shifts["Ue3"], first, last),
            )
            arrays = _variables(cohorts, demand, places, settings)
            if reducer is None:
                units = {k: unit for k, (_, unit) in arrays.items()}
                # Places are an input, the same in every draw: one value row.
                fixed = {k: x[:1] for k, (x, _) in arrays.items() if k.startswith("Kita|Places|")}
                shapes = {k: x.shape[2:] for k, (x, _) in arrays.items() if k not in fixed}
                reducer = DrawReducer("kita", shapes, len(paths.years), paths.draws, ctx.budget)
            reducer.add(first, {k: x for k, (x, _) in arrays.items() if k not in fixed})
        keep_part_draws(
            ctx,  # a part run: the draws for jhplan merge (simulation.merge)
            "kita",
            reducer.store,
            shapes={k: list(v) for k, v in reducer.shapes.items()},
            units={k: units[k] for k in reducer.shapes},
            path=demand_settings.path,
            codes=[*paths.districts, CITY_DISTRICT],
            years=[int(y) for y in paths.years],
        )
        if paths.draws == 1:
            stats = _single(reducer)
        else:
            stats = reducer.quantiles(QUANTILES)
    finally:
        if reducer is not None:
            reducer.store.close()
    stats.update(fixed)
    return stats, units, cohorts


def _single(reducer: DrawReducer) -> dict[str, np.ndarray]:
    """The one trajectory's values, (1, Y, D+1) per variable."""
    out = {name: np.empty((1, reducer.years, *shape)) for name, shape in reducer.shapes.items()}
    for k, year in reducer.by_year():
        for name, values in year.items():
            out[name][:, k] = values
    return out


def _participation(city: CityData, settings: KitaSettings, notes: list[str]) -> pd.DataFrame:
    if not city.has("kita_children"):
        notes.append(
            "Fallback: no kita_children file; no observed Betreuungsquote (Kita|Participation)"
        )
        return pd.DataFrame()
    pop, years = population_array(city)
    table = observed_participation(
        city.table("kita_children"),
        pop,
        years,
        city.district_codes,
        settings.age6_weight,
        city.exclude_years,
    )
    skipped = sorted(set(city.table("kita_children")["year"] - 1) & set(city.exclude_years))
    if skipped:
        notes.append(
            f"Betreuungsquote not computed for Kita year(s) {skipped}: their 31.12. register "
            "year is in exclude_years"
        )
    return table


def _variables(cohorts, demand: KitaDemand, places, settings: KitaSettings) -> dict:
    """Variable -> (array (N, Y, D + 1) with the city last, unit)."""

    def with_city(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        return np.concatenate([x, x.sum(axis=-1, keepdims=True)], axis=-1)

    n = demand.demand_u3.shape[0]
    shape = (n, *demand.demand_u3.shape[1:])
    out = {
        "Kita|Children|U3": (with_city(np.broadcast_to(cohorts.u3, shape)), "children"),
        "Kita|Children|Ue3": (with_city(np.broadcast_to(cohorts.ue3, shape)), "children"),
        "Kita|Children|School entry": (
            with_city(np.broadcast_to(cohorts.school_entry, shape)),
            "children",
        ),
    }
    for a in range(3):
        out[f"Kita|Children|U3|Age {a}"] = (
            with_city(np.broadcast_to(cohorts.u3_by_age[..., a], shape)),
            "children",
        )
    demands = {
        "Kita|Demand|U3": demand.demand_u3,
        "Kita|Demand|U3|Kita": demand.demand_u3_kita,
        "Kita|Demand|U3|Tagespflege": demand.demand_u3_tagespflege,
        "Kita|Demand|Ue3": demand.demand_ue3,
    }
    out.update({k: (with_city(v), "children") for k, v in demands.items()})
    fte = "full-time place equivalents"
    out["Kita|Demand FTE|U3"] = (with_city(demand.fte_u3), f"{fte} (Kita)")
    out["Kita|Demand FTE|Ue3"] = (with_city(demand.fte_ue3), fte)
    for group in ("U3", "Ue3"):
        d, c = out[f"Kita|Demand|{group}"][0], out[f"Kita|Children|{group}"][0]
        with np.errstate(invalid="ignore", divide="ignore"):
            out[f"Kita|Demand quota|{group}"] = (np.where(c > 0, d / c, np.nan), "share")
    if places is not None:
        kita_demand = {"u3": demand.demand_u3_kita, "ue3": demand.demand_ue3}
        for g, (label, k) in enumerate((("U3", "u3"), ("Ue3", "ue3"))):
            seats = places[..., g]  # (Y, D); NaN where unknown
            gap = kita_gap(kita_demand[k], seats)
            groups = settings.forms.groups(gap, k, settings.share_45h)
            # The city's places and gap exist only where every district's places are known.
            city_seats = seats.sum(axis=-1, keepdims=True)
            out[f"Kita|Places|{label}"] = (
                np.broadcast_to(
                    np.concatenate([seats, city_seats], axis=-1), shape[:2] + (seats.shape[1] + 1,)
                ),
                "places",
            )
            city_gap = kita_demand[k].sum(axis=-1, keepdims=True) - city_seats[None]
            out[f"Kita|Gap|{label}"] = (np.concatenate([gap, city_gap], axis=-1), "places")
            out[f"Kita|Gap groups|{label}"] = (with_city(groups), settings.forms.unit(k))
    return out


def _projected_rows(stats: dict, units: dict, paths) -> pd.DataFrame:
    """Long rows: values (one trajectory, places) or P10/P50/P90 over the draws; NaN dropped."""
    codes = [*paths.districts, CITY_DISTRICT]
    return band_rows(stats, units, codes, np.asarray(paths.years, dtype=int), QUANTILES)


def _participation_rows(table: pd.DataFrame) -> pd.DataFrame:
    if table.empty:
        return pd.DataFrame(columns=["district", "year", "variable", "unit", "value"])
    # By single age only for both settings together; by setting only for U3 and Ü3.
    table = table[~table["group"].str.contains("|", regex=False) | (table["setting"] == "all")]
    variable = (
        "Kita|Participation|"
        + table["group"].map(GROUP_VARIABLE)
        + table["setting"].map(SETTING_SUFFIX)
    )
    return pd.DataFrame(
        {
            "district": table["district"],
            "year": table["kita_year"].astype(int),
            "variable": variable,
            "unit": "share",
            "value": table["quota"].astype(float),
            "statistic": "value",
            "quantile": np.nan,
        }
    )


def _manifest(settings: KitaSettings, cohorts, participation, selections, notes) -> dict:
    rule = settings.school_entry
    models = {}
    for (group, district), (series, sel) in selections.items():
        fc = sel.forecast(settings.horizon, settings.level)
        last = int(series.index.max())
        models.setdefault(group, {})[district] = {
            "chosen": sel.chosen,
            "note": sel.note,
            "scores_mae": {k: round(v, 5) for k, v in sel.scores.items() if np.isfinite(v)},
            "last_observed": {"kita_year": last, "quota": round(float(series.loc[last]), 4)},
            "forecast": {
                "kita_years": list(range(last + 1, last + 1 + settings.horizon)),
                "mean": [round(float(v), 4) for v in fc.mean],
                f"lo_{settings.level:g}": [round(float(v), 4) for v in fc.lo],
                f"hi_{settings.level:g}": [round(float(v), 4) for v in fc.hi],
            },
        }
    return {
        "year_convention": "year = Kita year starting 1 August; children from the 31.12. "
        "population of that year; participation of 1 March m written for Kita year m-1",
        "quota_path": settings.demand.path,
        "school_entry": {"month": rule.month, "day": rule.day, "source": rule.source},
        "share_born_before_1_august": round(cohorts.share_before_start, 5),
        "share_born_by_cutoff": round(cohorts.share_by_cutoff, 5),
        "participation_years": sorted({int(y) for y in participation.get("kita_year", [])}),
        "quota_models": models,
        "notes": notes,
    }


def _band(x: np.ndarray) -> np.ndarray:
    """P10/P50/P90 statistics (3, Y, D+1) of a variable; one trajectory repeated three times."""
    return np.repeat(x, 3, axis=0) if x.shape[0] == 1 else x


def _figures(city: CityData, paths, stats: dict, folder, setting, pool: FigurePool) -> None:
    names = {d.code: d.name for d in city.districts} | {CITY_DISTRICT: city.name}
    codes = [*paths.districts, CITY_DISTRICT]
    demand = {"u3": _band(stats["Kita|Demand|U3|Kita"]), "ue3": _band(stats["Kita|Demand|Ue3"])}
    places = {"u3": stats.get("Kita|Places|U3"), "ue3": stats.get("Kita|Places|Ue3")}
    chosen = set(figure_districts(setting, codes[:-1]))
    for i, code in enumerate(codes):
        if code not in chosen:
            continue
        pool.submit(
            demand_vs_places,
            folder.path("figures", f"kita_{code}.png"),
            f"{names[code]}: Bedarf vs. Plätze",
            np.asarray(paths.years),
            {g: q[..., i] for g, q in demand.items()},
            {g: (None if p is None else p[0, :, i]) for g, p in places.items()},
        )


def _summary(stats: dict, paths, path: str) -> str:
    def city(variable: str, t: int) -> float:
        return float(_band(stats[variable])[QUANTILES.index(0.5), t, -1])

    y0, y1 = int(paths.years[0]), int(paths.years[-1])
    text = (
        f"Kita demand ({path}) {y0}/{(y0 + 1) % 100:02d}: U3 {city('Kita|Demand|U3', 0):,.0f}, "
        f"Ü3 {city('Kita|Demand|Ue3', 0):,.0f}; {y1}/{(y1 + 1) % 100:02d}: "
        f"U3 {city('Kita|Demand|U3', -1):,.0f}, Ü3 {city('Kita|Demand|Ue3', -1):,.0f}"
    )
    if "Kita|Gap|U3" in stats and np.isfinite(stats["Kita|Gap|U3"][:, 0, -1]).all():
        text += (
            f"; gap {y0}/{(y0 + 1) % 100:02d}: U3 {city('Kita|Gap|U3', 0):+,.0f}, "
            f"Ü3 {city('Kita|Gap|Ue3', 0):+,.0f} places"
        )
    return text
