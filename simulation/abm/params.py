"""Parameters of the HzE system model: the classic system and the Sozialraumorientierung (SRO).

Every mechanism is one number with a unit, a source and a plausible range, written once in
``forecast/parameters/service_model.yaml`` and kept as field metadata of two frozen dataclasses
(``ClassicParams``, ``SroParams``); the run configuration (``simulation.config_abm``) takes its
defaults from the same file. The escalation rows and the Sozialraumbudget scope are attributes of
the Hilfearten (``forecast/hze/hilfearten.yaml``). Sources are those of ../shared/DOMAIN.md
(``[Sxx]``); ``estimate`` says that no source was found and why the value is plausible.

SRO effects are given *at full effect*; the logistic ramp-up (``SroParams.ramp``) scales each
one from neutral (month 0) to its full value (after about ``ramp_years``). ``SroParams.neutral()``
sets every effect to its neutral value: the SRO scenario then behaves exactly like the classic one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from forecast.hze.catalogue import escalation_table, sro_scope_codes
from forecast.params import default_param


def spec(key: str, catalogue_default: Callable[[], Any] | None = None) -> Any:
    """A dataclass field with the default and documentation of one parameter.

    Args:
        key: ``classic.<name>`` or ``sro.<name>`` in ``forecast/parameters/service_model.yaml``
            (value, unit, source, range, bounds, optional neutral and label).
        catalogue_default: for tables held per Hilfeart (escalation, scope), the function of
            ``forecast.hze.catalogue`` that builds the default.
    """
    entry = default_param(f"service_model.{key}")
    meta = {
        "unit": entry["unit"],
        "source": entry["source"],
        "range": None if entry["range"] is None else tuple(entry["range"]),
        "bounds": tuple(entry["bounds"]),
        "neutral": entry.get("neutral"),
        "label": entry.get("label", ""),
    }
    if catalogue_default is not None:
        return field(default_factory=catalogue_default, metadata=meta)
    return field(default=entry["value"], metadata=meta)


def _check_bounds(obj: Any) -> None:
    for f in dataclasses.fields(obj):
        lo, hi = f.metadata["bounds"]
        value = getattr(obj, f.name)
        if isinstance(value, dict):
            for origin, targets in value.items():
                for target, p in targets.items():
                    if not lo <= p <= hi or not np.isfinite(p):
                        raise ValueError(
                            f"{type(obj).__name__}.{f.name}[{origin}][{target}] = {p!r}: "
                            f"expected a probability between {lo} and {hi}"
                        )
            continue
        if isinstance(value, tuple):
            continue
        if not isinstance(value, int | float) or not np.isfinite(value) or not lo <= value <= hi:
            raise ValueError(
                f"{type(obj).__name__}.{f.name} = {value!r}: expected a number between {lo} and "
                f"{hi} ({f.metadata['unit']})"
            )


def describe(cls: type) -> dict[str, dict]:
    """Name -> documentation (default, unit, source, range, neutral, label) of a parameter class."""
    out = {}
    for f in dataclasses.fields(cls):
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        out[f.name] = {"value": default, **f.metadata}
    return out


@dataclass(frozen=True)
class ClassicParams:
    """The classic system: ASD (Allgemeiner Sozialer Dienst), providers (Träger), escalation.

    Staffing and places are planned from the expected case load of the inputs (what the
    Jugendamt's own forecast says) plus slack; random peaks above the plan make cases wait.
    """

    escalation: dict = spec("classic.escalation", escalation_table)
    asd_hours_per_fte: float = spec("classic.asd_hours_per_fte")
    asd_intake_hours: float = spec("classic.asd_intake_hours")
    asd_review_hours: float = spec("classic.asd_review_hours")
    asd_slack: float = spec("classic.asd_slack")
    provider_slack: float = spec("classic.provider_slack")
    provider_adjust: float = spec("classic.provider_adjust")
    provider_adjust_stationary: float = spec("classic.provider_adjust_stationary")
    providers_per_area: int = spec("classic.providers_per_area")
    price_spread: float = spec("classic.price_spread")

    def __post_init__(self) -> None:
        _check_bounds(self)

    def escalation_matrix(self, codes: tuple[str, ...]) -> tuple[np.ndarray, list[str]]:
        """Escalation probabilities between the modelled Hilfearten.

        Returns:
            (E (H, H) with E[g, h] = P(help g is followed by help h), notes on dropped entries).
        """
        index = {h: i for i, h in enumerate(codes)}
        e = np.zeros((len(codes), len(codes)))
        notes = []
        for origin, targets in self.escalation.items():
            for target, p in targets.items():
                if origin in index and target in index:
                    e[index[origin], index[target]] = p
                else:
                    notes.append(f"escalation {origin} -> {target} left out: not modelled")
        if (e.sum(1) > 1.0).any():
            raise ValueError("ClassicParams.escalation: probabilities of one origin sum above 1")
        return e, notes

    def replace(self, **changes: Any) -> ClassicParams:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class SroParams:
    """Fachkonzept Sozialraumorientierung with lead providers (Leitträger) and a Planbudget.

    All effects act on the Hilfearten of ``scope`` (the Sozialraumbudget: ambulant and stationary
    help, as in Arnsberg [S100]; Erziehungsberatung and § 35a stay outside) and are reached
    gradually along the logistic ramp-up.
    """

    ramp_years: float = spec("sro.ramp_years")
    stationary_entry: float = spec("sro.stationary_entry")
    escalation: float = spec("sro.escalation")
    ambulant_duration: float = spec("sro.ambulant_duration")
    ambulant_contacts: float = spec("sro.ambulant_contacts")
    prevention_share: float = spec("sro.prevention_share")
    prevention_yield: float = spec("sro.prevention_yield")
    prevention_lag: float = spec("sro.prevention_lag")
    transition_cost: float = spec("sro.transition_cost")
    diverted_cost_factor: float = spec("sro.diverted_cost_factor")
    diversion_failure: float = spec("sro.diversion_failure")
    pressure_cut: float = spec("sro.pressure_cut")
    pressure_diversion: float = spec("sro.pressure_diversion")
    scope: tuple = spec("sro.scope", sro_scope_codes)

    def __post_init__(self) -> None:
        _check_bounds(self)

    @classmethod
    def neutral(cls, **changes: Any) -> SroParams:
        """Every effect at its neutral value (the SRO scenario then equals the classic one)."""
        values = {
            name: d["neutral"] for name, d in describe(cls).items() if d["neutral"] is not None
        }
        return cls(**{**values, **changes})

    @classmethod
    def effects(cls) -> tuple[str, ...]:
        """Names of the parameters with a neutral value (the effects)."""
        return tuple(n for n, d in describe(cls).items() if d["neutral"] is not None)

    @classmethod
    def varied(cls) -> tuple[str, ...]:
        """Names of the parameters with a range (what the sensitivity analysis varies)."""
        return tuple(n for n, d in describe(cls).items() if d["range"] is not None)

    def replace(self, **changes: Any) -> SroParams:
        return dataclasses.replace(self, **changes)

    def ramp(self, month: np.ndarray | float) -> np.ndarray:
        """Share of the full effect reached in a month (0 at month 0, about 0.95 at ramp_years).

        A logistic curve with midpoint ``ramp_years / 2`` and 5 % / 95 % at 0 / ``ramp_years``,
        rescaled to start at exactly 0.

        Args:
            month: months since the start of SRO (0 = first month).
        """
        years = (np.asarray(month, float) + 0.5) / 12.0
        half = self.ramp_years / 2.0
        k = np.log(19.0) / half
        r = 1.0 / (1.0 + np.exp(-k * (years - half)))
        return np.clip((r - 0.05) / 0.95, 0.0, 1.0)
