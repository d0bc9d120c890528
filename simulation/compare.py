"""Compare runs: line scenarios up on the same variables and compute their differences.

``compare_runs`` reads any number of run or sweep folders with DuckDB (``simulation.rundb``) and
pairs every run with a run of the reference scenario:

* a run of another scenario is paired with a reference run of the **same root seed and number of
  draws** when there is one (common random numbers: draw d of one run and draw d of the other
  share their random numbers), else with the first reference run;
* a further run of the reference scenario is paired with another reference run of the same seed
  and draws (a reproducibility check: the difference must be exactly zero); a run is never
  compared with itself.

Rows are lined up on model, service-model variant (ABM), district, year, month, variable,
statistic and quantile (and replicate for per-draw samples). Two kinds of difference result:

* ``differences``: for value, mean and quantile rows, run minus reference of the same statistic.
  The difference of two medians is **not** the median of the difference; it says how the central
  forecasts differ, not how uncertain that difference is.
* ``intervals``: where both runs wrote per-draw samples (``statistic = sample``), the difference is
  computed replicate by replicate and summarised by its mean and P10/P50/P90: an interval of the
  difference itself. ``method`` says whether the replicates were paired (same seed and draws, so
  that the interval shows the effect of the scenario alone) or independent.

``summary`` holds the headline variables of the city per year (``HEADLINES``) with both.

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
from simulation.rundb import ABM_ANNUAL_COST, RunInfo, connect, find_runs

HEADLINES: dict[str, str] = {
    "Population|Total": "Einwohner",
    "Kita|Demand|U3": "Kita-Bedarf U3",
    "Kita|Demand|Ue3": "Kita-Bedarf Ü3",
    "Kita|Gap|U3": "Fehlende Kita-Plätze U3",
    "Kita|Gap|Ue3": "Fehlende Kita-Plätze Ü3",
    "HzE|Cases|Total": "HzE-Fallzahl",
    "HzE|Cost|Total": "HzE-Kosten (Euro, nominal)",
    "ABM|Cost|Total": "HzE-Kosten im Systemmodell (Euro je Jahr)",
}
"""City variables of the summary table and charts, with German labels."""

ABM_COST_TOTAL = ABM["Cost"].name(hilfeart="Total")

PAIRED = "per-replicate differences, paired (same seed and draws)"
INDEPENDENT = "per-replicate differences, independent replicates (different seed or draws)"
MEDIANS = "difference of medians (no interval of the difference: no per-draw samples)"
VALUES = "difference of values (deterministic runs)"
MIXED = "difference of a median and a value (one run without draws)"

METHODS_DE = {
    PAIRED: "Differenz je Simulationslauf, gepaart (gleicher Startwert, gleiche Zahl der Läufe)",
    INDEPENDENT: "Differenz je Simulationslauf, unabhängige Läufe (anderer Startwert)",
    MEDIANS: "Differenz der Mediane (kein Intervall der Differenz)",
    VALUES: "Differenz der Werte (ohne Simulationsläufe)",
    MIXED: "Differenz eines Medians und eines Werts (ein Lauf ohne Simulationsläufe)",
}
"""German wording of the methods, for the report and the workbook."""

KEY = ("model", "variant", "district", "year", "month", "variable")


@dataclass(frozen=True)
class Comparison:
    """Runs lined up against their reference runs.

    Attributes:
        runs: the runs compared, labelled.
        reference: the reference scenario (or run label).
        pairs: run, ref (positions in ``runs``), label, reference_label, paired (same seed and
            draws), matched_rows, unmatched_rows, max_abs_difference.
        differences: every lined-up row: run, ref, label, reference_label, key columns, unit,
            statistic, quantile, value, reference_value, difference.
        intervals: per-replicate differences where both runs have samples: key columns, unit,
            replicates, mean, p10, p50, p90, method.
        summary: headline variables of the city per pair and year: variable, title, unit, year,
            label, reference_label, value, value_lo, value_hi, reference_value, reference_lo,
            reference_hi, difference, difference_pct, difference_lo, difference_hi, method.
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

    def summary_text(self, year: int | None = None) -> str:
        """A few lines: the pairs, their largest differences, headline differences in ``year``
        (default: the last year all summary rows share)."""
        lines = [f"{len(self.runs)} run(s) compared; reference: {self.reference}"]
        for p in self.pairs.itertuples():
            kind = "paired" if p.paired else "unpaired"
            lines.append(
                f"  {p.label} vs {p.reference_label} ({kind}): {p.matched_rows:,} rows lined up, "
                f"{p.unmatched_rows:,} only in one of them; max |difference| "
                f"{p.max_abs_difference:.6g}"
            )
        if self.summary.empty:
            return "\n".join(lines)
        year = year or int(self.summary.groupby("variable")["year"].max().min())
        rows = self.summary[self.summary["year"] == year]
        if not rows.empty:
            lines.append(
                f"headline differences in {year} (P50; interval = P10..P90 of the difference):"
            )
        for r in rows.itertuples():
            interval = (
                f" [{r.difference_lo:+,.0f} .. {r.difference_hi:+,.0f}]"
                if np.isfinite(r.difference_lo)
                else ""
            )
            pct = f" ({r.difference_pct:+.1f} %)" if np.isfinite(r.difference_pct) else ""
            lines.append(
                f"  {r.label} - {r.reference_label}: {r.variable} {r.difference:+,.0f}{pct}{interval}"
            )
        return "\n".join(lines)


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
    con.close()
    labels = {i: r.label for i, r in enumerate(runs)}
    pairs = _pair_stats(pairs, differences, intervals, counts, runs)
    for frame in (differences, intervals):
        frame.insert(2, "label", frame["run"].map(labels))
        frame.insert(3, "reference_label", frame["ref"].map(labels))
    paired = dict(zip(pairs["run"], pairs["paired"], strict=True))
    intervals["method"] = np.where(intervals["run"].map(paired), PAIRED, INDEPENDENT)
    summary = _summary(pairs, levels, intervals)
    return Comparison(runs, ref_name, pairs, differences, intervals, summary, levels)


