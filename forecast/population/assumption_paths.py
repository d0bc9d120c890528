"""Absolute assumption paths (an official projection's TFR, e0, migration by year) for the plan.

A planner who must use the Land's or Destatis' assumptions states them as values by year
(``assumptions`` file or a ``population/assumptions`` preset): ``tfr``, ``mean_age_birth``, ``e0``
by sex, ``net_migration``, ``in_migration``, ``out_migration``. Each quantity given replaces the
variant's relative knob (``tfr_change``, ``e0_gain_per_year``, ``net_change_per_1000``).

Paths are linear between the years given and held after the last. Before the first year given
they start from the level estimated for the base year (the city's TFR, mean age at birth, e0,
migration in the base period), so that "TFR 1.55 in 2032" means a linear move from today's level.
A ``_city`` path applies to every district that has no path of its own and keeps the district
profile (each district's level relative to the city's); a district's own path replaces it.

References:
    Statistisches Bundesamt (2022). 15. koordinierte Bevölkerungsvorausberechnung, Annahmen.
    Lee, R. D., Carter, L. R. (1992). JASA 87, 659-671 (mortality improvement by age).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecast.contract import CITY_DISTRICT, FERTILE_AGES, SEXES
from forecast.lifetable import LifeTable, improve_to_e0

MIGRATION_QUANTITIES = ("net_migration", "in_migration", "out_migration")
FERTILE_MIDPOINTS = np.arange(FERTILE_AGES[0], FERTILE_AGES[1] + 1) + 0.5
"""Mean age of mothers of completed age a at birth: a + 0.5 years (births spread over the year)."""


@dataclass(frozen=True)
class AssumptionPaths:
    """Validated absolute assumptions and where each quantity came from.

    Attributes:
        table: rows ``year, district, sex, quantity, value`` (typed as ``CityData`` tables;
            ``sex`` None = both sexes).
        origin: quantity -> where its rows came from (file path or preset name with source).
    """

    table: pd.DataFrame
    origin: dict[str, str] = field(default_factory=dict)

    def has(self, quantity: str) -> bool:
        """Whether any row gives ``quantity``."""
        return bool((self.table["quantity"] == quantity).any())

    def has_migration(self) -> bool:
        return any(self.has(q) for q in MIGRATION_QUANTITIES)

    def rows(self, quantity: str, district: str, sex: str | None = None) -> pd.DataFrame:
        """Rows of one quantity and district; ``sex`` f/m also takes rows for both sexes."""
        t = self.table
        sel = (t["quantity"] == quantity) & (t["district"] == district)
        if sex is not None:
            sel &= t["sex"].isna() | (t["sex"] == sex)
        return t[sel].sort_values("year")

    def path(
        self,
        quantity: str,
        district: str,
        years: np.ndarray,
        base_year: int,
        base_value: float | None,
        sex: str | None = None,
    ) -> np.ndarray | None:
        """The path of one quantity for ``years`` (None if not given for this district and sex)."""
        rows = self.rows(quantity, district, sex)
        if rows.empty:
            return None
        return interpolate_path(
            rows["year"].to_numpy(int), rows["value"].to_numpy(float), years, base_year, base_value
        )


def interpolate_path(
    given_years: np.ndarray,
    values: np.ndarray,
    years: np.ndarray,
    base_year: int,
    base_value: float | None,
) -> np.ndarray:
    """Linear between the years given, held after the last; from ``base_value`` before the first.

    Args:
        given_years: years of the values, any order.
        values: the values (unit of the quantity).
        years: the years wanted (Stichtage of the projected years).
        base_year: the projection's base year.
        base_value: the quantity's level in the base year (the start of the path when the first
            year given lies after it); None holds the first value before it.

    Returns:
        Values for ``years``, shape (len(years),).
    """
    order = np.argsort(given_years)
    x = np.asarray(given_years, dtype=float)[order]
    y = np.asarray(values, dtype=float)[order]
    if base_value is not None and x[0] > base_year:
        x, y = np.concatenate([[base_year], x]), np.concatenate([[base_value], y])
    return np.interp(np.asarray(years, dtype=float), x, y)  # np.interp holds beyond both ends


def mean_age_at_birth(asfr: np.ndarray) -> np.ndarray:
    """Mean age of the fertility schedule(s), years; ``asfr`` (..., 35) over mother_age 15..49."""
    total = asfr.sum(axis=-1)
    return np.divide(
        (asfr * FERTILE_MIDPOINTS).sum(axis=-1),
        total,
        out=np.full(total.shape, np.nan),
        where=total > 0,
    )


def shift_schedule(asfr: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """Translate fertility schedules to older (shift > 0) ages, keeping the TFR.

    The rate at age a becomes the rate at a - shift, linearly interpolated between single ages,
    so the mean age moves by exactly ``shift`` unless mass is pushed past 15 or 49 (then the TFR is
    restored by scaling, and the mean moves slightly less).

    Args:
        asfr: schedules, shape (..., 35), births per woman per year at ages 15..49.
        shift: years, shape broadcasting against ``asfr[..., 0]``.
    """
    shift = np.broadcast_to(np.asarray(shift, dtype=float), asfr.shape[:-1])
    n_ages = asfr.shape[-1]
    whole = np.floor(shift)
    frac = (shift - whole)[..., None]
    padded = np.concatenate([np.zeros_like(asfr), asfr, np.zeros_like(asfr)], axis=-1)
    src = np.arange(n_ages) + n_ages - whole[..., None].astype(int)  # index of age a - whole
    src = np.clip(src, 0, 3 * n_ages - 1)
    first = np.take_along_axis(padded, src, axis=-1)
    second = np.take_along_axis(padded, np.clip(src - 1, 0, 3 * n_ages - 1), axis=-1)
    moved = (1.0 - frac) * first + frac * second
    before, after = asfr.sum(axis=-1, keepdims=True), moved.sum(axis=-1, keepdims=True)
    return moved * np.divide(before, after, out=np.ones_like(after), where=after > 0)


def fertility_path(
    asfr: np.ndarray,
    tfr_relative: np.ndarray,
    tfr_city: float,
    districts: tuple[str, ...],
    years: np.ndarray,
    base_year: int,
    paths: AssumptionPaths | None,
) -> np.ndarray:
    """ASFR by year and district along the TFR and mean-age paths.

    Args:
        asfr: base schedules per district, (D, 35).
        tfr_relative: the variant's relative TFR path, (H, D), used where no absolute path is given.
        tfr_city: the city's base TFR (districts keep their level relative to it).
        districts: district codes.
        years: projected years, (H,).
        base_year: base year.
        paths: absolute paths, or None.

    Returns:
        Schedules (H, D, 35).
    """
    tfr0 = asfr.sum(axis=1)  # (D,)
    tfr = tfr_relative.copy()
    mean0 = mean_age_at_birth(asfr)  # (D,)
    shift = np.zeros_like(tfr)
    if paths is not None:
        profile = np.divide(tfr0, tfr_city, out=np.ones_like(tfr0), where=tfr_city > 0)
        city_tfr = paths.path("tfr", CITY_DISTRICT, years, base_year, tfr_city)
        city_mean0 = float(np.nanmean(mean0)) if np.isfinite(mean0).any() else 30.0
        city_mean = paths.path("mean_age_birth", CITY_DISTRICT, years, base_year, city_mean0)
        for d, code in enumerate(districts):
            own = paths.path("tfr", code, years, base_year, tfr0[d])
            if own is not None:
                tfr[:, d] = own
            elif city_tfr is not None:
                tfr[:, d] = city_tfr * profile[d]
            own = paths.path("mean_age_birth", code, years, base_year, mean0[d])
            if own is not None:
                shift[:, d] = own - mean0[d]
            elif city_mean is not None:
                shift[:, d] = city_mean - city_mean0
    schedule = np.broadcast_to(asfr, tfr.shape + asfr.shape[-1:])
    if np.any(shift != 0):
        schedule = shift_schedule(schedule, shift)
    scale = np.divide(tfr, tfr0, out=np.ones_like(tfr), where=tfr0 > 0)
    return schedule * np.maximum(scale, 0.0)[..., None]


def mortality_path(
    life_table: LifeTable,
    bx: np.ndarray,
    e0_relative: np.ndarray,
    years: np.ndarray,
    base_year: int,
    paths: AssumptionPaths | None,
) -> tuple[LifeTable, np.ndarray]:
    """Life tables by year along the e0 path, mortality improved by age (Lee-Carter pattern).

    Args:
        life_table: the city's base table, mx (2, A).
        bx: age pattern of improvement, (2, A).
        e0_relative: the variant's relative e0 path, (H, 2), used where no absolute path is given.
        years: projected years, (H,).
        base_year: base year.
        paths: absolute paths, or None.

    Returns:
        Tables with mx (H, 2, A) and the e0 path met, (H, 2), years.
    """
    e0 = e0_relative.copy()
    if paths is not None:
        base = life_table.e0
        for s, sex in enumerate(SEXES):
            own = paths.path("e0", CITY_DISTRICT, years, base_year, float(base[s]), sex=sex)
            if own is not None:
                e0[:, s] = own
    tables, _ = improve_to_e0(life_table, bx, e0)
    return tables, e0


def describe_paths(
    paths: AssumptionPaths | None, relative: dict[str, str], districts: tuple[str, ...] = ()
) -> dict[str, str]:
    """Which path was used for every quantity, for the run manifest.

    Args:
        paths: absolute paths, or None.
        relative: quantity -> description of the variant's relative knob (used where no absolute
            path is given), e.g. ``{"tfr": "relative: tfr_change +0.00 by 10 years (main)"}``.
        districts: district codes (to say which districts have paths of their own).
    """
    out = {}
    for quantity, text in relative.items():
        if paths is None:
            out[quantity] = text
            continue
        rows = paths.table[paths.table["quantity"] == quantity]
        if rows.empty:
            out[quantity] = text
            continue
        where = sorted(set(rows["district"]))
        sexes = sorted(s for s in set(rows["sex"]) if s is not None) or ["both sexes"]
        first, last = int(rows["year"].min()), int(rows["year"].max())
        span = f"{first}" if first == last else f"{first}-{last}"
        who = ", ".join(where) + (f" ({', '.join(sexes)})" if quantity == "e0" else "")
        out[quantity] = (
            f"absolute: {who}, years {span}; linear from the base year's level to the years "
            f"given, held after; from {paths.origin.get(quantity, 'assumptions')}"
        )
        if quantity == "e0" and len(sexes) == 1 and sexes[0] in SEXES:
            other = "m" if sexes[0] == "f" else "f"
            out[quantity] += f"; {other}: {text}"
    return out
