"""Typed configuration of the Ganztag stage (config group ``ganztag``) and its conversion.

The defaults live once, in ``forecast/parameters/ganztag.yaml``; ``conf/ganztag/*.yaml`` select a
take-up path (``default`` = ``q64``, the parents' stated demand; ``status_quo``, ``q73``,
``q80``, ``history``). ``ganztag_settings`` checks the values and turns them into the plain
objects of ``forecast.ganztag``; a value out of range is a ``ValueError`` naming the key, raised
before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from forecast.ganztag.cohorts import Careers
from forecast.ganztag.costs import GanztagCosts
from forecast.ganztag.demand import PATHS
from forecast.ganztag.entitlement import Rollout
from forecast.ganztag.places import FORMS
from forecast.kita.cohorts import SchoolEntryRule
from simulation.params import Param, default

FALLBACK_STATE = "NW"
"""Without a known ``state`` in city.yaml: the NRW cut-off (30 September), as the Kita stage."""


@dataclass
class GanztagConfig:
    """The ``ganztag`` config group (parameters with sources: ``forecast/parameters/ganztag.yaml``).

    Attributes:
        variant: name of the YAML file in ``conf/ganztag``.
        takeup: take-up path: ``status_quo``, ``q64``, ``q73``, ``q80`` or ``history``.
    """

    variant: str = "default"
    takeup: str = "q64"
    school_cutoff: Param = default("ganztag.school_cutoff")
    early_entry: Param = default("ganztag.early_entry")
    deferral: Param = default("ganztag.deferral")
    repeat_rate: Param = default("ganztag.repeat_rate")
    rollout: Param = default("ganztag.rollout")
    quota_targets: Param = default("ganztag.quota_targets")
    status_quo_fallback: Param = default("ganztag.status_quo_fallback")
    ramp_years: Param = default("ganztag.ramp_years")
    lunchtime_share: Param = default("ganztag.lunchtime_share")
    holiday_share: Param = default("ganztag.holiday_share")
    east_states: Param = default("ganztag.east_states")
    count_planned: Param = default("ganztag.count_planned")
    new_place_form: Param = default("ganztag.new_place_form")
    children_per_staff: Param = default("ganztag.children_per_staff")
    running_cost: Param = default("ganztag.running_cost")
    investment_cost: Param = default("ganztag.investment_cost")
    price_year: Param = default("ganztag.price_year")
    price_growth: Param = default("ganztag.price_growth")
    funding: Param = default("ganztag.funding")


@dataclass(frozen=True)
class GanztagSettings:
    """Everything the Ganztag stage needs from the configuration, checked.

    Attributes:
        takeup: the take-up path.
        target: the path's quota for entitled grades (``q*``), else None.
        school_entry: the Land's cut-off (``state`` of city.yaml).
        state_known: whether the city's ``state`` has a cut-off (else the NRW fallback).
        careers: early entry, deferral, repetition.
        rollout: the entitlement rollout.
        east: whether the city is in the East (fallback quota, lunchtime share).
        status_quo_fallback: participation without place data.
        ramp_years: years to the target.
        lunchtime_share, holiday_share: splits of the demand.
        count_planned: count planned places.
        costs: staff and cost assumptions.
    """

    takeup: str
    target: float | None
    school_entry: SchoolEntryRule
    state_known: bool
    careers: Careers
    rollout: Rollout
    east: bool
    status_quo_fallback: float
    ramp_years: float
    lunchtime_share: float
    holiday_share: float
    count_planned: bool
    costs: GanztagCosts


def _share(name: str, value: Any) -> float:
    number = float(value)
    if not 0.0 <= number <= 1.0:
        raise ValueError(f"ganztag.{name} = {number:g}: expected a share between 0 and 1")
    return number


def _by_form(name: str, param: Param) -> dict[str, float]:
    value = dict(param.value)
    missing = [f for f in FORMS if f not in value]
    if missing:
        raise ValueError(f"ganztag.{name}.value lacks {missing}: expected keys {list(FORMS)}")
    out = {f: float(value[f]) for f in FORMS}
    if any(v <= 0 for v in out.values()):
        raise ValueError(f"ganztag.{name}.value: expected positive numbers, got {out}")
    return out


def ganztag_settings(cfg: GanztagConfig, state: str | None) -> GanztagSettings:
    """Check the ``ganztag`` config group and turn it into library settings.

    Args:
        cfg: the composed ``ganztag`` group.
        state: ``state`` from city.yaml (Bundesland code): cut-off, East or West.

    Raises:
        ValueError: an unknown take-up path or a value out of range; the message names the key.
    """
    if cfg.takeup not in PATHS:
        raise ValueError(f"ganztag.takeup = {cfg.takeup!r}: expected one of {list(PATHS)}")
    code = str(state or "").upper()
    cutoffs = dict(cfg.school_cutoff.value)
    known = code in cutoffs
    month, day = (int(v) for v in cutoffs[code if known else FALLBACK_STATE])
    rule = SchoolEntryRule(month, day, cfg.school_cutoff.source)
    east = code in {str(s).upper() for s in cfg.east_states.value}
    half = "east" if east else "west"
    targets = dict(cfg.quota_targets.value)
    target = (
        _share(f"quota_targets.value.{cfg.takeup}", targets[cfg.takeup])
        if (cfg.takeup in targets)
        else None
    )
    rollout = dict(cfg.rollout.value)
    funding = {k: _share(f"funding.value.{k}", v) for k, v in dict(cfg.funding.value).items()}
    for kind in ("investment", "running"):
        if funding.get(f"{kind}_federal", 0) + funding.get(f"{kind}_land", 0) > 1:
            raise ValueError(f"ganztag.funding.value: federal + Land {kind} shares exceed 1")
    costs = GanztagCosts(
        children_per_staff=_by_form("children_per_staff", cfg.children_per_staff),
        running_cost=_by_form("running_cost", cfg.running_cost),
        investment_cost=float(cfg.investment_cost.value),
        price_year=int(cfg.price_year.value),
        price_growth=float(cfg.price_growth.value),
        new_form=str(cfg.new_place_form.value),
        funding=funding,
    )
    return GanztagSettings(
        takeup=cfg.takeup,
        target=target,
        school_entry=rule,
        state_known=known,
        careers=Careers(
            _share("early_entry", cfg.early_entry.value),
            _share("deferral", cfg.deferral.value),
            _share("repeat_rate", cfg.repeat_rate.value),
        ),
        rollout=Rollout(int(rollout["first_school_year"]), int(rollout["grades"])),
        east=east,
        status_quo_fallback=_share(
            f"status_quo_fallback.value.{half}", dict(cfg.status_quo_fallback.value)[half]
        ),
        ramp_years=float(cfg.ramp_years.value),
        lunchtime_share=_share(
            f"lunchtime_share.value.{half}", dict(cfg.lunchtime_share.value)[half]
        ),
        holiday_share=_share("holiday_share", cfg.holiday_share.value),
        count_planned=bool(cfg.count_planned.value),
        costs=costs,
    )
