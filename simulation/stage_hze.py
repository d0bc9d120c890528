"""The HzE stage of a run: fit the rate models, forecast cases and costs, write results and charts.

Results (``model = hze``), per forecast year x district (``_city`` = whole city) x Hilfeart (and
``Total`` = all Hilfearten forecast, § 35a included), each as the mean over draws and the quantiles
0.1 / 0.5 / 0.9 (``statistic = mean | quantile``, ``replicate = -1``):

============================  ===========================================================
``HzE|Begun|<h>``             cases begun during the year
``HzE|Ended|<h>``             cases ended during the year
``HzE|Running|<h>``           cases running at 31.12.
``HzE|Cases|<h>``             Fallzahl of the statistics: running at 31.12. + ended
``HzE|Case-months|<h>``       months of running help during the year (what costs follow)
``HzE|Cost|<h>``              EUR per budget (calendar) year, nominal
``HzE|Real cost|<h>``         EUR per budget year in prices of ``hze.costs.price_year``
``HzE|Rate|<h>``              Fallzahl per 10,000 persons under 21
============================  ===========================================================

Draws: one per population draw when the population is stochastic, else ``hze.draws``. Seeds come
from ``ctx.seed("hze")``: its sub-sequence 0 seeds the backtests that choose the models
(``fitted_hze``, the one fit the abm stage uses too), its
sub-sequence 1 is spawned once per draw (draw d always gets child d, however draws are chunked). The manifest gets ``hze`` (models chosen, backtest scores and
coverage, durations, base-year rates against the national ones) and the fallbacks used.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.citydata import CityData
from forecast.contract import CITY_DISTRICT
from forecast.hze.catalogue import CATALOGUE
from forecast.hze.forecast import HzeForecast, forecast_hze, future_exposure
from forecast.hze.history import HzeHistory, load_history, weighted_exposure
from forecast.hze.model import HzeModel, fit_hze
from forecast.hze.selection import coverage
from forecast.hze.streamed import HzeDraws
from forecast.population.estimate import population_array
from simulation.blockjobs import draw_seeds, keep_part_draws, run_blocks
from simulation.config_hze import cost_assumptions, history_end, hze_settings
from simulation.figure_pool import FigurePool
from simulation.results import ResultsWriter, to_results


def hze_stage(ctx) -> str:
    """Forecast HzE cases and costs from the population trajectories of the run."""
    cfg, city, folder, paths = ctx.cfg, ctx.city, ctx.folder, ctx.population
    if paths is None:
        raise ValueError("the hze stage needs the population stage's trajectories")
    settings, costs = hze_settings(cfg.hze), cost_assumptions(cfg.hze)
    base = int(paths.years[0])
    register, reg_years = population_array(city)
    history = load_history(city, up_to=history_end(cfg.hze, base))
    model = fitted_hze(ctx)
    root = ctx.seed("hze")
    draw_seq = np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, 1))
    years = np.arange(model.last_year + 1, int(paths.years[-1]) + 1)
    if years.size == 0:
        raise ValueError(
            f"hze: nothing to forecast: hze_cases end in {model.last_year}, the projection too"
        )
    n = paths.draws if paths.stochastic else int(cfg.hze.draws)
    seeds = draw_seeds(ctx, draw_seq, n)  # in a part run: its draws of the whole run
    change = float(cfg.hze.rate_change.value)
    if not paths.stochastic:  # one population path: its exposure serves every HzE draw
        fixed = future_exposure(paths, register, reg_years, years)
    kept = HzeDraws(years, model.districts, model.codes, n, costs.price_year, ctx.budget)
    ctx.closing.append(kept.reducer.store.close)  # kept for the social stage (ctx.hze_draws)

    def block(first: int, last: int) -> None:
        if paths.stochastic:  # draw d of the population feeds HzE draw d
            exposure, u21 = future_exposure(paths.select(first, last), register, reg_years, years)
        else:
            exposure, u21 = fixed
        fc = forecast_hze(
            model, exposure, u21, years, last - first, seeds[first:last], costs, change
        )
        kept.write(first, fc)

    run_blocks(block, n, ctx.block, ctx.n_jobs)
    kept.reducer.added = n
    keep_part_draws(
        ctx,  # a part run: the draws for jhplan merge (simulation.merge)
        "hze",
        kept.reducer.store,
        years=[int(y) for y in years],
        districts=list(model.districts),
        codes=list(model.codes),
        price_year=int(costs.price_year),
    )
    with ResultsWriter(folder.work, "hze") as writer:
        for frame in kept.long_frames():
            writer.write(to_results(frame, "hze", cfg.scenario, folder.run_id))
    city_fc = kept.city()
    ctx.hze_draws = kept
    folder.manifest["hze"] = _manifest(model, history, city_fc, settings, costs, cfg.hze.variant)
    if cfg.hze.figures:
        _figures(city, city_fc, folder, ctx.figures)
    return city_fc.summary()


def fitted_hze(ctx) -> HzeModel:
    """The run's HzE model: fitted on first use, then kept on the context (``ctx.hze_model``).

    The hze and abm stages share this one fit. Its seed is sub-sequence 0 of ``ctx.seed("hze")``
    (the backtests that choose the models), whichever stage asks first; its fallbacks go to the
    manifest once.
    """
    if ctx.hze_model is not None:
        return ctx.hze_model
    if ctx.population is None:
        raise ValueError("the HzE model needs the population stage's trajectories")
    city, base = ctx.city, int(ctx.population.years[0])
    register, reg_years = population_array(city)
    root = ctx.seed("hze")
    fit_seq = np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, 0))
    ctx.hze_model = fit_hze(
        load_history(city, up_to=history_end(ctx.cfg.hze, base)),
        city.district_codes,
        base,
        _base_exposure(register, reg_years, base),
        hze_settings(ctx.cfg.hze),
        seed=int(fit_seq.generate_state(1)[0]),
    )
    notes = ctx.hze_model.notes
    ctx.folder.manifest["fallbacks"].extend(n for n in notes if n.startswith("Fallback"))
    return ctx.hze_model


def _base_exposure(register: np.ndarray, years: np.ndarray, base: int) -> np.ndarray:
    """Weighted exposure of the base year (mid-year where the year before exists), (D, 11)."""
    at = int(np.flatnonzero(years == base)[0])
    return weighted_exposure(register[max(at - 1, 0) : at + 1], tuple(CATALOGUE))[-1]


def _manifest(
    model: HzeModel, history: HzeHistory | None, fc: HzeForecast, settings, costs, variant: str
) -> dict:
    out = {
        "variant": variant,
        "history": None if history is None else [int(history.years[0]), int(history.years[-1])],
        "forecast_years": [int(fc.years[0]), int(fc.years[-1])],
        "draws": int(fc.draws["Begun"].shape[0]),
        "hilfearten": {code: hm.describe() for code, hm in model.hilfearten.items()},
        "notes": list(model.notes),
        "variables": {f"HzE|{k}|<Hilfeart or Total>": v for k, v in fc.units().items()},
        "costs": {
            "price_year": costs.price_year,
            "growth": costs.growth,
            "growth_range": list(costs.growth_range),
            "inflation": costs.inflation,
            "per_case": sorted(costs.per_case),
        },
    }
    tables = [hm.backtest for hm in model.hilfearten.values() if hm.backtest is not None]
    if tables:
        out["backtest_coverage"] = coverage(pd.concat(tables, ignore_index=True))
    if history is not None:
        last = int(history.years[-1])
        observed = history.fallzahl_rate(last)
        out["base_year_rates"] = {
            "year": last,
            "unit": "Fallzahl per 10,000 under 21",
            "observed": {h: round(v, 1) for h, v in observed.items()},
            "national": {h: settings.national_rates.get(h) for h in observed},
            "national_range": {
                h: list(CATALOGUE[h].national_range) if CATALOGUE[h].national_range else None
                for h in observed
            },
        }
    return out


def _figures(city: CityData, fc: HzeForecast, folder, pool: FigurePool) -> None:
    """The city's cost fan and case lines, drawn by ``pool`` from the forecast's city arrays."""
    pool.submit(
        draw_figures,
        folder.path("figures", f"hze_kosten_{CITY_DISTRICT}.png"),
        folder.path("figures", f"hze_faelle_{CITY_DISTRICT}.png"),
        city.name,
        fc.years,
        fc.full("Cost")[:, :, -1, -1] / 1e6,
        fc.full("Real cost")[:, :, -1, -1] / 1e6,
        fc.price_year,
        fc.full("Cases")[:, :, -1, :-1],
        [CATALOGUE[code].short for code in fc.codes],
    )


def draw_figures(
    cost_path, cases_path, name: str, years, cost, real, price_year, cases, labels
) -> None:
    """Cost per budget year (fan, nominal, and the median in prices of ``price_year``) and cases
    per Hilfeart (median, P10-P90, log scale); ``cost``/``real`` (draws, years) in Mio. EUR,
    ``cases`` (draws, years, Hilfearten)."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    from simulation.figures import fan, finish_years_chart  # sets the Agg backend

    fig, ax = plt.subplots(figsize=(7.5, 4.0), dpi=100)
    fan(ax, years, cost, "#2c6fbb", "Median, nominal")
    ax.plot(
        years,
        np.median(real, 0),
        color="black",
        lw=1.2,
        ls="--",
        label=f"Median, in Preisen von {price_year}",
    )
    finish_years_chart(
        fig,
        ax,
        cost_path,
        f"{name}: Kosten der Hilfen zur Erziehung je Haushaltsjahr",
        "Haushaltsjahr",
        "Mio. Euro",
        legend="upper left",
    )

    fig, ax = plt.subplots(figsize=(7.5, 4.5), dpi=100)
    colours = plt.cm.tab20(np.linspace(0, 1, 20))[::2]  # ten distinct, then their light twins
    colours = np.concatenate([colours, plt.cm.tab20(np.linspace(0, 1, 20))[1::2]])
    for h, label in enumerate(labels):
        lo, mid, hi = np.quantile(cases[:, :, h], [0.1, 0.5, 0.9], axis=0)
        ax.plot(years, mid, lw=1.5, color=colours[h], label=label)
        ax.fill_between(years, lo, hi, color=colours[h], alpha=0.12, lw=0)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_yscale("log")
    ax.set_title(f"{name}: Fallzahl nach Hilfeart (Median, P10-P90)")
    ax.set_xlabel("Jahr")
    ax.set_ylabel("Fälle (Bestand 31.12. + beendet)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, frameon=False, ncol=2)
    fig.tight_layout()
    fig.savefig(cases_path)
    plt.close(fig)
