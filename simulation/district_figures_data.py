"""What each per-district figure is drawn from: a finished run's results, its manifest and city.

``RunResults`` reads the asked districts' rows of the run's ``results/`` Parquet (pyarrow filters
on district, variable and statistic, so only those rows become a frame) and turns them into the
arguments the population and Kita stages hand to the plotting functions
(``stage_population._population_figures``, ``stage_kita._figures``); ``register_history`` reads
the register totals from the city folder the manifest names, as the population stage does.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.compute as pc
import pyarrow.parquet as pq

from forecast.citydata import CityData, load_table_file
from forecast.contract import CITY_DISTRICT, MAX_AGE, SEXES
from forecast.validate import InputDataError
from forecast.variables import BAND, POPULATION_CELL
from simulation import figures, figures_kita
from simulation.report import district_names as names_in_manifest
from simulation.results import RESULTS_DIR

log = logging.getLogger(__name__)

TOTAL_BANDS = ((0.05, 0.95, "90 %-Intervall"), (0.1, 0.9, "80 %-Intervall"))
"""Bands of the total-population chart: quantiles and German label (as the population stage)."""
SINGLE_AGES = [POPULATION_CELL.name(sex=s, age=a) for s in SEXES for a in range(MAX_AGE + 1)]
"""The pyramid's cells in the order of the stage's arrays (sex f, m; age 0..100)."""
KITA_DEMAND = {"u3": "Kita|Demand|U3|Kita", "ue3": "Kita|Demand|Ue3"}
KITA_PLACES = {"u3": "Kita|Places|U3", "ue3": "Kita|Places|Ue3"}
"""The Kita chart's variables by group (as the Kita stage hands them to the chart)."""


def district_names(manifest: dict, city: CityData | None) -> dict[str, str]:
    """District code -> name as the stages title the figures (codes where unknown)."""
    info = manifest.get("city", {})
    names = {c: c for c in info.get("districts", [])}
    if city is not None:
        return names | {d.code: d.name for d in city.districts} | {CITY_DISTRICT: city.name}
    return names | names_in_manifest(manifest) | {CITY_DISTRICT: info.get("name", "Stadt")}


def register_history(
    manifest: dict, city: CityData | None, codes: list[str]
) -> tuple[dict[str, dict[int, float]], str]:
    """Register totals by year of ``codes`` (``_city`` = all districts) and, when there are
    none, why (for the chart's title).

    Without ``city``, only the population file of the city folder the manifest names is read and
    checked (``load_table_file``, a fraction of ``load_city`` on a large city), and only if it is
    the file the run read (its sha256 in the manifest).
    """
    if city is not None:
        register = city.table("population")
    else:
        register, note = _population_file(manifest)
        if register is None:
            return {}, note
    # The population stage sums population_array (year x district x sex x age, zeros where a
    # cell has no row) over sex and age, and over the districts for the city. The counts are
    # whole numbers, so these sums are the same floats in any order.
    totals = (
        register.groupby(["year", "district"])["count"]
        .sum()
        .unstack(fill_value=0)
        .sort_index()
        .astype(float)
    )
    totals[CITY_DISTRICT] = totals.sum(axis=1)
    return {c: {int(y): float(v) for y, v in totals[c].items()} for c in codes if c in totals}, ""


def _population_file(manifest: dict) -> tuple[pd.DataFrame | None, str]:
    """The run's register population (typed), or None and why it cannot be had."""
    info = manifest.get("city", {})
    folder = Path(info.get("data_dir", ""))
    sha256 = manifest.get("input_sha256", {})
    names = [n for n in sha256 if Path(n).stem == "population"]
    if not names or not (folder / names[0]).is_file():
        log.warning("district figures without register history: no population file in %s", folder)
        return None, "Melderegister nicht gefunden"
    file = folder / names[0]
    if hashlib.sha256(file.read_bytes()).hexdigest() != sha256[names[0]]:
        log.warning("district figures without register history: %s changed since the run", file)
        return None, "Melderegister seit dem Lauf geändert"
    try:
        return load_table_file(file, "population", tuple(info.get("districts", []))), ""
    except InputDataError as err:  # the same bytes passed the run's check: a changed contract
        log.warning("district figures without register history: %s: %s", file, err)
        return None, "Melderegister nicht lesbar"


