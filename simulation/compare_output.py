"""``jhplan compare``: write a comparison folder (tables, charts, summary) and print the summary.

The folder (default ``<parent of the first RUN_DIR>/<timestamp>_compare``) is written like a run
folder: under a hidden temporary name, renamed when complete, never overwritten. It holds

* ``manifest.json``: task ``compare``, the inputs, the runs and their pairing, the methods;
* ``runs.csv``, ``pairs.csv``: the runs (label, scenario, seed, draws, overrides, path) and which
  run was compared with which;
* ``summary.csv`` / ``.parquet``: headline variables of the city per pair and year: the
  service-model effects first, then the differences that are not zero (``kind`` names pairs that
  differ only by seed);
* ``effects.parquet``, ``effects_pooled.csv``: the service-model effect (SRO minus classic) per
  pair and pooled over seeds, per budget year with P10/P50/P90 of the per-replicate difference;
* ``differences.parquet``: every lined-up row (run minus reference, same statistic);
* ``intervals.parquet``: per-replicate differences (mean, P10/P50/P90) where samples exist;
* ``summary.txt`` (the console summary) and ``charts/*.png`` (German labels): the effect per
  budget year first (``sro_effekt_<measure>.png``), the differences of the last year that are not
  zero (seeds-only pairs left out), one fan chart per headline variable.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

import pandas as pd

from simulation import report_charts
from simulation.compare import (
    HEADLINES,
    INDEPENDENT,
    KINDS_DE,
    MEDIANS,
    MIXED,
    PAIRED,
    VALUES,
    Comparison,
    compare_runs,
)
from simulation.compare_sro import MEASURE_TITLES, SAME_RUN, service_model_de
from simulation.compare_summary import headline_rows
from simulation.rundir import RunFolderExists, now_iso, open_run_folder


def runs_table(c: Comparison) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "label": r.label,
                "scenario": r.scenario,
                "seed": r.seed,
                "draws": r.draws,
                "run_id": r.run_id,
                "overrides": " ".join(r.manifest.get("overrides", [])),
                "path": str(r.path),
            }
            for r in c.runs
        ]
    )


def effect_charts(c: Comparison) -> dict[str, bytes]:
    """The service-model effect per budget year (P50, P10-P90 of the per-replicate difference),
    one chart per measure, one band per two scenarios (seeds pooled)."""
    out: dict[str, bytes] = {}
    if c.pooled.empty:
        return out
    yearly = c.pooled[c.pooled["year"] > 0]
    for measure, g in yearly.groupby("measure", sort=False):
        series = {
            f"{service_model_de(va)} – {service_model_de(vb)} ({s} vs {r})": b.set_index("year")[
                ["p10", "p50", "p90"]
            ].set_axis(["P10", "P50", "P90"], axis=1)
            for (s, r, va, vb), b in g.groupby(
                ["scenario", "reference_scenario", "a_variant", "b_variant"], sort=False
            )
        }
        if measure == "cost":
            scale, unit, _ = report_charts.money(g[["p10", "p90"]].to_numpy())
            decimals = 1
        else:
            scale, decimals = 1.0, 1
            unit = "Prozentpunkte" if measure == "stationary" else "Fälle"
        title = "Effekt: " + MEASURE_TITLES[measure].split(" (")[0]
        out[f"sro_effekt_{measure}.png"] = report_charts.fan_chart(
            series, title, unit, "Haushaltsjahr", scale=scale, decimals=decimals, zero_line=True
        )
    return out


def charts(c: Comparison) -> dict[str, bytes]:
    """The effect charts, one bar chart of the differences that are not zero, one fan chart per
    headline variable (every run)."""
    out = effect_charts(c)
    year, rows = headline_rows(c.summary)
    rows = rows[rows["difference_pct"].notna()]
    if year is not None and not rows.empty:
        out[f"differences_{year}.png"] = report_charts.difference_bars(
            rows, f"Unterschiede zur Referenz {c.reference}, {year}"
        )
    for (variable, variant), lv in c.levels.groupby(["variable", "variant"], sort=False):
        series = {
            label: g.set_index("year")[["lo", "value", "hi"]].set_axis(
                ["P10", "P50", "P90"], axis=1
            )
            for label, g in lv.groupby("label", sort=False)
        }
        money = "Euro" in HEADLINES[variable]
        scale, unit, decimals = report_charts.money(lv["value"]) if money else (1.0, "", 0)
        title = HEADLINES[variable] + (f" ({variant})" if variant else "")
        slug = variable.replace("|", "_").lower() + (f"_{variant}" if variant else "")
        out[f"{slug}.png"] = report_charts.fan_chart(
            series, title, unit or title, "Jahr", scale=scale, decimals=decimals
        )
    return out


def write_comparison(c: Comparison, out: Path, inputs: list[str]) -> Path:
    """Write the comparison folder atomically; returns its path."""
    with open_run_folder(out) as folder:
        folder.manifest.update(
            {
                "task": "compare",
                "run_id": folder.run_id,
                "created_at": now_iso(),
                "inputs": [str(Path(p).resolve()) for p in inputs],
                "reference": c.reference,
                "runs": runs_table(c).to_dict(orient="records"),
                "pairs": c.pairs.to_dict(orient="records"),
                "methods": {
                    "differences": "run minus its reference run, same statistic (value, mean, "
                    "quantile): a difference of quantiles, not a quantile of differences",
                    "intervals": f"{PAIRED}; {INDEPENDENT}",
                    "effects": f"{SAME_RUN}; {PAIRED}; {INDEPENDENT}",
                    "summary": [SAME_RUN, PAIRED, INDEPENDENT, MEDIANS, VALUES, MIXED],
                    "kinds": KINDS_DE,
                },
            }
        )
        runs_table(c).to_csv(folder.path("runs.csv"), index=False)
        c.pairs.to_csv(folder.path("pairs.csv"), index=False)
        c.summary.to_csv(folder.path("summary.csv"), index=False)
        c.summary.to_parquet(folder.path("summary.parquet"), index=False)
        c.differences.to_parquet(folder.path("differences.parquet"), index=False)
        c.intervals.to_parquet(folder.path("intervals.parquet"), index=False)
        c.levels.to_parquet(folder.path("levels.parquet"), index=False)
        c.effects.to_parquet(folder.path("effects.parquet"), index=False)
        c.pooled.to_csv(folder.path("effects_pooled.csv"), index=False)
        folder.path("summary.txt").write_text(c.summary_text() + "\n", encoding="utf-8")
        for name, png in charts(c).items():
            folder.path("charts", name).write_bytes(png)
    return Path(out).resolve()


def compare_command(argv: list[str]) -> int:
    """``jhplan compare RUN_DIR... [--out DIR] [--reference NAME]``."""
    parser = argparse.ArgumentParser(
        prog="jhplan compare",
        description="Compare runs or sweeps: differences per scenario, with intervals where "
        "per-draw samples allow them.",
    )
    parser.add_argument("runs", nargs="+", type=Path, help="run folders or sweep folders")
    parser.add_argument("--out", type=Path, help="comparison folder to create (must not exist)")
    parser.add_argument(
        "--reference", help="reference scenario or run label (default: baseline, else the first)"
    )
    args = parser.parse_args(argv)
    try:
        comparison = compare_runs(list(args.runs), args.reference)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        out = args.out or Path(args.runs[0]).resolve().parent / f"{stamp}_compare"
        written = write_comparison(comparison, out, [str(p) for p in args.runs])
    except (ValueError, RunFolderExists) as err:
        print(f"jhplan compare: {err}", file=sys.stderr)
        return 1
    print(comparison.summary_text())
    print(f"comparison folder: {written}")
    return 0
