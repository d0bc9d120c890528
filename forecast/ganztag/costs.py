"""Staff, running cost, investment and who pays, for meeting the Ganztag demand.

Children are served first in the existing places of their school, in the school's mix of forms;
demand beyond the places (the gap) is met in new places of one form (``new_form``, default the
offene Ganztagsschule). Per draw, school and school year:

    served(f) = min(demand, places) * places(f) / places  +  max(demand - places, 0) * [f = new]
    staff     = sum_f served(f) / children_per_staff(f)
    running   = sum_f served(f) * running_cost(f) * price_index(t)
    built(t)  = max over u <= t of max(gap(u), 0)       (places once built stay)
    investment(t) = (built(t) - built(t - 1)) * investment_cost * price_index(t)

The first school year (the register's base year) is the past: its gap is where the projection
starts from, so places are counted as built (and invested in) only for gaps beyond it. Nominal euros: costs are in
prices of ``price_year`` and grow with ``price_growth`` a year (the price path of the HzE costs,
``forecast.hze.costs.CostAssumptions.price_index``). Funding shares split investment and running
cost into federal, Land and municipal parts.

References:
    DJI 2019 cost study (Rauschenbach et al.; per-place figures derived from press reports of it);
    3rd GaFöG report (federal funds); § 43 Abs. 3 SGB VIII (Tagespflege: up to 5 children).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from forecast.ganztag.places import FORMS
from forecast.hze.costs import CostAssumptions


@dataclass(frozen=True)
class GanztagCosts:
    """Cost and staff assumptions (prices of ``price_year``).

    Attributes:
        children_per_staff: form -> children per full-time staff member.
        running_cost: form -> EUR per place and year.
        investment_cost: EUR per new place.
        price_year: year of the prices.
        price_growth: nominal growth per year, fraction.
        new_form: form of the places built for the gap.
        funding: shares ``investment_federal``, ``investment_land``, ``running_federal``,
            ``running_land`` (the municipality pays the rest).
    """

    children_per_staff: dict[str, float]
    running_cost: dict[str, float]
    investment_cost: float
    price_year: int
    price_growth: float
    new_form: str = "ogs"
    funding: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.new_form not in FORMS:
            raise ValueError(f"new_form {self.new_form!r}: expected one of {FORMS}")
        for name in ("children_per_staff", "running_cost"):
            missing = [f for f in FORMS if f not in getattr(self, name)]
            if missing:
                raise ValueError(f"{name}: no value for form(s) {missing}")

    def price_index(self, years) -> np.ndarray:
        """Nominal price index relative to ``price_year``, shape (Y,)."""
        prices = CostAssumptions({}, {}, price_year=self.price_year, growth=self.price_growth)
        return prices.price_index(np.asarray(years, dtype=int), None)


@dataclass(frozen=True)
class CostResult:
    """Per draw, year and school (N, Y, S).

    Attributes:
        served: children served by form, (N, Y, S, F).
        staff: full-time staff members.
        running: EUR per school year, nominal.
        investment: EUR per school year, nominal.
        new_places: places built in the year.
    """

    served: np.ndarray
    staff: np.ndarray
    running: np.ndarray
    investment: np.ndarray
    new_places: np.ndarray


def project_costs(demand: np.ndarray, places: np.ndarray, years, costs: GanztagCosts) -> CostResult:
    """Staff and cost of meeting ``demand`` (N, Y, S) with ``places`` (Y, S, F) (NaN: none
    known, every child in a new place)."""
    seats = np.nan_to_num(np.asarray(places, dtype=float))
    total = seats.sum(axis=-1)  # (Y, S)
    mix = np.divide(seats, total[..., None], out=np.zeros_like(seats), where=total[..., None] > 0)
    in_places = np.minimum(demand, total[None])
    gap = np.maximum(demand - total[None], 0.0)
    new = np.zeros(len(FORMS))
    new[FORMS.index(costs.new_form)] = 1.0
    served = in_places[..., None] * mix[None] + gap[..., None] * new
    ratio = np.array([costs.children_per_staff[f] for f in FORMS], dtype=float)
    unit = np.array([costs.running_cost[f] for f in FORMS], dtype=float)
    index = costs.price_index(years)[None, :, None]
    staff = (served / ratio).sum(axis=-1)
    running = (served * unit).sum(axis=-1) * index
    built = np.maximum.accumulate(gap, axis=1)
    new_places = np.diff(built, axis=1, prepend=built[:, :1])
    investment = new_places * costs.investment_cost * index
    return CostResult(served, staff, running, investment, new_places)


def funding_split(running: np.ndarray, investment: np.ndarray, funding: dict[str, float]) -> dict:
    """Federal, Land and municipal parts of running cost and investment (same shapes)."""
    out = {}
    for kind, amount in (("running", running), ("investment", investment)):
        federal = funding.get(f"{kind}_federal", 0.0)
        land = funding.get(f"{kind}_land", 0.0)
        out[kind] = {
            "federal": amount * federal,
            "land": amount * land,
            "municipal": amount * (1.0 - federal - land),
        }
    return out
