"""Statistical confidentiality of published tables: small case numbers are not shown.

Official statistics keep cells secret that could identify single persons (§ 16 BStatG): a district
x Hilfeart cell with one or two children in Heimerziehung names a family to anyone who knows the
district. The report and the workbook therefore show such cells as "•" (the raw results keep every
value: they are for the Jugendamt's own analysis).

* **Primary suppression**: a cell with a value above 0 and below the threshold.
* **Secondary suppression**: when a row or column of a table with totals holds exactly one
  suppressed cell, its value follows from the total minus the others; the smallest further cell
  of that row or column is suppressed too, repeated until no row or column has exactly one.
* **Totals take part**: the published table includes its margins (the city row and the total
  column), and they are cells like the others: a city total of 1 is hidden, and a row whose only
  hidden cell is its total is protected by a second one (``with_margins``).

References:
    Hundepool, A. et al. (2012). Statistical Disclosure Control, Wiley, ch. 4.2 (threshold rule)
    and 4.3 (secondary cell suppression).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.contract import CITY_DISTRICT

SUPPRESSED = "•"
FOOTNOTE = (
    "• = Wert kleiner als {threshold} (oder zur Sicherung eines solchen Werts) nicht ausgewiesen "
    "(statistische Geheimhaltung)."
)


def suppression_mask(values: np.ndarray, threshold: float, secondary: bool = True) -> np.ndarray:
    """Cells to hide in a table of case numbers.

    Args:
        values: the cells, shape (rows, columns); NaN cells are never suppressed.
        threshold: cells with 0 < value < threshold are suppressed (0: none).
        secondary: also protect them against recovery from row and column totals.

    Returns:
        Boolean mask, True where the cell is not shown.
    """
    x = np.asarray(values, dtype=float)
    if x.ndim != 2:
        raise ValueError(f"expected a 2-d table, got shape {x.shape}")
    mask = np.isfinite(x) & (x > 0) & (x < threshold)
    if not secondary or not mask.any():
        return mask
    candidates = np.isfinite(x)
    while True:
        changed = False
        for axis in (1, 0):  # rows, then columns
            lines = mask if axis == 1 else mask.T
            vals = x if axis == 1 else x.T
            free = candidates if axis == 1 else candidates.T
            for i in np.flatnonzero(lines.sum(axis=1) == 1):
                options = np.flatnonzero(free[i] & ~lines[i])
                if options.size == 0:
                    continue
                # The smallest positive cell hides the most with the least loss; zeros only if
                # nothing else is left.
                positive = options[vals[i, options] > 0]
                pool = positive if positive.size else options
                j = pool[np.argmin(vals[i, pool])]
                if axis == 1:
                    mask[i, j] = True
                else:
                    mask[j, i] = True
                changed = True
        if not changed:
            return mask


def suppress_frame(
    frame: pd.DataFrame, threshold: float, secondary: bool = True
) -> tuple[pd.DataFrame, np.ndarray]:
    """The numeric frame with hidden cells replaced by ``SUPPRESSED`` (object dtype), and the mask."""
    mask = suppression_mask(frame.to_numpy(dtype=float), threshold, secondary)
    out = frame.astype(object).where(~mask, SUPPRESSED)
    return out, mask


def with_margins(cases: pd.DataFrame, districts: list[str], codes: list[str]) -> pd.DataFrame:
    """The published district x Hilfeart table: the districts' rows, then the city row (where
    ``cases`` has one), the Hilfearten's columns and ``Total``; rounded to whole cases."""
    rows = [*districts, *([CITY_DISTRICT] if CITY_DISTRICT in cases.index else [])]
    total = cases["Total"] if "Total" in cases.columns else cases[codes].sum(axis=1)
    return cases.loc[rows, codes].assign(Total=total.loc[rows]).round(0)