def pair_runs(runs: list[RunInfo], reference: str | None) -> tuple[str, pd.DataFrame]:
    """Each run's reference run (see the module docstring).

    Returns:
        The reference name and a frame run, ref, paired (positions in ``runs``).
    """
    if not runs:
        raise ValueError("no runs to compare")
    labels = [r.label for r in runs]
    scenarios = [r.scenario for r in runs]
    if reference is None:
        reference = "baseline" if "baseline" in scenarios else scenarios[0]
    if reference in labels and reference not in scenarios:
        refs = [labels.index(reference)]
    elif reference in scenarios:
        refs = [i for i, s in enumerate(scenarios) if s == reference]
    else:
        raise ValueError(
            f"reference {reference!r} names no run; scenarios: {sorted(set(scenarios))}, "
            f"labels: {labels}"
        )
    rows = []
    for i, run in enumerate(runs):
        candidates = [j for j in refs if j != i]
        same = [j for j in candidates if _same_draws(runs[j], run)]
        if same:
            if (same[0], i) not in {(r[0], r[1]) for r in rows}:  # not both ways round
                rows.append((i, same[0], True))
        elif candidates and i not in refs:
            rows.append((i, candidates[0], False))
    if not rows:
        raise ValueError(
            f"nothing to compare: every run is the reference {reference!r} and no two of them "
            "share seed and draws"
        )
    return reference, pd.DataFrame(rows, columns=["run", "ref", "paired"])


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


def _summary(pairs: pd.DataFrame, levels: pd.DataFrame, intervals: pd.DataFrame) -> pd.DataFrame:
    """Headline differences per pair and year, with an interval where samples allow one."""
    if levels.empty:
        return pd.DataFrame()
    city = intervals[
        (intervals["district"] == CITY_DISTRICT)
        & (intervals["month"] == 0)
        & intervals["variable"].isin(list(HEADLINES))
    ].set_index(["run", "ref", "variable", "variant", "year"])
    index = ["variable", "variant", "year"]
    rows = []
    for p in pairs.itertuples():
        a = levels[levels["run"] == p.run].set_index(index)
        b = levels[levels["run"] == p.ref].set_index(index)
        both = a.merge(b, left_index=True, right_index=True, suffixes=("", "_ref"))
        for (variable, variant, year), r in both.iterrows():
            key = (p.run, p.ref, variable, variant, year)
            lo = hi = np.nan
            method = {
                ("median", "median"): MEDIANS,
                ("value", "value"): VALUES,
            }.get((r["kind"], r["kind_ref"]), MIXED)
            if key in city.index:
                lo, hi = float(city.loc[key, "p10"]), float(city.loc[key, "p90"])
                method = PAIRED if p.paired else INDEPENDENT
            diff = float(r["value"] - r["value_ref"])
            rows.append(
                {
                    "variable": variable,
                    "variant": variant,
                    "title": HEADLINES[variable] + (f" ({variant})" if variant else ""),
                    "year": int(year),
                    "label": p.label,
                    "reference_label": p.reference_label,
                    "value": r["value"],
                    "value_lo": r["lo"],
                    "value_hi": r["hi"],
                    "reference_value": r["value_ref"],
                    "reference_lo": r["lo_ref"],
                    "reference_hi": r["hi_ref"],
                    "difference": diff,
                    "difference_pct": 100 * diff / r["value_ref"] if r["value_ref"] else np.nan,
                    "difference_lo": lo,
                    "difference_hi": hi,
                    "method": method,
                }
            )
    return pd.DataFrame(rows)
