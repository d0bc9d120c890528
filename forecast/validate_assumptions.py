"""Rules of the ``assumptions`` file (absolute assumption paths), beyond columns, cells and keys.

Every row states one value of one quantity for a year, a district (or ``_city``) and a sex (or
both). What each quantity allows:

* ``tfr`` > 0 and at most 10 children per woman; ``mean_age_birth`` 15..49 years;
  ``e0`` 20..110 years; ``in_migration`` and ``out_migration`` >= 0 persons; ``net_migration``
  any number of persons (negative = net loss).
* ``sex`` is empty except for ``e0`` (f or m, or empty for both): fertility concerns women, and
  migration paths keep the age-sex profile of the base period.
* ``e0`` applies to the whole city (``_city``): the projection has one life table.
* At most two of ``net_migration``, ``in_migration``, ``out_migration`` for the same district and
  year (the third follows from the other two).
* A quantity's rows for one district are either all by sex or all for both sexes together.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.contract import CITY_DISTRICT
from forecast.validate_table import MAX_CELL, TableCheck

# quantity -> (lowest, highest, unit) of a plausible value; None = unbounded.
VALUE_RANGES: dict[str, tuple[float | None, float | None, str]] = {
    "tfr": (0.0, 10.0, "children per woman"),
    "mean_age_birth": (15.0, 49.0, "years"),
    "e0": (20.0, 110.0, "years"),
    # A city's migration cannot exceed the largest count a cell may hold (overflow, see MAX_CELL).
    "net_migration": (-MAX_CELL, MAX_CELL, "persons per year"),
    "in_migration": (0.0, MAX_CELL, "persons per year"),
    "out_migration": (0.0, MAX_CELL, "persons per year"),
}
MIGRATION = ("net_migration", "in_migration", "out_migration")


def check_assumptions(t: TableCheck) -> None:
    """The rules listed in the module docstring, each reported at its row."""
    valid = t.valid("quantity", "value")
    if valid is not None and not valid.empty:
        raw = t.frame["value"].to_numpy()
        for quantity, (lo, hi, unit) in VALUE_RANGES.items():
            value = valid["value"][valid["quantity"] == quantity]
            bad = pd.Series(False, index=value.index)
            if lo is not None:
                # A TFR of exactly 0 would switch births off: almost surely a typing error.
                bad |= value <= lo if quantity == "tfr" else value < lo
            if hi is not None:
                bad |= value > hi
            t.flag(
                "value",
                f"range {quantity}",
                bad[bad].index.to_numpy(),
                lambda p, q=quantity, lo=lo, hi=hi, unit=unit: (
                    f"value {raw[p]} for quantity '{q}': expected {_range_text(q, lo, hi)} {unit}"
                ),
            )
    rows = t.valid("year", "district", "quantity")
    if rows is None or rows.empty:
        return
    positions = rows.index.to_numpy()
    by_sex = t.frame["sex"].to_numpy()[positions] != ""
    q = rows["quantity"].to_numpy()
    t.flag(
        "sex",
        "sex",
        positions[by_sex & (q != "e0")],
        lambda p: (
            f"sex {t.frame['sex'].iat[p]!r} for quantity '{t.frame['quantity'].iat[p]}': expected "
            "an empty cell (only e0 is given by sex; fertility concerns women and migration keeps "
            "the age-sex profile of the base period)"
        ),
    )
    t.flag(
        "district",
        "e0 district",
        positions[(q == "e0") & (rows["district"].to_numpy() != CITY_DISTRICT)],
        lambda p: (
            f"district {t.frame['district'].iat[p]!r} for quantity 'e0': expected "
            f"'{CITY_DISTRICT}' (life expectancy applies to the whole city)"
        ),
    )
    mig = rows[np.isin(q, MIGRATION)]
    counts = mig.groupby(["year", "district"])["quantity"].transform("nunique")
    t.flag(
        "quantity",
        "migration triple",
        counts[counts > 2].index.to_numpy(),
        lambda p: (
            f"net_migration, in_migration and out_migration all given for district "
            f"{t.frame['district'].iat[p]!r} in {t.frame['year'].iat[p]}: expected at most two "
            "(the third follows from them)"
        ),
    )
    kinds = (
        pd.DataFrame({"district": rows["district"], "quantity": q, "by_sex": by_sex})
        .groupby(["district", "quantity"])["by_sex"]
        .transform("nunique")
        .to_numpy()
    )
    t.flag(
        "sex",
        "mixed sex",
        positions[(kinds > 1) & ~by_sex],
        lambda p: (
            f"quantity '{t.frame['quantity'].iat[p]}' for district {t.frame['district'].iat[p]!r} "
            "has rows by sex and rows for both sexes: expected one or the other"
        ),
    )


def _range_text(quantity: str, lo: float | None, hi: float | None) -> str:
    if lo is not None and hi is not None:
        op = "above" if quantity == "tfr" else "from"
        return f"a number {op} {lo:,g} up to {hi:,g}"
    if lo is not None:
        return f"a number >= {lo:g}"
    return "a number"
