"""Estimate a city's base rates for the projection from its register history.

The estimation follows the practice of German municipal projections (SIKURS, IT.NRW
Gemeindemodellrechnung): a reference schedule for the shape (national life table, national ASFR),
the city's own data for the level, and the city's own migration by age. What the city folder lacks
is filled by a documented fallback, and every fallback is named in ``BaseRates.notes`` so that the
run manifest can list it. Each component has its own module: ``fertility``, ``mortality``,
``migration`` (with ``district_migration``), ``moves`` and ``housing``; this one puts them together.

Arrays are cohort-indexed like the kernel's (entry ``a`` = age at the END of a year).

References:
    Preston, Heuveline, Guillot (2001), ch. 6 (projection), sec. 6.3 (births); residual
    ("forward survival") estimation of net migration: Siegel & Swanson (2004), The Methods and
    Materials of Demography, ch. 19.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from forecast.citydata import CityData
from forecast.lifetable import LifeTable
from forecast.population.fertility import DISTRICT_FERTILITY_PRIOR_BIRTHS, estimate_fertility
from forecast.population.housing import (
    HousingSettings,
    completions,
    housing_arrivals,
    remove_base_period,
)
from forecast.population.migration import (
    ROGERS_CASTRO,
    DistrictMigrationSettings,
    district_shares,
    estimate_migration,
    has_district_detail,
    rogers_castro,
)
from forecast.population.mortality import estimate_mortality, reference_life_table
from forecast.population.moves import InternalMoves, estimate_internal_moves
from forecast.population.register import (
    AGES,
    FERTILE,
    BasePeriod,
    population_array,
    usable_transitions,
)

__all__ = [
    "AGES",
    "FERTILE",
    "BaseRates",
    "EstimationSettings",
    "estimate_base_rates",
    "population_array",
    "rogers_castro",
    "usable_transitions",
]


@dataclass(frozen=True)
class EstimationSettings:
    """How the base rates are estimated.

    Attributes:
        base_year: last register year used; the projection starts from its 31.12. population.
        base_period: number of most recent usable year-to-year transitions (up to
            ``base_year``, skipping excluded years) over which levels and migration are averaged.
        district_fertility_prior: prior weight, in births, that pulls a district's fertility
            level toward the city's (Gamma-Poisson shrinkage).
        migration_schedule: Rogers-Castro parameters for the age shape of gross migration when
            only migration totals are known.
        internal_model: destination model of moves between districts (``od``, ``pool``,
            ``auto``), used when the city has a ``moves`` file.
        housing: how new dwellings turn into in-movers, used when the city has a ``housing``
            file; ``None`` switches the housing component off.
        district_migration: how each district's migration is projected (damped deviations from
            its share of the city's flows, or the older levelled method).
    """

    base_year: int | None = None
    base_period: int = 3
    district_fertility_prior: float = DISTRICT_FERTILITY_PRIOR_BIRTHS
    migration_schedule: dict[str, float] = field(default_factory=lambda: dict(ROGERS_CASTRO))
    internal_model: str = "auto"
    housing: HousingSettings | None = field(default_factory=HousingSettings)
    district_migration: DistrictMigrationSettings = field(default_factory=DistrictMigrationSettings)


@dataclass(frozen=True)
class BaseRates:
    """Everything the projection needs, estimated for one city and base year.

    Attributes:
        base_year: Stichtag 31.12. of the starting population.
        districts: district codes, in array order.
        population: starting population, persons, shape (D, 2, 101).
        life_table: city life table (level-adjusted), mx of shape (2, 101).
        asfr: fertility rates per district, births per woman per year, shape (D, 35), ages 15..49.
        male_share_at_birth: share of boys among births.
        out_rate: out-migration across the city boundary per start-of-year person in the base
            period, (D, 2, A).
        in_count: in-migrants across the city boundary per year in the base period, persons,
            (D, 2, A); without the first occupants of new housing when the housing component is on.
        internal: moves between districts, or ``None`` when the city has no moves file (then
            internal moves are part of each district's residual migration).
        housing: settings of the housing component, ``None`` when it is off.
        housing_years: calendar years after the base year with listed completions.
        housing_completions: dwellings completed per ``housing_years`` x district.
        diagnostics: estimated levels (TFR, e0, mortality ratio, migration) for the manifest.
        notes: sources and fallbacks used, one sentence each.
        out_rate_long, in_count_long: the migration each district's own deviation decays to
            (its share of the city's flows); ``None`` = the base-period level is held.
        migration_persistence: share of a district's own deviation kept per projected year.
    """

    base_year: int
    districts: tuple[str, ...]
    population: np.ndarray
    life_table: LifeTable
    asfr: np.ndarray
    male_share_at_birth: float
    out_rate: np.ndarray
    in_count: np.ndarray
    internal: InternalMoves | None = None
    housing: HousingSettings | None = None
    housing_years: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    housing_completions: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    diagnostics: dict = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    out_rate_long: np.ndarray | None = None
    in_count_long: np.ndarray | None = None
    migration_persistence: float = 1.0

    def migration_path(self, horizon: int) -> tuple[np.ndarray, np.ndarray]:
        """Out rates and in-counts of each projected year, each (H, D, 2, A).

        Year k (1..H) keeps ``migration_persistence ** k`` of each district's deviation from its
        long-run migration.
        """
        keep = self.migration_persistence ** np.arange(1, horizon + 1)[:, None, None, None]
        if self.out_rate_long is None or self.in_count_long is None:
            keep = np.ones_like(keep)
        out_long = self.out_rate if self.out_rate_long is None else self.out_rate_long
        in_long = self.in_count if self.in_count_long is None else self.in_count_long
        out = out_long[None] + keep * (self.out_rate - out_long)[None]
        ins = in_long[None] + keep * (self.in_count - in_long)[None]
        return out, ins


def base_period(city: CityData, base_year: int | None, length: int) -> tuple[int, BasePeriod]:
    """The base year and the registers of its most recent usable transitions.

    Raises:
        ValueError: the base year is not a register year, or no usable transition exists.
    """
    pop, years = population_array(city)
    base = int(years[-1]) if base_year is None else int(base_year)
    if base not in years:
        raise ValueError(f"base year {base} is not a register year ({years.min()}..{years.max()})")
    usable = usable_transitions(city, years, base)
    transitions = usable[-length:] if length > 0 else []
    if not transitions:
        raise ValueError(
            f"no usable pair of consecutive register years up to {base}: the population file "
            "needs two consecutive years (31.12.) not listed in exclude_years"
        )
    ix = {int(y): i for i, y in enumerate(years)}
    return base, BasePeriod(
        transitions=tuple(transitions),
        start=np.stack([pop[ix[t]] for t in transitions]),
        end=np.stack([pop[ix[t + 1]] for t in transitions]),
        base=pop[ix[base]].copy(),
    )


def estimate_base_rates(city: CityData, settings: EstimationSettings) -> BaseRates:
    """Estimate the base rates of a city's cohort-component projection.

    Args:
        city: a validated city folder.
        settings: base year, averaging period and component settings.

    Returns:
        The base rates with diagnostics and the list of sources and fallbacks used.

    Raises:
        ValueError: when the base year is not a register year, or no usable transition exists.
    """
    base_year, period = base_period(city, settings.base_year, settings.base_period)
    notes: list[str] = []
    excluded = sorted(city.exclude_years)
    notes.append(
        "Levels and migration averaged over transitions "
        + ", ".join(f"{t}->{t + 1}" for t in period.transitions)
        + (f" (excluded years: {excluded})" if excluded else "")
    )
    flow_years = period.flow_years
    reference = reference_life_table(city, base_year, notes)
    fertility = estimate_fertility(
        city, period, base_year, settings.district_fertility_prior, notes
    )
    male_share = fertility.male_share_at_birth
    city_births = fertility.births_by_year[:, None]  # (T, 1): the city as one district
    city_cohorts = BasePeriod(
        period.transitions, period.start.sum(axis=1, keepdims=True), period.end, period.base
    ).cohorts(city_births, male_share)[:, 0]
    mortality = estimate_mortality(city, reference, city_cohorts, flow_years, notes)
    s, _ = mortality.life_table.survival_ratios()

    district_cohorts = period.cohorts(fertility.district_births(period), male_share)
    internal, moves_diag = estimate_internal_moves(
        city, flow_years, district_cohorts.mean(axis=0), settings.internal_model
    )
    internal_net = moves_diag.pop("_internal_net", None)
    if internal is not None:
        notes.append(
            f"Internal moves: rates and destinations ({internal.model} model) from the moves file"
        )
    elif len(city.district_codes) > 1:
        notes.append(
            "Fallback: no moves file; moves between districts are part of each district's "
            "residual migration"
        )

    housing_on = settings.housing is not None and city.has("housing")
    residual_inside = internal is None and not has_district_detail(city, flow_years)
    housing_net = None
    if housing_on:
        outside, inside = housing_arrivals(city, flow_years, settings.housing)
        housing_net = outside.mean(axis=0)
        if residual_inside:
            inside = inside.mean(axis=0)
            housing_net = housing_net + inside - district_shares(period.base) * inside.sum(axis=0)
    damped = settings.district_migration.model == "damped"
    migration = estimate_migration(
        city,
        period.base,
        period.end,
        district_cohorts,
        s,
        flow_years,
        settings.migration_schedule,
        settings.district_migration,
        notes,
        internal_net,
        housing_net if damped else None,
    )
    in_count = migration.in_count

    housing, h_years, h_done = None, np.zeros(0, dtype=int), np.zeros((0, len(city.district_codes)))
    if housing_on:
        housing = settings.housing
        if damped:
            removed = float(outside.mean(axis=0).sum())
        else:
            in_count, removed = remove_base_period(
                in_count,
                outside.mean(axis=0),
                inside.mean(axis=0) if residual_inside else None,
                district_shares(period.base),
            )
        listed = np.sort(city.table("housing")["year"].unique())
        h_years = listed[listed > base_year].astype(int)
        h_done = completions(city, h_years)
        notes.append(
            f"Housing: {removed:,.0f} first occupants a year of base-period completions taken out "
            f"of in-migration; {int(h_done.sum()):,} dwellings listed after {base_year} enter as "
            f"in-movers ({housing.occupants_per_dwelling:g} persons each, "
            f"{100 * housing.from_outside_share:.0f} % from outside the city)"
        )
    e0 = mortality.life_table.e0
    asfr = fertility.asfr
    diagnostics = {
        "tfr_reference": float(fertility.reference.sum()),
        "tfr_city": float(fertility.reference.sum() * fertility.city_scale),
        "tfr_by_district": dict(
            zip(city.district_codes, np.round(asfr.sum(axis=1), 4).tolist(), strict=True)
        ),
        "mortality_ratio": mortality.ratio,
        "e0": {"f": float(e0[0]), "m": float(e0[1])},
        "male_share_at_birth": male_share,
        "transitions": list(period.transitions),
        **migration.diagnostics,
        **moves_diag,
    }
    return BaseRates(
        base_year=base_year,
        districts=tuple(city.district_codes),
        population=period.base,
        life_table=mortality.life_table,
        asfr=asfr,
        male_share_at_birth=male_share,
        out_rate=migration.out_rate,
        in_count=in_count,
        internal=internal,
        housing=housing,
        housing_years=h_years,
        housing_completions=h_done,
        diagnostics=diagnostics,
        notes=tuple(notes),
        out_rate_long=migration.out_rate_long if damped else None,
        in_count_long=migration.in_count_long if damped else None,
        migration_persistence=migration.persistence,
    )
