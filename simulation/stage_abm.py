"""The ABM stage of a run: the HzE system month by month, classic vs Sozialraumorientierung.

Inputs: the population trajectories of the run and the HzE model (``simulation.stage_hze.fitted_hze``:
one fit per run, shared with the hze stage): monthly incidence
per Wirkungsraum and Hilfeart = expected begun cases per year / 12 for population draw d
(replicate d), durations, stocks and unit costs (``simulation.abm.inputs``). Wirkungsräume are
city.yaml's ``wirkungsraeume`` or else the districts' ``sozialraum`` groups.

Results (``model = abm``), monthly rows (``month`` 1..12) per Wirkungsraum (``district`` = its
code) and ``_city``; column ``variant`` ``classic`` and, unless ``service_model=classic``,
``<service_model>`` (the scenario is the run's); mean and quantiles 0.1 / 0.5 / 0.9 over replicates
(``replicate = -1``), plus per-replicate samples of the city's ``ABM|Cost|Total``,
``ABM|Cost difference|Total``, ``ABM|Running|Total``, ``ABM|Ended|Total`` and
``ABM|Stationary share`` (``statistic = sample``) when ``abm.samples``. The variables are
listed in ``simulation.abm.tables``. The one-at-a-time sensitivity table goes to
``abm_sensitivity.parquet`` and to results (``ABM|Sensitivity|Base``,
``ABM|Sensitivity|<parameter>|Low`` / ``|High``: EUR cumulative city cost difference after
``abm.sensitivity.months``, in the month where it is measured). Figures: ``abm_kostendifferenz.png``
(fan chart) and ``abm_tornado.png``. The manifest gets ``abm``: Wirkungsräume, calibration
errors per Hilfeart, the cost difference after 5 and 10 years (P10/P50/P90), notes.

Randomness: ``ctx.seed("abm")`` sub-sequence 0 for the replicates (replicate d: its spawn d, in
every scenario), sub-sequence 1 for the sensitivity analysis.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, replace

import numpy as np
import pandas as pd

from forecast.contract import CITY_DISTRICT
from forecast.hze.forecast import expected_begun, future_exposure
from forecast.population.estimate import population_array
from forecast.variables import (
    ABM,
    ABM_DIFFERENCE,
    ABM_ENDED,
    ABM_SENSITIVITY,
    ABM_SENSITIVITY_BASE,
    ABM_STATIONARY,
)
from simulation.abm.calibration import calibration_table
from simulation.abm.experiment import CLASSIC, Experiment, run_experiment
from simulation.abm.figures import fan_chart, tornado_chart
from simulation.abm.inputs import AbmInputs, wirkungsraeume
from simulation.abm.sensitivity import one_at_a_time, tornado_data
from simulation.abm.tables import UNITS, long_frames
from simulation.config_abm import check_abm_config, classic_params, sro_params
from simulation.config_hze import cost_assumptions
from simulation.results import ResultsWriter, to_results, write_results
from simulation.stage_hze import fitted_hze

SAMPLES = (
    ABM["Cost"].name(hilfeart="Total"),
    ABM_DIFFERENCE.pattern,
    # per replicate for `jhplan compare`'s SRO effect on cases and the stationary share
    ABM["Running"].name(hilfeart="Total"),
    ABM_ENDED.pattern,
    ABM_STATIONARY.pattern,
)


def abm_stage(ctx) -> str:
    """Simulate the HzE system of the city under the classic and the configured SRO model."""
    cfg, city, folder, paths = ctx.cfg, ctx.city, ctx.folder, ctx.population
    if paths is None:
        raise ValueError("the abm stage needs the population stage's trajectories")
    acfg = cfg.abm
    check_abm_config(acfg)
    logging.getLogger("MESA").setLevel(logging.WARNING)  # Mesa logs every step at INFO
    classic = classic_params(acfg)
    sro = sro_params(acfg)
    groups = wirkungsraeume(city)
    # With population draws, replicate r follows population draw r: the first `replicates` draws
    # (independent draws, so the first R are a random sample of the N).
    replicates = (
        min(paths.draws, int(acfg.replicates)) if paths.stochastic else int(acfg.replicates)
    )
    inputs = _inputs(ctx, groups, replicates)
    horizon = 12 * inputs.years
    months = horizon if acfg.months is None else int(acfg.months)
    if months > horizon:
        raise ValueError(f"abm.months={months}: the forecast covers {horizon} months")
    root = ctx.seed("abm")
    sub = [np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, k)) for k in (0, 1)]
    name = acfg.service_model
    scenarios = {} if name == CLASSIC else {name: sro}
    ex = run_experiment(inputs, classic, scenarios, replicates, sub[0], months, acfg.n_jobs)
    with ResultsWriter(folder.work, "abm") as writer:  # one variable at a time
        for label, runs in ex.runs.items():
            for frame in long_frames(runs, ex, samples=SAMPLES if acfg.samples else ()):
                writer.write(to_results(frame, "abm", cfg.scenario, folder.run_id, variant=label))
    calib = calibration_table(ex.classic, inputs)
    manifest = _manifest(ex, inputs, groups, calib, acfg, months, replicates)
    if scenarios and acfg.sensitivity.enabled:
        table = _sensitivity(
            ctx, inputs, classic, sro, sub[1], min(acfg.sensitivity.months, months)
        )
        manifest["sensitivity"] = table.drop(columns=["source"]).to_dict(orient="records")
    folder.manifest["abm"] = manifest
    if acfg.figures and scenarios:
        fan_chart(ex, name, city.name, folder.path("figures", "abm_kostendifferenz.png"))
    return _summary(ex, name, calib, replicates, len(groups))


def _inputs(ctx, groups: dict[str, tuple[str, ...]], replicates: int) -> AbmInputs:
    """ABM inputs from the run's HzE model and population trajectories (the first
    ``replicates`` draws when the population is stochastic)."""
    cfg, city, paths = ctx.cfg, ctx.city, ctx.population
    model = fitted_hze(ctx)  # the hze stage's fit if it ran, else the same fit here
    register, reg_years = population_array(city)
    years = np.arange(model.last_year + 1, int(paths.years[-1]) + 1)
    if years.size == 0:
        raise ValueError(
            f"abm: nothing to simulate: hze_cases end in {model.last_year}, the projection too"
        )
    # Block by block of draws (CONTRIBUTING.md): only the expected begun cases are kept.
    n, step = (replicates, max(int(ctx.block), 1)) if paths.stochastic else (1, 1)
    begun = np.concatenate(
        [
            expected_begun(
                model,
                future_exposure(
                    paths.select(first, min(first + step, n)) if paths.stochastic else paths,
                    register,
                    reg_years,
                    years,
                )[0],
                years,
            )
            for first in range(0, n, step)
        ]
    )
    # The hze scenario's change of the rates beyond the fitted model (hze.rate_change).
    change = float(cfg.hze.rate_change.value)
    begun = begun * np.exp(change * (years - model.last_year))[None, :, None, None]
    inputs = AbmInputs.from_hze(model, begun, years, groups, cost_assumptions(cfg.hze))
    if ctx.budget_shares is not None:  # the social stage's need-based Planbudget split
        inputs = replace(inputs, budget_shares=ctx.budget_shares[: years.size])
    return inputs


def _sensitivity(ctx, inputs, classic, sro, seed, months: int) -> pd.DataFrame:
    acfg, folder = ctx.cfg.abm, ctx.folder
    params = tuple(acfg.sensitivity.parameters) or None
    table = one_at_a_time(
        inputs, classic, sro, acfg.sensitivity.replicates, seed, months, params, acfg.n_jobs
    )
    table.to_parquet(folder.path("abm_sensitivity.parquet"), index=False)
    unit = ABM_SENSITIVITY.unit_for(months=months)
    year, month = inputs.start_year + (months - 1) // 12, (months - 1) % 12 + 1
    rows = [(ABM_SENSITIVITY_BASE.name(), float(table["outcome_base"].iloc[0]))]
    for _, r in table.iterrows():
        rows += [
            (ABM_SENSITIVITY.name(parameter=r["parameter"], end="Low"), r["outcome_low"]),
            (ABM_SENSITIVITY.name(parameter=r["parameter"], end="High"), r["outcome_high"]),
        ]
    long = pd.DataFrame(
        {
            "district": CITY_DISTRICT,
            "year": year,
            "month": month,
            "variable": [v for v, _ in rows],
            "unit": unit,
            "statistic": "mean",
            "value": [float(x) for _, x in rows],
        }
    )
    long = to_results(long, "abm", ctx.cfg.scenario, folder.run_id, variant=acfg.service_model)
    write_results(long, folder.work, part="abm_sensitivity")
    if acfg.figures:
        tornado_chart(
            tornado_data(table), months, ctx.city.name, folder.path("figures", "abm_tornado.png")
        )
    return table


def _manifest(
    ex: Experiment, inputs: AbmInputs, groups, calib: pd.DataFrame, acfg, months, replicates
) -> dict:
    out = {
        "service_model": acfg.service_model,
        "wirkungsraeume": {k: list(v) for k, v in groups.items()},
        "start_year": inputs.start_year,
        "months": months,
        "replicates": replicates,
        "hilfearten": list(inputs.codes),
        "calibration": calib.to_dict(orient="records"),
        "calibration_max_abs_error": float(calib["rel_error"].abs().max()),
        "variables": {f"ABM|{k}": v for k, v in UNITS.items()},
        "notes": list(dict.fromkeys([*inputs.notes, *ex.classic.notes])),
        "parameters": {"classic": asdict(classic_params(acfg))},
    }
    for name in ex.runs:
        if name != CLASSIC:
            out["parameters"]["sro"] = asdict(sro_params(acfg))
            out["cost_difference"] = {
                f"{m / 12:g} years": v for m, v in ex.difference_quantiles(name, _marks(ex)).items()
            }
    return out


def _marks(ex: Experiment) -> tuple[int, ...]:
    """Months at which the cost difference is reported: 5 and 10 years, or the run's end."""
    return tuple(m for m in (60, 120) if m <= ex.classic.months) or (ex.classic.months,)


def _summary(ex: Experiment, name: str, calib: pd.DataFrame, replicates: int, areas: int) -> str:
    worst = calib["rel_error"].abs().max()
    head = f"ABM {replicates} replicates, {areas} Wirkungsräume"
    if name == CLASSIC:
        return f"{head}: classic only; calibration max |error| {100 * worst:.1f} %"
    parts = []
    for m, q in ex.difference_quantiles(name, _marks(ex)).items():
        parts.append(
            f"after {m / 12:g} years EUR {q['P50'] / 1e6:+.1f} M ({q['P10'] / 1e6:+.1f} to "
            f"{q['P90'] / 1e6:+.1f}; {q['P50 %']:+.1f} %)"
        )
    return (
        f"{head}: {name} - classic cumulative cost {'; '.join(parts)} (P50, P10 to P90); "
        f"calibration max |error| {100 * worst:.1f} %"
    )
