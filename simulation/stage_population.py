"""The population stage of a run: variant path, optional stochastic draws, results and figures.

The variant (deterministic) projection is always written (``statistic = value``, single ages). With
``draws`` > 0 the stochastic projection adds quantiles, means and (optionally) samples per district
x sex x age group, and the demand models receive the N draws instead of the variant path.
"""

from __future__ import annotations

import dataclasses
from functools import partial

import numpy as np
import pandas as pd

from forecast.citydata import CityData
from forecast.contract import CITY_DISTRICT
from forecast.population.assumption_paths import describe_paths
from forecast.population.calibrate import calibrate
from forecast.population.combination import COMBINATION_GROUPS
from forecast.population.district_projection import CityProjection, project_city
from forecast.population.draws import (
    QUANTILES,
    RESULT_AGE_GROUPS,
    StochasticProjection,
    group_label,
    simulate_population,
)
from forecast.population.engine import ControlTotals, make_plan
from forecast.population.error_bands import widen_draws, widening
from forecast.population.estimate import (
    BaseRates,
    EstimationSettings,
    base_period,
    estimate_base_rates,
    population_array,
)
from forecast.population.paths import YOUNG_AGES, PopulationPaths
from forecast.population.projection import PopulationAssumptions, PopulationProjection
from forecast.population.stock_check import check_stocks, likely_cause
from forecast.reference import mortality_improvement_pattern
from forecast.variables import PERSONS
from simulation import figures
from simulation.blockjobs import keep_part_draws, part_of
from simulation.config import (
    combination_settings,
    estimation_settings,
    population_assumptions,
    stochastic_defaults,
)
from simulation.config_assumptions import assumption_paths, relative_paths
from simulation.district_figures import figure_districts
from simulation.explore_store import keep_young_draws
from simulation.figure_pool import FigurePool
from simulation.results import SAMPLES_PART, ResultsWriter, to_results, write_results


def population_stage(ctx) -> str:
    """Project the population; results, figures and the trajectories for the demand models."""
    cfg, city, folder = ctx.cfg, ctx.city, ctx.folder
    settings = estimation_settings(cfg.population)
    absolute = assumption_paths(cfg.population.assumptions, cfg.population.assumptions_file, city)
    assumptions = dataclasses.replace(population_assumptions(cfg.population), absolute=absolute)
    rates = estimate_base_rates(city, settings)
    control = None
    notes = list(rates.notes)
    if city.has("control_totals"):
        if cfg.population.control_totals:
            control = ControlTotals.from_table(city.table("control_totals"))
            notes.append(
                f"Control totals: districts scaled to the control_totals file in "
                f"{len(control.years)} years, {len(control.groups)} age group(s)"
            )
        else:
            notes.append(
                "Control totals: file present but switched off (population.control_totals)"
            )
    published = project_city(
        city,
        rates,
        settings,
        assumptions,
        cfg.horizon,
        control,
        combination_settings(cfg.population),
    )
    projection = published.projection
    cause = partial(_likely_cause, city, rates, settings)
    check_stocks(
        projection.population,
        projection.years,
        projection.districts,
        [str(a) for a in range(projection.population.shape[-1])],
        "projection",
        cause,
    )
    folder.manifest["fallbacks"].extend(n for n in notes if n.startswith("Fallback"))
    folder.manifest["population"] = {
        "base_year": rates.base_year,
        "horizon": cfg.horizon,
        "notes": notes,
        "diagnostics": rates.diagnostics,
        "district_method": _district_method(published),
        "variants": {
            "fertility": cfg.population.fertility.variant,
            "mortality": cfg.population.mortality.variant,
            "migration": cfg.population.migration.variant,
        },
        # Which path each quantity followed: an absolute path (file or preset) or the relative knob.
        "assumption_paths": describe_paths(absolute, relative_paths(cfg.population)),
        "mortality_improvement": mortality_improvement_pattern().label,
    }
    if absolute is not None:
        folder.manifest["population"]["assumptions_description"] = (
            cfg.population.assumptions.description
        )
    if published.expected is not None:
        folder.manifest["population"]["expected_error"] = published.expected.to_manifest()
    long = pd.concat([projection.to_long(), _expected_error_rows(published)], ignore_index=True)
    results = to_results(long, "population", cfg.scenario, folder.run_id)
    write_results(results, folder.work, part="population")
    summary = projection.summary()
    draws = None
    if cfg.draws > 0:
        draws = _stochastic(ctx, rates, settings, assumptions, control, published)
        part = part_of(ctx)
        reader, n = draws.young_draws, draws.draws
        if part is not None and draws.draws == part.draws:  # all draws computed (widening)
            reader, n = partial(_part_draws, draws.young_draws, part.first), part.size
        ctx.population = PopulationPaths(
            years=draws.years,
            districts=draws.districts,
            population=None,
            stochastic=True,
            reader=reader,
            n_draws=n,
        )
        summary += draws_summary(draws, part if draws.draws < cfg.draws else None)
    else:
        ctx.population = PopulationPaths(
            years=projection.years,
            districts=projection.districts,
            population=projection.population[None, ..., :YOUNG_AGES].copy(),
        )
    keep_young_draws(ctx)  # for jhplan explore (simulation/explore_store.py)
    if cfg.population.figures:
        _population_figures(city, projection, draws, folder, cfg.district_figures, ctx.figures)
    return summary


