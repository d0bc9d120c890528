"""Which quota model forecasts a city's Betreuungsquoten: pooled over districts or one by one.

The policy, for each group (U3, Ü3):

* every district has an observed quota series and there are at least ``PANEL_MIN_DISTRICTS``:
  one model for all districts, chosen on their pooled rolling-origin errors with the panel model
  among the candidates (``select_pooled``, as validated on the Kreis panel,
  ``validation/validate_kita_kreise.py``). Too few pooled forecasts to compare: naive;
* otherwise, or when the district panel cannot carry a pooled choice (different last years,
  fewer than four years): each district's own rolling-origin selection (``select_quota_model``),
  which falls back to naive for series too short to compare;
* some district has no series: the city's series only.

``history_shifts`` turns the chosen models into the change of the quota since the first Kita
year of the projection, one path per population draw.

References:
    Montero-Manso, P. & Hyndman, R.J. (2021). Principles and algorithms for forecasting groups
    of time series: locality and globality. International Journal of Forecasting 37(4),
    1632-1653.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import pandas as pd

from forecast.contract import CITY_DISTRICT
from forecast.kita.demand import participation_shift
from forecast.kita.participation import participation_series
from forecast.kita.quota_backtest import select_pooled
from forecast.kita.quota_models import make_model
from forecast.kita.quota_panel import PanelMember, PanelQuotaModel
from forecast.kita.quota_selection import QuotaSelection, select_quota_model

PANEL_MIN_DISTRICTS = 3
"""Fewer districts: a district panel says too little about deviations."""

GROUPS = ("U3", "Ue3")


class QuotaChoiceSettings(Protocol):
    """What the policy reads of the Kita settings (``simulation.config_kita.KitaSettings``)."""

    models: Sequence[str]
    horizon: int
    min_train: int
    min_evaluations: int
    panel: bool
    ceilings: Sequence[float]
    regime_start: Sequence[int | None]


Selections = dict[tuple[str, str], tuple[pd.Series, QuotaSelection]]
"""(group, district or ``_city``) -> (observed series, selected model fitted to it)."""


def select_quota_models(
    participation: pd.DataFrame, districts: tuple[str, ...], settings: QuotaChoiceSettings
) -> Selections:
    """The chosen model per group and district (per district if all have data, else the city).

    Args:
        participation: observed quotas (``forecast.kita.participation.observed_participation``);
            empty: no choice at all.
        districts: district codes.
        settings: candidates, horizon, minimum training length and evaluations, panel switch,
            logistic ceiling and regime start per group (U3, Ü3).

    Returns:
        (group, district or ``_city``) -> (observed series, selection).
    """
    out: Selections = {}
    if participation.empty:
        return out
    groups = zip(GROUPS, settings.ceilings, settings.regime_start, strict=True)
    for group, ceiling, regime_start in groups:
        series = {d: participation_series(participation, group, d) for d in districts}
        if not all(len(s) for s in series.values()):
            series = {CITY_DISTRICT: participation_series(participation, group, CITY_DISTRICT)}
        elif settings.panel and len(series) >= PANEL_MIN_DISTRICTS:
            pooled = pooled_selections(series, settings, ceiling, regime_start)
            if pooled:
                out.update({(group, d): (series[d], sel) for d, sel in pooled.items()})
                continue
        for district, s in series.items():
            if len(s) == 0:
                continue
            out[(group, district)] = (
                s,
                select_quota_model(
                    s.to_numpy(),
                    settings.models,
                    settings.horizon,
                    settings.min_train,
                    ceiling,
                    min_evaluations=settings.min_evaluations,
                ),
            )
    return out


def pooled_selections(
    series: dict[str, pd.Series],
    settings: QuotaChoiceSettings,
    ceiling: float,
    regime_start: int | None,
) -> dict[str, QuotaSelection]:
    """One model for all districts, chosen on their pooled rolling-origin errors with the panel
    model among the candidates; {} when the district panel cannot carry it (different last
    years, too few years)."""
    panel = pd.DataFrame(series).T.sort_index(axis=1)
    panel = panel.reindex(columns=range(int(panel.columns.min()), int(panel.columns.max()) + 1))
    if panel.shape[1] < 4 or panel.iloc[:, -1].isna().any():
        return {}
    template = PanelQuotaModel(regime_start=regime_start)
    try:
        chosen, scored = select_pooled(panel, settings.models, template, settings.horizon, ceiling)
    except ValueError:
        return {}
    if scored < settings.min_evaluations:
        chosen = "naive"
    note = (
        f"{chosen} for all {len(series)} districts: lowest mean absolute error over {scored} "
        f"pooled rolling-origin forecasts of 1-{settings.horizon} years"
    )
    if chosen in ("panel", "naive"):
        # Naive through the panel (terms=()): its interval is estimated from every district's
        # changes, not from the 3-5 of one.
        fitted = template.clone(terms=template.terms if chosen == "panel" else ()).fit(panel)
        models = {d: PanelMember(fitted, i) for i, d in enumerate(panel.index)}
    else:
        models = {d: make_model(chosen, ceiling).fit(s.to_numpy()) for d, s in series.items()}
    return {
        d: QuotaSelection(chosen=chosen, model=m, evaluations=scored, note=note)
        for d, m in models.items()
    }


def history_shifts(
    selections: Selections,
    years: np.ndarray,
    districts: tuple[str, ...],
    rngs: list[np.random.Generator] | None,
    draws: int = 1,
) -> dict[str, np.ndarray]:
    """Change of the Betreuungsquote since the first Kita year, shape (N, Y, D) per group.

    A district without a selection of its own takes the city's; N is ``draws`` with ``rngs``
    (one simulated quota path per population draw), else 1 (the point forecast).
    """
    out = {}
    for group in GROUPS:
        shift = np.zeros((draws if rngs else 1, len(years), len(districts)))
        for d, code in enumerate(districts):
            key = (group, code) if (group, code) in selections else (group, CITY_DISTRICT)
            if key not in selections:
                continue
            series, selection = selections[key]
            shift[:, :, d] = participation_shift(series, selection, years, rngs)
        out[group] = shift
    return out
