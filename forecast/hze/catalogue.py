"""The Hilfearten of the HzE forecast, read from ``forecast/hze/hilfearten.yaml``.

That file holds every attribute of every Hilfeart (labels, setting, age profile, national rate,
duration, unit cost, and the system model's intensity, stationary/flexible/direct-access flags,
Sozialraumbudget scope and escalation row), each number with its source as in ../shared/DOMAIN.md
(``[Sxx]`` a source there, ``D`` derived, ``estimate``); its header explains the conventions. The
input contract (``forecast.contract.HILFEARTEN``), the costs, the run configuration's defaults
(``simulation.config_hze``) and the system model (``simulation.abm``) all derive from it, so a new
Hilfeart is one entry there plus its data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from forecast.params import HILFEARTEN_FILE, default_value, read_yaml

AGE_BANDS = ((0, 2), (3, 5), (6, 11), (12, 17), (18, 20), (21, 26))
"""Age bands (inclusive, completed years) of the age profiles of begun cases."""

EXPOSURE_AGES = 27
"""Single ages 0..26 carried for HzE (§ 41 helps young adults up to 27)."""

UNDER_21 = 21
"""National rates are per 10,000 persons aged 0..20."""

Z95 = 1.6448536269514722
"""Standard normal 95 % quantile: a 5 %..95 % range spans 2 x Z95 standard deviations."""


@dataclass(frozen=True)
class Hilfeart:
    """One Hilfeart (form of help) with its default parameters.

    Attributes:
        code: contract code, e.g. ``p34``.
        label: German label (paragraph and name).
        short: short German label for figures.
        setting: ``ambulant``, ``teilstationär`` or ``stationär`` (or ``Beratung``).
        counted_per: ``young person`` or ``family`` (SPFH is counted per family [S3]).
        age_profile: share of begun cases per ``AGE_BANDS`` band, sums to 1.
        national_rate: Fallzahl per 10,000 under 21 per year, Germany 2023; None = not counted
            separately nationally.
        national_range: ±1 CV range of the national rate (same unit).
        rate_source: where the rate comes from.
        duration_months: mean completed duration, months.
        duration_range: 5 %..95 % range of the mean duration, months.
        duration_shape: Weibull shape of the duration (1 = geometric, < 1 = many short helps).
        duration_source: where the duration comes from.
        unit_cost: EUR per case-month (``p28``: EUR per begun case), 2024/25 prices.
        cost_range: 5 %..95 % range of the unit cost, same unit.
        cost_per_case: the unit cost is per begun case, not per case-month.
        cost_source: where the unit cost comes from.
        intensity: position from the least to the most intensive help (system model need band).
        stationary: residential help whose entries SRO aims to reduce (Fremdunterbringung).
        flexible: the Hilfeart of tailor-made help (Maßanzug).
        direct_access: begun without the ASD (Erziehungsberatung).
        sro_scope: financed by the Sozialraumbudget.
        escalation: Hilfeart -> probability that an ending help is followed by it.
        params: the YAML entries (value, unit, source, range) of the numbers above.
    """

    code: str
    label: str
    short: str
    setting: str
    counted_per: str
    age_profile: tuple[float, ...]
    national_rate: float | None
    national_range: tuple[float, float] | None
    rate_source: str
    duration_months: float
    duration_range: tuple[float, float]
    duration_shape: float
    duration_source: str
    unit_cost: float
    cost_range: tuple[float, float]
    cost_per_case: bool
    cost_source: str
    intensity: float = 0.0
    stationary: bool = False
    flexible: bool = False
    direct_access: bool = False
    sro_scope: bool = False
    escalation: Mapping[str, float] = field(default_factory=dict)
    params: Mapping[str, dict] = field(default_factory=dict, compare=False, repr=False)


def _pair(values: list | None) -> tuple[float, float] | None:
    return None if values is None else (float(values[0]), float(values[1]))


def hilfeart(code: str, entry: dict) -> Hilfeart:
    """One Hilfeart from its entry in the catalogue file."""
    rate, dur, cost = entry["national_rate"], entry["duration"], entry["unit_cost"]
    return Hilfeart(
        code=code,
        label=entry["label"],
        short=entry["short"],
        setting=entry["setting"],
        counted_per=entry["counted_per"],
        age_profile=tuple(float(v) for v in entry["age_profile"]["value"]),
        national_rate=None if rate["value"] is None else float(rate["value"]),
        national_range=_pair(rate["range"]),
        rate_source=rate["source"],
        duration_months=float(dur["value"]),
        duration_range=_pair(dur["range"]),
        duration_shape=float(dur["shape"]),
        duration_source=dur["source"],
        unit_cost=float(cost["value"]),
        cost_range=_pair(cost["range"]),
        cost_per_case=bool(cost["per_case"]),
        cost_source=cost["source"],
        intensity=float(entry["intensity"]),
        stationary=bool(entry["stationary"]),
        flexible=bool(entry["flexible"]),
        direct_access=bool(entry["direct_access"]),
        sro_scope=bool(entry["sro_scope"]),
        escalation={str(k): float(v) for k, v in (entry.get("escalation") or {}).items()},
        params={k: entry[k] for k in ("age_profile", "national_rate", "duration", "unit_cost")},
    )


def load_catalogue(path: Path | str = HILFEARTEN_FILE) -> dict[str, Hilfeart]:
    """The Hilfearten of a catalogue file, in its order.

    Raises:
        ValueError: no or several flexible Hilfearten, or an escalation to an unknown code.
    """
    entries = read_yaml(path)["hilfearten"]
    catalogue = {str(code): hilfeart(str(code), entry) for code, entry in entries.items()}
    if sum(h.flexible for h in catalogue.values()) != 1:
        raise ValueError(f"{path}: expected exactly one Hilfeart with flexible: true")
    for h in catalogue.values():
        unknown = set(h.escalation) - set(catalogue)
        if unknown:
            raise ValueError(f"{path}: {h.code} escalates to unknown {sorted(unknown)}")
    return catalogue


CATALOGUE: dict[str, Hilfeart] = load_catalogue()
"""The Hilfearten by code (a dict changed in place by tests that add a Hilfeart)."""


def stationary_codes(catalogue: Mapping[str, Hilfeart] = CATALOGUE) -> tuple[str, ...]:
    """Residential Hilfearten (Fremdunterbringung, §§ 33, 34)."""
    return tuple(h for h, c in catalogue.items() if c.stationary)


def flexible_code(catalogue: Mapping[str, Hilfeart] = CATALOGUE) -> str:
    """The Hilfeart of tailor-made help (§ 27 Abs. 2)."""
    return next(h for h, c in catalogue.items() if c.flexible)


def direct_access_codes(catalogue: Mapping[str, Hilfeart] = CATALOGUE) -> tuple[str, ...]:
    """Hilfearten begun without the ASD (Erziehungsberatung)."""
    return tuple(h for h, c in catalogue.items() if c.direct_access)


def sro_scope_codes(catalogue: Mapping[str, Hilfeart] = CATALOGUE) -> tuple[str, ...]:
    """Hilfearten financed by the Sozialraumbudget, in catalogue order."""
    return tuple(h for h, c in catalogue.items() if c.sro_scope)


def intensity_order(catalogue: Mapping[str, Hilfeart] = CATALOGUE) -> tuple[str, ...]:
    """Hilfearten from the least to the most intensive (ties: catalogue order)."""
    return tuple(sorted(catalogue, key=lambda h: catalogue[h].intensity))


def escalation_table(catalogue: Mapping[str, Hilfeart] = CATALOGUE) -> dict[str, dict[str, float]]:
    """Origin -> {target: probability} of the Hilfearten with an escalation row."""
    return {h: dict(c.escalation) for h, c in catalogue.items() if c.escalation}


NATIONAL_YEAR_SHOCK_VAR: float = default_value("hze.national_year_shock_var")
"""Variance of the common year-to-year shock of a city's HzE rates (log scale, per year);
value and derivation in ``forecast/parameters/hze.yaml``."""


def age_weights(code: str, ages: int = EXPOSURE_AGES) -> np.ndarray:
    """Relative begin intensity by single age 0..ages-1 for one Hilfeart.

    Normalised so that the weights sum to 21: in a population with the same number of persons at
    every age 0..26, the weighted exposure equals the number of persons under 21, so a rate per
    weighted person is a rate per person under 21 (the unit of the national statistics).

    Args:
        code: Hilfeart code.
        ages: number of single ages (at most 27).

    Returns:
        Weights, shape (ages,), dimensionless.
    """
    shares = CATALOGUE[code].age_profile
    w = np.zeros(EXPOSURE_AGES)
    for (lo, hi), share in zip(AGE_BANDS, shares, strict=True):
        w[lo : hi + 1] = share / (hi - lo + 1)
    return (w * UNDER_21 / w.sum())[:ages]


def label(code: str) -> str:
    """German label of a Hilfeart code (``Total`` -> ``Hilfen zur Erziehung insgesamt``)."""
    if code == "Total":
        return "Hilfen zur Erziehung insgesamt"
    return CATALOGUE[code].label
