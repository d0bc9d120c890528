"""Kita demand: children of each Kita year x parental demand quota, split into Kita and Tagespflege.

Demand is what parents ask for (DJI Kinderbetreuungsstudie KiBS), not what was used: the observed
Betreuungsquote is capped by the places there were. The quota by age at 1 August is the base-year
value of the configuration (under 1, 1-year-olds, 2-year-olds, 3 to school entry) and follows one
of four **paths** over the Kita years t = t0, t0 + 1, ... (t0 = the first Kita year projected):

* ``constant``: the base quotas hold.
* ``trend``: every age's quota moves by a fixed number of share points a year (U3 and Ü3
  separately), within 0..1.
* ``saturation``: the group's mean quota Q follows a logistic curve from Q0 toward a target T,
  Q(t) = T / (1 + (T / Q0 - 1) exp(-k (t - t0))); every age's quota is scaled by Q(t) / Q0.
* ``history``: the group's quotas move as the city's own Betreuungsquote is forecast to move
  (the rolling-origin selected model of ``forecast.kita.quota_selection``): q(t) = q0 + (p(t) -
  p(t0)), p observed up to the last Kita year with data and forecast after it. With several
  population draws each draw gets its own simulated quota path.

A share of the U3 demand is met by Kindertagespflege (the rest needs Kita places); Ü3 demand is
all Kita (Tagespflege for Ü3 is about 2 % of Ü3 care in Konstanz and NRW). Booking hours (25/35/45 h
a week in NRW) turn Kita demand into full-time equivalents: FTE = demand x mean hours / full-time
hours.

References:
    DJI Kinderbetreuungsstudie (KiBS) 2018-2023, via [S53]-[S57] in DOMAIN.md (demand quotas);
    IT.NRW 1.3.2025 [S59] (booking hours); Kreis Soest Ausbauplan [S66] (Tagespflege share).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecast.kita.cohorts import KitaCohorts
from forecast.kita.quota_selection import QuotaSelection
from forecast.params import default_value

PATHS = ("constant", "trend", "saturation", "history")


def _by_key(name: str, keys: tuple[str, ...]) -> tuple[float, ...]:
    """Values of a mapping parameter of ``forecast/parameters/kita.yaml`` in the order of keys."""
    value = default_value(f"kita.{name}")
    return tuple(float(value[k]) for k in keys)


@dataclass(frozen=True)
class DemandAssumptions:
    """Demand quotas and how they change; all shares between 0 and 1.

    Defaults (with sources) from ``forecast/parameters/kita.yaml``.

    Attributes:
        quota_u3_by_age: demand quota of children aged 0, 1, 2 at 1 August in the base year.
        quota_ue3: demand quota of children from 3 to school entry in the base year.
        path: ``constant``, ``trend``, ``saturation`` or ``history``.
        trend_per_year: (U3, Ü3) change of every age's quota per year (share points / year).
        saturation_target: (U3, Ü3) mean quota approached by the ``saturation`` path.
        saturation_rate: logistic rate k of the ``saturation`` path, per year.
        tagespflege_share_u3: share of the U3 demand met by Kindertagespflege.
        hours_mix: booked hours a week -> share of the Kita children (shares sum to 1).
        full_time_hours: hours a week that count as one full-time place.
    """

    quota_u3_by_age: tuple[float, float, float] = field(
        default_factory=lambda: _by_key("demand_quota", ("under1", "age1", "age2"))
    )
    quota_ue3: float = field(default_factory=lambda: _by_key("demand_quota", ("ue3",))[0])
    path: str = "constant"
    trend_per_year: tuple[float, float] = field(
        default_factory=lambda: _by_key("trend_per_year", ("u3", "ue3"))
    )
    saturation_target: tuple[float, float] = field(
        default_factory=lambda: _by_key("saturation_target", ("u3", "ue3"))
    )
    saturation_rate: float = field(default_factory=lambda: default_value("kita.saturation_rate"))
    tagespflege_share_u3: float = field(
        default_factory=lambda: default_value("kita.tagespflege_share_u3")
    )
    hours_mix: dict[float, float] = field(
        default_factory=lambda: {
            float(str(h).lstrip("h")): float(s)
            for h, s in default_value("kita.booking_hours_mix").items()
        }
    )
    full_time_hours: float = field(
        default_factory=lambda: float(default_value("kita.full_time_hours"))
    )

    def __post_init__(self) -> None:
        if self.path not in PATHS:
            raise ValueError(f"quota path {self.path!r}: expected one of {', '.join(PATHS)}")
        shares = {
            "demand quota U3 by age": self.quota_u3_by_age,
            "demand quota Ü3": (self.quota_ue3,),
            "saturation target": self.saturation_target,
            "Tagespflege share of U3": (self.tagespflege_share_u3,),
            "booking-hours shares": tuple(self.hours_mix.values()),
        }
        for what, values in shares.items():
            bad = [v for v in values if not 0.0 <= float(v) <= 1.0]
            if bad:
                raise ValueError(f"{what} {bad}: expected shares between 0 and 1")
        if len(self.quota_u3_by_age) != 3:
            raise ValueError("quota_u3_by_age needs three values (ages 0, 1, 2)")
        if abs(sum(self.hours_mix.values()) - 1.0) > 1e-6:
            raise ValueError(f"booking-hours shares {self.hours_mix} must sum to 1")
        if self.path == "saturation" and min(self.quota_u3_by_age) <= 0:
            raise ValueError("the saturation path needs demand quotas above 0")
        if self.saturation_rate < 0 or self.full_time_hours <= 0:
            raise ValueError("saturation_rate must be >= 0 and full_time_hours > 0")

    @property
    def mean_hours(self) -> float:
        """Booked hours a week of the average Kita child."""
        return float(sum(h * s for h, s in self.hours_mix.items()))


@dataclass(frozen=True)
class KitaDemand:
    """Demand per draw, Kita year and district.

    Attributes:
        years: Kita years, shape (Y,).
        districts: district codes, length D.
        children_u3, children_ue3: children (persons), shape (N, Y, D).
        demand_u3: U3 demand in Kita and Tagespflege together (children), shape (N, Y, D).
        demand_u3_kita, demand_u3_tagespflege: its two parts.
        demand_ue3: Ü3 demand (children, all in Kitas).
        fte_u3, fte_ue3: Kita demand in full-time place equivalents.
    """

    years: np.ndarray
    districts: tuple[str, ...]
    children_u3: np.ndarray
    children_ue3: np.ndarray
    demand_u3: np.ndarray
    demand_u3_kita: np.ndarray
    demand_u3_tagespflege: np.ndarray
    demand_ue3: np.ndarray
    fte_u3: np.ndarray
    fte_ue3: np.ndarray


def quota_paths(
    assumptions: DemandAssumptions,
    years: np.ndarray,
    shift_u3: np.ndarray | None = None,
    shift_ue3: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Demand quotas by Kita year: U3 by age, shape (N, Y, D, 3), and Ü3, shape (N, Y, D).

    N and D are 1 (broadcast) unless the ``history`` shifts, shape (N, Y, D), say otherwise.
    """
    a = assumptions
    t = (np.asarray(years) - years[0]).astype(float)[None, :, None]  # (1, Y, 1)
    q_u3 = np.asarray(a.quota_u3_by_age, dtype=float)
    q_ue3 = float(a.quota_ue3)
    if a.path == "constant":
        u3 = np.broadcast_to(q_u3, (1, t.shape[1], 1, 3))
        ue3 = np.full(t.shape, q_ue3)
    elif a.path == "trend":
        u3 = q_u3 + a.trend_per_year[0] * t[..., None]
        ue3 = q_ue3 + a.trend_per_year[1] * t
    elif a.path == "saturation":
        u3 = (
            q_u3
            * _logistic_ratio(q_u3.mean(), a.saturation_target[0], a.saturation_rate, t)[..., None]
        )
        ue3 = q_ue3 * _logistic_ratio(q_ue3, a.saturation_target[1], a.saturation_rate, t)
    else:
        if shift_u3 is None or shift_ue3 is None:
            raise ValueError("the history path needs the forecast participation shifts")
        u3 = q_u3 + np.asarray(shift_u3)[..., None]
        ue3 = q_ue3 + np.asarray(shift_ue3)
    return np.clip(u3, 0.0, 1.0), np.clip(ue3, 0.0, 1.0)


