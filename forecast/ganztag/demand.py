"""Demand for all-day care: children x a take-up path, split into lunchtime, full-day and holiday.

A take-up path gives the share of a grade's children whose parents take a place:

* ``status_quo``: the city's own participation (places in use / children of grades 1-4 in the
  base school year; without place data the national figure of its half of the country) for every
  grade and year;
* ``q64``, ``q73``, ``q80`` (conf ``64``, ``73``, ``80``): a grade keeps the status quo until it
  is entitled; from the first entitled school year its quota moves linearly to the target over
  ``ramp_years`` (never below the status quo: in the East participation is above every target);
* ``history``: the city's own participation series continued by the Kita quota models
  (``forecast.kita.quota_selection``: the model with the smallest rolling-origin error).

Demand splits into lunchtime-only care (until about 14:00; a share of the demand) and full-day
care; holiday care is a share of the full-day demand, a figure of its own (the same children).

References:
    GaFöG reports of the Federal Government (Prognos/ITES, 2nd 2024 and 3rd 3 Dec 2025): 57 %
    participation 2023/24, 64 % stated demand, 13 % (West) lunchtime only; IW 2022 (73 %);
    DJI 2019 cost study (79 %).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forecast.ganztag.entitlement import Rollout

PATHS = ("status_quo", "q64", "q73", "q80", "history")


@dataclass(frozen=True)
class TakeUp:
    """A take-up path.

    Attributes:
        path: one of ``PATHS``.
        status_quo: participation in the base school year (share of grades 1-4).
        target: the scenario's quota for entitled grades (``q*`` paths), else None.
        ramp_years: years from the first entitled school year to the target.
        history: quota per school year from the city's series (``history`` path), shape (Y,).
    """

    path: str
    status_quo: float
    target: float | None = None
    ramp_years: float = 4.0
    history: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.path not in PATHS:
            raise ValueError(f"take-up path {self.path!r}: expected one of {PATHS}")
        if self.path.startswith("q") and self.target is None:
            raise ValueError(f"take-up path {self.path!r} needs a target quota")
        if self.path == "history" and self.history is None:
            raise ValueError("take-up path 'history' needs the city's quota series")
        if not 0.0 <= self.status_quo <= 1.0:
            raise ValueError(f"status quo participation {self.status_quo:g}: expected 0..1")

    def quotas(self, years, rollout: Rollout) -> np.ndarray:
        """Take-up quota per school year and grade, shape (Y, 4)."""
        years = np.asarray(years, dtype=int)
        mask = rollout.mask(years)
        if self.path == "status_quo":
            return np.full(mask.shape, self.status_quo)
        if self.path == "history":
            return np.repeat(np.clip(self.history, 0.0, 1.0)[:, None], mask.shape[1], axis=1)
        step = (years - rollout.first_school_year + 1) / max(self.ramp_years, 1e-9)
        path = self.status_quo + (self.target - self.status_quo) * np.clip(step, 0.0, 1.0)
        entitled = np.maximum(path, self.status_quo)[:, None]
        return np.where(mask, entitled, self.status_quo)


@dataclass(frozen=True)
class Demand:
    """Ganztag demand by draw, year and area (N, Y, D), children.

    Attributes:
        total: children whose parents take a place.
        lunchtime: of them, lunchtime care only (until about 14:00).
        full_day: of them, full-day care (8 hours incl. lessons).
        holiday: full-day children who also need care in the school holidays.
        by_grade: total demand by grade, (N, Y, D, 4).
    """

    total: np.ndarray
    lunchtime: np.ndarray
    full_day: np.ndarray
    holiday: np.ndarray
    by_grade: np.ndarray


def project_demand(
    by_grade: np.ndarray,
    years,
    takeup: TakeUp,
    rollout: Rollout,
    lunchtime_share: float,
    holiday_share: float,
) -> Demand:
    """Demand from children by grade (N, Y, D, 4) under a take-up path."""
    q = takeup.quotas(years, rollout)
    grade_demand = by_grade * q[None, :, None, :]
    total = grade_demand.sum(axis=-1)
    lunchtime = total * lunchtime_share
    full_day = total - lunchtime
    return Demand(total, lunchtime, full_day, full_day * holiday_share, grade_demand)