@dataclass
class RunResults:
    """The rows of the asked districts in one run's result files."""

    run_dir: Path
    codes: list[str]

    def _files(self, part: str) -> list[Path]:
        return sorted((self.run_dir / RESULTS_DIR).glob(f"scenario=*/{part}.parquet"))

    def has(self, kind: str) -> bool:
        return bool(self._files("kita" if kind == "kita" else "population"))

    def _read(self, part: str, variables: pc.Expression, statistics: list[str]) -> pd.DataFrame:
        """Rows of the asked districts; the filter runs in pyarrow, before any frame is built."""
        where = (
            pc.field("district").isin(self.codes)
            & pc.field("statistic").isin(statistics)
            & variables
        )
        columns = ["district", "year", "variable", "statistic", "quantile", "value"]
        frames = [
            pq.read_table(f, columns=columns, filters=where).to_pandas() for f in self._files(part)
        ]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)

    def population(
        self, names: dict[str, str], history: dict, note: str
    ) -> dict[tuple[str, str], tuple]:
        """(kind, code) -> (plotting function, its arguments after the path) for both charts;
        ``history``: code -> register totals by year, ``note``: why the history is missing."""
        cells = self._read("population", pc.field("variable").isin(SINGLE_AGES), ["value"])
        years = np.sort(cells["year"].unique())
        if not len(years):
            raise ValueError(f"{self.run_dir}: no single-age population rows in its results")
        y0, y1 = int(years[0]), int(years[-1])
        cell = pd.Categorical(cells["variable"], categories=SINGLE_AGES)  # f 0..100, m 0..100
        cells = cells.assign(cell=cell)
        bands = self._bands()
        out = {}
        for code, own in cells.groupby("district"):
            pop = (
                own.pivot_table(
                    index="year", columns="cell", values="value", aggfunc="first", observed=False
                )
                .reindex(index=years, columns=SINGLE_AGES)
                .to_numpy(float)
                .reshape(len(years), 2, -1)
            )
            out["pyramid", code] = (
                figures.pyramid,
                (f"{names[code]}: Altersaufbau {y0} und {y1}", pop[0], pop[-1], y0, y1),
            )
            totals = pop.sum(axis=(-1, -2))
            out["total", code] = (
                figures.total_chart,
                (
                    f"{names[code]}: Einwohner" + (f" ({note})" if note else ""),
                    history.get(code, {}),
                    {int(y): float(v) for y, v in zip(years, totals, strict=True)},
                    bands.get(code),
                ),
            )
        return out

    def _bands(self) -> dict[str, list[tuple]]:
        """code -> the total chart's bands from the draws' ``Population|Total`` quantiles."""
        rows = self._read(
            "population_draws", pc.field("variable") == "Population|Total", ["quantile"]
        )
        out = {}
        for code, own in rows.assign(q=rows["quantile"].round(6)).groupby("district"):
            q = own.pivot_table(index="year", columns="q", values="value", aggfunc="first")
            out[code] = [
                (q.index.to_numpy(), q[lo].to_numpy(), q[hi].to_numpy(), label)
                for lo, hi, label in TOTAL_BANDS
            ]
        return out

    def kita(self, names: dict[str, str]) -> dict[tuple[str, str], tuple]:
        """("kita", code) -> (plotting function, its arguments after the path)."""
        rows = self._read(
            "kita",
            pc.field("variable").isin([*KITA_DEMAND.values(), *KITA_PLACES.values()]),
            ["value", "quantile"],
        )
        demand_rows = rows["variable"].isin(KITA_DEMAND.values())
        years = np.sort(rows.loc[demand_rows, "year"].unique())
        # P10/P50/P90 over the draws; a run without draws has value rows: the same row thrice.
        drawn = (rows.loc[demand_rows, "statistic"] == "quantile").any()
        levels = list(BAND) if drawn else [0.0]
        rows = rows.assign(level=rows["quantile"].fillna(0.0).round(6))
        # A run without kita_places wrote no places rows: the stage passes None then.
        has_places = rows["variable"].isin(KITA_PLACES.values()).any()
        out = {}
        for code, own in rows.groupby("district"):
            wide = own.pivot_table(
                index=["variable", "level"], columns="year", values="value", aggfunc="first"
            ).reindex(columns=years)  # years without a row (NaN in the stage) stay NaN
            demand, places = {}, {}
            for group, variable in KITA_DEMAND.items():
                q = wide.reindex([(variable, lv) for lv in levels]).to_numpy(float)
                demand[group] = q if drawn else np.repeat(q, 3, axis=0)
            for group, variable in KITA_PLACES.items():
                places[group] = (
                    wide.reindex([(variable, 0.0)]).to_numpy(float)[0] if has_places else None
                )
            out["kita", code] = (
                figures_kita.demand_vs_places,
                (f"{names[code]}: Bedarf vs. Plätze", years, demand, places),
            )
        return out


__all__ = ["RunResults", "district_names", "register_history"]
