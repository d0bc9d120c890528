"""One block of population draws through the Ganztag chain: every result variable per area.

Areas (the last axis of every array): the districts, then the schools when the city gave
catchment areas (``school:<code>``), then the city (``_city``). District quantities reach the
schools with the catchment shares, school quantities (places, gap, cost) reach the districts in
proportion to the school's demand from each district (``forecast.ganztag.catchments``); both
add up to the same city total.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forecast.contract import CITY_DISTRICT
from forecast.ganztag.catchments import Catchments
from forecast.ganztag.cohorts import GRADES, Careers, school_cohorts
from forecast.ganztag.costs import GanztagCosts, project_costs
from forecast.ganztag.demand import TakeUp, project_demand
from forecast.ganztag.entitlement import Rollout
from forecast.ganztag.places import FORMS
from forecast.kita.cohorts import SchoolEntryRule

SCHOOL_PREFIX = "school:"
"""``district`` of a school's result rows: ``school:<code>`` (districts keep their code)."""

EUR = "EUR per school year, nominal"


@dataclass(frozen=True)
class GanztagSetup:
    """Everything fixed across draws.

    Attributes:
        rule: the Land's school-entry cut-off.
        month_shares: share of a year's births per month, shape (12,).
        careers: early entry, deferral, repetition.
        rollout: the entitlement rollout.
        takeup: the take-up path.
        lunchtime_share, holiday_share: demand splits.
        areas: the catchment areas.
        places: places per school year, school and form (Y, S, F), or None (no place data).
        costs: staff and cost assumptions.
    """

    rule: SchoolEntryRule
    month_shares: np.ndarray
    careers: Careers
    rollout: Rollout
    takeup: TakeUp
    lunchtime_share: float
    holiday_share: float
    areas: Catchments
    places: np.ndarray | None
    costs: GanztagCosts

    @property
    def codes(self) -> list[str]:
        """The area codes of the last axis: districts, schools (when given), ``_city``."""
        schools = [SCHOOL_PREFIX + s for s in self.areas.schools] if self.areas.given else []
        return [*self.areas.districts, *schools, CITY_DISTRICT]


def project_block(population: np.ndarray, years, setup: GanztagSetup) -> dict:
    """Variable -> (array (n, Y, areas), unit) for one block of draws.

    Args:
        population: persons at 31.12., shape (n, Y, D, 2, A).
        years: the school years (= the Stichtage), shape (Y,).
        setup: the fixed inputs.
    """
    areas = setup.areas
    cohorts = school_cohorts(
        population, years, areas.districts, setup.month_shares, setup.rule, setup.careers
    )
    demand = project_demand(
        cohorts.by_grade,
        years,
        setup.takeup,
        setup.rollout,
        setup.lunchtime_share,
        setup.holiday_share,
    )
    children = cohorts.total  # (n, Y, D)
    # School quantities go back to districts by each school's demand from them, so that a
    # district's gap is exactly its demand minus its share of the places.
    weights = areas.weights(demand.total)  # (n, Y, D, S)

    def from_districts(x: np.ndarray) -> np.ndarray:
        parts = [x, areas.to_schools(x)] if areas.given else [x]
        return np.concatenate([*parts, x.sum(axis=-1, keepdims=True)], axis=-1)

    def from_schools(x: np.ndarray) -> np.ndarray:
        parts = [areas.to_districts(x, weights)] + ([x] if areas.given else [])
        return np.concatenate([*parts, x.sum(axis=-1, keepdims=True)], axis=-1)

    out = {
        f"Ganztag|Children|Grade {g}": (from_districts(cohorts.by_grade[..., g - 1]), "children")
        for g in range(1, GRADES + 1)
    }
    out["Ganztag|Children|Total"] = (from_districts(children), "children")
    out["Ganztag|Entitled"] = (
        from_districts(setup.rollout.entitled(cohorts.by_grade, years)),
        "children",
    )
    total = from_districts(demand.total)
    out["Ganztag|Demand|Total"] = (total, "children")
    out["Ganztag|Demand|Full day"] = (from_districts(demand.full_day), "children")
    out["Ganztag|Demand|Lunchtime"] = (from_districts(demand.lunchtime), "children")
    out["Ganztag|Demand|Holiday"] = (from_districts(demand.holiday), "children")
    with np.errstate(invalid="ignore", divide="ignore"):
        quota = np.where(
            out["Ganztag|Children|Total"][0] > 0, total / out["Ganztag|Children|Total"][0], np.nan
        )
    out["Ganztag|Demand quota"] = (quota, "share")
    school_demand = areas.to_schools(demand.total)  # (n, Y, S)
    places = setup.places
    costs = project_costs(school_demand, places, years, setup.costs)
    out["Ganztag|Staff"] = (from_schools(costs.staff), "full-time staff")
    out["Ganztag|Cost|Running"] = (from_schools(costs.running), EUR)
    if places is not None:
        n = population.shape[0]
        for f, form in enumerate(FORMS):
            seats = np.broadcast_to(places[None, ..., f], (n, *places.shape[:2]))
            out[f"Ganztag|Places|{form}"] = (from_schools(seats), "places")
        seats = np.broadcast_to(places.sum(axis=-1)[None], school_demand.shape)
        out["Ganztag|Places|Total"] = (from_schools(seats), "places")
        out["Ganztag|Gap"] = (from_schools(school_demand - seats), "places")
        out["Ganztag|New places"] = (from_schools(costs.new_places), "places")
        out["Ganztag|Cost|Investment"] = (from_schools(costs.investment), EUR)
    return out
