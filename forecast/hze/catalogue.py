"""The Hilfearten of the HzE forecast: labels, ages, durations, national rates and unit costs.

One row per Hilfeart code of the input contract (``forecast.contract.HILFEARTEN``). Every number
carries its source as in ../shared/DOMAIN.md: ``[Sxx]`` is a source of DOMAIN.md, ``D`` derived
from sourced numbers, ``E`` an estimate. The run configuration (``conf/hze/default.yaml``) repeats
the numbers a planner may want to change, with the same sources; a test keeps both equal.

Conventions:

* **National rate** = HzE "Fallzahl" (running at 31.12. + ended during the year) per 10,000
  persons under 21, Germany 2023 (DOMAIN.md § 6.3). Range = ±1 coefficient of variation between
  Jugendämter (CV ≈ 0.4 [S10]). Help for young adults is counted under its form of help in the
  national statistics [S3][S4], so ``p41`` has no national rate of its own (None): a city that
  books § 41 separately must supply its own history.
* **Age profile** = share of *begun* cases by age band (0-2, 3-5, 6-11, 12-17, 18-20, 21-26),
  from the mean ages at start and age shares of DOMAIN.md § 1.5; spread evenly over the single ages
  of a band. It weights the population into an exposure (``forecast.hze.exposure``).
* **Duration** = completed duration of a help in months: a discretised Weibull with the given mean
  and shape (shape 1 = geometric). Range = 5 %..95 % of the uncertainty about the mean [E].
* **Unit cost** = EUR per case-month at 2024/25 prices (DOMAIN.md § 6.4); Erziehungsberatung
  (``p28``) is paid per case (per begun counselling), not per month. Range = 5 %..95 % [E].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forecast.contract import HILFEARTEN

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


_RATE_SRC = "DOMAIN.md § 1.2/§ 6.3: AKJStat/Destatis 2023 [S3][S1]; range ±1 CV [S10]"

CATALOGUE: dict[str, Hilfeart] = {
    h.code: h
    for h in (
        Hilfeart(
            code="p27_2",
            label="§ 27 Abs. 2 Flexible Hilfe",
            short="Flexible Hilfe",
            setting="ambulant",
            counted_per="young person",
            age_profile=(0.12, 0.14, 0.33, 0.33, 0.07, 0.01),
            national_rate=35.0,
            national_range=(21.0, 49.0),
            rate_source=_RATE_SRC + "; individual 11.2 + family-oriented 24.2",
            duration_months=14.0,
            duration_range=(10.0, 18.0),
            duration_shape=1.0,
            duration_source="14.1 months 2022 [S15]",
            unit_cost=1600.0,
            cost_range=(1000.0, 2500.0),
            cost_per_case=False,
            cost_source="D: EUR 9,500 per Fallzahl 2022 [S15] x Fallzahl/case-months at 14 months, +5 %/yr",
        ),
        Hilfeart(
            code="p28",
            label="§ 28 Erziehungsberatung",
            short="Erziehungsberatung",
            setting="Beratung",
            counted_per="young person",
            age_profile=(0.07, 0.15, 0.38, 0.33, 0.05, 0.02),
            national_rate=298.0,
            national_range=(180.0, 420.0),
            rate_source=_RATE_SRC,
            duration_months=6.0,
            duration_range=(3.0, 9.0),
            duration_shape=0.8,
            duration_source="> 2/3 ended within 6 months [S13]; shape 0.8 estimate",
            unit_cost=1200.0,
            cost_range=(600.0, 2000.0),
            cost_per_case=True,
            cost_source="estimate: institutional funding, per case (DOMAIN.md § 6.4)",
        ),
        Hilfeart(
            code="p29",
            label="§ 29 Soziale Gruppenarbeit",
            short="Soziale Gruppenarbeit",
            setting="ambulant",
            counted_per="young person",
            age_profile=(0.0, 0.02, 0.48, 0.45, 0.05, 0.0),
            national_rate=10.0,
            national_range=(6.0, 14.0),
            rate_source=_RATE_SRC,
            duration_months=12.0,
            duration_range=(6.0, 18.0),
            duration_shape=1.0,
            duration_source="estimate (DOMAIN.md § 6.3)",
            unit_cost=400.0,
            cost_range=(200.0, 700.0),
            cost_per_case=False,
            cost_source="estimate (DOMAIN.md § 6.4)",
        ),
        Hilfeart(
            code="p30",
            label="§ 30 Erziehungsbeistand, Betreuungshelfer",
            short="Erziehungsbeistand",
            setting="ambulant",
            counted_per="young person",
            age_profile=(0.0, 0.01, 0.24, 0.6, 0.13, 0.02),
            national_rate=43.0,
            national_range=(26.0, 61.0),
            rate_source=_RATE_SRC,
            duration_months=15.0,
            duration_range=(10.0, 20.0),
            duration_shape=1.0,
            duration_source="estimate (DOMAIN.md § 6.3)",
            unit_cost=1000.0,
            cost_range=(600.0, 1500.0),
            cost_per_case=False,
            cost_source="estimate: about 3 h/week x Fachleistungsstunde [S32][S33]",
        ),
        Hilfeart(
            code="p31",
            label="§ 31 Sozialpädagogische Familienhilfe",
            short="SPFH",
            setting="ambulant",
            counted_per="family",
            age_profile=(0.2, 0.17, 0.33, 0.26, 0.04, 0.0),
            national_rate=84.0,
            national_range=(50.0, 118.0),
            rate_source=_RATE_SRC,
            duration_months=16.0,
            duration_range=(12.0, 20.0),
            duration_shape=1.0,
            duration_source="16 months 2016 [S14]; mean age at start 8.2 [S14]",
            unit_cost=1800.0,
            cost_range=(1200.0, 2500.0),
            cost_per_case=False,
            cost_source="EUR 1,212-1,267 (2010-12) [S31] + inflation (estimate)",
        ),
        Hilfeart(
            code="p32",
            label="§ 32 Erziehung in einer Tagesgruppe",
            short="Tagesgruppe",
            setting="teilstationär",
            counted_per="young person",
            age_profile=(0.0, 0.05, 0.7, 0.25, 0.0, 0.0),
            national_rate=13.0,
            national_range=(8.0, 18.0),
            rate_source=_RATE_SRC,
            duration_months=20.0,
            duration_range=(12.0, 30.0),
            duration_shape=1.0,
            duration_source="estimate (DOMAIN.md § 6.3)",
            unit_cost=3000.0,
            cost_range=(2200.0, 4000.0),
            cost_per_case=False,
            cost_source="estimate (DOMAIN.md § 6.4)",
        ),
        Hilfeart(
            code="p33",
            label="§ 33 Vollzeitpflege",
            short="Vollzeitpflege",
            setting="stationär",
            counted_per="young person",
            age_profile=(0.27, 0.16, 0.27, 0.24, 0.05, 0.01),
            national_rate=52.0,
            national_range=(31.0, 73.0),
            rate_source=_RATE_SRC + "; 27 % of starts under 3 [S23]",
            duration_months=45.0,
            duration_range=(30.0, 60.0),
            duration_shape=1.2,
            duration_source="47 months 2001 [S18]; shape 1.2 estimate (stable placements)",
            unit_cost=1700.0,
            cost_range=(1300.0, 2200.0),
            cost_per_case=False,
            cost_source="DV 2025 EUR 1,178-1,480 [S30] + overhead (estimate)",
        ),
        Hilfeart(
            code="p34",
            label="§ 34 Heimerziehung, sonstige betreute Wohnform",
            short="Heimerziehung",
            setting="stationär",
            counted_per="young person",
            age_profile=(0.01, 0.02, 0.15, 0.64, 0.15, 0.03),
            national_rate=76.0,
            national_range=(46.0, 106.0),
            rate_source=_RATE_SRC + "; ages [S22]",
            duration_months=24.0,
            duration_range=(18.0, 30.0),
            duration_shape=1.0,
            duration_source="25-27 months [S17][S18]; 39-41 % < 1 year [S17] -> shape 1",
            unit_cost=5500.0,
            cost_range=(4500.0, 7500.0),
            cost_per_case=False,
            cost_source="at least EUR 5,000/month; 4,930 per place [S28]",
        ),
        Hilfeart(
            code="p35",
            label="§ 35 Intensive sozialpädagogische Einzelbetreuung",
            short="ISE",
            setting="ambulant",
            counted_per="young person",
            age_profile=(0.0, 0.0, 0.01, 0.52, 0.4, 0.07),
            national_rate=4.5,
            national_range=(2.7, 6.3),
            rate_source=_RATE_SRC + "; mean age at start 17.0 [S16]",
            duration_months=11.0,
            duration_range=(8.0, 14.0),
            duration_shape=1.0,
            duration_source="11 months 2013/14 [S16]",
            unit_cost=4500.0,
            cost_range=(2500.0, 9000.0),
            cost_per_case=False,
            cost_source="D: EUR 15,380 per Fallzahl 2014 [S16] + estimate",
        ),
        Hilfeart(
            code="p35a",
            label="§ 35a Eingliederungshilfe bei seelischer Behinderung",
            short="Eingliederungshilfe § 35a",
            setting="ambulant/stationär",
            counted_per="young person",
            age_profile=(0.02, 0.1, 0.4, 0.38, 0.08, 0.02),
            national_rate=95.0,
            national_range=(57.0, 133.0),
            rate_source="DOMAIN.md § 6.3: 158,607 young people 2023 [S8]; range ±1 CV [S10]",
            duration_months=24.6,
            duration_range=(18.0, 30.0),
            duration_shape=1.0,
            duration_source="24.6 months 2023 [S8]",
            unit_cost=1800.0,
            cost_range=(800.0, 4000.0),
            cost_per_case=False,
            cost_source="D: EUR 18,650 per Fallzahl 2023 [S8]",
        ),
        Hilfeart(
            code="p41",
            label="§ 41 Hilfe für junge Volljährige",
            short="Junge Volljährige",
            setting="ambulant/stationär",
            counted_per="young person",
            age_profile=(0.0, 0.0, 0.0, 0.0, 0.8, 0.2),
            national_rate=None,
            national_range=None,
            rate_source="none: counted under the form of help in the national statistics [S3][S4]",
            duration_months=18.0,
            duration_range=(12.0, 24.0),
            duration_shape=1.0,
            duration_source="estimate (not found, DOMAIN.md § 1.4)",
            unit_cost=3000.0,
            cost_range=(1500.0, 5500.0),
            cost_per_case=False,
            cost_source="estimate: mix of § 34 and ambulant help for 18-20",
        ),
    )
}

if tuple(CATALOGUE) != HILFEARTEN:  # the contract and this table must list the same codes
    raise RuntimeError("forecast.hze.catalogue does not list the contract's Hilfearten")

NATIONAL_YEAR_SHOCK_VAR = 0.004
"""Variance of the common year-to-year shock of a city's HzE rates (log scale, per year).

D: 72 % of Jugendämter changed by less than ±10 % from 2019 to 2020 [S12]; a normal change with
P(|x| < 0.10) = 0.72 has sd 0.093; removing Poisson noise of a Jugendamt with about 1,000 cases
(sd 0.03) leaves 0.088 for the change of two independent yearly shocks, i.e. 0.062 per year
(variance 0.0039).
"""


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