def _logistic_ratio(q0: float, target: float, rate: float, t: np.ndarray) -> np.ndarray:
    """Q(t) / Q0 for the logistic curve through Q0 at t = 0 with upper level ``target``."""
    if q0 <= 0:
        return np.ones_like(t)
    q = target / (1.0 + (target / q0 - 1.0) * np.exp(-rate * t))
    return q / q0


def project_demand(
    cohorts: KitaCohorts,
    assumptions: DemandAssumptions,
    shift_u3: np.ndarray | None = None,
    shift_ue3: np.ndarray | None = None,
) -> KitaDemand:
    """Demand of every Kita year, draw and district (see the module docstring).

    Args:
        cohorts: children of each Kita year (``forecast.kita.cohorts.kita_cohorts``).
        assumptions: demand quotas, their path, Tagespflege share and booking hours.
        shift_u3, shift_ue3: for the ``history`` path, the change of the Betreuungsquote since
            the first Kita year, shape (N or 1, Y, D or 1), share points.

    Returns:
        The demand (children and full-time equivalents).

    References:
        DJI KiBS via DOMAIN.md § 2.3 and § 6.2.
    """
    q_u3, q_ue3 = quota_paths(assumptions, cohorts.years, shift_u3, shift_ue3)
    demand_u3 = (cohorts.u3_by_age * q_u3).sum(axis=-1)
    demand_ue3 = cohorts.ue3 * q_ue3
    tp = assumptions.tagespflege_share_u3
    per_child = assumptions.mean_hours / assumptions.full_time_hours
    shape = np.broadcast_shapes(demand_u3.shape, demand_ue3.shape)
    return KitaDemand(
        years=cohorts.years,
        districts=cohorts.districts,
        children_u3=np.broadcast_to(cohorts.u3, shape),
        children_ue3=np.broadcast_to(cohorts.ue3, shape),
        demand_u3=np.broadcast_to(demand_u3, shape),
        demand_u3_kita=np.broadcast_to(demand_u3 * (1 - tp), shape),
        demand_u3_tagespflege=np.broadcast_to(demand_u3 * tp, shape),
        demand_ue3=np.broadcast_to(demand_ue3, shape),
        fte_u3=np.broadcast_to(demand_u3 * (1 - tp) * per_child, shape),
        fte_ue3=np.broadcast_to(demand_ue3 * per_child, shape),
    )


