"""Compare runs: line scenarios up on the same variables and compute their differences.

``compare_runs`` reads any number of run or sweep folders with DuckDB (``simulation.rundb``) and
pairs every run with a run of the reference scenario:

* a run of another scenario is paired with a reference run of the **same root seed and number of
  draws** when there is one (common random numbers: draw d of one run and draw d of the other
  share their random numbers), else with the first reference run;
* a further run of the reference scenario is paired with another reference run of the same seed
  and draws (a reproducibility check: the difference must be exactly zero), else with the first
  reference run; a run is never compared with itself, and two runs only once.

The reference is a scenario name or a run's label; a label stands for its run first and then for
the other runs of its scenario (so that ``jhplan report RUN --compare SWEEP`` pairs the sweep's
scenarios seed by seed). Each pair has a ``kind`` from the two runs' configurations
(``RunInfo.scenario_config``): ``scenario`` (they differ), ``seeds only`` (they differ only by
seed or draws: every difference is seed noise, never an effect) or ``identical``.

Rows are lined up on model, service-model variant (ABM), district, year, month, variable,
statistic and quantile (and replicate for per-draw samples). Two kinds of difference result:

* ``differences``: for value, mean and quantile rows, run minus reference of the same statistic.
  The difference of two medians is **not** the median of the difference; it says how the central
  forecasts differ, not how uncertain that difference is.
* ``intervals``: where both runs wrote per-draw samples (``statistic = sample``), the difference is
  computed replicate by replicate and summarised by its mean and P10/P50/P90: an interval of the
  difference itself. ``method`` says whether the replicates were paired (same seed and draws, so
  that the interval shows the effect of the scenario alone) or independent.

``effects`` holds the service-model effect (``simulation.compare_sro``: Sozialraumorientierung
minus classic in the ABM's cost, Fallzahl and stationary share per budget year, replicate by
replicate), ``pooled`` the same over all pairs of the same two scenarios (seeds pooled).
``summary`` holds the headline variables of the city per year (``HEADLINES``) with both, the
effects first, then the differences that are not zero.

References:
    Law, A. M. (2015). Simulation Modeling and Analysis, 5th ed., ch. 11.2 (common random
    numbers; paired-t comparison of two systems).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.contract import CITY_DISTRICT
from forecast.variables import ABM
from simulation import compare_sro
from simulation.compare_summary import effect_tables, summary_table
from simulation.compare_terms import (  # noqa: F401 (re-exported for the report and workbook)
    HEADLINES,
    IDENTICAL,
    INDEPENDENT,
    KINDS_DE,
    MEDIANS,
    METHODS_DE,
    MIXED,
    PAIRED,
    SCENARIO,
    SEEDS_ONLY,
    VALUES,
)
from simulation.rundb import ABM_ANNUAL_COST, RunInfo, connect, find_runs

ABM_COST_TOTAL = ABM["Cost"].name(hilfeart="Total")

KEY = ("model", "variant", "district", "year", "month", "variable")


@dataclass(frozen=True)
class Comparison:
    """Runs lined up against their reference runs.

    Attributes:
        runs: the runs compared, labelled.
        reference: the reference scenario (or run label).
        pairs: run, ref (positions in ``runs``), label, reference_label, paired (same seed and
            draws), kind (scenario, seeds only, identical), matched_rows, unmatched_rows,
            max_abs_difference.
        differences: every lined-up row: run, ref, label, reference_label, key columns, unit,
            statistic, quantile, value, reference_value, difference.
        intervals: per-replicate differences where both runs have samples: key columns, unit,
            replicates, mean, p10, p50, p90, method.
        summary: headline variables of the city per pair and year: variable, title, unit, year,
            label, reference_label, value, value_lo, value_hi, reference_value, reference_lo,
            reference_hi, difference, difference_pct, difference_lo, difference_hi, method, kind
            (effects first, then differences that are not zero).
        effects: the service-model effect per pair (``simulation.compare_sro``): run, ref, label,
            reference_label, a_variant, b_variant, same_run, measure, year, replicates, mean,
            p10, p50, p90, value(_lo, _hi), reference_value(_lo, _hi), method, kind.
        pooled: the same over the pairs of kind ``scenario`` of the same two scenarios and service
            models, turned to SRO minus classic where one side is classic
            models (scenario, reference_scenario instead of run, ref and labels; pairs); year 0
            = the cost summed over the years every replicate covers (first_year..last_year).
        levels: the headline variables of every run (for charts): label, variable, year, value,
            lo, hi (P50 and P10/P90 over draws, or the value thrice).
    """

    runs: list[RunInfo]
    reference: str
    pairs: pd.DataFrame
    differences: pd.DataFrame
    intervals: pd.DataFrame
    summary: pd.DataFrame
    levels: pd.DataFrame
    effects: pd.DataFrame
    pooled: pd.DataFrame

    def summary_text(self, year: int | None = None) -> str:
        """The console summary (``simulation.compare_text``): the service-model effect with its
        interval first, then seeds-only pairs named as such, the pairs, the headline differences
        that are not zero."""
        from simulation.compare_text import summary_text

        return summary_text(self, year)


def compare_runs(paths: list[str | Path], reference: str | None = None) -> Comparison:
    """Read the runs in ``paths`` and line them up against the reference scenario.

    Args:
        paths: run folders and folders of runs (sweeps), in the order to list them.
        reference: reference scenario name or run label (default ``baseline`` if a run has it,
            else the first run's scenario).

    Raises:
        ValueError: a path holds no run, the reference names no run, or nothing can be paired.
    """
    return compare_run_infos(find_runs(paths), reference)


def compare_run_infos(runs: list[RunInfo], reference: str | None = None) -> Comparison:
    """``compare_runs`` for runs already found (e.g. a run still being written)."""
    ref_name, pairs = pair_runs(runs, reference)
    con = connect(runs)
    con.register("pairs_df", pairs[["run", "ref"]])
    con.execute(
        "CREATE TABLE pairs AS SELECT run::INTEGER AS run, ref::INTEGER AS ref FROM pairs_df"
    )
    join = " AND ".join(f"b.{k} = a.{k}" for k in KEY)
    differences = con.execute(
        f"""
        SELECT p.run, p.ref, {", ".join("a." + k for k in KEY)}, a.unit, a.statistic, a.quantile,
               a.value, b.value AS reference_value, a.value - b.value AS difference
        FROM pairs p
        JOIN results a ON a.run = p.run AND a.statistic <> 'sample'
        JOIN results b ON b.run = p.ref AND {join} AND b.statistic = a.statistic
             AND b.quantile IS NOT DISTINCT FROM a.quantile
             AND b.replicate IS NOT DISTINCT FROM a.replicate
        ORDER BY ALL
        """
    ).df()
    intervals = con.execute(
        f"""
        SELECT p.run, p.ref, {", ".join("a." + k for k in KEY)}, a.unit,
               count(*) AS replicates, avg(a.value - b.value) AS mean,
               quantile_cont(a.value - b.value, 0.1) AS p10,
               quantile_cont(a.value - b.value, 0.5) AS p50,
               quantile_cont(a.value - b.value, 0.9) AS p90
        FROM pairs p
        JOIN results a ON a.run = p.run AND a.statistic = 'sample'
        JOIN results b ON b.run = p.ref AND b.statistic = 'sample' AND {join}
             AND b.replicate = a.replicate
        GROUP BY ALL ORDER BY ALL
        """
    ).df()
    counts = con.execute(
        f"""
        WITH k AS (SELECT DISTINCT run, {", ".join(KEY)}, statistic, quantile, replicate
                   FROM results),
        n AS (SELECT run, count(*) AS n FROM k GROUP BY run),
        m AS (SELECT p.run, p.ref, count(*) AS matched FROM pairs p
              JOIN k a ON a.run = p.run
              JOIN k b ON b.run = p.ref AND {join} AND b.statistic = a.statistic
                   AND b.quantile IS NOT DISTINCT FROM a.quantile
                   AND b.replicate IS NOT DISTINCT FROM a.replicate
              GROUP BY ALL)
        SELECT p.run, p.ref, coalesce(na.n, 0) AS n_run, coalesce(nb.n, 0) AS n_ref,
               coalesce(m.matched, 0) AS matched
        FROM pairs p LEFT JOIN n na ON na.run = p.run LEFT JOIN n nb ON nb.run = p.ref
             LEFT JOIN m ON m.run = p.run AND m.ref = p.ref
        """
    ).df()
    intervals = pd.concat([intervals, _annual_abm_intervals(con, join)], ignore_index=True)
    levels = _levels(con, runs)
    diffs = compare_sro.replicate_differences(con, pairs, runs)
    con.close()
    labels = {i: r.label for i, r in enumerate(runs)}
    pairs = _pair_stats(pairs, differences, intervals, counts, runs)
    for frame in (differences, intervals):
        frame.insert(2, "label", frame["run"].map(labels))
        frame.insert(3, "reference_label", frame["ref"].map(labels))
    key = list(zip(pairs["run"], pairs["ref"], strict=True))
    paired = dict(zip(key, pairs["paired"], strict=True))
    kinds = dict(zip(key, pairs["kind"], strict=True))
    pair_of = list(zip(intervals["run"], intervals["ref"], strict=True))
    intervals["method"] = np.where([paired[k] for k in pair_of], PAIRED, INDEPENDENT)
    effects, pooled = effect_tables(diffs, runs, paired, kinds)
    if not effects.empty:  # the effects are differences of the pair too
        span = effects[["p10", "p90"]].abs().max(axis=1).groupby([effects["run"], effects["ref"]])
        biggest = span.max().to_dict()
        pairs["max_abs_difference"] = [
            max(m, biggest.get(k, 0.0))
            for m, k in zip(pairs["max_abs_difference"], key, strict=True)
        ]
    summary = summary_table(pairs, levels, intervals, effects)
    return Comparison(
        runs, ref_name, pairs, differences, intervals, summary, levels, effects, pooled
    )


def pair_runs(runs: list[RunInfo], reference: str | None) -> tuple[str, pd.DataFrame]:
    """Each run's reference run (see the module docstring).

    Returns:
        The reference name and a frame run, ref (positions in ``runs``), paired, kind.
    """
    if not runs:
        raise ValueError("no runs to compare")
    labels = [r.label for r in runs]
    scenarios = [r.scenario for r in runs]
    if reference is None:
        reference = "baseline" if "baseline" in scenarios else scenarios[0]
    if reference in labels and reference not in scenarios:
        first = labels.index(reference)  # the labelled run first, then the rest of its scenario
        refs = [first, *(i for i, s in enumerate(scenarios) if s == scenarios[first] != labels[i])]
        refs = list(dict.fromkeys(refs))
    elif reference in scenarios:
        refs = [i for i, s in enumerate(scenarios) if s == reference]
    else:
        raise ValueError(
            f"reference {reference!r} names no run; scenarios: {sorted(set(scenarios))}, "
            f"labels: {labels}"
        )
    rows: list[tuple[int, int, bool, str]] = []
    for i, run in enumerate(runs):
        if i == refs[0]:
            continue
        taken = {frozenset(r[:2]) for r in rows}  # two runs are compared once, not both ways
        candidates = [j for j in refs if j != i and frozenset((i, j)) not in taken]
        same = [j for j in candidates if _same_draws(runs[j], run)]
        j = same[0] if same else refs[0] if refs[0] in candidates else None
        if j is not None:
            rows.append((i, j, bool(same), pair_kind(run, runs[j])))
    if not rows:
        raise ValueError(f"nothing to compare: the reference {reference!r} is the only run")
    return reference, pd.DataFrame(rows, columns=["run", "ref", "paired", "kind"])


def pair_kind(a: RunInfo, b: RunInfo) -> str:
    """``scenario`` when the two runs' configurations differ (their scenario names when a
    manifest has no configuration), else ``identical`` with the same seed and draws, else
    ``seeds only``."""
    ca, cb = a.scenario_config, b.scenario_config
    differ = ca != cb if ca and cb else a.scenario != b.scenario
    if differ:
        return SCENARIO
    return IDENTICAL if _same_draws(a, b) else SEEDS_ONLY


def _same_draws(a: RunInfo, b: RunInfo) -> bool:
    return a.seed == b.seed and a.draws == b.draws


def _pair_stats(pairs, differences, intervals, counts, runs) -> pd.DataFrame:
    out = pairs.copy()
    out["label"] = [runs[i].label for i in out["run"]]
    out["reference_label"] = [runs[j].label for j in out["ref"]]
    c = counts.set_index(["run", "ref"]) if not counts.empty else None
    matched, unmatched, biggest = [], [], []
    for p in out.itertuples():
        if c is not None and (p.run, p.ref) in c.index:
            row = c.loc[(p.run, p.ref)]
            matched.append(int(row["matched"]))
            unmatched.append(int(row["n_run"] + row["n_ref"] - 2 * row["matched"]))
        else:
            matched.append(0)
            unmatched.append(0)
        d = differences.loc[
            (differences["run"] == p.run) & (differences["ref"] == p.ref), "difference"
        ]
        s = intervals.loc[(intervals["run"] == p.run) & (intervals["ref"] == p.ref)]
        values = np.concatenate([d.to_numpy(), s[["p10", "p90"]].to_numpy().ravel()])
        values = values[np.isfinite(values)]
        biggest.append(float(np.abs(values).max()) if values.size else 0.0)
    out["matched_rows"], out["unmatched_rows"] = matched, unmatched
    out["max_abs_difference"] = biggest
    return out


ANNUAL_ABM = f"""
    SELECT run, 'abm' AS model, variant, '{CITY_DISTRICT}' AS district, year, 0 AS month,
           '{ABM_COST_TOTAL}' AS variable, '{ABM["Cost"].unit}' AS unit, replicate, v AS value
    FROM ({ABM_ANNUAL_COST})
