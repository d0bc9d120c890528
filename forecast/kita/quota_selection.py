"""Choosing a quota model for one series by rolling-origin evaluation on its own history.

For every origin s (the first ``min_train`` values and more), each candidate is fitted to the
values up to s and forecasts the next 1..``horizon`` values that exist; the candidate with the
smallest mean absolute error over all these forecasts is chosen and refitted to the whole series.
All candidates are scored on the same forecasts, so the scores are comparable; ties go to the
simpler model (the order of ``MODELS``). A series too short for ``min_evaluations`` scored
forecasts (default 3: one or two forecasts pick a model by chance) gets the ``default`` model
(naive), and the selection says so.

References:
    Tashman, L.J. (2000). Out-of-sample tests of forecasting accuracy: an analysis and review.
    International Journal of Forecasting 16(4), 437-450 (rolling-origin evaluation).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from forecast.forecaster import Forecast, cross_validate
from forecast.kita.quota_models import MODELS, QuotaModel, make_model, prepare_series

DEFAULT_CANDIDATES = tuple(MODELS)


@dataclass(frozen=True)
class QuotaSelection:
    """The chosen model, fitted to the whole series, and how the candidates scored.

    Attributes:
        chosen: name of the chosen model.
        model: the chosen model fitted to the whole series.
        scores: candidate -> mean absolute error of its rolling-origin forecasts (share); NaN
            when the series was too short to evaluate.
        evaluations: number of forecasts each candidate was scored on.
        note: how the choice was made, in one sentence.
    """

    chosen: str
    model: QuotaModel
    scores: dict[str, float] = field(default_factory=dict)
    evaluations: int = 0
    note: str = ""

    def forecast(self, h: int, level: float = 0.8) -> Forecast:
        """Forecasts of the chosen model 1..h years after the series ends."""
        return self.model.predict(h, level)

    def summary(self) -> str:
        scored = ", ".join(
            f"{k} {v * 100:.2f} pp" for k, v in self.scores.items() if np.isfinite(v)
        )
        return f"{self.chosen} ({self.note}{'; MAE ' + scored if scored else ''})"


def rolling_origin_errors(
    y: np.ndarray,
    candidates: Sequence[str],
    horizon: int,
    min_train: int,
    ceiling: float = 1.0,
) -> dict[str, np.ndarray]:
    """Absolute errors of every candidate's forecasts 1..horizon from origins min_train..n-1.

    Returns:
        candidate -> absolute errors (share), one per (origin, step), the same pairs for all.
    """
    y = prepare_series(y)
    # The same origins for every candidate: enough values for the most demanding one.
    first = max(min_train, *(MODELS[c].min_points for c in candidates))
    origins = range(first - 1, y.size - 1)
    errors = {}
    for name in candidates:
        folds = cross_validate(make_model(name, ceiling), y, horizon, origins)
        errors[name] = [np.abs(f.actual - f.forecast.mean) for f in folds]
    return {c: np.concatenate(e) if e else np.empty(0) for c, e in errors.items()}


def select_quota_model(
    y: np.ndarray,
    candidates: Sequence[str] = DEFAULT_CANDIDATES,
    horizon: int = 3,
    min_train: int = 4,
    ceiling: float = 1.0,
    default: str = "naive",
    min_evaluations: int = 3,
) -> QuotaSelection:
    """Choose among ``candidates`` by rolling-origin mean absolute error, fit to all of ``y``.

    Args:
        y: annual quota series (share), oldest first; inner NaN are interpolated.
        candidates: names from ``MODELS``.
        horizon: the longest forecast step scored (years).
        min_train: the fewest values a model is fitted to in the evaluation.
        ceiling: saturation level of the logistic model (share).
        default: the model used when the series is too short to evaluate.
        min_evaluations: the fewest scored forecasts per candidate to trust a comparison;
            with fewer (one or two forecasts decide by chance) the default model is used.

    Returns:
        The selection (chosen model fitted to the whole series, scores, note).
    """
    unknown = [c for c in (*candidates, default) if c not in MODELS]
    if unknown or not candidates:
        raise ValueError(f"unknown quota model(s) {unknown or 'none given'}; known: {list(MODELS)}")
    y = prepare_series(y)
    errors = rolling_origin_errors(y, candidates, horizon, min_train, ceiling)
    evaluations = len(next(iter(errors.values())))
    scores = {c: float(e.mean()) if e.size else float("nan") for c, e in errors.items()}
    if evaluations < max(min_evaluations, 1):
        fallback = default if y.size >= MODELS[default].min_points else "naive"
        return QuotaSelection(
            chosen=fallback,
            model=make_model(fallback, ceiling).fit(y),
            scores=scores,
            evaluations=evaluations,
            note=f"{y.size} values give {evaluations} forecasts to compare models, fewer than "
            f"{min_evaluations}; {fallback} by default",
        )
    chosen = min(candidates, key=lambda c: (scores[c], list(MODELS).index(c)))
    return QuotaSelection(
        chosen=chosen,
        model=make_model(chosen, ceiling).fit(y),
        scores=scores,
        evaluations=evaluations,
        note=f"lowest rolling-origin MAE over {evaluations} forecasts of 1-{horizon} years",
    )