def participation_shift(
    observed: pd.Series,
    selection: QuotaSelection,
    years: np.ndarray,
    rngs: list[np.random.Generator] | None = None,
) -> np.ndarray:
    """How far the Betreuungsquote moves from the first Kita year on, shape (N, Y), share points.

    Args:
        observed: the city's (or a district's) quota by Kita year, the series the selection was
            fitted to.
        selection: the chosen quota model, fitted to ``observed``.
        years: the Kita years of the projection; ``years[0]`` is the reference.
        rngs: one generator per population draw: draw d gets its own simulated quota path. None
            gives the model's point forecast (one path).

    Returns:
        p(t) - p(years[0]) per draw and Kita year, with p observed up to the last Kita year with
        data (gaps interpolated) and forecast after it.
    """
    obs = observed.dropna().sort_index()
    last = int(obs.index.max())
    horizon = max(int(years[-1]) - last, 0)
    span = np.arange(int(obs.index.min()), last + 1)
    past = np.interp(span, obs.index.to_numpy(int), obs.to_numpy(float))
    if horizon == 0:
        future = np.empty((1, 0))
    elif rngs is None:
        future = selection.forecast(horizon).mean[None, :]
    else:
        future = np.vstack([selection.model.simulate(horizon, 1, rng) for rng in rngs])
    full_years = np.arange(span[0], last + horizon + 1)
    n = future.shape[0]
    full = np.concatenate([np.broadcast_to(past, (n, past.size)), future], axis=1)
    # Kita years before the first observed one take the first observed quota.
    idx = np.clip(np.asarray(years, dtype=int) - full_years[0], 0, full_years.size - 1)
    path = full[:, idx]
    return path - path[:, :1]
