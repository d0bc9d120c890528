"""The social stage of a run: social index and classes, Kennzahlen, need-based Planbudget split.

* **Index** (``social`` file): status and dynamics index per district, 4 x 3 classes and the
  share of alternative weightings that change a district's status class
  (``forecast.social.index``); randomness (the alternative weights) from ``ctx.seed("social")``.
* **Kennzahlen** (``forecast.social.kennzahlen``) per district, Wirkungsraum and ``_city``: past
  years from ``hze_cases`` (``statistic = value``), forecast years from the run's HzE model
  (``simulation.stage_hze.fitted_hze``) with the hze stage's own draws (same seeds, so draw d is
  the hze stage's draw d): mean and every quantile of ``forecast.variables.QUANTILES``
  (``replicate = -1``). These bands are the counterfactual of ``jhplan monitor``.
* **Planbudget** per Wirkungsraum and year: the city's expected HzE cost in the Sozialraumbudget's
  scope (catalogue ``sro_scope``) split by young inhabitants x need weight
  (``forecast.social.budget``); ``Social|Budget share`` and ``Social|Planbudget`` (mean over
  draws). With ``social.budget.abm`` the ABM's SRO Planbudget follows the same shares
  (``StageContext.budget_shares``).

Without a ``social`` file the stage says so (manifest fallback) and splits by the population under
21 only. The manifest gets ``social``: index year, indicators, weights, classes, formula, notes.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from forecast.contract import CITY_DISTRICT
from forecast.drawstore import DrawReducer
from forecast.hze.catalogue import sro_scope_codes
from forecast.hze.forecast import forecast_hze, future_exposure
from forecast.hze.history import load_history
from forecast.population.estimate import population_array
from forecast.social.budget import budget_shares, need_weights
from forecast.social.index import DYNAMICS_CLASSES, STATUS_CLASSES, SocialIndex, social_index
from forecast.social.kennzahlen import KENNZAHLEN, by_unit, kennzahlen, observed_kennzahlen
from forecast.variables import KENNZAHL, QUANTILES, SOCIAL
from simulation.abm.inputs import wirkungsraeume
from simulation.blockjobs import run_blocks
from simulation.config_hze import cost_assumptions
from simulation.config_social import index_spec
from simulation.results import to_results, write_results
from simulation.stage_hze import fitted_hze


def social_stage(ctx) -> str:
    """Index, classes, Kennzahlen and Planbudget split of the run's city."""
    cfg, city, folder, paths = ctx.cfg, ctx.city, ctx.folder, ctx.population
    if paths is None:
        raise ValueError("the social stage needs the population stage's trajectories")
    scfg = cfg.social
    spec = index_spec(scfg)
    codes = city.district_codes
    groups = wirkungsraeume(city)
    members = {w: [codes.index(d) for d in ds] for w, ds in groups.items()}
    units = np.array([*codes, *groups, CITY_DISTRICT])
    notes: list[str] = []
    index = _index(ctx, spec, notes)
    formula = scfg.budget.formula if index is not None else "population"
    weights = need_weights(
        index, formula, float(scfg.budget.beta.value), float(scfg.budget.spread.value)
    )
    model = fitted_hze(ctx)
    past = _past(city, model.last_year, members)
    years, stats, means = _projected(ctx, model, members, weights)
    frames = [past, _projected_rows(years, stats, means, units, list(groups))]
    if index is not None:
        frames.append(_index_rows(index, weights))
    long = pd.concat(frames, ignore_index=True)
    write_results(to_results(long, "social", cfg.scenario, folder.run_id), folder.work, "social")
    if scfg.budget.abm:
        ctx.budget_shares = means["share"]  # (F, W): the ABM's Planbudget split
    folder.manifest["fallbacks"].extend(n for n in notes if n.startswith("Fallback"))
    folder.manifest["social"] = _manifest(index, formula, groups, years, means, notes)
    return _summary(index, formula, groups, years, means, stats, units)


