"""Kreis backtest of the Kita quota models: 3-year-ahead accuracy and interval coverage.

Data: ``data/kita_kreise/`` (Betreuungsquoten of about 400 Kreise, 1 March 2011-2019; 0.0 means
missing). For every Kreis and every origin with at least ``--min-train`` values (2014, 2015,
2016 with the defaults) each model of the family forecasts the quota ``--horizon`` years ahead,
and so does the per-Kreis rolling-origin selection fitted to the values up to the origin only.

Printed per age group (U3 = 0-2, Ü3 = 3-5), per model and per origin:

* MAE in percentage points and the **relative MAE** against the naive last-value forecast (sum of
  absolute errors over the same forecasts; < 1 = better than naive);
* **MASE** (Hyndman & Koehler 2006: absolute error / the training values' mean absolute
  one-year change); compare with the naive model's own MASE;
* **coverage** of the central 80 % intervals (share of actual values inside).

Usage:
    python validation/validate_kita_kreise.py [--horizon 3] [--min-train 4] [--level 0.8]
        [--sample N] [--csv OUT.csv]

Runs in about 10 seconds on one core.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from forecast.kita.quota_backtest import PanelBacktest, panel_backtest  # noqa: E402

DATA = REPO / "data" / "kita_kreise" / "regionalatlas_betreuungsquoten_kreise_2011-2019.csv"
GROUPS = {  # column -> (label, logistic ceiling as in conf/kita/default.yaml)
    "betreuungsquote_u3_pct": ("U3 (0-2)", 0.70),
    "betreuungsquote_3_5_pct": ("Ü3 (3-5)", 1.05),
}


def load_panel(column: str, path: Path = DATA) -> pd.DataFrame:
    """One row per Kreis, one column per year, shares; 0.0 (missing) becomes NaN."""
    raw = pd.read_csv(path, dtype={"ags_kreis": str})
    wide = raw.pivot(index="ags_kreis", columns="year", values=column)
    return wide.where(wide > 0) / 100.0


def run(
    column: str, horizon: int, min_train: int, level: float, sample: int | None
) -> PanelBacktest:
    """The backtest of one age group (optionally on a deterministic sample of Kreise)."""
    panel = load_panel(column)
    if sample:
        panel = panel.sample(n=min(sample, len(panel)), random_state=20240301).sort_index()
    _, ceiling = GROUPS[column]
    return panel_backtest(panel, horizon=horizon, min_train=min_train, level=level, ceiling=ceiling)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--horizon", type=int, default=3)
    parser.add_argument("--min-train", type=int, default=4)
    parser.add_argument("--level", type=float, default=0.8)
    parser.add_argument("--sample", type=int, default=None, help="only N Kreise (deterministic)")
    parser.add_argument("--csv", type=Path, default=None, help="write every forecast to a CSV")
    args = parser.parse_args()
    pd.set_option("display.width", 120)
    tables = []
    for column, (label, _) in GROUPS.items():
        t0 = time.perf_counter()
        bt = run(column, args.horizon, args.min_train, args.level, args.sample)
        series = bt.table["series"].nunique()
        print(
            f"\n=== {label}: {series} Kreise, {args.horizon} years ahead, origins "
            f"{sorted(int(o) for o in bt.table['origin'].unique())}, {time.perf_counter() - t0:.1f} s ==="
        )
        summary = bt.summary()
        print(summary.round(3).to_string(index=False))
        sel = summary.set_index("model").loc["selected"]
        naive = summary.set_index("model").loc["naive"]
        beats = "beats" if sel["relative_mae"] < 1 else "does not beat"
        print(
            f"selected model: MASE {sel['mase']:.3f} (naive {naive['mase']:.3f}), relative MAE "
            f"{sel['relative_mae']:.3f} -> {beats} naive; {args.level:.0%} interval coverage "
            f"{sel['coverage']:.1%} (naive {naive['coverage']:.1%})"
        )
        print("by origin:")
        by_origin = bt.summary(by=["origin"])
        print(by_origin.round(3).to_string(index=False))
        counts = bt.selection_counts()
        print("chosen by the selection:", ", ".join(f"{k} {v}" for k, v in counts.items()))
        tables.append(bt.table.assign(group=label))
    if args.csv:
        pd.concat(tables).to_csv(args.csv, index=False)
        print(f"\nwrote {args.csv}")


if __name__ == "__main__":
    main()
