"""Moves between districts inside the city (Umzüge), applied inside the cohort-component step.

Out-movers leave a district at a rate per start-of-year person of each sex and cohort; they are
sent to destinations by origin-destination probabilities per age group. What leaves one district
arrives in another, so internal moves sum to zero over the city in every sex-age cell by
construction, in every year and every draw.

Two destination models:

* ``od``: a full origin-destination matrix per age group, estimated from the ``moves`` file. Cost
  per step is D x D per sex-age cell, fine for the tens of districts of most cities.
* ``pool``: movers of each sex-age cell join a city pool and are shared out by destination shares
  that do not depend on the origin (the "migration pool" model of multiregional demography, used
  e.g. for the internal migration of the ONS subnational projections). Cost is linear in D, which
  is what 500+ planning areas with 1,000 draws need. It reproduces each district's in- and
  out-flows of the base period exactly; it ignores only who goes where in between.

Ages are cohort-indexed like the kernel's: ``age`` in the moves file is the age at the END of the
year (31.12.), so age 0 are babies born during the year.

References:
    Rogers, A. (1995). Multiregional Demography. Wiley, ch. 2 (multiregional and pool models).
    Office for National Statistics (2020). Subnational population projections methodology,
    internal migration.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forecast.citydata import CityData
from forecast.contract import MAX_AGE

DESTINATION_AGE_GROUPS = (0, 6, 18, 25, 30, 45, 65)
"""Lower bounds of the age groups with their own destination pattern: families with children
(0-5, 6-17), students and trainees (18-24), young adults (25-29), family formation (30-44),
settled adults (45-64), the elderly (65+)."""

OD_MAX_DISTRICTS = 150
"""Above this many districts, ``auto`` uses the pool model (the OD product grows with D^2)."""

HOUSING_DRAW_CAP = 0.2
"""At most this share of a sex-age cell of the other districts moves into new housing in one year;
what new housing asks beyond it comes from outside the city (keeps every cohort non-negative)."""


def age_group_index(n_ages: int = MAX_AGE + 1) -> np.ndarray:
    """Destination age group of each single age 0..n_ages-1."""
    return np.searchsorted(np.asarray(DESTINATION_AGE_GROUPS), np.arange(n_ages), side="right") - 1


@dataclass(frozen=True)
class InternalMoves:
    """Rates and destinations of moves between districts.

    Attributes:
        out_rate: movers to other districts per start-of-year person, shape (D, 2, A).
        destination: for ``od``, probabilities (D origin, D destination, G) with zero diagonal and
            rows summing to 1; for ``pool``, destination shares (D, 2, A) summing to 1 over D.
        model: ``od`` or ``pool``.
    """

    out_rate: np.ndarray
    destination: np.ndarray
    model: str

    def redistribute(self, movers: np.ndarray, first_age: int = 0) -> np.ndarray:
        """Arrivals per destination from the out-movers of every origin.

        Args:
            movers: out-movers, shape (..., D, 2, k) for ages first_age..first_age+k-1, persons.
            first_age: the age of the last axis' first entry.

        Returns:
            Arrivals, same shape; the sum over districts equals that of ``movers``.
        """
        k = movers.shape[-1]
        ages = slice(first_age, first_age + k)
        if self.model == "pool":
            return self.destination[:, :, ages] * movers.sum(axis=-3, keepdims=True)
        groups = age_group_index(MAX_AGE + 1)[ages]
        arrivals = np.empty_like(movers)
        for g in np.unique(groups):
            sel = np.flatnonzero(groups == g)
            part = movers[..., sel]  # (..., D, 2, s)
            # (..., 2, s, D_o) @ (D_o, D_d): each origin's movers spread over destinations.
            moved = np.moveaxis(part, -3, -1) @ self.destination[:, :, g]
            arrivals[..., sel] = np.moveaxis(moved, -1, -3)
        return arrivals

    def scaled(self, level: np.ndarray | float) -> InternalMoves:
        """The same destinations with out rates times ``level`` (broadcast over (..., D, 2, A))."""
        return InternalMoves(
            out_rate=self.out_rate * np.asarray(level),
            destination=self.destination,
            model=self.model,
        )


def estimate_internal_moves(
    city: CityData,
    flow_years: np.ndarray,
    at_risk: np.ndarray,
    model: str = "auto",
) -> tuple[InternalMoves | None, dict]:
    """Estimate internal move rates and destinations from the ``moves`` file.

    Args:
        city: a validated city folder.
        flow_years: the base-period calendar years averaged over.
        at_risk: mean cohort population at risk over the base period (start population aged on,
            births at age 0), shape (D, 2, A), persons.
        model: ``od``, ``pool`` or ``auto`` (``od`` up to ``OD_MAX_DISTRICTS`` districts).

    Returns:
        The moves (``None`` when the file is absent or has no base-period rows) and diagnostics:
        mean internal movers per year and each district's mean net internal moves (for the
        residual estimation of the other components, ``_internal_net`` by cell (D, 2, A)).
    """
    if not city.has("moves"):
        return None, {}
    table = city.table("moves")
    table = table[table["year"].isin(flow_years) & (table["from_district"] != table["to_district"])]
    if table.empty:
        return None, {}
    codes = list(city.district_codes)
    n_d = len(codes)
    d_ix = {d: i for i, d in enumerate(codes)}
    flows = np.zeros((n_d, n_d, 2, MAX_AGE + 1))
    np.add.at(
        flows,
        (
            table["from_district"].map(d_ix).to_numpy(),
            table["to_district"].map(d_ix).to_numpy(),
            table["sex"].map({"f": 0, "m": 1}).to_numpy(),
            table["age"].astype(int).to_numpy(),
        ),
        table["count"].to_numpy(float),
    )
    flows /= len(flow_years)
    out_count = flows.sum(axis=1)  # (D, 2, A)
    in_count = flows.sum(axis=0)
    out_rate = np.divide(out_count, at_risk, out=np.zeros_like(at_risk), where=at_risk > 0)
    if model == "auto":
        model = "od" if n_d <= OD_MAX_DISTRICTS else "pool"
    if model == "od":
        groups = age_group_index()
        by_group = np.stack(
            [
                flows[..., groups == g].sum(axis=(-1, -2))
                for g in range(len(DESTINATION_AGE_GROUPS))
            ],
            axis=-1,
        )  # (D, D, G)
        all_ages = flows.sum(axis=(-1, -2))  # (D, D)
        row = by_group.sum(axis=1, keepdims=True)
        # An origin without movers in an age group sends them like its movers of all ages; an
        # origin without any movers like the city's (its rate is zero anyway).
        fallback = np.divide(
            all_ages,
            all_ages.sum(axis=1, keepdims=True),
            where=all_ages.sum(axis=1, keepdims=True) > 0,
            out=np.zeros_like(all_ages),
        )
        destination = np.where(row > 0, by_group / np.where(row > 0, row, 1), fallback[..., None])
    elif model == "pool":
        total = in_count.sum(axis=0, keepdims=True)
        destination = np.where(
            total > 0, in_count / np.where(total > 0, total, 1), at_risk / at_risk.sum(axis=0)
        )
    else:
        raise ValueError(f"internal move model must be od, pool or auto, got {model!r}")
    net_cells = in_count - out_count
    net = net_cells.sum(axis=(-1, -2))
    return InternalMoves(out_rate=out_rate, destination=destination, model=model), {
        "internal_model": model,
        "internal_movers_per_year": float(out_count.sum()),
        "internal_net_by_district": dict(zip(codes, np.round(net, 2).tolist(), strict=True)),
        "_internal_net": net_cells,
    }


def housing_origins(
    cohort: np.ndarray, arrivals: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where the occupants of new housing who come from other districts leave from.

    Each district's arrivals are drawn from all OTHER districts in proportion to their population
    of the same sex and cohort: district o loses ``C_o * sum_{d != o} H_d / (T - C_d)`` where T is
    the city total. The losses sum to the arrivals, so the exchange is zero over the city.

    Args:
        cohort: start-of-step population by cohort, shape (..., D, 2, k), persons.
        arrivals: occupants of new housing coming from other districts, same shape, persons.

    Returns:
        (losses by origin, arrivals taken from inside the city, arrivals that had to come from
        outside instead because the other districts' cohorts were too small).
    """
    total = cohort.sum(axis=-3, keepdims=True)
    others = total - cohort
    safe = np.where(others > 0, others, 1.0)
    ratio = np.where(others > 0, np.minimum(arrivals / safe, HOUSING_DRAW_CAP), 0.0)
    taken = ratio * others
    losses = cohort * ((ratio).sum(axis=-3, keepdims=True) - ratio)
    return losses, taken, arrivals - taken