def _part_draws(read, offset: int, first: int, last: int) -> np.ndarray:
    """Draws ``first .. last - 1`` of a part that starts at draw ``offset`` of all draws."""
    return read(offset + first, offset + last)


def draws_summary(draws: StochasticProjection, part=None) -> str:
    """The summary line's part on the draws (city total, last year); a part run says which."""
    if part is not None:
        return f"; draws {part.first}..{part.last - 1} of {part.draws} (part {part.label})"
    total = draws.total_quantiles[-1, :, -1]
    return (
        f"; {draws.draws} draws: {int(draws.years[-1])} total P10 {total[QUANTILES.index(0.1)]:,.0f}"
        f" / P50 {total[QUANTILES.index(0.5)]:,.0f} / P90 {total[QUANTILES.index(0.9)]:,.0f}"
    )


def _stochastic(
    ctx,
    rates: BaseRates,
    settings: EstimationSettings,
    assumptions: PopulationAssumptions,
    control: ControlTotals | None,
    published: CityProjection,
) -> StochasticProjection:
    cfg, folder = ctx.cfg, ctx.folder
    sc = cfg.population.stochastic
    defaults = stochastic_defaults(sc)
    if sc.calibrate:
        # Backtests from earlier origins measure the method's own error: calendar-year absolute
        # paths (an official projection for the future) do not belong to those origins.
        processes, report = calibrate(
            ctx.city,
            rates,
            settings,
            dataclasses.replace(assumptions, absolute=None),
            defaults,
            use_backtests=sc.use_backtests,
        )
    else:
        processes, report = defaults, {"note": "calibration switched off: default processes"}
        folder.manifest["fallbacks"].append(
            "Fallback: stochastic processes not calibrated; defaults used"
        )
    scale = float(sc.variance_scale.value)
    processes = processes.scaled(scale)
    plan = make_plan(rates, assumptions, cfg.horizon, control)
    expected = published.expected_ape("Total")
    part = part_of(ctx)
    if part is not None and expected is not None and sc.widen_to_backtests:
        # The widening stretches every draw around the median of all draws, which one part does
        # not know: a part then computes all population draws (its results are one job's) and
        # hands only its own draws to the demand stages (population_stage).
        # Part 0 alone writes their results (the merge copies them).
        folder.manifest["draws_part"]["population"] = "whole (widened to backtest errors)"
        part = None
    sim = simulate_population(
        plan,
        rates.districts,
        processes,
        cfg.draws,
        ctx.seed("population"),
        chunk=ctx.block,
        budget=ctx.budget,
        young_ages=YOUNG_AGES,
        keep_samples=sc.write_samples or part is not None,  # a part keeps them for the merge
        draw_range=None if part is None else (part.first, part.last),
        reallocation=published.reallocation,
    )
    ctx.closing.append(sim.close)
    _check_draws(sim, partial(_likely_cause, ctx.city, rates, settings), ctx.block)
    widened = None
    if expected is not None and sc.widen_to_backtests:
        factor = widening(sim.total_quantiles[:, :, :-1], expected, QUANTILES)
        widened = {
            "max_factor": float(factor.max()),
            "district_years_widened": int((factor > 1).sum()),
            "of": int(factor[1:].size),
        }
        sim = widen_draws(
            sim, np.concatenate([factor, np.ones((len(factor), 1))], axis=1), QUANTILES
        )
    folder.manifest["population"]["stochastic"] = {
        "draws": cfg.draws,
        "variance_scale": scale,
        "calibration": report,
        "processes_used": processes.as_dict(),
        "spilled_to_disk": sim.spilled,
        "samples_written": bool(sc.write_samples),
        "widened_to_backtest_errors": widened,
        "quantiles": list(QUANTILES),
    }
    if part is None:  # one job, or a part that computed every draw
        if part_of(ctx) is None or part_of(ctx).index == 0:
            write_draw_results(folder, cfg.scenario, sim)
    else:  # the merge reduces and writes the draws of all parts
        keep_part_draws(
            ctx,
            "population_draws",
            sim.reduced,
            years=[int(y) for y in sim.years],
            districts=list(sim.districts),
            samples=bool(sc.write_samples),
        )
    if sim.reduced is not None:  # the samples are written: the demand models need only `young`
        sim.reduced.close()
    return sim


