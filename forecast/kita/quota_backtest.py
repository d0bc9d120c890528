"""Ex-post evaluation of the quota models on a panel of series (e.g. ~400 Kreise, 2011-2019).

For every series and every origin T with at least ``min_train`` values up to T and an observed
value at T + h, each model of the family, and the per-series rolling-origin selection
(``select_quota_model`` on the values up to T only), forecasts h years ahead. Reported per model:

* **MAE** (percentage points) and **relative MAE** = sum |error| / sum |naive error| over the
  same forecasts: below 1 means the model beats the naive last-value forecast out of sample;
* **MASE** (Hyndman & Koehler 2006): |error| / in-sample mean absolute one-year change of the
  training values, averaged over forecasts; the naive model's own MASE is the yardstick;
* **coverage** of the central prediction interval (share of actual values inside it).

References:
    Hyndman, R.J. & Koehler, A.B. (2006). Another look at measures of forecast accuracy.
    International Journal of Forecasting 22(4), 679-688.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.kita.quota_models import make_model, prepare_series
from forecast.kita.quota_selection import DEFAULT_CANDIDATES, select_quota_model

SELECTED = "selected"


@dataclass(frozen=True)
class PanelBacktest:
    """Forecast errors of every model at every (series, origin).

    Attributes:
        table: one row per (series, origin, model) with ``actual``, ``forecast``, ``lo``,
            ``hi``, ``abs_error``, ``naive_abs_error``, ``scale`` (MASE denominator),
            ``covered`` and, for the ``selected`` rows, ``chosen``.
        horizon: years ahead.
        level: coverage of the intervals.
    """

    table: pd.DataFrame
    horizon: int
    level: float

    def summary(self, by: Sequence[str] = ()) -> pd.DataFrame:
        """Per model (and ``by`` columns, e.g. ``origin``): n, MAE (pp), relative MAE, MASE,
        coverage."""
        keys = [*by, "model"]
        t = self.table.assign(scaled=self.table["abs_error"] / self.table["scale"])
        g = t.groupby(keys, sort=False)
        out = pd.DataFrame(
            {
                "forecasts": g.size(),
                "mae_pp": g["abs_error"].mean() * 100,
                "relative_mae": g["abs_error"].sum() / g["naive_abs_error"].sum(),
                "mase": g["scaled"].mean(),
                "coverage": g["covered"].mean(),
            }
        )
        return out.reset_index()

    def selection_counts(self) -> pd.Series:
        """How often the per-series selection chose each model."""
        return self.table.loc[self.table["model"] == SELECTED, "chosen"].value_counts()


def panel_backtest(
    panel: pd.DataFrame,
    models: Sequence[str] = DEFAULT_CANDIDATES,
    horizon: int = 3,
    min_train: int = 4,
    level: float = 0.8,
    ceiling: float = 1.0,
    select: bool = True,
    min_evaluations: int = 3,
) -> PanelBacktest:
    """Rolling-origin backtest of the quota models on a panel.

    Args:
        panel: one row per series, one column per consecutive year, shares; NaN = missing.
        models: the models to evaluate (names from ``MODELS``); ``naive`` is always included.
        horizon: years ahead (h).
        min_train: the fewest values (from the first observed year up to the origin) to forecast.
        level: coverage of the prediction intervals.
        ceiling: saturation level of the logistic model (share).
        select: also evaluate the per-series rolling-origin selection among ``models``.
        min_evaluations: passed to ``select_quota_model``.

    Returns:
        The backtest with one row per (series, origin, model).
    """
    models = list(dict.fromkeys(["naive", *models]))
    years = np.asarray(panel.columns, dtype=int)
    if np.any(np.diff(years) != 1):
        raise ValueError(f"panel years must be consecutive, got {years.tolist()}")
    values = panel.to_numpy(dtype=float)
    rows = []
    for series, y in zip(panel.index, values, strict=True):
        observed = np.isfinite(y)
        if not observed.any():
            continue
        first = int(np.argmax(observed))
        for origin in range(first + min_train - 1, len(years) - horizon):
            if not (observed[origin] and observed[origin + horizon]):
                continue
            train = prepare_series(y[first : origin + 1])
            actual = y[origin + horizon]
            scale = float(np.mean(np.abs(np.diff(train))))
            fits = {m: make_model(m, ceiling).forecast(train, horizon, level) for m in models}
            chosen = {m: m for m in models}
            if select:
                sel = select_quota_model(
                    train, models, horizon, min_train, ceiling, min_evaluations=min_evaluations
                )
                fits[SELECTED] = sel.forecast(horizon, level)
                chosen[SELECTED] = sel.chosen
            naive_error = abs(actual - fits["naive"].mean[-1])
            for name, fc in fits.items():
                lo, mean, hi = fc.lo[-1], fc.mean[-1], fc.hi[-1]
                rows.append(
                    (
                        series,
                        int(years[origin]),
                        name,
                        chosen[name],
                        actual,
                        mean,
                        lo,
                        hi,
                        abs(actual - mean),
                        naive_error,
                        scale if scale > 0 else np.nan,
                        bool(lo <= actual <= hi),
                    )
                )
    table = pd.DataFrame(
        rows,
        columns=[
            "series",
            "origin",
            "model",
            "chosen",
            "actual",
            "forecast",
            "lo",
            "hi",
            "abs_error",
            "naive_abs_error",
            "scale",
            "covered",
        ],
    )
    return PanelBacktest(table=table, horizon=horizon, level=level)
