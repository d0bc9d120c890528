"""Migration across the city boundary: the city's flows by sex and age, then each district's.

City level: out-migration as rates and in-migration as counts by sex and age, from the
``migration`` file when it has district x sex x age detail; otherwise net migration by sex and age
from consecutive register years (residual, "forward survival" method) with gross flows from the
file's totals split by a Rogers-Castro model schedule.

District level (``district_model``):

* ``damped`` (default): each district gets its share of the city's flows plus its own deviation,
  shrunk by empirical Bayes and decaying over the horizon (``district_migration``);
* ``levelled`` (the method before December 2026): the city's schedule levelled so that each
  district's net migration equals its observed residual growth, held for every projected year.

Arrays are cohort-indexed (entry ``a`` = age at the end of a year).

References:
    Siegel, J. S., Swanson, D. A. (2004). The Methods and Materials of Demography, ch. 19
    (residual estimation of net migration).
    Rogers, A., Castro, L. J. (1981). Model migration schedules. IIASA RR-81-30.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from forecast.citydata import CityData
from forecast.contract import CITY_DISTRICT, MAX_AGE
from forecast.params import default_value
from forecast.population.district_migration import city_share_deviation
from forecast.population.kernel import age_cohorts
from forecast.population.register import yearly_total

# Model migration schedule for the age profile of gross migration (in + out) when a city knows
# only its migration totals. Parameters of Rogers & Castro's (1981) "standard" schedule with the
# labour-force peak at 21 (estimate: university towns peak early). Only the shape is used; the
# level comes from the city's totals, and net migration by age from its register.
ROGERS_CASTRO: dict[str, float] = default_value("population.estimation.migration_schedule")
"""Value and source in forecast/parameters/population.yaml."""

DETAILED = "migration file (district x sex x age)"


@dataclass(frozen=True)
class DistrictMigrationSettings:
    """How district migration is projected.

    Attributes:
        model: ``damped`` or ``levelled`` (see the module docstring).
        persistence: share of a district's own deviation kept from one projected year to the
            next (``damped``); 0 = districts follow the city's migration by age at once.
        shrink: empirical-Bayes shrinkage of the deviations toward zero (``damped``).
    """

    model: str = "damped"
    persistence: float = field(
        default_factory=lambda: default_value(
            "population.estimation.district_migration.persistence"
        )
    )
    shrink: bool = True

    def __post_init__(self) -> None:
        if self.model not in ("damped", "levelled"):
            raise ValueError(
                f"district migration model must be damped or levelled, got {self.model!r}"
            )
        if not 0.0 <= self.persistence <= 1.0:
            raise ValueError(f"persistence must be in 0..1, got {self.persistence}")


@dataclass(frozen=True)
class MigrationEstimate:
    """Migration across the city boundary by district, sex and cohort.

    The projection uses ``long + persistence ** k * (level - long)`` in its k-th year (k = 1..H)
    for both the in-counts and the out-rates.

    Attributes:
        out_rate: out-migrants per start-of-year person in the base period, (D, 2, A).
        in_count: in-migrants per year in the base period, (D, 2, A), persons.
        out_rate_long: out rates the district deviations decay to, (D, 2, A).
        in_count_long: in-counts the district deviations decay to, (D, 2, A), persons.
        persistence: share of the deviation kept per projected year.
        city_in: the city's in-migrants per year, (2, A), persons.
        diagnostics: method and levels for the manifest.
    """

    out_rate: np.ndarray
    in_count: np.ndarray
    out_rate_long: np.ndarray
    in_count_long: np.ndarray
    persistence: float
    city_in: np.ndarray
    diagnostics: dict = field(default_factory=dict)


def rogers_castro(ages: np.ndarray, p: dict[str, float] = ROGERS_CASTRO) -> np.ndarray:
    """Rogers-Castro model migration rates by age (shape only)."""
    x = ages.astype(float)
    child = p["a1"] * np.exp(-p["alpha1"] * x)
    labour = p["a2"] * np.exp(
        -p["alpha2"] * (x - p["mu2"]) - np.exp(-p["lambda2"] * (x - p["mu2"]))
    )
    return child + labour + p["c"]


def district_shares(base_pop: np.ndarray) -> np.ndarray:
    """Each district's share of the city's population in every sex-age cell (cohort-indexed)."""
    cohorts = age_cohorts(base_pop)
    cohorts[..., 0] = base_pop[..., 0]  # newborns go where the infants are
    total = cohorts.sum(axis=0, keepdims=True)
    overall = base_pop.sum(axis=(1, 2)) / base_pop.sum()
    return np.where(total > 0, cohorts / np.where(total > 0, total, 1), overall[:, None, None])


def estimate_migration(
    city: CityData,
    base_pop: np.ndarray,
    end: np.ndarray,
    cohorts: np.ndarray,
    s: np.ndarray,
    flow_years: np.ndarray,
    schedule: dict[str, float],
    settings: DistrictMigrationSettings,
    notes: list[str],
    internal_net: np.ndarray | None = None,
    housing_net: np.ndarray | None = None,
) -> MigrationEstimate:
    """Out-migration rates and in-migrant counts per district, sex and cohort.

    Args:
        city: a validated city folder.
        base_pop: the base year's population, (D, 2, A).
        end: register populations at the end of each base-period transition, (T, D, 2, A).
        cohorts: the start populations aged on with births at age 0, (T, D, 2, A).
        s: survival ratios of the city's life table, (2, A).
        flow_years: the base period's calendar years.
        schedule: Rogers-Castro parameters for the age shape of gross migration.
        settings: the district model.
        notes: sources and fallbacks used, appended to.
        internal_net: mean net moves between districts per year, (D, 2, A), when moves are
            modelled on their own (they are then not part of a district's migration).
        housing_net: mean net first occupants of base-period new housing per year, (D, 2, A),
            when housing is modelled on its own (the projection adds future completions).
    """
    cap = np.minimum(1.0, 2.0 * s / (1.0 + s))  # no cohort can turn negative
    observed = _district_flows(city, flow_years, cohorts)
    city_cohorts = cohorts.sum(axis=1)
    c_mean = city_cohorts.mean(axis=0)
    if observed is not None:
        flows_in, flows_out = observed
        net = flows_in - flows_out
        city_in = flows_in.sum(axis=1).mean(axis=0)
        city_out = flows_out.sum(axis=1).mean(axis=0)
        notes.append(
            "Migration: in counts and out rates by district, sex and age from the migration file"
        )
        method = DETAILED
    else:
        # Residual net migration: P(t+1) = s*C + (1+s)/2 * N  =>  N = (P(t+1) - s*C) / ((1+s)/2).
        net = (end - s * cohorts) / (0.5 * (1.0 + s))
        net_mean = net.sum(axis=1).mean(axis=0)  # city (2, A)
        city_in, city_out, method = _split_city_net(
            city, net_mean, c_mean, flow_years, schedule, notes
        )
    city_out_rate = np.divide(city_out, c_mean, out=np.zeros_like(c_mean), where=c_mean > 0)
    share = district_shares(base_pop)
    if settings.model == "levelled":
        if observed is not None:
            in_count = flows_in.mean(axis=0)
            at_risk = cohorts.sum(axis=0)
            out_rate = np.divide(
                flows_out.sum(axis=0), at_risk, out=np.zeros_like(at_risk), where=at_risk > 0
            )
        else:
            out_rate = np.broadcast_to(city_out_rate, base_pop.shape).copy()
            # Growth beyond a closed population (births and survival), as the method always had it.
            growth = (end - s * cohorts).sum(axis=(-1, -2)).mean(axis=0)
            if internal_net is not None:
                growth = growth - internal_net.sum(axis=(-1, -2))
            in_count = _levelled(share * city_in, out_rate, growth, base_pop, city_in.sum())
            notes.append(
                "District migration (levelled): city schedule, levelled to each district's observed "
                "residual growth, held for every projected year"
            )
        in_long, out_long, persistence = in_count, out_rate, 1.0
        diag = {}
    else:
        if internal_net is not None:
            net = net - internal_net[None]
        if housing_net is not None:
            net = net - housing_net[None]
            city_in = np.maximum(city_in - housing_net.sum(axis=0), 0.0)
        in_long = share * city_in
        out_long = np.broadcast_to(city_out_rate, base_pop.shape).copy()
        turnover = np.divide(
            city_in + city_out, c_mean, out=np.zeros_like(c_mean), where=c_mean > 0
        )
        base_cohorts = age_cohorts(base_pop)
        base_cohorts[..., 0] = base_pop[..., 0]
        dev = city_share_deviation(net, cohorts, base_cohorts, turnover, settings.shrink)
        in_count = in_long + np.maximum(dev.persons, 0.0)
        out_rate = out_long + np.divide(
            np.maximum(-dev.persons, 0.0),
            base_cohorts,
            out=np.zeros_like(base_cohorts),
            where=base_cohorts > 0,
        )
        persistence = settings.persistence
        notes.append(
            "District migration (damped): each district's share of the city's flows by sex and age, "
            f"plus its own deviation shrunk by empirical Bayes and kept at {persistence:g} per "
            "projected year"
        )
        diag = {
            "district_deviation_per_year": dict(
                zip(
                    city.district_codes,
                    np.round(dev.persons.sum(axis=(-1, -2)), 1).tolist(),
                    strict=True,
                )
            ),
            "district_deviation_mean_weight": float(np.round(dev.weight.mean(), 3)),
        }
    clipped = int((out_rate > cap).sum())
    out_rate, out_long = np.minimum(out_rate, cap), np.minimum(out_long, cap)
    if clipped:
        notes.append(f"{clipped} out-migration rates capped so that no cohort can turn negative")
    at_base = age_cohorts(base_pop)
    diagnostics = {
        "migration_method": method,
        "district_migration_model": settings.model,
        "district_persistence": persistence,
        "in_migrants_per_year": float(in_count.sum()),
        "out_migrants_per_year_at_base": float((out_rate * at_base).sum()),
        "net_migration_per_year_at_base": float(in_count.sum() - (out_rate * at_base).sum()),
        **diag,
    }
    return MigrationEstimate(
        out_rate=out_rate,
        in_count=in_count,
        out_rate_long=out_long,
        in_count_long=in_long,
        persistence=persistence,
        city_in=city_in,
        diagnostics=diagnostics,
    )


def has_district_detail(city: CityData, flow_years: np.ndarray) -> bool:
    """Whether the migration file gives district x sex x age flows for the base period."""
    if not city.has("migration"):
        return False
    migration = city.table("migration")
    return bool(
        migration["sex"].notna().all()
        and migration["age"].notna().all()
        and not (migration["district"] == CITY_DISTRICT).any()
        and migration["year"].isin(flow_years).any()
    )


def _district_flows(
    city: CityData, flow_years: np.ndarray, cohorts: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """In- and out-migrants per base-period year, district, sex and age from a detailed file."""
    if not has_district_detail(city, flow_years):
        return None
    migration = city.table("migration")
    used = migration[migration["year"].isin(flow_years)]
    arr = np.zeros((2,) + cohorts.shape)
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
    return arr[0], arr[1]


def _split_city_net(
    city: CityData,
    net_mean: np.ndarray,
    c_mean: np.ndarray,
    flow_years: np.ndarray,
    schedule: dict[str, float],
    notes: list[str],
) -> tuple[np.ndarray, np.ndarray, str]:
    """Gross in and out flows of the city by sex and age whose difference is ``net_mean``."""
    if city.has("migration"):
        gross_in = yearly_total(city, "migration", direction="in").reindex(flow_years)
        gross_out = yearly_total(city, "migration", direction="out").reindex(flow_years)
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
        return city_in, city_out, "residual net by age + gross totals"
    notes.append(
        "Fallback: no migration file; net migration by sex and age from the register (residual method)"
    )
    return np.maximum(net_mean, 0.0), np.maximum(-net_mean, 0.0), "residual net by age"


def _levelled(
    in_count: np.ndarray,
    out_rate: np.ndarray,
    residual_net: np.ndarray,
    base_pop: np.ndarray,
    city_in_total: float,
) -> np.ndarray:
    """Scale in-migrants per district so that its net migration matches its residual growth (D,)."""
    at_base = age_cohorts(base_pop)
    expected_out = (out_rate * at_base).sum(axis=(-1, -2))
    own_in = in_count.sum(axis=(-1, -2))
    factor = np.divide(
        residual_net + expected_out, own_in, out=np.ones_like(own_in), where=own_in > 0
    )
    scaled = in_count * np.maximum(factor, 0.0)[:, None, None]
    # Keep the city's in-migration total: district levelling redistributes, it does not add.
    return scaled * (city_in_total / scaled.sum()) if scaled.sum() > 0 else in_count