def write_draw_results(folder, scenario: str, sim: StochasticProjection) -> None:
    """Quantiles and means of the draws (part ``population_draws``) and, when kept, the draws
    themselves (``SAMPLES_PART``)."""
    with ResultsWriter(folder.work, "population_draws") as writer:
        writer.write(to_results(sim.to_long(), "population", scenario, folder.run_id))
    with ResultsWriter(folder.work, SAMPLES_PART) as writer:
        for columns in sim.sample_columns():
            writer.write_columns(
                scenario,
                len(columns["value"]),
                {
                    **columns,
                    "model": "population",
                    "run_id": folder.run_id,
                    "month": 0,
                    "unit": PERSONS,
                    "statistic": "sample",
                },
            )


def _likely_cause(city: CityData, rates: BaseRates, settings: EstimationSettings) -> str:
    _, period = base_period(city, settings.base_year, settings.base_period)
    internal = None if rates.internal is None else rates.internal.out_rate
    return likely_cause(city, period.flow_years, rates.out_rate, internal)


def _check_draws(sim: StochasticProjection, cause, block: int) -> None:
    """No draw, quantile or mean with impossible stocks; before the widening, which clips at 0."""
    districts = [*sim.districts, CITY_DISTRICT]
    groups = [group_label(lo, hi) for lo, hi in RESULT_AGE_GROUPS]
    check_stocks(sim.mean, sim.years, districts, groups, "mean of the draws", cause)
    check_stocks(np.moveaxis(sim.quantiles, 1, 0), sim.years, districts, groups, "draws", cause)
    if sim.young is not None:
        ages = [str(a) for a in range(YOUNG_AGES)]
        for first in range(0, sim.draws, block):
            draws = sim.young_draws(first, min(first + block, sim.draws))
            check_stocks(draws, sim.years, sim.districts, ages, "draws", cause)


def _expected_error_rows(published: CityProjection) -> pd.DataFrame:
    """``Expected error|<group>`` (%, population model) per district and projected year."""
    if published.expected is None:
        return pd.DataFrame(columns=["district", "year", "variable", "unit", "value"])
    years = published.projection.years[1:]
    districts = list(published.projection.districts)
    frames = []
    for group in ["Total", *COMBINATION_GROUPS]:
        ape = published.expected_ape(group)
        frames.append(
            pd.DataFrame(
                {
                    "district": np.tile(districts, len(years)),
                    "year": np.repeat(years, len(districts)),
                    "variable": f"Expected error|{group}",
                    "unit": "percent (mean absolute percentage error in backtests)",
                    "value": ape.reshape(-1),
                }
            ).dropna(subset=["value"])
        )
    return pd.concat(frames, ignore_index=True)


def _district_method(published: CityProjection) -> dict:
    """What the manifest says about how the districts were projected."""
    combined = published.reallocation is not None
    return {
        "method": "combination of district methods" if combined else "cohort component",
        **published.weights.to_manifest(),
    }


def _population_figures(
    city: CityData,
    projection: PopulationProjection,
    draws: StochasticProjection | None,
    folder,
    setting,
    pool: FigurePool,
) -> None:
    pop, years = population_array(city)
    names = {d.code: d.name for d in city.districts} | {CITY_DISTRICT: city.name}
    codes = list(projection.districts) + [CITY_DISTRICT]
    history = np.concatenate([pop, pop.sum(axis=1, keepdims=True)], axis=1).sum(axis=(-1, -2))
    proj = projection.population
    proj = np.concatenate([proj, proj.sum(axis=1, keepdims=True)], axis=1)
    y0, y1 = int(projection.years[0]), int(projection.years[-1])
    chosen = set(figure_districts(setting, codes[:-1]))
    for i, code in enumerate(codes):
        if code not in chosen:
            continue
        pool.submit(
            figures.pyramid,
            folder.path("figures", f"pyramid_{code}.png"),
            f"{names[code]}: Altersaufbau {y0} und {y1}",
            proj[0, i],
            proj[-1, i],
            y0,
            y1,
        )
        bands = None
        if draws is not None:
            q = draws.total_quantiles[:, :, i]
            bands = [
                (draws.years, q[:, QUANTILES.index(lo)], q[:, QUANTILES.index(hi)], label)
                for lo, hi, label in ((0.05, 0.95, "90 %-Intervall"), (0.1, 0.9, "80 %-Intervall"))
            ]
        pool.submit(
            figures.total_chart,
            folder.path("figures", f"total_{code}.png"),
            f"{names[code]}: Einwohner",
            {int(y): float(v) for y, v in zip(years, history[:, i], strict=True)},
            {
                int(y): float(v)
                for y, v in zip(projection.years, proj[:, i].sum(axis=(-1, -2)), strict=True)
            },
            bands,
        )
