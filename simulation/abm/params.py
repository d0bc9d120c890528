"""Parameters of the HzE system model: the classic system and the Sozialraumorientierung (SRO).

Every mechanism is one number with a unit, a source and a plausible range, kept as field metadata
of two frozen dataclasses (``ClassicParams``, ``SroParams``). The run configuration
(``conf/service_model/*.yaml``) repeats them with the same values, sources and ranges; a test keeps
both equal. Sources are those of ../shared/DOMAIN.md (``[Sxx]``); ``estimate`` says that no source
was found and why the value is plausible.

SRO effects are given *at full effect*; the logistic ramp-up (``SroParams.ramp``) scales each
one from neutral (month 0) to its full value (after about ``ramp_years``). ``SroParams.neutral()``
sets every effect to its neutral value: the SRO scenario then behaves exactly like the classic one.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

FLEXIBLE = "p27_2"
"""The Hilfeart of tailor-made help (Maßanzug): § 27 Abs. 2 flexible Hilfe."""

STATIONARY = ("p33", "p34")
"""Residential help whose entries SRO aims to reduce (Fremdunterbringung, DOMAIN.md § 1.3)."""


def spec(
    value: Any,
    unit: str,
    source: str,
    range: tuple[float, float] | None,  # noqa: A002 - the DESIGN word for it
    bounds: tuple[float, float],
    neutral: float | None = None,
    label: str = "",
) -> Any:
    """A dataclass field carrying a parameter's documentation.

    Args:
        value: default.
        unit: unit of the value.
        source: DOMAIN.md source tags, or ``estimate: <reason>``.
        range: plausible range for sensitivity analysis (None: not varied).
        bounds: hard bounds; a value outside is an error (inclusive).
        neutral: for SRO effects, the value that switches the effect off (None: not an effect).
        label: short German label for tables and the tornado chart.
    """
    meta = {
        "unit": unit,
        "source": source,
        "range": range,
        "bounds": bounds,
        "neutral": neutral,
        "label": label,
    }
    if isinstance(value, dict):
        return field(default_factory=lambda: dict(value), metadata=meta)
    if isinstance(value, tuple | list):
        return field(default_factory=lambda: tuple(value), metadata=meta)
    return field(default=value, metadata=meta)


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


_ESCALATION_DEFAULT = {
    "p28": {"p31": 0.03},
    "p29": {"p30": 0.05},
    "p30": {"p34": 0.06},
    "p31": {"p33": 0.03, "p34": 0.04},
    "p27_2": {"p34": 0.05},
    "p32": {"p34": 0.10},
    "p35": {"p34": 0.05},
    "p33": {"p34": 0.08},
    "p34": {"p35": 0.03},
}


@dataclass(frozen=True)
class ClassicParams:
    """The classic system: ASD (Allgemeiner Sozialer Dienst), providers (Träger), escalation.

    Staffing and places are planned from the expected case load of the inputs (what the
    Jugendamt's own forecast says) plus slack; random peaks above the plan make cases wait.
    """

    escalation: dict = spec(
        _ESCALATION_DEFAULT,
        "probability that a help ending is followed by the more intensive help named",
        "estimate: 29 % of helps end other than planned (70.9 % 'gemäß Hilfeplan' 2023 [S1]); "
        "21 % of Heimerziehung broken off [S17]; a part continues in a more intensive help",
        None,
        (0.0, 0.5),
        label="Eskalation",
    )
    asd_hours_per_fte: float = spec(
        80.0,
        "hours per month for case work per full-time ASD caseworker",
        "estimate: about 1,600 productive hours a year, 60 % of them case work",
        (60.0, 100.0),
        (1.0, 200.0),
        label="ASD-Fallarbeitsstunden je VZÄ",
    )
    asd_intake_hours: float = spec(
        12.0,
        "hours per new help (assessment, Hilfeplan, placement)",
        "estimate",
        (8.0, 20.0),
        (0.5, 100.0),
        label="ASD-Stunden je Hilfebeginn",
    )
    asd_review_hours: float = spec(
        1.0,
        "hours per running help per month (Hilfeplan review every 6 months)",
        "estimate: about 6 hours per half-yearly Hilfeplangespräch",
        (0.5, 2.0),
        (0.0, 20.0),
        label="ASD-Stunden je laufender Hilfe",
    )
    asd_slack: float = spec(
        0.10,
        "ASD staffing above the expected workload, fraction",
        "estimate",
        (0.0, 0.3),
        (0.0, 2.0),
        label="ASD-Personalreserve",
    )
    provider_slack: float = spec(
        0.10,
        "places above the expected occupancy, fraction (plus 2 sd of Poisson noise)",
        "estimate",
        (0.0, 0.3),
        (0.0, 2.0),
        label="Platzreserve der Träger",
    )
    provider_adjust: float = spec(
        0.25,
        "share of a shortage of ambulant places a provider closes per month",
        "estimate: new ambulant staff within a few months",
        (0.1, 0.5),
        (0.0, 1.0),
        label="Anpassung ambulanter Plätze",
    )
    provider_adjust_stationary: float = spec(
        0.05,
        "share of a shortage of residential places (§§ 33, 34) a provider closes per month",
        "estimate: new groups or foster families take one to two years",
        (0.02, 0.15),
        (0.0, 1.0),
        label="Anpassung stationärer Plätze",
    )
    providers_per_area: int = spec(
        3,
        "providers (Träger) per Wirkungsraum",
        "estimate: a few large providers per Sozialraum (Celle: four [S76])",
        None,
        (1, 50),
        label="Träger je Wirkungsraum",
    )
    price_spread: float = spec(
        0.10,
        "sd of providers' log price relative to the unit cost",
        "estimate: Fachleistungsstunde EUR 48.90-93.40 between municipalities [S32][S33][S34]",
        (0.0, 0.2),
        (0.0, 1.0),
        label="Preisstreuung der Träger",
    )

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


_SCOPE_DEFAULT = ("p27_2", "p29", "p30", "p31", "p32", "p33", "p34", "p35", "p41")


@dataclass(frozen=True)
class SroParams:
    """Fachkonzept Sozialraumorientierung with lead providers (Leitträger) and a Planbudget.

    All effects act on the Hilfearten of ``scope`` (the Sozialraumbudget: ambulant and stationary
    help, as in Arnsberg [S100]; Erziehungsberatung and § 35a stay outside) and are reached
    gradually along the logistic ramp-up.
    """

    ramp_years: float = spec(
        4.0,
        "years until 95 % of the full effect (logistic, midpoint at half of it)",
        "DOMAIN.md § 6.5: Stuttgart 1998-2006 [S80]; Ostholstein 2010-2014 [S85]; estimate",
        (2.0, 8.0),
        (0.25, 30.0),
        label="Anlaufzeit",
    )
    stationary_entry: float = spec(
        0.85,
        "multiplier of new §§ 33/34 placements at full effect (the rest get a Maßanzug)",
        "DOMAIN.md § 6.5: -40 % stationary Ostholstein as upper bound [S85]; null result "
        "possible (Berlin rebound [S88])",
        (0.60, 1.00),
        (0.0, 1.0),
        neutral=1.0,
        label="Neue Fremdunterbringungen",
    )
    escalation: float = spec(
        0.85,
        "multiplier of the escalation of ambulant help into §§ 33/34 at full effect",
        "estimate: the stationary entry multiplier of DOMAIN.md § 6.5 [S85][S88]",
        (0.60, 1.00),
        (0.0, 2.0),
        neutral=1.0,
        label="Eskalation in stationäre Hilfe",
    )
    ambulant_duration: float = spec(
        0.95,
        "multiplier of the duration of ambulant and teilstationär help at full effect",
        "DOMAIN.md § 6.5: estimate (no source)",
        (0.85, 1.05),
        (0.1, 3.0),
        neutral=1.0,
        label="Dauer ambulanter Hilfen",
    )
    ambulant_contacts: float = spec(
        1.10,
        "multiplier of new ambulant and teilstationär help at full effect",
        "DOMAIN.md § 6.5: Stuttgart ambulant +19 % vs BW +10 % [S90]; Hamburg [S87]",
        (1.00, 1.25),
        (0.1, 5.0),
        neutral=1.0,
        label="Ambulante Zugänge",
    )
    prevention_share: float = spec(
        0.05,
        "share of the Planbudget spent on fallunspezifische/fallübergreifende work at full effect",
        "DOMAIN.md § 6.5: 5 % of the HzE budget (3-10 %; 20 % of an ambulant budget in "
        "Celle [S76])",
        (0.03, 0.10),
        (0.0, 0.5),
        neutral=0.0,
        label="Budgetanteil fallunspezifische Arbeit",
    )
    prevention_yield: float = spec(
        2.0,
        "relative reduction of new help per budget share spent on fallunspezifische work",
        "estimate: Graz, 60 projects reached about 350 cases [S83]; 5 % of the budget -> 10 % "
        "fewer new helps, so that with all defaults a city with national rates reaches a total "
        "cost multiplier of about 0.94 at full effect (DOMAIN.md § 6.5: 0.93 [S81][S88]; "
        "validation/validate_abm.py)",
        (0.5, 3.0),
        (0.0, 20.0),
        neutral=0.0,
        label="Wirkung fallunspezifischer Arbeit",
    )
    prevention_lag: float = spec(
        12.0,
        "months from fallunspezifische spending to fewer new cases",
        "estimate",
        (6.0, 24.0),
        (0.0, 120.0),
        label="Verzögerung der Präventionswirkung",
    )
    transition_cost: float = spec(
        0.02,
        "extra cost in years 1-2 (parallel structures, training), share of the Planbudget",
        "DOMAIN.md § 6.5: +2 % (0-5 %), estimate; Stuttgart's EUR 2.5 M project frame [S134]",
        (0.0, 0.05),
        (0.0, 1.0),
        neutral=0.0,
        label="Umstellungskosten",
    )
    diverted_cost_factor: float = spec(
        1.5,
        "cost of a Maßanzug instead of a placement, relative to flexible help (§ 27.2)",
        "estimate: more hours than an average flexible help",
        (1.0, 2.5),
        (0.0, 10.0),
        label="Kosten eines Maßanzugs",
    )
    diversion_failure: float = spec(
        0.20,
        "probability that a Maßanzug instead of a placement ends in that placement after all",
        "estimate: risk named by Graz's audit office [S81][S82] and Berlin's rebound [S88]",
        (0.0, 0.4),
        (0.0, 1.0),
        label="Scheitern von Maßanzügen",
    )
    pressure_cut: float = spec(
        3.0,
        "relative cut of fallunspezifische spending per unit of overspending (last 12 months)",
        "estimate: budget caps crowd out prevention (Berlin [S88])",
        (0.0, 10.0),
        (0.0, 100.0),
        label="Kürzung bei Budgetdruck",
    )
    pressure_diversion: float = spec(
        1.0,
        "extra share of placements diverted to a Maßanzug per unit of overspending",
        "estimate: incentive to cheaper help named by Graz's audit office [S81][S82]",
        (0.0, 3.0),
        (0.0, 100.0),
        neutral=0.0,
        label="Umsteuerung bei Budgetdruck",
    )
    scope: tuple = spec(
        _SCOPE_DEFAULT,
        "Hilfearten financed by the Sozialraumbudget",
        "Arnsberg: ambulant and stationary help in the Planbudget [S100]; Erziehungsberatung "
        "(institutional funding) and § 35a (own entitlement test) outside, estimate",
        None,
        (0, 0),
        label="Budget-Hilfearten",
    )

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
