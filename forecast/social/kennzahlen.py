"""HzE Kennzahlen in the style of the Vergleichsringe, each defined once with its source.

Every Kennzahl is a ratio of sums, so it is computed for a district, a Wirkungsraum or the city
alike by summing the counts of its districts first (``by_unit``). The Hilfeart groups come from
the catalogue (``forecast.hze.catalogue``): *HzE* = every Hilfeart except Erziehungsberatung
(§ 28, direct access: the AKJStat Eckwert leaves it out), *stationär* = Fremdunterbringung
(§§ 33, 34), *ambulant* = the other Hilfearten of HzE (incl. teilstationär § 32 and § 35a / § 41,
whose setting the contract does not split).

Fallzahl = running at 31.12. + ended during the year (DESIGN.md, statistics convention).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.citydata import CityData
from forecast.contract import CITY_DISTRICT
from forecast.hze.catalogue import CATALOGUE, direct_access_codes, stationary_codes
from forecast.hze.history import load_history


@dataclass(frozen=True)
class Kennzahl:
    """One Kennzahl: its results name, German label, unit and source."""

    key: str
    label: str
    unit: str
    source: str


AKJSTAT = "AKJStat HzE-Monitor [S1]; DOMAIN.md § 7"
KGST = "KGSt Vergleichsring Kreise NRW, IBN Niedersachsen (DOMAIN.md § 7)"
KENNZAHLEN: dict[str, Kennzahl] = {
    k.key: k
    for k in (
        Kennzahl(
            "Eckwert|HzE",
            "Eckwert HzE je 10.000 unter 21 (ohne Erziehungsberatung)",
            "cases per 10,000 persons under 21",
            AKJSTAT,
        ),
        Kennzahl(
            "Eckwert|Ambulant",
            "Ambulante Hilfen je 10.000 unter 21",
            "cases per 10,000 persons under 21",
            AKJSTAT,
        ),
        Kennzahl(
            "Eckwert|Stationary",
            "Stationäre Hilfen (§§ 33, 34) je 10.000 unter 21",
            "cases per 10,000 persons under 21",
            AKJSTAT,
        ),
        Kennzahl(
            "Stationary share",
            "Anteil stationärer Hilfen an allen HzE",
            "share",
            KGST,
        ),
        Kennzahl(
            "Ambulant per stationary",
            "Ambulante je stationäre Hilfe",
            "cases per case",
            "KGSt Vergleichsring Kreise NRW: ambulant per stationary case (DOMAIN.md § 7)",
        ),
        Kennzahl(
            "New cases",
            "Neue Hilfen je 10.000 unter 21",
            "begun cases per 10,000 persons under 21",
            KGST,
        ),
        Kennzahl(
            "Mean duration",
            "Mittlere Dauer beendeter Hilfen (Monate)",
            "months",
            "D: Little's law, mean stock (31.12. of the year before and of the year) / ended "
            "per year; KGSt/IBN report the mean duration of ended helps (DOMAIN.md § 7)",
        ),
        Kennzahl(
            "Cost per case",
            "Kosten je Fall (ohne Erziehungsberatung)",
            "EUR per case",
            KGST,
        ),
        Kennzahl(
            "Cost per young inhabitant",
            "Kosten je Einwohner:in unter 21 (ohne Erziehungsberatung)",
            "EUR per person under 21",
            KGST,
        ),
    )
}
"""Every Kennzahl, by its key (results variable ``Kennzahl|<key>``)."""


def groups_of(codes: Sequence[str]) -> dict[str, np.ndarray]:
    """Masks (H,) of the Hilfeart groups ``HzE``, ``Ambulant``, ``Stationary`` over ``codes``."""
    advice = np.isin(codes, direct_access_codes())
    stationary = np.isin(codes, stationary_codes())
    known = np.isin(codes, tuple(CATALOGUE))
    hze = known & ~advice
    return {"HzE": hze, "Ambulant": hze & ~stationary, "Stationary": hze & stationary}


def by_unit(values: np.ndarray, groups: Mapping[str, Sequence[int]], axis: int) -> np.ndarray:
    """The districts, then the Wirkungsräume (sums of their districts), then the city (sum of
    all) along the district axis ``axis``: D -> D + W + 1."""
    axis = axis % values.ndim
    parts = [values]
    for ix in groups.values():
        parts.append(np.take(values, list(ix), axis=axis).sum(axis=axis, keepdims=True))
    parts.append(values.sum(axis=axis, keepdims=True))
    return np.concatenate(parts, axis=axis)


def _ratio(num: np.ndarray, den: np.ndarray, scale: float = 1.0) -> np.ndarray:
    num, den = np.broadcast_arrays(np.asarray(num, float), np.asarray(den, float))
    return np.divide(scale * num, den, out=np.full(num.shape, np.nan), where=den > 0)


def kennzahlen(
    codes: Sequence[str],
    running: np.ndarray,
    ended: np.ndarray,
    begun: np.ndarray,
    running_before: np.ndarray,
    under21: np.ndarray,
    cost: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Every Kennzahl from counts with the Hilfeart on the last axis.

    Args:
        codes: Hilfearten of the last axis, length H.
        running, ended, begun: running at 31.12., ended and begun during the year, (..., H).
        running_before: running at 31.12. of the year before, (..., H).
        under21: persons under 21 at 31.12., (...).
        cost: EUR per year, (..., H); None = no cost Kennzahlen.

    Returns:
        Kennzahl key -> values (...); NaN where a denominator is 0.
    """
    g = groups_of(codes)
    cases = running + ended

    def total(a: np.ndarray, group: str) -> np.ndarray:
        return a[..., g[group]].sum(-1)

    hze, amb, sta = (total(cases, k) for k in ("HzE", "Ambulant", "Stationary"))
    out = {
        "Eckwert|HzE": _ratio(hze, under21, 1e4),
        "Eckwert|Ambulant": _ratio(amb, under21, 1e4),
        "Eckwert|Stationary": _ratio(sta, under21, 1e4),
        "Stationary share": _ratio(sta, hze),
        "Ambulant per stationary": _ratio(amb, sta),
        "New cases": _ratio(total(begun, "HzE"), under21, 1e4),
        "Mean duration": _ratio(
            0.5 * (total(running, "HzE") + total(running_before, "HzE")), total(ended, "HzE"), 12.0
        ),
    }
    if cost is not None:
        spent = total(cost, "HzE")
        out["Cost per case"] = _ratio(spent, hze)
        out["Cost per young inhabitant"] = _ratio(spent, under21)
    return out


