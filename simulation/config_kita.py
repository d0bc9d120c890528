"""Typed configuration of the Kita stage (config group ``kita``) and its conversion to the library.

The defaults live once, in ``forecast/parameters/kita.yaml``; ``conf/kita/*.yaml`` select a quota
path (``default`` plus scenario variants ``trend``, ``saturation``, ``history``); every number is
a ``Param`` with value, unit, source and range.
``kita_settings`` checks them and turns them into the plain objects of ``forecast.kita``; a value
out of range is a ``ValueError`` naming the key, raised before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from forecast.kita.cohorts import SCHOOL_ENTRY_BY_STATE, SchoolEntryRule
from forecast.kita.demand import PATHS, DemandAssumptions
from forecast.kita.quota_models import MODELS
from forecast.kita.supply import GroupForms
from simulation.params import Param, default

DEFAULT_CUTOFF = SCHOOL_ENTRY_BY_STATE["NW"]
"""Without a configured cut-off and without a known ``state`` in city.yaml: NRW, 30 September."""


@dataclass
class KitaConfig:
    """The ``kita`` config group (parameters with sources: ``forecast/parameters/kita.yaml``).

    Attributes:
        variant: name of the YAML file in ``conf/kita``.
        quota_path: ``constant``, ``trend``, ``saturation`` or ``history`` (the city's own
            Betreuungsquote).
        group_form_u3: KiBiz group form used to count the U3 gap in groups: ``I`` or ``II``.
        group_form_ue3: form used to count the Ü3 gap in groups: ``I`` or ``III``.
        quota_models: candidate models of the Betreuungsquote (history path).
        quota_horizon: years ahead scored by the rolling-origin selection.
        quota_min_train: fewest values a model is fitted to in the selection.
        quota_min_evaluations: fewer scored forecasts: ``naive``.
        quota_panel: with district histories, one model for all districts chosen on pooled
            errors, the panel model included.
        interval_level: coverage of the quota forecast intervals.
        figures: "Bedarf vs. Plätze" per district.
    """

    variant: str = "default"
    quota_path: str = "constant"
    demand_quota: Param = default("kita.demand_quota")
    trend_per_year: Param = default("kita.trend_per_year")
    saturation_target: Param = default("kita.saturation_target")
    saturation_rate: Param = default("kita.saturation_rate")
    tagespflege_share_u3: Param = default("kita.tagespflege_share_u3")
    booking_hours_mix: Param = default("kita.booking_hours_mix")
    full_time_hours: Param = default("kita.full_time_hours")
    school_cutoff: Param = default("kita.school_cutoff")
    birth_month_shares: Param = default("kita.birth_month_shares")
    group_size: Param = default("kita.group_size")
    group_form_u3: str = "II"
    group_form_ue3: str = "III"
    participation_ue3_age6_weight: Param = default("kita.participation_ue3_age6_weight")
    quota_ceiling: Param = default("kita.quota_ceiling")
    quota_models: list[str] = field(default_factory=lambda: list(MODELS))
    quota_horizon: int = 3
    quota_min_train: int = 4
    quota_min_evaluations: int = 3
    quota_panel: bool = True
    quota_regime_start: Param = default("kita.quota_regime_start")
    interval_level: float = 0.8
    figures: bool = True


@dataclass(frozen=True)
class KitaSettings:
    """Everything the Kita stage needs from the configuration, checked.

    Attributes:
        demand: demand quotas, path, Tagespflege share, booking hours.
        forms: KiBiz group forms for the gap in groups.
        school_entry: the school-entry cut-off in use.
        month_shares: share of births per month, shape (12,).
        age6_weight: share of the 6-year-olds in the Ü3 participation denominator (``ue3`` rows).
        ceilings: (U3, Ü3) ceiling of the logistic quota model.
        models: candidate quota models.
        horizon, min_train, min_evaluations: rolling-origin selection settings.
        panel: with district histories, choose one model for all districts on their pooled
            errors, the panel model (``forecast.kita.quota_panel``) among the candidates.
        regime_start: (U3, Ü3) first Kita year of the current regime for the panel model's
            common-path variance, or None.
        level: coverage of the quota forecast intervals.
        share_45h: share of Kita children booked for 45 hours (group form III sizes).
    """

    demand: DemandAssumptions
    forms: GroupForms
    school_entry: SchoolEntryRule
    month_shares: np.ndarray
    age6_weight: float
    ceilings: tuple[float, float]
    models: tuple[str, ...]
    horizon: int
    min_train: int
    min_evaluations: int
    level: float
    share_45h: float
    panel: bool = True
    regime_start: tuple[int | None, int | None] = (None, None)


def _share(name: str, value: Any) -> float:
    number = float(value)
    if not 0.0 <= number <= 1.0:
        raise ValueError(f"kita.{name} = {number:g}: expected a share between 0 and 1")
    return number


def _mapping(name: str, param: Param, keys: tuple[str, ...]) -> dict[str, Any]:
    value = dict(param.value)
    missing = [k for k in keys if k not in value]
    if missing:
        raise ValueError(f"kita.{name}.value lacks {missing}: expected keys {list(keys)}")
    return {k: value[k] for k in keys}


def school_entry_rule(cfg: KitaConfig, state: str | None) -> SchoolEntryRule:
    """The configured cut-off, else the rule of the city's Land, else NRW (30 September)."""
    value = cfg.school_cutoff.value
    if value is not None:
        month, day = (int(v) for v in value)
        return SchoolEntryRule(month, day, f"configuration: {cfg.school_cutoff.source}")
    if state and str(state).upper() in SCHOOL_ENTRY_BY_STATE:
        return SCHOOL_ENTRY_BY_STATE[str(state).upper()]
    return DEFAULT_CUTOFF