def _index(ctx, spec, notes: list[str]) -> SocialIndex | None:
    city, scfg = ctx.city, ctx.cfg.social
    if not city.has("social"):
        notes.append(
            f"Fallback: {city.name} has no social file: no social index and no classes; the "
            "Planbudget is split by the population under 21 only (formula population)"
        )
        return None
    try:
        index = social_index(
            city.table("social"),
            city.district_codes,
            spec,
            alternatives=int(scfg.index.alternatives),
            factor=float(scfg.sensitivity_factor.value),
            rng=np.random.default_rng(ctx.seed("social")),
        )
    except ValueError as e:
        notes.append(f"Fallback: no social index ({e}); the Planbudget follows the population")
        return None
    notes.extend(index.notes)
    return index


def _past(city, last_year: int, members) -> pd.DataFrame:
    """Observed Kennzahlen of the history years (``statistic = value``)."""
    obs = observed_kennzahlen(city, members, up_to=last_year)
    return pd.DataFrame(
        {
            "district": obs["unit"],
            "year": obs["year"],
            "variable": [KENNZAHL[k].name() for k in obs["kennzahl"]],
            "unit": [KENNZAHL[k].unit for k in obs["kennzahl"]],
            "statistic": "value",
            "value": obs["observed"],
        }
    )


def _projected(ctx, model, members, weights):
    """Kennzahlen, budget shares and Planbudget of every HzE draw, reduced over the draws.

    Returns:
        (forecast years (F,), Kennzahl -> quantiles (Q, F, U), name -> mean over draws:
        Kennzahlen (F, U), ``share`` (F, W), ``planbudget`` (F, W)).
    """
    cfg, city, paths = ctx.cfg, ctx.city, ctx.population
    register, reg_years = population_array(city)
    years = np.arange(model.last_year + 1, int(paths.years[-1]) + 1)
    if years.size == 0:
        raise ValueError(f"social: nothing to forecast: hze_cases end in {model.last_year}")
    n = paths.draws if paths.stochastic else int(cfg.hze.draws)
    root = ctx.seed("hze")  # the hze stage's draw seeds: draw d here is its draw d
    seeds = np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, 1)).spawn(n)
    costs, change = cost_assumptions(cfg.hze), float(cfg.hze.rate_change.value)
    history = load_history(city, up_to=model.last_year)
    stock = np.zeros((len(city.district_codes), len(model.codes)))
    if history is not None:
        at = [model.codes.index(h) for h in history.hilfearten]
        stock[:, at] = np.nan_to_num(history.running[-1])
    stock = by_unit(stock, members, axis=0)
    scope = np.isin(model.codes, sro_scope_codes())
    n_u, n_w = stock.shape[0], len(members)
    shapes = {k: (n_u,) for k in KENNZAHLEN} | {"share": (n_w,), "planbudget": (n_w,)}
    fixed = None if paths.stochastic else future_exposure(paths, register, reg_years, years)
    reducer = DrawReducer("social", shapes, len(years), n, ctx.budget)

    kept = ctx.hze_draws  # the hze stage's draws (same model, seeds and years) when it ran

    def hze_block(first: int, last: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
        if kept is not None:
            stored = kept.reducer.read_draws(first, last)
            return stored, stored["under21"]
        if fixed is None:
            exposure, u21 = future_exposure(paths.select(first, last), register, reg_years, years)
        else:
            exposure, u21 = fixed
        fc = forecast_hze(
            model, exposure, u21, years, last - first, seeds[first:last], costs, change
        )
        return fc.draws, fc.under21

    def block(first: int, last: int) -> None:
        draws, under21 = hze_block(first, last)
        d = {k: by_unit(draws[k], members, axis=2) for k in ("Running", "Ended", "Begun", "Cost")}
        before = np.concatenate(
            [np.broadcast_to(stock, d["Running"][:, :1].shape), d["Running"][:, :-1]], axis=1
        )
        out = kennzahlen(
            model.codes,
            d["Running"],
            d["Ended"],
            d["Begun"],
            before,
            by_unit(under21, members, axis=2),
            d["Cost"],
        )
        share = budget_shares(under21, weights, members)  # (n, F, W)
        out["share"] = share
        out["planbudget"] = share * d["Cost"][:, :, -1, scope].sum(-1)[..., None]
        reducer.write(first, out)

    with reducer:
        run_blocks(block, n, ctx.block, ctx.n_jobs)
        reducer.added = n
        stats = reducer.quantiles(QUANTILES)
        means = {k: np.empty((len(years), *s)) for k, s in shapes.items()}
        with warnings.catch_warnings():  # a ratio undefined in every draw stays NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            for k, year in reducer.by_year():
                for name, draws in year.items():
                    means[name][k] = np.nanmean(draws, axis=0)
    return years, stats, means


def _projected_rows(years, stats, means, units, areas) -> pd.DataFrame:
    frames = []
    for key in KENNZAHLEN:
        var = KENNZAHL[key]
        parts = [("mean", np.nan, means[key])]
        parts += [("quantile", q, stats[key][i]) for i, q in enumerate(QUANTILES)]
        for statistic, q, values in parts:
            frames.append(_frame(years, units, var.name(), var.unit, values, statistic, q))
    for key in ("share", "planbudget"):
        var = SOCIAL["Budget share" if key == "share" else "Planbudget"]
        values = means[key]
        names = np.array(areas)
        if key == "planbudget":  # the city's total with the Wirkungsräume
            values = np.concatenate([values, values.sum(-1, keepdims=True)], axis=-1)
            names = np.array([*areas, CITY_DISTRICT])
        frames.append(_frame(years, names, var.name(), var.unit, values, "mean", np.nan))
    out = pd.concat(frames, ignore_index=True)
    return out[np.isfinite(out["value"])]


def _frame(years, units, name, unit, values, statistic, q) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "district": np.tile(units, len(years)),
            "year": np.repeat(years, len(units)),
            "variable": name,
            "unit": unit,
            "statistic": statistic,
            "quantile": q,
            "value": np.asarray(values, float).ravel(),
        }
    )