"""
"""Budget-year sums of the ABM's monthly city cost per replicate (``ABM_ANNUAL_COST``): the
quantiles of a yearly sum cannot be had from monthly quantiles, only from the replicates."""


def _annual_abm_intervals(con, join: str) -> pd.DataFrame:
    """Per-replicate differences of the ABM's yearly city cost (``ANNUAL_ABM``)."""
    con.execute(f"CREATE TEMP TABLE abm_annual AS {ANNUAL_ABM}")
    return con.execute(
        f"""
        SELECT p.run, p.ref, {", ".join("a." + k for k in KEY)},
               'EUR per year, nominal' AS unit, count(*) AS replicates,
               avg(a.value - b.value) AS mean,
               quantile_cont(a.value - b.value, 0.1) AS p10,
               quantile_cont(a.value - b.value, 0.5) AS p50,
               quantile_cont(a.value - b.value, 0.9) AS p90
        FROM pairs p
        JOIN abm_annual a ON a.run = p.run
        JOIN abm_annual b ON b.run = p.ref AND {join} AND b.replicate = a.replicate
        GROUP BY ALL ORDER BY ALL
        """
    ).df()


def _levels(con, runs: list[RunInfo]) -> pd.DataFrame:
    """P50 and P10/P90 (or the value) of the headline variables of the city, per run and year.

    The ABM's cost is the budget-year sum per replicate (``abm_annual``), one level per service
    model (``variant``).
    """
    names = ", ".join(f"'{v}'" for v in HEADLINES if not v.startswith("ABM|"))
    annual = con.execute(
        f"""
        SELECT run, variable, variant, year,
               CASE WHEN count(*) FILTER (quantile = 0.5) > 0 THEN 'median' ELSE 'value' END
                   AS kind,
               coalesce(max(value) FILTER (quantile = 0.5), max(value) FILTER (statistic = 'value'))
                   AS value,
               coalesce(max(value) FILTER (quantile = 0.1), max(value) FILTER (statistic = 'value'))
                   AS lo,
               coalesce(max(value) FILTER (quantile = 0.9), max(value) FILTER (statistic = 'value'))
                   AS hi
        FROM results
        WHERE district = '{CITY_DISTRICT}' AND month = 0 AND variable IN ({names})
              AND statistic IN ('value', 'quantile') AND variant = ''
        GROUP BY ALL
        """
    ).df()
    abm = con.execute(
        """
        SELECT run, variable, variant, year, 'median' AS kind, quantile_cont(value, 0.5) AS value,
               quantile_cont(value, 0.1) AS lo, quantile_cont(value, 0.9) AS hi
        FROM abm_annual GROUP BY ALL
        """
    ).df()
    levels = pd.concat([annual, abm], ignore_index=True)
    levels.insert(1, "label", levels["run"].map({i: r.label for i, r in enumerate(runs)}))
    return levels.sort_values(["variable", "variant", "run", "year"], ignore_index=True)
