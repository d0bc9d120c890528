"""Estimate a city's base rates for the projection from its register history.

The estimation follows the practice of German municipal projections (SIKURS, IT.NRW
Gemeindemodellrechnung): a reference schedule for the shape (national life table, national ASFR),
the city's own data for the level, and the city's own migration by age. What the city folder lacks
is filled by a documented fallback, and every fallback is named in ``BaseRates.notes`` so that the
run manifest can list it.

Arrays are cohort-indexed like the kernel's (entry ``a`` = age at the END of a year).

References:
    Preston, Heuveline, Guillot (2001), ch. 6 (projection), sec. 6.3 (births); residual
    ("forward survival") estimation of net migration: Siegel & Swanson (2004), The Methods and
    Materials of Demography, ch. 19.
    Rogers, A., Castro, L. J. (1981). Model migration schedules. IIASA RR-81-30.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecast.citydata import CityData
from forecast.contract import CITY_DISTRICT, FERTILE_AGES, MAX_AGE, SEXES
from forecast.lifetable import LifeTable
from forecast.population.housing import (
    HousingSettings,
    completions,
    housing_arrivals,
    remove_base_period,
)
from forecast.population.kernel import FEMALE, age_cohorts
from forecast.population.moves import InternalMoves, estimate_internal_moves
from forecast.reference import (
    life_table_columns,
    national_asfr,
    national_life_table,
    national_male_share_at_birth,
)

AGES = np.arange(MAX_AGE + 1)
FERTILE = slice(FERTILE_AGES[0], FERTILE_AGES[1] + 1)

# Model migration schedule for the age profile of gross migration (in + out) when a city knows
# only its migration totals. Parameters of Rogers & Castro's (1981) "standard" schedule with the
# labour-force peak at 21 (estimate: university towns peak early). Only the shape is used; the
# level comes from the city's totals, and net migration by age from its register.
ROGERS_CASTRO = {
    "a1": 0.02,
    "alpha1": 0.10,
    "a2": 0.06,
    "alpha2": 0.10,
    "mu2": 21.0,
    "lambda2": 0.40,
    "c": 0.003,
}

# Prior strength (in births) when a district's fertility level is shrunk toward the city's:
# a district with 30 expected births moves halfway. Source: estimate (Gamma-Poisson smoothing).
DISTRICT_FERTILITY_PRIOR_BIRTHS = 30.0


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
    """

    base_year: int | None = None
    base_period: int = 3
    district_fertility_prior: float = DISTRICT_FERTILITY_PRIOR_BIRTHS
    migration_schedule: dict[str, float] = field(default_factory=lambda: dict(ROGERS_CASTRO))
    internal_model: str = "auto"
    housing: HousingSettings | None = field(default_factory=HousingSettings)


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
        out_rate: out-migration across the city boundary per start-of-year person, (D, 2, 101).
        in_count: in-migrants across the city boundary per year, persons, (D, 2, 101); without
            the first occupants of new housing when the housing component is on.
        internal: moves between districts, or ``None`` when the city has no moves file (then
            internal moves are part of each district's residual migration).
        housing: settings of the housing component, ``None`` when it is off.
        housing_years: calendar years after the base year with listed completions.
        housing_completions: dwellings completed per ``housing_years`` x district.
        diagnostics: estimated levels (TFR, e0, mortality ratio, migration) for the manifest.
        notes: sources and fallbacks used, one sentence each.
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


def population_array(city: CityData) -> tuple[np.ndarray, np.ndarray]:
    """Register population as an array (years, districts, sex, age) and the years."""
    pop = city.table("population")
    years = np.sort(pop["year"].unique())
    index = pd.MultiIndex.from_product(
        [years, list(city.district_codes), list(SEXES), AGES],
        names=["year", "district", "sex", "age"],
    )
    counts = (
        pop.assign(age=pop["age"].astype(int))
        .set_index(["year", "district", "sex", "age"])["count"]
        .reindex(index, fill_value=0)
        .to_numpy(float)
    )
    return counts.reshape(len(years), len(city.district_codes), len(SEXES), len(AGES)), years


def _yearly_total(city: CityData, stem: str, **filters: str) -> pd.Series:
    """Sum of ``count`` per year over all rows of a flow file (district or ``_city`` rows)."""
    table = city.table(stem)
    for col, value in filters.items():
        table = table[table[col] == value]
    districts = table["district"].unique()
    if CITY_DISTRICT in districts and len(districts) > 1:
        # City rows and district rows may coexist for different years: per year, prefer the
        # district detail and fall back to the city row.
        detail = table[table["district"] != CITY_DISTRICT].groupby("year")["count"].sum()
        city_rows = table[table["district"] == CITY_DISTRICT].groupby("year")["count"].sum()
        return detail.combine_first(city_rows)
    return table.groupby("year")["count"].sum()


def usable_transitions(city: CityData, years: np.ndarray, base_year: int) -> list[int]:
    """Years t < base_year with registers at t and t+1, neither listed in ``exclude_years``."""
    have = {int(y) for y in years}
    bad = set(city.exclude_years)
    return [
        t
        for t in range(int(years[0]), base_year)
        if t in have and t + 1 in have and t not in bad and t + 1 not in bad
    ]


def rogers_castro(ages: np.ndarray, p: dict[str, float] = ROGERS_CASTRO) -> np.ndarray:
    """Rogers-Castro model migration rates by age (shape only)."""
    x = ages.astype(float)
    child = p["a1"] * np.exp(-p["alpha1"] * x)
    labour = p["a2"] * np.exp(
        -p["alpha2"] * (x - p["mu2"]) - np.exp(-p["lambda2"] * (x - p["mu2"]))
    )
    return child + labour + p["c"]


def estimate_base_rates(city: CityData, settings: EstimationSettings) -> BaseRates:
    """Estimate the base rates of a city's cohort-component projection.

    Args:
        city: a validated city folder.
        settings: base year and averaging period.

    Returns:
        The base rates with diagnostics and the list of sources and fallbacks used.

    Raises:
        ValueError: when the base year is not a register year, or no usable transition exists.
    """
    pop, years = population_array(city)
    base_year = int(years[-1]) if settings.base_year is None else int(settings.base_year)
    if base_year not in years:
        raise ValueError(
            f"base year {base_year} is not a register year ({years.min()}..{years.max()})"
        )
    notes: list[str] = []
    year_ix = {int(y): i for i, y in enumerate(years)}
    excluded = set(city.exclude_years)
    # The most recent usable transitions: both years registered and neither listed as suspect.
    usable = usable_transitions(city, years, base_year)
    transitions = usable[-settings.base_period :] if settings.base_period > 0 else []
    if not transitions:
        raise ValueError(f"no usable pair of consecutive register years up to {base_year}")
    notes.append(
        f"Levels and migration averaged over transitions {', '.join(f'{t}->{t + 1}' for t in transitions)}"
        + (f" (excluded years: {sorted(excluded)})" if excluded else "")
    )
    start = np.stack([pop[year_ix[t]] for t in transitions])  # (T, D, 2, A)
    end = np.stack([pop[year_ix[t + 1]] for t in transitions])
    flow_years = np.array(transitions) + 1

    # --- mortality shape --------------------------------------------------------------------
    if city.has("life_table"):
        lt_cols = life_table_columns(city.table("life_table"))
        notes.append("Mortality: the city's own life table (life_table file)")
    else:
        ref = national_life_table(base_year)
        lt_cols = ref.values
        notes.append(f"Fallback: no life_table file; mortality shape from {ref.label}")
    base_lt = LifeTable.from_lx_Lx(lt_cols["lx"], lt_cols["Lx"])

    # --- fertility shape and births -----------------------------------------------------------
    if city.has("fertility"):
        asfr_ref = (
            city.table("fertility")
            .set_index("mother_age")["asfr"]
            .reindex(range(FERTILE_AGES[0], FERTILE_AGES[1] + 1), fill_value=0.0)
            .to_numpy(float)
        )
        notes.append("Fertility age pattern: the city's fertility file")
    else:
        ref = national_asfr(min(base_year, 2021))
        asfr_ref = ref.values
        notes.append(f"Fallback: no fertility file; age pattern of fertility from {ref.label}")
    women = 0.5 * (start[..., FEMALE, FERTILE] + end[..., FEMALE, FERTILE])  # (T, D, 35)
    expected_births = (asfr_ref * women).sum(axis=-1)  # (T, D) at the reference level
    male_share = float(national_male_share_at_birth().values)
    if city.has("births"):
        observed = _yearly_total(city, "births").reindex(flow_years)
        if observed.isna().any():
            raise ValueError(
                f"births file lacks years {list(flow_years[observed.isna().to_numpy()])}"
            )
        city_scale = observed.sum() / expected_births.sum()
        births_by_year = observed.to_numpy(float)
        table = city.table("births")
        with_sex = table[table["sex"].notna() & table["year"].isin(flow_years)]
        if len(with_sex) and with_sex["count"].sum() > 0:
            male_share = float(
                with_sex.loc[with_sex["sex"] == "m", "count"].sum() / with_sex["count"].sum()
            )
            notes.append("Sex ratio at birth: the city's births by sex")
        else:
            notes.append("Fallback: births without sex; national share of boys at birth")
        district_scale = _district_fertility(
            city, flow_years, expected_births * city_scale, settings.district_fertility_prior, notes
        )
    else:
        city_scale = 1.0
        births_by_year = expected_births.sum(axis=1)
        district_scale = np.ones(len(city.district_codes))
        notes.append("Fallback: no births file; national fertility level")
    asfr = asfr_ref[None, :] * city_scale * district_scale[:, None]

    # --- mortality level -------------------------------------------------------------------------
    s, _ = base_lt.survival_ratios()
    city_start = start.sum(axis=1)  # (T, 2, A)
    cohorts = age_cohorts(city_start)
    cohorts[..., 0] = births_by_year[:, None] * np.array([1 - male_share, male_share])
    mortality_ratio = 1.0
    if city.has("deaths"):
        observed_deaths = _yearly_total(city, "deaths").reindex(flow_years)
        expected_deaths = ((1.0 - s) * cohorts).sum(axis=(-1, -2))
        if not observed_deaths.isna().any():
            mortality_ratio = float(observed_deaths.sum() / expected_deaths.sum())
            notes.append(
                f"Mortality level: the city's deaths = {mortality_ratio:.3f} x reference table"
            )
        else:
            notes.append(
                "Fallback: deaths file incomplete for the base period; reference mortality level"
            )
    else:
        notes.append("Fallback: no deaths file; reference mortality level")
    life_table = base_lt.scaled(mortality_ratio)
    s, _ = life_table.survival_ratios()

    # --- moves between districts -----------------------------------------------------------------
    district_cohorts = age_cohorts(start)
    district_births = (asfr * 0.5 * (start[..., FEMALE, FERTILE] + end[..., FEMALE, FERTILE])).sum(
        -1
    )
    district_cohorts[..., 0] = district_births[..., None] * np.array([1 - male_share, male_share])
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

    out_rate, in_count, mig_diag = _estimate_migration(
        city,
        pop[year_ix[base_year]],
        start,
        end,
        cohorts,
        s,
        flow_years,
        births_by_year,
        male_share,
        asfr,
        settings.migration_schedule,
        notes,
        internal_net,
    )

    # --- new housing ---------------------------------------------------------------------------
    housing, h_years, h_done = None, np.zeros(0, dtype=int), np.zeros((0, len(city.district_codes)))
    if settings.housing is not None and city.has("housing"):
        housing = settings.housing
        outside, inside = housing_arrivals(city, flow_years, housing)
        residual_path = mig_diag["migration_method"] != "migration file (district x sex x age)"
        in_count, removed = remove_base_period(
            in_count,
            outside.mean(axis=0),
            inside.mean(axis=0) if internal is None and residual_path else None,
            _district_shares(pop[year_ix[base_year]]),
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
    e0 = life_table.e0
    diagnostics = {
        "tfr_reference": float(asfr_ref.sum()),
        "tfr_city": float(asfr_ref.sum() * city_scale),
        "tfr_by_district": dict(
            zip(city.district_codes, np.round(asfr.sum(axis=1), 4).tolist(), strict=True)
        ),
        "mortality_ratio": mortality_ratio,
        "e0": {"f": float(e0[0]), "m": float(e0[1])},
        "male_share_at_birth": male_share,
        **mig_diag,
        **moves_diag,
    }
    return BaseRates(
        base_year=base_year,
        districts=tuple(city.district_codes),
        population=pop[year_ix[base_year]].copy(),
        life_table=life_table,
        asfr=asfr,
        male_share_at_birth=male_share,
        out_rate=out_rate,
        in_count=in_count,
        internal=internal,
        housing=housing,
        housing_years=h_years,
        housing_completions=h_done,
        diagnostics=diagnostics,
        notes=tuple(notes),
    )


def _district_fertility(
    city: CityData, flow_years: np.ndarray, expected: np.ndarray, prior: float, notes: list[str]
) -> np.ndarray:
    """Relative fertility level per district, shrunk toward the city level (Gamma-Poisson)."""
    table = city.table("births")
    detail = table[(table["district"] != CITY_DISTRICT) & table["year"].isin(flow_years)]
    if detail.empty:
        notes.append(
            "Fallback: births known for the whole city only; every district at the city level"
        )
        return np.ones(len(city.district_codes))
    observed = (
        detail.groupby("district")["count"].sum().reindex(list(city.district_codes), fill_value=0)
    ).to_numpy(float)
    exp = expected.sum(axis=0)
    notes.append(
        f"District fertility: observed births, shrunk toward the city level ({prior:g} births prior)"
    )
    return (observed + prior) / (exp + prior)


def _estimate_migration(
    city: CityData,
    base_pop: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    city_cohorts: np.ndarray,
    s: np.ndarray,
    flow_years: np.ndarray,
    births_by_year: np.ndarray,
    male_share: float,
    asfr: np.ndarray,
    schedule: dict[str, float],
    notes: list[str],
    internal_net: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, dict]:
    """Out-migration rates and in-migrant counts per district, sex and cohort."""
    n_d = base_pop.shape[0]
    # Cap for out rates so that no cohort can end negative: s*C - (1+s)/2*o*C >= 0.
    cap = np.minimum(1.0, 2.0 * s / (1.0 + s))
    migration = city.table("migration") if city.has("migration") else None
    detailed = (
        migration is not None
        and migration["sex"].notna().all()
        and migration["age"].notna().all()
        and not (migration["district"] == CITY_DISTRICT).any()
        and migration["year"].isin(flow_years).any()
    )
    if detailed:
        used = migration[migration["year"].isin(flow_years)]
        arr = np.zeros((2, len(flow_years), n_d, 2, MAX_AGE + 1))
        d_ix = {d: i for i, d in enumerate(city.district_codes)}
        y_ix = {int(y): i for i, y in enumerate(flow_years)}
        for direction, k in (("in", 0), ("out", 1)):
            part = used[used["direction"] == direction]
            np.add.at(
                arr[k],
                (
                    part["year"].map(y_ix).to_numpy(),
                    part["district"].map(d_ix).to_numpy(),
                    part["sex"].map({"f": 0, "m": 1}).to_numpy(),
                    part["age"].astype(int).to_numpy(),
                ),
                part["count"].to_numpy(float),
            )
        in_count = arr[0].mean(axis=0)
        # District cohorts at risk: the start population aged on, births estimated for age 0.
        cohorts = age_cohorts(start)
        women = 0.5 * (start[..., FEMALE, FERTILE] + end[..., FEMALE, FERTILE])
        births = (asfr * women).sum(axis=-1)
        cohorts[..., 0] = births[..., None] * np.array([1 - male_share, male_share])
        at_risk = cohorts.sum(axis=0)
        out_rate = np.divide(
            arr[1].sum(axis=0), at_risk, out=np.zeros_like(at_risk), where=at_risk > 0
        )
        notes.append(
            "Migration: in counts and out rates by district, sex and age from the migration file"
        )
        method = "migration file (district x sex x age)"
    else:
        # Residual ("forward survival") net migration by sex and age for the city as a whole:
        # P(t+1) = s*C + (1+s)/2 * N  =>  N = (P(t+1) - s*C) / ((1+s)/2).
        city_end = end.sum(axis=1)
        net = (city_end - s * city_cohorts) / (0.5 * (1.0 + s))
        net_mean = net.mean(axis=0)  # (2, A)
        c_mean = city_cohorts.mean(axis=0)
        if migration is not None:
            gross_in = _yearly_total(city, "migration", direction="in").reindex(flow_years)
            gross_out = _yearly_total(city, "migration", direction="out").reindex(flow_years)
            gross = float((gross_in + gross_out).mean())
            # Split the gross turnover over ages with the model schedule, then in/out so that
            # in - out equals the register's net migration at every age.
            weight = rogers_castro(np.arange(MAX_AGE + 1), schedule) * c_mean
            g = gross * weight / weight.sum()
            city_in = np.maximum((g + net_mean) / 2, 0.0)
            city_out = np.maximum(city_in - net_mean, 0.0)
            city_in = city_out + net_mean  # restore the exact net where the split was clipped
            notes.append(
                "Fallback: migration file without age detail; net migration by sex and age from "
                "the register (residual method), gross flows from the file's totals split by a "
                "Rogers-Castro model schedule"
            )
            method = "residual net by age + gross totals"
        else:
            city_in = np.maximum(net_mean, 0.0)
            city_out = np.maximum(-net_mean, 0.0)
            notes.append(
                "Fallback: no migration file; net migration by sex and age from the register (residual method)"
            )
            method = "residual net by age"
        city_out_rate = np.divide(city_out, c_mean, out=np.zeros_like(c_mean), where=c_mean > 0)
        # Districts: same out rates; in-migrants by the district's share of each sex-age cell,
        # then scaled per district so that its expected net migration equals its observed
        # residual growth (district population change minus its estimated natural balance).
        share = _district_shares(base_pop)
        in_count = share * city_in
        out_rate = np.broadcast_to(city_out_rate, base_pop.shape).copy()
        in_count = _calibrate_districts(
            in_count,
            out_rate,
            start,
            end,
            s,
            asfr,
            male_share,
            base_pop,
            city_in.sum(),
            internal_net,
        )
        notes.append(
            "District migration: city schedule, levelled to each district's observed residual growth"
        )
    clipped = int((out_rate > cap).sum())
    out_rate = np.minimum(out_rate, cap)
    if clipped:
        notes.append(f"{clipped} out-migration rates capped so that no cohort can turn negative")
    at_base = age_cohorts(base_pop)
    net_base = in_count.sum() - (out_rate * at_base).sum()
    return (
        out_rate,
        in_count,
        {
            "migration_method": method,
            "in_migrants_per_year": float(in_count.sum()),
            "out_migrants_per_year_at_base": float((out_rate * at_base).sum()),
            "net_migration_per_year_at_base": float(net_base),
        },
    )


def _district_shares(base_pop: np.ndarray) -> np.ndarray:
    """Each district's share of the city's population in every sex-age cell (cohort-indexed)."""
    cohorts = age_cohorts(base_pop)
    cohorts[..., 0] = base_pop[..., 0]  # newborns go where the infants are
    total = cohorts.sum(axis=0, keepdims=True)
    overall = base_pop.sum(axis=(1, 2)) / base_pop.sum()
    return np.where(total > 0, cohorts / np.where(total > 0, total, 1), overall[:, None, None])


def _calibrate_districts(
    in_count: np.ndarray,
    out_rate: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    s: np.ndarray,
    asfr: np.ndarray,
    male_share: float,
    base_pop: np.ndarray,
    city_in_total: float,
    internal_net: np.ndarray | None = None,
) -> np.ndarray:
    """Scale in-migrants per district so that its net migration matches its residual growth."""
    women = 0.5 * (start[..., FEMALE, FERTILE] + end[..., FEMALE, FERTILE])
    births = (asfr * women).sum(axis=-1)  # (T, D)
    cohorts = age_cohorts(start)
    cohorts[..., 0] = births[..., None] * np.array([1 - male_share, male_share])
    # Survivors of a closed population, then the district's observed residual net migration.
    closed_end = (s * cohorts).sum(axis=(-1, -2))
    residual_net = (end.sum(axis=(-1, -2)) - closed_end).mean(axis=0)  # (D,)
    if internal_net is not None:
        # Moves between districts are modelled on their own: level to the rest of the growth.
        residual_net = residual_net - internal_net
    at_base = age_cohorts(base_pop)
    expected_out = (out_rate * at_base).sum(axis=(-1, -2))
    own_in = in_count.sum(axis=(-1, -2))
    factor = np.divide(
        residual_net + expected_out, own_in, out=np.ones_like(own_in), where=own_in > 0
    )
    scaled = in_count * np.maximum(factor, 0.0)[:, None, None]
    # Keep the city's in-migration total: district levelling redistributes, it does not add.
    return scaled * (city_in_total / scaled.sum()) if scaled.sum() > 0 else in_count
