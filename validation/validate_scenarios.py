"""Validation of the scenario layer on Konstanz: sweep, comparison, report and workbook.

Runs (or reads, with ``--sweep``) ``jhplan run -m experiment=baseline,neubau_plus,high_migration,
sozialraum draws=N`` plus a second baseline run with the same seed, then prints

1. the baseline twin: largest |difference| over every lined-up row (must be exactly 0);
2. per scenario the city's headline differences to the baseline in the planning year (base + 5)
   and the last year, P50 with the P10..P90 interval of the difference where samples allow it;
3. the Neubau scenario by Stadtteil: population and Kita demand differences in the last year of
   the housing plan, planned districts first (they gain, the others lose the internal movers);
4. the ABM's cost difference Sozialraum - classic per budget year (per replicate, paired);
5. report and workbook: wall time of the report stage, size of report.html, number of embedded
   images, sheets of finance.xlsx and the number of suppressed district x Hilfeart cells.

Run (about 8 minutes with 50 draws on the 2-core machine):

    .venv/bin/python validation/validate_scenarios.py [--draws 50] [--sweep DIR --twin DIR]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl
import pandas as pd

from simulation.compare import compare_runs
from simulation.report_data import RunData
from simulation.rundb import find_runs

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENTS = "baseline,neubau_plus,high_migration,sozialraum"
PLANNED = ("wollmatingen", "petershausenwest", "fuerstenberg", "paradies")


def jhplan(*args: str) -> None:
    res = subprocess.run(
        [sys.executable, "-m", "simulation.cli", *args], cwd=ROOT, capture_output=True, text=True
    )
    if res.returncode != 0:
        raise SystemExit(res.stderr[-3000:])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--draws", type=int, default=50)
    parser.add_argument("--sweep", type=Path, help="an existing sweep folder of the experiments")
    parser.add_argument("--twin", type=Path, help="an existing second baseline run")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="jhplan_scenarios_"))
    if args.sweep is None:
        jhplan("run", "-m", f"experiment={EXPERIMENTS}", f"draws={args.draws}", f"run_root={work}")
        (args.sweep,) = [p for p in work.iterdir() if p.name.endswith("_sweep")]
    if args.twin is None:
        draws = find_runs([args.sweep])[0].draws
        jhplan(
            "run",
            "experiment=baseline",
            "pipeline.stages=[population,kita,hze]",
            f"draws={draws}",
            f"run_root={work / 'twin'}",
        )
        (args.twin,) = list((work / "twin").iterdir())
    c = compare_runs([args.sweep, args.twin])

    print("1. baseline twin (same config and seed, two run folders)")
    for p in c.pairs.itertuples():
        if c.runs[p.run].scenario == c.runs[p.ref].scenario:
            print(
                f"   {p.label} vs {p.reference_label}: {p.matched_rows:,} rows, "
                f"max |difference| = {p.max_abs_difference!r}"
            )

    print("\n2. headline differences to the baseline (P50; [P10..P90] of the difference)")
    s = c.summary[c.summary["label"].map(lambda x: not x.startswith("baseline"))]
    first = int(s["year"].min())
    for year in (first + 5, int(s.groupby("variable")["year"].max().min())):
        print(f"   {year}")
        for r in s[s["year"] == year].itertuples():
            interval = (
                f" [{r.difference_lo:+,.0f} .. {r.difference_hi:+,.0f}]"
                if pd.notna(r.difference_lo)
                else ""
            )
            print(
                f"     {r.label:>15} {r.title:<42} {r.difference:+12,.0f} "
                f"({r.difference_pct:+.2f} %){interval}"
            )

    print("\n3. neubau_plus by Stadtteil, 2036 (P50 difference to the baseline)")
    d = c.differences
    neubau = d[
        (d["label"].str.startswith("neubau_plus")) & (d["year"] == 2036) & (d["quantile"] == 0.5)
    ]
    for variable in ("Population|Total", "Kita|Demand|U3", "Kita|Demand|Ue3"):
        rows = neubau[neubau["variable"] == variable].set_index("district")["difference"]
        order = [x for x in PLANNED if x in rows.index] + sorted(
            x for x in rows.index if x not in PLANNED
        )
        text = ", ".join(f"{x} {rows[x]:+.0f}" for x in order)
        print(f"   {variable}: {text}")

    print("\n4. ABM: Sozialraum - classic, city cost per budget year (paired replicates)")
    soz = [r for r in c.runs if r.scenario == "sozialraum"][0]
    data = RunData(soz)
    for r in data.abm_annual_difference().itertuples():
        print(
            f"   {r.year}: P50 {r.P50 / 1e6:+.2f} M EUR [{r.P10 / 1e6:+.2f} .. {r.P90 / 1e6:+.2f}]"
        )
    data.close()

    print("\n5. report and workbook")
    for run in find_runs([args.sweep]):
        html = (run.path / "report.html").read_text(encoding="utf-8")
        wb = openpyxl.load_workbook(run.path / "finance.xlsx")
        hidden = sum(c.value == "•" for c in wb["Fälle nach Stadtteil"]._cells.values())
        wall = json.loads((run.path / "manifest.json").read_text())["wall_time_s"]
        print(
            f"   {run.label}: report stage {wall.get('report')} s, report.html "
            f"{len(html) / 1e6:.1f} MB, {len(re.findall('<img ', html))} images, "
            f"{len(wb.sheetnames)} sheets, {hidden} suppressed cells"
        )


if __name__ == "__main__":
    main()
