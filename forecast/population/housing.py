"""First occupants of new housing (Neubau), the main driver of Kita demand in a growing district.

Completed dwellings per district and year (``housing`` file, past and planned) times occupants per
dwelling, spread over sex and age by a profile of first occupants in which young families are
over-represented, give the people who move into a district because of new housing. A documented
share of them comes from outside the city (external in-migrants); the rest moves from the other
districts (internal moves, taken from them in proportion to their population: see
``moves.housing_origins``).

The base-period migration of each district already contains the occupants of the dwellings
completed then. So that they are not counted twice, the estimation removes the base period's mean
Neubau arrivals from the district's in-migration (``remove_base_period``) and the projection adds
the arrivals of each projected year's completions explicitly (SIKURS "Neubaumodul" logic).

Ages are cohort-indexed (age at 31.12. of the year of moving in).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from forecast.citydata import CityData
from forecast.contract import MAX_AGE

FIRST_OCCUPANT_PROFILE = {
    (0, 5): 0.16,
    (6, 17): 0.10,
    (18, 24): 0.08,
    (25, 34): 0.30,
    (35, 44): 0.20,
    (45, 64): 0.11,
    (65, MAX_AGE): 0.05,
}
"""Share of first occupants by age group (estimate: new-build areas draw young families; children
0-5 are about three times, adults 25-34 about twice their share of a German city's population)."""


@dataclass(frozen=True)
class HousingSettings:
    """How new dwellings turn into in-movers.

    Attributes:
        occupants_per_dwelling: persons per newly completed dwelling (estimate 2.2: above the
            German mean household size of about 2.0 because new-build areas draw families).
        from_outside_share: share of first occupants who come from outside the city; the rest
            move from other districts (estimate).
        profile: share of first occupants by (first age, last age) group, summing to 1.
        male_share: share of men among first occupants.
    """

    occupants_per_dwelling: float = 2.2
    from_outside_share: float = 0.35
    profile: dict[tuple[int, int], float] = field(
        default_factory=lambda: dict(FIRST_OCCUPANT_PROFILE)
    )
    male_share: float = 0.5

    def __post_init__(self) -> None:
        total = sum(self.profile.values())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"first-occupant profile must sum to 1, got {total:.6f}")
        if not 0.0 <= self.from_outside_share <= 1.0:
            raise ValueError(f"from_outside_share must be in 0..1, got {self.from_outside_share}")
        if self.occupants_per_dwelling < 0:
            raise ValueError("occupants_per_dwelling must be >= 0")

    def per_dwelling(self) -> np.ndarray:
        """First occupants per dwelling by sex and single age, shape (2, 101), persons."""
        by_age = np.zeros(MAX_AGE + 1)
        for (lo, hi), share in self.profile.items():
            by_age[lo : hi + 1] += share / (hi - lo + 1)
        sexes = np.array([1.0 - self.male_share, self.male_share])[:, None]
        return self.occupants_per_dwelling * sexes * by_age[None, :]


def completions(city: CityData, years: np.ndarray) -> np.ndarray:
    """Dwellings completed per year and district, shape (len(years), D); zero where not listed."""
    out = np.zeros((len(years), len(city.district_codes)))
    if not city.has("housing"):
        return out
    table = city.table("housing")
    y_ix = {int(y): i for i, y in enumerate(years)}
    d_ix = {d: i for i, d in enumerate(city.district_codes)}
    rows = table[table["year"].isin(list(y_ix))]
    if rows.empty:  # e.g. a file of planned completions only, asked about base-period years
        return out
    np.add.at(
        out,
        (rows["year"].map(y_ix).to_numpy(), rows["district"].map(d_ix).to_numpy()),
        rows["dwellings"].to_numpy(float),
    )
    return out


def first_occupants(
    dwellings: np.ndarray, settings: HousingSettings
) -> tuple[np.ndarray, np.ndarray]:
    """Dwellings (Y, D) -> first occupants (from outside, from other districts), (Y, D, 2, 101)."""
    people = dwellings[..., None, None] * settings.per_dwelling()
    outside = settings.from_outside_share * people
    return outside, people - outside


def housing_arrivals(
    city: CityData, years: np.ndarray, settings: HousingSettings
) -> tuple[np.ndarray, np.ndarray]:
    """First occupants of the dwellings completed in ``years``, split by where they come from.

    Returns:
        (from outside the city, from other districts), each shape (len(years), D, 2, 101), persons.
    """
    return first_occupants(completions(city, years), settings)


def housing_arrivals_from_completions(
    listed_years: np.ndarray,
    listed: np.ndarray,
    years: np.ndarray,
    settings: HousingSettings,
) -> tuple[np.ndarray, np.ndarray]:
    """Like ``housing_arrivals`` for completions already read: (Yl, D) dwellings in ``listed_years``.

    Returns:
        (from outside, from other districts) per year of ``years``, each (len(years), D, 2, 101).
    """
    done = np.zeros((len(years), listed.shape[1]))
    pos = {int(y): i for i, y in enumerate(years)}
    for j, y in enumerate(listed_years):
        if int(y) in pos:
            done[pos[int(y)]] += listed[j]
    return first_occupants(done, settings)


def remove_base_period(
    in_count: np.ndarray,
    outside: np.ndarray,
    inside: np.ndarray | None,
    district_share: np.ndarray,
) -> tuple[np.ndarray, float]:
    """In-migration of the existing stock: the base period's mean Neubau arrivals taken out.

    Args:
        in_count: estimated in-migrants per year by district, sex and cohort (D, 2, A), persons.
        outside: mean Neubau first occupants from outside the city per base-period year, (D, 2, A).
        inside: mean first occupants from other districts, (D, 2, A), when ``in_count`` was
            levelled to the districts' residual growth (which contains internal moves); these had
            left the other districts in proportion to ``district_share``, which is given back to
            them. ``None`` when internal moves are modelled from a moves file, which holds them.
        district_share: each district's share of the city's sex-age cells (D, 2, A).

    Returns:
        The adjusted in-migrants (never negative) and the persons per year removed in total.
    """
    adjusted = in_count - outside
    if inside is not None:
        adjusted = adjusted - inside + district_share * inside.sum(axis=0, keepdims=True)
    clipped = np.maximum(adjusted, 0.0)
    return clipped, float(in_count.sum() - clipped.sum())