def kita_settings(cfg: KitaConfig, state: str | None = None) -> KitaSettings:
    """Check the ``kita`` config group and turn it into library settings.

    Args:
        cfg: the composed ``kita`` group.
        state: ``state`` from city.yaml (Bundesland code), for the school-entry cut-off.

    Raises:
        ValueError: a value is out of range (e.g. a quota above 1); the message names the key.
    """
    if cfg.quota_path not in PATHS:
        raise ValueError(f"kita.quota_path = {cfg.quota_path!r}: expected one of {list(PATHS)}")
    quota = _mapping("demand_quota", cfg.demand_quota, ("under1", "age1", "age2", "ue3"))
    quota = {k: _share(f"demand_quota.value.{k}", v) for k, v in quota.items()}
    trend = _mapping("trend_per_year", cfg.trend_per_year, ("u3", "ue3"))
    target = _mapping("saturation_target", cfg.saturation_target, ("u3", "ue3"))
    hours = {
        float(str(k).lstrip("h")): _share(f"booking_hours_mix.value.{k}", v)
        for k, v in dict(cfg.booking_hours_mix.value).items()
    }
    demand = DemandAssumptions(
        quota_u3_by_age=(quota["under1"], quota["age1"], quota["age2"]),
        quota_ue3=quota["ue3"],
        path=cfg.quota_path,
        trend_per_year=(float(trend["u3"]), float(trend["ue3"])),
        saturation_target=(
            _share("saturation_target.value.u3", target["u3"]),
            _share("saturation_target.value.ue3", target["ue3"]),
        ),
        saturation_rate=float(cfg.saturation_rate.value),
        tagespflege_share_u3=_share("tagespflege_share_u3", cfg.tagespflege_share_u3.value),
        hours_mix=hours,
        full_time_hours=float(cfg.full_time_hours.value),
    )
    sizes = _mapping("group_size", cfg.group_size, ("I", "I_u3", "II", "III", "III_45h"))
    forms = GroupForms(
        size_I=float(sizes["I"]),
        u3_in_I=float(sizes["I_u3"]),
        size_II=float(sizes["II"]),
        size_III=float(sizes["III"]),
        size_III_45h=float(sizes["III_45h"]),
        u3_form=str(cfg.group_form_u3),
        ue3_form=str(cfg.group_form_ue3),
    )
    shares = np.asarray(list(cfg.birth_month_shares.value), dtype=float)
    if shares.shape != (12,) or np.any(shares < 0) or abs(shares.sum() - 1) > 1e-4:
        raise ValueError("kita.birth_month_shares.value: expected 12 shares summing to 1")
    unknown = [m for m in cfg.quota_models if m not in MODELS]
    if unknown or not cfg.quota_models:
        raise ValueError(f"kita.quota_models {unknown or '[]'}: expected names from {list(MODELS)}")
    ceilings = _mapping("quota_ceiling", cfg.quota_ceiling, ("u3", "ue3"))
    if not 0 < cfg.interval_level < 1:
        raise ValueError(f"kita.interval_level = {cfg.interval_level}: expected 0 < level < 1")
    return KitaSettings(
        demand=demand,
        forms=forms,
        school_entry=school_entry_rule(cfg, state),
        month_shares=shares / shares.sum(),
        age6_weight=_share(
            "participation_ue3_age6_weight", cfg.participation_ue3_age6_weight.value
        ),
        ceilings=(float(ceilings["u3"]), float(ceilings["ue3"])),
        models=tuple(cfg.quota_models),
        horizon=int(cfg.quota_horizon),
        min_train=int(cfg.quota_min_train),
        min_evaluations=int(cfg.quota_min_evaluations),
        level=float(cfg.interval_level),
        share_45h=float(hours.get(45.0, 0.0)),
        panel=bool(cfg.quota_panel),
        regime_start=_regime_start(cfg.quota_regime_start),
    )


def _regime_start(param: Param) -> tuple[int | None, int | None]:
    """(U3, Ü3) first Kita year of the current regime (a whole year or null)."""
    if param.value is None:
        return None, None
    starts = _mapping("quota_regime_start", param, ("u3", "ue3"))
    out = []
    for key in ("u3", "ue3"):
        value = starts[key]
        if value is not None and (int(value) != value or not 1990 <= int(value) <= 2100):
            raise ValueError(
                f"kita.quota_regime_start.value.{key} = {value}: expected a year or null"
            )
        out.append(None if value is None else int(value))
    return out[0], out[1]
