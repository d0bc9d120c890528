"""Ex-post evaluation of the quota models on a panel of series (e.g. ~400 Kreise, 2011-2019).

For every series and every origin T with at least ``min_train`` values up to T and an observed
value at T + h, each model of the family, and the per-series rolling-origin selection
(``select_quota_model`` on the values up to T only), forecasts h years ahead. With a panel model
(``forecast.kita.quota_panel``), it is fitted at every origin to all series up to the origin
(``panel``), and a pooled selection (``pooled``) picks one candidate for all series at each
origin by the mean absolute error of every series' earlier forecasts whose target year has been
observed by then. Reported per model:

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

from forecast.forecaster import Forecast, TrainXY, cross_validate
from forecast.kita.quota_models import make_model, prepare_series
from forecast.kita.quota_panel import PanelQuotaModel
from forecast.kita.quota_selection import DEFAULT_CANDIDATES, select_quota_model

SELECTED = "selected"
POOLED = "pooled"


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
    panel_model: PanelQuotaModel | None = None,
    groups: np.ndarray | None = None,
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
        panel_model: an unfitted ``PanelQuotaModel``; a copy is fitted at every origin to all
            series' values up to the origin (rows ``panel``), and a pooled selection among
            ``models`` and ``panel`` is evaluated too (rows ``pooled``, see ``pooled_choice``).
            When the pooled selection picks naive, its interval is the panel's for a naive
            forecast (``terms=()``): estimated from every series' changes, not 3-5 of one.
        groups: group label per series for the panel model (e.g. the Land).

    Returns:
        The backtest with one row per (series, origin, model).
    """
    models = list(dict.fromkeys(["naive", *models]))
    years = np.asarray(panel.columns, dtype=int)
    if np.any(np.diff(years) != 1):
        raise ValueError(f"panel years must be consecutive, got {years.tolist()}")
    values = panel.to_numpy(dtype=float)
    observed, first = _observed(values)
    local, panel_fc, naive_fc = origin_forecasts(
        panel, models, horizon, level, ceiling, panel_model, groups
    )
    candidates = [*models, "panel"] if panel_model is not None else models
    choice = (
        pooled_choice(values, local, panel_fc, candidates, horizon)[0]
        if panel_model is not None
        else {}
    )
    rows = []
    for (i, o), fits in local.items():
        if (
            o < first[i] + min_train - 1
            or o + horizon >= len(years)
            or not observed[i, o + horizon]
        ):
            continue
        train = prepare_series(values[i, first[i] : o + 1])
        actual = values[i, o + horizon]
        scale = float(np.mean(np.abs(np.diff(train))))
        out = {m: (f.lo[-1], f.mean[-1], f.hi[-1]) for m, f in fits.items()}
        chosen = {m: m for m in fits}
        if select:
            sel = select_quota_model(
                train, models, horizon, min_train, ceiling, min_evaluations=min_evaluations
            )
            fc = sel.forecast(horizon, level)
            out[SELECTED] = (fc.lo[-1], fc.mean[-1], fc.hi[-1])
            chosen[SELECTED] = sel.chosen
        if o in panel_fc:
            pf = panel_fc[o]
            out["panel"] = (pf.lo[i, -1], pf.mean[i, -1], pf.hi[i, -1])
            chosen["panel"] = "panel"
            pick = choice[o] if choice[o] in out else "naive"  # too short for the chosen one
            if pick == "naive":
                nf = naive_fc[o]
                out[POOLED] = (nf.lo[i, -1], nf.mean[i, -1], nf.hi[i, -1])
            else:
                out[POOLED] = out[pick]
            chosen[POOLED] = pick
        naive_error = abs(actual - out["naive"][1])
        for name, (lo, mean, hi) in out.items():
            rows.append(
                (
                    panel.index[i],
                    int(years[o]),
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


def pooled_choice(
    values: np.ndarray,
    local: dict[tuple[int, int], dict[str, object]],
    panel_fc: dict[int, Forecast],
    candidates: Sequence[str],
    horizon: int,
    last: int | None = None,
) -> tuple[dict[int, str], dict[int, int]]:
    """Origin -> the candidate with the lowest mean absolute error over every series' forecasts
    1..horizon years ahead from earlier origins whose target is at or before the origin.

    Only (series, origin, step) where every candidate forecasts are scored, so all candidates
    are compared on the same forecasts; ties go to the earlier candidate (naive first). An
    origin with nothing to score gets naive. Choices are made for the origins of ``panel_fc``
    and for ``last`` (e.g. the last year, to forecast beyond the data).

    Returns:
        (origin -> chosen candidate, origin -> number of scored forecasts per candidate).
    """
    errors: dict[tuple[int, int], np.ndarray] = {}  # (origin, target) -> (k, candidates)
    for (i, o), fits in local.items():
        if o not in panel_fc or not all(c in fits for c in candidates if c != "panel"):
            continue
        for step in range(1, horizon + 1):
            target = o + step
            if target >= values.shape[1] or not np.isfinite(values[i, target]):
                continue
            means = [
                panel_fc[o].mean[i, step - 1] if c == "panel" else fits[c].mean[step - 1]
                for c in candidates
            ]
            errors.setdefault((o, target), []).append(np.abs(values[i, target] - np.array(means)))
    choice, counts = {}, {}
    for origin in sorted({*panel_fc, *([] if last is None else [last])}):
        scored = [np.vstack(e) for (o, t), e in errors.items() if t <= origin]
        if not scored:
            choice[origin], counts[origin] = "naive", 0
            continue
        stacked = np.vstack(scored)
        choice[origin] = candidates[int(np.argmin(stacked.mean(axis=0)))]
        counts[origin] = int(stacked.shape[0])
    return choice, counts


def _observed(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which values exist, and each row's first observed column (the width when none is)."""
    observed = np.isfinite(values)
    first = np.where(observed.any(axis=1), np.argmax(observed, axis=1), values.shape[1])
    return observed, first


def origin_forecasts(
    panel: pd.DataFrame,
    models: Sequence[str],
    horizon: int,
    level: float,
    ceiling: float,
    panel_model: PanelQuotaModel | None,
    groups: np.ndarray | None = None,
) -> tuple[dict, dict[int, Forecast], dict[int, Forecast]]:
    """Every model's forecasts 1..horizon from every origin (column index) before the last year.

    Returns:
        ``local`` (series row, origin) -> model -> ``Forecast`` for series observed at the
        origin with at least two values (models needing more are left out); ``panel`` and
        ``naive`` origin -> ``Forecast`` of the panel model and of its naive variant
        (origins with three or more years whose panel can be fitted).
    """
    values = panel.to_numpy(dtype=float)
    observed, first = _observed(values)
    n_years = values.shape[1]
    panel_fc, naive_fc = {}, {}
    if panel_model is not None:
        data = TrainXY(panel, groups)
        # Forecasts shorter than the horizon at the last origins: only observed years are scored.
        # Origins where the panel cannot be fitted (too few series or years) are left out.
        origins = range(2, n_years - 1)
        folds = [
            cross_validate(m, data, horizon, origins, level=level, skip_errors=True)
            for m in (panel_model, panel_model.clone(terms=()))
        ]
        both = {f.origin for f in folds[0]} & {f.origin for f in folds[1]}
        panel_fc = {f.origin: f.forecast for f in folds[0] if f.origin in both}
        naive_fc = {f.origin: f.forecast for f in folds[1] if f.origin in both}
    local: dict[tuple[int, int], dict[str, object]] = {}
    for i, y in enumerate(values):
        # Origins are positions in the series from its first value: o - first[i].
        series = y[first[i] :]
        origins = [o - first[i] for o in range(first[i] + 1, n_years - 1) if observed[i, o]]
        for o in origins:
            local[(i, o + first[i])] = {}
        for m in models:
            model = make_model(m, ceiling)
            # A model needing more values than the origin gives is left out there.
            usable = [
                o for o in origins if prepare_series(series[: o + 1]).size >= model.min_points
            ]
            for f in cross_validate(model, series, horizon, usable, level=level):
                local[(i, f.origin + first[i])][m] = f.forecast
    return local, panel_fc, naive_fc


def select_pooled(
    panel: pd.DataFrame,
    models: Sequence[str],
    panel_model: PanelQuotaModel,
    horizon: int = 3,
    ceiling: float = 1.0,
    groups: np.ndarray | None = None,
) -> tuple[str, int]:
    """The pooled choice for forecasting after the panel's last year (see ``pooled_choice``).

    Returns:
        (chosen candidate, number of scored forecasts per candidate); naive with 0 when the
        panel is too short to score anything.
    """
    models = list(dict.fromkeys(["naive", *models]))
    values = panel.to_numpy(dtype=float)
    # Only the point forecasts are scored, so the interval level does not matter here.
    local, panel_fc, _ = origin_forecasts(panel, models, horizon, 0.8, ceiling, panel_model, groups)
    last = values.shape[1] - 1
    choice, scored = pooled_choice(values, local, panel_fc, [*models, "panel"], horizon, last)
    return choice[last], scored[last]
