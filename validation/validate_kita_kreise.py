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

Besides the single-series family (naive, drift, damped, logistic, and their per-Kreis selection
``selected``) it evaluates the panel model of ``forecast.kita.quota_panel`` (``panel``: the Land's
common path naive, each Kreis's deviation from it with pooled dynamics; Land = the first two
digits of the AGS, because Kita law and funding are Land matters) and the pooled selection
(``pooled``: one candidate per origin for all Kreise, chosen on the earlier forecasts whose
targets were observed by the origin). U3 uses ``regime_start`` 2014 (the first count after the
U3 entitlement of 1 August 2013) for the common paths' variance. A cluster bootstrap over Kreise
gives a 90 % interval of each relative MAE.

Usage:
    python validation/validate_kita_kreise.py [--horizon 3] [--min-train 4] [--level 0.8]
        [--sample N] [--csv OUT.csv]

Runs in about 15 seconds on one core.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from forecast.kita.quota_backtest import PanelBacktest, panel_backtest  # noqa: E402
from forecast.kita.quota_panel import PanelQuotaModel  # noqa: E402

DATA = REPO / "data" / "kita_kreise" / "regionalatlas_betreuungsquoten_kreise_2011-2019.csv"
GROUPS = {  # column -> (label, logistic ceiling as in conf/kita/default.yaml, regime start)
    "betreuungsquote_u3_pct": ("U3 (0-2)", 0.70, 2014),
    "betreuungsquote_3_5_pct": ("Ü3 (3-5)", 1.05, None),
}
BOOTSTRAP = 1000


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
    _, ceiling, regime_start = GROUPS[column]
    return panel_backtest(
        panel,
        horizon=horizon,
        min_train=min_train,
        level=level,
        ceiling=ceiling,
        panel_model=PanelQuotaModel(regime_start=regime_start),
        groups=land_of(panel.index),
    )


def land_of(ags: pd.Index) -> np.ndarray:
    """The Land of each Kreis: the first two digits of its AGS."""
    return np.array([str(code)[:2] for code in ags])


def bootstrap_relative_mae(
    bt: PanelBacktest, model: str, reps: int = BOOTSTRAP, seed: int = 20240301
) -> tuple[float, float]:
    """90 % interval of the relative MAE, resampling whole Kreise (their origins together)."""
    t = bt.table[bt.table["model"] == model]
    per = t.groupby("series")[["abs_error", "naive_abs_error"]].sum().to_numpy()
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(per), size=(reps, len(per)))
    sums = per[draws].sum(axis=1)
    ratio = sums[:, 0] / sums[:, 1]
    lo, hi = np.quantile(ratio, [0.05, 0.95])
    return float(lo), float(hi)


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
    for column, (label, _, _) in GROUPS.items():
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
        for model in ("panel", "pooled"):
            row = summary.set_index("model").loc[model]
            lo, hi = bootstrap_relative_mae(bt, model)
            print(
                f"{model}: relative MAE {row['relative_mae']:.3f} (90 % bootstrap over Kreise "
                f"{lo:.3f}-{hi:.3f}), MASE {row['mase']:.3f}, coverage {row['coverage']:.1%}"
            )
        pooled = bt.table[bt.table["model"] == "pooled"].groupby("origin")["chosen"].first()
        print("pooled selection by origin:", ", ".join(f"{o} {c}" for o, c in pooled.items()))
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