def observed_kennzahlen(
    city: CityData, members: Mapping[str, Sequence[int]], up_to: int | None = None
) -> pd.DataFrame:
    """The Kennzahlen of a city's ``hze_cases`` per district, Wirkungsraum and city and year.

    Args:
        city: validated city data (``hze_cases`` and the register population).
        members: Wirkungsraum -> indices of its districts.
        up_to: last year (None: every year with a register population).

    Returns:
        Columns unit (district code, Wirkungsraum or ``_city``), kennzahl, year, observed; cost
        Kennzahlen are not observed (``hze_cases`` holds no costs); empty without ``hze_cases``.
    """
    history = load_history(city, up_to=up_to)
    if history is None:
        return pd.DataFrame(columns=["unit", "kennzahl", "year", "observed"])
    counts = {
        k: by_unit(np.nan_to_num(getattr(history, k)), members, axis=1)
        for k in ("running", "ended", "begun")
    }
    before = np.concatenate([np.full_like(counts["running"][:1], np.nan), counts["running"][:-1]])
    u21 = by_unit(history.under21, members, axis=1)
    values = kennzahlen(history.hilfearten, **counts, running_before=before, under21=u21)
    units = np.array([*history.districts, *members, CITY_DISTRICT])
    out = pd.concat(
        [
            pd.DataFrame(
                {
                    "unit": np.tile(units, len(history.years)),
                    "kennzahl": key,
                    "year": np.repeat(history.years, len(units)),
                    "observed": array.ravel(),
                }
            )
            for key, array in values.items()
        ],
        ignore_index=True,
    )
    return out[np.isfinite(out["observed"])].reset_index(drop=True)
