"""Absolute assumption paths from the configuration (``population/assumptions`` presets) and files.

Three places can state absolute paths, in order of precedence per quantity:

1. the ``population/assumptions`` config group (e.g. the Destatis 15th coordinated projection's
   G1-G3, L1-L3, W1-W3 presets, selected as a list:
   ``population/assumptions=[destatis15_g2,destatis15_l2,destatis15_w2]``);
2. ``population.assumptions_file=PATH`` (a CSV or Parquet file outside the city folder);
3. the city folder's ``assumptions`` file (replaced entirely by 2 when that is given).

Quantities stated nowhere keep the variant's relative knob. Every row is checked like an input
file (``forecast.validate``) and problems name the file (or the configuration), row and column.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from forecast.citydata import CityData, city_dialect, load_table_file, typed_rows
from forecast.contract import ASSUMPTION_QUANTITIES, CITY_DISTRICT, SEXES
from forecast.population.assumption_paths import AssumptionPaths
from simulation.params import Param

CONFIG_NAME = "population.assumptions (configuration)"


@dataclass
class AssumptionsConfig:
    """Absolute assumption paths for the whole city, by year (None = not set here).

    Each quantity is a ``Param`` whose ``value`` maps year -> value (``e0``: sex -> year -> value,
    or year -> value for both sexes); units as in the ``assumptions`` file.
    """

    description: str = ""
    tfr: Param | None = None
    mean_age_birth: Param | None = None
    e0: Param | None = None
    net_migration: Param | None = None
    in_migration: Param | None = None
    out_migration: Param | None = None


def config_rows(cfg: AssumptionsConfig) -> tuple[pd.DataFrame, dict[str, str]]:
    """The configured paths as text rows of the ``assumptions`` contract, and their sources."""
    rows, origin = [], {}
    for quantity in ASSUMPTION_QUANTITIES:
        param = getattr(cfg, quantity, None)
        if param is None or param.value is None:
            continue
        value = dict(param.value)
        by_sex = quantity == "e0" and set(map(str, value)) <= set(SEXES)
        series = {s: dict(v) for s, v in value.items()} if by_sex else {"": value}
        for sex, path in series.items():
            for year, v in path.items():
                rows.append(
                    {
                        "year": str(year),
                        "district": CITY_DISTRICT,
                        "sex": str(sex),
                        "quantity": quantity,
                        "value": str(v),
                    }
                )
        origin[quantity] = f"configuration population/assumptions ({param.source})"
    columns = ["year", "district", "sex", "quantity", "value"]
    return pd.DataFrame(rows, columns=columns).astype(str), origin


def assumption_paths(
    cfg: AssumptionsConfig, assumptions_file: str | None, city: CityData
) -> AssumptionPaths | None:
    """Merge configuration, ``assumptions_file`` and the city's file into one validated table.

    Returns:
        The paths, or None when no absolute path is stated anywhere.

    Raises:
        InputDataError: a bad row, naming the file (or the configuration), row and column.
    """
    frames, origin = [], {}
    text, from_config = config_rows(cfg)
    if len(text):
        frames.append(typed_rows(text, "assumptions", CONFIG_NAME, city.district_codes))
        origin.update(from_config)
    if assumptions_file:
        table = load_table_file(
            assumptions_file, "assumptions", city.district_codes, city_dialect(city)
        )
        where = f"assumptions file {assumptions_file}"
    elif city.has("assumptions"):
        table = city.table("assumptions")
        where = f"assumptions file in {city.path}"
    else:
        table, where = None, ""
    if table is not None:
        table = table[~table["quantity"].isin(list(origin))]  # the configuration wins
        frames.append(table)
        origin.update({q: where for q in table["quantity"].unique() if q not in origin})
    if not frames:
        return None
    merged = pd.concat(frames, ignore_index=True)
    if merged.empty:
        return None
    merged["sex"] = merged["sex"].where(merged["sex"].notna() & (merged["sex"] != ""), None)
    return AssumptionPaths(table=merged.reset_index(drop=True), origin=origin)


def relative_paths(cfg) -> dict[str, str]:
    """How each quantity moves when no absolute path is given (for the manifest).

    Args:
        cfg: the ``population`` config group (``simulation.config.PopulationConfig``).
    """
    fert, mort, mig = cfg.fertility, cfg.mortality, cfg.migration
    gain = mort.e0_gain_per_year.value
    return {
        "tfr": (
            f"relative: tfr_change {float(fert.tfr_change.value):+.2f} children per woman over "
            f"{int(fert.years_to_target.value)} years (fertility variant {fert.variant})"
        ),
        "mean_age_birth": "base period: the age pattern of fertility is kept",
        "e0": (
            f"relative: e0_gain_per_year f {float(gain['f']):g}, m {float(gain['m']):g} years "
            f"per year (mortality variant {mort.variant})"
        ),
        "net_migration": (
            f"relative: net_change_per_1000 {float(mig.net_change_per_1000.value):+g} persons "
            f"per 1,000 inhabitants (migration variant {mig.variant})"
        ),
        "in_migration": "base period: in-migrant counts of the base period (scaled by net_migration)",
        "out_migration": "base period: out-migration rates of the base period",
    }