def _index_rows(index: SocialIndex, weights) -> pd.DataFrame:
    columns = {
        "Status index": index.status,
        "Status class": index.status_class + 1.0,
        "Dynamics index": index.dynamics,
        "Dynamics class": None if index.dynamics_class is None else index.dynamics_class + 1.0,
        "Class change": index.class_change,
        "Need weight": weights,
    }
    frames = [
        pd.DataFrame(
            {
                "district": list(index.districts),
                "year": index.year,
                "variable": SOCIAL[key].name(),
                "unit": SOCIAL[key].unit,
                "statistic": "value",
                "value": np.asarray(values, float),
            }
        )
        for key, values in columns.items()
        if values is not None
    ]
    return pd.concat(frames, ignore_index=True)


def _manifest(index, formula, groups, years, means, notes) -> dict:
    out = {
        "formula": formula,
        "wirkungsraeume": {k: list(v) for k, v in groups.items()},
        "budget_shares_first_year": {
            w: round(float(s), 4) for w, s in zip(groups, means["share"][0], strict=True)
        },
        "forecast_years": [int(years[0]), int(years[-1])],
        "kennzahlen": {k.key: {"unit": k.unit, "source": k.source} for k in KENNZAHLEN.values()},
        "notes": list(notes),
        "index": None,
    }
    if index is not None:
        out["index"] = {
            "year": index.year,
            "indicators": list(index.indicators),
            "weights": [round(float(w), 4) for w in index.weights],
            "classes": index.table().to_dict(orient="records"),
        }
    return out


def _summary(index, formula, groups, years, means, stats, units) -> str:
    city = int(np.flatnonzero(units == CITY_DISTRICT)[0])
    mid = QUANTILES.index(0.5)
    eck = stats["Eckwert|HzE"][mid, :, city]
    head = (
        "no social index"
        if index is None
        else (
            f"social index {index.year} ({len(index.indicators)} indicators): "
            + ", ".join(
                f"{STATUS_CLASSES[c]} {int((index.status_class == c).sum())}"
                for c in range(len(STATUS_CLASSES))
                if (index.status_class == c).any()
            )
        )
    )
    if index is not None and index.dynamics_class is not None:
        head += "; dynamics " + ", ".join(
            f"{DYNAMICS_CLASSES[c]} {int((index.dynamics_class == c).sum())}" for c in range(3)
        )
    shares = ", ".join(
        f"{w} {100 * s:.0f} %" for w, s in zip(groups, means["share"][0], strict=True)
    )
    return (
        f"{head}; Planbudget split ({formula}) {int(years[0])}: {shares}; Eckwert HzE "
        f"{int(years[0])} {eck[0]:.0f} -> {int(years[-1])} {eck[-1]:.0f} per 10,000 under 21 (P50)"
    )
